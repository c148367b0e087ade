/*
 * guestmem.c - guest RAM files named on the command line (guestmem.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"
#include "guestmem.h"
#include "qmp.h"

int guestmem_add(struct guestmems *g, const char *arg)
{
	const char *eq = strchr(arg, '='), *at;
	struct guestmem *m;

	if (!eq || eq == arg || !eq[1]) {
		tool_err("--memory wants ID=PATH (a RAM block and the file "
			 "holding it), not '%s'", tool_esc(arg));
		return -1;
	}
	if (g->n == GUESTMEM_MAX) {
		tool_err("at most %d --memory options", GUESTMEM_MAX);
		return -1;
	}
	m = &g->m[g->n++];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->id = strndup(arg, (size_t)(eq - arg));
	at = strrchr(eq + 1, '@');
	if (at && at[1]) {
		char *end;

		errno = 0;
		m->offset = strtoull(at + 1, &end, 0);
		if (*end || errno || at[1] == '-')
			at = NULL; /* not a number: part of the path */
	} else {
		at = NULL;
	}
	m->path = at ? strndup(eq + 1, (size_t)(at - eq - 1)) : strdup(eq + 1);
	if (!at)
		m->offset = 0;
	if (!m->id || !m->path) {
		tool_err("out of memory");
		return -1;
	}
	for (unsigned i = 0; i + 1 < g->n; i++)
		if (!strcmp(g->m[i].id, m->id)) {
			tool_err("--memory names block '%s' twice",
				 tool_esc(m->id));
			return -1;
		}
	return 0;
}

/* "/proc/PID/mem": PID, else 0. */
static long proc_mem_pid(const char *path)
{
	char *end;
	long pid;

	if (strncmp(path, "/proc/", 6) != 0)
		return 0;
	pid = strtol(path + 6, &end, 10);
	return pid > 0 && !strcmp(end, "/mem") ? pid : 0;
}

/*
 * An address range of process `pid` taken from the command line: it must
 * lie in readable mappings of that process (/proc/PID/maps), one after
 * another without a gap. 0 when it does; -1 (message printed) when not.
 */
static int check_maps(long pid, uint64_t off, uint64_t len, const char *id)
{
	char path[64], line[512];
	uint64_t want = off, end;
	FILE *f;

	if (__builtin_add_overflow(off, len, &end)) {
		tool_err("block '%s': address 0x%llx + %llu bytes overflows",
			 tool_esc(id), (unsigned long long)off,
			 (unsigned long long)len);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	f = fopen(path, "re");
	if (!f) {
		tool_err("cannot read %s to check the address of block '%s': "
			 "%s", path, tool_esc(id), strerror(errno));
		return -1;
	}
	while (want < end && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3)
			continue;
		if (a > want || b <= want)
			continue;
		if (perms[0] != 'r')
			break;
		want = b; /* covered up to b: the next mapping must go on */
	}
	fclose(f);
	if (want >= end)
		return 0;
	tool_err("block '%s': process %ld has no %s mapping at 0x%llx (the "
		 "block's %llu bytes from 0x%llx are not all mapped in %s)",
		 tool_esc(id), pid, "readable",
		 (unsigned long long)want, (unsigned long long)len,
		 (unsigned long long)off, path);
	return -1;
}

/*
 * A file frc is to write guest RAM into must be one that a running process
 * (the QEMU it restores) maps shared: never a file typed by mistake, never
 * frc's own input. 0 when some process maps (dev, ino) shared.
 */
