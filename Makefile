# Afterburner: top-level Makefile.
#
# Non-recursive: each component adds its targets in <component>/build.mk,
# included below.  `make help` lists the targets.
#
#   make [V=1] [O=dir]      build what .config enables (objects in O, default build/)
#   make defconfig | menuconfig | olddefconfig | savedefconfig
#   make install [PREFIX=/usr/local] [DESTDIR=]
#   make deb                (the Debian package, in $(O)/deb)
#   make check | check-full | demo | bench

SRC := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# Out of tree: the configuration lives with the objects in O; in tree it is
# the usual ./.config and objects go to build/.
# KCONFIG_CONFIG is never taken from the environment (a test's inner make
# would otherwise inherit the outer tree's); set it on the command line.
ifneq ($(O),)
override O := $(abspath $(O))
KCONFIG_CONFIG := $(O)/.config
else
override O := $(SRC)/build
KCONFIG_CONFIG := $(SRC)/.config
endif

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib/afterburner
INCDIR  ?= $(PREFIX)/include/afterburn
DOCDIR  ?= $(PREFIX)/share/doc/afterburner

ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

HOSTCC      ?= gcc
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -g -MMD -MP \
               -I$(SRC)/include -I$(SRC) -I$(O)/include
HOST_LDLIBS :=

# Lists the component fragments add to.
ALL_TARGETS     :=   # built by `make`
UNIT_TESTS      :=   # cmocka binaries, run by tests/run
INSTALL_BIN     :=   # -> $(BINDIR)
INSTALL_LIB     :=   # -> $(LIBDIR) (wedge, assembler shims, data)
INSTALL_LIB_AS  :=   # -> $(LIBDIR)/NAME, as PATH:NAME pairs (installed under another name)
INSTALL_INCLUDE :=   # -> $(INCDIR)
INSTALL_DOC     :=   # -> $(DOCDIR); every list holds absolute paths

.DEFAULT_GOAL := all
.PHONY: all deps deps-all config defconfig menuconfig olddefconfig savedefconfig \
        install deb check check-full demo bench clean distclean help FORCE

