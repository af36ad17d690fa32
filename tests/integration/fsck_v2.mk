# fsck and logdump on format version 2 (delete, reclaim, host slots, fence)
# on files in /dev/shm.  populate --delete makes the records; fakehost
# (hosts.mk) registers a host; logpoke (sharing.mk) appends a bad delete.
test: $(BUILD)/bpfam $(BUILD)/tests/populate $(BUILD)/tests/fakehost \
	$(BUILD)/tests/logpoke
TEST_SUITES += 'tests/integration/fsck_v2.sh $(BUILD)'
