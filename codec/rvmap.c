/*
 * rvmap.c - a region mapped so that every page is read and verified on
 * first touch (frc_reader_map_region_verified). The mapping is anonymous
 * memory registered with userfaultfd: a missing page makes the kernel
 * stop the touching thread and tell our handler thread, which reads the
 * page with frc_reader_read_pages (checksum verified; for a compressed
 * region the frame checksummed and decoded first), and installs it with
 * UFFDIO_COPY, or the zero page for absent pages. A page that fails is
 * never installed: it is poisoned (UFFDIO_POISON, Linux >= 6.6), so that
 * every access gets SIGBUS, or where the kernel lacks that, made
 * inaccessible (PROT_NONE), so that every access gets SIGSEGV; the
 * touching thread is woken either way and never sees a byte. An optional
 * second thread installs every page ahead of the touches.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reader_internal.h"

/* Linux 6.6 (Debian 12's headers predate it). */
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON 0x08
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

#define WINDOW (64u << 10)     /* bytes installed per fault when all verify */
#define FILL_WINDOW (1u << 20) /* bytes installed per step of the fill */

struct frc_vmap {
	struct frc_vmap *next;
	frc_reader_t *r;
	uint32_t region;
	uint8_t *base;
	uint64_t len;       /* mapped bytes: used_length up to a host page */
	uint64_t used;      /* the region's used_length */
	uint64_t page_count;
	uint32_t ps;        /* the region's page size */
	uint64_t unit;      /* bytes installed at least: max(ps, host page) */
	int uffd, stop_fd;
	int poison;         /* UFFDIO_POISON works */
	pthread_t handler, filler;
	int has_filler;
	pthread_mutex_t lk; /* guards the error below and installs */
	atomic_uint_fast64_t loaded, failed;
	atomic_int fill_done, stopping;
	int error;
	uint64_t error_page;
	char message[512];
};

static pthread_mutex_t vmaps_lk = PTHREAD_MUTEX_INITIALIZER;
static struct frc_vmap *vmaps;

/* Records a failure of page `page` (the first is kept); installs nothing. */
static void note_failure(struct frc_vmap *v, int code, uint64_t page)
{
	pthread_mutex_lock(&v->lk);
	if (!v->error) {
		v->error = code;
		v->error_page = page;
		snprintf(v->message, sizeof(v->message), "%s",
			 frc_reader_errmsg(v->r));
	}
	pthread_mutex_unlock(&v->lk);
}

/*
 * Makes [at, at + n) fail every access and wakes whoever waits on it:
 * poisoned (SIGBUS) where the kernel can, else PROT_NONE (SIGSEGV).
 */
static void block_range(struct frc_vmap *v, uint64_t at, uint64_t n)
{
	struct uffdio_range wake = { (uintptr_t)(v->base + at), n };

	if (v->poison) {
		struct uffdio_poison p;

		memset(&p, 0, sizeof(p));
		p.range = wake;
		if (ioctl(v->uffd, UFFDIO_POISON, &p) == 0 || errno == EEXIST)
			return;
	}
	mprotect(v->base + at, n, PROT_NONE);
	ioctl(v->uffd, UFFDIO_WAKE, &wake);
}

/* UFFDIO_COPY of n bytes at `at`; 0, or -1 when some were already there
 * (another thread installed them first: then unit by unit). */
static int copy_in(struct frc_vmap *v, uint64_t at, const uint8_t *src,
		   uint64_t n)
{
	for (uint64_t done = 0; done < n;) {
		struct uffdio_copy c;

		c.dst = (uintptr_t)(v->base + at + done);
		c.src = (uintptr_t)(src + done);
		c.len = n - done;
		c.mode = 0;
		c.copy = 0;
		if (ioctl(v->uffd, UFFDIO_COPY, &c) == 0) {
			atomic_fetch_add(&v->loaded, (n - done) / v->unit);
			return 0;
		}
		if (c.copy > 0) {
			done += (uint64_t)c.copy;
			atomic_fetch_add(&v->loaded, (uint64_t)c.copy / v->unit);
			continue;
		}
		if (errno == EAGAIN)
			continue;
		if (errno != EEXIST)
			return -1;
		/* something in [done, n) is there: skip a unit */
		done += v->unit;
	}
	return 0;
}

static int zero_in(struct frc_vmap *v, uint64_t at, uint64_t n)
{
	struct uffdio_zeropage z;

	z.range.start = (uintptr_t)(v->base + at);
	z.range.len = n;
	z.mode = 0;
	z.zeropage = 0;
	if (ioctl(v->uffd, UFFDIO_ZEROPAGE, &z) == 0) {
		atomic_fetch_add(&v->loaded, n / v->unit);
		return 0;
	}
	if (errno == EEXIST || errno == EAGAIN) {
		/* partly there: unit by unit */
		for (uint64_t d = 0; n > v->unit && d < n; d += v->unit)
			zero_in(v, at + d, v->unit);
		return 0;
	}
	return -1;
}

