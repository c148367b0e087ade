/*
 * test_validation.c - every validation rule of the reader, triggered by a
 * crafted file and answered with the right error class (SPEC "Error classes").
 *
 * Each case starts from the same valid file, changes one thing, re-seals
 * the checksums that cover the change (so that the rule under test, not a
 * checksum, is what fails) unless the case is about a checksum, and checks
 * the code returned by open (or by verify, for rules checked there).
 */
#include "craft.h"
#include "testutil.h"

enum stage { AT_OPEN, AT_VERIFY };

struct vcase {
	const char *name;
	void (*mutate)(struct image *im);
	int expect;
	enum stage stage;
	const char *msg; /* a substring the error message must contain */
};

static const struct tu_region base_regions[] = {
	{ "pc.ram", 12, 4096 },
	{ "vga", 4, 65536 },
};

static const char *base_path(void)
{
	return tu_path("base.frc");
}

static int group_setup(void **state)
{
	if (tu_setup_dir(state))
		return -1;
	return tu_build(base_path(), base_regions, 2, 1);
}

static uint8_t *sbp(struct image *im)
{
	return img_sb(im);
}

/* ---- mutations ---- */
static void m_none(struct image *im) { (void)im; }
static void m_sig0(struct image *im) { im->d[0] = 0x88; }
static void m_sig_crlf(struct image *im) { im->d[4] = '\n'; }
static void m_short(struct image *im) { im->n = 5000; }
static void m_short_sig(struct image *im) { im->n = 4; }
static void m_cut_tail(struct image *im) { im->n -= 1; }
static void m_major2(struct image *im)
{
	frc_put16(sbp(im) + SB_MAJOR, 2);
	sync_slots(im);
}
static void m_minor9_long(struct image *im)
{
	/* A later minor: longer header whose extra bytes this reader skips. */
	frc_put16(sbp(im) + SB_MINOR, 9);
	frc_put32(sbp(im) + SB_HLEN, 512);
	memset(sbp(im) + 248, 0x5a, 256);
	sync_slots(im);
}
static void m_hlen_odd(struct image *im)
{
	frc_put32(sbp(im) + SB_HLEN, 260);
	sync_slots(im);
}
static void m_incompat_unknown(struct image *im)
{
	frc_put64(sbp(im) + SB_INCOMPAT, UINT64_C(1) << 5);
	sync_slots(im);
}
static void m_rocompat_unknown(struct image *im)
{
	frc_put64(sbp(im) + SB_ROCOMPAT, UINT64_C(1) << 3);
	sync_slots(im);
}
static void m_compat_unknown(struct image *im)
{
	frc_put64(sbp(im) + SB_COMPAT, UINT64_C(1) << 40);
	sync_slots(im);
}
static void m_incomplete(struct image *im)
{
	frc_put64(sbp(im) + SB_INCOMPAT, FRC_INCOMPAT_INCOMPLETE);
	sync_slots(im);
}
static void m_algo(struct image *im)
{
	sbp(im)[SB_ALGO] = 2;
	sync_slots(im);
}
static void m_reserved93(struct image *im)
{
	sbp(im)[94] = 1;
	sync_slots(im);
}
static void m_reserved208(struct image *im)
{
	sbp(im)[210] = 1; /* ignored by readers */
	sync_slots(im);
}
static void m_uuid0(struct image *im)
{
	memset(sbp(im) + SB_UUID, 0, 16);
	sync_slots(im);
}
static void m_align(struct image *im)
{
	frc_put32(sbp(im) + SB_ALIGN, 3000);
	sync_slots(im);
}
static void m_seq0(struct image *im)
{
	frc_put64(sbp(im) + SB_SEQ, 0);
	reseal_sb(im);
	memset(im->d + FRC_SLOT_B_OFFSET, 0, FRC_SLOT_SIZE);
}
static void m_sb_both_csum(struct image *im)
{
	im->d[FRC_SLOT_A_OFFSET + 30] ^= 1;
	im->d[FRC_SLOT_B_OFFSET + 30] ^= 1;
}
static void m_sb_a_torn(struct image *im)
{
	memset(im->d + FRC_SLOT_A_OFFSET + 100, 0xee, 50);
}
static void m_sb_b_torn(struct image *im)
{
	memset(im->d + FRC_SLOT_B_OFFSET + 100, 0xee, 50);
}
static void m_sb_both_empty(struct image *im)
{
	memset(im->d + FRC_SLOT_A_OFFSET, 0, 2 * FRC_SLOT_SIZE);
}
static void m_sb_same_seq_differ(struct image *im)
{
	frc_put64(im->d + FRC_SLOT_B_OFFSET + SB_SEQ, sb64(im, SB_SEQ));
	im->d[FRC_SLOT_B_OFFSET + 150] ^= 1; /* generator byte */
	reseal_sb(im);
}
static void m_sb_magic(struct image *im)
{
	sbp(im)[0] = 'X';
	im->d[FRC_SLOT_B_OFFSET] = 'X';
}
static void m_filelen(struct image *im)
{
	frc_put64(sbp(im) + SB_FILELEN, im->n + 4096);
	sync_slots(im);
}
static void m_rt_csum(struct image *im)
{
	im->d[sb64(im, SB_RT_OFF) + 1] ^= 0x40;
}
static void m_rt_oob(struct image *im)
{
	frc_put64(sbp(im) + SB_RT_OFF, im->n - 8);
	sync_slots(im);
}
static void m_rt_count_huge(struct image *im)
{
	frc_put32(sbp(im) + SB_RT_COUNT, 100000);
	sync_slots(im);
}
static void m_rt_len_bad(struct image *im)
{
	/* 8 more bytes than the entries fill, sealed over the new length */
	frc_put32(sbp(im) + SB_RT_LEN, sb32(im, SB_RT_LEN) + 8);
	reseal_tables(im);
}
static void m_page_size_npot(struct image *im)
{
	frc_put32(img_region(im, 0) + 8, 3072);
	frc_put64(img_region(im, 0), 3072 * 12);
	reseal_tables(im);
}
static void m_page_size_small(struct image *im)
{
	frc_put32(img_region(im, 0) + 8, 256);
	reseal_tables(im);
}
static void m_page_size_large(struct image *im)
{
	frc_put32(img_region(im, 0) + 8, 32u << 20);
	frc_put64(img_region(im, 0), 32u << 20);
	reseal_tables(im);
}
static void m_used_len(struct image *im)
{
	frc_put64(img_region(im, 0), 12 * 4096 - 100);
	reseal_tables(im);
}
static void m_dup_id(struct image *im)
{
	/* "vga" -> "pc." would not be equal; make region 1 "pc.ram"... the
	 * lengths differ, so rename region 0 to "vga\0\0\0" instead. */
	uint8_t *e = img_region(im, 0);

	frc_put16(e + 12, 3);
	memcpy(e + 64, "vga\0\0\0\0\0", 8);
	reseal_tables(im);
}
static void m_id_utf8(struct image *im)
{
	img_region(im, 0)[64] = 0xc0;
	reseal_tables(im);
}
static void m_id_empty(struct image *im)
{
	frc_put16(img_region(im, 0) + 12, 0);
	reseal_tables(im);
}
static void m_region_reserved(struct image *im)
{
	img_region(im, 0)[50] = 1;
	reseal_tables(im);
}
static void m_misaligned(struct image *im)
{
	uint8_t *e = img_region(im, 0);

	frc_put64(e + 32, frc_get64(e + 32) + 512);
	reseal_tables(im);
}
static void m_bitmap_oob(struct image *im)
{
	frc_put64(img_region(im, 0) + 16, (uint64_t)im->n);
	reseal_tables(im);
}
static void m_pages_overflow(struct image *im)
{
	frc_put64(img_region(im, 0) + 32, UINT64_MAX - 4095);
	reseal_tables(im);
}
static void m_overlap(struct image *im)
{
	uint8_t *e = img_region(im, 1);

	/* region 1's bitmap on top of region 0's */
	frc_put64(e + 16, frc_get64(img_region(im, 0) + 16));
	reseal_tables(im);
}
static void m_overlap_pages(struct image *im)
{
	uint8_t *e1 = img_region(im, 1);

	frc_put64(e1 + 32, frc_get64(img_region(im, 0) + 32));
	reseal_tables(im);
}
static void m_bitmap_csum(struct image *im)
{
	im->d[frc_get64(img_region(im, 0) + 16)] ^= 0x02;
}
static void m_bitmap_padding(struct image *im)
{
	/* 12 pages: bits 12..15 of byte 1 are padding */
	im->d[frc_get64(img_region(im, 0) + 16) + 1] |= 0x80;
	reseal_region(im, 0);
}
static void m_page_flip(struct image *im)
{
	im->d[frc_get64(img_region(im, 0) + 32) + 4096 + 77] ^= 0x10;
}
static void m_misdirected(struct image *im)
{
	/* page 2 (present) replaced by a copy of page 1 (present) */
	uint64_t p = frc_get64(img_region(im, 0) + 32);

	memcpy(im->d + p + 2 * 4096, im->d + p + 4096, 4096);
}
static void m_cross_region(struct image *im)
{
	/* copy page 1 of region 0 and its checksum into region 1's slot 0,
	 * padded: the checksum still cannot match (key and size differ) */
	uint8_t *e0 = img_region(im, 0), *e1 = img_region(im, 1);

	memcpy(im->d + frc_get64(e1 + 32), im->d + frc_get64(e0 + 32) + 4096,
	       4096);
}
static void m_csum_table(struct image *im)
{
	im->d[frc_get64(img_region(im, 0) + 24) + 8 + 3] ^= 0x01;
}
static void m_csum_absent_nonzero(struct image *im)
{
	/* page 0 of region 0 is absent; give it a checksum entry */
	frc_put64(im->d + frc_get64(img_region(im, 0) + 24), 12345);
	reseal_region(im, 0);
}
static void m_section_csum(struct image *im)
{
	im->d[frc_get64(img_section(im, 0) + 8)] ^= 0x01;
}
static void m_section_unknown_must(struct image *im)
{
	uint8_t *e = img_section(im, 0);

	frc_put32(e, 0x7777);
	frc_put32(e + 4, FRC_SECTION_MUST_UNDERSTAND);
	reseal_tables(im);
}
static void m_section_unknown_optional(struct image *im)
{
	frc_put32(img_section(im, 0), 0x7777);
	reseal_tables(im);
}
static void m_section_type0(struct image *im)
{
	frc_put32(img_section(im, 0), 0);
	reseal_tables(im);
}
static void m_section_oob(struct image *im)
{
	frc_put64(img_section(im, 0) + 16, UINT64_C(1) << 62);
	reseal_tables(im);
}
static void m_section_past_end(struct image *im)
{
	frc_put64(img_section(im, 0) + 16, im->n);
	reseal_tables(im);
}
static void m_two_metadata(struct image *im)
{
	frc_put32(img_section(im, 0), FRC_SECTION_METADATA);
	reseal_tables(im);
}
static void m_metadata_bad_key(struct image *im)
{
	uint8_t *e = img_section(im, 1);

	im->d[frc_get64(e + 8) + 6] = 'H'; /* "hypervisor" -> "Hypervisor" */
	reseal_tables(im);
}
static void m_st_csum(struct image *im)
{
	im->d[sb64(im, SB_ST_OFF) + 2] ^= 0x01;
}
static void m_ft_csum(struct image *im)
{
	im->d[sb64(im, SB_FT_OFF) + 9] ^= 0x01;
}
static void m_ft_named_feature(struct image *im)
{
	/* an unknown incompat bit 7 that the file's table names */
	uint8_t *ft = im->d + sb64(im, SB_FT_OFF);

	ft[1] = 7;
	memcpy(ft + 8, "fancy-new-thing\0\0\0", 18);
	frc_put64(sbp(im) + SB_INCOMPAT, UINT64_C(1) << 7);
	reseal_tables(im);
}

