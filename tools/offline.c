// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "cmd.h"
#include "mountinfo.h"
#include "offline.h"
#include "units.h"

int offline_bad_option(const char *name, int c, char **argv)
{
	char opt[3] = {'-', (char)optopt, '\0'};

	/* getopt leaves optopt zero for an unknown long option. */
	if (c == ':')
		return cmd_usage_error(name, "option '%s' needs a value",
				       argv[optind - 1]);
	return cmd_usage_error(name, "unknown option '%s'",
			       optopt ? opt : argv[optind - 1]);
}

int offline_device_arg(const char *name, int argc, char **argv,
		       const char **device)
{
	if (optind >= argc)
		return cmd_usage_error(name, "missing DEVICE");
	if (optind + 1 < argc)
		return cmd_usage_error(name, "unexpected argument '%s'",
				       argv[optind + 1]);
	*device = argv[optind];
	return EXIT_OK;
}

bool offline_json_args(const char *name, int argc, char **argv, bool *json,
		       const char **device, int *status)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*json = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			*status = cmd_help(name);
			return false;
		default:
			*status = offline_bad_option(name, c, argv);
			return false;
		}
	}
	*status = offline_device_arg(name, argc, argv, device);
	return *status == EXIT_OK;
}

/*
 * The mount at @arg.  Looked up by name first: a stat() of the mount point
 * of a daemon that is stopped would hang, and one whose daemon died fails
 * (ENOTCONN).  Then with symlinks and dots resolved, if @arg is a
 * directory.  0, or -ENOENT when @arg is no mount point.
 */
static int mount_at(const char *arg, struct bpfam_mountinfo *m)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	struct stat st;
	size_t n;

	abs[0] = '\0';
	if (arg[0] == '/')
		snprintf(abs, sizeof(abs), "%s", arg);
	else if (getcwd(cwd, sizeof(cwd)) &&
		 snprintf(abs, sizeof(abs), "%s/%s", cwd, arg) >=
			 (int)sizeof(abs))
		abs[0] = '\0';
	for (n = strlen(abs); n > 1 && abs[n - 1] == '/'; n--)
		abs[n - 1] = '\0';
	if (abs[0] && !bpfam_mountinfo_at(abs, m))
		return 0;
	if (stat(arg, &st) || !S_ISDIR(st.st_mode) || !realpath(arg, abs))
		return -ENOENT;
	if (!bpfam_mountinfo_at(abs, m))
		return 0;
	return -EISDIR;
}

int offline_device_of(const char *name, const char *arg, char *dev,
		      size_t size)
{
	struct bpfam_mountinfo m;
	int rc = mount_at(arg, &m);

	if (rc == -ENOENT) {
		snprintf(dev, size, "%s", arg);
		return EXIT_OK;
	}
	if (rc) {
		cmd_error(name,
			  "%s: is a directory, not a bpfam mountpoint; give the device or the mountpoint of a bpfamd",
			  arg);
		return EXIT_FAIL;
	}
	if (strcmp(m.fstype, BPFAM_FSTYPE)) {
		cmd_error(name, "%s: is a %s mount, not a bpfam one", arg,
			  m.fstype);
		return EXIT_FAIL;
	}
	/* Relative to the daemon's directory, which we do not know. */
	if (m.source[0] != '/') {
		cmd_error(name,
			  "%s: bpfamd was given the relative device path '%s'; give the device instead",
			  arg, m.source);
		return EXIT_FAIL;
	}
	snprintf(dev, size, "%s", m.source);
	return EXIT_OK;
}

int offline_open_sb(const char *name, const char *arg,
		    enum bpfam_open_mode mode, struct bpfam_device *dev,
		    struct bpfam_sb_info *sb, bool *fenced)
{
	struct bpfam_err err;
	char path[PATH_MAX];

	if (offline_device_of(name, arg, path, sizeof(path)))
		return EXIT_FAIL;
	if (bpfam_device_open(dev, path, mode, &err))
		goto fail;
	if (bpfam_sb_read_fenced(dev, sb, fenced, &err))
		goto fail;
	return EXIT_OK;
fail:
	cmd_error(name, "%s", err.msg);
	bpfam_device_close(dev);
	return EXIT_FAIL;
}

char *offline_fmt_time(uint64_t secs, char *buf)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, 32, "%llu", (unsigned long long)secs);
	return buf;
}

void offline_print_field(FILE *f, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "  %-10s ", name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

void offline_hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

void offline_print_identity(FILE *f, const struct bpfam_sb_info *sb)
{
	char uuid[37], id[33], when[32], size[32];

	uuid_unparse(sb->uuid, uuid);
	offline_hex(sb->primary_id, sizeof(sb->primary_id), id);
	offline_print_field(f, "uuid", "%s", uuid);
	offline_print_field(f, "created", "%s",
			    offline_fmt_time(sb->ctime, when));
	offline_print_field(f, "primary", "%s (machine-id %s)",
			    sb->primary_name, id);
	offline_print_field(f, "device", "%s (%llu bytes)",
			    bpfam_fmt_size(sb->devs[0].size, size),
			    (unsigned long long)sb->devs[0].size);
}

const char *offline_strip_path(const char *msg, const char *path)
{
	size_t n = strlen(path);

	if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
		return msg + n + 2;
	return msg;
}
