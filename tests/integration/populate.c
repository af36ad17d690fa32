// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: give a freshly made bpfam some records without the daemon.
 *
 * usage: populate DEVICE N
 *
 * Makes directory "dir" and in it N files "fileI" of I + 1 MiB (so sizes
 * round up to 2 MiB units differently), then one file striped over two
 * strips and one setattr: every record type the log holds in version 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs.h"

#define MIB (1ULL << 20)

static int add_file(struct bpfam_fs *fs, uint64_t dir, const char *name,
		    uint64_t size, uint32_t strips, struct bpfam_err *err)
{
	struct bpfam_inode *in;
	int rc;

	rc = bpfam_fs_mknod(fs, dir, name, S_IFREG | 0644, 0, 0, &in, err);
	if (rc)
		return rc;
	return bpfam_fs_set_size(fs, in->ino, size, strips,
				 strips ? BPFAM_ALLOC_UNIT : 0, err);
}

static int populate(struct bpfam_fs *fs, unsigned long n, struct bpfam_err *err)
{
	struct bpfam_inode *dir;
	char name[32];
	unsigned long i;
	int rc;

	rc = bpfam_fs_mknod(fs, BPFAM_ROOT_INO, "dir", S_IFDIR | 0755, 0, 0,
			    &dir, err);
	for (i = 0; !rc && i < n; i++) {
		snprintf(name, sizeof(name), "file%lu", i);
		rc = add_file(fs, dir->ino, name, (i + 1) * MIB, 0, err);
	}
	if (!rc)
		rc = add_file(fs, BPFAM_ROOT_INO, "striped", 8 * MIB, 2, err);
	if (!rc)
		rc = bpfam_fs_setattr(fs, dir->ino, BPFAM_ATTR_MODE, 0700, 0, 0,
				      0, err);
	return rc;
}

int main(int argc, char **argv)
{
	struct bpfam_fs fs;
	struct bpfam_err err;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: populate DEVICE N\n");
		return 2;
	}
	rc = bpfam_fs_mount(&fs, argv[1], BPFAM_OPEN_WRITER, &err);
	if (rc) {
		fprintf(stderr, "populate: %s\n", err.msg);
		return 1;
	}
	rc = populate(&fs, strtoul(argv[2], NULL, 0), &err);
	if (rc)
		fprintf(stderr, "populate: %s\n", err.msg);
	bpfam_fs_close(&fs);
	return rc ? 1 : 0;
}
