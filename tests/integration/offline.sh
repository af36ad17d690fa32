#!/bin/bash
# Offline CLI tests: bpfam help, mkfs, fsck and logdump on files in
# /dev/shm, including every refusal and corrupted superblocks and records.
#
# usage: tests/integration/offline.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
BUILD=${1:-build}
BPFAM=$BUILD/bpfam
POPULATE=$BUILD/tests/populate
. "$(dirname "$0")/../tap.sh"

T=$(mktemp -d /dev/shm/bpfam-offline.XXXXXX)
trap 'rm -rf "$T"' EXIT
DEV=$T/dev

# mkfs a fresh 1 GiB file at $DEV.
fresh() {
	rm -f "$DEV"
	truncate -s 1G "$DEV" && "$BPFAM" mkfs "$DEV" >/dev/null
}

# flip OFFSET: invert one byte of $DEV.
flip() {
	python3 - "$DEV" "$1" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)[0]
    f.seek(int(sys.argv[2]))
    f.write(bytes([b ^ 0xff]))
PY
}

# json_field FILE KEY: a top-level field of a JSON object.
json_field() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}


# ---- command line ----------------------------------------------------------
stdout_has "bpfam help lists mkfs, fsck and logdump" \
	'mkfs.*fsck.*logdump' bash -c "$BPFAM help | tr '\n' ' '"
for c in mkfs fsck logdump; do
	stdout_has "bpfam $c --help" "^usage: bpfam $c" "$BPFAM" "$c" --help
	stdout_has "bpfam help $c" "^usage: bpfam $c" "$BPFAM" help "$c"
	check_err "bpfam $c with a bad option is a usage error" 2 \
		"unknown option '--bogus'" "$BPFAM" "$c" --bogus "$DEV"
	check_err "bpfam $c without DEVICE is a usage error" 2 \
		'missing DEVICE' "$BPFAM" "$c"
	check_err "bpfam $c with two devices is a usage error" 2 \
		"unexpected argument 'b'" "$BPFAM" "$c" a b
done
check_err "unknown command" 2 "unknown command 'frobnicate'" \
	"$BPFAM" frobnicate
check_exit "no command" 2 "$BPFAM"
check_err "bad size suffix" 2 "--log-size '8Q': not a size" \
	"$BPFAM" mkfs --log-size 8Q "$DEV"
check_err "log size not a multiple of 2 MiB" 2 \
	'--log-size 3M: must be a multiple of 2 MiB' \
	"$BPFAM" mkfs --log-size 3M "$DEV"
check_err "--log-size without a value" 2 "'--log-size' needs a value" \
	"$BPFAM" mkfs "$DEV" --log-size

# ---- mkfs, then fsck of the empty filesystem ----------------------------------
truncate -s 1G "$DEV"
stdout_has "mkfs on a 1 GiB file" 'made a bpfam filesystem' \
	"$BPFAM" mkfs "$DEV"
stdout_has "fsck of the new filesystem: clean" "^$DEV: clean" \
	"$BPFAM" fsck "$DEV"
stdout_has "fsck: 0 files" '^  files +0$' "$BPFAM" fsck "$DEV"
stdout_has "fsck: 1 directory, the root" '^  dirs +1 ' "$BPFAM" fsck "$DEV"
stdout_has "fsck: 0 records, 8 MiB log" 'log +0 B of 8 MiB used \(0\.0%\), 0 records' \
	"$BPFAM" fsck "$DEV"
"$BPFAM" fsck --json "$DEV" >"$T/fsck.json"
check "fsck --json parses" python3 -m json.tool "$T/fsck.json" /dev/null
check "fsck --json: ok, 0 files, 1 dir" test \
	"$(json_field "$T/fsck.json" ok)/$(json_field "$T/fsck.json" files)/$(json_field "$T/fsck.json" dirs)" \
	= "True/0/1"
stdout_has "logdump of an empty log prints nothing" '^$' \
	"$BPFAM" logdump "$DEV"

# ---- refusing to destroy ---------------------------------------------------
check_err "second mkfs refuses" 1 \
	"$DEV: holds an existing bpfam filesystem \(UUID .*\) \(use --force" \
	"$BPFAM" mkfs "$DEV"
stdout_has "second mkfs with --force" 'made a bpfam filesystem' \
	"$BPFAM" mkfs --force "$DEV"
flip 100
check_err "mkfs refuses a damaged bpfam too" 1 \
	'holds an existing bpfam filesystem, damaged \(superblock: checksum mismatch' \
	"$BPFAM" mkfs "$DEV"
if command -v mkfs.ext4 >/dev/null; then
	rm -f "$T/ext4"
	truncate -s 64M "$T/ext4"
	mkfs.ext4 -q -F "$T/ext4"
	check_err "mkfs refuses an ext4 filesystem" 1 \
		"$T/ext4: holds an existing ext4 filesystem \(use --force to overwrite it\)" \
		"$BPFAM" mkfs "$T/ext4"
	stdout_has "mkfs --force overwrites it" 'made a bpfam' \
		"$BPFAM" mkfs --force "$T/ext4"
else
	ok "# SKIP mkfs.ext4 not installed"
fi
exec 9<>"$DEV"
flock -x 9
check_err "mkfs refuses a device a writer holds" 1 \
	'in use by another bpfam writer' "$BPFAM" mkfs --force "$DEV"
exec 9>&-
check_err "mkfs refuses a log leaving no data" 1 \
	'does not leave room for data' "$BPFAM" mkfs --force --log-size 1G "$DEV"

