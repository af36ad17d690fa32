# ---- make bench: the measuring helper -------------------------------------
# scripts/bench.sh drives the benchmarks; bpfam-bench does the timed loops
# that a shell cannot (per-file create latency, log play through libbpfam,
# memcpy through a mapping).  Built only for `make bench`.
BENCH_TOOL := $(BUILD)/bpfam-bench

$(BENCH_TOOL): $(BUILD)/scripts/bench/bpfam-bench.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

bench: $(BENCH_TOOL)
