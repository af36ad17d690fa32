// SPDX-License-Identifier: GPL-2.0
/* The namespace: writer operations, replay, and what playing refuses. */
#include <endian.h>
#include <errno.h>
#include <linux/fs.h>
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
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
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
	assert_int_equal(bpfam_fs_setattr(&d->fs, sub, BPFAM_ATTR_MODE,
					  &(struct bpfam_attrs){.mode = 0640},
					  &d->err),
			 0);
	memcpy(&before, bpfam_fs_inode(&d->fs, sub)->fmap,
	       BPFAM_FMAP_BYTES(2));
	bpfam_fs_close(&d->fs);

	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_int_equal(d->fs.nfiles, 2);
	assert_int_equal(d->fs.ndirs, 2);
	assert_int_equal(d->fs.log.next_seq, 7);
	dir = bpfam_fs_lookup(&d->fs, BPFAM_ROOT_INO, "dir");
	assert_non_null(dir);
	assert_int_equal(dir->nchildren, 1);
	in = bpfam_fs_lookup(&d->fs, d->dir, "sub");
	assert_non_null(in);
	assert_ptr_equal(in, dir->children[0]->inode);
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
		   EPERM, &d->err, "already sized (5242880 bytes)");
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
	assert_err(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "what", 0170000, 0,
				  0, &in, &d->err),
		   EINVAL, &d->err, "'what': unknown file type in mode 0170000");
}

static void setattr_refusals(void **state)
{
	struct bpfam_attrs a = {.uid = 5};
	struct fsdev *d = *state;
	struct bpfam_record r;

	assert_err(bpfam_fs_setattr(&d->fs, 999, BPFAM_ATTR_UID, &a, &d->err),
		   ENOENT, &d->err, "inode 999: no such inode");
	assert_err(bpfam_fs_setattr(&d->fs, d->file, 0, &a, &d->err), EINVAL,
		   &d->err, "attribute mask 0x0");
	assert_err(bpfam_fs_setattr(&d->fs, d->file, BPFAM_ATTR_SIZE, &a,
				    &d->err),
		   EINVAL, &d->err, "attribute mask 0x40");
	next_record(d, &r, BPFAM_REC_SETATTR);
	r.setattr.ino = 999;
	r.setattr.valid = BPFAM_ATTR_UID;
	play_rejects(d, &r, "inode 999 does not exist");
}

/* ---- delete and reclaim ------------------------------------------------- */

#define ROOT BPFAM_ROOT_INO

static uint64_t sized(struct fsdev *d, const char *name, uint64_t size)
{
	uint64_t ino = new_file(d, name);

	if (bpfam_fs_set_size(&d->fs, ino, size, 0, 0, &d->err))
		fail_msg("size %s: %s", name, d->err.msg);
	return ino;
}

/* unlink (@dir false) or rmdir @name: the delete record's sequence number. */
static uint64_t del(struct fsdev *d, uint64_t parent, const char *name,
		    bool dir)
{
	uint64_t seq = d->fs.log.next_seq;

	if (bpfam_fs_delete(&d->fs, parent, name, dir, &d->err))
		fail_msg("delete %s: %s", name, d->err.msg);
	assert_int_equal(d->fs.log.next_seq, seq + 1);
	return seq;
}

static void delete_refused(struct fsdev *d, uint64_t parent, const char *name,
			   bool dir, int code, const char *text)
{
	uint64_t seq = d->fs.log.next_seq;

	assert_err(bpfam_fs_delete(&d->fs, parent, name, dir, &d->err), code,
		   &d->err, text);
	assert_int_equal(d->fs.log.next_seq, seq);
}

static void delete_refusals(void **state)
{
	struct fsdev *d = *state;
	char longname[BPFAM_NAME_MAX + 2];
	struct bpfam_fs client;
	struct bpfam_err err;

	make(d, d->dir, "x", S_IFREG | 0644);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	delete_refused(d, ROOT, "nope", false, ENOENT,
		       "'nope': no such file or directory");
	delete_refused(d, 999, "x", false, ENOENT,
		       "directory inode 999: no such inode");
	delete_refused(d, d->file, "x", false, ENOTDIR,
		       "'file': not a directory");
	delete_refused(d, ROOT, "file", true, ENOTDIR,
		       "'file': not a directory");
	delete_refused(d, ROOT, "dir", false, EISDIR, "'dir': is a directory");
	delete_refused(d, ROOT, "dir", true, ENOTEMPTY,
		       "'dir': directory not empty");
	delete_refused(d, ROOT, longname, false, ENAMETOOLONG,
		       "name longer than 255 bytes");
	delete_refused(d, ROOT, ".", true, EINVAL, "'.': cannot remove");
	delete_refused(d, d->dir, "..", true, ENOTEMPTY, "'..': cannot remove");
	assert_non_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	assert_non_null(bpfam_fs_lookup(&d->fs, d->dir, "x"));

	/* A client plays the log; only the primary writes it. */
	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	assert_err(bpfam_fs_delete(&client, ROOT, "file", false, &err), EROFS,
		   &err, "not opened as the metadata writer");
	assert_non_null(bpfam_fs_lookup(&client, ROOT, "file"));
	assert_int_equal(client.norphans, 0);
	bpfam_fs_close(&client);
}

static void delete_unlinks_name(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *root = bpfam_fs_inode(&d->fs, ROOT), *in;
	uint64_t free_before = bpfam_fs_bytes_free(&d->fs), seq, ino;
	struct bpfam_record r;

	assert_int_equal(root->nchildren, 2);
	seq = del(d, ROOT, "file", false);
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	assert_int_equal(root->nchildren, 1);
	assert_int_equal(root->children[0]->inode->ino, d->dir);
	/* Reachable by number, for the hosts that hold it, until reclaimed. */
	in = bpfam_fs_inode(&d->fs, d->file);
	assert_non_null(in);
	assert_int_equal(in->del_seq, seq);
	assert_non_null(in->fmap);
	assert_int_equal(d->fs.nfiles, 0);
	assert_int_equal(d->fs.norphans, 1);
	assert_int_equal(d->fs.pending_bytes, 6 * MIB);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free_before);

	/* The name is free again, for a new inode. */
	ino = new_file(d, "file");
	assert_int_not_equal(ino, d->file);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, ROOT, "file"),
			 bpfam_fs_inode(&d->fs, ino));
	assert_int_equal(d->fs.nfiles, 1);

	seq = del(d, ROOT, "dir", true);
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "dir"));
	assert_int_equal(bpfam_fs_inode(&d->fs, d->dir)->del_seq, seq);
	assert_int_equal(d->fs.ndirs, 1);
	assert_int_equal(root->nchildren, 1);
	assert_int_equal(root->children[0]->inode->ino, ino);

	/* Nothing is made in, or removed from, a deleted directory. */
	assert_err(bpfam_fs_mknod(&d->fs, d->dir, "x", S_IFDIR | 0755, 0, 0,
				  &in, &d->err),
		   ENOENT, &d->err, "directory inode 2: no such inode");
	mknod_record(d, &r, d->fs.max_ino + 1, d->dir, "x");
	play_rejects(d, &r, "parent 2 of 'x' is not a directory");
	delete_refused(d, d->dir, "x", false, ENOENT,
		       "directory inode 2: no such inode");
}

