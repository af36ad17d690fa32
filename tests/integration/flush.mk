# bpfam flush through a mounted bpfamd: whole files, ranges, refusals.
test: $(BUILD)/bpfam $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/flush.sh $(BUILD)'
