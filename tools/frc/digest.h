/*
 * digest.h - SHA-256 (through OpenSSL's libcrypto) for test-vector
 * manifests and `frc digest`: hex digests of files, buffers and streams.
 */
#ifndef FRC_DIGEST_H
#define FRC_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct digest;

struct digest *digest_new(void);
void digest_update(struct digest *d, const void *p, size_t n);
/* Writes 64 hex digits and a NUL into hex, and frees d. */
void digest_final(struct digest *d, char hex[65]);
void digest_buffer(const void *p, size_t n, char hex[65]);
/* SHA-256 of a whole file; returns 0 or -1 (errno set). */
int digest_file(const char *path, char hex[65]);

#endif /* FRC_DIGEST_H */
