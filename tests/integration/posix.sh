#!/bin/bash
# POSIX namespace and attribute rules, differentially: tests/integration/
# posix.py runs every rule on tmpfs and on a fresh bpfam (this kernel:
# fallback mode), as root and as nobody, and each rule's observations must
# be the same on both.  A few rules differ from tmpfs by design; they are
# listed below with the reason, and bpfam must give the documented result.
# Then, on bpfam only: a file grown to 1 GiB by 4 KiB appends keeps few
# extents, and bytes cut off by a shrink, or freed by a delete and reclaimed,
# read as zeros when a file grows over them.
#
# Needs root.  usage: posix.sh [BUILD-DIR]
# POSIX_OTHER=tmpfs compares tmpfs with a second tmpfs instead of bpfam (to
# check the suite itself); the bpfam-only tests are then skipped.
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

RUNNER=$HERE/posix.py
MiB=$((1 << 20))
# posix.py has this many rules or more; fewer means rules were lost.
MIN_RULES=73
# The longest one run of the runner may take (a rule alone gives up after
# 10 s; a call that no signal interrupts needs this).
RUN_SECONDS=60
# What tmpfs is compared with: bpfam, or tmpfs2 for POSIX_OTHER=tmpfs.
OTHER=bpfam
[ "${POSIX_OTHER:-}" = tmpfs ] && OTHER=tmpfs2

# --- rules that differ from tmpfs by design ----------------------------------
# by_design RULE OBSERVATION REASON: on bpfam, RULE must observe OBSERVATION
# (as root and as nobody), which differs from tmpfs's for REASON.  Keep this
# list short; docs/sharing.md lists the same differences.
declare -A DESIGN_OBS=() DESIGN_WHY=()
by_design() {
	DESIGN_OBS[$1]=$2
	DESIGN_WHY[$1]=$3
}
by_design read-atime "atime_moved=False" \
	"atime is not kept: bpfam mounts noatime"
by_design truncate-beyond-device "truncate=EFBIG pwrite=EFBIG size_is_1=True" \
	"every byte of a bpfam file is allocated: no sparse file larger than the device"
by_design xattr-bpfam-set "set=EPERM remove=EPERM" \
	"user.bpfam.fmap is bpfam's control interface, not a user attribute"
by_design statvfs-counts "fewer=True back=False" \
	"free inodes are the log room left, and the log is append-only: a delete gives none back"

# --- set-up ------------------------------------------------------------------


# run_rules TOP LABEL: the runner as root in TOP/root and as nobody in
# TOP/nobody, each directory mode 1777 as /tmp; outputs in $DL_TMP/LABEL.*.
run_rules() {
	local top=$1 label=$2 who

	for who in root nobody; do
		mkdir "$top/$who" && chmod 1777 "$top/$who" || return 1
	done
	timeout -k 5 "$RUN_SECONDS" "$PY" "$RUNNER" run "$top/root" \
		>"$DL_TMP/$label.root" 2>"$DL_TMP/$label.root.err"
	echo "# $label as root: runner exit $?"
	timeout -k 5 "$RUN_SECONDS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups -- "$PY" "$RUNNER" run "$top/nobody" \
		>"$DL_TMP/$label.nobody" 2>"$DL_TMP/$label.nobody.err"
	echo "# $label as nobody: runner exit $?"
}

# observed LABEL WHO RULE: the observation the runner printed for RULE.
observed() {
	local line
	if line=$(grep -m1 "^$3: " "$DL_TMP/$1.$2"); then
		echo "${line#"$3: "}"
	else
		echo "<missing>"
	fi
}

# --- the sanity of the comparison: it cannot pass by testing nothing ----------

