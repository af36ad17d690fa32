#!/usr/bin/python3
"""System calls for the daemon tests, with the outcome a shell can compare.

usage: fsops.py errno OP ARGS...   prints OK or the errno name (EPERM...);
                                  pwrite prints SHORT:N for a short write
       fsops.py mmap-read FILE REF       exit 0 if a shared mapping of FILE
                                         holds REF's bytes
       fsops.py mmap-write FILE OUT      fill FILE through a shared mapping
                                         with random bytes, also saved to OUT
       fsops.py mmap-private FILE        a private mapping reads FILE, and
                                         writing it leaves FILE unchanged

errno OPs: truncate PATH SIZE | fallocate PATH LEN [MODE] |
           pwrite PATH OFFSET LEN | creat PATH | mkdir PATH |
           setxattr PATH NAME VALUE | open PATH (read-only) | chmod PATH MODE |
           trunc-open PATH (O_WRONLY|O_TRUNC, as the shell's >) |
           rename OLD NEW [noreplace|exchange] (renameat2) | link OLD NEW |
           symlink TARGET PATH | unlink PATH | rmdir PATH |
           mknod PATH fifo|sock|chr|blk [MAJOR MINOR] |
           setxattr-len PATH NAME LEN [FLAGS] (LEN bytes; 1 CREATE,
           2 REPLACE) | getxattr PATH NAME [SIZE] (into a SIZE-byte buffer)
           | removexattr PATH NAME
"""
import ctypes
import errno
import mmap
import os
import sys

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64,
                           ctypes.c_int64]
LIBC.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                          ctypes.c_size_t]
LIBC.getxattr.restype = ctypes.c_ssize_t


def fallocate(path, length, mode="0"):
    fd = os.open(path, os.O_WRONLY)
    try:
        if LIBC.fallocate(fd, int(mode, 0), 0, int(length, 0)):
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def truncate(path, size):
    os.truncate(path, int(size, 0))


def pwrite(path, offset, length):
    """Raises nothing on a short write: returns "SHORT:<bytes written>"."""
    fd = os.open(path, os.O_WRONLY)
    try:
        n = os.pwrite(fd, b"x" * int(length, 0), int(offset, 0))
    finally:
        os.close(fd)
    return None if n == int(length, 0) else f"SHORT:{n}"


def pread(path, offset, length):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.pread(fd, int(length, 0), int(offset, 0))
    finally:
        os.close(fd)


LIBC.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                           ctypes.c_char_p, ctypes.c_uint]
RENAME_FLAGS = {"": 0, "noreplace": 1, "exchange": 2}


def rename(old, new, flags=""):
    if LIBC.renameat2(-100, old.encode(), -100, new.encode(),
                      RENAME_FLAGS[flags]):
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


MKNOD_TYPES = {"fifo": 0o010000, "sock": 0o140000, "chr": 0o020000,
               "blk": 0o060000}


def mknod(path, kind, major="0", minor="0"):
    os.mknod(path, MKNOD_TYPES[kind] | 0o644,
             os.makedev(int(major), int(minor)))


def creat(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))


def setxattr_len(path, name, length, flags="0"):
    os.setxattr(path, name, b"v" * int(length, 0), int(flags, 0))


def getxattr(path, name, size=None):
    """With SIZE, one getxattr(2) into a buffer of SIZE bytes (ERANGE)."""
    if size is None:
        os.getxattr(path, name)
        return
    buf = ctypes.create_string_buffer(max(int(size, 0), 1))
    if LIBC.getxattr(path.encode(), name.encode(), buf, int(size, 0)) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def open_ro(path):
    os.close(os.open(path, os.O_RDONLY))


def trunc_open(path):
    os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))


OPS = {
    "truncate": truncate,
    "fallocate": fallocate,
    "pwrite": pwrite,
    "pread": pread,
    "creat": creat,
    "mkdir": os.mkdir,
    "setxattr": lambda p, n, v: os.setxattr(p, n, v.encode()),
    "open": open_ro,
    "chmod": lambda p, m: os.chmod(p, int(m, 8)),
    "trunc-open": trunc_open,
    "rename": rename,
    "link": os.link,
    "symlink": os.symlink,
    "unlink": os.unlink,
    "rmdir": os.rmdir,
    "mknod": mknod,
    "setxattr-len": setxattr_len,
    "getxattr": getxattr,
    "removexattr": os.removexattr,
}


def errno_name(err):
    # ENOTSUP and EOPNOTSUPP are one number on Linux: use the usual name.
    if err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return errno.errorcode.get(err, str(err))


def do_errno(op, *args):
    try:
        print(OPS[op](*args) or "OK")
    except OSError as e:
        print(errno_name(e.errno))
    return 0


def mapped(path, access, flags=mmap.MAP_SHARED):
    fd = os.open(path, os.O_RDWR if access & mmap.PROT_WRITE else os.O_RDONLY)
    try:
        return mmap.mmap(fd, os.fstat(fd).st_size, flags=flags, prot=access)
    finally:
        os.close(fd)


def mmap_read(path, ref):
    with open(ref, "rb") as f:
        want = f.read()
    m = mapped(path, mmap.PROT_READ)
    if len(m) != len(want):
        print(f"{path}: {len(m)} bytes mapped, {ref} has {len(want)}")
        return 1
    if m[:] != want:
        print(f"{path}: mapping differs from {ref}")
        return 1
    return 0


def mmap_write(path, out):
    m = mapped(path, mmap.PROT_READ | mmap.PROT_WRITE)
    data = os.urandom(len(m))
    m[:] = data
    m.flush()
    m.close()
    with open(out, "wb") as f:
        f.write(data)
    return 0


def mmap_private(path):
    with open(path, "rb") as f:
        before = f.read()
    m = mapped(path, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE)
    if m[:] != before:
        print(f"{path}: private mapping differs from read()")
        return 1
    m[:4096] = b"\xa5" * 4096
    m.close()
    with open(path, "rb") as f:
        if f.read() != before:
            print(f"{path}: a private mapping's write reached the file")
            return 1
    return 0


def main(argv):
    cmds = {"errno": do_errno, "mmap-read": mmap_read,
            "mmap-write": mmap_write, "mmap-private": mmap_private}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return cmds[argv[1]](*argv[2:])
    except OSError as e:
        print(f"{e.filename or argv[2]}: {e.strerror} "
              f"({errno_name(e.errno)})")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
