// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam mkfs: format a device, refusing one that holds anything
 * recognizable unless --force (famfs users lost data to a silent mkfs).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <blkid/blkid.h>
#include <uuid/uuid.h>

#include "cmd.h"
#include "mkfs.h"
#include "offline.h"
#include "record.h"
#include "units.h"

#define NAME "mkfs"

/*
 * libblkid finds signatures in the first few MiB (LUKS2 keeps copies up to
 * 4 MiB) and in the last MiB (md, GPT backup, ZFS labels).
 */
#define PROBE_HEAD (8ULL << 20)
#define PROBE_TAIL (1ULL << 20)

struct mkfs_opts {
	bool force;
	uint64_t log_size; /* 0: the default for the device */
	const char *device;
};

static int check_log_size(const char *arg, uint64_t size)
{
	if (size < BPFAM_MIN_LOG || size > BPFAM_MAX_LOG ||
	    size % BPFAM_ALLOC_UNIT)
		return cmd_usage_error(NAME,
				       "--log-size %s: must be a multiple of 2 "
				       "MiB from 2 MiB to 1 TiB",
				       arg);
	return EXIT_OK;
}

/* EXIT_OK to go on, or the status to exit with now (--help, usage). */
static int parse(int argc, char **argv, struct mkfs_opts *o, bool *help)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"log-size", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	*help = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fl:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'l':
			if (cmd_parse_size(NAME, "--log-size", optarg,
					   &o->log_size))
				return EXIT_USAGE;
			rc = check_log_size(optarg, o->log_size);
			if (rc)
				return rc;
			break;
		case 'h':
			*help = true;
			return EXIT_OK;
		default:
			return offline_bad_option(NAME, c, argv);
		}
	}
	return offline_device_arg(NAME, argc, argv, &o->device);
}

static int copy_range(int fd, const struct bpfam_device *dev, uint64_t off,
		      uint64_t len)
{
	const uint8_t *p = dev->base + off;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0)
			return -errno;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * A sparse memory file the size of @dev holding its head and tail.  libblkid
 * reads with pread(), which a devdax device does not support: probing this
 * copy of the mapping works for devices and files alike.
 */
static int probe_copy(const struct bpfam_device *dev, struct bpfam_err *err)
{
	uint64_t head = dev->size < PROBE_HEAD ? dev->size : PROBE_HEAD;
	uint64_t tail =
		dev->size - head < PROBE_TAIL ? dev->size - head : PROBE_TAIL;
	int fd, rc;

	fd = memfd_create("bpfam-mkfs-probe", MFD_CLOEXEC);
	if (fd < 0)
		return bpfam_err(err, errno,
				 "%s: cannot make a copy to probe for "
				 "filesystem signatures: %s",
				 dev->path, strerror(errno));
	rc = ftruncate(fd, (off_t)dev->size) ? -errno : 0;
	if (!rc)
		rc = copy_range(fd, dev, 0, head);
	if (!rc)
		rc = copy_range(fd, dev, dev->size - tail, tail);
	if (rc) {
		close(fd);
		return bpfam_err(err, -rc,
				 "%s: cannot make a copy to probe for "
				 "filesystem signatures: %s",
				 dev->path, strerror(-rc));
	}
	return fd;
}

static const char *usage_noun(const char *usage)
{
	if (!usage || !strcmp(usage, "filesystem"))
		return "filesystem";
	if (!strcmp(usage, "raid"))
		return "RAID member";
	if (!strcmp(usage, "crypto"))
		return "encrypted volume";
	return "signature";
}

/* Name what libblkid found after a successful probe. */
static void describe_found(blkid_probe pr, char *what, size_t n)
{
	const char *type = NULL, *usage = NULL;

	if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
		blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
		snprintf(what, n, "an existing %s %s", type, usage_noun(usage));
	} else if (!blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL)) {
		snprintf(what, n, "an existing %s partition table", type);
	} else {
		snprintf(what, n, "an existing signature of unknown type");
	}
}

/* Another filesystem, partition table, RAID member...: @what names it. */
static int probe_others(const struct bpfam_device *dev, char *what, size_t n,
			struct bpfam_err *err)
{
	blkid_probe pr;
	int fd, rc;

