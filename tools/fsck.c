// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam fsck: check a filesystem read-only by playing its whole log the way
 * a mount does, then checking what follows the log.  Playing stops at the
 * first bad record (nothing after it can be trusted), so there is at most
 * one problem to report, and it is reported precisely.
 *
 * The log may be live: a primary can append while fsck reads.  Sealed
 * records never change, so the records played form a consistent snapshot;
 * what was sealed after it is walked, not taken for stray bytes, and a
 * record being appended at the end is not yet there.  The same bytes with
 * no live primary are an append a crash interrupted: the next mount
 * discards it, so that is "needs recovery", not damage.
 */
#include <errno.h>
#include <limits.h>
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

/*
 * Exit status, fsck(8)'s where the CLI allows: 2 stays the usage error of
 * every bpfam command (fsck(8) says 16), so the bits 1, 4 and 8 keep their
 * fsck(8) meaning and a boot-time wrapper can read them as it reads
 * e2fsck's.
 */
enum fsck_state {
	FSCK_CLEAN = 0,	  /* nothing wrong */
	FSCK_RECOVER = 1, /* a torn last record: the next mount discards it */
	FSCK_DAMAGED = 4, /* a problem no mount gets past: left uncorrected */
	FSCK_ERROR = 8,	  /* not checked: no device, no bpfam, fenced... */
};

struct fsck {
	const char *arg; /* as given: a device or a bpfamd's mountpoint */
	char device[PATH_MAX];
	struct bpfam_fs fs;
	bool opened; /* the superblock is valid: a summary can be given */
	enum fsck_state state;
	bool fenced;	  /* mkfs --force is replacing it: nothing to check */
	bool appending;	  /* a live primary is writing the record at the end */
	uint64_t records; /* records played before the end or the problem */
	struct bpfam_log_end end;
	struct bpfam_hosts *hosts;    /* registered, and which are live */
	uint64_t torn;		      /* slots that do not checksum */
	uint64_t del_files, del_dirs; /* deleted, waiting for reclaim */
	struct bpfam_err err;
};

static bool host_live(const struct fsck *f, uint32_t k)
{
	return f->hosts && f->hosts->live[k] &&
	       !bpfam_slot_torn(&f->hosts->slot[k]);
}

/*
 * Registered hosts, and which are live: informational (a slot is no part
 * of the namespace), but a live primary means the log is being appended
 * to.  Sampled before the log is read, so an append that a live primary
 * starts is never mistaken for one a crash left.
 */
static void sample_hosts(struct fsck *f)
{
	uint32_t i;

	f->hosts = calloc(1, sizeof(*f->hosts));
	if (!f->hosts)
		return;
	bpfam_hosts_sample(&f->fs.dev, &f->fs.sb, 0, f->hosts);
	for (i = 0; i < f->hosts->n; i++)
		f->torn += bpfam_slot_torn(&f->hosts->slot[i]);
}

static bool primary_live(const struct fsck *f)
{
	uint32_t i;

	for (i = 0; f->hosts && i < f->hosts->n; i++)
		if (host_live(f, i) &&
		    f->hosts->slot[i].role == BPFAM_ROLE_PRIMARY)
			return true;
	return false;
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

static enum fsck_state state_of(int rc)
{
	return rc == -EBADMSG ? FSCK_DAMAGED : FSCK_ERROR;
}

/* An unfinished append with no primary to finish it: what a crash leaves. */
static void torn_tail(struct fsck *f)
{
	char where[64];

	if (f->end.last_seq)
		snprintf(where, sizeof(where), "after record %llu",
			 (unsigned long long)f->end.last_seq);
	else
		snprintf(where, sizeof(where), "before the first record");
	f->state = FSCK_RECOVER;
	bpfam_err(&f->err, EBADMSG,
		  "%s: log: unfinished append of %llu bytes %s at offset %llu: "
		  "a writer stopped before sealing it; the next mount discards "
		  "it, and no acknowledged change is lost (it was never "
		  "acknowledged)",
		  f->device, (unsigned long long)f->end.torn, where,
		  (unsigned long long)(f->fs.log.base + f->end.end));
}

static void check_log(struct fsck *f)
{
	int rc = bpfam_fs_refresh(&f->fs, &f->records, &f->err);

	if (!rc)
		rc = bpfam_log_end_live(&f->fs.log, &f->end, &f->err);
	if (rc) {
		f->state = state_of(rc);
		return;
	}
	if (!f->end.torn)
		return;
	if (primary_live(f))
		f->appending = true;
	else
		torn_tail(f);
}

static void check(struct fsck *f)
{
	int rc = bpfam_fs_init(&f->fs, f->device, BPFAM_OPEN_RDONLY, &f->err);

	if (rc) {
		f->state = state_of(rc);
		f->fenced = rc == -ESTALE;
		return;
	}
	f->opened = true;
	sample_hosts(f);
	check_log(f);
	count_deleted(f);
}

static double log_used_pct(const struct bpfam_fs *fs)
{
	return 100.0 * (double)fs->log.tail / (double)fs->log.size;
}

static uint64_t nhosts(const struct fsck *f)
{
	return f->hosts ? f->hosts->n : 0;
}

/* Each state's name in --json and its line in the summary. */
static const struct {
	enum fsck_state state;
	const char *name, *text;
} states[] = {
	{FSCK_CLEAN, "clean", "clean"},
	{FSCK_RECOVER, "needs-recovery",
	 "needs recovery (the next mount discards the unfinished append at "
	 "the end of the log; nothing else is wrong)"},
	{FSCK_DAMAGED, "damaged",
	 "DAMAGED (the counts below stop at the problem)"},
	{FSCK_ERROR, "not-checked", "not checked"},
};

static unsigned int state_index(enum fsck_state st)
{
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]) - 1; i++)
		if (states[i].state == st)
			break;
	return i;
}

