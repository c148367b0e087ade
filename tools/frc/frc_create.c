/*
 * frc_create.c - `frc create`: build a container from raw memory images.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frc_tool.h"
#include "outfile.h"

#define READ_CHUNK (8u << 20)

struct src_region {
	char *name, *file;
	uint32_t page_size;
	uint64_t size;
	int fd; /* the image, or its spooled copy when it was a stream */
};

struct create_args {
	struct src_region *regions;
	size_t nregions;
	char **devstate;
	size_t ndevstate;
	char **meta;
	size_t nmeta;
	uint32_t default_page_size;
	frc_writer_options_t wopts;
	struct tool_compress z;
	struct tool_opts t;
	const char *out;
	int force;
};

static void create_usage(FILE *f)
{
	fputs("usage: frc create [OPTIONS] OUT.frc\n"
	      "\n"
	      "Builds an FRC container from raw memory images, one per region.\n"
	      "All-zero pages are detected and left as holes.\n"
	      "\n"
	      "  -r, --region NAME=FILE     add region NAME from raw image FILE\n"
	      "  -s, --page-size [NAME=]N   page size of NAME, or of all regions\n"
	      "                             (default 4096; K, M suffixes)\n"
	      "  -a, --alignment N          page-area alignment (default 1M)\n"
	      "  -d, --device-state FILE    add FILE as a device-state section\n"
	      "  -m, --meta KEY=VALUE       add a metadata item\n"
	      "      --direct               write pages with O_DIRECT\n"
	      "      --compress[=LEVEL]     store the regions in Zstandard frames\n"
	      "                             (format 1.2; level 1-22, default 3)\n"
	      "      --frame=SIZE           bytes per frame, a power of two up\n"
	      "                             to 16M (default 64K)\n"
	      TOOL_DIGEST_HELP
	      TOOL_BASE_HELP
	      "  -f, --force                overwrite OUT.frc if it exists\n"
	      "  -p, --progress             show progress (default: on a tty)\n"
	      "  -q, --quiet                print nothing but errors\n"
	      "  -h, --help                 this text\n",
	      f);
}

