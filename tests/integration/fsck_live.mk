# bpfam fsck next to a mounted bpfamd: mountpoints, "mounted by", a log
# appended to while it is read, and the needs-recovery / damaged statuses.
test: $(BUILD)/bpfam $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/fsck_live.sh $(BUILD)'
