/*
 * errors.c - error codes, their names, and the messages carried on handles.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frc_internal.h"

struct frc_code_text {
	int code;
	/* SPEC "Error classes" error class, or API code name */
	const char *name;
	const char *descr; /* short English description */
};

static const struct frc_code_text code_texts[] = {
	{ FRC_OK, "ok", "success" },
	{ FRC_E_BAD_SIGNATURE, "bad-signature", "not an FRC file (bad signature)" },
	{ FRC_E_UNSUPPORTED_VERSION, "unsupported-version",
	  "unsupported format version" },
	{ FRC_E_UNSUPPORTED_FEATURE, "unsupported-feature",
	  "unsupported feature" },
	{ FRC_E_INCOMPLETE, "incomplete", "incomplete file (interrupted save)" },
	{ FRC_E_CHECKSUM, "checksum-mismatch", "checksum mismatch" },
	{ FRC_E_TRUNCATED, "truncated", "file is truncated" },
	{ FRC_E_OUT_OF_BOUNDS, "out-of-bounds",
	  "offset or length out of bounds" },
	{ FRC_E_OVERLAP, "overlap", "structures overlap" },
	{ FRC_E_BAD_FIELD, "bad-field", "invalid field value" },
	{ FRC_E_LIMIT, "limit-exceeded", "limit exceeded" },
	{ FRC_E_DIGEST, "digest-mismatch", "content digest mismatch" },
	{ FRC_E_SIGNATURE, "signature-mismatch",
	  "no valid signature by the key" },
	{ FRC_E_BASE_MISSING, "base-missing", "the base file is missing" },
	{ FRC_E_BASE_MISMATCH, "base-mismatch", "the base file is not the one "
	  "named" },
	{ FRC_E_CHAIN_CYCLE, "chain-cycle", "the chain of bases has a cycle" },
	{ FRC_E_CHAIN_DEPTH, "chain-too-deep", "the chain of bases is too "
	  "deep" },
	{ FRC_E_IO, "io", "input/output error" },
	{ FRC_E_NOMEM, "nomem", "out of memory" },
	{ FRC_E_MISUSE, "misuse", "invalid argument or call" },
	{ FRC_E_NOT_FOUND, "not-found", "no such region or section" },
	{ FRC_E_EXISTS, "exists", "file exists" },
	{ FRC_E_CANCELED, "canceled", "operation canceled" },
	{ FRC_E_READ_ONLY, "read-only", "file may not be modified" },
	{ FRC_E_UNSUPPORTED, "unsupported", "not possible for this file" },
};

static const struct frc_code_text *code_text(int code)
{
	for (size_t i = 0; i < sizeof(code_texts) / sizeof(code_texts[0]); i++)
		if (code_texts[i].code == code)
			return &code_texts[i];
	return NULL;
}

FRC_API const char *frc_strerror(int code)
{
	const struct frc_code_text *t = code_text(code);

	return t ? t->descr : "unknown error";
}

FRC_API const char *frc_error_name(int code)
{
	const struct frc_code_text *t = code_text(code);

	return t ? t->name : "unknown";
}

FRC_API const char *frc_version_string(void)
{
	return FRC_LIB_VERSION_STRING;
}

/*
 * Messages quote region ids and section names from the file, which may hold
 * control characters: never let them reach a terminal.
 */
