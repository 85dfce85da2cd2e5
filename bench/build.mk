# The benchmark suite: one static binary, so the same file runs on the host,
# in a busybox initramfs on bare QEMU, in dom0 and in a PV domU.
ifeq ($(CONFIG_ARCH_X86_64),y)
AB_BENCH := $(O)/bench/ab-bench
ALL_TARGETS += $(AB_BENCH)
INSTALL_LIB += $(AB_BENCH)

$(AB_BENCH): $(O)/bench/ab-bench.o
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -static -o $@ $^
endif
