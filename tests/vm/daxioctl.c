// SPDX-License-Identifier: GPL-2.0
/*
 * daxioctl: who may register a device (FUSE_DEV_IOC_DAXDEV_OPEN) or attach
 * a resolver (FUSE_DEV_IOC_FMAP_ATTACH) on a FUSE connection (kpatch 0003,
 * 0004).  Must run as root: it opens /dev/fuse, mounts a FUSE connection on
 * DIR with mount(2), answers the kernel's FUSE_INIT itself (asking for
 * FUSE_FMAP unless CASE says not; nobody serves anything else and nothing
 * touches the mount), then makes the ioctl on that /dev/fuse fd with DEVICE,
 * or with the resolver NAME, as CASE says:
 *
 *   root      as root, capabilities intact
 *   badflags  as root, flags = 1 (passes the permission checks: EINVAL)
 *   nocap     uid 0 without CAP_SYS_RAWIO (dropped with capset)
 *   nobody    after setuid(65534): no capabilities at all
 *   unmounted as root, on a second /dev/fuse fd that carries no connection
 *   noinit    as root, on a connection whose INIT did not ask for FUSE_FMAP
 *   userns    as root of the initial namespace, on a connection that a
 *             child mounted in a user namespace of its own (it passes the
 *             fd up with pidfd_getfd())
 *
 * and prints the outcome: "ok ID" or the errno's name (EPERM, ...).  The
 * connection is unmounted (lazily) and aborted by closing the fd, so a
 * device registered by the root case is released again.
 *
 *   daxioctl DIR DEVICE CASE [attach NAME]
 *
 * Exit status: 0 the ioctl was made (whatever it returned), 1 an error in
 * the set-up, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fuse.h>
#include <sched.h>
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

struct fuse_fmap_attach {
	char name[16];
	uint32_t flags;
	uint32_t padding;
};

#define FUSE_DEV_IOC_FMAP_ATTACH _IOW(229, 0x41, struct fuse_fmap_attach)
#define FUSE_FMAP (1ULL << 62)

/* The fd number the userns child mounts with, for pidfd_getfd(). */
#define CHILD_FUSE_FD 100

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
	case ENOENT: return "ENOENT";
	case ENOTCONN: return "ENOTCONN";
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

/* Reads the kernel's FUSE_INIT from @fd and answers it. */
static void answer_init(int fd, int fmap)
{
	static char buf[1 << 20];
	const struct fuse_in_header *in = (const void *)buf;
	struct {
		struct fuse_out_header h;
		struct fuse_init_out o;
	} rep = { 0 };
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < (ssize_t)sizeof(*in) || in->opcode != FUSE_INIT)
		die("read FUSE_INIT");
	rep.h.len = sizeof(rep);
	rep.h.unique = in->unique;
	rep.o.major = FUSE_KERNEL_VERSION;
	rep.o.minor = FUSE_KERNEL_MINOR_VERSION;
	rep.o.max_write = 4096;
	rep.o.flags = FUSE_INIT_EXT;
	rep.o.flags2 = fmap ? (uint32_t)(FUSE_FMAP >> 32) : 0;
	if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
		die("write the INIT reply");
}

static void mount_fuse(const char *dir, int fd)
{
	char opts[128];

	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("daxioctl", dir, "fuse.daxioctl", MS_NOSUID | MS_NODEV,
		  opts))
		die("mount fuse");
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/*
 * A child becomes root of a user namespace of its own, mounts a FUSE
 * connection on @dir there and stays until @go is readable; the
 * connection's /dev/fuse fd comes back through pidfd_getfd().
 */
static int userns_connection(const char *dir, pid_t *child, int *go)
{
	int ready[2], wait_go[2], pidfd, fd;
	char c;

	if (pipe(ready) || pipe(wait_go))
		die("pipe");
	*child = fork();
	if (*child < 0)
		die("fork");
	if (*child == 0) {
		close(ready[0]);
		close(wait_go[1]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			die("unshare");
		/* Our copies of the mounts must not keep the host's busy. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			die("mount --make-rprivate /");
		write_file("/proc/self/setgroups", "deny");
		write_file("/proc/self/uid_map", "0 0 1");
		write_file("/proc/self/gid_map", "0 0 1");
		fd = open("/dev/fuse", O_RDWR);
		if (fd < 0 || dup2(fd, CHILD_FUSE_FD) < 0)
			die("/dev/fuse in the user namespace");
		mount_fuse(dir, CHILD_FUSE_FD);
		if (write(ready[1], "r", 1) != 1 || read(wait_go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(wait_go[0]);
	if (read(ready[0], &c, 1) != 1)
		die("the user-namespace child");
	close(ready[0]);
	pidfd = syscall(SYS_pidfd_open, *child, 0);
	fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, CHILD_FUSE_FD, 0);
	if (fd < 0)
		die("pidfd_getfd");
	close(pidfd);
	*go = wait_go[1];
	return fd;
}

int main(int argc, char **argv)
{
	static const char *const cases[] = { "root", "badflags", "nocap",
					     "nobody", "unmounted", "noinit",
					     "userns", NULL };
	struct fuse_fmap_attach attach = { 0 };
	struct fuse_daxdev_map map = { 0 };
	int fuse_fd, ioc_fd, pipefd[2], status, rc, go = -1, i;
	pid_t pid, child = 0;
	const char *c;
	char out[64];
	ssize_t n;

	if (argc != 4 && !(argc == 6 && !strcmp(argv[4], "attach"))) {
		fprintf(stderr, "usage: daxioctl DIR DEVICE CASE [attach NAME]\n");
		return 2;
	}
	c = argv[3];
	for (i = 0; cases[i] && strcmp(c, cases[i]); i++)
		;
	if (!cases[i]) {
		fprintf(stderr, "daxioctl: unknown case '%s'\n", c);
		return 2;
	}
	if (argc == 6)
		snprintf(attach.name, sizeof(attach.name), "%s", argv[5]);
	if (!strcmp(c, "userns")) {
		fuse_fd = userns_connection(argv[1], &child, &go);
	} else {
		fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (fuse_fd < 0)
			die("/dev/fuse");
		mount_fuse(argv[1], fuse_fd);
	}
	answer_init(fuse_fd, strcmp(c, "noinit"));
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
		map.flags = attach.flags = 1;

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
		if (argc == 6)
			rc = ioctl(ioc_fd, FUSE_DEV_IOC_FMAP_ATTACH, &attach);
		else
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
	if (child) {
		close(go);
		waitpid(child, NULL, 0);
	} else if (umount2(argv[1], MNT_DETACH)) {
		perror("umount2");
	}
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
