/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is mounted where, from /proc/self/mountinfo: how the commands that
 * take DEVICE|MOUNTPOINT find the device a bpfamd serves (it mounts with
 * fsname=DEVICE, type fuse.bpfam).
 */
#ifndef BPFAM_MOUNTINFO_H
#define BPFAM_MOUNTINFO_H

#include <limits.h>
#include <stdbool.h>

#define BPFAM_FSTYPE "fuse.bpfam"

struct bpfam_mountinfo {
	char fstype[64];      /* "fuse.bpfam", "ext4"... */
	char source[PATH_MAX]; /* the device, or what the filesystem names */
	bool readonly;	      /* mounted "ro" */
};

/*
 * The mount whose mount point is @path (absolute, symlinks resolved), the
 * topmost if several are stacked there.  0, -ENOENT when @path is not a
 * mount point, or -errno of reading mountinfo.
 */
int bpfam_mountinfo_at(const char *path, struct bpfam_mountinfo *m);

/* Undo mountinfo's escaping of blanks and backslashes (\ooo), in place. */
void bpfam_mountinfo_unescape(char *s);

#endif /* BPFAM_MOUNTINFO_H */
