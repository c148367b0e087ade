/*
 * fuzz_open.c - libFuzzer target: open and validate a file (normal and
 * salvage mode) and walk everything the reader reports. No page reads.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	if (!fuzz_file(data, size, path, sizeof(path), &fd))
		return 0;
	for (unsigned flags = 0; flags <= FRC_OPEN_SALVAGE; flags++) {
		frc_reader_t *r = frc_reader_new();

		if (frc_reader_open(r, path, flags) == FRC_OK)
			fuzz_walk(r);
		frc_reader_errmsg(r);
		frc_reader_free(r);
	}
	close(fd);
	return 0;
}
