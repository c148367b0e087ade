/*
 * frc_sign.c - `frc sign` and `frc verify`: Ed25519 signatures of a
 * file's content root (SPEC "Signature section", format 1.3).
 *
 * Keys are PEM, read by OpenSSL: the private key as `openssl genpkey
 * -algorithm ed25519` writes it (PKCS#8, encrypted ones prompt for their
 * passphrase), the public key as `openssl pkey -pubout` writes it. PEM is
 * the one format of Ed25519 keys that OpenSSL, and with it most signing
 * tools and HSM front ends, read and write; an OpenSSH key needs OpenSSH's
 * own tools to be made and its private form cannot be read by OpenSSL. For
 * verifying, an OpenSSH public key line (`ssh-ed25519 AAAA...`, as in
 * authorized_keys) and the 64 hex digits `frc info` prints are accepted
 * too: they name the same 32-byte key.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "frc_tool.h"

static const char sign_usage[] =
	"usage: frc sign --key KEY.pem [-q] FILE\n"
	"\n"
	"Verifies FILE whole, then signs its content root (format 1.3) in\n"
	"place with the Ed25519 private key KEY.pem (PEM, as `openssl genpkey\n"
	"-algorithm ed25519` writes it). The signature is added as a commit:\n"
	"a crash leaves FILE as it was or signed. FILE must have been written\n"
	"with --digest.\n";

static const char verify_usage[] =
	"usage: frc verify --key PUBLIC [-p] [-q] FILE\n"
	"\n"
	"Checks that FILE holds a valid signature by PUBLIC of its content root,\n"
	"then every page and section against that root. PUBLIC is a PEM public\n"
	"key (`openssl pkey -pubout`), an OpenSSH line `ssh-ed25519 AAAA...`,\n"
	"or the 64 hex digits `frc info` prints.\n"
	"Exit status: 0 authentic, 1 could not complete, 2 not authentic (no\n"
	"valid signature by the key, or content that differs from what was\n"
	"signed), 63 unsupported.\n";

static int key_err(const char *path, const char *what)
{
	tool_err("%s: %s", path, what);
	return -1;
}

/* The 32-byte secret of a PEM Ed25519 private key. */
static int load_secret(const char *path, uint8_t secret[FRC_KEY_SIZE])
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;
	size_t n = FRC_KEY_SIZE;
	int rc = 0;

	if (!f) {
		tool_err("%s: %s", path, strerror(errno));
		return -1;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		return key_err(path, "not a PEM private key (or a wrong "
				     "passphrase)");
	if (EVP_PKEY_id(k) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_private_key(k, secret, &n) != 1 || n != 32)
		rc = key_err(path, "not an Ed25519 key");
	EVP_PKEY_free(k);
	return rc;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* `ssh-ed25519 BASE64 [comment]`: the blob is string "ssh-ed25519",
 * string key (RFC 4253 and draft-ietf-curdle-ssh-ed25519). */
static int openssh_public(const char *line, uint8_t pub[FRC_KEY_SIZE])
{
	static const uint8_t head[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e',
					'd', '2', '5', '5', '1', '9', 0, 0, 0,
					32 };
	char b64[128];
	uint8_t blob[96];
	int n;

	if (sscanf(line, "ssh-ed25519 %127s", b64) != 1)
		return -1;
	n = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)strlen(b64));
	/* EVP_DecodeBlock counts the padding's zero bytes: 51 bytes of
	 * blob come back as 51 or 53 */
	if (n < 51 || memcmp(blob, head, sizeof(head)) != 0)
		return -1;
	memcpy(pub, blob + sizeof(head), FRC_KEY_SIZE);
	return 0;
}

