/*
 * fault_shim.c - an LD_PRELOAD library for the fault-injection tests: makes
 * the Nth call of one kind of I/O fail with a chosen errno.
 *
 *   FAULT=KIND:N:ERRNO   KIND write (write, pwrite, pwritev), sync (fsync,
 *                        fdatasync) or read (read, pread); N counts from 1
 *                        over calls on regular files only; ERRNO is EIO,
 *                        ENOSPC or EFBIG. Every later call of the kind
 *                        fails too when N ends with '+'.
 *   FAULT=trunc:N:ERRNO  ftruncate, the same way (N counts ftruncate calls)
 *   FAULT=kill:N         the process kills itself (SIGKILL) just before
 *                        its Nth call that changes a regular file: write,
 *                        pwrite, pwritev, fsync, fdatasync, fallocate,
 *                        ftruncate. FAULT_COUNT=PATH writes how many such
 *                        calls the process made to PATH at exit, so that
 *                        a test can kill it at every one in turn.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
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
static long counts[4];
static long changes; /* calls that change a regular file (kill mode) */

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

/* Kill mode: counts a call that changes a regular file, and dies before
 * the Nth. */
static void change(int fd)
{
	struct stat st;

	setup();
	if (strcmp(kind, "kill") && !getenv("FAULT_COUNT"))
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	if (__atomic_add_fetch(&changes, 1, __ATOMIC_SEQ_CST) == nth &&
	    !strcmp(kind, "kill"))
		raise(SIGKILL);
}

__attribute__((destructor)) static void count_out(void)
{
	const char *path = getenv("FAULT_COUNT");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f) {
		fprintf(f, "%ld\n", changes);
		fclose(f);
	}
}

/* 1 when this call (of kind k, index i) must fail. */
static int hit(const char *k, int i, int fd)
{
	struct stat st;

	if (i < 2)
		change(fd); /* (ftruncate counts itself) */
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

int fallocate(int fd, int mode, off_t o, off_t n)
{
	change(fd);
	return NEXT(fallocate)(fd, mode, o, n);
}

int fallocate64(int fd, int mode, off_t o, off_t n)
{
	change(fd);
	return NEXT(fallocate64)(fd, mode, o, n);
}

int ftruncate(int fd, off_t n)
{
	change(fd);
	return hit("trunc", 3, fd) ? -1 : NEXT(ftruncate)(fd, n);
}

int ftruncate64(int fd, off_t n)
{
	change(fd);
	return hit("trunc", 3, fd) ? -1 : NEXT(ftruncate64)(fd, n);
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
