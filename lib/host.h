/* SPDX-License-Identifier: GPL-2.0 */
/* A host's identity: the id it registers in its slot and mkfs names primary. */
#ifndef BPFAM_HOST_H
#define BPFAM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfam/format.h"
#include "err.h"
#include "slot.h"

struct bpfam_fs;

/*
 * @id: /etc/machine-id as 16 bytes (all zero when unreadable);
 * @name: the hostname, NUL-terminated.
 */
void bpfam_host_identity(uint8_t id[16], char name[BPFAM_HOSTNAME_MAX + 1]);

/*
 * Parse a host id as people write one: 32 hex digits, dashes allowed
 * anywhere (a UUID or a machine-id).  0, or -EINVAL.
 */
int bpfam_host_id_parse(const char *s, uint8_t id[16]);

/* The id as a UUID string; @buf needs 37 bytes.  Returns @buf. */
char *bpfam_host_id_format(const uint8_t id[16], char *buf);

/*
 * This host's registration on a mounted filesystem: the slot it owns, what
 * it publishes there every heartbeat, and whether it has been fenced.
 */
struct bpfam_host {
	struct bpfam_fs *fs;
	struct bpfam_slot_info slot; /* as last published */
	bool joined;
};

/*
 * Take a slot for host @id (all zero: this machine's id, or a random one
 * where the machine has none) in @role, beating
 * every @period_ms.  A slot left by a host with the same id is taken over
 * when its heartbeat has stopped; while it still beats, -EBUSY (two mounts
 * with one id would hide each other's horizons).  -ENOSPC: every slot in use.
 */
int bpfam_host_join(struct bpfam_host *h, struct bpfam_fs *fs,
		    const uint8_t id[16], uint32_t role, uint32_t period_ms,
		    const char *mountpoint, struct bpfam_err *err);

/*
 * One heartbeat: check that the superblock is still ours and that nobody
 * evicted us (-ESTALE, naming which, when either changed: the caller must
 * fence itself and stop touching the device), then publish the log
 * position, the reclaim horizon and @stuck_seq.
 */
int bpfam_host_beat(struct bpfam_host *h, uint64_t stuck_seq,
		    struct bpfam_err *err);

/*
 * The heartbeat and the same checks, publishing nothing else: for a host
 * still loading the log (its horizon stays the one it joined with, which
 * holds everything back), so that it is seen live while it mounts and a
 * mkfs --force waits for it.  Touches no part of the namespace.
 */
int bpfam_host_pulse(struct bpfam_host *h, struct bpfam_err *err);

/*
 * Acknowledge a fence: mark our slot fenced, if it is still ours and the
 * slot area still belongs to the filesystem we joined.  The last store a
 * fenced host makes to the device.
 */
void bpfam_host_ack_fence(struct bpfam_host *h);

/* Give the slot back (a clean unmount). */
void bpfam_host_leave(struct bpfam_host *h);

#endif /* BPFAM_HOST_H */
