#!/bin/bash
# Memory failure under the daemon (issue 14): in fallback mode the daemon
# copies file data to and from its own mapping of the device.  A page of a
# file is poisoned with MADV_HWPOISON through a mapping of /dev/dax0.0 (from
# a helper process) with early kill on, so the kernel also sends the
# daemon, which maps it, SIGBUS (BUS_MCEERR_AO): the daemon must stay up
# and serve the rest.  Its own read of the page would take BUS_MCEERR_AR
# on hardware and fail with EIO; under qemu the memory is not really bad
# and device-dax maps the pfn again, so the read is served — the EIO path
# is tested on the host (tests/integration/options.sh, a shrunk device).
# Runs after 29 (the poison stays for the guest's life): another page,
# another file system.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
P=$(((1 << 20) + 8192)) # the poisoned page's file offset (29 poisons 4 MiB)
need_or_end bpfam bpfamd fastio jq

check_cmd "bpfam mkfs --force $DEV" bpfam mkfs --force $DEV
if ! mount_bpfam $DEV $MNT -o mode=fallback; then
	not_ok "bpfamd -o mode=fallback $DEV $MNT mounts"
	tap_done
	exit 1
fi
ok "bpfamd -o mode=fallback $DEV $MNT mounts"
s=$(stats $MNT)
check "$MNT is served in fallback mode (stats: mode $(sv "$s" '.mode // "?"'))" \
	test "$(sv "$s" '.mode // "?"')" = fallback
pid=$(pidof bpfamd)

A=$MNT/poisoned
B=$MNT/other
check_cmd "bpfam creat -s 8M $A" bpfam creat -s 8M $A
check_cmd "bpfam creat -s 8M $B" bpfam creat -s 8M $B
check_cmd "pwrite() a pattern into $A" fastio write $A 51
check_cmd "pwrite() a pattern into $B" fastio write $B 52
check_cmd "$A reads its pattern before the poison" fastio read $A 51

# the device offset of A's page at P
D=$(bpfam getmap --json $A | jq -r --argjson p $P \
	'[.extents[] | select(.file_offset <= $p and $p < .file_offset + .length)][0] |
	 .dev_offset + $p - .file_offset')
check "$A's page at $P has a device offset ($D)" test -n "$D" -a "$D" != null
echo "# getmap: $(bpfam getmap --json $A | jq -c .extents)"

before=$(stats $MNT)
dmesg -c >/dev/null 2>&1
ek=$(cat /proc/sys/vm/memory_failure_early_kill)
echo 1 >/proc/sys/vm/memory_failure_early_kill
r=$(fastio poison-dev $DEV $D 2>&1)
check "madvise(MADV_HWPOISON) on device offset $D through a mapping of $DEV, from a helper ($r)" \
	test "${r%% sigbus*}" = poisoned
echo "$ek" >/proc/sys/vm/memory_failure_early_kill
dmesg | sed 's/^/#   /'
check "the kernel sent bpfamd (pid $pid) SIGBUS (early kill: BUS_MCEERR_AO)" \
	bash -c "dmesg | grep -q 'Sending SIGBUS to bpfamd:$pid'"

# The daemon's copy of the page: on hardware the load takes a machine check
# (BUS_MCEERR_AR) and the request fails with EIO.  Under qemu (TCG) the
# memory is not bad and device-dax maps the poisoned pfn again on the next
# fault, so the copy is served; either way the daemon stays up.
r=$(fastio pread $A $P 4096)
check "pread() of the poisoned page through the mount: EIO or served (got: $r)" \
	test "$r" = EIO -o "$r" = "ok 4096"
check "bpfamd is still running (pid $pid)" test "$(pidof bpfamd)" = "$pid"
check_cmd "the mount answers (stat $A)" stat $A
after=$(stats $MNT)
if [ "$r" = EIO ]; then
	check "stats: memory_errors went up (before $(sv "$before" '.memory_errors // 0'), now $(sv "$after" '.memory_errors // 0'))" \
		test "$(delta "$before" "$after" .memory_errors)" -ge 1
else
	check_cmd "$A, poisoned page included, reads its pattern (the memory is not really bad here)" \
		fastio read $A 51
	check "stats: memory_errors stays 0 (now $(sv "$after" '.memory_errors // 0'))" \
		test "$(sv "$after" '.memory_errors // 0')" -eq 0
fi

r=$(fastio pread $A $((P - 4096)) 4096)
check "pread() of the page before it works (got: $r)" test "$r" = "ok 4096"
r=$(fastio pread $A $((P + 4096)) 4096)
check "pread() of the page after it works (got: $r)" test "$r" = "ok 4096"
check "dd of A's first MiB (before the poison) reads its pattern" \
	bash -c "dd if=$A bs=1M count=1 2>/dev/null | fastio check 51 $((1 << 20))"
check_cmd "the other file reads right" fastio read $B 52
check_cmd "a new file can be created, written and read" \
	bash -c "bpfam creat -s 4M $MNT/after && fastio write $MNT/after 54 && fastio read $MNT/after 54"
check "bpfamd is still the same process (pid $pid)" test "$(pidof bpfamd)" = "$pid"

unmount_bpfam "end" $MNT
check "the kernel logged no oops" kernel_ok
tap_done
