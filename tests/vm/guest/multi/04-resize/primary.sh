#!/bin/bash
# Sizes that change on the fast path, guest A (primary).  Both guests in
# fast mode, each with its own host id.  A grows an empty file F to 64 MiB
# by appends (4 KiB and 1 MiB writes): each append asks A's daemon to
# allocate (FALLOCATE) and the kernel stores the bytes itself (the daemon
# lent the data range to the kernel and cannot store them), the file keeps
# few extents and reads back exactly;
# writes inside the size (pwrite, stores through a mapping) reach no daemon.
# B follows the growth.  Then A truncates F to 10 MiB + 4 KiB while a
# process of A maps all of it: that mapping gets SIGBUS past the new end and
# keeps working below it, a fresh mapping past the end gets SIGBUS, and the
# dropped extents wait for the reclaim gate until both kernels were told.
# Last A grows F back to 64 MiB: every byte past the old end reads as zeros
# (never the old pattern), on A and on B.
. /vmtests/guest/fastlib.sh
# shellcheck source=tests/vm/guest/multi/04-resize/common.sh
. "$(dirname "$0")/common.sh"
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
ID_A=a0000000000000000000000000000004
SEED2=82
SMALL=$((4 * MIB))      # appended 4 KiB at a time
STEP=$((8 * MIB))       # FIRST..FULL in 1 MiB writes, one open each STEP
DROP=$((FULL - KEEP))

# ext_of FILE: its extents as one JSON line (device, offset, length)
ext_of() {
	bpfam getmap --json "$1" 2>/dev/null |
		jq -c '[(.extents // .strips)[] | {dev, dev_offset, length}]'
}

# alloc_is FILE BYTES: FILE's extents add up to BYTES, at most 16 of them
# (the last close gives the growth reservation back; its RELEASE comes
# after close() returned: 5 s of tries)
alloc_is() {
	local e
	for _ in $(seq 50); do
		e=$(ext_of "$1")
		[ "$(jq '[.[].length] | add // 0' <<<"$e")" = "$2" ] &&
			[ "$(jq length <<<"$e")" -le 16 ] && break
		sleep 0.1
	done
	echo "# $1: $(jq length <<<"$e") extents: $e"
	[ "$(jq '[.[].length] | add // 0' <<<"$e")" = "$2" ] &&
		[ "$(jq length <<<"$e")" -le 16 ]
}

size_is() {
	[ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]
}

# ms_since T: milliseconds since T (an $EPOCHREALTIME)
ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# check_appends WHAT S0 S1 WRITES BYTES: the appends between stats S0 and
# S1 (WRITES write() calls, all extending) each asked the daemon to
# allocate (FALLOCATE), none went to it as a WRITE, and the kernel stored
# every byte itself
check_appends() {
	local what=$1 s0=$2 s1=$3 writes=$4 bytes=$5 d
	d=$(delta "$s0" "$s1" .requests.fallocate)
	check "A: $what: each extending write() asked the daemon to allocate (requests.fallocate +$d, at least $writes)" \
		test "$d" -ge "$writes"
	d=$(delta "$s0" "$s1" .requests.write)
	check "A: $what: none went to the daemon as a WRITE (requests.write +$d)" \
		test "$d" = 0
	d=$(delta "$s0" "$s1" .kernel.write_bytes)
	check "A: $what: the kernel stored every appended byte (kernel.write_bytes +$d, want $bytes)" \
		test "$d" = "$bytes"
}

start=$(date +%s)
ready=0
if need bpfam bpfamd fastio jq; then
	if bpfam mkfs --force --host-id $ID_A $DEV >/tmp/mkfs.log 2>&1; then
		ok "A: bpfam mkfs --force --host-id $ID_A $DEV"
		if mount_bpfam $DEV $MNT -o mode=fast,host-id=$ID_A; then
			ok "A: bpfamd -o mode=fast,host-id=$ID_A mounts $DEV"
			check_fast "A" $MNT && ready=1
		else
			not_ok "A: bpfamd -o mode=fast,host-id=$ID_A mounts $DEV"
		fi
	else
		not_ok "A: bpfam mkfs --force --host-id $ID_A $DEV"
		show_log /tmp/mkfs.log
	fi
