#!/bin/bash
# user.* extended attributes through bpfamd (fallback mode, this kernel):
# setfattr/getfattr round trips, the errnos of XATTR_CREATE/REPLACE, value
# and per-inode limits, the control names (user.bpfam.*) kept out of
# listxattr and refused to setxattr, other namespaces, permissions as
# nobody, cp -a and rsync -X in and out, a client host that sees the
# primary's attributes and may not set any, and a remount that plays them
# back from the log.  Needs root.  usage: xattr.sh [BUILD-DIR]
set -u
HERE=$(dirname "$0")
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
# shellcheck source=tests/integration/daemon_lib.sh
. "$HERE/daemon_lib.sh"

dl_init "${1:-build}"
ID_A=aaaaaaaa-0000-0000-0000-00000000000a
ID_B=bbbbbbbb-0000-0000-0000-00000000000b
VMAX=61440 # BPFAM_XATTR_VALUE_MAX
A=$(dl_mountpoint a)
B=$(dl_mountpoint b)

# value_is FILE NAME VALUE: getfattr prints VALUE for NAME of FILE.
value_is() {
	[ "$(getfattr --only-values -n "$2" "$1" 2>/dev/null)" = "$3" ]
}

# names_are FILE NAME...: listxattr(FILE) is NAME... (sorted, any order).
names_are() {
	local f=$1
	shift
	[ "$("$PY" -c 'import os, sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$f")" = "$*" ]
}

# silently CMD...: CMD without its output (check prints its verdict there).
silently() {
	"$@" >/dev/null 2>&1
}

# stdout_has_exact TEXT PATTERN: a line of TEXT is the extended regex
# PATTERN.
stdout_has_exact() {
	grep -Eqx -- "$2" <<<"$1"
}

# attrs_of DIR: every attribute of everything under DIR (DIR included),
# one "PATH NAME HEX-VALUE" line each, in name order.
attrs_of() {
	"$PY" - "$1" <<'PYEOF'
import os, sys
top = sys.argv[1]
paths = [top]
for d, dirs, files in os.walk(top):
    paths += [os.path.join(d, n) for n in dirs + files]
for p in sorted(paths):
    for n in sorted(os.listxattr(p)):
        print(os.path.relpath(p, top), n, os.getxattr(p, n).hex())
PYEOF
}

start_pair() {
	rm -f "$DEV"
	truncate -s 256M "$DEV" &&
		"$BPFAM" mkfs --host-id "$ID_A" "$DEV" >/dev/null &&
		dl_start "$A" -o host-id=$ID_A &&
		dl_start "$B" -o host-id=$ID_B
}

test_round_trip() {
	: >"$A/f"
	mkdir "$A/d"
	check "setfattr a user.* attribute of a file" \
		setfattr -n user.mime -v text/plain "$A/f"
	check "getfattr reads it back" value_is "$A/f" user.mime text/plain
	check "replace it" setfattr -n user.mime -v text/html "$A/f"
	check "... getfattr reads the new value" \
		value_is "$A/f" user.mime text/html
	check "an empty value" setfattr -n user.empty "$A/f"
	check "... is there, empty" \
		[ "$("$PY" -c 'import os, sys; print(os.getxattr(*sys.argv[1:]))' "$A/f" user.empty)" = "b''" ]
	check "binary bytes round trip" \
		setfattr -n user.bin -v 0x00ff0a2f "$A/f"
	check "... byte for byte" \
		stdout_has_exact "$(getfattr -e hex -n user.bin "$A/f" 2>/dev/null)" \
		'user.bin=0x00ff0a2f'
	check "a directory's attribute" setfattr -n user.dir -v dv "$A/d"
	check "... reads back" value_is "$A/d" user.dir dv
	check "the root's attribute" setfattr -n user.root -v rv "$A"
	check "listxattr lists the file's names" \
		names_are "$A/f" user.bin user.empty user.mime
	check "setfattr -x removes one" setfattr -x user.empty "$A/f"
	check "... gone from the list" names_are "$A/f" user.bin user.mime
	check_errno "... and from getxattr: ENODATA" ENODATA \
		getxattr "$A/f" user.empty
}

