// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata operations.  On the primary each change is a log record,
 * durable before the reply (libbpfam appends, then applies); a client
 * answers EROFS to every metadata change.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <time.h>

#include "data.h"
#include "keeper.h"
#include "nodes.h"
#include "xattr.h"

/*
 * The primary makes every change itself and the kernel learns of it from
 * our replies; a client learns of the primary's changes by playing the
 * log, so cached attributes must expire soon.  Names the same: a client
 * is told of a name that went (the keeper invalidates it), but a name
 * that came shows only through a lookup that misses.  So a missing name
 * is never cached (ENOENT, not a negative entry with a timeout): on a
 * client it would hide another host's new file until the timeout; on the
 * primary, the only writer, it would be safe, but every create looks up
 * a name that is new, so it would save nothing (docs/bench.md).
 */
#define ATTR_TIMEOUT 1.0

static struct timespec ns_timespec(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000ULL),
				 .tv_nsec = (long)(ns % 1000000000ULL)};
}

static void fill_attr(const struct bpfam_inode *in, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = in->ino;
	st->st_mode = in->mode;
	/* Names (directories: 2 + subdirectories); 0 once unlinked, while
	 * this host still holds it. */
	st->st_nlink = in->del_seq ? 0 : in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_rdev = in->rdev;
	if (S_ISLNK(in->mode) && in->target)
		st->st_size = (off_t)strlen(in->target);
	else
		st->st_size = in->fmap ? (off_t)in->fmap->size : 0;
	st->st_blksize = BPFAM_ALLOC_UNIT;
	st->st_blocks = bpfam_alloc_fmap_bytes(in->fmap) / 512;
	st->st_mtim = ns_timespec(in->mtime_ns);
	/* Logs from before the POSIX feature kept neither. */
	st->st_atim = ns_timespec(in->atime_ns ? in->atime_ns : in->mtime_ns);
	st->st_ctim = ns_timespec(in->ctime_ns ? in->ctime_ns : in->mtime_ns);
}

/* An entry for @in, as lookup and readdirplus reply with it. */
static void fill_entry(const struct bpfam_inode *in, struct fuse_entry_param *e)
{
	*e = (struct fuse_entry_param){
		.ino = in->ino,
		.generation = bpfamd_kernel_gen(in->gen),
		.attr_timeout = ATTR_TIMEOUT,
		.entry_timeout = ATTR_TIMEOUT,
	};
	fill_attr(in, &e->attr);
}

/* Reply with an entry for @in, taking the reference the kernel now holds. */
static void reply_entry(fuse_req_t req, struct bpfamd *d,
			struct bpfam_inode *in, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int rc;

	fill_entry(in, &e);
	rc = bpfamd_node_ref(d, in);
	pthread_mutex_unlock(&d->lock);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = fi ? fuse_reply_create(req, &e, fi) : fuse_reply_entry(req, &e);
	/* Not delivered (the request was interrupted): the kernel will
	 * never forget what it never got, so drop the hold here. */
	if (rc) {
		pthread_mutex_lock(&d->lock);
		bpfamd_node_forget(d, e.ino, 1);
		pthread_mutex_unlock(&d->lock);
	}
}

