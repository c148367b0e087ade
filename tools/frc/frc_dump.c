/*
 * frc_dump.c - `frc dump`: the layout of a container as an implementer
 * debugging a writer needs it: every structure with its offset and size,
 * each bitmap as runs of present pages, and one page in hex.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frc_tool.h"

#define HUMAN_RUNS 1000 /* runs printed per region unless --all-runs */

static const char dump_usage[] =
	"usage: frc dump [--output=human|json|yaml] [--page REGION:INDEX]\n"
	"                [--all-runs] FILE\n"
	"\n"
	"Shows every structure of an FRC file with its offset and length,\n"
	"each region's bitmap as runs of present pages and, with --page, one\n"
	"page in hex. Works on incomplete and damaged files too.\n"
	"  --page REGION:INDEX  hexdump page INDEX of REGION (an id, or #N for\n"
	"                       region number N)\n"
	"  --all-runs           list every run (human output stops at 1000)\n"
	"  --output=FORMAT      human (default), json or yaml (see frc-dump(1))\n";

struct structure {
	uint64_t offset, length;
	char name[320];
};

struct layout {
	struct structure *v;
	size_t n;
};

__attribute__((format(printf, 4, 5))) static void
add(struct layout *l, uint64_t off, uint64_t len, const char *fmt, ...)
{
	struct structure *s;
	va_list ap;

	if (!len)
		return;
	s = &l->v[l->n++];
	s->offset = off;
	s->length = len;
	va_start(ap, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, ap);
	va_end(ap);
}

/* "region 'pc.ram'" or "section 2 (device-state vmstate)" */
static void owner_label(frc_reader_t *r, const frc_extent_t *e, char *buf,
			size_t size)
{
	frc_region_info_t g;
	frc_section_info_t s;

	if (e->kind == FRC_EXTENT_SECTION &&
	    frc_reader_section(r, e->index, &s, sizeof(s)) == FRC_OK)
		snprintf(buf, size, "%u (%s%s%s)", e->index,
			 tool_section_type_name(s.type), *s.name ? " " : "",
			 s.name);
	else if (frc_reader_region(r, e->index, &g, sizeof(g)) == FRC_OK)
		snprintf(buf, size, "of region '%s'", g.id);
	else
		snprintf(buf, size, "%u", e->index);
}

/* Every structure of the file, as the reader found them (sorted). */
static int collect_layout(frc_reader_t *r, struct layout *l)
{
	frc_info_t in;
	uint32_t n = frc_reader_layout_count(r);

	frc_reader_get_info(r, &in, sizeof(in));
	l->n = 0;
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	if (!l->v)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		frc_extent_t e;
		char label[300];
		bool current;

		if (frc_reader_layout(r, i, &e, sizeof(e)) != FRC_OK)
			return -1;
		switch (e.kind) {
		case FRC_EXTENT_SUPERBLOCK:
			current = e.index == (uint32_t)in.slot_used;
			add(l, e.offset, e.length, "superblock copy %c (%s)",
			    "AB"[e.index & 1],
			    current ? "current"
			    : in.other_slot > 0 ? "intact" : "damaged");
			break;
		case FRC_EXTENT_BITMAP:
		case FRC_EXTENT_CHECKSUM_TABLE:
		case FRC_EXTENT_PAGE_AREA:
		case FRC_EXTENT_FRAME_TABLE:
		case FRC_EXTENT_SECTION:
			owner_label(r, &e, label, sizeof(label));
			add(l, e.offset, e.length, "%s %s", e.kind_name, label);
			break;
		default:
			add(l, e.offset, e.length, "%s", e.kind_name);
			break;
		}
	}
	return 0;
}

static int region_runs(frc_reader_t *r, uint32_t i, struct runs *runs)
{
	frc_region_info_t g;

	memset(runs, 0, sizeof(*runs));
	frc_reader_region(r, i, &g, sizeof(g));
	for (uint64_t p = 0, first, count; g.bitmap_valid && p < g.page_count;
	     p = first + count) {
		if (frc_reader_next_run(r, i, p, &first, &count) || !count)
			break;
		if (runs_add_run(runs, first, count))
			return -1;
	}
	return 0;
}

/* "--page pc.ram:12" or "--page #0:12"; the id may itself hold ':'. */
static int parse_page(frc_reader_t *r, const char *spec, uint32_t *region,
		      uint64_t *page)
{
	const char *colon = strrchr(spec, ':');
	char *id, *end;
	int rc;

	if (!colon || !colon[1])
		return -1;
	*page = strtoull(colon + 1, &end, 10);
	if (*end)
		return -1;
	id = strndup(spec, (size_t)(colon - spec));
	if (!id)
		return -1;
	rc = tool_find_region(r, id, region);
	free(id);
	return rc;
}

static void hexdump(const uint8_t *p, uint32_t n, uint64_t base)
{
	for (uint32_t i = 0; i < n; i += 16) {
		printf("%08" PRIx64 ":", base + i);
		for (uint32_t j = 0; j < 16; j++)
			printf(j % 2 ? "%02x" : " %02x", p[i + j]);
		printf("  ");
		for (uint32_t j = 0; j < 16; j++)
			putchar(isprint(p[i + j]) ? p[i + j] : '.');
		putchar('\n');
	}
}

