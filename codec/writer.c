/*
 * writer.c - creating an FRC file: layout, page writes, sections, commit
 * (SPEC §10).
 *
 * The life of a writer: open (an empty file), add regions, start (the layout
 * is fixed and the file is written in the incomplete state), write pages any
 * number of times from any number of threads, add sections, commit. Until
 * commit the superblock carries the "incomplete" feature, so a crash at any
 * point leaves a file that every reader refuses as incomplete.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "frc_internal.h"

#define CHUNK (1u << 20)
/* Shorter runs of pages are written through the page cache. */
#define DIRECT_MIN_RUN (256u << 10)

enum wstate { W_NEW, W_OPEN, W_STARTED, W_COMMITTED, W_FAILED };

struct wregion {
	struct frc_region r;
	int adopted; /* its page area is already in the file (embedding) */
	uint64_t *present; /* bitmap as 64-bit words, updated atomically */
	uint64_t *csums;   /* one checksum per page, 0 for absent pages */
};

struct frc_writer {
	/*
	 * `start_lock` serialises the implicit start. A failed start is kept
	 * in `start_err` so that every later call, on any thread, returns it
	 * with its message (messages are per thread: frc.h, "Errors").
	 */
	pthread_mutex_t start_lock;
	struct frc_err start_err;
	char *path;
	char *tmp_path; /* replacing a file: where the new one is written */
	struct stat replaced; /* the file being replaced (mode, owner) */
	int own_fd; /* the writer opened fd (and may remove what it created) */
	int fd;  /* buffered descriptor: metadata, fallback for pages */
	int dfd; /* O_DIRECT descriptor for pages, or -1 */
	int direct; /* O_DIRECT was asked for */
	enum wstate state;
	struct frc_sb sb;
	struct wregion *regions;
	uint32_t nregions;
	struct frc_section *sections;
	uint32_t nsections;
	struct frc_meta *meta;
	uint32_t nmeta;
	uint64_t data_end; /* end of the last page area */
	uint64_t cursor;   /* where the next section goes */
	int have_commit_time;
	uint64_t commit_time;
	/* embedding (frc_writer_open_embedded): bytes [FIXED_AREA_END,
	 * foreign_end) belong to another format; nothing is placed there */
	int embedded;
	uint64_t foreign_end;
	/* the section being streamed (frc_writer_section_begin) */
	struct frc_stream_hash *sec_hash;
	int sec_open;
};

FRC_API frc_writer_t *frc_writer_new(void)
{
	frc_writer_t *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = -1;
	w->dfd = -1;
	pthread_mutex_init(&w->start_lock, NULL);
	return w;
}

FRC_API const char *frc_writer_errmsg(const frc_writer_t *w)
{
	return w ? frc_err_message(w) : "no writer";
}

FRC_API int frc_writer_is_direct(const frc_writer_t *w)
{
	return w && w->dfd >= 0;
}

FRC_API uint32_t frc_writer_page_size(const frc_writer_t *w, uint32_t region)
{
	return w && region < w->nregions ? w->regions[region].r.page_size : 0;
}

/* A caller's mistake, named by the function it was made in (frc.h). */
__attribute__((format(printf, 3, 4))) static int
writer_misuse(const frc_writer_t *w, const char *func, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!w)
		return frc_misuse(w, func, "the writer is NULL");
	return frc_misuse(w, func, "%s: %s", w->path ? w->path : "(no file)",
			  what);
}
#define misuse(w, ...) writer_misuse(w, __func__, __VA_ARGS__)

/* Records an I/O failure (from any thread: the record is the thread's). */
static int io_fail(frc_writer_t *w, const char *what, int err)
{
	return frc_fail_errno(FRC_ERR(w), w->path, what, err);
}

