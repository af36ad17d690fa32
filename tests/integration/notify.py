#!/usr/bin/python3
"""Stand in for systemd: run a daemon with NOTIFY_SOCKET set and report,
when READY=1 arrives, whether MOUNTPOINT was a mount that answered then.

usage: notify.py MOUNTPOINT TIMEOUT CMD...
prints "pid PID", then "ready mounted=0|1 answers=0|1 count=N status=..."
or "noready exit=STATUS" (the daemon ended first) or "noready timeout".
The daemon is left running when it reported ready."""
import os
import socket
import subprocess
import sys
import tempfile
import time


def fuse_mounted(mnt):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == mnt and line.split()[2].startswith("fuse")
                   for line in f)


def answers(mnt):
    # A served mount is another device than its parent directory; stat
    # goes to the daemon, so this also proves that it answers.
    try:
        return os.stat(mnt).st_dev != os.stat(os.path.dirname(mnt)).st_dev
    except OSError:
        return False


def main():
    mnt, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    path = os.path.join(tempfile.mkdtemp(), "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    print("pid", proc.pid, flush=True)
    end = time.monotonic() + timeout
    sock.settimeout(0.1)
    while time.monotonic() < end:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            if proc.poll() is not None:
                print("noready exit=%d" % proc.returncode)
                return
            continue
        if "READY=1" not in msg.split("\n"):
            continue
        mounted, ok = fuse_mounted(mnt), answers(mnt)
        # Anything more within half a second would be a second READY=1.
        count = 1
        sock.settimeout(0.5)
        try:
            while True:
                if "READY=1" in sock.recv(4096).decode().split("\n"):
                    count += 1
        except socket.timeout:
            pass
        status = [l for l in msg.split("\n") if l.startswith("STATUS=")]
        print("ready mounted=%d answers=%d count=%d %s" %
              (mounted, ok, count, status[0] if status else "STATUS="))
        return
    print("noready timeout")


main()
