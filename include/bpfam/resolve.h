/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * File offset -> device range, the one translation shared by user space
 * (gcc/clang), the kernel fast path's struct_ops program and its
 * BPF_PROG_TYPE_SYSCALL twin (clang -target bpf).  It is pure C: no libc,
 * no BPF helpers, no undefined behaviour on any fmap or offset, and every
 * loop is bounded by a constant so that the verifier accepts it.
 *
 * bpfam_fmap_check() is the one validator: it walks the whole fmap, once,
 * where the daemon publishes it (bpfam_fmap_publish()) and wherever user
 * space resolves a namespace fmap (bpfam_resolve()), so that a malformed
 * fmap fails for every offset instead of serving the offsets that happen
 * to avoid its bad entries.
 *
 * bpfam_resolve_pub() answers from the published form (include/bpfam/
 * fmap.h) in O(1) steps for interleaved files and O(log nr) for simple
 * ones: a binary search of the extents' file offsets, 8 steps for 256
 * extents.  It does not validate the fmap again: the maps are root's, but
 * bpftool can write anything into them, so what it checks is what keeps
 * every answer inside the fmap whatever the maps hold: the header, and
 * the one extent that answers (inside it, and inside the file).  On an fmap
 * bpfam_fmap_check() would refuse, it may answer some offsets (from the
 * extent the search lands in) where bpfam_resolve() refuses all.
 *
 * Not detected: device ranges that overlap each other (inside one fmap or
 * across fmaps).  That takes O(nr^2) or global state, so it is checked where
 * fmaps are created.
 *
 * Return value: 0, or one of these negative errno values, in the order they
 * are checked:
 *   -EINVAL  malformed fmap header (version, kind, flags, nr, chunk),
 *            or unknown bits in `access`
 *   -ESTALE  the fmap belongs to another generation of the inode
 *   -EROFS   BPFAM_ACC_WRITE on a BPFAM_FMAP_RDONLY fmap
 *   -EINVAL  bpfam_resolve(): malformed extent (zero or unaligned length or
 *            offset, dev out of range, rsvd set, dev_off + len or the
 *            lengths' sum wrapping, extents that do not cover the file
 *            size, a strip too short for its chunks)
 *   -ENXIO   pos is at or after EOF
 *   -EINVAL  bpfam_resolve_pub(): the extent it found is malformed or does
 *            not hold pos
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

