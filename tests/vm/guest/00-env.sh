#!/bin/bash
# The guest environment itself: devdax, FUSE, bpffs, BTF and the tools.
# Needs no project binary: it proves the harness.
. /vmtests/tap.sh
. /vmtests/guest/lib.sh

check "/dev/dax0.0 is a character device" test -c /dev/dax0.0
ns=$(ndctl list -N 2>&1)
echo "$ns" | sed 's/^/# /'
check "ndctl: namespace0.0 is devdax" grep -Eq '"mode": ?"devdax"' <<<"$ns"
check "ndctl: page structures in RAM (map=mem)" grep -Eq '"map": ?"mem"' <<<"$ns"
dax=$(daxctl list 2>&1)
echo "$dax" | sed 's/^/# /'
check "daxctl: dax0.0 align 2M" grep -Eq '"align": ?2097152' <<<"$dax"
size=$(grep -Eo '"size": ?[0-9]+' <<<"$dax" | grep -Eo '[0-9]+$')
check "daxctl: dax0.0 is about 1 GiB (size ${size:-?})" \
	test "${size:-0}" -ge $((1000 << 20))
check "/dev/fuse is a character device" test -c /dev/fuse
check "bpffs is mounted at /sys/fs/bpf" grep -q ' /sys/fs/bpf bpf ' /proc/mounts
check "kernel BTF at /sys/kernel/btf/vmlinux" test -s /sys/kernel/btf/vmlinux
check "kallsyms has symbols" grep -q ' fuse_fill_super$' /proc/kallsyms
bpftool version 2>&1 | sed 's/^/# /'
check "bpftool version runs" bash -c 'bpftool version >/dev/null'
check "bpftool reads the kernel BTF" \
	bash -c 'bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "STRUCT .fuse_conn."'
check "fusermount3 is there" test -x "$(command -v fusermount3)"

# raw devdax through mmap: write 4 MiB at the start, read it back
pattern /tmp/raw.ref 131072
check "mmap write to /dev/dax0.0" mmapcheck write /dev/dax0.0 /tmp/raw.ref
check "mmap read back from /dev/dax0.0" mmapcheck cmp /dev/dax0.0 /tmp/raw.ref

# fio runs (needs SYSVIPC) and verifies on tmpfs
check "fio write+verify on tmpfs" \
	fio --name=env --filename=/tmp/fio.env --size=8M --bs=1M --rw=write \
	--verify=crc32c --do_verify=1 --output=/tmp/fio.env.log
grep -q 'err= 0' /tmp/fio.env.log || show_log /tmp/fio.env.log
rm -f /tmp/fio.env /tmp/raw.ref
tap_done
