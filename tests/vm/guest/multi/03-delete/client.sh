#!/bin/bash
# Delete while another host holds the file, guest B (client, its own host
# id, fast mode).  B opens and maps A's file F and a reader keeps checking
# it (through the mapping and with pread() on the fd) while A deletes it:
# B's reads still see F's bytes, while its namespace no longer has F.  Then
# B lets go; A reuses the space for G, and B can reach F by no path.  Last,
# A's mkfs --force fences B: I/O fails with EIO, mappings are gone, stats
# say fenced, and a plain umount works.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
ID_B=b0000000000000000000000000000003
F=$MNT/victim
G=$MNT/next
SEED=71
SEED_G=72
MB=32
SIZE=$((MB << 20))
STOP=/tmp/watch.stop

# ext_of FILE: its extents as one JSON line (device, offset, length)
ext_of() {
	bpfam getmap --json "$1" 2>/dev/null |
		jq -c '[(.extents // .strips)[] | {dev, dev_offset, length}]'
}

# ls_shows WANT UNWANTED: ls -a of the mount lists WANT and not UNWANTED
ls_shows() {
	local out
	out=$(ls -a $MNT 2>&1)
	echo "# ls -a $MNT: $(tr '\n' ' ' <<<"$out")"
	grep -qx "$1" <<<"$out" && ! grep -qx "$2" <<<"$out"
}

# passes: how many passes the reader has reported
passes() {
	grep -c '^pass ' /tmp/watch.out 2>/dev/null
}

