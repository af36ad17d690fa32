// SPDX-License-Identifier: GPL-2.0
/*
 * bpfam getmap: where a file's bytes live on the device.  The daemon hands
 * out the file's struct bpfam_fmap as the user.bpfam.fmap xattr, the fmap
 * it publishes in the pinned `fmaps` (and `fmap_exts`) BPF maps, so what
 * this prints is what the kernel fast path resolves with; --bpf prints the
 * keys of its entries there and the bpftool commands that show them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "bpfam/fmap.h"
#include "cmd.h"
#include "fileops.h"
#include "json.h"
#include "mountinfo.h"
#include "units.h"

/* One chunk of an interleaved file: where file bytes [off, off+len) are. */
struct chunk_loc {
	uint64_t off, len, dev_off;
	uint32_t strip, dev;
};

static struct chunk_loc chunk_at(const struct bpfam_fmap *m, uint64_t c)
{
	struct chunk_loc l = {.off = c * m->chunk, .strip = c % m->nr};

	l.len = m->size - l.off < m->chunk ? m->size - l.off : m->chunk;
	l.dev = m->ext[l.strip].dev;
	l.dev_off = m->ext[l.strip].dev_off + c / m->nr * m->chunk;
	return l;
}

static uint64_t nr_chunks(const struct bpfam_fmap *m)
{
	return (m->size + m->chunk - 1) / m->chunk;
}

static void print_header(const char *path, const struct bpfam_fmap *m)
{
	char a[32], b[32];

	printf("%s: %s (%llu bytes), ", path, bpfam_fmt_size(m->size, a),
	       m->size);
	if (m->kind == BPFAM_FMAP_SIMPLE)
		printf("simple, %" PRIu32 " extent%s", m->nr,
		       m->nr == 1 ? "" : "s");
	else
		printf("interleaved over %" PRIu32 " strips of %s chunks",
		       m->nr, bpfam_fmt_size(m->chunk, b));
	printf(", generation %llu%s\n", m->gen,
	       m->flags & BPFAM_FMAP_RDONLY ? ", read-only" : "");
}

static void print_text(const char *path, const struct bpfam_fmap *m,
		       bool chunks)
{
	char sz[32];
	uint64_t off = 0, c;
	uint32_t i;

	print_header(path, m);
	printf("  %-18s %-7s %-18s %s\n",
	       m->kind == BPFAM_FMAP_SIMPLE ? "file offset" : "strip", "device",
	       "device offset", "length");
	for (i = 0; i < m->nr; off += m->ext[i].len, i++) {
		if (m->kind == BPFAM_FMAP_SIMPLE)
			printf("  0x%-16" PRIx64, off);
		else
			printf("  %-18" PRIu32, i);
		printf(" %-7" PRIu32 " 0x%-16llx 0x%-16llx %s\n", m->ext[i].dev,
		       m->ext[i].dev_off, m->ext[i].len,
		       bpfam_fmt_size(m->ext[i].len, sz));
	}
	if (!chunks || m->kind != BPFAM_FMAP_INTERLEAVED)
		return;
	printf("\n  %-18s %-18s %-6s %-7s %s\n", "file offset", "length",
	       "strip", "device", "device offset");
	for (c = 0; c < nr_chunks(m); c++) {
		struct chunk_loc l = chunk_at(m, c);

		printf("  0x%-16" PRIx64 " 0x%-16" PRIx64 " %-6" PRIu32
		       " %-7" PRIu32 " 0x%" PRIx64 "\n",
		       l.off, l.len, l.strip, l.dev, l.dev_off);
	}
}

/* One "extents" (simple) or "strips" (interleaved) entry. */
static json_object *json_extent(const struct bpfam_fmap *m, uint32_t i,
				uint64_t off)
{
	json_object *e = json_object_new_object();

	if (m->kind == BPFAM_FMAP_SIMPLE)
		bpfam_json_u64(e, "file_offset", off);
	else
		bpfam_json_u64(e, "strip", i);
	bpfam_json_u64(e, "dev", m->ext[i].dev);
	bpfam_json_u64(e, "dev_offset", m->ext[i].dev_off);
	bpfam_json_u64(e, "length", m->ext[i].len);
	return e;
}

static json_object *json_chunks(const struct bpfam_fmap *m)
{
	json_object *a = json_object_new_array();
	uint64_t c;

	for (c = 0; c < nr_chunks(m); c++) {
		struct chunk_loc l = chunk_at(m, c);
		json_object *e = json_object_new_object();

		bpfam_json_u64(e, "file_offset", l.off);
		bpfam_json_u64(e, "length", l.len);
		bpfam_json_u64(e, "strip", l.strip);
		bpfam_json_u64(e, "dev", l.dev);
		bpfam_json_u64(e, "dev_offset", l.dev_off);
		json_object_array_add(a, e);
	}
	return a;
}

