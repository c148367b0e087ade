#!/usr/bin/python3
"""frc_reference.py - the educational FRC reader.

Reads one FRC file by SPEC.adoc alone, in the order of checks the SPEC
fixes (section "Order of checks", R-CHECK-ORDER), and answers in the
protocol of `frc conform --impl` (testvectors/README.md):

    accept:  exit 0, YAML with read_only, the regions' and sections' SHA-256
    reject:  exit 1, the error class as the first word of standard output

It is written to be read next to the SPEC, not to be fast: every check
names the R- anchor (or section) it enforces, the file is read with plain
seek/read, and nothing is cached or parallel. Needs Python 3 and Debian's
python3-xxhash and python3-zstandard (format 1.2's compressed frames);
format 1.3's SHA-256 digests come from hashlib.

usage: frc_reference.py FILE
"""
import hashlib
import os
import sys

import xxhash
import zstandard

FIXED_AREA = 12288                      # R-FIXED-SHORT
SIGNATURE = b"\x89FRC\r\n\x1a\n"         # R-SIG
SLOT = (4096, 8192)                      # superblock slots A and B
INCOMPLETE = 1                           # incompat bit 0
COMPRESSED_FRAMES = 4                    # incompat bit 2, since 1.2
BASE_SNAPSHOT = 8                        # incompat bit 3, since 1.3
CHAIN_MAX = 16                           # bases below a file (R-BS-DEPTH)
CONTENT_DIGESTS = 2                      # ro_compat bit 1, since 1.3
DIGESTS, SIGNED, BASE = 4, 5, 6         # section types, since 1.3
KNOWN_SECTIONS = (1, 2, 4, 5, 6, 16)     # registry, as of 1.3
FANOUT = 128                             # a digest group: 128 entries
FRAME_MAX = 1 << 24                      # a frame is at most 16 MiB
LIMITS = dict(regions=4096, sections=4096, pages=1 << 33,
              section_length=1 << 40, metadata=1 << 20, features=192)
U64 = (1 << 64) - 1


class Reject(Exception):
    """The file is refused with one error class (SPEC "Error classes")."""

    def __init__(self, cls, rule, message):
        super().__init__(f"{cls} ({rule}): {message}")
        self.cls = cls


def H(data, seed):
    """XXH3-64 of data with a 64-bit seed (SPEC "Algorithm")."""
    return xxhash.xxh3_64_intdigest(bytes(data), seed=seed)


def le(b, off, n):
    return int.from_bytes(b[off:off + n], "little")


def utf8_ok(b):
    """SPEC "Conventions": RFC 3629 UTF-8, and no NUL byte."""
    if b"\0" in b:
        return False
    try:
        bytes(b).decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def pad_ok(field):
    """Text padded with NUL: text, then only NUL bytes (R-SB-FIELDS)."""
    n = field.find(b"\0")
    text = field if n < 0 else field[:n]
    return utf8_ok(text) and (n < 0 or not any(field[n:])), text


class File:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.size = os.fstat(self.f.fileno()).st_size

    def read(self, off, n):
        self.f.seek(off)
        data = self.f.read(n)
        if len(data) != n:
            raise Reject("truncated", "R-FILE-LENGTH", f"file ends before offset {off + n}")
        return data


