/*
 * seal.c - `frc prepare-qemu` and `frc seal-qemu`: QEMU writes its
 * mapped-ram save inside an FRC file, and frc seals it in place (SPEC,
 * "QEMU mapped-ram inside an FRC file").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"
#include "qemu_cmd.h"
#include "outfile.h"
#include "guestmem.h"
#include "relay.h"

#include "stream.h"


/* Reads exactly len bytes at off: 0, or -1 (errno 0 at the end of file). */
static int pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int parse_offset(const char *arg, uint64_t *off)
{
	char *end;

	errno = 0;
	*off = strtoull(arg, &end, 0);
	if (errno || *end || !*arg || *off < 12288 || *off % 4096) {
		tool_err("offset '%s': a multiple of 4096, at least 12288", arg);
		return -1;
	}
	return 0;
}

int prepare_fd(int fd, const char *name, const char *generator)
{
	frc_writer_options_t o;
	frc_writer_t *w;
	int rc;

	memset(&o, 0, sizeof(o));
	o.generator = generator;
	w = frc_writer_new();
	rc = w ? frc_writer_open_fd(w, fd, name, &o, sizeof(o)) : FRC_E_NOMEM;
	if (rc == FRC_OK)
		rc = frc_writer_start(w); /* the fixed area, incomplete */
	if (rc)
		tool_err("%s", w ? frc_writer_errmsg(w) : "out of memory");
	frc_writer_free(w);
	return rc ? -1 : 0;
}

int cmd_prepare_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc prepare-qemu [--offset=N] [-f] OUT.frc\n"
		"\n"
		"Makes OUT.frc ready for QEMU (>= 9, mapped-ram) to save into it\n"
		"from byte N on (default 1048576): an FRC file marked incomplete\n"
		"until `frc seal-qemu` has checksummed it. Prints the migration\n"
		"URI to give QEMU: file:OUT.frc,offset=N\n";
	struct outfile of;
	uint64_t off = INPLACE_OFFSET;
	int c, force = 0, rc;

	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': if (parse_offset(optarg, &off)) return 1; break;
		case 'f': force = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 1;
	}
	if (outfile_open(&of, argv[optind], force, OUT_SEEKABLE, NULL))
		return 1;
	rc = prepare_fd(of.fd, argv[optind], "frc prepare-qemu " FRC_LIB_VERSION_STRING);
	if (rc == FRC_OK)
		rc = outfile_commit(&of);
	outfile_abort(&of);
	if (rc)
		return 1;
	printf("file:%s,offset=%" PRIu64 "\n", argv[optind], off);
	return 0;
}

/* Where the kept parts of QEMU's file lie, found by parsing it in place. */
struct inplace {
	uint64_t base, head_end, framing_start, framing_end, end;
};

static int parse_in_place(struct in *s, struct qemu_file *q, struct inplace *p)
{
	int current = -1;

	/* fail_at() is -1: true, and the chain stops with its message */
	if ((in_seek(s, p->base) && fail_at(s, "cannot seek to QEMU's save")) ||
	    read_head(s, q))
		return parse_said(s);
	p->head_end = s->pos;
	if ((!q->mapped_ram &&
	     fail_at(s, "not a mapped-ram save: QEMU must save with the "
		     "mapped-ram capability on")) ||
	    read_ram_blocks(s, q) || expect_eos(s))
		return parse_said(s);
	p->framing_start = s->pos - 8; /* the EOS belongs to the framing */
	if (read_ram_rest(s, q, NULL, &current))
		return parse_said(s);
	p->framing_end = s->pos;
	if (read_tail(s, 1, NULL, NULL))
		return parse_said(s);
	p->end = s->pos;
	return 0;
}

/*
 * Adopting pages means reading them where QEMU wrote them: runs go to two
 * worker threads, a job of at most SEAL_JOB pages each, so that two reads
 * are in flight while the bitmap is scanned.
 */
