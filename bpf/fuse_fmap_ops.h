/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The kernel types of the fuse fmap fast path, as the BPF program sees
 * them.  The fuse patch defines them in the kernel and must match these
 * member names and types; the layout need not match because every access
 * is relocated (CO-RE) against the running kernel's BTF.
 *
 * fuse calls ops->resolve(&req) under rcu_read_lock() for each read(),
 * write() and page fault of an fmap inode.  0 means "serve file bytes
 * [pos, pos + min(len, run_len)) from device dev_id at dev_off"; a negative
 * errno (see include/bpfam/resolve.h) means "not served by the fast path":
 * -ENXIO is EOF, -ENOENT and -ESTALE go to the daemon, the rest fail the
 * access.  Which inodes use the fast path at all is the daemon's choice,
 * made in their attributes (FUSE_ATTR_FMAP, kpatch/README.md).
 */
#ifndef BPFAM_FUSE_FMAP_OPS_H
#define BPFAM_FUSE_FMAP_OPS_H

#include <linux/types.h>

#define FUSE_FMAP_WRITE (1U << 0) /* the access stores */
#define FUSE_FMAP_FAULT (1U << 1) /* the access is a page fault */

struct fuse_fmap_req {
	/* in: set by fuse; read-only to BPF */
	__u64 nodeid; /* FUSE node id of the inode */
	__u64 gen;    /* its generation, as FUSE_LOOKUP returned it */
	__u64 pos;    /* file offset */
	__u64 len;    /* bytes wanted from pos (PAGE/PMD size for faults) */
	__u32 flags;  /* FUSE_FMAP_* */
	/* out: the only members BPF may write */
	__u32 dev_id;  /* id FUSE_DEV_IOC_DAXDEV_OPEN returned */
	__u64 dev_off; /* byte offset in that device */
	__u64 run_len; /* contiguous bytes from dev_off, within the file */
} __attribute__((preserve_access_index));

struct fuse_fmap_ops {
	int (*resolve)(struct fuse_fmap_req *req);
	/* Unique among registered resolvers: the daemon attaches this one
	 * to its connection by name (FUSE_DEV_IOC_FMAP_ATTACH).  The kernel
	 * has private members after it. */
	char name[16];
} __attribute__((preserve_access_index));

#endif /* BPFAM_FUSE_FMAP_OPS_H */
