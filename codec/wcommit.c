/*
 * wcommit.c - the commit (R-W-COMMIT-ORDER): metadata, bitmaps, checksum
 * tables and the section table made durable, then both superblock copies
 * flipped to complete, each flushed.
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

static int progress_add(frc_writer_t *w, struct frc_progress *pr, uint64_t n)
{
	if (frc_progress_step(pr, n))
		return frc_fail_plain(FRC_ERR(w), FRC_E_CANCELED,
				      "%s: commit canceled", w->path);
	return FRC_OK;
}

/* R-BM-PAD: 64-bit words as little-endian bytes are a bitmap (format.h);
 * bits past the last page were never set. The present-page bitmap, or
 * (1.3) the base map, with the key tag of either. */
int frc_w_write_bits(frc_writer_t *w, uint32_t idx, const uint64_t *words,
		     uint64_t offset, int tag)
{
	struct wregion *rg = &w->regions[idx];
	uint64_t len = frc_bitmap_bytes(rg->r.page_count) + FRC_TRAILER;
	uint8_t *buf = calloc(1, len);
	int err;

	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint64_t k = 0; k < len - FRC_TRAILER; k += 8)
		frc_put64(buf + k, words[k / 8]);
	frc_table_seal(buf, len, frc_key(w->sb.uuid, tag, idx, 0));
	err = frc_pwrite_full(w->fd, buf, len, offset);
	free(buf);
	return err ? io_fail(w, "cannot write bitmap", err) : FRC_OK;
}

/* SPEC "Page checksum table": the checksum table, streamed in chunks with its trailer. */
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

/* Writes one superblock copy and flushes it (SPEC "Commit" steps 3-4). */
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
	int rc;

	pthread_mutex_lock(&w->fill.lock); /* the last frame filled */
	rc = frc_w_frames_flush(w);
	pthread_mutex_unlock(&w->fill.lock);
	for (uint32_t i = 0; i < w->nregions && !rc; i++)
		pr->total += w->regions[i].r.page_count * 8 +
			     (w->regions[i].r.compression
				      ? w->regions[i].r.used_length
				      : 0);
	for (uint32_t i = 0; i < w->nregions && !rc; i++) {
		if (!w->regions[i].r.page_count)
			continue;
		if (w->regions[i].r.compression)
			rc = frc_w_frames_commit(w, i, pr);
		if (!rc)
			rc = frc_w_write_bits(w, i, w->regions[i].present,
					      w->regions[i].r.bitmap_offset,
					      FRC_KEY_BITMAP);
		if (!rc)
			rc = write_csum_table(w, i, pr);
	}
	if (!rc && w->base)
		rc = frc_w_base_commit(w);
	if (!rc && w->digest)
		rc = frc_w_dg_commit(w);
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
	rc = frc_w_start(w, __func__);
	if (rc == FRC_OK)
		rc = frc_w_flush_metadata(w);
	if (rc == FRC_OK)
		rc = write_metadata(w, &pr);
	/* SPEC "Commit" step 2: everything but the superblock is durable. */
	if (rc == FRC_OK) {
		w->sb.file_length = w->nsections ? w->cursor : w->data_end;
		if (ftruncate(w->fd, (off_t)w->sb.file_length) != 0 ||
		    fsync(w->fd) != 0)
			rc = io_fail(w, "cannot flush", errno);
	}
	if (rc == FRC_OK) {
		/* SPEC "Commit" steps 3-4: copy B, then copy A, each flushed. */
		w->sb.incompat &= ~FRC_INCOMPAT_INCOMPLETE;
		w->sb.commit_time = w->have_commit_time ? w->commit_time
							: frc_w_now_ns();
		w->sb.sequence = 2;
		rc = write_slot(w, FRC_SLOT_B_OFFSET);
		w->sb.sequence = 3;
		if (rc == FRC_OK)
			rc = write_slot(w, FRC_SLOT_A_OFFSET);
	}
	if (rc == FRC_OK)
		rc = frc_w_install_replacement(w);
	w->state = rc ? W_FAILED : W_COMMITTED;
	return rc;
}
