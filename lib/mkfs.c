// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "host.h"
#include "mkfs.h"

/* How often mkfs looks for the hosts' acknowledgements of its fence. */
#define FENCE_POLL_MS 20

static int zero(struct bpfam_device *dev, uint64_t off, uint64_t len)
{
	memset(dev->base + off, 0, len);
	return bpfam_device_flush(dev, dev->base + off, len);
}

/*
 * The identity and slot area of the version 2 bpfam (or fenced bpfam) on
 * @dev, read field by field: a fenced superblock, or one damaged since its
 * hosts mounted it, does not checksum, and its hosts must still be found.
 * The slot area is where the format puts it.  -ENODATA when there is none.
 */
static int old_sb(const struct bpfam_device *dev, struct bpfam_sb_info *sb)
{
	const struct bpfam_sb *old = (const struct bpfam_sb *)dev->base;
	uint64_t magic;

	memset(sb, 0, sizeof(*sb));
	bpfam_device_invalidate(dev, old, sizeof(*old));
	magic = le64toh(old->magic);
	if ((magic != BPFAM_SB_MAGIC && magic != BPFAM_SB_FENCE_MAGIC) ||
	    le32toh(old->version) != BPFAM_VERSION)
		return -ENODATA;
	sb->version = BPFAM_VERSION;
	memcpy(sb->uuid, old->uuid, sizeof(sb->uuid));
	sb->generation = le64toh(old->generation);
	sb->slots_off = BPFAM_SLOTS_OFF;
	sb->slots_nr = BPFAM_SLOTS_NR;
	sb->slot_size = BPFAM_SLOT_SIZE;
	return 0;
}

void bpfam_mkfs_hosts(const struct bpfam_device *dev, struct bpfam_hosts *h)
{
	struct bpfam_sb_info sb;

	h->n = 0;
	if (!old_sb(dev, &sb))
		bpfam_hosts_sample(dev, &sb, 0, h);
}

/* One aligned 8-byte store: a host reads the old magic or the fence. */
static int write_fence(struct bpfam_device *dev, struct bpfam_err *err)
{
	struct bpfam_sb *sb = (struct bpfam_sb *)dev->base;
	int rc;

	__atomic_store_n(&sb->magic, htole64(BPFAM_SB_FENCE_MAGIC),
			 __ATOMIC_RELEASE);
	rc = bpfam_device_flush(dev, &sb->magic, sizeof(sb->magic));
	if (rc)
		return bpfam_err(err, -rc, "%s: cannot write the fence: %s",
				 dev->path, strerror(-rc));
	return 0;
}

static bool sampled(const struct bpfam_hosts *h,
		    const struct bpfam_slot_info *s)
{
	uint32_t k;

	for (k = 0; k < h->n; k++)
		if (h->slot[k].index == s->index &&
		    h->slot[k].incarnation == s->incarnation)
			return true;
	return false;
}

/*
 * Hosts that joined while the others were sampled read the superblock
 * before the fence: count them live, they have just started beating.
 */
static void add_latecomers(const struct bpfam_device *dev,
			   const struct bpfam_sb_info *sb,
			   struct bpfam_hosts *h)
{
	struct bpfam_slot_info s;
	uint32_t i;

	for (i = 0; i < sb->slots_nr && h->n < BPFAM_SLOTS_NR; i++) {
		if (bpfam_slot_read(dev, sb, i, &s) != BPFAM_SLOT_USED ||
		    s.state == BPFAM_HOST_FENCED || sampled(h, &s))
			continue;
		h->slot[h->n] = s;
		h->live[h->n++] = true;
	}
}

/* Whether @s has let go of the device: acknowledged, left or evicted. */
static bool let_go(const struct bpfam_device *dev,
		   const struct bpfam_sb_info *sb,
		   const struct bpfam_slot_info *s)
{
	struct bpfam_slot_info now;

	switch (bpfam_slot_read(dev, sb, s->index, &now)) {
	case BPFAM_SLOT_FREE:
		return true;
	case BPFAM_SLOT_TORN:
		return false;
	default:
		return now.incarnation != s->incarnation ||
		       now.state == BPFAM_HOST_FENCED;
	}
}

