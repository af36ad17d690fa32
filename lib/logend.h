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

#endif /* BPFAM_LOGEND_H */
