#!/bin/sh
# `frc save-qemu` and `frc restore-qemu`: the real Linux guest
# (tests/make_guest.sh) saved from a running QEMU 7.2 and 10.0 and restored
# into a fresh one by one command each, over QMP: guest memory identical,
# the guest running and counting on. Failures leave the VM as it was and
# no file that reads as complete: a full disk, QEMU killed in the middle
# of a save, no QEMU on the socket, a QEMU not waiting for a restore, a
# damaged page, a file not saved from QEMU. A chain of three saves, each on
# the one before (format 1.3), restored with identical memory. TAP output.
# usage: tests/vmcmd_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SER=$B/tests/serial_client
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-vmcmd-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	quit_all
	sleep 0.2
	mountpoint -q "$T/full" 2>/dev/null && umount "$T/full"
	rm -rf "$T" ${RD:+"$RD"}
}
trap cleanup EXIT
cd "$T" || exit 1

G=$(sh "$SRC/tests/make_guest.sh") || { notok "the guest is built (tests/make_guest.sh)"; exit 1; }
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || { notok "QEMU 10.0 is fetched (tests/fetch_qemu.sh)"; exit 1; }
ok "the guest and QEMU 10.0 are there"
. "$SRC/tests/guest_lib.sh"

bandwidth() { qmp "$1" '{"execute":"query-migrate-parameters"}' | jq '.return."max-bandwidth"'; }
# runs_on NAME SUM WHAT PONG: the guest's memory equals SUM and, continued,
# it answers PONG with its random bytes intact; then QEMU is quit
runs_on() {
	ro_n=$1; ro_sum=$2; ro_what=$3; ro_pong=$4
	got=$(memsum "$ro_n")
	check "$ro_what: guest memory equals the source's" '[ -n "$ro_sum" ] && [ "$got" = "$ro_sum" ]'
	qmp "$ro_n" '{"execute":"cont"}' > /dev/null
	check "$ro_what: the restored guest counts on" '[ "$(say "$ro_n" ping pong)" = "$ro_pong" ]'
	line=$(say "$ro_n" sum sum)
	check "$ro_what: its random bytes are intact" '[ -n "$line" ] && [ "$(echo "$line" | cut -d" " -f2)" = "$(echo "$line" | cut -d" " -f4)" ]'
	quit "$ro_n"
}
vmstate() { qmp "$1" '{"execute":"query-status"}' | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'; }
# damage FILE: one byte changed in a present page of the guest's random
# data in region pc.ram (its first MiB is firmware)
damage() {
	dm_off=$("$FRC" info --output=json "$1" | jq '.regions[] | select(.id == "pc.ram") | .pages_offset')
	dm_pg=$(python3 -c 'import os, sys; print(os.lseek(os.open(sys.argv[1], os.O_RDONLY), int(sys.argv[2]) + (64 << 20), os.SEEK_DATA))' "$1" "$dm_off")
	printf 'X' | dd of="$1" bs=1 seek=$((dm_pg + 100)) conv=notrunc status=none
}

for v in 7 10; do
	boot $v s$v
	bw=$(bandwidth s$v)
	# saved while running: the VM runs on afterwards
	"$FRC" save-qemu --qmp s$v.qmp --json s$v.frc > save.json 2> save.err
	rc=$?
	check "QEMU $v: the save runs unthrottled, QEMU's max-bandwidth put back after it" \
		'[ -n "$bw" ] && [ "$(bandwidth s$v)" = "$bw" ]' 
	check "QEMU $v: save-qemu saves the running VM (exit 0)" '[ $rc -eq 0 ] && "$FRC" check -q s$v.frc'
	check "QEMU $v: --json names the path and the VM's state" \
		'[ "$(jq -r .path save.json)" = stream ] && [ "$(jq -r .vm_state save.json)" = running ] && jq -e ".seconds > 0 and .paused_seconds > 0" save.json > /dev/null'
	check "QEMU $v: the VM runs on after the save" \
		'[ "$(vmstate s$v)" = running ] && [ "$(say s$v ping pong)" = "pong 2" ]'
	# saved and left paused: its memory is what the file holds
	"$FRC" save-qemu --qmp s$v.qmp --stop -q p$v.frc
	rc=$?
	check "QEMU $v: save-qemu --stop leaves the VM paused" '[ $rc -eq 0 ] && [ "$(vmstate s$v)" = postmigrate ]'
	eval "sum$v=\$(memsum s\$v)"
	quit s$v

	start $v d$v -S -incoming defer
	"$FRC" restore-qemu --qmp d$v.qmp --paused p$v.frc 2> rest.err
	rc=$?
	check "QEMU $v: restore-qemu --paused restores (exit 0)" '[ $rc -eq 0 ] && grep -q "every page verified" rest.err'
	runs_on d$v "$(eval "echo \$sum$v")" "QEMU $v" "pong 3"

	# restored and continued by the one command
	start $v e$v -incoming defer
	"$FRC" restore-qemu --qmp e$v.qmp --json s$v.frc > rest.json
	rc=$?
	check "QEMU $v: restore-qemu runs the restored VM" \
		'[ $rc -eq 0 ] && [ "$(jq -r .vm_state rest.json)" = running ] && [ "$(vmstate e$v)" = running ] && [ "$(say e$v ping pong)" = "pong 2" ]'
	quit e$v
done

# ---- snapshots on a base (format 1.3): the real guest saved, left running,
# saved again on the first save as base, then stopped and saved on the
# second; restored through the chain of three files ----
alloc() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }
boot 10 c
"$FRC" save-qemu --qmp c.qmp -q --digest c0.frc
rc0=$?
t0=$(date +%s)
# the guest runs on for 10 s, answering the serial console twice
sleep 5; say c ping pong > /dev/null; sleep 5
"$FRC" save-qemu --qmp c.qmp -q --base=c0.frc c1.frc
rc1=$?
ran=$(($(date +%s) - t0))
say c ping pong > /dev/null
"$FRC" save-qemu --qmp c.qmp -q --stop --base=c1.frc c2.frc
rc2=$?
csum=$(memsum c)
quit c
echo "# chain: full save $(alloc c0.frc) bytes allocated; after the guest ran ${ran} s (idle Linux answering the console), the second save as a diff $(alloc c1.frc) bytes, the third $(alloc c2.frc)"
check "QEMU 10: save-qemu --digest, then --base twice: a chain of three saves" \
	'[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && "$FRC" check -q c2.frc &&
	 [ "$("$FRC" info --output=json c2.frc | jq .base.depth)" -eq 2 ]'
