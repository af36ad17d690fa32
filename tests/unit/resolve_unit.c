// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * bpfam_resolve() edge cases in plain C: exact extent, chunk and EOF
 * boundaries, offsets near 2^64, generation and access checks, and each
 * kind of malformed fmap (with the documented order of the errors); and
 * the published form: bpfam_fmap_publish() and bpfam_resolve_pub().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bpfam/resolve.h"

#define MiB	(1ULL << 20)
#define UNIT	BPFAM_ALLOC_UNIT
#define U64_MAX (~0ULL)
#define GEN	42

static struct bpfam_fmap fm;

/* A simple file of nr extents of len bytes each, on device 1, 1 GiB apart
 * on the device; size is the sum of the lengths. */
static void simple(__u32 nr, __u64 len)
{
	__u32 i;

	memset(&fm, 0, sizeof(fm));
	fm.version = BPFAM_FMAP_VERSION;
	fm.kind = BPFAM_FMAP_SIMPLE;
	fm.gen = GEN;
	fm.nr = nr;
	for (i = 0; i < nr; i++) {
		fm.ext[i].dev = 1;
		fm.ext[i].dev_off = (__u64)i << 30;
		fm.ext[i].len = len;
		fm.size += len;
	}
}

/* An interleaved file of nr strips of len bytes, strip i on device i % 8 at
 * (i + 1) GiB. */
static void interleaved(__u32 nr, __u64 chunk, __u64 len, __u64 size)
{
	__u32 i;

	memset(&fm, 0, sizeof(fm));
	fm.version = BPFAM_FMAP_VERSION;
	fm.kind = BPFAM_FMAP_INTERLEAVED;
	fm.gen = GEN;
	fm.nr = nr;
	fm.chunk = chunk;
	fm.size = size;
	for (i = 0; i < nr; i++) {
		fm.ext[i].dev = i % BPFAM_MAX_DEVS;
		fm.ext[i].dev_off = (__u64)(i + 1) << 30;
		fm.ext[i].len = len;
	}
}

static int rc_at(__u64 pos)
{
	struct bpfam_run r = {};

	return bpfam_resolve(&fm, GEN, pos, 0, &r);
}

static void expect(__u64 pos, __u32 dev, __u64 dev_off, __u64 len)
{
	struct bpfam_run r = {};

	assert_int_equal(bpfam_resolve(&fm, GEN, pos, 0, &r), 0);
	assert_int_equal(r.dev, dev);
	assert_int_equal(r.dev_off, dev_off);
	assert_int_equal(r.len, len);
}

static void simple_boundaries(void **state)
{
	(void)state;
	simple(3, 4 * MiB);
	fm.size -= 1;
	expect(0, 1, 0, 4 * MiB);
	expect(4 * MiB - 1, 1, 4 * MiB - 1, 1);
	expect(4 * MiB, 1, 1ULL << 30, 4 * MiB);
	expect(4 * MiB + 1, 1, (1ULL << 30) + 1, 4 * MiB - 1);
	/* the last extent's run stops at EOF, one byte short of its end */
	expect(8 * MiB, 1, 2ULL << 30, 4 * MiB - 1);
	expect(fm.size - 1, 1, (2ULL << 30) + 4 * MiB - 2, 1);
	assert_int_equal(rc_at(fm.size), -ENXIO);
	assert_int_equal(rc_at(12 * MiB), -ENXIO);
	assert_int_equal(rc_at(U64_MAX), -ENXIO);
}

static void simple_past_eof_and_empty(void **state)
{
	(void)state;
	simple(3, UNIT);
	fm.size = 1; /* extents 1 and 2 are preallocation */
	expect(0, 1, 0, 1);
	assert_int_equal(rc_at(1), -ENXIO);
	assert_int_equal(rc_at(UNIT), -ENXIO);
	simple(0, 0);
	assert_int_equal(rc_at(0), -ENXIO);
	fm.size = 1;
	assert_int_equal(rc_at(0), -EINVAL);
}

static void simple_max_extents(void **state)
{
	(void)state;
	simple(BPFAM_MAX_EXTENTS, UNIT);
	expect(fm.size - 1, 1, (255ULL << 30) + UNIT - 1, 1);
	expect(255 * UNIT, 1, 255ULL << 30, UNIT);
	fm.nr = BPFAM_MAX_EXTENTS + 1;
	assert_int_equal(rc_at(0), -EINVAL);
}

