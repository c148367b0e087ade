#!/bin/sh
# A real Linux guest (tests/make_guest.sh: Debian's kernel, a busybox
# initramfs keeping random bytes and a counter in memory, answering on its
# serial console) saved live into FRC and restored from it, on Debian's
# QEMU 7.2 and on QEMU 10.0 from bookworm-backports (tests/fetch_qemu.sh):
# the stream through exec:, QEMU 10's mapped-ram (multifd, direct-io), and
# each converted into the other. After every restore the guest memory
# equals the source's (pmemsave) and the guest answers with its state
# intact and goes on counting. TAP output.
# usage: tests/guest_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SER=$B/tests/serial_client
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-guest-XXXXXX")
. "$(dirname "$0")/tap.sh"
RD=
cleanup() {
	quit_all
	rm -rf "$T" ${RD:+"$RD"}
}
trap cleanup EXIT
cd "$T" || exit 1

G=$(sh "$SRC/tests/make_guest.sh") || { notok "the guest is built (tests/make_guest.sh)"; exit 1; }
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || { notok "QEMU 10.0 is fetched (tests/fetch_qemu.sh)"; exit 1; }
ok "the guest and QEMU 10.0 are there"
. "$SRC/tests/guest_lib.sh"

for v in 7 10; do
	# the stream, live, through exec: straight into FRC and back
	boot $v s$v
	sum=$(save s$v "exec:$FRC import-qemu -q - $T/s$v.frc")
	check "QEMU $v: live save into FRC through exec:" '[ -n "$sum" ] && "$FRC" check -q s$v.frc'
	start $v r$v -S -incoming "exec:$FRC export-qemu $T/s$v.frc -"
	restored $v r$v "$sum" "stream"
	eval "sum$v=\$sum"
done

# compressed (format 1.2): a live save straight into compressed frames,
# restored by QEMU from it
boot 10 z
zsum=$(save z "exec:$FRC import-qemu -q --compress - $T/z.frc")
check "QEMU 10: live save into compressed FRC through exec:" \
	'[ -n "$zsum" ] && "$FRC" check -q z.frc && "$FRC" info z.frc | grep -q "compressed-frames"'
start 10 rz -S -incoming "exec:$FRC export-qemu $T/z.frc -"
restored 10 rz "$zsum" "from compressed frames"

# QEMU 10's mapped-ram (multifd, direct-io) file, imported into FRC
boot 10 m
mapped m
msum=$(save m "file:$T/m.qemu")
check "QEMU 10: live mapped-ram save (multifd, direct-io)" '[ -n "$msum" ]'
"$FRC" import-qemu -q m.qemu m.frc
check "the mapped-ram save imports into FRC" '[ $? -eq 0 ] && "$FRC" check -q m.frc'
# ...restored from the mapped-ram file FRC gives back
"$FRC" export-qemu m.frc m.out
start 10 rm -S -incoming defer
mapped rm
qmp rm "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/m.out\"}}" > /dev/null
restored 10 rm "$msum" "mapped-ram"
rm -f m.out

# conversions: the mapped-ram save as a stream...
"$FRC" export-qemu --format=stream m.frc m2s.qemu
check "a mapped-ram save exports as a stream" '[ $? -eq 0 ]'
start 10 rm2s -S -incoming "exec:cat $T/m2s.qemu"
restored 10 rm2s "$msum" "mapped-ram converted to a stream"
# ...and the stream save as mapped-ram (an old save onto the fast path)
"$FRC" export-qemu --format=mapped-ram s10.frc s2m.qemu
check "a stream save exports as mapped-ram" '[ $? -eq 0 ]'
start 10 rs2m -S -incoming defer
mapped rs2m
qmp rs2m "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/s2m.qemu\"}}" > /dev/null
restored 10 rs2m "$sum10" "stream converted to mapped-ram"

# QEMU 10 saving mapped-ram straight into an FRC file, sealed in place
# (nothing copied), checked, and restored by QEMU from the FRC file itself
uri=$("$FRC" prepare-qemu ip.frc)
check "prepare-qemu makes the file and names the URI" \
	'[ "$uri" = "file:ip.frc,offset=1048576" ] && "$FRC" info ip.frc 2>&1 | grep -q incomplete'