check "QEMU 10: the second save, a diff, allocates at most 10% of the first" \
	'[ "$(alloc c1.frc)" -le $(($(alloc c0.frc) / 10)) ] && [ "$(alloc c2.frc)" -le $(($(alloc c0.frc) / 10)) ]'
start 10 cr -S -incoming defer
"$FRC" restore-qemu --qmp cr.qmp --paused c2.frc 2> cr.err
rc=$?
check "QEMU 10: restore-qemu through the chain (exit 0)" '[ $rc -eq 0 ] && grep -q "every page verified" cr.err'
runs_on cr "$csum" "QEMU 10, restored through a chain of three saves" "pong 4"
"$FRC" flatten -q c2.frc cflat.frc
check "the chain flattened: one file with the chain's content root" \
	'[ "$("$FRC" info --output=json cflat.frc | jq -r .content.root)" = "$("$FRC" info --output=json c2.frc | jq -r .content.root)" ]'

# ---- the shared-memory path: guest RAM in a shared file, moved by frc ----
RD=$(mktemp -d /dev/shm/frc-vmcmd-XXXXXX)
shm() { echo "-object memory-backend-file,id=pc.ram,mem-path=$RD/$1.ram,size=$MEM,share=on -machine memory-backend=pc.ram"; }
for v in 7 10; do
	# shellcheck disable=SC2046
	start $v a$v $(shm a$v)
	"$SER" -r a$v.ser 120 hello hi > /dev/null
	check "QEMU $v, shared RAM: the guest boots and answers" '[ "$(say a$v ping pong)" = "pong 1" ]'
	"$FRC" save-qemu --qmp a$v.qmp --json --stop a$v.frc > sa.json
	rc=$?
	check "QEMU $v, shared RAM: save-qemu takes the shared-memory path" \
		'[ $rc -eq 0 ] && [ "$(jq -r .path sa.json)" = shared-memory ] && "$FRC" check -q a$v.frc'
	check "QEMU $v, shared RAM: the RAM is in the file, read by frc from the shared file" \
		'"$FRC" info --output=json a$v.frc | jq -e ".regions[] | select(.id == \"pc.ram\") | .present_pages > 1000" > /dev/null &&
		 "$FRC" info --output=json a$v.frc | jq -e "[.sections[].name] | index(\"qemu-ignore-shared\")" > /dev/null'
	check "QEMU $v, shared RAM: x-ignore-shared is off again on the VM" \
		'qmp a$v "{\"execute\":\"query-migrate-capabilities\"}" | jq -e ".return[] | select(.capability == \"x-ignore-shared\") | .state == false" > /dev/null'
	eval "asum$v=\$(memsum a\$v)"
	quit a$v
	rm -f "$RD/a$v.ram"

	# shellcheck disable=SC2046
	start $v b$v -S -incoming defer $(shm b$v)
	"$FRC" restore-qemu --qmp b$v.qmp --paused --json a$v.frc > ra.json 2> prog.err
	rc=$?
	check "QEMU $v, shared RAM: restore-qemu writes the RAM into the new VM's file" \
		'[ $rc -eq 0 ] && [ "$(jq -r .path ra.json)" = shared-memory ] && ! grep -q "\[#" prog.err'
	runs_on b$v "$(eval "echo \$asum$v")" "QEMU $v, shared RAM" "pong 2"
	rm -f "$RD/b$v.ram"

	# the same file into a QEMU with its own RAM: every page in the stream
	start $v c$v -S -incoming defer
	"$FRC" restore-qemu --qmp c$v.qmp --paused a$v.frc 2> rc.err
	rc=$?
	check "QEMU $v: a shared-memory save restores into private RAM by the stream, said" \
		'[ $rc -eq 0 ] && grep -q "path: stream (not shared-memory" rc.err'
	runs_on c$v "$(eval "echo \$asum$v")" "QEMU $v, shared-memory save by the stream" "pong 2"
