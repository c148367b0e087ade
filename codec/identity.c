/*
 * identity.c - SPEC "Content identity and signatures" (format 1.3): the
 * hashed inputs (leaf, node, section, root, each with its prefix byte),
 * the shape of a region's tree, and Ed25519, on OpenSSL's libcrypto.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "identity.h"

/* ---- SHA-256 ---- */

struct frc_sha {
	EVP_MD_CTX *ctx;
};

/*
 * SHA-256 fetched once from OpenSSL's default provider: EVP_sha256() would
 * have every EVP_DigestInit_ex() look the algorithm up again (an implicit
 * fetch, which costs about as much as hashing a 4 KiB page).
 */
static EVP_MD *fetched;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&fetch_once, fetch_sha256);
	return fetched ? fetched : EVP_sha256();
}

struct frc_sha *frc_sha_new(void)
{
	struct frc_sha *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || EVP_DigestInit_ex(c->ctx, sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->ctx);
		free(c);
		return NULL;
	}
	return c;
}

void frc_sha_update(struct frc_sha *c, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(c->ctx, p, n);
}

void frc_sha_final(struct frc_sha *c, uint8_t out[FRC_DG_SIZE])
{
	unsigned len = FRC_DG_SIZE;

	EVP_DigestFinal_ex(c->ctx, out, &len);
}

void frc_sha_free(struct frc_sha *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	free(c);
}

/*
 * One context per thread, kept for the thread's life: hashing a page must
 * not cost an allocation (pages are hashed on every writer and reader
 * thread).
 */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_release(void *p)
{
	EVP_MD_CTX_free(p);
}

static void ctx_key_make(void)
{
	(void)pthread_key_create(&ctx_key, ctx_release);
}

static EVP_MD_CTX *thread_ctx(void)
{
	EVP_MD_CTX *c;

	pthread_once(&ctx_once, ctx_key_make);
	c = pthread_getspecific(ctx_key);
	if (!c) {
		c = EVP_MD_CTX_new();
		if (c && pthread_setspecific(ctx_key, c) != 0) {
			EVP_MD_CTX_free(c);
			c = NULL;
		}
	}
	return c;
}

int frc_dg_hash(uint8_t prefix, const void *p, size_t n,
		uint8_t out[FRC_DG_SIZE])
{
	EVP_MD_CTX *c = thread_ctx();
	unsigned len = FRC_DG_SIZE;

	if (!c || EVP_DigestInit_ex(c, sha256(), NULL) != 1)
		return -1;
	EVP_DigestUpdate(c, &prefix, 1);
	if (n)
		EVP_DigestUpdate(c, p, n);
	return EVP_DigestFinal_ex(c, out, &len) == 1 ? 0 : -1;
}

/* Zero leaves of the page sizes met so far: 512 B to 16 MiB, 16 sizes. */
static struct {
	pthread_mutex_t lock;
	uint32_t done; /* bit k: size 512 << k computed */
	uint8_t leaf[16][FRC_DG_SIZE];
} zero_leaves = { PTHREAD_MUTEX_INITIALIZER, 0, { { 0 } } };

int frc_dg_zero_leaf(uint32_t len, uint8_t out[FRC_DG_SIZE])
{
	unsigned k = 0;
	int rc = 0;

	while (k < 16 && (FRC_PAGE_SIZE_MIN << k) != len)
		k++;
	if (k == 16)
		return -1;
	pthread_mutex_lock(&zero_leaves.lock);
	if (!(zero_leaves.done & (1u << k))) {
		uint8_t *z = calloc(1, len);

		rc = z ? frc_dg_hash(FRC_DG_LEAF, z, len, zero_leaves.leaf[k])
		       : -1;
		free(z);
		if (!rc)
			zero_leaves.done |= 1u << k;
	}
	if (!rc)
		memcpy(out, zero_leaves.leaf[k], FRC_DG_SIZE);
	pthread_mutex_unlock(&zero_leaves.lock);
	return rc;
}

void frc_dg_empty_root(uint8_t out[FRC_DG_SIZE])
{
	/* SHA256(0x01): a node of no children; fixed, so never fails but
	 * for memory, which a caller then sees as a mismatch */
	if (frc_dg_hash(FRC_DG_NODE, NULL, 0, out))
		memset(out, 0, FRC_DG_SIZE);
}

/* ---- the tree of a region ---- */

void frc_dg_shape(uint64_t pages, struct frc_dg_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->n[0] = pages;
	if (!pages)
		return;
	/* level l+1 has ceil(n_l / 128) entries; h is the first level >= 1
	 * with one entry (at most 5 for 2^33 pages) */
	for (unsigned l = 0;; l++) {
		s->at[l] = s->total;
		s->total += s->n[l];
		s->n[l + 1] = (s->n[l] + FRC_DG_FANOUT - 1) >> FRC_DG_FANOUT_SHIFT;
		if (s->n[l + 1] == 1) {
			s->h = l + 1;
			return;
		}
	}
}

