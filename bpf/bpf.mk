include bpf/toolchain.mk

# ---- BPF programs and their skeletons -------------------------------------
# bpfam_maps:   the maps only; the daemon creates and pins them from its
#               skeleton, $(BUILD)/bpf/bpfam_maps.skel.h.
# resolve_test: BPF_PROG_TYPE_SYSCALL twin of the fast path, test-run here.
# fmap_ops:     the struct_ops fast path; loads only on the patched kernel.
# BPF_PROG() declares a ctx that programs need not use.  <bpf/*.h> must be
# libbpf 1.5's (bpf/toolchain.mk), not the system's 1.1 in /usr/include.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-I$(LIBBPF_INC) -I/usr/include/x86_64-linux-gnu -Iinclude -Ibpf
BPF_NAMES  := bpfam_maps resolve_test fmap_ops
BPF_OBJS   := $(BPF_NAMES:%=$(BUILD)/bpf/%.bpf.o)
# The fmap_ops skeleton has skel->struct_ops.bpfam_fmap_ops, a shadow type
# through which the daemon sets fuse_fd before loading.
BPF_SKELS  := $(BPF_NAMES:%=$(BUILD)/bpf/%.skel.h)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(LIBBPF_A)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o $(BPFTOOL)
	$(BPFTOOL) gen skeleton $< name $* >$@.tmp
	@mv $@.tmp $@

all: $(BPF_OBJS) $(BPF_SKELS)

# ---- resolver tests -------------------------------------------------------
# UBSan turns any undefined behaviour in resolve.h into a test failure.
RESOLVE_TESTS := $(addprefix $(BUILD)/tests/,resolve_unit resolve_load \
	resolve_diff)
RESOLVE_UBSAN := -fsanitize=undefined -fno-sanitize-recover=all

$(BUILD)/tests/unit/resolve_%.o: CPPFLAGS += -Ibpf -I$(LIBBPF_INC)
$(BUILD)/tests/unit/resolve_%.o: CFLAGS += $(RESOLVE_UBSAN)
$(BUILD)/tests/unit/resolve_load.o: $(BPF_SKELS) $(LIBBPF_A)
$(BUILD)/tests/unit/resolve_diff.o: $(BUILD)/bpf/resolve_test.skel.h $(LIBBPF_A)

$(BUILD)/tests/resolve_unit: LDLIBS_RESOLVE := -lcmocka
$(BUILD)/tests/resolve_load $(BUILD)/tests/resolve_diff: \
	LDLIBS_RESOLVE := $(LIBBPF_A) -lelf -lz
$(BUILD)/tests/resolve_load $(BUILD)/tests/resolve_diff: $(LIBBPF_A)
$(BUILD)/tests/resolve_%: $(BUILD)/tests/unit/resolve_%.o
	$(CC) $(CFLAGS) $(RESOLVE_UBSAN) -o $@ $< $(LDLIBS_RESOLVE)

test: $(RESOLVE_TESTS)
TEST_SUITES += $(RESOLVE_TESTS)
.SECONDARY: $(RESOLVE_TESTS:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.o)