/*
 * Installs [at, at + n) (whole units, inside the mapping) from the
 * region, every page verified: the zero page where no page is present.
 * When the window fails it is retried unit by unit so that only the units
 * holding a failing page are blocked. buf holds n bytes.
 */
static void install(struct frc_vmap *v, uint64_t at, uint64_t n, uint8_t *buf)
{
	uint64_t first = at / v->ps, pages, f, c;
	int rc;

	if (first >= v->page_count) {
		zero_in(v, at, n);
		return;
	}
	pages = (n + v->ps - 1) / v->ps;
	if (first + pages > v->page_count)
		pages = v->page_count - first;
	if (frc_reader_next_run(v->r, v->region, first, &f, &c) == FRC_OK &&
	    (!c || f >= first + pages)) {
		zero_in(v, at, n);
		return;
	}
	rc = frc_reader_read_pages(v->r, v->region, first, pages, buf);
	if (rc == FRC_OK) {
		if (pages * v->ps < n)
			memset(buf + pages * v->ps, 0, n - pages * v->ps);
		if (copy_in(v, at, buf, n))
			block_range(v, at, n);
		return;
	}
	if (n > v->unit) {
		for (uint64_t d = 0; d < n; d += v->unit)
			install(v, at + d, v->unit, buf);
		return;
	}
	atomic_fetch_add(&v->failed, 1);
	note_failure(v, rc, first);
	block_range(v, at, n);
}

static void *handler_main(void *arg)
{
	struct frc_vmap *v = arg;
	uint64_t win = v->unit > WINDOW ? v->unit : WINDOW;
	uint8_t *buf = aligned_alloc(4096, (size_t)win);

	for (;;) {
		struct pollfd p[2] = { { v->uffd, POLLIN, 0 },
				       { v->stop_fd, POLLIN, 0 } };
		struct uffd_msg msg;
		uint64_t at, n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(v->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		at = ((uintptr_t)msg.arg.pagefault.address - (uintptr_t)v->base) /
		     v->unit * v->unit;
		if (!buf) {
			/* out of memory: the page cannot be verified */
			block_range(v, at, v->unit);
			continue;
		}
		/* the faulting unit and what follows it, up to a window;
		 * then the faulting thread is woken whoever installed it */
		n = v->len - at < win ? v->len - at : win;
		install(v, at, n, buf);
		{
			struct uffdio_range w = { (uintptr_t)(v->base + at),
						  v->unit };

			ioctl(v->uffd, UFFDIO_WAKE, &w);
		}
	}
	free(buf);
	return NULL;
}

/* Installs everything ahead of the touches, present runs in order. */
static void *filler_main(void *arg)
{
	struct frc_vmap *v = arg;
	uint64_t win = v->unit > FILL_WINDOW ? v->unit : FILL_WINDOW;
	uint8_t *buf = aligned_alloc(4096, (size_t)win);

	for (uint64_t at = 0; buf && at < v->len && !atomic_load(&v->stopping);) {
		uint64_t n = v->len - at < win ? v->len - at : win;

		install(v, at, n, buf);
		at += n;
	}
	free(buf);
	atomic_store(&v->fill_done, 1);
	return NULL;
}

/* A new userfaultfd; without the right to handle kernel faults, one that
 * handles user faults only. -1 with errno. */
static int new_uffd(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(SYS_userfaultfd,
				  O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	return fd;
}

/* A userfaultfd past its API handshake, asking for UFFD_FEATURE_POISON and
 * without it on a kernel that lacks it (the handshake is once per fd). */
static int open_uffd(int *poison)
{
	for (int want = 1; want >= 0; want--) {
		struct uffdio_api api;
		int fd = new_uffd();

		if (fd < 0)
			return -1;
		memset(&api, 0, sizeof(api));
		api.api = UFFD_API;
		api.features = want ? UFFD_FEATURE_POISON : 0;
		if (ioctl(fd, UFFDIO_API, &api) == 0) {
			*poison = want;
			return fd;
		}
		close(fd);
	}
	return -1;
}

static void vmap_destroy(struct frc_vmap *v)
{
	uint64_t one = 1;

	atomic_store(&v->stopping, 1);
	if (v->has_filler)
		pthread_join(v->filler, NULL);
	if (write(v->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(v->handler, NULL);
	close(v->stop_fd);
	close(v->uffd);
	munmap(v->base, v->len);
	pthread_mutex_destroy(&v->lk);
	free(v);
}

FRC_API int frc_reader_map_region_verified(frc_reader_t *r, uint32_t region,
					   unsigned flags, const void **addr)
{
	struct rregion *rg;
	struct frc_vmap *v;
	struct uffdio_register reg;
	uint64_t hps = (uint64_t)sysconf(_SC_PAGESIZE);
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!addr)
		return FRC_MISUSE(r, "addr is NULL");
	*addr = NULL;
	if (flags & ~(unsigned)FRC_MAP_FILL)
		return FRC_MISUSE(r, "unknown flags 0x%x", flags);
	if (!rg->bitmap_valid)
		return frc_r_fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, NULL,
				  "region '%s' has no valid bitmap: its pages "
				  "cannot be verified", rg->r.id);
	if (!rg->r.used_length)
		return FRC_OK;
	v = calloc(1, sizeof(*v));
	if (!v)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	v->r = r;
	v->region = region;
	v->ps = rg->r.page_size;
	v->unit = v->ps > hps ? v->ps : hps;
	v->used = rg->r.used_length;
	v->page_count = rg->r.page_count;
	v->len = (v->used + v->unit - 1) / v->unit * v->unit;
	v->uffd = open_uffd(&v->poison);
	if (v->uffd < 0) {
		rc = frc_r_fail(r, FRC_E_UNSUPPORTED, 0, NULL,
				"userfaultfd is not available (%s): map the "
				"region with frc_reader_map_region() and verify "
				"pages, or read it", strerror(errno));
		free(v);
		return rc;
	}
	v->stop_fd = eventfd(0, EFD_CLOEXEC);
	v->base = mmap(NULL, v->len, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->stop_fd < 0 || v->base == MAP_FAILED) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "cannot map %llu bytes "
				"for region '%s': %s",
				(unsigned long long)v->len, rg->r.id,
				strerror(errno));
		goto fail;
	}
	/* a child made by fork() would get the mapping without its handler,
	 * pages not yet installed reading as zeros: it gets none */
	madvise(v->base, v->len, MADV_DONTFORK);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)v->base;
	reg.range.len = v->len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(v->uffd, UFFDIO_REGISTER, &reg)) {
		rc = frc_r_fail(r, FRC_E_UNSUPPORTED, 0, NULL,
				"userfaultfd cannot register the mapping: %s",
				strerror(errno));
		goto fail;
	}
	v->poison = v->poison &&
		    (reg.ioctls & ((__u64)1 << _UFFDIO_POISON)) != 0;
	pthread_mutex_init(&v->lk, NULL);
	if (pthread_create(&v->handler, NULL, handler_main, v)) {
		pthread_mutex_destroy(&v->lk);
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "cannot start a thread");
		goto fail;
	}
	if ((flags & FRC_MAP_FILL) &&
	    pthread_create(&v->filler, NULL, filler_main, v) == 0)
		v->has_filler = 1;
	pthread_mutex_lock(&vmaps_lk);
	v->next = vmaps;
	vmaps = v;
	pthread_mutex_unlock(&vmaps_lk);
	*addr = v->base;
	return FRC_OK;
