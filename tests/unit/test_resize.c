// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes that change (BPFAM_INCOMPAT_POSIX): growth by writes, truncate up
 * and down, reservations, the tails a shrink drops and their way through
 * the reclaim gate, replay, and what playing refuses.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs.h"
#include "testdev.h"

#define DEV_SIZE (1200 * MIB)
#define GIB	 (1ULL << 30)

struct rdev {
	const char *path;
	struct bpfam_fs fs;
	struct bpfam_err err;
	uint64_t file; /* inode of /file, empty */
};

static uint64_t make(struct rdev *d, const char *name)
{
	struct bpfam_inode *in;

	if (bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, name, S_IFREG | 0644, 0, 0,
			   &in, &d->err))
		fail_msg("mknod %s: %s", name, d->err.msg);
	return in->ino;
}

static int setup(void **state)
{
	struct rdev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->path = testdev_mkfs(DEV_SIZE, BPFAM_MIN_LOG);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	d->file = make(d, "file");
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct rdev *d = *state;

	bpfam_fs_close(&d->fs);
	testdev_remove(d->path);
	free(d);
	return 0;
}

static struct bpfam_inode *inode(struct rdev *d, uint64_t ino)
{
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);

	assert_non_null(in);
	return in;
}

static uint64_t size_of(struct rdev *d, uint64_t ino)
{
	struct bpfam_inode *in = inode(d, ino);

	return in->fmap ? in->fmap->size : 0;
}

/* Device address of file byte @pos (inside the file's extents). */
static uint8_t *at(struct rdev *d, uint64_t ino, uint64_t pos)
{
	const struct bpfam_fmap *m = inode(d, ino)->fmap;
	uint64_t start = 0;
	uint32_t i;

	assert_non_null(m);
	for (i = 0; i < m->nr; start += m->ext[i++].len)
		if (pos - start < m->ext[i].len)
			return d->fs.dev.base + m->ext[i].dev_off + pos - start;
	fail_msg("file offset %llu is past the extents",
		 (unsigned long long)pos);
	return NULL;
}

static void fill(struct rdev *d, uint64_t ino, uint64_t from, uint64_t to,
		 uint8_t byte)
{
	for (; from < to; from++)
		*at(d, ino, from) = byte;
}

/* Every byte of [from, to) is @byte. */
static void expect(struct rdev *d, uint64_t ino, uint64_t from, uint64_t to,
		   uint8_t byte)
{
	for (; from < to; from++)
		if (*at(d, ino, from) != byte)
			fail_msg("file offset %llu holds 0x%02x, not 0x%02x",
				 (unsigned long long)from, *at(d, ino, from),
				 byte);
}

/* A write of [off, end) as bpfamd does it: begin, the data, wrote. */
static void write_bytes(struct rdev *d, uint64_t ino, uint64_t off,
			uint64_t end, uint8_t byte)
{
	if (bpfam_fs_write_begin(&d->fs, ino, off, end, &d->err))
		fail_msg("write_begin: %s", d->err.msg);
	fill(d, ino, off, end, byte);
	bpfam_fs_wrote(&d->fs, inode(d, ino), end, 1);
}

static void resize(struct rdev *d, uint64_t ino, uint64_t size)
{
	if (bpfam_fs_resize(&d->fs, ino, size, 7, &d->err))
		fail_msg("resize to %llu: %s", (unsigned long long)size,
			 d->err.msg);
}

/* 1 GiB in 4 KiB appends: a handful of extents and of records. */
static void appends_take_few_extents(void **state)
{
	struct rdev *d = *state;
	uint64_t seq = d->fs.log.next_seq, off;
	const struct bpfam_fmap *m;

	for (off = 0; off < GIB; off += 4096) {
		if (bpfam_fs_write_begin(&d->fs, d->file, off, off + 4096,
					 &d->err))
			fail_msg("write_begin at %llu: %s",
				 (unsigned long long)off, d->err.msg);
		bpfam_fs_wrote(&d->fs, inode(d, d->file), off + 4096, 1);
	}
	m = inode(d, d->file)->fmap;
	assert_int_equal(m->size, GIB);
	assert_in_range(m->nr, 1, 16);
	/* Doubling from 2 MiB: about ten fmap records, not 512. */
	assert_in_range(d->fs.log.next_seq - seq, 1, 16);
	assert_int_equal(bpfam_fs_sync(&d->fs, d->file, &d->err), 0);
	assert_false(inode(d, d->file)->dirty);
}

