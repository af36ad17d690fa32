#!/bin/bash
# The everyday bpfam commands through a mounted bpfamd (fallback mode on
# this kernel): cp -r, creat --random with verify, check, paths outside a
# bpfam refused, mkdir -m with the setgid bit, decimal sizes, --version.
# Every success and every refusal, with its exit status and message.
#
# check is shown an overlap through $BUILD/tests/fmap_shim.so, an
# LD_PRELOAD shim that alters the user.bpfam.fmap the CLI reads: the
# daemon refuses overlapping fmaps when it plays the log, so no real
# filesystem can serve one.
#
# usage: tests/integration/cli_more.sh [BUILD]   (default: build)
# shellcheck disable=SC2317
set -u
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/daemon_lib.sh"
dl_init "${1:-build}"
SHIM=$(realpath "${1:-build}")/tests/fmap_shim.so
OUT=$DL_TMP/outside # a directory on tmpfs, not on a bpfam

test_version() {
	stdout_has "bpfam --version prints the version" '^bpfam [0-9a-z.~+-]+$' \
		"$BPFAM" --version
	stdout_has "bpfam help lists --version" "bpfam --version" "$BPFAM" help
}

test_sizes() {
	check "creat -s 1.5M (a decimal size)" "$BPFAM" creat -s 1.5M "$MNT/dec"
	check "... is 1.5 MiB exactly" \
		test "$(stat -c %s "$MNT/dec")" -eq $((3 << 19))
	check "creat -s 0.5K rounds to 512 bytes" "$BPFAM" creat -s 0.5K "$MNT/half"
	check "... 512 bytes" test "$(stat -c %s "$MNT/half")" -eq 512
	check_err "a fraction of a byte is a usage error" 2 \
		"--size '1.5': not a size" "$BPFAM" creat -s 1.5 "$MNT/x"
	check_err "a negative size is a usage error" 2 \
		"--size '-1K': not a size" "$BPFAM" creat -s -1K "$MNT/x"
	check_err "garbage after the fraction is a usage error" 2 \
		"not a size" "$BPFAM" creat -s 1.5.5G "$MNT/x"
	check_err "an overflowing size is a usage error" 2 \
		"not a size" "$BPFAM" creat -s 16384.5P "$MNT/x"
}

test_mkdir() {
	check "mkdir -m 2775 makes a setgid directory" \
		"$BPFAM" mkdir -m 2775 "$MNT/shared"
	check "... whose mode is 2775" \
		test "$(stat -c %a "$MNT/shared")" = 2775
	check "mkdir -p -m 3770 makes parents and a setgid, sticky leaf" \
		"$BPFAM" mkdir -p -m 3770 "$MNT/p/q/r"
	check "... whose mode is 3770" test "$(stat -c %a "$MNT/p/q/r")" = 3770
	check_err "mkdir -m 17777 is a usage error" 2 \
		"--mode '17777': need an octal mode, 0 to 7777" \
		"$BPFAM" mkdir -m 17777 "$MNT/bad"
	check_err "mkdir outside a bpfam is refused" 1 \
		"^bpfam mkdir: $OUT/d: not on a mounted bpfam \(it is on the tmpfs mount at /dev/shm\)$" \
		"$BPFAM" mkdir "$OUT/d"
	check "... and made nothing" test ! -e "$OUT/d"
	check_err "mkdir -p outside a bpfam is refused" 1 \
		"$OUT/d1/d2: not on a mounted bpfam" "$BPFAM" mkdir -p "$OUT/d1/d2"
	check "... and made nothing" test ! -e "$OUT/d1"
}