static int add_src(struct create_args *a, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct src_region *grown;

	if (!eq || eq == spec || !eq[1]) {
		tool_err("--region wants NAME=FILE, got '%s'", spec);
		return -1;
	}
	grown = realloc(a->regions, (a->nregions + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	a->regions = grown;
	memset(&grown[a->nregions], 0, sizeof(*grown));
	grown[a->nregions].name = strndup(spec, (size_t)(eq - spec));
	grown[a->nregions].file = strdup(eq + 1);
	a->nregions++;
	return 0;
}

static int push(char ***v, size_t *n, char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	grown[(*n)++] = s;
	*v = grown;
	return 0;
}

/* --page-size N or NAME=N; applied once all regions are known. */
static int apply_page_sizes(struct create_args *a, char **specs, size_t n)
{
	for (size_t i = 0; i < a->nregions; i++)
		a->regions[i].page_size = a->default_page_size;
	for (size_t k = 0; k < n; k++) {
		char *eq = strrchr(specs[k], '=');
		uint64_t v;
		size_t i;

		if (tool_parse_size(eq ? eq + 1 : specs[k], &v) ||
		    v < FRC_PAGE_SIZE_MIN || v > FRC_PAGE_SIZE_MAX ||
		    (v & (v - 1))) {
			tool_err("--page-size: '%s' is not a power of two from "
				 "512 to 16M", specs[k]);
			return -1;
		}
		if (!eq) {
			for (i = 0; i < a->nregions; i++)
				a->regions[i].page_size = (uint32_t)v;
			continue;
		}
		for (i = 0; i < a->nregions; i++)
			if (strlen(a->regions[i].name) == (size_t)(eq - specs[k]) &&
			    !strncmp(a->regions[i].name, specs[k],
				     (size_t)(eq - specs[k])))
				break;
		if (i == a->nregions) {
			tool_err("--page-size names no region: '%s'", specs[k]);
			return -1;
		}
		a->regions[i].page_size = (uint32_t)v;
	}
	return 0;
}

/* -m KEY=VALUE: each key once. */
static int check_meta(struct create_args *a)
{
	for (size_t i = 0; i < a->nmeta; i++) {
		const char *eq = strchr(a->meta[i], '=');
		size_t kl = eq ? (size_t)(eq - a->meta[i]) : 0;

		if (!eq || !kl) {
			tool_err("--meta wants KEY=VALUE, got '%s'", a->meta[i]);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strncmp(a->meta[j], a->meta[i], kl + 1)) {
				tool_err("--meta: key '%.*s' is given twice",
					 (int)kl, a->meta[i]);
				return -1;
			}
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct create_args *a)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "page-size", required_argument, NULL, 's' },
		{ "alignment", required_argument, NULL, 'a' },
		{ "device-state", required_argument, NULL, 'd' },
		{ "meta", required_argument, NULL, 'm' },
		{ "direct", no_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'f' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		TOOL_COMPRESS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **ps = NULL;
	size_t nps = 0;
	uint64_t v;
	int c, rc = 0;

	a->default_page_size = 4096;
	a->t.progress = -1;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "r:s:a:d:m:fpqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': rc = add_src(a, optarg); break;
		case 's': rc = push(&ps, &nps, optarg); break;
		case 'a':
			/* SPEC R-PAGE-ALIGN: a power of two, 512 to 1 GiB (0
			 * would mean the default to the library) */
			if (tool_parse_size(optarg, &v) || v < 512 ||
			    v > (UINT64_C(1) << 30) || (v & (v - 1))) {
				tool_err("invalid alignment '%s': a power of two "
					 "from 512 to 1G", optarg);
				rc = -1;
			}
			a->wopts.alignment = (uint32_t)v;
			break;
		case 'd': rc = push(&a->devstate, &a->ndevstate, optarg); break;
		case 'm': rc = push(&a->meta, &a->nmeta, optarg); break;
		case 'D': a->wopts.direct = 1; break;
		case 'Z':
		case 'F':
		case 'B':
		case 'G': rc = tool_compress_opt(c, optarg, &a->z); break;
		case 'f': a->force = 1; break;
		case 'p': a->t.progress = 1; break;
		case 'q': a->t.quiet = 1; a->t.progress = 0; break;
		case 'h': create_usage(stdout); free(ps); exit(0);
		default: rc = -1; break;
		}
	}
	if (rc == 0 && optind != argc - 1) {
		create_usage(stderr);
		rc = -1;
	}
	/* a container of device state alone is a file people make; one
	 * holding nothing at all is a mistake */
	if (rc == 0 && a->nregions == 0 && a->ndevstate == 0) {
		tool_err("nothing to store: give at least one -r NAME=FILE "
			 "(or -d FILE)");
		rc = -1;
	}
	if (rc == 0) {
		a->out = argv[optind];
		rc = apply_page_sizes(a, ps, nps);
	}
	if (rc == 0)
		rc = check_meta(a);
	free(ps);
	return rc;
}

/* Copies the data extents of `fd` into region `idx`; holes stay absent. */
static int copy_region(frc_writer_t *w, uint32_t idx, struct src_region *s,
		       int fd, uint8_t *buf, struct tool_progress *pr,
		       uint64_t *done, uint64_t total)
{
	uint64_t pos = 0, ps = s->page_size, base = *done;
	uint64_t chunk = ps > READ_CHUNK ? ps : READ_CHUNK;

	while (pos < s->size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* only a hole remains */
		if (data < 0)
			data = (off_t)pos; /* no SEEK_DATA: read everything */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > s->size)
			hole = (off_t)s->size;
		pos = (uint64_t)data / ps * ps;
		while (pos < (uint64_t)hole) {
			uint64_t n = (uint64_t)hole - pos;
			ssize_t got;
			int rc;

			n = n > chunk ? chunk : (n + ps - 1) / ps * ps;
			if (pos + n > s->size)
				n = s->size - pos;
			got = pread(fd, buf, n, (off_t)pos);
			if (got != (ssize_t)n) {
				tool_err("cannot read '%s' at offset %llu: %s",
					 s->file, (unsigned long long)pos,
					 got < 0 ? strerror(errno) : "short read");
				return -1;
			}
			rc = frc_writer_write_pages(w, idx, pos / ps, n / ps, buf);
			if (rc) {
				tool_err("%s", frc_writer_errmsg(w));
				return -1;
			}
			pos += n;
			*done = base + pos;
			tool_progress_cb(pr, *done, total);
		}
	}
	*done = base + s->size;
	return 0;
}

