/*
 * frc_qemu.c - `frc import-qemu` and `frc export-qemu`: QEMU migration
 * files (the sequential stream of every QEMU, and mapped-ram files) into
 * FRC containers and back, with nothing lost (SPEC appendix C).
 *
 * What FRC keeps of a QEMU file:
 *   - every RAM block as a region (block id, used length, 4 KiB pages);
 *   - section "qemu-stream-head" (type 16): the bytes from the start of the
 *     file to the end of the ram section's MEM_SIZE record (stream header,
 *     configuration, the ram section header);
 *   - section "qemu-stream-commands": QEMU_VM_COMMAND records met between
 *     RAM sections (e.g. SWITCHOVER_START), verbatim, in order;
 *   - section "qemu-stream-tail": everything after the RAM (device state,
 *     EOF, the JSON device description), verbatim;
 *   - metadata: source format, machine type, stream version, capabilities,
 *     the ram section id.
 * Export rebuilds the RAM part from the regions (every page verified) and
 * splices the kept bytes back around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frc_tool.h"

#define QEMU_VM_EOF 0x00
#define QEMU_VM_SECTION_START 0x01
#define QEMU_VM_SECTION_PART 0x02
#define QEMU_VM_SECTION_END 0x03
#define QEMU_VM_SECTION_FULL 0x04
#define QEMU_VM_SUBSECTION 0x05
#define QEMU_VM_CONFIGURATION 0x07
#define QEMU_VM_COMMAND 0x08
#define QEMU_VM_SECTION_FOOTER 0x7e

#define RAM_ZERO 0x02
#define RAM_MEM_SIZE 0x04
#define RAM_PAGE 0x08
#define RAM_EOS 0x10
#define RAM_CONTINUE 0x20
#define RAM_XBZRLE 0x40
#define RAM_HOOK 0x80
#define RAM_COMPRESS 0x100
#define RAM_MULTIFD_FLUSH 0x200
#define RAM_FLAG_MASK 0xfffu

#define MAX_BLOCKS 64
#define MAPPED_RAM_ALIGN (1u << 20)

/* With --list-records, the offset and kind of every record, on stdout. */
static int list_records;

static void note_record(uint64_t pos, const char *kind)
{
	if (list_records)
		printf("0x%" PRIx64 " %s\n", pos, kind);
}

/* ---- reading a stream, from a file or a pipe ---- */

struct in {
	FILE *f;
	const char *name;
	uint64_t pos;
	/* head capture: bytes read while `capture` is set are appended */
	uint8_t *cap;
	size_t caplen, capcap;
	int capture;
};

static int fail_at(struct in *s, const char *what)
{
	tool_err("%s: offset 0x%" PRIx64 ": %s", s->name, s->pos, what);
	return -1;
}

static int get(struct in *s, void *buf, size_t n)
{
	if (n && fread(buf, 1, n, s->f) != n)
		return fail_at(s, ferror(s->f) ? strerror(errno)
					       : "the stream ends here (truncated)");
	if (s->capture) {
		if (s->caplen + n > s->capcap) {
			size_t cap = (s->caplen + n) * 2 + 256;
			uint8_t *g = realloc(s->cap, cap);

			if (!g)
				return fail_at(s, "out of memory");
			s->cap = g;
			s->capcap = cap;
		}
		memcpy(s->cap + s->caplen, buf, n);
		s->caplen += n;
	}
	s->pos += n;
	return 0;
}

static int get8(struct in *s, uint8_t *v)
{
	return get(s, v, 1);
}

static int get32(struct in *s, uint32_t *v)
{
	uint8_t b[4];

	if (get(s, b, 4))
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	     b[3];
	return 0;
}

