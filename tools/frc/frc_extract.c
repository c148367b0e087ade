/*
 * frc_extract.c - `frc extract`: write regions out as raw memory images
 * (sparse where pages are absent) and sections as files, verifying every
 * checksum on the way. Region ids and section names never become paths as
 * they are: they are mapped to safe file names (and the mapping is said).
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
#include "outfile.h"

#define WRITE_CHUNK (8u << 20)

static const char extract_usage[] =
	"usage: frc extract [OPTIONS] FILE -C DIR\n"
	"       frc extract [OPTIONS] FILE --region NAME -o OUT\n"
	"       frc extract [OPTIONS] FILE --section INDEX -o OUT\n"
	"\n"
	"Writes every region of FILE as a raw image DIR/ID.img (sparse where\n"
	"pages are absent), every section as DIR/section-N-TYPE[-NAME].bin and\n"
	"the metadata as DIR/metadata.json; or one region or section to OUT\n"
	"('-' for standard output). Every checksum is verified on the way.\n"
	"Ids are mapped to safe file names; a changed name is reported.\n"
	"  -C, --directory DIR  extract everything into DIR (created if needed)\n"
	"  -r, --region NAME    extract one region (id, or #N for number N)\n"
	"  -s, --section INDEX  extract one section\n"
	"  -o, --out OUT        where --region or --section goes\n"
	"  -f, --force          overwrite existing output files\n"
	"  -p, --progress       show progress (default: when stderr is a tty)\n"
	"  -q, --quiet          print nothing but errors\n";

struct extract_args {
	struct tool_opts t;
	const char *file, *dir, *region, *out;
	long section;
	int force;
	uint64_t done, total;
	struct tool_progress pr;
};

/*
 * Copies region idx to the output, verified. Runs of present pages are
 * read and written in pieces of up to 8 MiB; absent pages stay holes in a
 * regular file (sized first) and are written as zeros to a stream.
 */
static int copy_region(frc_reader_t *r, uint32_t idx, struct outfile *o,
		       struct extract_args *a)
{
	frc_region_info_t g;
	uint8_t *buf;
	uint64_t per, pos = 0, first, count;
	int rc = 0;

	frc_reader_region(r, idx, &g, sizeof(g));
	per = g.page_size >= WRITE_CHUNK ? 1 : WRITE_CHUNK / g.page_size;
	buf = malloc(per * g.page_size);
	if (!buf) {
		tool_err("out of memory");
		return -1;
	}
	if (o->regular && ftruncate(o->fd, (off_t)g.used_length) != 0) {
		tool_err("cannot write '%s': %s", o->name, strerror(errno));
		free(buf);
		return -1;
	}
	while (rc == 0 && pos < g.page_count) {
		if (frc_reader_next_run(r, idx, pos, &first, &count))
			break;
		/* absent pages up to the run (or to the end) */
		for (uint64_t p = pos; !o->regular && p < first && rc == 0;) {
			uint64_t n = first - p < per ? first - p : per;

			memset(buf, 0, n * g.page_size);
			rc = outfile_write(o, buf, n * g.page_size, p * g.page_size);
			p += n;
		}
		for (uint64_t p = first; p < first + count && rc == 0;) {
			uint64_t n = first + count - p < per ? first + count - p : per;

			if (frc_reader_read_pages(r, idx, p, n, buf)) {
				tool_err("%s", frc_reader_errmsg(r));
				rc = -1;
			}
			if (rc == 0)
				rc = outfile_write(o, buf, n * g.page_size,
						   p * g.page_size);
			p += n;
			a->done += n * g.page_size;
			tool_progress_cb(&a->pr, a->done, a->total);
		}
		pos = count ? first + count : g.page_count;
	}
	free(buf);
	return rc;
}

struct piece_ctx {
	struct outfile *o;
};

static int all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* A piece of a section: zeros stay a hole in a regular file (sized first,
 * so that a section of zeros takes no space, however long). */
static int write_piece(void *ctx, const void *data, size_t len, uint64_t off)
{
	struct piece_ctx *c = ctx;

	if (c->o->regular && all_zero(data, len))
		return 0;
	return outfile_write(c->o, data, len, off);
}

