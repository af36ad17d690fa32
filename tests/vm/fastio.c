// SPDX-License-Identifier: GPL-2.0
/*
 * fastio: the fast-path tests' I/O tool.  Writes and checks a deterministic
 * pattern (64-bit word at file offset o: o * K ^ SEED) through every data
 * path the kernel fast path serves, and counts page faults.
 *
 *   fastio write FILE SEED          pwrite() the whole file, 1 MiB at a time
 *   fastio read FILE SEED           pread() the whole file, 1 MiB, and check
 *   fastio sendfile-write FILE SEED sendfile() into FILE from a 16 MiB memfd
 *                                   (splice_write of FILE)
 *   fastio sendfile-read FILE SEED  sendfile() FILE into a 16 MiB memfd and
 *                                   check (splice_read of FILE)
 *   fastio mmap-write FILE SEED     store the pattern through a MAP_SHARED
 *                                   mapping of the whole file, msync
 *   fastio mmap-read FILE SEED      check it through a MAP_SHARED mapping
 *   fastio gen SEED SIZE            the pattern to stdout (for dd, cat ...)
 *   fastio check SEED SIZE          check SIZE bytes of stdin
 *   fastio faults FILE SEED LEN STOP  map LEN bytes of FILE and, until the
 *                                   file STOP exists, load the first word of
 *                                   every page and pread() the first LEN
 *                                   bytes, checking both, then drop the
 *                                   pages (MADV_DONTNEED) so that the next
 *                                   pass faults again; prints "passes N
 *                                   faults F sigbus S differs D preads P
 *                                   bad B" (exit 0 when S, D and B are 0)
 *   fastio storm FILE SEED SECS THREADS  map all of FILE shared; THREADS
 *                                   threads load and store pattern words
 *                                   at random pages and drop random 2 MiB
 *                                   ranges (MADV_DONTNEED) for SECS seconds,
 *                                   so that read and write faults, PTE and
 *                                   PMD, race each other and whatever
 *                                   changes the file meanwhile; SIGBUS (a
 *                                   page past a shrunk end) is counted, not
 *                                   fatal; prints "ops N sigbus S"
 *   fastio poison FILE OFF [GO]     madvise(MADV_HWPOISON) the page of a
 *                                   shared mapping of FILE at OFF, faulted in
 *                                   first (with GO: print "mapped", then wait
 *                                   until the file GO exists); prints
 *                                   "poisoned" and the SIGBUS it got for it:
 *                                   "sigbus AR|AO|code N addr ok|bad" (the
 *                                   address is the page's or not) or "none"
 *   fastio poison-dev DEV OFF       the same through a 2 MiB-aligned shared
 *                                   mapping of a device-dax DEV
 *   fastio odirect FILE OFF LEN TARGET GO  map LEN bytes of FILE at OFF
 *                                   and open TARGET O_DIRECT, print "ready",
 *                                   wait until the file GO exists, print
 *                                   "writing" and write the mapped bytes
 *                                   into TARGET (the pages stay pinned while
 *                                   that write is in flight); then "ok N"
 *                                   or the errno
 *   fastio victim FILE OFF SECS [early]  map the page of FILE at OFF
 *                                   (with "early": prctl PR_MCE_KILL_EARLY),
 *                                   print "mapped", wait up to SECS seconds
 *                                   for a SIGBUS, then load from the page;
 *                                   prints "wait none|sigbus ..." and "load
 *                                   ok|sigbus ..." as poison does
 *   fastio map-dev DEV OFF          store and load a byte at OFF through a
 *                                   2 MiB-aligned shared mapping of DEV;
 *                                   prints "ok", "SIGBUS" or "mmap ERRNO"
 *   fastio pread FILE OFF LEN       one pread(); prints "ok N" or the errno
 *   fastio pwrite FILE OFF LEN      one pwrite() of zeros; same output
 *   fastio store FILE OFF [load]    store a byte (0x5a) at OFF through a
 *                                   shared mapping of FILE (with "load":
 *                                   load it first, so that the store is a
 *                                   write fault on a page or PMD mapped for
 *                                   reading); prints "ok" or "SIGBUS"
 *   fastio touch FILE OFF           load one byte at OFF through a shared
 *                                   mapping; prints "ok" or "SIGBUS"
 *   fastio hold FILE SEED           map FILE, check its first half through
 *                                   the mapping, print "held", wait for a
 *                                   line on stdin, then print what loads of
 *                                   that half ("old ..."), a load of a page
 *                                   of the second half ("new ...") and a
 *                                   pread() of the first 4 KiB ("pread ...")
 *                                   do now: ok, SIGBUS, differs or the errno
 *   fastio watch FILE SEED STOP     open and map FILE, then check the whole
 *                                   file through the mapping and with
 *                                   pread() on that fd, again and again
 *                                   (one line a pass: "pass N mmap R pread
 *                                   R", R ok, differs, SIGBUS or the errno)
 *                                   until the file STOP exists; then unmap,
 *                                   close and print "done passes N bad M"
 *   fastio append FILE SEED LEN BS  open FILE O_APPEND and write the pattern
 *                                   of the LEN bytes after its size, BS at a
 *                                   time (every write extends the file);
 *                                   prints "appended W writes, size S"
 *   fastio session FILE SEED MAPLEN open FILE once and map MAPLEN bytes of
 *                                   it (past its size is allowed), then run
 *                                   one command a line from stdin, one
 *                                   answer line each, until EOF:
 *                                     pread OFF LEN: "read N KIND" or the
 *                                       errno (no fstat: the kernel's size)
 *                                     load OFF LEN: through the mapping,
 *                                       "load KIND" or "load SIGBUS"
 *                                     size: fstat's "size N"
 *                                   KIND: pattern, zeros, other, or "-" for
 *                                   nothing read
 *   fastio follow FILE SEED FINAL SECS  stat FILE (by path) again and again
 *                                   for up to SECS seconds until its size is
 *                                   FINAL; at each new size print "size N
 *                                   KIND" (KIND of its last 1 MiB read by a
 *                                   fresh open and pread); exit 0 when FINAL
 *                                   was reached and every KIND was pattern
 *
 * mmap-read and mmap-write print "faults N" (minor faults of the accesses,
 * getrusage) on stdout; smaps does not count devmap PMDs, faults do: one per
 * 2 MiB when the file is mapped with PMDs, one per 4 KiB otherwise.
 *
 * Exit status: 0 done and equal (pread/pwrite/touch: always 0 once the call
 * was made; watch: every pass was ok), 1 a mismatch or an error (said on
 * stderr), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

#define CHUNK ((size_t)1 << 20)
#define SF_CHUNK ((size_t)16 << 20)

static uint64_t seed;

static uint64_t word(uint64_t off)
{
	return off * 0x9e3779b97f4a7c15ULL ^ seed;
}

/* buf holds len bytes of the file starting at off (both multiples of 8) */
static void fill(void *buf, uint64_t off, size_t len)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = word(off + 8 * i);
}

