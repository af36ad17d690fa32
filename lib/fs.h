/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The namespace a log describes: inodes, directories and fmaps, rebuilt in
 * memory by playing the log, and changed on the primary by appending
 * records (log first, then memory, so what a caller is told was done is
 * on the device).
 */
#ifndef BPFAM_FS_H
#define BPFAM_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "device.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "sb.h"

struct bpfam_inode {
	uint64_t ino;
	uint64_t gen;      /* sequence number of the record that made it */
	uint64_t parent;   /* the root is its own parent */
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t mtime_ns;
	char *name;        /* "" for the root */
	/* Files: NULL until the size is set.  Only ext[0..nr) is allocated
	 * (BPFAM_FMAP_BYTES): most files have one extent, not 256. */
	struct bpfam_fmap *fmap;
	struct bpfam_inode **children; /* directories, in creation order */
	uint32_t nchildren;
	uint32_t children_cap;
	struct bpfam_inode *ino_next;  /* hash chains */
	struct bpfam_inode *name_next;
};

struct bpfam_fs {
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_log log;
	struct bpfam_alloc alloc;
	struct bpfam_inode **by_ino;
	struct bpfam_inode **by_name;
	uint64_t buckets;
	uint64_t ninodes;
	uint64_t nfiles;
	uint64_t ndirs;
	uint64_t max_ino;
	uint64_t torn_bytes; /* unfinished append found after the log's end */
	bool behind_log;     /* a logged record failed to apply: no commits */
};

/*
 * Open @path, check its superblock and set up an empty namespace (just the
 * root) and a log cursor at the start.  bpfam_fs_mount() then plays it all.
 */
int bpfam_fs_init(struct bpfam_fs *fs, const char *path,
		  enum bpfam_open_mode mode, struct bpfam_err *err);

/*
 * bpfam_fs_init() and play the whole log.  -EBADMSG names the first bad
 * record.  The metadata writer also clears a torn tail (an append that
 * never completed, so was never acknowledged) and reports it in
 * fs->torn_bytes.
 */
int bpfam_fs_mount(struct bpfam_fs *fs, const char *path,
		   enum bpfam_open_mode mode, struct bpfam_err *err);

void bpfam_fs_close(struct bpfam_fs *fs);

/*
 * Check @r against the namespace and apply it.  -EBADMSG (with @err naming
 * the record and the conflict) when it cannot apply: unknown inode, name
 * taken, extent outside the device or overlapping another file...
 */
int bpfam_fs_play(struct bpfam_fs *fs, const struct bpfam_record *r,
		  struct bpfam_err *err);

/*
 * Read the next record of the log into @r and play it: 1, 0 at the end of
 * the log, or the error of reading or playing it.  A record that does not
 * play is left unread, for the next call.
 */
int bpfam_fs_play_next(struct bpfam_fs *fs, struct bpfam_record *r,
		       struct bpfam_err *err);

/* Play records appended since the last call (a client host catching up). */
int bpfam_fs_refresh(struct bpfam_fs *fs, uint64_t *played,
		     struct bpfam_err *err);

struct bpfam_inode *bpfam_fs_inode(const struct bpfam_fs *fs, uint64_t ino);
struct bpfam_inode *bpfam_fs_lookup(const struct bpfam_fs *fs, uint64_t parent,
				    const char *name);

/* Bytes of the data area allocated to files, and free. */
uint64_t bpfam_fs_bytes_used(const struct bpfam_fs *fs);
uint64_t bpfam_fs_bytes_free(const struct bpfam_fs *fs);

/*
 * Metadata writer operations.  Errors: -ENOTDIR, -EEXIST, -ENAMETOOLONG,
 * -EINVAL (bad name or mode), -ENOENT, -ENOSPC (data or log full),
 * -EPERM (size already set), -EROFS (not the writer).
 */
int bpfam_fs_mknod(struct bpfam_fs *fs, uint64_t parent, const char *name,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   struct bpfam_inode **out, struct bpfam_err *err);

/* Set a file's size once: allocate (simple when @strips is 0) and log it. */
int bpfam_fs_set_size(struct bpfam_fs *fs, uint64_t ino, uint64_t size,
		      uint32_t strips, uint64_t chunk, struct bpfam_err *err);

int bpfam_fs_setattr(struct bpfam_fs *fs, uint64_t ino, uint32_t valid,
		     uint32_t mode, uint32_t uid, uint32_t gid,
		     uint64_t mtime_ns, struct bpfam_err *err);

#endif /* BPFAM_FS_H */
