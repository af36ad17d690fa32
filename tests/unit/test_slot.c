// SPDX-License-Identifier: GPL-2.0
/*
 * Host slots and the hosts that own them: what a reader makes of a slot,
 * the reclaim gate over them, joining, heartbeats, eviction and leaving.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "slot.h"
#include "testdev.h"

#define DEV_SIZE  (64 * MIB)
#define PERIOD_MS 10

struct slotdev {
	const char *path;
	struct bpfam_fs fs; /* the primary's mount */
	struct bpfam_err err;
};

/* A new filesystem holding /file (2 MiB), mounted as the writer. */
static int setup(void **state)
{
	struct slotdev *d = calloc(1, sizeof(*d));
	struct bpfam_inode *in;

	assert_non_null(d);
	d->path = testdev_mkfs(DEV_SIZE, BPFAM_MIN_LOG);
	testdev_mount(&d->fs, d->path, BPFAM_OPEN_WRITER);
	assert_int_equal(bpfam_fs_mknod(&d->fs, BPFAM_ROOT_INO, "file",
					S_IFREG | 0644, 0, 0, &in, &d->err),
			 0);
	assert_int_equal(bpfam_fs_set_size(&d->fs, in->ino, UNIT, 0, 0,
					   &d->err),
			 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct slotdev *d = *state;

	bpfam_fs_close(&d->fs);
	testdev_remove(d->path);
	free(d);
	return 0;
}

/* Slot @i as a host of @d's filesystem publishes it, every field set. */
static void host_slot(const struct slotdev *d, uint32_t i, uint64_t horizon,
		      struct bpfam_slot_info *s)
{
	memset(s, 0, sizeof(*s));
	s->index = i;
	memcpy(s->fs_uuid, d->fs.sb.uuid, 16);
	s->generation = d->fs.sb.generation;
	memset(s->host_id, 0xa0 + (int)i, 16);
	s->incarnation = 0x1000 + i;
	s->role = BPFAM_ROLE_CLIENT;
	s->state = BPFAM_HOST_LIVE;
	s->heartbeat = 77;
	s->period_ms = 100;
	s->pid = 4242;
	s->played_seq = 9;
	s->horizon = horizon;
	s->stuck_seq = 8;
	s->joined = 1700000000;
	snprintf(s->name, sizeof(s->name), "host-%u", i);
	snprintf(s->mountpoint, sizeof(s->mountpoint), "/mnt/%u", i);
}

static void put(const struct slotdev *d, const struct bpfam_slot_info *s)
{
	assert_int_equal(bpfam_slot_write(&d->fs.dev, &d->fs.sb, s), 0);
}

static enum bpfam_slot_status get(const struct slotdev *d, uint32_t i,
				  struct bpfam_slot_info *out)
{
	return bpfam_slot_read(&d->fs.dev, &d->fs.sb, i, out);
}

static uint64_t gate(const struct slotdev *d, uint32_t own_slot, uint64_t own)
{
	return bpfam_slots_gate(&d->fs.dev, &d->fs.sb, own_slot, own);
}

static uint32_t registered(const struct slotdev *d)
{
	static struct bpfam_slot_info out[BPFAM_SLOTS_NR];

	return bpfam_slots_registered(&d->fs.dev, &d->fs.sb, out);
}

/* ---- slots -------------------------------------------------------------- */

static void slot_round_trip(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info in, out;
	struct bpfam_slot *at;

	host_slot(d, 7, 5, &in);
	/* Full fields are stored without a NUL and still come back. */
	memset(in.name, 'n', BPFAM_HOSTNAME_MAX);
	memset(in.mountpoint, 'm', BPFAM_MOUNT_MAX);
	put(d, &in);
	assert_int_equal(get(d, 7, &out), BPFAM_SLOT_USED);
	assert_memory_equal(&in, &out, sizeof(in));

	at = bpfam_slot_at(&d->fs.dev, &d->fs.sb, 7);
	assert_int_equal((uint8_t *)at - d->fs.dev.base,
			 BPFAM_SLOTS_OFF + 7 * BPFAM_SLOT_SIZE);
	assert_int_equal(le64toh(at->magic), BPFAM_SLOT_MAGIC);
	assert_int_equal(le64toh(at->horizon), 5);
	assert_int_equal(at->evicted, 0);
	assert_int_equal(get(d, 6, &out), BPFAM_SLOT_FREE);
	assert_int_equal(out.index, 6);
	assert_int_equal(get(d, 8, &out), BPFAM_SLOT_FREE);
	assert_int_equal(registered(d), 1);

	assert_int_equal(bpfam_slot_clear(&d->fs.dev, &d->fs.sb, 7), 0);
	assert_int_equal(get(d, 7, &out), BPFAM_SLOT_FREE);
	assert_int_equal(registered(d), 0);
}

/* A slot that does not checksum holds everything back: its horizon is 0. */
static void slot_torn(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info in, out, list[BPFAM_SLOTS_NR];
	struct bpfam_slot *at = bpfam_slot_at(&d->fs.dev, &d->fs.sb, 3);

	host_slot(d, 3, 50, &in);
	put(d, &in);
	assert_int_equal(gate(d, UINT32_MAX, 100), 50);
	((uint8_t *)&at->heartbeat)[0] ^= 1;
	assert_int_equal(get(d, 3, &out), BPFAM_SLOT_TORN);
	assert_int_equal(out.index, 3);
	assert_int_equal(gate(d, UINT32_MAX, 100), 0);
	assert_int_equal(bpfam_slots_registered(&d->fs.dev, &d->fs.sb, list),
			 1);
	assert_int_equal(list[0].index, 3);
	assert_true(bpfam_slot_torn(&list[0]));
	/* Its own host's next heartbeat mends it. */
	put(d, &in);
	assert_int_equal(get(d, 3, &out), BPFAM_SLOT_USED);
}

static void slot_evicted(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info in, out;

	host_slot(d, 2, 10, &in);
	put(d, &in);
	/* An eviction names the incarnation: an older one changes nothing. */
	assert_int_equal(bpfam_slot_evict(&d->fs.dev, &d->fs.sb, 2,
					  in.incarnation - 1),
			 0);
	assert_int_equal(get(d, 2, &out), BPFAM_SLOT_USED);
	assert_int_equal(bpfam_slot_evict(&d->fs.dev, &d->fs.sb, 2,
					  in.incarnation),
			 0);
	assert_int_equal(get(d, 2, &out), BPFAM_SLOT_FREE);
	assert_int_equal(registered(d), 0);
	assert_int_equal(gate(d, UINT32_MAX, 100), 100);
	/* Its host's next write does not undo it... */
	put(d, &in);
	assert_int_equal(get(d, 2, &out), BPFAM_SLOT_FREE);
	/* ...but a new host in the slot is a new incarnation. */
	in.incarnation++;
	put(d, &in);
	assert_int_equal(get(d, 2, &out), BPFAM_SLOT_USED);
	assert_int_equal(out.evicted, in.incarnation - 1);
}

/* Slots left by an earlier filesystem on the device count for nothing. */
static void slot_foreign(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info in, out;

	host_slot(d, 4, 1, &in);
	in.generation--;
	put(d, &in);
	assert_int_equal(get(d, 4, &out), BPFAM_SLOT_FOREIGN);
	host_slot(d, 5, 1, &in);
	in.fs_uuid[0] ^= 1;
	put(d, &in);
	assert_int_equal(get(d, 5, &out), BPFAM_SLOT_FOREIGN);
	assert_int_equal(registered(d), 0);
	assert_int_equal(gate(d, UINT32_MAX, 100), 100);
}

/* The gate: the lowest horizon of the hosts that can still touch space. */
static void gate_is_lowest_horizon(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info s;

	assert_int_equal(gate(d, UINT32_MAX, UINT64_MAX), UINT64_MAX);
	host_slot(d, 0, 50, &s);
	put(d, &s);
	host_slot(d, 1, 30, &s);
	put(d, &s);
	host_slot(d, 2, 10, &s); /* fenced: touches nothing any more */
	s.state = BPFAM_HOST_FENCED;
	put(d, &s);
	host_slot(d, 3, 5, &s); /* the caller's, as it last published it */
	put(d, &s);
	host_slot(d, 4, 1, &s); /* evicted */
	put(d, &s);
	assert_int_equal(bpfam_slot_evict(&d->fs.dev, &d->fs.sb, 4,
					  s.incarnation),
			 0);
	assert_int_equal(gate(d, 3, 100), 30);
	assert_int_equal(gate(d, 3, 20), 20);
	assert_int_equal(gate(d, UINT32_MAX, 100), 5);
	assert_int_equal(registered(d), 4);
}

/* ---- hosts -------------------------------------------------------------- */

static const uint8_t ID_A[16] = {0xaa, 1};
static const uint8_t ID_B[16] = {0xbb, 2};

static void join(struct slotdev *d, struct bpfam_host *h, struct bpfam_fs *fs,
		 const uint8_t *id, uint32_t role)
{
	if (bpfam_host_join(h, fs, id, role, PERIOD_MS, "/mnt/t", &d->err))
		fail_msg("join: %s", d->err.msg);
}

static void join_takes_free_slot(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info s;
	struct bpfam_host h;

	host_slot(d, 0, 1, &s);
	put(d, &s);
	host_slot(d, 1, 1, &s);
	put(d, &s);
	host_slot(d, 2, 1, &s); /* an earlier filesystem's: free to take */
	s.generation++;
	put(d, &s);
	join(d, &h, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	assert_true(h.joined);
	assert_int_equal(h.slot.index, 2);
	assert_int_equal(get(d, 2, &s), BPFAM_SLOT_USED);
	assert_memory_equal(s.host_id, ID_A, 16);
	assert_memory_equal(s.fs_uuid, d->fs.sb.uuid, 16);
	assert_int_equal(s.generation, d->fs.sb.generation);
	assert_int_equal(s.role, BPFAM_ROLE_PRIMARY);
	assert_int_equal(s.state, BPFAM_HOST_LIVE);
	assert_int_equal(s.period_ms, PERIOD_MS);
	assert_int_equal(s.pid, getpid());
	assert_int_equal(s.played_seq, d->fs.log.next_seq - 1);
	assert_int_equal(s.horizon, bpfam_fs_horizon(&d->fs));
	assert_int_not_equal(s.incarnation, 0);
	assert_string_equal(s.mountpoint, "/mnt/t");

	bpfam_host_leave(&h);
	assert_false(h.joined);
	assert_int_equal(get(d, 2, &s), BPFAM_SLOT_FREE);
}

struct beater {
	struct bpfam_host *h;
	int stop;
	int rc;
};

/* A live host: beats four times a period until told to stop. */
static void *beat_loop(void *arg)
{
	struct beater *b = arg;
	struct timespec t = {.tv_nsec = PERIOD_MS * 1000000L / 4};

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		b->rc = bpfam_host_beat(b->h, 0, NULL);
		if (b->rc)
			break;
		nanosleep(&t, NULL);
	}
	return NULL;
}

/*
 * One id, two mounts: refused while the first one beats, since their
 * horizons would hide each other; once it stops, its slot is taken over.
 */
static void join_same_id(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_host h1, h2;
	struct beater b = {.h = &h1};
	struct bpfam_fs client;
	struct bpfam_err err;
	pthread_t t;

	join(d, &h1, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	testdev_mount(&client, d->path, BPFAM_OPEN_RDWR);
	assert_int_equal(pthread_create(&t, NULL, beat_loop, &b), 0);
	assert_err(bpfam_host_join(&h2, &client, ID_A, BPFAM_ROLE_CLIENT,
				   PERIOD_MS, "/mnt/2", &err),
		   EBUSY, &err, "is already mounted (slot 0");
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, 0);
	assert_false(h2.joined);

	/* Another id is no conflict. */
	join(d, &h2, &client, ID_B, BPFAM_ROLE_CLIENT);
	assert_int_equal(h2.slot.index, 1);
	bpfam_host_leave(&h2);

	/* The first one is dead now: its slot, and its place, are taken. */
	join(d, &h2, &client, ID_A, BPFAM_ROLE_CLIENT);
	assert_int_equal(h2.slot.index, h1.slot.index);
	assert_int_not_equal(h2.slot.incarnation, h1.slot.incarnation);
	assert_err(bpfam_host_beat(&h1, 0, &err), ESTALE, &err,
		   "this host (slot 0) was evicted");
	assert_int_equal(bpfam_host_beat(&h2, 0, &err), 0);
	/* The dead one leaving later must not free the new one's slot. */
	bpfam_host_leave(&h1);
	assert_int_equal(registered(d), 1);
	bpfam_host_leave(&h2);
	assert_int_equal(registered(d), 0);
	bpfam_fs_close(&client);
}

/* A heartbeat publishes the log position and the reclaim horizon. */
static void beat_publishes_horizon(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_inode *in = bpfam_fs_lookup(&d->fs, BPFAM_ROOT_INO, "file");
	struct bpfam_slot_info s;
	struct bpfam_host h;
	uint64_t del_seq = d->fs.log.next_seq;

	join(d, &h, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	bpfam_fs_hold(in);
	assert_int_equal(bpfam_fs_delete(&d->fs, BPFAM_ROOT_INO, "file", false,
					 &d->err),
			 0);
	assert_int_equal(bpfam_host_beat(&h, 7, &d->err), 0);
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_USED);
	assert_int_equal(s.heartbeat, 1);
	assert_int_equal(s.horizon, del_seq);
	assert_int_equal(s.played_seq, del_seq);
	assert_int_equal(s.stuck_seq, 7);
	/* What this host published holds others' gate, not its own. */
	assert_int_equal(gate(d, UINT32_MAX, UINT64_MAX), del_seq);
	assert_int_equal(gate(d, h.slot.index, UINT64_MAX), UINT64_MAX);

	bpfam_fs_release(in);
	assert_int_equal(bpfam_host_beat(&h, 0, &d->err), 0);
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_USED);
	assert_int_equal(s.heartbeat, 2);
	assert_int_equal(s.horizon, d->fs.log.next_seq);
	bpfam_host_leave(&h);
}

