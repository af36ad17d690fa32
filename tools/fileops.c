// SPDX-License-Identifier: GPL-2.0
/* Helpers of the commands that work through a mount: see fileops.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bpfam/fmap.h"
#include "cmd.h"
#include "fileops.h"
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
 * A step after the create failed: say so, and remove the file if the
 * daemon can; bpfam v1 cannot, so say what is left behind.
 */
static void create_failed(const char *cmd, const char *path, int err,
			  const char *step)
{
	if (unlink(path) == 0) {
		cmd_error(cmd, "%s: %s while %s (removed the new file)", path,
			  errno_str(err), step);
		return;
	}
	cmd_error(
		cmd,
		"%s: %s while %s; the file is left existing, empty and unsized "
		"(this bpfam cannot remove files: %s)",
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