static int verify(const char *what, const void *buf, uint64_t off, size_t len)
{
	const uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		if (w[i] != word(off + 8 * i)) {
			fprintf(stderr,
				"%s: differs at offset %llu: %#llx, want %#llx\n",
				what, (unsigned long long)(off + 8 * i),
				(unsigned long long)w[i],
				(unsigned long long)word(off + 8 * i));
			return 1;
		}
	}
	return 0;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int open_file(const char *path, int flags, uint64_t *size)
{
	struct stat st;
	int fd = open(path, flags);

	if (fd < 0 || fstat(fd, &st))
		die(path);
	if (st.st_size % 8) {
		fprintf(stderr, "%s: size %lld is not a multiple of 8\n", path,
			(long long)st.st_size);
		exit(1);
	}
	*size = st.st_size;
	return fd;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("malloc");
	return p;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int do_rw(const char *path, int wr)
{
	uint64_t size, off;
	char *buf = xmalloc(CHUNK);
	int fd = open_file(path, wr ? O_RDWR : O_RDONLY, &size);

	for (off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		ssize_t r;

		if (wr) {
			fill(buf, off, n);
			r = pwrite(fd, buf, n, off);
		} else {
			r = pread(fd, buf, n, off);
		}
		if (r != (ssize_t)n) {
			fprintf(stderr, "%s: %s at %llu: %zd of %zu (%s)\n",
				path, wr ? "pwrite" : "pread",
				(unsigned long long)off, r, n,
				r < 0 ? strerror(errno) : "short");
			return 1;
		}
		if (!wr && verify(path, buf, off, n))
			return 1;
	}
	if (wr && fsync(fd))
		die("fsync");
	return 0;
}

static int do_sendfile(const char *path, int wr)
{
	uint64_t size, off;
	int fd = open_file(path, wr ? O_RDWR : O_RDONLY, &size);
	int mfd = memfd_create("fastio", 0);
	char *m;

	if (mfd < 0 || ftruncate(mfd, SF_CHUNK))
		die("memfd");
	m = mmap(NULL, SF_CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED)
		die("mmap memfd");
	for (off = 0; off < size; off += SF_CHUNK) {
		size_t n = size - off < SF_CHUNK ? size - off : SF_CHUNK;
		size_t done = 0;

		if (wr)
			fill(m, off, n);
		while (done < n) {
			off_t in_off = wr ? (off_t)done : (off_t)(off + done);
			ssize_t r;

			/* sendfile writes at the out fd's file position */
			if (wr) {
				if (lseek(fd, off + done, SEEK_SET) < 0)
					die("lseek");
				r = sendfile(fd, mfd, &in_off, n - done);
			} else {
				if (lseek(mfd, done, SEEK_SET) < 0)
					die("lseek memfd");
				r = sendfile(mfd, fd, &in_off, n - done);
			}
			if (r <= 0) {
				fprintf(stderr, "%s: sendfile %s at %llu: %s\n",
					path, wr ? "into" : "from",
					(unsigned long long)(off + done),
					r < 0 ? strerror(errno) : "returned 0");
				return 1;
			}
			done += r;
		}
		if (!wr && verify(path, m, off, n))
			return 1;
	}
	if (wr && fsync(fd))
		die("fsync");
	return 0;
}

static int do_mmap(const char *path, int wr)
{
	uint64_t size, i;
	int fd = open_file(path, wr ? O_RDWR : O_RDONLY, &size);
	long f0, f1;
	uint64_t *w;
	int bad = 0;

	w = mmap(NULL, size, wr ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap");
	f0 = minflt();
	if (wr) {
		for (i = 0; i < size / 8; i++)
			w[i] = word(8 * i);
	} else {
		for (i = 0; i < size / 8 && !bad; i++)
			if (w[i] != word(8 * i))
				bad = verify(path, &w[i], 8 * i, 8);
	}
	f1 = minflt();
	if (wr && msync(w, size, MS_SYNC))
		die("msync");
	printf("faults %ld\n", f1 - f0);
	if (!bad && ((uintptr_t)w & ((2 << 20) - 1)) && size >= (2 << 20))
		fprintf(stderr, "%s: note: mapping at %p is not 2 MiB aligned\n",
			path, (void *)w);
	return bad;
}

static int do_stream(int gen, uint64_t size)
{
	char *buf = xmalloc(CHUNK);
	uint64_t off;

	for (off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? size - off : CHUNK, got = 0;

		if (gen) {
			fill(buf, off, n);
			while (got < n) {
				ssize_t r = write(1, buf + got, n - got);

				if (r < 0)
					die("write stdout");
				got += r;
			}
			continue;
		}
		while (got < n) {
			ssize_t r = read(0, buf + got, n - got);

			if (r < 0)
				die("read stdin");
			if (r == 0) {
				fprintf(stderr, "stdin: ends at %llu of %llu\n",
					(unsigned long long)(off + got),
					(unsigned long long)size);
				return 1;
			}
			got += r;
		}
		if (verify("stdin", buf, off, n))
			return 1;
	}
	return 0;
}

static void print_result(ssize_t r)
{
	if (r >= 0)
		printf("ok %zd\n", r);
	else if (errno == EIO)
		printf("EIO\n");
	else
		printf("errno %d (%s)\n", errno, strerror(errno));
}

static sigjmp_buf bus_jb;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jb, 1);
}

