#!/bin/sh
# CLI tests of the reporting and data commands: info/check/dump/diff in
# JSON (parsed with jq) and YAML (parsed with libyaml), extract with safe
# names, diff exit codes, --help of every command. TAP-style output.
# usage: tests/cli_tools_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
YG=$B/tests/yaml_get
CRAFT=$B/tests/craft_file
V=$SRC/testvectors/v1
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-tools-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
# jqis NAME FILE FILTER EXPECTED
jqis() {
	got=$(jq -r "$3" "$2" 2>&1)
	if [ "$got" = "$4" ]; then ok "$1"; else notok "$1 (jq $3: '$got', want '$4')"; fi
}
# yis NAME FILE PATH EXPECTED
yis() {
	got=$("$YG" "$2" "$3" 2>&1)
	if [ "$got" = "$4" ]; then ok "$1"; else notok "$1 (yaml $3: '$got', want '$4')"; fi
}
cd "$T" || exit 1

# a sample: 256 KiB of RAM with every fourth page zero, 128 KiB of VRAM
head -c 262144 /dev/urandom > ram.bin
i=0
while [ $i -lt 64 ]; do
	dd if=/dev/zero of=ram.bin bs=4096 seek=$i count=1 conv=notrunc status=none
	i=$((i + 4))
done
head -c 131072 /dev/urandom > vram.bin
printf 'state' > dev.bin
"$FRC" create -q -a 64K -r pc.ram=ram.bin -r vga=vram.bin -s vga=64K \
	-d dev.bin -m hypervisor=qemu -m machine-type=pc x.frc
check "create with --alignment 64K" '[ $? -eq 0 ]'

# ---- info ----
"$FRC" info --output=json x.frc > info.json
check "info --output=json exits 0" '[ $? -eq 0 ]'
jqis "info json: format_version" info.json .format_version 1.2
jqis "info json: state" info.json .state complete
jqis "info json: read_only" info.json .read_only false
jqis "info json: data_alignment" info.json .data_alignment 65536
jqis "info json: checksum_algorithm" info.json .checksum_algorithm xxh3-64
jqis "info json: superblock.current" info.json .superblock.current A
jqis "info json: superblock.sequence" info.json .superblock.sequence 3
jqis "info json: superblock.other" info.json .superblock.other intact
jqis "info json: no incompat features" info.json '.features.incompat | length' 0
jqis "info json: two regions" info.json '.regions | length' 2
jqis "info json: region 0 id" info.json '.regions[0].id' pc.ram
jqis "info json: region 0 used_length" info.json '.regions[0].used_length' 262144
jqis "info json: region 0 page_size" info.json '.regions[0].page_size' 4096
jqis "info json: region 0 page_count" info.json '.regions[0].page_count' 64
jqis "info json: region 0 present_pages" info.json '.regions[0].present_pages' 48
jqis "info json: region 0 zero_pages" info.json '.regions[0].zero_pages' 16
jqis "info json: region 0 data_bytes" info.json '.regions[0].data_bytes' 196608
jqis "info json: region 0 pages aligned to 64K" info.json '.regions[0].pages_offset % 65536' 0
jqis "info json: region 1 page_size" info.json '.regions[1].page_size' 65536
jqis "info json: section 0 type_name" info.json '.sections[0].type_name' device-state
jqis "info json: section 0 name" info.json '.sections[0].name' dev.bin
jqis "info json: section 0 length" info.json '.sections[0].length' 5
jqis "info json: section 1 type" info.json '.sections[1].type' 2
jqis "info json: metadata" info.json '.metadata.hypervisor' qemu
jqis "info json: uuid format" info.json '.uuid | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")' true
jqis "info json: times are ISO 8601" info.json '.commit_time | test("^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")' true
"$FRC" info --output=yaml x.frc > info.yaml
check "info --output=yaml exits 0" '[ $? -eq 0 ]'
yis "info yaml: state" info.yaml state complete
yis "info yaml: region 1 id" info.yaml regions.1.id vga
yis "info yaml: region 0 present_pages" info.yaml regions.0.present_pages 48
yis "info yaml: metadata" info.yaml metadata.machine-type pc
"$FRC" info --output=json "$V/future/005-unknown-ro-compat.frc" > ro.json
jqis "info json: unknown ro-compat feature named, read-only" ro.json \
	'[.read_only, .features.ro_compat[0].bit, .features.ro_compat[0].name, .features.ro_compat[0].known] | @tsv' \
	"$(printf 'true\t0\tfuture-dedup-index\tfalse')"
