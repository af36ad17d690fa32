// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"
#include "units.h"

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
	if (in->ino == BPFAM_ROOT_INO)
		return;
	b = hash_name(in->parent, in->name) & (fs->buckets - 1);
	in->name_next = fs->by_name[b];
	fs->by_name[b] = in;
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
	dir->children[dir->nchildren++] = in;
	return 0;
}

static void free_inode(struct bpfam_inode *in)
{
	free(in->name);
	free(in->fmap);
	free(in->children);
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

int bpfam_fs_mount(struct bpfam_fs *fs, const char *path,
		   enum bpfam_open_mode mode, struct bpfam_err *err)
{
	int rc;

	rc = bpfam_fs_init(fs, path, mode, err);
	if (rc)
		return rc;
	rc = bpfam_fs_refresh(fs, NULL, err);
	if (rc) {
		bpfam_fs_close(fs);
		return rc;
	}
	fs->torn_bytes = bpfam_log_torn_bytes(&fs->log);
	if (fs->torn_bytes && fs->dev.writer) {
		rc = bpfam_log_clear_tail(&fs->log);
		if (rc) {
			bpfam_err(err, -rc,
				  "%s: cannot clear the unfinished append at the log's end: %s",
				  path, strerror(-rc));
			bpfam_fs_close(fs);
			return rc;
		}
	}
	return 0;
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
	fs->by_ino = fs->by_name = NULL;
	bpfam_alloc_destroy(&fs->alloc);
	bpfam_device_close(&fs->dev);
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
	if (!dir || !S_ISDIR(dir->mode))
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

int bpfam_fs_play(struct bpfam_fs *fs, const struct bpfam_record *r,
		  struct bpfam_err *err)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return play_mknod(fs, r, err);
	case BPFAM_REC_FMAP:
		return play_fmap(fs, r, err);
	case BPFAM_REC_SETATTR:
		return play_setattr(fs, r, err);
	case BPFAM_REC_DELETE:
		return bpfam_err(err, EPROTONOSUPPORT,
				 "%s: log record %llu: delete records need a newer bpfam",
				 fs->dev.path, (unsigned long long)r->seq);
	}
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
 * Append @r and play it; both must succeed for the caller to reply.  The
 * callers checked @r against the namespace, so playing it can only fail
 * for want of memory; but the record is on the device by then, and a
 * namespace that lacks it would hand out its inode number or its extents
 * again.  So after such a failure every later commit is refused, until the
 * log is played afresh (a remount), which brings the record in.
 */
static int commit(struct bpfam_fs *fs, struct bpfam_record *r,
		  struct bpfam_err *err)
{
	int rc;

	if (fs->behind_log)
		return bpfam_err(err, EIO,
				 "%s: metadata in memory is behind the log after an earlier failure; remount to play it",
				 fs->dev.path);
	rc = bpfam_log_append(&fs->log, r, err);
	if (rc)
		return rc;
	rc = bpfam_fs_play(fs, r, err);
	fs->behind_log = rc != 0;
	return rc;
}

int bpfam_fs_mknod(struct bpfam_fs *fs, uint64_t parent, const char *name,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   struct bpfam_inode **out, struct bpfam_err *err)
{
	struct bpfam_inode *dir = bpfam_fs_inode(fs, parent);
	size_t len = strlen(name);
	struct bpfam_record *r;
	int rc;

	if (!dir)
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
