/*
 * vmcmd.c - `frc save-qemu` and `frc restore-qemu`: a running QEMU saved
 * into an FRC file, or a QEMU waiting with `-incoming defer` restored from
 * one, by one command that drives QEMU through its QMP socket (qmp.c).
 *
 * The migration stream goes through a pipe whose end is handed to QEMU
 * with `getfd` (migration URI fd:NAME): frc parses what QEMU writes and
 * writes the FRC file itself (import.c), or writes the stream, every page
 * verified, for QEMU to load (export.c). Nothing is written into QEMU's
 * memory and no file is left that reads as complete after a failure: the
 * output is a temporary file renamed only once QEMU reports the migration
 * completed. The VM's run state is put back as it was found.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "qemu_cmd.h"
#include "guestmem.h"
#include "outfile.h"
#include "output.h"
#include "qmp.h"
#include "relay.h"
#include "stream.h"

#define QMP_TIMEOUT_MS 30000
/* how long QEMU may take to report the end of a migration whose stream
 * has been read or written whole */
#define END_TIMEOUT_MS 60000
/* max-bandwidth of a paused save: as fast as the disk takes it */
#define SAVE_BANDWIDTH (INT64_C(1) << 40)

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* QMP arguments {key: v} (NULL when out of memory: QMP then fails) */
static json_object *args_of(const char *key, json_object *v)
{
	json_object *a = json_object_new_object();

	if (!v || (a && json_object_object_add(a, key, v))) {
		json_object_put(a);
		json_object_put(v);
		a = NULL;
	}
	return a;
}

static json_object *args1(const char *key, const char *value)
{
	return args_of(key, json_object_new_string(value));
}

/* QMP's error, printed as frc's; returns -1. */
static int qerr(struct qmp *q)
{
	tool_err("%s", q->error[0] ? q->error : "QMP failed");
	return -1;
}

/*
 * Waits until QEMU reports the migration ended: 0 when completed, -1
 * (message printed) when it failed, was cancelled or QMP failed. `dir`
 * says which side, for messages.
 */
static int migration_end(struct qmp *q, const char *dir)
{
	double end = now_s() + END_TIMEOUT_MS / 1000.0;
	char st[64], err[400];

	while (now_s() < end) {
		if (qmp_migration(q, st, sizeof(st), err, sizeof(err)))
			return qerr(q);
		if (!strcmp(st, "completed"))
			return 0;
		if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
			tool_err("%s: QEMU's %s %s%s%s", q->path, dir, st,
				 err[0] ? ": " : "", err);
			return -1;
		}
		usleep(5000);
	}
	tool_err("%s: QEMU's %s did not end within %d s", q->path, dir,
		 END_TIMEOUT_MS / 1000);
	return -1;
}

/* QEMU's max-bandwidth parameter (bytes/s) into *v; -1 on failure. */
static int get_bandwidth(struct qmp *q, int64_t *v)
{
	json_object *r = qmp_call(q, "query-migrate-parameters", NULL, -1), *b;
	int ok = r && json_object_object_get_ex(r, "max-bandwidth", &b);

	if (ok)
		*v = json_object_get_int64(b);
	else if (r)
		snprintf(q->error, sizeof(q->error), "%s: QEMU reports no "
			 "max-bandwidth", q->path);
	json_object_put(r);
	return ok ? 0 : -1;
}

static int set_bandwidth(struct qmp *q, int64_t v)
{
	return qmp_do(q, "migrate-set-parameters",
		      args_of("max-bandwidth", json_object_new_int64(v)), -1);
}

/* The pipe of the migration stream (p[0] reads what p[1] writes), 1 MiB
 * deep; QEMU gets one end. 0, or -1 (said). */
static int channel(int p[2])
{
	if (pipe2(p, O_CLOEXEC)) {
		tool_err("pipe: %s", strerror(errno));
		return -1;
	}
	(void)fcntl(p[1], F_SETPIPE_SZ, (int)IN_BUF);
	return 0;
}

/* Hands the pipe end `fd` to QEMU under `name` (closing frc's copy). */
static int give_fd(struct qmp *q, const char *name, int fd)
{
	int rc = qmp_do(q, "getfd", args1("fdname", name), fd);

	close(fd);
	return rc ? qerr(q) : 0;
}


/* ---- the VM's shared memory files (path "shared-memory") ---- */

/*
 * What QEMU says of its memory backends: every memory-backend-file with
 * share=on, as ID=mem-path in sh->g (checked when opened: a regular file
 * QEMU's process maps shared), and in sh->why the reason the RAM cannot
 * travel through them (empty when it can). -1 when QMP failed.
 */
struct shared {
	struct guestmems g;
	char why[400];
};

static json_object *qom_get(struct qmp *q, const char *obj, const char *prop)
{
	json_object *a = json_object_new_object();
	char path[300];

	snprintf(path, sizeof(path), "/objects/%s", obj);
	if (a && (json_object_object_add(a, "path", json_object_new_string(path)) ||
		  json_object_object_add(a, "property",
					 json_object_new_string(prop)))) {
		json_object_put(a);
		a = NULL;
	}
	return qmp_call(q, "qom-get", a, -1);
}

