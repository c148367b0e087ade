/*
 * qemu_cmd.h - the QEMU and libvirt commands of the frc tool (tools/qemu),
 * dispatched by tools/frc/frc.c.
 */
#ifndef FRC_QEMU_CMD_H
#define FRC_QEMU_CMD_H

int cmd_import_qemu(int argc, char **argv);
int cmd_export_qemu(int argc, char **argv);
int cmd_prepare_qemu(int argc, char **argv);
int cmd_seal_qemu(int argc, char **argv);
int cmd_save_qemu(int argc, char **argv);
int cmd_restore_qemu(int argc, char **argv);

#endif /* FRC_QEMU_CMD_H */
