#!/bin/bash
# Two-guest test, guest B (client): once A has written its file, mount the
# same memory (a client mount of the file system A made) and read the file.
. /vmtests/tap.sh
. /vmtests/guest/lib.sh

DEV=/dev/dax0.0
MNT=/mnt/bpfam
have=0
need bpfam bpfamd && have=1
check "B: /dev/dax0.0 came up from the info block A wrote" test -c $DEV
vm_barrier "01-share written" || not_ok "B: guest A reached 'written'"
if [ "$have" = 1 ]; then
	# B's machine-id is not the primary's: a client mount (said explicitly)
	if mount_bpfam $DEV $MNT -o role=client; then
		ok "B: bpfamd -o role=client mounts the file system A made"
		pattern /tmp/shared.ref 100000
		check "B: the file A wrote is there" test -f $MNT/shared
		check "B: its size is right" \
			test "$(stat -c %s $MNT/shared 2>/dev/null)" = "$(stat -c %s /tmp/shared.ref)"
		check "B: cat returns exactly A's bytes" cmp $MNT/shared /tmp/shared.ref
		check "B: mmap returns exactly A's bytes" mmapcheck cmp $MNT/shared /tmp/shared.ref
		check "B: umount $MNT" umount $MNT
	else
		not_ok "B: bpfamd -o role=client mounts the file system A made"
	fi
fi
vm_barrier "01-share read" || not_ok "B: guest A reached 'read'"
show_log /tmp/bpfamd.log
tap_done
