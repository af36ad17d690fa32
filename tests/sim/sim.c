// SPDX-License-Identifier: GPL-2.0
/* What simdrive and simhost share: see sim.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

/* ---- random numbers --------------------------------------------------- */

/* The splitmix64 finalizer: every input bit reaches every output bit. */
uint64_t sim_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t sim_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return sim_mix(*state);
}

uint64_t sim_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + sim_rand(state) % (hi - lo + 1);
}

bool sim_chance(uint64_t *state, unsigned int per_mille)
{
	return sim_rand(state) % 1000 < per_mille;
}

uint64_t sim_seed_of(uint64_t seed, unsigned int index,
		     unsigned int incarnation)
{
	return sim_mix(sim_mix(seed ^ 0x51ed5eedULL) + index * 0x10001ULL +
		       ((uint64_t)incarnation << 32));
}

void sim_host_id(uint64_t seed, unsigned int index, uint8_t id[16])
{
	uint64_t a = sim_mix(seed + index), b = sim_mix(a ^ 0x1d);

	memcpy(id, &a, 8);
	memcpy(id + 8, &b, 8);
}

uint64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sim_sleep_ms(uint64_t ms)
{
	struct timespec t = {.tv_sec = (time_t)(ms / 1000),
			     .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

/* ---- the shared file -------------------------------------------------- */

struct sim_shared *sim_shared_map(const char *dir, bool create)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/shared", dir);
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0),
		  0600);
	if (fd < 0)
		return NULL;
	if (create && ftruncate(fd, sizeof(struct sim_shared))) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, sizeof(struct sim_shared), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

void sim_count(struct sim_shared *sh, enum sim_counter c, uint64_t n)
{
	__atomic_fetch_add(&sh->count[c], n, __ATOMIC_RELAXED);
}

static const char *const class_names[SIM_V_NR] = {
	[SIM_V_OVERLAP] = "overlap",
	[SIM_V_PATTERN] = "pattern",
	[SIM_V_ACK] = "acknowledged",
	[SIM_V_FENCE] = "fence",
	[SIM_V_DRAIN] = "drain",
	[SIM_V_ERROR] = "error",
};

const char *sim_class_name(enum sim_class class)
{
	return class_names[class];
}

