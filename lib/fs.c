// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "bpfam/resolve.h"
#include "clock.h"
#include "fs.h"
#include "units.h"
#include "xattrs.h"

#define INITIAL_BUCKETS 1024

/* Inodes per chunk of the inode table (fs.h). */
#define INODE_CHUNK_SHIFT 10
#define INODE_CHUNK	  (1ULL << INODE_CHUNK_SHIFT)

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

static void hash_insert_name(struct bpfam_fs *fs, struct bpfam_dentry *de)
{
	uint64_t b = hash_name(de->parent, de->name) & (fs->buckets - 1);

	de->hash_next = fs->by_name[b];
	fs->by_name[b] = de;
}

static void unhash_name(struct bpfam_fs *fs, struct bpfam_dentry *de)
{
	uint64_t b = hash_name(de->parent, de->name) & (fs->buckets - 1);
	struct bpfam_dentry **pp;

	for (pp = &fs->by_name[b]; *pp; pp = &(*pp)->hash_next) {
		if (*pp == de) {
			*pp = de->hash_next;
			return;
		}
	}
}

struct bpfam_inode *bpfam_fs_inode(const struct bpfam_fs *fs, uint64_t ino)
{
	uint64_t c = ino >> INODE_CHUNK_SHIFT;
	struct bpfam_inode *in;

	if (c >= fs->nchunks || !fs->chunks[c])
		return NULL;
	in = &fs->chunks[c][ino & (INODE_CHUNK - 1)];
	/* A free slot is all zeros, and no inode is number 0. */
	return in->ino ? in : NULL;
}

/*
 * The slot of inode @ino, its chunk allocated (zeroed); NULL when out of
 * memory.  The chunk directory doubles; chunks never move.
 */
static struct bpfam_inode *inode_slot(struct bpfam_fs *fs, uint64_t ino)
{
	uint64_t c = ino >> INODE_CHUNK_SHIFT;
	struct bpfam_inode **v;

	v = bpfam_array_reach(fs->chunks, &fs->nchunks, c, sizeof(*v), 16);
	if (!v)
		return NULL;
	fs->chunks = v;
	if (!fs->chunks[c])
		fs->chunks[c] = calloc(INODE_CHUNK, sizeof(**fs->chunks));
	return fs->chunks[c] ? &fs->chunks[c][ino & (INODE_CHUNK - 1)] : NULL;
}

/*
 * Double the name table, rehashing every name: each is a child of a
 * linked directory.
 */
static int grow_names(struct bpfam_fs *fs)
{
	struct bpfam_dentry **old = fs->by_name;
	uint64_t ino, n = fs->buckets;
	struct bpfam_inode *in;
	uint32_t c;

	fs->by_name = calloc(n * 2, sizeof(*fs->by_name));
	if (!fs->by_name) {
		fs->by_name = old;
		return -ENOMEM;
	}
	fs->buckets = n * 2;
	for (ino = BPFAM_ROOT_INO; ino <= fs->max_ino; ino++) {
		in = bpfam_fs_inode(fs, ino);
		for (c = 0; in && c < in->nchildren; c++)
			hash_insert_name(fs, in->children[c]);
	}
	free(old);
	return 0;
}

/* Room in the name table for one more name. */
static int reserve_name(struct bpfam_fs *fs)
{
	if (fs->ndentries < fs->buckets)
		return 0;
	return grow_names(fs);
}

struct bpfam_dentry *bpfam_fs_dentry(const struct bpfam_fs *fs,
				     uint64_t parent, const char *name)
{
	struct bpfam_dentry *de;

	for (de = fs->by_name[hash_name(parent, name) & (fs->buckets - 1)]; de;
	     de = de->hash_next)
		if (de->parent == parent && !strcmp(de->name, name))
			return de;
	return NULL;
}

struct bpfam_inode *bpfam_fs_lookup(const struct bpfam_fs *fs, uint64_t parent,
				    const char *name)
{
	struct bpfam_dentry *de = bpfam_fs_dentry(fs, parent, name);

	return de ? de->inode : NULL;
}

/* Bytes of a dentry for @name. */
static size_t dentry_bytes(const char *name)
{
	return offsetof(struct bpfam_dentry, name) + strlen(name) + 1;
}

static struct bpfam_dentry *new_dentry(struct bpfam_fs *fs, const char *name,
				       uint64_t seq)
{
	struct bpfam_dentry *de = bpfam_slab_alloc(&fs->slab,
						   dentry_bytes(name));

	if (!de)
		return NULL;
	de->seq = seq;
	strcpy(de->name, name);
	return de;
}

static void free_dentry(struct bpfam_fs *fs, struct bpfam_dentry *de)
{
	if (de)
		bpfam_slab_free(&fs->slab, de, dentry_bytes(de->name));
}

static void free_fmap(struct bpfam_fs *fs, struct bpfam_fmap *m)
{
	if (m)
		bpfam_slab_free(&fs->slab, m, BPFAM_FMAP_BYTES(m->nr));
}