static void near_u64_max(void **state)
{
	(void)state;
	/* the highest device range whose end does not wrap */
	simple(1, UNIT);
	fm.ext[0].dev_off = U64_MAX - 2 * UNIT + 1;
	expect(UNIT - 1, 1, U64_MAX - UNIT, 1);
	fm.ext[0].dev_off += UNIT; /* dev_off + len == 2^64 */
	assert_int_equal(rc_at(0), -EINVAL);
	/* a file of 2^64 - 2 MiB bytes, queried at its last byte */
	simple(1, U64_MAX - UNIT + 1);
	fm.ext[0].dev_off = 0;
	fm.size = U64_MAX - UNIT + 1;
	expect(fm.size - 1, 1, fm.size - 1, 1);
	assert_int_equal(rc_at(fm.size), -ENXIO);
	/* two 2^63 extents: the lengths' sum wraps to 0 */
	simple(2, 1ULL << 63);
	fm.ext[1].dev = 2;
	fm.size = 0;
	assert_int_equal(rc_at(0), -EINVAL);
}

static void generation_and_access(void **state)
{
	struct bpfam_run r = {};

	(void)state;
	simple(1, UNIT);
	assert_int_equal(bpfam_resolve(&fm, GEN + 1, 0, 0, &r), -ESTALE);
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, BPFAM_ACC_WRITE, &r), 0);
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, BPFAM_ACC_KNOWN, &r), 0);
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, 1U << 2, &r), -EINVAL);
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, 1U << 31, &r), -EINVAL);
	fm.flags = BPFAM_FMAP_RDONLY;
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, BPFAM_ACC_FAULT, &r), 0);
	assert_int_equal(bpfam_resolve(&fm, GEN, 0, BPFAM_ACC_WRITE, &r),
			 -EROFS);
	/* RDONLY is checked before EOF; the generation before both */
	assert_int_equal(bpfam_resolve(&fm, GEN, UNIT, BPFAM_ACC_WRITE, &r),
			 -EROFS);
	assert_int_equal(bpfam_resolve(&fm, 0, UNIT, BPFAM_ACC_WRITE, &r),
			 -ESTALE);
}

static void error_order(void **state)
{
	struct bpfam_run r = {};

	(void)state;
	/* a bad header beats a stale generation... */
	simple(1, UNIT);
	fm.version = 0;
	assert_int_equal(bpfam_resolve(&fm, 0, 0, 0, &r), -EINVAL);
	/* ...which beats a bad extent, which beats EOF */
	simple(1, UNIT);
	fm.ext[0].len = 0;
	assert_int_equal(bpfam_resolve(&fm, 0, 0, 0, &r), -ESTALE);
	assert_int_equal(bpfam_resolve(&fm, GEN, U64_MAX, 0, &r), -EINVAL);
}

static void malformed_header(void **state)
{
	(void)state;
	simple(1, UNIT);
	fm.version = BPFAM_FMAP_VERSION + 1;
	assert_int_equal(rc_at(0), -EINVAL);
	simple(1, UNIT);
	fm.kind = 0;
	assert_int_equal(rc_at(0), -EINVAL);
	simple(1, UNIT);
	fm.kind = 3;
	assert_int_equal(rc_at(0), -EINVAL);
	simple(1, UNIT);
	fm.flags = 1U << 1;
	assert_int_equal(rc_at(0), -EINVAL);
	simple(1, UNIT);
	fm.chunk = UNIT; /* simple files have no chunk */
	assert_int_equal(rc_at(0), -EINVAL);
}

/* Each broken extent is the second of three, and the query hits the
 * first: a malformed fmap answers no offset at all. */
