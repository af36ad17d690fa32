# What a user other than root can and cannot do (docs/security.md): file
# permissions on a mount, the BPF maps and pins, the device, bpfamd.
test: $(BUILD)/bpfam $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/security.sh $(BUILD)'
