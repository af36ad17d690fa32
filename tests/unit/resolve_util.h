/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* TAP output and libbpf plumbing shared by the resolve test programs. */
#ifndef BPFAM_RESOLVE_UTIL_H
#define BPFAM_RESOLVE_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfam/counters.h"

static int tap_n, tap_failed __attribute__((unused));

__attribute__((format(printf, 2, 3))) static inline int
tap(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_failed += !pass;
	return pass;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* libbpf's warnings carry the verifier log when a load fails: keep them,
 * as TAP comments on stderr.  BPFAM_VERBOSE=1 adds its debug output. */
static inline int libbpf_print(enum libbpf_print_level level, const char *fmt,
			       va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("BPFAM_VERBOSE"))
		return 0;
	fputs("# ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static inline void resolve_util_init(void)
{
	libbpf_set_print(libbpf_print);
}

/* The `counters` map summed over the CPUs, as `bpfam stats` does. */
static inline struct bpfam_counters sum_counters(const struct bpf_map *map)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct bpfam_counters sum = {}, *pc = calloc(ncpu, sizeof(*pc));
	__u32 zero = 0;
	size_t k;

	if (pc && !bpf_map__lookup_elem(map, &zero, sizeof(zero), pc,
					ncpu * sizeof(*pc), 0)) {
		for (i = 0; i < ncpu; i++) {
			__u64 *d = (__u64 *)&sum, *s = (__u64 *)&pc[i];

			for (k = 0; k < sizeof(sum) / sizeof(__u64); k++)
				d[k] += s[k];
		}
	}
	free(pc);
	return sum;
}

#endif /* BPFAM_RESOLVE_UTIL_H */
