#!/bin/sh
# Fetches Debian packages and unpacks them under a directory, without
# installing them and without touching the machine's apt configuration:
# apt runs with its own source list, lists and cache under DIR/apt.
# usage: tests/debfetch.sh DIR PACKAGE[/RELEASE]...
#   unpacks every PACKAGE (dpkg -x) into DIR/root; RELEASE selects a suite
#   (e.g. qemu-system-x86/bookworm-backports). Prints nothing on success.
# usage: tests/debfetch.sh DIR --depends PACKAGE
#   prints the first package PACKAGE depends on (a metapackage's target).
set -eu
mkdir -p "$1"
D=$(cd "$1" && pwd)
shift
A=$D/apt
mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/parts" "$D/debs" "$D/root"
KEY=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$A/sources.list" <<EOS
deb [signed-by=$KEY] http://deb.debian.org/debian bookworm main
deb [signed-by=$KEY] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$KEY] http://deb.debian.org/debian bookworm-backports main
EOS
O="-o Dir::Etc::SourceList=$A/sources.list -o Dir::Etc::SourceParts=$A/parts
   -o Dir::State::Lists=$A/lists -o Dir::Cache=$A/cache
   -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq"
# shellcheck disable=SC2086
if [ ! -f "$A/updated" ]; then
	apt-get $O update >"$A/update.log" 2>&1 ||
		{ echo "debfetch: apt-get update failed:" >&2; cat "$A/update.log" >&2; exit 1; }
	touch "$A/updated"
fi
if [ "$1" = --depends ]; then
	# shellcheck disable=SC2086
	apt-cache $O depends "$2" | sed -n 's/^ *Depends: //p' | head -1
	exit 0
fi
cd "$D/debs"
# shellcheck disable=SC2086
apt-get $O download "$@" >"$A/download.log" 2>&1 ||
	{ echo "debfetch: cannot download $*:" >&2; cat "$A/download.log" >&2; exit 1; }
for p in "$@"; do
	name=${p%%/*}
	name=${name%%=*}
	deb=$(ls -t "${name}"_*.deb | head -1)
	dpkg -x "$deb" "$D/root"
done
