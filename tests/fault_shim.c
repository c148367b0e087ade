/*
 * fault_shim.c - an LD_PRELOAD library for the fault-injection tests: makes
 * the Nth call of one kind of I/O fail with a chosen errno.
 *
 *   FAULT=KIND:N:ERRNO   KIND write (write, pwrite, pwritev), sync (fsync,
 *                        fdatasync) or read (read, pread); N counts from 1
 *                        over calls on regular files only; ERRNO is EIO,
 *                        ENOSPC or EFBIG. Every later call of the kind
 *                        fails too when N ends with '+'.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char kind[16];
static long nth = -1;
static int sticky, code = EIO;
static long counts[3];

static void setup(void)
{
	const char *f = getenv("FAULT");
	char err[16];

	if (nth != -1 || !f)
		return;
	nth = 0;
	if (sscanf(f, "%15[a-z]:%ld%*[+]:%15s", kind, &nth, err) < 3 &&
	    sscanf(f, "%15[a-z]:%ld:%15s", kind, &nth, err) < 3)
		return;
	sticky = strchr(f, '+') != NULL;
	code = !strcmp(err, "ENOSPC") ? ENOSPC : !strcmp(err, "EFBIG") ? EFBIG
									  : EIO;
}

/* 1 when this call (of kind k, index i) must fail. */
static int hit(const char *k, int i, int fd)
{
	struct stat st;

	setup();
	if (nth <= 0 || strcmp(kind, k) || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	counts[i]++;
	if (counts[i] == nth || (sticky && counts[i] > nth)) {
		errno = code;
		return 1;
	}
	return 0;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *b, size_t n)
{
	return hit("write", 0, fd) ? -1 : NEXT(write)(fd, b, n);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t o)
{
	return hit("write", 0, fd) ? -1 : NEXT(pwrite)(fd, b, n, o);
}

ssize_t pwrite64(int fd, const void *b, size_t n, off_t o)
{
	return hit("write", 0, fd) ? -1 : NEXT(pwrite64)(fd, b, n, o);
}

ssize_t pwritev(int fd, const struct iovec *v, int n, off_t o)
{
	return hit("write", 0, fd) ? -1 : NEXT(pwritev)(fd, v, n, o);
}

int fsync(int fd)
{
	return hit("sync", 1, fd) ? -1 : NEXT(fsync)(fd);
}

int fdatasync(int fd)
{
	return hit("sync", 1, fd) ? -1 : NEXT(fdatasync)(fd);
}

ssize_t read(int fd, void *b, size_t n)
{
	return hit("read", 2, fd) ? -1 : NEXT(read)(fd, b, n);
}

ssize_t pread(int fd, void *b, size_t n, off_t o)
{
	return hit("read", 2, fd) ? -1 : NEXT(pread)(fd, b, n, o);
}

ssize_t pread64(int fd, void *b, size_t n, off_t o)
{
	return hit("read", 2, fd) ? -1 : NEXT(pread64)(fd, b, n, o);
}
