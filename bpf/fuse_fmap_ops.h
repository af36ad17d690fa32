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
 * access.  At open, a FUSE_FMAP_PROBE call decides whether the inode uses
 * the fast path at all (kpatch/README.md, "Which files take the fast path").
 */
#ifndef BPFAM_FUSE_FMAP_OPS_H
#define BPFAM_FUSE_FMAP_OPS_H

#include <linux/types.h>

#define FUSE_FMAP_WRITE (1U << 0) /* the access stores */
#define FUSE_FMAP_FAULT (1U << 1) /* the access is a page fault */
/* Not an access: open() asks whether the inode takes the fast path.  pos
 * and len are 0; 0 or -ENXIO means yes, -ENOENT/-ESTALE no. */
#define FUSE_FMAP_PROBE (1U << 2)

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
	/* The daemon's /dev/fuse fd: binds this instance to its connection
	 * when the struct_ops link is created.  The kernel may add private
	 * members after it. */
	int fuse_fd;
} __attribute__((preserve_access_index));

#endif /* BPFAM_FUSE_FMAP_OPS_H */
