#!/bin/bash
# Installs every Debian package the project builds, tests or demos with.
# Idempotent and silent when everything is already there.
set -eu

PKGS=(
	# build; libbpf and bpftool are built from linux-source-6.12's tools/
	# (bpf/toolchain.mk), which needs python3 and xz-utils too
	make gcc clang-19 llvm-19 pkg-config clang-format
	libdaxctl-dev libblkid-dev uuid-dev libjson-c-dev libisal-dev
	libfuse3-dev libelf-dev zlib1g-dev linux-source-6.12 python3 xz-utils
	libsystemd-dev
	# man pages (generated from docs/ by pandoc), make deb
	pandoc debhelper dpkg-dev
	# tests
	libcmocka-dev libclang-rt-19-dev fuse3 fio ndctl daxctl bpftool e2fsprogs util-linux jq attr
	# copytools.sh: rsync (its tar, cp and dd are essential packages)
	rsync
	# make lint
	clang-format-14 shellcheck
	# make test-install: systemd-analyze verify, man -w
	systemd man-db
	# kernel + VM testbed
	qemu-system-x86 busybox-static pahole flex bison bc libssl-dev cpio
	# benchmarks
	gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