static void random_uuid(uint8_t uuid[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(uuid + got, 16 - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			break;
	}
	if (got < 16) { /* no entropy source: time and pid, still unique */
		uint64_t t = (uint64_t)time(NULL), p = (uint64_t)getpid();

		frc_put64(uuid, t);
		frc_put64(uuid + 8, p ^ (uint64_t)(uintptr_t)uuid);
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int apply_options(frc_writer_t *w, const frc_writer_options_t *o)
{
	const char *gen = o && o->generator ? o->generator
					    : "libfrc " FRC_LIB_VERSION_STRING;
	uint32_t align = o && o->alignment ? o->alignment : FRC_ALIGNMENT_DEFAULT;

	if (strlen(gen) > FRC_GENERATOR_SIZE - 1 ||
	    !frc_utf8_valid((const uint8_t *)gen, strlen(gen)))
		return misuse(w, "generator must be up to 63 bytes of UTF-8");
	if (!frc_is_pow2(align) || align < 512 || align > (1u << 30))
		return misuse(w, "alignment must be a power of two in "
				 "512..2^30");
	w->sb.major = FRC_FORMAT_VERSION_MAJOR;
	w->sb.minor = FRC_FORMAT_VERSION_MINOR;
	w->sb.header_length = FRC_SB_V1_LENGTH;
	w->sb.alignment = align;
	w->sb.csum_algo = FRC_CSUM_XXH3_64;
	w->sb.incompat = FRC_INCOMPAT_INCOMPLETE;
	strcpy(w->sb.generator, gen);
	if (o && o->have_uuid && !frc_all_zero(o->uuid, 16))
		memcpy(w->sb.uuid, o->uuid, 16);
	else
		random_uuid(w->sb.uuid);
	w->sb.create_time = o && o->have_create_time ? o->create_time_ns
						     : now_ns();
	w->have_commit_time = o && o->have_commit_time;
	w->commit_time = o ? o->commit_time_ns : 0;
	return FRC_OK;
}

/*
 * SPEC §10.6: an existing file is replaced atomically. The new file is
 * written under a temporary name in the same directory and renamed over
 * the old one at commit, so that a crash at any point leaves the old file
 * as it was.
 */
static int open_replacement(frc_writer_t *w)
{
	const char *slash = strrchr(w->path, '/');
	int dirlen = slash ? (int)(slash - w->path + 1) : 0;

	if (asprintf(&w->tmp_path, "%.*s.%s.frc-new-XXXXXX", dirlen, w->path,
		     slash ? slash + 1 : w->path) < 0) {
		w->tmp_path = NULL;
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0)
		return frc_fail_errno(FRC_ERR(w), w->tmp_path, "cannot create",
				      errno);
	/* mkostemp makes 0600: the file stays private until it is renamed
	 * into place with the mode and owner of the file it replaces. */
	w->own_fd = 1;
	if (w->direct)
		w->dfd = frc_direct_open(w->tmp_path, true);
	w->state = W_OPEN;
	return FRC_OK;
}

/* Puts a replacement file in place and makes the rename durable. */
static int install_replacement(frc_writer_t *w)
{
	char *dir;
	int dfd, err = 0;

	if (!w->tmp_path)
		return FRC_OK;
	/* The new file takes the old one's owner (where we may) and mode. */
	if (fchown(w->fd, w->replaced.st_uid, w->replaced.st_gid) != 0 &&
	    errno != EPERM)
		return io_fail(w, "cannot set the owner of the new file", errno);
	if (fchmod(w->fd, w->replaced.st_mode & 07777) != 0)
		return io_fail(w, "cannot set the mode of the new file", errno);
	if (rename(w->tmp_path, w->path) != 0)
		return io_fail(w, "cannot rename the new file into place",
			       errno);
	dir = strdup(w->path);
	if (!dir)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	dfd = open(strrchr(dir, '/') ? dirname(dir) : ".",
		   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			err = errno;
		close(dfd);
	}
	free(dir);
	free(w->tmp_path);
	w->tmp_path = NULL;
	return err ? io_fail(w, "cannot flush the directory", err) : FRC_OK;
}

/* The caller's options (frc.h, "ABI") into *o; NULL, 0 for defaults. */
static int take_options(frc_writer_t *w, const char *func,
			frc_writer_options_t *o,
			const frc_writer_options_t *opts, size_t opts_size)
{
	if (w->state != W_NEW)
		return frc_misuse(w, func, "the writer is already open");
	return frc_abi_in(w, func, o, sizeof(*o), opts, opts_size,
			  FRC_WRITER_OPTIONS_MIN);
}

FRC_API int frc_writer_open(frc_writer_t *w, const char *path,
			    const frc_writer_options_t *opts_in,
			    size_t opts_size)
{
	int flags = O_RDWR | O_CREAT | O_CLOEXEC;
	frc_writer_options_t o, *opts = &o;
	int rc;

	if (!w)
		return FRC_MISUSE(w, "the writer is NULL");
	if (!path)
		return FRC_MISUSE(w, "path is NULL");
	rc = take_options(w, __func__, &o, opts_in, opts_size);
	if (rc)
		return rc;
	w->path = strdup(path);
	if (!w->path)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	rc = apply_options(w, opts);
	if (rc)
		return rc;
	w->direct = opts->direct;
	/* 0666: the caller's umask decides, as for any new file. */
	w->fd = open(path, flags | O_EXCL, 0666);
	if (w->fd < 0 && errno == EEXIST && opts && opts->overwrite) {
		if (stat(path, &w->replaced) != 0)
			return frc_fail_errno(FRC_ERR(w), path, "cannot stat",
					      errno);
		if (!S_ISREG(w->replaced.st_mode))
			return misuse(w, "not a regular file (only a regular "
					 "file is replaced)");
		return open_replacement(w);
	}
	if (w->fd < 0) {
		if (errno == EEXIST)
			return frc_fail_plain(FRC_ERR(w), FRC_E_EXISTS,
					      "%s: file exists (not "
					      "overwriting it)", path);
		return frc_fail_errno(FRC_ERR(w), path, "cannot create", errno);
	}
	w->own_fd = 1;
	if (opts->direct)
		w->dfd = frc_direct_open(path, true);
	w->state = W_OPEN;
	return FRC_OK;
}

/*
 * The common part of writing into a caller's descriptor: the name kept,
 * the file's type and size in *st for the caller's own check.
 */
static int fd_prologue(frc_writer_t *w, int fd, const char *name,
		       struct stat *st, const char *func,
		       frc_writer_options_t *o,
		       const frc_writer_options_t *opts, size_t opts_size)
{
	int rc;

	if (!w)
		return frc_misuse(w, func, "the writer is NULL");
	if (fd < 0)
		return frc_misuse(w, func, "%d is not a file descriptor", fd);
	if (!name)
		return frc_misuse(w, func, "name is NULL");
	rc = take_options(w, func, o, opts, opts_size);
	if (rc)
		return rc;
	w->path = strdup(name);
	if (!w->path)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (fstat(fd, st) != 0)
		return frc_fail_errno(FRC_ERR(w), name, "cannot stat", errno);
	return FRC_OK;
}

/* ...and, the file accepted, the writer takes it (never closing it). */
static int fd_take(frc_writer_t *w, int fd, const frc_writer_options_t *opts)
{
	int rc = apply_options(w, opts);

	if (rc)
		return rc;
	w->direct = opts && opts->direct;
	w->fd = fd;
	w->own_fd = 0;
	if (w->direct)
		w->dfd = frc_direct_reopen(fd, true);
	w->state = W_OPEN;
	return FRC_OK;
}

FRC_API int frc_writer_open_fd(frc_writer_t *w, int fd, const char *name,
			       const frc_writer_options_t *opts,
			       size_t opts_size)
{
	frc_writer_options_t o;
	struct stat st;
	int rc = fd_prologue(w, fd, name, &st, __func__, &o, opts, opts_size);

	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return misuse(w, "frc_writer_open_fd wants an empty regular "
				 "file");
	return fd_take(w, fd, &o);
}

FRC_API int frc_writer_add_region(frc_writer_t *w, const char *id,
				  uint64_t used_length, uint32_t page_size,
				  uint32_t *index)
{
	struct wregion *grown;
	struct wregion *rg;
	struct frc_err pe;
	int rc;

	if (!w || !id)
		return misuse(w, "id is NULL");
	if (w->state != W_OPEN)
		return misuse(w, "regions can only be added after open and "
				 "before the first page or section");
	if (w->nregions >= FRC_REGIONS_MAX)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: more than %u regions (SPEC §11)",
				      w->path, FRC_REGIONS_MAX);
	rc = frc_region_check_params(&pe, NULL, 0, id, strlen(id),
				     used_length, page_size);
	if (rc == FRC_E_LIMIT)
		return frc_fail_plain(FRC_ERR(w), rc, "%s: %s", w->path, pe.msg);
	if (rc) /* the SPEC's rule for the table entry, broken by an argument */
		return misuse(w, "%s", pe.msg);
	for (uint32_t i = 0; i < w->nregions; i++)
		if (strcmp(w->regions[i].r.id, id) == 0)
			return misuse(w, "region id '%s' is already used "
					 "(SPEC R-RT-ENTRY)", id);
	grown = realloc(w->regions, (w->nregions + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	w->regions = grown;
	rg = &w->regions[w->nregions];
	memset(rg, 0, sizeof(*rg));
	rg->r.id = strdup(id);
	rg->r.id_length = (uint32_t)strlen(id);
	rg->r.page_size = page_size;
	rg->r.page_shift = (unsigned)__builtin_ctz(page_size);
	rg->r.used_length = used_length;
	rg->r.page_count = used_length / page_size;
	rg->present = calloc((rg->r.page_count + 63) / 64 + 1, 8);
	rg->csums = calloc(rg->r.page_count + 1, 8);
	if (!rg->r.id || !rg->present || !rg->csums) {
		free(rg->r.id);
		free(rg->present);
		free(rg->csums);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM,
				      "out of memory for region '%s'", id);
	}
	if (index)
		*index = w->nregions;
	w->nregions++;
	return FRC_OK;
}

/* SPEC §10.1: where every structure goes, decided once at start. */
static uint64_t plan_layout(frc_writer_t *w)
{
	uint64_t off = w->embedded ? frc_align_up(w->foreign_end, FRC_DIRECT_ALIGN)
				   : FRC_FIXED_AREA_END;

	w->sb.ft_offset = off;
	w->sb.ft_length = frc_features_builtin_count() * FRC_FEATURE_ENTRY_SIZE +
			  FRC_TRAILER;
	off += w->sb.ft_length;
	if (w->nregions) {
		uint64_t len = FRC_TRAILER;

		for (uint32_t i = 0; i < w->nregions; i++)
			len += frc_region_entry_size(w->regions[i].r.id_length);
		w->sb.rt_offset = off;
		w->sb.rt_length = (uint32_t)len;
		w->sb.rt_count = w->nregions;
		off += len;
	}
	for (uint32_t i = 0; i < w->nregions; i++) {
		struct frc_region *r = &w->regions[i].r;

		if (!r->page_count)
			continue;
		r->bitmap_offset = off;
		off += frc_bitmap_bytes(r->page_count) + FRC_TRAILER;
		r->csum_offset = off;
		off += frc_csum_table_bytes(r->page_count);
	}
	for (uint32_t i = 0; i < w->nregions; i++) {
		struct frc_region *r = &w->regions[i].r;
		uint64_t a = w->sb.alignment > r->page_size ? w->sb.alignment
							     : r->page_size;

		if (!r->page_count || w->regions[i].adopted)
			continue;
		r->pages_offset = frc_align_up(off, a);
		off = r->pages_offset + r->used_length;
	}
	return off;
}

static int write_fixed_area(frc_writer_t *w)
{
	uint8_t *buf = calloc(1, FRC_FIXED_AREA_END);
	int err;

	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	memcpy(buf, frc_signature, FRC_SIGNATURE_SIZE);
	frc_sb_encode(&w->sb, buf + FRC_SLOT_A_OFFSET);
	err = frc_pwrite_full(w->fd, buf, FRC_FIXED_AREA_END, 0);
	free(buf);
	return err ? io_fail(w, "cannot write superblock", err) : FRC_OK;
}

static int write_tables(frc_writer_t *w)
{
	uint64_t len = w->sb.ft_length + w->sb.rt_length;
	uint8_t *buf = calloc(1, len);
	uint8_t *rt = buf + w->sb.ft_length;
	int err;

	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	frc_features_encode_builtin(buf);
	frc_table_seal(buf, w->sb.ft_length,
		       frc_key(w->sb.uuid, FRC_KEY_FEATURE_TABLE, 0, 0));
	for (uint32_t i = 0, pos = 0; i < w->nregions; i++) {
		frc_region_encode(&w->regions[i].r, rt + pos);
		pos += (uint32_t)frc_region_entry_size(w->regions[i].r.id_length);
	}
	if (w->nregions) {
		frc_table_seal(rt, w->sb.rt_length,
			       frc_key(w->sb.uuid, FRC_KEY_REGION_TABLE, 0, 0));
	}
	err = frc_pwrite_full(w->fd, buf, len, w->sb.ft_offset);
	free(buf);
	return err ? io_fail(w, "cannot write region table", err) : FRC_OK;
}

static int do_start(frc_writer_t *w)
{
	int rc;

	w->data_end = plan_layout(w);
	w->cursor = frc_align_up(w->data_end, FRC_DIRECT_ALIGN);
	w->sb.file_length = w->data_end;
	w->sb.sequence = 1;
	/* SPEC §10.1 steps 1-3: signature, tables and the incomplete
	 * superblock first (a reader of the new file sees it incomplete or
	 * truncated, never as a foreign file), then the whole extent,
	 * sparse. */
	rc = write_fixed_area(w);
	if (rc == FRC_OK)
		rc = write_tables(w);
	if (rc == FRC_OK && ftruncate(w->fd, (off_t)w->data_end) != 0)
		rc = io_fail(w, "cannot size file", errno);
	/* The incomplete mark is durable before any page is. */
	if (rc == FRC_OK && fdatasync(w->fd) != 0)
		rc = io_fail(w, "cannot flush", errno);
	w->state = rc ? W_FAILED : W_STARTED;
	return rc;
}

/* frc_writer_start() on behalf of the API call `func` (for its messages). */
static int start_for(frc_writer_t *w, const char *func)
{
	int rc = FRC_OK;

	if (!w)
		return writer_misuse(w, func, "-");
	pthread_mutex_lock(&w->start_lock);
	if (w->state == W_OPEN) {
		rc = do_start(w);
		if (rc)
			w->start_err = *FRC_ERR(w);
	} else if (w->state == W_FAILED && w->start_err.code) {
		/* the failure already recorded stands */
		frc_err_adopt(w, &w->start_err);
		rc = w->start_err.code;
	} else if (w->state != W_STARTED) {
		rc = writer_misuse(w, func, "the writer is not open, or "
				   "already committed");
	}
	pthread_mutex_unlock(&w->start_lock);
	return rc;
}

FRC_API int frc_writer_start(frc_writer_t *w)
{
	return start_for(w, __func__);
}

/* Writes `len` bytes of page data at `off`, through O_DIRECT when we can. */
static int put_pages(frc_writer_t *w, const uint8_t *data, size_t len,
		     uint64_t off)
{
	int err = frc_pwrite_pages(w->dfd, w->fd, data, len, off);

	return err ? io_fail(w, "cannot write page", err) : FRC_OK;
}

/* Marks a page absent; a slot that held data becomes a hole (SPEC §8). */
static int clear_page(frc_writer_t *w, struct wregion *rg, uint64_t i)
{
	uint64_t bit = UINT64_C(1) << (i % 64);
	uint64_t old = __atomic_fetch_and(&rg->present[i / 64], ~bit,
					  __ATOMIC_RELAXED);
	int err;

	rg->csums[i] = 0;
	if (!(old & bit))
		return FRC_OK;
	err = frc_punch_hole(w->fd, rg->r.pages_offset + (i << rg->r.page_shift),
			     rg->r.page_size);
	return err ? io_fail(w, "cannot free page slot", err) : FRC_OK;
}

/*
 * Checks the arguments of a page-range call made by API call `func`;
 * starts the file if needed.
 */
static int page_range_of(frc_writer_t *w, uint32_t region, uint64_t first,
			 uint64_t count, const void *data,
			 struct wregion **rg, const char *func)
{
	uint64_t end;
	int rc;

	if (!w || (!data && count))
		return writer_misuse(w, func, "data is NULL");
	if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_STARTED) {
		rc = start_for(w, func);
		if (rc)
			return rc;
	}
	if (region >= w->nregions)
		return writer_misuse(w, func, "no such region: %u (%u declared)",
				     region, w->nregions);
	*rg = &w->regions[region];
	if (!frc_add_ok(first, count, &end) || end > (*rg)->r.page_count)
		return writer_misuse(w, func,
				     "pages %llu+%llu are beyond the end of "
				     "region '%s' (%llu pages)",
				     (unsigned long long)first,
				     (unsigned long long)count, (*rg)->r.id,
				     (unsigned long long)(*rg)->r.page_count);
	return FRC_OK;
}
#define page_range(w, region, first, count, data, rg)                      \
	page_range_of(w, region, first, count, data, rg, __func__)

/*
 * Records page i: its checksum and present bit, or, for an all-zero page,
 * a clear bit and a freed slot. Sets *present to say which.
 */
static int note_page(frc_writer_t *w, uint32_t region, uint64_t i,
		     const uint8_t *pg, bool *present)
{
	struct wregion *rg = &w->regions[region];

	*present = !frc_all_zero(pg, rg->r.page_size);
	if (!*present)
		return clear_page(w, rg, i);
	/* SPEC §7.4: the checksum is bound to region and page index. */
	rg->csums[i] = frc_hash(pg, rg->r.page_size,
				frc_key(w->sb.uuid, FRC_KEY_PAGE, region, i));
	__atomic_fetch_or(&rg->present[i / 64], UINT64_C(1) << (i % 64),
			  __ATOMIC_RELAXED);
	return FRC_OK;
}

/*
 * First half of a page write: every page of the range noted. After it the
 * present bits of the range say exactly which pages write_runs() writes.
 */
static int hash_pages(frc_writer_t *w, uint32_t region, uint64_t first,
		      uint64_t count, const uint8_t *p)
{
	unsigned sh = w->regions[region].r.page_shift;

	for (uint64_t k = 0; k < count; k++) {
		bool present;
		int rc = note_page(w, region, first + k, p + (k << sh), &present);

		if (rc)
			return rc;
	}
	return FRC_OK;
}

static bool present_bit(const struct wregion *rg, uint64_t i)
{
	return (__atomic_load_n(&rg->present[i / 64], __ATOMIC_RELAXED) >>
		(i % 64)) & 1;
}

/*
 * Second half: writes the runs of present pages of the range to their
 * slots. Long runs go through O_DIRECT when the writer has it; runs shorter
 * than DIRECT_MIN_RUN go through the page cache, because a stream of small
 * synchronous direct writes is far slower than the data it carries (a
 * fragmented guest must save in time proportional to its data).
 */
static int write_runs(frc_writer_t *w, uint32_t region, uint64_t first,
		      uint64_t count, const uint8_t *p)
{
	struct wregion *rg = &w->regions[region];
	unsigned sh = rg->r.page_shift;

	for (uint64_t k = 0; k < count;) {
		uint64_t run = 0, off, len;
		int rc, err;

		while (k + run < count && present_bit(rg, first + k + run))
			run++;
		if (!run) {
			k++;
			continue;
		}
		off = rg->r.pages_offset + ((first + k) << sh);
		len = run << sh;
		if (len >= DIRECT_MIN_RUN || w->dfd < 0) {
			rc = put_pages(w, p + (k << sh), len, off);
		} else {
			err = frc_pwrite_full(w->fd, p + (k << sh), len, off);
			rc = err ? io_fail(w, "cannot write page", err) : FRC_OK;
		}
		if (rc)
			return rc;
		k += run;
	}
	return FRC_OK;
}

FRC_API int frc_writer_write_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count,
				   const void *data)
{
	struct wregion *rg;
	int rc = page_range(w, region, first, count, data, &rg);

	if (rc == FRC_OK)
		rc = hash_pages(w, region, first, count, data);
	if (rc == FRC_OK)
		rc = write_runs(w, region, first, count, data);
	return rc;
}

FRC_API int frc_writer_write_page(frc_writer_t *w, uint32_t region,
				  uint64_t page, const void *data)
{
	return frc_writer_write_pages(w, region, page, 1, data);
}

/* Writes iov[0..n) at off: O_DIRECT when every piece allows it. */
static int put_vector(frc_writer_t *w, struct iovec *iov, int n, uint64_t off)
{
	int fd = w->dfd >= 0 && frc_direct_aligned(NULL, 0, off) ? w->dfd
								  : w->fd;
	size_t total = 0;

	for (int i = 0; i < n; i++) {
		total += iov[i].iov_len;
		if (!frc_direct_aligned(iov[i].iov_base, iov[i].iov_len, 0))
			fd = w->fd;
	}
	if (total < DIRECT_MIN_RUN)
		fd = w->fd; /* short runs: through the page cache */
	while (total > 0) {
		ssize_t k = pwritev(fd, iov, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EINVAL && fd != w->fd) {
			fd = w->fd; /* the filesystem refused O_DIRECT here */
			continue;
		}
		if (k <= 0)
			return io_fail(w, "cannot write pages",
				       k < 0 ? errno : EIO);
		off += (uint64_t)k;
		total -= (size_t)k;
		while (n > 0 && (size_t)k >= iov->iov_len) { /* short write */
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return FRC_OK;
}

FRC_API int frc_writer_write_batch(frc_writer_t *w, uint32_t region,
				   uint64_t count, const uint64_t *indices,
				   const void *const *pages)
{
	struct iovec iov[IOV_MAX < 1024 ? IOV_MAX : 1024];
	struct wregion *rg;
	uint64_t run_first = 0;
	int n = 0, rc = FRC_OK;

	if (!w || (count && (!indices || !pages)))
		return misuse(w, "indices or pages is NULL");
	if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_STARTED &&
	    (rc = start_for(w, __func__)) != FRC_OK)
		return rc;
	if (region >= w->nregions)
		return misuse(w, "no such region");
	rg = &w->regions[region];
	for (uint64_t k = 0; k < count; k++)
		if (indices[k] >= rg->r.page_count || !pages[k])
			return misuse(w, "page index beyond the end of the "
					 "region");
	for (uint64_t k = 0; k < count && rc == FRC_OK; k++) {
		uint64_t i = indices[k];
		const uint8_t *pg = pages[k];
		bool present;

		if (n && (i != run_first + (uint64_t)n ||
			  n == (int)(sizeof(iov) / sizeof(iov[0])))) {
			rc = put_vector(w, iov, n, rg->r.pages_offset +
						   (run_first << rg->r.page_shift));
			n = 0;
		}
		if (rc)
			break;
		rc = note_page(w, region, i, pg, &present);
		if (rc || !present)
			continue;
		if (!n)
			run_first = i;
		iov[n].iov_base = (void *)(uintptr_t)pg;
		iov[n].iov_len = rg->r.page_size;
		n++;
	}
	if (rc == FRC_OK && n)
		rc = put_vector(w, iov, n,
				rg->r.pages_offset + (run_first << rg->r.page_shift));
	return rc;
}

struct region_job {
	frc_writer_t *w;
	uint32_t region;
	const uint8_t *src;
	uint64_t pages_per_chunk, page_count;
	unsigned shift;
};

static int hash_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct region_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->pages_per_chunk, j->page_count,
				     &first);

	*bytes = n << j->shift;
	return hash_pages(j->w, j->region, first, n,
			  j->src + (first << j->shift));
}

