#!/bin/bash
# Two hosts sharing one device, on this kernel (fallback mode): a primary
# bpfamd and a client bpfamd with their own host ids.  Delete and gated
# reclaim (a file held on the client keeps its bytes and its space until
# closed; ENOSPC rather than reuse), the client following deletes, a client
# that meets a record it cannot play, -o recover, eviction of a killed
# host, and the cross-host corruption that mkfs --force used to allow.
# Needs root.  usage: sharing.sh [BUILD-DIR]
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

dl_init "${1:-build}"
LOGPOKE=$(dirname "$BPFAM")/tests/logpoke
SHARING=$HERE/sharing.py
MiB=$((1 << 20))
ID_A=aaaaaaaa-0000-0000-0000-00000000000a
ID_B=bbbbbbbb-0000-0000-0000-00000000000b

# silently CMD...: CMD without its output (check prints its verdict there).
silently() {
	"$@" >/dev/null 2>&1
}

stat_is() {
	[ "$(stats_of "$1" "$2")" = "$3" ]
}

# start_pair SIZE: a fresh device, A the primary (id ID_A, named primary by
# mkfs) and B a client with its own id.
start_pair() {
	rm -f "$DEV"
	truncate -s "$1" "$DEV" &&
		"$BPFAM" mkfs --host-id "$ID_A" "$DEV" >/dev/null &&
		dl_start "$A" -o host-id=$ID_A &&
		dl_start "$B" -o host-id=$ID_B
}

stop_pair() {
	dl_mounted "$A" && dl_stop "$A"
	dl_mounted "$B" && dl_stop "$B"
}

A=$(dl_mountpoint a)
B=$(dl_mountpoint b)

# --- 1,000 files, half deleted while the client reads them ------------------

test_delete_while_reading() {
	local names=$DL_TMP/held go=$DL_TMP/go done=$DL_TMP/done \
		ready=$DL_TMP/ready pid i waiting

	if ! start_pair 3G; then
		not_ok "a primary and a client mount one device"
		return
	fi
	ok "a primary and a client mount one device"
	check "the primary makes 1,000 files of 4 KiB, each its own bytes" \
		"$PY" "$SHARING" make "$A" 0 1000 4096
	check "the client sees all 1,000 at once (it follows on readdir)" \
		[ "$(find "$B" -type f | wc -l)" = 1000 ]
	# The client holds the even files; the primary deletes f0..f499.
	for ((i = 0; i < 1000; i += 2)); do echo "f$i"; done >"$names"
	"$PY" "$SHARING" hold "$B" "$names" "$ready" "$go" "$done" &
	pid=$!
	wait_until 30 test -e "$ready"
	for ((i = 0; i < 500; i++)); do rm "$A/f$i" || break; done
	check "the primary deletes 500 of them while the client reads" \
		[ "$i" = 500 ]
	check "deleted names are gone on the primary" \
		[ "$(find "$A" -type f | wc -l)" = 500 ]
	check "... and, within a heartbeat, on the client" \
		wait_until 5 test ! -e "$B/f499"
	# The client holds f0, the first delete: its horizon, one number,
	# holds back every later delete too (docs/sharing.md).
	check "all 500 deleted files wait for reclaim while the client holds the first" \
		wait_until 5 stat_is "$A" .bytes_waiting_reclaim $((500 * 2 * MiB))
	check "... and stay waiting (no reclaim passes a held file)" \
		sh -c "sleep 0.5; [ \"\$($BPFAM stats --json $A | jq .bytes_reclaimed)\" = 0 ]"
	check "the primary reuses only what nobody holds: 500 new files" \
		"$PY" "$SHARING" make "$A" 1000 500 4096
	touch "$go"
	wait "$pid"
	check "every byte the client read came from the file it opened" \
		grep -qx "ok 500" "$done"
	check "after the client closes them, their space is reclaimed" \
		wait_until 5 stat_is "$A" .bytes_waiting_reclaim 0
	check_errno "the client cannot reach a deleted file: ENOENT" ENOENT \
		open "$B/f0"
	check "the files that stayed are intact on the client" \
		"$PY" "$SHARING" check "$B" f500 f777 f999 f1000 f1499
	stop_pair
}

