/*
 * wframes.c - writing compressed regions (SPEC "Compressed frames", 1.2).
 *
 * Pages of a compressed region are written like any others, raw, into
 * their slots, and their frame is marked pending; at commit every pending
 * frame is read back, compressed and stored at the start of its slot, the
 * rest of the slot punched (or kept raw when compression does not save a
 * block). frc_writer_write_region() compresses straight from the caller's
 * memory instead. A page written into a frame that is already compressed
 * first turns the frame back into raw pages, so rewrites stay in place and
 * the file stays bounded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "writer_internal.h"

#define FRAME_LOCKS 64u




/* One Zstandard compression context per thread, freed with the thread. */
static void *make_cctx(void)
{
	return ZSTD_createCCtx();
}

static void free_cctx(void *p)
{
	ZSTD_freeCCtx(p);
}

static struct frc_thread_slot cctx_slot = { make_cctx, free_cctx, 0, 0 };

static pthread_mutex_t *frame_lock(struct wregion *rg, uint64_t f)
{
	return &rg->frame_locks[f % FRAME_LOCKS];
}

FRC_API int frc_writer_set_compression(frc_writer_t *w, uint32_t region,
				       uint32_t method, int level,
				       uint32_t frame_pages)
{
	struct wregion *rg;
	uint64_t frames;
	unsigned shift;

	if (!w)
		return misuse(w, "-");
	if (w->state != W_OPEN)
		return misuse(w, "compression is chosen after the region is "
				 "added and before the first page or section");
	if (region >= w->nregions)
		return misuse(w, "no such region: %u (%u declared)", region,
			      w->nregions);
	rg = &w->regions[region];
	if (rg->adopted)
		return misuse(w, "region '%s' lies in place (embedding) and "
				 "cannot be compressed", rg->r.id);
	if (method != FRC_COMPRESSION_ZSTD)
		return misuse(w, "unknown compression method %u (%u is "
				 "Zstandard)", method, FRC_COMPRESSION_ZSTD);
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return misuse(w, "Zstandard level %d is not in %d..%d", level,
			      ZSTD_minCLevel(), ZSTD_maxCLevel());
	if (frame_pages == 0) /* default: 64 KiB frames, at least a page */
		frame_pages = rg->r.page_size >= FRC_FRAME_DEFAULT_BYTES
				      ? 1
				      : FRC_FRAME_DEFAULT_BYTES /
						rg->r.page_size;
	if (!frc_is_pow2(frame_pages) ||
	    (uint64_t)frame_pages * rg->r.page_size > FRC_FRAME_MAX_BYTES)
		return misuse(w, "frames of %u pages of %u bytes: the pages "
				 "per frame must be a power of two and a frame "
				 "at most 16 MiB (SPEC R-CF-SHIFT)", frame_pages,
			      rg->r.page_size);
	shift = (unsigned)__builtin_ctz(frame_pages);
	rg->r.compression = FRC_COMPRESSION_ZSTD;
	rg->r.frame_shift = (uint8_t)shift;
	rg->level = level;
	frames = frc_frame_count(&rg->r);
	free(rg->fstate);
	free(rg->fstored);
	free(rg->fcsum);
	rg->fstate = calloc(frames + 1, 1);
	rg->fstored = calloc(frames + 1, sizeof(*rg->fstored));
	rg->fcsum = calloc(frames + 1, sizeof(*rg->fcsum));
	if (!rg->fstate || !rg->fstored || !rg->fcsum)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (!rg->frame_locks) {
		rg->frame_locks = calloc(FRAME_LOCKS, sizeof(*rg->frame_locks));
		if (!rg->frame_locks)
			return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM,
					      "out of memory");
		for (unsigned i = 0; i < FRAME_LOCKS; i++)
			pthread_mutex_init(&rg->frame_locks[i], NULL);
	}
	w->sb.incompat |= FRC_INCOMPAT_COMPRESSED_FRAMES;
	return FRC_OK;
}

