/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory errors in the device mapping: a SIGBUS while the daemon copies
 * file data (a device file shrunk under it, a poisoned page of devdax)
 * fails that one request with EIO instead of killing the daemon.  One
 * anywhere else in the device (its own metadata gone or failed) ends the
 * daemon with a line that says where and why, not a silent SIGBUS.
 */
#ifndef BPFAMD_MEMERR_H
#define BPFAMD_MEMERR_H

#include <stdint.h>

#include "bpfamd.h"

/*
 * Install the SIGBUS handler for d's device mapping and start the thread
 * that reports a fatal one: 0 or 1.  Call after fuse_daemonize().
 */
int bpfamd_memerr_start(struct bpfamd *d);

/*
 * fn(arg), with a SIGBUS on the device mapping in this thread turned into
 * -EIO and *dev_off set to the device offset of the fault.  fn must take
 * no lock and allocate nothing: it may be abandoned half-way.
 */
int bpfamd_memerr_guard(int (*fn)(void *), void *arg, uint64_t *dev_off);

#endif /* BPFAMD_MEMERR_H */
