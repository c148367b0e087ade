/*
 * qmp.h - a client of QEMU's machine protocol (QMP) over its UNIX socket,
 * for `frc save-qemu` and `frc restore-qemu`: messages are parsed and built
 * with json-c; every wait has a deadline, so a QEMU that stops answering is
 * an error, never a hang.
 */
#ifndef FRC_QEMU_QMP_H
#define FRC_QEMU_QMP_H

#include <json-c/json.h>
#include <stddef.h>

/* the longest message accepted from QEMU: a reply of query-memdev or
 * qom-list is a few KiB */
#define QMP_MAX_LINE (4u << 20)

struct qmp {
	const char *path; /* the socket, for messages */
	int fd;
	char *buf; /* received bytes not parsed yet: [0, have) */
	size_t have;
	int timeout_ms; /* per reply */
	int major, minor, micro; /* QEMU's version, from the greeting */
	long pid; /* QEMU's process (the socket's peer), 0 if unknown */
	char error[512]; /* why the last call failed */
	int gone; /* the connection is lost: every later call fails at once */
};

/*
 * Connects to QMP at `path`, reads the greeting (QEMU's version) and
 * negotiates capabilities. Returns 0, or -1 with q->error set.
 */
int qmp_open(struct qmp *q, const char *path, int timeout_ms);
void qmp_close(struct qmp *q);

/*
 * Runs `cmd` with `args` (taken over; NULL for none) and returns its
 * "return" value (the caller puts it), or NULL with q->error set: QEMU's
 * error class and description, or what went wrong with the socket. With
 * `fd` >= 0 that descriptor goes along with the command (SCM_RIGHTS), as
 * `getfd` wants it.
 */
json_object *qmp_call(struct qmp *q, const char *cmd, json_object *args,
		      int fd);
/* qmp_call for commands whose reply carries nothing wanted: 0 or -1. */
int qmp_do(struct qmp *q, const char *cmd, json_object *args, int fd);

/* The VM's run state ("running", "paused", "inmigrate", ...) into buf;
 * -1 on failure. */
int qmp_status(struct qmp *q, char *buf, size_t size);

/*
 * The status of the migration (outgoing or, on a QEMU started with
 * -incoming, incoming) into buf, and QEMU's error description of a failed
 * one into err (may be NULL); -1 on failure.
 */
int qmp_migration(struct qmp *q, char *buf, size_t size, char *err,
		  size_t errsize);

/* json-c helpers: a member's string (NULL when absent or not a string). */
const char *qmp_str(json_object *o, const char *key);

#endif /* FRC_QEMU_QMP_H */
