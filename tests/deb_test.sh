#!/bin/sh
# The Debian packages: built from this tree with `dpkg-buildpackage -b -us
# -uc`, checked by lintian (no errors), installed into a clean Debian 12
# root made by debootstrap (kept in .deps/ as a tarball between runs), where
# frc and the README's API example must work with nothing else of this
# repository present. Needs root (chroot), dpkg-dev, debhelper, lintian,
# debootstrap and the network the first time. TAP-style output.
# usage: tests/deb_test.sh BUILD_DIR
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-deb-XXXXXX")
MIRROR=${FRC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
. "$(dirname "$0")/tap.sh"
cleanup() {
	for m in proc dev; do umount "$T/root/$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

for tool in dpkg-buildpackage dh lintian debootstrap; do
	check "$tool is installed" 'command -v $tool >/dev/null'
done
check "running as root (chroot)" '[ "$(id -u)" -eq 0 ]'
check "build-essential is installed (dpkg-buildpackage requires it)" \
	'dpkg -s build-essential >/dev/null 2>&1'
[ "$fails" -eq 0 ] || exit 1

# 1. build: a copy of the tree without build outputs, fetched tools or git
# (a fresh machine need not have git)
mkdir -p "$T/src"
(cd "$SRC" && tar cf - --exclude=./.git --exclude=./.deps --exclude='./build*' .) |
	tar xf - -C "$T/src"
check "the tree is copied without build outputs" \
	'[ -f "$T/src/debian/changelog" ] && [ ! -e "$T/src/build" ] && [ ! -e "$T/src/.deps" ]'
(cd "$T/src" && dpkg-buildpackage -b -us -uc) >"$T/build.log" 2>&1
check "dpkg-buildpackage -b -us -uc" '[ $? -eq 0 ] || { tail -30 "$T/build.log" | sed "s/^/# /"; false; }'
for p in libfrc1 libfrc-dev frc; do
	check "package $p built" 'ls "$T"/${p}_*.deb >/dev/null 2>&1'
done
lintian --fail-on error --suppress-tags bad-distribution-in-changes-file \
	"$T"/*.changes >"$T/lintian.log" 2>&1
st=$?
sed 's/^/# lintian: /' "$T/lintian.log"
check "lintian reports no errors" '[ $st -eq 0 ] && ! grep -q "^E:" "$T/lintian.log"'
check "libfrc1 ships the symbols file" \
	'dpkg-deb -I "$T"/libfrc1_*.deb symbols | grep -q "frc_reader_open@FRC_1.0"'
check "frc is linked against libfrc1" \
	'dpkg-deb -f "$T"/frc_*.deb Depends | grep -q "libfrc1"'

# 2. a clean Debian 12 root
tarball="$SRC/.deps/debootstrap-bookworm-minbase.tgz"
mkdir -p "$SRC/.deps"
if [ ! -s "$tarball" ]; then
	debootstrap --variant=minbase --make-tarball="$tarball.part" \
		bookworm "$T/dl" "$MIRROR" >"$T/dbs.log" 2>&1 &&
		mv "$tarball.part" "$tarball"
fi
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm \
	"$T/root" "$MIRROR" >"$T/dbs.log" 2>&1
check "debootstrap a Debian 12 root" '[ $? -eq 0 ] && [ -x "$T/root/usr/bin/apt-get" ] || { tail -20 "$T/dbs.log" | sed "s/^/# /"; false; }'
[ "$fails" -eq 0 ] || exit 1
mount -t proc proc "$T/root/proc"
mount --bind /dev "$T/root/dev"
cp /etc/resolv.conf "$T/root/etc/resolv.conf" 2>/dev/null
mkdir -p "$T/root/tmp/debs"
cp "$T"/*.deb "$T/root/tmp/debs/"
in_root() { chroot "$T/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
check "the root has no frc before" '! in_root sh -c "command -v frc" >/dev/null'
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb' >"$T/apt.log" 2>&1
check "apt-get installs the three packages and their dependencies" \
	'[ $? -eq 0 ] || { tail -20 "$T/apt.log" | sed "s/^/# /"; false; }'

# 3. frc and the API example inside it
version=$(sed -n 's/^#define FRC_LIB_VERSION_STRING "\(.*\)"/\1/p' "$SRC/include/frc.h")
in_root frc --version >"$T/v" 2>&1
check "frc --version runs in the root and says $version" 'grep -q "$version" "$T/v"'
check "the packages are version $version" 'ls "$T"/libfrc1_${version}_*.deb >/dev/null 2>&1'
check "frc is /usr/bin/frc from the package" 'in_root dpkg -S /usr/bin/frc | grep -q "^frc:"'
check "libfrc.so.1 from libfrc1" 'in_root dpkg -S libfrc.so.1 | grep -q "^libfrc1"'
check "frc's man pages installed" '[ -e "$T/root/usr/share/man/man1/frc-check.1.gz" ]'
in_root sh -c 'cd /tmp && head -c 1048576 /dev/urandom > ram.bin &&
	frc create -r pc.ram=ram.bin -m hypervisor=deb-test s.frc &&
	frc check s.frc && frc info s.frc && frc extract s.frc --region pc.ram -o back.bin &&
	cmp ram.bin back.bin' >"$T/run.log" 2>&1
check "frc create, check, info and extract work in the root" \
	'[ $? -eq 0 ] || { sed "s/^/# /" "$T/run.log"; false; }'
# The example is built against the installed header and library (the
# root has no compiler: built here, with the root as sysroot for frc.h and
# libfrc.so) and runs inside the root.
cc -std=c11 -I"$T/root/usr/include" -o "$T/root/tmp/example" \
	"$SRC/tests/api_example.c" -L"$T/root/usr/lib/x86_64-linux-gnu" -lfrc \
	>"$T/cc.log" 2>&1
check "API example builds against the packaged frc.h and libfrc.so" \
	'[ $? -eq 0 ] || { sed "s/^/# /" "$T/cc.log"; false; }'
in_root /tmp/example /tmp/x.frc >"$T/ex" 2>&1
check "API example runs in the root against libfrc1" \
	'grep -q "page 3 matches, hypervisor=example" "$T/ex" || { sed "s/^/# /" "$T/ex"; false; }'
in_root frc check -q /tmp/x.frc
check "the packaged frc accepts the example's file" '[ $? -eq 0 ]'
check "frc.pc installed in the multiarch libdir" \
	'[ -e "$T/root/usr/lib/x86_64-linux-gnu/pkgconfig/frc.pc" ]'

echo "# $fails failed"
[ "$fails" -eq 0 ]