static void beat_after_eviction(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info s;
	struct bpfam_host h;

	join(d, &h, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	assert_int_equal(bpfam_slot_evict(&d->fs.dev, &d->fs.sb, h.slot.index,
					  h.slot.incarnation),
			 0);
	assert_err(bpfam_host_beat(&h, 0, &d->err), ESTALE, &d->err,
		   "was evicted by another host");
	assert_non_null(strstr(d->err.msg, d->path));
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_FREE);
	bpfam_host_leave(&h);
}

static void beat_after_reformat(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_sb *raw = (struct bpfam_sb *)d->fs.dev.base;
	struct bpfam_sb saved = *raw;
	struct bpfam_slot_info s;
	struct bpfam_host h;

	join(d, &h, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	raw->generation = htole64(d->fs.sb.generation + 1);
	assert_err(bpfam_host_beat(&h, 0, &d->err), ESTALE, &d->err,
		   "the superblock changed");
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_USED);
	assert_int_equal(s.heartbeat, 0); /* nothing published */
	*raw = saved;
	assert_int_equal(bpfam_host_beat(&h, 0, &d->err), 0);

	/* mkfs --force fences first; a fenced host says it let go. */
	raw->magic = htole64(BPFAM_SB_FENCE_MAGIC);
	assert_err(bpfam_host_beat(&h, 0, &d->err), ESTALE, &d->err,
		   "fenced by 'bpfam mkfs --force'");
	bpfam_host_ack_fence(&h);
	assert_false(h.joined);
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_USED);
	assert_int_equal(s.state, BPFAM_HOST_FENCED);
	assert_int_equal(gate(d, UINT32_MAX, 100), 100);
	*raw = saved;
}

static void leave_frees_slot(void **state)
{
	struct slotdev *d = *state;
	struct bpfam_slot_info s;
	struct bpfam_host h;

	join(d, &h, &d->fs, ID_A, BPFAM_ROLE_PRIMARY);
	assert_int_equal(registered(d), 1);
	bpfam_host_leave(&h);
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_FREE);
	assert_int_equal(registered(d), 0);
	/* Leaving twice is harmless, even after another host took it. */
	host_slot(d, h.slot.index, 1, &s);
	put(d, &s);
	bpfam_host_leave(&h);
	assert_int_equal(get(d, h.slot.index, &s), BPFAM_SLOT_USED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(slot_round_trip),
		T(slot_torn),
		T(slot_evicted),
		T(slot_foreign),
		T(gate_is_lowest_horizon),
		T(join_takes_free_slot),
		T(join_same_id),
		T(beat_publishes_horizon),
		T(beat_after_eviction),
		T(beat_after_reformat),
		T(leave_frees_slot),
	};

	return cmocka_run_group_tests_name("slot", tests, NULL, NULL);
}