/*
 * Through a shared mapping of the 2 MiB of FILE around OFF (past the end
 * of the file, if it is), load the byte at OFF and/or store to it (a store
 * alone is the first access of its page, a write fault; a load first maps
 * the page, or its PMD, for reading and makes the store a write-protect
 * fault); prints "ok" or "SIGBUS".
 */
static int do_access(const char *path, uint64_t off, bool load, bool store)
{
	const uint64_t huge = 2 << 20;
	uint64_t size, base = off & ~(huge - 1);
	int fd = open_file(path, store ? O_RDWR : O_RDONLY, &size);
	volatile char *m;

	m = mmap(NULL, huge, store ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, base);
	if (m == MAP_FAILED)
		die("mmap");
	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus_jb, 1)) {
		printf("SIGBUS\n");
		return 0;
	}
	if (load)
		(void)m[off - base];
	if (store)
		m[off - base] = 0x5a;
	printf("ok\n");
	return 0;
}

/* Checks words [off, off + len) of a mapping: "ok", "differs" or "SIGBUS". */
static const char *probe(const volatile uint64_t *w, uint64_t off,
			 uint64_t len)
{
	uint64_t i;

	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus_jb, 1))
		return "SIGBUS";
	for (i = off / 8; i < (off + len) / 8; i++)
		if (w[i] != word(8 * i))
			return "differs";
	return "ok";
}