/* Until a reclaim record, deleted space is not the allocator's to give. */
static void deleted_space_waits_for_reclaim(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_extent old = bpfam_fs_inode(&d->fs, d->file)->fmap->ext[0];
	const struct bpfam_fmap *m;
	uint64_t ino;

	sized(d, "fill", bpfam_fs_bytes_free(&d->fs));
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), 0);
	del(d, ROOT, "file", false);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), 0);
	assert_int_equal(d->fs.pending_bytes, 6 * MIB);
	ino = new_file(d, "new");
	assert_err(bpfam_fs_set_size(&d->fs, ino, UNIT, 0, 0, &d->err), ENOSPC,
		   &d->err, "'new': no room for 2 MiB");

	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, d->file));
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), 6 * MIB);
	assert_int_equal(d->fs.pending_bytes, 0);
	assert_int_equal(d->fs.reclaimed_bytes, 6 * MIB);
	assert_int_equal(bpfam_fs_set_size(&d->fs, ino, 6 * MIB, 0, 0, &d->err),
			 0);
	m = bpfam_fs_inode(&d->fs, ino)->fmap;
	assert_int_equal(m->nr, 1);
	assert_int_equal(m->ext[0].dev_off, old.dev_off);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), 0);
}

static void horizon_follows_holds(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *a = bpfam_fs_inode(&d->fs, d->file), *b;
	uint64_t sa, sb;

	assert_int_equal(bpfam_fs_horizon(&d->fs), d->fs.log.next_seq);
	b = bpfam_fs_inode(&d->fs, sized(d, "b", UNIT));
	bpfam_fs_hold(a);
	bpfam_fs_hold(a);
	bpfam_fs_hold(b);
	/* Holding a linked file holds nothing back. */
	assert_int_equal(bpfam_fs_horizon(&d->fs), d->fs.log.next_seq);
	sa = del(d, ROOT, "file", false);
	sb = del(d, ROOT, "b", false);
	assert_int_equal(bpfam_fs_horizon(&d->fs), sa);
	bpfam_fs_release(a);
	assert_int_equal(bpfam_fs_horizon(&d->fs), sa);
	bpfam_fs_release(a);
	assert_int_equal(bpfam_fs_horizon(&d->fs), sb);
	bpfam_fs_release(b);
	/* Unheld orphans wait for the gate, not for this host. */
	assert_int_equal(d->fs.norphans, 2);
	assert_int_equal(bpfam_fs_horizon(&d->fs), d->fs.log.next_seq);
	bpfam_fs_release(b);
	assert_int_equal(b->refs, 0);
}

/* A host that has not played everything holds back at what it has not. */
static void horizon_of_client_behind(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_fs client;
	struct bpfam_err err;
	uint64_t seen;

	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	seen = client.log.next_seq;
	assert_int_equal(bpfam_fs_horizon(&client), seen);
	del(d, ROOT, "file", false);
	new_file(d, "later");
	assert_int_equal(bpfam_fs_horizon(&client), seen);
	assert_int_equal(bpfam_fs_refresh(&client, NULL, &err), 0);
	assert_int_equal(bpfam_fs_horizon(&client), d->fs.log.next_seq);
	bpfam_fs_close(&client);
}

static void reclaim_frees_below_gate(void **state)
{
	struct fsdev *d = *state;
	uint64_t free0 = bpfam_fs_bytes_free(&d->fs);
	uint64_t b = sized(d, "b", 2 * UNIT), sa, sb, seq;

	free0 -= 2 * UNIT;
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 0);
	sa = del(d, ROOT, "file", false);
	sb = del(d, ROOT, "b", false);
	seq = d->fs.log.next_seq;
	/* No delete below the gate: no record, nothing freed. */
	assert_int_equal(bpfam_fs_reclaim(&d->fs, sa, &d->err), 0);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, 1, &d->err), 0);
	assert_int_equal(d->fs.log.next_seq, seq);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free0);

	/* The first delete only. */
	assert_int_equal(bpfam_fs_reclaim(&d->fs, sb, &d->err), 1);
	assert_int_equal(d->fs.log.next_seq, seq + 1);
	assert_int_equal(d->fs.reclaimed_upto, sb);
	assert_null(bpfam_fs_inode(&d->fs, d->file));
	assert_int_equal(bpfam_fs_inode(&d->fs, b)->del_seq, sb);
	assert_int_equal(d->fs.norphans, 1);
	assert_int_equal(d->fs.pending_bytes, 2 * UNIT);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free0 + 6 * MIB);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, sb, &d->err), 0);

	/* A gate past the log's end frees up to it. */
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_int_equal(d->fs.reclaimed_upto, seq + 1);
	assert_null(bpfam_fs_inode(&d->fs, b));
	assert_int_equal(d->fs.norphans, 0);
	assert_int_equal(d->fs.pending_bytes, 0);
	assert_int_equal(d->fs.reclaimed_bytes, 10 * MIB);
	assert_int_equal(d->fs.ninodes, 2);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free0 + 10 * MIB);
}

/* The primary's own holds count too: it never logs what it cannot play. */
static void reclaim_spares_what_primary_holds(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);
	uint64_t seq;

	bpfam_fs_hold(in);
	del(d, ROOT, "file", false);
	seq = d->fs.log.next_seq;
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 0);
	assert_int_equal(d->fs.log.next_seq, seq);
	assert_ptr_equal(bpfam_fs_inode(&d->fs, d->file), in);
	bpfam_fs_release(in);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, d->file));
	new_file(d, "after"); /* commits still work */
}

#define MAX_SNAP_INO 16

/* What a mount must rebuild from the log alone. */
struct snapshot {
	uint64_t free, used, pending, reclaimed_upto, reclaimed_bytes;
	uint64_t norphans, ninodes, nfiles, ndirs, max_ino, next_seq;
	struct {
		bool present;
		uint64_t del_seq, parent, dev_off, mtime, ctime;
		uint32_t nlink;
		char name[16];
	} in[MAX_SNAP_INO];
};

static void snapshot(const struct bpfam_fs *fs, struct snapshot *s)
{
	const struct bpfam_inode *in;
	uint64_t i;

	memset(s, 0, sizeof(*s));
	s->free = bpfam_fs_bytes_free(fs);
	s->used = bpfam_fs_bytes_used(fs);
	s->pending = fs->pending_bytes;
	s->reclaimed_upto = fs->reclaimed_upto;
	s->reclaimed_bytes = fs->reclaimed_bytes;
	s->norphans = fs->norphans;
	s->ninodes = fs->ninodes;
	s->nfiles = fs->nfiles;
	s->ndirs = fs->ndirs;
	s->max_ino = fs->max_ino;
	s->next_seq = fs->log.next_seq;
	assert_true(fs->max_ino < MAX_SNAP_INO);
	for (i = 1; i <= fs->max_ino; i++) {
		in = bpfam_fs_inode(fs, i);
		if (!in)
			continue;
		s->in[i].present = true;
		s->in[i].del_seq = in->del_seq;
		s->in[i].parent = in->parent;
		s->in[i].dev_off = in->fmap ? in->fmap->ext[0].dev_off : 0;
		s->in[i].mtime = in->mtime_ns;
		s->in[i].ctime = in->ctime_ns;
		s->in[i].nlink = in->nlink;
		snprintf(s->in[i].name, sizeof(s->in[i].name), "%s",
			 bpfam_inode_name(in));
	}
}