fi
if [ "$ready" = 1 ]; then
	: >$F
	check "A: an empty F" size_is $F 0
	s0=$(stats $MNT)
	t0=$EPOCHREALTIME
	check_cmd "A: append $((SMALL >> 20)) MiB to F in 4 KiB writes" \
		fastio append $F $SEED $SMALL 4096
	echo "# A: $((SMALL / 4096)) appends of 4 KiB took $(ms_since "$t0") ms"
	check_cmd "A: append $(((FIRST - SMALL) >> 20)) MiB more in 1 MiB writes" \
		fastio append $F $SEED $((FIRST - SMALL)) $MIB
	s1=$(stats $MNT)
	check_appends "growing F from 0 to $((FIRST >> 20)) MiB" "$s0" "$s1" \
		$((SMALL / 4096 + (FIRST - SMALL) / MIB)) $FIRST
	check "A: F is $FIRST bytes ($(stat -c %s $F))" size_is $F $FIRST
	check_cmd "A: F reads back the pattern (pread)" fastio read $F $SEED
	check "A: F's extents add up to its $((FIRST >> 20)) MiB, at most 16 of them" \
		alloc_is $F $FIRST
fi
vm_barrier "04-resize grown to 16M" || not_ok "A: guest B reached 'grown to 16M'"
vm_barrier "04-resize B follows" || not_ok "A: guest B reached 'B follows'"
if [ "$ready" = 1 ]; then
	# one open and close per step: each close logs the size B then plays
	s2=$(stats $MNT)
	steps=0
	for ((size = FIRST; size < FULL; size += STEP)); do
		fastio append $F $SEED $STEP $MIB >>/tmp/append.log 2>&1 ||
			break
		steps=$((steps + 1))
		sleep 0.5
	done
	s3=$(stats $MNT)
	check "A: append $(((FULL - FIRST) >> 20)) MiB more, $((STEP >> 20)) MiB per open, while B follows ($steps steps)" \
		test $steps = $(((FULL - FIRST) / STEP))
	[ $steps = $(((FULL - FIRST) / STEP)) ] || show_log /tmp/append.log
	check_appends "growing F to $((FULL >> 20)) MiB" "$s2" "$s3" \
		$(((FULL - FIRST) / MIB)) $((FULL - FIRST))
	check "A: F is $FULL bytes ($(stat -c %s $F))" size_is $F $FULL
	check_cmd "A: F reads back the pattern (pread)" fastio read $F $SEED
	check "A: F's extents add up to its $((FULL >> 20)) MiB, at most 16 of them" \
		alloc_is $F $FULL
	# inside the size: the kernel alone
	s4=$(stats $MNT)
	check_cmd "A: pwrite() a second pattern over all of F, in place" \
		fastio write $F $SEED2
	check_cmd "A: F reads back the second pattern" fastio read $F $SEED2
	out=$(fastio mmap-write $F $SEED 2>&1)
	check "A: store the first pattern again through a shared mapping ($out)" test $? = 0
	out=$(fastio mmap-read $F $SEED 2>&1)
	check "A: a new mapping reads it back ($out)" test $? = 0
	s5=$(stats $MNT)
	check_no_upcalls "A: rewriting F's $((FULL >> 20)) MiB in place" "$s4" "$s5"
	check_kernel_moved "A: rewriting F's $((FULL >> 20)) MiB in place" "$s4" "$s5" write_bytes $((2 * FULL))
	check "A: F is still $FULL bytes" size_is $F $FULL
fi
vm_barrier "04-resize grown to 64M" || not_ok "A: guest B reached 'grown to 64M'"
vm_barrier "04-resize B read 64M" || not_ok "A: guest B reached 'B read 64M'"
mapped=0
if [ "$ready" = 1 ]; then
	if sess_start $F $SEED $FULL && sess_says "load pattern" load 0 $FULL; then
		ok "A: a process maps all of F and reads the pattern through it"
		mapped=1
	else
		not_ok "A: a process maps all of F and reads the pattern through it ($SAID; $(cat /tmp/session.err))"
	fi
	# what the closes trimmed went through the gate too: let it pass
	for _ in $(seq 50); do
		[ "$(sv "$(stats $MNT)" .bytes_waiting_reclaim)" = 0 ] && break
		sleep 0.1
	done
	s=$(stats $MNT)
	check "A: nothing waits for reclaim before the truncation ($(sv "$s" .bytes_waiting_reclaim))" \
		test "$(sv "$s" .bytes_waiting_reclaim)" = 0
