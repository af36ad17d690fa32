/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lending a device-dax to the kernel (kpatch/ "lending mode"): the sysfs
 * attribute /sys/bus/dax/devices/daxX.Y/lend holds "none" or the byte
 * offset from which the device's memory belongs to a filesystem (fs-dax).
 * It can be written only while no driver is bound, so a switch is
 * unbind, write, bind, as `daxctl reconfigure-device` does.  Unbinding
 * kills every mapping of the device and leaves its open descriptors
 * useless, so a switch needs the device idle.
 *
 * Every path is taken under @root ("" for the running system), so that
 * tests can give a fake /sys, /proc and /dev.
 */
#ifndef BPFAM_LEND_H
#define BPFAM_LEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define BPFAM_DAX_NAME_MAX 32

/* What the kernel says of one device-dax. */
struct bpfam_lend {
	char name[BPFAM_DAX_NAME_MAX]; /* "dax0.0" */
	bool lent;
	uint64_t off; /* lent from here on, when lent */
};

/*
 * The device-dax name of character device @rdev (from
 * /sys/dev/char/MAJ:MIN).  0, or -errno with @err naming @path.
 */
int bpfam_lend_name(const char *root, const char *path, dev_t rdev, char *name,
		    struct bpfam_err *err);

/*
 * The lend state of device-dax @name into @l.  -ENOENT (without a
 * message) when the kernel has no lend attribute: a stock kernel;
 * -ENODEV when @name is no device-dax at all.
 */
int bpfam_lend_read(const char *root, const char *name, struct bpfam_lend *l,
		    struct bpfam_err *err);

/*
 * Another process that has the device node @path (character device
 * @rdev) open or mapped: its pid and (in @comm, 16 bytes) its name, or 0.
 * Scans /proc/PID/fd and /proc/PID/maps; best effort: a process may open
 * it just after, and one that sees another node of it through a path
 * bind-mounted elsewhere is found by its descriptors only.
 */
pid_t bpfam_lend_user(const char *root, const char *path, dev_t rdev,
		      char *comm);

/*
 * The switch lock of device-dax @name: flock(2) on its lend attribute,
 * which, unlike the device node, stays through an unbind.  A switch holds
 * it exclusive from its idle check to the end of the bind; a command
 * opening the device holds it shared until its descriptor and mapping
 * exist, so that the idle check sees them or the command opens the device
 * as the switch left it.  Waits up to 10 s for the other side.  A
 * descriptor whose close(2) unlocks, or -errno: -ENOENT on a kernel that
 * cannot lend (nothing to lock against), -ETIMEDOUT.
 */
int bpfam_lend_lock(const char *root, const char *name, bool exclusive);

/*
 * bpfam_lend_lock() shared for device node @path: -ENOENT too when @path
 * is no device-dax.
 */
int bpfam_lend_lock_node(const char *path);

/*
 * Make device-dax @path (named @name) lent from @off (@lend) or not
 * lent: refused while a process has it open or mapped; under the switch
 * lock, unbind, write the attribute, bind, wait for @path to come back.
 * On a failure after the unbind, the previous state is put back.  0, or
 * -errno with @err naming the device and the reason.
 */
int bpfam_lend_set(const char *root, const char *path, const char *name,
		   bool lend, uint64_t off, struct bpfam_err *err);

/*
 * open(2) of a device-dax node, which fails with ENXIO while the device is
 * being switched (its node stays through the unbind; the character device
 * goes until the bind): tried again for up to 5 s, so that a command
 * right after a umount finds the device the exiting bpfamd gives back.
 */
int bpfam_dax_open(const char *path, int flags);

#endif /* BPFAM_LEND_H */
