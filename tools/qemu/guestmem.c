/*
 * guestmem.c - guest RAM files named on the command line (guestmem.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frc_tool.h"
#include "guestmem.h"

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

const struct guestmem *guestmem_open(struct guestmems *g, const char *id,
				     uint64_t need, int *err)
{
	struct guestmem *m = NULL;
	struct stat st;

	*err = 0;
	for (unsigned i = 0; i < g->n && !m; i++)
		if (!strcmp(g->m[i].id, id))
			m = &g->m[i];
	if (!m)
		return NULL;
	m->used = 1;
	if (m->fd >= 0)
		return m;
	m->fd = open(m->path, (g->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (m->fd < 0 || fstat(m->fd, &st) != 0) {
		tool_err("cannot open '%s' (memory of block '%s'): %s", m->path,
			 tool_esc(id), strerror(errno));
		*err = 1;
		return NULL;
	}
	/* a regular file (memory-backend-file, /dev/shm, hugetlbfs), a
	 * memfd as /proc/PID/fd/N, or /proc/PID/mem, which has no size: a
	 * read beyond the memory fails then */
	if (!S_ISREG(st.st_mode) ||
	    (st.st_size && ((uint64_t)st.st_size < m->offset ||
			    (uint64_t)st.st_size - m->offset < need))) {
		tool_err("'%s' cannot be the memory of block '%s': it holds "
			 "%lld bytes from offset %llu, the block %llu", m->path,
			 tool_esc(id),
			 S_ISREG(st.st_mode) ? (long long)st.st_size -
						       (long long)m->offset : -1LL,
			 (unsigned long long)m->offset,
			 (unsigned long long)need);
		*err = 1;
		return NULL;
	}
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