/* Room in @dir's children for one more. */
static int reserve_child(struct bpfam_inode *dir)
{
	struct bpfam_dentry **c;
	uint32_t cap;

	if (dir->nchildren < dir->children_cap)
		return 0;
	if (dir->children_cap > UINT32_MAX / 2)
		return -ENOMEM;
	cap = dir->children_cap ? dir->children_cap * 2 : 8;
	c = realloc(dir->children, cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	dir->children = c;
	dir->children_cap = cap;
	return 0;
}

uint32_t bpfam_dir_seek(const struct bpfam_inode *dir, uint64_t seq)
{
	uint32_t lo = 0, hi = dir->nchildren, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dir->children[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void remove_child(struct bpfam_inode *dir, struct bpfam_dentry *de)
{
	uint32_t i = bpfam_dir_seek(dir, de->seq);

	if (i == dir->nchildren || dir->children[i] != de)
		return;
	memmove(&dir->children[i], &dir->children[i + 1],
		(dir->nchildren - i - 1) * sizeof(*dir->children));
	dir->nchildren--;
}

/* @de becomes one of @in's names, the one messages use. */
static void alias_add(struct bpfam_inode *in, struct bpfam_dentry *de)
{
	de->inode = in;
	de->alias_next = in->names;
	in->names = de;
	in->parent = de->parent;
}

/* @de is no longer one of @in's names; the parent of the last stays (an
 * unlinked inode keeps it, and its last name as `gone`). */
static void alias_del(struct bpfam_inode *in, struct bpfam_dentry *de)
{
	struct bpfam_dentry **pp;

	for (pp = &in->names; *pp; pp = &(*pp)->alias_next) {
		if (*pp == de) {
			*pp = de->alias_next;
			break;
		}
	}
	de->alias_next = NULL;
	if (in->names)
		in->parent = in->names->parent;
}

/*
 * @in takes the name @de in @dir, the record @de->seq being the latest:
 * it goes at the end of the children, room for which the caller reserved
 * (reserve_child(), reserve_name()).
 */
static void name_add(struct bpfam_fs *fs, struct bpfam_inode *dir,
		     struct bpfam_dentry *de, struct bpfam_inode *in)
{
	de->parent = dir->ino;
	hash_insert_name(fs, de);
	dir->children[dir->nchildren++] = de;
	fs->ndentries++;
	alias_add(in, de);
	if (S_ISDIR(in->mode))
		dir->nlink++;
	else
		in->nlink++;
}

/*
 * The name @de goes.  True when it was its inode's last: @de is then kept
 * as the inode's `gone` (its name for messages), else freed.
 */
static bool name_del(struct bpfam_fs *fs, struct bpfam_dentry *de)
{
	struct bpfam_inode *dir = bpfam_fs_inode(fs, de->parent);
	struct bpfam_inode *in = de->inode;

	unhash_name(fs, de);
	if (dir) {
		remove_child(dir, de);
		if (S_ISDIR(in->mode))
			dir->nlink--;
	}
	fs->ndentries--;
	alias_del(in, de);
	if (!S_ISDIR(in->mode))
		in->nlink--;
	if (in->names) {
		free_dentry(fs, de);
		return false;
	}
	free_dentry(fs, in->gone);
	in->gone = de;
	return true;
}

/* What @in owns, and its slot: free for good (numbers are not reused). */
static void free_inode(struct bpfam_fs *fs, struct bpfam_inode *in)
{
	free_dentry(fs, in->gone);
	free(in->target);
	free_fmap(fs, in->fmap);
	free(in->children);
	bpfam_xattrs_free(in->xattrs);
	memset(in, 0, sizeof(*in));
}

/* Inode @ino, in its slot of the table; NULL when out of memory. */
static struct bpfam_inode *new_inode(struct bpfam_fs *fs, uint64_t ino)
{
	struct bpfam_inode *in = inode_slot(fs, ino);

	if (!in)
		return NULL;
	in->ino = ino;
	return in;
}

/*
 * Count a new inode in and, named @de, link it into @dir (the root:
 * neither); frees both on failure.
 */
static int attach(struct bpfam_fs *fs, struct bpfam_inode *in,
		  struct bpfam_inode *dir, struct bpfam_dentry *de)
{
	if (dir && (reserve_name(fs) || reserve_child(dir))) {
		free_dentry(fs, de);
		free_inode(fs, in);
		return -ENOMEM;
	}
	if (dir)
		name_add(fs, dir, de, in);
	fs->ninodes++;
	if (S_ISDIR(in->mode))
		fs->ndirs++;
	else
		fs->nfiles++;
	if (in->ino > fs->max_ino)
		fs->max_ino = in->ino;
	return 0;
}

static int make_root(struct bpfam_fs *fs)
{
	struct bpfam_inode *root = new_inode(fs, BPFAM_ROOT_INO);

	if (!root)
		return -ENOMEM;
	root->parent = BPFAM_ROOT_INO;
	root->mode = S_IFDIR | 0755;
	root->nlink = 2;
	root->mtime_ns = fs->sb.ctime * 1000000000ULL;
	root->ctime_ns = root->atime_ns = root->mtime_ns;
	return attach(fs, root, NULL, NULL);
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
	fs->by_name = calloc(fs->buckets, sizeof(*fs->by_name));
	if (!fs->by_name ||
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
	struct bpfam_inode *in;
	uint64_t i, j;
	uint32_t c;

	for (i = 0; i < fs->nchunks; i++) {
		for (j = 0; fs->chunks[i] && j < INODE_CHUNK; j++) {
			in = &fs->chunks[i][j];
			for (c = 0; c < in->nchildren; c++)
				free_dentry(fs, in->children[c]);
			free_inode(fs, in);
		}
		free(fs->chunks[i]);
	}
	free(fs->chunks);
	fs->chunks = NULL;
	fs->nchunks = 0;
	free(fs->by_name);
	free(fs->orphans);
	free(fs->dirty);
	fs->dirty = NULL;
	fs->ndirty = 0;
	for (i = 0; i < fs->ntails; i++)
		free(fs->tails[i].ext);
	free(fs->tails);
	fs->by_name = NULL;
	fs->orphans = NULL;
	fs->tails = NULL;
	fs->ntails = 0;
	bpfam_slab_destroy(&fs->slab);
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
	uint64_t i, h = fs->log.next_seq;

	/* Both lists are in record order: the first one held is the
	 * oldest of its list. */
	for (i = 0; i < fs->norphans; i++) {
		if (fs->orphans[i]->refs) {
			h = fs->orphans[i]->del_seq;
			break;
		}
	}
	for (i = 0; i < fs->ntails && fs->tails[i].seq < h; i++)
		if (fs->tails[i].held)
			return fs->tails[i].seq;
	return h;
}

void bpfam_fs_let_go(struct bpfam_fs *fs, uint64_t upto)
{
	uint64_t i;

	for (i = 0; i < fs->ntails && fs->tails[i].seq < upto; i++)
		fs->tails[i].held = false;
}

bool bpfam_fs_pending(const struct bpfam_fs *fs)
{
	return fs->norphans || fs->ntails;
}

/* The sequence number of the oldest space waiting for the gate. */
static uint64_t oldest_pending(const struct bpfam_fs *fs)
{
	uint64_t o = UINT64_MAX;

	if (fs->norphans)
		o = fs->orphans[0]->del_seq;
	if (fs->ntails && fs->tails[0].seq < o)
		o = fs->tails[0].seq;
	return o;
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

/* A name-changing record's time: the directory's mtime and ctime. */
static void dir_changed(struct bpfam_inode *dir, uint64_t time_ns)
{
	dir->mtime_ns = time_ns;
	dir->ctime_ns = time_ns;
}

/* The directory in which @r gives the free name @name, or NULL (@err). */
static struct bpfam_inode *free_name(struct bpfam_fs *fs,
				     const struct bpfam_record *r,
				     uint64_t parent, const char *name,
				     struct bpfam_err *err)
{
	struct bpfam_inode *dir = bpfam_fs_inode(fs, parent);

	if (!dir || !S_ISDIR(dir->mode) || dir->del_seq) {
		BAD(r, "parent %llu of '%s' is not a directory",
		    (unsigned long long)parent, name);
		return NULL;
	}
	if (bpfam_fs_dentry(fs, parent, name)) {
		BAD(r, "'%s' already exists in directory %llu", name,
		    (unsigned long long)parent);
		return NULL;
	}
	return dir;
}

static int play_mknod(struct bpfam_fs *fs, const struct bpfam_record *r,
		      struct bpfam_err *err)
{
	struct bpfam_inode *dir, *in;
	struct bpfam_dentry *de;

	/* Dense numbers: readers (bpfamd's node table) index by them. */
	if (r->mknod.ino != fs->max_ino + 1)
		return BAD(r, "inode %llu is not the next inode number (%llu)",
			   (unsigned long long)r->mknod.ino,
			   (unsigned long long)fs->max_ino + 1);
	dir = free_name(fs, r, r->mknod.parent, r->mknod.name, err);
	if (!dir)
		return -EBADMSG;
	in = new_inode(fs, r->mknod.ino);
	de = new_dentry(fs, r->mknod.name, r->seq);
	if (in && r->mknod.target_len)
		in->target = strdup(r->mknod.target);
	if (!in || !de || (r->mknod.target_len && !in->target)) {
		free_dentry(fs, de);
		if (in)
			free_inode(fs, in);
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	}
	in->gen = r->seq;
	in->mode = r->mknod.mode;
	in->uid = r->mknod.uid;
	in->gid = r->mknod.gid;
	in->rdev = r->mknod.rdev;
	in->mtime_ns = r->mknod.mtime_ns;
	in->atime_ns = r->mknod.mtime_ns;
	in->ctime_ns = r->mknod.mtime_ns;
	if (S_ISDIR(in->mode))
		in->nlink = 2;
	if (attach(fs, in, dir, de))
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	dir_changed(dir, r->mknod.mtime_ns);
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

/* Bytes of @nr extents. */
static uint64_t ext_bytes(const struct bpfam_extent *e, uint32_t nr)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < nr; i++)
		sum += e[i].len;
	return sum;
}

/*
 * The parts of @old's extents that @new does not hold, into @out (room for
 * old->nr + new->nr: each of new's extents splits at most one piece in
 * two).  Returns how many.
 */
static uint32_t dropped(const struct bpfam_fmap *old, const struct bpfam_fmap *new,
			struct bpfam_extent *out)
{
	uint32_t i, j, k, n = 0, first;
	uint64_t a, b, c, e;

	for (i = 0; i < old->nr; i++) {
		first = n;
		out[n++] = old->ext[i];
		for (j = 0; new && j < new->nr; j++) {
			for (k = first; k < n; k++) {
				a = out[k].dev_off;
				b = a + out[k].len;
				c = new->ext[j].dev_off;
				e = c + new->ext[j].len;
				if (new->ext[j].dev != out[k].dev || e <= a ||
				    c >= b)
					continue;
				/* Cut [c, e) out of [a, b): keep [a, c), and
				 * [e, b) as a new piece. */
				if (c > a && e < b) {
					out[n] = out[k];
					out[n].dev_off = e;
					out[n++].len = b - e;
				} else if (c <= a && e < b) {
					out[k].dev_off = e;
					out[k].len = b - e;
					continue;
				}
				out[k].len = c > a ? c - a : 0;
			}
		}
		/* Drop the pieces cut to nothing. */
		for (k = j = first; k < n; k++)
			if (out[k].len)
				out[j++] = out[k];
		n = j;
	}
	return n;
}

static int add_tail(struct bpfam_fs *fs, const struct bpfam_tail *t)
{
	struct bpfam_tail *v;
	uint64_t cap;

	if (fs->ntails == fs->tails_cap) {
		cap = fs->tails_cap ? fs->tails_cap * 2 : 16;
		v = realloc(fs->tails, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fs->tails = v;
		fs->tails_cap = cap;
	}
	fs->tails[fs->ntails++] = *t;
	return 0;
}

/*
 * A file's fmap replaced: the first sizing, or (POSIX) a resize.  Nothing
 * changes unless all of it can: memory first, then the free map.
 */
static int play_fmap(struct bpfam_fs *fs, const struct bpfam_record *r,
		     struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->fmap.ino);
	const struct bpfam_fmap *m = &r->fmap.map;
	struct bpfam_tail t = {.seq = r->seq, .ino = r->fmap.ino};
	struct bpfam_fmap *new = NULL, *old;
	uint64_t old_bytes;
	uint32_t bad;
	int rc;

	if (!in || !S_ISREG(in->mode))
		return BAD(r, "inode %llu is not a file",
			   (unsigned long long)r->fmap.ino);
	old = in->fmap;
	if (old && !(fs->sb.incompat & BPFAM_INCOMPAT_POSIX))
		return BAD(r, "inode %llu ('%s') already has its size",
			   (unsigned long long)in->ino, bpfam_inode_name(in));
	rc = check_extents_in_device(fs, r, err);
	if (rc)
		return rc;
	if (m->nr) {
		new = bpfam_slab_alloc(&fs->slab, BPFAM_FMAP_BYTES(m->nr));
		if (!new)
			goto nomem;
		memcpy(new, m, BPFAM_FMAP_BYTES(m->nr));
		new->gen = in->gen;
	}
	if (old) {
		t.ext = malloc((old->nr + m->nr) * sizeof(*t.ext));
		if (!t.ext)
			goto nomem;
		t.nr = dropped(old, new, t.ext);
		t.held = fs->hold_tails;
		bpfam_alloc_release_fmap(&fs->alloc, old);
	}
	rc = bpfam_alloc_reserve_fmap(&fs->alloc, m, &bad);
	if (rc) {
		if (old)
			bpfam_alloc_reserve_fmap(&fs->alloc, old, NULL);
		free_fmap(fs, new);
		free(t.ext);
		return BAD(r, "inode %llu ('%s') extent %u overlaps space already allocated to another file",
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   bad);
	}
	if (t.nr && add_tail(fs, &t)) {
		bpfam_alloc_release_fmap(&fs->alloc, m);
		bpfam_alloc_reserve_fmap(&fs->alloc, old, NULL);
		goto nomem;
	}
	/* Still the file's until the gate passes them. */
	for (bad = 0; bad < t.nr; bad++)
		bpfam_alloc_reserve(&fs->alloc, t.ext[bad].dev_off,
				    t.ext[bad].len);
	if (!t.nr)
		free(t.ext);
	old_bytes = bpfam_alloc_fmap_bytes(old);
	fs->pending_bytes += ext_bytes(t.ext, t.nr);
	/* An unlinked file's own extents wait too (ftruncate or a write
	 * of a file still open after its unlink). */
	if (in->del_seq)
		fs->pending_bytes += bpfam_alloc_fmap_bytes(new) - old_bytes;
	free_fmap(fs, old);
	in->fmap = new;
	return 0;
nomem:
	free_fmap(fs, new);
	free(t.ext);
	return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
}

static int play_setattr(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->setattr.ino);

	if (!in)
		return BAD(r, "inode %llu does not exist",
			   (unsigned long long)r->setattr.ino);
	if (r->setattr.valid & BPFAM_ATTR_SIZE &&
	    (!S_ISREG(in->mode) ||
	     r->setattr.size > bpfam_alloc_fmap_bytes(in->fmap)))
		return BAD(r, "size %llu of inode %llu ('%s') is past its extents (%llu bytes)",
			   (unsigned long long)r->setattr.size,
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   (unsigned long long)bpfam_alloc_fmap_bytes(in->fmap));
	if (r->setattr.valid & BPFAM_ATTR_MODE)
		in->mode = (in->mode & S_IFMT) | r->setattr.mode;
	if (r->setattr.valid & BPFAM_ATTR_UID)
		in->uid = r->setattr.uid;
	if (r->setattr.valid & BPFAM_ATTR_GID)
		in->gid = r->setattr.gid;
	if (r->setattr.valid & BPFAM_ATTR_SIZE && in->fmap)
		in->fmap->size = r->setattr.size;
	if (r->setattr.valid & BPFAM_ATTR_MTIME)
		in->mtime_ns = r->setattr.mtime_ns;
	if (r->setattr.valid & BPFAM_ATTR_ATIME)
		in->atime_ns = r->setattr.atime_ns;
	if (r->setattr.valid & BPFAM_ATTR_CTIME)
		in->ctime_ns = r->setattr.ctime_ns;
	return 0;
}

/* Room in the orphans for one more. */
static int reserve_orphan(struct bpfam_fs *fs)
{
	struct bpfam_inode **o;
	uint64_t cap;

	if (fs->norphans < fs->orphans_cap)
		return 0;
	cap = fs->orphans_cap ? fs->orphans_cap * 2 : 64;
	o = realloc(fs->orphans, cap * sizeof(*o));
	if (!o)
		return -ENOMEM;
	fs->orphans = o;
	fs->orphans_cap = cap;
	return 0;
}

/* Whether taking @de away unlinks its inode: its last name. */
static bool last_name(const struct bpfam_dentry *de)
{
	return !de->inode->names->alias_next;
}

/*
 * The name @de goes by record @seq; an inode that had no other becomes an
 * orphan, its space waiting for the reclaim gate (room in the orphans
 * reserved when last_name()).
 */
static void unname(struct bpfam_fs *fs, struct bpfam_dentry *de, uint64_t seq)
{
	struct bpfam_inode *in = de->inode;

	if (!name_del(fs, de))
		return;
	fs->orphans[fs->norphans++] = in;
	in->del_seq = seq;
	in->nlink = 0;
	fs->pending_bytes += bpfam_alloc_fmap_bytes(in->fmap);
	if (S_ISDIR(in->mode))
		fs->ndirs--;
	else
		fs->nfiles--;
}

/* DELETE, of logs before UNLINK: the inode's only name goes. */
static int play_delete(struct bpfam_fs *fs, const struct bpfam_record *r,
		       struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->del.ino);

	if (!in || in->del_seq || in->ino == BPFAM_ROOT_INO)
		return BAD(r, "inode %llu is not a linked file or directory",
			   (unsigned long long)r->del.ino);
	if (in->parent != r->del.parent)
		return BAD(r, "inode %llu ('%s') is in directory %llu, not %llu",
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   (unsigned long long)in->parent,
			   (unsigned long long)r->del.parent);
	if (in->names->alias_next)
		return BAD(r, "inode %llu ('%s') has %u names: a delete is for a file's only one",
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   in->nlink);
	if (S_ISDIR(in->mode) && in->nchildren)
		return BAD(r, "directory %llu ('%s') is not empty",
			   (unsigned long long)in->ino, bpfam_inode_name(in));
	if (reserve_orphan(fs))
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	unname(fs, in->names, r->seq);
	return 0;
}

static int play_unlink(struct bpfam_fs *fs, const struct bpfam_record *r,
		       struct bpfam_err *err)
{
	struct bpfam_dentry *de = bpfam_fs_dentry(fs, r->link.parent,
						  r->link.name);
	struct bpfam_inode *in, *dir;

	if (!de || de->inode->ino != r->link.ino)
		return BAD(r, "'%s' in directory %llu is not inode %llu",
			   r->link.name, (unsigned long long)r->link.parent,
			   (unsigned long long)r->link.ino);
	in = de->inode;
	if (S_ISDIR(in->mode) && in->nchildren)
		return BAD(r, "directory %llu ('%s') is not empty",
			   (unsigned long long)in->ino, bpfam_inode_name(in));
	if (last_name(de) && reserve_orphan(fs))
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	dir = bpfam_fs_inode(fs, r->link.parent);
	unname(fs, de, r->seq);
	dir_changed(dir, r->link.time_ns);
	in->ctime_ns = r->link.time_ns;
	return 0;
}

static int play_link(struct bpfam_fs *fs, const struct bpfam_record *r,
		     struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->link.ino), *dir;
	struct bpfam_dentry *de;

	if (!in || in->del_seq)
		return BAD(r, "inode %llu is not a linked file",
			   (unsigned long long)r->link.ino);
	if (S_ISDIR(in->mode))
		return BAD(r, "inode %llu ('%s') is a directory",
			   (unsigned long long)in->ino, bpfam_inode_name(in));
	if (in->nlink >= BPFAM_LINK_MAX)
		return BAD(r, "inode %llu ('%s') has %u names, the most a file may have",
			   (unsigned long long)in->ino, bpfam_inode_name(in),
			   in->nlink);
	dir = free_name(fs, r, r->link.parent, r->link.name, err);
	if (!dir)
		return -EBADMSG;
	de = new_dentry(fs, r->link.name, r->seq);
	if (!de || reserve_name(fs) || reserve_child(dir)) {
		free_dentry(fs, de);
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	}
	name_add(fs, dir, de, in);
	dir_changed(dir, r->link.time_ns);
	in->ctime_ns = r->link.time_ns;
	return 0;
}

/* Whether directory @ino is @top or below it. */
static bool within(const struct bpfam_fs *fs, const struct bpfam_inode *top,
		   uint64_t ino)
{
	const struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	uint64_t steps;

	/* Parents lead to the root (playing allows no cycle); bounded all
	 * the same. */
	for (steps = 0; in && steps <= fs->ninodes; steps++) {
		if (in == top)
			return true;
		if (in->ino == BPFAM_ROOT_INO)
			return false;
		in = bpfam_fs_inode(fs, in->parent);
	}
	return false;
}

/* RENAME_EXCHANGE: the names @a and @b stay where they are (and keep their
 * readdir places); their inodes swap. */
static void swap_names(struct bpfam_fs *fs, struct bpfam_dentry *a,
		       struct bpfam_dentry *b)
{
	struct bpfam_inode *x = a->inode, *y = b->inode;
	struct bpfam_inode *adir = bpfam_fs_inode(fs, a->parent);
	struct bpfam_inode *bdir = bpfam_fs_inode(fs, b->parent);

	alias_del(x, a);
	alias_del(y, b);
	alias_add(y, a);
	alias_add(x, b);
	if (adir == bdir)
		return;
	if (S_ISDIR(x->mode)) {
		adir->nlink--;
		bdir->nlink++;
	}
	if (S_ISDIR(y->mode)) {
		bdir->nlink--;
		adir->nlink++;
	}
}

static const char *type_word(uint32_t mode)
{
	return S_ISDIR(mode) ? "directory" : "file";
}

/* Everything a rename needs of the namespace, before anything changes. */
static int check_rename(struct bpfam_fs *fs, const struct bpfam_record *r,
			const struct bpfam_dentry *src,
			const struct bpfam_dentry *dst, struct bpfam_err *err)
{
	bool exchange = r->rename.flags & BPFAM_RENAME_EXCHANGE;
	const struct bpfam_inode *in, *victim, *ddir;

	if (!src || src->inode->ino != r->rename.ino)
		return BAD(r, "'%s' in directory %llu is not inode %llu",
			   r->rename.src_name,
			   (unsigned long long)r->rename.src_parent,
			   (unsigned long long)r->rename.ino);
	if (dst ? dst->inode->ino != r->rename.victim : r->rename.victim != 0)
		return BAD(r, "'%s' in directory %llu is inode %llu, not %llu",
			   r->rename.dst_name,
			   (unsigned long long)r->rename.dst_parent,
			   (unsigned long long)(dst ? dst->inode->ino : 0),
			   (unsigned long long)r->rename.victim);
	ddir = bpfam_fs_inode(fs, r->rename.dst_parent);
	if (!ddir || !S_ISDIR(ddir->mode) || ddir->del_seq)
		return BAD(r, "target directory %llu of '%s' is not a directory",
			   (unsigned long long)r->rename.dst_parent,
			   r->rename.dst_name);
	in = src->inode;
	victim = dst ? dst->inode : NULL;
	if (victim == in) /* the decoder refuses it; never trust that here */
		return BAD(r, "'%s' over itself", r->rename.src_name);
	if (S_ISDIR(in->mode) && within(fs, in, r->rename.dst_parent))
		return BAD(r, "moves directory %llu ('%s') into itself",
			   (unsigned long long)in->ino, bpfam_inode_name(in));
	if (exchange && S_ISDIR(victim->mode) &&
	    within(fs, victim, r->rename.src_parent))
		return BAD(r, "moves directory %llu ('%s') into itself",
			   (unsigned long long)victim->ino,
			   bpfam_inode_name(victim));
	if (exchange || !victim)
		return 0;
	if (S_ISDIR(in->mode) != S_ISDIR(victim->mode))
		return BAD(r, "replaces %s %llu ('%s') with a %s",
			   type_word(victim->mode),
			   (unsigned long long)victim->ino,
			   bpfam_inode_name(victim),
			   type_word(in->mode));
	if (S_ISDIR(victim->mode) && victim->nchildren)
		return BAD(r, "directory %llu ('%s') it replaces is not empty",
			   (unsigned long long)victim->ino,
			   bpfam_inode_name(victim));
	return 0;
}

static int play_rename(struct bpfam_fs *fs, const struct bpfam_record *r,
		       struct bpfam_err *err)
{
	struct bpfam_dentry *src, *dst, *de;
	struct bpfam_inode *in, *victim, *sdir, *ddir;
	uint64_t t = r->rename.time_ns;
	int rc;

	src = bpfam_fs_dentry(fs, r->rename.src_parent, r->rename.src_name);
	dst = bpfam_fs_dentry(fs, r->rename.dst_parent, r->rename.dst_name);
	rc = check_rename(fs, r, src, dst, err);
	if (rc)
		return rc;
	in = src->inode;
	victim = dst ? dst->inode : NULL;
	/* Names are only in linked directories. */
	sdir = bpfam_fs_inode(fs, r->rename.src_parent);
	ddir = bpfam_fs_inode(fs, r->rename.dst_parent);
	if (r->rename.flags & BPFAM_RENAME_EXCHANGE) {
		swap_names(fs, src, dst);
	} else {
		de = new_dentry(fs, r->rename.dst_name, r->seq);
		if (!de || reserve_name(fs) || reserve_child(ddir) ||
		    (dst && last_name(dst) && reserve_orphan(fs))) {
			free_dentry(fs, de);
			return bpfam_err(err, ENOMEM, "%s: out of memory",
					 fs->dev.path);
		}
		if (dst)
			unname(fs, dst, r->seq);
		/* The new name first: the inode is never without one. */
		name_add(fs, ddir, de, in);
		name_del(fs, src);
	}
	dir_changed(sdir, t);
	dir_changed(ddir, t);
	in->ctime_ns = t;
	if (victim)
		victim->ctime_ns = t;
	return 0;
}

static int play_reclaim(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err)
{
	uint64_t upto = r->reclaim.upto, i, n, t, bytes;
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
					 bpfam_inode_name(in),
					 (unsigned long long)in->ino);
	}
	for (t = 0; t < fs->ntails && fs->tails[t].seq < upto; t++)
		if (fs->tails[t].held)
			return bpfam_err(err, ESTALE,
					 "%s: log record %llu reclaims space dropped from inode %llu, which this host may still reach: this host was evicted",
					 fs->dev.path, (unsigned long long)r->seq,
					 (unsigned long long)fs->tails[t].ino);
	for (i = 0; i < t; i++) {
		bytes = ext_bytes(fs->tails[i].ext, fs->tails[i].nr);
		while (fs->tails[i].nr--)
			bpfam_alloc_release(&fs->alloc,
					    fs->tails[i].ext[fs->tails[i].nr].dev_off,
					    fs->tails[i].ext[fs->tails[i].nr].len);
		free(fs->tails[i].ext);
		fs->pending_bytes -= bytes;
		fs->reclaimed_bytes += bytes;
	}
	if (t)
		memmove(fs->tails, fs->tails + t,
			(fs->ntails - t) * sizeof(*fs->tails));
	fs->ntails -= t;
	for (i = 0; i < n; i++) {
		in = fs->orphans[i];
		bytes = bpfam_alloc_fmap_bytes(in->fmap);
		if (in->fmap)
			bpfam_alloc_release_fmap(&fs->alloc, in->fmap);
		fs->pending_bytes -= bytes;
		fs->reclaimed_bytes += bytes;
		fs->ninodes--;
		free_inode(fs, in);
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

static int play(struct bpfam_fs *fs, const struct bpfam_record *r,
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
	case BPFAM_REC_RENAME:
		return play_rename(fs, r, err);
	case BPFAM_REC_LINK:
		return play_link(fs, r, err);
	case BPFAM_REC_UNLINK:
		return play_unlink(fs, r, err);
	case BPFAM_REC_XATTR:
		return bpfam_fs_play_xattr(fs, r, err);
	}
	/* The rule for new types (bpfam/format.h): optional ones are skipped. */
	if (r->flags & BPFAM_REC_F_OPTIONAL)
		return 0;
	return BAD(r, "unknown type %u", r->type);
}