void frc_w_frames_free(struct wregion *rg)
{
	if (rg->frame_locks)
		for (unsigned i = 0; i < FRAME_LOCKS; i++)
			pthread_mutex_destroy(&rg->frame_locks[i]);
	free(rg->frame_locks);
	free(rg->fstate);
	free(rg->fstored);
	free(rg->fcsum);
}

/* Frame f's slot and length. */
static void frame_span(const struct wregion *rg, uint64_t f, uint64_t *slot,
		       uint64_t *len)
{
	*slot = rg->r.pages_offset + ((f << rg->r.frame_shift)
				      << rg->r.page_shift);
	*len = frc_frame_len(&rg->r, f);
}

/*
 * Stores frame f from data (its len bytes, absent pages zero): compressed
 * at the start of its slot with the rest punched, or raw when that does not
 * save a 4 KiB block (R-W-CF-ZEROS). Called with the frame's lock held, or
 * where no other thread touches the frame.
 */
static int store_frame(frc_writer_t *w, uint32_t region, uint64_t f,
		       const uint8_t *data, int dfd)
{
	struct wregion *rg = &w->regions[region];
	uint64_t slot, len, kept;
	size_t cap, n;
	uint8_t *buf;
	ZSTD_CCtx *c = frc_thread_object(&cctx_slot);
	int err;

	frame_span(rg, f, &slot, &len);
	cap = ZSTD_compressBound((size_t)len);
	if (!c || posix_memalign((void **)&buf, FRC_DIRECT_ALIGN,
				 frc_align_up(cap, FRC_DIRECT_ALIGN)))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	n = ZSTD_compressCCtx(c, buf, cap, data, (size_t)len, rg->level);
	kept = ZSTD_isError(n) ? len : frc_align_up(n, FRC_DIRECT_ALIGN);
	if (kept >= len) { /* raw: the frame's pages as they are */
		err = frc_pwrite_pages(dfd, w->fd, data, (size_t)len, slot);
		rg->fstate[f] = WF_RAW;
		rg->fstored[f] = (uint32_t)len;
		rg->fcsum[f] = 0;
	} else {
		memset(buf + n, 0, kept - n);
		err = frc_pwrite_pages(dfd, w->fd, buf, kept, slot);
		if (!err)
			err = frc_punch_hole(w->fd, slot + kept, len - kept);
		rg->fstate[f] = WF_COMPRESSED;
		rg->fstored[f] = (uint32_t)n;
		rg->fcsum[f] = frc_hash(buf, n, frc_key(w->sb.uuid, FRC_KEY_FRAME,
							region, f));
	}
	free(buf);
	return err ? io_fail(w, "cannot write a frame", err) : FRC_OK;
}

/* Whether any page of frame f is present. */
static bool frame_has_pages(const struct wregion *rg, uint64_t f)
{
	uint64_t first = f << rg->r.frame_shift;
	uint64_t end = first + (frc_frame_len(&rg->r, f) >> rg->r.page_shift);

	for (uint64_t i = first; i < end; i++)
		if (__atomic_load_n(&rg->present[i / 64], __ATOMIC_RELAXED) >>
		    (i % 64) & 1)
			return true;
	return false;
}

/* A compressed frame back to raw pages in its slot. */
static int expand_frame(frc_writer_t *w, uint32_t region, uint64_t f)
{
	struct wregion *rg = &w->regions[region];
	uint64_t slot, len;
	uint8_t *src = NULL, *raw = NULL;
	int err, rc = FRC_OK;

	frame_span(rg, f, &slot, &len);
	src = malloc(rg->fstored[f]);
	if (posix_memalign((void **)&raw, FRC_DIRECT_ALIGN, len) || !src) {
		free(src);
		free(raw);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	err = frc_pread_full(w->fd, src, rg->fstored[f], slot);
	if (err)
		rc = io_fail(w, "cannot read a frame back", err < 0 ? EIO : err);
	else if (ZSTD_decompress(raw, len, src, rg->fstored[f]) != len)
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_IO, "%s: frame %llu of "
				    "region '%s' does not decompress as it was "
				    "written", w->path, (unsigned long long)f,
				    rg->r.id);
	else if ((err = frc_pwrite_pages(w->dfd, w->fd, raw, len, slot)))
		rc = io_fail(w, "cannot write a frame", err);
	if (rc == FRC_OK)
		rg->fstate[f] = WF_PENDING;
	free(src);
	free(raw);
	return rc;
}

