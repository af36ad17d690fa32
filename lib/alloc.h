/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The free map of one device, in 2 MiB units.  It is not stored: playing
 * the log rebuilds it, by reserving every extent of every fmap.
 */
#ifndef BPFAM_ALLOC_H
#define BPFAM_ALLOC_H

#include <stdint.h>

#include "bpfam/fmap.h"

struct bpfam_alloc {
	uint64_t base;   /* device offset of unit 0 */
	uint64_t nunits;
	uint64_t nfree;
	uint64_t *used;  /* bitmap, bit set = allocated */
};

/* Free map of the 2 MiB-aligned range [base, end).  -ENOMEM. */
int bpfam_alloc_init(struct bpfam_alloc *a, uint64_t base, uint64_t end);
void bpfam_alloc_destroy(struct bpfam_alloc *a);

/*
 * Mark [off, off + len) allocated.  -ERANGE if it is not inside the map or
 * not 2 MiB aligned, -EEXIST if any unit is already allocated; nothing is
 * marked on failure.
 */
int bpfam_alloc_reserve(struct bpfam_alloc *a, uint64_t off, uint64_t len);
void bpfam_alloc_release(struct bpfam_alloc *a, uint64_t off, uint64_t len);

/* Reserve all of @m's extents, all or nothing; see bpfam_alloc_reserve. */
int bpfam_alloc_reserve_fmap(struct bpfam_alloc *a, const struct bpfam_fmap *m,
			     uint32_t *bad_ext);
void bpfam_alloc_release_fmap(struct bpfam_alloc *a,
			      const struct bpfam_fmap *m);

/* Bytes of device @m holds (its extents' lengths); 0 for NULL. */
uint64_t bpfam_alloc_fmap_bytes(const struct bpfam_fmap *m);

/*
 * Allocate @size bytes (> 0) in the fewest extents: one extent when a free
 * run is large enough (the smallest such run), else the largest runs first.
 * Fills m->kind, size, chunk, nr and ext[].  -ENOSPC when there is not
 * enough free space or it would take more than BPFAM_MAX_EXTENTS extents.
 */
int bpfam_alloc_simple(struct bpfam_alloc *a, uint64_t size,
		       struct bpfam_fmap *m);

/*
 * Grow simple fmap @m by @bytes (a multiple of 2 MiB) of device: behind
 * its last extent when that is free, else in the fewest new extents.
 * Size is left alone.  -ENOSPC (with @m and the map as they were) when it
 * does not fit in BPFAM_MAX_EXTENTS extents; -EINVAL for an interleaved
 * fmap or an unaligned @bytes.
 */
int bpfam_alloc_extend(struct bpfam_alloc *a, struct bpfam_fmap *m,
		       uint64_t bytes);

/*
 * Allocate @size bytes striped over @strips (1..BPFAM_MAX_STRIPS) strips of
 * @chunk bytes (2 MiB..1 GiB, a multiple of 2 MiB): each strip one
 * contiguous run.  -EINVAL for bad geometry, -ENOSPC when it does not fit.
 */
int bpfam_alloc_interleaved(struct bpfam_alloc *a, uint64_t size,
			    uint32_t strips, uint64_t chunk,
			    struct bpfam_fmap *m);

#endif /* BPFAM_ALLOC_H */
