/*
 * stream.c - QEMU migration files into an FRC writer (import_to_frc), on
 * the parser of parse.c: the parser's pages go into batches a worker
 * thread checksums and writes, its kept bytes into sections.
 *
 * What FRC keeps of a QEMU file:
 *   - every RAM block as a region (block id, used length, 4 KiB pages);
 *   - section "qemu-stream-head" (type 16): the bytes from the start of the
 *     file to the end of the ram section's MEM_SIZE record (stream header,
 *     configuration, the ram section header);
 *   - section "qemu-stream-commands": QEMU_VM_COMMAND records met between
 *     RAM sections (e.g. SWITCHOVER_START), verbatim, in order;
 *   - section "qemu-stream-tail": everything after the RAM (device state,
 *     EOF, the JSON device description), verbatim;
 *   - metadata: source format, machine type, stream version, capabilities,
 *     the ram section id.
 * Export rebuilds the RAM part from the regions (every page verified) and
 * splices the kept bytes back around it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "relay.h"

#include "stream.h"

/*
 * Pages on their way to the writer: the parser fills one batch while the
 * relay's worker checksums and writes the one before (tools/common/relay.h). A
 * batch holds pages of one region with rising indices, so that it never
 * names a page twice and its runs go out as single writes.
 */
#define BATCH_PAGES 1024u
#define NBATCH 2

struct batch {
	struct relay_job job;
	frc_writer_t *w;
	uint32_t region;
	uint64_t n, slots; /* pages, staging slots used */
	uint64_t idx[BATCH_PAGES];
	const void *pg[BATCH_PAGES];
	uint8_t *staging; /* BATCH_PAGES pages, aligned for O_DIRECT */
};

struct importer {
	struct relay rl;
	struct batch b[NBATCH];
	unsigned cur;     /* the batch being filled */
	int submitted[NBATCH];
	uint32_t page_size;
	uint8_t *zero;    /* one zero page */
};

static int batch_run(void *ctx, struct relay_job *job)
{
	struct batch *b = (struct batch *)job;

	(void)ctx;
	if (frc_writer_write_batch(b->w, b->region, b->n, b->idx, b->pg)) {
		tool_err("%s", frc_writer_errmsg(b->w));
		return -1;
	}
	return 0;
}

static int importer_init(struct importer *im, frc_writer_t *w,
			 uint32_t page_size)
{
	memset(im, 0, sizeof(*im));
	im->page_size = page_size;
	im->zero = calloc(1, page_size);
	for (unsigned i = 0; i < NBATCH; i++) {
		im->b[i].w = w;
		if (posix_memalign((void **)&im->b[i].staging, 4096,
				   (size_t)BATCH_PAGES * page_size))
			im->b[i].staging = NULL;
		if (!im->b[i].staging)
			return -1;
	}
	if (!im->zero || relay_start(&im->rl, batch_run, NULL))
		return -1;
	return 0;
}

/* Hands the batch being filled to the worker and takes the other one. */
static int importer_flush(struct importer *im)
{
	struct batch *b = &im->b[im->cur];

	if (b->n) {
		relay_submit(&im->rl, &b->job);
		im->submitted[im->cur] = 1;
		im->cur = (im->cur + 1) % NBATCH;
		b = &im->b[im->cur];
	}
	if (im->submitted[im->cur]) {
		im->submitted[im->cur] = 0;
		if (relay_wait(&im->rl, &b->job))
			return -1;
	}
	b->n = b->slots = 0;
	return 0;
}

/*
 * Places for pages [first, first+k) of `region` (k <= BATCH_PAGES) in the
 * batch being filled: *dst = NULL for pages known to be zero (nothing to
 * copy), else k consecutive staging slots to fill.
 */
static int importer_reserve(struct importer *im, uint32_t region,
			    uint64_t first, uint64_t k, int zero,
			    uint8_t **dst)
{
	struct batch *b = &im->b[im->cur];

	if (b->n && (b->region != region || first <= b->idx[b->n - 1] ||
		     b->n + k > BATCH_PAGES ||
		     (!zero && b->slots + k > BATCH_PAGES))) {
		if (importer_flush(im))
			return -1;
		b = &im->b[im->cur];
	}
	b->region = region;
	*dst = zero ? NULL : b->staging + b->slots * (size_t)im->page_size;
	for (uint64_t i = 0; i < k; i++) {
		b->idx[b->n] = first + i;
		b->pg[b->n++] = zero ? im->zero : *dst + i * im->page_size;
	}
	if (!zero)
		b->slots += k;
	return 0;
}

/* Waits for every batch; returns -1 if any failed. */
static int importer_finish(struct importer *im)
{
	int rc = importer_flush(im);

	for (unsigned i = 0; i < NBATCH; i++)
		if (im->submitted[i]) {
			im->submitted[i] = 0;
			if (relay_wait(&im->rl, &im->b[i].job))
				rc = -1;
		}
	return rc;
}

static void importer_free(struct importer *im)
{
	for (unsigned i = 0; i < NBATCH; i++)
		if (im->submitted[i])
			relay_wait(&im->rl, &im->b[i].job);
	relay_stop(&im->rl);
	for (unsigned i = 0; i < NBATCH; i++)
		free(im->b[i].staging);
	free(im->zero);
}


