/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF maps the kernel fast path reads (bpf/maps.bpf.h), created from
 * the bpfam_maps skeleton and pinned under /sys/fs/bpf/bpfam/<fs-uuid>/.
 */
#ifndef BPFAMD_MAPS_H
#define BPFAMD_MAPS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfam/counters.h"
#include "bpfam/fmap.h"
#include "fs.h"

struct bpfam_maps;
struct bpf_object;

struct bpfamd_maps {
	struct bpfam_maps *skel; /* NULL: BPF unavailable, nothing published */
	char dir[PATH_MAX];	 /* the pin directory */
	uint64_t entries;	 /* fmaps published */
	uint64_t seq;		 /* the last bpfam_map_fmap.seq given */
	int lock_fd;		 /* flock: we own the pin directory */
	/* `fmap_exts` slots in use (bit i: slot i) */
	uint64_t slots[BPFAM_EXTS_SLOTS / 64];
};

/*
 * Create the maps, fill `devs` with device 0 and pin them, replacing a pin
 * directory a killed daemon of the same filesystem left.  On failure @why
 * gets the reason, nothing stays pinned and m->skel is NULL.
 */
int bpfamd_maps_open(struct bpfamd_maps *m, const struct bpfam_fs *fs,
		     char *why, size_t why_len);

/*
 * The generation the kernel knows a node by: it keeps only the low 32 bits
 * of FUSE's generation (inode->i_generation), and resolve() compares
 * fmap.gen with that.  Entry replies and published fmaps both use this, so
 * they agree even once the log's sequence numbers pass 2^32; node ids are
 * never reused in format v1, so the truncation cannot make a stale fmap
 * match.
 */
static inline uint64_t bpfamd_kernel_gen(uint64_t gen)
{
	return (uint32_t)gen;
}

/* Publish @fm as node @node's fmap (gen: bpfamd_kernel_gen()).  -EEXIST if
 * there already is one, -EINVAL if bpfam_fmap_check() refuses it, -ENOSPC
 * for a file of more than BPFAM_FMAP_INLINE extents when every
 * `fmap_exts` slot is taken. */
int bpfamd_maps_insert(struct bpfamd_maps *m, uint64_t node,
		       const struct bpfam_fmap *fm);
/*
 * Replace node @node's published fmap by @fm in one update (-ENOENT if it
 * has none): a resolve finds the old value or the new one, never none.
 * The hash map adds the new element before it unlinks the old one, which
 * a later update may reuse while a resolve that found it still reads it
 * (kpatch/README.md); the resolver then sees the value's seq change.
 */
int bpfamd_maps_replace(struct bpfamd_maps *m, uint64_t node,
			const struct bpfam_fmap *fm);
void bpfamd_maps_delete(struct bpfamd_maps *m, uint64_t node);

/* Record the id the kernel gave device @idx when it was registered. */
int bpfamd_maps_set_kernel_id(struct bpfamd_maps *m, uint32_t idx,
			      uint32_t kernel_id);

/* Make @obj, before it is loaded, use our maps wherever it has one of the
 * same name instead of creating its own. */
int bpfamd_maps_reuse(const struct bpfamd_maps *m, struct bpf_object *obj);

/* The fast-path counters, summed over the CPUs; zero without maps. */
void bpfamd_maps_counters(const struct bpfamd_maps *m,
			  struct bpfam_counters *sum);

/* Unpin everything, remove the pin directory and destroy the maps. */
void bpfamd_maps_close(struct bpfamd_maps *m);

#endif /* BPFAMD_MAPS_H */
