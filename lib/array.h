/* SPDX-License-Identifier: GPL-2.0 */
/* Tables indexed by a dense number, grown by doubling. */
#ifndef BPFAM_ARRAY_H
#define BPFAM_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/*
 * @v, an array of *@n elements of @size bytes, made to hold index @i:
 * reallocated to a power-of-two multiple of @first elements, the new ones
 * zeroed, and *@n updated.  NULL when out of memory (@v and *@n as they
 * were).  @v itself when it holds @i already.
 */
void *bpfam_array_reach(void *v, uint64_t *n, uint64_t i, size_t size,
			uint64_t first);

#endif /* BPFAM_ARRAY_H */
