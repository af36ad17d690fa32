// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam fsck: check a filesystem read-only by playing its whole log the way
 * a mount does, then checking what follows the log.  Playing stops at the
 * first bad record (nothing after it can be trusted), so there is at most
 * one problem to report, and it is reported precisely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <uuid/uuid.h>

#include "cmd.h"
#include "fs.h"
#include "json.h"
#include "logend.h"
#include "offline.h"
#include "slot.h"
#include "units.h"

#define NAME "fsck"

struct fsck {
	const char *device;
	struct bpfam_fs fs;
	bool opened; /* the superblock is valid: a summary can be given */
	bool bad;
	bool fenced; /* mkfs --force is replacing it: nothing to check */
	uint64_t records; /* records played before the end or the problem */
	uint64_t hosts;   /* registered in the host slots, torn ones too */
	uint64_t torn;    /* slots that do not checksum */
	uint64_t del_files, del_dirs; /* deleted, waiting for reclaim */
	struct bpfam_err err;
};

/* Registered hosts: informational, a slot is no part of the namespace. */
static void count_hosts(struct fsck *f)
{
	struct bpfam_slot_info *s = calloc(BPFAM_SLOTS_NR, sizeof(*s));
	uint32_t i, n;

	if (!s)
		return;
	n = bpfam_slots_registered(&f->fs.dev, &f->fs.sb, s);
	f->hosts = n;
	for (i = 0; i < n; i++)
		f->torn += bpfam_slot_torn(&s[i]);
	free(s);
}

static void count_deleted(struct fsck *f)
{
	uint64_t i;

	for (i = 0; i < f->fs.norphans; i++) {
		if (S_ISDIR(f->fs.orphans[i]->mode))
			f->del_dirs++;
		else
			f->del_files++;
	}
}

static void check(struct fsck *f)
{
	int rc = bpfam_fs_init(&f->fs, f->device, BPFAM_OPEN_RDONLY, &f->err);

	if (rc) {
		f->bad = true;
		f->fenced = rc == -ESTALE;
		return;
	}
	f->opened = true;
	if (bpfam_fs_refresh(&f->fs, &f->records, &f->err) ||
	    bpfam_log_check_end(&f->fs.log, &f->err))
		f->bad = true;
	count_deleted(f);
	count_hosts(f);
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
	offline_print_field(stdout, "deleted",
			    "%llu file%s, %llu dir%s: %s (%llu bytes) waiting for reclaim",
			    (unsigned long long)f->del_files,
			    f->del_files == 1 ? "" : "s",
			    (unsigned long long)f->del_dirs,
			    f->del_dirs == 1 ? "" : "s",
			    bpfam_fmt_size(fs->pending_bytes, a),
			    (unsigned long long)fs->pending_bytes);
	offline_print_field(stdout, "reclaimed", "%s (%llu bytes)",
			    bpfam_fmt_size(fs->reclaimed_bytes, a),
			    (unsigned long long)fs->reclaimed_bytes);
	offline_print_field(stdout, "generation", "%llu",
			    (unsigned long long)fs->sb.generation);
	if (!f->torn)
		offline_print_field(stdout, "hosts", "%llu registered",
				    (unsigned long long)f->hosts);
	else
		offline_print_field(stdout, "hosts",
				    "%llu registered, %llu of them in slots that do not checksum (they hold back every reclaim)",
				    (unsigned long long)f->hosts,
				    (unsigned long long)f->torn);
}

static void add_summary(json_object *o, const struct fsck *f)
{
	const struct bpfam_fs *fs = &f->fs;
	char uuid[37], id[33];

	uuid_unparse(fs->sb.uuid, uuid);
	offline_hex(fs->sb.primary_id, sizeof(fs->sb.primary_id), id);
	bpfam_json_str(o, "uuid", uuid);
	bpfam_json_u64(o, "version", fs->sb.version);
	bpfam_json_u64(o, "created", fs->sb.ctime);
	bpfam_json_str(o, "primary_name", fs->sb.primary_name);
	bpfam_json_str(o, "primary_id", id);
	bpfam_json_u64(o, "device_size", fs->sb.devs[0].size);
	bpfam_json_u64(o, "log_offset", fs->sb.log_off);
	bpfam_json_u64(o, "log_size", fs->log.size);
	bpfam_json_u64(o, "log_used", fs->log.tail);
	json_object_object_add(o, "log_used_pct",
			       json_object_new_double(log_used_pct(fs)));
	bpfam_json_u64(o, "records", f->records);
	bpfam_json_u64(o, "data_offset", fs->sb.data_off);
	bpfam_json_u64(o, "data_size", fs->sb.devs[0].size - fs->sb.data_off);
	bpfam_json_u64(o, "bytes_used", bpfam_fs_bytes_used(fs));
	bpfam_json_u64(o, "bytes_free", bpfam_fs_bytes_free(fs));
	bpfam_json_u64(o, "files", fs->nfiles);
	bpfam_json_u64(o, "dirs", fs->ndirs);
	bpfam_json_u64(o, "deleted_files", f->del_files);
	bpfam_json_u64(o, "deleted_dirs", f->del_dirs);
	bpfam_json_u64(o, "waiting_bytes", fs->pending_bytes);
	bpfam_json_u64(o, "reclaimed_bytes", fs->reclaimed_bytes);
	bpfam_json_u64(o, "reclaimed_upto", fs->reclaimed_upto);
	bpfam_json_u64(o, "generation", fs->sb.generation);
	bpfam_json_u64(o, "hosts", f->hosts);
	bpfam_json_u64(o, "hosts_torn", f->torn);
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
	bpfam_json_str(o, "device", f->device);
	json_object_object_add(o, "ok", json_object_new_boolean(!f->bad));
	json_object_object_add(o, "fenced", json_object_new_boolean(f->fenced));
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
