// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam cp: copy files into a mounted bpfam.  A bpfam file cannot grow, so
 * each copy is created with its final size first (one allocation), then
 * filled, then read back and compared with the source: the copy is only
 * reported done once the bytes on the shared memory are known to be right.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fileops.h"
#include "units.h"

/* Large I/Os: FUSE splits them into max_write requests anyway. */
#define CP_BUF (4U << 20)

struct copy {
	const char *src, *dst;
	int sfd, dfd;
	uint64_t size;
	char *buf, *vbuf; /* CP_BUF each */
	bool progress;	  /* stderr is a terminal */
	bool shown;	  /* a progress line is on it */
	struct timespec last;
};

/* Erase the progress line, before an error or when done. */
static void clear_progress(struct copy *c)
{
	if (c->shown)
		fputs("\r\033[K", stderr);
	c->shown = false;
}

/* At most four progress updates a second; @done == size erases the line. */
static void progress(struct copy *c, const char *phase, uint64_t done)
{
	char a[32], b[32];
	struct timespec now;

	if (!c->progress)
		return;
	if (done == c->size) {
		clear_progress(c);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - c->last.tv_sec) * 1000000000LL +
		    (now.tv_nsec - c->last.tv_nsec) <
	    250000000LL)
		return;
	c->last = now;
	c->shown = true;
	fprintf(stderr, "\r\033[Kbpfam cp: %s: %s %s of %s", c->dst, phase,
		bpfam_fmt_size(done, a), bpfam_fmt_size(c->size, b));
}

/*
 * Read (@wr false) or write exactly @len bytes at @off; -1 after an error
 * naming @path.
 */
static int xfer_full(struct copy *c, int fd, const char *path, char *buf,
		     size_t len, uint64_t off, bool wr)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? pwrite(fd, buf + done, len - done, off + done) :
			 pread(fd, buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			clear_progress(c);
			cmd_error("cp", "%s: %s while %s at offset %" PRIu64,
				  path,
				  n ? errno_str(errno) :
				  wr ? "wrote nothing" : "file shrank",
				  wr ? "writing" : "reading", off + done);
			return -1;
		}
		done += n;
	}
	return 0;
}

static size_t block_at(const struct copy *c, uint64_t off)
{
	return c->size - off < CP_BUF ? c->size - off : CP_BUF;
}

static int fill(struct copy *c)
{
	uint64_t off;
	size_t len;

	for (off = 0; off < c->size; off += len) {
		progress(c, "copied", off);
		len = block_at(c, off);
		if (xfer_full(c, c->sfd, c->src, c->buf, len, off, false) ||
		    xfer_full(c, c->dfd, c->dst, c->buf, len, off, true))
			return -1;
	}
	progress(c, "copied", off);
	if (fsync(c->dfd)) {
		cmd_error("cp", "%s: %s while syncing", c->dst,
			  errno_str(errno));
		return -1;
	}
	return 0;
}

static int verify(struct copy *c)
{
	uint64_t off;
	size_t len, i;

	/* Read the copy back from the daemon, not from our page cache. */
	posix_fadvise(c->dfd, 0, 0, POSIX_FADV_DONTNEED);
	for (off = 0; off < c->size; off += len) {
		progress(c, "verified", off);
		len = block_at(c, off);
		if (xfer_full(c, c->sfd, c->src, c->buf, len, off, false) ||
		    xfer_full(c, c->dfd, c->dst, c->vbuf, len, off, false))
			return -1;
		if (memcmp(c->buf, c->vbuf, len)) {
			clear_progress(c);
			for (i = 0; c->buf[i] == c->vbuf[i]; i++)
				;
			cmd_error("cp",
				  "%s: differs from %s at offset %" PRIu64
				  " after copying",
				  c->dst, c->src, off + i);
			return -1;
		}
	}
	progress(c, "verified", off);
	return 0;
}

/* An empty source: an empty file, left unsized (a size is never 0). */
static int copy_empty(const char *dst, mode_t mode)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		cmd_error("cp", "%s: %s", dst, errno_str(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int copy_file(struct copy *c, const struct layout *l)
{
	struct stat st;
	int ret = -1;

	c->sfd = open(c->src, O_RDONLY | O_CLOEXEC);
	if (c->sfd < 0) {
		cmd_error("cp", "%s: %s", c->src, errno_str(errno));
		return -1;
	}
	if (fstat(c->sfd, &st)) {
		cmd_error("cp", "%s: %s", c->src, errno_str(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		cmd_error("cp", "omitting directory '%s'", c->src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cmd_error("cp",
			  "%s: not a regular file (a bpfam file's size must be "
			  "known before copying)",
			  c->src);
		goto out;
	}
	c->size = st.st_size;
	if (!c->size) {
		ret = copy_empty(c->dst, st.st_mode & 0777);
		goto out;
	}
	c->dfd = create_sized("cp", c->dst, st.st_mode & 0777, c->size, l);
	if (c->dfd < 0)
		goto out;
	ret = fill(c) || verify(c) ? -1 : 0;
	close(c->dfd);
	if (ret && unlink(c->dst))
		cmd_error("cp",
			  "%s: the incomplete copy is left in place (cannot "
			  "remove it: %s)",
			  c->dst, strerror(errno));
out:
	close(c->sfd);
	return ret;
}

/* DIR/basename(SRC), or -1 after an error if that is too long. */
static int dest_in_dir(char *out, const char *dir, const char *src)
{
	const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	size_t dlen = strlen(dir);

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (snprintf(out, PATH_MAX, "%.*s/%s", (int)dlen, dir, base) < PATH_MAX)
		return 0;
	cmd_error("cp", "%s/%s: %s", dir, base, errno_str(ENAMETOOLONG));
	return -1;
}

static int copy_all(char **srcs, int nsrc, const char *dest,
		    const struct layout *l)
{
	struct copy c = {.progress = isatty(STDERR_FILENO)};
	char path[PATH_MAX];
	struct stat st;
	bool into_dir;
	int i, ret = EXIT_OK;

	into_dir = !stat(dest, &st) && S_ISDIR(st.st_mode);
	if (nsrc > 1 && !into_dir) {
		cmd_error("cp", "%s: not a directory (several sources)", dest);
		return EXIT_FAIL;
	}
	c.buf = malloc(CP_BUF);
	c.vbuf = malloc(CP_BUF);
	if (!c.buf || !c.vbuf) {
		cmd_error("cp", "%s", errno_str(ENOMEM));
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < nsrc; i++) {
		c.src = srcs[i];
		c.dst = dest;
		if (into_dir) {
			if (dest_in_dir(path, dest, srcs[i])) {
				ret = EXIT_FAIL;
				continue;
			}
			c.dst = path;
		}
		if (copy_file(&c, l))
			ret = EXIT_FAIL;
	}
out:
	free(c.buf);
	free(c.vbuf);
	return ret;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option opts[] = {
		LAYOUT_LONG_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct layout l = {0};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case LAYOUT_OPT_INTERLEAVE:
		case LAYOUT_OPT_CHUNK:
			if (layout_option("cp", c, optarg, &l))
				return EXIT_USAGE;
			break;
		case 'h':
			return cmd_help("cp");
		default:
			return option_error("cp", c, argv);
		}
	}
	if (argc - optind < 2)
		return cmd_usage_error("cp", "need a SRC and a DEST");
	if (layout_finish("cp", &l))
		return EXIT_USAGE;
	return copy_all(argv + optind, argc - optind - 1, argv[argc - 1], &l);
}
