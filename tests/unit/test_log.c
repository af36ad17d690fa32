// SPDX-License-Identifier: GPL-2.0
/* The metadata log: append and replay, a full log, how a log ends. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"
#include "logend.h"
#include "testdev.h"

struct logdev {
	const char *path;
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_log log;
};

/* A new 64 MiB filesystem with the smallest log, opened as the writer. */
static int setup(void **state)
{
	struct logdev *d = calloc(1, sizeof(*d));
	struct bpfam_err err;

	assert_non_null(d);
	d->path = testdev_mkfs(64 * MIB, BPFAM_MIN_LOG);
	assert_int_equal(
		bpfam_device_open(&d->dev, d->path, BPFAM_OPEN_WRITER, &err),
		0);
	assert_int_equal(bpfam_sb_read(&d->dev, &d->sb, &err), 0);
	bpfam_log_init(&d->log, &d->dev, &d->sb);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct logdev *d = *state;

	bpfam_device_close(&d->dev);
	testdev_remove(d->path);
	free(d);
	return 0;
}

static void mknod_record(struct bpfam_record *r, uint64_t ino, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->type = BPFAM_REC_MKNOD;
	r->mknod.ino = ino;
	r->mknod.parent = BPFAM_ROOT_INO;
	r->mknod.mode = S_IFREG | 0644;
	r->mknod.name_len = (uint32_t)strlen(name);
	strcpy(r->mknod.name, name);
}

/* The largest record there is: an fmap of 256 extents. */
static void big_record(struct bpfam_record *r)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	r->type = BPFAM_REC_FMAP;
	r->fmap.ino = 2;
	r->fmap.map.version = BPFAM_FMAP_VERSION;
	r->fmap.map.kind = BPFAM_FMAP_SIMPLE;
	r->fmap.map.nr = BPFAM_MAX_EXTENTS;
	r->fmap.map.size = BPFAM_MAX_EXTENTS * UNIT;
	for (i = 0; i < BPFAM_MAX_EXTENTS; i++) {
		r->fmap.map.ext[i].dev_off = (2 * (uint64_t)i + 8) * UNIT;
		r->fmap.map.ext[i].len = UNIT;
	}
}

static void append(struct logdev *d, struct bpfam_record *r)
{
	struct bpfam_err err;

	if (bpfam_log_append(&d->log, r, &err))
		fail_msg("append: %s", err.msg);
}

static void append_replay(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record in[3], out;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint64_t tail = 0;
	int i;

	mknod_record(&in[0], 2, "a");
	mknod_record(&in[1], 3, "b");
	big_record(&in[2]);
	for (i = 0; i < 3; i++) {
		append(d, &in[i]);
		assert_int_equal(in[i].seq, i + 1);
		in[i].len = (uint32_t)bpfam_record_size(&in[i]);
		tail += in[i].len;
	}
	assert_int_equal(d->log.tail, tail);
	bpfam_log_init(&cursor, &d->dev, &d->sb);
	for (i = 0; i < 3; i++) {
		memset(&out, 0, sizeof(out));
		assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
		assert_memory_equal(&in[i], &out, sizeof(out));
	}
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 0);
	assert_int_equal(cursor.tail, tail);
	assert_int_equal(cursor.next_seq, 4);
	assert_int_equal(bpfam_log_torn_bytes(&cursor), 0);
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);

	/* A record appended later is picked up by the same cursor. */
	mknod_record(&in[0], 4, "c");
	append(d, &in[0]);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
	assert_string_equal(out.mknod.name, "c");
}

static void log_full(void **state)
{
	struct logdev *d = *state;
	uint64_t n = 0, fits, tail;
	struct bpfam_record r;
	struct bpfam_log cursor;
	struct bpfam_err err;
	int rc;

	big_record(&r);
	fits = d->log.size / bpfam_record_size(&r);
	while ((rc = bpfam_log_append(&d->log, &r, &err)) == 0)
		n++;
	assert_err(rc, ENOSPC, &err, "metadata log full");
	assert_int_equal(n, fits);
	tail = d->log.tail;
	assert_int_equal(bpfam_log_append(&d->log, &r, &err), -ENOSPC);
	assert_int_equal(d->log.tail, tail);
	assert_int_equal(d->log.next_seq, fits + 1);

	bpfam_log_init(&cursor, &d->dev, &d->sb);
	for (n = 0; bpfam_log_next(&cursor, &r, &err) == 1; n++)
		;
	assert_int_equal(n, fits);
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);
}

