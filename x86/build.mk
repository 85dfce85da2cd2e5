# x86 architecture code.  Shared file: append only, keep the others' lines.
#
# Burner front end (x86_burn, burner/frontend.h): x86/burn*.c, linked into
# afterburn-as by burner/build.mk and reused by domtools/ab-check.
X86_BURN_OBJS := $(patsubst $(SRC)/%.c,$(O)/%.o,$(wildcard $(SRC)/x86/burn*.c))

# Decoder and site rewriter (wedge-xen links them freestanding; the domain
# builder can link them as host objects): x86/decode.c, x86/rewrite.c.
X86_REWRITE_SRCS := $(SRC)/x86/decode.c $(SRC)/x86/rewrite.c
ifeq ($(CONFIG_ARCH_X86_64),y)
$(eval $(call unit_test,x86-decode,$(O)/x86/decode_test.o $(O)/x86/decode.o $(O)/x86/rewrite.o,))
endif
