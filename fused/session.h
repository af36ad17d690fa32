/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Our side of /dev/fuse: libfuse's custom I/O hooks, through which the
 * daemon counts requests by opcode and negotiates what libfuse 3.14 cannot
 * (mmap of direct-I/O files, the fast path).
 */
#ifndef BPFAMD_SESSION_H
#define BPFAMD_SESSION_H

#include "bpfamd.h"

/* Route the mounted session's /dev/fuse traffic through our hooks. */
int bpfamd_session_hook(struct fuse_session *se);

/*
 * Answer the kernel's FUSE_INIT, the first request of a mount, before the
 * loop serves the rest: the fast path's ioctls need the connection set up
 * with what INIT negotiated.  0, or -errno (the connection went away).
 */
int bpfamd_session_init(struct fuse_session *se);

/* "lookup", "read", ...; NULL for an opcode this build does not know. */
const char *bpfamd_opcode_name(unsigned int opcode);

#endif /* BPFAMD_SESSION_H */
