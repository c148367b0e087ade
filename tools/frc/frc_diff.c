/*
 * frc_diff.c - `frc diff A B`: compare two containers region by region and
 * page by page (every page verified), sections and metadata too.
 * Exit status: 0 same contents, 1 different, 2 error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frc_tool.h"

#define HUMAN_RUNS 50

static const char diff_usage[] =
	"usage: frc diff [--output=human|json|yaml] [-p] [-q] A.frc B.frc\n"
	"\n"
	"Compares the contents of two FRC containers: regions (matched by id)\n"
	"page by page, sections in order (not the digests, signatures and base\n"
	"reference of format 1.3), and metadata. Absent pages compare\n"
	"as zeros, so the same memory saved twice compares equal.\n"
	"Exit status: 0 same contents, 1 different, 2 error.\n"
	"  --output=FORMAT  human (default), json or yaml (see frc-diff(1))\n"
	"  -p, --progress   show progress (default: when stderr is a tty)\n"
	"  -q, --quiet      print nothing, only set the exit status\n";

struct diff_ctx {
	frc_reader_t *a, *b;
	struct tool_opts t;
	struct out *o;
	struct tool_progress pr;
	uint64_t done, total;
	int differ;
};

/* A line of human output (nothing in JSON/YAML or quiet mode). */
__attribute__((format(printf, 2, 3))) static void
say(struct diff_ctx *d, const char *fmt, ...)
{
	va_list ap;

	if (d->o || d->t.quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Pages of two regions of the same shape that differ; -1 on error. */
static int diff_pages(struct diff_ctx *d, uint32_t ia, uint32_t ib,
		      const frc_region_info_t *g, struct runs *runs)
{
	uint8_t *pa = malloc(g->page_size), *pb = malloc(g->page_size);
	int rc = 0;

	/* Only pages present in A or B can differ: visit those. */
	for (uint64_t p = 0; pa && pb && p < g->page_count && !rc; p++) {
		uint64_t fa, ca, fb, cb;

		if (frc_reader_next_run(d->a, ia, p, &fa, &ca) ||
		    frc_reader_next_run(d->b, ib, p, &fb, &cb))
			break;
		p = fa < fb ? fa : fb;
		if (p >= g->page_count)
			break;
		d->done += g->page_size;
		tool_progress_cb(&d->pr, d->done, d->total);
		if (frc_reader_read_page(d->a, ia, p, pa)) {
			tool_err("%s", frc_reader_errmsg(d->a));
			rc = -1;
		} else if (frc_reader_read_page(d->b, ib, p, pb)) {
			tool_err("%s", frc_reader_errmsg(d->b));
			rc = -1;
		} else if (memcmp(pa, pb, g->page_size) && runs_add(runs, p)) {
			rc = -1;
		}
	}
	if (!pa || !pb)
		rc = -1;
	free(pa);
	free(pb);
	return rc;
}

static int diff_region(struct diff_ctx *d, uint32_t ia)
{
	frc_region_info_t ga, gb;
	struct runs runs = { NULL, 0, 0, 0 };
	const char *status = "same";
	char text[4096];
	uint32_t ib;
	int rc = 0;

	frc_reader_region(d->a, ia, &ga, sizeof(ga));
	if (frc_reader_find_region(d->b, ga.id, &ib)) {
		status = "only-in-a";
		say(d, "region '%s': only in A", tool_esc(ga.id));
	} else {
		frc_reader_region(d->b, ib, &gb, sizeof(gb));
		if (ga.used_length != gb.used_length ||
		    ga.page_size != gb.page_size) {
			status = "layout-differs";
			say(d, "region '%s': different size or page size",
			    tool_esc(ga.id));
		} else {
			rc = diff_pages(d, ia, ib, &ga, &runs);
			if (runs.n) {
				status = "different";
				if (!d->o && !d->t.quiet)
					printf("region '%s': %" PRIu64 " pages "
					       "differ: %s\n", tool_esc(ga.id),
					       runs.pages,
					       runs_format(&runs, HUMAN_RUNS,
							   text, sizeof(text)));
			}
		}
	}
	if (strcmp(status, "same"))
		d->differ = 1;
	if (d->o) {
		out_map(d->o, NULL);
		out_str(d->o, "id", ga.id);
		out_str(d->o, "status", status);
		out_uint(d->o, "differing_pages", runs.pages);
		runs_emit(d->o, "differing_runs", &runs);
		out_end(d->o);
	}
	runs_free(&runs);
	return rc;
}

static void regions_only_in_b(struct diff_ctx *d)
{
	for (uint32_t i = 0; i < frc_reader_region_count(d->b); i++) {
		frc_region_info_t g;
		uint32_t ia;

		frc_reader_region(d->b, i, &g, sizeof(g));
		if (!frc_reader_find_region(d->a, g.id, &ia))
			continue;
		d->differ = 1;
		say(d, "region '%s': only in B", tool_esc(g.id));
		if (d->o) {
			out_map(d->o, NULL);
			out_str(d->o, "id", g.id);
			out_str(d->o, "status", "only-in-b");
			out_uint(d->o, "differing_pages", 0);
			out_list(d->o, "differing_runs");
			out_end(d->o);
			out_end(d->o);
		}
	}
}

/* Section bytes, verified; NULL on error (message printed). */
static uint8_t *section_bytes(frc_reader_t *r, uint32_t i, uint64_t *len)
{
	frc_section_info_t s;
	uint8_t *buf;

	frc_reader_section(r, i, &s, sizeof(s));
	*len = s.length;
	buf = s.length < SIZE_MAX ? malloc(s.length + 1) : NULL;
	if (buf && frc_reader_read_section(r, i, buf, s.length) == FRC_OK)
		return buf;
	tool_err("%s", buf ? frc_reader_errmsg(r) : "out of memory");
	free(buf);
	return NULL;
}

/*
 * The sections that are content, in order: not the digests, signatures
 * and base reference of format 1.3, which say how a file is stored and
 * vouched for, not what it holds (a chain and its flattened copy hold the
 * same). Their indices into *out (count returned; -1 out of memory).
 */
static int64_t content_sections(const frc_reader_t *r, uint32_t **out)
{
	uint32_t n = frc_reader_section_count(r), k = 0;

	*out = malloc((n + 1) * sizeof(**out));
	if (!*out)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		if (s.type != FRC_SECTION_DIGESTS &&
		    s.type != FRC_SECTION_SIGNATURE &&
		    s.type != FRC_SECTION_BASE)
			(*out)[k++] = i;
	}
	return k;
}

static int diff_sections(struct diff_ctx *d)
{
	uint32_t *xa = NULL, *xb = NULL;
	int64_t na = content_sections(d->a, &xa);
	int64_t nb = content_sections(d->b, &xb);
	int rc = na < 0 || nb < 0 ? -1 : 0;

	if (rc)
		tool_err("out of memory");
	if (d->o)
		out_list(d->o, "sections");
	for (int64_t k = 0; k < (na > nb ? na : nb) && !rc; k++) {
		const char *status = k >= na ? "only-in-b"
				     : k >= nb ? "only-in-a" : "same";
		uint32_t i = k < na ? xa[k] : xb[k];

		if (k < na && k < nb) {
			frc_section_info_t sa, sb;
			uint64_t la, lb;
			uint8_t *ba, *bb;

			frc_reader_section(d->a, xa[k], &sa, sizeof(sa));
			frc_reader_section(d->b, xb[k], &sb, sizeof(sb));
			ba = section_bytes(d->a, xa[k], &la);
			bb = ba ? section_bytes(d->b, xb[k], &lb) : NULL;
			if (!ba || !bb)
				rc = -1;
			else if (sa.type != sb.type || strcmp(sa.name, sb.name) ||
				 la != lb || memcmp(ba, bb, la))
				status = "different";
			free(ba);
			free(bb);
		}
		if (strcmp(status, "same")) {
			d->differ = 1;
			say(d, "section %u: %s", i, status);
		}
		if (d->o) {
			out_map(d->o, NULL);
			out_uint(d->o, "index", i);
			out_str(d->o, "status", status);
			out_end(d->o);
		}
	}
	if (d->o)
		out_end(d->o);
	free(xa);
	free(xb);
	return rc;
}

static void diff_metadata_one(struct diff_ctx *d, const char *key,
			      const char *va, const char *vb)
{
	if (va && vb && !strcmp(va, vb))
		return;
	d->differ = 1;
	if (d->o) {
		out_map(d->o, NULL);
		out_str(d->o, "key", key);
		out_str(d->o, "a", va);
		out_str(d->o, "b", vb);
		out_end(d->o);
	} else if (!d->t.quiet) {
		printf("metadata '%s': %s%s%s vs %s%s%s\n", key,
		       va ? "'" : "", va ? tool_esc(va) : "absent", va ? "'" : "",
		       vb ? "'" : "", vb ? tool_esc(vb) : "absent",
		       vb ? "'" : "");
	}
}

static void diff_metadata(struct diff_ctx *d)
{
	const char *k, *v;

	if (d->o)
		out_list(d->o, "metadata");
	for (uint32_t i = 0; i < frc_reader_metadata_count(d->a); i++) {
		frc_reader_metadata_item(d->a, i, &k, &v);
		diff_metadata_one(d, k, v, frc_reader_metadata_get(d->b, k));
	}
	for (uint32_t i = 0; i < frc_reader_metadata_count(d->b); i++) {
		frc_reader_metadata_item(d->b, i, &k, &v);
		if (!frc_reader_metadata_get(d->a, k))
			diff_metadata_one(d, k, NULL, v);
	}
	if (d->o)
		out_end(d->o);
}

static int run_diff(struct diff_ctx *d)
{
	int rc = 0;

	for (uint32_t i = 0; i < frc_reader_region_count(d->a); i++) {
		frc_region_info_t g;

		frc_reader_region(d->a, i, &g, sizeof(g));
		d->total += g.used_length;
	}
	tool_progress_init(&d->pr, d->t.progress, "diff");
	if (d->o)
		out_list(d->o, "regions");
	for (uint32_t i = 0; i < frc_reader_region_count(d->a) && !rc; i++)
		rc = diff_region(d, i);
	if (!rc)
		regions_only_in_b(d);
	if (d->o)
		out_end(d->o);
	tool_progress_done(&d->pr);
	if (!rc)
		rc = diff_sections(d);
	if (!rc)
		diff_metadata(d);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct diff_ctx d;
	int c, rc;

	memset(&d, 0, sizeof(d));
	tool_opts_init(&d.t);
	while ((c = getopt_long(argc, argv, TOOL_COMMON_SHORTOPTS, longopts,
				NULL)) != -1)
		if (tool_common_opt(c, optarg, &d.t, diff_usage) != 1 ||
		    d.t.salvage)
			goto usage;
	if (optind != argc - 2)
		goto usage;
	rc = tool_open(&d.a, argv[optind], 0, 0);
	if (rc == FRC_OK)
		rc = tool_open(&d.b, argv[optind + 1], 0, 0);
	if (rc == FRC_OK) {
		if (d.t.format != OUT_HUMAN) {
			d.o = out_new(d.t.format, stdout);
			out_str(d.o, "a", argv[optind]);
			out_str(d.o, "b", argv[optind + 1]);
		}
		rc = run_diff(&d);
		if (d.o) {
			out_bool(d.o, "same", !d.differ && !rc);
			out_finish(d.o);
		} else if (!d.t.quiet && !rc) {
			printf("%s and %s: %s\n", argv[optind], argv[optind + 1],
			       d.differ ? "contents differ" : "same contents");
		}
	}
	frc_reader_free(d.a);
	frc_reader_free(d.b);
	return rc ? 2 : d.differ ? 1 : 0;
usage:
	fputs(diff_usage, stderr);
	return 2;
}
