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
	struct ab_site *sites;   /* sorted by address; NULL after ab_image_validate */
};

/* Validate a burnt x86-64 image held in data[0..size) (not copied: it must
 * outlive img) with the loaders' one validator (ab_validate_image).  0 when
 * the image is fit to boot under the wedge, else -1 with the validator's
 * one-line reason in err.  ab_image_load also lists the sites (sorted by
 * address) for the rewriting; ab_image_validate does not (memory: the
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

/* Rewrite every site of img (validated by ab_image_load) in `image`, a
 * writable copy of the same size-byte file, for the wedge's layout
 * (wedge-xen/layout.h), as the wedge would.  Returns the bundle's site
 * table (malloc'ed, *table_size bytes; domtools/ab-create-bundle.h), or
 * NULL with a one-line reason in err. */
void *ab_image_rewrite(const struct ab_image *img, unsigned char *image, size_t size,
		       size_t *table_size, struct ab_rewrite_stats *stats, char *err, size_t errlen);

#endif
