#!/bin/bash
# Sizes that change on the fast path, one guest: while a file grows by
# 4 KiB appends (each one republishes its fmap), a process keeps faulting
# its first 8 MiB in (MADV_DONTNEED between passes) and reading them with
# pread(): no fault gets SIGBUS, no byte differs, and no read misses the
# fmap (the daemon serves none).  Then O_TRUNC empties the file and
# fallocate grows it again: every byte it gains reads as zeros, never the
# old pattern.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/grows
SEED=91
MIB=$((1 << 20))
HELD=$((8 * MIB))
STOP=/tmp/faults.stop

start=$(date +%s)
need_or_end bpfam bpfamd fastio jq
fast_mount $DEV $MNT

: >$F
check_cmd "append 8 MiB to an empty file in 1 MiB writes" fastio append $F $SEED $HELD $MIB
rm -f $STOP
fastio faults $F $SEED $HELD $STOP >/tmp/faults.out 2>&1 &
pid=$!
sleep 0.5
s0=$(stats $MNT)
check_cmd "append 8 MiB more in 4 KiB writes while a process faults and reads the first 8 MiB" \
	fastio append $F $SEED $HELD 4096
s1=$(stats $MNT)
touch $STOP
wait $pid
rc=$?
check "no fault got SIGBUS, no load or pread() differed while F grew ($(cat /tmp/faults.out); exit $rc)" \
	test $rc = 0
d=$(delta "$s0" "$s1" .requests.read)
check "no read missed the fmap while F grew: the daemon served none (requests.read +$d)" \
	test "$d" = 0
check_cmd "F reads back 16 MiB of the pattern" fastio read $F $SEED

: >$F
check "O_TRUNC empties F" test "$(stat -c %s $F)" = 0
check_cmd "fallocate -l 16M F" fallocate -l $((16 * MIB)) $F
check "F is 16 MiB again" test "$(stat -c %s $F)" = $((16 * MIB))
out=$(tr -d '\0' <$F | wc -c)
check "every byte F gained reads as zero ($out others)" test "$out" = 0
if sess_start $F $SEED $((16 * MIB)); then
	check_sess "a mapping of F reads zeros too" "load zeros" load 0 $((16 * MIB))
	sess_end
else
	not_ok "a mapping of F reads zeros too ($(cat /tmp/session.err))"
fi
check_cmd "rm F" rm $F
unmount_bpfam "resize" $MNT
check_cmd "bpfam fsck $DEV" bpfam fsck $DEV
check "the kernel logged no oops, BUG or warning" kernel_ok
echo "# 24-resize took $(($(date +%s) - start)) s"
tap_done