/* A section, streamed (1 MiB at a time) and verified. */
static int copy_section(frc_reader_t *r, uint32_t idx, struct outfile *o)
{
	struct piece_ctx c = { o };
	frc_section_info_t s;
	int rc;

	if (frc_reader_section(r, idx, &s, sizeof(s)) != FRC_OK) {
		tool_err("%s", frc_reader_errmsg(r));
		return -1;
	}
	if (o->regular && ftruncate(o->fd, (off_t)s.length) != 0) {
		tool_err("cannot write '%s': %s", o->name, strerror(errno));
		return -1;
	}
	rc = frc_reader_read_section_stream(r, idx, write_piece, &c);

	if (rc && rc != FRC_E_CANCELED) /* canceled: the write said why */
		tool_err("%s", frc_reader_errmsg(r));
	return rc ? -1 : 0;
}

/* --region NAME -o OUT or --section N -o OUT. */
static int extract_one(frc_reader_t *r, struct extract_args *a)
{
	const char *inputs[] = { a->file, NULL };
	struct outfile o;
	uint32_t idx;
	int rc;

	if (a->region) {
		frc_region_info_t g;

		if (tool_find_region(r, a->region, &idx)) {
			tool_err("%s: no region '%s'", a->file, a->region);
			return -1;
		}
		frc_reader_region(r, idx, &g, sizeof(g));
		a->total = g.used_length;
	} else if (a->section < 0 ||
		   (uint64_t)a->section >= frc_reader_section_count(r)) {
		tool_err("%s: no section %ld", a->file, a->section);
		return -1;
	}
	if (outfile_open(&o, a->out, a->force, OUT_ANY, inputs))
		return -1;
	rc = a->region ? copy_region(r, idx, &o, a)
		       : copy_section(r, (uint32_t)a->section, &o);
	if (rc == 0)
		rc = outfile_commit(&o);
	outfile_abort(&o);
	return rc;
}

/* A name not used yet in this extraction: NAME, or NAME~2, NAME~3 ... */
static void unique_name(char names[][256], size_t n, char *name,
			const char *suffix)
{
	char base[240];
	int k = 1;

	snprintf(base, sizeof(base), "%s", name);
	for (;;) {
		size_t i;

		if (k == 1)
			snprintf(name, 256, "%s%s", base, suffix);
		else
			snprintf(name, 256, "%s~%d%s", base, k, suffix);
		for (i = 0; i < n && strcmp(names[i], name); i++)
			;
		if (i == n)
			return;
		k++;
	}
}

static int write_named(frc_reader_t *r, struct extract_args *a,
		       char names[][256], size_t *n, int is_region,
		       uint32_t idx)
{
	const char *inputs[] = { a->file, NULL };
	char safe[256], path[1024];
	const char *orig;
	frc_section_info_t s;
	frc_region_info_t g;
	struct outfile o;
	int rc, changed;

	if (is_region) {
		frc_reader_region(r, idx, &g, sizeof(g));
		orig = g.id;
		changed = tool_safe_name(orig, safe, 200);
		unique_name(names, *n, safe, ".img");
	} else {
		char label[300];

		frc_reader_section(r, idx, &s, sizeof(s));
		orig = s.name;
		snprintf(label, sizeof(label), "section-%u-%s%s%s", idx,
			 tool_section_type_name(s.type), *s.name ? "-" : "",
			 s.name);
		changed = tool_safe_name(label, safe, 200) && *s.name;
		unique_name(names, *n, safe, ".bin");
	}
	snprintf(names[(*n)++], 256, "%s", safe);
	snprintf(path, sizeof(path), "%s/%s", a->dir, safe);
	if (outfile_open(&o, path, a->force, OUT_ANY, inputs))
		return -1;
	rc = is_region ? copy_region(r, idx, &o, a) : copy_section(r, idx, &o);
	if (rc == 0)
		rc = outfile_commit(&o);
	outfile_abort(&o);
	if (rc)
		return -1;
	if (!a->t.quiet) {
		if (is_region && changed)
			printf("region '%s' -> %s (id mapped to a safe file "
			       "name)\n", tool_esc(orig), path);
		else if (is_region)
			printf("region '%s' -> %s\n", tool_esc(orig), path);
		else
			printf("section %u%s%s%s -> %s%s\n", idx,
			       *orig ? " '" : "", tool_esc(orig), *orig ? "'" : "",
			       path,
			       changed ? " (name mapped to a safe file name)"
				       : "");
	}
	return 0;
}

