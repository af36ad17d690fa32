#!/bin/bash
# Delete while another host holds the file, guest A (primary).  Both guests
# in fast mode, each with its own host id.  A makes F (a pattern) and fills
# the rest of the device; B maps F and keeps checking it while A deletes F.
# While B holds F, A's allocations must not get F's space (a create that
# needs it fails with ENOSPC) and B still reads F's bytes; once B lets go,
# A's next file gets exactly F's old device range.  Last, A reformats with
# mkfs --force, which must return only after B acknowledged the fence.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
ID_A=a0000000000000000000000000000003
F=$MNT/victim
G=$MNT/next
FILL=$MNT/fill
SEED=71
SEED_G=72
MB=32
SIZE=$((MB << 20))

# ext_of FILE: its extents as one JSON line (device, offset, length)
ext_of() {
	bpfam getmap --json "$1" 2>/dev/null |
		jq -c '[(.extents // .strips)[] | {dev, dev_offset, length}]'
}

# hosts_say EXPR: bpfam hosts --json DEVICE|MOUNTPOINT (/tmp/hosts.json)
# makes the jq expression EXPR true
hosts_say() {
	jq -e "$1" /tmp/hosts.json >/dev/null
}

# ms_since T: milliseconds since T (an $EPOCHREALTIME)
ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# try_creat FILE: bpfam creat -s $SIZE FILE, its messages in /tmp/creat.out
try_creat() {
	bpfam creat -s $SIZE "$1" >/tmp/creat.out 2>&1
}

# check_enospc WHEN: a creat of $SIZE fails with ENOSPC and leaves no file,
# and F's space is still waiting for the reclaim gate
check_enospc() {
	local s
	if try_creat $G; then
		not_ok "A: $1: bpfam creat -s ${MB}M fails (F's space is not handed out)"
		echo "# it got: $(ext_of $G) (F had $fext)"
	elif grep -q ENOSPC /tmp/creat.out; then
		ok "A: $1: bpfam creat -s ${MB}M fails with ENOSPC"
	else
		not_ok "A: $1: bpfam creat -s ${MB}M fails with ENOSPC"
		show_log /tmp/creat.out
	fi
	check "A: $1: the failed creat left no file behind" test ! -e $G
	s=$(stats $MNT)
	check "A: $1: bytes_waiting_reclaim is F's allocation ($(sv "$s" .bytes_waiting_reclaim), want $falloc)" \
		test "$(sv "$s" .bytes_waiting_reclaim)" = "$falloc"
	check "A: $1: nothing reclaimed yet (bytes_reclaimed $(sv "$s" .bytes_reclaimed))" \
		test "$(sv "$s" .bytes_reclaimed)" = 0
	check "A: $1: bytes_free is still 0 ($(sv "$s" .bytes_free))" \
		test "$(sv "$s" .bytes_free)" = 0
}

start=$(date +%s)
ready=0
if need bpfam bpfamd fastio jq; then
	if bpfam mkfs --force --host-id $ID_A $DEV >/tmp/mkfs.log 2>&1; then
		ok "A: bpfam mkfs --force --host-id $ID_A $DEV"
		if mount_bpfam $DEV $MNT -o mode=fast,host-id=$ID_A; then
			ok "A: bpfamd -o mode=fast,host-id=$ID_A mounts $DEV"
			s=$(stats $MNT)
			check "A: it is the primary, host $(sv "$s" .host.host_id) in slot $(sv "$s" .host.slot)" \
				test "$(sv "$s" .role)" = primary -a "$(sv "$s" .host.host_id | tr -d -)" = $ID_A
			if check_fast "A" $MNT &&
				check_cmd "A: bpfam creat -s ${MB}M $F" bpfam creat -s ${MB}M $F &&
				check_cmd "A: pwrite() a pattern into F" fastio write $F $SEED; then
				fext=$(ext_of $F)
				falloc=$(jq '[.[].length] | add' <<<"$fext")
				echo "# F: $fext"
				free=$(sv "$(stats $MNT)" '.bytes_free // 0')
				check_cmd "A: bpfam creat -s $free (the rest of the device) $FILL" \
					bpfam creat -s "$free" $FILL
				s=$(stats $MNT)
				check "A: the device is full (bytes_free $(sv "$s" .bytes_free))" \
					test "$(sv "$s" .bytes_free)" = 0
				[ "$falloc" = $SIZE ] && [ "$(sv "$s" .bytes_free)" = 0 ] && ready=1
				check "A: F's allocation is $MB MiB ($falloc)" test "$falloc" = $SIZE
			fi
		else
			not_ok "A: bpfamd -o mode=fast,host-id=$ID_A mounts $DEV"
		fi
	else
		not_ok "A: bpfam mkfs --force --host-id $ID_A $DEV"
		show_log /tmp/mkfs.log
	fi
