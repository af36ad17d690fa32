// SPDX-License-Identifier: GPL-2.0
/* CRC32C known vectors; parsing and formatting of sizes. */
#include <errno.h>

#include "crc.h"
#include "testdev.h"
#include "units.h"

static void crc_check_value(void **state)
{
	(void)state;
	assert_int_equal(bpfam_crc32c("123456789", 9), 0xe3069283);
	assert_int_equal(bpfam_crc32c("", 0), 0);
}

/* RFC 3720 appendix B.4 (iSCSI) vectors. */
static void crc_rfc3720(void **state)
{
	uint8_t b[32];
	int i;

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(bpfam_crc32c(b, sizeof(b)), 0x8a9136aa);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(bpfam_crc32c(b, sizeof(b)), 0x62a8ab43);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(bpfam_crc32c(b, sizeof(b)), 0x46dd794e);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(bpfam_crc32c(b, sizeof(b)), 0x113fdb5c);
}

static void crc_incremental(void **state)
{
	const char *s = "123456789";
	uint32_t st;

	(void)state;
	st = bpfam_crc32c_update(BPFAM_CRC_INIT, s, 4);
	st = bpfam_crc32c_update(st, s + 4, 5);
	assert_int_equal(~st, 0xe3069283);
}

static void parse_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;

	if (bpfam_parse_size(s, &v))
		fail_msg("'%s' rejected", s);
	if (v != want)
		fail_msg("'%s' parsed as %llu, want %llu", s,
			 (unsigned long long)v, (unsigned long long)want);
}

static void parse_bad(const char *s)
{
	uint64_t v = 12345;

	if (bpfam_parse_size(s, &v) != -EINVAL)
		fail_msg("'%s' accepted", s ? s : "(null)");
	assert_int_equal(v, 12345);
}

static void size_parse(void **state)
{
	(void)state;
	parse_ok("0", 0);
	parse_ok("123", 123);
	parse_ok("123B", 123);
	parse_ok("4K", 4096);
	parse_ok("4k", 4096);
	parse_ok("4KB", 4096);
	parse_ok("4KiB", 4096);
	parse_ok("4kib", 4096);
	parse_ok("2M", 2 * MIB);
	parse_ok("1G", 1ULL << 30);
	parse_ok("3T", 3ULL << 40);
	parse_ok("1P", 1ULL << 50);
	parse_ok("16383P", 16383ULL << 50);
	parse_ok("1.5T", 3ULL << 39);
	parse_ok("1.5t", 3ULL << 39);
	parse_ok("0.5KiB", 512);
	parse_ok("2.25M", 9 * MIB / 4);
	parse_ok("1.0009765625K", 1025); /* exact: 1 + 1/1024 */
	parse_ok("1.001K", 1025);	 /* 1025.024 rounds down */
	parse_ok("16383.999P", 16383ULL << 50 | 1124774006935781ULL);
}

static void size_parse_rejects(void **state)
{
	(void)state;
	parse_bad(NULL);
	parse_bad("");
	parse_bad("K");
	parse_bad("-1");
	parse_bad(" 1K");
	parse_bad("1 K");
	parse_bad("1X");
	parse_bad("1KK");
	parse_bad("1KBB");
	parse_bad("1E");
	parse_bad("16384P");		   /* 2^64 */
	parse_bad("18446744073709551616"); /* 2^64 */
	parse_bad("1.5");		   /* a fraction of a byte */
	parse_bad("1.5B");
	parse_bad("1.K");
	parse_bad(".5K");
	parse_bad("1..5K");
	parse_bad("1.5.5K");
	parse_bad("-1.5K");
	parse_bad("1,5K");
	parse_bad("16383.9999999999999999999P"); /* too many digits */
	parse_bad("16384.5P");
}

static void fmt_is(uint64_t bytes, const char *want)
{
	char buf[32];

	assert_string_equal(bpfam_fmt_size(bytes, buf), want);
}

static void size_format(void **state)
{
	(void)state;
	fmt_is(0, "0 B");
	fmt_is(1023, "1023 B");
	fmt_is(1024, "1 KiB");
	fmt_is(1536, "1.5 KiB");
	fmt_is(2 * MIB, "2 MiB");
	fmt_is(1014 * MIB, "1014 MiB");
	fmt_is(1ULL << 30, "1 GiB");
	fmt_is(3ULL << 39, "1.5 TiB");
	fmt_is(UINT64_MAX, "16 EiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_check_value),
		cmocka_unit_test(crc_rfc3720),
		cmocka_unit_test(crc_incremental),
		cmocka_unit_test(size_parse),
		cmocka_unit_test(size_parse_rejects),
		cmocka_unit_test(size_format),
	};

	return cmocka_run_group_tests_name("crc_units", tests, NULL, NULL);
}
