#!/bin/bash
# bpfamd lends the device's data range to the kernel (fs-dax) for as long
# as it serves it in fast mode (fused/lending.c, docs/daemon.md "Lending
# the device"): lend = the superblock's data_off after mount, one line in
# the log, raw mappings of the data range refused; files written and
# extended (the kernel asks the daemon to allocate with FALLOCATE and
# copies the data itself; the daemon zeroes what a file gains through the
# kernel) read back right, gaps and reused space read zeros; "none" again
# after unmount.  A busy device refuses the mount and stays as it was; a
# SIGKILLed daemon leaves it lent, and the next one takes it over, and
# `bpfam lend --none` gives it back by hand.  A command run right after
# umount finds the device whatever moment of the give-back it hits.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
SYS=/sys/bus/dax/devices/dax0.0
MNT=/mnt/bpfam
LOG=/tmp/lendd.log
R=/tmp/lend-data
MiB=$((1 << 20))
need_or_end bpfam bpfamd fastio jq cmp

lend_is() { test "$(cat $SYS/lend)" = "$1"; }

# start_daemon MODE: bpfamd -f -o mode=MODE in the background with its
# whole log in $LOG (a daemonized bpfamd logs to syslog, absent here);
# fails as soon as it exits without mounting
start_daemon() {
	: >$LOG
	mkdir -p $MNT
	bpfamd -f -o mode="$1" $DEV $MNT >>$LOG 2>&1 </dev/null &
	DPID=$!
	for _ in $(seq 300); do
		grep -q " $MNT " /proc/mounts && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	show_log $LOG
	return 1
}

stop_daemon() {
	umount $MNT && wait "$DPID" && return 0
	show_log $LOG
	return 1
}

# zeros FILE OFF LEN [BS]: FILE's bytes [OFF, OFF + LEN) are all zeros
# (multiples of BS, default 4 KiB).  The guest has no /dev/fd, so no
# process substitution.
zeros() {
	local bs=${4:-4096}
	head -c "$3" /dev/zero >/tmp/zeros
	dd if="$1" bs="$bs" skip=$(($2 / bs)) count=$(($3 / bs)) 2>/dev/null |
		cmp -s - /tmp/zeros
}

# same FILE OFF DATA: FILE's bytes from OFF (4 KiB aligned) are DATA's
same() {
	dd if="$1" bs=4096 skip=$(($2 / 4096)) 2>/dev/null |
		head -c "$(stat -c %s "$3")" | cmp -s - "$3"
}

# extents FILE: its device ranges, "OFFSET LENGTH" a line
extents() {
	bpfam getmap --json "$1" | jq -r '.extents[] | "\(.dev_offset) \(.length)"'
}

# overlap A B: two lists of extents share a byte
overlap() {
	local a al b bl
	while read -r a al; do
		while read -r b bl; do
			[ "$a" -lt $((b + bl)) ] && [ "$b" -lt $((a + al)) ] &&
				return 0
		done <<<"$2"
	done <<<"$1"
	return 1
}

# ms_since T: milliseconds since T (an $EPOCHREALTIME)
ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# reclaimed: nothing waits for reclaim any more (within 10 s)
reclaimed() {
	for _ in $(seq 100); do
		[ "$(sv "$(stats $MNT)" '.bytes_waiting_reclaim // 0')" = 0 ] &&
			return 0
		sleep 0.1
	done
	return 1
}

mkdir -p $R
for n in 1 2 3; do
	head -c $((n * MiB + 1000)) /dev/urandom >$R/$n
done

# A test before that failed may have left the device lent (a daemon killed
# or stuck): start from a device given back, and say so.
if [ "$(cat $SYS/lend)" != none ]; then
	echo "# $DEV was left lent ($(cat $SYS/lend)): giving it back first"
	bpfam lend --none $DEV 2>&1 | sed 's/^/#   /'
fi
check_cmd "bpfam mkfs $DEV" bpfam mkfs --force $DEV
data_off=$(bpfam fsck --json $DEV | jq -r .data_offset)
check "before mount, $SYS/lend reads none" lend_is none
t0=$EPOCHREALTIME
if ! start_daemon fast || ! check_fast "lend" $MNT; then
	not_ok "bpfamd -o mode=fast mounts $DEV"
	tap_done
	exit 1
