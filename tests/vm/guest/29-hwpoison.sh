#!/bin/bash
# Memory failure on a bpfam file (kpatch 0002 + 0007): MADV_HWPOISON on a
# page of a fast-path mapping makes device-dax tell fuse; reads of that page
# then fail with EIO (a read into it is short), loads get SIGBUS, the rest
# of the file and other files keep working, the kernel stays up.  Runs
# last among the single-guest tests: the failed range stays failed for the
# life of the connection.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
P=$((4 << 20)) # the poisoned page's file offset
need_or_end bpfam bpfamd fastio jq

fast_mount $DEV $MNT

A=$MNT/poisoned
B=$MNT/other
check_cmd "bpfam creat -s 8M $A" bpfam creat -s 8M $A
check_cmd "bpfam creat -s 8M $B" bpfam creat -s 8M $B
check_cmd "pwrite() a pattern into $A" fastio write $A 41
check_cmd "pwrite() a pattern into $B" fastio write $B 42
out=$(fastio mmap-read $B 42 2>&1)
check "$B is mapped and read before the poison ($out)" test $? -eq 0

dmesg -c >/dev/null 2>&1
check_cmd "madvise(MADV_HWPOISON) on the page at 4 MiB of a mapping of $A" \
	fastio poison $A $P
dmesg | grep -iE 'memory failure|hwpoison|fmap' | head -5 | sed 's/^/#   /'

r=$(fastio pread $A $P 4096)
check "pread() of the poisoned page fails with EIO (got: $r)" test "$r" = EIO
r=$(fastio pread $A $((P + 100)) 100)
check "pread() inside the poisoned page fails with EIO (got: $r)" test "$r" = EIO
r=$(fastio pread $A $((P - 4096)) 8192)
check "pread() running into the poisoned page is short: 4096 (got: $r)" \
	test "$r" = "ok 4096"
r=$(fastio pread $A $((P - 4096)) 4096)
check "pread() of the page before it works (got: $r)" test "$r" = "ok 4096"
r=$(fastio pread $A $((P + 4096)) 4096)
check "pread() of the page after it works (got: $r)" test "$r" = "ok 4096"
r=$(fastio pwrite $A $P 4096)
check "pwrite() to the poisoned page fails with EIO (got: $r)" test "$r" = EIO
r=$(fastio touch $A $P)
check "a load from the poisoned page through a new mapping gets SIGBUS (got: $r)" \
	test "$r" = SIGBUS
r=$(fastio touch $A $((P + 4096)))
check "a load from the next page through a new mapping works (got: $r)" test "$r" = ok
check "dd of the first 4 MiB of $A (before the poison) reads its pattern" \
	bash -c "dd if=$A bs=1M count=4 2>/dev/null | fastio check 41 $P"

check_cmd "the other file reads right with pread()" fastio read $B 42
out=$(fastio mmap-read $B 42 2>&1)
check "the other file reads right through a new mapping ($out)" test $? -eq 0
check_cmd "the other file takes writes" fastio write $B 43
check_cmd "and reads them back" fastio read $B 43
check_cmd "a new file can be created, written and read" \
	bash -c "bpfam creat -s 4M $MNT/after && fastio write $MNT/after 44 && fastio read $MNT/after 44"

unmount_bpfam "end" $MNT
check_cmd "bpfam fsck $DEV after the memory failure" bpfam fsck $DEV
check "the kernel logged no oops" kernel_ok
tap_done
