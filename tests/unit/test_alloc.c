// SPDX-License-Identifier: GPL-2.0
/* The free map: best fit, fewest extents, limits, reserve and release. */
#include <errno.h>
#include <stdlib.h>

#include "alloc.h"
#include "testdev.h"

#define BASE (10 * MIB)

static uint64_t at(uint64_t unit)
{
	return BASE + unit * UNIT;
}

/* A map of @n units, all allocated but the runs [free[2i], free[2i+1]). */
static void map_with_runs(struct bpfam_alloc *a, uint64_t n,
			  const uint64_t *runs, size_t nruns)
{
	size_t i;

	assert_int_equal(bpfam_alloc_init(a, BASE, at(n)), 0);
	assert_int_equal(bpfam_alloc_reserve(a, BASE, n * UNIT), 0);
	for (i = 0; i < nruns; i++)
		bpfam_alloc_release(a, at(runs[2 * i]),
				    (runs[2 * i + 1] - runs[2 * i]) * UNIT);
}

static void assert_extent(const struct bpfam_fmap *m, uint32_t i, uint64_t unit,
			  uint64_t units)
{
	assert_true(i < m->nr);
	assert_int_equal(m->ext[i].dev, 0);
	assert_int_equal(m->ext[i].dev_off, at(unit));
	assert_int_equal(m->ext[i].len, units * UNIT);
}

static const uint64_t runs[] = {10, 15, 20, 23, 40, 48}; /* 5, 3, 8 */

static void init_rejects(void **state)
{
	struct bpfam_alloc a;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE + 4096, at(10)), -EINVAL);
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(10) + 4096), -EINVAL);
	assert_int_equal(bpfam_alloc_init(&a, at(10), BASE), -EINVAL);
}

static void rounds_up_to_units(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(100)), 0);
	assert_int_equal(bpfam_alloc_simple(&a, 1, &m), 0);
	assert_extent(&m, 0, 0, 1);
	assert_int_equal(m.size, 1);
	assert_int_equal(m.kind, BPFAM_FMAP_SIMPLE);
	assert_int_equal(bpfam_alloc_simple(&a, UNIT, &m), 0);
	assert_extent(&m, 0, 1, 1);
	assert_int_equal(bpfam_alloc_simple(&a, UNIT + 1, &m), 0);
	assert_extent(&m, 0, 2, 2);
	assert_int_equal(a.nfree, 96);
	assert_int_equal(bpfam_alloc_simple(&a, 0, &m), -EINVAL);
	bpfam_alloc_destroy(&a);
}

static void best_fit(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	map_with_runs(&a, 100, runs, 3);
	/* 3 units fit the 5- and the 8-unit runs too: the 3-unit run wins. */
	assert_int_equal(bpfam_alloc_simple(&a, 3 * UNIT, &m), 0);
	assert_int_equal(m.nr, 1);
	assert_extent(&m, 0, 20, 3);
	/* Then the 5-unit run is the smallest that fits. */
	assert_int_equal(bpfam_alloc_simple(&a, 1, &m), 0);
	assert_extent(&m, 0, 10, 1);
	assert_int_equal(a.nfree, 12);
	bpfam_alloc_destroy(&a);
}

static void fewest_extents(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	map_with_runs(&a, 100, runs, 3);
	/* No run holds 10 units: the largest first, 8 then 2 of the 5. */
	assert_int_equal(bpfam_alloc_simple(&a, 10 * UNIT, &m), 0);
	assert_int_equal(m.nr, 2);
	assert_extent(&m, 0, 40, 8);
	assert_extent(&m, 1, 10, 2);
	assert_int_equal(a.nfree, 6);
	/* 6 units left in runs of 3, 3: exactly enough, two extents. */
	assert_int_equal(bpfam_alloc_simple(&a, 6 * UNIT, &m), 0);
	assert_int_equal(m.nr, 2);
	assert_int_equal(a.nfree, 0);
	bpfam_alloc_destroy(&a);
}

/* Every other unit free: n units take n extents. */
static void checkerboard(struct bpfam_alloc *a, uint64_t free_units)
{
	uint64_t i, n = 2 * free_units;

	assert_int_equal(bpfam_alloc_init(a, BASE, at(n)), 0);
	for (i = 0; i < n; i += 2)
		assert_int_equal(bpfam_alloc_reserve(a, at(i), UNIT), 0);
}

