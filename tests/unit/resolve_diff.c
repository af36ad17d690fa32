// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Differential test of the resolvers: random fmaps (valid, malformed and
 * with overlapping device ranges, of 0 to BPFAM_MAX_EXTENTS extents) and
 * offsets at and around every extent, chunk and EOF boundary.  Each fmap
 * goes through the validator and is published as the daemon does
 * (bpfam_fmap_publish(); one the validator refuses is published as is),
 * and some published values are then damaged behind the validator's back
 * (file offsets out of order, a free, missing or mismatched `fmap_exts` slot,
 * extent counts and random bytes), as bpftool could.  Every offset is
 * answered by the C build of bpfam_resolve_pub() (this program, UBSan on),
 * by the BPF build (the resolve_test syscall twin, test-run in this kernel
 * over its real `fmaps` and `fmap_exts` maps), and by the namespace
 * resolver bpfam_resolve().  BPF and C must agree on every answer; on
 * fmaps the generator meant valid, both resolvers must match a reference
 * model (a linear walk: a broken binary search fails here); on every fmap,
 * an answer must lie inside the file and inside an extent that holds pos.
 *
 * usage: resolve_diff [SEED [CASES]]   or BPFAM_SEED=, BPFAM_CASES=
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/resolve_test.skel.h"
#include "bpfam/resolve.h"
#include "resolve_test.h"
#include "resolve_util.h"

#define UNIT	   BPFAM_ALLOC_UNIT
#define U64_MAX	   (~0ULL)
#define DEV_ID0	   100 /* kernel id of device i is DEV_ID0 + i */
#define NKEYS	   1024
#define MISSING	   (NKEYS + 1) /* a node id never in `fmaps` */
#define MAX_QUERY  2048
#define MAX_REPORT 5

enum bad {
	GOOD,	 /* answers follow the layout */
	OVERLAP, /* device ranges overlap: not detected, answers as GOOD */
	BAD_HDR, /* -EINVAL before the generation is checked */
	BAD_EXT, /* -EINVAL after the generation and RDONLY checks */
	HOSTILE, /* published value damaged after the validator passed it */
};

struct fcase {
	struct bpfam_fmap fm;
	__u64 fstart[BPFAM_MAX_EXTENTS]; /* simple: file offset of ext[i] */
	enum bad bad;
	const char *what;
	/* as published: `fmaps` value, and `fmap_exts` value in slot
	 * exts_slot when has_exts (every other slot is zero: free) */
	struct bpfam_map_fmap pub;
	struct bpfam_map_exts exts;
	__u32 exts_slot;
	int has_exts;
};

struct tally {
	unsigned long cases, fmaps[HOSTILE + 1], rc[256];
	unsigned long disagree, wrong, uncaught, outside, misjudged;
	unsigned long ext_fmaps; /* published with a `fmap_exts` entry */
	struct bpfam_counters want;
};

static __u64 rng_state;

/* splitmix64: tiny, and deterministic for a given seed everywhere. */
static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static __u64 between(__u64 lo, __u64 hi)
{
	__u64 span = hi - lo + 1;

	return span ? lo + rnd() % span : rnd();
}

static int chance(unsigned int percent)
{
	return rnd() % 100 < percent;
}

/* Extent lengths in 2 MiB units: mostly small, sometimes huge. */
static __u64 pick_units(void)
{
	if (chance(70))
		return between(1, 8);
	if (chance(70))
		return between(1, 4096);
	if (chance(90))
		return between(1, 1 << 20);
	return between(1ULL << 40, 1ULL << 42);
}

/* Places len bytes on some device after the ones already placed there, so
 * that a generated fmap never overlaps by accident.  0 when all are full. */
static int place(struct bpfam_extent *e, __u64 len, __u64 *cursor)
{
	__u32 first = rnd() % BPFAM_MAX_DEVS, k;

	for (k = 0; k < BPFAM_MAX_DEVS; k++) {
		__u32 dev = (first + k) % BPFAM_MAX_DEVS;
		__u64 gap = chance(50) ? 0 : between(1, 64) * UNIT;

		if (cursor[dev] > U64_MAX - len - gap - UNIT)
			continue;
		e->dev = dev;
		e->dev_off = cursor[dev] + gap;
		e->len = len;
		cursor[dev] = e->dev_off + len;
		return 1;
	}
	return 0;
}

