/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bpfam on-media format, version 2.  docs/format.md is the prose and the
 * diagram; this header is the byte layout.  Everything on the media is
 * little-endian; lib/sb.c and lib/record.c are the only places that encode
 * and decode it.
 *
 *   0            superblock (BPFAM_SB_SIZE bytes, CRC32C)
 *   64 KiB       host slots: who is mounted, heartbeats, reclaim horizons
 *   2 MiB        metadata log: checksummed records, append-only
 *   data_off     file data, allocated in 2 MiB units
 */
#ifndef BPFAM_FORMAT_H
#define BPFAM_FORMAT_H

#include <linux/types.h>

#include "bpfam/fmap.h"

#define BPFAM_SB_MAGIC    0x314d414650425342ULL /* "BSBPFAM1" read LE */
/* What mkfs --force leaves in `magic` while it waits for hosts to let go. */
#define BPFAM_SB_FENCE_MAGIC 0x464d414650425342ULL /* "BSBPFAMF" read LE */
#define BPFAM_VERSION     2
#define BPFAM_SB_SIZE     4096
#define BPFAM_SLOTS_OFF   (64ULL << 10)
#define BPFAM_SLOTS_NR    256
#define BPFAM_SLOT_SIZE   512
#define BPFAM_LOG_OFF     BPFAM_ALLOC_UNIT
#define BPFAM_MIN_LOG     BPFAM_ALLOC_UNIT
#define BPFAM_MAX_LOG     (1ULL << 40)
/* A device must hold the superblock, a minimal log and one data unit. */
#define BPFAM_MIN_DEV     (BPFAM_LOG_OFF + BPFAM_MIN_LOG + BPFAM_ALLOC_UNIT)

#define BPFAM_NAME_MAX    255
#define BPFAM_PATH_MAX    4096
#define BPFAM_HOSTNAME_MAX 64
#define BPFAM_ROOT_INO    1

/*
 * Feature bits: a reader refuses any incompat bit it does not know.
 * RECLAIM: files are deleted and their space reused once every host's
 * reclaim horizon has passed the delete; a host that ignored the horizons
 * could touch reused memory, so it must not mount at all.
 */
#define BPFAM_INCOMPAT_RECLAIM (1ULL << 0)
/*
 * POSIX: names move (rename, link, unlink of one of several names), files
 * change size, symlinks, special files and extended attributes exist.  A
 * host that knows only RECLAIM would misread such a log (a second fmap
 * record for a file, a rename), so the primary sets the bit before it
 * logs the first record that needs it; mkfs sets it from the start.
 */
#define BPFAM_INCOMPAT_POSIX (1ULL << 1)
#define BPFAM_INCOMPAT_KNOWN (BPFAM_INCOMPAT_RECLAIM | BPFAM_INCOMPAT_POSIX)
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
	__le64 generation;      /* +1 at every mkfs of this device */
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
	__u8 rsvd1[3636];       /* zero */
	__le32 crc;             /* CRC32C of bytes [0, sb_size - 4) */
};

/*
 * Host slots.  A mounted host owns one slot and rewrites it every heartbeat
 * period; a checker calls it live when `heartbeat` moves between two reads
 * (no host compares clocks with another).  `horizon` is the reclaim gate:
 * the host will never again touch space freed by a delete whose sequence
 * number is below it.  The CRC covers the owner's part; `evicted` is the
 * one word other hosts write (bpfam host evict), one aligned 8-byte store.
 */
#define BPFAM_SLOT_MAGIC 0x544f4c534d414642ULL /* "BFAMSLOT" read LE */
#define BPFAM_MOUNT_MAX  256

enum bpfam_host_role {
	BPFAM_ROLE_PRIMARY = 1, /* the metadata writer */
	BPFAM_ROLE_CLIENT = 2,  /* plays the log, reads and writes data */
	BPFAM_ROLE_RECOVER = 3, /* read-only, stopped before a bad record */
};

enum bpfam_host_state {
	BPFAM_HOST_LIVE = 1,
	BPFAM_HOST_FENCED = 2, /* saw a fence or its eviction; touches nothing */
};