fi
# Either way, meet B at every barrier
vm_barrier "03-delete F written" || not_ok "A: guest B reached 'F written'"
vm_barrier "03-delete B holds F" || not_ok "A: guest B reached 'B holds F'"
if [ "$ready" = 1 ]; then
	bpfam hosts --json $MNT >/tmp/hosts.json 2>&1
	check "A: bpfam hosts: two live hosts, one a client" \
		hosts_say '[.[] | select(.live)] | length == 2 and any(.role == "client")'
	check_cmd "A: rm F" rm $F
	check "A: F is gone from A's namespace" test ! -e $F
	s=$(stats $MNT)
	check "A: one deleted file waits for reclaim (deleted_waiting $(sv "$s" .deleted_waiting))" \
		test "$(sv "$s" .deleted_waiting)" = 1
	check_enospc "right after the delete"
fi
vm_barrier "03-delete F deleted" || not_ok "A: guest B reached 'F deleted'"
vm_barrier "03-delete B saw the delete" || not_ok "A: guest B reached 'B saw the delete'"
if [ "$ready" = 1 ]; then
	# B has played the delete and still holds F: only its hold keeps the
	# gate shut.  Give the gate ten heartbeats to (wrongly) open.
	sleep 1
	check_enospc "B played the delete and holds F"
	bpfam hosts $MNT 2>&1 | sed 's/^/#   /'
fi
vm_barrier "03-delete A still refused" || not_ok "A: guest B reached 'A still refused'"
vm_barrier "03-delete B let go" || not_ok "A: guest B reached 'B let go'"
if [ "$ready" = 1 ]; then
	# B's horizon moves at its next heartbeat; A reclaims at its next
	# one (or at once when an allocation fails)
	got=0
	for i in $(seq 50); do
		if try_creat $G; then
			got=1
			break
		fi
		sleep 0.1
	done
	if [ $got = 1 ]; then
		ok "A: once B let go, bpfam creat -s ${MB}M $G succeeds (try $i)"
	else
		not_ok "A: once B let go, bpfam creat -s ${MB}M $G succeeds (5 s of tries)"
		show_log /tmp/creat.out
		bpfam hosts $MNT 2>&1 | sed 's/^/#   /'
	fi
	gext=$(ext_of $G)
	echo "# G: $gext"
	check "A: G got F's old device range" test -n "$gext" -a "$gext" = "$fext"
	s=$(stats $MNT)
	check "A: F's space was reclaimed (bytes_reclaimed $(sv "$s" .bytes_reclaimed), want $falloc)" \
		test "$(sv "$s" .bytes_reclaimed)" = "$falloc"
	check "A: no byte waits for reclaim any more (bytes_waiting_reclaim $(sv "$s" .bytes_waiting_reclaim))" \
		test "$(sv "$s" .bytes_waiting_reclaim)" = 0
	# the failed creats' empty files were deleted too; the last of them
	# may be reclaimed a heartbeat later
	for _ in $(seq 20); do
		[ "$(sv "$(stats $MNT)" .deleted_waiting)" = 0 ] && break
		sleep 0.1
	done
	check "A: no deleted file waits any more (deleted_waiting $(sv "$(stats $MNT)" .deleted_waiting))" \
		test "$(sv "$(stats $MNT)" .deleted_waiting)" = 0
	check_cmd "A: pwrite() a second pattern into G" fastio write $G $SEED_G
fi
vm_barrier "03-delete G made" || not_ok "A: guest B reached 'G made'"
vm_barrier "03-delete B maps G" || not_ok "A: guest B reached 'B maps G'"
fenced=0
if [ "$ready" = 1 ]; then
	# A lets go of its own mount: mkfs --force then waits for B alone
	unmount_bpfam "A" $MNT
	bpfam hosts --json $DEV >/tmp/hosts.json 2>&1
	check "A: bpfam hosts $DEV: B is the one live host left" \
		hosts_say '[.[] | select(.live)] | length == 1 and .[0].role == "client"'
	t0=$EPOCHREALTIME
	if bpfam mkfs --force --host-id $ID_A $DEV >/tmp/mkfs.log 2>&1; then
		ok "A: bpfam mkfs --force fences B and formats ($(ms_since "$t0") ms)"
		fenced=1
	else
		not_ok "A: bpfam mkfs --force fences B and formats"
	fi
	show_log /tmp/mkfs.log
	check "A: mkfs says the one live host (B) acknowledged the fence" \
		grep -Eq 'fenced; 1 live hosts? acknowledged' /tmp/mkfs.log
	check_fails "A: mkfs found no dead host" grep -q "not heartbeating" /tmp/mkfs.log
fi
vm_barrier "03-delete fenced" || not_ok "A: guest B reached 'fenced'"
vm_barrier "03-delete B unmounted" || not_ok "A: guest B reached 'B unmounted'"
if [ "$fenced" = 1 ]; then
	check_cmd "A: bpfam fsck of the new filesystem" bpfam fsck $DEV
	if mount_bpfam $DEV $MNT -o mode=fast,host-id=$ID_A; then
		ok "A: the new filesystem mounts"
		check "A: it is empty" test -z "$(ls -A $MNT)"
		unmount_bpfam "A" $MNT
	else
		not_ok "A: the new filesystem mounts"
	fi
fi
check "A: the kernel logged no oops, BUG or warning" kernel_ok
echo "# A: 03-delete took $(($(date +%s) - start)) s"
show_log /tmp/bpfamd.log
tap_done
