#!/usr/bin/python3
"""Writes the hand-made seeds of tests/fuzz/seeds/: logs that reach each
check of the log player (a mknod in a deleted directory, an fmap after an
unlink, every setattr bit, each refused delete and reclaim...).  Checksums
and sequence numbers are left zero: the first byte of each seed asks the
harness (fuzz_decode.c) to make them right.  The seeds "superblock" and
"log" are not made here: they are the first byte 0x0f or 0x1f followed by
the first 4 KiB of a 1 GiB device after `bpfam mkfs`, and by the log of
one after `populate DEV 3 --delete` (log_offset and log_used from
`bpfam fsck --json`).

usage: tests/fuzz/mkseeds.py DIR
"""
import struct
import sys

FIX = 0x1F   # superblock and record CRCs, sequence, magic; play
HOLD = 0x20  # hold what is deleted
FAIL = 0x40  # the next byte: which allocation of the play fails
DATA = 10 << 20  # data offset of a 1 GiB device with the default log
MB2 = 2 << 20
S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000


def rec(rtype, payload, flags=0):
    payload += b"\0" * (-len(payload) % 8)
    return struct.pack("<IIQHHI", 0x52504642, 0, 0, rtype, flags,
                       24 + len(payload)) + payload


def mknod(ino, parent, name, mode=S_IFREG | 0o644, rdev=0, target=b""):
    n = name.encode()
    return rec(1, struct.pack("<QQIIIIQII", ino, parent, mode, 0, 0, len(n),
                              0, rdev, len(target)) + n + target)


def mkdir(ino, parent, name):
    return mknod(ino, parent, name, S_IFDIR | 0o755)


def fmap(ino, off, length=MB2, nr=1):
    ext = b"".join(struct.pack("<QQII", off + i * length, length, 0, 0)
                   for i in range(nr))
    return rec(2, struct.pack("<QQQII", ino, length * nr, 0, 1, nr) + ext)


def setattr(ino, valid):
    return rec(3, struct.pack("<QIIIIQ", ino, valid, 0o600, 7, 8, 99))


def setattr_ext(ino, valid, size):
    return rec(3, struct.pack("<QIIIIQQQQ", ino, valid, 0o600, 7, 8, 99, 1, 2,
                              size))


def rename(src_parent, dst_parent, ino, victim, src, dst, flags=0):
    s, d = src.encode(), dst.encode()
    return rec(6, struct.pack("<QQQQQIHH", src_parent, dst_parent, ino,
                              victim, 5, flags, len(s), len(d)) + s + d)


def link(ino, parent, name, rtype=7):
    n = name.encode()
    return rec(rtype, struct.pack("<QQQII", ino, parent, 5, len(n), 0) + n)


def delete(ino, parent):
    return rec(4, struct.pack("<QQ", ino, parent))


def reclaim(upto):
    return rec(5, struct.pack("<QQ", upto, 0))


def xattr(ino, name, value=b"", remove=False):
    n = name.encode()
    return rec(9, struct.pack("<QQIHHII", ino, 5, 1 if remove else 0, len(n),
                              0, len(value), 0) + n + value)


XATTRS = [mknod(2, 1, "f"), xattr(2, "user.b", b"1"), xattr(2, "user.a"),
          xattr(2, "user.b", b"22"), xattr(1, "user.r", b"x" * 100),
          xattr(2, "user.a", remove=True)]

