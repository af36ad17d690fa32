#!/usr/bin/python3
"""Helpers for tests/integration/sharing.sh: files whose every byte says
which file it belongs to, and a reader that checks it.

usage: sharing.py make DIR FIRST COUNT SIZE
           create DIR/fFIRST .. DIR/f(FIRST+COUNT-1), each SIZE bytes of its
           own pattern (open O_CREAT|O_EXCL, ftruncate, write, close)
       sharing.py hold DIR NAMES-FILE READY-FILE GO-FILE DONE-FILE
           open every file named in NAMES-FILE (one per line), touch
           READY-FILE, then read and check each file again and again until
           GO-FILE exists, check once more, close them all and write to
           DONE-FILE "ok N" (N files read, every byte their own) or
           "bad NAME OFFSET" for the first byte that was not
       sharing.py check DIR NAME...
           check NAME's bytes are its own pattern; exit 1 naming the first
           that is not
       sharing.py checkfd FD NAME
           the same for an open file descriptor (of a file unlinked since)
       sharing.py append PATH SRC STOP-FILE
           append SRC's bytes to PATH through one descriptor, then keep it
           open (no close, so no flush) until STOP-FILE exists
       sharing.py errno read PATH | errno writefd FD
           read PATH's first byte, or write 4 bytes at offset 0 of FD;
           print OK or the errno's name
"""
import errno
import os
import sys
import time


def pattern(name, size):
    unit = (name + ":").encode()
    return (unit * (size // len(unit) + 1))[:size]


def make(d, first, count, size):
    for i in range(int(first), int(first) + int(count)):
        name = f"f{i}"
        fd = os.open(os.path.join(d, name),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.ftruncate(fd, int(size))
            os.pwrite(fd, pattern(name, int(size)), 0)
        finally:
            os.close(fd)


def first_bad(fd, name):
    """Offset of the first byte of fd that is not name's, or None."""
    size = os.fstat(fd).st_size
    got = os.pread(fd, size, 0)
    want = pattern(name, size)
    if got == want:
        return None
    if len(got) != size:
        return len(got)
    return next(i for i in range(size) if got[i] != want[i])


def hold(d, names_file, ready, go, done):
    names = open(names_file).read().split()
    fds = {n: os.open(os.path.join(d, n), os.O_RDONLY) for n in names}
    open(ready, "w").close()
    result = None
    while result is None:
        last = os.path.exists(go)
        for n, fd in fds.items():
            off = first_bad(fd, n)
            if off is not None:
                result = f"bad {n} {off}"
                break
        if last and result is None:
            result = f"ok {len(fds)}"
        time.sleep(0.05)
    for fd in fds.values():
        os.close(fd)
    with open(done, "w") as f:
        f.write(result + "\n")


def check_fd(fd, name):
    off = first_bad(fd, name)
    if off is not None:
        print(f"{name}: byte {off} is not its own")
        return 1
    return 0


def io_errno(op, arg):
    try:
        if op == "read":
            fd = os.open(arg, os.O_RDONLY)
            try:
                os.pread(fd, 1, 0)
            finally:
                os.close(fd)
        elif op == "writefd":
            os.pwrite(int(arg), b"xxxx", 0)
        else:
            return f"bad op {op}"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return "OK"


def check(d, names):
    for n in names:
        fd = os.open(os.path.join(d, n), os.O_RDONLY)
        try:
            if check_fd(fd, n):
                return 1
        finally:
            os.close(fd)
    return 0


def append(path, src, stop):
    with open(src, "rb") as f:
        data = memoryview(f.read())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    while data:
        data = data[os.write(fd, data):]
    while not os.path.exists(stop):
        time.sleep(0.05)
    os.close(fd)


def main():
    op = sys.argv[1]
    if op == "make":
        make(*sys.argv[2:6])
        return 0
    if op == "hold":
        hold(*sys.argv[2:7])
        return 0
    if op == "check":
        return check(sys.argv[2], sys.argv[3:])
    if op == "errno":
        print(io_errno(sys.argv[2], sys.argv[3]))
        return 0
    if op == "append":
        append(*sys.argv[2:5])
        return 0
    if op == "checkfd":
        return check_fd(int(sys.argv[2]), sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
