#!/bin/bash
# make bench: where bpfam stands, on this machine, today.
#
# Formats emulated devices (regular files in /dev/shm), mounts them with
# bpfamd and measures mkfs, fsck, file creation, mount (log play) time
# against the number of files, data throughput through the mount against
# tmpfs and a raw mapping of the device, and mmap first touch.  Prints one
# table per benchmark; writes CSV, JSON, the printed summary and (with
# gnuplot) a PNG under build/bench/.  Takes 3-4 minutes on 2 CPUs.  See
# docs/bench.md.
#
# Knobs (environment):
#   BENCH_DEV_SIZE       device for mkfs/fsck and data throughput  (1G)
#   BENCH_CREATE_FILES   files created through the mount            (1000)
#   BENCH_FILE_SIZE      size of each created/populated file        (2M)
#   BENCH_MOUNT_FILES    log sizes, in files, for mount time  (0 10000 100000 1000000)
#   BENCH_MOUNT_REPEAT   mounts per log size (fewer if one takes > 5 s)  (3)
#   BENCH_IO_SIZE        file for the throughput runs               (256M)
#   BENCH_IO_RUNTIME     seconds per throughput run                 (4)
#   BENCH_MAP_FILES      files published for the BPF map memory     (2000)
#   BENCH_SCALE_CREATES  files per run of the threaded creates   (8000)
#   BENCH_LS_FILES       files in the directory that ls -l lists (100000)
#   BENCH_OUT            results directory                     (build/bench)
set -u

cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
BPFAM=$BUILD/bpfam
BPFAMD=$BUILD/bpfamd
HELPER=$BUILD/bpfam-bench
OUT=${BENCH_OUT:-$BUILD/bench}
DEV_SIZE=${BENCH_DEV_SIZE:-1G}
CREATE_FILES=${BENCH_CREATE_FILES:-1000}
FILE_SIZE=${BENCH_FILE_SIZE:-2M}
MOUNT_FILES=${BENCH_MOUNT_FILES:-0 10000 100000 1000000}
MOUNT_REPEAT=${BENCH_MOUNT_REPEAT:-3}
IO_SIZE=${BENCH_IO_SIZE:-256M}
IO_RUNTIME=${BENCH_IO_RUNTIME:-4}
FAMFS_CREATE_MS=100 # famfs issue #60: 90-120 ms per `famfs creat`

LOG=$OUT/bench.log
SUMMARY=$OUT/summary.txt
MIB=1048576

# ---- plumbing ---------------------------------------------------------------

die() {
	echo "bench: $*" >&2
	[ -s "$LOG" ] && { echo "bench: last lines of $LOG:" >&2; tail -n 15 "$LOG" >&2; }
	exit 1
}

# Print to the terminal and to summary.txt.
say() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }
# shellcheck disable=SC2059 # the format is the first argument
sayf() { local f=$1; shift; printf "$f" "$@" | tee -a "$SUMMARY"; }

# Microseconds since the epoch (bash 5: no date(1)).
usec() { local t=${EPOCHREALTIME//[.,]/}; echo "$t"; }

bytes() { numfmt --from=iec "$1" 2>/dev/null; } # 2M -> 2097152

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "") }'; }

# awk arithmetic: calc 'a / b' (prints with %.*g precision given by fmt).
calc() { awk "BEGIN { v = $1; printf \"${2:-%.1f}\", v }"; }
ratio() { # two decimals, or two significant digits below 0.1
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) printf "-"; else if (a / b < 0.1) printf "%.2g", a / b;
		else printf "%.2f", a / b }'
}

# Everything we make, so that the trap can undo it.
DEVICES=()
MOUNTS=()
DIRS=()

daemon_pids() { pgrep -f -- "^$BPFAMD (.* )?$1 $2\$" || true; }

