// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * bpfam-resolve-bench: what one resolve costs the kernel, for a file of 1
 * extent against a file of BPFAM_MAX_EXTENTS.  Both fmaps are published as
 * the daemon publishes them (bpfam_fmap_publish()) in the maps of the
 * resolve_test syscall twin, which runs the fast path's code; each round
 * runs it CALLS times per fmap with BPF_PROG_TEST_RUN, with BPF run-time
 * statistics on, and reads the program's run_time_ns and run_cnt around
 * each batch.  Offsets are random (where the search lands cannot be
 * predicted) or sequential, 64 KiB apart (a streaming read: it can).
 * Prints JSON: for each, the median ns per call of each fmap over the
 * rounds, and their ratio.
 *
 * usage: bpfam-resolve-bench [ROUNDS [CALLS]]   (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/resolve_test.skel.h"
#include "bpfam/resolve.h"
#include "resolve_test.h"

#define UNIT BPFAM_ALLOC_UNIT

/* Node id nr holds a file of nr extents of one unit, 1 GiB apart. */
static int publish(struct resolve_test *skel, __u32 nr)
{
	static struct bpfam_fmap fm;
	static struct bpfam_map_exts exts;
	struct bpfam_map_fmap pub;
	__u64 node = nr;
	__u32 slot = 0;
	__u32 i;

	memset(&fm, 0, sizeof(fm));
	memset(&exts, 0, sizeof(exts));
	fm.version = BPFAM_FMAP_VERSION;
	fm.kind = BPFAM_FMAP_SIMPLE;
	fm.gen = 1;
	fm.nr = nr;
	fm.size = nr * UNIT;
	for (i = 0; i < nr; i++) {
		fm.ext[i].dev_off = (__u64)i << 30;
		fm.ext[i].len = UNIT;
	}
	if (bpfam_fmap_publish(&fm, fm.gen, node, slot, &pub, &exts))
		return -EINVAL;
	if (nr > BPFAM_FMAP_INLINE &&
	    bpf_map__update_elem(skel->maps.fmap_exts, &slot, sizeof(slot),
				 &exts, sizeof(exts), BPF_ANY))
		return -errno;
	return bpf_map__update_elem(skel->maps.fmaps, &node, sizeof(node), &pub,
				    sizeof(pub), BPF_ANY) ?
		       -errno :
		       0;
}

static int fill_dev(struct resolve_test *skel)
{
	struct bpfam_dev d = {.size = 1ULL << 40, .flags = BPFAM_DEV_PRESENT};
	__u32 idx = 0;

	return bpf_map__update_elem(skel->maps.devs, &idx, sizeof(idx), &d,
				    sizeof(d), BPF_ANY);
}

/* The twin's statistics so far. */
static int stats(int fd, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/* ns per call of @calls resolves of node @nr at random or sequential
 * offsets; < 0 on a failed run or a resolve that did not answer. */
static double batch(int fd, __u32 nr, long calls, int random_pos)
{
	struct bpfam_resolve_req r;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &r,
		    .ctx_size_in = sizeof(r));
	__u64 ns0 = 0, cnt0 = 0, ns1 = 0, cnt1 = 0;
	long i;

	if (stats(fd, &ns0, &cnt0))
		return -1;
	for (i = 0; i < calls; i++) {
		r = (struct bpfam_resolve_req){
			.nodeid = nr,
			.gen = 1,
			.pos = (random_pos ? (__u64)random() : (__u64)i << 16) %
			       (nr * UNIT),
			.len = 4096};
		if (bpf_prog_test_run_opts(fd, &opts) || r.rc)
			return -1;
	}
	if (stats(fd, &ns1, &cnt1) || cnt1 == cnt0)
		return -1;
	return (double)(ns1 - ns0) / (double)(cnt1 - cnt0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	long calls = argc > 2 ? atol(argv[2]) : 20000;
	struct resolve_test *skel;
	double *one, *many;
	int fd, stats_fd, i, r;

	if (rounds < 1 || calls < 1) {
		fprintf(stderr, "usage: %s [ROUNDS [CALLS]]\n", argv[0]);
		return 2;
	}
	one = calloc(rounds, sizeof(*one));
	many = calloc(rounds, sizeof(*many));
	skel = resolve_test__open_and_load();
	if (!one || !many || !skel) {
		fprintf(stderr,
			"bpfam-resolve-bench: cannot load the "
			"resolve_test twin: %s\n",
			strerror(errno));
		return 1;
	}
	if (fill_dev(skel) || publish(skel, 1) ||
	    publish(skel, BPFAM_MAX_EXTENTS)) {
		fprintf(stderr,
			"bpfam-resolve-bench: cannot fill the twin's "
			"maps: %s\n",
			strerror(errno));
		return 1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr,
			"bpfam-resolve-bench: cannot enable BPF run "
			"statistics: %s\n",
			strerror(-stats_fd));
		return 1;
	}
	fd = bpf_program__fd(skel->progs.resolve_test);
	srandom(1);
	putchar('{');
	for (r = 1; r >= 0; r--) {
		/* Interleaved rounds: a change of load hits both alike. */
		for (i = 0; i < rounds; i++) {
			one[i] = batch(fd, 1, calls, r);
			many[i] = batch(fd, BPFAM_MAX_EXTENTS, calls, r);
			if (one[i] < 0 || many[i] < 0) {
				fprintf(stderr,
					"bpfam-resolve-bench: a resolve "
					"through the twin failed\n");
				return 1;
			}
		}
		printf("\"%s\":{\"ns_1\":%.1f,\"ns_%d\":%.1f,"
		       "\"ratio\":%.2f},",
		       r ? "random" : "sequential", median(one, rounds),
		       BPFAM_MAX_EXTENTS, median(many, rounds),
		       median(many, rounds) / median(one, rounds));
	}
	printf("\"rounds\":%d,\"calls\":%ld}\n", rounds, calls);
	resolve_test__destroy(skel);
	return 0;
}
