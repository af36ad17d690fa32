/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error reports: every libbpfam failure carries one line naming the object
 * and the reason, so callers print it as is instead of a bare "failed".
 */
#ifndef BPFAM_ERR_H
#define BPFAM_ERR_H

struct bpfam_err {
	int code;       /* positive errno */
	char msg[512];  /* "OBJECT: reason" */
};

/* Fills @e (if not NULL) and returns -@code, for `return bpfam_err(...)`. */
int bpfam_err(struct bpfam_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* BPFAM_ERR_H */
