/*
 * outfile.c - the output policy of the frc commands (see outfile.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tool.h"
#include "outfile.h"

#define TEMP_MARK ".frc-new-"
#define MAX_TEMPS 64

/* This run's temporary files, for the signal handler. */
static char *volatile temps[MAX_TEMPS];
static mode_t file_umask = 022;

static void on_signal(int sig)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i])
			unlink(temps[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void outfile_init(void)
{
	struct sigaction sa;

	file_umask = umask(022);
	umask(file_umask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

static void temp_register(char *path, int on)
{
	for (int i = 0; i < MAX_TEMPS; i++) {
		if (on && !temps[i]) {
			temps[i] = path;
			return;
		}
		if (!on && temps[i] == path) {
			temps[i] = NULL;
			return;
		}
	}
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	       S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link" :
	       "a regular file";
}

/* Refuses an output that is one of the inputs (same device and inode). */
static int same_as_input(const char *name, const struct stat *st,
			 const char *const *inputs)
{
	for (; inputs && *inputs; inputs++) {
		struct stat in;

		if (strcmp(*inputs, "-") == 0 ? fstat(STDIN_FILENO, &in)
					      : stat(*inputs, &in))
			continue;
		if (in.st_dev == st->st_dev && in.st_ino == st->st_ino) {
			tool_err("'%s' is also an input (%s): refusing to write "
				 "over a file being read", name, *inputs);
			return -1;
		}
	}
	return 0;
}

/* A device or FIFO: written in place, never truncated nor removed. */
static int open_in_place(struct outfile *o, const char *path, int needs,
			 const struct stat *st)
{
	if (needs == OUT_SEEKABLE) {
		tool_err("cannot write '%s': it is %s, and this output needs a "
			 "regular file (random access)", path,
			 kind_of(st->st_mode));
		return -1;
	}
	/* A FIFO without a reader would block open(): say so instead. */
	o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (o->fd < 0) {
		tool_err("cannot open '%s' for writing: %s", path,
			 errno == ENXIO ? "no process reads this FIFO"
					: strerror(errno));
		return -1;
	}
	(void)fcntl(o->fd, F_SETFL, 0);
	return 0;
}

/* A regular file, new or replaced: a temporary file beside it. */
static int open_temp(struct outfile *o, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	o->final = strdup(path);
	if (!o->final || asprintf(&o->tmp, "%.*s.%s" TEMP_MARK "XXXXXX", dirlen,
				  path, slash ? slash + 1 : path) < 0) {
		o->tmp = NULL;
		tool_err("out of memory");
		return -1;
	}
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		tool_err("cannot create a temporary file beside '%s': %s", path,
			 strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	temp_register(o->tmp, 1);
	o->regular = 1;
	return 0;
}

int outfile_open(struct outfile *o, const char *path, int force, int needs,
		 const char *const *inputs)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->name = path;
	o->fd = -1;
	if (strcmp(path, "-") == 0) {
		if (fstat(STDOUT_FILENO, &st) != 0) {
			tool_err("cannot use standard output: %s",
				 strerror(errno));
			return -1;
		}
		if (needs == OUT_SEEKABLE && !S_ISREG(st.st_mode)) {
			tool_err("this output needs a regular file, not "
				 "standard output");
			return -1;
		}
		if (S_ISREG(st.st_mode) && same_as_input("-", &st, inputs))
			return -1;
		o->fd = STDOUT_FILENO;
		return 0;
	}
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			tool_err("cannot write '%s': %s", path, strerror(errno));
			return -1;
		}
		return open_temp(o, path);
	}
	if (S_ISLNK(st.st_mode)) {
		/* Neither written through nor replaced: a link may point
		 * anywhere, and removing it is not ours to do. */
		tool_err("cannot write '%s': it is a symbolic link (write to "
			 "its target's name instead)", path);
		return -1;
	}
	if (same_as_input(path, &st, inputs))
		return -1;
	if (S_ISDIR(st.st_mode)) {
		tool_err("cannot write '%s': it is a directory", path);
		return -1;
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
		return open_in_place(o, path, needs, &st);
	if (S_ISSOCK(st.st_mode)) {
		tool_err("cannot write '%s': it is a socket", path);
		return -1;
	}
	if (!force) {
		tool_err("'%s' exists (use --force to replace it)", path);
		return -1;
	}
	o->replace = 1;
	o->old = st;
	return open_temp(o, path);
}

int outfile_write(struct outfile *o, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = o->regular ? pwrite(o->fd, b, n, (off_t)off)
				       : write(o->fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			tool_err("cannot write '%s' at offset %llu: %s",
				 o->name, (unsigned long long)off,
				 k < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static void drop_temp(struct outfile *o)
{
	if (o->tmp) {
		unlink(o->tmp);
		temp_register(o->tmp, 0);
		free(o->tmp);
		o->tmp = NULL;
	}
	free(o->final);
	o->final = NULL;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0 && o->fd != STDOUT_FILENO)
		close(o->fd);
	o->fd = -1;
	drop_temp(o);
}

static int sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, rc = 0;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
		close(fd);
	}
	free(dir);
	return rc;
}

/* fsync that accepts what cannot be synced (pipes, terminals). */
static int flush_fd(int fd)
{
	return fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : -1;
}

const char *outfile_made;

int outfile_commit(struct outfile *o)
{
	const char *what = NULL;
	mode_t mode = 0666 & ~file_umask;

	if (!o->tmp) { /* in place: flush and close */
		if (o->fd == STDOUT_FILENO)
			return flush_fd(o->fd) ? (tool_err("cannot write "
						 "standard output: %s",
						 strerror(errno)), -1) : 0;
		if (flush_fd(o->fd) || close(o->fd)) {
			o->fd = -1;
			tool_err("cannot write '%s': %s", o->name,
				 strerror(errno));
			return -1;
		}
		o->fd = -1;
		return 0;
	}
	if (o->replace) {
		mode = o->old.st_mode & 07777;
		if (fchown(o->fd, o->old.st_uid, o->old.st_gid) && errno != EPERM)
			what = "cannot give it the old file's owner";
	}
	if (!what && fchmod(o->fd, mode))
		what = "cannot set its mode";
	if (!what && fsync(o->fd))
		what = "cannot flush it to disk";
	if (!what && close(o->fd))
		what = "cannot close it";
	else if (what)
		close(o->fd);
	o->fd = -1;
	/* A new name is taken only if nobody took it meanwhile. */
	if (!what && (o->replace ? rename(o->tmp, o->final)
				 : renameat2(AT_FDCWD, o->tmp, AT_FDCWD,
					     o->final, RENAME_NOREPLACE)))
		what = errno == EEXIST ? "the name was taken meanwhile"
				       : "cannot rename it into place";
	if (what) {
		tool_err("cannot write '%s': %s: %s", o->name, what,
			 strerror(errno));
		drop_temp(o);
		return -1;
	}
	temp_register(o->tmp, 0);
	free(o->tmp);
	o->tmp = NULL;
	if (sync_dir(o->final)) {
		tool_err("'%s' is written, but its directory cannot be flushed: "
			 "%s", o->name, strerror(errno));
		free(o->final);
		o->final = NULL;
		return -1;
	}
	free(o->final);
	o->final = NULL;
	outfile_made = o->name;
	return 0;
}

int infile_open(const char *path, uint64_t *size)
{
	int std = strcmp(path, "-") == 0;
	int fd = std ? STDIN_FILENO
		     : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		tool_err("cannot open '%s': %s", path, strerror(errno));
		if (fd >= 0 && !std)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode)) {
		tool_err("cannot read '%s': it is %s", path,
			 kind_of(st.st_mode));
		if (!std)
			close(fd);
		return -1;
	}
	*size = UINT64_MAX;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t n;

		if (ioctl(fd, BLKGETSIZE64, &n) == 0)
			*size = n;
	} else if (S_ISFIFO(st.st_mode) && !std) {
		/* Wait for a writer here, interruptibly, not in open(). */
		struct pollfd p = { fd, POLLIN, 0 };

		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	}
	if (!std)
		(void)fcntl(fd, F_SETFL, 0);
	return fd;
}

int outfile_stale_temps(const char *path, char *first, size_t size)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = slash ? strndup(path, (size_t)(slash - path + 1))
			  : strdup(".");
	char prefix[NAME_MAX + 16];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (!dir)
		return 0;
	snprintf(prefix, sizeof(prefix), ".%s" TEMP_MARK, base);
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) ||
		    strlen(e->d_name) != strlen(prefix) + 6)
			continue;
		if (n++ == 0)
			snprintf(first, size, "%s%s", slash ? dir : "",
				 e->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}
