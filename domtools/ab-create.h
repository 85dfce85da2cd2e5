/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create's view of a burnt x86-64 kernel image: what the domain builder
 * checks before it places anything (ab-create-image.c), on top of
 * libafterburn's bounds-checked ELF, note and record readers.  No Xen
 * dependency: also used by the fuzzer and the unit tests.
 */
#ifndef AFTERBURN_AB_CREATE_H
#define AFTERBURN_AB_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/validate.h"

/* The limits are the validator's (domtools/libafterburn/validate.h). */
#define AB_IMAGE_MAX_SEGMENTS AB_V_MAX_SEGMENTS
#define AB_IMAGE_MAX_SEGMENT_SIZE AB_V_MAX_SEGMENT_SIZE

#define ab_image_segment ab_v_segment

struct ab_image {
	struct ab_validated v;   /* the validator's findings */
	struct ab_note note;
	uint64_t entry;
	size_t nsegments;
	const struct ab_v_segment *segments;   /* = v.segments */
	uint64_t pstart, pend;   /* physical range of the PT_LOADs */
	size_t nsites;
	/*
	 * The sites in guest-physical order (ab_image_load only), without a
	 * per-site list: the executable loads' file bytes, in physical
	 * order, cut into `bucket`-byte stretches (the smallest site: two
	 * sites never start in one stretch), and slots[i] = 1 + the record
	 * whose site starts in stretch i, 0 for none.  4 bytes per `bucket`
	 * bytes of code (half the code's size), whatever the record count.
	 */
	uint32_t *slots;
	size_t nslots;
	unsigned bucket;
	unsigned ncode;          /* executable loads, by physical address: */
	struct ab_code {
		uint64_t vaddr, paddr, offset, filesz;
		uint64_t first;  /* index of its first byte in the concatenation */
	} code[AB_V_MAX_SEGMENTS];
};

/* Validate a burnt x86-64 image held in data[0..size) (not copied: it must
 * outlive img) with the loaders' one validator (ab_validate_image).  0 when
 * the image is fit to boot under the wedge, else -1 with the validator's
 * one-line reason in err.  ab_image_load also orders the sites (the slot
 * table above) for the rewriting; ab_image_validate does not (memory: the
 * validator's bitmap only).  ab_image_free in every case. */
int ab_image_load(struct ab_image *img, const void *data, size_t size,
		  char *err, size_t errlen);
int ab_image_validate(struct ab_image *img, const void *data, size_t size,
		      char *err, size_t errlen);
void ab_image_free(struct ab_image *img);

/* Sites per kind, for the layout report: counts[k] for k < nkinds. */
void ab_image_count_kinds(const struct ab_image *img, const void *data, size_t *counts, size_t nkinds);

struct ab_rewrite_stats {
	size_t rewritten;        /* sites rewritten (calls, inline forms, traps) */
	size_t calls;            /* of those: calls into the wedge */
	size_t traps;            /* of those: put back to trap (swapgs, sysret) */
	size_t kept;             /* COUNT kinds left as they are */
};

/* Where a boot bundle is written: write(ctx, offset, bytes, n) puts n
 * bytes at offset of the bundle (any order; 0 or -1 with errno).  A file,
 * the module's pages in the new domain, or nothing (a dry run). */
struct ab_sink {
	int (*write)(void *ctx, uint64_t offset, const void *bytes, size_t n);
	void *ctx;
};

/* Bytes of the bundle's site table (domtools/ab-create-bundle.h) for img. */
size_t ab_image_table_size(const struct ab_image *img);

/*
 * Write the image data[0..size) (validated by ab_image_load into img) at
 * offset 0 of the sink with every site rewritten for the wedge's layout
 * (wedge-xen/layout.h), as the wedge would, and the bundle's site table
 * (ab_image_table_size bytes, entries in guest-physical order) at
 * table_offset.  data is never written: the sites are rewritten in a
 * small buffer, chunk by chunk, so the memory taken is a constant (about
 * 1 MiB) whatever the image.  0, or -1 with a one-line reason in err.
 */
int ab_image_rewrite(const struct ab_image *img, const unsigned char *data, size_t size,
		     uint64_t table_offset, const struct ab_sink *sink,
		     struct ab_rewrite_stats *stats, char *err, size_t errlen);

#endif
