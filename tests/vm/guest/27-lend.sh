#!/bin/bash
# Lending a device-dax to a filesystem (kpatch: device-dax lend): the sysfs
# attribute `lend` takes a byte offset (or "none") while no driver is bound;
# bound again, device_dax sets the memory up as fs-dax pages and refuses to
# map the lent part through /dev/daxX.Y, while the part before it (bpfam's
# metadata) maps as before.  "none" gives the whole device back.
. /vmtests/guest/fastlib.sh
set -u

DEV=/dev/dax0.0
NAME=dax0.0
SYS=/sys/bus/dax/devices/$NAME
DRV=/sys/bus/dax/drivers/device_dax
LEND=$((64 << 20))
need_or_end fastio

# set_lend VALUE: write VALUE into the attribute (the shell says why not)
set_lend() { echo "$1" >"$SYS/lend"; }
unbind() { echo $NAME >$DRV/unbind; }
bind() { echo $NAME >$DRV/bind && test -c $DEV; }
# refused VALUE: writing VALUE into the attribute fails and changes nothing
refused() {
	local before
	before=$(cat "$SYS/lend")
	! set_lend "$1" 2>/dev/null && test "$(cat "$SYS/lend")" = "$before"
}

check "$SYS/lend reads \"none\" by default" test "$(cat $SYS/lend)" = none
check "lend refused while device_dax is bound" refused $LEND
check_cmd "unbind $NAME from device_dax" unbind
check "lend refused: not aligned to the device's 2 MiB" refused $((LEND + 4096))
size=$(cat $SYS/size)
check "lend refused: at the end of the device ($size)" refused "$size"
check "lend refused: not a number" refused lots
check_cmd "lend from 64 MiB" set_lend $LEND
check "lend reads back $LEND" test "$(cat $SYS/lend)" = $LEND
dmesg -c >/dev/null 2>&1
check_cmd "bind $NAME to device_dax again" bind

r=$(fastio map-dev $DEV 0)
check "the metadata part maps through $DEV: at 0 (got: $r)" test "$r" = ok
r=$(fastio map-dev $DEV $((LEND - (2 << 20))))
check "... and in the last 2 MiB before the lent part (got: $r)" test "$r" = ok
r=$(fastio map-dev $DEV $LEND)
check "the lent part does not map through $DEV: at 64 MiB (got: $r)" \
	test "$r" = "mmap EACCES"
r=$(fastio map-dev $DEV $((size - (2 << 20))))
check "... nor in its last 2 MiB (got: $r)" test "$r" = "mmap EACCES"
check "the kernel says why: the offsets are lent" \
	bash -c "dmesg | grep -q 'are lent to a filesystem'"
check "lend refused while bound, also when lent" refused none

check_cmd "unbind $NAME again" unbind
check_cmd "lend \"none\"" set_lend none
check "lend reads \"none\" again" test "$(cat $SYS/lend)" = none
check_cmd "bind $NAME again" bind
r=$(fastio map-dev $DEV $LEND)
check "the whole device maps again: at 64 MiB (got: $r)" test "$r" = ok
check "the kernel logged no oops" kernel_ok
tap_done