static void init_cursors(__u64 *cursor)
{
	__u32 d;

	for (d = 0; d < BPFAM_MAX_DEVS; d++)
		cursor[d] = chance(10) ?
				    U64_MAX - between(16, 1024) * UNIT + 1 :
				    between(0, 1024) * UNIT;
}

static __u32 pick_nr(__u32 max)
{
	if (chance(25))
		return 1;
	if (chance(15))
		return max;
	return chance(50) ? between(1, 8) : between(1, max);
}

/* A size in [0, total], mostly near the end. */
static __u64 pick_size(__u64 total, __u64 tail)
{
	if (chance(10))
		return total;
	if (chance(5))
		return 0;
	if (chance(10))
		return between(0, total);
	return total - between(0, tail < total ? tail : total);
}

static void gen_simple(struct fcase *fc)
{
	struct bpfam_fmap *fm = &fc->fm;
	__u64 cursor[BPFAM_MAX_DEVS], total = 0, len = 0;
	__u32 nr = chance(3) ? 0 : pick_nr(BPFAM_MAX_EXTENTS), i;

	init_cursors(cursor);
	fm->kind = BPFAM_FMAP_SIMPLE;
	for (i = 0; i < nr; i++) {
		len = pick_units() * UNIT;
		if (len > U64_MAX - total || !place(&fm->ext[i], len, cursor))
			break;
		fc->fstart[i] = total;
		total += len;
	}
	fm->nr = i;
	fm->size = pick_size(total, 2 * len);
}

/* File bytes strip s must hold, counted chunk by chunk in spirit: how many
 * chunks land in s, the last one possibly partial. */
static __u64 ref_strip_need(__u64 size, __u64 chunk, __u32 nr, __u32 s)
{
	__u64 chunks = size / chunk + (size % chunk != 0), cnt, last;

	if (s >= chunks)
		return 0;
	cnt = (chunks - 1 - s) / nr + 1;
	last = s + (cnt - 1) * nr;
	return (cnt - 1) * chunk +
	       (last == chunks - 1 ? size - last * chunk : chunk);
}

static void gen_interleaved(struct fcase *fc)
{
	struct bpfam_fmap *fm = &fc->fm;
	__u64 cursor[BPFAM_MAX_DEVS], units, stripe, rows, need;
	__u32 nr = pick_nr(BPFAM_MAX_STRIPS), i;

	init_cursors(cursor);
	fm->kind = BPFAM_FMAP_INTERLEAVED;
	units = chance(30) ? 1 : chance(20) ? 512 : between(1, 512);
	fm->chunk = units * UNIT;
	stripe = fm->chunk * nr;
	rows = chance(5) ? between(1ULL << 10, 1ULL << 20) : between(0, 6);
	fm->size = rows * stripe;
	/* A byte past a 2 MiB multiple makes strips that are one byte short
	 * of holding their chunks possible to build. */
	fm->size += chance(5)  ? 0 :
		    chance(30) ? between(0, nr) * UNIT + 1 :
				 between(0, stripe);
	for (i = 0; i < nr; i++) {
		need = ref_strip_need(fm->size, fm->chunk, nr, i);
		need = (need + UNIT - 1) / UNIT * UNIT;
		if (!need || chance(30))
			need += between(1, 4) * UNIT;
		if (!place(&fm->ext[i], need, cursor))
			break;
	}
	/* Out of device space (only with huge sizes): start again small. */
	if (i < nr) {
		gen_interleaved(fc);
		return;
	}
	fm->nr = nr;
}

