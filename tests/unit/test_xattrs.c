// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes: the per-inode store, the writer's errors, replay
 * after a remount and on a client, and what playing refuses.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs.h"
#include "sb.h"
#include "testdev.h"
#include "xattrs.h"

#define DEV_SIZE (64 * MIB)
#define ROOT	 BPFAM_ROOT_INO
#define VMAX	 BPFAM_XATTR_VALUE_MAX

struct fsdev {
	const char *path;
	struct bpfam_fs fs;
	struct bpfam_err err;
	uint64_t file; /* inode of /file */
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

static int setup(void **state)
{
	struct fsdev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->path = testdev_mkfs(DEV_SIZE, BPFAM_MIN_LOG);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	d->dir = make(d, ROOT, "dir", S_IFDIR | 0755);
	d->file = make(d, ROOT, "file", S_IFREG | 0644);
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

static void set_ok(struct fsdev *d, uint64_t ino, const char *name,
		   const void *value, size_t size, int flags)
{
	if (bpfam_fs_setxattr(&d->fs, ino, name, value, size, flags, &d->err))
		fail_msg("setxattr %s: %s", name, d->err.msg);
}

static void value_is(const struct bpfam_fs *fs, uint64_t ino, const char *name,
		     const void *value, uint32_t len)
{
	const struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	const struct bpfam_xattr *x;

	assert_non_null(in);
	x = bpfam_xattrs_get(in->xattrs, name);
	if (!x)
		fail_msg("inode %llu has no %s", (unsigned long long)ino, name);
	assert_int_equal(x->value_len, len);
	if (len)
		assert_memory_equal(x->value, value, len);
}

/* The names of @ino, listed: "a\0b\0". */
static void list_is(const struct bpfam_fs *fs, uint64_t ino, const char *want,
		    size_t want_len)
{
	const struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	char buf[256];
	size_t n;

	assert_non_null(in);
	n = bpfam_xattrs_list(in->xattrs, NULL, 0);
	assert_int_equal(n, want_len);
	assert_int_equal(bpfam_xattrs_list(in->xattrs, buf, sizeof(buf)), n);
	assert_memory_equal(buf, want, want_len);
}

/* ---- the store alone -------------------------------------------------- */

static void store_set_get_list_remove(void **state)
{
	struct bpfam_xattrs *xs = NULL;
	const struct bpfam_xattr *x;
	char buf[64];

	(void)state;
	assert_null(bpfam_xattrs_get(xs, "user.a"));
	assert_int_equal(bpfam_xattrs_list(xs, buf, sizeof(buf)), 0);
	assert_int_equal(bpfam_xattrs_remove(&xs, "user.a"), -ENODATA);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.c", "3", 1), 0);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", "one", 3), 0);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.b", NULL, 0), 0);
	assert_int_equal(xs->n, 3);
	assert_int_equal(xs->bytes, 3 * 7 + 1 + 3);
	/* Sorted, whatever the order they came in. */
	assert_int_equal(bpfam_xattrs_list(xs, NULL, 0), 21);
	assert_int_equal(bpfam_xattrs_list(xs, buf, 20), 21); /* too small */
	assert_int_equal(bpfam_xattrs_list(xs, buf, sizeof(buf)), 21);
	assert_memory_equal(buf, "user.a\0user.b\0user.c\0", 21);
	x = bpfam_xattrs_get(xs, "user.b");
	assert_non_null(x);
	assert_int_equal(x->value_len, 0);
	/* Replacing changes the value and the bytes, not the count. */
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", "1", 1), 0);
	assert_int_equal(xs->n, 3);
	assert_int_equal(xs->bytes, 3 * 7 + 1 + 1);
	x = bpfam_xattrs_get(xs, "user.a");
	assert_memory_equal(x->value, "1", 1);
	assert_int_equal(bpfam_xattrs_remove(&xs, "user.b"), 0);
	assert_int_equal(bpfam_xattrs_remove(&xs, "user.b"), -ENODATA);
	assert_null(bpfam_xattrs_get(xs, "user.b"));
	assert_int_equal(bpfam_xattrs_list(xs, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "user.a\0user.c\0", 14);
	assert_int_equal(bpfam_xattrs_remove(&xs, "user.a"), 0);
	assert_int_equal(bpfam_xattrs_remove(&xs, "user.c"), 0);
	assert_null(xs); /* the last one frees the store */
}

static void store_limit(void **state)
{
	struct bpfam_xattrs *xs = NULL;
	static char big[BPFAM_XATTRS_MAX];
	uint32_t rest;

	(void)state;
	memset(big, 'v', sizeof(big));
	/* "user.a" + NUL = 7 bytes: exactly the limit with the rest. */
	rest = BPFAM_XATTRS_MAX - 7;
	assert_false(bpfam_xattrs_fit(xs, "user.a", rest + 1));
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", big, rest + 1),
			 -ENOSPC);
	assert_null(xs);
	assert_true(bpfam_xattrs_fit(xs, "user.a", rest));
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", big, rest), 0);
	assert_int_equal(xs->bytes, BPFAM_XATTRS_MAX);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.b", NULL, 0), -ENOSPC);
	assert_int_equal(xs->n, 1);
	/* A replacement counts what it frees. */
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", big, rest), 0);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.a", big, 10), 0);
	assert_int_equal(bpfam_xattrs_set(&xs, "user.b", big, 1000), 0);
	assert_int_equal(xs->bytes, 7 + 10 + 7 + 1000);
	bpfam_xattrs_free(xs);
}

