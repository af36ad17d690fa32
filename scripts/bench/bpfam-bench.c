// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam-bench: the measuring half of scripts/bench.sh.  Each subcommand
 * does one timed thing and prints one line of JSON on stdout, which the
 * script collects into build/bench/.  Nothing here asserts a time.
 *
 *   populate DEVICE N SIZE    append N files of SIZE bytes to the log
 *                             directly through libbpfam (no FUSE)
 *   play DEVICE REPEAT        time bpfam_fs_mount (read-only log play),
 *                             and reading the records alone (no namespace)
 *   create DIR N SIZE         per-file open(O_CREAT)+fallocate+close
 *   creates DIR N THREADS SIZE  N files, split over THREADS threads, each
 *                             open(O_CREAT)+write(SIZE bytes, if any)+close
 *   raw DEVICE FILE SECONDS   memcpy through a mapping of the device at
 *                             FILE's extents: the ceiling for FILE's data
 *   touch FILE [DEVICE]       first pass over a fresh mapping of FILE (or
 *                             of DEVICE, at FILE's extents)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "bpfam/fmap.h"
#include "bpfam/resolve.h"
#include "fs.h"

#define MIB   (1024.0 * 1024.0)
#define BLOCK (1U << 20)
#define SMALL 4096U

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, int code)
{
	fprintf(stderr, "bpfam-bench: %s: %s\n", what, strerror(code));
	return 1;
}

static int die_err(const struct bpfam_err *err)
{
	fprintf(stderr, "bpfam-bench: %s\n", err->msg);
	return 1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G':
		*v <<= 10;
		/* fall through */
	case 'M':
		*v <<= 10;
		/* fall through */
	case 'K':
		*v <<= 10;
		end++;
		break;
	default:
		break;
	}
	return *end ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v[0..n). */
static double pct(const double *v, uint64_t n, double p)
{
	uint64_t k = (uint64_t)(p / 100.0 * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/*
 * The device is a fresh sparse file, whose data area reads as zeros
 * already: storing zeros would allocate every page of every file (2 MiB
 * each), which is not what populate is for.
 */
static int zeros_already(struct bpfam_fs *fs, void *p, uint64_t len)
{
	(void)fs;
	(void)p;
	(void)len;
	return 0;
}

static int cmd_populate(const char *dev, uint64_t n, uint64_t size)
{
	struct bpfam_fs fs;
	struct bpfam_err err = {0};
	struct bpfam_inode *in;
	char name[32];
	double t0, t1;
	uint64_t i;

	if (bpfam_fs_mount(&fs, dev, BPFAM_OPEN_WRITER, &err))
		return die_err(&err);
	fs.store_zeros = zeros_already;
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%07" PRIu64, i);
		if (bpfam_fs_mknod(&fs, 1, name, S_IFREG | 0644, 0, 0, &in,
				   &err) ||
		    bpfam_fs_set_size(&fs, in->ino, size, 0, 0, &err)) {
			bpfam_fs_close(&fs);
			return die_err(&err);
		}
	}
	t1 = now();
	bpfam_fs_close(&fs);
	printf("{\"files\":%" PRIu64 ",\"seconds\":%.6f}\n", n, t1 - t0);
	return 0;
}

/*
 * Milliseconds to read and check (decode, CRC) every record of @fs's log
 * without playing them: what log play costs before the namespace.
 */
static int decode_ms(struct bpfam_fs *fs, double *ms)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	struct bpfam_log log;
	struct bpfam_err err;
	double t0 = now();
	int rc;

	if (!r)
		return die("malloc", ENOMEM);
	bpfam_log_init(&log, &fs->dev, &fs->sb);
	while ((rc = bpfam_log_next(&log, r, &err)) == 1)
		;
	*ms = (now() - t0) * 1e3;
	free(r);
	return rc ? die_err(&err) : 0;
}

