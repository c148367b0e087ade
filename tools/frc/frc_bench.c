/*
 * frc_bench.c - `frc bench`: FRC save and restore against the best raw I/O
 * of the same bytes on the same storage, live-save file growth against a
 * sequential stream, scaling with zero pages and threads, and the latency
 * of one verified page read. Uses only the public API of libfrc.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frc_tool.h"

#define PAGE 4096u
#define BLOCK (4u << 20)     /* raw baseline block, as fio -bs=4M */
#define DD_BLOCK (1u << 20)  /* the dd-style sequential writer */
#define LAT_SAMPLES 20000

static const char bench_usage[] =
	"usage: frc bench [OPTIONS]\n"
	"\n"
	"Measures FRC save and restore against the best raw I/O of the same\n"
	"bytes in the same directory, live-save file growth, scaling with zero\n"
	"pages and threads, and random page-read latency. Prints a table.\n"
	"  --dir DIR          where the test files go (default: .)\n"
	"  --size SIZE        guest RAM size (default 2G)\n"
	"  --zero-ratio R     fraction of zero pages, 0-1 (default 0)\n"
	"  --threads N        I/O threads (default: one per CPU)\n"
	"  --direct / --no-direct   O_DIRECT I/O (default: direct)\n"
	"  --passes K         live-save passes (default 5)\n"
	"  --redirty F        fraction of pages re-dirtied per pass (default 0.25)\n"
	"  --repeat N         best of N runs for every timing (default 3)\n"
	"  --output=FORMAT    human (default) or json\n"
	"\n"
	"       frc bench --read-latency FILE\n"
	"\n"
	"Reads 20000 random present pages of FILE's largest region, each one\n"
	"verified (decompressing its frame in a compressed region), after one\n"
	"warm-up round, and prints the median and 99th percentile in us.\n";

struct bench {
	const char *dir;
	uint64_t size, pages;
	double zero_ratio, redirty;
	unsigned threads, passes;
	int direct;
	enum out_format format;
	uint8_t *guest, *back;
	uint64_t data_bytes;
	unsigned repeat; /* best of this many runs per timing */
	uint64_t live_size; /* guest size of the live-save test */
	char frc_path[1024], raw_path[1024], dd_path[1024], stream_path[1024];
	int cold; /* caches could really be dropped */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	tool_err("bench: %s: %s", what, strerror(errno));
	exit(1);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	return x ^ (x >> 33);
}

/*
 * Which pages are zero. Guests keep zero memory in runs (memory never
 * touched, freed huge pages): by default whole 2 MiB groups of pages are
 * zero, a fraction `ratio` of them. Negative ratios ask for the worst case,
 * single zero pages scattered at random among data pages.
 */
#define ZERO_GROUP 512
static int page_is_zero(uint64_t k, double ratio)
{
	if (ratio < 0)
		return (double)(mix(k) % 10000) < -ratio * 10000.0;
	return (double)(mix(k / ZERO_GROUP) % 10000) < ratio * 10000.0;
}

struct fill_job {
	struct bench *b;
	double ratio;
	unsigned id, n;
};

static void *fill_thread(void *p)
{
	struct fill_job *j = p;

	for (uint64_t k = j->id; k < j->b->pages; k += j->n) {
		uint64_t *w = (uint64_t *)(j->b->guest + k * PAGE);
		uint64_t s = mix(k + 1);

		if (page_is_zero(k, j->ratio)) {
			memset(w, 0, PAGE);
			continue;
		}
		for (unsigned i = 0; i < PAGE / 8; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			w[i] = s;
		}
	}
	return NULL;
}

