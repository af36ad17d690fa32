// SPDX-License-Identifier: GPL-2.0
/*
 * What libfuse 3.14 cannot say to the kernel, said on the way out of
 * /dev/fuse by amending replies:
 *
 * - FOPEN_DIRECT_IO makes every read() and write() reach the daemon, but
 *   the kernel refuses MAP_SHARED on such files unless the daemon answered
 *   FUSE_INIT with FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6);
 * - the fast path (kpatch/) needs FUSE_FMAP in the INIT reply, and
 *   FUSE_ATTR_FMAP in the attributes of every regular file it serves,
 *   given when the kernel sets the inode up (entry replies).
 *
 * The INIT flags are flags2 bits, which the kernel reads when FUSE_INIT_EXT
 * is set; each is added only when the kernel offered it.
 *
 * It is also where group commit keeps its promise: no reply leaves before
 * the log records appended so far are durable (lib/group.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "session.h"

#include "fmap_uapi.h"

#ifndef FUSE_DIRECT_IO_ALLOW_MMAP
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36) /* protocol 7.39 */
#endif
#define ALLOW_MMAP_FLAGS2 ((uint32_t)(FUSE_DIRECT_IO_ALLOW_MMAP >> 32))
#define FMAP_FLAGS2	  ((uint32_t)(FUSE_FMAP >> 32))

static const char *const opcode_names[BPFAMD_NR_OPCODES] = {
	[FUSE_LOOKUP] = "lookup",
	[FUSE_FORGET] = "forget",
	[FUSE_GETATTR] = "getattr",
	[FUSE_SETATTR] = "setattr",
	[FUSE_READLINK] = "readlink",
	[FUSE_SYMLINK] = "symlink",
	[FUSE_MKNOD] = "mknod",
	[FUSE_MKDIR] = "mkdir",
	[FUSE_UNLINK] = "unlink",
	[FUSE_RMDIR] = "rmdir",
	[FUSE_RENAME] = "rename",
	[FUSE_LINK] = "link",
	[FUSE_OPEN] = "open",
	[FUSE_READ] = "read",
	[FUSE_WRITE] = "write",
	[FUSE_STATFS] = "statfs",
	[FUSE_RELEASE] = "release",
	[FUSE_FSYNC] = "fsync",
	[FUSE_SETXATTR] = "setxattr",
	[FUSE_GETXATTR] = "getxattr",
	[FUSE_LISTXATTR] = "listxattr",
	[FUSE_REMOVEXATTR] = "removexattr",
	[FUSE_FLUSH] = "flush",
	[FUSE_INIT] = "init",
	[FUSE_OPENDIR] = "opendir",
	[FUSE_READDIR] = "readdir",
	[FUSE_RELEASEDIR] = "releasedir",
	[FUSE_FSYNCDIR] = "fsyncdir",
	[FUSE_GETLK] = "getlk",
	[FUSE_SETLK] = "setlk",
	[FUSE_SETLKW] = "setlkw",
	[FUSE_ACCESS] = "access",
	[FUSE_CREATE] = "create",
	[FUSE_INTERRUPT] = "interrupt",
	[FUSE_BMAP] = "bmap",
	[FUSE_DESTROY] = "destroy",
	[FUSE_IOCTL] = "ioctl",
	[FUSE_POLL] = "poll",
	[FUSE_NOTIFY_REPLY] = "notify_reply",
	[FUSE_BATCH_FORGET] = "batch_forget",
	[FUSE_FALLOCATE] = "fallocate",
	[FUSE_READDIRPLUS] = "readdirplus",
	[FUSE_RENAME2] = "rename2",
	[FUSE_LSEEK] = "lseek",
	[FUSE_COPY_FILE_RANGE] = "copy_file_range",
	[FUSE_SETUPMAPPING] = "setupmapping",
	[FUSE_REMOVEMAPPING] = "removemapping",
	[FUSE_SYNCFS] = "syncfs",
	[FUSE_TMPFILE] = "tmpfile",
	[52] = "statx",
};

const char *bpfamd_opcode_name(unsigned int opcode)
{
	return opcode < BPFAMD_NR_OPCODES ? opcode_names[opcode] : NULL;
}

static void note_init(struct bpfamd *d, const struct fuse_in_header *h,
		      size_t len)
{
	const struct fuse_init_in *in = (const void *)(h + 1);

	/* Kernels before 7.36 send a shorter fuse_init_in, without flags2. */
	if (len < sizeof(*h) + offsetof(struct fuse_init_in, unused) ||
	    !(in->flags & FUSE_INIT_EXT))
		return;
	d->allow_mmap_offered = in->flags2 & ALLOW_MMAP_FLAGS2;
	d->fmap_offered = in->flags2 & FMAP_FLAGS2;
}

