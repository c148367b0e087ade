/*
 * api_example.c - the README's API example, compiled and run by
 * tests/install_test.sh against the installed library (pkg-config frc).
 * usage: api_example FILE.frc
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <frc.h>

int main(int argc, char **argv)
{
	static unsigned char page[4096];
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r = frc_reader_new();
	unsigned char back[4096];
	int rc;

	if (argc != 2)
		return 2;
	/* Save: declare a 1 MiB region of 4 KiB pages, write two pages. */
	rc = frc_writer_open(w, argv[1], NULL, 0);
	if (!rc)
		rc = frc_writer_add_region(w, "pc.ram", 1 << 20, 4096, NULL);
	memset(page, 0x5a, sizeof(page));
	if (!rc)
		rc = frc_writer_write_page(w, 0, 3, page); /* page 3 */
	if (!rc)
		rc = frc_writer_set_metadata(w, "hypervisor", "example");
	if (!rc)
		rc = frc_writer_commit(w, NULL, NULL);
	if (rc) {
		fprintf(stderr, "%s\n", frc_writer_errmsg(w));
		return 1;
	}
	frc_writer_free(w);

	/* Restore: open (validates structure), read page 3 verified. */
	rc = frc_reader_open(r, argv[1], 0);
	if (!rc)
		rc = frc_reader_read_page(r, 0, 3, back);
	if (!rc)
		rc = frc_reader_verify(r, NULL, NULL);
	if (rc) {
		fprintf(stderr, "%s (%s)\n", frc_reader_errmsg(r),
			frc_error_name(rc));
		return 1;
	}
	printf("page 3 %s, hypervisor=%s\n",
	       memcmp(back, page, sizeof(page)) ? "differs" : "matches",
	       frc_reader_metadata_get(r, "hypervisor"));
	frc_reader_free(r);
	return 0;
}
