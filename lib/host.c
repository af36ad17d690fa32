// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "fs.h"
#include "host.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* libuuid parses only the dashed form; machine-id has no dashes. */
int bpfam_host_id_parse(const char *s, uint8_t id[16])
{
	int n = 0, hi = -1, v;

	for (; *s; s++) {
		if (*s == '-')
			continue;
		v = hexval(*s);
		if (v < 0 || n == 16)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		id[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n == 16 && hi < 0 ? 0 : -EINVAL;
}

char *bpfam_host_id_format(const uint8_t id[16], char *buf)
{
	uuid_unparse_lower(id, buf);
	return buf;
}

void bpfam_host_identity(uint8_t id[16], char name[BPFAM_HOSTNAME_MAX + 1])
{
	char hex[34] = "";
	FILE *f;

	memset(id, 0, 16);
	f = fopen("/etc/machine-id", "r");
	if (f) {
		if (fscanf(f, "%33s", hex) != 1 || strlen(hex) != 32 ||
		    bpfam_host_id_parse(hex, id))
			memset(id, 0, 16);
		fclose(f);
	}
	if (gethostname(name, BPFAM_HOSTNAME_MAX + 1))
		strcpy(name, "unknown");
	name[BPFAM_HOSTNAME_MAX] = '\0';
}

static uint64_t new_incarnation(void)
{
	uint64_t v = 0;
	uuid_t u;

	while (!v) {
		uuid_generate_random(u);
		memcpy(&v, u, sizeof(v));
	}
	return v;
}

/* Slot @i's incarnation word as stored: what claim() swaps. */
static __le64 incarnation_word(const struct bpfam_device *dev,
				 const struct bpfam_sb_info *sb, uint32_t i)
{
	struct bpfam_slot *at = bpfam_slot_at(dev, sb, i);

	bpfam_device_invalidate(dev, &at->incarnation, sizeof(at->incarnation));
	return __atomic_load_n(&at->incarnation, __ATOMIC_ACQUIRE);
}

/* Whether the host of @s beats: this waits three of its periods. */
static bool slot_live(const struct bpfam_device *dev,
		      const struct bpfam_sb_info *sb,
		      const struct bpfam_slot_info *s)
{
	bool live;

	bpfam_slots_liveness(dev, sb, s, 1, bpfam_slots_liveness_wait(s, 1, 0),
			     &live);
	return live;
}

/*
 * A slot for @id: its own old one (if dead), else the first free one;
 * @seen is its incarnation word as it was when judged so.
 */
static int pick_slot(struct bpfam_host *h, const uint8_t id[16],
		     uint32_t *out, __le64 *seen, struct bpfam_err *err)
{
	const struct bpfam_device *dev = &h->fs->dev;
	const struct bpfam_sb_info *sb = &h->fs->sb;
	struct bpfam_slot_info s;
	uint32_t i, free = UINT32_MAX;
	__le64 word, free_word = 0;
	char idbuf[37];

	for (i = 0; i < sb->slots_nr; i++) {
		word = incarnation_word(dev, sb, i);
		switch (bpfam_slot_read(dev, sb, i, &s)) {
		case BPFAM_SLOT_FREE:
		case BPFAM_SLOT_FOREIGN:
			if (free == UINT32_MAX) {
				free = i;
				free_word = word;
			}
			continue;
		case BPFAM_SLOT_TORN:
			continue;
		case BPFAM_SLOT_USED:
			break;
		}
		if (memcmp(s.host_id, id, 16))
			continue;
		if (slot_live(dev, sb, &s))
			return bpfam_err(err, EBUSY,
					 "%s: host id %s is already mounted (slot %u, '%s', pid %u, %s); give each mount its own host id",
					 dev->path,
					 bpfam_host_id_format(id, idbuf), i,
					 s.name, s.pid, s.mountpoint);
		*out = i; /* it crashed: take its place, and its horizon */
		*seen = word;
		return 0;
	}
	if (free == UINT32_MAX)
		return bpfam_err(err, ENOSPC,
				 "%s: all %u host slots are in use; evict dead hosts (bpfam hosts, bpfam host evict)",
				 dev->path, sb->slots_nr);
	*out = free;
	*seen = free_word;
	return 0;
}

/*
 * Claim the slot pick_slot() chose by swapping in our incarnation, if
 * nobody changed it since: of the hosts of one machine that picked it at
 * once, one goes on and the others pick again, however long any of them
 * was descheduled in between.  (Until publish() the slot does not
 * checksum: others skip it, and the gate holds everything back.)  Hosts
 * on other machines need not see our atomics: the read-back after
 * publish() is what keeps two of them apart.
 */
static bool claim(struct bpfam_host *h, __le64 seen)
{
	struct bpfam_slot *at = bpfam_slot_at(&h->fs->dev, &h->fs->sb,
					      h->slot.index);

	return __atomic_compare_exchange_n(&at->incarnation, &seen,
					   (__le64)htole64(h->slot.incarnation), false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static int publish(struct bpfam_host *h, struct bpfam_err *err)
{
	int rc = bpfam_slot_write(&h->fs->dev, &h->fs->sb, &h->slot);

	if (rc)
		return bpfam_err(err, -rc, "%s: cannot write host slot %u: %s",
				 h->fs->dev.path, h->slot.index, strerror(-rc));
	return 0;
}

/*
 * The writer's flock keeps a second primary away on one machine only: a
 * live primary slot of another host keeps it away everywhere (two log
 * writers would hand out the same sequence numbers and extents).
 */
static int check_one_primary(struct bpfam_host *h, const uint8_t id[16],
			     struct bpfam_err *err)
{
	const struct bpfam_device *dev = &h->fs->dev;
	const struct bpfam_sb_info *sb = &h->fs->sb;
	struct bpfam_slot_info s;
	char idbuf[37];
	uint32_t i;

	for (i = 0; i < sb->slots_nr; i++) {
		if (bpfam_slot_read(dev, sb, i, &s) != BPFAM_SLOT_USED ||
		    s.role != BPFAM_ROLE_PRIMARY ||
		    s.state == BPFAM_HOST_FENCED || !memcmp(s.host_id, id, 16))
			continue;
		if (slot_live(dev, sb, &s))
			return bpfam_err(err, EBUSY,
					 "%s: host %s ('%s', slot %u, pid %u) is mounted as the primary; a filesystem has one metadata writer",
					 dev->path,
					 bpfam_host_id_format(s.host_id, idbuf),
					 s.name, i, s.pid);
	}
	return 0;
}

int bpfam_host_join(struct bpfam_host *h, struct bpfam_fs *fs,
		    const uint8_t id[16], uint32_t role, uint32_t period_ms,
		    const char *mountpoint, struct bpfam_err *err)
{
	struct bpfam_slot_info *s = &h->slot;
	struct timespec settle = {.tv_nsec = 2000000};
	struct bpfam_slot_info check;
	char name[BPFAM_HOSTNAME_MAX + 1];
	uint8_t mine[16];
	__le64 seen = 0;
	int rc, tries;

	memset(h, 0, sizeof(*h));
	h->fs = fs;
	bpfam_host_identity(mine, name);
	if (id && memcmp(id, (uint8_t[16]){0}, 16))
		memcpy(mine, id, 16);
	/* No machine-id (an initramfs, a container): a random id still keeps
	 * two such hosts apart; only a restart cannot reclaim the old slot. */
	if (!memcmp(mine, (uint8_t[16]){0}, 16))
		uuid_generate_random(mine);
	if (role == BPFAM_ROLE_PRIMARY) {
		rc = check_one_primary(h, mine, err);
		if (rc)
			return rc;
	}
	for (tries = 0; tries < 4;) {
		memset(s, 0, sizeof(*s));
		rc = pick_slot(h, mine, &s->index, &seen, err);
		if (rc)
			return rc;
		memcpy(s->fs_uuid, fs->sb.uuid, 16);
		s->generation = fs->sb.generation;
		memcpy(s->host_id, mine, 16);
		s->incarnation = new_incarnation();
		s->role = role;
		s->state = BPFAM_HOST_LIVE;
		s->period_ms = period_ms;
		s->pid = (uint32_t)getpid();
		s->played_seq = fs->log.next_seq - 1;
		s->horizon = bpfam_fs_horizon(fs);
		s->joined = (uint64_t)time(NULL);
		snprintf(s->name, sizeof(s->name), "%s", name);
		snprintf(s->mountpoint, sizeof(s->mountpoint), "%s",
			 mountpoint ? mountpoint : "");
		/* Lost to another host of this machine: it made progress, so
		 * this is no try of ours. */
		if (!claim(h, seen))
			continue;
		rc = publish(h, err);
		if (rc)
			return rc;
		/* Two hosts may pick one free slot at once: the last writer
		 * keeps it, the other sees so here and picks again. */
		tries++;
		nanosleep(&settle, NULL);
		if (bpfam_slot_read(&fs->dev, &fs->sb, s->index, &check) ==
			    BPFAM_SLOT_USED &&
		    check.incarnation == s->incarnation) {
			h->joined = true;
			return 0;
		}
	}
	return bpfam_err(err, EAGAIN,
			 "%s: other hosts kept taking the free host slot; try again",
			 fs->dev.path);
}

/* Whether our slot is still ours: 0, or -ESTALE. */
static int still_ours(struct bpfam_host *h, struct bpfam_err *err)
{
	struct bpfam_slot_info now;
	enum bpfam_slot_status st;

	st = bpfam_slot_read(&h->fs->dev, &h->fs->sb, h->slot.index, &now);
	if (st == BPFAM_SLOT_USED && now.incarnation == h->slot.incarnation)
		return 0;
	if (st == BPFAM_SLOT_TORN)
		return bpfam_err(err, EIO, "%s: host slot %u does not checksum",
				 h->fs->dev.path, h->slot.index);
	return bpfam_err(err, ESTALE,
			 "%s: this host (slot %u) was evicted by another host ('bpfam host evict')",
			 h->fs->dev.path, h->slot.index);
}

int bpfam_host_pulse(struct bpfam_host *h, struct bpfam_err *err)
{
	int rc = bpfam_fs_check_sb(h->fs, err);

	if (!rc)
		rc = still_ours(h, err);
	if (rc)
		return rc;
	h->slot.heartbeat++;
	/* A daemon that forked to the background beats from a new pid. */
	h->slot.pid = (uint32_t)getpid();
	return publish(h, err);
}

int bpfam_host_beat(struct bpfam_host *h, uint64_t stuck_seq,
		    struct bpfam_err *err)
{
	h->slot.played_seq = h->fs->log.next_seq - 1;
	h->slot.horizon = bpfam_fs_horizon(h->fs);
	h->slot.stuck_seq = stuck_seq;
	return bpfam_host_pulse(h, err);
}

void bpfam_host_ack_fence(struct bpfam_host *h)
{
	const struct bpfam_sb *sb = (const struct bpfam_sb *)h->fs->dev.base;

	if (!h->joined || still_ours(h, NULL))
		return;
	/* A new filesystem owns the slot area once the magic is back. */
	bpfam_device_invalidate(&h->fs->dev, sb, sizeof(sb->magic));
	if (le64toh(sb->magic) == BPFAM_SB_MAGIC &&
	    bpfam_fs_check_sb(h->fs, NULL))
		return;
	h->slot.state = BPFAM_HOST_FENCED;
	publish(h, NULL);
	h->joined = false;
}

void bpfam_host_leave(struct bpfam_host *h)
{
	if (!h->joined || still_ours(h, NULL))
		return;
	bpfam_slot_clear(&h->fs->dev, &h->fs->sb, h->slot.index);
	h->joined = false;
}
