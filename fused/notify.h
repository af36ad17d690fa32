/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BPFAMD_NOTIFY_H
#define BPFAMD_NOTIFY_H

struct bpfamd;

/* Tell systemd (Type=notify) that the mount is up; nothing without it. */
void bpfamd_notify_ready(const struct bpfamd *d);

#endif