static void remount_replays_deletes(void **state)
{
	struct fsdev *d = *state;
	struct snapshot before, after;

	sized(d, "a", UNIT);
	sized(d, "b", 2 * UNIT);
	make(d, d->dir, "sub", S_IFDIR | 0755);
	del(d, ROOT, "file", false);
	del(d, ROOT, "a", false);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	del(d, ROOT, "b", false);
	del(d, d->dir, "sub", true);
	sized(d, "file", UNIT); /* a name used again */
	snapshot(&d->fs, &before);
	assert_int_equal(before.norphans, 2);
	assert_int_equal(before.pending, 2 * UNIT);
	assert_int_equal(before.reclaimed_bytes, 8 * MIB);
	bpfam_fs_close(&d->fs);

	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	snapshot(&d->fs, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* And a client, which cannot write, reaches the same state too. */
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_RDONLY);
	snapshot(&d->fs, &after);
	assert_memory_equal(&before, &after, sizeof(before));
}

/*
 * A reclaim record for a file this host still holds means it was evicted
 * while alive: refused with -ESTALE, and the record stays unplayed.
 */
static void client_holding_reclaimed_file(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_fs client;
	struct bpfam_inode *in;
	struct bpfam_err err;
	uint64_t played, seq, free0;

	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	in = bpfam_fs_inode(&client, d->file);
	bpfam_fs_hold(in);
	del(d, ROOT, "file", false);
	assert_int_equal(bpfam_fs_refresh(&client, &played, &err), 0);
	assert_int_equal(played, 1);
	assert_int_equal(bpfam_fs_horizon(&client), in->del_seq);

	seq = d->fs.log.next_seq;
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	free0 = bpfam_fs_bytes_free(&client);
	assert_err(bpfam_fs_refresh(&client, &played, &err), ESTALE, &err,
		   "reclaims the space of 'file' (inode 3), which this host still holds: this host was evicted");
	assert_int_equal(played, 0);
	assert_int_equal(client.log.next_seq, seq);
	assert_ptr_equal(bpfam_fs_inode(&client, d->file), in);
	assert_int_equal(client.norphans, 1);
	assert_int_equal(bpfam_fs_bytes_free(&client), free0);

	bpfam_fs_release(in);
	assert_int_equal(bpfam_fs_refresh(&client, &played, &err), 0);
	assert_int_equal(played, 1);
	assert_null(bpfam_fs_inode(&client, d->file));
	assert_int_equal(bpfam_fs_bytes_free(&client),
			 bpfam_fs_bytes_free(&d->fs));
	bpfam_fs_close(&client);
}

static void play_delete_reclaim_rejects(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;

	make(d, d->dir, "x", S_IFREG | 0644);
	next_record(d, &r, BPFAM_REC_DELETE);
	r.del.ino = 999;
	r.del.parent = ROOT;
	play_rejects(d, &r, "inode 999 is not a linked file or directory");
	r.del.ino = ROOT;
	play_rejects(d, &r, "inode 1 is not a linked file or directory");
	r.del.ino = d->file;
	r.del.parent = d->dir;
	play_rejects(d, &r, "inode 3 ('file') is in directory 1, not 2");
	r.del.ino = d->dir;
	r.del.parent = ROOT;
	play_rejects(d, &r, "directory 2 ('dir') is not empty");
	del(d, ROOT, "file", false);
	next_record(d, &r, BPFAM_REC_DELETE);
	r.del.ino = d->file;
	r.del.parent = ROOT;
	play_rejects(d, &r, "inode 3 is not a linked file or directory");

	next_record(d, &r, BPFAM_REC_RECLAIM);
	r.reclaim.upto = r.seq + 1;
	play_rejects(d, &r, "reclaims up to");
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	next_record(d, &r, BPFAM_REC_RECLAIM);
	r.reclaim.upto = d->fs.reclaimed_upto;
	play_rejects(d, &r, "not between the last reclaim");
}

/* The rule for new record types: optional ones are skipped, others stop. */
static void unknown_record_types(void **state)
{
	struct fsdev *d = *state;
	struct snapshot before, after;
	struct bpfam_record r;
	struct bpfam_fs fs2;
	struct bpfam_err err;

	next_record(d, &r, 99);
	r.flags = BPFAM_REC_F_OPTIONAL;
	snapshot(&d->fs, &before);
	assert_int_equal(bpfam_fs_play(&d->fs, &r, &d->err), 0);
	snapshot(&d->fs, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	r.flags = 0;
	play_rejects(d, &r, "unknown type 99");

	r.flags = BPFAM_REC_F_OPTIONAL;
	assert_int_equal(bpfam_log_append(&d->fs.log, &r, &err), 0);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	snapshot(&d->fs, &after);
	before.next_seq++;
	assert_memory_equal(&before, &after, sizeof(before));

	next_record(d, &r, 98);
	assert_int_equal(bpfam_log_append(&d->fs.log, &r, &err), 0);
	assert_err(bpfam_fs_mount(&fs2, d->path, BPFAM_OPEN_RDONLY, &err),
		   EBADMSG, &err, "unknown record type 98");
}

/*
 * The seal of a record could not be flushed: the caller gets EIO, but the
 * record is in the log, so the namespace has it too (a remount would), and
 * nothing else is committed until flushes work again.
 */
static void unsure_record_is_played(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in, *unsure;

	d->fs.dev.fail_flush_in = 2;
	assert_err(bpfam_fs_mknod(&d->fs, ROOT, "unsure", S_IFREG | 0644, 0, 0,
				  &in, &d->err),
		   EIO, &d->err, "log record 4 may not be durable");
	unsure = bpfam_fs_lookup(&d->fs, ROOT, "unsure");
	assert_non_null(unsure);
	assert_int_equal(unsure->ino, 4);
	d->fs.dev.fail_flush_in = 1;
	assert_err(bpfam_fs_mknod(&d->fs, ROOT, "refused", S_IFREG | 0644, 0,
				  0, &in, &d->err),
		   EIO, &d->err, "the log still cannot be flushed");
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "refused"));
	assert_int_equal(make(d, ROOT, "after", S_IFREG | 0644), 5);

	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "unsure")->ino, 4);
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "after")->ino, 5);
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "refused"));
	assert_int_equal(d->fs.log.next_seq, 6);
}

/* Growing the hash tables must not bring deleted names back. */
static void deleted_name_survives_table_growth(void **state)
{
	struct fsdev *d = *state;
	uint64_t buckets = d->fs.buckets;
	char name[16];
	int i;

	del(d, ROOT, "file", false);
	for (i = 0; d->fs.buckets == buckets; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		make(d, d->dir, name, S_IFREG | 0644);
	}
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	/* Freed for good: no table may still point at it (ASan watches). */
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	make(d, ROOT, "file", S_IFREG | 0644);
	assert_non_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
}

