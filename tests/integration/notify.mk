# bpfamd under systemd's readiness protocol (Type=notify): READY=1 only
# once the mount answers, never for a refused mount; and the unit verifies.
test: $(BUILD)/bpfamd $(BUILD)/man/bpfamd.8
TEST_SUITES += 'tests/integration/notify.sh $(BUILD)'