static int write_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct region_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->pages_per_chunk, j->page_count,
				     &first);

	*bytes = n << j->shift;
	return write_runs(j->w, j->region, first, n,
			  j->src + (first << j->shift));
}

FRC_API int frc_writer_write_region(frc_writer_t *w, uint32_t region,
				    const void *src, unsigned threads,
				    frc_progress_fn progress, void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	struct region_job j;
	int rc;

	if (!w || !src)
		return misuse(w, "src is NULL");
	rc = start_for(w, __func__);
	if (rc)
		return rc;
	if (region >= w->nregions)
		return misuse(w, "no such region");
	j.w = w;
	j.region = region;
	j.src = src;
	j.shift = w->regions[region].r.page_shift;
	j.page_count = w->regions[region].r.page_count;
	j.pages_per_chunk = (CHUNK * 4) >> j.shift ? (CHUNK * 4) >> j.shift : 1;
	pr.total = w->regions[region].r.used_length;
	/* Hashing on one thread per CPU, writing on `threads` threads. */
	return frc_pipeline_run(w, w->path, 0, threads,
				(j.page_count + j.pages_per_chunk - 1) /
					j.pages_per_chunk,
				hash_chunk, write_chunk, &j, &pr);
}

/*
 * Sections are streamed: begin, any number of appends, end. Their bytes go
 * to the file at once (in the area after the page areas), so a section of
 * any size needs no memory beyond the caller's chunk.
 */
