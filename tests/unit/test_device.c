// SPDX-License-Identifier: GPL-2.0
/* Device access: what is accepted, and every refusal with its reason. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "testdev.h"

static void refused(const char *path, enum bpfam_open_mode mode, int code,
		    const char *text)
{
	struct bpfam_device dev;
	struct bpfam_err err;

	assert_err(bpfam_device_open(&dev, path, mode, &err), code, &err, text);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(dev.fd, -1);
	assert_null(dev.base);
}

static void regular_file(void **state)
{
	const char *path = testdev_create(64 * MIB);
	struct bpfam_device dev;
	struct bpfam_err err;

	(void)state;
	assert_int_equal(bpfam_device_open(&dev, path, BPFAM_OPEN_RDWR, &err),
			 0);
	assert_int_equal(dev.size, 64 * MIB);
	assert_int_equal(dev.align, UNIT);
	assert_false(dev.devdax);
	assert_true(dev.writable);
	assert_false(dev.writer);
	assert_int_equal((uintptr_t)dev.base % UNIT, 0);
	dev.base[64 * MIB - 1] = 7;
	bpfam_device_close(&dev);
	assert_int_equal(dev.fd, -1);
	testdev_remove(path);
}

static void directory(void **state)
{
	(void)state;
	refused("/dev/shm", BPFAM_OPEN_RDONLY, EISDIR, "is a directory; give");
	refused("/dev/shm", BPFAM_OPEN_WRITER, EISDIR, "is a directory; give");
}

static void size_not_multiple(void **state)
{
	const char *path = testdev_create(3 * MIB);

	(void)state;
	refused(path, BPFAM_OPEN_RDONLY, EINVAL,
		"size 3145728 is not a multiple of 2 MiB");
	testdev_remove(path);
}

static void too_small(void **state)
{
	const char *path = testdev_create(4 * MIB);

	(void)state;
	refused(path, BPFAM_OPEN_WRITER, EINVAL,
		"size 4 MiB is too small; bpfam needs at least 6 MiB");
	testdev_remove(path);
}

static void empty_file(void **state)
{
	const char *path = testdev_create(0);

	(void)state;
	refused(path, BPFAM_OPEN_RDONLY, EINVAL, "too small");
	testdev_remove(path);
}

static void nonexistent(void **state)
{
	(void)state;
	refused("/dev/shm/bpfam-unit-no-such-file", BPFAM_OPEN_RDONLY, ENOENT,
		"No such file or directory");
}

static void char_device_not_devdax(void **state)
{
	(void)state;
	refused("/dev/null", BPFAM_OPEN_RDONLY, ENODEV, "not a devdax device");
}

/* A free loop device node (unbound is enough), else any block device. */
static bool find_block_device(char *path, size_t n)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int ctl, nr, fd;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	nr = ctl >= 0 ? ioctl(ctl, LOOP_CTL_GET_FREE) : -1;
	if (ctl >= 0)
		close(ctl);
	snprintf(path, n, "/dev/loop%d", nr);
	if (nr >= 0 && !stat(path, &st) && S_ISBLK(st.st_mode))
		return true;
	d = opendir("/dev");
	if (!d)
		return false;
	while ((e = readdir(d))) {
		snprintf(path, n, "/dev/%s", e->d_name);
		if (stat(path, &st) || !S_ISBLK(st.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		close(fd);
		closedir(d);
		return true;
	}
	closedir(d);
	return false;
}

static void block_device(void **state)
{
	char path[PATH_MAX];

	(void)state;
	if (!find_block_device(path, sizeof(path))) {
		print_message("# no block device can be opened here\n");
		skip();
	}
	refused(path, BPFAM_OPEN_RDONLY, ENOTSUP,
		"is a block device; bpfam needs a devdax character device");
}

static void second_writer(void **state)
{
	const char *path = testdev_create(64 * MIB);
	struct bpfam_device w, ro;
	struct bpfam_err err;

	(void)state;
	assert_int_equal(bpfam_device_open(&w, path, BPFAM_OPEN_WRITER, &err),
			 0);
	assert_true(w.writer);
	refused(path, BPFAM_OPEN_WRITER, EBUSY,
		"in use by another bpfam writer");
	/* Readers and clients do not take the writer's lock. */
	assert_int_equal(bpfam_device_open(&ro, path, BPFAM_OPEN_RDWR, &err),
			 0);
	bpfam_device_close(&ro);
	bpfam_device_close(&w);
	assert_int_equal(bpfam_device_open(&w, path, BPFAM_OPEN_WRITER, &err),
			 0);
	bpfam_device_close(&w);
	testdev_remove(path);
}

/* mkfs (FORMAT) and a mounted host (RDWR, WRITER) exclude each other. */
static void mount_lock(void **state)
{
	const char *path = testdev_create(64 * MIB);
	struct bpfam_device rw, f, ro;
	struct bpfam_err err;

	(void)state;
	assert_int_equal(bpfam_device_open(&rw, path, BPFAM_OPEN_RDWR, &err),
			 0);
	refused(path, BPFAM_OPEN_FORMAT, EBUSY,
		"in use by a mounted bpfamd on this machine");
	bpfam_device_close(&rw);
	assert_int_equal(bpfam_device_open(&rw, path, BPFAM_OPEN_WRITER, &err),
			 0);
	refused(path, BPFAM_OPEN_FORMAT, EBUSY, "in use by another bpfam writer");
	bpfam_device_close(&rw);
	assert_int_equal(bpfam_device_open(&f, path, BPFAM_OPEN_FORMAT, &err),
			 0);
	assert_true(f.writer);
	refused(path, BPFAM_OPEN_RDWR, EBUSY, "being formatted by 'bpfam mkfs'");
	refused(path, BPFAM_OPEN_FORMAT, EBUSY, "in use by another bpfam writer");
	/* A reader takes no lock: bpfam hosts and fsck work next to mkfs. */
	assert_int_equal(bpfam_device_open(&ro, path, BPFAM_OPEN_RDONLY, &err),
			 0);
	bpfam_device_close(&ro);
	bpfam_device_close(&f);
	assert_int_equal(bpfam_device_open(&rw, path, BPFAM_OPEN_RDWR, &err),
			 0);
	bpfam_device_close(&rw);
	testdev_remove(path);
}

static void path_too_long(void **state)
{
	char path[PATH_MAX + 16];
	struct bpfam_device dev;
	struct bpfam_err err;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_err(bpfam_device_open(&dev, path, BPFAM_OPEN_RDONLY, &err),
		   ENAMETOOLONG, &err, "path too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regular_file),
		cmocka_unit_test(directory),
		cmocka_unit_test(size_not_multiple),
		cmocka_unit_test(too_small),
		cmocka_unit_test(empty_file),
		cmocka_unit_test(nonexistent),
		cmocka_unit_test(char_device_not_devdax),
		cmocka_unit_test(block_device),
		cmocka_unit_test(second_writer),
		cmocka_unit_test(mount_lock),
		cmocka_unit_test(path_too_long),
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
