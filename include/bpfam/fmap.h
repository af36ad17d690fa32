/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The fmap: where a file's bytes live on the shared-memory devices.
 *
 * One definition serves libbpfam, the daemon, the CLI and the BPF programs,
 * in two forms:
 *
 * - struct bpfam_fmap, the namespace's form: header and ext[0..nr), what
 *   the daemon keeps per file and what the user.bpfam.fmap xattr returns
 *   (BPFAM_FMAP_BYTES(nr) of it).
 * - The published form, in the pinned BPF maps the kernel fast path reads:
 *   a fixed-size struct bpfam_map_fmap in `fmaps` (key: the FUSE node id)
 *   with the first BPFAM_FMAP_INLINE extents, and for a file of more, a
 *   struct bpfam_map_exts with all of them in slot `slot` of the
 *   `fmap_exts` array (an array, not a hash: the verifier inlines its
 *   lookup, so a fragmented file costs no second hash lookup; the same
 *   seq in both says they belong together).  Each extent also carries its file offset, so that
 *   the resolver finds the extent of an offset by binary search.  Both are
 *   host-endian and fixed-size so that BTF describes every field and
 *   `bpftool map dump` prints them by name.
 *
 * Simple file (kind BPFAM_FMAP_SIMPLE): ext[0..nr) in file order; file byte
 * x lives in the extent where the running sum of lengths first exceeds x.
 *
 * Interleaved file (kind BPFAM_FMAP_INTERLEAVED): ext[0..nr) are the strips,
 * each one contiguous device range.  File chunk c (of `chunk` bytes) lives in
 * strip c % nr at strip offset (c / nr) * chunk.
 *
 * Every offset and length is a multiple of BPFAM_ALLOC_UNIT (2 MiB), which is
 * what lets the kernel map files with PMDs.
 */
#ifndef BPFAM_FMAP_H
#define BPFAM_FMAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BPFAM_FMAP_VERSION 1
#define BPFAM_ALLOC_UNIT   (2ULL << 20)
#define BPFAM_MAX_EXTENTS  256
#define BPFAM_MAX_STRIPS   64
#define BPFAM_MAX_DEVS     8
/* An interleave chunk is 2 MiB .. 1 GiB and a multiple of 2 MiB. */
#define BPFAM_MIN_CHUNK    BPFAM_ALLOC_UNIT
#define BPFAM_MAX_CHUNK    (1ULL << 30)

enum bpfam_fmap_kind {
	BPFAM_FMAP_SIMPLE = 1,
	BPFAM_FMAP_INTERLEAVED = 2,
};

/* fmap flags */
#define BPFAM_FMAP_RDONLY (1U << 0) /* writes resolve to -EROFS */

struct bpfam_extent {
	__u64 dev_off; /* byte offset in device `dev` */
	__u64 len;     /* bytes */
	__u32 dev;     /* index in the device table */
	__u32 rsvd;    /* zero */
};

struct bpfam_fmap {
	__u32 version; /* BPFAM_FMAP_VERSION */
	__u32 kind;    /* enum bpfam_fmap_kind */
	__u64 gen;     /* inode generation of the owning node id */
	__u64 size;    /* file size in bytes: the EOF the fast path enforces */
	__u64 chunk;   /* interleave chunk in bytes; 0 for simple files */
	__u32 nr;      /* extents (simple) or strips (interleaved) in use */
	__u32 flags;   /* BPFAM_FMAP_* */
	struct bpfam_extent ext[BPFAM_MAX_EXTENTS];
};

/*
 * Bytes of a struct bpfam_fmap up to and including ext[nr - 1]: what the
 * daemon keeps per file and what the user.bpfam.fmap xattr returns.
 */
#define BPFAM_FMAP_BYTES(nr)                              \
	(__builtin_offsetof(struct bpfam_fmap, ext) + \
	 (nr) * sizeof(struct bpfam_extent))

/* Extents the `fmaps` value holds itself: most files have one. */
#define BPFAM_FMAP_INLINE 4

/* Slots of the `fmap_exts` array: files of more than BPFAM_FMAP_INLINE
 * extents the kernel holds at once.  An array is allocated whole (8,200
 * bytes a slot: 16.8 MB, as much as the `fmaps` hash's buckets); a file
 * that finds no free slot is not published and the daemon serves it. */
#define BPFAM_EXTS_SLOTS 2048

/* An extent or strip as published: struct bpfam_extent and where it is in
 * the file. */
struct bpfam_map_ext {
	__u64 file_off; /* simple: file offset of its first byte; strip s:
			 * s * chunk, that of its first chunk */
	__u64 dev_off;	/* byte offset in device `dev` */
	__u64 len;	/* bytes */
	__u32 dev;	/* index in the device table */
	__u32 rsvd;	/* zero */
};

/* Value of the `fmaps` hash map (key: the FUSE node id). */
struct bpfam_map_fmap {
	/* Publication number, unique for the daemon's life; first, so that
	 * a front-to-back copy over a reused element changes it before the
	 * rest: the resolver reads it again after the extents. */
	__u64 seq;
	__u64 gen;     /* inode generation, as the kernel knows it */
	__u64 size;    /* file size in bytes: the EOF the fast path enforces */
	__u64 chunk;   /* interleave chunk in bytes; 0 for simple files */
	__u32 version; /* BPFAM_FMAP_VERSION */
	__u32 kind;    /* enum bpfam_fmap_kind */
	__u32 nr;      /* extents (simple) or strips (interleaved) */
	__u32 flags;   /* BPFAM_FMAP_* */
	__u32 slot;    /* nr > BPFAM_FMAP_INLINE: its `fmap_exts` index */
	__u32 rsvd;    /* zero */
	/* ext[0..min(nr, BPFAM_FMAP_INLINE)); zeros after */
	struct bpfam_map_ext ext[BPFAM_FMAP_INLINE];
};

/* Value of `fmap_exts` (index: bpfam_map_fmap.slot), for a file of more
 * than BPFAM_FMAP_INLINE extents. */
struct bpfam_map_exts {
	/* Its `fmaps` value's: a slot is reused, so the resolver takes the
	 * extents only under the seq of the value that named the slot, and
	 * reads it again after them.  Zero: a free slot. */
	__u64 seq;
	struct bpfam_map_ext ext[BPFAM_MAX_EXTENTS]; /* ext[0..nr); zeros after */
};

/* One registered device, value of the `devs` array map (index = dev). */
struct bpfam_dev {
	__u64 size;      /* usable bytes */
	__u32 kernel_id; /* id the kernel returned when the fd was registered */
	__u32 flags;     /* BPFAM_DEV_* */
	__u8 uuid[16];   /* fs UUID of the bpfam on it */
};

#define BPFAM_DEV_PRESENT (1U << 0)

#endif /* BPFAM_FMAP_H */