#define SEAL_JOB 1024u
#define SEAL_WORKERS 2
#define SEAL_JOBS (SEAL_WORKERS * RELAY_DEPTH)

struct adopt_job {
	struct relay_job job;
	frc_writer_t *w;
	uint32_t region;
	uint64_t first, count;
	const struct seal_src *src;
	int busy;
};

/* Where a block's pages are: in the file, or also in guest memory. */
struct seal_src {
	struct in *s;
	const struct block *b;
	uint32_t page_size;
	int mem_fd; /* --memory, or -1 */
	uint64_t mem_off; /* of the block's first byte in mem_fd */
	const char *mem_path;
	int *differs; /* set by the first job that finds memory differing */
};

struct sealer {
	struct relay rl[SEAL_WORKERS];
	struct adopt_job jobs[SEAL_JOBS];
	unsigned next;
	int failed;
};

/*
 * Pages taken from guest memory are compared with the file, every byte of
 * every page of the job: a seal never records checksums of bytes that are
 * not what QEMU wrote (memory of another guest, a guest resumed since the
 * save, a page damaged on its way to the disk). The file's pages are read
 * buffered (QEMU just wrote them: usually from the page cache); then the
 * checksums are taken from the memory.
 */
static int adopt_from_memory(struct adopt_job *j)
{
	const struct seal_src *c = j->src;
	size_t len = (size_t)j->count * c->page_size;
	uint64_t off = c->b->pages_offset + j->first * c->page_size;
	uint64_t moff = c->mem_off + j->first * c->page_size;
	uint8_t *pg = malloc(2 * len);
	int rc = -1;

	if (!pg) {
		tool_err("out of memory");
	} else if (pread_exact(c->s->fd, pg, len, off) ||
		   pread_exact(c->mem_fd, pg + len, len, moff)) {
		tool_err("%s: offset 0x%" PRIx64 ": cannot read pages %" PRIu64
			 "-%" PRIu64 " of block '%s' here and at offset 0x%"
			 PRIx64 " of '%s': %s", c->s->name, off, j->first,
			 j->first + j->count - 1, tool_esc(c->b->id), moff,
			 c->mem_path, errno ? strerror(errno) : "end of file");
	} else if (memcmp(pg, pg + len, len)) {
		uint64_t k = 0;

		while (!memcmp(pg + k * c->page_size, pg + len + k * c->page_size,
			       c->page_size))
			k++;
		if (!__atomic_exchange_n(c->differs, 1, __ATOMIC_RELAXED))
			tool_err("%s: offset 0x%" PRIx64 ": page %" PRIu64
				 " of block '%s' differs from its memory in "
				 "'%s': not the memory QEMU saved (another "
				 "guest's, or the guest ran since the save), "
				 "or a page damaged on its way to the disk; "
				 "nothing sealed", c->s->name,
				 off + k * c->page_size, j->first + k,
				 tool_esc(c->b->id), c->mem_path);
	} else if (frc_writer_adopt_pages_from(j->w, j->region, j->first,
					     j->count, c->mem_fd, c->mem_off)) {
		tool_err("%s", frc_writer_errmsg(j->w));
	} else {
		rc = 0;
	}
	free(pg);
	return rc;
}

static int adopt_run(void *ctx, struct relay_job *job)
{
	struct adopt_job *j = (struct adopt_job *)job;

	(void)ctx;
	if (j->src->mem_fd >= 0)
		return adopt_from_memory(j);
	if (frc_writer_adopt_pages(j->w, j->region, j->first, j->count)) {
		tool_err("%s", frc_writer_errmsg(j->w));
		return -1;
	}
	return 0;
}

