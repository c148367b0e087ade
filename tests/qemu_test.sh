#!/bin/sh
# QEMU interop: a migration stream saved here by QEMU 7.2 imported and
# exported byte for byte; truncated and damaged streams refused; and,
# with Debian's QEMU 7.2, real VMs saved straight into FRC through
# `migrate exec:` and restored from it, stopped and running. TAP output.
# usage: tests/qemu_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-qemu-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	for s in "$T"/*.sock; do
		[ -S "$s" ] && "$QMP" "$s" '{"execute":"quit"}' >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

# ---- live, with Debian's QEMU ----
if ! command -v qemu-system-x86_64 >/dev/null; then
	notok "qemu-system-x86_64 is installed (tools/helpers/install_deps.sh)"
	exit 1
fi
# a 4 MiB pattern loaded into guest RAM, made here
PAT=$T/pattern-4MiB.bin
awk 'BEGIN { for (i = 0; i < 262144; i++) printf "frc-pattern-%04x", i % 65536 }' > "$PAT"
BASE="-machine pc,accel=tcg -m 64M -nodefaults -display none -S"
# a multiboot guest that keeps incrementing a word in every page of 8-32 MiB
printf '\002\260\255\033\0\0\001\0\376\117\121\344\0\0\020\0\0\0\020\0\0\0\0\0\0\0\0\0\040\0\020\0\277\0\0\200\0\377\007\201\307\0\020\0\0\201\377\0\0\0\002\162\360\353\351' > dirty.mb

