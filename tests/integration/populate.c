// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: give a freshly made bpfam some records without the daemon.
 *
 * usage: populate DEVICE N [--delete]
 *
 * Makes directory "dir" and in it N files "fileI" of I + 1 MiB (so sizes
 * round up to 2 MiB units differently), then one file striped over two
 * strips and one setattr.  --delete (N >= 2) then removes dir/file0,
 * reclaims its space, removes dir/file1, "striped" and a new directory
 * "gone", whose space waits: every record type of version 2.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		rc = bpfam_fs_setattr(fs, dir->ino, BPFAM_ATTR_MODE,
				      &(struct bpfam_attrs){.mode = 0700}, err);
	return rc;
}

/* Deletes on the populated tree, one of them reclaimed (no host holds it). */
static int delete_some(struct bpfam_fs *fs, struct bpfam_err *err)
{
	uint64_t dir = bpfam_fs_lookup(fs, BPFAM_ROOT_INO, "dir")->ino;
	struct bpfam_inode *gone;
	int rc;

	rc = bpfam_fs_delete(fs, dir, "file0", false, err);
	if (!rc && bpfam_fs_reclaim(fs, UINT64_MAX, err) < 0)
		rc = -1;
	if (!rc)
		rc = bpfam_fs_delete(fs, dir, "file1", false, err);
	if (!rc)
		rc = bpfam_fs_delete(fs, BPFAM_ROOT_INO, "striped", false, err);
	if (!rc)
		rc = bpfam_fs_mknod(fs, BPFAM_ROOT_INO, "gone", S_IFDIR | 0755,
				    0, 0, &gone, err);
	if (!rc)
		rc = bpfam_fs_delete(fs, BPFAM_ROOT_INO, "gone", true, err);
	return rc;
}

/* Names on the populated tree (N = 1): records 7 to 12. */
static int names(struct bpfam_fs *fs, struct bpfam_err *err)
{
	uint64_t dir = bpfam_fs_lookup(fs, BPFAM_ROOT_INO, "dir")->ino;
	uint64_t file0 = bpfam_fs_lookup(fs, dir, "file0")->ino;
	struct bpfam_inode *in;
	int rc;

	rc = bpfam_fs_link(fs, file0, BPFAM_ROOT_INO, "hard", err);
	if (!rc)
		rc = bpfam_fs_rename(fs, BPFAM_ROOT_INO, "hard", dir, "moved",
				     0, err);
	if (!rc)
		rc = bpfam_fs_make(fs, BPFAM_ROOT_INO, "sym", S_IFLNK | 0777, 0,
				   "dir/moved", 0, 0, &in, err);
	if (!rc)
		rc = bpfam_fs_make(fs, BPFAM_ROOT_INO, "null", S_IFCHR | 0644,
				   0x103, NULL, 0, 0, &in, err);
	if (!rc)
		rc = bpfam_fs_rename(fs, BPFAM_ROOT_INO, "striped", dir,
				     "moved", 0, err);
	if (!rc)
		rc = bpfam_fs_delete(fs, dir, "file0", false, err);
	return rc;
}

int main(int argc, char **argv)
{
	struct bpfam_fs fs;
	struct bpfam_err err;
	bool del = argc == 4 && !strcmp(argv[3], "--delete");
	bool nm = argc == 4 && !strcmp(argv[3], "--names");
	int rc;

	if (argc != 3 && !del && !nm) {
		fprintf(stderr,
			"usage: populate DEVICE N [--delete | --names]\n");
		return 2;
	}
	rc = bpfam_fs_mount(&fs, argv[1], BPFAM_OPEN_WRITER, &err);
	if (rc) {
		fprintf(stderr, "populate: %s\n", err.msg);
		return 1;
	}
	rc = populate(&fs, strtoul(argv[2], NULL, 0), &err);
	if (!rc && del)
		rc = delete_some(&fs, &err);
	if (!rc && nm)
		rc = names(&fs, &err);
	if (rc)
		fprintf(stderr, "populate: %s\n", err.msg);
	bpfam_fs_close(&fs);
	return rc ? 1 : 0;
}
