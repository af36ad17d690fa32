/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libbpfam unit tests (cmocka): scratch devices, files in
 * /dev/shm removed when the test ends, and error assertions.
 */
#ifndef BPFAM_TESTDEV_H
#define BPFAM_TESTDEV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "fs.h"

#define MIB  (1ULL << 20)
#define UNIT BPFAM_ALLOC_UNIT

/* A new scratch file of @size bytes, removed by testdev_remove() or at exit. */
const char *testdev_create(uint64_t size);
void testdev_remove(const char *path);

/* A new scratch file of @size bytes holding a bpfam with @log_size's log. */
const char *testdev_mkfs(uint64_t size, uint64_t log_size);

/* Mount @path in @mode (the writer, a client...); the test fails if that
 * fails. */
void testdev_mount(struct bpfam_fs *fs, const char *path,
		   enum bpfam_open_mode mode);

/*
 * Fill @tests with one test per element of a table of @n cases of @size
 * bytes, each starting with its name (a const char *): @fn runs with *state
 * pointing at its case.  Returns @n.
 */
size_t testdev_cases(struct CMUnitTest *tests, void (*fn)(void **state),
		     const void *cases, size_t size, size_t n,
		     const char *prefix);

/* rc is -@code and the message holds @text. */
#define assert_err(rc, code, err, text)                                        \
	do {                                                                   \
		assert_int_equal((rc), -(code));                               \
		if (!strstr((err)->msg, (text)))                               \
			fail_msg("message '%s' lacks '%s'", (err)->msg,        \
				 (text));                                      \
	} while (0)

#endif /* BPFAM_TESTDEV_H */
