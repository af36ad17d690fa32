// SPDX-License-Identifier: GPL-2.0
/*
 * daxioctl: who may call FUSE_DEV_IOC_DAXDEV_OPEN (kpatch/0003).  Must run
 * as root: it opens /dev/fuse and mounts a FUSE connection on DIR with
 * mount(2) (nobody serves it; nothing touches the mount), then calls the
 * ioctl on that /dev/fuse fd with DEVICE, as CASE says:
 *
 *   root      as root, capabilities intact
 *   badflags  as root, flags = 1 (passes the capability check: EINVAL)
 *   nocap     uid 0 without CAP_SYS_RAWIO (dropped with capset)
 *   nobody    after setuid(65534): no capabilities at all
 *   unmounted as root, on a second /dev/fuse fd that carries no connection
 *
 * and prints the outcome: "ok ID" or the errno's name (EPERM, ...).  The
 * connection is unmounted (lazily) and aborted by closing the fd, so a
 * device registered by the root case is released again.
 *
 *   daxioctl DIR DEVICE CASE
 *
 * Exit status: 0 the ioctl was made (whatever it returned), 1 an error in
 * the set-up, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct fuse_daxdev_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define FUSE_DEV_IOC_DAXDEV_OPEN _IOW(229, 0x40, struct fuse_daxdev_map)

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int drop_rawio(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_RAWIO)].effective &= ~CAP_TO_MASK(CAP_SYS_RAWIO);
	data[CAP_TO_INDEX(CAP_SYS_RAWIO)].permitted &= ~CAP_TO_MASK(CAP_SYS_RAWIO);
	data[CAP_TO_INDEX(CAP_SYS_RAWIO)].inheritable &= ~CAP_TO_MASK(CAP_SYS_RAWIO);
	return syscall(SYS_capset, &hdr, data);
}

int main(int argc, char **argv)
{
	struct fuse_daxdev_map map = { 0 };
	int fuse_fd, ioc_fd, pipefd[2], status, rc;
	char opts[128], out[64];
	const char *c;
	ssize_t n;
	pid_t pid;

	if (argc != 4) {
		fprintf(stderr, "usage: daxioctl DIR DEVICE root|badflags|nocap|nobody|unmounted\n");
		return 2;
	}
	c = argv[3];
	if (strcmp(c, "root") && strcmp(c, "badflags") && strcmp(c, "nocap") &&
	    strcmp(c, "nobody") && strcmp(c, "unmounted")) {
		fprintf(stderr, "daxioctl: unknown case '%s'\n", c);
		return 2;
	}
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0)
		die("/dev/fuse");
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse_fd);
	if (mount("daxioctl", argv[1], "fuse.daxioctl", MS_NOSUID | MS_NODEV,
		  opts))
		die("mount fuse");
	map.fd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (map.fd < 0)
		die(argv[2]);
	ioc_fd = fuse_fd;
	if (!strcmp(c, "unmounted")) {
		ioc_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (ioc_fd < 0)
			die("/dev/fuse (second)");
	}
	if (!strcmp(c, "badflags"))
		map.flags = 1;

	/* the ioctl runs in a child, so that the parent keeps root to unmount */
	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pipefd[0]);
		if (!strcmp(c, "nocap") && drop_rawio())
			die("capset");
		if (!strcmp(c, "nobody") && (setgid(65534) || setuid(65534)))
			die("setuid(65534)");
		rc = ioctl(ioc_fd, FUSE_DEV_IOC_DAXDEV_OPEN, &map);
		if (rc >= 0)
			n = snprintf(out, sizeof(out), "ok %d\n", rc);
		else
			n = snprintf(out, sizeof(out), "%s\n", errname(errno));
		if (write(pipefd[1], out, n) != n)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, sizeof(out) - 1);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (umount2(argv[1], MNT_DETACH))
		perror("umount2");
	close(fuse_fd);
	if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "daxioctl: the child failed (status %#x)\n",
			status);
		return 1;
	}
	out[n] = '\0';
	fputs(out, stdout);
	return 0;
}
