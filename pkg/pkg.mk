# ---- make install / uninstall / deb / test-install -------------------------
# No BPF object is installed: bpfamd embeds its programs as libbpf
# skeletons.  The unit gets the installed bpfamd's path substituted here,
# at install time, so that no stale copy in $(BUILD) outlives a new PREFIX.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

INSTALLED := $(BINDIR)/bpfam $(SBINDIR)/bpfamd $(MANDIR)/man8/bpfam.8 \
	$(MANDIR)/man8/bpfamd.8 $(MANDIR)/man5/bpfam.5 \
	$(UNITDIR)/bpfam@.service

install: $(BUILD)/bpfam $(BUILD)/bpfamd $(MAN_PAGES)
	install -D -m 755 $(BUILD)/bpfam $(DESTDIR)$(BINDIR)/bpfam
	install -D -m 755 $(BUILD)/bpfamd $(DESTDIR)$(SBINDIR)/bpfamd
	install -D -m 644 $(BUILD)/man/bpfam.8 $(DESTDIR)$(MANDIR)/man8/bpfam.8
	install -D -m 644 $(BUILD)/man/bpfamd.8 $(DESTDIR)$(MANDIR)/man8/bpfamd.8
	install -D -m 644 $(BUILD)/man/bpfam.5 $(DESTDIR)$(MANDIR)/man5/bpfam.5
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' pkg/bpfam@.service.in \
		>$(DESTDIR)$(UNITDIR)/bpfam@.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The package is built from a copy of the working tree (tracked files and
# new ones not ignored: what the next commit would hold), in its own
# directory: debhelper's clean step removes the build tree it is given, and
# must never be given the developer's $(BUILD).  Nor does it inherit this
# make's command line (BUILD=, CC=, CFLAGS=...): it builds as Debian would.
DEB_DIR := $(BUILD)/deb

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -cf - --null -T - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b -jauto >../build.log 2>&1 || \
		{ tail -30 ../build.log; echo "make deb: dpkg-buildpackage failed; log in $(DEB_DIR)/build.log" >&2; exit 1; }
	@ls $(DEB_DIR)/*.deb

# Installs the package on this machine, mounts through fstab, purges it.
test-install: deb $(BUILD)/bpfam $(BUILD)/bpfamd $(MAN_PAGES)
	@tests/run.sh 'pkg/test-install.sh $(BUILD)'

.PHONY: install uninstall deb test-install
