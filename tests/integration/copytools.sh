#!/bin/bash
# The usual tools copy a tree into bpfam as they would into any filesystem:
# cp -a, cp -r, tar -c | tar -x, rsync -aHX, dd of= and the shell's > and
# >>.  The source, in a tmpfs, holds files of 0 bytes to 300 MiB of random
# bytes, relative, absolute and dangling symlinks, hard links (across
# directories too), user.* xattrs, a FIFO, set-ID and sticky modes, a
# set-group-ID directory, a file nobody owns and mtimes in the past.  Each
# copy must equal the source in what its tool preserves (copytools.py's
# manifests: content, modes, owners, link counts and hard-link identity,
# symlink targets, xattrs, mtimes), on the mount, again after the daemon is
# remounted, and on a second daemon mounted as a client of the device.
#
# Needs root, rsync, tar, setfattr and about 4 GiB free in /dev/shm.
# usage: copytools.sh [BUILD-DIR]
# COPY_TARGET=tmpfs copies into a second tmpfs instead of bpfam (to check the
# suite itself); the remount and client rounds are then skipped.
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

COPYTOOLS=$HERE/copytools.py
MiB=$((1 << 20))
SIZES=(0 1 4095 4096 $((2 * MiB - 1)) $((2 * MiB + 1)) $((33 * MiB)) $((300 * MiB)))
# A copy that takes longer than this is stuck.
TOOL_SECONDS=120
DEVSIZE=4G
CLIENT_ID=c0c0c0c0-0000-0000-0000-0000000000c0

# What each copy is compared on: what its tool preserves.  tar's default
# format keeps whole seconds; cp -r keeps neither owners, modes (it drops
# the set-ID bits), links, xattrs nor times.
declare -A FIELDS=(
	[cp-a]="mode,owner,content,target,links,xattrs,mtime"
	[cp-r]="content,target"
	[tar]="mode,owner,content,target,links,xattrs,mtime_s"
	[rsync]="mode,owner,content,target,links,xattrs,mtime"
	[dd]=content
	[shell]=content
)
COPIES=(cp-a cp-r tar rsync dd shell)


