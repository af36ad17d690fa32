// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for everything that reads untrusted media: the input is
 * taken as a superblock, as a run of log records decoded as a reader would,
 * and as the log of a filesystem that is mounted and played.  Decoders and
 * the player must reject garbage with an error, never crash, overrun or
 * loop; ASan and UBSan watch.
 *
 * The first byte of the input chooses which checksums, magics and
 * sequence numbers the harness makes right before decoding.  Without that
 * almost every mutation fails the CRC, and the field checks behind it are
 * never reached; with it the fuzzer still tries wrong ones too.
 */
#include <endian.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crc.h"
#include "fs.h"
#include "mkfs.h"
#include "record.h"
#include "sb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	FIX_SB_CRC = 1 << 0,  /* the superblock's checksum */
	FIX_REC_CRC = 1 << 1, /* every record's checksum */
	FIX_REC_SEQ = 1 << 2, /* every record's sequence number */
	FIX_MAGIC = 1 << 3,   /* the superblock's and records' magic */
	PLAY = 1 << 4,	      /* also mount a device with this log and play */
	HOLD = 1 << 5,	      /* hold what is deleted, as an open file would */
	FAIL = 1 << 6,	      /* next byte: which allocation of a play fails */
};

/*
 * Allocation failure, so that the player's out-of-memory paths run too
 * (fuzz.mk links with --wrap for these): while fail_in is positive, the
 * allocation that brings it to zero returns NULL.
 */
static long fail_in;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static bool fail_now(void)
{
	return fail_in > 0 && --fail_in == 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return fail_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

/* A 1 GiB emulated device (sparse), formatted once: the log is replaced. */
#define DEV_SIZE (1ULL << 30)
static char dev_path[64];
static uint64_t log_off, log_size;
static int dev_fd = -1;

static void fix_sb(struct bpfam_sb *sb, unsigned int fix)
{
	if (fix & FIX_MAGIC)
		sb->magic = htole64(BPFAM_SB_MAGIC);
	if (fix & FIX_SB_CRC)
		sb->crc = htole32(
			bpfam_crc32c(sb, offsetof(struct bpfam_sb, crc)));
}

static void fuzz_sb(const uint8_t *data, size_t size, unsigned int fix)
{
	struct bpfam_sb_info info;
	struct bpfam_sb sb;

	memset(&sb, 0, sizeof(sb));
	memcpy(&sb, data, size < sizeof(sb) ? size : sizeof(sb));
	fix_sb(&sb, fix);
	bpfam_sb_decode(&sb, DEV_SIZE, "fuzz", &info, NULL);
}

/* The CRC covers the header as sealed (magic set) with the crc zero. */
static void fix_crc(struct bpfam_rec_hdr *h, uint32_t len)
{
	uint32_t magic = h->magic;

	h->magic = htole32(BPFAM_REC_MAGIC);
	h->crc = 0;
	h->crc = htole32(bpfam_crc32c(h, len));
	h->magic = magic;
}

/*
 * Make the records in @buf right as @fix asks, as far as their lengths
 * allow; stop at the first length that cannot be walked over.
 */
static void fix_records(uint8_t *buf, size_t size, unsigned int fix)
{
	struct bpfam_rec_hdr *h;
	uint64_t off = 0, seq = 1;
	uint32_t len;

	while (size - off >= sizeof(*h)) {
		h = (struct bpfam_rec_hdr *)(buf + off);
		len = le32toh(h->len);
		if (len < sizeof(*h) || len % BPFAM_REC_ALIGN ||
		    len > size - off)
			return;
		if (fix & FIX_MAGIC)
			h->magic = htole32(BPFAM_REC_MAGIC);
		if (fix & FIX_REC_SEQ)
			h->seq = htole64(seq);
		if (fix & FIX_REC_CRC && h->magic)
			fix_crc(h, len);
		off += len;
		seq++;
	}
}

static void fuzz_log(const uint8_t *buf, size_t size)
{
	static struct bpfam_record r;
	uint64_t off = 0, seq = 1;
	long len;

	while (off < size) {
		len = bpfam_record_decode(buf + off, size - off, seq, "fuzz",
					  &r, NULL);
		if (len <= 0)
			break;
		off += (uint64_t)len;
		seq++;
	}
}

/*
 * Play the log record by record, this host holding every inode a delete
 * unlinks (an open file): a reclaim of its space is then refused, as it
 * is on a host that was evicted while alive.
 */
static void play_holding(struct bpfam_fs *fs)
{
	static struct bpfam_record r;
	struct bpfam_inode *in;

	while (bpfam_fs_play_next(fs, &r, NULL) == 1) {
		if (r.type != BPFAM_REC_DELETE)
			continue;
		in = bpfam_fs_inode(fs, r.del.ino);
		if (in)
			bpfam_fs_hold(in);
	}
}

/* Mount the device with @buf as its log, so that every record is played. */
static void fuzz_play(const uint8_t *buf, size_t size, unsigned int fix)
{
	static struct bpfam_fs fs;

	if (dev_fd < 0 || !size || size > log_size)
		return;
	if (pwrite(dev_fd, buf, size, (off_t)log_off) != (ssize_t)size)
		abort();
	if (!(fix & HOLD)) {
		if (!bpfam_fs_mount(&fs, dev_path, BPFAM_OPEN_RDONLY, NULL))
			bpfam_fs_close(&fs);
	} else if (!bpfam_fs_init(&fs, dev_path, BPFAM_OPEN_RDONLY, NULL)) {
		play_holding(&fs);
		bpfam_fs_close(&fs);
	}
	/* The next input starts from an empty log. */
	if (fallocate(dev_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)log_off, (off_t)size))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;

	(void)argc;
	(void)argv;
	dev_fd = memfd_create("bpfam-fuzz", 0);
	if (dev_fd < 0 || ftruncate(dev_fd, DEV_SIZE))
		abort();
	snprintf(dev_path, sizeof(dev_path), "/proc/self/fd/%d", dev_fd);
	if (bpfam_mkfs_open(&dev, dev_path, 0, &err) ||
	    bpfam_mkfs(&dev, 0, NULL, &sb, &err)) {
		fprintf(stderr, "fuzz: cannot format %s: %s\n", dev_path,
			err.msg);
		abort();
	}
	log_off = sb.log_off;
	log_size = sb.log_size;
	bpfam_device_close(&dev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int fix;
	long fail_at = 0;
	uint8_t *copy;

	if (!size)
		return 0;
	fix = data[0];
	data++;
	size--;
	if (fix & FAIL && size) {
		fail_at = data[0];
		data++;
		size--;
	}
	fuzz_sb(data, size, fix);
	/* A private, exactly sized copy so ASan sees any overrun. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_records(copy, size, fix);
	fuzz_log(copy, size);
	if (fix & PLAY) {
		fail_in = fail_at;
		fuzz_play(copy, size, fix);
		fail_in = 0;
	}
	free(copy);
	return 0;
}
