// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The fuse fmap fast path: a struct_ops instance whose resolve() translates
 * a file offset to a device range from the pinned maps.  Loading it needs a
 * kernel with struct fuse_fmap_ops; resolve_test.bpf.c runs the same code
 * on any kernel.
 */
#include "resolve.bpf.h"
#include "fuse_fmap_ops.h"

#include <bpf/bpf_tracing.h>

static __always_inline __u32 bpfam_access(__u32 flags)
{
	return (flags & FUSE_FMAP_WRITE ? BPFAM_ACC_WRITE : 0) |
	       (flags & FUSE_FMAP_FAULT ? BPFAM_ACC_FAULT : 0);
}

SEC("struct_ops/resolve")
int BPF_PROG(bpfam_resolve_op, struct fuse_fmap_req *req)
{
	struct bpfam_answer a = {};
	int rc;

	rc = bpfam_bpf_resolve(req->nodeid, req->gen, req->pos, req->len,
			       bpfam_access(req->flags), &a);
	if (rc)
		return rc;
	req->dev_id = a.dev_id;
	req->dev_off = a.run.dev_off;
	req->run_len = a.run.len;
	return 0;
}

SEC(".struct_ops.link")
struct fuse_fmap_ops bpfam_fmap_ops = {
	.resolve = (void *)bpfam_resolve_op,
};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
