/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metadata log: a cursor that plays records in order and, on the
 * primary, appends new ones.  An append is durable and visible to other
 * hosts when bpfam_log_append() returns, or, in group mode
 * (bpfam_log_group()), once a bpfam_group_wait() that covers it returns.
 */
#ifndef BPFAM_LOG_H
#define BPFAM_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "err.h"
#include "group.h"
#include "record.h"
#include "sb.h"

struct bpfam_log {
	const struct bpfam_device *dev;
	uint64_t base;	   /* device offset of the log */
	uint64_t size;	   /* bytes */
	uint64_t tail;	   /* bytes in use: where the next record goes */
	uint64_t next_seq; /* sequence number of the next record */
	/* A sealed record whose flush failed: [unsure_off, +unsure_len) of
	 * the log.  No append until a flush of it succeeds. */
	uint64_t unsure_off;
	uint64_t unsure_len;
	/* Group mode: appends leave records unsealed, for @group's flushes
	 * to seal many at once; NULL: each append flushes and seals. */
	struct bpfam_group *group;
};

/* A cursor at the start of the log described by @sb. */
void bpfam_log_init(struct bpfam_log *log, const struct bpfam_device *dev,
		    const struct bpfam_sb_info *sb);

/*
 * Read the record at the cursor into @r and step past it.  Returns 1, 0 at
 * the end of the log (the cursor stays: call again later to pick up records
 * another host appended), or -EBADMSG with @err naming the record.
 */
int bpfam_log_next(struct bpfam_log *log, struct bpfam_record *r,
		   struct bpfam_err *err);

/*
 * At the end of the log: the count of non-zero bytes where the next record
 * would go — what a writer that stopped mid-append leaves.  Zero when the
 * log ends cleanly.
 */
uint64_t bpfam_log_torn_bytes(const struct bpfam_log *log);

/* Zero a torn tail so the next append starts on clean bytes (primary);
 * 0 or the -errno of the flush. */
int bpfam_log_clear_tail(struct bpfam_log *log);

/*
 * Append @r at the end (the cursor must be there: play the whole log
 * first), giving it the next sequence number.  -ENOSPC when the log is full.
 *
 * -EIO comes in two kinds.  When the body could not be flushed, nothing was
 * sealed and the log is as it was.  When the seal could not be flushed the
 * record is in the log, visible here and maybe elsewhere, but perhaps not
 * durable: the cursor moves past it (its offset and sequence number are
 * used) and bpfam_log_unsure() is true; every later append first retries
 * that flush and fails with -EIO until it succeeds.
 */
int bpfam_log_append(struct bpfam_log *log, struct bpfam_record *r,
		     struct bpfam_err *err);

/*
 * Group commit from now on (the primary's daemon): an append writes its
 * record's body and returns; a flush of @g (bpfam_group_wait()) makes the
 * bodies durable, then seals their headers and makes those durable, two
 * flushes for all the records appended since the last.  Until then no
 * other host sees them and a crash leaves them as a torn tail, which
 * bpfam_log_check_end() reports and the next primary clears.  So that the
 * tail stays inside the window that clearing covers, an append that would
 * leave more than BPFAM_REC_MAX bytes unsealed waits for a flush first.
 * The appender's lock serialises appends; @g is set up here.
 */
void bpfam_log_group(struct bpfam_log *log, struct bpfam_group *g);

/* Whether the last failed append left its record sealed in the log. */
static inline bool bpfam_log_unsure(const struct bpfam_log *log)
{
	return log->unsure_len != 0;
}

/* Free bytes at the end of the log. */
static inline uint64_t bpfam_log_room(const struct bpfam_log *log)
{
	return log->size - log->tail;
}

#endif /* BPFAM_LOG_H */