done
"$FRC" export-qemu a10.frc a10.qemu && "$FRC" import-qemu -q a10.qemu a10b.frc
rc=$?
"$FRC" extract -q a10.frc -r pc.ram -o ram1.raw && "$FRC" extract -q a10b.frc -r pc.ram -o ram2.raw
check "export-qemu makes an ordinary stream of a shared-memory save, the same RAM" \
	'[ $rc -eq 0 ] && cmp -s ram1.raw ram2.raw && "$FRC" info --output=json a10b.frc | jq -e "[.sections[].name] | index(\"qemu-ignore-shared\") == null" > /dev/null'
rm -f a10.qemu a10b.frc ram1.raw ram2.raw

# ---- the mapped-ram path: QEMU >= 9 writes into the FRC file in place ----
boot 10 m
"$FRC" save-qemu --qmp m.qmp --path=mapped-ram --stop --json m.frc > sm.json
rc=$?
check "QEMU 10: save-qemu --path=mapped-ram: QEMU saves in place, frc seals" \
	'[ $rc -eq 0 ] && [ "$(jq -r .path sm.json)" = mapped-ram ] && "$FRC" check -q m.frc && [ "$("$FRC" info --output=json m.frc | jq -r ".metadata[\"qemu.file-offset\"]")" = 1048576 ]'
