# VM testbed: the test kernel (Linux 6.12 + kpatch/) and the qemu guest tests.
# See tests/vm/README.md.
#
#   make kernel    build $(BUILD)/kernel/bzImage (cached: seconds when the
#                  source, kpatch/series and kpatch/config are unchanged)
#   make kpatch-check  checkpatch --strict, each patch builds on its own, and
#                  DEV_DAX=m leaves built-in fuse free of device_dax.ko
#                  symbols (~10 min; not part of vmtest)
#   make vmbench   the fast path's throughput in the guest (not a test), on
#                  a third kernel without lockdep ($(BUILD)/kernel-bench:
#                  kpatch/config + kpatch/config.bench; a full build)
#   make vmtest-debug  vmtest on a second kernel with KASAN
#                  ($(BUILD)/kernel-debug: kpatch/config + kpatch/config.debug);
#                  not in CI: a second full kernel build (~7 min), and the
#                  guests run slower
#   make vmtest    build the project, the kernel and the initramfs, boot qemu
#                  on an emulated NVDIMM and run the guest tests: one guest,
#                  then two guests sharing one backing file
#
# Variables: VMTEST_SUITES="single two" (default both), VMTEST_TESTS=00-env.sh,
# VMTEST_MULTI_TESTS=01-share, VMTEST_SELFTEST_FAIL=1 (adds a failing guest
# test), VMTEST_SELFTEST_PANIC=1 (the guest's /init dies), VMTEST_TIMEOUT=600,
# VMTEST_PREREQ=all (what to build first; empty: test what is in $(BUILD)).

VMTEST_PREREQ ?= all
VMTEST_SUITES ?= single two

.PHONY: kernel kernel-debug kernel-bench kpatch-check vmtest vmtest-debug vmbench \
	vmtest-initramfs

kernel:
	@tests/vm/kernel.sh $(BUILD)

kernel-debug:
	@KERNEL_VARIANT=debug tests/vm/kernel.sh $(BUILD)

kernel-bench:
	@KERNEL_VARIANT=bench tests/vm/kernel.sh $(BUILD)

kpatch-check: kernel
	@tests/vm/kpatch-check.sh $(BUILD)

# Static guest helpers (tests/vm/*.c; see tests/vm/README.md)
VM_HELPERS := vmexit mmapcheck fastio fmapedit daxioctl readlat

$(BUILD)/vm/%: tests/vm/%.c
	@mkdir -p $(dir $@)
	$(CC) -static -Os -Wall -Wextra -Werror -Iinclude -o $@ $<

$(BUILD)/vm/fmapedit: include/bpfam/fmap.h

vmtest-initramfs: $(VMTEST_PREREQ) $(addprefix $(BUILD)/vm/,$(VM_HELPERS))
	@BUILD=$(BUILD) tests/vm/initramfs.sh

vmtest: kernel vmtest-initramfs
	@BUILD=$(BUILD) tests/vm/vmtest.sh $(VMTEST_SUITES)

vmtest-debug: kernel-debug vmtest-initramfs
	@BUILD=$(BUILD) VMTEST_KERNEL=$(BUILD)/kernel-debug/bzImage \
		VMTEST_TIMEOUT=$${VMTEST_TIMEOUT:-3600} \
		tests/vm/vmtest.sh $(VMTEST_SUITES)

# The fast path against fallback mode, tmpfs and raw devdax in one guest;
# the table is kept in $(BUILD)/vm/bench.txt.  See docs/bench.md.
vmbench: kernel-bench vmtest-initramfs
	@BUILD=$(BUILD) VMTEST_TESTS=bench/fastpath.sh \
		VMTEST_KERNEL=$(BUILD)/kernel-bench/bzImage \
		VMTEST_APPEND=VMTEST_TEST_TIMEOUT=900 \
		tests/vm/vmtest.sh single >$(BUILD)/vm/bench.log 2>&1; rc=$$?; \
	sed -n 's/^# bench: //p' $(BUILD)/vm/bench.log | tee $(BUILD)/vm/bench.txt; \
	grep -E '^not ok|passed,' $(BUILD)/vm/bench.log; exit $$rc
