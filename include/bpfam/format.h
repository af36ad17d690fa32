/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bpfam on-media format, version 1.  docs/format.md is the prose and the
 * diagram; this header is the byte layout.  Everything on the media is
 * little-endian; lib/sb.c and lib/record.c are the only places that encode
 * and decode it.
 *
 *   0            superblock (BPFAM_SB_SIZE bytes, CRC32C)
 *   64 KiB       host slots: per-host "played up to" sequence numbers
 *   2 MiB        metadata log: checksummed records, append-only
 *   data_off     file data, allocated in 2 MiB units
 */
#ifndef BPFAM_FORMAT_H
#define BPFAM_FORMAT_H

#include <linux/types.h>

#include "bpfam/fmap.h"

#define BPFAM_SB_MAGIC    0x314d414650425342ULL /* "BSBPFAM1" read LE */
#define BPFAM_VERSION     1
#define BPFAM_SB_SIZE     4096
#define BPFAM_SLOTS_OFF   (64ULL << 10)
#define BPFAM_SLOTS_NR    1024
#define BPFAM_SLOT_SIZE   64
#define BPFAM_LOG_OFF     BPFAM_ALLOC_UNIT
#define BPFAM_MIN_LOG     BPFAM_ALLOC_UNIT
#define BPFAM_MAX_LOG     (1ULL << 40)
/* A device must hold the superblock, a minimal log and one data unit. */
#define BPFAM_MIN_DEV     (BPFAM_LOG_OFF + BPFAM_MIN_LOG + BPFAM_ALLOC_UNIT)

#define BPFAM_NAME_MAX    255
#define BPFAM_PATH_MAX    4096
#define BPFAM_HOSTNAME_MAX 64
#define BPFAM_ROOT_INO    1

/* Feature bits: a reader refuses any incompat bit it does not know. */
#define BPFAM_INCOMPAT_KNOWN 0ULL
#define BPFAM_COMPAT_KNOWN   0ULL

struct bpfam_sb_dev {
	__u8 uuid[16];  /* device (dax region) UUID, zero if unknown */
	__le64 size;    /* usable bytes on this device */
	__le64 rsvd;
};

struct bpfam_sb {
	__le64 magic;           /* BPFAM_SB_MAGIC */
	__le32 version;         /* BPFAM_VERSION */
	__le32 sb_size;         /* BPFAM_SB_SIZE */
	__le64 incompat;        /* BPFAM_INCOMPAT_* */
	__le64 compat;          /* BPFAM_COMPAT_* */
	__u8 uuid[16];          /* filesystem UUID */
	__le64 alloc_unit;      /* BPFAM_ALLOC_UNIT */
	__le64 log_off;         /* byte offset of the log on device 0 */
	__le64 log_size;        /* bytes, multiple of alloc_unit */
	__le64 slots_off;       /* BPFAM_SLOTS_OFF */
	__le32 slots_nr;        /* BPFAM_SLOTS_NR */
	__le32 slot_size;       /* BPFAM_SLOT_SIZE */
	__le64 data_off;        /* first allocatable byte on device 0 */
	__le64 ctime;           /* mkfs time, seconds since the epoch */
	__u8 primary_id[16];    /* machine-id of the host that may write */
	char primary_name[BPFAM_HOSTNAME_MAX]; /* its hostname, NUL padded */
	__le32 ndevs;           /* devices in devs[], 1 in version 1 */
	__le32 rsvd0;
	struct bpfam_sb_dev devs[BPFAM_MAX_DEVS];
	__u8 rsvd1[3644];       /* zero */
	__le32 crc;             /* CRC32C of bytes [0, sb_size - 4) */
};

/* Per-host log progress (reserved in v1: mkfs zeroes it, readers ignore). */
struct bpfam_slot {
	__u8 host_id[16];
	__le64 played_seq;
	__le64 time;
	__u8 rsvd[28];
	__le32 crc;
};

/*
 * Log records.  Each starts on an 8-byte boundary with this header; `len`
 * covers header and payload, padded to 8.  `seq` is 1 for the first record
 * and increases by one each record, so a reader that stops at a record whose
 * magic, length, sequence or CRC is wrong has found the end of the log (or a
 * torn tail, when bytes follow that are not zero).
 */
#define BPFAM_REC_MAGIC 0x52504642U /* "BFPR" read LE */
#define BPFAM_REC_ALIGN 8
#define BPFAM_REC_MAX   (64U << 10)

enum bpfam_rec_type {
	BPFAM_REC_MKNOD = 1,   /* a new file or directory, empty */
	BPFAM_REC_FMAP = 2,    /* a file's size and extents, set once */
	BPFAM_REC_SETATTR = 3, /* mode, owner, times */
	BPFAM_REC_DELETE = 4,  /* reserved: unlink/rmdir (later format use) */
};

struct bpfam_rec_hdr {
	__le32 magic;  /* BPFAM_REC_MAGIC */
	__le32 crc;    /* CRC32C of header (crc = 0) and payload */
	__le64 seq;
	__le16 type;   /* enum bpfam_rec_type */
	__le16 flags;  /* zero */
	__le32 len;    /* bytes including this header, multiple of 8 */
};

struct bpfam_rec_mknod {
	__le64 ino;    /* new inode number, > every earlier one */
	__le64 parent; /* directory inode */
	__le32 mode;   /* S_IFREG or S_IFDIR | permission bits */
	__le32 uid;
	__le32 gid;
	__le32 name_len; /* 1..BPFAM_NAME_MAX */
	__le64 mtime_ns;
	__le64 rsvd;
	/* followed by name_len bytes of name, no NUL */
};

struct bpfam_rec_extent {
	__le64 dev_off;
	__le64 len;
	__le32 dev;
	__le32 rsvd;
};

struct bpfam_rec_fmap {
	__le64 ino;
	__le64 size;   /* file size in bytes */
	__le64 chunk;  /* interleave chunk, 0 for simple */
	__le32 kind;   /* enum bpfam_fmap_kind */
	__le32 nr;     /* entries in ext[] */
	struct bpfam_rec_extent ext[];
};

#define BPFAM_ATTR_MODE  (1U << 0)
#define BPFAM_ATTR_UID   (1U << 1)
#define BPFAM_ATTR_GID   (1U << 2)
#define BPFAM_ATTR_MTIME (1U << 3)
#define BPFAM_ATTR_KNOWN 0xfU

struct bpfam_rec_setattr {
	__le64 ino;
	__le32 valid;  /* BPFAM_ATTR_* */
	__le32 mode;   /* permission bits only */
	__le32 uid;
	__le32 gid;
	__le64 mtime_ns;
};

struct bpfam_rec_delete {
	__le64 ino;
	__le64 parent;
};

#endif /* BPFAM_FORMAT_H */
