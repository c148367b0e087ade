#!/bin/sh
# The unit tests and the frc command under valgrind's memcheck: no invalid
# access, no use of uninitialised memory, no leak. TAP-style output.
# (Not run for the ASan build, which checks the same with its own tools.)
# usage: tests/valgrind_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-vg-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
# --fair-sched=yes: valgrind runs one thread at a time, and its default
# lock lets busy threads (test_robust's racing readers) starve the others
# for minutes
# (test_robust's 256 MiB address-space bound is for the normal build: valgrind
# needs more than that for itself)
export FRC_UNDER_VALGRIND=1
VG="valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"

for t in test_validation test_sweeps test_codec test_robust test_api test_compress; do
	(cd "$SRC" && $VG "$B/tests/$t") > "$T/log" 2>&1
	check "$t is valgrind-clean" '[ $? -eq 0 ]'
	grep -E '^==[0-9]+==' "$T/log" | head -20 | sed 's/^/# /'
done
cd "$SRC" || exit 1
$VG "$B/frc" conform -q > "$T/log" 2>&1
check "frc conform (every vector) is valgrind-clean" '[ $? -eq 0 ]'
grep -E '^==[0-9]+==' "$T/log" | head -20 | sed 's/^/# /'
for v in testvectors/v1/valid/006-several-regions.frc testvectors/v1/invalid/027-page-checksum.frc; do
	for c in info check dump; do
		$VG "$B/frc" $c --output=json "$v" > "$T/log" 2>&1
		check "frc $c on $(basename "$v") is valgrind-clean" '[ $? -ne 99 ]'
	done
done
$VG "$B/frc" extract -q testvectors/v1/valid/020-hostile-ids.frc -C "$T/x" > "$T/log" 2>&1
check "frc extract is valgrind-clean" '[ $? -eq 0 ]'
[ "$fails" -eq 0 ]