start_vm() { # NAME EXTRA-ARGS...
	name=$1; shift
	qemu-system-x86_64 $BASE -qmp "unix:$T/$name.sock,server,nowait" "$@" \
		> "$name.log" 2>&1 &
	i=0; while [ ! -S "$name.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
hmp() { "$QMP" "$1.sock" "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"$2\"}}" > /dev/null; }
wait_migration() { # NAME: until completed or failed, at most 180 s
	i=0
	while [ $i -lt 900 ]; do
		st=$("$QMP" "$1.sock" '{"execute":"query-migrate"}' | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p' | head -1)
		case "$st" in completed|failed|cancelled) echo "$st"; return ;; esac
		sleep 0.2; i=$((i + 1))
	done
	echo timeout
}
quit_vm() { "$QMP" "$1.sock" '{"execute":"quit"}' >/dev/null 2>&1; rm -f "$1.sock"; }

# ---- a QEMU 7.2 stream, saved here ----
LEGACY=$T/legacy-7.2.qemu
start_vm fx -device "loader,file=$PAT,addr=0x400000,force-raw=on"
"$QMP" fx.sock '{"execute":"cont"}' > /dev/null; sleep 1
"$QMP" fx.sock '{"execute":"stop"}' > /dev/null
"$QMP" fx.sock "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $LEGACY\"}}" > /dev/null
check "QEMU 7.2 saves a stream" '[ "$(wait_migration fx)" = completed ] && [ -s "$LEGACY" ]'
quit_vm fx
"$FRC" import-qemu -q "$LEGACY" legacy-7.2.frc
check "the QEMU 7.2 stream imports" '[ $? -eq 0 ]'
"$FRC" check -q legacy-7.2.frc
check "its FRC passes frc check" '[ $? -eq 0 ]'
"$FRC" export-qemu legacy-7.2.frc legacy.out
check "export-qemu is byte-for-byte the QEMU 7.2 stream" 'cmp -s legacy.out "$LEGACY"'
"$FRC" info --output=json legacy-7.2.frc > lg.json
check "metadata records the source format" \
	'[ "$(jq -r ".metadata[\"source-format\"]" lg.json)" = qemu-stream ]'
check "non-RAM state is kept in qemu-migration sections" \
	'[ "$(jq "[.sections[] | select(.type_name == \"qemu-migration\")] | length" lg.json)" -eq 3 ]'
cat "$LEGACY" | "$FRC" import-qemu -q - piped.frc
check "import from standard input" '[ $? -eq 0 ] && "$FRC" diff -q piped.frc legacy-7.2.frc'
"$FRC" export-qemu legacy-7.2.frc - | cmp -s - "$LEGACY"
check "export a stream to standard output" '[ $? -eq 0 ]'
"$FRC" export-qemu --format=mapped-ram legacy-7.2.frc conv.qemu
check "a stream save exports as a mapped-ram file" '[ $? -eq 0 ]'
"$FRC" import-qemu -q conv.qemu conv.frc
check "which imports as mapped-ram with the same pages" \
	'[ $? -eq 0 ] && "$FRC" info conv.frc | grep -q "source-format = qemu-mapped-ram" &&
	 [ "$("$FRC" diff legacy-7.2.frc conv.frc | grep -c "^region")" -eq 0 ]'
"$FRC" export-qemu --format=stream conv.frc back.qemu
check "and converted back is byte-for-byte the QEMU 7.2 stream" 'cmp -s back.qemu "$LEGACY"'

# ---- truncated and damaged streams ----
"$FRC" import-qemu -q --list-records "$LEGACY" lr.frc > records
size=$(stat -c %s "$LEGACY")
# every section boundary, every 20th record boundary, 100 points inside
{ grep -v ram-record records | cut -d' ' -f1
  grep ram-record records | awk 'NR % 20 == 1 {print $1}'
  i=1; while [ $i -le 100 ]; do printf '0x%x\n' $((size * i / 101 + 3)); i=$((i + 1)); done
  printf '0x%x\n0x%x\n0x8\n0x40\n' $((size - 1)) $((size - 20)); } | sort -u > cuts
bad=0; n=0
while read -r off; do
	head -c $((off)) "$LEGACY" > cut.qemu
	if "$FRC" import-qemu -q cut.qemu cut.frc 2>/dev/null || [ -e cut.frc ]; then
		echo "# a stream cut at $off was accepted or left a file"
		bad=$((bad + 1)); rm -f cut.frc
	fi
	n=$((n + 1))
done < cuts
check "$n truncated streams refused, no FRC file left behind" '[ $bad -eq 0 ] && [ $n -gt 900 ]'
bad=0; n=0
for off in $(grep -v ram-record records | cut -d' ' -f1) $(grep ram-record records | awk 'NR % 500 == 2 {print $1}'); do
	cp "$LEGACY" dmg.qemu
	# a record or section header with impossible flags
	printf '\177' | dd of=dmg.qemu bs=1 seek=$((off)) conv=notrunc status=none
	if "$FRC" import-qemu -q dmg.qemu dmg.frc 2>/dev/null || [ -e dmg.frc ]; then
		echo "# damage at $off was accepted"; bad=$((bad + 1)); rm -f dmg.frc
	fi
	n=$((n + 1))
done
check "$n streams damaged at a record boundary refused" '[ $bad -eq 0 ] && [ $n -gt 20 ]'
printf 'QEVM\0\0\0\3\7\0\0\0\2pc\1\0\0\0\2\3ram\0\0\0\0\0\0\0\4\0\0\0\0\0\0\020\004\6pc.ram\0\0\0\0\0\0\020\0\0\0\0\0\0\0\0\020\176\0\0\0\2\2\0\0\0\2\0\0\0\0\0\0\0\110\6pc.ram' > xbzrle.qemu
"$FRC" import-qemu -q xbzrle.qemu x.frc 2>err
check "XBZRLE records are refused, naming the offset" '[ $? -ne 0 ] && grep -q "offset 0x" err && grep -q XBZRLE err'

# 1. a stopped VM saved with migrate exec: straight into FRC, restored from it
start_vm src -device "loader,file=$PAT,addr=0x400000,force-raw=on"
"$QMP" src.sock '{"execute":"cont"}' > /dev/null; sleep 1
"$QMP" src.sock '{"execute":"stop"}' > /dev/null
hmp src "pmemsave 0 67108864 \\\"$T/src.bin\\\""
"$QMP" src.sock "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:$FRC import-qemu -q - $T/vm.frc\"}}" > /dev/null
check "live save of a stopped VM: migrate exec:frc import-qemu" '[ "$(wait_migration src)" = completed ]'
quit_vm src
check "the saved FRC passes frc check" '"$FRC" check -q vm.frc'
start_vm dst -device "loader,file=$PAT,addr=0x400000,force-raw=on" -incoming "exec:$FRC export-qemu $T/vm.frc -"
check "restore: -incoming exec:frc export-qemu" '[ "$(wait_migration dst)" = completed ]'
hmp dst "pmemsave 0 67108864 \\\"$T/dst.bin\\\""
quit_vm dst
a=$(sha256sum < src.bin | cut -c1-64); b=$(sha256sum < dst.bin | cut -c1-64)
echo "# pmemsave before $a"; echo "# pmemsave after  $b"
check "guest memory after restore equals before (sha256)" '[ -n "$a" ] && [ "$a" = "$b" ]'
check "the pattern is in the restored memory" 'cmp -s -i 4194304:0 -n 4194304 dst.bin "$PAT"'

# 2. a running guest that keeps dirtying 24 MiB, saved live
start_vm lsrc -kernel "$T/dirty.mb" -device "loader,file=$PAT,addr=0x400000,force-raw=on"
"$QMP" lsrc.sock '{"execute":"cont"}' \
	'{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":67108864,"downtime-limit":1}}' > /dev/null
sleep 1
"$QMP" lsrc.sock "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:tee $T/raw.qemu | $FRC import-qemu -q - $T/live.frc\"}}" > /dev/null
sleep 6 # several iterations that re-send the dirtied pages
"$QMP" lsrc.sock '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":60000}}' > /dev/null
check "live save of a running VM completes" '[ "$(wait_migration lsrc)" = completed ]'
syncs=$("$QMP" lsrc.sock '{"execute":"query-migrate"}' | sed -n 's/.*"dirty-sync-count": \([0-9]*\).*/\1/p')
hmp lsrc "pmemsave 0 67108864 \\\"$T/lsrc.bin\\\""
quit_vm lsrc
raw=$(stat -c %s raw.qemu); frcsize=$(stat -c %s live.frc); stopped=$(stat -c %s vm.frc)
echo "# live save: $syncs dirty-sync passes; raw stream $raw bytes, FRC file $frcsize bytes (stopped save: $stopped)"
check "the save iterated (dirty-sync-count $syncs >= 3)" '[ "${syncs:-0}" -ge 3 ]'
check "the raw stream grew past the guest's RAM ($raw bytes)" '[ "$raw" -gt 80000000 ]'
check "the FRC file stayed bounded ($frcsize bytes)" \
	'[ "$frcsize" -lt "$raw" ] && [ "$frcsize" -le $((stopped + 1048576)) ]'
start_vm ldst -kernel "$T/dirty.mb" -device "loader,file=$PAT,addr=0x400000,force-raw=on" \
	-incoming "exec:$FRC export-qemu $T/live.frc -"
check "restore of the live save completes" '[ "$(wait_migration ldst)" = completed ]'
hmp ldst "pmemsave 0 67108864 \\\"$T/ldst.bin\\\""
quit_vm ldst
a=$(sha256sum < lsrc.bin | cut -c1-64); b=$(sha256sum < ldst.bin | cut -c1-64)
echo "# live pmemsave source $a"; echo "# live pmemsave restored $b"
check "guest memory after the live round trip equals the source's" '[ -n "$a" ] && [ "$a" = "$b" ]'

# the educational reader agrees with libfrc on every file frc import-qemu made
. "$SRC/tests/reference.sh"
if [ -z "$REF" ]; then
	notok "python3 with xxhash is installed (tools/helpers/install_deps.sh)"
else
	bad=
	for f in legacy-7.2.frc piped.frc conv.frc vm.frc live.frc; do
		[ -f "$f" ] && agree "$f" || bad="$bad $f"
	done
	check "the educational reader reads every imported file as libfrc does" '[ -z "$bad" ]'
	[ -n "$bad" ] && echo "# disagree:$bad"
fi
[ "$fails" -eq 0 ]
