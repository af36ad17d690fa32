#!/bin/bash
# The kernel checks every answer of the BPF resolver: rewrite a file's fmap
# in the pinned `fmaps` map behind the daemon's back (an extent beyond the
# device, one moved off its 2 MiB alignment, one on an unregistered device;
# with fastio's helper fmapedit and once with `bpftool map update` proper)
# and I/O on that file fails with EIO (loads with SIGBUS), other files keep
# working, the kernel stays up.  With `devs` lying about the device size the
# BPF program passes an out-of-range answer and the kernel itself refuses
# it.  Also: FUSE_DEV_IOC_DAXDEV_OPEN without CAP_SYS_RAWIO is EPERM.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
MNT=/mnt/bpfam
need_or_end bpfam bpfamd fastio fmapedit daxioctl bpftool jq

fast_mount $DEV $MNT

V=$MNT/victim
B=$MNT/bystander
check_cmd "bpfam creat -s 8M victim" bpfam creat -s 8M $V
check_cmd "bpfam creat -s 8M bystander" bpfam creat -s 8M $B
check_cmd "victim: pwrite() a pattern" fastio write $V 31
check_cmd "bystander: pwrite() a pattern" fastio write $B 32
exec 3<"$V" 4<"$B" # keep both nodes (and their map entries) alive

M=$(maps_of $MNT)
FM=$M/fmaps
DV=$M/devs
node=$(node_of $V)
devsize=$(cat /sys/bus/dax/devices/dax0.0/size 2>/dev/null || echo 0)
off=$(ext0_off $V)
echo "# maps $M, victim node $node, extent 0 at ${off:-?}, device size $devsize"
check_cmd "fmapedit get: save the victim's fmap" fmapedit get "$FM" "$node" /tmp/victim.fmap
check_cmd "fmapedit get: save device 0 of devs" fmapedit get "$DV" 0 /tmp/dev0

# expect_bad WHAT [shared]: the victim's I/O fails, the bystander's works
# (unless the edit was to `devs`, which every file of the device shares)
expect_bad() {
	local r
	r=$(fastio pread $V 4096 4096)
	check "$1: pread() of the victim fails with EIO (got: $r)" test "$r" = EIO
	r=$(fastio pwrite $V 4096 4096)
	check "$1: pwrite() to the victim fails with EIO (got: $r)" test "$r" = EIO
	r=$(fastio touch $V 8192)
	check "$1: a load through a new mapping of the victim gets SIGBUS (got: $r)" \
		test "$r" = SIGBUS
	if [ "${2:-}" = shared ]; then
		r=$(fastio pread $B 0 4096)
		check "$1: the bystander, on the same device, fails alike (got: $r)" test "$r" = EIO
	else
		check_cmd "$1: the bystander still reads right" fastio read $B 32
	fi
}

# restore WHAT: put the saved values back; the victim reads right again
restore() {
	check_cmd "$1: fmapedit put restores the victim's fmap" \
		fmapedit put "$FM" "$node" /tmp/victim.fmap
	check_cmd "$1: restored: the victim reads its pattern again" fastio read $V 31
}

beyond=$(((devsize + (4 << 20)) & ~((2 << 20) - 1)))
check_cmd "out of range: fmapedit sets extent 0 to device offset $beyond (past the end)" \
	fmapedit ext "$FM" "$node" 0 dev_off=$beyond
expect_bad "out of range"
restore "out of range"

check_cmd "misaligned: fmapedit moves extent 0 by 4 KiB" \
	fmapedit ext "$FM" "$node" 0 dev_off=$((${off:-0} + 4096))
expect_bad "misaligned"
restore "misaligned"

check_cmd "bad device: fmapedit puts extent 0 on device index 5" \
	fmapedit ext "$FM" "$node" 0 dev=5
expect_bad "bad device"
restore "bad device"

# The BPF program checks bounds too; make devs lie so that the answer
# reaches the kernel's own checks (dax_dev_access refuses it: EIO)
dmesg -c >/dev/null 2>&1
check_cmd "kernel check: devs says device 0 has 1 TiB" fmapedit dev "$DV" 0 size=$((1 << 40))
check_cmd "kernel check: extent 0 at device offset $beyond (past the real end)" \
	fmapedit ext "$FM" "$node" 0 dev_off=$beyond
expect_bad "kernel check, out of range"
check "kernel check: the kernel logged the refused answer (fuse: fmap: ...)" \
	bash -c "dmesg | grep -q 'fmap'"
dmesg | grep fmap | head -3 | sed 's/^/#   /'
restore "kernel check, out of range"
check_cmd "kernel check: devs says device 0 is kernel device 9 (unregistered)" \
	fmapedit dev "$DV" 0 kernel_id=9
