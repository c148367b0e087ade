/*
 * libvirt.c - libvirt's save images (what `virsh save` writes) around a
 * QEMU migration stream: a 92-byte header, the domain XML and libvirt's
 * cookie, then the stream, compressed by an external program when the
 * header says so. `frc import-qemu` keeps the header and the XML as
 * sections; `frc export-qemu` writes an image back that `virsh restore`
 * loads (SPEC, appendix "libvirt save images").
 *
 * The header, in the byte order of the host that wrote it (libvirt reads
 * a version above its own as the other order):
 *   0  magic "LibvirtQemudSave" ("LibvirtQemudPart" until the save ended)
 *   16 u32 version (2)      20 u32 data_len (XML, cookie, padding)
 *   24 u32 was_running      28 u32 format (0 raw, 1 gzip, 2 bzip2, 3 xz,
 *   32 u32 cookie offset       4 lzop, 5 zstd)
 *   36 14 x u32 unused
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#include "stream.h"

#define LV_MAGIC "LibvirtQemudSave"
#define LV_PARTIAL "LibvirtQemudPart"
#define LV_MAGIC_LEN 16
/* XML, cookie and padding read into memory: libvirt adds 64 KiB of
 * padding to an XML of some KiB */
#define LV_DATA_MAX (16u << 20)

/* libvirt's names of its formats, which are also the programs it runs */
static const char *const lv_formats[] = { "raw", "gzip", "bzip2", "xz",
					  "lzop", "zstd" };
#define LV_NFORMATS (sizeof(lv_formats) / sizeof(lv_formats[0]))

static uint32_t lv_u32(const struct lv_image *li, size_t off)
{
	const uint8_t *p = li->head + off;

	return li->big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				 (uint32_t)p[2] << 8 | p[3]
		       : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
				 (uint32_t)p[1] << 8 | p[0];
}

static void lv_set_u32(struct lv_image *li, size_t off, uint32_t v)
{
	uint8_t *p = li->head + off;

	for (int k = 0; k < 4; k++)
		p[li->big ? 3 - k : k] = (uint8_t)(v >> (8 * k));
}

static int lv_fail(const char *name, uint64_t off, const char *what)
{
	tool_err("%s: offset %" PRIu64 ": %s", name, off, what);
	return -1;
}

static int lv_is_image(const uint8_t *p, size_t n)
{
	return n >= LV_MAGIC_LEN && (!memcmp(p, LV_MAGIC, LV_MAGIC_LEN) ||
				     !memcmp(p, LV_PARTIAL, LV_MAGIC_LEN));
}

/* The header in li->head, checked as libvirt 9.0 checks it (and an
 * unfinished save refused); `size` bounds data_len (UINT64_MAX: none). */
static int lv_parse_header(struct lv_image *li, const char *name,
			   uint64_t size)
{
	char what[160];
	uint32_t v;

	if (!memcmp(li->head, LV_PARTIAL, LV_MAGIC_LEN))
		return lv_fail(name, 0,
			       "magic 'LibvirtQemudPart': an unfinished libvirt "
			       "save image (the save did not complete)");
	if (memcmp(li->head, LV_MAGIC, LV_MAGIC_LEN))
		return lv_fail(name, 0, "not a libvirt save image (magic)");
	li->big = 0;
	if ((v = lv_u32(li, 16)) > 2) {
		li->big = 1; /* written by a host of the other byte order */
		if (lv_u32(li, 16) > 2)
			li->big = 0;
	}
	if (lv_u32(li, 16) != 2) {
		snprintf(what, sizeof(what),
			 "libvirt save image version %" PRIu32
			 ": only version 2 is read", v);
		return lv_fail(name, 16, what);
	}
	li->data_len = lv_u32(li, 20);
	if (li->data_len == 0 || li->data_len > LV_DATA_MAX ||
	    (size != UINT64_MAX && LV_HEADER + (uint64_t)li->data_len > size)) {
		snprintf(what, sizeof(what),
			 "domain XML length %" PRIu32 " is %s", li->data_len,
			 li->data_len == 0 ? "zero"
			 : li->data_len > LV_DATA_MAX
				 ? "over the 16 MiB this reader takes"
				 : "beyond the end of the file");
		return lv_fail(name, 20, what);
	}
	li->format = lv_u32(li, 28);
	if (li->format >= LV_NFORMATS) {
		snprintf(what, sizeof(what),
			 "save image format %" PRIu32 " is none of 0 raw, 1 "
			 "gzip, 2 bzip2, 3 xz, 4 lzop, 5 zstd", li->format);
		return lv_fail(name, 28, what);
	}
	li->cookie = lv_u32(li, 32);
	if (li->cookie >= li->data_len) {
		snprintf(what, sizeof(what),
			 "cookie offset %" PRIu32 " is not inside the %" PRIu32
			 " bytes of domain XML and cookie", li->cookie,
			 li->data_len);
		return lv_fail(name, 32, what);
	}
	li->stream_at = LV_HEADER + (uint64_t)li->data_len;
	return 0;
}

