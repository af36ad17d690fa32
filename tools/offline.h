/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the offline commands (mkfs, fsck, logdump, hosts, host: the ones
 * that work on the device itself, no daemon needed) share: their command
 * lines and the way they describe a superblock.
 */
#ifndef BPFAM_OFFLINE_H
#define BPFAM_OFFLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sb.h"

/* Report a getopt_long() error (@c is '?' or ':') as a usage error. */
int offline_bad_option(const char *name, int c, char **argv);

/* Take the one DEVICE left at argv[optind]; EXIT_OK or a usage error. */
int offline_device_arg(const char *name, int argc, char **argv,
		       const char **device);

/*
 * Parse "[--json] DEVICE".  Returns true when the command should run;
 * false with @status set when it should exit now (--help, usage error).
 */
bool offline_json_args(const char *name, int argc, char **argv, bool *json,
		       const char **device, int *status);

/*
 * The device named by @arg, a DEVICE or the MOUNTPOINT of a bpfamd: the
 * device it serves, as bpfamd was given it.  EXIT_OK, or EXIT_FAIL after
 * saying why @arg names no device.
 */
int offline_device_of(const char *name, const char *arg, char *dev,
		      size_t size);

/*
 * Open the device of @arg (DEVICE|MOUNTPOINT) in @mode and read its
 * superblock, fenced by a mkfs --force or not (*@fenced).  EXIT_OK, or
 * EXIT_FAIL after saying why (the device is then closed).
 */
int offline_open_sb(const char *name, const char *arg,
		    enum bpfam_open_mode mode, struct bpfam_device *dev,
		    struct bpfam_sb_info *sb, bool *fenced);

/* @n bytes as 2 * @n lower-case hex digits and a NUL. */
void offline_hex(const uint8_t *b, size_t n, char *out);

/* "2026-07-01 12:00:00 UTC"; @buf needs 32 bytes. */
char *offline_fmt_time(uint64_t secs, char *buf);

/* The lines that identify a filesystem: UUID, creation, primary, device. */
void offline_print_identity(FILE *f, const struct bpfam_sb_info *sb);

/* "  NAME      " then the formatted rest: one line of a summary. */
void offline_print_field(FILE *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* @msg without its leading "@path: ", to embed it in another sentence. */
const char *offline_strip_path(const char *msg, const char *path);

#endif /* BPFAM_OFFLINE_H */
