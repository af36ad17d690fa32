# Set-up and tear-down for suites that run bpfamd: an emulated device in
# /dev/shm, formatted, served on temporary mountpoints.  dl_init traps EXIT
# so that whatever a suite started is unmounted, killed and removed, even
# when it fails half-way.
# shellcheck shell=bash

# The python3 of the system: root's may be a shim nobody else can run.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
FSOPS=$(dirname "${BASH_SOURCE[0]}")/fsops.py

declare -A DL_PID=() # mountpoint -> pid of the bpfamd serving it

# dl_init BUILD: the binaries to test, and a private scratch directory.
dl_init() {
	BPFAM=$1/bpfam
	BPFAMD=$1/bpfamd
	DL_TMP=$(mktemp -d /dev/shm/bpfam-test.XXXXXX) || exit 1
	DEV=$DL_TMP/dev
	# Mountpoints go in here; others than root must reach them.
	DL_MNTROOT=$(mktemp -d /tmp/bpfam-mnt.XXXXXX) || exit 1
	chmod 755 "$DL_MNTROOT"
	trap dl_cleanup EXIT
	trap 'exit 130' INT TERM
}

# dl_mkfs SIZE: a fresh formatted device of SIZE at $DEV.
dl_mkfs() {
	rm -f "$DEV"
	truncate -s "$1" "$DEV" && "$BPFAM" mkfs "$DEV" >"$DL_TMP/mkfs.log" 2>&1
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_until() {
	local limit=$(($1 * 20)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# quietly CMD...: CMD without its stdout (check prints its verdict there).
quietly() {
	"$@" >/dev/null
}

# dl_tmpfs NAME SIZE: a fresh tmpfs on a new mountpoint, for suites that
# compare bpfam with it; prints the mountpoint.  dl_cleanup unmounts it.
dl_tmpfs() {
	local m

	m=$(dl_mountpoint "$1") || return 1
	mount -t tmpfs -o "size=$2,mode=0755" "bpfam-test-$1" "$m" && echo "$m"
}

# stats_of MNT JQ-FILTER: a field of `bpfam stats --json MNT`.
stats_of() {
	"$BPFAM" stats --json "$1" | jq -r "$2"
}

# dl_mountpoint NAME: make and print a new directory to mount on.
dl_mountpoint() {
	mkdir "$DL_MNTROOT/$1" && echo "$DL_MNTROOT/$1"
}

dl_mounted() {
	awk -v m="$1" '$2 == m && $3 ~ /^fuse/ { f = 1 } END { exit !f }' \
		/proc/self/mounts
}

# dl_start MNT [BPFAMD-OPTION...]: serve $DEV on MNT; wait until mounted.
dl_start() {
	local mnt=$1
	shift

	dl_start_args "$mnt" -f "$@" "$DEV" "$mnt"
}

# dl_start_args MNT ARG...: bpfamd ARG..., its arguments in the order
# given (which must keep it in the foreground); wait until MNT is mounted.
dl_start_args() {
	local mnt=$1 pid i
	shift

	"$BPFAMD" "$@" >>"$DL_TMP/bpfamd.log" 2>&1 &
	pid=$!
	# No "Killed" job notice in the TAP output when a test kills it.
	disown "$pid"
	DL_PID[$mnt]=$pid
	for ((i = 0; i < 100; i++)); do
		dl_mounted "$mnt" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# bpfamd $* did not mount; its log:"
	sed 's/^/#   /' "$DL_TMP/bpfamd.log" | tail -20
	return 1
}

# dl_wait_exit PID: wait up to 10 s for PID to end.
dl_wait_exit() {
	local i

	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# dl_stop MNT: unmount cleanly; the daemon must then exit by itself.
dl_stop() {
	local pid=${DL_PID[$1]}

	unset "DL_PID[$1]"
	fusermount3 -u "$1" && dl_wait_exit "$pid"
}

# dl_kill MNT: SIGKILL the daemon, as a crash, and drop its dead mount.
dl_kill() {
	local pid=${DL_PID[$1]}

	unset "DL_PID[$1]"
	kill -KILL "$pid" && dl_wait_exit "$pid" && umount -l "$1"
}

dl_cleanup() {
	local m pid

	shopt -s nullglob

	for m in "${!DL_PID[@]}"; do
		pid=${DL_PID[$m]}
		dl_mounted "$m" && { fusermount3 -uz "$m" || umount -l "$m"; }
		kill -TERM "$pid" 2>/dev/null && ! dl_wait_exit "$pid" &&
			kill -KILL "$pid" 2>/dev/null
	done
	for m in "$DL_MNTROOT"/*; do
		dl_mounted "$m" && umount -l "$m"
	done
	awk -v r="$DL_MNTROOT/" 'index($2, r) == 1 && $3 == "tmpfs" { print $2 }' \
		/proc/self/mounts | while read -r m; do
		umount "$m" || umount -l "$m"
	done
	rm -rf "$DL_TMP"
	# rmdir, not rm -r: never delete through a mount that would not go.
	rmdir "$DL_MNTROOT"/* "$DL_MNTROOT"
}

# as_nobody CMD...: run CMD as the unprivileged user nobody.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# check_errno WHAT WANT [--nobody] OP ARGS...: passes when the call fails
# with errno WANT, or succeeds for WANT=OK; made as nobody with --nobody.
check_errno() {
	local what=$1 want=$2 got as=()
	shift 2
	if [ "$1" = --nobody ]; then
		as=(as_nobody)
		shift
	fi
	got=$("${as[@]}" "$PY" "$FSOPS" errno "$@" 2>&1)
	if [ "$got" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what (got $got, want $want)"
	fi
}