test_sanity() {
	local n label who r

	n=$(wc -l <"$DL_TMP/rules")
	check "posix.py has at least $MIN_RULES rules ($n)" [ "$n" -ge "$MIN_RULES" ]
	for label in tmpfs "$OTHER"; do
		for who in root nobody; do
			local missing=()
			while read -r r; do
				grep -q "^$r: " "$DL_TMP/$label.$who" || missing+=("$r")
			done <"$DL_TMP/rules"
			if [ ${#missing[@]} -eq 0 ]; then
				ok "the runner printed all $n rules on $label as $who"
			else
				not_ok "the runner printed all $n rules on $label as $who (missing: ${missing[*]})"
				sed 's/^/#   stderr: /' "$DL_TMP/$label.$who.err" | tail -5
			fi
		done
	done
	for who in root nobody; do
		check "no rule failed or timed out on tmpfs as $who" \
			none_failed "$DL_TMP/tmpfs.$who"
	done
	# What tmpfs must say, so that a broken runner cannot compare two
	# empty or identical-but-wrong outputs.
	tmpfs_says rename-subtree "into_child=EINVAL"
	tmpfs_says rename-dirs "onto_nonempty=ENOTEMPTY"
	tmpfs_says rename-noreplace "exists=EEXIST"
	tmpfs_says rename-exchange "exchange=OK a=x5000"
	tmpfs_says link-errors "to_dir=EPERM exists=EEXIST"
	tmpfs_says symlink-targets "t4095=same,size=4095 t4096=ENAMETOOLONG"
	tmpfs_says truncate-down-up "small=x1000,z5241880#"
	tmpfs_says dir-nlink "empty=2 three_subdirs=5"
	tmpfs_says xattr-flags "create_exists=EEXIST replace_missing=ENODATA"
	tmpfs_says name-lengths "255=OK 256=ENAMETOOLONG"
	tmpfs_says suid-cleared-by-write "other_write=reg:0777" root
	tmpfs_says suid-cleared-by-write "own_write=reg:0777" nobody
	tmpfs_says mknod-devices "chr=OK blk=OK" root
	tmpfs_says mknod-devices "chr=EPERM" nobody
}

# none_failed OUTPUT: no rule of the runner's OUTPUT raised or timed out.
none_failed() {
	! grep -E '^[a-z0-9-]+: (FAILED|TIMEOUT)' "$1"
}

# tmpfs_says RULE TEXT [WHO]: tmpfs's observation of RULE (as WHO, default
# root) holds TEXT.
tmpfs_says() {
	local got
	got=$(observed tmpfs "${3:-root}" "$1")
	if [[ $got == *"$2"* ]]; then
		ok "sanity: on tmpfs as ${3:-root}, $1 gives $2"
	else
		not_ok "sanity: on tmpfs as ${3:-root}, $1 gives $2 (got: $got)"
	fi
}

# --- one check per rule --------------------------------------------------------

# compare_rule RULE: RULE's observations on $OTHER are tmpfs's (or, for a
# rule that differs by design, the documented ones), as root and as nobody.
compare_rule() {
	local r=$1 who t o want bad=()

	for who in root nobody; do
		t=$(observed tmpfs "$who" "$r")
		o=$(observed "$OTHER" "$who" "$r")
		if [ "$OTHER" = bpfam ] && [ -n "${DESIGN_OBS[$r]:-}" ]; then
			want=${DESIGN_OBS[$r]}
		else
			want=$t
		fi
		[ "$o" = "$want" ] || bad+=("$who")
	done
	if [ ${#bad[@]} -eq 0 ]; then
		if [ "$OTHER" = bpfam ] && [ -n "${DESIGN_OBS[$r]:-}" ]; then
			ok "$r: bpfam gives its documented result (by design: ${DESIGN_WHY[$r]})"
		else
			ok "$r: $OTHER as tmpfs"
		fi
		return
	fi
	if [ "$OTHER" = bpfam ] && [ -n "${DESIGN_OBS[$r]:-}" ]; then
		not_ok "$r: bpfam differs from its documented result as ${bad[*]} (by design: ${DESIGN_WHY[$r]})"
	else
		not_ok "$r: $OTHER differs from tmpfs as ${bad[*]}"
	fi
	for who in "${bad[@]}"; do
		echo "#   $who tmpfs: $(observed tmpfs "$who" "$r")"
		[ -n "${DESIGN_OBS[$r]:-}" ] && [ "$OTHER" = bpfam ] &&
			echo "#   $who documented: ${DESIGN_OBS[$r]}"
		echo "#   $who $OTHER: $(observed "$OTHER" "$who" "$r")"
	done
}

# --- on bpfam alone: growth, extents, zeros --------------------------------------

# no_bpfam_names PATH: listxattr of PATH shows no user.bpfam.* name (the
# runner's rules look at files and directories; this is the mount's root).
no_bpfam_names() {
	! "$PY" -c 'import os, sys; print(*os.listxattr(sys.argv[1]))' "$1" |
		grep -q 'user\.bpfam\.'
}

# zeros_from FILE OFFSET: FILE holds only zero bytes from OFFSET to its end,
# and is not empty there.
zeros_from() {
	local n
	n=$(($(stat -c %s "$1") - $2))
	[ "$n" -gt 0 ] && cmp -s <(tail -c +$(($2 + 1)) "$1") <(head -c "$n" /dev/zero)
}

# fill FILE SIZE: FILE made of SIZE non-zero bytes (O_CREAT, ftruncate, write,
# so that it also works where a size is set once).
fill() {
	"$PY" -c '
import os, sys
path, size = sys.argv[1], int(sys.argv[2])
unit = bytes(range(1, 256)) * 4112  # about 1 MiB, no zero byte
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.ftruncate(fd, size)
off = 0
while off < size:
    off += os.pwrite(fd, unit[:size - off], off)
os.close(fd)
' "$1" "$2"
}

# reclaimed MNT: wait up to 5 s until nothing of MNT waits for reclaim.
reclaimed() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(stats_of "$1" .bytes_waiting_reclaim)" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# delete FILE: rm FILE of $SMALL, and wait until its space is reclaimed.
delete() {
	rm "$1" && reclaimed "$SMALL"
}

test_appends_extents() {
	local f=$MNT/grown nr

	check "a file grows to 1 GiB by 4 KiB appends (dd oflag=append)" \
		timeout 60 dd if=/dev/zero of="$f" bs=4k count=262144 \
		oflag=append conv=notrunc status=none
	check "... its size is 1 GiB" [ "$(stat -c %s "$f" 2>/dev/null)" = $((1024 * MiB)) ]
	nr=$("$BPFAM" getmap --json "$f" 2>/dev/null | jq -r .nr)
	check "... and its fmap has at most 16 extents (${nr:-none})" \
		[ "${nr:-999}" -le 16 ]
	rm -f "$f"
}

test_shrink_zeros() {
	local f=$MNT/shrunk

	check "a 64 MiB file of a pattern" fill "$f" $((64 * MiB))
	check "... truncated to 1 MiB + 1" truncate -s $((MiB + 1)) "$f"
	check "... and back up to 64 MiB" truncate -s $((64 * MiB)) "$f"
	check "... reads zeros past the old end, never the pattern" \
		zeros_from "$f" $((MiB + 1))
	check "... and a hole written past its end reads zeros" \
		sh -c "printf end | dd of='$f' bs=1 seek=$((80 * MiB)) conv=notrunc status=none"
	check "... zeros between the old end and what was written" \
		cmp -s <(tail -c +$((64 * MiB + 1)) "$f" | head -c $((16 * MiB))) \
		<(head -c $((16 * MiB)) /dev/zero)
	rm -f "$f"
}

# Bytes of a deleted file, once reclaimed, never show in another file that
# grows over their space.  A small device, so that growing must reuse them.
test_reclaimed_zeros() {
	local free

	DEV=$DL_TMP/small
	if ! { dl_mkfs 64M && dl_start "$SMALL"; }; then
		not_ok "a 64 MiB bpfam mounts"
		return
	fi
	# A grows to the free space: all but at most its own first unit of it
	# was B's.
	printf a >"$SMALL/a"
	free=$(stats_of "$SMALL" .bytes_free)
	check "a file B fills the free space with a pattern ($free bytes)" \
		fill "$SMALL/b" "$free"
	check "... B is deleted and its space reclaimed" delete "$SMALL/b"
	check "a file A grows by truncate over B's space" \
		truncate -s "$free" "$SMALL/a"
	check "... A reads zeros there, never B's pattern" zeros_from "$SMALL/a" 1
	rm -f "$SMALL/a"
	reclaimed "$SMALL"
	printf c >"$SMALL/c"
	free=$(stats_of "$SMALL" .bytes_free)
	check "a file B2 fills the free space again ($free bytes)" \
		fill "$SMALL/b2" "$free"
	check "... B2 is deleted and its space reclaimed" delete "$SMALL/b2"
	check "a file C grows by a write past its end over B2's space" \
		sh -c "printf z | dd of='$SMALL/c' bs=1 seek=$((free - 1)) conv=notrunc status=none"
	check "... C's hole reads zeros, never B2's pattern" \
		cmp -s <(tail -c +2 "$SMALL/c" | head -c $((free - 2))) \
		<(head -c $((free - 2)) /dev/zero)
	dl_stop "$SMALL"
}

# --- main ------------------------------------------------------------------------

main() {
	local r

	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the POSIX tests need root (mounts, setpriv)"
		return
	fi
	check "python3, jq, setpriv, timeout are installed" \
		quietly command -v "$PY" jq setpriv timeout
	dl_init "${1:-build}"
		"$PY" "$RUNNER" list >"$DL_TMP/rules"

	TMPFS=$(dl_tmpfs tmpfs 1g) || {
		not_ok "mount a tmpfs"
		return
	}
	if [ "$OTHER" = tmpfs2 ]; then
		MNT=$(dl_tmpfs tmpfs2 1g) || {
			not_ok "mount a second tmpfs"
			return
		}
	else
		MNT=$(dl_mountpoint bpfam)
		SMALL=$(dl_mountpoint small)
		# Sparse in /dev/shm: only what the tests write takes memory.
		if ! { dl_mkfs 3G && dl_start "$MNT"; }; then
			not_ok "bpfamd mounts a fresh 3 GiB device"
			return
		fi
		ok "bpfamd mounts a fresh 3 GiB device"
	fi
	run_rules "$TMPFS" tmpfs
	run_rules "$MNT" "$OTHER"
	test_sanity
	while read -r r; do
		compare_rule "$r"
	done <"$DL_TMP/rules"
	if [ "$OTHER" = bpfam ]; then
		check "the daemon still serves its mount after the rules" \
			quietly stat "$MNT/root"
		check "the mount's root lists no user.bpfam.* xattr" \
			no_bpfam_names "$MNT"
		test_shrink_zeros
		test_appends_extents
		test_reclaimed_zeros
	fi
}

main "$@"
tap_done