# ---- refusing what is not a device -----------------------------------------
# fsck follows fsck(8): 8 when it could not check (operational error).
for c in mkfs fsck logdump; do
	st=1
	[ "$c" = fsck ] && st=8
	check_err "$c refuses a directory" $st "$T: is a directory" "$BPFAM" "$c" "$T"
	rm -f "$T/odd"
	truncate -s 3M "$T/odd"
	check_err "$c refuses a 3 MiB file" $st \
		"$T/odd: size 3145728 is not a multiple of 2 MiB" "$BPFAM" "$c" "$T/odd"
	truncate -s 4M "$T/odd"
	check_err "$c refuses a 4 MiB file" $st \
		"$T/odd: size 4 MiB is too small" "$BPFAM" "$c" "$T/odd"
	check_err "$c refuses a nonexistent path" $st \
		"$T/none: No such file or directory" "$BPFAM" "$c" "$T/none"
done
rm -f "$T/odd"
truncate -s 8M "$T/odd"
check_err "fsck of an unformatted file: not checked (8)" 8 \
	"$T/odd: no bpfam filesystem .*'bpfam mkfs $T/odd'" "$BPFAM" fsck "$T/odd"

# ---- a populated filesystem ------------------------------------------------
fresh
check "populate makes records" "$POPULATE" "$DEV" 3
stdout_has "fsck of a populated filesystem: clean" "^$DEV: clean" \
	"$BPFAM" fsck "$DEV"
stdout_has "fsck counts 4 files" '^  files +4$' "$BPFAM" fsck "$DEV"
stdout_has "fsck counts 10 records" ', 10 records$' "$BPFAM" fsck "$DEV"
stdout_has "logdump: one line per record" '^10$' \
	bash -c "$BPFAM logdump $DEV | wc -l"
stdout_has "logdump: an fmap with its extents" \
	'^9 @[0-9]+ fmap ino 6 size 8388608 interleaved chunk 2097152 strips 2: 0:[0-9]+\+4194304 0:[0-9]+\+4194304$' \
	"$BPFAM" logdump "$DEV"
stdout_has "logdump: a mknod with its name" \
	'^2 @[0-9]+ mknod ino 3 parent 2 mode 0100644 .* name "file0"$' \
	"$BPFAM" logdump "$DEV"
"$BPFAM" logdump --json "$DEV" >"$T/log.json"
check "logdump --json parses" python3 -m json.tool "$T/log.json" /dev/null
check "logdump --json: 10 records, the last a setattr" test "$(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(len(a), a[-1]["type"], a[-1]["mode"], a[2]["extents"][0]["len"])' "$T/log.json")" \
	= "10 setattr 448 2097152"
"$BPFAM" fsck --json "$DEV" >"$T/fsck.json"
check "fsck --json: 4 files, 2 dirs, 16 MiB used" test \
	"$(json_field "$T/fsck.json" files)/$(json_field "$T/fsck.json" dirs)/$(json_field "$T/fsck.json" bytes_used)" \
	= "4/2/16777216"
LOG_END=$((2097152 + $(json_field "$T/fsck.json" log_used)))

# ---- corruption --------------------------------------------------------------
flip 40
check_err "a flipped superblock byte: fsck names the superblock, damaged (4)" 4 \
	"$DEV: superblock: checksum mismatch" "$BPFAM" fsck "$DEV"
"$BPFAM" fsck --json "$DEV" >"$T/bad.json" 2>/dev/null
check "fsck --json of a bad superblock: ok false, the error" test \
	"$(json_field "$T/bad.json" ok)" = False -a \
	-n "$(json_field "$T/bad.json" errors | grep 'superblock: checksum')"
check "fsck --json of a bad superblock parses" python3 -m json.tool "$T/bad.json" /dev/null
flip 40
stdout_has "the byte flipped back: clean again" ': clean$' "$BPFAM" fsck "$DEV"

REC3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[2]["offset"])' "$T/log.json")
flip $((REC3 + 30))
check_err "a flipped record byte: fsck names the record, damaged (4)" 4 \
	"$DEV: log record 3 at offset $REC3: record checksum mismatch" \
	"$BPFAM" fsck "$DEV"
check_err "logdump stops at it" 1 "log record 3 at offset $REC3" \
	"$BPFAM" logdump "$DEV"
stdout_has "logdump prints the records before it" '^2$' \
	bash -c "$BPFAM logdump $DEV 2>/dev/null | wc -l"
check "logdump --json prints them as JSON" python3 -c '
import json, sys
assert len(json.load(sys.stdin)) == 2' < <("$BPFAM" logdump --json "$DEV" 2>/dev/null)
flip $((REC3 + 30))

printf 'torn' | dd of="$DEV" bs=1 seek=$((LOG_END + 12)) conv=notrunc status=none
check_err "a torn tail: fsck reports the unfinished append, needs recovery (1)" 1 \
	"unfinished append of 4 bytes after record 10 at offset $LOG_END: .*the next mount discards it" \
	"$BPFAM" fsck "$DEV"
check "a torn tail is not damage" bash -c \
	"'$BPFAM' fsck '$DEV' 2>/dev/null | grep -q '^$DEV: needs recovery'"
check_err "logdump reports it too" 1 "unfinished append" "$BPFAM" logdump "$DEV"
printf '\0\0\0\0' | dd of="$DEV" bs=1 seek=$((LOG_END + 12)) conv=notrunc status=none
printf 'x' | dd of="$DEV" bs=1 seek=$((LOG_END + 300000)) conv=notrunc status=none
check_err "a stray byte past the log end: damaged (4)" 4 \
	"stray non-zero byte at offset $((LOG_END + 300000))" "$BPFAM" fsck "$DEV"

tap_done
