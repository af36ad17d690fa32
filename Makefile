# bpfam top-level build.  Components add their rules in their own .mk file
# (bpf/bpf.mk, fused/fused.mk, tests/*/*.mk); this file holds what they
# share.  Everything is built into $(BUILD).

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang-19
PKGS     := libdaxctl blkid uuid json-c
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilib -I$(BUILD)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lisal

.PHONY: all clean deps demo test unit-test bench format lint
all:

# ---- libbpfam -------------------------------------------------------------
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libbpfam.a

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

# ---- the bpfam CLI --------------------------------------------------------
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/bpfam: $(TOOL_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

all: $(BUILD)/bpfam

include bpf/bpf.mk
include fused/fused.mk
include tests/unit/unit.mk
include $(wildcard tests/integration/*.mk)
include tests/sim/sim.mk
include tests/vm/vm.mk
include tests/fuzz/fuzz.mk
include scripts/bench/bench.mk
include man/man.mk
include pkg/pkg.mk

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)

# ---- set-up, demo, tests --------------------------------------------------
deps:
	@scripts/deps.sh

demo: deps all
	@scripts/demo.sh

test: all
	@tests/run.sh $(TEST_SUITES)

bench: all
	@scripts/bench.sh

# clang-format-14 over the C files not in scripts/lint-format-exempt, and
# shellcheck over the shell scripts.
lint:
	@scripts/lint.sh

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