#define C(n, m, e, s, msg) { n, m, e, s, msg }
static const struct vcase cases[] = {
	C("valid", m_none, FRC_OK, AT_VERIFY, NULL),
	C("signature byte 0", m_sig0, FRC_E_BAD_SIGNATURE, AT_OPEN, "byte 0"),
	C("signature text-mode", m_sig_crlf, FRC_E_BAD_SIGNATURE, AT_OPEN,
	  "byte 4"),
	C("shorter than superblocks", m_short, FRC_E_TRUNCATED, AT_OPEN, "R-FIXED-SHORT"),
	C("shorter than signature", m_short_sig, FRC_E_TRUNCATED, AT_OPEN,
	  NULL),
	C("cut one byte", m_cut_tail, FRC_E_TRUNCATED, AT_OPEN, "R-FILE-LENGTH"),
	C("major 2", m_major2, FRC_E_UNSUPPORTED_VERSION, AT_OPEN,
	  "format version 2."),
	C("minor 9 longer header", m_minor9_long, FRC_OK, AT_VERIFY, NULL),
	C("header_length 260", m_hlen_odd, FRC_E_BAD_FIELD, AT_OPEN,
	  "header_length"),
	C("unknown incompat", m_incompat_unknown, FRC_E_UNSUPPORTED_FEATURE,
	  AT_OPEN, "bit 5"),
	C("named unknown incompat", m_ft_named_feature,
	  FRC_E_UNSUPPORTED_FEATURE, AT_OPEN, "fancy-new-thing"),
	C("unknown ro-compat", m_rocompat_unknown, FRC_OK, AT_VERIFY, NULL),
	C("unknown compat", m_compat_unknown, FRC_OK, AT_VERIFY, NULL),
	C("incomplete", m_incomplete, FRC_E_INCOMPLETE, AT_OPEN, "R-INCOMPLETE"),
	C("checksum algorithm 2", m_algo, FRC_E_UNSUPPORTED_FEATURE, AT_OPEN,
	  "algorithm 2"),
	C("reserved 93-95", m_reserved93, FRC_E_BAD_FIELD, AT_OPEN, "93-95"),
	C("reserved 208 ignored", m_reserved208, FRC_OK, AT_VERIFY, NULL),
	C("uuid zero", m_uuid0, FRC_E_BAD_FIELD, AT_OPEN, "UUID"),
	C("alignment 3000", m_align, FRC_E_BAD_FIELD, AT_OPEN, "data_alignment"),
	C("sequence 0", m_seq0, FRC_E_BAD_FIELD, AT_OPEN, "sequence"),
	C("both superblock checksums", m_sb_both_csum, FRC_E_CHECKSUM, AT_OPEN,
	  "superblock checksum"),
	C("copy A torn", m_sb_a_torn, FRC_OK, AT_VERIFY, NULL),
	C("copy B torn", m_sb_b_torn, FRC_OK, AT_VERIFY, NULL),
	C("both copies empty", m_sb_both_empty, FRC_E_BAD_FIELD, AT_OPEN,
	  "empty"),
	C("same sequence, different", m_sb_same_seq_differ, FRC_E_BAD_FIELD,
	  AT_OPEN, "differ"),
	C("superblock magic", m_sb_magic, FRC_E_BAD_FIELD, AT_OPEN, "magic"),
	C("file_length past end", m_filelen, FRC_E_TRUNCATED, AT_OPEN, NULL),
	C("region table checksum", m_rt_csum, FRC_E_CHECKSUM, AT_OPEN,
	  "region table"),
	C("region table out of bounds", m_rt_oob, FRC_E_OUT_OF_BOUNDS, AT_OPEN,
	  NULL),
	C("region count limit", m_rt_count_huge, FRC_E_LIMIT, AT_OPEN, "R-LIMITS"),
	C("region table length", m_rt_len_bad, FRC_E_BAD_FIELD, AT_OPEN,
	  "after its 2 entries"),
	C("page size 3072", m_page_size_npot, FRC_E_BAD_FIELD, AT_OPEN,
	  "page_size"),
	C("page size 256", m_page_size_small, FRC_E_BAD_FIELD, AT_OPEN,
	  "page_size"),
	C("page size 32 MiB", m_page_size_large, FRC_E_BAD_FIELD, AT_OPEN,
	  "page_size"),
	C("used_length not multiple", m_used_len, FRC_E_BAD_FIELD, AT_OPEN,
	  "multiple"),
	C("duplicate ids", m_dup_id, FRC_E_BAD_FIELD, AT_OPEN, "share"),
	C("id not UTF-8", m_id_utf8, FRC_E_BAD_FIELD, AT_OPEN, "UTF-8"),
	C("id empty", m_id_empty, FRC_E_BAD_FIELD, AT_OPEN, "id length"),
	C("region reserved", m_region_reserved, FRC_E_BAD_FIELD, AT_OPEN,
	  "reserved"),
	C("misaligned page area", m_misaligned, FRC_E_BAD_FIELD, AT_OPEN,
	  "aligned"),
	C("bitmap out of bounds", m_bitmap_oob, FRC_E_OUT_OF_BOUNDS, AT_OPEN,
	  "bitmap"),
	C("page area overflows", m_pages_overflow, FRC_E_OUT_OF_BOUNDS, AT_OPEN,
	  NULL),
	C("bitmaps overlap", m_overlap, FRC_E_OVERLAP, AT_OPEN, "overlaps"),
	C("page areas overlap", m_overlap_pages, FRC_E_OVERLAP, AT_OPEN,
	  "overlaps"),
	C("bitmap checksum", m_bitmap_csum, FRC_E_CHECKSUM, AT_OPEN, "bitmap"),
	C("bitmap padding", m_bitmap_padding, FRC_E_BAD_FIELD, AT_OPEN,
	  "padding"),
	C("page bit flip", m_page_flip, FRC_E_CHECKSUM, AT_VERIFY, "page 1"),
	C("misdirected page", m_misdirected, FRC_E_CHECKSUM, AT_VERIFY,
	  "page 2"),
	C("page from other region", m_cross_region, FRC_E_CHECKSUM, AT_VERIFY,
	  "'vga' page 0"),
	C("checksum table", m_csum_table, FRC_E_CHECKSUM, AT_VERIFY,
	  "checksum table"),
	C("absent page with checksum", m_csum_absent_nonzero, FRC_E_BAD_FIELD,
	  AT_VERIFY, "absent page 0"),
	C("section checksum", m_section_csum, FRC_E_CHECKSUM, AT_VERIFY,
	  "section 0"),
	C("unknown must-understand section", m_section_unknown_must,
	  FRC_E_UNSUPPORTED_FEATURE, AT_OPEN, "30583"),
	C("unknown optional section", m_section_unknown_optional, FRC_OK,
	  AT_VERIFY, NULL),
	C("section type 0", m_section_type0, FRC_E_BAD_FIELD, AT_OPEN,
	  "type is 0"),
	C("section out of bounds", m_section_oob, FRC_E_LIMIT, AT_OPEN,
	  "2^40"),
	C("section past the end", m_section_past_end, FRC_E_OUT_OF_BOUNDS,
	  AT_OPEN, "section"),
	C("two metadata sections", m_two_metadata, FRC_E_BAD_FIELD, AT_OPEN,
	  "metadata"),
	C("metadata key", m_metadata_bad_key, FRC_E_BAD_FIELD, AT_OPEN, "key"),
	C("section table checksum", m_st_csum, FRC_E_CHECKSUM, AT_OPEN,
	  "section table"),
	C("feature table checksum", m_ft_csum, FRC_E_CHECKSUM, AT_OPEN,
	  "feature-name"),
};

