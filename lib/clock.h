/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Milliseconds on this host's monotonic clock, for waits and timeouts that
 * stay on this host (liveness samples, fences).  Never compared between
 * hosts: see docs/sharing.md.
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

/* Sleep @ms milliseconds, or less when a signal arrives. */
static inline void bpfam_sleep_ms(uint32_t ms)
{
	struct timespec t = {.tv_sec = ms / 1000,
			     .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

#endif /* BPFAM_CLOCK_H */
