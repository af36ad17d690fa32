#!/bin/bash
# bpfamd's command line and its survival of bad memory, on this kernel:
# --version and --help, usage errors named 'bpfamd:', the mode=fast refusal
# in one line, libfuse's standard options (-o ro, -s, max_threads), options
# after the operands, mount -t fuse.bpfamd through mount.fuse3 and an fstab
# line, and a SIGBUS on the device mapping (the device file shrunk under
# the daemon) failing one request with EIO while the daemon goes on, and
# the daemon's own metadata cut under it ending it with one line saying so.
# Needs root.  usage: options.sh [BUILD-DIR]
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

dl_init "${1:-build}"
BUILD_DIR=$(cd "${1:-build}" && pwd)
HOST2=0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b

# mount_opts MNT: the options the kernel shows for MNT.
mount_opts() {
	awk -v m="$1" '$2 == m { print $4 }' /proc/self/mounts
}

# one_line CMD...: CMD fails with exactly one line on stderr.
one_line() {
	local err

	err=$("$@" 2>&1 >/dev/null) && return 1
	echo "# $err" | head -3
	[ "$(wc -l <<<"$err")" -eq 1 ]
}

test_cmdline() {
	local mnt=$DL_MNTROOT/cmdline want out

	mkdir "$mnt"
	want=$(sed -n 's/^#define BPFAM_VERSION_STRING "\(.*\)"$/\1/p' \
		"$HERE/../../include/bpfam/version.h")
	stdout_has "bpfamd --version prints bpfamd's version ($want)" \
		"^bpfamd $want " "$BPFAMD" --version
	out=$("$BPFAMD" --help 2>/dev/null)
	check "bpfamd --help lists bpfam's own options" \
		grep -q -- '-o role=primary' <<<"$out"
	check "... and libfuse's command-line options (max_threads)" \
		grep -q -- 'max_threads' <<<"$out"
	check "... and libfuse's mount options (allow_other)" \
		grep -q -- 'allow_other' <<<"$out"
	check_err "a usage error names 'bpfamd:', not its path" 2 \
		"^bpfamd: expected DEVICE and MOUNTPOINT" "$BPFAMD" "$DEV"
	check_fails "... nowhere '$BPFAMD:'" \
		grep -q "$BPFAMD:" <<<"$("$BPFAMD" "$DEV" 2>&1)"
	check_err "an option unknown to bpfam and libfuse is a usage error" 2 \
		"^bpfamd: fuse: unknown option.*bogus" \
		"$BPFAMD" -f "$DEV" "$mnt" -o bogus
	check_err "-o mode= with a bad value is a usage error" 2 \
		"^bpfamd: -o mode=bogus: give auto, fast or fallback" \
		"$BPFAMD" -f -o mode=bogus "$DEV" "$mnt"
	check_err "a third operand is a usage error" 2 \
		"expected DEVICE and MOUNTPOINT" "$BPFAMD" -f "$DEV" "$mnt" x
	check "-o mode=fast on an emulated device is refused in one line" \
		one_line "$BPFAMD" -f -o mode=fast "$DEV" "$mnt"
	check_fails "no refusal left anything mounted" dl_mounted "$mnt"
	rmdir "$mnt"
}

# Options after the operands, as mount.fuse3 passes them.
test_after_operands() {
	local mnt

	mnt=$(dl_mountpoint after)
	if ! dl_start_args "$mnt" "$DEV" "$mnt" -f -o role=primary,heartbeat=50; then
		not_ok "bpfamd DEVICE MOUNTPOINT -f -o OPTS mounts"
		return
	fi
	ok "bpfamd DEVICE MOUNTPOINT -f -o OPTS mounts"
	check "... as the primary asked for after the operands" \
		[ "$(stats_of "$mnt" .role)" = primary ]
	check "... allow_other and default_permissions are still on" \
		grep -q 'default_permissions.*allow_other' <<<"$(mount_opts "$mnt")"
	check "bpfam creat -s 4M makes a file" "$BPFAM" creat -s 4M "$mnt/a"
	check "dd writes it" dd if=/dev/urandom of="$mnt/a" bs=1M count=4 \
		conv=notrunc,fsync status=none
	cp "$mnt/a" "$DL_TMP/a.ref"
	check "-o mode=fast next to a running daemon: refused in one line" \
		one_line "$BPFAMD" -f "$DEV" "$DL_MNTROOT" \
		-o mode=fast,role=client,host-id=$HOST2
	check_fails "... not announcing fallback mode first" grep -q \
		"serving in fallback" <<<"$("$BPFAMD" -f "$DEV" "$DL_MNTROOT" \
		-o mode=fast,role=client,host-id=$HOST2 2>&1)"
	check "unmounts cleanly" dl_stop "$mnt"
}

