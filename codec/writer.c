/*
 * writer.c - creating an FRC file (SPEC "Writing and committing"): the
 * handle, its options, opening or replacing a file, declaring regions,
 * fixing the layout and starting the file; the other parts of the writer
 * are listed in writer_internal.h.
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

#include "writer_internal.h"

FRC_API frc_writer_t *frc_writer_new(void)
{
	frc_writer_t *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	frc_err_forget(w);
	w->fd = -1;
	w->dfd = -1;
	pthread_mutex_init(&w->start_lock, NULL);
	frc_w_fill_init(w);
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
__attribute__((format(printf, 3, 4))) int
frc_w_misuse(const frc_writer_t *w, const char *func, const char *fmt, ...)
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

uint64_t frc_w_now_ns(void)
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
	if (o && o->digest > FRC_DIGEST_SHA256)
		return misuse(w, "digest %u is not one this library records "
				 "(FRC_DIGEST_SHA256)", o->digest);
	w->digest = o ? (int)o->digest : 0;
	w->sb.major = FRC_FORMAT_VERSION_MAJOR;
	/* 1.3 only where a 1.3 feature is used (SPEC "Layout") */
	w->sb.minor = w->digest ? FRC_FORMAT_VERSION_MINOR : 2;
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
						     : frc_w_now_ns();
	w->have_commit_time = o && o->have_commit_time;
	w->commit_time = o ? o->commit_time_ns : 0;
	return FRC_OK;
}

/*
 * SPEC "Replacing an existing file": an existing file is replaced atomically.
 * The new file is
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
	if (w->fd < 0) {
		int rc = frc_fail_errno(FRC_ERR(w), w->tmp_path,
					"cannot create", errno);

		/* nothing was created: nothing to unlink when freed */
		free(w->tmp_path);
		w->tmp_path = NULL;
		return rc;
	}
	/* mkostemp makes 0600: the file stays private until it is renamed
	 * into place with the mode and owner of the file it replaces. */
	w->own_fd = 1;
	if (w->direct)
		w->dfd = frc_direct_open(w->tmp_path, true);
	w->state = W_OPEN;
	return FRC_OK;
}

/* Puts a replacement file in place and makes the rename durable. */
int frc_w_install_replacement(frc_writer_t *w)
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
	free(w->path); /* left by an earlier open that failed */
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
int frc_w_fd_prologue(frc_writer_t *w, int fd, const char *name,
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
	free(w->path); /* left by an earlier open that failed */
	w->path = strdup(name);
	if (!w->path)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (fstat(fd, st) != 0)
		return frc_fail_errno(FRC_ERR(w), name, "cannot stat", errno);
	return FRC_OK;
}

/* ...and, the file accepted, the writer takes it (never closing it). */
int frc_w_fd_take(frc_writer_t *w, int fd, const frc_writer_options_t *opts)
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
	int rc = frc_w_fd_prologue(w, fd, name, &st, __func__, &o, opts, opts_size);

	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return misuse(w, "frc_writer_open_fd wants an empty regular "
				 "file");
	return frc_w_fd_take(w, fd, &o);
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
				      "%s: more than %u regions (SPEC R-LIMITS)",
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
	if (!rg->r.id || !rg->present || !rg->csums ||
	    frc_w_dg_region(w, rg)) {
		free(rg->r.id);
		free(rg->present);
		free(rg->csums);
		free(rg->tree);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM,
				      "out of memory for region '%s'", id);
	}
	if (index)
		*index = w->nregions;
	w->nregions++;
	return FRC_OK;
}

/*
 * SPEC "Creating a file and writing pages": where every structure goes, decided
 * once at start.
 */
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
		if (r->compression) { /* 1.2: after the checksum table */
			r->frame_table_offset = off;
			off += frc_frame_table_bytes(frc_frame_count(r));
		}
		if (w->base) { /* 1.3: then the base map */
			r->base_map_offset = off;
			off += frc_bitmap_bytes(r->page_count) + FRC_TRAILER;
		}
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

