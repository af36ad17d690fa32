# Offline CLI tests: mkfs, fsck and logdump on files in /dev/shm.
# $(BUILD)/tests/populate gives a new filesystem records without the daemon.

$(BUILD)/tests/populate: $(BUILD)/tests/integration/populate.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

test: $(BUILD)/tests/populate
TEST_SUITES += 'tests/integration/offline.sh $(BUILD)'
