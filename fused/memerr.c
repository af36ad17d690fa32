// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "memerr.h"

/* Set once before the loop starts, read by the handler. */
static uintptr_t dev_base;
static size_t dev_size;

/* The copy in progress in this thread, if any. */
static __thread sigjmp_buf *guard;
static __thread uintptr_t fault_addr;

static bool in_device(uintptr_t a)
{
	return a - dev_base < dev_size;
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

	dev_base = (uintptr_t)d->fs.dev.base;
	dev_size = d->fs.dev.mapped; /* lent: the metadata only */
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