/* The checks before any extent is looked at, in the documented order. */
BPFAM_INLINE int bpfam_gate(__u32 version, __u32 kind, __u32 flags, __u32 nr,
			    __u64 chunk, __u64 fm_gen, __u64 gen, __u32 access)
{
	if (!bpfam_hdr_ok(version, kind, flags, nr, chunk) ||
	    (access & ~BPFAM_ACC_KNOWN))
		return -EINVAL;
	if (fm_gen != gen)
		return -ESTALE;
	if ((access & BPFAM_ACC_WRITE) && (flags & BPFAM_FMAP_RDONLY))
		return -EROFS;
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

/*
 * The validator: 0 when @fm, as a file of @size bytes, is an fmap the
 * fast path may serve (header, every extent, extents covering the size or
 * strips holding their chunks), else -EINVAL.  O(nr).
 */
BPFAM_INLINE int bpfam_fmap_check(const struct bpfam_fmap *fm, __u64 size)
{
	__u32 kind = fm->kind, nr = fm->nr, i;
	__u64 chunk = fm->chunk, end = 0;

	if (!bpfam_hdr_ok(fm->version, kind, fm->flags, nr, chunk))
		return -EINVAL;
	for (i = 0; i < BPFAM_MAX_EXTENTS && i < nr; i++) {
		const struct bpfam_extent *e = &fm->ext[i];
		__u64 len = e->len;

		if (!bpfam_ext_ok(e->dev_off, len, e->dev, e->rsvd))
			return -EINVAL;
		if (kind == BPFAM_FMAP_INTERLEAVED) {
			if (len < bpfam_strip_need(size, chunk, nr, i))
				return -EINVAL;
		} else if (len > BPFAM_U64_MAX - end) {
			return -EINVAL;
		}
		end += len;
	}
	return kind == BPFAM_FMAP_SIMPLE && end < size ? -EINVAL : 0;
}

/*
 * The answer for file offset @pos (< @size), which is byte @at of the
 * extent: at most @want bytes (the rest of an interleave chunk), never past
 * the extent or EOF.  The extent is checked here, the one that answers.
 */
BPFAM_INLINE int bpfam_answer(__u64 dev_off, __u64 len, __u32 dev, __u32 rsvd,
			      __u64 at, __u64 want, __u64 size, __u64 pos,
			      struct bpfam_run *out)
{
	__u64 run;

	if (!bpfam_ext_ok(dev_off, len, dev, rsvd) || at >= len)
		return -EINVAL;
	run = len - at;
	if (run > want)
		run = want;
	if (run > size - pos)
		run = size - pos;
	out->dev = dev;
	out->dev_off = dev_off + at;
	out->len = run;
	return 0;
}

/* Interleaving: file chunk c lives in strip c % nr at strip offset
 * (c / nr) * chunk.  Sets *at (the strip offset of pos) and *want (the
 * rest of pos's chunk); returns the strip. */
BPFAM_INLINE __u32 bpfam_stripe(__u64 chunk, __u32 nr, __u64 pos, __u64 *at,
				__u64 *want)
{
	__u64 c = pos / chunk, in = pos % chunk;

	*at = c / nr * chunk + in;
	*want = chunk - in;
	return c % nr;
}

/*
 * Namespace fmap @fm, as a file of @size bytes: validates it, then finds
 * pos by walking the extents (user space: the daemon's fallback data path,
 * the CLI, zeroing what a file gains).
 */
BPFAM_INLINE int bpfam_resolve_size(const struct bpfam_fmap *fm, __u64 size,
				    __u64 pos, struct bpfam_run *out)
{
	const struct bpfam_extent *e;
	__u64 start = 0, at, want = BPFAM_U64_MAX;
	__u32 i;

	if (bpfam_fmap_check(fm, size))
		return -EINVAL;
	if (pos >= size)
		return -ENXIO;
	if (fm->kind == BPFAM_FMAP_INTERLEAVED) {
		e = &fm->ext[bpfam_stripe(fm->chunk, fm->nr, pos, &at, &want)];
	} else {
		/* The check saw extents covering size > pos: one holds it. */
		for (i = 0; i + 1 < fm->nr && pos - start >= fm->ext[i].len;
		     i++)
			start += fm->ext[i].len;
		e = &fm->ext[i];
		at = pos - start;
	}
	return bpfam_answer(e->dev_off, e->len, e->dev, e->rsvd, at, want, size,
			    pos, out);
}

/*
 * Translates file offset pos of the inode generation gen, for an access of
 * kind `access` (BPFAM_ACC_*), through namespace fmap fm.  See the top of
 * this file for the errors.
 */
BPFAM_INLINE int bpfam_resolve(const struct bpfam_fmap *fm, __u64 gen,
			       __u64 pos, __u32 access, struct bpfam_run *out)
{
	int rc = bpfam_gate(fm->version, fm->kind, fm->flags, fm->nr, fm->chunk,
			    fm->gen, gen, access);

	return rc ? rc : bpfam_resolve_size(fm, fm->size, pos, out);
}

/*
 * The published form of namespace fmap @fm: its `fmaps` value @pub, of
 * generation @gen and publication number @seq, and when @exts is not NULL
 * all of its extents there too (what `fmap_exts` holds, in slot @slot, for
 * a file of more than BPFAM_FMAP_INLINE).  -EINVAL, and nothing written,
 * for an fmap bpfam_fmap_check() refuses.
 */
BPFAM_INLINE int bpfam_fmap_publish(const struct bpfam_fmap *fm, __u64 gen,
				    __u64 seq, __u32 slot,
				    struct bpfam_map_fmap *pub,
				    struct bpfam_map_exts *exts)
{
	struct bpfam_map_ext x;
	__u64 off = 0;
	__u32 i;

	if (bpfam_fmap_check(fm, fm->size))
		return -EINVAL;
	*pub = (struct bpfam_map_fmap){
		.seq = seq,
		.gen = gen,
		.size = fm->size,
		.chunk = fm->chunk,
		.version = fm->version,
		.kind = fm->kind,
		.nr = fm->nr,
		.flags = fm->flags,
		.slot = fm->nr > BPFAM_FMAP_INLINE ? slot : 0};
	if (exts)
		exts->seq = seq;
	for (i = 0; i < fm->nr; i++) {
		x = (struct bpfam_map_ext){
			.file_off = fm->kind == BPFAM_FMAP_SIMPLE ?
					    off :
					    (__u64)i * fm->chunk,
			.dev_off = fm->ext[i].dev_off,
			.len = fm->ext[i].len,
			.dev = fm->ext[i].dev};
		off += fm->ext[i].len;
		if (i < BPFAM_FMAP_INLINE)
			pub->ext[i] = x;
		if (exts)
			exts->ext[i] = x;
	}
	return 0;
}

/*
 * Finds pos in ext[0..max), max a power of two and ext the published
 * extents of @fm: the inline ones (max BPFAM_FMAP_INLINE) or those of its
 * `fmap_exts` entry (max BPFAM_MAX_EXTENTS).  Every index is masked with
 * max - 1, so no map contents can make it read outside ext[].
 */
BPFAM_INLINE int bpfam_find(const struct bpfam_map_ext *ext, __u32 max,
			    __u32 kind, __u32 nr, __u64 size, __u64 chunk,
			    __u64 pos, struct bpfam_run *out)
{
	const struct bpfam_map_ext *e;
	__u64 at, want = BPFAM_U64_MAX;
	__u32 i = 0, j, step;

	/* pos < size: a file without extents has none that holds it (and
	 * ext[0] may be a stale slot) */
	if (!nr)
		return -EINVAL;
	if (kind == BPFAM_FMAP_INTERLEAVED) {
		i = bpfam_stripe(chunk, nr, pos, &at, &want);
	} else {
		/* The last extent starting at or before pos: i grows by
		 * max/2, max/4, ... 1 while ext[i + step] still does. */
		for (step = max / 2; step; step /= 2) {
			j = i + step;
			if (j < nr && ext[j & (max - 1)].file_off <= pos)
				i = j;
		}
	}
	/* The verifier cannot bound a modulo or the search: it needs the
	 * mask, which the optimiser must not drop. */
	BPFAM_OPAQUE(i);
	e = &ext[i & (max - 1)];
	if (kind == BPFAM_FMAP_SIMPLE) {
		if (pos < e->file_off)
			return -EINVAL;
		at = pos - e->file_off;
	}
	return bpfam_answer(e->dev_off, e->len, e->dev, e->rsvd, at, want, size,
			    pos, out);
}

/*
 * Translates pos like bpfam_resolve(), through published fmap @fm and,
 * when it has more than BPFAM_FMAP_INLINE extents, the `fmap_exts` slot
 * @exts it names: -ESTALE when that is missing (NULL: a slot past the
 * array) or of another seq, as when the entry is being replaced.
 */
BPFAM_INLINE int bpfam_resolve_pub(const struct bpfam_map_fmap *fm,
				   const struct bpfam_map_exts *exts, __u64 gen,
				   __u64 pos, __u32 access,
				   struct bpfam_run *out)
{
	/* Read each header field once: what was checked is what is used. */
	__u32 kind = fm->kind, nr = fm->nr;
	__u64 size = fm->size, chunk = fm->chunk;
	int rc = bpfam_gate(fm->version, kind, fm->flags, nr, chunk, fm->gen,
			    gen, access);

	if (rc)
		return rc;
	if (pos >= size)
		return -ENXIO;
	if (nr <= BPFAM_FMAP_INLINE)
		return bpfam_find(fm->ext, BPFAM_FMAP_INLINE, kind, nr, size,
				  chunk, pos, out);
	if (!exts || exts->seq != fm->seq)
		return -ESTALE;
	return bpfam_find(exts->ext, BPFAM_MAX_EXTENTS, kind, nr, size, chunk,
			  pos, out);
}

#endif /* BPFAM_RESOLVE_H */
