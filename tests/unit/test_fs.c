// SPDX-License-Identifier: GPL-2.0
/* The namespace: writer operations, replay, and what playing refuses. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs.h"
#include "testdev.h"

#define DEV_SIZE (64 * MIB)

struct fsdev {
	const char *path;
	struct bpfam_fs fs;
	struct bpfam_err err;
	uint64_t file; /* inode of /file, 5 MiB */
	uint64_t dir;  /* inode of /dir */
};

static uint64_t make(struct fsdev *d, uint64_t parent, const char *name,
		     uint32_t mode)
{
	struct bpfam_inode *in;

	if (bpfam_fs_mknod(&d->fs, parent, name, mode, 1, 2, &in, &d->err))
		fail_msg("mknod %s: %s", name, d->err.msg);
	return in->ino;
}

/* A new filesystem holding /dir and /file (5 MiB), mounted as the writer. */
static int setup(void **state)
{
	struct fsdev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->path = testdev_mkfs(DEV_SIZE, BPFAM_MIN_LOG);
	testdev_mount(&d->fs, d->path);
	d->dir = make(d, BPFAM_ROOT_INO, "dir", S_IFDIR | 0755);
	d->file = make(d, BPFAM_ROOT_INO, "file", S_IFREG | 0644);
	assert_int_equal(
		bpfam_fs_set_size(&d->fs, d->file, 5 * MIB, 0, 0, &d->err), 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct fsdev *d = *state;

	bpfam_fs_close(&d->fs);
	testdev_remove(d->path);
	free(d);
	return 0;
}

static void remount_replays(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in, *dir;
	struct bpfam_fmap before;
	uint64_t sub;

	sub = make(d, d->dir, "sub", S_IFREG | 0600);
	assert_int_equal(
		bpfam_fs_set_size(&d->fs, sub, 9 * MIB, 2, 2 * MIB, &d->err),
		0);
	assert_int_equal(bpfam_fs_setattr(&d->fs, sub, BPFAM_ATTR_MODE, 0640, 0,
					  0, 0, &d->err),
			 0);
	memcpy(&before, bpfam_fs_inode(&d->fs, sub)->fmap,
	       BPFAM_FMAP_BYTES(2));
	bpfam_fs_close(&d->fs);

	testdev_mount(&d->fs, d->path);
	assert_int_equal(d->fs.nfiles, 2);
	assert_int_equal(d->fs.ndirs, 2);
	assert_int_equal(d->fs.log.next_seq, 7);
	dir = bpfam_fs_lookup(&d->fs, BPFAM_ROOT_INO, "dir");
	assert_non_null(dir);
	assert_int_equal(dir->nchildren, 1);
	in = bpfam_fs_lookup(&d->fs, d->dir, "sub");
	assert_non_null(in);
	assert_ptr_equal(in, dir->children[0]);
	assert_int_equal(in->mode, S_IFREG | 0640);
	assert_int_equal(in->uid, 1);
	assert_int_equal(in->gid, 2);
	assert_non_null(in->fmap);
	assert_memory_equal(in->fmap, &before, BPFAM_FMAP_BYTES(2));
	assert_int_equal(in->fmap->kind, BPFAM_FMAP_INTERLEAVED);
	/* 6 MiB for /file (5 MiB), 2 strips of 3 chunks for /dir/sub. */
	assert_int_equal(bpfam_fs_bytes_used(&d->fs), 18 * MIB);
	assert_int_equal(bpfam_fs_bytes_used(&d->fs) +
				 bpfam_fs_bytes_free(&d->fs),
			 DEV_SIZE - d->fs.sb.data_off);
}

/* A record for the playing tests, next in sequence. */
static void next_record(struct fsdev *d, struct bpfam_record *r, uint16_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->seq = d->fs.log.next_seq;
}

static void mknod_record(struct fsdev *d, struct bpfam_record *r, uint64_t ino,
			 uint64_t parent, const char *name)
{
	next_record(d, r, BPFAM_REC_MKNOD);
	r->mknod.ino = ino;
	r->mknod.parent = parent;
	r->mknod.mode = S_IFREG | 0644;
	r->mknod.name_len = (uint32_t)strlen(name);
	strcpy(r->mknod.name, name);
}

/* An fmap record giving @ino one extent [off, off + len). */
static void fmap_record(struct fsdev *d, struct bpfam_record *r, uint64_t ino,
			uint64_t off, uint64_t len)
{
	next_record(d, r, BPFAM_REC_FMAP);
	r->fmap.ino = ino;
	r->fmap.map.version = BPFAM_FMAP_VERSION;
	r->fmap.map.kind = BPFAM_FMAP_SIMPLE;
	r->fmap.map.size = len;
	r->fmap.map.nr = 1;
	r->fmap.map.ext[0].dev_off = off;
	r->fmap.map.ext[0].len = len;
}

static void play_rejects(struct fsdev *d, const struct bpfam_record *r,
			 const char *text)
{
	uint64_t free_before = bpfam_fs_bytes_free(&d->fs);
	uint64_t files = d->fs.nfiles;

	assert_err(bpfam_fs_play(&d->fs, r, &d->err), EBADMSG, &d->err, text);
	assert_non_null(strstr(d->err.msg, d->path));
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free_before);
	assert_int_equal(d->fs.nfiles, files);
}

