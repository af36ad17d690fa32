// SPDX-License-Identifier: GPL-2.0
/*
 * Lending a device-dax to the kernel (lib/lend.h), against a fake /sys,
 * /proc and /dev in /dev/shm: the attribute read, the idle check over
 * processes' descriptors and mappings, the unbind-write-bind switch
 * with its refusals and its way back after a failure, and the switch lock
 * that keeps a command's open out of the switch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lend.h"
#include "testdev.h"

/* /dev/null's numbers: the fake node opens, as a bound device's does. */
#define RDEV makedev(1, 3)

static char root[64];
static char node[128];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *rel, char *buf, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	assert_non_null(f);
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
}

static void dir(const char *rel)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
	assert_int_equal(symlink(target, p), 0);
}

/* dax0.0 bound to device_dax, not lent; one unrelated process. */
static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/dev/shm/bpfam-lend-%d", getpid());
	dir("sys/bus/dax/devices/dax0.0");
	dir("sys/bus/dax/drivers/device_dax");
	dir("sys/bus/dax/drivers/kmem");
	dir("sys/dev/char");
	dir("dev");
	dir("proc/42/fd");
	put("sys/bus/dax/devices/dax0.0/lend", "none\n");
	put("sys/bus/dax/drivers/device_dax/bind", "");
	put("sys/bus/dax/drivers/device_dax/unbind", "");
	link_to("../../../drivers/device_dax",
		"sys/bus/dax/devices/dax0.0/driver");
	link_to("../../devices/platform/e820_pmem/ndbus0/region0/dax0.0/dax0.0",
		"sys/dev/char/1:3");
	snprintf(node, sizeof(node), "%s/dev/dax0.0", root);
	assert_int_equal(mknod(node, S_IFCHR | 0600, RDEV), 0);
	put("proc/42/comm", "bash\n");
	put("proc/42/maps",
	    "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/bash\n");
	link_to("/", "proc/42/fd/0"); /* not the device */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void name_from_sysfs(void **state)
{
	char name[BPFAM_DAX_NAME_MAX];
	struct bpfam_err err;

	(void)state;
	assert_int_equal(bpfam_lend_name(root, node, RDEV, name, &err), 0);
	assert_string_equal(name, "dax0.0");
	assert_int_equal(
		bpfam_lend_name(root, node, makedev(250, 8), name, &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "sys/dev/char/250:8"));
}