static int mapped_shared(const struct stat *st, long pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], line[4096];
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    (pid && strtol(e->d_name, NULL, 10) != pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/maps", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			unsigned maj, min;
			unsigned long long ino;
			char perms[8];

			if (sscanf(line, "%*x-%*x %7s %*x %x:%x %llu",
				   perms, &maj, &min, &ino) == 4 &&
			    perms[3] == 's' && ino == (unsigned long long)st->st_ino &&
			    makedev(maj, min) == st->st_dev)
				found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISDIR(m) ? "a directory" :
	       S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* 0 when m's file can serve as block `id`'s memory; else -1, said why. */
static int check_target(const struct guestmems *g, struct guestmem *m,
			const char *id, uint64_t need, const struct stat *st)
{
	long pid = proc_mem_pid(m->path);
	struct stat in;

	if (!S_ISREG(st->st_mode)) {
		tool_err("'%s' cannot be the memory of block '%s': it is %s",
			 m->path, tool_esc(id), file_kind(st->st_mode));
		return -1;
	}
	if (g->input && stat(g->input, &in) == 0 && in.st_dev == st->st_dev &&
	    in.st_ino == st->st_ino) {
		tool_err("'%s' is the input file: it cannot be the memory of "
			 "block '%s'", m->path, tool_esc(id));
		return -1;
	}
	if (pid && g->writable) {
		tool_err("'%s': frc never writes into another process's memory; "
			 "give QEMU its RAM as a memory-backend-file with "
			 "share=on and restore with `frc restore-qemu`", m->path);
		return -1;
	}
	if (pid) /* QEMU's address space: the range must be mapped there */
		return check_maps(pid, m->offset, need, id);
	if (st->st_size && ((uint64_t)st->st_size < m->offset ||
			    (uint64_t)st->st_size - m->offset < need)) {
		tool_err("'%s' cannot be the memory of block '%s': it holds "
			 "%lld bytes from offset %llu, the block %llu", m->path,
			 tool_esc(id),
			 (uint64_t)st->st_size < m->offset
				 ? 0LL
				 : (long long)st->st_size - (long long)m->offset,
			 (unsigned long long)m->offset,
			 (unsigned long long)need);
		return -1;
	}
	if (g->pid && !mapped_shared(st, g->pid)) {
		tool_err("'%s' is not mapped shared by QEMU (process %ld), "
			 "which named it as the memory of block '%s'", m->path,
			 g->pid, tool_esc(id));
		return -1;
	}
	if (g->writable && !mapped_shared(st, 0)) {
		tool_err("'%s' is not mapped shared by any running process: "
			 "frc writes guest RAM only into the memory of a "
			 "running QEMU (a memory-backend-file with share=on, "
			 "or /proc/PID/mem), never into another file",
			 m->path);
		return -1;
	}
	return 0;
}

/*
 * `qmp:SOCKET`: block `id` of the QEMU at that QMP socket, read through
 * /proc/PID/mem at the host address QEMU itself reports (`info ramblock`,
 * QEMU 8 and later), PID being the socket's peer. m->path becomes that
 * file and m->offset the address (checked in /proc/PID/maps when opened).
 * 0, or -1 (said).
 */
static int resolve_qmp(struct guestmem *m, const char *id, uint64_t need)
{
	json_object *a, *r;
	const char *line;
	struct qmp q;
	char *path = NULL;
	int found = 0;

	if (qmp_open(&q, m->path + 4, 30000)) {
		tool_err("%s", q.error);
		qmp_close(&q);
		return -1;
	}
	a = json_object_new_object();
	if (a && json_object_object_add(a, "command-line",
					json_object_new_string("info ramblock"))) {
		json_object_put(a);
		a = NULL;
	}
	r = qmp_call(&q, "human-monitor-command", a, -1);
	line = r ? json_object_get_string(r) : NULL;
	if (!r)
		tool_err("%s", q.error);
	/* "NAME  PSIZE UNIT  0xOFFSET 0xUSED 0xTOTAL 0xHVA  RO" per block */
	while (line && *line && !found) {
		char name[256];
		unsigned long long off, used, total, hva;

		if (sscanf(line, "%255s %*s %*s 0x%llx 0x%llx 0x%llx 0x%llx", name,
			   &off, &used, &total, &hva) == 5 && !strcmp(name, id)) {
			found = 1;
			m->offset = hva;
			if (used < need) {
				tool_err("%s: QEMU's block '%s' holds %llu bytes, "
					 "the file's %llu", m->path, tool_esc(id),
					 used, (unsigned long long)need);
				found = -1;
			}
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	json_object_put(r);
	if (r && !found)
		tool_err("%s: QEMU reports no host address for block '%s' (QEMU "
			 "8 and later print it in `info ramblock`)", m->path,
			 tool_esc(id));
	if (found == 1 && (!q.pid || asprintf(&path, "/proc/%ld/mem", q.pid) < 0)) {
		tool_err("%s: QEMU's process is unknown", m->path);
		path = NULL;
		found = -1;
	}
	qmp_close(&q);
	if (found != 1)
		return -1;
	free((char *)m->path);
	m->path = path;
	m->from_qmp = 1;
	return 0;
}

const struct guestmem *guestmem_open(struct guestmems *g, const char *id,
				     uint64_t need, int *err)
{
	struct guestmem *m = NULL;
	struct stat st;
	int fl;

	*err = 0;
	for (unsigned i = 0; i < g->n && !m; i++)
		if (!strcmp(g->m[i].id, id))
			m = &g->m[i];
	if (!m)
		return NULL;
	m->used = 1;
	if (m->fd >= 0)
		return m;
	/* QEMU's own memory: only at the address QEMU gives over QMP */
	if (!strncmp(m->path, "qmp:", 4) && resolve_qmp(m, id, need)) {
		*err = 1;
		return NULL;
	}
	if (proc_mem_pid(m->path) && !m->from_qmp) {
		tool_err("%s: frc takes a QEMU block's address from QEMU itself: "
			 "give --memory=%s=qmp:SOCKET (QEMU's QMP socket)",
			 m->path, tool_esc(id));
		*err = 1;
		return NULL;
	}
	/* O_NONBLOCK: a FIFO given by mistake is refused below, not waited
	 * on in open() */
	m->fd = open(m->path, (g->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC |
				      O_NONBLOCK | O_NOCTTY);
	if (m->fd < 0 || fstat(m->fd, &st) != 0) {
		tool_err("cannot open '%s' (memory of block '%s'): %s", m->path,
			 tool_esc(id), strerror(errno));
		*err = 1;
		return NULL;
	}
	if (check_target(g, m, id, need, &st)) {
		close(m->fd);
		m->fd = -1;
		*err = 1;
		return NULL;
	}
	fl = fcntl(m->fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(m->fd, F_SETFL, fl & ~O_NONBLOCK);
	return m;
}

int guestmem_all_used(const struct guestmems *g, const char *file)
{
	for (unsigned i = 0; i < g->n; i++)
		if (!g->m[i].used) {
			tool_err("%s has no RAM block '%s' (named by --memory)",
				 file, tool_esc(g->m[i].id));
			return -1;
		}
	return 0;
}

void guestmem_free(struct guestmems *g)
{
	for (unsigned i = 0; i < g->n; i++) {
		if (g->m[i].fd >= 0)
			close(g->m[i].fd);
		free((char *)g->m[i].id);
		free((char *)g->m[i].path);
	}
	g->n = 0;
}