static uint64_t new_file(struct fsdev *d, const char *name)
{
	return make(d, BPFAM_ROOT_INO, name, S_IFREG | 0644);
}

static void play_overlap(void **state)
{
	struct fsdev *d = *state;
	const struct bpfam_fmap *m = bpfam_fs_inode(&d->fs, d->file)->fmap;
	uint64_t other = new_file(d, "other");
	struct bpfam_record r;

	/* The last unit of /file, and one more. */
	fmap_record(d, &r, other, m->ext[0].dev_off + m->ext[0].len - UNIT,
		    2 * UNIT);
	play_rejects(d, &r, "extent 0 overlaps space already allocated");
}

static void play_outside_device(void **state)
{
	struct fsdev *d = *state;
	uint64_t other = new_file(d, "other");
	struct bpfam_record r;

	fmap_record(d, &r, other, d->fs.sb.data_off - UNIT, UNIT);
	play_rejects(d, &r, "is outside the data area");
	fmap_record(d, &r, other, DEV_SIZE - UNIT, 2 * UNIT);
	play_rejects(d, &r, "is outside the data area");
	fmap_record(d, &r, other, DEV_SIZE - UNIT, UNIT);
	r.fmap.map.ext[0].dev = 1;
	play_rejects(d, &r, "is on device 1, the filesystem has 1");
}

static void play_duplicate_name(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in;
	struct bpfam_record r;

	mknod_record(d, &r, d->fs.max_ino + 1, BPFAM_ROOT_INO, "file");
	play_rejects(d, &r, "'file' already exists in directory 1");
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "file",
				  S_IFREG | 0644, 0, 0, &in, &d->err),
		   EEXIST, &d->err, "'file': already exists");
	/* The same name in another directory is another file. */
	make(d, d->dir, "file", S_IFREG | 0644);
}

static void play_inode_order(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;

	mknod_record(d, &r, d->fs.max_ino, BPFAM_ROOT_INO, "new");
	play_rejects(d, &r, "is not the next inode number");
	/* A gap would make readers that index by inode number allocate for
	 * numbers that do not exist (up to 2^64). */
	mknod_record(d, &r, d->fs.max_ino + 2, BPFAM_ROOT_INO, "new");
	play_rejects(d, &r, "is not the next inode number");
	mknod_record(d, &r, UINT64_MAX, BPFAM_ROOT_INO, "new");
	play_rejects(d, &r, "is not the next inode number");
}

static void play_parent_not_dir(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in;
	struct bpfam_record r;

	mknod_record(d, &r, d->fs.max_ino + 1, d->file, "x");
	play_rejects(d, &r, "parent 3 of 'x' is not a directory");
	mknod_record(d, &r, d->fs.max_ino + 1, 999, "x");
	play_rejects(d, &r, "parent 999 of 'x' is not a directory");
	assert_err(bpfam_fs_mknod(&d->fs, d->file, "x", S_IFREG | 0644, 0, 0,
				  &in, &d->err),
		   ENOTDIR, &d->err, "'file': not a directory");
	assert_err(bpfam_fs_mknod(&d->fs, 999, "x", S_IFREG | 0644, 0, 0, &in,
				  &d->err),
		   ENOENT, &d->err, "no such inode");
}

static void set_size_once(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;

	assert_err(bpfam_fs_set_size(&d->fs, d->file, 7 * MIB, 0, 0, &d->err),
		   EPERM, &d->err, "size is already set (5242880 bytes)");
	fmap_record(d, &r, d->file, DEV_SIZE - UNIT, UNIT);
	play_rejects(d, &r, "already has its size");
	fmap_record(d, &r, d->dir, DEV_SIZE - UNIT, UNIT);
	play_rejects(d, &r, "inode 2 is not a file");
	assert_err(bpfam_fs_set_size(&d->fs, d->dir, MIB, 0, 0, &d->err),
		   EISDIR, &d->err, "'dir': not a regular file");
	assert_err(bpfam_fs_set_size(&d->fs, new_file(d, "empty"), 0, 0, 0,
				     &d->err),
		   EINVAL, &d->err, "size must be above zero");
}