int frc_w_frames_touch(frc_writer_t *w, uint32_t region, uint64_t page,
		       bool present)
{
	struct wregion *rg = &w->regions[region];
	uint64_t f = page >> rg->r.frame_shift;
	int rc = FRC_OK;

	pthread_mutex_lock(frame_lock(rg, f));
	if (rg->fstate[f] == WF_COMPRESSED)
		rc = expand_frame(w, region, f); /* now pending */
	else if (present || rg->fstate[f] == WF_RAW)
		rg->fstate[f] = WF_PENDING;
	pthread_mutex_unlock(frame_lock(rg, f));
	return rc;
}

int frc_w_frames_store(frc_writer_t *w, uint32_t region, uint64_t first,
		       uint64_t count, const uint8_t *data)
{
	struct wregion *rg = &w->regions[region];
	unsigned sh = rg->r.page_shift;
	int rc = FRC_OK;

	for (uint64_t f = first >> rg->r.frame_shift;
	     (f << rg->r.frame_shift) < first + count && rc == FRC_OK; f++) {
		uint64_t slot, len, p = f << rg->r.frame_shift;

		frame_span(rg, f, &slot, &len);
		pthread_mutex_lock(frame_lock(rg, f));
		if (frame_has_pages(rg, f)) {
			rc = store_frame(w, region, f,
					 data + ((p - first) << sh), w->dfd);
		} else { /* no page: a hole */
			int err = frc_punch_hole(w->fd, slot, len);

			rg->fstate[f] = WF_UNTOUCHED;
			if (err)
				rc = io_fail(w, "cannot free a frame", err);
		}
		pthread_mutex_unlock(frame_lock(rg, f));
	}
	return rc;
}

/* ---- frames filled in order: compressed once, on the pool ---- */

/* Stores a filled frame: compressed (or raw), or a hole without pages. */
static int store_filled(frc_writer_t *w, struct fill_slot *fs)
{
	struct wregion *rg = &w->regions[fs->region];
	uint64_t slot, len;
	int rc = FRC_OK;

	frame_span(rg, fs->frame, &slot, &len);
	pthread_mutex_lock(frame_lock(rg, fs->frame));
	if (frame_has_pages(rg, fs->frame)) {
		/* through the page cache: small synchronous direct writes
		 * would wait for the disk frame by frame; the commit's fsync
		 * writes them once */
		rc = store_frame(w, fs->region, fs->frame, fs->buf, -1);
	} else { /* every page was zero: a hole */
		int err = frc_punch_hole(w->fd, slot, len);

		rg->fstate[fs->frame] = WF_UNTOUCHED;
		if (err)
			rc = io_fail(w, "cannot free a frame", err);
	}
	pthread_mutex_unlock(frame_lock(rg, fs->frame));
	return rc;
}

static void *fill_thread(void *arg)
{
	frc_writer_t *w = arg;
	struct frame_fill *ff = &w->fill;

	pthread_mutex_lock(&ff->qlock);
	for (;;) {
		struct fill_slot *fs = NULL;
		int rc;

		for (unsigned k = 0; k < ff->nslots && !fs; k++)
			if (ff->slot[k].state == 2)
				fs = &ff->slot[k];
		if (!fs) {
			if (ff->stop)
				break;
			pthread_cond_wait(&ff->qcond, &ff->qlock);
			continue;
		}
		fs->state = 3;
		pthread_mutex_unlock(&ff->qlock);
		rc = ff->rc ? FRC_OK : store_filled(w, fs);
		pthread_mutex_lock(&ff->qlock);
		if (rc && !ff->rc) {
			ff->err = *frc_err_current();
			__atomic_store_n(&ff->rc, rc, __ATOMIC_RELEASE);
		}
		fs->state = 0;
		pthread_cond_broadcast(&ff->qcond);
	}
	pthread_mutex_unlock(&ff->qlock);
	return NULL;
}

