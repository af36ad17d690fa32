// SPDX-License-Identifier: GPL-2.0
/*
 * fmapedit: rewrite entries of bpfam's pinned BPF maps behind the daemon's
 * back, for the adversarial fast-path tests.  Uses the bpf(2) syscall
 * directly (BPF_OBJ_GET, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM with
 * BPF_EXIST), so it links statically without libbpf.
 *
 *   fmapedit get MAP KEY FILE        save the value of KEY to FILE (raw)
 *   fmapedit put MAP KEY FILE        replace the value of KEY by FILE's bytes
 *   fmapedit ext MAP NODE I FIELD=V...
 *                                    `fmaps` entry NODE: set its inline
 *                                    ext[I]'s fields (file_off, dev_off,
 *                                    len, dev) to V
 *   fmapedit dev MAP I FIELD=V...    `devs` entry I: set size, kernel_id
 *                                    or flags to V
 *
 * MAP is a pinned path (/sys/fs/bpf/bpfam/<uuid>/fmaps); KEY, I and V take
 * C notation (0x...).  Keys are host-endian integers of the map's key size.
 * The daemon never rewrites a live entry (the kernel may be reading it);
 * this tool does, on purpose: only use it on a file nobody else accesses.
 *
 * Exit status: 0 done, 1 an error (said on stderr), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfam/fmap.h"

struct field {
	const char *name;
	size_t off, size;
};

static const struct field ext_fields[] = {
	{ "file_off", offsetof(struct bpfam_map_ext, file_off), 8 },
	{ "dev_off", offsetof(struct bpfam_map_ext, dev_off), 8 },
	{ "len", offsetof(struct bpfam_map_ext, len), 8 },
	{ "dev", offsetof(struct bpfam_map_ext, dev), 4 },
	{ NULL, 0, 0 },
};

static const struct field dev_fields[] = {
	{ "size", offsetof(struct bpfam_dev, size), 8 },
	{ "kernel_id", offsetof(struct bpfam_dev, kernel_id), 4 },
	{ "flags", offsetof(struct bpfam_dev, flags), 4 },
	{ NULL, 0, 0 },
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t num(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "fmapedit: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

struct map {
	int fd;
	uint32_t key_size, value_size;
	uint64_t key;
	unsigned char *value;
};

static void map_open(struct map *m, const char *path, const char *key)
{
	struct bpf_map_info info;
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uintptr_t)path;
	m->fd = sys_bpf(BPF_OBJ_GET, &attr);
	if (m->fd < 0)
		die(path);
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = m->fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		die("BPF_OBJ_GET_INFO_BY_FD");
	if (info.key_size != 4 && info.key_size != 8) {
		fprintf(stderr, "%s: key size %u: not an integer key\n", path,
			info.key_size);
		exit(1);
	}
	m->key_size = info.key_size;
	m->value_size = info.value_size;
	m->key = num(key);
	m->value = calloc(1, m->value_size);
	if (!m->value)
		die("calloc");
}

static void *key_ptr(struct map *m)
{
	static uint32_t k32;

	if (m->key_size == 8)
		return &m->key;
	k32 = m->key;
	return &k32;
}

static void map_lookup(struct map *m, const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = m->fd;
	attr.key = (uintptr_t)key_ptr(m);
	attr.value = (uintptr_t)m->value;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr)) {
		fprintf(stderr, "%s: key %llu: %s\n", path,
			(unsigned long long)m->key, strerror(errno));
		exit(1);
	}
}

static void map_update(struct map *m, const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = m->fd;
	attr.key = (uintptr_t)key_ptr(m);
	attr.value = (uintptr_t)m->value;
	attr.flags = BPF_EXIST;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr)) {
		fprintf(stderr, "%s: update key %llu: %s\n", path,
			(unsigned long long)m->key, strerror(errno));
		exit(1);
	}
}

/* FIELD=V pairs into the value at base, little-endian like the host */
static void set_fields(unsigned char *base, const struct field *fields,
		       int n, char **args)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct field *f;
		char *eq = strchr(args[i], '=');
		uint64_t v;
		uint32_t v32;

		if (!eq) {
			fprintf(stderr, "fmapedit: '%s' is not FIELD=VALUE\n",
				args[i]);
			exit(2);
		}
		*eq = '\0';
		for (f = fields; f->name && strcmp(f->name, args[i]); f++)
			;
		if (!f->name) {
			fprintf(stderr, "fmapedit: no field '%s'\n", args[i]);
			exit(2);
		}
		v = num(eq + 1);
		v32 = v;
		memcpy(base + f->off, f->size == 8 ? (void *)&v : (void *)&v32,
		       f->size);
	}
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	struct map m;
	FILE *f;

	if (argc == 5 && (!strcmp(cmd, "get") || !strcmp(cmd, "put"))) {
		map_open(&m, argv[2], argv[3]);
		if (!strcmp(cmd, "get")) {
			map_lookup(&m, argv[2]);
			f = fopen(argv[4], "w");
			if (!f || fwrite(m.value, m.value_size, 1, f) != 1 ||
			    fclose(f))
				die(argv[4]);
			return 0;
		}
		f = fopen(argv[4], "r");
		if (!f || fread(m.value, m.value_size, 1, f) != 1) {
			fprintf(stderr, "%s: need %u bytes\n", argv[4],
				m.value_size);
			return 1;
		}
		fclose(f);
		map_update(&m, argv[2]);
		return 0;
	}
	if (argc >= 6 && !strcmp(cmd, "ext")) {
		uint64_t i = num(argv[4]);

		map_open(&m, argv[2], argv[3]);
		if (m.value_size != sizeof(struct bpfam_map_fmap) ||
		    i >= BPFAM_FMAP_INLINE) {
			fprintf(stderr, "%s: not an fmaps map, or extent %llu out of range\n",
				argv[2], (unsigned long long)i);
			return 1;
		}
		map_lookup(&m, argv[2]);
		set_fields(m.value + offsetof(struct bpfam_map_fmap, ext) +
				   i * sizeof(struct bpfam_map_ext),
			   ext_fields, argc - 5, argv + 5);
		map_update(&m, argv[2]);
		return 0;
	}
	if (argc >= 5 && !strcmp(cmd, "dev")) {
		map_open(&m, argv[2], argv[3]);
		if (m.value_size != sizeof(struct bpfam_dev)) {
			fprintf(stderr, "%s: not a devs map\n", argv[2]);
			return 1;
		}
		map_lookup(&m, argv[2]);
		set_fields(m.value, dev_fields, argc - 4, argv + 4);
		map_update(&m, argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: fmapedit get|put MAP KEY FILE\n"
			"       fmapedit ext MAP NODE I FIELD=V...\n"
			"       fmapedit dev MAP I FIELD=V...\n");
	return 2;
}
