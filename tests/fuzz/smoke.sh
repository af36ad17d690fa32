#!/bin/bash
# A short fuzzing run as a test: the seeds, then 20 s of new inputs (the
# decoders, and logs mounted and played).  Any crash, overrun, leak or UB
# report fails it.
set -u
bin=$1
seeds=$(dirname "$0")/seeds
. "$(dirname "$0")/../tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "fuzz: every seed decodes and plays without a fault" \
	"$bin" -runs=0 -artifact_prefix="$work/" "$seeds" 2>"$work/seeds.log"
mkdir "$work/corpus"
if "$bin" -max_total_time=20 -rss_limit_mb=2048 -artifact_prefix="$work/" \
	"$work/corpus" "$seeds" >"$work/run.log" 2>&1; then
	ok "fuzz: 20 s of mutated superblocks and logs, no fault"
else
	not_ok "fuzz: decoder or player fault found"
	tail -40 "$work/run.log"
fi
tap_done
