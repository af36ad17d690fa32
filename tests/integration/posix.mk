# POSIX rules, differentially: tests/integration/posix.py on tmpfs and on
# bpfam, as root and as nobody, each rule's observations equal (or, for the
# few that differ by design, bpfam's documented ones); growth, extents and
# zeros on bpfam.  Root, this kernel (fallback mode).
test: $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/posix.sh $(BUILD)'
