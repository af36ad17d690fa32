// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <syslog.h>

#include "clock.h"
#include "fast.h"
#include "fmap_uapi.h"
#include "lend.h"
#include "lending.h"
#include "units.h"

/* Lines about data the daemon cannot reach: at most one this often. */
#define SAY_EVERY_MS 60000

/* Whether to say it now: once per SAY_EVERY_MS, whichever thread asks. */
static bool say_now(uint64_t *last)
{
	uint64_t now = bpfam_now_ms();
	uint64_t prev = __atomic_load_n(last, __ATOMIC_RELAXED);

	if (prev && now - prev < SAY_EVERY_MS)
		return false;
	return __atomic_compare_exchange_n(last, &prev, now, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The fast path needs the data range lent; fallback needs it mapped. */
static bool wants_lent(const struct bpfamd *d)
{
	return d->mode != BPFAMD_MODE_FALLBACK && !d->recover &&
	       bpfamd_fast_kernel();
}

static void say_lent(const struct bpfamd *d, const char *how)
{
	char a[32];

	bpfamd_log(LOG_INFO,
		   "%s: lent from %s to the kernel (fs-dax) until unmount%s",
		   d->device, bpfam_fmt_size(d->data_off, a), how);
}

/*
 * Lent already where we want it: by a bpfamd that was killed (it cannot
 * give it back), or by one still serving it, which the idle check finds.
 */
static int reuse(struct bpfamd *d, dev_t rdev)
{
	char comm[16];
	pid_t pid = bpfam_lend_user("", d->dax_path, rdev, comm);

	if (pid) {
		bpfamd_log(LOG_ERR,
			   "%s: lent to the kernel and in use by process %d "
			   "(%s): another bpfamd serves it?",
			   d->device, (int)pid, comm);
		return EXIT_FAILURE;
	}
	d->lent = true;
	say_lent(d, " (found lent already: a bpfamd was killed?)");
	return 0;
}

int bpfamd_lend(struct bpfamd *d)
{
	struct bpfam_err err;
	struct bpfam_lend l;
	struct stat st;
	bool want;
	int rc;

	/* A file emulating a device, or none: bpfam_device_open() says. */
	if (stat(d->device, &st) || !S_ISCHR(st.st_mode) ||
	    !realpath(d->device, d->dax_path))
		return 0;
	if (bpfam_lend_name("", d->dax_path, st.st_rdev, d->dax_name, &err))
		return 0;
	rc = bpfam_lend_read("", d->dax_name, &l, &err);
	if (rc == -ENOENT || rc == -ENODEV)
		return 0; /* a stock kernel cannot lend; not a device-dax */
	if (rc) {
		bpfamd_log(LOG_ERR, "%s", err.msg);
		return EXIT_FAILURE;
	}
	want = wants_lent(d);
	if (want && l.lent && l.off == d->data_off)
		return reuse(d, st.st_rdev);
	if (!want && !l.lent)
		return 0;
	rc = bpfam_lend_set("", d->dax_path, d->dax_name, want, d->data_off,
			    &err);
	if (rc) {
		bpfamd_log(LOG_ERR, "%s", err.msg);
		return EXIT_FAILURE;
	}
	d->lent = want;
	if (want)
		say_lent(d, "");
	else
		bpfamd_log(
			LOG_NOTICE,
			"%s: gave back the range a bpfamd left lent to the "
			"kernel (killed?): this mount serves the data itself",
			d->device);
	return 0;
}

/*
 * A command that opened the device just before the unmount (`umount; bpfam
 * fsck`) keeps it busy for a moment: wait for it rather than leave the
 * device lent.
 */
#define GIVE_BACK_WAIT_MS 10000

struct give_back {
	struct bpfamd *d;
	struct bpfam_err err;
	bool said;
};

/* 0 given back, 1 busy (to try again), -errno. */
static int try_give_back(void *arg)
{
	struct give_back *g = arg;
	int rc = bpfam_lend_set("", g->d->dax_path, g->d->dax_name, false, 0,
				&g->err);

	if (rc != -EBUSY)
		return rc;
	if (!g->said)
		bpfamd_log(LOG_INFO, "%s; waiting up to %d s", g->err.msg,
			   GIVE_BACK_WAIT_MS / 1000);
	g->said = true;
	return 1;
}

void bpfamd_give_back(struct bpfamd *d)
{
	struct give_back g = {.d = d};
	int rc;

	if (!d->lent)
		return;
	d->lent = false;
	rc = bpfam_poll_ms(GIVE_BACK_WAIT_MS, 100, try_give_back, &g);
	if (rc) {
		bpfamd_log(LOG_ERR,
			   "%s; it stays lent: give it back with 'bpfam lend "
			   "--none %s'",
			   g.err.msg, d->dax_path);
		return;
	}
	bpfamd_log(LOG_INFO, "%s: given back by the kernel (no longer lent)",
		   d->device);
}

static const char *zero_hint(int e)
{
	if (e == ENOTTY || e == EINVAL)
		return " (a kernel without FUSE_DEV_IOC_FMAP_ZERO? files "
		       "cannot grow on a lent device)";
	return "";
}

/*
 * Device bytes [dev_off, dev_off + len) that a file gains, zeroed by the
 * kernel (FUSE_DEV_IOC_FMAP_ZERO takes any byte range): the daemon maps
 * none of the lent range.
 */
int bpfamd_zero_lent(struct bpfamd *d, uint64_t dev_off, uint64_t len)
{
	struct fuse_fmap_zero z = {.offset = dev_off, .length = len};
	int e = 0;

	if (!len)
		return 0;
	if (d->kernel_dev < 0 || !d->se) {
		e = ENODEV; /* not registered (yet): nothing reaches it */
	} else {
		z.dev_id = (uint32_t)d->kernel_dev;
		if (ioctl(fuse_session_fd(d->se), FUSE_DEV_IOC_FMAP_ZERO, &z))
			e = errno;
	}
	if (!e)
		return 0;
	if (say_now(&d->lent_said_ms))
		bpfamd_log(LOG_ERR,
			   "%s: cannot zero device bytes %llu+%llu through the "
			   "kernel: %s%s",
			   d->device, (unsigned long long)dev_off,
			   (unsigned long long)len, strerror(e), zero_hint(e));
	return e == EROFS || e == ENOTCONN ? -e : -EIO;
}

int bpfamd_lent_eio(struct bpfamd *d, fuse_ino_t ino, const char *op)
{
	if (say_now(&d->lent_said_ms))
		bpfamd_log(
			LOG_ERR,
			"%s: lent to the kernel (fs-dax): file data is "
			"reachable only through the kernel, so a %s of inode "
			"%llu that reached the daemon failed with EIO (said "
			"at most once a minute)",
			d->device, op, (unsigned long long)ino);
	return -EIO;
}
