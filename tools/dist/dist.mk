# Packaging: the version stamp, man pages, make install/uninstall, make deb
# and make dist. Included by the top Makefile; the file lists live in
# tools/dist/install.sh so install and uninstall cannot disagree.

# The version is read at every build and the header rewritten only when it
# changed, so a new commit relinks pinscope and an unchanged tree does not.
# It is a generated header like the skeletons: in $(GEN_OUTPUT), which the
# sanitized build shares (each writer its own temporary file).
$(GEN_OUTPUT)/ps_version.h: FORCE | $(GEN_OUTPUT)
	$(Q)v=$$(tools/version.sh) && t=$@.tmp.$$$$ && \
	printf '#define PS_VERSION "%s"\n' "$$v" > $$t && \
	if cmp -s $$t $@; then rm -f $$t; else mv $$t $@; fi
$(OUTPUT)/user/version.o: $(GEN_OUTPUT)/ps_version.h
.PHONY: FORCE
FORCE:

# Man pages from scdoc sources. A line "%include FILE" pulls in a shared
# part (the options several subcommands take), as bpftool's pages do.
# scdoc turns hyphenation off before .TH, which turns it back on (io_ur-
# ing, pin-scope): .nh again after it.
MAN_SRCS := $(wildcard docs/man/*.scd)
MAN_PAGES := $(patsubst docs/man/%.scd,$(OUTPUT)/man/%,$(MAN_SRCS))

$(OUTPUT)/man:
	$(Q)mkdir -p $@

$(OUTPUT)/man/%: docs/man/%.scd $(wildcard docs/man/include/*.scd) | $(OUTPUT)/man
	$(call msg,MAN,$@)
	$(Q)export SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || stat -c %Y VERSION); \
		awk '/^%include / { f = "docs/man/include/" $$2; \
		while ((getline l < f) > 0) print l; close(f); next } { print }' $< \
		| scdoc | sed '/^\.TH /a .nh' > $@.tmp && mv $@.tmp $@

.PHONY: man install uninstall deb dist dist-deps
# (pages whose source is gone, say after a branch switch, are removed)
man: $(MAN_PAGES)
	$(Q)for f in $(wildcard $(OUTPUT)/man/*); do \
		case " $(MAN_PAGES) " in *" $$f "*) ;; *) rm -f "$$f" ;; esac; done

dist-deps:
	$(Q)tools/install-deps.sh dist

PREFIX ?= /usr/local
export DESTDIR PREFIX BINDIR SBINDIR MANDIR DATADIR DOCDIR BASHCOMPDIR SYSTEMDUNITDIR

# Builds first as the invoking user; `sudo make install` then only copies.
install: all man
	$(Q)tools/dist/install.sh install $(OUTPUT)

uninstall:
	$(Q)tools/dist/install.sh uninstall $(OUTPUT)

# A binary .deb of what `make` built (tools/dist/mkdeb.sh), in $(OUTPUT)/deb.
deb: all man dist-deps
	$(Q)PS_LDLIBS="$(LDLIBS_TOOL) $(LDLIBS_WORKLOAD)" tools/dist/mkdeb.sh $(OUTPUT)

# A source tarball with the version in VERSION: it builds outside git.
dist: | $(OUTPUT)
	$(Q)tools/dist/mkdist.sh $(OUTPUT)