struct bpfam_slot {
	__le64 magic;          /* BPFAM_SLOT_MAGIC in use, 0 free */
	__u8 fs_uuid[16];      /* the filesystem it joined ... */
	__le64 generation;     /* ... and that filesystem's generation */
	__u8 host_id[16];
	__le64 incarnation;    /* random per mount: tells a slot reused */
	__le32 role;           /* enum bpfam_host_role */
	__le32 state;          /* enum bpfam_host_state */
	__le64 heartbeat;      /* counter, +1 per period */
	__le32 period_ms;      /* heartbeat period */
	__le32 pid;            /* of the daemon, on its own machine */
	__le64 played_seq;     /* last record played */
	__le64 horizon;        /* see above */
	__le64 stuck_seq;      /* record it cannot play; 0 while following */
	__le64 joined;         /* mount time, seconds since the epoch */
	char name[BPFAM_HOSTNAME_MAX];   /* hostname, NUL padded */
	char mountpoint[BPFAM_MOUNT_MAX]; /* NUL padded, may be cut */
	__u8 rsvd[12];         /* zero */
	__le32 crc;            /* CRC32C of bytes [0, offsetof(crc)) */
	/* Its own cache line: on memory that is not coherent between hosts
	 * a line is written back whole, so the owner's and the evictor's
	 * flushes must never carry each other's stale bytes. */
	__le64 evicted;        /* written by others: the incarnation evicted */
	__u8 rsvd2[56];        /* zero */
};

/*
 * Log records.  Each starts on an 8-byte boundary with this header; `len`
 * covers header and payload, padded to 8.  `seq` is 1 for the first record
 * and increases by one each record, so a reader that stops at a record whose
 * magic, length, sequence or CRC is wrong has found the end of the log (or a
 * torn tail, when bytes follow that are not zero).
 *
 * Adding a record type (the rule every later format change follows): a
 * type that a host which does not know it can skip without risk (it only
 * adds information) sets BPFAM_REC_F_OPTIONAL and needs nothing else; any
 * other type comes with a new incompat bit in the superblock, set when the
 * filesystem first uses it, so that older hosts refuse to mount instead of
 * misreading it.  Type numbers are never reused.
 */
#define BPFAM_REC_MAGIC 0x52504642U /* "BFPR" read LE */
#define BPFAM_REC_ALIGN 8
#define BPFAM_REC_MAX   (64U << 10)

enum bpfam_rec_type {
	BPFAM_REC_MKNOD = 1,   /* a new file or directory, empty */
	BPFAM_REC_FMAP = 2,    /* a file's size and extents (again: a resize) */
	BPFAM_REC_SETATTR = 3, /* mode, owner, times */
	BPFAM_REC_DELETE = 4,  /* unlink/rmdir: the name goes, space waits */
	BPFAM_REC_RECLAIM = 5, /* space of deletes below `upto` is free again */
	/* Since BPFAM_INCOMPAT_POSIX: */
	BPFAM_REC_RENAME = 6,  /* a name moves, maybe over another */
	BPFAM_REC_LINK = 7,    /* one more name for a file */
	BPFAM_REC_UNLINK = 8,  /* one name goes: DELETE with the name */
	BPFAM_REC_XATTR = 9,   /* set or remove one extended attribute */
};

/* Record header flags. */
#define BPFAM_REC_F_OPTIONAL (1U << 0) /* a reader may skip an unknown type */

struct bpfam_rec_hdr {
	__le32 magic;  /* BPFAM_REC_MAGIC */
	__le32 crc;    /* CRC32C of header (crc = 0) and payload */
	__le64 seq;
	__le16 type;   /* enum bpfam_rec_type */
	__le16 flags;  /* BPFAM_REC_F_* */
	__le32 len;    /* bytes including this header, multiple of 8 */
};

struct bpfam_rec_mknod {
	__le64 ino;    /* new inode number, > every earlier one */
	__le64 parent; /* directory inode */
	__le32 mode;   /* S_IFREG or S_IFDIR | permission bits; with POSIX
			* also S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK */
	__le32 uid;
	__le32 gid;
	__le32 name_len; /* 1..BPFAM_NAME_MAX */
	__le64 mtime_ns; /* also its atime and ctime, and the parent's
			  * new mtime and ctime */
	__le32 rdev;   /* S_IFCHR/S_IFBLK: the Linux dev_t; else 0 */
	__le32 target_len; /* S_IFLNK: 1..BPFAM_PATH_MAX - 1; else 0 */
	/* followed by name_len bytes of name, then target_len bytes of the
	 * symlink's target, no NULs */
};

