#!/bin/sh
# Restore in milliseconds, every page verified: the real Linux guest of
# tests/make_guest.sh with half its RAM random data (-device loader), saved
# once per size by QEMU 10's mapped-ram, imported into FRC, then restored
# ROUNDS times by each path, interleaved, the page cache dropped before
# every restore (when root). A restore is timed from migrate-incoming to
# the guest answering "ping" on its serial console (QEMU continued as soon
# as it has loaded):
#   eager    QEMU 10 mapped-ram + multifd + direct-io (unverified)
#   frc      FRC's fastest eager verified restore: `frc restore-qemu`
#            (path shared-memory) of the save `frc save-qemu` made of the
#            same guest: every page verified and written by frc into the
#            fresh QEMU's RAM, a shared file, QEMU loading the rest
# The source guest's RAM is a shared file (memory-backend-file,
# share=on, in /dev/shm), as the frc path needs; the other paths restore
# into QEMU's own RAM or the mount.
#   lazy     QEMU's RAM a private mapping of `frc mount`'s region file,
#            QEMU loading only what export-qemu --omit=pc.ram wrote
#   prefetch lazy, the mount prefetching (--prefetch); also the time until
#            every present page is in the page cache, from QEMU's open
# Through the mount of the same file: random 4 KiB reads of present pages
# (p50/p99, cold after dropping caches, then warm), and a sequential read
# of the region file against `frc extract` of it. KVM when /dev/kvm boots
# the guest, else TCG (said). Text and JSON (-j); goals judged ("goals:").
# usage: tools/qemu/restore_bench.sh [-r ROUNDS] [-s "SIZES_MIB"] [-j FILE]
#                                    [BUILD_DIR]
set -u
ROUNDS=3
SIZES="1024 4096 8192"
JSON=
while getopts r:s:j: o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	s) SIZES=$OPTARG ;;
	j) JSON=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s \"SIZES_MIB\"] [-j FILE.json] [BUILD_DIR]" >&2; exit 1 ;;
	esac
