/*
 * identity.h - the content identity of format 1.3 (SPEC "Content identity and
 * signatures"): SHA-256 leaves, nodes, section digests and the root, the
 * shape of a region's hash tree, the digest section's header and the
 * signature section, used by the writer and the reader alike. Not
 * installed.
 */
#ifndef FRC_IDENTITY_H
#define FRC_IDENTITY_H

#include <string.h>

#include "frc_internal.h"

#define FRC_DG_SIZE 32u           /* one SHA-256 digest */
#define FRC_DG_FANOUT_SHIFT 7u    /* groups of 128 */
#define FRC_DG_FANOUT (1u << FRC_DG_FANOUT_SHIFT)
#define FRC_DG_GROUP_BYTES (FRC_DG_FANOUT * FRC_DG_SIZE)
#define FRC_DG_LEVELS_MAX 8u      /* 2^33 pages need 5 */
#define FRC_DG_ALGO_SHA256 1u

/* SPEC "Digest section (type 3)": the first 64 bytes. */
#define FRC_DG_MAGIC "FRC-DGST"
#define FRC_DG_HEADER 64u
#define FRC_DG_MAGIC_AT 0
#define FRC_DG_ALGO_AT 8
#define FRC_DG_FANOUT_AT 9
#define FRC_DG_RESERVED1_AT 10  /* 2 bytes */
#define FRC_DG_REGIONS_AT 12
#define FRC_DG_SECTIONS_AT 16
#define FRC_DG_RESERVED2_AT 20  /* 12 bytes */
#define FRC_DG_ROOT_AT 32

/* SPEC "Signature section (type 4)". */
#define FRC_SG_MAGIC "FRC-SIGN"
#define FRC_SG_LENGTH 144u
#define FRC_SG_ALGO_AT 8
#define FRC_SG_RESERVED_AT 9    /* 7 bytes */
#define FRC_SG_KEY_AT 16
#define FRC_SG_ROOT_AT 48
#define FRC_SG_SIG_AT 80        /* over bytes [0, 80) */
#define FRC_SG_ALGO_ED25519 1u

/* Two digests are equal (the fuzz build without checksums takes every
 * digest as matching, as it takes every checksum). */
#ifdef FRC_FUZZ_NO_CHECKSUMS
#define FRC_DG_EQ(a, b) ((void)(a), (void)(b), true)
#else
#define FRC_DG_EQ(a, b) (memcmp((a), (b), FRC_DG_SIZE) == 0)
#endif

/* SPEC "Base section (type 6)" (snapshots on a base, 1.3). */
#define FRC_BS_MAGIC "FRC-BASE"
#define FRC_BS_HEADER 48u
#define FRC_BS_ROOT_AT 8
#define FRC_BS_HINT_LENGTH_AT 40
#define FRC_BS_RESERVED_AT 42 /* 6 bytes */
#define FRC_HINT_MAX 4095u

/* Prefix bytes of the hashed inputs (SPEC "Digests"). */
enum { FRC_DG_LEAF = 0, FRC_DG_NODE = 1, FRC_DG_SECT = 2, FRC_DG_ROOT = 3 };

/*
 * The shape of a region's tree: n[l] entries on level l (n[0] the pages),
 * h levels stored (0 for a region without pages), at[l] the index of level
 * l's first entry among the region's stored entries, `total` of them.
 */
struct frc_dg_shape {
	unsigned h;
	uint64_t n[FRC_DG_LEVELS_MAX + 1];
	uint64_t at[FRC_DG_LEVELS_MAX];
	uint64_t total;
};
void frc_dg_shape(uint64_t pages, struct frc_dg_shape *s) FRC_INTERNAL;

/* Incremental SHA-256 (OpenSSL's EVP), 0 or -1 when out of memory. */
struct frc_sha;
struct frc_sha *frc_sha_new(void) FRC_INTERNAL;
void frc_sha_update(struct frc_sha *c, const void *p, size_t n) FRC_INTERNAL;
void frc_sha_final(struct frc_sha *c, uint8_t out[FRC_DG_SIZE]) FRC_INTERNAL;
void frc_sha_free(struct frc_sha *c) FRC_INTERNAL;

/* SHA256(prefix || p[0, n)) with the calling thread's context: 0, or -1
 * when out of memory. */
int frc_dg_hash(uint8_t prefix, const void *p, size_t n,
		uint8_t out[FRC_DG_SIZE]) FRC_INTERNAL;
/* The leaf of a page of `len` zero bytes (cached per size). */
int frc_dg_zero_leaf(uint32_t len, uint8_t out[FRC_DG_SIZE]) FRC_INTERNAL;
/* The root of a region without pages: SHA256(0x01). */
void frc_dg_empty_root(uint8_t out[FRC_DG_SIZE]) FRC_INTERNAL;

/*
 * Fills the levels above level 0 of a tree whose stored entries `e` (shape
 * s) hold the leaves, and its region root into `root`; 0 or -1.
 */
int frc_dg_build(uint8_t *e, const struct frc_dg_shape *s,
		 uint8_t root[FRC_DG_SIZE]) FRC_INTERNAL;

/* A section digest: begins with its entry's fields, then the bytes. */
struct frc_sha *frc_dg_section_begin(const struct frc_section *s) FRC_INTERNAL;
bool frc_dg_section_covered(uint32_t type) FRC_INTERNAL;

/* The root over the region table and the digests (SPEC "Digests"). */
int frc_dg_root(const struct frc_region *const *regions, uint32_t nregions,
		const uint8_t *region_roots, const uint8_t *section_digests,
		uint32_t nsections, uint8_t root[FRC_DG_SIZE]) FRC_INTERNAL;

/* Bytes of a digest section for these regions and S covered sections, or
 * 0 when that does not fit in 64 bits. */
uint64_t frc_dg_section_length(const struct frc_region *const *regions,
			       uint32_t nregions, uint32_t nsections)
	FRC_INTERNAL;

/* Ed25519 (RFC 8032): 0 valid, 1 invalid, -1 out of memory. */
int frc_ed25519_verify(const uint8_t key[32], const uint8_t *msg,
		       size_t len, const uint8_t sig[64]) FRC_INTERNAL;
/* Signs with a 32-byte secret; its public key into pub: 0 or -1. */
int frc_ed25519_sign(const uint8_t secret[32], const uint8_t *msg,
		     size_t len, uint8_t sig[64], uint8_t pub[32]) FRC_INTERNAL;

#endif /* FRC_IDENTITY_H */
