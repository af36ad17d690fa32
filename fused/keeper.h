/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The keeper: one thread per daemon that beats this host's slot every
 * heartbeat period, follows the log on a client, reclaims on the primary,
 * tells the kernel about names that went away, and fences the daemon when
 * the device stops being ours (docs/sharing.md).
 */
#ifndef BPFAMD_KEEPER_H
#define BPFAMD_KEEPER_H

#include "bpfamd.h"

/*
 * Start the keeper; 0 or -errno.  It runs with the exit signals blocked,
 * so SIGTERM and SIGINT reach the FUSE loop's threads.
 */
int bpfamd_keeper_start(struct bpfamd *d, pthread_t *thread);
void bpfamd_keeper_stop(struct bpfamd *d, pthread_t thread);

/*
 * Heartbeats from the join until the keeper takes over: loading the log,
 * publishing fmaps and mounting take longer than a liveness window, and a
 * host that looks dead meanwhile would be formatted over or evicted.  Stop
 * it before fuse_daemonize() (a fork keeps no threads).  0 or -errno.
 */
int bpfamd_pulse_start(struct bpfamd *d);
void bpfamd_pulse_stop(struct bpfamd *d);

/*
 * Called with d->lock held when something says the device is no longer
 * ours (-ESTALE from libbpfam, with @why naming it): from now on nothing
 * touches the device, every I/O fails with EIO, and the keeper finishes
 * the fence within a period — kernel mappings zapped, fmaps withdrawn,
 * the fence acknowledged in our slot, the device closed.
 */
void bpfamd_fence(struct bpfamd *d, const char *why);

/*
 * Withdraw every published fmap, detach the fast path and have the kernel
 * drop its mappings of every file it still knows (without d->lock and
 * d->io): after it, nothing reaches the device through this mount.
 * Returns how many files the kernel could not be told about.
 */
int bpfamd_withdraw(struct bpfamd *d);

/*
 * Queue for the keeper (d->lock held): the kernel forgets the entry @name
 * in @parent (NULL: none), deleting it when @gone (@child lost its last
 * name), and @child's cached attributes.
 */
void bpfamd_queue_inval(struct bpfamd *d, uint64_t parent, uint64_t child,
			const char *name, bool gone);

/*
 * Give the primary back the space every registered host has let go of
 * (d->lock held): 1 if a reclaim record freed some, 0, or -errno.
 */
int bpfamd_reclaim(struct bpfamd *d);

#endif /* BPFAMD_KEEPER_H */