struct bpfam_rec_extent {
	__le64 dev_off;
	__le64 len;
	__le32 dev;
	__le32 rsvd;
};

/*
 * Version 2 without POSIX: logged once per file, and the extents hold the
 * size and less than one allocation unit (simple) or one stripe
 * (interleaved) more.  With POSIX it may be logged again: the new record
 * replaces size and extents.  Extents it drops go to the reclaim gate as
 * a delete's do (the record's sequence number is their delete); it may
 * hold more than the size needs (reserved for growth); nr 0 with size 0
 * is a file that holds no space.
 */
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
/* Since POSIX; a record with any of these carries struct
 * bpfam_rec_setattr_ext right after struct bpfam_rec_setattr. */
#define BPFAM_ATTR_ATIME (1U << 4)
#define BPFAM_ATTR_CTIME (1U << 5)
#define BPFAM_ATTR_SIZE  (1U << 6) /* within the extents the file has */
#define BPFAM_ATTR_EXT   (BPFAM_ATTR_ATIME | BPFAM_ATTR_CTIME | BPFAM_ATTR_SIZE)
#define BPFAM_ATTR_KNOWN 0x7fU

struct bpfam_rec_setattr {
	__le64 ino;
	__le32 valid;  /* BPFAM_ATTR_* */
	__le32 mode;   /* permission bits only */
	__le32 uid;
	__le32 gid;
	__le64 mtime_ns;
};

struct bpfam_rec_setattr_ext {
	__le64 atime_ns;
	__le64 ctime_ns;
	__le64 size;
};

struct bpfam_rec_delete {
	__le64 ino;
	__le64 parent; /* the directory it is removed from */
};

/*
 * RENAME: `ino`, named src_name in src_parent, takes the name dst_name in
 * dst_parent.  `victim` is the inode that had that name (0 if none): it
 * loses the name (and is deleted when it was its last, its space waiting
 * for the gate like a DELETE's); with BPFAM_RENAME_EXCHANGE it takes
 * src_name in src_parent instead.
 */
#define BPFAM_RENAME_EXCHANGE (1U << 0)

struct bpfam_rec_rename {
	__le64 src_parent;
	__le64 dst_parent;
	__le64 ino;
	__le64 victim;
	__le64 time_ns;  /* ctime of the inodes, mtime and ctime of the dirs */
	__le32 flags;    /* BPFAM_RENAME_* */
	__le16 src_len;  /* 1..BPFAM_NAME_MAX */
	__le16 dst_len;  /* 1..BPFAM_NAME_MAX */
	/* followed by src_len bytes of src_name, then dst_len of dst_name */
};

/*
 * LINK: `ino` (not a directory) gets the name in `parent`.  UNLINK: it
 * loses it; a file that loses its last name, or a directory, is deleted
 * as by DELETE.
 */
struct bpfam_rec_link {
	__le64 ino;
	__le64 parent;
	__le64 time_ns;  /* ctime of the inode, mtime and ctime of parent */
	__le32 name_len; /* 1..BPFAM_NAME_MAX */
	__le32 rsvd;     /* zero */
	/* followed by name_len bytes of name */
};

/* XATTR: sets name to value, or removes it (BPFAM_XATTR_REMOVE). */
#define BPFAM_XATTR_REMOVE    (1U << 0)
#define BPFAM_XATTR_VALUE_MAX (60U << 10)

struct bpfam_rec_xattr {
	__le64 ino;
	__le64 time_ns;   /* the inode's ctime */
	__le32 flags;     /* BPFAM_XATTR_* */
	__le16 name_len;  /* 1..BPFAM_NAME_MAX, the full name ("user.x") */
	__le16 rsvd;      /* zero */
	__le32 value_len; /* 0..BPFAM_XATTR_VALUE_MAX; 0 when removing */
	__le32 rsvd2;     /* zero */
	/* followed by name_len bytes of name, then value_len of value */
};

struct bpfam_rec_reclaim {
	__le64 upto;   /* deletes with seq < upto: their space is free */
	__le64 rsvd;   /* zero */
};

#endif /* BPFAM_FORMAT_H */
