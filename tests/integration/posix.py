#!/usr/bin/python3
"""POSIX rules for a differential test: run each rule on two filesystems
(tmpfs and bpfam) and require the same observations.

usage: posix.py run DIR [--only RULE[,RULE...]]
           run every rule (or only those named) in a fresh subdirectory
           DIR/RULE each, printing one line per rule: "RULE: OBSERVATION"
       posix.py list
           print the name of every rule, one a line

An observation holds only what must be equal on any two POSIX filesystems:
errno names, modes, link counts, owners relative to the caller, sizes, the
shape of file contents, and relations between times ("moved", "kept") --
never absolute times of day, inode numbers or block counts.

Run it as root and as nobody.  Where a rule needs a second user, root's run
forks a child that becomes nobody (uid/gid 65534); nobody's run has no
second user and prints "n/a" for that part.  DIR must be writable by the
caller; for the child too, so make it mode 1777 as /tmp.
"""
import ctypes
import errno
import hashlib
import os
import resource
import signal
import socket
import stat
import sys
import time

LIBC = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
FALLOC_FL_KEEP_SIZE = 1
XATTR_CREATE = 1
XATTR_REPLACE = 2
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
AT_SYMLINK_NOFOLLOW = 0x100
NOBODY = 65534  # nobody:nogroup on Debian
MiB = 1 << 20
# A time in the past (2001-09-09) that no clock can give by itself.
PAST = 1_000_000_000 * 10**9 + 123_456_789
PAST2 = 1_100_000_000 * 10**9 + 987_654_321
# Per rule: a hung call must not hang the run (the shell's timeout backs
# this up for calls no signal interrupts).
RULE_SECONDS = 10


class RuleTimeout(Exception):
    pass


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64,
                           ctypes.c_int64]
LIBC.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                           ctypes.c_char_p, ctypes.c_uint]
LIBC.utimensat.argtypes = [ctypes.c_int, ctypes.c_char_p,
                           ctypes.POINTER(Timespec), ctypes.c_int]
LIBC.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                          ctypes.c_size_t]
LIBC.getxattr.restype = ctypes.c_ssize_t


def _check(ret):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def renameat2(old, new, flags):
    _check(LIBC.renameat2(AT_FDCWD, old.encode(), AT_FDCWD, new.encode(),
                          flags))


def fallocate(fd, mode, off, length):
    _check(LIBC.fallocate(fd, mode, off, length))


def utimensat(path, atime, mtime, flags=0):
    """atime/mtime: (sec, nsec), or UTIME_NOW / UTIME_OMIT."""
    ts = (Timespec * 2)()
    for i, t in enumerate((atime, mtime)):
        if isinstance(t, tuple):
            ts[i].tv_sec, ts[i].tv_nsec = t
        else:
            ts[i].tv_sec, ts[i].tv_nsec = 0, t
    _check(LIBC.utimensat(AT_FDCWD, path.encode(), ts, flags))


def getxattr_size(path, name, size):
    """getxattr with a buffer of SIZE bytes: the length, or the errno."""
    buf = ctypes.create_string_buffer(max(size, 1))
    return _check(LIBC.getxattr(path.encode(), name.encode(),
                                buf if size else None, size))


def ename(err):
    # ENOTSUP and EOPNOTSUPP are one number on Linux: use the usual name.
    if err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return errno.errorcode.get(err, str(err))


def E(fn, *args, **kw):
    """The outcome of one call: "OK" or the errno's name."""
    try:
        fn(*args, **kw)
        return "OK"
    except OSError as e:
        return ename(e.errno)


def tick():
    """Let the clock move past the last timestamp a filesystem wrote, so that
    a change shows as a later time (timestamps are coarse: a jiffy)."""
    time.sleep(0.02)


