#!/bin/sh
# The main job on a built-in sample: make a guest RAM image with zero and
# data pages, save it as an FRC container, verify it, show what is inside,
# then show that a single flipped bit is caught.
# usage: tools/helpers/demo.sh BUILD_DIR
set -eu
B=$(cd "${1:-build}" && pwd)
FRC=$B/frc
D=$B/demo
rm -rf "$D"
mkdir -p "$D"
cd "$D"

echo "== making a sample guest: 64 MiB of RAM (half zero pages), 8 MiB of VRAM"
dd if=/dev/zero of=ram.bin bs=1M count=64 status=none
i=0
while [ $i -lt 64 ]; do          # 1 MiB of data every other MiB
	dd if=/dev/urandom of=ram.bin bs=1M seek=$i count=1 conv=notrunc status=none
	i=$((i + 2))
done
dd if=/dev/urandom of=vram.bin bs=1M count=8 status=none
printf 'QEVM sample device state\n' > vmstate.bin

echo "== frc create"
"$FRC" create -r pc.ram=ram.bin -r vga.vram=vram.bin -s vga.vram=64K \
	-d vmstate.bin -m hypervisor=sample -m machine-type=pc-q35-7.2 \
	-m description="FRC demo guest" guest.frc
echo "   file size $(stat -c %s guest.frc) bytes, $(($(stat -c %b guest.frc) * 512)) bytes allocated (zero pages are holes)"

echo "== frc info"
"$FRC" info guest.frc

echo "== frc check"
"$FRC" check guest.frc

echo "== one flipped bit in page 2 of pc.ram, then frc check again"
cp guest.frc damaged.frc
pages=$("$FRC" info guest.frc | sed -n 's/.*pages at \(0x[0-9a-f]*\).*/\1/p' | head -1)
off=$((pages + 2 * 4096 + 100))
# flip the lowest bit of the byte that is there: always a change, in a
# present page (page 2 lies in the first MiB, which holds data)
byte=$(od -An -tu1 -j "$off" -N1 damaged.frc | tr -d ' ')
flipped=$(printf '%03o' $((byte ^ 1)))
printf "\\$flipped" | dd of=damaged.frc bs=1 seek=$off count=1 conv=notrunc status=none
cmp -s guest.frc damaged.frc && { echo "demo: the flip changed nothing" >&2; exit 1; }
echo "   byte at offset $off: $byte -> $((byte ^ 1))"
status=0
"$FRC" check damaged.frc || status=$?
echo "   frc check exit status: $status (2 = corruption found)"
[ "$status" -eq 2 ]
echo "== demo done: files in $D"