/* The XML (and cookie) in li->data: each ends in a NUL inside its part. */
static int lv_parse_data(struct lv_image *li, const char *name)
{
	size_t xml = li->cookie ? li->cookie : li->data_len;

	if (!memchr(li->data, 0, xml))
		return lv_fail(name, LV_HEADER,
			       "the domain XML has no terminating NUL");
	if (li->cookie &&
	    !memchr(li->data + li->cookie, 0, li->data_len - li->cookie))
		return lv_fail(name, LV_HEADER + (uint64_t)li->cookie,
			       "the cookie has no terminating NUL");
	return 0;
}

int lv_probe(int fd, const char *name, uint64_t size, struct lv_image *li)
{
	ssize_t got;

	memset(li, 0, sizeof(*li));
	li->child = li->pipe = -1;
	if (size < LV_MAGIC_LEN || size == UINT64_MAX)
		return 0; /* a pipe is read as a QEMU stream */
	got = pread(fd, li->head, LV_HEADER, 0);
	if (got < 0) {
		tool_err("%s: cannot read: %s", name, strerror(errno));
		return -1;
	}
	if (!lv_is_image(li->head, (size_t)got))
		return 0;
	if (got < LV_HEADER)
		return lv_fail(name, (uint64_t)got,
			       "the libvirt save image ends inside its header");
	if (lv_parse_header(li, name, size))
		return -1;
	li->data = malloc(li->data_len);
	if (!li->data) {
		tool_err("out of memory");
		return -1;
	}
	got = pread(fd, li->data, li->data_len, LV_HEADER);
	if (got != (ssize_t)li->data_len) {
		tool_err("%s: cannot read the domain XML: %s", name,
			 got < 0 ? strerror(errno) : "the file ends inside it");
		return -1;
	}
	return lv_parse_data(li, name) ? -1 : 1;
}

