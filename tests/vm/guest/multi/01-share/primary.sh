#!/bin/bash
# Two-guest test, guest A (primary): make the file system, mount it, write a
# file with a known pattern; keep it mounted while guest B (client) reads it.
. /vmtests/tap.sh
. /vmtests/guest/lib.sh

DEV=/dev/dax0.0
MNT=/mnt/bpfam
ready=0
if need bpfam bpfamd; then
	if bpfam mkfs --force $DEV >/tmp/mkfs.log 2>&1; then
		ok "A: bpfam mkfs $DEV"
		if mount_bpfam $DEV $MNT; then
			ok "A: bpfamd mounts $DEV"
			pattern /tmp/shared.ref 100000
			if bpfam cp /tmp/shared.ref $MNT/shared >/tmp/cp.log 2>&1 &&
				cmp $MNT/shared /tmp/shared.ref; then
				ok "A: wrote $MNT/shared (3.5 MB pattern) and read it back"
				ready=1
			else
				not_ok "A: write $MNT/shared"
				show_log /tmp/cp.log
			fi
		else
			not_ok "A: bpfamd mounts $DEV"
		fi
	else
		not_ok "A: bpfam mkfs $DEV"
		show_log /tmp/mkfs.log
	fi
fi
# Either way, meet B: it must not wait for a file that never comes.
echo "$ready" >/tmp/ready
vm_barrier "01-share written" || not_ok "A: guest B reached 'written'"
vm_barrier "01-share read" || not_ok "A: guest B reached 'read'"
if [ "$ready" = 1 ]; then
	check "A: umount $MNT" umount $MNT
	check_cmd "A: bpfam fsck $DEV after B read the file" bpfam fsck $DEV
fi
show_log /tmp/bpfamd.log
tap_done
