#!/bin/bash
# fio verify through the fast path: engines psync, libaio and mmap;
# sequential writes and random mixed reads/writes, each verified
# (crc32c); 4 KiB and 2 MiB blocks; on a simple and an interleaved file
# (4 strips of 2 MiB chunks).  The daemon serves none of it.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
SIZE=16M
need_or_end bpfam bpfamd fio jq
fio --enghelp 2>&1 | grep -qw libaio ||
	echo "# fio --enghelp does not list libaio: the libaio runs below will fail"

fast_mount $DEV $MNT
check_cmd "bpfam creat -s $SIZE (simple)" bpfam creat -s $SIZE $MNT/fio.simple
check_cmd "bpfam creat -s $SIZE --interleave 4 --chunk 2M" \
	bpfam creat -s $SIZE --interleave 4 --chunk 2M $MNT/fio.interleaved

s0=$(stats $MNT)
for file in simple interleaved; do
	for engine in psync libaio mmap; do
		for rw in write randrw; do
			for bs in 4k 2m; do
				name="$engine-$rw-$bs-$file"
				extra=()
				[ $engine = libaio ] && extra=(--iodepth=8)
				if fio --name="$name" --filename=$MNT/fio.$file \
					--size=$SIZE --bs=$bs --ioengine=$engine \
					--rw=$rw --verify=crc32c --do_verify=1 \
					--verify_fatal=1 --randrepeat=0 "${extra[@]}" \
					--output=/tmp/fio.log &&
					grep -q 'err= 0' /tmp/fio.log; then
					ok "fio $engine rw=$rw bs=$bs verify on the $file file"
				else
					not_ok "fio $engine rw=$rw bs=$bs verify on the $file file"
					show_log /tmp/fio.log
				fi
			done
		done
	done
done
s1=$(stats $MNT)
check_no_upcalls "the fio runs" "$s0" "$s1"
check_kernel_moved "the fio runs" "$s0" "$s1" writes 1
check_kernel_moved "the fio runs" "$s0" "$s1" faults 1
check "no kernel fast-path errors in the fio runs" \
	test "$(delta "$s0" "$s1" .kernel.errors)" -eq 0
echo "# kernel: $(kernel_io "$s1")"

unmount_bpfam "end" $MNT
check "the kernel logged no oops" kernel_ok
tap_done
