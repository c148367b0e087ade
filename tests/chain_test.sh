#!/bin/sh
# Snapshots on a base (format 1.3), end to end with the frc command: a
# chain of three saves of a changing image, written by `frc create --base`,
# read back whole by every command that reads (extract, check, diff, info,
# convert, flatten, mount) with the same content root as the image saved
# whole; diffs that hold only what changed; the base found through
# FRC_BASE_PATH; and the wrong-base suite: every way a chain can be wrong
# (missing, replaced, reordered, damaged, cyclic, too deep, other regions,
# defects of the base map and base section, from the vectors), each
# refused by its class. TAP output.
# usage: tests/chain_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-chain-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	mountpoint -q "$T/mnt" 2>/dev/null && fusermount3 -u "$T/mnt"
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
root() { "$FRC" info --output=json "$1" | jq -r '.content.root // "none"'; }
alloc() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }
class() { "$FRC" check "$@" 2>/dev/null | sed 's/.*: //'; }

# three states of a 16 MiB guest: 3 pages changed, then 2 more, a page zeroed
head -c 16777216 /dev/urandom > a.img
cp a.img b.img
dd if=/dev/urandom of=b.img bs=4096 seek=100 count=3 conv=notrunc status=none
cp b.img c.img
dd if=/dev/urandom of=c.img bs=4096 seek=2000 count=2 conv=notrunc status=none
dd if=/dev/zero of=c.img bs=4096 seek=5 count=1 conv=notrunc status=none
echo state-a > sa.bin; echo state-b > sb.bin; echo state-c > sc.bin
"$FRC" create -q --digest -r pc.ram=a.img -d sa.bin base.frc &&
"$FRC" create -q --base=base.frc -r pc.ram=b.img -d sb.bin d1.frc &&
"$FRC" create -q --base=d1.frc -r pc.ram=c.img -d sc.bin d2.frc
check "create --base: a chain of three files" '[ $? -eq 0 ]'
check "the diffs hold only what changed (3 and 2 pages of 4096)" \
	'[ "$("$FRC" info --output=json d1.frc | jq ".regions[0].present_pages")" -eq 3 ] &&
	 [ "$("$FRC" info --output=json d2.frc | jq ".regions[0].present_pages")" -eq 2 ] &&
	 [ "$(alloc d1.frc)" -lt $(($(alloc base.frc) / 10)) ] && [ "$(alloc d2.frc)" -lt $(($(alloc base.frc) / 10)) ]'
check "info names the base and counts pages from it" \
	'"$FRC" info d2.frc | grep -q "^base: *d1.frc (2 bases in the chain)" &&
	 [ "$("$FRC" info --output=json d2.frc | jq ".regions[0].base_pages")" -eq 4093 ] &&
	 [ "$("$FRC" info --output=json d2.frc | jq -r ".base.path")" = d1.frc ]'
"$FRC" extract -q d1.frc -r pc.ram -o d1.img && "$FRC" extract -q d2.frc -r pc.ram -o d2.img
check "extract reads each state through the chain, byte for byte" \
	'cmp -s d1.img b.img && cmp -s d2.img c.img'
check "check verifies the whole chain" '"$FRC" check -q d2.frc && "$FRC" check -q d1.frc'
"$FRC" create -q --digest -r pc.ram=c.img -d sc.bin full.frc
check "a chain has the root of the same guest saved whole" '[ "$(root d2.frc)" = "$(root full.frc)" ]'
"$FRC" diff -q d2.frc full.frc
check "diff: the chain and the whole save hold the same pages" '[ $? -eq 0 ]'
"$FRC" flatten -q d2.frc flat.frc
check "flatten: one file, no base, the same root and contents" \
	'[ "$(root flat.frc)" = "$(root d2.frc)" ] && [ "$("$FRC" info --output=json flat.frc | jq -r .base)" = null ] &&
	 "$FRC" extract -q flat.frc -r pc.ram -o f.img && cmp -s f.img c.img'
openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null && openssl pkey -in k.pem -pubout -out k.pub
"$FRC" sign -q --key k.pem d2.frc && "$FRC" flatten -q -f d2.frc flat.frc
check "a signed snapshot on a base: verified through the chain, and its flattened copy keeps the signature" \
	'"$FRC" verify -q --key k.pub d2.frc && "$FRC" verify -q --key k.pub flat.frc'
"$FRC" convert -q --base=base.frc flat.frc re.frc
check "convert --base makes a diff of a whole file again" \
	'[ "$(root re.frc)" = "$(root d2.frc)" ] && [ "$("$FRC" info --output=json re.frc | jq ".regions[0].present_pages")" -eq 5 ]'
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	mkdir mnt && "$FRC" mount d2.frc mnt
	check "mount serves the chain's memory" 'cmp -s mnt/regions/pc.ram c.img'
	fusermount3 -u mnt
