#!/bin/sh
# CLI tests of frc create / info / check on real files. TAP-style lines:
# "ok - NAME" or "not ok - NAME"; exits non-zero if any failed.
# usage: tests/cli_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
CRAFT=$B/tests/craft_file
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
# expect_status WANT NAME CMD...: runs CMD, compares its exit status
expect_status() {
	want=$1; name=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else
		notok "$name (exit $got, want $want)"; sed 's/^/# /' "$T/err"; fi
}
# expect_grep PATTERN FILE NAME
expect_grep() {
	if grep -q -- "$1" "$2"; then ok "$3"; else
		notok "$3 (no '$1' in output)"; sed 's/^/# /' "$2"; fi
}

cd "$T" || exit 1
# 4 MiB image: every third 4 KiB page random, the rest zero
dd if=/dev/zero of=ram.bin bs=4096 count=1024 status=none
i=0
while [ $i -lt 1024 ]; do
	dd if=/dev/urandom of=ram.bin bs=4096 seek=$i count=1 conv=notrunc status=none
	i=$((i + 3))
done
head -c 131072 /dev/urandom > vga.bin
printf 'opaque device state' > dev.bin

expect_status 0 "create" "$FRC" create -q -r pc.ram=ram.bin -r vga=vga.bin \
	-s vga=64K -d dev.bin -m hypervisor=qemu -m machine-type=pc-q35 x.frc
expect_status 1 "create refuses to overwrite" "$FRC" create -q -r a=ram.bin x.frc
expect_grep "exists" "$T/err" "create says why it refuses"
expect_status 0 "create --force overwrites" "$FRC" create -q -f -r pc.ram=ram.bin \
	-r vga=vga.bin -s vga=64K -d dev.bin -m hypervisor=qemu \
	-m machine-type=pc-q35 x.frc
expect_status 1 "create rejects a bad page size" "$FRC" create -q -s 3000 \
	-r a=ram.bin bad.frc
[ ! -e bad.frc ] && ok "failed create leaves no file" || notok "failed create leaves no file"
head -c 5000 ram.bin > odd.bin
expect_status 1 "create rejects a size not a multiple of the page" \
	"$FRC" create -q -r a=odd.bin odd.frc
expect_grep "not a multiple" "$T/err" "create explains the size problem"

# zero pages are holes: data on disk well under the 4 MiB image
blocks=$(($(stat -c %b x.frc) * 512))
[ "$blocks" -lt $((2 * 1024 * 1024)) ] && ok "zero pages left as holes ($blocks bytes allocated)" \
	|| notok "zero pages left as holes ($blocks bytes allocated)"

expect_status 0 "info" "$FRC" info x.frc
expect_grep "state:       complete" "$T/out" "info shows the state"
expect_grep "'pc.ram'" "$T/out" "info lists region pc.ram"
expect_grep "page size 65536" "$T/out" "info shows the vga page size"
expect_grep "present 342, zero 682" "$T/out" "info counts present and zero pages"
expect_grep "hypervisor = qemu" "$T/out" "info shows metadata"
expect_grep "device-state (type 1) 'dev.bin'" "$T/out" "info lists the device state"

expect_status 0 "check: consistent file exits 0" "$FRC" check x.frc
expect_grep "no errors found" "$T/out" "check says no errors"
expect_status 1 "check: missing file exits 1" "$FRC" check nosuch.frc
expect_grep "frc: nosuch.frc: cannot open" "$T/err" "check names the missing file"

"$CRAFT" flip-page x.frc flip.frc 0 3
expect_status 2 "check: flipped page bit exits 2" "$FRC" check flip.frc
expect_grep "region 'pc.ram' page 3" "$T/err" "check names region and page"
expect_grep "offset 0x" "$T/err" "check names the byte offset"
"$CRAFT" flip-page x.frc flip2.frc 0 3 && "$CRAFT" flip-page flip2.frc flip2.frc 0 6
expect_status 2 "check: two damaged pages exit 2" "$FRC" check flip2.frc
[ "$(grep -c 'checksum mismatch' "$T/err")" -eq 2 ] && ok "check lists every damaged page" \
	|| notok "check lists every damaged page"
