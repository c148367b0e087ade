/*
 * craft_file.c - makes damaged variants of a valid FRC file for the CLI
 * tests: craft_file MODE IN OUT, MODE one of
 *   incomplete        mark the file incomplete (resealed)
 *   unknown-incompat  set incompatible feature bit 9 (resealed)
 *   major2            format version 2.0 (resealed)
 *   flip-page R P     flip a bit in page P of region R (not resealed)
 *   tear-a            damage superblock copy A
 *   giant-region      region 0 claims 2^33 pages of 512 bytes (4 TiB),
 *                     all absent, its tables sparse and correctly sealed
 *   giant-section S   section 0 claims S bytes of zeros, sealed
 * The giant files are sparse: they hold a few KiB but claim terabytes.
 */
#include <fcntl.h>
#include <unistd.h>

#include "craft.h"

/* XXH3 of n zero bytes with seed `seed`, without allocating n bytes. */
static uint64_t hash_zeros(uint64_t n, uint64_t seed)
{
	static const uint8_t z[1 << 20];
	struct frc_stream_hash *h = frc_stream_new(seed);
	uint64_t d;

	for (; n; n -= n < sizeof(z) ? n : sizeof(z))
		frc_stream_update(h, z, n < sizeof(z) ? n : sizeof(z));
	d = frc_stream_digest(h);
	frc_stream_free(h);
	return d;
}

static void put_trailer(int fd, uint64_t off, uint64_t v)
{
	uint8_t b[8];

	frc_put64(b, v);
	if (pwrite(fd, b, 8, (off_t)off) != 8) {
		perror("craft_file");
		exit(1);
	}
}

/* Writes the small head of the image, then the sparse tail. */
static void save_sparse(struct image *im, const char *path, uint64_t length)
{
	img_save(im, path);
	if (truncate(path, (off_t)length) != 0) {
		perror(path);
		exit(1);
	}
}

static void giant_region(struct image *im, const char *out)
{
	const uint8_t *u = img_uuid(im);
	uint8_t *e = img_region(im, 0);
	uint64_t pages = UINT64_C(1) << 33, bm = frc_bitmap_bytes(pages);
	uint64_t at = (im->n + 4095) / 4096 * 4096, cs = at + bm + 8;
	uint64_t pg = (cs + pages * 8 + 8 + (1u << 20) - 1) >> 20 << 20;
	uint64_t end = pg + pages * 512;
	int fd;

	/* the region's old tables stay behind as unused bytes */
	frc_put64(e, pages * 512);
	frc_put32(e + 8, 512);
	frc_put64(e + 16, at);
	frc_put64(e + 24, cs);
	frc_put64(e + 32, pg);
	frc_put64(img_sb(im) + SB_FILELEN, end);
	reseal_tables(im);
	save_sparse(im, out, end);
	fd = open(out, O_WRONLY);
	put_trailer(fd, at + bm, hash_zeros(bm, frc_key(u, FRC_KEY_BITMAP, 0, 0)));
	put_trailer(fd, cs + pages * 8,
		    hash_zeros(pages * 8, frc_key(u, FRC_KEY_CSUM_TABLE, 0, 0)));
	close(fd);
}

static void giant_section(struct image *im, const char *out, uint64_t len)
{
	const uint8_t *u = img_uuid(im);
	uint8_t *e = img_section(im, 0);
	uint64_t at = (im->n + 4095) / 4096 * 4096;

	frc_put64(e + 8, at);
	frc_put64(e + 16, len);
	frc_put64(img_sb(im) + SB_FILELEN, at + len);
	reseal_tables(im); /* the section lies past the image: not rehashed */
	frc_put64(e + 24, hash_zeros(len, frc_key(u, FRC_KEY_SECTION, 0,
						 frc_get32(e))));
	reseal_tables(im);
	save_sparse(im, out, at + len);
}

static uint8_t *page_at(struct image *im, unsigned r, uint64_t p)
{
	uint8_t *e = img_region(im, r);

	return im->d + frc_get64(e + 32) + p * frc_get32(e + 8);
}

int main(int argc, char **argv)
{
	struct image im;
	const char *mode;

	if (argc < 4) {
		fprintf(stderr, "usage: craft_file MODE IN OUT [ARGS]\n");
		return 2;
	}
	mode = argv[1];
	img_load(&im, argv[2]);
	if (!strcmp(mode, "incomplete")) {
		frc_put64(img_sb(&im) + SB_INCOMPAT, FRC_INCOMPAT_INCOMPLETE);
		sync_slots(&im);
	} else if (!strcmp(mode, "unknown-incompat")) {
		frc_put64(img_sb(&im) + SB_INCOMPAT, UINT64_C(1) << 9);
		sync_slots(&im);
	} else if (!strcmp(mode, "major2")) {
		frc_put16(img_sb(&im) + SB_MAJOR, 2);
		sync_slots(&im);
	} else if (!strcmp(mode, "flip-page") && argc == 6) {
		page_at(&im, (unsigned)atoi(argv[4]), strtoull(argv[5], NULL, 0))[17] ^= 4;
	} else if (!strcmp(mode, "giant-region")) {
		giant_region(&im, argv[3]);
		img_free(&im);
		return 0;
	} else if (!strcmp(mode, "giant-section") && argc == 5) {
		giant_section(&im, argv[3], strtoull(argv[4], NULL, 0));
		img_free(&im);
		return 0;
	} else if (!strcmp(mode, "tear-a")) {
		memset(im.d + FRC_SLOT_A_OFFSET + 64, 0xee, 64);
	} else {
		fprintf(stderr, "craft_file: unknown mode '%s'\n", mode);
		return 2;
	}
	img_save(&im, argv[3]);
	img_free(&im);
	return 0;
}
