# IA-64: the sensitive-instruction table, the burner front end, the emul_*
# macro library, the bundle decoder/encoder and site rewriter, and the
# IA-64 coverage checker (domtools/ab-check-ia64).
ifeq ($(CONFIG_ARCH_IA64),y)

# Objects of the front end.  burner/build.mk links every ia64/burn*.c into
# afterburn-as (and into its unit test), which is why the table lookups and
# the embedded macro library are named burn-*.c.
IA64_BURN_OBJS := $(O)/ia64/burn.o $(O)/ia64/burn-kinds.o $(O)/ia64/burn-emul.o
# The host library the checker, the builder and the wedge's tests use.
IA64_LIB_OBJS := $(O)/ia64/bundle.o $(O)/ia64/rewrite.o $(O)/ia64/burn-kinds.o

$(O)/ia64/burn-emul.o: CFLAGS += -DIA64_EMUL_PATH='"$(SRC)/ia64/emul.S"'
$(O)/ia64/burn-emul.o: $(SRC)/ia64/emul.S

ALL_TARGETS += $(IA64_BURN_OBJS) $(IA64_LIB_OBJS)
INSTALL_LIB += $(SRC)/ia64/emul.S
INSTALL_DOC += $(SRC)/docs/ia64.md

$(eval $(call unit_test,ia64-bundle,$(O)/tests/ia64/test-bundle.o $(IA64_LIB_OBJS),))
$(eval $(call unit_test,ia64-loaded,$(O)/tests/ia64/test-loaded.o $(IA64_LIB_OBJS),))
$(eval $(call unit_test,ia64-burn,$(O)/tests/ia64/test-burn.o $(IA64_BURN_OBJS),))

# Test helper: differential execution of macro-mode and loaded-form code
# (tests/ia64/table.test).
IA64_EQUIV := $(O)/tests/ia64/ia64-equiv
$(IA64_EQUIV): $(O)/tests/ia64/ia64-equiv.o $(O)/ia64/bundle.o
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -o $@ $^
ALL_TARGETS += $(IA64_EQUIV)

# The IA-64 checker: coverage of .afterburn over every sensitive slot of an
# IA-64 ELF object or image, and (--rewrite) the loaded form of each site.
AB_CHECK_IA64 := $(O)/domtools/ab-check-ia64
$(AB_CHECK_IA64): $(O)/domtools/ab-check-ia64.o $(IA64_LIB_OBJS) $(LIBAFTERBURN)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -o $@ $^

ALL_TARGETS += $(AB_CHECK_IA64) $(O)/domtools/elilo-conf
INSTALL_BIN += $(AB_CHECK_IA64) $(O)/domtools/elilo-conf

$(O)/domtools/elilo-conf: $(SRC)/domtools/elilo-conf $(SRC)/VERSION
	$(Q)mkdir -p $(@D)
	$(Q)sed "s/@AB_VERSION@/$$(sed -n '1{s/[[:space:]]//g;p}' $(SRC)/VERSION)/" $< >$@.tmp && chmod 755 $@.tmp && mv $@.tmp $@
endif
