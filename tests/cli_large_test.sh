#!/bin/sh
# Large sparse files and terminals: a 64 GiB region created, checked,
# extracted and compared without using 64 GiB of disk or memory; progress
# bars drawn on a pseudo-terminal (script) and not drawn otherwise.
# usage: tests/cli_large_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-large-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
cd "$T" || exit 1
MEM_KIB=1048576 # every frc below runs with at most 1 GiB of address space
# ...except under AddressSanitizer, whose shadow memory alone reserves
# terabytes of address space; the normal build proves the bound
[ -n "${ASAN_OPTIONS:-}" ] && MEM_KIB=unlimited

truncate -s 64G big.raw
for gib in 0 7 33 63; do
	head -c 65536 /dev/urandom | dd of=big.raw bs=1M seek=$((gib * 1024 + 5)) conv=notrunc status=none
done
(ulimit -v $MEM_KIB && "$FRC" create -q -r huge=big.raw big.frc)
check "create a 64 GiB sparse region within 1 GiB of memory" '[ $? -eq 0 ]'
size=$(stat -c %s big.frc)
alloc=$(($(stat -c %b big.frc) * 512))
check "the FRC file is 64 GiB long" '[ "$size" -gt 68719476736 ]'
check "but allocates little disk ($alloc bytes)" '[ "$alloc" -lt $((64 * 1048576)) ]'
(ulimit -v $MEM_KIB && "$FRC" info --output=json big.frc) > info.json
check "info on the 64 GiB file" '[ "$(jq .regions[0].present_pages info.json)" -eq 64 ]'
(ulimit -v $MEM_KIB && "$FRC" check big.frc) > out 2>&1
check "check the 64 GiB file within 1 GiB of memory" '[ $? -eq 0 ]'
(ulimit -v $MEM_KIB && "$FRC" extract -q big.frc --region huge -o back.raw)
check "extract the 64 GiB region within 1 GiB of memory" '[ $? -eq 0 ]'
check "the extracted image is 64 GiB long" '[ "$(stat -c %s back.raw)" -eq 68719476736 ]'
alloc=$(($(stat -c %b back.raw) * 512))
check "and sparse ($alloc bytes allocated)" '[ "$alloc" -lt $((16 * 1048576)) ]'
ok_data=1
for gib in 0 7 33 63; do
	off=$(((gib * 1024 + 5) * 1048576))
	cmp -s -i "$off:$off" -n 65536 big.raw back.raw || ok_data=0
done
check "the extracted data equals the source at every data extent" '[ $ok_data -eq 1 ]'
(ulimit -v $MEM_KIB && "$FRC" create -q -r huge=back.raw back.frc && "$FRC" diff -q big.frc back.frc)
check "diff: the round trip has the same contents" '[ $? -eq 0 ]'

# progress: on a terminal (script gives one), or when asked; else silent
head -c 8388608 /dev/urandom > ram.bin
"$FRC" create -q -r pc.ram=ram.bin small.frc
script -qec "$FRC check small.frc" /dev/null > tty.out 2>&1
check "check draws a progress bar on a terminal" 'grep -q "check \[##############################\] 100.0%" tty.out'
check "the bar shows bytes, rate and ETA" 'grep -q "8.0 MiB / 8.0 MiB .*/s  ETA" tty.out'
script -qec "$FRC check -q small.frc" /dev/null > tty.out 2>&1
check "-q silences the bar on a terminal" '[ ! -s tty.out ]'
"$FRC" check small.frc 2> err > /dev/null
check "no bar when stderr is not a terminal" '[ ! -s err ]'
"$FRC" check -p small.frc 2> err > /dev/null
check "-p draws the bar anyway" 'grep -q "100.0%" err'
script -qec "$FRC create -r pc.ram=ram.bin small2.frc" /dev/null > tty.out 2>&1
check "create draws a progress bar" 'grep -q "create \[" tty.out'
script -qec "$FRC extract small.frc --region pc.ram -o x.raw" /dev/null > tty.out 2>&1
check "extract draws a progress bar" 'grep -q "extract \[" tty.out'
script -qec "$FRC diff small.frc small2.frc" /dev/null > tty.out 2>&1
check "diff draws a progress bar" 'grep -q "diff \[" tty.out'

# frc bench runs end to end on a small guest (figures are not judged here;
# the bench itself fails if a restore does not give the guest back)
"$FRC" bench --dir "$T" --size 32M --repeat 1 --passes 3 --output=json > bench.json
check "frc bench --output=json runs" '[ $? -eq 0 ]'
check "bench: FRC file size is the same after every live-save pass" \
	'[ "$(jq "[.live_save[].frc_size] | unique | length" bench.json)" -eq 1 ]'
check "bench: the stream baseline grows with every pass" \
	'jq -e "[.live_save[].stream_size] as \$s | \$s[0] < \$s[1] and \$s[1] < \$s[2]" bench.json >/dev/null'
check "bench: reports every figure" \
	'jq -e ".save.frc_seconds and .restore.raw_seconds and .random_read_us.frc_median and .scaling_threads[\"1\"]" bench.json >/dev/null'
check "frc bench --output=json gives its figures as numbers" \
	'jq -e "[.save.frc_seconds, .save.frc_vs_raw, .restore.frc_seconds, .random_read_us.pread_p99, .scaling_threads[\"1\"], .scaling_zero_ratio[\"0.5\"]] | all(type == \"number\")" bench.json >/dev/null'
check "bench leaves no files behind" '[ -z "$(ls "$T" | grep frc-bench)" ]'
"$FRC" bench --size 1M 2>err
check "bench refuses a guest below 16 MiB" '[ $? -eq 1 ]'
[ "$fails" -eq 0 ]
