# bench_lib.sh - the helpers every benchmark sources: wall-clock times,
# medians of interleaved rounds, goals judged on figures of one run.
# BENCH (the sourcing script's name) goes into its messages.
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }     # calc EXPR
holds() { awk "BEGIN { exit !($1) }"; }             # holds CONDITION
# the median of the numbers on stdin, one per line or space-separated
median() {
	tr ' ' '\n' | grep . | sort -n |
		awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
goal() { if holds "$2"; then echo "met:     $1"; else echo "not met: $1"; fi; } # goal TEXT CONDITION
alloc() { echo $(($(stat -L -c '%b * %B' "$1"))); } # bytes a file takes on disk
timed() { # FILE COMMAND...: appends the seconds COMMAND took to FILE
	_out=$1
	shift
	_t0=$(now)
	"$@" || { echo "${BENCH:-bench}: failed: $*" >&2; exit 1; }
	_t1=$(now)
	calc "$_t1 - $_t0" >> "$_out"
	echo >> "$_out"
}