test_control_names() {
	"$BPFAM" creat -s 2M "$A/sized" >/dev/null
	check "a sized file has user.bpfam.fmap to get" \
		silently getfattr -n user.bpfam.fmap "$A/sized"
	check "... but listxattr shows no user.bpfam.* name" \
		names_are "$A/sized"
	check "the root lists user.root, not user.bpfam.stats" \
		names_are "$A" user.root
	check "... which bpfam stats still reads" \
		[ "$(stats_of "$A" .role)" = primary ]
	check "getfattr -d -m - never shows user.bpfam.*" \
		sh -c "! getfattr -R -d -m - '$A' 2>/dev/null | grep -q user.bpfam"
	check_errno "setting user.bpfam.foo: EPERM" EPERM \
		setxattr "$A/f" user.bpfam.foo 1
	check_errno "setting user.bpfam.fmap: EPERM" EPERM \
		setxattr "$A/sized" user.bpfam.fmap 1
	check_errno "removing user.bpfam.fmap: EPERM" EPERM \
		removexattr "$A/sized" user.bpfam.fmap
	check_errno "getting user.bpfam.foo: ENODATA" ENODATA \
		getxattr "$A/f" user.bpfam.foo
	check_errno "user.bpfam.layout stays the control write" OK \
		setxattr "$A/f" user.bpfam.layout strips=2,chunk=2097152
	check "... and is no attribute of the file" \
		names_are "$A/f" user.bin user.mime
	check_errno "trusted.*: EOPNOTSUPP" EOPNOTSUPP \
		setxattr "$A/f" trusted.x 1
	check_errno "security.*: EOPNOTSUPP" EOPNOTSUPP \
		setxattr "$A/f" security.x 1
	check_errno "removing trusted.*: EOPNOTSUPP" EOPNOTSUPP \
		removexattr "$A/f" trusted.x
	check_errno "getting system.posix_acl_access: ENODATA (no ACL)" \
		ENODATA getxattr "$A/f" system.posix_acl_access
}

test_errnos_and_limits() {
	check_errno "XATTR_CREATE of an existing name: EEXIST" EEXIST \
		setxattr-len "$A/f" user.mime 3 1
	check_errno "XATTR_REPLACE of an absent name: ENODATA" ENODATA \
		setxattr-len "$A/f" user.none 3 2
	check_errno "XATTR_CREATE of a new name" OK \
		setxattr-len "$A/f" user.new 3 1
	check_errno "XATTR_REPLACE of it" OK setxattr-len "$A/f" user.new 4 2
	check_errno "removing an absent name: ENODATA" ENODATA \
		removexattr "$A/f" user.none
	check_errno "getxattr into too small a buffer: ERANGE" ERANGE \
		getxattr "$A/f" user.mime 3
	check_errno "getxattr into a buffer just big enough" OK \
		getxattr "$A/f" user.mime 9
	check_errno "the empty name user.: EINVAL" EINVAL \
		setxattr "$A/f" user. 1
	check_errno "a $VMAX-byte value (the most)" OK \
		setxattr-len "$A/f" user.big $VMAX
	check "... reads back whole" \
		[ "$(getfattr --only-values -n user.big "$A/f" 2>/dev/null | wc -c)" = $VMAX ]
	check_errno "one byte more: E2BIG" E2BIG \
		setxattr-len "$A/d" user.big $((VMAX + 1))
	check_errno "over the kernel's 64 KiB: E2BIG" E2BIG \
		setxattr-len "$A/d" user.big 65537
	check_errno "a second big value on the file: ENOSPC (64 KiB per inode)" \
		ENOSPC setxattr-len "$A/f" user.big2 8192
	check_errno "... which another inode still has room for" OK \
		setxattr-len "$A/d" user.big2 8192
	check_errno "removing the big value" OK removexattr "$A/f" user.big
	check_errno "... makes room again" OK \
		setxattr-len "$A/f" user.big2 8192
}

test_permissions() {
	: >"$A/mine"
	chmod 644 "$A/mine"
	: >"$A/secret"
	chmod 600 "$A/secret"
	setfattr -n user.s -v s "$A/secret"
	setfattr -n user.m -v m "$A/mine"
	: >"$A/nobodys"
	chown nobody:nogroup "$A/nobodys"
	check_errno "nobody reads user.* of a 0644 file" OK --nobody \
		getxattr "$A/mine" user.m
	check_errno "nobody cannot set user.* of root's 0644 file: EACCES" \
		EACCES --nobody setxattr "$A/mine" user.x 1
	check_errno "nobody cannot read user.* of a 0600 file: EACCES" \
		EACCES --nobody getxattr "$A/secret" user.s
	check_errno "nobody sets user.* of its own file" OK --nobody \
		setxattr "$A/nobodys" user.n 1
	check_errno "... and removes it" OK --nobody \
		removexattr "$A/nobodys" user.n
}