void frc_w_fill_init(frc_writer_t *w)
{
	struct frame_fill *ff = &w->fill;

	memset(ff, 0, sizeof(*ff));
	pthread_mutex_init(&ff->lock, NULL);
	pthread_mutex_init(&ff->qlock, NULL);
	pthread_cond_init(&ff->qcond, NULL);
	ff->filling = -1;
}

/* Ends the pool's threads (after what is queued). */
static void fill_stop(struct frame_fill *ff)
{
	pthread_mutex_lock(&ff->qlock);
	ff->stop = 1;
	pthread_cond_broadcast(&ff->qcond);
	pthread_mutex_unlock(&ff->qlock);
	for (unsigned i = 0; i < ff->nthreads; i++)
		pthread_join(ff->thread[i], NULL);
	ff->nthreads = 0;
	ff->stop = 0;
}

void frc_w_fill_free(frc_writer_t *w)
{
	struct frame_fill *ff = &w->fill;

	fill_stop(ff);
	for (unsigned k = 0; k < FILL_SLOTS; k++)
		free(ff->slot[k].buf);
	pthread_cond_destroy(&ff->qcond);
	pthread_mutex_destroy(&ff->qlock);
	pthread_mutex_destroy(&ff->lock);
}

/* Hands the frame being filled to the pool. */
static void fill_queue(struct frame_fill *ff)
{
	if (ff->filling < 0)
		return;
	pthread_mutex_lock(&ff->qlock);
	ff->slot[ff->filling].state = 2;
	pthread_cond_broadcast(&ff->qcond);
	pthread_mutex_unlock(&ff->qlock);
	ff->filling = -1;
}

/* Waits until no slot holds frame f of the region (queued or storing). */
static void fill_wait_frame(struct frame_fill *ff, uint32_t region,
			    uint64_t f)
{
	bool held = true;

	pthread_mutex_lock(&ff->qlock);
	while (held) {
		held = false;
		for (unsigned k = 0; k < ff->nslots; k++)
			held |= ff->slot[k].state >= 2 &&
				ff->slot[k].region == region &&
				ff->slot[k].frame == f;
		if (held)
			pthread_cond_wait(&ff->qcond, &ff->qlock);
	}
	pthread_mutex_unlock(&ff->qlock);
}

/* The pool's first failure, made the calling thread's. */
static int fill_error(frc_writer_t *w)
{
	struct frame_fill *ff = &w->fill;
	int rc;

	if (!__atomic_load_n(&ff->rc, __ATOMIC_ACQUIRE))
		return FRC_OK; /* the usual case, without the lock */
	pthread_mutex_lock(&ff->qlock);
	rc = ff->rc;
	if (rc)
		frc_err_adopt(w, &ff->err);
	pthread_mutex_unlock(&ff->qlock);
	return rc;
}

int frc_w_frames_flush(frc_writer_t *w)
{
	struct frame_fill *ff = &w->fill;
	bool busy = true;

	fill_queue(ff);
	pthread_mutex_lock(&ff->qlock);
	while (busy) {
		busy = false;
		for (unsigned k = 0; k < ff->nslots; k++)
			busy |= ff->slot[k].state != 0;
		if (busy)
			pthread_cond_wait(&ff->qcond, &ff->qlock);
	}
	pthread_mutex_unlock(&ff->qlock);
	return fill_error(w);
}

/* The largest frame of the writer's compressed regions, in bytes. */
static uint64_t largest_frame(const frc_writer_t *w)
{
	uint64_t most = 0;

	for (uint32_t i = 0; i < w->nregions; i++) {
		const struct frc_region *r = &w->regions[i].r;
		uint64_t b = (uint64_t)r->page_size << r->frame_shift;

		if (r->compression && b > most)
			most = b;
	}
	return most;
}

