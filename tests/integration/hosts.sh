#!/bin/bash
# Sharing without the daemon: bpfam hosts, bpfam host evict, the mount lock
# and the fencing of mkfs --force, with fakehost processes (tests/integration/
# fakehost.c) standing in for mounted hosts.  One bpfamd check at the end
# covers DEVICE|MOUNTPOINT and a real daemon acknowledging a fence.
#
# usage: tests/integration/hosts.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
BUILD=${1:-build}
FAKEHOST=$BUILD/tests/fakehost
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/daemon_lib.sh"

dl_init "$BUILD"
declare -A FH=() # fakehost name -> pid

# fh_done NAME: it has exited (its status is in $DL_TMP/NAME.rc).
fh_done() {
	[ -s "$DL_TMP/$1.rc" ]
}

fh_cleanup() {
	local n

	for n in "${!FH[@]}"; do
		fh_done "$n" && continue
		kill -CONT "${FH[$n]}" 2>/dev/null
		kill -KILL "${FH[$n]}" 2>/dev/null
	done
	dl_cleanup
}
trap fh_cleanup EXIT

# Host ids: one per fakehost, as on separate machines.
ID_A=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
ID_B=bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb # the machine-id form
ID_C=cccccccc-cccc-4ccc-8ccc-cccccccccccc
ID_D=dddddddd-dddd-4ddd-8ddd-dddddddddddd
ID_E=eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee

# fh_start NAME [FAKEHOST-OPTION...]: start a fakehost on $DEV and wait
# for its "joined" line; its output goes to $DL_TMP/NAME.{out,err}, its
# exit status to NAME.rc.  A subshell waits for it, so that the test sees
# its status and bash prints no job notice when a test kills it.
fh_start() {
	local name=$1 pid i
	shift

	: >"$DL_TMP/$name.out"
	rm -f "$DL_TMP/$name.rc"
	{
		"$FAKEHOST" "$@" "$DEV" >"$DL_TMP/$name.out" 2>"$DL_TMP/$name.err"
		echo $? >"$DL_TMP/$name.rc"
	} 2>/dev/null &
	disown $!
	for ((i = 0; i < 100; i++)); do
		pid=$(awk '/^joined slot/ { print $7 }' "$DL_TMP/$name.out")
		if [ -n "$pid" ]; then
			FH[$name]=$pid
			return 0
		fi
		fh_done "$name" && break
		sleep 0.05
	done
	echo "# fakehost $name did not join: $(cat "$DL_TMP/$name.err")"
	return 1
}

# fh_slot NAME: the slot it joined.
fh_slot() {
	awk '{ print $3 }' "$DL_TMP/$1.out"
}

# fh_exit NAME: wait up to 5 s for it to end; print its exit status.
fh_exit() {
	local i

	for ((i = 0; i < 100; i++)); do
		fh_done "$1" && break
		sleep 0.05
	done
	cat "$DL_TMP/$1.rc" 2>/dev/null || echo "still running"
}

# fh_kill NAME: SIGKILL it, as a crash: its slot stays registered.
fh_kill() {
	kill -KILL "${FH[$1]}" && fh_exit "$1" >/dev/null
}

# generation: the superblock's generation field (offset 48).
generation() {
	python3 -c 'import struct, sys
f = open(sys.argv[1], "rb"); f.seek(48)
print(struct.unpack("<Q", f.read(8))[0])' "$DEV"
}

# hosts_json PYTHON-EXPR: evaluate it over h, the list bpfam hosts --json
# prints for $DEV, and print the result.
hosts_json() {
	"$BPFAM" hosts --json "$DEV" 2>/dev/null |
		python3 -c "import json, sys; h = json.load(sys.stdin); print($1)"
}

# is WHAT GOT WANT: GOT equals WANT.
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

# ---- command line ----------------------------------------------------------
stdout_has "bpfam help lists hosts and host" 'hosts .*host +evict' \
	bash -c "$BPFAM help | tr '\n' ' '"
stdout_has "bpfam hosts --help" '^usage: bpfam hosts \[--json\] \[--wait MS\] DEVICE\|MOUNTPOINT' \
	"$BPFAM" hosts --help
stdout_has "bpfam host --help" '^usage: bpfam host evict \[--force\] ID DEVICE\|MOUNTPOINT' \
	"$BPFAM" host --help
stdout_has "bpfam host evict --help" '^usage: bpfam host evict' \
	"$BPFAM" host evict --help
stdout_has "bpfam mkfs --help names the new options" '--fence-timeout SECONDS' \
	"$BPFAM" mkfs --help
