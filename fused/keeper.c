// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "fast.h"
#include "keeper.h"
#include "nodes.h"

void bpfamd_fence(struct bpfamd *d, const char *why)
{
	if (d->fenced)
		return;
	/* A read checks it holding d->ns and d->io, not d->lock. */
	__atomic_store_n(&d->fenced, true, __ATOMIC_RELEASE);
	snprintf(d->fence_msg, sizeof(d->fence_msg), "%s", why);
	bpfamd_log(LOG_CRIT,
		   "%s; no longer touching the device: every I/O on %s fails "
		   "with EIO until it is unmounted",
		   why, d->mountpoint);
}

void bpfamd_queue_inval(struct bpfamd *d, uint64_t parent, uint64_t child,
			const char *name, bool gone)
{
	struct bpfamd_inval *v;
	size_t cap;
	char *copy = NULL;

	if (d->ninvals == d->invals_cap) {
		cap = d->invals_cap ? d->invals_cap * 2 : 16;
		v = realloc(d->invals, cap * sizeof(*v));
		if (!v)
			goto lost;
		d->invals = v;
		d->invals_cap = cap;
	}
	if (name && !(copy = strdup(name)))
		goto lost;
	d->invals[d->ninvals++] =
		(struct bpfamd_inval){parent, child, copy, gone};
	/* Wake the keeper: until it sends this, the kernel's cached name
	 * still opens the deleted file. */
	pthread_cond_signal(&d->stop);
	return;
lost:
	/* The keeper then tells the kernel about every node it knows. */
	d->inval_lost = true;
}

/* Send the kernel an inode invalidation: false if it may not have it. */
static bool inval_inode(struct bpfamd *d, uint64_t ino)
{
	int rc = fuse_lowlevel_notify_inval_inode(d->se, ino, 0, 0);

	/* Unknown to the kernel, or no connection left: nothing maps it
	 * through this mount. */
	return !rc || rc == -ENOENT || rc == -ENODEV || rc == -ENOTCONN;
}

/* The nodes the kernel knows (d->lock held), for the caller to free;
 * NULL with *@n 0 when there are none, NULL with *@n 1 without memory. */
static uint64_t *known_nodes(struct bpfamd *d, size_t *n)
{
	uint64_t *v, ino;

	*n = 0;
	v = d->nodes_cap ? calloc(d->nodes_cap, sizeof(*v)) : NULL;
	for (ino = 0; ino < d->nodes_cap; ino++) {
		if (!d->nodes[ino].nlookup)
			continue;
		if (!v) {
			*n = 1;
			return NULL;
		}
		v[(*n)++] = ino;
	}
	return v;
}

/*
 * Notifications go out without d->lock: the kernel may hold the directory
 * a request of ours is about, and the request would wait for the lock.
 */
static void send_invals(struct bpfamd *d)
{
	struct bpfamd_inval *v;
	uint64_t upto, *all = NULL;
	size_t i, n, nall = 0;
	bool told = true;

	pthread_mutex_lock(&d->lock);
	v = d->invals;
	n = d->ninvals;
	d->invals = NULL;
	d->ninvals = d->invals_cap = 0;
	/* Every tail dropped so far that the kernel could reach queued its
	 * file's invalidation (a file the kernel does not know, or a
	 * reservation past its size, it cannot reach), or set inval_lost. */
	upto = d->fs.log.next_seq;
	if (d->inval_lost) {
		all = known_nodes(d, &nall);
		told = all || !nall;
		d->inval_lost = false;
	}
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < n; i++) {
		/* -ENOENT: the kernel had no such entry cached; nothing to do.
		 * A delete also zeroes the inode's nlink in the kernel (and
		 * kills a directory), so it is only for an inode's last
		 * name; a name that moved or one of several is forgotten. */
		if (v[i].name && v[i].gone)
			fuse_lowlevel_notify_delete(d->se, v[i].parent,
						    v[i].child, v[i].name,
						    strlen(v[i].name));
		else if (v[i].name)
			fuse_lowlevel_notify_inval_entry(d->se, v[i].parent,
							 v[i].name,
							 strlen(v[i].name));
		/* Its attributes (nlink, size) went stale too; on the fast
		 * path this also zaps its mappings and waits for the copies
		 * that resolved through an older fmap. */
		told &= inval_inode(d, v[i].child);
		free(v[i].name);
	}
	free(v);
	for (i = 0; all && i < nall; i++)
		told &= inval_inode(d, all[i]);
	free(all);
	/* Our own copies from an older fmap finish before the tails go. */
	pthread_rwlock_wrlock(&d->io);
	pthread_rwlock_unlock(&d->io);
	pthread_mutex_lock(&d->lock);
	/* Not told: every node again at the next beat, and until then the
	 * tails stay held. */
	if (told)
		bpfam_fs_let_go(&d->fs, upto);
	else
		d->inval_lost = true;
	pthread_mutex_unlock(&d->lock);
}

int bpfamd_reclaim(struct bpfamd *d)
{
	struct bpfam_err err;
	uint64_t gate;
	int rc;

	if (!bpfam_fs_pending(&d->fs) || bpfamd_may_change(d))
		return 0;
	gate = bpfam_slots_gate(&d->fs.dev, &d->fs.sb, d->host.slot.index,
				bpfam_fs_horizon(&d->fs));
	rc = bpfam_fs_reclaim(&d->fs, gate, &err);
	if (rc == -ESTALE)
		bpfamd_fence(d, err.msg);
	else if (rc < 0)
		bpfamd_log(LOG_WARNING, "cannot reclaim: %s", err.msg);
	return rc;
}

