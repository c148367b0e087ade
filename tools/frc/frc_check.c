/*
 * frc_check.c - `frc check`: verify every structure and checksum, report
 * every problem with its region, page and byte offset, and exit like
 * qemu-img check.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frc_tool.h"
#include "guestmem.h"

#define MAX_LISTED 100 /* problems printed one by one in human output */

static const char check_usage[] =
	"usage: frc check [--salvage] [--memory=ID=PATH[@OFF]]... [--output=human|json|yaml]\n"
	"                 [-p] [-q] FILE\n"
	"\n"
	"Verifies every structure and every checksum of an FRC container and\n"
	"reports every problem with its region, page and byte offset.\n"
	"Exit status: 0 consistent, 1 could not complete, 2 corruption found,\n"
	"3 incomplete (interrupted save), 63 unsupported version or feature.\n"
	"  --salvage          report what is still readable in a damaged or\n"
	"                     incomplete file, per region\n"
	"  --memory=ID=PATH[@OFF]  region ID is also in PATH from byte OFF on\n"
	"                     (the guest RAM QEMU restored it into: a shared\n"
	"                     memory file, or qmp:SOCKET for QEMU's own RAM at\n"
	"                     the address QEMU gives over QMP; or a raw image):\n"
	"                     verify those bytes instead of the file's page area\n"
	"  --output=FORMAT    human (default), json or yaml (see frc-check(1))\n"
	"  -p, --progress     show progress (default: when stderr is a tty)\n"
	"  -q, --quiet        print nothing, only set the exit status\n";

struct problem {
	int code;
	int64_t region, page, section;
	uint64_t offset;
	char *message;
};

struct check_state {
	struct tool_opts t;
	struct guestmems mem;
	struct problem *list;
	size_t n, cap;
};

static int collect(void *ctx, const frc_problem_t *p)
{
	struct check_state *cs = ctx;

	if (cs->t.format == OUT_HUMAN && !cs->t.quiet) {
		if (cs->n < MAX_LISTED)
			fprintf(stderr, "frc: %s\n", p->message);
		cs->n++;
		return 0;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 64;
		struct problem *grown = realloc(cs->list, cap * sizeof(*grown));

		if (!grown)
			return 1; /* out of memory: stop, report what we have */
		cs->list = grown;
		cs->cap = cap;
	}
	cs->list[cs->n++] = (struct problem){ p->code, p->region, p->page,
					      p->section, p->offset,
					      strdup(p->message) };
	return 0;
}

static const char *result_name(int exit_code)
{
	switch (exit_code) {
	case EXIT_CHECK_OK: return "consistent";
	case EXIT_CHECK_CORRUPT: return "corrupt";
	case EXIT_CHECK_INCOMPLETE: return "incomplete";
	case EXIT_CHECK_UNSUPPORTED: return "unsupported";
	default: return "failed";
	}
}

struct salvage_counts {
	uint64_t verified, zero, damaged, unverifiable;
};

/* Per region: how many pages verify, are zero, damaged, unverifiable. */
static void salvage_region(frc_reader_t *r, uint32_t i,
			   struct salvage_counts *c)
{
	frc_region_info_t g;
	uint8_t *buf = malloc(FRC_PAGE_SIZE_MAX);

	memset(c, 0, sizeof(*c));
	frc_reader_region(r, i, &g, sizeof(g));
	c->zero = g.page_count;
	for (uint64_t p = 0, first, count; buf && p < g.page_count;
	     p = first + count) {
		if (frc_reader_next_run(r, i, p, &first, &count) || !count)
			break;
		c->zero -= count;
		for (uint64_t k = first; k < first + count; k++) {
			int rc = frc_reader_read_page(r, i, k, buf);

			if (rc == FRC_OK)
				c->verified++;
			else if (rc == FRC_E_CHECKSUM)
				c->damaged++;
			else
				c->unverifiable++;
		}
	}
	free(buf);
}

static int salvage_report(frc_reader_t *r, struct check_state *cs,
			  struct out *o)
{
	frc_info_t in;
	int worst;

	frc_reader_get_info(r, &in, sizeof(in));
	worst = in.complete ? FRC_OK : FRC_E_INCOMPLETE;
	if (o)
		out_list(o, "salvage");
	for (uint32_t i = 0; i < in.region_count; i++) {
		struct salvage_counts c;
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		salvage_region(r, i, &c);
		if (c.damaged && worst == FRC_OK)
			worst = FRC_E_CHECKSUM;
		if (o) {
			out_map(o, NULL);
			out_str(o, "region", g.id);
			out_uint(o, "verified", c.verified);
			out_uint(o, "zero", c.zero);
			out_uint(o, "damaged", c.damaged);
			out_uint(o, "unverifiable", c.unverifiable);
			out_end(o);
		} else if (!cs->t.quiet) {
			printf("region '%s': %" PRIu64 " verified, %" PRIu64
			       " zero, %" PRIu64 " damaged, %" PRIu64
			       " unverifiable\n", tool_esc(g.id), c.verified, c.zero,
			       c.damaged, c.unverifiable);
		}
	}
	if (o)
		out_end(o);
	return worst;
}

static void emit_problem(struct out *o, const struct problem *p)
{
	out_map(o, NULL);
	out_str(o, "class", frc_error_name(p->code));
	out_uint(o, "offset", p->offset);
	if (p->region >= 0)
		out_uint(o, "region", (uint64_t)p->region);
	else
		out_null(o, "region");
	if (p->page >= 0)
		out_uint(o, "page", (uint64_t)p->page);
	else
		out_null(o, "page");
	if (p->section >= 0)
		out_uint(o, "section", (uint64_t)p->section);
	else
		out_null(o, "section");
	out_str(o, "message", p->message);
	out_end(o);
}