check_err "hosts without DEVICE" 2 'missing DEVICE' "$BPFAM" hosts
check_err "hosts --wait not a number" 2 "--wait 'soon': not a number" \
	"$BPFAM" hosts --wait soon "$DEV"
check_err "host without a subcommand" 2 'missing subcommand' "$BPFAM" host
check_err "host with an unknown subcommand" 2 "unknown subcommand 'kick'" \
	"$BPFAM" host kick 1 "$DEV"
check_err "host evict without DEVICE" 2 'missing DEVICE\|MOUNTPOINT' \
	"$BPFAM" host evict 1
check_err "host evict with a bad ID" 2 "ID 'xyz': neither a slot number nor a host id" \
	"$BPFAM" host evict xyz "$DEV"
check_err "mkfs --host-id not an id" 2 "--host-id '1234': not a host id" \
	"$BPFAM" mkfs --host-id 1234 "$DEV"
check_err "mkfs --fence-timeout not a number" 2 "--fence-timeout 'x': not a number of seconds" \
	"$BPFAM" mkfs --fence-timeout x "$DEV"

# ---- listing -----------------------------------------------------------------
dl_mkfs 1G
stdout_has "hosts with no host: just the header" \
	'^SLOT +HOST-ID +NAME +ROLE +STATE +PID +PLAYED +HORIZON +MOUNTPOINT$' \
	"$BPFAM" hosts "$DEV"
is "hosts --json with no host: []" "$(hosts_json 'h')" "[]"

check "fakehost A joins (client)" fh_start A --host-id "$ID_A"
check "fakehost B joins (primary, 50 ms, remote: holds no lock here)" \
	fh_start B --host-id "$ID_B" --role primary --period 50 --remote
check "fakehost C joins (client)" fh_start C --host-id "$ID_C"
SLOT_A=$(fh_slot A)
SLOT_C=$(fh_slot C)
"$BPFAM" hosts "$DEV" >"$DL_TMP/hosts.txt" 2>&1
check "hosts lists three hosts" test "$(grep -c ' live ' "$DL_TMP/hosts.txt")" = 3
check "hosts: B is the live primary, with its id and pid" grep -Eq \
	"^[0-9]+ +bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb +$(hostname) +primary +live +${FH[B]} " \
	"$DL_TMP/hosts.txt"
check "hosts: A is a live client in its slot" grep -Eq \
	"^$SLOT_A +$ID_A +[^ ]+ +client +live +${FH[A]} +0 +1 +-$" "$DL_TMP/hosts.txt"
is "hosts --json: three live hosts, their ids" \
	"$(hosts_json '" ".join(sorted(x["host_id"][:1] + ":" + x["state"] + ":" + str(x["live"]) for x in h))')" \
	"a:live:True b:live:True c:live:True"
is "hosts --json: roles, periods and pids" \
	"$(hosts_json '" ".join(sorted("%s:%s:%d:%d" % (x["host_id"][:1], x["role"], x["period_ms"], x["pid"]) for x in h))')" \
	"a:client:100:${FH[A]} b:primary:50:${FH[B]} c:client:100:${FH[C]}"
check_err "the same host id twice is refused" 1 \
	"host id $ID_A is already mounted \(slot $SLOT_A, .*pid ${FH[A]}" \
	"$FAKEHOST" --host-id "$ID_A" --hold-ms 1000 "$DEV"
check_err "a second primary is refused while B, a primary elsewhere, beats" 1 \
	"host bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb .* is mounted as the primary" \
	"$FAKEHOST" --host-id "$ID_E" --role primary --hold-ms 1000 "$DEV"
mkdir -p "$DL_TMP/dir"
check_err "hosts of a directory that is no mount" 1 \
	"$DL_TMP/dir: is a directory, not a bpfam mountpoint" "$BPFAM" hosts "$DL_TMP/dir"
check_err "hosts of another filesystem's mount" 1 \
	'/dev/shm: is a tmpfs mount, not a bpfam one' "$BPFAM" hosts /dev/shm
truncate -s 8M "$DL_TMP/blank"
check_err "hosts of an unformatted file" 1 "$DL_TMP/blank: no bpfam filesystem" \
	"$BPFAM" hosts "$DL_TMP/blank"

# ---- evict -----------------------------------------------------------------
check_err "evict of a live host is refused" 1 \
	"host '.*' \(id $ID_A, slot $SLOT_A, pid ${FH[A]}\) is live \(its heartbeat moves\).*--force" \
	"$BPFAM" host evict "$ID_A" "$DEV"
check_err "evict by slot number of a live host is refused" 1 \
	"\(id $ID_C, slot $SLOT_C, .*is live" "$BPFAM" host evict "$SLOT_C" "$DEV"
