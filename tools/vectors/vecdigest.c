/*
 * vecdigest.c - the content identity of format 1.3 for test vectors
 * (SPEC "Content identity and signatures"), computed from a vb_file model
 * and written from the SPEC alone, like vecbuild.c: no code is shared
 * with codec/, so that the vectors check libfrc instead of mirroring it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vecbuild.h"

#define D 32u
#define FANOUT 128u

static void sha(const uint8_t prefix, const void *parts[], const size_t lens[],
		unsigned n, uint8_t out[D])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = D;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		abort();
	EVP_DigestUpdate(c, &prefix, 1);
	for (unsigned i = 0; i < n; i++)
		if (lens[i])
			EVP_DigestUpdate(c, parts[i], lens[i]);
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

static void sha1p(uint8_t prefix, const void *p, size_t n, uint8_t out[D])
{
	const void *parts[] = { p };
	const size_t lens[] = { n };

	sha(prefix, parts, lens, 1, out);
}

/* The stored levels of a region of n pages: entries per level, height. */
static unsigned levels(uint64_t n, uint64_t count[])
{
	unsigned h = 0;

	count[0] = n;
	if (!n)
		return 0;
	while (1) {
		count[h + 1] = (count[h] + FANOUT - 1) / FANOUT;
		h++;
		if (count[h] == 1)
			return h;
	}
}

uint64_t vb_tree_entries(uint64_t pages)
{
	uint64_t count[16], total = 0;
	unsigned h = levels(pages, count);

	for (unsigned l = 0; l < h; l++)
		total += count[l];
	return total;
}


/* Region r's levels 0 to h-1 into e (vb_tree_entries() * 32 bytes), its
 * root into root. */
static void region_tree(const struct vb_region *r, uint8_t *e, uint8_t root[D])
{
	uint64_t count[16], at = 0;
	unsigned h = levels(r->used_length / r->page_size, count);
	uint8_t *page = malloc(r->page_size);

	if (!page)
		abort();
	if (!h) {
		sha1p(0x01, NULL, 0, root);
		free(page);
		return;
	}
	for (uint64_t i = 0; i < count[0]; i++) {
		vb_page_bytes(r, i, page);
		sha1p(0x00, page, r->page_size, e + i * D);
	}
	for (unsigned l = 0; l < h; l++) {
		uint8_t *lv = e + at * D;
		uint8_t *up = l + 1 < h ? lv + count[l] * D : root;

		for (uint64_t j = 0; j < count[l + 1]; j++) {
			uint64_t k = count[l] - j * FANOUT;

			sha1p(0x01, lv + j * FANOUT * D,
			      (k > FANOUT ? FANOUT : k) * D, up + j * D);
		}
		at += count[l];
	}
	free(page);
}

static bool covered(uint32_t type)
{
	return type != 4 && type != 5 && type != 6;
}

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void section_digest(const struct vb_section *s, uint8_t out[D])
{
	uint8_t head[10], len[8];
	const void *parts[] = { head, s->name, len, s->data };
	size_t lens[] = { 10, s->name_length, 8, s->length };

	le(head, s->type, 4);
	le(head + 4, s->flags, 4);
	le(head + 8, s->name_length, 2);
	le(len, s->length, 8);
	sha(0x02, parts, lens, 4, out);
}

/* The root field of digest section bytes d from the model's region table
 * and the region roots and ns section digests in d. */
static void root_of(const struct vb_file *f, uint8_t *d, uint32_t ns)
{
	uint8_t *rec, *p;

	rec = calloc(1, 8 + f->nregions * (14 + VB_MAX_ID + D) + 4 + ns * D);
	if (!rec)
		abort();
	p = rec;
	le(p, f->nregions, 4);
	p += 4;
	for (unsigned i = 0; i < f->nregions; i++) {
		const struct vb_region *r = &f->regions[i];

		le(p, r->used_length, 8);
		le(p + 8, r->page_size, 4);
		le(p + 12, r->id_length, 2);
		memcpy(p + 14, r->id, r->id_length);
		p += 14 + r->id_length;
		memcpy(p, d + 64 + i * D, D);
		p += D;
	}
	le(p, ns, 4);
	p += 4;
	memcpy(p, d + 64 + f->nregions * D, ns * D);
	p += ns * D;
	sha1p(0x03, rec, (size_t)(p - rec), d + 32);
	free(rec);
}