int bpfam_fs_play(struct bpfam_fs *fs, const struct bpfam_record *r,
		  struct bpfam_err *err)
{
	int rc;

	if (fs->exclude)
		fs->exclude(fs, true);
	rc = play(fs, r, err);
	if (fs->exclude)
		fs->exclude(fs, false);
	return rc;
}

/* ---- the metadata writer ---------------------------------------------- */

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

/* @parent is a linked directory, in which @name is a valid name. */
static int check_dir_name(struct bpfam_fs *fs, uint64_t parent,
			  const char *name, struct bpfam_err *err)
{
	const struct bpfam_inode *dir = bpfam_fs_inode(fs, parent);
	size_t len = strlen(name);

	if (!dir || dir->del_seq)
		return bpfam_err(err, ENOENT, "directory inode %llu: no such inode",
				 (unsigned long long)parent);
	if (!S_ISDIR(dir->mode))
		return bpfam_err(err, ENOTDIR, "'%s': not a directory",
				 bpfam_inode_name(dir));
	if (len > BPFAM_NAME_MAX)
		return bpfam_err(err, ENAMETOOLONG,
				 "'%.32s...': name longer than %u bytes", name,
				 BPFAM_NAME_MAX);
	if (!bpfam_name_valid(name, len))
		return bpfam_err(err, EINVAL, "'%s': invalid name", name);
	return 0;
}

