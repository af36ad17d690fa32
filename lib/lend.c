// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lend.h"

#define DAX_DEVICES "/sys/bus/dax/devices"
#define DAX_DRIVER  "/sys/bus/dax/drivers/device_dax"
/* How long an unbind and bind may keep the device node from opening. */
#define NODE_WAIT_MS 5000
/* How long one side of the switch lock waits for the other. */
#define LOCK_WAIT_MS 10000

/* A path of at most PATH_MAX bytes into @buf (PATH_MAX): cut if longer,
 * which then names nothing and fails as such. */
static void pathf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
}

/* Read the first line of @path into @buf (newline cut): 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Write @s to sysfs attribute @path in one write(): 0 or -errno. */
static int write_attr(const char *path, const char *s)
{
	/* O_TRUNC as a shell's '>': sysfs ignores it, a plain file needs it. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	e = n < 0 ? errno : 0;
	if (close(fd) && !e)
		e = errno;
	return -e;
}

/*
 * The last component of where symlink @link points, into @name (@len
 * bytes): 0, -errno, or -ENAMETOOLONG.
 */
static int link_base(const char *link, char *name, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n = readlink(link, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(name, base);
	return 0;
}

int bpfam_lend_name(const char *root, const char *path, dev_t rdev, char *name,
		    struct bpfam_err *err)
{
	char link[PATH_MAX];
	int rc;

	pathf(link, "%s/sys/dev/char/%u:%u", root, major(rdev), minor(rdev));
	rc = link_base(link, name, BPFAM_DAX_NAME_MAX);
	if (rc == -ENAMETOOLONG)
		return bpfam_err(err, ENAMETOOLONG,
				 "%s: the device name %s links to is too long",
				 path, link);
	if (rc)
		return bpfam_err(err, -rc, "%s: %s: %s", path, link,
				 strerror(-rc));
	return 0;
}

int bpfam_lend_read(const char *root, const char *name, struct bpfam_lend *l,
		    struct bpfam_err *err)
{
	char path[PATH_MAX], v[64], *end;
	int rc;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	pathf(path, "%s" DAX_DEVICES "/%s/lend", root, name);
	rc = read_line(path, v, sizeof(v));
	if (rc == -ENOENT) {
		pathf(path, "%s" DAX_DEVICES "/%s", root, name);
		if (access(path, F_OK))
			return bpfam_err(err, ENODEV,
					 "%s: not a device-dax (no %s)", name,
					 path + strlen(root));
		return rc;
	}
	if (rc)
		return bpfam_err(err, -rc, "%s: %s", path, strerror(-rc));
	if (!strcmp(v, "none"))
		return 0;
	errno = 0;
	l->off = strtoull(v, &end, 10);
	if (errno || end == v || *end)
		return bpfam_err(err, EINVAL, "%s: unexpected value '%s'", path,
				 v);
	l->lent = true;
	return 0;
}

/* Does a descriptor in /proc/PID/fd @dir name character device @rdev? */
static bool fds_hold(const char *dir, dev_t rdev)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false; /* gone, or not ours to look at: best effort */
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		pathf(path, "%s/%s", dir, e->d_name);
		found = !stat(path, &st) && S_ISCHR(st.st_mode) &&
			st.st_rdev == rdev;
	}
	closedir(d);
	return found;
}

/*
 * Does /proc/PID/maps @file list a mapping of the node @node (named
 * @path)?  A mapping names the node's filesystem and inode, and its path.
 */
static bool maps_hold(const char *file, const char *path,
		      const struct stat *node)
{
	unsigned int maj, min;
	char line[PATH_MAX + 128];
	unsigned long ino;
	bool found = false;
	FILE *f = fopen(file, "re");
	int at;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%*s %*s %*s %x:%x %lu %n", &maj, &min, &ino,
			   &at) < 3)
			continue;
		found = (makedev(maj, min) == node->st_dev &&
			 ino == node->st_ino) ||
			!strcmp(line + at, path);
	}
	fclose(f);
	return found;
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

