#!/bin/bash
# The simulation must be able to fail.  Two runs with a primary that
# reclaims past the gate (simhost --break-gate) must each end in a failed
# invariant: as it is, the clients that still hold a reclaimed file fence
# themselves, or read another file's bytes; with --blind clients (which
# keep using a file whose reclaim they play, as a host that plays the log
# late would), the byte pattern alone must catch it.
#
# usage: tests/sim/selftest.sh [BUILD]   (default: build)
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../tap.sh"

# must_catch WHAT PATTERN ARGS...: simdrive ARGS fails with a "not ok"
# line matching PATTERN.  Its output is shown as comments: those "not ok"
# lines are what we asked for, not failures of this suite.
must_catch() {
	local what=$1 pat=$2 out rc
	shift 2
	out=$("$BUILD/tests/simdrive" --seconds 20 "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -Eq -- "^not ok [0-9]+ - ($pat)" <<<"$out"; then
		ok "$what"
		grep -E '^# simdrive|^not ok' <<<"$out" | sed 's/^/#   /'
	else
		not_ok "$what (simdrive exited $rc)"
		sed 's/^/#   /' <<<"$out"
	fi
}

must_catch "a primary reclaiming past the gate is caught" \
	'only evicted hosts fenced|every byte a host read' --break-gate
must_catch "... by the byte pattern alone when clients do not fence" \
	'every byte a host read' --break-gate --blind
tap_done