check_err "evict of an unknown host id" 1 \
	"no registered host has id $ID_E" "$BPFAM" host evict "$ID_E" "$DEV"
check_err "evict of a free slot" 1 'slot 200 holds no registered host' \
	"$BPFAM" host evict 200 "$DEV"
check_err "evict of a slot that does not exist" 1 'no slot 999 \(slots 0-255\)' \
	"$BPFAM" host evict 999 "$DEV"
check_err "evict --force of a live host warns what it risks" 0 \
	"warning: host .*id $ID_C.* is live: evicting it anyway.*may still read and write the space of files it holds, which can then be given to other files" \
	"$BPFAM" host evict --force "$SLOT_C" "$DEV"
is "the evicted host notices and exits (status 3: fenced)" "$(fh_exit C)" 3
check "it says it was evicted" grep -q 'was evicted by another host' "$DL_TMP/C.err"
is "its slot is gone from the list" "$(hosts_json 'len([x for x in h if x["slot"] == '"$SLOT_C"'])')" 0

fh_kill A
is "a SIGKILLed host is listed dead" \
	"$(hosts_json '[x["state"] for x in h if x["slot"] == '"$SLOT_A"']')" "['dead']"
stdout_has "hosts --wait samples longer and still says dead" \
	"^$SLOT_A +$ID_A .* dead " "$BPFAM" hosts --wait 500 "$DEV"
stdout_has "evict of the dead host (by id, machine-id form)" \
	"evicted host '.*' \(id $ID_A, slot $SLOT_A" \
	"$BPFAM" host evict "${ID_A//-/}" "$DEV"
is "its slot is free: gone from the list" \
	"$(hosts_json 'len([x for x in h if x["slot"] == '"$SLOT_A"'])')" 0
check "another host joins (500 ms, remote)" \
	fh_start D --host-id "$ID_D" --period 500 --remote
is "... and takes the freed slot" "$(fh_slot D)" "$SLOT_A"

# ---- mkfs and live hosts -----------------------------------------------------
check "fakehost E joins, then is SIGKILLed (dead)" fh_start E --host-id "$ID_E"
SLOT_E=$(fh_slot E)
fh_kill E
check_err "mkfs without --force names the live hosts" 1 \
	"holds an existing bpfam filesystem .*\(use --force to overwrite it\); mounted by .*id bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb" \
	"$BPFAM" mkfs "$DEV"
GEN=$(generation)
"$BPFAM" mkfs --force "$DEV" >"$DL_TMP/mkfs.out" 2>"$DL_TMP/mkfs.err"
is "mkfs --force with live hosts succeeds" "$?" 0
check "it formatted" grep -q 'made a bpfam filesystem' "$DL_TMP/mkfs.out"
check "it waited for the 2 live hosts" grep -q 'fenced; 2 live hosts acknowledged' \
	"$DL_TMP/mkfs.err"
check "it names the dead host, which it did not wait for" grep -Eq \
	"host '.*' \(id $ID_E, slot $SLOT_E, pid [0-9]+\) is not heartbeating; it will fence itself if it ever comes back" \
	"$DL_TMP/mkfs.err"
is "the generation went up by one" "$(generation)" $((GEN + 1))
is "B acknowledged the fence and exited (status 3)" "$(fh_exit B)" 3
is "D too (a 500 ms period: mkfs waited for it)" "$(fh_exit D)" 3
# Had mkfs formatted before they acknowledged, they would have seen a new
# filesystem, not the fence.  They hold no lock here (--remote): only the
# fence made mkfs wait.
check "B saw the fence" grep -q "fenced by 'bpfam mkfs --force'" "$DL_TMP/B.err"
check "D saw the fence, not a new filesystem" \
	grep -q "fenced by 'bpfam mkfs --force'" "$DL_TMP/D.err"
is "the new filesystem has no hosts" "$(hosts_json 'len(h)')" 0
stdout_has "fsck: clean" ': clean$' "$BPFAM" fsck "$DEV"
check_err "mkfs --force with a log that does not fit" 1 'does not leave room for data' \
	"$BPFAM" mkfs --force --log-size 1G "$DEV"
stdout_has "... refuses before it fences anything" ': clean$' "$BPFAM" fsck "$DEV"

# A host that stops answering: live while mkfs samples, then SIGSTOPped.
# S, dead with a 1 s period, makes the sample last 3 s.
check "fakehost S joins (1 s period), then dies" \
	fh_start S --host-id "$ID_E" --period 1000
fh_kill S
check "fakehost F joins (50 ms period, remote)" \
	fh_start F --host-id "$ID_B" --period 50 --remote
