/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfamd: the FUSE daemon serving one bpfam filesystem.  docs/daemon.md is
 * the design; this header is the state its files share.
 *
 * Locking: struct bpfam_fs is not thread-safe, so `lock` covers the
 * namespace, the node table and the BPF map entries.  Inodes and their
 * fmaps are never freed while mounted (the format has no delete) and an
 * fmap never changes once set, so a pointer taken under the lock stays
 * valid and stable after it is dropped: the data path copies without it.
 */
#ifndef BPFAMD_H
#define BPFAMD_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs.h"
#include "maps.h"

enum bpfamd_role {
	BPFAMD_ROLE_AUTO,    /* primary iff this host is the sb's primary */
	BPFAMD_ROLE_PRIMARY, /* the metadata writer */
	BPFAMD_ROLE_CLIENT,  /* data read-write, metadata read-only */
};

/* -o mode= */
enum bpfamd_mode {
	BPFAMD_MODE_AUTO,     /* fast when the kernel can, else fallback */
	BPFAMD_MODE_FAST,     /* fast or refuse to mount */
	BPFAMD_MODE_FALLBACK, /* the daemon serves all data */
};

struct bpf_link;
struct fmap_ops;

/* What the daemon knows about a node id (= inode number) beyond the fs. */
struct bpfamd_node {
	uint64_t nlookup; /* the kernel's references: lookups - forgets */
	uint64_t chunk;	  /* pending user.bpfam.layout, used at sizing */
	uint32_t strips;  /* 0: simple */
	bool published;	  /* its fmap is in the fmaps BPF map */
};

/* Request counts by FUSE opcode (the uapi numbers, all below 64). */
#define BPFAMD_NR_OPCODES 64

struct bpfamd {
	/* Set up before serving, read-only afterwards. */
	const char *device;    /* as given, for messages */
	char mountpoint[4096]; /* absolute: we chdir("/") when daemonized */
	enum bpfamd_role role;
	enum bpfamd_mode mode;
	bool fast;	       /* the resolver is attached (fast.c) */
	char mode_reason[256]; /* why not fast, when not */
	struct fmap_ops *fast_skel;
	struct bpf_link *fast_link; /* its lifetime is the fast path's */
	bool foreground;
	bool debug;
	/* Negotiated at FUSE_INIT (session.c), before any open. */
	bool direct_io;
	uint64_t init_unique;
	bool allow_mmap_offered;

	pthread_mutex_t lock; /* everything below up to the counters */
	pthread_cond_t stop;  /* wakes the client's refresh thread to quit */
	bool stopping;
	bool refresh_failed; /* said once: a record did not play */
	bool map_full;	     /* said once: the fmaps map is full */
	struct bpfam_fs fs;
	struct bpfamd_node *nodes; /* indexed by inode number */
	uint64_t nodes_cap;
	struct bpfamd_maps maps;

	/* Counters, updated with atomic adds by any thread. */
	uint64_t requests[BPFAMD_NR_OPCODES];
	uint64_t bytes_read;
	uint64_t bytes_written;
};

static inline bool bpfamd_primary(const struct bpfamd *d)
{
	return d->role == BPFAMD_ROLE_PRIMARY;
}

static inline void bpfamd_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* The daemon of a request (its session's userdata). */
static inline struct bpfamd *bpfamd_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Log one line: stderr in the foreground or before daemonizing, else syslog. */
void bpfamd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The FUSE operations (ops.c, data.c, xattr.c). */
extern const struct fuse_lowlevel_ops bpfamd_ops;

#endif /* BPFAMD_H */