class Reader:
    def __init__(self, path, above=()):
        self.path = path
        self.above = list(above)        # UUIDs of the files above (1.3 chains)
        self.chain_child = bool(above)  # a base: the top checks the leaves
        self.identity_only = False
        self.defer_chain = False
        self.pages, self.pages_done = {}, {}
        self.root = None
        self.file = File(path)
        self.placed = []                # (offset, length, what): placed so far

    # -- placement (SPEC "Placement rules") ---------------------------------
    def bounds(self, off, length, what):
        end = off + length
        if end > U64 or end > self.file_length:          # R-BOUNDS
            raise Reject("out-of-bounds", "R-BOUNDS", f"{what} ends beyond file_length")

    def place_first(self, off, length, what):
        for o, n, w in self.placed:                       # R-PLACE-FIRST
            if n and length and off < o + n and o < off + length:
                raise Reject("overlap", "R-PLACE-FIRST", f"{what} overlaps {w}")
        self.placed.append((off, length, what))

    def key(self, tag, a, b):
        """SPEC "Keys": H(tag || file_uuid || le64(a) || le64(b), 0)."""
        return H(tag + self.uuid + a.to_bytes(8, "little") + b.to_bytes(8, "little"), 0)

    def trailer_ok(self, table, tag, a=0):
        """SPEC "Table trailers": the last 8 bytes hash everything before."""
        return le(table, len(table) - 8, 8) == H(table[:-8], self.key(tag, a, 0))

    # -- 1. signature -------------------------------------------------------
    def signature(self):
        head = self.file.read(0, min(8, self.file.size))
        if self.file.size < 8:
            if head == SIGNATURE[:len(head)]:
                raise Reject("truncated", "R-SIG-SHORT", "shorter than the signature")
            raise Reject("bad-signature", "R-SIG", "not an FRC file")
        if head != SIGNATURE:
            raise Reject("bad-signature", "R-SIG", "not an FRC file")
        if self.file.size < FIXED_AREA:
            raise Reject("truncated", "R-FIXED-SHORT", "shorter than the fixed area")

    # -- 2. the current superblock copy ------------------------------------
    def classify(self, slot):
        """'empty', or ('intact', bytes), or ('damaged', class)."""
        buf = self.file.read(slot, 4096)
        if not any(buf):
            return "empty", None
        if buf[:8] != b"FRCSUPER":
            return "damaged", "bad-field"
        hl = le(buf, 12, 4)
        if hl % 8 or not 256 <= hl <= 4096:
            return "damaged", "bad-field"
        if le(buf, hl - 8, 8) != H(buf[:hl - 8], 0):
            return "damaged", "checksum-mismatch"
        return "intact", buf[:hl]

    def choose(self):
        a, b = self.classify(SLOT[0]), self.classify(SLOT[1])
        intact = [c[1] for c in (a, b) if c[0] == "intact"]
        if not intact:                                    # R-SEL-NONE
            if a[0] == "empty" and b[0] == "empty":
                raise Reject("bad-field", "R-SEL-NONE", "both superblock slots are empty")
            failed = a if a[0] == "damaged" else b
            raise Reject(failed[1], "R-SEL-NONE", "no intact superblock copy")
        if len(intact) == 2 and le(intact[0], 16, 8) == le(intact[1], 16, 8) \
                and intact[0] != intact[1]:               # R-SEL-SAMESEQ
            raise Reject("bad-field", "R-SEL-SAMESEQ", "two different copies with one sequence")
        return max(intact, key=lambda c: le(c, 16, 8))    # R-SEL-HIGHEST

    # -- 3. validating the current copy -------------------------------------
    def superblock(self, sb):
        self.major, self.minor = le(sb, 8, 2), le(sb, 10, 2)
        if self.major != 1:                               # R-MAJOR
            raise Reject("unsupported-version", "R-MAJOR", f"version {self.major}")
        # R-SB-FIELDS, in the order of the layout table
        if le(sb, 16, 8) == 0:
            raise Reject("bad-field", "R-SB-FIELDS", "sequence 0")
        self.uuid = sb[48:64]
        if not any(self.uuid):
            raise Reject("bad-field", "R-SB-FIELDS", "file_uuid all zero")
        self.file_length = le(sb, 80, 8)
        if self.file_length < FIXED_AREA:
            raise Reject("bad-field", "R-SB-FIELDS", "file_length below 12288")
        align = le(sb, 88, 4)
        if align & (align - 1) or not 512 <= align <= 1 << 30:
            raise Reject("bad-field", "R-SB-FIELDS", "data_alignment")
        if any(sb[93:96]) or any(sb[140:144]):
            raise Reject("bad-field", "R-SB-FIELDS", "reserved bytes")
        if not pad_ok(sb[144:208])[0]:
            raise Reject("bad-field", "R-SB-FIELDS", "generator")
        if self.file.size < self.file_length:             # R-FILE-LENGTH
            raise Reject("truncated", "R-FILE-LENGTH", "shorter than file_length")
        self.placed.append((0, FIXED_AREA, "the fixed area"))
        self.feature_names(le(sb, 128, 8), le(sb, 136, 4))
        incompat, ro_compat = le(sb, 24, 8), le(sb, 32, 8)
        self.compressed = bool(incompat & COMPRESSED_FRAMES)
        self.based = bool(incompat & BASE_SNAPSHOT)
        if incompat & ~(INCOMPLETE | COMPRESSED_FRAMES | BASE_SNAPSHOT):  # R-INCOMPAT
            raise Reject("unsupported-feature", "R-INCOMPAT", f"incompat bits {incompat:#x}")
        self.ro_compat = ro_compat
        self.read_only = ro_compat & ~CONTENT_DIGESTS != 0  # R-ROCOMPAT
        if sb[92] != 1:                                   # R-ALGO
            raise Reject("unsupported-feature", "R-ALGO", f"checksum algorithm {sb[92]}")
        if incompat & INCOMPLETE:                         # R-INCOMPLETE
            raise Reject("incomplete", "R-INCOMPLETE", "the save was interrupted")

    # -- 4. feature-name table ----------------------------------------------
    def feature_names(self, off, length):
        if off == 0 and length == 0:
            return
        if length < 8 or (length - 8) % 48 or off % 8:    # R-FT
            raise Reject("bad-field", "R-FT", "feature-name table shape")
        if (length - 8) // 48 > LIMITS["features"]:
            raise Reject("limit-exceeded", "R-LIMITS", "more than 192 feature names")
        self.bounds(off, length, "feature-name table")
        self.place_first(off, length, "the feature-name table")
        table = self.file.read(off, length)
        if not self.trailer_ok(table, b"FRC-FTAB"):
            raise Reject("checksum-mismatch", "R-CSUM", "feature-name table trailer")
        for i in range(0, length - 8, 48):
            e = table[i:i + 48]
            if e[0] > 2 or e[1] > 63 or any(e[2:8]):
                raise Reject("bad-field", "R-FT", "feature-name entry")
            ok, name = pad_ok(e[8:48])
            if not ok or not name:
                raise Reject("bad-field", "R-FT", "feature name")

    # -- 5./6. region and section tables ------------------------------------
    def table(self, sb_at, sb, count_limit, entry_max, what, tag):
        off, length, count = le(sb, sb_at, 8), le(sb, sb_at + 8, 4), le(sb, sb_at + 12, 4)
        if count == 0:
            if off or length:                             # R-SB-FIELDS
                raise Reject("bad-field", "R-SB-FIELDS", f"{what}: no entries but an offset or length")
            return b"", 0, off
        if count > count_limit:                           # R-LIMITS
            raise Reject("limit-exceeded", "R-LIMITS", f"{what}: {count} entries")
        if off % 8 or length % 8 or length < 8 or length > count * entry_max + 8:
            raise Reject("bad-field", "R-RT-FILL", f"{what}: shape")
        self.bounds(off, length, what)
        self.place_first(off, length, "the " + what)
        table = self.file.read(off, length)
        if not self.trailer_ok(table, tag):
            raise Reject("checksum-mismatch", "R-CSUM", f"{what} trailer")
        return table[:-8], count, off

    @staticmethod
    def entry(body, pos, fixed, length_at, rule):
        """An entry of `fixed` bytes and a name padded to a multiple of 8,
        which must fit in what is left of the table (R-RT-FILL, R-ST-FILL):
        the entry's bytes, its name's length and its size."""
        if len(body) - pos < fixed:
            raise Reject("bad-field", rule, "the table ends inside an entry")
        e = body[pos:]
        n = le(e, length_at, 2)
        size = fixed + (n + 7) // 8 * 8
        if len(body) - pos < size:
            raise Reject("bad-field", rule, "the table ends inside an entry")
        return e, n, size

    def regions(self, sb):
        body, count, _ = self.table(96, sb, LIMITS["regions"], 64 + 256, "region table", b"FRC-RTAB")
        self.region_list, pos = [], 0
        for _ in range(count):
            e, idl, size = self.entry(body, pos, 64, 12, "R-RT-FILL")
            used, ps = le(e, 0, 8), le(e, 8, 4)
            if any(e[14:16]):
                raise Reject("bad-field", "R-RT-ENTRY", "reserved bytes")
            top = 56 if self.based else 64               # 56-63: base_map_offset
            if not self.compressed and any(e[40:top]):    # R-CF-RESERVED
                raise Reject("bad-field", "R-CF-RESERVED", "bytes 40-63 without compressed-frames")
            if any(e[64 + idl:size]):
                raise Reject("bad-field", "R-RT-ENTRY", "id padding")
            if ps & (ps - 1) or not 512 <= ps <= 1 << 24:
                raise Reject("bad-field", "R-RT-ENTRY", "page_size")
            if used % ps:
                raise Reject("bad-field", "R-RT-ENTRY", "used_length not a multiple of page_size")
            pages = used // ps
            if pages > LIMITS["pages"]:
                raise Reject("limit-exceeded", "R-LIMITS", "more than 2^33 pages")
            ident = e[64:64 + idl]
            if not 1 <= idl <= 255 or not utf8_ok(ident):
                raise Reject("bad-field", "R-RT-ENTRY", "region id")
            bm, cs, pg = le(e, 16, 8), le(e, 24, 8), le(e, 32, 8)
            if pages == 0:
                if bm or cs or pg:                        # R-RT-EMPTY
                    raise Reject("bad-field", "R-RT-EMPTY", "offsets of an empty region")
            elif bm % 8 or cs % 8:                        # R-ALIGN8
                raise Reject("bad-field", "R-ALIGN8", "bitmap or checksum table not 8-aligned")
            elif pg % ps:                                 # R-PAGE-ALIGN
                raise Reject("bad-field", "R-PAGE-ALIGN", "page area not page-aligned")
            method, shift, ft = (e[40], e[41], le(e, 48, 8)) if self.compressed else (0, 0, 0)
            if method > 1:                                # R-CF-METHOD
                raise Reject("unsupported-feature", "R-CF-METHOD", f"compression method {method}")
            if self.compressed and method == 0 and any(e[41:top]):
                raise Reject("bad-field", "R-CF-NONE", "compression fields of an uncompressed region")
            if method:
                if ps << shift > FRAME_MAX:               # R-CF-SHIFT
                    raise Reject("bad-field", "R-CF-SHIFT", "frames over 16 MiB")
                if any(e[42:48]) or any(e[56:top]):
                    raise Reject("bad-field", "R-RT-ENTRY", "reserved compression bytes")
                if (ft != 0) if pages == 0 else (ft % 8):  # R-CF-TABLE
                    raise Reject("bad-field", "R-CF-TABLE", "frame_table_offset")
            bmo = le(e, 56, 8) if self.based else 0
            if (bmo != 0) if pages == 0 else (bmo % 8):   # R-BS-MAP-OFFSET
                raise Reject("bad-field", "R-BS-MAP-OFFSET", "base_map_offset")
            self.region_list.append(dict(id=bytes(ident), ps=ps, used=used, pages=pages,
                                         bm=bm, cs=cs, pg=pg, method=method,
                                         shift=shift, ft=ft, bmo=bmo, from_base=0))
            pos += size
        if pos != len(body):                              # R-RT-FILL
            raise Reject("bad-field", "R-RT-FILL", "bytes after the entries")
        ids = [r["id"] for r in self.region_list]
        if len(set(ids)) != len(ids):
            raise Reject("bad-field", "R-RT-ENTRY", "two regions share an id")

    def sections(self, sb):
        body, count, _ = self.table(112, sb, LIMITS["sections"], 40 + 256, "section table", b"FRC-STAB")
        self.section_list, pos = [], 0
        for _ in range(count):
            e, nl, size = self.entry(body, pos, 40, 32, "R-ST-FILL")
            typ, flags, off, length = le(e, 0, 4), le(e, 4, 4), le(e, 8, 8), le(e, 16, 8)
            if typ == 0:
                raise Reject("bad-field", "R-ST-FILL", "section type 0")
            if any(e[34:40]) or any(e[40 + nl:size]):
                raise Reject("bad-field", "R-ST-FILL", "reserved bytes or name padding")
            if nl > 255 or not utf8_ok(e[40:40 + nl]):
                raise Reject("bad-field", "R-ST-FILL", "section name")
            if length > LIMITS["section_length"]:
                raise Reject("limit-exceeded", "R-LIMITS", "section longer than 2^40")
            if length == 0 and off:
                raise Reject("bad-field", "R-ST-FILL", "empty section with an offset")
            self.section_list.append(dict(type=typ, flags=flags, off=off, length=length,
                                          csum=le(e, 24, 8), name=bytes(e[40:40 + nl])))
            pos += size
        if pos != len(body):                              # R-ST-FILL
            raise Reject("bad-field", "R-ST-FILL", "bytes after the entries")
        # 8. each section: bounds, must-understand, one metadata section,
        # one digest section (1.3)
        self.meta = self.digests = self.base_section = None
        for i, s in enumerate(self.section_list):
            self.bounds(s["off"], s["length"], f"section {i}")
            if s["type"] not in KNOWN_SECTIONS and s["flags"] & 1:
                raise Reject("unsupported-feature", "R-SEC-MUST", f"section type {s['type']}")
            if s["type"] == 2:
                if self.meta is not None:                 # R-SEC-ONE-META
                    raise Reject("bad-field", "R-SEC-ONE-META", "two metadata sections")
                self.meta = i
            if s["type"] == DIGESTS:
                if self.digests is not None:              # R-DG-FEATURE
                    raise Reject("bad-field", "R-DG-FEATURE", "two digest sections")
                self.digests = i
            if s["type"] == BASE:
                if self.base_section is not None:         # R-BS-FEATURE
                    raise Reject("bad-field", "R-BS-FEATURE", "two base sections")
                self.base_section = i
        if bool(self.ro_compat & CONTENT_DIGESTS) != (self.digests is not None):
            raise Reject("bad-field", "R-DG-FEATURE", "content-digests bit and digest section disagree")
        if self.digests is None and any(s["type"] == SIGNED for s in self.section_list):
            raise Reject("bad-field", "R-SG-SHAPE", "a signature without content digests")
        if self.based and (self.digests is None or self.base_section is None) or \
                not self.based and self.base_section is not None:
            raise Reject("bad-field", "R-BS-FEATURE", "base-snapshot, digests and base section disagree")

    # -- 9. placement of everything -----------------------------------------
    def layout(self):
        extents = list(self.placed)
        for i, r in enumerate(self.region_list):
            if not r["pages"]:
                continue
            bitmap = (r["pages"] + 7) // 8
            r["bitmap_bytes"] = (bitmap + 7) // 8 * 8
            r["frames"] = -(-r["pages"] >> r["shift"]) if r["method"] else 0
            for off, n, what in ((r["bm"], r["bitmap_bytes"] + 8, "bitmap"),
                                 (r["cs"], 8 * r["pages"] + 8, "checksum table"),
                                 (r["ft"], 16 * r["frames"] + 8 if r["method"] else 0,
                                  "frame table"),
                                 (r["bmo"], r["bitmap_bytes"] + 8 if self.based else 0,
                                  "base map"),
                                 (r["pg"], r["used"], "page area")):
                if not n:
                    continue
                self.bounds(off, n, f"{what} of region {i}")
                extents.append((off, n, f"{what} of region {i}"))
        for i, s in enumerate(self.section_list):
            extents.append((s["off"], s["length"], f"section {i}"))
        extents = sorted(e for e in extents if e[1])
        for (o1, n1, w1), (o2, n2, w2) in zip(extents, extents[1:]):
            if o2 < o1 + n1:                              # R-OVERLAP
                raise Reject("overlap", "R-OVERLAP", f"{w2} overlaps {w1}")

    # -- 10. bitmaps ---------------------------------------------------------
    def bitmaps(self):
        for i, r in enumerate(self.region_list):
            if not r["pages"]:
                continue
            raw = self.file.read(r["bm"], r["bitmap_bytes"] + 8)
            if not self.trailer_ok(raw, b"FRC-BMAP", i):
                raise Reject("checksum-mismatch", "R-CSUM", f"bitmap of region {i}")
            bits = int.from_bytes(raw[:-8], "little")     # bit i = page i
            if bits >> r["pages"]:                        # R-BM-PAD
                raise Reject("bad-field", "R-BM-PAD", f"padding bits of region {i}")
            r["bits"] = bits
            if not self.based:
                continue
            raw = self.file.read(r["bmo"], r["bitmap_bytes"] + 8)
            if not self.trailer_ok(raw, b"FRC-BASM", i):
                raise Reject("checksum-mismatch", "R-CSUM", f"base map of region {i}")
            fb = int.from_bytes(raw[:-8], "little")
            if fb >> r["pages"] or fb & bits:             # R-BS-MAP
                raise Reject("bad-field", "R-BS-MAP", f"base map of region {i}")
            r["from_base"] = fb

    # -- 11. metadata ----------------------------------------------------------
    def section_bytes(self, i):
        s = self.section_list[i]
        data = self.file.read(s["off"], s["length"]) if s["length"] else b""
        if H(data, self.key(b"FRC-SECT", i, s["type"])) != s["csum"]:
            raise Reject("checksum-mismatch", "R-CSUM", f"section {i}")
        return data

    def metadata(self):
        if self.meta is None:
            return
        if self.section_list[self.meta]["length"] > LIMITS["metadata"]:
            raise Reject("limit-exceeded", "R-LIMITS", "metadata section over 1 MiB")
        data, pos, keys = self.section_bytes(self.meta), 0, []
        while pos < len(data):                            # R-META
            if len(data) - pos < 6:
                raise Reject("bad-field", "R-META", "item header runs past the section")
            kl, vl = le(data, pos, 2), le(data, pos + 2, 4)
            if len(data) - pos - 6 < kl + vl:
                raise Reject("bad-field", "R-META", "item runs past the section")
            k = data[pos + 6:pos + 6 + kl]
            if not 1 <= kl <= 255 or not k[:1].isalnum() or \
                    any(c not in b"abcdefghijklmnopqrstuvwxyz0123456789._-" for c in k):
                raise Reject("bad-field", "R-META", "metadata key")
            if not utf8_ok(data[pos + 6 + kl:pos + 6 + kl + vl]):
                raise Reject("bad-field", "R-META", "metadata value")
            keys.append(k)
            pos += 6 + kl + vl
        if len(set(keys)) != len(keys):
            raise Reject("bad-field", "R-META", "a key given twice")

    # -- 11, continued: the digest section and signatures (1.3) --------------
    def identity(self):
        if self.digests is None:
            return
        s = self.section_list[self.digests]
        covered = [i for i, t in enumerate(self.section_list) if t["type"] not in (DIGESTS, SIGNED, BASE)]
        head = self.file.read(s["off"], 64) if s["length"] >= 64 else b""
        if head[:8] != b"FRC-DGST":                       # R-DG-HEADER
            raise Reject("bad-field", "R-DG-HEADER", "digest section magic (or shorter than 64)")
        if head[8] != 1:                                  # R-DG-ALGO
            raise Reject("unsupported-feature", "R-DG-ALGO", f"digest algorithm {head[8]}")
        if head[9] != 7 or any(head[10:12]) or le(head, 12, 4) != len(self.region_list) or \
                le(head, 16, 4) != len(covered) or any(head[20:32]):
            raise Reject("bad-field", "R-DG-HEADER", "digest section header")
        entries = len(self.region_list) + len(covered)
        for r in self.region_list:
            r["levels"], n = [], r["pages"]
            while n:                                      # levels 0 .. h-1
                r["levels"].append(n)
                n = -(-n // FANOUT)
                if n == 1:
                    break
            entries += sum(r["levels"])
        if s["length"] != 64 + 32 * entries:              # R-DG-LENGTH
            raise Reject("bad-field", "R-DG-LENGTH", "digest section length")
        rec = self.file.read(s["off"] + 64, 32 * (len(self.region_list) + len(covered)))
        at = s["off"] + 64 + len(rec)
        material = bytearray(len(self.region_list).to_bytes(4, "little"))
        for i, r in enumerate(self.region_list):
            r["root"], r["tree"] = rec[32 * i:32 * i + 32], at
            at += 32 * sum(r["levels"])
            if not r["pages"] and r["root"] != hashlib.sha256(b"\x01").digest():
                raise Reject("digest-mismatch", "R-DG-ROOT", f"root of empty region {i}")
            material += r["used"].to_bytes(8, "little") + r["ps"].to_bytes(4, "little")
            material += len(r["id"]).to_bytes(2, "little") + r["id"] + r["root"]
        self.section_digest = {i: rec[32 * (len(self.region_list) + k):][:32]
                               for k, i in enumerate(covered)}
        material += len(covered).to_bytes(4, "little") + rec[32 * len(self.region_list):]
        if hashlib.sha256(b"\x03" + material).digest() != head[32:64]:
            raise Reject("digest-mismatch", "R-DG-ROOT", "root")
        self.root = head[32:64]
        for i, t in enumerate(self.section_list):         # R-SG-SHAPE
            if t["type"] != SIGNED:
                continue
            b = self.file.read(t["off"], t["length"]) if t["length"] == 144 else b""
            if b[:8] != b"FRC-SIGN" or any(b[9:16]):
                raise Reject("bad-field", "R-SG-SHAPE", f"signature section {i}")

    # -- 11, last: the base and the chain (1.3) ------------------------------
    def chain(self):
        self.base = None
        if self.base_section is None or self.defer_chain:
            return
        s = self.section_list[self.base_section]
        b = self.file.read(s["off"], s["length"]) if s["length"] >= 48 else b""
        if b[:8] != b"FRC-BASE":                          # R-BS-SECTION
            raise Reject("bad-field", "R-BS-SECTION", "base section magic (or shorter than 48)")
        hl = le(b, 40, 2)
        if hl > 4095 or any(b[42:48]) or s["length"] != 48 + hl or \
                not utf8_ok(b[48:]) or 0 in b[48:]:
            raise Reject("bad-field", "R-BS-SECTION", "base section fields")
        root, hint = b[8:40], b[48:].decode()
        if len(self.above) + 1 > CHAIN_MAX:               # R-BS-DEPTH
            raise Reject("chain-too-deep", "R-BS-DEPTH", "more than 16 bases")
        path = hint if hint.startswith("/") else os.path.join(os.path.dirname(self.path), hint)
        if not hint or not os.path.isfile(path):          # R-BS-RESOLVE
            raise Reject("base-missing", "R-BS-RESOLVE", f"base {hint!r} not found")
        base = Reader(path, self.above + [self.uuid])
        base.identity_only = True
        base.defer_chain = True
        base.run()
        if base.digests is None or base.root != root:
            raise Reject("base-mismatch", "R-BS-RESOLVE", f"{hint!r} has another root")
        if base.uuid in base.above:                       # R-BS-CYCLE
            raise Reject("chain-cycle", "R-BS-CYCLE", "a file of the chain met again")
        base.defer_chain = False
        base.chain()
        if [(r["id"], r["ps"], r["used"]) for r in base.region_list] != \
                [(r["id"], r["ps"], r["used"]) for r in self.region_list]:
            raise Reject("base-mismatch", "R-BS-LAYOUT", "the base has other regions")
        self.base = base

    def group(self, i, level, j, cache):
        """Group j of a stored level, checked up to the region root (R-DG-NODE)."""
        r = self.region_list[i]
        if (level, j) in cache:
            return cache[level, j]
        n = min(FANOUT, r["levels"][level] - j * FANOUT)
        at = r["tree"] + 32 * (sum(r["levels"][:level]) + j * FANOUT)
        if level + 1 == len(r["levels"]):
            want = r["root"]
        else:
            want = self.group(i, level + 1, j // FANOUT, cache)[j % FANOUT]
        data = self.file.read(at, 32 * n)
        if hashlib.sha256(b"\x01" + data).digest() != want:
            raise Reject("digest-mismatch", "R-DG-NODE", f"region {i} level {level} group {j}")
        cache[level, j] = [data[32 * k:32 * k + 32] for k in range(n)]
        return cache[level, j]

    def leaf(self, i, p, page, cache):
        if self.digests is None or self.chain_child:      # the top checks
            return
        if hashlib.sha256(b"\x00" + page).digest() != self.group(i, 0, p // FANOUT, cache)[p % FANOUT]:
            raise Reject("digest-mismatch", "R-DG-LEAF", f"region {i} page {p}")

    def section_verified(self, i):
        data = self.section_bytes(i)
        if self.digests is not None and i in self.section_digest:   # R-DG-SECT
            s = self.section_list[i]
            body = s["type"].to_bytes(4, "little") + s["flags"].to_bytes(4, "little") + \
                len(s["name"]).to_bytes(2, "little") + s["name"] + s["length"].to_bytes(8, "little")
            if hashlib.sha256(b"\x02" + body + data).digest() != self.section_digest[i]:
                raise Reject("digest-mismatch", "R-DG-SECT", f"section {i}")
        return data

    # -- 12. full verification -------------------------------------------------
    def region_contents(self, i):
        """The region as a reader returns it, every checksum verified."""
        r, out = self.region_list[i], hashlib.sha256()
        if not r["pages"]:
            return out.hexdigest()
        table = self.file.read(r["cs"], 8 * r["pages"] + 8)
        if not self.trailer_ok(table, b"FRC-CSUM", i):    # R-CSUM-TABLE-FIRST
            raise Reject("checksum-mismatch", "R-CSUM-TABLE-FIRST", f"checksum table of region {i}")
        for p in range(r["pages"]):
            if not r["bits"] >> p & 1 and le(table, 8 * p, 8):  # R-CSUM-ABSENT
                raise Reject("bad-field", "R-CSUM-ABSENT", f"region {i} page {p}")
        zero, tree = bytes(r["ps"]), {}
        frames = self.frame_table(i) if r["method"] else None
        frame, data = None, b""
        for p in range(r["pages"]):
            if frames is not None and p >> r["shift"] != frame:
                frame = p >> r["shift"]
                data = self.frame_bytes(i, frame, frames)
            if r["from_base"] >> p & 1:                   # R-BS-PAGE
                page = self.base.page(i, p)
                self.leaf(i, p, page, tree)
                out.update(page)
                if self.chain_child:
                    self.pages[i, p] = page
                continue
            if not r["bits"] >> p & 1:                    # R-BM-ZEROS
                self.leaf(i, p, zero, tree)
                out.update(zero)
                continue
            if frames is None or data is None:            # uncompressed, raw
                page = self.file.read(r["pg"] + p * r["ps"], r["ps"])
            else:
                at = (p - (frame << r["shift"])) * r["ps"]
                page = data[at:at + r["ps"]]
            if H(page, self.key(b"FRC-PAGE", i, p)) != le(table, 8 * p, 8):
                raise Reject("checksum-mismatch", "R-CSUM", f"region {i} page {p}")
            self.leaf(i, p, page, tree)
            out.update(page)
            if self.chain_child:
                self.pages[i, p] = page
        return out.hexdigest()

    def page(self, i, p):
        """Page p of region i as this base returns it (its checksum checked)."""
        if not self.pages_done.get(i):
            self.region_contents(i)
            self.pages_done[i] = True
        r = self.region_list[i]
        return self.pages.get((i, p), bytes(r["ps"]))

    # -- compressed frames (SPEC "Compressed frames", 1.2) -------------------
    def frame_table(self, i):
        """The trailer, then every entry, before any frame is read."""
        r = self.region_list[i]
        table = self.file.read(r["ft"], 16 * r["frames"] + 8)
        if not self.trailer_ok(table, b"FRC-FTBL", i):    # R-CF-FIRST
            raise Reject("checksum-mismatch", "R-CF-FIRST", f"frame table of region {i}")
        for f in range(r["frames"]):
            self.frame_entry(i, f, table)
        return table

    def frame_entry(self, i, f, table):
        r = self.region_list[i]
        first = f << r["shift"]
        pages = min(r["pages"] - first, 1 << r["shift"])
        length = pages * r["ps"]
        stored, enc, csum = le(table, 16 * f, 4), table[16 * f + 4], le(table, 16 * f + 8, 8)
        if any(table[16 * f + 5:16 * f + 8]):             # R-CF-ENTRY
            raise Reject("bad-field", "R-CF-ENTRY", f"reserved bytes of frame {f}")
        if not ((enc == 0 and stored == 0 and csum == 0) or
                (enc == 1 and stored == length and csum == 0) or
                (enc == 2 and 1 <= stored < length)):
            raise Reject("bad-field", "R-CF-ENTRY", f"frame {f} of region {i}")
        present = (r["bits"] >> first) & ((1 << pages) - 1)
        if bool(present) != (enc != 0):                   # R-CF-PRESENCE
            raise Reject("bad-field", "R-CF-PRESENCE", f"frame {f} of region {i}")

    def frame_bytes(self, i, f, table):
        """Frame f's pages, decompressed; None for a raw or absent frame."""
        r = self.region_list[i]
        first = f << r["shift"]
        pages = min(r["pages"] - first, 1 << r["shift"])
        length, slot = pages * r["ps"], r["pg"] + first * r["ps"]
        stored, enc, csum = le(table, 16 * f, 4), table[16 * f + 4], le(table, 16 * f + 8, 8)
        if enc != 2:
            return None
        src = self.file.read(slot, stored)
        if H(src, self.key(b"FRC-FRAM", i, f)) != csum:   # R-CF-CSUM
            raise Reject("checksum-mismatch", "R-CF-CSUM", f"frame {f} of region {i}")
        try:                                              # R-CF-DECODE
            # the header first: a content size of exactly the frame's
            # length, a window of at most 16 MiB, no dictionary
            params = zstandard.get_frame_parameters(bytes(src))
            ok = (params.content_size == length and params.window_size <= FRAME_MAX
                  and params.dict_id == 0)
            if ok:
                d = zstandard.ZstdDecompressor(max_window_size=FRAME_MAX).decompressobj()
                data = d.decompress(bytes(src))
                ok = len(data) == length and d.eof and not d.unused_data
        except zstandard.ZstdError:
            ok = False
        if not ok:
            raise Reject("bad-field", "R-CF-DECODE", f"frame {f} of region {i}")
        return data

    def run(self):
        self.signature()
        sb = self.choose()
        self.superblock(sb)
        self.regions(sb)
        self.sections(sb)
        self.layout()
        self.bitmaps()
        self.metadata()
        self.identity()
        self.chain()
        if self.identity_only:
            return None, None
        regions = [(r["id"], self.region_contents(i)) for i, r in enumerate(self.region_list)]
        sections = [(i, s["type"], hashlib.sha256(self.section_verified(i)).hexdigest())
                    for i, s in enumerate(self.section_list)]       # R-SEC-SKIP
        return regions, sections


def yaml_str(b):
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}"
                         for c in b.decode("utf-8")) + '"'


def main(argv):
    if len(argv) != 2:
        print("usage: frc_reference.py FILE", file=sys.stderr)
        return 2
    try:
        reader = Reader(argv[1])
        regions, sections = reader.run()
    except Reject as r:
        print(r.cls, str(r).split(": ", 1)[1])
        return 1
    except OSError as e:
        print(f"frc_reference.py: {argv[1]}: {e.strerror}", file=sys.stderr)
        return 3
    print(f"read_only: {'true' if reader.read_only else 'false'}")
    print("regions:" + ("" if regions else " []"))
    for ident, digest in regions:
        print(f"- id: {yaml_str(ident)}\n  sha256: \"{digest}\"")
    print("sections:" + ("" if sections else " []"))
    for i, t, digest in sections:
        print(f"- index: {i}\n  type: {t}\n  sha256: \"{digest}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
