// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "xattrs.h"

#define PREFIX_LEN   (sizeof(BPFAM_XATTR_PREFIX) - 1)
#define RESERVED_LEN (sizeof(BPFAM_XATTR_RESERVED) - 1)

int bpfam_xattr_name_check(const char *name)
{
	size_t len = strlen(name);

	if (strncmp(name, BPFAM_XATTR_PREFIX, PREFIX_LEN))
		return -EOPNOTSUPP;
	if (len > BPFAM_NAME_MAX)
		return -ERANGE;
	if (len == PREFIX_LEN)
		return -EINVAL;
	if (!strncmp(name, BPFAM_XATTR_RESERVED, RESERVED_LEN))
		return -EPERM;
	return 0;
}

static uint32_t cost(const char *name, uint32_t value_len)
{
	return (uint32_t)strlen(name) + 1 + value_len;
}

/* Where @name is in @xs, or would go: *@found says which. */
static uint32_t find(const struct bpfam_xattrs *xs, const char *name,
		     bool *found)
{
	uint32_t lo = 0, hi = xs ? xs->n : 0, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(xs->v[mid].name, name);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct bpfam_xattr *bpfam_xattrs_get(const struct bpfam_xattrs *xs,
					   const char *name)
{
	bool found;
	uint32_t i = find(xs, name, &found);

	return found ? &xs->v[i] : NULL;
}

bool bpfam_xattrs_fit(const struct bpfam_xattrs *xs, const char *name,
		      uint32_t value_len)
{
	const struct bpfam_xattr *x = bpfam_xattrs_get(xs, name);
	uint64_t bytes = xs ? xs->bytes : 0;

	if (x)
		bytes -= cost(x->name, x->value_len);
	return bytes + strlen(name) + 1 + value_len <= BPFAM_XATTRS_MAX;
}

/* One allocation: the name, its NUL, the value. */
static int make(struct bpfam_xattr *x, const char *name, const void *value,
		uint32_t value_len)
{
	size_t len = strlen(name);

	x->name = malloc(len + 1 + value_len);
	if (!x->name)
		return -ENOMEM;
	memcpy(x->name, name, len + 1);
	if (value_len)
		memcpy(x->name + len + 1, value, value_len);
	x->value = (const uint8_t *)x->name + len + 1;
	x->value_len = value_len;
	return 0;
}

static int grow(struct bpfam_xattrs *xs)
{
	struct bpfam_xattr *v;
	uint32_t cap;

	if (xs->n < xs->cap)
		return 0;
	cap = xs->cap ? xs->cap * 2 : 4;
	v = realloc(xs->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	xs->v = v;
	xs->cap = cap;
	return 0;
}

int bpfam_xattrs_set(struct bpfam_xattrs **xsp, const char *name,
		     const void *value, uint32_t value_len)
{
	struct bpfam_xattrs *xs = *xsp;
	struct bpfam_xattr x;
	bool found;
	uint32_t i;

	if (!bpfam_xattrs_fit(xs, name, value_len))
		return -ENOSPC;
	if (!xs) {
		xs = calloc(1, sizeof(*xs));
		if (!xs)
			return -ENOMEM;
	}
	i = find(xs, name, &found);
	if ((!found && grow(xs)) || make(&x, name, value, value_len)) {
		if (!*xsp)
			bpfam_xattrs_free(xs);
		return -ENOMEM;
	}
	if (found) {
		xs->bytes -= cost(xs->v[i].name, xs->v[i].value_len);
		free(xs->v[i].name);
	} else {
		memmove(&xs->v[i + 1], &xs->v[i], (xs->n - i) * sizeof(x));
		xs->n++;
	}
	xs->v[i] = x;
	xs->bytes += cost(name, value_len);
	*xsp = xs;
	return 0;
}

int bpfam_xattrs_remove(struct bpfam_xattrs **xsp, const char *name)
{
	struct bpfam_xattrs *xs = *xsp;
	bool found;
	uint32_t i = find(xs, name, &found);

	if (!found)
		return -ENODATA;
	xs->bytes -= cost(xs->v[i].name, xs->v[i].value_len);
	free(xs->v[i].name);
	memmove(&xs->v[i], &xs->v[i + 1], (xs->n - i - 1) * sizeof(xs->v[0]));
	if (!--xs->n) {
		bpfam_xattrs_free(xs);
		*xsp = NULL;
	}
	return 0;
}

size_t bpfam_xattrs_list(const struct bpfam_xattrs *xs, char *buf, size_t size)
{
	size_t len = 0, n;
	uint32_t i;

	for (i = 0; xs && i < xs->n; i++)
		len += strlen(xs->v[i].name) + 1;
	if (size < len)
		return len;
	for (i = 0; xs && i < xs->n; i++) {
		n = strlen(xs->v[i].name) + 1;
		memcpy(buf, xs->v[i].name, n);
		buf += n;
	}
	return len;
}

void bpfam_xattrs_free(struct bpfam_xattrs *xs)
{
	uint32_t i;

	if (!xs)
		return;
	for (i = 0; i < xs->n; i++)
		free(xs->v[i].name);
	free(xs->v);
	free(xs);
}

/* ---- playing XATTR records ------------------------------------------- */

#define BAD(r, fmt, ...)                                                       \
	bpfam_err(err, EBADMSG, "%s: log record %llu (%s): " fmt,              \
		  fs->dev.path, (unsigned long long)(r)->seq,                  \
		  bpfam_record_type_name((r)->type), ##__VA_ARGS__)

static bool may_have_xattrs(const struct bpfam_inode *in)
{
	return S_ISREG(in->mode) || S_ISDIR(in->mode);
}

int bpfam_fs_play_xattr(struct bpfam_fs *fs, const struct bpfam_record *r,
			struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, r->xattr.ino);
	const char *name = r->xattr.name;
	int rc;

	if (!in)
		return BAD(r, "'%s' of inode %llu, which does not exist", name,
			   (unsigned long long)r->xattr.ino);
	if (!may_have_xattrs(in))
		return BAD(r,
			   "'%s' of inode %llu ('%s'), mode 0%o: only files "
			   "and directories have user.* attributes",
			   name, (unsigned long long)in->ino,
			   bpfam_inode_name(in), in->mode);
	if (bpfam_xattr_name_check(name))
		return BAD(r,
			   "'%s' of inode %llu: not a name bpfam stores "
			   "(user.*, not user.bpfam.*)",
			   name, (unsigned long long)in->ino);
	if (r->xattr.flags & BPFAM_XATTR_REMOVE) {
		if (bpfam_xattrs_remove(&in->xattrs, name))
			return BAD(r,
				   "removes '%s' of inode %llu ('%s'), which "
				   "it does not have",
				   name, (unsigned long long)in->ino,
				   bpfam_inode_name(in));
	} else {
		rc = bpfam_xattrs_set(&in->xattrs, name, r->xattr.value,
				      r->xattr.value_len);
		if (rc == -ENOSPC)
			return BAD(r,
				   "'%s' (%u bytes) takes the attributes of "
				   "inode %llu ('%s') past %u bytes",
				   name, r->xattr.value_len,
				   (unsigned long long)in->ino,
				   bpfam_inode_name(in), BPFAM_XATTRS_MAX);
		if (rc)
			return bpfam_err(err, ENOMEM, "%s: out of memory",
					 fs->dev.path);
	}
	in->ctime_ns = r->xattr.time_ns;
	return 0;
}

/* ---- the metadata writer --------------------------------------------- */

/* The inode @ino, if it may have attribute @name. */
static int target(struct bpfam_fs *fs, uint64_t ino, const char *name,
		  struct bpfam_inode **out, struct bpfam_err *err)
{
	struct bpfam_inode *in = bpfam_fs_inode(fs, ino);
	int rc;

	if (!in)
		return bpfam_err(err, ENOENT, "inode %llu: no such inode",
				 (unsigned long long)ino);
	if (!may_have_xattrs(in))
		return bpfam_err(err, EPERM,
				 "'%s': only files and directories have user.* "
				 "attributes",
				 bpfam_inode_name(in));
	rc = bpfam_xattr_name_check(name);
	switch (rc) {
	case -EOPNOTSUPP:
		return bpfam_err(err, EOPNOTSUPP,
				 "'%s': only user.* attributes are supported",
				 bpfam_inode_name(in));
	case -ERANGE:
		return bpfam_err(err, ERANGE,
				 "'%s': attribute name longer than %u bytes",
				 bpfam_inode_name(in), BPFAM_NAME_MAX);
	case -EINVAL:
		return bpfam_err(err, EINVAL, "'%s': empty attribute name",
				 bpfam_inode_name(in));
	case -EPERM:
		return bpfam_err(
			err, EPERM,
			"'%s': %s* is reserved for bpfam's control interface",
			bpfam_inode_name(in), BPFAM_XATTR_RESERVED);
	}
	*out = in;
	return 0;
}

int bpfam_fs_setxattr(struct bpfam_fs *fs, uint64_t ino, const char *name,
		      const void *value, size_t size, int flags,
		      struct bpfam_err *err)
{
	struct bpfam_record r = {.type = BPFAM_REC_XATTR};
	const struct bpfam_xattr *x;
	struct bpfam_inode *in;
	int rc;

	rc = target(fs, ino, name, &in, err);
	if (rc)
		return rc;
	if (size > BPFAM_XATTR_VALUE_MAX)
		return bpfam_err(err, E2BIG,
				 "'%s': a value of %zu bytes for %s (max %u)",
				 bpfam_inode_name(in), size, name,
				 BPFAM_XATTR_VALUE_MAX);
	x = bpfam_xattrs_get(in->xattrs, name);
	if (x && flags & BPFAM_XATTR_CREATE)
		return bpfam_err(err, EEXIST, "'%s': %s already exists",
				 bpfam_inode_name(in), name);
	if (!x && flags & BPFAM_XATTR_REPLACE)
		return bpfam_err(err, ENODATA, "'%s': no attribute %s",
				 bpfam_inode_name(in), name);
	if (!bpfam_xattrs_fit(in->xattrs, name, (uint32_t)size))
		return bpfam_err(err, ENOSPC,
				 "'%s': %s of %zu bytes would take its "
				 "attributes past %u bytes",
				 bpfam_inode_name(in), name, size,
				 BPFAM_XATTRS_MAX);
	r.xattr.ino = ino;
	r.xattr.time_ns = bpfam_now_ns();
	r.xattr.name_len = (uint32_t)strlen(name);
	memcpy(r.xattr.name, name, r.xattr.name_len);
	r.xattr.value_len = (uint32_t)size;
	r.xattr.value = value;
	return bpfam_fs_commit(fs, &r, err);
}

int bpfam_fs_removexattr(struct bpfam_fs *fs, uint64_t ino, const char *name,
			 struct bpfam_err *err)
{
	struct bpfam_record r = {.type = BPFAM_REC_XATTR};
	struct bpfam_inode *in;
	int rc;

	rc = target(fs, ino, name, &in, err);
	if (rc)
		return rc;
	if (!bpfam_xattrs_get(in->xattrs, name))
		return bpfam_err(err, ENODATA, "'%s': no attribute %s",
				 bpfam_inode_name(in), name);
	r.xattr.ino = ino;
	r.xattr.time_ns = bpfam_now_ns();
	r.xattr.flags = BPFAM_XATTR_REMOVE;
	r.xattr.name_len = (uint32_t)strlen(name);
	memcpy(r.xattr.name, name, r.xattr.name_len);
	return bpfam_fs_commit(fs, &r, err);
}
