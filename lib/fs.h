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
#include "slab.h"

/*
 * A name: @inode is called @name in directory @parent.  A file may have
 * several (hard links); a directory has one, the root none.  Owned by the
 * directory's children array while linked.
 */
struct bpfam_dentry {
	uint64_t seq;      /* the record that gave the name: readdir order */
	uint64_t parent;
	struct bpfam_inode *inode;
	struct bpfam_dentry *hash_next;  /* by (parent, name) */
	struct bpfam_dentry *alias_next; /* the inode's other names */
	char name[];       /* NUL-terminated */
};

/* Names one file may have (LINK records beyond it do not play). */
#define BPFAM_LINK_MAX 65000U

struct bpfam_inode {
	uint64_t ino;
	uint64_t gen;      /* sequence number of the record that made it */
	uint64_t parent;   /* directories: their parent (".."), the root its
			    * own; files: the directory of `name` */
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;    /* names; directories: 2 + subdirectories */
	uint32_t rdev;     /* character and block devices */
	bool dirty;        /* size or times changed here, not yet logged */
	uint64_t mtime_ns;
	uint64_t ctime_ns;
	uint64_t atime_ns;
	struct bpfam_dentry *names; /* its names, newest first */
	struct bpfam_dentry *gone;  /* unlinked: its last name, kept */
	char *target;      /* symlinks */
	struct bpfam_xattrs *xattrs; /* user.* attributes, NULL: none */
	uint64_t del_seq;  /* the delete record that unlinked it; 0: linked */
	uint64_t refs;     /* this host's holds: bpfam_fs_hold() */
	/* Files: NULL until the size is set.  Only ext[0..nr) is allocated
	 * (BPFAM_FMAP_BYTES): most files have one extent, not 256. */
	struct bpfam_fmap *fmap;
	/* Directories: the names in it, in the order of the records that
	 * gave them (dentry seq); bpfam_dir_seek() relies on the order. */
	struct bpfam_dentry **children;
	uint32_t nchildren;
	uint32_t children_cap;
	/* The writer knows [size, zero_end) reads as zeros (0: nothing past
	 * the size), so that a page mapped across the end shows no bytes a
	 * deleted file left there. */
	uint64_t zero_end;
};

/*
 * One of @in's names, for messages ("" for the root); an unlinked inode
 * keeps its last.
 */
static inline const char *bpfam_inode_name(const struct bpfam_inode *in)
{
	if (in->names)
		return in->names->name;
	return in->gone ? in->gone->name : "";
}

/*
 * Extents a resize took from a file: they wait for the reclaim gate as a
 * deleted file's do, the fmap record that dropped them being their delete.
 */
struct bpfam_tail {
	uint64_t seq;
	uint64_t ino;
	bool held;        /* this host may still reach them: see below */
	uint32_t nr;
	struct bpfam_extent *ext;
};