fail:
	if (v->base && v->base != MAP_FAILED)
		munmap(v->base, v->len);
	if (v->stop_fd >= 0)
		close(v->stop_fd);
	close(v->uffd);
	free(v);
	return rc;
}

/* The verified mapping at addr of reader r, unlinked when `take`. */
static struct frc_vmap *vmap_find(const frc_reader_t *r, const void *addr,
				  int take)
{
	struct frc_vmap **p, *v = NULL;

	pthread_mutex_lock(&vmaps_lk);
	for (p = &vmaps; *p; p = &(*p)->next)
		if ((*p)->r == r && (*p)->base == addr) {
			v = *p;
			if (take)
				*p = v->next;
			break;
		}
	pthread_mutex_unlock(&vmaps_lk);
	return v;
}

int frc_vmap_release(frc_reader_t *r, const void *addr)
{
	struct frc_vmap *v = vmap_find(r, addr, 1);

	if (!v)
		return 0;
	vmap_destroy(v);
	return 1;
}

void frc_vmap_release_all(frc_reader_t *r)
{
	for (;;) {
		struct frc_vmap *v = NULL;

		pthread_mutex_lock(&vmaps_lk);
		for (struct frc_vmap **p = &vmaps; *p; p = &(*p)->next)
			if ((*p)->r == r) {
				v = *p;
				*p = v->next;
				break;
			}
		pthread_mutex_unlock(&vmaps_lk);
		if (!v)
			return;
		vmap_destroy(v);
	}
}

FRC_API int frc_reader_map_status(frc_reader_t *r, const void *addr,
				  frc_map_status_t *st, size_t st_size)
{
	struct frc_vmap *v;
	frc_map_status_t s;

	if (!st || st_size == 0)
		return FRC_MISUSE(r, "st is NULL");
	v = vmap_find(r, addr, 0);
	if (!v)
		return FRC_MISUSE(r, "%p is not a mapping of "
				  "frc_reader_map_region_verified()", addr);
	memset(&s, 0, sizeof(s));
	s.units = v->len / v->unit;
	s.unit_bytes = v->unit;
	s.loaded = atomic_load(&v->loaded);
	s.failed = atomic_load(&v->failed);
	s.fill_done = atomic_load(&v->fill_done);
	s.poison = v->poison;
	pthread_mutex_lock(&v->lk);
	s.error = v->error;
	s.error_page = v->error ? v->error_page : 0;
	memcpy(s.message, v->message, sizeof(s.message));
	pthread_mutex_unlock(&v->lk);
	memcpy(st, &s, st_size < sizeof(s) ? st_size : sizeof(s));
	return FRC_OK;
}