static void break_header(struct fcase *fc)
{
	struct bpfam_fmap *fm = &fc->fm;
	int inter = fm->kind == BPFAM_FMAP_INTERLEAVED;

	fc->bad = BAD_HDR;
	switch (rnd() % 6) {
	case 0:
		fm->version = chance(50) ? 0 : BPFAM_FMAP_VERSION + 1;
		fc->what = "bad version";
		break;
	case 1:
		fm->kind = chance(50) ? 0 : 3;
		fc->what = "bad kind";
		break;
	case 2:
		fm->flags |= 1U << between(1, 31);
		fc->what = "unknown flag";
		break;
	case 3:
		if (inter && chance(30))
			fm->nr = 0;
		else
			fm->nr =
				(inter ? BPFAM_MAX_STRIPS : BPFAM_MAX_EXTENTS) +
				(chance(50) ? 1 : between(2, ~0U >> 1));
		fc->what = "extent or strip count out of range";
		break;
	default:
		if (!inter) {
			fm->chunk = between(1, U64_MAX);
			fc->what = "chunk on a simple file";
			break;
		}
		fc->what = "chunk not a multiple of 2 MiB in [2 MiB, 1 GiB]";
		switch (rnd() % 4) {
		case 0:
			fm->chunk += between(1, UNIT - 1);
			break;
		case 1:
			fm->chunk = between(0, UNIT - 1);
			break;
		case 2:
			fm->chunk = BPFAM_MAX_CHUNK + UNIT;
			break;
		default:
			fm->chunk = between(BPFAM_MAX_CHUNK + 1, U64_MAX);
		}
	}
}

/* Returns 0 when fc has no extent the chosen breakage applies to. */
static int break_extent(struct fcase *fc)
{
	struct bpfam_fmap *fm = &fc->fm;
	struct bpfam_extent *e;
	__u64 need;

	if (!fm->nr)
		return 0;
	e = &fm->ext[rnd() % fm->nr];
	fc->bad = BAD_EXT;
	switch (rnd() % 8) {
	case 0:
		e->len = 0;
		fc->what = "zero-length extent";
		return 1;
	case 1:
		e->len += between(1, UNIT - 1);
		fc->what = "unaligned length";
		return 1;
	case 2:
		e->dev_off += between(1, UNIT - 1);
		fc->what = "unaligned device offset";
		return 1;
	case 3:
		e->dev = chance(50) ? BPFAM_MAX_DEVS :
				      between(BPFAM_MAX_DEVS, ~0U);
		fc->what = "device index out of range";
		return 1;
	case 4:
		e->rsvd = between(1, ~0U);
		fc->what = "rsvd set";
		return 1;
	case 5:
		/* dev_off + len == 2^64, or the top unit plus anything */
		e->dev_off = chance(50) ? 0 - e->len : U64_MAX - UNIT + 1;
		fc->what = "dev_off + len wraps";
		return 1;
	case 6:
		if (fm->kind == BPFAM_FMAP_INTERLEAVED || fm->nr < 2)
			return 0;
		e->len = U64_MAX - UNIT + 1;
		fc->what = "lengths' sum wraps";
		return 1;
	default:
		if (fm->kind == BPFAM_FMAP_SIMPLE) {
			fm->size = fc->fstart[fm->nr - 1] +
				   fm->ext[fm->nr - 1].len +
				   (chance(50) ? 1 : between(2, 4 * UNIT));
			fc->what = "extents shorter than the file";
			return fm->size > fc->fstart[fm->nr - 1];
		}
		need = ref_strip_need(fm->size, fm->chunk, fm->nr, e - fm->ext);
		if (!need)
			return 0;
		e->len = (need - 1) / UNIT * UNIT;
		fc->what = "strip shorter than its chunks";
		return 1;
	}
}

/* A copy of another extent's device range (or one shifted by a unit): the
 * resolver does not detect it, but must still answer inside the fmap. */
static int overlap(struct fcase *fc)
{
	struct bpfam_fmap *fm = &fc->fm;
	struct bpfam_extent *a, *b;
	__u64 shift = chance(50) ? 0 : UNIT;

	if (fm->nr < 2)
		return 0;
	a = &fm->ext[rnd() % fm->nr];
	b = &fm->ext[rnd() % fm->nr];
	if (a == b || a->dev_off + shift > U64_MAX - b->len - UNIT)
		return 0;
	b->dev = a->dev;
	b->dev_off = a->dev_off + shift;
	fc->bad = OVERLAP;
	fc->what = "overlapping device ranges";
	return 1;
}

