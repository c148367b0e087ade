/*
 * frc_info.c - `frc info` (what a container holds) and `frc check`
 * (verify every checksum and structural rule).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frc_tool.h"

#define MAX_LISTED 100 /* damaged pages listed one by one by check */

static const char *section_type_name(uint32_t type)
{
	switch (type) {
	case FRC_SECTION_DEVICE_STATE: return "device-state";
	case FRC_SECTION_METADATA: return "metadata";
	default: return "unknown";
	}
}

static void format_uuid(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[u[i] >> 4];
		out[k++] = hex[u[i] & 15];
	}
	out[k] = '\0';
}

static const char *format_time(uint64_t ns, char *buf, size_t size)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (ns == 0 || !gmtime_r(&s, &tm))
		return "not recorded";
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void print_features(const frc_reader_t *r, const frc_info_t *in)
{
	static const char *kinds[] = { "incompat", "ro-compat", "compat" };
	uint64_t masks[] = { in->incompat, in->ro_compat, in->compat };
	char names[512];

	for (int k = 0; k < 3; k++)
		printf("  %-10s %s\n", kinds[k],
		       masks[k] ? frc_reader_feature_names(r, k, masks[k], names,
							   sizeof(names))
				: "none");
}

static void print_regions(const frc_reader_t *r)
{
	char a[32], b[32];

	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
		printf("  [%u] '%s'\n"
		       "      size %s (%" PRIu64 " bytes), page size %u, "
		       "%" PRIu64 " pages\n",
		       i, g.id, tool_human_size(g.used_length, a, sizeof(a)),
		       g.used_length, g.page_size, g.page_count);
		if (g.bitmap_valid)
			printf("      present %" PRIu64 ", zero %" PRIu64
			       ", data on disk %s\n",
			       g.present_pages, g.page_count - g.present_pages,
			       tool_human_size(g.present_pages * g.page_size, b,
					       sizeof(b)));
		else
			printf("      presence unknown (no valid bitmap)\n");
		printf("      pages at 0x%" PRIx64 ", bitmap at 0x%" PRIx64
		       ", checksums at 0x%" PRIx64 "\n",
		       g.pages_offset, g.bitmap_offset,
		       g.checksum_table_offset);
	}
}

static void print_sections(const frc_reader_t *r)
{
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s);
		printf("  [%u] %s (type %u)%s%s%s, %" PRIu64 " bytes at 0x%"
		       PRIx64 "%s\n",
		       i, section_type_name(s.type), s.type,
		       *s.name ? " '" : "", s.name, *s.name ? "'" : "",
		       s.length, s.offset,
		       (s.flags & FRC_SECTION_MUST_UNDERSTAND) ? ", must understand"
							       : "");
	}
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		printf("%s  %s = %s\n", i ? "" : "metadata:\n", k, v);
	}
}

static void print_info(const char *path, const frc_reader_t *r)
{
	frc_info_t in;
	char uuid[37], t1[64], t2[64], sz[32];

	frc_reader_get_info(r, &in);
	format_uuid(in.uuid, uuid);
	printf("file:        %s\n", path);
	printf("format:      FRC %u.%u (superblock %u bytes)\n",
	       in.version_major, in.version_minor, in.header_length);
	printf("state:       %s%s\n",
	       in.complete ? "complete" : "INCOMPLETE (interrupted save)",
	       in.read_only && in.complete ? ", read-only (unknown ro-compat "
					      "features)" : "");
	printf("uuid:        %s\n", uuid);
	printf("created:     %s\n", format_time(in.create_time_ns, t1, sizeof(t1)));
	printf("committed:   %s\n", format_time(in.commit_time_ns, t2, sizeof(t2)));
	printf("generator:   %s\n", *in.generator ? in.generator : "(none)");
	printf("checksums:   %s\n",
	       in.checksum_algorithm == FRC_CSUM_XXH3_64 ? "xxh3-64" : "?");
	printf("alignment:   %u\n", in.alignment);
	printf("length:      %" PRIu64 " bytes (%s)\n", in.file_length,
	       tool_human_size(in.file_length, sz, sizeof(sz)));
	printf("superblock:  copy %c, sequence %" PRIu64 "; copy %c %s\n",
	       in.slot_used ? 'B' : 'A', in.sequence, in.slot_used ? 'A' : 'B',
	       in.other_slot > 0 ? "intact" : in.other_slot == 0 ? "empty"
								 : "DAMAGED");
	printf("features:\n");
	print_features(r, &in);
	printf("regions:     %u\n", in.region_count);
	print_regions(r);
	printf("sections:    %u\n", in.section_count);
	print_sections(r);
}

struct common_args {
	unsigned open_flags;
	struct tool_opts t;
	const char *path;
};