int lv_stream_open(struct lv_image *li, int fd, const char *name)
{
	const char *prog = lv_formats[li->format];
	int p[2];

	if (asprintf(&li->stream_name, "%s (its QEMU stream from byte %" PRIu64
		     "%s%s%s)", name, li->stream_at,
		     li->format ? ", decompressed by " : "",
		     li->format ? prog : "", li->format ? " -dc" : "") < 0) {
		li->stream_name = NULL;
		tool_err("out of memory");
		return -1;
	}
	if (lseek(fd, (off_t)li->stream_at, SEEK_SET) < 0) {
		tool_err("%s: cannot seek: %s", name, strerror(errno));
		return -1;
	}
	if (!li->format)
		return fd;
	if (pipe2(p, O_CLOEXEC)) {
		tool_err("cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	li->child = fork();
	if (li->child < 0) {
		tool_err("cannot start %s: %s", prog, strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (li->child == 0) {
		/* the program libvirt itself runs for this format */
		char *const args[] = { (char *)prog, "-dc",
				       li->format == 4 ? "--ignore-warn" : NULL,
				       NULL };
		int flags = fcntl(fd, F_GETFL);

		if (flags >= 0)
			(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fd, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
			_exit(126);
		execvp(prog, args);
		_exit(127);
	}
	close(p[1]);
	li->pipe = p[0];
	return p[0];
}

int lv_stream_end(struct lv_image *li, int ok)
{
	const char *prog = lv_formats[li->format];
	int st = 0;

	if (li->pipe >= 0) {
		close(li->pipe); /* a decompressor still writing gets EPIPE */
		li->pipe = -1;
	}
	if (li->child <= 0)
		return 0;
	while (waitpid(li->child, &st, 0) < 0 && errno == EINTR)
		;
	li->child = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!ok && WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE)
		return -1; /* stopped by the failed import, which said why */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		tool_err("%s: cannot run '%s' to decompress its QEMU stream "
			 "(not installed?)", li->stream_name, prog);
	else if (WIFEXITED(st))
		tool_err("%s: '%s -dc' failed (exit %d): the compressed stream "
			 "is damaged", li->stream_name, prog, WEXITSTATUS(st));
	else
		tool_err("%s: '%s -dc' was killed by signal %d",
			 li->stream_name, prog, WTERMSIG(st));
	return -1;
}

/* The domain's <name>, when the XML gives it plainly (no entity). */
static int lv_guest_name(const struct lv_image *li, char *out, size_t size)
{
	const char *x = (const char *)li->data, *a = strstr(x, "<name>"), *b;

	if (!a)
		return -1;
	a += 6;
	b = strstr(a, "</name>");
	if (!b || b == a || (size_t)(b - a) >= size || memchr(a, '&', b - a) ||
	    memchr(a, '<', b - a))
		return -1;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = 0;
	return 0;
}

int lv_add_sections(void *ctx, frc_writer_t *w, struct qemu_file *q)
{
	struct lv_image *li = ctx;
	char name[256];
	int rc;

	(void)q;
	if (lv_stream_end(li, 1))
		return -1;
	rc = frc_writer_add_section(w, FRC_SECTION_QEMU, 0,
				    "libvirt-save-header", li->head, LV_HEADER);
	if (!rc)
		rc = frc_writer_add_section(w, FRC_SECTION_QEMU, 0,
					    "libvirt-save-data", li->data,
					    li->data_len);
	if (!rc)
		rc = frc_writer_set_metadata(w, "libvirt.save-format",
					     lv_formats[li->format]);
	if (!rc && lv_guest_name(li, name, sizeof(name)) == 0)
		rc = frc_writer_set_metadata(w, "guest-name", name);
	if (rc)
		tool_err("%s", frc_writer_errmsg(w));
	return rc ? -1 : 0;
}

void lv_free(struct lv_image *li)
{
	(void)lv_stream_end(li, 0);
	free(li->data);
	free(li->stream_name);
	li->data = NULL;
	li->stream_name = NULL;
}

int lv_from_sections(struct lv_image *li, const uint8_t *head, size_t hn,
		     uint8_t *data, size_t dn, const char *name)
{
	memset(li, 0, sizeof(*li));
	li->child = li->pipe = -1;
	if (hn != LV_HEADER) {
		tool_err("%s: section 'libvirt-save-header' is %zu bytes, not "
			 "%d", name, hn, LV_HEADER);
		return -1;
	}
	memcpy(li->head, head, LV_HEADER);
	if (lv_parse_header(li, "section 'libvirt-save-header'", UINT64_MAX))
		return -1;
	if (dn != li->data_len) {
		tool_err("%s: section 'libvirt-save-data' is %zu bytes, its "
			 "header says %" PRIu32, name, dn, li->data_len);
		return -1;
	}
	li->data = data;
	if (lv_parse_data(li, "section 'libvirt-save-data'")) {
		li->data = NULL;
		return -1;
	}
	li->data = NULL; /* the caller's */
	return 0;
}

void lv_header_for(struct lv_image *li, int finished)
{
	memcpy(li->head, finished ? LV_MAGIC : LV_PARTIAL, LV_MAGIC_LEN);
	lv_set_u32(li, 28, 0); /* raw: QEMU's stream follows as it is */
}
