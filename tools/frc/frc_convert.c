/*
 * frc_convert.c - `frc convert`: an FRC file rewritten with its regions
 * compressed (--compress) or uncompressed, every page and section verified
 * on the way, under the output policy of every frc command (a temporary
 * file renamed into place; the input is never touched). Memory: a 4 MiB
 * buffer per CPU, whatever the file's size.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "frc_tool.h"
#include "outfile.h"

static void convert_usage(FILE *f)
{
	fputs("usage: frc convert [--compress[=LEVEL]] [--frame=SIZE] [-f] [-q]\n"
	      "                   [--progress] IN.frc OUT.frc\n"
	      "\n"
	      "Writes IN.frc again as OUT.frc, its regions stored in Zstandard\n"
	      "frames (--compress, format 1.2) or uncompressed (the default),\n"
	      "every page and section verified as it is copied. Regions, their\n"
	      "ids and page sizes, sections, metadata and the creation time are\n"
	      "kept; OUT.frc gets a new UUID. The content identity (format 1.3)\n"
	      "is kept when IN.frc has one: the same root, and its signatures,\n"
	      "which stay valid; --digest=none writes a 1.2 file without them.\n"
	      "A snapshot on a base (format 1.3) is written whole: OUT.frc holds\n"
	      "every page and needs no base (frc flatten), or with --base=FILE\n"
	      "only what differs from FILE's pages.\n"
	      "\n"
	      "  --compress[=LEVEL]  compress (level 1-22, default 3)\n"
	      "  --digest[=sha256|none]  record the content identity, or not\n"
	      "                      (default: as IN.frc)\n"
	      "  --frame=SIZE        bytes per frame, a power of two up to 16M\n"
	      "                      (default 64K)\n"
	      "  -f, --force         replace OUT.frc if it exists\n"
	      "  -p, --progress      show progress (default: on a terminal)\n"
	      "  -q, --quiet         print nothing but errors\n",
	      f);
}

/* Progress over the regions: bytes of the regions before this one, and
 * of all of them. */
struct conv_progress {
	struct tool_progress tp;
	uint64_t done, total;
};

static int region_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct conv_progress *cp = ctx;

	(void)total;
	return tool_progress_cb(&cp->tp, cp->done + done, cp->total);
}

/* Every page region i holds, verified, on every CPU (libfrc copies in
 * 4 MiB chunks: the leaves the reader verified are the writer's). */
static int copy_region(frc_reader_t *r, frc_writer_t *w, uint32_t i,
		       struct conv_progress *cp)
{
	frc_region_info_t g;