/* Growth behind other files' extents still reads as what was written. */
static void appends_around_other_files(void **state)
{
	struct rdev *d = *state;
	uint64_t other = make(d, "other"), off;
	const struct bpfam_fmap *m;

	write_bytes(d, d->file, 0, UNIT, 0xa1);
	resize(d, other, UNIT); /* right behind /file */
	for (off = UNIT; off < 9 * UNIT; off += UNIT / 2)
		write_bytes(d, d->file, off, off + UNIT / 2, 0xa2);
	m = inode(d, d->file)->fmap;
	assert_in_range(m->nr, 2, 16);
	expect(d, d->file, 0, UNIT, 0xa1);
	expect(d, d->file, UNIT, 9 * UNIT, 0xa2);
	expect(d, other, 0, UNIT, 0);
}

/* Truncate down then up: zeros past the old end, never the old bytes. */
static void down_then_up_reads_zeros(void **state)
{
	struct rdev *d = *state;

	write_bytes(d, d->file, 0, 5 * MIB, 0x5a);
	assert_int_equal(bpfam_fs_sync(&d->fs, d->file, &d->err), 0);
	resize(d, d->file, 3 * MIB + 17);
	assert_int_equal(size_of(d, d->file), 3 * MIB + 17);
	resize(d, d->file, 7 * MIB);
	expect(d, d->file, 0, 3 * MIB + 17, 0x5a);
	expect(d, d->file, 3 * MIB + 17, 7 * MIB, 0);
	assert_int_equal(inode(d, d->file)->mtime_ns, 7);
	assert_int_equal(inode(d, d->file)->ctime_ns, 7);
}

/* A write past the size zeroes the gap before it. */
static void write_past_size_zeroes_gap(void **state)
{
	struct rdev *d = *state;

	write_bytes(d, d->file, 0, 1000, 0x11);
	resize(d, d->file, 10);
	write_bytes(d, d->file, 3 * MIB, 3 * MIB + 5, 0x22);
	assert_int_equal(size_of(d, d->file), 3 * MIB + 5);
	expect(d, d->file, 0, 10, 0x11);
	expect(d, d->file, 10, 3 * MIB, 0);
	expect(d, d->file, 3 * MIB, 3 * MIB + 5, 0x22);
}

/*
 * What a shrink drops waits for the gate, held until the kernel was told;
 * reused by another file after the reclaim, it reads as zeros there.
 */
static void dropped_tail_waits_then_reads_zeros(void **state)
{
	struct rdev *d = *state;
	uint64_t other = make(d, "other"), seq, free_before;

	d->fs.hold_tails = true;
	write_bytes(d, d->file, 0, 6 * MIB, 0xee);
	free_before = bpfam_fs_bytes_free(&d->fs);
	seq = d->fs.log.next_seq;
	resize(d, d->file, UNIT);
	assert_int_equal(d->fs.ntails, 1);
	assert_int_equal(d->fs.pending_bytes, 4 * MIB);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free_before);
	assert_int_equal(bpfam_fs_horizon(&d->fs), seq);
	/* Held: a reclaim past it would leave this host reaching reused
	 * space, so the writer caps the gate at its own horizon. */
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 0);
	bpfam_fs_let_go(&d->fs, d->fs.log.next_seq);
	assert_int_equal(bpfam_fs_horizon(&d->fs), d->fs.log.next_seq);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, d->fs.log.next_seq, &d->err),
			 1);
	assert_int_equal(d->fs.ntails, 0);
	assert_int_equal(d->fs.pending_bytes, 0);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free_before + 4 * MIB);
	/* Whatever takes that space sees zeros, by truncate and by a gap. */
	resize(d, other, 3 * MIB);
	expect(d, other, 0, 3 * MIB, 0);
	write_bytes(d, other, 5 * MIB, 5 * MIB + 1, 0x01);
	expect(d, other, 0, 5 * MIB, 0);
}