test_random() {
	local f=$MNT/rnd seed

	check "creat --random --seed 42 fills a new file" \
		"$BPFAM" creat -s 5M --random --seed 42 "$f"
	check "verify --seed 42 passes" "$BPFAM" verify --seed 42 "$f"
	check "verify -S 0x2a (the same seed in hex) passes" \
		"$BPFAM" verify -S 0x2a "$f"
	check_err "verify with another seed fails at offset 0" 1 \
		"^bpfam verify: $f: differs from the stream of seed 43 at offset 0$" \
		"$BPFAM" verify --seed 43 "$f"
	check "the stream is not all zero bytes" \
		test "$(head -c 64K "$f" | tr -d '\0' | wc -c)" -gt 60000
	check "creat -r -S 42 of another file makes the same bytes" \
		bash -c "'$BPFAM' creat -s 5M -r -S 42 '$MNT/rnd2' && cmp -s '$f' '$MNT/rnd2'"
	printf 'X' | dd of="$f" bs=1 seek=$((3 << 20 | 5)) conv=notrunc \
		status=none
	check_err "verify names the first byte that differs" 1 \
		"$f: differs from the stream of seed 42 at offset 3145733$" \
		"$BPFAM" verify --seed 42 "$f"
	seed=$("$BPFAM" creat -s 3M --random "$MNT/rnd3" | sed -n 's/.*: seed //p')
	check "creat --random without --seed prints the seed it chose" \
		test -n "$seed"
	check "... which verify accepts" "$BPFAM" verify --seed "$seed" "$MNT/rnd3"
	check "creat --random --interleave 3 and verify" bash -c \
		"'$BPFAM' creat -s 13M --interleave 3 -r -S 7 '$MNT/rndil' &&
		 '$BPFAM' verify -S 7 '$MNT/rndil'"
	check_err "--seed without --random is a usage error" 2 \
		"--seed needs --random" "$BPFAM" creat -s 1M --seed 1 "$MNT/x"
	check_err "a bad seed is a usage error" 2 \
		"--seed 'x1': need a number" "$BPFAM" creat -s 1M -r -S x1 "$MNT/x"
	check_err "verify without --seed is a usage error" 2 "need --seed" \
		"$BPFAM" verify "$f"
	check_err "verify of a missing file" 1 \
		"$MNT/none: No such file or directory \(ENOENT\)" \
		"$BPFAM" verify --seed 1 "$MNT/none"
	check_err "verify of an unsized file" 1 \
		"$MNT/unsized: nothing to verify: it is empty" \
		bash -c "touch '$MNT/unsized' && '$BPFAM' verify --seed 1 '$MNT/unsized'"
	head -c 1M /dev/zero >"$OUT/z"
	check_err "verify outside a bpfam is refused" 1 \
		"$OUT/z: not on a mounted bpfam" "$BPFAM" verify --seed 1 "$OUT/z"
	check_err "creat outside a bpfam is refused" 1 \
		"^bpfam creat: $OUT/new: not on a mounted bpfam \(it is on the tmpfs mount at /dev/shm\)$" \
		"$BPFAM" creat -s 1M "$OUT/new"
	check "... and made nothing" test ! -e "$OUT/new"
	stdout_has "bpfam verify --help" "^usage: bpfam verify --seed N FILE" \
		"$BPFAM" verify --help
}

# A source tree: files of several sizes, an empty file, an empty directory.
make_tree() {
	local s=$1

	mkdir -p "$s/sub/deeper" "$s/emptydir"
	head -c 1M /dev/urandom >"$s/a"
	head -c 4097 /dev/urandom >"$s/sub/b"
	head -c 3M /dev/urandom >"$s/sub/deeper/c"
	: >"$s/empty"
}

test_cp_r() {
	local s=$DL_TMP/src t=$DL_TMP/src2

	make_tree "$s"
	mkdir -p "$t" && head -c 5000 /dev/urandom >"$t/f"
	check "cp -r SRC NEWDIR copies a tree" "$BPFAM" cp -r "$s" "$MNT/tree"
	check "... identical to its source (diff -r)" diff -r "$s" "$MNT/tree"
	check "... directories keep their mode" \
		test "$(stat -c %a "$s/sub")" = "$(stat -c %a "$MNT/tree/sub")"
	check "cp -r SRC EXISTINGDIR copies it in, as cp(1)" \
		"$BPFAM" cp -r "$s" "$MNT/tree"
	check "... at EXISTINGDIR/SRC" diff -r "$s" "$MNT/tree/src"
	check "cp -R of several sources, files and directories, into a dir" \
		"$BPFAM" cp -R "$s/" "$t" "$s/a" "$MNT/p"
	check "... each under its name (a trailing slash too)" bash -c \
		"diff -r '$s' '$MNT/p/src' && diff -r '$t' '$MNT/p/src2' &&
		 cmp '$s/a' '$MNT/p/a'"
	check "cp --recursive --interleave 2 copies a tree interleaved" \
		"$BPFAM" cp --recursive --interleave 2 "$s" "$MNT/iltree"
	stdout_has "... its files are interleaved" "interleaved over 2 strips" \
		"$BPFAM" getmap "$MNT/iltree/sub/deeper/c"
	check "... and identical" diff -r "$s" "$MNT/iltree"
	check_err "cp without -r omits a directory" 1 \
		"omitting directory '$s' \(copy directories with -r\)" \
		"$BPFAM" cp "$s" "$MNT/norec"
	check "... and makes nothing" test ! -e "$MNT/norec"
	ln -s a "$s/link"
	check_err "cp -r refuses a symlink in the tree, copies the rest" 1 \
		"^bpfam cp: $s/link: not a regular file, not copied$" \
		"$BPFAM" cp -r "$s" "$MNT/withlink"
	check "... the rest is there" cmp "$s/sub/deeper/c" \
		"$MNT/withlink/sub/deeper/c"
	rm "$s/link"
	check_err "cp -r SRC/. merges into DEST, never replacing a file" 1 \
		"$MNT/tree/\./a: File exists \(EEXIST\)" \
		"$BPFAM" cp -r "$s/." "$MNT/tree"
	check_err "cp -r of a directory into itself is refused" 1 \
		"cannot copy a directory, '$MNT/tree', into itself, '$MNT/tree/sub/tree'" \
		"$BPFAM" cp -r "$MNT/tree" "$MNT/tree/sub"
	check "... and makes nothing" test ! -e "$MNT/tree/sub/tree"
	check_err "cp -r onto an existing file is refused" 1 \
		"$MNT/dec: Not a directory \(ENOTDIR\)" \
		"$BPFAM" cp -r "$s" "$MNT/dec"
	check_err "cp -r to a destination outside a bpfam is refused" 1 \
		"^bpfam cp: $OUT/t: not on a mounted bpfam \(it is on the tmpfs mount at /dev/shm\)$" \
		"$BPFAM" cp -r "$s" "$OUT/t"
	check "... and copied nothing" test ! -e "$OUT/t"
	check_err "cp of a file outside a bpfam is refused" 1 \
		"$OUT/a: not on a mounted bpfam" "$BPFAM" cp "$s/a" "$OUT/a"
	check_err "cp -r of a missing source" 1 \
		"$DL_TMP/none: No such file or directory \(ENOENT\)" \
		"$BPFAM" cp -r "$DL_TMP/none" "$MNT/p"
	check_err "cp -x is a usage error" 2 "unknown option '-x'" \
		"$BPFAM" cp -x "$s" "$MNT/p"
}

