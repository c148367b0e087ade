/*
 * craft_file.c - makes damaged variants of a valid FRC file for the CLI
 * tests: craft_file MODE IN OUT, MODE one of
 *   incomplete        mark the file incomplete (resealed)
 *   unknown-incompat  set incompatible feature bit 9 (resealed)
 *   major2            format version 2.0 (resealed)
 *   flip-page R P     flip a bit in page P of region R (not resealed)
 *   tear-a            damage superblock copy A
 */
#include "craft.h"

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