static void reply_attr(fuse_req_t req, struct bpfamd *d,
		       const struct bpfam_inode *in)
{
	struct stat st;

	fill_attr(in, &st);
	pthread_mutex_unlock(&d->lock);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/* -ESTALE from libbpfam: the device is no longer ours (docs/sharing.md). */
static void reply_errno(fuse_req_t req, struct bpfamd *d, int rc,
			const struct bpfam_err *err)
{
	if (rc == -ESTALE) {
		bpfamd_fence(d, err ? err->msg : "the device changed");
		rc = -EIO;
	}
	pthread_mutex_unlock(&d->lock);
	if (d->debug && err && err->msg[0])
		bpfamd_log(LOG_DEBUG, "%s", err->msg);
	fuse_reply_err(req, -rc);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct bpfamd *d = userdata;

	/* Data lives on the device, never in dirty kernel pages. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* The kernel then clears set-user-ID and set-group-ID itself on
	 * truncate and chown (a SETATTR of the mode); writes, which it
	 * leaves to the server in direct I/O, are bpfamd_write()'s.  Not on
	 * a client: it cannot change a mode (EROFS), and the kernel would
	 * fail a fast-path write to a set-ID file on that SETATTR. */
	if (bpfamd_primary(d))
		conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	if (!d->allow_mmap_offered)
		bpfamd_log(LOG_WARNING,
			   "the kernel cannot mmap direct-I/O files "
			   "(FUSE_DIRECT_IO_ALLOW_MMAP, Linux 6.6): files go "
			   "through the page cache, so read() may see stale "
			   "data after another host writes");
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_inode *in;

	/* The kernel leaves name lengths to the filesystem on lookup. */
	if (strlen(name) > BPFAM_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	/* A name the primary does not have (what every create looks up
	 * first) is answered under d->ns, not behind a log append. */
	if (bpfamd_primary(d)) {
		pthread_rwlock_rdlock(&d->ns);
		in = bpfam_fs_lookup(&d->fs, parent, name);
		pthread_rwlock_unlock(&d->ns);
		if (!in) {
			fuse_reply_err(req, ENOENT);
			return;
		}
	}
	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_lookup(&d->fs, parent, name);
	/* The primary may have made it since the last refresh. */
	if (!in && !bpfamd_primary(d)) {
		bpfamd_refresh(d);
		in = bpfam_fs_lookup(&d->fs, parent, name);
	}
	if (!in) {
		reply_errno(req, d, -ENOENT, NULL);
		return;
	}
	reply_entry(req, d, in, NULL);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct bpfamd *d = bpfamd_of(req);

	pthread_mutex_lock(&d->lock);
	bpfamd_node_forget(d, ino, nlookup);
	pthread_mutex_unlock(&d->lock);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct bpfamd *d = bpfamd_of(req);
	size_t i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < count; i++)
		bpfamd_node_forget(d, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&d->lock);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_inode *in;
	struct stat st;

	(void)fi;
	/* What it reads changes under d->ns (bpfamd.h): a stat never waits
	 * behind a log append. */
	pthread_rwlock_rdlock(&d->ns);
	in = bpfam_fs_inode(&d->fs, ino);
	if (in)
		fill_attr(in, &st);
	pthread_rwlock_unlock(&d->ns);
	if (!in)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/*
 * Mode, owner and times in one record; ctime moves with any of them and
 * is never what the caller gives (utimensat cannot set it).
 */
static int set_attrs(struct bpfamd *d, fuse_ino_t ino, const struct stat *st,
		     int to_set, struct bpfam_err *err)
{
	struct bpfam_attrs a = {.mode = st->st_mode, .uid = st->st_uid,
				.gid = st->st_gid};
	uint64_t now = bpfam_now_ns();
	uint32_t valid = 0;

	if (to_set & FUSE_SET_ATTR_MODE)
		valid |= BPFAM_ATTR_MODE;
	if (to_set & FUSE_SET_ATTR_UID)
		valid |= BPFAM_ATTR_UID;
	if (to_set & FUSE_SET_ATTR_GID)
		valid |= BPFAM_ATTR_GID;
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
		valid |= BPFAM_ATTR_MTIME;
		a.mtime_ns = to_set & FUSE_SET_ATTR_MTIME_NOW ?
				     now :
				     timespec_ns(&st->st_mtim);
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) {
		valid |= BPFAM_ATTR_ATIME;
		a.atime_ns = to_set & FUSE_SET_ATTR_ATIME_NOW ?
				     now :
				     timespec_ns(&st->st_atim);
	}
	/* chown(f, -1, -1) still changes ctime: the kernel sends a SETATTR
	 * with nothing (or only CTIME) set. */
	if (!valid && to_set & ~FUSE_SET_ATTR_CTIME)
		return 0;
	valid |= BPFAM_ATTR_CTIME;
	a.ctime_ns = now;
	return bpfam_fs_setattr(&d->fs, ino, valid, &a, err);
}

/*
 * Everything that can refuse a setattr, checked before its first record:
 * a size and attributes are several records, and the first must not be
 * logged when a later one cannot be.
 */
static int may_setattr(struct bpfamd *d, int to_set, struct bpfam_err *err)
{
	struct bpfam_record r = {.type = BPFAM_REC_SETATTR,
				 .setattr.valid = BPFAM_ATTR_EXT};
	int rc = bpfamd_may_change(d);
	uint64_t need = bpfam_record_size(&r);

	if (rc)
		return bpfam_err(err, -rc, "%s",
				 d->fenced ? "the device was fenced" :
					     "metadata is read-only on a client host");
	/* A resize: a reclaim, an fmap and a size record may come first. */
	if (to_set & FUSE_SET_ATTR_SIZE) {
		r.type = BPFAM_REC_RECLAIM;
		need += BPFAM_REC_ENC_MAX + bpfam_record_size(&r) + need;
	}
	if (bpfam_log_room(&d->fs.log) < need)
		return bpfam_err(err, ENOSPC, "%s: metadata log full",
				 d->device);
	return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	const struct bpfam_inode *in;
	int rc = 0;

	(void)fi;
	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_inode(&d->fs, ino);
	if (!in) {
		reply_errno(req, d, -ENOENT, NULL);
		return;
	}
	/* Nothing to set (chown(f, -1, -1)): only ctime, where it can. */
	if (!(to_set & ~FUSE_SET_ATTR_CTIME) && bpfamd_may_change(d)) {
		reply_attr(req, d, in);
		return;
	}
	rc = may_setattr(d, to_set, &err);
	if (!rc && to_set & FUSE_SET_ATTR_SIZE) {
		rc = bpfamd_resize(d, ino, attr->st_size, &err);
		/* The resize logged mtime and ctime. */
		to_set &= ~FUSE_SET_ATTR_MTIME_NOW;
	}
	if (!rc)
		rc = set_attrs(d, ino, attr, to_set, &err);
	if (rc) {
		reply_errno(req, d, rc, &err);
		return;
	}
	reply_attr(req, d, in);
}

/* A new node in @parent: the caller's owner, BSD group inheritance. */
static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev, const char *target,
		      struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	const struct bpfam_inode *dir;
	struct bpfam_inode *in;
	uint32_t gid = ctx->gid;
	int rc;

	pthread_mutex_lock(&d->lock);
	dir = bpfam_fs_inode(&d->fs, parent);
	rc = bpfamd_may_change(d);
	/* The node table grows now: after the record there is no failing. */
	if (!rc && !bpfamd_node(d, d->fs.max_ino + 1))
		rc = -ENOMEM;
	if (rc) {
		reply_errno(req, d, rc, NULL);
		return;
	}
	if (dir && dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	rc = bpfam_fs_make(&d->fs, parent, name, mode, rdev, target, ctx->uid,
			   gid, &in, &err);
	if (rc) {
		reply_errno(req, d, rc, &err);
		return;
	}
	if (fi)
		bpfamd_node(d, in->ino)->opens++;
	reply_entry(req, d, in, fi);
}

/* Files, FIFOs, sockets and devices: the special ones are metadata only
 * (the kernel serves FIFOs and devices itself; bpfam keeps no data). */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		make_node(req, parent, name, mode, rdev, NULL, NULL);
		return;
	}
	fuse_reply_err(req, EINVAL);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	make_node(req, parent, name, S_IFDIR | (mode & 07777), 0, NULL, NULL);
}

