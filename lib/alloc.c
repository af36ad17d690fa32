// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define UNIT BPFAM_ALLOC_UNIT

int bpfam_alloc_init(struct bpfam_alloc *a, uint64_t base, uint64_t end)
{
	memset(a, 0, sizeof(*a));
	if (base % UNIT || end % UNIT || end < base)
		return -EINVAL;
	a->base = base;
	a->nunits = (end - base) / UNIT;
	a->nfree = a->nunits;
	a->used = calloc((a->nunits + 63) / 64 + 1, sizeof(uint64_t));
	return a->used ? 0 : -ENOMEM;
}

void bpfam_alloc_destroy(struct bpfam_alloc *a)
{
	free(a->used);
	a->used = NULL;
}

static bool unit_used(const struct bpfam_alloc *a, uint64_t u)
{
	return a->used[u / 64] >> (u % 64) & 1;
}

static void set_units(struct bpfam_alloc *a, uint64_t u, uint64_t n, bool on)
{
	for (; n; n--, u++) {
		if (on)
			a->used[u / 64] |= 1ULL << (u % 64);
		else
			a->used[u / 64] &= ~(1ULL << (u % 64));
	}
}

/* The units of [off, off + len), or -ERANGE. */
static int to_units(const struct bpfam_alloc *a, uint64_t off, uint64_t len,
		    uint64_t *u, uint64_t *n)
{
	if (off % UNIT || len % UNIT || !len || off < a->base)
		return -ERANGE;
	*u = (off - a->base) / UNIT;
	*n = len / UNIT;
	if (*u > a->nunits || *n > a->nunits - *u)
		return -ERANGE;
	return 0;
}