/* A deleted file's bytes never show through a new file's first sizing. */
static void first_sizing_zeroes(void **state)
{
	struct rdev *d = *state;
	uint64_t b = make(d, "b"), c = make(d, "c");

	write_bytes(d, d->file, 0, 4 * MIB, 0x77);
	assert_int_equal(
		bpfam_fs_delete(&d->fs, BPFAM_ROOT_INO, "file", false, &d->err),
		0);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, d->fs.log.next_seq, &d->err),
			 1);
	assert_int_equal(bpfam_fs_set_size(&d->fs, b, 4 * MIB, 0, 0, &d->err),
			 0);
	expect(d, b, 0, 4 * MIB, 0);
	assert_int_equal(
		bpfam_fs_set_size(&d->fs, c, 8 * MIB, 2, UNIT, &d->err), 0);
	assert_int_equal(inode(d, c)->fmap->kind, BPFAM_FMAP_INTERLEAVED);
}

/*
 * A host maps a file's last page whole: past the size, up to 64 KiB, it
 * reads zeros — after a write, a first sizing and a shrink alike.
 */
static void last_page_past_size_is_zero(void **state)
{
	struct rdev *d = *state;
	uint64_t b = make(d, "b"), c = make(d, "c");

	write_bytes(d, d->file, 0, 8 * MIB, 0x99);
	assert_int_equal(
		bpfam_fs_delete(&d->fs, BPFAM_ROOT_INO, "file", false, &d->err),
		0);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, d->fs.log.next_seq, &d->err),
			 1);
	write_bytes(d, b, 0, 100, 0x01);
	expect(d, b, 100, 64 << 10, 0);
	write_bytes(d, b, 200000, 200001, 0x02);
	expect(d, b, 100, 200000, 0);
	expect(d, b, 200001, 256 << 10, 0);
	assert_int_equal(bpfam_fs_set_size(&d->fs, c, 5000, 0, 0, &d->err), 0);
	expect(d, c, 0, 64 << 10, 0);
	write_bytes(d, b, 0, 3 * MIB, 0x03);
	resize(d, b, 1000);
	expect(d, b, 0, 1000, 0x03);
	expect(d, b, 1000, 64 << 10, 0);
	/* What was past the grain is not known zero: regrowth zeroes it. */
	resize(d, b, 2 * MIB);
	expect(d, b, 1000, 2 * MIB, 0);
}

/* The last close gives back the reservation; KEEP_SIZE's stays. */
static void trim_returns_reservation(void **state)
{
	struct rdev *d = *state;

	write_bytes(d, d->file, 0, MIB, 0x33);
	write_bytes(d, d->file, MIB, 5 * MIB, 0x33);
	assert_true(bpfam_alloc_fmap_bytes(inode(d, d->file)->fmap) > 6 * MIB);
	assert_int_equal(bpfam_fs_trim(&d->fs, d->file, 0, &d->err), 0);
	assert_int_equal(bpfam_alloc_fmap_bytes(inode(d, d->file)->fmap),
			 6 * MIB);
	assert_int_equal(bpfam_fs_reserve(&d->fs, d->file, 20 * MIB, &d->err),
			 0);
	assert_int_equal(size_of(d, d->file), 5 * MIB);
	assert_int_equal(bpfam_fs_trim(&d->fs, d->file, 20 * MIB, &d->err), 0);
	assert_int_equal(bpfam_alloc_fmap_bytes(inode(d, d->file)->fmap),
			 20 * MIB);
	expect(d, d->file, 0, 5 * MIB, 0x33);
}