static void name_rules(void **state)
{
	char longname[BPFAM_NAME_MAX + 2];

	(void)state;
	assert_int_equal(bpfam_xattr_name_check("user.x"), 0);
	assert_int_equal(bpfam_xattr_name_check("user.a/b.c"), 0);
	assert_int_equal(bpfam_xattr_name_check("user.bpfamx"), 0);
	assert_int_equal(bpfam_xattr_name_check("user."), -EINVAL);
	assert_int_equal(bpfam_xattr_name_check("user"), -EOPNOTSUPP);
	assert_int_equal(bpfam_xattr_name_check("trusted.x"), -EOPNOTSUPP);
	assert_int_equal(bpfam_xattr_name_check("security.selinux"),
			 -EOPNOTSUPP);
	assert_int_equal(bpfam_xattr_name_check("system.posix_acl_access"),
			 -EOPNOTSUPP);
	assert_int_equal(bpfam_xattr_name_check("user.bpfam.fmap"), -EPERM);
	assert_int_equal(bpfam_xattr_name_check("user.bpfam.foo"), -EPERM);
	memcpy(longname, "user.", 5);
	memset(longname + 5, 'n', sizeof(longname) - 5);
	longname[BPFAM_NAME_MAX] = '\0';
	assert_int_equal(bpfam_xattr_name_check(longname), 0);
	longname[BPFAM_NAME_MAX] = 'n';
	longname[BPFAM_NAME_MAX + 1] = '\0';
	assert_int_equal(bpfam_xattr_name_check(longname), -ERANGE);
}

/* ---- the writer ------------------------------------------------------- */

