/*
 * frc_tool.h - the container commands of the frc tool (tools/frc), on the
 * helpers they share with the QEMU commands (tools/common/tool.h).
 */
#ifndef FRC_TOOL_H
#define FRC_TOOL_H

#include "tool.h"

int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_flatten(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_mount(int argc, char **argv);

/*
 * What `frc info --output=FORMAT` prints of an open file (JSON or YAML),
 * with the warnings tool_warnings() gave, onto fp.
 */
void tool_info_report(FILE *fp, enum out_format f, const char *path,
		      const frc_reader_t *r, char warn[][400], int nw);

#endif /* FRC_TOOL_H */
