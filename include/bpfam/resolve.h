/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bpfam_resolve(): file offset -> device range, the one translation shared
 * by user space (gcc/clang), the kernel fast path's struct_ops program and
 * its BPF_PROG_TYPE_SYSCALL twin (clang -target bpf).  It is pure C: no libc,
 * no BPF helpers, no undefined behaviour on any fmap or offset, and every
 * loop is bounded by a constant so that the verifier accepts it.
 *
 * Every call validates the whole fmap, so that a malformed fmap fails for
 * every offset instead of serving the offsets that happen to avoid its bad
 * entries.  That costs one pass over ext[0..nr) per call (nr is 1 for most
 * files, at most 256); the same pass finds the entry holding the offset, so
 * simple files pay nothing extra for the search.  A binary search would need
 * per-extent file offsets, which the fmap does not store, and would still
 * leave the validation linear.
 *
 * Not detected: device ranges that overlap each other (inside one fmap or
 * across fmaps).  That takes O(nr^2) or global state, so it is checked where
 * fmaps are created; what resolve guarantees is that an answer lies inside
 * one of the fmap's own extents and inside the file.
 *
 * Return value: 0, or one of these negative errno values, in the order they
 * are checked:
 *   -EINVAL  malformed fmap header (version, kind, flags, nr, chunk),
 *            or unknown bits in `access`
 *   -ESTALE  the fmap belongs to another generation of the inode
 *   -EROFS   BPFAM_ACC_WRITE on a BPFAM_FMAP_RDONLY fmap
 *   -EINVAL  malformed extent: zero or unaligned length or offset, dev out
 *            of range, rsvd set, dev_off + len or the lengths' sum wrapping,
 *            or extents that do not cover the file size
 *   -ENXIO   pos is at or after EOF
 * On error *out is unspecified.
 */
#ifndef BPFAM_RESOLVE_H
#define BPFAM_RESOLVE_H

#include <linux/errno.h>

#include "bpfam/fmap.h"

/* access: what the caller is about to do at pos */
#define BPFAM_ACC_WRITE (1U << 0) /* store; refused on RDONLY fmaps */
#define BPFAM_ACC_FAULT (1U << 1) /* page fault rather than read()/write() */
#define BPFAM_ACC_KNOWN (BPFAM_ACC_WRITE | BPFAM_ACC_FAULT)

/* The answer: file bytes [pos, pos + len) are device bytes
 * [dev_off, dev_off + len) of device `dev`. */
struct bpfam_run {
	__u64 dev_off; /* byte offset in device `dev` */
	__u64 len;     /* > 0; ends at EOF or at the extent/chunk end */
	__u32 dev;     /* index in the device table, < BPFAM_MAX_DEVS */
	__u32 rsvd;
};

/* BPF code must not call out of line: keep every helper inlined. */
#define BPFAM_INLINE static inline __attribute__((__always_inline__))

/* Hides a value from the optimiser (an empty asm "changes" it). */
#define BPFAM_OPAQUE(v) __asm__ __volatile__("" : "+r"(v))

#define BPFAM_U64_MAX	(~0ULL)
#define BPFAM_UNIT_MASK (BPFAM_ALLOC_UNIT - 1)

BPFAM_INLINE int bpfam_hdr_ok(__u32 version, __u32 kind, __u32 flags, __u32 nr,
			      __u64 chunk)
{
	if (version != BPFAM_FMAP_VERSION || (flags & ~BPFAM_FMAP_RDONLY))
		return 0;
	if (kind == BPFAM_FMAP_SIMPLE)
		return nr <= BPFAM_MAX_EXTENTS && !chunk;
	if (kind == BPFAM_FMAP_INTERLEAVED)
		return nr && nr <= BPFAM_MAX_STRIPS &&
		       chunk >= BPFAM_MIN_CHUNK && chunk <= BPFAM_MAX_CHUNK &&
		       !(chunk & BPFAM_UNIT_MASK);
	return 0;
}

BPFAM_INLINE int bpfam_ext_ok(__u64 dev_off, __u64 len, __u32 dev, __u32 rsvd)
{
	return len && !((dev_off | len) & BPFAM_UNIT_MASK) &&
	       dev < BPFAM_MAX_DEVS && !rsvd && dev_off <= BPFAM_U64_MAX - len;
}

/* Walks ext[0..nr) in file order; the extent whose file range holds pos
 * answers.  Extents past EOF are allowed (preallocation). */