	if (frc_reader_region(r, i, &g, sizeof(g)))
		return -1;
	if (frc_writer_copy_region(w, i, r, i, 0, region_progress, cp)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	cp->done += g.used_length;
	return 0;
}

struct section_copy {
	frc_writer_t *w;
	char why[512]; /* the writer's message when it failed */
};

static int append_piece(void *ctx, const void *data, size_t len,
			uint64_t offset)
{
	struct section_copy *c = ctx;

	(void)offset;
	if (frc_writer_section_append(c->w, data, len) == FRC_OK)
		return 0;
	/* kept now: the reader's "stopped" that follows is not the reason */
	snprintf(c->why, sizeof(c->why), "%s", frc_writer_errmsg(c->w));
	return 1;
}

/* Sections as they are (verified), metadata item by item. */
static int copy_sections(frc_reader_t *r, frc_writer_t *w, int digest)
{
	struct section_copy c = { w, "" };

	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;
		int rc;

		if (frc_reader_section(r, i, &s, sizeof(s)))
			return -1;
		/* metadata item by item; digests recomputed by the writer;
		 * signatures kept where the copy has digests (same content,
		 * same root: they stay valid) */
		if (s.type == FRC_SECTION_METADATA ||
		    s.type == FRC_SECTION_DIGESTS ||
		    s.type == FRC_SECTION_BASE ||
		    (s.type == FRC_SECTION_SIGNATURE && !digest))
			continue;
		if (frc_writer_section_begin(w, s.type, s.flags,
					     *s.name ? s.name : NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
		rc = frc_reader_read_section_stream(r, i, append_piece, &c);
		if (rc != FRC_OK) {
			tool_err("%s", c.why[0] ? c.why : frc_reader_errmsg(r));
			return -1;
		}
		if (frc_writer_section_end(w)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
	}
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		if (frc_reader_metadata_item(r, i, &k, &v) ||
		    frc_writer_set_metadata(w, k, v)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
	}
	return 0;
}

static int convert(frc_reader_t *r, frc_writer_t *w, int fd, const char *out,
		   const struct tool_compress *z, int digest,
		   struct conv_progress *cp)
{
	frc_writer_options_t o;
	frc_info_t in;
	uint64_t total = 0;
	int rc = -1;

	frc_reader_get_info(r, &in, sizeof(in));
	memset(&o, 0, sizeof(o));
	o.alignment = in.alignment;
	o.have_create_time = in.create_time_ns != 0;
	o.create_time_ns = in.create_time_ns;
	o.generator = "frc convert " FRC_LIB_VERSION_STRING;
	/* the content identity follows the input unless asked otherwise */
	if (digest < 0) {
		uint8_t root[FRC_ROOT_SIZE];

		digest = frc_reader_content_root(r, root) == FRC_OK;
	}
	o.digest = digest ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	if (frc_writer_open_fd(w, fd, out, &o, sizeof(o))) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	for (uint32_t i = 0; i < in.region_count; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		total += g.used_length;
		if (frc_writer_add_region(w, g.id, g.used_length, g.page_size,
					  NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
		if (g.page_count && tool_set_compression(w, i, z))
			return -1;
	}
	if (tool_set_base(w, z))
		return -1;
	cp->total = total;
	rc = 0;
	for (uint32_t i = 0; i < in.region_count && !rc; i++)
		rc = copy_region(r, w, i, cp);
	if (!rc)
		rc = copy_sections(r, w, o.digest != FRC_DIGEST_NONE);
	if (!rc && frc_writer_commit(w, NULL, NULL)) {
		tool_err("%s", frc_writer_errmsg(w));
		rc = -1;
	}
	return rc;
}

/* frc flatten: a chain of snapshots written as one file, the same
 * content root (convert does it; flatten names it and takes no --base). */
int cmd_flatten(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs("usage: frc flatten [--compress[=LEVEL]] [-f] [-q] "
			      "IN.frc OUT.frc\n"
			      "\n"
			      "Writes a snapshot on a base (format 1.3) and its "
			      "chain of bases\n"
			      "as one file: every page, verified through the "
			      "chain, the same\n"
			      "content root and signatures, no base. The options "
			      "are those of\n"
			      "frc convert (frc convert --help).\n", stdout);
			return 0;
		}
		if (!strncmp(argv[i], "--base", 6)) {
			tool_err("flatten writes the whole guest into one file: "
				 "--base is for convert");
			return 1;
		}
	}
	return cmd_convert(argc, argv);
}

int cmd_convert(int argc, char **argv)
{
	static const struct option longopts[] = {
		TOOL_COMPRESS_LONGOPTS,
		{ "force", no_argument, NULL, 'f' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool_compress z = { 0, 3, 0, -1, NULL };
	struct conv_progress cp = { .done = 0 };
	struct outfile of;
	const char *inputs[2] = { NULL, NULL };
	frc_reader_t *r = NULL;
	frc_writer_t *w;
	int c, force = 0, quiet = 0, progress = -1, rc;

	while ((c = getopt_long(argc, argv, "fpqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'Z':
		case 'F':
		case 'B':
		case 'G':
			if (tool_compress_opt(c, optarg, &z))
				return 1;
			break;
		case 'f': force = 1; break;
		case 'p': progress = 1; break;
		case 'q': quiet = 1; progress = 0; break;
		case 'h': convert_usage(stdout); return 0;
		default: convert_usage(stderr); return 1;
		}
	}
	if (optind != argc - 2) {
		convert_usage(stderr);
		return 1;
	}
	inputs[0] = argv[optind];
	if (tool_open(&r, argv[optind], 0, 0))
		return 1;
	if (outfile_open(&of, argv[optind + 1], force, OUT_SEEKABLE, inputs)) {
		frc_reader_free(r);
		return 1;
	}
	tool_progress_init(&cp.tp, progress, "converting");
	w = frc_writer_new();
	rc = w ? convert(r, w, of.fd, argv[optind + 1], &z, z.digest, &cp) : -1;
	tool_progress_done(&cp.tp);
	frc_writer_free(w);
	if (rc == 0)
		rc = outfile_commit(&of);
	outfile_abort(&of); /* nothing is left of a failed conversion */
	if (!rc && !quiet)
		fprintf(stderr, "frc: %s written %s\n", argv[optind + 1],
			z.on ? "in compressed frames" : "uncompressed");
	frc_reader_free(r);
	return rc ? 1 : 0;
}