static int write_fixed_area_sb(frc_writer_t *w, const struct frc_sb *sb)
{
	uint8_t *buf = calloc(1, FRC_FIXED_AREA_END);
	int err;

	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	memcpy(buf, frc_signature, FRC_SIGNATURE_SIZE);
	frc_sb_encode(sb, buf + FRC_SLOT_A_OFFSET);
	err = frc_pwrite_full(w->fd, buf, FRC_FIXED_AREA_END, 0);
	free(buf);
	return err ? io_fail(w, "cannot write superblock", err) : FRC_OK;
}

static int write_fixed_area(frc_writer_t *w)
{
	return write_fixed_area_sb(w, &w->sb);
}

/*
 * Embedded (frc_writer_open_embedded): first an incomplete superblock with
 * no tables whose file_length is foreign_end, flushed, before anything is
 * appended: so whatever an interrupted writer leaves after the foreign
 * bytes is named by the superblock, as "after file_length" here and, once
 * the full superblock is written, as the tables it names.
 */
static int mark_foreign_end(frc_writer_t *w)
{
	struct frc_sb sb = w->sb;
	int rc;

	sb.file_length = w->foreign_end;
	sb.ft_offset = sb.rt_offset = sb.st_offset = 0;
	sb.ft_length = sb.rt_length = sb.st_length = 0;
	sb.rt_count = sb.st_count = 0;
	rc = write_fixed_area_sb(w, &sb);
	if (rc == FRC_OK && fdatasync(w->fd) != 0)
		rc = io_fail(w, "cannot flush", errno);
	return rc;
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
	/*
	 * SPEC "Creating a file and writing pages" steps 1-3: signature,
	 * tables and the incomplete superblock first (a reader of the new
	 * file sees it incomplete or truncated, never as a foreign file),
	 * then the whole extent, sparse.
	 *
	 * In another program's file (frc_writer_open_embedded) the fixed area
	 * already holds an incomplete superblock: first one that records
	 * where the foreign bytes end; the full one, which says the file is
	 * data_end long, is written only once the file is that long and the
	 * tables are durable. So at every point the file reads as incomplete,
	 * never as shorter than its superblock says, and whatever was
	 * appended lies after the foreign bytes, where a second try finds
	 * and replaces it.
	 */
	rc = w->embedded ? mark_foreign_end(w) : write_fixed_area(w);
	if (rc == FRC_OK)
		rc = write_tables(w);
	if (rc == FRC_OK && ftruncate(w->fd, (off_t)w->data_end) != 0)
		rc = io_fail(w, "cannot size file", errno);
	if (rc == FRC_OK && w->embedded) {
		if (fdatasync(w->fd) != 0)
			rc = io_fail(w, "cannot flush", errno);
		else
			rc = write_fixed_area(w);
	}
	/* The incomplete mark is durable before any page is. */
	if (rc == FRC_OK && fdatasync(w->fd) != 0)
		rc = io_fail(w, "cannot flush", errno);
	w->state = rc ? W_FAILED : W_STARTED;
	return rc;
}

/* frc_writer_start() on behalf of the API call `func` (for its messages). */
int frc_w_start(frc_writer_t *w, const char *func)
{
	int rc = FRC_OK;

	if (!w)
		return frc_w_misuse(w, func, "-");
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
		rc = frc_w_misuse(w, func, "the writer is not open, or "
				   "already committed");
	}
	pthread_mutex_unlock(&w->start_lock);
	return rc;
}

FRC_API int frc_writer_start(frc_writer_t *w)
{
	return frc_w_start(w, __func__);
}

FRC_API void frc_writer_free(frc_writer_t *w)
{
	if (!w)
		return;
	frc_err_forget(w);
	frc_w_fill_free(w); /* its threads write into w->fd: first */
	frc_w_section_drop(w);
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
		free(w->regions[i].tree);
		free(w->regions[i].from_base);
		free(w->regions[i].base_leaves);
		frc_w_frames_free(&w->regions[i]);
	}
	free(w->regions);
	frc_reader_free(w->base);
	free(w->base_hint);
	frc_sections_free(w->sections, w->nsections);
	frc_meta_free(w->meta, w->nmeta);
	pthread_mutex_destroy(&w->start_lock);
	free(w->path);
	free(w);
}
