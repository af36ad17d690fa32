// SPDX-License-Identifier: GPL-2.0
/* Small objects from chunks (lib/slab.h). */
#include <stdint.h>
#include <stdlib.h>

#include "slab.h"
#include "testdev.h"

#define N 20000 /* objects: several 64 KiB chunks */

/* Objects of many sizes: zeroed, 8-byte aligned, none overlapping. */
static void slab_objects_apart(void **state)
{
	struct bpfam_slab s = {0};
	unsigned char **v = calloc(N, sizeof(*v));
	size_t i, j, size;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < N; i++) {
		size = 1 + i % (BPFAM_SLAB_MAX + 100);
		v[i] = bpfam_slab_alloc(&s, size);
		assert_non_null(v[i]);
		assert_int_equal((uintptr_t)v[i] % 8, 0);
		for (j = 0; j < size; j++)
			assert_int_equal(v[i][j], 0);
		memset(v[i], (int)(i & 0xff), size);
	}
	for (i = 0; i < N; i++) {
		size = 1 + i % (BPFAM_SLAB_MAX + 100);
		for (j = 0; j < size; j++)
			assert_int_equal(v[i][j], i & 0xff);
		bpfam_slab_free(&s, v[i], size);
	}
	bpfam_slab_destroy(&s);
	free(v);
}

/* A freed object comes back zeroed; outside AddressSanitizer (where each
 * object is an allocation of its own) as the next one of its size. */
static void slab_reuses_freed(void **state)
{
	struct bpfam_slab s = {0};
	unsigned char *a, *b;
	size_t j;

	(void)state;
	a = bpfam_slab_alloc(&s, 49);
	memset(a, 0xff, 49);
	bpfam_slab_free(&s, a, 49);
	b = bpfam_slab_alloc(&s, 56);
	for (j = 0; j < 56; j++)
		assert_int_equal(b[j], 0);
#if !defined(__SANITIZE_ADDRESS__)
	assert_ptr_equal(a, b);
#endif
	bpfam_slab_free(&s, b, 56);
	bpfam_slab_free(&s, NULL, 8);
	bpfam_slab_destroy(&s);
	assert_null(s.chunks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slab_objects_apart),
		cmocka_unit_test(slab_reuses_freed),
	};

	return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