static void gen_fmap(struct fcase *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->fm.version = BPFAM_FMAP_VERSION;
	fc->fm.gen = rnd();
	fc->fm.flags = chance(20) ? BPFAM_FMAP_RDONLY : 0;
	fc->what = "valid";
	if (chance(50))
		gen_simple(fc);
	else
		gen_interleaved(fc);
	if (chance(10))
		break_header(fc);
	else if (chance(25))
		while (!break_extent(fc) && fc->fm.nr)
			fc->bad = GOOD;
	else if (chance(10))
		overlap(fc);
}

/* The extents bpfam_resolve_pub() searches, and how many of them. */
static const struct bpfam_map_ext *pub_ext(const struct fcase *fc)
{
	return fc->pub.nr > BPFAM_FMAP_INLINE ? fc->exts.ext : fc->pub.ext;
}

static __u32 pub_nr(const struct fcase *fc)
{
	__u32 nr = fc->pub.nr, max = nr > BPFAM_FMAP_INLINE ?
					     BPFAM_MAX_EXTENTS :
					     BPFAM_FMAP_INLINE;

	return nr < max ? nr : max;
}

/* The published form as the layout says, whatever the validator thinks:
 * what bpfam_fmap_publish() must write for a valid fmap, and what a
 * malformed one looks like in the maps. */
static void raw_publish(struct fcase *fc, __u64 seq, __u32 slot)
{
	const struct bpfam_fmap *fm = &fc->fm;
	struct bpfam_map_ext *x;
	__u32 i;

	memset(&fc->pub, 0, sizeof(fc->pub));
	memset(&fc->exts, 0, sizeof(fc->exts));
	fc->pub.seq = fc->exts.seq = seq;
	fc->pub.gen = fm->gen;
	fc->pub.size = fm->size;
	fc->pub.chunk = fm->chunk;
	fc->pub.version = fm->version;
	fc->pub.kind = fm->kind;
	fc->pub.nr = fm->nr;
	fc->pub.flags = fm->flags;
	for (i = 0; i < fm->nr && i < BPFAM_MAX_EXTENTS; i++) {
		x = &fc->exts.ext[i];
		x->file_off = fm->kind == BPFAM_FMAP_SIMPLE ?
				      fc->fstart[i] :
				      (__u64)i * fm->chunk;
		x->dev_off = fm->ext[i].dev_off;
		x->len = fm->ext[i].len;
		x->dev = fm->ext[i].dev;
		x->rsvd = fm->ext[i].rsvd;
		if (i < BPFAM_FMAP_INLINE)
			fc->pub.ext[i] = *x;
	}
	fc->has_exts = fm->nr > BPFAM_FMAP_INLINE;
	fc->exts_slot = slot;
	if (fc->has_exts)
		fc->pub.slot = slot;
}

/* Publishes fc as the daemon would; 0 when the validator's verdict and
 * bpfam_fmap_publish()'s output are what the generator intended. */
static int publish(struct fcase *fc, __u64 seq, __u32 slot)
{
	static struct bpfam_map_fmap pub;
	static struct bpfam_map_exts exts;
	int valid = fc->bad == GOOD || fc->bad == OVERLAP, rc;

	raw_publish(fc, seq, slot);
	memset(&pub, 0, sizeof(pub));
	memset(&exts, 0, sizeof(exts));
	rc = bpfam_fmap_publish(&fc->fm, fc->fm.gen, seq, slot, &pub, &exts);
	if (!valid)
		return rc == -EINVAL ? 0 : -1;
	return !rc && !memcmp(&pub, &fc->pub, sizeof(pub)) &&
			       !memcmp(&exts, &fc->exts, sizeof(exts)) ?
		       0 :
		       -1;
}

/* A published extent the search may reach: index below nr and the array
 * the value's nr selects. */
static struct bpfam_map_ext *any_pub_ext(struct fcase *fc)
{
	__u32 nr = pub_nr(fc), i = nr ? rnd() % nr : 0;

	return fc->pub.nr > BPFAM_FMAP_INLINE ? &fc->exts.ext[i] :
						&fc->pub.ext[i];
}

