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
 *            [site table, only with F_REWRITTEN]  at sites_offset
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
 * rewriter (in the image at offset 0): the wedge must not rewrite them
 * again, and takes each site's original instruction from the site table. */
#define AFTERBURN_BUNDLE_F_REWRITTEN  0x1u
#define AFTERBURN_BUNDLE_F_KNOWN      0x1u

/*
 * The site table (F_REWRITTEN only): a header, then one entry per
 * .afterburn record, in record order.  The wedge checks every entry (site
 * inside an executable segment, original bytes decoding to the recorded
 * kind and length, the rewritten form where the entry says it is) and
 * refuses the guest on any mismatch, as it refuses a corrupt .afterburn.
 */
#define AFTERBURN_SITES_MAGIC  "ABSITES1"    /* 8 bytes, no NUL */

/* What the builder left at a site. */
#define AFTERBURN_SITE_INLINE  1   /* rewritten, no call into the wedge (cli) */
#define AFTERBURN_SITE_CALL    2   /* rewritten to a call: the call returns to
				    * site + ret_offset */
#define AFTERBURN_SITE_TRAP    3   /* left to trap (x86/rewrite.h): the
				    * original instruction (swapgs, sysret,
				    * sysexit) or ud2 + NOPs (lar, lsl, verr,
				    * verw); the wedge emulates it from its
				    * #GP or #UD */
#define AFTERBURN_SITE_KEPT    4   /* left as is, never emulated (rdtsc) */

#ifndef __ASSEMBLER__
struct afterburn_bundle_sites {
	char   magic[8];        /* AFTERBURN_SITES_MAGIC */
	ab_u32 count;           /* entries that follow */
	ab_u32 entry_size;      /* sizeof(struct afterburn_bundle_site) */
	/* The wedge layout the builder rewrote for (x86/rewrite.h targets):
	 * a wedge with another layout refuses the table. */
	ab_u32 upcall_mask_lo, upcall_mask_hi;
	ab_u32 sti_check_slot_lo, sti_check_slot_hi;
	ab_u32 kind_slot_base_lo, kind_slot_base_hi;  /* slot of kind k: base + 8 k */
};
_Static_assert(sizeof(struct afterburn_bundle_sites) == 40,
	       "afterburn site table header must be 40 bytes");

struct afterburn_bundle_site {
	ab_u32 paddr_lo, paddr_hi;  /* guest-physical address of the site */
	ab_u8  length;          /* bytes of the site (record length) */
	ab_u8  insn;            /* bytes of the original instruction */
	ab_u8  kind;            /* enum x86_kind (x86/sensitive.def) */
	ab_u8  form;            /* AFTERBURN_SITE_* */
	ab_u8  ret_offset;      /* CALL: the call's return address - site */
	ab_u8  pair_len;        /* CALL of an sti directly followed by a hlt
				 * site: that site's length (one step), else 0 */
	ab_u8  reserved[2];     /* zero */
	ab_u8  original[16];    /* the original instruction, zero padded */
};
_Static_assert(sizeof(struct afterburn_bundle_site) == 32,
	       "afterburn site table entry must be 32 bytes");
#endif

#ifndef __ASSEMBLER__
struct afterburn_bundle_trailer {
	char   magic[8];        /* AFTERBURN_BUNDLE_MAGIC */
	ab_u32 trailer_size;    /* sizeof(struct afterburn_bundle_trailer) */
	ab_u32 flags;           /* AFTERBURN_BUNDLE_F_*; unknown bits: refuse */
	ab_u32 kernel_offset_lo, kernel_offset_hi;   /* 0 */
	ab_u32 kernel_size_lo,   kernel_size_hi;
	ab_u32 initrd_offset_lo, initrd_offset_hi;   /* 0 when no initrd */
	ab_u32 initrd_size_lo,   initrd_size_hi;
	ab_u32 sites_offset_lo, sites_offset_hi;   /* F_REWRITTEN: the site table */
	ab_u32 sites_size_lo,   sites_size_hi;     /* header + entries; else 0 */
};
_Static_assert(sizeof(struct afterburn_bundle_trailer) == 64,
	       "afterburn bundle trailer must be 64 bytes");
#endif

#endif /* AFTERBURN_BUNDLE_H */