static void run_case(void **state)
{
	const struct vcase *c = *state;
	const char *path = tu_path("case.frc");
	struct image im;
	frc_reader_t *r = frc_reader_new();
	int rc;

	img_load(&im, base_path());
	c->mutate(&im);
	img_save(&im, path);
	img_free(&im);
	rc = frc_reader_open(r, path, 0);
	if (rc == FRC_OK && c->stage == AT_VERIFY)
		rc = frc_reader_verify(r, NULL, NULL);
	if (rc != c->expect || (c->msg && !strstr(frc_reader_errmsg(r), c->msg)))
		print_error("case '%s': got %s (%s), want %s with '%s'\n",
			    c->name, frc_error_name(rc), frc_reader_errmsg(r),
			    frc_error_name(c->expect), c->msg ? c->msg : "");
	assert_int_equal(rc, c->expect);
	if (c->msg)
		assert_non_null(strstr(frc_reader_errmsg(r), c->msg));
	if (rc != FRC_OK) /* every message names the file and a SPEC rule */
		assert_non_null(strstr(frc_reader_errmsg(r), path));
	frc_reader_free(r);
}

/* A read-only-compatible file opens read-only; the torn copy is reported. */
static void test_reported_state(void **state)
{
	const char *path = tu_path("state.frc");
	struct image im;
	frc_reader_t *r = frc_reader_new();
	frc_info_t in;

	(void)state;
	img_load(&im, base_path());
	m_rocompat_unknown(&im);
	m_sb_a_torn(&im);
	img_save(&im, path);
	img_free(&im);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	frc_reader_get_info(r, &in, sizeof(in));
	assert_int_equal(in.read_only, 1);
	assert_int_equal(in.unknown_ro_compat, UINT64_C(1) << 3);
	assert_int_equal(in.slot_used, 1);
	assert_int_equal(in.other_slot, -1);
	assert_int_equal(in.other_slot_error, FRC_E_CHECKSUM);
	frc_reader_free(r);
}