test_readonly() {
	local mnt

	mnt=$(dl_mountpoint ro)
	if ! dl_start "$mnt" -o ro,role=primary; then
		not_ok "bpfamd -o ro mounts"
		return
	fi
	ok "bpfamd -o ro mounts"
	check "the kernel has it read-only" \
		grep -q '^ro,' <<<"$(mount_opts "$mnt")"
	check "-o ro: a file reads back" cmp "$DL_TMP/a.ref" "$mnt/a"
	check_errno "-o ro: writing a file: EROFS" EROFS pwrite "$mnt/a" 0 1
	check_errno "-o ro: creating a file: EROFS" EROFS creat "$mnt/new"
	check_errno "-o ro: mkdir: EROFS" EROFS mkdir "$mnt/dir"
	check "-o ro: the role is kept (primary)" \
		[ "$(stats_of "$mnt" .role)" = primary ]
	check "unmounts cleanly" dl_stop "$mnt"
}

# -o size_once: famfs's rule, for those who want it.
test_size_once() {
	local mnt MiB=$((1 << 20))

	mnt=$(dl_mountpoint once)
	if ! dl_start "$mnt" -o size_once,role=primary; then
		not_ok "bpfamd -o size_once mounts"
		return
	fi
	ok "bpfamd -o size_once mounts"
	"$BPFAM" creat -s 3M "$mnt/once"
	check_errno "-o size_once: ftruncate to another size: EPERM" EPERM \
		truncate "$mnt/once" $((5 * MiB))
	check_errno "-o size_once: ftruncate to its size: no-op" OK \
		truncate "$mnt/once" $((3 * MiB))
	check_errno "-o size_once: open(O_TRUNC): EPERM" EPERM \
		trunc-open "$mnt/once"
	check_errno "-o size_once: writing at EOF: EFBIG" EFBIG \
		pwrite "$mnt/once" $((3 * MiB)) 1
	check_errno "-o size_once: a write crossing EOF is short" SHORT:10 \
		pwrite "$mnt/once" $((3 * MiB - 10)) 20
	check "-o size_once: the size stayed" \
		[ "$(stat -c %s "$mnt/once")" = $((3 * MiB)) ]
	check_errno "-o size_once: creating an empty file" OK creat "$mnt/empty"
	check_errno "-o size_once: an empty file cannot be written: EFBIG" \
		EFBIG pwrite "$mnt/empty" 0 1
	check_errno "-o size_once: ... but sized once by ftruncate" OK \
		truncate "$mnt/empty" $((1 * MiB))
	check "unmounts cleanly" dl_stop "$mnt"
}

# tasks PID: how many threads PID has.
tasks() {
	find "/proc/$1/task" -mindepth 1 -maxdepth 1 | wc -l
}

test_threads() {
	local mnt

	mnt=$(dl_mountpoint single)
	if ! dl_start "$mnt" -s -o role=primary; then
		not_ok "bpfamd -s mounts"
		return
	fi
	ok "bpfamd -s mounts"
	check "-s: a file reads back" cmp "$DL_TMP/a.ref" "$mnt/a"
	check "-s: one thread serves (and the keeper, the memory error watcher): 3 threads" \
		[ "$(tasks "${DL_PID[$mnt]}")" -eq 3 ]
	check "unmounts cleanly" dl_stop "$mnt"
	if ! dl_start "$mnt" -o max_threads=2,max_idle_threads=1,role=primary; then
		not_ok "bpfamd -o max_threads=2,max_idle_threads=1 mounts"
		return
	fi
	ok "bpfamd -o max_threads=2,max_idle_threads=1 mounts"
	check "max_threads=2: a file reads back" cmp "$DL_TMP/a.ref" "$mnt/a"
	check "unmounts cleanly" dl_stop "$mnt"
}