static void set_get_remove(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);
	uint64_t before = in->ctime_ns;

	set_ok(d, d->file, "user.mime", "text/plain", 10, 0);
	value_is(&d->fs, d->file, "user.mime", "text/plain", 10);
	assert_true(in->ctime_ns > before);
	before = in->ctime_ns;
	set_ok(d, d->file, "user.mime", "x", 1, BPFAM_XATTR_REPLACE);
	value_is(&d->fs, d->file, "user.mime", "x", 1);
	assert_true(in->ctime_ns >= before);
	set_ok(d, d->file, "user.empty", "", 0, BPFAM_XATTR_CREATE);
	value_is(&d->fs, d->file, "user.empty", "", 0);
	list_is(&d->fs, d->file, "user.empty\0user.mime\0", 21);
	/* Directories and the root have them too. */
	set_ok(d, d->dir, "user.d", "dv", 2, 0);
	set_ok(d, ROOT, "user.r", "rv", 2, 0);
	value_is(&d->fs, d->dir, "user.d", "dv", 2);
	value_is(&d->fs, ROOT, "user.r", "rv", 2);
	before = in->ctime_ns;
	assert_int_equal(
		bpfam_fs_removexattr(&d->fs, d->file, "user.mime", &d->err), 0);
	assert_true(in->ctime_ns >= before);
	list_is(&d->fs, d->file, "user.empty\0", 11);
	assert_int_equal(
		bpfam_fs_removexattr(&d->fs, d->file, "user.empty", &d->err),
		0);
	assert_null(in->xattrs);
}

static void writer_errors(void **state)
{
	struct fsdev *d = *state;
	static char big[VMAX + 1];
	uint64_t seq = d->fs.log.next_seq;
	char longname[BPFAM_NAME_MAX + 2];

	set_ok(d, d->file, "user.a", "1", 1, 0);
	seq++;
	assert_err(bpfam_fs_setxattr(&d->fs, 999, "user.a", "1", 1, 0, &d->err),
		   ENOENT, &d->err, "inode 999: no such inode");
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.a", "2", 1,
				     BPFAM_XATTR_CREATE, &d->err),
		   EEXIST, &d->err, "'file': user.a already exists");
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.b", "2", 1,
				     BPFAM_XATTR_REPLACE, &d->err),
		   ENODATA, &d->err, "'file': no attribute user.b");
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.b", big, VMAX + 1,
				     0, &d->err),
		   E2BIG, &d->err, "a value of 61441 bytes for user.b");
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "trusted.b", "2", 1, 0,
				     &d->err),
		   EOPNOTSUPP, &d->err, "only user.* attributes");
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.bpfam.foo", "2", 1,
				     0, &d->err),
		   EPERM, &d->err, "user.bpfam.* is reserved");
	assert_err(
		bpfam_fs_setxattr(&d->fs, d->file, "user.", "2", 1, 0, &d->err),
		EINVAL, &d->err, "empty attribute name");
	memcpy(longname, "user.", 5);
	memset(longname + 5, 'n', sizeof(longname) - 5);
	longname[BPFAM_NAME_MAX + 1] = '\0';
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, longname, "2", 1, 0,
				     &d->err),
		   ERANGE, &d->err, "longer than 255 bytes");
	assert_err(bpfam_fs_removexattr(&d->fs, d->file, "user.b", &d->err),
		   ENODATA, &d->err, "no attribute user.b");
	assert_err(bpfam_fs_removexattr(&d->fs, d->file, "user.bpfam.fmap",
					&d->err),
		   EPERM, &d->err, "reserved");
	assert_err(bpfam_fs_removexattr(&d->fs, 999, "user.a", &d->err), ENOENT,
		   &d->err, "no such inode");
	/* Nothing refused was logged. */
	assert_int_equal(d->fs.log.next_seq, seq);
	value_is(&d->fs, d->file, "user.a", "1", 1);
}

static void value_and_inode_limits(void **state)
{
	struct fsdev *d = *state;
	static char big[VMAX];
	uint32_t rest;

	memset(big, 'b', sizeof(big));
	set_ok(d, d->file, "user.big", big, VMAX, BPFAM_XATTR_CREATE);
	value_is(&d->fs, d->file, "user.big", big, VMAX);
	/* 64 KiB per inode: what is left after user.big and its NUL. */
	rest = BPFAM_XATTRS_MAX - (9 + VMAX) - 9;
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.two", big, rest + 1,
				     0, &d->err),
		   ENOSPC, &d->err, "past 65536 bytes");
	set_ok(d, d->file, "user.two", big, rest, 0);
	assert_int_equal(bpfam_fs_inode(&d->fs, d->file)->xattrs->bytes,
			 BPFAM_XATTRS_MAX);
	/* Another inode has its own 64 KiB. */
	set_ok(d, d->dir, "user.big", big, VMAX, 0);
	/* Shrinking one makes room. */
	set_ok(d, d->file, "user.big", "s", 1, BPFAM_XATTR_REPLACE);
	set_ok(d, d->file, "user.three", big, 1000, 0);
}