/* Clients follow a file the primary still writes, a heartbeat behind. */
static void sync_sizes(struct bpfamd *d)
{
	static bool said;
	struct bpfam_err err;
	int rc;

	if (bpfamd_may_change(d))
		return;
	rc = bpfam_fs_sync_all(&d->fs, &err);
	if (rc == -ESTALE)
		bpfamd_fence(d, err.msg);
	else if (rc && !said)
		bpfamd_log(LOG_WARNING,
			   "cannot log the sizes of files being written: %s",
			   err.msg);
	said = rc != 0;
}

static void beat(struct bpfamd *d)
{
	static bool said;
	struct bpfam_err err;
	int rc;

	if (d->fenced)
		return;
	/* Beat first: a long catch-up must not make us look dead. */
	rc = bpfam_host_beat(&d->host, d->stuck_seq, &err);
	if (rc == -ESTALE) {
		bpfamd_fence(d, err.msg);
		return;
	}
	if (rc && !said)
		bpfamd_log(LOG_ERR, "heartbeat: %s", err.msg);
	said = rc != 0;
	if (bpfamd_primary(d)) {
		sync_sizes(d);
		bpfamd_reclaim(d);
	} else {
		bpfamd_refresh(d);
	}
}

int bpfamd_withdraw(struct bpfamd *d)
{
	uint64_t *zap, ino;
	size_t i, nzap;
	int failed = 0;

	/* In-flight copies drain; later ones see d->fenced or the closed
	 * session and fail. */
	pthread_rwlock_wrlock(&d->io);
	pthread_mutex_lock(&d->lock);
	for (ino = 0; ino < d->nodes_cap; ino++) {
		if (d->nodes[ino].published)
			bpfamd_maps_delete(&d->maps, ino);
		d->nodes[ino].published = false;
	}
	zap = known_nodes(d, &nzap);
	/* Cannot tell the kernel: never say done. */
	if (!zap && nzap)
		failed++;
	bpfamd_fast_stop(d);
	pthread_mutex_unlock(&d->lock);
	pthread_rwlock_unlock(&d->io);
	/* The kernel drops every mapping of our files and waits for its own
	 * copies (kpatch 0007); without the io lock, which a READ it waits
	 * on may need. */
	for (i = 0; zap && i < nzap; i++)
		failed += !inval_inode(d, zap[i]);
	free(zap);
	return failed;
}

/*
 * Let go only once nothing can reach the device: the acknowledgement tells
 * mkfs and the primary's reclaim gate that this host touches nothing any
 * more, so it must be true when said.
 */
static void finish_fence(struct bpfamd *d)
{
	int failed = bpfamd_withdraw(d);

	pthread_mutex_lock(&d->lock);
	if (!failed)
		bpfam_host_ack_fence(&d->host);
	d->host.joined = false;
	/* The log is no longer ours: records not sealed yet never will be,
	 * and no flush may touch the device once it is closed. */
	if (d->grouped)
		bpfam_group_close(&d->group);
	bpfam_device_close(&d->fs.dev);
	pthread_mutex_unlock(&d->lock);
	if (failed)
		bpfamd_log(LOG_CRIT,
			   "fence not acknowledged: the kernel may still map "
			   "%d of our files; device %s released",
			   failed, d->device);
	else
		bpfamd_log(LOG_NOTICE, "fence acknowledged; device %s released",
			   d->device);
}

/* Sleep one heartbeat period on d->stop (d->lock held), or until woken. */
static void wait_period(struct bpfamd *d)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += (long)(d->period_ms % 1000) * 1000000;
	t.tv_sec += d->period_ms / 1000 + t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	pthread_cond_timedwait(&d->stop, &d->lock, &t);
}

static void *keeper(void *arg)
{
	struct bpfamd *d = arg;
	bool released = false;

	pthread_mutex_lock(&d->lock);
	beat(d); /* at once: the pulse of the start-up has just stopped */
	while (!d->stopping) {
		wait_period(d);
		if (d->stopping)
			break;
		beat(d);
		pthread_mutex_unlock(&d->lock);
		/* What the beat logged (sizes, reclaims) is acknowledged to no
		 * one, but other hosts see it only once it is sealed. */
		if (d->grouped)
			bpfam_group_sync(&d->group);
		if (d->fenced && !released) {
			finish_fence(d);
			released = true;
		}
		send_invals(d);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* While the daemon starts: heartbeats only (bpfam_host_pulse()). */
static void *pulser(void *arg)
{
	struct bpfamd *d = arg;
	struct bpfam_err err;

	pthread_mutex_lock(&d->lock);
	while (d->pulsing) {
		wait_period(d);
		if (d->pulsing && bpfam_host_pulse(&d->host, &err) == -ESTALE)
			bpfamd_fence(d, err.msg);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int start_thread(struct bpfamd *d, pthread_t *thread,
			void *(*fn)(void *))
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(thread, NULL, fn, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

int bpfamd_pulse_start(struct bpfamd *d)
{
	int rc;

	d->pulsing = true;
	rc = start_thread(d, &d->pulse_thread, pulser);
	if (rc)
		d->pulsing = false;
	return rc;
}

void bpfamd_pulse_stop(struct bpfamd *d)
{
	pthread_mutex_lock(&d->lock);
	if (!d->pulsing) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->pulsing = false;
	pthread_cond_signal(&d->stop);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->pulse_thread, NULL);
}

int bpfamd_keeper_start(struct bpfamd *d, pthread_t *thread)
{
	return start_thread(d, thread, keeper);
}

void bpfamd_keeper_stop(struct bpfamd *d, pthread_t thread)
{
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->stop);
	pthread_mutex_unlock(&d->lock);
	pthread_join(thread, NULL);
}
