/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/fuse ioctl of the kernel fast path (kpatch/ patch 3, in the
 * patched kernel's include/uapi/linux/fuse.h).  The system's linux/fuse.h
 * predates it; once it has it, these definitions step aside.
 */
#ifndef BPFAMD_FMAP_UAPI_H
#define BPFAMD_FMAP_UAPI_H

#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/fuse.h>

#ifndef FUSE_DEV_IOC_DAXDEV_OPEN
/* Registers an open /dev/daxX.Y with the connection of the /dev/fuse fd;
 * returns the device id resolve() answers with (0..15). */
struct fuse_daxdev_map {
	int32_t fd;	  /* the device, open for reading (and writing) */
	uint32_t flags;	  /* 0 */
	uint64_t padding; /* 0 */
};

#define FUSE_DEV_IOC_DAXDEV_OPEN _IOW(229, 0x40, struct fuse_daxdev_map)
#endif

#endif /* BPFAMD_FMAP_UAPI_H */
