#!/bin/sh
# The educational reader (tools/reference/frc_reference.py) against libfrc: every
# test vector through the `frc conform --impl` protocol, files of many
# shapes made by `frc create`, and hundreds of single-byte mutations of
# one: both readers give the same verdict on every file (accepted with the
# same contents, or refused with the same error class). QEMU-made files
# are compared in tests/qemu_test.sh. TAP output.
# usage: tests/reference_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-ref-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/reference.sh"
cd "$T" || exit 1
[ -n "$REF" ] || { notok "python3 with xxhash is installed (tools/helpers/install_deps.sh)"; exit 1; }

V=$SRC/testvectors/v1
"$FRC" conform -q --timeout 120 --impl "$REF" "$V/valid.yaml" "$V/invalid.yaml" "$V/future.yaml" > out 2>&1
check "the educational reader passes every vector ($(tail -1 out))" '[ $? -eq 0 ]'
sed -n 's/^FAIL/# FAIL/p' out | head -20

# files of many shapes from frc create
head -c 1048576 /dev/urandom > rand.bin
head -c 262144 /dev/zero > zero.bin
{ head -c 65536 /dev/urandom; head -c 65536 /dev/zero; head -c 4096 /dev/urandom; head -c 61440 /dev/zero; } > mixed.bin
head -c 4194304 /dev/urandom > big.bin
printf 'device state' > dev.bin
"$FRC" create -q -r pc.ram=rand.bin c1.frc &&
"$FRC" create -q -r pc.ram=mixed.bin -r vga=rand.bin -s vga=64K -r "rom é"=zero.bin -s "rom é"=512 \
	-d dev.bin -m hypervisor=qemu -m description="ünïcode" c2.frc &&
"$FRC" create -q -r z=zero.bin c3.frc &&
"$FRC" create -q -r huge=big.bin -s huge=2M c4.frc &&
"$FRC" create -q -d dev.bin c5.frc &&
"$FRC" create -q -r a=mixed.bin -r b=mixed.bin -r c=mixed.bin -s c=1K c6.frc
check "frc create makes six files" '[ $? -eq 0 ]'
bad=
for f in c1 c2 c3 c4 c5 c6; do
	agree "$f.frc" || bad="$bad $f"
done
check "both readers accept every created file with the same contents" '[ -z "$bad" ]'
[ -n "$bad" ] && echo "# disagree:$bad"

# structural mutations of c6 with every checksum re-sealed (tests/mutate.py),
# so that the rule a changed byte breaks decides: every byte of the
# superblock field, every third byte of the tables, 40 raw bytes elsewhere
n=0; bad=; classes=
mutants() {
	for p in $(seq 0 143) $(seq 144 4 247); do echo "sb $p 0x01"; done
	for w in ft:128 rt:96 st:112; do
		len=$(od -An -tu4 -j $((4096 + ${w#*:} + 8)) -N4 c6.frc | tr -d ' ')
		for p in $(seq 0 3 $((len - 9))); do echo "${w%:*} $p 0x81"; done
	done
	size=$(stat -c %s c6.frc)
	for p in $(seq 0 $((size / 40)) "$size"); do echo "raw $p 0x5a"; done
}
mutants > list
while read -r what pos xor; do
	$PY "$SRC/tests/mutate.py" c6.frc m.frc "$what" "$pos" "$xor" || continue
	agree m.frc || bad="$bad $what:$pos"
	classes="$classes $(verdict_of_libfrc m.frc)"
	n=$((n + 1))
done < list
check "both readers agree on all $n mutated files" '[ -z "$bad" ]'
[ -n "$bad" ] && echo "# disagree at:$bad"
echo "# verdicts:$(echo "$classes" | tr ' ' '\n' | grep . | sort | uniq -c | awk '{printf " %s %s", $2, $1}')"
check "the mutations reach at least 6 verdicts" '[ "$(echo "$classes" | tr " " "\n" | grep . | sort -u | wc -l)" -ge 6 ]'
[ "$fails" -eq 0 ]
