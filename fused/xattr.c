// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <syslog.h>

#include <json-c/json.h>
#include <linux/fuse.h>
#include <uuid/uuid.h>

#include "json.h"
#include "keeper.h"
#include "log.h"
#include "nodes.h"
#include "session.h"
#include "units.h"
#include "xattr.h"
#include "xattrs.h"

#define XATTR_FMAP   "user.bpfam.fmap"
#define XATTR_LAYOUT "user.bpfam.layout"
#define XATTR_STATS  "user.bpfam.stats"

_Static_assert(XATTR_CREATE == BPFAM_XATTR_CREATE &&
		       XATTR_REPLACE == BPFAM_XATTR_REPLACE,
	       "setxattr(2) flags are passed to libbpfam as they are");

/* getxattr/listxattr: size 0 asks for the length only. */
static void reply_value(fuse_req_t req, const void *val, size_t len,
			size_t size)
{
	if (!size)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
}

static void get_fmap(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_inode *in;
	struct bpfam_fmap fm;
	int err = 0;

	/* A copy, as a read takes it (bpfamd.h). */
	pthread_rwlock_rdlock(&d->ns);
	in = bpfam_fs_inode(&d->fs, ino);
	if (!in)
		err = ENOENT;
	else if (!in->fmap)
		err = ENODATA;
	else
		memcpy(&fm, in->fmap, BPFAM_FMAP_BYTES(in->fmap->nr));
	pthread_rwlock_unlock(&d->ns);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	reply_value(req, &fm, BPFAM_FMAP_BYTES(fm.nr), size);
}

static struct json_object *requests_json(struct bpfamd *d)
{
	struct json_object *o = json_object_new_object();
	char other[16];
	const char *name;
	uint64_t n;
	unsigned int op;

	for (op = 0; op < BPFAMD_NR_OPCODES; op++) {
		n = __atomic_load_n(&d->requests[op], __ATOMIC_RELAXED);
		if (!n)
			continue;
		name = bpfamd_opcode_name(op);
		if (!name) {
			snprintf(other, sizeof(other), "opcode_%u", op);
			name = other;
		}
		bpfam_json_u64(o, name, n);
	}
	return o;
}

/* This host's slot as it last published it. */
static struct json_object *host_json(const struct bpfamd *d)
{
	const struct bpfam_slot_info *s = &d->host.slot;
	struct json_object *o = json_object_new_object();
	char id[37];

	bpfam_json_u64(o, "slot", s->index);
	json_object_object_add(
		o, "host_id",
		json_object_new_string(bpfam_host_id_format(s->host_id, id)));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	bpfam_json_u64(o, "heartbeat_ms", s->period_ms);
	bpfam_json_u64(o, "heartbeat", s->heartbeat);
	bpfam_json_u64(o, "played_seq", d->fs.log.next_seq - 1);
	bpfam_json_u64(o, "horizon", bpfam_fs_horizon(&d->fs));
	return o;
}

/* Whether this host still follows the log, and where it stopped if not. */
static struct json_object *follow_json(const struct bpfamd *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "following",
			       json_object_new_boolean(!d->stuck_seq));
	if (d->stuck_seq) {
		bpfam_json_u64(o, "stopped_at", d->stuck_seq);
		json_object_object_add(o, "reason",
				       json_object_new_string(d->stuck_msg));
	}
	return o;
}

static void add_fs_stats(struct json_object *o, struct bpfamd *d)
{
	const struct bpfam_fs *fs = &d->fs;

	pthread_mutex_lock(&d->lock);
	bpfam_json_u64(o, "files", fs->nfiles);
	bpfam_json_u64(o, "dirs", fs->ndirs);
	bpfam_json_u64(o, "bytes_used", bpfam_fs_bytes_used(fs));
	bpfam_json_u64(o, "bytes_free", bpfam_fs_bytes_free(fs));
	bpfam_json_u64(o, "log_used", fs->log.tail);
	bpfam_json_u64(o, "log_size", fs->log.size);
	bpfam_json_u64(o, "log_records", fs->log.next_seq - 1);
	/* How well group commit groups: records over flushes, per run. */
	bpfam_json_u64(o, "log_group_flushes",
		       d->grouped ? __atomic_load_n(&d->group.flushes,
						    __ATOMIC_RELAXED) :
				    0);
	bpfam_json_u64(o, "fmaps_published", d->maps.entries);
	bpfam_json_u64(o, "deleted_waiting", fs->norphans);
	bpfam_json_u64(o, "bytes_waiting_reclaim", fs->pending_bytes);
	bpfam_json_u64(o, "bytes_reclaimed", fs->reclaimed_bytes);
	json_object_object_add(o, "host", host_json(d));
	json_object_object_add(o, "follow", follow_json(d));
	json_object_object_add(o, "fenced",
			       d->fenced ? json_object_new_string(d->fence_msg) :
					   NULL);
	pthread_mutex_unlock(&d->lock);
}

