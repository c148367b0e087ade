/*
 * frc_mount.c - `frc mount FILE DIR`: an FRC file as a read-only FUSE file
 * system (libfuse3's low-level API). DIR/regions/ID holds a region's guest
 * bytes, DIR/sections/N-TYPE[-NAME] a section, DIR/info.json what
 * `frc info --output=json` prints. Every byte returned comes from a page
 * that libfrc verified first (frc_reader_read_pages: checksum, or frame
 * checksum, decoding and page checksum); a page that fails fails the read
 * with EIO and is logged, and the FRC file is opened read-only. The kernel
 * caches what was returned, so mmap works and a private mapping (QEMU's
 * memory-backend-file,share=off) faults guest RAM in from the archive.
 * Prefetch pushes verified pages into that cache ahead of the faults
 * (fuse_lowlevel_notify_store): see "prefetch" below for the order.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "frc_tool.h"

enum { INO_ROOT = 1, INO_REGIONS = 2, INO_SECTIONS = 3, INO_INFO = 4,
       INO_FIRST = 16 };
#define TIMEOUT 86400.0 /* nothing in the file system ever changes */
#define REQ_MAX (1u << 20) /* the largest read the kernel sends (max_pages) */
#define READAHEAD (4u << 20) /* four requests in flight on a sequential read */
#define CHUNK (1u << 20)   /* bytes of present pages per prefetch store */
#define SECTION_MAX (256u << 20) /* a section is held whole while open */
#define HINTS 64
#define PF_THREADS 3 /* prefetch threads: disk reads and stores overlap */

struct mregion {
	frc_region_info_t g;
	char name[256];
	atomic_int known;     /* the file was opened: stores work */
	uint64_t cursor;      /* prefetch: next page of the in-order pass */
	unsigned inflight;    /* prefetch: chunks being stored */
	uint64_t stored;      /* prefetch: bytes pushed into the cache */
	uint8_t *done;        /* prefetch: chunks stored (NULL: too many) */
	int finished;         /* prefetch: the pass reached the end */
	struct timespec opened; /* prefetch: first open, when it began */
};

struct msection {
	frc_section_info_t s;
	char name[256];
	pthread_mutex_t lk;
	unsigned opens;
	uint8_t *data; /* the verified bytes while open */
};

struct mount {
	frc_reader_t *r;
	const char *path;
	uint32_t nreg, nsec;
	struct mregion *reg;
	struct msection *sec;
	char *info;
	size_t info_len;
	uint64_t mtime_ns;
	struct fuse_session *se;
	/* log: stderr (foreground), a file, or syslog (a daemon) */
	FILE *log;
	pthread_mutex_t log_lk;
	/* prefetch */
	int prefetch;
	pthread_t pf[PF_THREADS];
	unsigned pf_started;
	pthread_mutex_t lk;
	pthread_cond_t cv;
	int stop;
	struct { uint32_t region; uint64_t page; } hint[HINTS];
	unsigned nhint;
	uint64_t read_errors;
};

static pthread_key_t buf_key;

struct tbuf {
	uint8_t *p;
	size_t cap;
};

static void tbuf_free(void *v)
{
	struct tbuf *b = v;

	if (b)
		free(b->p);
	free(b);
}

/* The calling thread's buffer of at least n bytes (4 KiB-aligned, for
 * O_DIRECT reads), kept for its next request; NULL when out of memory. */
static uint8_t *thread_buf(size_t n)
{
	struct tbuf *b = pthread_getspecific(buf_key);

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || pthread_setspecific(buf_key, b)) {
			free(b);
			return NULL;
		}
	}
	if (b->cap < n) {
		void *p;

		free(b->p);
		b->p = NULL;
		b->cap = 0;
		if (posix_memalign(&p, 4096, n))
			return NULL;
		b->p = p;
		b->cap = n;
	}
	return b->p;
}

