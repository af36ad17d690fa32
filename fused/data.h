/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fallback data path: read() and write() served from the daemon's mapping
 * of the device, through the file's fmap.
 */
#ifndef BPFAMD_DATA_H
#define BPFAMD_DATA_H

#include "bpfamd.h"

void bpfamd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void bpfamd_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		  off_t off, struct fuse_file_info *fi);
/* struct bpfam_fs.store_zeros of a daemon: a memory error is -EIO; a
 * device lent to the kernel is zeroed through it. */
int bpfamd_store_zeros(struct bpfam_fs *fs, uint64_t dev_off, uint64_t len);

/* struct bpfam_fs.exclude of a daemon: d->ns exclusive (bpfamd.h). */
void bpfamd_exclude_readers(struct bpfam_fs *fs, bool on);

/* Log what writes changed in memory (size, mtime): close and fsync. */
void bpfamd_sync(fuse_req_t req, fuse_ino_t ino);
void bpfamd_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi);

#endif /* BPFAMD_DATA_H */
