# Helpers for the fast-path guest tests (20-* and later, multi/02-*, the
# bench); sourcing it sources tests/tap.sh and guest/lib.sh too.  Needs
# bash, jq and bpfam.
# shellcheck shell=bash
. /vmtests/tap.sh
. /vmtests/guest/lib.sh

# stats MNT: the daemon's stats JSON (bpfam stats --json), or {} on failure
stats() {
	bpfam stats --json "$1" 2>/dev/null || echo '{}'
}

# sv JSON EXPR: one value of a stats JSON (jq EXPR, missing numbers are 0
# when EXPR ends in '// 0')
sv() {
	jq -r "$2" <<<"$1" 2>/dev/null
}

# check_fast WHO MNT: a check that MNT is served in fast mode.  Prints the
# daemon's reason and log when not; returns 1 then (the issue demands that
# the fast-path tests fail, not skip, without the fast path).
check_fast() {
	local s mode
	s=$(stats "$2")
	mode=$(sv "$s" '.mode // "?"')
	if [ "$mode" = fast ]; then
		ok "$1: $2 is served in fast mode (stats: mode fast)"
		return 0
	fi
	not_ok "$1: $2 is served in fast mode (stats: mode $mode: $(sv "$s" '.mode_reason // "no reason given"'))"
	show_log /tmp/bpfamd.log
	return 1
}

# Counters of a stats JSON: what the daemon served (READ/WRITE requests and
# their bytes) and what the kernel served without it (the BPF counters).
daemon_io() {
	sv "$1" '"read=\(.requests.read // 0) write=\(.requests.write // 0) bytes_read=\(.bytes_read // 0) bytes_written=\(.bytes_written // 0)"'
}
kernel_io() {
	sv "$1" '"reads=\(.kernel.reads // 0) writes=\(.kernel.writes // 0) faults=\(.kernel.faults // 0) read_bytes=\(.kernel.read_bytes // 0) write_bytes=\(.kernel.write_bytes // 0) errors=\(.kernel.errors // 0)"'
}

# delta BEFORE AFTER EXPR: the change of a numeric stats value
delta() {
	echo $(($(sv "$2" "$3 // 0") - $(sv "$1" "$3 // 0")))
}

# check_no_upcalls WHAT BEFORE AFTER: the daemon served no READ or WRITE
# request (and no byte) between two stats snapshots
check_no_upcalls() {
	local b a
	b=$(daemon_io "$2")
	a=$(daemon_io "$3")
	if [ -n "$b" ] && [ "$b" = "$a" ]; then
		ok "$1: no READ/WRITE request reached the daemon ($a)"
	else
		not_ok "$1: no READ/WRITE request reached the daemon (before: $b; after: $a)"
	fi
}

# check_kernel_moved WHAT BEFORE AFTER FIELD MIN: the kernel fast-path
# counter .kernel.FIELD grew by at least MIN
check_kernel_moved() {
	local d
	d=$(delta "$2" "$3" ".kernel.$4")
	if [ "$d" -ge "$5" ]; then
		ok "$1: the kernel fast path served it (kernel.$4 +$d, at least $5)"
	else
		not_ok "$1: the kernel fast path served it (kernel.$4 +$d, want at least $5; now $(kernel_io "$3"))"
	fi
}

# node_of FILE: its FUSE node id (= inode number)
node_of() {
	stat -c %i "$1"
}

# maps_of MNT: the directory of its pinned maps
maps_of() {
	sv "$(stats "$1")" '.bpf_maps // empty'
}

# ext0_off FILE: device offset of the file's first extent (or strip)
ext0_off() {
	bpfam getmap --json "$1" 2>/dev/null |
		jq -r '(.extents // .strips)[0].dev_offset // empty'
}

# kernel_ok: no oops, BUG or panic in the kernel log so far
kernel_ok() {
	! dmesg | grep -Eq 'BUG:|Oops|general protection|Kernel panic|Call Trace'
}

# unmount_bpfam WHO DIR: a check that DIR unmounts and its bpfamd exits
# (the next test's mkfs needs the device's writer lock back)
unmount_bpfam() {
	local pids
	pids=$(pidof bpfamd)
	if ! umount "$2"; then
		not_ok "$1: umount $2"
		return 1
	fi
	for _ in $(seq 30); do
		# shellcheck disable=SC2086
		kill -0 $pids 2>/dev/null || break
		sleep 1
	done
	# shellcheck disable=SC2086
	if [ -z "$pids" ] || ! kill -0 $pids 2>/dev/null; then
		ok "$1: umount $2, and bpfamd exits"
	else
		not_ok "$1: umount $2, and bpfamd exits (still running after 30 s)"
		return 1
	fi
}

