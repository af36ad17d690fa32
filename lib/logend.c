// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>

#include "logend.h"

static uint64_t first_nonzero(const uint8_t *p, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return i;
	return n;
}

/* "after record 17" or "before the first record", for messages. */
static void position(const struct bpfam_log *log, char *buf, size_t n)
{
	if (log->next_seq > 1)
		snprintf(buf, n, "after record %llu",
			 (unsigned long long)(log->next_seq - 1));
	else
		snprintf(buf, n, "before the first record");
}

int bpfam_log_check_end(const struct bpfam_log *log, struct bpfam_err *err)
{
	const uint8_t *p = log->dev->base + log->base + log->tail;
	uint64_t rest = log->size - log->tail;
	uint64_t torn = bpfam_log_torn_bytes(log);
	uint64_t stray;
	char where[64];

	position(log, where, sizeof(where));
	if (torn)
		return bpfam_err(err, EBADMSG,
				 "%s: log: unfinished append of %llu bytes %s "
				 "at offset %llu",
				 log->dev->path, (unsigned long long)torn,
				 where,
				 (unsigned long long)(log->base + log->tail));
	bpfam_device_invalidate(log->dev, p, rest);
	stray = first_nonzero(p, rest);
	if (stray < rest)
		return bpfam_err(
			err, EBADMSG,
			"%s: log: stray non-zero byte at offset %llu, %llu "
			"bytes past the end of the log (%s)",
			log->dev->path,
			(unsigned long long)(log->base + log->tail + stray),
			(unsigned long long)stray, where);
	return 0;
}