FRC_API int frc_writer_section_begin(frc_writer_t *w, uint32_t type,
				     uint32_t flags, const char *name)
{
	struct frc_section *grown, *s;
	size_t nl = name ? strlen(name) : 0;
	int rc;

	if (!w)
		return misuse(w, "-");
	if (type == 0)
		return misuse(w, "section type 0 is reserved (SPEC §9.1)");
	if (w->sec_open)
		return misuse(w, "a section is already open");
	if (nl > FRC_ID_MAX || !frc_utf8_valid((const uint8_t *)name, nl))
		return misuse(w, "section name must be up to 255 bytes of "
				 "UTF-8 (SPEC §9.1)");
	if (w->nsections >= FRC_SECTIONS_MAX)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: more than %u sections (SPEC §11)",
				      w->path, FRC_SECTIONS_MAX);
	rc = start_for(w, __func__);
	if (rc)
		return rc;
	grown = realloc(w->sections, (w->nsections + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	w->sections = grown;
	s = &w->sections[w->nsections];
	memset(s, 0, sizeof(*s));
	s->name = strndup(name ? name : "", nl);
	w->sec_hash = frc_stream_new(frc_key(w->sb.uuid, FRC_KEY_SECTION,
					     w->nsections, type));
	if (!s->name || !w->sec_hash) {
		free(s->name);
		frc_stream_free(w->sec_hash);
		w->sec_hash = NULL;
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	s->type = type;
	s->flags = flags;
	s->name_length = (uint32_t)nl;
	s->offset = w->cursor;
	w->sec_open = 1;
	return FRC_OK;
}

FRC_API int frc_writer_section_append(frc_writer_t *w, const void *data,
				      size_t length)
{
	struct frc_section *s;
	int err;

	if (!w || (!data && length))
		return misuse(w, "data is NULL");
	if (!w->sec_open)
		return misuse(w, "no section is open");
	s = &w->sections[w->nsections];
	if (length > FRC_SECTION_LENGTH_MAX - s->length)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: a section is at most 2^40 bytes "
				      "(SPEC §11)", w->path);
	err = frc_pwrite_full(w->fd, data, length, s->offset + s->length);
	if (err)
		return io_fail(w, "cannot write section", err);
	frc_stream_update(w->sec_hash, data, length);
	s->length += length;
	return FRC_OK;
}

FRC_API int frc_writer_section_end(frc_writer_t *w)
{
	struct frc_section *s;

	if (!w)
		return misuse(w, "-");
	if (!w->sec_open)
		return misuse(w, "no section is open");
	s = &w->sections[w->nsections];
	s->checksum = frc_stream_digest(w->sec_hash);
	frc_stream_free(w->sec_hash);
	w->sec_hash = NULL;
	w->sec_open = 0;
	if (!s->length)
		s->offset = 0; /* SPEC §9.1: an empty section has offset 0 */
	w->nsections++;
	w->cursor = frc_align_up(w->cursor + s->length, 8);
	return FRC_OK;
}

/* Ends an open section without keeping it (after a failed append). */
static void section_drop(frc_writer_t *w)
{
	if (!w->sec_open)
		return;
	free(w->sections[w->nsections].name);
	frc_stream_free(w->sec_hash);
	w->sec_hash = NULL;
	w->sec_open = 0;
}

FRC_API int frc_writer_add_section(frc_writer_t *w, uint32_t type,
				   uint32_t flags, const char *name,
				   const void *data, uint64_t length)
{
	int rc;

	if (!w || (!data && length))
		return misuse(w, "data is NULL");
	if (length > FRC_SECTION_LENGTH_MAX)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: a section is at most 2^40 bytes "
				      "(SPEC §11)", w->path);
	if (length > SIZE_MAX)
		return misuse(w, "section too large for this machine");
	rc = frc_writer_section_begin(w, type, flags, name);
	if (rc == FRC_OK)
		rc = frc_writer_section_append(w, data, (size_t)length);
	if (rc == FRC_OK)
		return frc_writer_section_end(w);
	section_drop(w);
	return rc;
}

