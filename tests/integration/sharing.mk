# Two daemons sharing one device on the host (fallback mode): delete and
# gated reclaim, following and its failures, eviction and fencing.
# $(BUILD)/tests/logpoke appends a record that does not play.

$(BUILD)/tests/logpoke: $(BUILD)/tests/integration/logpoke.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

test: $(BUILD)/bpfamd $(BUILD)/tests/logpoke
TEST_SUITES += 'tests/integration/sharing.sh $(BUILD)'
