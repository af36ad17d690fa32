// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>

#include "bpfam/format.h"
#include "device.h"
#include "lend.h"
#include "units.h"

/*
 * Lent from an offset, the device maps only before it (metadata): what a
 * bpfamd in fast mode leaves while it runs, or a killed one behind it.
 */
static int lend_state(struct bpfam_device *dev, const char *name,
		      struct bpfam_err *err)
{
	struct bpfam_lend l;
	char a[32];
	int rc = bpfam_lend_read("", name, &l, err);

	/* No lend attribute (a stock kernel), or no dax bus: never lent. */
	if (rc == -ENOENT || rc == -ENODEV || (!rc && !l.lent))
		return 0;
	if (rc)
		return rc;
	if (l.off < BPFAM_ALLOC_UNIT)
		return bpfam_err(err, EACCES,
				 "%s: lent to the kernel from %s: nothing of it maps; give it back with 'bpfam lend --none %s'",
				 dev->path, bpfam_fmt_size(l.off, a), dev->path);
	dev->lent = true;
	dev->mapped = l.off < dev->size ? l.off : dev->size;
	return 0;
}

static int devdax_geometry(struct bpfam_device *dev, const struct stat *st,
			   struct bpfam_err *err)
{
	struct daxctl_region *region;
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dd;
	int rc = -ENODEV;

	if (daxctl_new(&ctx) < 0)
		return bpfam_err(err, ENODEV, "%s: cannot query libdaxctl",
				 dev->path);
	daxctl_region_foreach(ctx, region) {
		daxctl_dev_foreach(region, dd) {
			if (daxctl_dev_get_major(dd) != (int)major(st->st_rdev) ||
			    daxctl_dev_get_minor(dd) != (int)minor(st->st_rdev))
				continue;
			dev->size = daxctl_dev_get_size(dd);
			/* Kernels before 5.10 have no per-device align. */
			dev->align = daxctl_dev_get_align(dd);
			if (!dev->align)
				dev->align = daxctl_region_get_align(region);
			dev->mapped = dev->size;
			rc = lend_state(dev, daxctl_dev_get_devname(dd), err);
			goto out;
		}
	}
	bpfam_err(err, ENODEV,
		  "%s: character device %u:%u is not a devdax device known to libdaxctl (see 'daxctl list')",
		  dev->path, major(st->st_rdev), minor(st->st_rdev));
out:
	daxctl_unref(ctx);
	return rc;
}

static int check_geometry(const struct bpfam_device *dev,
			  struct bpfam_err *err)
{
	char a[32], b[32];

	if (dev->size % BPFAM_ALLOC_UNIT)
		return bpfam_err(err, EINVAL,
				 "%s: size %llu is not a multiple of 2 MiB; resize it (e.g. truncate -s 1G)",
				 dev->path, (unsigned long long)dev->size);
	if (dev->size < BPFAM_MIN_DEV)
		return bpfam_err(err, EINVAL,
				 "%s: size %s is too small; bpfam needs at least %s",
				 dev->path, bpfam_fmt_size(dev->size, a),
				 bpfam_fmt_size(BPFAM_MIN_DEV, b));
	if (!dev->align)
		return bpfam_err(err, EINVAL,
				 "%s: libdaxctl reports no alignment for this devdax device; recreate it with --align=2M",
				 dev->path);
	if (dev->align > BPFAM_ALLOC_UNIT ||
	    BPFAM_ALLOC_UNIT % dev->align)
		return bpfam_err(err, EINVAL,
				 "%s: devdax alignment %lu does not divide 2 MiB; recreate it with --align=2M",
				 dev->path, (unsigned long)dev->align);
	return 0;
}

static int refuse_directory(const struct bpfam_device *dev,
			    struct bpfam_err *err)
{
	return bpfam_err(err, EISDIR,
			 "%s: is a directory; give a devdax device (/dev/daxX.Y) or a regular file emulating one",
			 dev->path);
}