# --- a nearly full device: ENOSPC rather than reuse ------------------------

test_full_device() {
	local free

	if ! start_pair 64M; then
		not_ok "a 64 MiB device mounts on two hosts"
		return
	fi
	free=$(stats_of "$A" .bytes_free)
	"$BPFAM" creat -s $((free - 2 * MiB)) "$A/big" >/dev/null
	"$PY" "$SHARING" make "$A" 0 1 $((2 * MiB))
	check "the device is full" stat_is "$A" .bytes_free 0
	exec 7<"$B/f0"
	rm "$A/f0"
	check_err "while the client holds a deleted file, its space is not reused: ENOSPC" \
		1 ENOSPC "$BPFAM" creat -s 2M "$A/g"
	check "the client still reads the deleted file's own bytes" \
		"$PY" "$SHARING" checkfd 7 f0
	exec 7<&-
	check "once it closes, the primary's next file gets the space" \
		wait_until 5 "$BPFAM" creat -s 2M "$A/g"
	stop_pair
}

# --- a file that grows and shrinks while the client reads it --------------

size_is() {
	[ "$(stat -c %s "$1")" = "$2" ]
}

test_sizes_follow() {
	local src=$DL_TMP/grow.src stop=$DL_TMP/grow.stop pid

	if ! start_pair 256M; then
		not_ok "a 256 MiB device mounts on two hosts"
		return
	fi
	head -c $((3 * MiB + 5)) /dev/urandom >"$src"
	# No close while the client looks (a close would log the size at
	# once): the primary's heartbeat must.
	"$PY" "$SHARING" append "$A/grow" "$src" "$stop" &
	pid=$!
	check "the client sees a file the primary still holds open grow" \
		wait_until 5 size_is "$B/grow" $((3 * MiB + 5))
	check "... with the bytes it was given" cmp "$src" "$B/grow"
	touch "$stop"
	wait "$pid"
	truncate -s 1000 "$A/grow"
	check "the client sees it shrink" wait_until 5 size_is "$B/grow" 1000
	check "... keeping the bytes below the new end" \
		cmp -n 1000 "$src" "$B/grow"
	truncate -s $((2 * MiB)) "$A/grow"
	check "grown again, the client reads zeros past the old end" \
		wait_until 5 eval '[ "$(tail -c +1001 "$B/grow" | tr -d "\\0" | wc -c)" = 0 ] &&
			size_is "$B/grow" $((2 * MiB))'
	check_errno "the client cannot truncate: EROFS" EROFS \
		truncate "$B/grow" 10
	check_errno "nor append: EROFS" EROFS pwrite "$B/grow" $((2 * MiB)) 1
	check_errno "but writes inside the size" OK pwrite "$B/grow" 0 10
	check "what the shrink dropped is reclaimed once both let go" \
		wait_until 10 stat_is "$A" .bytes_waiting_reclaim 0
	stop_pair
}

# --- following: a record the client cannot play ----------------------------

test_stuck_and_recover() {
	local seq

	if ! start_pair 256M; then
		not_ok "two hosts mount a fresh device"
		return
	fi
	"$PY" "$SHARING" make "$A" 0 3 4096
	wait_until 5 test -e "$B/f2"
	dl_stop "$A"
	seq=$("$LOGPOKE" "$DEV")
	check "a record that does not play is appended (record $seq)" \
		[ -n "$seq" ]
	check "the client stops following at it, and says so in stats" \
		wait_until 5 stat_is "$B" .follow.stopped_at "$seq"
	check "... with the reason" \
		stats_of "$B" .follow.reason | grep -q "not a linked file"
	check "... once in its log" \
		[ "$(grep -c "stopped following the log at record $seq" \
			"$DL_TMP/bpfamd.log")" = 1 ]
	check "the client still serves what it had" \
		"$PY" "$SHARING" check "$B" f0 f1 f2
	check_err "a new mount refuses the filesystem, naming the record" 1 \
		"log record $seq .*-o recover" "$BPFAMD" -f -o host-id=$ID_A "$DEV" "$A"
	if dl_start "$A" -o recover,host-id=$ID_A; then
		ok "-o recover mounts what precedes the bad record"
		check "... its files intact" "$PY" "$SHARING" check "$A" f0 f1 f2
		check "... read-only: stats say stopped at $seq" \
			stat_is "$A" .follow.stopped_at "$seq"
		check_errno "... a write gives EROFS" EROFS pwrite "$A/f0" 0 1
		check_errno "... a create gives EROFS" EROFS creat "$A/new"
		dl_stop "$A"
	else
		not_ok "-o recover mounts what precedes the bad record"
	fi
	dl_stop "$B"
}

