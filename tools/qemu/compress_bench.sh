#!/bin/sh
# compress_bench.sh - compressed FRC (format 1.2) against uncompressed FRC
# and against zstd -1 / -3 of the same QEMU stream (what a user would do
# instead), on two corpora made here, in the same run:
#   guest      a real Linux guest (tests/make_guest.sh: Debian's kernel, a
#              busybox initramfs holding 16 MiB of random bytes), 512 MiB of
#              RAM, booted under QEMU 10.0 TCG (tests/fetch_qemu.sh), after
#              some work (it hashes its memory and answers on its console),
#              saved as a QEMU stream;
#   synthetic  the guest of tools/qemu/qemu_bench.sh: 512 MiB of RAM holding
#              SIZE MiB of random data (nothing to compress: the frames stay
#              raw).
# For each: allocated size, save (import-qemu: stream -> FRC) and verified
# restore (export-qemu: FRC -> stream, every page decompressed and
# verified) in GB/s of guest RAM, zstd's compression and decompression of
# the stream, one random verified page read (frc bench --read-latency), and
# the frame-size trade-off on the real guest. Files in the page cache (warm),
# best of ROUNDS. Prints the table and the goals of issue 14. The two QEMU
# streams are kept in .deps/corpus/ and reused (-n makes them anew).
# usage: tools/qemu/compress_bench.sh [-n] [-r ROUNDS] [-s SIZE_MIB] BUILD_DIR
ROUNDS=3
SIZE=128
NEW=
while getopts nr:s: o; do
	case $o in
	n) NEW=1 ;;
	r) ROUNDS=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s SIZE_MIB] BUILD_DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SER=$B/tests/serial_client
for f in "$FRC" "$QMP" "$SER"; do
	[ -x "$f" ] || { echo "compress_bench: $f is missing (make all $B/tests/qmp_client $B/tests/serial_client)" >&2; exit 1; }
done
command -v zstd >/dev/null || { echo "compress_bench: needs zstd (Debian package zstd)" >&2; exit 1; }
G=$(sh "$SRC/tests/make_guest.sh") || exit 1
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || exit 1
T=$(mktemp -d "${TMPDIR:-/var/tmp}/frc-cbench-XXXXXX")
trap 'quit_all; rm -rf "$T"' EXIT
. "$SRC/tools/qemu/qemu_lib.sh"
MEM_MIB=512

BENCH=compress_bench
. "$SRC/tools/helpers/bench_lib.sh"
secs() { calc "$2 - $1"; }
# best CMD...: the best wall time of ROUNDS runs, in seconds
best() {
	b=
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		t0=$(now); "$@" || { echo "compress_bench: failed: $*" >&2; exit 1; }; t1=$(now)
		t=$(secs "$t0" "$t1")
		if [ -z "$b" ] || holds "$t < $b"; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
gbps() { calc "$MEM_MIB * 1048576 / $1 / 1000000000"; }
wait_done() {
	i=0
	while [ $i -lt 900 ]; do
		case "$(status "$1")" in completed) return 0 ;; failed|cancelled) return 1 ;; esac
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
save_stream() { # NAME OUT: stop NAME and save it as a QEMU stream
	qmp "$1" '{"execute":"stop"}' > /dev/null
	qmp "$1" '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4294967296}}' > /dev/null
	qmp "$1" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $2\"}}" > /dev/null
	wait_done "$1" || { echo "compress_bench: the save of $1 failed" >&2; exit 1; }
	qmp "$1" '{"execute":"quit"}' > /dev/null 2>&1
}

# --- the corpora ------------------------------------------------------
cd "$T" || exit 1
CORPUS=$SRC/.deps/corpus
mkdir -p "$CORPUS"
if [ -n "$NEW" ] || [ ! -s "$CORPUS/guest.qemu" ] || [ ! -s "$CORPUS/synthetic.qemu" ]; then
qemu 10 -machine pc,accel=tcg -m ${MEM_MIB}M -nodefaults -display none \
	-kernel "$G/vmlinuz" -initrd "$G/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=0 frc.mem=16" \
	-chardev "socket,id=s0,path=$T/g.ser,server=on,wait=off" \
	-serial chardev:s0 -qmp "unix:$T/g.qmp,server=on,wait=off" > g.log 2>&1 &
wait_socket g
"$SER" -r g.ser 120 hello hi > /dev/null || { echo "compress_bench: the guest did not boot" >&2; exit 1; }
for w in sum:sum ping:pong sum:sum ping:pong; do
	"$SER" g.ser 60 "${w%%:*}" "${w#*:}" > /dev/null
