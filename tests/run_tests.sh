#!/bin/sh
# Runs test programs and scripts; prints one closing line "N passed, N
# failed" over all of them and fails if anything failed.
# usage: tests/run_tests.sh BUILD_DIR [SUITE...]
# A SUITE is "units" (the cmocka programs BUILD_DIR/tests/test_*) or the
# name of a script tests/NAME.sh; without any, every one of them.
B=${1:-build}
[ $# -gt 0 ] && shift
SUITES=${*:-units $(cd "$(dirname "$0")" && ls *_test.sh | sed 's/\.sh$//')}
SUITES=$(echo $SUITES) # one line, one space between names
want() { case " $SUITES " in *" $1 "*) return 0 ;; esac; return 1; }
# every suite asked for must run (or be skipped by name, below)
ran=
mark_ran() { ran="$ran $1"; }
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# No test program may run longer than this (seconds): a hang becomes a
# failure with a message instead of eating the whole CI budget.
LIMIT=${FRC_TEST_LIMIT:-1500}

# report NAME STATUS START: prints how long NAME took and, when timeout(1)
# stopped it, says so in the log (status 124, or 137 after the kill)
report() {
	echo "# $1: $(($(date +%s) - $3)) s"
	if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
		echo "not ok - $1 did not finish within $LIMIT s" | tee -a "$log"
	fi
}

for s in $SUITES; do
	if [ "$s" != units ] && [ ! -f "tests/$s.sh" ]; then
		echo "not ok - no test suite '$s' (tests/$s.sh)"
		failed=$((failed + 1))
	fi
done

want units && for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	mark_ran units
	echo "== $t"
	start=$(date +%s)
	timeout -k 30 "$LIMIT" "$t" >"$log" 2>&1
	status=$?
	cat "$log"
	report "$t" "$status" "$start"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log")
	p=${p:-0}
	f=${f:-0}
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or failed before cmocka could count
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

for t in tests/*_test.sh; do
	want "$(basename "$t" .sh)" || continue
	# valgrind and AddressSanitizer cannot watch the same process; the
	# sanitizer build is checked by the sanitizers instead
	mark_ran "$(basename "$t" .sh)"
	if [ "$t" = tests/valgrind_test.sh ] && [ -n "${ASAN_OPTIONS:-}" ]; then
		echo "# $t: not run in the sanitizer build (valgrind cannot watch ASan)"
		continue
	fi
	# the packages are built from a copy with the distribution's flags:
	# nothing of this build is in them, so one run (the plain one) is enough
	# the mutants are built with the sanitizers whatever the build: one
	# run (the plain one) is enough
	if [ "$t" = tests/mutant_test.sh ] && [ -n "${ASAN_OPTIONS:-}" ]; then
		echo "# $t: not run in the sanitizer build (run by the plain one)"
		continue
	fi
	if [ "$t" = tests/deb_test.sh ] && [ -n "${ASAN_OPTIONS:-}" ]; then
		echo "# $t: not run in the sanitizer build (run by the plain one)"
		continue
	fi
	echo "== $t"
	start=$(date +%s)
	timeout -k 30 "$LIMIT" sh "$t" "$B" >"$log" 2>&1
	status=$?
	cat "$log"
	report "$t" "$status" "$start"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

for s in $SUITES; do
	case " $ran " in
	*" $s "*) ;;
	*) echo "not ok - suite $s did not run"; failed=$((failed + 1)) ;;
	esac
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