static void malformed_extent(void **state)
{
	static const struct {
		size_t off;
		__u64 val;
		int size;
	} bad[] = {
		{offsetof(struct bpfam_extent, len), 0, 8},
		{offsetof(struct bpfam_extent, len), UNIT + 1, 8},
		{offsetof(struct bpfam_extent, len), UNIT / 2, 8},
		{offsetof(struct bpfam_extent, dev_off), 4096, 8},
		{offsetof(struct bpfam_extent, dev), BPFAM_MAX_DEVS, 4},
		{offsetof(struct bpfam_extent, dev), ~0U, 4},
		{offsetof(struct bpfam_extent, rsvd), 1, 4},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		__u32 v32 = bad[i].val;

		simple(3, UNIT);
		memcpy((char *)&fm.ext[1] + bad[i].off,
		       bad[i].size == 8 ? (void *)&bad[i].val : (void *)&v32,
		       bad[i].size);
		assert_int_equal(rc_at(0), -EINVAL);
		interleaved(3, UNIT, UNIT, 3 * UNIT);
		memcpy((char *)&fm.ext[1] + bad[i].off,
		       bad[i].size == 8 ? (void *)&bad[i].val : (void *)&v32,
		       bad[i].size);
		assert_int_equal(rc_at(0), -EINVAL);
	}
	/* extents one byte short of the file */
	simple(3, UNIT);
	fm.size += 1;
	assert_int_equal(rc_at(0), -EINVAL);
}

static void interleaved_layout(void **state)
{
	__u64 g = 1ULL << 30;

	(void)state;
	/* 3 strips, 2 MiB chunks, 7 chunks and 1 byte: strip 1 holds chunks
	 * 1, 4 and the 1-byte chunk 7 */
	interleaved(3, UNIT, 3 * UNIT, 7 * UNIT + 1);
	expect(0, 0, g, UNIT);
	expect(UNIT - 1, 0, g + UNIT - 1, 1);
	expect(UNIT, 1, 2 * g, UNIT);
	expect(4 * UNIT + 5, 1, 2 * g + UNIT + 5, UNIT - 5);
	expect(6 * UNIT, 0, g + 2 * UNIT, UNIT);
	expect(7 * UNIT, 1, 2 * g + 2 * UNIT, 1);
	assert_int_equal(rc_at(7 * UNIT + 1), -ENXIO);
	assert_int_equal(rc_at(U64_MAX), -ENXIO);
	/* strip 1 needs 2 chunks and 1 byte: 2 chunks are one byte short */
	fm.ext[1].len = 2 * UNIT;
	assert_int_equal(rc_at(0), -EINVAL);
	/* strip 2 only needs 2 chunks */
	fm.ext[1].len = 3 * UNIT;
	fm.ext[2].len = 2 * UNIT;
	expect(5 * UNIT, 2, 3 * g + UNIT, UNIT);
	fm.size = 0;
	assert_int_equal(rc_at(0), -ENXIO);
}

static void interleaved_limits(void **state)
{
	__u64 g = 1ULL << 30;

	(void)state;
	interleaved(BPFAM_MAX_STRIPS, BPFAM_MAX_CHUNK, g, 64 * g);
	expect(64 * g - 1, 63 % 8, 64 * g + g - 1, 1);
	expect(63 * g, 63 % 8, 64 * g, g);
	fm.nr = BPFAM_MAX_STRIPS + 1;
	assert_int_equal(rc_at(0), -EINVAL);
	fm.nr = 0;
	assert_int_equal(rc_at(0), -EINVAL);
	interleaved(2, BPFAM_MIN_CHUNK, UNIT, UNIT);
	expect(UNIT - 1, 0, g + UNIT - 1, 1);
	fm.chunk = 0;
	assert_int_equal(rc_at(0), -EINVAL);
	fm.chunk = MiB;
	assert_int_equal(rc_at(0), -EINVAL);
	fm.chunk = 3 * MiB;
	assert_int_equal(rc_at(0), -EINVAL);
	fm.chunk = BPFAM_MAX_CHUNK + UNIT;
	assert_int_equal(rc_at(0), -EINVAL);
	fm.chunk = U64_MAX - UNIT + 1;
	assert_int_equal(rc_at(0), -EINVAL);
}

static struct bpfam_map_fmap pub;
static struct bpfam_map_exts exts;

static int pub_at(__u64 pos, const struct bpfam_map_exts *x,
		  struct bpfam_run *r)
{
	return bpfam_resolve_pub(&pub, x, GEN, pos, 0, r);
}

/* Every extent of a 256-extent file, at its first and last byte, through
 * the published form's binary search. */
