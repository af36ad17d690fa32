// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "bpfam/resolve.h"
#include "data.h"
#include "lending.h"
#include "memerr.h"
#include "nodes.h"

/* bpfamd_memerr_guard() leaves it so when no fault happened. */
#define NO_FAULT UINT64_MAX

/* The daemon whose struct bpfam_fs @fs is. */
static struct bpfamd *daemon_of(struct bpfam_fs *fs)
{
	return (struct bpfamd *)((char *)fs - offsetof(struct bpfamd, fs));
}

void bpfamd_exclude_readers(struct bpfam_fs *fs, bool on)
{
	struct bpfamd *d = daemon_of(fs);

	if (on)
		pthread_rwlock_wrlock(&d->ns);
	else
		pthread_rwlock_unlock(&d->ns);
}

/* A copy of the file's fmap (NULL while it has none), d->lock or d->ns
 * held. */
static int copy_fmap(struct bpfamd *d, fuse_ino_t ino, struct bpfam_fmap **fm)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);

	*fm = NULL;
	/* Set under d->lock, which a read does not hold: see bpfamd_fence(). */
	if (__atomic_load_n(&d->fenced, __ATOMIC_ACQUIRE))
		return -EIO;
	if (!in)
		return -ENOENT;
	if (!S_ISREG(in->mode))
		return -EISDIR;
	if (!in->fmap)
		return 0;
	*fm = malloc(BPFAM_FMAP_BYTES(in->fmap->nr));
	if (!*fm)
		return -ENOMEM;
	memcpy(*fm, in->fmap, BPFAM_FMAP_BYTES(in->fmap->nr));
	return 0;
}

/*
 * copy_fmap() for the caller to free: a resize replaces the inode's own
 * while the copy runs unlocked.  Under d->ns, not d->lock: a read never
 * waits behind a log append.  See bpfamd.h.  On success the caller
 * holds d->io shared and drops it (put_io) once it has stopped touching
 * the device.
 */
static int file_fmap(struct bpfamd *d, fuse_ino_t ino, struct bpfam_fmap **fm)
{
	int rc;

	pthread_rwlock_rdlock(&d->io);
	pthread_rwlock_rdlock(&d->ns);
	rc = copy_fmap(d, ino, fm);
	pthread_rwlock_unlock(&d->ns);
	if (rc)
		pthread_rwlock_unlock(&d->io);
	return rc;
}

static void put_io(struct bpfamd *d)
{
	pthread_rwlock_unlock(&d->io);
}

/* Device address of file bytes [pos, ...): *len is cut to the run. */
static void *locate(struct bpfamd *d, const struct bpfam_fmap *fm, uint64_t pos,
		    uint32_t access, uint64_t *len)
{
	const struct bpfam_device *dev = &d->fs.dev;
	struct bpfam_run run = {0};
	int rc;

	/* Lent, the device maps only its metadata: never past @mapped. */
	rc = bpfam_resolve(fm, fm->gen, pos, access, &run);
	if (rc || run.dev || run.dev_off + run.len > dev->mapped) {
		bpfamd_log(LOG_ERR,
			   "fmap of generation %llu does not resolve offset "
			   "%llu: %s",
			   (unsigned long long)fm->gen, (unsigned long long)pos,
			   strerror(rc ? -rc : ERANGE));
		return NULL;
	}
	if (*len > run.len)
		*len = run.len;
	return dev->base + run.dev_off;
}

/* A copy between a buffer and file bytes [pos, end), under a guard. */
struct copy {
	struct bpfamd *d;
	const struct bpfam_fmap *fm;
	uint64_t pos, end;
	char *buf;
};

/*
 * Into a bounce buffer, not a reply pointing at the device: a fault in the
 * kernel's copy from our mapping would fail the reply's writev (EFAULT)
 * and leave the request unanswered.
 */
static int read_runs(void *arg)
{
	struct copy *c = arg;
	uint64_t pos, len;
	char *buf = c->buf;
	void *p;

	for (pos = c->pos; pos < c->end; pos += len, buf += len) {
		len = c->end - pos;
		p = locate(c->d, c->fm, pos, 0, &len);
		if (!p)
			return -EIO;
		/* Another host may have stored there since we last looked. */
		bpfam_device_invalidate(&c->d->fs.dev, p, len);
		memcpy(buf, p, len);
	}
	return 0;
}

