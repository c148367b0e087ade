/*
 * zstd_count_shim.c - LD_PRELOAD shim that counts Zstandard frame
 * decompressions (ZSTD_decompressDCtx) of a program and writes the count to
 * $FRC_ZSTD_COUNT at exit: tests assert how often a frame is decoded
 * without timing anything.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef size_t (*decompress_fn)(void *, void *, size_t, const void *, size_t);

static unsigned long calls;

size_t ZSTD_decompressDCtx(void *dctx, void *dst, size_t cap, const void *src,
			   size_t n);
size_t ZSTD_decompressDCtx(void *dctx, void *dst, size_t cap, const void *src,
			   size_t n)
{
	static decompress_fn real;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "ZSTD_decompressDCtx");
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return real(dctx, dst, cap, src, n);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("FRC_ZSTD_COUNT");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f) {
		fprintf(f, "%lu\n", calls);
		fclose(f);
	}
}
