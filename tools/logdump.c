// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam logdump: every record of the metadata log as it is on the media,
 * decoded but not played, so that a log fsck rejects can still be read up
 * to its first bad record.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmd.h"
#include "json.h"
#include "log.h"
#include "logend.h"
#include "offline.h"
#include "record.h"

#define NAME "logdump"

/* Names may hold any byte but '/' and NUL: keep one record to one line. */
static void print_name(const char *name)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (isprint(*p))
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
	putchar('"');
}

static void text_mknod(const struct bpfam_record *r)
{
	printf(" ino %llu parent %llu mode 0%o uid %u gid %u mtime_ns %llu "
	       "name ",
	       (unsigned long long)r->mknod.ino,
	       (unsigned long long)r->mknod.parent, r->mknod.mode, r->mknod.uid,
	       r->mknod.gid, (unsigned long long)r->mknod.mtime_ns);
	print_name(r->mknod.name);
	if (r->mknod.rdev)
		printf(" rdev 0x%x", r->mknod.rdev);
	if (r->mknod.target_len) {
		printf(" target ");
		print_name(r->mknod.target);
	}
}

static void text_rename(const struct bpfam_record *r)
{
	printf(" ino %llu parent %llu name ", (unsigned long long)r->rename.ino,
	       (unsigned long long)r->rename.src_parent);
	print_name(r->rename.src_name);
	printf(" to parent %llu name ",
	       (unsigned long long)r->rename.dst_parent);
	print_name(r->rename.dst_name);
	if (r->rename.victim)
		printf(" %s %llu",
		       r->rename.flags & BPFAM_RENAME_EXCHANGE ? "exchange" :
								 "replacing",
		       (unsigned long long)r->rename.victim);
	printf(" time_ns %llu", (unsigned long long)r->rename.time_ns);
}

/* LINK and UNLINK. */
static void text_link(const struct bpfam_record *r)
{
	printf(" ino %llu parent %llu time_ns %llu name ",
	       (unsigned long long)r->link.ino,
	       (unsigned long long)r->link.parent,
	       (unsigned long long)r->link.time_ns);
	print_name(r->link.name);
}

static void text_fmap(const struct bpfam_record *r)
{
	const struct bpfam_fmap *m = &r->fmap.map;
	uint32_t i;

	printf(" ino %llu size %llu", (unsigned long long)r->fmap.ino,
	       (unsigned long long)m->size);
	if (m->kind == BPFAM_FMAP_INTERLEAVED)
		printf(" interleaved chunk %llu strips %u:",
		       (unsigned long long)m->chunk, m->nr);
	else
		printf(" simple extents %u:", m->nr);
	for (i = 0; i < m->nr; i++)
		printf(" %u:%llu+%llu", m->ext[i].dev,
		       (unsigned long long)m->ext[i].dev_off,
		       (unsigned long long)m->ext[i].len);
}

/* The fields a setattr record carries, by valid bit, as text and JSON
 * name them. */
static const struct {
	uint32_t bit;
	const char *name;
} attr_fields[] = {
	{BPFAM_ATTR_MODE, "mode"},	{BPFAM_ATTR_UID, "uid"},
	{BPFAM_ATTR_GID, "gid"},	{BPFAM_ATTR_MTIME, "mtime_ns"},
	{BPFAM_ATTR_ATIME, "atime_ns"}, {BPFAM_ATTR_CTIME, "ctime_ns"},
	{BPFAM_ATTR_SIZE, "size"},
};

static uint64_t attr_value(const struct bpfam_record *r, uint32_t bit)
{
	switch (bit) {
	case BPFAM_ATTR_MODE:
		return r->setattr.mode;
	case BPFAM_ATTR_UID:
		return r->setattr.uid;
	case BPFAM_ATTR_GID:
		return r->setattr.gid;
	case BPFAM_ATTR_MTIME:
		return r->setattr.mtime_ns;
	case BPFAM_ATTR_ATIME:
		return r->setattr.atime_ns;
	case BPFAM_ATTR_CTIME:
		return r->setattr.ctime_ns;
	}
	return r->setattr.size;
}

static void text_setattr(const struct bpfam_record *r)
{
	size_t i;

	printf(" ino %llu", (unsigned long long)r->setattr.ino);
	for (i = 0; i < sizeof(attr_fields) / sizeof(attr_fields[0]); i++) {
		if (!(r->setattr.valid & attr_fields[i].bit))
			continue;
		printf(attr_fields[i].bit == BPFAM_ATTR_MODE ? " %s 0%llo" :
							       " %s %llu",
		       attr_fields[i].name,
		       (unsigned long long)attr_value(r, attr_fields[i].bit));
	}
}

