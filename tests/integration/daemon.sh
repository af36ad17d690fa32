#!/bin/bash
# Integration tests of bpfamd on this (stock) kernel, through its mount and
# the commands that work on one (bpfam creat, cp, mkdir, getmap, stats):
# files of 4 KiB to 512 MiB, simple and interleaved; mmap; the set-once size
# rules; the errors a bpfam owes its users; permissions as nobody; a client
# mount; ENOSPC; SIGKILL and restart; the pinned fmaps and fmap_exts BPF
# maps, their size and entry lifetime; start-up refusals; utimens; fio verify.
# Needs root (FUSE mounts, setpriv).  usage: daemon.sh [BUILD-DIR]
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

dl_init "${1:-build}"
SRC=$DL_TMP/src
MiB=$((1 << 20))

# Sources: sizes that straddle 2 MiB units and interleave chunks.
make_sources() {
	mkdir -p "$SRC" &&
		head -c 4096 /dev/urandom >"$SRC/4k" &&
		head -c $((MiB + 1)) /dev/urandom >"$SRC/1m1" &&
		head -c $((64 * MiB)) /dev/urandom >"$SRC/64m" &&
		head -c $((512 * MiB)) /dev/urandom >"$SRC/512m" &&
		head -c $((24 * MiB + 12345)) /dev/urandom >"$SRC/il" &&
		: >"$SRC/empty"
}

size_of() {
	stat -c %s "$1"
}

# getmap_is FILE JQ-EXPR [OPTION...]: bpfam getmap --json [OPTION...] FILE
# satisfies JQ-EXPR.
getmap_is() {
	"$BPFAM" getmap --json "${@:3}" "$1" | jq -e "$2" >/dev/null
}

# --- start-up refusals: one line each, exit 1, the device untouched ---------

# refuses WHAT PATTERN [--nobody] BPFAMD-ARG...: bpfamd exits 1 naming the
# reason (stderr matches PATTERN), and $DEV is byte for byte as before.
refuses() {
	local what=$1 pat=$2 as=() before
	shift 2
	if [ "$1" = --nobody ]; then
		as=(as_nobody)
		shift
	fi
	before=$(dev_sum)
	check_err "bpfamd refuses $what" 1 "$pat" "${as[@]}" "$BPFAMD" -f "$@"
	check "... and leaves the device as it was" \
		[ "$(dev_sum)" = "$before" ]
}

# dev_sum: a checksum of $DEV but for the host slots, which the heartbeat
# of a daemon already serving it rewrites.
dev_sum() {
	{ head -c 4096 "$DEV" && tail -c +$((2 * MiB + 1)) "$DEV"; } | md5sum
}

