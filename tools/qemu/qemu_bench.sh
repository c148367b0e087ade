#!/bin/sh
# QEMU save and restore through FRC against QEMU's own best paths, on the
# same machine in the same run: Debian's QEMU 7.2 and QEMU 10.0 (fetched by
# tests/fetch_qemu.sh), a guest holding SIZE MiB of random data (loaded
# with -device loader, VM stopped), every path run ROUNDS times with the
# baseline and FRC interleaved, medians printed with their ratio; the page
# cache is dropped before every restore (when root). Timings run from the
# migrate command until the file is complete and its writer has exited
# (save), and from migrate-incoming until the guest is loaded (restore).
# Every FRC path verifies: restores check every page checksum, in the
# file or (shared guest RAM) in the restored guest's memory. The ratios
# are then judged against the goals of issue 11 ("goals:" lines).
# usage: tools/qemu/qemu_bench.sh [-r ROUNDS] [-s SIZE_MIB] [-j FILE.json]
#                            [-p "PATH..."] [BUILD_DIR]
# -p runs only the paths named (ids as in the JSON: cat72 frc72 cat10 frc10
# qmp10 mapped10 inplace10 shared10 shm10 mr10 frcmapped10), with their
# baselines. qmp10, shm10 and mr10 are the one commands frc save-qemu and
# frc restore-qemu (the stream; RAM in a shared file moved by frc; QEMU's
# mapped-ram in place, sealed / verified then loaded), timed whole: QMP,
# the save or the restore with every page verified.
set -u
ROUNDS=3
SIZE=1024
JSON=
ONLY=
while getopts r:s:j:p: o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	j) JSON=$OPTARG ;;
	p) ONLY=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s SIZE_MIB] [-j FILE.json] [-p \"PATH...\"] [BUILD_DIR]" >&2; exit 1 ;;
	esac
done
shift $((OPTIND - 1))
case $JSON in "" | /*) ;; *) JSON=$PWD/$JSON ;; esac
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FRC=$B/frc
QMP=$B/tests/qmp_client
for f in "$FRC" "$QMP"; do
	[ -x "$f" ] || { echo "qemu_bench: $f is missing (make all $B/tests/qmp_client)" >&2; exit 1; }
done
Q10=$(sh "$SRC/tests/fetch_qemu.sh") || exit 1
T=$(mktemp -d "${TMPDIR:-$B}/frc-qbench-XXXXXX")
# guest RAM shared with frc lives in memory (tmpfs), not on the disk
RD=$(mktemp -d /dev/shm/frc-qbench-XXXXXX 2>/dev/null) || RD=$T
. "$SRC/tools/qemu/qemu_lib.sh"
cleanup() {
	quit_all
	rm -rf "$T" "$RD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$T" || exit 1
head -c $((SIZE * 1048576)) /dev/urandom > data.bin
MEM=$((SIZE + 256))M
DROP=yes
[ -w /proc/sys/vm/drop_caches ] || DROP="no (not root)"

BENCH=qemu_bench
. "$SRC/tools/helpers/bench_lib.sh"
start() { # VERSION NAME EXTRA...
	v=$1; n=$2; shift 2
	rm -f "$n.qmp"
	qemu "$v" -machine pc,accel=tcg -m $MEM -nodefaults -display none -S \
		-device "loader,file=$T/data.bin,addr=0x1000000,force-raw=on" \
		-qmp "unix:$T/$n.qmp,server=on,wait=off" "$@" > "$n.log" 2>&1 &
	wait_socket "$n"
	settle "$n"
}
# settle NAME: until QEMU has put the loader's data into guest RAM (its
# resident memory unchanged for 0.6 s, at most 30 s), so that no timing
# includes QEMU's own start (copying 1 GiB into fresh memory takes
# seconds here, more for a shared file than for QEMU's own RAM)
settle() {
	sp=$(qemu_pid "$1"); last=-1; same=0; i=0
	while [ -n "$sp" ] && [ $same -lt 3 ] && [ $i -lt 150 ]; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$sp/status" 2>/dev/null)
		if [ "$rss" = "$last" ]; then same=$((same + 1)); else same=0; last=$rss; fi
		sleep 0.2; i=$((i + 1))
	done
}
quit() { qmp "$1" '{"execute":"quit"}' >/dev/null 2>&1; sleep 0.2; }
wait_done() { # NAME [FILE]: until the migration completed (and FILE exists)
	while :; do
		st=$(status "$1")
		case "$st" in
		completed) [ -z "${2:-}" ] || [ -e "$2" ] && return 0 ;;
		failed|cancelled) echo "qemu_bench: migration $st ($1)" >&2; return 1 ;;
		esac
		sleep 0.01
	done
}
setup() { # NAME MODE: migration parameters of a mode
	qmp "$1" '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":107374182400}}' > /dev/null
	[ "$2" = mapped ] && mapped "$1"
}
# save VERSION MODE URI DONEFILE: seconds from migrate to DONEFILE
save() {
	start "$1" src
	setup src "$2"
	rm -f "$4"
	t0=$(now)
	qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$3\"}}" > /dev/null
	wait_done src "$4" || return 1
	t1=$(now)
	quit src
	echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}'
}
# restore VERSION MODE URI: seconds from migrate-incoming to loaded
restore() {
	[ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches
	start "$1" dst -incoming defer
	setup dst "$2"
	t0=$(now)
	qmp dst "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$3\"}}" > /dev/null
	wait_done dst || return 1
	t1=$(now)
	quit dst
	echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}'
}

# one row: NAME VERSION MODE SAVE-URI SAVE-DONE RESTORE-URI
run() {
	s=$(save "$2" "$3" "$4" "$5") && r=$(restore "$2" "$3" "$6") || { echo "qemu_bench: $1 failed" >&2; exit 1; }
	rm -f "$T"/*.frc "$T"/*.qemu "$T"/done
	echo "$s $r"
}
FRCX="$FRC import-qemu -q - $T/vm.frc"
# the baseline of a path, if it has one
base() { case $1 in frc72) echo cat72 ;; frc10 | qmp10) echo cat10 ;; inplace10 | shared10 | shm10 | mr10 | frcmapped10) echo mapped10 ;; *) echo "" ;; esac; }
ALL="cat72 frc72 cat10 frc10 qmp10 mapped10 inplace10 shared10 shm10 mr10 frcmapped10"
rows=$ALL
if [ -n "$ONLY" ]; then
	rows=
	for row in $ALL; do
		for want in $ONLY; do
			case " $want $(base "$want") " in *" $row "*) rows="$rows $row"; break ;; esac
		done
	done
	[ -n "$rows" ] || { echo "qemu_bench: no path among '$ONLY' (paths: $ALL)" >&2; exit 1; }
fi
# shared RAM NAME: QEMU options for guest RAM in RD/NAME.ram, block "ram0"
shared() { echo "-object memory-backend-file,id=ram0,mem-path=$RD/$1.ram,size=$MEM,share=on -machine memory-backend=ram0"; }
for row in $rows; do eval "S_$row=; R_$row="; done
K_shared10=
round=1
while [ $round -le "$ROUNDS" ]; do
	for row in $rows; do
		case $row in
		cat72|cat10)
			v=7.2; [ $row = cat10 ] && v=10.0
			res=$(run $row $v stream "exec:cat > $T/vm.qemu; touch $T/done" "$T/done" "exec:cat $T/vm.qemu") ;;
		frc72|frc10)
			v=7.2; [ $row = frc10 ] && v=10.0
			res=$(run $row $v stream "exec:$FRCX; touch $T/done" "$T/done" "exec:$FRC export-qemu $T/vm.frc -") ;;
		mapped10)
			res=$(run $row 10.0 mapped "file:$T/vm.qemu" "$T/vm.qemu" "file:$T/vm.qemu") ;;
		inplace10)
			# QEMU saves into a prepared FRC file, frc seals it in
			# place; restore: QEMU loads from the FRC file while
			# frc check verifies it, the guest continued only
			# when both are done and the check passed
			ta=$(now)
			"$FRC" prepare-qemu vm.frc > /dev/null || exit 1
			tb=$(now)
			start 10.0 src
			setup src mapped
			t0=$(now)
			qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/vm.frc,offset=1048576\"}}" > /dev/null
			wait_done src || exit 1
			"$FRC" seal-qemu -q vm.frc || exit 1
			t1=$(now)
			quit src
			[ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches
			start 10.0 dst -incoming defer
			mapped dst false
			t2=$(now)
			"$FRC" check -q vm.frc & ck=$!
			qmp dst "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/vm.frc,offset=1048576\"}}" > /dev/null
			wait_done dst || exit 1
			wait $ck || { echo "qemu_bench: frc check failed" >&2; exit 1; }
			t3=$(now)
			quit dst
			rm -f vm.frc
			res=$(echo "$ta $tb $t0 $t1 $t2 $t3" | awk '{printf "%.3f %.3f", $2 - $1 + $4 - $3, $6 - $5}') ;;
		shared10)
			# QEMU saves into a prepared FRC file and frc seals it
			# from the paused guest's RAM in a shared file instead
			# of reading the pages back; restore: QEMU loads in
			# place, held stopped, and frc verifies the restored
			# guest's RAM
			rm -f "$RD"/*.ram
			ta=$(now)
			"$FRC" prepare-qemu vm.frc > /dev/null || exit 1
			tb=$(now)
			start 10.0 src $(shared src)
			setup src mapped
			t0=$(now)
			qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$T/vm.frc,offset=1048576\"}}" > /dev/null
			wait_done src || exit 1
			"$FRC" seal-qemu -q --memory=ram0="$RD/src.ram" vm.frc || exit 1
			t1=$(now)
			quit src
			rm -f "$RD/src.ram"
			[ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches
			start 10.0 dst -incoming defer $(shared dst)
			setup dst mapped
			t2=$(now)
			qmp dst "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$T/vm.frc,offset=1048576\"}}" > /dev/null
			wait_done dst || exit 1
			tc=$(now)
			"$FRC" check -q --memory=ram0="$RD/dst.ram" vm.frc || { echo "qemu_bench: frc check failed" >&2; exit 1; }
			t3=$(now)
			eval "K_$row=\"\$K_$row $(echo "$tc $t3" | awk '{printf "%.3f", $2 - $1}')\""
			quit dst
			rm -f vm.frc "$RD"/*.ram
			res=$(echo "$ta $tb $t0 $t1 $t2 $t3" | awk '{printf "%.3f %.3f", $2 - $1 + $4 - $3, $6 - $5}') ;;
		shm10 | qmp10 | mr10)
			# one command each way: frc save-qemu and frc
			# restore-qemu over QMP, RAM in a shared file moved by
			# frc (shm10) or QEMU's stream through a pipe (qmp10)
			rm -f "$RD"/*.ram
			if [ $row = shm10 ]; then
				start 10.0 src $(shared src); how=shared-memory
			else
				start 10.0 src; how=stream
				[ $row = mr10 ] && how=mapped-ram
			fi
			t0=$(now)
			"$FRC" save-qemu -q --path=$how --qmp "$T/src.qmp" vm.frc || exit 1
			t1=$(now)
			quit src
			rm -f "$RD/src.ram"
			[ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches
			if [ $row = shm10 ]; then
				start 10.0 dst -incoming defer $(shared dst)
			else
				start 10.0 dst -incoming defer
			fi
			t2=$(now)
			"$FRC" restore-qemu -q --paused --path=$how --qmp "$T/dst.qmp" vm.frc || exit 1
			t3=$(now)
			quit dst
			rm -f vm.frc "$RD"/*.ram
			res=$(echo "$t0 $t1 $t2 $t3" | awk '{printf "%.3f %.3f", $2 - $1, $4 - $3}') ;;
		frcmapped10)
			# QEMU's mapped-ram file imported into FRC; restored from
			# the mapped-ram file frc writes back, verified
			s=$(save 10.0 mapped "file:$T/vm.qemu" "$T/vm.qemu") || exit 1
			t0=$(now); "$FRC" import-qemu -q vm.qemu vm.frc || exit 1; t1=$(now)
			rm -f vm.qemu
			[ "$DROP" = yes ] && sync && echo 3 > /proc/sys/vm/drop_caches
			t2=$(now); "$FRC" export-qemu vm.frc vm.qemu || exit 1; t3=$(now)
			r=$(restore 10.0 mapped "file:$T/vm.qemu") || exit 1
			rm -f vm.frc vm.qemu
			res=$(echo "$s $t0 $t1 $r $t2 $t3" | awk '{printf "%.3f %.3f", $1 + $3 - $2, $4 + $6 - $5}') ;;
		esac
		eval "S_$row=\"\$S_$row \${res% *}\"; R_$row=\"\$R_$row \${res#* }\""
	done
	round=$((round + 1))
done

m() { eval "echo \$$1_$2" | median; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
label() {
	case $1 in
	cat72) echo "QEMU 7.2, exec:cat > f / -incoming exec:cat f" ;;
	frc72) echo "QEMU 7.2, exec:frc import-qemu / exec:frc export-qemu" ;;
	cat10) echo "QEMU 10.0, exec:cat" ;;
	frc10) echo "QEMU 10.0, exec:frc import-qemu / export-qemu" ;;
	mapped10) echo "QEMU 10.0, mapped-ram + multifd 2 + direct-io, file:" ;;
	inplace10) echo "QEMU 10.0, mapped-ram into FRC + seal / load + check" ;;
	qmp10) echo "QEMU 10.0, frc save-qemu / restore-qemu, the stream" ;;
	shared10) echo "QEMU 10.0, same, RAM in a shared file: seal/check --memory" ;;
	shm10) echo "QEMU 10.0, frc save-qemu / restore-qemu, RAM by frc" ;;
	mr10) echo "QEMU 10.0, frc save-qemu / restore-qemu, mapped-ram" ;;
	frcmapped10) echo "QEMU 10.0, mapped-ram file + frc import / frc export + load" ;;
	esac
}
printf 'QEMU save/restore, %s MiB of random data, %s rounds (medians), page cache dropped before restores: %s\n' "$SIZE" "$ROUNDS" "$DROP"
printf '%-62s %9s %9s\n' path save restore
[ -n "$JSON" ] && printf '{"size_mib": %s, "rounds": %s, "cache_dropped": %s, "rows": [' "$SIZE" "$ROUNDS" "$([ "$DROP" = yes ] && echo true || echo false)" > "$JSON"
sep=
for row in $rows; do
	s=$(m S $row); r=$(m R $row); b=$(base $row)
	if [ -n "$b" ]; then
		rs=$(ratio "$s" "$(m S "$b")"); rr=$(ratio "$r" "$(m R "$b")")
		printf '%-62s %6.2f s %6.2f s   (%sx, %sx)\n' "$(label $row)" "$s" "$r" "$rs" "$rr"
	else
		rs=null; rr=null
		printf '%-62s %6.2f s %6.2f s\n' "$(label $row)" "$s" "$r"
	fi
	[ -n "$JSON" ] && printf '%s{"path": "%s", "label": "%s", "save_s": %s, "restore_s": %s, "save_ratio": %s, "restore_ratio": %s, "save_all": [%s], "restore_all": [%s]}' \
		"$sep" "$row" "$(label $row)" "$s" "$r" "$rs" "$rr" \
		"$(eval "echo \$S_$row" | sed 's/^ *//; s/ /, /g')" "$(eval "echo \$R_$row" | sed 's/^ *//; s/ /, /g')" >> "$JSON"
	sep=", "
done
for row in shared10; do
	case " $rows " in *" $row "*)
		printf '%s: frc check --memory took %ss of its restore (median)\n' $row "$(eval "echo \$K_$row" | median)" ;;
	esac
