# FRC - Fixed-RAM Container: library, tools, tests, documents.
#
#   make            library (static + shared) and tools into build/
#   make check      every test (installs missing Debian packages first)
#   make check-core offline: what needs only the build dependencies and
#                   cmocka (unit tests, CLI basics, vectors, install, faults)
#   make check-cli | check-mutants | check-fixtures | check-reference | check-doc |
#        check-valgrind | check-fuzz | check-qemu | check-deb
#                   one suite each, for what needs one more tool (jq, xz,
#                   python3-xxhash, asciidoctor, valgrind, clang, QEMU,
#                   dpkg-dev + lintian + debootstrap); a missing tool fails
#   make demo       the main job on a built-in sample
#   make doc        SPEC.adoc and man pages to HTML / man with asciidoctor
#   make install    honours PREFIX, LIBDIR, DESTDIR (man pages when built by
#                   make doc; install-doc builds and installs them)
#   WERROR=1        turn warnings into errors (make check and CI set it)
#   CC, CFLAGS, CPPFLAGS, LDFLAGS are honoured

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

.DEFAULT_GOAL := all

B := build
# SANITIZE=1 builds everything with ASan and UBSan into build-san/ and
# runs the same tests there.
ifeq ($(SANITIZE),1)
B := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1
endif
CC ?= cc
VERSION := $(shell sed -n 's/^\#define FRC_LIB_VERSION_STRING "\(.*\)"/\1/p' include/frc.h)
MAJOR := $(firstword $(subst ., ,$(VERSION)))

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
# Evaluated lazily: the packages may be installed by `make deps` first.
PKG_CFLAGS = $(shell pkg-config --cflags libxxhash libzstd libcrypto yaml-0.1 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs libxxhash libzstd libcrypto 2>/dev/null || echo -lxxhash -lzstd -lcrypto)
YAML_LIBS = $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
JSON_LIBS = $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
CRYPTO_LIBS = $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
FUSE_CFLAGS = $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS = $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
CFLAGS ?=
CPPFLAGS ?=
LDFLAGS ?=
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude $(PKG_CFLAGS) \
              $(SANFLAGS) $(CPPFLAGS) $(CFLAGS)
LIB_CFLAGS = $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DFRC_BUILDING_LIBRARY
LDLIBS_ALL = $(PKG_LIBS) -lpthread