static int get64(struct in *s, uint64_t *v)
{
	uint32_t hi, lo;

	if (get32(s, &hi) || get32(s, &lo))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* u8 length + bytes, as QEMU writes ids; into a NUL-terminated buf. */
static int get_str(struct in *s, char buf[256])
{
	uint8_t n;

	if (get8(s, &n) || get(s, buf, n))
		return -1;
	buf[n] = '\0';
	return 0;
}

/* ---- what an import learns ---- */

struct block {
	char id[256];
	uint64_t used;
	/* mapped-ram */
	uint64_t bitmap_offset, pages_offset;
};

struct qemu_file {
	char machine[256];
	int mapped_ram;
	uint32_t page_size;
	uint32_t ram_id;
	struct block blocks[MAX_BLOCKS];
	unsigned nblocks;
	uint64_t mem_size;
	uint8_t *commands;
	size_t ncommands;
	char caps[512];
};

/* Configuration section and its subsections (only the known ones). */
static int read_configuration(struct in *s, struct qemu_file *q)
{
	uint32_t len, ver, count;
	uint8_t tag;
	char name[256];

	if (get32(s, &len))
		return -1;
	if (len > 255)
		return fail_at(s, "machine type longer than 255 bytes");
	if (get(s, q->machine, len))
		return -1;
	q->machine[len] = '\0';
	for (;;) {
		if (get8(s, &tag))
			return -1;
		if (tag != QEMU_VM_SUBSECTION)
			break;
		if (get_str(s, name) || get32(s, &ver))
			return -1;
		if (!strcmp(name, "configuration/capabilities")) {
			if (get32(s, &count) || count > 64)
				return -1;
			for (uint32_t i = 0; i < count; i++) {
				if (get_str(s, name))
					return -1;
				if (!strcmp(name, "mapped-ram"))
					q->mapped_ram = 1;
				snprintf(q->caps + strlen(q->caps),
					 sizeof(q->caps) - strlen(q->caps),
					 "%s%s", *q->caps ? "," : "", name);
				if (!strcmp(name, "x-ignore-shared") ||
				    !strcmp(name, "postcopy-ram"))
					return fail_at(s, "the stream uses a "
						       "capability FRC cannot "
						       "represent");
			}
		} else if (!strcmp(name, "configuration/target-page-bits")) {
			uint32_t bits;

			if (get32(s, &bits) || bits < 9 || bits > 24)
				return fail_at(s, "bad target-page-bits");
			q->page_size = 1u << bits;
		} else {
			char msg[400];

			snprintf(msg, sizeof(msg), "unknown configuration "
				 "subsection '%s'", name);
			return fail_at(s, msg);
		}
	}
	/* The byte read last is the next section type: it must be ram's START. */
	if (tag != QEMU_VM_SECTION_START)
		return fail_at(s, "expected the ram section to start here");
	return 0;
}

/* START header of the ram section, MEM_SIZE and the block list. */
static int read_ram_start(struct in *s, struct qemu_file *q)
{
	uint32_t inst, ver;
	uint64_t v, sum = 0;
	char id[256];

	if (get32(s, &q->ram_id) || get_str(s, id) || get32(s, &inst) ||
	    get32(s, &ver))
		return -1;
	if (strcmp(id, "ram"))
		return fail_at(s, "the first iterable section is not 'ram' "
			       "(other iterable sections are not supported)");
	if (get64(s, &v))
		return -1;
	if ((v & RAM_FLAG_MASK) != RAM_MEM_SIZE)
		return fail_at(s, "expected the RAM size record");
	q->mem_size = v & ~(uint64_t)RAM_FLAG_MASK;
	s->capture = 0; /* the head ends after MEM_SIZE */
	while (sum < q->mem_size) {
		struct block *b = &q->blocks[q->nblocks];

		if (q->nblocks == MAX_BLOCKS)
			return fail_at(s, "too many RAM blocks");
		if (get_str(s, b->id) || get64(s, &b->used))
			return -1;
		if (!b->used || b->used % q->page_size || b->used > q->mem_size)
			return fail_at(s, "RAM block length is not a multiple "
				       "of the page size");
		if (q->mapped_ram) {
			uint32_t hver;
			uint64_t psize;

			if (get32(s, &hver) || get64(s, &psize) ||
			    get64(s, &b->bitmap_offset) ||
			    get64(s, &b->pages_offset))
				return -1;
			if (hver != 1 || psize != q->page_size)
				return fail_at(s, "unsupported mapped-ram header");
			if (fseeko(s->f, (off_t)(b->pages_offset + b->used),
				   SEEK_SET) != 0)
				return fail_at(s, "mapped-ram input must be a "
					       "seekable file");
			s->pos = b->pages_offset + b->used;
		}
		sum += b->used;
		q->nblocks++;
	}
	if (sum != q->mem_size)
		return fail_at(s, "RAM block lengths do not add up to the "
			       "RAM size");
	return 0;
}

static int find_block(struct qemu_file *q, const char *id)
{
	for (unsigned i = 0; i < q->nblocks; i++)
		if (!strcmp(q->blocks[i].id, id))
			return (int)i;
	return -1;
}

/* Page records up to EOS; pages go straight to their FRC slots. */
static int read_ram_records(struct in *s, struct qemu_file *q,
			    frc_writer_t *w, int *current, uint8_t *page)
{
	for (;;) {
		uint64_t v, addr;
		unsigned flags;
		uint8_t fill;
		char id[256];
		int rc;

		note_record(s->pos, "ram-record");
		if (get64(s, &v))
			return -1;
		flags = v & RAM_FLAG_MASK;
		addr = v & ~(uint64_t)RAM_FLAG_MASK;
		if (flags & RAM_EOS) {
			if (v != RAM_EOS)
				return fail_at(s, "bad end-of-section record");
			return 0;
		}
		if (flags & RAM_MULTIFD_FLUSH)
			continue;
		if (flags & (RAM_XBZRLE | RAM_COMPRESS | RAM_HOOK | RAM_MEM_SIZE))
			return fail_at(s, "compressed, XBZRLE or hooked RAM "
				       "records cannot be represented");
		if (!(flags & RAM_CONTINUE)) {
			if (get_str(s, id))
				return -1;
			*current = find_block(q, id);
			if (*current < 0)
				return fail_at(s, "page of an unknown RAM block");
		}
		if (*current < 0 || addr % q->page_size ||
		    addr >= q->blocks[*current].used)
			return fail_at(s, "page record outside its RAM block");
		if (flags & RAM_ZERO) {
			if (get8(s, &fill))
				return -1;
			memset(page, fill, q->page_size);
		} else if (flags & RAM_PAGE) {
			if (get(s, page, q->page_size))
				return -1;
		} else {
			return fail_at(s, "unknown RAM record");
		}
		rc = frc_writer_write_page(w, (uint32_t)*current,
					   addr / q->page_size, page);
		if (rc) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
	}
}

static int expect_footer(struct in *s, uint32_t id)
{
	uint8_t tag;
	uint32_t got;

	if (get8(s, &tag) || get32(s, &got))
		return -1;
	if (tag != QEMU_VM_SECTION_FOOTER || got != id)
		return fail_at(s, "bad section footer");
	return 0;
}

/* Appends a QEMU_VM_COMMAND record (tag already read) to q->commands. */
static int read_command(struct in *s, struct qemu_file *q)
{
	uint8_t hdr[5] = { QEMU_VM_COMMAND };
	uint8_t *g;
	uint16_t len;

	if (get(s, hdr + 1, 4))
		return -1;
	len = (uint16_t)(hdr[3] << 8 | hdr[4]);
	/* return path (1), ping (2) and switchover start (11) are kept; the
	 * postcopy, package and COLO commands (3-10) change how RAM arrives */
	{
		unsigned cmd = (unsigned)(hdr[1] << 8 | hdr[2]);

		if (cmd != 1 && cmd != 2 && cmd != 11)
			return fail_at(s, "postcopy or packaged stream "
				       "(QEMU_VM_COMMAND other than ping and "
				       "switchover) cannot be represented");
	}
	g = realloc(q->commands, q->ncommands + 5 + len);
	if (!g)
		return fail_at(s, "out of memory");
	q->commands = g;
	memcpy(g + q->ncommands, hdr, 5);
	if (get(s, g + q->ncommands + 5, len))
		return -1;
	q->ncommands += 5 + len;
	return 0;
}

/* mapped-ram: every block's pages, by its bitmap (LE u64 words). */
static int read_mapped_pages(struct in *s, struct qemu_file *q,
			     frc_writer_t *w, uint8_t *page)
{
	for (unsigned i = 0; i < q->nblocks; i++) {
		struct block *b = &q->blocks[i];
		uint64_t pages = b->used / q->page_size;
		uint64_t words = (pages + 63) / 64;
		uint8_t *bm = malloc(words * 8);

		if (!bm || pread(fileno(s->f), bm, words * 8,
				 (off_t)b->bitmap_offset) != (ssize_t)(words * 8)) {
			free(bm);
			s->pos = b->bitmap_offset;
			return fail_at(s, "cannot read the mapped-ram bitmap");
		}
		for (uint64_t p = 0; p < pages; p++) {
			if (!(bm[p / 8] >> (p % 8) & 1))
				continue;
			if (pread(fileno(s->f), page, q->page_size,
				  (off_t)(b->pages_offset + p * q->page_size)) !=
			    (ssize_t)q->page_size) {
				free(bm);
				s->pos = b->pages_offset + p * q->page_size;
				return fail_at(s, "mapped-ram page beyond the "
					       "end of the file");
			}
			if (frc_writer_write_page(w, i, p, page)) {
				free(bm);
				tool_err("%s", frc_writer_errmsg(w));
				return -1;
			}
		}
		free(bm);
	}
	return 0;
}

/* The RAM sections after START: PART, COMMAND, END; stops after END. */
static int read_ram_sections(struct in *s, struct qemu_file *q,
			     frc_writer_t *w, uint8_t *page)
{
	int current = -1;

	if (!q->mapped_ram && read_ram_records(s, q, w, &current, page))
		return -1;
	if (q->mapped_ram) {
		uint64_t v;

		if (read_mapped_pages(s, q, w, page) || get64(s, &v))
			return -1;
		if (v != RAM_EOS)
			return fail_at(s, "expected EOS after the mapped-ram "
				       "blocks");
	}
	if (expect_footer(s, q->ram_id))
		return -1;
	for (;;) {
		uint8_t tag;
		uint32_t id;

		note_record(s->pos, "section");
		if (get8(s, &tag))
			return -1;
		if (tag == QEMU_VM_COMMAND) {
			if (read_command(s, q))
				return -1;
			continue;
		}
		if (tag != QEMU_VM_SECTION_PART && tag != QEMU_VM_SECTION_END)
			return fail_at(s, "a non-RAM section before the RAM "
				       "ended (postcopy or other iterable "
				       "sections are not supported)");
		if (get32(s, &id))
			return -1;
		if (id != q->ram_id)
			return fail_at(s, "an iterable section other than "
				       "'ram' (not supported)");
		if (read_ram_records(s, q, w, &current, page) ||
		    expect_footer(s, q->ram_id))
			return -1;
		if (tag == QEMU_VM_SECTION_END)
			return 0;
	}
}

/* Everything after the RAM, verbatim; checks it ends with EOF + JSON. */
static int read_tail(struct in *s, uint8_t **out, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);

	while (buf) {
		size_t got;

		if (n == cap) {
			uint8_t *g = realloc(buf, cap * 2);

			if (!g)
				break;
			buf = g;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, s->f);
		n += got;
		if (got == 0)
			break;
	}
	if (!buf || ferror(s->f)) {
		free(buf);
		return fail_at(s, "cannot read the device state");
	}
	s->pos += n;
	*out = buf;
	*len = n;
	return 0;
}

