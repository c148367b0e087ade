#!/bin/sh
# A small real Linux guest from Debian packages: the kernel of
# linux-image-amd64 and an initramfs of busybox-static whose init keeps
# state in memory (N MiB of random bytes, frc.mem=N on the kernel command
# line, and a counter) and answers on the serial console (ttyS0):
#   hello -> "hi"             ping -> "pong COUNT" (COUNT goes up by one)
#   sum   -> "sum MD5-NOW boot MD5-AT-BOOT"
# Built once under .deps/guest (in the source tree, ignored by git); prints
# that directory.
# usage: tests/make_guest.sh
set -eu
G=$(cd "$(dirname "$0")/.." && pwd)/.deps/guest
if [ -f "$G/vmlinuz" ] && [ -f "$G/initrd.gz" ]; then
	echo "$G"
	exit 0
fi
HERE=$(cd "$(dirname "$0")" && pwd)
P=$G/pkgs
kernel=$(sh "$HERE/debfetch.sh" "$P" --depends linux-image-amd64)
[ -n "$kernel" ] || { echo "make_guest: no kernel package found" >&2; exit 1; }
sh "$HERE/debfetch.sh" "$P" "$kernel" busybox-static
BB=$P/root/bin/busybox
R=$G/initramfs
rm -rf "$R"
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/mem" "$R/sys"
cp "$BB" "$R/bin/busybox"
for a in sh mount head md5sum cut sed stty sleep cat echo; do
	ln -s busybox "$R/bin/$a"
done
cat > "$R/init" <<'EOS'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=90% tmpfs /mem
mb=$(sed -n 's/.*frc\.mem=\([0-9]*\).*/\1/p' /proc/cmdline)
head -c $((${mb:-16} * 1048576)) /dev/urandom > /mem/blob
boot=$(md5sum < /mem/blob | cut -c1-32)
n=0
stty -F /dev/ttyS0 -echo
exec < /dev/ttyS0 > /dev/ttyS0 2>&1
while :; do
	while read -r cmd; do
		case $cmd in
		hello) echo "hi" ;;
		ping) n=$((n + 1)); echo "pong $n" ;;
		sum) echo "sum $(md5sum < /mem/blob | cut -c1-32) boot $boot" ;;
		esac
	done
	sleep 1
done
EOS
chmod 755 "$R/init"
(cd "$R" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1) > "$G/initrd.gz.new"
mv "$G/initrd.gz.new" "$G/initrd.gz"
cp "$P/root/boot/vmlinuz-"* "$G/vmlinuz.new"
mv "$G/vmlinuz.new" "$G/vmlinuz"
rm -rf "$P/root" "$R" # the modules are not needed: 0.5 GB less
echo "$G"
