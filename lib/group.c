// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "group.h"

void bpfam_group_init(struct bpfam_group *g, bpfam_group_flush_fn flush,
		      void *arg, uint64_t start)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->done, NULL);
	g->appended = g->durable = start;
	g->flushing = false;
	g->closed = false;
	g->flush = flush;
	g->arg = arg;
	g->flushes = 0;
}

void bpfam_group_destroy(struct bpfam_group *g)
{
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->mu);
}

void bpfam_group_appended(struct bpfam_group *g, uint64_t end)
{
	pthread_mutex_lock(&g->mu);
	g->appended = end;
	pthread_mutex_unlock(&g->mu);
}

/* Flush what is pending as the leader, @g->mu held on entry and exit but
 * not during the flush, so that appends and new waiters go on meanwhile. */
static int lead(struct bpfam_group *g)
{
	uint64_t from = g->durable, to = g->appended;
	int rc;

	g->flushing = true;
	pthread_mutex_unlock(&g->mu);
	rc = g->flush(g->arg, from, to);
	pthread_mutex_lock(&g->mu);
	g->flushing = false;
	if (!rc) {
		__atomic_store_n(&g->durable, to, __ATOMIC_RELEASE);
		g->flushes++;
	}
	pthread_cond_broadcast(&g->done);
	return rc;
}

int bpfam_group_wait(struct bpfam_group *g, uint64_t upto)
{
	int rc = 0;

	/* The common case once a flush covered us: no lock, no wait. */
	if (__atomic_load_n(&g->durable, __ATOMIC_ACQUIRE) >= upto)
		return 0;
	pthread_mutex_lock(&g->mu);
	while (g->durable < upto) {
		if (g->closed) {
			rc = -EIO;
			break;
		}
		if (!g->flushing) {
			/* Our flush covers @upto: it was appended before. */
			rc = lead(g);
			if (rc)
				break;
		} else {
			pthread_cond_wait(&g->done, &g->mu);
		}
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int bpfam_group_sync(struct bpfam_group *g)
{
	uint64_t upto;

	pthread_mutex_lock(&g->mu);
	upto = g->appended;
	pthread_mutex_unlock(&g->mu);
	return bpfam_group_wait(g, upto);
}

void bpfam_group_close(struct bpfam_group *g)
{
	pthread_mutex_lock(&g->mu);
	while (g->flushing)
		pthread_cond_wait(&g->done, &g->mu);
	g->closed = true;
	pthread_mutex_unlock(&g->mu);
}

uint64_t bpfam_group_durable(struct bpfam_group *g)
{
	return __atomic_load_n(&g->durable, __ATOMIC_ACQUIRE);
}
