/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seeded pseudo-random stream that bpfam creat --random writes and
 * bpfam verify checks.  Byte i of the stream for seed S is byte i % 8 of
 * splitmix64(S + (i / 8 + 1) * golden) (little-endian), so any block can
 * be made on its own: verify compares as it reads, at any offset.
 */
#ifndef BPFAM_TOOLS_PATTERN_H
#define BPFAM_TOOLS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Buffer size of pattern_write/pattern_verify; a multiple of 8. */
#define PATTERN_BUF (4U << 20)

/* Bytes [@off, @off + @len) of the stream of @seed into @buf. */
void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len);

/*
 * Write the first @size bytes of the stream of @seed to @fd (@path, for
 * errors) and fsync it.  0, or -1 after an error naming the offset.
 */
int pattern_write(const char *cmd, int fd, const char *path, uint64_t seed,
		  uint64_t size);

/*
 * Read @size bytes of @fd back from the daemon (not this host's page
 * cache) and compare them with the stream of @seed.  0 when they match;
 * -1 after an error naming the first offset that differs, or the read
 * that failed.
 */
int pattern_verify(const char *cmd, int fd, const char *path, uint64_t seed,
		   uint64_t size);

/* Parse a --seed value (decimal or 0x hex, 64 bits); -1 after a usage error. */
int pattern_parse_seed(const char *cmd, const char *arg, uint64_t *seed);

#endif /* BPFAM_TOOLS_PATTERN_H */
