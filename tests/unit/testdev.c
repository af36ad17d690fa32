// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mkfs.h"
#include "testdev.h"

#define MAX_PATHS 128

/* Every file made, removed at exit too: a failed assertion skips cleanup. */
static char paths[MAX_PATHS][64];
static unsigned int npaths;

static void remove_all(void)
{
	unsigned int i;

	for (i = 0; i < npaths; i++)
		unlink(paths[i]);
}

const char *testdev_create(uint64_t size)
{
	char *path;
	int fd;

	assert_true(npaths < MAX_PATHS);
	if (!npaths)
		atexit(remove_all);
	path = paths[npaths++];
	snprintf(path, sizeof(paths[0]), "/dev/shm/bpfam-unit-%d-%u",
		 (int)getpid(), npaths);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return path;
}

void testdev_remove(const char *path)
{
	unlink(path);
}

const char *testdev_mkfs(uint64_t size, uint64_t log_size)
{
	const char *path = testdev_create(size);
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;

	assert_int_equal(bpfam_device_open(&dev, path, BPFAM_OPEN_WRITER, &err),
			 0);
	assert_int_equal(bpfam_mkfs(&dev, log_size, NULL, &sb, &err), 0);
	bpfam_device_close(&dev);
	return path;
}

void testdev_mount(struct bpfam_fs *fs, const char *path,
		   enum bpfam_open_mode mode)
{
	struct bpfam_err err;
	int rc = bpfam_fs_mount(fs, path, mode, &err);

	if (rc)
		fail_msg("mount %s: %s", path, err.msg);
}

size_t testdev_cases(struct CMUnitTest *tests, void (*fn)(void **state),
		     const void *cases, size_t size, size_t n,
		     const char *prefix)
{
	static char names[256][96];
	static size_t used;
	const char *c = cases;
	size_t i;

	assert_true(used + n <= sizeof(names) / sizeof(names[0]));
	for (i = 0; i < n; i++, c += size) {
		snprintf(names[used], sizeof(names[0]), "%s %s", prefix,
			 *(const char *const *)c);
		tests[i] = (struct CMUnitTest){
			.name = names[used++],
			.test_func = fn,
			.initial_state = (void *)c,
		};
	}
	return n;
}