/* The type, device number and target of a new inode. */
static int check_make(const char *name, uint32_t mode, uint64_t rdev,
		      const char *target, struct bpfam_err *err)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFCHR:
	case S_IFBLK:
		if (rdev > UINT32_MAX)
			return bpfam_err(err, EINVAL,
					 "'%s': device number 0x%llx does not fit 32 bits",
					 name, (unsigned long long)rdev);
		return 0;
	case S_IFLNK:
		if (!target || !*target)
			return bpfam_err(err, ENOENT,
					 "'%s': a symlink needs a target", name);
		if (strlen(target) >= BPFAM_PATH_MAX)
			return bpfam_err(err, ENAMETOOLONG,
					 "'%s': symlink target longer than %u bytes",
					 name, BPFAM_PATH_MAX - 1);
		return 0;
	}
	return bpfam_err(err, EINVAL, "'%s': unknown file type in mode 0%o",
			 name, mode);
}

int bpfam_fs_make(struct bpfam_fs *fs, uint64_t parent, const char *name,
		  uint32_t mode, uint64_t rdev, const char *target,
		  uint32_t uid, uint32_t gid, struct bpfam_inode **out,
		  struct bpfam_err *err)
{
	struct bpfam_record *r;
	int rc;

	rc = check_dir_name(fs, parent, name, err);
	if (!rc)
		rc = check_make(name, mode, rdev, target, err);
	if (rc)
		return rc;
	if (bpfam_fs_dentry(fs, parent, name))
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
	r->mknod.mtime_ns = bpfam_now_ns();
	r->mknod.name_len = (uint32_t)strlen(name);
	memcpy(r->mknod.name, name, r->mknod.name_len);
	if (S_ISCHR(mode) || S_ISBLK(mode))
		r->mknod.rdev = (uint32_t)rdev;
	if (S_ISLNK(mode)) {
		r->mknod.target_len = (uint32_t)strlen(target);
		memcpy(r->mknod.target, target, r->mknod.target_len);
	}
	rc = commit(fs, r, err);
	if (!rc && out)
		*out = bpfam_fs_inode(fs, r->mknod.ino);
	free(r);
	return rc;
}

