#!/bin/bash
# bpfam on the real /dev/dax0.0: mkfs, fsck, bpfamd mount (the libdaxctl
# path: the daemon maps the devdax device itself), bpfam cp / cat / mmap /
# fio verify, getmap, the pinned fmaps map, umount, fsck again.
. /vmtests/tap.sh
. /vmtests/guest/lib.sh

DEV=/dev/dax0.0
MNT=/mnt/bpfam
need_or_end bpfam bpfamd mmapcheck

check_cmd "bpfam mkfs $DEV" bpfam mkfs --force $DEV
check_cmd "bpfam fsck $DEV after mkfs" bpfam fsck $DEV
if ! mount_bpfam $DEV $MNT; then
	not_ok "bpfamd $DEV $MNT mounts"
	tap_done
	exit 1
fi
ok "bpfamd $DEV $MNT mounts"
check "the mount is FUSE" grep -Eq " $MNT fuse(\.[a-z]*)? " /proc/mounts
pid=$(pidof bpfamd | cut -d' ' -f1)
check "bpfamd maps $DEV itself (libdaxctl path, not the file emulation)" \
	grep -q "$DEV" "/proc/${pid:-0}/maps"

# cp / cat
pattern /tmp/small.ref 1000         # 35000 bytes: not a 2 MiB multiple
pattern /tmp/big.ref 200000         # 7000000 bytes: spans several 2 MiB units
check_cmd "bpfam cp of a 34 KiB file" bpfam cp /tmp/small.ref $MNT/small
check_cmd "bpfam cp of a 6.7 MiB file" bpfam cp /tmp/big.ref $MNT/big
check "cat of the 34 KiB file returns its bytes" \
	bash -c "cat $MNT/small | cmp - /tmp/small.ref"
check "cat of the 6.7 MiB file returns its bytes" \
	bash -c "cat $MNT/big | cmp - /tmp/big.ref"
check "stat size of the 6.7 MiB file" \
	test "$(stat -c %s $MNT/big)" -eq "$(stat -c %s /tmp/big.ref)"
check "ls lists both files" bash -c "ls $MNT | grep -qx small && ls $MNT | grep -qx big"

# mmap: read a copied file; write a created file through a mapping
check "mmap read of the 6.7 MiB file" mmapcheck cmp $MNT/big /tmp/big.ref
check_cmd "bpfam creat -s 8M" bpfam creat -s 8M $MNT/mapped
check "bpfam creat made an 8 MiB file" test "$(stat -c %s $MNT/mapped)" -eq $((8 << 20))
check "mmap write into the created file" mmapcheck write $MNT/mapped /tmp/big.ref
check "read() sees what mmap wrote" \
	bash -c "head -c $(stat -c %s /tmp/big.ref) $MNT/mapped | cmp - /tmp/big.ref"

# fio verify on a bpfam file, through read/write and through mmap
check_cmd "bpfam creat -s 16M for fio" bpfam creat -s 16M $MNT/fio.dat
for engine in psync mmap; do
	if fio --name=bpfam-$engine --filename=$MNT/fio.dat --size=16M --bs=1M \
		--ioengine=$engine --rw=write --verify=crc32c --do_verify=1 \
		--output=/tmp/fio.$engine.log && grep -q 'err= 0' /tmp/fio.$engine.log; then
		ok "fio $engine write + verify on a bpfam file"
	else
		not_ok "fio $engine write + verify on a bpfam file"
		show_log /tmp/fio.$engine.log
	fi
done

# getmap and the pinned fmaps map
check_cmd "bpfam getmap of the 6.7 MiB file" bpfam getmap $MNT/big
bpfam getmap $MNT/big 2>&1 | sed 's/^/#   /'
fmaps=$(ls -d /sys/fs/bpf/bpfam/*/fmaps 2>/dev/null | head -1)
check "fmaps map pinned at /sys/fs/bpf/bpfam/<fs-uuid>/fmaps (${fmaps:-none})" test -n "$fmaps"
if dump=$(bpftool map dump pinned "${fmaps:-/nonexistent}" 2>&1) &&
	grep -q 'dev_off' <<<"$dump"; then
	ok "bpftool map dump pinned shows the fmaps (with BTF field names)"
else
	not_ok "bpftool map dump pinned shows the fmaps (with BTF field names)"
fi
head -40 <<<"$dump" | sed 's/^/#   /'

# unmount: the daemon must go away and leave a clean file system
check "umount $MNT" umount $MNT
check "bpfamd exits after umount" bash -c "for i in \$(seq 30); do
	kill -0 ${pid:-0} 2>/dev/null || exit 0; sleep 1; done; exit 1"
check_cmd "bpfam fsck $DEV after umount" bpfam fsck $DEV
check_cmd "bpfam logdump $DEV" bpfam logdump $DEV
show_log /tmp/bpfamd.log
tap_done
