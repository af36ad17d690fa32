/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel fast path (kpatch/README.md): the daemon registers its devdax
 * device with the FUSE connection and attaches the fuse_fmap_ops resolver
 * (bpf/fmap_ops.bpf.c) over the maps it publishes.  From then on the kernel
 * serves read/write/splice/mmap of files with an fmap without the daemon.
 */
#ifndef BPFAMD_FAST_H
#define BPFAMD_FAST_H

#include "bpfamd.h"

/* Does this kernel have the fast path (the kpatch/ series)? */
bool bpfamd_fast_kernel(void);

/*
 * Before the FUSE mount, with the device open and the maps created: can
 * this kernel, device and BPF setup have the fast path?  0 yes, -1 with
 * d->mode_reason saying why not.
 */
int bpfamd_fast_check(struct bpfamd *d);

/*
 * After the FUSE mount and its INIT, before serving: register the device
 * and attach the resolver to the connection of @se.  0, or -errno with
 * d->mode_reason set and nothing attached.
 */
int bpfamd_fast_start(struct bpfamd *d, struct fuse_session *se);

/* Detach the resolver: the kernel hands every access back to the daemon. */
void bpfamd_fast_stop(struct bpfamd *d);

#endif /* BPFAMD_FAST_H */