/*
 * A free slot (its buffer allocated), waiting for one while every slot is
 * queued or being stored; -1 when there is no memory or thread. The pool
 * is started with the first frame, sized by the largest frame of any
 * region (the regions are fixed by then): at most 64 MiB of frames.
 */
static int fill_slot_for(frc_writer_t *w)
{
	struct frame_fill *ff = &w->fill;
	int k = -1;

	if (!ff->nslots) {
		/* frames in memory: 4 per thread, at most 64 MiB of them */
		unsigned threads = frc_default_threads(0);

		ff->frame_bytes = largest_frame(w);
		uint64_t by_mem = (UINT64_C(64) << 20) / ff->frame_bytes;

		if (threads > FILL_SLOTS / 4)
			threads = FILL_SLOTS / 4;
		ff->nslots = 4 * threads;
		if (ff->nslots > by_mem)
			ff->nslots = by_mem < 2 ? 2 : (unsigned)by_mem;
		for (unsigned i = 0; i < threads && i + 1 < ff->nslots; i++)
			if (pthread_create(&ff->thread[ff->nthreads], NULL,
					   fill_thread, w) == 0)
				ff->nthreads++;
		if (!ff->nthreads) {
			ff->nslots = 0;
			return -1;
		}
	}
	pthread_mutex_lock(&ff->qlock);
	while (k < 0) {
		for (unsigned i = 0; i < ff->nslots && k < 0; i++)
			if (ff->slot[i].state == 0)
				k = (int)i;
		if (k < 0)
			pthread_cond_wait(&ff->qcond, &ff->qlock);
	}
	ff->slot[k].state = 1;
	pthread_mutex_unlock(&ff->qlock);
	if (!ff->slot[k].buf &&
	    posix_memalign((void **)&ff->slot[k].buf, FRC_DIRECT_ALIGN,
			   ff->frame_bytes)) {
		ff->slot[k].buf = NULL;
		ff->slot[k].state = 0;
		return -1;
	}
	return k;
}

int frc_w_frames_take(frc_writer_t *w, uint32_t region, uint64_t page,
		      const uint8_t *pg, bool *taken)
{
	struct frame_fill *ff = &w->fill;
	struct wregion *rg = &w->regions[region];
	uint64_t f = page >> rg->r.frame_shift, slot, len;
	struct fill_slot *fs = ff->filling >= 0 ? &ff->slot[ff->filling] : NULL;
	int rc = fill_error(w), k;

	*taken = false;
	if (rc)
		return rc;
	if (!fs || fs->region != region || fs->frame != f) {
		/* a zero page starts nothing: in a frame never written it
		 * changes nothing (frc_w_frames_touch) */
		if (frc_all_zero(pg, rg->r.page_size))
			return FRC_OK;
		fill_queue(ff);
		/* a page coming back to a frame handed to the pool: once it
		 * is stored, the frame takes the raw path like any frame
		 * written before */
		fill_wait_frame(ff, region, f);
		if (__atomic_load_n(&rg->fstate[f], __ATOMIC_RELAXED) !=
		    WF_UNTOUCHED)
			return FRC_OK; /* written before: the raw path */
		frame_span(rg, f, &slot, &len);
		k = fill_slot_for(w);
		if (k < 0)
			return FRC_OK; /* no memory or thread: the raw path */
		fs = &ff->slot[k];
		memset(fs->buf, 0, len);
		fs->region = region;
		fs->frame = f;
		ff->filling = k;
	}
	memcpy(fs->buf + ((page - (f << rg->r.frame_shift)) << rg->r.page_shift),
	       pg, rg->r.page_size);
	*taken = true;
	return FRC_OK;
}

/* ---- commit: pending frames compressed, frame tables written ---- */

struct frames_job {
	frc_writer_t *w;
	uint32_t region;
	uint64_t frames;
	uint64_t per_chunk; /* frames per pipeline chunk */
};