BPFAM_INLINE int bpfam_resolve_simple(const struct bpfam_fmap *fm, __u32 nr,
				      __u64 size, __u64 pos,
				      struct bpfam_run *out)
{
	__u64 end = 0; /* file offset where ext[i] starts */
	__u32 i;

	for (i = 0; i < BPFAM_MAX_EXTENTS && i < nr; i++) {
		const struct bpfam_extent *e = &fm->ext[i];
		__u64 dev_off = e->dev_off, len = e->len;

		if (!bpfam_ext_ok(dev_off, len, e->dev, e->rsvd) ||
		    len > BPFAM_U64_MAX - end)
			return -EINVAL;
		/* File ranges of extents are disjoint: at most one hit. */
		if (pos >= end && pos - end < len) {
			out->dev = e->dev;
			out->dev_off = dev_off + (pos - end);
			out->len = len - (pos - end);
		}
		end += len;
	}
	if (end < size)
		return -EINVAL;
	if (pos >= size)
		return -ENXIO;
	if (out->len > size - pos)
		out->len = size - pos;
	return 0;
}

/* Bytes of the file that strip s holds: full stripes of nr chunks, then
 * what is left of the last, partial stripe. */
BPFAM_INLINE __u64 bpfam_strip_need(__u64 size, __u64 chunk, __u32 nr, __u32 s)
{
	__u64 stripe = chunk * nr; /* <= 2^36: no wrap */
	__u64 rem = size % stripe;
	__u64 head = (__u64)s * chunk;
	__u64 tail = rem > head ? rem - head : 0;

	return size / stripe * chunk + (tail < chunk ? tail : chunk);
}

/* Chunk c of the file lives in strip c % nr at strip offset
 * (c / nr) * chunk.  Every strip must hold all of its file bytes. */
BPFAM_INLINE int bpfam_resolve_interleaved(const struct bpfam_fmap *fm,
					   __u32 nr, __u64 size, __u64 chunk,
					   __u64 pos, struct bpfam_run *out)
{
	__u64 c = pos / chunk, in = pos % chunk, s = c % nr;
	const struct bpfam_extent *e;
	__u32 i;

	for (i = 0; i < BPFAM_MAX_STRIPS && i < nr; i++) {
		e = &fm->ext[i];
		if (!bpfam_ext_ok(e->dev_off, e->len, e->dev, e->rsvd) ||
		    e->len < bpfam_strip_need(size, chunk, nr, i))
			return -EINVAL;
	}
	if (pos >= size)
		return -ENXIO;
	/* s < nr <= BPFAM_MAX_STRIPS already, but the verifier cannot bound
	 * a modulo: it needs the mask, which the optimiser must not drop. */
	BPFAM_OPAQUE(s);
	e = &fm->ext[s & (BPFAM_MAX_STRIPS - 1)];
	/* pos < size, so the strip offset is below the strip's need and
	 * the run up to the chunk's end within its length. */
	out->dev = e->dev;
	out->dev_off = e->dev_off + c / nr * chunk + in;
	out->len = chunk - in;
	if (out->len > size - pos)
		out->len = size - pos;
	return 0;
}

/*
 * Translates file offset pos of the inode generation gen, for an access of
 * kind `access` (BPFAM_ACC_*), through fmap fm.  See the top of this file
 * for the errors.
 */
BPFAM_INLINE int bpfam_resolve(const struct bpfam_fmap *fm, __u64 gen,
			       __u64 pos, __u32 access, struct bpfam_run *out)
{
	/* Read each header field once: what was checked is what is used. */
	__u32 kind = fm->kind, nr = fm->nr, flags = fm->flags;
	__u64 size = fm->size, chunk = fm->chunk;

	if (!bpfam_hdr_ok(fm->version, kind, flags, nr, chunk) ||
	    (access & ~BPFAM_ACC_KNOWN))
		return -EINVAL;
	if (fm->gen != gen)
		return -ESTALE;
	if ((access & BPFAM_ACC_WRITE) && (flags & BPFAM_FMAP_RDONLY))
		return -EROFS;
	if (kind == BPFAM_FMAP_SIMPLE)
		return bpfam_resolve_simple(fm, nr, size, pos, out);
	return bpfam_resolve_interleaved(fm, nr, size, chunk, pos, out);
}

#endif /* BPFAM_RESOLVE_H */
