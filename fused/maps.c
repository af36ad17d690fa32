// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <uuid/uuid.h>

#include "bpf/bpfam_maps.skel.h"
#include "bpfam/resolve.h"
#include "maps.h"

#define BPFFS	 "/sys/fs/bpf"
#define PIN_ROOT BPFFS "/bpfam"
#define LOCK_DIR "/run/bpfamd"

static int reason(char *why, size_t len, int e, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(e));
	return -e;
}

static int mkdir_once(const char *path)
{
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

/*
 * Node ids belong to one FUSE connection: a second daemon of the same
 * filesystem on this host (a client mount next to the primary's) must not
 * replace the maps of the first.  The lock tells a live owner from the
 * pins a killed one left.
 */
static int lock_pins(struct bpfamd_maps *m, const char *uuid, char *why,
		     size_t len)
{
	char path[sizeof(LOCK_DIR) + 48];

	snprintf(path, sizeof(path), LOCK_DIR "/%s.lock", uuid);
	if (mkdir_once(LOCK_DIR))
		return reason(why, len, errno, LOCK_DIR);
	m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (m->lock_fd < 0)
		return reason(why, len, errno, path);
	if (!flock(m->lock_fd, LOCK_EX | LOCK_NB))
		return 0;
	close(m->lock_fd);
	m->lock_fd = -1;
	snprintf(why, len,
		 "another bpfamd on this host publishes the maps of filesystem "
		 "%s",
		 uuid);
	return -EBUSY;
}

/* The fast path's loader finds the maps by path: bpffs must be there. */
static int ensure_bpffs(char *why, size_t len)
{
	struct statfs st;

	if (statfs(BPFFS, &st))
		return reason(why, len, errno, BPFFS);
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return reason(why, len, errno, "cannot mount bpffs on " BPFFS);
	return 0;
}

static int pin_path(const struct bpfamd_maps *m, const struct bpf_map *map,
		    char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", m->dir, bpf_map__name(map));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int fill_devs(struct bpfamd_maps *m, const struct bpfam_fs *fs)
{
	struct bpfam_dev dev = {
		.size = fs->sb.devs[0].size,
		.flags = BPFAM_DEV_PRESENT,
	};
	__u32 key = 0;

	memcpy(dev.uuid, fs->sb.uuid, sizeof(dev.uuid));
	return bpf_map_update_elem(bpf_map__fd(m->skel->maps.devs), &key, &dev,
				   BPF_ANY);
}

/* A killed daemon of this filesystem leaves its pins: replace them. */
static int pin_all(struct bpfamd_maps *m, char *why, size_t len)
{
	char path[PATH_MAX + 64];
	struct bpf_map *map;
	int rc;

	bpf_object__for_each_map(map, m->skel->obj)
	{
		rc = pin_path(m, map, path, sizeof(path));
		if (rc)
			return reason(why, len, -rc, m->dir);
		if (unlink(path) && errno != ENOENT)
			return reason(why, len, errno, path);
		rc = bpf_map__pin(map, path);
		if (rc)
			return reason(why, len, -rc, path);
	}
	return 0;
}

static void unpin_all(struct bpfamd_maps *m)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, m->skel->obj) if (bpf_map__is_pinned(map))
		bpf_map__unpin(map, NULL);
	rmdir(m->dir);
	/* Other filesystems may still have theirs in it. */
	rmdir(PIN_ROOT);
}

int bpfamd_maps_open(struct bpfamd_maps *m, const struct bpfam_fs *fs,
		     char *why, size_t why_len)
{
	char uuid[37];
	int rc;

	memset(m, 0, sizeof(*m));
	uuid_unparse_lower(fs->sb.uuid, uuid);
	snprintf(m->dir, sizeof(m->dir), PIN_ROOT "/%s", uuid);
	rc = lock_pins(m, uuid, why, why_len);
	if (rc)
		return rc;
	rc = ensure_bpffs(why, why_len);
	if (rc)
		goto unlock;
	if (mkdir_once(PIN_ROOT) || mkdir_once(m->dir)) {
		rc = reason(why, why_len, errno, m->dir);
		goto unlock;
	}
	m->skel = bpfam_maps__open_and_load();
	if (!m->skel) {
		rc = reason(why, why_len, errno, "cannot create the BPF maps");
		rmdir(m->dir);
		goto unlock;
	}
	rc = fill_devs(m, fs);
	if (rc) {
		reason(why, why_len, -rc, "cannot fill the devs map");
		goto fail;
	}
	rc = pin_all(m, why, why_len);
	if (rc)
		goto fail;
	return 0;
fail:
	bpfamd_maps_close(m);
	return rc;
unlock:
	close(m->lock_fd);
	return rc;
}

static int fmaps_fd(const struct bpfamd_maps *m)
{
	return bpf_map__fd(m->skel->maps.fmaps);
}

static int exts_fd(const struct bpfamd_maps *m)
{
	return bpf_map__fd(m->skel->maps.fmap_exts);
}

/* A free `fmap_exts` slot, now taken, or -ENOSPC. */
static int take_slot(struct bpfamd_maps *m)
{
	uint32_t w;
	int b;

	for (w = 0; w < BPFAM_EXTS_SLOTS / 64; w++) {
		if (m->slots[w] == UINT64_MAX)
			continue;
		b = __builtin_ctzll(~m->slots[w]);
		m->slots[w] |= 1ULL << b;
		return (int)(w * 64 + b);
	}
	return -ENOSPC;
}

static void free_slot(struct bpfamd_maps *m, uint32_t slot)
{
	m->slots[slot / 64] &= ~(1ULL << (slot % 64));
}