void sim_violation(struct sim_shared *sh, enum sim_class class,
		   const char *fmt, ...)
{
	char msg[sizeof(sh->viol[0].msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* "# ": tests/run.sh must not take a host's words for a TAP line. */
	fprintf(stderr, "# VIOLATION (%s) pid %d: %s\n", class_names[class],
		(int)getpid(), msg);
	/* The first one is the one worth reading; later ones are counted. */
	if (__atomic_fetch_add(&sh->viol[class].n, 1, __ATOMIC_SEQ_CST) == 0)
		memcpy(sh->viol[class].msg, msg, sizeof(msg));
}

/* ---- file data -------------------------------------------------------- */

bool sim_ready(const struct bpfam_inode *in)
{
	return S_ISREG(in->mode) && in->fmap &&
	       (in->mode & 07777) == SIM_READY_MODE;
}

/* Per-file key: inode numbers and generations are never used twice. */
static uint64_t file_key(const struct bpfam_inode *in)
{
	return sim_mix(in->ino * 0x9e3779b97f4a7c15ULL ^ sim_mix(in->gen));
}

static uint64_t pattern_word(uint64_t key, uint64_t off)
{
	return sim_mix(key + off);
}

/*
 * Where file offset @off of a simple fmap lives in our mapping, and how
 * many bytes from there are contiguous; NULL past the extents.
 */
static uint8_t *file_at(const struct bpfam_fs *fs, const struct bpfam_fmap *m,
			uint64_t off, uint64_t *avail)
{
	uint32_t i;

	for (i = 0; i < m->nr; i++) {
		if (off < m->ext[i].len) {
			*avail = m->ext[i].len - off;
			return fs->dev.base + m->ext[i].dev_off + off;
		}
		off -= m->ext[i].len;
	}
	return NULL;
}

int sim_fill(const struct bpfam_fs *fs, const struct bpfam_inode *in,
	     uint64_t off, uint64_t len)
{
	uint64_t key = file_key(in), avail, n, i;
	uint64_t *w;
	int rc;

	while (len) {
		w = (uint64_t *)file_at(fs, in->fmap, off, &avail);
		if (!w)
			return -ERANGE;
		n = len < avail ? len : avail;
		for (i = 0; i < n / 8; i++)
			w[i] = pattern_word(key, off + i * 8);
		rc = bpfam_device_flush(&fs->dev, w, n);
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

bool sim_verify(const struct bpfam_fs *fs, const struct bpfam_inode *in,
		uint64_t off, uint64_t len, uint64_t *bad, char *what,
		size_t what_len)
{
	uint64_t key = file_key(in), avail, n, i;
	const uint64_t *w;

	while (len) {
		w = (const uint64_t *)file_at(fs, in->fmap, off, &avail);
		if (!w) {
			*bad = off;
			snprintf(what, what_len,
				 "inode %llu ('%s'): offset %llu is past its extents",
				 (unsigned long long)in->ino,
				 bpfam_inode_name(in),
				 (unsigned long long)off);
			return false;
		}
		n = len < avail ? len : avail;
		bpfam_device_invalidate(&fs->dev, w, n);
		for (i = 0; i < n / 8; i++) {
			if (w[i] == pattern_word(key, off + i * 8))
				continue;
			*bad = off + i * 8;
			snprintf(what, what_len,
				 "inode %llu ('%s', generation %llu, deleted at %llu) offset %llu (device offset %llu) holds %#llx, its pattern is %#llx",
				 (unsigned long long)in->ino,
				 bpfam_inode_name(in),
				 (unsigned long long)in->gen,
				 (unsigned long long)in->del_seq,
				 (unsigned long long)*bad,
				 (unsigned long long)((const uint8_t *)&w[i] -
						      fs->dev.base),
				 (unsigned long long)w[i],
				 (unsigned long long)pattern_word(key, *bad));
			return false;
		}
		off += n;
		len -= n;
	}
	return true;
}

void sim_window(uint64_t *rng, const struct bpfam_inode *in, uint64_t max,
		uint64_t *off, uint64_t *len)
{
	uint64_t size = in->fmap->size & ~7ULL;

	*off = sim_range(rng, 0, size / 8 - 1) * 8;
	*len = sim_range(rng, 1, max / 8) * 8;
	if (*len > size - *off)
		*len = size - *off;
}

/* ---- invariants of a namespace ---------------------------------------- */

struct owned {
	uint64_t off, len, ino;
};

static int by_off(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Every extent of every inode in the tables: linked files and orphans. */
static struct owned *collect_extents(const struct bpfam_fs *fs, uint64_t *n)
{
	struct owned *v = NULL, *grown;
	uint64_t ino, cap = 0;
	struct bpfam_inode *in;
	uint32_t i;

	*n = 0;
	for (ino = BPFAM_ROOT_INO; ino <= fs->max_ino; ino++) {
		in = bpfam_fs_inode(fs, ino);
		for (i = 0; in && in->fmap && i < in->fmap->nr; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				grown = realloc(v, cap * sizeof(*v));
				if (!grown) {
					free(v);
					return NULL;
				}
				v = grown;
			}
			v[(*n)++] = (struct owned){in->fmap->ext[i].dev_off,
						   in->fmap->ext[i].len,
						   in->ino};
		}
	}
	return v ? v : calloc(1, sizeof(*v));
}

int sim_check_extents(const struct bpfam_fs *fs, char *what, size_t what_len)
{
	uint64_t n, i, sum = 0;
	struct owned *v = collect_extents(fs, &n);
	int rc = -1;

	if (!v) {
		snprintf(what, what_len, "out of memory");
		return -1;
	}
	qsort(v, n, sizeof(*v), by_off);
	for (i = 0; i < n; i++) {
		sum += v[i].len;
		if (v[i].off < fs->sb.data_off ||
		    v[i].off + v[i].len > fs->dev.size ||
		    (v[i].off | v[i].len) % BPFAM_ALLOC_UNIT) {
			snprintf(what, what_len,
				 "inode %llu owns [%llu, +%llu): outside the data area or not 2 MiB aligned",
				 (unsigned long long)v[i].ino,
				 (unsigned long long)v[i].off,
				 (unsigned long long)v[i].len);
			goto out;
		}
		if (i && v[i - 1].off + v[i - 1].len > v[i].off) {
			snprintf(what, what_len,
				 "inodes %llu [%llu, +%llu) and %llu [%llu, +%llu) share bytes",
				 (unsigned long long)v[i - 1].ino,
				 (unsigned long long)v[i - 1].off,
				 (unsigned long long)v[i - 1].len,
				 (unsigned long long)v[i].ino,
				 (unsigned long long)v[i].off,
				 (unsigned long long)v[i].len);
			goto out;
		}
	}
	if (sum != bpfam_fs_bytes_used(fs)) {
		snprintf(what, what_len,
			 "live files own %llu bytes, the allocator says %llu are used",
			 (unsigned long long)sum,
			 (unsigned long long)bpfam_fs_bytes_used(fs));
		goto out;
	}
	rc = 0;
out:
	free(v);
	return rc;
}

/* ---- the journal ------------------------------------------------------ */

struct sim_jent {
	bool created, intent, deleted;
	uint64_t gen, size;
	char name[BPFAM_NAME_MAX + 1];
};

int sim_journal_open(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/journal", dir);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int sim_journal_add(int fd, const char *fmt, ...)
{
	char line[BPFAM_NAME_MAX + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EOVERFLOW;
	/* One write: a reader sees a whole line or none of it. */
	if (write(fd, line, (size_t)n) != n)
		return -EIO;
	return fsync(fd) ? -errno : 0;
}

static struct sim_jent *jent(struct sim_journal *j, uint64_t ino)
{
	struct sim_jent *grown;
	uint64_t cap;

	if (ino >= j->cap) {
		cap = ino * 2 + 64;
		grown = realloc(j->by_ino, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + j->cap, 0, (cap - j->cap) * sizeof(*grown));
		j->by_ino = grown;
		j->cap = cap;
	}
	return &j->by_ino[ino];
}

static int journal_line(struct sim_journal *j, const char *line)
{
	unsigned long long ino, gen, size;
	char name[BPFAM_NAME_MAX + 1];
	struct sim_jent *e;
	char kind;

	if (sscanf(line, "%c %llu", &kind, &ino) != 2)
		return -EBADMSG;
	e = jent(j, ino);
	if (!e)
		return -ENOMEM;
	switch (kind) {
	case 'C':
		if (sscanf(line, "C %llu %llu %llu %255s", &ino, &gen, &size,
			   name) != 4)
			return -EBADMSG;
		e->created = true;
		e->gen = gen;
		e->size = size;
		strcpy(e->name, name);
		return 0;
	case 'd':
		e->intent = true;
		return 0;
	case 'D':
		e->deleted = true;
		return 0;
	}
	return -EBADMSG;
}

static char *read_all(const char *path, size_t *len)
{
	char *buf = NULL, *grown;
	size_t cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? calloc(1, 1) : NULL;
	for (;;) {
		if (cap - *len < 65536) {
			cap = cap * 2 + 65536;
			grown = realloc(buf, cap + 1);
			if (!grown)
				break;
			buf = grown;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n <= 0) {
			close(fd);
			if (n < 0)
				break;
			buf[*len] = '\0';
			return buf;
		}
		*len += (size_t)n;
	}
	close(fd);
	free(buf);
	return NULL;
}

int sim_journal_load(const char *dir, struct sim_journal *j)
{
	char path[PATH_MAX], *buf, *line, *nl;
	size_t len;
	int rc = 0;

	memset(j, 0, sizeof(*j));
	snprintf(path, sizeof(path), "%s/journal", dir);
	buf = read_all(path, &len);
	if (!buf)
		return -errno;
	/* A line without its newline is being written: not acknowledged. */
	for (line = buf; !rc && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		rc = journal_line(j, line);
		j->lines++;
	}
	free(buf);
	return rc;
}

void sim_journal_free(struct sim_journal *j)
{
	free(j->by_ino);
	memset(j, 0, sizeof(*j));
}

/* An acknowledged create @e of inode @ino against what @in says. */
static int check_created(uint64_t ino, const struct sim_jent *e,
			 const struct bpfam_inode *in, char *what,
			 size_t what_len)
{
	if (in->parent == BPFAM_ROOT_INO &&
	    !strcmp(bpfam_inode_name(in), e->name) && in->gen == e->gen &&
	    sim_ready(in) && in->fmap->size == e->size)
		return 0;
	snprintf(what, what_len,
		 "acknowledged file '%s' (inode %llu, generation %llu, %llu bytes) replays as '%s' in %llu, generation %llu, mode %o, %llu bytes",
		 e->name, (unsigned long long)ino,
		 (unsigned long long)e->gen, (unsigned long long)e->size,
		 bpfam_inode_name(in), (unsigned long long)in->parent,
		 (unsigned long long)in->gen, in->mode,
		 (unsigned long long)(in->fmap ? in->fmap->size : 0));
	return -1;
}

static bool delete_asked(const struct sim_journal *j, uint64_t ino)
{
	return ino < j->cap && j->by_ino[ino].intent;
}

int sim_journal_check(const struct sim_journal *acked,
		      const struct sim_journal *asked,
		      const struct bpfam_fs *fs, char *what, size_t what_len)
{
	const struct sim_jent *e;
	struct bpfam_inode *in;
	bool linked;
	uint64_t ino;

	for (ino = 0; ino < acked->cap; ino++) {
		e = &acked->by_ino[ino];
		if (!e->created && !e->deleted)
			continue;
		in = bpfam_fs_inode(fs, ino);
		linked = in && !in->del_seq;
		if (e->deleted && linked) {
			snprintf(what, what_len,
				 "acknowledged delete of '%s' (inode %llu) is undone: it replays linked",
				 bpfam_inode_name(in), (unsigned long long)ino);
			return -1;
		}
		if (e->deleted)
			continue;
		/* Asked to go but not acknowledged: either way is right. */
		if (!linked && delete_asked(asked, ino))
			continue;
		if (!linked) {
			snprintf(what, what_len,
				 "acknowledged file '%s' (inode %llu) is missing from the replayed namespace",
				 e->name, (unsigned long long)ino);
			return -1;
		}
		if (check_created(ino, e, in, what, what_len))
			return -1;
	}
	return 0;
}