int frc_dg_build(uint8_t *e, const struct frc_dg_shape *s,
		 uint8_t root[FRC_DG_SIZE])
{
	if (!s->h) {
		frc_dg_empty_root(root);
		return 0;
	}
	for (unsigned l = 0; l < s->h; l++) {
		const uint8_t *lv = e + s->at[l] * FRC_DG_SIZE;
		uint8_t *up = l + 1 < s->h ? e + s->at[l + 1] * FRC_DG_SIZE
					   : root;

		for (uint64_t j = 0; j < s->n[l + 1]; j++) {
			uint64_t first = j << FRC_DG_FANOUT_SHIFT;
			uint64_t k = s->n[l] - first;

			if (k > FRC_DG_FANOUT)
				k = FRC_DG_FANOUT;
			if (frc_dg_hash(FRC_DG_NODE, lv + first * FRC_DG_SIZE,
					k * FRC_DG_SIZE,
					up + j * FRC_DG_SIZE))
				return -1;
		}
	}
	return 0;
}

/* ---- sections and the root ---- */

bool frc_dg_section_covered(uint32_t type)
{
	return type != FRC_SECTION_DIGESTS && type != FRC_SECTION_SIGNATURE &&
	       type != FRC_SECTION_BASE;
}

struct frc_sha *frc_dg_section_begin(const struct frc_section *s)
{
	struct frc_sha *c = frc_sha_new();
	uint8_t b[1 + 4 + 4 + 2];

	if (!c)
		return NULL;
	b[0] = FRC_DG_SECT;
	frc_put32(b + 1, s->type);
	frc_put32(b + 5, s->flags);
	frc_put16(b + 9, (uint16_t)s->name_length);
	frc_sha_update(c, b, sizeof(b));
	frc_sha_update(c, s->name, s->name_length);
	frc_put64(b, s->length);
	frc_sha_update(c, b, 8);
	return c;
}

int frc_dg_root(const struct frc_region *const *regions, uint32_t nregions,
		const uint8_t *region_roots, const uint8_t *section_digests,
		uint32_t nsections, uint8_t root[FRC_DG_SIZE])
{
	struct frc_sha *c = frc_sha_new();
	uint8_t b[8 + 4 + 2];

	if (!c)
		return -1;
	b[0] = FRC_DG_ROOT;
	frc_put32(b + 1, nregions);
	frc_sha_update(c, b, 5);
	for (uint32_t i = 0; i < nregions; i++) {
		const struct frc_region *rg = regions[i];

		frc_put64(b, rg->used_length);
		frc_put32(b + 8, rg->page_size);
		frc_put16(b + 12, (uint16_t)rg->id_length);
		frc_sha_update(c, b, 14);
		frc_sha_update(c, rg->id, rg->id_length);
		frc_sha_update(c, region_roots + (uint64_t)i * FRC_DG_SIZE,
			       FRC_DG_SIZE);
	}
	frc_put32(b, nsections);
	frc_sha_update(c, b, 4);
	frc_sha_update(c, section_digests, (size_t)nsections * FRC_DG_SIZE);
	frc_sha_final(c, root);
	frc_sha_free(c);
	return 0;
}

uint64_t frc_dg_section_length(const struct frc_region *const *regions,
			       uint32_t nregions, uint32_t nsections)
{
	uint64_t entries = (uint64_t)nregions + nsections;

	for (uint32_t i = 0; i < nregions; i++) {
		struct frc_dg_shape s;

		frc_dg_shape(regions[i]->page_count, &s);
		entries += s.total; /* at most 2^33 + 2^27 per region */
	}
	if (entries > (UINT64_MAX - FRC_DG_HEADER) / FRC_DG_SIZE)
		return 0;
	return FRC_DG_HEADER + entries * FRC_DG_SIZE;
}

/* ---- Ed25519 ---- */

int frc_ed25519_verify(const uint8_t key[32], const uint8_t *msg,
		       size_t len, const uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
						  32);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -1;

	if (!c)
		goto out;
	/* a key OpenSSL refuses (not a curve point) verifies nothing */
	if (!k || EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) != 1) {
		rc = 1;
		goto out;
	}
	rc = EVP_DigestVerify(c, sig, 64, msg, len) == 1 ? 0 : 1;
out:
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int frc_ed25519_sign(const uint8_t secret[32], const uint8_t *msg,
		     size_t len, uint8_t sig[64], uint8_t pub[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   secret, 32);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t siglen = 64, publen = 32;
	int rc = -1;

	if (k && c && EVP_PKEY_get_raw_public_key(k, pub, &publen) == 1 &&
	    EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(c, sig, &siglen, msg, len) == 1 && siglen == 64)
		rc = 0;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return rc;
}
