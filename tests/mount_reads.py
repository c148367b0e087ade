#!/usr/bin/python3
"""mount_reads.py - the read paths of a region file of `frc mount` against
the raw image it must equal: read, pread at odd offsets and across pages,
mmap (shared and private), SEEK_DATA/SEEK_HOLE against the present pages,
several readers at once. Prints one line per path, "ok NAME" or
"FAIL NAME: why"; exits 1 if any failed.

usage: mount_reads.py FILE IMAGE PAGE_SIZE
The FRC file was made by `frc create` from IMAGE: its present pages are
the pages of IMAGE that are not all zeros.
"""
import mmap
import os
import random
import sys
import threading

path, image, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = open(image, "rb").read()
size = len(want)
fails = 0


def report(name, ok, why=""):
    global fails
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    fails += 0 if ok else 1


def runs():
    zero = bytes(page_size)
    return [(p, p + 1) for p in range((size + page_size - 1) // page_size)
            if want[p * page_size:(p + 1) * page_size].rstrip(b"\0")]


fd = os.open(path, os.O_RDONLY)
report("size", os.fstat(fd).st_size == size, "%d != %d" % (os.fstat(fd).st_size, size))

# sequential read() in odd-sized pieces
got = bytearray()
with open(path, "rb", buffering=0) as f:
    while True:
        b = f.read(12345)
        if not b:
            break
        got += b
report("read", bytes(got) == want, "differs")

# pread at odd offsets, within a page and across page boundaries
rng = random.Random(7)
bad = None
for _ in range(2000):
    off = rng.randrange(0, size) if size else 0
    n = rng.choice([1, 3, 511, page_size - 1, page_size + 1, 3 * page_size + 17, 70000])
    if os.pread(fd, n, off) != want[off:off + n]:
        bad = (off, n)
        break
for off in range(page_size - 2, size, page_size * 97):  # straddling pages
    if os.pread(fd, 5, off) != want[off:off + 5]:
        bad = (off, 5)
report("pread", bad is None, "at %r" % (bad,))
report("pread past the end", os.pread(fd, 10, size) == b"" and os.pread(fd, 10, size + 4096) == b"", "not empty")

# mmap, shared read-only and private writable (as QEMU's share=off)
if size:
    m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
    report("mmap", m[:] == want, "differs")
    m.close()
    fdw = os.open(path, os.O_RDWR)
    m = mmap.mmap(fdw, size, flags=mmap.MAP_PRIVATE)
    m[0:4] = b"\xde\xad\xbe\xef"
    report("mmap private, written", m[4:] == want[4:] and m[0:4] == b"\xde\xad\xbe\xef", "differs")
    m.close()
    try:
        os.pwrite(fdw, b"x", 0)
        report("write refused", False, "a write succeeded")
    except OSError as e:
        report("write refused", e.errno == 30, str(e))
    os.close(fdw)
    report("the private write stayed private", os.pread(fd, 4, 0) == want[0:4], "the file changed")

# SEEK_DATA / SEEK_HOLE follow the bitmap
expect = []
for a, b in runs():
    lo, hi = a * page_size, min(b * page_size, size)
    if expect and expect[-1][1] == lo:
        expect[-1] = (expect[-1][0], hi)
    else:
        expect.append((lo, hi))
seen = []
off = 0
while off < size:
    try:
        d = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:
        break
    h = os.lseek(fd, d, os.SEEK_HOLE)
    seen.append((d, h))
    off = h
report("SEEK_DATA/SEEK_HOLE", seen == expect, "%r != %r" % (seen[:4], expect[:4]))

# readers at once, each its own descriptor, random pages
errs = []


def reader(seed):
    r = random.Random(seed)
    f = os.open(path, os.O_RDONLY)
    for _ in range(500):
        off = r.randrange(0, max(size, 1)) // page_size * page_size
        if os.pread(f, page_size, off) != want[off:off + page_size]:
            errs.append(off)
    os.close(f)


if size:
    ts = [threading.Thread(target=reader, args=(s,)) for s in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    report("8 concurrent readers", not errs, "at %r" % errs[:3])
os.close(fd)
sys.exit(1 if fails else 0)