# log_since N: the daemons' log after its first N lines.
log_since() {
	tail -n +$(($1 + 1)) "$DL_TMP/bpfamd.log"
}

# -o debug: libbpf's details and libfuse's trace reach the one log, with
# the program's prefix; without it neither does.
test_debug() {
	local mnt n

	mnt=$(dl_mountpoint debug)
	n=$(wc -l <"$DL_TMP/bpfamd.log")
	if ! dl_start "$mnt" -o role=primary; then
		not_ok "bpfamd mounts without -o debug"
		return
	fi
	cat "$mnt/a" >/dev/null
	dl_stop "$mnt"
	check_fails "without -o debug, no libbpf debug line is logged" \
		grep -q '^bpfamd: libbpf: ' <<<"$(log_since "$n")"
	n=$(wc -l <"$DL_TMP/bpfamd.log")
	if ! dl_start "$mnt" -o role=primary,debug; then
		not_ok "bpfamd -o debug mounts"
		return
	fi
	cat "$mnt/a" >/dev/null
	dl_stop "$mnt"
	check "-o debug: libbpf's debug lines reach the log ('bpfamd: libbpf:')" \
		grep -q '^bpfamd: libbpf: ' <<<"$(log_since "$n")"
	check "-o debug: libfuse's request trace reaches the log" \
		grep -q '^bpfamd: .*unique: ' <<<"$(log_since "$n")"
}

# in_ns MNT CMD...: mount(8) command CMD for MNT, in a private mount
# namespace where /usr/local/sbin holds this bpfamd (mount(8) gives its
# helpers, mount.fuse3 here, a PATH of its own).  It reads the file 'a'
# through the mount and unmounts; prints a word for each step done.
in_ns() {
	local mnt=$1
	shift

	mkdir -p "$DL_TMP/sbin" && ln -sf "$BUILD_DIR/bpfamd" "$DL_TMP/sbin/"
	# shellcheck disable=SC2016 # the script expands its own arguments
	unshare -m bash -c '
		mnt=$1 sbin=$2 ref=$3 bpfam=$4
		shift 4
		mount --bind "$sbin" /usr/local/sbin || exit 1
		"$@" || exit 1
		echo mounted
		echo "options $(findmnt -no OPTIONS "$mnt")"
		cmp "$ref" "$mnt/a" && echo reads
		"$bpfam" hosts "$mnt" 2>&1 | sed "s/^/hosts /"
		pid=$(pgrep -f -- "bpfamd .*$mnt")
		umount "$mnt" && echo unmounted
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || { echo exited; exit 0; }
			sleep 0.1
		done
		kill -KILL "$pid"
	' _ "$mnt" "$DL_TMP/sbin" "$DL_TMP/a.ref" "$BPFAM" "$@" \
		>"$DL_TMP/ns.out" 2>&1
}

ns_said() {
	grep -q "$1" "$DL_TMP/ns.out"
}

test_mount8() {
	local mnt tab=$DL_TMP/fstab

	if [ ! -x /sbin/mount.fuse3 ]; then
		ok "# SKIP mount -t fuse.bpfamd: /sbin/mount.fuse3 is missing"
		return
	fi
	mnt=$(dl_mountpoint mount8)
	in_ns "$mnt" mount -t fuse.bpfamd "$DEV" "$mnt" \
		-o host-id=$HOST2,role=primary
	sed 's/^/# /' "$DL_TMP/ns.out"
	check "mount -t fuse.bpfamd DEV MNT -o host-id=...,role=primary" \
		ns_said '^mounted'
	check "... serves the file" ns_said '^reads'
	check "... as the host id given" ns_said "^hosts .*0b0b0b0b-0b0b-"
	check "umount MNT unmounts it, and the daemon exits" ns_said '^exited'
	echo "$DEV $mnt fuse.bpfamd role=primary,ro 0 0" >"$tab"
	in_ns "$mnt" mount -T "$tab" "$mnt"
	check "mount -T FSTAB MNT (an fstab line with ro)" ns_said '^mounted'
	check "... read-only" ns_said '^options ro,'
	check "... serves the file" ns_said '^reads'
	check "umount MNT, and the daemon exits" ns_said '^exited'
}