static void set_size_no_space(void **state)
{
	struct fsdev *d = *state;
	uint64_t ino = new_file(d, "huge");
	uint64_t used = bpfam_fs_bytes_used(&d->fs);

	assert_err(bpfam_fs_set_size(&d->fs, ino, DEV_SIZE, 0, 0, &d->err),
		   ENOSPC, &d->err, "'huge': no room for 64 MiB");
	assert_err(bpfam_fs_set_size(&d->fs, ino, MIB, 2, 3 * MIB, &d->err),
		   EINVAL, &d->err, "cannot interleave");
	assert_int_equal(bpfam_fs_bytes_used(&d->fs), used);
	assert_null(bpfam_fs_inode(&d->fs, ino)->fmap);
}

static void names_checked(void **state)
{
	struct fsdev *d = *state;
	char longname[BPFAM_NAME_MAX + 2];
	struct bpfam_inode *in;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, longname,
				  S_IFREG | 0644, 0, 0, &in, &d->err),
		   ENAMETOOLONG, &d->err, "name longer than 255 bytes");
	longname[BPFAM_NAME_MAX] = '\0';
	make(d, BPFAM_ROOT_INO, longname, S_IFREG | 0644);
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "a/b", S_IFREG, 0, 0,
				  &in, &d->err),
		   EINVAL, &d->err, "'a/b': invalid name");
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "..", S_IFDIR, 0, 0,
				  &in, &d->err),
		   EINVAL, &d->err, "invalid name");
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "fifo", S_IFIFO, 0, 0,
				  &in, &d->err),
		   EINVAL, &d->err, "only files and directories");
}

static void setattr_and_delete(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;

	assert_err(bpfam_fs_setattr(&d->fs, 999, BPFAM_ATTR_UID, 0, 5, 0, 0,
				    &d->err),
		   ENOENT, &d->err, "inode 999: no such inode");
	assert_err(bpfam_fs_setattr(&d->fs, d->file, 0, 0, 5, 0, 0, &d->err),
		   EINVAL, &d->err, "attribute mask 0x0");
	next_record(d, &r, BPFAM_REC_SETATTR);
	r.setattr.ino = 999;
	r.setattr.valid = BPFAM_ATTR_UID;
	play_rejects(d, &r, "inode 999 does not exist");
	next_record(d, &r, BPFAM_REC_DELETE);
	r.del.ino = d->file;
	r.del.parent = BPFAM_ROOT_INO;
	assert_err(bpfam_fs_play(&d->fs, &r, &d->err), EPROTONOSUPPORT, &d->err,
		   "delete records need a newer bpfam");
}

/* Records the writer could not have made stop a mount, naming them. */
static void mount_stops_at_bad_record(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;
	struct bpfam_fs fs2;
	struct bpfam_err err;

	mknod_record(d, &r, d->fs.max_ino + 1, BPFAM_ROOT_INO, "file");
	assert_int_equal(bpfam_log_append(&d->fs.log, &r, &err), 0);
	assert_err(bpfam_fs_mount(&fs2, d->path, BPFAM_OPEN_RDONLY, &err),
		   EBADMSG, &err,
		   "log record 4 (mknod): 'file' already exists");
}

/* A client that cannot play a record keeps it: it is never skipped. */
static void refresh_keeps_unplayable_record(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;
	struct bpfam_fs fs2;
	struct bpfam_err err;
	uint64_t played;
	int i;

	assert_int_equal(bpfam_fs_mount(&fs2, d->path, BPFAM_OPEN_RDONLY, &err),
			 0);
	mknod_record(d, &r, d->fs.max_ino + 1, BPFAM_ROOT_INO, "file");
	assert_int_equal(bpfam_log_append(&d->fs.log, &r, &err), 0);
	for (i = 0; i < 2; i++) {
		assert_err(bpfam_fs_refresh(&fs2, &played, &err), EBADMSG,
			   &err, "log record 4 (mknod): 'file' already exists");
		assert_int_equal(played, 0);
	}
	bpfam_fs_close(&fs2);
}

static void readonly_cannot_write(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in;
	struct bpfam_fs ro;
	struct bpfam_err err;

	assert_int_equal(bpfam_fs_mount(&ro, d->path, BPFAM_OPEN_RDONLY, &err),
			 0);
	assert_int_equal(ro.nfiles, 1);
	assert_err(bpfam_fs_mknod(&ro, BPFAM_ROOT_INO, "x", S_IFREG | 0644, 0,
				  0, &in, &err),
		   EROFS, &err, "not opened as the metadata writer");
	assert_null(bpfam_fs_lookup(&ro, BPFAM_ROOT_INO, "x"));
	bpfam_fs_close(&ro);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(remount_replays),
		T(play_overlap),
		T(play_outside_device),
		T(play_duplicate_name),
		T(play_inode_order),
		T(play_parent_not_dir),
		T(set_size_once),
		T(set_size_no_space),
		T(names_checked),
		T(setattr_and_delete),
		T(refresh_keeps_unplayable_record),
		T(mount_stops_at_bad_record),
		T(readonly_cannot_write),
	};

	return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