static int sealer_submit(struct sealer *sl, frc_writer_t *w, uint32_t region,
			 const struct seal_src *src, uint64_t first,
			 uint64_t count)
{
	while (count && !sl->failed) {
		unsigned k = sl->next;
		struct adopt_job *j = &sl->jobs[k];
		uint64_t n = count < SEAL_JOB ? count : SEAL_JOB;

		if (j->busy && relay_wait(&sl->rl[k % SEAL_WORKERS], &j->job))
			sl->failed = 1;
		j->busy = 0;
		if (sl->failed)
			break;
		j->w = w;
		j->region = region;
		j->first = first;
		j->count = n;
		j->src = src;
		j->busy = 1;
		relay_submit(&sl->rl[k % SEAL_WORKERS], &j->job);
		sl->next = (k + 1) % SEAL_JOBS;
		first += n;
		count -= n;
	}
	return sl->failed ? -1 : 0;
}

/* Waits for every job and ends the workers; -1 if any job failed. */
static int sealer_finish(struct sealer *sl)
{
	for (unsigned k = 0; k < SEAL_JOBS; k++)
		if (sl->jobs[k].busy) {
			if (relay_wait(&sl->rl[k % SEAL_WORKERS], &sl->jobs[k].job))
				sl->failed = 1;
			sl->jobs[k].busy = 0;
		}
	for (unsigned i = 0; i < SEAL_WORKERS; i++)
		relay_stop(&sl->rl[i]);
	return sl->failed ? -1 : 0;
}

struct seal_runs {
	frc_writer_t *w;
	struct sealer *sl;
	const struct seal_src *src;
	unsigned block;
	int clear; /* the second pass: clear runs, nothing else */
};

/*
 * The first pass adopts the runs of set bits (reading, comparing,
 * checksumming: nothing in the file changes); the second, once every
 * block was taken and nothing was refused, empties the runs of clear bits
 * (their slots become holes, SPEC R-W-ABSENT-ZEROS). So a refused seal
 * leaves the file as it was, byte for byte.
 */
static int seal_run(void *ctx, uint64_t p, uint64_t k, int set)
{
	struct seal_runs *sr = ctx;

	if (!sr->clear)
		return set ? sealer_submit(sr->sl, sr->w, sr->block, sr->src,
					   p, k)
			   : 0;
	if (!set && frc_writer_clear_pages(sr->w, sr->block, p, k)) {
		tool_err("%s", frc_writer_errmsg(sr->w));
		return -1;
	}
	return 0;
}

/* A block's pages, by its bitmap: adopted, or (clear) the absent ones
 * emptied. */
static int seal_block(struct in *s, struct qemu_file *q, unsigned i,
		      frc_writer_t *w, uint8_t *bm, struct sealer *sl,
		      const struct seal_src *src, int clear)
{
	struct seal_runs sr = { w, sl, src, i, clear };

	return mapped_runs(s, q, i, bm, UINT64_MAX, seal_run, &sr);
}

static int seal(struct in *s, struct qemu_file *q, struct inplace *p,
		frc_writer_t *w, struct guestmems *g)
{
	char val[32];
	uint8_t *bm = malloc(BITMAP_PIECE);
	struct seal_src *src = calloc(q->nblocks ? q->nblocks : 1, sizeof(*src));
	struct sealer sl;
	int rc = -1, err, differs = 0;

	if (!bm || !src) {
		tool_err("out of memory");
		goto out;
	}
	for (unsigned i = 0; i < q->nblocks; i++) {
		const struct guestmem *m = guestmem_open(g, q->blocks[i].id,
							  q->blocks[i].used, &err);

		if (err)
			goto out;
		src[i] = (struct seal_src){ s, &q->blocks[i], q->page_size,
					    m ? m->fd : -1, m ? m->offset : 0,
					    m ? m->path : NULL, &differs };
		if (frc_writer_add_region_at(w, q->blocks[i].id,
					     q->blocks[i].used, q->page_size,
					     q->blocks[i].pages_offset, NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			goto out;
		}
	}
	if (guestmem_all_used(g, s->name))
		goto out;
	memset(&sl, 0, sizeof(sl));
	for (unsigned i = 0; i < SEAL_WORKERS; i++)
		if (relay_start(&sl.rl[i], adopt_run, NULL)) {
			sl.failed = 1;
			tool_err("cannot start threads");
			break;
		}
	for (unsigned i = 0; i < q->nblocks && !sl.failed; i++)
		if (seal_block(s, q, i, w, bm, &sl, &src[i], 0))
			sl.failed = parse_said(s);
	if (sealer_finish(&sl))
		goto out;
	for (unsigned i = 0; i < q->nblocks; i++)
		if (seal_block(s, q, i, w, bm, &sl, &src[i], 1)) {
			parse_said(s);
			goto out;
		}
	if (frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-head",
				     p->base, p->head_end - p->base) ||
	    frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0,
				     "qemu-stream-commands", p->framing_start,
				     p->framing_end - p->framing_start) ||
	    frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-tail",
				     p->framing_end, p->end - p->framing_end)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	if (set_qemu_metadata(w, q))
		goto out;
	snprintf(val, sizeof(val), "%" PRIu64, p->base);
	if (frc_writer_set_metadata(w, "qemu.file-offset", val) ||
	    frc_writer_commit(w, NULL, NULL)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	rc = 0;
out:
	free(src);
	free(bm);
	return rc;
}