/* Logged sizes replay; a size never synced is what a crash loses. */
static void remount_replays_sizes(void **state)
{
	struct rdev *d = *state;
	uint64_t other = make(d, "other");
	struct bpfam_fmap before;

	write_bytes(d, d->file, 0, 9 * MIB, 0x44);
	resize(d, d->file, 4 * MIB);
	write_bytes(d, other, 0, 100, 0x55);
	assert_int_equal(bpfam_fs_sync(&d->fs, other, &d->err), 0);
	write_bytes(d, other, 100, 200, 0x55); /* not synced */
	memcpy(&before, inode(d, d->file)->fmap, BPFAM_FMAP_BYTES(1));
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_memory_equal(inode(d, d->file)->fmap, &before,
			    BPFAM_FMAP_BYTES(1));
	assert_int_equal(size_of(d, other), 100);
	assert_int_equal(d->fs.ntails, 1);
	/* Nobody holds a tail found in the log. */
	assert_int_equal(bpfam_fs_horizon(&d->fs), d->fs.log.next_seq);
	resize(d, d->file, 0);
	assert_null(inode(d, d->file)->fmap);
}

/*
 * A write whose fmap was copied before a truncate ends after it: it must
 * not raise the size past the extents (the log would then hold a size
 * record that does not play, and the filesystem would not mount).
 */
static void wrote_after_truncate_stays_in_extents(void **state)
{
	struct rdev *d = *state;

	write_bytes(d, d->file, 0, 10 * MIB, 0x12);
	resize(d, d->file, MIB);
	bpfam_fs_wrote(&d->fs, inode(d, d->file), 10 * MIB, 3);
	assert_int_equal(size_of(d, d->file), MIB);
	assert_int_equal(bpfam_fs_sync_all(&d->fs, &d->err), 0);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_int_equal(size_of(d, d->file), MIB);
}

/* The heartbeat's sync logs every file written, open or not. */
static void sync_all_logs_written_files(void **state)
{
	struct rdev *d = *state;
	uint64_t other = make(d, "other");

	write_bytes(d, d->file, 0, 300, 0x66);
	write_bytes(d, other, 0, 5 * MIB, 0x67);
	write_bytes(d, d->file, 300, 400, 0x66);
	assert_int_equal(d->fs.ndirty, 2);
	assert_int_equal(bpfam_fs_sync_all(&d->fs, &d->err), 0);
	assert_int_equal(d->fs.ndirty, 0);
	assert_false(inode(d, other)->dirty);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_int_equal(size_of(d, d->file), 400);
	assert_int_equal(size_of(d, other), 5 * MIB);
	assert_int_equal(bpfam_fs_sync_all(&d->fs, &d->err), 0);
}

static void refusals(void **state)
{
	struct rdev *d = *state;
	struct bpfam_inode *dir;
	uint64_t striped = make(d, "striped");

	assert_err(bpfam_fs_resize(&d->fs, d->file, DEV_SIZE, 1, &d->err),
		   EFBIG, &d->err, "more than the filesystem holds");
	resize(d, d->file, 900 * MIB);
	assert_err(bpfam_fs_resize(&d->fs, make(d, "b"), 900 * MIB, 1, &d->err),
		   ENOSPC, &d->err, "no room to grow");
	assert_err(bpfam_fs_write_begin(&d->fs, d->file, DEV_SIZE, DEV_SIZE + 1,
					&d->err),
		   EFBIG, &d->err, "past the largest file");
	assert_int_equal(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "d",
					S_IFDIR | 0755, 0, 0, &dir, &d->err),
			 0);
	assert_err(bpfam_fs_resize(&d->fs, dir->ino, 1, 1, &d->err), EISDIR,
		   &d->err, "not a regular file");
	assert_err(bpfam_fs_resize(&d->fs, 999, 1, 1, &d->err), ENOENT, &d->err,
		   "no such inode");
	resize(d, d->file, 0);
	assert_int_equal(
		bpfam_fs_set_size(&d->fs, striped, 8 * MIB, 2, UNIT, &d->err),
		0);
	assert_err(bpfam_fs_resize(&d->fs, striped, 4 * MIB, 1, &d->err), EPERM,
		   &d->err, "interleaved file keeps the size");
	assert_err(bpfam_fs_write_begin(&d->fs, striped, 0, 9 * MIB, &d->err),
		   EPERM, &d->err, "interleaved file keeps the size");
	resize(d, striped, 0);
	assert_null(inode(d, striped)->fmap);
}