void vb_digests_reroot(struct vb_file *f, struct vb_section *s)
{
	root_of(f, s->data, (uint32_t)(s->data[16] | s->data[17] << 8));
}

struct vb_section *vb_add_digests(struct vb_file *f)
{
	uint32_t ns = 0;
	uint64_t total = 0, len, at;
	uint8_t *d, *roots, *sd;
	struct vb_section *s;

	for (unsigned i = 0; i < f->nsections; i++)
		ns += covered(f->sections[i].type);
	for (unsigned i = 0; i < f->nregions; i++)
		total += vb_tree_entries(f->regions[i].used_length /
					 f->regions[i].page_size);
	len = 64 + D * ((uint64_t)f->nregions + ns + total);
	d = calloc(1, len);
	if (!d)
		abort();
	memcpy(d, "FRC-DGST", 8);
	d[8] = 1;
	d[9] = 7;
	le(d + 12, f->nregions, 4);
	le(d + 16, ns, 4);
	roots = d + 64;
	sd = roots + D * f->nregions;
	at = 64 + D * ((uint64_t)f->nregions + ns);
	for (unsigned i = 0; i < f->nregions; i++) {
		const struct vb_region *r = &f->regions[i];

		region_tree(r, d + at, roots + i * D);
		at += D * vb_tree_entries(r->used_length / r->page_size);
	}
	ns = 0;
	for (unsigned i = 0; i < f->nsections; i++)
		if (covered(f->sections[i].type))
			section_digest(&f->sections[i], sd + D * ns++);
	root_of(f, d, ns);
	f->ro_compat |= 2;
	if (f->minor < 3)
		f->minor = 3;
	s = vb_add_section(f, 4, 0, "content-digests", d, len);
	free(d);
	return s;
}

/* The root of the file's digest section (the last one added). */
static const uint8_t *file_root(const struct vb_file *f)
{
	for (unsigned i = f->nsections; i-- > 0;)
		if (f->sections[i].type == 4 && f->sections[i].length >= 64)
			return f->sections[i].data + 32;
	abort();
}

struct vb_section *vb_add_signature(struct vb_file *f, uint8_t seed)
{
	uint8_t secret[32], b[144];
	size_t n = 32, siglen = 64;
	EVP_PKEY *k;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(secret, seed, sizeof(secret));
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret, 32);
	memset(b, 0, sizeof(b));
	memcpy(b, "FRC-SIGN", 8);
	b[8] = 1;
	if (!k || !c || EVP_PKEY_get_raw_public_key(k, b + 16, &n) != 1)
		abort();
	memcpy(b + 48, file_root(f), 32);
	/* Ed25519 is deterministic: the same vector every time */
	if (EVP_DigestSignInit(c, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(c, b + 80, &siglen, b, 80) != 1 || siglen != 64)
		abort();
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return vb_add_section(f, 5, 0, "signature", b, sizeof(b));
}

void vb_public_key(uint8_t seed, uint8_t pub[32])
{
	uint8_t secret[32];
	size_t n = 32;
	EVP_PKEY *k;

	memset(secret, seed, sizeof(secret));
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret, 32);
	if (!k || EVP_PKEY_get_raw_public_key(k, pub, &n) != 1)
		abort();
	EVP_PKEY_free(k);
}

void vb_digest_node(const void *p, size_t n, uint8_t out[32])
{
	sha1p(0x01, p, n, out);
}
