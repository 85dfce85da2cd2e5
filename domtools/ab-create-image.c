/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create: validation of a burnt x86-64 kernel image before it is placed
 * in a domain.  The verdict is the one validator every loader shares
 * (domtools/libafterburn/validate.c: also compiled into the libxenguest
 * loader and the wedge); this file only lists the sites of an accepted
 * image, sorted by address, for the builder's rewriting.
 */
#include <stdlib.h>
#include <string.h>

#include "domtools/ab-create.h"
#include "domtools/libafterburn/util.h"

static void *v_zalloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return calloc(bytes ? bytes : 1, 1);
}

static void v_release(void *ctx, void *p, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(p);
}

static const struct ab_v_alloc heap = { v_zalloc, v_release, NULL };

int ab_image_validate(struct ab_image *img, const void *data, size_t size,
		      char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	img->segments = img->v.segments;
	if (ab_validate_image(data, size, &heap, &img->v, err, errlen))
		return -1;
	img->note.present = true;
	img->note.count = 1;
	img->note.abi_version = img->v.abi_version;
	img->note.arch = img->v.arch;
	img->note.record_size = img->v.record_size;
	img->note.flags = img->v.note_flags;
	img->entry = img->v.entry;
	img->nsegments = img->v.nsegments;
	img->pstart = img->v.pstart;
	img->pend = img->v.pend;
	img->nsites = img->v.nrecords;
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct ab_site *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int ab_image_load(struct ab_image *img, const void *data, size_t size,
		  char *err, size_t errlen)
{
	if (ab_image_validate(img, data, size, err, errlen))
		return -1;
	img->sites = calloc(img->nsites ? img->nsites : 1, sizeof(*img->sites));
	if (!img->sites)
		return fail(err, errlen, "out of memory for %zu sites", img->nsites);
	for (size_t k = 0; k < img->nsites; k++) {
		struct ab_v_record r;
		ab_v_record_get(&img->v, data, k, &r);
		struct ab_site *s = &img->sites[k];
		s->record = k;
		s->record_section = img->v.records_section;
		s->addr = r.addr;
		s->length = r.length;
		s->insn = r.insn;
		s->kind = r.kind;
	}
	/* The validator proved no two sites overlap: the order is strict. */
	qsort(img->sites, img->nsites, sizeof(*img->sites), by_addr);
	return 0;
}

void ab_image_free(struct ab_image *img)
{
	free(img->sites);
	img->sites = NULL;
	img->nsites = 0;
}

void ab_image_count_kinds(const struct ab_image *img, const void *data, size_t *counts, size_t nkinds)
{
	memset(counts, 0, nkinds * sizeof(*counts));
	for (size_t k = 0; k < img->v.nrecords; k++) {
		struct ab_v_record r;
		ab_v_record_get(&img->v, data, k, &r);
		if (r.kind < nkinds)
			counts[r.kind]++;
	}
}