static int compress_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct frames_job *j = arg;
	struct wregion *rg = &j->w->regions[j->region];
	uint64_t first, n = frc_chunk(chunk, j->per_chunk, j->frames, &first);
	uint8_t *raw = NULL;
	int rc = FRC_OK;

	*bytes = 0;
	for (uint64_t f = first; f < first + n && rc == FRC_OK; f++) {
		uint64_t slot, len;
		int err;

		frame_span(rg, f, &slot, &len);
		*bytes += len;
		if (rg->fstate[f] != WF_PENDING)
			continue;
		if (!frame_has_pages(rg, f)) { /* every page cleared */
			rg->fstate[f] = WF_UNTOUCHED;
			err = frc_punch_hole(j->w->fd, slot, len);
			if (err)
				rc = io_fail(j->w, "cannot free a frame", err);
			continue;
		}
		if (!raw && posix_memalign((void **)&raw, FRC_DIRECT_ALIGN,
					   (size_t)rg->r.page_size
						   << rg->r.frame_shift)) {
			raw = NULL;
			rc = frc_fail_plain(FRC_ERR(j->w), FRC_E_NOMEM,
					    "out of memory");
			break;
		}
		/* absent pages are holes or zeros: they compress as zeros.
		 * The pages were just written through the page cache: read
		 * and rewrite them there (no O_DIRECT, which would force them
		 * out first); the commit's fsync writes the frames once. */
		err = frc_pread_full(j->w->fd, raw, (size_t)len, slot);
		if (err)
			rc = io_fail(j->w, "cannot read a frame back",
				     err < 0 ? EIO : err);
		else
			rc = store_frame(j->w, j->region, f, raw, -1);
	}
	free(raw);
	return rc;
}

/* Stage two only counts the chunk's bytes for the progress report. */
static int count_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct frames_job *j = arg;
	struct wregion *rg = &j->w->regions[j->region];
	uint64_t first, n = frc_chunk(chunk, j->per_chunk, j->frames, &first);

	*bytes = 0;
	for (uint64_t f = first; f < first + n; f++)
		*bytes += frc_frame_len(&rg->r, f);
	return FRC_OK;
}

/* The frame table of a compressed region, from the frames' states. */
static int write_frame_table(frc_writer_t *w, uint32_t region)
{
	struct wregion *rg = &w->regions[region];
	uint64_t frames = frc_frame_count(&rg->r);
	uint64_t len = frc_frame_table_bytes(frames);
	uint8_t *t = calloc(1, len);
	int err;

	if (!t)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint64_t f = 0; f < frames; f++) {
		uint8_t *e = t + f * FRC_FRAME_ENTRY_SIZE;

		if (rg->fstate[f] == WF_RAW || rg->fstate[f] == WF_COMPRESSED) {
			frc_put32(e + FRC_FE_STORED_AT, rg->fstored[f]);
			e[FRC_FE_ENCODING_AT] = rg->fstate[f] == WF_RAW
							? FRC_FRAME_RAW
							: FRC_FRAME_COMPRESSED;
			frc_put64(e + FRC_FE_CHECKSUM_AT, rg->fcsum[f]);
		}
	}
	frc_table_seal(t, len, frc_key(w->sb.uuid, FRC_KEY_FRAME_TABLE, region,
				       0));
	err = frc_pwrite_full(w->fd, t, len, rg->r.frame_table_offset);
	free(t);
	return err ? io_fail(w, "cannot write a frame table", err) : FRC_OK;
}

int frc_w_frames_commit(frc_writer_t *w, uint32_t region,
			struct frc_progress *pr)
{
	struct wregion *rg = &w->regions[region];
	struct frames_job j = { w, region, frc_frame_count(&rg->r), 0 };
	int rc;

	j.per_chunk = (4u << 20) / ((uint64_t)rg->r.page_size
				   << rg->r.frame_shift);
	if (!j.per_chunk)
		j.per_chunk = 1;
	/* compressing on one thread per CPU; stage two counts progress */
	rc = frc_pipeline_run(w, w->path, 0, 1,
			      (j.frames + j.per_chunk - 1) / j.per_chunk,
			      compress_chunk, count_chunk, &j, pr);
	if (rc == FRC_OK)
		rc = write_frame_table(w, region);
	return rc;
}
