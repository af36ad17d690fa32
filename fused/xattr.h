/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control interface the bpfam CLI uses, as extended attributes:
 *   user.bpfam.fmap    (files, read)   binary struct bpfam_fmap, cut after
 *                                      ext[nr - 1]; ENODATA until sized
 *   user.bpfam.layout  (files, write)  "strips=N,chunk=BYTES": interleave
 *                                      the allocation the sizing makes
 *   user.bpfam.stats   (root, read)    JSON object of daemon statistics
 */
#ifndef BPFAMD_XATTR_H
#define BPFAMD_XATTR_H

#include "bpfamd.h"

void bpfamd_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     size_t size);
void bpfamd_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     const char *value, size_t size, int flags);
void bpfamd_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void bpfamd_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif /* BPFAMD_XATTR_H */
