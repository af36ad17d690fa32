/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small objects by the million (names, one-extent fmaps) without malloc's
 * 8-byte header and 16-byte rounding: carved from 64 KiB chunks in
 * multiples of 8 bytes, and kept on a free list by size when freed.
 * Memory goes back to the system only when the slab is destroyed.
 */
#ifndef BPFAM_SLAB_H
#define BPFAM_SLAB_H

#include <stddef.h>

/* Objects up to this size come from the slab; larger ones from malloc. */
#define BPFAM_SLAB_MAX 512

struct bpfam_slab {
	void *free[BPFAM_SLAB_MAX / 8 + 1]; /* by size / 8, rounded up */
	void *chunks;			    /* each starts with the next */
	char *cur;			    /* the rest of the newest chunk */
	size_t left;
};

/* @size zeroed bytes, aligned to 8; NULL when out of memory. */
void *bpfam_slab_alloc(struct bpfam_slab *s, size_t size);

/* Give back @p, allocated with this @size (NULL: nothing). */
void bpfam_slab_free(struct bpfam_slab *s, void *p, size_t size);

/* Free every chunk: every object of @s goes at once. */
void bpfam_slab_destroy(struct bpfam_slab *s);

#endif /* BPFAM_SLAB_H */