expect_bad "kernel check, unregistered kernel device" shared
check_cmd "kernel check: fmapedit put restores device 0 of devs" fmapedit put "$DV" 0 /tmp/dev0
check_cmd "kernel check: restored: the victim reads its pattern again" fastio read $V 31

# The same with bpftool map update proper: the value as hex bytes, taken
# from `bpftool -j map lookup`, with extent 0's dev_off (bytes 64..71 of
# struct bpfam_map_fmap, little-endian) set past the end of the device
key=()
for i in 0 1 2 3 4 5 6 7; do key+=("$(printf %02x $(((node >> (8 * i)) & 255)))"); done
# (no process substitution: the guest has no /dev/fd)
bpftool -j map lookup pinned "$FM" key hex "${key[@]}" >/tmp/lookup.json 2>&1
val=()
mapfile -t val <<<"$(jq -r '.value[] | ltrimstr("0x")' /tmp/lookup.json 2>/dev/null)"
if [ "${#val[@]}" -eq "$(stat -c %s /tmp/victim.fmap)" ]; then
	ok "bpftool -j map lookup returns the victim's whole value (${#val[@]} bytes)"
else
	not_ok "bpftool -j map lookup returns the victim's whole value (${#val[@]} bytes)"
	head -c 300 /tmp/lookup.json | sed 's/^/#   /'
	echo
fi
orig=("${val[@]}")
for i in 0 1 2 3 4 5 6 7; do val[64 + i]=$(printf %02x $(((beyond >> (8 * i)) & 255))); done
check_cmd "bpftool map update pinned fmaps: extent 0 past the end of the device" \
	bpftool map update pinned "$FM" key hex "${key[@]}" value hex "${val[@]}"
check "bpftool map lookup shows the new dev_off" \
	bash -c "bpftool -j map lookup pinned $FM key hex ${key[*]} | jq -e '.formatted.value.ext[0].dev_off == $beyond' >/dev/null"
expect_bad "bpftool map update"
check_cmd "bpftool map update pinned fmaps: the original value back" \
	bpftool map update pinned "$FM" key hex "${key[@]}" value hex "${orig[@]}"
check_cmd "bpftool map update: restored: the victim reads its pattern again" fastio read $V 31

# FUSE_DEV_IOC_DAXDEV_OPEN (kpatch 0003) and FUSE_DEV_IOC_FMAP_ATTACH (0004):
# CAP_SYS_RAWIO, a mounted fd, FUSE_FMAP asked for at INIT, a connection of
# the initial user namespace.  daxioctl answers INIT itself.
mkdir -p /tmp/fusetest
ioc() { # ioc EXPECTED WHAT CASE [attach NAME]
	local want=$1 what=$2 r
	shift 2
	# busybox timeout leaves a watcher behind for a second: it must not
	# keep the files of fds 3 and 4 (and with them the mount) open
	r=$(timeout 60 daxioctl /tmp/fusetest $DEV "$@" 2>&1 3<&- 4<&-)
	check "$what: $want (got: $r)" test "$r" = "$want"
}
ioc EPERM "DAXDEV_OPEN as uid 0 without CAP_SYS_RAWIO" nocap
ioc EPERM "DAXDEV_OPEN as uid 65534" nobody
ioc EPERM "DAXDEV_OPEN on a /dev/fuse fd with no connection" unmounted
ioc EPERM "DAXDEV_OPEN on a connection that did not ask for FUSE_FMAP" noinit
ioc EPERM "DAXDEV_OPEN by initial-namespace root on a user-namespace mount" userns
ioc EINVAL "DAXDEV_OPEN as root passes the permission checks (flags=1)" badflags
ioc EBUSY "DAXDEV_OPEN as root of the device bpfamd holds" root
# bpfamd names its resolver after the filesystem's UUID (fused/fast.c)
daemon=bpfam-$(basename "$M" | cut -c1-8)
ioc EPERM "FMAP_ATTACH of $daemon without CAP_SYS_RAWIO" nocap attach "$daemon"
ioc EPERM "FMAP_ATTACH of $daemon on a connection without FUSE_FMAP" noinit attach "$daemon"
ioc EPERM "FMAP_ATTACH of $daemon on a user-namespace mount" userns attach "$daemon"
ioc ENOENT "FMAP_ATTACH of a resolver nobody registered" root attach no-such
ioc EBUSY "FMAP_ATTACH of $daemon, attached to bpfamd's connection" root attach "$daemon"
check "the test FUSE connection is gone" bash -c "! grep -q ' /tmp/fusetest ' /proc/mounts"

# the kernel is fine, the file system too
check_cmd "the victim reads its whole pattern at the end" fastio read $V 31
check_cmd "the bystander reads its whole pattern at the end" fastio read $B 32
exec 3<&- 4<&-
unmount_bpfam "end" $MNT
check_cmd "bpfam fsck $DEV" bpfam fsck $DEV
check "the kernel logged no oops" kernel_ok
tap_done