/* What the exclude hook saw of one file: see excluded_changes(). */
static struct {
	uint64_t ino;
	int depth, calls;
	const struct bpfam_fmap *fmap;
	uint64_t size;
} seen;

static void see_file(const struct bpfam_fs *fs, const struct bpfam_fmap **m,
		     uint64_t *size)
{
	const struct bpfam_inode *in = bpfam_fs_inode(fs, seen.ino);

	*m = in ? in->fmap : NULL;
	*size = *m ? (*m)->size : 0;
}

static void watch_exclude(struct bpfam_fs *fs, bool on)
{
	const struct bpfam_fmap *m;
	uint64_t size;

	see_file(fs, &m, &size);
	if (on) {
		/* Not nested, and nothing changed since the last one ended. */
		assert_int_equal(seen.depth, 0);
		assert_ptr_equal(m, seen.fmap);
		assert_int_equal(size, seen.size);
	}
	seen.depth += on ? 1 : -1;
	seen.calls++;
	seen.fmap = m;
	seen.size = size;
}

/*
 * A daemon's reads copy fmaps under the exclude hook alone: every change
 * to a file's fmap or size, and its freeing, happens between a call with
 * true and one with false, a record that does not play included.
 */
static void excluded_changes(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;
	const struct bpfam_fmap *m;
	struct bpfam_inode *in;
	uint64_t size;

	seen.ino = d->file;
	see_file(&d->fs, &seen.fmap, &seen.size);
	d->fs.exclude = watch_exclude;
	assert_int_equal(bpfam_fs_resize(&d->fs, d->file, 9 * MIB, 1, &d->err),
			 0);
	assert_int_equal(bpfam_fs_write_begin(&d->fs, d->file, 9 * MIB,
					      11 * MIB, &d->err),
			 0);
	in = bpfam_fs_inode(&d->fs, d->file);
	bpfam_fs_wrote(&d->fs, in, 11 * MIB, 2);
	assert_int_equal(in->fmap->size, 11 * MIB);
	assert_int_equal(bpfam_fs_sync(&d->fs, d->file, &d->err), 0);
	assert_int_equal(bpfam_fs_resize(&d->fs, d->file, 1 * MIB, 3, &d->err),
			 0);
	mknod_record(d, &r, d->fs.max_ino + 1, 999, "orphan");
	assert_int_equal(bpfam_fs_play(&d->fs, &r, &d->err), -EBADMSG);
	del(d, ROOT, "file", false);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, d->file));
	assert_int_equal(seen.depth, 0);
	assert_true(seen.calls >= 2 * 9);
	see_file(&d->fs, &m, &size);
	assert_null(m);
	assert_null(seen.fmap);
	d->fs.exclude = NULL;
}

/*
 * Inodes sit in a table by number, in chunks: numbers across several
 * chunks find their own inode, an inode does not move when the table
 * grows, and a reclaimed number stays empty (numbers are not reused).
 */
static void inode_table_spans_chunks(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *first = bpfam_fs_inode(&d->fs, d->file), *in;
	uint64_t ino, last = 0;
	char name[16];
	int i;

	for (i = 0; i < 2500; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		last = make(d, d->dir, name, S_IFREG | 0644);
	}
	assert_ptr_equal(bpfam_fs_inode(&d->fs, d->file), first);
	assert_int_equal(last, d->fs.max_ino);
	for (i = 0; i < 2500; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		in = bpfam_fs_inode(&d->fs, last - 2499 + i);
		assert_non_null(in);
		assert_string_equal(bpfam_inode_name(in), name);
	}
	assert_null(bpfam_fs_inode(&d->fs, 0));
	assert_null(bpfam_fs_inode(&d->fs, last + 1));
	assert_null(bpfam_fs_inode(&d->fs, last + 5000));
	assert_null(bpfam_fs_inode(&d->fs, UINT64_MAX));
	ino = bpfam_fs_lookup(&d->fs, d->dir, "n1500")->ino;
	del(d, d->dir, "n1500", false);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, ino));
	assert_string_equal(bpfam_inode_name(bpfam_fs_inode(&d->fs, ino + 1)),
			    "n1501");
	assert_int_equal(make(d, ROOT, "after", S_IFREG | 0644), last + 1);
	bpfam_fs_close(&d->fs);

	testdev_mount(&d->fs, d->path, BPFAM_OPEN_RDONLY);
	assert_null(bpfam_fs_inode(&d->fs, ino));
	assert_string_equal(bpfam_inode_name(bpfam_fs_inode(&d->fs, ino - 1)),
			    "n1499");
	assert_string_equal(bpfam_inode_name(bpfam_fs_inode(&d->fs, last + 1)),
			    "after");
	/* Numbers 1 to last + 1 ("after"), less the one reclaimed. */
	assert_int_equal(d->fs.ninodes, last);
}

static void check_sb_sees_reformat(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_sb *raw = (struct bpfam_sb *)d->fs.dev.base;
	struct bpfam_sb saved = *raw;

	assert_int_equal(bpfam_fs_check_sb(&d->fs, &d->err), 0);
	raw->generation = htole64(d->fs.sb.generation + 1);
	assert_err(bpfam_fs_check_sb(&d->fs, &d->err), ESTALE, &d->err,
		   "the superblock changed (reformatted)");
	*raw = saved;
	raw->uuid[5] ^= 1;
	assert_err(bpfam_fs_check_sb(&d->fs, &d->err), ESTALE, &d->err,
		   "the superblock changed (reformatted)");
	*raw = saved;
	raw->magic = 0; /* a mkfs half-way */
	assert_err(bpfam_fs_check_sb(&d->fs, &d->err), ESTALE, &d->err,
		   "the superblock changed");
	raw->magic = htole64(BPFAM_SB_FENCE_MAGIC);
	assert_err(bpfam_fs_check_sb(&d->fs, &d->err), ESTALE, &d->err,
		   "fenced by 'bpfam mkfs --force'");
	assert_non_null(strstr(d->err.msg, d->path));
	*raw = saved;
	assert_int_equal(bpfam_fs_check_sb(&d->fs, &d->err), 0);
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

/* ---- names: links, unlink, rename, special files ----------------------- */

static uint64_t link_ok(struct fsdev *d, uint64_t ino, uint64_t parent,
			const char *name)
{
	uint64_t seq = d->fs.log.next_seq;

	if (bpfam_fs_link(&d->fs, ino, parent, name, &d->err))
		fail_msg("link %s: %s", name, d->err.msg);
	assert_int_equal(d->fs.log.next_seq, seq + 1);
	return seq;
}

static uint64_t rename_ok(struct fsdev *d, uint64_t sp, const char *sn,
			  uint64_t dp, const char *dn, unsigned int flags)
{
	uint64_t seq = d->fs.log.next_seq;

	if (bpfam_fs_rename(&d->fs, sp, sn, dp, dn, flags, &d->err))
		fail_msg("rename %s to %s: %s", sn, dn, d->err.msg);
	assert_int_equal(d->fs.log.next_seq, seq + 1);
	return seq;
}

static void rename_refused(struct fsdev *d, uint64_t sp, const char *sn,
			   uint64_t dp, const char *dn, unsigned int flags,
			   int code, const char *text)
{
	uint64_t seq = d->fs.log.next_seq;

	assert_err(bpfam_fs_rename(&d->fs, sp, sn, dp, dn, flags, &d->err),
		   code, &d->err, text);
	assert_int_equal(d->fs.log.next_seq, seq);
}

static void link_refused(struct fsdev *d, uint64_t ino, uint64_t parent,
			 const char *name, int code, const char *text)
{
	uint64_t seq = d->fs.log.next_seq;

	assert_err(bpfam_fs_link(&d->fs, ino, parent, name, &d->err), code,
		   &d->err, text);
	assert_int_equal(d->fs.log.next_seq, seq);
}

/* The time the record @seq logged: its parent's new mtime. */
static uint64_t dir_time(struct fsdev *d, uint64_t dir)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, dir);

	assert_int_equal(in->mtime_ns, in->ctime_ns);
	return in->mtime_ns;
}