/*
 * Give back the slot of `fmaps` value @v, once nothing new names it.  It
 * is zeroed (seq 0: free) so that a dump shows no stale extents; a
 * resolve still reading it, or racing a later taker's update, sees its
 * seq change and hands the access to the daemon.
 */
static void put_slot(struct bpfamd_maps *m, const struct bpfam_map_fmap *v)
{
	static const struct bpfam_map_exts zero;
	__u32 slot = v->slot;

	if (v->nr <= BPFAM_FMAP_INLINE || slot >= BPFAM_EXTS_SLOTS)
		return;
	bpf_map_update_elem(exts_fd(m), &slot, &zero, BPF_ANY);
	free_slot(m, slot);
}

/*
 * The extents go into their slot before the `fmaps` value that names it,
 * and a replaced value's slot is given back after: a resolve that found
 * either value finds its extents.
 */
static int put_value(struct bpfamd_maps *m, __u64 key,
		     const struct bpfam_map_fmap *pub,
		     const struct bpfam_map_exts *exts, __u64 flags)
{
	struct bpfam_map_fmap old;
	bool had_old = flags == BPF_EXIST &&
		       !bpf_map_lookup_elem(fmaps_fd(m), &key, &old);
	__u32 slot = pub->slot;
	int rc;

	if (exts) {
		rc = bpf_map_update_elem(exts_fd(m), &slot, exts, BPF_ANY);
		if (rc)
			return rc;
	}
	rc = bpf_map_update_elem(fmaps_fd(m), &key, pub, flags);
	if (rc) {
		put_slot(m, pub);
		return rc;
	}
	if (had_old)
		put_slot(m, &old);
	return 0;
}

/* Under the daemon's lock, which the slot bitmap relies on. */
static int update(struct bpfamd_maps *m, uint64_t node,
		  const struct bpfam_fmap *fm, __u64 flags)
{
	struct bpfam_map_exts *exts = NULL;
	struct bpfam_map_fmap pub;
	int rc, slot = 0;
	__u64 seq;

	if (fm->nr > BPFAM_FMAP_INLINE) {
		exts = calloc(1, sizeof(*exts));
		slot = exts ? take_slot(m) : -ENOMEM;
		if (slot < 0) {
			free(exts);
			return slot;
		}
	}
	seq = __atomic_add_fetch(&m->seq, 1, __ATOMIC_RELAXED);
	rc = bpfam_fmap_publish(fm, bpfamd_kernel_gen(fm->gen), seq, slot, &pub,
				exts);
	if (!rc)
		rc = put_value(m, node, &pub, exts, flags);
	if (rc && exts)
		free_slot(m, slot);
	free(exts);
	return rc;
}

int bpfamd_maps_insert(struct bpfamd_maps *m, uint64_t node,
		       const struct bpfam_fmap *fm)
{
	int rc = update(m, node, fm, BPF_NOEXIST);

	if (!rc)
		m->entries++;
	return rc;
}

int bpfamd_maps_replace(struct bpfamd_maps *m, uint64_t node,
			const struct bpfam_fmap *fm)
{
	return update(m, node, fm, BPF_EXIST);
}

void bpfamd_maps_delete(struct bpfamd_maps *m, uint64_t node)
{
	struct bpfam_map_fmap old;
	__u64 key = node;

	if (bpf_map_lookup_and_delete_elem(fmaps_fd(m), &key, &old))
		return;
	m->entries--;
	put_slot(m, &old);
}

/* Set before the resolver is attached: no program reads devs yet. */
int bpfamd_maps_set_kernel_id(struct bpfamd_maps *m, uint32_t idx,
			      uint32_t kernel_id)
{
	int fd = bpf_map__fd(m->skel->maps.devs);
	struct bpfam_dev dev;

	if (bpf_map_lookup_elem(fd, &idx, &dev))
		return -errno;
	dev.kernel_id = kernel_id;
	return bpf_map_update_elem(fd, &idx, &dev, BPF_EXIST) ? -errno : 0;
}

int bpfamd_maps_reuse(const struct bpfamd_maps *m, struct bpf_object *obj)
{
	const struct bpf_map *ours;
	struct bpf_map *map;
	int rc;

	bpf_object__for_each_map(map, obj)
	{
		ours = bpf_object__find_map_by_name(m->skel->obj,
						    bpf_map__name(map));
		/* Not one of ours: the program's own (its struct_ops). */
		if (!ours)
			continue;
		rc = bpf_map__reuse_fd(map, bpf_map__fd(ours));
		if (rc)
			return rc;
	}
	return 0;
}

void bpfamd_maps_counters(const struct bpfamd_maps *m,
			  struct bpfam_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct bpfam_counters *percpu;
	__u64 *out = (__u64 *)sum;
	const __u64 *in;
	__u32 key = 0;
	size_t i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (!m->skel || ncpus <= 0)
		return;
	/* Per-CPU values come 8-byte aligned; the struct is all __u64. */
	_Static_assert(sizeof(*percpu) % sizeof(__u64) == 0,
		       "bpfam_counters is an array of __u64");
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return;
	if (!bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.counters), &key,
				 percpu)) {
		for (cpu = 0; cpu < ncpus; cpu++) {
			in = (const __u64 *)&percpu[cpu];
			for (i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
				out[i] += in[i];
		}
	}
	free(percpu);
}

void bpfamd_maps_close(struct bpfamd_maps *m)
{
	if (!m->skel)
		return;
	unpin_all(m);
	bpfam_maps__destroy(m->skel);
	m->skel = NULL;
	close(m->lock_fd);
}
