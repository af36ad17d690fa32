/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Fast-path counters: the value of the per-CPU `counters` map (one entry,
 * key 0), bumped by the BPF resolver on every call; `bpfam stats` sums the
 * CPUs.  A successful resolve is a request the kernel serves without the
 * daemon; every failure is counted by reason, and -ENOENT/-ESTALE are the
 * ones the kernel hands to the daemon instead.  (What the daemon then
 * serves, it counts itself.)
 */
#ifndef BPFAM_COUNTERS_H
#define BPFAM_COUNTERS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct bpfam_counters {
	/* resolved: read/write split by BPFAM_ACC_WRITE */
	__u64 reads;
	__u64 writes;
	__u64 faults;	   /* those of reads + writes that were page faults */
	__u64 read_bytes;  /* min(requested, resolved run) per read */
	__u64 write_bytes; /* same, per write */
	/* not resolved, by reason */
	__u64 no_fmap;	 /* -ENOENT: node id not in `fmaps` */
	__u64 stale;	 /* -ESTALE: generation mismatch */
	__u64 eof;	 /* -ENXIO: offset at or after EOF */
	__u64 rdonly;	 /* -EROFS: write to a read-only file */
	__u64 malformed; /* -EINVAL: bad fmap, or range outside its device */
	__u64 no_dev;	 /* -ENODEV: device not registered in `devs` */
};

#endif /* BPFAM_COUNTERS_H */
