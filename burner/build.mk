# afterburn-as: the drop-in assembler.  Installed as bin/afterburn-as and as
# lib/afterburner/bin/as (a directory of its own, for `gcc -B<dir>/`); the
# build tree has the same: $(O)/burner/bin/as.
ifeq ($(CONFIG_BURNER),y)
AFTERBURN_AS := $(O)/burner/afterburn-as
AFTERBURN_AS_BINDIR := $(O)/burner/bin
AFTERBURN_AS_OBJS := $(O)/burner/afterburn-as.o \
	$(patsubst $(SRC)/%.c,$(O)/%.o,$(wildcard $(SRC)/x86/burn*.c))

# The IA-64 front end joins once ia64/burn.c exists (ia64/build.mk may add
# more objects with an extra `$(O)/burner/afterburn-as: ...` line).
ifeq ($(CONFIG_ARCH_IA64),y)
ifneq ($(wildcard $(SRC)/ia64/burn.c),)
AFTERBURN_AS_OBJS += $(patsubst $(SRC)/%.c,$(O)/%.o,$(wildcard $(SRC)/ia64/burn*.c))
$(O)/burner/afterburn-as.o: CFLAGS += -DHAVE_IA64_BURN
endif
endif

# Static: it starts once per assembled file, and a dynamic start (ld.so,
# libc relocation) costs about as much as the burning itself.
$(AFTERBURN_AS): $(AFTERBURN_AS_OBJS)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -static -o $@ $(filter %.o,$^)

# A copy, not a link: `cp -a` installs the directory as it is.
$(AFTERBURN_AS_BINDIR)/as: $(AFTERBURN_AS)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

ALL_TARGETS += $(AFTERBURN_AS) $(AFTERBURN_AS_BINDIR)/as
INSTALL_BIN += $(AFTERBURN_AS)
INSTALL_LIB += $(AFTERBURN_AS_BINDIR)
INSTALL_DOC += $(SRC)/docs/burner.md

$(eval $(call unit_test,burner,$(O)/tests/burner/test-burner.o $(filter-out $(O)/burner/afterburn-as.o,$(AFTERBURN_AS_OBJS)),))
endif
