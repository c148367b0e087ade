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

#define MAX_LISTED 100 /* problems printed one by one in human output */

static const char check_usage[] =
	"usage: frc check [--salvage] [--output=human|json|yaml] [-p] [-q] FILE\n"
	"\n"
	"Verifies every structure and every checksum of an FRC container and\n"
	"reports every problem with its region, page and byte offset.\n"
	"Exit status: 0 consistent, 1 could not complete, 2 corruption found,\n"
	"3 incomplete (interrupted save), 63 unsupported version or feature.\n"
	"  --salvage          report what is still readable in a damaged or\n"
	"                     incomplete file, per region\n"
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
	frc_reader_region(r, i, &g);
	for (uint64_t p = 0; buf && p < g.page_count; p++) {
		int rc;

		if (!frc_reader_page_present(r, i, p)) {
			c->zero++;
			continue;
		}
		rc = frc_reader_read_page(r, i, p, buf);
		if (rc == FRC_OK)
			c->verified++;
		else if (rc == FRC_E_CHECKSUM)
			c->damaged++;
		else
			c->unverifiable++;
	}
	free(buf);
}

static int salvage_report(frc_reader_t *r, struct check_state *cs,
			  struct out *o)
{
	frc_info_t in;
	int worst;

	frc_reader_get_info(r, &in);
	worst = in.complete ? FRC_OK : FRC_E_INCOMPLETE;
	if (o)
		out_list(o, "salvage");
	for (uint32_t i = 0; i < in.region_count; i++) {
		struct salvage_counts c;
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
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

/* The damaged-superblock warning, or NULL. */
static const char *slot_warning(frc_reader_t *r, char *buf, size_t size)
{
	frc_info_t in;

	frc_reader_get_info(r, &in);
	if (in.header_length == 0 || in.other_slot >= 0)
		return NULL; /* not open, or the other copy is fine */
	snprintf(buf, size, "superblock copy %c is damaged (%s); copy %c was "
		 "used", in.slot_used ? 'A' : 'B',
		 frc_error_name(in.other_slot_error), in.slot_used ? 'B' : 'A');
	return buf;
}

static int run_check(const char *path, struct check_state *cs, struct out *o)
{
	struct tool_progress pr;
	frc_reader_t *r;
	uint64_t count = 0;
	char warn[160];
	const char *w;
	int rc, code;

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
	w = rc == FRC_OK || cs->t.salvage ? slot_warning(r, warn, sizeof(warn))
					  : NULL;
	if (o) {
		out_uint(o, "problem_count", count);
		out_list(o, "warnings");
		if (w)
			out_str(o, NULL, w);
		out_end(o);
		out_str(o, "result", result_name(code));
		out_uint(o, "exit_code", (uint64_t)code);
	} else if (!cs->t.quiet) {
		if (count > MAX_LISTED)
			tool_err("... %" PRIu64 " problems in all", count);
		if (w)
			printf("warning: %s\n", w);
		printf("%s: %s\n", path,
		       rc == FRC_OK ? "no errors found" : frc_error_name(rc));
	}
	frc_reader_free(r);
	return code;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct check_state cs;
	struct out *o = NULL;
	int c, code;

	memset(&cs, 0, sizeof(cs));
	tool_opts_init(&cs.t);
	while ((c = getopt_long(argc, argv, TOOL_COMMON_SHORTOPTS, longopts,
				NULL)) != -1)
		if (tool_common_opt(c, optarg, &cs.t, check_usage) != 1)
			goto usage;
	if (optind != argc - 1)
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
	return code;
usage:
	fputs(check_usage, stderr);
	return EXIT_CHECK_FAILED;
}