FRC_API int frc_writer_set_metadata(frc_writer_t *w, const char *key,
				    const char *value)
{
	struct frc_meta *grown;
	char *k, *v;

	if (!w || !key || !value)
		return misuse(w, "key or value is NULL");
	if (w->state != W_OPEN && w->state != W_STARTED)
		return misuse(w, "writer is not open");
	if (frc_meta_key_check(key, strlen(key)))
		return misuse(w, "metadata keys are 1-255 bytes of [a-z0-9._-] "
				 "starting with a letter or digit (SPEC §9.2)");
	if (strlen(value) > FRC_METADATA_MAX ||
	    !frc_utf8_valid((const uint8_t *)value, strlen(value)))
		return misuse(w, "metadata value must be UTF-8 (SPEC §9.2)");
	for (uint32_t i = 0; i < w->nmeta; i++) {
		if (strcmp(w->meta[i].key, key) == 0) {
			v = strdup(value);
			if (!v)
				return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM,
						      "out of memory");
			free(w->meta[i].value);
			w->meta[i].value = v;
			return FRC_OK;
		}
	}
	grown = realloc(w->meta, (w->nmeta + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	w->meta = grown;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	w->meta[w->nmeta].key = k;
	w->meta[w->nmeta].value = v;
	w->nmeta++;
	return FRC_OK;
}

/* Encodes the collected metadata as the metadata section (SPEC §9.2). */
static int flush_metadata(frc_writer_t *w)
{
	uint8_t *body;
	uint64_t len;
	int rc;

	if (!w->nmeta)
		return FRC_OK;
	if (frc_meta_encode(w->meta, w->nmeta, &body, &len))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (len > FRC_METADATA_MAX)
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				    "%s: metadata exceeds 1 MiB (SPEC §11)",
				    w->path);
	else
		rc = frc_writer_add_section(w, FRC_SECTION_METADATA, 0, NULL,
					    body, len);
	free(body);
	return rc;
}