boot 10 ip
mapped ip
isum=$(save ip "file:$T/ip.frc,offset=1048576")
check "QEMU 10: live mapped-ram save into the FRC file" '[ -n "$isum" ]'
"$FRC" check -q ip.frc 2>/dev/null
check "before sealing the file is incomplete" '[ $? -eq 3 ]'
# a save cut short (QEMU killed) is refused and left as it was
size=$(stat -c %s ip.frc)
head -c $((size - 5000)) ip.frc > cut.frc
cp cut.frc cut.orig
"$FRC" seal-qemu -q cut.frc 2>err
check "sealing a cut save is refused, naming the offset" \
	'[ $? -ne 0 ] && grep -q "offset 0x" err && cmp -s cut.frc cut.orig'
"$FRC" check -q cut.frc 2>/dev/null
check "and the cut file stays incomplete" '[ $? -eq 3 ]'
rm -f cut.frc cut.orig
"$FRC" seal-qemu -q m.qemu 2>err
check "a QEMU file frc did not prepare is not sealed" '[ $? -ne 0 ] && grep -q "prepare-qemu" err'
"$FRC" seal-qemu -q ip.frc
check "seal-qemu seals it" '[ $? -eq 0 ] && "$FRC" check -q ip.frc'
"$FRC" info --output=json ip.frc > ip.json
check "its regions are QEMU's page areas, in place" \
	'[ "$(jq -r ".metadata[\"qemu.file-offset\"]" ip.json)" = 1048576 ] &&
	 [ "$(jq "[.regions[] | select(.pages_offset >= 1048576)] | length" ip.json)" -eq "$(jq ".regions | length" ip.json)" ]'
"$FRC" seal-qemu -q ip.frc 2>err
check "sealing twice is refused" '[ $? -ne 0 ] && grep -q "already sealed" err'
start 10 rip -S -incoming defer
mapped rip
qmp rip "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/ip.frc,offset=1048576\"}}" > /dev/null
restored 10 rip "$isum" "restored in place from the sealed FRC file"
"$FRC" export-qemu --format=stream ip.frc ip.qemu
start 10 rips -S -incoming "exec:cat $T/ip.qemu"
restored 10 rips "$isum" "the sealed file exported as a stream"
rm -f ip.qemu

# guest RAM in a file QEMU shares (memory-backend-file, share=on): the seal
# checksums the paused guest's memory instead of reading the pages back,
# and a restore is verified in the guest's memory before it continues
RD=$(mktemp -d /dev/shm/frc-guest-XXXXXX 2>/dev/null) || RD=$T # tmpfs
ram() { echo "memory-backend-file,id=gm,mem-path=$RD/$1.ram,size=$MEM,share=on"; }
"$FRC" prepare-qemu gm.frc > /dev/null
start 10 gm -object "$(ram gm)" -machine memory-backend=gm
"$SER" -r gm.ser 120 hello hi > /dev/null
check "QEMU 10: a guest with shared RAM boots and answers" '[ "$(say gm ping pong)" = "pong 1" ]'
mapped gm
qmp gm '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824}}' > /dev/null
qmp gm "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/gm.frc,offset=1048576\"}}" > /dev/null
check "QEMU 10: live mapped-ram save of it into the FRC file" '[ "$(wait_migration gm)" = completed ]'
gsum=$(memsum gm)
truncate -s $MEM other.ram
cp gm.frc gm.orig
"$FRC" seal-qemu -q --memory=gm="$T/other.ram" gm.frc 2>err
check "sealing from memory that is not the guest's is refused, unchanged" \
	'[ $? -ne 0 ] && grep -q "differs from its memory" err && cmp -s gm.frc gm.orig'
rm -f gm.orig other.ram
"$FRC" seal-qemu -q --memory=gm="$RD/gm.ram" gm.frc
check "seal-qemu --memory seals it from the paused guest's RAM" '[ $? -eq 0 ] && "$FRC" check -q gm.frc'
quit gm
start 10 rgm -S -incoming defer -object "$(ram rgm)" -machine memory-backend=gm
mapped rgm
qmp rgm "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/gm.frc,offset=1048576\"}}" > /dev/null
st=$(wait_migration rgm)
"$FRC" check -q --memory=gm="$RD/rgm.ram" gm.frc
rc=$?
check "the restored guest's RAM verifies against the FRC file" '[ "$st" = completed ] && [ $rc -eq 0 ]'
cp "$RD/rgm.ram" bad.ram
printf 'Z' | dd of=bad.ram bs=1 seek=$((16 * 1048576 + 123)) conv=notrunc status=none
"$FRC" check --memory=gm="$T/bad.ram" gm.frc 2> err
check "one changed byte of guest RAM fails that check" '[ $? -eq 2 ] && grep -q "in its source" err'
rm -f bad.ram
restored 10 rgm "$gsum" "restored in place, verified in guest RAM"

