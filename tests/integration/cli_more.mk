# The everyday commands through a mounted bpfamd: cp -r, creat --random
# with verify, check, the refusal of paths outside a bpfam, mkdir -m 2775,
# decimal sizes, --version.  $(BUILD)/tests/fmap_shim.so alters the fmaps
# the CLI reads, to show check an overlap the daemon would never serve.

$(BUILD)/tests/fmap_shim.so: tests/integration/fmap_shim.c include/bpfam/fmap.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -shared -fPIC -o $@ $< -ldl

test: $(BUILD)/bpfam $(BUILD)/bpfamd $(BUILD)/tests/fmap_shim.so
TEST_SUITES += 'tests/integration/cli_more.sh $(BUILD)'