/* What the BPF resolver counted: the kernel served these without us. */
static struct json_object *kernel_json(struct bpfamd *d)
{
	struct json_object *o = json_object_new_object();
	struct bpfam_counters c;

	bpfamd_maps_counters(&d->maps, &c);
	bpfam_json_u64(o, "reads", c.reads);
	bpfam_json_u64(o, "writes", c.writes);
	bpfam_json_u64(o, "faults", c.faults);
	bpfam_json_u64(o, "read_bytes", c.read_bytes);
	bpfam_json_u64(o, "write_bytes", c.write_bytes);
	/* Handed to the daemon: counted again in "daemon" when served. */
	bpfam_json_u64(o, "to_daemon", c.no_fmap + c.stale);
	bpfam_json_u64(o, "eof", c.eof);
	/* Failed with EIO (EROFS for rdonly) in the kernel. */
	bpfam_json_u64(o, "errors", c.rdonly + c.malformed + c.no_dev);
	return o;
}

/* READ and WRITE requests: files without an fmap, writes past EOF, and
 * everything in fallback mode. */
static struct json_object *daemon_json(struct bpfamd *d)
{
	struct json_object *o = json_object_new_object();

	bpfam_json_u64(o, "reads",
		__atomic_load_n(&d->requests[FUSE_READ], __ATOMIC_RELAXED));
	bpfam_json_u64(o, "writes",
		__atomic_load_n(&d->requests[FUSE_WRITE], __ATOMIC_RELAXED));
	bpfam_json_u64(o, "read_bytes",
		__atomic_load_n(&d->bytes_read, __ATOMIC_RELAXED));
	bpfam_json_u64(o, "write_bytes",
		__atomic_load_n(&d->bytes_written, __ATOMIC_RELAXED));
	return o;
}

static struct json_object *stats_json(struct bpfamd *d)
{
	struct json_object *o = json_object_new_object();
	char uuid[37];

	uuid_unparse_lower(d->fs.sb.uuid, uuid);
	json_object_object_add(
		o, "mode",
		json_object_new_string(d->fast ? "fast" : "fallback"));
	if (!d->fast)
		json_object_object_add(o, "mode_reason",
				       json_object_new_string(d->mode_reason));
	json_object_object_add(o, "role",
			       json_object_new_string(bpfamd_role_name(d)));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "device", json_object_new_string(d->device));
	json_object_object_add(o, "mountpoint",
			       json_object_new_string(d->mountpoint));
	json_object_object_add(
		o, "bpf_maps",
		d->maps.skel ? json_object_new_string(d->maps.dir) : NULL);
	json_object_object_add(o, "direct_io",
			       json_object_new_boolean(d->direct_io));
	json_object_object_add(o, "requests", requests_json(d));
	bpfam_json_u64(o, "bytes_read",
		__atomic_load_n(&d->bytes_read, __ATOMIC_RELAXED));
	bpfam_json_u64(o, "bytes_written",
		__atomic_load_n(&d->bytes_written, __ATOMIC_RELAXED));
	/* Reads and writes failed with EIO by a SIGBUS (memerr.c). */
	bpfam_json_u64(o, "memory_errors",
		__atomic_load_n(&d->memory_errors, __ATOMIC_RELAXED));
	json_object_object_add(o, "kernel", kernel_json(d));
	json_object_object_add(o, "daemon", daemon_json(d));
	add_fs_stats(o, d);
	return o;
}

static void get_stats(fuse_req_t req, size_t size)
{
	struct json_object *o = stats_json(bpfamd_of(req));
	const char *s =
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (s)
		reply_value(req, s, strlen(s), size);
	else
		fuse_reply_err(req, ENOMEM);
	json_object_put(o);
}

/* Callers on a client see what the primary has set, not a second ago's. */
static void follow(struct bpfamd *d)
{
	if (!bpfamd_primary(d))
		bpfamd_refresh(d);
}

/* A user.* attribute of the store (lib/xattrs.h). */
static void get_user(fuse_req_t req, fuse_ino_t ino, const char *name,
		     size_t size)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_inode *in;
	const struct bpfam_xattr *x;
	void *val = NULL;
	uint32_t len = 0;
	int err = 0;

	pthread_mutex_lock(&d->lock);
	follow(d);
	in = bpfam_fs_inode(&d->fs, ino);
	x = in ? bpfam_xattrs_get(in->xattrs, name) : NULL;
	if (!in)
		err = ENOENT;
	else if (!x)
		err = ENODATA;
	else if ((len = x->value_len) && size >= len && !(val = malloc(len)))
		err = ENOMEM;
	else if (val)
		memcpy(val, x->value, len);
	pthread_mutex_unlock(&d->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		reply_value(req, val, len, size);
	free(val);
}

/*
 * user.bpfam.* are the control names, served here; other user.* names are
 * the file's own attributes; other namespaces have none (set: EOPNOTSUPP).
 */
