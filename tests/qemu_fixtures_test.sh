#!/bin/sh
# The QEMU parser against real QEMU files, with no QEMU needed: the three
# fixtures of tests/fixtures/qemu (QEMU 7.2 stream, QEMU 10.2 stream and
# mapped-ram) are imported, checked, compared block by block with the
# hashes in its README, exported back byte for byte, converted between the
# two layouts, and imported from a pipe. Needs xz (tar -J). TAP-style.
# usage: tests/qemu_fixtures_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
SRC=$(cd "$(dirname "$0")/.." && pwd)
FX=$SRC/tests/fixtures/qemu
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-fixtures-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
cd "$T" || exit 1

# expected NAME: the README's value for a line "KIND ... NAME VALUE"
expected() { sed -n "s|^$1 \(.*\)$|\1|p" "$FX/README.md"; }

check "xz is installed (package xz-utils)" 'command -v xz >/dev/null'
got=$(sha256sum "$FX/qemu-fixtures.tar.xz" | cut -d' ' -f1)
check "the archive is the one the README describes" \
	'[ "$got" = "$(expected "sha256 qemu-fixtures.tar.xz")" ]'
tar -xJf "$FX/qemu-fixtures.tar.xz"
check "the archive unpacks" '[ $? -eq 0 ]'
for f in legacy-7.2.qemu stream-file.qemu mapped-ram.qemu; do
	got=$(sha256sum "$f" 2>/dev/null | cut -d' ' -f1)
	check "$f has the README's SHA-256" '[ -n "$got" ] && [ "$got" = "$(expected "file $f")" ]'
done
check "mapped-ram.qemu is unpacked sparse" \
	'[ $(($(stat -c %b mapped-ram.qemu) * 512)) -lt 16777216 ]'

# digest_blocks FRC VERSION: every region's hash equals the README's
digest_blocks() {
	"$FRC" digest "$1" >"$1.digest" || return 1
	n=0
	while read -r kind ver id sum; do
		[ "$kind" = ram ] && [ "$ver" = "$2" ] || continue
		n=$((n + 1))
		grep -A1 "^- id: \"$id\"$" "$1.digest" | grep -q "sha256: \"$sum\"" ||
			{ echo "# $1: region $id is not $sum"; return 1; }
	done <<-END
	$(sed -n 's/^\(ram .*\)$/\1/p' "$FX/README.md")
	END
	[ "$n" -eq 6 ] && [ "$(grep -c '^- id:' "$1.digest")" -eq 6 ]
}

