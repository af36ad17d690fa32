// SPDX-License-Identifier: GPL-2.0
/* The seeded stream of creat --random and verify: see pattern.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fileops.h"
#include "pattern.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL

/* Word @i of the stream: splitmix64, which needs no state to seek. */
static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * GOLDEN;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		uint64_t at = off + done, w = word(seed, at / 8);
		unsigned int b;

		/* Little-endian whatever the host, so files move between hosts. */
		for (b = at % 8; b < 8 && done < len; b++, done++)
			p[done] = (unsigned char)(w >> (8 * b));
	}
}

static int xfer(const char *cmd, int fd, const char *path, void *buf,
		size_t len, uint64_t off, bool wr)
{
	uint64_t at;
	int err = io_full(fd, buf, len, off, wr, &at);

	if (err)
		io_error(cmd, path, err, wr, at);
	return err ? -1 : 0;
}

static size_t block_at(uint64_t size, uint64_t off)
{
	return size - off < PATTERN_BUF ? size - off : PATTERN_BUF;
}

int pattern_write(const char *cmd, int fd, const char *path, uint64_t seed,
		  uint64_t size)
{
	char *buf = malloc(PATTERN_BUF);
	uint64_t off;
	size_t len;
	int ret = 0;

	if (!buf) {
		cmd_error(cmd, "%s: %s", path, errno_str(ENOMEM));
		return -1;
	}
	for (off = 0; off < size && !ret; off += len) {
		len = block_at(size, off);
		pattern_fill(seed, off, buf, len);
		ret = xfer(cmd, fd, path, buf, len, off, true);
	}
	free(buf);
	if (!ret && fsync(fd)) {
		cmd_error(cmd, "%s: %s while syncing", path, errno_str(errno));
		ret = -1;
	}
	return ret;
}

int pattern_verify(const char *cmd, int fd, const char *path, uint64_t seed,
		   uint64_t size)
{
	char *want = malloc(PATTERN_BUF), *got = malloc(PATTERN_BUF);
	uint64_t off;
	size_t len, i;
	int ret = -1;

	if (!want || !got) {
		cmd_error(cmd, "%s: %s", path, errno_str(ENOMEM));
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (off = 0; off < size; off += len) {
		len = block_at(size, off);
		if (xfer(cmd, fd, path, got, len, off, false))
			goto out;
		pattern_fill(seed, off, want, len);
		i = first_diff(want, got, len);
		if (i < len) {
			cmd_error(cmd,
				  "%s: differs from the stream of seed %" PRIu64
				  " at offset %" PRIu64,
				  path, seed, off + i);
			goto out;
		}
	}
	ret = 0;
out:
	free(want);
	free(got);
	return ret;
}

int pattern_parse_seed(const char *cmd, const char *arg, uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-') {
		cmd_usage_error(cmd, "--seed '%s': need a number, 0 to 2^64-1",
				arg);
		return -1;
	}
	return 0;
}
