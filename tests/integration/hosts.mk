# Sharing tests without the daemon: bpfam hosts, bpfam host evict and the
# fencing of mkfs --force, with $(BUILD)/tests/fakehost standing in for
# mounted hosts (it joins a slot and beats, as bpfamd does).

$(BUILD)/tests/fakehost: $(BUILD)/tests/integration/fakehost.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

test: $(BUILD)/tests/fakehost
TEST_SUITES += 'tests/integration/hosts.sh $(BUILD)'
