# Dom0 tools.  Shared file: append only, keep the others' lines.

# libafterburn: bounds-checked ELF + annotation reader (API in
# domtools/libafterburn/afterburn.h), a static library for ab-check, the
# domain builder, the fuzzer and ab-check-ia64 (ia64/build.mk links it,
# hence defined whatever CONFIG_DOMTOOLS says).
LIBAFTERBURN := $(O)/domtools/libafterburn.a
LIBAFTERBURN_OBJS := $(O)/domtools/libafterburn/elf.o $(O)/domtools/libafterburn/records.o \
		     $(O)/domtools/libafterburn/validate.o
$(LIBAFTERBURN): $(LIBAFTERBURN_OBJS)
	$(quiet) AR $(patsubst $(O)/%,%,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

ifeq ($(CONFIG_DOMTOOLS),y)

$(O)/domtools/ab-check.o $(O)/domtools/ab-create.o $(O)/domtools/ab-check-ia64.o: $(VERSION_HEADER)

# ab-check: coverage checker (Capstone disassembly, kind names from
# x86/sensitive.def through x86/burn_classify.c).
AB_CHECK := $(O)/domtools/ab-check
$(AB_CHECK): $(O)/domtools/ab-check.o $(O)/domtools/ab-compare.o $(O)/x86/burn_classify.o $(LIBAFTERBURN)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -o $@ $^ -lcapstone

ALL_TARGETS += $(LIBAFTERBURN) $(AB_CHECK)
INSTALL_BIN += $(AB_CHECK)
INSTALL_LIB += $(LIBAFTERBURN)
INSTALL_INCLUDE += $(SRC)/domtools/libafterburn/afterburn.h

$(eval $(call unit_test,libafterburn,$(O)/tests/burner/test-libafterburn.o $(LIBAFTERBURN),))
endif

# ab-create: the PV domain builder (Debian's libxenctrl, libxenguest,
# libxenstore from libxen-dev), and its image validator, shared with the
# fuzzer (domtools/fuzz/) and the tests.  The wedge is looked up at
# $(LIBDIR)/wedge-xen unless --wedge or $AFTERBURN_WEDGE says otherwise.
ifeq ($(CONFIG_DOMTOOLS_AB_CREATE),y)
AB_CREATE := $(O)/domtools/ab-create
$(O)/domtools/ab-create.o: CFLAGS += -DAB_WEDGE_DEFAULT='"$(LIBDIR)/wedge-xen"'
$(AB_CREATE): $(O)/domtools/ab-create.o $(O)/domtools/ab-create-image.o $(O)/domtools/ab-create-rewrite.o \
		$(O)/x86/decode.o $(O)/x86/rewrite.o $(LIBAFTERBURN)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -o $@ $^ -lxenguest -lxenctrl -lxenstore -lxentoollog
ALL_TARGETS += $(AB_CREATE)
INSTALL_BIN += $(AB_CREATE)

# The idle guest of tests/domtools/xen-e2e.test (xl shutdown, xl console):
# burnt with afterburn-as, idles in hlt until the domain is ended.
ifeq ($(CONFIG_BURNER),y)
IDLE_GUEST := $(O)/tests/domtools/idle-guest.elf
IDLE_DIR := $(SRC)/tests/domtools/idle-guest
$(IDLE_GUEST): $(IDLE_DIR)/idle.S $(IDLE_DIR)/idle.lds $(AFTERBURN_AS_BINDIR)/as
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -B$(AFTERBURN_AS_BINDIR)/ -nostdlib -static -no-pie -ffreestanding \
		-Wl,-T,$(IDLE_DIR)/idle.lds -Wl,--build-id=none -Wl,-z,noexecstack \
		-Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -o $@ $(IDLE_DIR)/idle.S
ALL_TARGETS += $(IDLE_GUEST)
endif
endif

# The wedge's loader (wedge-xen/loader.c, unchanged) built for the host
# (domtools/fuzz/wedge-host.c): the wedge's verdict on an image, for
# tests/domtools/crafted.test beside ab-create's and libxenguest's.
ifeq ($(CONFIG_WEDGE_XEN),y)
WEDGE_LOADER_HOST := $(O)/tests/domtools/wedge-loader
WEDGE_LOADER_HOST_SRCS := $(SRC)/domtools/fuzz/wedge-host.c $(SRC)/wedge-xen/loader.c \
	$(SRC)/domtools/libafterburn/validate.c $(SRC)/x86/decode.c $(SRC)/x86/rewrite.c
$(WEDGE_LOADER_HOST): $(WEDGE_LOADER_HOST_SRCS) $(AUTOHEADER)
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(CFLAGS) -D__XEN_INTERFACE_VERSION__=0x00040e00 -o $@ $(WEDGE_LOADER_HOST_SRCS)
ALL_TARGETS += $(WEDGE_LOADER_HOST)
endif
