// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "units.h"

static uint8_t *log_at(const struct bpfam_log *log, uint64_t off)
{
	return log->dev->base + log->base + off;
}

void bpfam_log_init(struct bpfam_log *log, const struct bpfam_device *dev,
		    const struct bpfam_sb_info *sb)
{
	log->dev = dev;
	log->base = sb->log_off;
	log->size = sb->log_size;
	log->tail = 0;
	log->next_seq = 1;
	log->unsure_off = 0;
	log->unsure_len = 0;
	log->group = NULL;
}

/* Retry the flush of a sealed record that may not be durable. */
static int settle(struct bpfam_log *log, struct bpfam_err *err)
{
	int rc;

	if (!bpfam_log_unsure(log))
		return 0;
	rc = bpfam_device_flush(log->dev, log_at(log, log->unsure_off),
				log->unsure_len);
	if (rc)
		return bpfam_err(err, EIO,
				 "%s: metadata changes refused: the log still "
				 "cannot be flushed (%s)",
				 log->dev->path, strerror(-rc));
	log->unsure_len = 0;
	return 0;
}

int bpfam_log_next(struct bpfam_log *log, struct bpfam_record *r,
		   struct bpfam_err *err)
{
	uint64_t avail = log->size - log->tail;
	uint8_t *p = log_at(log, log->tail);
	const struct bpfam_rec_hdr *h = (const struct bpfam_rec_hdr *)p;
	uint64_t body = avail < BPFAM_REC_MAX ? avail : BPFAM_REC_MAX;
	char where[PATH_MAX + 64];
	long len;

	if (avail < sizeof(struct bpfam_rec_hdr))
		return 0;
	/* See the header another host may just have sealed, then the body:
	 * only its bytes (decode checks len), not a whole maximal record. */
	bpfam_device_invalidate(log->dev, p, sizeof(struct bpfam_rec_hdr));
	if (h->magic == 0)
		return 0;
	if (le32toh(h->len) > sizeof(*h) && le32toh(h->len) < body)
		body = le32toh(h->len);
	bpfam_device_invalidate(log->dev, p, body);
	/* Naming the record costs more than decoding it: only for a bad one,
	 * decoded again (decoding changes nothing) to say why. */
	len = bpfam_record_decode(p, avail, log->next_seq, "", r, NULL);
	if (len < 0) {
		snprintf(where, sizeof(where),
			 "%s: log record %llu at offset %llu", log->dev->path,
			 (unsigned long long)log->next_seq,
			 (unsigned long long)(log->base + log->tail));
		len = bpfam_record_decode(p, avail, log->next_seq, where, r,
					  err);
	}
	if (len <= 0)
		return (int)len;
	log->tail += len;
	log->next_seq++;
	return 1;
}

static uint64_t tail_window(const struct bpfam_log *log)
{
	uint64_t avail = log->size - log->tail;

	return avail < BPFAM_REC_MAX ? avail : BPFAM_REC_MAX;
}

uint64_t bpfam_log_torn_bytes(const struct bpfam_log *log)
{
	const uint8_t *p = log_at(log, log->tail);
	uint64_t i, n = 0, win = tail_window(log);

	bpfam_device_invalidate(log->dev, p, win);
	for (i = 0; i < win; i++)
		n += p[i] != 0;
	return n;
}

int bpfam_log_clear_tail(struct bpfam_log *log)
{
	uint8_t *p = log_at(log, log->tail);
	uint64_t win = tail_window(log);

	memset(p, 0, win);
	return bpfam_device_flush(log->dev, p, win);
}

/* A group flush of [from, to) of the log (bpfam_log_group()). */
static int seal_range(void *arg, uint64_t from, uint64_t to)
{
	struct bpfam_log *log = arg;
	const struct bpfam_rec_hdr *h;
	uint64_t off;
	int rc;

	if (from == to)
		return 0;
	/* Every body durable before any seal: a reader or a crash never
	 * finds a sealed record with a body that is not. */
	rc = bpfam_device_flush(log->dev, log_at(log, from), to - from);
	if (rc)
		return rc;
	for (off = from; off < to; off += le32toh(h->len)) {
		h = (const struct bpfam_rec_hdr *)log_at(log, off);
		bpfam_record_seal(log_at(log, off));
	}
	return bpfam_device_flush(log->dev, log_at(log, from), to - from);
}

void bpfam_log_group(struct bpfam_log *log, struct bpfam_group *g)
{
	bpfam_group_init(g, seal_range, log, log->tail);
	log->group = g;
}

/* Group mode: keep what is unsealed within BPFAM_REC_MAX of the last
 * durable record, the window a torn tail is cleared over. */
static int make_room(struct bpfam_log *log, size_t len, struct bpfam_err *err)
{
	int rc;

	if (log->tail + len - bpfam_group_durable(log->group) <= BPFAM_REC_MAX)
		return 0;
	rc = bpfam_group_sync(log->group);
	if (rc)
		return bpfam_err(err, EIO, "%s: cannot flush the log: %s",
				 log->dev->path, strerror(-rc));
	return 0;
}

int bpfam_log_append(struct bpfam_log *log, struct bpfam_record *r,
		     struct bpfam_err *err)
{
	size_t len = bpfam_record_size(r);
	char a[32], b[32];
	uint8_t *p;
	int rc;

	if (!log->dev->writer)
		return bpfam_err(err, EROFS,
				 "%s: not opened as the metadata writer",
				 log->dev->path);
	rc = settle(log, err);
	if (rc)
		return rc;
	if (len > log->size - log->tail)
		return bpfam_err(err, ENOSPC,
				 "%s: metadata log full (%s of %s used); make "
				 "a new filesystem with a larger --log-size",
				 log->dev->path, bpfam_fmt_size(log->tail, a),
				 bpfam_fmt_size(log->size, b));
	if (log->group) {
		rc = make_room(log, len, err);
		if (rc)
			return rc;
	}
	r->seq = log->next_seq;
	p = log_at(log, log->tail);
	/* Body first, magic last: readers never see half a record. */
	bpfam_record_encode(r, p);
	if (log->group) {
		log->tail += len;
		log->next_seq++;
		bpfam_group_appended(log->group, log->tail);
		return 0;
	}
	rc = bpfam_device_flush(log->dev, p, len);
	if (rc)
		goto unsealed;
	bpfam_record_seal(p);
	rc = bpfam_device_flush(log->dev, p, sizeof(struct bpfam_rec_hdr));
	/* Sealed is in the log, durable or not: never reuse its place. */
	if (rc) {
		log->unsure_off = log->tail;
		log->unsure_len = len;
	}
	log->tail += len;
	log->next_seq++;
	if (rc)
		return bpfam_err(err, EIO,
				 "%s: log record %llu may not be durable: %s",
				 log->dev->path, (unsigned long long)r->seq,
				 strerror(-rc));
	return 0;
unsealed:
	/* Never sealed, so never a record: leave the tail zeroed. */
	memset(p, 0, len);
	return bpfam_err(err, EIO, "%s: cannot write log record %llu: %s",
			 log->dev->path, (unsigned long long)r->seq,
			 strerror(-rc));
}