static int progress_add(frc_writer_t *w, struct frc_progress *pr, uint64_t n)
{
	if (frc_progress_step(pr, n))
		return frc_fail_plain(FRC_ERR(w), FRC_E_CANCELED,
				      "%s: commit canceled", w->path);
	return FRC_OK;
}

/* R-BM-PAD: the present words as little-endian bytes are the bitmap
 * (format.h); bits past the last page were never set. */
static int write_bitmap(frc_writer_t *w, uint32_t idx)
{
	struct wregion *rg = &w->regions[idx];
	uint64_t len = frc_bitmap_bytes(rg->r.page_count) + FRC_TRAILER;
	uint8_t *buf = calloc(1, len);
	int err;

	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint64_t k = 0; k < len - FRC_TRAILER; k += 8)
		frc_put64(buf + k, rg->present[k / 8]);
	frc_table_seal(buf, len, frc_key(w->sb.uuid, FRC_KEY_BITMAP, idx, 0));
	err = frc_pwrite_full(w->fd, buf, len, rg->r.bitmap_offset);
	free(buf);
	return err ? io_fail(w, "cannot write bitmap", err) : FRC_OK;
}

/* SPEC §7.4: the checksum table, streamed in chunks with its trailer. */
static int write_csum_table(frc_writer_t *w, uint32_t idx,
			    struct frc_progress *pr)
{
	struct wregion *rg = &w->regions[idx];
	struct frc_stream_hash *h =
		frc_stream_new(frc_key(w->sb.uuid, FRC_KEY_CSUM_TABLE, idx, 0));
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = rg->r.csum_offset;
	int rc = FRC_OK, err = 0;

	if (!h || !buf) {
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < rg->r.page_count && !err && !rc;) {
		uint64_t n = rg->r.page_count - i;

		if (n > CHUNK / 8)
			n = CHUNK / 8;
		for (uint64_t k = 0; k < n; k++)
			frc_put64(buf + 8 * k, rg->csums[i + k]);
		frc_stream_update(h, buf, n * 8);
		/* The table's extent is a hole since start: zeros need no
		 * write, which keeps huge sparse regions small on disk. */
		if (!frc_all_zero(buf, n * 8))
			err = frc_pwrite_full(w->fd, buf, n * 8, off);
		off += n * 8;
		i += n;
		rc = progress_add(w, pr, n * 8);
	}
	if (!err && !rc) {
		frc_put64(buf, frc_stream_digest(h));
		err = frc_pwrite_full(w->fd, buf, FRC_TRAILER, off);
	}
	if (err)
		rc = io_fail(w, "cannot write checksum table", err);
out:
	frc_stream_free(h);
	free(buf);
	return rc;
}