/* Salvage mode reads around a damaged bitmap. */
static void test_salvage_bad_bitmap(void **state)
{
	const char *path = tu_path("salv.frc");
	struct image im;
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint8_t want[4096], got[4096];

	(void)state;
	img_load(&im, base_path());
	m_bitmap_csum(&im);
	img_save(&im, path);
	img_free(&im);
	assert_int_equal(frc_reader_open(r, path, FRC_OPEN_SALVAGE), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	assert_int_equal(g.bitmap_valid, 0);
	tu_page(want, 4096, 0, 1);
	assert_int_equal(frc_reader_read_page(r, 0, 1, got), FRC_E_INCOMPLETE);
	assert_memory_equal(got, want, 4096);
	/* every other way to read the region says so too */
	{
		uint64_t size = g.page_count * g.page_size;
		uint8_t *all = malloc(size ? size : 1);

		assert_non_null(all);
		assert_int_equal(frc_reader_read_pages(r, 0, 0, 1, got),
				 FRC_E_INCOMPLETE);
		assert_int_equal(frc_reader_read_region(r, 0, all, size, NULL,
							NULL),
				 FRC_E_INCOMPLETE);
		assert_int_equal(frc_reader_read_region_parallel(r, 0, all, size,
								 2, NULL, NULL),
				 FRC_E_INCOMPLETE);
		free(all);
	}
	assert_int_equal(frc_reader_region(r, 1, &g, sizeof(g)), FRC_OK);
	assert_int_equal(g.bitmap_valid, 1);
	frc_reader_free(r);
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[N + 2];

	for (size_t i = 0; i < N; i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(
			run_case, (void *)&cases[i]);
		tests[i].name = cases[i].name;
	}
	tests[N] = (struct CMUnitTest)cmocka_unit_test(test_reported_state);
	tests[N + 1] =
		(struct CMUnitTest)cmocka_unit_test(test_salvage_bad_bitmap);
	return _cmocka_run_group_tests("validation", tests, N + 2, group_setup,
				       tu_teardown_dir);
}
