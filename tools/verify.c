// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam verify: check that a file holds the stream bpfam creat --random
 * --seed wrote into it.  Run on another host, it shows that the bytes one
 * host wrote are the bytes the other reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "fileops.h"
#include "pattern.h"

static int verify(const char *path, uint64_t seed)
{
	struct stat st;
	int fd, ret = EXIT_FAIL;

	if (require_bpfam("verify", path))
		return EXIT_FAIL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cmd_error("verify", "%s: %s", path, errno_str(errno));
		return EXIT_FAIL;
	}
	if (fstat(fd, &st)) {
		cmd_error("verify", "%s: %s", path, errno_str(errno));
	} else if (!S_ISREG(st.st_mode)) {
		cmd_error("verify", "%s: not a regular file", path);
	} else if (!st.st_size) {
		cmd_error("verify", "%s: nothing to verify: it is empty", path);
	} else if (!pattern_verify("verify", fd, path, seed, st.st_size)) {
		ret = EXIT_OK;
	}
	close(fd);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t seed = 0;
	bool seeded = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (pattern_parse_seed("verify", optarg, &seed))
				return EXIT_USAGE;
			seeded = true;
			break;
		case 'h':
			return cmd_help("verify");
		default:
			return option_error("verify", c, argv);
		}
	}
	if (!seeded)
		return cmd_usage_error("verify", "need --seed");
	if (optind != argc - 1)
		return cmd_usage_error("verify", "need exactly one FILE");
	return verify(argv[optind], seed);
}