/*
 * Where an interrupted seal's own bytes begin, or 0 when there are none:
 * the superblock of an incomplete file names what the writer appended
 * after QEMU's bytes (frc_writer_open_embedded): its tables, or, before
 * they were written, QEMU's end as file_length.
 */
static uint64_t appended_from(const char *path, uint64_t base)
{
	frc_reader_t *r = frc_reader_new();
	frc_info_t in;
	uint64_t from = 0;

	if (r && frc_reader_open(r, path, FRC_OPEN_SALVAGE) == FRC_OK &&
	    frc_reader_get_info(r, &in, sizeof(in)) == FRC_OK && !in.complete) {
		if (in.feature_table_offset > base)
			from = in.feature_table_offset;
		else if (in.file_length > base)
			from = in.file_length;
	}
	frc_reader_free(r);
	return from;
}

int seal_file(const char *path, uint64_t off, struct guestmems *g, int quiet,
	      const char *generator, int digest)
{
	frc_writer_options_t o;
	frc_reader_t *r;
	frc_writer_t *w;
	struct qemu_file q;
	struct inplace p;
	struct in s;
	struct stat st;
	uint8_t fixed[FRC_FIXED_AREA_SIZE]; /* frc's own bytes, as prepare-qemu left them */
	int rc, fd, touched = 0;

	/* only a file frc prepared and nobody sealed yet */
	rc = tool_open(&r, path, 0, 1);
	frc_reader_free(r);
	if (rc != FRC_E_INCOMPLETE) {
		tool_err("%s: %s", path,
			 rc == FRC_OK ? "already sealed (a complete FRC file)"
				      : "not a file made by `frc prepare-qemu` "
					"(not an incomplete FRC file)");
		return -1;
	}
	g->input = path; /* the file sealed is never its own memory */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tool_err("cannot open '%s' for sealing: %s", path,
			 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	memset(&p, 0, sizeof(p));
	q.page_size = 4096;
	s.fd = fd;
	s.limit = appended_from(path, off);
	s.name = path;
	s.buf = malloc(IN_BUF);
	p.base = off;
	memset(&o, 0, sizeof(o));
	o.generator = generator;
	o.direct = 1;
	o.digest = digest ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	w = frc_writer_new();
	rc = -1;
	if (!s.buf || !w)
		tool_err("out of memory");
	else if (parse_in_place(&s, &q, &p) == 0) {
		/* Bytes after QEMU's save in a file that is still incomplete
		 * are what an interrupted seal appended: the writer replaces
		 * them (frc_writer_open_embedded). */
		if (p.end < (uint64_t)st.st_size && !quiet)
			fprintf(stderr, "frc: %s: replacing the %" PRIu64
				" bytes after QEMU's save that an interrupted "
				"seal left\n", s.name,
				(uint64_t)st.st_size - p.end);
		if (pread(fd, fixed, sizeof(fixed), 0) != sizeof(fixed))
			tool_err("cannot read '%s': %s", s.name, strerror(errno));
		else if (frc_writer_open_embedded(w, fd, s.name, p.end, &o, sizeof(o)))
			tool_err("%s", frc_writer_errmsg(w));
		else if ((rc = seal(&s, &q, &p, w, g)) != 0)
			touched = 1;
	}
	frc_writer_free(w);
	/* A seal that failed leaves the file as prepare-qemu and QEMU left
	 * it: what the writer appended cut off, then the fixed area put back.
	 * When the cut fails, the writer's incomplete superblock stays: it
	 * names what was appended, which a later seal replaces. */
	if (touched && (ftruncate(fd, st.st_size) != 0 || fdatasync(fd) != 0))
		tool_err("%s: cannot cut what the seal appended (%s): the file "
			 "stays incomplete, and a later seal-qemu replaces it",
			 s.name, strerror(errno));
	else if (touched && (pwrite(fd, fixed, sizeof(fixed), 0) !=
				     sizeof(fixed) || fdatasync(fd) != 0))
		tool_err("%s: cannot put the unsealed file's superblock back "
			 "(%s): the file stays incomplete, and a later seal-qemu "
			 "completes it", s.name, strerror(errno));
	if (close(fd) != 0 && !rc) {
		tool_err("cannot close '%s': %s", s.name, strerror(errno));
		rc = -1;
	}
	if (!rc && !quiet)
		fprintf(stderr, "frc: sealed %u RAM blocks (%s) of QEMU's save "
			"at offset %" PRIu64 " in %s\n", q.nblocks, q.machine,
			off, s.name);
	free(s.buf);
	free(q.commands);
	return rc ? -1 : 0;
}

int cmd_seal_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "memory", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		TOOL_DIGEST_LONGOPT,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc seal-qemu [--offset=N] [--memory=ID=PATH[@OFF]]... [--digest] [-q] FILE.frc\n"
		"\n"
		"Completes a file made by `frc prepare-qemu` into which QEMU saved\n"
		"with mapped-ram (`migrate file:FILE.frc,offset=N`): every page\n"
		"checksummed where QEMU wrote it, bitmaps, checksum tables and the\n"
		"non-RAM state (in place) recorded, then committed. No page is\n"
		"copied. QEMU restores it in place with migrate-incoming\n"
		"file:FILE.frc,offset=N after `frc check`.\n"
		"  --memory=ID=PATH[@OFF]  RAM block ID is in PATH from byte OFF on\n"
		"                    (a memory-backend-file QEMU shares, or\n"
		"                    qmp:SOCKET: QEMU's own RAM, at the address\n"
		"                    QEMU gives over QMP) and the guest is paused since\n"
		"                    the save: its pages are checksummed there, not\n"
		"                    read back from the disk\n"
		TOOL_DIGEST_HELP;
	struct guestmems g;
	uint64_t off = INPLACE_OFFSET;
	int c, quiet = 0, rc;
	uint32_t digest = FRC_DIGEST_NONE;

	memset(&g, 0, sizeof(g));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': if (parse_offset(optarg, &off)) goto usage; break;
		case 'M': if (guestmem_add(&g, optarg)) goto usage; break;
		case 'q': quiet = 1; break;
		case 'G': if (tool_digest_opt(optarg, &digest)) goto usage; break;
		case 'h': fputs(usage, stdout); guestmem_free(&g); return 0;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	rc = seal_file(argv[optind], off, &g, quiet,
		       "frc seal-qemu " FRC_LIB_VERSION_STRING,
		       digest != FRC_DIGEST_NONE);
	guestmem_free(&g);
	return rc ? 1 : 0;
usage:
	fputs(usage, stderr);
	guestmem_free(&g);
	return 1;
}