CONFIG_TARGETS := defconfig menuconfig olddefconfig savedefconfig help clean distclean deb
KCONFIG_FILES  := $(SRC)/Kconfig $(wildcard $(SRC)/*/Kconfig)
AUTOCONF       := $(O)/include/config/auto.conf
AUTOHEADER     := $(O)/include/generated/autoconf.h
KCONFIG_ENV     = srctree=$(SRC) KCONFIG_CONFIG=$(KCONFIG_CONFIG) \
                  KCONFIG_AUTOCONFIG=$(AUTOCONF) KCONFIG_AUTOHEADER=$(AUTOHEADER) \
                  KCONFIG_TRISTATE=$(O)/include/config/tristate.conf

# ---------------------------------------------------------------- packages
# ci/install-deps is idempotent and quiet: one dpkg query when all is there.
deps:
	$(Q)$(SRC)/ci/install-deps build
deps-all:
	$(Q)$(SRC)/ci/install-deps all

# ---------------------------------------------------------------- Kconfig
KCONFIG_CONF ?= kconfig-conf
KCONFIG_MCONF ?= kconfig-mconf
define kconfig_prepare
	$(Q)$(SRC)/ci/install-deps kconfig
	$(Q)command -v $(KCONFIG_CONF) >/dev/null || { echo "error: $(KCONFIG_CONF) not found: it comes with Debian's kconfig-frontends (ci/install-deps kconfig installs it)" >&2; exit 1; }
	$(Q)mkdir -p $(O)/include/config $(O)/include/generated $(dir $(KCONFIG_CONFIG))
endef

defconfig:
	$(kconfig_prepare)
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_CONF) -s --defconfig=$(SRC)/configs/defconfig $(SRC)/Kconfig
	@echo "configuration written to $(KCONFIG_CONFIG)"

olddefconfig:
	$(kconfig_prepare)
	$(Q)$(SRC)/scripts/check-config $(KCONFIG_CONFIG) $(KCONFIG_FILES)
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_CONF) -s --olddefconfig $(SRC)/Kconfig

menuconfig:
	$(kconfig_prepare)
	$(Q)if [ -f $(KCONFIG_CONFIG) ]; then $(SRC)/scripts/check-config $(KCONFIG_CONFIG) $(KCONFIG_FILES); fi
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_MCONF) $(SRC)/Kconfig

savedefconfig:
	$(kconfig_prepare)
	$(Q)$(SRC)/scripts/check-config $(KCONFIG_CONFIG) $(KCONFIG_FILES)
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_CONF) -s --savedefconfig=$(O)/defconfig $(SRC)/Kconfig
	@echo "minimal configuration written to $(O)/defconfig"

# No configuration yet: start from the default one, and say so.
$(KCONFIG_CONFIG):
	@echo "no configuration at $(KCONFIG_CONFIG): using configs/defconfig (make menuconfig to change it)"
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile defconfig

# auto.conf and autoconf.h follow .config and the Kconfig files; symbols
# new since .config was written take their defaults.
$(AUTOCONF): $(KCONFIG_CONFIG) $(KCONFIG_FILES)
	$(kconfig_prepare)
	$(Q)$(SRC)/scripts/check-config $(KCONFIG_CONFIG) $(KCONFIG_FILES)
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_CONF) -s --olddefconfig $(SRC)/Kconfig
	$(Q)cd $(O) && $(KCONFIG_ENV) $(KCONFIG_CONF) -s --silentoldconfig $(SRC)/Kconfig </dev/null
	$(Q)touch $@
$(AUTOHEADER): $(AUTOCONF)

config: $(AUTOCONF)

# Configuration-only goals neither read nor remake auto.conf.
ifneq ($(filter-out $(CONFIG_TARGETS),$(or $(MAKECMDGOALS),all)),)
-include $(AUTOCONF)
endif

# ---------------------------------------------------------------- components
# Generic host rule; components override CFLAGS per directory with
# pattern-specific variables (e.g. the freestanding wedge).
CFLAGS ?= -O2
ifeq ($(CONFIG_DEBUG),y)
CFLAGS := -O0 -DAB_DEBUG
endif

# The project's version (VERSION) for the tools' --version.
VERSION_HEADER := $(O)/include/generated/ab-version.h
$(VERSION_HEADER): $(SRC)/VERSION
	$(Q)mkdir -p $(@D)
	$(Q)v=$$(sed -n '1{s/[[:space:]]//g;p}' $<) && \
		printf '/* generated from VERSION */\n#define AB_VERSION "%s"\n' "$$v" >$@.tmp && mv $@.tmp $@

$(O)/%.o: $(SRC)/%.c $(AUTOHEADER)
	$(quiet) CC $(patsubst $(SRC)/%,%,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/%.o: $(SRC)/%.S $(AUTOHEADER)
	$(quiet) AS $(patsubst $(SRC)/%,%,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(CFLAGS) -c -o $@ $<

# $(call unit_test,NAME,OBJECTS,LDLIBS): a cmocka test binary run by tests/run.
define unit_test
UNIT_TESTS += $(O)/tests/unit/$(1)
$(O)/tests/unit/$(1): $(2)
	$$(quiet) LD $$(patsubst $(O)/%,%,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(HOSTCC) -o $$@ $$^ -lcmocka $(3)
endef

include $(sort $(wildcard $(SRC)/*/build.mk))

# ---------------------------------------------------------------- top targets
all: deps $(AUTOCONF)
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile build-all

.PHONY: build-all
build-all: $(ALL_TARGETS) $(UNIT_TESTS)
	@echo "built $(words $(ALL_TARGETS)) targets and $(words $(UNIT_TESTS)) unit-test binaries in $(O)"

install: all
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile install-files

.PHONY: install-files
install-files:
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(DOCDIR)
	$(Q)$(foreach f,$(INSTALL_BIN),install -m 755 $(f) $(DESTDIR)$(BINDIR)/ &&) true
	$(Q)$(foreach f,$(INSTALL_LIB),cp -a $(f) $(DESTDIR)$(LIBDIR)/ &&) true
	$(Q)$(foreach p,$(INSTALL_LIB_AS),cp -a $(firstword $(subst :, ,$(p))) $(DESTDIR)$(LIBDIR)/$(lastword $(subst :, ,$(p))) &&) true
	$(Q)$(foreach f,$(INSTALL_INCLUDE),install -m 644 $(f) $(DESTDIR)$(INCDIR)/ &&) true
	$(Q)$(foreach f,$(SRC)/README.md $(INSTALL_DOC),install -m 644 $(f) $(DESTDIR)$(DOCDIR)/ &&) true
	@echo "installed into $(DESTDIR)$(PREFIX)"

# The Debian package afterburner_<version>_amd64.deb, built in a tree of its
# own under $(O)/deb with PREFIX=/usr and checked with lintian.
deb:
	$(Q)$(SRC)/scripts/mkdeb $(O)/deb

check: deps-all
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile all
	$(Q)AB_SRC=$(SRC) AB_OBJ=$(O) $(SRC)/tests/run

check-full: deps-all
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile all
	$(Q)AB_SRC=$(SRC) AB_OBJ=$(O) $(SRC)/tests/run --full

demo: deps-all
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile all
	$(Q)AB_SRC=$(SRC) AB_OBJ=$(O) $(SRC)/ci/demo

bench: deps-all
	$(Q)$(MAKE) --no-print-directory -f $(SRC)/Makefile all
	$(Q)AB_SRC=$(SRC) AB_OBJ=$(O) $(SRC)/bench/run

clean:
	$(Q)rm -rf $(O)

distclean: clean
	$(Q)rm -f $(SRC)/.config $(SRC)/.config.old

help:
	@sed -n '3,10s/^# \{0,1\}//p' $(SRC)/Makefile

-include $(shell find $(O) -name '*.d' 2>/dev/null)