static void hexstring(const uint8_t *p, uint32_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (uint32_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

struct dump_args {
	struct tool_opts t;
	const char *page;
	int all_runs;
};

static int dump_page(frc_reader_t *r, const char *spec, struct out *o)
{
	frc_region_info_t g;
	uint32_t region;
	uint64_t page, off;
	uint8_t *buf;
	char *hex;
	int rc;

	if (parse_page(r, spec, &region, &page) ||
	    (frc_reader_region(r, region, &g, sizeof(g)), page >= g.page_count)) {
		tool_err("--page '%s': no such region or page", spec);
		return -1;
	}
	off = g.pages_offset + page * g.page_size;
	buf = malloc(g.page_size);
	hex = o ? malloc(2 * (size_t)g.page_size + 1) : NULL;
	if (!buf || (o && !hex)) {
		free(buf);
		tool_err("out of memory");
		return -1;
	}
	rc = frc_reader_read_page(r, region, page, buf);
	if (o) {
		hexstring(buf, g.page_size, hex);
		out_map(o, "page");
		out_str(o, "region", g.id);
		out_uint(o, "index", page);
		out_uint(o, "offset", off);
		out_bool(o, "present", frc_reader_page_present(r, region, page));
		out_str(o, "verification", rc == FRC_OK ? "ok"
					   : frc_error_name(rc));
		out_str(o, "hex", hex);
		out_end(o);
	} else {
		printf("\npage %" PRIu64 " of region '%s' at 0x%" PRIx64
		       " (%s, %s):\n", page, tool_esc(g.id), off,
		       frc_reader_page_present(r, region, page) ? "present"
								 : "absent: reads as zeros",
		       rc == FRC_OK ? "checksum ok" : frc_reader_errmsg(r));
		hexdump(buf, g.page_size, off);
	}
	free(buf);
	free(hex);
	return 0;
}

static void print_layout(const struct layout *l, frc_reader_t *r,
			 const struct dump_args *a)
{
	frc_info_t in;
	char runs_text[65536];

	frc_reader_get_info(r, &in, sizeof(in));
	printf("%-18s %-12s %s\n", "offset", "length", "structure");
	for (size_t i = 0; i < l->n; i++)
		printf("0x%016" PRIx64 " %-12" PRIu64 " %s\n", l->v[i].offset,
		       l->v[i].length, tool_esc(l->v[i].name));
	printf("file_length 0x%" PRIx64 " (%s)\n", in.file_length,
	       in.complete ? "complete" : "INCOMPLETE");
	for (uint32_t i = 0; i < in.region_count; i++) {
		frc_region_info_t g;
		struct runs runs;

		frc_reader_region(r, i, &g, sizeof(g));
		if (region_runs(r, i, &runs))
			break;
		printf("\nregion '%s': %" PRIu64 " of %" PRIu64
		       " pages present%s\n  %s\n",
		       tool_esc(g.id), runs.pages, g.page_count,
		       g.bitmap_valid ? "" : " (bitmap not valid)",
		       runs.n ? runs_format(&runs, a->all_runs ? SIZE_MAX
							       : HUMAN_RUNS,
					    runs_text, sizeof(runs_text))
			      : "(none)");
		runs_free(&runs);
	}
}

static void emit_layout(const struct layout *l, frc_reader_t *r,
			struct out *o)
{
	frc_info_t in;

	frc_reader_get_info(r, &in, sizeof(in));
	out_uint(o, "file_length", in.file_length);
	out_bool(o, "complete", in.complete);
	out_list(o, "structures");
	for (size_t i = 0; i < l->n; i++) {
		out_map(o, NULL);
		out_str(o, "name", l->v[i].name);
		out_uint(o, "offset", l->v[i].offset);
		out_uint(o, "length", l->v[i].length);
		out_end(o);
	}
	out_end(o);
	out_list(o, "regions");
	for (uint32_t i = 0; i < in.region_count; i++) {
		frc_region_info_t g;
		struct runs runs;

		frc_reader_region(r, i, &g, sizeof(g));
		region_runs(r, i, &runs);
		out_map(o, NULL);
		out_str(o, "id", g.id);
		out_bool(o, "bitmap_valid", g.bitmap_valid);
		out_uint(o, "present_pages", runs.pages);
		runs_emit(o, "present_runs", &runs);
		out_end(o);
		runs_free(&runs);
	}
	out_end(o);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		TOOL_COMMON_LONGOPTS,
		{ "page", required_argument, NULL, 'P' },
		{ "all-runs", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_args a;
	struct layout l = { NULL, 0 };
	struct out *o = NULL;
	frc_reader_t *r;
	int c, rc;

	memset(&a, 0, sizeof(a));
	tool_opts_init(&a.t);
	while ((c = getopt_long(argc, argv, TOOL_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == 'P')
			a.page = optarg;
		else if (c == 'A')
			a.all_runs = 1;
		else if (tool_common_opt(c, optarg, &a.t, dump_usage) != 1)
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	/* A layout dump is for broken files too: always salvage mode. */
	rc = tool_open(&r, argv[optind], FRC_OPEN_SALVAGE, 0);
	if (rc == FRC_OK && collect_layout(r, &l) != 0) {
		tool_err("out of memory");
		rc = FRC_E_NOMEM;
	}
	if (rc == FRC_OK && a.t.format != OUT_HUMAN) {
		o = out_new(a.t.format, stdout);
		out_str(o, "file", argv[optind]);
		emit_layout(&l, r, o);
	} else if (rc == FRC_OK) {
		print_layout(&l, r, &a);
	}
	if (rc == FRC_OK && a.page && dump_page(r, a.page, o) != 0)
		rc = FRC_E_MISUSE;
	out_finish(o);
	free(l.v);
	frc_reader_free(r);
	return rc ? 1 : 0;
usage:
	fputs(dump_usage, stderr);
	return 1;
}