# --- mkfs --force with hosts mounted: the cross-host corruption ------------

test_mkfs_fences() {
	local c sum

	if ! start_pair 256M; then
		not_ok "two hosts mount a fresh device"
		return
	fi
	"$PY" "$SHARING" make "$A" 0 1 $((2 * MiB))
	wait_until 5 test -e "$B/f0"
	exec 8<>"$B/f0"
	check_err "plain mkfs refuses a device hosts have mounted" 1 \
		"holds an existing bpfam" "$BPFAM" mkfs "$DEV"
	check "mkfs --force fences both hosts, waits for them, formats" \
		silently "$BPFAM" mkfs --force --host-id "$ID_A" "$DEV"
	check "the client says it is fenced, in stats" \
		sh -c "$BPFAM stats --json $B | jq -e '.fenced | test(\"fenced|superblock\")' >/dev/null"
	check "... once in its log" \
		[ "$(grep -c "no longer touching the device" "$DL_TMP/bpfamd.log")" = 2 ]
	c=$(dl_mountpoint c)
	# (without fd 8: the daemon would keep the client's file open)
	if ! dl_start "$c" -o host-id=$ID_A 8>&-; then
		not_ok "the new filesystem mounts on its primary"
		return
	fi
	"$PY" "$SHARING" make "$c" 100 4 $((2 * MiB))
	# Past the superblock and the host slots, which heartbeats rewrite.
	sum=$(tail -c +$((2 * MiB + 1)) "$DEV" | md5sum)
	check "a write through the client's old file is refused: EIO" \
		[ "$("$PY" "$SHARING" errno writefd 8)" = EIO ]
	check "... and the new filesystem is byte-identical" \
		[ "$(tail -c +$((2 * MiB + 1)) "$DEV" | md5sum)" = "$sum" ]
	check "a read through the client's old mount: EIO" \
		[ "$("$PY" "$SHARING" errno read "$B/f0")" = EIO ]
	exec 8>&-
	check "the new files are intact" \
		"$PY" "$SHARING" check "$c" f100 f101 f102 f103
	check "the fenced client unmounts with a plain umount" dl_stop "$B"
	check "the fenced primary unmounts with a plain umount" dl_stop "$A"
	dl_stop "$c"
}

# --- a killed client holds space until it is evicted ---------------------

test_evict_dead_client() {
	if ! start_pair 256M; then
		not_ok "two hosts mount a fresh device"
		return
	fi
	"$PY" "$SHARING" make "$A" 0 1 $((2 * MiB))
	wait_until 5 test -e "$B/f0"
	exec 7<"$B/f0"
	rm "$A/f0"
	check "the client holds the deleted file: its space waits" \
		wait_until 5 stat_is "$A" .bytes_waiting_reclaim $((2 * MiB))
	# (the daemon does not inherit fd 7: it was started before)
	dl_kill "$B"
	exec 7<&-
	check "a killed client's slot still holds it" \
		sh -c "sleep 1; [ \"\$($BPFAM stats --json $A | jq .bytes_waiting_reclaim)\" = $((2 * MiB)) ]"
	check "bpfam hosts shows the client dead" \
		sh -c "$BPFAM hosts --json $DEV | jq -e '.[] | select(.host_id == \"$ID_B\") | .state == \"dead\"' >/dev/null"
	check "bpfam host evict removes it" silently "$BPFAM" host evict "$ID_B" "$DEV"
	check "and its horizon stops holding the space: reclaimed" \
		wait_until 5 stat_is "$A" .bytes_waiting_reclaim 0
	dl_stop "$A"
}

check "jq, python3, setpriv are installed" \
	silently command -v jq python3 setpriv
test_delete_while_reading
test_full_device
test_sizes_follow
test_stuck_and_recover
test_evict_dead_client
test_mkfs_fences
tap_done