/* "mounted by vm (slot 0, primary, live), b (slot 1, client, live)". */
static void print_mounted(const struct fsck *f)
{
	const struct bpfam_slot_info *s;
	uint32_t i, n = 0;

	for (i = 0; f->hosts && i < f->hosts->n; i++) {
		if (!host_live(f, i))
			continue;
		s = &f->hosts->slot[i];
		printf("%s%s (slot %u, %s, live)",
		       n++ ? ", " : "  mounted    by ", s->name, s->index,
		       bpfam_role_name(s->role));
	}
	if (n)
		putchar('\n');
}

static void print_log(const struct fsck *f)
{
	const struct bpfam_fs *fs = &f->fs;
	char a[32], b[32], more[128] = "";

	if (f->end.newer || f->appending)
		snprintf(more, sizeof(more),
			 " checked; the log is live: %llu more sealed%s while "
			 "fsck ran",
			 (unsigned long long)f->end.newer,
			 f->appending ? " and one being appended" : "");
	offline_print_field(stdout, "log",
			    "%s of %s used (%.1f%%), %llu records%s",
			    bpfam_fmt_size(fs->log.tail, a),
			    bpfam_fmt_size(fs->log.size, b), log_used_pct(fs),
			    (unsigned long long)f->records, more);
}

static void print_text(const struct fsck *f)
{
	const struct bpfam_fs *fs = &f->fs;
	char a[32];

	if (!f->opened)
		return;
	printf("%s: %s\n", f->device, states[state_index(f->state)].text);
	print_mounted(f);
	offline_print_identity(stdout, &fs->sb);
	print_log(f);
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
	offline_print_field(
		stdout, "deleted",
		"%llu file%s, %llu dir%s: %s (%llu bytes) waiting for reclaim",
		(unsigned long long)f->del_files, f->del_files == 1 ? "" : "s",
		(unsigned long long)f->del_dirs, f->del_dirs == 1 ? "" : "s",
		bpfam_fmt_size(fs->pending_bytes, a),
		(unsigned long long)fs->pending_bytes);
	offline_print_field(stdout, "reclaimed", "%s (%llu bytes)",
			    bpfam_fmt_size(fs->reclaimed_bytes, a),
			    (unsigned long long)fs->reclaimed_bytes);
	offline_print_field(stdout, "generation", "%llu",
			    (unsigned long long)fs->sb.generation);
	if (!f->torn)
		offline_print_field(stdout, "hosts", "%llu registered",
				    (unsigned long long)nhosts(f));
	else
		offline_print_field(
			stdout, "hosts",
			"%llu registered, %llu of them in slots that do not "
			"checksum (they hold back every reclaim)",
			(unsigned long long)nhosts(f),
			(unsigned long long)f->torn);
}

static json_object *mounted_json(const struct fsck *f)
{
	json_object *a = json_object_new_array(), *h;
	const struct bpfam_slot_info *s;
	uint32_t i;

	for (i = 0; a && f->hosts && i < f->hosts->n; i++) {
		if (!host_live(f, i))
			continue;
		s = &f->hosts->slot[i];
		h = json_object_new_object();
		if (!h)
			break;
		bpfam_json_u64(h, "slot", s->index);
		bpfam_json_str(h, "name", s->name);
		bpfam_json_str(h, "role", bpfam_role_name(s->role));
		json_object_array_add(a, h);
	}
	return a;
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
	bpfam_json_u64(o, "hosts", nhosts(f));
	bpfam_json_u64(o, "hosts_torn", f->torn);
	json_object_object_add(o, "mounted_by", mounted_json(f));
	bpfam_json_u64(o, "records_appended_during_check", f->end.newer);
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
	json_object_object_add(o, "ok",
			       json_object_new_boolean(f->state == FSCK_CLEAN));
	bpfam_json_str(o, "state", states[state_index(f->state)].name);
	json_object_object_add(o, "fenced", json_object_new_boolean(f->fenced));
	if (f->state != FSCK_CLEAN)
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
	if (!offline_json_args(NAME, argc, argv, &json, &f.arg, &status))
		return status;
	/* A mountpoint names the device its bpfamd serves. */
	if (offline_device_of(NAME, f.arg, f.device, sizeof(f.device)))
		return FSCK_ERROR;
	check(&f);
	if (f.state != FSCK_CLEAN)
		cmd_error(NAME, "%s", f.err.msg);
	status = f.state;
	if (json) {
		if (print_json(&f))
			status = FSCK_ERROR;
	} else {
		print_text(&f);
	}
	if (f.opened)
		bpfam_fs_close(&f.fs);
	free(f.hosts);
	return status;
}
