/*
 * qmp.c - QMP client (see qmp.h). QEMU sends one JSON object per line:
 * a greeting, then replies in order, with asynchronous events between
 * them, which are skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

static int fail(struct qmp *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->error, sizeof(q->error), fmt, ap);
	va_end(ap);
	return -1;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

const char *qmp_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The next message (a JSON object), within the deadline; NULL on error. */
static json_object *next_message(struct qmp *q)
{
	long long end = now_ms() + q->timeout_ms;

	for (;;) {
		char *nl = q->have ? memchr(q->buf, '\n', q->have) : NULL;
		struct pollfd p = { q->fd, POLLIN, 0 };
		long long left;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - q->buf);
			enum json_tokener_error e;
			json_object *m;

			*nl = '\0';
			m = json_tokener_parse_verbose(q->buf, &e);
			memmove(q->buf, nl + 1, q->have - len - 1);
			q->have -= len + 1;
			if (!m || !json_object_is_type(m, json_type_object)) {
				json_object_put(m);
				fail(q, "%s: QEMU sent a message that is not a "
				     "JSON object (%s)", q->path,
				     m ? "another type"
				       : json_tokener_error_desc(e));
				return NULL;
			}
			return m;
		}
		if (q->have == QMP_MAX_LINE) {
			fail(q, "%s: a message from QEMU is longer than %u "
			     "bytes", q->path, QMP_MAX_LINE);
			return NULL;
		}
		left = end - now_ms();
		if (left <= 0) {
			fail(q, "%s: QEMU did not answer within %d s", q->path,
			     q->timeout_ms / 1000);
			return NULL;
		}
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue; /* the deadline decides */
		n = read(q->fd, q->buf + q->have, QMP_MAX_LINE - q->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(q, "%s: QEMU closed the connection%s%s", q->path,
			     n ? ": " : "", n ? strerror(errno) : "");
			q->gone = 1;
			return NULL;
		}
		q->have += (size_t)n;
	}
}

static int send_all(struct qmp *q, const char *s, size_t n, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;

	while (n) {
		struct iovec io = { (void *)s, n };
		struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1 };
		ssize_t k;

		if (fd >= 0) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.b;
			msg.msg_controllen = sizeof(ctl.b);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		k = sendmsg(q->fd, &msg, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			q->gone = k < 0 && (errno == EPIPE || errno == ECONNRESET);
			return fail(q, "%s: cannot send to QEMU: %s", q->path,
				    k ? strerror(errno) : "nothing sent");
		}
		s += k;
		n -= (size_t)k;
		fd = -1; /* the descriptor went with the first byte */
	}
	return 0;
}

json_object *qmp_call(struct qmp *q, const char *cmd, json_object *args,
		      int fd)
{
	json_object *m = json_object_new_object(), *r, *v;
	const char *text;

	if (q->gone) {
		json_object_put(m);
		json_object_put(args);
		fail(q, "%s: QEMU's QMP connection is lost", q->path);
		return NULL;
	}
	q->error[0] = '\0';
	if (!m || json_object_object_add(m, "execute",
					 json_object_new_string(cmd))) {
		json_object_put(m);
		json_object_put(args);
		fail(q, "out of memory");
		return NULL;
	}
	if (args && json_object_object_add(m, "arguments", args)) {
		json_object_put(m);
		json_object_put(args);
		fail(q, "out of memory");
		return NULL;
	}
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	if (!text || send_all(q, text, strlen(text), fd) ||
	    send_all(q, "\n", 1, -1)) {
		if (!text)
			fail(q, "out of memory");
		json_object_put(m);
		return NULL;
	}
	json_object_put(m);
	while ((r = next_message(q)) != NULL) {
		if (json_object_object_get_ex(r, "return", &v)) {
			json_object_get(v);
			json_object_put(r);
			return v;
		}
		if (json_object_object_get_ex(r, "error", &v)) {
			const char *cls = qmp_str(v, "class");
			const char *desc = qmp_str(v, "desc");

			fail(q, "%s: QEMU refused %s: %s%s%s", q->path, cmd,
			     desc ? desc : "(no description)",
			     cls ? " - " : "", cls ? cls : "");
			json_object_put(r);
			return NULL;
		}
		json_object_put(r); /* an event */
	}
	return NULL;
}

int qmp_do(struct qmp *q, const char *cmd, json_object *args, int fd)
{
	json_object *r = qmp_call(q, cmd, args, fd);

	if (!r && q->error[0])
		return -1;
	json_object_put(r);
	return 0;
}

int qmp_open(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	json_object *g, *v, *ver;

	memset(q, 0, sizeof(*q));
	q->path = path;
	q->timeout_ms = timeout_ms;
	q->fd = -1;
	if (strlen(path) >= sizeof(a.sun_path))
		return fail(q, "%s: the socket's name is too long", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	q->buf = malloc(QMP_MAX_LINE);
	if (!q->buf)
		return fail(q, "out of memory");
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&a, sizeof(a)))
		return fail(q, "%s: cannot connect to QEMU's QMP socket: %s",
			    path, strerror(errno));
	/* a send that cannot go on within the deadline fails */
	(void)setsockopt(q->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	{
		struct ucred cr;
		socklen_t l = sizeof(cr);

		if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0)
			q->pid = cr.pid;
	}
	g = next_message(q);
	if (!g)
		return -1;
	if (!json_object_object_get_ex(g, "QMP", &v) ||
	    !json_object_object_get_ex(v, "version", &v) ||
	    !json_object_object_get_ex(v, "qemu", &ver)) {
		json_object_put(g);
		return fail(q, "%s: no QMP greeting with QEMU's version: not "
			    "a QMP socket, or one another client holds",
			    path);
	}
	if (json_object_object_get_ex(ver, "major", &v))
		q->major = json_object_get_int(v);
	if (json_object_object_get_ex(ver, "minor", &v))
		q->minor = json_object_get_int(v);
	if (json_object_object_get_ex(ver, "micro", &v))
		q->micro = json_object_get_int(v);
	json_object_put(g);
	return qmp_do(q, "qmp_capabilities", NULL, -1);
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
}

int qmp_status(struct qmp *q, char *buf, size_t size)
{
	json_object *r = qmp_call(q, "query-status", NULL, -1);
	const char *s = qmp_str(r, "status");

	if (!s) {
		if (r)
			fail(q, "%s: query-status gave no status", q->path);
		json_object_put(r);
		return -1;
	}
	snprintf(buf, size, "%s", s);
	json_object_put(r);
	return 0;
}

int qmp_migration(struct qmp *q, char *buf, size_t size, char *err,
		  size_t errsize)
{
	json_object *r = qmp_call(q, "query-migrate", NULL, -1);
	const char *s = qmp_str(r, "status");
	const char *e = qmp_str(r, "error-desc");

	if (!r)
		return -1;
	snprintf(buf, size, "%s", s ? s : "none");
	if (err)
		snprintf(err, errsize, "%s", e ? e : "");
	json_object_put(r);
	return 0;
}