/* A writer that died between writing a record's body and sealing it. */
static void torn_tail(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record r;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint8_t *at;
	char want[128];
	int rc;

	mknod_record(&r, 2, "a");
	append(d, &r);
	mknod_record(&r, 3, "b");
	append(d, &r);
	mknod_record(&r, 4, "torn");
	r.seq = 3;
	at = d->dev.base + d->log.base + d->log.tail;
	bpfam_record_encode(&r, at);

	bpfam_log_init(&cursor, &d->dev, &d->sb);
	while ((rc = bpfam_log_next(&cursor, &r, &err)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(cursor.next_seq, 3);
	assert_true(bpfam_log_torn_bytes(&cursor) > 0);
	snprintf(
		want, sizeof(want),
		"unfinished append of %llu bytes after record 2 at offset %llu",
		(unsigned long long)bpfam_log_torn_bytes(&cursor),
		(unsigned long long)(d->log.base + d->log.tail));
	assert_err(bpfam_log_check_end(&cursor, &err), EBADMSG, &err, want);

	bpfam_log_clear_tail(&d->log);
	assert_int_equal(bpfam_log_torn_bytes(&cursor), 0);
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);
	mknod_record(&r, 4, "c");
	append(d, &r);
	assert_int_equal(r.seq, 3);
	assert_int_equal(bpfam_log_next(&cursor, &r, &err), 1);
}

static void torn_first_record(void **state)
{
	struct logdev *d = *state;
	struct bpfam_err err;

	d->dev.base[d->log.base + 9] = 1;
	assert_err(bpfam_log_check_end(&d->log, &err), EBADMSG, &err,
		   "unfinished append of 1 bytes before the first record");
}

/* Bytes beyond what any append can reach: corruption, not a torn append. */
static void stray_bytes(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record r;
	struct bpfam_err err;
	uint64_t off;
	char want[96];

	mknod_record(&r, 2, "a");
	append(d, &r);
	off = d->log.base + d->log.tail + BPFAM_REC_MAX + 100;
	d->dev.base[off] = 0x5a;
	assert_int_equal(bpfam_log_torn_bytes(&d->log), 0);
	snprintf(want, sizeof(want), "stray non-zero byte at offset %llu",
		 (unsigned long long)off);
	assert_err(bpfam_log_check_end(&d->log, &err), EBADMSG, &err, want);
	assert_non_null(strstr(err.msg, "(after record 1)"));
}

static void corrupt_record(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record r;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint64_t second;
	char want[96];

	mknod_record(&r, 2, "a");
	append(d, &r);
	second = d->log.base + d->log.tail;
	mknod_record(&r, 3, "b");
	append(d, &r);
	d->dev.base[second + 40] ^= 0x20;

	bpfam_log_init(&cursor, &d->dev, &d->sb);
	assert_int_equal(bpfam_log_next(&cursor, &r, &err), 1);
	snprintf(want, sizeof(want),
		 "log record 2 at offset %llu: record checksum mismatch",
		 (unsigned long long)second);
	assert_err(bpfam_log_next(&cursor, &r, &err), EBADMSG, &err, want);
	assert_non_null(strstr(err.msg, d->path));
}

static void append_needs_writer(void **state)
{
	struct logdev *d = *state;
	struct bpfam_device ro;
	struct bpfam_record r;
	struct bpfam_log log;
	struct bpfam_err err;

	assert_int_equal(bpfam_device_open(&ro, d->path, BPFAM_OPEN_RDWR, &err),
			 0);
	bpfam_log_init(&log, &ro, &d->sb);
	mknod_record(&r, 2, "a");
	assert_err(bpfam_log_append(&log, &r, &err), EROFS, &err,
		   "not opened as the metadata writer");
	assert_int_equal(log.tail, 0);
	bpfam_device_close(&ro);
}

/*
 * The seal's flush fails: the record is in the log (sealed, maybe not
 * durable), so its offset and sequence number are never used again, and
 * appends are refused until a flush of it succeeds.
 */
static void seal_flush_fails(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record r, out;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint64_t first_len;

	mknod_record(&r, 2, "unsure");
	first_len = bpfam_record_size(&r);
	d->dev.fail_flush_in = 2; /* the body's flush works, the seal's not */
	assert_err(bpfam_log_append(&d->log, &r, &err), EIO, &err,
		   "log record 1 may not be durable");
	assert_non_null(strstr(err.msg, d->path));
	assert_true(bpfam_log_unsure(&d->log));
	assert_int_equal(d->log.tail, first_len);
	assert_int_equal(d->log.next_seq, 2);

	/* Readers see it: it is sealed. */
	bpfam_log_init(&cursor, &d->dev, &d->sb);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
	assert_string_equal(out.mknod.name, "unsure");

	/* While flushes keep failing, nothing more is appended. */
	mknod_record(&r, 3, "refused");
	d->dev.fail_flush_in = 1;
	assert_err(bpfam_log_append(&d->log, &r, &err), EIO, &err,
		   "the log still cannot be flushed");
	assert_true(bpfam_log_unsure(&d->log));
	assert_int_equal(d->log.tail, first_len);
	assert_int_equal(d->log.next_seq, 2);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 0);
	assert_int_equal(bpfam_log_torn_bytes(&cursor), 0);

	/* Once a flush works, appends go on after it, never over it. */
	append(d, &r);
	assert_false(bpfam_log_unsure(&d->log));
	assert_int_equal(r.seq, 2);
	assert_int_equal(d->log.tail, first_len + bpfam_record_size(&r));
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
	assert_int_equal(out.seq, 2);
	assert_string_equal(out.mknod.name, "refused");
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);
}

