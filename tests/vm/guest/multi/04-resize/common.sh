# shellcheck shell=bash
# Shared by primary.sh and client.sh of 04-resize: the constants, and
# what both guests check once A has truncated F to CUT.
# (Used by the sourcing scripts.)
# shellcheck disable=SC2034
{
MIB=$((1 << 20))
F=/mnt/bpfam/growing
SEED=81
FIRST=$((16 * MIB))      # the size B first sees
FULL=$((64 * MIB))
CUT=$((10 * MIB + 4096)) # the truncation
KEEP=$((12 * MIB))       # the extents kept: CUT up to a 2 MiB unit
}

# check_truncated WHO MAPPED: F at its new end, through the session's
# mapping and fd when MAPPED is 1, and through a fresh mapping and read.
check_truncated() {
	local who=$1 mapped=$2

	if [ "$mapped" = 1 ]; then
		check_sess "$who: the mapping past the new end gets SIGBUS" "load SIGBUS" load $CUT 4096
		check_sess "$who: ... also at 32 MiB" "load SIGBUS" load $((32 * MIB)) 4096
		check_sess "$who: the mapping still reads the pattern below the new end" "load pattern" load 0 $CUT
		check_sess "$who: pread() on the open fd ends at the new end" "read 0 -" pread $CUT 4096
		check_sess "$who: pread() on the open fd reads the last 4 KiB" "read 4096 pattern" pread $((CUT - 4096)) 8192
	fi
	check "$who: a fresh mapping of F past its end gets SIGBUS" \
		test "$(fastio touch $F $((11 * MIB)) 2>&1)" = SIGBUS
	check_cmd "$who: F reads A's pattern up to its new end" fastio read $F $SEED
}
