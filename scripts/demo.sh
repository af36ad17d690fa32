#!/bin/bash
# The main job on an emulated device: format a 1 GiB file in /dev/shm,
# mount it, copy a file in, read it back (read(2) and mmap), show where its
# bytes live (bpfam getmap and the pinned BPF map), unmount, check.
set -eu
cd "$(dirname "$0")/.."

B=build
DEV=/dev/shm/bpfam-demo.img
MNT=/tmp/bpfam-demo
SRC=/tmp/bpfam-demo-src

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	rm -f "$SRC"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (FUSE mount, BPF maps)" >&2; exit 1; }
mountpoint -q "$MNT" && umount "$MNT"
rm -f "$DEV"
mkdir -p "$MNT"

run truncate -s 1G "$DEV"
run $B/bpfam mkfs "$DEV"
run $B/bpfam fsck "$DEV"
run $B/bpfamd "$DEV" "$MNT"

head -c $((48 << 20)) /dev/urandom >"$SRC"
run $B/bpfam cp "$SRC" "$MNT/data.bin"
run ls -l "$MNT"
say "cat $MNT/data.bin | cmp - $SRC"
cat "$MNT/data.bin" | cmp - "$SRC" && echo "read(2): identical"
say "python3: mmap $MNT/data.bin and compare"
python3 - "$MNT/data.bin" "$SRC" <<'PY'
import mmap, sys
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "rb") as g:
    m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ)
    assert m[:] == g.read(), "mmap contents differ"
    print("mmap: identical (%d bytes)" % len(m))
PY
run $B/bpfam getmap "$MNT/data.bin"
uuid=$($B/bpfam fsck --json "$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
run $B/bpfam getmap --bpf "$MNT/data.bin"
run bpftool map dump pinned "/sys/fs/bpf/bpfam/$uuid/fmaps"
run $B/bpfam stats "$MNT"
run $B/bpfam hosts "$MNT"
say "ordinary tools: cp, >>, mv, ln, truncate"
run cp "$SRC" "$MNT/copy.bin"
say "seq 3 >$MNT/notes; echo more >>$MNT/notes"
seq 3 >"$MNT/notes"
echo more >>"$MNT/notes"
run mkdir "$MNT/dir"
run mv "$MNT/notes" "$MNT/dir/notes.txt"
run ln -s dir/notes.txt "$MNT/latest"
run ln "$MNT/copy.bin" "$MNT/dir/copy.link"
run truncate -s 1M "$MNT/copy.bin"
run ls -lR "$MNT"
run cat "$MNT/latest"
run rm "$MNT/copy.bin" "$MNT/dir/copy.link"
say "sleep 1   # the primary reclaims the space once no host holds the file"
sleep 1
run $B/bpfam logdump "$DEV"
run umount "$MNT"
run $B/bpfam fsck "$DEV"
echo
echo "demo: done. The device stays in $DEV; mount it again with: $B/bpfamd $DEV $MNT"