/* The body's flush fails: nothing was sealed, the log is as it was. */
static void body_flush_fails(void **state)
{
	struct logdev *d = *state;
	struct bpfam_record r, out;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint64_t tail;

	mknod_record(&r, 2, "a");
	append(d, &r);
	tail = d->log.tail;
	mknod_record(&r, 3, "lost");
	d->dev.fail_flush_in = 1;
	assert_err(bpfam_log_append(&d->log, &r, &err), EIO, &err,
		   "cannot write log record 2");
	assert_false(bpfam_log_unsure(&d->log));
	assert_int_equal(d->log.tail, tail);
	assert_int_equal(d->log.next_seq, 2);
	assert_int_equal(bpfam_log_torn_bytes(&d->log), 0);

	bpfam_log_init(&cursor, &d->dev, &d->sb);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 0);

	/* The next append takes the same place and number. */
	mknod_record(&r, 3, "b");
	append(d, &r);
	assert_int_equal(r.seq, 2);
	assert_int_equal(bpfam_log_next(&cursor, &out, &err), 1);
	assert_string_equal(out.mknod.name, "b");
}

/*
 * bpfam_log_end_live() on a log appended to after the reader's snapshot:
 * the records sealed since are walked, not stray; the record being
 * appended after them is counted as torn, for the caller to judge.
 */
static void end_live_appended(void **state)
{
	struct logdev *d = *state;
	struct bpfam_log snapshot;
	struct bpfam_log_end end;
	struct bpfam_record r;
	struct bpfam_err err;

	mknod_record(&r, 2, "a");
	append(d, &r);
	snapshot = d->log;
	mknod_record(&r, 3, "b");
	append(d, &r);
	mknod_record(&r, 4, "c");
	append(d, &r);
	assert_int_equal(bpfam_log_end_live(&snapshot, &end, &err), 0);
	assert_int_equal(end.newer, 2);
	assert_int_equal(end.end, d->log.tail);
	assert_int_equal(end.torn, 0);
	assert_int_equal(end.last_seq, 3);
	/* What the old check says of the same snapshot. */
	assert_err(bpfam_log_check_end(&snapshot, &err), EBADMSG, &err,
		   "unfinished append");

	mknod_record(&r, 5, "d");
	r.seq = 4;
	bpfam_record_encode(&r, d->dev.base + d->log.base + d->log.tail);
	assert_int_equal(bpfam_log_end_live(&snapshot, &end, &err), 0);
	assert_int_equal(end.newer, 2);
	assert_int_equal(end.torn, bpfam_log_torn_bytes(&d->log));
	assert_true(end.torn > 0);
}

