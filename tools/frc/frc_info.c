/*
 * frc_info.c - `frc info`: what a container holds, for people (human) and
 * for programs (--output=json|yaml, fields documented in frc-info(1)).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frc_tool.h"

static const char *const kinds[] = { "incompat", "ro_compat", "compat" };

static const char info_usage[] =
	"usage: frc info [--output=human|json|yaml] [--salvage] FILE\n"
	"\n"
	"Shows the format version, features, UUID, times, generator, state,\n"
	"regions and sections of an FRC container. Reads no page data.\n"
	"  --output=FORMAT  human (default), json or yaml (see frc-info(1))\n"
	"  --salvage        also show an incomplete or damaged file\n";

static const char *slot_state(int s)
{
	return s > 0 ? "intact" : s == 0 ? "empty" : "damaged";
}

/* ---- machine-readable ---- */

/* The base (format 1.3): its root, the file used, the chain's depth. */
static void emit_base(struct out *o, const frc_reader_t *r)
{
	frc_base_info_t b;
	char hex[2 * FRC_ROOT_SIZE + 1];

	if (frc_reader_base(r, &b, sizeof(b)) != FRC_OK) {
		out_null(o, "base");
		return;
	}
	tool_hex(b.root, FRC_ROOT_SIZE, hex);
	out_map(o, "base");
	out_str(o, "root", hex);
	out_str(o, "path", b.path);
	out_uint(o, "depth", b.depth);
	out_end(o);
}

/* The content identity (format 1.3): root and signatures, or null. */
static void emit_identity(struct out *o, const frc_reader_t *r)
{
	uint8_t root[FRC_ROOT_SIZE];
	char hex[2 * FRC_ROOT_SIZE + 1];

	emit_base(o, r);
	if (frc_reader_content_root(r, root) != FRC_OK) {
		out_null(o, "content");
		return;
	}
	tool_hex(root, FRC_ROOT_SIZE, hex);
	out_map(o, "content");
	out_str(o, "algorithm", "sha256");
	out_str(o, "root", hex);
	out_list(o, "signatures");
	for (uint32_t i = 0; i < frc_reader_signature_count(r); i++) {
		frc_signature_info_t g;

		frc_reader_signature(r, i, &g, sizeof(g));
		out_map(o, NULL);
		out_uint(o, "section", g.section);
		out_str(o, "algorithm", g.algorithm == 1 ? "ed25519" : "unknown");
		tool_hex(g.public_key, FRC_KEY_SIZE, hex);
		out_str(o, "public_key", hex);
		tool_hex(g.root, FRC_ROOT_SIZE, hex);
		out_str(o, "root", hex);
		out_end(o);
	}
	out_end(o);
	out_end(o);
}

static void emit_features(struct out *o, const frc_reader_t *r,
			  const frc_info_t *in)
{
	uint64_t masks[] = { in->incompat, in->ro_compat, in->compat };
	uint64_t unknown[] = { in->unknown_incompat, in->unknown_ro_compat,
			       in->unknown_compat };

	out_map(o, "features");
	for (int k = 0; k < 3; k++) {
		out_list(o, kinds[k]);
		for (unsigned b = 0; b < 64; b++) {
			if (!(masks[k] & (UINT64_C(1) << b)))
				continue;
			out_map(o, NULL);
			out_uint(o, "bit", b);
			out_str(o, "name", frc_reader_feature_name(r, k, b));
			out_bool(o, "known", !(unknown[k] & (UINT64_C(1) << b)));
			out_end(o);
		}
		out_end(o);
	}
	out_end(o);
}

/* How region i is stored; the storage zeroed (and a warning) on failure. */
static void storage_of(const frc_reader_t *r, uint32_t i,
		       frc_region_storage_t *st)
{
	if (frc_reader_region_storage((frc_reader_t *)r, i, st, sizeof(*st))) {
		tool_err("%s", frc_reader_errmsg(r));
		memset(st, 0, sizeof(*st));
	}
}

static void emit_regions(struct out *o, const frc_reader_t *r)
{
	out_list(o, "regions");
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		frc_region_storage_t st;

		frc_reader_region(r, i, &g, sizeof(g));
		storage_of(r, i, &st);
		out_map(o, NULL);
		out_uint(o, "index", i);
		out_str(o, "id", g.id);
		out_uint(o, "used_length", g.used_length);
		out_uint(o, "page_size", g.page_size);
		out_uint(o, "page_count", g.page_count);
		out_bool(o, "bitmap_valid", g.bitmap_valid);
		if (g.bitmap_valid) {
			out_uint(o, "present_pages", g.present_pages);
			out_uint(o, "base_pages", g.base_pages);
			out_uint(o, "zero_pages", g.page_count - g.present_pages -
							 g.base_pages);
			out_uint(o, "data_bytes", g.present_pages * g.page_size);
		} else {
			out_null(o, "present_pages");
			out_null(o, "zero_pages");
			out_null(o, "data_bytes");
		}
		out_uint(o, "pages_offset", g.pages_offset);
		out_uint(o, "bitmap_offset", g.bitmap_offset);
		out_uint(o, "checksum_table_offset", g.checksum_table_offset);
		out_str(o, "compression", g.compression ? "zstd" : "none");
		if (g.compression) {
			out_uint(o, "frame_pages", g.frame_pages);
			out_uint(o, "frame_table_offset", g.frame_table_offset);
			out_uint(o, "compressed_frames", st.compressed_frames);
			out_uint(o, "raw_frames", st.raw_frames);
			out_uint(o, "absent_frames", st.absent_frames);
		}
		out_uint(o, "stored_bytes", st.stored_bytes);
		out_uint(o, "allocated_bytes", st.allocated_bytes);
		out_end(o);
	}
	out_end(o);
}