LIB_SRC := $(wildcard codec/*.c)
LIB_OBJ := $(patsubst codec/%.c,$(B)/codec/%.o,$(LIB_SRC))
# tools/frc: the frc command and its subcommands; tools/qemu: its QEMU
# import/export module; tools/vectors: the vector generator.
FRC_SRC := $(wildcard tools/common/*.c tools/frc/*.c tools/qemu/*.c)
FRC_OBJ := $(patsubst tools/%.c,$(B)/tools/%.o,$(FRC_SRC))
GEN_SRC := $(wildcard tools/vectors/*.c) tools/frc/digest.c
GEN_OBJ := $(patsubst tools/%.c,$(B)/tools/%.o,$(GEN_SRC))
TOOL_INC := -Itools/common -Itools/frc -Itools/qemu -Itools/vectors
# the layers of the frc tool: tools/common under both, tools/qemu beside
# tools/frc (which dispatches to it) and never reading its headers
$(B)/tools/common/%.o: TOOL_INC := -Itools/common
$(B)/tools/qemu/%.o: TOOL_INC := -Itools/common -Itools/qemu
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC)) $(B)/tests/craft_file $(B)/tests/yaml_get $(B)/tests/qmp_client \
	$(B)/tests/serial_client $(B)/tests/identity_probe
MAN_SRC := $(wildcard tools/man/*.adoc)

# The mutation score of the reader's checks against the vectors
# (tests/mutants.py; make check runs it as the suite mutant_test).
mutants: all
	CC="$(CC)" LIB_CFLAGS="$(LIB_CFLAGS)" LIB_OBJ="$(LIB_OBJ)" \
	FRC_OBJ="$(FRC_OBJ)" FRC_LIBS="$(LDLIBS_ALL) $(YAML_LIBS) $(JSON_LIBS) $(CRYPTO_LIBS) $(FUSE_LIBS)" \
	TEST_CFLAGS="$(BASE_CFLAGS) $(CMOCKA_CFLAGS)" \
	TEST_LIBS="$(CMOCKA_LIBS) $(LDLIBS_ALL) $(YAML_LIBS)" \
	ASAN_OPTIONS=detect_leaks=0 \
	/usr/bin/python3 tests/mutants.py $(B) $(ARGS)

.PHONY: mutants all lib tools check check-run demo doc deps deps-build install install-doc uninstall clean bench-identity bench-chain \
	bench-qemu bench-compress bench-restore \
	fuzz fuzz-check

all: lib tools

lib: $(B)/libfrc.a $(B)/libfrc.so $(B)/frc.pc
tools: $(B)/frc $(B)/frc-gen-vectors

$(B)/codec/%.o: codec/%.c codec/*.h include/frc.h | $(B)/codec
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(B)/tools/%.o: tools/%.c tools/*/*.h include/frc.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(FUSE_CFLAGS) $(TOOL_INC) -c $< -o $@

# The installed static library exports the API alone: the objects are
# linked into one, whose hidden (internal) symbols are made local.
$(B)/libfrc.a: $(LIB_OBJ)
	rm -f $@ $(B)/libfrc-all.o
	$(LD) -r -o $(B)/libfrc-all.o $^
	objcopy --localize-hidden $(B)/libfrc-all.o
	ar rcs $@ $(B)/libfrc-all.o

# The unit tests reach codec internals (to craft hostile files): they link
# the objects as they are.
$(B)/libfrc-internal.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libfrc.so.$(VERSION): $(LIB_OBJ) codec/libfrc.map
	$(CC) -shared -Wl,-soname,libfrc.so.$(MAJOR) -Wl,--version-script=codec/libfrc.map \
		$(SANFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS_ALL)

$(B)/libfrc.so: $(B)/libfrc.so.$(VERSION)
	ln -sf libfrc.so.$(VERSION) $(B)/libfrc.so.$(MAJOR)
	ln -sf libfrc.so.$(VERSION) $@

$(B)/frc.pc: tools/helpers/frc.pc.in include/frc.h | $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

# The tools use only include/frc.h. They link the static library, or with
# TOOLS_LINK=shared the shared one (as the Debian package does: frc then
# depends on libfrc1).
ifeq ($(TOOLS_LINK),shared)
FRC_LIB_DEP := $(B)/libfrc.so
FRC_LIB_LINK := -L$(B) -lfrc
else
FRC_LIB_DEP := $(B)/libfrc.a
FRC_LIB_LINK := $(B)/libfrc.a
endif
$(B)/frc: $(FRC_OBJ) $(FRC_LIB_DEP)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(FRC_OBJ) $(FRC_LIB_LINK) $(LDLIBS_ALL) $(YAML_LIBS) $(JSON_LIBS) $(CRYPTO_LIBS) $(FUSE_LIBS)

# The vector generator shares no code with the library (tools/vectors/vecbuild.c).
$(B)/frc-gen-vectors: $(GEN_OBJ)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(GEN_OBJ) $(YAML_LIBS) $(CRYPTO_LIBS) $(PKG_LIBS)

# Unit tests may include codec internals (to craft hostile files).
$(B)/tests/%: tests/%.c tests/*.h $(B)/libfrc-internal.a | $(B)/tests
	$(CC) $(BASE_CFLAGS) -Icodec $(CMOCKA_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libfrc-internal.a $(CMOCKA_LIBS) $(LDLIBS_ALL) $(YAML_LIBS) $(JSON_LIBS)

# The fault-injection shim of tests/fault_test.sh and the decompression
# counter of tests/cli_compress_test.sh (LD_PRELOAD).
$(B)/tests/%_shim.so: tests/%_shim.c | $(B)/tests
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -fPIC -shared -o $@ $< -ldl

$(B) $(B)/codec $(B)/tools $(B)/tests $(B)/doc:
	mkdir -p $@

deps:
	@sh tools/helpers/install_deps.sh

# only what building needs (make demo)
deps-build:
	@sh tools/helpers/install_deps.sh --build

# The README's test command: install what is missing, then run everything.

check: deps
	$(MAKE) WERROR=1 check-run

check-run: all $(TEST_BIN) $(B)/tests/fault_shim.so $(B)/tests/zstd_count_shim.so doc-run fuzz-check
	sh tests/run_tests.sh $(B)

# Suites by what they need beyond the build dependencies and cmocka. Each
# target checks for its tool and fails, saying what to install, without it.
CORE_SUITES := units cli_test cli_compress_test vectors_test install_test fault_test
need = @command -v $(1) >/dev/null 2>&1 || { echo "$@ needs $(1) (Debian \
	package $(2)); make check installs it" >&2; exit 1; }
TEST_DEPS = all $(TEST_BIN) $(B)/tests/fault_shim.so $(B)/tests/zstd_count_shim.so

check-core: need-cmocka
	$(MAKE) WERROR=1 $(TEST_DEPS)
	sh tests/run_tests.sh $(B) $(CORE_SUITES)

.PHONY: need-cmocka check-core check-cli check-mutants check-fixtures check-reference check-doc \
	check-valgrind check-fuzz check-qemu check-deb
need-cmocka:
	@pkg-config --exists cmocka 2>/dev/null || { echo "the tests need \
	cmocka (Debian package libcmocka-dev); make check installs it" >&2; exit 1; }

check-cli: need-cmocka
	$(call need,jq,jq)
	$(call need,asciidoctor,asciidoctor)
	$(MAKE) WERROR=1 $(TEST_DEPS) doc-run
	sh tests/run_tests.sh $(B) cli_tools_test cli_large_test

# the mutation score of the reader's checks (several minutes)
check-mutants: need-cmocka
	$(MAKE) WERROR=1 $(TEST_DEPS)
	sh tests/run_tests.sh $(B) mutant_test

check-fixtures: all
	$(call need,xz,xz-utils)
	sh tests/run_tests.sh $(B) qemu_fixtures_test

check-reference: all
	@/usr/bin/python3 -c 'import xxhash' 2>/dev/null || { echo "$@ needs \
	python3 with xxhash (Debian package python3-xxhash)" >&2; exit 1; }
	sh tests/run_tests.sh $(B) reference_test

check-doc:
	$(call need,asciidoctor,asciidoctor)
	$(MAKE) doc-run

check-valgrind: need-cmocka
	$(call need,valgrind,valgrind)
	$(MAKE) WERROR=1 $(TEST_DEPS)
	sh tests/run_tests.sh $(B) valgrind_test

check-fuzz:
	$(call need,clang,clang and libclang-rt-dev)
	$(call need,xz,xz-utils)
	$(MAKE) fuzz-check

check-qemu: need-cmocka
	$(MAKE) WERROR=1 $(TEST_DEPS)
	sh tests/run_tests.sh $(B) qemu_test guest_test seal_test lazy_test vmcmd_test libvirt_test

check-deb:
	$(call need,dpkg-buildpackage,dpkg-dev)
	$(call need,dh,debhelper)
	$(call need,lintian,lintian)
	$(call need,debootstrap,debootstrap)
	@dpkg -s build-essential >/dev/null 2>&1 || { echo "$@ needs \
	build-essential (dpkg-buildpackage checks for it)" >&2; exit 1; }
	sh tests/run_tests.sh $(B) deb_test

# Fuzz targets (libFuzzer, clang, ASan + UBSan). The *_nocsum variants
# accept any checksum so that mutations reach the parsers behind them.
FUZZ_B := build-fuzz
FUZZ_TARGETS := fuzz_open fuzz_read fuzz_open_nocsum fuzz_read_nocsum fuzz_qemu
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Icodec $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DFRC_BUILDING_LIBRARY
FUZZ_SECONDS ?= 10

# The parser of QEMU's stream and mapped-ram files, alone: nothing of the
# frc command.
QEMU_FUZZ_SRC := tools/qemu/parse.c
$(FUZZ_B)/fuzz_qemu: tests/fuzz/fuzz_qemu.c tests/fuzz/*.h $(QEMU_FUZZ_SRC) tools/qemu/parse.h \
		$(LIB_SRC) codec/*.h | $(FUZZ_B)
	clang $(FUZZ_FLAGS) -Itools/qemu -o $@ $< $(QEMU_FUZZ_SRC) $(LIB_SRC) \
		$(PKG_LIBS) -lpthread

$(FUZZ_B)/%_nocsum: tests/fuzz/%.c tests/fuzz/*.h $(LIB_SRC) codec/*.h | $(FUZZ_B)
	clang $(FUZZ_FLAGS) -DFRC_FUZZ_NO_CHECKSUMS -o $@ $< $(LIB_SRC) $(PKG_LIBS) -lpthread

$(FUZZ_B)/%: tests/fuzz/%.c tests/fuzz/*.h $(LIB_SRC) codec/*.h | $(FUZZ_B)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS) -lpthread

$(FUZZ_B):
	mkdir -p $@

fuzz: $(addprefix $(FUZZ_B)/,$(FUZZ_TARGETS))

# Replays the corpus (regression inputs and the test vectors), then fuzzes
# each target for FUZZ_SECONDS.
fuzz-check: fuzz
	sh tests/fuzz/run_fuzz.sh $(FUZZ_B) $(FUZZ_SECONDS) "$(FUZZ_TARGETS)"

demo: deps-build
	$(MAKE) all
	sh tools/helpers/demo.sh $(B)

# QEMU 7.2 and 10.0 saving and restoring through FRC and through their own
# best paths, back to back (tools/qemu/qemu_bench.sh; ARGS e.g. "-r 5 -s 2048").
bench-qemu: all $(B)/tests/qmp_client
	sh tools/qemu/qemu_bench.sh $(ARGS) $(B)

# Restore of the real guest at 1, 4 and 8 GiB: QEMU's eager mapped-ram,
# FRC's fastest eager verified restore, lazy from `frc mount` with and
# without prefetch, and reads through the mount (tools/qemu/restore_bench.sh;
# ARGS e.g. "-r 5 -s '1024 4096'").
bench-restore: all $(B)/tests/qmp_client $(B)/tests/serial_client
	sh tools/qemu/restore_bench.sh $(ARGS) $(B)

# Format 1.3's content identity: save speed with and without SHA-256
# digests on 2 CPUs, the signature check on open, the digests read per page
# (tools/helpers/identity_bench.sh; ARGS e.g. "-r 5 -s 2048").
bench-identity: all $(B)/tests/identity_probe
	sh tools/helpers/identity_bench.sh $(ARGS) $(B)

# Snapshots on a base (format 1.3): diff size and time, reading through
# chains of 1, 5 and 10, flatten (tools/helpers/chain_bench.sh; ARGS e.g.
# "-r 5 -s 2048").
bench-chain: all
	sh tools/helpers/chain_bench.sh $(ARGS) $(B)

# Compressed FRC (format 1.2) against uncompressed FRC and zstd -1/-3 of
# the same QEMU stream, on a real Linux guest and a synthetic one
# (tools/qemu/compress_bench.sh; ARGS e.g. "-r 5").
bench-compress: all $(B)/tests/qmp_client $(B)/tests/serial_client
	sh tools/qemu/compress_bench.sh $(ARGS) $(B)

doc: deps
	$(MAKE) doc-run

.PHONY: doc-run
doc-run: | $(B)/doc
	asciidoctor --failure-level=WARN -o $(B)/doc/SPEC.html SPEC.adoc
	for m in $(MAN_SRC); do \
	  asciidoctor --failure-level=WARN -b manpage -D $(B)/doc $$m || exit 1; \
	  asciidoctor --failure-level=WARN -D $(B)/doc $$m || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(B)/libfrc.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libfrc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libfrc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libfrc.so.$(MAJOR)
	ln -sf libfrc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libfrc.so
	install -m 644 include/frc.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' tools/helpers/frc.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/frc.pc
	install -m 755 $(B)/frc $(DESTDIR)$(BINDIR)/
	if ls $(B)/doc/*.1 >/dev/null 2>&1; then install -m 644 $(B)/doc/*.1 $(DESTDIR)$(MANDIR)/man1/; fi

# The man pages need asciidoctor (make doc installs it): built and installed
# on their own.
install-doc: doc-run
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(B)/doc/*.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libfrc.a $(DESTDIR)$(LIBDIR)/libfrc.so \
	      $(DESTDIR)$(LIBDIR)/libfrc.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libfrc.so.$(VERSION) \
	      $(DESTDIR)$(INCLUDEDIR)/frc.h $(DESTDIR)$(PKGCONFIGDIR)/frc.pc \
	      $(DESTDIR)$(BINDIR)/frc
	for m in $(MAN_SRC); do rm -f $(DESTDIR)$(MANDIR)/man1/$$(basename $$m .adoc).1; done

clean:
	rm -rf $(B)
