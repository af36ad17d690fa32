// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam mkdir: make directories on a mounted bpfam.  Plain mkdir(2), here so
 * that scripts driving a bpfam need only the one tool and get its errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "fileops.h"

/*
 * mkdir(2) that, with @parents, accepts an existing directory.  Linux's
 * mkdir(2) drops the set-id bits of @mode: a setgid directory (2775, so
 * that what is made in it keeps its group) needs a chmod after, as
 * mkdir(1) does.
 */
static int make_one(const char *path, mode_t mode, bool parents)
{
	struct stat st;

	if (!mkdir(path, mode & 01777)) {
		if (!(mode & 06000) || !chmod(path, mode))
			return 0;
		cmd_error("mkdir", "%s: made, but setting mode %04o: %s", path,
			  (unsigned)mode, errno_str(errno));
		return -1;
	}
	if (errno == EEXIST && parents && !stat(path, &st) &&
	    S_ISDIR(st.st_mode))
		return 0;
	cmd_error("mkdir", "%s: %s", path, errno_str(errno));
	return -1;
}

/* Every missing ancestor of @path, with @mode. */
static int make_parents(const char *path, mode_t mode)
{
	char *p = strdup(path), *s;
	int ret = 0;

	if (!p) {
		cmd_error("mkdir", "%s: %s", path, errno_str(ENOMEM));
		return -1;
	}
	for (s = p + 1; *s && !ret; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		ret = make_one(p, mode, true);
		*s = '/';
	}
	free(p);
	return ret;
}

static int parse_mode(const char *arg, mode_t *mode)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(arg, &end, 8);
	if (errno || end == arg || *end || m > 07777)
		return cmd_usage_error(
			"mkdir", "--mode '%s': need an octal mode, 0 to 7777",
			arg);
	*mode = m;
	return 0;
}

int cmd_mkdir(int argc, char **argv)
{
	static const struct option opts[] = {
		{"parents", no_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool parents = false, explicit_mode = false;
	mode_t mode = 0, mask, parent_mode;
	int c, i, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			parents = true;
			break;
		case 'm':
			if (parse_mode(optarg, &mode))
				return EXIT_USAGE;
			explicit_mode = true;
			break;
		case 'h':
			return cmd_help("mkdir");
		default:
			return option_error("mkdir", c, argv);
		}
	}
	if (optind == argc)
		return cmd_usage_error("mkdir", "need a DIR");
	/*
	 * As mkdir(1): -m is the mode itself, not umasked; parents get the
	 * umasked default plus u+wx, so that their children can be made.
	 */
	mask = umask(0);
	parent_mode = (0777 & ~mask) | 0300;
	if (!explicit_mode)
		mode = 0777 & ~mask;
	for (i = optind; i < argc; i++) {
		if (require_bpfam("mkdir", argv[i])) {
			ret = EXIT_FAIL;
			continue;
		}
		if ((parents && make_parents(argv[i], parent_mode)) ||
		    make_one(argv[i], mode, parents))
			ret = EXIT_FAIL;
	}
	return ret;
}
