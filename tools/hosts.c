// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam hosts: the hosts registered on a bpfam, from their slots on the
 * device.  Read-only and lock-free, so it works next to a mounted bpfamd
 * and while a mkfs --force waits.  Liveness is sampled as every host
 * checks it (docs/sharing.md): heartbeat counters read twice, three
 * heartbeat periods apart, no clocks compared.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "host.h"
#include "json.h"
#include "offline.h"
#include "slot.h"

#define NAME "hosts"
#define MAX_WAIT_MS 600000

struct hosts_opts {
	bool json;
	uint32_t wait_ms;
	const char *target;
};

static int parse_wait(const char *arg, uint32_t *ms)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > MAX_WAIT_MS)
		return cmd_usage_error(NAME,
				       "--wait '%s': not a number of milliseconds from 0 to %u",
				       arg, MAX_WAIT_MS);
	*ms = (uint32_t)v;
	return EXIT_OK;
}

/* EXIT_OK to go on, or the status to exit with now (--help, usage). */
static int parse(int argc, char **argv, struct hosts_opts *o, bool *help)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	*help = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jw:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'w':
			rc = parse_wait(optarg, &o->wait_ms);
			if (rc)
				return rc;
			break;
		case 'h':
			*help = true;
			return EXIT_OK;
		default:
			return offline_bad_option(NAME, c, argv);
		}
	}
	return offline_device_arg(NAME, argc, argv, &o->target);
}

/* "live", "dead", "fenced", "torn" or "stopped-following" (at stuck_seq). */
static const char *state_of(const struct bpfam_slot_info *s, bool live)
{
	if (bpfam_slot_torn(s))
		return "torn";
	if (s->state == BPFAM_HOST_FENCED)
		return "fenced";
	if (!live)
		return "dead";
	return s->stuck_seq ? "stopped-following" : "live";
}

/* ---- table ------------------------------------------------------------ */

enum { SLOT, ID, HOST, ROLE, STATE, PID, PLAYED, HORIZON, MOUNT, NCOL };
#define CELL (BPFAM_MOUNT_MAX + 1)

static const char *const titles[NCOL] = {
	"SLOT", "HOST-ID", "NAME", "ROLE", "STATE",
	"PID", "PLAYED", "HORIZON", "MOUNTPOINT",
};

static void fill_row(const struct bpfam_slot_info *s, bool live,
		     char cell[NCOL][CELL])
{
	const char *state = state_of(s, live);
	int i;

	snprintf(cell[SLOT], CELL, "%u", s->index);
	if (bpfam_slot_torn(s)) {
		for (i = ID; i < NCOL; i++)
			snprintf(cell[i], CELL, "-");
		snprintf(cell[STATE], CELL, "%s", state);
		return;
	}
	bpfam_host_id_format(s->host_id, cell[ID]);
	snprintf(cell[HOST], CELL, "%s", s->name[0] ? s->name : "-");
	snprintf(cell[ROLE], CELL, "%s", bpfam_role_name(s->role));
	if (!strcmp(state, "stopped-following"))
		snprintf(cell[STATE], CELL, "%s at record %" PRIu64, state,
			 s->stuck_seq);
	else
		snprintf(cell[STATE], CELL, "%s", state);
	snprintf(cell[PID], CELL, "%u", s->pid);
	snprintf(cell[PLAYED], CELL, "%" PRIu64, s->played_seq);
	snprintf(cell[HORIZON], CELL, "%" PRIu64, s->horizon);
	snprintf(cell[MOUNT], CELL, "%s", s->mountpoint[0] ? s->mountpoint : "-");
}

static void print_row(char cell[NCOL][CELL], const int *width)
{
	int i;

	for (i = 0; i < MOUNT; i++)
		printf("%-*s  ", width[i], cell[i]);
	printf("%s\n", cell[MOUNT]);
}

static void print_table(const struct bpfam_hosts *h)
{
	static char cell[NCOL][CELL];
	int width[NCOL], i;
	uint32_t k;

	for (i = 0; i < NCOL; i++)
		width[i] = (int)strlen(titles[i]);
	for (k = 0; k < h->n; k++) {
		fill_row(&h->slot[k], h->live[k], cell);
		for (i = 0; i < NCOL; i++)
			if ((int)strlen(cell[i]) > width[i])
				width[i] = (int)strlen(cell[i]);
	}
	for (i = 0; i < NCOL; i++)
		snprintf(cell[i], CELL, "%s", titles[i]);
	print_row(cell, width);
	for (k = 0; k < h->n; k++) {
		fill_row(&h->slot[k], h->live[k], cell);
		print_row(cell, width);
	}
}

/* ---- JSON ------------------------------------------------------------- */

static json_object *host_json(const struct bpfam_slot_info *s, bool live)
{
	json_object *o = json_object_new_object();
	char id[37];

	bpfam_json_u64(o, "slot", s->index);
	bpfam_json_str(o, "state", state_of(s, live));
	json_object_object_add(o, "live", json_object_new_boolean(live));
	if (bpfam_slot_torn(s))
		return o;
	bpfam_json_str(o, "host_id", bpfam_host_id_format(s->host_id, id));
	bpfam_json_str(o, "name", s->name);
	bpfam_json_str(o, "role", bpfam_role_name(s->role));
	bpfam_json_u64(o, "pid", s->pid);
	bpfam_json_u64(o, "stuck_seq", s->stuck_seq);
	bpfam_json_u64(o, "played", s->played_seq);
	bpfam_json_u64(o, "horizon", s->horizon);
	bpfam_json_str(o, "mountpoint", s->mountpoint);
	bpfam_json_u64(o, "heartbeat", s->heartbeat);
	bpfam_json_u64(o, "period_ms", s->period_ms);
	bpfam_json_u64(o, "joined", s->joined);
	bpfam_json_u64(o, "incarnation", s->incarnation);
	return o;
}

static void print_json(const struct bpfam_hosts *h)
{
	json_object *a = json_object_new_array();
	uint32_t k;

	for (k = 0; k < h->n; k++)
		json_object_array_add(a, host_json(&h->slot[k], h->live[k]));
	puts(json_object_to_json_string_ext(
		a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
}

static int list(const struct hosts_opts *o)
{
	struct bpfam_hosts *h = calloc(1, sizeof(*h));
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	bool fenced;

	if (!h) {
		cmd_error(NAME, "%s: out of memory", o->target);
		return EXIT_FAIL;
	}
	if (offline_open_sb(NAME, o->target, BPFAM_OPEN_RDONLY, &dev, &sb,
			    &fenced)) {
		free(h);
		return EXIT_FAIL;
	}
	if (fenced)
		cmd_error(NAME,
			  "%s: fenced by 'bpfam mkfs --force': these hosts are letting go of it",
			  dev.path);
	bpfam_hosts_sample(&dev, &sb, o->wait_ms, h);
	if (o->json)
		print_json(h);
	else
		print_table(h);
	bpfam_device_close(&dev);
	free(h);
	return EXIT_OK;
}

int cmd_hosts(int argc, char **argv)
{
	struct hosts_opts o;
	bool help;
	int rc;

	rc = parse(argc, argv, &o, &help);
	if (rc)
		return rc;
	if (help)
		return cmd_help(NAME);
	return list(&o);
}