fi

echo "# mounting (lending included) took $(ms_since "$t0") ms"

# --- lent while mounted -----------------------------------------------------
check "mounted: $SYS/lend is the superblock's data_off ($data_off)" \
	lend_is "$data_off"
n=$(grep -c "^bpfamd: $DEV: lent from .* to the kernel (fs-dax) until unmount$" $LOG)
check "the daemon's log says so in one line ($n)" test "$n" = 1
check "bpfam lend shows it" \
	bash -c "bpfam lend $DEV | grep -q 'lent to the kernel from .*($data_off bytes on)'"
r=$(fastio map-dev $DEV "$data_off")
check "a raw mmap of the data range through $DEV is refused (got: $r)" \
	test "$r" = "mmap EACCES"
r=$(fastio map-dev $DEV $((data_off - 2 * MiB)))
check "the metadata still maps through $DEV (got: $r)" test "$r" = ok
check_err "bpfam lend --none refuses while bpfamd serves it" 1 \
	"in use by process [0-9]* \\(bpfamd\\)" bpfam lend --none $DEV
check "... and it stays lent" lend_is "$data_off"

# --- data: written, extended, gaps and reused space -------------------------
F=$MNT/grow
s0=$(stats $MNT)
check_cmd "cp writes a new file (every write extends it)" cp $R/1 $F
check "it reads back right" cmp -s $F $R/1
check_cmd "an append (>>)" bash -c "cat $R/2 >>$F"
check "the file is both, in order" \
	bash -c "cat $R/1 $R/2 | cmp -s - $F"
size=$(stat -c %s $F)
check_cmd "a pwrite at 8 MiB, past EOF ($size)" \
	dd if=$R/3 of=$F bs=4096 seek=2048 conv=notrunc status=none
check "the pwrite reads back" same $F $((8 * MiB)) $R/3
gap=$(((size + 4095) / 4096 * 4096))
check "the gap [$gap, 8 MiB) reads zeros" zeros $F $gap $((8 * MiB - gap))
check "... and so do the bytes of its first page after the old EOF" \
	zeros $F "$size" $((gap - size)) 1
check_cmd "ftruncate up to 16 MiB" truncate -s 16M $F
end=$((8 * MiB + $(stat -c %s $R/3)))
end=$(((end + 4095) / 4096 * 4096))
check "the bytes it gained read zeros" zeros $F $end $((16 * MiB - end))
s1=$(stats $MNT)
d=$(delta "$s0" "$s1" .requests.write)
check "no WRITE reached the daemon: the kernel allocates with FALLOCATE (+$d)" \
	test "$d" = 0
d=$(delta "$s0" "$s1" .requests.fallocate)
check "the kernel sent FALLOCATE for the extending writes (+$d)" test "$d" -ge 3

# Cut inside a 2 MiB unit: its rest keeps the old bytes on the device, and
# a write past the new end must not expose them.
G=$MNT/cut
check_cmd "a 3 MiB file of random bytes" cp $R/3 $G
check_cmd "... cut to 1 MiB" truncate -s 1M $G
check_cmd "... written at 1.5 MiB" \
	dd if=$R/1 of=$G bs=4096 seek=384 count=16 conv=notrunc status=none
check "the space between, which held the old bytes, reads zeros" \
	zeros $G $MiB $((MiB / 2))

t0=$EPOCHREALTIME
check_cmd "a 128 MiB file (truncate: zeroed through the kernel)" \
	truncate -s 128M $MNT/big
echo "# growing it from 0 to 128 MiB took $(ms_since "$t0") ms"
check "it reads zeros" zeros $MNT/big 0 $((128 * MiB)) $MiB
rm $MNT/big

H=$MNT/old
check_cmd "a 32 MiB file of random bytes" \
	bash -c "for i in \$(seq 32); do cat $R/1; done | head -c $((32 * MiB)) >$H"
old=$(extents $H)
check_cmd "deleted" rm $H
check "its space is reclaimed" reclaimed
check_cmd "a new 32 MiB file (truncate)" truncate -s 32M $MNT/new
new=$(extents $MNT/new)
check "it takes space the deleted file had ($(echo $new) / was $(echo $old))" \
	overlap "$new" "$old"