int bpfam_fs_mknod(struct bpfam_fs *fs, uint64_t parent, const char *name,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   struct bpfam_inode **out, struct bpfam_err *err)
{
	return bpfam_fs_make(fs, parent, name, mode, 0, NULL, uid, gid, out,
			     err);
}

/*
 * Zero file bytes [from, to) through @m, inside its extents, to the media:
 * what a file gains reads as zeros, never as what a deleted file left.
 */
static int zero(struct bpfam_fs *fs, const char *name,
		const struct bpfam_fmap *m, uint64_t from, uint64_t to,
		struct bpfam_err *err)
{
	struct bpfam_run run = {0};
	uint64_t len;
	void *p;
	int rc;

	for (; from < to; from += len) {
		/* As if the size were @to already: this is what exposes it. */
		rc = bpfam_resolve_size(m, to, from, &run);
		if (rc || run.dev_off + run.len > fs->dev.size)
			return bpfam_err(err, EIO,
					 "'%s': cannot zero file offset %llu: %s",
					 name, (unsigned long long)from,
					 strerror(rc ? -rc : ERANGE));
		len = run.len < to - from ? run.len : to - from;
		if (fs->store_zeros) {
			rc = fs->store_zeros(fs, run.dev_off, len);
		} else {
			p = fs->dev.base + run.dev_off;
			memset(p, 0, len);
			rc = bpfam_device_flush(&fs->dev, p, len);
		}
		if (rc)
			return bpfam_err(err, -rc,
					 "'%s': cannot zero file offset %llu: %s",
					 name, (unsigned long long)from,
					 strerror(-rc));
	}
	return 0;
}

