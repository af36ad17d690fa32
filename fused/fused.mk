# ---- bpfamd, the FUSE daemon ----------------------------------------------
# It creates its BPF maps from the bpfam_maps skeleton and attaches the
# fast path from the fmap_ops one (bpf/bpf.mk), with the libbpf 1.5 of
# bpf/toolchain.mk, linked in statically.  libsystemd: sd_notify() for
# Type=notify units (fused/notify.c).
FUSED_SRC := $(wildcard fused/*.c)
FUSED_OBJ := $(FUSED_SRC:%.c=$(BUILD)/%.o)

$(FUSED_OBJ): ALL_CFLAGS += $(shell pkg-config --cflags fuse3 2>/dev/null)
$(FUSED_OBJ): CPPFLAGS += -I$(LIBBPF_INC)
$(FUSED_OBJ): $(BUILD)/bpf/bpfam_maps.skel.h $(BUILD)/bpf/fmap_ops.skel.h \
	$(LIBBPF_A)

$(BUILD)/bpfamd: $(FUSED_OBJ) $(LIB) $(LIBBPF_A)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lfuse3 -lsystemd -lelf -lz -lpthread

all: $(BUILD)/bpfamd