done
shift $((OPTIND - 1))
case $JSON in "" | /*) ;; *) JSON=$PWD/$JSON ;; esac
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SER=$B/tests/serial_client
for f in "$FRC" "$QMP" "$SER"; do
	[ -x "$f" ] || { echo "restore_bench: $f is missing (make bench-restore builds it)" >&2; exit 1; }
done
if [ ! -c /dev/fuse ] || ! command -v fusermount3 > /dev/null 2>&1; then
	echo "restore_bench: FUSE is not available (/dev/fuse, fusermount3)" >&2
	exit 1
fi
G=$(sh "$SRC/tests/make_guest.sh") || exit 1
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || exit 1
T=$(mktemp -d "${TMPDIR:-$B}/frc-rbench-XXXXXX")
# guest RAM shared with frc lives in memory (tmpfs), not on the disk
RD=$(mktemp -d /dev/shm/frc-rbench-XXXXXX 2>/dev/null) || RD=$T
cd "$T" || exit 1
. "$SRC/tests/tap.sh"
. "$SRC/tests/guest_lib.sh"
GUEST_MIB=16
cleanup() {
	quit_all
	sleep 0.3
	unmount_all
	rm -rf "$T" "$RD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
DROP=yes
[ -w /proc/sys/vm/drop_caches ] || DROP="no (not root)"
drop() { [ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches; }
BENCH=restore_bench
. "$SRC/tools/helpers/bench_lib.sh"
sub() { echo "$1 $2" | awk '{printf "%.3f", $2 - $1}'; }
die() { echo "restore_bench: $*" >&2; exit 1; }

# KVM when it boots the guest here, else TCG
ACCEL=tcg
if [ -w /dev/kvm ]; then
	MEM=256M
	ACCEL=kvm
	start 10 probe
	"$SER" -r probe.ser 20 hello hi > /dev/null 2>&1 || ACCEL=tcg
	qmp probe '{"execute":"quit"}' > /dev/null 2>&1
	sleep 0.3
fi
echo "accelerator: $ACCEL$([ $ACCEL = tcg ] && [ -e /dev/kvm ] && echo " (KVM did not boot the guest here)")"

# loaders SIZE: -device loader options putting SIZE/2 MiB of random data
# into guest RAM, below 3 GiB from 512 MiB on and the rest from 4 GiB on
loaders() {
	half=$(($1 / 2)); low=$((half < 2560 ? half : 2560)); high=$((half - low))
	head -c $((low * 1048576)) /dev/urandom > low.bin
	echo "-device loader,file=$T/low.bin,addr=0x20000000,force-raw=on"
	if [ $high -gt 0 ]; then
		head -c $((high * 1048576)) /dev/urandom > high.bin
		echo "-device loader,file=$T/high.bin,addr=0x100000000,force-raw=on"
	fi
}
# answered NAME T0: seconds from T0 to the guest's pong (after cont)
answered() {
	qmp "$1" '{"execute":"cont"}' > /dev/null
	"$SER" -r "$1.ser" 120 ping pong > /dev/null || die "$1: the guest did not answer"
	sub "$2" "$(now)"
}
ram_on() { echo "memory-backend-file,id=pc.ram,mem-path=$T/$1/regions/pc.ram,size=$MEM,share=off"; }
shm_on() { echo "memory-backend-file,id=pc.ram,mem-path=$RD/$1.ram,size=$MEM,share=on"; }
incoming() { qmp "$1" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$2\"}}" > /dev/null; }
# loaded NAME: until the restore completed (polled every 10 ms)
loaded() {
	i=0
	while [ $i -lt 30000 ]; do
		case "$(status "$1")" in
		completed) return 0 ;;
		failed | cancelled) die "$1: the restore failed" ;;
		esac
		sleep 0.01; i=$((i + 1))
	done
	die "$1: the restore did not end"
}
gone() { quit "$1"; i=0; while [ -n "$(qemu_pid "$1")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; }

# one restore of PATH (eager frc lazy prefetch): "SECONDS [RESIDENT]"
restore_one() {
	drop
	case $1 in
	eager)
		start 10 d -S -incoming defer
		mapped d
		t0=$(now); incoming d "file:$T/vm.qemu"; loaded d
		echo "$(answered d "$t0")" ;;
	frc)
		start 10 d -S -incoming defer -object "$(shm_on d)" -machine memory-backend=pc.ram
		t0=$(now)
		"$FRC" restore-qemu -q --paused --path=shared-memory --qmp "$T/d.qmp" vm-shm.frc || die "restore-qemu failed"
		echo "$(answered d "$t0")"
		gone d
		rm -f "$RD/d.ram" ;;
	lazy | prefetch)
		if [ $1 = prefetch ]; then mnt vm.frc mnt --prefetch; else mnt vm.frc mnt; fi || die "mount failed"
		start 10 d -S -incoming defer -object "$(ram_on mnt)" -machine memory-backend=pc.ram
		mapped d
		t0=$(now); incoming d "file:$T/lazy.qemu"; loaded d
		a=$(answered d "$t0")
		res=
		if [ $1 = prefetch ]; then
			i=0
			while ! grep -q "prefetch of region file pc.ram complete" mnt.log && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
			res=$(sed -n 's/.*pc.ram complete: [0-9]* bytes of present pages in \([0-9.]*\) s.*/\1/p' mnt.log)
			[ -n "$res" ] || die "prefetch did not complete"
		fi
		echo "$a $res"
		gone d
		umnt mnt || die "mnt stays busy"
		rm -f mnt.log ;;
	esac
	gone d
}

