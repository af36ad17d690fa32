// SPDX-License-Identifier: GPL-2.0
/* Log records: encode/decode round trips and every rejection of decode. */
#include <endian.h>
#include <errno.h>
#include <sys/stat.h>

#include "crc.h"
#include "record.h"
#include "testdev.h"

#define SEQ	 42
#define HDR	 sizeof(struct bpfam_rec_hdr)
#define BUF_SIZE (BPFAM_REC_ENC_MAX + 256)

static void set_extent(struct bpfam_fmap *m, uint32_t i, uint64_t off,
		       uint64_t len)
{
	m->ext[i].dev_off = off;
	m->ext[i].len = len;
}

/* A valid record of @type, as bpfam_record_decode() returns it. */
static void base_record(struct bpfam_record *r, uint16_t type)
{
	struct bpfam_fmap *m = &r->fmap.map;

	memset(r, 0, sizeof(*r));
	r->seq = SEQ;
	r->type = type;
	switch (type) {
	case BPFAM_REC_MKNOD:
		r->mknod.ino = 5;
		r->mknod.parent = 1;
		r->mknod.mode = S_IFREG | 0644;
		r->mknod.uid = 1000;
		r->mknod.gid = 100;
		r->mknod.mtime_ns = 1700000000123456789ULL;
		strcpy(r->mknod.name, "hello");
		r->mknod.name_len = 5;
		break;
	case BPFAM_REC_FMAP:
		/* Simple: 5 MiB in a 4 MiB and a 2 MiB extent. */
		r->fmap.ino = 5;
		m->version = BPFAM_FMAP_VERSION;
		m->kind = BPFAM_FMAP_SIMPLE;
		m->size = 5 * MIB;
		m->nr = 2;
		set_extent(m, 0, 10 * MIB, 4 * MIB);
		set_extent(m, 1, 20 * MIB, 2 * MIB);
		break;
	case BPFAM_REC_SETATTR:
		r->setattr.ino = 5;
		r->setattr.valid = BPFAM_ATTR_MODE | BPFAM_ATTR_UID;
		r->setattr.mode = 0600;
		r->setattr.uid = 7;
		break;
	case BPFAM_REC_DELETE:
		r->del.ino = 5;
		r->del.parent = 1;
		break;
	case BPFAM_REC_RECLAIM:
		r->reclaim.upto = SEQ - 2;
		break;
	}
}

/* Interleaved: 7 MiB over two 4 MiB strips of 2 MiB chunks. */
static void interleaved(struct bpfam_record *r)
{
	struct bpfam_fmap *m = &r->fmap.map;

	base_record(r, BPFAM_REC_FMAP);
	m->kind = BPFAM_FMAP_INTERLEAVED;
	m->size = 7 * MIB;
	m->chunk = 2 * MIB;
	set_extent(m, 0, 10 * MIB, 4 * MIB);
	set_extent(m, 1, 30 * MIB, 4 * MIB);
}

static struct bpfam_rec_hdr *hdr(uint8_t *buf)
{
	return (struct bpfam_rec_hdr *)buf;
}

/* Recompute the CRC after a deliberate change, as a buggy writer would. */
static void reseal(uint8_t *buf)
{
	size_t len = le32toh(hdr(buf)->len);

	if (len > BUF_SIZE)
		len = BUF_SIZE;
	hdr(buf)->crc = 0;
	hdr(buf)->crc = htole32(bpfam_crc32c(buf, len));
}

static size_t encode(const struct bpfam_record *r, uint8_t *buf)
{
	memset(buf, 0, BUF_SIZE);
	bpfam_record_encode(r, buf);
	bpfam_record_seal(buf);
	return bpfam_record_size(r);
}