/* A public key in any of the forms above. */
static int load_public(const char *path, uint8_t pub[FRC_KEY_SIZE])
{
	FILE *f = fopen(path, "r");
	char line[512];
	EVP_PKEY *k;
	size_t n = FRC_KEY_SIZE;
	int rc = -1;

	if (!f) {
		tool_err("%s: %s", path, strerror(errno));
		return -1;
	}
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!k) {
		rewind(f);
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!openssh_public(line, pub) ||
			    (strlen(line) == 64 && !unhex(line, pub, 32)))
				rc = 0;
		}
	} else if (EVP_PKEY_id(k) == EVP_PKEY_ED25519 &&
		   EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32) {
		rc = 0;
	}
	fclose(f);
	EVP_PKEY_free(k);
	if (rc)
		key_err(path, "not an Ed25519 public key (PEM, an OpenSSH "
			      "ssh-ed25519 line, or 64 hex digits)");
	return rc;
}

static int key_opt(int argc, char **argv, const char *usage,
		   const char **key, struct tool_opts *t)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		TOOL_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	tool_opts_init(t);
	while ((c = getopt_long(argc, argv, "k:" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (c == 'k')
			*key = optarg;
		else if (tool_common_opt(c, optarg, t, usage) != 1)
			return -1;
	}
	if (!*key || optind != argc - 1) {
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

/* Every page and section against the root, with progress. */
static int verify_whole(frc_reader_t *r, const struct tool_opts *t,
			const char *label)
{
	struct tool_progress pr;
	int rc;

	tool_progress_init(&pr, t->progress, label);
	rc = frc_reader_verify(r, tool_progress_cb, &pr);
	tool_progress_done(&pr);
	return rc;
}

int cmd_sign(int argc, char **argv)
{
	const char *key = NULL, *path;
	uint8_t secret[FRC_KEY_SIZE], pub[FRC_KEY_SIZE];
	char hex[2 * FRC_KEY_SIZE + 1];
	struct tool_opts t;
	frc_reader_t *r = NULL;
	int rc;

	if (key_opt(argc, argv, sign_usage, &key, &t))
		return 1;
	path = argv[optind];
	if (load_secret(key, secret))
		return 1;
	rc = tool_open(&r, path, 0, 0);
	if (!rc) {
		rc = verify_whole(r, &t, "verify");
		if (rc)
			tool_err("%s", frc_reader_errmsg(r));
	}
	if (!rc) {
		rc = frc_reader_sign(r, secret, pub);
		if (rc)
			tool_err("%s", frc_reader_errmsg(r));
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	frc_reader_free(r);
	if (rc)
		return 1;
	tool_hex(pub, FRC_KEY_SIZE, hex);
	if (!t.quiet)
		printf("%s: signed by ed25519 key %s\n", tool_esc(path), hex);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	const char *key = NULL, *path;
	uint8_t pub[FRC_KEY_SIZE], root[FRC_ROOT_SIZE];
	char hex[2 * FRC_ROOT_SIZE + 1];
	struct tool_opts t;
	frc_reader_t *r = NULL;
	int rc;

	if (key_opt(argc, argv, verify_usage, &key, &t))
		return 1;
	path = argv[optind];
	if (load_public(key, pub))
		return 1;
	rc = tool_open(&r, path, 0, t.quiet);
	if (rc) {
		if (!t.quiet)
			printf("%s: NOT AUTHENTIC: %s\n", tool_esc(path),
			       frc_error_name(rc));
		frc_reader_free(r);
		return tool_check_exit_code(rc);
	}
	rc = frc_reader_check_signature(r, pub);
	if (!rc)
		rc = verify_whole(r, &t, "verify");
	if (rc) {
		if (!t.quiet) {
			tool_err("%s", frc_reader_errmsg(r));
			printf("%s: NOT AUTHENTIC: %s\n", tool_esc(path),
			       frc_error_name(rc));
		}
		frc_reader_free(r);
		return rc == FRC_E_SIGNATURE ? EXIT_CHECK_CORRUPT
					     : tool_check_exit_code(rc);
	}
	frc_reader_content_root(r, root);
	tool_hex(root, FRC_ROOT_SIZE, hex);
	if (!t.quiet)
		printf("%s: authentic: signed by the key, every page and "
		       "section matches content root %s\n", tool_esc(path),
		       hex);
	frc_reader_free(r);
	return 0;
}