# fast_mount DEV MNT: format DEV, mount it at MNT with -o mode=fast and check
# that the kernel serves it; otherwise end this script's TAP stream, failed.
fast_mount() {
	local dev=$1 mnt=$2

	check_cmd "bpfam mkfs $dev" bpfam mkfs --force "$dev"
	if ! mount_bpfam "$dev" "$mnt" -o mode=fast; then
		not_ok "bpfamd -o mode=fast $dev $mnt mounts"
		tap_done
		exit 1
	fi
	ok "bpfamd -o mode=fast $dev $mnt mounts"
	if ! check_fast "mode=fast" "$mnt"; then
		unmount_bpfam "not fast" "$mnt"
		tap_done
		exit 1
	fi
}

# hold_start FILE SEED [TENTHS]: `fastio hold FILE SEED` in the background,
# its first half mapped and checked; its stdin is fd 5 (a line on it lets
# it go on), its output /tmp/hold.out.  Returns once it said "held ok", or
# fails after TENTHS tenths of a second (default 300).
hold_start() {
	rm -f /tmp/hold.in /tmp/hold.out
	mkfifo /tmp/hold.in
	fastio hold "$1" "$2" </tmp/hold.in >/tmp/hold.out 2>&1 &
	HOLD_PID=$!
	exec 5>/tmp/hold.in
	for _ in $(seq "${3:-300}"); do
		grep -q '^held' /tmp/hold.out && break
		sleep 0.1
	done
	grep -q '^held ok$' /tmp/hold.out
}

# hold_go: let it go on and wait (up to 30 s) for its report; it may
# still be exiting (its close flushes the file through the daemon)
hold_go() {
	echo go >&5
	exec 5>&-
	for _ in $(seq 300); do
		grep -q '^pread' /tmp/hold.out && break
		sleep 0.1
	done
	echo "# fastio hold: $(tr '\n' ';' </tmp/hold.out)"
}

# hold_finish: hold_go, and wait for it to exit
hold_finish() {
	hold_go
	wait "$HOLD_PID"
}

# said WHAT: fastio hold reported the line WHAT
said() {
	grep -qx "$1" /tmp/hold.out
}

# sess_start FILE SEED MAPLEN: `fastio session FILE SEED MAPLEN` as a
# coprocess: FILE open and MAPLEN bytes of it mapped for as long as it runs.
# Returns once it is ready (or fails after 30 s).
sess_start() {
	local line
	coproc SESS { fastio session "$1" "$2" "$3" 2>/tmp/session.err; }
	SESS_PID_=$SESS_PID
	read -r -t 30 line <&"${SESS[0]}" && [ "$line" = ready ]
}

# sess CMD...: one command to the session (pread OFF LEN, load OFF LEN,
# size); prints its answer ("no answer" if none came in 60 s)
sess() {
	local line
	# bash unsets SESS once the coprocess has gone
	if [ -z "${SESS[1]:-}" ] || ! { echo "$*" >&"${SESS[1]}"; } 2>/dev/null ||
		! read -r -t 60 line <&"${SESS[0]}"; then
		echo "no answer"
		return 1
	fi
	echo "$line"
}

# sess_says WANT CMD...: the session answers CMD with exactly WANT; the
# answer is in SAID
sess_says() {
	local want=$1
	shift
	SAID=$(sess "$@")
	[ "$SAID" = "$want" ]
}

# sess_end: the session unmaps, closes and exits
sess_end() {
	[ -n "${SESS_PID_:-}" ] || return 0
	[ -n "${SESS[1]:-}" ] && eval "exec ${SESS[1]}>&-"
	wait "$SESS_PID_"
	SESS_PID_=
}

# check_sess WHAT WANT CMD...: a check that the session answers CMD with
# exactly WANT
check_sess() {
	local what=$1 want=$2
	shift 2
	if sess_says "$want" "$@"; then
		ok "$what ($SAID)"
	else
		not_ok "$what (want '$want', got '$SAID')"
	fi
}