/* How many live hosts of @h still hold on; their list in @names. */
static uint32_t holding(const struct bpfam_device *dev,
			const struct bpfam_sb_info *sb,
			const struct bpfam_hosts *h, char *names, size_t n)
{
	char desc[BPFAM_SLOT_DESC_MAX];
	uint32_t k, count = 0;
	size_t len = 0;

	if (n)
		names[0] = '\0';
	for (k = 0; k < h->n; k++) {
		if (!h->live[k] || let_go(dev, sb, &h->slot[k]))
			continue;
		if (n && len < n)
			len += snprintf(names + len, n - len, "%s%s",
					count ? ", " : "",
					bpfam_slot_describe(&h->slot[k], desc));
		count++;
	}
	return count;
}

int bpfam_mkfs_fence(struct bpfam_device *dev, uint32_t timeout_ms,
		     struct bpfam_hosts *h, struct bpfam_err *err)
{
	struct bpfam_sb_info sb;
	uint64_t deadline;
	char names[1024];
	uint32_t left;
	int rc;

	h->n = 0;
	if (!dev->writable)
		return bpfam_err(err, EROFS, "%s: not opened for writing",
				 dev->path);
	if (old_sb(dev, &sb))
		return 0;
	/* Before the fence: fenced hosts stop beating, live or not. */
	bpfam_hosts_sample(dev, &sb, 0, h);
	rc = write_fence(dev, err);
	if (rc)
		return rc;
	add_latecomers(dev, &sb, h);
	deadline = bpfam_now_ms() + timeout_ms;
	while (holding(dev, &sb, h, NULL, 0)) {
		if (bpfam_now_ms() >= deadline)
			goto timeout;
		bpfam_sleep_ms(FENCE_POLL_MS);
	}
	return 1;
timeout:
	left = holding(dev, &sb, h, names, sizeof(names));
	return bpfam_err(err, ETIMEDOUT,
			 "%s: stays fenced and unformatted: %u live host%s did not acknowledge the fence within %.1f s: %s",
			 dev->path, left, left == 1 ? "" : "s",
			 timeout_ms / 1000.0, names);
}

int bpfam_mkfs_open(struct bpfam_device *dev, const char *path,
		    uint32_t wait_ms, struct bpfam_err *err)
{
	uint64_t deadline = bpfam_now_ms() + wait_ms;
	int rc;

	for (;;) {
		rc = bpfam_device_open(dev, path, BPFAM_OPEN_FORMAT, err);
		if (rc != -EBUSY || bpfam_now_ms() >= deadline)
			return rc;
		bpfam_sleep_ms(FENCE_POLL_MS);
	}
}

/* The generation of the bpfam (or fenced bpfam) on @dev, 0 if none. */
static uint64_t old_generation(const struct bpfam_device *dev)
{
	struct bpfam_sb_info old;

	return old_sb(dev, &old) ? 0 : old.generation;
}

/* The primary's id, and its name when it is this host (else its id). */
static void set_primary(struct bpfam_sb_info *sb, const uint8_t *id)
{
	char uuid[37];

	if (!id || !memcmp(id, sb->primary_id, sizeof(sb->primary_id)))
		return;
	memcpy(sb->primary_id, id, sizeof(sb->primary_id));
	snprintf(sb->primary_name, sizeof(sb->primary_name), "%s",
		 bpfam_host_id_format(id, uuid));
}

int bpfam_mkfs(struct bpfam_device *dev, uint64_t log_size,
	       const uint8_t *primary_id, struct bpfam_sb_info *sb,
	       struct bpfam_err *err)
{
	uint64_t gen = old_generation(dev);
	int rc;

	if (!dev->writer)
		return bpfam_err(err, EROFS, "%s: not opened for writing",
				 dev->path);
	if (!log_size)
		log_size = bpfam_sb_default_log_size(dev->size);
	rc = bpfam_sb_init(sb, dev, log_size, err);
	if (rc)
		return rc;
	sb->generation = gen + 1;
	set_primary(sb, primary_id);
	/* The superblock goes last: until it is there, nothing is a bpfam. */
	rc = zero(dev, 0, BPFAM_SB_SIZE);
	if (!rc)
		rc = zero(dev, BPFAM_SB_SIZE,
			  sb->log_off + sb->log_size - BPFAM_SB_SIZE);
	if (!rc) {
		bpfam_sb_encode(sb, (struct bpfam_sb *)dev->base);
		rc = bpfam_device_flush(dev, dev->base, BPFAM_SB_SIZE);
	}
	if (rc)
		return bpfam_err(err, -rc, "%s: cannot write the new filesystem: %s",
				 dev->path, strerror(-rc));
	return 0;
}
