#!/bin/bash
# Runs the guest tests in qemu on an emulated NVDIMM (a file in /dev/shm)
# and prints their TAP lines and "N passed, N failed".  Exit status 0 only
# if every guest test passed and every guest ended by reporting (no hang, no
# panic, no crash).
#
# usage: BUILD=build tests/vm/vmtest.sh [single] [two]    (default: both)
#   single  one guest: namespace set-up, then tests/vm/guest/[0-9]*.sh
#   two     two guests at once on one backing file: A (primary) creates the
#           namespace, B (client) boots once A reported "@@ns-ready"; each
#           runs tests/vm/guest/multi/*/{primary,client}.sh in lock step
#
# Environment:
#   VMTEST_TIMEOUT=600        seconds one qemu may run before it counts as hung
#   VMTEST_SMP=2 VMTEST_MEM=1G  guest CPUs and RAM
#   VMTEST_TESTS=a.sh,b.sh    single-guest tests to run (default: all)
#   VMTEST_MULTI_TESTS=01-share  two-guest tests to run (default: all)
#   VMTEST_SELFTEST_FAIL=1    add a guest test that fails (single guest)
#   VMTEST_SELFTEST_PANIC=1   make the single guest's /init exit (panic)
#   VMTEST_APPEND='...'       more kernel command line words
#   VMTEST_KERNEL=PATH        the bzImage to boot ($BUILD/kernel/bzImage)
# Logs: $BUILD/vm/<guest>.console.log (serial console), <guest>.result (the
# result port).  On a failure the console's tail is printed.
set -u

BUILD=${BUILD:-build}
VM=$BUILD/vm
KERNEL=${VMTEST_KERNEL:-$BUILD/kernel/bzImage}
INITRD=$VM/initramfs.cgz
TIMEOUT=${VMTEST_TIMEOUT:-600}
SMP=${VMTEST_SMP:-2}
MEM=${VMTEST_MEM:-1G}
NVDIMM_SIZE=1G

[ -f "$KERNEL" ] || { echo "vmtest: no $KERNEL (make kernel)" >&2; exit 1; }
[ -f "$INITRD" ] || { echo "vmtest: no $INITRD (make vmtest-initramfs)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "vmtest: no qemu-system-x86_64 (make deps)" >&2; exit 1; }
mkdir -p "$VM"
# backing files left by a run that was killed (their pid is gone)
for f in /dev/shm/bpfam-vmtest.*.img; do
	[ -e "$f" ] || continue
	p=${f#/dev/shm/bpfam-vmtest.}
	p=${p%%.*}
	kill -0 "$p" 2>/dev/null || rm -f "$f"
done

passed=0
failed=0
images=()
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -f "${images[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_image NAME: sets img (the caller's) to a fresh, zeroed (sparse) NVDIMM
# backing file, removed at exit.  Not in a $(...): that subshell's images+=
# would be lost, and the file left in /dev/shm.
new_image() {
	img=/dev/shm/bpfam-vmtest.$$.$1.img
	rm -f "$img"
	truncate -s "$NVDIMM_SIZE" "$img" || exit 1
	images+=("$img")
}

# start_guest NAME ROLE IMAGE [CMDLINE-WORDS...]: boots qemu in the
# background; its pid (the timeout wrapper's) is in $guest_pid.
start_guest() {
	local name=$1 role=$2 img=$3
	shift 3
	local ctl=$VM/$name.ctl
	rm -f "$VM/$name.console.log" "$VM/$name.result" "$ctl.in" "$ctl.out"
	mkfifo "$ctl.in" "$ctl.out"
	echo "# vmtest: booting guest $name ($role), console: $VM/$name.console.log"
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-nodefaults -display none -no-reboot \
		-machine pc,nvdimm=on,accel=tcg -cpu max -smp "$SMP" \
		-m "$MEM",slots=4,maxmem=4G \
		-object memory-backend-file,id=mem1,share=on,mem-path="$img",size=$NVDIMM_SIZE,align=2M \
		-device nvdimm,memdev=mem1,id=nv1 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 oops=panic VMTEST_ROLE=$role $* ${VMTEST_APPEND:-}" \
		-serial file:"$VM/$name.console.log" \
		-serial file:"$VM/$name.result" \
		-serial pipe:"$ctl" \
		</dev/null >"$VM/$name.qemu.log" 2>&1 &
	guest_pid=$!
	pids+=("$guest_pid")
}

# end_guest NAME PID: waits for it, prints its TAP lines, counts, and turns
# its exit status into a verdict.
end_guest() {
	local name=$1 pid=$2 rc why="" res=$VM/$1.result
	wait "$pid"
	rc=$?
	[ -f "$res" ] || : >"$res"
	tr -d '\r' <"$res" | grep -v '^@@' || true
	local p f
	p=$(tr -d '\r' <"$res" | grep -c '^ok ')
	f=$(tr -d '\r' <"$res" | grep -c '^not ok ')
	case $rc in
	1) grep -q '^@@done' "$res" || why="exited without its @@done line" ;;
	3) [ "$f" -gt 0 ] || why="reported a failure that is not in its TAP output" ;;
	0) why="never reported: panic or crash (qemu status 0)" ;;
	124 | 137) why="hung: killed after $TIMEOUT s" ;;
	*) why="qemu failed with status $rc: $(tail -3 "$VM/$name.qemu.log" | tr '\n' ' ')" ;;
	esac
	if [ -n "$why" ]; then
		echo "not ok - guest $name $why"
		f=$((f + 1))
	fi
	if [ "$f" -gt 0 ]; then
		echo "# ---- guest $name: last 40 lines of $VM/$name.console.log ----"
		tr -d '\r' <"$VM/$name.console.log" | tail -40 | sed 's/^/# /'
		echo "# ----"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

