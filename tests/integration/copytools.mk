# cp -a, cp -r, tar, rsync -aHX, dd and the shell's > and >> copy a tree of
# 0 B .. 300 MiB files, links, xattrs and modes into bpfam; the copies equal
# the source there, after a remount and on a client.  Root, rsync, ~5 GiB
# free in /dev/shm.
test: $(BUILD)/bpfamd
TEST_SUITES += 'tests/integration/copytools.sh $(BUILD)'
