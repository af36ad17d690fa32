# bpfamd's command line (libfuse's option parser: -o ro, -s, max_threads,
# options after the operands, mount -t fuse.bpfamd), --help and --version,
# and a daemon that survives SIGBUS on its device mapping.
test: $(BUILD)/bpfam $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/options.sh $(BUILD)'
