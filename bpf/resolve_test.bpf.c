// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Syscall twin of the fast path's struct_ops resolve program: the same code
 * over the same maps, runnable with BPF_PROG_TEST_RUN on a stock kernel so
 * that its verifier and JIT check the resolver.
 */
#include "resolve.bpf.h"
#include "resolve_test.h"

SEC("syscall")
int resolve_test(struct bpfam_resolve_req *req)
{
	struct bpfam_answer a = {};
	int rc;

	rc = bpfam_bpf_resolve(req->nodeid, req->gen, req->pos, req->len,
			       req->access, &a);
	req->rc = rc;
	req->dev_off = a.run.dev_off;
	req->run_len = a.run.len;
	req->dev = a.run.dev;
	req->dev_id = a.dev_id;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