#define MAX_WARNINGS 8

/*
 * SPEC "Present-page bitmap": absent pages whose slots hold data (a writer's
 * defect: the
 * reader returns zeros for them anyway), one warning per region.
 */
static int absent_warnings(frc_reader_t *r, const char *path,
			   char w[][400], int n, int max)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r) && n < max; i++) {
		frc_region_info_t g;
		uint64_t count, first;

		frc_reader_region(r, i, &g, sizeof(g));
		if (frc_reader_absent_data(r, i, &count, &first) || !count)
			continue;
		snprintf(w[n++], 400, "%s: offset 0x%" PRIx64 ": %" PRIu64
			 " absent page(s) of region '%s' hold data in their "
			 "slots, first page %" PRIu64 " (SPEC R-W-ABSENT-ZEROS: a writer "
			 "leaves them zero; they read as zeros)", path,
			 g.pages_offset + first * g.page_size, count,
			 tool_esc(g.id), first);
	}
	return n;
}

/* --memory: the regions named are verified in the memory given. */
static int set_memory(frc_reader_t *r, const char *path, struct guestmems *g)
{
	g->input = path;
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t ri;
		const struct guestmem *m;
		int err;

		frc_reader_region(r, i, &ri, sizeof(ri));
		m = guestmem_open(g, ri.id, ri.used_length, &err);
		if (err)
			return -1;
		if (m && frc_reader_set_source(r, i, m->fd, m->offset)) {
			tool_err("%s", frc_reader_errmsg(r));
			return -1;
		}
	}
	return guestmem_all_used(g, path);
}

static int run_check(const char *path, struct check_state *cs, struct out *o)
{
	struct tool_progress pr;
	frc_reader_t *r;
	uint64_t count = 0;
	char warn[MAX_WARNINGS][400];
	int rc, code, nw = 0;

	rc = tool_open(&r, path, cs->t.salvage ? FRC_OPEN_SALVAGE : 0,
		       cs->t.quiet || o);
	if (rc && o) {
		struct problem p = { rc, -1, -1, -1, 0,
				     (char *)frc_reader_errmsg(r) };

		out_list(o, "problems");
		emit_problem(o, &p);
		out_end(o);
		count = 1;
	} else if (rc == FRC_OK && cs->t.salvage) {
		rc = salvage_report(r, cs, o);
	} else if (rc == FRC_OK && set_memory(r, path, &cs->mem)) {
		rc = FRC_E_IO;
	} else if (rc == FRC_OK) {
		tool_progress_init(&pr, cs->t.progress, "check");
		rc = frc_reader_verify_all(r, collect, cs, tool_progress_cb, &pr,
					   &count);
		tool_progress_done(&pr);
		if (rc >= FRC_ERROR_CLASS_LIMIT && !cs->t.quiet && !o)
			tool_err("%s", frc_reader_errmsg(r));
		if (o) {
			out_list(o, "problems");
			for (size_t i = 0; i < cs->n; i++)
				emit_problem(o, &cs->list[i]);
			out_end(o);
		}
	}
	code = tool_check_exit_code(rc);
	if (rc == FRC_OK || cs->t.salvage || rc < FRC_ERROR_CLASS_LIMIT) {
		nw = tool_warnings(r, path, warn, MAX_WARNINGS);
		if (rc == FRC_OK)
			nw = absent_warnings(r, path, warn, nw, MAX_WARNINGS);
	}
	if (o) {
		out_uint(o, "problem_count", count);
		out_list(o, "warnings");
		for (int i = 0; i < nw; i++)
			out_str(o, NULL, warn[i]);
		out_end(o);
		out_str(o, "result", result_name(code));
		out_uint(o, "exit_code", (uint64_t)code);
	} else if (!cs->t.quiet) {
		if (count > MAX_LISTED)
			tool_err("... %" PRIu64 " problems in all", count);
		for (int i = 0; i < nw; i++)
			tool_err("warning: %s", warn[i]);
		printf("%s: %s\n", path,
		       rc == FRC_OK ? "no errors found" : frc_error_name(rc));
	}
	frc_reader_free(r);
	return code;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS,
						  { "memory", required_argument,
						    NULL, 'M' },
						  { NULL, 0, NULL, 0 } };
	struct check_state cs;
	struct out *o = NULL;
	int c, code;

	memset(&cs, 0, sizeof(cs));
	tool_opts_init(&cs.t);
	while ((c = getopt_long(argc, argv, TOOL_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == 'M') {
			if (guestmem_add(&cs.mem, optarg))
				goto usage;
		} else if (tool_common_opt(c, optarg, &cs.t, check_usage) != 1)
			goto usage;
	}
	if (optind != argc - 1 || (cs.mem.n && cs.t.salvage))
		goto usage;
	if (cs.t.format != OUT_HUMAN) {
		o = out_new(cs.t.format, stdout);
		out_str(o, "file", argv[optind]);
	}
	code = run_check(argv[optind], &cs, o);
	out_finish(o);
	for (size_t i = 0; i < cs.n && cs.list; i++)
		free(cs.list[i].message);
	free(cs.list);
	guestmem_free(&cs.mem);
	return code;
usage:
	guestmem_free(&cs.mem);
	fputs(check_usage, stderr);
	return EXIT_CHECK_FAILED;
}
