// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "mkfs.h"

static int zero(struct bpfam_device *dev, uint64_t off, uint64_t len)
{
	memset(dev->base + off, 0, len);
	return bpfam_device_flush(dev, dev->base + off, len);
}

int bpfam_mkfs(struct bpfam_device *dev, uint64_t log_size,
	       struct bpfam_sb_info *sb, struct bpfam_err *err)
{
	int rc;

	if (!dev->writer)
		return bpfam_err(err, EROFS, "%s: not opened for writing",
				 dev->path);
	if (!log_size)
		log_size = bpfam_sb_default_log_size(dev->size);
	rc = bpfam_sb_init(sb, dev, log_size, err);
	if (rc)
		return rc;
	/* The superblock goes last: until it is there, nothing is a bpfam. */
	rc = zero(dev, 0, BPFAM_SB_SIZE);
	if (!rc)
		rc = zero(dev, BPFAM_SB_SIZE,
			  sb->log_off + sb->log_size - BPFAM_SB_SIZE);
	if (!rc) {
		bpfam_sb_encode(sb, (struct bpfam_sb *)dev->base);
		rc = bpfam_device_flush(dev, dev->base, BPFAM_SB_SIZE);
	}
	if (rc)
		return bpfam_err(err, -rc, "%s: cannot write the new filesystem: %s",
				 dev->path, strerror(-rc));
	return 0;
}
