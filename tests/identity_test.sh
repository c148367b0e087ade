#!/bin/sh
# Format 1.3's content identity and signatures, end to end: the root is
# the same for the same content (another UUID, compressed or not,
# converted), frc sign/verify with PEM, OpenSSH and hex keys, refusals
# that leave the file as it was, the tamper suite (every change an
# attacker who recomputes every XXH3 checksum can make: pages, sections,
# metadata, region layout, digests, the root, signatures; each refused by
# its class), frc sign killed at every call that changes the file, a
# forged page failing with EIO through frc mount, and a QEMU stream
# imported with --digest and exported byte for byte. TAP output.
# usage: tests/identity_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
SHIM=$B/tests/fault_shim.so
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-identity-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	mountpoint -q "$T/mnt" 2>/dev/null && fusermount3 -u "$T/mnt"
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
. "$SRC/tests/reference.sh"
[ -n "$REF" ] || { notok "python3 with xxhash is installed (tools/helpers/install_deps.sh)"; exit 1; }
FORGE="$PY $SRC/tests/forge.py"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

sum() { sha256sum "$1" | cut -d' ' -f1; }
root() { "$FRC" info --output=json "$1" | jq -r '.content.root // "none"'; }
# the regions' contents and the covered sections, as frc digest and info
# give them
content() {
	"$FRC" digest "$1" | awk '/^sections:/ {exit} {print}'
	"$FRC" info --output=json "$1" | jq -c '[.sections[] | select(.type != 4 and .type != 5) | [.type, .name, .length]], .metadata'
}

head -c 3145728 /dev/urandom > ram.bin
head -c 1048576 /dev/zero >> ram.bin
head -c 65536 /dev/urandom > rom.bin
echo device-state > ds.bin
"$FRC" create -q --digest -r pc.ram=ram.bin -r rom=rom.bin -s rom=512 \
	-d ds.bin -m hypervisor=test -m description=identity a.frc
check "create --digest makes a complete 1.3 file" \
	'"$FRC" check -q a.frc && [ "$("$FRC" info --output=json a.frc | jq -r .format_version)" = 1.3 ]'
R=$(root a.frc)
check "info prints a 64-digit SHA-256 root" 'echo "$R" | grep -Eq "^[0-9a-f]{64}$"'
"$FRC" create -q --digest -r pc.ram=ram.bin -r rom=rom.bin -s rom=512 \
	-d ds.bin -m hypervisor=test -m description=identity a2.frc
check "the same content in another file (another UUID) has the same root" \
	'[ "$(root a2.frc)" = "$R" ] && [ "$("$FRC" info --output=json a2.frc | jq -r .uuid)" != "$("$FRC" info --output=json a.frc | jq -r .uuid)" ]'
"$FRC" create -q --digest -r pc.ram=ram.bin -r rom=rom.bin -s rom=512 \
	-d ds.bin -m hypervisor=test -m description=other a3.frc
check "one metadata value changed: another root" '[ "$(root a3.frc)" != "$R" ]'
"$FRC" create -q -r pc.ram=ram.bin a12.frc
check "without --digest: a 1.2 file without content identity" \
	'[ "$(root a12.frc)" = none ] && [ "$("$FRC" info --output=json a12.frc | jq -r .format_version)" = 1.2 ]'
"$FRC" convert -q --compress a.frc z.frc && "$FRC" convert -q z.frc u.frc
check "convert --compress and back keep the root" \
	'[ "$(root z.frc)" = "$R" ] && [ "$(root u.frc)" = "$R" ] && "$FRC" check -q z.frc'
"$FRC" convert -q --digest=none a.frc n.frc
check "convert --digest=none writes a 1.2 file, same contents" \
	'[ "$(root n.frc)" = none ] && [ "$("$FRC" info --output=json n.frc | jq -r .format_version)" = 1.2 ] &&
	 [ "$(content n.frc)" = "$(content a.frc)" ]'
"$FRC" convert -q --digest n.frc d.frc
check "convert --digest of that 1.2 file gives the root back" '[ "$(root d.frc)" = "$R" ]'

# ---- keys, sign, verify ----
openssl genpkey -algorithm ed25519 -out k1.pem 2>/dev/null &&
openssl pkey -in k1.pem -pubout -out k1.pub &&
openssl genpkey -algorithm ed25519 -out k2.pem 2>/dev/null &&
openssl pkey -in k2.pem -pubout -out k2.pub &&
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
check "openssl makes Ed25519 and EC keys" '[ $? -eq 0 ]'
cp a.frc s.frc
"$FRC" sign --key k1.pem s.frc > out 2>err
check "sign: exit 0, names the key" '[ $? -eq 0 ] && grep -q "signed by ed25519 key [0-9a-f]\{64\}" out'
na=$("$FRC" digest a.frc | grep -c sha256)
ns=$("$FRC" digest s.frc | grep -c sha256)
check "a signature changes neither the contents nor the root (one section more)" \
	'[ "$(root s.frc)" = "$R" ] && [ "$ns" -eq $((na + 1)) ]'
