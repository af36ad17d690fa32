#!/bin/bash
# bpfam lend on the host, which has no device-dax: every usage error (exit
# 2) and every refusal (exit 1, one line naming the object), and that a
# device lent or not is never touched here.
#
# usage: tests/integration/lend.sh [BUILD]   (default: build)
set -u
BUILD=${1:-build}
BPFAM=$BUILD/bpfam
. "$(dirname "$0")/../tap.sh"

T=$(mktemp -d /dev/shm/bpfam-lend.XXXXXX)
trap 'rm -rf "$T"' EXIT
truncate -s 64M "$T/img"

stdout_has "bpfam help lists lend" '^  lend ' "$BPFAM" help
stdout_has "bpfam lend --help" '^usage: bpfam lend \[--none \| --from OFFSET\|data\] DEVICE' \
	"$BPFAM" lend --help
stdout_has "bpfam help lend" '^usage: bpfam lend' "$BPFAM" help lend
check_err "no DEVICE is a usage error" 2 'missing DEVICE' "$BPFAM" lend
check_err "two devices are a usage error" 2 "unexpected argument 'b'" \
	"$BPFAM" lend a b
check_err "an unknown option is a usage error" 2 "unknown option '--bogus'" \
	"$BPFAM" lend --bogus /dev/null
check_err "--none and --from together are a usage error" 2 \
	'give --none or --from, not both' "$BPFAM" lend --none --from 4M /dev/null
check_err "--from twice is a usage error" 2 'give --none or --from, not both' \
	"$BPFAM" lend --from 4M --from data /dev/null
check_err "--from needs a size or 'data'" 2 "--from 'lots': not a size" \
	"$BPFAM" lend --from lots /dev/null
check_err "--from without a value is a usage error" 2 '--from' \
	"$BPFAM" lend /dev/null --from
check_err "a missing device" 1 "$T/none: No such file or directory" \
	"$BPFAM" lend "$T/none"
check_err "a regular file (an emulated device) cannot be lent" 1 \
	"$T/img: not a device-dax character device" "$BPFAM" lend "$T/img"
check_err "... nor given back" 1 "$T/img: not a device-dax character device" \
	"$BPFAM" lend --none "$T/img"
check_err "a character device that is no device-dax" 1 \
	'/dev/null: not a device-dax character device' "$BPFAM" lend /dev/null
check_err "a directory" 1 "$T: not a device-dax character device" \
	"$BPFAM" lend "$T"
tap_done