static void play_rejects(struct rdev *d, const struct bpfam_record *r,
			 const char *text)
{
	uint64_t free_before = bpfam_fs_bytes_free(&d->fs);
	uint64_t pending = d->fs.pending_bytes, ntails = d->fs.ntails;

	assert_err(bpfam_fs_play(&d->fs, r, &d->err), EBADMSG, &d->err, text);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free_before);
	assert_int_equal(d->fs.pending_bytes, pending);
	assert_int_equal(d->fs.ntails, ntails);
}

static void play_refusals(void **state)
{
	struct rdev *d = *state;
	uint64_t other = make(d, "other");
	const struct bpfam_fmap *m;
	struct bpfam_record *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	resize(d, d->file, 3 * MIB);
	resize(d, other, UNIT);
	m = inode(d, d->file)->fmap;
	r->seq = d->fs.log.next_seq;
	r->type = BPFAM_REC_SETATTR;
	r->setattr.ino = d->file;
	r->setattr.valid = BPFAM_ATTR_SIZE;
	r->setattr.size = 4 * MIB + 1;
	play_rejects(d, r, "is past its extents");
	/* A resize onto another file's extent. */
	memset(r, 0, sizeof(*r));
	r->seq = d->fs.log.next_seq;
	r->type = BPFAM_REC_FMAP;
	r->fmap.ino = d->file;
	memcpy(&r->fmap.map, m, BPFAM_FMAP_BYTES(m->nr));
	r->fmap.map.ext[m->nr] = inode(d, other)->fmap->ext[0];
	r->fmap.map.nr++;
	play_rejects(d, r, "overlaps space already allocated");
	assert_int_equal(inode(d, d->file)->fmap->nr, m->nr);
	free(r);
}

/*
 * A filesystem made before POSIX gets the bit with its first resize;
 * until then a resize record in its log does not play.
 */
static void posix_bit_set_at_first_use(void **state)
{
	struct rdev *d = *state;
	struct bpfam_sb_info sb = d->fs.sb;
	struct bpfam_record *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	resize(d, d->file, UNIT);
	sb.incompat &= ~BPFAM_INCOMPAT_POSIX;
	bpfam_sb_encode(&sb, (struct bpfam_sb *)d->fs.dev.base);
	bpfam_fs_close(&d->fs);
	/* Its log now holds a record the superblock does not allow. */
	assert_int_equal(
		bpfam_fs_mount(&d->fs, d->path, BPFAM_OPEN_WRITER, &d->err),
		-EBADMSG);
	assert_non_null(strstr(d->err.msg, "needs the POSIX feature"));
	testdev_remove(d->path);

	d->path = testdev_mkfs(DEV_SIZE, BPFAM_MIN_LOG);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	sb = d->fs.sb;
	sb.incompat &= ~BPFAM_INCOMPAT_POSIX;
	bpfam_sb_encode(&sb, (struct bpfam_sb *)d->fs.dev.base);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_false(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	d->file = make(d, "file");
	resize(d, d->file, UNIT);
	resize(d, d->file, 2 * UNIT);
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	assert_int_equal(size_of(d, d->file), 2 * UNIT);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(appends_take_few_extents),
		T(appends_around_other_files),
		T(down_then_up_reads_zeros),
		T(write_past_size_zeroes_gap),
		T(dropped_tail_waits_then_reads_zeros),
		T(first_sizing_zeroes),
		T(last_page_past_size_is_zero),
		T(trim_returns_reservation),
		T(remount_replays_sizes),
		T(sync_all_logs_written_files),
		T(wrote_after_truncate_stays_in_extents),
		T(refusals),
		T(play_refusals),
		T(posix_bit_set_at_first_use),
#undef T
	};

	return cmocka_run_group_tests_name("resize", tests, NULL, NULL);
}
