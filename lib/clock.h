/* SPDX-License-Identifier: GPL-2.0 */
/*
 * This host's clocks.  Milliseconds on the monotonic clock, for waits and
 * timeouts that stay on this host (liveness samples, fences): never
 * compared between hosts, see docs/sharing.md.
 */
#ifndef BPFAM_CLOCK_H
#define BPFAM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bpfam_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * Nanoseconds on this host's wall clock, for the times a file carries
 * (mtime, ctime), which every host shows as they are.
 */
static inline uint64_t bpfam_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Sleep @ms milliseconds, or less when a signal arrives. */
static inline void bpfam_sleep_ms(uint32_t ms)
{
	struct timespec t = {.tv_sec = ms / 1000,
			     .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

/*
 * Call @try every @step_ms for up to @ms while it returns > 0 (not yet):
 * what it last returned, 0 for done or -errno.
 */
static inline int bpfam_poll_ms(uint32_t ms, uint32_t step_ms,
				int (*try)(void *), void *arg)
{
	uint32_t waited;
	int rc = try(arg);

	for (waited = 0; rc > 0 && waited < ms; waited += step_ms) {
		bpfam_sleep_ms(step_ms);
		rc = try(arg);
	}
	return rc;
}

#endif /* BPFAM_CLOCK_H */