fi
# B stops its daemon, so that it cannot play the truncation (and open the
# gate) before A has looked: a heartbeat is shorter than A's next steps
vm_barrier "04-resize gate empty" || not_ok "A: guest B reached 'gate empty'"
vm_barrier "04-resize B stopped" || not_ok "A: guest B reached 'B stopped'"
if [ "$ready" = 1 ]; then
	r0=$(sv "$(stats $MNT)" '.bytes_reclaimed // 0')
	check_cmd "A: truncate -s $CUT F while it is mapped" truncate -s $CUT $F
	s=$(stats $MNT)
	check "A: the $((DROP >> 20)) MiB past the kept 2 MiB unit wait for reclaim (bytes_waiting_reclaim $(sv "$s" .bytes_waiting_reclaim), want $DROP)" \
		test "$(sv "$s" .bytes_waiting_reclaim)" = $DROP
	check "A: nothing of them reclaimed yet (bytes_reclaimed +$(($(sv "$s" .bytes_reclaimed) - r0)))" \
		test "$(sv "$s" .bytes_reclaimed)" = "$r0"
	check "A: F is $CUT bytes" size_is $F $CUT
	check "A: F keeps $((KEEP >> 20)) MiB of extents" alloc_is $F $KEEP
	check_truncated A "$mapped"
fi
vm_barrier "04-resize truncated" || not_ok "A: guest B reached 'truncated'"
vm_barrier "04-resize B saw the truncation" || not_ok "A: guest B reached 'B saw the truncation'"
if [ "$ready" = 1 ]; then
	# both kernels were told (A's keeper, B's play): the gate opens
	t0=$EPOCHREALTIME
	for _ in $(seq 100); do
		[ "$(sv "$(stats $MNT)" .bytes_waiting_reclaim)" = 0 ] && break
		sleep 0.1
	done
	s=$(stats $MNT)
	check "A: the dropped extents are reclaimed ($(ms_since "$t0") ms after B saw the truncation; bytes_waiting_reclaim $(sv "$s" .bytes_waiting_reclaim))" \
		test "$(sv "$s" .bytes_waiting_reclaim)" = 0
	check "A: bytes_reclaimed grew by $((DROP >> 20)) MiB (+$(($(sv "$s" .bytes_reclaimed) - r0)))" \
		test $(($(sv "$s" .bytes_reclaimed) - r0)) = $DROP
	[ "$mapped" = 1 ] &&
		check_sess "A: the mapping past the end still gets SIGBUS" "load SIGBUS" load $CUT 4096
	check_cmd "A: truncate -s $FULL F: it grows back" truncate -s $FULL $F
	check "A: F is $FULL bytes" size_is $F $FULL
	check "A: F's extents add up to $((FULL >> 20)) MiB, at most 16 of them" alloc_is $F $FULL
	if [ "$mapped" = 1 ]; then
		check_sess "A: the old mapping reads zeros from the old end on" "load zeros" load $CUT $((FULL - CUT))
		check_sess "A: ... and the pattern below it" "load pattern" load 0 $CUT
		check_sess "A: pread() on the open fd reads zeros past the old end" "read $((KEEP - CUT)) zeros" pread $CUT $((KEEP - CUT))
	fi
	check_cmd "A: F's first $CUT bytes are the pattern (head -c)" \
		sh -c "head -c $CUT $F | fastio check $SEED $CUT"
	out=$(tail -c $((FULL - CUT)) $F | tr -d '\0' | wc -c)
	check "A: the $((FULL - CUT)) bytes past them are zeros ($out others)" test "$out" = 0
fi
vm_barrier "04-resize regrown" || not_ok "A: guest B reached 'regrown'"
vm_barrier "04-resize B saw the regrowth" || not_ok "A: guest B reached 'B saw the regrowth'"
if [ "$ready" = 1 ]; then
	sess_end
	check_cmd "A: rm F" rm $F
	unmount_bpfam "A" $MNT
fi
vm_barrier "04-resize B unmounted" || not_ok "A: guest B reached 'B unmounted'"
[ "$ready" = 1 ] && check_cmd "A: bpfam fsck $DEV" bpfam fsck $DEV
check "A: the kernel logged no oops, BUG or warning" kernel_ok
echo "# A: 04-resize took $(($(date +%s) - start)) s"
show_log /tmp/bpfamd.log
tap_done