have_tools() {
	local t missing=()
	for t in rsync tar setfattr getfattr cp dd jq "$PY"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] || echo "# missing: ${missing[*]} (make deps)"
	[ ${#missing[@]} -eq 0 ]
}

# shm_has GIB: /dev/shm has GIB GiB available.
shm_has() {
	local kib
	kib=$(df --output=avail -k /dev/shm | tail -1)
	[ "$kib" -ge $(($1 << 20)) ] || {
		echo "# /dev/shm has $((kib >> 20)) GiB available, needs $1"
		return 1
	}
}

# --- the source tree ---------------------------------------------------------

make_source() {
	local s=$SRC n past='2001-02-03 04:05:06.123456789'

	mkdir -p "$s/sizes" "$s/links" "$s/dirs/a/b/c" "$s/empty" "$s/modes" \
		"$s/sgid" || return 1
	for n in "${SIZES[@]}"; do
		head -c "$n" /dev/urandom >"$s/sizes/s$n" || return 1
	done
	# Symlinks: relative, absolute, dangling, to a directory.
	ln -s ../sizes/s4096 "$s/links/rel" &&
		ln -s /etc/hostname "$s/links/abs" &&
		ln -s no/such/target "$s/links/dangling" &&
		ln -s ../dirs/a "$s/links/todir" || return 1
	# Hard links: three names across directories; a big file's second name.
	echo "linked" >"$s/links/h1" &&
		ln "$s/links/h1" "$s/links/h2" &&
		ln "$s/links/h1" "$s/dirs/a/b/h3" &&
		ln "$s/sizes/s$((33 * MiB))" "$s/links/big" || return 1
	# user.* xattrs on files, a hard-linked inode and a directory.
	setfattr -n user.a -v hello "$s/links/h1" &&
		setfattr -n user.empty "$s/sizes/s0" &&
		setfattr -n user.bin -v 0x00ff00ff01 "$s/sizes/s4096" &&
		setfattr -n user.big -v "0x$(head -c 3000 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
			"$s/sizes/s1" &&
		setfattr -n user.dir -v d "$s/dirs" || return 1
	mkfifo "$s/dirs/fifo" &&
		echo "spaced" >"$s/dirs/with space é" || return 1
	# Modes: set-ID, sticky, read-only, private; a file owned by nobody.
	for n in 600 755 444 4755 2755 6711; do
		echo "mode $n" >"$s/modes/m$n" && chmod "$n" "$s/modes/m$n" || return 1
	done
	mkdir "$s/modes/sticky" "$s/modes/private" &&
		chmod 1777 "$s/modes/sticky" && chmod 700 "$s/modes/private" &&
		echo "nobody's" >"$s/modes/owned" &&
		chown nobody:nogroup "$s/modes/owned" || return 1
	# A set-group-ID directory of group nogroup: what is made in it after
	# takes its group, subdirectories its bit.
	chgrp nogroup "$s/sgid" && chmod 2775 "$s/sgid" &&
		echo "in sgid" >"$s/sgid/f" && mkdir "$s/sgid/sub" || return 1
	# mtimes in the past, with nanoseconds; directories last.
	touch -d "$past" "$s/sizes/s4096" "$s/links/h1" "$s/modes/m600" &&
		touch -h -d "$past" "$s/links/rel" &&
		find "$s" -depth -type d -exec touch -d "$past" {} + || return 1
}

# --- copying -----------------------------------------------------------------

# copied NAME: copy $SRC into $DST/NAME; on failure show the tool's
# first complaints.
copied() {
	local err=$DL_TMP/copy.$1.err
	copy "$1" 2>"$err" && return 0
	echo "# $1 failed; its first messages:"
	head -5 "$err" | sed 's/^/#   /'
	return 1
}

# copy NAME: copy $SRC into $DST/NAME with the tool NAME stands for.
copy() {
	local dst=$DST/$1 n
	case $1 in
	cp-a) timeout "$TOOL_SECONDS" cp -a "$SRC" "$dst" ;;
	cp-r) timeout "$TOOL_SECONDS" cp -r "$SRC" "$dst" ;;
	tar)
		mkdir "$dst" || return 1
		timeout "$TOOL_SECONDS" tar -C "$SRC" --xattrs --xattrs-include='user.*' -cf - . |
			timeout "$TOOL_SECONDS" tar -C "$dst" --xattrs \
				--xattrs-include='user.*' -xf -
		;;
	rsync) timeout "$TOOL_SECONDS" rsync -aHX "$SRC/" "$dst/" ;;
	dd)
		mkdir "$dst" || return 1
		for n in "${SIZES[@]}"; do
			timeout "$TOOL_SECONDS" dd if="$SRC/sizes/s$n" \
				of="$dst/s$n" bs=1M status=none || return 1
		done
		;;
	shell)
		mkdir "$dst" || return 1
		for n in "${SIZES[@]}"; do
			timeout "$TOOL_SECONDS" cat "$SRC/sizes/s$n" >"$dst/s$n" ||
				return 1
			append_in_pieces "$SRC/sizes/s$n" "$dst/a$n" || return 1
		done
		;;
	esac
}

# append_in_pieces SRC DST: DST made by the shell's >>, a piece of SRC at a
# time: 7 MiB + 3 bytes, so that appends straddle 2 MiB units.
append_in_pieces() {
	local size chunk=$((7 * MiB + 3)) i

	: >>"$2" || return 1
	size=$(stat -c %s "$1")
	for ((i = 0; i * chunk < size; i++)); do
		timeout "$TOOL_SECONDS" dd if="$1" bs="$chunk" skip="$i" count=1 \
			iflag=fullblock status=none >>"$2" || return 1
	done
}

# --- comparing ---------------------------------------------------------------

# manifest DIR FIELDS OUT: copytools.py's manifest of DIR into OUT.
manifest() {
	timeout "$TOOL_SECONDS" "$PY" "$COPYTOOLS" manifest "$1" "$2" >"$3"
}

