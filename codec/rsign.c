/*
 * rsign.c - the content root and signatures of an open file (SPEC
 * "Signature section (type 5)", R-SG-VERIFY), and a signature added in
 * place as a commit: the new section and section table after the old
 * file_length, flushed, then the superblock copy that is not current, then
 * the other; every kill point leaves the old file or the signed one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_internal.h"

#define FRC_SIGNATURE_INFO_MIN FRC_ABI_END(frc_signature_info_t, root)

static int need_digests(const frc_reader_t *r, const char *func)
{
	int rc = frc_reader_usable(r, func);

	if (rc)
		return rc;
	if (r->dg_section < 0)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOT_FOUND,
				      "%s: the file has no content digests "
				      "(format 1.3; written with --digest)",
				      r->path);
	return FRC_OK;
}

FRC_API int frc_reader_content_root(const frc_reader_t *r,
				    uint8_t root[FRC_ROOT_SIZE])
{
	int rc = need_digests(r, __func__);

	if (rc)
		return rc;
	if (!root)
		return FRC_MISUSE(r, "root is NULL");
	memcpy(root, r->root, FRC_ROOT_SIZE);
	return FRC_OK;
}

FRC_API uint32_t frc_reader_signature_count(const frc_reader_t *r)
{
	return r && r->open_ok ? r->nsigs : 0;
}

FRC_API int frc_reader_signature(const frc_reader_t *r, uint32_t index,
				 frc_signature_info_t *out, size_t size)
{
	frc_signature_info_t in;
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (index >= r->nsigs)
		return FRC_MISUSE(r, "no signature %u (%u in the file)", index,
				  r->nsigs);
	memset(&in, 0, sizeof(in));
	in.section = r->sigs[index].section;
	in.algorithm = r->sigs[index].bytes[FRC_SG_ALGO_AT];
	memcpy(in.public_key, r->sigs[index].bytes + FRC_SG_KEY_AT,
	       FRC_KEY_SIZE);
	memcpy(in.root, r->sigs[index].bytes + FRC_SG_ROOT_AT, FRC_ROOT_SIZE);
	return frc_abi_out(r, __func__, out, size, &in, sizeof(in),
			   FRC_SIGNATURE_INFO_MIN);
}

FRC_API int frc_reader_check_signature(frc_reader_t *r,
				       const uint8_t key[FRC_KEY_SIZE])
{
	int rc = need_digests(r, __func__), seen = 0, stale = 0;

	if (rc)
		return rc == FRC_E_NOT_FOUND
			       ? frc_r_fail(r, FRC_E_SIGNATURE, 0, "R-SG-VERIFY",
					    "the file has no content digests, "
					    "so nothing in it can be signed")
			       : rc;
	if (!key)
		return FRC_MISUSE(r, "key is NULL");
	for (uint32_t i = 0; i < r->nsigs; i++) {
		const uint8_t *b = r->sigs[i].bytes;
		int v;

		if (b[FRC_SG_ALGO_AT] != FRC_SG_ALGO_ED25519 ||
		    memcmp(b + FRC_SG_KEY_AT, key, FRC_KEY_SIZE) != 0)
			continue;
		seen++;
		if (memcmp(b + FRC_SG_ROOT_AT, r->root, FRC_ROOT_SIZE) != 0) {
			stale++;
			continue;
		}
		v = frc_ed25519_verify(key, b, FRC_SG_SIG_AT, b + FRC_SG_SIG_AT);
		if (v < 0)
			return frc_r_fail(r, FRC_E_NOMEM, 0, NULL,
					  "out of memory");
		if (v == 0)
			return FRC_OK;
	}
	if (!seen)
		return frc_r_fail(r, FRC_E_SIGNATURE, 0, "R-SG-VERIFY",
				  "no signature by this key (%u signature%s "
				  "by other keys)", r->nsigs,
				  r->nsigs == 1 ? "" : "s");
	return frc_r_fail(r, FRC_E_SIGNATURE, 0, "R-SG-VERIFY",
			  "%d signature%s by this key, none valid for the "
			  "file's content root%s", seen, seen == 1 ? "" : "s",
			  stale ? " (signed another root: the content "
				  "changed after signing)"
				: " (the signature does not verify)");
}

/* ---- signing in place ---- */

static int sign_io(frc_reader_t *r, const char *what, int err)
{
	return frc_fail_errno(FRC_ERR(r), r->path, what, err);
}

/* The file is still the one opened: its current superblock copy has the
 * same bytes, and it is as long. */
static int same_file(frc_reader_t *r, int fd, uint8_t *slot, uint64_t slot_at)
{
	uint8_t now[FRC_SLOT_SIZE];
	struct stat st;
	int err;

	if (fstat(fd, &st) != 0)
		return sign_io(r, "cannot stat", errno);
	err = frc_pread_full(fd, now, FRC_SLOT_SIZE, slot_at);
	if (err)
		return sign_io(r, "cannot read the superblock", err < 0 ? EIO
									: err);
	if ((uint64_t)st.st_size != r->size ||
	    memcmp(now, slot, FRC_SLOT_SIZE) != 0)
		return frc_fail_plain(FRC_ERR(r), FRC_E_MISUSE,
				      "%s: the file changed after it was "
				      "opened; nothing was written", r->path);
	return FRC_OK;
}

