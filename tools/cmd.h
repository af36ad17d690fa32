/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bpfam subcommands: one file each (tools/<name>.c), one entry each in
 * the table of tools/bpfam.c.  A command returns the process exit status:
 * EXIT_OK, EXIT_FAIL (it ran and something went wrong, said on stderr) or
 * EXIT_USAGE (bad command line, usage printed).
 */
#ifndef BPFAM_CMD_H
#define BPFAM_CMD_H

#include <stdint.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage; /* printed by --help and on usage errors */
};

int cmd_mkfs(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_logdump(int argc, char **argv);
int cmd_creat(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_getmap(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_lend(int argc, char **argv);

/* The table entry of @name, for a command to print its own usage. */
const struct cmd *cmd_find(const char *name);

/* Print "bpfam NAME: <message>" on stderr. */
void cmd_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the message and the usage of @name on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the usage of @name on stdout; returns EXIT_OK (for --help). */
int cmd_help(const char *name);

/* Parse a size option value; on error prints a usage error and returns -1. */
int cmd_parse_size(const char *name, const char *opt, const char *arg,
		   uint64_t *out);

#endif /* BPFAM_CMD_H */
