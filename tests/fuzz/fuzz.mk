# libFuzzer target over what reads untrusted media: the superblock and
# record decoders, and the log player (a device whose log is the input is
# mounted and played).
#   make fuzz              fuzz for FUZZ_SECONDS (default 60), then report
#                          the edge coverage of each decoder
# make test runs it briefly from the seeds in tests/fuzz/seeds/ as a smoke.
FUZZ_SECONDS ?= 60
FUZZ_BIN     := $(BUILD)/fuzz/fuzz_decode
FUZZ_COV_BIN := $(BUILD)/fuzz/fuzz_decode_cov
FUZZ_LIBSRC  := $(LIB_SRC)
# fuzz_decode.c fails chosen allocations through these wrappers.
FUZZ_WRAP    := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

$(FUZZ_BIN): tests/fuzz/fuzz_decode.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $(FUZZ_WRAP) -o $@ $^ $(LDLIBS)

# The same without ASan and UBSan, whose checks add edges of their own,
# and without inlining, which would merge a decoder's helpers into their
# callers: its per-function edge counts are the code's, for the report.
$(FUZZ_COV_BIN): tests/fuzz/fuzz_decode.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(WARN) -g -O0 -fsanitize=fuzzer $(FUZZ_WRAP) -o $@ $^ $(LDLIBS)

.PHONY: fuzz
fuzz: $(FUZZ_BIN) $(FUZZ_COV_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus tests/fuzz/seeds
	@tests/fuzz/coverage.sh $(FUZZ_COV_BIN) $(BUILD)/fuzz/corpus tests/fuzz/seeds

all: $(FUZZ_BIN)
TEST_SUITES += 'tests/fuzz/smoke.sh $(FUZZ_BIN)'