"$FRC" info --output=xml x.frc 2>err
check "info rejects an unknown --output" '[ $? -eq 1 ] && grep -q "human, json or yaml" err'

# ---- check ----
"$FRC" check --output=json x.frc > ok.json
check "check --output=json on a good file exits 0" '[ $? -eq 0 ]'
jqis "check json: result" ok.json .result consistent
jqis "check json: no problems" ok.json '.problems | length' 0
"$CRAFT" flip-page x.frc bad.frc 0 5
"$CRAFT" flip-page bad.frc bad.frc 1 1
"$FRC" check --output=json bad.frc > bad.json
check "check --output=json on a damaged file exits 2" '[ $? -eq 2 ]'
jqis "check json: result corrupt" bad.json .result corrupt
jqis "check json: exit_code" bad.json .exit_code 2
jqis "check json: both damaged pages" bad.json '.problem_count' 2
jqis "check json: first problem class" bad.json '.problems[0].class' checksum-mismatch
jqis "check json: first problem region/page" bad.json '[.problems[0].region, .problems[0].page] | @tsv' "$(printf '0\t5')"
off=$(jq '.regions[0].pages_offset + 5 * 4096' info.json)
jqis "check json: first problem offset" bad.json '.problems[0].offset' "$off"
jqis "check json: second problem region/page" bad.json '[.problems[1].region, .problems[1].page] | @tsv' "$(printf '1\t1')"
jqis "check json: message names the rule" bad.json '.problems[0].message | test("SPEC R-CSUM")' true
"$CRAFT" incomplete x.frc inc.frc
"$FRC" check --output=yaml inc.frc > inc.yaml
check "check --output=yaml on an incomplete file exits 3" '[ $? -eq 3 ]'
yis "check yaml: result incomplete" inc.yaml result incomplete
yis "check yaml: problem class" inc.yaml problems.0.class incomplete
"$FRC" check --salvage --output=json inc.frc > salv.json
check "check --salvage --output=json exits 3" '[ $? -eq 3 ]'
jqis "check salvage json: pages still verify" salv.json '.salvage[0] | [.verified, .zero, .damaged] | @tsv' "$(printf '48\t16\t0')"
"$FRC" check --salvage --output=json "$V/invalid/067-incomplete.frc" > salv2.json
jqis "check salvage json: without bitmaps pages are unverifiable" salv2.json '.salvage[0].unverifiable' 12
"$CRAFT" tear-a x.frc torn.frc
"$FRC" check --output=json torn.frc > torn.json
jqis "check json: torn copy is a warning" torn.json '[.result, (.warnings | length)] | @tsv' "$(printf 'consistent\t1')"
"$FRC" check -q bad.frc > q.out 2>&1
check "check -q prints nothing" '[ $? -eq 2 ] && [ ! -s q.out ]'

# ---- dump ----
"$FRC" dump --page pc.ram:1 x.frc > dump.txt
check "dump exits 0" '[ $? -eq 0 ]'
for s in "signature" "superblock copy A (current)" "feature-name table" \
	"region table" "bitmap of region 'pc.ram'" "checksum table of region 'vga'" \
	"page area of region 'vga'" "section 0 (device-state dev.bin)" "section table"; do
	check "dump lists the $s" 'grep -q "$s" dump.txt'
