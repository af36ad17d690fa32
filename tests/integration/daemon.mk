# Integration tests of bpfamd through its mount, and of the bpfam commands
# that work on one (creat, cp, mkdir, getmap, stats).  Root, this kernel.
test: $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/daemon.sh $(BUILD)'