check "QEMU 10, mapped-ram: mapped-ram and multifd are off again on the VM" \
	'qmp m "{\"execute\":\"query-migrate-capabilities\"}" | jq -e "[.return[] | select(.capability == \"mapped-ram\" or .capability == \"multifd\") | .state] == [false, false]" > /dev/null'
msum=$(memsum m)
quit m
start 10 n -S -incoming defer
"$FRC" restore-qemu --qmp n.qmp --path=mapped-ram --paused --json m.frc > rm.json
rc=$?
check "QEMU 10: restore-qemu --path=mapped-ram verifies the file, QEMU loads it" \
	'[ $rc -eq 0 ] && [ "$(jq -r .path rm.json)" = mapped-ram ] && [ "$(jq -r .vm_state rm.json)" = paused ]'
runs_on n "$msum" "QEMU 10, mapped-ram" "pong 2"
start 10 o -S -incoming defer
"$FRC" restore-qemu --qmp o.qmp --paused m.frc 2> mo.err
rc=$?
check "QEMU 10: the same file restored by the stream (auto), said" \
	'[ $rc -eq 0 ] && grep -q "path: stream" mo.err'
runs_on o "$msum" "QEMU 10, a mapped-ram save by the stream" "pong 2"
cp m.frc mbad.frc
damage mbad.frc
start 10 mb -S -incoming defer
"$FRC" restore-qemu --qmp mb.qmp --path=mapped-ram mbad.frc 2> mbad.err
rc=$?
check "mapped-ram: a damaged page is found before QEMU loads anything" \
	'[ $rc -eq 1 ] && grep -q "fails verification: not restored" mbad.err && grep -q "R-" mbad.err && [ "$(vmstate mb)" = inmigrate ]'
sed 's/^/# /' mbad.err
quit mb
start 10 ms -S -incoming defer
"$FRC" restore-qemu --qmp ms.qmp --path=mapped-ram s10.frc 2> ms.err
rc=$?
check "--path=mapped-ram of a stream save: refused, saying why, QEMU untouched" \
	'[ $rc -eq 1 ] && grep -q "not saved by QEMU in place" ms.err && [ "$(vmstate ms)" = inmigrate ]'
quit ms
rm -f m.frc mbad.frc
boot 7 m7
"$FRC" save-qemu --qmp m7.qmp --path=mapped-ram m7.frc 2> m7.err
rc=$?
check "QEMU 7.2: --path=mapped-ram refused (QEMU 9.0 or later), the VM running" \
	'[ $rc -eq 1 ] && grep -q "needs QEMU 9.0 or later (this is 7.2" m7.err && [ ! -e m7.frc ] && [ "$(vmstate m7)" = running ]'
quit m7

# ---- failures (QEMU 10) ----
boot 10 f
# a disk that fills up during the save
mkdir full && mount -t tmpfs -o size=4M frcfull full 2>/dev/null
if mountpoint -q full; then
	"$FRC" save-qemu --qmp f.qmp full/vm.frc 2> full.err
	rc=$?
	check "a full disk: save-qemu fails and says where" '[ $rc -eq 1 ] && grep -q "full/" full.err && grep -qi "no space" full.err'
	sed 's/^/# /' full.err
	check "a full disk: no file is left behind" '[ -z "$(ls -A full)" ]'
	check "a full disk: the VM runs on as before" '[ "$(vmstate f)" = running ] && [ "$(say f ping pong)" = "pong 2" ]'
	umount full
else
	echo "not run - a small tmpfs for the full-disk case (mount -t tmpfs needs root)"
