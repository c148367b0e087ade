/*
 * frc.c - the frc command: dispatch to its subcommands (tools/frc/frc_*.c,
 * tools/qemu/); the helpers they share are in common.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frc_tool.h"
#include "qemu_cmd.h"
#include "outfile.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "build a container from raw memory images" },
	{ "info", cmd_info, "show what a container holds" },
	{ "check", cmd_check, "verify every checksum and structural rule" },
	{ "sign", cmd_sign, "sign a container's content root (Ed25519)" },
	{ "flatten", cmd_flatten, "write a snapshot and its chain of bases "
	  "as one file" },
	{ "verify", cmd_verify, "check a signature and the content against "
	  "it" },
	{ "extract", cmd_extract, "write regions and sections out as raw files" },
	{ "dump", cmd_dump, "show the layout, the bitmaps and a page in hex" },
	{ "diff", cmd_diff, "compare two containers page by page" },
	{ "convert", cmd_convert, "rewrite a container compressed or "
				  "uncompressed" },
	{ "bench", cmd_bench, "measure save and restore against raw I/O" },
	{ "save-qemu", cmd_save_qemu, "save a running QEMU's VM through QMP, "
				      "one command" },
	{ "restore-qemu", cmd_restore_qemu, "restore a VM into a QEMU through "
					    "QMP, one command" },
	{ "import-qemu", cmd_import_qemu, "save a QEMU migration stream as FRC" },
	{ "export-qemu", cmd_export_qemu, "write FRC back as a QEMU migration "
					  "file" },
	{ "prepare-qemu", cmd_prepare_qemu, "make a file for QEMU mapped-ram "
					    "to save into" },
	{ "seal-qemu", cmd_seal_qemu, "checksum and commit a QEMU save made "
				      "in place" },
	{ "conform", cmd_conform, "run an implementation against the test "
				  "vectors" },
	{ "mount", cmd_mount, "serve a container's regions as files, every "
			      "page verified (FUSE)" },
	{ "digest", cmd_digest, "print the SHA-256 of every region and "
				"section" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: frc COMMAND [OPTIONS] ...\n\n"
		   "Fixed-RAM Container (FRC) tool, libfrc %s, format %d.%d\n\n"
		   "commands:\n",
		frc_version_string(), FRC_FORMAT_VERSION_MAJOR,
		FRC_FORMAT_VERSION_MINOR);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'frc COMMAND --help' describes a command.\n");
}

/*
 * What a command printed must have reached standard output: a full disk
 * or a closed pipe there is an error, not a success. `diff` says
 * "could not compare" with 2, every other command with 1.
 */
static int finish(const char *cmd, int rc)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int err = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		err = errno;
	}
	if (!failed)
		return rc;
	if (outfile_made) /* the file stands: say so, not just "failed" */
		tool_err("cannot write standard output: %s ('%s' itself is "
			 "written and complete)", strerror(err),
			 outfile_made);
	else
		tool_err("cannot write standard output: %s", strerror(err));
	if (rc)
		return rc;
	return strcmp(cmd, "diff") == 0 ? 2 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("frc (libfrc) %s, format %d.%d\n", frc_version_string(),
		       FRC_FORMAT_VERSION_MAJOR, FRC_FORMAT_VERSION_MINOR);
		return 0;
	}
	outfile_init();
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish(commands[i].name,
				      commands[i].fn(argc - 1, argv + 1));
	tool_err("unknown command '%s' (see 'frc --help')", argv[1]);
	return 1;
}
