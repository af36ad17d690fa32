// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam check: every file of a mounted bpfam has a valid fmap inside the
 * device's data area, and no two files share a byte of it.  Unlike fsck,
 * which checks the log on the device, this checks what the daemon serves:
 * the fmaps it hands out (user.bpfam.fmap), which are what the kernel fast
 * path and every reader resolve with.  Overlaps are found with the log
 * player's own allocator, reserving each file's extents in turn.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bpfam/fmap.h"
#include "cmd.h"
#include "device.h"
#include "fileops.h"
#include "mountinfo.h"
#include "offline.h"
#include "sb.h"
#include "units.h"

#define NAME "check"

struct file {
	char *path;
	struct bpfam_fmap *m; /* BPFAM_FMAP_BYTES(nr) of it */
};

/* nftw() passes no context: the one check this process runs. */
static struct {
	struct bpfam_alloc alloc;
	struct file *files;
	size_t nfiles, cap;
	uint64_t unsized, dirs, problems;
} ck;

/* Whether two extents (or strips: each one range) share a byte. */
static bool ranges_meet(const struct bpfam_extent *a,
			const struct bpfam_extent *b)
{
	return a->dev == b->dev && a->dev_off < b->dev_off + b->len &&
	       b->dev_off < a->dev_off + a->len;
}

/* The file checked before whose extents meet @e (log player: EEXIST). */
static const struct file *owner_of(const struct bpfam_extent *e)
{
	size_t f;
	uint32_t i;

	for (f = 0; f < ck.nfiles; f++)
		for (i = 0; i < ck.files[f].m->nr; i++)
			if (ranges_meet(&ck.files[f].m->ext[i], e))
				return &ck.files[f];
	return NULL;
}

static int keep(const char *path, const struct bpfam_fmap *m)
{
	size_t n = BPFAM_FMAP_BYTES(m->nr);
	struct file *f;

	if (ck.nfiles == ck.cap) {
		ck.cap = ck.cap ? 2 * ck.cap : 64;
		f = realloc(ck.files, ck.cap * sizeof(*f));
		if (!f)
			return -1;
		ck.files = f;
	}
	f = &ck.files[ck.nfiles];
	f->path = strdup(path);
	f->m = malloc(n);
	if (!f->path || !f->m) {
		free(f->path);
		free(f->m);
		return -1;
	}
	memcpy(f->m, m, n);
	ck.nfiles++;
	return 0;
}

/* Reserve @m's extents as the log player would; say what stops it. */
static void place(const char *path, const struct bpfam_fmap *m)
{
	const struct bpfam_extent *e;
	const struct file *other;
	uint32_t i, bad = 0;
	int rc;

	for (i = 0; i < m->nr; i++) {
		if (m->ext[i].dev) {
			cmd_error(NAME,
				  "%s: extent %" PRIu32 " is on device %" PRIu32
				  ", the filesystem has one",
				  path, i, m->ext[i].dev);
			ck.problems++;
			return;
		}
	}
	rc = bpfam_alloc_reserve_fmap(&ck.alloc, m, &bad);
	e = &m->ext[bad];
	if (rc == -ERANGE) {
		cmd_error(NAME,
			  "%s: extent %" PRIu32
			  " (device offset 0x%llx, length "
			  "0x%llx) is outside the data area [0x%" PRIx64
			  ", 0x%" PRIx64 ")",
			  path, bad, e->dev_off, e->len, ck.alloc.base,
			  (uint64_t)(ck.alloc.base +
				     ck.alloc.nunits * BPFAM_ALLOC_UNIT));
		ck.problems++;
		return;
	}
	if (rc == -EEXIST) {
		other = owner_of(e);
		if (other)
			cmd_error(NAME,
				  "%s and %s overlap (device offset 0x%llx, "
				  "length 0x%llx)",
				  other->path, path, e->dev_off, e->len);
		else
			cmd_error(NAME,
				  "%s: two of its extents overlap (device "
				  "offset 0x%llx, length 0x%llx)",
				  path, e->dev_off, e->len);
		ck.problems++;
		return;
	}
	if (rc) {
		cmd_error(NAME, "%s: %s", path, errno_str(-rc));
		ck.problems++;
		return;
	}
	if (keep(path, m)) {
		cmd_error(NAME, "%s: %s", path, errno_str(ENOMEM));
		ck.problems++;
	}
}

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	struct bpfam_fmap m;
	int rc;

	(void)ftw;
	if (type == FTW_D) {
		ck.dirs++;
		return 0;
	}
	if (type == FTW_DNR || type == FTW_NS) {
		cmd_error(NAME, "%s: cannot read it", path);
		ck.problems++;
		return 0;
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	rc = get_fmap(NAME, path, &m);
	if (rc == -ENODATA) {
		ck.unsized++;
		return 0;
	}
	if (rc) {
		ck.problems++; /* get_fmap said what */
		return 0;
	}
	place(path, &m);
	return 0;
}

static void release(void)
{
	size_t f;

	for (f = 0; f < ck.nfiles; f++) {
		free(ck.files[f].path);
		free(ck.files[f].m);
	}
	free(ck.files);
	bpfam_alloc_destroy(&ck.alloc);
}

/* The data area of the device the mount at @mnt serves. */
static int data_area(const char *mnt)
{
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	bool fenced;

	if (offline_open_sb(NAME, mnt, BPFAM_OPEN_RDONLY, &dev, &sb, &fenced))
		return -1;
	bpfam_device_close(&dev);
	if (bpfam_alloc_init(&ck.alloc, sb.data_off, sb.devs[0].size)) {
		cmd_error(NAME, "%s: %s", mnt, errno_str(ENOMEM));
		return -1;
	}
	return 0;
}

static int check(const char *path)
{
	struct bpfam_mountinfo mi;
	char mnt[PATH_MAX], used[32];

	if (bpfam_mount_of(NAME, path, mnt, &mi) || data_area(mnt))
		return EXIT_FAIL;
	/* FTW_MOUNT: a filesystem mounted inside is not this bpfam. */
	if (nftw(mnt, visit, 32, FTW_PHYS | FTW_MOUNT)) {
		cmd_error(NAME, "%s: walking it: %s", mnt, errno_str(errno));
		ck.problems++;
	}
	if (ck.problems) {
		cmd_error(NAME, "%s: %" PRIu64 " problem%s", mnt, ck.problems,
			  ck.problems == 1 ? "" : "s");
		release();
		return EXIT_FAIL;
	}
	printf("%s: %zu files with extents, %" PRIu64 " unsized, %" PRIu64
	       " directories: every extent inside %s, none overlapping (%s "
	       "used)\n",
	       mnt, ck.nfiles, ck.unsized, ck.dirs, mi.source,
	       bpfam_fmt_size((ck.alloc.nunits - ck.alloc.nfree) *
				      BPFAM_ALLOC_UNIT,
			      used));
	release();
	return EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return cmd_help(NAME);
		return option_error(NAME, c, argv);
	}
	if (optind != argc - 1)
		return cmd_usage_error(NAME, "need exactly one MOUNTPOINT");
	return check(argv[optind]);
}
