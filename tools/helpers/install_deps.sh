#!/bin/sh
# Installs the Debian packages FRC builds, tests and documents with, when
# any is missing. Used by `make check`, `make demo` and `make doc`.
set -eu

PKGS="libc6-dev libyaml-dev libjson-c-dev libxxhash-dev libzstd-dev libcmocka-dev libssl-dev libfuse3-dev fuse3 asciidoctor pkg-config jq clang libclang-rt-dev valgrind qemu-system-x86 python3-xxhash dpkg-dev debhelper lintian debootstrap fakeroot xz-utils python3-zstandard zstd procps time build-essential libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients gzip bzip2 lzop openssl bc"

# gcc installed without its recommended packages lacks the C library's
# headers (libc6-dev): compiling anything needs them
have_libc_dev() {
	dpkg -s libc6-dev >/dev/null 2>&1
}

have_all() {
	have_libc_dev || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	pkg-config --exists libxxhash libzstd cmocka yaml-0.1 json-c libcrypto fuse3 2>/dev/null || return 1
	command -v asciidoctor >/dev/null 2>&1 || return 1
	command -v script >/dev/null 2>&1 || return 1
	command -v jq >/dev/null 2>&1 || return 1
	command -v clang >/dev/null 2>&1 || return 1
	command -v valgrind >/dev/null 2>&1 || return 1
	command -v qemu-system-x86_64 >/dev/null 2>&1 || return 1
	/usr/bin/python3 -c 'import xxhash, zstandard' >/dev/null 2>&1 || return 1
	command -v zstd >/dev/null 2>&1 || return 1
	[ -x /usr/bin/time ] || return 1
	# dpkg-buildpackage checks for build-essential itself, not for gcc
	dpkg -s build-essential >/dev/null 2>&1 || return 1
	for t in dpkg-buildpackage dh lintian debootstrap fakeroot xz pgrep fusermount3 \
		virsh libvirtd virtlogd gzip bzip2 lzop openssl bc; do
		command -v $t >/dev/null 2>&1 || return 1
	done
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
		>/dev/null 2>&1 || return 1
}

# --build: only what building the library and the frc command needs (what
# `make demo` uses); without it, everything the test suite needs as well
if [ "${1:-}" = --build ]; then
	PKGS="libc6-dev libyaml-dev libjson-c-dev libxxhash-dev libzstd-dev libssl-dev libfuse3-dev pkg-config"
	have_all() {
		have_libc_dev && command -v pkg-config >/dev/null 2>&1 &&
			pkg-config --exists libxxhash libzstd yaml-0.1 json-c libcrypto fuse3 2>/dev/null
	}
fi

have_all && exit 0

echo "frc: installing build dependencies: $PKGS" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "frc: missing packages ($PKGS) and not root; install them first" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $PKGS bsdutils >/dev/null
have_all || { echo "frc: dependencies still missing after install" >&2; exit 1; }
