#!/bin/bash
# Runs test suites and prints one summary line for all of them.
#
# Every suite speaks TAP ("ok N - what" / "not ok N - what"); cmocka suites
# do so under CMOCKA_MESSAGE_OUTPUT=TAP.  A suite that exits non-zero without
# reporting a failed case counts as one failure of its own, so a crash or a
# missing binary can never pass silently.
#
# usage: tests/run.sh SUITE-COMMAND...   (each argument is one shell command)
set -u
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for suite in "$@"; do
	echo "# suite: $suite"
	bash -c "$suite" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - suite '$suite' exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - suite '$suite' ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