static void log_full(void **state)
{
	struct fsdev *d = *state;
	static char big[VMAX];
	uint64_t first = d->fs.max_ino + 1, ino;
	char name[32];
	int i, rc = 0;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		make(d, ROOT, name, S_IFREG | 0644);
	}
	/* A 2 MiB log: 60 KiB values fill it in about 33 records. */
	for (ino = first; ino < first + 40; ino++) {
		memset(big, 'a' + ino % 26, sizeof(big));
		rc = bpfam_fs_setxattr(&d->fs, ino, "user.v", big, VMAX, 0,
				       &d->err);
		if (rc)
			break;
	}
	assert_err(rc, ENOSPC, &d->err, "metadata log full");
	assert_true(ino > first + 20);
	/* The refused one is not in memory; the last accepted one is. */
	assert_null(bpfam_fs_inode(&d->fs, ino)->xattrs);
	assert_false(d->fs.behind_log);
	memset(big, 'a' + (ino - 1) % 26, sizeof(big));
	value_is(&d->fs, ino - 1, "user.v", big, VMAX);
	/* ... and after a remount. */
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	value_is(&d->fs, ino - 1, "user.v", big, VMAX);
	assert_null(bpfam_fs_inode(&d->fs, ino)->xattrs);
}

/* ---- replay ----------------------------------------------------------- */

static void remount_replays(void **state)
{
	struct fsdev *d = *state;
	static char big[VMAX];
	uint64_t ctime, dctime;

	memset(big, 0x5a, sizeof(big));
	set_ok(d, d->file, "user.z", "zz", 2, 0);
	set_ok(d, d->file, "user.a", "old", 3, 0);
	set_ok(d, d->file, "user.gone", "x", 1, 0);
	set_ok(d, d->file, "user.a", "new", 3, BPFAM_XATTR_REPLACE);
	set_ok(d, d->file, "user.big", big, VMAX, 0);
	set_ok(d, d->file, "user.bin", "\0\1\2\377", 4, 0);
	assert_int_equal(
		bpfam_fs_removexattr(&d->fs, d->file, "user.gone", &d->err), 0);
	set_ok(d, d->dir, "user.d", "", 0, 0);
	ctime = bpfam_fs_inode(&d->fs, d->file)->ctime_ns;
	dctime = bpfam_fs_inode(&d->fs, d->dir)->ctime_ns;
	bpfam_fs_close(&d->fs);

	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	list_is(&d->fs, d->file, "user.a\0user.big\0user.bin\0user.z\0", 32);
	value_is(&d->fs, d->file, "user.a", "new", 3);
	value_is(&d->fs, d->file, "user.z", "zz", 2);
	value_is(&d->fs, d->file, "user.big", big, VMAX);
	value_is(&d->fs, d->file, "user.bin", "\0\1\2\377", 4);
	value_is(&d->fs, d->dir, "user.d", "", 0);
	assert_int_equal(bpfam_fs_inode(&d->fs, d->file)->ctime_ns, ctime);
	assert_int_equal(bpfam_fs_inode(&d->fs, d->dir)->ctime_ns, dctime);
	/* The writer carries on from the replayed store. */
	assert_err(bpfam_fs_setxattr(&d->fs, d->file, "user.a", "1", 1,
				     BPFAM_XATTR_CREATE, &d->err),
		   EEXIST, &d->err, "already exists");
	assert_int_equal(
		bpfam_fs_removexattr(&d->fs, d->file, "user.a", &d->err), 0);
}