"$FRC" verify --key k1.pub s.frc > out 2>err
check "verify with the signer's key: authentic, exit 0" '[ $? -eq 0 ] && grep -q "authentic.*$R" out'
"$FRC" verify --key k2.pub s.frc > out 2>err
check "verify with another key: signature-mismatch, exit 2" \
	'[ $? -eq 2 ] && grep -q "NOT AUTHENTIC: signature-mismatch" out && grep -q "no signature by this key" err'
"$FRC" info --output=json s.frc | jq -r '.content.signatures[0].public_key' > k1.hex
"$PY" -c '
import base64, sys
pub = bytes.fromhex(open(sys.argv[1]).read().strip())
blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + pub
print("ssh-ed25519 " + base64.b64encode(blob).decode() + " test@frc")' k1.hex > k1.ssh
check "verify takes the key as 64 hex digits and as an OpenSSH line" \
	'"$FRC" verify -q --key k1.hex s.frc && "$FRC" verify -q --key k1.ssh s.frc && ! "$FRC" verify -q --key ds.bin s.frc 2>/dev/null'
"$FRC" sign -q --key k2.pem s.frc
check "a second signer: both keys verify, info lists two signatures" \
	'"$FRC" verify -q --key k1.pub s.frc && "$FRC" verify -q --key k2.pub s.frc &&
	 [ "$("$FRC" info --output=json s.frc | jq ".content.signatures | length")" -eq 2 ]'
"$FRC" convert -q --compress s.frc sz.frc
check "a compressed copy keeps both signatures valid" \
	'"$FRC" verify -q --key k1.pub sz.frc && "$FRC" verify -q --key k2.pub sz.frc'
S=$(sum a12.frc)
"$FRC" sign --key k1.pem a12.frc 2>err
check "sign refuses a file without content digests and leaves it as it was" \
	'[ $? -eq 1 ] && grep -q "no content digests" err && [ "$(sum a12.frc)" = "$S" ]'
S=$(sum a2.frc)
"$FRC" sign --key ec.pem a2.frc 2>err
check "sign refuses a key that is not Ed25519, file untouched" \
	'[ $? -eq 1 ] && grep -q "not an Ed25519 key" err && [ "$(sum a2.frc)" = "$S" ]'
cp a.frc bad.frc
po=$("$FRC" info --output=json bad.frc | jq '.regions[0].pages_offset')
printf '\001' | dd of=bad.frc bs=1 seek=$((po + 4096 + 7)) conv=notrunc status=none
S=$(sum bad.frc)
"$FRC" sign --key k1.pem bad.frc 2>err
check "sign verifies first: a damaged page is not signed (file untouched)" \
	'[ $? -eq 1 ] && grep -q "checksum mismatch" err && [ "$(sum bad.frc)" = "$S" ]'

# ---- the tamper suite: every change refused by its class ----
sig=$("$FRC" info --output=json s.frc | jq '.content.signatures[0].section')
dgs=$("$FRC" info --output=json s.frc | jq '[.sections[] | select(.type == 4) | .index][0]')
total=0
named=0
tamper() { # WANT ACTION...: verify against k1 must fail with class WANT
	want=$1; shift
	cp s.frc t.frc
	$FORGE t.frc "$@" 2>forge.err || { echo "# forge $*: $(tail -1 forge.err)"; return; }
	total=$((total + 1))
	"$FRC" verify --key k1.pub t.frc > out 2>/dev/null
	rc=$?
	got=$(sed -n 's/.*NOT AUTHENTIC: //p' out)
	if [ $rc -eq 2 ] && [ "$got" = "$want" ]; then
		named=$((named + 1))
	else
		echo "# tamper $*: exit $rc, class '$got', want $want"
	fi
}
tamper digest-mismatch page 0 1
tamper digest-mismatch page 0 300
tamper digest-mismatch page 1 127
tamper signature-mismatch --retree page 0 1
tamper signature-mismatch --retree page 1 127
tamper digest-mismatch section 0
tamper signature-mismatch --retree section 0
tamper digest-mismatch section 1
tamper signature-mismatch --retree section 1
tamper digest-mismatch region-id 0
tamper signature-mismatch --retree region-id 1
tamper digest-mismatch leaf 0 2
tamper digest-mismatch leaf 1 127
tamper digest-mismatch root
tamper signature-mismatch sig "$sig"
check "tamper suite: every change with its XXH3 checksums recomputed is refused by name ($named of $total)" \
	'[ "$total" -eq 15 ] && [ "$named" -eq "$total" ]'