static int cmd_play(const char *dev, uint64_t repeat)
{
	struct bpfam_fs fs;
	struct bpfam_err err = {0};
	double *ms, *dec, t0;
	uint64_t i, files = 0, log_used = 0, records = 0;

	if (!repeat)
		repeat = 1;
	ms = calloc(repeat, sizeof(*ms));
	dec = calloc(repeat, sizeof(*dec));
	if (!ms || !dec)
		return die("calloc", ENOMEM);
	for (i = 0; i < repeat; i++) {
		t0 = now();
		if (bpfam_fs_mount(&fs, dev, BPFAM_OPEN_RDONLY, &err)) {
			free(ms);
			free(dec);
			return die_err(&err);
		}
		ms[i] = (now() - t0) * 1e3;
		files = fs.nfiles;
		log_used = fs.log.tail;
		records = fs.log.next_seq - 1;
		if (decode_ms(&fs, &dec[i])) {
			bpfam_fs_close(&fs);
			free(ms);
			free(dec);
			return 1;
		}
		bpfam_fs_close(&fs);
	}
	qsort(ms, repeat, sizeof(*ms), cmp_double);
	qsort(dec, repeat, sizeof(*dec), cmp_double);
	printf("{\"files\":%" PRIu64 ",\"log_bytes\":%" PRIu64
	       ",\"records\":%" PRIu64 ",\"repeat\":%" PRIu64
	       ",\"ms_min\":%.3f,\"ms_median\":%.3f"
	       ",\"decode_ms_median\":%.3f}\n",
	       files, log_used, records, repeat, ms[0], ms[repeat / 2],
	       dec[repeat / 2]);
	free(ms);
	free(dec);
	return 0;
}

static int cmd_create(const char *dir, uint64_t n, uint64_t size)
{
	double *lat, *op, *fa, t0, t1, t2, t3, start, total = 0, so = 0, sf = 0;
	char path[4096];
	uint64_t i;
	int fd;

	if (!n)
		return die("create", EINVAL);
	lat = calloc(n, sizeof(*lat));
	op = calloc(n, sizeof(*op));
	fa = calloc(n, sizeof(*fa));
	if (!lat || !op || !fa)
		return die("calloc", ENOMEM);
	start = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/c%07" PRIu64, dir, i);
		t0 = now();
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return die(path, errno);
		t1 = now();
		if (fallocate(fd, 0, 0, (off_t)size))
			return die(path, errno);
		t2 = now();
		close(fd);
		t3 = now();
		lat[i] = (t3 - t0) * 1e3;
		op[i] = (t1 - t0) * 1e3;
		fa[i] = (t2 - t1) * 1e3;
		total += lat[i];
		so += op[i];
		sf += fa[i];
	}
	t3 = now() - start;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("{\"files\":%" PRIu64 ",\"size\":%" PRIu64
	       ",\"seconds\":%.6f,\"files_per_s\":%.1f,"
	       "\"ms_mean\":%.4f,\"ms_p50\":%.4f,\"ms_p99\":%.4f,"
	       "\"ms_max\":%.4f,\"ms_open_mean\":%.4f,"
	       "\"ms_fallocate_mean\":%.4f}\n",
	       n, size, t3, n / t3, total / n, pct(lat, n, 50), pct(lat, n, 99),
	       lat[n - 1], so / n, sf / n);
	free(lat);
	free(op);
	free(fa);
	return 0;
}

struct creator {
	pthread_t tid;
	const char *dir;
	unsigned int id;
	uint64_t n, size;
	const char *buf;
	int err; /* errno of the first failure, 0 */
	char what[4096];
};

