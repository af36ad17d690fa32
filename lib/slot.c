// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "crc.h"
#include "host.h"
#include "slot.h"

_Static_assert(sizeof(struct bpfam_slot) == BPFAM_SLOT_SIZE,
	       "slot must fill BPFAM_SLOT_SIZE exactly");
_Static_assert(BPFAM_SLOTS_OFF + BPFAM_SLOTS_NR * BPFAM_SLOT_SIZE <=
		       BPFAM_LOG_OFF,
	       "slots must end before the log");
_Static_assert(offsetof(struct bpfam_slot, evicted) % 64 == 0,
	       "evicted is alone in its cache line, and one aligned store");

/* The owner's part: what it writes and flushes, never the evicted line. */
#define SLOT_OWN_LEN offsetof(struct bpfam_slot, evicted)

#define SLOT_CRC_LEN offsetof(struct bpfam_slot, crc)
/* A rewrite takes well under a microsecond; a slot still torn after this
 * many reads a few microseconds apart is not being rewritten. */
#define TORN_RETRIES 8

struct bpfam_slot *bpfam_slot_at(const struct bpfam_device *dev,
				 const struct bpfam_sb_info *sb, uint32_t i)
{
	return (struct bpfam_slot *)(dev->base + sb->slots_off +
				     (uint64_t)i * sb->slot_size);
}

/* Another host wrote it: no terminal escapes reach whoever prints it. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void decode(const struct bpfam_slot *s, uint32_t i,
		   struct bpfam_slot_info *o)
{
	memset(o, 0, sizeof(*o));
	o->index = i;
	memcpy(o->fs_uuid, s->fs_uuid, 16);
	o->generation = le64toh(s->generation);
	memcpy(o->host_id, s->host_id, 16);
	o->incarnation = le64toh(s->incarnation);
	o->role = le32toh(s->role);
	o->state = le32toh(s->state);
	o->heartbeat = le64toh(s->heartbeat);
	o->period_ms = le32toh(s->period_ms);
	o->pid = le32toh(s->pid);
	o->played_seq = le64toh(s->played_seq);
	o->horizon = le64toh(s->horizon);
	o->stuck_seq = le64toh(s->stuck_seq);
	o->joined = le64toh(s->joined);
	memcpy(o->name, s->name, BPFAM_HOSTNAME_MAX);
	memcpy(o->mountpoint, s->mountpoint, BPFAM_MOUNT_MAX);
	printable(o->name);
	printable(o->mountpoint);
	o->evicted = le64toh(s->evicted);
}

enum bpfam_slot_status bpfam_slot_read(const struct bpfam_device *dev,
				       const struct bpfam_sb_info *sb,
				       uint32_t i,
				       struct bpfam_slot_info *out)
{
	struct bpfam_slot *at = bpfam_slot_at(dev, sb, i), copy;
	struct timespec pause = {.tv_nsec = 2000};
	int tries;

	for (tries = 0; tries < TORN_RETRIES; tries++) {
		if (tries)
			nanosleep(&pause, NULL);
		bpfam_device_invalidate(dev, at, sizeof(*at));
		memcpy(&copy, at, sizeof(copy));
		if (le64toh(copy.magic) != BPFAM_SLOT_MAGIC) {
			memset(out, 0, sizeof(*out));
			out->index = i;
			return BPFAM_SLOT_FREE;
		}
		if (le32toh(copy.crc) != bpfam_crc32c(&copy, SLOT_CRC_LEN))
			continue;
		decode(&copy, i, out);
		if (out->evicted && out->evicted == out->incarnation)
			return BPFAM_SLOT_FREE;
		if (memcmp(out->fs_uuid, sb->uuid, 16) ||
		    out->generation != sb->generation)
			return BPFAM_SLOT_FOREIGN;
		return BPFAM_SLOT_USED;
	}
	memset(out, 0, sizeof(*out));
	out->index = i;
	return BPFAM_SLOT_TORN;
}

int bpfam_slot_write(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb,
		     const struct bpfam_slot_info *in)
{
	struct bpfam_slot *at = bpfam_slot_at(dev, sb, in->index), s;

	memset(&s, 0, sizeof(s));
	s.magic = htole64(BPFAM_SLOT_MAGIC);
	memcpy(s.fs_uuid, in->fs_uuid, 16);
	s.generation = htole64(in->generation);
	memcpy(s.host_id, in->host_id, 16);
	s.incarnation = htole64(in->incarnation);
	s.role = htole32(in->role);
	s.state = htole32(in->state);
	s.heartbeat = htole64(in->heartbeat);
	s.period_ms = htole32(in->period_ms);
	s.pid = htole32(in->pid);
	s.played_seq = htole64(in->played_seq);
	s.horizon = htole64(in->horizon);
	s.stuck_seq = htole64(in->stuck_seq);
	s.joined = htole64(in->joined);
	/* NUL padded, not terminated: the fields may be full. */
	memcpy(s.name, in->name, strnlen(in->name, sizeof(s.name)));
	memcpy(s.mountpoint, in->mountpoint,
	       strnlen(in->mountpoint, sizeof(s.mountpoint)));
	s.crc = htole32(bpfam_crc32c(&s, SLOT_CRC_LEN));
	/* Leave `evicted` to the hosts that write it: it is not ours. */
	memcpy(at, &s, SLOT_OWN_LEN);
	return bpfam_device_flush(dev, at, SLOT_OWN_LEN);
}