fi
# a VM with its own RAM has no shared-memory path
"$FRC" save-qemu --qmp f.qmp --path=shared-memory x.frc 2> nosh.err
rc=$?
check "--path=shared-memory on a VM with its own RAM: refused, saying why" \
	'[ $rc -eq 1 ] && grep -q "not in a shared memory file" nosh.err && [ ! -e x.frc ] && [ "$(vmstate f)" = running ]'
# no QEMU on the socket
"$FRC" save-qemu --qmp "$T/nothing.qmp" x.frc 2> none.err
rc=$?
check "no QEMU on the socket: exit 1, the socket named" '[ $rc -eq 1 ] && grep -q "nothing.qmp" none.err && [ ! -e x.frc ]'
# a QEMU that is not waiting for a restore
"$FRC" restore-qemu --qmp f.qmp s10.frc 2> busy.err
rc=$?
check "restore into a running VM: refused, -incoming defer named" '[ $rc -eq 1 ] && grep -q "incoming defer" busy.err'
sed 's/^/# /' busy.err none.err
check "restore into a running VM: the VM is untouched" '[ "$(vmstate f)" = running ] && [ "$(say f ping pong)" = "pong 3" ]'
# an existing file is not replaced without -f
cp s10.frc keep.frc
"$FRC" save-qemu --qmp f.qmp keep.frc 2> exist.err
rc=$?
check "an existing file: refused without -f, unchanged, the VM running" \
	'[ $rc -eq 1 ] && cmp -s keep.frc s10.frc && [ "$(vmstate f)" = running ]'
# a live save keeps QEMU's max-bandwidth: at 10 MB/s it takes seconds,
# and --progress shows QEMU's count as it goes
qmp f '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":10000000}}' > /dev/null
"$FRC" save-qemu --live --progress --qmp f.qmp prog.frc 2> prog.err
rc=$?
check "--progress shows QEMU's stream as it comes (a live save, throttled)" \
	'[ $rc -eq 0 ] && [ "$(grep -o "QEMU.s stream \[" prog.err | wc -l)" -ge 2 ] && "$FRC" check -q prog.frc'
check "...and the VM runs on" '[ "$(vmstate f)" = running ]'
rm -f prog.frc
# QEMU killed in the middle of a live save (which keeps QEMU's
# max-bandwidth, here 2 MB/s)
qmp f '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":2000000}}' > /dev/null
pid=$(qemu_pid f)
"$FRC" save-qemu --live --qmp f.qmp killed.frc 2> killed.err &
sp=$!
sleep 2
kill -9 "$pid"
wait $sp
rc=$?
check "QEMU killed during the save: exit 1, says the QMP connection is lost" '[ $rc -eq 1 ] && grep -q "connection is lost" killed.err'
sed 's/^/# /' killed.err
check "QEMU killed during the save: no file is left behind" '[ -z "$(ls -A | grep killed.frc)" ]'
rm -f f.qmp

# a damaged page: the restore fails, the VM never runs
cp s10.frc bad.frc
damage bad.frc
start 10 g -S -incoming defer
"$FRC" restore-qemu --qmp g.qmp bad.frc 2> bad.err
rc=$?
check "a damaged page: restore-qemu fails naming the file and the rule" '[ $rc -eq 1 ] && grep -q "bad.frc" bad.err && grep -q "R-" bad.err'
sed 's/^/# /' bad.err
st=$(vmstate g 2>/dev/null)
check "a damaged page: the VM does not run" '[ "$st" != running ]'
quit g
# a file not saved from QEMU
head -c 1048576 /dev/urandom > raw.img
"$FRC" create -q -r pc.ram=raw.img plain.frc
start 10 h -S -incoming defer
"$FRC" restore-qemu --qmp h.qmp plain.frc 2> plain.err
rc=$?
check "a file not saved from QEMU: refused before QEMU is touched" \
	'[ $rc -eq 1 ] && grep -q "not saved from QEMU" plain.err && [ "$(vmstate h)" = inmigrate ]'
quit h
[ "$fails" -eq 0 ]
