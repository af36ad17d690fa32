#!/bin/bash
# Memory failure on a bpfam file (kpatch: device-dax tells fuse, fs/dax
# gave the page its file): MADV_HWPOISON on a page of a fast-path mapping
# sends the process that poisoned it SIGBUS BUS_MCEERR_AR at the page's
# address.  Other processes that map the page follow Linux's policy: one
# that asked for the early kill (prctl PR_MCE_KILL_EARLY, or sysctl
# vm.memory_failure_early_kill) gets BUS_MCEERR_AO at once, the others
# BUS_MCEERR_AR when they next touch it; processes that map other pages or
# files get nothing.  None of it waits for a server stuck inside a
# SETATTR of the file.  Reads of the page then fail with EIO (a read into
# it is short), loads get SIGBUS, the rest of the file and other files keep
# working, the kernel stays up.  Runs last among the single-guest tests:
# the failed range stays failed for the life of the connection.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
P=$((4 << 20)) # the poisoned page's file offset
GO=/tmp/poison.go
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

# said_mapped FILE: wait up to 10 s for "mapped" in FILE
said_mapped() {
	for _ in $(seq 100); do
		grep -q mapped "$1" && return 0
		sleep 0.1
	done
	return 1
}
rm -f $GO
fastio victim $A $P 15 >/tmp/v.same 2>&1 &
vs=$!
fastio victim $A $P 15 early >/tmp/v.early 2>&1 &
ve=$!
fastio victim $A $((P + 8192)) 15 >/tmp/v.page 2>&1 &
vp=$!
fastio victim $B $P 15 >/tmp/v.file 2>&1 &
vf=$!
fastio poison $A $P $GO >/tmp/poisoner 2>&1 &
pp=$!
for f in /tmp/v.same /tmp/v.early /tmp/v.page /tmp/v.file /tmp/poisoner; do
	check "$f: its page is mapped" said_mapped $f
done

# The server stuck in a SETATTR of A, which holds A's invalidate_lock
dpid=$(pidof bpfamd)
if ! [ "$dpid" -gt 0 ] 2>/dev/null; then
	not_ok "one bpfamd runs (pids: $dpid)"
	tap_done
	exit 1
fi
check_cmd "SIGSTOP bpfamd" kill -STOP "$dpid"
truncate -s 6M $A &
tp=$!
sleep 1
check "truncate -s 6M of $A waits for the stopped server" kill -0 $tp
dmesg -c >/dev/null 2>&1
touch $GO
for _ in $(seq 200); do
	grep -q poisoned /tmp/poisoner && break
	sleep 0.1
done
check "MADV_HWPOISON did not wait for the server stuck in SETATTR" \
	grep -q poisoned /tmp/poisoner
r=$(tail -1 /tmp/poisoner)
check "the poisoner gets SIGBUS BUS_MCEERR_AR at the page (got: $r)" \
	test "$r" = "poisoned sigbus AR addr ok"
check_cmd "SIGCONT bpfamd" kill -CONT "$dpid"
wait $tp
check "the truncation then completes" test "$(stat -c %s $A)" = $((6 << 20))
wait $pp $vs $ve $vp $vf
# victim FILE WHAT EXPECT: line WHAT ("wait" or "load") of victim FILE
victim() { test "$(sed -n "s/^$2 //p" "$1")" = "$3"; }
check "a process mapping the same page gets nothing at once (late kill)" \
	victim /tmp/v.same wait none
check "... and SIGBUS BUS_MCEERR_AR at the page when it loads from it" \
	victim /tmp/v.same load "sigbus AR addr ok"
check "one that asked for the early kill gets BUS_MCEERR_AO at the page at once" \
	victim /tmp/v.early wait "sigbus AO addr ok"
# untouched FILE: victim FILE got no signal and its load worked
untouched() { victim "$1" wait none && victim "$1" load ok; }
check "a process mapping another page of $A gets nothing, loads fine" \
	untouched /tmp/v.page
check "a process mapping a page of $B gets nothing, loads fine" \
	untouched /tmp/v.file
for f in /tmp/v.same /tmp/v.early /tmp/v.page /tmp/v.file; do
	sed "s|^|#   $f: |" $f
done
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
