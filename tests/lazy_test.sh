#!/bin/sh
# Lazy restore of the real Linux guest (tests/make_guest.sh) from an FRC
# file served by `frc mount` (FUSE): QEMU 7.2 and 10.0 start with their
# RAM as memory-backend-file,mem-path=MOUNT/regions/pc.ram,share=off and
# load only what `frc export-qemu --omit=pc.ram` wrote (device state and
# the small RAM blocks); every page of guest RAM comes from the mount,
# verified, when first touched. After each restore guest memory equals
# the source's and the guest goes on counting; a damaged page stops QEMU
# when touched instead of letting it run on wrong bytes. TAP output.
# usage: tests/lazy_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SER=$B/tests/serial_client
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-lazy-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	quit_all
	sleep 0.2
	command -v unmount_all > /dev/null && unmount_all
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
	echo "not run - FUSE is not available here (/dev/fuse or fusermount3 missing)"
	exit 0
fi
G=$(sh "$SRC/tests/make_guest.sh") || { notok "the guest is built (tests/make_guest.sh)"; exit 1; }
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || { notok "QEMU 10.0 is fetched (tests/fetch_qemu.sh)"; exit 1; }
ok "the guest and QEMU 10.0 are there"
. "$SRC/tests/guest_lib.sh"

# lazy VERSION NAME MOUNT EXPORT [URI-KIND]: QEMU with its RAM on the
# mount, loading EXPORT
lazy() {
	lv=$1; ln=$2; lm=$3; le=$4
	start "$lv" "$ln" -S -incoming defer \
		-object "memory-backend-file,id=pc.ram,mem-path=$T/$lm/regions/pc.ram,size=$MEM,share=off" \
		-machine memory-backend=pc.ram
	case "$le" in
	*.mr) mapped "$ln"; uri="file:$T/$le" ;;
	*) uri="exec:cat $T/$le" ;;
	esac
	qmp "$ln" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$uri\"}}" > /dev/null
}

for v in 7 10; do
	boot $v s$v
	sum=$(save s$v "exec:$FRC import-qemu -q - $T/s$v.frc")
	check "QEMU $v: live save into FRC" '[ -n "$sum" ] && "$FRC" check -q s$v.frc'
	eval "sum$v=\$sum"
	mnt s$v.frc mnt$v
	mrc=$?
	check "QEMU $v: the save mounts, pc.ram as a file of the guest's size" \
		'[ $mrc -eq 0 ] && [ "$(stat -c %s mnt$v/regions/pc.ram)" -eq 268435456 ]'
	# QEMU 7.2 loads a stream, QEMU 10 mapped-ram: either without pc.ram
	if [ $v = 10 ]; then fmt=mapped-ram; ext=mr; else fmt=stream; ext=st; fi
	"$FRC" export-qemu --format=$fmt --omit=pc.ram s$v.frc lazy$v.$ext
	check "QEMU $v: export-qemu --omit=pc.ram writes the rest ($fmt)" \
		'[ $? -eq 0 ] && [ "$(du -k lazy$v.$ext | cut -f1)" -lt 8192 ]'
	lazy $v l$v mnt$v lazy$v.$ext
	restored $v l$v "$sum" "lazy from frc mount"
	# the one command: restore-qemu --lazy finds the block on the mount
	start $v k$v -S -incoming defer \
		-object "memory-backend-file,id=pc.ram,mem-path=$T/mnt$v/regions/pc.ram,size=$MEM,share=off" \
		-machine memory-backend=pc.ram
	"$FRC" restore-qemu --qmp k$v.qmp --lazy --paused --json s$v.frc > k.json
	check "QEMU $v: restore-qemu --lazy streams all but pc.ram, read from the mount" \
		'[ $? -eq 0 ] && [ "$(jq -r .path k.json)" = lazy ]'
	restored $v k$v "$sum" "restore-qemu --lazy"
	grep -q "check\|mismatch" mnt$v.log
	check "QEMU $v: the mount logged no failed check" '[ $? -ne 0 ]'
	umnt mnt$v
done

