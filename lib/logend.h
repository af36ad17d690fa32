/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What follows the last record of a log.  A clean log is zero from its end
 * to the end of its area: mkfs zeroes it and appends only ever write at the
 * end.  The offline checkers (fsck, logdump) report anything else.
 */
#ifndef BPFAM_LOGEND_H
#define BPFAM_LOGEND_H

#include "err.h"
#include "log.h"

/*
 * Call when bpfam_log_next() has returned 0.  Returns 0 when the rest of
 * the log area is zero, else -EBADMSG with @err naming either an
 * unfinished append (non-zero bytes where the next record goes) or stray
 * bytes further on, which no append can have left.
 */
int bpfam_log_check_end(const struct bpfam_log *log, struct bpfam_err *err);

/* What follows the snapshot of a log that a primary may still append to. */
struct bpfam_log_end {
	uint64_t newer; /* records sealed past the snapshot while we looked */
	uint64_t end;	/* log offset after them: where the next one goes */
	uint64_t torn;	/* non-zero bytes there: an append not sealed (yet) */
	uint64_t last_seq; /* the last record sealed, 0 if none */
};

/*
 * bpfam_log_check_end() for a log that may be live.  Records sealed after
 * the cursor's snapshot are walked (decoded, not played) rather than taken
 * for stray bytes, and the bytes of the record being appended after them
 * are counted in @out->torn, not reported: whether that is an append in
 * progress or one a crash left is for the caller to tell (is a primary
 * live?).  -EBADMSG names stray bytes past that record, or a sealed record
 * that does not decode.
 */
int bpfam_log_end_live(const struct bpfam_log *log, struct bpfam_log_end *out,
		       struct bpfam_err *err);

#endif /* BPFAM_LOGEND_H */
