// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam cp: copy files into a mounted bpfam.  Each copy is created with
 * its final size first (one allocation, and the only way to interleave
 * it), then filled, then read back and compared with the source: the copy
 * is only reported done once the bytes on the shared memory are known to
 * be right.
 * With -r, directories are copied as trees, their directories made first.
 */
#include <dirent.h>
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

/* io_full, with its error said after erasing the progress line. */
static int xfer_full(struct copy *c, int fd, const char *path, char *buf,
		     size_t len, uint64_t off, bool wr)
{
	uint64_t at;
	int err = io_full(fd, buf, len, off, wr, &at);

	if (!err)
		return 0;
	clear_progress(c);
	io_error("cp", path, err, wr, at);
	return -1;
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
		i = first_diff(c->buf, c->vbuf, len);
		if (i < len) {
			clear_progress(c);
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

/* DIR/NAME (@nlen bytes of @name), or -1 after an error if too long. */
static int join(char *out, const char *dir, const char *name, size_t nlen)
{
	size_t dlen = strlen(dir);

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (snprintf(out, PATH_MAX, "%.*s/%.*s", (int)dlen, dir, (int)nlen,
		     name) < PATH_MAX)
		return 0;
	cmd_error("cp", "%s/%.*s: %s", dir, (int)nlen, name,
		  errno_str(ENAMETOOLONG));
	return -1;
}

/* DIR/basename(SRC); "a/b/" is named "b", as cp(1) names it. */
static int dest_in_dir(char *out, const char *dir, const char *src)
{
	size_t end = strlen(src), start;

	while (end > 1 && src[end - 1] == '/')
		end--;
	for (start = end; start && src[start - 1] != '/'; start--)
		;
	return join(out, dir, src + start, end - start);
}

static int copy_tree(struct copy *c, const char *src, const char *dst,
		     const struct stat *st, const struct layout *l);

/* One file, as the copy of @src at @dst. */
static int copy_regular(struct copy *c, const char *src, const char *dst,
			const struct layout *l)
{
	c->src = src;
	c->dst = dst;
	return copy_file(c, l);
}

/* An entry of a source directory: lstat, not stat, so no link is followed. */
static int copy_entry(struct copy *c, const char *src, const char *dst,
		      const struct layout *l)
{
	struct stat st;

	if (lstat(src, &st)) {
		cmd_error("cp", "%s: %s", src, errno_str(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return copy_tree(c, src, dst, &st, l);
	if (S_ISREG(st.st_mode))
		return copy_regular(c, src, dst, l);
	/* Not opened: opening a FIFO would wait for a writer. */
	cmd_error("cp", "%s: not a regular file, not copied", src);
	return -1;
}

/*
 * Make @dst, a directory (an existing one is merged into, as cp -r does),
 * and refuse when it is inside @src: the copy would copy itself.
 */
static int make_dir(const char *src, const char *dst, mode_t mode)
{
	char rs[PATH_MAX], rd[PATH_MAX];
	bool made = !mkdir(dst, mode);
	struct stat st;
	size_t n;

	if (!made &&
	    (errno != EEXIST || stat(dst, &st) || !S_ISDIR(st.st_mode))) {
		cmd_error("cp", "%s: %s", dst,
			  errno_str(errno == EEXIST ? ENOTDIR : errno));
		return -1;
	}
	if (!realpath(src, rs) || !realpath(dst, rd))
		return 0; /* the copy reports it */
	n = strlen(rs);
	if (strncmp(rs, rd, n) || (rd[n] != '/' && rd[n]))
		return 0;
	cmd_error("cp", "cannot copy a directory, '%s', into itself, '%s'", src,
		  dst);
	if (made)
		rmdir(dst);
	return -1;
}

/* Directory @src (@st) into a new or existing directory @dst. */
static int copy_tree(struct copy *c, const char *src, const char *dst,
		     const struct stat *st, const struct layout *l)
{
	char s[PATH_MAX], d[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int ret = 0;

	if (make_dir(src, dst, st->st_mode & 0777))
		return -1;
	dir = opendir(src);
	if (!dir) {
		cmd_error("cp", "%s: %s", src, errno_str(errno));
		return -1;
	}
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (join(s, src, e->d_name, strlen(e->d_name)) ||
		    join(d, dst, e->d_name, strlen(e->d_name)) ||
		    copy_entry(c, s, d, l))
			ret = -1;
	}
	closedir(dir);
	return ret;
}

/* A SRC of the command line: its symlinks followed, as cp(1) does. */
static int copy_one(struct copy *c, const char *src, const char *dst,
		    bool recursive, const struct layout *l)
{
	struct stat st;

	if (stat(src, &st)) {
		cmd_error("cp", "%s: %s", src, errno_str(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return copy_regular(c, src, dst, l);
	if (recursive)
		return copy_tree(c, src, dst, &st, l);
	cmd_error("cp", "omitting directory '%s' (copy directories with -r)",
		  src);
	return -1;
}

static int copy_all(char **srcs, int nsrc, const char *dest, bool recursive,
		    const struct layout *l)
{
	struct copy c = {.progress = isatty(STDERR_FILENO)};
	char path[PATH_MAX];
	struct stat st;
	bool into_dir;
	int i, ret = EXIT_OK;

	if (require_bpfam("cp", dest))
		return EXIT_FAIL;
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
		if (into_dir && dest_in_dir(path, dest, srcs[i])) {
			ret = EXIT_FAIL;
			continue;
		}
		if (copy_one(&c, srcs[i], into_dir ? path : dest, recursive, l))
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
		{"recursive", no_argument, NULL, 'r'},
		LAYOUT_LONG_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct layout l = {0};
	bool recursive = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rRh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'R':
			recursive = true;
			break;
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
	return copy_all(argv + optind, argc - optind - 1, argv[argc - 1],
			recursive, &l);
}