static int find_shared(struct qmp *q, struct shared *sh, int writable,
		       const char *input)
{
	json_object *list = qmp_call(q, "query-memdev", NULL, -1);
	size_t n;

	memset(sh, 0, sizeof(*sh));
	sh->g.writable = writable;
	sh->g.input = input;
	sh->g.pid = q->pid;
	for (unsigned i = 0; i < GUESTMEM_MAX; i++)
		sh->g.m[i].fd = -1;
	if (!list)
		return qerr(q);
	if (!q->pid)
		snprintf(sh->why, sizeof(sh->why), "QEMU's process is unknown "
			 "(no peer of its QMP socket)");
	n = json_object_is_type(list, json_type_array)
		    ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n && !sh->why[0]; i++) {
		json_object *e = json_object_array_get_idx(list, i), *v, *t, *mp;
		const char *id = qmp_str(e, "id");
		struct stat st;
		char *arg;

		if (!json_object_object_get_ex(e, "share", &v) ||
		    !json_object_get_boolean(v))
			continue;
		if (!id) {
			snprintf(sh->why, sizeof(sh->why), "a shared memory "
				 "backend has no id");
			break;
		}
		t = qom_get(q, id, "type");
		if (!t) {
			json_object_put(list);
			return qerr(q);
		}
		if (strcmp(json_object_get_string(t), "memory-backend-file")) {
			snprintf(sh->why, sizeof(sh->why), "shared memory "
				 "backend '%s' is a %s, not a memory-backend-file "
				 "(QEMU leaves only named files out of its "
				 "stream)", id, json_object_get_string(t));
			json_object_put(t);
			break;
		}
		json_object_put(t);
		mp = qom_get(q, id, "mem-path");
		if (!mp) {
			json_object_put(list);
			return qerr(q);
		}
		if (stat(json_object_get_string(mp), &st) || !S_ISREG(st.st_mode))
			snprintf(sh->why, sizeof(sh->why), "the mem-path of "
				 "backend '%s' (%s) is not a regular file frc "
				 "can reach", id, json_object_get_string(mp));
		else if (sh->g.n == GUESTMEM_MAX)
			snprintf(sh->why, sizeof(sh->why), "more than %d shared "
				 "memory files", GUESTMEM_MAX);
		else {
			/* "@0": an '@' in the path stays part of it */
			int bad = asprintf(&arg, "%s=%s@0", id,
					   json_object_get_string(mp)) < 0;

			if (bad) {
				arg = NULL;
				tool_err("out of memory");
			} else {
				bad = guestmem_add(&sh->g, arg) != 0;
			}
			free(arg);
			if (bad) {
				json_object_put(mp);
				json_object_put(list);
				return -1;
			}
		}
		json_object_put(mp);
	}
	json_object_put(list);
	if (!sh->why[0] && !sh->g.n)
		snprintf(sh->why, sizeof(sh->why), "the VM's RAM is not in a "
			 "shared memory file (memory-backend-file,share=on)");
	return 0;
}

/*
 * Migration capabilities: what a stream through a pipe needs, set in one
 * call, and the ones frc changed, to be put back as they were. A
 * capability QEMU does not know is not in its list and never touched.
 */
#define CAPS_MAX 16
struct capset {
	char name[CAPS_MAX][32];
	int was[CAPS_MAX];
	unsigned n;
};

/* off for a stream through a pipe: other layouts, other channels,
 * records FRC does not take */
static const char *const pipe_off[] = { "mapped-ram", "multifd", "xbzrle",
					"compress", "postcopy-ram" };

static int set_caps(struct qmp *q, const struct capset *c, int back)
{
	json_object *a = json_object_new_object(), *l = json_object_new_array();

	if (!a || !l || json_object_object_add(a, "capabilities", l)) {
		json_object_put(a);
		json_object_put(l);
		return qerr(q);
	}
	for (unsigned i = 0; i < c->n; i++) {
		json_object *e = json_object_new_object();

		if (!e || json_object_array_add(l, e) ||
		    json_object_object_add(e, "capability",
					   json_object_new_string(c->name[i])) ||
		    json_object_object_add(e, "state", json_object_new_boolean(
					       back ? c->was[i] : !c->was[i]))) {
			json_object_put(a);
			return qerr(q);
		}
	}
	return qmp_do(q, "migrate-set-capabilities", a, -1) ? qerr(q) : 0;
}

/*
 * Sets the capabilities a path needs: through a pipe (`mapped` 0),
 * mapped-ram and multifd off and x-ignore-shared as `ignore_shared` says;
 * into or from a file in place (`mapped`), mapped-ram and multifd on and
 * x-ignore-shared off; XBZRLE, compression and postcopy off either way.
 * *c records what changed. 0, or -1 (said) with nothing changed.
 */
static int caps_for(struct qmp *q, int mapped, int ignore_shared,
		    struct capset *c)
{
	json_object *l = qmp_call(q, "query-migrate-capabilities", NULL, -1);

	memset(c, 0, sizeof(*c));
	if (!l)
		return qerr(q);
	for (size_t i = 0; json_object_is_type(l, json_type_array) &&
			   i < json_object_array_length(l) && c->n < CAPS_MAX; i++) {
		json_object *e = json_object_array_get_idx(l, i), *v;
		const char *name = qmp_str(e, "capability");
		int on, want;

		if (!name || strlen(name) >= sizeof(c->name[0]) ||
		    !json_object_object_get_ex(e, "state", &v))
			continue;
		on = want = json_object_get_boolean(v);
		for (size_t k = 0; k < sizeof(pipe_off) / sizeof(pipe_off[0]); k++)
			if (!strcmp(name, pipe_off[k]))
				want = mapped && k < 2;
		if (!strcmp(name, "x-ignore-shared"))
			want = !mapped && ignore_shared;
		if (want != on) {
			snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
			c->was[c->n++] = on;
		}
	}
	json_object_put(l);
	if (c->n && set_caps(q, c, 0)) {
		c->n = 0;
		return -1;
	}
	return 0;
}

/*
 * fd handed to QEMU in a new file descriptor set (`add-fd`): QEMU opens
 * /dev/fdset/N instead of a path, so the file need not be visible to it.
 * *set is N. 0, or -1 (said).
 */
static int add_fdset(struct qmp *q, int fd, int64_t *set)
{
	json_object *r = qmp_call(q, "add-fd", NULL, fd), *v;
	int ok = r && json_object_object_get_ex(r, "fdset-id", &v);

	if (ok)
		*set = json_object_get_int64(v);
	else if (r)
		snprintf(q->error, sizeof(q->error), "%s: add-fd returned no "
			 "fdset-id", q->path);
	json_object_put(r);
	return ok ? 0 : qerr(q);
}

static void remove_fdset(struct qmp *q, int64_t set)
{
	(void)qmp_do(q, "remove-fd",
		     args_of("fdset-id", json_object_new_int64(set)), -1);
}

