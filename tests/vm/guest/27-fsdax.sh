#!/bin/bash
# fs/dax guarantees of the fast path (kpatch: fmap files on fs/dax):
# (1) a page pinned by I/O in flight (an O_DIRECT write from a mapping of
# the file into a file of a second bpfamd, stopped so that it does not
# answer) holds up a truncation of the file until the pin drops, so the
# server is not told the range is free while DMA may still reach it;
# (2) msync() and fsync() write back the pages stores dirtied, and only
# those (fs_dax tracepoint dax_writeback_one, counted per file); (3) a
# device registered read-only (a read-only mount) is never stored to, in
# any fault order, even once the mount is remounted read-write.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
SLOW=/mnt/slow
SLOWIMG=/tmp/slow.img
F=$MNT/pinned
TR=/sys/kernel/tracing
need_or_end bpfam bpfamd fastio

fast_mount $DEV $MNT
check_cmd "bpfam creat -s 8M $F" bpfam creat -s 8M $F
check_cmd "pwrite() a pattern into it" fastio write $F 71

# --- 1: truncation waits for a pinned page -----------------------------------
mkdir -p $SLOW
check_cmd "a second bpfam on a 64 MiB file ($SLOWIMG)" \
	bash -c "truncate -s 64M $SLOWIMG && bpfam mkfs --force $SLOWIMG >/dev/null"
fastpid=$(pidof bpfamd)
check "bpfamd -o mode=fallback $SLOWIMG $SLOW mounts" \
	mount_bpfam $SLOWIMG $SLOW -o mode=fallback
slowpid=$(for p in $(pidof bpfamd); do [ "$p" = "$fastpid" ] || echo "$p"; done)
if ! [ "$slowpid" -gt 0 ] 2>/dev/null; then
	not_ok "the second bpfamd runs (pids: $(pidof bpfamd))"
	tap_done
	exit 1
fi
# said_in FILE WORD: wait up to 10 s for WORD in FILE
said_in() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
# 1 MiB from 6 MiB of F, pinned for an O_DIRECT write to the stopped server
rm -f /tmp/odirect.go
fastio odirect $F $((6 << 20)) $((1 << 20)) $SLOW/sink /tmp/odirect.go \
	>/tmp/odirect.out 2>&1 &
odpid=$!
check "F mapped, $SLOW/sink open with O_DIRECT" said_in /tmp/odirect.out ready
check_cmd "SIGSTOP the second bpfamd (pid $slowpid): its files' writes wait" \
	kill -STOP "$slowpid"
touch /tmp/odirect.go
check "the O_DIRECT write from F's mapping is in flight" \
	said_in /tmp/odirect.out writing
sleep 1
truncate -s 4M $F &
trpid=$!
sleep 2
check "truncate -s 4M of F waits while a page past 4 MiB is pinned" \
	kill -0 $trpid
check "F still has its 8 MiB meanwhile" test "$(stat -c %s $F)" = $((8 << 20))
check_cmd "SIGCONT the second bpfamd: the write completes, the pin drops" \
	kill -CONT "$slowpid"
wait $odpid
check "the O_DIRECT write wrote its 1 MiB ($(tail -1 /tmp/odirect.out))" \
	grep -qx "ok 1048576" /tmp/odirect.out
wait $trpid
check "then the truncation completes" test $? -eq 0
check "F is 4 MiB" test "$(stat -c %s $F)" = $((4 << 20))
check "what F keeps reads its pattern" \
	bash -c "fastio read $F 71"
check_cmd "umount $SLOW" umount $SLOW
for _ in $(seq 100); do
	kill -0 "$slowpid" 2>/dev/null || break
	sleep 0.1
done

# --- 2: writeback of what stores dirtied -------------------------------------
# writebacks FILE: the dax_writeback_one events of FILE's inode so far
writebacks() {
	grep -c "dax_writeback_one:.* ino $(printf '%#x' "$(stat -c %i "$1")") " \
		$TR/trace
}
[ -d $TR/events ] || mount -t tracefs tracefs $TR 2>/dev/null
if [ -d $TR/events/fs_dax/dax_writeback_one ]; then
	ok "the kernel has the fs_dax tracepoint dax_writeback_one"
	echo 1 >$TR/events/fs_dax/dax_writeback_one/enable
	echo >$TR/trace
	W=$MNT/written
	check_cmd "bpfam creat -s 8M $W" bpfam creat -s 8M $W
	check_cmd "stores through a shared mapping of $W, then msync()" \
		fastio mmap-write $W 72
	n1=$(writebacks $W)
	check "msync() wrote dirty pages back (dax_writeback_one: $n1)" \
		test "$n1" -ge 1
	check_cmd "loads through a mapping of $W, then msync()" \
		fastio mmap-read $W 72
	n2=$(writebacks $W)
	check "nothing dirty, nothing written back ($n2 after $n1)" \
		test "$n2" = "$n1"
	check_cmd "stores again, then msync()" fastio mmap-write $W 73
	n3=$(writebacks $W)
	check "the new stores are written back ($n3 after $n2)" test "$n3" -gt "$n2"
	check_cmd "pread() sees them" fastio read $W 73
	echo 0 >$TR/events/fs_dax/dax_writeback_one/enable
else
	not_ok "the kernel has the fs_dax tracepoint dax_writeback_one"
fi

# --- 3: a device registered read-only stays unwritable, any fault order ---
# A read-only mount registers the device read-only; remounted read-write,
# writes reach the kernel, which must refuse to store to the device.
R=$MNT/readonly
check_cmd "bpfam creat -s 8M $R" bpfam creat -s 8M $R
check_cmd "pwrite() a pattern into it" fastio write $R 74
unmount_bpfam "rw" $MNT
check "bpfamd -o mode=fast,ro mounts: the device is registered read-only" \
	mount_bpfam $DEV $MNT -o mode=fast,ro
check_cmd "mount -o remount,rw $MNT" mount -o remount,rw $MNT
r=$(fastio pwrite $R 4096 4096)
check "pwrite() is refused by the kernel: EIO (got: $r)" test "$r" = EIO
r=$(fastio store $R 8192)
check "a store through a fresh mapping gets SIGBUS (got: $r)" test "$r" = SIGBUS
r=$(fastio store $R 12288 load)
check "a store to a page mapped by a load gets SIGBUS (got: $r)" test "$r" = SIGBUS
r=$(fastio store $R $((2 << 20)) load)
check "a store to a 2 MiB page mapped by a load gets SIGBUS (got: $r)" \
	test "$r" = SIGBUS
check_cmd "$R still reads its pattern" fastio read $R 74

unmount_bpfam "end" $MNT
check "the kernel logged no oops" kernel_ok
tap_done