/* What bpftool could do to the maps behind the daemon's back. */
static void damage(struct fcase *fc)
{
	struct bpfam_map_ext *a = any_pub_ext(fc), *b = any_pub_ext(fc), t;
	unsigned char *bytes;
	size_t size;
	int k;

	fc->bad = HOSTILE;
	switch (rnd() % 7) {
	case 0:
		a->file_off = chance(50) ? rnd() : between(0, fc->pub.size);
		fc->what = "a file offset anywhere";
		break;
	case 1:
		t = *a;
		*a = *b;
		*b = t;
		fc->what = "two extents swapped";
		break;
	case 2:
		if (chance(50)) {
			fc->has_exts = 0;
			fc->what = "a free fmap_exts slot";
		} else {
			fc->pub.slot = chance(50) ?
					       rnd() :
					       between(0, BPFAM_EXTS_SLOTS + 2);
			fc->what = "another fmap_exts slot";
		}
		break;
	case 3:
		fc->exts.seq ^= between(1, U64_MAX);
		fc->what = "fmap_exts entry of another seq";
		break;
	case 4:
		fc->pub.nr = chance(50) ? between(0, 2 * BPFAM_FMAP_INLINE) :
					  between(0, BPFAM_MAX_EXTENTS + 2);
		fc->what = "another extent count";
		break;
	case 5:
		fc->pub.size = chance(50) ? rnd() : fc->pub.size + UNIT;
		fc->what = "another size";
		break;
	default:
		for (k = between(1, 8); k; k--) {
			if (chance(50)) {
				bytes = (unsigned char *)&fc->pub;
				size = sizeof(fc->pub);
			} else {
				bytes = (unsigned char *)&fc->exts;
				size = sizeof(fc->exts);
			}
			bytes[rnd() % size] = rnd();
		}
		fc->what = "random bytes";
	}
}

/* The `fmap_exts` slot the lookup by pub.slot finds: none past the
 * array, the case's extents in its own slot, zeros (free) in any other. */
static const struct bpfam_map_exts *found_exts(const struct fcase *fc)
{
	static const struct bpfam_map_exts free_slot;

	if (fc->pub.slot >= BPFAM_EXTS_SLOTS)
		return NULL;
	return fc->has_exts && fc->pub.slot == fc->exts_slot ? &fc->exts :
							       &free_slot;
}

/* What resolve must answer, from the layout gen_fmap() intended. */
static int ref_resolve(const struct fcase *fc, __u64 gen, __u64 pos,
		       __u32 access, struct bpfam_run *r)
{
	const struct bpfam_fmap *fm = &fc->fm;
	const struct bpfam_extent *e;
	__u64 c, off = 0, room = 0;
	__u32 i;

	if (fc->bad == BAD_HDR || (access & ~BPFAM_ACC_KNOWN))
		return -EINVAL;
	if (gen != fm->gen)
		return -ESTALE;
	if ((access & BPFAM_ACC_WRITE) && (fm->flags & BPFAM_FMAP_RDONLY))
		return -EROFS;
	if (fc->bad == BAD_EXT)
		return -EINVAL;
	if (pos >= fm->size)
		return -ENXIO;
	if (fm->kind == BPFAM_FMAP_SIMPLE) {
		for (i = 0; pos - fc->fstart[i] >= fm->ext[i].len; i++)
			;
		e = &fm->ext[i];
		off = pos - fc->fstart[i];
		room = e->len - off;
	} else {
		c = pos / fm->chunk;
		e = &fm->ext[c % fm->nr];
		off = c / fm->nr * fm->chunk + pos % fm->chunk;
		room = fm->chunk - pos % fm->chunk;
	}
	r->dev = e->dev;
	r->dev_off = e->dev_off + off;
	r->len = room < fm->size - pos ? room : fm->size - pos;
	return 0;
}

static int add_query(__u64 *q, int n, __u64 b)
{
	if (n + 3 > MAX_QUERY)
		return n;
	q[n++] = b - 1;
	q[n++] = b;
	q[n++] = b + 1;
	return n;
}

/* Every boundary of the file (capped for huge interleaved files), around
 * each of them, plus random offsets inside and anywhere. */
