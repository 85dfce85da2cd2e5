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

ifeq ($(CONFIG_BURNER_IN_PROCESS),y)
# bin/as: a copy of the real GNU as that also loads bin/libafterburn-as.so
# (DT_NEEDED `$ORIGIN/libafterburn-as.so`: a path, so ld.so opens it
# directly; a RUNPATH would send every library of as through a search of
# bin/ and its hwcaps subdirectories first, 40 failed system calls per
# start; and the last one, since patchelf adds in front and every symbol
# lookup of as and libbfd would try it first), whose constructor burns the
# input before as's main runs: no second program, no second exec.
AFTERBURN_AS_LIB := $(AFTERBURN_AS_BINDIR)/libafterburn-as.so
# x86 only: IA-64 inputs go to the afterburn-as program.
AFTERBURN_AS_PIC_OBJS := $(O)/burner/pic/burner/afterburn-as.o \
	$(patsubst $(SRC)/%.c,$(O)/burner/pic/%.o,$(wildcard $(SRC)/x86/burn*.c))

$(O)/burner/pic/%.o: $(SRC)/%.c $(AUTOHEADER)
	$(quiet) CC $(patsubst $(SRC)/%,%,$<) '(-fPIC)'
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -DAFTERBURN_IN_PROCESS -c -o $@ $<
-include $(AFTERBURN_AS_PIC_OBJS:.o=.d)

# Loaded at every start of as: two segments instead of four and no RELRO
# mprotect (fewer mappings and system calls; it lives for one assembly).
AFTERBURN_AS_LIB_LDFLAGS := -Wl,-z,noseparate-code -Wl,-z,norelro
$(AFTERBURN_AS_LIB): $(AFTERBURN_AS_PIC_OBJS)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -shared -Wl,-z,defs -Wl,-soname,libafterburn-as.so \
		$(AFTERBURN_AS_LIB_LDFLAGS) -o $@ $^

# (an upgraded GNU as is copied again: the real file is a prerequisite)
$(AFTERBURN_AS_BINDIR)/as: $(AFTERBURN_AS_LIB) $(AUTOCONF) $(realpath $(patsubst "%",%,$(CONFIG_REAL_AS)))
	$(quiet) PATCHELF $(patsubst $(O)/%,%,$@) '(a copy of $(CONFIG_REAL_AS))'
	$(Q)command -v patchelf >/dev/null || { echo "$@: patchelf is missing (ci/install-deps burner)" >&2; exit 1; }
	$(Q)real=$$(readlink -f $(CONFIG_REAL_AS)) && [ -x "$$real" ] || \
		{ echo "$@: the real assembler $(CONFIG_REAL_AS) (CONFIG_REAL_AS) is not there" >&2; exit 1; }; \
		cp "$$real" $@.tmp && needed=$$(patchelf --print-needed $@.tmp) && \
		patchelf $$(printf ' --remove-needed %s' $$needed) $@.tmp && \
		patchelf --add-needed '$$ORIGIN/libafterburn-as.so' $@.tmp && \
		for n in $$(printf '%s\n' $$needed | tac); do \
			patchelf --add-needed "$$n" $@.tmp || exit 1; \
		done && \
		mv $@.tmp $@
ALL_TARGETS += $(AFTERBURN_AS_LIB)
else
# A copy, not a link: `cp -a` installs the directory as it is.
$(AFTERBURN_AS_BINDIR)/as: $(AFTERBURN_AS)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@
endif

ALL_TARGETS += $(AFTERBURN_AS) $(AFTERBURN_AS_BINDIR)/as
INSTALL_BIN += $(AFTERBURN_AS)
INSTALL_LIB += $(AFTERBURN_AS_BINDIR)
INSTALL_DOC += $(SRC)/docs/burner.md

$(eval $(call unit_test,burner,$(O)/tests/burner/test-burner.o $(filter-out $(O)/burner/afterburn-as.o,$(AFTERBURN_AS_OBJS)),))
endif