/* Past the last sealed record and a maximal one: stray even when live. */
static void end_live_stray(void **state)
{
	struct logdev *d = *state;
	struct bpfam_log snapshot = d->log;
	struct bpfam_log_end end;
	struct bpfam_record r;
	struct bpfam_err err;
	uint64_t off;
	char want[96];

	mknod_record(&r, 2, "a");
	append(d, &r);
	off = d->log.base + d->log.tail + BPFAM_REC_MAX;
	d->dev.base[off] = 0x5a;
	snprintf(want, sizeof(want), "stray non-zero byte at offset %llu",
		 (unsigned long long)off);
	assert_err(bpfam_log_end_live(&snapshot, &end, &err), EBADMSG, &err,
		   want);
	assert_non_null(strstr(err.msg, "(after record 1)"));
	/* One byte nearer is where an append could still be writing. */
	d->dev.base[off] = 0;
	d->dev.base[off - 1] = 0x5a;
	assert_int_equal(bpfam_log_end_live(&snapshot, &end, &err), 0);
	assert_int_equal(end.torn, 1);
}

/* A sealed record that does not decode is damage wherever it is. */
static void end_live_bad_record(void **state)
{
	struct logdev *d = *state;
	struct bpfam_log snapshot = d->log;
	struct bpfam_log_end end;
	struct bpfam_record r;
	struct bpfam_err err;

	mknod_record(&r, 2, "a");
	append(d, &r);
	d->dev.base[d->log.base + 30] ^= 0xff;
	assert_err(bpfam_log_end_live(&snapshot, &end, &err), EBADMSG, &err,
		   "log record 1 at offset");
}

/* How many records a fresh cursor plays, and where it stops. */
static int playable(struct logdev *d, struct bpfam_log *cursor)
{
	struct bpfam_record out;
	struct bpfam_err err;
	int n = 0, rc;

	bpfam_log_init(cursor, &d->dev, &d->sb);
	while ((rc = bpfam_log_next(cursor, &out, &err)) == 1)
		n++;
	assert_int_equal(rc, 0);
	return n;
}

/* Group mode: appended records are invisible (unsealed) until a flush
 * seals them all; a crash before it leaves a torn tail that clears to a
 * log that plays. */
static void group_commit(void **state)
{
	struct logdev *d = *state;
	struct bpfam_group g;
	struct bpfam_record r;
	struct bpfam_log cursor;
	struct bpfam_err err;
	uint64_t sealed;

	mknod_record(&r, 2, "a");
	append(d, &r);
	bpfam_log_group(&d->log, &g);
	mknod_record(&r, 3, "b");
	append(d, &r);
	big_record(&r);
	append(d, &r);
	assert_int_equal(playable(d, &cursor), 1);
	assert_int_equal(bpfam_group_sync(&g), 0);
	assert_int_equal(g.flushes, 1);
	assert_int_equal(playable(d, &cursor), 3);
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);
	sealed = d->log.tail;

	/* The daemon dies before the next flush: no record, a torn tail. */
	mknod_record(&r, 4, "c");
	append(d, &r);
	assert_int_equal(playable(d, &cursor), 3);
	assert_int_equal(cursor.tail, sealed);
	assert_true(bpfam_log_torn_bytes(&cursor) > 0);
	assert_err(bpfam_log_check_end(&cursor, &err), EBADMSG, &err,
		   "unfinished append");
	assert_int_equal(bpfam_log_clear_tail(&cursor), 0);
	assert_int_equal(bpfam_log_check_end(&cursor, &err), 0);
	bpfam_group_destroy(&g);
}

/* Group mode never leaves more than BPFAM_REC_MAX bytes unsealed, the
 * window a torn tail is cleared over: a big record flushes first. */
static void group_window(void **state)
{
	struct logdev *d = *state;
	struct bpfam_group g;
	struct bpfam_record r;
	struct bpfam_log cursor;
	int i, n;

	bpfam_log_group(&d->log, &g);
	big_record(&r);
	n = BPFAM_REC_MAX / bpfam_record_size(&r) + 2;
	for (i = 0; i < n; i++) {
		append(d, &r);
		assert_true(d->log.tail - bpfam_group_durable(&g) <=
			    BPFAM_REC_MAX);
	}
	assert_true(g.flushes >= 1);
	i = playable(d, &cursor);
	assert_true(i > 0 && i < n);
	assert_int_equal(bpfam_group_sync(&g), 0);
	assert_int_equal(playable(d, &cursor), n);
	bpfam_group_destroy(&g);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(append_replay),	T(log_full),
		T(torn_tail),		T(torn_first_record),
		T(stray_bytes),		T(corrupt_record),
		T(append_needs_writer), T(seal_flush_fails),
		T(body_flush_fails),	T(end_live_appended),
		T(end_live_stray),	T(end_live_bad_record),
		T(group_commit),	T(group_window),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