# check_shimmed WHAT PATTERN VAR=VALUE...: bpfam check with the shim's
# variables set exits 1 and says PATTERN.
check_shimmed() {
	local what=$1 pat=$2
	shift 2
	check_err "$what" 1 "$pat" env LD_PRELOAD="$SHIM" "$@" \
		"$BPFAM" check "$MNT"
}

test_check() {
	local a=$MNT/dec b=$MNT/rnd

	stdout_has "check of a sound filesystem" \
		"^$MNT: [0-9]+ files with extents, [0-9]+ unsized, [0-9]+ directories: every extent inside $DEV, none overlapping" \
		"$BPFAM" check "$MNT"
	stdout_has "check of a path inside the mount checks the mount" \
		"^$MNT: .* none overlapping" "$BPFAM" check "$MNT/tree/sub"
	stdout_has "check through the shim, doing nothing, still passes" \
		"none overlapping" env LD_PRELOAD="$SHIM" "$BPFAM" check "$MNT"
	check_shimmed "check names both files of an overlap" \
		"^bpfam check: ($a and $b|$b and $a) overlap \(device offset 0x[0-9a-f]+, length 0x[0-9a-f]+\)$" \
		BPFAM_SHIM_FILE="$b" BPFAM_SHIM_FROM="$a"
	check_shimmed "... and counts the problems" \
		"^bpfam check: $MNT: 1 problem$" \
		BPFAM_SHIM_FILE="$b" BPFAM_SHIM_FROM="$a"
	check_shimmed "check finds an overlap with an interleaved file" \
		" overlap " BPFAM_SHIM_FILE="$MNT/tree/a" \
		BPFAM_SHIM_FROM="$MNT/iltree/sub/deeper/c"
	check_shimmed "check finds an extent past the end of the device" \
		"$b: extent 0 \(device offset 0x10000000000, length 0x[0-9a-f]+\) is outside the data area \[0x[0-9a-f]+, 0x40000000\)" \
		BPFAM_SHIM_FILE="$b" BPFAM_SHIM_DEV_OFF=$((1 << 40))
	check_shimmed "check finds an extent in the metadata log" \
		"$b: extent 0 \(device offset 0x200000, .*outside the data area" \
		BPFAM_SHIM_FILE="$b" BPFAM_SHIM_DEV_OFF=$((2 << 20))
	check_shimmed "check finds an unaligned extent (the resolver's check)" \
		"$b: bad fmap" BPFAM_SHIM_FILE="$b" BPFAM_SHIM_DEV_OFF=4096
	check_err "check outside a bpfam is refused" 1 \
		"^bpfam check: $OUT: not on a mounted bpfam \(it is on the tmpfs mount at /dev/shm\)$" \
		"$BPFAM" check "$OUT"
	check_err "check without a MOUNTPOINT is a usage error" 2 \
		"need exactly one MOUNTPOINT" "$BPFAM" check
	stdout_has "bpfam check --help" "^usage: bpfam check MOUNTPOINT" \
		"$BPFAM" check --help
}

main() {
	mkdir -p "$OUT"
	test_version
	if ! dl_mkfs 1G; then
		not_ok "mkfs of a 1 GiB device"
		return
	fi
	MNT=$(dl_mountpoint m)
	if ! dl_start "$MNT"; then
		not_ok "bpfamd mounts the device"
		return
	fi
	test_sizes
	test_mkdir
	test_random
	test_cp_r
	test_check
	check_err "flush outside a bpfam is refused" 1 \
		"$OUT/z: not on a mounted bpfam" "$BPFAM" flush "$OUT/z"
	check "bpfamd unmounts cleanly" dl_stop "$MNT"
}

main
tap_done