/*
 * The stream's end must be a QEMU_VM_EOF followed by the VMDESCRIPTION
 * (be32 length + JSON running to the end): checked from the back, so that
 * a truncated stream is never taken for a complete one.
 */
static int tail_complete(const uint8_t *t, size_t n)
{
	/* device state starts with a full section, a command, or the end */
	if (!n || (t[0] != QEMU_VM_SECTION_FULL && t[0] != QEMU_VM_COMMAND &&
		   t[0] != QEMU_VM_EOF))
		return 0;
	for (size_t i = 0; i + 5 <= n; i++) {
		uint32_t len;

		if (t[i] != QEMU_VM_EOF || t[i + 1] != 0x06)
			continue;
		if (i + 6 > n)
			break;
		len = (uint32_t)t[i + 2] << 24 | (uint32_t)t[i + 3] << 16 |
		      (uint32_t)t[i + 4] << 8 | t[i + 5];
		if (i + 6 + len == n && len > 1 && t[i + 6] == '{' &&
		    t[n - 1] == '}')
			return 1;
	}
	return n >= 1 && t[n - 1] == QEMU_VM_EOF; /* no description */
}

static int import_to_frc(struct in *s, struct qemu_file *q, frc_writer_t *w)
{
	uint8_t magic[8], tag;
	uint8_t *page = NULL, *tail = NULL, *head = NULL;
	size_t ntail = 0, nhead = 0;
	char val[32];
	int rc = -1;

	s->capture = 1;
	if (get(s, magic, 8))
		return -1;
	/* be32 QEVM magic, be32 version 3 */
	if (memcmp(magic, "QEVM\0\0\0\x03", 8) != 0)
		return fail_at(s, "not a QEMU migration stream version 3");
	if (get8(s, &tag) || tag != QEMU_VM_CONFIGURATION)
		return fail_at(s, "expected the configuration section");
	if (read_configuration(s, q) || read_ram_start(s, q))
		return -1;
	for (unsigned i = 0; i < q->nblocks; i++)
		if (frc_writer_add_region(w, q->blocks[i].id, q->blocks[i].used,
					  q->page_size, NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
	/* the head is complete; a mapped-ram file's RAM framing after the
	 * pages is kept verbatim as its "commands" */
	head = s->cap;
	nhead = s->caplen;
	s->cap = NULL;
	s->caplen = s->capcap = 0;
	s->capture = q->mapped_ram;
	page = malloc(q->page_size);
	if (!page || read_ram_sections(s, q, w, page))
		goto out;
	if (q->mapped_ram) {
		free(q->commands);
		q->commands = s->cap;
		q->ncommands = s->caplen;
		s->cap = NULL;
		s->capture = 0;
	}
	note_record(s->pos, "device-state");
	if (read_tail(s, &tail, &ntail))
		goto out;
	if (!tail_complete(tail, ntail)) {
		fail_at(s, "the stream ends without QEMU_VM_EOF and its device "
			"description (truncated)");
		goto out;
	}
	snprintf(val, sizeof(val), "%u", q->ram_id);
	if (frc_writer_add_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-head",
				   head, nhead) ||
	    frc_writer_add_section(w, FRC_SECTION_QEMU, 0,
				   "qemu-stream-commands", q->commands,
				   q->ncommands) ||
	    frc_writer_add_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-tail",
				   tail, ntail) ||
	    frc_writer_set_metadata(w, "hypervisor", "qemu") ||
	    frc_writer_set_metadata(w, "source-format",
				    q->mapped_ram ? "qemu-mapped-ram"
						  : "qemu-stream") ||
	    frc_writer_set_metadata(w, "machine-type", q->machine) ||
	    frc_writer_set_metadata(w, "qemu.stream-version", "3") ||
	    frc_writer_set_metadata(w, "qemu.ram-section-id", val) ||
	    frc_writer_set_metadata(w, "qemu.capabilities", q->caps)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	rc = 0;
out:
	free(page);
	free(tail);
	free(head);
	return rc;
}

int cmd_import_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list-records", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc import-qemu [-f] [-q] [--list-records] IN OUT.frc\n"
		"\n"
		"Reads a QEMU migration file (the sequential stream, or a\n"
		"mapped-ram file), from a file or from standard input ('-'), and\n"
		"writes it as an FRC container: every RAM block a region, all\n"
		"other state kept verbatim. For a live save into FRC:\n"
		"  (qemu) migrate \"exec:frc import-qemu - vm.frc\"\n"
		"  -f, --force   replace OUT.frc if it exists\n"
		"  -q, --quiet   print nothing but errors\n"
		"  --list-records  also print the offset of every record\n";
	frc_writer_options_t o;
	struct qemu_file q;
	struct in s;
	frc_writer_t *w;
	int c, quiet = 0, rc;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.overwrite = 1; break;
		case 'q': quiet = 1; break;
		case 'L': list_records = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 2) {
		fputs(usage, stderr);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	q.page_size = 4096; /* TARGET_PAGE_SIZE unless the stream says */
	s.name = strcmp(argv[optind], "-") ? argv[optind] : "(standard input)";
	s.f = strcmp(argv[optind], "-") ? fopen(argv[optind], "rb") : stdin;
	if (!s.f) {
		tool_err("cannot open '%s': %s", argv[optind], strerror(errno));
		return 1;
	}
	o.generator = "frc import-qemu " FRC_LIB_VERSION_STRING;
	w = frc_writer_new();
	rc = frc_writer_open(w, argv[optind + 1], &o);
	if (rc)
		tool_err("%s", frc_writer_errmsg(w));
	else if ((rc = import_to_frc(&s, &q, w)) == 0 &&
		 (rc = frc_writer_commit(w, NULL, NULL)) != 0)
		tool_err("%s", frc_writer_errmsg(w));
	frc_writer_free(w); /* an import that failed stays incomplete */
	if (rc && access(argv[optind + 1], F_OK) == 0 && !o.overwrite)
		unlink(argv[optind + 1]);
	if (!rc && !quiet)
		fprintf(stderr, "frc: imported %u RAM blocks (%s, %s) into %s\n",
			q.nblocks, q.mapped_ram ? "mapped-ram" : "stream",
			q.machine, argv[optind + 1]);
	if (s.f != stdin)
		fclose(s.f);
	free(s.cap);
	free(q.commands);
	return rc ? 1 : 0;
}

