// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memerr.h"

/* Set once before the loop starts, read by the handler. */
static uintptr_t dev_base;
static size_t dev_size;
static const char *dev_name, *mnt_name;

/*
 * A fault on the device outside a guarded copy: memory the daemon keeps
 * for itself (superblock, host slots, log) is gone, the device unbound or
 * removed, or has failed.  The daemon cannot go on, and a signal handler
 * may not log (syslog() allocates): the first faulting thread hands the
 * fault to gone_watch() through this pipe, which says so and ends the
 * process.
 */
static int gone_pipe[2];
static atomic_flag gone_taken = ATOMIC_FLAG_INIT;
static uintptr_t gone_addr;
static int gone_code;

/* The copy in progress in this thread, if any. */
static __thread sigjmp_buf *guard;
static __thread uintptr_t fault_addr;

static bool in_device(uintptr_t a)
{
	return a - dev_base < dev_size;
}

static void *gone_watch(void *arg)
{
	ssize_t n;
	char c;

	(void)arg;
	do
		n = read(gone_pipe[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return NULL;
	/* The faulting thread may hold stdio's lock (a name it was printing
	 * from the device): then SIGALRM ends the process unsaid. */
	alarm(5);
	bpfamd_log(LOG_ERR,
		   "%s: memory at device offset %llu %s: exiting; umount %s "
		   "to clear the dead mount",
		   dev_name, (unsigned long long)(gone_addr - dev_base),
		   gone_code == BUS_MCEERR_AR ?
			   "failed (machine check)" :
			   "is gone (device unbound, removed or shrunk)",
		   mnt_name);
	_exit(EXIT_FAILURE);
}

/* Async-signal-safe: an atomic flag, write(2) and pause(2). */
static void hand_over(uintptr_t a, int code)
{
	if (!atomic_flag_test_and_set(&gone_taken)) {
		gone_addr = a;
		gone_code = code;
		if (write(gone_pipe[1], "!", 1) != 1)
			abort();
	}
	for (;;)
		pause();
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	if (si->si_code > 0 && in_device(a)) {
		if (guard) {
			fault_addr = a;
			siglongjmp(*guard, 1);
		}
		/* Poisoned while mapped, not being touched: the copy that
		 * touches it will fault (BUS_MCEERR_AR) under a guard. */
		if (si->si_code == BUS_MCEERR_AO)
			return;
		hand_over(a, si->si_code);
	}
	/* Not ours to survive: die of it as without a handler. */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

int bpfamd_memerr_start(struct bpfamd *d)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		/* No mask to restore after the siglongjmp: sigsetjmp(, 0)
		 * stays a plain function call. */
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};
	pthread_t watcher;
	int rc;

	dev_base = (uintptr_t)d->fs.dev.base;
	dev_size = d->fs.dev.mapped; /* lent: the metadata only */
	dev_name = d->device;
	mnt_name = d->mountpoint;
	if (pipe2(gone_pipe, O_CLOEXEC)) {
		bpfamd_log(LOG_ERR, "cannot make the memory error pipe: %s",
			   strerror(errno));
		return 1;
	}
	rc = pthread_create(&watcher, NULL, gone_watch, NULL);
	if (rc) {
		bpfamd_log(LOG_ERR, "cannot start the memory error thread: %s",
			   strerror(rc));
		return 1;
	}
	pthread_detach(watcher);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL)) {
		bpfamd_log(LOG_ERR, "cannot install the SIGBUS handler: %s",
			   strerror(errno));
		return 1;
	}
	return 0;
}

int bpfamd_memerr_guard(int (*fn)(void *), void *arg, uint64_t *dev_off)
{
	sigjmp_buf env;
	int rc;

	/* Not volatile: nothing set here is read after a siglongjmp. */
	if (sigsetjmp(env, 0)) {
		guard = NULL;
		*dev_off = fault_addr - dev_base;
		return -EIO;
	}
	guard = &env;
	rc = fn(arg);
	guard = NULL;
	return rc;
}
