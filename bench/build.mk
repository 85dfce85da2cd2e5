# The benchmark suite and the xentrace counter: static binaries, so the same
# files run on the host, in a busybox initramfs on bare QEMU, in dom0 and in
# a PV domU.
ifeq ($(CONFIG_ARCH_X86_64),y)
BENCH_BINS := $(O)/bench/ab-bench $(O)/bench/ab-xtcount
ALL_TARGETS += $(BENCH_BINS)
INSTALL_LIB += $(BENCH_BINS)
INSTALL_DOC += $(SRC)/docs/benchmarks.md

$(BENCH_BINS): $(O)/bench/%: $(O)/bench/%.o
	$(quiet) LD $(patsubst $(O)/%,%,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) -static -o $@ $^
endif

# make bench-burner: afterburn-as against as on the saved assembler inputs
# of the Linux build, and the text growth per class (bench/burner-cost,
# docs/burner.md).  Independent of `make bench`.
.PHONY: bench-burner
bench-burner: all
	$(Q)AB_SRC=$(SRC) AB_OBJ=$(O) $(SRC)/bench/burner-cost
