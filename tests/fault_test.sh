#!/bin/sh
# Fault injection: every command that writes a file keeps the old file
# whole and leaves no temporary file after disk full, a file size limit,
# EIO and failed fsync at each step, signals, FIFOs and devices as inputs
# and outputs, OUT = IN; modes follow the umask or the replaced file;
# standard output on a full device is an error; hostile files with valid
# checksums claiming terabytes are read in bounded memory and time.
# Each case asserts what remains on disk.
# usage: tests/fault_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
CRAFT=$B/tests/craft_file
SHIM=$B/tests/fault_shim.so
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-fault-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
cd "$T" || exit 1
# AddressSanitizer wants to be the first preloaded library; the shim only
# wraps libc calls, so the order does not matter here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
[ -f "$SHIM" ] || { notok "the fault shim is built ($SHIM)"; exit 1; }

head -c 3145728 /dev/urandom > ram.bin
head -c 1048576 /dev/zero >> ram.bin
echo device-state > ds.bin
"$FRC" create -q -r pc.ram=ram.bin -d ds.bin old.frc
chmod 640 old.frc
sum() { sha256sum "$1" | cut -d' ' -f1; }
OLD=$(sum old.frc)
# no_temps: no ".NAME.frc-new-*" left in this directory
no_temps() { [ -z "$(ls -A | grep 'frc-new-')" ]; }
intact() { [ "$(sum old.frc)" = "$OLD" ] && [ "$(stat -c %a old.frc)" = 640 ]; }

# ---- I/O errors at every step of create (replacing old.frc) ----
# The writer calls: superblock, tables, then pages, bitmaps, checksum
# table, section table, superblock copies; fsync after start and commit.
for f in write:1:EIO write:2:ENOSPC write:3:EIO write:5:EFBIG write:8+:ENOSPC \
	 sync:1:EIO sync:2:EIO sync:3:EIO sync:4:EIO sync:5:EIO; do
	FAULT=$f LD_PRELOAD=$SHIM timeout 60 "$FRC" create -q -f \
		-r pc.ram=ram.bin -d ds.bin old.frc 2>err
	rc=$?
	check "create with $f fails cleanly (exit 1, message), old file intact, no temporary" \
		'[ $rc -eq 1 ] && [ -s err ] && intact && no_temps'
done
FAULT=sync:1:EIO LD_PRELOAD=$SHIM timeout 60 "$FRC" create -q \
	-r pc.ram=ram.bin new.frc 2>err
rc=$?
check "EIO on the first fsync of a new save: no hang (exit $rc), no file" \
	'[ $rc -eq 1 ] && grep -q "cannot flush" err && [ ! -e new.frc ] && no_temps'

# ---- a file size limit (EFBIG, SIGXFSZ ignored) ----
(ulimit -f 1024; "$FRC" create -q -f -r pc.ram=ram.bin old.frc 2>err)
rc=$?
check "ulimit -f: create fails with 'File too large', old file intact" \
	'[ $rc -eq 1 ] && grep -q "File too large" err && intact && no_temps'

# ---- a full filesystem (a small tmpfs, where we may mount one) ----
mkdir small
if mount -t tmpfs -o size=5m tmpfs small 2>/dev/null; then
	cp old.frc small/old.frc
	"$FRC" create -q -f -r pc.ram=ram.bin small/old.frc 2>err
	rc=$?
	check "disk full on tmpfs: exit 1, 'No space left', old file intact, no temporary" \
		'[ $rc -eq 1 ] && grep -q "No space left" err && cmp -s old.frc small/old.frc && [ -z "$(ls -A small | grep frc-new)" ]'
	"$FRC" extract -q old.frc --region pc.ram -o small/ram.img 2>err
	rc=$?
	check "disk full on tmpfs: extract fails naming the file and offset, leaves nothing" \
		'[ $rc -eq 1 ] && grep -q "small/ram.img" err && grep -q "offset" err && [ ! -e small/ram.img ] && [ -z "$(ls -A small | grep frc-new)" ]'
	umount small