done
check "dump shows the bitmap as runs" 'grep -q "1-3, 5-7, 9-11" dump.txt'
want=$(od -A n -t x1 -j 4096 -N 4 ram.bin | tr -d ' \n')
got=$(sed -n '/^page 1 of region/{n;p}' dump.txt | cut -c11-20 | tr -d ' ')
check "dump --page prints the page's bytes" '[ "$got" = "$want" ]'
"$FRC" dump --output=json --page '#1:0' x.frc > dump.json
jqis "dump json: regions[0] runs" dump.json '.regions[0].present_runs[0] | [.first, .count] | @tsv' "$(printf '1\t3')"
# after the fixed area and libfrc's feature-name table (two names, 2 x 48 + 8)
jqis "dump json: region table offset" dump.json '[.structures[] | select(.name == "region table") | .offset] | .[0]' 12488
jqis "dump json: page region" dump.json '.page.region' vga
jqis "dump json: page verification" dump.json '.page.verification' ok
jqis "dump json: page hex length" dump.json '.page.hex | length' 131072
"$FRC" dump "$V/invalid/067-incomplete.frc" > dinc.txt
check "dump works on an incomplete file" '[ $? -eq 0 ] && grep -q INCOMPLETE dinc.txt'
"$FRC" dump --page nosuch:0 x.frc 2> err >/dev/null
check "dump --page with no such region fails" '[ $? -eq 1 ] && grep -q "no such region" err'

# ---- extract ----
"$FRC" extract x.frc -C out > ex.txt
check "extract -C exits 0" '[ $? -eq 0 ]'
check "extract: pc.ram image equals the input" 'cmp -s out/pc.ram.img ram.bin'
check "extract: vga image equals the input" 'cmp -s out/vga.img vram.bin'
check "extract: device state" 'cmp -s out/section-0-device-state-dev.bin.bin dev.bin'
jqis "extract: metadata.json" out/metadata.json .hypervisor qemu
alloc=$(($(stat -c %b out/pc.ram.img) * 512))
check "extract: absent pages are holes ($alloc bytes allocated)" '[ "$alloc" -lt 262144 ]'
"$FRC" extract x.frc -C out 2> err
check "extract refuses to overwrite" '[ $? -eq 1 ] && grep -q "use --force" err'
"$FRC" extract -f -q x.frc -C out
check "extract --force overwrites" '[ $? -eq 0 ] && cmp -s out/pc.ram.img ram.bin'
"$FRC" extract x.frc --region vga -o one.img
check "extract --region -o" '[ $? -eq 0 ] && cmp -s one.img vram.bin'
"$FRC" extract x.frc --region '#0' -o - | cmp -s - ram.bin
check "extract --region to standard output" '[ $? -eq 0 ]'
"$FRC" extract x.frc --section 0 -o sec.bin
check "extract --section -o" '[ $? -eq 0 ] && cmp -s sec.bin dev.bin'
"$FRC" extract bad.frc --region pc.ram -o badout.img 2> err
check "extract stops on a damaged page and leaves no file" \
	'[ $? -eq 1 ] && [ ! -e badout.img ] && grep -q "page 5" err'
mkdir -p jail/inner
"$FRC" extract "$V/valid/020-hostile-ids.frc" -C jail/inner > hostile.txt
check "extract of hostile ids exits 0" '[ $? -eq 0 ]'
check "hostile ids: nothing escaped the directory" \
	'[ "$(ls jail)" = inner ] && [ ! -e /x ] && [ ! -e "$T/etc" ]'
check "hostile ids: every file is directly in the directory" \
	'[ "$(find jail/inner -type f | wc -l)" -eq 6 ] && [ "$(find jail/inner -mindepth 2 | wc -l)" -eq 0 ]'
check "hostile ids: the mapping is reported" \
	'grep -q "region '"'"'../../etc/passwd'"'"' -> jail/inner/_._.._etc_passwd.img (id mapped" hostile.txt'
check "hostile ids: control characters are not printed raw" \
	'grep -q "region '"'"'a\\\\x01b\\\\x1b\[31m'"'"'" hostile.txt && ! grep -q "$(printf '"'"'\033'"'"')" hostile.txt'
check "hostile ids: '..' is mapped too" '[ -f jail/inner/_..img ] || [ -f jail/inner/_.img ]'
ln -s /tmp/should-not-be-written jail/inner2
mkdir -p sl && ln -s "$T/target" sl/pc.ram.img
"$FRC" extract -f -q x.frc -C sl 2>err
check "extract never writes through a symlink" '[ $? -eq 1 ] && [ ! -e "$T/target" ]'