def pattern(n, seed=1):
    """n bytes, none of them zero, different for another seed."""
    unit = bytes((i * 7 + seed) % 255 + 1 for i in range(251))
    return (unit * (n // len(unit) + 1))[:n]


def shape(data):
    """The layout of DATA: runs of zero ("z") and non-zero ("x") bytes with
    their lengths, and a short hash: 'x3,z9997#1a2b3c'."""
    runs = []
    i = 0
    while i < len(data):
        zero = data[i] == 0
        j = i
        # bytes.find is fast; one byte at a time would be slow for MiBs.
        if zero:
            j = len(data) - len(data[i:].lstrip(b"\0"))
        else:
            nz = data.find(b"\0", i)
            j = len(data) if nz < 0 else nz
        runs.append(f"{'z' if zero else 'x'}{j - i}")
        i = j
    digest = hashlib.sha1(data).hexdigest()[:8]
    return (",".join(runs) or "empty") + "#" + digest


def content(path):
    with open(path, "rb") as f:
        return shape(f.read())


def write_file(path, data, mode=None):
    """Create or overwrite PATH with DATA; then chmod MODE if given (the
    umask does not apply to it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    if mode is not None:
        os.chmod(path, mode)


def pwrite_at(path, data, off):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, data, off)
    finally:
        os.close(fd)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def kind(mode):
    for test, name in ((stat.S_ISREG, "reg"), (stat.S_ISDIR, "dir"),
                       (stat.S_ISLNK, "lnk"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "sock"), (stat.S_ISCHR, "chr"),
                       (stat.S_ISBLK, "blk")):
        if test(mode):
            return name
    return "?"


def mode_of(path):
    """'reg:0644' or the errno's name."""
    try:
        st = os.lstat(path)
    except OSError as e:
        return ename(e.errno)
    return f"{kind(st.st_mode)}:{stat.S_IMODE(st.st_mode):04o}"


def nlink(path):
    try:
        return os.lstat(path).st_nlink
    except OSError as e:
        return ename(e.errno)


def exists(path):
    return os.path.lexists(path)


def who(uid):
    """An owner relative to the users of this test."""
    return {0: "root", NOBODY: "nobody"}.get(uid, "other")


def rel(before, after):
    """How a time changed: 'moved' (later), 'kept', or 'back'."""
    if after > before:
        return "moved"
    return "kept" if after == before else "back"


class Times:
    """mtime and ctime of a path, to compare after a change."""

    def __init__(self, path):
        self.path = path
        st = os.lstat(path)
        self.m, self.c = st.st_mtime_ns, st.st_ctime_ns
        tick()

    def moved(self, path=None):
        """'m:REL,c:REL' of mtime and ctime; PATH if the file moved."""
        st = os.lstat(path or self.path)
        return (f"m:{rel(self.m, st.st_mtime_ns)},"
                f"c:{rel(self.c, st.st_ctime_ns)}")


def obs(**kw):
    return " ".join(f"{k}={v}" for k, v in kw.items())


def as_other(fn):
    """Run fn() as nobody in a child, when we are root: its result (a
    string), "EXC:ERRNO" if it raised, or "n/a" when there is no second
    user (we are nobody already)."""
    if os.geteuid() != 0:
        return "n/a"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                out = str(fn())
            except OSError as e:
                out = "EXC:" + ename(e.errno)
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as f:
            out = f.read().decode()
    except RuleTimeout:
        # Leave no child behind in a call that hangs.
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    os.waitpid(pid, 0)
    return out


RULES = {}


def rule(fn):
    RULES[fn.__name__.replace("_", "-")] = fn
    return fn


# --- unlink, rmdir -----------------------------------------------------------

@rule
def unlink_file(d):
    f = f"{d}/f"
    write_file(f, b"abc")
    t = Times(d)
    r = E(os.unlink, f)
    return obs(unlink=r, after=mode_of(f), dir=t.moved())


@rule
def unlink_errors(d):
    os.mkdir(f"{d}/sub")
    write_file(f"{d}/f", b"")
    return obs(missing=E(os.unlink, f"{d}/nope"),
               dir=E(os.unlink, f"{d}/sub"),
               through_file=E(os.unlink, f"{d}/f/x"),
               long=E(os.unlink, f"{d}/" + "n" * 256))


@rule
def unlink_open(d):
    """An unlinked file open for reading and writing keeps working."""
    f = f"{d}/f"
    write_file(f, pattern(5000))
    fd = os.open(f, os.O_RDWR)
    try:
        os.unlink(f)
        os.pwrite(fd, b"tail", 5000)
        st = os.fstat(fd)
        data = os.pread(fd, 10000, 0)
    finally:
        os.close(fd)
    return obs(gone=mode_of(f), nlink=st.st_nlink, size=st.st_size,
               data=shape(data), reuse=E(write_file, f, b"new"),
               new=content(f))


@rule
def unlink_sticky(d):
    """In a sticky world-writable dir, only the owner (or root) unlinks."""
    os.chmod(d, 0o1777)
    write_file(f"{d}/mine", b"")
    other = as_other(lambda: E(os.unlink, f"{d}/mine"))
    return obs(other_unlinks_mine=other, owner=E(os.unlink, f"{d}/mine"))


@rule
def rmdir_rules(d):
    os.makedirs(f"{d}/full/x")
    os.mkdir(f"{d}/empty")
    write_file(f"{d}/f", b"")
    t = Times(d)
    n = nlink(d)
    r = E(os.rmdir, f"{d}/empty")
    return obs(empty=r, nlink_drop=n - nlink(d), dir=t.moved(),
               nonempty=E(os.rmdir, f"{d}/full"),
               file=E(os.rmdir, f"{d}/f"), missing=E(os.rmdir, f"{d}/nope"),
               dot=E(os.rmdir, f"{d}/full/x/."),
               long=E(os.rmdir, f"{d}/" + "n" * 256))


# --- rename ------------------------------------------------------------------

@rule
def rename_file(d):
    os.mkdir(f"{d}/b")
    write_file(f"{d}/a", pattern(3000))
    ino = os.lstat(f"{d}/a").st_ino
    t, tf = Times(d), Times(f"{d}/a")
    tb = Times(f"{d}/b")
    r = E(os.rename, f"{d}/a", f"{d}/b/a2")
    return obs(rename=r, old=mode_of(f"{d}/a"), new=content(f"{d}/b/a2"),
               same_inode=os.lstat(f"{d}/b/a2").st_ino == ino,
               from_dir=t.moved(), to_dir=tb.moved(),
               file_ctime=tf.moved(f"{d}/b/a2").split(",")[1])


@rule
def rename_replace_file(d):
    write_file(f"{d}/a", b"new")
    write_file(f"{d}/b", pattern(10000))
    os.link(f"{d}/b", f"{d}/b2")
    r = E(os.rename, f"{d}/a", f"{d}/b")
    return obs(rename=r, a=mode_of(f"{d}/a"), b=content(f"{d}/b"),
               old_b_other_name=content(f"{d}/b2"), b2_nlink=nlink(f"{d}/b2"))


@rule
def rename_replace_open(d):
    """The replaced target, open, keeps its bytes."""
    write_file(f"{d}/a", b"new")
    write_file(f"{d}/b", pattern(3000))
    fd = os.open(f"{d}/b", os.O_RDONLY)
    try:
        r = E(os.rename, f"{d}/a", f"{d}/b")
        held = shape(os.pread(fd, 5000, 0))
        held_nlink = os.fstat(fd).st_nlink
    finally:
        os.close(fd)
    return obs(rename=r, held=held, held_nlink=held_nlink, b=content(f"{d}/b"))


@rule
def rename_dirs(d):
    for p in ("src/sub", "empty", "full/x", "other"):
        os.makedirs(f"{d}/{p}")
    write_file(f"{d}/file", b"")
    n = nlink(d)
    return obs(onto_empty=E(os.rename, f"{d}/src", f"{d}/empty"),
               moved_child=mode_of(f"{d}/empty/sub"),
               nlink_drop=n - nlink(d),
               onto_nonempty=E(os.rename, f"{d}/empty", f"{d}/full"),
               dir_onto_file=E(os.rename, f"{d}/other", f"{d}/file"),
               file_onto_dir=E(os.rename, f"{d}/file", f"{d}/other"),
               missing=E(os.rename, f"{d}/nope", f"{d}/x"),
               missing_parent=E(os.rename, f"{d}/file", f"{d}/nope/x"),
               through_file=E(os.rename, f"{d}/file/x", f"{d}/y"))


@rule
def rename_subtree(d):
    os.makedirs(f"{d}/a/b/c")
    return obs(into_child=E(os.rename, f"{d}/a", f"{d}/a/b/x"),
               into_grandchild=E(os.rename, f"{d}/a", f"{d}/a/b/c/x"),
               onto_own_child=E(os.rename, f"{d}/a", f"{d}/a/b"),
               parent_onto_child=E(os.rename, f"{d}/a/b", f"{d}/a/b/c"),
               intact=mode_of(f"{d}/a/b/c"))


@rule
def rename_dir_nlink(d):
    """Moving a subdirectory moves a link count from parent to parent."""
    os.makedirs(f"{d}/p1/sub/deeper")
    os.mkdir(f"{d}/p2")
    t1, t2 = Times(f"{d}/p1"), Times(f"{d}/p2")
    r = E(os.rename, f"{d}/p1/sub", f"{d}/p2/sub")
    return obs(rename=r, p1=nlink(f"{d}/p1"), p2=nlink(f"{d}/p2"),
               sub=nlink(f"{d}/p2/sub"), p1_times=t1.moved(),
               p2_times=t2.moved(),
               dotdot_is_p2=os.lstat(f"{d}/p2/sub/..").st_ino ==
               os.lstat(f"{d}/p2").st_ino)


@rule
def rename_self(d):
    """rename onto itself, or onto another link to it, does nothing."""
    write_file(f"{d}/a", b"abc")
    os.link(f"{d}/a", f"{d}/b")
    os.mkdir(f"{d}/dir")
    return obs(same=E(os.rename, f"{d}/a", f"{d}/a"),
               hardlink=E(os.rename, f"{d}/a", f"{d}/b"),
               a=mode_of(f"{d}/a"), b=mode_of(f"{d}/b"), nlink=nlink(f"{d}/a"),
               dir_same=E(os.rename, f"{d}/dir", f"{d}/dir"),
               noreplace_same=E(renameat2, f"{d}/a", f"{d}/a",
                                RENAME_NOREPLACE))


@rule
def rename_noreplace(d):
    write_file(f"{d}/a", b"a")
    write_file(f"{d}/b", b"bb")
    os.mkdir(f"{d}/dir")
    return obs(exists=E(renameat2, f"{d}/a", f"{d}/b", RENAME_NOREPLACE),
               onto_dir=E(renameat2, f"{d}/a", f"{d}/dir", RENAME_NOREPLACE),
               b=content(f"{d}/b"),
               free=E(renameat2, f"{d}/a", f"{d}/c", RENAME_NOREPLACE),
               a=mode_of(f"{d}/a"), c=content(f"{d}/c"),
               both_flags=E(renameat2, f"{d}/c", f"{d}/b",
                            RENAME_NOREPLACE | RENAME_EXCHANGE))


@rule
def rename_exchange(d):
    write_file(f"{d}/a", b"a")
    write_file(f"{d}/b", pattern(5000))
    ia, ib = os.lstat(f"{d}/a").st_ino, os.lstat(f"{d}/b").st_ino
    r = E(renameat2, f"{d}/a", f"{d}/b", RENAME_EXCHANGE)
    return obs(exchange=r, a=content(f"{d}/a"), b=content(f"{d}/b"),
               inodes_swapped=(os.lstat(f"{d}/a").st_ino,
                               os.lstat(f"{d}/b").st_ino) == (ib, ia),
               missing=E(renameat2, f"{d}/a", f"{d}/nope", RENAME_EXCHANGE))


@rule
def rename_exchange_dir(d):
    """Exchange a directory and a file across parents: link counts follow."""
    os.makedirs(f"{d}/p1/sub")
    os.makedirs(f"{d}/p2/full/x")
    write_file(f"{d}/p2/f", b"file")
    r = E(renameat2, f"{d}/p1/sub", f"{d}/p2/f", RENAME_EXCHANGE)
    # Now p1/sub is the file: exchange it with a directory that has one.
    r2 = E(renameat2, f"{d}/p2/full", f"{d}/p1/sub", RENAME_EXCHANGE)
    return obs(dir_file=r, p1=nlink(f"{d}/p1"), p2=nlink(f"{d}/p2"),
               p1_f=mode_of(f"{d}/p1/sub"), p2_f=mode_of(f"{d}/p2/f"),
               nonempty_dir_file=r2, p1_sub_now=mode_of(f"{d}/p1/sub"),
               p2_full_now=mode_of(f"{d}/p2/full"),
               p1_after=nlink(f"{d}/p1"), p2_after=nlink(f"{d}/p2"),
               into_subtree=E(renameat2, f"{d}/p1/sub", f"{d}/p1/sub/x",
                              RENAME_EXCHANGE))


@rule
def rename_open(d):
    """A file open across its rename keeps working, by fd and new name."""
    write_file(f"{d}/a", b"start")
    fd = os.open(f"{d}/a", os.O_RDWR)
    try:
        r = E(os.rename, f"{d}/a", f"{d}/b")
        os.pwrite(fd, b"-more", 5)
        via_fd = shape(os.pread(fd, 100, 0))
    finally:
        os.close(fd)
    return obs(rename=r, via_fd=via_fd, via_name=content(f"{d}/b"))


@rule
def rename_names(d):
    write_file(f"{d}/a", b"")
    ok = "m" * 255
    return obs(to_255=E(os.rename, f"{d}/a", f"{d}/{ok}"),
               back=E(os.rename, f"{d}/{ok}", f"{d}/a"),
               to_256=E(os.rename, f"{d}/a", f"{d}/" + "m" * 256),
               from_256=E(os.rename, f"{d}/" + "m" * 256, f"{d}/b"),
               to_dot=E(os.rename, f"{d}/a", f"{d}/."),
               a=mode_of(f"{d}/a"))


@rule
def rename_times(d):
    """A rename changes both parents' mtime and ctime."""
    os.mkdir(f"{d}/p1")
    os.mkdir(f"{d}/p2")
    write_file(f"{d}/p1/f", b"")
    write_file(f"{d}/p1/g", b"")
    t1, t2 = Times(f"{d}/p1"), Times(f"{d}/p2")
    os.rename(f"{d}/p1/f", f"{d}/p2/f")
    across = f"{t1.moved()}/{t2.moved()}"
    t1 = Times(f"{d}/p1")
    os.rename(f"{d}/p1/g", f"{d}/p1/h")
    return obs(across=across, within=t1.moved())


# --- hard links --------------------------------------------------------------

@rule
def link_basic(d):
    write_file(f"{d}/a", b"abc")
    t, tf = Times(d), Times(f"{d}/a")
    r = E(os.link, f"{d}/a", f"{d}/b")
    with open(f"{d}/b", "r+b") as f:
        f.seek(3)
        f.write(b"-via-b")
    return obs(link=r, nlink=f"{nlink(f'{d}/a')}/{nlink(f'{d}/b')}",
               same_inode=os.lstat(f"{d}/a").st_ino ==
               os.lstat(f"{d}/b").st_ino,
               a=content(f"{d}/a"), dir=t.moved(),
               file_ctime=tf.moved().split(",")[1])


@rule
def link_unlink_one(d):
    write_file(f"{d}/a", pattern(7000))
    os.link(f"{d}/a", f"{d}/b")
    os.link(f"{d}/a", f"{d}/c")
    tf = Times(f"{d}/b")
    r = E(os.unlink, f"{d}/a")
    return obs(unlink=r, b=content(f"{d}/b"), nlink=nlink(f"{d}/b"),
               ctime=tf.moved().split(",")[1],
               all_gone=E(lambda: [os.unlink(f"{d}/{x}") for x in "bc"]),
               left=os.listdir(d))


@rule
def link_errors(d):
    os.mkdir(f"{d}/dir")
    write_file(f"{d}/a", b"")
    write_file(f"{d}/b", b"")
    return obs(to_dir=E(os.link, f"{d}/dir", f"{d}/dir2"),
               exists=E(os.link, f"{d}/a", f"{d}/b"),
               onto_dir=E(os.link, f"{d}/a", f"{d}/dir"),
               missing=E(os.link, f"{d}/nope", f"{d}/c"),
               long=E(os.link, f"{d}/a", f"{d}/" + "l" * 256),
               nlink=nlink(f"{d}/a"))


@rule
def link_symlink(d):
    """link() does not follow a symlink: the new name is a symlink too."""
    os.symlink("target", f"{d}/s")
    r = E(os.link, f"{d}/s", f"{d}/s2", follow_symlinks=False)
    return obs(link=r, s2=mode_of(f"{d}/s2"),
               readlink=os.readlink(f"{d}/s2") if r == "OK" else "-",
               nlink=nlink(f"{d}/s"))


@rule
def link_open_unlinked(d):
    """Unlink every name of a file held open: it lives until closed."""
    write_file(f"{d}/a", b"held")
    os.link(f"{d}/a", f"{d}/b")
    fd = os.open(f"{d}/a", os.O_RDONLY)
    try:
        os.unlink(f"{d}/a")
        os.unlink(f"{d}/b")
        st = os.fstat(fd)
        data = os.pread(fd, 10, 0)
    finally:
        os.close(fd)
    return obs(nlink=st.st_nlink, data=data.decode(), left=os.listdir(d))


# --- symlinks ----------------------------------------------------------------

@rule
def symlink_basic(d):
    write_file(f"{d}/t", b"target bytes")
    t = Times(d)
    r = E(os.symlink, "t", f"{d}/s")
    st = os.lstat(f"{d}/s")
    return obs(symlink=r, lstat=mode_of(f"{d}/s"), size=st.st_size,
               nlink=st.st_nlink, owner=who(st.st_uid) == who(os.geteuid()),
               readlink=os.readlink(f"{d}/s"), follows=content(f"{d}/s"),
               stat=kind(os.stat(f"{d}/s").st_mode), dir=t.moved())


@rule
def symlink_targets(d):
    """Targets up to PATH_MAX-1 bytes, any bytes but NUL."""
    res = {}
    for name, target in (("t4095", "x" * 4095), ("t4096", "y" * 4096),
                         ("abs", "/no/such/absolute/path"),
                         ("odd", "sp ace\tnew\nline/é/../."),
                         ("t1", "z")):
        r = E(os.symlink, target, f"{d}/{name}")
        if r == "OK":
            got = os.readlink(f"{d}/{name}")
            r = "same" if got == target else f"differs({len(got)})"
            r += f",size={os.lstat(f'{d}/{name}').st_size}"
        res[name] = r
    return obs(**res)


@rule
def symlink_errors(d):
    write_file(f"{d}/f", b"")
    os.symlink("f", f"{d}/s")
    os.symlink("loop2", f"{d}/loop1")
    os.symlink("loop1", f"{d}/loop2")
    os.symlink("nowhere", f"{d}/dangling")
    return obs(exists=E(os.symlink, "x", f"{d}/f"),
               over_symlink=E(os.symlink, "x", f"{d}/s"),
               long_name=E(os.symlink, "x", f"{d}/" + "s" * 256),
               empty_target=E(os.symlink, "", f"{d}/e"),
               readlink_file=E(os.readlink, f"{d}/f"),
               readlink_missing=E(os.readlink, f"{d}/nope"),
               loop=E(os.stat, f"{d}/loop1"),
               dangling_stat=E(os.stat, f"{d}/dangling"),
               dangling_lstat=E(os.lstat, f"{d}/dangling"),
               nofollow=E(os.open, f"{d}/s", os.O_RDONLY | os.O_NOFOLLOW),
               creat_through_dangling=E(write_file, f"{d}/dangling", b"x"),
               created=content(f"{d}/nowhere") if exists(f"{d}/nowhere")
               else "no")


@rule
def symlink_paths(d):
    """Relative, absolute and directory targets resolve as paths."""
    os.makedirs(f"{d}/dir/sub")
    write_file(f"{d}/dir/sub/f", b"deep")
    os.symlink("dir/sub", f"{d}/rel")
    os.symlink(f"{d}/dir", f"{d}/abs")
    os.symlink("../dir/sub/f", f"{d}/dir/up")
    return obs(rel=read_file(f"{d}/rel/f").decode(),
               abs=read_file(f"{d}/abs/sub/f").decode(),
               up=read_file(f"{d}/dir/up").decode(),
               listed=sorted(os.listdir(f"{d}/rel")),
               rmdir_link=E(os.rmdir, f"{d}/rel"),
               unlink_link=E(os.unlink, f"{d}/rel"),
               target_kept=mode_of(f"{d}/dir/sub"))


@rule
def symlink_times(d):
    """lutimes sets a symlink's own times; lchown its own owner."""
    write_file(f"{d}/t", b"")
    os.symlink("t", f"{d}/s")
    r = E(utimensat, f"{d}/s", (PAST // 10**9, PAST % 10**9),
          (PAST2 // 10**9, PAST2 % 10**9), AT_SYMLINK_NOFOLLOW)
    ls, ts = os.lstat(f"{d}/s"), os.stat(f"{d}/t")
    return obs(lutimes=r, link_mtime=ls.st_mtime_ns == PAST2,
               target_mtime_untouched=ts.st_mtime_ns != PAST2,
               lchown_self=E(os.lchown, f"{d}/s", os.geteuid(), -1))


# --- FIFOs, sockets, device nodes --------------------------------------------

@rule
def mkfifo_rule(d):
    os.umask(0o022)
    r = E(os.mkfifo, f"{d}/p", 0o666)
    # Both ends non-blocking: a FIFO is the kernel's, not the filesystem's.
    rd = os.open(f"{d}/p", os.O_RDONLY | os.O_NONBLOCK)
    try:
        wr = os.open(f"{d}/p", os.O_WRONLY | os.O_NONBLOCK)
        os.write(wr, b"through the pipe")
        os.close(wr)
        got = os.read(rd, 100).decode()
    finally:
        os.close(rd)
    return obs(mkfifo=r, mode=mode_of(f"{d}/p"), size=os.lstat(f"{d}/p")
               .st_size, pipe=got.replace(" ", "_"),
               exists=E(os.mkfifo, f"{d}/p"),
               long=E(os.mkfifo, f"{d}/" + "p" * 256),
               xattr=E(os.setxattr, f"{d}/p", "user.x", b"1"))


@rule
def mknod_socket(d):
    os.umask(0o022)
    r = E(os.mknod, f"{d}/s", stat.S_IFSOCK | 0o666)
    # bind() makes a socket file too; relative name: sun_path is short.
    cwd = os.getcwd()
    os.chdir(d)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        b = E(s.bind, "bound")
        s.close()
    finally:
        os.chdir(cwd)
    return obs(mknod=r, mode=mode_of(f"{d}/s"), bind=b,
               bound=mode_of(f"{d}/bound"), rebind_exists=E(
                   os.mknod, f"{d}/bound", stat.S_IFSOCK | 0o600))


@rule
def mknod_devices(d):
    """Device nodes: root only (CAP_MKNOD); their numbers kept."""
    rc = E(os.mknod, f"{d}/c", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    rb = E(os.mknod, f"{d}/b", stat.S_IFBLK | 0o640, os.makedev(7, 200))
    devs = {}
    for n in "cb":
        if exists(f"{d}/{n}"):
            st = os.lstat(f"{d}/{n}")
            devs[n] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return obs(chr=rc, blk=rb, chr_mode=mode_of(f"{d}/c"),
               blk_mode=mode_of(f"{d}/b"), rdev=devs,
               reg=E(os.mknod, f"{d}/r", stat.S_IFREG | 0o644),
               reg_mode=mode_of(f"{d}/r"),
               exists=E(os.mknod, f"{d}/r", stat.S_IFREG | 0o644))


# --- sizes: truncate, write past EOF, append, fallocate ----------------------

@rule
def truncate_grow(d):
    f = f"{d}/f"
    write_file(f, b"abc")
    t = Times(f)
    r = E(os.truncate, f, 10000)
    return obs(truncate=r, size=os.stat(f).st_size, data=content(f),
               times=t.moved())


@rule
def truncate_shrink(d):
    f = f"{d}/f"
    write_file(f, pattern(3 * MiB))
    t = Times(f)
    r = E(os.truncate, f, 100)
    return obs(truncate=r, size=os.stat(f).st_size, data=content(f),
               times=t.moved(), to_zero=E(os.truncate, f, 0),
               empty=content(f))


@rule
def truncate_down_up(d):
    """Bytes cut off by a shrink never come back: zeros past the old end,
    within a unit and across 2 MiB units."""
    f = f"{d}/f"
    write_file(f, pattern(5 * MiB))
    os.truncate(f, 1000)
    os.truncate(f, 5 * MiB)
    small = content(f)
    os.truncate(f, 3 * MiB - 1)
    os.truncate(f, 5 * MiB + 7)
    return obs(small=small, across=content(f))


@rule
def ftruncate_rule(d):
    f = f"{d}/f"
    fd = os.open(f, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, pattern(4096))
        grow = E(os.ftruncate, fd, 2 * MiB + 1)
        size1 = os.fstat(fd).st_size
        shrink = E(os.ftruncate, fd, 10)
        size2 = os.fstat(fd).st_size
        # The file offset is past the end now: the next write leaves a hole.
        os.write(fd, b"end")
        data = shape(os.pread(fd, 8192, 0))
    finally:
        os.close(fd)
    fd = os.open(f, os.O_RDONLY)
    try:
        rdonly = E(os.ftruncate, fd, 0)
    finally:
        os.close(fd)
    return obs(grow=grow, size1=size1, shrink=shrink, size2=size2, data=data,
               rdonly_fd=rdonly)


@rule
def truncate_errors(d):
    write_file(f"{d}/f", b"x")
    os.mkdir(f"{d}/dir")
    return obs(negative=E(os.truncate, f"{d}/f", -1),
               dir=E(os.truncate, f"{d}/dir", 0),
               missing=E(os.truncate, f"{d}/nope", 0),
               size=os.stat(f"{d}/f").st_size)


@rule
def fsize_limit(d):
    """RLIMIT_FSIZE: writes and truncates past it fail with EFBIG (the
    signal it also sends is ignored here)."""
    f = f"{d}/f"
    write_file(f, b"x")
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    sig = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    fd = os.open(f, os.O_WRONLY)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (MiB, old[1]))
        res = dict(truncate=E(os.ftruncate, fd, 2 * MiB),
                   pwrite=E(os.pwrite, fd, b"y", MiB),
                   short=os.pwrite(fd, b"abcd", MiB - 2),
                   below=E(os.ftruncate, fd, MiB - 10))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, sig)
        os.close(fd)
    return obs(**res, size=os.stat(f).st_size)


@rule
def truncate_beyond_device(d):
    """A size no device holds: tmpfs makes a sparse file, bpfam preallocates
    every byte and says EFBIG (by design, see posix.sh)."""
    write_file(f"{d}/f", b"x")
    return obs(truncate=E(os.truncate, f"{d}/f", 1 << 62),
               pwrite=E(pwrite_at, f"{d}/f", b"y", 1 << 62),
               size_is_1=os.stat(f"{d}/f").st_size == 1)


@rule
def truncate_nonowner(d):
    write_file(f"{d}/ro", b"abc", 0o644)
    write_file(f"{d}/rw", b"abc", 0o666)
    other = as_other(lambda: obs(ro=E(os.truncate, f"{d}/ro", 0),
                                 rw=E(os.truncate, f"{d}/rw", 1)))
    return obs(other=f"[{other}]", rw_size=os.stat(f"{d}/rw").st_size)


@rule
def open_flags(d):
    os.umask(0o022)
    f = f"{d}/f"
    write_file(f, pattern(10000))
    os.symlink("dangling", f"{d}/s")
    os.mkdir(f"{d}/dir")
    t = Times(f)
    fd = os.open(f, os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    trunc = f"{os.stat(f).st_size},{t.moved()}"
    return obs(trunc=trunc,
               excl=E(os.open, f, os.O_WRONLY | os.O_CREAT | os.O_EXCL),
               excl_dangling=E(os.open, f"{d}/s",
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL),
               creat_existing=E(os.open, f, os.O_WRONLY | os.O_CREAT),
               new=E(os.open, f"{d}/n", os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o777), new_mode=mode_of(f"{d}/n"),
               directory=E(os.open, f, os.O_RDONLY | os.O_DIRECTORY),
               through_file=E(os.open, f"{f}/x", os.O_RDONLY),
               dir_write=E(os.open, f"{d}/dir", os.O_WRONLY),
               missing=E(os.open, f"{d}/nope", os.O_RDONLY),
               long=E(os.open, f"{d}/" + "o" * 256, os.O_WRONLY | os.O_CREAT),
               ok255=E(os.open, f"{d}/" + "o" * 255, os.O_WRONLY | os.O_CREAT))


@rule
def open_trunc_same_empty(d):
    """O_TRUNC of an empty file; O_CREAT|O_TRUNC of an existing one."""
    f = f"{d}/f"
    write_file(f, b"")
    fd = os.open(f, os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    write_file(f"{d}/g", pattern(3 * MiB))
    fd = os.open(f"{d}/g", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"short")
        data = shape(os.pread(fd, 4 * MiB, 0))
    finally:
        os.close(fd)
    return obs(empty=os.stat(f).st_size, g=data, g_mode=mode_of(f"{d}/g"))


@rule
def write_past_eof(d):
    f = f"{d}/f"
    write_file(f, b"A")
    fd = os.open(f, os.O_RDWR)
    try:
        t = Times(f)
        os.pwrite(fd, b"B", MiB + 5)
        near = shape(os.pread(fd, 2 * MiB, 0))
        times = t.moved()
        # A hole across several 2 MiB units.
        os.pwrite(fd, b"C" * 10, 7 * MiB + 3)
        size = os.fstat(fd).st_size
        past_end = len(os.pread(fd, 100, size))
    finally:
        os.close(fd)
    return obs(near=near, times=times, far=content(f), size=size,
               read_past_end=past_end)


@rule
def append_rule(d):
    f = f"{d}/f"
    write_file(f, b"0123")
    a1 = os.open(f, os.O_WRONLY | os.O_APPEND)
    a2 = os.open(f, os.O_WRONLY | os.O_APPEND)
    try:
        os.lseek(a1, 0, os.SEEK_SET)
        os.write(a1, b"-one")
        os.write(a2, b"-two")
        # On Linux pwrite ignores the offset of an O_APPEND descriptor.
        os.pwrite(a1, b"-three", 0)
        for i in range(100):
            os.write(a2 if i % 2 else a1, b"%03d" % i)
        pos = os.lseek(a1, 0, os.SEEK_CUR)
    finally:
        os.close(a1)
        os.close(a2)
    data = read_file(f)
    return obs(head=data[:18].decode(), size=len(data), pos=pos,
               data=shape(data))


@rule
def append_grow(d):
    """4 KiB appends across 2 MiB units, as a log writer would."""
    f = f"{d}/f"
    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for i in range(1100):
            os.write(fd, pattern(4096, i % 200 + 1))
    finally:
        os.close(fd)
    return obs(size=os.stat(f).st_size, data=content(f))


@rule
def fallocate_rule(d):
    f = f"{d}/f"
    write_file(f, b"0123456789")
    fd = os.open(f, os.O_RDWR)
    try:
        grow = E(fallocate, fd, 0, 0, MiB)
        size1 = os.fstat(fd).st_size
        inside = E(fallocate, fd, 0, 100, 1000)
        size2 = os.fstat(fd).st_size
        keep = E(fallocate, fd, FALLOC_FL_KEEP_SIZE, 0, 5 * MiB)
        size3 = os.fstat(fd).st_size
        # Writing into what KEEP_SIZE reserved grows the size as usual.
        os.pwrite(fd, b"w", 3 * MiB)
        size4 = os.fstat(fd).st_size
        data = shape(os.pread(fd, 4 * MiB, 0))
        efbig = E(fallocate, fd, 0, 1 << 62, 1 << 62)
        negative = E(fallocate, fd, 0, -1, 10)
    finally:
        os.close(fd)
    fd = os.open(f, os.O_RDONLY)
    try:
        rdonly = E(fallocate, fd, 0, 0, 2 * MiB)
    finally:
        os.close(fd)
    return obs(grow=grow, size1=size1, inside=inside, size2=size2,
               keep_size=keep, size3=size3, size4=size4, data=data,
               efbig=efbig, negative=negative, rdonly_fd=rdonly)


@rule
def fallocate_keep_then_truncate(d):
    """Space reserved past the end reads as zeros once the size covers it."""
    f = f"{d}/f"
    write_file(f, pattern(100))
    fd = os.open(f, os.O_RDWR)
    try:
        fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * MiB)
        os.ftruncate(fd, 4 * MiB)
        data = shape(os.pread(fd, 4 * MiB, 0))
    finally:
        os.close(fd)
    return obs(data=data)


# --- modes, owners, suid/sgid ------------------------------------------------

@rule
def chmod_rule(d):
    f = f"{d}/f"
    write_file(f, b"")
    t = Times(f)
    r = E(os.chmod, f, 0o4751)
    res = dict(chmod=r, mode=mode_of(f), times=t.moved())
    td = Times(d)
    os.chmod(d, 0o750)
    res.update(dir_mode=mode_of(d), dir_times=td.moved())
    os.chmod(d, 0o777)
    res["other"] = as_other(lambda: E(os.chmod, f, 0o777))
    res["sticky_file"] = E(os.chmod, f, 0o1644)
    res["sticky_mode"] = mode_of(f)
    return obs(**res)


@rule
def chown_rule(d):
    f = f"{d}/f"
    write_file(f, b"")
    me = os.geteuid()
    t = Times(f)
    res = dict(to_nobody=E(os.chown, f, NOBODY, NOBODY))
    st = os.stat(f)
    res.update(owner=f"{who(st.st_uid)}:{who(st.st_gid)}",
               times=t.moved())
    t = Times(f)
    # chown(-1, -1) changes nothing but the ctime.
    res.update(noop=E(os.chown, f, -1, -1), noop_times=t.moved(),
               to_root=E(os.chown, f, 0, -1),
               group_root=E(os.chown, f, -1, 0))
    st = os.stat(f)
    res["after"] = f"{who(st.st_uid)}:{who(st.st_gid)}"
    if me == 0:
        os.chown(f, 0, 0)
        os.chmod(f, 0o666)
    res["other"] = as_other(lambda: E(os.chown, f, NOBODY, -1))
    return obs(**res)


@rule
def suid_cleared_by_chown(d):
    """chown clears set-user-ID, and set-group-ID with group execute, of a
    file (not of a directory)."""
    res = {}
    for name, mode in (("ug", 0o6755), ("g_noexec", 0o2745), ("u", 0o4700)):
        f = f"{d}/{name}"
        write_file(f, b"#!/bin/sh\n")
        os.chmod(f, mode)
        res[name] = E(os.chown, f, os.geteuid(), -1) + "," + mode_of(f)
    os.mkdir(f"{d}/dir")
    os.chmod(f"{d}/dir", 0o2775)
    os.chown(f"{d}/dir", os.geteuid(), -1)
    res["dir"] = mode_of(f"{d}/dir")
    return obs(**res)


@rule
def suid_cleared_by_write(d):
    """A write by a caller without CAP_FSETID clears set-user-ID and
    set-group-ID (with group execute); root's own write keeps them."""
    f = f"{d}/f"
    write_file(f, b"#!/bin/sh\n")
    os.chmod(f, 0o6777)

    def write():
        fd = os.open(f, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"echo\n")
        finally:
            os.close(fd)
        return mode_of(f)

    mine = write()
    os.chmod(f, 0o6777)
    other = as_other(write)
    os.chmod(f, 0o6777)
    other_trunc = as_other(lambda: (os.truncate(f, 3), mode_of(f))[1])
    return obs(own_write=mine, other_write=other, other_truncate=other_trunc,
               size=os.stat(f).st_size)


@rule
def sgid_dir(d):
    """New entries of a set-group-ID directory take its group; subdirectories
    keep the bit."""
    os.chmod(d, 0o2777)
    if os.geteuid() == 0:
        os.chown(d, 0, NOBODY)
    write_file(f"{d}/f", b"")
    os.mkdir(f"{d}/sub", 0o755)
    res = dict(f_group=who(os.stat(f"{d}/f").st_gid),
               sub=mode_of(f"{d}/sub"),
               sub_group=who(os.stat(f"{d}/sub").st_gid))
    # A creator outside the group asks for set-group-ID: it is dropped.
    # A subdirectory of group root (root's run): nobody is not in it.
    os.mkdir(f"{d}/rootgrp", 0o777)
    if os.geteuid() == 0:
        os.chown(f"{d}/rootgrp", 0, 0)
    os.chmod(f"{d}/rootgrp", 0o2777)

    def other():
        fd = os.open(f"{d}/rootgrp/o", os.O_WRONLY | os.O_CREAT, 0o2755)
        os.close(fd)
        return mode_of(f"{d}/rootgrp/o")

    res["other_in_dir"] = as_other(other)
    return obs(**res)


@rule
def umask_modes(d):
    res = {}
    for um in (0o022, 0o077, 0o000):
        os.umask(um)
        os.close(os.open(f"{d}/f{um:o}", os.O_WRONLY | os.O_CREAT, 0o777))
        os.mkdir(f"{d}/d{um:o}", 0o777)
        os.mkfifo(f"{d}/p{um:o}", 0o666)
        res[f"u{um:03o}"] = "/".join(mode_of(f"{d}/{k}{um:o}") for k in "fdp")
    os.umask(0o022)
    return obs(**res)


@rule
def access_rules(d):
    """Permission checks on what the filesystem reports as mode and owner."""
    write_file(f"{d}/ro", b"secret", 0o600)
    write_file(f"{d}/x", b"", 0o755)
    os.mkdir(f"{d}/locked", 0o700)
    write_file(f"{d}/locked/f", b"")

    def try_all():
        return obs(read=E(open, f"{d}/ro", "rb"),
                   write=E(open, f"{d}/x", "r+b"),
                   exec=os.access(f"{d}/x", os.X_OK),
                   traverse=E(os.stat, f"{d}/locked/f"),
                   list=E(os.listdir, f"{d}/locked"),
                   create=E(write_file, f"{d}/locked/g", b""))

    return obs(self=f"[{try_all()}]", other=f"[{as_other(try_all)}]")


# --- times -------------------------------------------------------------------

@rule
def utimens_explicit(d):
    f = f"{d}/f"
    write_file(f, b"")
    t = Times(f)
    r = E(os.utime, f, ns=(PAST, PAST2))
    st = os.stat(f)
    return obs(utime=r, atime=st.st_atime_ns == PAST,
               mtime=st.st_mtime_ns == PAST2, ctime=t.moved().split(",")[1],
               ctime_given=st.st_ctime_ns in (PAST, PAST2))


@rule
def utimens_now_omit(d):
    f = f"{d}/f"
    write_file(f, b"")
    os.utime(f, ns=(PAST, PAST2))
    before = time.time_ns()
    tick()
    r = E(utimensat, f, UTIME_OMIT, UTIME_NOW)
    st = os.stat(f)
    res = dict(omit_now=r, atime_kept=st.st_atime_ns == PAST,
               mtime_now=st.st_mtime_ns >= before,
               mtime_not_future=st.st_mtime_ns <= time.time_ns())
    tc = Times(f)
    res["omit_omit"] = E(utimensat, f, UTIME_OMIT, UTIME_OMIT)
    res["omit_omit_ctime"] = tc.moved().split(",")[1]
    res["null_times"] = E(os.utime, f)
    st = os.stat(f)
    res["null_mtime_now"] = st.st_mtime_ns >= before
    return obs(**res)


@rule
def utimens_nonowner(d):
    """Another user with write access may set times to now, not given ones."""
    write_file(f"{d}/rw", b"", 0o666)
    write_file(f"{d}/ro", b"", 0o644)
    other = as_other(lambda: obs(
        rw_now=E(os.utime, f"{d}/rw"),
        rw_given=E(os.utime, f"{d}/rw", ns=(PAST, PAST)),
        ro_now=E(os.utime, f"{d}/ro")))
    return obs(other=f"[{other}]")


@rule
def times_on_write(d):
    f = f"{d}/f"
    write_file(f, b"abc")
    t = Times(f)
    fd = os.open(f, os.O_WRONLY)
    try:
        os.pwrite(fd, b"x", 1)
    finally:
        os.close(fd)
    written = t.moved()
    t = Times(f)
    read_file(f)
    return obs(write=written, read=t.moved())


@rule
def read_atime(d):
    """A read of a file whose atime is old: relatime (tmpfs) moves atime,
    noatime (bpfam, by design: atime is not kept) leaves it."""
    f = f"{d}/f"
    write_file(f, b"abc")
    os.utime(f, ns=(PAST, PAST))
    read_file(f)
    return obs(atime_moved=os.stat(f).st_atime_ns != PAST)


@rule
def dir_times(d):
    """A directory's mtime and ctime move on every change of its entries,
    and only then."""
    res = {}
    ops = (("create", lambda: write_file(f"{d}/f", b"")),
           ("write_child", lambda: write_file(f"{d}/f", b"data")),
           ("mkdir", lambda: os.mkdir(f"{d}/sub")),
           ("symlink", lambda: os.symlink("f", f"{d}/s")),
           ("link", lambda: os.link(f"{d}/f", f"{d}/h")),
           ("mknod", lambda: os.mkfifo(f"{d}/p")),
           ("rename", lambda: os.rename(f"{d}/h", f"{d}/h2")),
           ("chmod_child", lambda: os.chmod(f"{d}/f", 0o600)),
           ("in_subdir", lambda: write_file(f"{d}/sub/g", b"")),
           ("unlink", lambda: os.unlink(f"{d}/h2")),
           ("rmdir", lambda: (os.unlink(f"{d}/sub/g"),
                              os.rmdir(f"{d}/sub"))),
           ("readdir", lambda: os.listdir(d)))
    for name, op in ops:
        t = Times(d)
        op()
        res[name] = t.moved()
    return obs(**res)


# --- directories -------------------------------------------------------------

@rule
def dir_nlink(d):
    """A directory has 2 links and one more per subdirectory."""
    res = dict(empty=nlink(d))
    for i in range(3):
        os.mkdir(f"{d}/s{i}")
    write_file(f"{d}/f", b"")
    os.symlink("s0", f"{d}/l")
    res["three_subdirs"] = nlink(d)
    os.mkdir(f"{d}/s0/deeper")
    res["grandchild"] = nlink(d)
    res["s0"] = nlink(f"{d}/s0")
    os.rmdir(f"{d}/s1")
    res["after_rmdir"] = nlink(d)
    os.rename(f"{d}/s2", f"{d}/s0/moved")
    res["after_move_out"] = nlink(d)
    res["s0_after_move_in"] = nlink(f"{d}/s0")
    res["dotdot_of_moved"] = (os.stat(f"{d}/s0/moved/..").st_ino ==
                              os.stat(f"{d}/s0").st_ino)
    return obs(**res)


def entry_kind(e):
    if e.is_dir(follow_symlinks=False):
        return "d"
    if e.is_symlink():
        return "l"
    return "f" if e.is_file(follow_symlinks=False) else "o"


@rule
def readdir_rule(d):
    names = ["a", "b c", "new\nline", "é", "." * 3, "-dash", "x" * 255]
    for n in names:
        write_file(f"{d}/{n}", b"")
    os.mkdir(f"{d}/dir")
    os.symlink("a", f"{d}/sym")
    os.mkfifo(f"{d}/fifo")
    listed = sorted(os.listdir(d))
    # What readdir's d_type says (scandir asks no stat of its own).
    kinds = sorted(f"{e.name[:4]}:{entry_kind(e)}" for e in os.scandir(d))
    for n in names:
        os.unlink(f"{d}/{n}")
    return obs(same=listed == sorted(names + ["dir", "sym", "fifo"]),
               count=len(listed), kinds=",".join(kinds).replace("\n", "^"),
               after=sorted(os.listdir(d)))


@rule
def mkdir_rules(d):
    os.umask(0o022)
    write_file(f"{d}/f", b"")
    r = E(os.mkdir, f"{d}/new", 0o777)
    return obs(mkdir=r, mode=mode_of(f"{d}/new"), nlink=nlink(f"{d}/new"),
               exists=E(os.mkdir, f"{d}/new"), file=E(os.mkdir, f"{d}/f"),
               missing_parent=E(os.mkdir, f"{d}/nope/x"),
               through_file=E(os.mkdir, f"{d}/f/x"),
               long=E(os.mkdir, f"{d}/" + "d" * 256),
               ok255=E(os.mkdir, f"{d}/" + "d" * 255))


@rule
def name_lengths(d):
    """255 bytes is the longest name, in bytes (a UTF-8 é is two)."""
    res = {}
    for label, name in (("255", "n" * 255), ("256", "n" * 256),
                        ("utf8_254", "é" * 127), ("utf8_256", "é" * 128)):
        res[label] = E(write_file, f"{d}/{name}", b"")
    res["stat_256"] = E(os.stat, f"{d}/" + "n" * 256)
    res["stat_255"] = E(os.stat, f"{d}/" + "n" * 255)
    # A path longer than PATH_MAX, of short enough names.
    res["path_max"] = E(os.stat, f"{d}/" + "/".join(["a" * 200] * 21))
    return obs(**res)


@rule
def statvfs_rule(d):
    v = os.statvfs(d)
    return obs(ffree=v.f_ffree > 0, favail=v.f_favail > 0,
               files=v.f_files >= v.f_ffree, bfree=v.f_bfree <= v.f_blocks,
               bavail=v.f_bavail <= v.f_bfree, namemax=v.f_namemax)


@rule
def statvfs_counts(d):
    """Free inodes go down as files are made, and back as they go."""
    before = os.statvfs(d).f_ffree
    for i in range(10):
        write_file(f"{d}/f{i}", b"")
    during = os.statvfs(d).f_ffree
    for i in range(10):
        os.unlink(f"{d}/f{i}")
    after = os.statvfs(d).f_ffree
    return obs(fewer=during < before, back=after > during)


# --- extended attributes -----------------------------------------------------

@rule
def xattr_basic(d):
    f = f"{d}/f"
    write_file(f, b"")
    res = dict(fresh=sorted(os.listxattr(f)), dir_fresh=sorted(
        os.listxattr(d)))
    t = Times(f)
    res["set"] = E(os.setxattr, f, "user.a", b"value-a")
    res["set_ctime"] = t.moved()
    os.setxattr(f, "user.b", b"")
    os.setxattr(f, "user.bin", bytes(range(256)) * 4)
    res["list"] = sorted(os.listxattr(f))
    res["a"] = os.getxattr(f, "user.a").decode()
    res["empty"] = len(os.getxattr(f, "user.b"))
    res["bin"] = os.getxattr(f, "user.bin") == bytes(range(256)) * 4
    res["missing"] = E(os.getxattr, f, "user.nope")
    t = Times(f)
    res["remove"] = E(os.removexattr, f, "user.a")
    res["remove_ctime"] = t.moved()
    res["after"] = sorted(os.listxattr(f))
    res["removed_get"] = E(os.getxattr, f, "user.a")
    res["remove_missing"] = E(os.removexattr, f, "user.a")
    return obs(**res)


@rule
def xattr_flags(d):
    f = f"{d}/f"
    write_file(f, b"")
    os.setxattr(f, "user.x", b"1")
    return obs(create_exists=E(os.setxattr, f, "user.x", b"2",
                               os.XATTR_CREATE),
               replace_missing=E(os.setxattr, f, "user.y", b"2",
                                 os.XATTR_REPLACE),
               replace=E(os.setxattr, f, "user.x", b"3", os.XATTR_REPLACE),
               create_new=E(os.setxattr, f, "user.z", b"4", os.XATTR_CREATE),
               x=os.getxattr(f, "user.x").decode(),
               y=E(os.getxattr, f, "user.y"),
               overwrite=E(os.setxattr, f, "user.x", b"longer value"),
               x2=os.getxattr(f, "user.x").decode().replace(" ", "_"))


@rule
def xattr_sizes(d):
    f = f"{d}/f"
    write_file(f, b"")
    os.setxattr(f, "user.v", b"0123456789")
    return obs(query=E(getxattr_size, f, "user.v", 0),
               length=getxattr_size(f, "user.v", 0),
               small_buffer=E(getxattr_size, f, "user.v", 4),
               exact=E(getxattr_size, f, "user.v", 10),
               big_value=E(os.setxattr, f, "user.big", b"v" * 4000),
               big_back=len(os.getxattr(f, "user.big"))
               if exists(f) and "user.big" in os.listxattr(f) else "-",
               name_255=E(os.setxattr, f, "user." + "n" * 250, b"1"),
               name_256=E(os.setxattr, f, "user." + "n" * 251, b"1"),
               empty_name=E(os.setxattr, f, "", b"1"),
               other_ns=E(os.setxattr, f, "bogus.x", b"1"))


@rule
def xattr_kinds(d):
    """user.* on directories, not on symlinks (Linux); lgetxattr does not
    follow."""
    os.mkdir(f"{d}/dir")
    write_file(f"{d}/f", b"")
    os.symlink("f", f"{d}/s")
    return obs(dir=E(os.setxattr, f"{d}/dir", "user.d", b"dir"),
               dir_get=os.getxattr(f"{d}/dir", "user.d").decode(),
               dir_list=sorted(os.listxattr(f"{d}/dir")),
               symlink=E(os.setxattr, f"{d}/s", "user.l", b"1",
                         follow_symlinks=False),
               via_symlink=E(os.setxattr, f"{d}/s", "user.t", b"target"),
               target_list=sorted(os.listxattr(f"{d}/f")),
               link_list=sorted(os.listxattr(f"{d}/s",
                                             follow_symlinks=False)))


@rule
def xattr_nonowner(d):
    """user.* needs write permission; reading needs read permission."""
    write_file(f"{d}/rw", b"", 0o666)
    write_file(f"{d}/ro", b"", 0o644)
    write_file(f"{d}/none", b"", 0o600)
    os.setxattr(f"{d}/none", "user.k", b"v")
    other = as_other(lambda: obs(
        rw=E(os.setxattr, f"{d}/rw", "user.o", b"1"),
        ro=E(os.setxattr, f"{d}/ro", "user.o", b"1"),
        get_none=E(os.getxattr, f"{d}/none", "user.k"),
        list_none=E(os.listxattr, f"{d}/none"),
        remove_ro=E(os.removexattr, f"{d}/ro", "user.o")))
    return obs(other=f"[{other}]", rw=sorted(os.listxattr(f"{d}/rw")))


@rule
def xattr_survives(d):
    """Extended attributes stay with the inode across rename and link."""
    write_file(f"{d}/a", b"")
    os.setxattr(f"{d}/a", "user.k", b"kept")
    os.rename(f"{d}/a", f"{d}/b")
    os.link(f"{d}/b", f"{d}/c")
    os.setxattr(f"{d}/c", "user.via_c", b"1")
    return obs(b=sorted(os.listxattr(f"{d}/b")),
               k=os.getxattr(f"{d}/b", "user.k").decode())


@rule
def xattr_bpfam_hidden(d):
    """No file, directory or symlink lists a user.bpfam.* name, but what was
    set by the user."""
    os.mkdir(f"{d}/dir")
    write_file(f"{d}/f", pattern(5000))
    os.symlink("f", f"{d}/s")
    names = set()
    for p in (d, f"{d}/dir", f"{d}/f"):
        names.update(os.listxattr(p))
    names.update(os.listxattr(f"{d}/s", follow_symlinks=False))
    return obs(names=sorted(names),
               root=[n for n in os.listxattr(os.path.dirname(d))
                     if n.startswith("user.bpfam.")])


@rule
def xattr_bpfam_set(d):
    """user.bpfam.fmap is not the user's to set: tmpfs takes it as any
    user.* name, bpfam refuses it (by design, see posix.sh)."""
    write_file(f"{d}/f", b"")
    return obs(set=E(os.setxattr, f"{d}/f", "user.bpfam.fmap", b"x"),
               remove=E(os.removexattr, f"{d}/f", "user.bpfam.fmap"))


# --- running -----------------------------------------------------------------

def on_alarm(signum, frame):
    raise RuleTimeout()


def run(top, only):
    names = only or list(RULES)
    unknown = [n for n in names if n not in RULES]
    if unknown:
        print(f"posix.py: no such rule: {' '.join(unknown)}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, on_alarm)
    for name in names:
        os.umask(0o022)
        d = os.path.join(top, name)
        try:
            os.mkdir(d)
            os.chmod(d, 0o777)
            signal.alarm(RULE_SECONDS)
            try:
                out = RULES[name](d)
            finally:
                signal.alarm(0)
        except RuleTimeout:
            out = f"TIMEOUT after {RULE_SECONDS} s"
        except OSError as e:
            # A call the rule did not expect to fail: which, and why.
            what = os.path.basename(str(e.filename)) if e.filename else ""
            out = f"FAILED {ename(e.errno)} ({e.strerror}" + \
                (f": {what})" if what else ")")
        except Exception as e:  # noqa: BLE001 - any failure is an observation
            out = f"FAILED {type(e).__name__}: {e}"
        print(f"{name}: {out}".replace("\n", "\\n"), flush=True)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        print("\n".join(RULES))
        return 0
    if len(argv) in (3, 5) and argv[1] == "run":
        only = None
        if len(argv) == 5:
            if argv[3] != "--only":
                print(__doc__, file=sys.stderr)
                return 2
            only = argv[4].split(",")
        return run(argv[2], only)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
