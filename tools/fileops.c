// SPDX-License-Identifier: GPL-2.0
/* Helpers of the commands that work through a mount: see fileops.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/magic.h>

#include "bpfam/fmap.h"
#include "bpfam/resolve.h"
#include "cmd.h"
#include "fileops.h"
#include "mountinfo.h"
#include "units.h"

const char *errno_str(int err)
{
	static char buf[128];
	const char *name = strerrorname_np(err);

	if (name)
		snprintf(buf, sizeof(buf), "%s (%s)", strerror(err), name);
	else
		snprintf(buf, sizeof(buf), "%s", strerror(err));
	return buf;
}

int option_error(const char *cmd, int c, char **argv)
{
	char shortopt[3] = {'-', (char)optopt, '\0'};
	/* optopt names a bad short option; a long one is the last argument. */
	const char *opt =
		optopt > 0 && optopt < 0x80 ? shortopt : argv[optind - 1];

	if (c == ':')
		return cmd_usage_error(cmd, "option '%s' needs a value", opt);
	return cmd_usage_error(cmd, "unknown option '%s'", opt);
}

int layout_option(const char *cmd, int opt, const char *arg, struct layout *l)
{
	char *end;
	unsigned long n;

	if (opt == LAYOUT_OPT_CHUNK)
		return cmd_parse_size(cmd, "--chunk", arg, &l->chunk);
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > BPFAM_MAX_STRIPS) {
		cmd_usage_error(cmd, "--interleave '%s': need 1 to %d strips",
				arg, BPFAM_MAX_STRIPS);
		return -1;
	}
	l->strips = n;
	return 0;
}

int layout_finish(const char *cmd, struct layout *l)
{
	char min[32], max[32];

	if (!l->strips) {
		if (l->chunk) {
			cmd_usage_error(cmd, "--chunk needs --interleave");
			return -1;
		}
		return 0;
	}
	if (!l->chunk)
		l->chunk = BPFAM_MIN_CHUNK;
	if (l->chunk < BPFAM_MIN_CHUNK || l->chunk > BPFAM_MAX_CHUNK ||
	    l->chunk % BPFAM_ALLOC_UNIT) {
		cmd_usage_error(
			cmd,
			"--chunk: must be a multiple of 2 MiB from %s to %s",
			bpfam_fmt_size(BPFAM_MIN_CHUNK, min),
			bpfam_fmt_size(BPFAM_MAX_CHUNK, max));
		return -1;
	}
	return 0;
}

/*
 * A step after the create failed: say so, and remove the file, so that no
 * half-made file is left behind; if even that fails, say what is left.
 */
static void create_failed(const char *cmd, const char *path, int err,
			  const char *step)
{
	if (unlink(path) == 0) {
		cmd_error(cmd, "%s: %s while %s (removed the new file)", path,
			  errno_str(err), step);
		return;
	}
	cmd_error(cmd,
		  "%s: %s while %s; the file is left existing, empty and "
		  "unsized (cannot remove it: %s)",
		  path, errno_str(err), step, strerror(errno));
}

int create_sized(const char *cmd, const char *path, mode_t mode, uint64_t size,
		 const struct layout *l)
{
	char step[128], sz[32];
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		cmd_error(cmd, "%s: %s", path, errno_str(errno));
		return -1;
	}
	if (l->strips) {
		char val[64];

		snprintf(val, sizeof(val), "strips=%" PRIu32 ",chunk=%" PRIu64,
			 l->strips, l->chunk);
		if (fsetxattr(fd, BPFAM_XATTR_LAYOUT, val, strlen(val), 0)) {
			err = errno;
			snprintf(step, sizeof(step), "setting layout %s", val);
			goto fail;
		}
	}
	if (fallocate(fd, 0, 0, size)) {
		err = errno;
		snprintf(step, sizeof(step), "setting size %s",
			 bpfam_fmt_size(size, sz));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	create_failed(cmd, path, err, step);
	return -1;
}

int get_xattr(const char *path, const char *name, char **val, size_t *len)
{
	ssize_t n, got;
	char *buf;

	/* The value may grow between the two calls: retry on ERANGE. */
	for (;;) {
		n = getxattr(path, name, NULL, 0);
		if (n < 0)
			return -errno;
		buf = malloc(n + 1);
		if (!buf)
			return -ENOMEM;
		/* A size of 0 would ask for the length again. */
		got = n ? getxattr(path, name, buf, n) : 0;
		if (got >= 0)
			break;
		free(buf);
		if (errno != ERANGE)
			return -errno;
	}
	buf[got] = '\0';
	*val = buf;
	*len = got;
	return 0;
}

int io_full(int fd, void *buf, size_t len, uint64_t off, bool wr, uint64_t *at)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? pwrite(fd, (char *)buf + done, len - done,
				off + done) :
			 pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*at = off + done;
			return n ? errno : -1;
		}
		done += n;
	}
	return 0;
}

void io_error(const char *cmd, const char *path, int err, bool wr, uint64_t at)
{
	cmd_error(cmd, "%s: %s while %s at offset %" PRIu64, path,
		  err > 0 ? errno_str(err) :
		  wr	  ? "wrote nothing" :
			    "file shrank",
		  wr ? "writing" : "reading", at);
}

size_t first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < len && x[i] == y[i]; i++)
		;
	return i;
}

