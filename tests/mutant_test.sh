#!/bin/sh
# The mutation score of libfrc's reader checks (tests/mutants.py through
# `make mutants`): each validation check compiled out in turn, the vectors
# (and, for API paths, the unit tests) must notice. Every mutant must be
# killed, or be listed in mutants.py as dead with its proof. TAP-style.
# usage: tests/mutant_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-mutants-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
cd "$SRC" || exit 1

make -s B="$B" mutants ARGS="-j 2" >"$T/log" 2>&1
rc=$?
grep -E '^(SURVIVED|dead|not a check)|^  ' "$T/log" | sed 's/^/# /'
score=$(grep '^mutation score' "$T/log")
echo "# $score"
check "every mutant of a reader check is killed ($score)" \
	'[ $rc -eq 0 ] && [ -n "$score" ] && ! grep -q "^SURVIVED" "$T/log"'
n=$(grep -c '^killed' "$T/log")
check "the run covered the reader's checks ($n killed by vectors)" '[ "$n" -ge 80 ]'
echo "# $fails failed"
[ "$fails" -eq 0 ]
