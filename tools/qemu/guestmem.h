/*
 * guestmem.h - `--memory=ID=PATH[@OFFSET]`: a RAM block's bytes in another
 * file, from byte OFFSET (default 0) on: a file QEMU maps as guest RAM
 * (memory-backend-file with share=on), or QEMU's own address space
 * (/proc/PID/mem at the block's host address), read by frc to checksum or
 * verify guest memory where it is instead of reading the pages back from
 * disk.
 */
#ifndef FRC_GUESTMEM_H
#define FRC_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

#define GUESTMEM_MAX 16

struct guestmem {
	const char *id, *path;
	uint64_t offset;       /* of the block's first byte in the file */
	int fd;                /* open for reading, or -1 */
	int used;
	int from_qmp;          /* path and offset resolved from qmp:SOCKET */
};

struct guestmems {
	struct guestmem m[GUESTMEM_MAX];
	unsigned n;
	int writable; /* open the files for writing too (a restore into them):
		       * then only memory a running process maps */
	const char *input; /* the FRC file being read: never a target */
	long pid; /* when set, the QEMU (its QMP peer) that must map every
		   * file shared: files named by QEMU itself over QMP */
};

/*
 * Adds ID=PATH[@OFFSET] (split at the first '=', and at the last '@' when a
 * number follows it); -1 with a message if malformed.
 */
int guestmem_add(struct guestmems *g, const char *arg);
/*
 * The block named `id`, its file open (holding at least `need` bytes from
 * its offset, when the file has a size), or NULL when none was given; *err
 * is set (message printed) when the file cannot be opened or is too short.
 */
const struct guestmem *guestmem_open(struct guestmems *g, const char *id,
				     uint64_t need, int *err);
/* -1 (message printed) if a block given was never asked for by name. */
int guestmem_all_used(const struct guestmems *g, const char *file);
void guestmem_free(struct guestmems *g);

#endif
