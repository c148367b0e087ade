/*
 * digest.c - SHA-256 hex digests with OpenSSL's EVP interface.
 */
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "digest.h"

struct digest *digest_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "frc: cannot initialise SHA-256\n");
		exit(1);
	}
	return (struct digest *)ctx;
}

void digest_update(struct digest *d, const void *p, size_t n)
{
	EVP_DigestUpdate((EVP_MD_CTX *)d, p, n);
}

void digest_final(struct digest *d, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)d, md, &len);
	EVP_MD_CTX_free((EVP_MD_CTX *)d);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void digest_buffer(const void *p, size_t n, char hex[65])
{
	struct digest *d = digest_new();

	digest_update(d, p, n);
	digest_final(d, hex);
}

int digest_file(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	struct digest *d;
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	d = digest_new();
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		digest_update(d, buf, n);
	digest_final(d, hex);
	fclose(f);
	return 0;
}