static void emit_sections(struct out *o, const frc_reader_t *r)
{
	out_list(o, "sections");
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		out_map(o, NULL);
		out_uint(o, "index", i);
		out_uint(o, "type", s.type);
		out_str(o, "type_name", tool_section_type_name(s.type));
		out_str(o, "name", s.name);
		out_uint(o, "flags", s.flags);
		out_bool(o, "must_understand",
			 (s.flags & FRC_SECTION_MUST_UNDERSTAND) != 0);
		out_uint(o, "offset", s.offset);
		out_uint(o, "length", s.length);
		out_end(o);
	}
	out_end(o);
	out_map(o, "metadata");
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		out_str(o, k, v);
	}
	out_end(o);
}

static void emit_info(struct out *o, const char *path, const frc_reader_t *r)
{
	frc_info_t in;
	char uuid[37], t[64], ver[16];

	frc_reader_get_info(r, &in, sizeof(in));
	tool_format_uuid(in.uuid, uuid);
	snprintf(ver, sizeof(ver), "%u.%u", in.version_major, in.version_minor);
	out_str(o, "file", path);
	out_str(o, "format_version", ver);
	out_uint(o, "header_length", in.header_length);
	out_str(o, "state", in.complete ? "complete" : "incomplete");
	out_bool(o, "read_only", in.read_only);
	out_str(o, "uuid", uuid);
	out_str(o, "create_time", tool_format_time(in.create_time_ns, t, sizeof(t)));
	out_uint(o, "create_time_ns", in.create_time_ns);
	out_str(o, "commit_time", tool_format_time(in.commit_time_ns, t, sizeof(t)));
	out_uint(o, "commit_time_ns", in.commit_time_ns);
	out_str(o, "generator", in.generator);
	out_str(o, "checksum_algorithm",
		in.checksum_algorithm == FRC_CSUM_XXH3_64 ? "xxh3-64" : "unknown");
	out_uint(o, "data_alignment", in.alignment);
	out_uint(o, "file_length", in.file_length);
	out_map(o, "superblock");
	out_str(o, "current", in.slot_used ? "B" : "A");
	out_uint(o, "sequence", in.sequence);
	out_str(o, "other", slot_state(in.other_slot));
	out_end(o);
	emit_features(o, r, &in);
	emit_identity(o, r);
	emit_regions(o, r);
	emit_sections(o, r);
}

/* ---- human ---- */

static void print_identity(const frc_reader_t *r)
{
	uint8_t root[FRC_ROOT_SIZE];
	char hex[2 * FRC_ROOT_SIZE + 1];
	frc_base_info_t b;

	if (frc_reader_base(r, &b, sizeof(b)) == FRC_OK) {
		tool_hex(b.root, FRC_ROOT_SIZE, hex);
		printf("base:        %s (%u base%s in the chain), root %s\n",
		       tool_esc(b.path), b.depth, b.depth == 1 ? "" : "s",
		       hex);
	}
	if (frc_reader_content_root(r, root) != FRC_OK) {
		printf("content:     no content digests\n");
		return;
	}
	tool_hex(root, FRC_ROOT_SIZE, hex);
	printf("content:     sha256 root %s\n", hex);
	for (uint32_t i = 0; i < frc_reader_signature_count(r); i++) {
		frc_signature_info_t g;

		frc_reader_signature(r, i, &g, sizeof(g));
		tool_hex(g.public_key, FRC_KEY_SIZE, hex);
		printf("  signed     %s key %s%s (section %u)\n",
		       g.algorithm == 1 ? "ed25519" : "unknown-algorithm", hex,
		       memcmp(g.root, root, FRC_ROOT_SIZE) ? ", OTHER ROOT" : "",
		       g.section);
	}
}

