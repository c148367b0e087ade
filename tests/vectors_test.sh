#!/bin/sh
# The golden test vectors: the generator reproduces every file and manifest
# byte for byte, every SPEC requirement has a vector, libfrc passes them all
# (in process and through the --impl protocol), and the runner catches
# wrong implementations and altered files. TAP-style output.
# usage: tests/vectors_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-vectors-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
cd "$SRC" || exit 1

"$B/frc-gen-vectors" --spec SPEC.adoc "$T/gen" >"$T/log" 2>&1
check "generator runs and every SPEC requirement has a vector" '[ $? -eq 0 ]'
sed 's/^/# /' "$T/log"
diff -r testvectors/v1 "$T/gen/v1" >"$T/diff" 2>&1
check "regenerated vectors and manifests equal the checked-in ones" '[ $? -eq 0 ]'
head -20 "$T/diff" | sed 's/^/# /'

# every R- anchor the code and the tests cite exists in SPEC.adoc
grep -oh 'R-[A-Z0-9]*[A-Z0-9-]*[A-Z0-9]' codec/*.c codec/*.h tools/*.c tests/*.c tests/*.sh 2>/dev/null |
	sort -u > "$T/cited"
missing=
for a in $(cat "$T/cited"); do
	grep -q "\[\[$a\]\]" SPEC.adoc || missing="$missing $a"
done
check "every R- anchor cited in the code and tests is defined in SPEC.adoc ($(wc -l < "$T/cited") cited)" '[ -z "$missing" ]'
[ -n "$missing" ] && echo "# undefined:$missing"

"$FRC" conform -q >"$T/out" 2>&1
check "frc conform: libfrc passes every vector" '[ $? -eq 0 ]'
tail -1 "$T/out" | sed 's/^/# /'
n=$(sed -n 's/^\([0-9]*\) passed, 0 failed.*/\1/p' "$T/out")
na=$(sed -n 's/.* \([0-9]*\) not applicable to a .*/\1/p' "$T/out")
total=$(grep -c '^- id:' testvectors/v1/*.yaml | awk -F: '{s += $2} END {print s}')
# the vectors that only older readers are judged on (applies_below)
older=$(grep -c '^  applies_below:' testvectors/v1/future.yaml)
check "frc conform ran all $total vectors ($older only for readers older than libfrc's format)" \
	'[ "$n" = "$((total - older))" ] && [ "${na:-0}" = "$older" ] && [ "$older" -ge 1 ]'
# as a 1.1 reader libfrc is wrong exactly on the 1.1 view of 1.2 and 1.3
# files, as a 1.2 reader on the 1.2 view of 1.3 files
"$FRC" conform -q --reader-version 1.1 >"$T/out11" 2>&1
check "frc conform --reader-version 1.1: the 1.2 and 1.3 vectors are not applicable, and libfrc fails the 1.1 view of a compressed file and of a file with content digests" \
	'grep -q "^FAIL v1-future-014:" "$T/out11" && grep -q "^FAIL v1-future-015:" "$T/out11" && grep -q "^FAIL v1-future-016:" "$T/out11" && [ "$(grep -c "^FAIL" "$T/out11")" -eq 3 ] && grep -q "not applicable to a 1.1 reader" "$T/out11"'
"$FRC" conform -q --reader-version 1.2 >"$T/out12" 2>&1
check "frc conform --reader-version 1.2: the 1.3 vectors are not applicable, and libfrc fails the 1.2 views of a file with content digests (it reads it, not read-only) and of a snapshot on a base (it reads it)" \
	'grep -q "^FAIL v1-future-015: expected accept-read-only, got accept$" "$T/out12" && grep -q "^FAIL v1-future-016:" "$T/out12" && [ "$(grep -c "^FAIL" "$T/out12")" -eq 2 ] && grep -q "not applicable to a 1.2 reader" "$T/out12"'
"$FRC" conform -q --impl "$FRC digest" >"$T/out" 2>&1
check "frc conform --impl 'frc digest' passes every vector" '[ $? -eq 0 ]'

# wrong implementations must fail
mkdir -p "$T/m"
awk '/^vectors:/ {print; exit} {print}' testvectors/v1/valid.yaml > "$T/m/one.yaml"
awk '/^- id: "v1-valid-003"/ {p = 1; print; next} p && /^- id:/ {exit} p {print}' \
	testvectors/v1/valid.yaml >> "$T/m/one.yaml"
ln -s "$SRC/testvectors/v1/valid" "$T/m/valid"
"$FRC" conform "$T/m/one.yaml" >"$T/out" 2>&1
check "a one-vector manifest passes" 'grep -q "^1 passed, 0 failed" "$T/out"'
"$FRC" conform --impl 'echo checksum-mismatch; exit 1 #' "$T/m/one.yaml" >"$T/out" 2>&1
check "an implementation rejecting a valid file fails" \
	'[ $? -ne 0 ] && grep -q "FAIL v1-valid-003: expected accept, got reject checksum-mismatch" "$T/out"'
printf 'read_only: false\nregions: []\nsections: []\n' > "$T/empty.yaml"
"$FRC" conform --impl "cat $T/empty.yaml #" "$T/m/one.yaml" >"$T/out" 2>&1
check "an implementation returning wrong contents fails" \
	'[ $? -ne 0 ] && grep -q "FAIL v1-valid-003: 0 regions, want 1" "$T/out"'
"$FRC" conform --impl "cat $T/empty.yaml #" testvectors/v1/invalid.yaml >"$T/out" 2>&1
ninv=$(grep -c '^- id:' testvectors/v1/invalid.yaml)
check "an implementation accepting everything fails every invalid vector ($ninv)" \
	'grep -q "^0 passed, $ninv failed" "$T/out"'
"$FRC" conform --impl 'kill -SEGV $$ #' "$T/m/one.yaml" >"$T/out" 2>&1
check "a crashing implementation fails" 'grep -q "killed by signal 11" "$T/out"'
"$FRC" conform --timeout 1 --impl 'sleep 10 #' "$T/m/one.yaml" >"$T/out" 2>&1
check "a hanging implementation times out" 'grep -q "timed out" "$T/out"'
"$FRC" conform --impl 'exit 3 #' "$T/m/one.yaml" >"$T/out" 2>&1
check "an unexpected exit status fails" 'grep -q "exit status 3" "$T/out"'
"$FRC" conform --impl "$FRC digest" "$T/m/one.yaml" >"$T/out" 2>&1
check "the protocol path works on the one-vector manifest" 'grep -q "^1 passed, 0 failed" "$T/out"'

# an altered vector file is refused before any implementation runs
rm "$T/m/valid" && mkdir "$T/m/valid"
cp testvectors/v1/valid/003-single-page.frc "$T/m/valid/"
printf 'x' | dd of="$T/m/valid/003-single-page.frc" bs=1 seek=20000 conv=notrunc status=none
"$FRC" conform "$T/m/one.yaml" >"$T/out" 2>&1
check "a changed vector file is detected" 'grep -q "the vector file was changed" "$T/out"'

# the digests of frc digest are those of the manifest
"$FRC" digest testvectors/v1/valid/006-several-regions.frc > "$T/d.yaml"
for h in $(sed -n 's/^    sha256: "\(.*\)"/\1/p' "$T/d.yaml" | head -3); do
	grep -q "$h" testvectors/v1/valid.yaml || notok "digest $h in the manifest"
done
ok "frc digest prints the manifest's region digests"
"$FRC" digest testvectors/v1/invalid/027-page-checksum.frc >"$T/out" 2>"$T/err"
check "frc digest rejects with exit 1 and the class" \
	'[ $? -eq 1 ] && [ "$(cat "$T/out")" = "checksum-mismatch" ] && grep -q "page 4" "$T/err"'

# frc check's exit status follows each vector's expectation
bad=0
seen=0
for set in valid invalid future; do
	awk '/^  path:/ {p = $2} /^  expect:/ {e = $2} /^  error:/ {c = $2}
	     /^  rules:/ {r = $0; sub(/^  rules: \[/, "", r); sub(/\]$/, "", r);
			  gsub(/ /, "", r)}
	     /^  applies_below:/ {old = 1}
	     /^  made_by:/ {if (!old) print p, e, (e == "reject" ? c : "-"), r;
			    c = "-"; old = 0}' \
		"testvectors/v1/$set.yaml" > "$T/list"
	while read -r path expect class rules; do
		case "$class" in
		-) want=0 ;;
		incomplete) want=3 ;;
		unsupported-*) want=63 ;;
		*) want=2 ;;
		esac
		said=$("$FRC" check "testvectors/v1/$path" 2>"$T/why")
		got=$?
		# the rule its message names is one the vector exercises
		named=$(sed -n 's/.*(SPEC \(R-[A-Z0-9, R-]*\)).*/\1/p' "$T/why" |
			head -1 | tr -d ' ' | tr ',' ' ')
		said=${said##*: }
		seen=$((seen + 1))
		if [ "$got" -ne "$want" ]; then
			echo "# frc check $path: exit $got, want $want"
			bad=$((bad + 1))
		elif [ "$class" != - ] && [ "$said" != "$class" ]; then
			# one verdict: check names the class digest and conform do
			echo "# frc check $path: says $said, want $class"
			bad=$((bad + 1))
		elif [ "$set" = invalid ]; then
			hit=
			for a in $named; do
				case ",$rules," in *",$a,"*) hit=1 ;; esac
			done
			if [ -z "$hit" ]; then
				echo "# frc check $path: names ${named:-no rule}, want one of $rules"
				bad=$((bad + 1))
			fi
		fi
	done < "$T/list"
