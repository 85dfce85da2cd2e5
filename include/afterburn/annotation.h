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

/*
 * Optional, ABI version 1 compatible: section ".afterburn.mode" (not
 * allocated, so it is never loaded; readers that do not know it ignore
 * it, and AFTERBURN_ABI_VERSION is unchanged) holds one
 * struct afterburn_mode_range per stretch of code that the burner saw
 * assembled in another mode than the object's default (.code16,
 * .code16gcc or .code32 in a --64 object; .code16 or .code64 in a --32
 * one).  Code outside every range is in the default mode (64-bit for
 * ELFCLASS64 x86-64, 32-bit for i386).  The checker decodes each range,
 * and the records in it, in that mode.
 *   start: absolute address of the first byte (`.quad label` in 64-bit
 *          objects, `.long label, 0` in 32-bit ones: resolved by the
 *          linker, a relocation against the code's section in objects);
 *   size:  bytes; bits: 16, 32 or 64.
 * A range lies in one section.  The burner cannot see mode switches made
 * by macro expansions (.code16 inside a .macro/.irp/.rept body).
 */
#define AFTERBURN_MODE_SECTION     ".afterburn.mode"
#define AFTERBURN_MODE_RANGE_SIZE  16

/* Site address of a record (for code that has the records mapped). */
static inline unsigned long
afterburn_record_site(const struct afterburn_record *r)
{
	return (unsigned long)&r->offset + (long)r->offset;
}

struct afterburn_mode_range {
	ab_u32 start_lo, start_hi;   /* little endian 64-bit address */
	ab_u32 size;
	ab_u16 bits;                 /* 16, 32, 64 */
	ab_u16 reserved;             /* 0 */
};

_Static_assert(sizeof(struct afterburn_mode_range) == AFTERBURN_MODE_RANGE_SIZE,
	       "afterburn mode range must be 16 bytes");
_Static_assert(sizeof(struct afterburn_record) == AFTERBURN_RECORD_SIZE,
	       "afterburn record must be 8 bytes");
_Static_assert(sizeof(struct afterburn_note_desc) == 12,
	       "afterburn note descriptor must be 12 bytes");
#endif /* !__ASSEMBLER__ */

#endif /* AFTERBURN_ANNOTATION_H */
