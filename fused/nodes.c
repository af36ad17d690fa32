// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

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

	if (!in->fmap || !d->maps.skel)
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

int bpfamd_node_ref(struct bpfamd *d, const struct bpfam_inode *in)
{
	struct bpfamd_node *n = bpfamd_node(d, in->ino);

	if (!n)
		return -ENOMEM;
	n->nlookup++;
	bpfamd_publish(d, in);
	return 0;
}

void bpfamd_node_forget(struct bpfamd *d, uint64_t ino, uint64_t nlookup)
{
	struct bpfamd_node *n;

	if (ino >= d->nodes_cap)
		return;
	n = &d->nodes[ino];
	n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
	if (n->nlookup || !n->published)
		return;
	bpfamd_maps_delete(&d->maps, ino);
	n->published = false;
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
	if (!bpfamd_primary(d))
		return bpfam_err(err, EROFS,
				 "'%s': metadata is read-only on a client host",
				 in->name);
	rc = bpfam_fs_set_size(&d->fs, ino, size, n->strips, n->chunk, err);
	if (rc)
		return rc;
	n->strips = 0;
	n->chunk = 0;
	bpfamd_publish(d, in);
	return 0;
}

void bpfamd_refresh(struct bpfamd *d)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	const struct bpfam_inode *in;
	struct bpfam_err err;
	int rc;

	if (!r)
		return;
	while ((rc = bpfam_fs_play_next(&d->fs, r, &err)) == 1) {
		if (r->type != BPFAM_REC_FMAP)
			continue;
		in = bpfam_fs_inode(&d->fs, r->fmap.ino);
		if (in)
			bpfamd_publish(d, in);
	}
	free(r);
	if (rc < 0 && !d->refresh_failed)
		bpfamd_log(LOG_ERR,
			   "%s; serving the namespace as it was before",
			   err.msg);
	d->refresh_failed = rc < 0;
}