static void hard_links(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);
	struct bpfam_inode *dir = bpfam_fs_inode(&d->fs, d->dir);
	uint64_t seq, t0 = in->ctime_ns, free0 = bpfam_fs_bytes_free(&d->fs);

	assert_int_equal(in->nlink, 1);
	seq = link_ok(d, d->file, d->dir, "again");
	assert_int_equal(in->nlink, 2);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, d->dir, "again"), in);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, ROOT, "file"), in);
	assert_int_equal(dir->nchildren, 1);
	assert_int_equal(dir->children[0]->seq, seq);
	assert_true(in->ctime_ns >= t0);
	assert_int_equal(in->ctime_ns, dir_time(d, d->dir));
	/* A second name in the same directory: two entries, one inode. */
	link_ok(d, d->file, ROOT, "twin");
	assert_int_equal(in->nlink, 3);
	assert_int_equal(d->fs.nfiles, 1);

	/* Names go one by one; the file stays until its last. */
	del(d, ROOT, "file", false);
	del(d, d->dir, "again", false);
	assert_int_equal(in->nlink, 1);
	assert_int_equal(in->del_seq, 0);
	assert_int_equal(d->fs.norphans, 0);
	assert_string_equal(bpfam_inode_name(in), "twin");
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	seq = del(d, ROOT, "twin", false);
	assert_int_equal(in->del_seq, seq);
	assert_int_equal(in->nlink, 0);
	assert_string_equal(bpfam_inode_name(in), "twin");
	assert_int_equal(d->fs.norphans, 1);
	assert_int_equal(d->fs.nfiles, 0);
	assert_int_equal(d->fs.pending_bytes, 6 * MIB);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_int_equal(bpfam_fs_bytes_free(&d->fs), free0 + 6 * MIB);
}

static void link_refusals(void **state)
{
	struct fsdev *d = *state;
	char longname[BPFAM_NAME_MAX + 2];
	struct bpfam_fs client;
	struct bpfam_err err;
	uint64_t gone = new_file(d, "gone");

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	del(d, ROOT, "gone", false);
	link_refused(d, d->dir, ROOT, "x", EPERM,
		     "'dir': a directory has one name only");
	link_refused(d, d->file, ROOT, "dir", EEXIST, "'dir': already exists");
	link_refused(d, 999, ROOT, "x", ENOENT, "inode 999: no such inode");
	link_refused(d, gone, ROOT, "x", ENOENT, "no such inode");
	link_refused(d, d->file, 999, "x", ENOENT,
		     "directory inode 999: no such inode");
	link_refused(d, d->file, d->file, "x", ENOTDIR,
		     "'file': not a directory");
	link_refused(d, d->file, ROOT, longname, ENAMETOOLONG,
		     "name longer than 255 bytes");
	link_refused(d, d->file, ROOT, "..", EINVAL, "invalid name");
	bpfam_fs_inode(&d->fs, d->file)->nlink = BPFAM_LINK_MAX;
	link_refused(d, d->file, ROOT, "x", EMLINK, "65000 names already");
	bpfam_fs_inode(&d->fs, d->file)->nlink = 1;

	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	assert_err(bpfam_fs_link(&client, d->file, ROOT, "x", &err), EROFS,
		   &err, "not opened as the metadata writer");
	bpfam_fs_close(&client);
}

static void dir_nlink(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *root = bpfam_fs_inode(&d->fs, ROOT);
	struct bpfam_inode *dir = bpfam_fs_inode(&d->fs, d->dir);
	uint64_t other = make(d, ROOT, "other", S_IFDIR | 0755);
	uint64_t sub = make(d, d->dir, "sub", S_IFDIR | 0755);

	assert_int_equal(root->nlink, 4);
	assert_int_equal(dir->nlink, 3);
	assert_int_equal(bpfam_fs_inode(&d->fs, sub)->nlink, 2);
	rename_ok(d, d->dir, "sub", other, "moved", 0);
	assert_int_equal(dir->nlink, 2);
	assert_int_equal(bpfam_fs_inode(&d->fs, other)->nlink, 3);
	assert_int_equal(bpfam_fs_inode(&d->fs, sub)->parent, other);
	del(d, other, "moved", true);
	assert_int_equal(bpfam_fs_inode(&d->fs, other)->nlink, 2);
	assert_int_equal(bpfam_fs_inode(&d->fs, sub)->nlink, 0);
	/* Files do not count. */
	make(d, d->dir, "f", S_IFREG | 0644);
	assert_int_equal(dir->nlink, 2);
}

static void rename_moves_name(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);
	struct bpfam_inode *root = bpfam_fs_inode(&d->fs, ROOT);
	uint64_t seq;

	make(d, ROOT, "z", S_IFREG | 0644);
	assert_int_equal(root->nchildren, 3);
	/* A renamed name is a new one: at the end of the listing. */
	seq = rename_ok(d, ROOT, "file", ROOT, "renamed", 0);
	assert_null(bpfam_fs_lookup(&d->fs, ROOT, "file"));
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, ROOT, "renamed"), in);
	assert_int_equal(root->nchildren, 3);
	assert_ptr_equal(root->children[2]->inode, in);
	assert_int_equal(root->children[2]->seq, seq);
	assert_int_equal(bpfam_dir_seek(root, seq), 2);
	assert_int_equal(bpfam_dir_seek(root, seq + 1), 3);
	assert_string_equal(bpfam_inode_name(in), "renamed");
	assert_int_equal(in->nlink, 1);
	assert_int_equal(in->ctime_ns, dir_time(d, ROOT));

	rename_ok(d, ROOT, "renamed", d->dir, "moved", 0);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, d->dir, "moved"), in);
	assert_int_equal(in->parent, d->dir);
	assert_int_equal(root->nchildren, 2);
	assert_int_equal(dir_time(d, ROOT), dir_time(d, d->dir));
	assert_int_equal(d->fs.nfiles, 2);
	assert_int_equal(d->fs.norphans, 0);
}