check "it reads zeros, nothing of the old file" zeros $MNT/new 0 $((32 * MiB))
check "the kernel logged no oops" kernel_ok
# What went wrong, if the daemon said anything of the sort
if grep -qiE 'cannot|error|EIO' $LOG; then
	echo "# the daemon's log so far:"
	show_log $LOG
	dmesg | tail -15 | sed 's/^/#   dmesg: /'
fi

# --- given back at unmount --------------------------------------------------
check_cmd "umount, bpfamd exits" stop_daemon
check "unmounted: $SYS/lend reads none" lend_is none
check "the daemon's log says it gave it back" \
	grep -q "given back by the kernel" $LOG
r=$(fastio map-dev $DEV "$data_off")
check "the data range maps raw through $DEV again (got: $r)" test "$r" = ok

# --- a busy device refuses the mount ----------------------------------------
sleep 600 8<$DEV &
holder=$!
start_daemon fast
rc=$?
check "with $DEV open by another process, bpfamd refuses to mount" \
	test $rc != 0
wait "$DPID"
rc=$?
check "it exits 1 ($rc)" test $rc = 1
check "and says why in one line, naming the device and the process" \
	grep -q "^bpfamd: $DEV: in use by process $holder (sleep)" $LOG
check "the device stays as it was: lend none" lend_is none
check "nothing is mounted" bash -c "! grep -q ' $MNT ' /proc/mounts"
kill $holder
wait $holder 2>/dev/null

# --- a command right after umount ------------------------------------------
# umount returns before bpfamd gives the device back; a command that opens
# it meanwhile neither fails nor keeps it lent (the switch lock, and the
# give-back waits for the command).  Three rounds, each opening at a
# different moment of the give-back.
for delay in 0 0.05 0.2; do
	if ! start_daemon fast; then
		not_ok "bpfamd mounts for the umount-then-fsck round ($delay s)"
		continue
	fi
	umount $MNT
	sleep $delay
	check_cmd "umount, $delay s, bpfam fsck $DEV: passes" bpfam fsck $DEV
	wait "$DPID"
	check "... and bpfamd gave the device back: lend none" lend_is none
done

# --- SIGKILL: the next daemon takes the lent device over --------------------
if start_daemon fast; then
	check_cmd "pwrite a pattern into a 16 MiB file" \
		bash -c "truncate -s 16M $MNT/kept && fastio write $MNT/kept 83"
	check_cmd "SIGKILL bpfamd" kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	check "killed: the device stays lent" lend_is "$data_off"
	check_cmd "the dead mount goes with umount -l" umount -l $MNT
	if start_daemon fast && check_fast "after SIGKILL" $MNT; then
		ok "a new bpfamd mounts the device its killed one left lent"
		check "its log says it found it lent" \
			grep -q "found lent already" $LOG
		check_cmd "the data is intact" fastio read $MNT/kept 83
		check_cmd "SIGKILL it too" kill -KILL "$DPID"
		wait "$DPID" 2>/dev/null
		umount -l $MNT
	else
		not_ok "a new bpfamd mounts the device its killed one left lent"
	fi
	t0=$EPOCHREALTIME
	check_cmd "bpfam lend --none gives it back by hand" \
		bpfam lend --none $DEV
	echo "# giving it back (unbind, none, bind) took $(ms_since "$t0") ms"
	check "lend reads none" lend_is none
	t0=$EPOCHREALTIME
	check_cmd "bpfam lend --from data lends it where bpfamd would" \
		bpfam lend --from data $DEV
	echo "# lending it (unbind, data_off, bind) took $(ms_since "$t0") ms"
	check "lend reads data_off" lend_is "$data_off"
	check_cmd "bpfamd -o mode=fallback gives it back and mounts" \
		start_daemon fallback
	check "fallback: lend reads none" lend_is none
	check_cmd "fallback: the daemon serves the data" fastio read $MNT/kept 83
	check_cmd "umount" stop_daemon
else
	not_ok "bpfamd -o mode=fast mounts the device again"
fi
check "the kernel logged no oops" kernel_ok
tap_done
