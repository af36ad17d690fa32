#!/bin/bash
# Builds the test kernel: Linux 6.12 from Debian's linux-source-6.12 tarball,
# plus the patch series kpatch/series, configured as tinyconfig + the
# fragment kpatch/config, built out of tree.
#
# usage: tests/vm/kernel.sh [BUILD-DIR]        (run from the top of the repo)
#
# Layout under BUILD-DIR/kernel:
#   src/        one source tree: pristine tarball + the series
#   out/        the O= build directory (make's own incremental build)
#   bzImage     the kernel qemu boots; vmlinux (hard link) is the BTF source
#   key         hash of (source version, series, fragment) of bzImage
# A run whose key matches BUILD-DIR/kernel/key does nothing.  When only the
# series changed, the files touched by the old or the new series are
# re-patched from pristine copies (pristine/, taken from the tarball the
# first time a file is needed), and only those whose content changed are
# rewritten, so make rebuilds just what the patches touch.  When the
# fragment changed, the kernel is reconfigured (a near-full rebuild).
#
# Environment: KERNEL_TARBALL (default /usr/src/linux-source-6.12.tar.xz),
# KPATCH_DIR (default kpatch/: the config fragment and the series),
# KERNEL_VARIANT=NAME (a second kernel in BUILD-DIR/kernel-NAME, configured
# with kpatch/config.NAME merged after kpatch/config: `debug` is KASAN),
# KERNEL_JOBS (default 2), KERNEL_FORCE=1 runs make even if the key matches
# (after editing src/ by hand).
set -euo pipefail

BUILD=${1:-build}
TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${KERNEL_JOBS:-2}
KPATCH=${KPATCH_DIR:-$PWD/kpatch}
SERIES=$KPATCH/series
FRAGMENTS=("$KPATCH/config")
case $BUILD in
/*) K=$BUILD/kernel ;;
*) K=$PWD/$BUILD/kernel ;;
esac
if [ -n "${KERNEL_VARIANT:-}" ]; then
	K=$K-$KERNEL_VARIANT
	FRAGMENTS+=("$KPATCH/config.$KERNEL_VARIANT")
fi
SRC=$K/src
OUT=$K/out
NEED_MB=3500
# the kernel's make must not inherit the project make's flags and variables
unset MAKEFLAGS MFLAGS MAKELEVEL

say() { echo "kernel: $*"; }
die() {
	echo "kernel: error: $*" >&2
	exit 1
}

[ -r "$TARBALL" ] || die "no $TARBALL (install linux-source-6.12: make deps)"
for f in "${FRAGMENTS[@]}"; do
	[ -r "$f" ] || die "no $f"
done
[ -r "$SERIES" ] || die "no $SERIES"

# The patches of the series, in order.
patches=()
while read -r line; do
	line=${line%%#*}
	line=$(echo "$line" | xargs)
	[ -n "$line" ] || continue
	[ -r "$KPATCH/$line" ] || die "kpatch/series names $line, which does not exist"
	patches+=("$line")
done <"$SERIES"

hash() { sha256sum | cut -c1-16; }
src_key=$( (
	echo "$TARBALL"
	stat -c '%s %Y' "$TARBALL"
) | hash)
series_key=$( (
	cat "$SERIES"
	for p in "${patches[@]}"; do
		echo "== $p"
		cat "$KPATCH/$p"
	done
) | hash)
config_key=$(cat "${FRAGMENTS[@]}" | hash)
key="$src_key-$series_key-$config_key"

if [ "${KERNEL_FORCE:-0}" != 1 ] && [ -f "$K/bzImage" ] &&
	[ "$(cat "$K/key" 2>/dev/null)" = "$key" ]; then
	say "up to date ($key): $K/bzImage"
	exit 0
fi
mkdir -p "$K"
rm -f "$K/key"

# Files a patch touches (paths relative to the tree, for patch -p1).
patch_files() {
	local p
	for p in "$@"; do
		sed -n -e 's/^--- a\/\([^[:space:]]*\).*/\1/p' \
			-e 's/^+++ b\/\([^[:space:]]*\).*/\1/p' "$KPATCH/$p"
	done | sort -u
}

apply_series() { # DIR: apply every patch of the series in DIR
	local p
	for p in "${patches[@]}"; do
		say "applying $p"
		patch -d "$1" -p1 -N -s -F0 --no-backup-if-mismatch <"$KPATCH/$p" ||
			die "patch $p does not apply (see above)"
	done
}

# ---- source tree ----------------------------------------------------------
read -r have_src have_series _ 2>/dev/null <"$K/src.stamp" || have_src=none
if [ "$have_src" != "$src_key" ] || [ ! -f "$SRC/Makefile" ]; then
	avail=$(df -Pm "$K" | awk 'NR == 2 { print $4 }')
	[ "$avail" -ge "$NEED_MB" ] ||
		die "only ${avail} MB free under $K; the kernel source and build need ~${NEED_MB} MB"
	say "extracting $TARBALL"
	rm -rf "$SRC" "$OUT" "$K/src.stamp" "$K/src.files" "$K/pristine" "$K/pristine.absent"
	mkdir -p "$SRC"
	tar -xf "$TARBALL" -C "$SRC" --strip-components=1
	mkdir -p "$K/pristine"
	patch_files "${patches[@]}" | while read -r f; do
		[ -f "$SRC/$f" ] || continue
		mkdir -p "$(dirname "$K/pristine/$f")"
		cp -p "$SRC/$f" "$K/pristine/$f"
	done
	apply_series "$SRC"
	patch_files "${patches[@]}" >"$K/src.files"
	echo "$src_key $series_key" >"$K/src.stamp"
