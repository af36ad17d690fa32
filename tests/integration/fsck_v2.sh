#!/bin/bash
# bpfam fsck and logdump on format version 2: delete and reclaim records,
# space waiting for reclaim, the generation, registered hosts (a fakehost
# stands in for a mounted one), a fenced device, a version 1 device and a
# delete that does not play.  Files in /dev/shm, no daemon.
#
# usage: tests/integration/fsck_v2.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
BUILD=${1:-build}
BPFAM=$BUILD/bpfam
POPULATE=$BUILD/tests/populate
FAKEHOST=$BUILD/tests/fakehost
LOGPOKE=$BUILD/tests/logpoke
. "$(dirname "$0")/../tap.sh"

T=$(mktemp -d /dev/shm/bpfam-fsck2.XXXXXX)
HOST_PID=
trap '[ -n "$HOST_PID" ] && kill -KILL "$HOST_PID" 2>/dev/null; rm -rf "$T"' EXIT
DEV=$T/dev

# poke OFFSET BYTES: overwrite $DEV at OFFSET (BYTES as printf takes them).
poke() {
	# shellcheck disable=SC2059
	printf "$2" | dd of="$DEV" bs=1 seek="$1" conv=notrunc status=none
}

# json_is WHAT EXPR CMD...: CMD's JSON output, as j, makes EXPR true.
json_is() {
	local what=$1 expr=$2 out
	shift 2
	out=$("$@" 2>/dev/null)
	if python3 -c "import json, sys; j = json.load(sys.stdin); sys.exit(not ($expr))" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what ($expr; output: $out)"
	fi
}

# The populated filesystem: dir/file2 linked; dir/file0 deleted and
# reclaimed (2 MiB); dir/file1 (2 MiB), striped (8 MiB) and the directory
# gone deleted, waiting.  Records 11 to 16.
test_deleted() {
	stdout_has "fsck of deletes and a reclaim: clean" "^$DEV: clean$" \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: 16 records" ', 16 records$' "$BPFAM" fsck "$DEV"
	stdout_has "fsck: one file still linked" '^  files +1$' \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: two directories linked" '^  dirs +2 ' \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: what waits for reclaim" \
		'^  deleted +2 files, 1 dir: 10 MiB \(10485760 bytes\) waiting for reclaim$' \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: what was reclaimed" \
		'^  reclaimed +2 MiB \(2097152 bytes\)$' "$BPFAM" fsck "$DEV"
	stdout_has "fsck: the generation" '^  generation 1$' \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: no host registered" '^  hosts +0 registered$' \
		"$BPFAM" fsck "$DEV"
	stdout_has "fsck: waiting space is still in use" \
		'^  used +14 MiB ' "$BPFAM" fsck "$DEV"
	json_is "fsck --json: the deletes, the reclaim, generation, hosts" \
		'j["ok"] and not j["fenced"] and (j["files"], j["dirs"],
		 j["deleted_files"], j["deleted_dirs"], j["waiting_bytes"],
		 j["reclaimed_bytes"], j["reclaimed_upto"], j["generation"],
		 j["hosts"], j["hosts_torn"]) ==
		(1, 2, 2, 1, 10485760, 2097152, 12, 1, 0, 0)' \
		"$BPFAM" fsck --json "$DEV"

	stdout_has "logdump: an unlink" \
		'^11 @[0-9]+ unlink ino 3 parent 2 time_ns [0-9]+ name "file0"$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: a reclaim" '^12 @[0-9]+ reclaim upto 12$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: an rmdir" \
		'^16 @[0-9]+ unlink ino 7 parent 1 time_ns [0-9]+ name "gone"$' \
		"$BPFAM" logdump "$DEV"
	json_is "logdump --json: unlink and reclaim records" \
		'len(j) == 16 and
		 (j[10]["type"], j[10]["ino"], j[10]["parent"], j[10]["name"]) ==
		 ("unlink", 3, 2, "file0") and
		 (j[11]["type"], j[11]["upto"]) == ("reclaim", 12)' \
		"$BPFAM" logdump --json "$DEV"
}

# A record that checksums but does not play: fsck names it, exits 1.
test_bad_delete() {
	local seq

	seq=$("$LOGPOKE" "$DEV")
	check_err "fsck names a delete of an inode that does not exist, damaged (4)" 4 \
		"log record $seq \(delete\): inode [0-9]+ is not a linked file or directory" \
		"$BPFAM" fsck "$DEV"
	stdout_has "logdump still prints it" "^$seq @[0-9]+ delete ino " \
		"$BPFAM" logdump "$DEV"
}

# fakehost_start: a host registered on $DEV; sets HOST_PID and HOST_SLOT.
fakehost_start() {
	local i

	"$FAKEHOST" --remote --period 50 "$DEV" >"$T/host.out" 2>&1 &
	HOST_PID=$!
	for ((i = 0; i < 100; i++)); do
		HOST_SLOT=$(awk '/^joined slot/ { print $3 }' "$T/host.out")
		[ -n "$HOST_SLOT" ] && return 0
		sleep 0.1
	done
	return 1
}

