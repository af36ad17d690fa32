// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for testing bpfam check: it alters what getxattr(2)
 * returns for one file's user.bpfam.fmap, so that the CLI sees a damaged
 * filesystem that the daemon's log player would never serve (it refuses
 * overlapping or out-of-device fmaps at play).  Nothing is written: the
 * device, the log and the daemon stay as they are.
 *
 *   BPFAM_SHIM_FILE=PATH      the file whose fmap to alter (as the CLI
 *                             names it)
 *   BPFAM_SHIM_FROM=PATH      report PATH's fmap instead (an overlap)
 *   BPFAM_SHIM_DEV_OFF=BYTES  set its first extent's device offset
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "bpfam/fmap.h"

typedef ssize_t (*getxattr_fn)(const char *, const char *, void *, size_t);

ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	static getxattr_fn real;
	const char *file = getenv("BPFAM_SHIM_FILE");
	const char *from = getenv("BPFAM_SHIM_FROM");
	const char *off = getenv("BPFAM_SHIM_DEV_OFF");
	size_t at = offsetof(struct bpfam_fmap, ext[0].dev_off);
	unsigned long long v;
	ssize_t n;

	if (!real)
		real = (getxattr_fn)dlsym(RTLD_NEXT, "getxattr");
	if (!file || strcmp(path, file) || strcmp(name, "user.bpfam.fmap"))
		return real(path, name, value, size);
	n = real(from ? from : path, name, value, size);
	if (n < (ssize_t)(at + sizeof(v)) || !size || !off)
		return n;
	v = strtoull(off, NULL, 0);
	memcpy((char *)value + at, &v, sizeof(v));
	return n;
}
