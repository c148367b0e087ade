#!/bin/sh
# libvirt save images: the real Linux guest (tests/make_guest.sh) run by
# Debian 12's libvirt 9.0 (its own virtlogd and libvirtd, started here in
# a private mount namespace over a configuration of this test's, so that
# nothing of the host's libvirt is read or changed), `virsh save`d in every
# format libvirt 9.0 writes (raw, gzip, bzip2, xz, lzop; zstd, which later
# versions write, is made from the raw image), taken into FRC
# by `frc import-qemu`, written back by `frc export-qemu` and `virsh
# restore`d: guest memory identical, the guest counting on. An unfinished
# image, a damaged compressed one and a cut one are refused, leaving no
# file. TAP output.
# usage: tests/libvirt_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
SER=$B/tests/serial_client
. "$(dirname "$0")/tap.sh"

for t in virsh libvirtd virtlogd unshare gzip bzip2 xz lzop zstd; do
	if ! command -v $t > /dev/null 2>&1; then
		echo "not run - libvirt save images: '$t' is not installed"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "not run - libvirt save images: libvirtd's system mode needs root"
	exit 0
fi
# Into a mount namespace of our own, once: the libvirt directories and
# the user libvirt was built to know (libvirt-qemu) are ours there, and
# nothing mounted there reaches the host (private propagation, which
# needs / to be a mount point: not so in a bare chroot).
if [ -z "${FRC_LIBVIRT_NS:-}" ]; then
	if ! why=$(unshare -m --propagation private true 2>&1); then
		echo "not run - libvirt save images: no private mount namespace here ($why)"
		exit 0
	fi
	FRC_LIBVIRT_NS=1 exec unshare -m --propagation private sh "$0" "$B"
fi