static int gen_queries(const struct fcase *fc, __u64 *q)
{
	const struct bpfam_fmap *fm = &fc->fm;
	__u64 b, chunk = fc->fm.chunk;
	int n = 0, k;
	__u32 i;

	n = add_query(q, n, 0);
	n = add_query(q, n, fm->size);
	n = add_query(q, n, U64_MAX);
	n = add_query(q, n, 1ULL << 63);
	for (i = 0; i < fm->nr && i < BPFAM_MAX_EXTENTS; i++)
		n = add_query(q, n, fc->fstart[i] + fm->ext[i].len);
	/* where the published extents say they start, damaged or not */
	for (i = 0; i < pub_nr(fc); i++)
		n = add_query(q, n, pub_ext(fc)[i].file_off);
	if (fm->kind == BPFAM_FMAP_INTERLEAVED && chunk) {
		for (b = 0; b <= fm->size && n < MAX_QUERY / 2; b += chunk)
			n = add_query(q, n, b);
		for (k = 0, b = fm->size / chunk * chunk; k < 64 && b >= chunk;
		     k++, b -= chunk)
			n = add_query(q, n, b);
	}
	for (k = 0; k < 32 && n < MAX_QUERY; k++)
		q[n++] = fm->size && chance(75) ? between(0, fm->size - 1) :
						  rnd();
	return n;
}

static void tally_counters(struct tally *t, int rc, __u32 access, __u64 len,
			   const struct bpfam_run *r)
{
	struct bpfam_counters *c = &t->want;
	__u64 n = len < r->len ? len : r->len;

	if (rc == -ENOENT)
		c->no_fmap++;
	else if (rc == -ESTALE)
		c->stale++;
	else if (rc == -ENXIO)
		c->eof++;
	else if (rc == -EROFS)
		c->rdonly++;
	else if (rc)
		c->malformed++;
	else if (access & BPFAM_ACC_WRITE)
		c->write_bytes += n;
	else
		c->read_bytes += n;
	if (rc)
		return;
	c->writes += !!(access & BPFAM_ACC_WRITE);
	c->reads += !(access & BPFAM_ACC_WRITE);
	c->faults += !!(access & BPFAM_ACC_FAULT);
}

/* An answer must name bytes inside the published file and inside one of
 * its extents that the search may reach, at pos's place in it. */
static int inside(const struct fcase *fc, __u64 pos, __u32 dev, __u64 dev_off,
		  __u64 len)
{
	const struct bpfam_map_fmap *fm = &fc->pub;
	const struct bpfam_map_ext *e;
	__u64 at;
	__u32 i;

	if (!len || pos >= fm->size || len > fm->size - pos)
		return 0;
	for (i = 0; i < pub_nr(fc); i++) {
		e = &pub_ext(fc)[i];
		if (e->dev != dev || dev_off < e->dev_off ||
		    dev_off - e->dev_off >= e->len ||
		    len > e->len - (dev_off - e->dev_off))
			continue;
		at = dev_off - e->dev_off;
		if (fm->kind == BPFAM_FMAP_INTERLEAVED ||
		    (pos >= e->file_off && pos - e->file_off == at))
			return 1;
	}
	return 0;
}

static void report(const char *why, const struct fcase *fc,
		   const struct bpfam_resolve_req *q, int rc,
		   const struct bpfam_run *r)
{
	const struct bpfam_map_fmap *fm = &fc->pub;

	printf("# %s: %s fmap (%s) kind %u nr %u size %#llx chunk %#llx "
	       "flags %#x; pos %#llx access %#x gen %s\n",
	       why, fc->bad == GOOD ? "valid" : "odd", fc->what, fm->kind,
	       fm->nr, (unsigned long long)fm->size,
	       (unsigned long long)fm->chunk, fm->flags,
	       (unsigned long long)q->pos, q->access,
	       q->gen == fm->gen ? "ok" : "stale");
	printf("#   BPF: rc %d dev %u off %#llx len %#llx; C/ref: rc %d dev "
	       "%u off %#llx len %#llx\n",
	       q->rc, q->dev, (unsigned long long)q->dev_off,
	       (unsigned long long)q->run_len, rc, r->dev,
	       (unsigned long long)r->dev_off, (unsigned long long)r->len);
}

static int run_twin(int prog_fd, struct bpfam_resolve_req *req)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = req,
		    .ctx_size_in = sizeof(*req));

	return bpf_prog_test_run_opts(prog_fd, &opts);
}

static int same_run(int rc, const struct bpfam_run *a, int ref_rc,
		    const struct bpfam_run *b)
{
	return rc == ref_rc &&
	       (rc || (a->dev == b->dev && a->dev_off == b->dev_off &&
		       a->len == b->len));
}

