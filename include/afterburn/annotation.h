/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The afterburn annotation ABI: the one contract between the burner
 * (afterburn-as), the checker (ab-check), the domain builder (ab-create,
 * the libxenguest loader) and the wedge.  Freestanding: usable from the
 * wedge, from host tools and (the macros) from assembly.
 *
 * A burnt object or image carries:
 *   - section ".afterburn" (SHF_ALLOC, 4-byte aligned): an array of
 *     struct afterburn_record, one per sensitive-instruction site;
 *   - section ".note.afterburn": one ELF note, name "Afterburn",
 *     type AFTERBURN_NOTE_ABI, descriptor struct afterburn_note_desc.
 *     The burner emits it in a COMDAT group so a link keeps one copy.
 *
 * Bump AFTERBURN_ABI_VERSION on any incompatible change of the record
 * layout or of the meaning of a kind number; loaders refuse other versions.
 */
#ifndef AFTERBURN_ANNOTATION_H
#define AFTERBURN_ANNOTATION_H

#define AFTERBURN_ABI_VERSION      1

#define AFTERBURN_SECTION          ".afterburn"
#define AFTERBURN_NOTE_SECTION     ".note.afterburn"
#define AFTERBURN_NOTE_NAME        "Afterburn"   /* namesz 10 incl. NUL */
#define AFTERBURN_NOTE_ABI         1             /* n_type */
#define AFTERBURN_NOTE_COMDAT      "afterburn.note.v1"

/* Architecture numbers, in the note descriptor. */
#define AFTERBURN_ARCH_X86_64      1
#define AFTERBURN_ARCH_I386        2
#define AFTERBURN_ARCH_IA64        3

#define AFTERBURN_RECORD_SIZE      8

/* Labels the burner uses around each x86 site; chosen far above the
 * numeric labels real inputs use (Linux: 1-9999, 661/662/6641...). */
#define AFTERBURN_LABEL_START      77101
#define AFTERBURN_LABEL_PAD        77102
#define AFTERBURN_LABEL_END        77103

#ifndef __ASSEMBLER__
#ifdef __KERNEL_FREESTANDING__
typedef signed int   ab_s32;
typedef unsigned int ab_u32;
typedef unsigned short ab_u16;
typedef unsigned char ab_u8;
#else
#include <stdint.h>
typedef int32_t  ab_s32;
typedef uint32_t ab_u32;
typedef uint16_t ab_u16;
typedef uint8_t  ab_u8;
#endif

/*
 * One site.  Position independent, like Linux's .altinstructions:
 * site address = address of .offset + offset.
 *   x86:   length = bytes from the site start to the end of its scratch
 *          space (instruction + padding); insn = length of the original
 *          instruction (the padding starts at site + insn).
 *   IA-64: the site is the bundle address; insn = slot (0-2);
 *          length = bytes of the instruction's bundle plus padding bundles.
 */
struct afterburn_record {
	ab_s32 offset;
	ab_u8  length;
	ab_u8  insn;
	ab_u16 kind;
};

/* Descriptor of the AFTERBURN_NOTE_ABI note (little endian, 4-aligned). */
struct afterburn_note_desc {
	ab_u32 abi_version;   /* AFTERBURN_ABI_VERSION */
	ab_u16 arch;          /* AFTERBURN_ARCH_* */
	ab_u16 record_size;   /* AFTERBURN_RECORD_SIZE */
	ab_u32 flags;         /* AFTERBURN_NOTE_F_*; unknown bits: refuse */
};

/* The burner also counted (not padded) rdtsc/rdtscp sites. */
#define AFTERBURN_NOTE_F_RDTSC_PADDED 0x1u
#define AFTERBURN_NOTE_F_KNOWN        0x1u

/* Site address of a record (for code that has the records mapped). */
static inline unsigned long
afterburn_record_site(const struct afterburn_record *r)
{
	return (unsigned long)&r->offset + (long)r->offset;
}

_Static_assert(sizeof(struct afterburn_record) == AFTERBURN_RECORD_SIZE,
	       "afterburn record must be 8 bytes");
_Static_assert(sizeof(struct afterburn_note_desc) == 12,
	       "afterburn note descriptor must be 12 bytes");
#endif /* !__ASSEMBLER__ */

#endif /* AFTERBURN_ANNOTATION_H */