# dev_offset FILE: where FILE's first extent starts on the device.
dev_offset() {
	"$BPFAM" getmap --json "$1" | jq -r '.extents[0].dev_offset'
}

test_sigbus() {
	local mnt off pid

	mnt=$(dl_mountpoint sigbus)
	if ! dl_start "$mnt" -o role=primary,mode=fallback; then
		not_ok "bpfamd mounts for the SIGBUS test"
		return
	fi
	ok "bpfamd mounts for the SIGBUS test"
	pid=${DL_PID[$mnt]}
	"$BPFAM" creat -s 8M "$mnt/far" &&
		dd if=/dev/urandom of="$mnt/far" bs=1M count=8 conv=notrunc \
			status=none
	# Room for extending writes into the part of the extent to be cut:
	# one whose end is not 64 KiB aligned (the data copy faults), one
	# whose end is (zeroing the space it gains faults first).
	cp "$mnt/far" "$mnt/far2"
	truncate -s 7344128 "$mnt/far"
	truncate -s $((7 << 20)) "$mnt/far2"
	off=$(dev_offset "$mnt/far")
	check "the far file is past the first one ($off)" \
		[ "$off" -gt "$(dev_offset "$mnt/a")" ]
	echo 3 >/proc/sys/vm/drop_caches
	check "truncate the device file to cut the far file's extent" \
		truncate -s "$off" "$DEV"
	check_errno "reading the cut file: EIO" EIO pread "$mnt/far" 0 4096
	check_errno "writing the cut file: EIO" EIO pwrite "$mnt/far" 4096 1
	check_errno "a write extending the cut file: EIO" EIO \
		pwrite "$mnt/far" 7344128 4096
	check_errno "one that must zero cut space first: EIO" EIO \
		pwrite "$mnt/far2" $((7 << 20)) 4096
	check "the daemon still answers (no deadlock on its lock)" \
		quietly timeout 5 stat "$mnt/far"
	check "the daemon is still running" kill -0 "$pid"
	check "another file still reads back" cmp "$DL_TMP/a.ref" "$mnt/a"
	check "stats: memory_errors counts both requests" \
		[ "$(stats_of "$mnt" .memory_errors)" -ge 2 ]
	check "the daemon logged the file and offset once" \
		[ "$(grep -c "inode $(stat -c %i "$mnt/far"): memory error" \
			"$DL_TMP/bpfamd.log")" -eq 1 ]
	check "unmounts cleanly" dl_stop "$mnt"
}

# The daemon's own metadata gone under it (a device unbound or removed;
# here the device file cut to nothing): the next heartbeat faults outside
# any guarded copy.  The daemon cannot go on, and must say so.
test_device_gone() {
	local mnt pid line

	check "mkfs a fresh device for the gone test" dl_mkfs 64M
	mnt=$(dl_mountpoint gone)
	if ! dl_start "$mnt" -o role=primary,mode=fallback,heartbeat=100; then
		not_ok "bpfamd mounts for the gone test"
		return
	fi
	pid=${DL_PID[$mnt]}
	unset "DL_PID[$mnt]"
	check "truncate the device file to nothing under the daemon" \
		truncate -s 0 "$DEV"
	check "the daemon ends within 10 s" dl_wait_exit "$pid"
	line=$(grep -c "$DEV: memory at device offset [0-9]* is gone (device unbound, removed or shrunk): exiting; umount $mnt" \
		"$DL_TMP/bpfamd.log")
	check "it said why, once (not a silent SIGBUS): $line line(s)" \
		[ "$line" -eq 1 ]
	check "the dead mount goes with umount -l" umount -l "$mnt"
}

main() {
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the option tests need root (FUSE mounts)"
		return
	fi
	check "mkfs a fresh 256 MiB device in /dev/shm" dl_mkfs 256M
	test_cmdline
	test_after_operands
	test_readonly
	test_size_once
	test_threads
	test_debug
	test_mount8
	test_sigbus
	test_device_gone
}

main
tap_done
