// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>

#include "bpfam/resolve.h"
#include "data.h"

/*
 * A request is at most 1 MiB and a run ends only at an extent or chunk
 * boundary (2 MiB multiples), so two runs cover any request; a longer list
 * would only serve unusual fmaps in one reply instead of a short one.
 */
#define MAX_RUNS 8

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

void bpfamd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_fmap *fm = NULL;
	struct iovec iov[MAX_RUNS];
	uint64_t pos = off, end, len;
	int n = 0, rc;

	(void)fi;
	rc = file_fmap(d, ino, &fm);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!fm || pos >= fm->size) {
		put_io(d);
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	end = pos + size < fm->size ? pos + size : fm->size;
	for (; pos < end && n < MAX_RUNS; pos += len, n++) {
		len = end - pos;
		iov[n].iov_base = locate(d, fm, pos, 0, &len);
		if (!iov[n].iov_base) {
			put_io(d);
			fuse_reply_err(req, EIO);
			return;
		}
		iov[n].iov_len = len;
		/* Another host may have stored there since we last looked. */
		bpfam_device_invalidate(&d->fs.dev, iov[n].iov_base, len);
	}
	bpfamd_count(&d->bytes_read, pos - off);
	/* The reply is copied out of the device: keep it ours until then. */
	fuse_reply_iov(req, iov, n);
	put_io(d);
}

/*
 * Sizes are set once, so there is no allocate-on-write: bytes past EOF are
 * refused with EFBIG, as for a file at its size limit.  A write crossing
 * EOF stores what fits and reports the short count.  Returns the count or
 * -errno.
 */
static long write_runs(struct bpfamd *d, const struct bpfam_fmap *fm,
		       const char *buf, size_t size, uint64_t off)
{
	uint64_t pos = off, end, len;
	void *p;

	if (!fm || pos >= fm->size)
		return -EFBIG;
	end = pos + size < fm->size ? pos + size : fm->size;
	for (; pos < end; pos += len, buf += len) {
		len = end - pos;
		p = locate(d, fm, pos, BPFAM_ACC_WRITE, &len);
		if (!p)
			return -EIO;
		memcpy(p, buf, len);
		/* Durable and visible to other hosts before we reply. */
		if (bpfam_device_flush(&d->fs.dev, p, len))
			return -EIO;
	}
	return (long)(end - off);
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
	rc = write_runs(d, fm, buf, size, off);
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
