#!/bin/sh
# QEMU 10.0 from bookworm-backports, unpacked under .deps/qemu-10.0 (in the
# source tree, ignored by git) to run beside Debian's own QEMU 7.2: its
# firmware with -L, its modules with QEMU_MODULE_DIR. Fetched once; prints
# the directory it is in.
# usage: tests/fetch_qemu.sh
set -eu
Q=$(cd "$(dirname "$0")/.." && pwd)/.deps/qemu-10.0
BIN=$Q/root/usr/bin/qemu-system-x86_64
if [ ! -x "$BIN" ]; then
	sh "$(dirname "$0")/debfetch.sh" "$Q" \
		qemu-system-x86/bookworm-backports \
		qemu-system-common/bookworm-backports \
		qemu-system-data/bookworm-backports
fi
"$BIN" --version | grep -q "version 10\.0\." ||
	{ echo "fetch_qemu: $BIN is not QEMU 10.0" >&2; exit 1; }
echo "$Q"
