// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "slab.h"

#define CHUNK_BYTES (64U << 10)

/*
 * Under AddressSanitizer every object is an allocation of its own, so
 * that a use after free is still caught.
 */
#if defined(__SANITIZE_ADDRESS__)
#define OWN_ALLOCATIONS 1
#else
#define OWN_ALLOCATIONS 0
#endif

/* 8-byte slots for @size bytes: at least one, which a free object's
 * link takes. */
static size_t slots(size_t size)
{
	return size > 8 ? (size + 7) / 8 : 1;
}

void *bpfam_slab_alloc(struct bpfam_slab *s, size_t size)
{
	size_t n = slots(size);
	void **chunk;
	char *p;

	if (OWN_ALLOCATIONS || size > BPFAM_SLAB_MAX)
		return calloc(1, size ? size : 1);
	if (s->free[n]) {
		p = s->free[n];
		s->free[n] = *(void **)p;
		return memset(p, 0, n * 8);
	}
	if (s->left < n * 8) {
		/* The rest of the old chunk is lost: less than 512 bytes. */
		chunk = calloc(1, CHUNK_BYTES);
		if (!chunk)
			return NULL;
		*chunk = s->chunks;
		s->chunks = chunk;
		s->cur = (char *)(chunk + 1);
		s->left = CHUNK_BYTES - sizeof(*chunk);
	}
	p = s->cur;
	s->cur += n * 8;
	s->left -= n * 8;
	return p;
}

void bpfam_slab_free(struct bpfam_slab *s, void *p, size_t size)
{
	size_t n = slots(size);

	if (!p)
		return;
	if (OWN_ALLOCATIONS || size > BPFAM_SLAB_MAX) {
		free(p);
		return;
	}
	*(void **)p = s->free[n];
	s->free[n] = p;
}

void bpfam_slab_destroy(struct bpfam_slab *s)
{
	void *chunk, *next;

	for (chunk = s->chunks; chunk; chunk = next) {
		next = *(void **)chunk;
		free(chunk);
	}
	memset(s, 0, sizeof(*s));
}