else
	echo "# not run: disk full on tmpfs (mount not permitted here); ENOSPC is injected above"
fi

# ---- extract and export-qemu: failures never touch the old file ----
"$FRC" extract -q old.frc --region pc.ram -o ram.img
RAM=$(sum ram.img)
for f in write:1:EIO write:1:ENOSPC sync:1:EIO; do
	FAULT=$f LD_PRELOAD=$SHIM "$FRC" extract -q -f old.frc --region pc.ram -o ram.img 2>err
	rc=$?
	check "extract -f with $f: exit 1, message names the file, old output intact" \
		'[ $rc -eq 1 ] && grep -q "ram.img" err && [ "$(sum ram.img)" = "$RAM" ] && no_temps'
done
FAULT=read:9:EIO LD_PRELOAD=$SHIM "$FRC" extract -q old.frc --region pc.ram -o eio.img 2>err
rc=$?
check "extract with EIO while reading: exit 1, offset named, no output left" \
	'[ $rc -eq 1 ] && grep -q "offset" err && [ ! -e eio.img ] && no_temps'

# ---- convert out of space while copying a section: the disk is named ----
head -c 3145728 /dev/urandom > big-ds.bin
"$FRC" create -q -r pc.ram=ram.bin -d big-ds.bin sec.frc
# the first write of the section: after the tables and the pages, whose
# number of writes depends on how pages are batched
for n in $(seq 4 60); do
	FAULT=write:$n+:ENOSPC LD_PRELOAD=$SHIM "$FRC" convert -q sec.frc conv.frc 2>err
	rc=$?
	grep -q "cannot write section" err && break
done
check "convert with the disk full during a section: exit 1, 'No space left', no output" \
	'[ $rc -eq 1 ] && grep -q "cannot write section: No space left" err && ! grep -q stopped err && [ ! -e conv.frc ] && no_temps'

# ---- check goes on after unreadable pages; an unreadable slot A ----
FAULT=read:12+:EIO LD_PRELOAD=$SHIM "$FRC" check old.frc > out 2>err
rc=$?
n=$(grep -c "cannot read" err)
check "check with unreadable pages: exit 1, every unreadable place reported ($n)" \
	'[ $rc -eq 1 ] && [ "$n" -ge 2 ]'
FAULT=read:2:EIO LD_PRELOAD=$SHIM "$FRC" check old.frc > out 2>err
rc=$?
check "EIO in superblock copy A: the file is read through copy B, with a warning" \
	'[ $rc -eq 0 ] && grep -q "copy A is damaged (io)" err'
cp old.frc zeroed.frc
dd if=/dev/zero of=zeroed.frc bs=4096 seek=2 count=1 conv=notrunc status=none
"$FRC" check zeroed.frc > out 2>err
rc=$?
check "an all-zero superblock copy of a committed file is a warning on stderr" \
	'[ $rc -eq 0 ] && grep -q "zeroed.frc: offset 0x2000: superblock copy B is missing" err'
"$FRC" check --output=json zeroed.frc > out.json 2>/dev/null
check "... and in check's JSON warnings" 'grep -q "copy B is missing" out.json'

# ---- signals: this run's temporary files are removed, the old file kept ----
mkfifo slow.fifo
for sig in INT TERM HUP; do
	( head -c 1048576 /dev/urandom; sleep 30 ) > slow.fifo &
	feeder=$!
	"$FRC" create -q -f -r pc.ram=slow.fifo old.frc 2>err &
	pid=$!
	i=0; while [ $i -lt 50 ] && ! ls -A | grep -q frc-new; do sleep 0.1; i=$((i + 1)); done
	tmpmode=$(stat -c %a .old.frc.frc-new-* 2>/dev/null | head -1)
	kill -$sig $pid; wait $pid; rc=$?
	kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
	check "SIG$sig during create -f: temporary (mode $tmpmode) removed, old file intact" \
		'[ $rc -ne 0 ] && [ "$tmpmode" = 600 ] && no_temps && intact'
done

