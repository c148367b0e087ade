#!/bin/sh
# make bench-chain: snapshots on a base (format 1.3).
#   - a SIZE MiB guest image (3/4 random pages) saved whole with --digest,
#     then 10 times as a diff on the save before, each after 1% of its
#     pages changed: save time and allocated bytes of a diff against the
#     full save;
#   - reading everything (`frc check`: every page read and verified)
#     through chains of 1, 5 and 10 diffs against the flattened file of
#     the chain of 10, page cache warm, rounds interleaved, medians: goal
#     >= 0.9x;
#   - `frc flatten` of the chain of 10 against the disk's own speed
#     (dd of as many bytes, flushed): goal >= 0.8x.
# usage: tools/helpers/chain_bench.sh [-r ROUNDS] [-s SIZE_MIB] BUILD_DIR
ROUNDS=5
SIZE=1024
while getopts r:s: o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s SIZE_MIB] BUILD_DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
[ -x "$FRC" ] || { echo "chain_bench: $FRC is missing (make all)" >&2; exit 1; }
BENCH=chain_bench
. "$(dirname "$0")/bench_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-chainbench-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
python3 - ram.img "$SIZE" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for mib in range(int(sys.argv[2])):
        f.write(os.urandom(768 * 1024) + bytes(256 * 1024))
PY
timed full.t "$FRC" create -q --digest -r pc.ram=ram.img d0.frc
prev=d0
for k in $(seq 1 10); do
	# 1% of the pages rewritten
	python3 - ram.img "$k" <<'PY'
import os, random, sys
r = random.Random(int(sys.argv[2]))
fd = os.open(sys.argv[1], os.O_RDWR)
pages = os.fstat(fd).st_size // 4096
for p in r.sample(range(pages), pages // 100):
    os.pwrite(fd, os.urandom(4096), p * 4096)
PY
	timed diff.t "$FRC" create -q --base=$prev.frc -r pc.ram=ram.img d$k.frc
	prev=d$k
done
"$FRC" flatten -q d10.frc flat.frc
for i in $(seq "$ROUNDS"); do
	for f in flat d1 d5 d10; do
		timed "r$f.t" "$FRC" check -q $f.frc
	done
	rm -f flat2.frc
	timed flatten.t "$FRC" flatten -q d10.frc flat2.frc
	bytes=$(stat -c %s flat2.frc)
	rm -f dd.out
	timed dd.t dd if=ram.img of=dd.out bs=4M conv=fsync status=none
done
full=$(cat full.t); dmed=$(median < diff.t)
rflat=$(median < rflat.t); r1=$(median < rd1.t); r5=$(median < rd5.t); r10=$(median < rd10.t)
fl=$(median < flatten.t); dd=$(median < dd.t)
ratio10=$(echo "$rflat / $r10" | bc -l)
flr=$(echo "$dd / $fl" | bc -l)
echo "# snapshots on a base: $SIZE MiB image (3/4 random), 10 diffs of 1% each; medians of $ROUNDS interleaved rounds"
printf "full save with digests     %7.2f s, %s bytes allocated\n" "$full" "$(alloc d0.frc)"
printf "a diff (median of 10)      %7.2f s, %s bytes allocated (d5)\n" "$dmed" "$(alloc d5.frc)"
printf "read all: flattened        %7.2f s\n" "$rflat"
printf "read all: chain of 1       %7.2f s (%.2fx)\n" "$r1" "$(echo "$rflat / $r1" | bc -l)"
printf "read all: chain of 5       %7.2f s (%.2fx)\n" "$r5" "$(echo "$rflat / $r5" | bc -l)"
printf "read all: chain of 10      %7.2f s (%.2fx)\n" "$r10" "$ratio10"
printf "flatten the chain of 10    %7.2f s; dd of the image %7.2f s (%.2fx)\n" "$fl" "$dd" "$flr"
goal "a diff <= 10% of a full save's allocated bytes ($(alloc d5.frc) of $(alloc d0.frc))" "$(alloc d5.frc) <= $(alloc d0.frc) / 10"
goal "reading through a chain of 10 >= 0.9x of the flattened file ($(printf %.2f "$ratio10")x)" "$ratio10 >= 0.9"
goal "flatten >= 0.8x of the disk's speed ($(printf %.2f "$flr")x)" "$flr >= 0.8"