/*
 * Hosts map a file's last page whole: the bytes past the size in it must
 * be zeros too.  The largest page size of a host that maps these files.
 */
#define ZERO_GRAIN (64ULL << 10)

/* @x rounded up to a multiple of @align, a power of two. */
static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/*
 * Zero file bytes [from, to) of @in, and those up to the grain after @to,
 * skipping what is known zero already (bpfam_inode.zero_end).
 */
static int zero_past(struct bpfam_fs *fs, struct bpfam_inode *in,
		     uint64_t from, uint64_t to, struct bpfam_err *err)
{
	uint64_t cap = bpfam_alloc_fmap_bytes(in->fmap);
	uint64_t end = align_up(to, ZERO_GRAIN) < cap ? align_up(to, ZERO_GRAIN) :
						       cap;
	int rc = 0;

	if (in->zero_end > from)
		from = in->zero_end;
	if (from < end)
		rc = zero(fs, bpfam_inode_name(in), in->fmap, from, end, err);
	if (!rc && end > in->zero_end)
		in->zero_end = end;
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
				 bpfam_inode_name(in), strips,
				 (unsigned long long)chunk,
				 BPFAM_MAX_STRIPS);
	if (rc)
		return bpfam_err(err, ENOSPC,
				 "'%s': no room for %s (%s free%s)",
				 bpfam_inode_name(in),
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
				 bpfam_inode_name(in));
	if (in->fmap)
		return bpfam_err(err, EPERM,
				 "'%s': already sized (%llu bytes): a layout shapes only the first sizing",
				 bpfam_inode_name(in),
				 (unsigned long long)in->fmap->size);
	if (!size)
		return bpfam_err(err, EINVAL, "'%s': size must be above zero",
				 bpfam_inode_name(in));
	r = calloc(1, sizeof(*r));
	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	r->type = BPFAM_REC_FMAP;
	r->fmap.ino = ino;
	rc = allocate(fs, in, size, strips, chunk, &r->fmap.map, err);
	if (!rc)
		rc = zero(fs, bpfam_inode_name(in), &r->fmap.map, 0,
			  align_up(size, ZERO_GRAIN) <
					  bpfam_alloc_fmap_bytes(&r->fmap.map) ?
				  align_up(size, ZERO_GRAIN) :
				  bpfam_alloc_fmap_bytes(&r->fmap.map),
			  err);
	if (!rc)
		rc = commit(fs, r, err);
	free(r);
	return rc;
}

int bpfam_fs_setattr(struct bpfam_fs *fs, uint64_t ino, uint32_t valid,
		     const struct bpfam_attrs *a, struct bpfam_err *err)
{
	struct bpfam_record r = { .type = BPFAM_REC_SETATTR };

	if (!bpfam_fs_inode(fs, ino))
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!valid || valid & ~BPFAM_ATTR_KNOWN || valid & BPFAM_ATTR_SIZE)
		return bpfam_err(err, EINVAL, "inode %llu: attribute mask 0x%x",
				 (unsigned long long)ino, valid);
	if (valid & (BPFAM_ATTR_MODE | BPFAM_ATTR_UID | BPFAM_ATTR_GID) &&
	    a->ctime_ns && (fs->sb.incompat & BPFAM_INCOMPAT_POSIX))
		valid |= BPFAM_ATTR_CTIME;
	r.setattr.ino = ino;
	r.setattr.valid = valid;
	r.setattr.mode = a->mode & 07777;
	r.setattr.uid = a->uid;
	r.setattr.gid = a->gid;
	r.setattr.mtime_ns = a->mtime_ns;
	r.setattr.atime_ns = a->atime_ns;
	r.setattr.ctime_ns = a->ctime_ns;
	return commit(fs, &r, err);
}

/* ---- sizes that change ------------------------------------------------ */

uint64_t bpfam_fs_max_size(const struct bpfam_fs *fs)
{
	return fs->alloc.nunits * BPFAM_ALLOC_UNIT;
}

/* The regular file @ino in *@out, or -errno. */
static int regular(struct bpfam_fs *fs, uint64_t ino, struct bpfam_inode **out,
		   struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, ino);

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!S_ISREG(in->mode))
		return bpfam_err(err, S_ISDIR(in->mode) ? EISDIR : EINVAL,
				 "'%s': not a regular file",
				 bpfam_inode_name(in));
	*out = in;
	return 0;
}

static uint64_t size_of(const struct bpfam_inode *in)
{
	return in->fmap ? in->fmap->size : 0;
}

/* An interleaved file's strips cannot grow or shorten one by one. */
static int keeps_size(const struct bpfam_inode *in, struct bpfam_err *err)
{
	return bpfam_err(err, EPERM,
			 "'%s': an interleaved file keeps the size it was given (%llu bytes), or goes to 0",
			 bpfam_inode_name(in), (unsigned long long)size_of(in));
}

/* Log @m (size and extents) as @in's fmap. */
static int log_fmap(struct bpfam_fs *fs, const struct bpfam_inode *in,
		    const struct bpfam_fmap *m, struct bpfam_err *err)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	memset(r, 0, offsetof(struct bpfam_record, fmap.map.ext));
	r->type = BPFAM_REC_FMAP;
	r->fmap.ino = in->ino;
	memcpy(&r->fmap.map, m, BPFAM_FMAP_BYTES(m->nr));
	rc = commit(fs, r, err);
	free(r);
	return rc;
}

/* @in's fmap, or an empty simple one, in @m (room for every extent). */
static void fmap_of(const struct bpfam_inode *in, struct bpfam_fmap *m)
{
	if (in->fmap) {
		memcpy(m, in->fmap, BPFAM_FMAP_BYTES(in->fmap->nr));
		return;
	}
	memset(m, 0, offsetof(struct bpfam_fmap, ext));
	m->version = BPFAM_FMAP_VERSION;
	m->kind = BPFAM_FMAP_SIMPLE;
}

/*
 * Make @in's extents hold @need bytes, and @extra more when they fit:
 * one fmap record.  The size stays as it is.
 */
