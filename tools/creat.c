// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam creat: make a new file of a given size on a mounted bpfam.  A bpfam
 * file's size is set exactly once, and that is when its space is allocated,
 * so this is how a file that something else will write in place (fio, an
 * application's mmap) comes to exist.
 */
#include <getopt.h>
#include <unistd.h>

#include "cmd.h"
#include "fileops.h"

int cmd_creat(int argc, char **argv)
{
	static const struct option opts[] = {
		{"size", required_argument, NULL, 's'},
		LAYOUT_LONG_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct layout l = {0};
	uint64_t size = 0;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cmd_parse_size("creat", "--size", optarg, &size))
				return EXIT_USAGE;
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
	if (layout_finish("creat", &l))
		return EXIT_USAGE;
	fd = create_sized("creat", argv[optind], 0644, size, &l);
	if (fd < 0)
		return EXIT_FAIL;
	close(fd);
	return EXIT_OK;
}
