# guest_lib.sh - sourced by tests/guest_test.sh and tests/lazy_test.sh: the
# real Linux guest of tests/make_guest.sh started, saved and restored on
# QEMU 7.2 or 10.0, with its checks (TAP). Needs G (the guest), Q10, SRC,
# SER, QMP and T (tools/qemu/qemu_lib.sh).
MEM=256M
GUEST_MIB=16

. "$SRC/tools/qemu/qemu_lib.sh"
# start VERSION NAME EXTRA...: a guest with its QMP and serial sockets
start() {
	v=$1; n=$2; shift 2
	qemu "$v" -machine pc,accel=${ACCEL:-tcg} -m $MEM -nodefaults -display none \
		-kernel "$G/vmlinuz" -initrd "$G/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=0 frc.mem=$GUEST_MIB" \
		-chardev "socket,id=s0,path=$T/$n.ser,server=on,wait=off" \
		-serial chardev:s0 -qmp "unix:$T/$n.qmp,server=on,wait=off" \
		"$@" > "$n.log" 2>&1 &
	wait_socket "$n"
}
hmp() { qmp "$1" "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"$2\"}}" > /dev/null; }
say() { "$SER" "$1.ser" 60 "$2" "$3"; } # NAME LINE PREFIX: the guest's answer
wait_migration() { # NAME: completed, failed or timeout (180 s)
	i=0
	while [ $i -lt 900 ]; do
		st=$(status "$1")
		case "$st" in completed|failed|cancelled) echo "$st"; return ;; esac
		sleep 0.2; i=$((i + 1))
	done
	echo timeout
}
quit() { qmp "$1" '{"execute":"quit"}' >/dev/null 2>&1; rm -f "$1.qmp"; }
memsum() { hmp "$1" "pmemsave 0 268435456 \\\"$T/$1.mem\\\""; sha256sum < "$1.mem" | cut -c1-64; [ -n "${KEEP:-}" ] || rm -f "$1.mem"; }

# boot VERSION NAME: a running guest that has answered once (pong 1)
boot() {
	start "$1" "$2"
	bv=$1; bn=$2
	"$SER" -r "$bn.ser" 120 hello hi > /dev/null
	check "QEMU $bv: the guest boots and answers ($bn)" '[ "$(say "$bn" ping pong)" = "pong 1" ]'
}

# save NAME URI: a live save of the running guest; prints the source's
# memory digest taken after it completed (the source is paused then)
save() {
	qmp "$1" '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824}}' > /dev/null
	qmp "$1" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$2\"}}" > /dev/null
	st=$(wait_migration "$1")
	[ "$st" = completed ] && memsum "$1"
	quit "$1"
}

# restored VERSION NAME SUM WHAT: the restore completed, memory equals SUM,
# and the guest, continued, counts on (pong 2) with its memory intact
restored() {
	rv=$1; rn=$2; rsum=$3; what=$4
	st=$(wait_migration "$rn")
	check "QEMU $rv, $what: the restore completes" '[ "$st" = completed ]'
	got=$(memsum "$rn")
	check "QEMU $rv, $what: guest memory equals the source's" '[ -n "$rsum" ] && [ "$got" = "$rsum" ]'
	qmp "$rn" '{"execute":"cont"}' > /dev/null
	check "QEMU $rv, $what: the guest goes on counting" '[ "$(say "$rn" ping pong)" = "pong 2" ]'
	# "sum NOW boot AT-BOOT"
	line=$(say "$rn" sum sum)
	now=$(echo "$line" | cut -d' ' -f2); atboot=$(echo "$line" | cut -d' ' -f4)
	check "QEMU $rv, $what: its random bytes are intact" '[ -n "$now" ] && [ "$now" = "$atboot" ]'
	quit "$rn"
}


# mnt FILE DIR [OPTIONS]: `frc mount` in the background, its log in T/DIR.log
mnt() {
	mf=$1; md=$2; shift 2
	mkdir -p "$md"
	"$FRC" mount --log="$T/$md.log" "$@" "$mf" "$md"
}
# umnt DIR: unmounts once the QEMU that used it has gone (at most 10 s)
umnt() {
	ui=0
	until fusermount3 -u "$1" 2>/dev/null; do
		ui=$((ui + 1))
		[ $ui -lt 100 ] || { echo "# $1 stays busy"; return 1; }
		sleep 0.1
	done
	rmdir "$1"
}
# unmount_all: what is still mounted on T/mnt* (cleanup)
unmount_all() {
	for d in "$T"/mnt*; do
		[ -d "$d" ] && { fusermount3 -u "$d" 2>/dev/null || umount -l "$d" 2>/dev/null; }
	done
}
