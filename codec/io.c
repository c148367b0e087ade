/*
 * io.c - whole-buffer pread/pwrite and hole punching.
 *
 * Each helper returns 0 on success or an errno value; a read that meets the
 * end of the file returns EIO-free "short" as -1 so callers can tell a
 * truncated file from an I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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
 * (SPEC §8: an absent page's slot reads as zeros).
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