static int grow(struct bpfam_fs *fs, struct bpfam_inode *in, uint64_t need,
		uint64_t extra, struct bpfam_err *err)
{
	uint64_t have = bpfam_alloc_fmap_bytes(in->fmap), want;
	struct bpfam_fmap *m;
	char a[32], b[32];
	int rc;

	if (have >= need)
		return 0;
	if (in->fmap && in->fmap->kind != BPFAM_FMAP_SIMPLE)
		return keeps_size(in, err);
	m = malloc(sizeof(*m));
	if (!m)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	fmap_of(in, m);
	want = align_up(need + extra, BPFAM_ALLOC_UNIT);
	rc = bpfam_alloc_extend(&fs->alloc, m, want - have);
	if (rc == -ENOSPC && extra) {
		want = align_up(need, BPFAM_ALLOC_UNIT);
		rc = bpfam_alloc_extend(&fs->alloc, m, want - have);
	}
	if (rc) {
		free(m);
		return bpfam_err(err, ENOSPC,
				 "'%s': no room to grow to %s (%s free, or too fragmented)",
				 bpfam_inode_name(in), bpfam_fmt_size(need, a),
				 bpfam_fmt_size(bpfam_fs_bytes_free(fs), b));
	}
	/* Playing the record reserves them: give them back until then. */
	bpfam_alloc_release_fmap(&fs->alloc, m);
	if (in->fmap)
		bpfam_alloc_reserve_fmap(&fs->alloc, in->fmap, NULL);
	rc = log_fmap(fs, in, m, err);
	free(m);
	return rc;
}

/* Keep only the extents that hold the first @keep bytes; size @size. */
static int shrink(struct bpfam_fs *fs, struct bpfam_inode *in, uint64_t keep,
		  uint64_t size, struct bpfam_err *err)
{
	uint64_t at = 0;
	struct bpfam_fmap *m;
	uint32_t i;
	int rc;

	keep = align_up(keep, BPFAM_ALLOC_UNIT);
	if (keep >= bpfam_alloc_fmap_bytes(in->fmap))
		return 1;
	m = malloc(sizeof(*m));
	if (!m)
		return bpfam_err(err, ENOMEM, "%s: out of memory", fs->dev.path);
	fmap_of(in, m);
	if (m->kind != BPFAM_FMAP_SIMPLE) {
		/* Only to nothing: strips cannot shorten one by one. */
		fmap_of(&(struct bpfam_inode){0}, m);
		keep = 0;
	}
	for (i = 0; i < m->nr && at < keep; i++) {
		if (m->ext[i].len > keep - at)
			m->ext[i].len = keep - at;
		at += m->ext[i].len;
	}
	m->nr = keep ? i : 0;
	m->size = size;
	rc = log_fmap(fs, in, m, err);
	free(m);
	/* Extents it gets later are not known zero. */
	if (!rc && in->zero_end > keep)
		in->zero_end = keep;
	return rc;
}

/* Size @size (with BPFAM_ATTR_SIZE in @valid), mtime and ctime @time_ns. */
static int log_size(struct bpfam_fs *fs, struct bpfam_inode *in, uint32_t valid,
		    uint64_t size, uint64_t time_ns, struct bpfam_err *err)
{
	struct bpfam_record r = { .type = BPFAM_REC_SETATTR };
	int rc;

	r.setattr.ino = in->ino;
	r.setattr.valid = valid | BPFAM_ATTR_MTIME | BPFAM_ATTR_CTIME;
	r.setattr.size = size;
	r.setattr.mtime_ns = time_ns;
	r.setattr.ctime_ns = time_ns;
	rc = commit(fs, &r, err);
	if (!rc)
		in->dirty = false;
	return rc;
}

int bpfam_fs_resize(struct bpfam_fs *fs, uint64_t ino, uint64_t size,
		    uint64_t time_ns, struct bpfam_err *err)
{
	struct bpfam_inode *in;
	uint64_t old;
	char a[32];
	int rc;

	rc = regular(fs, ino, &in, err);
	if (rc)
		return rc;
	old = size_of(in);
	if (size > bpfam_fs_max_size(fs))
		return bpfam_err(err, EFBIG,
				 "'%s': %llu bytes is more than the filesystem holds (%s)",
				 bpfam_inode_name(in), (unsigned long long)size,
				 bpfam_fmt_size(bpfam_fs_max_size(fs), a));
	if (in->fmap && in->fmap->kind != BPFAM_FMAP_SIMPLE && size &&
	    size != old)
		return keeps_size(in, err);
	if (size < old) {
		rc = shrink(fs, in, size, size, err);
		if (rc < 0)
			return rc;
		rc = log_size(fs, in, rc ? BPFAM_ATTR_SIZE : 0, size, time_ns,
			      err);
		/* What stays of the file past its new end reads as zeros,
		 * as a local filesystem's partial last page does. */
		in->zero_end = 0;
		if (!rc && in->fmap)
			rc = zero_past(fs, in, size, size, err);
		return rc;
	}
	rc = grow(fs, in, size, 0, err);
	if (!rc && size > old)
		rc = zero_past(fs, in, old, size, err);
	if (rc)
		return rc;
	return log_size(fs, in, BPFAM_ATTR_SIZE, size, time_ns, err);
}

int bpfam_fs_write_begin(struct bpfam_fs *fs, uint64_t ino, uint64_t off,
			 uint64_t end, struct bpfam_err *err)
{
	struct bpfam_inode *in;
	uint64_t have, size, from;
	int rc;

	rc = regular(fs, ino, &in, err);
	if (rc)
		return rc;
	if (end > bpfam_fs_max_size(fs))
		return bpfam_err(err, EFBIG,
				 "'%s': a write to offset %llu is past the largest file",
				 bpfam_inode_name(in), (unsigned long long)end);
	size = size_of(in);
	if (in->fmap && in->fmap->kind != BPFAM_FMAP_SIMPLE && end > size)
		return keeps_size(in, err);
	have = bpfam_alloc_fmap_bytes(in->fmap);
	/* Double what it has, up to 1 GiB at a time. */
	rc = grow(fs, in, end, have < (1ULL << 30) ? have : 1ULL << 30, err);
	/* The gap before the data, and the rest of its last page after. */
	from = in->zero_end > size ? in->zero_end : size;
	if (!rc && from < off)
		rc = zero(fs, bpfam_inode_name(in), in->fmap, from, off, err);
	if (!rc)
		rc = zero_past(fs, in, end, end, err);
	return rc;
}

void bpfam_fs_wrote(struct bpfam_fs *fs, struct bpfam_inode *in, uint64_t end,
		    uint64_t time_ns)
{
	uint64_t *v, cap;

	if (fs->exclude)
		fs->exclude(fs, true);
	/* Never past the extents, whatever a caller raced with. */
	if (in->fmap && end > in->fmap->size &&
	    end <= bpfam_alloc_fmap_bytes(in->fmap))
		in->fmap->size = end;
	in->mtime_ns = in->ctime_ns = time_ns;
	if (fs->exclude)
		fs->exclude(fs, false);
	if (in->dirty)
		return;
	in->dirty = true;
	if (fs->ndirty == fs->dirty_cap) {
		cap = fs->dirty_cap ? fs->dirty_cap * 2 : 64;
		v = realloc(fs->dirty, cap * sizeof(*v));
		/* Without room it waits for its close or fsync. */
		if (!v)
			return;
		fs->dirty = v;
		fs->dirty_cap = cap;
	}
	fs->dirty[fs->ndirty++] = in->ino;
}

int bpfam_fs_sync_all(struct bpfam_fs *fs, struct bpfam_err *err)
{
	uint64_t i, n = fs->ndirty;
	int rc, first = 0;

	/* What fails stays listed, for the next call. */
	fs->ndirty = 0;
	for (i = 0; i < n; i++) {
		rc = bpfam_fs_sync(fs, fs->dirty[i], first ? NULL : err);
		if (rc)
			fs->dirty[fs->ndirty++] = fs->dirty[i];
		if (rc && !first)
			first = rc;
	}
	return first;
}

