/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the commands that work on a mounted bpfam share (creat, cp, getmap,
 * stats, flush).  They use ordinary syscalls and the daemon's xattrs only,
 * never the device, so that any user can run them on any host's mount;
 * flush alone also maps the device, to write back its CPU caches.
 */
#ifndef BPFAM_TOOLS_FILEOPS_H
#define BPFAM_TOOLS_FILEOPS_H

#include <stdbool.h>
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
 * open read-write, or -1 after an error that says which step failed; the
 * file is removed again then (the error says so, or why it could not be).
 */
int create_sized(const char *cmd, const char *path, mode_t mode, uint64_t size,
		 const struct layout *l);

/*
 * Read the whole xattr @name of @path into a malloc'd buffer (*@val, NUL
 * terminated for convenience; *@len excludes the NUL).  Returns 0 or a
 * negative errno (nothing printed).
 */
int get_xattr(const char *path, const char *name, char **val, size_t *len);

/*
 * pread (@wr false) or pwrite exactly @len bytes at @off, retrying short
 * transfers.  0; else *@at is where it stopped and the return is the errno,
 * or -1 for a read that hit EOF or a write that wrote nothing.
 */
int io_full(int fd, void *buf, size_t len, uint64_t off, bool wr, uint64_t *at);

/* Say what io_full returned (@err, at @at) about @path. */
void io_error(const char *cmd, const char *path, int err, bool wr, uint64_t at);

/* The first index where @a and @b (of @len bytes) differ, or @len. */
size_t first_diff(const void *a, const void *b, size_t len);

struct bpfam_fmap;

/*
 * The fmap of @path, from its user.bpfam.fmap xattr, checked as the kernel
 * fast path's resolver checks it.  0; -ENODATA, nothing printed, when it
 * has none (unsized, or not on a bpfam mount); or -EINVAL after an error
 * that says what is wrong.
 */
int get_fmap(const char *cmd, const char *path, struct bpfam_fmap *m);

struct bpfam_mountinfo;

/*
 * The bpfam mount that holds @path (a file or directory in it, or one
 * about to be made there: its nearest existing ancestor counts): its
 * mount point into @mnt (PATH_MAX bytes) and its mountinfo into @m.
 * Returns 0, or -1 after an error saying why there is none ("PATH: not on
 * a mounted bpfam (it is on the ext4 mount at /)").
 */
int bpfam_mount_of(const char *cmd, const char *path, char *mnt,
		   struct bpfam_mountinfo *m);

/* bpfam_mount_of, for the commands that only refuse other paths. */
int require_bpfam(const char *cmd, const char *path);

/*
 * The device of the bpfam mount that holds @path, as its bpfamd was given
 * it (the mount's fsname), into @dev.  Returns 0, or -1 after an error
 * saying why there is none (@path is on another filesystem, ...).
 */
int device_of_file(const char *cmd, const char *path, char *dev, size_t size);

#endif /* BPFAM_TOOLS_FILEOPS_H */