static void mlog(struct mount *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mlog(struct mount *m, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	struct timespec ts;
	struct tm tm;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!m->log) {
		syslog(LOG_ERR, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pthread_mutex_lock(&m->log_lk);
	fprintf(m->log, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ frc mount: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, msg);
	fflush(m->log);
	pthread_mutex_unlock(&m->log_lk);
}

static void stat_of(struct mount *m, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_mtim.tv_sec = (time_t)(m->mtime_ns / 1000000000u);
	st->st_mtim.tv_nsec = (long)(m->mtime_ns % 1000000000u);
	st->st_atim = st->st_ctim = st->st_mtim;
	st->st_blksize = 4096;
	if (ino == INO_ROOT || ino == INO_REGIONS || ino == INO_SECTIONS) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (ino == INO_INFO) {
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)m->info_len;
	} else if (ino - INO_FIRST < m->nreg) {
		const frc_region_info_t *g = &m->reg[ino - INO_FIRST].g;

		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)g->used_length;
		st->st_blocks = (blkcnt_t)(g->present_pages * g->page_size / 512);
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)m->sec[ino - INO_FIRST - m->nreg].s.length;
	}
	st->st_blocks = st->st_blocks ? st->st_blocks : (st->st_size + 511) / 512;
}

static int ino_valid(const struct mount *m, fuse_ino_t ino)
{
	return (ino >= INO_ROOT && ino <= INO_INFO) ||
	       (ino >= INO_FIRST && ino - INO_FIRST < (uint64_t)m->nreg + m->nsec);
}

