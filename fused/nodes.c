// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "array.h"
#include "keeper.h"
#include "nodes.h"

struct bpfamd_node *bpfamd_node(struct bpfamd *d, uint64_t ino)
{
	struct bpfamd_node *n;

	/* Inode numbers are dense (the log requires each mknod to take the
	 * next), so an array; ino is still a FUSE request's word. */
	n = bpfam_array_reach(d->nodes, &d->nodes_cap, ino, sizeof(*n), 1024);
	if (!n)
		return NULL;
	d->nodes = n;
	return &n[ino];
}

void bpfamd_publish(struct bpfamd *d, const struct bpfam_inode *in)
{
	struct bpfam_fmap empty = {.version = BPFAM_FMAP_VERSION,
				   .kind = BPFAM_FMAP_SIMPLE};
	struct bpfamd_node *n;
	int rc;

	/* A fenced daemon publishes nothing. */
	if (!S_ISREG(in->mode) || !d->maps.skel || d->fenced)
		return;
	n = bpfamd_node(d, in->ino);
	if (!n || n->published)
		return;
	/* A file without space is published too, as an empty fmap: the
	 * kernel decides at open whether a file takes the fast path, and
	 * one that grows later must have taken it. */
	empty.gen = in->gen;
	/* A new key; a published one changes only by a replace in one
	 * update (bpfamd_changed()): the kernel may be reading the value
	 * (kpatch/README.md). */
	rc = bpfamd_maps_insert(&d->maps, in->ino, in->fmap ? in->fmap : &empty);
	if (!rc || rc == -EEXIST) {
		n->published = true;
		return;
	}
	if (!d->map_full)
		bpfamd_log(LOG_WARNING,
			   "cannot publish the fmap of inode %llu ('%s'): %s; "
			   "the fast path will hand it to the daemon",
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   strerror(-rc));
	d->map_full = true;
}

int bpfamd_node_ref(struct bpfamd *d, struct bpfam_inode *in)
{
	struct bpfamd_node *n = bpfamd_node(d, in->ino);

	if (!n)
		return -ENOMEM;
	/* While the kernel knows the node, this host holds the inode. */
	if (!n->nlookup++)
		bpfam_fs_hold(in);
	bpfamd_publish(d, in);
	return 0;
}

static void withdraw(struct bpfamd *d, struct bpfamd_node *n, uint64_t ino)
{
	if (!n->published)
		return;
	bpfamd_maps_delete(&d->maps, ino);
	n->published = false;
}

void bpfamd_node_unlinked(struct bpfamd *d, const struct bpfam_inode *in)
{
	struct bpfamd_node *n;

	if (in->ino >= d->nodes_cap)
		return;
	n = &d->nodes[in->ino];
	if (!n->nlookup)
		withdraw(d, n, in->ino);
}

void bpfamd_node_forget(struct bpfamd *d, uint64_t ino, uint64_t nlookup)
{
	struct bpfam_inode *in;
	struct bpfamd_node *n;

	if (ino >= d->nodes_cap)
		return;
	n = &d->nodes[ino];
	if (!n->nlookup)
		return;
	n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
	if (n->nlookup)
		return;
	in = bpfam_fs_inode(&d->fs, ino);
	if (in)
		bpfam_fs_release(in);
	withdraw(d, n, ino);
}

void bpfamd_changed(struct bpfamd *d, const struct bpfam_inode *in, bool tell)
{
	struct bpfamd_node *n = bpfamd_node(d, in->ino);
	bool replaced;

	if (!n)
		return;
	/*
	 * While the kernel holds the node (even unlinked), replace its fmap
	 * in one update: withdrawing it first left a window, opened by every
	 * write that extends a file, in which the resolver found no fmap (a
	 * fault there got SIGBUS, a read or write went to the daemon).
	 */
	replaced = n->published && n->nlookup && in->fmap && !d->fenced &&
		   !bpfamd_maps_replace(&d->maps, in->ino, in->fmap);
	if (!replaced) {
		withdraw(d, n, in->ino);
		if (n->nlookup)
			bpfamd_publish(d, in);
	}
	if (tell && n->nlookup)
		bpfamd_queue_inval(d, 0, in->ino, NULL, false);
}

/* @op, and once more after reclaiming when the device is full. */
static int with_reclaim(struct bpfamd *d, int (*op)(struct bpfamd *, void *),
			void *arg)
{
	int rc = op(d, arg);

	if (rc == -ENOSPC && bpfamd_reclaim(d) > 0)
		rc = op(d, arg);
	return rc;
}

struct resize {
	uint64_t ino, size, off, end;
	uint64_t now;
	struct bpfamd_node *n;
	struct bpfam_err *err;
};

static int do_resize(struct bpfamd *d, void *arg)
{
	struct resize *a = arg;
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, a->ino);

	/* A layout asked for (user.bpfam.layout) shapes the first sizing. */
	if (in && !in->fmap && a->n->strips && a->size)
		return bpfam_fs_set_size(&d->fs, a->ino, a->size, a->n->strips,
					 a->n->chunk, a->err);
	return bpfam_fs_resize(&d->fs, a->ino, a->size, a->now, a->err);
}

static int do_write_begin(struct bpfamd *d, void *arg)
{
	struct resize *a = arg;
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, a->ino);

	/* A layout asked for shapes the first sizing, by a write too. */
	if (in && !in->fmap && a->n && a->n->strips)
		return bpfam_fs_set_size(&d->fs, a->ino, a->end, a->n->strips,
					 a->n->chunk, a->err);
	return bpfam_fs_write_begin(&d->fs, a->ino, a->off, a->end, a->err);
}

