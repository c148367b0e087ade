/*
 * fuzz_qemu.c - libFuzzer target for the QEMU migration stream and
 * mapped-ram parser of `frc import-qemu` (tools/qemu/stream.c): the input
 * is a QEMU file, imported into an FRC file exactly as the command does
 * (from a seekable file, pages through the importer's threads). When the
 * import succeeds, the FRC file it committed must open and verify: a
 * parser that accepts a stream must never write a file that libfrc
 * refuses.
 *
 * Inputs whose RAM blocks claim more than MAX_PAGES pages in all are only
 * parsed up to the block list (their import would be bounded by the disk,
 * not by the parser).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "stream.h"

#define MAX_PAGES (1u << 17) /* 512 MiB of 4 KiB pages */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The head and block list alone, from memory: how much RAM is claimed. */
static uint64_t claimed_pages(const uint8_t *data, size_t size)
{
	struct qemu_file q;
	struct in s;
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t pages = UINT64_MAX;

	if (!copy)
		return pages;
	memcpy(copy, data, size);
	memset(&q, 0, sizeof(q));
	q.page_size = 4096;
	in_memory(&s, "fuzz.qemu", copy, size);
	if (read_head(&s, &q) == 0 && read_ram_blocks(&s, &q) == 0) {
		pages = 0;
		for (unsigned i = 0; i < q.nblocks; i++)
			pages += q.blocks[i].used / (q.page_size ? q.page_size : 1);
	}
	free(s.cap);
	free(q.commands);
	free(copy);
	return pages;
}

/* What the import committed must be a valid FRC file. */
static void check_output(int fd)
{
	char path[64];
	frc_reader_t *r = frc_reader_new();

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (frc_reader_open(r, path, 0) != FRC_OK ||
	    frc_reader_verify(r, NULL, NULL) != FRC_OK) {
		fprintf(stderr, "import-qemu committed a file libfrc refuses: "
			"%s\n", frc_reader_errmsg(r));
		abort();
	}
	frc_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qemu_file q;
	struct in s;
	char name[64];
	frc_writer_t *w;
	int in, out;

	if (claimed_pages(data, size) > MAX_PAGES)
		return 0;
	if (!fuzz_file(data, size, name, sizeof(name), &in))
		return 0;
	lseek(in, 0, SEEK_SET);
	out = memfd_create("frc-fuzz-out", 0);
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	q.page_size = 4096;
	s.fd = in;
	s.name = "fuzz.qemu";
	s.buf = malloc(IN_BUF);
	w = frc_writer_new();
	if (out >= 0 && s.buf && w &&
	    frc_writer_open_fd(w, out, "fuzz.frc", NULL, 0) == FRC_OK &&
	    import_to_frc(&s, &q, w, NULL) == 0 &&
	    frc_writer_commit(w, NULL, NULL) == FRC_OK)
		check_output(out);
	frc_writer_free(w);
	free(s.buf);
	free(s.cap);
	free(q.commands);
	if (out >= 0)
		close(out);
	close(in);
	return 0;
}
