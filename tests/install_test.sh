#!/bin/sh
# Tests of the build products: exported symbols, soname, make install /
# uninstall with DESTDIR and PREFIX, pkg-config, and the README's API
# example built against the installed library. TAP-style output.
# usage: tests/install_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"

# The exported list is exactly the checked-in one, every symbol versioned
# as it says (debian/libfrc1.symbols, built by codec/libfrc.map), and it is
# exactly what include/frc.h declares.
nm -D --defined-only --with-symbol-versions "$B/libfrc.so" |
	awk '$3 != "" && $2 != "A" {sub("@@", "@", $3); print $3}' | sort >"$T/exported"
sed -n 's/^ \([a-z_0-9]*@[A-Z_0-9.]*\) .*/\1/p' "$SRC/debian/libfrc1.symbols" |
	sort >"$T/listed"
check "exported symbols equal debian/libfrc1.symbols ($(wc -l <"$T/listed") with versions)" \
	'[ -s "$T/listed" ] && diff "$T/listed" "$T/exported" >"$T/d" || { sed "s/^/# /" "$T/d"; false; }'
grep -o 'FRC_API [^(]*(' "$SRC/include/frc.h" | grep -v __attribute__ | sed 's/.*[ *]\(frc_[a-z_0-9]*\)(/\1/' |
	sort >"$T/declared"
sed 's/@.*//' "$T/listed" >"$T/listed_names"
check "include/frc.h declares exactly the exported functions ($(wc -l <"$T/declared"))" \
	'[ -s "$T/declared" ] && diff "$T/declared" "$T/listed_names" >"$T/d" || { sed "s/^/# /" "$T/d"; false; }'
# the static library's global symbols are the API too (internals local)
nm -g --defined-only "$B/libfrc.a" 2>/dev/null | awk 'NF == 3 {print $3}' | sort >"$T/static"
check "libfrc.a defines no global symbol beyond the API ($(wc -l <"$T/static"))" \
	'[ -s "$T/static" ] && diff "$T/listed_names" "$T/static" >"$T/d" || { sed "s/^/# /" "$T/d" | head -5; false; }'
# every declaration (or group of declarations) has a comment right above
undoc=$(awk '/^FRC_API/ { if (prev !~ /\*\/[ \t]*$/) print FNR ": " $0 }
	!/^FRC_API/ && !/^\t/ { prev = $0 }' "$SRC/include/frc.h")
check "every declaration in include/frc.h is documented" \
	'[ -z "$undoc" ] || { echo "$undoc" | sed "s/^/# /"; false; }'
check "soname is libfrc.so.1" \
	'objdump -p "$B/libfrc.so" | grep -q "SONAME *libfrc.so.1$"'

make -s -C "$SRC" install DESTDIR="$T/root" PREFIX=/opt/frc >"$T/log" 2>&1
check "make install with DESTDIR and PREFIX" '[ $? -eq 0 ]'
for f in lib/libfrc.a lib/libfrc.so lib/libfrc.so.1 include/frc.h \
	lib/pkgconfig/frc.pc bin/frc; do
	check "installed $f" '[ -e "$T/root/opt/frc/$f" ]'
done
# the man pages are installed when they were built (make doc), and make
# install never needs asciidoctor
if [ -e "$B/doc/frc-check.1" ]; then
	check "installed share/man/man1/frc-check.1 (docs built)" \
		'[ -e "$T/root/opt/frc/share/man/man1/frc-check.1" ]'
else
	check "no man pages installed when the docs were not built" \
		'[ ! -e "$T/root/opt/frc/share/man/man1" ] || [ -z "$(ls "$T/root/opt/frc/share/man/man1")" ]'
fi
check "make install runs no asciidoctor" \
	'! make -n -s -C "$SRC" install DESTDIR="$T/n" | grep -q asciidoctor'
check "make install-doc is where the man pages are built" \
	'make -n -s -C "$SRC" install-doc DESTDIR="$T/n" | grep -q asciidoctor'

check "installed frc.pc names the prefix" \
	'grep -q "^prefix=/opt/frc$" "$T/root/opt/frc/lib/pkgconfig/frc.pc"'
# a real prefix, so that pkg-config and the linker find everything
make -s -C "$SRC" install PREFIX="$T/p" >"$T/log" 2>&1
check "make install with PREFIX only" '[ $? -eq 0 ]'
PKG_CONFIG_PATH="$T/p/lib/pkgconfig" pkg-config --cflags --libs frc >"$T/flags" 2>&1
check "pkg-config finds frc" '[ $? -eq 0 ] && grep -q -- "-lfrc" "$T/flags"'
san=
[ -n "${ASAN_OPTIONS:-}" ] && san="-fsanitize=address,undefined"
cc -std=c11 $san -o "$T/example" "$SRC/tests/api_example.c" $(cat "$T/flags") \
	-Wl,-rpath,"$T/p/lib" >"$T/log" 2>&1
check "API example builds against the installed library" '[ $? -eq 0 ]'
"$T/example" "$T/x.frc" >"$T/out" 2>&1
check "API example runs" 'grep -q "page 3 matches, hypervisor=example" "$T/out"'
"$T/p/bin/frc" check -q "$T/x.frc"
check "installed frc check accepts the example's file" '[ $? -eq 0 ]'
make -s -C "$SRC" uninstall PREFIX="$T/p" >"$T/log" 2>&1
make -s -C "$SRC" uninstall DESTDIR="$T/root" PREFIX=/opt/frc >"$T/log" 2>&1
left=$(find "$T/root" "$T/p" -type f -o -type l | head -5)
check "make uninstall removes every installed file" '[ -z "$left" ]'
[ "$fails" -eq 0 ]