/* ---- export ---- */

struct out_stream {
	int fd;
	uint64_t pos;
	int seekable;
};

static int put(struct out_stream *o, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = o->seekable ? pwrite(o->fd, b, n, (off_t)o->pos)
					: write(o->fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			tool_err("cannot write the output: %s", strerror(errno));
			return -1;
		}
		b += k;
		n -= (size_t)k;
		o->pos += (uint64_t)k;
	}
	return 0;
}

static int put8(struct out_stream *o, uint8_t v)
{
	return put(o, &v, 1);
}

static int put32(struct out_stream *o, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return put(o, b, 4);
}

static int put64(struct out_stream *o, uint64_t v)
{
	return put32(o, (uint32_t)(v >> 32)) || put32(o, (uint32_t)v);
}

static int put_str(struct out_stream *o, const char *s)
{
	size_t n = strlen(s);

	return put8(o, (uint8_t)n) || put(o, s, n);
}

/* A whole section read into memory (they are small: head, tail). */
static uint8_t *section_named(frc_reader_t *r, const char *name,
			      uint64_t *len)
{
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;
		uint8_t *buf;

		frc_reader_section(r, i, &s);
		if (s.type != FRC_SECTION_QEMU || strcmp(s.name, name))
			continue;
		buf = malloc(s.length + 1);
		if (!buf || frc_reader_read_section(r, i, buf, s.length)) {
			tool_err("%s", buf ? frc_reader_errmsg(r) : "out of memory");
			free(buf);
			return NULL;
		}
		*len = s.length;
		return buf;
	}
	tool_err("no '%s' section: not imported from QEMU", name);
	return NULL;
}

