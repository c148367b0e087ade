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

/* Opens a new output file below dirfd; never follows a symlink there. */
static int open_out(int dirfd, const char *name, int force)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;

	flags |= force ? O_TRUNC : O_EXCL;
	return openat(dirfd, name, flags, 0644);
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off,
		     int seekable)
{
	while (n) {
		ssize_t w = seekable ? pwrite(fd, p, n, (off_t)off)
				     : write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Copies region idx to fd page by page, verified. Runs of present pages
 * are gathered into one write; absent pages stay holes in a seekable file
 * and are written as zeros to a pipe.
 */
static int copy_region(frc_reader_t *r, uint32_t idx, int fd, int seekable,
		       struct extract_args *a, const char *label)
{
	frc_region_info_t g;
	uint8_t *buf;
	uint64_t per, fill = 0, start = 0;
	int rc = FRC_OK;

	frc_reader_region(r, idx, &g);
	per = g.page_size >= WRITE_CHUNK ? 1 : WRITE_CHUNK / g.page_size;
	buf = malloc(per * g.page_size);
	if (!buf || (seekable && ftruncate(fd, (off_t)g.used_length) != 0)) {
		free(buf);
		tool_err("cannot write '%s': %s", label, strerror(errno));
		return -1;
	}
	for (uint64_t p = 0; p <= g.page_count && rc == FRC_OK; p++) {
		int present = p < g.page_count && frc_reader_page_present(r, idx, p);
		int flush = fill && (p == g.page_count || fill == per ||
				     (seekable && !present));

		if (flush) {
			if (write_all(fd, buf, fill * g.page_size,
				      start * g.page_size, seekable)) {
				tool_err("cannot write '%s': %s", label,
					 strerror(errno));
				rc = -1;
				break;
			}
			fill = 0;
		}
		if (p == g.page_count)
			break;
		a->done += g.page_size;
		tool_progress_cb(&a->pr, a->done, a->total);
		if (seekable && !present)
			continue;
		if (!fill)
			start = p;
		rc = frc_reader_read_page(r, idx, p, buf + fill * g.page_size);
		if (rc)
			tool_err("%s", frc_reader_errmsg(r));
		fill++;
	}
	free(buf);
	return rc ? -1 : 0;
}

static int copy_section(frc_reader_t *r, uint32_t idx, int fd, int seekable,
			const char *label)
{
	frc_section_info_t s;
	uint8_t *buf;
	int rc;

	frc_reader_section(r, idx, &s);
	if (s.length > SIZE_MAX - 1 || !(buf = malloc(s.length + 1))) {
		tool_err("section %u is too large to extract here", idx);
		return -1;
	}
	rc = frc_reader_read_section(r, idx, buf, s.length);
	if (rc) {
		tool_err("%s", frc_reader_errmsg(r));
	} else if (write_all(fd, buf, s.length, 0, seekable)) {
		tool_err("cannot write '%s': %s", label, strerror(errno));
		rc = -1;
	}
	free(buf);
	return rc ? -1 : 0;
}

/* --region NAME -o OUT or --section N -o OUT. */
static int extract_one(frc_reader_t *r, struct extract_args *a)
{
	int to_stdout = !strcmp(a->out, "-");
	int fd = to_stdout ? STDOUT_FILENO : open_out(AT_FDCWD, a->out, a->force);
	struct stat st;
	uint32_t idx;
	int rc;

	if (fd < 0) {
		tool_err("cannot create '%s': %s%s", a->out, strerror(errno),
			 errno == EEXIST ? " (use --force to overwrite)" : "");
		return -1;
	}
	int seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

	if (a->region) {
		frc_region_info_t g;

		if (tool_find_region(r, a->region, &idx)) {
			tool_err("%s: no region '%s'", a->file, a->region);
			rc = -1;
		} else {
			frc_reader_region(r, idx, &g);
			a->total = g.used_length;
			rc = copy_region(r, idx, fd, seekable, a, a->out);
		}
	} else if (a->section < 0 ||
		   (uint64_t)a->section >= frc_reader_section_count(r)) {
		tool_err("%s: no section %ld", a->file, a->section);
		rc = -1;
	} else {
		rc = copy_section(r, (uint32_t)a->section, fd, seekable, a->out);
	}
	if (!to_stdout && (close(fd) != 0 || rc)) {
		if (rc == 0)
			tool_err("cannot write '%s': %s", a->out, strerror(errno));
		unlink(a->out); /* no partial output under the name */
		rc = -1;
	}
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

static int write_named(frc_reader_t *r, struct extract_args *a, int dirfd,
		       char names[][256], size_t *n, int is_region,
		       uint32_t idx)
{
	char safe[256], path[1024];
	const char *orig;
	frc_section_info_t s;
	frc_region_info_t g;
	int fd, rc, changed;

	if (is_region) {
		frc_reader_region(r, idx, &g);
		orig = g.id;
		changed = tool_safe_name(orig, safe, 200);
		unique_name(names, *n, safe, ".img");
	} else {
		char label[300];

		frc_reader_section(r, idx, &s);
		orig = s.name;
		snprintf(label, sizeof(label), "section-%u-%s%s%s", idx,
			 tool_section_type_name(s.type), *s.name ? "-" : "",
			 s.name);
		changed = tool_safe_name(label, safe, 200) && *s.name;
		unique_name(names, *n, safe, ".bin");
	}
	snprintf(names[(*n)++], 256, "%s", safe);
	snprintf(path, sizeof(path), "%s/%s", a->dir, safe);
	fd = open_out(dirfd, safe, a->force);
	if (fd < 0) {
		tool_err("cannot create '%s': %s%s", path, strerror(errno),
			 errno == EEXIST ? " (use --force to overwrite)" : "");
		return -1;
	}
	rc = is_region ? copy_region(r, idx, fd, 1, a, path)
		       : copy_section(r, idx, fd, 1, path);
	if (close(fd) != 0 || rc) {
		unlinkat(dirfd, safe, 0);
		return -1;
	}
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

static int write_metadata(frc_reader_t *r, struct extract_args *a, int dirfd)
{
	int fd = open_out(dirfd, "metadata.json", a->force);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct out *o;

	if (!f) {
		tool_err("cannot create '%s/metadata.json': %s", a->dir,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	o = out_new(OUT_JSON, f);
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		out_str(o, k, v);
	}
	out_finish(o);
	if (fclose(f) != 0) {
		tool_err("cannot write '%s/metadata.json'", a->dir);
		return -1;
	}
	return 0;
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
	for (uint32_t i = 0; i < nr; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g);
		a->total += g.used_length;
	}
	size_t n = 0;

	for (uint32_t i = 0; i < nr && !rc; i++)
		rc = write_named(r, a, dirfd, names, &n, 1, i);
	for (uint32_t i = 0; i < ns && !rc; i++)
		rc = write_named(r, a, dirfd, names, &n, 0, i);
	if (!rc && frc_reader_metadata_count(r))
		rc = write_metadata(r, a, dirfd);
	close(dirfd);
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
			a.section = strtol(optarg, &end, 10);
			if (*end || a.section < 0)
				goto usage;
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