static void read_state(void **state)
{
	struct bpfam_lend l;
	struct bpfam_err err;

	(void)state;
	assert_int_equal(bpfam_lend_read(root, "dax0.0", &l, &err), 0);
	assert_false(l.lent);
	put("sys/bus/dax/devices/dax0.0/lend", "4194304\n");
	assert_int_equal(bpfam_lend_read(root, "dax0.0", &l, &err), 0);
	assert_true(l.lent);
	assert_int_equal(l.off, 4194304);
	put("sys/bus/dax/devices/dax0.0/lend", "lots\n");
	assert_int_equal(bpfam_lend_read(root, "dax0.0", &l, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unexpected value 'lots'"));
	put("sys/bus/dax/devices/dax0.0/lend", "none\n");
	/* A stock kernel has no attribute; not a device-dax at all. */
	dir("sys/bus/dax/devices/dax1.0");
	assert_int_equal(bpfam_lend_read(root, "dax1.0", &l, &err), -ENOENT);
	assert_int_equal(bpfam_lend_read(root, "dax9.0", &l, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "not a device-dax"));
}

static void idle_check(void **state)
{
	char comm[16], line[512];

	(void)state;
	assert_int_equal(bpfam_lend_user(root, node, RDEV, comm), 0);
	/* An open descriptor of the node. */
	link_to(node, "proc/42/fd/5");
	assert_int_equal(bpfam_lend_user(root, node, RDEV, comm), 42);
	assert_string_equal(comm, "bash");
	snprintf(line, sizeof(line), "%s/proc/42/fd/5", root);
	unlink(line);
	assert_int_equal(bpfam_lend_user(root, node, RDEV, comm), 0);
	/* A mapping left after the descriptor was closed: by its path. */
	snprintf(line, sizeof(line),
		 "7f0000000000-7f0000200000 rw-s 00000000 00:05 999 %s\n",
		 node);
	put("proc/42/maps", line);
	assert_int_equal(bpfam_lend_user(root, node, RDEV, comm), 42);
	put("proc/42/maps", "");
	assert_int_equal(bpfam_lend_user(root, node, RDEV, comm), 0);
}

static void lend_and_give_back(void **state)
{
	struct bpfam_lend l;
	struct bpfam_err err;
	char v[64];

	(void)state;
	assert_int_equal(
		bpfam_lend_set(root, node, "dax0.0", true, 4194304, &err), 0);
	get("sys/bus/dax/devices/dax0.0/lend", v, sizeof(v));
	assert_string_equal(v, "4194304");
	get("sys/bus/dax/drivers/device_dax/unbind", v, sizeof(v));
	assert_string_equal(v, "dax0.0");
	get("sys/bus/dax/drivers/device_dax/bind", v, sizeof(v));
	assert_string_equal(v, "dax0.0");
	assert_int_equal(bpfam_lend_read(root, "dax0.0", &l, &err), 0);
	assert_true(l.lent);
	assert_int_equal(bpfam_lend_set(root, node, "dax0.0", false, 0, &err),
			 0);
	get("sys/bus/dax/devices/dax0.0/lend", v, sizeof(v));
	assert_string_equal(v, "none");
}

/* Busy, or bound to another driver: refused, nothing written. */
static void refusals(void **state)
{
	struct bpfam_err err;
	char v[64], p[256];

	(void)state;
	put("sys/bus/dax/drivers/device_dax/unbind", "");
	link_to(node, "proc/42/fd/5");
	assert_int_equal(
		bpfam_lend_set(root, node, "dax0.0", true, 4194304, &err),
		-EBUSY);
	assert_non_null(strstr(err.msg, "in use by process 42 (bash)"));
	get("sys/bus/dax/drivers/device_dax/unbind", v, sizeof(v));
	assert_string_equal(v, "");
	snprintf(p, sizeof(p), "%s/proc/42/fd/5", root);
	unlink(p);
	link_to("../../../drivers/kmem", "sys/bus/dax/devices/dax0.0/driver");
	assert_int_equal(
		bpfam_lend_set(root, node, "dax0.0", true, 4194304, &err),
		-EBUSY);
	assert_non_null(strstr(err.msg, "bound to driver kmem"));
	link_to("../../../drivers/device_dax",
		"sys/bus/dax/devices/dax0.0/driver");
	/* A stock kernel: no attribute to write. */
	dir("sys/bus/dax/devices/dax1.0");
	assert_int_equal(
		bpfam_lend_set(root, node, "dax1.0", true, 4194304, &err),
		-EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "cannot lend"));
}

/* The bind fails: the previous value goes back, and the error says where. */
static void failed_bind_restores(void **state)
{
	struct bpfam_err err;
	char v[64], p[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/sys/bus/dax/drivers/device_dax/bind", root);
	unlink(p);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(
		bpfam_lend_set(root, node, "dax0.0", true, 4194304, &err),
		-EISDIR);
	assert_non_null(strstr(err.msg, "cannot lend it to the kernel: "
					"binding it to device_dax"));
	get("sys/bus/dax/devices/dax0.0/lend", v, sizeof(v));
	assert_string_equal(v, "none");
	rmdir(p);
	put("sys/bus/dax/drivers/device_dax/bind", "");
}

/*
 * A command holds the switch lock shared from its open to its mapping: a
 * switch waits for it before it checks and unbinds, and the lock is free
 * again after the switch.
 */
static void switch_waits_for_opener(void **state)
{
	struct bpfam_err err;
	int p[2], status, lk;
	char v[64], c;
	pid_t pid;

	(void)state;
	put("sys/bus/dax/drivers/device_dax/unbind", "");
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		lk = bpfam_lend_lock(root, "dax0.0", false);
		if (lk < 0 || write(p[1], "x", 1) != 1)
			_exit(2);
		usleep(300 * 1000);
		get("sys/bus/dax/drivers/device_dax/unbind", v, sizeof(v));
		/* Exit closes @lk, which unlocks. */
		_exit(v[0] ? 1 : 0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(
		bpfam_lend_set(root, node, "dax0.0", true, 4194304, &err), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* 1: the switch unbound while the opener held the lock. */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	get("sys/bus/dax/drivers/device_dax/unbind", v, sizeof(v));
	assert_string_equal(v, "dax0.0");
	lk = bpfam_lend_lock(root, "dax0.0", true);
	assert_true(lk >= 0);
	close(lk);
	assert_int_equal(bpfam_lend_set(root, node, "dax0.0", false, 0, &err),
			 0);
	/* A kernel that cannot lend: nothing to lock. */
	assert_int_equal(bpfam_lend_lock(root, "dax9.0", false), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_from_sysfs),
		cmocka_unit_test(read_state),
		cmocka_unit_test(idle_check),
		cmocka_unit_test(lend_and_give_back),
		cmocka_unit_test(refusals),
		cmocka_unit_test(failed_bind_restores),
		cmocka_unit_test(switch_waits_for_opener),
	};

	return cmocka_run_group_tests_name("lend", tests, setup, teardown);
}