# --lazy refused when no block is on a mount of the file: a QEMU with its
# own RAM, and one whose RAM is on the mount of another file
inmigrate() { qmp "$1" '{"execute":"query-status"}' | grep -q '"inmigrate"'; }
start 10 kn -S -incoming defer
"$FRC" restore-qemu --qmp kn.qmp --lazy s10.frc 2> kn.err
check "--lazy into a QEMU with its own RAM: refused, saying how to start it" \
	'[ $? -eq 1 ] && grep -q "frc mount" kn.err && grep -q "mem-path=DIR/regions/ID" kn.err && inmigrate kn'
quit kn
mnt s7.frc mntx
start 10 kx -S -incoming defer \
	-object "memory-backend-file,id=pc.ram,mem-path=$T/mntx/regions/pc.ram,size=$MEM,share=off" \
	-machine memory-backend=pc.ram
"$FRC" restore-qemu --qmp kx.qmp --lazy s10.frc 2> kx.err
check "--lazy with RAM on the mount of another file: refused by its UUID" \
	'[ $? -eq 1 ] && grep -q "another UUID" kx.err && inmigrate kx'
sed 's/^/# /' kn.err kx.err
quit kx
umnt mntx

# compressed, with prefetch: everything in the page cache ahead of the
# guest's faults
"$FRC" convert -q --compress s10.frc z10.frc
mnt z10.frc mntz --prefetch
lazy 10 lz mntz lazy10.mr
restored 10 lz "$sum10" "lazy from compressed frames, with prefetch"
check "the prefetch completed and said so" 'grep -q "prefetch of region file pc.ram complete" mntz.log'
umnt mntz

# QEMU 7.2 opens its mem-path read-write: the FRC file is still untouched
check "the mounted files were never written" \
	'"$FRC" check -q s7.frc && "$FRC" check -q s10.frc && "$FRC" check -q z10.frc'

# a damaged page: QEMU stops when it touches it (SIGBUS), never runs on
# the wrong bytes; the mount logs the file, the offset and the rule
cp s10.frc bad.frc
mnt s10.frc mntp
pages_off=$("$FRC" info --output=json s10.frc | jq '.regions[] | select(.id == "pc.ram") | .pages_offset')
page=$(python3 -c "import os; fd=os.open('mntp/regions/pc.ram', os.O_RDONLY); print(os.lseek(fd, 200 << 20, os.SEEK_DATA) // 4096)")
umnt mntp
printf '\001' | dd of=bad.frc bs=1 seek=$((pages_off + page * 4096 + 77)) conv=notrunc status=none
mnt bad.frc mntb
lazy 10 lb mntb lazy10.mr
st=$(wait_migration lb)
qmp lb '{"execute":"cont"}' > /dev/null
hmp lb "pmemsave 0 268435456 \\\"$T/lb.mem\\\""
sleep 1
pid=$(qemu_pid lb)
check "QEMU stops when it touches the damaged page (page $page)" \
	'[ "$st" = completed ] && [ -z "$pid" ] && [ "$(stat -c %s lb.mem 2>/dev/null || echo 0)" -lt 268435456 ]'
sed 's/^/# /' mntb.log
check "the mount logged it: file, offset, rule" \
	'grep "bad.frc" mntb.log | grep -q "0x[0-9a-f]*.*checksum\|checksum.*0x"'
rm -f "$T/lb.ser" "$T/lb.qmp"
umnt mntb

# the restore benchmark (tools/qemu/restore_bench.sh) runs every path on a
# small guest; its figures are printed, never judged here
TMPDIR=$T sh "$SRC/tools/qemu/restore_bench.sh" -r 1 -s 256 -j rb.json "$B" > rb.txt 2>&1
st=$?
sed 's/^/# /' rb.txt
check "tools/qemu/restore_bench.sh runs every path and judges every goal" \
	'[ $st -eq 0 ] && [ "$(jq ".sizes | length" rb.json)" -eq 1 ] &&
	 [ "$(jq "[.sizes[0] | .eager_s, .frc_eager_s, .lazy_s, .prefetch_s, .resident_s, .mount_cold_p50_us, .seq_mount_s | select(. > 0)] | length" rb.json)" -eq 7 ] &&
	 [ "$(jq ".goals | length" rb.json)" -eq 5 ] && [ "$(grep -c "): \(NOT \)\?met" rb.txt)" -eq 5 ]'
check "and leaves nothing behind" '[ -z "$(ls -d "$T"/frc-rbench-* 2>/dev/null)" ] && ! grep -q "frc-rbench" /proc/self/mountinfo'
[ "$fails" -eq 0 ]
