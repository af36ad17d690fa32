#!/bin/bash
# The fast path maps 2 MiB-aligned files with PMDs: a shared mapping of a
# 64 MiB file (simple, and interleaved in 2 MiB chunks) takes one page fault
# per 2 MiB (32), not one per 4 KiB (16384).  smaps' FilePmdMapped does not
# count devmap PMDs, so the test counts faults (getrusage ru_minflt, fastio).
# A mapping that is not 2 MiB aligned in the file falls back to 4 KiB PTEs
# and still reads right.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
need_or_end bpfam bpfamd fastio mmapcheck jq
echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>&1)"

fast_mount $DEV $MNT

# faults_of OUTPUT: N from fastio's "faults N"
faults_of() {
	sed -n 's/^faults \([0-9]*\)$/\1/p' <<<"$1"
}

for kind in simple interleaved; do
	f=$MNT/huge.$kind
	if [ $kind = simple ]; then
		check_cmd "bpfam creat -s 64M ($kind)" bpfam creat -s 64M $f
	else
		check_cmd "bpfam creat -s 64M --interleave 4 --chunk 2M ($kind)" \
			bpfam creat -s 64M --interleave 4 --chunk 2M $f
	fi
	off=$(ext0_off $f)
	check "$kind: its first extent's device offset (${off:-none}) is 2 MiB aligned" \
		test $((${off:-1} % (2 << 20))) -eq 0
	check_cmd "$kind: pwrite() a pattern over 64 MiB" fastio write $f 21
	s0=$(stats $MNT)
	out=$(fastio mmap-read $f 21 2>&1)
	rc=$?
	n=$(faults_of "$out")
	check "$kind: a shared mapping of 64 MiB reads the pattern ($out)" test $rc -eq 0
	check "$kind: mapped with PMDs: 32 faults for 64 MiB, one per 2 MiB (got ${n:-none})" \
		test "${n:-0}" -eq 32
	s1=$(stats $MNT)
	check_kernel_moved "$kind: mmap loads" "$s0" "$s1" faults 32
	out=$(fastio mmap-write $f 22 2>&1)
	rc=$?
	n=$(faults_of "$out")
	check "$kind: stores through a fresh shared mapping ($out)" test $rc -eq 0
	check "$kind: store faults map PMDs too: 32 for 64 MiB (got ${n:-none})" \
		test "${n:-0}" -eq 32
	check_cmd "$kind: pread() sees the stores" fastio read $f 22
	check_no_upcalls "$kind: mmap loads and stores" "$s0" "$(stats $MNT)"
done

# 4 KiB PTEs where PMDs cannot be: a file whose size is not a 2 MiB multiple
# still maps and reads its tail page by page
pattern /tmp/odd.ref 60000 # 2100000 bytes: 2 MiB + 2848 bytes
check_cmd "bpfam cp of a 2 MiB + 2848 byte file" bpfam cp /tmp/odd.ref $MNT/odd
check "mmap of the 2 MiB + 2848 byte file reads it (PMD + PTE tail)" \
	mmapcheck cmp $MNT/odd /tmp/odd.ref

unmount_bpfam "end" $MNT
check "the kernel logged no oops" kernel_ok
tap_done