done
check "frc check exits 0/2/3/63 and names the class (and for invalid files a rule) each vector's expectation says ($seen files)" \
	'[ "$bad" -eq 0 ] && [ "$seen" -eq "$((total - older))" ]'
# frc digest lists every region and section, however many (the protocol)
mkdir -p "$T/many"
args=
i=0
while [ $i -lt 70 ]; do
	{ printf 'region %d\n' $i; head -c 4096 /dev/zero; } | head -c 4096 > "$T/many/r$i"
	args="$args -r r$i=$T/many/r$i -d $T/many/r$i"
	i=$((i + 1))
done
"$FRC" create $args "$T/many.frc" >/dev/null 2>&1
"$FRC" digest "$T/many.frc" > "$T/many.yaml"
check "frc digest lists all 70 regions and 70 sections of a file" \
	'[ "$(grep -c "^- id:" "$T/many.yaml")" -eq 70 ] && [ "$(grep -c "^- index:" "$T/many.yaml")" -ge 70 ]'
mkdir -p "$T/m2"
cp "$T/m/one.yaml" "$T/m2/"
ln -s "$SRC/testvectors/v1/valid" "$T/m2/valid"
"$FRC" conform --impl "cat $T/many.yaml #" "$T/m2/one.yaml" >"$T/out" 2>&1
check "frc conform reads an implementation's list of 70 regions" \
	'grep -q "FAIL v1-valid-003: 70 regions, want 1" "$T/out"'
[ "$fails" -eq 0 ]