G=$(sh "$SRC/tests/make_guest.sh") || { notok "the guest is built (tests/make_guest.sh)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-libvirt-XXXXXX")
V="virsh -q -c qemu:///system"
cleanup() {
	$V destroy frcg > /dev/null 2>&1
	for p in libvirtd virtlogd; do
		[ -f "$T/$p.pid" ] && kill "$(cat "$T/$p.pid")" 2> /dev/null
	done
	sleep 0.5
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

mkdir -p etc run lib log cache
cp /etc/passwd passwd
cp /etc/group group
grep -q '^libvirt-qemu:' passwd ||
	echo "libvirt-qemu:x:64055:64055:libvirt:/var/lib/libvirt:/usr/sbin/nologin" >> passwd
grep -q '^libvirt-qemu:' group || echo "libvirt-qemu:x:64055:" >> group
grep -q '^kvm:' group || echo "kvm:x:64056:" >> group
mount --bind "$T/passwd" /etc/passwd && mount --bind "$T/group" /etc/group &&
	for d in etc:/etc/libvirt run:/var/run/libvirt lib:/var/lib/libvirt \
		log:/var/log/libvirt cache:/var/cache/libvirt; do
		mkdir -p "${d#*:}" && mount --bind "$T/${d%%:*}" "${d#*:}" || exit 1
	done
[ $? -eq 0 ] || { notok "libvirt's directories are this test's (bind mounts)"; exit 1; }

# libvirtd FORMAT: (re)started with save_image_format = FORMAT
libvirtd_with() {
	if [ -f libvirtd.pid ]; then
		pid=$(cat libvirtd.pid)
		kill "$pid"
		i=0
		while kill -0 "$pid" 2> /dev/null; do
			i=$((i + 1))
			[ $i -gt 300 ] && return 1
			sleep 0.1
		done
	fi
	cat > etc/qemu.conf <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	save_image_format = "$1"
	EOF
	libvirtd -d -p "$T/libvirtd.pid"
	i=0
	until $V version > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
virtlogd -d -p "$T/virtlogd.pid"
check "libvirt 9.0's own daemons start (raw save images)" 'libvirtd_with raw'

cat > dom.xml <<EOF
<domain type='qemu'>
  <name>frcg</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$G/vmlinuz</kernel>
    <initrd>$G/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet loglevel=0 frc.mem=16</cmdline>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='unix'><source mode='bind' path='$T/g.ser'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
$V create dom.xml > create.log 2>&1
check "virsh create starts the guest (QEMU 7.2, TCG)" '"$SER" -r g.ser 120 hello hi > /dev/null'
say() { "$SER" g.ser 60 "$1" "$2"; }
memsum() {
	$V qemu-monitor-command --hmp frcg "pmemsave 0 268435456 \"$T/g.mem\"" > /dev/null &&
		sha256sum < g.mem | cut -c1-64
	rm -f g.mem
}
u32at() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
check "the guest answers" '[ "$(say ping pong)" = "pong 1" ]'

n=1
k=0
for fmt in raw gzip bzip2 xz lzop; do
	[ $fmt = raw ] || libvirtd_with $fmt || notok "libvirtd restarts ($fmt)"
	$V suspend frcg > /dev/null
	sum=$(memsum)
	$V save frcg img > save.log 2>&1
	check "$fmt: virsh save writes its image, format $k in the header" \
		'[ -n "$sum" ] && [ "$(head -c 16 img)" = LibvirtQemudSave ] && [ "$(u32at img 28)" = $k ]'
	"$FRC" import-qemu -q img g.frc 2> import.err
	check "$fmt: frc import-qemu takes the image in" '[ $? -eq 0 ] && "$FRC" check -q g.frc'
	"$FRC" info --output=json g.frc > info.json
	check "$fmt: the guest's name and the image's format are in the metadata" \
		'[ "$(jq -r ".metadata[\"guest-name\"]" info.json)" = frcg ] && [ "$(jq -r ".metadata[\"libvirt.save-format\"]" info.json)" = $fmt ]'
	len=$(u32at img 20)
	si=$(jq '.sections | map(.name) | index("libvirt-save-data")' info.json)
	"$FRC" extract -q -f --section "$si" -o data.bin g.frc
	tail -c +93 img | head -c "$len" > data.orig
	check "$fmt: the domain XML and cookie are kept byte for byte" 'cmp -s data.bin data.orig'
	"$FRC" export-qemu g.frc back.img 2> export.err
	check "$fmt: frc export-qemu writes a finished, raw libvirt image" \
		'[ $? -eq 0 ] && [ "$(head -c 16 back.img)" = LibvirtQemudSave ] && [ "$(u32at back.img 28)" = 0 ] && [ "$(u32at back.img 20)" = "$len" ] && tail -c +93 back.img | head -c "$len" | cmp -s - data.orig'
	$V restore back.img > restore.log 2>&1
	check "$fmt: virsh restore loads it, the guest paused as it was saved" \
		'[ $? -eq 0 ] && [ "$($V domstate frcg)" = paused ]'
	got=$(memsum)
	check "$fmt: guest memory equals the saved guest's" '[ -n "$got" ] && [ "$got" = "$sum" ]'
	$V resume frcg > /dev/null
	n=$((n + 1))
	check "$fmt: the restored guest counts on" '[ "$(say ping pong)" = "pong $n" ]'
	line=$(say sum sum)
	check "$fmt: its random bytes are intact" \
		'[ -n "$line" ] && [ "$(echo "$line" | cut -d" " -f2)" = "$(echo "$line" | cut -d" " -f4)" ]'
	[ $fmt = gzip ] && cp img gzip.img
	[ $fmt = raw ] && cp img raw.img && rawsum=$sum
	rm -f img back.img g.frc
	k=$((k + 1))
done

# zstd (format 5, written by libvirt versions after 9.0): the raw image's
# stream compressed by zstd, taken in, written back, restored by 9.0
at=$((92 + $(u32at raw.img 20)))
head -c $at raw.img > z.img
printf '\005' | dd of=z.img bs=1 seek=28 conv=notrunc status=none
tail -c +$((at + 1)) raw.img | zstd -q -c >> z.img
"$FRC" import-qemu -q z.img z.frc && "$FRC" import-qemu -q raw.img r0.frc
check "zstd: frc import-qemu takes the image in, RAM as in the raw one" \
	'[ $? -eq 0 ] && "$FRC" extract -q --region pc.ram -o z.ram z.frc && "$FRC" extract -q --region pc.ram -o r0.ram r0.frc && cmp -s z.ram r0.ram && [ "$("$FRC" info --output=json z.frc | jq -r ".metadata[\"libvirt.save-format\"]")" = zstd ]'
"$FRC" export-qemu z.frc zback.img
$V destroy frcg > /dev/null
$V restore zback.img > restore.log 2>&1
check "zstd: virsh restore loads the image written back" '[ $? -eq 0 ] && [ "$($V domstate frcg)" = paused ]'
got=$(memsum)
check "zstd: guest memory equals the saved guest's" '[ -n "$got" ] && [ "$got" = "$rawsum" ]'
$V resume frcg > /dev/null
check "zstd: the restored guest counts on" '[ "$(say ping pong)" = "pong 2" ]'
rm -f z.frc r0.frc zback.img z.ram r0.ram

# An unfinished save (libvirt writes this magic until QEMU is done), a
# damaged compressed stream, a cut image: refused, nothing left behind.
cp raw.img part.img
printf LibvirtQemudPart | dd of=part.img conv=notrunc status=none
"$FRC" import-qemu part.img p.frc 2> part.err
check "an unfinished image is refused, naming it, the offset and why" \
	'[ $? -ne 0 ] && [ ! -e p.frc ] && grep -q "part.img: offset 0: .*unfinished libvirt save image" part.err'
size=$(stat -c %s gzip.img)
printf 'XXXXXXXX' | dd of=gzip.img bs=1 seek=$((size / 2)) conv=notrunc status=none
"$FRC" import-qemu gzip.img z.frc 2> gz.err
check "a damaged gzip stream is refused, nothing left" \
	'[ $? -ne 0 ] && [ ! -e z.frc ] && ! ls .z.frc* > /dev/null 2>&1 && grep -q "gzip.img" gz.err'
head -c $(($(stat -c %s raw.img) / 2)) raw.img > cut.img
"$FRC" import-qemu cut.img c.frc 2> cut.err
check "a cut image is refused at the offset where its stream ends" \
	'[ $? -ne 0 ] && [ ! -e c.frc ] && grep -q "cut.img (its QEMU stream from byte [0-9]*): offset 0x[0-9a-f]*: the stream ends here" cut.err'
head -c 60 raw.img > short.img
"$FRC" import-qemu short.img s.frc 2> short.err
check "an image cut inside its header is refused" \
	'[ $? -ne 0 ] && [ ! -e s.frc ] && grep -q "short.img: offset 60: the libvirt save image ends inside its header" short.err'
cat raw.img | "$FRC" import-qemu - pipe.frc 2> pipe.err
check "an image from a pipe: refused, saying it is read from its file" \
	'[ $? -ne 0 ] && [ ! -e pipe.frc ] && grep -q "(standard input): offset 0x0: a libvirt save image: it is read from its file" pipe.err'
# written back from a file without libvirt's sections: refused by name
"$FRC" import-qemu -q raw.img r.frc && "$FRC" export-qemu --format=stream r.frc plain.qemu &&
	"$FRC" import-qemu -q plain.qemu plain.frc
"$FRC" export-qemu --format=libvirt plain.frc x.img 2> nolv.err
check "--format=libvirt of a file never imported from libvirt is refused" \
	'[ $? -ne 0 ] && [ ! -e x.img ] && grep -q "not imported from a libvirt save image" nolv.err'
[ $fails -eq 0 ]
