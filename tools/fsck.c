// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam fsck: check a filesystem read-only by playing its whole log the way
 * a mount does, then checking what follows the log.  Playing stops at the
 * first bad record (nothing after it can be trusted), so there is at most
 * one problem to report, and it is reported precisely.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <uuid/uuid.h>

#include "cmd.h"
#include "fs.h"
#include "logend.h"
#include "offline.h"
#include "units.h"

#define NAME "fsck"

struct fsck {
	const char *device;
	struct bpfam_fs fs;
	bool opened; /* the superblock is valid: a summary can be given */
	bool bad;
	uint64_t records; /* records played before the end or the problem */
	struct bpfam_err err;
};

static void check(struct fsck *f)
{
	if (bpfam_fs_init(&f->fs, f->device, BPFAM_OPEN_RDONLY, &f->err)) {
		f->bad = true;
		return;
	}
	f->opened = true;
	if (bpfam_fs_refresh(&f->fs, &f->records, &f->err) ||
	    bpfam_log_check_end(&f->fs.log, &f->err))
		f->bad = true;
}

static double log_used_pct(const struct bpfam_fs *fs)
{
	return 100.0 * (double)fs->log.tail / (double)fs->log.size;
}

static void print_text(const struct fsck *f)
{
	const struct bpfam_fs *fs = &f->fs;
	char a[32], b[32];

	if (!f->opened)
		return;
	printf("%s: %s\n", f->device,
	       f->bad ? "DAMAGED (the counts below stop at the problem)" :
			"clean");
	offline_print_identity(stdout, &fs->sb);
	offline_print_field(stdout, "log",
			    "%s of %s used (%.1f%%), %llu records",
			    bpfam_fmt_size(fs->log.tail, a),
			    bpfam_fmt_size(fs->log.size, b), log_used_pct(fs),
			    (unsigned long long)f->records);
	offline_print_field(
		stdout, "data", "%s at offset %llu",
		bpfam_fmt_size(fs->sb.devs[0].size - fs->sb.data_off, a),
		(unsigned long long)fs->sb.data_off);
	offline_print_field(stdout, "used", "%s (%llu bytes)",
			    bpfam_fmt_size(bpfam_fs_bytes_used(fs), a),
			    (unsigned long long)bpfam_fs_bytes_used(fs));
	offline_print_field(stdout, "free", "%s (%llu bytes)",
			    bpfam_fmt_size(bpfam_fs_bytes_free(fs), a),
			    (unsigned long long)bpfam_fs_bytes_free(fs));
	offline_print_field(stdout, "files", "%llu",
			    (unsigned long long)fs->nfiles);
	offline_print_field(stdout, "dirs", "%llu (the root included)",
			    (unsigned long long)fs->ndirs);
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

static void add_summary(json_object *o, const struct fsck *f)
{
	const struct bpfam_fs *fs = &f->fs;
	char uuid[37], id[33];

	uuid_unparse(fs->sb.uuid, uuid);
	offline_hex(fs->sb.primary_id, sizeof(fs->sb.primary_id), id);
	add_str(o, "uuid", uuid);
	add_u64(o, "version", fs->sb.version);
	add_u64(o, "created", fs->sb.ctime);
	add_str(o, "primary_name", fs->sb.primary_name);
	add_str(o, "primary_id", id);
	add_u64(o, "device_size", fs->sb.devs[0].size);
	add_u64(o, "log_offset", fs->sb.log_off);
	add_u64(o, "log_size", fs->log.size);
	add_u64(o, "log_used", fs->log.tail);
	json_object_object_add(o, "log_used_pct",
			       json_object_new_double(log_used_pct(fs)));
	add_u64(o, "records", f->records);
	add_u64(o, "data_offset", fs->sb.data_off);
	add_u64(o, "data_size", fs->sb.devs[0].size - fs->sb.data_off);
	add_u64(o, "bytes_used", bpfam_fs_bytes_used(fs));
	add_u64(o, "bytes_free", bpfam_fs_bytes_free(fs));
	add_u64(o, "files", fs->nfiles);
	add_u64(o, "dirs", fs->ndirs);
}

static int print_json(const struct fsck *f)
{
	json_object *o = json_object_new_object();
	json_object *errors = json_object_new_array();

	if (!o || !errors) {
		cmd_error(NAME, "%s: out of memory", f->device);
		json_object_put(o);
		json_object_put(errors);
		return -1;
	}
	add_str(o, "device", f->device);
	json_object_object_add(o, "ok", json_object_new_boolean(!f->bad));
	if (f->bad)
		json_object_array_add(errors,
				      json_object_new_string(f->err.msg));
	json_object_object_add(o, "errors", errors);
	if (f->opened)
		add_summary(o, f);
	puts(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

int cmd_fsck(int argc, char **argv)
{
	struct fsck f;
	bool json;
	int status;

	memset(&f, 0, sizeof(f));
	if (!offline_json_args(NAME, argc, argv, &json, &f.device, &status))
		return status;
	check(&f);
	if (f.bad)
		cmd_error(NAME, "%s", f.err.msg);
	status = f.bad ? EXIT_FAIL : EXIT_OK;
	if (json) {
		if (print_json(&f))
			status = EXIT_FAIL;
	} else {
		print_text(&f);
	}
	if (f.opened)
		bpfam_fs_close(&f.fs);
	return status;
}
