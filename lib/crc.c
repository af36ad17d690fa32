// SPDX-License-Identifier: GPL-2.0
#include <limits.h>

#include <isa-l/crc.h>

#include "crc.h"

uint32_t bpfam_crc32c_update(uint32_t state, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* ISA-L takes an int length. */
	while (len > INT_MAX) {
		state = crc32_iscsi((unsigned char *)p, INT_MAX, state);
		p += INT_MAX;
		len -= INT_MAX;
	}
	return crc32_iscsi((unsigned char *)p, (int)len, state);
}

uint32_t bpfam_crc32c(const void *buf, size_t len)
{
	return ~bpfam_crc32c_update(BPFAM_CRC_INIT, buf, len);
}
