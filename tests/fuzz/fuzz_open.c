/*
 * fuzz_open.c - libFuzzer target: open and validate a file (normal and
 * salvage mode) and walk everything the reader reports. No page reads.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_open(data, size, fuzz_walk);
	return 0;
}