/* Streams one device-state file (or pipe, or device) into a section. */
static int add_devstate(frc_writer_t *w, const char *file, uint8_t *buf)
{
	const char *base = strrchr(file, '/');
	uint64_t size, pos = 0;
	int fd = infile_open(file, &size), rc;

	if (fd < 0)
		return -1;
	rc = frc_writer_section_begin(w, FRC_SECTION_DEVICE_STATE, 0,
				      base ? base + 1 : file);
	while (rc == FRC_OK) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tool_err("cannot read '%s' at offset %llu: %s", file,
				 (unsigned long long)pos, strerror(errno));
			break;
		}
		if (n == 0) {
			rc = frc_writer_section_end(w);
			if (rc == FRC_OK) {
				close(fd);
				return 0;
			}
			break;
		}
		rc = frc_writer_section_append(w, buf, (size_t)n);
		pos += (uint64_t)n;
	}
	if (rc)
		tool_err("%s", frc_writer_errmsg(w));
	close(fd);
	return -1;
}

static int add_sections(frc_writer_t *w, struct create_args *a, uint8_t *buf)
{
	for (size_t i = 0; i < a->ndevstate; i++)
		if (add_devstate(w, a->devstate[i], buf))
			return -1;
	for (size_t i = 0; i < a->nmeta; i++) {
		char *eq = strchr(a->meta[i], '=');
		int rc;

		*eq = '\0';
		rc = frc_writer_set_metadata(w, a->meta[i], eq + 1);
		*eq = '=';
		if (rc) {
			tool_err("--meta '%s': %s", a->meta[i],
				 frc_writer_errmsg(w));
			return -1;
		}
	}
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * A region image that is a pipe, FIFO or character device has no size to
 * declare: it is copied until EOF into an unnamed temporary file beside
 * OUT (so it costs disk, not memory), which then stands in for it.
 */
static int spool(struct src_region *s, const char *out, uint8_t *buf)
{
	const char *slash = strrchr(out, '/');
	char *dir = slash ? strndup(out, (size_t)(slash - out + 1)) : strdup(".");
	int fd = dir ? open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600) : -1;
	uint64_t pos = 0;

	free(dir);
	if (fd < 0) {
		tool_err("cannot make a temporary copy of '%s' beside '%s': %s",
			 s->file, out, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = read(s->fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tool_err("cannot read '%s' at offset %llu: %s", s->file,
				 (unsigned long long)pos, strerror(errno));
			break;
		}
		if (n == 0) {
			close(s->fd);
			s->fd = fd;
			s->size = pos;
			return 0;
		}
		if (!all_zero(buf, (size_t)n) &&
		    pwrite(fd, buf, (size_t)n, (off_t)pos) != n) {
			tool_err("cannot copy '%s' (a stream) beside '%s': %s",
				 s->file, out, strerror(errno));
			break;
		}
		pos += (uint64_t)n;
		if (ftruncate(fd, (off_t)pos) != 0) {
			tool_err("cannot copy '%s' (a stream) beside '%s': %s",
				 s->file, out, strerror(errno));
			break;
		}
	}
	close(fd);
	return -1;
}

static int declare_regions(frc_writer_t *w, struct create_args *a,
			   uint8_t *buf, uint64_t *total)
{
	for (size_t i = 0; i < a->nregions; i++) {
		struct src_region *s = &a->regions[i];

		s->fd = infile_open(s->file, &s->size);
		if (s->fd < 0)
			return -1;
		if (s->size == UINT64_MAX && spool(s, a->out, buf))
			return -1;
		if (s->page_size && s->size % s->page_size) {
			tool_err("'%s': size %llu is not a multiple of the page "
				 "size %u", s->file, (unsigned long long)s->size,
				 s->page_size);
			return -1;
		}
		uint32_t idx;

		if (frc_writer_add_region(w, s->name, s->size, s->page_size,
					  &idx)) {
			tool_err("--region %s=%s: %s", s->name, s->file,
				 frc_writer_errmsg(w));
			return -1;
		}
		if (tool_set_compression(w, idx, &a->z))
			return -1;
		*total += s->size;
	}
	return 0;
}

static int run_create(struct create_args *a, frc_writer_t *w)
{
	uint8_t *buf = malloc(READ_CHUNK > FRC_PAGE_SIZE_MAX ? READ_CHUNK
							    : FRC_PAGE_SIZE_MAX);
	struct tool_progress pr;
	uint64_t total = 0, done = 0;
	int rc = -1;

	if (!buf) {
		tool_err("out of memory");
		return -1;
	}
	if (declare_regions(w, a, buf, &total) || tool_set_base(w, &a->z))
		goto out;
	if (a->wopts.direct && frc_writer_start(w) == FRC_OK &&
	    !frc_writer_is_direct(w) && !a->t.quiet)
		tool_err("warning: the filesystem refuses O_DIRECT; writing "
			 "through the page cache");
	tool_progress_init(&pr, a->t.progress, "create");
	for (size_t i = 0; i < a->nregions; i++)
		if (copy_region(w, (uint32_t)i, &a->regions[i],
				a->regions[i].fd, buf, &pr, &done, total))
			goto out;
	if (add_sections(w, a, buf))
		goto out;
	if (frc_writer_commit(w, NULL, NULL)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	tool_progress_done(&pr);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The files `create` reads, which OUT may not be. */
static const char **inputs_of(const struct create_args *a)
{
	const char **v = calloc(a->nregions + a->ndevstate + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; v && i < a->nregions; i++)
		v[n++] = a->regions[i].file;
	for (size_t i = 0; v && i < a->ndevstate; i++)
		v[n++] = a->devstate[i];
	return v;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a;
	struct outfile o = { .fd = -1 };
	frc_writer_t *w = NULL;
	const char **inputs = NULL;
	int rc = 1;

	memset(&a, 0, sizeof(a));
	if (parse_args(argc, argv, &a))
		goto out;
	for (size_t i = 0; i < a.nregions; i++)
		a.regions[i].fd = -1;
	inputs = inputs_of(&a);
	w = frc_writer_new();
	if (!w || !inputs) {
		tool_err("out of memory");
		goto out;
	}
	if (outfile_open(&o, a.out, a.force, OUT_SEEKABLE, inputs))
		goto out;
	a.wopts.digest = a.z.digest > 0 ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	if (frc_writer_open_fd(w, o.fd, a.out, &a.wopts, sizeof(a.wopts))) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	if (run_create(&a, w) == 0 && outfile_commit(&o) == 0) {
		rc = 0;
		if (!a.t.quiet)
			printf("created %s: %zu region(s)\n", a.out, a.nregions);
	}
out:
	frc_writer_free(w);
	outfile_abort(&o); /* after a commit: nothing left to remove */
	for (size_t i = 0; i < a.nregions; i++) {
		if (a.regions[i].fd >= 0)
			close(a.regions[i].fd);
		free(a.regions[i].name);
		free(a.regions[i].file);
	}
	free(inputs);
	free(a.regions);
	free(a.devstate);
	free(a.meta);
	return rc;
}