/* The name and the value's length: values may be 60 KiB of anything. */
static void text_xattr(const struct bpfam_record *r)
{
	bool rm = r->xattr.flags & BPFAM_XATTR_REMOVE;

	printf(" ino %llu %s ", (unsigned long long)r->xattr.ino,
	       rm ? "remove" : "set");
	print_name(r->xattr.name);
	if (!rm)
		printf(" value_len %u", r->xattr.value_len);
	printf(" time_ns %llu", (unsigned long long)r->xattr.time_ns);
}

/* A type from a later bpfam, which decoded because it is optional. */
static bool unknown_type(const struct bpfam_record *r)
{
	return !strcmp(bpfam_record_type_name(r->type), "?");
}

static void print_text(const struct bpfam_record *r, uint64_t off)
{
	printf("%llu @%llu ", (unsigned long long)r->seq,
	       (unsigned long long)off);
	if (unknown_type(r))
		printf("type %u (unknown, optional: skipped) len %u", r->type,
		       r->len);
	else
		printf("%s", bpfam_record_type_name(r->type));
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		text_mknod(r);
		break;
	case BPFAM_REC_FMAP:
		text_fmap(r);
		break;
	case BPFAM_REC_SETATTR:
		text_setattr(r);
		break;
	case BPFAM_REC_DELETE:
		printf(" ino %llu parent %llu", (unsigned long long)r->del.ino,
		       (unsigned long long)r->del.parent);
		break;
	case BPFAM_REC_RECLAIM:
		printf(" upto %llu", (unsigned long long)r->reclaim.upto);
		break;
	case BPFAM_REC_RENAME:
		text_rename(r);
		break;
	case BPFAM_REC_LINK:
	case BPFAM_REC_UNLINK:
		text_link(r);
		break;
	case BPFAM_REC_XATTR:
		text_xattr(r);
		break;
	}
	putchar('\n');
}

static void json_mknod(json_object *o, const struct bpfam_record *r)
{
	bpfam_json_u64(o, "ino", r->mknod.ino);
	bpfam_json_u64(o, "parent", r->mknod.parent);
	bpfam_json_u64(o, "mode", r->mknod.mode);
	bpfam_json_u64(o, "uid", r->mknod.uid);
	bpfam_json_u64(o, "gid", r->mknod.gid);
	bpfam_json_u64(o, "mtime_ns", r->mknod.mtime_ns);
	json_object_object_add(o, "name",
			       json_object_new_string(r->mknod.name));
	if (r->mknod.rdev)
		bpfam_json_u64(o, "rdev", r->mknod.rdev);
	if (r->mknod.target_len)
		json_object_object_add(o, "target",
				       json_object_new_string(r->mknod.target));
}

static void json_rename(json_object *o, const struct bpfam_record *r)
{
	bpfam_json_u64(o, "ino", r->rename.ino);
	bpfam_json_u64(o, "parent", r->rename.src_parent);
	json_object_object_add(o, "name",
			       json_object_new_string(r->rename.src_name));
	bpfam_json_u64(o, "new_parent", r->rename.dst_parent);
	json_object_object_add(o, "new_name",
			       json_object_new_string(r->rename.dst_name));
	bpfam_json_u64(o, "victim", r->rename.victim);
	json_object_object_add(o, "exchange",
			       json_object_new_boolean(r->rename.flags &
						       BPFAM_RENAME_EXCHANGE));
	bpfam_json_u64(o, "time_ns", r->rename.time_ns);
}

static void json_fmap(json_object *o, const struct bpfam_record *r)
{
	const struct bpfam_fmap *m = &r->fmap.map;
	json_object *exts = json_object_new_array(), *e;
	uint32_t i;

	bpfam_json_u64(o, "ino", r->fmap.ino);
	bpfam_json_u64(o, "size", m->size);
	json_object_object_add(
		o, "kind",
		json_object_new_string(m->kind == BPFAM_FMAP_INTERLEAVED ?
					       "interleaved" :
					       "simple"));
	bpfam_json_u64(o, "chunk", m->chunk);
	for (i = 0; i < m->nr; i++) {
		e = json_object_new_object();
		bpfam_json_u64(e, "dev", m->ext[i].dev);
		bpfam_json_u64(e, "offset", m->ext[i].dev_off);
		bpfam_json_u64(e, "len", m->ext[i].len);
		json_object_array_add(exts, e);
	}
	json_object_object_add(o, "extents", exts);
}