cp s.frc t.frc
$FORGE t.frc page 0 1
"$FRC" check t.frc > out 2>err
check "frc check (no key) finds a forged page: digest-mismatch, exit 2, the rule named" \
	'[ $? -eq 2 ] && grep -q "digest-mismatch" out && grep -q "R-DG-LEAF" err'
cp s.frc t.frc
$FORGE t.frc generator
check "the generator is not covered (SPEC: what a signature covers): still authentic" \
	'"$FRC" verify -q --key k1.pub t.frc'

# ---- frc sign killed at every call that changes the file ----
if [ -f "$SHIM" ]; then
	cp a.frc c.frc
	FAULT_COUNT=$T/count LD_PRELOAD=$SHIM "$FRC" sign -q --key k1.pem c.frc
	calls=$(cat count)
	content a.frc > want.content
	bad=0
	k=1
	while [ $k -le "${calls:-0}" ]; do
		cp a.frc c.frc
		FAULT=kill:$k LD_PRELOAD=$SHIM "$FRC" sign -q --key k1.pem c.frc 2>/dev/null
		n=$("$FRC" info --output=json c.frc 2>/dev/null | jq '.content.signatures | length')
		if ! "$FRC" check -q c.frc; then
			echo "# killed at call $k: the file does not verify"; bad=$((bad + 1))
		elif [ "$n" = 1 ]; then
			"$FRC" verify -q --key k1.pub c.frc || { echo "# killed at call $k: signed but not valid"; bad=$((bad + 1)); }
		elif [ "$n" != 0 ]; then
			echo "# killed at call $k: $n signatures"; bad=$((bad + 1))
		elif ! "$FRC" sign -q --key k1.pem c.frc || ! "$FRC" verify -q --key k1.pub c.frc; then
			echo "# killed at call $k: the unsigned file could not be signed again"; bad=$((bad + 1))
		fi
		{ content c.frc | cmp -s - want.content && [ "$(root c.frc)" = "$R" ]; } ||
			{ echo "# killed at call $k: contents changed"; bad=$((bad + 1)); }
		k=$((k + 1))
	done
	check "sign killed at each of its $calls calls: the file unsigned or signed, never damaged, contents the same" \
		'[ "${calls:-0}" -ge 4 ] && [ $bad -eq 0 ]'
else
	notok "the fault shim is built ($SHIM)"
fi

# ---- a forged page through frc mount ----
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
	cp s.frc m.frc
	$FORGE m.frc page 0 1
	mkdir mnt
	"$FRC" mount m.frc mnt 2>mount.err
	page() { "$PY" -c "
import os, sys
fd = os.open('mnt/regions/pc.ram', os.O_RDONLY)
try:
    b = os.pread(fd, 4096, int(sys.argv[1]) * 4096)
    print('ok' if b == open('ram.bin', 'rb').read()[int(sys.argv[1]) * 4096:][:4096] else 'WRONG')
except OSError as e:
    print(os.strerror(e.errno))" "$1"; }
	check "mount: the forged page (checksum right, leaf wrong) fails with EIO, its neighbours read right" \
		'[ "$(page 1)" = "Input/output error" ] && [ "$(page 0)" = ok ] && [ "$(page 2)" = ok ]'
	fusermount3 -u mnt
else
	echo "not run - mount: FUSE is not available here (/dev/fuse or fusermount3 missing)"
fi

# ---- QEMU: a stream imported with --digest ----
tar -xJf "$SRC/tests/fixtures/qemu/qemu-fixtures.tar.xz" stream-file.qemu 2>/dev/null
if [ -f stream-file.qemu ]; then
	"$FRC" import-qemu -q --digest stream-file.qemu q.frc &&
	"$FRC" export-qemu q.frc back.qemu
	check "import-qemu --digest: a 1.3 file with a root, exported byte for byte" \
		'[ $? -eq 0 ] && [ "$(root q.frc)" != none ] && cmp -s stream-file.qemu back.qemu && "$FRC" check -q q.frc'
	"$FRC" import-qemu -q --digest stream-file.qemu q2.frc
	check "the same stream imported twice: the same root" '[ "$(root q2.frc)" = "$(root q.frc)" ]'
else
	notok "the QEMU fixtures unpack (tests/fixtures/qemu)"
fi
echo "# $fails failed"
[ "$fails" -eq 0 ]
