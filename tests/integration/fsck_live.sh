#!/bin/bash
# bpfam fsck next to a running bpfamd: a mountpoint as well as a device,
# "mounted by" the live hosts, a log appended to while fsck reads it (never
# reported as damage), and the exit statuses of a torn tail (needs
# recovery, 1) and of real damage (4).  Root, this kernel, fallback mode.
#
# usage: tests/integration/fsck_live.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/daemon_lib.sh"
dl_init "$BUILD"
LOOPS=${FSCK_LIVE_LOOPS:-40}

# json_is WHAT EXPR CMD...: CMD's JSON output, as j, makes EXPR true.
json_is() {
	local what=$1 expr=$2 out
	shift 2
	out=$("$@" 2>/dev/null)
	if "$PY" -c "import json, sys; j = json.load(sys.stdin); sys.exit(not ($expr))" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what ($expr; output: $out)"
	fi
}

# log_end: the device offset where the next record goes (fsck --json).
log_end() {
	"$BPFAM" fsck --json "$DEV" 2>/dev/null | "$PY" -c \
		'import json, sys; j = json.load(sys.stdin); print(j["log_offset"] + j["log_used"])'
}

test_mounted() {
	stdout_has "fsck MOUNTPOINT checks the device its bpfamd serves" \
		"^$DEV: clean$" "$BPFAM" fsck "$MNT"
	stdout_has "fsck says who has it mounted" \
		'^  mounted +by .+ \(slot [0-9]+, primary, live\)$' \
		"$BPFAM" fsck "$DEV"
	json_is "fsck --json MOUNTPOINT: mounted_by the primary" \
		'j["ok"] and j["state"] == "clean" and j["device"] == "'"$DEV"'" and
		 [h["role"] for h in j["mounted_by"]] == ["primary"]' \
		"$BPFAM" fsck --json "$MNT"
	check_err "fsck of a directory that is no mountpoint: not checked (8)" \
		8 "$DL_MNTROOT: is a directory, not a bpfam mountpoint" \
		"$BPFAM" fsck "$DL_MNTROOT"
}

# A primary creates files as fast as it can while fsck runs again and
# again: every run must find the log clean, whatever it catches half-way.
test_live_log() {
	local i rc out bad=0 live=0

	(for ((i = 0; ; i++)); do : >"$MNT/f$i" || exit; done) &
	local writer=$!
	for ((i = 0; i < LOOPS; i++)); do
		out=$("$BPFAM" fsck "$DEV" 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ] || ! grep -q "^$DEV: clean$" <<<"$out"; then
			bad=$((bad + 1))
			echo "# fsck run $i exited $rc:"
			sed 's/^/#   /' <<<"$out" | head -5
		fi
		grep -q 'the log is live' <<<"$out" && live=$((live + 1))
	done
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	if [ "$bad" -eq 0 ]; then
		ok "fsck while the primary appends: $LOOPS runs, all clean ($live caught appends)"
	else
		not_ok "fsck while the primary appends: $bad of $LOOPS runs not clean"
	fi
	stdout_has "files were made meanwhile" '^  files +[1-9][0-9]+$' \
		"$BPFAM" fsck "$MNT"
}

# After a crash mid-append: the last record's bytes without its magic.
test_torn_tail() {
	local end

	dl_stop "$MNT" || not_ok "bpfamd stops"
	end=$(log_end)
	printf 'half a record' |
		dd of="$DEV" bs=1 seek=$((end + 8)) conv=notrunc status=none
	check_err "a torn tail: needs recovery (1), discarded by the next mount" \
		1 "unfinished append of 13 bytes after record [0-9]+ at offset $end: .*the next mount discards it, and no acknowledged change is lost" \
		"$BPFAM" fsck "$DEV"
	check "a torn tail: fsck says needs recovery, not damaged" bash -c \
		"'$BPFAM' fsck '$DEV' 2>/dev/null | grep -q '^$DEV: needs recovery'"
	json_is "fsck --json of a torn tail: state needs-recovery" \
		'not j["ok"] and j["state"] == "needs-recovery"' \
		"$BPFAM" fsck --json "$DEV"
	dl_start "$MNT" || return
	stdout_has "the next mount discarded it: clean" "^$DEV: clean$" \
		"$BPFAM" fsck "$MNT"
}

# A record whose bytes changed: damage, which no mount gets past.
test_damaged() {
	local rec2

	dl_stop "$MNT" || not_ok "bpfamd stops"
	rec2=$("$BPFAM" logdump --json "$DEV" | "$PY" -c \
		'import json, sys; print(json.load(sys.stdin)[1]["offset"])')
	printf '\377' |
		dd of="$DEV" bs=1 seek=$((rec2 + 30)) conv=notrunc status=none
	check_err "a corrupted record: damaged (4)" 4 \
		"log record 2 at offset $rec2: record checksum mismatch" \
		"$BPFAM" fsck "$DEV"
	json_is "fsck --json of a corrupted record: state damaged" \
		'not j["ok"] and j["state"] == "damaged"' \
		"$BPFAM" fsck --json "$DEV"
}

main() {
	dl_mkfs 1G || { not_ok "mkfs"; return; }
	MNT=$(dl_mountpoint a)
	dl_start "$MNT" || { not_ok "bpfamd mounts"; return; }
	test_mounted
	test_live_log
	test_torn_tail
	test_damaged
}

main
tap_done
