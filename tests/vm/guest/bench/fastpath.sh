#!/bin/bash
# make vmbench: the kernel fast path against the daemon (fallback mode),
# tmpfs and a raw mapping of /dev/dax0.0, measured in one guest run.  Under
# software emulation absolute figures mean little (kernel.md §0: every
# kernel copy is ~5x slower than a user-space memcpy), so the table gives
# ratios too.  The checks assert only that every run happened and that the
# fast-path runs sent no READ/WRITE request to the daemon; timing is never
# asserted.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
F=$MNT/bench
T=/tmp/bench.tmpfs
SIZE=256M
RUNTIME=${VMBENCH_RUNTIME:-3}
LAT_ROUNDS=${VMBENCH_LAT_ROUNDS:-15}
need_or_end bpfam bpfamd fio jq fastio readlat

# fio_mibs NAME FIO-ARGS...: MiB/s of one fio job (reads + writes), or "-"
fio_mibs() {
	local name=$1 out
	shift
	out=$(fio --name="$name" --output-format=json "$@" 2>/tmp/fio.err) || {
		sed 's/^/#   /' /tmp/fio.err | head -5
		echo -
		return
	}
	jq -r '.jobs[0] | ((.read.bw_bytes + .write.bw_bytes) / 1048576 | floor)' <<<"$out"
}

# timed FILE RW BS [IOENGINE]: a time-based run
timed() {
	fio_mibs "$2-$3" --filename="$1" --size=$SIZE --rw="$2" --bs="$3" \
		--ioengine="${4:-psync}" --time_based --runtime="$RUNTIME" \
		--ramp_time=1 --invalidate=0
}

# first_touch FILE [OFFSET]: one pass of a fresh shared mapping, 1 MiB copies
first_touch() {
	fio_mibs "touch" --filename="$1" --offset="${2:-0}" --size=$SIZE \
		--rw=read --bs=1M --ioengine=mmap --invalidate=0
}

# ran VALUE...: no run failed ("-")
ran() {
	local v
	for v; do
		[ "$v" != - ] || return 1
	done
}

declare -A R
run_target() { # NAME FILE
	R[$1.read]=$(timed "$2" read 1M)
	R[$1.write]=$(timed "$2" write 1M)
	R[$1.rand]=$(timed "$2" randread 4k)
	R[$1.mrand]=$(timed "$2" randread 4k mmap)
	R[$1.touch]=$(first_touch "$2")
	check "$1: every fio run completed" ran "${R[$1.read]}" \
		"${R[$1.write]}" "${R[$1.rand]}" "${R[$1.mrand]}" "${R[$1.touch]}"
}

# --- fast mode ---------------------------------------------------------------
check_cmd "a $SIZE tmpfs file, written once" \
	dd if=/dev/zero of=$T bs=1M count=${SIZE%M}
fast_mount $DEV $MNT
check_cmd "bpfam creat -s $SIZE $F" bpfam creat -s $SIZE $F
check_cmd "write it once (pwrite)" fastio write $F 71
off=$(ext0_off $F)
s0=$(stats $MNT)
run_target fast $F
# ns per pread(), the fast-path file and the tmpfs file in turns
lat4k=$(readlat 4096 "$LAT_ROUNDS" 20000 $F $T)
lat1m=$(readlat 1048576 "$LAT_ROUNDS" 200 $F $T)
check "readlat: both files timed, 4 KiB and 1 MiB" \
	test "$(printf '%s\n%s\n' "$lat4k" "$lat1m" | wc -l)" -eq 4
s1=$(stats $MNT)
check_no_upcalls "the fast-mode runs" "$s0" "$s1"
unmount_bpfam "fast" $MNT

# --- fallback mode, same device and file --------------------------------------
if mount_bpfam $DEV $MNT -o mode=fallback; then
	ok "bpfamd -o mode=fallback mounts"
	run_target fallback $F
	unmount_bpfam "fallback" $MNT
else
	not_ok "bpfamd -o mode=fallback mounts"
fi

# --- tmpfs, and the device mapped raw at the file's extent ----------------------
run_target tmpfs $T
rm -f $T
R[raw.read]=$(timed $DEV read 1M mmap)
R[raw.mrand]=$(timed $DEV randread 4k mmap)
R[raw.touch]=$(first_touch $DEV "${off:-0}")
check "raw: the mapped runs completed" ran "${R[raw.read]}" "${R[raw.mrand]}" \
	"${R[raw.touch]}"

ratio() { # A B: A/B with two decimals, or -
	if [ "$1" = - ] || [ "$2" = - ] || [ "$2" -eq 0 ]; then
		echo -
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	fi
}
row() { # LABEL KEY CEILING-KEY
	printf '# bench: %-22s %9s %9s %9s %9s %9s %9s\n' "$1" \
		"${R[fast.$2]}" "${R[fallback.$2]}" "${R[tmpfs.$2]}" "${R[$3]:--}" \
		"$(ratio "${R[fast.$2]}" "${R[fallback.$2]}")" \
		"$(ratio "${R[fast.$2]}" "${R[tmpfs.$2]}")"
}
echo "# bench: $SIZE file on $DEV, fio 1 job, ${RUNTIME}s after 1s ramp; MiB/s"
printf '# bench: %-22s %9s %9s %9s %9s %9s %9s\n' "" fast fallback tmpfs raw \
	fast/fbk fast/tmpfs
row "read() 1M sequential" read raw.read
row "write() 1M sequential" write none
row "read() 4K random" rand none
row "mmap 4K random" mrand raw.mrand
row "mmap first touch" touch raw.touch
echo "# bench: raw = fio's mmap engine on $DEV at the file's extent (no kernel copy);"
echo "# bench: fast and tmpfs read() are bounded by the emulated kernel copy"
lat_us() { # OUTPUT FILE FIELD: readlat's figure (2 median, 3 min, 4 max) in µs, or -
	awk -v f="$2" -v k="$3" '$1 == f { v = $k }
		END { if (v == "") print "-"; else printf "%.2f\n", v / 1000 }' <<<"$1"
}
lat_row() { # LABEL OUTPUT
	printf '# bench: %-22s %9s %9s %13s %13s %10s\n' "$1" \
		"$(lat_us "$2" $F 2)" "$(lat_us "$2" $T 2)" \
		"$(lat_us "$2" $F 3)-$(lat_us "$2" $F 4)" \
		"$(lat_us "$2" $T 3)-$(lat_us "$2" $T 4)" \
		"$(ratio "$(lat_us "$2" $T 2)" "$(lat_us "$2" $F 2)")"
}
echo "# bench: "
echo "# bench: read() at random offsets, fast and tmpfs in turns: $LAT_ROUNDS rounds (readlat); µs/call"
printf '# bench: %-22s %9s %9s %13s %13s %10s\n' "" fast tmpfs "fast min-max" \
	"tmpfs min-max" "fast/tmpfs"
lat_row "read() 4K random" "$lat4k"
lat_row "read() 1M random" "$lat1m"
echo "# bench: (medians; fast/tmpfs is tmpfs's time over fast's, a throughput ratio)"
tap_done