void bpfamd_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     size_t size)
{
	if (!strcmp(name, XATTR_FMAP))
		get_fmap(req, ino, size);
	else if (!strcmp(name, XATTR_STATS) && ino == FUSE_ROOT_ID)
		get_stats(req, size);
	else if (!bpfam_xattr_name_check(name))
		get_user(req, ino, name, size);
	else
		fuse_reply_err(req, ENODATA);
}

/* "strips=N,chunk=BYTES" (either order; chunk takes K/M/G suffixes). */
static int parse_layout(const char *value, size_t size, uint32_t *strips,
			uint64_t *chunk)
{
	char buf[128], *tok, *save, *end;
	unsigned long n = 0;
	uint64_t c = 0;

	if (size >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, value, size);
	buf[size] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "strips=", 7)) {
			n = strtoul(tok + 7, &end, 10);
			if (end == tok + 7 || *end)
				return -EINVAL;
		} else if (strncmp(tok, "chunk=", 6) ||
			   bpfam_parse_size(tok + 6, &c)) {
			return -EINVAL;
		}
	}
	if (!n || n > BPFAM_MAX_STRIPS || c < BPFAM_MIN_CHUNK ||
	    c > BPFAM_MAX_CHUNK || c % BPFAM_ALLOC_UNIT)
		return -EINVAL;
	*strips = n;
	*chunk = c;
	return 0;
}

static int set_layout(struct bpfamd *d, fuse_ino_t ino, const char *value,
		      size_t size)
{
	const struct bpfam_inode *in = bpfam_fs_inode(&d->fs, ino);
	struct bpfamd_node *n;
	uint32_t strips;
	uint64_t chunk;

	if (!in)
		return -ENOENT;
	if (!S_ISREG(in->mode))
		return -EISDIR;
	if (!bpfamd_primary(d))
		return -EROFS;
	if (in->fmap)
		return -EPERM;
	if (parse_layout(value, size, &strips, &chunk))
		return -EINVAL;
	n = bpfamd_node(d, ino);
	if (!n)
		return -ENOMEM;
	n->strips = strips;
	n->chunk = chunk;
	return 0;
}

/* -ESTALE from libbpfam: the device is no longer ours (docs/sharing.md). */
static void reply_change(fuse_req_t req, struct bpfamd *d, int rc,
			 const struct bpfam_err *err)
{
	if (rc == -ESTALE) {
		bpfamd_fence(d, err->msg);
		rc = -EIO;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc && d->debug && err->msg[0])
		bpfamd_log(LOG_DEBUG, "%s", err->msg);
	fuse_reply_err(req, -rc);
}

static void set_user(fuse_req_t req, fuse_ino_t ino, const char *name,
		     const char *value, size_t size, int flags)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	int rc;

	pthread_mutex_lock(&d->lock);
	rc = bpfamd_may_change(d);
	if (!rc)
		rc = bpfam_fs_setxattr(&d->fs, ino, name, value, size,
				       flags & (XATTR_CREATE | XATTR_REPLACE),
				       &err);
	reply_change(req, d, rc, &err);
}

void bpfamd_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     const char *value, size_t size, int flags)
{
	struct bpfamd *d = bpfamd_of(req);
	int rc;

	if (strcmp(name, XATTR_LAYOUT)) {
		/* user.bpfam.* but the layout: EPERM; not user.*:
		 * EOPNOTSUPP. */
		rc = bpfam_xattr_name_check(name);
		if (rc)
			fuse_reply_err(req, -rc);
		else
			set_user(req, ino, name, value, size, flags);
		return;
	}
	pthread_mutex_lock(&d->lock);
	rc = set_layout(d, ino, value, size);
	pthread_mutex_unlock(&d->lock);
	fuse_reply_err(req, -rc);
}

void bpfamd_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct bpfamd *d = bpfamd_of(req);
	struct bpfam_err err = {0};
	int rc = bpfam_xattr_name_check(name);

	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	pthread_mutex_lock(&d->lock);
	rc = bpfamd_may_change(d);
	if (!rc)
		rc = bpfam_fs_removexattr(&d->fs, ino, name, &err);
	reply_change(req, d, rc, &err);
}

/* The file's own user.* names: not the control names, which copying
 * tools (cp -a, rsync -X) must not copy. */
void bpfamd_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct bpfamd *d = bpfamd_of(req);
	const struct bpfam_inode *in;
	char *names = NULL;
	size_t len = 0;
	int err = 0;

	pthread_mutex_lock(&d->lock);
	follow(d);
	in = bpfam_fs_inode(&d->fs, ino);
	if (in)
		len = bpfam_xattrs_list(in->xattrs, NULL, 0);
	if (!in)
		err = ENOENT;
	else if (len && size >= len && !(names = malloc(len)))
		err = ENOMEM;
	else if (names)
		bpfam_xattrs_list(in->xattrs, names, len);
	pthread_mutex_unlock(&d->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		reply_value(req, names, len, size);
	free(names);
}
