// SPDX-License-Identifier: GPL-2.0
/* Group commit: who flushes, what a waiter may assume, failures. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "group.h"
#include "testdev.h"

/* A log of fake records: flush() marks [from, to) durable. */
struct fake {
	struct bpfam_group g;
	pthread_mutex_t append; /* the appender's lock */
	uint64_t end;		/* appended */
	uint64_t durable;	/* what flushes really covered */
	int flushes, fail_next, busy;
	int overlap; /* flushes that ran at once: must stay 0 */
};

static int fake_flush(void *arg, uint64_t from, uint64_t to)
{
	struct fake *f = arg;

	if (__atomic_fetch_add(&f->busy, 1, __ATOMIC_SEQ_CST))
		f->overlap++;
	assert_true(from <= to);
	assert_int_equal(from, f->durable); /* nothing skipped */
	usleep(2000); /* a fence on slow memory: others pile up */
	__atomic_fetch_sub(&f->busy, 1, __ATOMIC_SEQ_CST);
	if (f->fail_next) {
		f->fail_next--;
		return -EIO;
	}
	f->durable = to;
	f->flushes++;
	return 0;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->append, NULL);
	bpfam_group_init(&f->g, fake_flush, f, 0);
}

/* Append a record of @len bytes; its end. */
static uint64_t fake_append(struct fake *f, uint64_t len)
{
	uint64_t end;

	pthread_mutex_lock(&f->append);
	end = f->end += len;
	bpfam_group_appended(&f->g, end);
	pthread_mutex_unlock(&f->append);
	return end;
}

static void one_waiter(void **state)
{
	struct fake f;
	uint64_t end;

	(void)state;
	fake_init(&f);
	assert_int_equal(bpfam_group_sync(&f.g), 0);
	assert_int_equal(f.flushes, 0); /* nothing pending: no flush */
	fake_append(&f, 8);
	end = fake_append(&f, 16);
	assert_int_equal(bpfam_group_wait(&f.g, end), 0);
	assert_int_equal(f.flushes, 1); /* both records, one flush */
	assert_int_equal(f.durable, 24);
	assert_int_equal(bpfam_group_wait(&f.g, end), 0);
	assert_int_equal(f.flushes, 1);
	bpfam_group_destroy(&f.g);
}

#define THREADS 8
#define EACH	200

static void *creator(void *arg)
{
	struct fake *f = arg;
	uint64_t end;
	int i;

	for (i = 0; i < EACH; i++) {
		end = fake_append(f, 8);
		if (bpfam_group_wait(&f->g, end))
			return "wait failed";
		/* What we would acknowledge now must really be durable. */
		if (__atomic_load_n(&f->durable, __ATOMIC_SEQ_CST) < end)
			return "returned before its record was durable";
	}
	return NULL;
}

static void many_waiters(void **state)
{
	pthread_t t[THREADS];
	struct fake f;
	void *why;
	int i;

	(void)state;
	fake_init(&f);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, creator, &f), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &why);
		if (why)
			fail_msg("%s", (const char *)why);
	}
	assert_int_equal(f.overlap, 0);
	assert_int_equal(f.durable, THREADS * EACH * 8);
	/* Grouped: far fewer flushes than records. */
	print_message("%d records, %d flushes\n", THREADS * EACH, f.flushes);
	assert_true(f.flushes < THREADS * EACH / 2);
	bpfam_group_destroy(&f.g);
}

static void flush_fails(void **state)
{
	struct fake f;
	uint64_t end;

	(void)state;
	fake_init(&f);
	end = fake_append(&f, 8);
	f.fail_next = 1;
	assert_int_equal(bpfam_group_wait(&f.g, end), -EIO);
	assert_int_equal(bpfam_group_durable(&f.g), 0);
	/* The next wait offers the same range again. */
	assert_int_equal(bpfam_group_wait(&f.g, end), 0);
	assert_int_equal(f.durable, 8);
	/* Closed (fenced): nothing more is flushed, waits fail. */
	end = fake_append(&f, 8);
	bpfam_group_close(&f.g);
	assert_int_equal(bpfam_group_wait(&f.g, end), -EIO);
	assert_int_equal(f.durable, 8);
	assert_int_equal(bpfam_group_wait(&f.g, 8), 0);
	bpfam_group_destroy(&f.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_waiter),
		cmocka_unit_test(many_waiters),
		cmocka_unit_test(flush_fails),
	};

	return cmocka_run_group_tests_name("group", tests, NULL, NULL);
}
