#!/bin/bash
# A short fuzzing run as a test: the seeds, then 20 s of new inputs.
# Any crash, overrun or UB report fails it.
set -u
bin=$1
seeds=$(dirname "$0")/seeds
. "$(dirname "$0")/../tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "fuzz: every seed decodes without a fault" \
	"$bin" -runs=0 "$seeds" 2>"$work/seeds.log"
if "$bin" -max_total_time=20 -rss_limit_mb=1024 "$work" "$seeds" \
	>"$work/run.log" 2>&1; then
	ok "fuzz: 20 s of mutated superblocks and log records, no fault"
else
	not_ok "fuzz: decoder fault found"
	tail -40 "$work/run.log"
fi
tap_done
