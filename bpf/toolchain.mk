# ---- libbpf 1.5 and bpftool 7.5, built from the Linux 6.12 source ---------
# Debian bookworm's libbpf 1.1 skips .struct_ops.link sections and its
# bpftool 7.1 puts no struct_ops members in skeletons, so the daemon could
# not set fuse_fd in the fmap_ops instance.  The linux-source-6.12 package
# carries both tools at the versions that can; the project builds them once
# and uses only them: bpftool for every skeleton, libbpf.a (static, so no
# library path to set at run time) for every program that loads BPF.
#
#   $(BPFTOOL)     bpftool 7.5 (also the one to inspect struct_ops with)
#   $(LIBBPF_A)    libbpf 1.5, static; link with -lelf -lz
#   $(LIBBPF_INC)  its headers, as <bpf/...>; they exist once $(LIBBPF_A)
#                  does, so whatever includes them depends on $(LIBBPF_A)

LINUX_SRC_TAR ?= /usr/src/linux-source-6.12.tar.xz
BPFTOOL_SRC   := $(BUILD)/bpftool-src
BPFTOOL_OUT   := $(BUILD)/bpftool
BPFTOOL       := $(BPFTOOL_OUT)/bpftool
LIBBPF_A      := $(BPFTOOL_OUT)/libbpf/libbpf.a
LIBBPF_INC    := $(BPFTOOL_OUT)/libbpf/include

# What bpftool's make reads, found by building from a full tree and listing
# the dependency files: 5 MB out of the 1.7 GB tree.  bpf_doc.py generates
# libbpf's bpf_helper_defs.h; bpftool compiles the kernel's disasm.c.
BPFTOOL_TAR_PATHS := $(patsubst %,'linux-source-6.12/%', \
	tools/bpf/bpftool/* tools/lib/bpf/* tools/include/* \
	tools/arch/x86/include/* tools/build/* tools/scripts/* \
	kernel/bpf/disasm.[ch] scripts/bpf_doc.py)

# Both outputs come from one sub-make, run again only when the tarball or
# this file changes (a run re-extracts 150 MB of xz: ~30 s).  The sub-make
# gets none of this make's command-line variables: CFLAGS=... would replace
# the include flags of bpftool's Makefile.  It runs with a fixed CC so that
# the cached result does not depend on the CC of whichever make built it.
# FEATURES_DUMP=/dev/null skips feature detection and leaves every optional
# feature off: the JIT disassembler (LLVM or libbfd: `prog dump jited`),
# libcap, and the BPF skeletons that need clang and the build host's BTF
# (`prog profile`, process names in `map/prog show`).  None is needed here.
$(BPFTOOL) $(LIBBPF_A) &: $(LINUX_SRC_TAR) bpf/toolchain.mk
	rm -rf $(BPFTOOL_SRC) $(BPFTOOL_OUT)
	mkdir -p $(BPFTOOL_SRC) $(BPFTOOL_OUT)
	tar -xJf $(LINUX_SRC_TAR) -C $(BPFTOOL_SRC) --strip-components=1 \
		--wildcards $(BPFTOOL_TAR_PATHS)
	$(MAKE) -C $(BPFTOOL_SRC)/tools/bpf/bpftool CC=gcc \
		OUTPUT=$(abspath $(BPFTOOL_OUT))/ FEATURES_DUMP=/dev/null
$(BPFTOOL) $(LIBBPF_A): MAKEOVERRIDES :=

bpftool: $(BPFTOOL) $(LIBBPF_A)
.PHONY: bpftool