# ---- a temporary file left by SIGKILL is mentioned by check and info ----
( head -c 1048576 /dev/urandom; sleep 30 ) > slow.fifo &
feeder=$!
"$FRC" create -q -f -r pc.ram=slow.fifo old.frc 2>err &
pid=$!
i=0; while [ $i -lt 50 ] && ! ls -A | grep -q frc-new; do sleep 0.1; i=$((i + 1)); done
kill -KILL $pid; wait $pid 2>/dev/null
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
"$FRC" info old.frc > /dev/null 2>err
check "info mentions the stale temporary file of a killed save" \
	'grep -q "temporary file of an interrupted save" err && intact'
"$FRC" check old.frc > /dev/null 2>err
check "check mentions it too" 'grep -q "temporary file of an interrupted save" err'
rm -f .old.frc.frc-new-*

# ---- FIFOs, pipes and devices as inputs ----
head -c 262144 /dev/urandom > part.bin
mkfifo in.fifo
cat part.bin > in.fifo &
"$FRC" create -q -r r=in.fifo fifo.frc 2>err
rc=$?; wait
"$FRC" extract -q fifo.frc --region r -o fifo.img 2>>err
check "a FIFO region is streamed until EOF, not taken as empty" \
	'[ $rc -eq 0 ] && cmp -s fifo.img part.bin'
head -c 8192 /dev/urandom > st.bin
"$FRC" create -q -r r=part.bin -d /dev/stdin piped.frc < st.bin 2>err
"$FRC" extract -q piped.frc --section 0 -o st.out 2>>err
check "a device-state section from a pipe is streamed whole" 'cmp -s st.bin st.out'
mknod zero c 1 5 2>/dev/null && mknod null c 1 3 2>/dev/null && mknod full c 1 7 2>/dev/null
if [ -c null ] && [ -c full ] && [ -c zero ]; then
	"$FRC" extract -q old.frc --region pc.ram -o null 2>err
	rc=$?
	check "extract to a private /dev/null node: exit 0, the node stays a device" \
		'[ $rc -eq 0 ] && [ -c null ]'
	"$FRC" extract -q -f old.frc --region pc.ram -o full 2>err
	rc=$?
	check "extract to a full device: exit 1, offset named, node kept" \
		'[ $rc -eq 1 ] && grep -q "offset 0" err && [ -c full ]'
	for cmd in "info old.frc" "check old.frc" "dump old.frc" "diff old.frc old.frc" "digest old.frc"; do
		"$FRC" $cmd > full 2>err
		rc=$?
		check "frc $cmd > full device: non-zero exit, says standard output" \
			'[ $rc -ne 0 ] && grep -q "cannot write standard output" err'
	done
	"$FRC" create -q -r r=zero -s r=4096 z.frc 2>err &
	pid=$!; sleep 1; kill $pid 2>/dev/null; wait $pid
	check "a character device region is streamed (not empty); killing it leaves nothing" \
		'[ ! -e z.frc ] && no_temps'
	"$FRC" create -q -r r=ram.bin null 2>err
	check "create refuses a device as its output (an FRC file needs a regular file)" \
		'[ $? -eq 1 ] && grep -q "regular file" err && [ -c null ]'
else
	echo "# not run: private device nodes (mknod not permitted here)"
fi
timeout 10 "$FRC" info slow.fifo > /dev/null 2>err
rc=$?
check "info on a FIFO without a writer returns at once" \
	'[ $rc -eq 1 ] && grep -q "not a regular file" err'
timeout 10 "$FRC" import-qemu -q slow.fifo q.frc 2>err &
pid=$!
sleep 0.5; : > slow.fifo; wait $pid
rc=$?
check "import-qemu from a FIFO waits for its writer, then fails on an empty stream" \
	'[ $rc -eq 1 ] && grep -q "truncated" err && [ ! -e q.frc ] && no_temps'

