# ---- make bench: the measuring helper -------------------------------------
# scripts/bench.sh drives the benchmarks; bpfam-bench does the timed loops
# that a shell cannot (per-file create latency, log play through libbpfam,
# memcpy through a mapping).  Built only for `make bench`.
BENCH_TOOL := $(BUILD)/bpfam-bench

$(BENCH_TOOL): $(BUILD)/scripts/bench/bpfam-bench.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

bench: $(BENCH_TOOL)

# bpfam-resolve-bench: the resolver's cost per call, run through the
# resolve_test syscall twin (BPF run-time statistics), so it needs the
# twin's skeleton and libbpf like the resolve tests.
RESOLVE_BENCH := $(BUILD)/bpfam-resolve-bench

$(BUILD)/scripts/bench/resolve-bench.o: CPPFLAGS += -Ibpf -I$(LIBBPF_INC)
$(BUILD)/scripts/bench/resolve-bench.o: $(BUILD)/bpf/resolve_test.skel.h \
	$(LIBBPF_A)
$(RESOLVE_BENCH): $(BUILD)/scripts/bench/resolve-bench.o $(LIBBPF_A)
	$(CC) $(ALL_CFLAGS) -o $@ $^ -lelf -lz

bench: $(RESOLVE_BENCH)