# set_byte FILE OFFSET VALUE: overwrite one byte of FILE (VALUE in octal).
set_byte() {
	printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

test_refusals() {
	local mnt=$DL_MNTROOT/refusals bad=$DL_TMP/bad

	mkdir "$mnt" && : >"$DL_TMP/notadir"
	check_exit "bpfamd with an unknown -o option is a usage error" 2 \
		"$BPFAMD" -f -o bogus "$DEV" "$mnt"
	check_exit "bpfamd without MOUNTPOINT is a usage error" 2 \
		"$BPFAMD" -f "$DEV"
	refuses "a non-root caller" "must run as root" --nobody "$DEV" "$mnt"
	refuses "a missing mountpoint" "$mnt/nope: mountpoint does not exist" \
		"$DEV" "$mnt/nope"
	refuses "a mountpoint that is a file" \
		"notadir: mountpoint is not a directory" "$DEV" "$DL_TMP/notadir"
	refuses "a missing device" "$DL_TMP/nodev: No such file or directory" \
		"$DL_TMP/nodev" "$mnt"
	check_err "bpfamd refuses to start without /dev/fuse" 1 \
		"/dev/fuse: missing" unshare -m sh -c \
		'mount -t tmpfs none /dev && exec "$0" -f "$1" "$2"' \
		"$BPFAMD" "$DEV" "$mnt"
	truncate -s 64M "$bad"
	check_err "bpfamd refuses an unformatted device, naming bpfam mkfs" 1 \
		"no bpfam filesystem.*bpfam mkfs" "$BPFAMD" -f "$bad" "$mnt"
	cp "$DEV" "$bad"
	set_byte "$bad" 100 377
	check_err "bpfamd refuses a corrupt superblock" 1 \
		"superblock: checksum mismatch" "$BPFAMD" -f "$bad" "$mnt"
	cp "$DEV" "$bad"
	set_byte "$bad" 8 3 # the version field, after the 8-byte magic
	check_err "bpfamd refuses a newer format version" 1 \
		"format version 3 is newer than this bpfam supports" \
		"$BPFAMD" -f "$bad" "$mnt"
	refuses "-o mode=fast on an emulated device" \
		"mode=fast: .*use mode=auto or mode=fallback" \
		-o mode=fast "$DEV" "$mnt"
	check_fails "no refusal left anything mounted" dl_mounted "$mnt"
	rm -f "$bad"
	rmdir "$mnt"
}

# Once $MNT is served: a second daemon on it is refused before mounting.
test_busy() {
	refuses "a mountpoint already mounted" "already a mount point" \
		"$DEV" "$MNT"
}

# --- create, write, read back -----------------------------------------------

test_copy_sizes() {
	local f

	for f in 4k 1m1 64m 512m; do
		check "bpfam cp copies the $f file in (and verifies it)" \
			"$BPFAM" cp "$SRC/$f" "$MNT/$f"
		check "the $f file has its source's size" \
			[ "$(size_of "$MNT/$f")" = "$(size_of "$SRC/$f")" ]
		check "the $f file reads back identical (cmp)" \
			cmp "$SRC/$f" "$MNT/$f"
		check "the $f file's fmap is simple and covers its size" \
			getmap_is "$MNT/$f" '.kind == "simple" and
			([.extents[].length] | add) >= .size and
			all(.extents[]; .dev_offset % 2097152 == 0)'
	done
	check "bpfam mkdir makes a directory" "$BPFAM" mkdir "$MNT/multi"
	check "bpfam cp copies several sources into a directory" \
		"$BPFAM" cp "$SRC/4k" "$SRC/1m1" "$SRC/empty" "$MNT/multi"
	check "... each identical to its source" \
		cmp "$SRC/1m1" "$MNT/multi/1m1"
	check "an empty source makes an empty file" \
		[ "$(size_of "$MNT/multi/empty")" = 0 ]
	check_err "getmap of an unsized file says it has no fmap" 1 \
		'it holds no space' "$BPFAM" getmap "$MNT/multi/empty"
	check_err "bpfam cp omits a directory" 1 "omitting directory" \
		"$BPFAM" cp "$SRC" "$MNT/multi"
	check_err "bpfam cp does not replace an existing file" 1 \
		"$MNT/4k: File exists \(EEXIST\)" "$BPFAM" cp "$SRC/4k" "$MNT/4k"
}

test_interleaved() {
	local f=$MNT/il2m

	check "bpfam creat --interleave 4 --chunk 2M sizes a new file" \
		"$BPFAM" creat -s "$(size_of "$SRC/il")" --interleave 4 \
		--chunk 2M "$f"
	check "its fmap is 4 strips of 2 MiB chunks" \
		getmap_is "$f" '.kind == "interleaved" and .nr == 4 and
		.chunk == 2097152 and (.strips | length) == 4'
	check "dd writes it in place (conv=notrunc)" \
		dd if="$SRC/il" of="$f" bs=1M conv=notrunc,fsync status=none
	check "the 2 MiB-chunk interleaved file reads back identical" \
		cmp "$SRC/il" "$f"
	check "bpfam cp --interleave 4 --chunk 4M copies a file in" \
		"$BPFAM" cp --interleave 4 --chunk 4M "$SRC/il" "$MNT/il4m"
	check "its fmap is 4 strips of 4 MiB chunks" \
		getmap_is "$MNT/il4m" '.kind == "interleaved" and .nr == 4 and
		.chunk == 4194304'
	check "the 4 MiB-chunk interleaved file reads back identical" \
		cmp "$SRC/il" "$MNT/il4m"
	check "getmap --chunks maps every chunk of it" \
		getmap_is "$MNT/il4m" '.chunks | length == 7' --chunks
	check "getmap prints the strip layout as text" \
		grep -q "interleaved over 4 strips of 4 MiB chunks" \
		<("$BPFAM" getmap "$MNT/il4m")
}

# --- mmap -------------------------------------------------------------------

test_mmap() {
	check "bpfam creat -s 8M makes a file to map" \
		"$BPFAM" creat -s 8M "$MNT/mm"
	check "a MAP_SHARED mapping writes the whole file" \
		"$PY" "$FSOPS" mmap-write "$MNT/mm" "$DL_TMP/mm.ref"
	check "read() sees what the shared mapping wrote" \
		cmp "$DL_TMP/mm.ref" "$MNT/mm"
	check "a MAP_SHARED read mapping of the 64m file matches its source" \
		"$PY" "$FSOPS" mmap-read "$MNT/64m" "$SRC/64m"
	check "a MAP_SHARED read mapping of an interleaved file matches" \
		"$PY" "$FSOPS" mmap-read "$MNT/il2m" "$SRC/il"
	check "MAP_PRIVATE reads the file and its writes do not reach it" \
		"$PY" "$FSOPS" mmap-private "$MNT/mm"
}

# --- sizes that change -----------------------------------------------------

# zeros_from FILE OFFSET: every byte of FILE from OFFSET on is zero.
zeros_from() {
	[ "$(tail -c +$(($2 + 1)) "$1" | tr -d '\0' | wc -c)" = 0 ]
}

test_sizes() {
	local f=$MNT/sized u=$MNT/unsized il=$MNT/striped_il w=$MNT/grown

	"$BPFAM" creat --random --seed 7 -s 3M "$f"
	check_errno "ftruncate up: OK" OK truncate "$f" $((5 * MiB))
	check "... the size is 5 MiB" [ "$(size_of "$f")" = $((5 * MiB)) ]
	check "... and what it gained reads as zeros" zeros_from "$f" $((3 * MiB))
	check_errno "ftruncate down: OK" OK truncate "$f" 1000
	check_errno "ftruncate up again: OK" OK truncate "$f" $((4 * MiB))
	check "... zeros past the old end, never the old bytes" \
		zeros_from "$f" 1000
	check_errno "fallocate to a larger size grows it" OK \
		fallocate "$f" $((6 * MiB))
	check "... to 6 MiB" [ "$(size_of "$f")" = $((6 * MiB)) ]
	check_errno "fallocate inside the size: no change" OK \
		fallocate "$f" $((1 * MiB))
	check "... still 6 MiB" [ "$(size_of "$f")" = $((6 * MiB)) ]
	check_errno "fallocate KEEP_SIZE past the end: OK" OK \
		fallocate "$f" $((20 * MiB)) 1
	check "... keeps the size" [ "$(size_of "$f")" = $((6 * MiB)) ]
	check "... and reserves the extents" \
		getmap_is "$f" '[.extents[].length] | add >= 20971520'
	check_errno "fallocate punching a hole: EOPNOTSUPP" EOPNOTSUPP \
		fallocate "$f" $((1 * MiB)) 3
	check_errno "open(O_TRUNC) (shell >): OK" OK trunc-open "$f"
	check "... to 0 bytes" [ "$(size_of "$f")" = 0 ]
	check_errno "a write past EOF: OK" OK pwrite "$f" $((3 * MiB)) 10
	check "... grows the file to its end" \
		[ "$(size_of "$f")" = $((3 * MiB + 10)) ]
	check "... and the gap reads as zeros" \
		[ "$(head -c $((3 * MiB)) "$f" | tr -d '\0' | wc -c)" = 0 ]
	check_errno "setting the layout of a sized file: EPERM" EPERM \
		setxattr "$f" user.bpfam.layout strips=2,chunk=2097152
	check_errno "ftruncate to more than the filesystem holds: EFBIG" EFBIG \
		truncate "$f" $((1 << 50))

	head -c $((5 * MiB + 123)) /dev/urandom >"$DL_TMP/grown.src"
	check "cp of a 5 MiB file into an empty one" \
		cp "$DL_TMP/grown.src" "$w"
	check "... reads back as written" cmp "$DL_TMP/grown.src" "$w"
	# The kernel sends RELEASE after close() has returned.
	check "... the reservation given back at close" \
		wait_until 5 getmap_is "$w" \
		'[.extents[].length] | add == 6291456'

	check_errno "open(O_CREAT) makes an empty, unsized file" OK creat "$u"
	check_errno "layout with 0 strips: EINVAL" EINVAL \
		setxattr "$u" user.bpfam.layout strips=0,chunk=2097152
	check_errno "layout with a chunk not a multiple of 2 MiB: EINVAL" \
		EINVAL setxattr "$u" user.bpfam.layout strips=2,chunk=3145728
	check_errno "layout strips=2,chunk=2M on an unsized file" OK \
		setxattr "$u" user.bpfam.layout strips=2,chunk=2097152
	check_errno "ftruncate sizes an unsized file" OK \
		truncate "$u" $((8 * MiB))
	check "ftruncate applied the pending layout" \
		getmap_is "$u" '.kind == "interleaved" and .nr == 2 and
		.size == 8388608'
	check_errno "an interleaved file keeps its size: EPERM" EPERM \
		truncate "$u" $((4 * MiB))
	check_errno "... and cannot grow by a write: EPERM" EPERM \
		pwrite "$u" $((8 * MiB)) 1
	check_errno "... but goes to 0 (shell >)" OK trunc-open "$u"
	check "... and is then a plain empty file" [ "$(size_of "$u")" = 0 ]
	"$BPFAM" creat --interleave 2 --chunk 2M -s 7M "$il"
	check_errno "an interleaved file with room in its strips cannot grow either: EPERM" \
		EPERM pwrite "$il" $((7 * MiB)) 1
	check "... and keeps its size" [ "$(size_of "$il")" = $((7 * MiB)) ]
	rm -f "$il"
}

# --- errors -----------------------------------------------------------------

test_errors() {
	local n255 n256

	n255=$(printf 'n%.0s' {1..255})
	n256=${n255}x
	check_err "bpfam creat of an existing file: EEXIST" 1 \
		"File exists \(EEXIST\)" "$BPFAM" creat -s 1M "$MNT/4k"
	check_errno "open(O_CREAT|O_EXCL) of an existing file: EEXIST" \
		EEXIST creat "$MNT/4k"
	check_err "bpfam mkdir of an existing directory: EEXIST" 1 \
		"EEXIST" "$BPFAM" mkdir "$MNT/multi"
	check "bpfam mkdir -p of an existing directory is fine" \
		"$BPFAM" mkdir -p "$MNT/multi"
	check_errno "mkdir over an existing file: EEXIST" EEXIST \
		mkdir "$MNT/4k"
	check_errno "creating a 256-byte name: ENAMETOOLONG" ENAMETOOLONG \
		creat "$MNT/$n256"
	check_errno "mkdir of a 256-byte name: ENAMETOOLONG" ENAMETOOLONG \
		mkdir "$MNT/$n256"
	check_err "bpfam creat of a 256-byte name says ENAMETOOLONG" 1 \
		ENAMETOOLONG "$BPFAM" creat -s 1M "$MNT/$n256"
	check "a 255-byte name works" "$BPFAM" creat -s 4K "$MNT/$n255"
	check "... and is listed" [ -f "$MNT/$n255" ]
	check_errno "opening a missing file: ENOENT" ENOENT open "$MNT/nope"
}

test_long_paths() {
	local d=$MNT i

	for ((i = 0; i < 24; i++)); do
		d=$d/directory_level_$i
	done
	check "bpfam mkdir -p makes 24 nested directories (${#d}-byte path)" \
		"$BPFAM" mkdir -p "$d"
	check "bpfam cp copies a file into the deepest one" \
		"$BPFAM" cp "$SRC/1m1" "$d/$(printf 'f%.0s' {1..200})"
	check "it reads back identical" \
		cmp "$SRC/1m1" "$d/$(printf 'f%.0s' {1..200})"
}

# --- permissions ------------------------------------------------------------

test_permissions() {
	"$BPFAM" creat -s 1M "$MNT/secret" && chmod 600 "$MNT/secret"
	check_errno "nobody cannot read a root 0600 file: EACCES" EACCES \
		--nobody open "$MNT/secret"
	check_errno "nobody cannot create in root's 0755 root: EACCES" \
		EACCES --nobody creat "$MNT/by_nobody"
	check_errno "nobody cannot chmod root's file: EPERM" EPERM \
		--nobody chmod "$MNT/1m1" 777
	check "root: bpfam mkdir -m 777 makes a shared directory" \
		"$BPFAM" mkdir -m 777 "$MNT/shared"
	check "... with mode 777" [ "$(stat -c %a "$MNT/shared")" = 777 ]
	check "nobody: bpfam creat in the 0777 directory" \
		as_nobody "$BPFAM" creat -s 2M "$MNT/shared/mine"
	check "... the file belongs to nobody:nogroup" \
		[ "$(stat -c %U:%G "$MNT/shared/mine")" = nobody:nogroup ]
	check "nobody: bpfam cp into the 0777 directory" \
		as_nobody "$BPFAM" cp "$MNT/1m1" "$MNT/shared/copy"
	check "nobody: its copy reads back identical" \
		cmp "$SRC/1m1" <(as_nobody cat "$MNT/shared/copy")
	check "nobody: bpfam getmap works" \
		quietly as_nobody "$BPFAM" getmap "$MNT/shared/copy"
	check "nobody: bpfam stats works" \
		quietly as_nobody "$BPFAM" stats "$MNT"
	check "root: chown nobody:nogroup a file" \
		chown nobody:nogroup "$MNT/4k"
	check "root: chmod 640 it" chmod 640 "$MNT/4k"
	check "... nobody, now its owner, reads it" \
		cmp "$SRC/4k" <(as_nobody cat "$MNT/4k")
}

# --- names: hard links, rename, symlinks, special files ----------------------

# nlink_is PATH N: stat says PATH has N links.
nlink_is() {
	[ "$(stat -c %h "$1")" = "$2" ]
}

# names_in DIR1 DIR2 GLOB: how many entries readdir lists in both.
names_in() {
	find "$1" "$2" -mindepth 1 -maxdepth 1 -name "$3" | wc -l
}

test_names() {
	local n=$MNT/names t0

	check "mkdir for the name tests" \
		mkdir "$n" "$n/d" "$n/d/s1" "$n/d/s2" "$n/full" "$n/full/x"
	check "a directory's nlink is 2 + its subdirectories" nlink_is "$n/d" 4
	quietly "$BPFAM" cp "$SRC/4k" "$n/f"
	check_errno "link(2) gives a file a second name" OK link "$n/f" "$n/d/g"
	check "... both names are one inode with nlink 2" \
		[ "$(stat -c '%i %h' "$n/f")" = "$(stat -c '%i %h' "$n/d/g")" ] &&
		nlink_is "$n/f" 2
	check "... readdir lists both" \
		[ "$(names_in "$n" "$n/d" '[fg]')" = 2 ]
	check_errno "link of a directory: EPERM" EPERM link "$n/d" "$n/dl"
	check_errno "link over an existing name: EEXIST" EEXIST \
		link "$n/f" "$n/d/g"
	check_errno "unlink one name" OK unlink "$n/f"
	check "... the other reads the data, nlink 1" \
		cmp "$SRC/4k" "$n/d/g" && nlink_is "$n/d/g" 1

	check_errno "rename within a directory" OK rename "$n/d/g" "$n/d/h"
	check_errno "... the old name is gone" ENOENT open "$n/d/g"
	check "... the new one reads the data" cmp "$SRC/4k" "$n/d/h"
	check_errno "rename across directories" OK rename "$n/d/h" "$n/f"
	check "... listed once, in its new directory" \
		[ "$(names_in "$n" "$n/d" '[fgh]')" = 1 ]
	quietly "$BPFAM" cp "$SRC/1m1" "$n/victim"
	exec 3<"$n/victim"
	check_errno "rename over an existing file replaces it" OK \
		rename "$n/f" "$n/victim"
	check "... the name reads the renamed file" cmp "$SRC/4k" "$n/victim"
	check "... and an fd open on the replaced one still reads it" \
		cmp "$SRC/1m1" /proc/self/fd/3
	exec 3<&-
	check_errno "rename of a directory into itself: EINVAL" EINVAL \
		rename "$n/d" "$n/d/s1/x"
	check_errno "rename of a directory over a non-empty one: ENOTEMPTY" \
		ENOTEMPTY rename "$n/d/s1" "$n/full"
	check "rmdir, bottom up" rmdir "$n/full/x" "$n/full"
	check_errno "rename of a file over a directory: EISDIR" EISDIR \
		rename "$n/victim" "$n/d"
	check_errno "rename of a directory over a file: ENOTDIR" ENOTDIR \
		rename "$n/d" "$n/victim"
	check_errno "RENAME_NOREPLACE over an existing name: EEXIST" EEXIST \
		rename "$n/victim" "$n/d/s1" noreplace
	check_errno "rename of a directory over an empty one" OK \
		rename "$n/d/s2" "$n/d/s1"
	check "... the parent lost a subdirectory" nlink_is "$n/d" 3
	check_errno "RENAME_EXCHANGE swaps a file and a directory" OK \
		rename "$n/victim" "$n/d/s1" exchange
	check "... each under the other's name" \
		[ -d "$n/victim" ] && cmp "$SRC/4k" "$n/d/s1"
	check "... and the directories' nlinks follow" \
		nlink_is "$n" 4 && nlink_is "$n/d" 2

	check_errno "symlink(2)" OK symlink "victim/../d/s1" "$n/sym"
	check "... readlink gives the target" \
		[ "$(readlink "$n/sym")" = "victim/../d/s1" ]
	check "... its size is the target's length" \
		[ "$(stat -c %s "$n/sym")" = 14 ]
	check "... and the kernel follows it" cmp "$SRC/4k" "$n/sym"
	check_errno "mkfifo" OK mknod "$n/fifo" fifo
	check "... a FIFO" [ -p "$n/fifo" ]
	check_errno "mknod of a character device" OK mknod "$n/null" chr 1 3
	check "... with its device number" \
		[ "$(stat -c '%F %t:%T' "$n/null")" = "character special file 1:3" ]
	check_errno "mknod of a socket" OK mknod "$n/sock" sock
	check "... a socket" [ -S "$n/sock" ]
	t0=$(stat -c %Z "$n")
	sleep 1.1
	check_errno "rmdir" OK rmdir "$n/victim"
	check "... sets its parent's ctime" [ "$(stat -c %Z "$n")" -gt "$t0" ]
	check "... and mtime" [ "$(stat -c %Y "$n")" = "$(stat -c %Z "$n")" ]
}

# --- times ------------------------------------------------------------------

T_MTIME=1500000000

test_times() {
	check "root: touch -m sets a file's mtime" \
		touch -m -d "@$T_MTIME" "$MNT/1m1"
	check "... stat shows it" [ "$(stat -c %Y "$MNT/1m1")" = "$T_MTIME" ]
	check_fails "nobody cannot set the mtime of root's file" \
		as_nobody touch -m -d @1 "$MNT/1m1" 2>/dev/null
	check "... which kept its mtime" \
		[ "$(stat -c %Y "$MNT/1m1")" = "$T_MTIME" ]
}

# --- the pinned fmaps map ---------------------------------------------------

# exts_slot SLOT: fmap_exts slot SLOT as bpftool prints it (JSON, .value).
exts_slot() {
	local pins

	pins=$(stats_of "$MNT" .bpf_maps) && [ "$pins" != null ] || return 1
	bpftool -j map lookup pinned "$pins/fmap_exts" \
		key $(($1 & 255)) $(($1 >> 8 & 255)) 0 0 | jq '.formatted // .'
}

# fmap_matches_bpf FILE: the fmaps entry of FILE's inode has the extents
# bpfam getmap prints: inline, or for more than 4 in the fmap_exts slot
# its value names, which has the value's seq.
fmap_matches_bpf() {
	local pins ino slot

	pins=$(stats_of "$MNT" .bpf_maps) && [ "$pins" != null ] || return 1
	ino=$(stat -c %i "$1")
	bpftool -j map dump pinned "$pins/fmaps" >"$DL_TMP/dump.json" &&
		"$BPFAM" getmap --json "$1" >"$DL_TMP/getmap.json" || return 1
	slot=$(jq --argjson ino "$ino" '[.[] | .formatted // . |
		select(.key == $ino) | .value.slot][0] // 0' "$DL_TMP/dump.json")
	exts_slot "$slot" >"$DL_TMP/exts.json" || return 1
	jq -e --argjson ino "$ino" --slurpfile g "$DL_TMP/getmap.json" \
		--slurpfile x "$DL_TMP/exts.json" '
		$g[0] as $g | $x[0].value as $x |
		[.[] | .formatted // . | select(.key == $ino) | .value] |
		length == 1 and (.[0] as $v |
		(if $v.nr > 4 then
			$x.seq == $v.seq and $x.ext[:4] == $v.ext
		else $v.slot == 0 end) and
		$v.size == $g.size and $v.nr == $g.nr and
		$v.chunk == $g.chunk and $v.gen == $g.gen and
		$v.kind == (if $g.kind == "simple" then 1 else 2 end) and
		[(if $v.nr > 4 then $x else $v end).ext[:$v.nr][] |
			[.dev, .dev_off, .len, .file_off]] ==
		[($g.extents // $g.strips)[] | [.dev, .dev_offset, .length,
			.file_offset // .strip * $g.chunk]])' \
		"$DL_TMP/dump.json" >/dev/null
}

# fmaps_count: how many entries the pinned fmaps map has.
fmaps_count() {
	local pins

	pins=$(stats_of "$MNT" .bpf_maps) && [ "$pins" != null ] || return 1
	bpftool -j map dump pinned "$pins/fmaps" | jq length
}

# The structural targets of the published form: a fixed value of at most
# 256 bytes for up to 4 extents, a one-extent file's entry readable in a
# screen of `bpftool map dump`; nothing published before a lookup.
test_published_form() {
	local pins lines

	pins=$(stats_of "$MNT" .bpf_maps)
	check "a fresh mount publishes no fmap ($(fmaps_count) entries)" \
		[ "$(fmaps_count)" = 0 ]
	"$BPFAM" creat -s 2M "$MNT/one"
	check "bpftool map show: fmaps values are at most 256 bytes" \
		[ "$(bpftool -j map show pinned "$pins/fmaps" |
			jq .bytes_value)" -le 256 ]
	bpftool map dump pinned "$pins/fmaps" >"$DL_TMP/one.dump"
	lines=$(wc -l <"$DL_TMP/one.dump")
	check "bpftool map dump of a one-extent file: $lines lines (< 60)" \
		[ "$lines" -lt 60 ]
	check "... with BTF field names" \
		grep -q '"dev_off": ' "$DL_TMP/one.dump"
	check "... naming no fmap_exts slot (slot 0 free: seq 0)" \
		[ "$(bpftool -j map dump pinned "$pins/fmaps" |
			jq '.[0].formatted.value.slot')$(exts_slot 0 | jq .value.seq)" = 00 ]
	check "... which is getmap's" fmap_matches_bpf "$MNT/one"
	"$BPFAM" getmap --bpf "$MNT/one" >"$DL_TMP/one.keys"
	check "getmap --bpf names its inode number as the fmaps key" \
		grep -qx "fmaps key $(stat -c %i "$MNT/one"):" "$DL_TMP/one.keys"
	check "... and its bpftool command prints that entry" \
		cmp <(bpftool -j map dump pinned "$pins/fmaps" |
			jq -c '.[0].formatted') \
		<(tail -n 1 "$DL_TMP/one.keys" | sed 's/bpftool /bpftool -j /' |
			bash | jq -c .formatted)
	check_err "getmap --bpf does not take --json" 2 "not with --json" \
		"$BPFAM" getmap --bpf --json "$MNT/one"
	rm -f "$MNT/one"
}

# A file of 6 extents (two files grown in turns): its extents in an
# fmap_exts slot, a new one with each resize, freed with the node.
test_fragmented() {
	local i ino slot seq

	"$BPFAM" creat -s 2M "$MNT/frag" && "$BPFAM" creat -s 2M "$MNT/frag2"
	for i in 2 3 4 5 6; do
		truncate -s $((2 * i))M "$MNT/frag" &&
			truncate -s $((2 * i))M "$MNT/frag2"
	done
	check "two files grown in turns have 6 extents each" \
		getmap_is "$MNT/frag" '.nr == 6'
	check "bpftool: the fmap_exts slot of a 6-extent file has its extents" \
		fmap_matches_bpf "$MNT/frag"
	"$BPFAM" getmap --bpf "$MNT/frag" >"$DL_TMP/frag.keys"
	check "getmap --bpf: the bpftool command for its fmap_exts slot prints the entry" \
		bash -c "tail -n 1 '$DL_TMP/frag.keys' | bash | grep -q '\"file_off\": 10485760'"
	check_err "getmap --bpf of it as nobody: the pinned map's error" 1 \
		"fmaps: Permission denied" as_nobody "$BPFAM" getmap --bpf "$MNT/frag"
	truncate -s 14M "$MNT/frag2" && truncate -s 14M "$MNT/frag"
	check "... and after it grew to 7, the slot its value names has them" \
		fmap_matches_bpf "$MNT/frag"
	check "... which reads what was written" \
		cmp <(head -c 8M /dev/zero) <(head -c 8M "$MNT/frag")
	ino=$(stat -c %i "$MNT/frag")
	# getmap --bpf's third line: the bpftool command of its fmaps entry
	read -r slot seq < <("$BPFAM" getmap --bpf "$MNT/frag" | sed -n 3p |
		sed 's/bpftool /bpftool -j /' | bash |
		jq -r '.formatted.value | "\(.slot) \(.seq)"')
	check "when the kernel forgets the node, its fmaps entry goes" \
		gone_from_fmaps "$ino"
	check "... and its fmap_exts slot $slot is freed (seq $seq, now 0)" \
		[ "$(exts_slot "$slot" | jq .value.seq)" = 0 ]
	rm -f "$MNT/frag" "$MNT/frag2"
}

test_bpf_maps() {
	check "bpftool: the fmaps entry of the 512m file has getmap's extents" \
		fmap_matches_bpf "$MNT/512m"
	check "bpftool: the fmaps entry of an interleaved file has its strips" \
		fmap_matches_bpf "$MNT/il4m"
	check "bpftool: the fmaps entry of a 4 KiB file" \
		fmap_matches_bpf "$MNT/4k"
	test_fragmented
}

# fmaps_has INO: 0 when the fmaps map has an entry for node INO, 1 when it
# has none, 2 when the map cannot be read (so that no check passes on it).
fmaps_has() {
	local pins dump

	pins=$(stats_of "$MNT" .bpf_maps) && [ "$pins" != null ] || return 2
	dump=$(bpftool -j map dump pinned "$pins/fmaps") || return 2
	jq -e --argjson ino "$1" 'any(.[]; (.formatted // .).key == $ino)' \
		<<<"$dump" >/dev/null
}

# in_fmaps FILE: the fmaps map has an entry for FILE's node id.
in_fmaps() {
	fmaps_has "$(stat -c %i "$1")"
}

# gone_from_fmaps INO: within 5 s of dropping the kernel's inode cache, the
# fmaps map has no entry for node INO (FORGET reached the daemon).
gone_from_fmaps() {
	local i rc

	for ((i = 0; i < 50; i++)); do
		echo 2 >/proc/sys/vm/drop_caches
		fmaps_has "$1"
		rc=$?
		[ "$rc" -eq 1 ] && return 0
		[ "$rc" -eq 2 ] && return 1
		sleep 0.1
	done
	return 1
}

test_forget() {
	local ino

	"$BPFAM" creat -s 2M "$MNT/forgotten" && "$BPFAM" creat -s 2M "$MNT/held"
	check "a new file's fmap is in the map" in_fmaps "$MNT/forgotten"
	ino=$(stat -c %i "$MNT/forgotten")
	exec 3<"$MNT/held"
	check "when the kernel forgets the node, its entry goes" \
		gone_from_fmaps "$ino"
	check "... but an open file's entry stays" in_fmaps "$MNT/held"
	exec 3<&-
	check "a new lookup publishes the entry again" in_fmaps "$MNT/forgotten"
}

# --- readdirplus --------------------------------------------------------------

# requests_of FIELD: how many requests of that kind the daemon served.
requests_of() {
	stats_of "$MNT" ".requests.$1 // 0"
}

test_readdirplus() {
	local i lookups plus

	mkdir "$MNT/plus" && for ((i = 0; i < 40; i++)); do
		printf '%*s' "$i" "" >"$MNT/plus/f$i" || return 1
	done
	echo 2 >/proc/sys/vm/drop_caches
	lookups=$(requests_of lookup)
	plus=$(requests_of readdirplus)
	ls -l "$MNT/plus" >"$DL_TMP/plus.txt"
	check "ls -l lists the directory through READDIRPLUS" \
		[ "$(requests_of readdirplus)" -gt "$plus" ]
	check "... without a LOOKUP for each of its 40 names" \
		[ $(($(requests_of lookup) - lookups)) -lt 40 ]
	check "... showing each file's size" \
		[ "$(awk '$9 ~ /^f/ { n += ($5 == substr($9, 2)) } END { print n }' \
			"$DL_TMP/plus.txt")" = 40 ]
	rm -r "$MNT/plus"
	echo 2 >/proc/sys/vm/drop_caches
	check "the kernel forgets what READDIRPLUS gave it: the files' space is reclaimed" \
		wait_until 10 eval '[ "$(stats_of "$MNT" .bytes_waiting_reclaim)" = 0 ]'
}

# --- fio --------------------------------------------------------------------

fio_verify() {
	fio --name="bpfam-$1" --filename="$MNT/fio" --size=64M --rw="$1" \
		--bs=64k --ioengine=psync --direct=0 --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		>"$DL_TMP/fio-$1.log" 2>&1
}

test_fio() {
	check "bpfam creat -s 64M preallocates fio's file" \
		"$BPFAM" creat -s 64M "$MNT/fio"
	check "fio rw=write --verify=crc32c passes" fio_verify write
	check "fio rw=read --verify=crc32c of those blocks passes" \
		fio_verify read
	check "fio rw=randrw --verify=crc32c passes" fio_verify randrw
	check "fio did not grow the file" \
		[ "$(size_of "$MNT/fio")" = $((64 * MiB)) ]
}

# --- stats ------------------------------------------------------------------

test_stats() {
	check "bpfam stats prints the daemon's counters" \
		grep -q '^bytes_written: *[0-9]' <("$BPFAM" stats "$MNT")
	check "stats: the primary role" \
		[ "$(stats_of "$MNT" .role)" = primary ]
	check "stats: at least the 600 MiB copied in were written" \
		[ "$(stats_of "$MNT" .bytes_written)" -ge $((600 * MiB)) ]
	check "stats: write and lookup requests were counted" \
		[ "$(stats_of "$MNT" '.requests | (.write // .WRITE) > 0 and
			(.lookup // .LOOKUP) > 0')" = true ]
	check "stats: the files made so far are counted" \
		[ "$(stats_of "$MNT" .files)" -ge 15 ]
	check "stats: used + free space is the data area" \
		[ $(($(stats_of "$MNT" .bytes_used) + $(stats_of "$MNT" .bytes_free))) \
		-eq "$(jq .data_size <("$BPFAM" fsck --json "$DEV"))" ]
}

# --- a client mount: metadata read-only -------------------------------------

# bpf_warnings: how many "BPF unavailable" lines the daemons logged so far
bpf_warnings() {
	grep -c 'BPF unavailable' "$DL_TMP/bpfamd.log"
}

test_client() {
	local c warned

	c=$(dl_mountpoint client)
	warned=$(bpf_warnings)
	check_err "a second bpfamd with this machine's host id is refused" 1 \
		"host id .* is already mounted .*give each mount its own host id" \
		"$BPFAMD" -f -o role=client "$DEV" "$c"
	if ! dl_start "$c" -o role=client,host-id=c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1; then
		not_ok "a second bpfamd -o role=client with its own host id mounts the device"
		return
	fi
	ok "a second bpfamd -o role=client with its own host id mounts the device"
	check "the client, which cannot own the pins, says BPF is unavailable once" \
		[ $(($(bpf_warnings) - warned)) -eq 1 ]
	check "... naming the daemon that owns them" \
		grep -q 'BPF unavailable (another bpfamd on this host' \
		"$DL_TMP/bpfamd.log"
	check "stats: the client role" [ "$(stats_of "$c" .role)" = client ]
	check "the client reads the primary's 64m file identical" \
		cmp "$SRC/64m" "$c/64m"
	check "the client reads an interleaved file identical" \
		cmp "$SRC/il" "$c/il4m"
	check_errno "client: creating a file: EROFS" EROFS creat "$c/new"
	check_errno "client: mkdir: EROFS" EROFS mkdir "$c/newdir"
	check_errno "client: chmod: EROFS" EROFS chmod "$c/64m" 600
	check_errno "client: sizing an unsized file: EROFS" EROFS \
		truncate "$c/multi/empty" 4096
	check_err "client: bpfam creat says EROFS" 1 EROFS \
		"$BPFAM" creat -s 1M "$c/new2"
	"$BPFAM" creat -s 2M "$MNT/after_client"
	check "client: a file the primary makes later appears within 5 s" \
		wait_for_file "$c/after_client"
	test_client_names "$c"
	check "client: unmounts cleanly" dl_stop "$c"
}

# Names the primary changes, on a client that has them cached.
test_client_names() {
	local c=$1

	check "client: sees the primary's names and links" \
		cmp "$SRC/4k" "$c/names/d/s1" && nlink_is "$c/names/d/s1" 1 &&
		[ "$(readlink "$c/names/sym")" = "victim/../d/s1" ] &&
		[ -p "$c/names/fifo" ]
	check_errno "client: rename: EROFS" EROFS \
		rename "$c/names/fifo" "$c/names/fifo2"
	check_errno "client: link: EROFS" EROFS link "$c/names/d/s1" "$c/l"
	check_errno "client: symlink: EROFS" EROFS symlink x "$c/names/s2"
	check_errno "client: unlink: EROFS" EROFS unlink "$c/names/fifo"
	exec 3<"$c/names/d/s1"
	mv "$MNT/names/d/s1" "$MNT/names/moved"
	ln "$MNT/names/moved" "$MNT/names/linked"
	check "client: a renamed name goes, the new one comes, within 5 s" \
		wait_for "! [ -e '$c/names/d/s1' ] && [ -f '$c/names/moved' ]"
	check "client: ... the link too, and nlink follows" \
		wait_for "[ \"\$(stat -c %h '$c/names/moved')\" = 2 ]"
	rm "$MNT/names/moved" "$MNT/names/linked"
	check "client: unlinked names go within 5 s" \
		wait_for "! [ -e '$c/names/moved' ] && ! [ -e '$c/names/linked' ]"
	check "client: an fd open across rename and unlink still reads" \
		cmp "$SRC/4k" /proc/self/fd/3
	exec 3<&-
}

# wait_for SHELL-CONDITION: true within 5 s.
wait_for() {
	local i

	for ((i = 0; i < 50; i++)); do
		bash -c "$1" && return 0
		sleep 0.1
	done
	return 1
}

wait_for_file() {
	local i

	for ((i = 0; i < 50; i++)); do
		[ -f "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- ENOSPC -----------------------------------------------------------------

test_enospc() {
	local free err

	# Files deleted by the earlier tests wait for the reclaim gate until
	# the kernel forgets them, and an ENOSPC retries after reclaiming:
	# let them go first, so that "free" below is all the space there is.
	echo 2 >/proc/sys/vm/drop_caches
	check "the space of deleted files is reclaimed before the ENOSPC tests" \
		wait_until 10 eval '[ "$(stats_of "$MNT" .bytes_waiting_reclaim)" = 0 ]'
	free=$(stats_of "$MNT" .bytes_free)
	err=$("$BPFAM" creat -s $((free + 2 * MiB)) "$MNT/toobig" 2>&1)
	check "bpfam creat of more than the free space fails with ENOSPC" \
		grep -q "ENOSPC.*while setting size" <<<"$err"
	check "... and says it removed the new file" \
		grep -q "(removed the new file)" <<<"$err"
	check "... which it did" [ ! -e "$MNT/toobig" ]
	check_err "bpfam creat -s 16P: EFBIG, and no half-made file left" 1 \
		"EFBIG.*while setting size 16 PiB \(removed the new file\)" \
		"$BPFAM" creat -s 16P "$MNT/huge"
	check "... none" [ ! -e "$MNT/huge" ]
	free=$(stats_of "$MNT" .bytes_free)
	check "bpfam creat fills the remaining $((free / MiB)) MiB" \
		"$BPFAM" creat -s "$free" "$MNT/fill"
	check "stats: no free space left" [ "$(stats_of "$MNT" .bytes_free)" = 0 ]
	check_err "then a 4 KiB bpfam creat fails with ENOSPC" 1 ENOSPC \
		"$BPFAM" creat -s 4K "$MNT/one_more"
	check_err "and bpfam cp fails naming the file and ENOSPC" 1 \
		"$MNT/cp_more: No space left on device \(ENOSPC\)" \
		"$BPFAM" cp "$SRC/4k" "$MNT/cp_more"
	check "a full filesystem still makes directories" \
		"$BPFAM" mkdir "$MNT/still_works"
}

# --- SIGKILL and restart ----------------------------------------------------

# snapshot FILE: every name, type, size, mode, owner, and content checksum.
snapshot() {
	(cd "$MNT" && find . -printf '%p %y %s %m %n %u:%g\n' | LC_ALL=C sort &&
		find . -type f ! -name fill -size +0 -print0 | LC_ALL=C sort -z |
		xargs -0 md5sum) >"$1"
}

# Group commit: many threads create files (open O_CREAT|O_EXCL, close;
# every 50th also writes 4 KiB: a unit each, on a device other tests use);
# the daemon is SIGKILLed the moment the last close returns, before its
# keeper's next beat.  Every create, write and close that was acknowledged
# is durable: all the files are there after a restart, with their bytes.  A reply sent before its records are sealed
# (lib/group.h) loses the last of them here.
kill_creates() { # DIR THREADS EACH
	python3 - "$@" <<'PY'
import os, sys, threading
d, threads, each = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def work(t):
	for i in range(each):
		fd = os.open(f"{d}/t{t}-{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
		if i % 50 == 0:
			os.write(fd, bytes([t + 1]) * 4096)
		os.close(fd)
errors = []
def guarded(t):
	try:
		work(t)
	except OSError as e:
		errors.append(e)
ts = [threading.Thread(target=guarded, args=(t,)) for t in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
for e in errors[:3]: print(f"# {e}")
sys.exit(1 if errors else 0)
PY
}

# DIR THREADS EACH: every file of kill_creates there, whole.
creates_whole() {
	python3 - "$@" <<'PY'
import os, sys
d, threads, each = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def want(t, i):
	return bytes([t + 1]) * 4096 if i % 50 == 0 else b""
bad = [f"t{t}-{i}" for t in range(threads) for i in range(each)
       if not os.path.exists(f"{d}/t{t}-{i}") or
       open(f"{d}/t{t}-{i}", "rb").read() != want(t, i)]
names = len(os.listdir(d))
print(f"# {len(bad)} files damaged, {names} names of {threads * each}")
sys.exit(1 if bad or names != threads * each else 0)
PY
}

test_kill_creates() {
	mkdir "$MNT/kc"
	check "8 threads create 2400 files (create, close; some write 4 KiB)" \
		kill_creates "$MNT/kc" 8 300
	check "SIGKILL the daemon right after the last close" dl_kill "$MNT"
	check "bpfamd restarts" dl_start "$MNT"
	check "every acknowledged file is there, with its bytes" \
		creates_whole "$MNT/kc" 8 300
	rm -rf "$MNT/kc"
}

test_restart() {
	local pins

	check "snapshot of the namespace and contents" snapshot "$DL_TMP/before"
	check "SIGKILL the daemon; its mount can be dropped" dl_kill "$MNT"
	check "bpfamd restarts on the same device" dl_start "$MNT"
	check "... and publishes no fmap before a lookup ($(fmaps_count) entries)" \
		[ "$(fmaps_count)" = 0 ]
	check "snapshot after the restart" snapshot "$DL_TMP/after"
	check "every file, directory, mode, owner and byte survived" \
		cmp "$DL_TMP/before" "$DL_TMP/after"
	check "the mmap-written file survived" cmp "$DL_TMP/mm.ref" "$MNT/mm"
	check "the mtime set with touch survived" \
		[ "$(stat -c %Y "$MNT/1m1")" = "$T_MTIME" ]
	check "bpftool: after the restart the fmaps map is republished" \
		fmap_matches_bpf "$MNT/512m"
	check "bpfam fsck finds the device clean" quietly "$BPFAM" fsck "$DEV"
	pins=$(stats_of "$MNT" .bpf_maps)
	check "bpfamd unmounts cleanly and exits" dl_stop "$MNT"
	check "the clean unmount unpinned its maps ($pins)" \
		[ -n "$pins" ] && [ "$pins" != null ] && [ ! -e "$pins" ]
	check "bpfam fsck after the clean unmount" quietly "$BPFAM" fsck "$DEV"
}

# have_tools: every tool the suite runs is installed; names what is not.
have_tools() {
	local t missing=()

	for t in jq fio bpftool setpriv fusermount3 "$PY"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] || echo "# missing: ${missing[*]}"
	[ ${#missing[@]} -eq 0 ]
}

main() {
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the daemon tests need root (FUSE mounts, setpriv)"
		return
	fi
	check "jq, fio, bpftool, setpriv, fusermount3, python3 are installed" \
		have_tools
	check "make the test data" make_sources
	check "mkfs a fresh 1 GiB device in /dev/shm" dl_mkfs 1G
	test_refusals
	MNT=$(dl_mountpoint primary)
	if ! dl_start "$MNT"; then
		not_ok "bpfamd mounts the device"
		return
	fi
	ok "bpfamd mounts the device"
	test_busy
	test_published_form
	test_copy_sizes
	test_interleaved
	test_mmap
	test_sizes
	test_errors
	test_long_paths
	test_permissions
	test_times
	test_names
	test_bpf_maps
	test_forget
	test_readdirplus
	test_fio
	test_stats
	test_client
	test_kill_creates
	test_enospc
	test_restart
}

main
tap_done
