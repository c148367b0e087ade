/*
 * fuzz_common.h - hands a fuzz input to libfrc as a file (memfd, opened by
 * its /proc path: the reader works on paths, as real callers do).
 */
#ifndef FRC_FUZZ_COMMON_H
#define FRC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frc.h"

/* Writes data to a memfd and returns its path in buf, or NULL. */
static inline const char *fuzz_file(const uint8_t *data, size_t size,
				    char *buf, size_t len, int *fd)
{
	*fd = memfd_create("frc-fuzz", 0);
	if (*fd < 0)
		return NULL;
	if (size && write(*fd, data, size) != (ssize_t)size) {
		close(*fd);
		return NULL;
	}
	snprintf(buf, len, "/proc/self/fd/%d", *fd);
	return buf;
}

/* Touches everything the handle says, as a tool listing it would. */
static inline void fuzz_walk(frc_reader_t *r)
{
	frc_info_t in;
	char names[256];

	frc_reader_get_info(r, &in, sizeof(in));
	for (int k = 0; k < 3; k++)
		frc_reader_feature_names(r, k, ~UINT64_C(0), names,
					 sizeof(names));
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		uint32_t found;

		frc_reader_region(r, i, &g, sizeof(g));
		frc_reader_find_region(r, g.id, &found);
	}
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
	}
	for (uint32_t i = 0; i < frc_reader_metadata_count(r); i++) {
		const char *k, *v;

		frc_reader_metadata_item(r, i, &k, &v);
		frc_reader_metadata_get(r, k);
	}
}

/*
 * Writes the input to a file and runs `body` on a reader opened on it in
 * normal and in salvage mode.
 */
static inline void fuzz_each_open(const uint8_t *data, size_t size,
				  void (*body)(frc_reader_t *r))
{
	char path[64];
	int fd;

	if (!fuzz_file(data, size, path, sizeof(path), &fd))
		return;
	for (unsigned flags = 0; flags <= FRC_OPEN_SALVAGE; flags++) {
		frc_reader_t *r = frc_reader_new();

		if (frc_reader_open(r, path, flags) == FRC_OK)
			body(r);
		frc_reader_errmsg(r);
		frc_reader_free(r);
	}
	close(fd);
}

#endif /* FRC_FUZZ_COMMON_H */