/* Stream records of one region: PAGE or ZERO for every page. */
static int put_region_records(frc_reader_t *r, uint32_t i,
			      struct out_stream *o, uint8_t *page)
{
	frc_region_info_t g;

	frc_reader_region(r, i, &g);
	for (uint64_t p = 0; p < g.page_count; p++) {
		int present = frc_reader_page_present(r, i, p);
		uint64_t v = p * g.page_size | (present ? RAM_PAGE : RAM_ZERO) |
			     (p ? RAM_CONTINUE : 0);

		if (present && frc_reader_read_page(r, i, p, page)) {
			tool_err("%s", frc_reader_errmsg(r));
			return -1;
		}
		if (put64(o, v) || (!p && put_str(o, g.id)) ||
		    (present ? put(o, page, g.page_size) : put8(o, 0)))
			return -1;
	}
	return 0;
}

static int put_stream_ram(frc_reader_t *r, struct out_stream *o,
			  uint32_t ram_id, uint8_t *page)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
		if (put_str(o, g.id) || put64(o, g.used_length))
			return -1;
	}
	if (put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	    put32(o, ram_id))
		return -1;
	/* every page in one PART section */
	if (put8(o, QEMU_VM_SECTION_PART) || put32(o, ram_id))
		return -1;
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++)
		if (put_region_records(r, i, o, page))
			return -1;
	return put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	       put32(o, ram_id);
}

