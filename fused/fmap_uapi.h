/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uapi of the kernel fast path (kpatch/ patches 3-5, in the patched
 * kernel's include/uapi/linux/fuse.h).  The system's linux/fuse.h
 * predates it; once it has it, these definitions step aside.
 */
#ifndef BPFAMD_FMAP_UAPI_H
#define BPFAMD_FMAP_UAPI_H

#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/fuse.h>

#ifndef FUSE_DEV_IOC_DAXDEV_OPEN
/* The server asks for the fast path in its INIT reply (flags2 bit). */
#define FUSE_FMAP (1ULL << 62)

/* In the attributes of an entry reply: this regular file's inode takes
 * the fast path, for as long as it lives. */
#define FUSE_ATTR_FMAP (1U << 31)

/* Registers an open /dev/daxX.Y with the connection of the /dev/fuse fd;
 * returns the device id resolve() answers with (0..15). */
struct fuse_daxdev_map {
	int32_t fd;	  /* the device, open for reading (and writing) */
	uint32_t flags;	  /* 0 */
	uint64_t padding; /* 0 */
};

#define FUSE_DEV_IOC_DAXDEV_OPEN _IOW(229, 0x40, struct fuse_daxdev_map)

/* Makes the fuse_fmap_ops struct_ops registered (linked) under @name the
 * connection's resolver. */
#define FUSE_FMAP_NAME_MAX 16

struct fuse_fmap_attach {
	char name[FUSE_FMAP_NAME_MAX];
	uint32_t flags;	  /* 0 */
	uint32_t padding; /* 0 */
};

#define FUSE_DEV_IOC_FMAP_ATTACH _IOW(229, 0x41, struct fuse_fmap_attach)
#endif

#ifndef FUSE_DEV_IOC_FMAP_ZERO
/* Zeroes a range of a registered device lent to the kernel (fs-dax),
 * which the server can no longer map. */
struct fuse_fmap_zero {
	uint32_t dev_id; /* index returned by FUSE_DEV_IOC_DAXDEV_OPEN */
	uint32_t flags;	 /* 0 */
	uint64_t offset; /* device byte offset */
	uint64_t length; /* bytes */
};

#define FUSE_DEV_IOC_FMAP_ZERO _IOW(229, 0x42, struct fuse_fmap_zero)
#endif

#endif /* BPFAMD_FMAP_UAPI_H */
