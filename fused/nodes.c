// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "keeper.h"
#include "nodes.h"

struct bpfamd_node *bpfamd_node(struct bpfamd *d, uint64_t ino)
{
	uint64_t cap = d->nodes_cap;
	struct bpfamd_node *n;

	if (ino < cap)
		return &d->nodes[ino];
	/* Inode numbers are dense (the log requires each mknod to take the
	 * next), so an array; ino is still a FUSE request's word. */
	if (ino >= SIZE_MAX / 2 / sizeof(*n))
		return NULL;
	while (cap <= ino)
		cap = cap ? cap * 2 : 1024;
	n = realloc(d->nodes, cap * sizeof(*n));
	if (!n)
		return NULL;
	memset(n + d->nodes_cap, 0, (cap - d->nodes_cap) * sizeof(*n));
	d->nodes = n;
	d->nodes_cap = cap;
	return &n[ino];
}

void bpfamd_publish(struct bpfamd *d, const struct bpfam_inode *in)
{
	struct bpfamd_node *n;
	int rc;

	/* An unlinked file is reached only through references the kernel
	 * holds already, and a fenced daemon publishes nothing. */
	if (!in->fmap || !d->maps.skel || in->del_seq || d->fenced)
		return;
	n = bpfamd_node(d, in->ino);
	if (!n || n->published)
		return;
	/* Keys are only ever inserted or deleted, never rewritten: the
	 * kernel may be reading the value (kernel.md §3.5). */
	rc = bpfamd_maps_insert(&d->maps, in->ino, in->fmap);
	if (!rc || rc == -EEXIST) {
		n->published = true;
		return;
	}
	if (!d->map_full)
		bpfamd_log(LOG_WARNING,
			   "cannot publish the fmap of inode %llu ('%s'): %s; "
			   "the fast path will hand it to the daemon",
			   (unsigned long long)in->ino, in->name,
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

void bpfamd_publish_all(struct bpfamd *d)
{
	const struct bpfam_inode *in;
	uint64_t ino;

	for (ino = BPFAM_ROOT_INO; ino <= d->fs.max_ino; ino++) {
		in = bpfam_fs_inode(&d->fs, ino);
		if (in)
			bpfamd_publish(d, in);
	}
}

/* Allocate, and once more after reclaiming when the device is full. */
static int set_size(struct bpfamd *d, uint64_t ino, uint64_t size,
		    const struct bpfamd_node *n, struct bpfam_err *err)
{
	int rc = bpfam_fs_set_size(&d->fs, ino, size, n->strips, n->chunk,
				   err);

	if (rc == -ENOSPC && bpfamd_reclaim(d) > 0)
		rc = bpfam_fs_set_size(&d->fs, ino, size, n->strips, n->chunk,
				       err);
	return rc;
}

int bpfamd_set_size(struct bpfamd *d, uint64_t ino, uint64_t size,
		    struct bpfam_err *err)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);
	struct bpfamd_node *n = bpfamd_node(d, ino);
	int rc;

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!n)
		return bpfam_err(err, ENOMEM, "out of memory");
	/* Asking again for the size a file has is not a change. */
	if (in->fmap ? in->fmap->size == size : !size)
		return 0;
	rc = bpfamd_may_change(d);
	if (rc)
		return bpfam_err(err, -rc, "'%s': %s", in->name,
				 d->fenced ? "the device was fenced" :
					     "metadata is read-only on a client host");
	rc = set_size(d, ino, size, n, err);
	if (rc)
		return rc;
	n->strips = 0;
	n->chunk = 0;
	bpfamd_publish(d, in);
	return 0;
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
			bpfamd_publish(d, in);
		break;
	case BPFAM_REC_DELETE:
		in = bpfam_fs_inode(&d->fs, r->del.ino);
		if (in)
			name_went(d, r->del.parent, in->name, in);
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
