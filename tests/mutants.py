#!/usr/bin/python3
"""Mutation score of libfrc's validation checks against the test vectors.

Every validation check of the reader is a guard that refuses a file: an
`if (COND)` whose body reports one of the SPEC's error classes of a damaged
or unsupported file (bad-signature ... limit-exceeded). For each one in
turn this script builds a mutant libfrc in which that guard can never fire
(`if (COND)` becomes `if (0 && (COND))`, the check compiled out), links the
frc command against it, and runs the vectors: `frc conform` over every
manifest, then `frc check` on every vector (its exit status and the class it
names). A mutant is killed when any vector fails. It prints the score and
the survivors by R- anchor; the exit status is 1 when a mutant survives
that is not listed in DEAD below with the reason it cannot be killed.

Mutants are built with AddressSanitizer and UBSan: a check whose removal
lets a vector read out of bounds is killed by the memory error. A mutant no
vector kills is then run against the library's unit tests (test_api,
test_validation, test_codec, test_compress, built against it): those guards
sit on paths no file alone reaches (salvage mode, a region's source in
another file, a second call after a failure, a file that shrinks after it
was opened) and are listed apart.

usage: tests/mutants.py BUILD_DIR [-j JOBS] [--list] [--only FILE[:LINE]]
Needs the environment the Makefile passes (CC, LIB_CFLAGS, LIB_OBJ,
FRC_OBJ, FRC_LIBS, TEST_CFLAGS, TEST_LIBS); `make check` runs it through
`make mutants`.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ("BAD_SIGNATURE", "UNSUPPORTED_VERSION", "UNSUPPORTED_FEATURE",
           "INCOMPLETE", "CHECKSUM", "TRUNCATED", "OUT_OF_BOUNDS", "OVERLAP",
           "BAD_FIELD", "LIMIT", "DIGEST", "BASE_MISSING", "BASE_MISMATCH",
           "CHAIN_CYCLE", "CHAIN_DEPTH")
CLASS_RE = re.compile(r"\bFRC_E_(%s)\b" % "|".join(CLASSES))
# Files of the reader: the writer's own argument checks are not file checks.
READER_FILES = ("superblock.c", "features.c", "reader.c", "regions.c",
                "sections.c", "layout.c", "rbitmap.c", "rtables.c", "pages.c",
                "frames.c", "scan.c", "rsections.c", "rmap.c", "rvmap.c",
                "rdigest.c", "rbase.c")
# Guards that are not checks of a file, each with the reason. Keyed by
# "file: condition" (whitespace squeezed) so that line moves do not matter.
NOT_CHECKS = {
    "pages.c: salvage_code: (r->flags & FRC_OPEN_SALVAGE) && rc == FRC_E_CHECKSUM":
        "maps a class in salvage mode (checksum-mismatch to incomplete); "
        "refuses nothing",
}
# Guards no file and no call can make fire, each with the proof; a guard
# listed here that a vector or a unit test does kill is reported too.
DEAD = {
    "reader.c: load_bits: err < 0":
        "the bitmap (and the base map) lies inside file_length (R-BOUNDS) and the file was at "
        "least file_length long when validate() checked it, just before: "
        "only a file cut while it is being opened reaches this",
}
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
       "-fno-omit-frame-pointer"]
UNITS = ("test_api", "test_validation", "test_codec", "test_compress",
         "test_vmap")


def squeeze(s):
    return " ".join(s.split())


def match_paren(text, i):
    """Index of the ')' that closes the '(' at text[i]."""
    depth = 0
    in_str = None
    j = i
    while j < len(text):
        c = text[j]
        if in_str:
            if c == "\\":
                j += 2
                continue
            if c == in_str:
                in_str = None
        elif c in "\"'":
            in_str = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def body_end(text, i):
    """End of the statement or block that starts at or after text[i]."""
    while text[i].isspace():
        i += 1
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(text)
    if text.startswith("if", i) and not text[i + 2].isalnum():
        close = match_paren(text, text.index("(", i))
        end = body_end(text, close + 1)
        rest = text[end:].lstrip()
        if rest.startswith("else"):
            return body_end(text, text.index("else", end) + 4)
        return end
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == ";" and depth == 0:
            return j + 1
    return len(text)


def sites(path):
    """(line, cond_start, cond_end, anchor, cond) of every guarded refusal."""
    text = open(path).read()
    found = {}
    for m in CLASS_RE.finditer(text):
        at = m.start()
        line_start = text.rfind("\n", 0, at) + 1
        line = text[line_start:text.find("\n", at)]
        # a refusal: a fail call carrying the class, or `return FRC_E_X;`
        # (skip comparisons such as `rc == FRC_E_CHECKSUM`)
        before = text[max(0, at - 3):at]
        if "==" in before or "!=" in before:
            continue
        if "fail" not in text[max(0, at - 120):at] and not re.match(
                r"\s*return FRC_E_\w+;", line):
            continue
        # the innermost `if (` whose body holds this refusal
        best = None
        for im in re.finditer(r"\bif \(", text[:at]):
            op = im.end() - 1
            cl = match_paren(text, op)
            if cl < 0 or cl > at:
                continue
            end = body_end(text, cl + 1)
            if end > at and (best is None or op > best[0]):
                best = (op, cl)
        if best is None:
            continue
        op, cl = best
        if op in found:
            continue
        seg = text[at:at + 400]
        anchor = re.search(r'"(R-[A-Z0-9-]+)"', text[op:body_end(text, cl + 1)])
        fn = re.findall(r"^\w[^\n;]*?\b(\w+)\(", text[:op], re.M)
        found[op] = (text.count("\n", 0, op) + 1, op, cl,
                     anchor.group(1) if anchor else "(no anchor)",
                     "%s: %s" % (fn[-1] if fn else "?",
                                 squeeze(text[op + 1:cl])))
        del seg
    return text, sorted(found.values())


def mutate(text, op, cl):
    return text[:op + 1] + "0 && (" + text[op + 1:cl] + ")" + text[cl:]


def vectors():
    """(path, expected exit status, class or None, rules) of every vector."""
    out = []
    for s in ("valid", "invalid", "future"):
        entry = {}
        for line in open(os.path.join(SRC, "testvectors/v1", s + ".yaml")):
            m = re.match(r"^  (path|expect|error|applies_below|rules): (.*)$", line)
            if m:
                entry[m.group(1)] = m.group(2).strip('"')
            if line.startswith("  made_by:"):
                if "applies_below" not in entry:
                    c = entry.get("error") if entry.get("expect") == "reject" else None
                    want = 0 if not c else 3 if c == "incomplete" else \
                        63 if c.startswith("unsupported") else 2
                    rules = re.findall(r"R-[A-Z0-9-]+", entry.get("rules", "")) \
                        if s == "invalid" else None
                    out.append((os.path.join(SRC, "testvectors/v1", entry["path"]),
                                want, c, rules))
                entry = {}
    return out


def killed(frc, vecs):
    """The first vector the frc at path gets wrong, or None: frc conform
    (open, verify, digest), then frc check on each vector: its exit status,
    the class it names and, for an invalid vector, the rule its message
    names (one the vector exercises)."""
    r = subprocess.run([frc, "conform", "-q"], cwd=SRC, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=600)
    if r.returncode != 0:
        fails = [l for l in r.stdout.decode(errors="replace").splitlines()
                 if l.startswith("FAIL")]
        return fails[0] if fails else "frc conform failed"
    for path, want, cls, rules in vecs:
        name = os.path.basename(path)
        try:
            r = subprocess.run([frc, "check", path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
        except subprocess.TimeoutExpired:
            return "frc check %s: timed out" % name
        said = r.stdout.decode(errors="replace").strip().rsplit(": ", 1)[-1]
        if r.returncode != want or (cls and said != cls):
            return "frc check %s: exit %d (%s)" % (name, r.returncode, said)
        if rules:
            m = re.search(r"\(SPEC (R-[A-Z0-9, R-]*)\)",
                          r.stderr.decode(errors="replace"))
            named = re.findall(r"R-[A-Z0-9-]+", m.group(1)) if m else []
            if not set(named) & set(rules):
                return "frc check %s: names %s, not one of %s" % (
                    name, ",".join(named) or "no rule", ",".join(rules))
    return None


def build(work, name, text):
    env = os.environ
    for f in os.listdir(work):  # the last mutant's object goes
        if f.endswith(".mutant"):
            os.unlink(os.path.join(work, f))
    src = os.path.join(work, name)
    obj = os.path.join(work, name[:-2] + ".o")
    with open(src, "w") as f:
        f.write(text)
    cc = env.get("CC", "cc")
    objs = []
    # the library with sanitizers, once per worker, then the mutated file
    for o in env["LIB_OBJ"].split():
        base = os.path.basename(o)
        out = os.path.join(work, base)
        if base == name[:-2] + ".o":
            out = obj
            csrc = src
        else:
            csrc = os.path.join("codec", base[:-2] + ".c")
            if os.path.exists(out):
                objs.append(out)
                continue
        subprocess.run([cc] + env["LIB_CFLAGS"].split() + SAN +
                       ["-Icodec", "-w", "-c", csrc, "-o", out], cwd=SRC,
                       check=True, stderr=subprocess.PIPE)
        objs.append(out)

    lib = os.path.join(work, "libfrc.a")
    if os.path.exists(lib):
        os.unlink(lib)
    subprocess.run(["ar", "rcs", lib] + objs, cwd=SRC, check=True)
    # the next mutant rebuilds this file from its clean source
    os.rename(obj, obj + ".mutant")
    frc = os.path.join(work, "frc")
    subprocess.run([cc] + SAN + ["-o", frc] + env["FRC_OBJ"].split() + [lib] +
                   env["FRC_LIBS"].split(), cwd=SRC, check=True,
                   stderr=subprocess.PIPE)
    return frc


def unit_killed(work):
    """The first unit test that fails against the mutant in work, or None."""
    env = os.environ
    cc = env.get("CC", "cc")
    lib = os.path.join(work, "libfrc.a")
    for t in UNITS:
        exe = os.path.join(work, t)
        subprocess.run([cc] + env["TEST_CFLAGS"].split() + SAN + ["-Icodec", "-w",
                        "-o", exe, "tests/%s.c" % t, lib] + env["TEST_LIBS"].split(),
                       cwd=SRC, check=True, stderr=subprocess.PIPE)
        try:
            r = subprocess.run([exe], cwd=SRC, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=600)
        except subprocess.TimeoutExpired:
            return "%s timed out" % t
        if r.returncode != 0:
            return t
    return None


def main(argv):
    args = argv[1:]
    jobs = 2
    only = None
    if "-j" in args:
        jobs = int(args[args.index("-j") + 1])
    if "--only" in args:
        only = args[args.index("--only") + 1]
    todo = []
    for name in READER_FILES:
        text, found = sites(os.path.join(SRC, "codec", name))
        for line, op, cl, anchor, cond in found:
            key = "%s: %s" % (name, cond)
            if only and only not in (name, "%s:%d" % (name, line)):
                continue
            todo.append((name, line, op, cl, anchor, cond, key, text))
    if "--list" in args:
        for name, line, _, _, anchor, cond, key, _ in todo:
            print("%s:%d %s  if (%s)%s" % (name, line, anchor, cond,
                                           "  [not a check]" if key in NOT_CHECKS else
                                           "  [dead]" if key in DEAD else ""))
        print("%d checks" % len(todo))
        return 0
    vecs = vectors()
    works = [tempfile.mkdtemp(prefix="frc-mutant-") for _ in range(jobs)]
    free = list(works)

    def run(item):
        name, line, op, cl, anchor, cond, key, text = item
        work = free.pop()
        try:
            frc = build(work, name, mutate(text, op, cl))
            why = killed(frc, vecs)
            unit = None if why or key in NOT_CHECKS else unit_killed(work)
            return item, why, unit
        except subprocess.CalledProcessError as e:
            return item, "does not compile: %s" % e.stderr.decode()[:300], None
        finally:
            free.append(work)

    survivors, units, skipped, dead = [], [], [], []
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        for item, why, unit in ex.map(run, todo):
            name, line, _, _, anchor, cond, key, _ = item
            if why:
                print("killed   %s:%d %s by %s" % (name, line, anchor, why))
            elif key in NOT_CHECKS:
                skipped.append(item)
                print("not a check %s:%d (%s)" % (name, line, NOT_CHECKS[key]))
            elif key in DEAD and not unit:
                dead.append(item)
                print("dead     %s:%d %s (%s)" % (name, line, anchor, DEAD[key]))
            elif unit:
                units.append(item)
                print("unit     %s:%d %s by %s (no file reaches it)" %
                      (name, line, anchor, unit))
            else:
                survivors.append(item)
                print("SURVIVED %s:%d %s  if (%s)" % (name, line, anchor, cond))
    for w in works:
        shutil.rmtree(w, ignore_errors=True)
    total = len(todo) - len(skipped) - len(dead)
    print("mutation score: %d killed / %d checks (%d%%): %d by the vectors, "
          "%d by the unit tests only (API paths), %d survived; %d shown "
          "dead, %d guards are not checks" %
          (total - len(survivors), total,
           100 * (total - len(survivors)) // (total or 1),
           total - len(survivors) - len(units), len(units), len(survivors),
           len(dead), len(skipped)))
    for label, items in (("by unit tests only", units), ("SURVIVORS", survivors)):
        by = {}
        for item in items:
            by.setdefault(item[4], []).append("%s:%d" % (item[0], item[1]))
        for anchor in sorted(by):
            print("  %s, %s: %s" % (label, anchor, ", ".join(by[anchor])))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
