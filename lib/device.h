/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device access: a devdax character device (sized through libdaxctl), or a
 * regular file standing in for one, mapped shared and 2 MiB aligned.
 */
#ifndef BPFAM_DEVICE_H
#define BPFAM_DEVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct bpfam_device {
	char path[PATH_MAX];
	int fd;
	bool devdax;    /* a real /dev/daxX.Y, not an emulating file */
	bool writable;  /* opened read-write */
	bool writer;    /* ... and holds the exclusive metadata-writer lock */
	bool format;    /* ... and the mount lock exclusively: mkfs */
	uint8_t *base;  /* MAP_SHARED mapping of [0, mapped) */
	uint64_t size;  /* bytes */
	/* Lent to the kernel from @mapped on (lib/lend.h): only the part
	 * before it, bpfam's metadata, maps; else @mapped is @size. */
	bool lent;
	uint64_t mapped;
	uint64_t align; /* devdax alignment; 2 MiB for files */
	/* Tests: the flush this many flushes from now fails with -EIO
	 * (1: the next one), as a failing msync or memory would. */
	unsigned int fail_flush_in;
};

enum bpfam_open_mode {
	BPFAM_OPEN_RDONLY,
	/* Data read-write, metadata read-only: a client host. */
	BPFAM_OPEN_RDWR,
	/* Read-write and the only metadata writer: a second one gets -EBUSY. */
	BPFAM_OPEN_WRITER,
	/*
	 * The writer, and no read-write open anywhere on this machine: what
	 * mkfs needs before it overwrites the device.  -EBUSY while a local
	 * bpfamd (any read-write open) holds it.
	 */
	BPFAM_OPEN_FORMAT,
};

/*
 * Every read-write open (RDWR, WRITER) holds the mount lock shared, and
 * FORMAT holds it exclusively, so that mkfs can tell that a bpfamd on this
 * machine still has the device open.  The lock is local to this machine:
 * hosts elsewhere are found through their slots (lib/slot.h).
 */
int bpfam_device_open(struct bpfam_device *dev, const char *path,
		      enum bpfam_open_mode mode, struct bpfam_err *err);
void bpfam_device_close(struct bpfam_device *dev);

/*
 * -EACCES with the reason when @dev is lent to the kernel (for what must
 * reach its data through a mapping: mkfs, flush), else 0.
 */
int bpfam_device_refuse_lent(const struct bpfam_device *dev,
			     struct bpfam_err *err);

/*
 * Make our stores to [addr, addr + len) durable and visible to the other
 * hosts sharing the memory.  0, or -errno when an emulating file's msync
 * failed (the stores may not have reached it).
 */
int bpfam_device_flush(const struct bpfam_device *dev, const void *addr,
		       size_t len);

/*
 * Drop cached copies of [addr, addr + len) so our next loads see what
 * other hosts stored there.  A file's page cache is coherent: no-op.
 */
void bpfam_device_invalidate(const struct bpfam_device *dev, const void *addr,
			     size_t len);

#endif /* BPFAM_DEVICE_H */
