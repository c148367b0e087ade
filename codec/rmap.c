/*
 * rmap.c - a region mapped into memory (its page area, absent pages as
 * zeros, pages not verified when touched) and the data an absent page's
 * slot still holds (SPEC "Present-page bitmap", R-W-ABSENT-ZEROS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader_internal.h"

/* The page-aligned span of the file that backs a region's mapping. */
static void map_span(const struct rregion *rg, uint64_t *start,
		     uint64_t *delta)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	*start = rg->r.pages_offset & ~(ps - 1);
	*delta = rg->r.pages_offset - *start;
}

/*
 * SPEC "Present-page bitmap" says an absent page's slot reads as zeros, but a
 * reader does not
 * rely on it: absent pages that hold data are zeroed in the private copy.
 */
static void zero_absent_data(frc_reader_t *r, struct rregion *rg,
			     uint8_t *base)
{
	uint64_t end = rg->r.pages_offset + rg->r.used_length, data, hole;

	for (uint64_t pos = rg->r.pages_offset;
	     frc_data_extent(r->fd, pos, end, &data, &hole); pos = hole)
		for (uint64_t p = (data - rg->r.pages_offset) >>
				  rg->r.page_shift;
		     p < rg->r.page_count && frc_r_page_offset(rg, p) < hole; p++)
			if (!frc_bm_get(rg, p))
				memset(base + (p << rg->r.page_shift), 0,
				       rg->r.page_size);
}

FRC_API int frc_reader_map_region(frc_reader_t *r, uint32_t region,
				  const void **addr)
{
	struct rregion *rg;
	uint64_t start, delta;
	uint8_t *m;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!addr)
		return FRC_MISUSE(r, "addr is NULL");
	*addr = NULL;
	if (!rg->r.used_length)
		return FRC_OK;
	if (rg->r.compression)
		return frc_r_fail(r, FRC_E_UNSUPPORTED, rg->r.pages_offset, NULL,
			    "region '%s' is stored in compressed frames and "
			    "cannot be mapped: read it instead (its pages are "
			    "decompressed and verified)", rg->r.id);
	if (rg->bmap && rg->bmap->present)
		return frc_r_fail(r, FRC_E_UNSUPPORTED, rg->r.base_map_offset,
			    NULL, "region '%s' has pages from its base file, "
			    "which a mapping of this file cannot show: read it "
			    "or map it verified instead", rg->r.id);
	map_span(rg, &start, &delta);
	m = mmap(NULL, rg->r.used_length + delta, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE, r->fd, (off_t)start);
	if (m == MAP_FAILED)
		return frc_r_fail(r, FRC_E_IO, start, NULL, "cannot map region: %s",
			    strerror(errno));
	if (rg->bitmap_valid)
		zero_absent_data(r, rg, m + delta);
	mprotect(m, rg->r.used_length + delta, PROT_READ);
	*addr = m + delta;
	return FRC_OK;
}

FRC_API void frc_reader_unmap_region(frc_reader_t *r, uint32_t region,
				     const void *addr)
{
	struct rregion *rg;
	uint64_t start, delta;

	if (!addr || region_arg(r, region, &rg) || frc_vmap_release(r, addr))
		return;
	map_span(rg, &start, &delta);
	munmap((uint8_t *)(uintptr_t)addr - delta, rg->r.used_length + delta);
}

/*
 * SPEC "Present-page bitmap" (R-W-ABSENT-ZEROS): counts absent pages whose slot
 * does not read
 * as zeros. Only allocated extents of the page area are read (SEEK_DATA),
 * so a sparse file is checked in time proportional to the data it holds.
 */
/* How many leading bytes of page p's slot are its frame's stored bytes. */
static int frame_data_end(frc_reader_t *r, uint32_t idx, uint64_t p,
			  uint64_t *from)
{
	struct rregion *rg = &r->regions[idx];
	struct frc_frame fr;
	uint64_t off = frc_r_page_offset(rg, p), end;
	int rc = frc_frame_get(r, idx, p >> rg->r.frame_shift, &fr);

	if (rc)
		return rc;
	end = fr.encoding == FRC_FRAME_COMPRESSED ? fr.slot + fr.stored : 0;
	*from = end > off ? end - off : 0;
	return FRC_OK;
}

FRC_API int frc_reader_absent_data(frc_reader_t *r, uint32_t region,
				   uint64_t *pages, uint64_t *first_page)
{
	struct rregion *rg;
	uint64_t end, pos, data, hole, found = 0, firstp = UINT64_MAX;
	uint8_t *buf;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!pages)
		return FRC_MISUSE(r, "pages is NULL");
	*pages = 0;
	if (!rg->r.page_count || !rg->bitmap_valid)
		return FRC_OK;
	buf = malloc(rg->r.page_size);
	if (!buf)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	end = rg->r.pages_offset + rg->r.used_length;
	for (pos = rg->r.pages_offset;
	     rc == FRC_OK && frc_data_extent(r->fd, pos, end, &data, &hole);) {
		uint64_t p = (data - rg->r.pages_offset) >> rg->r.page_shift;

		for (p = frc_bm_find(rg, p, rg->r.page_count, false);
		     p < rg->r.page_count && frc_r_page_offset(rg, p) < hole &&
		     rc == FRC_OK;
		     p = frc_bm_find(rg, p + 1, rg->r.page_count, false)) {
			/* in a compressed frame, the stored bytes are not
			 * the page's: what follows them must be zero
			 * (R-W-CF-ZEROS) */
			uint64_t from = 0;

			if (rg->r.compression &&
			    (rc = frame_data_end(r, region, p, &from)) != FRC_OK)
				break;
			rc = frc_r_read(r, buf, rg->r.page_size, frc_r_page_offset(rg, p),
				     "page area");
			if (rc == FRC_OK && from < rg->r.page_size &&
			    !frc_all_zero(buf + from, rg->r.page_size - from)) {
				found++;
				if (firstp == UINT64_MAX)
					firstp = p;
			}
		}
		pos = hole;
	}
	free(buf);
	*pages = found;
	if (first_page)
		*first_page = firstp;
	return rc;
}