static void json_setattr(json_object *o, const struct bpfam_record *r)
{
	size_t i;

	bpfam_json_u64(o, "ino", r->setattr.ino);
	for (i = 0; i < sizeof(attr_fields) / sizeof(attr_fields[0]); i++)
		if (r->setattr.valid & attr_fields[i].bit)
			bpfam_json_u64(o, attr_fields[i].name,
				       attr_value(r, attr_fields[i].bit));
}

static void json_xattr(json_object *o, const struct bpfam_record *r)
{
	bool rm = r->xattr.flags & BPFAM_XATTR_REMOVE;

	bpfam_json_u64(o, "ino", r->xattr.ino);
	json_object_object_add(o, "op",
			       json_object_new_string(rm ? "remove" : "set"));
	json_object_object_add(o, "name",
			       json_object_new_string(r->xattr.name));
	if (!rm)
		bpfam_json_u64(o, "value_len", r->xattr.value_len);
	bpfam_json_u64(o, "time_ns", r->xattr.time_ns);
}

static json_object *to_json(const struct bpfam_record *r, uint64_t off)
{
	json_object *o = json_object_new_object();

	bpfam_json_u64(o, "seq", r->seq);
	bpfam_json_u64(o, "offset", off);
	json_object_object_add(
		o, "type",
		json_object_new_string(
			unknown_type(r) ? "unknown" :
					  bpfam_record_type_name(r->type)));
	if (unknown_type(r)) {
		bpfam_json_u64(o, "type_number", r->type);
		bpfam_json_u64(o, "len", r->len);
	}
	if (r->flags & BPFAM_REC_F_OPTIONAL)
		json_object_object_add(o, "optional",
				       json_object_new_boolean(true));
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		json_mknod(o, r);
		break;
	case BPFAM_REC_FMAP:
		json_fmap(o, r);
		break;
	case BPFAM_REC_SETATTR:
		json_setattr(o, r);
		break;
	case BPFAM_REC_DELETE:
		bpfam_json_u64(o, "ino", r->del.ino);
		bpfam_json_u64(o, "parent", r->del.parent);
		break;
	case BPFAM_REC_RECLAIM:
		bpfam_json_u64(o, "upto", r->reclaim.upto);
		break;
	case BPFAM_REC_RENAME:
		json_rename(o, r);
		break;
	case BPFAM_REC_LINK:
	case BPFAM_REC_UNLINK:
		bpfam_json_u64(o, "ino", r->link.ino);
		bpfam_json_u64(o, "parent", r->link.parent);
		bpfam_json_u64(o, "time_ns", r->link.time_ns);
		json_object_object_add(o, "name",
				       json_object_new_string(r->link.name));
		break;
	case BPFAM_REC_XATTR:
		json_xattr(o, r);
		break;
	}
	return o;
}

/*
 * Print each record as it is read (text) or collect it (@array), up to the
 * end or the first bad record; then check what follows the end.
 */
static int dump(struct bpfam_log *log, json_object *array,
		struct bpfam_err *err)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	uint64_t off;
	int rc;

	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory",
				 log->dev->path);
	for (;;) {
		off = log->base + log->tail;
		rc = bpfam_log_next(log, r, err);
		if (rc != 1)
			break;
		if (array)
			json_object_array_add(array, to_json(r, off));
		else
			print_text(r, off);
	}
	free(r);
	if (rc)
		return rc;
	return bpfam_log_check_end(log, err);
}

static int run(const char *device, bool json)
{
	json_object *array = json ? json_object_new_array() : NULL;
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_log log;
	struct bpfam_err err;
	int rc;

	rc = bpfam_device_open(&dev, device, BPFAM_OPEN_RDONLY, &err);
	if (rc)
		goto out;
	rc = bpfam_sb_read(&dev, &sb, &err);
	if (!rc) {
		bpfam_log_init(&log, &dev, &sb);
		rc = dump(&log, array, &err);
	}
	bpfam_device_close(&dev);
out:
	if (array)
		puts(json_object_to_json_string_ext(
			array, JSON_C_TO_STRING_PRETTY |
				       JSON_C_TO_STRING_SPACED |
				       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(array);
	if (!rc)
		return EXIT_OK;
	cmd_error(NAME, "%s", err.msg);
	return EXIT_FAIL;
}

int cmd_logdump(int argc, char **argv)
{
	const char *device;
	bool json;
	int status;

	if (!offline_json_args(NAME, argc, argv, &json, &device, &status))
		return status;
	return run(device, json);
}
