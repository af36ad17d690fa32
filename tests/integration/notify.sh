#!/bin/bash
# bpfamd and systemd: under a NOTIFY_SOCKET listener (notify.py, standing in
# for systemd), bpfamd -f sends READY=1 once, when its mount answers, and
# never for a mount it refuses; and pkg/bpfam@.service passes
# systemd-analyze verify (systemd need not be PID 1 for that).
# usage: tests/integration/notify.sh BUILD
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tap.sh
. tests/integration/daemon_lib.sh
dl_init "$1"
NOTIFY=tests/integration/notify.py

dl_mkfs 64M || { echo "Bail out! cannot format $DEV"; exit 1; }
mnt=$(dl_mountpoint ready)
out=$("$PY" $NOTIFY "$mnt" 10 "$BPFAMD" -f "$DEV" "$mnt")
pid=$(sed -n 's/^pid //p' <<<"$out")
DL_PID[$mnt]=$pid
stdout_has "bpfamd -f sends READY=1" '^ready ' echo "$out"
stdout_has "at READY=1 the mount is up and answers" \
	'^ready mounted=1 answers=1 ' echo "$out"
stdout_has "READY=1 is sent once" ' count=1 ' echo "$out"
stdout_has "STATUS= names the device and the mountpoint" \
	"STATUS=serving $DEV at $mnt" echo "$out"
check "a clean unmount ends the notifying daemon" dl_stop "$mnt"

# A refusal comes before the mount: no READY=1, exit 1.
out=$("$PY" $NOTIFY "$mnt" 10 "$BPFAMD" -f "$DL_TMP/no-such-device" "$mnt")
stdout_has "a refused mount never sends READY=1 and exits 1" \
	'^noready exit=1$' echo "$out"

# The unit as make install writes it, pointing at the bpfamd under test.
unit=$DL_TMP/bpfam@mnt-x.service
sed "s|@SBINDIR@|$(realpath "$(dirname "$BPFAMD")")|" pkg/bpfam@.service.in >"$unit"
# verify runs man for Documentation=: let it find the built page.
mkdir -p "$DL_TMP/man/man8"
cp "$1/man/bpfamd.8" "$DL_TMP/man/man8/" 2>/dev/null
if command -v systemd-analyze >/dev/null; then
	stdout_has "bpfam@.service passes systemd-analyze verify" '^$' \
		env MANPATH="$DL_TMP/man" systemd-analyze verify "$unit"
else
	ok "bpfam@.service passes systemd-analyze verify # SKIP no systemd-analyze"
fi
tap_done