"$CRAFT" incomplete x.frc inc.frc
expect_status 3 "check: incomplete file exits 3" "$FRC" check inc.frc
expect_grep "incomplete" "$T/err" "check says incomplete"
expect_status 3 "check --salvage on incomplete exits 3" "$FRC" check --salvage inc.frc
expect_grep "unverifiable" "$T/out" "salvage reports unverifiable pages"
"$CRAFT" unknown-incompat x.frc feat.frc
expect_status 63 "check: unknown incompat feature exits 63" "$FRC" check feat.frc
expect_grep "bit 9" "$T/err" "check names the unknown feature bit"
"$CRAFT" major2 x.frc v2.frc
expect_status 63 "check: major version 2 exits 63" "$FRC" check v2.frc
"$CRAFT" tear-a x.frc torn.frc
expect_status 0 "check: one torn superblock copy is survivable" "$FRC" check torn.frc
expect_grep "copy A is damaged" "$T/err" "check reports the torn copy (on stderr)"
expect_grep "offset 0x1000" "$T/err" "the torn-copy warning names the offset"
head -c 100000 x.frc > cut.frc
expect_status 2 "check: truncated file exits 2" "$FRC" check cut.frc
expect_grep "truncated\|shorter\|says" "$T/err" "check explains truncation"
printf 'hello world, not frc' > text.frc
expect_status 2 "check: not an FRC file exits 2" "$FRC" check text.frc
expect_grep "signature" "$T/err" "check says bad signature"

# --memory: a region verified in another file (a raw image of it, as
# `frc extract` writes it, or guest RAM) instead of its page area
cp ram.bin mem.bin
expect_status 0 "check --memory: a faithful image verifies" \
	"$FRC" check --memory=pc.ram=mem.bin x.frc
printf 'Z' | dd of=mem.bin bs=1 seek=$((3 * 4096 + 17)) conv=notrunc status=none
printf 'Z' | dd of=mem.bin bs=1 seek=$((4 * 4096 + 5)) conv=notrunc status=none
expect_status 2 "check --memory: a damaged image exits 2" \
	"$FRC" check --memory=pc.ram=mem.bin x.frc
expect_grep "page 3 of region 'pc.ram' in its source (offset 0x3000 there)" "$T/err" \
	"check --memory names the damaged page and its offset in the image"
expect_grep "absent page 4 of region 'pc.ram' is not zero in its source" "$T/err" \
	"check --memory: stray bytes in a zero page are found"
expect_status 0 "check --memory: the file's own pages are still intact" "$FRC" check x.frc
head -c 8192 /dev/urandom > mem2.bin
cat ram.bin >> mem2.bin
expect_status 0 "check --memory=ID=PATH@OFFSET: the image from byte 8192 on" \
	"$FRC" check --memory=pc.ram=mem2.bin@8192 x.frc
expect_status 2 "check --memory: the image at the wrong offset fails" \
	"$FRC" check --memory=pc.ram=mem2.bin@0x1000 x.frc
expect_status 1 "check --memory: an image too short" \
	"$FRC" check --memory=pc.ram=vga.bin x.frc
expect_grep "cannot be the memory of block 'pc.ram'" "$T/err" "check --memory says the image is too short"
expect_status 1 "check --memory: a region the file lacks" \
	"$FRC" check --memory=pc.rom=mem.bin x.frc
expect_grep "no RAM block 'pc.rom'" "$T/err" "check --memory names the unknown region"
expect_status 1 "check --memory: malformed argument" "$FRC" check --memory=mem.bin x.frc
expect_grep "ID=PATH" "$T/err" "check --memory explains its argument"
expect_status 0 "frc --help" "$FRC" --help
expect_status 1 "frc with an unknown command" "$FRC" frobnicate

[ "$fails" -eq 0 ]
