/*
 * io.c - whole-buffer pread/pwrite, hole punching, and the direct-I/O
 * policy.
 *
 * Each helper returns 0 on success or an errno value; a read that meets the
 * end of the file returns EIO-free "short" as -1 so callers can tell a
 * truncated file from an I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/uio.h>

#include "frc_internal.h"

/* Returns 0, an errno value, or -1 when the file ends before len bytes. */
int frc_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int frc_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Makes [off, off+len) read as zeros, as a hole where the filesystem can
 * (SPEC "Present-page bitmap": an absent page's slot reads as zeros).
 */
int frc_punch_hole(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return errno;
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		int err = frc_pwrite_full(fd, zeros, n, off);

		if (err)
			return err;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * The direct-I/O policy, in one place. Page data may bypass the page cache:
 * the handle keeps a second descriptor opened with O_DIRECT (none where the
 * file system refuses it, and everything then goes through the page cache);
 * a transfer takes it only when its buffer, length and offset are all
 * FRC_DIRECT_ALIGN-aligned; a transfer the file system refuses with EINVAL
 * is made again through the page cache. Structures never go direct.
 */
int frc_direct_open(const char *path, bool rw)
{
	return open(path, (rw ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
}

int frc_direct_reopen(int fd, bool rw)
{
	char proc[64];

	/* a second open file description of the same file */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return frc_direct_open(proc, rw);
}

int frc_pread_pages(int dfd, int fd, void *buf, size_t len, uint64_t off)
{
	if (dfd >= 0 && frc_direct_aligned(buf, len, off)) {
		int err = frc_pread_full(dfd, buf, len, off);

		if (err != EINVAL)
			return err;
	}
	return frc_pread_full(fd, buf, len, off);
}

void frc_start_writeback(int fd, uint64_t off, uint64_t len)
{
	/* errors are the flush's to report */
	(void)sync_file_range(fd, (off_t)off, (off_t)len,
			      SYNC_FILE_RANGE_WRITE);
}

int frc_pwrite_pages(int dfd, int fd, const void *buf, size_t len,
		     uint64_t off)
{
	/* short runs through the page cache (see frc_pwritev_pages) */
	if (dfd >= 0 && len >= FRC_DIRECT_MIN_RUN &&
	    frc_direct_aligned(NULL, len, off)) {
		void *bounce = NULL;
		int err;

		if (frc_direct_aligned(buf, 0, 0)) {
			err = frc_pwrite_full(dfd, buf, len, off);
		} else { /* an unaligned buffer goes through an aligned copy */
			if (posix_memalign(&bounce, FRC_DIRECT_ALIGN, len))
				return ENOMEM;
			memcpy(bounce, buf, len);
			err = frc_pwrite_full(dfd, bounce, len, off);
			free(bounce);
		}
		if (err != EINVAL)
			return err;
	}
	return frc_pwrite_full(fd, buf, len, off);
}

int frc_pwritev_pages(int dfd, int fd, struct iovec *iov, int n,
		      uint64_t off)
{
	int use = dfd >= 0 && frc_direct_aligned(NULL, 0, off) ? dfd : fd;
	size_t total = 0;

	for (int i = 0; i < n; i++) {
		total += iov[i].iov_len;
		if (!frc_direct_aligned(iov[i].iov_base, iov[i].iov_len, 0))
			use = fd;
	}
	if (total < FRC_DIRECT_MIN_RUN)
		use = fd; /* short runs: through the page cache */
	while (total > 0) {
		ssize_t k = pwritev(use, iov, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EINVAL && use != fd) {
			use = fd; /* the filesystem refused O_DIRECT here */
			continue;
		}
		if (k <= 0)
			return k < 0 ? errno : EIO;
		off += (uint64_t)k;
		total -= (size_t)k;
		while (n > 0 && (size_t)k >= iov->iov_len) { /* short write */
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

bool frc_data_extent(int fd, uint64_t pos, uint64_t end, uint64_t *data,
		     uint64_t *hole)
{
	off_t d, h;

	if (pos >= end)
		return false;
	d = lseek(fd, (off_t)pos, SEEK_DATA);
	if (d < 0 && errno == ENXIO)
		return false; /* a hole to the end of the file */
	if (d < 0) { /* the filesystem cannot tell: all of it is data */
		*data = pos;
		*hole = end;
		return true;
	}
	if ((uint64_t)d >= end)
		return false;
	h = lseek(fd, d, SEEK_HOLE);
	*data = (uint64_t)d;
	*hole = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
	return true;
}
