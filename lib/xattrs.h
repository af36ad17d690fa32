/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Extended attributes (user.* only): each inode's in-memory store, rebuilt
 * by playing XATTR records (bpfam/format.h) and changed on the primary by
 * logging one and playing it.
 *
 * Limits, part of the format (a log over them is corrupt, docs/format.md):
 *   name   "user." and 1..250 more bytes, no NUL; not "user.bpfam.*",
 *          which is the daemon's control interface
 *   value  0..BPFAM_XATTR_VALUE_MAX (60 KiB)
 *   inode  BPFAM_XATTRS_MAX (64 KiB) of names, each counted with its NUL,
 *          and values together: a listxattr of every name always fits
 *          Linux's 64 KiB (XATTR_LIST_MAX).  ENOSPC beyond it, as ext4
 *          gives when an inode's attribute block is full.
 */
#ifndef BPFAM_XATTRS_H
#define BPFAM_XATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fs.h"
#include "record.h"

#define BPFAM_XATTRS_MAX     (64U << 10)
#define BPFAM_XATTR_PREFIX   "user."
#define BPFAM_XATTR_RESERVED "user.bpfam."

/* setxattr(2) flags, the same numbers as <sys/xattr.h>'s. */
#define BPFAM_XATTR_CREATE  1
#define BPFAM_XATTR_REPLACE 2

struct bpfam_xattr {
	char *name; /* NUL-terminated; the value follows it */
	const uint8_t *value;
	uint32_t value_len;
};

/* Sorted by name. */
struct bpfam_xattrs {
	uint32_t n;
	uint32_t cap;
	uint32_t bytes; /* the sum of strlen(name) + 1 + value_len */
	struct bpfam_xattr *v;
};

/*
 * Whether @name may be stored: 0; -EOPNOTSUPP outside user.*; -EPERM for
 * user.bpfam.*; -EINVAL for "user." alone; -ERANGE when longer than
 * BPFAM_NAME_MAX.
 */
int bpfam_xattr_name_check(const char *name);

/* The attribute @name of @xs (NULL: none), or NULL. */
const struct bpfam_xattr *bpfam_xattrs_get(const struct bpfam_xattrs *xs,
					   const char *name);

/* Whether setting @name to @value_len bytes keeps @xs within the limit. */
bool bpfam_xattrs_fit(const struct bpfam_xattrs *xs, const char *name,
		      uint32_t value_len);

/*
 * Set @name to a copy of @value in *@xs (allocated when NULL): 0, -ENOSPC
 * past BPFAM_XATTRS_MAX, -ENOMEM; *@xs is unchanged on failure.
 */
int bpfam_xattrs_set(struct bpfam_xattrs **xs, const char *name,
		     const void *value, uint32_t value_len);

/* Remove @name: 0 or -ENODATA.  An empty store is freed (*@xs = NULL). */
int bpfam_xattrs_remove(struct bpfam_xattrs **xs, const char *name);

/*
 * The names, each NUL-terminated, as listxattr(2) returns them: their
 * length; copied into @buf only when @size holds them all.
 */
size_t bpfam_xattrs_list(const struct bpfam_xattrs *xs, char *buf, size_t size);

void bpfam_xattrs_free(struct bpfam_xattrs *xs);

/* Apply XATTR record @r (bpfam_fs_play() calls it): -EBADMSG when it
 * cannot (unknown inode, absent name, over a limit). */
int bpfam_fs_play_xattr(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err);

/*
 * Metadata writer: set @name of inode @ino to @size bytes of @value, with
 * BPFAM_XATTR_CREATE (-EEXIST if it exists) or BPFAM_XATTR_REPLACE
 * (-ENODATA if it does not).  Also -ENOENT, -EPERM (not a file or
 * directory; a reserved name), -EOPNOTSUPP, -EINVAL, -ERANGE (the name:
 * bpfam_xattr_name_check()), -E2BIG (value over BPFAM_XATTR_VALUE_MAX),
 * -ENOSPC (the inode's limit, or the log full), -EROFS (not the writer).
 * The inode's ctime becomes now.
 */
int bpfam_fs_setxattr(struct bpfam_fs *fs, uint64_t ino, const char *name,
		      const void *value, size_t size, int flags,
		      struct bpfam_err *err);

/* Remove @name of inode @ino: -ENODATA when it has none; else as above. */
int bpfam_fs_removexattr(struct bpfam_fs *fs, uint64_t ino, const char *name,
			 struct bpfam_err *err);

#endif /* BPFAM_XATTRS_H */
