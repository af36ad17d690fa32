/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The bpfam BPF maps, one definition for every BPF object.  The daemon
 * creates them from the bpfam_maps skeleton and pins them under
 * /sys/fs/bpf/bpfam/<fs-uuid>/; other objects reuse the pinned maps.
 */
#ifndef BPFAM_MAPS_BPF_H
#define BPFAM_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bpfam/counters.h"
#include "bpfam/fmap.h"

/* Entries come and go with the kernel's inodes: allocated as published,
 * not preallocated for 1M files. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, __u64); /* FUSE node id */
	__type(value, struct bpfam_map_fmap);
} fmaps SEC(".maps");

/* The extents of the files of more than BPFAM_FMAP_INLINE, ~8 KiB each,
 * in the slot their `fmaps` value names.  An array: the verifier inlines
 * its lookup (an index, no hash), which keeps a 256-extent resolve within
 * 1.5x of a 1-extent one; few files are fragmented, so few slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFAM_EXTS_SLOTS);
	__type(key, __u32); /* bpfam_map_fmap.slot */
	__type(value, struct bpfam_map_exts);
} fmap_exts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFAM_MAX_DEVS);
	__type(key, __u32); /* struct bpfam_extent.dev */
	__type(value, struct bpfam_dev);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfam_counters);
} counters SEC(".maps");

#endif /* BPFAM_MAPS_BPF_H */
