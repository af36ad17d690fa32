/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Group commit: records are appended one at a time (serialised by their
 * writer), and made durable many at once.  A thread that needs its record
 * durable waits; the first waiter to find no flush under way flushes
 * everything appended so far, in one call, while the others wait for it, and
 * a waiter returns only once a flush that covers its record has succeeded.
 * Positions are byte offsets that only grow (the end of the log).
 */
#ifndef BPFAM_GROUP_H
#define BPFAM_GROUP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Make [from, to) durable: 0 or -errno.  Called with no lock held, by one
 * thread at a time; a range that failed is offered again. */
typedef int (*bpfam_group_flush_fn)(void *arg, uint64_t from, uint64_t to);

struct bpfam_group {
	pthread_mutex_t mu;
	pthread_cond_t done; /* a flush ended */
	uint64_t appended;   /* the end of what was appended */
	uint64_t durable;    /* the end of what a flush made durable */
	bool flushing;	     /* a waiter is flushing */
	bool closed;	     /* no more flushes: waits fail */
	bpfam_group_flush_fn flush;
	void *arg;
	uint64_t flushes; /* flushes that succeeded, for the stats */
};

/* Nothing pending: everything up to @start is durable. */
void bpfam_group_init(struct bpfam_group *g, bpfam_group_flush_fn flush,
		      void *arg, uint64_t start);
void bpfam_group_destroy(struct bpfam_group *g);

/* What was appended now ends at @end (by the one appender at a time). */
void bpfam_group_appended(struct bpfam_group *g, uint64_t end);

/* Until everything up to @upto is durable: 0, or the -errno of the flush
 * that failed (then nothing is known about @upto; the next wait retries). */
int bpfam_group_wait(struct bpfam_group *g, uint64_t upto);

/* bpfam_group_wait() for everything appended so far. */
int bpfam_group_sync(struct bpfam_group *g);

/* No flush from now on (the memory is no longer ours to write): waits for
 * the one under way, if any; later waits for more fail with -EIO. */
void bpfam_group_close(struct bpfam_group *g);

/* The end of what is durable (a flush may be making more so). */
uint64_t bpfam_group_durable(struct bpfam_group *g);

#endif /* BPFAM_GROUP_H */