/* One case: BPF build, C builds, reference; returns -1 if the twin could
 * not be run at all. */
static int one_case(struct tally *t, int prog_fd, const struct fcase *fc,
		    __u64 key, __u64 pos)
{
	struct bpfam_resolve_req q = {.nodeid = key, .pos = pos};
	struct bpfam_run c = {}, ns = {}, ref = {};
	int valid = fc->bad == GOOD || fc->bad == OVERLAP;
	int rc, ns_rc, ref_rc;
	__u32 dev_id = 0;

	q.gen = chance(90) ? fc->fm.gen : fc->fm.gen ^ between(1, U64_MAX);
	q.access = chance(98) ? rnd() % 4 : 1U << between(2, 31);
	q.len = between(1, 2 * UNIT);
	if (chance(3))
		q.nodeid = MISSING;
	if (run_twin(prog_fd, &q))
		return -1;

	rc = q.nodeid == MISSING ? -ENOENT :
				   bpfam_resolve_pub(&fc->pub, found_exts(fc),
						     q.gen, pos, q.access, &c);
	if (!rc)
		dev_id = DEV_ID0 + c.dev;
	t->cases++;
	t->rc[-rc & 255]++;
	tally_counters(t, rc, q.access, q.len, &c);

	if (q.rc != rc || q.dev != c.dev || q.dev_off != c.dev_off ||
	    q.run_len != c.len || q.dev_id != dev_id) {
		if (t->disagree++ < MAX_REPORT)
			report("BPF != C", fc, &q, rc, &c);
	}
	if ((!rc && !inside(fc, pos, c.dev, c.dev_off, c.len)) ||
	    (!q.rc && !inside(fc, pos, q.dev, q.dev_off, q.run_len))) {
		if (t->outside++ < MAX_REPORT)
			report("range outside the fmap", fc, &q, rc, &c);
	}
	if (q.nodeid == MISSING || fc->bad == HOSTILE)
		return 0;
	ns_rc = bpfam_resolve(&fc->fm, q.gen, pos, q.access, &ns);
	ref_rc = ref_resolve(fc, q.gen, pos, q.access, &ref);
	if (!same_run(ns_rc, &ns, ref_rc, &ref) ||
	    (valid && !same_run(rc, &c, ref_rc, &ref))) {
		if (t->wrong++ < MAX_REPORT)
			report("C != reference", fc, &q, ref_rc, &ref);
	}
	if (!valid && !ns_rc && t->uncaught++ < MAX_REPORT)
		report("malformed fmap answered", fc, &q, ns_rc, &ns);
	return 0;
}

static int fill_devs(struct resolve_test *skel)
{
	__u32 i;

	for (i = 0; i < BPFAM_MAX_DEVS; i++) {
		struct bpfam_dev d = {.size = U64_MAX,
				      .kernel_id = DEV_ID0 + i,
				      .flags = BPFAM_DEV_PRESENT};

		if (bpf_map__update_elem(skel->maps.devs, &i, sizeof(i), &d,
					 sizeof(d), BPF_ANY))
			return -1;
	}
	return 0;
}

/* Slot @slot of the twin's `fmap_exts` set to @v. */
static int put_slot(struct resolve_test *skel, __u32 slot,
		    const struct bpfam_map_exts *v)
{
	return bpf_map__update_elem(skel->maps.fmap_exts, &slot, sizeof(slot),
				    v, sizeof(*v), BPF_ANY);
}

/* fc into the twin's maps under node id key, as the daemon publishes it
 * (the `fmap_exts` slot first), damaged or not. */
static int put_maps(struct resolve_test *skel, const struct fcase *fc,
		    __u64 key)
{
	if (fc->has_exts && put_slot(skel, fc->exts_slot, &fc->exts))
		return -1;
	return bpf_map__update_elem(skel->maps.fmaps, &key, sizeof(key),
				    &fc->pub, sizeof(fc->pub), BPF_ANY);
}

