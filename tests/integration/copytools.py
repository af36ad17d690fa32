#!/usr/bin/python3
"""A tree's manifest, to compare a copy with its source.

usage: copytools.py manifest DIR FIELDS
           one line per entry under DIR (DIR itself is "."), sorted by path:
           "PATH KIND key=value...", the keys FIELDS names (comma-separated):
             mode     permission bits, set-ID and sticky bits included
             owner    uid:gid
             content  size and SHA-1 of a regular file's bytes
             target   a symlink's target
             links    link count, and for a file with more than one link the
                      first path (in sort order) of its inode in the tree
             xattrs   every name listxattr gives, with the SHA-1 of its value
             mtime    mtime in nanoseconds; mtime_s: in whole seconds
           KIND is reg, dir, lnk, fifo, sock, chr or blk.
"""
import hashlib
import os
import stat
import sys

KINDS = ((stat.S_ISREG, "reg"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "lnk"),
         (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "sock"),
         (stat.S_ISCHR, "chr"), (stat.S_ISBLK, "blk"))


def kind(mode):
    return next(name for test, name in KINDS if test(mode))


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()[:16]


def walk(top):
    """Every path under top, relative, top itself as "."."""
    yield "."
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top)
        for name in dirs + files:
            yield os.path.normpath(os.path.join(rel, name))


def manifest(top, fields):
    fields = fields.split(",")
    paths = sorted(walk(top))
    st = {p: os.lstat(os.path.join(top, p)) for p in paths}
    # Hard links: the first path of each inode with more than one link.
    first = {}
    for p in paths:
        if not stat.S_ISDIR(st[p].st_mode) and st[p].st_nlink > 1:
            first.setdefault(st[p].st_ino, p)
    for p in paths:
        s, full = st[p], os.path.join(top, p)
        k = kind(s.st_mode)
        out = [p.replace(" ", "\\s").replace("\n", "\\n"), k]
        if "mode" in fields:
            out.append(f"mode={stat.S_IMODE(s.st_mode):04o}")
        if "owner" in fields:
            out.append(f"owner={s.st_uid}:{s.st_gid}")
        if "content" in fields and k == "reg":
            out.append(f"size={s.st_size} sha1={sha1_file(full)}")
        if "target" in fields and k == "lnk":
            out.append(f"target={os.readlink(full)}")
        if "links" in fields:
            out.append(f"nlink={s.st_nlink}")
            if s.st_ino in first:
                out.append(f"inode_of={first[s.st_ino]}")
        if "xattrs" in fields and k in ("reg", "dir"):
            names = sorted(os.listxattr(full, follow_symlinks=False))
            out.append("xattrs=" + ",".join(
                f"{n}:{hashlib.sha1(os.getxattr(full, n)).hexdigest()[:8]}"
                for n in names))
        if "mtime" in fields and p != ".":
            out.append(f"mtime={s.st_mtime_ns}")
        if "mtime_s" in fields and p != ".":
            out.append(f"mtime={s.st_mtime_ns // 10**9}")
        print(" ".join(out))
    return 0


def main(argv):
    if len(argv) != 4 or argv[1] != "manifest":
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return manifest(argv[2], argv[3])
    except OSError as e:
        print(f"copytools.py: {e.filename}: {e.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
