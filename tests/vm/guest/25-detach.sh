#!/bin/bash
# The fast path falls back safely when its resolver goes (kpatch 0004,
# 0006): with a file mapped and open, (1) the struct_ops link is detached
# behind the daemon's back (bpftool link detach): what was mapped before
# stays readable (the device is still held), a new page fault gets SIGBUS
# and pread() goes to the daemon, which fails it with EIO: the daemon lent
# the device's data range to the kernel at mount (fused/lending.c) and
# maps only the metadata, so it cannot serve file data itself, and says
# so rather than touch memory it no longer maps; (2) the daemon is killed with
# SIGKILL: the aborted connection zaps every mapping and gives the device
# back at once, so old and new pages get SIGBUS, pread() ENOTCONN, and a
# new bpfamd registers the device while the dead mount is still there and
# one of its files still open, and finds the data intact; (3) the device
# is unbound from device_dax under the mount: mappings zapped, pread EIO,
# and once bound again a new bpfamd serves the data intact; (4) the same
# under a running bpfamd: its own mapping of the metadata goes too, and it
# exits with status 1 and one line saying so (fused/memerr.c), not of a
# silent SIGBUS.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/held
SEED=61
need_or_end bpfam bpfamd fastio bpftool jq

# daemon_gone: no bpfamd runs, within 5 s
daemon_gone() {
	for _ in $(seq 50); do
		pidof bpfamd >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# struct_ops_link: the id of the attached fuse_fmap_ops link
struct_ops_link() {
	bpftool -j link show 2>/dev/null |
		jq -r '[.[] | select(.type == "struct_ops")][0].id // empty'
}

fast_mount $DEV $MNT
check_cmd "bpfam creat -s 8M $F" bpfam creat -s 8M $F
check_cmd "pwrite() a pattern into it" fastio write $F $SEED

# --- 1: the resolver detached, the daemon alive ------------------------------
check "a process maps $F and reads its first 4 MiB" hold_start $F $SEED
link=$(struct_ops_link)
check "bpftool lists the fuse_fmap_ops link (id ${link:-none})" test -n "$link"
s0=$(stats $MNT)
check_cmd "bpftool link detach id $link" bpftool link detach id "${link:-0}"
hold_finish
check "detached: the pages mapped before still read the pattern" said "old ok"
check "detached: a new page fault gets SIGBUS" said "new SIGBUS"
check "detached: pread() reaches the daemon, which cannot serve a lent device: EIO" \
	said "pread EIO"
s1=$(stats $MNT)
d=$(delta "$s0" "$s1" .requests.read)
check "detached: the daemon got the READ request (+$d)" test "$d" -ge 1
check "detached: the daemon is alive (it touched nothing it does not map)" \
	test -n "$(pidof bpfamd)"
check "detached: the kernel logged no oops" kernel_ok
unmount_bpfam "detached" $MNT

# --- 2: the daemon killed ----------------------------------------------------
if ! mount_bpfam $DEV $MNT -o mode=fast || ! check_fast "remount" $MNT; then
	not_ok "bpfamd -o mode=fast mounts the device again"
	tap_done
	exit 1
fi
ok "bpfamd -o mode=fast mounts the device again"
check "a process maps $F and reads its first 4 MiB again" hold_start $F $SEED
exec 6<$F
check_cmd "SIGKILL bpfamd" kill -KILL "$(pidof bpfamd)"
check "bpfamd is gone" daemon_gone
hold_finish
check "killed: the pages mapped before are gone: SIGBUS" said "old SIGBUS"
check "killed: a new page fault gets SIGBUS" said "new SIGBUS"
check "killed: pread() fails with ENOTCONN" \
	grep -q '^pread errno 107 ' /tmp/hold.out
check "killed: the kernel logged no oops" kernel_ok

# The device went back with the connection's abort, not with its last
# file: a new daemon registers it while the dead mount is still there and
# a file of it still open.
M2=/mnt/bpfam2
if mount_bpfam $DEV $M2 -o mode=fast && check_fast "restart" $M2; then
	ok "a new bpfamd -o mode=fast registers the device, the dead mount still open"
	check_cmd "the data written before the kill is intact (fast path)" \
		fastio read $M2/held $SEED
	unmount_bpfam "end" $M2
else
	not_ok "a new bpfamd -o mode=fast registers the device, the dead mount still open"
	show_log /tmp/bpfamd.log
fi
exec 6<&-
check_cmd "the dead mount goes with umount -l" umount -l $MNT
check "the kernel logged no oops" kernel_ok

# rebind_and_read: bind dax0.0 to device_dax again; a new bpfamd serves $F
# on the fast path with its data intact
rebind_and_read() {
	check_cmd "bind it again" sh -c "echo dax0.0 >$DRV/bind"
	if mount_bpfam $DEV $MNT -o mode=fast && check_fast "rebound" $MNT; then
		ok "a new bpfamd mounts the rebound device"
		check_cmd "the data is intact (fast path)" fastio read $F $SEED
		unmount_bpfam "end" $MNT
	else
		not_ok "a new bpfamd mounts the rebound device"
		show_log /tmp/bpfamd.log
	fi
}

# --- 3: the device unbound under the mount -----------------------------------
# Removal: kill_dax() sends the holder MF_MEM_PRE_REMOVE, and before the
# unbind returns every mapping of the device's files is zapped, their
# entries forgotten and the device marked dead, since its memory may go
# back to the page allocator.  bpfamd is stopped meanwhile (its own mapping
# of the metadata goes too), so the kernel alone answers.
SYS=/sys/bus/dax/devices/dax0.0
DRV=/sys/bus/dax/drivers/device_dax
if mount_bpfam $DEV $MNT -o mode=fast && check_fast "unbind" $MNT; then
	check "a process maps $F and reads its first 4 MiB" hold_start $F $SEED
	dpid=$(pidof bpfamd)
	kill -STOP "$dpid"
	check_cmd "unbind dax0.0 from device_dax under the mount" \
		sh -c "echo dax0.0 >$DRV/unbind"
	hold_go
	check "unbound: the pages mapped before are gone: SIGBUS" said "old SIGBUS"
	check "unbound: a new page fault gets SIGBUS" said "new SIGBUS"
	check "unbound: pread() fails with EIO" said "pread EIO"
	check "unbound: the kernel logged no oops" kernel_ok
	# The holder's close flushes through the daemon: let it end.
	kill -KILL "$dpid"
	kill -CONT "$dpid"
	wait "$HOLD_PID"
	daemon_gone
	umount -l $MNT
	check "the device stays lent while unbound ($(cat $SYS/lend))" \
		test "$(cat $SYS/lend)" != none
	rebind_and_read
else
	not_ok "bpfamd -o mode=fast mounts for the unbind"
fi

# --- 4: the device unbound under a running bpfamd ------------------------------
# In the foreground, so that its log is a file (the guest has no syslog).
GONE_LOG=/tmp/bpfamd-gone.log
bpfamd -f -o mode=fast,heartbeat=100 $DEV $MNT >$GONE_LOG 2>&1 </dev/null &
dpid=$!
if wait_mounted $MNT 30 && check_fast "unbind under bpfamd" $MNT; then
	check_cmd "unbind dax0.0 under a running bpfamd" \
		sh -c "echo dax0.0 >$DRV/unbind"
	status=none
	for _ in $(seq 100); do
		if ! kill -0 $dpid 2>/dev/null; then
			wait $dpid
			status=$?
			break
		fi
		sleep 0.1
	done
	check "bpfamd exits with status 1 within 10 s (status: $status)" \
		test "$status" = 1
	lines=$(grep -c "$DEV: memory at device offset [0-9]* is gone (device unbound, removed or shrunk): exiting; umount $MNT" $GONE_LOG)
	check "it said why in one line ($lines)" test "$lines" -eq 1
	[ "$status" = 1 ] && [ "$lines" -eq 1 ] || show_log $GONE_LOG
	kill -KILL $dpid 2>/dev/null
	umount -l $MNT
	rebind_and_read
else
	not_ok "bpfamd -f -o mode=fast mounts for the unbind under it"
	show_log $GONE_LOG
	kill -KILL $dpid 2>/dev/null
fi
check "the kernel logged no oops" kernel_ok
tap_done