running() { kill -0 "$1" 2>/dev/null; }

suite_single() {
	local img words=()
	new_image single
	[ -n "${VMTEST_TESTS:-}" ] && words+=("VMTEST_TESTS=$VMTEST_TESTS")
	[ "${VMTEST_SELFTEST_FAIL:-0}" = 1 ] && words+=(VMTEST_SELFTEST_FAIL=1)
	[ "${VMTEST_SELFTEST_PANIC:-0}" = 1 ] && words+=(VMTEST_SELFTEST_PANIC=1)
	start_guest single single "$img" "${words[@]}"
	end_guest single "$guest_pid"
}

# barrier_release: releases every barrier both guests have reached (the
# k-th "@@barrier NAME" of A with the k-th of B), once.
declare -A released
barrier_release() {
	local name na nb
	while IFS= read -r name; do
		na=$(tr -d '\r' <"$VM/two-a.result" 2>/dev/null | grep -cxF "@@barrier $name")
		nb=$(tr -d '\r' <"$VM/two-b.result" 2>/dev/null | grep -cxF "@@barrier $name")
		while [ "${released[$name]:-0}" -lt "$na" ] && [ "${released[$name]:-0}" -lt "$nb" ]; do
			echo "# vmtest: barrier '$name' released"
			echo "$name" >&"$ctl_a"
			echo "$name" >&"$ctl_b"
			released[$name]=$((${released[$name]:-0} + 1))
		done
	done < <(cat "$VM/two-a.result" "$VM/two-b.result" 2>/dev/null | tr -d '\r' |
		sed -n 's/^@@barrier //p' | sort -u)
}

suite_two() {
	local img words=() pa pb t=0 a_done=0 b_done=0
	new_image two
	[ -n "${VMTEST_MULTI_TESTS:-}" ] && words+=("VMTEST_TESTS=$VMTEST_MULTI_TESTS")
	start_guest two-a primary "$img" "${words[@]}"
	pa=$guest_pid
	# our own read-write ends keep the barrier fifos from ever blocking
	exec {ctl_a}<>"$VM/two-a.ctl.in" {ctl_a_out}<>"$VM/two-a.ctl.out"
	# B boots only once A has made the namespace (its info block is in the
	# shared file, and must not be rewritten while another guest uses it)
	while running "$pa" && ! grep -q '^@@ns-ready' "$VM/two-a.result" 2>/dev/null; do
		sleep 0.5
	done
	if ! running "$pa"; then
		echo "# vmtest: guest two-a ended before it made the namespace; not starting two-b"
		end_guest two-a "$pa"
		echo "not ok - guest two-b not started"
		failed=$((failed + 1))
		return
	fi
	start_guest two-b client "$img" "${words[@]}"
	pb=$guest_pid
	exec {ctl_b}<>"$VM/two-b.ctl.in" {ctl_b_out}<>"$VM/two-b.ctl.out"
	while :; do
		barrier_release
		running "$pa" || a_done=1
		running "$pb" || b_done=1
		[ $a_done = 1 ] && [ $b_done = 1 ] && break
		# one guest is gone: the other must not wait for it at a barrier
		if [ $a_done = 1 ] || [ $b_done = 1 ]; then
			t=$((t + 1))
			if [ $t = 1 ]; then
				echo "@@abort" >&"$ctl_a"
				echo "@@abort" >&"$ctl_b"
			fi
		fi
		sleep 0.5
	done
	end_guest two-a "$pa"
	end_guest two-b "$pb"
	exec {ctl_a}>&- {ctl_a_out}>&- {ctl_b}>&- {ctl_b_out}>&-
}

start=$(date +%s)
[ $# -gt 0 ] || set -- single two
for suite in "$@"; do
	echo "# vmtest: suite $suite"
	case $suite in
	single) suite_single ;;
	two) suite_two ;;
	*)
		echo "not ok - vmtest: unknown suite '$suite' (single, two)"
		failed=$((failed + 1))
		;;
	esac
done
echo "# vmtest: $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
