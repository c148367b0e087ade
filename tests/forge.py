#!/usr/bin/python3
"""forge.py - changes an FRC file the way an attacker who knows the format
would, for the tamper tests (tests/identity_test.sh): one change, then every
XXH3 checksum that covers it recomputed, so that only the content identity
(format 1.3) and signatures can tell. With --retree the digest section is
recomputed too (a complete forgery: only a signature can tell).

The file is parsed with the educational reader (tools/reference).

usage: forge.py [--retree] FILE ACTION [ARGS]
  page R I        flip a byte of page I of region R (uncompressed, present)
  section S       flip the last byte of section S
  region-id R     change the first byte of region R's id
  leaf R I        flip a byte of page I's stored leaf (digest section)
  root            flip a byte of the stored root
  sig S           flip a byte of signature section S's signature
  generator       change the generator (not covered by the root)
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools", "reference"))
import frc_reference as ref  # noqa: E402


def le(b, off, n):
    return int.from_bytes(b[off:off + n], "little")


class Forger:
    def __init__(self, path):
        self.path = path
        self.rd = ref.Reader(path)
        self.rd.run()
        with open(path, "rb") as f:
            self.buf = bytearray(f.read())
        cur = max((4096, 8192), key=lambda s: le(self.buf, s + 16, 8)
                  if self.buf[s:s + 8] == b"FRCSUPER" else -1)
        self.sb = cur
        self.st_off = le(self.buf, cur + 112, 8)
        self.rt_off = le(self.buf, cur + 96, 8)

    def key(self, tag, a, b):
        return self.rd.key(tag, a, b)

    def section_entry(self, idx):
        at = self.st_off
        for i in range(idx):
            nl = le(self.buf, at + 32, 2)
            at += 40 + (nl + 7) // 8 * 8
        return at

    def reseal_section(self, idx):
        s = self.rd.section_list[idx]
        e = self.section_entry(idx)
        data = bytes(self.buf[s["off"]:s["off"] + s["length"]])
        self.buf[e + 24:e + 32] = ref.H(data, self.key(b"FRC-SECT", idx, s["type"])).to_bytes(8, "little")
        self.reseal_table(self.st_off, le(self.buf, self.sb + 120, 4), b"FRC-STAB")

    def reseal_table(self, off, length, tag, a=0):
        body = bytes(self.buf[off:off + length - 8])
        self.buf[off + length - 8:off + length] = ref.H(body, self.key(tag, a, 0)).to_bytes(8, "little")

    def reseal_superblocks(self):
        for s in (4096, 8192):
            hl = le(self.buf, s + 12, 4)
            if self.buf[s:s + 8] == b"FRCSUPER":
                self.buf[s + hl - 8:s + hl] = ref.H(bytes(self.buf[s:s + hl - 8]), 0).to_bytes(8, "little")

    def page(self, r, i):
        g = self.rd.region_list[r]
        at = g["pg"] + i * g["ps"]
        self.buf[at + 17] ^= 0x40
        page = bytes(self.buf[at:at + g["ps"]])
        self.buf[g["cs"] + 8 * i:g["cs"] + 8 * i + 8] = ref.H(page, self.key(b"FRC-PAGE", r, i)).to_bytes(8, "little")
        self.reseal_table(g["cs"], 8 * g["pages"] + 8, b"FRC-CSUM", r)

    def section(self, idx):
        s = self.rd.section_list[idx]
        self.buf[s["off"] + s["length"] - 1] ^= 0x01
        self.reseal_section(idx)

    def region_id(self, r):
        at = self.rt_off
        for _ in range(r):
            at += 64 + (le(self.buf, at + 12, 2) + 7) // 8 * 8
        self.buf[at + 64] ^= 0x20
        self.reseal_table(self.rt_off, le(self.buf, self.sb + 104, 4), b"FRC-RTAB")

    def digests(self):
        return self.rd.digests, self.rd.section_list[self.rd.digests]

    def leaf(self, r, i):
        idx, s = self.digests()
        at = self.rd.region_list[r]["tree"] + 32 * i
        self.buf[at] ^= 0x01
        self.reseal_section(idx)

    def root(self):
        idx, s = self.digests()
        self.buf[s["off"] + 40] ^= 0x01
        self.reseal_section(idx)

    def sig(self, idx):
        s = self.rd.section_list[idx]
        self.buf[s["off"] + 100] ^= 0x01
        self.reseal_section(idx)

    def generator(self):
        for s in (4096, 8192):
            if self.buf[s:s + 8] == b"FRCSUPER":
                self.buf[s + 144:s + 208] = b"forged!".ljust(64, b"\0")
        self.reseal_superblocks()

    def retree(self):
        """The digest section computed again from the file as it is now."""
        rd = self.rd  # offsets and presence as parsed before the change
        idx, s = self.digests()
        covered = [i for i, t in enumerate(rd.section_list) if t["type"] not in (4, 5, 6)]
        trees, roots = b"", b""
        for i, g in enumerate(rd.region_list):
            pages = [self.page_bytes(rd, i, p) for p in range(g["pages"])]
            level = [hashlib.sha256(b"\x00" + p).digest() for p in pages]
            if not level:
                roots += hashlib.sha256(b"\x01").digest()
                continue
            while True:
                trees += b"".join(level)
                up = [hashlib.sha256(b"\x01" + b"".join(level[k:k + 128])).digest()
                      for k in range(0, len(level), 128)]
                if len(up) == 1:
                    roots += up[0]
                    break
                level = up
        sd = b""
        for i in covered:
            t = rd.section_list[i]
            data = bytes(self.buf[t["off"]:t["off"] + t["length"]])
            sd += hashlib.sha256(b"\x02" + t["type"].to_bytes(4, "little") + t["flags"].to_bytes(4, "little")
                                 + len(t["name"]).to_bytes(2, "little") + t["name"]
                                 + t["length"].to_bytes(8, "little") + data).digest()
        rec = len(rd.region_list).to_bytes(4, "little")
        at = self.rt_off
        for i, g in enumerate(rd.region_list):
            ident = bytes(self.buf[at + 64:at + 64 + len(g["id"])])  # as it is now
            at += 64 + (len(g["id"]) + 7) // 8 * 8
            rec += g["used"].to_bytes(8, "little") + g["ps"].to_bytes(4, "little") \
                + len(ident).to_bytes(2, "little") + ident + roots[32 * i:32 * i + 32]
        rec += len(covered).to_bytes(4, "little") + sd
        body = bytes(self.buf[s["off"]:s["off"] + 32]) + hashlib.sha256(b"\x03" + rec).digest() \
            + roots + sd + trees
        assert len(body) == s["length"]
        self.buf[s["off"]:s["off"] + s["length"]] = body
        self.reseal_section(idx)

    def page_bytes(self, rd, r, p):
        g = rd.region_list[r]
        if not g["bits"] >> p & 1:
            return bytes(g["ps"])
        at = g["pg"] + p * g["ps"]
        return bytes(self.buf[at:at + g["ps"]])

    def flush(self):
        with open(self.path, "r+b") as f:
            f.write(self.buf)


def main(argv):
    retree = "--retree" in argv
    argv = [a for a in argv if a != "--retree"]
    f = Forger(argv[1])
    act, args = argv[2].replace("-", "_"), [int(a) for a in argv[3:]]
    getattr(f, act)(*args)
    if retree:
        f.retree()
    f.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