/* @r decodes to itself; its len is set to what decode will read. */
static void check_round_trip(struct bpfam_record *r)
{
	static uint8_t buf[BUF_SIZE];
	struct bpfam_record out;
	struct bpfam_err err;
	size_t len = encode(r, buf);
	long rc;

	assert_int_equal(len % BPFAM_REC_ALIGN, 0);
	r->len = (uint32_t)len;
	memset(&out, 0, sizeof(out));
	rc = bpfam_record_decode(buf, len, SEQ, "rec", &out, &err);
	if (rc < 0)
		fail_msg("decode: %s", err.msg);
	assert_int_equal(rc, len);
	assert_memory_equal(r, &out, sizeof(out));
}

static void round_trip_all_types(void **state)
{
	struct bpfam_record r;
	uint16_t t;

	(void)state;
	for (t = BPFAM_REC_MKNOD; t <= BPFAM_REC_RECLAIM; t++) {
		base_record(&r, t);
		check_round_trip(&r);
	}
	interleaved(&r);
	check_round_trip(&r);
}

static void round_trip_limits(void **state)
{
	struct bpfam_record r;
	uint32_t i;

	(void)state;
	base_record(&r, BPFAM_REC_MKNOD);
	r.mknod.mode = S_IFDIR | 07777;
	memset(r.mknod.name, 'n', BPFAM_NAME_MAX);
	r.mknod.name_len = BPFAM_NAME_MAX;
	check_round_trip(&r);

	base_record(&r, BPFAM_REC_FMAP);
	r.fmap.map.nr = BPFAM_MAX_EXTENTS;
	r.fmap.map.size = BPFAM_MAX_EXTENTS * UNIT;
	for (i = 0; i < BPFAM_MAX_EXTENTS; i++)
		set_extent(&r.fmap.map, i, (100 + 2 * (uint64_t)i) * UNIT,
			   UNIT);
	assert_int_equal(bpfam_record_size(&r), BPFAM_REC_ENC_MAX);
	check_round_trip(&r);

	/* A reclaim may free every delete before itself. */
	base_record(&r, BPFAM_REC_RECLAIM);
	r.reclaim.upto = SEQ;
	check_round_trip(&r);
	base_record(&r, BPFAM_REC_RECLAIM);
	r.reclaim.upto = 1;
	check_round_trip(&r);
}

/* The bytes of the two new types, field by field, as format.h lays them. */
static void delete_reclaim_layout(void **state)
{
	static uint8_t buf[BUF_SIZE];
	const struct bpfam_rec_delete *del = (const void *)(buf + HDR);
	const struct bpfam_rec_reclaim *rc = (const void *)(buf + HDR);
	struct bpfam_record r;

	(void)state;
	base_record(&r, BPFAM_REC_DELETE);
	assert_int_equal(encode(&r, buf), HDR + 16);
	assert_int_equal(le16toh(hdr(buf)->type), BPFAM_REC_DELETE);
	assert_int_equal(le64toh(del->ino), 5);
	assert_int_equal(le64toh(del->parent), 1);
	base_record(&r, BPFAM_REC_RECLAIM);
	assert_int_equal(encode(&r, buf), HDR + 16);
	assert_int_equal(le16toh(hdr(buf)->type), BPFAM_REC_RECLAIM);
	assert_int_equal(le64toh(rc->upto), SEQ - 2);
	assert_int_equal(rc->rsvd, 0);
	assert_string_equal(bpfam_record_type_name(BPFAM_REC_DELETE), "delete");
	assert_string_equal(bpfam_record_type_name(BPFAM_REC_RECLAIM),
			    "reclaim");
}

/*
 * A type this version does not know, flagged optional, decodes with its
 * payload skipped (the rule for adding types in bpfam/format.h); without
 * the flag it is refused.  Made from a setattr so that it has a payload.
 */