	fd = probe_copy(dev, err);
	if (fd < 0)
		return fd;
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)dev->size)) {
		rc = bpfam_err(err, ENOMEM,
			       "%s: cannot set up libblkid to probe for "
			       "filesystem signatures",
			       dev->path);
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
						      BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	rc = blkid_do_safeprobe(pr);
	if (rc == 0)
		describe_found(pr, what, n);
	else if (rc == -2) {
		snprintf(what, n, "several conflicting filesystem signatures");
		rc = 0;
	}
	else if (rc < 0)
		rc = bpfam_err(err, EIO,
			       "%s: libblkid could not probe for filesystem "
			       "signatures",
			       dev->path);
	else
		rc = 0;
out:
	blkid_free_probe(pr);
	close(fd);
	return rc;
}

/*
 * What formatting @dev would destroy, in @what ("" when nothing is
 * recognizable).  A damaged bpfam counts: its files may still be wanted.
 */
static int existing(const struct bpfam_device *dev, char *what, size_t n,
		    struct bpfam_err *err)
{
	struct bpfam_sb_info sb;
	struct bpfam_err why;
	char uuid[37], when[32];
	int rc;

	what[0] = '\0';
	rc = bpfam_sb_read(dev, &sb, &why);
	if (rc == -ENODATA)
		return probe_others(dev, what, n, err);
	if (rc) {
		snprintf(what, n, "an existing bpfam filesystem, damaged (%s)",
			 offline_strip_path(why.msg, dev->path));
		return 0;
	}
	uuid_unparse(sb.uuid, uuid);
	snprintf(what, n,
		 "an existing bpfam filesystem (UUID %s, made %s on host %s)",
		 uuid, offline_fmt_time(sb.ctime, when), sb.primary_name);
	return 0;
}

/* Log bytes one file costs: a mknod with a 16-byte name and an fmap. */
static uint64_t file_log_bytes(void)
{
	struct bpfam_record r = {.type = BPFAM_REC_MKNOD};
	uint64_t n;

	r.mknod.name_len = 16;
	n = bpfam_record_size(&r);
	r.type = BPFAM_REC_FMAP;
	r.fmap.map.nr = 1;
	return n + bpfam_record_size(&r);
}

static void print_summary(const struct bpfam_device *dev,
			  const struct bpfam_sb_info *sb)
{
	uint64_t files = sb->log_size / file_log_bytes();
	char a[32], b[32];

	printf("%s: made a bpfam filesystem\n", dev->path);
	offline_print_identity(stdout, sb);
	offline_print_field(
		stdout, "log",
		"%s at offset %llu: room for about %llu files (%llu records)",
		bpfam_fmt_size(sb->log_size, a),
		(unsigned long long)sb->log_off, (unsigned long long)files,
		(unsigned long long)(2 * files));
	offline_print_field(stdout, "data", "%s at offset %llu",
			    bpfam_fmt_size(dev->size - sb->data_off, b),
			    (unsigned long long)sb->data_off);
}

static int format(const struct mkfs_opts *o)
{
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;
	char what[640];
	int rc;

	rc = bpfam_device_open(&dev, o->device, BPFAM_OPEN_WRITER, &err);
	if (rc) {
		cmd_error(NAME, "%s", err.msg);
		return EXIT_FAIL;
	}
	rc = existing(&dev, what, sizeof(what), &err);
	if (rc)
		goto fail;
	if (what[0] && !o->force) {
		cmd_error(NAME, "%s: holds %s (use --force to overwrite it)",
			  dev.path, what);
		bpfam_device_close(&dev);
		return EXIT_FAIL;
	}
	if (what[0])
		cmd_error(NAME, "%s: overwriting %s (--force)", dev.path, what);
	rc = bpfam_mkfs(&dev, o->log_size, &sb, &err);
	if (rc)
		goto fail;
	print_summary(&dev, &sb);
	bpfam_device_close(&dev);
	return EXIT_OK;
fail:
	cmd_error(NAME, "%s", err.msg);
	bpfam_device_close(&dev);
	return EXIT_FAIL;
}

int cmd_mkfs(int argc, char **argv)
{
	struct mkfs_opts o;
	bool help;
	int rc;

	rc = parse(argc, argv, &o, &help);
	if (rc)
		return rc;
	if (help)
		return cmd_help(NAME);
	return format(&o);
}
