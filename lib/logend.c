// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The first non-zero byte of the log area at or after @from, or its size. */
static uint64_t scan_from(const struct bpfam_log *log, uint64_t from)
{
	const uint8_t *p = log->dev->base + log->base + from;

	if (from >= log->size)
		return log->size;
	bpfam_device_invalidate(log->dev, p, log->size - from);
	return from + first_nonzero(p, log->size - from);
}

/* Where an append at @off can write: its header and at most a record. */
static uint64_t window_end(const struct bpfam_log *log, uint64_t off)
{
	uint64_t rest = log->size - off;

	return off + (rest < BPFAM_REC_MAX ? rest : BPFAM_REC_MAX);
}

/* Step @c over the records sealed since it stopped: 0 or -EBADMSG. */
static int walk_sealed(struct bpfam_log *c, uint64_t *newer,
		       struct bpfam_err *err)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return bpfam_err(err, ENOMEM, "%s: out of memory",
				 c->dev->path);
	while ((rc = bpfam_log_next(c, r, err)) == 1)
		(*newer)++;
	free(r);
	return rc;
}

static int stray(const struct bpfam_log *c, uint64_t off, struct bpfam_err *err)
{
	char where[64];

	position(c, where, sizeof(where));
	return bpfam_err(err, EBADMSG,
			 "%s: log: stray non-zero byte at offset %llu, %llu "
			 "bytes past the end of the log (%s)",
			 c->dev->path, (unsigned long long)(c->base + off),
			 (unsigned long long)(off - c->tail), where);
}

/*
 * An append writes nothing past BPFAM_REC_MAX beyond the last sealed
 * record, and seals records in order.  So a non-zero byte seen by a scan
 * is explained by appends when a walk made after that scan ends less than
 * BPFAM_REC_MAX before it; anything further on is stray.  Every round
 * starts its scan past the byte the last one found, so the loop ends, at
 * the latest at the end of the log area.
 */
int bpfam_log_end_live(const struct bpfam_log *log, struct bpfam_log_end *out,
		       struct bpfam_err *err)
{
	struct bpfam_log c = *log;
	uint64_t from = log->tail, s;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((s = scan_from(&c, from)) < c.size) {
		rc = walk_sealed(&c, &out->newer, err);
		if (rc < 0)
			return rc;
		if (s >= window_end(&c, c.tail))
			return stray(&c, s, err);
		from = s < c.tail ? c.tail : window_end(&c, c.tail);
	}
	/* Count the bytes at the end only once no record is sealed there. */
	do {
		rc = walk_sealed(&c, &out->newer, err);
		if (rc < 0)
			return rc;
		out->torn = bpfam_log_torn_bytes(&c);
	} while (out->torn && c.size - c.tail >= sizeof(struct bpfam_rec_hdr) &&
		 ((const struct bpfam_rec_hdr *)(c.dev->base + c.base + c.tail))
			 ->magic);
	out->end = c.tail;
	out->last_seq = c.next_seq - 1;
	return 0;
}
