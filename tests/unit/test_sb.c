// SPDX-License-Identifier: GPL-2.0
/* The superblock: encode/decode round trip and every rejection of decode. */
#include <endian.h>
#include <errno.h>

#include "crc.h"
#include "sb.h"
#include "testdev.h"

#define DEV_SIZE (1ULL << 30)
#define LOG_SIZE (8 * MIB)

/* What mkfs makes of a DEV_SIZE device, with fixed host and time. */
static void good_info(struct bpfam_sb_info *sb)
{
	struct bpfam_device dev = { .path = "/dev/x", .size = DEV_SIZE };
	struct bpfam_err err;

	assert_int_equal(bpfam_sb_init(sb, &dev, LOG_SIZE, &err), 0);
	assert_int_equal(sb->data_off, BPFAM_LOG_OFF + LOG_SIZE);
	sb->ctime = 1700000000;
	memset(sb->primary_id, 0xab, sizeof(sb->primary_id));
	memset(sb->primary_name, 0, sizeof(sb->primary_name));
	strcpy(sb->primary_name, "host-a");
	memset(sb->devs[0].uuid, 0x5a, 16);
	/* Not what mkfs starts at: a generation that is not 1 must survive. */
	sb->generation = 0x0102030405060708ULL;
}

static void reseal(struct bpfam_sb *raw)
{
	raw->crc = htole32(bpfam_crc32c(raw, offsetof(struct bpfam_sb, crc)));
}

