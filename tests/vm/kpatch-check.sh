#!/bin/bash
# What a reviewer of kpatch/ checks before sending the series, on the tree
# `make kernel` prepared (run that first):
#   1. scripts/checkpatch.pl --strict on every patch;
#   2. every prefix of the series builds fs/dax.o, fs/fuse/ and drivers/dax/ (each
#      patch builds on its own), with the test kernel's configuration;
#   3. with the series and DEV_DAX=m (as distributions build it), built-in
#      fuse references no symbol that only device_dax.ko defines.
# Not part of `make vmtest` (it takes ~10 minutes); see kpatch/README.md.
#
# usage: tests/vm/kpatch-check.sh [BUILD-DIR]      (from the top of the repo)
set -euo pipefail

BUILD=${1:-build}
case $BUILD in
/*) K=$BUILD/kernel ;;
*) K=$PWD/$BUILD/kernel ;;
esac
KPATCH=$PWD/kpatch
SRC=$K/src
TREE=$K/check-src
JOBS=${KERNEL_JOBS:-2}
unset MAKEFLAGS MFLAGS MAKELEVEL

say() { echo "kpatch-check: $*"; }
die() {
	echo "kpatch-check: error: $*" >&2
	exit 1
}

[ -f "$SRC/Makefile" ] && [ -f "$K/out/.config" ] && [ -f "$K/src.files" ] ||
	die "no prepared kernel tree under $K: run 'make kernel' first"
mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$KPATCH/series")

# ---- 1. checkpatch --------------------------------------------------------
bad=0
for p in "${patches[@]}"; do
	# A new file always asks whether MAINTAINERS needs updating: fs/fuse/
	# is covered by its FUSE entry.  ENOSYS is what a FUSE server answers
	# for a request it does not implement, which fuse tests for throughout
	# (checkpatch takes every ENOSYS for a syscall number).
	out=$("$SRC/scripts/checkpatch.pl" --strict --no-tree -q --ignore ENOSYS \
		"$KPATCH/$p" 2>&1 | grep -E '^(ERROR|WARNING|CHECK):' |
		grep -v 'MAINTAINERS need updating' || true)
	if [ -n "$out" ]; then
		say "checkpatch: $p:"
		echo "$out" | sed 's/^/  /'
		bad=1
	fi
done
[ "$bad" -eq 0 ] || die "checkpatch --strict complains (above)"
say "checkpatch --strict: ${#patches[@]} patches clean"

# ---- the check tree: hard links to src/, the touched files its own --------
if [ ! -f "$TREE/Makefile" ]; then
	say "making $TREE (hard links to $SRC)"
	cp -al "$SRC" "$TREE"
fi
# reset_tree: the files the series touches back to pristine (unlinked
# first, so that the hard-linked src/ never changes)
reset_tree() {
	local f
	while read -r f; do
		rm -f "$TREE/$f"
		[ -f "$K/pristine/$f" ] && cp "$K/pristine/$f" "$TREE/$f"
	done <"$K/src.files"
}

# build_dirs OUT WHAT: fs/fuse/ and drivers/dax/ in OUT, or die naming WHAT
build_dirs() {
	if ! make -C "$TREE" O="$1" -j"$JOBS" fs/dax.o fs/fuse/ drivers/dax/ >"$1/check.log" 2>&1; then
		grep -E 'error|Error' "$1/check.log" | head -20 >&2 || true
		die "$2 does not build (log: $1/check.log)"
	fi
}

# ---- 2. each prefix of the series builds -----------------------------------
OUT=$K/check-out
mkdir -p "$OUT"
cp "$K/out/.config" "$OUT/.config"
make -s -C "$TREE" O="$OUT" olddefconfig >/dev/null
for ((n = 1; n <= ${#patches[@]}; n++)); do
	reset_tree
	for p in "${patches[@]:0:n}"; do
		patch -d "$TREE" -p1 -N -s -F0 --no-backup-if-mismatch <"$KPATCH/$p" ||
			die "$p does not apply"
	done
	say "patches 1-$n: building fs/dax.o, fs/fuse/ and drivers/dax/"
	build_dirs "$OUT" "the series up to ${patches[n - 1]}"
done

# ---- 3. DEV_DAX=m with fuse built in --------------------------------------
MOD=$K/check-out-mod
mkdir -p "$MOD"
cp "$K/out/.config" "$MOD/.config"
cat >>"$MOD/.config" <<'EOF'
CONFIG_MODULES=y
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_PMEM=m
EOF
make -s -C "$TREE" O="$MOD" olddefconfig >/dev/null
for opt in CONFIG_DEV_DAX=m CONFIG_FUSE_FS=y CONFIG_FUSE_FMAP=y; do
	grep -qx "$opt" "$MOD/.config" || die "could not configure $opt for the module check"
done
say "DEV_DAX=m, FUSE_FS=y: building fs/dax.o, fs/fuse/ and drivers/dax/"
build_dirs "$MOD" "the series with DEV_DAX=m"
# What built-in fuse needs that only device_dax.ko (device.o) provides.
needs=$(nm -u "$MOD/fs/fuse/built-in.a" | awk '{ print $2 }' | sort -u)
module=$(nm --defined-only "$MOD/drivers/dax/device.o" | awk '$2 ~ /^[BDGRSTVW]$/ { print $3 }' | sort -u)
common=$(comm -12 <(echo "$needs") <(echo "$module"))
[ -n "$needs" ] && [ -n "$module" ] || die "nm found no symbols to compare"
[ -z "$common" ] || die "built-in fuse uses symbols of device_dax.ko: $common"
say "built-in fuse uses nothing of device_dax.ko"
reset_tree
say "all checks passed"
