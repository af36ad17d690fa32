# libFuzzer target over the media decoders (superblock, log records).
#   make fuzz              fuzz for FUZZ_SECONDS (default 60)
# make test runs it briefly from the seeds in tests/fuzz/seeds/ as a smoke.
FUZZ_SECONDS ?= 60
FUZZ_BIN     := $(BUILD)/fuzz/fuzz_decode
FUZZ_LIBSRC  := $(LIB_SRC)

$(FUZZ_BIN): tests/fuzz/fuzz_decode.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $^ $(LDLIBS)

.PHONY: fuzz
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus tests/fuzz/seeds

all: $(FUZZ_BIN)
TEST_SUITES += 'tests/fuzz/smoke.sh $(FUZZ_BIN)'