static void client_follows(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_fs ro;
	struct bpfam_err err;
	uint64_t played, seq;

	set_ok(d, d->file, "user.one", "1", 1, 0);
	assert_int_equal(bpfam_fs_mount(&ro, d->path, BPFAM_OPEN_RDONLY, &err),
			 0);
	value_is(&ro, d->file, "user.one", "1", 1);
	set_ok(d, d->file, "user.two", "2", 1, 0);
	assert_int_equal(
		bpfam_fs_removexattr(&d->fs, d->file, "user.one", &d->err), 0);
	assert_int_equal(bpfam_fs_refresh(&ro, &played, &err), 0);
	assert_int_equal(played, 2);
	list_is(&ro, d->file, "user.two\0", 9);
	assert_int_equal(bpfam_fs_inode(&ro, d->file)->ctime_ns,
			 bpfam_fs_inode(&d->fs, d->file)->ctime_ns);
	seq = ro.log.next_seq;
	assert_err(
		bpfam_fs_setxattr(&ro, d->file, "user.three", "3", 1, 0, &err),
		EROFS, &err, "not opened as the metadata writer");
	assert_err(bpfam_fs_removexattr(&ro, d->file, "user.two", &err), EROFS,
		   &err, "not opened as the metadata writer");
	assert_int_equal(ro.log.next_seq, seq);
	list_is(&ro, d->file, "user.two\0", 9);
	bpfam_fs_close(&ro);
}

/* Attributes go with their inode: freed when a reclaim frees it. */
static void unlinked_inode_keeps_them_until_reclaim(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);

	set_ok(d, d->file, "user.a", "1", 1, 0);
	bpfam_fs_hold(in);
	assert_int_equal(bpfam_fs_delete(&d->fs, ROOT, "file", false, &d->err),
			 0);
	/* fsetxattr on an open unlinked file. */
	set_ok(d, d->file, "user.b", "2", 1, 0);
	list_is(&d->fs, d->file, "user.a\0user.b\0", 14);
	bpfam_fs_release(in);
	assert_int_equal(bpfam_fs_reclaim(&d->fs, UINT64_MAX, &d->err), 1);
	assert_null(bpfam_fs_inode(&d->fs, d->file)); /* ASan: no leak */
}

/* ---- what playing refuses --------------------------------------------- */

static void xattr_record(struct fsdev *d, struct bpfam_record *r, uint64_t ino,
			 const char *name, const void *value, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->type = BPFAM_REC_XATTR;
	r->seq = d->fs.log.next_seq;
	r->xattr.ino = ino;
	r->xattr.time_ns = 42;
	r->xattr.name_len = (uint32_t)strlen(name);
	strcpy(r->xattr.name, name);
	r->xattr.value = value;
	r->xattr.value_len = len;
}

static void play_rejects(struct fsdev *d, const struct bpfam_record *r,
			 const char *text)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, d->file);
	uint32_t n = in->xattrs ? in->xattrs->n : 0;
	uint64_t ctime = in->ctime_ns;

	assert_err(bpfam_fs_play(&d->fs, r, &d->err), EBADMSG, &d->err, text);
	assert_non_null(strstr(d->err.msg, d->path));
	assert_non_null(strstr(d->err.msg, "(xattr)"));
	assert_int_equal(in->xattrs ? in->xattrs->n : 0, n);
	assert_int_equal(in->ctime_ns, ctime);
}

