#!/bin/bash
# Two-guest fast path, guest A (primary): make the file system, mount it in
# fast mode, write a 32 MiB pattern with pwrite() through A's fast path (no
# WRITE request to A's daemon); B reads it through B's fast path.  Then B
# stores a second pattern through a shared mapping, and A reads that with
# pread() and through a mapping, again without its daemon.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/fastshared
ready=0
if need bpfam bpfamd fastio jq; then
	if bpfam mkfs --force $DEV >/tmp/mkfs.log 2>&1; then
		ok "A: bpfam mkfs $DEV"
		if mount_bpfam $DEV $MNT -o mode=fast; then
			ok "A: bpfamd -o mode=fast mounts $DEV"
			if check_fast "A" $MNT &&
				check_cmd "A: bpfam creat -s 32M" bpfam creat -s 32M $F; then
				exec 3<"$F"
				s0=$(stats $MNT)
				if fastio write $F 51 >/tmp/w.log 2>&1; then
					ok "A: pwrite() of a 32 MiB pattern through the fast path"
					ready=1
				else
					not_ok "A: pwrite() of a 32 MiB pattern through the fast path"
					show_log /tmp/w.log
				fi
				s1=$(stats $MNT)
				check_no_upcalls "A: the 32 MiB pwrite()" "$s0" "$s1"
				check_kernel_moved "A: the 32 MiB pwrite()" "$s0" "$s1" write_bytes $((32 << 20))
			fi
		else
			not_ok "A: bpfamd -o mode=fast mounts $DEV"
		fi
	else
		not_ok "A: bpfam mkfs $DEV"
		show_log /tmp/mkfs.log
	fi
fi
# Either way, meet B at every barrier
vm_barrier "02-fastshare written" || not_ok "A: guest B reached 'written'"
vm_barrier "02-fastshare B read" || not_ok "A: guest B reached 'B read'"
vm_barrier "02-fastshare B wrote" || not_ok "A: guest B reached 'B wrote'"
if [ "$ready" = 1 ]; then
	s2=$(stats $MNT)
	check_cmd "A: pread() returns the pattern B stored through its mapping" fastio read $F 52
	out=$(fastio mmap-read $F 52 2>&1)
	check "A: a new mapping returns B's pattern too ($out)" test $? -eq 0
	s3=$(stats $MNT)
	check_no_upcalls "A: reading B's pattern" "$s2" "$s3"
	check_kernel_moved "A: reading B's pattern" "$s2" "$s3" read_bytes $((32 << 20))
	exec 3<&-
fi
vm_barrier "02-fastshare A read" || not_ok "A: guest B reached 'A read'"
vm_barrier "02-fastshare B unmounted" || not_ok "A: guest B reached 'B unmounted'"
if [ "$ready" = 1 ]; then
	unmount_bpfam "A" $MNT
	check_cmd "A: bpfam fsck $DEV" bpfam fsck $DEV
fi
show_log /tmp/bpfamd.log
tap_done