int bpfam_slot_clear(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb, uint32_t i)
{
	struct bpfam_slot *at = bpfam_slot_at(dev, sb, i);

	memset(at, 0, sizeof(*at));
	return bpfam_device_flush(dev, at, sizeof(*at));
}

int bpfam_slot_evict(const struct bpfam_device *dev,
		     const struct bpfam_sb_info *sb, uint32_t i, uint64_t inc)
{
	struct bpfam_slot *at = bpfam_slot_at(dev, sb, i);

	__atomic_store_n(&at->evicted, htole64(inc), __ATOMIC_RELEASE);
	return bpfam_device_flush(dev, &at->evicted, sizeof(at->evicted));
}

uint32_t bpfam_slots_registered(const struct bpfam_device *dev,
				const struct bpfam_sb_info *sb,
				struct bpfam_slot_info *out)
{
	uint32_t i, n = 0;

	for (i = 0; i < sb->slots_nr; i++) {
		switch (bpfam_slot_read(dev, sb, i, &out[n])) {
		case BPFAM_SLOT_USED:
		case BPFAM_SLOT_TORN:
			n++;
			break;
		default:
			break;
		}
	}
	return n;
}

uint64_t bpfam_slots_gate(const struct bpfam_device *dev,
			  const struct bpfam_sb_info *sb, uint32_t own_slot,
			  uint64_t own)
{
	struct bpfam_slot_info s;
	uint64_t gate = own;
	uint32_t i;

	for (i = 0; i < sb->slots_nr; i++) {
		if (i == own_slot)
			continue;
		switch (bpfam_slot_read(dev, sb, i, &s)) {
		case BPFAM_SLOT_TORN:
			return 0;
		case BPFAM_SLOT_USED:
			/* A fenced host touches nothing any more. */
			if (s.state != BPFAM_HOST_FENCED && s.horizon < gate)
				gate = s.horizon;
			break;
		default:
			break;
		}
	}
	return gate;
}

uint32_t bpfam_slots_liveness_wait(const struct bpfam_slot_info *hosts,
				   uint32_t n, uint32_t min_ms)
{
	uint32_t i, wait = min_ms;

	for (i = 0; i < n; i++) {
		/* Periods are the hosts' words: cap what one can make us wait. */
		uint64_t w = 3ULL * (hosts[i].period_ms ? hosts[i].period_ms :
							  1000);

		if (w > 60000)
			w = 60000;
		if (w > wait)
			wait = (uint32_t)w;
	}
	return wait;
}

void bpfam_slots_liveness(const struct bpfam_device *dev,
			  const struct bpfam_sb_info *sb,
			  const struct bpfam_slot_info *hosts, uint32_t n,
			  uint32_t wait_ms, bool *live)
{
	struct bpfam_slot_info now;
	uint32_t k;

	bpfam_sleep_ms(wait_ms);
	for (k = 0; k < n; k++) {
		switch (bpfam_slot_read(dev, sb, hosts[k].index, &now)) {
		case BPFAM_SLOT_TORN:
			/* Caught mid-rewrite, again: someone is writing it. */
			live[k] = true;
			break;
		case BPFAM_SLOT_USED:
			live[k] = now.incarnation == hosts[k].incarnation &&
				  now.heartbeat != hosts[k].heartbeat;
			break;
		default:
			live[k] = false;
		}
	}
}

void bpfam_hosts_sample(const struct bpfam_device *dev,
			const struct bpfam_sb_info *sb, uint32_t min_ms,
			struct bpfam_hosts *h)
{
	h->n = bpfam_slots_registered(dev, sb, h->slot);
	if (!h->n)
		return;
	bpfam_slots_liveness(dev, sb, h->slot, h->n,
			     bpfam_slots_liveness_wait(h->slot, h->n, min_ms),
			     h->live);
}

char *bpfam_slot_describe(const struct bpfam_slot_info *s,
			  char buf[BPFAM_SLOT_DESC_MAX])
{
	char id[37];

	if (bpfam_slot_torn(s))
		snprintf(buf, BPFAM_SLOT_DESC_MAX, "torn slot %u", s->index);
	else
		snprintf(buf, BPFAM_SLOT_DESC_MAX,
			 "host '%s' (id %s, slot %u, pid %u)", s->name,
			 bpfam_host_id_format(s->host_id, id), s->index,
			 s->pid);
	return buf;
}

const char *bpfam_role_name(uint32_t role)
{
	switch (role) {
	case BPFAM_ROLE_PRIMARY:
		return "primary";
	case BPFAM_ROLE_CLIENT:
		return "client";
	case BPFAM_ROLE_RECOVER:
		return "recover";
	}
	return "?";
}
