/*
 * fuzz_read.c - libFuzzer target: open a file, verify everything (going on
 * after problems), read every page and section, restore and map every
 * region. Sizes are bounded so that one input stays cheap.
 */
#include <string.h>

#include "fuzz_common.h"

#define MAX_REGION (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_problem(void *ctx, const frc_problem_t *p)
{
	(void)p;
	return ++*(int *)ctx > 1000; /* stop after many */
}

static void read_regions(frc_reader_t *r)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		const void *map;
		uint8_t *buf;

		frc_reader_region(r, i, &g, sizeof(g));
		if (g.used_length > MAX_REGION)
			continue;
		buf = malloc(g.used_length + 1);
		if (!buf)
			continue;
		for (uint64_t p = 0; p < g.page_count; p++)
			if (frc_reader_read_page(r, i, p, buf) == FRC_OK)
				frc_reader_verify_page(r, i, p, buf);
		frc_reader_read_region(r, i, buf, g.used_length, NULL, NULL);
		frc_reader_read_region_parallel(r, i, buf, g.used_length, 2,
						NULL, NULL);
		if (frc_reader_map_region(r, i, &map) == FRC_OK && map) {
			volatile uint8_t x = ((const uint8_t *)map)[0];

			(void)x;
			frc_reader_unmap_region(r, i, map);
		}
		free(buf);
	}
}

static void read_sections(frc_reader_t *r)
{
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;
		uint8_t *buf;

		frc_reader_section(r, i, &s, sizeof(s));
		if (s.length > MAX_REGION)
			continue;
		buf = malloc(s.length + 1);
		if (buf)
			frc_reader_read_section(r, i, buf, s.length);
		free(buf);
	}
}

static void read_everything(frc_reader_t *r)
{
	int problems = 0;

	fuzz_walk(r);
	frc_reader_verify_all(r, count_problem, &problems, NULL, NULL, NULL);
	read_regions(r);
	read_sections(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_open(data, size, read_everything);
	return 0;
}