static void defang(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* The one way a message is recorded: "HEAD" + the formatted text + "TAIL",
 * made safe for a terminal. Returns code. */
static int record(struct frc_err *e, int code, const char *head,
		  const char *tail, const char *fmt, va_list ap)
{
	char what[384];

	vsnprintf(what, sizeof(what), fmt, ap);
	/* the record changes hands only when a message is written into it */
	e->owner = e->pending;
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s%s%s", head, what, tail);
	defang(e->msg);
	return code;
}

int frc_fail(struct frc_err *e, int code, const char *path, uint64_t offset,
	     const char *section, const char *fmt, ...)
{
	char head[320] = "", tail[64] = "";
	va_list ap;

	/* without a path, a rule applied to a caller's argument: no file */
	if (path)
		snprintf(head, sizeof(head), "%s: offset 0x%llx: ", path,
			 (unsigned long long)offset);
	if (section)
		snprintf(tail, sizeof(tail), " (SPEC %s)", section);
	va_start(ap, fmt);
	record(e, code, head, tail, fmt, ap);
	va_end(ap);
	return code;
}

int frc_fail_errno(struct frc_err *e, const char *path, const char *what,
		   int err)
{
	return frc_fail_plain(e, err == ENOMEM ? FRC_E_NOMEM : FRC_E_IO,
			      "%s: %s: %s", path, what, strerror(err));
}

int frc_fail_plain(struct frc_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(e, code, "", "", fmt, ap);
	va_end(ap);
	return code;
}

/* The calling thread's error record (frc_internal.h, "Error reporting"). */
static _Thread_local struct frc_err thread_err;

struct frc_err *frc_err_for(const void *handle)
{
	/* Naming the handle a message would be for does not give it the
	 * record: a call that succeeds, or a lookup, leaves the record (and
	 * its owner) as they were. */
	thread_err.pending = handle;
	return &thread_err;
}

void frc_err_forget(const void *handle)
{
	if (thread_err.owner == handle)
		memset(&thread_err, 0, sizeof(thread_err));
}

struct frc_err *frc_err_current(void)
{
	return &thread_err;
}

const struct frc_err *frc_err_of(const void *handle)
{
	return thread_err.owner == handle && thread_err.code ? &thread_err
							      : NULL;
}

void frc_err_adopt(const void *handle, const struct frc_err *e)
{
	if (e != &thread_err)
		thread_err = *e;
	thread_err.owner = handle;
	thread_err.pending = handle;
}

const char *frc_err_message(const void *handle)
{
	const struct frc_err *e = frc_err_of(handle);

	return e ? e->msg : "";
}

int frc_misuse(const void *handle, const char *func, const char *fmt, ...)
{
	char head[128];
	va_list ap;

	snprintf(head, sizeof(head), "%s: ", func);
	va_start(ap, fmt);
	record(frc_err_for(handle), FRC_E_MISUSE, head, "", fmt, ap);
	va_end(ap);
	return FRC_E_MISUSE;
}

FRC_API unsigned long frc_version_number(void)
{
	return FRC_LIB_VERSION_NUMBER;
}

int frc_abi_out(const void *handle, const char *func, void *dst, size_t size,
		const void *src, size_t have, size_t min)
{
	if (!dst)
		return frc_misuse(handle, func, "the struct pointer is NULL");
	if (size < min)
		return frc_misuse(handle, func,
				  "struct size %zu is smaller than any version "
				  "of the struct (%zu): pass sizeof", size,
				  min);
	memcpy(dst, src, size < have ? size : have);
	if (size > have)
		memset((uint8_t *)dst + have, 0, size - have);
	return FRC_OK;
}

int frc_abi_in(const void *handle, const char *func, void *dst, size_t want,
	       const void *src, size_t size, size_t min)
{
	memset(dst, 0, want);
	if (!src && !size)
		return FRC_OK;
	if (!src)
		return frc_misuse(handle, func, "the struct pointer is NULL");
	if (size < min)
		return frc_misuse(handle, func,
				  "struct size %zu is smaller than any version "
				  "of the struct (%zu): pass sizeof", size,
				  min);
	for (size_t i = want; i < size; i++)
		if (((const uint8_t *)src)[i])
			return frc_misuse(handle, func,
					  "the struct sets a field at byte %zu "
					  "that this libfrc (%s) does not know",
					  i, FRC_LIB_VERSION_STRING);
	memcpy(dst, src, size < want ? size : want);
	return FRC_OK;
}
