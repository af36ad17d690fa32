# user.* extended attributes through bpfamd: a primary and a client on one
# device (fallback mode), cp -a and rsync -X, a remount.
test: $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/xattr.sh $(BUILD)'