struct bpfam_fs {
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_log log;
	struct bpfam_alloc alloc;
	/*
	 * Inodes by number, in chunks of 1024: the log gives dense numbers
	 * (each mknod the next), so no hash; chunks never move, so a pointer
	 * to an inode stays good until a reclaim record frees it.  A free
	 * slot is zeros (numbers are not reused).  bpfam_fs_inode() looks up.
	 */
	struct bpfam_inode **chunks;
	uint64_t nchunks;
	struct bpfam_dentry **by_name; /* hashed by (parent, name) */
	struct bpfam_slab slab; /* dentries and fmaps: a million of each */
	uint64_t buckets;
	uint64_t ninodes;  /* in the table, unlinked ones included */
	uint64_t ndentries; /* names */
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
	struct bpfam_tail *tails; /* in record order */
	uint64_t ntails;
	uint64_t tails_cap;
	/* A daemon's kernel may reach dropped extents until it is told
	 * (bpfam_fs_let_go()); a tool holds nothing. */
	bool hold_tails;
	/* Stores zeros to device bytes [dev_off, dev_off + len) and flushes
	 * them: 0 or -errno; NULL: memset and flush.  A daemon survives a
	 * memory error in its own (fused/memerr.c), and zeroes a device lent
	 * to the kernel through the kernel. */
	int (*store_zeros)(struct bpfam_fs *fs, uint64_t dev_off,
			   uint64_t len);
	/*
	 * NULL, or called with true before and false after every change to
	 * inodes in memory that a reader of fmaps could see: each record
	 * played (bpfam_fs_play(), appends not included) and each size
	 * bpfam_fs_wrote() raises.  A daemon's data path reads fmaps under
	 * the lock it takes, so it never waits behind a log append.
	 */
	void (*exclude)(struct bpfam_fs *fs, bool on);
	/* Inodes whose size or times changed in memory (bpfam_fs_wrote()),
	 * for bpfam_fs_sync_all(); may name some synced or gone since. */
	uint64_t *dirty;
	uint64_t ndirty;
	uint64_t dirty_cap;
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
struct bpfam_dentry *bpfam_fs_dentry(const struct bpfam_fs *fs,
				     uint64_t parent, const char *name);

/* The first child of @dir whose dentry seq is at least @seq. */
uint32_t bpfam_dir_seek(const struct bpfam_inode *dir, uint64_t seq);

/*
 * This host holds @in (an open file, a mapping, a kernel reference): an
 * unlinked inode keeps its space, and this host's reclaim horizon stays at
 * its delete, until the last release.
 */
void bpfam_fs_hold(struct bpfam_inode *in);
void bpfam_fs_release(struct bpfam_inode *in);

/*
 * This host's reclaim horizon: it will never touch the space of a delete
 * whose sequence number is below it — the oldest delete (or dropped tail)
 * it still holds, or else the first record it has not played.
 */
uint64_t bpfam_fs_horizon(const struct bpfam_fs *fs);

/* With hold_tails: the kernel was told of every tail dropped before
 * record @upto (and I/O that started before has drained). */
void bpfam_fs_let_go(struct bpfam_fs *fs, uint64_t upto);

/* Whether deletes or dropped tails wait for the gate. */
bool bpfam_fs_pending(const struct bpfam_fs *fs);

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

/*
 * bpfam_fs_mknod() of any type: @rdev is a character or block device's
 * number (ignored for other types), @target a symlink's (1..4095 bytes,
 * NUL-terminated; -ENAMETOOLONG beyond; NULL for other types).
 */
int bpfam_fs_make(struct bpfam_fs *fs, uint64_t parent, const char *name,
		  uint32_t mode, uint64_t rdev, const char *target,
		  uint32_t uid, uint32_t gid, struct bpfam_inode **out,
		  struct bpfam_err *err);

/*
 * One more name for file @ino: @name in @parent.  -EPERM for a directory,
 * -ENOENT (no such inode, or unlinked), -EEXIST, -ENOTDIR, -ENAMETOOLONG,
 * -EINVAL, -EMLINK (BPFAM_LINK_MAX), -EROFS, -ENOSPC (log full).
 */
int bpfam_fs_link(struct bpfam_fs *fs, uint64_t ino, uint64_t parent,
		  const char *name, struct bpfam_err *err);

/*
 * rename(2) with renameat2()'s RENAME_NOREPLACE and RENAME_EXCHANGE
 * @flags: -ENOENT, -ENOTDIR, -EISDIR, -ENOTEMPTY, -EEXIST, -EINVAL (a
 * directory into itself, bad flags or names), -ENAMETOOLONG, -EROFS,
 * -ENOSPC (log full).  A name replaced loses its inode as by unlink.
 * Renaming a name onto itself or onto another name of the same inode
 * succeeds and logs nothing.
 */
int bpfam_fs_rename(struct bpfam_fs *fs, uint64_t src_parent,
		    const char *src_name, uint64_t dst_parent,
		    const char *dst_name, unsigned int flags,
		    struct bpfam_err *err);

/* Set a file's size once: allocate (simple when @strips is 0) and log it. */
int bpfam_fs_set_size(struct bpfam_fs *fs, uint64_t ino, uint64_t size,
		      uint32_t strips, uint64_t chunk, struct bpfam_err *err);

/*
 * Log @valid (BPFAM_ATTR_*, not SIZE) of @a; a change of mode or owner
 * moves ctime to @a->ctime_ns when the caller did not set CTIME.
 */
struct bpfam_attrs {
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t mtime_ns;
	uint64_t atime_ns;
	uint64_t ctime_ns;
};

int bpfam_fs_setattr(struct bpfam_fs *fs, uint64_t ino, uint32_t valid,
		     const struct bpfam_attrs *a, struct bpfam_err *err);

/* Largest file size: the data area of the filesystem.  EFBIG beyond. */
uint64_t bpfam_fs_max_size(const struct bpfam_fs *fs);

/*
 * truncate/ftruncate/O_TRUNC/fallocate: give a regular file @size bytes,
 * mtime and ctime @time_ns.  Bytes it gains read as zeros (they are
 * zeroed before the record that exposes them); extents it no longer needs
 * go to the reclaim gate.  -EFBIG, -ENOSPC, -EPERM (an interleaved file
 * keeps its size, except 0), -EISDIR, -EINVAL, -ENOENT, -EROFS.
 */
int bpfam_fs_resize(struct bpfam_fs *fs, uint64_t ino, uint64_t size,
		    uint64_t time_ns, struct bpfam_err *err);

/*
 * Before a write of file bytes [@off, @end): make the file's extents hold
 * @end (growing them with a reservation that doubles, up to 1 GiB, so
 * that a long copy logs few records) and zero [size, @off) when @off is
 * past the size.  The size does not change: bpfam_fs_wrote() does that,
 * once the data is in place.
 */
int bpfam_fs_write_begin(struct bpfam_fs *fs, uint64_t ino, uint64_t off,
			 uint64_t end, struct bpfam_err *err);

/*
 * Bytes up to @end were written at @time_ns: size and times change in
 * memory; bpfam_fs_sync() logs them.  A file's data is durable when the
 * write returns, its size and mtime when it is synced (fsync, close), as
 * on a local filesystem.
 */
void bpfam_fs_wrote(struct bpfam_fs *fs, struct bpfam_inode *in, uint64_t end,
		    uint64_t time_ns);

/* Log size and times changed in memory (bpfam_fs_wrote()), if any. */
int bpfam_fs_sync(struct bpfam_fs *fs, uint64_t ino, struct bpfam_err *err);

/*
 * bpfam_fs_sync() every inode written since the last call: so that
 * clients see a file that is still open grow (the primary's heartbeat).
 * The first error, after trying them all.
 */
int bpfam_fs_sync_all(struct bpfam_fs *fs, struct bpfam_err *err);

/*
 * Keep extents for at least @keep bytes (fallocate FALLOC_FL_KEEP_SIZE),
 * the size unchanged.
 */
int bpfam_fs_reserve(struct bpfam_fs *fs, uint64_t ino, uint64_t keep,
		     struct bpfam_err *err);

/* Give back the extents past max(size, @keep) (the last close). */
int bpfam_fs_trim(struct bpfam_fs *fs, uint64_t ino, uint64_t keep,
		  struct bpfam_err *err);

/*
 * unlink (@dir false) or rmdir (@dir true) @name in @parent.  The name goes
 * at once; a file that loses its last name becomes an orphan, whose space
 * waits for the reclaim gate.  -ENOENT, -ENOTDIR,
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