static void rename_replaces(void **state)
{
	struct fsdev *d = *state;
	uint64_t victim = sized(d, "victim", UNIT), seq, empty, full;
	struct bpfam_inode *v = bpfam_fs_inode(&d->fs, victim);

	bpfam_fs_hold(v);
	seq = rename_ok(d, ROOT, "file", ROOT, "victim", 0);
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "victim")->ino, d->file);
	assert_int_equal(v->del_seq, seq);
	assert_int_equal(v->nlink, 0);
	assert_int_equal(v->ctime_ns, dir_time(d, ROOT));
	assert_int_equal(d->fs.norphans, 1);
	assert_int_equal(d->fs.pending_bytes, UNIT);
	assert_int_equal(d->fs.nfiles, 1);
	/* Held here: the gate waits, like a delete's. */
	assert_int_equal(bpfam_fs_horizon(&d->fs), seq);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 0);
	bpfam_fs_release(v);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, victim));

	/* A replaced name of a file with another keeps it linked. */
	victim = new_file(d, "v2");
	link_ok(d, victim, d->dir, "v2link");
	rename_ok(d, ROOT, "victim", ROOT, "v2", 0);
	assert_int_equal(bpfam_fs_inode(&d->fs, victim)->nlink, 1);
	assert_int_equal(bpfam_fs_inode(&d->fs, victim)->del_seq, 0);

	/* A directory replaces an empty one only. */
	empty = make(d, ROOT, "empty", S_IFDIR | 0755);
	full = make(d, ROOT, "full", S_IFDIR | 0755);
	make(d, full, "x", S_IFREG | 0644);
	rename_refused(d, ROOT, "dir", ROOT, "full", 0, ENOTEMPTY,
		       "'full': directory not empty");
	seq = rename_ok(d, ROOT, "dir", ROOT, "empty", 0);
	assert_int_equal(bpfam_fs_inode(&d->fs, empty)->del_seq, seq);
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "empty")->ino, d->dir);
	assert_int_equal(d->fs.ndirs, 3);
	assert_int_equal(bpfam_fs_inode(&d->fs, ROOT)->nlink, 4);
}

/* POSIX: names of one inode stay as they are, and nothing is logged. */
static void rename_same_inode(void **state)
{
	struct fsdev *d = *state;
	uint64_t seq;

	link_ok(d, d->file, ROOT, "other");
	seq = d->fs.log.next_seq;
	assert_int_equal(bpfam_fs_rename(&d->fs, ROOT, "file", ROOT, "other",
					 0, &d->err),
			 0);
	assert_int_equal(bpfam_fs_rename(&d->fs, ROOT, "file", ROOT, "file",
					 0, &d->err),
			 0);
	assert_int_equal(bpfam_fs_rename(&d->fs, ROOT, "dir", ROOT, "dir", 0,
					 &d->err),
			 0);
	assert_int_equal(d->fs.log.next_seq, seq);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, ROOT, "file"),
			 bpfam_fs_lookup(&d->fs, ROOT, "other"));
	assert_int_equal(bpfam_fs_inode(&d->fs, d->file)->nlink, 2);
}

static void rename_refusals(void **state)
{
	struct fsdev *d = *state;
	uint64_t sub = make(d, d->dir, "sub", S_IFDIR | 0755);
	char longname[BPFAM_NAME_MAX + 2];
	struct bpfam_fs client;
	struct bpfam_err err;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	make(d, ROOT, "f2", S_IFREG | 0644);
	rename_refused(d, ROOT, "nope", ROOT, "x", 0, ENOENT,
		       "'nope': no such file or directory");
	rename_refused(d, 999, "file", ROOT, "x", 0, ENOENT,
		       "directory inode 999: no such inode");
	rename_refused(d, ROOT, "file", d->file, "x", 0, ENOTDIR,
		       "'file': not a directory");
	rename_refused(d, ROOT, "dir", ROOT, "file", 0, ENOTDIR,
		       "'file': not a directory");
	rename_refused(d, ROOT, "file", ROOT, "dir", 0, EISDIR,
		       "'dir': is a directory");
	rename_refused(d, ROOT, "dir", d->dir, "x", 0, EINVAL,
		       "cannot move a directory into itself");
	rename_refused(d, ROOT, "dir", sub, "x", 0, EINVAL,
		       "cannot move a directory into itself");
	rename_refused(d, ROOT, "file", ROOT, "f2", RENAME_NOREPLACE, EEXIST,
		       "'f2': already exists");
	rename_refused(d, ROOT, "file", ROOT, "x", RENAME_EXCHANGE, ENOENT,
		       "no such file or directory to exchange with");
	rename_refused(d, ROOT, "file", ROOT, "f2",
		       RENAME_EXCHANGE | RENAME_NOREPLACE, EINVAL,
		       "rename flags 0x3");
	rename_refused(d, ROOT, "file", ROOT, "f2", RENAME_WHITEOUT, EINVAL,
		       "rename flags 0x4");
	rename_refused(d, ROOT, "file", ROOT, longname, 0, ENAMETOOLONG,
		       "name longer than 255 bytes");
	rename_refused(d, ROOT, "file", ROOT, "..", 0, EINVAL,
		       "invalid name");
	rename_refused(d, ROOT, ".", ROOT, "x", 0, EINVAL, "invalid name");
	/* The exchange that would put a directory's parent below it. */
	rename_refused(d, d->dir, "sub", ROOT, "dir", RENAME_EXCHANGE, EINVAL,
		       "'dir': cannot move a directory into itself");

	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	assert_err(bpfam_fs_rename(&client, ROOT, "file", ROOT, "x", 0, &err),
		   EROFS, &err, "not opened as the metadata writer");
	bpfam_fs_close(&client);
}

static void rename_exchange(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *root = bpfam_fs_inode(&d->fs, ROOT);
	struct bpfam_inode *dir = bpfam_fs_inode(&d->fs, d->dir);
	struct bpfam_inode *file = bpfam_fs_inode(&d->fs, d->file);
	uint64_t sub = make(d, d->dir, "sub", S_IFDIR | 0755);
	struct bpfam_inode *s = bpfam_fs_inode(&d->fs, sub);
	uint64_t seq0 = root->children[1]->seq;

	/* /file <-> /dir/sub: the directory moves up, the file down. */
	rename_ok(d, ROOT, "file", d->dir, "sub", RENAME_EXCHANGE);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, ROOT, "file"), s);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, d->dir, "sub"), file);
	assert_int_equal(s->parent, ROOT);
	assert_int_equal(file->parent, d->dir);
	assert_string_equal(bpfam_inode_name(s), "file");
	assert_string_equal(bpfam_inode_name(file), "sub");
	assert_int_equal(root->nlink, 4);
	assert_int_equal(dir->nlink, 2);
	assert_int_equal(s->ctime_ns, dir_time(d, ROOT));
	assert_int_equal(file->ctime_ns, dir_time(d, d->dir));
	/* The names kept their places in the listings. */
	assert_int_equal(root->children[1]->seq, seq0);
	assert_ptr_equal(root->children[1]->inode, s);
	assert_int_equal(d->fs.norphans, 0);
	assert_int_equal(d->fs.nfiles, 1);
	assert_int_equal(d->fs.ndirs, 3);
	/* And back, in one directory. */
	make(d, d->dir, "g", S_IFREG | 0644);
	rename_ok(d, d->dir, "g", d->dir, "sub", RENAME_EXCHANGE);
	assert_ptr_equal(bpfam_fs_lookup(&d->fs, d->dir, "g"), file);
}