# source_manifest NAME: the manifest a copy NAME must have, made once.
source_manifest() {
	local out=$DL_TMP/src.$1 n

	[ -s "$out" ] && {
		echo "$out"
		return
	}
	case $1 in
	dd) manifest "$SRC/sizes" "${FIELDS[$1]}" "$out" ;;
	shell)
		# s<size> by >, a<size> by >> in pieces: both the source's bytes.
		manifest "$SRC/sizes" "${FIELDS[$1]}" "$DL_TMP/src.sizes"
		{
			echo ". dir"
			for n in "${SIZES[@]}"; do
				grep "^s$n " "$DL_TMP/src.sizes" | sed "s/^s/a/"
				grep "^s$n " "$DL_TMP/src.sizes"
			done
		} | sort >"$out"
		;;
	*) manifest "$SRC" "${FIELDS[$1]}" "$out" ;;
	esac
	echo "$out"
}

# same_tree NAME TOP: TOP/NAME's manifest is the source's for NAME; else
# print the first differences.
same_tree() {
	local want got=$DL_TMP/got.$1

	want=$(source_manifest "$1")
	manifest "$2/$1" "${FIELDS[$1]}" "$got" || {
		echo "# manifest of $2/$1 failed"
		return 1
	}
	if ! diff -q "$want" "$got" >/dev/null; then
		echo "# $2/$1 differs from the source; first lines of the diff:"
		diff "$want" "$got" | grep '^[<>]' | head -12 |
			sed -e 's/^</#   source:/' -e 's/^>/#   copy:  /'
		return 1
	fi
}

# compare_all TOP WHERE: every copy under TOP equals the source.
compare_all() {
	local c
	for c in "${COPIES[@]}"; do
		check "$c: the copy equals the source $2" same_tree "$c" "$1"
	done
}

# no_bpfam_names TOP: no entry under TOP lists a user.bpfam.* xattr.
no_bpfam_names() {
	! getfattr -R -h -d -m '^user\.bpfam\.' "$1" 2>/dev/null | grep -q .
}

main() {
	local c m

	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the copy tool tests need root (mounts, chown)"
		return
	fi
	check "rsync, tar, setfattr, getfattr, cp, dd, jq, python3 are installed" \
		have_tools
	dl_init "${1:-build}"
		check "/dev/shm has 5 GiB free (a 4 GiB device, the source)" shm_has 5

	SRC=$(dl_tmpfs src 1g) || {
		not_ok "mount a tmpfs for the source"
		return
	}
	SRC=$SRC/tree
	check "make the source tree (0 B .. 300 MiB, links, xattrs, modes)" \
		make_source
	if [ "${COPY_TARGET:-}" = tmpfs ]; then
		DST=$(dl_tmpfs dst 3g) || return
	else
		DST=$(dl_mountpoint bpfam)
		# Sparse in /dev/shm: only what the copies write takes memory.
		if ! { dl_mkfs "$DEVSIZE" && dl_start "$DST"; }; then
			not_ok "bpfamd mounts a fresh $DEVSIZE device"
			return
		fi
		ok "bpfamd mounts a fresh $DEVSIZE device"
	fi
	for c in "${COPIES[@]}"; do
		check "$c: copies the tree into the mount" copied "$c"
	done
	compare_all "$DST" "on the mount"
	check "no copied entry lists a user.bpfam.* xattr" no_bpfam_names "$DST"
	[ "${COPY_TARGET:-}" = tmpfs ] && return

	if dl_stop "$DST" && dl_start "$DST"; then
		ok "the daemon unmounts and mounts again"
		compare_all "$DST" "after a remount"
	else
		not_ok "the daemon unmounts and mounts again"
	fi
	m=$(dl_mountpoint client)
	if dl_start "$m" -o role=client,host-id=$CLIENT_ID; then
		ok "a second daemon mounts the device as a client"
		compare_all "$m" "on the client"
		dl_stop "$m"
	else
		not_ok "a second daemon mounts the device as a client"
	fi
}

main "$@"
tap_done
