#!/bin/sh
# frc with compressed regions (format 1.2): create --compress, check,
# extract, info, convert both ways, a damaged frame, refusals. TAP-style.
# usage: tests/cli_compress_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
YG=$B/tests/yaml_get
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-compress-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
# the LD_PRELOAD shims come before the sanitizer's runtime in the sanitizer
# build: let it run there
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
cd "$T" || exit 1

# 8 MiB of guest RAM: text (compresses), random bytes (does not), zeros
dd if=/dev/zero of=ram.bin bs=1M count=8 status=none
i=0
while [ $i -lt 60000 ]; do echo "kernel log line $i: all is well"; i=$((i + 1)); done |
	dd of=ram.bin conv=notrunc status=none
head -c 1048576 /dev/urandom | dd of=ram.bin bs=1M seek=4 conv=notrunc status=none

"$FRC" create -q -r pc.ram=ram.bin plain.frc
"$FRC" create -q --compress -r pc.ram=ram.bin packed.frc
check "create --compress" '[ $? -eq 0 ]'
check "frc check accepts the compressed file" '"$FRC" check -q packed.frc'
"$FRC" extract -q packed.frc --region pc.ram -o back.bin
check "extract gives back the image byte for byte" 'cmp -s back.bin ram.bin'
"$FRC" info --output=yaml packed.frc >info.yaml
check "info: compression zstd" '[ "$($YG info.yaml regions.0.compression)" = zstd ]'
check "info: format 1.2 with compressed-frames" \
	'[ "$($YG info.yaml format_version)" = 1.2 ] && grep -q compressed-frames info.yaml'
check "info: frames of 16 pages (64 KiB)" '[ "$($YG info.yaml regions.0.frame_pages)" = 16 ]'
comp=$($YG info.yaml regions.0.compressed_frames)
raw=$($YG info.yaml regions.0.raw_frames)
check "info: text frames compressed ($comp), random ones raw ($raw)" \
	'[ "$comp" -gt 0 ] && [ "$raw" -ge 16 ]'
pa=$(($(stat -c %b plain.frc) * 512))
ca=$(($(stat -c %b packed.frc) * 512))
echo "# disk: $pa bytes uncompressed, $ca compressed"
check "the compressed file takes less disk" '[ "$ca" -lt $((pa / 2)) ]'

# a frame is decompressed once per command, not once per page: a region in
# 16 MiB frames (compressible text, so every frame is compressed)
i=0
while [ $i -lt 400000 ]; do echo "line $i of the guest's page cache text"; i=$((i + 1)); done |
	head -c 16777216 > text16.bin
"$FRC" create -q --compress --frame=16M -r pc.ram=text16.bin f16.frc
for cmd in "extract -q -f --region pc.ram -o f16.out" "digest" "check -q" \
	"diff f16.frc"; do
	FRC_ZSTD_COUNT=$T/zc LD_PRELOAD=$B/tests/zstd_count_shim.so \
		"$FRC" $cmd f16.frc >/dev/null 2>&1
	n=$(cat zc 2>/dev/null)
	check "frc $cmd decodes the one 16 MiB frame once or twice ($n times), not per page" \
		'[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 2 ]'
done
check "and extract gives the region back" 'cmp -s f16.out text16.bin'

# one-page frames never save a block: every stored frame is raw
"$FRC" create -q --compress --frame=4K -r pc.ram=ram.bin small.frc
"$FRC" info --output=yaml small.frc >small.yaml
check "--frame=4K: frames of one page, all stored raw" \
	'[ "$($YG small.yaml regions.0.frame_pages)" = 1 ] && [ "$($YG small.yaml regions.0.compressed_frames)" = 0 ]'

# convert both ways, the contents unchanged
"$FRC" convert -q packed.frc unpacked.frc
check "convert to uncompressed" '[ $? -eq 0 ] && "$FRC" check -q unpacked.frc'
check "which has no compressed-frames feature (readable by 1.1 readers)" \
	'! "$FRC" info unpacked.frc | grep -q compressed-frames'
check "and the same contents" '"$FRC" diff -q plain.frc unpacked.frc'
"$FRC" convert -q --compress=1 --frame=256K plain.frc big.frc
check "convert --compress=1 --frame=256K" \
	'[ $? -eq 0 ] && "$FRC" diff -q plain.frc big.frc && "$FRC" info --output=yaml big.frc > big.yaml && [ "$($YG big.yaml regions.0.frame_pages)" = 64 ]'

# a flipped byte in a compressed frame: caught, named
off=$($YG info.yaml regions.0.pages_offset)
cp packed.frc bad.frc
printf '\377' | dd of=bad.frc bs=1 seek=$((off + 200)) conv=notrunc status=none
"$FRC" check bad.frc >bad.out 2>&1
st=$?
check "a damaged compressed frame: check exits 2 and names the frame and rule" \
	'[ $st -eq 2 ] && grep -q "frame 0 of region .pc.ram.: checksum mismatch (SPEC R-CF-CSUM)" bad.out'
"$FRC" convert -q bad.frc from-bad.frc 2>err.txt
check "convert of a damaged file fails and leaves nothing" \
	'[ $? -ne 0 ] && [ ! -e from-bad.frc ] && [ -z "$(ls -A | grep "^from-bad")" ]'

# refusals
"$FRC" convert -q packed.frc packed.frc 2>err.txt
check "convert refuses to write over its input" '[ $? -ne 0 ] && cmp -s packed.frc packed.frc && "$FRC" check -q packed.frc'
"$FRC" create -q --compress=99 -r pc.ram=ram.bin x.frc 2>err.txt
check "--compress=99 refused, naming the option" '[ $? -ne 0 ] && grep -q "compress=99" err.txt && [ ! -e x.frc ]'
"$FRC" create -q --compress --frame=3K -r pc.ram=ram.bin x.frc 2>err.txt
check "--frame=3K refused" '[ $? -ne 0 ] && grep -q "power of two" err.txt && [ ! -e x.frc ]'

echo "# $fails failed"
[ "$fails" -eq 0 ]
