#!/bin/sh
# frc mount (FUSE, libfuse3): every read path of a region file (read,
# pread at odd offsets and across pages, mmap, SEEK_DATA/SEEK_HOLE,
# concurrent readers) for uncompressed and compressed regions and page
# sizes of 512, 4096 and 65536 bytes; sections and info.json; a flipped bit
# in a page or a frame fails those bytes only, with EIO, and is logged;
# every test vector mounted or refused without crashing the daemon;
# unmounting by fusermount3 -u, SIGTERM and SIGINT; the FRC file never
# written; prefetch fills the kernel's cache. TAP output.
# usage: tests/mount_test.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
FRC=$B/frc
READS=$SRC/tests/mount_reads.py
T=$(mktemp -d "${TMPDIR:-/tmp}/frc-mount-XXXXXX")
. "$(dirname "$0")/tap.sh"
cleanup() {
	for d in "$T"/m*; do
		mountpoint -q "$d" 2>/dev/null && { fusermount3 -u "$d" 2>/dev/null || umount -l "$d"; }
	done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
	echo "not run - FUSE is not available here (/dev/fuse or fusermount3 missing)"
	exit 0
fi

# mnt, umnt (tests/guest_lib.sh)
. "$SRC/tests/guest_lib.sh"
# alive DIR: the daemon still answers
alive() { mountpoint -q "$1" && ls "$1/regions" > /dev/null 2>&1; }

# images: random data, zeros, scattered pages
python3 - <<'EOF'
import random
r = random.Random(1)
def img(name, size, ps):
    b = bytearray(size)
    for p in range(size // ps):
        if r.random() < 0.5:
            b[p * ps:(p + 1) * ps] = r.randbytes(ps)
    b[:ps] = r.randbytes(ps)  # page 0 present
    open(name, "wb").write(b)
img("a.img", 12 << 20, 4096)
img("s.img", 1 << 20, 512)
img("h.img", 4 << 20, 65536)
open("dev.bin", "wb").write(r.randbytes(300000))
EOF
"$FRC" create -q -r pc.ram=a.img -r small=s.img -s small=512 -r "dev/h.ram"=h.img -s dev/h.ram=64K \
	-d dev.bin -m vm=test u.frc
"$FRC" create -q --compress -r pc.ram=a.img -r small=s.img -s small=512 -r "dev/h.ram"=h.img \
	-s dev/h.ram=64K -d dev.bin -m vm=test z.frc
check "the files are made" '"$FRC" check -q u.frc && "$FRC" check -q z.frc'
sha256sum u.frc z.frc > before.sum

for f in u z; do
	mnt $f.frc m$f
	check "$f.frc mounts" '[ $? -eq 0 ] && alive m$f'
	check "$f.frc: regions/ lists every region, ids escaped" \
		'[ "$(ls m$f/regions | tr "\n" " ")" = "dev%2Fh.ram pc.ram small " ]'
	for r in pc.ram:a.img:4096 small:s.img:512 dev%2Fh.ram:h.img:65536; do
		id=${r%%:*}; rest=${r#*:}; im=${rest%%:*}; ps=${rest#*:}
		python3 "$READS" "m$f/regions/$id" "$im" "$ps" > reads.out 2>&1
		st=$?
		sed "s/^/# $f $id: /" reads.out
		check "$f.frc, $id (page size $ps): read, pread, mmap, seeks and concurrent readers" \
			'[ $st -eq 0 ] && [ "$(grep -c "^ok" reads.out)" -ge 10 ]'
	done
	"$FRC" info --output=json $f.frc > info.want
	check "$f.frc: info.json is what frc info --output=json prints" \
		'jq -S "del(.file)" info.want > a.json && jq -S "del(.file)" m$f/info.json > b.json && cmp -s a.json b.json'
	"$FRC" extract -q $f.frc -C x$f
	check "$f.frc: sections/ holds each section, as frc extract writes it" \
		'[ "$(ls m$f/sections | tr "\n" " ")" = "0-device-state-dev.bin 1-metadata " ] &&
		 cmp -s m$f/sections/0-device-state-dev.bin x$f/section-0-device-state-dev.bin.bin &&
		 [ "$(stat -c %s m$f/sections/1-metadata)" -gt 0 ]'
	sh -c ": > m$f/new" 2>/dev/null
	check "$f.frc: nothing can be created, removed or truncated" \
		'[ ! -e m$f/new ] && ! mkdir m$f/d 2>/dev/null && ! mv m$f/regions/small m$f/x 2>/dev/null && ! rm -f m$f/regions/small 2>/dev/null && ! truncate -s 0 m$f/regions/small 2>/dev/null &&
		 ! sh -c "echo x >> m$f/info.json" 2>/dev/null'
	umnt m$f
	check "$f.frc: fusermount3 -u unmounts it" '[ $? -eq 0 ] && [ ! -d m$f ]'
done
check "the mounted files were never written" 'sha256sum -c --quiet before.sum'

# a flipped bit in a page: that page fails with EIO, the others read
page_io() { # FILE OFFSET LENGTH: "ok" or the error
	python3 -c "
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    b = os.pread(fd, int(sys.argv[3]), int(sys.argv[2]))
    w = open(sys.argv[4], 'rb').read()[int(sys.argv[2]):int(sys.argv[2]) + int(sys.argv[3])]
    print('ok' if b == w else 'short' if b and w.startswith(b) else 'WRONG BYTES')
except OSError as e:
    print(os.strerror(e.errno))
" "$1" "$2" "$3" "$4"
}
po=$("$FRC" info --output=json u.frc | jq '.regions[] | select(.id == "pc.ram") | .pages_offset')
cp u.frc ubad.frc
printf '\200' | dd of=ubad.frc bs=1 seek=$((po + 4096 * 6 + 1000)) conv=notrunc status=none
sha256sum ubad.frc > bad.sum
mnt ubad.frc mb
check "a flipped bit in page 6: reading it fails with EIO" \
	'[ "$(page_io mb/regions/pc.ram $((4096 * 6)) 4096 a.img)" = "Input/output error" ] &&
	 [ "$(page_io mb/regions/pc.ram $((4096 * 6 + 1000)) 1 a.img)" = "Input/output error" ]'
check "and pages 5 and 7 read right" \
	'[ "$(page_io mb/regions/pc.ram $((4096 * 5)) 4096 a.img)" = ok ] &&
	 [ "$(page_io mb/regions/pc.ram $((4096 * 7)) 4096 a.img)" = ok ]'
check "a read across it returns the pages before it or fails, never wrong bytes" \
	'r=$(page_io mb/regions/pc.ram $((4096 * 4)) 16384 a.img); [ "$r" = "Input/output error" ] || [ "$r" = short ]'
cat mb/regions/pc.ram > /dev/null 2>&1
check "cat of the region fails" '[ $? -ne 0 ]'
check "the whole rest of the region reads right" \
	'python3 -c "
import os
fd = os.open(\"mb/regions/pc.ram\", os.O_RDONLY); w = open(\"a.img\", \"rb\").read()
bad = [p for p in range(len(w) // 4096) if p != 6 and os.pread(fd, 4096, p * 4096) != w[p * 4096:(p + 1) * 4096]]
exit(1 if bad else 0)"'
check "the log names the file, the offset and the rule" \
	"grep -q \"ubad.frc: offset 0x$(printf %x $((po + 4096 * 6))): checksum mismatch in region 'pc.ram' page 6 (SPEC R-CSUM)\" mb.log"
python3 -c "
import mmap, os, signal
fd = os.open('mb/regions/pc.ram', os.O_RDONLY)
m = mmap.mmap(fd, 1 << 20, prot=mmap.PROT_READ)
assert m[5 * 4096:5 * 4096 + 8] == open('a.img', 'rb').read()[5 * 4096:5 * 4096 + 8]
signal.signal(signal.SIGBUS, signal.SIG_DFL)
m[6 * 4096]
" 2>/dev/null
rc=$?
check "touching the page through mmap raises SIGBUS" '[ $rc -eq $((128 + 7)) ]'
check "the daemon lives on" 'alive mb'
umnt mb
check "the damaged file was never written" 'sha256sum -c --quiet bad.sum'

# a flipped bit in a compressed frame (64 KiB frames: pages 16-31 are
# frame 1): its bytes fail with EIO, the next frame reads
zo=$("$FRC" info --output=json z.frc | jq '.regions[] | select(.id == "pc.ram") | .pages_offset')
cp z.frc zbad.frc
printf '\377' | dd of=zbad.frc bs=1 seek=$((zo + 65536 + 20)) conv=notrunc status=none
mnt zbad.frc mzb
check "a flipped bit in frame 1: its pages fail with EIO" \
	'[ "$(page_io mzb/regions/pc.ram $((4096 * 16)) 4096 a.img)" = "Input/output error" ] &&
	 [ "$(page_io mzb/regions/pc.ram $((4096 * 31)) 4096 a.img)" = "Input/output error" ]'
check "and frames 0 and 2 read right" \
	'[ "$(page_io mzb/regions/pc.ram $((4096 * 15)) 4096 a.img)" = ok ] &&
	 [ "$(page_io mzb/regions/pc.ram $((4096 * 32)) 4096 a.img)" = ok ]'
check "the log names the frame's offset and the rule" \
	"grep -q \"zbad.frc: offset 0x$(printf %x $((zo + 65536))).*frame 1.*(SPEC R-CF-CSUM)\" mzb.log"
check "the daemon lives on" 'alive mzb'
umnt mzb

# every test vector: refused with a message naming it, or mounted and
# every file read (some fail: damaged pages) without the daemon crashing;
# a valid vector's regions equal what frc extract writes
badv=; n=0
mkdir -p mv
for v in "$SRC"/testvectors/v1/valid/*.frc "$SRC"/testvectors/v1/invalid/*.frc; do
	n=$((n + 1))
	if "$FRC" mount "$v" mv 2> err; then
		find mv -type f -exec cat {} + > /dev/null 2>&1
		alive mv || badv="$badv $(basename "$v"):died"
		case $v in
		*/valid/*) # each region file against frc extract of its id
			python3 - "$FRC" "$v" > cmp.out <<'EOF' || badv="$badv $(basename "$v"):$(cat cmp.out)"
import os, subprocess, sys, urllib.parse
frc, v = sys.argv[1], sys.argv[2]
bad = []
for name in sorted(os.listdir("mv/regions")):
    rid = urllib.parse.unquote_to_bytes(name)
    got = subprocess.run([frc, "extract", "-q", v, "-r", rid, "-o", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if got.returncode or open("mv/regions/" + name, "rb").read() != got.stdout:
        bad.append(name)
print(",".join(bad))
sys.exit(1 if bad else 0)
EOF
			;;
		esac
		fusermount3 -u mv 2>/dev/null || badv="$badv $(basename "$v"):unmount"
	else
		grep -q "$(basename "$v")" err || badv="$badv $(basename "$v"):message"
	fi
	mkdir -p mv
done
check "all $n test vectors: mounted and read, or refused naming the file; no crash" '[ -z "$badv" ]'
[ -n "$badv" ] && echo "# $badv"
rmdir mv 2>/dev/null

# the mount refuses what it cannot serve, saying why
"$FRC" prepare-qemu inc.frc > /dev/null
mkdir -p mi
"$FRC" mount inc.frc mi 2> err
check "an incomplete file is refused" '[ $? -ne 0 ] && grep -q "incomplete" err && ! mountpoint -q mi'
"$FRC" mount u.frc no/such/dir 2> err
check "a missing mount point is refused" '[ $? -ne 0 ] && grep -q "no/such/dir" err'

# SIGTERM and SIGINT unmount and end the process
for sig in TERM INT; do
	mkdir -p ms
	"$FRC" mount -f u.frc ms 2> fg.log &
	pid=$!
	i=0; while ! mountpoint -q ms && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	cat ms/regions/small > /dev/null
	kill -$sig $pid
	wait $pid
	st=$?
	check "SIG$sig: unmounted, exit 0" '[ $st -eq 0 ] && ! mountpoint -q ms && grep -q unmounted fg.log'
done

# prefetch: the kernel's cache holds every present page once it is done
mnt z.frc mp --prefetch
exec 9< mp/regions/pc.ram
i=0; while ! grep -q "prefetch of region file pc.ram complete" mp.log && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "prefetch completes and says so" 'grep -q "prefetch of region file pc.ram complete: [0-9]* bytes" mp.log'
present=$(python3 -c "
w = open('a.img', 'rb').read()
print(sum(1 for p in range(len(w) // 4096) if w[p * 4096:(p + 1) * 4096].rstrip(b'\0')))")
if command -v fincore >/dev/null 2>&1; then
	res=$(fincore -n -b -o PAGES mp/regions/pc.ram | tr -d ' ')
	check "fincore: every present page is in the cache ($res of $present pages)" '[ "$res" -ge "$present" ]'
else
	echo "# fincore (util-linux) missing: cache residency not counted"
fi
check "what prefetch stored reads right" 'cmp -s mp/regions/pc.ram a.img'
exec 9<&-
umnt mp

# a small memory budget lowers the threads, and says so in the log
mnt z.frc mm --memory=16M --threads=64
check "--memory bounds the threads" 'grep -q "mounted on .*/mm.: 3 regions, 2 sections, [0-9]* threads" mm.log && ! grep -q " 64 threads" mm.log'
umnt mm
[ "$fails" -eq 0 ]