/* metadata.json: written to memory first (at most the 1 MiB the spec
 * allows for the metadata section, escaped), then through the policy. */
static int write_metadata(frc_reader_t *r, struct extract_args *a)
{
	const char *inputs[] = { a->file, NULL };
	char path[1024], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct outfile o;
	struct out *js;
	int rc;

	if (!f) {
		tool_err("out of memory");
		return -1;
	}
	js = out_new(OUT_JSON, f);
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		out_str(js, k, v);
	}
	out_finish(js);
	rc = fclose(f) ? -1 : 0;
	snprintf(path, sizeof(path), "%s/metadata.json", a->dir);
	if (rc == 0 && outfile_open(&o, path, a->force, OUT_ANY, inputs) == 0) {
		rc = outfile_write(&o, text, len, 0);
		if (rc == 0)
			rc = outfile_commit(&o);
		outfile_abort(&o);
	} else {
		rc = -1;
	}
	free(text);
	return rc;
}

/* -C DIR: every region, every section, the metadata. */
static int extract_all(frc_reader_t *r, struct extract_args *a)
{
	uint32_t nr = frc_reader_region_count(r), ns = frc_reader_section_count(r);
	char (*names)[256] = calloc((size_t)nr + ns + 1, 256);
	int dirfd, rc = 0;

	if (!names)
		return -1;
	if (mkdir(a->dir, 0755) != 0 && errno != EEXIST) {
		tool_err("cannot create '%s': %s", a->dir, strerror(errno));
		free(names);
		return -1;
	}
	dirfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		tool_err("cannot open '%s': %s", a->dir, strerror(errno));
		free(names);
		return -1;
	}
	close(dirfd);
	for (uint32_t i = 0; i < nr; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		a->total += g.used_length;
	}
	size_t n = 0;

	for (uint32_t i = 0; i < nr && !rc; i++)
		rc = write_named(r, a, names, &n, 1, i);
	for (uint32_t i = 0; i < ns && !rc; i++)
		rc = write_named(r, a, names, &n, 0, i);
	if (!rc && frc_reader_metadata_count(r))
		rc = write_metadata(r, a);
	free(names);
	return rc;
}

int cmd_extract(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "directory", required_argument, NULL, 'C' },
		{ "region", required_argument, NULL, 'r' },
		{ "section", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct extract_args a;
	frc_reader_t *r = NULL;
	char *end;
	int c, rc;

	memset(&a, 0, sizeof(a));
	tool_opts_init(&a.t);
	a.section = -1;
	while ((c = getopt_long(argc, argv, "C:r:s:o:fpqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': a.dir = optarg; break;
		case 'r': a.region = optarg; break;
		case 's':
			errno = 0;
			a.section = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno ||
			    a.section > UINT32_MAX) {
				tool_err("invalid section number '%s'",
					 tool_esc(optarg));
				goto usage;
			}
			break;
		case 'o': a.out = optarg; break;
		case 'f': a.force = 1; break;
		default:
			if (tool_common_opt(c, optarg, &a.t, extract_usage) != 1)
				goto usage;
		}
	}
	if (optind != argc - 1 || (!a.dir == !(a.region || a.section >= 0)) ||
	    (a.region && a.section >= 0) || (!a.dir && !a.out) ||
	    (a.dir && a.out))
		goto usage;
	a.file = argv[optind];
	rc = tool_open(&r, a.file, 0, 0);
	if (rc == FRC_OK) {
		tool_progress_init(&a.pr, a.t.progress, "extract");
		rc = a.dir ? extract_all(r, &a) : extract_one(r, &a);
		tool_progress_done(&a.pr);
	}
	frc_reader_free(r);
	return rc ? 1 : 0;
usage:
	fputs(extract_usage, stderr);
	return 1;
}
