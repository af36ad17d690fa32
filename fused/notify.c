// SPDX-License-Identifier: GPL-2.0
/*
 * Readiness for a systemd Type=notify service (pkg/bpfam@.service).  Called
 * once the FUSE mount exists and just before the daemon serves it: from
 * then on a request to the mount is answered (the kernel queues it until
 * the loop reads it), so units ordered after this one find the mount up.
 * Without NOTIFY_SOCKET in the environment sd_notify() does nothing.
 */
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>

#include "bpfamd.h"
#include "notify.h"

void bpfamd_notify_ready(const struct bpfamd *d)
{
	int rc = sd_notifyf(0, "READY=1\nSTATUS=serving %s at %s", d->device,
			    d->mountpoint);

	if (rc < 0)
		bpfamd_log(LOG_WARNING,
			   "NOTIFY_SOCKET: cannot tell systemd the mount is "
			   "ready: %s",
			   strerror(-rc));
}