done
save_stream g guest.qemu
head -c $((SIZE * 1048576)) /dev/urandom > payload.bin
qemu 10 -machine pc,accel=tcg -m ${MEM_MIB}M -nodefaults -display none -S \
	-device "loader,file=$T/payload.bin,addr=0x1000000,force-raw=on" \
	-qmp "unix:$T/s.qmp,server=on,wait=off" > s.log 2>&1 &
wait_socket s
save_stream s synthetic.qemu
mv guest.qemu synthetic.qemu "$CORPUS/"
fi
ln -s "$CORPUS/guest.qemu" guest.qemu
ln -s "$CORPUS/synthetic.qemu" synthetic.qemu
echo "corpus: $(ls -l "$CORPUS/guest.qemu" | awk '{print $5}') bytes of real guest stream, $(ls -l "$CORPUS/synthetic.qemu" | awk '{print $5}') of synthetic ($CORPUS)"

# --- measurements -----------------------------------------------------
printf '%-10s %-22s %12s %10s %10s %9s\n' corpus file "allocated" "save GB/s" "rest GB/s" "read us"
report() { # CORPUS NAME FILE SAVE_S RESTORE_S LATENCY
	printf '%-10s %-22s %12s %10s %10s %9s\n' "$1" "$2" "$(alloc "$3")" \
		"$(gbps "$4")" "$(gbps "$5")" "$6"
}
latency() { "$FRC" bench --read-latency "$1" | sed -n 's/.*median \([0-9.]*\) us.*/\1/p'; }
for c in guest synthetic; do
	S=$c.qemu
	z1=$(best sh -c "zstd -q -1 -T1 -f -o $c.z1 $S")
	z3=$(best sh -c "zstd -q -3 -T1 -f -o $c.z3 $S")
	d3=$(best sh -c "zstd -q -d -c $c.z3 > /dev/null")
	su=$(best "$FRC" import-qemu -q -f "$S" "$c.frc")
	ru=$(best sh -c "'$FRC' export-qemu '$c.frc' - > /dev/null")
	s1=$(best "$FRC" import-qemu -q -f --compress=1 "$S" "$c.c1.frc")
	s3=$(best "$FRC" import-qemu -q -f --compress=3 "$S" "$c.c3.frc")
	r1=$(best sh -c "'$FRC' export-qemu '$c.c1.frc' - > /dev/null")
	r3=$(best sh -c "'$FRC' export-qemu '$c.c3.frc' - > /dev/null")
	printf '%-10s %-22s %12s %10s %10s %9s\n' "$c" "QEMU stream" "$(alloc "$S")" - - -
	printf '%-10s %-22s %12s %10s %10s %9s\n' "$c" "zstd -1 of the stream" "$(alloc $c.z1)" "$(gbps "$z1")" - -
	printf '%-10s %-22s %12s %10s %10s %9s\n' "$c" "zstd -3 of the stream" "$(alloc $c.z3)" "$(gbps "$z3")" "$(gbps "$d3")" -
	report "$c" "FRC" "$c.frc" "$su" "$ru" "$(latency $c.frc)"
	report "$c" "FRC --compress=1" "$c.c1.frc" "$s1" "$r1" "$(latency $c.c1.frc)"
	report "$c" "FRC --compress=3" "$c.c3.frc" "$s3" "$r3" "$(latency $c.c3.frc)"
	eval "${c}_z3=$(alloc $c.z3) ${c}_c3=$(alloc $c.c3.frc) ${c}_s3=$s3 ${c}_r3=$r3"
done

echo
echo "frame size on the real guest (--compress=3):"
printf '%-8s %12s %10s %10s %9s\n' frame allocated "save GB/s" "rest GB/s" "read us"
for fs in 16K 64K 256K 1M; do
	s=$(best "$FRC" import-qemu -q -f --compress=3 --frame=$fs guest.qemu f.frc)
	r=$(best sh -c "'$FRC' export-qemu f.frc - > /dev/null")
	printf '%-8s %12s %10s %10s %9s\n' "$fs" "$(alloc f.frc)" "$(gbps "$s")" "$(gbps "$r")" "$(latency f.frc)"
	[ "$fs" = 64K ] && lat64=$(latency f.frc)
done

echo
ratio=$(calc "$guest_c3 / $guest_z3")
goal "allocated size within 10% of zstd -3 of the stream (real guest: ${ratio}x)" "$ratio <= 1.10"
goal "compressed save >= 1 GB/s of guest data (real guest: $(gbps "$guest_s3") GB/s)" "$(gbps "$guest_s3") >= 1"
goal "verified restore >= 1.5 GB/s (real guest: $(gbps "$guest_r3") GB/s)" "$(gbps "$guest_r3") >= 1.5"
goal "one random page read under 100 us with 64 KiB frames (median ${lat64} us)" "$lat64 < 100"
