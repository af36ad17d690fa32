#!/bin/bash
# The edge coverage of each decoder over a corpus: runs the coverage build
# of the fuzz target (no sanitizers, so the edges are the code's own) once
# over every input with -print_coverage=1, and sums its per-function edge
# counts into the three decoders.  Exits 1 when one is below MIN percent.
#
# usage: tests/fuzz/coverage.sh FUZZ_COV_BIN CORPUS_DIR... [MIN=90]
set -u
bin=$1
shift
min=${MIN:-90}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$bin" -runs=0 -print_coverage=1 "$@" >"$out" 2>&1

# Each decoder: its entry point and the static helpers only it calls.
declare -A GROUP=(
	[superblock decode]="bpfam_sb_decode decode_fields check_fields all_zero"
	[record decode]="bpfam_record_decode record_crc decode_payload decode_mknod decode_fmap check_extent check_fmap_shape decode_setattr decode_delete decode_reclaim payload_size align_rec bpfam_name_valid bpfam_record_size"
	[log play]="bpfam_fs_play play_mknod play_fmap check_extents_in_device play_setattr play_delete add_orphan play_reclaim allocated_bytes"
)
status=0
for g in "superblock decode" "record decode" "log play"; do
	# Lines: "COVERED_FUNC: hits: H edges: C/T NAME FILE:LINE".
	read -r c t < <(awk -v names=" ${GROUP[$g]} " '
		/^(UN)?COVERED_FUNC:/ {
			for (i = 1; i <= NF; i++) if ($i == "edges:") e = $(i + 1)
			fn = $(NF - 1)
			if (index(names, " " fn " ")) {
				split(e, a, "/"); c += a[1]; t += a[2]
			}
		}
		END { print c + 0, t + 0 }' "$out")
	pct=$((t ? 100 * c / t : 0))
	printf 'coverage: %-18s %4d of %4d edges (%d%%)\n' "$g" "$c" "$t" "$pct"
	[ "$pct" -ge "$min" ] || status=1
done
if [ "$status" -ne 0 ]; then
	echo "coverage: below $min% in some decoder; uncovered functions:"
	grep -E '^UNCOVERED_FUNC' "$out" | sed 's/^/  /' | head -20
fi
exit $status