/* The old section table's entries and the new one, sealed. */
static uint8_t *new_table(frc_reader_t *r, const struct frc_section *sig,
			  uint64_t *len)
{
	uint64_t n = FRC_TRAILER, pos = 0;
	uint8_t *t;

	for (uint32_t i = 0; i < r->nsections; i++)
		n += frc_section_entry_size(r->sections[i].name_length);
	n += frc_section_entry_size(sig->name_length);
	t = calloc(1, n);
	if (!t)
		return NULL;
	for (uint32_t i = 0; i < r->nsections; i++) {
		frc_section_encode(&r->sections[i], t + pos);
		pos += frc_section_entry_size(r->sections[i].name_length);
	}
	frc_section_encode(sig, t + pos);
	frc_table_seal(t, n, frc_key(r->sb.uuid, FRC_KEY_SECTION_TABLE, 0, 0));
	*len = n;
	return t;
}

/* A superblock copy of the signed file: the current one's bytes with the
 * section table, file_length and sequence changed, sealed again. */
static void patch_slot(const frc_reader_t *r, uint8_t *b, uint64_t seq,
		       uint64_t st_off, uint64_t st_len, uint64_t end)
{
	uint32_t hl = r->sb.header_length;

	frc_put64(b + FRC_SB_SEQUENCE_AT, seq);
	frc_put64(b + FRC_SB_ST_OFFSET_AT, st_off);
	frc_put32(b + FRC_SB_ST_LENGTH_AT, (uint32_t)st_len);
	frc_put32(b + FRC_SB_ST_COUNT_AT, r->nsections + 1);
	frc_put64(b + FRC_SB_FILE_LENGTH_AT, end);
	frc_put64(b + hl - 8, frc_hash(b, hl - 8, 0));
}

static int write_synced(frc_reader_t *r, int fd, const void *p, size_t n,
			uint64_t off, const char *what)
{
	int err = frc_pwrite_full(fd, p, n, off);

	if (!err && fdatasync(fd) != 0)
		err = errno;
	return err ? sign_io(r, what, err) : FRC_OK;
}

FRC_API int frc_reader_sign(frc_reader_t *r, const uint8_t secret[FRC_KEY_SIZE],
			    uint8_t public_key[FRC_KEY_SIZE])
{
	struct frc_section sig = { FRC_SECTION_SIGNATURE, 0, 0, FRC_SG_LENGTH,
				   0, (char *)"signature", 9 };
	uint8_t body[FRC_SG_LENGTH], slot[FRC_SLOT_SIZE], pub[FRC_KEY_SIZE];
	uint64_t cur = r && r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET;
	uint64_t other = cur == FRC_SLOT_A_OFFSET ? FRC_SLOT_B_OFFSET
						  : FRC_SLOT_A_OFFSET;
	uint64_t st_off, st_len = 0, end;
	uint8_t *table = NULL;
	int fd = -1, rc = need_digests(r, __func__);

	if (rc)
		return rc;
	if (!secret)
		return FRC_MISUSE(r, "secret is NULL");
	if (!r->complete || r->read_only || (r->flags & FRC_OPEN_SALVAGE) ||
	    r->nsections >= FRC_SECTIONS_MAX)
		return frc_fail_plain(FRC_ERR(r), FRC_E_READ_ONLY,
				      "%s: this file may not be modified "
				      "(incomplete, salvage mode, an unknown "
				      "ro-compat feature, or %u sections)",
				      r->path, FRC_SECTIONS_MAX);
	/* the section: magic, algorithm, key, root, then the signature of
	 * those 80 bytes */
	memset(body, 0, sizeof(body));
	memcpy(body, FRC_SG_MAGIC, 8);
	body[FRC_SG_ALGO_AT] = FRC_SG_ALGO_ED25519;
	if (frc_ed25519_sign(secret, body, 0, body + FRC_SG_SIG_AT, pub))
		return frc_fail_plain(FRC_ERR(r), FRC_E_MISUSE,
				      "the secret is not an Ed25519 key");
	memcpy(body + FRC_SG_KEY_AT, pub, FRC_KEY_SIZE);
	memcpy(body + FRC_SG_ROOT_AT, r->root, FRC_ROOT_SIZE);
	if (frc_ed25519_sign(secret, body, FRC_SG_SIG_AT, body + FRC_SG_SIG_AT,
			     pub))
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	/* placed after the old file_length, as a commit places sections */
	sig.offset = frc_align_up(r->sb.file_length, 8);
	sig.checksum = frc_hash(body, FRC_SG_LENGTH,
				frc_key(r->sb.uuid, FRC_KEY_SECTION,
					r->nsections, FRC_SECTION_SIGNATURE));
	st_off = frc_align_up(sig.offset + FRC_SG_LENGTH, 8);
	table = new_table(r, &sig, &st_len);
	if (!table)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	end = st_off + st_len;
	fd = open(r->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = sign_io(r, "cannot open for writing", errno);
		goto out;
	}
	rc = frc_r_read(r, slot, FRC_SLOT_SIZE, cur, "superblock");
	if (!rc)
		rc = same_file(r, fd, slot, cur);
	/* SPEC "Commit" step 1-2: the section and the table, durable */
	if (!rc)
		rc = write_synced(r, fd, body, FRC_SG_LENGTH, sig.offset,
				  "cannot write the signature");
	if (!rc)
		rc = write_synced(r, fd, table, st_len, st_off,
				  "cannot write the section table");
	/* steps 3-4: the other copy becomes current, then this one */
	if (!rc) {
		patch_slot(r, slot, r->sb.sequence + 1, st_off, st_len, end);
		rc = write_synced(r, fd, slot, FRC_SLOT_SIZE, other,
				  "cannot write the superblock");
	}
	if (!rc) {
		patch_slot(r, slot, r->sb.sequence + 2, st_off, st_len, end);
		rc = write_synced(r, fd, slot, FRC_SLOT_SIZE, cur,
				  "cannot write the superblock");
	}
	if (!rc && public_key)
		memcpy(public_key, pub, FRC_KEY_SIZE);
out:
	if (fd >= 0)
		close(fd);
	free(table);
	return rc;
}