# wait_passes N: until the reader has reported N passes (60 s at most)
wait_passes() {
	for _ in $(seq 600); do
		[ "$(passes)" -ge "$1" ] && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# all_passes_ok: every pass the reader reported read F's pattern both ways
all_passes_ok() {
	! grep '^pass ' /tmp/watch.out | grep -qv 'mmap ok pread ok$'
}

# enoent PATH: opening PATH by name fails with ENOENT
enoent() {
	local out
	out=$(cat "$1" 2>&1 >/dev/null) && return 1
	echo "# cat $1: $out"
	[[ $out == *"No such file or directory"* ]]
}

# fmap_key INO: the fmaps map key of node INO as bpftool hex bytes
fmap_key() {
	local i
	for i in 0 1 2 3 4 5 6 7; do printf '%02x ' $((($1 >> (8 * i)) & 255)); done
}

# published INO: the pinned fmaps map has an entry for node INO
published() {
	# shellcheck disable=SC2046
	bpftool map lookup pinned "$FM" key hex $(fmap_key "$1") >/dev/null 2>&1
}

start=$(date +%s)
have=0
need bpfam bpfamd fastio jq bpftool && have=1
check "B: /dev/dax0.0 came up from the info block A wrote" test -c $DEV
vm_barrier "03-delete F written" || not_ok "B: guest A reached 'F written'"
holding=0
WATCH_PID=
if [ "$have" = 1 ]; then
	if mount_bpfam $DEV $MNT -o mode=fast,host-id=$ID_B,role=client; then
		ok "B: bpfamd -o mode=fast,host-id=$ID_B,role=client mounts A's file system"
		s=$(stats $MNT)
		check "B: it is a client, host $(sv "$s" .host.host_id) in slot $(sv "$s" .host.slot)" \
			test "$(sv "$s" .role)" = client -a "$(sv "$s" .host.host_id | tr -d -)" = $ID_B
		FM=$(maps_of $MNT)/fmaps
		if check_fast "B" $MNT &&
			check "B: A's F is there, $MB MiB" test "$(stat -c %s $F 2>/dev/null)" = $SIZE; then
			fino=$(node_of $F)
			fext=$(ext_of $F)
			echo "# F: node $fino, $fext"
			rm -f $STOP
			fastio watch $F $SEED $STOP >/tmp/watch.out 2>/tmp/watch.err &
			WATCH_PID=$!
			if wait_passes 1 && all_passes_ok; then
				ok "B: a reader maps F, opens it and reads A's pattern both ways ($(head -1 /tmp/watch.out))"
				holding=1
			else
				not_ok "B: a reader maps F, opens it and reads A's pattern both ways"
				show_log /tmp/watch.out
				show_log /tmp/watch.err
			fi
			check "B: F (node $fino) is published in the pinned fmaps" published "$fino"
			s0=$(stats $MNT)
		fi
	else
		not_ok "B: bpfamd -o mode=fast,host-id=$ID_B,role=client mounts A's file system"
	fi
fi
vm_barrier "03-delete B holds F" || not_ok "B: guest A reached 'B holds F'"
vm_barrier "03-delete F deleted" || not_ok "B: guest A reached 'F deleted'"
if [ "$holding" = 1 ]; then
	# readdir plays the log at once: the delete is played after this
	check "B: ls no longer lists F" ls_shows fill victim
	check "B: opening F by name gives ENOENT" enoent $F
	# the reader goes on: two whole passes after the delete was played
	n=$(passes)
	if wait_passes $((n + 2)) && all_passes_ok; then
		ok "B: the reader still reads F's pattern through its mapping and with pread() ($(tail -1 /tmp/watch.out))"
	else
		not_ok "B: the reader still reads F's pattern through its mapping and with pread()"
		tail -3 /tmp/watch.out | sed 's/^/#   /'
		show_log /tmp/watch.err
	fi
	check "B: F (node $fino) is still published: B holds it" published "$fino"
	s1=$(stats $MNT)
	check_no_upcalls "B: the reader's passes over the deleted F" "$s0" "$s1"
	check_kernel_moved "B: the reader's passes over the deleted F" "$s0" "$s1" read_bytes $((2 * SIZE))
	echo "# B: host $(jq -c .host <<<"$s1"), deleted_waiting $(sv "$s1" .deleted_waiting)"
fi
vm_barrier "03-delete B saw the delete" || not_ok "B: guest A reached 'B saw the delete'"
vm_barrier "03-delete A still refused" || not_ok "B: guest A reached 'A still refused'"
if [ -n "$WATCH_PID" ]; then
	touch $STOP
	wait "$WATCH_PID"
	rc=$?
	check "B: the reader unmapped and closed F, every pass right ($(tail -1 /tmp/watch.out), exit $rc)" \
		test "$rc" = 0
	[ "$rc" = 0 ] || show_log /tmp/watch.err
fi
vm_barrier "03-delete B let go" || not_ok "B: guest A reached 'B let go'"
vm_barrier "03-delete G made" || not_ok "B: guest A reached 'G made'"
mapped=0
if [ "$holding" = 1 ]; then
	check "B: ls lists A's new G and not F" ls_shows next victim
	check "B: opening F by name still gives ENOENT" enoent $F
	gino=$(node_of $G)
	gext=$(ext_of $G)
	check "B: G (node $gino) is in F's old device range ($gext)" \
		test -n "$gext" -a "$gext" = "$fext"
	check "B: G (node $gino) is published in the pinned fmaps" published "$gino"
	check_fails "B: F's old node $fino is gone from the pinned fmaps" published "$fino"
	check_cmd "B: G reads A's second pattern (in F's old space)" fastio read $G $SEED_G
	if hold_start $G $SEED_G 600; then
		ok "B: a process maps G and reads its first half"
		mapped=1
	else
		not_ok "B: a process maps G and reads its first half ($(cat /tmp/hold.out))"
	fi
fi
vm_barrier "03-delete B maps G" || not_ok "B: guest A reached 'B maps G'"
vm_barrier "03-delete fenced" || not_ok "B: guest A reached 'fenced'"
if [ "$have" = 1 ] && grep -q " $MNT " /proc/mounts; then
	# A's mkfs returned only after B acknowledged: no waiting here
	s=$(stats $MNT)
	check "B: stats say fenced ($(sv "$s" '.fenced // "null"'))" \
		test "$(sv "$s" '.fenced != null')" = true
	check "B: no fmap is published any more ($(sv "$s" .fmaps_published))" \
		test "$(sv "$s" .fmaps_published)" = 0
	if [ "$mapped" = 1 ]; then
		hold_finish
		check "B: fenced: a load through the old mapping of G gets SIGBUS" said "old SIGBUS"
		check "B: fenced: pread() of G on the open fd fails with EIO" said "pread EIO"
	fi
	out=$(fastio pread $G 0 4096 2>&1)
	check "B: fenced: a new open and pread() of G fails with EIO ($out)" test "$out" = EIO
	out=$(fastio touch $G 0 2>&1)
	check "B: fenced: a new mapping of G gets SIGBUS or fails ($out)" test "$out" != ok
	unmount_bpfam "B: fenced" $MNT
fi
vm_barrier "03-delete B unmounted" || not_ok "B: guest A reached 'B unmounted'"
check "B: the kernel logged no oops, BUG or warning" kernel_ok
echo "# B: 03-delete took $(($(date +%s) - start)) s"
show_log /tmp/bpfamd.log
tap_done
