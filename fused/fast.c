// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/fmap_ops.skel.h"
#include "fast.h"
#include "fmap_uapi.h"
#include "mountinfo.h"

static int why_not(struct bpfamd *d, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* d->mode_reason = "<what>: <strerror(e)>"; returns -e. */
static int why_not(struct bpfamd *d, int e, const char *fmt, ...)
{
	size_t len = sizeof(d->mode_reason);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->mode_reason, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		snprintf(d->mode_reason + n, len - n, ": %s", strerror(e));
	return -e;
}

/*
 * The patched kernel registers the struct_ops type at boot: its BTF says.
 * Asked twice at start-up (lending, then the mode): parsed once.
 */
bool bpfamd_fast_kernel(void)
{
	static int known = -1;
	struct btf *btf;
	int id;

	if (known >= 0)
		return known;
	btf = btf__load_vmlinux_btf();
	id = btf ? btf__find_by_name_kind(btf, "fuse_fmap_ops",
					  BTF_KIND_STRUCT) :
		   -1;
	btf__free(btf);
	known = id > 0;
	return known;
}

int bpfamd_fast_check(struct bpfamd *d)
{
	const char *why = NULL;

	if (!bpfamd_fast_kernel())
		why = "this kernel has no fuse_fmap_ops (needs the kpatch/ "
		      "series)";
	else if (!d->fs.dev.devdax)
		why = "device is a regular file (emulation)";
	else if (!d->maps.skel)
		return -1; /* mount_fs() put the reason in d->mode_reason */
	if (!why)
		return 0;
	snprintf(d->mode_reason, sizeof(d->mode_reason), "%s", why);
	return -1;
}

/*
 * The fd to register the device with: a read-only mount never stores to
 * it through the kernel, so it registers the device read-only (and stays
 * so if remounted read-write: unmount and mount again).
 */
static int kernel_fd(const struct bpfamd *d)
{
	struct bpfam_mountinfo mi;

	if (bpfam_mountinfo_at(d->mountpoint, &mi) || !mi.readonly)
		return dup(d->fs.dev.fd);
	return open(d->dax_path, O_RDONLY | O_CLOEXEC);
}

/* The connection holds the device from now until it is aborted. */
static int register_device(struct bpfamd *d, int fuse_fd)
{
	struct fuse_daxdev_map map = {.fd = kernel_fd(d)};
	int id, e, rc;

	if (map.fd < 0)
		return why_not(d, errno, "%s: cannot open it to register it",
			       d->device);
	id = ioctl(fuse_fd, FUSE_DEV_IOC_DAXDEV_OPEN, &map);
	e = errno;
	close(map.fd); /* the connection holds the device itself */
	if (id < 0)
		return why_not(d, e, "%s: cannot register it with FUSE%s",
			       d->device,
			       e == EPERM ? " (needs CAP_SYS_RAWIO in the "
					    "initial user namespace)" :
					    "");
	d->kernel_dev = id; /* zeroing a lent range names it (lending.c) */
	rc = bpfamd_maps_set_kernel_id(&d->maps, 0, id);
	if (rc)
		return why_not(d, -rc, "cannot set the device's kernel id");
	return 0;
}

/*
 * bpftool's skeleton gives a struct_ops' char array no usable member, so
 * the name goes into the map's initial value at the offset the object's
 * BTF gives it.
 */
static int set_name(struct fmap_ops *skel, const char *name)
{
	const struct btf *btf = bpf_object__btf(skel->obj);
	const struct btf_member *m;
	const struct btf_type *t;
	size_t size, off;
	char *data;
	int id, i;

	data = bpf_map__initial_value(skel->maps.bpfam_fmap_ops, &size);
	id = btf__find_by_name_kind(btf, "fuse_fmap_ops", BTF_KIND_STRUCT);
	if (!data || id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), "name"))
			continue;
		off = btf_member_bit_offset(t, i) / 8;
		if (off > size || size - off < FUSE_FMAP_NAME_MAX)
			return -EINVAL;
		memcpy(data + off, name, FUSE_FMAP_NAME_MAX);
		return 0;
	}
	return -ENOENT;
}

/*
 * The link registers the resolver under a name unique on this machine: one
 * daemon per filesystem publishes maps here (maps.c), so the filesystem's
 * UUID names it.  The ioctl on our /dev/fuse fd binds it to our
 * connection.  Either going away (the link fd closed, the connection
 * aborted) unbinds it.  fuse_daemonize()'s fork afterwards keeps both the
 * connection and the link fd.
 */
static int attach_resolver(struct bpfamd *d, int fuse_fd)
{
	struct fmap_ops *skel = fmap_ops__open();
	struct fuse_fmap_attach attach = {0};
	char uuid[37];
	int rc;

	if (!skel)
		return why_not(d, errno, "cannot open the fmap_ops program");
	rc = bpfamd_maps_reuse(&d->maps, skel->obj);
	if (rc) {
		why_not(d, -rc, "cannot reuse the published maps");
		goto destroy;
	}
	uuid_unparse_lower(d->fs.sb.uuid, uuid);
	snprintf(attach.name, sizeof(attach.name), "bpfam-%.8s", uuid);
	rc = set_name(skel, attach.name);
	if (rc) {
		why_not(d, -rc, "cannot name the fmap_ops resolver");
		goto destroy;
	}
	bpfamd_log_libbpf_hold();
	rc = fmap_ops__load(skel);
	bpfamd_log_libbpf_release(rc != 0);
	if (rc) {
		why_not(d, -rc, "cannot load the fmap_ops program");
		goto destroy;
	}
	d->fast_link = bpf_map__attach_struct_ops(skel->maps.bpfam_fmap_ops);
	if (!d->fast_link) {
		rc = why_not(d, errno, "cannot register fuse_fmap_ops");
		goto destroy;
	}
	if (ioctl(fuse_fd, FUSE_DEV_IOC_FMAP_ATTACH, &attach)) {
		rc = why_not(d, errno, "cannot attach resolver %s",
			     attach.name);
		goto unlink;
	}
	d->fast_skel = skel;
	return 0;
unlink:
	bpf_link__destroy(d->fast_link);
	d->fast_link = NULL;
destroy:
	fmap_ops__destroy(skel);
	return rc;
}

int bpfamd_fast_start(struct bpfamd *d, struct fuse_session *se)
{
	int fuse_fd = fuse_session_fd(se);
	int rc;

	if (!d->fmap_agreed)
		return why_not(d, EPERM,
			       "the kernel did not offer FUSE_FMAP (a mount "
			       "outside the initial user namespace?)");
	rc = register_device(d, fuse_fd);
	if (!rc)
		rc = attach_resolver(d, fuse_fd);
	d->fast = !rc;
	return rc;
}

void bpfamd_fast_stop(struct bpfamd *d)
{
	if (!d->fast_skel)
		return;
	bpf_link__destroy(d->fast_link);
	fmap_ops__destroy(d->fast_skel);
	d->fast_link = NULL;
	d->fast_skel = NULL;
}
