#!/bin/bash
# Fails on purpose (make vmtest VMTEST_SELFTEST_FAIL=1): proves that a
# failing guest test makes make vmtest exit non-zero.
. /vmtests/tap.sh
ok "selftest: this one passes"
not_ok "selftest: this one fails on purpose (VMTEST_SELFTEST_FAIL=1)"
tap_done