static int do_hold(const char *path)
{
	uint64_t size, *buf = xmalloc(4096);
	int fd = open_file(path, O_RDONLY, &size);
	const uint64_t half = size / 2 & ~4095ULL;
	const char *old;
	volatile uint64_t *w;
	char line[16];
	ssize_t r;

	if (size < 2 * 4096) {
		fprintf(stderr, "%s: hold needs at least 8 KiB\n", path);
		return 1;
	}
	w = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap");
	old = probe(w, 0, half);
	printf("held %s\n", old);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	printf("old %s\n", probe(w, 0, half));
	printf("new %s\n", probe(w, half, 4096));
	r = pread(fd, buf, 4096, 0);
	printf("pread ");
	if (r == 4096)
		printf("%s\n", verify(path, buf, 0, 4096) ? "differs" : "ok");
	else
		print_result(r);
	return 0;
}

/* pread() the whole of @fd and check it: "ok", "differs" or the error. */
static const char *pread_all(const char *path, int fd, uint64_t size,
			     void *buf)
{
	static char why[64];
	uint64_t off;

	for (off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		ssize_t r = pread(fd, buf, n, off);

		if (r != (ssize_t)n) {
			snprintf(why, sizeof(why), "%s",
				 r < 0 ? (errno == EIO ? "EIO" : strerror(errno)) :
					 "short");
			return why;
		}
		if (verify(path, buf, off, n))
			return "differs";
	}
	return "ok";
}

static int do_watch(const char *path, const char *stop)
{
	uint64_t size, pass = 0, bad = 0;
	char *buf = xmalloc(CHUNK);
	int fd = open_file(path, O_RDONLY, &size);
	const struct timespec pause = {.tv_nsec = 100 * 1000000};
	const char *m, *p;
	volatile uint64_t *w;

	w = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap");
	do {
		pass++;
		m = probe(w, 0, size & ~7ULL);
		p = pread_all(path, fd, size, buf);
		if (strcmp(m, "ok") || strcmp(p, "ok"))
			bad++;
		printf("pass %llu mmap %s pread %s\n", (unsigned long long)pass,
		       m, p);
		fflush(stdout);
		nanosleep(&pause, NULL);
	} while (access(stop, F_OK));
	if (munmap((void *)w, size))
		die("munmap");
	close(fd);
	printf("done passes %llu bad %llu\n", (unsigned long long)pass,
	       (unsigned long long)bad);
	return bad != 0;
}

static int do_append(const char *path, uint64_t len, uint64_t bs)
{
	uint64_t size, off, end, writes = 0;
	char *buf;
	int fd = open_file(path, O_WRONLY | O_APPEND, &size);

	if (!bs || bs % 8 || len % 8) {
		fprintf(stderr, "fastio: LEN and BS must be multiples of 8\n");
		return 2;
	}
	buf = xmalloc(bs);
	end = size + len;
	for (off = size; off < end; off += bs) {
		size_t n = end - off < bs ? end - off : bs;
		ssize_t r;

		fill(buf, off, n);
		r = write(fd, buf, n);
		writes++;
		if (r != (ssize_t)n) {
			fprintf(stderr, "%s: append at %llu: %zd of %zu (%s)\n",
				path, (unsigned long long)off, r, n,
				r < 0 ? strerror(errno) : "short");
			return 1;
		}
	}
	if (close(fd))
		die("close");
	printf("appended %llu writes, size %llu\n", (unsigned long long)writes,
	       (unsigned long long)end);
	return 0;
}

/* What @len bytes at file offset @off are: pattern, zeros or other. */
static const char *kind(const volatile uint64_t *w, uint64_t off, uint64_t len)
{
	int pat = 1, zero = 1;
	uint64_t i;

	if (!len)
		return "-";
	for (i = 0; i < len / 8 && (pat || zero); i++) {
		uint64_t v = w[i];

		if (v != word(off + 8 * i))
			pat = 0;
		if (v)
			zero = 0;
	}
	return pat ? "pattern" : zero ? "zeros" : "other";
}

static const char *errname(int e)
{
	static char b[32];

	switch (e) {
	case EIO: return "EIO";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	default:
		snprintf(b, sizeof(b), "errno %d", e);
		return b;
	}
}

