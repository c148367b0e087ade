/*
 * outfile.h - the one output policy of every frc command that writes a
 * file, and the opening of inputs that may be pipes or devices.
 *
 * Outputs:
 *   - a regular file (new or replaced) is written to a temporary file in the
 *     same directory (mode 0600) and renamed over the name at the end, after
 *     an fsync: the old file is intact after any failure or signal;
 *   - a new file gets 0666 & ~umask, a replaced one keeps its mode and
 *     owner; an existing name is replaced only when asked (--force); a symbolic
 *     link there is refused, never written through nor replaced;
 *   - a device, a FIFO or standard output ("-") is written in place and
 *     never removed or truncated;
 *   - an output that is the same file as an input is refused;
 *   - only this run's temporary files are ever removed, also on SIGINT,
 *     SIGTERM and SIGHUP.
 */
#ifndef FRC_OUTFILE_H
#define FRC_OUTFILE_H

#include <stdint.h>
#include <sys/stat.h>

/* What an output must be able to do. */
enum {
	OUT_ANY = 0,      /* a stream is fine (written in order) */
	OUT_SEEKABLE = 1, /* needs a regular file (random-access writes) */
};

/* The last output file committed under its name (for messages after it). */
extern const char *outfile_made;

struct outfile {
	const char *name; /* as given, for messages ("-" for stdout) */
	char *tmp;        /* temporary name; NULL when written in place */
	char *final;      /* what tmp is renamed to */
	int fd;
	int regular;      /* fd is a regular file (seekable, sparse) */
	int replace;      /* an existing file is replaced */
	struct stat old;  /* the replaced file (mode, owner) */
};

/*
 * Opens `path` for writing under the policy. `inputs` (NULL-terminated, may
 * be NULL) are the files this run reads: the output may not be one of them.
 * Prints the reason and returns -1 on failure.
 */
int outfile_open(struct outfile *o, const char *path, int force, int needs,
		 const char *const *inputs);

/*
 * Finishes the output: flushes it to disk, gives it its mode and owner,
 * renames it into place and flushes the directory. Prints the reason and
 * returns -1 on failure (the temporary file is then removed, the old file
 * is intact).
 */
int outfile_commit(struct outfile *o);

/* Abandons the output: removes this run's temporary file, closes fd. */
void outfile_abort(struct outfile *o);

/*
 * Writes n bytes at `off` (regular files) or in order (streams), naming
 * the output and the offset on failure. Returns 0 or -1.
 */
int outfile_write(struct outfile *o, const void *p, size_t n, uint64_t off);

/* Installs the signal handlers that remove temporary files on SIGINT,
 * SIGTERM and SIGHUP, ignores SIGPIPE and SIGXFSZ (so a full pipe or a file
 * size limit is an error message, not a silent death), notes the umask. */
void outfile_init(void);

/*
 * Inputs. Opens `path` ("-" = standard input) for reading without ever
 * blocking in open() (FIFOs are opened non-blocking, then waited on with
 * poll() until a writer comes). *size is the file's or block device's
 * size, or UINT64_MAX for a stream (pipe, FIFO, character device) that is
 * read until EOF. Directories and sockets are refused. Prints the reason
 * and returns -1 on failure, else the descriptor.
 */
int infile_open(const char *path, uint64_t *size);

/* How many temporary files of an interrupted save lie beside `path`
 * (".NAME.frc-new-XXXXXX"); the first one's path goes to `first`. */
int outfile_stale_temps(const char *path, char *first, size_t size);

#endif /* FRC_OUTFILE_H */