test_hosts() {
	if ! fakehost_start; then
		not_ok "a fakehost joins ($(cat "$T/host.out"))"
		return
	fi
	stdout_has "fsck: one host registered" '^  hosts +1 registered$' \
		"$BPFAM" fsck "$DEV"
	json_is "fsck --json: hosts 1" 'j["hosts"] == 1 and j["ok"]' \
		"$BPFAM" fsck --json "$DEV"
	# Killed, it stays registered (dead): bpfam host evict removes it.
	kill -KILL "$HOST_PID" && wait "$HOST_PID" 2>/dev/null
	HOST_PID=
	stdout_has "fsck: a dead host is still registered" \
		'^  hosts +1 registered$' "$BPFAM" fsck "$DEV"
	# The high bytes of its heartbeat counter.
	poke $((65536 + HOST_SLOT * 512 + 70)) '\377\377'
	stdout_has "fsck: a slot that does not checksum is counted and named" \
		'^  hosts +1 registered, 1 of them in slots that do not checksum' \
		"$BPFAM" fsck "$DEV"
	json_is "fsck --json: hosts_torn 1" \
		'j["hosts"] == 1 and j["hosts_torn"] == 1 and j["ok"]' \
		"$BPFAM" fsck --json "$DEV"
}

test_refused() {
	cp "$DEV" "$T/good"
	poke 0 'BSBPFAMF'
	check_err "fsck of a fenced device says so, not checked (8)" 8 \
		"$DEV: fenced by 'bpfam mkfs --force'" "$BPFAM" fsck "$DEV"
	json_is "fsck --json of a fenced device: fenced, not ok" \
		'j["fenced"] and not j["ok"] and "fenced by" in j["errors"][0]' \
		"$BPFAM" fsck --json "$DEV"
	check_err "logdump of a fenced device says so" 1 \
		"$DEV: fenced by 'bpfam mkfs --force'" "$BPFAM" logdump "$DEV"
	cp "$T/good" "$DEV"
	poke 8 '\001'
	check_err "fsck of a version 1 device: refused, with the way out (8)" 8 \
		"$DEV: format version 1 \(no host slots, no delete\): copy the files off with the bpfam that made it, then 'bpfam mkfs --force $DEV'" \
		"$BPFAM" fsck "$DEV"
	json_is "fsck --json of a version 1 device: not ok, not fenced" \
		'not j["ok"] and not j["fenced"]' "$BPFAM" fsck --json "$DEV"
	cp "$T/good" "$DEV"
}

# populate --names: links, renames, a symlink and a device; dir/file0 lost
# both its names (the second one replaced by a rename), 2 MiB waiting.
test_names() {
	rm -f "$DEV" && truncate -s 1G "$DEV" && "$BPFAM" mkfs "$DEV" >/dev/null
	if ! "$POPULATE" "$DEV" 1 --names; then
		not_ok "populate --names makes link, rename and unlink records"
		return
	fi
	stdout_has "fsck of names: clean" "^$DEV: clean$" "$BPFAM" fsck "$DEV"
	json_is "fsck --json: 3 files linked, one waiting" \
		'(j["files"], j["dirs"], j["deleted_files"], j["waiting_bytes"]) ==
		 (3, 2, 1, 2097152)' "$BPFAM" fsck --json "$DEV"
	stdout_has "logdump: a link" \
		'^7 @[0-9]+ link ino 3 parent 1 time_ns [0-9]+ name "hard"$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: a rename" \
		'^8 @[0-9]+ rename ino 3 parent 1 name "hard" to parent 2 name "moved" time_ns [0-9]+$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: a symlink's target" \
		'^9 @[0-9]+ mknod ino 5 parent 1 mode 0120777 .* name "sym" target "dir/moved"$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: a device's number" \
		'^10 @[0-9]+ mknod ino 6 parent 1 mode 020644 .* name "null" rdev 0x103$' \
		"$BPFAM" logdump "$DEV"
	stdout_has "logdump: a rename replacing a name" \
		'^11 @[0-9]+ rename ino 4 parent 1 name "striped" to parent 2 name "moved" replacing 3 time_ns [0-9]+$' \
		"$BPFAM" logdump "$DEV"
	json_is "logdump --json: link, rename, symlink, device, unlink" \
		'len(j) == 12 and
		 (j[6]["type"], j[6]["ino"], j[6]["name"]) == ("link", 3, "hard") and
		 (j[10]["type"], j[10]["name"], j[10]["new_parent"],
		  j[10]["new_name"], j[10]["victim"], j[10]["exchange"]) ==
		 ("rename", "striped", 2, "moved", 3, False) and
		 j[8]["target"] == "dir/moved" and j[9]["rdev"] == 0x103 and
		 (j[11]["type"], j[11]["ino"]) == ("unlink", 3)' \
		"$BPFAM" logdump --json "$DEV"
}

main() {
	truncate -s 1G "$DEV" && "$BPFAM" mkfs "$DEV" >/dev/null
	if ! "$POPULATE" "$DEV" 3 --delete; then
		not_ok "populate --delete makes delete and reclaim records"
		return
	fi
	test_deleted
	test_bad_delete
	check "mkfs --force over it" \
		bash -c "'$BPFAM' mkfs --force '$DEV' >/dev/null 2>&1"
	stdout_has "fsck: mkfs --force bumped the generation" \
		'^  generation 2$' "$BPFAM" fsck "$DEV"
	stdout_has "fsck: and nothing was deleted yet" \
		'^  deleted +0 files, 0 dirs: 0 B \(0 bytes\) waiting for reclaim$' \
		"$BPFAM" fsck "$DEV"
	test_hosts
	test_refused
	test_names
}

main
tap_done