int bpfam_fs_sync(struct bpfam_fs *fs, uint64_t ino, struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, ino);

	if (!in || !in->dirty)
		return 0;
	return log_size(fs, in, BPFAM_ATTR_SIZE, size_of(in), in->mtime_ns,
			err);
}

int bpfam_fs_reserve(struct bpfam_fs *fs, uint64_t ino, uint64_t keep,
		     struct bpfam_err *err)
{
	struct bpfam_inode *in;
	int rc;

	rc = regular(fs, ino, &in, err);
	if (rc)
		return rc;
	if (keep > bpfam_fs_max_size(fs))
		return bpfam_err(err, EFBIG, "'%s': %llu bytes is past the largest file",
				 bpfam_inode_name(in),
				 (unsigned long long)keep);
	return grow(fs, in, keep, 0, err);
}

int bpfam_fs_trim(struct bpfam_fs *fs, uint64_t ino, uint64_t keep,
		  struct bpfam_err *err)
{
	struct bpfam_inode *in;
	uint64_t size;
	int rc;

	rc = regular(fs, ino, &in, err);
	if (rc)
		return rc;
	size = size_of(in);
	if (!in->fmap || in->fmap->kind != BPFAM_FMAP_SIMPLE)
		return 0;
	rc = shrink(fs, in, keep > size ? keep : size, size, err);
	return rc > 0 ? 0 : rc;
}

int bpfam_fs_delete(struct bpfam_fs *fs, uint64_t parent, const char *name,
		    bool dir, struct bpfam_err *err)
{
	struct bpfam_inode *d = bpfam_fs_inode(fs, parent), *in;
	size_t len = strlen(name);
	struct bpfam_record r;

	if (!d || d->del_seq)
		return bpfam_err(err, ENOENT, "directory inode %llu: no such inode",
				 (unsigned long long)parent);
	if (!S_ISDIR(d->mode))
		return bpfam_err(err, ENOTDIR, "'%s': not a directory",
				 bpfam_inode_name(d));
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
	memset(&r, 0, sizeof(r));
	/* A filesystem without POSIX records has no hard links, so a
	 * delete, which older hosts can play, says the same. */
	if (!(fs->sb.incompat & BPFAM_INCOMPAT_POSIX)) {
		r.type = BPFAM_REC_DELETE;
		r.del.ino = in->ino;
		r.del.parent = parent;
		return commit(fs, &r, err);
	}
	r.type = BPFAM_REC_UNLINK;
	r.link.ino = in->ino;
	r.link.parent = parent;
	r.link.time_ns = bpfam_now_ns();
	r.link.name_len = (uint32_t)len;
	memcpy(r.link.name, name, len);
	return commit(fs, &r, err);
}

int bpfam_fs_link(struct bpfam_fs *fs, uint64_t ino, uint64_t parent,
		  const char *name, struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	struct bpfam_record r;
	int rc;

	if (!in || in->del_seq)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	rc = check_dir_name(fs, parent, name, err);
	if (rc)
		return rc;
	if (S_ISDIR(in->mode))
		return bpfam_err(err, EPERM,
				 "'%s': a directory has one name only",
				 bpfam_inode_name(in));
	if (bpfam_fs_dentry(fs, parent, name))
		return bpfam_err(err, EEXIST, "'%s': already exists", name);
	if (in->nlink >= BPFAM_LINK_MAX)
		return bpfam_err(err, EMLINK, "'%s': %u names already",
				 bpfam_inode_name(in), in->nlink);
	memset(&r, 0, sizeof(r));
	r.type = BPFAM_REC_LINK;
	r.link.ino = ino;
	r.link.parent = parent;
	r.link.time_ns = bpfam_now_ns();
	r.link.name_len = (uint32_t)strlen(name);
	memcpy(r.link.name, name, r.link.name_len);
	return commit(fs, &r, err);
}

/* A name in a linked directory to rename from or to: -ENOENT, -ENOTDIR,
 * -ENAMETOOLONG, -EINVAL ("." and ".." too). */
static int rename_end(struct bpfam_fs *fs, uint64_t parent, const char *name,
		      struct bpfam_dentry **de, struct bpfam_err *err)
{
	int rc = check_dir_name(fs, parent, name, err);

	if (rc)
		return rc;
	*de = bpfam_fs_dentry(fs, parent, name);
	return 0;
}

int bpfam_fs_rename(struct bpfam_fs *fs, uint64_t src_parent,
		    const char *src_name, uint64_t dst_parent,
		    const char *dst_name, unsigned int flags,
		    struct bpfam_err *err)
{
	bool exchange = flags & RENAME_EXCHANGE;
	struct bpfam_inode *in, *victim;
	struct bpfam_dentry *src, *dst;
	struct bpfam_record r;
	int rc;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (exchange && flags & RENAME_NOREPLACE))
		return bpfam_err(err, EINVAL, "'%s': rename flags 0x%x",
				 src_name, flags);
	rc = rename_end(fs, src_parent, src_name, &src, err);
	if (!rc)
		rc = rename_end(fs, dst_parent, dst_name, &dst, err);
	if (rc)
		return rc;
	if (!src)
		return bpfam_err(err, ENOENT, "'%s': no such file or directory",
				 src_name);
	if (exchange && !dst)
		return bpfam_err(err, ENOENT,
				 "'%s': no such file or directory to exchange with",
				 dst_name);
	if (dst && flags & RENAME_NOREPLACE)
		return bpfam_err(err, EEXIST, "'%s': already exists", dst_name);
	in = src->inode;
	victim = dst ? dst->inode : NULL;
	/* POSIX: two names of one file (or one name twice) stay as they
	 * are, and the rename succeeds. */
	if (victim == in)
		return 0;
	if (S_ISDIR(in->mode) && within(fs, in, dst_parent))
		return bpfam_err(err, EINVAL,
				 "'%s': cannot move a directory into itself",
				 src_name);
	if (exchange && S_ISDIR(victim->mode) && within(fs, victim, src_parent))
		return bpfam_err(err, EINVAL,
				 "'%s': cannot move a directory into itself",
				 dst_name);
	if (victim && !exchange) {
		if (S_ISDIR(in->mode) && !S_ISDIR(victim->mode))
			return bpfam_err(err, ENOTDIR, "'%s': not a directory",
					 dst_name);
		if (!S_ISDIR(in->mode) && S_ISDIR(victim->mode))
			return bpfam_err(err, EISDIR, "'%s': is a directory",
					 dst_name);
		if (victim->nchildren)
			return bpfam_err(err, ENOTEMPTY,
					 "'%s': directory not empty", dst_name);
	}
	memset(&r, 0, sizeof(r));
	r.type = BPFAM_REC_RENAME;
	r.rename.src_parent = src_parent;
	r.rename.dst_parent = dst_parent;
	r.rename.ino = in->ino;
	r.rename.victim = victim ? victim->ino : 0;
	r.rename.time_ns = bpfam_now_ns();
	r.rename.flags = exchange ? BPFAM_RENAME_EXCHANGE : 0;
	r.rename.src_len = (uint32_t)strlen(src_name);
	r.rename.dst_len = (uint32_t)strlen(dst_name);
	memcpy(r.rename.src_name, src_name, r.rename.src_len);
	memcpy(r.rename.dst_name, dst_name, r.rename.dst_len);
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
	if (oldest_pending(fs) >= gate || gate <= fs->reclaimed_upto)
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
