// SPDX-License-Identifier: GPL-2.0
/*
 * FOPEN_DIRECT_IO makes every read() and write() reach the daemon, but the
 * kernel refuses MAP_SHARED on such files unless the daemon answered
 * FUSE_INIT with FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6).  libfuse 3.14 has
 * no capability bit for it, so the INIT reply is amended on its way out:
 * the flag is a flags2 bit, which the kernel reads when FUSE_INIT_EXT is
 * set.  It is only added when the kernel offered it.
 */
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "session.h"

#ifndef FUSE_DIRECT_IO_ALLOW_MMAP
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36) /* protocol 7.39 */
#endif
#define ALLOW_MMAP_FLAGS2 ((uint32_t)(FUSE_DIRECT_IO_ALLOW_MMAP >> 32))

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
	d->init_unique = h->unique;
	d->allow_mmap_offered = in->flags2 & ALLOW_MMAP_FLAGS2;
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	const struct fuse_in_header *h = buf;
	struct bpfamd *d = userdata;
	ssize_t n = read(fd, buf, len);

	if (n < (ssize_t)sizeof(*h))
		return n;
	if (h->opcode < BPFAMD_NR_OPCODES)
		bpfamd_count(&d->requests[h->opcode], 1);
	if (h->opcode == FUSE_INIT)
		note_init(d, h, n);
	return n;
}

/* Replies are a fuse_out_header in iov[0] and the answer in iov[1]. */
static void accept_allow_mmap(struct bpfamd *d, struct iovec *iov)
{
	const struct fuse_out_header *h = iov[0].iov_base;
	struct fuse_init_out *out = iov[1].iov_base;

	if (iov[0].iov_len < sizeof(*h) || h->unique != d->init_unique ||
	    h->error || iov[1].iov_len < offsetof(struct fuse_init_out, unused))
		return;
	out->flags |= FUSE_INIT_EXT;
	out->flags2 |= ALLOW_MMAP_FLAGS2;
	d->direct_io = true;
	d->allow_mmap_offered = false;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct bpfamd *d = userdata;

	/* Nothing else is in flight until INIT is answered: no race. */
	if (d->allow_mmap_offered && count >= 2)
		accept_allow_mmap(d, iov);
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