static void print_features(const frc_reader_t *r, const frc_info_t *in)
{
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
	char a[32], b[32], c[32];

	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		frc_region_storage_t st;

		frc_reader_region(r, i, &g, sizeof(g));
		storage_of(r, i, &st);
		printf("  [%u] '%s'\n"
		       "      size %s (%" PRIu64 " bytes), page size %u, "
		       "%" PRIu64 " pages\n",
		       i, tool_esc(g.id),
		       tool_human_size(g.used_length, a, sizeof(a)),
		       g.used_length, g.page_size, g.page_count);
		if (g.bitmap_valid)
			printf("      present %" PRIu64 ", zero %" PRIu64
			       ", data %s, on disk %s\n",
			       g.present_pages,
			       g.page_count - g.present_pages - g.base_pages,
			       tool_human_size(g.present_pages * g.page_size, b,
					       sizeof(b)),
			       tool_human_size(st.allocated_bytes, c,
					       sizeof(c)));
		else
			printf("      presence unknown (no valid bitmap)\n");
		if (g.base_pages)
			printf("      from the base %" PRIu64 " (%s)\n",
			       g.base_pages,
			       tool_human_size(g.base_pages * g.page_size, a,
					       sizeof(a)));
		if (g.compression)
			printf("      zstd frames of %u pages: %" PRIu64
			       " compressed, %" PRIu64 " raw, %" PRIu64
			       " absent; %s stored (%.1f%% of the data)\n",
			       g.frame_pages, st.compressed_frames,
			       st.raw_frames, st.absent_frames,
			       tool_human_size(st.stored_bytes, a, sizeof(a)),
			       g.present_pages ? 100.0 * (double)st.stored_bytes /
							 (double)(g.present_pages *
								  g.page_size)
					       : 0.0);
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

		frc_reader_section(r, i, &s, sizeof(s));
		printf("  [%u] %s (type %u)%s%s%s, %" PRIu64 " bytes at 0x%"
		       PRIx64 "%s\n",
		       i, tool_section_type_name(s.type), s.type,
		       *s.name ? " '" : "", tool_esc(s.name), *s.name ? "'" : "",
		       s.length, s.offset,
		       (s.flags & FRC_SECTION_MUST_UNDERSTAND) ? ", must understand"
							       : "");
	}
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		printf("%s  %s = %s\n", i ? "" : "metadata:\n", k,
		       tool_esc(v));
	}
}

static void print_info(const char *path, const frc_reader_t *r)
{
	frc_info_t in;
	char uuid[37], t[64], sz[32];
	const char *ts;

	frc_reader_get_info(r, &in, sizeof(in));
	tool_format_uuid(in.uuid, uuid);
	printf("file:        %s\n", tool_esc(path));
	printf("format:      FRC %u.%u (superblock %u bytes)\n",
	       in.version_major, in.version_minor, in.header_length);
	printf("state:       %s%s\n",
	       in.complete ? "complete" : "INCOMPLETE (interrupted save)",
	       in.read_only && in.complete ? ", read-only (unknown ro-compat "
					      "features)" : "");
	printf("uuid:        %s\n", uuid);
	ts = tool_format_time(in.create_time_ns, t, sizeof(t));
	printf("created:     %s\n", ts ? ts : "not recorded");
	ts = tool_format_time(in.commit_time_ns, t, sizeof(t));
	printf("committed:   %s\n", ts ? ts : "not recorded");
	printf("generator:   %s\n",
	       *in.generator ? tool_esc(in.generator) : "(none)");
	printf("checksums:   %s\n",
	       in.checksum_algorithm == FRC_CSUM_XXH3_64 ? "xxh3-64" : "?");
	printf("alignment:   %u\n", in.alignment);
	printf("length:      %" PRIu64 " bytes (%s)\n", in.file_length,
	       tool_human_size(in.file_length, sz, sizeof(sz)));
	printf("superblock:  copy %c, sequence %" PRIu64 "; copy %c %s\n",
	       in.slot_used ? 'B' : 'A', in.sequence, in.slot_used ? 'A' : 'B',
	       in.other_slot < 0 ? "DAMAGED" : slot_state(in.other_slot));
	printf("features:\n");
	print_features(r, &in);
	print_identity(r);
	printf("regions:     %u\n", in.region_count);
	print_regions(r);
	printf("sections:    %u\n", in.section_count);
	print_sections(r);
}

void tool_info_report(FILE *fp, enum out_format f, const char *path,
		      const frc_reader_t *r, char warn[][400], int nw)
{
	struct out *o = out_new(f, fp);

	emit_info(o, path, r);
	out_list(o, "warnings");
	for (int i = 0; i < nw; i++)
		out_str(o, NULL, warn[i]);
	out_end(o);
	out_finish(o);
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct tool_opts t;
	frc_reader_t *r;
	char warn[4][400];
	int c, rc, nw = 0;

	tool_opts_init(&t);
	while ((c = getopt_long(argc, argv, TOOL_COMMON_SHORTOPTS, longopts,
				NULL)) != -1)
		if (tool_common_opt(c, optarg, &t, info_usage) != 1)
			goto usage;
	if (optind != argc - 1)
		goto usage;
	rc = tool_open(&r, argv[optind], t.salvage ? FRC_OPEN_SALVAGE : 0, 0);
	if (rc == FRC_OK)
		nw = tool_warnings(r, argv[optind], warn, 4);
	for (int i = 0; i < nw && !t.quiet; i++)
		tool_err("warning: %s", warn[i]);
	if (rc == FRC_OK && t.format == OUT_HUMAN)
		print_info(argv[optind], r);
	else if (rc == FRC_OK)
		tool_info_report(stdout, t.format, argv[optind], r, warn, nw);
	frc_reader_free(r);
	return rc ? 1 : 0;
usage:
	fputs(info_usage, stderr);
	return 1;
}
