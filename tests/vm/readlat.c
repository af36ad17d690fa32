// SPDX-License-Identifier: GPL-2.0
/*
 * readlat: nanoseconds per pread() of BS bytes at random BS-aligned
 * offsets, for several files measured in turn.
 *
 *   readlat BS ROUNDS CALLS FILE...
 *
 * Each round times CALLS preads on every FILE, one file after the other,
 * starting with a different file each round.  Under qemu TCG on a shared
 * host the speed of the whole guest drifts by tens of percent within a
 * minute; back-to-back time-based runs (fio) compare one file's good
 * minute with another's bad one.  Interleaving short runs puts every file
 * into every phase of that drift, and the median per file drops the
 * rounds a burst of host load hit.  Prints one line per FILE: "FILE
 * median-ns min-ns max-ns".
 *
 * Exit status: 0 done, 1 an I/O error (said on stderr), 2 usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64: the same offsets for every file, no libc state */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ns per call of @calls preads of @bs bytes into @buf, below @blocks * @bs */
static int one_run(int fd, const char *path, char *buf, size_t bs,
		   uint64_t blocks, long calls, uint64_t seed, uint64_t *ns)
{
	uint64_t x = seed, t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++) {
		off_t off = (off_t)(next(&x) % blocks) * bs;

		if (pread(fd, buf, bs, off) != (ssize_t)bs) {
			fprintf(stderr, "readlat: %s: pread at %lld failed\n",
				path, (long long)off);
			return -1;
		}
	}
	*ns = (now_ns() - t0) / calls;
	return 0;
}

int main(int argc, char **argv)
{
	int nfiles = argc - 4, f;
	long bs, rounds, calls, r;
	uint64_t(*ns)[64];
	uint64_t *blocks;
	char *buf;
	int *fds;

	if (argc < 5 || (bs = atol(argv[1])) < 1 || bs > (1L << 30) ||
	    (rounds = atol(argv[2])) < 1 || rounds > 64 ||
	    (calls = atol(argv[3])) < 1) {
		fprintf(stderr,
			"usage: readlat BS ROUNDS(1-64) CALLS FILE...\n");
		return 2;
	}
	fds = calloc(nfiles, sizeof(*fds));
	blocks = calloc(nfiles, sizeof(*blocks));
	ns = calloc(nfiles, sizeof(*ns));
	buf = aligned_alloc(4096, (bs + 4095) & ~4095L);
	if (!fds || !blocks || !ns || !buf) {
		perror("readlat");
		return 1;
	}
	for (f = 0; f < nfiles; f++) {
		struct stat st;

		fds[f] = open(argv[4 + f], O_RDONLY);
		if (fds[f] < 0 || fstat(fds[f], &st)) {
			perror(argv[4 + f]);
			return 1;
		}
		blocks[f] = st.st_size / bs;
		if (!blocks[f]) {
			fprintf(stderr, "readlat: %s: smaller than %ld bytes\n",
				argv[4 + f], bs);
			return 1;
		}
	}
	for (r = 0; r < rounds; r++) {
		for (int k = 0; k < nfiles; k++) {
			f = (r + k) % nfiles;
			if (one_run(fds[f], argv[4 + f], buf, bs, blocks[f],
				    calls, 0x9e3779b97f4a7c15ULL + r,
				    &ns[f][r]))
				return 1;
		}
	}
	for (f = 0; f < nfiles; f++) {
		qsort(ns[f], rounds, sizeof(ns[f][0]), cmp_u64);
		printf("%s %llu %llu %llu\n", argv[4 + f],
		       (unsigned long long)ns[f][rounds / 2],
		       (unsigned long long)ns[f][0],
		       (unsigned long long)ns[f][rounds - 1]);
	}
	return 0;
}