# ---- diff ----
"$FRC" diff x.frc x.frc > d.txt
check "diff of a file with itself exits 0" '[ $? -eq 0 ] && grep -q "same contents" d.txt'
"$FRC" create -q -a 4K -r pc.ram=ram.bin -r vga=vram.bin -s vga=64K -d dev.bin \
	-m hypervisor=qemu -m machine-type=pc y.frc
"$FRC" diff x.frc y.frc > d.txt
check "diff: same memory saved with another layout is the same" '[ $? -eq 0 ]'
cp ram.bin ram2.bin
# change one byte (never to the value it has) at a given offset
bump() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $(((b + 1) % 256)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
bump ram2.bin $((4096 * 9 + 7))
bump ram2.bin $((4096 * 10))
dd if=/dev/zero of=ram2.bin bs=4096 seek=21 count=1 conv=notrunc status=none
"$FRC" create -q -r pc.ram=ram2.bin -r vga=vram.bin -s vga=64K -d dev.bin \
	-m hypervisor=kvm -m machine-type=pc z.frc
"$FRC" diff x.frc z.frc > d.txt
check "diff of different files exits 1" '[ $? -eq 1 ]'
check "diff lists the differing pages" 'grep -q "region '"'"'pc.ram'"'"': 3 pages differ: 9-10, 21" d.txt'
check "diff reports metadata changes" 'grep -q "metadata '"'"'hypervisor'"'"': '"'"'qemu'"'"' vs '"'"'kvm'"'"'" d.txt'
"$FRC" diff --output=json x.frc z.frc > d.json
jqis "diff json: same false" d.json .same false
jqis "diff json: region status" d.json '.regions[0].status' different
jqis "diff json: differing pages" d.json '.regions[0].differing_pages' 3
jqis "diff json: runs" d.json '[.regions[0].differing_runs[] | "\(.first)+\(.count)"] | join(",")' "9+2,21+1"
jqis "diff json: vga same" d.json '.regions[1].status' same
jqis "diff json: metadata" d.json '.metadata[0] | [.key, .a, .b] | @tsv' "$(printf 'hypervisor\tqemu\tkvm')"
"$FRC" create -q -r pc.ram=ram.bin w.frc
"$FRC" diff --output=yaml x.frc w.frc > d.yaml
check "diff with a missing region exits 1" '[ $? -eq 1 ]'
yis "diff yaml: region only in a" d.yaml regions.1.status only-in-a
"$FRC" diff x.frc nosuch.frc 2>err
check "diff with an unreadable file exits 2" '[ $? -eq 2 ] && grep -q "nosuch.frc" err'
"$FRC" diff x.frc bad.frc 2>err >/dev/null
check "diff with a damaged file exits 2" '[ $? -eq 2 ] && grep -q "checksum mismatch" err'

# ---- help ----
COMMANDS="create info check sign verify flatten extract dump diff convert conform digest bench import-qemu export-qemu prepare-qemu seal-qemu mount save-qemu restore-qemu"
for c in $COMMANDS; do
	"$FRC" $c --help > help.txt
	check "frc $c --help" '[ $? -eq 0 ] && grep -q "usage: frc $c" help.txt'
done
"$FRC" --help > help.txt
for c in $COMMANDS; do
	check "frc --help lists $c" 'grep -q "^  $c " help.txt'
done
for c in $COMMANDS; do
	check "frc-$c has a man page" '[ -f "$SRC/tools/man/frc-$c.adoc" ] && [ -f "$B/doc/frc-$c.1" ]'
done

# ---- remaining options ----
"$FRC" info inc.frc 2>err >/dev/null
check "info refuses an incomplete file" '[ $? -eq 1 ] && grep -q incomplete err'
"$FRC" info --salvage inc.frc > i.txt
check "info --salvage shows it" '[ $? -eq 0 ] && grep -q "INCOMPLETE" i.txt'
runs=$(awk '/^region .pc.ram/ {getline; print}' dump.txt)
"$FRC" dump --all-runs x.frc > all.txt
check "dump --all-runs prints the same runs for a short list" \
	'[ "$(awk '"'"'/^region .pc.ram/ {getline; print}'"'"' all.txt)" = "$runs" ]'
# 2048 runs: a data page, a zero page, ... (doubled 11 times)
head -c 4096 /dev/urandom > alt.bin && head -c 4096 /dev/zero >> alt.bin
for i in 1 2 3 4 5 6 7 8 9 10 11; do cat alt.bin alt.bin > alt2.bin && mv alt2.bin alt.bin; done
"$FRC" create -q -r r=alt.bin frag.frc
"$FRC" dump frag.frc > frag.txt
check "dump caps a long run list in human output" \
	'grep -q ", ... (1048 more runs)" frag.txt'
"$FRC" dump --all-runs frag.frc > frag.txt
check "dump --all-runs lists all 2048 runs" \
	'grep -q "4094$" frag.txt && ! grep -q "more runs" frag.txt'
"$FRC" conform -v --impl 'echo oops >&2; exit 3 #' "$SRC/testvectors/v1/valid.yaml" >cv.out 2>cv.err
check "conform -v shows the implementation's stderr" 'grep -q oops cv.err'
"$FRC" conform --impl 'echo oops >&2; exit 3 #' "$SRC/testvectors/v1/valid.yaml" >cv.out 2>cv.err
check "conform without -v hides it" '! grep -q oops cv.err'
# what the runner gives an implementation (testvectors/README.md): stdin
# and stderr /dev/null, stderr writable; the time limit binds even a
# program that closed its output, and kills what it started
cat > impl.sh <<EOF
#!/bin/sh
echo diagnostics >&2 || exit 9
exec "$FRC" digest "\$1"
EOF
"$FRC" conform -q --impl "sh $T/impl.sh" "$SRC/testvectors/v1/valid.yaml" > cv.out 2>&1
check "conform: an implementation may write to its stderr" '[ $? -eq 0 ]'
start=$(date +%s)
"$FRC" conform --timeout 0.2 --impl 'exec >&-; sleep 30 & sleep 30 #' "$SRC/testvectors/v1/valid.yaml" > cv.out 2>&1
rc=$?; took=$(( $(date +%s) - start ))
check "conform: the time limit binds a program that closed its stdout (took ${took}s)" \
	'[ $rc -ne 0 ] && grep -q "FAIL v1-valid-001" cv.out && [ $took -lt 30 ]'

# ---- create --direct ----
"$FRC" create -q --direct -r pc.ram=ram.bin d.frc 2>err
check "create --direct" '[ $? -eq 0 ] && "$FRC" diff -q d.frc w.frc'

# ---- arguments refused, each with its reason ----
"$FRC" create -q -a 0 -r pc.ram=ram.bin a0.frc 2>err
check "create -a 0 is refused (not a power of two from 512)" '[ $? -ne 0 ] && grep -q "invalid alignment" err && [ ! -e a0.frc ]'
"$FRC" create -q none.frc 2>err
check "create with nothing to store is refused" '[ $? -ne 0 ] && grep -q "nothing to store" err && [ ! -e none.frc ]'
"$FRC" create -q -d ram.bin devonly.frc 2>err
check "create with device state alone makes a file" '[ $? -eq 0 ] && "$FRC" check -q devonly.frc'
"$FRC" create -q -s ' 4096' -r pc.ram=ram.bin sp.frc 2>err
check "create -s ' 4096' is refused (no blanks in numbers)" '[ $? -ne 0 ] && [ ! -e sp.frc ]'
"$FRC" extract -q --section 99999999999999999999 -o sec.out w.frc 2>err
check "extract --section 99999999999999999999 is refused as invalid, not as missing" \
	'[ $? -ne 0 ] && grep -q "invalid section number" err && [ ! -e sec.out ]'
"$FRC" digest no-such.frc > dg.out 2>err
check "digest of a missing file says why" '[ $? -ne 0 ] && grep -q "No such file" err'
"$FRC" export-qemu --memory=pc.ram=x w.frc eq.out 2>err
check "export-qemu --memory without mapped-ram says why, not only the usage" \
	'[ $? -ne 0 ] && grep -q "needs --format=mapped-ram" err && [ ! -e eq.out ]'
"$FRC" prepare-qemu pq.frc > /dev/full 2>err
check "prepare-qemu with a full stdout: exit 1, and says the file is complete" \
	'[ $? -eq 1 ] && grep -q "written and complete" err && [ -s pq.frc ]'
[ "$fails" -eq 0 ]