#define EXT_OFF BPFAM_FMAP_BYTES(0)

/*
 * Copy the xattr value into @m if it is an fmap this tool understands.  The
 * daemon on the other end is trusted no more than the kernel trusts it:
 * the fmap must pass the fast path's own validator, or a walk over its
 * chunks could loop for ever.
 */
static int parse_fmap(const char *cmd, const char *path, const char *val,
		      size_t len, struct bpfam_fmap *m)
{
	memset(m, 0, sizeof(*m));
	if (len < EXT_OFF) {
		cmd_error(cmd, "%s: fmap of %zu bytes is too short", path, len);
		return -1;
	}
	memcpy(m, val, EXT_OFF);
	if (m->version != BPFAM_FMAP_VERSION) {
		cmd_error(cmd,
			  "%s: fmap version %" PRIu32 ", this bpfam knows %d",
			  path, m->version, BPFAM_FMAP_VERSION);
		return -1;
	}
	if (!bpfam_hdr_ok(m->version, m->kind, m->flags, m->nr, m->chunk) ||
	    !m->nr) {
		cmd_error(cmd,
			  "%s: bad fmap: kind %" PRIu32 ", %" PRIu32
			  " extents, chunk %llu",
			  path, m->kind, m->nr, m->chunk);
		return -1;
	}
	if (len != BPFAM_FMAP_BYTES(m->nr)) {
		cmd_error(cmd,
			  "%s: fmap of %zu bytes does not hold exactly its "
			  "%" PRIu32 " extents",
			  path, len, m->nr);
		return -1;
	}
	memcpy(m->ext, val + EXT_OFF, m->nr * sizeof(m->ext[0]));
	if (bpfam_fmap_check(m, m->size)) {
		cmd_error(cmd,
			  "%s: bad fmap: its extents do not describe its %llu "
			  "bytes (zero, unaligned or too short)",
			  path, m->size);
		return -1;
	}
	return 0;
}

int get_fmap(const char *cmd, const char *path, struct bpfam_fmap *m)
{
	size_t len;
	char *val;
	int err;

	err = get_xattr(path, BPFAM_XATTR_FMAP, &val, &len);
	if (err == -ENODATA)
		return err;
	if (err) {
		cmd_error(cmd, "%s: %s", path, errno_str(-err));
		return -EINVAL;
	}
	err = parse_fmap(cmd, path, val, len, m);
	free(val);
	return err ? -EINVAL : 0;
}

/* Cut @path ("/a/b") to its parent ("/a"); false at the root. */
static bool up(char *path)
{
	char *slash = strrchr(path, '/');

	if (!slash || !strcmp(path, "/"))
		return false;
	if (slash == path)
		slash[1] = '\0';
	else
		*slash = '\0';
	return true;
}

/*
 * @path resolved into @abs, or, while it does not exist (a file or
 * directories about to be made), its nearest ancestor that does.
 */
static int resolve_existing(const char *cmd, const char *path, char *abs)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		cmd_error(cmd, "%s: %s", path, errno_str(ENAMETOOLONG));
		return -1;
	}
	while (!realpath(tmp, abs)) {
		if (errno != ENOENT) {
			cmd_error(cmd, "%s: %s", path, errno_str(errno));
			return -1;
		}
		if (!strchr(tmp, '/'))
			strcpy(tmp, ".");
		else if (!up(tmp))
			return -1; /* "/" exists: not reached */
	}
	return 0;
}

int bpfam_mount_of(const char *cmd, const char *path, char *mnt,
		   struct bpfam_mountinfo *m)
{
	struct statfs sfs;
	int rc;

	if (resolve_existing(cmd, path, mnt))
		return -1;
	if (statfs(mnt, &sfs)) {
		cmd_error(cmd, "%s: %s", path, errno_str(errno));
		return -1;
	}
	/* A path's mount is the longest mount point that prefixes it. */
	while ((rc = bpfam_mountinfo_at(mnt, m)) == -ENOENT && up(mnt))
		;
	if (rc) {
		cmd_error(cmd, "%s: cannot find its mount: %s", path,
			  errno_str(-rc));
		return -1;
	}
	/* statfs as well: mountinfo may not show this namespace's truth. */
	if (strcmp(m->fstype, BPFAM_FSTYPE) || sfs.f_type != FUSE_SUPER_MAGIC) {
		cmd_error(cmd,
			  "%s: not on a mounted bpfam (it is on the %s mount "
			  "at %s)",
			  path, m->fstype, mnt);
		return -1;
	}
	return 0;
}

int require_bpfam(const char *cmd, const char *path)
{
	struct bpfam_mountinfo m;
	char mnt[PATH_MAX];

	return bpfam_mount_of(cmd, path, mnt, &m);
}

int device_of_file(const char *cmd, const char *path, char *dev, size_t size)
{
	struct bpfam_mountinfo m;
	char mnt[PATH_MAX];

	if (bpfam_mount_of(cmd, path, mnt, &m))
		return -1;
	/* Relative to the daemon's directory, which we do not know. */
	if (m.source[0] != '/') {
		cmd_error(cmd,
			  "%s: the bpfamd at %s was given the relative device "
			  "path '%s'; remount it with an absolute one",
			  path, mnt, m.source);
		return -1;
	}
	snprintf(dev, size, "%s", m.source);
	return 0;
}
