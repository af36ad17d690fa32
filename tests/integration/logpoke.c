// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: append a record that checksums but does not play — a
 * delete of an inode that does not exist — as a newer or buggy primary
 * might, to test how hosts meet it.  The device must not be mounted by a
 * primary.
 *
 * usage: logpoke DEVICE
 * Prints the record's sequence number.
 */
#include <stdio.h>

#include "fs.h"

int main(int argc, char **argv)
{
	struct bpfam_record r = {.type = BPFAM_REC_DELETE};
	struct bpfam_err err;
	struct bpfam_fs fs;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: logpoke DEVICE\n");
		return 2;
	}
	if (bpfam_fs_mount(&fs, argv[1], BPFAM_OPEN_WRITER, &err)) {
		fprintf(stderr, "logpoke: %s\n", err.msg);
		return 1;
	}
	r.del.ino = fs.max_ino + 100;
	r.del.parent = BPFAM_ROOT_INO;
	rc = bpfam_log_append(&fs.log, &r, &err);
	if (rc)
		fprintf(stderr, "logpoke: %s\n", err.msg);
	else
		printf("%llu\n", (unsigned long long)r.seq);
	bpfam_fs_close(&fs);
	return rc ? 1 : 0;
}
