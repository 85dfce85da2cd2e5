/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one validation of a burnt x86-64 kernel image, shared by every
 * loader: ab-create (hosted), the libxenguest afterburn loader (compiled
 * into libxenguest by xen-patches/build) and the wedge's in-guest loader
 * (freestanding).  Same bytes, same verdict, same one-line reason.
 *
 * Freestanding: needs memcmp, memcpy, memset and vsnprintf (the wedge has
 * its own, which knows %s %d %u %x with l/z and widths; the messages use
 * nothing else), x86/decode.c and x86/rewrite.c.  It never writes to the
 * image; the only memory it takes is one zeroed bitmap of one bit per byte
 * of executable code, from the caller's allocator.
 *
 * Cost, bounded by the image size (docs/domtools.md, "The validator"):
 *   - one pass over the section headers (at most 65,535), comparing names
 *     against a few fixed strings; at most one .afterburn section;
 *   - notes: the SHT_NOTE sections together hold at most the file's size;
 *   - at most AB_V_MAX_PHDRS program headers, AB_V_MAX_SEGMENTS loads
 *     (pairwise overlap check: a constant);
 *   - records: at most one per byte of executable code (sites never
 *     overlap), each checked in O(1) before any site is decoded; a site
 *     is decoded only once it is known not to overlap an earlier one, so
 *     decoding costs at most the executable bytes in total.
 */
#ifndef AFTERBURN_VALIDATE_H
#define AFTERBURN_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define AB_V_MAX_PHDRS        128
#define AB_V_MAX_SEGMENTS     32
#define AB_V_MAX_SEGMENT_SIZE (1ull << 30)

struct ab_v_segment {
	uint64_t offset, vaddr, paddr, filesz, memsz;
	uint32_t flags;                  /* PF_X 1, PF_W 2, PF_R 4 */
	uint32_t index;                  /* program header index */
};

/* One record, as read from the image (record order). */
struct ab_v_record {
	uint64_t addr;                   /* site address */
	uint64_t file_offset;            /* of the site's first byte (validated images only) */
	uint8_t length, insn;
	uint16_t kind;
};

struct ab_validated {
	uint64_t entry;
	uint32_t abi_version, note_flags;
	uint16_t arch, record_size;
	unsigned nsegments;              /* PT_LOADs with memsz > 0, program header order */
	struct ab_v_segment segments[AB_V_MAX_SEGMENTS];
	uint64_t pstart, pend;           /* physical range of the loads */
	unsigned records_section;        /* section index of .afterburn */
	uint64_t records_offset;         /* its file offset */
	uint64_t records_addr;           /* its address */
	size_t nrecords;
	uint64_t exec_bytes;             /* file bytes of the executable loads */
};

/* The caller's memory: zalloc returns `bytes` zeroed bytes or NULL;
 * release gives them back. */
struct ab_v_alloc {
	void *(*zalloc)(void *ctx, size_t bytes);
	void (*release)(void *ctx, void *p, size_t bytes);
	void *ctx;
};

/*
 * Validate the image data[0..size).  0: fit to load under the wedge, *out
 * filled.  -1: refused, with the one-line reason in err (no prefix, no
 * newline; names the record index and the site address for a bad record).
 */
int ab_validate_image(const void *data, size_t size, const struct ab_v_alloc *mem,
		      struct ab_validated *out, char *err, size_t errlen);

/* The same for an image whose sites the domain builder rewrote already
 * (an ab-create boot bundle with AFTERBURN_BUNDLE_F_REWRITTEN): every rule
 * but the site's bytes (instruction, padding, room for the rewrite), which
 * the wedge checks against the bundle's site table instead. */
#define AB_V_SITES_REWRITTEN 0x1u
int ab_validate_image_flags(const void *data, size_t size, const struct ab_v_alloc *mem,
			    unsigned flags, struct ab_validated *out, char *err, size_t errlen);

/* Record k (< v->nrecords) of a validated image. */
void ab_v_record_get(const struct ab_validated *v, const void *data, size_t k,
		     struct ab_v_record *r);

/*
 * Is this an image for the afterburn loader?  An ELF64 little-endian file
 * with a note whose name starts with "Afterburn" in an SHT_NOTE section
 * or a PT_NOTE segment (or note headers so large that only the validator
 * can say what is wrong).  The libxenguest loader's probe: a kernel it
 * says yes to gets the validator's verdict, never the generic ELF
 * loader's.  Cost: bounded like the validator's note scan.
 */
int ab_v_is_burnt(const void *data, size_t size);

#endif
