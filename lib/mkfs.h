/* SPDX-License-Identifier: GPL-2.0 */
/* Writing a new, empty filesystem onto a device. */
#ifndef BPFAM_MKFS_H
#define BPFAM_MKFS_H

#include <stdint.h>

#include "device.h"
#include "err.h"
#include "sb.h"
#include "slot.h"

/*
 * The hosts registered on the version 2 bpfam (or fenced bpfam) on @dev,
 * sampled for liveness (lib/slot.h); none when it holds no such bpfam.
 */
void bpfam_mkfs_hosts(const struct bpfam_device *dev, struct bpfam_hosts *h);

/*
 * Make every host of the bpfam on @dev (opened read-write) let go of it
 * before it is overwritten: sample which registered hosts are live (into
 * @h), store BPFAM_SB_FENCE_MAGIC over the superblock's magic, and wait up
 * to @timeout_ms until each live host has acknowledged the fence in its
 * slot, left, or been evicted.  Dead hosts are not waited for: they find
 * the superblock changed if they ever come back.  1 when fenced, 0 when
 * @dev holds no version 2 bpfam (nothing to fence), or -ETIMEDOUT naming
 * the hosts that did not acknowledge; the device then stays fenced:
 * unmountable until formatted.
 */
int bpfam_mkfs_fence(struct bpfam_device *dev, uint32_t timeout_ms,
		     struct bpfam_hosts *h, struct bpfam_err *err);

/*
 * bpfam_device_open() for formatting (BPFAM_OPEN_FORMAT), retrying -EBUSY
 * for up to @wait_ms: after a fence, a local bpfamd closes the device a
 * moment after it has acknowledged.
 */
int bpfam_mkfs_open(struct bpfam_device *dev, const char *path,
		    uint32_t wait_ms, struct bpfam_err *err);

/*
 * Format @dev (opened with BPFAM_OPEN_FORMAT, so that no local bpfamd
 * still has it) with a log of @log_size bytes (0: the default for its
 * size) and @primary_id as the host that writes metadata (NULL: this
 * machine; another host is named by its id, the only name we know); the
 * new superblock is returned in @sb.  Its generation is one more than the
 * bpfam it replaces, so every host of the old one sees the change.  The
 * old superblock is invalidated first and the new one written last, so a
 * crash in between leaves a device that is plainly unformatted, never a
 * mix.
 */
int bpfam_mkfs(struct bpfam_device *dev, uint64_t log_size,
	       const uint8_t *primary_id, struct bpfam_sb_info *sb,
	       struct bpfam_err *err);

#endif /* BPFAM_MKFS_H */