static int write_section_table(frc_writer_t *w)
{
	uint64_t len = FRC_TRAILER, pos = 0;
	uint8_t *buf;
	int err;

	if (!w->nsections)
		return FRC_OK;
	for (uint32_t i = 0; i < w->nsections; i++)
		len += frc_section_entry_size(w->sections[i].name_length);
	buf = calloc(1, len);
	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < w->nsections; i++) {
		frc_section_encode(&w->sections[i], buf + pos);
		pos += frc_section_entry_size(w->sections[i].name_length);
	}
	frc_table_seal(buf, len,
		       frc_key(w->sb.uuid, FRC_KEY_SECTION_TABLE, 0, 0));
	w->sb.st_offset = w->cursor;
	w->sb.st_length = (uint32_t)len;
	w->sb.st_count = w->nsections;
	err = frc_pwrite_full(w->fd, buf, len, w->cursor);
	free(buf);
	w->cursor += len;
	return err ? io_fail(w, "cannot write section table", err) : FRC_OK;
}

/* Writes one superblock copy and flushes it (SPEC §10.2 steps 3-4). */
static int write_slot(frc_writer_t *w, uint64_t slot_offset)
{
	uint8_t buf[FRC_SLOT_SIZE];
	int err;

	memset(buf, 0, sizeof(buf));
	frc_sb_encode(&w->sb, buf);
	err = frc_pwrite_full(w->fd, buf, sizeof(buf), slot_offset);
	if (!err && fdatasync(w->fd) != 0)
		err = errno;
	return err ? io_fail(w, "cannot write superblock", err) : FRC_OK;
}

static int write_metadata(frc_writer_t *w, struct frc_progress *pr)
{
	int rc = FRC_OK;

	for (uint32_t i = 0; i < w->nregions && !rc; i++)
		pr->total += w->regions[i].r.page_count * 8;
	for (uint32_t i = 0; i < w->nregions && !rc; i++) {
		if (!w->regions[i].r.page_count)
			continue;
		rc = write_bitmap(w, i);
		if (!rc)
			rc = write_csum_table(w, i, pr);
	}
	if (!rc)
		rc = write_section_table(w);
	return rc;
}

FRC_API int frc_writer_commit(frc_writer_t *w, frc_progress_fn progress,
			      void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	int rc;

	if (!w)
		return misuse(w, "-");
	if (w->sec_open)
		return misuse(w, "a section is still open (call "
				 "frc_writer_section_end first)");
	if (w->state == W_NEW || w->state == W_COMMITTED)
		return misuse(w, "the writer is not open, or already "
				 "committed");
	rc = start_for(w, __func__);
	if (rc == FRC_OK)
		rc = flush_metadata(w);
	if (rc == FRC_OK)
		rc = write_metadata(w, &pr);
	/* SPEC §10.2 step 2: everything but the superblock is durable. */
	if (rc == FRC_OK) {
		w->sb.file_length = w->nsections ? w->cursor : w->data_end;
		if (ftruncate(w->fd, (off_t)w->sb.file_length) != 0 ||
		    fsync(w->fd) != 0)
			rc = io_fail(w, "cannot flush", errno);
	}
	if (rc == FRC_OK) {
		/* SPEC §10.2 steps 3-4: copy B, then copy A, each flushed. */
		w->sb.incompat &= ~FRC_INCOMPAT_INCOMPLETE;
		w->sb.commit_time = w->have_commit_time ? w->commit_time
							: now_ns();
		w->sb.sequence = 2;
		rc = write_slot(w, FRC_SLOT_B_OFFSET);
		w->sb.sequence = 3;
		if (rc == FRC_OK)
			rc = write_slot(w, FRC_SLOT_A_OFFSET);
	}
	if (rc == FRC_OK)
		rc = install_replacement(w);
	w->state = rc ? W_FAILED : W_COMMITTED;
	return rc;
}

FRC_API void frc_writer_free(frc_writer_t *w)
{
	if (!w)
		return;
	section_drop(w);
	if (w->dfd >= 0)
		close(w->dfd);
	if (w->fd >= 0 && w->own_fd)
		close(w->fd);
	/*
	 * A file we created but never started holds nothing: remove it. An
	 * abandoned replacement goes too: the old file stays as it was. A
	 * file given by descriptor is the caller's, never removed here.
	 */
	if (w->tmp_path)
		unlink(w->tmp_path);
	else if (w->state == W_OPEN && w->path && w->own_fd)
		unlink(w->path);
	free(w->tmp_path);
	for (uint32_t i = 0; i < w->nregions; i++) {
		free(w->regions[i].r.id);
		free(w->regions[i].present);
		free(w->regions[i].csums);
	}
	free(w->regions);
	frc_sections_free(w->sections, w->nsections);
	frc_meta_free(w->meta, w->nmeta);
	pthread_mutex_destroy(&w->start_lock);
	free(w->path);
	free(w);
}

/* ---- embedding: FRC around another format's bytes ---- */

FRC_API int frc_writer_open_embedded(frc_writer_t *w, int fd, const char *name,
				     uint64_t foreign_end,
				     const frc_writer_options_t *opts,
				     size_t opts_size)
{
	frc_writer_options_t o;
	struct stat st;
	int rc = fd_prologue(w, fd, name, &st, __func__, &o, opts, opts_size);

	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode) || foreign_end < FRC_FIXED_AREA_END ||
	    (uint64_t)st.st_size > foreign_end)
		return misuse(w, "frc_writer_open_embedded wants a regular file "
				 "no longer than foreign_end, and foreign_end "
				 "past the fixed area");
	w->embedded = 1;
	w->foreign_end = foreign_end;
	return fd_take(w, fd, &o);
}

/* Does [off, off+len) meet a page area of an adopted region? */
static bool meets_page_area(const frc_writer_t *w, uint64_t off, uint64_t len)
{
	for (uint32_t i = 0; i < w->nregions; i++) {
		const struct frc_region *r = &w->regions[i].r;

		if (w->regions[i].adopted && r->page_count && len &&
		    off < r->pages_offset + r->used_length &&
		    r->pages_offset < off + len)
			return true;
	}
	return false;
}

