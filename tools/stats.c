// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam stats: a mounted bpfam's counters.  The daemon serves them as JSON
 * in the mountpoint's user.bpfam.stats xattr; this prints them as an
 * indented list, byte counts also in human units, without assuming which
 * counters a given daemon version has.  "kernel" and "daemon" are titled
 * as what they are: the data requests each side served.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fileops.h"
#include "units.h"

/* "bytes_read", "log_size", "used"...: worth showing as 1.5 GiB too. */
static bool is_byte_count(const char *key)
{
	static const char *const words[] = {"bytes", "size", "used", "free"};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(key, words[i]))
			return true;
	return false;
}

static void print_object(json_object *o, int indent);

/* Sections whose key alone would not say what they count. */
static const char *title_of(const char *key)
{
	if (!strcmp(key, "kernel"))
		return "served by the kernel (fast path):";
	if (!strcmp(key, "daemon"))
		return "served by the daemon:";
	return NULL;
}

static void print_member(const char *key, json_object *v, int indent, int width)
{
	enum json_type type = json_object_get_type(v);
	char sz[32];
	uint64_t n;

	if (type == json_type_object) {
		printf("%*s%s\n", indent, "", key);
		print_object(v, indent + 2);
		return;
	}
	printf("%*s%-*s ", indent, "", width, key);
	if (type == json_type_int && is_byte_count(key)) {
		n = json_object_get_uint64(v);
		printf("%" PRIu64 " (%s)\n", n, bpfam_fmt_size(n, sz));
	} else if (type == json_type_string) {
		printf("%s\n", json_object_get_string(v));
	} else {
		printf("%s\n", json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PLAIN));
	}
}

static void print_object(json_object *o, int indent)
{
	int width = 0;

	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if ((int)strlen(k) + 1 > width)
			width = strlen(k) + 1;
	}
	json_object_object_foreach(o, key, val)
	{
		const char *title = title_of(key);
		char label[256];

		snprintf(label, sizeof(label), "%s:", key);
		if (title && json_object_is_type(val, json_type_object))
			snprintf(label, sizeof(label), "%s", title);
		print_member(label, val, indent, width);
	}
}

static int stats(const char *mnt, bool raw)
{
	json_object *o;
	size_t len;
	char *val;
	int err;

	err = get_xattr(mnt, BPFAM_XATTR_STATS, &val, &len);
	if (err == -ENODATA || err == -EOPNOTSUPP) {
		cmd_error("stats", "%s: not a bpfam mountpoint (no %s)", mnt,
			  BPFAM_XATTR_STATS);
		return EXIT_FAIL;
	}
	if (err) {
		cmd_error("stats", "%s: %s", mnt, errno_str(-err));
		return EXIT_FAIL;
	}
	o = json_tokener_parse(val);
	if (!o || json_object_get_type(o) != json_type_object) {
		cmd_error("stats", "%s: %s is not a JSON object", mnt,
			  BPFAM_XATTR_STATS);
		json_object_put(o);
		free(val);
		return EXIT_FAIL;
	}
	if (raw)
		printf("%s\n", val);
	else
		print_object(o, 0);
	json_object_put(o);
	free(val);
	return EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return cmd_help("stats");
		default:
			return option_error("stats", c, argv);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("stats", "need exactly one MOUNTPOINT");
	return stats(argv[optind], json);
}