static void special_files(void **state)
{
	struct fsdev *d = *state;
	char target[BPFAM_PATH_MAX + 1];
	struct bpfam_inode *in;

	assert_int_equal(bpfam_fs_make(&d->fs, d->dir, "link", S_IFLNK | 0777,
				       0, "../file", 1, 2, &in, &d->err),
			 0);
	assert_string_equal(in->target, "../file");
	assert_int_equal(in->mtime_ns, in->ctime_ns);
	assert_int_equal(in->mtime_ns, in->atime_ns);
	assert_int_equal(in->mtime_ns, dir_time(d, d->dir));
	assert_int_equal(in->nlink, 1);
	assert_int_equal(bpfam_fs_make(&d->fs, ROOT, "null", S_IFCHR | 0666,
				       0x103, NULL, 0, 0, &in, &d->err),
			 0);
	assert_int_equal(in->rdev, 0x103);
	assert_int_equal(bpfam_fs_make(&d->fs, ROOT, "fifo", S_IFIFO | 0600,
				       0x103, NULL, 0, 0, &in, &d->err),
			 0);
	assert_int_equal(in->rdev, 0);
	assert_int_equal(bpfam_fs_mknod(&d->fs, ROOT, "sock", S_IFSOCK | 0600,
					0, 0, &in, &d->err),
			 0);
	memset(target, 'x', sizeof(target) - 1);
	target[BPFAM_PATH_MAX] = '\0';
	assert_err(bpfam_fs_make(&d->fs, ROOT, "long", S_IFLNK | 0777, 0,
				 target, 0, 0, &in, &d->err),
		   ENAMETOOLONG, &d->err, "longer than 4095 bytes");
	assert_err(bpfam_fs_make(&d->fs, ROOT, "empty", S_IFLNK | 0777, 0, "",
				 0, 0, &in, &d->err),
		   ENOENT, &d->err, "a symlink needs a target");
	assert_err(bpfam_fs_mknod(&d->fs, ROOT, "nolink", S_IFLNK | 0777, 0, 0,
				  &in, &d->err),
		   ENOENT, &d->err, "a symlink needs a target");
	assert_err(bpfam_fs_make(&d->fs, ROOT, "big", S_IFBLK | 0600,
				 1ULL << 32, NULL, 0, 0, &in, &d->err),
		   EINVAL, &d->err, "does not fit 32 bits");
	assert_int_equal(bpfam_fs_make(&d->fs, ROOT, "max", S_IFLNK | 0777, 0,
				       target + 1, 0, 0, &in, &d->err),
			 0);
	/* Hard links to any non-directory. */
	link_ok(d, bpfam_fs_lookup(&d->fs, ROOT, "null")->ino, d->dir, "null");

	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_RDONLY);
	in = bpfam_fs_lookup(&d->fs, d->dir, "link");
	assert_int_equal(in->mode, S_IFLNK | 0777);
	assert_string_equal(in->target, "../file");
	in = bpfam_fs_lookup(&d->fs, d->dir, "null");
	assert_int_equal(in->mode, S_IFCHR | 0666);
	assert_int_equal(in->rdev, 0x103);
	assert_int_equal(in->nlink, 2);
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "fifo")->mode,
			 S_IFIFO | 0600);
	assert_int_equal(strlen(bpfam_fs_lookup(&d->fs, ROOT, "max")->target),
			 BPFAM_PATH_MAX - 1);
}

/* What a name record must find in the namespace, or not play. */
static void name_record(struct fsdev *d, struct bpfam_record *r,
			uint16_t type, uint64_t ino, uint64_t parent,
			const char *name)
{
	next_record(d, r, type);
	r->link.ino = ino;
	r->link.parent = parent;
	r->link.time_ns = 5;
	r->link.name_len = (uint32_t)strlen(name);
	strcpy(r->link.name, name);
}

static void rename_record(struct fsdev *d, struct bpfam_record *r,
			  uint64_t sp, const char *sn, uint64_t dp,
			  const char *dn, uint64_t ino, uint64_t victim)
{
	next_record(d, r, BPFAM_REC_RENAME);
	r->rename.src_parent = sp;
	r->rename.dst_parent = dp;
	r->rename.ino = ino;
	r->rename.victim = victim;
	r->rename.src_len = (uint32_t)strlen(sn);
	r->rename.dst_len = (uint32_t)strlen(dn);
	strcpy(r->rename.src_name, sn);
	strcpy(r->rename.dst_name, dn);
}

static void play_name_rejects(void **state)
{
	struct fsdev *d = *state;
	uint64_t sub = make(d, d->dir, "sub", S_IFDIR | 0755);
	uint64_t gone = new_file(d, "gone"), f2;
	struct snapshot before, after;
	struct bpfam_record r;

	make(d, sub, "deep", S_IFREG | 0644);
	del(d, ROOT, "gone", false);
	f2 = new_file(d, "f2");
	snapshot(&d->fs, &before);

	name_record(d, &r, BPFAM_REC_LINK, 999, ROOT, "x");
	play_rejects(d, &r, "inode 999 is not a linked file");
	name_record(d, &r, BPFAM_REC_LINK, gone, ROOT, "x");
	play_rejects(d, &r, "is not a linked file");
	name_record(d, &r, BPFAM_REC_LINK, d->dir, ROOT, "x");
	play_rejects(d, &r, "inode 2 ('dir') is a directory");
	name_record(d, &r, BPFAM_REC_LINK, d->file, ROOT, "dir");
	play_rejects(d, &r, "'dir' already exists in directory 1");
	name_record(d, &r, BPFAM_REC_LINK, d->file, d->file, "x");
	play_rejects(d, &r, "parent 3 of 'x' is not a directory");
	bpfam_fs_inode(&d->fs, d->file)->nlink = BPFAM_LINK_MAX;
	name_record(d, &r, BPFAM_REC_LINK, d->file, ROOT, "x");
	play_rejects(d, &r, "has 65000 names, the most a file may have");
	bpfam_fs_inode(&d->fs, d->file)->nlink = 1;

	name_record(d, &r, BPFAM_REC_UNLINK, d->file, ROOT, "nope");
	play_rejects(d, &r, "'nope' in directory 1 is not inode 3");
	name_record(d, &r, BPFAM_REC_UNLINK, f2, ROOT, "file");
	play_rejects(d, &r, "'file' in directory 1 is not inode");
	name_record(d, &r, BPFAM_REC_UNLINK, d->dir, ROOT, "dir");
	play_rejects(d, &r, "directory 2 ('dir') is not empty");

	rename_record(d, &r, ROOT, "nope", ROOT, "x", d->file, 0);
	play_rejects(d, &r, "'nope' in directory 1 is not inode 3");
	rename_record(d, &r, ROOT, "file", ROOT, "x", f2, 0);
	play_rejects(d, &r, "'file' in directory 1 is not inode");
	rename_record(d, &r, ROOT, "file", ROOT, "f2", d->file, 0);
	play_rejects(d, &r, "'f2' in directory 1 is inode");
	rename_record(d, &r, ROOT, "file", ROOT, "x", d->file, f2);
	play_rejects(d, &r, "'x' in directory 1 is inode 0, not");
	rename_record(d, &r, ROOT, "file", ROOT, "f2", d->file, d->dir);
	play_rejects(d, &r, "'f2' in directory 1 is inode");
	rename_record(d, &r, ROOT, "file", ROOT, "file", d->file, d->file);
	play_rejects(d, &r, "over itself");
	/* Found by the fuzzer: a target directory that is no inode. */
	rename_record(d, &r, ROOT, "file", 999, "x", d->file, 0);
	play_rejects(d, &r, "target directory 999 of 'x' is not a directory");
	rename_record(d, &r, ROOT, "dir", d->file, "x", d->dir, 0);
	play_rejects(d, &r, "target directory 3 of 'x' is not a directory");
	rename_record(d, &r, ROOT, "dir", sub, "x", d->dir, 0);
	play_rejects(d, &r, "moves directory 2 ('dir') into itself");
	rename_record(d, &r, ROOT, "dir", d->dir, "x", d->dir, 0);
	play_rejects(d, &r, "moves directory 2 ('dir') into itself");
	rename_record(d, &r, d->dir, "sub", ROOT, "dir", sub, d->dir);
	r.rename.flags = BPFAM_RENAME_EXCHANGE;
	play_rejects(d, &r, "moves directory 2 ('dir') into itself");
	rename_record(d, &r, ROOT, "file", ROOT, "dir", d->file, d->dir);
	play_rejects(d, &r, "replaces directory 2 ('dir') with a file");
	rename_record(d, &r, ROOT, "dir", ROOT, "file", d->dir, d->file);
	play_rejects(d, &r, "replaces file 3 ('file') with a directory");
	make(d, ROOT, "e", S_IFDIR | 0755);
	snapshot(&d->fs, &before);
	rename_record(d, &r, ROOT, "e", d->dir, "sub", d->fs.max_ino, sub);
	play_rejects(d, &r, "directory 4 ('sub') it replaces is not empty");

	/* A delete names an inode's only name. */
	link_ok(d, d->file, ROOT, "file2");
	snapshot(&d->fs, &before);
	next_record(d, &r, BPFAM_REC_DELETE);
	r.del.ino = d->file;
	r.del.parent = ROOT;
	play_rejects(d, &r, "has 2 names: a delete is for a file's only one");
	snapshot(&d->fs, &after);
	assert_memory_equal(&before, &after, sizeof(before));
}