static void fill_guest(struct bench *b, double ratio)
{
	pthread_t th[64];
	struct fill_job jobs[64];
	unsigned n = b->threads > 64 ? 64 : b->threads;

	for (unsigned i = 0; i < n; i++) {
		jobs[i] = (struct fill_job){ b, ratio, i, n };
		pthread_create(&th[i], NULL, fill_thread, &jobs[i]);
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	b->data_bytes = 0;
	for (uint64_t k = 0; k < b->pages; k++)
		b->data_bytes += page_is_zero(k, ratio) ? 0 : PAGE;
}

/* ---- the raw baselines ---- */

struct raw_job {
	int fd, write;
	uint8_t *buf;
	uint64_t len, block, next;
	int err;
};

static void *raw_thread(void *p)
{
	struct raw_job *j = p;

	for (;;) {
		uint64_t off = __atomic_fetch_add(&j->next, j->block,
						  __ATOMIC_RELAXED);
		uint64_t n;
		ssize_t k;

		if (off >= j->len)
			break;
		n = j->len - off < j->block ? j->len - off : j->block;
		k = j->write ? pwrite(j->fd, j->buf + off, n, (off_t)off)
			     : pread(j->fd, j->buf + off, n, (off_t)off);
		if (k != (ssize_t)n)
			j->err = 1;
	}
	return NULL;
}

/* N threads moving `len` bytes in `block`s, like fio with N jobs. */
static double raw_io(struct bench *b, const char *path, int write,
		     uint8_t *buf, uint64_t len, unsigned threads,
		     uint64_t block)
{
	int flags = write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
	struct raw_job j = { -1, write, buf, len, block, 0, 0 };
	pthread_t th[256];
	double t0, t;

	if (write)
		unlink(path);
	sync();
	if (b->direct)
		flags |= O_DIRECT;
	j.fd = open(path, flags | O_CLOEXEC, 0644);
	if (j.fd < 0 && b->direct && errno == EINVAL)
		j.fd = open(path, (flags & ~O_DIRECT) | O_CLOEXEC, 0644);
	if (j.fd < 0)
		die(path);
	t0 = now();
	for (unsigned i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, raw_thread, &j);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	if (write && fsync(j.fd) != 0)
		die("fsync");
	t = now() - t0;
	close(j.fd);
	if (j.err)
		die(write ? "raw write" : "raw read");
	return t;
}

/* ---- FRC save and restore ---- */

static double frc_save(struct bench *b, unsigned threads)
{
	frc_writer_options_t o;
	frc_writer_t *w = frc_writer_new();
	double t0, t;

	memset(&o, 0, sizeof(o));
	o.overwrite = 1;
	o.direct = b->direct;
	unlink(b->frc_path); /* freeing the old file's blocks is not saving */
	sync();
	t0 = now();
	if (frc_writer_open(w, b->frc_path, &o, sizeof(o)) ||
	    frc_writer_add_region(w, "pc.ram", b->size, PAGE, NULL) ||
	    frc_writer_write_region(w, 0, b->guest, threads, NULL, NULL) ||
	    frc_writer_commit(w, NULL, NULL)) {
		tool_err("bench: %s", frc_writer_errmsg(w));
		exit(1);
	}
	t = now() - t0;
	frc_writer_free(w);
	return t;
}

static double frc_restore(struct bench *b)
{
	frc_reader_t *r = frc_reader_new();
	double t0, t;

	t0 = now();
	if (frc_reader_open(r, b->frc_path, b->direct ? FRC_OPEN_DIRECT : 0) ||
	    frc_reader_read_region_parallel(r, 0, b->back, b->size, b->threads,
					    NULL, NULL)) {
		tool_err("bench: %s", frc_reader_errmsg(r));
		exit(1);
	}
	t = now() - t0;
	frc_reader_free(r);
	if (memcmp(b->back, b->guest, b->size) != 0) {
		tool_err("bench: restored memory differs from the guest");
		exit(1);
	}
	return t;
}

/* Empties the page cache (root), else drops these files' cached pages. */
static void drop_caches(struct bench *b)
{
	const char *files[] = { b->frc_path, b->raw_path };
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	b->cold = fd >= 0 && write(fd, "3\n", 2) == 2;
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2; i++) {
		fd = open(files[i], O_RDONLY);
		if (fd >= 0) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			close(fd);
		}
	}
}

/* ---- live save with re-dirtying ---- */

struct live_result {
	uint64_t frc_size[32], frc_alloc[32], stream[32];
};