pid_t bpfam_lend_user(const char *root, const char *path, dev_t rdev,
		      char *comm)
{
	char dir[PATH_MAX], file[PATH_MAX];
	struct stat node = {0};
	struct dirent *e;
	pid_t pid = 0;
	DIR *d;

	stat(path, &node); /* a node gone still has its descriptors */
	pathf(dir, "%s/proc", root);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!pid && (e = readdir(d))) {
		if (!all_digits(e->d_name))
			continue;
		pathf(file, "%s/%s/fd", dir, e->d_name);
		if (!fds_hold(file, rdev)) {
			pathf(file, "%s/%s/maps", dir, e->d_name);
			if (!maps_hold(file, path, &node))
				continue;
		}
		pid = (pid_t)atoi(e->d_name);
		pathf(file, "%s/%s/comm", dir, e->d_name);
		if (read_line(file, comm, 16))
			strcpy(comm, "?");
	}
	closedir(d);
	return pid;
}

struct lock_try {
	int fd;
	int op;
};

/* 0 locked, 1 to try again, -errno. */
static int try_lock(void *arg)
{
	struct lock_try *t = arg;

	if (!flock(t->fd, t->op | LOCK_NB))
		return 0;
	return errno == EWOULDBLOCK ? 1 : -errno;
}

int bpfam_lend_lock(const char *root, const char *name, bool exclusive)
{
	struct lock_try t = {.op = exclusive ? LOCK_EX : LOCK_SH};
	char attr[PATH_MAX];
	int rc;

	pathf(attr, "%s" DAX_DEVICES "/%s/lend", root, name);
	t.fd = open(attr, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0)
		return -errno;
	rc = bpfam_poll_ms(LOCK_WAIT_MS, 10, try_lock, &t);
	if (!rc)
		return t.fd;
	close(t.fd);
	return rc > 0 ? -ETIMEDOUT : rc;
}

int bpfam_lend_lock_node(const char *path)
{
	char name[BPFAM_DAX_NAME_MAX];
	struct stat st;

	if (stat(path, &st) || !S_ISCHR(st.st_mode) ||
	    bpfam_lend_name("", path, st.st_rdev, name, NULL))
		return -ENOENT;
	return bpfam_lend_lock("", name, false);
}

struct open_try {
	const char *path;
	int flags;
	int fd;
};

/* 0 opened, 1 to try again (ENXIO: the device is being switched), -errno. */
static int try_open(void *arg)
{
	struct open_try *t = arg;

	t->fd = open(t->path, t->flags | O_CLOEXEC);
	if (t->fd >= 0)
		return 0;
	return errno == ENXIO ? 1 : -errno;
}

int bpfam_dax_open(const char *path, int flags)
{
	struct open_try t = {.path = path, .flags = flags};
	int rc = bpfam_poll_ms(NODE_WAIT_MS, 10, try_open, &t);

	if (rc > 0)
		errno = ENXIO;
	else if (rc < 0)
		errno = -rc;
	return t.fd;
}