/* QEMU's status and RAM figures of a query-migrate reply */
static const char *mig_figures(json_object *r, int64_t *total,
			       int64_t *remaining, int64_t *transferred)
{
	json_object *ram, *v;

	*total = *remaining = *transferred = 0;
	if (json_object_object_get_ex(r, "ram", &ram)) {
		if (json_object_object_get_ex(ram, "total", &v))
			*total = json_object_get_int64(v);
		if (json_object_object_get_ex(ram, "remaining", &v))
			*remaining = json_object_get_int64(v);
		if (json_object_object_get_ex(ram, "transferred", &v))
			*transferred = json_object_get_int64(v);
	}
	return qmp_str(r, "status");
}

static int mig_over(const char *st)
{
	return !st || !strcmp(st, "completed") || !strcmp(st, "failed") ||
	       !strcmp(st, "cancelled");
}

/*
 * Waits for a migration QEMU carries out alone, into or from a file, with
 * its progress on pr: the deadline of migration_end moves on while QEMU's
 * count of RAM bytes moves, so that a large VM is not cut short and a
 * QEMU that stalls is not waited for forever. 0 when completed.
 */
static int migration_file_end(struct qmp *q, const char *dir,
			      struct tool_progress *pr)
{
	double end = now_s() + END_TIMEOUT_MS / 1000.0;
	int64_t last = -1;

	for (;;) {
		json_object *r = qmp_call(q, "query-migrate", NULL, -1);
		int64_t total, remaining, moved;
		int over;

		if (!r)
			return qerr(q);
		over = mig_over(mig_figures(r, &total, &remaining, &moved));
		json_object_put(r);
		if (total > 0 && remaining <= total)
			tool_progress_cb(pr, (uint64_t)(total - remaining),
					 (uint64_t)total);
		if (over)
			break;
		if (moved != last) {
			last = moved;
			end = now_s() + END_TIMEOUT_MS / 1000.0;
		} else if (now_s() > end) {
			break; /* migration_end says so */
		}
		usleep(20000);
	}
	return migration_end(q, dir);
}

/* true when all `n` bytes at p are zero */
static int all_zero(const uint8_t *p, size_t n)
{
	return !p[0] && !memcmp(p, p + 1, n - 1);
}

#define COPY_PAGES 1024u
#define COPY_JOBS 2

/* a piece of a block on its way to the writer: the worker checksums and
 * writes one while the caller reads the next from the shared file */
struct copy_job {
	struct relay_job job;
	frc_writer_t *w;
	uint32_t region;
	unsigned k; /* pages */
	uint64_t idx[COPY_PAGES];
	const void *pg[COPY_PAGES];
	uint8_t *buf;
};

static int copy_run(void *ctx, struct relay_job *job)
{
	struct copy_job *c = (struct copy_job *)job;

	(void)ctx;
	if (c->k && frc_writer_write_batch(c->w, c->region, c->k, c->idx, c->pg)) {
		tool_err("%s", frc_writer_errmsg(c->w));
		return -1;
	}
	return 0;
}

