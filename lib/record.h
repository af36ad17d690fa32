/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log records in host form, and their encoding on the media
 * (struct bpfam_rec_* in bpfam/format.h).
 */
#ifndef BPFAM_RECORD_H
#define BPFAM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfam/format.h"
#include "err.h"

struct bpfam_record {
	uint64_t seq;
	uint16_t type;  /* enum bpfam_rec_type */
	uint16_t flags; /* BPFAM_REC_F_* */
	uint32_t len;   /* encoded length: what decode read */
	union {
		struct {
			uint64_t ino;
			uint64_t parent;
			uint32_t mode;
			uint32_t uid;
			uint32_t gid;
			uint64_t mtime_ns;
			uint32_t rdev;
			uint32_t name_len;
			uint32_t target_len;
			char name[BPFAM_NAME_MAX + 1]; /* NUL-terminated */
			char target[BPFAM_PATH_MAX];   /* symlinks, ditto */
		} mknod;
		struct {
			uint64_t ino;
			/* version/gen/flags are not stored: they are runtime */
			struct bpfam_fmap map;
		} fmap;
		struct {
			uint64_t ino;
			uint32_t valid; /* BPFAM_ATTR_* */
			uint32_t mode;
			uint32_t uid;
			uint32_t gid;
			uint64_t mtime_ns;
			uint64_t atime_ns; /* BPFAM_ATTR_EXT ones */
			uint64_t ctime_ns;
			uint64_t size;
		} setattr;
		struct {
			uint64_t ino;
			uint64_t parent;
		} del;
		struct {
			uint64_t upto;
		} reclaim;
		struct {
			uint64_t src_parent;
			uint64_t dst_parent;
			uint64_t ino;
			uint64_t victim;
			uint64_t time_ns;
			uint32_t flags; /* BPFAM_RENAME_* */
			uint32_t src_len;
			uint32_t dst_len;
			char src_name[BPFAM_NAME_MAX + 1];
			char dst_name[BPFAM_NAME_MAX + 1];
		} rename;
		struct { /* BPFAM_REC_LINK and BPFAM_REC_UNLINK */
			uint64_t ino;
			uint64_t parent;
			uint64_t time_ns;
			uint32_t name_len;
			char name[BPFAM_NAME_MAX + 1];
		} link;
		struct {
			uint64_t ino;
			uint64_t time_ns;
			uint32_t flags; /* BPFAM_XATTR_* */
			uint32_t name_len;
			uint32_t value_len;
			char name[BPFAM_NAME_MAX + 1];
			/* Not copied: the encoder's caller owns it, and a
			 * decoded record points into the bytes decoded. */
			const void *value;
		} xattr;
	};
};

/* Largest encoding of any record: an fmap with every extent in use. */
#define BPFAM_REC_ENC_MAX                                             \
	(sizeof(struct bpfam_rec_hdr) + sizeof(struct bpfam_rec_fmap) + \
	 BPFAM_MAX_EXTENTS * sizeof(struct bpfam_rec_extent))

/* Encoded length of @r, header and padding included. */
size_t bpfam_record_size(const struct bpfam_record *r);

/*
 * Encode @r (seq included) into @buf, which holds bpfam_record_size(r)
 * bytes.  The magic is left zero: bpfam_record_seal() writes it last, so a
 * reader never takes a half-written record for a whole one.
 */
void bpfam_record_encode(const struct bpfam_record *r, void *buf);
void bpfam_record_seal(void *buf);

/* A valid file name: 1..255 bytes, no '/', no NUL, not "." or "..". */
bool bpfam_name_valid(const char *name, size_t len);

/*
 * Decode the record at @buf, at most @avail bytes, expected to carry
 * sequence number @seq; @where names it in errors.  A type this version
 * does not know decodes only when flagged BPFAM_REC_F_OPTIONAL (its
 * payload is left out; players skip it).  Returns its length,
 * 0 at the end of the log (a zero magic), or -EBADMSG with @err set when
 * the bytes are not a valid record.  Checks everything a record can check
 * alone (lengths, CRC, sequence, type, name, fmap shape and alignment);
 * what needs the rest of the filesystem is checked when it is played.
 */
long bpfam_record_decode(const void *buf, size_t avail, uint64_t seq,
			 const char *where, struct bpfam_record *r,
			 struct bpfam_err *err);

/*
 * Whether @r needs BPFAM_INCOMPAT_POSIX: a host without it would misread
 * it (bpfam/format.h).  @resize: it is an fmap record for a file that has
 * one already, which only the namespace knows.
 */
bool bpfam_record_needs_posix(const struct bpfam_record *r, bool resize);

/* The record type's name ("mknod", ...), or "?". */
const char *bpfam_record_type_name(unsigned int type);

#endif /* BPFAM_RECORD_H */
