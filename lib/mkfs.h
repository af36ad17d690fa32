/* SPDX-License-Identifier: GPL-2.0 */
/* Writing a new, empty filesystem onto a device. */
#ifndef BPFAM_MKFS_H
#define BPFAM_MKFS_H

#include <stdint.h>

#include "device.h"
#include "err.h"
#include "sb.h"

/*
 * Format @dev (opened as the writer) with a log of @log_size bytes (0: the
 * default for its size); the new superblock is returned in @sb.  The old
 * superblock is invalidated first and the new one written last, so a crash
 * in between leaves a device that is plainly unformatted, never a mix.
 */
int bpfam_mkfs(struct bpfam_device *dev, uint64_t log_size,
	       struct bpfam_sb_info *sb, struct bpfam_err *err);

#endif /* BPFAM_MKFS_H */
