/*
 * serial_client.c - talks to a guest's serial console exported by QEMU as
 * a UNIX socket (-chardev socket,server=on,wait=off). Sends a line (again
 * every second while no answer came, with -r) and prints the first line
 * that starts with PREFIX; other lines (kernel messages, older answers)
 * are skipped.
 * usage: serial_client [-r] SOCKET SECONDS LINE PREFIX
 * Exits 0 with the line printed, 1 on timeout or error (said on stderr).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int connect_to(const char *path, double deadline)
{
	struct sockaddr_un a;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	while (now() < deadline) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		usleep(100000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	int resend = argc > 1 && !strcmp(argv[1], "-r");
	char line[4096], msg[512];
	size_t fill = 0, plen;
	double deadline, last = 0;
	int fd;

	argv += resend;
	argc -= resend;
	if (argc != 5) {
		fprintf(stderr, "usage: serial_client [-r] SOCKET SECONDS LINE "
				"PREFIX\n");
		return 1;
	}
	deadline = now() + atof(argv[2]);
	plen = strlen(argv[4]);
	snprintf(msg, sizeof(msg), "%s\n", argv[3]);
	fd = connect_to(argv[1], deadline);
	if (fd < 0) {
		fprintf(stderr, "serial_client: cannot connect to %s\n", argv[1]);
		return 1;
	}
	while (now() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		char c;
		ssize_t k;

		if (last == 0 || (resend && now() - last >= 1.0)) {
			if (write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
				break;
			last = now();
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		k = read(fd, &c, 1);
		if (k <= 0)
			break;
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (fill < sizeof(line) - 1)
				line[fill++] = c;
			continue;
		}
		line[fill] = '\0';
		fill = 0;
		if (!strncmp(line, argv[4], plen)) {
			puts(line);
			return 0;
		}
	}
	fprintf(stderr, "serial_client: no line starting with '%s' from %s\n",
		argv[4], argv[1]);
	return 1;
}