static int classify(struct bpfam_device *dev, const struct stat *st,
		    struct bpfam_err *err)
{
	if (S_ISREG(st->st_mode)) {
		dev->size = st->st_size;
		dev->mapped = dev->size;
		dev->align = BPFAM_ALLOC_UNIT;
		return 0;
	}
	if (S_ISCHR(st->st_mode)) {
		dev->devdax = true;
		return devdax_geometry(dev, st, err);
	}
	if (S_ISDIR(st->st_mode))
		return refuse_directory(dev, err);
	if (S_ISBLK(st->st_mode))
		return bpfam_err(err, ENOTSUP,
				 "%s: is a block device; bpfam needs a devdax character device (ndctl create-namespace --mode=devdax) or a regular file emulating one",
				 dev->path);
	return bpfam_err(err, ENOTSUP,
			 "%s: is neither a devdax device nor a regular file",
			 dev->path);
}

/*
 * Map 2 MiB aligned even for a file, so that offsets the allocator hands out
 * have the same alignment in our address space as on a real device.
 */
static int map_aligned(struct bpfam_device *dev, struct bpfam_err *err)
{
	int prot = PROT_READ | (dev->writable ? PROT_WRITE : 0);
	size_t span = dev->mapped + BPFAM_ALLOC_UNIT;
	uintptr_t start;
	void *res, *p;

	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return bpfam_err(err, errno, "%s: cannot reserve %llu bytes of address space: %s",
				 dev->path, (unsigned long long)span,
				 strerror(errno));
	start = ((uintptr_t)res + BPFAM_ALLOC_UNIT - 1) &
		~(uintptr_t)(BPFAM_ALLOC_UNIT - 1);
	p = mmap((void *)start, dev->mapped, prot, MAP_SHARED | MAP_FIXED,
		 dev->fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(res, span);
		return bpfam_err(err, e, "%s: cannot map: %s", dev->path,
				 strerror(e));
	}
	/* Give back the unused head and tail of the reservation. */
	if (start > (uintptr_t)res)
		munmap(res, start - (uintptr_t)res);
	if ((uintptr_t)res + span > start + dev->mapped)
		munmap((void *)(start + dev->mapped),
		       (uintptr_t)res + span - start - dev->mapped);
	dev->base = p;
	return 0;
}

/*
 * The mount lock: byte 0, shared by every read-write open, exclusive for
 * mkfs.  Not a second flock: a descriptor has one flock, which the writer
 * already holds exclusively, and flocking it again would convert it.  OFD
 * locks are independent of flock (neither converts nor conflicts with the
 * other), belong to the open file description (closing another descriptor
 * of the file in the same process does not drop them, as it would a
 * classic POSIX lock, and two opens in one process do conflict), and work
 * on devdax character devices as on files.
 */
static int mount_lock(const struct bpfam_device *dev, bool exclusive,
		      struct bpfam_err *err)
{
	struct flock fl = {
		.l_type = exclusive ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 1,
	};

