// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam mkfs: format a device, refusing one that holds anything
 * recognizable unless --force (famfs users lost data to a silent mkfs).
 * Over a bpfam, --force first fences it and waits for its live hosts to
 * let go (docs/sharing.md), so that no host writes into the new one.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <blkid/blkid.h>
#include <uuid/uuid.h>

#include "cmd.h"
#include "host.h"
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

/* How long a local bpfamd may take to close the device after its ack. */
#define RELEASE_MS 2000

struct mkfs_opts {
	bool force;
	uint64_t log_size; /* 0: the default for the device */
	bool primary_given;
	uint8_t primary_id[16];
	uint32_t fence_timeout_ms;
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

static int parse_host_id(const char *arg, struct mkfs_opts *o)
{
	if (bpfam_host_id_parse(arg, o->primary_id))
		return cmd_usage_error(NAME,
				       "--host-id '%s': not a host id (32 hex digits, dashes allowed: a UUID or a machine-id)",
				       arg);
	o->primary_given = true;
	return EXIT_OK;
}

static int parse_timeout(const char *arg, struct mkfs_opts *o)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !(s >= 0 && s <= 86400))
		return cmd_usage_error(NAME,
				       "--fence-timeout '%s': not a number of seconds from 0 to 86400",
				       arg);
	o->fence_timeout_ms = (uint32_t)(s * 1000);
	return EXIT_OK;
}

/* EXIT_OK to go on, or the status to exit with now (--help, usage). */
static int parse(int argc, char **argv, struct mkfs_opts *o, bool *help)
{
	enum { OPT_FENCE_TIMEOUT = 0x100 };
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"log-size", required_argument, NULL, 'l'},
		{"host-id", required_argument, NULL, 'i'},
		{"fence-timeout", required_argument, NULL, OPT_FENCE_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->fence_timeout_ms = 10000;
	*help = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fl:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'i':
			rc = parse_host_id(optarg, o);
			if (rc)
				return rc;
			break;
		case OPT_FENCE_TIMEOUT:
			rc = parse_timeout(optarg, o);
			if (rc)
				return rc;
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

/* "; mounted by host 'a' (...), host 'b' (...)": the live hosts of @h. */
static void live_list(const struct bpfam_hosts *h, char *out, size_t n)
{
	char desc[BPFAM_SLOT_DESC_MAX];
	const char *sep = "; mounted by ";
	size_t len = 0;
	uint32_t k;

	out[0] = '\0';
	for (k = 0; k < h->n && len < n; k++) {
		if (!h->live[k])
			continue;
		len += snprintf(out + len, n - len, "%s%s", sep,
				bpfam_slot_describe(&h->slot[k], desc));
		sep = ", ";
	}
}

static int refuse(const struct bpfam_device *dev, const char *what)
{
	struct bpfam_hosts *h = calloc(1, sizeof(*h));
	char live[1024] = "";

	if (h) {
		bpfam_mkfs_hosts(dev, h);
		live_list(h, live, sizeof(live));
		free(h);
	}
	cmd_error(NAME, "%s: holds %s (use --force to overwrite it)%s",
		  dev->path, what, live);
	return EXIT_FAIL;
}

/* Who was waited for, and what becomes of the hosts that were not. */
static void report(const char *path, const struct bpfam_hosts *h, int rc)
{
	char desc[BPFAM_SLOT_DESC_MAX];
	uint32_t k, live = 0;

	for (k = 0; k < h->n; k++) {
		live += h->live[k];
		if (h->live[k] || h->slot[k].state == BPFAM_HOST_FENCED)
			continue;
		cmd_error(NAME,
			  "%s is not heartbeating; it will fence itself if it ever comes back",
			  bpfam_slot_describe(&h->slot[k], desc));
	}
	if (live && rc > 0)
		cmd_error(NAME, "%s: fenced; %u live host%s acknowledged", path,
			  live, live == 1 ? "" : "s");
}

static int fence(struct bpfam_device *dev, const struct mkfs_opts *o,
		 struct bpfam_err *err)
{
	struct bpfam_hosts *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return bpfam_err(err, ENOMEM, "%s: out of memory", dev->path);
	rc = bpfam_mkfs_fence(dev, o->fence_timeout_ms, h, err);
	report(dev->path, h, rc);
	free(h);
	return rc;
}

/* What bpfam_mkfs() would refuse, refused before anything is fenced. */
static int check_fits(const struct bpfam_device *dev,
		      const struct mkfs_opts *o, struct bpfam_err *err)
{
	uint64_t log = o->log_size ? o->log_size :
				     bpfam_sb_default_log_size(dev->size);
	struct bpfam_sb_info sb;

	return bpfam_sb_init(&sb, dev, log, err);
}

/*
 * Look at what the device holds, refuse it or fence it (--force), and
 * close it.  EXIT_OK to format, or the status to exit with.
 */
static int inspect(const struct mkfs_opts *o, bool *fenced)
{
	struct bpfam_device dev;
	struct bpfam_err err;
	char what[640];
	int rc;

	*fenced = false;
	rc = bpfam_device_open(&dev, o->device, BPFAM_OPEN_RDWR, &err);
	/* What is there is read through a mapping of the whole device. */
	if (!rc)
		rc = bpfam_device_refuse_lent(&dev, &err);
	if (!rc)
		rc = check_fits(&dev, o, &err);
	if (rc)
		goto fail;
	rc = existing(&dev, what, sizeof(what), &err);
	if (rc)
		goto fail;
	if (what[0] && !o->force) {
		rc = refuse(&dev, what);
		bpfam_device_close(&dev);
		return rc;
	}
	if (what[0]) {
		cmd_error(NAME, "%s: overwriting %s (--force)", dev.path, what);
		rc = fence(&dev, o, &err);
		if (rc < 0)
			goto fail;
		*fenced = rc;
	}
	bpfam_device_close(&dev);
	return EXIT_OK;
fail:
	cmd_error(NAME, "%s", err.msg);
	bpfam_device_close(&dev);
	return EXIT_FAIL;
}

static int format(const struct mkfs_opts *o)
{
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;
	bool fenced;
	int rc;

	rc = inspect(o, &fenced);
	if (rc)
		return rc;
	/* A local bpfamd closes the device a moment after its ack. */
	rc = bpfam_mkfs_open(&dev, o->device, fenced ? RELEASE_MS : 0, &err);
	if (rc == -EBUSY && fenced) {
		cmd_error(NAME,
			  "%s; the device stays fenced and unformatted: run 'bpfam mkfs --force %s' again once it is free",
			  err.msg, o->device);
		return EXIT_FAIL;
	}
	if (rc) {
		cmd_error(NAME, "%s", err.msg);
		return EXIT_FAIL;
	}
	rc = bpfam_mkfs(&dev, o->log_size,
			o->primary_given ? o->primary_id : NULL, &sb, &err);
	if (rc) {
		cmd_error(NAME, "%s", err.msg);
		bpfam_device_close(&dev);
		return EXIT_FAIL;
	}
	print_summary(&dev, &sb);
	bpfam_device_close(&dev);
	return EXIT_OK;
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