# the same with QEMU's own anonymous guest RAM, read through /proc/PID/mem
# at the host address QEMU gives over QMP (--memory=ID=qmp:SOCKET)
"$FRC" prepare-qemu pm.frc > /dev/null
boot 10 pm
mapped pm
qmp pm '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824}}' > /dev/null
qmp pm "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/pm.frc,offset=1048576\"}}" > /dev/null
check "QEMU 10: live mapped-ram save into an FRC file (anonymous RAM)" '[ "$(wait_migration pm)" = completed ]'
psum=$(memsum pm)
mem=pc.ram=qmp:$T/pm.qmp
"$FRC" seal-qemu -q --memory="$mem" pm.frc
check "seal-qemu --memory seals it from QEMU's memory ($mem)" '[ $? -eq 0 ] && "$FRC" check -q pm.frc'
quit pm
start 10 rpm -S -incoming defer
mapped rpm
qmp rpm "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/pm.frc,offset=1048576\"}}" > /dev/null
st=$(wait_migration rpm)
"$FRC" check -q --memory=pc.ram=qmp:$T/rpm.qmp pm.frc
rc=$?
check "the restored guest's RAM in QEMU verifies against the FRC file" '[ "$st" = completed ] && [ $rc -eq 0 ]'
restored 10 rpm "$psum" "restored in place, verified in QEMU's memory"
# frc never writes into QEMU's own memory (frc restore-qemu writes only
# into a shared memory file QEMU was started with: tests/vmcmd_test.sh)
start 10 rpx -S -incoming defer
mem=pc.ram=qmp:$T/rpx.qmp
"$FRC" export-qemu --format=mapped-ram --memory="$mem" pm.frc rest.qemu 2> err
check "export-qemu --memory into QEMU's memory is refused, nothing made" \
	'[ $? -ne 0 ] && grep -q "never writes into another process" err && [ ! -e rest.qemu ]'
quit rpx

# the educational reader agrees with libfrc on every file made here:
# streams imported, mapped-ram imported, and saves sealed in place
. "$SRC/tests/reference.sh"
if [ -z "$REF" ]; then
	notok "python3 with xxhash is installed (tools/helpers/install_deps.sh)"
else
	bad=
	for f in s7.frc s10.frc m.frc ip.frc gm.frc pm.frc; do
		[ -f "$f" ] && agree "$f" || bad="$bad $f"
	done
	check "the educational reader reads every file made here as libfrc does" '[ -z "$bad" ]'
	[ -n "$bad" ] && echo "# disagree:$bad"
fi

# the QEMU benchmark (tools/qemu/qemu_bench.sh) runs and reports every path;
# its figures are printed, never judged here
TMPDIR=$T sh "$SRC/tools/qemu/qemu_bench.sh" -r 1 -s 64 -j qb.json "$B" > qb.txt 2>&1
st=$?
sed 's/^/# /' qb.txt
check "tools/qemu/qemu_bench.sh runs every path" \
	'[ $st -eq 0 ] && [ "$(jq ".rows | length" qb.json)" -eq 11 ] &&
	 [ "$(jq "[.rows[] | select(.save_s > 0 and .restore_s > 0)] | length" qb.json)" -eq 11 ] &&
	 [ "$(grep -c "^QEMU.* s .* s" qb.txt)" -eq 11 ] && [ "$(jq ".goals | length" qb.json)" -eq 10 ] &&
	 [ "$(grep -c "): \(NOT \)\?met" qb.txt)" -eq 10 ]'
check "and leaves nothing behind" '[ -z "$(ls -d "$T"/frc-qbench-* /dev/shm/frc-qbench-* 2>/dev/null)" ]'
[ "$fails" -eq 0 ]