static uint64_t allocated(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Appends a page as QEMU's sequential stream does: header, then bytes. */
static void stream_page(FILE *f, uint64_t k, const uint8_t *page)
{
	uint64_t hdr = k * PAGE | 0x08; /* address | RAM_SAVE_FLAG_PAGE */

	if (fwrite(&hdr, 8, 1, f) != 1 || fwrite(page, PAGE, 1, f) != 1)
		die("stream write");
}

/* Sizes, not speed, are measured here: at most 512 MiB of the guest. */
static void live_save(struct bench *b, struct live_result *res)
{
	uint64_t pages = b->live_size / PAGE;
	frc_writer_options_t o;
	frc_writer_t *w = frc_writer_new();
	FILE *stream = fopen(b->stream_path, "wb");
	uint64_t batch = 256, *idx = malloc(batch * 8);
	const void **ptr = malloc(batch * sizeof(*ptr));
	uint64_t seed = 1;

	memset(&o, 0, sizeof(o));
	o.overwrite = 1;
	o.direct = b->direct;
	/* a new file, not an atomic replacement: its size is what we watch */
	unlink(b->frc_path);
	if (!stream || !idx || !ptr || frc_writer_open(w, b->frc_path, &o, sizeof(o)) ||
	    frc_writer_add_region(w, "pc.ram", b->live_size, PAGE, NULL))
		die("live save");
	for (unsigned pass = 0; pass < b->passes; pass++) {
		uint64_t n = 0;

		for (uint64_t k = 0; k < pages; k++) {
			int dirty = pass == 0 ||
				    (double)(mix(seed++) % 10000) <
					    b->redirty * 10000.0;
			uint64_t *word = (uint64_t *)(b->guest + k * PAGE);

			if (!dirty)
				continue;
			if (pass)
				word[0] = mix(k + pass); /* the guest wrote */
			stream_page(stream, k, b->guest + k * PAGE);
			idx[n] = k;
			ptr[n++] = b->guest + k * PAGE;
			if (n == batch || k + 1 == pages) {
				if (frc_writer_write_batch(w, 0, n, idx, ptr))
					die(frc_writer_errmsg(w));
				n = 0;
			}
		}
		if (n && frc_writer_write_batch(w, 0, n, idx, ptr))
			die(frc_writer_errmsg(w));
		fflush(stream);
		res->frc_size[pass] = file_size(b->frc_path);
		res->frc_alloc[pass] = allocated(b->frc_path);
		res->stream[pass] = file_size(b->stream_path);
	}
	if (frc_writer_commit(w, NULL, NULL))
		die(frc_writer_errmsg(w));
	res->frc_size[b->passes - 1] = file_size(b->frc_path);
	res->frc_alloc[b->passes - 1] = allocated(b->frc_path);
	frc_writer_free(w);
	fclose(stream);
	free(idx);
	free(ptr);
	unlink(b->stream_path);
}

/* ---- random access ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct latency {
	double frc_med, frc_p99, raw_med, raw_p99;
};

static void latency_stats(double *v, unsigned n, double *med, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*med = v[n / 2];
	*p99 = v[(unsigned)(n * 0.99)];
}

/* One verified FRC page vs a bare 4 KiB pread, same pages, warm cache. */
static void random_access(struct bench *b, struct latency *l)
{
	double *tf = malloc(LAT_SAMPLES * sizeof(double));
	double *tr = malloc(LAT_SAMPLES * sizeof(double));
	frc_reader_t *r = frc_reader_new();
	int fd = open(b->raw_path, O_RDONLY);
	uint8_t page[PAGE];
	uint64_t rawpages = b->data_bytes / PAGE;

	if (!tf || !tr || fd < 0 || frc_reader_open(r, b->frc_path, 0))
		die("random access");
	for (int round = 0; round < 2; round++) { /* round 0 warms up */
		for (unsigned i = 0; i < LAT_SAMPLES; i++) {
			uint64_t k = mix(i * 7919 + 1) % b->pages;
			uint64_t kr = rawpages ? mix(i * 7919 + 1) % rawpages : 0;
			double t0 = now();

			if (frc_reader_read_page(r, 0, k, page))
				die(frc_reader_errmsg(r));
			tf[i] = now() - t0;
			t0 = now();
			if (pread(fd, page, PAGE, (off_t)(kr * PAGE)) < 0)
				die("pread");
			tr[i] = now() - t0;
		}
	}
	latency_stats(tf, LAT_SAMPLES, &l->frc_med, &l->frc_p99);
	latency_stats(tr, LAT_SAMPLES, &l->raw_med, &l->raw_p99);
	close(fd);
	frc_reader_free(r);
	free(tf);
	free(tr);
}

/* frc bench --read-latency FILE: random verified page reads of a file. */
static int read_latency(const char *path)
{
	frc_reader_t *r = frc_reader_new();
	double *t = malloc(LAT_SAMPLES * sizeof(double)), med, p99;
	uint64_t *pick = malloc(LAT_SAMPLES * sizeof(uint64_t));
	uint32_t best = 0;
	frc_region_info_t g, h;
	uint8_t *page = NULL;

	if (!r || !t || !pick || frc_reader_open(r, path, 0) != FRC_OK) {
		tool_err("%s", r ? frc_reader_errmsg(r) : "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_reader_region(r, i, &h, sizeof(h));
		frc_reader_region(r, best, &g, sizeof(g));
		if (h.present_pages > g.present_pages)
			best = i;
	}
	frc_reader_region(r, best, &g, sizeof(g));
	if (!g.present_pages || !(page = malloc(g.page_size))) {
		tool_err("%s: no present page to read", path);
		goto fail;
	}
	for (unsigned i = 0; i < LAT_SAMPLES; i++) { /* present pages */
		uint64_t first, count, k = mix(i * 7919 + 1) % g.page_count;

		if (frc_reader_next_run(r, best, k, &first, &count) || !count)
			frc_reader_next_run(r, best, 0, &first, &count);
		pick[i] = first + mix(i) % count;
	}
	for (int round = 0; round < 2; round++) /* round 0 warms up */
		for (unsigned i = 0; i < LAT_SAMPLES; i++) {
			double t0 = now();

			if (frc_reader_read_page(r, best, pick[i], page)) {
				tool_err("%s", frc_reader_errmsg(r));
				goto fail;
			}
			t[i] = now() - t0;
		}
	latency_stats(t, LAT_SAMPLES, &med, &p99);
	printf("%s: region '%s', %s, %u random verified page reads: median "
	       "%.1f us, p99 %.1f us\n", path, g.id,
	       g.compression ? "compressed" : "uncompressed", LAT_SAMPLES,
	       med * 1e6, p99 * 1e6);
	free(page);
	free(pick);
	free(t);
	frc_reader_free(r);
	return 0;
fail:
	free(page);
	free(pick);
	free(t);
	frc_reader_free(r);
	return 1;
}

/* Peak resident memory since the last reset, in bytes (Linux). */
static uint64_t peak_rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %" SCNu64, &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

static uint64_t current_rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %" SCNu64, &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

static void reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "5", 1) != 1)
			errno = 0;
		close(fd);
	}
}

