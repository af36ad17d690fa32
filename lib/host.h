/* SPDX-License-Identifier: GPL-2.0 */
/* This host's identity, recorded as the primary (the one metadata writer). */
#ifndef BPFAM_HOST_H
#define BPFAM_HOST_H

#include <stdint.h>

#include "bpfam/format.h"

/*
 * @id: /etc/machine-id as 16 bytes (all zero when unreadable);
 * @name: the hostname, NUL-terminated.
 */
void bpfam_host_identity(uint8_t id[16], char name[BPFAM_HOSTNAME_MAX + 1]);

#endif /* BPFAM_HOST_H */
