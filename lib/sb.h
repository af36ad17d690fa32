/* SPDX-License-Identifier: GPL-2.0 */
/* The superblock: decoded, validated, encoded (format in bpfam/format.h). */
#ifndef BPFAM_SB_H
#define BPFAM_SB_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfam/format.h"
#include "device.h"
#include "err.h"

struct bpfam_sb_info {
	uint32_t version;
	uint64_t incompat;
	uint64_t compat;
	uint8_t uuid[16];
	uint64_t generation;
	uint64_t alloc_unit;
	uint64_t log_off;
	uint64_t log_size;
	uint64_t slots_off;
	uint32_t slots_nr;
	uint32_t slot_size;
	uint64_t data_off;
	uint64_t ctime;
	uint8_t primary_id[16];
	char primary_name[BPFAM_HOSTNAME_MAX + 1];
	uint32_t ndevs;
	struct {
		uint8_t uuid[16];
		uint64_t size;
	} devs[BPFAM_MAX_DEVS];
};

void bpfam_sb_encode(const struct bpfam_sb_info *sb, struct bpfam_sb *out);

/*
 * Decode and validate every field of @in against a device of @dev_size
 * bytes named @name.  -ENODATA: no bpfam here; -EBADMSG: corrupt;
 * -EPROTONOSUPPORT: written by a newer (or much older) bpfam; -ESTALE:
 * fenced by a mkfs --force that has not finished.
 */
int bpfam_sb_decode(const struct bpfam_sb *in, uint64_t dev_size,
		    const char *name, struct bpfam_sb_info *sb,
		    struct bpfam_err *err);

/* Read the superblock of @dev; see bpfam_sb_decode. */
int bpfam_sb_read(const struct bpfam_device *dev, struct bpfam_sb_info *sb,
		  struct bpfam_err *err);

/*
 * As bpfam_sb_read(), but a superblock fenced by mkfs --force is decoded
 * and checked too (*@fenced tells): the fence changed only the magic, so
 * with the magic put back the checksum and every field still hold.  For
 * what must find the hosts of a fenced filesystem: mkfs, bpfam hosts.
 */
int bpfam_sb_read_fenced(const struct bpfam_device *dev,
			 struct bpfam_sb_info *sb, bool *fenced,
			 struct bpfam_err *err);

/* The log size mkfs picks for a device of @dev_size bytes. */
uint64_t bpfam_sb_default_log_size(uint64_t dev_size);

/* Fill @sb for a new filesystem on @dev with a log of @log_size bytes. */
int bpfam_sb_init(struct bpfam_sb_info *sb, const struct bpfam_device *dev,
		  uint64_t log_size, struct bpfam_err *err);

#endif /* BPFAM_SB_H */
