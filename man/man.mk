# ---- man pages, generated from docs/ -----------------------------------------
# docs/*.md is the one reference.  Each man page is a short head from man/
# (NAME, SYNOPSIS, SEE ALSO: what a man page needs and docs/ does not)
# followed by the docs pages themselves, converted by pandoc; so man and
# docs/ cannot disagree: there is no second copy to forget.
MAN_PAGES := $(BUILD)/man/bpfam.8 $(BUILD)/man/bpfamd.8 $(BUILD)/man/bpfam.5

$(BUILD)/man/bpfam.8: docs/cli.md docs/cli-mount.md
$(BUILD)/man/bpfamd.8: docs/daemon.md docs/sharing.md docs/install.md
$(BUILD)/man/bpfam.5: docs/format.md

# Dated by the newest source (SOURCE_DATE_EPOCH in a Debian build), not by
# the build, so the same sources give the same page.
$(BUILD)/man/%: man/%.md man/man.mk
	@mkdir -p $(dir $@)
	pandoc -f markdown -t man -s -M title=$(basename $*) \
		-M section=$(subst .,,$(suffix $*)) -M header="bpfam manual" \
		-M date="$$(date -u +%F -d @$${SOURCE_DATE_EPOCH:-$$(stat -c %Y \
			$< $(filter docs/%,$^) | sort -n | tail -1)})" \
		-o $@.tmp $< $(filter docs/%,$^)
	@mv $@.tmp $@

man: $(MAN_PAGES)
all: $(MAN_PAGES)
.PHONY: man