for f in legacy-7.2:7.2 stream-file:10.2 mapped-ram:10.2; do
	name=${f%%:*}
	ver=${f#*:}
	"$FRC" import-qemu -q "$name.qemu" "$name.frc" 2>"$name.err"
	check "import-qemu $name.qemu" '[ $? -eq 0 ] || { sed "s/^/# /" "$name.err"; false; }'
	check "frc check accepts $name.frc" '"$FRC" check -q "$name.frc"'
	check "$name: the six RAM blocks hold what QEMU $ver saved" \
		'digest_blocks "$name.frc" "$ver"'
done

# back to QEMU, byte for byte, in the layout each came in
"$FRC" export-qemu legacy-7.2.frc back-legacy.qemu
check "export-qemu gives back legacy-7.2.qemu byte for byte" 'cmp -s back-legacy.qemu legacy-7.2.qemu'
"$FRC" export-qemu stream-file.frc back-stream.qemu
check "export-qemu gives back stream-file.qemu byte for byte" 'cmp -s back-stream.qemu stream-file.qemu'
"$FRC" export-qemu mapped-ram.frc back-mapped.qemu
check "export-qemu gives back mapped-ram.qemu byte for byte" 'cmp -s back-mapped.qemu mapped-ram.qemu'
# compressed (format 1.2): the same blocks, the same QEMU file back
"$FRC" import-qemu -q --compress stream-file.qemu packed.frc
check "import-qemu --compress" '[ $? -eq 0 ] && "$FRC" check -q packed.frc'
check "the compressed import holds the same RAM" 'digest_blocks packed.frc 10.2'
"$FRC" export-qemu packed.frc back-packed.qemu
check "and exports stream-file.qemu byte for byte" 'cmp -s back-packed.qemu stream-file.qemu'
# converted: 10.2's stream to mapped-ram and back
"$FRC" export-qemu --format=mapped-ram stream-file.frc conv.qemu &&
	"$FRC" import-qemu -q conv.qemu conv.frc
check "the 10.2 stream converted to mapped-ram imports again" '[ $? -eq 0 ]'
check "and holds the same RAM" 'digest_blocks conv.frc 10.2'
"$FRC" export-qemu --format=stream conv.frc conv-back.qemu
check "and converted back is stream-file.qemu byte for byte" 'cmp -s conv-back.qemu stream-file.qemu'
# from a pipe, as a live migration hands it over
cat legacy-7.2.qemu | "$FRC" import-qemu -q - piped.frc
check "import-qemu from a pipe" '[ $? -eq 0 ] && digest_blocks piped.frc 7.2'
# a truncated stream is refused and leaves nothing
head -c 3000000 legacy-7.2.qemu >cut.qemu
"$FRC" import-qemu -q cut.qemu cut.frc 2>cut.err
check "a truncated stream is refused, naming the offset, and no file is left" \
	'[ $? -ne 0 ] && grep -q "offset 0x" cut.err && [ ! -e cut.frc ]'
# --memory writes only into memory a running process maps shared, never
# into the input or a file typed by mistake, and never waits on a FIFO
cp mapped-ram.frc keep.frc
"$FRC" export-qemu --format=mapped-ram --memory=pc.ram=mapped-ram.frc \
	mapped-ram.frc rest.qemu 2>mem.err
check "export-qemu --memory refuses the input file as a target, unchanged" \
	'[ $? -ne 0 ] && grep -q "is the input file" mem.err && cmp -s keep.frc mapped-ram.frc && [ ! -e rest.qemu ]'
: > empty.ram
"$FRC" export-qemu --format=mapped-ram --memory=pc.ram=empty.ram \
	mapped-ram.frc rest.qemu 2>mem.err
check "export-qemu --memory refuses a file no process maps, which stays empty" \
	'[ $? -ne 0 ] && grep -q "not mapped shared by any running process" mem.err && [ ! -s empty.ram ] && [ ! -e rest.qemu ]'
mkfifo mem.fifo
timeout 20 "$FRC" check --memory=pc.ram=mem.fifo mapped-ram.frc 2>mem.err
check "check --memory on a FIFO is refused at once, naming it" \
	'[ $? -eq 1 ] && grep -q "it is a FIFO" mem.err'
# (seal-qemu --memory on a FIFO: tests/seal_test.sh, on a file QEMU saved)
timeout 20 "$FRC" export-qemu --format=mapped-ram \
	--memory=pc.ram=/proc/$$/mem@16 mapped-ram.frc rest.qemu 2>mem.err
check "a /proc/PID/mem address typed by hand is refused (frc takes it from QEMU over QMP)" \
	'[ $? -ne 0 ] && grep -q "qmp:SOCKET" mem.err && [ ! -e rest.qemu ]'
timeout 20 "$FRC" check --memory=pc.ram=/proc/$$/mem@16 mapped-ram.frc 2>mem.err
check "...for reading too" '[ $? -ne 0 ] && grep -q "qmp:SOCKET" mem.err'
timeout 20 "$FRC" check --memory=pc.ram=qmp:"$T/no.qmp" mapped-ram.frc 2>mem.err
check "qmp: with no QEMU there: refused, the socket named" '[ $? -ne 0 ] && grep -q "no.qmp" mem.err'
# a file a live process maps shared, as QEMU's memory-backend-file: taken
size=$("$FRC" info --output=json mapped-ram.frc | jq '.regions[] | select(.id == "pc.ram") | .used_length')
truncate -s "$size" shared.ram
/usr/bin/python3 -c 'import mmap, sys, time
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED)
open(sys.argv[2], "w").close(); time.sleep(60)' shared.ram mapped.ready &
holder=$!
i=0; while [ ! -e mapped.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$FRC" export-qemu --format=mapped-ram --memory=pc.ram=shared.ram \
	mapped-ram.frc rest.qemu 2>mem.err
rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
want=$(sed -n 's|^ram 10.2 pc.ram ||p' "$FX/README.md")
check "export-qemu --memory fills a file a running process maps shared, verified" \
	'[ $rc -eq 0 ] && [ "$(sha256sum < shared.ram | cut -d" " -f1)" = "$want" ]'

# the fuzz target's seeds are the heads of these files
for f in legacy-7.2 stream-file mapped-ram; do
	check "fuzz seed $f-head is the first 64 KiB of $f.qemu" \
		'head -c 65536 "$f.qemu" | cmp -s - "$SRC/tests/fuzz/corpus/fuzz_qemu/$f-head"'
done

echo "# $fails failed"
[ "$fails" -eq 0 ]