static void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
		       const char *name)
{
	make_node(req, parent, name, S_IFLNK | 0777, 0, target, NULL);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_inode *in;
	char *target;

	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_inode(&d->fs, ino);
	if (!in || !S_ISLNK(in->mode) || !in->target) {
		reply_errno(req, d, in ? -EINVAL : -ENOENT, NULL);
		return;
	}
	target = strdup(in->target);
	pthread_mutex_unlock(&d->lock);
	if (!target) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fuse_reply_readlink(req, target);
	free(target);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	struct bpfam_inode *in;
	int rc;

	pthread_mutex_lock(&d->lock);
	rc = bpfamd_may_change(d);
	if (!rc)
		rc = bpfam_fs_link(&d->fs, ino, newparent, newname, &err);
	in = rc ? NULL : bpfam_fs_inode(&d->fs, ino);
	if (!in) {
		reply_errno(req, d, rc ? rc : -ENOENT, &err);
		return;
	}
	reply_entry(req, d, in, NULL);
}

/* The kernel moved its dentries itself: nothing to tell it. */
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	struct bpfam_inode *victim;
	int rc;

	pthread_mutex_lock(&d->lock);
	victim = bpfam_fs_lookup(&d->fs, newparent, newname);
	rc = bpfamd_may_change(d);
	if (!rc)
		rc = bpfam_fs_rename(&d->fs, parent, name, newparent, newname,
				     flags, &err);
	if (!rc && victim && victim->del_seq)
		bpfamd_node_unlinked(d, victim);
	reply_errno(req, d, rc, &err);
}