static void unknown_optional_type(void **state)
{
	static uint8_t buf[BUF_SIZE];
	struct bpfam_rec_hdr *h = hdr(buf);
	struct bpfam_record r;
	struct bpfam_err err;
	size_t len;

	(void)state;
	base_record(&r, BPFAM_REC_SETATTR);
	len = encode(&r, buf);
	h->type = htole16(99);
	h->flags = htole16(BPFAM_REC_F_OPTIONAL);
	reseal(buf);
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(bpfam_record_decode(buf, len, SEQ, "rec", &r, &err),
			 len);
	assert_int_equal(r.seq, SEQ);
	assert_int_equal(r.type, 99);
	assert_int_equal(r.flags, BPFAM_REC_F_OPTIONAL);
	assert_int_equal(r.len, len);
	assert_string_equal(bpfam_record_type_name(99), "?");

	h->flags = 0;
	reseal(buf);
	assert_err(bpfam_record_decode(buf, len, SEQ, "rec", &r, &err),
		   EBADMSG, &err, "rec: unknown record type 99");

	/* Encoding one keeps its flag: a header with no payload. */
	memset(&r, 0, sizeof(r));
	r.seq = SEQ;
	r.type = 99;
	r.flags = BPFAM_REC_F_OPTIONAL;
	assert_int_equal(encode(&r, buf), HDR);
	assert_int_equal(bpfam_record_decode(buf, HDR, SEQ, "rec", &r, &err),
			 HDR);
	assert_int_equal(r.flags, BPFAM_REC_F_OPTIONAL);
}

