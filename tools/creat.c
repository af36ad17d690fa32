// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam creat: make a new file of a given size on a mounted bpfam, its
 * space allocated (and zeroed) in one step: how a file that something else
 * will write in place (fio, an application's mmap) comes to exist, and how
 * an interleaved file, which keeps its size, is made.  With --random it
 * also fills the file with a seeded stream that bpfam verify checks later,
 * on any host.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fileops.h"
#include "pattern.h"

/* A seed nobody gave: from the kernel, and printed so verify can use it. */
static uint64_t new_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	return seed;
}

/* Fill a new file; on failure remove it, as a failed size is removed. */
static int fill_random(int fd, const char *path, uint64_t seed, uint64_t size,
		       bool seeded)
{
	if (pattern_write("creat", fd, path, seed, size)) {
		if (unlink(path))
			cmd_error("creat",
				  "%s: the partly filled file is left in place "
				  "(cannot remove it: %s)",
				  path, errno_str(errno));
		return -1;
	}
	if (!seeded)
		printf("%s: seed %" PRIu64 "\n", path, seed);
	return 0;
}

int cmd_creat(int argc, char **argv)
{
	static const struct option opts[] = {
		{"size", required_argument, NULL, 's'},
		{"random", no_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 'S'},
		LAYOUT_LONG_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct layout l = {0};
	uint64_t size = 0, seed = 0;
	bool random = false, seeded = false;
	int c, fd, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:rS:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cmd_parse_size("creat", "--size", optarg, &size))
				return EXIT_USAGE;
			break;
		case 'r':
			random = true;
			break;
		case 'S':
			if (pattern_parse_seed("creat", optarg, &seed))
				return EXIT_USAGE;
			seeded = true;
			break;
		case LAYOUT_OPT_INTERLEAVE:
		case LAYOUT_OPT_CHUNK:
			if (layout_option("creat", c, optarg, &l))
				return EXIT_USAGE;
			break;
		case 'h':
			return cmd_help("creat");
		default:
			return option_error("creat", c, argv);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("creat", "need exactly one FILE");
	if (!size)
		return cmd_usage_error("creat", "need --size, more than 0");
	if (seeded && !random)
		return cmd_usage_error("creat", "--seed needs --random");
	if (layout_finish("creat", &l))
		return EXIT_USAGE;
	if (require_bpfam("creat", argv[optind]))
		return EXIT_FAIL;
	fd = create_sized("creat", argv[optind], 0644, size, &l);
	if (fd < 0)
		return EXIT_FAIL;
	if (random && !seeded)
		seed = new_seed();
	ret = random && fill_random(fd, argv[optind], seed, size, seeded) ?
		      EXIT_FAIL :
		      EXIT_OK;
	close(fd);
	return ret;
}
