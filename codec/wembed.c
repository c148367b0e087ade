/*
 * wembed.c - FRC around another format's bytes (SPEC "QEMU mapped-ram
 * inside an FRC file"): regions at given offsets, pages and sections
 * adopted where they lie.
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

FRC_API int frc_writer_open_embedded(frc_writer_t *w, int fd, const char *name,
				     uint64_t foreign_end,
				     const frc_writer_options_t *opts,
				     size_t opts_size)
{
	frc_writer_options_t o;
	struct stat st;
	int rc = frc_w_fd_prologue(w, fd, name, &st, __func__, &o, opts, opts_size);

	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode) || foreign_end < FRC_FIXED_AREA_END ||
	    (uint64_t)st.st_size < foreign_end)
		return misuse(w, "frc_writer_open_embedded wants a regular file "
				 "at least foreign_end long, and foreign_end "
				 "past the fixed area");
	w->embedded = 1;
	w->foreign_end = foreign_end;
	return frc_w_fd_take(w, fd, &o);
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
			rc = frc_w_hash_pages(w, region, first + k, n, buf,
					      0);
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
	if (type == FRC_SECTION_DIGESTS || type == FRC_SECTION_SIGNATURE)
		return misuse(w, "sections of type %u are written by the "
				 "library", type);
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
		frc_w_section_drop(w);
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
		frc_w_section_drop(w);
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
