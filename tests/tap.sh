# TAP helpers for shell test suites; source it, call the checks, end with
# tap_done.  Each check prints "ok N - what" or "not ok N - what".
# shellcheck shell=bash

TAP_N=0
TAP_FAILED=0

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# check WHAT CMD...: passes when CMD exits 0.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# check_fails WHAT CMD...: passes when CMD exits non-zero.
check_fails() {
	local what=$1
	shift
	if "$@"; then not_ok "$what (unexpectedly succeeded)"; else ok "$what"; fi
}

# check_exit WHAT STATUS CMD...: passes when CMD exits with STATUS and
# prints something on stderr (every refusal must say why).
check_exit() {
	local what=$1 want=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && [ -n "$err" ]; then
		ok "$what"
	else
		not_ok "$what (exit $rc, want $want; stderr: ${err:-<empty>})"
	fi
}

# check_err WHAT STATUS PATTERN CMD...: as check_exit, and stderr matches
# the extended regex PATTERN.
check_err() {
	local what=$1 want=$2 pat=$3 err rc
	shift 3
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$pat" <<<"$err"; then
		ok "$what"
	else
		not_ok "$what (exit $rc, want $want; stderr: ${err:-<empty>})"
	fi
}

# stdout_has WHAT PATTERN CMD...: passes when CMD exits 0 and its output
# (stdout and stderr) matches the extended regex PATTERN.
stdout_has() {
	local what=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1) && grep -Eq -- "$pat" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what (output: $out)"
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