elif [ "$have_series" != "$series_key" ]; then
	# Re-apply the series on pristine copies of the files the old or the
	# new series touch, then copy over only those that differ: unchanged
	# files keep their time stamps and make rebuilds only what changed.
	say "patch series changed: re-applying"
	rm -f "$K/src.stamp"
	stage=$K/stage
	rm -rf "$stage"
	mkdir -p "$stage"
	patch_files "${patches[@]}" | sort -u - "$K/src.files" >"$K/union.files"
	# pristine copies of those files, taken from the tarball once (a tar
	# pass reads the whole tarball: ~10-40 s)
	pristine=$K/pristine
	mkdir -p "$pristine"
	touch "$K/pristine.absent"
	while read -r f; do
		[ -f "$pristine/$f" ] || grep -qxF "$f" "$K/pristine.absent" || echo "$f"
	done <"$K/union.files" >"$K/fetch.files"
	if [ -s "$K/fetch.files" ]; then
		top=$(tar -tf "$TARBALL" 2>/dev/null | head -1 || true)
		top=${top%%/*}
		# files the series creates are not in the tarball: not an error
		sed "s|^|$top/|" "$K/fetch.files" |
			tar -xf "$TARBALL" -C "$pristine" --strip-components=1 \
				-T - 2>/dev/null || true
		while read -r f; do
			[ -f "$pristine/$f" ] || echo "$f" >>"$K/pristine.absent"
		done <"$K/fetch.files"
	fi
	rm -f "$K/fetch.files"
	while read -r f; do
		if [ -f "$pristine/$f" ]; then
			mkdir -p "$(dirname "$stage/$f")"
			cp "$pristine/$f" "$stage/$f"
		fi
	done <"$K/union.files"
	apply_series "$stage"
	while read -r f; do
		if [ -f "$stage/$f" ]; then
			if ! cmp -s "$stage/$f" "$SRC/$f"; then
				say "  changed: $f"
				mkdir -p "$(dirname "$SRC/$f")"
				cp "$stage/$f" "$SRC/$f"
			fi
		elif [ -e "$SRC/$f" ]; then
			say "  removed: $f"
			rm -f "$SRC/$f"
		fi
	done <"$K/union.files"
	rm -rf "$stage" "$K/union.files"
	patch_files "${patches[@]}" >"$K/src.files"
	echo "$src_key $series_key" >"$K/src.stamp"
fi

# ---- configuration --------------------------------------------------------
if [ "$(cat "$OUT/.bpfam-config-key" 2>/dev/null)" != "$config_key" ] ||
	[ ! -f "$OUT/.config" ]; then
	say "configuring: tinyconfig + ${FRAGMENTS[*]#"$KPATCH/"}"
	mkdir -p "$OUT"
	rm -f "$OUT/.bpfam-config-key"
	make -s -C "$SRC" O="$OUT" tinyconfig >/dev/null
	# merge_config.sh writes its temporary files into the current directory
	(cd "$OUT" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" \
		"$OUT/.config" "${FRAGMENTS[@]}" >/dev/null)
	make -s -C "$SRC" O="$OUT" olddefconfig >/dev/null
	# What the fragments ask, a later fragment's line overriding an
	# earlier one's (config.bench turns config's lockdep off).
	declare -A want=()
	order=()
	while read -r line; do
		case $line in
		CONFIG_*=y)
			opt=${line%%=*}
			val=y
			;;
		CONFIG_*=n | "# CONFIG_"*" is not set")
			opt=${line%%=*}
			opt=${opt#\# }
			opt=${opt%% *}
			val=n
			;;
		"" | "#"*) continue ;;
		*) die "kpatch/config: cannot check line '$line' (use CONFIG_X=y or CONFIG_X=n)" ;;
		esac
		[ -n "${want[$opt]:-}" ] || order+=("$opt")
		want[$opt]=$val
	done < <(cat "${FRAGMENTS[@]}")
	missing=()
	for opt in "${order[@]}"; do
		if [ "${want[$opt]}" = y ]; then
			grep -qx "$opt=y" "$OUT/.config" || missing+=("$opt=y")
		else
			grep -Eq "^$opt=[ym]" "$OUT/.config" && missing+=("$opt=n")
		fi
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "kernel: error: these kpatch/config options are not set so in $OUT/.config" >&2
		echo "kernel: (a dependency is off: add it to the fragment)" >&2
		printf '  %s\n' "${missing[@]}" >&2
		exit 1
	fi
	echo "$config_key" >"$OUT/.bpfam-config-key"
fi

# ---- build ----------------------------------------------------------------
say "building bzImage (make -j$JOBS, log: $K/build.log)"
start=$(date +%s)
if ! make -C "$SRC" O="$OUT" -j"$JOBS" bzImage >"$K/build.log" 2>&1; then
	grep -E 'error|Error' "$K/build.log" | head -40 >&2 || true
	tail -20 "$K/build.log" >&2
	die "kernel build failed; full log: $K/build.log"
fi
cp "$OUT/arch/x86/boot/bzImage" "$K/bzImage"
ln -f "$OUT/vmlinux" "$K/vmlinux"
echo "$key" >"$K/key"
say "built in $(($(date +%s) - start)) s: $K/bzImage ($(make -s -C "$SRC" O="$OUT" kernelrelease 2>/dev/null))"