/* mapped-ram: header, bitmap (LE u64 words) and pages at fixed places. */
static int put_mapped_ram(frc_reader_t *r, struct out_stream *o,
			  uint8_t *page)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		uint64_t words, bitmap_off, pages_off;
		uint8_t *bm;

		frc_reader_region(r, i, &g);
		words = (g.page_count + 63) / 64;
		if (put_str(o, g.id) || put64(o, g.used_length))
			return -1;
		bitmap_off = o->pos + 28;
		pages_off = (bitmap_off + words * 8 + MAPPED_RAM_ALIGN - 1) /
			    MAPPED_RAM_ALIGN * MAPPED_RAM_ALIGN;
		if (put32(o, 1) || put64(o, g.page_size) ||
		    put64(o, bitmap_off) || put64(o, pages_off))
			return -1;
		bm = calloc(words ? words * 8 : 1, 1);
		if (!bm)
			return -1;
		for (uint64_t p = 0; p < g.page_count; p++) {
			if (!frc_reader_page_present(r, i, p))
				continue;
			bm[p / 8] |= (uint8_t)(1u << (p % 8));
			if (frc_reader_read_page(r, i, p, page) ||
			    pwrite(o->fd, page, g.page_size,
				   (off_t)(pages_off + p * g.page_size)) !=
				    (ssize_t)g.page_size) {
				tool_err("%s", frc_reader_errmsg(r));
				free(bm);
				return -1;
			}
		}
		o->pos = bitmap_off;
		if (put(o, bm, words * 8)) {
			free(bm);
			return -1;
		}
		free(bm);
		o->pos = pages_off + g.used_length;
		if (ftruncate(o->fd, (off_t)o->pos) != 0)
			return -1;
	}
	return 0;
}

