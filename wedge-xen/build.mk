# The Xen wedge (freestanding 64-bit PV kernel) and its test guests.
ifeq ($(CONFIG_WEDGE_XEN),y)

# ---- the wedge: a freestanding 64-bit Xen PV kernel ----------------------
# Position-independent code (it is linked at WEDGE_VIRT_BASE, outside the
# range -mcmodel=kernel reaches), no red zone: the guest's stack is shared.
WEDGE_CFLAGS := -O2 -ffreestanding -fpie -fvisibility=hidden -mno-red-zone \
                -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                -fcf-protection=none -D__XEN_INTERFACE_VERSION__=0x00040e00
WEDGE_SRCS := head.S main.c console.c lib.c mm.c events.c emulate.c descriptors.c devices.c loader.c xenstore.c \
              board.c pci.c mmio.c dp83820.c netfront.c apic.c ioapic.c mptable.c
WEDGE_OBJS := $(patsubst %,$(O)/wedge-xen/%.o,$(basename $(WEDGE_SRCS))) \
              $(O)/wedge-xen/x86/decode.o $(O)/wedge-xen/x86/rewrite.o \
              $(O)/wedge-xen/domtools/validate.o
WEDGE := $(O)/wedge-xen/wedge

$(O)/wedge-xen/%.o: CFLAGS := $(WEDGE_CFLAGS)
# The shared decoder and rewriter, built freestanding for the wedge.
$(O)/wedge-xen/x86/%.o: $(SRC)/x86/%.c $(AUTOHEADER)
	$(quiet) CC "$(patsubst $(SRC)/%,%,$<) (wedge)"
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(WEDGE_CFLAGS) -c -o $@ $<

# The image validator every loader shares (domtools/libafterburn/validate.h).
$(O)/wedge-xen/domtools/validate.o: $(SRC)/domtools/libafterburn/validate.c $(AUTOHEADER)
	$(quiet) CC "$(patsubst $(SRC)/%,%,$<) (wedge)"
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(WEDGE_CFLAGS) -c -o $@ $<

$(WEDGE): $(WEDGE_OBJS) $(SRC)/wedge-xen/wedge.lds
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)$(HOSTCC) -nostdlib -static -no-pie -Wl,-T,$(SRC)/wedge-xen/wedge.lds \
		-Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(WEDGE_OBJS)

ALL_TARGETS += $(WEDGE)

# Device models on the host, under cmocka (fake clock, timer and console).
WEDGE_HOST_O := $(O)/tests/wedge-xen
$(WEDGE_HOST_O)/%.o: $(SRC)/wedge-xen/%.c $(AUTOHEADER)
	$(quiet) CC "$(patsubst $(SRC)/%,%,$<) (host)"
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(CFLAGS) -D__XEN_INTERFACE_VERSION__=0x00040e00 -c -o $@ $<
$(eval $(call unit_test,wedge-devices,$(WEDGE_HOST_O)/devices_test.o $(WEDGE_HOST_O)/devices.o \
	$(WEDGE_HOST_O)/pci.o $(WEDGE_HOST_O)/dp83820.o $(WEDGE_HOST_O)/apic.o $(WEDGE_HOST_O)/ioapic.o \
	$(WEDGE_HOST_O)/mptable.o,))
# installed as wedge-xen: the name ab-create and the patched libxenguest
# loader look for (xen-patches/)
INSTALL_LIB_AS += $(WEDGE):wedge-xen
INSTALL_DOC += $(SRC)/docs/wedge.md

# ---- the conformance guest (tests/guests/conformance) ------------------
# Built twice from the same sources: burnt (afterburn-as, runs on bare QEMU
# and under the wedge) and plain (no .note.afterburn: the wedge refuses it).
GUEST_DIR    := $(SRC)/tests/guests/conformance
GUEST_O      := $(O)/tests/guests/conformance
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
                -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
                -fno-asynchronous-unwind-tables -fcf-protection=none -mcmodel=small
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(GUEST_DIR)/conformance.lds \
                 -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments
GUEST_SRCS   := entry64.S conformance.c
GUEST_DEPS   := $(GUEST_DIR)/conformance.lds $(GUEST_DIR)/boot32.S \
                $(addprefix $(GUEST_DIR)/,$(GUEST_SRCS))

# boot32.S never runs under the wedge (like Linux's 32-bit boot code): plain as.
$(GUEST_O)/boot32.o: $(GUEST_DIR)/boot32.S
	$(quiet) AS $(patsubst $(SRC)/%,%,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_O)/conformance-plain.elf: $(GUEST_DEPS) $(GUEST_O)/boot32.o
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)$(HOSTCC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_O)/boot32.o \
		$(addprefix $(GUEST_DIR)/,$(GUEST_SRCS))

ALL_TARGETS += $(GUEST_O)/conformance-plain.elf

ifeq ($(CONFIG_BURNER),y)
$(GUEST_O)/conformance.elf: $(GUEST_DEPS) $(GUEST_O)/boot32.o $(AFTERBURN_AS_BINDIR)/as
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)$(HOSTCC) -B$(AFTERBURN_AS_BINDIR)/ $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ \
		$(GUEST_O)/boot32.o $(addprefix $(GUEST_DIR)/,$(GUEST_SRCS))
ALL_TARGETS += $(GUEST_O)/conformance.elf
endif

endif
