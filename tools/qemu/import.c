/*
 * import.c - `frc import-qemu`: a QEMU migration file (stream or
 * mapped-ram, from a file or a pipe), or a libvirt save image, into an
 * FRC container (parse.c parses it, stream.c writes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"
#include "qemu_cmd.h"
#include "outfile.h"
#include "guestmem.h"
#include "relay.h"

#include "stream.h"

/* With --list-records, the offset and kind of every record, on stdout. */
static int list_records;

static void print_record(void *ctx, uint64_t pos, const char *kind)
{
	(void)ctx;
	printf("0x%" PRIx64 " %s\n", pos, kind);
}

int import_into(int fd, const char *name, struct outfile *of,
		const char *out, const char *generator,
		const struct tool_compress *z, struct qemu_file *q,
		const struct import_hooks *h)
{
	frc_writer_options_t o;
	struct in s;
	frc_writer_t *w;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	memset(q, 0, sizeof(*q));
	q->page_size = 4096; /* TARGET_PAGE_SIZE unless the stream says */
	q->allow_ignore_shared = h && h->fill;
	s.fd = fd;
	s.name = name;
	s.on_record = list_records ? print_record : NULL;
	s.buf = malloc(IN_BUF);
	if (!s.buf) {
		tool_err("out of memory");
		return -1;
	}
	/* a larger pipe lets QEMU run ahead of the parser */
	(void)fcntl(s.fd, F_SETPIPE_SZ, (int)IN_BUF);
	o.generator = generator;
	o.direct = 1; /* pages bypass the page cache where the file allows */
	o.digest = z->digest > 0 ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	w = frc_writer_new();
	rc = w ? frc_writer_open_fd(w, of->fd, out, &o, sizeof(o)) : FRC_E_NOMEM;
	if (rc)
		tool_err("%s", w ? frc_writer_errmsg(w) : "out of memory");
	else if ((rc = import_to_frc(&s, q, w, z)) == 0 &&
		 (!h || !h->fill || (rc = h->fill(h->ctx, w, q)) == 0) &&
		 (!h || !h->wrap || (rc = h->wrap(h->ctx, w, q)) == 0) &&
		 (rc = frc_writer_commit(w, NULL, NULL)) != 0)
		tool_err("%s", frc_writer_errmsg(w));
	frc_writer_free(w);
	free(s.buf);
	free(s.cap);
	return rc ? -1 : 0;
}

int cmd_import_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list-records", no_argument, NULL, 'L' },
		TOOL_COMPRESS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc import-qemu [-f] [-q] [--list-records] "
		"[--compress[=LEVEL]] [--frame=SIZE]\n"
		"                       IN OUT.frc\n"
		"\n"
		"Reads a QEMU migration file (the sequential stream, or a\n"
		"mapped-ram file), from a file or from standard input ('-'), or\n"
		"a libvirt save image (virsh save; any compression), and writes\n"
		"it as an FRC container: every RAM block a region, all other\n"
		"state kept verbatim. For a live save into FRC:\n"
		"  (qemu) migrate \"exec:frc import-qemu - vm.frc\"\n"
		"  -f, --force   replace OUT.frc if it exists\n"
		"  -q, --quiet   print nothing but errors\n"
		"  --list-records  also print the offset of every record\n"
		"  --compress[=LEVEL]  store RAM in Zstandard frames (format\n"
		"                  1.2; level 1-22, default 3)\n"
		"  --frame=SIZE    bytes per frame (power of two, default 64K)\n";
	struct tool_compress z = { 0, 3, 0, 0, NULL };
	struct outfile of;
	struct qemu_file q;
	struct import_hooks hooks = { NULL, NULL, NULL };
	struct lv_image li = { .child = -1, .pipe = -1 };
	const char *in, *out, *name, *inputs[2] = { NULL, NULL };
	uint64_t size;
	int c, quiet = 0, force = 0, rc, fd, sfd, lv;

	while ((c = getopt_long(argc, argv, "fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'L': list_records = 1; break;
		case 'Z':
		case 'F':
		case 'B':
		case 'G':
			if (tool_compress_opt(c, optarg, &z))
				return 1;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 2) {
		fputs(usage, stderr);
		return 1;
	}
	in = argv[optind];
	out = argv[optind + 1];
	inputs[0] = in;
	/* The output first: a refused OUT costs the stream nothing. */
	if (outfile_open(&of, out, force, OUT_SEEKABLE, inputs))
		return 1;
	memset(&q, 0, sizeof(q));
	fd = infile_open(in, &size);
	name = strcmp(in, "-") ? in : "(standard input)";
	/* a libvirt save image: its stream, from a decompressor if need be */
	lv = fd < 0 ? -1 : lv_probe(fd, name, size, &li);
	sfd = lv == 1 ? lv_stream_open(&li, fd, name) : lv == 0 ? fd : -1;
	if (lv == 1) {
		hooks.wrap = lv_add_sections;
		hooks.ctx = &li;
	}
	rc = sfd < 0 ? -1
		     : import_into(sfd, lv == 1 ? li.stream_name : name, &of, out,
				   "frc import-qemu " FRC_LIB_VERSION_STRING, &z,
				   &q, &hooks);
	lv_free(&li); /* a decompressor not waited for yet is stopped */
	if (rc == 0)
		rc = outfile_commit(&of);
	outfile_abort(&of); /* a failed import leaves nothing behind */
	if (!rc && !quiet)
		fprintf(stderr, "frc: imported %u RAM blocks (%s%s, %s) into %s\n",
			q.nblocks, lv == 1 ? "libvirt save image, " : "",
			q.mapped_ram ? "mapped-ram" : "stream", q.machine, out);
	if (fd > STDIN_FILENO)
		close(fd);
	free(q.commands);
	return rc ? 1 : 0;
}


/*
 * The export's output: every byte goes through a 1 MiB buffer to the
 * output policy's writer (outfile.c), which names the output and the
 * offset of any failure.
 */