	if (!fcntl(dev->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return bpfam_err(err, errno,
				 "%s: cannot take the mount lock: %s",
				 dev->path, strerror(errno));
	if (exclusive)
		return bpfam_err(err, EBUSY,
				 "%s: in use by a mounted bpfamd on this machine (or another process that has it open read-write); unmount it first",
				 dev->path);
	return bpfam_err(err, EBUSY,
			 "%s: being formatted by 'bpfam mkfs' on this machine",
			 dev->path);
}

static int take_locks(const struct bpfam_device *dev, struct bpfam_err *err)
{
	if (dev->writer && flock(dev->fd, LOCK_EX | LOCK_NB))
		return bpfam_err(err, EBUSY,
				 "%s: in use by another bpfam writer (a mounted bpfamd or a running mkfs)",
				 dev->path);
	if (dev->writable)
		return mount_lock(dev, dev->format, err);
	return 0;
}

int bpfam_device_open(struct bpfam_device *dev, const char *path,
		      enum bpfam_open_mode mode, struct bpfam_err *err)
{
	struct stat st;
	int rc, lock;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	if (strlen(path) >= sizeof(dev->path))
		return bpfam_err(err, ENAMETOOLONG, "%.64s...: path too long",
				 path);
	strcpy(dev->path, path);
	dev->writable = mode != BPFAM_OPEN_RDONLY;
	dev->writer = mode == BPFAM_OPEN_WRITER || mode == BPFAM_OPEN_FORMAT;
	dev->format = mode == BPFAM_OPEN_FORMAT;

	/* Until the mapping exists: then a switch's idle check sees it. */
	lock = bpfam_lend_lock_node(path);
	if (lock == -ETIMEDOUT)
		return bpfam_err(err, ETIMEDOUT,
				 "%s: lending it to the kernel or giving it back did not end within 10 s",
				 path);
	dev->fd = bpfam_dax_open(path, dev->writable ? O_RDWR : O_RDONLY);
	/* Opening a directory for writing fails before classify() sees it. */
	if (dev->fd < 0 && errno == EISDIR) {
		rc = refuse_directory(dev, err);
		goto fail;
	}
	if (dev->fd < 0) {
		rc = bpfam_err(err, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(dev->fd, &st)) {
		rc = bpfam_err(err, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = classify(dev, &st, err);
	if (rc)
		goto fail;
	rc = check_geometry(dev, err);
	/* mkfs writes where the lent part may begin. */
	if (!rc && dev->format)
		rc = bpfam_device_refuse_lent(dev, err);
	if (rc)
		goto fail;
	rc = take_locks(dev, err);
	if (rc)
		goto fail;
	rc = map_aligned(dev, err);
	if (rc)
		goto fail;
	if (lock >= 0)
		close(lock);
	return 0;
fail:
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
	if (lock >= 0)
		close(lock);
	return rc;
}

void bpfam_device_close(struct bpfam_device *dev)
{
	if (dev->base)
		munmap(dev->base, dev->mapped);
	if (dev->fd >= 0)
		close(dev->fd);
	dev->base = NULL;
	dev->fd = -1;
}

int bpfam_device_refuse_lent(const struct bpfam_device *dev,
			     struct bpfam_err *err)
{
	char a[32];

	if (!dev->lent)
		return 0;
	return bpfam_err(err, EACCES,
			 "%s: lent to the kernel from %s (fs-dax): its data does not map here while a bpfamd serves it in fast mode; if none does (one was killed), give it back with 'bpfam lend --none %s'",
			 dev->path, bpfam_fmt_size(dev->mapped, a), dev->path);
}

#define CACHELINE 64

/*
 * clflush writes a dirty line back and drops it: both directions at once.
 * mfence, not sfence: clflush is not ordered against later loads, and an
 * invalidation is only worth something if the loads after it miss.
 */
static void flush_lines(const void *addr, size_t len)
{
#if defined(__x86_64__)
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(CACHELINE - 1);
	uintptr_t end = (uintptr_t)addr + len;

	for (; p < end; p += CACHELINE)
		__builtin_ia32_clflush((const void *)p);
	__builtin_ia32_mfence();
#else
	(void)addr;
	(void)len;
	__sync_synchronize();
#endif
}

int bpfam_device_flush(const struct bpfam_device *dev, const void *addr,
		       size_t len)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(getpagesize() - 1);

	if (!len)
		return 0;
	if (dev->fail_flush_in && !--((struct bpfam_device *)dev)->fail_flush_in)
		return -EIO;
	if (dev->devdax) {
		flush_lines(addr, len);
		return 0;
	}
	/* The file's page cache is the memory; msync makes it stick. */
	if (msync((void *)page, (uintptr_t)addr + len - page, MS_SYNC))
		return -errno;
	return 0;
}

void bpfam_device_invalidate(const struct bpfam_device *dev, const void *addr,
			     size_t len)
{
	if (dev->devdax && len)
		flush_lines(addr, len);
}