static void max_extents(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;
	uint64_t *before;
	size_t words;

	(void)state;
	checkerboard(&a, 300);
	assert_int_equal(bpfam_alloc_simple(&a, BPFAM_MAX_EXTENTS * UNIT, &m),
			 0);
	assert_int_equal(m.nr, BPFAM_MAX_EXTENTS);
	assert_int_equal(a.nfree, 300 - BPFAM_MAX_EXTENTS);
	bpfam_alloc_release_fmap(&a, &m);
	assert_int_equal(a.nfree, 300);

	/* One unit more than an fmap can list: ENOSPC, and nothing taken. */
	words = (a.nunits + 63) / 64;
	before = malloc(words * sizeof(*before));
	assert_non_null(before);
	memcpy(before, a.used, words * sizeof(*before));
	assert_int_equal(
		bpfam_alloc_simple(&a, (BPFAM_MAX_EXTENTS + 1) * UNIT, &m),
		-ENOSPC);
	assert_int_equal(a.nfree, 300);
	assert_memory_equal(before, a.used, words * sizeof(*before));
	free(before);
	bpfam_alloc_destroy(&a);
}

static void exhaustion(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(50)), 0);
	assert_int_equal(bpfam_alloc_simple(&a, 51 * UNIT, &m), -ENOSPC);
	assert_int_equal(a.nfree, 50);
	assert_int_equal(bpfam_alloc_simple(&a, 50 * UNIT, &m), 0);
	assert_int_equal(m.nr, 1);
	assert_int_equal(a.nfree, 0);
	assert_int_equal(bpfam_alloc_simple(&a, 1, &m), -ENOSPC);
	bpfam_alloc_destroy(&a);
}

static void reserve_checks(void **state)
{
	struct bpfam_alloc a;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(20)), 0);
	assert_int_equal(bpfam_alloc_reserve(&a, at(5), 3 * UNIT), 0);
	assert_int_equal(bpfam_alloc_reserve(&a, at(7), 2 * UNIT), -EEXIST);
	assert_int_equal(bpfam_alloc_reserve(&a, at(4), 2 * UNIT), -EEXIST);
	assert_int_equal(a.nfree, 17);
	/* The failed reserve of [7, 9) marked nothing: unit 8 is free. */
	assert_int_equal(bpfam_alloc_reserve(&a, at(8), UNIT), 0);
	assert_int_equal(bpfam_alloc_reserve(&a, at(1) + 4096, UNIT), -ERANGE);
	assert_int_equal(bpfam_alloc_reserve(&a, at(1), 4096), -ERANGE);
	assert_int_equal(bpfam_alloc_reserve(&a, at(1), 0), -ERANGE);
	assert_int_equal(bpfam_alloc_reserve(&a, BASE - UNIT, UNIT), -ERANGE);
	assert_int_equal(bpfam_alloc_reserve(&a, at(19), 2 * UNIT), -ERANGE);
	assert_int_equal(bpfam_alloc_reserve(&a, at(20), UNIT), -ERANGE);
	assert_int_equal(a.nfree, 16);
	bpfam_alloc_destroy(&a);
}

static void reserve_fmap_all_or_nothing(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m = {.nr = 3};
	uint32_t bad = 99;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(20)), 0);
	assert_int_equal(bpfam_alloc_reserve(&a, at(10), UNIT), 0);
	m.ext[0] = (struct bpfam_extent){.dev_off = at(0), .len = 2 * UNIT};
	m.ext[1] = (struct bpfam_extent){.dev_off = at(4), .len = UNIT};
	m.ext[2] = (struct bpfam_extent){.dev_off = at(9), .len = 2 * UNIT};
	assert_int_equal(bpfam_alloc_reserve_fmap(&a, &m, &bad), -EEXIST);
	assert_int_equal(bad, 2);
	assert_int_equal(a.nfree, 19);
	m.nr = 2;
	assert_int_equal(bpfam_alloc_reserve_fmap(&a, &m, &bad), 0);
	assert_int_equal(a.nfree, 16);
	bpfam_alloc_release_fmap(&a, &m);
	assert_int_equal(a.nfree, 19);
	bpfam_alloc_destroy(&a);
}