/* ---- the report ---- */

struct results {
	double save_frc, save_raw, save_dd;
	double restore_frc, restore_raw;
	double scale_zero[3], scale_scattered;
	double scale_threads[3];
	unsigned thread_counts[3], nthreads;
	struct live_result live;
	struct latency lat;
	uint64_t save_mem, restore_mem, meta_bytes;
};

static double gbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes / s / 1e9 : 0;
}

static void print_human(const struct bench *b, const struct results *r)
{
	static const double zr[3] = { 0, 0.5, 0.9 };
	char s1[32], s2[32];

	printf("frc bench: %s guest in %s, %.0f%% zero pages (in 2 MiB runs), "
	       "%u threads, %s I/O\n\n", tool_human_size(b->size, s1, sizeof(s1)), b->dir,
	       b->zero_ratio * 100, b->threads,
	       b->direct ? "O_DIRECT" : "buffered");
	printf("(every time is the best of %u runs)\n\n", b->repeat);
	printf("1. save (%s of data, fsync'd)          time     GB/s   vs raw\n",
	       tool_human_size(b->data_bytes, s1, sizeof(s1)));
	printf("   FRC (checksums, commit)        %8.3f s %8.2f %7.2fx\n",
	       r->save_frc, gbps(b->data_bytes, r->save_frc),
	       r->save_raw / r->save_frc);
	printf("   raw, %u threads x 4 MiB        %8.3f s %8.2f %7.2fx\n",
	       b->threads, r->save_raw, gbps(b->data_bytes, r->save_raw), 1.0);
	printf("   raw, 1 writer x 1 MiB (dd)     %8.3f s %8.2f %7.2fx\n\n",
	       r->save_dd, gbps(b->data_bytes, r->save_dd),
	       r->save_raw / r->save_dd);
	printf("2. restore into memory (%s cache)     time     GB/s   vs raw\n",
	       b->cold || b->direct ? "cold" : "warm?");
	printf("   FRC (every checksum verified)  %8.3f s %8.2f %7.2fx\n",
	       r->restore_frc, gbps(b->data_bytes, r->restore_frc),
	       r->restore_raw / r->restore_frc);
	printf("   raw, %u threads x 4 MiB        %8.3f s %8.2f %7.2fx\n\n",
	       b->threads, r->restore_raw, gbps(b->data_bytes, r->restore_raw),
	       1.0);
	printf("3. live save of %s, %u passes re-dirtying %.0f%% of pages\n"
	       "   pass   FRC size       FRC on disk    stream size    stream/FRC\n",
	       tool_human_size(b->live_size, s1, sizeof(s1)), b->passes,
	       b->redirty * 100);
	for (unsigned p = 0; p < b->passes; p++)
		printf("   %4u %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %9.2fx\n",
		       p + 1, r->live.frc_size[p], r->live.frc_alloc[p],
		       r->live.stream[p],
		       (double)r->live.stream[p] / (double)r->live.frc_size[p]);
	printf("\n4. scaling: save time\n");
	for (int i = 0; i < 3; i++)
		printf("   %3.0f%% zero pages                %8.3f s  (%.1fx faster "
		       "than 0%%)\n", zr[i] * 100, r->scale_zero[i],
		       r->scale_zero[0] / r->scale_zero[i]);
	printf("    50%% zero, scattered 4 KiB      %8.3f s  (worst case: "
	       "one I/O per data run)\n", r->scale_scattered);
	for (unsigned i = 0; i < r->nthreads; i++)
		printf("   %3u thread%s                     %8.3f s\n",
		       r->thread_counts[i], r->thread_counts[i] == 1 ? " " : "s",
		       r->scale_threads[i]);
	printf("\n5. random access, one 4 KiB page, warm cache   median     p99\n");
	printf("   FRC read_page (verified)              %8.2f us %7.2f us\n",
	       r->lat.frc_med * 1e6, r->lat.frc_p99 * 1e6);
	printf("   bare pread                            %8.2f us %7.2f us\n\n",
	       r->lat.raw_med * 1e6, r->lat.raw_p99 * 1e6);
	printf("memory: save used %s, restore %s beyond the guest buffers; "
	       "bitmap + checksum table: %s\n",
	       tool_human_size(r->save_mem, s1, sizeof(s1)),
	       tool_human_size(r->restore_mem, s2, sizeof(s2)),
	       tool_human_size(r->meta_bytes, s1, sizeof(s1)));
}

