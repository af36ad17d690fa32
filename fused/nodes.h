/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The namespace as the kernel sees it: node references, fmap publication,
 * size setting and, on a client, catching up with the primary's log.  All
 * of these are called with d->lock held.
 */
#ifndef BPFAMD_NODES_H
#define BPFAMD_NODES_H

#include "bpfamd.h"
#include "clock.h"

/* The node of @ino, the table grown to hold it; NULL when out of memory. */
struct bpfamd_node *bpfamd_node(struct bpfamd *d, uint64_t ino);

/*
 * The kernel got an entry for @in: count it, hold the inode for this
 * host's horizon, publish its fmap.  This is the only way a file's fmap
 * gets published: the kernel resolves only nodes it looked up, so mount
 * costs nothing per file.
 */
int bpfamd_node_ref(struct bpfamd *d, struct bpfam_inode *in);

/* The kernel dropped @n references; at zero the fmap is withdrawn and the
 * inode released. */
void bpfamd_node_forget(struct bpfamd *d, uint64_t ino, uint64_t n);

/* @in was unlinked: withdraw its fmap unless the kernel still uses it. */
void bpfamd_node_unlinked(struct bpfamd *d, const struct bpfam_inode *in);

/* Publish @in's fmap if it has one and it is not published yet. */
void bpfamd_publish(struct bpfamd *d, const struct bpfam_inode *in);

/*
 * @in's fmap or size changed: republish it, and with @tell have the kernel
 * drop its attributes and mappings (the keeper sends it).
 */
void bpfamd_changed(struct bpfamd *d, const struct bpfam_inode *in, bool tell);

/*
 * truncate/O_TRUNC/fallocate (bpfam_fs_resize(), or the first sizing with
 * a pending layout): 0 or -errno (EROFS on a client, EIO when fenced,
 * ENOSPC after reclaiming what the gate allows, ...), @err saying why.
 */
int bpfamd_resize(struct bpfamd *d, uint64_t ino, uint64_t size,
		  struct bpfam_err *err);

/* bpfam_fs_write_begin() on the primary, reclaiming when full. */
int bpfamd_write_begin(struct bpfamd *d, uint64_t ino, uint64_t off,
		       uint64_t end, struct bpfam_err *err);

/*
 * Play what the primary appended since the last call (client).  A record
 * that does not play stops following for good (d->stuck_seq); a changed
 * superblock or a reclaim of something we hold fences the daemon.
 */
void bpfamd_refresh(struct bpfamd *d);

#endif /* BPFAMD_NODES_H */
