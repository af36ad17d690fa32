#!/bin/bash
# What a user other than root can and cannot do (docs/security.md): file
# permissions enforced by the kernel on a mounted bpfam, the BPF maps and
# their pins root's only, a root-only device closed to it, and bpfamd and
# the CLI refusing it.  Root, this kernel, fallback mode; the other user is
# nobody (setpriv).
#
# usage: tests/integration/security.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/daemon_lib.sh"
dl_init "$BUILD"

# bpf_obj_get PATH: BPF_OBJ_GET of a pin, as bpftool does it: OK or errno.
bpf_obj_get() {
	"$PY" - "$1" <<'PY'
import ctypes, errno, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
path = ctypes.create_string_buffer(sys.argv[1].encode())
# union bpf_attr for BPF_OBJ_GET (7): pathname, bpf_fd, file_flags.
attr = ctypes.create_string_buffer(
    struct.pack("<QII", ctypes.addressof(path), 0, 0), 128)
fd = libc.syscall(321, 7, attr, 128)  # __NR_bpf on x86_64
if fd < 0:
    print(errno.errorcode.get(ctypes.get_errno(), "?"))
else:
    os.close(fd)
    print("OK")
PY
}

# is_same WHAT WANT CMD...: CMD prints exactly WANT.
is_same() {
	local what=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1)
	if [ "$got" = "$want" ]; then ok "$what"; else not_ok "$what (got $got, want $want)"; fi
}

test_files() {
	mkdir -m 0700 "$MNT/private" && : >"$MNT/private/f"
	"$BPFAM" creat -s 2M "$MNT/secret" && chmod 0600 "$MNT/secret"
	: >"$MNT/public" && chmod 0644 "$MNT/public"
	mkdir -m 1777 "$MNT/shared"
	check_errno "nobody cannot open a 0600 file of root's" EACCES \
		--nobody open "$MNT/secret"
	check_errno "nobody cannot enter a 0700 directory of root's" EACCES \
		--nobody open "$MNT/private/f"
	check_errno "nobody can read a 0644 file" OK --nobody open "$MNT/public"
	check_errno "nobody cannot write a 0644 file of root's" EACCES \
		--nobody trunc-open "$MNT/public"
	check_errno "nobody cannot create in root's 0755 root directory" \
		EACCES --nobody creat "$MNT/mine"
	check_errno "nobody cannot mkdir there either" EACCES \
		--nobody mkdir "$MNT/mine"
	check_errno "nobody cannot chmod a file of root's" EPERM \
		--nobody chmod "$MNT/public" 0666
	check_errno "nobody can create in a 1777 directory" OK \
		--nobody creat "$MNT/shared/mine"
	is_same "what nobody creates is nobody's" "nobody" \
		stat -c %U "$MNT/shared/mine"
	check_errno "root can still open the 0600 file" OK open "$MNT/secret"
	check "root reads the fmap of the 0600 file" bash -c \
		"getfattr -n user.bpfam.fmap '$MNT/secret' >/dev/null 2>&1"
	if as_nobody getfattr -n user.bpfam.fmap "$MNT/secret" >/dev/null 2>&1; then
		not_ok "nobody cannot read the fmap of a file it cannot read"
	else
		ok "nobody cannot read the fmap of a file it cannot read"
	fi
}

test_maps() {
	local uuid dir pin

	uuid=$(awk '/^  uuid/ { print $2 }' < <("$BPFAM" fsck "$DEV"))
	dir=/sys/fs/bpf/bpfam/$uuid
	if [ ! -d "$dir" ]; then
		ok "# SKIP no BPF maps pinned (no bpffs here)"
		return
	fi
	pin=$(find "$dir" -mindepth 1 -maxdepth 1 | head -1)
	is_same "the pin directory is root's, mode 0700" "root 700" \
		stat -c '%U %a' "$dir"
	is_same "/sys/fs/bpf/bpfam is root's, mode 0700" "root 700" \
		stat -c '%U %a' /sys/fs/bpf/bpfam
	is_same "every pin is root's, mode 0600" "root 600" \
		bash -c "stat -c '%U %a' '$dir'/* | sort -u"
	is_same "root can open a pinned map" OK bpf_obj_get "$pin"
	is_same "nobody cannot open a pinned map" EACCES \
		as_nobody bash -c "$(declare -f bpf_obj_get); PY=$PY bpf_obj_get '$pin'"
	check_errno "nobody cannot list the pins" EACCES \
		--nobody open "$dir"
	if as_nobody bpftool map dump pinned "$pin" >/dev/null 2>&1; then
		not_ok "nobody cannot dump a pinned map with bpftool"
	else
		ok "nobody cannot dump a pinned map with bpftool"
	fi
}

test_device() {
	local mnt2

	chmod 0711 "$DL_TMP"
	chmod 0600 "$DEV"
	check_errno "nobody cannot open a root-only device" EACCES \
		--nobody open "$DEV"
	check_errno "nor write it" EACCES --nobody pwrite "$DEV" 0 1
	check_err "bpfam fsck as nobody: the device's permission, not checked (8)" \
		8 "$DEV: .*Permission denied" as_nobody "$BPFAM" fsck "$DEV"
	check_err "bpfam mkfs --force as nobody is refused" 1 \
		"$DEV: .*Permission denied" as_nobody "$BPFAM" mkfs --force "$DEV"
	mnt2=$(dl_mountpoint nobody)
	chmod 0777 "$mnt2"
	check_err "bpfamd as nobody refuses to mount" 1 "must run as root" \
		as_nobody "$BPFAMD" -f "$DEV" "$mnt2"
	if dl_mounted "$mnt2"; then
		not_ok "nothing was mounted by nobody"
	else
		ok "nothing was mounted by nobody"
	fi
}

main() {
	dl_mkfs 1G || { not_ok "mkfs"; return; }
	MNT=$(dl_mountpoint a)
	dl_start "$MNT" || { not_ok "bpfamd mounts"; return; }
	test_files
	test_maps
	test_device
}

main
tap_done
