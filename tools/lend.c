// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam lend: show or change what of a device-dax is lent to the kernel
 * (lib/lend.h).  bpfamd lends the data range itself in fast mode and gives
 * it back at unmount; this is for a person: to see it, and to give back
 * what a bpfamd killed with SIGKILL left lent, as `daxctl
 * reconfigure-device` switches a device's mode.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "device.h"
#include "lend.h"
#include "offline.h"
#include "sb.h"
#include "units.h"

#define NAME "lend"

enum lend_action { SHOW, GIVE_BACK, LEND };

struct lend_opts {
	enum lend_action action;
	bool from_data; /* --from data: the superblock's data_off */
	uint64_t from;
	const char *device;
};

static int set_action(struct lend_opts *o, enum lend_action a)
{
	if (o->action != SHOW)
		return cmd_usage_error(NAME, "give --none or --from, not both");
	o->action = a;
	return EXIT_OK;
}

static int parse_from(struct lend_opts *o, const char *arg)
{
	if (set_action(o, LEND))
		return EXIT_USAGE;
	if (!strcmp(arg, "data")) {
		o->from_data = true;
		return EXIT_OK;
	}
	return cmd_parse_size(NAME, "--from", arg, &o->from) ? EXIT_USAGE :
							       EXIT_OK;
}

/* EXIT_OK to go on, or the status to exit with now (--help, usage). */
static int parse(int argc, char **argv, struct lend_opts *o, bool *help)
{
	static const struct option opts[] = {
		{"none", no_argument, NULL, 'n'},
		{"from", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	*help = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'f':
			rc = c == 'n' ? set_action(o, GIVE_BACK) :
					parse_from(o, optarg);
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

/* --from data: where bpfamd lends it from, the superblock's data_off. */
static int data_off(const char *path, uint64_t *off)
{
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;
	int rc = bpfam_device_open(&dev, path, BPFAM_OPEN_RDONLY, &err);

	if (!rc) {
		rc = bpfam_sb_read(&dev, &sb, &err);
		bpfam_device_close(&dev);
	}
	/* Lent inside the metadata: the superblock was read all the same. */
	if (rc == -EACCES && dev.lent)
		rc = 0;
	if (rc) {
		cmd_error(NAME, "%s", err.msg);
		return -1;
	}
	*off = sb.data_off;
	return 0;
}

static int show(const struct lend_opts *o, const struct bpfam_lend *l)
{
	char a[32];

	if (l->lent)
		printf("%s: lent to the kernel from %s (%llu bytes on)\n",
		       o->device, bpfam_fmt_size(l->off, a),
		       (unsigned long long)l->off);
	else
		printf("%s: not lent\n", o->device);
	return EXIT_OK;
}

static int run(struct lend_opts *o)
{
	struct bpfam_err err;
	struct bpfam_lend l;
	char name[BPFAM_DAX_NAME_MAX];
	struct stat st;
	int rc;

	if (stat(o->device, &st)) {
		cmd_error(NAME, "%s: %s", o->device, strerror(errno));
		return EXIT_FAIL;
	}
	rc = S_ISCHR(st.st_mode) ?
		     bpfam_lend_name("", o->device, st.st_rdev, name, &err) :
		     -ENODEV;
	if (!rc)
		rc = bpfam_lend_read("", name, &l, &err);
	if (rc == -ENODEV)
		bpfam_err(&err, ENODEV, "%s: not a device-dax character device",
			  o->device);
	if (rc == -ENOENT)
		bpfam_err(&err, EOPNOTSUPP,
			  "%s: this kernel cannot lend device-dax memory (no "
			  "lend attribute; needs the kpatch/ series)",
			  o->device);
	if (rc) {
		cmd_error(NAME, "%s", err.msg);
		return EXIT_FAIL;
	}
	if (o->action == SHOW)
		return show(o, &l);
	if (o->from_data && data_off(o->device, &o->from))
		return EXIT_FAIL;
	/* Nothing to switch: no unbind, which would need the device idle. */
	if (o->action == GIVE_BACK ? !l.lent : l.lent && l.off == o->from)
		return show(o, &l);
	if (bpfam_lend_set("", o->device, name, o->action == LEND, o->from,
			   &err)) {
		cmd_error(NAME, "%s", err.msg);
		return EXIT_FAIL;
	}
	l.lent = o->action == LEND;
	l.off = o->from;
	return show(o, &l);
}

int cmd_lend(int argc, char **argv)
{
	struct lend_opts o;
	bool help;
	int rc = parse(argc, argv, &o, &help);

	if (help)
		return cmd_help(NAME);
	if (rc)
		return rc;
	return run(&o);
}