static void print_json(const char *path, const struct bpfam_fmap *m,
		       bool chunks)
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();
	bool simple = m->kind == BPFAM_FMAP_SIMPLE;
	uint64_t off = 0;
	uint32_t i;

	json_object_object_add(o, "file", json_object_new_string(path));
	bpfam_json_u64(o, "version", m->version);
	json_object_object_add(
		o, "kind",
		json_object_new_string(simple ? "simple" : "interleaved"));
	bpfam_json_u64(o, "size", m->size);
	bpfam_json_u64(o, "gen", m->gen);
	bpfam_json_u64(o, "flags", m->flags);
	bpfam_json_u64(o, "chunk", m->chunk);
	bpfam_json_u64(o, "nr", m->nr);
	for (i = 0; i < m->nr; off += m->ext[i].len, i++)
		json_object_array_add(a, json_extent(m, i, off));
	json_object_object_add(o, simple ? "extents" : "strips", a);
	if (chunks && !simple)
		json_object_object_add(o, "chunks", json_chunks(m));
	puts(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The pin directory of the maps that @mnt's daemon publishes in. */
static int pin_dir(const char *path, const char *mnt, char *dir, size_t len)
{
	json_object *o, *maps;
	size_t n;
	char *val;
	int err;

	err = get_xattr(mnt, BPFAM_XATTR_STATS, &val, &n);
	if (err) {
		cmd_error("getmap", "%s: %s of its mount %s: %s", path,
			  BPFAM_XATTR_STATS, mnt, errno_str(-err));
		return -1;
	}
	o = json_tokener_parse(val);
	free(val);
	if (!json_object_object_get_ex(o, "bpf_maps", &maps) ||
	    !json_object_is_type(maps, json_type_string)) {
		cmd_error("getmap",
			  "%s: the daemon serving %s publishes no BPF maps "
			  "(bpfam stats says why)",
			  path, mnt);
		json_object_put(o);
		return -1;
	}
	snprintf(dir, len, "%s", json_object_get_string(maps));
	json_object_put(o);
	return 0;
}

/* Node @ino's `fmaps` value, which names its `fmap_exts` slot; read from
 * the pinned map as bpftool would (root only). */
static int published(const char *path, const char *dir, uint64_t ino,
		     struct bpfam_map_fmap *v)
{
	char pin[PATH_MAX + 8];
	union bpf_attr a;
	__u64 key = ino;
	int fd;

	snprintf(pin, sizeof(pin), "%s/fmaps", dir);
	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)pin;
	a.file_flags = BPF_F_RDONLY;
	fd = syscall(__NR_bpf, BPF_OBJ_GET, &a, sizeof(a));
	if (fd < 0) {
		cmd_error("getmap", "%s: %s: %s", path, pin, errno_str(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)v;
	if (syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a))) {
		cmd_error("getmap", "%s: no entry of node %llu in %s: %s", path,
			  (unsigned long long)ino, pin, errno_str(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The bpftool command that prints the entry of @key (host-endian bytes,
 * as bpftool takes them) in map @map. */
static void print_lookup(const char *dir, const char *map, const void *key,
			 size_t len)
{
	const unsigned char *b = key;
	size_t i;

	printf("  bpftool map lookup pinned %s/%s key hex", dir, map);
	for (i = 0; i < len; i++)
		printf(" %02x", b[i]);
	putchar('\n');
}

static int getmap_bpf(const char *path, const struct stat *st,
		      const struct bpfam_fmap *m)
{
	struct bpfam_mountinfo mi;
	char mnt[PATH_MAX], dir[PATH_MAX];
	struct bpfam_map_fmap v;
	__u64 node = st->st_ino;
	__u32 slot;

	if (bpfam_mount_of("getmap", path, mnt, &mi) ||
	    pin_dir(path, mnt, dir, sizeof(dir)))
		return EXIT_FAIL;
	printf("%s: node %llu (its inode number), %" PRIu32 " extent%s\n", path,
	       (unsigned long long)node, m->nr, m->nr == 1 ? "" : "s");
	printf("fmaps key %llu:\n", (unsigned long long)node);
	print_lookup(dir, "fmaps", &node, sizeof(node));
	if (m->nr <= BPFAM_FMAP_INLINE)
		return EXIT_OK;
	if (published(path, dir, node, &v))
		return EXIT_FAIL;
	slot = v.slot;
	printf("fmap_exts key %" PRIu32 " (the slot its fmaps value names, "
	       "seq %llu): all %" PRIu32 " extents\n",
	       slot, (unsigned long long)v.seq, m->nr);
	print_lookup(dir, "fmap_exts", &slot, sizeof(slot));
	return EXIT_OK;
}

static int getmap(const char *path, bool json, bool chunks, bool bpf)
{
	struct bpfam_fmap m;
	struct stat st;
	int err;

	if (stat(path, &st)) {
		cmd_error("getmap", "%s: %s", path, errno_str(errno));
		return EXIT_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		cmd_error("getmap", "%s: %s: only files have extents", path,
			  errno_str(EISDIR));
		return EXIT_FAIL;
	}
	err = get_fmap("getmap", path, &m);
	/* An empty file is published too, with no extents. */
	if (err == -ENODATA && bpf) {
		m.nr = 0;
		return getmap_bpf(path, &st, &m);
	}
	if (err == -ENODATA) {
		cmd_error("getmap",
			  "%s: no fmap: it holds no space (empty), or it is "
			  "not on "
			  "a bpfam mount",
			  path);
		return EXIT_FAIL;
	}
	if (err)
		return EXIT_FAIL;
	if (bpf)
		return getmap_bpf(path, &st, &m);
	if (json)
		print_json(path, &m, chunks);
	else
		print_text(path, &m, chunks);
	return EXIT_OK;
}

int cmd_getmap(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"chunks", no_argument, NULL, 'v'},
		{"bpf", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool json = false, chunks = false, bpf = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jvbh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			chunks = true;
			break;
		case 'b':
			bpf = true;
			break;
		case 'h':
			return cmd_help("getmap");
		default:
			return option_error("getmap", c, argv);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("getmap", "need exactly one FILE");
	if (bpf && (json || chunks))
		return cmd_usage_error("getmap",
				       "--bpf prints keys, not the fmap: "
				       "not with --json or --chunks");
	return getmap(argv[optind], json, chunks, bpf);
}