static void *creator(void *arg)
{
	struct creator *c = arg;
	uint64_t i;
	int fd;

	for (i = 0; i < c->n; i++) {
		snprintf(c->what, sizeof(c->what), "%s/t%u-%07" PRIu64, c->dir,
			 c->id, i);
		fd = open(c->what, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			  0644);
		if (fd < 0 || (c->size && write(fd, c->buf, c->size) !=
						  (ssize_t)c->size)) {
			c->err = errno ? errno : EIO;
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (close(fd)) {
			c->err = errno;
			return NULL;
		}
	}
	return NULL;
}

/* Files per second that @threads threads create in @dir together. */
static int cmd_creates(const char *dir, uint64_t n, uint64_t threads,
		       uint64_t size)
{
	struct creator *c;
	double t0, secs;
	char *buf;
	uint64_t i;
	int rc = 0;

	if (!n || !threads || threads > 64 || size > BLOCK)
		return die("creates", EINVAL);
	c = calloc(threads, sizeof(*c));
	buf = malloc(size ? size : 1);
	if (!c || !buf)
		return die("calloc", ENOMEM);
	memset(buf, 'x', size);
	t0 = now();
	for (i = 0; i < threads; i++) {
		c[i] = (struct creator){.dir = dir,
					.id = (unsigned int)i,
					.n = n / threads + (i < n % threads),
					.size = size,
					.buf = buf};
		if (pthread_create(&c[i].tid, NULL, creator, &c[i]))
			return die("pthread_create", EAGAIN);
	}
	for (i = 0; i < threads; i++)
		pthread_join(c[i].tid, NULL);
	secs = now() - t0;
	for (i = 0; i < threads && !rc; i++)
		if (c[i].err)
			rc = die(c[i].what, c[i].err);
	if (!rc)
		printf("{\"files\":%" PRIu64 ",\"threads\":%" PRIu64
		       ",\"size\":%" PRIu64
		       ",\"seconds\":%.6f,\"files_per_s\":%.1f}\n",
		       n, threads, size, secs, n / secs);
	free(c);
	free(buf);
	return rc;
}

/* FILE's fmap, as the daemon publishes it. */
static int get_fmap(const char *file, struct bpfam_fmap *fm)
{
	ssize_t len;

	memset(fm, 0, sizeof(*fm));
	len = getxattr(file, "user.bpfam.fmap", fm, sizeof(*fm));
	if (len < 0)
		return die(file, errno);
	if ((size_t)len < offsetof(struct bpfam_fmap, ext))
		return die(file, EPROTO);
	return 0;
}

/* Pointer to file offset @pos in the device mapping, with @len bytes. */
static uint8_t *at(uint8_t *base, uint64_t dev_size,
		   const struct bpfam_fmap *fm, uint64_t pos, uint64_t *len)
{
	struct bpfam_run run = {0};

	if (bpfam_resolve(fm, fm->gen, pos, 0, &run) || run.dev ||
	    run.dev_off + run.len > dev_size)
		return NULL;
	*len = run.len;
	return base + run.dev_off;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The ceiling: user-space memcpy to and from a MAP_SHARED mapping of the
 * device at the file's extents, the same bytes the daemon serves.
 * Sequential 1 MiB read and write (no flush: the stores stay in the CPU
 * cache or page cache), then random 4 KiB reads, each for @secs seconds.
 */
static int cmd_raw(const char *dev, const char *file, double secs)
{
	static const char *const names[] = {"seq_read", "seq_write",
					    "rand_read"};
	struct bpfam_fmap fm;
	uint64_t blocks, seed = 0x9e3779b97f4a7c15ULL, len, bytes, ops;
	uint8_t *base, *buf, *p;
	struct stat st;
	double t0, t;
	unsigned int job;
	int fd;

	if (get_fmap(file, &fm))
		return 1;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return die(dev, errno);
	base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	close(fd);
	if (base == MAP_FAILED)
		return die(dev, errno);
	buf = aligned_alloc(4096, BLOCK);
	if (!buf)
		return die("aligned_alloc", ENOMEM);
	memset(buf, 0x5a, BLOCK);
	blocks = fm.size / BLOCK;
	if (!blocks)
		return die(file, EINVAL);
	printf("{");
	for (job = 0; job < 3; job++) {
		bytes = ops = 0;
		t0 = now();
		do {
			uint64_t k;

			for (k = 0; k < 64; k++, ops++) {
				uint64_t pos, sz;

				if (job == 2)
					pos = xorshift(&seed) %
					      (fm.size / SMALL) * SMALL;
				else
					pos = ops % blocks * BLOCK;
				sz = job == 2 ? SMALL : BLOCK;
				p = at(base, (uint64_t)st.st_size, &fm, pos,
				       &len);
				if (!p || len < sz)
					return die(file, ERANGE);
				if (job == 1)
					memcpy(p, buf, sz);
				else
					memcpy(buf, p, sz);
				bytes += sz;
			}
			__asm__ __volatile__("" : : "r"(buf) : "memory");
			t = now() - t0;
		} while (t < secs);
		printf("%s\"%s\":{\"MiB_s\":%.1f,\"iops\":%.0f}",
		       job ? "," : "", names[job], bytes / MIB / t, ops / t);
	}
	printf("}\n");
	munmap(base, st.st_size);
	free(buf);
	return 0;
}

/* Copy @len bytes of a fresh mapping out, 1 MiB at a time; seconds. */
static double sweep(const uint8_t *map, uint64_t len, uint8_t *buf)
{
	double t0 = now();
	uint64_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < BLOCK ? len - off : BLOCK;
		memcpy(buf, map + off, n);
	}
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	return now() - t0;
}

/* The same through a mapping of the whole device, at FILE's extents. */
static double sweep_dev(uint8_t *base, uint64_t dev_size,
			const struct bpfam_fmap *fm, uint8_t *buf)
{
	double t0 = now();
	uint64_t pos, len;
	uint8_t *p;

	for (pos = 0; pos < fm->size; pos += len) {
		p = at(base, dev_size, fm, pos, &len);
		if (!p)
			return -1;
		if (len > BLOCK)
			len = BLOCK;
		memcpy(buf, p, len);
	}
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	return now() - t0;
}

/*
 * First touch: map FILE afresh (or, with DEVICE, the whole device, and
 * walk FILE's extents in it) and copy it out 1 MiB at a time, so every
 * page is faulted in on the way.  A second pass over the same mapping
 * shows the cost of the copy alone.  mmap() itself is inside the first
 * pass's time.
 */
static int cmd_touch(const char *file, const char *dev)
{
	double t0, first, second;
	struct bpfam_fmap fm;
	uint64_t size, map_len;
	struct stat st;
	uint8_t *map, *buf;
	int fd;

	if (dev && get_fmap(file, &fm))
		return 1;
	fd = open(dev ? dev : file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return die(dev ? dev : file, errno);
	map_len = st.st_size;
	size = dev ? fm.size : map_len;
	buf = aligned_alloc(4096, BLOCK);
	if (!buf || !size)
		return die(file, buf ? EINVAL : ENOMEM);
	t0 = now();
	map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
	t0 = now() - t0;
	close(fd);
	if (map == MAP_FAILED)
		return die(file, errno);
	if (dev) {
		first = sweep_dev(map, map_len, &fm, buf);
		second = sweep_dev(map, map_len, &fm, buf);
		if (first < 0 || second < 0)
			return die(file, ERANGE);
	} else {
		first = sweep(map, size, buf);
		second = sweep(map, size, buf);
	}
	first += t0; /* the mmap() call */
	munmap(map, map_len);
	free(buf);
	printf("{\"bytes\":%" PRIu64 ",\"first_MiB_s\":%.1f,"
	       "\"second_MiB_s\":%.1f}\n",
	       size, size / MIB / first, size / MIB / second);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bpfam-bench populate DEVICE N SIZE\n"
			"       bpfam-bench play DEVICE REPEAT\n"
			"       bpfam-bench create DIR N SIZE\n"
			"       bpfam-bench creates DIR N THREADS SIZE\n"
			"       bpfam-bench raw DEVICE FILE SECONDS\n"
			"       bpfam-bench touch FILE [DEVICE]\n");
	return 2;
}

static int num(const char *s, uint64_t *v)
{
	if (parse_u64(s, v)) {
		fprintf(stderr, "bpfam-bench: '%s': not a number\n", s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	uint64_t a = 0, b = 0;

	if (argc == 5 && !strcmp(cmd, "populate")) {
		if (num(argv[3], &a) || num(argv[4], &b))
			return 2;
		return cmd_populate(argv[2], a, b);
	}
	if (argc == 4 && !strcmp(cmd, "play")) {
		if (num(argv[3], &a))
			return 2;
		return cmd_play(argv[2], a);
	}
	if (argc == 5 && !strcmp(cmd, "create")) {
		if (num(argv[3], &a) || num(argv[4], &b))
			return 2;
		return cmd_create(argv[2], a, b);
	}
	if (argc == 6 && !strcmp(cmd, "creates")) {
		uint64_t t;

		if (num(argv[3], &a) || num(argv[4], &t) || num(argv[5], &b))
			return 2;
		return cmd_creates(argv[2], a, t, b);
	}
	if (argc == 5 && !strcmp(cmd, "raw")) {
		if (num(argv[4], &b))
			return 2;
		return cmd_raw(argv[2], argv[3], (double)b);
	}
	if ((argc == 3 || argc == 4) && !strcmp(cmd, "touch"))
		return cmd_touch(argv[2], argc == 4 ? argv[3] : NULL);
	return usage();
}