done
[ -n "$JSON" ] && printf '], "goals": [' >> "$JSON"
# the goals of the QEMU paths: ROW SAVE-OR-RESTORE LIMIT WHAT
echo "goals:"
sep=
for g in "frc72 S 1.1 stream save, QEMU 7.2" "frc72 R 1.1 stream verified restore, QEMU 7.2" \
	 "frc10 S 1.1 stream save, QEMU 10.0" "frc10 R 1.1 stream verified restore, QEMU 10.0" \
	 "qmp10 S 1.1 one-command stream save, QEMU 10.0" \
	 "qmp10 R 1.1 one-command stream restore, QEMU 10.0" \
	 "shm10 S 1.1 one-command save, RAM moved by frc" \
	 "shm10 R 1.0 one-command verified restore, RAM by frc"; do
	set -- $g
	row=$1; k=$2; lim=$3; shift 3
	case " $rows " in *" $row "*) ;; *) continue ;; esac
	got=$(ratio "$(m "$k" "$row")" "$(m "$k" "$(base "$row")")")
	met=$(echo "$got $lim" | awk '{print ($1 <= $2) ? "met" : "NOT met"}')
	printf '  %-50s %5sx of %-9s (goal <= %sx): %s\n' "$*" "$got" "$(base "$row")" "$lim" "$met"
	[ -n "$JSON" ] && printf '%s{"goal": "%s", "row": "%s", "ratio": %s, "limit": %s, "met": %s}' \
		"$sep" "$*" "$row" "$got" "$lim" "$([ "$met" = met ] && echo true || echo false)" >> "$JSON"
	sep=", "
done
# what the one command adds to the path it drives: qmp10 against frc10
# (the same stream into and out of frc, started by hand through exec:)
for k in S R; do
	case " $rows " in *" qmp10 "*) ;; *) continue ;; esac
	case " $rows " in *" frc10 "*) ;; *) continue ;; esac
	d=$(echo "$(m $k qmp10) $(m $k frc10)" | awk '{printf "%.3f", $1 - $2}')
	met=$(echo "$d" | awk '{print ($1 <= 0.05) ? "met" : "NOT met"}')
	w=$([ $k = S ] && echo save || echo restore)
	printf '  %-50s %6s s more than frc10 (goal <= 0.05 s): %s\n' "one command's own cost, $w" "$d" "$met"
	[ -n "$JSON" ] && printf '%s{"goal": "one command own cost, %s", "row": "qmp10", "seconds": %s, "limit": 0.05, "met": %s}' \
		"$sep" "$w" "$d" "$([ "$met" = met ] && echo true || echo false)" >> "$JSON"
	sep=", "
done
[ -n "$JSON" ] && echo "]}" >> "$JSON"
exit 0
