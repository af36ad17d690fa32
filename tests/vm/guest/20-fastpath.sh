#!/bin/bash
# The kernel fast path (kpatch/), zero upcalls: after open, reading and
# writing a 256 MiB file with read()/write(), with sendfile() (busybox cat
# and fastio) and with mmap sends no READ or WRITE request to bpfamd (its
# counters stay put) while the kernel's fast-path counters move.  Also: the
# default mode (auto) picks the fast path on this kernel and a real devdax,
# and mode=fast mounts.  Fails (never skips) without the fast path.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
SIZE=$((256 << 20))
F=$MNT/big
need_or_end bpfam bpfamd fastio jq

check_cmd "bpfam mkfs $DEV" bpfam mkfs --force $DEV

# mode=auto (the default) must choose the fast path here
if mount_bpfam $DEV $MNT; then
	check "the default mode (auto) serves $DEV in fast mode" \
		test "$(sv "$(stats $MNT)" .mode)" = fast
	sv "$(stats $MNT)" '"# default mount: mode \(.mode) \(.mode_reason // "")"'
	unmount_bpfam "default mount" $MNT
else
	not_ok "bpfamd $DEV $MNT (default mode) mounts"
fi

if ! mount_bpfam $DEV $MNT -o mode=fast; then
	not_ok "bpfamd -o mode=fast $DEV $MNT mounts"
	tap_done
	exit 1
fi
ok "bpfamd -o mode=fast $DEV $MNT mounts"
check_fast "mode=fast" $MNT || {
	unmount_bpfam "not fast" $MNT
	tap_done
	exit 1
}
check_cmd "bpfam creat -s 256M $F" bpfam creat -s 256M $F

# Open once so that the file's lookup and open are behind us; from here on
# only data requests could reach the daemon.
exec 3<"$F"
s0=$(stats $MNT)

# read()/write()
check_cmd "pwrite() of 256 MiB (1 MiB calls) through the fast path" fastio write $F 1
s1=$(stats $MNT)
check_no_upcalls "pwrite() of 256 MiB" "$s0" "$s1"
check_kernel_moved "pwrite() of 256 MiB" "$s0" "$s1" writes 256
check_kernel_moved "pwrite() of 256 MiB" "$s0" "$s1" write_bytes $SIZE
check_cmd "pread() of 256 MiB returns what pwrite() stored" fastio read $F 1
s2=$(stats $MNT)
check_no_upcalls "pread() of 256 MiB" "$s1" "$s2"
check_kernel_moved "pread() of 256 MiB" "$s1" "$s2" reads 256
check_kernel_moved "pread() of 256 MiB" "$s1" "$s2" read_bytes $SIZE

# sendfile: busybox cat copies with sendfile(), i.e. splice_read
check "busybox cat (sendfile) of 256 MiB returns the same bytes" \
	bash -c "cat $F | fastio check 1 $SIZE"
check "busybox cat (sendfile) of 256 MiB to /dev/null" bash -c "cat $F >/dev/null"
s3=$(stats $MNT)
check_no_upcalls "busybox cat (sendfile) twice" "$s2" "$s3"
check_kernel_moved "busybox cat (sendfile) twice" "$s2" "$s3" read_bytes $((2 * SIZE))
check_cmd "sendfile() of 256 MiB into the file (splice_write)" fastio sendfile-write $F 2
check_cmd "sendfile() of 256 MiB out of the file returns it (splice_read)" fastio sendfile-read $F 2
check "dd (read/write) of 256 MiB sees what sendfile() wrote" \
	bash -c "dd if=$F bs=1M 2>/dev/null | fastio check 2 $SIZE"
s4=$(stats $MNT)
check_no_upcalls "sendfile() in and out, dd" "$s3" "$s4"
check_kernel_moved "sendfile() in" "$s3" "$s4" write_bytes $SIZE
check_kernel_moved "sendfile() out, dd" "$s3" "$s4" read_bytes $((2 * SIZE))

# mmap
out=$(fastio mmap-write $F 3 2>&1)
check "stores through a shared mapping of 256 MiB ($out)" test $? -eq 0
out=$(fastio mmap-read $F 3 2>&1)
check "loads through a shared mapping of 256 MiB return them ($out)" test $? -eq 0
check_cmd "pread() sees the mapping's stores" fastio read $F 3
s5=$(stats $MNT)
check_no_upcalls "mmap stores and loads, pread()" "$s4" "$s5"
check_kernel_moved "mmap stores and loads" "$s4" "$s5" faults 2

# the whole run, in one line
check_no_upcalls "the whole 256 MiB run (write, read, sendfile, mmap)" "$s0" "$s5"
echo "# daemon: $(daemon_io "$s5")"
echo "# kernel: $(kernel_io "$s5")"
check "no kernel fast-path errors in the run" \
	test "$(delta "$s0" "$s5" .kernel.errors)" -eq 0

exec 3<&-
unmount_bpfam "end" $MNT
check "the kernel logged no oops" kernel_ok
show_log /tmp/bpfamd.log
tap_done
