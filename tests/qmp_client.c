/*
 * qmp_client.c - a minimal QMP client for the QEMU interop tests:
 *   qmp_client SOCKET 'JSON COMMAND' ...
 * Connects to QEMU's QMP UNIX socket, negotiates capabilities, sends each
 * command and prints each reply (one line, events skipped). Exit 1 if a
 * reply is an error.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t have;

/* Reads one line (a JSON object) with a timeout; NULL on EOF/timeout. */
static char *line(int fd)
{
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (nl) {
			static char out[1 << 20];
			size_t len = (size_t)(nl - buf);

			memcpy(out, buf, len);
			out[len] = '\0';
			memmove(buf, nl + 1, have - len - 1);
			have -= len + 1;
			return out;
		}
		if (have == sizeof(buf) || poll(&p, 1, 30000) <= 0)
			return NULL;
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			return NULL;
		have += (size_t)n;
	}
}

/* The next reply that is not an event. */
static char *reply(int fd)
{
	char *l;

	while ((l = line(fd)) != NULL)
		if (!strstr(l, "\"event\""))
			return l;
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), bad = 0;
	const char *caps = "{\"execute\":\"qmp_capabilities\"}\n";
	char *l;

	if (argc < 2 || fd < 0)
		return 2;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	for (int i = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0; i++) {
		if (i == 100)
			return 2;
		usleep(100000);
	}
	if (!line(fd) || write(fd, caps, strlen(caps)) < 0 || !reply(fd))
		return 2;
	for (int i = 2; i < argc; i++) {
		if (write(fd, argv[i], strlen(argv[i])) < 0 || write(fd, "\n", 1) < 0)
			return 2;
		l = reply(fd);
		if (!l)
			return 2;
		puts(l);
		if (strstr(l, "\"error\""))
			bad = 1;
	}
	close(fd);
	return bad;
}
