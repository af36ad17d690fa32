/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the commands that work on a mounted bpfam share (creat, cp, getmap,
 * stats).  They use ordinary syscalls and the daemon's xattrs only, never
 * the device, so that any user can run them on any host's mount.
 */
#ifndef BPFAM_TOOLS_FILEOPS_H
#define BPFAM_TOOLS_FILEOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BPFAM_XATTR_LAYOUT "user.bpfam.layout"
#define BPFAM_XATTR_FMAP   "user.bpfam.fmap"
#define BPFAM_XATTR_STATS  "user.bpfam.stats"

/* "No space left on device (ENOSPC)", in a static buffer. */
const char *errno_str(int err);

/*
 * The usage error for what getopt_long returned ('?' or ':', with opterr 0
 * and an optstring starting with ':').  Returns EXIT_USAGE.
 */
int option_error(const char *cmd, int c, char **argv);

/* Interleave geometry for a new file; strips == 0 means a simple file. */
struct layout {
	uint32_t strips;
	uint64_t chunk;
};

/* getopt_long entries of --interleave and --chunk, with these values. */
#define LAYOUT_OPT_INTERLEAVE 0x100
#define LAYOUT_OPT_CHUNK      0x101
#define LAYOUT_LONG_OPTIONS                                                    \
	{"interleave", required_argument, NULL, LAYOUT_OPT_INTERLEAVE},        \
	{                                                                      \
		"chunk", required_argument, NULL, LAYOUT_OPT_CHUNK             \
	}

/*
 * Take option @opt (LAYOUT_OPT_*) into @l.  Returns 0, or -1 after a usage
 * error naming the option.
 */
int layout_option(const char *cmd, int opt, const char *arg, struct layout *l);

/*
 * Check the options taken (--chunk needs --interleave, which defaults the
 * chunk to 2 MiB).  Returns 0, or -1 after a usage error.
 */
int layout_finish(const char *cmd, struct layout *l);

/*
 * Create @path exclusively with @mode (umask applies), give it layout @l
 * and size @size (> 0): a bpfam file's one and only size.  Returns an fd
 * open read-write, or -1 after an error that says which step failed and
 * in what state it left the file.
 */
int create_sized(const char *cmd, const char *path, mode_t mode, uint64_t size,
		 const struct layout *l);

/*
 * Read the whole xattr @name of @path into a malloc'd buffer (*@val, NUL
 * terminated for convenience; *@len excludes the NUL).  Returns 0 or a
 * negative errno (nothing printed).
 */
int get_xattr(const char *path, const char *name, char **val, size_t *len);

#endif /* BPFAM_TOOLS_FILEOPS_H */
