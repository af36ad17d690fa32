/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Context of the resolve_test syscall program, shared by the program and
 * the user-space tests that run it with BPF_PROG_TEST_RUN (which copies the
 * context back, so the outputs land in the caller's struct).
 */
#ifndef BPFAM_RESOLVE_TEST_H
#define BPFAM_RESOLVE_TEST_H

#include <linux/types.h>

struct bpfam_resolve_req {
	/* in */
	__u64 nodeid;
	__u64 gen;
	__u64 pos;
	__u64 len;    /* bytes wanted, for the counters only */
	__u32 access; /* BPFAM_ACC_* */
	/* out: the resolver's whole answer, zero where it wrote nothing */
	__s32 rc; /* 0 or -errno */
	__u64 dev_off;
	__u64 run_len;
	__u32 dev;
	__u32 dev_id;
};

#endif /* BPFAM_RESOLVE_TEST_H */
