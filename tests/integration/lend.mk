# bpfam lend on the host: its command line, and the refusals of what is no
# device-dax or of a kernel that cannot lend (the switch itself is tested
# against a fake /sys in tests/unit/test_lend.c and for real in the guest,
# tests/vm/guest/28-lend-daemon.sh).

test: $(BUILD)/bpfam
TEST_SUITES += 'tests/integration/lend.sh $(BUILD)'