# random 4 KiB reads of present pages through the mount just made on an
# empty page cache (the mount asks the checksum tables in, as any mount
# does), cold then warm; prints "cold_p50 cold_p99 warm_p50 warm_p99" in
# microseconds, then the same for O_DIRECT reads of other present pages
# straight from the FRC file (the disk's own latency, for comparison)
randreads() {
	python3 - "$1" "$2" "$3" << 'EOF'
import mmap, os, random, sys, time
path, frc, pages_off = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
size = os.fstat(fd).st_size
r = random.Random(5)
offs = []
while len(offs) < 2000:
    o = r.randrange(0, size // 4096) * 4096
    try:
        if os.lseek(fd, o, os.SEEK_DATA) == o:
            offs.append(o)
    except OSError:
        pass
def run():
    t = []
    for o in offs:
        a = time.perf_counter_ns()
        os.pread(fd, 4096, o)
        t.append((time.perf_counter_ns() - a) / 1000)
    t.sort()
    return t[len(t) // 2], t[len(t) * 99 // 100]
c = run()
w = run()
dfd = os.open(frc, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
t = []
for o in offs[len(offs) // 2:]:
    o = pages_off + o + 4096 if os.lseek(fd, o + 4096, os.SEEK_DATA) == o + 4096 else pages_off + o
    a = time.perf_counter_ns()
    os.preadv(dfd, [buf], o)
    t.append((time.perf_counter_ns() - a) / 1000)
t.sort()
print("%.1f %.1f %.1f %.1f %.1f %.1f" % (c + w + (t[len(t) // 2], t[len(t) * 99 // 100])))
EOF
}

ALL="eager frc lazy prefetch"
RESULTS=
for size in $SIZES; do
	MEM=${size}M
	echo "== ${size} MiB guest, $(($size / 2)) MiB of random data"
	extra=$(loaders "$size")
	# shellcheck disable=SC2086
	start 10 s $extra -object "$(shm_on s)" -machine memory-backend=pc.ram
	"$SER" -r s.ser 300 hello hi > /dev/null || die "the guest did not boot"
	[ "$(say s ping pong)" = "pong 1" ] || die "the guest did not answer"
	# the frc path's save: one command (the guest runs on after it), then
	# QEMU's own live save of the same guest for the other paths
	"$FRC" save-qemu -q --path=shared-memory --qmp "$T/s.qmp" vm-shm.frc || die "save-qemu failed"
	mapped s
	qmp s '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":107374182400}}' > /dev/null
	qmp s "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/vm.qemu\"}}" > /dev/null
	[ "$(wait_migration s)" = completed ] || die "the save failed"
	gone s
	rm -f "$RD/s.ram"
	rm -f low.bin high.bin
	"$FRC" import-qemu -q vm.qemu vm.frc || die "import failed"
	t0=$(now)
	"$FRC" export-qemu --format=mapped-ram --omit=pc.ram vm.frc lazy.qemu || die "export --omit failed"
	prep=$(sub "$t0" "$(now)")
	for p in $ALL; do eval "R_$p=; X_$p="; done
	round=1
	while [ $round -le "$ROUNDS" ]; do
		for p in $ALL; do
			out=$(restore_one $p) || exit 1
			eval "R_$p=\"\$R_$p ${out%% *}\""
			[ $p = prefetch ] && eval "X_$p=\"\$X_$p ${out#* }\""
		done
		round=$((round + 1))
	done
	# through the mount
	drop
	mnt vm.frc mnt || die "mount failed"
	sleep 1
	po=$("$FRC" info --output=json vm.frc | python3 -c 'import json, sys; print([g for g in json.load(sys.stdin)["regions"] if g["id"] == "pc.ram"][0]["pages_offset"])')
	rr=$(randreads "$T/mnt/regions/pc.ram" "$T/vm.frc" "$po")
	seq_m=; seq_x=
	round=1
	while [ $round -le "$ROUNDS" ]; do
		drop; t0=$(now); cat mnt/regions/pc.ram > /dev/null || die "read of the mount failed"; seq_m="$seq_m $(sub "$t0" "$(now)")"
		drop; t0=$(now); "$FRC" extract -q vm.frc -r pc.ram -o /dev/null || die "extract failed"; seq_x="$seq_x $(sub "$t0" "$(now)")"
		round=$((round + 1))
	done
	umnt mnt || die "mnt stays busy"
	line="$size $prep"
	for p in $ALL; do line="$line $(eval "echo \$R_$p" | median)"; done
	line="$line $(echo "$X_prefetch" | median) $rr $(echo "$seq_m" | median) $(echo "$seq_x" | median)"
	RESULTS="$RESULTS$line
"
	rm -f vm.qemu vm.frc vm-shm.frc lazy.qemu
done

# the report
printf 'Restore of the real guest, QEMU 10.0, %s, %s rounds (medians), page cache dropped before each: %s\n' "$ACCEL" "$ROUNDS" "$DROP"
printf '%-8s %10s %10s %10s %10s %12s %20s %20s %20s %16s\n' size eager frc-eager lazy prefetch resident "mount cold p50/p99" "mount warm p50/p99" "disk O_DIRECT p50/99" "seq mount/extr"
echo "$RESULTS" | while read -r size prep e f l p res c50 c99 w50 w99 d50 d99 sm sx; do
	[ -n "$size" ] || continue
	printf '%-8s %8.3f s %8.3f s %8.3f s %8.3f s %10.3f s %10.0f/%-6.0f us %10.1f/%-6.1f us %10.0f/%-6.0f us %6.2f/%-6.2f s\n' \
		"${size}M" "$e" "$f" "$l" "$p" "$res" "$c50" "$c99" "$w50" "$w99" "$d50" "$d99" "$sm" "$sx"
done
echo "(times from migrate-incoming to the guest's answer; resident: from QEMU's open of the region file to every present page in the cache; lazy paths need export-qemu --omit first: $(echo "$RESULTS" | awk 'NF {printf "%s%.3f s at %sM", s, $2, $1; s=", "}'))"
echo "goals:"
judge() { # WHAT GOT LIMIT OP(le|ge): a line, and an entry of the JSON
	met=$(echo "$2 $3 $4" | awk '{print (($3 == "le" && $1 <= $2) || ($3 == "ge" && $1 >= $2)) ? "met" : "NOT met"}')
	printf '  %-62s %10s (goal %s %s): %s\n' "$1" "$2" "$([ "$4" = le ] && echo "<=" || echo ">=")" "$3" "$met"
	GOALS="$GOALS${GOALS:+, }{\"goal\": \"$1\", \"value\": $2, \"limit\": $3, \"met\": $([ "$met" = met ] && echo true || echo false)}"
}
GOALS=
for size in $SIZES; do
	set -- $(echo "$RESULTS" | awk -v s="$size" '$1 == s')
	e=$3; f=$4; l=$5; p=$6; res=$7; c50=$8; c99=$9; sm=${14}; sx=${15}
	judge "${size} MiB: lazy restore answers within 0.25 s (s)" "$l" 0.25 le
	judge "${size} MiB: all RAM resident with prefetch / fastest eager verified" "$(echo "$res $f" | awk '{printf "%.2f", $1 / $2}')" 1.2 le
	judge "${size} MiB: mount, cold random 4 KiB read p50 (us)" "$c50" 100 le
	judge "${size} MiB: mount, cold random 4 KiB read p99 (us)" "$c99" 1000 le
	judge "${size} MiB: mount sequential read speed / frc extract's" "$(echo "$sx $sm" | awk '{printf "%.2f", $1 / $2}')" 0.8 ge
done
if [ -n "$JSON" ]; then
	{
		printf '{"accelerator": "%s", "rounds": %s, "cache_dropped": %s, "sizes": [' "$ACCEL" "$ROUNDS" "$([ "$DROP" = yes ] && echo true || echo false)"
		echo "$RESULTS" | awk 'NF {printf "%s{\"size_mib\": %s, \"export_omit_s\": %s, \"eager_s\": %s, \"frc_eager_s\": %s, \"lazy_s\": %s, \"prefetch_s\": %s, \"resident_s\": %s, \"mount_cold_p50_us\": %s, \"mount_cold_p99_us\": %s, \"mount_warm_p50_us\": %s, \"mount_warm_p99_us\": %s, \"disk_direct_p50_us\": %s, \"disk_direct_p99_us\": %s, \"seq_mount_s\": %s, \"seq_extract_s\": %s}", s, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15; s = ", "}'
		printf '], "goals": [%s]}\n' "$GOALS"
	} > "$JSON"
fi
exit 0