/* Everything above, played again by a mount, gives the same namespace. */
static void remount_replays_names(void **state)
{
	struct fsdev *d = *state;
	struct snapshot before, after;
	uint64_t sub = make(d, d->dir, "sub", S_IFDIR | 0755);
	uint64_t a = sized(d, "a", UNIT);

	link_ok(d, a, sub, "a2");
	link_ok(d, d->file, d->dir, "f2");
	rename_ok(d, ROOT, "a", d->dir, "f2", 0); /* f2 was file's */
	rename_ok(d, d->dir, "sub", ROOT, "file", RENAME_EXCHANGE);
	del(d, d->dir, "f2", false);
	rename_ok(d, ROOT, "file", ROOT, "top", 0);
	new_file(d, "last");
	snapshot(&d->fs, &before);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	snapshot(&d->fs, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(bpfam_fs_lookup(&d->fs, ROOT, "top")->ino, sub);
	assert_int_equal(bpfam_fs_lookup(&d->fs, sub, "a2")->ino, a);
	assert_int_equal(bpfam_fs_inode(&d->fs, a)->nlink, 1);
	assert_int_equal(bpfam_fs_lookup(&d->fs, d->dir, "sub")->ino, d->file);
	assert_int_equal(bpfam_fs_inode(&d->fs, d->dir)->nlink, 2);
	assert_int_equal(bpfam_fs_inode(&d->fs, ROOT)->nlink, 4);
}

/* Growing the tables rehashes every name, links included. */
static void links_survive_table_growth(void **state)
{
	struct fsdev *d = *state;
	uint64_t buckets = d->fs.buckets;
	char name[16];
	int i, n;

	for (n = 0; d->fs.buckets == buckets; n++) {
		snprintf(name, sizeof(name), "l%d", n);
		link_ok(d, d->file, d->dir, name);
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		assert_int_equal(bpfam_fs_lookup(&d->fs, d->dir, name)->ino,
				 d->file);
	}
	assert_int_equal(bpfam_fs_inode(&d->fs, d->file)->nlink, n + 1);
	assert_int_equal(d->fs.ninodes, 3);
}

/*
 * A filesystem made before the POSIX records: unlink still logs a delete
 * (older hosts can play it); the first link sets the feature bit.
 */
static void old_filesystem_gets_posix_at_first_link(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_sb_info sb = d->fs.sb;
	struct bpfam_record r;
	struct bpfam_log at;
	struct bpfam_err err;

	sb.incompat &= ~BPFAM_INCOMPAT_POSIX;
	bpfam_sb_encode(&sb, (struct bpfam_sb *)d->fs.dev.base);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_false(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	new_file(d, "x");
	at = d->fs.log;
	del(d, ROOT, "x", false);
	assert_int_equal(bpfam_log_next(&at, &r, &err), 1);
	assert_int_equal(r.type, BPFAM_REC_DELETE);
	assert_false(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);

	link_ok(d, d->file, ROOT, "y");
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	at = d->fs.log;
	del(d, ROOT, "y", false);
	assert_int_equal(bpfam_log_next(&at, &r, &err), 1);
	assert_int_equal(r.type, BPFAM_REC_UNLINK);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_RDONLY);
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	assert_int_equal(bpfam_fs_inode(&d->fs, d->file)->nlink, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(remount_replays),
		T(inode_table_spans_chunks),
		T(excluded_changes),
		T(play_overlap),
		T(play_outside_device),
		T(play_duplicate_name),
		T(play_inode_order),
		T(play_parent_not_dir),
		T(set_size_once),
		T(set_size_no_space),
		T(names_checked),
		T(setattr_refusals),
		T(delete_refusals),
		T(delete_unlinks_name),
		T(deleted_space_waits_for_reclaim),
		T(horizon_follows_holds),
		T(horizon_of_client_behind),
		T(reclaim_frees_below_gate),
		T(reclaim_spares_what_primary_holds),
		T(remount_replays_deletes),
		T(client_holding_reclaimed_file),
		T(play_delete_reclaim_rejects),
		T(unknown_record_types),
		T(unsure_record_is_played),
		T(deleted_name_survives_table_growth),
		T(check_sb_sees_reformat),
		T(refresh_keeps_unplayable_record),
		T(mount_stops_at_bad_record),
		T(readonly_cannot_write),
		T(hard_links),
		T(link_refusals),
		T(dir_nlink),
		T(rename_moves_name),
		T(rename_replaces),
		T(rename_same_inode),
		T(rename_refusals),
		T(rename_exchange),
		T(special_files),
		T(play_name_rejects),
		T(remount_replays_names),
		T(links_survive_table_growth),
		T(old_filesystem_gets_posix_at_first_link),
	};

	return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