# Running (not a zombie waiting for init to reap it, which can take seconds).
alive() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Unmount $2 (device $1) and wait for its daemon to exit (it deletes its
# BPF map entries on the way out, and holds the writer lock until then).
# UMOUNT_US = microseconds umount took; EXIT_US = until the daemon was gone.
unmount() {
	local pids pid t0 t1 i=0
	pids=$(daemon_pids "$1" "$2")
	t0=$(usec)
	umount "$2" >>"$LOG" 2>&1 || umount -l "$2" >>"$LOG" 2>&1
	t1=$(usec)
	for pid in $pids; do
		while alive "$pid"; do
			sleep 0.01
			i=$((i + 1))
			[ $i -gt 12000 ] && { kill "$pid" 2>/dev/null; break; }
		done
	done
	UMOUNT_US=$((t1 - t0))
	EXIT_US=$(($(usec) - t0))
}

cleanup() {
	local i dev mnt pid
	trap - EXIT INT TERM
	for i in "${!MOUNTS[@]}"; do
		mnt=${MOUNTS[$i]%%|*}
		dev=${MOUNTS[$i]#*|}
		if mountpoint -q "$mnt" 2>/dev/null; then
			umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
		fi
		for pid in $(daemon_pids "$dev" "$mnt"); do
			kill "$pid" 2>/dev/null
		done
	done
	for dev in "${DEVICES[@]}"; do rm -f "$dev"; done
	for i in "${DIRS[@]}"; do rm -rf --one-file-system "$i" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The helpers below that create things set globals instead of printing, so
# that they run in this shell: what they register, the trap undoes, and
# their die() ends the run.

# DEV = a fresh emulated device: sparse (truncate) or allocated (fallocate).
new_device() { # SIZE sparse|full
	DEV=$(mktemp /dev/shm/bpfam-bench.XXXXXX) || die "mktemp in /dev/shm failed"
	DEVICES+=("$DEV")
	if [ "$2" = full ]; then
		fallocate -l "$1" "$DEV" || die "$DEV: cannot allocate $1 in /dev/shm"
	else
		truncate -s "$1" "$DEV" || die "$DEV: cannot size to $1"
	fi
}

# NEWDIR = a fresh directory under $1 (/tmp).
new_dir() {
	NEWDIR=$(mktemp -d "${1:-/tmp}/bpfam-bench.XXXXXX") || die "mktemp -d failed"
	DIRS+=("$NEWDIR")
}

# Mount device $1 on a new directory MNT, with bpfamd options $2...;
# MOUNT_US = microseconds from starting bpfamd to the root answering stat.
mount_dev() {
	local t0
	new_dir
	MNT=$NEWDIR
	MOUNTS+=("$MNT|$1")
	t0=$(usec)
	"$BPFAMD" "${@:2}" "$1" "$MNT" >>"$LOG" 2>&1 || die "bpfamd $1 $MNT failed"
	stat "$MNT" >/dev/null || die "$MNT: not answering"
	MOUNT_US=$(($(usec) - t0))
}

round_up() { echo $(( ($1 + $2 - 1) / $2 * $2 )); }

# ---- checks -------------------------------------------------------------------

[ "$(id -u)" = 0 ] || { echo "bench: must run as root (mounts FUSE, formats devices)" >&2; exit 1; }
for f in "$BPFAM" "$BPFAMD" "$HELPER"; do
	[ -x "$f" ] || { echo "bench: $f missing; run 'make bench'" >&2; exit 1; }
done
for t in jq numfmt pgrep mountpoint; do
	command -v "$t" >/dev/null || { echo "bench: $t not installed (make deps)" >&2; exit 1; }
done
HAVE_FIO=1; command -v fio >/dev/null || HAVE_FIO=0
HAVE_GNUPLOT=1; command -v gnuplot >/dev/null || HAVE_GNUPLOT=0

mkdir -p "$OUT" || exit 1
: >"$LOG"
: >"$SUMMARY"
rm -f "$OUT"/*.csv "$OUT"/*.json "$OUT"/bench.png

DEV_BYTES=$(bytes "$DEV_SIZE") || die "BENCH_DEV_SIZE: bad size '$DEV_SIZE'"
FILE_BYTES=$(bytes "$FILE_SIZE") || die "BENCH_FILE_SIZE: bad size '$FILE_SIZE'"
IO_BYTES=$(bytes "$IO_SIZE") || die "BENCH_IO_SIZE: bad size '$IO_SIZE'"
UNIT=2097152
START=$(usec)

# ---- header -------------------------------------------------------------------

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT+dirty"

say "bpfam benchmarks  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $COMMIT"
say "machine: $(nproc) CPUs ($CPU), $MEM, kernel $(uname -r), load average $LOAD"

# ---- 1. mkfs and fsck ---------------------------------------------------------

mkfs_us=()
for i in 1 2 3; do
	new_device "$DEV_SIZE" full
	t0=$(usec)
	"$BPFAM" mkfs "$DEV" >>"$LOG" 2>&1 || die "mkfs $DEV failed"
	mkfs_us+=($(($(usec) - t0)))
	[ $i = 3 ] || rm -f "$DEV"
done
dev=$DEV
fsck_us=()
for i in 1 2 3; do
	t0=$(usec)
	"$BPFAM" fsck "$dev" >>"$LOG" 2>&1 || die "fsck $dev failed"
	fsck_us+=($(($(usec) - t0)))
done
MKFS_MS=$(calc "$(median "${mkfs_us[@]}") / 1000" %.1f)
FSCK0_MS=$(calc "$(median "${fsck_us[@]}") / 1000" %.1f)
LOG_SIZE=$("$BPFAM" fsck --json "$dev" 2>>"$LOG" | jq -r .log_size)
rm -f "$dev"

# The mode the daemon serves in (fallback until the fast path exists).
new_device "$DEV_SIZE" sparse
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev"
mnt=$MNT
MODE=$("$BPFAM" stats --json "$mnt" 2>>"$LOG" | jq -r '.mode + (if .direct_io then ", FOPEN_DIRECT_IO" else ", page cache" end)')
[ -n "$MODE" ] || die "$mnt: no stats from the daemon"
unmount "$dev" "$mnt"
rm -f "$dev"
say "bpfam: $MODE mode (every read/write is a round trip to bpfamd); devices are files in /dev/shm"
say ""

say "1. mkfs and fsck ($DEV_SIZE device, $(calc "$LOG_SIZE / $MIB" %.0f) MiB log; median of 3)"
sayf '   %-28s %10s\n' "mkfs" "$MKFS_MS ms" "fsck, empty" "$FSCK0_MS ms"
say "   (fsck with N files: table 3)"
echo "op,device_bytes,ms" >"$OUT/mkfs.csv"
echo "mkfs,$DEV_BYTES,$MKFS_MS" >>"$OUT/mkfs.csv"
echo "fsck_empty,$DEV_BYTES,$FSCK0_MS" >>"$OUT/mkfs.csv"
say ""

# ---- 2. file create through the mount ---------------------------------------

# Room for every file (extents are 2 MiB units) plus the log, sparse.
need=$(( CREATE_FILES * $(round_up "$FILE_BYTES" $UNIT) + 64 * MIB ))
csize=$(round_up $(( need > DEV_BYTES ? need : DEV_BYTES )) $((1024 * MIB)))
new_device "$csize" sparse
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev"
mnt=$MNT
CREATE_JSON=$("$HELPER" create "$mnt" "$CREATE_FILES" "$FILE_BYTES" 2>>"$LOG") ||
	die "creating $CREATE_FILES files in $mnt failed"
REQS=$("$BPFAM" stats --json "$mnt" 2>>"$LOG" | jq -c .requests)
unmount "$dev" "$mnt"
rm -f "$dev"
echo "$CREATE_JSON" | jq --argjson r "$REQS" '. + {requests: $r, famfs_published_ms: '$FAMFS_CREATE_MS'}' >"$OUT/create.json"
echo "files,size,files_per_s,ms_mean,ms_p50,ms_p99,ms_max,ms_open_mean,ms_fallocate_mean" >"$OUT/create.csv"
echo "$CREATE_JSON" | jq -r '[.files,.size,.files_per_s,.ms_mean,.ms_p50,.ms_p99,.ms_max,.ms_open_mean,.ms_fallocate_mean] | @csv' >>"$OUT/create.csv"
read -r c_fps c_mean c_p50 c_p99 c_max c_open c_fall < <(echo "$CREATE_JSON" |
	jq -r '[.files_per_s, .ms_mean, .ms_p50, .ms_p99, .ms_max, .ms_open_mean, .ms_fallocate_mean] | map(tostring) | join(" ")')

say "2. file create through the mount: open(O_CREAT) + fallocate($FILE_SIZE) + close, $CREATE_FILES files, one thread"
sayf '   %-28s %10s %10s %10s %10s %12s\n' "" "mean ms" "p50 ms" "p99 ms" "max ms" "files/s"
sayf '   %-28s %10.3f %10.3f %10.3f %10.3f %12.0f\n' "bpfam (fallback)" "$c_mean" "$c_p50" "$c_p99" "$c_max" "$c_fps"
sayf '   %-28s %10s %10s %10s %10s %12s\n' "famfs creat (published*)" "~$FAMFS_CREATE_MS" "" "" "" "~10"
sayf '   %-28s open %.3f ms + fallocate %.3f ms; %sx faster than famfs*\n' "" "$c_open" "$c_fall" "$(calc "$FAMFS_CREATE_MS / $c_mean" %.0f)"
say "   * famfs issue #60 reports 90-120 ms per 'famfs creat': its number, not measured here"
say ""

# ---- 2b. a client following the primary ---------------------------------------

FOLLOW_FILES=${BENCH_FOLLOW_FILES:-200}
new_device 1G sparse
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev" -o role=primary,host-id=0000000000000000000000000000bea1
fp=$MNT
mount_dev "$dev" -o role=client,host-id=0000000000000000000000000000bea2
fc=$MNT
FOLLOW_JSON=$(python3 scripts/bench/follow.py "$fp" "$fc" "$FOLLOW_FILES" 2>>"$LOG") ||
	die "measuring how a client follows failed"
unmount "$dev" "$fc"
unmount "$dev" "$fp"
rm -f "$dev"
echo "$FOLLOW_JSON" >"$OUT/follow.json"
read -r f_p50 f_p99 f_max < <(echo "$FOLLOW_JSON" | jq -r '[.ms_p50, .ms_p99, .ms_max] | map(tostring) | join(" ")')
say "2b. a client follows: from the primary's create reply to the name in the client's readdir, $FOLLOW_FILES files"
sayf '   %-28s %10s %10s %10s\n' "" "p50 ms" "p99 ms" "max ms"
sayf '   %-28s %10.3f %10.3f %10.3f\n' "client readdir" "$f_p50" "$f_p99" "$f_max"
say "   target: p99 under 100 ms (the client plays new records when a directory is read; its heartbeat, 100 ms, is the bound otherwise)"
say ""

# ---- 3. mount time against the number of files -------------------------------

# Table 3 notes, for each N: the library's play and the daemon's RSS, and
# after each mount the daemon's own account of it (its "serving" line).
declare -A SC
scale_note_mount() { # N PLAY_JSON RSS_KIB
	SC[$1.records]=$(echo "$2" | jq -r .records)
	SC[$1.play]=$(echo "$2" | jq -r .ms_median)
	SC[$1.decode]=$(echo "$2" | jq -r .decode_ms_median)
	SC[$1.rss]=$3
}
scale_note_daemon() { # N: SC[N.dplay] gains this mount's log play
	local line
	line=$(grep -a 'serving .* log records played in' "$LOG" | tail -n 1)
	SC[$1.dplay]+=" $(echo "$line" | sed -n 's/.* played in \([0-9]*\) ms.*/\1/p')"
}

# SC[KEY] = files/s of bpfam-bench creates in a new directory under $1.
creates_run() { # DIR KEY THREADS
	local j
	new_dir "$1"
	j=$("$HELPER" creates "$NEWDIR" "$SCALE_CREATES" "$3" 4096 2>>"$LOG") ||
		die "creating $SCALE_CREATES files with $3 threads in $NEWDIR failed"
	SC[$2]=$(echo "$j" | jq -r .files_per_s)
}

# SC[KEY.cold], SC[KEY.warm] = ms of `ls -l DIR` (the first, then again).
ls_run() { # DIR KEY
	local t0 i
	for i in cold warm; do
		t0=$(usec)
		ls -l "$1" >/dev/null 2>>"$LOG" || die "ls -l $1 failed"
		SC[$2.$i]=$(calc "($(usec) - $t0) / 1000" %.0f)
	done
}

say "3. log size: populate (libbpfam, no FUSE), fsck, log play, mount; files of $FILE_SIZE"
sayf '   %8s %9s %10s %10s %10s %11s %10s %10s %9s\n' "files" "log MiB" "populate s" "fsck ms" "play ms" "mount ms" "umount ms" "exit ms" "RSS MiB"
echo "files,log_bytes,populate_s,fsck_ms,play_ms,mount_ms,umount_ms,daemon_exit_ms,daemon_rss_kib,mounts" >"$OUT/mount.csv"
for n in $MOUNT_FILES; do
	# ~200 bytes of log per file; data: one extent each; sparse device.
	lsize=$(round_up $(( n * 250 + 8 * MIB )) $UNIT)
	need=$(( n * $(round_up "$FILE_BYTES" $UNIT) + lsize + 64 * MIB ))
	msize=$(round_up $(( need > DEV_BYTES ? need : DEV_BYTES )) $((1024 * MIB)))
	new_device "$msize" sparse
	dev=$DEV
	"$BPFAM" mkfs --log-size "$lsize" "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
	pop=$("$HELPER" populate "$dev" "$n" "$FILE_BYTES" 2>>"$LOG") || die "populating $dev with $n files failed"
	pop_s=$(echo "$pop" | jq -r '.seconds * 100 | round / 100')
	t0=$(usec)
	"$BPFAM" fsck "$dev" >>"$LOG" 2>&1 || die "fsck $dev ($n files) failed"
	fsck_ms=$(calc "($(usec) - $t0) / 1000" %.1f)
	play=$("$HELPER" play "$dev" 3 2>>"$LOG") || die "playing $dev failed"
	play_ms=$(echo "$play" | jq -r .ms_median)
	log_bytes=$(echo "$play" | jq -r .log_bytes)
	m_us=() u_us=() e_us=()
	rss=0
	for ((i = 0; i < MOUNT_REPEAT; i++)); do
		mount_dev "$dev"
		mnt=$MNT us=$MOUNT_US
		m_us+=("$us")
		scale_note_daemon "$n"
		if [ $i = 0 ]; then
			pid=$(daemon_pids "$dev" "$mnt" | head -n 1)
			rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
			scale_note_mount "$n" "$play" "$rss"
			[ "$("$BPFAM" stats --json "$mnt" 2>>"$LOG" | jq -r .files)" = "$n" ] ||
				die "$mnt: does not show $n files"
		fi
		unmount "$dev" "$mnt"
		u_us+=("$UMOUNT_US") e_us+=("$EXIT_US")
		[ "$us" -gt 5000000 ] && break
	done
	mount_ms=$(calc "$(median "${m_us[@]}") / 1000" %.1f)
	umount_ms=$(calc "$(median "${u_us[@]}") / 1000" %.1f)
	exit_ms=$(calc "$(median "${e_us[@]}") / 1000" %.1f)
	rm -f "$dev"
	sayf '   %8s %9.2f %10.2f %10s %10.1f %11s %10s %10s %9.0f\n' "$n" "$(calc "$log_bytes / $MIB" %.2f)" \
		"$pop_s" "$fsck_ms" "$play_ms" "$mount_ms" "$umount_ms" "$exit_ms" "$(calc "$rss / 1024" %.0f)"
	echo "$n,$log_bytes,$pop_s,$fsck_ms,$play_ms,$mount_ms,$umount_ms,$exit_ms,$rss,${#m_us[@]}" >>"$OUT/mount.csv"
done
say "   play = bpfam_fs_mount() in-process (median of 3); mount = bpfamd start until the root answers stat"
say "   (log play + BPF map publication + FUSE mount; median of up to $MOUNT_REPEAT); exit = umount until bpfamd is gone"
say "   famfs caps its log at ~15k entries (8 MiB of 544-byte entries); bpfam's log is sized to the device"
say ""

# ---- 4. data throughput: bpfam (fallback) vs tmpfs vs raw mapping -------------

need=$(( IO_BYTES + 64 * MIB ))
isize=$(round_up $(( need > DEV_BYTES ? need : DEV_BYTES )) $UNIT)
new_device "$isize" full
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev"
mnt=$MNT
bfile=$mnt/io
new_dir /dev/shm
tfile=$NEWDIR/io
fallocate -l "$IO_BYTES" "$bfile" >>"$LOG" 2>&1 || die "$bfile: fallocate failed"
# Write both files once, untimed, so every page exists before the runs.
dd if=/dev/zero of="$bfile" bs=1M count=$((IO_BYTES / MIB)) conv=notrunc status=none 2>>"$LOG" ||
	die "$bfile: writing failed"
dd if=/dev/zero of="$tfile" bs=1M count=$((IO_BYTES / MIB)) status=none 2>>"$LOG" || die "$tfile: writing failed"

# fio_run TARGET KEY FILE RW BS: R[TARGET.KEY] = MiB/s, R[TARGET.KEYi] = IOPS
fio_run() {
	local out=$OUT/fio.json dir=read v
	case $4 in *write) dir="write" ;; esac
	fio --name=bench --filename="$3" --rw="$4" --bs="$5" --size="$IO_BYTES" \
		--ioengine=psync --numjobs=1 --time_based --ramp_time=1 --runtime="$IO_RUNTIME" \
		--fallocate=none --randrepeat=1 --output-format=json --output="$out" >>"$LOG" 2>&1 ||
		die "fio $4 $5 on $3 failed"
	v=$(jq -r ".jobs[0].$dir | \"\(.bw_bytes / $MIB) \(.iops)\"" "$out") || die "fio $4: no result"
	R[$1.$2]=${v% *}
	R[$1.${2}i]=${v#* }
	rm -f "$out"
}

declare -A R
if [ $HAVE_FIO = 1 ]; then
	for tgt in bpfam tmpfs; do
		f=$bfile; [ $tgt = tmpfs ] && f=$tfile
		fio_run $tgt sw "$f" write 1M
		fio_run $tgt sr "$f" read 1M
		fio_run $tgt rr "$f" randread 4k
	done
fi
RAW=$("$HELPER" raw "$dev" "$bfile" 2 2>>"$LOG") || die "raw mapping of $dev failed"
read -r "R[raw.sr]" "R[raw.sri]" "R[raw.sw]" "R[raw.swi]" "R[raw.rr]" "R[raw.rri]" < <(echo "$RAW" |
	jq -r '[.seq_read.MiB_s, .seq_read.iops, .seq_write.MiB_s, .seq_write.iops, .rand_read.MiB_s, .rand_read.iops] | map(tostring) | join(" ")')

# ---- 5. mmap first touch ------------------------------------------------------

touch_run() { # TARGET FILE [DEVICE]: R[TARGET.mt] = median of 3 fresh mappings, first pass MiB/s
	local v=() i j t=$1
	shift
	for i in 1 2 3; do
		j=$("$HELPER" touch "$@" 2>>"$LOG") || die "mmap first touch of $* failed"
		v+=("$(echo "$j" | jq -r .first_MiB_s)")
	done
	R[$t.mt]=$(median "${v[@]}")
}
touch_run bpfam "$bfile"
touch_run tmpfs "$tfile"
touch_run raw "$bfile" "$dev"
STATS=$("$BPFAM" stats --json "$mnt" 2>>"$LOG")
unmount "$dev" "$mnt"
rm -f "$dev" "$tfile"

echo "$STATS" >"$OUT/daemon-stats.json"
echo "workload,unit,bpfam,tmpfs,raw_mmap" >"$OUT/io.csv"
row() { # KEY LABEL UNIT
	local b=${R[bpfam.$1]:-} t=${R[tmpfs.$1]:-} r=${R[raw.$1]:-}
	echo "$2,$3,$b,$t,$r" >>"$OUT/io.csv"
	sayf '   %-26s %-6s %11s %11s %11s %12s %10s\n' "$2" "$3" \
		"${b:+$(calc "$b" %.0f)}" "${t:+$(calc "$t" %.0f)}" "${r:+$(calc "$r" %.0f)}" \
		"$(ratio "${b:-0}" "${t:-0}")" "$(ratio "${b:-0}" "${r:-0}")"
}
say "4. data throughput on a $IO_SIZE file (fio psync, 1 job, ${IO_RUNTIME}s after 1s ramp; raw = memcpy through"
say "   a mapping of the device at the file's extents, the ceiling); 5. mmap first touch (median of 3)"
sayf '   %-26s %-6s %11s %11s %11s %12s %10s\n' "" "unit" "bpfam" "tmpfs" "raw mmap" "bpfam/tmpfs" "bpfam/raw"
[ $HAVE_FIO = 1 ] || say "   (fio not installed: read()/write() rows skipped)"
if [ $HAVE_FIO = 1 ]; then
	row sr "seq read 1M" MiB/s
	row sw "seq write 1M" MiB/s
	row rr "rand read 4K" MiB/s
	row rri "rand read 4K" IOPS
fi
row mt "mmap first touch" MiB/s
say "   fallback mode: every read()/write() and every page fault is served by bpfamd over /dev/fuse"
say ""

# ---- 6. BPF maps: kernel memory per published file, resolver cost ------------

MAP_FILES=${BENCH_MAP_FILES:-2000}
RESOLVE_BENCH=$BUILD/bpfam-resolve-bench
[ -x "$RESOLVE_BENCH" ] || die "$RESOLVE_BENCH missing; run 'make bench'"
command -v bpftool >/dev/null || die "bpftool not installed (make deps)"
new_device 1G sparse
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev"
mnt=$MNT
pins=$("$BPFAM" stats --json "$mnt" 2>>"$LOG" | jq -r .bpf_maps)
[ -d "$pins" ] || die "$mnt: no pinned BPF maps ($pins)"
map_show() { bpftool -j map show pinned "$pins/$1" | jq -r ".$2"; }
mem0=$(map_show fmaps bytes_memlock)
# Empty files: their fmaps value is the same fixed size as that of a file
# of 1 to 4 extents, and they cost no device memory.  Creating a file
# gives the kernel its node, which publishes its fmap.
(cd "$mnt" && seq -f "f%06g" 1 "$MAP_FILES" | xargs touch) || die "$mnt: creating $MAP_FILES files failed"
published=$("$BPFAM" stats --json "$mnt" 2>>"$LOG" | jq -r .fmaps_published)
mem1=$(map_show fmaps bytes_memlock)
value=$(map_show fmaps bytes_value)
exts_value=$(map_show fmap_exts bytes_value)
exts_mem=$(map_show fmap_exts bytes_memlock)
unmount "$dev" "$mnt"
rm -f "$dev"
[ "$published" = "$MAP_FILES" ] || die "$mnt: $published fmaps published after creating $MAP_FILES files"
per_file=$(calc "($mem1 - $mem0) / $published" %.0f)
RES=$("$RESOLVE_BENCH" 21 20000 2>>"$LOG") || die "measuring the resolver failed"
jq -n --argjson files "$published" --argjson value "$value" --argjson per_file "$per_file" \
	--argjson base "$mem0" --argjson exts_value "$exts_value" --argjson exts_base "$exts_mem" \
	--argjson resolve "$RES" '{files: $files, fmaps_value_bytes: $value, fmaps_bytes_per_file: $per_file,
	fmaps_bytes_empty: $base, fmap_exts_value_bytes: $exts_value, fmap_exts_bytes_empty: $exts_base,
	resolve: $resolve}' >"$OUT/maps.json" || die "writing maps.json failed"
say "6. BPF maps: $MAP_FILES files created (so published); resolver cost per call"
sayf '   %-44s %10s\n' "fmaps value (bpftool map show)" "$value B"
sayf '   %-44s %10s %s\n' "fmaps memlock per published file" "$per_file B" \
	"($(ratio "$per_file" "$value") x the value; empty map: $(calc "$mem0 / $MIB" %.1f) MiB of buckets)"
sayf '   %-44s %10s %s\n' "fmap_exts value (files of > 4 extents)" "$exts_value B" \
	"(empty map: $(calc "$exts_mem / $MIB" %.1f) MiB)"
sayf '   %-28s %12s %12s %10s\n' "resolve, ns per call" "1 extent" "256 extents" "ratio"
for k in random sequential; do
	sayf '   %-28s %12s %12s %10s\n' "$k offsets" "$(echo "$RES" | jq -r ".$k.ns_1")" \
		"$(echo "$RES" | jq -r ".$k.ns_256")" "$(echo "$RES" | jq -r ".$k.ratio")"
done
say "   resolve: the resolve_test syscall twin (the fast path's code) over published fmaps, BPF_PROG_TEST_RUN"
say "   with BPF run-time statistics, median of 21 rounds of 20000 calls; target ratio at most 1.5"
say "   (results in $OUT/maps.json)"
say ""

# ---- 7. a million files: log play, mount, creates from threads, ls -l -------

SCALE_CREATES=${BENCH_SCALE_CREATES:-8000}
LS_FILES=${BENCH_LS_FILES:-100000}
# Every created file takes a 2 MiB unit; sparse.
new_device "$(round_up $(( 2 * SCALE_CREATES * UNIT + 256 * MIB )) $((1024 * MIB)))" sparse
dev=$DEV
"$BPFAM" mkfs "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
mount_dev "$dev"
mnt=$MNT
creates_run "$mnt" bpfam.1 1
creates_run "$mnt" bpfam.4 4
unmount "$dev" "$mnt"
rm -f "$dev"
creates_run /dev/shm tmpfs.1 1
rm -rf --one-file-system "$NEWDIR"
creates_run /dev/shm tmpfs.4 4
rm -rf --one-file-system "$NEWDIR"

lsize=$(round_up $(( LS_FILES * 250 + 8 * MIB )) $UNIT)
new_device "$(round_up $(( LS_FILES * UNIT + lsize + 64 * MIB )) $((1024 * MIB)))" sparse
dev=$DEV
"$BPFAM" mkfs --log-size "$lsize" "$dev" >>"$LOG" 2>&1 || die "mkfs $dev failed"
"$HELPER" populate "$dev" "$LS_FILES" "$FILE_BYTES" >>"$LOG" 2>&1 || die "populating $dev with $LS_FILES files failed"
mount_dev "$dev"
mnt=$MNT
ls_run "$mnt" bpfam
unmount "$dev" "$mnt"
rm -f "$dev"
new_dir /dev/shm
"$HELPER" creates "$NEWDIR" "$LS_FILES" 1 0 >>"$LOG" 2>&1 || die "creating $LS_FILES files in $NEWDIR failed"
ls_run "$NEWDIR" tmpfs
rm -rf --one-file-system "$NEWDIR"

m0=$(echo "$MOUNT_FILES" | awk '{ print $1 }')
say "7. a million files: log play, the daemon's mount, creates from threads, ls -l"
sayf '   %8s %9s %12s %10s %11s %11s %12s %12s\n' "files" "records" "records/s" "play/read" \
	"bpfamd play" "mount ms" "mount/empty" "RSS B/file"
echo "files,records,records_per_s,play_ms,decode_ms,daemon_play_ms,mount_ms,rss_bytes_per_file" >"$OUT/scale.csv"
base_rss=${SC[$m0.rss]:-0}
base_mount=$(awk -F, -v n="$m0" 'NR > 1 && $1 == n { print $6 }' "$OUT/mount.csv")
for n in $MOUNT_FILES; do
	[ -n "${SC[$n.records]:-}" ] || continue
	# shellcheck disable=SC2086 # the lists split into the medians' arguments
	SC[$n.dplay]=$(median ${SC[$n.dplay]})
	mms=$(awk -F, -v n="$n" 'NR > 1 && $1 == n { print $6 }' "$OUT/mount.csv")
	rps=$(calc "${SC[$n.records]} / (${SC[$n.play]} / 1000)" %.0f)
	bpf=$([ "$n" -gt 0 ] && calc "(${SC[$n.rss]} - $base_rss) * 1024 / $n" %.0f || echo -)
	sayf '   %8s %9s %12s %10s %11s %11s %12s %12s\n' "$n" "${SC[$n.records]}" "$rps" \
		"$(ratio "${SC[$n.play]}" "${SC[$n.decode]}")" "${SC[$n.dplay]:-?}" \
		"$mms" "$(ratio "$mms" "${base_mount:-0}")" "$bpf"
	echo "$n,${SC[$n.records]},$rps,${SC[$n.play]},${SC[$n.decode]},${SC[$n.dplay]},$mms,$bpf" >>"$OUT/scale.csv"
done
say "   records/s: the library's play (table 3); play/read: that time over reading and checking the"
say "   same records alone (decode + CRC, no namespace); bpfamd play: the daemon's own account of"
say "   its mounts (their 'serving' lines; the median, as mount ms); mount/empty: over the first"
say "   mount of table 3;"
say "   RSS B/file: the daemon's RSS above the first row's, per file.  Targets: >= 2,000,000 records/s;"
say "   mount of 100,000 files < 0.5 s and 1,000,000 < 3 s; RSS < 300 B/file"
sayf '   %-34s %12s %12s %12s\n' "creates: open(O_CREAT)+write 4K+close" "bpfam" "tmpfs" "bpfam/tmpfs"
for t in 1 4; do
	sayf '   %-34s %12.0f %12.0f %12s\n' "$t thread(s), $SCALE_CREATES files, files/s" "${SC[bpfam.$t]}" \
		"${SC[tmpfs.$t]}" "$(ratio "${SC[bpfam.$t]}" "${SC[tmpfs.$t]}")"
done
sayf '   %-34s %12s %12s\n' "4 threads over 1" "$(ratio "${SC[bpfam.4]}" "${SC[bpfam.1]}")" \
	"$(ratio "${SC[tmpfs.4]}" "${SC[tmpfs.1]}")"
sayf '   %-34s %12s %12s %12s\n' "ls -l, $LS_FILES files: first, ms" "${SC[bpfam.cold]}" "${SC[tmpfs.cold]}" \
	"$(ratio "${SC[bpfam.cold]}" "${SC[tmpfs.cold]}")"
sayf '   %-34s %12s %12s %12s\n' "ls -l again, ms" "${SC[bpfam.warm]}" "${SC[tmpfs.warm]}" \
	"$(ratio "${SC[bpfam.warm]}" "${SC[tmpfs.warm]}")"
say "   target: >= 20,000 files/s with 4 threads"
{
	echo "what,bpfam,tmpfs"
	echo "creates_per_s_1_thread,${SC[bpfam.1]},${SC[tmpfs.1]}"
	echo "creates_per_s_4_threads,${SC[bpfam.4]},${SC[tmpfs.4]}"
	echo "ls_l_${LS_FILES}_first_ms,${SC[bpfam.cold]},${SC[tmpfs.cold]}"
	echo "ls_l_${LS_FILES}_again_ms,${SC[bpfam.warm]},${SC[tmpfs.warm]}"
} >"$OUT/scale-ops.csv"
say ""

# ---- results.json, plot -------------------------------------------------------

csv_json() { # CSV -> JSON array of objects (numbers where they parse)
	jq -R -s 'split("\n") | map(select(length > 0) | split(",")) |
		.[0] as $h | .[1:] | map([$h, .] | transpose |
		map({(.[0]): (.[1] | tonumber? // .)}) | add)' "$1"
}
ELAPSED=$(calc "($(usec) - $START) / 1000000" %.0f)
jq -n --arg date "$(date -u +%FT%TZ)" --arg commit "$COMMIT" --arg kernel "$(uname -r)" \
	--arg cpu "$CPU" --argjson nproc "$(nproc)" --arg load "$LOAD" --arg mode "$MODE" \
	--argjson elapsed "$ELAPSED" \
	--argjson mkfs "$(csv_json "$OUT/mkfs.csv")" --slurpfile create "$OUT/create.json" \
	--argjson mount "$(csv_json "$OUT/mount.csv")" --argjson io "$(csv_json "$OUT/io.csv")" \
	--argjson scale "$(csv_json "$OUT/scale.csv")" --argjson scale_ops "$(csv_json "$OUT/scale-ops.csv")" \
	--slurpfile daemon "$OUT/daemon-stats.json" --slurpfile follow "$OUT/follow.json" \
	'{date: $date, commit: $commit, machine: {nproc: $nproc, cpu: $cpu, kernel: $kernel,
	  loadavg: $load}, mode: $mode, elapsed_s: $elapsed, mkfs_fsck: $mkfs, create: $create[0], follow: $follow[0],
	  mount: $mount, io: $io, io_daemon_stats: $daemon[0], scale: $scale, scale_ops: $scale_ops}' >"$OUT/results.json" ||
	die "writing results.json failed"

if [ $HAVE_GNUPLOT = 1 ]; then
	awk -F, 'NR > 1 && $2 == "MiB/s"' "$OUT/io.csv" >"$OUT/plot-io.dat"
	awk -F, 'NR > 1' "$OUT/mount.csv" >"$OUT/plot-mount.dat"
	printf '%s\n' "bpfam mean,$c_mean" "bpfam p50,$c_p50" "bpfam p99,$c_p99" \
		"famfs*,$FAMFS_CREATE_MS" >"$OUT/plot-create.dat"
	gnuplot >>"$LOG" 2>&1 <<-EOF || say "(gnuplot failed; see $LOG)"
		set terminal pngcairo size 1400,600 font ",10" noenhanced
		set output "$OUT/bench.png"
		set datafile separator ","
		set multiplot layout 1,3 title "bpfam ($MODE), $(nproc) CPUs, $(uname -r), $(date -u +%F)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set logscale y
		set grid ytics
		set key top right
		set xtics rotate by -20
		set title "throughput (MiB/s, log scale)"
		set yrange [1:100000]
		plot "$OUT/plot-io.dat" using 3:xtic(1) title "bpfam", '' using 4 title "tmpfs", '' using 5 title "raw mmap"
		set title "mount time vs files in the log (ms, log scale)"
		set xtics norotate
		set key top left
		set yrange [0.1:100000]
		plot "$OUT/plot-mount.dat" using (\$5 > 0 ? \$5 : 0.1):xtic(1) title "log play (lib)", \
			'' using 6 title "bpfamd mount", '' using 4 title "fsck"
		set title "file create latency (ms, log scale; famfs*: its published ~100 ms)"
		set yrange [0.01:1000]
		unset key
		set style data boxes
		set boxwidth 0.6
		plot "$OUT/plot-create.dat" using 0:2:xtic(1) lc rgb "#4472c4"
		unset multiplot
	EOF
	rm -f "$OUT"/plot-*.dat
fi

say "results: $OUT/results.json, $OUT/*.csv$([ -s "$OUT/bench.png" ] && echo ", $OUT/bench.png"); took ${ELAPSED}s"
