// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "array.h"

void *bpfam_array_reach(void *v, uint64_t *n, uint64_t i, size_t size,
			uint64_t first)
{
	uint64_t cap = *n;
	char *grown;

	if (i < cap)
		return v;
	while (cap <= i) {
		if (cap > SIZE_MAX / 2 / size)
			return NULL;
		cap = cap ? cap * 2 : first;
	}
	grown = realloc(v, cap * size);
	if (!grown)
		return NULL;
	memset(grown + *n * size, 0, (cap - *n) * size);
	*n = cap;
	return grown;
}
