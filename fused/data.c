// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "bpfam/resolve.h"
#include "data.h"
#include "memerr.h"

/* bpfamd_memerr_guard() leaves it so when no fault happened. */
#define NO_FAULT UINT64_MAX

/*
 * The file's fmap, or NULL while its size is unset.  See bpfamd.h.  On
 * success the caller holds d->io shared and drops it (put_io) once it has
 * stopped touching the device.
 */
static int file_fmap(struct bpfamd *d, fuse_ino_t ino,
		     const struct bpfam_fmap **fm)
{
	const struct bpfam_inode *in;
	int rc = 0;

	pthread_rwlock_rdlock(&d->io);
	pthread_mutex_lock(&d->lock);
	in = bpfam_fs_inode(&d->fs, ino);
	if (d->fenced)
		rc = -EIO;
	else if (!in)
		rc = -ENOENT;
	else if (!S_ISREG(in->mode))
		rc = -EISDIR;
	else
		*fm = in->fmap;
	pthread_mutex_unlock(&d->lock);
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

	rc = bpfam_resolve(fm, fm->gen, pos, access, &run);
	if (rc || run.dev || run.dev_off + run.len > dev->size) {
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
	int rc;

	(void)fi;
	rc = file_fmap(d, ino, &c.fm);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!c.fm || c.pos >= c.fm->size) {
		put_io(d);
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	c.end = c.pos + size < c.fm->size ? c.pos + size : c.fm->size;
	c.buf = malloc(c.end - c.pos);
	if (!c.buf) {
		put_io(d);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = bpfamd_memerr_guard(read_runs, &c, &dev_off);
	put_io(d);
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

/*
 * Sizes are set once, so there is no allocate-on-write: bytes past EOF are
 * refused with EFBIG, as for a file at its size limit.  A write crossing
 * EOF stores what fits and reports the short count.  Returns the count or
 * -errno.
 */
static long write_file(struct bpfamd *d, fuse_ino_t ino,
		       const struct bpfam_fmap *fm, const char *buf,
		       size_t size, uint64_t off)
{
	struct copy c = {.d = d, .fm = fm, .pos = off, .buf = (char *)buf};
	uint64_t dev_off = NO_FAULT;
	int rc;

	if (!fm || off >= fm->size)
		return -EFBIG;
	c.end = off + size < fm->size ? off + size : fm->size;
	rc = bpfamd_memerr_guard(write_runs, &c, &dev_off);
	if (dev_off != NO_FAULT)
		memory_error(d, ino, "write", off, dev_off);
	return rc ? rc : (long)(c.end - off);
}

void bpfamd_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		  off_t off, struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_fmap *fm = NULL;
	long rc;

	(void)fi;
	/* A host that cannot follow the log must not write (-o recover). */
	if (d->role == BPFAMD_ROLE_RECOVER) {
		fuse_reply_err(req, EROFS);
		return;
	}
	rc = file_fmap(d, ino, &fm);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = write_file(d, ino, fm, buf, size, off);
	put_io(d);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	bpfamd_count(&d->bytes_written, rc);
	fuse_reply_write(req, rc);
}

/* Every write was flushed before its reply: nothing is left to do. */
void bpfamd_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}