static int run_cases(struct resolve_test *skel, struct tally *t,
		     unsigned long want)
{
	int prog_fd = bpf_program__fd(skel->progs.resolve_test);
	static struct fcase fc;
	static __u64 q[MAX_QUERY];
	static const struct bpfam_map_exts free_slot;
	unsigned long n;
	int i, nq;

	for (n = 0; t->cases < want; n++) {
		__u64 key = 1 + n % NKEYS;

		gen_fmap(&fc);
		if (publish(&fc, n + 1, n % BPFAM_EXTS_SLOTS) &&
		    t->misjudged++ < MAX_REPORT)
			printf("# validator or publication wrong: %s fmap (%s) "
			       "kind %u nr %u\n",
			       fc.bad == GOOD ? "valid" : "odd", fc.what,
			       fc.fm.kind, fc.fm.nr);
		if (chance(15))
			damage(&fc);
		t->fmaps[fc.bad]++;
		t->ext_fmaps += fc.has_exts;
		if (put_maps(skel, &fc, key))
			return -1;
		nq = gen_queries(&fc, q);
		for (i = 0; i < nq; i++)
			if (one_case(t, prog_fd, &fc, key, q[i]))
				return -1;
		/* The daemon zeroes a slot once the new value replaced the
		 * one that named it. */
		if (fc.has_exts && put_slot(skel, fc.exts_slot, &free_slot))
			return -1;
	}
	return 0;
}

static unsigned long arg(int argc, char **argv, int i, const char *env,
			 unsigned long dflt)
{
	const char *s = argc > i ? argv[i] : getenv(env);

	return s ? strtoul(s, NULL, 0) : dflt;
}

int main(int argc, char **argv)
{
	unsigned long seed =
		arg(argc, argv, 1, "BPFAM_SEED", time(NULL) ^ getpid());
	unsigned long want = arg(argc, argv, 2, "BPFAM_CASES", 1000000);
	struct resolve_test *skel;
	struct bpfam_counters got;
	static struct tally t;
	int ok;

	resolve_util_init();
	rng_state = seed;
	printf("# seed %lu (rerun: BPFAM_SEED=%lu %s)\n", seed, seed, argv[0]);
	skel = resolve_test__open_and_load();
	if (!tap(skel && !fill_devs(skel), "load the twin, fill devs"))
		return tap_done();
	ok = !run_cases(skel, &t, want);
	if (!ok)
		perror("# bpf");
	tap(ok,
	    "%lu cases run (%lu valid, %lu overlapping, %lu malformed, %lu "
	    "damaged fmaps; %lu with a fmap_exts entry); seed %lu",
	    t.cases, t.fmaps[GOOD], t.fmaps[OVERLAP],
	    t.fmaps[BAD_HDR] + t.fmaps[BAD_EXT], t.fmaps[HOSTILE], t.ext_fmaps,
	    seed);
	printf("# answers: %lu resolved, %lu -EINVAL, %lu -ESTALE, %lu "
	       "-ENXIO, %lu -EROFS, %lu -ENOENT\n",
	       t.rc[0], t.rc[EINVAL], t.rc[ESTALE], t.rc[ENXIO], t.rc[EROFS],
	       t.rc[ENOENT]);
	tap(ok && !t.misjudged,
	    "the validator refuses exactly the malformed fmaps, and "
	    "bpfam_fmap_publish() writes the layout (%lu wrong)",
	    t.misjudged);
	tap(ok && !t.disagree,
	    "BPF twin and C build agree on all %lu cases "
	    "(%lu differ)",
	    t.cases, t.disagree);
	tap(ok && !t.wrong,
	    "the namespace resolver, and on valid fmaps the published one, "
	    "match the reference model (%lu differ)",
	    t.wrong);
	tap(ok && !t.uncaught,
	    "malformed fmaps: the namespace resolver answers no offset "
	    "(%lu answered)",
	    t.uncaught);
	tap(ok && !t.outside,
	    "every answer, damaged maps included, lies inside the file and "
	    "at pos's place in one of the fmap's extents (%lu outside)",
	    t.outside);
	got = sum_counters(skel->maps.counters);
	tap(ok && !memcmp(&got, &t.want, sizeof(got)),
	    "counters match the C tally (%llu reads, %llu writes, %llu faults)",
	    (unsigned long long)got.reads, (unsigned long long)got.writes,
	    (unsigned long long)got.faults);
	resolve_test__destroy(skel);
	return tap_done();
}
