#!/bin/bash
# Builds the guest's initramfs, $BUILD/vm/initramfs.cgz: busybox (a link per
# applet), bash, ndctl, daxctl, bpftool, fio, fusermount3, jq, the project's
# binaries and BPF objects from $BUILD (those that exist), the test helpers
# $BUILD/vm/{vmexit,mmapcheck,fastio,fmapedit,daxioctl,readlat}, each with
# the shared libraries ldd lists, plus tests/vm/init as /init and the guest
# tests under /vmtests.
# Rebuilt only when one of its inputs changed (name, size, time stamp).
#
# usage: BUILD=build tests/vm/initramfs.sh    (from the top of the repo)
set -euo pipefail

BUILD=${BUILD:-build}
VM=$BUILD/vm
OUT=$VM/initramfs.cgz
ROOT=$VM/rootfs

say() { echo "initramfs: $*"; }
die() {
	echo "initramfs: error: $*" >&2
	exit 1
}

# Host tools (must exist) and project files (whichever exist).  bpftool:
# VMTEST_BPFTOOL, else the one the project builds ($BUILD/bpftool/bpftool,
# newer than Debian's), else the host's.
tools=(busybox bash ndctl daxctl bpftool fio fusermount3 jq)
bpftool=${VMTEST_BPFTOOL:-}
[ -z "$bpftool" ] && [ -x "$BUILD/bpftool/bpftool" ] && bpftool=$BUILD/bpftool/bpftool
[ -z "$bpftool" ] && bpftool=$(command -v bpftool)
tool_path() { # NAME: where the image's copy of tool NAME comes from
	if [ "$1" = bpftool ]; then echo "$bpftool"; else command -v "$1"; fi
}
hostbins=()
for t in "${tools[@]}"; do
	p=$(tool_path "$t") && [ -x "$p" ] || die "no '$t' on this host (make deps)"
	hostbins+=("$(readlink -f "$p")")
done
projbins=()
for f in "$BUILD/bpfam" "$BUILD/bpfamd" "$VM"/vmexit "$VM"/mmapcheck \
	"$VM"/fastio "$VM"/fmapedit "$VM"/daxioctl "$VM"/readlat; do
	[ -x "$f" ] && projbins+=("$f")
done
bpfobjs=()
for f in "$BUILD"/bpf/*.o; do
	[ -f "$f" ] && bpfobjs+=("$f")
done
guestfiles=(tests/vm/init tests/tap.sh)
while IFS= read -r f; do guestfiles+=("$f"); done < <(find tests/vm/guest -type f | sort)

# The stamp: every input with its size and time stamp, and this script.
stamp=$( (
	stat -c '%n %s %Y' "$0" "${hostbins[@]}" "${projbins[@]}" \
		"${bpfobjs[@]}" "${guestfiles[@]}"
) | sha256sum | cut -c1-16)
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$stamp" ]; then
	say "up to date: $OUT"
	exit 0
fi

say "building $OUT"
rm -rf "$ROOT" "$OUT.stamp"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,root,vmtests}

# An ELF binary plus every library it needs, at the same paths as here.
libs() {
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'
}
copy_with_libs() { # SRC DEST
	cp -L "$1" "$ROOT$2"
	local l
	for l in $(libs "$1"); do
		if [ ! -e "$ROOT$l" ]; then
			mkdir -p "$ROOT$(dirname "$l")"
			cp -L "$l" "$ROOT$l"
		fi
	done
}

# busybox and one link per applet (not 'busybox' itself: that link would
# replace the binary with a symlink loop)
cp -L "$(command -v busybox)" "$ROOT/bin/busybox"
for applet in $(busybox --list-full); do
	case $applet in */busybox) continue ;; esac
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done
for t in "${tools[@]:1}"; do
	rm -f "$ROOT/usr/bin/$t" "$ROOT/bin/$t"
	copy_with_libs "$(tool_path "$t")" "/usr/bin/$t"
done
ln -sf /usr/bin/bash "$ROOT/bin/bash"
for f in "${projbins[@]}"; do
	copy_with_libs "$f" "/usr/bin/$(basename "$f")"
done
if [ ${#bpfobjs[@]} -gt 0 ]; then
	mkdir -p "$ROOT/usr/lib/bpfam/bpf"
	cp "${bpfobjs[@]}" "$ROOT/usr/lib/bpfam/bpf/"
fi
# what the project put in the image, for the guest tests to report
printf '%s\n' "${projbins[@]##*/}" "${bpfobjs[@]##*/}" >"$ROOT/vmtests/MANIFEST"

cp tests/vm/init "$ROOT/init"
chmod +x "$ROOT/init"
cp tests/tap.sh "$ROOT/vmtests/tap.sh"
cp -r tests/vm/guest "$ROOT/vmtests/"
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
EOF
ln -s /proc/mounts "$ROOT/etc/mtab"
echo 'user_allow_other' >"$ROOT/etc/fuse.conf"

(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
rm -rf "$ROOT"
echo "$stamp" >"$OUT.stamp"
say "built $OUT ($(du -h "$OUT" | cut -f1); project files: ${projbins[*]##*/} ${bpfobjs[*]##*/})"