static int do_session(const char *path, uint64_t maplen)
{
	int fd = open(path, O_RDONLY);
	char line[128], cmd[16];
	volatile uint64_t *w;
	unsigned long long off, len;

	if (fd < 0)
		die(path);
	w = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap");
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		int n = sscanf(line, "%15s %llu %llu", cmd, &off, &len);

		if (n >= 1 && !strcmp(cmd, "size")) {
			struct stat st;

			if (fstat(fd, &st))
				printf("size %s\n", errname(errno));
			else
				printf("size %lld\n", (long long)st.st_size);
		} else if (n == 3 && !strcmp(cmd, "pread") && off % 8 == 0 &&
			   len % 8 == 0) {
			uint64_t *buf = xmalloc(len ? len : 8);
			ssize_t r = pread(fd, buf, len, off);

			if (r < 0)
				printf("read %s\n", errname(errno));
			else
				printf("read %zd %s\n", r,
				       kind(buf, off, (uint64_t)r & ~7ULL));
			free(buf);
		} else if (n == 3 && !strcmp(cmd, "load") && off % 8 == 0 &&
			   len % 8 == 0 && off + len <= maplen) {
			signal(SIGBUS, on_bus);
			if (sigsetjmp(bus_jb, 1))
				printf("load SIGBUS\n");
			else
				printf("load %s\n", kind(w + off / 8, off, len));
		} else {
			printf("usage: pread|load OFF LEN (multiples of 8), size\n");
		}
		fflush(stdout);
	}
	munmap((void *)w, maplen);
	close(fd);
	return 0;
}