static void emit_json(const struct bench *b, const struct results *r)
{
	static const char *const zr[3] = { "0", "0.5", "0.9" };
	struct out *o = out_new(OUT_JSON, stdout);

	out_str(o, "dir", b->dir);
	out_uint(o, "size", b->size);
	out_uint(o, "data_bytes", b->data_bytes);
	out_uint(o, "threads", b->threads);
	out_bool(o, "direct", b->direct);
	out_bool(o, "cold_cache", b->cold || b->direct);
#define SECS(key, v) out_real(o, key, v, 6)
	out_map(o, "save");
	SECS("frc_seconds", r->save_frc);
	SECS("raw_seconds", r->save_raw);
	SECS("dd_seconds", r->save_dd);
	SECS("frc_vs_raw", r->save_raw / r->save_frc);
	out_end(o);
	out_map(o, "restore");
	SECS("frc_seconds", r->restore_frc);
	SECS("raw_seconds", r->restore_raw);
	SECS("frc_vs_raw", r->restore_raw / r->restore_frc);
	out_end(o);
	out_list(o, "live_save");
	for (unsigned p = 0; p < b->passes; p++) {
		out_map(o, NULL);
		out_uint(o, "pass", p + 1);
		out_uint(o, "frc_size", r->live.frc_size[p]);
		out_uint(o, "frc_allocated", r->live.frc_alloc[p]);
		out_uint(o, "stream_size", r->live.stream[p]);
		out_end(o);
	}
	out_end(o);
	out_map(o, "scaling_zero_ratio");
	for (int i = 0; i < 3; i++)
		SECS(zr[i], r->scale_zero[i]);
	SECS("0.5_scattered", r->scale_scattered);
	out_end(o);
	out_map(o, "scaling_threads");
	for (unsigned i = 0; i < r->nthreads; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%u", r->thread_counts[i]);
		SECS(key, r->scale_threads[i]);
	}
	out_end(o);
	out_map(o, "random_read_us");
	SECS("frc_median", r->lat.frc_med * 1e6);
	SECS("frc_p99", r->lat.frc_p99 * 1e6);
	SECS("pread_median", r->lat.raw_med * 1e6);
	SECS("pread_p99", r->lat.raw_p99 * 1e6);
	out_end(o);
	out_uint(o, "save_memory_bytes", r->save_mem);
	out_uint(o, "restore_memory_bytes", r->restore_mem);
	out_uint(o, "bitmap_and_checksum_bytes", r->meta_bytes);
#undef SECS
	out_finish(o);
}