/* The importer as the parser's sink (parse.h). */
static int sink_reserve(void *ctx, unsigned block, uint64_t first,
			uint64_t k, int zero, uint8_t **dst)
{
	return importer_reserve(ctx, (uint32_t)block, first, k, zero, dst);
}

/* The parser's failure, shown (a sink that failed has said why). */
int parse_said(struct in *s)
{
	if (s->msg[0])
		tool_err("%s", s->msg);
	s->msg[0] = 0;
	return -1;
}

static int tail_put(void *ctx, const uint8_t *p, size_t n)
{
	frc_writer_t *w = ctx;

	if (frc_writer_section_append(w, p, n)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	return 0;
}

/*
 * The metadata of a file made from QEMU (SPEC "QEMU migration sections (type
 * 16, since 1.1)").
 */
int set_qemu_metadata(frc_writer_t *w, const struct qemu_file *q)
{
	char val[32];

	snprintf(val, sizeof(val), "%u", q->ram_id);
	if (frc_writer_set_metadata(w, "hypervisor", "qemu") ||
	    frc_writer_set_metadata(w, "source-format",
				    q->mapped_ram ? "qemu-mapped-ram"
						  : "qemu-stream") ||
	    frc_writer_set_metadata(w, "machine-type", q->machine) ||
	    frc_writer_set_metadata(w, "qemu.stream-version", "3") ||
	    frc_writer_set_metadata(w, "qemu.ram-section-id", val) ||
	    frc_writer_set_metadata(w, "qemu.capabilities", q->caps)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	return 0;
}

/*
 * Section "qemu-ignore-shared" of a stream saved with x-ignore-shared: per
 * block, in order, be64 the address QEMU sent for it and u8 1 when QEMU
 * left its pages out (a shared memory file frc read itself), else 0.
 */
static int put_ignore_shared(frc_writer_t *w, const struct qemu_file *q)
{
	uint8_t rec[MAX_BLOCKS * 9];

	for (unsigned i = 0; i < q->nblocks; i++) {
		for (int k = 0; k < 8; k++)
			rec[i * 9 + (unsigned)k] =
				(uint8_t)(q->blocks[i].mr_addr >> (56 - 8 * k));
		rec[i * 9 + 8] = q->blocks[i].ignored ? 1 : 0;
	}
	if (frc_writer_add_section(w, FRC_SECTION_QEMU, 0, "qemu-ignore-shared",
				   rec, (size_t)q->nblocks * 9)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	return 0;
}

int import_to_frc(struct in *s, struct qemu_file *q, frc_writer_t *w,
		  const struct tool_compress *z)
{
	uint8_t *head = NULL;
	struct importer im;
	struct ram_sink sink = { sink_reserve, NULL, BATCH_PAGES };
	size_t nhead = 0;
	int rc = -1;

	s->capture = 1;
	if (read_head(s, q))
		return parse_said(s);
	s->capture = 0; /* the head ends after MEM_SIZE */
	if (read_ram_blocks(s, q))
		return parse_said(s);
	for (unsigned i = 0; i < q->nblocks; i++)
		if (frc_writer_add_region(w, q->blocks[i].id, q->blocks[i].used,
					  q->page_size, NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		} else if (z && q->blocks[i].used &&
			   tool_set_compression(w, i, z)) {
			return -1;
		}
	if (z && tool_set_base(w, z))
		return -1;
	/* the head is complete; a mapped-ram file's RAM framing after the
	 * pages is kept verbatim as its "commands" */
	head = s->cap;
	nhead = s->caplen;
	s->cap = NULL;
	s->caplen = s->capcap = 0;
	s->capture = q->mapped_ram;
	if (importer_init(&im, w, q->page_size)) {
		tool_err("out of memory or threads");
		goto out;
	}
	sink.ctx = &im;
	if ((rc = read_ram_sections(s, q, &sink)) != 0)
		parse_said(s);
	if (importer_finish(&im))
		rc = -1;
	if (rc)
		goto out;
	rc = -1;
	if (q->mapped_ram) {
		free(q->commands);
		q->commands = s->cap;
		q->ncommands = s->caplen;
		s->cap = NULL;
		s->capture = 0;
	}
	if (frc_writer_add_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-head",
				   head, nhead) ||
	    frc_writer_add_section(w, FRC_SECTION_QEMU, 0,
				   "qemu-stream-commands", q->commands,
				   q->ncommands)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	/* QEMU sends every page of a block it migrates (zero pages as
	 * ZERO records): a block without any was left out */
	for (unsigned i = 0; i < q->nblocks; i++)
		q->blocks[i].ignored = q->ignore_shared && !q->blocks[i].records;
	if (q->ignore_shared && put_ignore_shared(w, q))
		goto out;
	if (set_qemu_metadata(w, q))
		goto out;
	if (s->on_record)
		s->on_record(s->record_ctx, s->pos, "device-state");
	if (frc_writer_section_begin(w, FRC_SECTION_QEMU, 0, "qemu-stream-tail")) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	if (read_tail(s, 0, tail_put, w)) {
		parse_said(s);
		goto out;
	}
	if (frc_writer_section_end(w)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	rc = 0;
out:
	importer_free(&im);
	free(head);
	return rc;
}
