# qemu_lib.sh - sourced by tests/guest_test.sh and tools/qemu/qemu_bench.sh: the
# two QEMUs side by side and their QMP sockets. Needs Q10 (the directory
# tests/fetch_qemu.sh printed), QMP (tests/qmp_client) and T (where the
# sockets NAME.qmp live).

# qemu VERSION ARGS...: Debian's QEMU 7.2, or 10.0 as unpacked (its own
# firmware with -L, its own modules)
qemu() {
	qv=$1; shift
	case $qv in
	10 | 10.0)
		QEMU_MODULE_DIR=$Q10/root/usr/lib/x86_64-linux-gnu/qemu \
			"$Q10/root/usr/bin/qemu-system-x86_64" -L "$Q10/root/usr/share/qemu" "$@" ;;
	*) qemu-system-x86_64 "$@" ;;
	esac
}
# wait_socket NAME: until QEMU has made NAME.qmp (at most 10 s)
wait_socket() {
	ws_n=0; while [ ! -S "$T/$1.qmp" ] && [ $ws_n -lt 200 ]; do sleep 0.05; ws_n=$((ws_n + 1)); done
}
qmp() { qn=$1; shift; "$QMP" "$T/$qn.qmp" "$@"; }
# status NAME: the migration status of NAME (active, completed, failed...)
status() { qmp "$1" '{"execute":"query-migrate"}' | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p' | head -1; }
# caps NAME CAP...: turns migration capabilities on
caps() {
	qn=$1; shift; list=
	for c in "$@"; do list="$list${list:+,}{\"capability\":\"$c\",\"state\":true}"; done
	qmp "$qn" "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[$list]}}" > /dev/null
}
# mapped NAME [DIRECT]: QEMU's best file path: mapped-ram, 2 multifd
# channels, direct-io (DIRECT false: through the page cache)
mapped() {
	caps "$1" mapped-ram multifd
	qmp "$1" "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"multifd-channels\":2,\"direct-io\":${2:-true}}}" > /dev/null
}
# quit_all: every QEMU still answering on a socket of T
quit_all() {
	for s in "$T"/*.qmp; do
		[ -S "$s" ] && "$QMP" "$s" '{"execute":"quit"}' >/dev/null 2>&1
	done
}
# qemu_pid NAME: the process of the QEMU whose QMP socket is T/NAME.qmp
qemu_pid() { pgrep -f -n "unix:$T/$1.qmp," ; }