# ---- OUT = IN, existing outputs, symlinks ----
"$FRC" extract -q -f old.frc --region pc.ram -o old.frc 2>err
check "extract -f IN -o IN is refused, IN intact" '[ $? -eq 1 ] && intact'
"$FRC" create -q -f -r pc.ram=old.frc old.frc 2>err
check "create -f with OUT among the inputs is refused" '[ $? -eq 1 ] && intact'
"$FRC" import-qemu -q old.frc q.frc 2>err
"$FRC" import-qemu -q q.frc old.frc 2>err
check "import-qemu never deletes an existing OUT" '[ $? -eq 1 ] && grep -q exists err && intact'
ln -s old.frc link.frc
"$FRC" export-qemu -f old.frc link.frc 2>err
check "a symbolic link as output is refused, link and target kept" \
	'[ $? -eq 1 ] && [ -L link.frc ] && intact'

# ---- modes ----
(umask 077; "$FRC" create -q -r r=part.bin m1.frc)
(umask 022; "$FRC" create -q -r r=part.bin m2.frc)
(umask 002; "$FRC" extract -q m2.frc --region r -o m3.img)
check "new files get 0666 & ~umask (077: 600, 022: 644, 002: 664)" \
	'[ "$(stat -c %a m1.frc)" = 600 ] && [ "$(stat -c %a m2.frc)" = 644 ] && [ "$(stat -c %a m3.img)" = 664 ]'
chmod 604 m2.frc
(umask 022; "$FRC" create -q -f -r r=part.bin m2.frc)
check "a replaced file keeps its mode (604)" '[ "$(stat -c %a m2.frc)" = 604 ]'

# ---- arguments are argument mistakes ----
"$FRC" create -q -s 010000 -r r=part.bin a.frc 2>err
check "sizes are decimal, not octal: -s 010000 is refused as no power of two" \
	'[ $? -eq 1 ] && grep -q "page-size" err && ! grep -q "offset" err && [ ! -e a.frc ]'
"$FRC" create -q -m k=1 -m k=2 -r r=part.bin a.frc 2>err
check "a repeated --meta key is refused" '[ $? -eq 1 ] && grep -q "twice" err'
"$FRC" create -q -d . -r r=part.bin a.frc 2>err
check "-d DIR says it is a directory" '[ $? -eq 1 ] && grep -q "directory" err && [ ! -e a.frc ]'

# ---- hostile files with valid checksums claiming terabytes ----
# AddressSanitizer's shadow alone reserves terabytes of address space:
# the normal build proves the bound, the sanitizer build the rest
MEM_KIB=262144
case "$ASAN_OPTIONS" in *detect_leaks*) MEM_KIB=unlimited ;; esac
"$FRC" create -q -r r=part.bin -d ds.bin small.frc
"$CRAFT" giant-region small.frc giant.frc
"$CRAFT" giant-section small.frc gsec.frc 4294967296
for cmd in "info giant.frc" "check giant.frc" "dump giant.frc" "diff giant.frc giant.frc" \
	   "check gsec.frc" "digest gsec.frc" "extract -q gsec.frc --section 0 -o gsec.bin"; do
	( ulimit -v $MEM_KIB; /usr/bin/time -f "%M %e" -o time.txt timeout 300 "$FRC" $cmd > out 2>err )
	rc=$?
	echo "# frc $cmd: max RSS $(cut -d' ' -f1 time.txt) KiB, $(cut -d' ' -f2 time.txt) s"
	check "frc $cmd under ulimit -v $MEM_KIB KiB: completes (exit $rc)" '[ $rc -eq 0 ]'
done
check "the 4 GiB section of zeros extracted whole, as a hole ($(du -k gsec.bin | cut -f1) KiB on disk)" \
	'[ "$(stat -c %s gsec.bin)" = 4294967296 ] && [ "$(du -k gsec.bin | cut -f1)" -lt 1024 ] &&
	 [ "$(head -c 1048576 gsec.bin | tr -d "\000" | wc -c)" -eq 0 ]'
rm -f gsec.bin
echo "# $(ls -ls giant.frc | awk '{print $1}') KiB on disk for a $(stat -c %s giant.frc)-byte file"

[ $fails -eq 0 ]
