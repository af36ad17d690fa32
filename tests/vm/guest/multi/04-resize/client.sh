#!/bin/bash
# Sizes that change on the fast path, guest B (client, its own host id,
# fast mode).  B mounts once A's F has 16 MiB, maps 64 MiB of it and opens
# it, and follows it while A appends up to 64 MiB: its size follows within
# a few heartbeats and every size B sees holds A's pattern up to the end.
# B cannot change the size (truncate, append, O_TRUNC, fallocate: EROFS).
# When A truncates F to 10 MiB + 4 KiB, B's size shrinks, reads past the
# end give EOF, B's mapping gets SIGBUS past the end and keeps working below
# it; when A grows F back, B reads zeros past the old end, through the
# same mapping and fd.
. /vmtests/guest/fastlib.sh
# shellcheck source=tests/vm/guest/multi/04-resize/common.sh
. "$(dirname "$0")/common.sh"
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
ID_B=b0000000000000000000000000000004
FOLLOW_PID=

# ms_since T: milliseconds since T (an $EPOCHREALTIME)
ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# wait_size SIZE: until stat says F has SIZE bytes (10 s at most); how long
# it took in WAITED (ms)
wait_size() {
	local t0=$EPOCHREALTIME
	for _ in $(seq 100); do
		[ "$(stat -c %s $F 2>/dev/null)" = "$1" ] && break
		sleep 0.1
	done
	WAITED=$(ms_since "$t0")
	[ "$(stat -c %s $F 2>/dev/null)" = "$1" ]
}

# check_size WHAT SIZE: a check that F reaches SIZE bytes within 10 s
check_size() {
	if wait_size "$2"; then
		ok "$1 (after $WAITED ms)"
	else
		not_ok "$1 (still $(stat -c %s $F 2>&1) after $WAITED ms)"
	fi
}

# erofs CMD...: CMD fails saying "Read-only file system"
erofs() {
	local out
	out=$("$@" 2>&1) && return 1
	echo "# $*: $out"
	[[ $out == *"Read-only file system"* ]]
}

# follow_ok: every size the follower saw was one A logged (16 MiB, then
# 8 MiB steps) and held A's pattern up to its end, and it saw 64 MiB
# Sizes only grow; A's heartbeat logs the size of a file it is still
# appending to, so B may see sizes between A's steps too.
follow_ok() {
	local size kind n=0 last=$FIRST
	while read -r _ size kind; do
		[ "$kind" = pattern ] || return 1
		[ "$size" -ge "$last" ] || return 1
		last=$size
		n=$((n + 1))
	done </tmp/follow.out
	[ "$n" -ge 2 ] && [ "$(tail -1 /tmp/follow.out)" = "size $FULL pattern" ]
}

start=$(date +%s)
have=0
need bpfam bpfamd fastio jq && have=1
check "B: /dev/dax0.0 came up from the info block A wrote" test -c $DEV
vm_barrier "04-resize grown to 16M" || not_ok "B: guest A reached 'grown to 16M'"
ready=0
mapped=0
if [ "$have" = 1 ]; then
	if mount_bpfam $DEV $MNT -o mode=fast,host-id=$ID_B,role=client; then
		ok "B: bpfamd -o mode=fast,host-id=$ID_B,role=client mounts A's file system"
		check_fast "B" $MNT && ready=1
	else
		not_ok "B: bpfamd -o mode=fast,host-id=$ID_B,role=client mounts A's file system"
	fi
fi
if [ "$ready" = 1 ]; then
	check_size "B: F is $FIRST bytes" $FIRST
	check_cmd "B: F reads A's pattern (pread)" fastio read $F $SEED
	if sess_start $F $SEED $FULL && sess_says "load pattern" load 0 $FIRST; then
		ok "B: a process opens F, maps 64 MiB of it and reads A's pattern through the mapping"
		mapped=1
	else
		not_ok "B: a process opens F, maps 64 MiB of it and reads A's pattern through the mapping ($SAID; $(cat /tmp/session.err))"
	fi
	if [ "$mapped" = 1 ]; then
		check_sess "B: pread() on its fd ends at $((FIRST >> 20)) MiB" "read 0 -" pread $FIRST 4096
		check_sess "B: its mapping gets SIGBUS past $((FIRST >> 20)) MiB" "load SIGBUS" load $FIRST 4096
	fi
	fastio follow $F $SEED $FULL 120 >/tmp/follow.out 2>&1 &
	FOLLOW_PID=$!
fi
vm_barrier "04-resize B follows" || not_ok "B: guest A reached 'B follows'"
vm_barrier "04-resize grown to 64M" || not_ok "B: guest A reached 'grown to 64M'"
if [ -n "$FOLLOW_PID" ]; then
	wait "$FOLLOW_PID"
	rc=$?
	check "B: while A appended, F's size followed to $((FULL >> 20)) MiB, each size B saw holding A's pattern to its end (exit $rc; saw $(tr '\n' ';' </tmp/follow.out))" \
		follow_ok
