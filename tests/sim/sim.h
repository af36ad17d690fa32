/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The many-hosts simulation (tests/sim/README.md): what simdrive (the
 * driver and checker) and simhost (one simulated host) share.  The data
 * pattern, the seeded random numbers, the journal of acknowledged changes,
 * the invariant checks, and a small shared memory file through which the
 * hosts report counts and violations to the driver.
 */
#ifndef BPFAM_SIM_H
#define BPFAM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "fs.h"

#define SIM_PERIOD_MS 20      /* every host's heartbeat period */
#define SIM_MAX_HOSTS 64
#define SIM_DRAIN_MS 5000     /* the stopping primary's time to reclaim all */
#define SIM_READY_MODE 0644   /* a file the primary filled and acknowledged */
#define SIM_FILLING_MODE 0600 /* a file the primary is still filling */

/* How a simulated host exits; the driver tells them apart. */
enum sim_exit {
	SIM_EXIT_OK = 0,        /* stopped by SIGTERM, left cleanly */
	SIM_EXIT_ERROR = 1,     /* a library call failed unexpectedly */
	SIM_EXIT_USAGE = 2,
	SIM_EXIT_FENCED = 3,    /* -ESTALE: acknowledged the fence and left */
	SIM_EXIT_VIOLATION = 4, /* an invariant broke (in the shared file) */
};

/* The invariant classes; the driver prints one TAP line for each. */
enum sim_class {
	SIM_V_OVERLAP, /* two live files share a byte, or the allocator lies */
	SIM_V_PATTERN, /* a file held other bytes than its own */
	SIM_V_ACK,     /* an acknowledged change is missing after a restart */
	SIM_V_FENCE,   /* a host fenced without being evicted */
	SIM_V_DRAIN,   /* deleted space stayed pending once every host left */
	SIM_V_ERROR,   /* a host failed in another way */
	SIM_V_NR,
};

enum sim_counter {
	SIM_C_CREATES,       /* files created, filled and acknowledged */
	SIM_C_DELETES,       /* deletes acknowledged */
	SIM_C_RECLAIMS,      /* reclaim records appended */
	SIM_C_RECLAIMED,     /* files whose space they freed */
	SIM_C_GATE_WAITS,    /* reclaims that left a delete to the gate */
	SIM_C_ENOSPC,        /* creates refused for want of space */
	SIM_C_HOLDS,         /* files a client held */
	SIM_C_HELD_DELETED,  /* ... that it saw deleted while it held them */
	SIM_C_VERIFIED,      /* bytes checked against their pattern */
	SIM_C_WRITTEN,       /* bytes a client wrote back into a held file */
	SIM_C_FENCES,        /* clients that fenced themselves */
	SIM_C_PRIMARY_CHECKS, /* invariant checks in the primary */
	SIM_C_RESTART_CHECKS, /* journals checked by a restarted primary */
	SIM_C_NR,
};

/* A host's word in the shared file: how far it got, for the driver. */
enum sim_host_state {
	SIM_HOST_JOINING = 0, /* started, not yet through bpfam_host_join() */
	SIM_HOST_RUNNING = 1, /* joined */
	SIM_HOST_PAUSED = 2,  /* stopped at a safe point: touches nothing */
	SIM_HOST_READY = 3,   /* the primary: joined and checked its journal */
};

struct sim_shared {
	uint64_t count[SIM_C_NR];
	struct {
		uint64_t n;
		char msg[512]; /* the first one */
	} viol[SIM_V_NR];
	uint32_t host_state[SIM_MAX_HOSTS];
	char note[SIM_MAX_HOSTS][256]; /* why the host fenced */
};

/* ---- random numbers: splitmix64, reproducible from one seed ---------- */

uint64_t sim_mix(uint64_t x);
uint64_t sim_rand(uint64_t *state);
/* Uniform in [lo, hi]. */
uint64_t sim_range(uint64_t *state, uint64_t lo, uint64_t hi);
/* True with probability @per_mille / 1000. */
bool sim_chance(uint64_t *state, unsigned int per_mille);
/* The seed of host @index's @incarnation-th process. */
uint64_t sim_seed_of(uint64_t seed, unsigned int index,
		     unsigned int incarnation);
/* Host @index's id: the same across restarts, so it takes its slot back. */
void sim_host_id(uint64_t seed, unsigned int index, uint8_t id[16]);

uint64_t sim_now_ms(void);
void sim_sleep_ms(uint64_t ms);

/* ---- the shared file -------------------------------------------------- */

/* Map DIR/shared, creating it when @create.  NULL with errno on failure. */
struct sim_shared *sim_shared_map(const char *dir, bool create);
void sim_count(struct sim_shared *sh, enum sim_counter c, uint64_t n);
/* Record (and print, prefixed "# ") a violation of @class. */
void sim_violation(struct sim_shared *sh, enum sim_class class,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *sim_class_name(enum sim_class class);

/* ---- file data: every 8-byte word is a function of where it belongs -- */

bool sim_ready(const struct bpfam_inode *in);
/* Write the pattern over [off, off + len) of @in and flush it.  0/-errno. */
int sim_fill(const struct bpfam_fs *fs, const struct bpfam_inode *in,
	     uint64_t off, uint64_t len);
/*
 * Compare [off, off + len) of @in with its pattern: true when it matches;
 * else @bad gets the file offset of the first wrong word and @what a line
 * naming it.
 */
bool sim_verify(const struct bpfam_fs *fs, const struct bpfam_inode *in,
		uint64_t off, uint64_t len, uint64_t *bad, char *what,
		size_t what_len);
/* A random 8-byte-aligned window of @in, at most @max bytes long. */
void sim_window(uint64_t *rng, const struct bpfam_inode *in, uint64_t max,
		uint64_t *off, uint64_t *len);

/* ---- invariants of a namespace ---------------------------------------- */

/*
 * No two extents of live inodes (linked, or deleted and not yet
 * reclaimed) overlap, each lies in the data area, and together they are
 * exactly what the allocator calls used.  0, or -1 with @what set.
 */
int sim_check_extents(const struct bpfam_fs *fs, char *what, size_t what_len);

/* ---- the journal of acknowledged changes ------------------------------ */

/*
 * One line per change, appended with O_APPEND and fsync'ed before the
 * change counts as acknowledged: "C ino gen size name" after a create was
 * filled and marked ready, "d ino" before a delete is tried, "D ino" after
 * it returned.  A change with no line may or may not be on the device.
 */
int sim_journal_open(const char *dir);
int sim_journal_add(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct sim_journal {
	struct sim_jent *by_ino; /* indexed by inode number */
	uint64_t cap;
	uint64_t lines;
};

/* Read DIR/journal's complete lines.  0 or -errno. */
int sim_journal_load(const char *dir, struct sim_journal *j);
void sim_journal_free(struct sim_journal *j);
/*
 * Whether @fs holds every change @acked acknowledges: acknowledged files
 * linked with their name, generation and size, acknowledged deletes gone.
 * A file may be gone if @asked (the journal read again after @fs was
 * played) has its delete asked for: a delete can land between the two
 * reads.  0, or -1 with @what naming the first missing change.
 */
int sim_journal_check(const struct sim_journal *acked,
		      const struct sim_journal *asked,
		      const struct bpfam_fs *fs, char *what, size_t what_len);

#endif /* BPFAM_SIM_H */