/* unlink and rmdir: the name goes now, the space when every host lets go. */
static void remove_node(fuse_req_t req, fuse_ino_t parent, const char *name,
			bool dir)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	struct bpfam_inode *in;
	int rc;

	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_lookup(&d->fs, parent, name);
	rc = bpfamd_may_change(d);
	if (!rc)
		rc = bpfam_fs_delete(&d->fs, parent, name, dir, &err);
	/* Its last name: unless the kernel still uses it, it is gone. */
	if (!rc && in->del_seq)
		bpfamd_node_unlinked(d, in);
	reply_errno(req, d, rc, &err);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_node(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_node(req, parent, name, true);
}

static void set_open_flags(struct bpfamd *d, struct fuse_file_info *fi)
{
	/* Every read and write reaches the device, never a stale cache;
	 * without the kernel's consent to mmap such files, the page cache,
	 * dropped at each open. */
	fi->direct_io = d->direct_io;
	fi->keep_cache = 0;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	set_open_flags(bpfamd_of(req), fi);
	make_node(req, parent, name, S_IFREG | (mode & 07777), 0, NULL, fi);
}

/* O_TRUNC comes here (libfuse asks for FUSE_CAP_ATOMIC_O_TRUNC): truncating
 * to 0 is a size change like any other. */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	const struct bpfam_inode *in;
	int rc = 0;

	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_inode(&d->fs, ino);
	if (!in)
		rc = -ENOENT;
	else if (S_ISDIR(in->mode))
		rc = -EISDIR;
	else if (fi->flags & O_TRUNC)
		rc = bpfamd_resize(d, ino, 0, &err);
	if (rc) {
		reply_errno(req, d, rc, &err);
		return;
	}
	bpfamd_node(d, ino)->opens++;
	pthread_mutex_unlock(&d->lock);
	set_open_flags(d, fi);
	fuse_reply_open(req, fi);
}