static int parse_bench(int argc, char **argv, struct bench *b)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "zero-ratio", required_argument, NULL, 'z' },
		{ "threads", required_argument, NULL, 't' },
		{ "direct", no_argument, NULL, 'D' },
		{ "no-direct", no_argument, NULL, 'N' },
		{ "passes", required_argument, NULL, 'k' },
		{ "redirty", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	b->dir = ".";
	b->size = UINT64_C(2) << 30;
	b->threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	b->direct = 1;
	b->passes = 5;
	b->redirty = 0.25;
	b->repeat = 3;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': b->dir = optarg; break;
		case 's':
			if (tool_parse_size(optarg, &b->size) ||
			    b->size < (UINT64_C(16) << 20))
				return -1;
			break;
		case 'z': b->zero_ratio = atof(optarg); break;
		case 't': b->threads = (unsigned)atoi(optarg); break;
		case 'D': b->direct = 1; break;
		case 'N': b->direct = 0; break;
		case 'k': b->passes = (unsigned)atoi(optarg); break;
		case 'r': b->redirty = atof(optarg); break;
		case 'R': b->repeat = (unsigned)atoi(optarg); break;
		case 'O':
			if (out_parse_format(optarg, &b->format) ||
			    b->format == OUT_YAML)
				return -1;
			break;
		case 'h': fputs(bench_usage, stdout); exit(0);
		default: return -1;
		}
	}
	if (optind != argc || b->zero_ratio < 0 || b->zero_ratio > 1 ||
	    b->threads < 1 || b->threads > 256 || b->passes < 1 ||
	    b->passes > 32 || b->redirty < 0 || b->redirty > 1 ||
	    b->repeat < 1 || b->repeat > 100)
		return -1;
	b->size = b->size / BLOCK * BLOCK;
	b->pages = b->size / PAGE;
	b->live_size = b->size < (UINT64_C(512) << 20) ? b->size
							: UINT64_C(512) << 20;
	return 0;
}