static struct mount *mount_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The entries of a directory: name and inode of entry k, 0 past the end. */
static fuse_ino_t dir_entry(struct mount *m, fuse_ino_t dir, uint64_t k,
			    const char **name)
{
	static const char *const top[] = { "info.json", "regions",
					   "sections" };

	if (dir == INO_ROOT) {
		if (k >= 3)
			return 0;
		*name = top[k];
		return k == 0 ? INO_INFO : k == 1 ? INO_REGIONS : INO_SECTIONS;
	}
	if (dir == INO_REGIONS) {
		if (k >= m->nreg)
			return 0;
		*name = m->reg[k].name;
		return INO_FIRST + k;
	}
	if (k >= m->nsec)
		return 0;
	*name = m->sec[k].name;
	return INO_FIRST + m->nreg + k;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mount_of(req);
	struct fuse_entry_param e;
	const char *n;
	fuse_ino_t ino;

	if (parent != INO_ROOT && parent != INO_REGIONS &&
	    parent != INO_SECTIONS) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	for (uint64_t k = 0; (ino = dir_entry(m, parent, k, &n)) != 0; k++)
		if (!strcmp(n, name))
			break;
	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.attr_timeout = e.entry_timeout = TIMEOUT;
	stat_of(m, ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (!ino_valid(mount_of(req), ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	stat_of(mount_of(req), ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	(void)ino; (void)attr; (void)to_set; (void)fi;
	fuse_reply_err(req, EROFS);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	char *buf;
	size_t used = 0;

	(void)fi;
	if (ino != INO_ROOT && ino != INO_REGIONS && ino != INO_SECTIONS) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* offsets: 0 ".", 1 "..", 2 + k entry k */
	for (uint64_t k = (uint64_t)off;; k++) {
		struct stat st;
		const char *name;
		fuse_ino_t e;
		size_t need;

		if (k < 2) {
			name = k ? ".." : ".";
			e = k ? INO_ROOT : ino;
		} else if (!(e = dir_entry(m, ino, k - 2, &name))) {
			break;
		}
		memset(&st, 0, sizeof(st));
		st.st_ino = e;
		st.st_mode = e <= INO_SECTIONS ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + used, size - used, name,
					 &st, (off_t)(k + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* A section's bytes, read whole and verified at its first open. */
static int section_hold(struct mount *m, struct msection *s)
{
	int rc = 0;

	pthread_mutex_lock(&s->lk);
	if (!s->opens && s->s.length) {
		if (s->s.length > SECTION_MAX) {
			mlog(m, "'%s': section %s is %" PRIu64 " bytes, over "
				"the %u MiB a mount holds: read it with frc "
				"extract", m->path, s->name, s->s.length,
				SECTION_MAX >> 20);
			rc = EFBIG;
		} else if (!(s->data = malloc(s->s.length))) {
			rc = ENOMEM;
		} else if (frc_reader_read_section(m->r,
					(uint32_t)(s - m->sec), s->data,
					s->s.length) != FRC_OK) {
			mlog(m, "%s", frc_reader_errmsg(m->r));
			free(s->data);
			s->data = NULL;
			rc = EIO;
		}
	}
	if (!rc)
		s->opens++;
	pthread_mutex_unlock(&s->lk);
	return rc;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	int is_region = ino >= INO_FIRST && ino - INO_FIRST < m->nreg;
	int rc = 0;

	if (!ino_valid(m, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (ino <= INO_SECTIONS) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	/* a region file opens read-write too (QEMU 7.2 opens its mem-path
	 * so, to map it privately); every write is refused */
	if ((fi->flags & (O_TRUNC | O_APPEND)) ||
	    ((fi->flags & O_ACCMODE) != O_RDONLY && !is_region)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (ino >= INO_FIRST && !is_region)
		rc = section_hold(m, &m->sec[ino - INO_FIRST - m->nreg]);
	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	fi->keep_cache = 1;
	/* the kernel holds the inode while the file is open: prefetch can
	 * store into its cache */
	if (is_region && m->prefetch &&
	    !atomic_exchange(&m->reg[ino - INO_FIRST].known, 1)) {
		pthread_mutex_lock(&m->lk);
		if (!m->reg[ino - INO_FIRST].opened.tv_sec)
			clock_gettime(CLOCK_MONOTONIC,
				      &m->reg[ino - INO_FIRST].opened);
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->lk);
	}
	if (fuse_reply_open(req, fi) == -ENOENT && ino >= INO_FIRST &&
	    !is_region) {
		/* interrupted: no release will come */
		struct msection *s = &m->sec[ino - INO_FIRST - m->nreg];

		pthread_mutex_lock(&s->lk);
		if (--s->opens == 0) {
			free(s->data);
			s->data = NULL;
		}
		pthread_mutex_unlock(&s->lk);
	}
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);

	(void)fi;
	if (ino >= INO_FIRST && ino - INO_FIRST >= m->nreg &&
	    ino - INO_FIRST < (uint64_t)m->nreg + m->nsec) {
		struct msection *s = &m->sec[ino - INO_FIRST - m->nreg];

		pthread_mutex_lock(&s->lk);
		if (s->opens && --s->opens == 0) {
			free(s->data);
			s->data = NULL;
		}
		pthread_mutex_unlock(&s->lk);
	}
	fuse_reply_err(req, 0);
}

/* Tells the prefetch thread where a read of the kernel ended. */
static void hint(struct mount *m, uint32_t region, uint64_t page)
{
	pthread_mutex_lock(&m->lk);
	if (m->nhint == HINTS) {
		memmove(m->hint, m->hint + 1, sizeof(m->hint[0]) * (HINTS - 1));
		m->nhint--;
	}
	m->hint[m->nhint].region = region;
	m->hint[m->nhint++].page = page;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->lk);
}

/*
 * Verified pages [first, first + count) of a region into the calling
 * thread's buffer; NULL after logging why (errno: EIO or ENOMEM).
 */
static uint8_t *region_pages(struct mount *m, uint32_t i, uint64_t first,
			     uint64_t count)
{
	const frc_region_info_t *g = &m->reg[i].g;
	uint8_t *buf = thread_buf((size_t)(count * g->page_size));

	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	if (frc_reader_read_pages(m->r, i, first, count, buf) != FRC_OK) {
		mlog(m, "%s", frc_reader_errmsg(m->r));
		__atomic_add_fetch(&m->read_errors, 1, __ATOMIC_RELAXED);
		errno = EIO;
		return NULL;
	}
	return buf;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	uint64_t o = (uint64_t)off, len;

	(void)fi;
	if (!ino_valid(m, ino) || (ino != INO_INFO && ino < INO_FIRST)) {
		fuse_reply_err(req, EISDIR); /* only files are read */
		return;
	}
	if (ino == INO_INFO) {
		len = o < m->info_len ? m->info_len - o : 0;
		fuse_reply_buf(req, m->info + (len ? o : 0),
			       len < size ? len : size);
		return;
	}
	if (ino - INO_FIRST >= m->nreg) {
		struct msection *s = &m->sec[ino - INO_FIRST - m->nreg];

		len = o < s->s.length ? s->s.length - o : 0;
		pthread_mutex_lock(&s->lk);
		if (len && !s->data) /* not held: never opened here */
			fuse_reply_err(req, EIO);
		else
			fuse_reply_buf(req, len ? (char *)s->data + o : NULL,
				       len < size ? len : size);
		pthread_mutex_unlock(&s->lk);
		return;
	} else {
		uint32_t i = (uint32_t)(ino - INO_FIRST);
		const frc_region_info_t *g = &m->reg[i].g;
		uint64_t first, last;
		uint8_t *buf;

		len = o < g->used_length ? g->used_length - o : 0;
		if (len > size)
			len = size;
		if (!len) {
			fuse_reply_buf(req, NULL, 0);
			return;
		}
		/* whole pages, each verified, then the bytes asked for;
		 * never a short read (the kernel would take it for the end
		 * of the file and show zeros) */
		first = o / g->page_size;
		last = (o + len - 1) / g->page_size;
		buf = region_pages(m, i, first, last - first + 1);
		if (!buf) {
			fuse_reply_err(req, errno);
			return;
		}
		fuse_reply_buf(req, (char *)buf + (o - first * g->page_size),
			       len);
		if (m->prefetch)
			hint(m, i, last + 1);
	}
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino; (void)buf; (void)size; (void)off; (void)fi;
	fuse_reply_err(req, EROFS);
}

/* Nothing is ever created, removed or renamed. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)parent; (void)name; (void)mode; (void)rdev;
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	(void)parent; (void)name; (void)mode;
	fuse_reply_err(req, EROFS);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent; (void)name;
	fuse_reply_err(req, EROFS);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	(void)parent; (void)name; (void)newparent; (void)newname; (void)flags;
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	(void)parent; (void)name; (void)mode; (void)fi;
	fuse_reply_err(req, EROFS);
}

/* SEEK_DATA / SEEK_HOLE: a region's data are its present pages. */
static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct stat st;
	uint64_t o = (uint64_t)off, size;

	(void)fi;
	if (!ino_valid(m, ino) || ino <= INO_SECTIONS) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	stat_of(m, ino, &st);
	size = (uint64_t)st.st_size;
	if (off < 0 || o >= size || (whence != SEEK_DATA && whence != SEEK_HOLE)) {
		fuse_reply_err(req, off < 0 || o < size ? EINVAL : ENXIO);
		return;
	}
	if (ino - INO_FIRST < m->nreg) {
		uint32_t i = (uint32_t)(ino - INO_FIRST);
		uint64_t ps = m->reg[i].g.page_size, page = o / ps;
		uint64_t first, count;

		if (frc_reader_next_run(m->r, i, page, &first, &count)) {
			fuse_reply_err(req, EIO);
			return;
		}
		if (whence == SEEK_DATA) {
			if (!count) {
				fuse_reply_err(req, ENXIO);
				return;
			}
			o = first > page ? first * ps : o;
		} else if (count && first == page) {
			/* the run may go on in the next one */
			uint64_t end = first + count;

			while (!frc_reader_next_run(m->r, i, end, &first,
						    &count) &&
			       count && first == end)
				end = first + count;
			o = end * ps < size ? end * ps : size;
		}
	} else if (whence == SEEK_HOLE) {
		o = size;
	}
	fuse_reply_lseek(req, (off_t)o);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mount *m = mount_of(req);
	struct statvfs sv;
	frc_info_t in;

	(void)ino;
	frc_reader_get_info(m->r, &in, sizeof(in));
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = in.file_length / 4096;
	sv.f_files = INO_FIRST + m->nreg + m->nsec;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

/* ---- prefetch ----
 *
 * One thread pushes verified present pages into the kernel's cache of the
 * region files, 1 MiB of present pages per store, so that a guest mapping
 * them finds its memory there instead of faulting through the mount. The
 * order: first the pages right after each read the kernel sent (where the
 * guest is faulting now, most recent first), then every region the kernel
 * has opened, in the order of the region table, each from its first
 * present page to its last. Absent pages are never stored (they read as
 * zeros at the cost of one request per 128 KiB). A page that fails its
 * check is logged and skipped: the guest's own access then fails with EIO.
 */

/* Stores one present run [first, first + count) of region i, verified; a
 * run that fails is stored page by page, skipping the bad ones. 0, or -1
 * when the kernel refused the store (the file was forgotten). */
static int store_run(struct mount *m, uint32_t i, uint64_t first,
		     uint64_t count)
{
	struct mregion *mr = &m->reg[i];
	uint32_t ps = mr->g.page_size;
	uint8_t *buf = region_pages(m, i, first, count);

	if (!buf && count > 1) {
		for (uint64_t p = first; p < first + count; p++)
			if (store_run(m, i, p, 1))
				return -1;
		return 0;
	}
	if (buf) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(count * ps);
		int rc;

		bv.buf[0].mem = buf;
		rc = fuse_lowlevel_notify_store(m->se, INO_FIRST + i,
						(off_t)(first * ps), &bv, 0);
		if (rc) {
			if (rc != -ENOENT)
				mlog(m, "prefetch of region file %s stopped: "
					"%s", mr->name, strerror(-rc));
			return -1;
		}
		__atomic_add_fetch(&mr->stored, count * ps, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Pages per prefetch chunk of region i. */
static uint64_t chunk_pages(const struct mregion *mr)
{
	return mr->g.page_size >= CHUNK ? 1 : CHUNK / mr->g.page_size;
}

/* Stores the present pages of chunk c once; -1 as store_run(). */
static int store_chunk(struct mount *m, uint32_t i, uint64_t c)
{
	struct mregion *mr = &m->reg[i];
	uint64_t cp = chunk_pages(mr), end = (c + 1) * cp, first, count;

	if (mr->done) {
		int was;

		pthread_mutex_lock(&m->lk);
		was = mr->done[c / 8] & (1u << (c % 8));
		mr->done[c / 8] |= (uint8_t)(1u << (c % 8));
		pthread_mutex_unlock(&m->lk);
		if (was)
			return 0;
	}
	end = end < mr->g.page_count ? end : mr->g.page_count;
	for (uint64_t p = c * cp;
	     p < end && !frc_reader_next_run(m->r, i, p, &first, &count) &&
	     count && first < end;
	     p = first + count) {
		if (first + count > end)
			count = end - first;
		if (store_run(m, i, first, count))
			return -1;
	}
	return 0;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *prefetch_main(void *arg)
{
	struct mount *m = arg;

	pthread_mutex_lock(&m->lk);
	while (!m->stop) {
		int work = 0;

		if (m->nhint) {
			uint32_t i = m->hint[m->nhint - 1].region;
			uint64_t p = m->hint[--m->nhint].page;
			struct mregion *mr = &m->reg[i];

			/* without a record of what was stored, only the
			 * in-order pass stores */
			if (p < mr->g.page_count && mr->done) {
				uint64_t c = p / chunk_pages(mr);
				int rc;

				pthread_mutex_unlock(&m->lk);
				rc = store_chunk(m, i, c);
				pthread_mutex_lock(&m->lk);
				if (rc) /* not stored: the pass will */
					mr->done[c / 8] &= (uint8_t)~(1u << (c % 8));
			}
			continue;
		}
		for (uint32_t i = 0; i < m->nreg && !work; i++) {
			struct mregion *mr = &m->reg[i];
			uint64_t first, count, cp = chunk_pages(mr), c;
			int rc;

			if (mr->finished || !atomic_load(&mr->known))
				continue;
			if (mr->cursor >= mr->g.page_count) {
				/* claimed to the end: complete when the last
				 * store is done */
				if (!mr->inflight) {
					mr->finished = 1;
					mlog(m, "prefetch of region file %s "
						"complete: %" PRIu64 " bytes of "
						"present pages in %.3f s from its "
						"first open", mr->name,
						mr->stored, since(&mr->opened));
				}
				continue;
			}
			/* claim the next chunk holding a present page */
			work = 1;
			if (frc_reader_next_run(m->r, i, mr->cursor, &first,
						&count) || !count) {
				mr->cursor = mr->g.page_count;
				continue;
			}
			c = first / cp;
			mr->cursor = (c + 1) * cp;
			mr->inflight++;
			pthread_mutex_unlock(&m->lk);
			rc = store_chunk(m, i, c);
			pthread_mutex_lock(&m->lk);
			mr->inflight--;
			if (rc) {
				/* the kernel forgot the file: again from this
				 * chunk at its next open */
				atomic_store(&mr->known, 0);
				if (mr->cursor > c * cp)
					mr->cursor = c * cp;
				if (mr->done)
					mr->done[c / 8] &= (uint8_t)~(1u << (c % 8));
			}
		}
		if (!work && !m->nhint && !m->stop)
			pthread_cond_wait(&m->cv, &m->lk);
	}
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lk);
	return NULL;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* the file never changes: keep what the kernel cached */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	conn->max_readahead = READAHEAD;
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readdir = op_readdir,
	.open = op_open,
	.release = op_release,
	.read = op_read,
	.write = op_write,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
	.rename = op_rename,
	.create = op_create,
	.lseek = op_lseek,
	.statfs = op_statfs,
};

/* ---- setting up ---- */

static int build_tree(struct mount *m, const char *path)
{
	char warn[4][400], *buf = NULL;
	size_t n = 0;
	int nw = tool_warnings(m->r, path, warn, 4);
	frc_info_t in;
	FILE *f;

	frc_reader_get_info(m->r, &in, sizeof(in));
	m->mtime_ns = in.commit_time_ns ? in.commit_time_ns : in.create_time_ns;
	m->nreg = frc_reader_region_count(m->r);
	m->nsec = frc_reader_section_count(m->r);
	m->reg = calloc(m->nreg ? m->nreg : 1, sizeof(*m->reg));
	m->sec = calloc(m->nsec ? m->nsec : 1, sizeof(*m->sec));
	f = open_memstream(&buf, &n);
	if (!m->reg || !m->sec || !f) {
		if (f)
			fclose(f);
		free(buf);
		tool_err("out of memory");
		return -1;
	}
	tool_info_report(f, OUT_JSON, path, m->r, warn, nw);
	if (fclose(f)) {
		free(buf);
		tool_err("out of memory");
		return -1;
	}
	m->info = buf;
	m->info_len = n;
	for (uint32_t i = 0; i < m->nreg; i++) {
		struct mregion *mr = &m->reg[i];

		frc_reader_region(m->r, i, &mr->g, sizeof(mr->g));
		if (tool_mount_name(mr->g.id, mr->g.id_length, mr->name))
			snprintf(mr->name, sizeof(mr->name), "#%" PRIu32, i);
		/* a bit per chunk, up to 16 TiB of region (2 MiB of bits) */
		if (m->prefetch && mr->g.page_count / chunk_pages(mr) < (1u << 24))
			mr->done = calloc(mr->g.page_count / chunk_pages(mr) / 8 + 1, 1);
	}
	for (uint32_t j = 0; j < m->nsec; j++) {
		struct msection *s = &m->sec[j];
		char label[256];
		int k;

		frc_reader_section(m->r, j, &s->s, sizeof(s->s));
		k = snprintf(s->name, sizeof(s->name), "%" PRIu32 "-%s", j,
			     tool_section_type_name(s->s.type));
		if (*s->s.name &&
		    !tool_mount_name(s->s.name, strlen(s->s.name), label) &&
		    (size_t)k + 1 + strlen(label) <= 255)
			snprintf(s->name + k, sizeof(s->name) - (size_t)k,
				 "-%s", label);
		pthread_mutex_init(&s->lk, NULL);
	}
	return 0;
}

static void free_tree(struct mount *m)
{
	for (uint32_t i = 0; m->reg && i < m->nreg; i++)
		free(m->reg[i].done);
	for (uint32_t j = 0; m->sec && j < m->nsec; j++) {
		free(m->sec[j].data);
		pthread_mutex_destroy(&m->sec[j].lk);
	}
	free(m->sec);
	free(m->reg);
	free(m->info);
}

/*
 * The tables a page read consults (checksum tables, frame tables) asked
 * into the page cache at mount, so that a first read costs one disk read,
 * not two. A hint: nothing waits for it.
 */
static void warm_tables(struct mount *m)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	for (uint32_t k = 0; k < frc_reader_layout_count(m->r); k++) {
		frc_extent_t e;

		if (frc_reader_layout(m->r, k, &e, sizeof(e)) == FRC_OK &&
		    (e.kind == FRC_EXTENT_CHECKSUM_TABLE ||
		     e.kind == FRC_EXTENT_FRAME_TABLE))
			posix_fadvise(fd, (off_t)e.offset, (off_t)e.length,
				      POSIX_FADV_WILLNEED);
	}
	close(fd);
}

/*
 * The kernel reads ahead 128 KiB at a time on a FUSE file unless told
 * otherwise: 4 MiB (four requests of the largest size in flight) when we
 * may set it (root), for sequential reads and for the read-around of page
 * faults. Set before the kernel's INIT is answered, which keeps the lower
 * of this and op_init's max_readahead.
 */
static void set_readahead(struct mount *m, const char *dir)
{
	char line[PATH_MAX + 256], mp[PATH_MAX], path[128];
	unsigned maj = 0, min = 0, found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	/* the device of the mount just made, without a request to it (no
	 * thread serves them yet): the last entry for DIR; a DIR with
	 * characters mountinfo escapes is not found, and nothing is set */
	while (f && fgets(line, sizeof(line), f)) {
		unsigned a, b;

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &a, &b, mp) == 3 &&
		    !strcmp(mp, dir)) {
			maj = a;
			min = b;
			found = 1;
		}
	}
	if (f)
		fclose(f);
	if (!found)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 maj, min);
	f = fopen(path, "we");
	if (!f)
		return;
	if (fprintf(f, "%u\n", READAHEAD >> 10) < 0)
		mlog(m, "cannot set %s: the kernel reads ahead 128 KiB", path);
	if (fclose(f))
		mlog(m, "cannot set %s: the kernel reads ahead 128 KiB", path);
}

/* Threads that may serve requests at once: each holds up to two decoded
 * frames (libfrc's cache) and a request of whole pages. */
static unsigned threads_for(struct mount *m, unsigned want, uint64_t budget,
			    uint64_t *per_thread)
{
	uint64_t frame = 0, page = 4096, each;
	unsigned n;

	for (uint32_t i = 0; i < m->nreg; i++) {
		uint64_t fb = (uint64_t)m->reg[i].g.page_size *
			      (m->reg[i].g.frame_pages ? m->reg[i].g.frame_pages
						       : 0);

		frame = fb > frame ? fb : frame;
		page = m->reg[i].g.page_size > page ? m->reg[i].g.page_size : page;
	}
	each = 2 * frame + REQ_MAX + 2 * page;
	n = budget / each < want ? (unsigned)(budget / each) : want;
	*per_thread = each;
	return n ? n : 1;
}

static const char mount_usage[] =
	"usage: frc mount [-f] [--prefetch] [--threads=N] [--memory=SIZE]\n"
	"                 [--log=FILE] [--allow-other] FILE.frc DIR\n"
	"\n"
	"Mounts FILE.frc read-only on DIR (FUSE): DIR/regions/ID holds a\n"
	"region's guest bytes, DIR/sections/N-TYPE[-NAME] each section,\n"
	"DIR/info.json what 'frc info --output=json' prints. Every page is\n"
	"verified before a byte of it is returned; a page that fails fails\n"
	"the read with EIO and is logged. Unmount with 'fusermount3 -u DIR'\n"
	"or SIGINT/SIGTERM to the process.\n"
	"  -f, --foreground  stay in the foreground, log to standard error\n"
	"  --prefetch        push verified pages into the kernel's cache\n"
	"                    ahead of the reads (see frc-mount(1))\n"
	"  --threads=N       requests served at once (default 8)\n"
	"  --memory=SIZE     bound for decoded frames and request buffers\n"
	"                    (default 256M): fewer threads when needed\n"
	"  --log=FILE        append the log to FILE (default: standard\n"
	"                    error with -f, else syslog)\n"
	"  --allow-other     let other users read the mount (root, or\n"
	"                    user_allow_other in /etc/fuse.conf)\n";

int cmd_mount(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "prefetch", no_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 'T' },
		{ "memory", required_argument, NULL, 'M' },
		{ "log", required_argument, NULL, 'L' },
		{ "allow-other", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *cfg = NULL;
	struct mount m;
	const char *logpath = NULL, *dir;
	char opts[PATH_MAX + 64], absdir[PATH_MAX];
	uint64_t budget = 256u << 20, per;
	unsigned want = 8, nthreads;
	int c, fg = 0, allow_other = 0, rc = 1, mounted = 0;

	memset(&m, 0, sizeof(m));
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': fg = 1; break;
		case 'P': m.prefetch = 1; break;
		case 'A': allow_other = 1; break;
		case 'L': logpath = optarg; break;
		case 'T': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 256) {
				tool_err("--threads=%s: 1 to 256",
					 tool_esc(optarg));
				goto usage;
			}
			want = (unsigned)v;
			break;
		}
		case 'M':
			if (tool_parse_size(optarg, &budget) || budget < (16u << 20)) {
				tool_err("--memory=%s: a size of at least 16M",
					 tool_esc(optarg));
				goto usage;
			}
			break;
		case 'h': fputs(mount_usage, stdout); return 0;
		default: goto usage;
		}
	}
	if (optind != argc - 2)
		goto usage;
	m.path = argv[optind];
	/* libfuse unmounts by name after going to "/": the full one */
	if (!realpath(argv[optind + 1], absdir)) {
		tool_err("cannot mount on '%s': %s", argv[optind + 1],
			 strerror(errno));
		return 1;
	}
	dir = absdir;
	if (logpath && !(m.log = fopen(logpath, "ae"))) {
		tool_err("cannot open log '%s': %s", logpath, strerror(errno));
		return 1;
	}
	if (!m.log && fg)
		m.log = stderr;
	pthread_mutex_init(&m.log_lk, NULL);
	pthread_mutex_init(&m.lk, NULL);
	pthread_cond_init(&m.cv, NULL);
	if (pthread_key_create(&buf_key, tbuf_free)) {
		tool_err("out of memory");
		goto out;
	}
	/* O_DIRECT: the kernel caches the mount's verified pages; a second
	 * copy of the file's in the page cache would only take memory */
	if (tool_open(&m.r, m.path, FRC_OPEN_DIRECT, 0) || build_tree(&m, m.path))
		goto out;
	nthreads = threads_for(&m, want, budget, &per);
	/* fsname=frc:PATH, with libfuse's escapes for ',' and '\\' */
	{
		size_t k = (size_t)snprintf(opts, sizeof(opts), "fsname=frc:");

		for (const char *p = m.path; *p && k + 3 < PATH_MAX; p++) {
			if (*p == ',' || *p == '\\')
				opts[k++] = '\\';
			opts[k++] = *p;
		}
		snprintf(opts + k, sizeof(opts) - k, ",subtype=frc%s",
			 allow_other ? ",allow_other" : "");
	}
	if (fuse_opt_add_arg(&args, "frc") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, opts)) {
		tool_err("out of memory");
		goto out;
	}
	m.se = fuse_session_new(&args, &ops, sizeof(ops), &m);
	if (!m.se) {
		tool_err("cannot start a FUSE session (libfuse3)");
		goto out;
	}
	/* the mount makes no output file: libfuse's handlers (which end the
	 * loop and so unmount) replace the frc command's, which only install
	 * over the default */
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers(m.se)) {
		tool_err("cannot set signal handlers");
		goto out;
	}
	if (fuse_session_mount(m.se, dir)) {
		tool_err("cannot mount '%s' on '%s' (is /dev/fuse there, and "
			 "fusermount3 for a user other than root?)", m.path,
			 dir);
		goto out;
	}
	mounted = 1;
	warm_tables(&m);
	set_readahead(&m, dir);
	if (fuse_daemonize(fg)) {
		tool_err("cannot go into the background");
		goto out;
	}
	if (!m.log)
		openlog("frc-mount", LOG_PID, LOG_DAEMON);
	mlog(&m, "'%s' mounted on '%s': %" PRIu32 " regions, %" PRIu32
		 " sections, %u threads (%" PRIu64 " KiB each at most)%s",
	     m.path, dir, m.nreg, m.nsec, nthreads, per >> 10,
	     m.prefetch ? ", prefetch" : "");
	if (m.prefetch) {
		while (m.pf_started < PF_THREADS &&
		       !pthread_create(&m.pf[m.pf_started], NULL, prefetch_main,
				       &m))
			m.pf_started++;
		if (!m.pf_started)
			mlog(&m, "prefetch off: cannot start its threads");
	}
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		mlog(&m, "out of memory");
		goto out;
	}
	fuse_loop_cfg_set_max_threads(cfg, nthreads);
	fuse_loop_cfg_set_idle_threads(cfg, nthreads);
	/* ended by a signal (SIGINT, SIGTERM, SIGHUP): a clean unmount */
	rc = fuse_session_loop_mt(m.se, cfg);
	rc = rc == 0 || rc == SIGINT || rc == SIGTERM || rc == SIGHUP ? 0 : 1;
	if (m.read_errors)
		mlog(&m, "%" PRIu64 " reads failed a check (see above)",
		     m.read_errors);
	mlog(&m, "'%s' unmounted from '%s'", m.path, dir);
out:
	if (m.pf_started) {
		pthread_mutex_lock(&m.lk);
		m.stop = 1;
		pthread_cond_broadcast(&m.cv);
		pthread_mutex_unlock(&m.lk);
		while (m.pf_started)
			pthread_join(m.pf[--m.pf_started], NULL);
	}
	if (cfg)
		fuse_loop_cfg_destroy(cfg);
	if (m.se) {
		if (mounted)
			fuse_session_unmount(m.se);
		fuse_remove_signal_handlers(m.se);
		fuse_session_destroy(m.se);
	}
	fuse_opt_free_args(&args);
	free_tree(&m);
	frc_reader_free(m.r);
	if (m.log && m.log != stderr)
		fclose(m.log);
	return rc;
usage:
	fputs(mount_usage, stderr);
	return 1;
}