static int do_follow(const char *path, uint64_t final, uint64_t secs)
{
	const struct timespec pause = {.tv_nsec = 50 * 1000000};
	uint64_t last = UINT64_MAX, *buf = xmalloc(CHUNK);
	time_t until = time(NULL) + (time_t)secs;
	int bad = 0;

	for (;;) {
		struct stat st;
		uint64_t size, from;
		const char *k;
		ssize_t r;
		int fd;

		if (stat(path, &st))
			die(path);
		size = st.st_size;
		if (size != last) {
			fd = open(path, O_RDONLY);
			if (fd < 0)
				die(path);
			from = (size > CHUNK ? size - CHUNK : 0) & ~7ULL;
			r = pread(fd, buf, size - from, from);
			close(fd);
			if (r != (ssize_t)(size - from))
				k = r < 0 ? errname(errno) : "short";
			else
				k = kind(buf, from, size - from);
			printf("size %llu %s\n", (unsigned long long)size, k);
			fflush(stdout);
			if (size && strcmp(k, "pattern"))
				bad = 1;
			last = size;
		}
		if (size == final)
			return bad;
		if (time(NULL) > until) {
			printf("timeout at size %llu\n", (unsigned long long)size);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
}

/* The first word of the page at @pg: 0 right, 1 differs, 2 SIGBUS. */
static int load_page(const volatile uint64_t *w, uint64_t pg)
{
	if (sigsetjmp(bus_jb, 1))
		return 2;
	return w[pg / 8] != word(pg);
}

static int do_faults(const char *path, uint64_t len, const char *stop)
{
	uint64_t passes = 0, sigbus = 0, differs = 0, preads = 0, bad = 0;
	int fd = open(path, O_RDONLY);
	char *buf = xmalloc(len ? len : 1);
	volatile uint64_t *w;
	long f0 = minflt();
	uint64_t pg;

	if (fd < 0)
		die(path);
	w = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap");
	signal(SIGBUS, on_bus);
	do {
		passes++;
		for (pg = 0; pg < len; pg += 4096) {
			int r = load_page(w, pg);

			sigbus += r == 2;
			differs += r == 1;
		}
		preads++;
		if (pread(fd, buf, len, 0) != (ssize_t)len ||
		    verify(path, buf, 0, len))
			bad++;
		if (madvise((void *)w, len, MADV_DONTNEED))
			die("madvise(MADV_DONTNEED)");
	} while (access(stop, F_OK));
	printf("passes %llu faults %ld sigbus %llu differs %llu preads %llu bad %llu\n",
	       (unsigned long long)passes, minflt() - f0,
	       (unsigned long long)sigbus, (unsigned long long)differs,
	       (unsigned long long)preads, (unsigned long long)bad);
	return sigbus || differs || bad;
}

struct storm {
	volatile uint64_t *w;
	uint64_t size;
	time_t end;
	unsigned int seed;
	unsigned long ops, sigbus;
};

/* SIGBUS is delivered to the thread that faulted: each has its own jump. */
static __thread sigjmp_buf storm_jb;

static void on_storm_bus(int sig)
{
	(void)sig;
	siglongjmp(storm_jb, 1);
}

static void *storm_thread(void *arg)
{
	struct storm *st = arg;

	while (time(NULL) < st->end) {
		unsigned int r = rand_r(&st->seed);
		uint64_t off = (uint64_t)rand_r(&st->seed) % (st->size / 8) * 8;

		st->ops++;
		if (sigsetjmp(storm_jb, 1)) {
			st->sigbus++;
			continue;
		}
		if (r % 8 == 0)
			madvise((void *)((uintptr_t)st->w + (off & ~(CHUNK * 2 - 1))),
				CHUNK * 2 < st->size ? CHUNK * 2 : st->size,
				MADV_DONTNEED);
		else if (r % 2)
			st->w[off / 8] = word(off);
		else
			(void)st->w[off / 8];
	}
	return NULL;
}

static int do_storm(const char *path, uint64_t secs, uint64_t nthreads)
{
	struct storm st[16];
	unsigned long ops = 0, sigbus = 0;
	pthread_t tid[16];
	uint64_t size, i;
	int fd = open_file(path, O_RDWR, &size);
	void *m;

	if (!nthreads || nthreads > 16 || size < 8) {
		fprintf(stderr, "storm: 1 to 16 threads, a non-empty file\n");
		return 2;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	signal(SIGBUS, on_storm_bus);
	for (i = 0; i < nthreads; i++) {
		st[i] = (struct storm){.w = m, .size = size,
				       .end = time(NULL) + secs,
				       .seed = seed + i};
		if (pthread_create(&tid[i], NULL, storm_thread, &st[i]))
			die("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		ops += st[i].ops;
		sigbus += st[i].sigbus;
	}
	printf("ops %lu sigbus %lu\n", ops, sigbus);
	return 0;
}

static volatile sig_atomic_t bus_code = -1;
static void *volatile bus_addr;

static void on_bus_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = si->si_code;
	bus_addr = si->si_addr;
}

static void catch_bus_info(void)
{
	struct sigaction sa = {.sa_sigaction = on_bus_info,
			       .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		die("sigaction");
}

/* The SIGBUS caught, if any: "none", or "sigbus AR|AO|code N addr ok|bad" */
static void print_bus(const volatile char *page)
{
	if (bus_code == -1) {
		printf("none\n");
		return;
	}
	if (bus_code == BUS_MCEERR_AR)
		printf("sigbus AR");
	else if (bus_code == BUS_MCEERR_AO)
		printf("sigbus AO");
	else
		printf("sigbus code %d", (int)bus_code);
	printf(" addr %s\n",
	       ((uintptr_t)bus_addr & ~4095UL) == (uintptr_t)page ? "ok" : "bad");
}

/* Map the page of FILE at OFF shared and fault it in */
static volatile char *map_page(const char *path, uint64_t off)
{
	uint64_t size, pg = off & ~4095ULL;
	int fd = open_file(path, O_RDWR, &size);
	volatile char *m;

	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	if (m == MAP_FAILED)
		die("mmap");
	(void)m[0];
	return m;
}

static void wait_for(const char *go)
{
	while (access(go, F_OK))
		usleep(20000);
}

/*
 * MADV_HWPOISON the page of FILE at OFF through a shared mapping, faulted
 * in first (and, with GO, kept until the file GO exists: "mapped" says
 * so).  Prints the SIGBUS the kernel sent for it.
 */
static int do_poison(const char *path, uint64_t off, const char *go)
{
	volatile char *m = map_page(path, off);

	if (go) {
		printf("mapped\n");
		fflush(stdout);
		wait_for(go);
	}
	catch_bus_info();
	if (madvise((void *)m, 4096, MADV_HWPOISON))
		die("madvise(MADV_HWPOISON)");
	printf("poisoned ");
	print_bus(m);
	return 0;
}

static sigjmp_buf bus_info_jb;
static volatile sig_atomic_t bus_info_jump;

static void on_bus_info_jump(int sig, siginfo_t *si, void *uc)
{
	on_bus_info(sig, si, uc);
	if (bus_info_jump)
		siglongjmp(bus_info_jb, 1);
}

/*
 * Map the page of FILE at OFF (asking for the early kill of memory
 * failures with "early") and wait, up to SECS seconds, for a SIGBUS:
 * another process poisons the page.  Then load from the page.  Prints
 * "mapped", then what came while waiting and on the load, as poison does:
 * "wait none|sigbus ..." and "load ok|sigbus ...".
 */
static int do_victim(const char *path, uint64_t off, unsigned int secs,
		     bool early)
{
	struct sigaction sa = {.sa_sigaction = on_bus_info_jump,
			       .sa_flags = SA_SIGINFO};
	volatile char *m = map_page(path, off);
	unsigned int i;

	if (early && prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY,
			   0, 0))
		die("prctl(PR_MCE_KILL_EARLY)");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		die("sigaction");
	printf("mapped\n");
	fflush(stdout);
	for (i = 0; i < secs * 50 && bus_code == -1; i++)
		usleep(20000);
	printf("wait ");
	print_bus(m);
	bus_code = -1;
	if (!sigsetjmp(bus_info_jb, 1)) {
		bus_info_jump = 1;
		(void)m[0];
		bus_info_jump = 0;
	}
	printf("load ");
	if (bus_code == -1)
		printf("ok\n");
	else
		print_bus(m);
	return 0;
}

/*
 * O_DIRECT-write LEN bytes of a shared mapping of FILE from OFF into
 * TARGET: the kernel pins the mapped pages for as long as TARGET's write
 * is in flight (a FUSE server that does not answer keeps it so).  Prints
 * "ready" once both are open and the pages mapped, waits until the file
 * GO exists, prints "writing", then the write's result.
 */
static int do_odirect(const char *path, uint64_t off, uint64_t len,
		      const char *target, const char *go)
{
	uint64_t size, i;
	int fd = open_file(path, O_RDWR, &size), out;
	volatile char *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (m == MAP_FAILED)
		die("mmap");
	for (i = 0; i < len; i += 4096)
		(void)m[i];
	out = open(target, O_WRONLY | O_CREAT | O_DIRECT, 0644);
	if (out < 0)
		die(target);
	printf("ready\n");
	fflush(stdout);
	wait_for(go);
	printf("writing\n");
	fflush(stdout);
	print_result(pwrite(out, (void *)m, len, 0));
	return 0;
}

/*
 * Map the 2 MiB of device-dax DEV around OFF at a 2 MiB-aligned address
 * (device-dax wants its alignment): the mapping, or MAP_FAILED and errno.
 */
static char *map_dev_huge(int fd, uint64_t off)
{
	const size_t huge = 2 << 20;
	uintptr_t a;
	char *r;

	r = mmap(NULL, 2 * huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		die("mmap reserve");
	a = ((uintptr_t)r + huge - 1) & ~(uintptr_t)(huge - 1);
	return mmap((void *)a, huge, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, off & ~(uint64_t)(huge - 1));
}

/* Store and load a byte at OFF of a mapping of DEV: ok, SIGBUS, or errno */
static int do_map_dev(const char *path, uint64_t off)
{
	int fd = open(path, O_RDWR);
	volatile char *m;

	if (fd < 0)
		die(path);
	m = map_dev_huge(fd, off);
	if (m == MAP_FAILED) {
		printf("mmap %s\n", errname(errno));
		return 0;
	}
	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus_jb, 1)) {
		printf("SIGBUS\n");
		return 0;
	}
	m[off & ((2 << 20) - 1)] ^= 0;
	printf("ok\n");
	return 0;
}

static int do_poison_dev(const char *path, uint64_t off)
{
	const size_t huge = 2 << 20;
	uint64_t base = off & ~(uint64_t)(huge - 1);
	int fd = open(path, O_RDWR);
	volatile char *m, *page;

	if (fd < 0)
		die(path);
	m = map_dev_huge(fd, off);
	if (m == MAP_FAILED)
		die("mmap device");
	page = m + (off & ~4095ULL) - base;
	(void)*page; /* map the page: MADV_HWPOISON works on mapped pages */
	catch_bus_info();
	/* the kernel sends the caller SIGBUS (BUS_MCEERR_AR) on the way out */
	if (madvise((void *)page, 4096, MADV_HWPOISON))
		die("madvise(MADV_HWPOISON)");
	printf("poisoned ");
	print_bus(page);
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "fastio: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char *buf;
	size_t len;
	int fd;
	uint64_t size;

	if (argc == 4 && strcmp(cmd, "gen") && strcmp(cmd, "check") &&
	    strcmp(cmd, "poison") && strcmp(cmd, "poison-dev") &&
	    strcmp(cmd, "map-dev") && strcmp(cmd, "store") &&
	    strcmp(cmd, "touch"))
		seed = num(argv[3]);
	if (argc == 4 && !strcmp(cmd, "write"))
		return do_rw(argv[2], 1);
	if (argc == 4 && !strcmp(cmd, "read"))
		return do_rw(argv[2], 0);
	if (argc == 4 && !strcmp(cmd, "sendfile-write"))
		return do_sendfile(argv[2], 1);
	if (argc == 4 && !strcmp(cmd, "sendfile-read"))
		return do_sendfile(argv[2], 0);
	if (argc == 4 && !strcmp(cmd, "mmap-write"))
		return do_mmap(argv[2], 1);
	if (argc == 4 && !strcmp(cmd, "mmap-read"))
		return do_mmap(argv[2], 0);
	if (argc == 4 && !strcmp(cmd, "hold"))
		return do_hold(argv[2]);
	if (argc == 5 && !strcmp(cmd, "watch")) {
		seed = num(argv[3]);
		return do_watch(argv[2], argv[4]);
	}
	if (argc == 4 && (!strcmp(cmd, "gen") || !strcmp(cmd, "check"))) {
		seed = num(argv[2]);
		size = num(argv[3]);
		if (size % 8) {
			fprintf(stderr, "fastio: SIZE must be a multiple of 8\n");
			return 2;
		}
		return do_stream(!strcmp(cmd, "gen"), size);
	}
	if (argc == 6 && !strcmp(cmd, "append")) {
		seed = num(argv[3]);
		return do_append(argv[2], num(argv[4]), num(argv[5]));
	}
	if (argc == 5 && !strcmp(cmd, "session")) {
		seed = num(argv[3]);
		return do_session(argv[2], num(argv[4]));
	}
	if (argc == 6 && !strcmp(cmd, "follow")) {
		seed = num(argv[3]);
		return do_follow(argv[2], num(argv[4]), num(argv[5]));
	}
	if (argc == 6 && !strcmp(cmd, "faults")) {
		seed = num(argv[3]);
		return do_faults(argv[2], num(argv[4]), argv[5]);
	}
	if (argc == 6 && !strcmp(cmd, "storm")) {
		seed = num(argv[3]);
		return do_storm(argv[2], num(argv[4]), num(argv[5]));
	}
	if ((argc == 4 || argc == 5) && !strcmp(cmd, "poison"))
		return do_poison(argv[2], num(argv[3]), argc == 5 ? argv[4] : NULL);
	if (argc == 7 && !strcmp(cmd, "odirect"))
		return do_odirect(argv[2], num(argv[3]), num(argv[4]), argv[5],
				  argv[6]);
	if ((argc == 5 || argc == 6) && !strcmp(cmd, "victim"))
		return do_victim(argv[2], num(argv[3]), num(argv[4]),
				 argc == 6 && !strcmp(argv[5], "early"));
	if (argc == 4 && !strcmp(cmd, "map-dev"))
		return do_map_dev(argv[2], num(argv[3]));
	if (argc == 4 && !strcmp(cmd, "poison-dev"))
		return do_poison_dev(argv[2], num(argv[3]));
	if ((argc == 4 || argc == 5) && !strcmp(cmd, "store"))
		return do_access(argv[2], num(argv[3]),
				 argc == 5 && !strcmp(argv[4], "load"), true);
	if (argc == 4 && !strcmp(cmd, "touch"))
		return do_access(argv[2], num(argv[3]), true, false);
	if (argc == 5 && (!strcmp(cmd, "pread") || !strcmp(cmd, "pwrite"))) {
		int wr = !strcmp(cmd, "pwrite");

		len = num(argv[4]);
		buf = calloc(1, len ? len : 1);
		if (!buf)
			die("calloc");
		fd = open(argv[2], wr ? O_RDWR : O_RDONLY);
		if (fd < 0)
			die(argv[2]);
		print_result(wr ? pwrite(fd, buf, len, num(argv[3])) :
				  pread(fd, buf, len, num(argv[3])));
		return 0;
	}
	fprintf(stderr,
		"usage: fastio write|read|sendfile-write|sendfile-read|mmap-write|mmap-read|hold FILE SEED\n"
		"       fastio watch FILE SEED STOP\n"
		"       fastio append FILE SEED LEN BS\n"
		"       fastio session FILE SEED MAPLEN\n"
		"       fastio follow FILE SEED FINAL SECS\n"
		"       fastio faults FILE SEED LEN STOP\n"
		"       fastio storm FILE SEED SECS THREADS\n"
		"       fastio gen|check SEED SIZE\n"
		"       fastio poison FILE OFF [GO]\n"
		"       fastio victim FILE OFF SECS [early]\n"
		"       fastio odirect FILE OFF LEN TARGET GO\n"
		"       fastio touch FILE OFF\n"
		"       fastio store FILE OFF [load]\n"
		"       fastio poison-dev|map-dev DEV OFF\n"
		"       fastio pread|pwrite FILE OFF LEN\n");
	return 2;
}
