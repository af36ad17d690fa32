/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lending the device to the kernel (lib/lend.h): on a fast-path host the
 * kernel serves file data through fs-dax, which needs the device's data
 * range [data_off, size) lent to it.  bpfamd lends it before it maps the
 * device and gives it back at exit; while it is lent, the daemon maps
 * only the metadata and reaches file data only through the kernel.
 */
#ifndef BPFAMD_LENDING_H
#define BPFAMD_LENDING_H

#include "bpfamd.h"

/*
 * Before the device is opened, its superblock read (d->data_off): lend
 * the data range to the kernel when bpfamd is going to take the fast
 * path on a kernel that lends, or give back a range a killed daemon left
 * lent when it is not.  0, or EXIT_FAIL after one line saying why, the
 * device as it was.
 */
int bpfamd_lend(struct bpfamd *d);

/* At exit, once the daemon has let go of the device: give it back. */
void bpfamd_give_back(struct bpfamd *d);

/*
 * Zero device bytes [dev_off, dev_off + len) of the lent range through
 * the kernel (FUSE_DEV_IOC_FMAP_ZERO): 0 or -errno.
 */
int bpfamd_zero_lent(struct bpfamd *d, uint64_t dev_off, uint64_t len);

/*
 * The answer to a request for file data the daemon would copy itself:
 * -EIO, with a line (at most one a minute) saying why.
 */
int bpfamd_lent_eio(struct bpfamd *d, fuse_ino_t ino, const char *op);

#endif /* BPFAMD_LENDING_H */
