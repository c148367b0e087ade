#!/bin/sh
# frc seal-qemu against QEMU 10.0's own mapped-ram save, killed at every
# call that changes the file (write, pwrite(v), fsync, fdatasync, fallocate,
# ftruncate: tests/fault_shim.c in kill mode): after each kill the file is
# never read as complete unless it is whole, `frc check` calls it
# incomplete (never corrupt), and a second seal-qemu completes it into a
# file that verifies and holds what QEMU saved. Then: a refused seal
# (memory that differs in one byte of one page, anywhere) leaves the file
# byte for byte as it was; a FIFO as --memory is refused at once.
# TAP-style.
# usage: tests/seal_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
SHIM=$B/tests/fault_shim.so
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-seal-XXXXXX")
. "$(dirname "$0")/tap.sh"
# the LD_PRELOAD shims come before the sanitizer's runtime in the sanitizer
# build: let it run there
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
cleanup() {
	[ -n "${Q10:-}" ] && quit_all
	# and whatever did not answer: the VM never outlives the test
	pid=$(cat "$T/vm.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

Q10=$(sh "$SRC/tests/fetch_qemu.sh" 2>"$T/fetch.err") || {
	echo "not run - QEMU 10.0 could not be fetched: $(tail -1 "$T/fetch.err")"
	exit 1
}
. "$SRC/tools/qemu/qemu_lib.sh"

# A VM that never runs: 64 MiB of RAM, 24 MiB of it filled by QEMU's
# generic loader (data pages, zero pages between), saved with mapped-ram
# into a file frc prepared. Its RAM image, read back by QEMU, is the truth.
MEM=64
head -c 8388608 /dev/urandom > blob1
head -c 8388608 /dev/urandom > blob2
yes 'guest page cache text' | head -c 8388608 > blob3
qemu 10 -S -machine pc,accel=tcg -m $MEM -nodefaults -display none \
	-device loader,file="$T/blob1",addr=0x400000,force-raw=on \
	-device loader,file="$T/blob2",addr=0x1400000,force-raw=on \
	-device loader,file="$T/blob3",addr=0x2800000,force-raw=on \
	-object memory-backend-file,id=m,mem-path="$T/vm.ram",size=${MEM}M,share=on \
	-machine memory-backend=m \
	-qmp unix:"$T/vm.qmp",server=on,wait=off -daemonize -pidfile "$T/vm.pid" 2>qemu.err
wait_socket vm
check "QEMU 10 starts a VM with shared RAM filled by its loader" '[ -S vm.qmp ]' || exit 1
qmp vm '{"execute":"system_reset"}' > /dev/null # the loader fills RAM at reset
uri=$("$FRC" prepare-qemu saved.frc)
caps vm mapped-ram
qmp vm "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/saved.frc,offset=1048576\"}}" > /dev/null
n=0
while [ "$(status vm)" != completed ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
check "QEMU 10 saves it with mapped-ram into the prepared file ($uri)" '[ "$(status vm)" = completed ]'
cp saved.frc unsealed.frc
"$FRC" check -q unsealed.frc 2>/dev/null
check "the saved file is incomplete before sealing" '[ $? -eq 3 ]'

# the number of calls that change the file in a whole seal
cp unsealed.frc count.frc
FAULT_COUNT=$T/count LD_PRELOAD=$SHIM "$FRC" seal-qemu -q count.frc
calls=$(cat count)
check "an uninterrupted seal succeeds ($calls calls change the file)" \
	'[ "$calls" -gt 5 ] && "$FRC" check -q count.frc'
"$FRC" digest count.frc > whole.digest

bad=0
k=1
while [ $k -le "${calls:-0}" ]; do
	cp unsealed.frc k.frc
	FAULT=kill:$k LD_PRELOAD=$SHIM "$FRC" seal-qemu -q k.frc 2>/dev/null
	"$FRC" check -q k.frc 2>/dev/null
	rc=$?
	if [ $rc -ne 3 ] && [ $rc -ne 0 ]; then
		echo "# killed at call $k: frc check exit $rc (neither incomplete nor whole)"
		bad=$((bad + 1))
	elif [ $rc -eq 3 ]; then
		"$FRC" seal-qemu -q k.frc 2>k.err
		if [ $? -ne 0 ]; then
			echo "# killed at call $k: the second seal failed: $(head -1 k.err)"
			bad=$((bad + 1))
		fi
	fi
	if [ $bad -eq 0 ] && ! "$FRC" digest k.frc | cmp -s - whole.digest; then
		echo "# killed at call $k: the file does not hold what QEMU saved"
		bad=$((bad + 1))
	fi
	k=$((k + 1))
done
check "killed at each of the $calls calls: incomplete (then sealed by a second seal-qemu) or whole, never corrupt, same contents" \
	'[ $bad -eq 0 ] && [ "${calls:-0}" -gt 5 ]'

# fails_for_good FAULT NAME WHAT: seal-qemu under a fault that never
# clears is refused saying why, the file still incomplete; once the disk
# is well again a later seal completes it
fails_for_good() {
	ff=$2
	cp unsealed.frc "$ff.frc"
	FAULT=$1 LD_PRELOAD=$SHIM "$FRC" seal-qemu -q "$ff.frc" 2>"$ff.err"
	rc=$?
	"$FRC" check -q "$ff.frc" 2>/dev/null
	crc=$?
	check "a seal whose $3 fail for good says so, and leaves the file incomplete" \
		'[ $rc -ne 0 ] && [ $crc -eq 3 ] && grep -q "Input/output error" "$ff.err"'
	"$FRC" seal-qemu -q "$ff.frc" && "$FRC" digest "$ff.frc" | cmp -s - whole.digest
	check "and a later seal completes it" '[ $? -eq 0 ]'
}
# every write; ftruncate (the writer sizing the file, then the cut of what
# it appended)
fails_for_good write:1+:EIO eio writes
fails_for_good trunc:1+:EIO trunc ftruncates

# --memory: the VM's RAM file QEMU still maps; one byte of one page changed
# in a copy (any page, not only the first of a batch): refused, the file
# byte for byte as it was
cp unsealed.frc mem.frc
"$FRC" seal-qemu -q --memory=m="$T/vm.ram" mem.frc
check "seal-qemu --memory seals from the VM's shared RAM" \
	'[ $? -eq 0 ] && "$FRC" digest mem.frc | cmp -s - whole.digest'
cp vm.ram other.ram
printf 'Z' | dd of=other.ram bs=1 seek=$((0x400000 + 4096 * 777 + 5)) conv=notrunc status=none
/usr/bin/python3 -c 'import mmap, sys, time
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED)
time.sleep(120)' other.ram &
holder=$!
cp unsealed.frc ref.frc
"$FRC" seal-qemu -q --memory=m="$T/other.ram" ref.frc 2>ref.err
rc=$?
kill $holder 2>/dev/null
check "memory differing in one byte of page 1801 is refused, naming the page, the file unchanged" \
	'[ $rc -ne 0 ] && grep -q "page 1801 " ref.err && cmp -s ref.frc unsealed.frc'
mkfifo ram.fifo
cp unsealed.frc fifo.frc
timeout 20 "$FRC" seal-qemu -q --memory=m="$T/ram.fifo" fifo.frc 2>fifo.err
check "a FIFO as --memory is refused at once, the file unchanged" \
	'[ $? -eq 1 ] && grep -q "it is a FIFO" fifo.err && cmp -s fifo.frc unsealed.frc'

echo "# $fails failed"
[ "$fails" -eq 0 ]