SEEDS = {
    "play-deleted-dir": [mkdir(2, 1, "d"), mknod(3, 2, "f"), delete(3, 2),
                         delete(2, 1), mknod(4, 2, "x")],
    "play-fmap-after-unlink": [mknod(2, 1, "f"), delete(2, 1),
                               fmap(2, DATA), reclaim(3), reclaim(3)],
    "play-setattr": [mknod(2, 1, "f")] +
                    [setattr(2, v) for v in (15, 1, 2, 4, 8)] +
                    [setattr(9, 1)],
    "play-delete-root": [delete(1, 1)],
    "play-delete-parent": [mkdir(2, 1, "d"), mknod(3, 2, "f"),
                           delete(3, 1)],
    "play-delete-nonempty": [mkdir(2, 1, "d"), mknod(3, 2, "f"),
                             delete(2, 1)],
    "play-delete-twice": [mknod(2, 1, "f"), delete(2, 1), delete(2, 1)],
    "play-many-orphans": [mknod(i, 1, "f%d" % i) for i in range(2, 72)] +
                         [delete(i, 1) for i in range(2, 72)] +
                         [reclaim(140)],
    "play-fmap-dir": [mkdir(2, 1, "d"), fmap(2, DATA)],
    "play-fmap-twice": [mknod(2, 1, "f"), fmap(2, DATA), fmap(2, DATA + MB2)],
    "play-fmap-overlap": [mknod(2, 1, "a"), mknod(3, 1, "b"),
                          fmap(2, DATA, nr=2), fmap(3, DATA + MB2)],
    "play-fmap-outside": [mknod(2, 1, "f"), fmap(2, 0)],
    "play-mknod-exists": [mknod(2, 1, "f"), mknod(3, 1, "f")],
    "play-mknod-gap": [mknod(3, 1, "f")],
    "play-optional": [rec(200, b"12345678", flags=1),
                      rec(200, b"12345678")],
    "play-names": [mkdir(2, 1, "d"), mknod(3, 1, "f"), link(3, 2, "g"),
                   rename(1, 2, 3, 0, "f", "h"), link(3, 2, "g", 8),
                   mknod(4, 1, "x"), rename(1, 2, 4, 3, "x", "h", 1),
                   rename(2, 1, 2, 0, "d", "e"), rename(1, 2, 2, 0, "e", "z"),
                   link(2, 1, "dl"), link(3, 2, "h", 8), link(4, 2, "h", 8),
                   mknod(5, 1, "s", S_IFLNK | 0o777, 0, b"/some/where"),
                   mknod(6, 1, "c", 0o020644, 0x0501)],
    "play-resize": [mknod(2, 1, "f"), fmap(2, DATA, nr=3), fmap(2, DATA),
                    setattr_ext(2, 0x70, 100), setattr_ext(2, 0x40, MB2 + 1),
                    fmap(2, DATA + 8 * MB2, nr=2), reclaim(5), reclaim(7),
                    fmap(2, DATA, nr=0)],
    "play-reclaim-order": [mknod(2, 1, "f"), delete(2, 1), reclaim(9)],
    "play-mknod-no-parent": [mknod(2, 7, "f")],
    "play-mknod-in-file": [mknod(2, 1, "f"), mknod(3, 2, "g")],
    "play-fmap-no-inode": [fmap(5, DATA)],
    "play-delete-no-inode": [delete(5, 1)],
    "play-fmap-past-end": [mknod(2, 1, "f"), fmap(2, (1 << 30) - MB2, nr=2)],
    "play-xattr": XATTRS + [xattr(1, "user.r", b"x" * 61440),
                            xattr(2, "user.a", remove=True)],
    "play-xattr-refused": [mknod(2, 1, "f"), xattr(7, "user.a", b"1"),
                           xattr(2, "trusted.a"), xattr(2, "user.bpfam.x"),
                           xattr(1, "user.r", b"x" * 61440),
                           xattr(1, "user.s", b"x" * 4096)],
    "play-fmap-device-1": [mknod(2, 1, "f"),
                           fmap(2, DATA)[:72] + b"\1" + fmap(2, DATA)[73:]],
}
HELD = {
    "play-reclaim-held": [mknod(2, 1, "f"), fmap(2, DATA), delete(2, 1),
                          reclaim(4)],
}

for name, recs in list(SEEDS.items()) + list(HELD.items()):
    flags = FIX | (HOLD if name in HELD else 0)
    with open("%s/%s" % (sys.argv[1], name), "wb") as f:
        f.write(bytes([flags]) + b"".join(recs))

# Every allocation of a mount that plays a file made, sized and deleted,
# failed one at a time; and of one that plays attributes.
recs = b"".join([mknod(2, 1, "f"), fmap(2, DATA), delete(2, 1)])
for n in range(1, 21):
    with open("%s/play-fail-%d" % (sys.argv[1], n), "wb") as f:
        f.write(bytes([FIX | FAIL, n]) + recs)
recs = b"".join(XATTRS)
for n in range(1, 16):
    with open("%s/play-xattr-fail-%d" % (sys.argv[1], n), "wb") as f:
        f.write(bytes([FIX | FAIL, n]) + recs)
