/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfamd's one logger, for its own messages and for libfuse's and
 * libbpf's: stderr (prefixed with the program name) until the daemon goes
 * to the background, then syslog (the journal).  Levels are syslog's;
 * LOG_DEBUG lines are kept only with -o debug.
 */
#ifndef BPFAMD_LOG_H
#define BPFAMD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* Name messages after basename(argv0); route libfuse and libbpf here. */
void bpfamd_log_init(const char *argv0);
const char *bpfamd_progname(void);
void bpfamd_log_debug(bool on);
/* From now on to syslog: stderr is /dev/null once daemonized. */
void bpfamd_log_to_syslog(void);

void bpfamd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bpfamd_vlog(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Around a BPF program load: hold libbpf's lines (debug ones too), then
 * either log them all at LOG_WARNING (the load failed: the verifier log is
 * the one thing a kernel developer needs) or drop those below the level.
 */
void bpfamd_log_libbpf_hold(void);
void bpfamd_log_libbpf_release(bool failed);

#endif /* BPFAMD_LOG_H */
