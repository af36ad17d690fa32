// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"
#include "units.h"
#include "xattrs.h"

#define INITIAL_BUCKETS 1024

static uint64_t hash_ino(uint64_t ino)
{
	return ino * 0x9e3779b97f4a7c15ULL;
}

/* FNV-1a over the parent and the name. */
static uint64_t hash_name(uint64_t parent, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ parent;

	while (*name) {
		h ^= (uint8_t)*name++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void hash_insert(struct bpfam_fs *fs, struct bpfam_inode *in)
{
	uint64_t b = hash_ino(in->ino) & (fs->buckets - 1);

	in->ino_next = fs->by_ino[b];
	fs->by_ino[b] = in;
	/* The root has no name; an unlinked inode has lost its own. */
	if (in->ino == BPFAM_ROOT_INO || in->del_seq)
		return;
	b = hash_name(in->parent, in->name) & (fs->buckets - 1);
	in->name_next = fs->by_name[b];
	fs->by_name[b] = in;
}

/* Take @in off the chain that starts at *@head, linked through @next_off. */
static void unchain(struct bpfam_inode **head, struct bpfam_inode *in,
		    size_t next_off)
{
	struct bpfam_inode **pp;

	for (pp = head; *pp; pp = (void *)((char *)*pp + next_off)) {
		if (*pp == in) {
			*pp = *(struct bpfam_inode **)((char *)in + next_off);
			return;
		}
	}
}

static void unhash_name(struct bpfam_fs *fs, struct bpfam_inode *in)
{
	uint64_t b = hash_name(in->parent, in->name) & (fs->buckets - 1);

	unchain(&fs->by_name[b], in, offsetof(struct bpfam_inode, name_next));
}

static void unhash_ino(struct bpfam_fs *fs, struct bpfam_inode *in)
{
	uint64_t b = hash_ino(in->ino) & (fs->buckets - 1);

	unchain(&fs->by_ino[b], in, offsetof(struct bpfam_inode, ino_next));
}

static int grow_tables(struct bpfam_fs *fs)
{
	struct bpfam_inode **old = fs->by_ino, **old_names = fs->by_name;
	uint64_t i, n = fs->buckets;
	struct bpfam_inode *in, *next;

	fs->by_ino = calloc(n * 2, sizeof(*fs->by_ino));
	fs->by_name = calloc(n * 2, sizeof(*fs->by_name));
	if (!fs->by_ino || !fs->by_name) {
		free(fs->by_ino);
		free(fs->by_name);
		fs->by_ino = old;
		fs->by_name = old_names;
		return -ENOMEM;
	}
	fs->buckets = n * 2;
	for (i = 0; i < n; i++) {
		for (in = old[i]; in; in = next) {
			next = in->ino_next;
			hash_insert(fs, in);
		}
	}
	free(old);
	free(old_names);
	return 0;
}

struct bpfam_inode *bpfam_fs_inode(const struct bpfam_fs *fs, uint64_t ino)
{
	struct bpfam_inode *in;

	for (in = fs->by_ino[hash_ino(ino) & (fs->buckets - 1)]; in;
	     in = in->ino_next)
		if (in->ino == ino)
			return in;
	return NULL;
}

struct bpfam_inode *bpfam_fs_lookup(const struct bpfam_fs *fs, uint64_t parent,
				    const char *name)
{
	struct bpfam_inode *in;

	for (in = fs->by_name[hash_name(parent, name) & (fs->buckets - 1)]; in;
	     in = in->name_next)
		if (in->parent == parent && !strcmp(in->name, name))
			return in;
	return NULL;
}

static int add_child(struct bpfam_inode *dir, struct bpfam_inode *in)
{
	struct bpfam_inode **c;
	uint32_t cap;

	if (dir->nchildren == dir->children_cap) {
		cap = dir->children_cap ? dir->children_cap * 2 : 8;
		c = realloc(dir->children, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		dir->children = c;
		dir->children_cap = cap;
	}
	/* Appending keeps them in inode order: a new inode takes the next
	 * number (play_mknod), and bpfam_dir_seek() relies on the order. */
	dir->children[dir->nchildren++] = in;
	return 0;
}

uint32_t bpfam_dir_seek(const struct bpfam_inode *dir, uint64_t ino)
{
	uint32_t lo = 0, hi = dir->nchildren, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dir->children[mid]->ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void remove_child(struct bpfam_inode *dir, struct bpfam_inode *in)
{
	uint32_t i = bpfam_dir_seek(dir, in->ino);

	if (i == dir->nchildren || dir->children[i] != in)
		return;
	memmove(&dir->children[i], &dir->children[i + 1],
		(dir->nchildren - i - 1) * sizeof(*dir->children));
	dir->nchildren--;
}

static void free_inode(struct bpfam_inode *in)
{
	free(in->name);
	free(in->fmap);
	free(in->children);
	bpfam_xattrs_free(in->xattrs);
	free(in);
}

static struct bpfam_inode *new_inode(uint64_t ino, const char *name)
{
	struct bpfam_inode *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->ino = ino;
	in->name = strdup(name);
	if (!in->name) {
		free(in);
		return NULL;
	}
	return in;
}

/* Link a new inode into the tables and its parent; frees it on failure. */
static int attach(struct bpfam_fs *fs, struct bpfam_inode *in,
		  struct bpfam_inode *dir)
{
	if (fs->ninodes >= fs->buckets && grow_tables(fs))
		goto nomem;
	if (dir && add_child(dir, in))
		goto nomem;
	hash_insert(fs, in);
	fs->ninodes++;
	if (S_ISDIR(in->mode))
		fs->ndirs++;
	else
		fs->nfiles++;
	if (in->ino > fs->max_ino)
		fs->max_ino = in->ino;
	return 0;
nomem:
	free_inode(in);
	return -ENOMEM;
}

static int make_root(struct bpfam_fs *fs)
{
	struct bpfam_inode *root = new_inode(BPFAM_ROOT_INO, "");

	if (!root)
		return -ENOMEM;
	root->parent = BPFAM_ROOT_INO;
	root->mode = S_IFDIR | 0755;
	root->mtime_ns = fs->sb.ctime * 1000000000ULL;
	return attach(fs, root, NULL);
}

int bpfam_fs_init(struct bpfam_fs *fs, const char *path,
		  enum bpfam_open_mode mode, struct bpfam_err *err)
{
	int rc;

	memset(fs, 0, sizeof(*fs));
	rc = bpfam_device_open(&fs->dev, path, mode, err);
	if (rc)
		return rc;
	rc = bpfam_sb_read(&fs->dev, &fs->sb, err);
	if (rc)
		goto fail;
	bpfam_log_init(&fs->log, &fs->dev, &fs->sb);
	fs->buckets = INITIAL_BUCKETS;
	fs->by_ino = calloc(fs->buckets, sizeof(*fs->by_ino));
	fs->by_name = calloc(fs->buckets, sizeof(*fs->by_name));
	if (!fs->by_ino || !fs->by_name ||
	    bpfam_alloc_init(&fs->alloc, fs->sb.data_off, fs->sb.devs[0].size) ||
	    make_root(fs)) {
		rc = bpfam_err(err, ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	return 0;
fail:
	bpfam_fs_close(fs);
	return rc;
}

int bpfam_fs_play_next(struct bpfam_fs *fs, struct bpfam_record *r,
		       struct bpfam_err *err)
{
	struct bpfam_log at = fs->log;
	int rc = bpfam_log_next(&fs->log, r, err);

	if (rc != 1)
		return rc;
	rc = bpfam_fs_play(fs, r, err);
	if (rc) {
		/* Not applied, so not consumed: the next call tries it again
		 * rather than skip it. */
		fs->log = at;
		return rc;
	}
	return 1;
}

int bpfam_fs_refresh(struct bpfam_fs *fs, uint64_t *played,
		     struct bpfam_err *err)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	uint64_t n = 0;
	int rc;

	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	while ((rc = bpfam_fs_play_next(fs, r, err)) == 1)
		n++;
	free(r);
	if (played)
		*played = n;
	return rc;
}

int bpfam_fs_load(struct bpfam_fs *fs, struct bpfam_err *err)
{
	int rc = bpfam_fs_refresh(fs, NULL, err);

	if (rc)
		return rc;
	fs->torn_bytes = bpfam_log_torn_bytes(&fs->log);
	if (!fs->torn_bytes || !fs->dev.writer)
		return 0;
	rc = bpfam_log_clear_tail(&fs->log);
	if (rc)
		return bpfam_err(err, -rc,
				 "%s: cannot clear the unfinished append at the log's end: %s",
				 fs->dev.path, strerror(-rc));
	return 0;
}

int bpfam_fs_mount(struct bpfam_fs *fs, const char *path,
		   enum bpfam_open_mode mode, struct bpfam_err *err)
{
	int rc;

	rc = bpfam_fs_init(fs, path, mode, err);
	if (rc)
		return rc;
	rc = bpfam_fs_load(fs, err);
	if (rc)
		bpfam_fs_close(fs);
	return rc;
}

void bpfam_fs_close(struct bpfam_fs *fs)
{
	struct bpfam_inode *in, *next;
	uint64_t i;

	for (i = 0; fs->by_ino && i < fs->buckets; i++) {
		for (in = fs->by_ino[i]; in; in = next) {
			next = in->ino_next;
			free_inode(in);
		}
	}
	free(fs->by_ino);
	free(fs->by_name);
	free(fs->orphans);
	fs->by_ino = fs->by_name = NULL;
	fs->orphans = NULL;
	bpfam_alloc_destroy(&fs->alloc);
	bpfam_device_close(&fs->dev);
}

void bpfam_fs_hold(struct bpfam_inode *in)
{
	in->refs++;
}

void bpfam_fs_release(struct bpfam_inode *in)
{
	if (in->refs)
		in->refs--;
}

uint64_t bpfam_fs_horizon(const struct bpfam_fs *fs)
{
	uint64_t i;

	/* Orphans are in delete order: the first one held is the oldest. */
	for (i = 0; i < fs->norphans; i++)
		if (fs->orphans[i]->refs)
			return fs->orphans[i]->del_seq;
	return fs->log.next_seq;
}

int bpfam_fs_check_sb(const struct bpfam_fs *fs, struct bpfam_err *err)
{
	const struct bpfam_sb *sb = (const struct bpfam_sb *)fs->dev.base;

	bpfam_device_invalidate(&fs->dev, sb, offsetof(struct bpfam_sb, alloc_unit));
	if (le64toh(sb->magic) == BPFAM_SB_FENCE_MAGIC)
		return bpfam_err(err, ESTALE,
				 "%s: fenced by 'bpfam mkfs --force' on some host: the filesystem mounted here is going away",
				 fs->dev.path);
	if (le64toh(sb->magic) != BPFAM_SB_MAGIC ||
	    memcmp(sb->uuid, fs->sb.uuid, sizeof(sb->uuid)) ||
	    le64toh(sb->generation) != fs->sb.generation)
		return bpfam_err(err, ESTALE,
				 "%s: the superblock changed (reformatted): the filesystem mounted here is gone",
				 fs->dev.path);
	return 0;
}

uint64_t bpfam_fs_bytes_used(const struct bpfam_fs *fs)
{
	return (fs->alloc.nunits - fs->alloc.nfree) * BPFAM_ALLOC_UNIT;
}

uint64_t bpfam_fs_bytes_free(const struct bpfam_fs *fs)
{
	return fs->alloc.nfree * BPFAM_ALLOC_UNIT;
}

/* ---- playing records -------------------------------------------------- */

#define BAD(r, fmt, ...)                                                   \
	bpfam_err(err, EBADMSG, "%s: log record %llu (%s): " fmt,          \
		  fs->dev.path, (unsigned long long)(r)->seq,              \
		  bpfam_record_type_name((r)->type), ##__VA_ARGS__)

static int play_mknod(struct bpfam_fs *fs, const struct bpfam_record *r,
		      struct bpfam_err *err)
{
	struct bpfam_inode *dir, *in;

	/* Dense numbers: readers (bpfamd's node table) index by them. */
	if (r->mknod.ino != fs->max_ino + 1)
		return BAD(r, "inode %llu is not the next inode number (%llu)",
			   (unsigned long long)r->mknod.ino,
			   (unsigned long long)fs->max_ino + 1);
	dir = bpfam_fs_inode(fs, r->mknod.parent);
	if (!dir || !S_ISDIR(dir->mode) || dir->del_seq)
		return BAD(r, "parent %llu of '%s' is not a directory",
			   (unsigned long long)r->mknod.parent, r->mknod.name);
	if (bpfam_fs_lookup(fs, r->mknod.parent, r->mknod.name))
		return BAD(r, "'%s' already exists in directory %llu",
			   r->mknod.name, (unsigned long long)r->mknod.parent);
	in = new_inode(r->mknod.ino, r->mknod.name);
	if (!in)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	in->gen = r->seq;
	in->parent = r->mknod.parent;
	in->mode = r->mknod.mode;
	in->uid = r->mknod.uid;
	in->gid = r->mknod.gid;
	in->mtime_ns = r->mknod.mtime_ns;
	if (attach(fs, in, dir))
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	return 0;
}

static int check_extents_in_device(struct bpfam_fs *fs,
				   const struct bpfam_record *r,
				   struct bpfam_err *err)
{
	const struct bpfam_fmap *m = &r->fmap.map;
	const struct bpfam_extent *e;
	uint32_t i;

	for (i = 0; i < m->nr; i++) {
		e = &m->ext[i];
		if (e->dev >= fs->sb.ndevs)
			return BAD(r, "inode %llu extent %u is on device %u, the filesystem has %u",
				   (unsigned long long)r->fmap.ino, i, e->dev,
				   fs->sb.ndevs);
		if (e->dev_off < fs->sb.data_off ||
		    e->dev_off + e->len > fs->sb.devs[e->dev].size)
			return BAD(r, "inode %llu extent %u [%llu, +%llu) is outside the data area [%llu, %llu)",
				   (unsigned long long)r->fmap.ino, i,
				   (unsigned long long)e->dev_off,
				   (unsigned long long)e->len,
				   (unsigned long long)fs->sb.data_off,
				   (unsigned long long)fs->sb.devs[e->dev].size);
	}
	return 0;
}

static int play_fmap(struct bpfam_fs *fs, const struct bpfam_record *r,
		     struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->fmap.ino);
	uint32_t bad;
	int rc;

	if (!in || !S_ISREG(in->mode))
		return BAD(r, "inode %llu is not a file",
			   (unsigned long long)r->fmap.ino);
	if (in->fmap)
		return BAD(r, "inode %llu ('%s') already has its size",
			   (unsigned long long)in->ino, in->name);
	rc = check_extents_in_device(fs, r, err);
	if (rc)
		return rc;
	rc = bpfam_alloc_reserve_fmap(&fs->alloc, &r->fmap.map, &bad);
	if (rc)
		return BAD(r, "inode %llu ('%s') extent %u overlaps space already allocated to another file",
			   (unsigned long long)in->ino, in->name, bad);
	in->fmap = malloc(BPFAM_FMAP_BYTES(r->fmap.map.nr));
	if (!in->fmap) {
		bpfam_alloc_release_fmap(&fs->alloc, &r->fmap.map);
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	}
	memcpy(in->fmap, &r->fmap.map, BPFAM_FMAP_BYTES(r->fmap.map.nr));
	in->fmap->gen = in->gen;
	/* Sized after its unlink (ftruncate of an open file): it waits too. */
	if (in->del_seq)
		fs->pending_bytes += bpfam_alloc_fmap_bytes(in->fmap);
	return 0;
}

static int play_setattr(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->setattr.ino);

	if (!in)
		return BAD(r, "inode %llu does not exist",
			   (unsigned long long)r->setattr.ino);
	if (r->setattr.valid & BPFAM_ATTR_MODE)
		in->mode = (in->mode & S_IFMT) | r->setattr.mode;
	if (r->setattr.valid & BPFAM_ATTR_UID)
		in->uid = r->setattr.uid;
	if (r->setattr.valid & BPFAM_ATTR_GID)
		in->gid = r->setattr.gid;
	if (r->setattr.valid & BPFAM_ATTR_MTIME)
		in->mtime_ns = r->setattr.mtime_ns;
	return 0;
}

static int add_orphan(struct bpfam_fs *fs, struct bpfam_inode *in)
{
	struct bpfam_inode **o;
	uint64_t cap;

	if (fs->norphans == fs->orphans_cap) {
		cap = fs->orphans_cap ? fs->orphans_cap * 2 : 64;
		o = realloc(fs->orphans, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		fs->orphans = o;
		fs->orphans_cap = cap;
	}
	fs->orphans[fs->norphans++] = in;
	return 0;
}

static int play_delete(struct bpfam_fs *fs, const struct bpfam_record *r,
		       struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->del.ino);
	struct bpfam_inode *dir;

	if (!in || in->del_seq || in->ino == BPFAM_ROOT_INO)
		return BAD(r, "inode %llu is not a linked file or directory",
			   (unsigned long long)r->del.ino);
	if (in->parent != r->del.parent)
		return BAD(r, "inode %llu ('%s') is in directory %llu, not %llu",
			   (unsigned long long)in->ino, in->name,
			   (unsigned long long)in->parent,
			   (unsigned long long)r->del.parent);
	if (S_ISDIR(in->mode) && in->nchildren)
		return BAD(r, "directory %llu ('%s') is not empty",
			   (unsigned long long)in->ino, in->name);
	if (add_orphan(fs, in))
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	dir = bpfam_fs_inode(fs, in->parent);
	if (dir)
		remove_child(dir, in);
	unhash_name(fs, in);
	in->del_seq = r->seq;
	fs->pending_bytes += bpfam_alloc_fmap_bytes(in->fmap);
	if (S_ISDIR(in->mode))
		fs->ndirs--;
	else
		fs->nfiles--;
	return 0;
}

static int play_reclaim(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err)
{
	uint64_t upto = r->reclaim.upto, i, n, bytes;
	struct bpfam_inode *in;

	if (upto <= fs->reclaimed_upto || upto > r->seq)
		return BAD(r, "reclaims up to %llu, not between the last reclaim (%llu) and itself",
			   (unsigned long long)upto,
			   (unsigned long long)fs->reclaimed_upto);
	for (n = 0; n < fs->norphans && fs->orphans[n]->del_seq < upto; n++) {
		in = fs->orphans[n];
		/* The gate let it go, so every host promised not to hold it:
		 * a host that does was evicted while alive. */
		if (in->refs)
			return bpfam_err(err, ESTALE,
					 "%s: log record %llu reclaims the space of '%s' (inode %llu), which this host still holds: this host was evicted",
					 fs->dev.path, (unsigned long long)r->seq,
					 in->name, (unsigned long long)in->ino);
	}
	for (i = 0; i < n; i++) {
		in = fs->orphans[i];
		bytes = bpfam_alloc_fmap_bytes(in->fmap);
		if (in->fmap)
			bpfam_alloc_release_fmap(&fs->alloc, in->fmap);
		fs->pending_bytes -= bytes;
		fs->reclaimed_bytes += bytes;
		unhash_ino(fs, in);
		fs->ninodes--;
		free_inode(in);
	}
	/* No arithmetic on orphans before the first delete allocates it. */
	if (n)
		memmove(fs->orphans, fs->orphans + n,
			(fs->norphans - n) * sizeof(*fs->orphans));
	fs->norphans -= n;
	fs->reclaimed_upto = upto;
	return 0;
}

/* A second fmap for a file is a resize, which only POSIX logs have. */
static bool is_resize(const struct bpfam_fs *fs, const struct bpfam_record *r)
{
	const struct bpfam_inode *in;

	if (r->type != BPFAM_REC_FMAP)
		return false;
	in = bpfam_fs_inode(fs, r->fmap.ino);
	return in && in->fmap;
}

int bpfam_fs_play(struct bpfam_fs *fs, const struct bpfam_record *r,
		  struct bpfam_err *err)
{
	if (!(fs->sb.incompat & BPFAM_INCOMPAT_POSIX) &&
	    bpfam_record_needs_posix(r, is_resize(fs, r)))
		return BAD(r, "needs the POSIX feature, which the superblock does not have");
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return play_mknod(fs, r, err);
	case BPFAM_REC_FMAP:
		return play_fmap(fs, r, err);
	case BPFAM_REC_SETATTR:
		return play_setattr(fs, r, err);
	case BPFAM_REC_DELETE:
		return play_delete(fs, r, err);
	case BPFAM_REC_RECLAIM:
		return play_reclaim(fs, r, err);
	case BPFAM_REC_XATTR:
		return bpfam_fs_play_xattr(fs, r, err);
	}
	/* The rule for new types (bpfam/format.h): optional ones are skipped. */
	if (r->flags & BPFAM_REC_F_OPTIONAL)
		return 0;
	return BAD(r, "unknown type %u", r->type);
}

/* ---- the metadata writer ---------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * A filesystem made before POSIX records existed gets the feature bit
 * before its first such record, so that hosts which would misread the log
 * refuse to mount it.  One superblock write: the CRC covers the bit.
 */
static int set_posix(struct bpfam_fs *fs, struct bpfam_err *err)
{
	struct bpfam_sb_info sb = fs->sb;
	int rc;

	sb.incompat |= BPFAM_INCOMPAT_POSIX;
	bpfam_sb_encode(&sb, (struct bpfam_sb *)fs->dev.base);
	rc = bpfam_device_flush(&fs->dev, fs->dev.base, BPFAM_SB_SIZE);
	if (rc)
		return bpfam_err(err, -rc,
				 "%s: cannot set the POSIX feature in the superblock: %s",
				 fs->dev.path, strerror(-rc));
	fs->sb = sb;
	return 0;
}

/*
 * Append @r and play it; both must succeed for the caller to reply.  The
 * callers checked @r against the namespace, so playing it can only fail
 * for want of memory; but the record is on the device by then, and a
 * namespace that lacks it would hand out its inode number or its extents
 * again.  So after such a failure every later commit is refused, until the
 * log is played afresh (a remount), which brings the record in.  A record
 * sealed but perhaps not durable (the append's -EIO with the log unsure)
 * is played too, so memory matches the log, and the caller is told EIO.
 */
static int commit(struct bpfam_fs *fs, struct bpfam_record *r,
		  struct bpfam_err *err)
{
	int rc, played;

	if (fs->behind_log)
		return bpfam_err(err, EIO,
				 "%s: metadata in memory is behind the log after an earlier failure; remount to play it",
				 fs->dev.path);
	/* Never append to a log that is no longer this filesystem's. */
	rc = bpfam_fs_check_sb(fs, err);
	if (rc)
		return rc;
	if (!(fs->sb.incompat & BPFAM_INCOMPAT_POSIX) &&
	    bpfam_record_needs_posix(r, is_resize(fs, r))) {
		rc = set_posix(fs, err);
		if (rc)
			return rc;
	}
	rc = bpfam_log_append(&fs->log, r, err);
	if (rc && !(rc == -EIO && bpfam_log_unsure(&fs->log) &&
		    r->seq == fs->log.next_seq - 1))
		return rc;
	played = bpfam_fs_play(fs, r, rc ? NULL : err);
	fs->behind_log = played != 0;
	return rc ? rc : played;
}

int bpfam_fs_mknod(struct bpfam_fs *fs, uint64_t parent, const char *name,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   struct bpfam_inode **out, struct bpfam_err *err)
{
	struct bpfam_inode *dir = bpfam_fs_inode(fs, parent);
	size_t len = strlen(name);
	struct bpfam_record *r;
	int rc;

	if (!dir || dir->del_seq)
		return bpfam_err(err, ENOENT, "directory inode %llu: no such inode",
				 (unsigned long long)parent);
	if (!S_ISDIR(dir->mode))
		return bpfam_err(err, ENOTDIR, "'%s': not a directory",
				 dir->name);
	if (len > BPFAM_NAME_MAX)
		return bpfam_err(err, ENAMETOOLONG,
				 "'%.32s...': name longer than %u bytes", name,
				 BPFAM_NAME_MAX);
	if (!bpfam_name_valid(name, len))
		return bpfam_err(err, EINVAL, "'%s': invalid name", name);
	if (!S_ISREG(mode) && !S_ISDIR(mode))
		return bpfam_err(err, EINVAL,
				 "'%s': only files and directories can be made",
				 name);
	if (bpfam_fs_lookup(fs, parent, name))
		return bpfam_err(err, EEXIST, "'%s': already exists", name);
	r = calloc(1, sizeof(*r));
	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	r->type = BPFAM_REC_MKNOD;
	r->mknod.ino = fs->max_ino + 1;
	r->mknod.parent = parent;
	r->mknod.mode = mode & (S_IFMT | 07777);
	r->mknod.uid = uid;
	r->mknod.gid = gid;
	r->mknod.mtime_ns = now_ns();
	r->mknod.name_len = (uint32_t)len;
	memcpy(r->mknod.name, name, len);
	rc = commit(fs, r, err);
	if (!rc && out)
		*out = bpfam_fs_inode(fs, r->mknod.ino);
	free(r);
	return rc;
}

static int allocate(struct bpfam_fs *fs, const struct bpfam_inode *in,
		    uint64_t size, uint32_t strips, uint64_t chunk,
		    struct bpfam_fmap *m, struct bpfam_err *err)
{
	char a[32], b[32];
	int rc;

	if (strips)
		rc = bpfam_alloc_interleaved(&fs->alloc, size, strips, chunk, m);
	else
		rc = bpfam_alloc_simple(&fs->alloc, size, m);
	if (rc == -EINVAL)
		return bpfam_err(err, EINVAL,
				 "'%s': cannot interleave over %u strips of %llu-byte chunks (1..%u strips, chunk a multiple of 2 MiB up to 1 GiB)",
				 in->name, strips, (unsigned long long)chunk,
				 BPFAM_MAX_STRIPS);
	if (rc)
		return bpfam_err(err, ENOSPC,
				 "'%s': no room for %s (%s free%s)", in->name,
				 bpfam_fmt_size(size, a),
				 bpfam_fmt_size(bpfam_fs_bytes_free(fs), b),
				 strips ? " in contiguous strips" :
					  ", or too fragmented");
	/* The log replays the reservation: give it back until then. */
	bpfam_alloc_release_fmap(&fs->alloc, m);
	return 0;
}

int bpfam_fs_set_size(struct bpfam_fs *fs, uint64_t ino, uint64_t size,
		      uint32_t strips, uint64_t chunk, struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	struct bpfam_record *r;
	int rc;

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!S_ISREG(in->mode))
		return bpfam_err(err, EISDIR, "'%s': not a regular file",
				 in->name);
	if (in->fmap)
		return bpfam_err(err, EPERM,
				 "'%s': size is already set (%llu bytes); bpfam files are sized once",
				 in->name, (unsigned long long)in->fmap->size);
	if (!size)
		return bpfam_err(err, EINVAL, "'%s': size must be above zero",
				 in->name);
	r = calloc(1, sizeof(*r));
	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	r->type = BPFAM_REC_FMAP;
	r->fmap.ino = ino;
	rc = allocate(fs, in, size, strips, chunk, &r->fmap.map, err);
	if (!rc)
		rc = commit(fs, r, err);
	free(r);
	return rc;
}

int bpfam_fs_setattr(struct bpfam_fs *fs, uint64_t ino, uint32_t valid,
		     uint32_t mode, uint32_t uid, uint32_t gid,
		     uint64_t mtime_ns, struct bpfam_err *err)
{
	struct bpfam_record r = { .type = BPFAM_REC_SETATTR };

	if (!bpfam_fs_inode(fs, ino))
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!valid || valid & ~BPFAM_ATTR_KNOWN)
		return bpfam_err(err, EINVAL, "inode %llu: attribute mask 0x%x",
				 (unsigned long long)ino, valid);
	r.setattr.ino = ino;
	r.setattr.valid = valid;
	r.setattr.mode = mode & 07777;
	r.setattr.uid = uid;
	r.setattr.gid = gid;
	r.setattr.mtime_ns = mtime_ns;
	return commit(fs, &r, err);
}

int bpfam_fs_delete(struct bpfam_fs *fs, uint64_t parent, const char *name,
		    bool dir, struct bpfam_err *err)
{
	struct bpfam_record r = { .type = BPFAM_REC_DELETE };
	struct bpfam_inode *d = bpfam_fs_inode(fs, parent), *in;
	size_t len = strlen(name);

	if (!d || d->del_seq)
		return bpfam_err(err, ENOENT, "directory inode %llu: no such inode",
				 (unsigned long long)parent);
	if (!S_ISDIR(d->mode))
		return bpfam_err(err, ENOTDIR, "'%s': not a directory", d->name);
	if (len > BPFAM_NAME_MAX)
		return bpfam_err(err, ENAMETOOLONG,
				 "'%.32s...': name longer than %u bytes", name,
				 BPFAM_NAME_MAX);
	if (len == 1 && name[0] == '.')
		return bpfam_err(err, EINVAL, "'.': cannot remove");
	if (len == 2 && !strcmp(name, ".."))
		return bpfam_err(err, ENOTEMPTY, "'..': cannot remove");
	in = bpfam_fs_lookup(fs, parent, name);
	if (!in)
		return bpfam_err(err, ENOENT, "'%s': no such file or directory",
				 name);
	if (dir && !S_ISDIR(in->mode))
		return bpfam_err(err, ENOTDIR, "'%s': not a directory", name);
	if (!dir && S_ISDIR(in->mode))
		return bpfam_err(err, EISDIR, "'%s': is a directory", name);
	if (in->nchildren)
		return bpfam_err(err, ENOTEMPTY, "'%s': directory not empty",
				 name);
	r.del.ino = in->ino;
	r.del.parent = parent;
	return commit(fs, &r, err);
}

int bpfam_fs_reclaim(struct bpfam_fs *fs, uint64_t gate,
		     struct bpfam_err *err)
{
	struct bpfam_record r = { .type = BPFAM_REC_RECLAIM };
	int rc;

	/* This host's own holds count too: a reclaim it logged but could not
	 * play (-ESTALE) would stop every later commit.  The horizon is at
	 * most the next record, which caps the gate for every orphan. */
	if (gate > bpfam_fs_horizon(fs))
		gate = bpfam_fs_horizon(fs);
	if (!fs->norphans || fs->orphans[0]->del_seq >= gate ||
	    gate <= fs->reclaimed_upto)
		return 0;
	r.reclaim.upto = gate;
	rc = commit(fs, &r, err);
	return rc ? rc : 1;
}

int bpfam_fs_commit(struct bpfam_fs *fs, struct bpfam_record *r,
		    struct bpfam_err *err)
{
	return commit(fs, r, err);
}