/* After a bind: the device node opens again, or -errno. */
static int node_back(const char *path)
{
	int fd = bpfam_dax_open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The driver device @name is bound to: 0 (in @drv, 64 bytes), -ENOENT if
 * none. */
static int bound_driver(const char *root, const char *name, char *drv)
{
	char link[PATH_MAX];

	pathf(link, "%s" DAX_DEVICES "/%s/driver", root, name);
	return link_base(link, drv, 64);
}

/* Write @value into @name's lend attribute and bind it to device_dax. */
static int write_and_bind(const char *root, const char *path, const char *name,
			  const char *value, const char **step)
{
	char attr[PATH_MAX];
	int rc;

	pathf(attr, "%s" DAX_DEVICES "/%s/lend", root, name);
	*step = "writing its lend attribute";
	rc = write_attr(attr, value);
	if (rc)
		return rc;
	*step = "binding it to device_dax";
	pathf(attr, "%s" DAX_DRIVER "/bind", root);
	rc = write_attr(attr, name);
	if (rc)
		return rc;
	*step = "waiting for its device node";
	return node_back(path);
}

/* The device must be idle, and bound to device_dax or to nothing. */
static int may_switch(const char *root, const char *path, const char *name,
		      bool *bound, struct bpfam_err *err)
{
	char comm[16], drv[64];
	struct stat st;
	pid_t pid;
	int rc;

	if (stat(path, &st))
		return bpfam_err(err, errno, "%s: %s", path, strerror(errno));
	pid = bpfam_lend_user(root, path, st.st_rdev, comm);
	if (pid)
		return bpfam_err(
			err, EBUSY,
			"%s: in use by process %d (%s), which has it open or "
			"mapped; lending or giving it back needs it idle "
			"(unbinding would kill its mappings)",
			path, (int)pid, comm);
	rc = bound_driver(root, name, drv);
	*bound = !rc;
	if (rc && rc != -ENOENT)
		return bpfam_err(err, -rc, "%s: its driver: %s", path,
				 strerror(-rc));
	if (*bound && strcmp(drv, "device_dax"))
		return bpfam_err(
			err, EBUSY,
			"%s: bound to driver %s, not device_dax (daxctl "
			"reconfigure-device --mode=devdax first)",
			path, drv);
	return 0;
}

/* The switch itself, under the switch lock. */
static int switch_locked(const char *root, const char *path, const char *name,
			 bool lend, uint64_t off, struct bpfam_err *err)
{
	char value[32], before[32], attr[PATH_MAX];
	const char *step = "unbinding it from device_dax";
	struct bpfam_lend old;
	const char *dummy;
	bool bound = false;
	int rc;

	/* What to put back on a failure, read now that no switch runs. */
	rc = bpfam_lend_read(root, name, &old, err);
	if (!rc)
		rc = may_switch(root, path, name, &bound, err);
	if (rc)
		return rc;
	snprintf(value, sizeof(value), lend ? "%" PRIu64 : "none", off);
	snprintf(before, sizeof(before), old.lent ? "%" PRIu64 : "none",
		 old.off);
	pathf(attr, "%s" DAX_DRIVER "/unbind", root);
	rc = bound ? write_attr(attr, name) : 0;
	if (!rc)
		rc = write_and_bind(root, path, name, value, &step);
	if (!rc)
		return 0;
	/* Put back what was there, bound as it was found: best effort. */
	if (bound && strcmp(step, "unbinding it from device_dax")) {
		write_attr(attr, name);
		write_and_bind(root, path, name, before, &dummy);
	}
	return bpfam_err(err, -rc, "%s: cannot %s: %s: %s", path,
			 lend ? "lend it to the kernel" : "give it back", step,
			 strerror(-rc));
}

int bpfam_lend_set(const char *root, const char *path, const char *name,
		   bool lend, uint64_t off, struct bpfam_err *err)
{
	struct bpfam_lend now;
	int rc, lock = bpfam_lend_lock(root, name, true);

	if (lock == -ENOENT) {
		/* No attribute: a stock kernel, or no device-dax at all. */
		rc = bpfam_lend_read(root, name, &now, err);
		if (rc == -ENOENT)
			return bpfam_err(
				err, EOPNOTSUPP,
				"%s: this kernel cannot lend device-dax memory "
				"(no %s/%s/lend; needs the kpatch/ series)",
				path, DAX_DEVICES, name);
		if (rc)
			return rc;
	}
	if (lock < 0)
		return bpfam_err(
			err, -lock,
			"%s: cannot take its switch lock (%s/%s/lend): %s",
			path, DAX_DEVICES, name, strerror(-lock));
	rc = switch_locked(root, path, name, lend, off, err);
	close(lock);
	return rc;
}
