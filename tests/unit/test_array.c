// SPDX-License-Identifier: GPL-2.0
/* Tables indexed by a dense number (lib/array.h). */
#include <stdlib.h>

#include "array.h"
#include "testdev.h"

/* Growing keeps what was there, zeroes the rest, and doubles from first. */
static void array_grows_zeroed(void **state)
{
	uint64_t n = 0, i, *v = NULL, *grown;

	(void)state;
	v = bpfam_array_reach(v, &n, 0, sizeof(*v), 16);
	assert_non_null(v);
	assert_int_equal(n, 16);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i], 0);
		v[i] = i + 1;
	}
	assert_ptr_equal(bpfam_array_reach(v, &n, 15, sizeof(*v), 16), v);
	assert_int_equal(n, 16);
	grown = bpfam_array_reach(v, &n, 100, sizeof(*v), 16);
	assert_non_null(grown);
	v = grown;
	assert_int_equal(n, 128);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i < 16 ? i + 1 : 0);
	free(v);
}

/* An index no memory can hold: NULL, the array and its count untouched. */
static void array_refuses_huge_index(void **state)
{
	uint64_t n = 0, *v;

	(void)state;
	v = bpfam_array_reach(NULL, &n, 3, sizeof(*v), 4);
	assert_non_null(v);
	v[3] = 7;
	assert_null(bpfam_array_reach(v, &n, UINT64_MAX, sizeof(*v), 4));
	assert_null(
		bpfam_array_reach(v, &n, SIZE_MAX / sizeof(*v), sizeof(*v), 4));
	assert_int_equal(n, 4);
	assert_int_equal(v[3], 7);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(array_grows_zeroed),
		cmocka_unit_test(array_refuses_huge_index),
	};

	return cmocka_run_group_tests_name("array", tests, NULL, NULL);
}
