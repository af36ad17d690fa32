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
	uint32_t nlink;    /* names; directories: 2 + subdirectories */
	uint32_t rdev;     /* character and block devices */
	uint64_t mtime_ns;
	uint64_t ctime_ns;
	uint64_t atime_ns;
	char *name;        /* "" for the root */
	char *target;      /* symlinks */
	struct bpfam_xattrs *xattrs; /* user.* attributes, NULL: none */
	uint64_t del_seq;  /* the delete record that unlinked it; 0: linked */
	uint64_t refs;     /* this host's holds: bpfam_fs_hold() */
	/* Files: NULL until the size is set.  Only ext[0..nr) is allocated
	 * (BPFAM_FMAP_BYTES): most files have one extent, not 256. */
	struct bpfam_fmap *fmap;
	struct bpfam_inode **children; /* directories, by inode number */
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
	uint64_t ninodes;  /* in the tables, unlinked ones included */
	uint64_t nfiles;   /* linked */
	uint64_t ndirs;
	uint64_t max_ino;
	uint64_t torn_bytes; /* unfinished append found after the log's end */
	bool behind_log;     /* a logged record failed to apply: no commits */
	/* Unlinked inodes whose space waits for the reclaim gate, in delete
	 * order; and how far reclaim records have freed. */
	struct bpfam_inode **orphans;
	uint64_t norphans;
	uint64_t orphans_cap;
	uint64_t pending_bytes;
	uint64_t reclaimed_upto;
	uint64_t reclaimed_bytes; /* freed by reclaim records, in all */
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

/*
 * Play the whole log of a bpfam_fs_init()ed filesystem, as
 * bpfam_fs_mount() does.  A host that shares the device joins first
 * (bpfam_host_join(), whose horizon then holds everything back) and loads
 * after: a view played before joining could hold files whose space the
 * primary reclaimed and reused in between, since no slot held it.
 */
int bpfam_fs_load(struct bpfam_fs *fs, struct bpfam_err *err);

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

/* The first child of @dir whose inode number is at least @ino. */
uint32_t bpfam_dir_seek(const struct bpfam_inode *dir, uint64_t ino);

/*
 * This host holds @in (an open file, a mapping, a kernel reference): an
 * unlinked inode keeps its space, and this host's reclaim horizon stays at
 * its delete, until the last release.
 */
void bpfam_fs_hold(struct bpfam_inode *in);
void bpfam_fs_release(struct bpfam_inode *in);

/*
 * This host's reclaim horizon: it will never touch the space of a delete
 * whose sequence number is below it — the oldest delete it still holds,
 * or else the first record it has not played.
 */
uint64_t bpfam_fs_horizon(const struct bpfam_fs *fs);

/*
 * Whether the superblock is still the one mounted (magic, UUID and
 * generation): 0, or -ESTALE naming what changed.
 */
int bpfam_fs_check_sb(const struct bpfam_fs *fs, struct bpfam_err *err);

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

/*
 * unlink (@dir false) or rmdir (@dir true) @name in @parent.  The name goes
 * at once; a file's space waits for the reclaim gate.  -ENOENT, -ENOTDIR,
 * -EISDIR, -ENOTEMPTY, -EINVAL, -ENAMETOOLONG, -EROFS, -ENOSPC (log full).
 */
int bpfam_fs_delete(struct bpfam_fs *fs, uint64_t parent, const char *name,
		    bool dir, struct bpfam_err *err);

/*
 * Free the space of every delete below @gate (bpfam_slots_gate(): no host
 * can touch it any more), and below this host's own horizon, with one
 * reclaim record.  1 when space was freed, 0 when nothing was waiting
 * below the gate, or -errno.
 */
int bpfam_fs_reclaim(struct bpfam_fs *fs, uint64_t gate,
		     struct bpfam_err *err);

/*
 * Append @r, which the caller checked against the namespace, and play it
 * (the writers of other files, e.g. lib/xattrs.c): 0, or the append's
 * error (-EROFS, -ENOSPC when the log is full, -EIO, -ESTALE).
 */
int bpfam_fs_commit(struct bpfam_fs *fs, struct bpfam_record *r,
		    struct bpfam_err *err);

#endif /* BPFAM_FS_H */