static void play_hostile(void **state)
{
	struct fsdev *d = *state;
	static char big[VMAX];
	struct bpfam_record *r = malloc(sizeof(*r));
	uint64_t fifo;

	assert_non_null(r);
	set_ok(d, d->file, "user.a", "1", 1, 0);
	xattr_record(d, r, 999, "user.x", "v", 1);
	play_rejects(d, r, "'user.x' of inode 999, which does not exist");
	xattr_record(d, r, d->file, "user.x", NULL, 0);
	r->xattr.flags = BPFAM_XATTR_REMOVE;
	play_rejects(
		d, r,
		"removes 'user.x' of inode 3 ('file'), which it does not have");
	xattr_record(d, r, d->file, "trusted.x", "v", 1);
	play_rejects(d, r, "'trusted.x' of inode 3: not a name bpfam stores");
	xattr_record(d, r, d->file, "user.bpfam.fmap", "v", 1);
	play_rejects(d, r, "not a name bpfam stores");
	xattr_record(d, r, d->file, "user.", "v", 1);
	play_rejects(d, r, "not a name bpfam stores");
	/* Two values of 60 KiB overrun the inode's 64 KiB. */
	xattr_record(d, r, d->file, "user.big", big, VMAX);
	assert_int_equal(bpfam_fs_play(&d->fs, r, &d->err), 0);
	xattr_record(d, r, d->file, "user.big2", big, VMAX);
	play_rejects(
		d, r,
		"takes the attributes of inode 3 ('file') past 65536 bytes");
	/* A FIFO (a POSIX mknod) has no user.* attributes. */
	fifo = d->fs.max_ino + 1;
	memset(r, 0, sizeof(*r));
	r->type = BPFAM_REC_MKNOD;
	r->seq = d->fs.log.next_seq;
	r->mknod.ino = fifo;
	r->mknod.parent = ROOT;
	r->mknod.mode = S_IFIFO | 0644;
	r->mknod.name_len = 4;
	strcpy(r->mknod.name, "fifo");
	assert_int_equal(bpfam_fs_play(&d->fs, r, &d->err), 0);
	xattr_record(d, r, fifo, "user.x", "v", 1);
	assert_err(bpfam_fs_play(&d->fs, r, &d->err), EBADMSG, &d->err,
		   "only files and directories have user.* attributes");
	assert_err(
		bpfam_fs_setxattr(&d->fs, fifo, "user.x", "v", 1, 0, &d->err),
		EPERM, &d->err, "only files and directories");
	free(r);
}

/* A bad record in the log stops a mount, naming it. */
static void mount_stops_at_bad_xattr(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;
	struct bpfam_fs fs2;
	struct bpfam_err err;

	xattr_record(d, &r, d->file, "user.never", NULL, 0);
	r.xattr.flags = BPFAM_XATTR_REMOVE;
	assert_int_equal(bpfam_log_append(&d->fs.log, &r, &err), 0);
	assert_err(bpfam_fs_mount(&fs2, d->path, BPFAM_OPEN_RDONLY, &err),
		   EBADMSG, &err,
		   "log record 3 (xattr): removes 'user.never' of inode 3");
}

/* A filesystem made before POSIX records gets the bit with the first. */
static void sets_posix_feature(void **state)
{
	struct fsdev *d = *state;
	struct bpfam_record r;

	d->fs.sb.incompat &= ~BPFAM_INCOMPAT_POSIX;
	bpfam_sb_encode(&d->fs.sb, (struct bpfam_sb *)d->fs.dev.base);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_false(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	xattr_record(d, &r, d->file, "user.x", "v", 1);
	assert_err(bpfam_fs_play(&d->fs, &r, &d->err), EBADMSG, &d->err,
		   "needs the POSIX feature");
	set_ok(d, d->file, "user.x", "v", 1, 0);
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	bpfam_fs_close(&d->fs);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_true(d->fs.sb.incompat & BPFAM_INCOMPAT_POSIX);
	value_is(&d->fs, d->file, "user.x", "v", 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_set_get_list_remove),
		cmocka_unit_test(store_limit),
		cmocka_unit_test(name_rules),
		T(set_get_remove),
		T(writer_errors),
		T(value_and_inode_limits),
		T(log_full),
		T(remount_replays),
		T(client_follows),
		T(unlinked_inode_keeps_them_until_reclaim),
		T(play_hostile),
		T(mount_stops_at_bad_xattr),
		T(sets_posix_feature),
	};

	return cmocka_run_group_tests_name("xattrs", tests, NULL, NULL);
}