static void published_search(void **state)
{
	struct bpfam_run r = {};
	__u32 i;

	(void)state;
	simple(BPFAM_MAX_EXTENTS, UNIT);
	fm.ext[7].len = 3 * UNIT; /* not all the same length */
	fm.size += 2 * UNIT;
	assert_int_equal(bpfam_fmap_publish(&fm, GEN, 9, 7, &pub, &exts), 0);
	assert_int_equal(pub.seq, 9);
	assert_int_equal(exts.seq, 9);
	assert_int_equal(pub.slot, 7);
	assert_int_equal(pub.ext[3].file_off, 3 * UNIT);
	assert_int_equal(exts.ext[8].file_off, 10 * UNIT);
	for (i = 0; i < BPFAM_MAX_EXTENTS; i++) {
		__u64 first = exts.ext[i].file_off;
		__u64 last = first + exts.ext[i].len - 1;

		assert_int_equal(pub_at(first, &exts, &r), 0);
		assert_int_equal(r.dev_off, (__u64)i << 30);
		assert_int_equal(r.len, exts.ext[i].len);
		assert_int_equal(pub_at(last, &exts, &r), 0);
		assert_int_equal(r.dev_off,
				 ((__u64)i << 30) + exts.ext[i].len - 1);
		assert_int_equal(r.len, 1);
	}
	assert_int_equal(pub_at(fm.size, &exts, &r), -ENXIO);
	/* the extents of a file of more than BPFAM_FMAP_INLINE are only in
	 * fmap_exts: without it, or with another seq's, the fast path
	 * hands the access to the daemon */
	assert_int_equal(pub_at(0, NULL, &r), -ESTALE);
	exts.seq = 10;
	assert_int_equal(pub_at(0, &exts, &r), -ESTALE);
	/* a file offset out of order sends the search to an extent that
	 * does not hold pos: refused, not answered from it */
	exts.seq = 9;
	exts.ext[128].file_off = U64_MAX;
	assert_int_equal(pub_at(130 * UNIT, &exts, &r), -EINVAL);
	assert_int_equal(pub_at(129 * UNIT + 5, &exts, &r), 0);
	assert_int_equal(r.dev_off, (127ULL << 30) + 5);
	exts.ext[128].file_off = 0;
	assert_int_equal(pub_at(130 * UNIT, &exts, &r), -EINVAL);
}

/* Up to BPFAM_FMAP_INLINE extents live in the fmaps value alone; what the
 * validator refuses is not published. */
static void published_inline(void **state)
{
	struct bpfam_run r = {};

	(void)state;
	simple(BPFAM_FMAP_INLINE, UNIT);
	memset(&exts, 0xff, sizeof(exts));
	assert_int_equal(bpfam_fmap_publish(&fm, GEN, 3, 0, &pub, NULL), 0);
	assert_int_equal(pub_at(3 * UNIT + 5, NULL, &r), 0);
	assert_int_equal(r.dev_off, (3ULL << 30) + 5);
	assert_int_equal(pub_at(3 * UNIT + 5, &exts, &r), 0);
	assert_int_equal(bpfam_resolve_pub(&pub, NULL, GEN + 1, 0, 0, &r),
			 -ESTALE);
	/* no extent, whatever the slots hold: none holds an offset */
	pub.nr = 0;
	assert_int_equal(pub_at(0, NULL, &r), -EINVAL);
	interleaved(3, UNIT, 3 * UNIT, 7 * UNIT + 1);
	assert_int_equal(bpfam_fmap_publish(&fm, GEN, 4, 0, &pub, NULL), 0);
	assert_int_equal(pub.ext[2].file_off, 2 * UNIT);
	assert_int_equal(pub_at(7 * UNIT, NULL, &r), 0);
	assert_int_equal(r.dev, 1);
	assert_int_equal(r.dev_off, (2ULL << 30) + 2 * UNIT);
	assert_int_equal(r.len, 1);
	/* a strip one byte short of its chunks */
	fm.ext[1].len = 2 * UNIT;
	memset(&pub, 0xab, sizeof(pub));
	assert_int_equal(bpfam_fmap_publish(&fm, GEN, 5, 0, &pub, NULL),
			 -EINVAL);
	assert_int_equal(pub.seq, 0xababababababababULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simple_boundaries),
		cmocka_unit_test(simple_past_eof_and_empty),
		cmocka_unit_test(simple_max_extents),
		cmocka_unit_test(near_u64_max),
		cmocka_unit_test(generation_and_access),
		cmocka_unit_test(error_order),
		cmocka_unit_test(malformed_header),
		cmocka_unit_test(malformed_extent),
		cmocka_unit_test(interleaved_layout),
		cmocka_unit_test(interleaved_limits),
		cmocka_unit_test(published_search),
		cmocka_unit_test(published_inline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