static int parse_common(int argc, char **argv, struct common_args *a,
			int allow_salvage, const char *usage)
{
	static const struct option longopts[] = {
		{ "salvage", no_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->t.progress = -1;
	while ((c = getopt_long(argc, argv, "pqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (!allow_salvage)
				goto bad;
			a->open_flags |= FRC_OPEN_SALVAGE;
			break;
		case 'p': a->t.progress = 1; break;
		case 'q': a->t.quiet = 1; a->t.progress = 0; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind != argc - 1)
		goto bad;
	a->path = argv[optind];
	return 0;
bad:
	fputs(usage, stderr);
	return -1;
}

int cmd_info(int argc, char **argv)
{
	static const char usage[] =
		"usage: frc info [--salvage] FILE\n"
		"\n"
		"Shows the format version, features, UUID, times, generator, state,\n"
		"regions and sections of an FRC container. Reads no page data.\n"
		"  --salvage   also show an incomplete or damaged file\n";
	struct common_args a;
	frc_reader_t *r;
	int rc;

	memset(&a, 0, sizeof(a));
	if (parse_common(argc, argv, &a, 1, usage))
		return 1;
	r = frc_reader_new();
	if (!r) {
		tool_err("out of memory");
		return 1;
	}
	rc = frc_reader_open(r, a.path, a.open_flags);
	if (rc)
		tool_err("%s", frc_reader_errmsg(r));
	else
		print_info(a.path, r);
	frc_reader_free(r);
	return rc ? 1 : 0;
}

/* Lists every damaged page after a failed fast verification. */
static uint64_t list_damage(frc_reader_t *r, int quiet)
{
	uint64_t damaged = 0;
	uint8_t *buf = malloc(FRC_PAGE_SIZE_MAX);

	if (!buf)
		return 0;
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
		for (uint64_t p = 0; p < g.page_count; p++) {
			int rc;

			if (!frc_reader_page_present(r, i, p))
				continue;
			rc = frc_reader_read_page(r, i, p, buf);
			if (rc == FRC_OK)
				continue;
			damaged++;
			if (!quiet && damaged <= MAX_LISTED)
				fprintf(stderr, "frc: %s\n", frc_reader_errmsg(r));
			if (rc != FRC_E_CHECKSUM || strstr(frc_reader_errmsg(r),
							   "checksum table"))
				break; /* the table itself is bad: once */
		}
	}
	if (!quiet && damaged > MAX_LISTED)
		fprintf(stderr, "frc: ... %" PRIu64 " damaged pages in all\n",
			damaged);
	free(buf);
	return damaged;
}

static int salvage_report(frc_reader_t *r, int quiet)
{
	frc_info_t in;
	uint8_t *buf = malloc(FRC_PAGE_SIZE_MAX);
	int worst = FRC_OK;

	frc_reader_get_info(r, &in);
	if (!in.complete)
		worst = FRC_E_INCOMPLETE;
	for (uint32_t i = 0; buf && i < in.region_count; i++) {
		uint64_t good = 0, bad = 0, unknown = 0, zero = 0;
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
		for (uint64_t p = 0; p < g.page_count; p++) {
			int rc = frc_reader_page_present(r, i, p)
					 ? frc_reader_read_page(r, i, p, buf)
					 : (zero++, -1);

			if (rc == FRC_OK)
				good++;
			else if (rc == FRC_E_CHECKSUM)
				bad++;
			else if (rc > 0)
				unknown++;
		}
		if (bad && worst == FRC_OK)
			worst = FRC_E_CHECKSUM;
		if (!quiet)
			printf("region '%s': %" PRIu64 " verified, %" PRIu64
			       " zero, %" PRIu64 " damaged, %" PRIu64
			       " unverifiable\n",
			       g.id, good, zero, bad, unknown);
	}
	free(buf);
	return worst;
}

int cmd_check(int argc, char **argv)
{
	static const char usage[] =
		"usage: frc check [--salvage] [-p] [-q] FILE\n"
		"\n"
		"Verifies every structure and every checksum of an FRC container.\n"
		"Exit status: 0 consistent, 1 could not complete, 2 corruption\n"
		"found, 3 incomplete (interrupted save), 63 unsupported version or\n"
		"feature.\n"
		"  --salvage      report what is still readable in a damaged or\n"
		"                 incomplete file\n"
		"  -p, --progress show progress (default: when stderr is a tty)\n"
		"  -q, --quiet    print nothing, only set the exit status\n";
	struct common_args a;
	struct tool_progress pr;
	frc_reader_t *r;
	frc_info_t in;
	int rc;

	memset(&a, 0, sizeof(a));
	if (parse_common(argc, argv, &a, 1, usage))
		return EXIT_CHECK_FAILED;
	r = frc_reader_new();
	if (!r) {
		tool_err("out of memory");
		return EXIT_CHECK_FAILED;
	}
	rc = frc_reader_open(r, a.path, a.open_flags);
	if (rc == FRC_OK && (a.open_flags & FRC_OPEN_SALVAGE)) {
		rc = salvage_report(r, a.t.quiet);
	} else if (rc == FRC_OK) {
		tool_progress_init(&pr, a.t.progress, "check");
		rc = frc_reader_verify(r, tool_progress_cb, &pr);
		tool_progress_done(&pr);
		if (rc == FRC_E_CHECKSUM)
			list_damage(r, a.t.quiet);
		else if (rc && !a.t.quiet)
			tool_err("%s", frc_reader_errmsg(r));
	} else if (!a.t.quiet) {
		tool_err("%s", frc_reader_errmsg(r));
	}
	if (!a.t.quiet && (rc == FRC_OK || (a.open_flags & FRC_OPEN_SALVAGE))) {
		frc_reader_get_info(r, &in);
		if (in.other_slot < 0)
			printf("warning: superblock copy %c is damaged (%s); "
			       "copy %c was used\n", in.slot_used ? 'A' : 'B',
			       frc_error_name(in.other_slot_error),
			       in.slot_used ? 'B' : 'A');
	}
	if (!a.t.quiet)
		printf("%s: %s\n", a.path,
		       rc == FRC_OK ? "no errors found"
				    : frc_error_name(rc));
	frc_reader_free(r);
	return tool_check_exit_code(rc);
}
