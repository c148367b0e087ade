#!/bin/sh
# Replays every fuzz target's corpus (its regression inputs and the test
# vectors) and fuzzes each for a bounded time. Part of `make check`; the
# long runs are `make fuzz` and then e.g.
#   build-fuzz/fuzz_read -dict=tests/fuzz/frc.dict -max_total_time=1800 \
#       tests/fuzz/corpus/fuzz_read testvectors/v1/*/
# usage: tests/fuzz/run_fuzz.sh FUZZ_BUILD_DIR SECONDS "TARGETS"
B=$1
SECONDS_EACH=$2
TARGETS=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
for t in $TARGETS; do
	corpus=$SRC/tests/fuzz/corpus/${t%_nocsum}
	work=$(mktemp -d "${TMPDIR:-/tmp}/frc-fuzz-XXXXXX")
	# what each target starts from besides its corpus: the test vectors,
	# or for the QEMU parser the real QEMU files of tests/fixtures/qemu
	if [ "$t" = fuzz_qemu ]; then
		mkdir "$work/seeds"
		tar -xJf "$SRC/tests/fixtures/qemu/qemu-fixtures.tar.xz" -C "$work/seeds" ||
			{ echo "not ok - $t: cannot unpack the QEMU fixtures (xz?)"; fails=$((fails + 1)); continue; }
		seeds="$work/seeds"
		replay_len=-max_len=134217728 # the whole files, imported fully
		fuzz_len=-max_len=1048576
	else
		seeds="$SRC/testvectors/v1/valid $SRC/testvectors/v1/invalid $SRC/testvectors/v1/future"
		replay_len=
		fuzz_len=-max_len=65536
	fi
	# 1. every regression input and every seed, once
	if "$B/$t" -runs=0 $replay_len -rss_limit_mb=4096 "$corpus" $seeds \
		> "$work/replay.log" 2>&1; then
		echo "ok - $t replays its corpus and every seed ($(echo $seeds | wc -w) seed directories)"
	else
		echo "not ok - $t crashes on a corpus input"
		tail -30 "$work/replay.log" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
	# 2. a short fuzzing run from there
	mkdir "$work/new"
	if "$B/$t" -dict="$SRC/tests/fuzz/frc.dict" -max_total_time="$SECONDS_EACH" \
		-rss_limit_mb=2048 $fuzz_len -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/new" "$corpus" $seeds \
		> "$work/fuzz.log" 2>&1; then
		execs=$(sed -n 's/.*stat::number_of_executed_units: *//p' "$work/fuzz.log")
		echo "ok - $t fuzzed for ${SECONDS_EACH}s without a crash ($execs runs)"
	else
		echo "not ok - $t found a crash (input kept in $work)"
		tail -40 "$work/fuzz.log" | sed 's/^/# /'
		fails=$((fails + 1))
		continue
	fi
	rm -rf "$work"
done
[ "$fails" -eq 0 ]