FRC_API int frc_writer_add_region_at(frc_writer_t *w, const char *id,
				     uint64_t used_length, uint32_t page_size,
				     uint64_t pages_offset, uint32_t *index)
{
	uint32_t i;
	int rc;

	if (!w || !id)
		return misuse(w, "id is NULL");
	if (!w->embedded)
		return misuse(w, "regions at given offsets need "
				 "frc_writer_open_embedded");
	if (!page_size || pages_offset % page_size ||
	    pages_offset < FRC_FIXED_AREA_END ||
	    pages_offset > w->foreign_end ||
	    used_length > w->foreign_end - pages_offset)
		return misuse(w, "page area not page-aligned or not inside "
				 "the foreign bytes");
	if (meets_page_area(w, pages_offset, used_length))
		return misuse(w, "page areas overlap");
	rc = frc_writer_add_region(w, id, used_length, page_size, &i);
	if (rc)
		return rc;
	w->regions[i].adopted = 1;
	w->regions[i].r.pages_offset = pages_offset;
	if (index)
		*index = i;
	return FRC_OK;
}

/*
 * Pages [first, first+count) of a region in place, read from `fd` (-1: this
 * file, where they lie, O_DIRECT where possible) with page i at base + i *
 * page_size, and checksummed.
 */
static int adopt(frc_writer_t *w, uint32_t region, uint64_t first,
		 uint64_t count, int fd, uint64_t base)
{
	struct wregion *rg = NULL;
	uint8_t *buf = NULL;
	uint64_t step;
	int rc = page_range(w, region, first, count, "", &rg);

	if (rc)
		return rc;
	if (!rg->adopted)
		return misuse(w, "the region's pages are not in place");
	step = CHUNK >> rg->r.page_shift ? CHUNK >> rg->r.page_shift : 1;
	if (posix_memalign((void **)&buf, FRC_DIRECT_ALIGN,
			   (size_t)step << rg->r.page_shift))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint64_t k = 0; k < count && rc == FRC_OK; k += step) {
		uint64_t n = count - k < step ? count - k : step;
		size_t len = (size_t)n << rg->r.page_shift;
		uint64_t off = base + ((first + k) << rg->r.page_shift);
		int err;

		if (fd >= 0)
			err = frc_pread_full(fd, buf, len, off);
		else
			err = frc_pread_pages(w->dfd, w->fd, buf, len, off);
		if (err)
			rc = io_fail(w, fd >= 0 ? "cannot read pages from their "
					"source" : "cannot read page in place",
				     err < 0 ? EIO : err);
		else
			rc = hash_pages(w, region, first + k, n, buf);
	}
	free(buf);
	return rc;
}

FRC_API int frc_writer_adopt_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count)
{
	if (w && region < w->nregions)
		return adopt(w, region, first, count, -1,
			     w->regions[region].r.pages_offset);
	return adopt(w, region, first, count, -1, 0);
}

FRC_API int frc_writer_adopt_pages_from(frc_writer_t *w, uint32_t region,
					uint64_t first, uint64_t count, int fd,
					uint64_t offset)
{
	if (fd < 0)
		return w ? misuse(w, "no file to read the pages from")
			 : FRC_E_MISUSE;
	return adopt(w, region, first, count, fd, offset);
}

/*
 * Pages [first, first+count) of an adopted region are absent: their bits
 * are cleared and slots holding bytes become holes, so that absent pages
 * read as zeros.
 */
FRC_API int frc_writer_clear_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count)
{
	struct wregion *rg;
	int rc = page_range(w, region, first, count, "", &rg), err;

	if (rc)
		return rc;
	if (!rg->adopted)
		return misuse(w, "the region's pages are not in place");
	if (!count)
		return FRC_OK;
	for (uint64_t k = 0; k < count; k++) {
		uint64_t i = first + k;

		__atomic_fetch_and(&rg->present[i / 64],
				   ~(UINT64_C(1) << (i % 64)), __ATOMIC_RELAXED);
		rg->csums[i] = 0;
	}
	err = frc_punch_hole(w->fd, rg->r.pages_offset + (first << rg->r.page_shift),
			     count << rg->r.page_shift);
	return err ? io_fail(w, "cannot free page slots", err) : FRC_OK;
}

/* A section whose bytes are already in the foreign part of the file. */
FRC_API int frc_writer_adopt_section(frc_writer_t *w, uint32_t type,
				     uint32_t flags, const char *name,
				     uint64_t offset, uint64_t length)
{
	struct frc_section *s;
	uint8_t *buf;
	int rc;

	if (!w)
		return misuse(w, "-");
	if (!w->embedded || offset < FRC_FIXED_AREA_END ||
	    offset > w->foreign_end || length > w->foreign_end - offset)
		return misuse(w, "a section in place must lie inside the "
				 "foreign bytes");
	if (meets_page_area(w, offset, length))
		return misuse(w, "a section in place overlaps a page area");
	for (uint32_t i = 0; i < w->nsections; i++)
		if (length && w->sections[i].length &&
		    offset < w->sections[i].offset + w->sections[i].length &&
		    w->sections[i].offset < offset + length)
			return misuse(w, "sections in place overlap");
	rc = frc_writer_section_begin(w, type, flags, name);
	if (rc)
		return rc;
	buf = malloc(CHUNK);
	if (!buf) {
		section_drop(w);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	s = &w->sections[w->nsections];
	for (uint64_t at = 0; at < length && rc == FRC_OK;) {
		size_t n = length - at < CHUNK ? (size_t)(length - at) : CHUNK;
		int err = frc_pread_full(w->fd, buf, n, offset + at);

		if (err)
			rc = io_fail(w, "cannot read section in place",
				     err < 0 ? EIO : err);
		else
			frc_stream_update(w->sec_hash, buf, n);
		at += n;
	}
	free(buf);
	if (rc) {
		section_drop(w);
		return rc;
	}
	s->checksum = frc_stream_digest(w->sec_hash);
	s->offset = length ? offset : 0;
	s->length = length;
	frc_stream_free(w->sec_hash);
	w->sec_hash = NULL;
	w->sec_open = 0;
	w->nsections++; /* the cursor stays: nothing was written */
	return FRC_OK;
}
