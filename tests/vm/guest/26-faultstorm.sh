#!/bin/bash
# Faults race fmap changes (kpatch 0006; the review's finding 6): four
# threads load, store and drop pages of a shared mapping of a 16 MiB file
# (read and write faults, PTEs and PMDs) while the file is cut to its first
# half and grown back, again and again: each change a new fmap, an
# invalidation and a zap.  The kernel logs no WARN, BUG or lockdep report
# (the test kernel has PROVE_LOCKING), the threads only ever get SIGBUS
# (a page past a shrunk end), and the half never cut keeps its pattern.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/storm
SEED=26
MIB=$((1 << 20))
SECS=20

need_or_end bpfam bpfamd fastio jq truncate
fast_mount $DEV $MNT

check_cmd "bpfam creat -s 16M $F" bpfam creat -s 16M $F
check_cmd "pwrite() a pattern into F" fastio write $F $SEED
s0=$(stats $MNT)
fastio storm $F $SEED $SECS 4 >/tmp/storm.out 2>&1 &
pid=$!
n=0
end=$(($(date +%s) + SECS - 2))
while [ "$(date +%s)" -lt $end ]; do
	truncate -s $((8 * MIB)) $F && truncate -s $((16 * MIB)) $F || break
	n=$((n + 1))
done
wait $pid
rc=$?
check "F was cut to 8 MiB and grown back while the threads ran ($n times)" \
	test $n -gt 0
ops=$(sed -n 's/^ops \([0-9]*\) .*/\1/p' /tmp/storm.out)
check "4 threads faulted F for $SECS s, SIGBUS their only trouble ($(cat /tmp/storm.out); exit $rc)" \
	test $rc = 0 -a "${ops:-0}" -gt 0
s1=$(stats $MNT)
d=$(delta "$s0" "$s1" .kernel.faults)
check "the kernel served the threads' faults (kernel.faults +$d)" test "$d" -gt 0
if sess_start $F $SEED $((16 * MIB)); then
	check_sess "the first 8 MiB, never cut, still hold the pattern" \
		"read $((8 * MIB)) pattern" pread 0 $((8 * MIB))
	sess_end
else
	not_ok "the first 8 MiB, never cut, still hold the pattern ($(cat /tmp/session.err))"
fi
check_cmd "rm F" rm $F
unmount_bpfam "storm" $MNT
check_cmd "bpfam fsck $DEV" bpfam fsck $DEV
check "the kernel logged no oops or BUG (a WARN or lockdep report fails the test in /init)" kernel_ok
tap_done
