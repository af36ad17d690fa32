/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The BPF side of a resolve: node id -> fmap (`fmaps`, and the `fmap_exts`
 * slot it names for a file of more than BPFAM_FMAP_INLINE extents), bpfam_resolve_pub(),
 * device index -> kernel device id (`devs`), and the `counters`.  The
 * struct_ops program and its syscall twin both run exactly this, so the
 * twin's tests on a stock kernel cover what the fast path will run.
 */
#ifndef BPFAM_RESOLVE_BPF_H
#define BPFAM_RESOLVE_BPF_H

#include "maps.bpf.h"
#include "bpfam/resolve.h"

struct bpfam_answer {
	struct bpfam_run run;
	__u32 dev_id; /* bpfam_dev.kernel_id of run.dev */
};

/* The kernel checks device bounds too; checking here keeps a bad fmap from
 * ever naming bytes its device does not have. */
static __always_inline int bpfam_map_dev(struct bpfam_answer *a)
{
	__u32 idx = a->run.dev;
	const struct bpfam_dev *d = bpf_map_lookup_elem(&devs, &idx);

	if (!d || !(d->flags & BPFAM_DEV_PRESENT))
		return -ENODEV;
	if (a->run.dev_off > d->size || a->run.len > d->size - a->run.dev_off)
		return -EINVAL;
	a->dev_id = d->kernel_id;
	return 0;
}

static __always_inline void bpfam_count(int rc, __u32 access, __u64 len,
					const struct bpfam_answer *a)
{
	__u32 zero = 0;
	struct bpfam_counters *c = bpf_map_lookup_elem(&counters, &zero);
	__u64 n = len < a->run.len ? len : a->run.len;

	if (!c)
		return;
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		c->no_fmap++;
		return;
	case -ESTALE:
		c->stale++;
		return;
	case -ENXIO:
		c->eof++;
		return;
	case -EROFS:
		c->rdonly++;
		return;
	case -ENODEV:
		c->no_dev++;
		return;
	default:
		c->malformed++;
		return;
	}
	if (access & BPFAM_ACC_WRITE) {
		c->writes++;
		c->write_bytes += n;
	} else {
		c->reads++;
		c->read_bytes += n;
	}
	if (access & BPFAM_ACC_FAULT)
		c->faults++;
}

/* The kernel may reuse a hash map element while a program reads it: seq,
 * read before and after the rest, tells (struct bpfam_map_fmap). */
static __always_inline __u64 bpfam_seq(const __u64 *seq)
{
	return *(const volatile __u64 *)seq;
}

/* a must be zeroed by the caller (the verifier wants it initialised). */
static __always_inline int bpfam_bpf_resolve(__u64 nodeid, __u64 gen, __u64 pos,
					     __u64 len, __u32 access,
					     struct bpfam_answer *a)
{
	__u64 key = nodeid; /* lookup keys must live on the BPF stack */
	const struct bpfam_map_fmap *fm = bpf_map_lookup_elem(&fmaps, &key);
	const struct bpfam_map_exts *exts = NULL;
	__u32 slot;
	__u64 seq;
	int rc = -ENOENT;

	if (fm) {
		seq = bpfam_seq(&fm->seq);
		slot = fm->slot;
		if (fm->nr > BPFAM_FMAP_INLINE)
			exts = bpf_map_lookup_elem(&fmap_exts, &slot);
		rc = bpfam_resolve_pub(fm, exts, gen, pos, access, &a->run);
		if (!rc && (bpfam_seq(&fm->seq) != seq ||
			    (exts && bpfam_seq(&exts->seq) != seq)))
			rc = -ESTALE;
	}
	if (!rc)
		rc = bpfam_map_dev(a);
	bpfam_count(rc, access, len, a);
	return rc;
}

#endif /* BPFAM_RESOLVE_BPF_H */
