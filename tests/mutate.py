#!/usr/bin/python3
"""mutate.py - one structural mutation of an FRC file, checksums re-sealed,
so that the rule the changed byte breaks, not a checksum, decides the
verdict (tests/reference_test.sh).

usage: mutate.py IN OUT sb|ft|rt|st|raw POS XOR
  sb:  byte POS (< header_length - 8) of both superblock copies, re-sealed
  ft, rt, st: byte POS of that table (before its trailer), trailer re-sealed
  raw: byte POS of the file, nothing re-sealed
Exits 2 when POS is outside what it names.
"""
import sys

import xxhash


def H(data, seed):
    return xxhash.xxh3_64_intdigest(bytes(data), seed=seed)


def le(b, off, n):
    return int.from_bytes(b[off:off + n], "little")


def main(src, dst, what, pos, xor):
    buf = bytearray(open(src, "rb").read())
    sb = buf[4096:8192]
    hl = le(sb, 12, 4)
    uuid = bytes(sb[48:64])
    if what == "sb":
        if pos >= hl - 8:
            return 2
        for slot in (4096, 8192):
            if any(buf[slot:slot + 4096]):
                buf[slot + pos] ^= xor
                c = H(buf[slot:slot + hl - 8], 0)
                buf[slot + hl - 8:slot + hl] = c.to_bytes(8, "little")
    elif what == "raw":
        if pos >= len(buf):
            return 2
        buf[pos] ^= xor
    else:
        at, tag = {"ft": (128, b"FRC-FTAB"), "rt": (96, b"FRC-RTAB"),
                   "st": (112, b"FRC-STAB")}[what]
        off, length = le(sb, at, 8), le(sb, at + 8, 4)
        if pos >= length - 8 or length < 8:
            return 2
        buf[off + pos] ^= xor
        key = H(tag + uuid + bytes(16), 0)
        buf[off + length - 8:off + length] = \
            H(buf[off:off + length - 8], key).to_bytes(8, "little")
    open(dst, "wb").write(buf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5], 0)))