static int refuse_change(struct bpfamd *d, const struct bpfam_inode *in,
			 struct bpfam_err *err)
{
	int rc = bpfamd_may_change(d);

	if (!rc)
		return 0;
	return bpfam_err(err, -rc, "'%s': %s", bpfam_inode_name(in),
			 d->fenced ? "the device was fenced" :
				     "sizes are read-only on a client host");
}

int bpfamd_resize(struct bpfamd *d, uint64_t ino, uint64_t size,
		  struct bpfam_err *err)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);
	struct bpfamd_node *n = bpfamd_node(d, ino);
	struct resize a = {.ino = ino, .size = size, .n = n, .err = err,
			   .now = bpfam_now_ns()};
	uint64_t old;
	int rc;

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!n)
		return bpfam_err(err, ENOMEM, "out of memory");
	rc = refuse_change(d, in, err);
	if (rc)
		return rc;
	old = in->fmap ? in->fmap->size : 0;
	if (d->size_once && old && size != old)
		return bpfam_err(err, EPERM,
				 "'%s': size is already set (%llu bytes) and this mount keeps sizes (-o size_once)",
				 bpfam_inode_name(in), (unsigned long long)old);
	rc = with_reclaim(d, do_resize, &a);
	if (rc)
		return rc;
	n->strips = 0;
	n->chunk = 0;
	/* A shrink dropped extents the kernel may map until it is told. */
	bpfamd_changed(d, in, size < old);
	return 0;
}

int bpfamd_write_begin(struct bpfamd *d, uint64_t ino, uint64_t off,
		       uint64_t end, struct bpfam_err *err)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);
	struct resize a = {.ino = ino, .off = off, .end = end, .err = err,
			   .n = bpfamd_node(d, ino)};
	int rc;

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	rc = refuse_change(d, in, err);
	if (!rc)
		rc = with_reclaim(d, do_write_begin, &a);
	if (!rc && a.n) {
		a.n->strips = 0;
		a.n->chunk = 0;
	}
	return rc;
}

/*
 * A name the kernel may have cached went: @in, named @name in @parent,
 * lost it.  Its last: the kernel's entry is deleted (its nlink drops to
 * 0, open files keep working); else only forgotten, and looked up again.
 */
static void name_went(struct bpfamd *d, uint64_t parent, const char *name,
		      const struct bpfam_inode *in)
{
	if (in->del_seq)
		bpfamd_node_unlinked(d, in);
	bpfamd_queue_inval(d, parent, in->ino, name, in->del_seq != 0);
}

static void played_rename(struct bpfamd *d, const struct bpfam_record *r)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, r->rename.ino);
	const struct bpfam_inode *victim =
		r->rename.victim ? bpfam_fs_inode(&d->fs, r->rename.victim) :
				   NULL;

	if (in)
		name_went(d, r->rename.src_parent, r->rename.src_name, in);
	/* The new name's entry may hold the inode it replaced, or the one
	 * exchanged with. */
	if (victim)
		name_went(d, r->rename.dst_parent, r->rename.dst_name, victim);
}

/* What a played record means for the kernel and the published fmaps. */
static void played(struct bpfamd *d, const struct bpfam_record *r)
{
	const struct bpfam_inode *in;

	switch (r->type) {
	case BPFAM_REC_FMAP:
		in = bpfam_fs_inode(&d->fs, r->fmap.ino);
		if (in)
			bpfamd_changed(d, in, true);
		break;
	case BPFAM_REC_SETATTR:
		in = bpfam_fs_inode(&d->fs, r->setattr.ino);
		if (in && r->setattr.valid & BPFAM_ATTR_SIZE)
			bpfamd_changed(d, in, true);
		break;
	case BPFAM_REC_DELETE:
		in = bpfam_fs_inode(&d->fs, r->del.ino);
		if (in)
			name_went(d, r->del.parent, bpfam_inode_name(in), in);
		break;
	case BPFAM_REC_UNLINK:
		in = bpfam_fs_inode(&d->fs, r->link.ino);
		if (in)
			name_went(d, r->link.parent, r->link.name, in);
		break;
	case BPFAM_REC_LINK:
		/* No name went (lookups that missed were not cached), but
		 * the cached nlink and ctime are stale. */
		bpfamd_queue_inval(d, r->link.parent, r->link.ino, NULL, false);
		break;
	case BPFAM_REC_RENAME:
		played_rename(d, r);
		break;
	}
}

void bpfamd_refresh(struct bpfamd *d)
{
	struct bpfam_record *r;
	struct bpfam_err err;
	int rc;

	/* Stopped at a record it cannot play: retrying would only check
	 * the same bad bytes again (docs/sharing.md). */
	if (d->stuck_seq || d->fenced)
		return;
	rc = bpfam_fs_check_sb(&d->fs, &err);
	if (rc) {
		bpfamd_fence(d, err.msg);
		return;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return;
	while ((rc = bpfam_fs_play_next(&d->fs, r, &err)) == 1)
		played(d, r);
	free(r);
	if (rc == -ESTALE) {
		bpfamd_fence(d, err.msg);
	} else if (rc == -EBADMSG || rc == -EPROTONOSUPPORT) {
		d->stuck_seq = d->fs.log.next_seq;
		snprintf(d->stuck_msg, sizeof(d->stuck_msg), "%s", err.msg);
		bpfamd_log(LOG_ERR,
			   "stopped following the log at record %llu: %s; "
			   "serving the namespace as of record %llu until "
			   "remounted",
			   (unsigned long long)d->stuck_seq, err.msg,
			   (unsigned long long)d->stuck_seq - 1);
	}
}