/*
 * The request a worker thread read last: libfuse's workers answer the
 * request they read before reading another, and bpfamd answers every
 * request in the thread that handles it, so a reply whose unique matches
 * says which request it answers.  A reply sent from elsewhere matches
 * nothing and is left alone.
 */
static __thread struct {
	uint64_t unique;
	uint32_t opcode;
} last_request;

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	const struct fuse_in_header *h = buf;
	struct bpfamd *d = userdata;
	ssize_t n = read(fd, buf, len);

	if (n < (ssize_t)sizeof(*h))
		return n;
	last_request.unique = h->unique;
	last_request.opcode = h->opcode;
	if (h->opcode < BPFAMD_NR_OPCODES)
		bpfamd_count(&d->requests[h->opcode], 1);
	if (h->opcode == FUSE_INIT)
		note_init(d, h, n);
	return n;
}

/* Replies are a fuse_out_header in iov[0] and the answer in iov[1]. */
static void *answer(struct iovec *iov, int count, size_t min)
{
	const struct fuse_out_header *h = iov[0].iov_base;

	if (count < 2 || iov[0].iov_len < sizeof(*h) || h->error ||
	    h->unique != last_request.unique || iov[1].iov_len < min)
		return NULL;
	return iov[1].iov_base;
}

static void amend_init(struct bpfamd *d, struct iovec *iov, int count)
{
	struct fuse_init_out *out =
		answer(iov, count, offsetof(struct fuse_init_out, unused));

	if (!out)
		return;
	if (d->allow_mmap_offered) {
		out->flags |= FUSE_INIT_EXT;
		out->flags2 |= ALLOW_MMAP_FLAGS2;
		d->direct_io = true;
	}
	/* Asked for only when the fast path is to be tried (main.c). */
	if (d->fmap_offered && !d->mode_reason[0]) {
		out->flags |= FUSE_INIT_EXT;
		out->flags2 |= FMAP_FLAGS2;
		d->fmap_agreed = true;
	}
}

/* The inode the kernel sets up from this entry takes the fast path. */
static void mark_entry(struct fuse_entry_out *e)
{
	if (e->nodeid && S_ISREG(e->attr.mode))
		e->attr.flags |= FUSE_ATTR_FMAP;
}

static void amend_entries(struct iovec *iov, int count)
{
	struct fuse_entry_out *e;
	size_t off, len;
	char *p;

	switch (last_request.opcode) {
	case FUSE_LOOKUP:
	case FUSE_CREATE: /* fuse_entry_out, then fuse_open_out */
	case FUSE_MKNOD:
	case FUSE_LINK:
	case FUSE_TMPFILE:
		e = answer(iov, count, sizeof(*e));
		if (e)
			mark_entry(e);
		return;
	case FUSE_READDIRPLUS:
		p = answer(iov, count, 0);
		if (!p)
			return;
		len = iov[1].iov_len;
		/* fuse_direntplus records, each padded to 8 bytes. */
		for (off = 0; len - off >= sizeof(struct fuse_direntplus);) {
			struct fuse_direntplus *dp = (void *)(p + off);
			size_t rec = FUSE_DIRENTPLUS_SIZE(dp);

			if (rec > len - off)
				return;
			mark_entry(&dp->entry_out);
			off += rec;
		}
		return;
	}
}

/*
 * Before a reply leaves, every record appended so far is durable: the
 * request's own, and any other whose change the reply may show (a name
 * another request has just made).  Waiting for all of them is no dearer:
 * one flush covers them.  A READ depends on no record, and a
 * notification (unique 0) answers no one.  A failed flush fails the
 * reply with EIO, as a failed append does.
 */
static void durable_before_reply(struct bpfamd *d, struct iovec *iov,
				 int *count)
{
	struct fuse_out_header *h = iov[0].iov_base;
	int rc;

	if (!d->grouped || iov[0].iov_len < sizeof(*h) || !h->unique ||
	    (h->unique == last_request.unique &&
	     last_request.opcode == FUSE_READ))
		return;
	rc = bpfam_group_sync(&d->group);
	if (rc && !h->error) {
		h->error = rc;
		h->len = sizeof(*h);
		iov[0].iov_len = sizeof(*h);
		*count = 1;
	}
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct bpfamd *d = userdata;

	durable_before_reply(d, iov, &count);
	if (last_request.opcode == FUSE_INIT)
		amend_init(d, iov, count);
	else if (d->fast)
		amend_entries(iov, count);
	return writev(fd, iov, count);
}

int bpfamd_session_hook(struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
		.read = io_read,
		.writev = io_writev,
	};

	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}

int bpfamd_session_init(struct fuse_session *se)
{
	struct fuse_buf buf = {0};
	int rc = fuse_session_receive_buf(se, &buf);

	if (rc > 0)
		fuse_session_process_buf(se, &buf);
	free(buf.mem);
	if (rc < 0)
		return rc;
	return rc && !fuse_session_exited(se) ? 0 : -ENOTCONN;
}
