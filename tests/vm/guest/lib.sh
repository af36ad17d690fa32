# Helpers for the guest tests; /init sources it (busybox sh) and so do the
# tests (bash, after tests/tap.sh), so keep it POSIX sh.
# shellcheck shell=sh

VMTEST_DIR=/vmtests

# vm_barrier NAME: two-guest mode only.  Tells the host this guest reached
# NAME and waits until the other guest has reached it too.  Returns non-zero
# if the host gave up on the other guest (it ended or hung).
vm_barrier() {
	[ -f /tmp/vm-aborted ] && return 1
	echo "@@barrier $1" >/dev/ttyS1
	echo "vmtest: barrier '$1': waiting for the other guest" >/dev/console
	while IFS= read -r _line <&7; do
		case $_line in
		"$1") return 0 ;;
		@@abort*)
			touch /tmp/vm-aborted
			return 1
			;;
		esac
	done
	touch /tmp/vm-aborted
	return 1
}

# need NAME...: every named command must be in the image; a missing one is
# reported as a failed test (never skipped) and makes need return 1.
need() {
	_missing=0
	for _c in "$@"; do
		if ! command -v "$_c" >/dev/null 2>&1; then
			not_ok "'$_c' is in the guest image (build/$_c not built? image has: $(tr '\n' ' ' <$VMTEST_DIR/MANIFEST))"
			_missing=1
		fi
	done
	return $_missing
}

# need_or_end NAME...: need NAME...; if one is missing, end the script's
# TAP stream there, failed (needs tests/tap.sh)
need_or_end() {
	need "$@" && return 0
	tap_done
	exit 1
}

# check_cmd WHAT CMD...: a TAP check that passes when CMD exits 0; CMD's
# output is shown (as comments) only when it fails.  Needs tests/tap.sh.
check_cmd() {
	_what=$1
	shift
	if "$@" >/tmp/check_cmd.out 2>&1; then
		ok "$_what"
	else
		not_ok "$_what (exit $?)"
		sed 's/^/#   /' /tmp/check_cmd.out
	fi
}

# wait_mounted DIR [SECONDS]: until DIR is a mount point (default 30 s)
wait_mounted() {
	_i=0
	while [ $_i -lt "${2:-30}" ]; do
		grep -q " $1 " /proc/mounts && return 0
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}

# wait_unmounted DIR [SECONDS]
wait_unmounted() {
	_i=0
	while [ $_i -lt "${2:-30}" ]; do
		grep -q " $1 " /proc/mounts || return 0
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}

# pattern FILE LINES: deterministic test data (the same in every guest),
# 35 bytes a line
pattern() {
	awk -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
		printf "bpfam vm test data line %010d\n", i }' >"$1"
}

# mount_bpfam DEVICE DIR [BPFAMD-OPTION...]: start bpfamd (it daemonizes)
# with its output in /tmp/bpfamd.log, wait for the mount
mount_bpfam() {
	_dev=$1
	_dir=$2
	shift 2
	mkdir -p "$_dir"
	set -- "$@" "$_dev" "$_dir"
	bpfamd "$@" >>/tmp/bpfamd.log 2>&1 </dev/null || {
		echo "# bpfamd $* failed:"
		sed 's/^/#   /' /tmp/bpfamd.log
		return 1
	}
	wait_mounted "$_dir" 30 || {
		echo "# $_dir not mounted 30 s after bpfamd started:"
		sed 's/^/#   /' /tmp/bpfamd.log
		return 1
	}
}

# show_log FILE: a log as TAP comments
show_log() {
	[ -f "$1" ] && sed 's/^/#   /' "$1"
	return 0
}