/* Reads [off, off + want) of memory file m into buf; 0 or -1 (said). */
static int read_memory(const struct guestmem *m, uint8_t *buf, size_t want,
		       uint64_t off)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = pread(m->fd, buf + got, want - got,
				  (off_t)(m->offset + off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tool_err("cannot read '%s' (memory of block '%s') at %"
				 PRIu64 ": %s", m->path, tool_esc(m->id),
				 m->offset + off + got,
				 n ? strerror(errno) : "the file ends");
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* Block i's pages from its shared memory file m into region i of w:
 * every page but the zero ones, checksummed by the writer. */
static int copy_block(frc_writer_t *w, uint32_t i, const struct guestmem *m,
		      uint64_t used, uint32_t ps, uint64_t *bytes,
		      struct tool_progress *pr)
{
	struct tool_progress own;
	static struct copy_job jobs[COPY_JOBS];
	struct relay rl;
	uint64_t n = 0, off = 0;
	int rc = 0;

	memset(&rl, 0, sizeof(rl));
	for (unsigned j = 0; j < COPY_JOBS; j++) {
		memset(&jobs[j].job, 0, sizeof(jobs[j].job));
		jobs[j].w = w;
		jobs[j].region = i;
		if (posix_memalign((void **)&jobs[j].buf, 4096,
				   (size_t)COPY_PAGES * ps))
			jobs[j].buf = NULL;
		if (!jobs[j].buf)
			rc = -1;
	}
	if (rc || relay_start(&rl, copy_run, NULL)) {
		tool_err("out of memory or threads");
		rc = -1;
	}
	tool_progress_init(&own, pr && pr->enabled ? 1 : 0,
			   "frc: RAM from the shared file");
	for (; !rc && off < used; n++) {
		struct copy_job *c = &jobs[n % COPY_JOBS];
		size_t want = used - off < (uint64_t)COPY_PAGES * ps
				      ? (size_t)(used - off)
				      : (size_t)COPY_PAGES * ps;

		if (n >= COPY_JOBS && relay_wait(&rl, &c->job)) {
			rc = -1;
			break;
		}
		if (read_memory(m, c->buf, want, off)) {
			rc = -1;
			break;
		}
		c->k = 0;
		for (size_t p = 0; p < want / ps; p++)
			if (!all_zero(c->buf + p * ps, ps)) {
				c->idx[c->k] = off / ps + p;
				c->pg[c->k++] = c->buf + p * ps;
			}
		*bytes += (uint64_t)c->k * ps;
		relay_submit(&rl, &c->job);
		off += want;
		tool_progress_cb(&own, off, used);
	}
	tool_progress_done(&own);
	/* the jobs still out */
	for (uint64_t k = n > COPY_JOBS ? n - COPY_JOBS : 0; k < n; k++)
		if (relay_wait(&rl, &jobs[k % COPY_JOBS].job))
			rc = -1;
	relay_stop(&rl);
	for (unsigned j = 0; j < COPY_JOBS; j++)
		free(jobs[j].buf);
	return rc;
}

struct poller;
static void poll_stop(struct poller *pl);

struct fill {
	struct guestmems *g;
	uint64_t bytes; /* of non-zero pages copied */
	struct poller *pl; /* stopped before the copy shows its own progress */
	struct tool_progress *pr;
};

/* import_into's fill: the blocks QEMU left out, from their files */
static int fill_shared(void *ctx, frc_writer_t *w, struct qemu_file *q)
{
	struct fill *f = ctx;

	poll_stop(f->pl);
	if (f->pr)
		tool_progress_done(f->pr);
	for (unsigned i = 0; i < q->nblocks; i++) {
		const struct block *b = &q->blocks[i];
		const struct guestmem *m;
		int err;

		if (!b->ignored)
			continue;
		m = guestmem_open(f->g, b->id, b->used, &err);
		if (err)
			return -1;
		if (!m) {
			tool_err("QEMU left RAM block '%s' out of its stream, "
				 "but it is no shared memory file frc found",
				 tool_esc(b->id));
			return -1;
		}
		if (copy_block(w, i, m, b->used, q->page_size, &f->bytes,
			       f->pr))
			return -1;
	}
	return 0;
}

/*
 * While frc reads QEMU's stream, a thread shows QEMU's own count of the
 * RAM it sent (query-migrate: total - remaining of total), until the
 * migration ends or the caller stops it; the QMP connection is the
 * thread's alone meanwhile.
 */
struct poller {
	pthread_t thread;
	struct qmp *q;
	struct tool_progress *pr;
	pthread_mutex_t lock;
	int stop, started, inited;
};

static void *poll_run(void *arg)
{
	struct poller *pl = arg;

	for (;;) {
		json_object *r;
		int64_t total, remaining, moved;
		int stop;

		pthread_mutex_lock(&pl->lock);
		stop = pl->stop;
		pthread_mutex_unlock(&pl->lock);
		if (stop)
			break;
		r = qmp_call(pl->q, "query-migrate", NULL, -1);
		if (!r)
			break;
		stop = mig_over(mig_figures(r, &total, &remaining, &moved));
		if (total > 0 && remaining <= total)
			tool_progress_cb(pl->pr, (uint64_t)(total - remaining),
					 (uint64_t)total);
		json_object_put(r);
		if (stop)
			break;
		usleep(200000);
	}
	return NULL;
}

static void poll_start(struct poller *pl, struct qmp *q,
		       struct tool_progress *pr)
{
	memset(pl, 0, sizeof(*pl));
	pl->q = q;
	pl->pr = pr;
	pl->inited = !pthread_mutex_init(&pl->lock, NULL);
	pl->started = pl->inited && pr->enabled &&
		      !pthread_create(&pl->thread, NULL, poll_run, pl);
}

static void poll_stop(struct poller *pl)
{
	if (pl->started) {
		pthread_mutex_lock(&pl->lock);
		pl->stop = 1;
		pthread_mutex_unlock(&pl->lock);
		pthread_join(pl->thread, NULL);
		pl->started = 0;
	}
	if (pl->inited)
		pthread_mutex_destroy(&pl->lock);
	pl->inited = 0;
}

static void report_json(const char *cmd, const char *file, const char *path,
			const struct qmp *q, const char *state, double total,
			double paused)
{
	struct out *o = out_new(OUT_JSON, stdout);
	char v[48];

	snprintf(v, sizeof(v), "%d.%d.%d", q->major, q->minor, q->micro);
	out_str(o, "command", cmd);
	out_str(o, "file", file);
	out_str(o, "path", path);
	out_str(o, "qemu_version", v);
	out_str(o, "vm_state", state);
	out_real(o, "seconds", total, 3);
	if (paused >= 0)
		out_real(o, "paused_seconds", paused, 3);
	out_finish(o);
}

/* "auto", "shared-memory", "mapped-ram" or "stream" into *path; -1 when
 * none. */
static int parse_path(const char *arg, const char **path)
{
	if (strcmp(arg, "auto") && strcmp(arg, "shared-memory") &&
	    strcmp(arg, "stream") && strcmp(arg, "mapped-ram")) {
		tool_err("--path=%s: auto, shared-memory, mapped-ram or stream",
			 tool_esc(arg));
		return -1;
	}
	*path = arg;
	return 0;
}

/*
 * The path taken once sh says whether the shared-memory one is open (an
 * empty sh->why): shared-memory, else the stream, saying why unless
 * `quiet`; -1 (said) when shared-memory was asked for and is not open.
 */
static int choose_path(const char *path, const struct shared *sh,
		       const char *sock, int quiet, const char **taken)
{
	if (!sh->why[0]) {
		*taken = "shared-memory";
		return 0;
	}
	if (!strcmp(path, "shared-memory")) {
		tool_err("%s: the shared-memory path is not open: %s", sock,
			 sh->why);
		return -1;
	}
	if (!quiet)
		fprintf(stderr, "frc: path: stream (not shared-memory: %s)\n",
			sh->why);
	*taken = "stream";
	return 0;
}

#define SAVE_GENERATOR "frc save-qemu " FRC_LIB_VERSION_STRING

/*
 * Path "mapped-ram": QEMU (9.0 or later) writes its save with mapped-ram
 * and multifd straight into the FRC file in the making, from byte
 * INPLACE_OFFSET on (SPEC, appendix "QEMU mapped-ram inside an FRC file"),
 * handed to it as a file descriptor set; then the file is sealed, every
 * page read back and checksummed. The capabilities are set and the VM
 * stopped (unless live) by the caller. 0, or -1 (said).
 */
static int save_mapped(struct qmp *q, struct outfile *of, const char *file,
		       int digest, struct tool_progress *pr)
{
	char uri[80], wpath[64];
	struct guestmems none;
	int64_t set = -1;
	int wfd, rc;

	memset(&none, 0, sizeof(none));
	if (prepare_fd(of->fd, file, SAVE_GENERATOR))
		return -1;
	/* QEMU asks its fd set for a write-only descriptor */
	snprintf(wpath, sizeof(wpath), "/proc/self/fd/%d", of->fd);
	wfd = open(wpath, O_WRONLY | O_CLOEXEC);
	if (wfd < 0) {
		tool_err("%s: cannot reopen for QEMU: %s", file, strerror(errno));
		return -1;
	}
	rc = add_fdset(q, wfd, &set);
	close(wfd);
	if (rc)
		return -1;
	snprintf(uri, sizeof(uri), "file:/dev/fdset/%" PRId64 ",offset=%u",
		 set, INPLACE_OFFSET);
	if (qmp_do(q, "migrate", args1("uri", uri), -1)) {
		qerr(q);
		remove_fdset(q, set);
		return -1;
	}
	rc = migration_file_end(q, "save", pr);
	if (rc)
		(void)qmp_do(q, "migrate_cancel", NULL, -1);
	remove_fdset(q, set);
	tool_progress_done(pr);
	if (rc)
		return -1;
	/* the VM's own RAM is not frc's to read: every page is read back */
	return seal_file(of->tmp, INPLACE_OFFSET, &none, 1, SAVE_GENERATOR,
			 digest);
}

int cmd_save_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qmp", required_argument, NULL, 'Q' },
		{ "path", required_argument, NULL, 'P' },
		{ "live", no_argument, NULL, 'l' },
		{ "stop", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'N' },
		TOOL_COMPRESS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc save-qemu --qmp SOCKET\n"
		"                     [--path=auto|shared-memory|mapped-ram|stream]\n"
		"                     [--live] [--stop] [--compress[=LEVEL]]\n"
		"                     [--frame=SIZE] [--json] [-p] [-f] [-q] FILE.frc\n"
		"\n"
		"Saves the VM of a running QEMU into FILE.frc through its QMP\n"
		"socket (-qmp unix:SOCKET,server=on,wait=off): the VM is paused,\n"
		"saved, then resumed if it was running. FILE.frc appears only when\n"
		"QEMU reported the save complete; after any failure the VM is left\n"
		"as it was found.\n"
		"  --qmp SOCKET  QEMU's QMP UNIX socket\n"
		"  --path=P      how the RAM travels: shared-memory (guest RAM in\n"
		"                memory-backend-file,share=on: frc reads it itself,\n"
		"                QEMU saves only the rest), stream (QEMU's migration\n"
		"                stream through a pipe, any VM), mapped-ram (QEMU\n"
		"                >= 9 writes its pages into FILE.frc in place, then\n"
		"                frc seals it), auto (default: shared-memory if the\n"
		"                VM allows, else the stream; said)\n"
		"  --live        save while the VM runs (the stream; QEMU pauses it\n"
		"                for the last pass only)\n"
		"  --stop        leave the VM paused after the save\n"
		"  --compress[=LEVEL]  RAM in Zstandard frames (format 1.2)\n"
		"  --frame=SIZE  bytes per frame (power of two, default 64K)\n"
		"  --json        print the path taken and its timings as JSON\n"
		"  -p, --progress, --no-progress  show progress (default: on a tty)\n"
		"  -f, --force   replace FILE.frc if it exists\n"
		"  -q, --quiet   print nothing but errors\n";
	struct tool_compress z = { 0, 3, 0, 0, NULL };
	const char *sock = NULL, *file, *path = "auto", *taken = "stream";
	const char *inputs[1] = { NULL };
	int c, live = 0, stop = 0, json = 0, force = 0, quiet = 0, mapped;
	int rc = -1, running, p[2] = { -1, -1 };
	struct capset caps = { .n = 0 };
	char state[64], st[64];
	struct outfile of = { .fd = -1 };
	struct qemu_file qf;
	struct shared sh;
	struct fill fl = { NULL, 0, NULL, NULL };
	struct import_hooks hooks = { NULL, NULL, NULL };
	struct tool_progress pr;
	struct poller pl;
	int progress = -1;
	struct qmp q;
	double t0, tpause = -1, t1;
	int64_t bw_old = 0;
	int bw_set = 0;

	memset(&qf, 0, sizeof(qf));
	memset(&sh, 0, sizeof(sh));
	while ((c = getopt_long(argc, argv, "fqph", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q': sock = optarg; break;
		case 'P': if (parse_path(optarg, &path)) return 1; break;
		case 'p': progress = 1; break;
		case 'N': progress = 0; break;
		case 'l': live = 1; break;
		case 's': stop = 1; break;
		case 'j': json = 1; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'Z':
		case 'F':
		case 'B':
		case 'G':
			if (tool_compress_opt(c, optarg, &z))
				return 1;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 1 || !sock) {
		fputs(usage, stderr);
		return 1;
	}
	if (live && !strcmp(path, "shared-memory")) {
		tool_err("--live saves through the stream: the shared-memory "
			 "path reads the RAM of a paused VM");
		return 1;
	}
	file = argv[optind];
	t0 = now_s();
	if (qmp_open(&q, sock, QMP_TIMEOUT_MS)) {
		qerr(&q);
		qmp_close(&q);
		return 1;
	}
	if (qmp_status(&q, state, sizeof(state)))
		goto out_qerr;
	running = !strcmp(state, "running");
	if (!running && strcmp(state, "paused") && strcmp(state, "prelaunch") &&
	    strcmp(state, "postmigrate") && strcmp(state, "suspended")) {
		tool_err("%s: the VM is '%s': only a running, paused, "
			 "suspended or not yet started VM is saved", sock, state);
		goto out_qmp;
	}
	if (qmp_migration(&q, st, sizeof(st), NULL, 0))
		goto out_qerr;
	if (strcmp(st, "none") && strcmp(st, "completed") &&
	    strcmp(st, "failed") && strcmp(st, "cancelled")) {
		tool_err("%s: a migration is under way (status '%s')", sock, st);
		goto out_qmp;
	}
	/* the path: the VM's shared memory files, else the stream; or
	 * mapped-ram when asked for */
	if (!strcmp(path, "mapped-ram")) {
		if (q.major < 9) {
			tool_err("%s: --path=mapped-ram needs QEMU 9.0 or later "
				 "(this is %d.%d.%d)", sock, q.major, q.minor,
				 q.micro);
			goto out_qmp;
		}
		if (z.on) {
			tool_err("--compress: QEMU writes mapped-ram pages in "
				 "place, uncompressed; use the other paths");
			goto out_qmp;
		}
		taken = "mapped-ram";
	} else if (strcmp(path, "stream")) {
		if (find_shared(&q, &sh, 0, NULL))
			goto out_qmp;
		if (live && !sh.why[0])
			snprintf(sh.why, sizeof(sh.why), "--live");
		if (choose_path(path, &sh, sock, quiet || json, &taken))
			goto out_qmp;
	}
	mapped = !strcmp(taken, "mapped-ram");
	if (outfile_open(&of, file, force, OUT_SEEKABLE, inputs))
		goto out_qmp;
	if (!mapped && channel(p))
		goto out_file;
	/* QEMU throttles a migration to max-bandwidth (128 MiB/s unless
	 * set) even while the VM is paused: a paused save runs unthrottled,
	 * the setting put back afterwards; a live one keeps it */
	if (!live) {
		if (get_bandwidth(&q, &bw_old) || set_bandwidth(&q, SAVE_BANDWIDTH))
			goto out_qerr;
		bw_set = 1;
	}
	if (caps_for(&q, mapped, !strcmp(taken, "shared-memory"), &caps))
		goto out_bw;
	if (!strcmp(taken, "shared-memory"))
		fl.g = &sh.g;
	if (running && !live) {
		if (qmp_do(&q, "stop", NULL, -1))
			goto out_qerr;
		tpause = now_s();
	}
	if (mapped) {
		tool_progress_init(&pr, quiet || json ? 0 : progress,
				   "frc: QEMU's mapped-ram save");
		rc = -1;
		if (save_mapped(&q, &of, file, z.digest > 0, &pr) == 0 &&
		    outfile_commit(&of) == 0)
			rc = 0;
		goto out_resume;
	}
	if (give_fd(&q, "frc-save", p[1])) {
		p[1] = -1;
		goto out_resume;
	}
	p[1] = -1;
	if (qmp_do(&q, "migrate", args1("uri", "fd:frc-save"), -1)) {
		qerr(&q);
		(void)qmp_do(&q, "closefd", args1("fdname", "frc-save"), -1);
		goto out_resume;
	}
	tool_progress_init(&pr, quiet || json ? 0 : progress,
			   "frc: QEMU's stream");
	poll_start(&pl, &q, &pr);
	fl.pl = &pl;
	fl.pr = &pr;
	hooks.fill = fl.g ? fill_shared : NULL;
	hooks.ctx = &fl;
	rc = import_into(p[0], "QEMU's migration stream", &of, file,
			 SAVE_GENERATOR, &z, &qf,
			 &hooks);
	poll_stop(&pl); /* QMP is the caller's again */
	if (!fl.g)
		tool_progress_done(&pr);
	if (rc) {
		rc = -1;
		/* QEMU sees the pipe closed and fails the migration */
		close(p[0]);
		p[0] = -1;
		(void)qmp_do(&q, "migrate_cancel", NULL, -1);
		(void)migration_end(&q, "save");
		goto out_resume;
	}
	rc = -1;
	close(p[0]);
	p[0] = -1;
	if (migration_end(&q, "save"))
		goto out_resume;
	if (outfile_commit(&of))
		goto out_resume;
	rc = 0;
out_resume:
	/* back to the state found (also after a save: QEMU pauses it) */
	if (q.gone) {
		tool_err("%s: QEMU's QMP connection is lost: QEMU ended, or "
			 "another client took the socket", sock);
		rc = -1;
		goto out_file;
	}
	if (running && (rc || !stop) && qmp_do(&q, "cont", NULL, -1)) {
		qerr(&q);
		tool_err("%s: the VM could not be resumed", sock);
		rc = -1;
	}
	goto out_bw;
out_qerr:
	qerr(&q);
out_bw:
	if (caps.n && !q.gone && set_caps(&q, &caps, 1))
		tool_err("%s: QEMU's migration capabilities could not all be "
			 "put back", sock);
	if (bw_set && !q.gone && set_bandwidth(&q, bw_old))
		tool_err("%s: cannot put QEMU's max-bandwidth back to %lld: %s",
			 sock, (long long)bw_old, q.error);
out_file:
	outfile_abort(&of); /* nothing is left behind after a failure */
out_qmp:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	t1 = now_s();
	if (!rc && json)
		report_json("save-qemu", file, taken, &q,
			    running && !stop ? "running" : "paused", t1 - t0,
			    tpause < 0 ? -1 : t1 - tpause);
	else if (!rc && !quiet)
		fprintf(stderr, "frc: saved the VM of QEMU %d.%d.%d into %s "
			"(path: %s, %u RAM blocks, %.2f s)%s\n", q.major,
			q.minor, q.micro, file, taken, qf.nblocks, t1 - t0,
			running && stop ? "; the VM stays paused" : "");
	qmp_close(&q);
	guestmem_free(&sh.g);
	free(qf.commands);
	return rc ? 1 : 0;
}

/*
 * Path "mapped-ram" of a restore: a file QEMU saved in place (save-qemu
 * --path=mapped-ram, or prepare-qemu and seal-qemu) is verified whole,
 * then QEMU loads it itself with mapped-ram and multifd from the offset
 * its save starts at, through a file descriptor set opened before the
 * check (and refused if the file changed meanwhile). 0, or -1 (said).
 */
static int restore_mapped(struct qmp *q, frc_reader_t *r, const char *file,
			  uint64_t off, struct tool_progress *pr)
{
	struct stat a, b;
	struct capset caps;
	char uri[80];
	int64_t set = -1;
	int fd, rc;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &a)) {
		tool_err("cannot open '%s': %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (frc_reader_verify(r, tool_progress_cb, pr)) {
		tool_progress_done(pr);
		tool_err("%s", frc_reader_errmsg(r));
		tool_err("'%s' fails verification: not restored", file);
		close(fd);
		return -1;
	}
	tool_progress_done(pr);
	if (fstat(fd, &b) || a.st_size != b.st_size ||
	    a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) {
		tool_err("'%s' changed while it was verified: not restored",
			 file);
		close(fd);
		return -1;
	}
	rc = add_fdset(q, fd, &set);
	close(fd);
	if (rc || caps_for(q, 1, 0, &caps))
		return -1;
	snprintf(uri, sizeof(uri), "file:/dev/fdset/%" PRId64 ",offset=%" PRIu64,
		 set, off);
	if (qmp_do(q, "migrate-incoming", args1("uri", uri), -1)) {
		qerr(q);
		remove_fdset(q, set);
		return -1;
	}
	rc = migration_file_end(q, "restore", pr);
	remove_fdset(q, set);
	return rc;
}

/* ---- a lazy restore: the RAM read on demand through `frc mount` ---- */

#define FUSE_MAGIC 0x65735546 /* statfs f_type of a FUSE file system */
#define INFO_JSON_MAX (1u << 20)

/* Whether DIR/info.json (DIR: the mount holding region file `real`) names
 * the file of uuid `want`; why says what does not fit. */
static int mount_is_of(const char *real, const char *want, char *why,
		       size_t wsize)
{
	char dir[PATH_MAX], info[PATH_MAX + 16], *buf = NULL;
	json_object *j = NULL, *u;
	struct statfs sf;
	int fd, ok = 0;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", real);
	snprintf(info, sizeof(info), "%s/../info.json", dirname(dir));
	if (statfs(real, &sf) || (unsigned long)sf.f_type != FUSE_MAGIC ||
	    strcmp(basename(dir), "regions")) {
		snprintf(why, wsize, "%.300s is not a region file of a mount "
			 "(DIR/regions/ID on FUSE)", real);
		return 0;
	}
	fd = open(info, O_RDONLY | O_CLOEXEC);
	buf = fd < 0 ? NULL : malloc(INFO_JSON_MAX + 1);
	n = 0;
	for (ssize_t got = 1; buf && got > 0 && n < INFO_JSON_MAX; n += got)
		if ((got = read(fd, buf + n, INFO_JSON_MAX - (size_t)n)) < 0)
			n = got = -1; /* unreadable: refused below */
	if (n > 0) {
		buf[n] = 0;
		j = json_tokener_parse(buf);
	}
	if (j && json_object_object_get_ex(j, "uuid", &u) &&
	    json_object_is_type(u, json_type_string))
		ok = !strcmp(json_object_get_string(u), want);
	if (!ok)
		snprintf(why, wsize, "the mount holding %.200s is not one of this "
			 "file (its info.json names another UUID, or none)",
			 real);
	json_object_put(j);
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * The blocks of the destination QEMU whose memory-backend-file is the
 * region file `frc mount` serves for this very file (DIR/regions/NAME,
 * NAME the one the mount gives the block's region, on a FUSE mount whose
 * DIR/info.json has the file's UUID, the backend as large as the region):
 * QEMU reads them on demand through the mount, every page verified there,
 * and the stream leaves them out. Their ids go into om (ids holds the
 * strings); why says what is missing when there is none. -1 when QMP
 * failed.
 */
static int find_lazy(struct qmp *q, frc_reader_t *r, struct omits *om,
		     char ids[][256], char *why, size_t wsize)
{
	json_object *list = qmp_call(q, "query-memdev", NULL, -1);
	char want[37];
	frc_info_t fi;
	size_t n;

	om->n = 0;
	snprintf(why, wsize, "no RAM block of the VM is a region file of "
		 "`frc mount` of this file (QEMU started with -object "
		 "memory-backend-file,id=ID,mem-path=DIR/regions/ID,share=off)");
	if (!list)
		return qerr(q);
	frc_reader_get_info(r, &fi, sizeof(fi));
	tool_format_uuid(fi.uuid, want);
	n = json_object_is_type(list, json_type_array)
		    ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n && om->n < OMIT_MAX; i++) {
		json_object *e = json_object_array_get_idx(list, i), *t, *mp, *v;
		const char *id = qmp_str(e, "id");
		char real[PATH_MAX], name[256], b[PATH_MAX];
		frc_region_info_t g;
		uint32_t k;
		int fits;

		if (!id || strlen(id) > 255 || frc_reader_find_region(r, id, &k))
			continue;
		t = qom_get(q, id, "type");
		if (!t || strcmp(json_object_get_string(t), "memory-backend-file")) {
			json_object_put(t);
			continue;
		}
		json_object_put(t);
		mp = qom_get(q, id, "mem-path");
		if (!mp) {
			json_object_put(list);
			return qerr(q);
		}
		frc_reader_region(r, k, &g, sizeof(g));
		fits = realpath(json_object_get_string(mp), real) &&
		       !tool_mount_name(id, strlen(id), name);
		json_object_put(mp);
		if (!fits)
			continue;
		snprintf(b, sizeof(b), "%s", real);
		if (strcmp(basename(b), name)) {
			snprintf(why, wsize, "backend '%.60s' maps %.200s, not "
				 "the mount's file of region '%.60s'", id, real, id);
			continue;
		}
		if (!mount_is_of(real, want, why, wsize))
			continue;
		if (!json_object_object_get_ex(e, "size", &v) ||
		    (uint64_t)json_object_get_int64(v) != g.used_length) {
			snprintf(why, wsize, "backend '%.100s' is not as large "
				 "as region '%.100s'", id, id);
			continue;
		}
		snprintf(ids[om->n], 256, "%s", id);
		om->id[om->n] = ids[om->n];
		om->n++;
	}
	json_object_put(list);
	if (om->n)
		why[0] = 0;
	return 0;
}

int cmd_restore_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qmp", required_argument, NULL, 'Q' },
		{ "path", required_argument, NULL, 'P' },
		{ "paused", no_argument, NULL, 'p' },
		{ "lazy", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'r' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc restore-qemu --qmp SOCKET\n"
		"                        [--path=auto|shared-memory|mapped-ram|stream]\n"
		"                        [--paused] [--json] [--progress] [-q] FILE.frc\n"
		"\n"
		"Restores the VM saved in FILE.frc into a QEMU started with the\n"
		"same machine options and -incoming defer, through its QMP\n"
		"socket, every page verified, then the VM runs. A page that fails\n"
		"its checksum ends the restore (QEMU refuses the incomplete\n"
		"stream), never a VM running on wrong bytes.\n"
		"  --qmp SOCKET  QEMU's QMP UNIX socket\n"
		"  --path=P      shared-memory (a save of that path, into a QEMU\n"
		"                whose RAM is memory-backend-file,share=on: frc\n"
		"                writes the RAM there, QEMU loads the rest), stream\n"
		"                (every page through QEMU's migration stream, any\n"
		"                VM), mapped-ram (a save QEMU wrote in place,\n"
		"                QEMU >= 9: verified whole, then QEMU loads it),\n"
		"                auto (default: shared-memory if possible, else\n"
		"                the stream; said)\n"
		"  --paused      leave the restored VM paused\n"
		"  --json        print the path taken and its timings as JSON\n"
		"  --progress, --no-progress  show progress (default: on a tty)\n"
		"  -q, --quiet   print nothing but errors\n";
	const char *sock = NULL, *file, *path = "auto", *taken = "stream";
	int c, paused = 0, json = 0, quiet = 0, rc = -1, p[2] = { -1, -1 };
	int ig, progress = -1;
	struct tool_progress pr;
	struct capset caps;
	char state[64];
	uint8_t *ignored = NULL;
	frc_reader_t *r = NULL;
	uint64_t off = 0;
	struct omits om = { { NULL }, 0 };
	static char om_ids[OMIT_MAX][256];
	struct shared sh;
	struct qmp q;
	double t0, t1;

	memset(&sh, 0, sizeof(sh));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q': sock = optarg; break;
		case 'P': if (parse_path(optarg, &path)) return 1; break;
		case 'p': paused = 1; break;
		case 'L': path = "lazy"; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'r': progress = 1; break;
		case 'N': progress = 0; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 1 || !sock) {
		fputs(usage, stderr);
		return 1;
	}
	file = argv[optind];
	t0 = now_s();
	/* the file first: a file that cannot be restored costs QEMU nothing */
	if (tool_open(&r, file, FRC_OPEN_DIRECT, 0))
		return 1;
	if (!frc_reader_metadata_get(r, "qemu.ram-section-id")) {
		tool_err("'%s' was not saved from QEMU (no qemu.ram-section-id "
			 "metadata)", file);
		frc_reader_free(r);
		return 1;
	}
	ig = export_ignored_blocks(r, &ignored);
	free(ignored);
	if (ig < 0) {
		frc_reader_free(r);
		return 1;
	}
	if (qmp_open(&q, sock, QMP_TIMEOUT_MS)) {
		qerr(&q);
		goto out;
	}
	if (qmp_status(&q, state, sizeof(state))) {
		qerr(&q);
		goto out;
	}
	if (strcmp(state, "inmigrate")) {
		tool_err("%s: the VM is '%s': restore into a QEMU started with "
			 "-incoming defer", sock, state);
		goto out;
	}
	/* the path: the destination's shared memory files, else the stream;
	 * or QEMU's own load of a file saved in place when asked for */
	if (!strcmp(path, "mapped-ram")) {
		const char *o = frc_reader_metadata_get(r, "qemu.file-offset");
		char *e = NULL;

		if (o)
			off = strtoull(o, &e, 10);
		if (!o || e == o || *e) {
			tool_err("'%s' was not saved by QEMU in place (no "
				 "qemu.file-offset metadata): --path=mapped-ram "
				 "restores only such a file", file);
			goto out;
		}
		if (q.major < 9) {
			tool_err("%s: --path=mapped-ram needs QEMU 9.0 or later "
				 "(this is %d.%d.%d)", sock, q.major, q.minor,
				 q.micro);
			goto out;
		}
		taken = "mapped-ram";
	} else if (!strcmp(path, "lazy")) {
		if (find_lazy(&q, r, &om, om_ids, sh.why, sizeof(sh.why)))
			goto out;
		if (sh.why[0]) {
			tool_err("%s: --lazy: %s", sock, sh.why);
			goto out;
		}
		taken = "lazy";
	} else if (strcmp(path, "stream")) {
		if (!ig)
			snprintf(sh.why, sizeof(sh.why), "'%s' was not saved "
				 "through shared memory", file);
		else if (find_shared(&q, &sh, 1, file))
			goto out;
		if (choose_path(path, &sh, sock, quiet || json, &taken))
			goto out;
	}
	if (!strcmp(taken, "mapped-ram")) {
		tool_progress_init(&pr, quiet || json ? 0 : progress,
				   "frc: verified, then loaded by QEMU");
		if (restore_mapped(&q, r, file, off, &pr))
			goto out;
		goto loaded;
	}
	if (strcmp(taken, "shared-memory"))
		guestmem_free(&sh.g); /* nothing is written into memory files */
	/* QEMU must leave out exactly the blocks frc writes itself, and
	 * load a stream from a pipe */
	if (caps_for(&q, 0, !strcmp(taken, "shared-memory"), &caps))
		goto out;
	if (channel(p)) {
		goto out;
	}
	if (give_fd(&q, "frc-restore", p[0])) {
		p[0] = -1;
		goto out;
	}
	p[0] = -1;
	if (qmp_do(&q, "migrate-incoming", args1("uri", "fd:frc-restore"),
		   -1)) {
		qerr(&q);
		goto out;
	}
	tool_progress_init(&pr, quiet || json ? 0 : progress,
			   "frc: guest RAM, verified");
	rc = export_stream_fd(r, p[1], "QEMU's migration pipe", &sh.g, &om, &pr);
	tool_progress_done(&pr);
	if (rc) {
		rc = -1;
		close(p[1]);
		p[1] = -1;
		tool_err("%s: the restore was stopped; the QEMU it went to "
			 "cannot run this VM", sock);
		goto out;
	}
	rc = -1;
	close(p[1]);
	p[1] = -1;
	if (migration_end(&q, "restore"))
		goto out;
loaded:
	if (!paused && qmp_do(&q, "cont", NULL, -1)) {
		qerr(&q);
		goto out;
	}
	rc = 0;
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	t1 = now_s();
	if (!rc && json)
		report_json("restore-qemu", file, taken, &q,
			    paused ? "paused" : "running", t1 - t0, -1);
	else if (!rc && !quiet)
		fprintf(stderr, "frc: restored %s into QEMU %d.%d.%d (path: "
			"%s, every page verified, %.2f s); the VM is %s\n",
			file, q.major, q.minor, q.micro, taken, t1 - t0,
			paused ? "paused" : "running");
	qmp_close(&q);
	guestmem_free(&sh.g);
	frc_reader_free(r);
	return rc ? 1 : 0;
}