fi
if [ "$ready" = 1 ]; then
	s0=$(stats $MNT)
	if [ "$mapped" = 1 ]; then
		check_sess "B: pread() on the fd opened at 16 MiB reads the last 4 KiB" "read 4096 pattern" pread $((FULL - 4096)) 4096
		check_sess "B: the mapping made at 16 MiB reads all 64 MiB" "load pattern" load 0 $FULL
	fi
	check_cmd "B: F reads A's pattern (pread)" fastio read $F $SEED
	out=$(fastio mmap-read $F $SEED 2>&1)
	check "B: a new mapping reads A's pattern ($out)" test $? = 0
	s1=$(stats $MNT)
	check_no_upcalls "B: reading the grown F" "$s0" "$s1"
	check_kernel_moved "B: reading the grown F" "$s0" "$s1" read_bytes $((2 * FULL))
	check "B: truncate -s 1M F fails with EROFS" erofs truncate -s 1M $F
	check "B: an append to F fails with EROFS" erofs fastio append $F $SEED 4096 4096
	check "B: dd oflag=append conv=notrunc to F fails with EROFS" \
		erofs sh -c "head -c 4096 /dev/zero | dd of=$F bs=4096 oflag=append conv=notrunc"
	check "B: opening F with O_TRUNC fails with EROFS" erofs sh -c ": >$F"
	check "B: fallocate -l 128M F fails with EROFS" erofs fallocate -l $((128 * MIB)) $F
	check_size "B: F is still $FULL bytes" $FULL
	check_cmd "B: F still reads A's pattern" fastio read $F $SEED
fi
# B's daemon must not play A's truncation before A has checked that the
# dropped extents wait for it: a heartbeat (100 ms) is shorter than A's
# truncate and stats on a slow guest.  Stopped, it holds A's gate shut.
vm_barrier "04-resize B read 64M" || not_ok "B: guest A reached 'B read 64M'"
vm_barrier "04-resize gate empty" || not_ok "B: guest A reached 'gate empty'"
daemon=$(pidof bpfamd)
[ -n "$daemon" ] && kill -STOP $daemon
vm_barrier "04-resize B stopped" || not_ok "B: guest A reached 'B stopped'"
vm_barrier "04-resize truncated" || not_ok "B: guest A reached 'truncated'"
[ -n "$daemon" ] && kill -CONT $daemon
if [ "$ready" = 1 ]; then
	check_size "B: F shrinks to $CUT bytes" $CUT
	check_truncated B "$mapped"
fi
vm_barrier "04-resize B saw the truncation" || not_ok "B: guest A reached 'B saw the truncation'"
vm_barrier "04-resize regrown" || not_ok "B: guest A reached 'regrown'"
if [ "$ready" = 1 ]; then
	s2=$(stats $MNT)
	if [ "$mapped" = 1 ]; then
		# faults do not refresh the size (kpatch/README.md): not a check
		echo "# B: before anything refreshed F's size, its mapping at the old end: $(sess load $CUT 4096)"
		# no stat(): a read past the size the kernel has refreshes it
		t0=$EPOCHREALTIME
		for _ in $(seq 50); do
			sess_says "read 4096 zeros" pread $CUT 4096 && break
			sleep 0.1
		done
		check "B: pread() on its fd, with no stat(), reads zeros past the old end within 5 s ($SAID after $(ms_since "$t0") ms)" \
			test "$SAID" = "read 4096 zeros"
	fi
	check_size "B: F grows back to $FULL bytes" $FULL
	if [ "$mapped" = 1 ]; then
		check_sess "B: its mapping reads zeros from the old end on" "load zeros" load $CUT $((FULL - CUT))
		check_sess "B: ... and the pattern below it" "load pattern" load 0 $CUT
		check_sess "B: pread() on its fd reads zeros past the old end" "read $((KEEP - CUT)) zeros" pread $CUT $((KEEP - CUT))
	fi
	check_cmd "B: F's first $CUT bytes are A's pattern (head -c)" \
		sh -c "head -c $CUT $F | fastio check $SEED $CUT"
	out=$(tail -c $((FULL - CUT)) $F | tr -d '\0' | wc -c)
	check "B: the $((FULL - CUT)) bytes past them are zeros ($out others)" test "$out" = 0
	check_no_upcalls "B: reading the regrown F" "$s2" "$(stats $MNT)"
fi
vm_barrier "04-resize B saw the regrowth" || not_ok "B: guest A reached 'B saw the regrowth'"
if [ "$ready" = 1 ]; then
	sess_end
	unmount_bpfam "B" $MNT
fi
vm_barrier "04-resize B unmounted" || not_ok "B: guest A reached 'B unmounted'"
check "B: the kernel logged no oops, BUG or warning" kernel_ok
echo "# B: 04-resize took $(($(date +%s) - start)) s"
show_log /tmp/bpfamd.log
tap_done