/* Unsealed bytes, zero bytes or too few bytes: the end of the log. */
static void end_of_log(void **state)
{
	static uint8_t buf[BUF_SIZE];
	struct bpfam_record r;
	struct bpfam_err err;
	size_t len;

	(void)state;
	base_record(&r, BPFAM_REC_MKNOD);
	memset(buf, 0, sizeof(buf));
	bpfam_record_encode(&r, buf);
	len = bpfam_record_size(&r);
	assert_int_equal(bpfam_record_decode(buf, len, SEQ, "rec", &r, &err),
			 0);
	bpfam_record_seal(buf);
	assert_int_equal(
		bpfam_record_decode(buf, HDR - 1, SEQ, "rec", &r, &err), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(bpfam_record_decode(buf, len, SEQ, "rec", &r, &err),
			 0);
}

static void names(void **state)
{
	(void)state;
	assert_true(bpfam_name_valid("a", 1));
	assert_true(bpfam_name_valid("...", 3));
	assert_true(bpfam_name_valid("a b\n", 4));
	assert_false(bpfam_name_valid("", 0));
	assert_false(bpfam_name_valid(".", 1));
	assert_false(bpfam_name_valid("..", 2));
	assert_false(bpfam_name_valid("a/b", 3));
	assert_false(bpfam_name_valid("a\0b", 3));
	assert_false(bpfam_name_valid("x", BPFAM_NAME_MAX + 1));
	assert_string_equal(bpfam_record_type_name(BPFAM_REC_FMAP), "fmap");
	assert_string_equal(bpfam_record_type_name(99), "?");
}

/* ---- rejections --------------------------------------------------------- */

struct rec_case {
	const char *name;
	uint16_t type;
	void (*rec)(struct bpfam_record *r);	  /* before encoding */
	void (*raw)(uint8_t *buf, size_t *avail); /* after sealing */
	bool keep_crc; /* the damage is for the CRC to catch */
	const char *text;
};

#define REC(fn, stmt)                                                          \
	static void fn(struct bpfam_record *r)                                 \
	{                                                                      \
		stmt;                                                          \
	}
#define RAW(fn, stmt)                                                          \
	static void fn(uint8_t *buf, size_t *avail)                            \
	{                                                                      \
		(void)buf;                                                     \
		(void)avail;                                                   \
		stmt;                                                          \
	}

static struct bpfam_rec_mknod *mk(uint8_t *buf)
{
	return (struct bpfam_rec_mknod *)(buf + HDR);
}

static struct bpfam_rec_fmap *fm(uint8_t *buf)
{
	return (struct bpfam_rec_fmap *)(buf + HDR);
}

RAW(bad_magic, hdr(buf)->magic = htole32(0x12345678))
RAW(len_unaligned, hdr(buf)->len = htole32(le32toh(hdr(buf)->len) - 4))
RAW(len_short, hdr(buf)->len = htole32(8))
RAW(len_past_avail, *avail -= 8)
RAW(len_huge, hdr(buf)->len = htole32(BPFAM_REC_MAX + 8))
RAW(payload_flip, buf[HDR + 3] ^= 0x40)
RAW(header_flip, buf[8] ^= 0x01)
RAW(wrong_seq, hdr(buf)->seq = htole64(SEQ + 1))
RAW(flags_unknown, hdr(buf)->flags = htole16(2))
RAW(flags_unknown_optional,
    hdr(buf)->flags = htole16(BPFAM_REC_F_OPTIONAL | 4))
RAW(reclaim_rsvd, ((struct bpfam_rec_reclaim *)(buf + HDR))->rsvd = 1)
RAW(delete_short, hdr(buf)->len = htole32(HDR + 8))
RAW(unknown_type, hdr(buf)->type = htole16(99))
RAW(truncated, hdr(buf)->len = htole32(HDR + 8))
RAW(padded, hdr(buf)->len = htole32(le32toh(hdr(buf)->len) + 8); *avail += 8)
RAW(name_overrun, mk(buf)->name_len = htole32(200))
RAW(mknod_rdev, mk(buf)->rdev = htole32(1))
RAW(nr_overrun, fm(buf)->nr = htole32(10))
RAW(nr_huge, fm(buf)->nr = htole32(BPFAM_MAX_EXTENTS + 1))
RAW(ext_rsvd, fm(buf)->ext[1].rsvd = htole32(1))

static void set_name(struct bpfam_record *r, const char *name, uint32_t len)
{
	memcpy(r->mknod.name, name, len);
	r->mknod.name_len = len;
}

REC(name_empty, set_name(r, "", 0))
REC(name_dot, set_name(r, ".", 1))
REC(name_dotdot, set_name(r, "..", 2))
REC(name_slash, set_name(r, "a/b", 3))
REC(name_nul, set_name(r, "a\0b", 3))
REC(mode_symlink, r->mknod.mode = S_IFLNK | 0777)
REC(mode_high_bits, r->mknod.mode = S_IFREG | 0644 | 0200000)
REC(kind_unknown, r->fmap.map.kind = 3)
REC(nr_zero, r->fmap.map.nr = 0)
REC(simple_chunk, r->fmap.map.chunk = 2 * MIB)
REC(dev_too_big, r->fmap.map.ext[1].dev = BPFAM_MAX_DEVS)
REC(ext_empty, r->fmap.map.ext[1].len = 0)
REC(ext_len_unaligned, r->fmap.map.ext[1].len = 2 * MIB + 4096)
REC(ext_off_unaligned, r->fmap.map.ext[1].dev_off = 20 * MIB + 4096)
REC(ext_wraps, r->fmap.map.ext[1].dev_off = 0ULL - 2 * MIB;
    r->fmap.map.ext[1].len = 4 * MIB; r->fmap.map.size = 7 * MIB)
REC(size_past_extents, r->fmap.map.size = 6 * MIB + 1)
REC(strips_too_many, interleaved(r); r->fmap.map.nr = BPFAM_MAX_STRIPS + 1;
    for (uint32_t i = 2; i < r->fmap.map.nr; i++)
	    set_extent(&r->fmap.map, i, (64 + 4 * (uint64_t)i) * MIB, 4 * MIB))
REC(chunk_small, interleaved(r); r->fmap.map.chunk = 1 * MIB)
REC(chunk_unaligned, interleaved(r); r->fmap.map.chunk = 3 * MIB)
REC(chunk_huge, interleaved(r); r->fmap.map.chunk = 2ULL << 30)
REC(strips_unequal, interleaved(r); r->fmap.map.ext[1].len = 6 * MIB)
REC(strip_not_chunks, interleaved(r); r->fmap.map.chunk = 4 * MIB;
    r->fmap.map.ext[0].len = 6 * MIB; r->fmap.map.ext[1].len = 6 * MIB;
    r->fmap.map.size = 12 * MIB)
REC(attr_none, r->setattr.valid = 0)
REC(attr_unknown, r->setattr.valid = BPFAM_ATTR_MODE | 0x80)
REC(attr_mode_type, r->setattr.mode = S_IFREG | 0600)
REC(delete_root, r->del.ino = BPFAM_ROOT_INO)
REC(reclaim_zero, r->reclaim.upto = 0)
REC(reclaim_future, r->reclaim.upto = SEQ + 1)

#define MKNOD	BPFAM_REC_MKNOD
#define FMAP	BPFAM_REC_FMAP
#define SETATTR BPFAM_REC_SETATTR
#define DELETE	BPFAM_REC_DELETE
#define RECLAIM BPFAM_REC_RECLAIM

static const struct rec_case cases[] = {
	{"bad magic", MKNOD, NULL, bad_magic, false,
	 "bad record magic 0x12345678"},
	{"length not a multiple of 8", MKNOD, NULL, len_unaligned, false,
	 "record length"},
	{"length below the header", MKNOD, NULL, len_short, false,
	 "record length 8 is invalid"},
	{"length past the end", MKNOD, NULL, len_past_avail, false,
	 "record length"},
	{"length over the maximum", MKNOD, NULL, len_huge, false,
	 "record length"},
	{"payload byte flipped", MKNOD, NULL, payload_flip, true,
	 "checksum mismatch"},
	{"header byte flipped", MKNOD, NULL, header_flip, true,
	 "checksum mismatch"},
	{"wrong sequence", MKNOD, NULL, wrong_seq, false,
	 "sequence 43, expected 42"},
	{"unknown flag", MKNOD, NULL, flags_unknown, false,
	 "record flags 0x2 unknown"},
	{"unknown flag beside optional", MKNOD, NULL, flags_unknown_optional,
	 false, "record flags 0x5 unknown"},
	{"unknown type", MKNOD, NULL, unknown_type, false,
	 "unknown record type 99"},
	{"truncated payload", MKNOD, NULL, truncated, false, "too short"},
	{"length beyond contents", SETATTR, NULL, padded, false,
	 "its contents need"},
	{"name overruns record", MKNOD, NULL, name_overrun, false,
	 "name (200 bytes) and target (0 bytes) overrun"},
	{"device number of a file", MKNOD, NULL, mknod_rdev, false,
	 "a device number for a mode 0100644"},
	{"empty name", MKNOD, name_empty, NULL, false, "invalid name"},
	{"name '.'", MKNOD, name_dot, NULL, false, "invalid name"},
	{"name '..'", MKNOD, name_dotdot, NULL, false, "invalid name"},
	{"name with '/'", MKNOD, name_slash, NULL, false, "invalid name"},
	{"name with NUL", MKNOD, name_nul, NULL, false, "invalid name"},
	{"symlink without target", MKNOD, mode_symlink, NULL, false,
	 "a target of 0 bytes for a mode 0120777"},
	{"unknown mode bits", MKNOD, mode_high_bits, NULL, false,
	 "not a known file type"},
	{"extents overrun record", FMAP, NULL, nr_overrun, false,
	 "10 extents overrun"},
	{"more than 256 extents", FMAP, NULL, nr_huge, false,
	 "257 extents overrun"},
	{"extent reserved", FMAP, NULL, ext_rsvd, false, "extent 1 reserved"},
	{"unknown fmap kind", FMAP, kind_unknown, NULL, false,
	 "unknown kind 3"},
	{"no extents for a size", FMAP, nr_zero, NULL, false,
	 "0 extents, must be 1..256 (0 for an empty simple file)"},
	{"simple with chunk", FMAP, simple_chunk, NULL, false,
	 "simple file with a chunk size"},
	{"extent device out of range", FMAP, dev_too_big, NULL, false,
	 "names device 8"},
	{"empty extent", FMAP, ext_empty, NULL, false,
	 "not a non-empty 2 MiB-aligned range"},
	{"extent length unaligned", FMAP, ext_len_unaligned, NULL, false,
	 "not a non-empty 2 MiB-aligned range"},
	{"extent offset unaligned", FMAP, ext_off_unaligned, NULL, false,
	 "not a non-empty 2 MiB-aligned range"},
	{"extent wraps around", FMAP, ext_wraps, NULL, false, "wraps around"},
	{"size past extents", FMAP, size_past_extents, NULL, false,
	 "does not fit"},
	{"more than 64 strips", FMAP, strips_too_many, NULL, false,
	 "65 strips, must be 1..64"},
	{"chunk below 2 MiB", FMAP, chunk_small, NULL, false,
	 "chunk size 1048576"},
	{"chunk unaligned", FMAP, chunk_unaligned, NULL, false,
	 "chunk size 3145728"},
	{"chunk over 1 GiB", FMAP, chunk_huge, NULL, false, "chunk size"},
	{"unequal strips", FMAP, strips_unequal, NULL, false,
	 "strips must be equal multiples"},
	{"strip not whole chunks", FMAP, strip_not_chunks, NULL, false,
	 "strips must be equal multiples"},
	{"no attribute", SETATTR, attr_none, NULL, false,
	 "invalid attribute mask 0x0"},
	{"unknown attribute", SETATTR, attr_unknown, NULL, false,
	 "invalid attribute mask 0x81"},
	{"setattr of file type", SETATTR, attr_mode_type, NULL, false,
	 "non-permission bits"},
	{"delete of the root", DELETE, delete_root, NULL, false,
	 "delete of the root directory"},
	{"delete truncated", DELETE, NULL, delete_short, false,
	 "delete payload is 8 bytes, too short"},
	{"reclaim up to 0", RECLAIM, reclaim_zero, NULL, false,
	 "reclaim up to 0: not a record before this one"},
	{"reclaim past itself", RECLAIM, reclaim_future, NULL, false,
	 "reclaim up to 43: not a record before this one"},
	{"reclaim reserved", RECLAIM, NULL, reclaim_rsvd, false,
	 "reclaim: reserved bytes not zero"},
};

static void rejects(void **state)
{
	static uint8_t buf[BUF_SIZE];
	const struct rec_case *c = *state;
	struct bpfam_record r;
	struct bpfam_err err;
	size_t avail;
	long rc;

	base_record(&r, c->type);
	if (c->rec)
		c->rec(&r);
	avail = encode(&r, buf);
	if (c->raw)
		c->raw(buf, &avail);
	if (!c->keep_crc)
		reseal(buf);
	rc = bpfam_record_decode(buf, avail, SEQ, "log record 42", &r, &err);
	assert_err(rc, EBADMSG, &err, c->text);
	assert_non_null(strstr(err.msg, "log record 42: "));
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	struct CMUnitTest tests[NCASES + 6] = {
		cmocka_unit_test(round_trip_all_types),
		cmocka_unit_test(round_trip_limits),
		cmocka_unit_test(delete_reclaim_layout),
		cmocka_unit_test(unknown_optional_type),
		cmocka_unit_test(end_of_log),
		cmocka_unit_test(names),
	};

	testdev_cases(tests + 6, rejects, cases, sizeof(cases[0]), NCASES,
		      "rejects");
	return _cmocka_run_group_tests("record", tests, NCASES + 6, NULL, NULL);
}