int bpfam_alloc_reserve(struct bpfam_alloc *a, uint64_t off, uint64_t len)
{
	uint64_t u, n, i;
	int rc;

	rc = to_units(a, off, len, &u, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		if (unit_used(a, u + i))
			return -EEXIST;
	set_units(a, u, n, true);
	a->nfree -= n;
	return 0;
}

void bpfam_alloc_release(struct bpfam_alloc *a, uint64_t off, uint64_t len)
{
	uint64_t u, n;

	if (to_units(a, off, len, &u, &n))
		return;
	set_units(a, u, n, false);
	a->nfree += n;
}

int bpfam_alloc_reserve_fmap(struct bpfam_alloc *a, const struct bpfam_fmap *m,
			     uint32_t *bad_ext)
{
	uint32_t i;
	int rc;

	for (i = 0; i < m->nr; i++) {
		rc = bpfam_alloc_reserve(a, m->ext[i].dev_off, m->ext[i].len);
		if (rc)
			goto undo;
	}
	return 0;
undo:
	if (bad_ext)
		*bad_ext = i;
	while (i--)
		bpfam_alloc_release(a, m->ext[i].dev_off, m->ext[i].len);
	return rc;
}

void bpfam_alloc_release_fmap(struct bpfam_alloc *a, const struct bpfam_fmap *m)
{
	uint32_t i;

	for (i = 0; i < m->nr; i++)
		bpfam_alloc_release(a, m->ext[i].dev_off, m->ext[i].len);
}

struct run {
	uint64_t start; /* unit */
	uint64_t len;   /* units */
};

/* First unit at or after @u whose bit is @set, or nunits: a word at a time. */
static uint64_t find_unit(const struct bpfam_alloc *a, uint64_t u, bool set)
{
	uint64_t w, hit;

	while (u < a->nunits) {
		w = set ? a->used[u / 64] : ~a->used[u / 64];
		w &= ~0ULL << (u % 64);
		if (w) {
			hit = u - u % 64 + (uint64_t)__builtin_ctzll(w);
			return hit < a->nunits ? hit : a->nunits;
		}
		u += 64 - u % 64;
	}
	return a->nunits;
}

/* Next free run at or after unit *pos; false when there is none. */
static bool next_run(const struct bpfam_alloc *a, uint64_t *pos,
		     struct run *r)
{
	uint64_t u = find_unit(a, *pos, false);

	if (u >= a->nunits)
		return false;
	r->start = u;
	u = find_unit(a, u, true);
	r->len = u - r->start;
	*pos = u;
	return true;
}

/* The smallest free run of at least @need units, for best fit. */
static bool best_fit(const struct bpfam_alloc *a, uint64_t need,
		     struct run *best)
{
	uint64_t pos = 0;
	struct run r;
	bool found = false;

	while (next_run(a, &pos, &r)) {
		if (r.len >= need && (!found || r.len < best->len)) {
			*best = r;
			found = true;
		}
	}
	return found;
}

/* The largest free run (first of equals), for filling by fewest extents. */
static bool largest(const struct bpfam_alloc *a, struct run *big)
{
	uint64_t pos = 0;
	struct run r;
	bool found = false;

	while (next_run(a, &pos, &r)) {
		if (!found || r.len > big->len) {
			*big = r;
			found = true;
		}
	}
	return found;
}

static void take(struct bpfam_alloc *a, struct bpfam_fmap *m, uint64_t start,
		 uint64_t n)
{
	struct bpfam_extent *e = &m->ext[m->nr++];

	e->dev = 0;
	e->rsvd = 0;
	e->dev_off = a->base + start * UNIT;
	e->len = n * UNIT;
	set_units(a, start, n, true);
	a->nfree -= n;
}

static void fmap_start(struct bpfam_fmap *m, uint32_t kind, uint64_t size,
		       uint64_t chunk)
{
	memset(m, 0, sizeof(*m));
	m->version = BPFAM_FMAP_VERSION;
	m->kind = kind;
	m->size = size;
	m->chunk = chunk;
}

int bpfam_alloc_simple(struct bpfam_alloc *a, uint64_t size,
		       struct bpfam_fmap *m)
{
	uint64_t need = size / UNIT + (size % UNIT != 0);
	struct run r;

	if (!size)
		return -EINVAL;
	if (need > a->nfree)
		return -ENOSPC;
	fmap_start(m, BPFAM_FMAP_SIMPLE, size, 0);
	if (best_fit(a, need, &r)) {
		take(a, m, r.start, need);
		return 0;
	}
	while (need) {
		if (m->nr == BPFAM_MAX_EXTENTS || !largest(a, &r)) {
			bpfam_alloc_release_fmap(a, m);
			return -ENOSPC;
		}
		if (r.len > need)
			r.len = need;
		take(a, m, r.start, r.len);
		need -= r.len;
	}
	return 0;
}

/* Free units from @u on, up to @max. */
static uint64_t free_from(const struct bpfam_alloc *a, uint64_t u, uint64_t max)
{
	uint64_t end;

	if (u >= a->nunits || unit_used(a, u))
		return 0;
	end = find_unit(a, u, true);
	return end - u < max ? end - u : max;
}

/* Take @n units at @start into @m, merged with its last extent if they
 * follow it on the device. */
static void append(struct bpfam_alloc *a, struct bpfam_fmap *m, uint64_t start,
		   uint64_t n)
{
	struct bpfam_extent *last = m->nr ? &m->ext[m->nr - 1] : NULL;

	if (last && !last->dev &&
	    last->dev_off + last->len == a->base + start * UNIT) {
		last->len += n * UNIT;
		set_units(a, start, n, true);
		a->nfree -= n;
		return;
	}
	take(a, m, start, n);
}

int bpfam_alloc_extend(struct bpfam_alloc *a, struct bpfam_fmap *m,
		       uint64_t bytes)
{
	struct bpfam_fmap old;
	uint64_t need = bytes / UNIT, n, u;
	struct bpfam_extent *last;
	struct run r;

	if (bytes % UNIT || m->kind != BPFAM_FMAP_SIMPLE)
		return -EINVAL;
	if (need > a->nfree)
		return -ENOSPC;
	memcpy(&old, m, BPFAM_FMAP_BYTES(m->nr));
	/* Right after the last extent first: a file that grows stays one
	 * extent while the space behind it is free. */
	last = m->nr ? &m->ext[m->nr - 1] : NULL;
	if (last && !last->dev && last->dev_off + last->len >= a->base) {
		u = (last->dev_off + last->len - a->base) / UNIT;
		n = free_from(a, u, need);
		if (n)
			append(a, m, u, n);
		need -= n;
	}
	if (need && best_fit(a, need, &r)) {
		append(a, m, r.start, need);
		need = 0;
	}
	while (need) {
		if (m->nr == BPFAM_MAX_EXTENTS || !largest(a, &r))
			goto nospc;
		n = r.len < need ? r.len : need;
		append(a, m, r.start, n);
		need -= n;
	}
	return 0;
nospc:
	/* Give back exactly what was taken: the old extents as they were. */
	bpfam_alloc_release_fmap(a, m);
	memcpy(m, &old, BPFAM_FMAP_BYTES(old.nr));
	bpfam_alloc_reserve_fmap(a, m, NULL);
	return -ENOSPC;
}

int bpfam_alloc_interleaved(struct bpfam_alloc *a, uint64_t size,
			    uint32_t strips, uint64_t chunk,
			    struct bpfam_fmap *m)
{
	uint64_t chunks, per_strip, units;
	struct run r;
	uint32_t i;

	if (!size || !strips || strips > BPFAM_MAX_STRIPS ||
	    chunk < BPFAM_MIN_CHUNK || chunk > BPFAM_MAX_CHUNK || chunk % UNIT)
		return -EINVAL;
	chunks = size / chunk + (size % chunk != 0);
	per_strip = chunks / strips + (chunks % strips != 0);
	units = per_strip * (chunk / UNIT);
	if (units > a->nfree || units * strips > a->nfree)
		return -ENOSPC;
	fmap_start(m, BPFAM_FMAP_INTERLEAVED, size, chunk);
	for (i = 0; i < strips; i++) {
		if (!best_fit(a, units, &r)) {
			bpfam_alloc_release_fmap(a, m);
			return -ENOSPC;
		}
		take(a, m, r.start, units);
	}
	return 0;
}

uint64_t bpfam_alloc_fmap_bytes(const struct bpfam_fmap *m)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; m && i < m->nr; i++)
		sum += m->ext[i].len;
	return sum;
}