static void interleaved(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(100)), 0);
	/* 10 MiB = 5 chunks of 2 MiB over 2 strips: 3 chunks per strip. */
	assert_int_equal(bpfam_alloc_interleaved(&a, 10 * MIB, 2, 2 * MIB, &m),
			 0);
	assert_int_equal(m.kind, BPFAM_FMAP_INTERLEAVED);
	assert_int_equal(m.chunk, 2 * MIB);
	assert_int_equal(m.size, 10 * MIB);
	assert_int_equal(m.nr, 2);
	assert_extent(&m, 0, 0, 3);
	assert_extent(&m, 1, 3, 3);
	/* 4 MiB chunks, 3 strips, 20 MiB: 5 chunks, 2 per strip of 8 MiB. */
	assert_int_equal(bpfam_alloc_interleaved(&a, 20 * MIB, 3, 4 * MIB, &m),
			 0);
	assert_int_equal(m.nr, 3);
	assert_extent(&m, 2, 14, 4);
	assert_int_equal(a.nfree, 100 - 6 - 12);
	bpfam_alloc_destroy(&a);
}

static void interleaved_geometry(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	assert_int_equal(bpfam_alloc_init(&a, BASE, at(100)), 0);
	assert_int_equal(bpfam_alloc_interleaved(&a, MIB, 0, UNIT, &m),
			 -EINVAL);
	assert_int_equal(bpfam_alloc_interleaved(&a, MIB, BPFAM_MAX_STRIPS + 1,
						 UNIT, &m),
			 -EINVAL);
	assert_int_equal(bpfam_alloc_interleaved(&a, MIB, 2, MIB, &m), -EINVAL);
	assert_int_equal(bpfam_alloc_interleaved(&a, MIB, 2, 3 * MIB, &m),
			 -EINVAL);
	assert_int_equal(bpfam_alloc_interleaved(&a, MIB, 2, 2ULL << 30, &m),
			 -EINVAL);
	assert_int_equal(bpfam_alloc_interleaved(&a, 0, 2, UNIT, &m), -EINVAL);
	assert_int_equal(a.nfree, 100);
	bpfam_alloc_destroy(&a);
}

/* Enough free units, but not in runs as long as a strip. */
static void interleaved_needs_runs(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m;

	(void)state;
	map_with_runs(&a, 100, runs, 3);
	/* Two strips of 4 units: the 5 and the 8 run. */
	assert_int_equal(bpfam_alloc_interleaved(&a, 16 * MIB, 2, UNIT, &m), 0);
	bpfam_alloc_release_fmap(&a, &m);
	/* Four strips of 4 units (all 16 free units): one in the 5 run, two
	 * in the 8 run, and no run left for the fourth. */
	assert_int_equal(bpfam_alloc_interleaved(&a, 32 * MIB, 4, UNIT, &m),
			 -ENOSPC);
	assert_int_equal(a.nfree, 16);
	bpfam_alloc_destroy(&a);
}

static void release_reuses(void **state)
{
	struct bpfam_alloc a;
	struct bpfam_fmap m1, m2;

	(void)state;
	map_with_runs(&a, 100, runs, 3);
	assert_int_equal(bpfam_alloc_simple(&a, 10 * UNIT, &m1), 0);
	bpfam_alloc_release_fmap(&a, &m1);
	assert_int_equal(a.nfree, 16);
	assert_int_equal(bpfam_alloc_simple(&a, 10 * UNIT, &m2), 0);
	assert_memory_equal(&m1, &m2, sizeof(m1));
	bpfam_alloc_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_rejects),
		cmocka_unit_test(rounds_up_to_units),
		cmocka_unit_test(best_fit),
		cmocka_unit_test(fewest_extents),
		cmocka_unit_test(max_extents),
		cmocka_unit_test(exhaustion),
		cmocka_unit_test(reserve_checks),
		cmocka_unit_test(reserve_fmap_all_or_nothing),
		cmocka_unit_test(interleaved),
		cmocka_unit_test(interleaved_geometry),
		cmocka_unit_test(interleaved_needs_runs),
		cmocka_unit_test(release_reuses),
	};

	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