/* close(): the size and mtime of what was written reach the log. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	bpfamd_sync(req, ino);
}

/* The last close of a file gives back what its writes reserved. */
static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	struct bpfamd_node *n;
	const struct bpfam_inode *in;
	int rc = 0;

	(void)fi;
	pthread_mutex_lock(&d->lock);
	n = ino < d->nodes_cap ? &d->nodes[ino] : NULL;
	in = bpfam_fs_inode(&d->fs, ino);
	if (n && n->opens && !--n->opens && in && !bpfamd_may_change(d)) {
		rc = bpfam_fs_sync(&d->fs, ino, &err);
		if (!rc)
			rc = bpfam_fs_trim(&d->fs, ino, n->keep, &err);
		if (!rc)
			bpfamd_changed(d, in, false);
		if (rc)
			bpfamd_log(LOG_WARNING, "release of inode %llu: %s",
				   (unsigned long long)ino, err.msg);
	}
	pthread_mutex_unlock(&d->lock);
	/* close() has returned already: nobody to tell but the log. */
	fuse_reply_err(req, 0);
}

/* A listing being built: the reply buffer, and with plus the nodes whose
 * reference the kernel takes when it gets the reply. */
struct listing {
	fuse_req_t req;
	bool plus;
	char *buf;
	size_t size, used;
	uint64_t *held;
	size_t nheld, held_cap;
};

/*
 * Add @name (@in) to @l, next offset @next: false when it does not fit.
 * A plus entry takes a reference, as a lookup does; "." and ".." take none
 * (the kernel ignores them in a readdirplus reply).
 */
static bool add_entry(struct bpfamd *d, struct listing *l, const char *name,
		      struct bpfam_inode *in, off_t next, bool dot)
{
	size_t room = l->size - l->used, len;
	struct fuse_entry_param e;
	uint64_t *v;

	if (!l->plus) {
		e.attr = (struct stat){.st_ino = in->ino, .st_mode = in->mode};
		len = fuse_add_direntry(l->req, l->buf + l->used, room, name,
					&e.attr, next);
	} else {
		fill_entry(in, &e);
		len = fuse_add_direntry_plus(l->req, l->buf + l->used, room,
					     name, &e, next);
	}
	if (len > room)
		return false;
	if (l->plus && !dot) {
		if (l->nheld == l->held_cap) {
			l->held_cap = l->held_cap ? l->held_cap * 2 : 64;
			v = realloc(l->held, l->held_cap * sizeof(*v));
			if (!v)
				return false;
			l->held = v;
		}
		/* Without the reference the entry is not sent. */
		if (bpfamd_node_ref(d, in))
			return false;
		l->held[l->nheld++] = in->ino;
	}
	l->used += len;
	return true;
}

/* d->ns shared, or d->lock: see list_dir(). */
static void listing_lock(struct bpfamd *d, bool shared)
{
	if (shared)
		pthread_rwlock_rdlock(&d->ns);
	else
		pthread_mutex_lock(&d->lock);
}

static void listing_unlock(struct bpfamd *d, bool shared)
{
	if (shared)
		pthread_rwlock_unlock(&d->ns);
	else
		pthread_mutex_unlock(&d->lock);
}

/*
 * Offsets: "." is 0, ".." 1, and a name's is the sequence number of the
 * record that gave it + 2 (at least 3): names are kept in that order, so
 * an offset stays valid while entries come and go around it (a renamed
 * name is a new one, at the end).
 */
