#!/bin/sh
# `frc save-qemu` and `frc restore-qemu`: the real Linux guest
# (tests/make_guest.sh) saved from a running QEMU 7.2 and 10.0 and restored
# into a fresh one by one command each, over QMP: guest memory identical,
# the guest running and counting on. Failures leave the VM as it was and
# no file that reads as complete: a full disk, QEMU killed in the middle
# of a save, no QEMU on the socket, a QEMU not waiting for a restore, a
# damaged page, a file not saved from QEMU. TAP output.
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
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

G=$(sh "$SRC/tests/make_guest.sh") || { notok "the guest is built (tests/make_guest.sh)"; exit 1; }
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || { notok "QEMU 10.0 is fetched (tests/fetch_qemu.sh)"; exit 1; }
ok "the guest and QEMU 10.0 are there"
. "$SRC/tests/guest_lib.sh"

bandwidth() { qmp "$1" '{"execute":"query-migrate-parameters"}' | jq '.return."max-bandwidth"'; }
vmstate() { qmp "$1" '{"execute":"query-status"}' | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'; }

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
	got=$(memsum d$v)
	check "QEMU $v: guest memory equals the source's" 'eval "[ -n \"\$sum$v\" ] && [ \"$got\" = \"\$sum$v\" ]"'
	qmp d$v '{"execute":"cont"}' > /dev/null
	check "QEMU $v: the restored guest counts on" '[ "$(say d$v ping pong)" = "pong 3" ]'
	line=$(say d$v sum sum)
	check "QEMU $v: its random bytes are intact" '[ -n "$line" ] && [ "$(echo "$line" | cut -d" " -f2)" = "$(echo "$line" | cut -d" " -f4)" ]'
	quit d$v

	# restored and continued by the one command
	start $v e$v -incoming defer
	"$FRC" restore-qemu --qmp e$v.qmp --json s$v.frc > rest.json
	rc=$?
	check "QEMU $v: restore-qemu runs the restored VM" \
		'[ $rc -eq 0 ] && [ "$(jq -r .vm_state rest.json)" = running ] && [ "$(vmstate e$v)" = running ] && [ "$(say e$v ping pong)" = "pong 2" ]'
	quit e$v
done

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
off=$("$FRC" info --output=json bad.frc | jq '.regions[] | select(.id == "pc.ram") | .pages_offset')
# a present page of the guest's random data (its first MiB is firmware)
pg=$(python3 - bad.frc "$off" << 'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
base = int(sys.argv[2])
o = os.lseek(fd, base + (64 << 20), os.SEEK_DATA)
print(o)
EOF
)
printf 'X' | dd of=bad.frc bs=1 seek=$((pg + 100)) conv=notrunc status=none
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
