/* SPDX-License-Identifier: GPL-2.0 */
/* Byte sizes as people type and read them: 4K, 2M, 1G, 1.5T. */
#ifndef BPFAM_UNITS_H
#define BPFAM_UNITS_H

#include <stdint.h>

/*
 * Parse a size with an optional binary suffix K, M, G, T or P (KiB...,
 * case-insensitive, an optional trailing "B" or "iB").  A number with a
 * suffix may have a fraction ("1.5T", up to 18 digits), rounded down to
 * whole bytes.  Returns 0, or -EINVAL for anything else (empty, negative,
 * junk, a fraction without a suffix, overflow).
 */
int bpfam_parse_size(const char *s, uint64_t *out);

/* "1.5 GiB"; @buf needs 32 bytes.  Returns @buf. */
char *bpfam_fmt_size(uint64_t bytes, char *buf);

#endif /* BPFAM_UNITS_H */
