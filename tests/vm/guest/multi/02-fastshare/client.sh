#!/bin/bash
# Two-guest fast path, guest B (client): mount A's file system in fast
# mode, read A's 32 MiB pattern with pread() and through a mapping with no
# READ request to B's daemon (its kernel counters move), then store a second
# pattern through a shared mapping for A to read.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/fastshared
have=0
need bpfam bpfamd fastio jq && have=1
check "B: /dev/dax0.0 came up from the info block A wrote" test -c $DEV
vm_barrier "02-fastshare written" || not_ok "B: guest A reached 'written'"
mounted=0
if [ "$have" = 1 ]; then
	if mount_bpfam $DEV $MNT -o role=client,mode=fast; then
		ok "B: bpfamd -o role=client,mode=fast mounts A's file system"
		mounted=1
		check_fast "B" $MNT
		check "B: A's file is there, 32 MiB" \
			test "$(stat -c %s $F 2>/dev/null)" = $((32 << 20))
		exec 3<"$F"
		s0=$(stats $MNT)
		check_cmd "B: pread() returns exactly A's pattern" fastio read $F 51
		out=$(fastio mmap-read $F 51 2>&1)
		check "B: a shared mapping returns exactly A's pattern ($out)" test $? -eq 0
		s1=$(stats $MNT)
		check_no_upcalls "B: reading A's 32 MiB" "$s0" "$s1"
		check_kernel_moved "B: reading A's 32 MiB" "$s0" "$s1" read_bytes $((32 << 20))
		check_kernel_moved "B: reading A's 32 MiB" "$s0" "$s1" faults 16
	else
		not_ok "B: bpfamd -o role=client,mode=fast mounts A's file system"
	fi
fi
vm_barrier "02-fastshare B read" || not_ok "B: guest A reached 'B read'"
if [ "$mounted" = 1 ]; then
	out=$(fastio mmap-write $F 52 2>&1)
	check "B: stores a second pattern through a shared mapping ($out)" test $? -eq 0
	check_no_upcalls "B: the mapping's stores" "$s1" "$(stats $MNT)"
fi
vm_barrier "02-fastshare B wrote" || not_ok "B: guest A reached 'B wrote'"
vm_barrier "02-fastshare A read" || not_ok "B: guest A reached 'A read'"
if [ "$mounted" = 1 ]; then
	exec 3<&-
	unmount_bpfam "B" $MNT
fi
vm_barrier "02-fastshare B unmounted" || not_ok "B: guest A reached 'B unmounted'"
show_log /tmp/bpfamd.log
tap_done
