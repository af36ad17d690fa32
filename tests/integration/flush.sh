#!/bin/bash
# bpfam flush through a mounted bpfamd (fallback mode on this kernel): whole
# files and ranges, simple and interleaved, bytes written through a mapping
# reaching the device, and every refusal.
#
# usage: tests/integration/flush.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/daemon_lib.sh"
dl_init "${1:-build}"
MiB=$((1 << 20))

# dev_offset FILE: where FILE's first byte lives on the device.
dev_offset() {
	"$BPFAM" getmap --json "$1" | "$PY" -c '
import json, sys
m = json.load(sys.stdin)
print((m.get("extents") or m.get("strips"))[0]["dev_offset"])'
}

test_flush() {
	local f=$MNT/f il=$MNT/il

	"$BPFAM" creat -s 6M "$f" && "$BPFAM" creat -s 8M --interleave 2 "$il"
	stdout_has "flush of a whole file: 6 MiB in one device range" \
		"^$f: flushed 6 MiB \(6291456 bytes\) at offset 0, 1 device range of $DEV$" \
		"$BPFAM" flush "$f"
	stdout_has "flush of a range" \
		"^$f: flushed 1 MiB \(1048576 bytes\) at offset 4096, 1 device range of $DEV$" \
		"$BPFAM" flush "$f" 4K 1M
	stdout_has "flush of the last byte" \
		"flushed 1 B \(1 bytes\) at offset $((6 * MiB - 1)), 1 device range" \
		"$BPFAM" flush "$f" $((6 * MiB - 1)) 1
	stdout_has "flush of an interleaved file: one device range per chunk" \
		"flushed 8 MiB \(8388608 bytes\) at offset 0, 4 device ranges" \
		"$BPFAM" flush "$il"
	stdout_has "flush --verbose names each device range" '^4$' \
		bash -c "'$BPFAM' flush -v '$il' | grep -c '^  device $DEV offset 0x'"
	stdout_has "flush of a range across two chunks" \
		"flushed 2 MiB \(2097152 bytes\) at offset 1048576, 2 device ranges" \
		"$BPFAM" flush "$il" 1M 2M
}

# device_has OFFSET REF: the device holds REF's bytes at OFFSET.
device_has() {
	cmp -s <(tail -c +$(($1 + 1)) "$DEV" | head -c "$(stat -c %s "$2")") "$2"
}

# Bytes stored through a shared mapping sit in this host's page cache in
# fallback mode, until written back; flush writes them back while the
# mapping stays (it is held by a process of its own: a fork of the
# mapping's process would write them back too).
test_flush_mapping() {
	local f=$MNT/mapped ref=$DL_TMP/mapped.ref off i pid

	"$BPFAM" creat -s 2M "$f"
	off=$(($(dev_offset "$f") + 4096))
	"$PY" - "$f" "$ref" "$(dirname "$FSOPS")" <<'PY' &
import mmap, os, sys, time
path, ref, here = sys.argv[1:]
sys.path.insert(0, here)
from fsops import mapped
m = mapped(path, mmap.PROT_READ | mmap.PROT_WRITE)
data = os.urandom(64 << 10)
m[4096:4096 + len(data)] = data
with open(ref + ".tmp", "wb") as f:
    f.write(data)
os.rename(ref + ".tmp", ref)
for _ in range(300):
    if os.path.exists(ref + ".done"):
        break
    time.sleep(0.1)
m.close()
PY
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$ref" ] && break
		sleep 0.1
	done
	device_has "$off" "$ref" &&
		echo "# the mapping's bytes reached the device before the flush"
	stdout_has "flush of a range written through a mapping" \
		"flushed 64 KiB \(65536 bytes\) at offset 4096" \
		"$BPFAM" flush "$f" 4K 64K
	check "... its bytes are on the device, mapping still open" \
		device_has "$off" "$ref"
	touch "$ref.done"
	wait "$pid"
}

test_refusals() {
	local f=$MNT/f out=$DL_TMP/outside

	check_err "a range past the end is refused" 1 \
		"$f: range 6291456\+1 is past the end of the file \(6 MiB, 6291456 bytes\)" \
		"$BPFAM" flush "$f" 6M 1
	check_err "a range running past the end is refused" 1 \
		"past the end of the file" "$BPFAM" flush "$f" 4M 4M
	check_err "a range of an unsized file is refused" 1 \
		"past the end of the file \(it is empty\)" \
		bash -c "touch '$MNT/empty' && '$BPFAM' flush '$MNT/empty' 0 1"
	stdout_has "a whole unsized file: nothing to flush" \
		"^$MNT/empty: nothing to flush: it is empty$" \
		"$BPFAM" flush "$MNT/empty"
	echo data >"$out"
	check_err "a file outside a bpfam mount is refused" 1 \
		"$out: not on a mounted bpfam \(it is on the tmpfs mount at /dev/shm\)" \
		"$BPFAM" flush "$out"
	check_err "a missing file is refused" 1 \
		"$MNT/none: No such file or directory \(ENOENT\)" \
		"$BPFAM" flush "$MNT/none"
	check_err "OFFSET without LEN is a usage error" 2 \
		"need FILE, or FILE OFFSET LEN" "$BPFAM" flush "$f" 4K
	check_err "LEN 0 is a usage error" 2 "LEN must be more than 0" \
		"$BPFAM" flush "$f" 0 0
	check_err "a bad OFFSET is a usage error" 2 "OFFSET 'x': not a size" \
		"$BPFAM" flush "$f" x 1
	stdout_has "bpfam flush --help" "^usage: bpfam flush" \
		"$BPFAM" flush --help
}

main() {
	if ! dl_mkfs 1G; then
		not_ok "mkfs of a 1 GiB device"
		return
	fi
	MNT=$(dl_mountpoint m)
	if ! dl_start "$MNT"; then
		not_ok "bpfamd mounts the device"
		return
	fi
	test_flush
	test_flush_mapping
	test_refusals
	check "bpfamd unmounts cleanly" dl_stop "$MNT"
}

main
tap_done
