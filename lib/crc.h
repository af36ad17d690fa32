/* SPDX-License-Identifier: GPL-2.0 */
/* CRC32C (Castagnoli), the checksum of every superblock and log record. */
#ifndef BPFAM_CRC_H
#define BPFAM_CRC_H

#include <stddef.h>
#include <stdint.h>

#define BPFAM_CRC_INIT 0xffffffffU

/* Continue a CRC over @buf; start from BPFAM_CRC_INIT, end with ~. */
uint32_t bpfam_crc32c_update(uint32_t state, const void *buf, size_t len);

/* The standard CRC32C of @buf ("123456789" -> 0xe3069283). */
uint32_t bpfam_crc32c(const void *buf, size_t len);

#endif /* BPFAM_CRC_H */
