/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host slots (struct bpfam_slot in bpfam/format.h): decoded, validated,
 * encoded, and the questions other hosts ask of them — who is live, and
 * how far every registered host lets the primary reclaim.
 */
#ifndef BPFAM_SLOT_H
#define BPFAM_SLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfam/format.h"
#include "device.h"
#include "err.h"
#include "sb.h"

struct bpfam_slot_info {
	uint32_t index;
	uint8_t fs_uuid[16];
	uint64_t generation;
	uint8_t host_id[16];
	uint64_t incarnation;
	uint32_t role;  /* enum bpfam_host_role */
	uint32_t state; /* enum bpfam_host_state */
	uint64_t heartbeat;
	uint32_t period_ms;
	uint32_t pid;
	uint64_t played_seq;
	uint64_t horizon;
	uint64_t stuck_seq;
	uint64_t joined;
	char name[BPFAM_HOSTNAME_MAX + 1];
	char mountpoint[BPFAM_MOUNT_MAX + 1];
	uint64_t evicted; /* the incarnation someone evicted, or 0 */
};

/* What a slot holds, as far as its reader can tell. */
enum bpfam_slot_status {
	BPFAM_SLOT_FREE,    /* never used, left, or evicted */
	BPFAM_SLOT_USED,    /* a host of this filesystem */
	BPFAM_SLOT_FOREIGN, /* a host of an earlier filesystem on the device */
	BPFAM_SLOT_TORN,    /* checksum kept failing: being rewritten, or bad */
};

/* Where slot @i lives in the mapping of @dev. */
struct bpfam_slot *bpfam_slot_at(const struct bpfam_device *dev,
				 const struct bpfam_sb_info *sb, uint32_t i);

/*
 * Read slot @i into @out (a private copy: its owner rewrites it while we
 * look).  A checksum mismatch is retried a few times, since a reader can
 * catch a rewrite half-way, before it is called TORN.
 */
enum bpfam_slot_status bpfam_slot_read(const struct bpfam_device *dev,
				       const struct bpfam_sb_info *sb,
				       uint32_t i,
				       struct bpfam_slot_info *out);

/* Encode @in into slot in->index and flush it.  0 or -errno of the flush. */
int bpfam_slot_write(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb,
		     const struct bpfam_slot_info *in);

/* Free slot @i (a host leaving): zero its magic, flush.  0 or -errno. */
int bpfam_slot_clear(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb, uint32_t i);

/* Mark incarnation @inc of slot @i evicted.  0 or -errno of the flush. */
int bpfam_slot_evict(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb, uint32_t i, uint64_t inc);

/*
 * Every slot whose host still holds a place: in use by a host of this
 * filesystem and not evicted, or torn.  Fills @out (BPFAM_SLOTS_NR
 * entries; a torn slot has index set and everything else zero) and
 * returns how many.
 */
uint32_t bpfam_slots_registered(const struct bpfam_device *dev,
				const struct bpfam_sb_info *sb,
				struct bpfam_slot_info *out);

/*
 * The reclaim gate: the lowest horizon of every registered host (torn
 * slots count as horizon 0: hold everything), and @own for the caller,
 * whose slot @own_slot is skipped (its live horizon is newer than what it
 * last published).  UINT64_MAX when no host holds anything back.
 */
uint64_t bpfam_slots_gate(const struct bpfam_device *dev,
			  const struct bpfam_sb_info *sb, uint32_t own_slot,
			  uint64_t own);

/*
 * Which of @n registered hosts are live: read every heartbeat, wait
 * @wait_ms (at least three of the slowest host's periods), read again.
 * live[k] is set when out[k]'s heartbeat moved.
 */
void bpfam_slots_liveness(const struct bpfam_device *dev,
			  const struct bpfam_sb_info *sb,
			  const struct bpfam_slot_info *hosts, uint32_t n,
			  uint32_t wait_ms, bool *live);

/* The wait that bpfam_slots_liveness() needs for @hosts, at least @min_ms. */
uint32_t bpfam_slots_liveness_wait(const struct bpfam_slot_info *hosts,
				   uint32_t n, uint32_t min_ms);

/* The registered hosts of a filesystem, and which of them are live. */
struct bpfam_hosts {
	uint32_t n;
	struct bpfam_slot_info slot[BPFAM_SLOTS_NR];
	bool live[BPFAM_SLOTS_NR];
};

/*
 * bpfam_slots_registered() into @h, then bpfam_slots_liveness() over at
 * least @min_ms and three heartbeat periods of the slowest host.  Takes no
 * time when no host is registered.
 */
void bpfam_hosts_sample(const struct bpfam_device *dev,
			const struct bpfam_sb_info *sb, uint32_t min_ms,
			struct bpfam_hosts *h);

/*
 * Whether @s is a torn slot as bpfam_slots_registered() lists one: only
 * its index is known.  A host's incarnation is never 0.
 */
static inline bool bpfam_slot_torn(const struct bpfam_slot_info *s)
{
	return !s->incarnation;
}

/* "host 'NAME' (id ID, slot N, pid P)", or "torn slot N", in @buf. */
#define BPFAM_SLOT_DESC_MAX 192
char *bpfam_slot_describe(const struct bpfam_slot_info *s,
			  char buf[BPFAM_SLOT_DESC_MAX]);

/* "primary", "client", "recover" or "?". */
const char *bpfam_role_name(uint32_t role);

#endif /* BPFAM_SLOT_H */