/* With FRC_BENCH_TRACE set, how long each phase took, on stderr. */
static void phase(const char *name)
{
	static double last;
	double t = now();

	if (getenv("FRC_BENCH_TRACE") && last > 0)
		fprintf(stderr, "bench: %-12s %.2f s\n", name, t - last);
	last = t;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* Save and restore: FRC and raw interleaved, best of `repeat` each. */
static void run_io(struct bench *b, struct results *r)
{
	uint64_t rss;

	r->save_frc = r->save_raw = r->save_dd = 1e9;
	r->restore_frc = r->restore_raw = 1e9;
	fill_guest(b, b->zero_ratio);
	for (unsigned i = 0; i < b->repeat; i++) {
		rss = current_rss();
		reset_peak();
		r->save_frc = min_d(r->save_frc, frc_save(b, b->threads));
		if (peak_rss() > rss && peak_rss() - rss > r->save_mem)
			r->save_mem = peak_rss() - rss;
		r->save_raw = min_d(r->save_raw,
				    raw_io(b, b->raw_path, 1, b->guest,
					   b->data_bytes, b->threads, BLOCK));
		r->save_dd = min_d(r->save_dd,
				   raw_io(b, b->dd_path, 1, b->guest,
					  b->data_bytes, 1, DD_BLOCK));
		unlink(b->dd_path);
	}
	phase("save");
	for (unsigned i = 0; i < b->repeat; i++) {
		drop_caches(b);
		rss = current_rss();
		reset_peak();
		r->restore_frc = min_d(r->restore_frc, frc_restore(b));
		if (peak_rss() > rss && peak_rss() - rss > r->restore_mem)
			r->restore_mem = peak_rss() - rss;
		drop_caches(b);
		r->restore_raw = min_d(r->restore_raw,
				       raw_io(b, b->raw_path, 0, b->back,
					      b->data_bytes, b->threads, BLOCK));
	}
	phase("restore");
}

static void run_scaling(struct bench *b, struct results *r)
{
	static const double zr[3] = { 0, 0.5, 0.9 };

	for (int i = 0; i < 3; i++) {
		fill_guest(b, zr[i]);
		r->scale_zero[i] = 1e9;
		for (unsigned k = 0; k < b->repeat; k++)
			r->scale_zero[i] = min_d(r->scale_zero[i],
						 frc_save(b, b->threads));
	}
	fill_guest(b, -0.5);
	r->scale_scattered = frc_save(b, b->threads);
	fill_guest(b, b->zero_ratio);
	r->thread_counts[r->nthreads++] = 1;
	if (b->threads >= 2)
		r->thread_counts[r->nthreads++] = 2;
	if (b->threads > 2)
		r->thread_counts[r->nthreads++] = b->threads;
	for (unsigned i = 0; i < r->nthreads; i++) {
		r->scale_threads[i] = 1e9;
		for (unsigned k = 0; k < b->repeat; k++)
			r->scale_threads[i] =
				min_d(r->scale_threads[i],
				      frc_save(b, r->thread_counts[i]));
	}
	phase("scaling");
}

static void run_all(struct bench *b, struct results *r)
{
	phase("start");
	run_io(b, r);
	random_access(b, &r->lat); /* uses the files just saved */
	phase("latency");
	run_scaling(b, r);
	live_save(b, &r->live);
	phase("live save");
	r->meta_bytes = b->pages * 8 + b->pages / 8;
}

int cmd_bench(int argc, char **argv)
{
	struct bench b;
	struct results r;

	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	if (argc == 3 && strcmp(argv[1], "--read-latency") == 0)
		return read_latency(argv[2]);
	if (parse_bench(argc, argv, &b)) {
		fputs(bench_usage, stderr);
		return 1;
	}
	snprintf(b.frc_path, sizeof(b.frc_path), "%s/frc-bench.frc", b.dir);
	snprintf(b.raw_path, sizeof(b.raw_path), "%s/frc-bench.raw", b.dir);
	snprintf(b.dd_path, sizeof(b.dd_path), "%s/frc-bench.dd", b.dir);
	snprintf(b.stream_path, sizeof(b.stream_path), "%s/frc-bench.stream",
		 b.dir);
	if (posix_memalign((void **)&b.guest, 1 << 20, b.size) ||
	    posix_memalign((void **)&b.back, 1 << 20, b.size))
		die("guest memory");
	/* Restoring into memory that is already mapped, as a hypervisor does:
	 * page faults of a fresh buffer are not part of either restore. */
	memset(b.back, 0xaa, b.size);
	run_all(&b, &r);
	unlink(b.frc_path);
	unlink(b.raw_path);
	if (b.format == OUT_JSON)
		emit_json(&b, &r);
	else
		print_human(&b, &r);
	free(b.guest);
	free(b.back);
	return 0;
}