else
	echo "not run - mount: FUSE is not available here (/dev/fuse or fusermount3 missing)"
fi

# ---- a QEMU stream imported on a base, exported byte for byte ----
tar -xJf "$SRC/tests/fixtures/qemu/qemu-fixtures.tar.xz" stream-file.qemu 2>/dev/null
if [ -f stream-file.qemu ]; then
	"$FRC" import-qemu -q --digest stream-file.qemu q0.frc &&
	"$FRC" import-qemu -q --base=q0.frc stream-file.qemu q1.frc &&
	"$FRC" export-qemu q1.frc back.qemu
	check "import-qemu --base: the same stream again stores no page, exports byte for byte" \
		'[ $? -eq 0 ] && cmp -s stream-file.qemu back.qemu &&
		 [ "$("$FRC" info --output=json q1.frc | jq "[.regions[].present_pages] | add")" -eq 0 ] &&
		 [ "$(root q1.frc)" = "$(root q0.frc)" ]'
else
	notok "the QEMU fixtures unpack (tests/fixtures/qemu)"
fi

# ---- finding the base ----
mkdir far && mv d1.frc far/
check "the base moved away: base-missing" '[ "$(class d2.frc)" = base-missing ]'
check "found again through FRC_BASE_PATH (and its own base beside the top)" \
	'FRC_BASE_PATH=far:. "$FRC" check -q d2.frc'
mv far/d1.frc .

# ---- the wrong-base suite ----
total=0
named=0
refused() { # WANT FILE: frc check names class WANT
	total=$((total + 1))
	got=$(class "$2")
	if [ "$got" = "$1" ]; then named=$((named + 1)); else echo "# $2: '$got', want $1"; fi
}
mkdir w && cp base.frc d1.frc d2.frc w/ && cd w || exit 1
mv base.frc real-base.frc && cp ../full.frc base.frc
refused base-mismatch d1.frc                 # another file where the base was
refused base-mismatch d2.frc                 # ... below a base
rm base.frc
refused base-missing d1.frc
mv real-base.frc base.frc && mv d1.frc keep.frc && cp base.frc d1.frc
refused base-mismatch d2.frc                 # reordered: the base where d1 was
rm d1.frc && mv keep.frc d1.frc
po=$("$FRC" info --output=json base.frc | jq '.regions[0].pages_offset')
cp base.frc good.frc
printf '\001' | dd of=base.frc bs=1 seek=$((po + 7)) conv=notrunc status=none
refused checksum-mismatch d2.frc             # a damaged page of the base
mv good.frc base.frc
cd "$T" || exit 1
V=$SRC/testvectors/v1
for v in 241:chain-cycle 242:chain-cycle 243:chain-cycle 244:chain-too-deep \
	 262:bad-field 263:bad-field 264:base-mismatch \
	 245:base-missing 246:base-mismatch 247:base-mismatch 248:base-mismatch \
	 249:bad-field 250:bad-field 251:bad-field 252:bad-field 253:bad-field \
	 254:bad-field 255:checksum-mismatch 256:bad-field 257:bad-field \
	 258:bad-field 259:bad-field 260:bad-field 261:digest-mismatch; do
	refused "${v#*:}" "$(ls "$V"/invalid/"${v%%:*}"-*.frc)"
done
check "wrong-base suite: every wrong chain refused by its class ($named of $total)" \
	'[ "$total" -eq 29 ] && [ "$named" -eq "$total" ]'

# ---- writing: refusals and the depth limit ----
head -c 8192 /dev/urandom > s0.img
"$FRC" create -q --digest -r r=s0.img s0.frc
prev=s0
for k in $(seq 1 16); do
	head -c 4096 /dev/urandom > s.img; head -c 4096 s0.img >> s.img
	"$FRC" create -q --base=$prev.frc -r r=s.img s$k.frc || break
	prev=s$k
done
check "a chain of 16 bases is written and read" '[ $prev = s16 ] && "$FRC" check -q s16.frc'
"$FRC" create -q --base=s16.frc -r r=s.img s17.frc 2>err
check "a 17th base is refused when writing, naming flatten, no output" \
	'[ $? -eq 1 ] && grep -q "flatten it first" err && [ ! -e s17.frc ]'
"$FRC" create -q --base=s0.frc -r other=s.img x.frc 2>err
check "a base with other regions is refused, no output" '[ $? -eq 1 ] && grep -q "not a base for it" err && [ ! -e x.frc ]'
"$FRC" create -q -r r=s0.img plain.frc
"$FRC" create -q --base=plain.frc -r r=s.img x.frc 2>err
check "a base without content digests is refused, no output" '[ $? -eq 1 ] && grep -q "no content digests" err && [ ! -e x.frc ]'
echo "# $fails failed"
[ "$fails" -eq 0 ]
