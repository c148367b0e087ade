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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frc_tool.h"
#include "outfile.h"
#include "output.h"
#include "qmp.h"
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

static json_object *args1(const char *key, const char *value)
{
	json_object *a = json_object_new_object();

	if (a && json_object_object_add(a, key, json_object_new_string(value))) {
		json_object_put(a);
		a = NULL;
	}
	return a;
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
	json_object *a = json_object_new_object();

	if (a && json_object_object_add(a, "max-bandwidth",
					json_object_new_int64(v))) {
		json_object_put(a);
		a = NULL;
	}
	return qmp_do(q, "migrate-set-parameters", a, -1);
}

/* Hands the pipe end `fd` to QEMU under `name` (closing frc's copy). */
static int give_fd(struct qmp *q, const char *name, int fd)
{
	int rc = qmp_do(q, "getfd", args1("fdname", name), fd);

	close(fd);
	return rc ? qerr(q) : 0;
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
		TOOL_COMPRESS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc save-qemu --qmp SOCKET [--path=auto|stream] [--live]\n"
		"                     [--stop] [--compress[=LEVEL]] [--frame=SIZE]\n"
		"                     [--json] [-f] [-q] FILE.frc\n"
		"\n"
		"Saves the VM of a running QEMU into FILE.frc through its QMP\n"
		"socket (-qmp unix:SOCKET,server=on,wait=off): the VM is paused,\n"
		"its migration stream read by frc through a pipe and written as\n"
		"FRC, then the VM is resumed if it was running. FILE.frc appears\n"
		"only when QEMU reported the save complete; after any failure the\n"
		"VM is left as it was found.\n"
		"  --qmp SOCKET  QEMU's QMP UNIX socket\n"
		"  --path=auto|stream  how the RAM travels (auto: the fastest\n"
		"                the VM allows; this version drives the stream)\n"
		"  --live        save while the VM runs (QEMU pauses it for the\n"
		"                last pass only)\n"
		"  --stop        leave the VM paused after the save\n"
		"  --compress[=LEVEL]  RAM in Zstandard frames (format 1.2)\n"
		"  --frame=SIZE  bytes per frame (power of two, default 64K)\n"
		"  --json        print the path taken and its timings as JSON\n"
		"  -f, --force   replace FILE.frc if it exists\n"
		"  -q, --quiet   print nothing but errors\n";
	struct tool_compress z = { 0, 3, 0 };
	const char *sock = NULL, *file, *path = "auto";
	const char *inputs[1] = { NULL };
	int c, live = 0, stop = 0, json = 0, force = 0, quiet = 0;
	int rc = -1, running, p[2] = { -1, -1 };
	char state[64], st[64];
	struct outfile of = { .fd = -1 };
	struct qemu_file qf;
	struct qmp q;
	double t0, tpause = -1, t1;
	int64_t bw_old = 0;
	int bw_set = 0;

	memset(&qf, 0, sizeof(qf));
	while ((c = getopt_long(argc, argv, "fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q': sock = optarg; break;
		case 'P': path = optarg; break;
		case 'l': live = 1; break;
		case 's': stop = 1; break;
		case 'j': json = 1; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'Z':
		case 'F':
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
	if (strcmp(path, "auto") && strcmp(path, "stream")) {
		tool_err("--path=%s: auto or stream", tool_esc(path));
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
	if (!running && strcmp(state, "paused") &&
	    strcmp(state, "postmigrate")) {
		tool_err("%s: the VM is '%s': only a running or paused VM is "
			 "saved", sock, state);
		goto out_qmp;
	}
	if (qmp_migration(&q, st, sizeof(st), NULL, 0))
		goto out_qerr;
	if (strcmp(st, "none") && strcmp(st, "completed") &&
	    strcmp(st, "failed") && strcmp(st, "cancelled")) {
		tool_err("%s: a migration is under way (status '%s')", sock, st);
		goto out_qmp;
	}
	if (outfile_open(&of, file, force, OUT_SEEKABLE, inputs))
		goto out_qmp;
	if (pipe2(p, O_CLOEXEC)) {
		tool_err("pipe: %s", strerror(errno));
		goto out_file;
	}
	/* QEMU throttles a migration to max-bandwidth (128 MiB/s unless
	 * set) even while the VM is paused: a paused save runs unthrottled,
	 * the setting put back afterwards; a live one keeps it */
	if (!live) {
		if (get_bandwidth(&q, &bw_old) || set_bandwidth(&q, SAVE_BANDWIDTH))
			goto out_qerr;
		bw_set = 1;
	}
	if (running && !live) {
		if (qmp_do(&q, "stop", NULL, -1))
			goto out_qerr;
		tpause = now_s();
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
	if (import_into(p[0], "QEMU's migration stream", &of, file,
			"frc save-qemu " FRC_LIB_VERSION_STRING, &z, &qf)) {
		/* QEMU sees the pipe closed and fails the migration */
		close(p[0]);
		p[0] = -1;
		(void)qmp_do(&q, "migrate_cancel", NULL, -1);
		(void)migration_end(&q, "save");
		goto out_resume;
	}
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
		report_json("save-qemu", file, "stream", &q,
			    running && !stop ? "running" : "paused", t1 - t0,
			    tpause < 0 ? -1 : t1 - tpause);
	else if (!rc && !quiet)
		fprintf(stderr, "frc: saved the VM of QEMU %d.%d.%d into %s "
			"(path: stream, %u RAM blocks, %.2f s)%s\n", q.major,
			q.minor, q.micro, file, qf.nblocks, t1 - t0,
			running && stop ? "; the VM stays paused" : "");
	qmp_close(&q);
	free(qf.commands);
	return rc ? 1 : 0;
}

int cmd_restore_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qmp", required_argument, NULL, 'Q' },
		{ "path", required_argument, NULL, 'P' },
		{ "paused", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc restore-qemu --qmp SOCKET [--path=auto|stream]\n"
		"                        [--paused] [--json] [-q] FILE.frc\n"
		"\n"
		"Restores the VM saved in FILE.frc into a QEMU started with the\n"
		"same machine options and -incoming defer, through its QMP\n"
		"socket: frc writes the migration stream, every page verified,\n"
		"into a pipe QEMU loads from, then the VM runs. A page that fails\n"
		"its checksum ends the restore (QEMU refuses the incomplete\n"
		"stream), never a VM running on wrong bytes.\n"
		"  --qmp SOCKET  QEMU's QMP UNIX socket\n"
		"  --path=auto|stream  how the RAM travels (auto: the fastest\n"
		"                the VM allows; this version drives the stream)\n"
		"  --paused      leave the restored VM paused\n"
		"  --json        print the path taken and its timings as JSON\n"
		"  -q, --quiet   print nothing but errors\n";
	const char *sock = NULL, *file, *path = "auto";
	int c, paused = 0, json = 0, quiet = 0, rc = -1, p[2] = { -1, -1 };
	char state[64];
	frc_reader_t *r = NULL;
	struct qmp q;
	double t0, t1;

	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'Q': sock = optarg; break;
		case 'P': path = optarg; break;
		case 'p': paused = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 1 || !sock) {
		fputs(usage, stderr);
		return 1;
	}
	if (strcmp(path, "auto") && strcmp(path, "stream")) {
		tool_err("--path=%s: auto or stream", tool_esc(path));
		return 1;
	}
	file = argv[optind];
	t0 = now_s();
	/* the file first: a file that cannot be restored costs QEMU nothing */
	if (tool_open(&r, file, 0, 1))
		return 1;
	if (!frc_reader_metadata_get(r, "qemu.ram-section-id")) {
		tool_err("'%s' was not saved from QEMU (no qemu.ram-section-id "
			 "metadata)", file);
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
	if (pipe2(p, O_CLOEXEC)) {
		tool_err("pipe: %s", strerror(errno));
		goto out;
	}
	(void)fcntl(p[1], F_SETPIPE_SZ, (int)IN_BUF);
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
	if (export_stream_fd(r, p[1], "QEMU's migration pipe")) {
		close(p[1]);
		p[1] = -1;
		tool_err("%s: the restore was stopped; the QEMU it went to "
			 "cannot run this VM", sock);
		goto out;
	}
	close(p[1]);
	p[1] = -1;
	if (migration_end(&q, "restore"))
		goto out;
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
		report_json("restore-qemu", file, "stream", &q,
			    paused ? "paused" : "running", t1 - t0, -1);
	else if (!rc && !quiet)
		fprintf(stderr, "frc: restored %s into QEMU %d.%d.%d (path: "
			"stream, every page verified, %.2f s); the VM is %s\n",
			file, q.major, q.minor, q.micro, t1 - t0,
			paused ? "paused" : "running");
	qmp_close(&q);
	frc_reader_free(r);
	return rc ? 1 : 0;
}