static void list_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     bool plus)
{
	struct bpfamd *d = bpfamd_of(req);
	struct listing l = {.req = req, .plus = plus, .size = size};
	/* Names alone, on the primary, only read what changes under d->ns
	 * (bpfamd.h): such a listing never waits behind a log append.  Plus
	 * entries take node references, and a client plays records first. */
	bool shared = !plus && bpfamd_primary(d);
	struct bpfam_inode *dir, *in;
	const struct bpfam_dentry *de;
	size_t i;

	l.buf = malloc(size);
	if (!l.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	listing_lock(d, shared);
	/* A listing shows what the primary has made, not a second ago's. */
	if (!off && !bpfamd_primary(d))
		bpfamd_refresh(d);
	dir = bpfam_fs_inode(&d->fs, ino);
	if (!dir || !S_ISDIR(dir->mode)) {
		listing_unlock(d, shared);
		free(l.buf);
		fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
		return;
	}
	for (; off < 2; off++) {
		in = off ? bpfam_fs_inode(&d->fs, dir->parent) : dir;
		if (!add_entry(d, &l, off ? ".." : ".", in, off + 1, true))
			goto full;
	}
	for (i = bpfam_dir_seek(dir, (uint64_t)off - 1); i < dir->nchildren;
	     i++) {
		de = dir->children[i];
		if (!add_entry(d, &l, de->name, de->inode,
			       (off_t)(de->seq + 2), false))
			break;
	}
full:
	listing_unlock(d, shared);
	/* Not delivered: the kernel takes none of those references. */
	if (fuse_reply_buf(req, l.buf, l.used) && l.nheld) {
		pthread_mutex_lock(&d->lock);
		for (i = 0; i < l.nheld; i++)
			bpfamd_node_forget(d, l.held[i], 1);
		pthread_mutex_unlock(&d->lock);
	}
	free(l.held);
	free(l.buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, false);
}

/* ls -l of a large directory: names and attributes in one request, not a
 * LOOKUP per name. */
static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, true);
}

/* Log bytes of a mknod record with a 16-byte name. */
#define INODE_LOG_BYTES                                               \
	(sizeof(struct bpfam_rec_hdr) + sizeof(struct bpfam_rec_mknod) + 16)

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct bpfamd *d = bpfamd_of(req);
	struct statvfs sv = {
		.f_bsize = BPFAM_ALLOC_UNIT,
		.f_frsize = BPFAM_ALLOC_UNIT,
		.f_namemax = BPFAM_NAME_MAX,
	};

	(void)ino;
	pthread_mutex_lock(&d->lock);
	sv.f_blocks = d->fs.alloc.nunits;
	sv.f_bfree = d->fs.alloc.nfree;
	sv.f_bavail = d->fs.alloc.nfree;
	/* Inodes cost log, not a table: as many more as the log holds
	 * creates of a short name. */
	sv.f_ffree = bpfam_log_room(&d->fs.log) / INODE_LOG_BYTES;
	sv.f_favail = sv.f_ffree;
	sv.f_files = d->fs.ninodes + sv.f_ffree;
	pthread_mutex_unlock(&d->lock);
	fuse_reply_statfs(req, &sv);
}

/*
 * Mode 0 grows the size to cover the range (zeros); FALLOC_FL_KEEP_SIZE
 * reserves extents beyond the size, kept past the last close.  Holes
 * cannot be punched: an fmap has no holes.
 */
static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	const struct bpfam_inode *in;
	uint64_t end = (uint64_t)offset + (uint64_t)length;
	struct bpfamd_node *n;
	int rc = 0;

	(void)fi;
	if (mode & ~FALLOC_FL_KEEP_SIZE) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_inode(&d->fs, ino);
	if (!in) {
		rc = -ENOENT;
	} else if (mode & FALLOC_FL_KEEP_SIZE) {
		rc = bpfamd_may_change(d);
		if (!rc)
			rc = bpfam_fs_reserve(&d->fs, ino, end, &err);
		if (!rc) {
			n = bpfamd_node(d, ino);
			if (n && end > n->keep)
				n->keep = end;
			bpfamd_changed(d, in, false);
		}
	} else if (end > (in->fmap ? in->fmap->size : 0)) {
		rc = bpfamd_resize(d, ino, end, &err);
	}
	reply_errno(req, d, rc, &err);
}

const struct fuse_lowlevel_ops bpfamd_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.readlink = op_readlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.open = op_open,
	.read = bpfamd_read,
	.write = bpfamd_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = bpfamd_fsync,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.statfs = op_statfs,
	.setxattr = bpfamd_setxattr,
	.getxattr = bpfamd_getxattr,
	.listxattr = bpfamd_listxattr,
	.removexattr = bpfamd_removexattr,
	.fallocate = op_fallocate,
};
