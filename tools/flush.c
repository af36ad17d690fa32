// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam flush: write a range of a file's memory back from this CPU's caches
 * and drop it from them.  Memory shared between hosts is not coherent
 * between them, so an application that writes through a mapping (or the
 * kernel fast path) on one host and reads on another needs this on both:
 * on the writer so the bytes leave its caches, on the reader so its next
 * loads miss and see them (clflush does both at once).
 *
 * The file's fmap (user.bpfam.fmap) says where its bytes live; the mount
 * (its fsname) names the device, which is mapped here to flush it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfam/fmap.h"
#include "bpfam/resolve.h"
#include "cmd.h"
#include "device.h"
#include "fileops.h"
#include "units.h"

#define NAME "flush"

struct flush {
	const char *path;
	char device[PATH_MAX];
	struct bpfam_fmap m;
	uint64_t off, len;  /* the file range */
	bool whole;         /* no range given: all of it */
	bool verbose;
	struct bpfam_device dev;
	uint64_t ranges;    /* device ranges flushed */
};

/*
 * Dirty pages of a mapping made without the fast path are in this host's
 * page cache, not yet on the device: have the daemon write them first.
 */
static int write_back_page_cache(const struct flush *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fdatasync(fd))
		rc = errno;
	if (fd >= 0)
		close(fd);
	if (rc)
		cmd_error(NAME, "%s: writing back its page cache: %s", f->path,
			  errno_str(rc));
	return rc ? -1 : 0;
}

/* The range to flush, inside the file. */
static int check_range(struct flush *f)
{
	char a[32];

	if (f->whole) {
		f->off = 0;
		f->len = f->m.size;
		return 0;
	}
	if (f->off >= f->m.size || f->len > f->m.size - f->off) {
		cmd_error(NAME,
			  "%s: range %llu+%llu is past the end of the file (%s, %llu bytes)",
			  f->path, (unsigned long long)f->off,
			  (unsigned long long)f->len,
			  bpfam_fmt_size(f->m.size, a),
			  (unsigned long long)f->m.size);
		return -1;
	}
	return 0;
}

/*
 * A regular file emulating a device is written back with msync, which
 * needs a read-write mapping; a devdax device with clflush, which needs
 * only to read it.
 */
static int open_device(struct flush *f)
{
	enum bpfam_open_mode mode = BPFAM_OPEN_RDONLY;
	struct bpfam_err err;
	struct stat st;

	if (!stat(f->device, &st) && S_ISREG(st.st_mode))
		mode = BPFAM_OPEN_RDWR;
	if (bpfam_device_open(&f->dev, f->device, mode, &err)) {
		cmd_error(NAME, "%s: its device: %s", f->path, err.msg);
		return -1;
	}
	/* The file's bytes are the kernel's (fs-dax): fsync or msync them. */
	if (bpfam_device_refuse_lent(&f->dev, &err)) {
		cmd_error(NAME, "%s: %s", f->path, err.msg);
		bpfam_device_close(&f->dev);
		return -1;
	}
	return 0;
}

/* Flush device range [dev_off, +len), which the fmap says is the file's. */
static int flush_run(struct flush *f, uint64_t dev_off, uint64_t len)
{
	char a[32];
	int rc;

	if (dev_off > f->dev.size || len > f->dev.size - dev_off) {
		cmd_error(NAME,
			  "%s: its fmap points at %llu+%llu, past the end of %s (%s): is that the device its bpfamd serves?",
			  f->path, (unsigned long long)dev_off,
			  (unsigned long long)len, f->device,
			  bpfam_fmt_size(f->dev.size, a));
		return -1;
	}
	rc = bpfam_device_flush(&f->dev, f->dev.base + dev_off, len);
	if (rc) {
		cmd_error(NAME, "%s: flushing %s at %llu+%llu: %s", f->path,
			  f->device, (unsigned long long)dev_off,
			  (unsigned long long)len, errno_str(-rc));
		return -1;
	}
	f->ranges++;
	if (f->verbose)
		printf("  device %s offset 0x%llx length 0x%llx\n", f->device,
		       (unsigned long long)dev_off, (unsigned long long)len);
	return 0;
}

/*
 * Walk the file range run by run (the resolver stops a run at an extent's
 * or a chunk's end) and flush device-contiguous runs together.
 */
static int flush_range(struct flush *f)
{
	uint64_t pos = f->off, end = f->off + f->len, start = 0, len = 0;
	struct bpfam_run run = {0};
	uint64_t n;

	while (pos < end) {
		if (bpfam_resolve(&f->m, f->m.gen, pos, 0, &run)) {
			cmd_error(NAME, "%s: its fmap does not resolve offset %llu",
				  f->path, (unsigned long long)pos);
			return -1;
		}
		if (run.dev) {
			cmd_error(NAME, "%s: offset %llu is on device %u; the mount names only one",
				  f->path, (unsigned long long)pos, run.dev);
			return -1;
		}
		n = run.len < end - pos ? run.len : end - pos;
		if (len && run.dev_off == start + len) {
			len += n;
		} else {
			if (len && flush_run(f, start, len))
				return -1;
			start = run.dev_off;
			len = n;
		}
		pos += n;
	}
	return len ? flush_run(f, start, len) : 0;
}

/* A file without an fmap has no bytes anywhere: only "all of it" is fine. */
static int unsized(const struct flush *f)
{
	if (f->whole) {
		printf("%s: nothing to flush: it is empty\n", f->path);
		return EXIT_OK;
	}
	cmd_error(NAME,
		  "%s: range %llu+%llu is past the end of the file (it is empty)",
		  f->path, (unsigned long long)f->off,
		  (unsigned long long)f->len);
	return EXIT_FAIL;
}

static int flush_file(struct flush *f)
{
	char a[32];
	int rc;

	if (device_of_file(NAME, f->path, f->device, sizeof(f->device)))
		return EXIT_FAIL;
	rc = get_fmap(NAME, f->path, &f->m);
	if (rc == -ENODATA)
		return unsized(f);
	if (rc || check_range(f) || write_back_page_cache(f) ||
	    open_device(f))
		return EXIT_FAIL;
	rc = flush_range(f);
	bpfam_device_close(&f->dev);
	if (rc)
		return EXIT_FAIL;
	printf("%s: flushed %s (%llu bytes) at offset %llu, %llu device range%s of %s\n",
	       f->path, bpfam_fmt_size(f->len, a), (unsigned long long)f->len,
	       (unsigned long long)f->off, (unsigned long long)f->ranges,
	       f->ranges == 1 ? "" : "s", f->device);
	return EXIT_OK;
}

static int parse_range(struct flush *f, char **args)
{
	if (bpfam_parse_size(args[0], &f->off))
		return cmd_usage_error(NAME, "OFFSET '%s': not a size", args[0]);
	if (bpfam_parse_size(args[1], &f->len))
		return cmd_usage_error(NAME, "LEN '%s': not a size", args[1]);
	if (!f->len)
		return cmd_usage_error(NAME, "LEN must be more than 0");
	return EXIT_OK;
}

int cmd_flush(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct flush f = {.whole = true};
	int c, n, status;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			f.verbose = true;
			break;
		case 'h':
			return cmd_help(NAME);
		default:
			return option_error(NAME, c, argv);
		}
	}
	n = argc - optind;
	if (n != 1 && n != 3)
		return cmd_usage_error(NAME, "need FILE, or FILE OFFSET LEN");
	f.path = argv[optind];
	if (n == 3) {
		f.whole = false;
		status = parse_range(&f, argv + optind + 1);
		if (status)
			return status;
	}
	return flush_file(&f);
}
