/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create: validation of a burnt x86-64 kernel image before it is placed
 * in a domain.  The verdict is the one validator every loader shares
 * (domtools/libafterburn/validate.c: also compiled into the libxenguest
 * loader and the wedge); this file only orders the sites of an accepted
 * image by guest-physical address, for the builder's rewriting.
 */
#include <stdlib.h>
#include <string.h>

#include "domtools/ab-create.h"
#include "domtools/libafterburn/util.h"
#include "x86/decode.h"

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

static int by_paddr(const void *a, const void *b)
{
	const struct ab_code *x = a, *y = b;
	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

int ab_image_load(struct ab_image *img, const void *data, size_t size,
		  char *err, size_t errlen)
{
	if (ab_image_validate(img, data, size, err, errlen))
		return -1;
	/* The executable loads by physical address (they never overlap), so
	 * that the slots come out in the order the wedge wants the table. */
	for (size_t i = 0; i < img->nsegments; i++) {
		const struct ab_image_segment *g = &img->segments[i];
		if ((g->flags & 1) && g->filesz)
			img->code[img->ncode++] = (struct ab_code){ .vaddr = g->vaddr, .paddr = g->paddr,
								    .offset = g->offset, .filesz = g->filesz };
	}
	qsort(img->code, img->ncode, sizeof(img->code[0]), by_paddr);
	uint64_t bytes = 0;
	for (unsigned i = 0; i < img->ncode; i++) {
		img->code[i].first = bytes;
		bytes += img->code[i].filesz;
	}
	/* The smallest site: the validator refuses a site shorter than its
	 * kind's pad (and than 1 byte), and sites never overlap, so no two
	 * start in the same stretch of that many bytes. */
	img->bucket = 255;
	for (unsigned k = 1; k < X86_KIND_MAX; k++) {
		unsigned pad = x86_kind_pad(k) ? x86_kind_pad(k) : 1;
		if (pad < img->bucket)
			img->bucket = pad;
	}
	if (img->nsites >= UINT32_MAX)
		return fail(err, errlen, "%zu sites: ab-create numbers at most %u", img->nsites, UINT32_MAX - 1);
	img->nslots = (size_t)(bytes / img->bucket) + 1;
	img->slots = calloc(img->nslots, sizeof(*img->slots));
	if (!img->slots)
		return fail(err, errlen, "out of memory for the site map of %llu bytes of code",
			    (unsigned long long)bytes);
	for (size_t k = 0; k < img->nsites; k++) {
		struct ab_v_record r;
		ab_v_record_get(&img->v, data, k, &r);
		const struct ab_code *c = NULL;
		for (unsigned i = 0; i < img->ncode && !c; i++)
			if (r.addr >= img->code[i].vaddr && r.addr - img->code[i].vaddr <= img->code[i].filesz &&
			    r.length <= img->code[i].filesz - (r.addr - img->code[i].vaddr))
				c = &img->code[i];
		/* the validator checked both: a site in code, no overlap */
		size_t slot = c ? (size_t)((c->first + (r.addr - c->vaddr)) / img->bucket) : 0;
		if (!c || img->slots[slot])
			return fail(err, errlen, "record %zu: site %#llx: %s (the validator let it through: a bug)",
				    k, (unsigned long long)r.addr, c ? "starts within the smallest site of another" :
				    "not in executable code");
		img->slots[slot] = (uint32_t)(k + 1);
	}
	return 0;
}

void ab_image_free(struct ab_image *img)
{
	free(img->slots);
	img->slots = NULL;
	img->nslots = 0;
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
