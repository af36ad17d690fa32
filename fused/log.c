// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <fuse_log.h>

#include "log.h"

#define LINE_MAX_BYTES 4096
#define HELD_MAX       (1 << 20) /* a verifier log is rarely more */

static const char *progname = "bpfamd";
static int max_prio = LOG_INFO;
static bool to_syslog;

/* libbpf's lines while a load is in progress (start-up, one thread). */
static struct {
	bool on;
	char *buf;
	size_t len;
} held;

const char *bpfamd_progname(void)
{
	return progname;
}

void bpfamd_log_debug(bool on)
{
	max_prio = on ? LOG_DEBUG : LOG_INFO;
}

void bpfamd_log_to_syslog(void)
{
	openlog(progname, LOG_PID, LOG_DAEMON);
	to_syslog = true;
}

static void put_line(int prio, const char *line, int len)
{
	if (to_syslog) {
		syslog(prio, "%.*s", len, line);
		return;
	}
	fprintf(stderr, "%s: %.*s\n", progname, len, line);
}

/* libfuse and libbpf end lines with '\n' and may send several at once. */
static void put_lines(int prio, const char *text)
{
	const char *nl;

	if (prio > max_prio)
		return;
	for (; *text; text = nl + 1) {
		nl = strchrnul(text, '\n');
		if (nl > text)
			put_line(prio, text, (int)(nl - text));
		if (!*nl)
			break;
	}
}

void bpfamd_vlog(int prio, const char *fmt, va_list ap)
{
	char line[LINE_MAX_BYTES];

	if (prio > max_prio)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	put_lines(prio, line);
}

void bpfamd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpfamd_vlog(prio, fmt, ap);
	va_end(ap);
}

/*
 * fuse_log_level has syslog's numbering.  libfuse builds some lines in
 * pieces ("unknown option(s): `" then each option): gather up to '\n'.
 */
static void fuse_log_cb(enum fuse_log_level level, const char *fmt, va_list ap)
{
	static __thread char line[LINE_MAX_BYTES];
	static __thread size_t len;
	size_t n;

	vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	n = strlen(line + len);
	len += n;
	if ((n && line[len - 1] == '\n') || len >= sizeof(line) - 1) {
		put_lines((int)level, line);
		len = 0;
		line[0] = '\0';
	}
}

static void hold(const char *fmt, va_list ap)
{
	char *p, *grown;
	int n;

	if (held.len >= HELD_MAX)
		return;
	n = vasprintf(&p, fmt, ap);
	if (n < 0)
		return;
	if (held.len + n > HELD_MAX)
		n = (int)(HELD_MAX - held.len);
	grown = realloc(held.buf, held.len + n + 1);
	if (grown) {
		memcpy(grown + held.len, p, n);
		held.len += n;
		grown[held.len] = '\0';
		held.buf = grown;
	}
	free(p);
}

static int libbpf_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {
		[LIBBPF_WARN] = LOG_WARNING,
		[LIBBPF_INFO] = LOG_INFO,
		[LIBBPF_DEBUG] = LOG_DEBUG,
	};

	if (held.on) {
		hold(fmt, ap);
		return 0;
	}
	/* libbpf's info is a detail of a start-up that worked. */
	bpfamd_vlog(level == LIBBPF_INFO ? LOG_DEBUG : prio[level], fmt, ap);
	return 0;
}

void bpfamd_log_libbpf_hold(void)
{
	held.on = true;
	held.len = 0;
}

void bpfamd_log_libbpf_release(bool failed)
{
	held.on = false;
	if (failed && held.buf)
		put_lines(LOG_WARNING, held.buf);
	else if (held.buf)
		put_lines(LOG_DEBUG, held.buf);
	free(held.buf);
	held.buf = NULL;
	held.len = 0;
}

void bpfamd_log_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0 && *argv0)
		progname = slash && slash[1] ? slash + 1 : argv0;
	fuse_set_log_func(fuse_log_cb);
	libbpf_set_print(libbpf_cb);
}