SLOT_F=$(fh_slot F)
"$BPFAM" mkfs --force --fence-timeout 1 "$DEV" >/dev/null 2>"$DL_TMP/mkfs.err" &
MKFS=$!
sleep 1
kill -STOP "${FH[F]}"
wait "$MKFS"
is "mkfs --force times out on a host that does not acknowledge" "$?" 1
check "it names the host and says the device stays fenced" grep -Eq \
	"stays fenced and unformatted: 1 live host did not acknowledge the fence within 1\.0 s: host '.*' \(id bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb, slot $SLOT_F, pid ${FH[F]}\)" \
	"$DL_TMP/mkfs.err"
check_err "fsck refuses the fenced device, not checked (8)" 8 "fenced by 'bpfam mkfs --force'" \
	"$BPFAM" fsck "$DEV"
check_err "a mount refuses it" 1 "fenced by 'bpfam mkfs --force'" \
	"$FAKEHOST" --host-id "$ID_C" --hold-ms 1000 "$DEV"
check_err "mkfs without --force refuses it" 1 'holds an existing bpfam filesystem, damaged \(fenced' \
	"$BPFAM" mkfs "$DEV"
stdout_has "hosts still lists the fenced filesystem's hosts" \
	"^$SLOT_F +bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb " "$BPFAM" hosts "$DEV"
GEN=$(generation)
fh_kill F
stdout_has "a second mkfs --force after the host died formats" \
	'made a bpfam filesystem' "$BPFAM" mkfs --force "$DEV"
is "the generation went up by one" "$(generation)" $((GEN + 1))

# The same, but the host is evicted while mkfs waits for it: mkfs goes on.
check "fakehost S2 joins (1 s period), then dies" \
	fh_start S2 --host-id "$ID_E" --period 1000
fh_kill S2
check "fakehost F2 joins (50 ms period, remote)" \
	fh_start F2 --host-id "$ID_B" --period 50 --remote
T0=$(date +%s)
"$BPFAM" mkfs --force --fence-timeout 20 "$DEV" >/dev/null 2>"$DL_TMP/mkfs.err" &
MKFS=$!
sleep 1
kill -STOP "${FH[F2]}"
for ((i = 0; i < 100; i++)); do
	[ "$(head -c 8 "$DEV")" = BSBPFAMF ] && break
	sleep 0.1
done
stdout_has "evict of the stopped host while mkfs waits for it" \
	"evicted host .*slot $(fh_slot F2)" "$BPFAM" host evict "$(fh_slot F2)" "$DEV"
wait "$MKFS"
is "mkfs --force then formats" "$?" 0
check "... without waiting for its timeout" test $(($(date +%s) - T0)) -lt 15
fh_kill F2

# ---- the mount lock ------------------------------------------------------------
check "fakehost G joins" fh_start G --host-id "$ID_A"
kill -STOP "${FH[G]}"
dd if=/dev/zero of="$DEV" bs=4096 count=1 conv=notrunc status=none
check_err "mkfs of an unformatted device a local host holds: in use" 1 \
	"$DEV: in use by a mounted bpfamd on this machine" "$BPFAM" mkfs "$DEV"
check_err "mkfs --force too" 1 'in use by a mounted bpfamd on this machine' \
	"$BPFAM" mkfs --force "$DEV"
fh_kill G
stdout_has "once it is gone, mkfs formats" 'made a bpfam filesystem' \
	"$BPFAM" mkfs "$DEV"
stdout_has "mkfs --host-id names another primary" \
	'primary +dddddddd-dddd-4ddd-8ddd-dddddddddddd \(machine-id dddddddddddd4ddd8ddddddddddddddd\)' \
	"$BPFAM" mkfs --force --host-id "$ID_D" "$DEV"

# ---- bpfamd: MOUNTPOINT, and a daemon acknowledging the fence ------------------
if [ -x "$BPFAMD" ]; then
	dl_mkfs 1G
	MNT=$(dl_mountpoint m)
	check "bpfamd mounts" dl_start "$MNT" -o role=primary
	stdout_has "hosts MOUNTPOINT lists the daemon with its mountpoint" \
		"^[0-9]+ .* primary +live +${DL_PID[$MNT]} .* $MNT$" "$BPFAM" hosts "$MNT"
	check_err "host evict MOUNTPOINT refuses the live daemon" 1 'is live' \
		"$BPFAM" host evict 0 "$MNT"
	"$BPFAM" mkfs --force "$DEV" >/dev/null 2>"$DL_TMP/mkfs.err"
	is "mkfs --force over a mounted bpfamd formats" "$?" 0
	check "after the daemon acknowledged" grep -q 'fenced; 1 live host acknowledged' \
		"$DL_TMP/mkfs.err"
else
	ok "# SKIP $BPFAMD not built"
fi

tap_done
