// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam host evict: free the slot of a host that is gone, so that its
 * reclaim horizon stops holding back the reuse of deleted files' space
 * (docs/sharing.md).  A host that still beats is refused unless --force:
 * until it notices it was evicted, it may still use space that can then
 * be given to other files.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "host.h"
#include "offline.h"
#include "slot.h"

#define NAME "host"

struct evict_opts {
	bool force;
	const char *id;     /* as given */
	bool by_slot;       /* a slot number, else a host id */
	uint32_t slot;
	uint8_t host_id[16];
	const char *target;
};

/* A slot number is short; a host id has 32 hex digits. */
static int parse_id(struct evict_opts *o)
{
	size_t n = strlen(o->id);

	if (n && n <= 3 && strspn(o->id, "0123456789") == n) {
		o->by_slot = true;
		o->slot = (uint32_t)strtoul(o->id, NULL, 10);
		return EXIT_OK;
	}
	if (bpfam_host_id_parse(o->id, o->host_id))
		return cmd_usage_error(NAME,
				       "ID '%s': neither a slot number nor a host id (32 hex digits, dashes allowed)",
				       o->id);
	return EXIT_OK;
}

/* EXIT_OK to go on, or the status to exit with now (--help, usage). */
static int parse_evict(int argc, char **argv, struct evict_opts *o,
		       bool *help)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	*help = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'h':
			*help = true;
			return EXIT_OK;
		default:
			return offline_bad_option(NAME, c, argv);
		}
	}
	if (argc - optind < 2)
		return cmd_usage_error(NAME, "missing %s",
				       optind < argc ? "DEVICE|MOUNTPOINT" :
						       "ID and DEVICE|MOUNTPOINT");
	if (argc - optind > 2)
		return cmd_usage_error(NAME, "unexpected argument '%s'",
				       argv[optind + 2]);
	o->id = argv[optind];
	o->target = argv[optind + 1];
	return parse_id(o);
}

static int find_slot(const char *dev, const struct evict_opts *o,
		     const struct bpfam_hosts *h,
		     const struct bpfam_sb_info *sb)
{
	uint32_t k;

	for (k = 0; k < h->n; k++)
		if (h->slot[k].index == o->slot)
			return (int)k;
	if (o->slot >= sb->slots_nr)
		cmd_error(NAME, "%s: no slot %u (slots 0-%u)", dev, o->slot,
			  sb->slots_nr - 1);
	else
		cmd_error(NAME, "%s: slot %u holds no registered host", dev,
			  o->slot);
	return -1;
}

/*
 * The registered host @o names among @h: its index in @h, or -1 after
 * saying why there is none.
 */
static int find(const char *dev, const struct evict_opts *o,
		const struct bpfam_hosts *h, const struct bpfam_sb_info *sb)
{
	int found = -1;
	uint32_t k;

	if (o->by_slot)
		return find_slot(dev, o, h, sb);
	for (k = 0; k < h->n; k++) {
		if (bpfam_slot_torn(&h->slot[k]) ||
		    memcmp(h->slot[k].host_id, o->host_id, sizeof(o->host_id)))
			continue;
		if (found >= 0) {
			cmd_error(NAME,
				  "%s: host id %s is registered in slots %u and %u; give the slot number",
				  dev, o->id, h->slot[found].index,
				  h->slot[k].index);
			return -1;
		}
		found = (int)k;
	}
	if (found < 0)
		cmd_error(NAME,
			  "%s: no registered host has id %s (see 'bpfam hosts %s')",
			  dev, o->id, dev);
	return found;
}

/* EXIT_OK when @s may be evicted, after the warning --force calls for. */
static int may_evict(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb,
		     const struct bpfam_slot_info *s, bool force)
{
	char desc[BPFAM_SLOT_DESC_MAX];
	bool live;

	bpfam_slot_describe(s, desc);
	if (bpfam_slot_torn(s)) {
		cmd_error(NAME,
			  "%s: slot %u is torn (its checksum fails): no host incarnation to evict",
			  dev->path, s->index);
		return EXIT_FAIL;
	}
	bpfam_slots_liveness(dev, sb, s, 1, bpfam_slots_liveness_wait(s, 1, 0),
			     &live);
	if (!live)
		return EXIT_OK;
	if (!force) {
		cmd_error(NAME,
			  "%s: %s is live (its heartbeat moves): evicting it would let the space of files it still uses go to other files; stop it first, or use --force",
			  dev->path, desc);
		return EXIT_FAIL;
	}
	cmd_error(NAME,
		  "warning: %s is live: evicting it anyway (--force); until it notices, at its next heartbeat, it may still read and write the space of files it holds, which can then be given to other files",
		  desc);
	return EXIT_OK;
}

static int evict(const struct evict_opts *o)
{
	struct bpfam_hosts *h = calloc(1, sizeof(*h));
	char desc[BPFAM_SLOT_DESC_MAX];
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	int rc = EXIT_FAIL, k;
	bool fenced;

	if (!h) {
		cmd_error(NAME, "%s: out of memory", o->target);
		return EXIT_FAIL;
	}
	if (offline_open_sb(NAME, o->target, BPFAM_OPEN_RDWR, &dev, &sb,
			    &fenced))
		goto out_free;
	h->n = bpfam_slots_registered(&dev, &sb, h->slot);
	k = find(dev.path, o, h, &sb);
	if (k < 0 || may_evict(&dev, &sb, &h->slot[k], o->force))
		goto out;
	rc = bpfam_slot_evict(&dev, &sb, h->slot[k].index,
			      h->slot[k].incarnation);
	if (rc) {
		cmd_error(NAME, "%s: cannot write slot %u: %s", dev.path,
			  h->slot[k].index, strerror(-rc));
		rc = EXIT_FAIL;
		goto out;
	}
	printf("%s: evicted %s\n", dev.path,
	       bpfam_slot_describe(&h->slot[k], desc));
	rc = EXIT_OK;
out:
	bpfam_device_close(&dev);
out_free:
	free(h);
	return rc;
}

int cmd_host(int argc, char **argv)
{
	struct evict_opts o;
	bool help;
	int rc;

	if (argc < 2)
		return cmd_usage_error(NAME, "missing subcommand (evict)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(NAME);
	if (strcmp(argv[1], "evict"))
		return cmd_usage_error(NAME, "unknown subcommand '%s'",
				       argv[1]);
	rc = parse_evict(argc - 1, argv + 1, &o, &help);
	if (rc)
		return rc;
	if (help)
		return cmd_help(NAME);
	return evict(&o);
}