static void round_trip(void **state)
{
	struct bpfam_sb_info in, out;
	struct bpfam_sb raw;
	struct bpfam_err err;

	(void)state;
	good_info(&in);
	bpfam_sb_encode(&in, &raw);
	assert_int_equal(le64toh(raw.magic), BPFAM_SB_MAGIC);
	assert_int_equal(le32toh(raw.version), 2);
	assert_int_equal(le64toh(raw.incompat),
			 BPFAM_INCOMPAT_RECLAIM | BPFAM_INCOMPAT_POSIX);
	assert_int_equal(le64toh(raw.generation), 0x0102030405060708ULL);
	assert_int_equal(bpfam_sb_decode(&raw, DEV_SIZE, "dev", &out, &err), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(out.generation, 0x0102030405060708ULL);
}

/* The hostname fills its field with no NUL: it must still round-trip. */
static void round_trip_long_hostname(void **state)
{
	struct bpfam_sb_info in, out;
	struct bpfam_sb raw;
	struct bpfam_err err;

	(void)state;
	good_info(&in);
	memset(in.primary_name, 'h', BPFAM_HOSTNAME_MAX);
	in.primary_name[BPFAM_HOSTNAME_MAX] = '\0';
	bpfam_sb_encode(&in, &raw);
	assert_int_equal(bpfam_sb_decode(&raw, DEV_SIZE, "dev", &out, &err), 0);
	assert_string_equal(out.primary_name, in.primary_name);
}

struct bad_case {
	const char *name;
	void (*mutate)(struct bpfam_sb *raw);
	bool keep_crc; /* the mutation is to be caught by the CRC */
	int code;
	const char *text;
};

#define MUT(fn, stmt)                                                          \
	static void fn(struct bpfam_sb *raw)                                   \
	{                                                                      \
		stmt;                                                          \
	}

MUT(bad_magic, raw->magic ^= htole64(1))
MUT(newer_version, raw->version = htole32(BPFAM_VERSION + 1))
MUT(version_zero, raw->version = 0)
MUT(bad_crc, raw->uuid[3] ^= 0x10)
MUT(bad_sb_size, raw->sb_size = htole32(512))
MUT(version_one, raw->version = htole32(1))
MUT(fenced, raw->magic = htole64(BPFAM_SB_FENCE_MAGIC))
MUT(no_reclaim, raw->incompat = 0)
MUT(unknown_incompat,
    raw->incompat = htole64(BPFAM_INCOMPAT_RECLAIM | 1ULL << 7))
MUT(null_uuid, memset(raw->uuid, 0, 16))
MUT(bad_alloc_unit, raw->alloc_unit = htole64(4096))
MUT(bad_slots_off, raw->slots_off = htole64(4096))
MUT(bad_slots_nr, raw->slots_nr = htole32(BPFAM_SLOTS_NR + 1))
MUT(bad_slot_size, raw->slot_size = htole32(32))
MUT(bad_log_off, raw->log_off = htole64(4 * MIB))
MUT(log_unaligned, raw->log_size = htole64(LOG_SIZE + 4096))
MUT(log_too_small, raw->log_size = 0)
MUT(log_too_big, raw->log_size = htole64(BPFAM_MAX_LOG + UNIT))
MUT(bad_data_off, raw->data_off = htole64(BPFAM_LOG_OFF + LOG_SIZE + UNIT))
MUT(two_devs, raw->ndevs = htole32(2))
MUT(no_devs, raw->ndevs = 0)
MUT(unused_dev_slot, raw->devs[3].size = htole64(UNIT))
MUT(dev_unaligned, raw->devs[0].size = htole64(DEV_SIZE - 4096))
MUT(dev_no_data, raw->devs[0].size = raw->data_off)
MUT(dev_bigger, raw->devs[0].size = htole64(DEV_SIZE + UNIT))
MUT(rsvd0_set, raw->rsvd0 = htole32(1))
MUT(dev_rsvd_set, raw->devs[0].rsvd = htole64(1))
MUT(rsvd1_set, raw->rsvd1[100] = 1)

static const struct bad_case cases[] = {
	{"bad magic", bad_magic, true, ENODATA, "no bpfam filesystem"},
	{"newer version", newer_version, false, EPROTONOSUPPORT,
	 "newer than this bpfam"},
	{"version 0", version_zero, false, EBADMSG, "version 0 is invalid"},
	{"version 1", version_one, false, EPROTONOSUPPORT,
	 "/dev/x: format version 1 (no host slots, no delete): copy the files off with the bpfam that made it, then 'bpfam mkfs --force /dev/x'"},
	/* The fence is caught before the CRC: mkfs --force writes only it. */
	{"fence magic", fenced, true, ESTALE,
	 "fenced by 'bpfam mkfs --force'"},
	{"reclaim feature missing", no_reclaim, false, EBADMSG,
	 "the reclaim feature bit is not set"},
	{"checksum", bad_crc, true, EBADMSG, "checksum mismatch"},
	{"sb_size", bad_sb_size, false, EBADMSG, "sb_size 512"},
	{"unknown incompat feature", unknown_incompat, false, EPROTONOSUPPORT,
	 "unknown incompatible features 0x81"},
	{"null uuid", null_uuid, false, EBADMSG, "UUID is null"},
	{"alloc_unit", bad_alloc_unit, false, EBADMSG, "alloc_unit 4096"},
	{"slots_off", bad_slots_off, false, EBADMSG, "host slot area"},
	{"slots_nr", bad_slots_nr, false, EBADMSG, "host slot area"},
	{"slot_size", bad_slot_size, false, EBADMSG, "host slot area"},
	{"log_off", bad_log_off, false, EBADMSG, "log offset 4194304"},
	{"log size unaligned", log_unaligned, false, EBADMSG, "log size"},
	{"log size 0", log_too_small, false, EBADMSG, "log size 0"},
	{"log size > 1 TiB", log_too_big, false, EBADMSG, "log size"},
	{"data_off", bad_data_off, false, EBADMSG, "does not follow the log"},
	{"2 devices", two_devs, false, EBADMSG, "2 devices"},
	{"0 devices", no_devs, false, EBADMSG, "0 devices"},
	{"unused device slot", unused_dev_slot, false, EBADMSG,
	 "unused device slot 3"},
	{"device size unaligned", dev_unaligned, false, EBADMSG,
	 "is not a multiple of 2 MiB"},
	{"device size leaves no data", dev_no_data, false, EBADMSG,
	 "beyond the data offset"},
	{"fs bigger than device", dev_bigger, false, EBADMSG,
	 "the device has only"},
	{"rsvd0", rsvd0_set, false, EBADMSG, "reserved bytes"},
	{"devs[0].rsvd", dev_rsvd_set, false, EBADMSG, "reserved bytes"},
	{"rsvd1", rsvd1_set, false, EBADMSG, "reserved bytes"},
};

static void rejects(void **state)
{
	const struct bad_case *c = *state;
	struct bpfam_sb_info in, out;
	struct bpfam_sb raw;
	struct bpfam_err err;
	int rc;

	good_info(&in);
	bpfam_sb_encode(&in, &raw);
	c->mutate(&raw);
	if (!c->keep_crc)
		reseal(&raw);
	rc = bpfam_sb_decode(&raw, DEV_SIZE, "/dev/x", &out, &err);
	assert_err(rc, c->code, &err, c->text);
	assert_non_null(strstr(err.msg, "/dev/x"));
}

static void default_log_size(void **state)
{
	(void)state;
	assert_int_equal(bpfam_sb_default_log_size(6 * MIB), BPFAM_MIN_LOG);
	assert_int_equal(bpfam_sb_default_log_size(16 * MIB), 4 * MIB);
	assert_int_equal(bpfam_sb_default_log_size(64 * MIB), 8 * MIB);
	assert_int_equal(bpfam_sb_default_log_size(1ULL << 30), 8 * MIB);
	assert_int_equal(bpfam_sb_default_log_size(16ULL << 30), 64 * MIB);
	assert_int_equal(bpfam_sb_default_log_size(1ULL << 40), 1ULL << 30);
}

static void init_rejects(void **state)
{
	struct bpfam_device dev = {.path = "/dev/x", .size = 64 * MIB};
	struct bpfam_sb_info sb;
	struct bpfam_err err;

	(void)state;
	assert_err(bpfam_sb_init(&sb, &dev, 3 * MIB, &err), EINVAL, &err,
		   "multiple of 2 MiB");
	assert_err(bpfam_sb_init(&sb, &dev, 0, &err), EINVAL, &err,
		   "at least 2 MiB");
	assert_err(bpfam_sb_init(&sb, &dev, 62 * MIB, &err), ENOSPC, &err,
		   "does not leave room for data on /dev/x");
	assert_int_equal(bpfam_sb_init(&sb, &dev, 60 * MIB, &err), 0);
	assert_int_equal(sb.data_off, 62 * MIB);
	assert_int_equal(sb.devs[0].size, 64 * MIB);
	assert_int_equal(sb.version, 2);
	assert_int_equal(sb.incompat,
			 BPFAM_INCOMPAT_RECLAIM | BPFAM_INCOMPAT_POSIX);
	assert_int_equal(sb.generation, 1);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	struct CMUnitTest tests[NCASES + 4] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(round_trip_long_hostname),
		cmocka_unit_test(default_log_size),
		cmocka_unit_test(init_rejects),
	};

	testdev_cases(tests + 4, rejects, cases, sizeof(cases[0]), NCASES,
		      "rejects");
	return _cmocka_run_group_tests("sb", tests, NCASES + 4, NULL, NULL);
}