/* Counted always, logged once per file: a bad page stays bad. */
static void memory_error(struct bpfamd *d, fuse_ino_t ino, const char *op,
			 uint64_t off, uint64_t dev_off)
{
	bool said = true;

	bpfamd_count(&d->memory_errors, 1);
	pthread_mutex_lock(&d->lock);
	if (ino < d->nodes_cap) {
		said = d->nodes[ino].memerr_said;
		d->nodes[ino].memerr_said = true;
	}
	pthread_mutex_unlock(&d->lock);
	if (said)
		return;
	bpfamd_log(LOG_ERR,
		   "inode %llu: memory error (SIGBUS) at device offset %llu "
		   "during a %s at file offset %llu: failed with EIO; device "
		   "%s shrunk or its memory is bad",
		   (unsigned long long)ino, (unsigned long long)dev_off, op,
		   (unsigned long long)off, d->device);
}

void bpfamd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	struct copy c = {.d = d, .pos = off};
	uint64_t dev_off = NO_FAULT;
	struct bpfam_fmap *fm;
	int rc;

	(void)fi;
	rc = d->fs.dev.lent ? bpfamd_lent_eio(d, ino, "read") :
			      file_fmap(d, ino, &fm);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	c.fm = fm;
	if (!fm || c.pos >= fm->size) {
		put_io(d);
		free(fm);
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	c.end = c.pos + size < fm->size ? c.pos + size : fm->size;
	c.buf = malloc(c.end - c.pos);
	if (!c.buf) {
		put_io(d);
		free(fm);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = bpfamd_memerr_guard(read_runs, &c, &dev_off);
	put_io(d);
	free(fm);
	if (dev_off != NO_FAULT)
		memory_error(d, ino, "read", off, dev_off);
	if (rc) {
		fuse_reply_err(req, -rc);
	} else {
		bpfamd_count(&d->bytes_read, c.end - c.pos);
		fuse_reply_buf(req, c.buf, c.end - c.pos);
	}
	free(c.buf);
}

static int write_runs(void *arg)
{
	struct copy *c = arg;
	const char *buf = c->buf;
	uint64_t pos, len;
	void *p;

	for (pos = c->pos; pos < c->end; pos += len, buf += len) {
		len = c->end - pos;
		p = locate(c->d, c->fm, pos, BPFAM_ACC_WRITE, &len);
		if (!p)
			return -EIO;
		memcpy(p, buf, len);
		/* Durable and visible to other hosts before we reply. */
		if (bpfam_device_flush(&c->d->fs.dev, p, len))
			return -EIO;
	}
	return 0;
}

/* Store [off, off + size) through @fm, which holds it.  Count or -errno. */
/*
 * Store [off, off + size) through @fm, which holds it: the count or
 * -errno, *@dev_off the device offset of a memory error (for the caller
 * to report once it holds no lock: memory_error() takes d->lock).
 */
static long write_file(struct bpfamd *d, const struct bpfam_fmap *fm,
		       const char *buf, size_t size, uint64_t off,
		       uint64_t *dev_off)
{
	struct copy c = {.d = d,
			 .fm = fm,
			 .pos = off,
			 .end = off + size,
			 .buf = (char *)buf};
	int rc = bpfamd_memerr_guard(write_runs, &c, dev_off);

	return rc ? rc : (long)size;
}

/*
 * A write by a caller without CAP_FSETID clears set-user-ID, and
 * set-group-ID of a group-executable file, as the kernel does for local
 * filesystems; in direct I/O it asks the server to (FUSE_WRITE_KILL_SUIDGID,
 * which libfuse 3.14 does not pass on), so the caller's uid stands in for
 * the capability.
 */
static int kill_suid(struct bpfamd *d, const struct bpfam_inode *in, uid_t uid,
		     struct bpfam_err *err)
{
	struct bpfam_attrs a = {.mode = in->mode & 07777,
				.ctime_ns = bpfam_now_ns()};

	if (!uid)
		return 0;
	a.mode &= ~(uint32_t)S_ISUID;
	if ((a.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		a.mode &= ~(uint32_t)S_ISGID;
	if (a.mode == (in->mode & 07777))
		return 0;
	return bpfam_fs_setattr(&d->fs, in->ino, BPFAM_ATTR_MODE, &a, err);
}

/*
 * The primary's part of a write, under d->lock: privileges dropped, and
 * for a write past the size, extents grown and the gap zeroed (*@grows).
 * A write that extends the file keeps d->lock until its data is stored
 * and the size raised: no reader sees the new size before the bytes it
 * exposes, and extending writes cannot interleave (one would raise the
 * size over the other's bytes before they land).
 */
static int write_prepare(struct bpfamd *d, fuse_ino_t ino, uint64_t off,
			 uint64_t end, uid_t uid, bool *grows)
{
	struct bpfam_err err = {0};
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);
	int rc;

	*grows = false;
	if (!in || !bpfamd_primary(d))
		return 0;
	rc = kill_suid(d, in, uid, &err);
	if (rc || end <= (in->fmap ? in->fmap->size : 0) || d->size_once)
		return rc;
	*grows = true;
	return bpfamd_write_begin(d, ino, off, end, &err);
}

/* Why a write cannot be stored through @fm: 0, or -errno. */
static int write_refused(struct bpfamd *d, const struct bpfam_fmap *fm,
			 uint64_t end)
{
	if (!bpfamd_primary(d))
		return fm && end <= fm->size ? 0 : -EROFS;
	if (d->size_once)
		return fm && end <= fm->size ? 0 : -EFBIG;
	/* write_prepare() made the extents hold it. */
	return fm && end <= bpfam_alloc_fmap_bytes(fm) ? 0 : -EIO;
}

void bpfamd_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		  off_t off, struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	uint64_t end = (uint64_t)off + size, dev_off = NO_FAULT;
	struct bpfam_fmap *fm = NULL;
	struct bpfam_inode *in;
	bool grows = false, locked;
	long rc;

	(void)fi;
	/* A host that cannot follow the log must not write (-o recover). */
	if (d->role == BPFAMD_ROLE_RECOVER) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* Before anything is allocated for data that cannot be stored. */
	if (d->fs.dev.lent) {
		fuse_reply_err(req, -bpfamd_lent_eio(d, ino, "write"));
		return;
	}
	pthread_rwlock_rdlock(&d->io);
	pthread_mutex_lock(&d->lock);
	locked = true;
	rc = write_prepare(d, ino, off, end, fuse_req_ctx(req)->uid, &grows);
	if (!rc)
		rc = copy_fmap(d, ino, &fm);
	/* -o size_once: what fits below the size, as at a size limit. */
	if (!rc && d->size_once && fm && end > fm->size &&
	    (uint64_t)off < fm->size) {
		size = fm->size - off;
		end = fm->size;
	}
	if (!rc)
		rc = write_refused(d, fm, end);
	if (!grows || rc) {
		pthread_mutex_unlock(&d->lock);
		locked = false;
	}
	if (!rc) {
		/* Our copy: let it resolve the bytes this write brings. */
		if (end > fm->size)
			fm->size = end;
		rc = write_file(d, fm, buf, size, off, &dev_off);
	}
	if (rc > 0 && bpfamd_primary(d)) {
		if (!locked)
			pthread_mutex_lock(&d->lock);
		locked = true;
		in = bpfam_fs_inode(&d->fs, ino);
		/* Only a write that grew the file under d->lock raises its
		 * size: another may have met a truncate since its fmap was
		 * copied, and counts as before it. */
		if (in)
			bpfam_fs_wrote(&d->fs, in, grows ? end : 0,
				       bpfam_now_ns());
		if (in && grows)
			bpfamd_changed(d, in, false);
	}
	if (locked)
		pthread_mutex_unlock(&d->lock);
	put_io(d);
	free(fm);
	if (dev_off != NO_FAULT)
		memory_error(d, ino, "write", off, dev_off);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	bpfamd_count(&d->bytes_written, rc);
	fuse_reply_write(req, rc);
}

struct zeros {
	struct bpfam_device *dev;
	void *p;
	uint64_t len;
};

static int zeros_run(void *arg)
{
	struct zeros *z = arg;

	memset(z->p, 0, z->len);
	return bpfam_device_flush(z->dev, z->p, z->len) ? -EIO : 0;
}

int bpfamd_store_zeros(struct bpfam_fs *fs, uint64_t off, uint64_t len)
{
	struct bpfamd *d = daemon_of(fs);
	struct zeros z = {.dev = &fs->dev, .len = len};
	uint64_t dev_off = NO_FAULT;
	int rc;

	if (fs->dev.lent)
		return bpfamd_zero_lent(d, off, len);
	z.p = fs->dev.base + off;
	rc = bpfamd_memerr_guard(zeros_run, &z, &dev_off);
	/* Called with d->lock held: no memory_error() here. */
	if (dev_off != NO_FAULT) {
		bpfamd_count(&d->memory_errors, 1);
		bpfamd_log(LOG_ERR,
			   "memory error (SIGBUS) at device offset %llu while "
			   "zeroing space a file gains: that change fails with "
			   "EIO; device %s shrunk or its memory is bad",
			   (unsigned long long)dev_off, d->device);
	}
	return rc;
}

/* Log the size and times writes changed (close, fsync). */
void bpfamd_sync(fuse_req_t req, fuse_ino_t ino)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	int rc = 0;

	pthread_mutex_lock(&d->lock);
	if (!bpfamd_may_change(d))
		rc = bpfam_fs_sync(&d->fs, ino, &err);
	pthread_mutex_unlock(&d->lock);
	if (rc)
		bpfamd_log(LOG_ERR, "inode %llu: %s", (unsigned long long)ino,
			   err.msg);
	fuse_reply_err(req, -rc);
}

/* Every write was flushed before its reply: only size and times remain. */
void bpfamd_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	bpfamd_sync(req, ino);
}