static int export_stream(frc_reader_t *r, struct out_stream *o, int mapped)
{
	uint64_t nhead, ncmd = 0, ntail;
	uint8_t *head = section_named(r, "qemu-stream-head", &nhead);
	uint8_t *cmd = head ? section_named(r, "qemu-stream-commands", &ncmd)
			    : NULL;
	uint8_t *tail = cmd ? section_named(r, "qemu-stream-tail", &ntail)
			    : NULL;
	const char *id = frc_reader_metadata_get(r, "qemu.ram-section-id");
	const char *src = frc_reader_metadata_get(r, "source-format");
	uint8_t *page = malloc(FRC_PAGE_SIZE_MAX);
	uint32_t ram_id = id ? (uint32_t)strtoul(id, NULL, 10) : 0;
	int rc = -1;

	if (!head || !cmd || !tail || !page || !id || !src)
		goto out;
	if (mapped != !strcmp(src, "qemu-mapped-ram")) {
		tool_err("the file was imported from a %s file; export it as "
			 "--format=%s", src,
			 strcmp(src, "qemu-mapped-ram") ? "stream"
							: "mapped-ram");
		goto out;
	}
	if (put(o, head, nhead))
		goto out;
	if (mapped) {
		/* blocks, then the framing kept verbatim at import */
		if (put_mapped_ram(r, o, page) || put(o, cmd, ncmd))
			goto out;
	} else if (put_stream_ram(r, o, ram_id, page) || put(o, cmd, ncmd) ||
		   put8(o, QEMU_VM_SECTION_END) || put32(o, ram_id) ||
		   put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
		   put32(o, ram_id)) {
		goto out;
	}
	rc = put(o, tail, ntail);
out:
	free(head);
	free(cmd);
	free(tail);
	free(page);
	return rc;
}

