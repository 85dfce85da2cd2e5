/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The afterburn boot bundle: how a domain builder (ab-create, the
 * libxenguest afterburn loader from xen-patches/) hands a burnt kernel and
 * its initrd to the wedge through the single module a PV start_info has.
 *
 *   module = burnt ELF image                      at offset 0
 *            [zero padding to a 4 KiB boundary]
 *            [initrd, as given (compressed or not)] at initrd_offset
 *            [zero padding to an 8-byte boundary]
 *            struct afterburn_bundle_trailer      the last 64 bytes
 *
 * A module without the trailer magic is a plain burnt ELF image (the stock
 * path: xl create kernel=wedge ramdisk=vmlinux), with no initrd and with
 * no site rewritten yet.  Little endian.  Freestanding, like annotation.h.
 */
#ifndef AFTERBURN_BUNDLE_H
#define AFTERBURN_BUNDLE_H

#ifndef AFTERBURN_ANNOTATION_H
#error "include afterburn/annotation.h before the bundle header"
#endif

#define AFTERBURN_BUNDLE_MAGIC        "ABBUNDL1"   /* 8 bytes, no NUL */
#define AFTERBURN_BUNDLE_ALIGN        4096u

/* The builder already rewrote every annotated site with the x86/
 * rewriter: the wedge must not rewrite them again. */
#define AFTERBURN_BUNDLE_F_REWRITTEN  0x1u
#define AFTERBURN_BUNDLE_F_KNOWN      0x1u

#ifndef __ASSEMBLER__
struct afterburn_bundle_trailer {
	char   magic[8];        /* AFTERBURN_BUNDLE_MAGIC */
	ab_u32 trailer_size;    /* sizeof(struct afterburn_bundle_trailer) */
	ab_u32 flags;           /* AFTERBURN_BUNDLE_F_*; unknown bits: refuse */
	ab_u32 kernel_offset_lo, kernel_offset_hi;   /* 0 */
	ab_u32 kernel_size_lo,   kernel_size_hi;
	ab_u32 initrd_offset_lo, initrd_offset_hi;   /* 0 when no initrd */
	ab_u32 initrd_size_lo,   initrd_size_hi;
	ab_u32 reserved[4];     /* zero */
};
_Static_assert(sizeof(struct afterburn_bundle_trailer) == 64,
	       "afterburn bundle trailer must be 64 bytes");
#endif

#endif /* AFTERBURN_BUNDLE_H */