test_copies() {
	local src=$DL_TMP/src back=$DL_TMP/back

	mkdir -p "$src/sub"
	: >"$src/empty"
	setfattr -n user.one -v 1 "$src/empty"
	setfattr -n user.bin -v 0x00ff "$src/sub"
	setfattr -n user.long -v "$(head -c 4000 /dev/zero | tr '\0' x)" \
		"$src/empty"
	check "cp -a of a tree with user.* attributes into bpfam" \
		cp -a "$src" "$A/cpa"
	check "... copies every attribute" \
		[ "$(attrs_of "$src")" = "$(attrs_of "$A/cpa")" ]
	if command -v rsync >/dev/null; then
		# --inplace: no rename(2) into place, which bpfam lacks.
		check "rsync -aX --inplace into bpfam" \
			rsync -aX --inplace "$src/" "$A/rs/"
		check "... copies every attribute" \
			[ "$(attrs_of "$src")" = "$(attrs_of "$A/rs")" ]
	else
		ok "rsync -aX into bpfam # SKIP rsync not installed"
		ok "... copies every attribute # SKIP rsync not installed"
	fi
	setfattr -n user.s -v 2m "$A/sized"
	mkdir "$back"
	check "cp -a out of bpfam" cp -a "$A/sized" "$A/cpa" "$back"
	check "... copies user.* and no user.bpfam.* name" \
		[ "$(getfattr -d -m - "$back/sized" 2>/dev/null | grep -c user)" = 1 ]
	check "... the tree's attributes too" \
		[ "$(attrs_of "$src")" = "$(attrs_of "$back/cpa")" ]
	check "... whose attributes are those of the source" \
		[ "$(attrs_of "$back/sized")" = "$(attrs_of "$A/sized")" ]
}

test_client() {
	check "the client reads the primary's attribute" \
		value_is "$B/f" user.mime text/html
	check "... and lists the same names" \
		[ "$(attrs_of "$A")" = "$(attrs_of "$B")" ]
	check_errno "client: setxattr: EROFS" EROFS setxattr "$B/f" user.c 1
	check_errno "client: removexattr: EROFS" EROFS \
		removexattr "$B/f" user.mime
	check "... which left it alone" value_is "$A/f" user.mime text/html
	setfattr -n user.mime -v later "$A/f"
	check "the client sees a new value at once" \
		value_is "$B/f" user.mime later
	setfattr -x user.mime "$A/f"
	check_errno "... and a removal" ENODATA getxattr "$B/f" user.mime
}

test_remount() {
	local before
	setfattr -n user.mime -v again "$A/f"
	before=$(attrs_of "$A")
	dl_stop "$B"
	check "the primary unmounts" dl_stop "$A"
	check "fsck: the log with attributes is clean" \
		silently "$BPFAM" fsck "$DEV"
	check "logdump shows an xattr record by name and length" \
		stdout_has_exact "$("$BPFAM" logdump "$DEV")" \
		'.* xattr ino [0-9]+ set "user.big" value_len 61440 time_ns [0-9]+'
	check "... and a removal by name" \
		stdout_has_exact "$("$BPFAM" logdump "$DEV")" \
		'.* xattr ino [0-9]+ remove "user.empty" time_ns [0-9]+'
	check "... never the value's bytes" \
		sh -c "! '$BPFAM' logdump '$DEV' | grep -q text/html"
	check "logdump --json: name, op and value_len" \
		sh -c "'$BPFAM' logdump --json '$DEV' | jq -e '[.[] | select(.type == \"xattr\" and .op == \"set\" and .name == \"user.big\")][0].value_len == $VMAX' >/dev/null"
	if ! dl_start "$A" -o host-id=$ID_A; then
		not_ok "the primary mounts again"
		return
	fi
	ok "the primary mounts again"
	check "every attribute is back, played from the log" \
		[ "$(attrs_of "$A")" = "$before" ]
	check "... and can change" setfattr -n user.mime -v third "$A/f"
}

if ! start_pair; then
	not_ok "a primary and a client mount one device"
else
	ok "a primary and a client mount one device"
	test_round_trip
	test_control_names
	test_errnos_and_limits
	test_permissions
	test_copies
	test_client
	test_remount
fi
tap_done
