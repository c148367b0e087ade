#!/bin/sh
# make bench-identity: what format 1.3's content identity costs.
#   - save speed: `frc create` of a SIZE MiB guest image (3/4 random
#     pages, 1/4 zero pages, from tmpfs) with and without --digest, on 2
#     CPUs (taskset), rounds interleaved, medians; goal >= 0.8x;
#   - verification: `frc check` of both files, medians (no goal);
#   - opening a signed file and checking its signature (in one process,
#     median of 200): goal <= 1 ms;
#   - bytes of digests read to check one page against the root (first,
#     middle and last page of a fresh reader): goal <= 64 KiB.
# The machine's other work shows as noise: read the ratios, not the times.
# usage: tools/helpers/identity_bench.sh [-r ROUNDS] [-s SIZE_MIB] BUILD_DIR
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
PROBE=$B/tests/identity_probe
for f in "$FRC" "$PROBE"; do
	[ -x "$f" ] || { echo "identity_bench: $f is missing (make all $PROBE)" >&2; exit 1; }
done
command -v taskset >/dev/null || { echo "identity_bench: needs taskset (util-linux)" >&2; exit 1; }
BENCH=identity_bench
. "$(dirname "$0")/bench_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-idbench-XXXXXX")
M=$(mktemp -d /dev/shm/frc-idbench-XXXXXX)
trap 'rm -rf "$T" "$M"' EXIT
cd "$T" || exit 1

# the image: 3/4 random pages, 1/4 zero pages, interleaved per MiB
python3 - "$M/ram.img" "$SIZE" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for mib in range(int(sys.argv[2])):
        f.write(os.urandom(768 * 1024) + bytes(256 * 1024))
PY
for i in $(seq "$ROUNDS"); do
	timed plain.t taskset -c 0,1 "$FRC" create -q -f -r pc.ram="$M/ram.img" plain.frc
	timed digest.t taskset -c 0,1 "$FRC" create -q -f --digest -r pc.ram="$M/ram.img" digest.frc
	timed cplain.t taskset -c 0,1 "$FRC" check -q plain.frc
	timed cdigest.t taskset -c 0,1 "$FRC" check -q digest.frc
done
sp=$(median < plain.t); sd=$(median < digest.t)
cp_=$(median < cplain.t); cd_=$(median < cdigest.t)
ratio=$(echo "$sp / $sd" | bc -l)
cratio=$(echo "$cp_ / $cd_" | bc -l)

openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null
"$FRC" sign -q --key key.pem digest.frc || exit 1
key=$("$FRC" info --output=json digest.frc | jq -r '.content.signatures[0].public_key')
"$PROBE" sig digest.frc "$key" 200 > sig.out || exit 1
"$PROBE" page digest.frc plain.frc > page.out || exit 1
. ./sig.out
. ./page.out
dmax=$digest_bytes_first
for v in $digest_bytes_middle $digest_bytes_last; do [ "$v" -gt "$dmax" ] && dmax=$v; done

echo "# format 1.3 content identity: $SIZE MiB image, 2 CPUs, medians of $ROUNDS interleaved rounds"
printf "%-36s %10s %10s %8s\n" "" "plain" "--digest" "speed"
printf "%-36s %9.2fs %9.2fs %7.2fx\n" "frc create (save)" "$sp" "$sd" "$ratio"
printf "%-36s %9.2fs %9.2fs %7.2fx\n" "frc check (verify everything)" "$cp_" "$cd_" "$cratio"
echo "open a signed file + check its signature: median $sig_us_median us, max $sig_us_max us (200 runs)"
echo "digests read to check one page: first $digest_bytes_first, middle $digest_bytes_middle, last $digest_bytes_last bytes"
goal "save with strong digests >= 0.8x the speed without ($(printf %.2f "$ratio")x)" "$ratio >= 0.8"
goal "open + signature check <= 1 ms (${sig_us_median} us)" "$sig_us_median <= 1000"
goal "one page checked against the root reads <= 64 KiB of digests ($dmax bytes)" "$dmax <= 65536"
