// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "crc.h"
#include "host.h"
#include "sb.h"
#include "units.h"

_Static_assert(sizeof(struct bpfam_sb) == BPFAM_SB_SIZE,
	       "superblock must fill BPFAM_SB_SIZE exactly");

#define SB_CRC_LEN offsetof(struct bpfam_sb, crc)

void bpfam_sb_encode(const struct bpfam_sb_info *sb, struct bpfam_sb *out)
{
	uint32_t i;

	memset(out, 0, sizeof(*out));
	out->magic = htole64(BPFAM_SB_MAGIC);
	out->version = htole32(sb->version);
	out->sb_size = htole32(BPFAM_SB_SIZE);
	out->incompat = htole64(sb->incompat);
	out->compat = htole64(sb->compat);
	memcpy(out->uuid, sb->uuid, 16);
	out->generation = htole64(sb->generation);
	out->alloc_unit = htole64(sb->alloc_unit);
	out->log_off = htole64(sb->log_off);
	out->log_size = htole64(sb->log_size);
	out->slots_off = htole64(sb->slots_off);
	out->slots_nr = htole32(sb->slots_nr);
	out->slot_size = htole32(sb->slot_size);
	out->data_off = htole64(sb->data_off);
	out->ctime = htole64(sb->ctime);
	memcpy(out->primary_id, sb->primary_id, 16);
	memcpy(out->primary_name, sb->primary_name,
	       strnlen(sb->primary_name, BPFAM_HOSTNAME_MAX));
	out->ndevs = htole32(sb->ndevs);
	for (i = 0; i < sb->ndevs && i < BPFAM_MAX_DEVS; i++) {
		memcpy(out->devs[i].uuid, sb->devs[i].uuid, 16);
		out->devs[i].size = htole64(sb->devs[i].size);
	}
	out->crc = htole32(bpfam_crc32c(out, SB_CRC_LEN));
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static void decode_fields(const struct bpfam_sb *in, struct bpfam_sb_info *sb)
{
	uint32_t i;

	memset(sb, 0, sizeof(*sb));
	sb->version = le32toh(in->version);
	sb->incompat = le64toh(in->incompat);
	sb->compat = le64toh(in->compat);
	memcpy(sb->uuid, in->uuid, 16);
	sb->generation = le64toh(in->generation);
	sb->alloc_unit = le64toh(in->alloc_unit);
	sb->log_off = le64toh(in->log_off);
	sb->log_size = le64toh(in->log_size);
	sb->slots_off = le64toh(in->slots_off);
	sb->slots_nr = le32toh(in->slots_nr);
	sb->slot_size = le32toh(in->slot_size);
	sb->data_off = le64toh(in->data_off);
	sb->ctime = le64toh(in->ctime);
	memcpy(sb->primary_id, in->primary_id, 16);
	memcpy(sb->primary_name, in->primary_name, BPFAM_HOSTNAME_MAX);
	sb->ndevs = le32toh(in->ndevs);
	for (i = 0; i < BPFAM_MAX_DEVS; i++) {
		memcpy(sb->devs[i].uuid, in->devs[i].uuid, 16);
		sb->devs[i].size = le64toh(in->devs[i].size);
	}
}

#define BAD(...) bpfam_err(err, EBADMSG, __VA_ARGS__)

/* Field checks, in on-media order; the CRC has already matched. */
static int check_fields(const struct bpfam_sb *in,
			const struct bpfam_sb_info *sb, uint64_t dev_size,
			const char *name, struct bpfam_err *err)
{
	uint64_t dev0;
	uint32_t i;

	if (le32toh(in->sb_size) != BPFAM_SB_SIZE)
		return BAD("%s: superblock: sb_size %u, expected %u", name,
			   le32toh(in->sb_size), BPFAM_SB_SIZE);
	if (!(sb->incompat & BPFAM_INCOMPAT_RECLAIM))
		return BAD("%s: superblock: the reclaim feature bit is not set; every version 2 filesystem has it",
			   name);
	if (sb->incompat & ~BPFAM_INCOMPAT_KNOWN)
		return bpfam_err(err, EPROTONOSUPPORT,
				 "%s: superblock: unknown incompatible features 0x%llx; upgrade bpfam",
				 name, (unsigned long long)sb->incompat);
	if (uuid_is_null(sb->uuid))
		return BAD("%s: superblock: filesystem UUID is null", name);
	if (sb->alloc_unit != BPFAM_ALLOC_UNIT)
		return BAD("%s: superblock: alloc_unit %llu, expected 2 MiB",
			   name, (unsigned long long)sb->alloc_unit);
	if (sb->slots_off != BPFAM_SLOTS_OFF ||
	    sb->slots_nr != BPFAM_SLOTS_NR ||
	    sb->slot_size != BPFAM_SLOT_SIZE)
		return BAD("%s: superblock: host slot area %llu/%u/%u, expected %llu/%u/%u",
			   name, (unsigned long long)sb->slots_off,
			   sb->slots_nr, sb->slot_size,
			   (unsigned long long)BPFAM_SLOTS_OFF, BPFAM_SLOTS_NR,
			   BPFAM_SLOT_SIZE);
	if (sb->log_off != BPFAM_LOG_OFF)
		return BAD("%s: superblock: log offset %llu, expected %llu",
			   name, (unsigned long long)sb->log_off,
			   (unsigned long long)BPFAM_LOG_OFF);
	if (sb->log_size < BPFAM_MIN_LOG || sb->log_size > BPFAM_MAX_LOG ||
	    sb->log_size % BPFAM_ALLOC_UNIT)
		return BAD("%s: superblock: log size %llu is not a multiple of 2 MiB in [2 MiB, 1 TiB]",
			   name, (unsigned long long)sb->log_size);
	if (sb->data_off != sb->log_off + sb->log_size)
		return BAD("%s: superblock: data offset %llu does not follow the log (%llu)",
			   name, (unsigned long long)sb->data_off,
			   (unsigned long long)(sb->log_off + sb->log_size));
	if (sb->ndevs != 1)
		return BAD("%s: superblock: %u devices; this version supports exactly 1",
			   name, sb->ndevs);
	for (i = sb->ndevs; i < BPFAM_MAX_DEVS; i++)
		if (!all_zero(&in->devs[i], sizeof(in->devs[i])))
			return BAD("%s: superblock: unused device slot %u is not zero",
				   name, i);
	dev0 = sb->devs[0].size;
	if (dev0 % BPFAM_ALLOC_UNIT || dev0 <= sb->data_off)
		return BAD("%s: superblock: device size %llu is not a multiple of 2 MiB beyond the data offset %llu",
			   name, (unsigned long long)dev0,
			   (unsigned long long)sb->data_off);
	if (dev0 > dev_size)
		return BAD("%s: superblock: filesystem is %llu bytes but the device has only %llu",
			   name, (unsigned long long)dev0,
			   (unsigned long long)dev_size);
	if (in->rsvd0 || in->devs[0].rsvd ||
	    !all_zero(in->rsvd1, sizeof(in->rsvd1)))
		return BAD("%s: superblock: reserved bytes are not zero", name);
	return 0;
}

int bpfam_sb_decode(const struct bpfam_sb *in, uint64_t dev_size,
		    const char *name, struct bpfam_sb_info *sb,
		    struct bpfam_err *err)
{
	uint32_t want, got;

	if (le64toh(in->magic) == BPFAM_SB_FENCE_MAGIC)
		return bpfam_err(err, ESTALE,
				 "%s: fenced by 'bpfam mkfs --force' (it waits for mounted hosts to let go, or stopped before formatting); run it again",
				 name);
	if (le64toh(in->magic) != BPFAM_SB_MAGIC)
		return bpfam_err(err, ENODATA,
				 "%s: no bpfam filesystem (superblock magic not found); create one with 'bpfam mkfs %s'",
				 name, name);
	decode_fields(in, sb);
	if (sb->version > BPFAM_VERSION)
		return bpfam_err(err, EPROTONOSUPPORT,
				 "%s: format version %u is newer than this bpfam supports (%u); upgrade bpfam",
				 name, sb->version, BPFAM_VERSION);
	if (sb->version == 1)
		return bpfam_err(err, EPROTONOSUPPORT,
				 "%s: format version 1 (no host slots, no delete): copy the files off with the bpfam that made it, then 'bpfam mkfs --force %s'",
				 name, name);
	if (sb->version != BPFAM_VERSION)
		return BAD("%s: superblock: format version %u is invalid",
			   name, sb->version);
	want = le32toh(in->crc);
	got = bpfam_crc32c(in, SB_CRC_LEN);
	if (want != got)
		return BAD("%s: superblock: checksum mismatch (stored 0x%08x, computed 0x%08x)",
			   name, want, got);
	return check_fields(in, sb, dev_size, name, err);
}

/*
 * A device lent to the kernel maps only up to the lent part: the
 * metadata (slots, log) must lie before it, or nothing may touch them.
 */
static int metadata_maps(const struct bpfam_device *dev,
			 const struct bpfam_sb_info *sb, struct bpfam_err *err)
{
	char a[32], b[32];

	if (dev->mapped >= sb->data_off)
		return 0;
	return bpfam_err(err, EACCES,
			 "%s: lent to the kernel from %s, inside bpfam's metadata (which ends at %s); give it back with 'bpfam lend --none %s'",
			 dev->path, bpfam_fmt_size(dev->mapped, a),
			 bpfam_fmt_size(sb->data_off, b), dev->path);
}

int bpfam_sb_read(const struct bpfam_device *dev, struct bpfam_sb_info *sb,
		  struct bpfam_err *err)
{
	struct bpfam_sb copy;
	int rc;

	/* Decode a private copy: another host may rewrite it under us. */
	bpfam_device_invalidate(dev, dev->base, sizeof(copy));
	memcpy(&copy, dev->base, sizeof(copy));
	rc = bpfam_sb_decode(&copy, dev->size, dev->path, sb, err);
	return rc ? rc : metadata_maps(dev, sb, err);
}

int bpfam_sb_read_fenced(const struct bpfam_device *dev,
			 struct bpfam_sb_info *sb, bool *fenced,
			 struct bpfam_err *err)
{
	struct bpfam_sb copy;
	int rc;

	bpfam_device_invalidate(dev, dev->base, sizeof(copy));
	memcpy(&copy, dev->base, sizeof(copy));
	*fenced = le64toh(copy.magic) == BPFAM_SB_FENCE_MAGIC;
	if (*fenced)
		copy.magic = htole64(BPFAM_SB_MAGIC);
	rc = bpfam_sb_decode(&copy, dev->size, dev->path, sb, err);
	return rc ? rc : metadata_maps(dev, sb, err);
}

uint64_t bpfam_sb_default_log_size(uint64_t dev_size)
{
	/* 1/256 of the device (~20k files per GiB of log per 256 GiB)... */
	uint64_t log = dev_size / 256;

	/* ...but never less than famfs's 8 MiB, nor more than 1 GiB, */
	if (log < (8ULL << 20))
		log = 8ULL << 20;
	if (log > (1ULL << 30))
		log = 1ULL << 30;
	/* ...and never more than a quarter of a small device. */
	if (log > dev_size / 4)
		log = dev_size / 4;
	log -= log % BPFAM_ALLOC_UNIT;
	return log < BPFAM_MIN_LOG ? BPFAM_MIN_LOG : log;
}

int bpfam_sb_init(struct bpfam_sb_info *sb, const struct bpfam_device *dev,
		  uint64_t log_size, struct bpfam_err *err)
{
	char a[32];

	if (log_size < BPFAM_MIN_LOG || log_size % BPFAM_ALLOC_UNIT)
		return bpfam_err(err, EINVAL,
				 "log size %llu: must be a multiple of 2 MiB and at least 2 MiB",
				 (unsigned long long)log_size);
	if (log_size > BPFAM_MAX_LOG ||
	    BPFAM_LOG_OFF + log_size + BPFAM_ALLOC_UNIT > dev->size)
		return bpfam_err(err, ENOSPC,
				 "log size %s: does not leave room for data on %s",
				 bpfam_fmt_size(log_size, a), dev->path);
	memset(sb, 0, sizeof(*sb));
	sb->version = BPFAM_VERSION;
	sb->incompat = BPFAM_INCOMPAT_RECLAIM | BPFAM_INCOMPAT_POSIX;
	sb->generation = 1;
	uuid_generate(sb->uuid);
	sb->alloc_unit = BPFAM_ALLOC_UNIT;
	sb->log_off = BPFAM_LOG_OFF;
	sb->log_size = log_size;
	sb->slots_off = BPFAM_SLOTS_OFF;
	sb->slots_nr = BPFAM_SLOTS_NR;
	sb->slot_size = BPFAM_SLOT_SIZE;
	sb->data_off = sb->log_off + log_size;
	sb->ctime = (uint64_t)time(NULL);
	bpfam_host_identity(sb->primary_id, sb->primary_name);
	sb->ndevs = 1;
	sb->devs[0].size = dev->size;
	return 0;
}