int cmd_export_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc export-qemu [--format=stream|mapped-ram] [-f] IN.frc OUT\n"
		"\n"
		"Writes a container imported from QEMU back as a QEMU migration\n"
		"file (every page checksum-verified on the way): a sequential\n"
		"stream, to a file or standard output ('-'), or a mapped-ram\n"
		"file. The format defaults to the one it was imported from.\n"
		"To restore a VM:  qemu-system-... -incoming \"exec:frc "
		"export-qemu vm.frc -\"\n";
	struct out_stream o = { -1, 0, 0 };
	const char *format = NULL;
	frc_reader_t *r;
	struct stat st;
	int c, force = 0, rc, mapped;

	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F': format = optarg; break;
		case 'f': force = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 2 || (format && strcmp(format, "stream") &&
				   strcmp(format, "mapped-ram"))) {
		fputs(usage, stderr);
		return 1;
	}
	if (tool_open(&r, argv[optind], 0, 0)) {
		frc_reader_free(r);
		return 1;
	}
	if (!format) {
		const char *src = frc_reader_metadata_get(r, "source-format");

		format = src && !strcmp(src, "qemu-mapped-ram") ? "mapped-ram"
								: "stream";
	}
	mapped = !strcmp(format, "mapped-ram");
	if (!strcmp(argv[optind + 1], "-")) {
		if (mapped) {
			tool_err("a mapped-ram file needs a seekable output file");
			frc_reader_free(r);
			return 1;
		}
		o.fd = STDOUT_FILENO;
	} else {
		o.fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_CLOEXEC |
						       (force ? O_TRUNC : O_EXCL),
			    0644);
	}
	if (o.fd < 0) {
		tool_err("cannot create '%s': %s", argv[optind + 1],
			 strerror(errno));
		frc_reader_free(r);
		return 1;
	}
	o.seekable = fstat(o.fd, &st) == 0 && S_ISREG(st.st_mode);
	if (mapped && !o.seekable) {
		tool_err("a mapped-ram file needs a seekable output file");
		rc = -1;
	} else {
		rc = export_stream(r, &o, mapped);
	}
	if (o.fd != STDOUT_FILENO && close(o.fd) != 0)
		rc = -1;
	if (rc && o.fd != STDOUT_FILENO)
		unlink(argv[optind + 1]);
	frc_reader_free(r);
	return rc ? 1 : 0;
}
