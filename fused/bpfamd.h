/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfamd: the FUSE daemon serving one bpfam filesystem.  docs/daemon.md is
 * the design; this header is the state its files share.
 *
 * Locking: struct bpfam_fs is not thread-safe, so `lock` covers the
 * namespace, the node table, the BPF map entries and log appends.  What a
 * reader of fmaps could see change (a record played, a size a write
 * raised) changes under `ns` exclusive too (struct bpfam_fs.exclude), so a
 * read copies the fmap, getattr reads an inode, and the primary finds a
 * name missing or lists a directory (without attributes) under `ns`
 * shared, without `lock`: none of them waits behind a log append, which
 * holds `lock` only.  A resize replaces an
 * inode's fmap, so the data path copies the fmap (a read under `ns`, a
 * write under `lock`) and the data under neither (a write that extends a
 * file: under `lock`).  An inode is
 * freed only when a reclaim record passes it, and extents a resize dropped
 * only when one passes that resize, which this host's horizon forbids
 * while the kernel holds a reference to the node (a request in flight
 * holds one) and, for dropped extents, until the keeper has told the
 * kernel and taken `io` exclusive.  The data path holds `io` shared while
 * it touches the device; fencing takes it exclusive too, so once a fence
 * is acknowledged no copy is in flight.  Order: io, lock, ns.
 */
#ifndef BPFAMD_H
#define BPFAMD_H

#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs.h"
#include "group.h"
#include "host.h"
#include "log.h"
#include "maps.h"

enum bpfamd_role {
	BPFAMD_ROLE_AUTO,    /* primary iff this host is the sb's primary */
	BPFAMD_ROLE_PRIMARY, /* the metadata writer */
	BPFAMD_ROLE_CLIENT,  /* data read-write, metadata read-only */
	BPFAMD_ROLE_RECOVER, /* -o recover: all read-only, not following */
};

/* -o mode= */
enum bpfamd_mode {
	BPFAMD_MODE_AUTO,     /* fast when the kernel can, else fallback */
	BPFAMD_MODE_FAST,     /* fast or refuse to mount */
	BPFAMD_MODE_FALLBACK, /* the daemon serves all data */
};

struct bpf_link;
struct fmap_ops;

/* A name the kernel may cache that a played record removed or moved. */
struct bpfamd_inval {
	uint64_t parent;
	uint64_t child;
	char *name; /* NULL: only @child's attributes */
	bool gone;  /* it was @child's last name */
};

/* What the daemon knows about a node id (= inode number) beyond the fs. */
struct bpfamd_node {
	uint64_t nlookup; /* the kernel's references: lookups - forgets */
	uint64_t chunk;	  /* pending user.bpfam.layout, used at sizing */
	uint32_t strips;  /* 0: simple */
	uint32_t opens;	  /* open files: the last close trims */
	uint64_t keep;	  /* fallocate KEEP_SIZE reserved up to here */
	bool published;	  /* its fmap is in the fmaps BPF map */
	bool memerr_said; /* a memory error in its data was logged */
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
	struct fuse_args fuse_args; /* libfuse's options, for the session */
	struct fuse_cmdline_opts cmdline; /* -s, -o max_threads=, ... */
	bool recover;		 /* -o recover: read-only up to a bad record */
	bool size_once;		 /* -o size_once: sizes are set once */
	uint8_t host_id[16];	 /* -o host-id=, else zero: the machine id */
	uint32_t period_ms;	 /* -o heartbeat= */
	struct fuse_session *se; /* for notifications to the kernel */
	/* Negotiated at FUSE_INIT (session.c), before any open. */
	bool direct_io;
	bool allow_mmap_offered;
	bool fmap_offered; /* the kernel offered FUSE_FMAP (kpatch/) */
	bool fmap_agreed;  /* and we asked for it */
	uint64_t play_ms;  /* what the log play at mount took, to say it */
	/* Lending the data range to the kernel (lending.c). */
	uint64_t data_off;	     /* the superblock's, read at start */
	bool lent;		     /* by us, or found so: give it back */
	char dax_name[32];	     /* "dax0.0" */
	char dax_path[4096];	     /* the device node, absolute */
	int kernel_dev;		     /* FUSE_DEV_IOC_DAXDEV_OPEN's id, or -1 */
	uint64_t lent_said_ms;	     /* the last "reachable only..." line */

	pthread_rwlock_t io;  /* see above */
	pthread_rwlock_t ns;  /* ditto */
	pthread_mutex_t lock; /* everything below up to the counters */
	pthread_cond_t stop;  /* wakes the keeper thread to quit */
	bool stopping;
	bool pulsing; /* the start-up heartbeat runs */
	pthread_t pulse_thread;
	bool map_full; /* said once: the fmaps map is full */
	bool fenced;   /* for good: the device is not ours any more */
	char fence_msg[512];
	uint64_t stuck_seq; /* a record that did not play; 0: following */
	char stuck_msg[512];
	struct bpfam_fs fs;
	/* The primary's log appends, made durable many at once before the
	 * replies that depend on them (session.c); grouped: in use. */
	struct bpfam_group group;
	bool grouped;
	struct bpfam_host host;
	struct bpfamd_node *nodes; /* indexed by inode number */
	uint64_t nodes_cap;
	struct bpfamd_maps maps;
	struct bpfamd_inval *invals; /* for the keeper to send, unlocked */
	bool inval_lost;	     /* one was not queued or sent: tell all */
	size_t ninvals;
	size_t invals_cap;

	/* Counters, updated with atomic adds by any thread. */
	uint64_t requests[BPFAMD_NR_OPCODES];
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t memory_errors; /* requests failed by a SIGBUS (memerr.c) */
};

static inline bool bpfamd_primary(const struct bpfamd *d)
{
	return d->role == BPFAMD_ROLE_PRIMARY;
}

static inline const char *bpfamd_role_name(const struct bpfamd *d)
{
	switch (d->role) {
	case BPFAMD_ROLE_PRIMARY:
		return "primary";
	case BPFAMD_ROLE_RECOVER:
		return "recover";
	default:
		return "client";
	}
}

/* Why metadata cannot change here: 0 on a primary that may, else -errno. */
static inline int bpfamd_may_change(const struct bpfamd *d)
{
	if (d->fenced)
		return -EIO;
	return bpfamd_primary(d) ? 0 : -EROFS;
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

/* The FUSE operations (ops.c, data.c, xattr.c). */
extern const struct fuse_lowlevel_ops bpfamd_ops;

#endif /* BPFAMD_H */
