/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create: rewriting the sites in the builder, for the wedge's layout
 * (wedge-xen/layout.h), with the same x86/ rewriter and the same choices
 * the wedge makes when it rewrites them itself (wedge-xen/loader.c):
 *   - every REWRITE kind through x86_rewrite_site;
 *   - swapgs and sysret put back as they were (they may run on the user's
 *     stack, where a call would push into its red zone): the wedge
 *     emulates them from their #GP;
 *   - an sti directly followed by a hlt site becomes a plain call to the
 *     STI entry, so that the wedge emulates sti;hlt as one step.
 * Each site's original instruction goes into the bundle's site table
 * (domtools/ab-create-bundle.h): the wedge emulates from it.
 */
#include <stdlib.h>
#include <string.h>

#include "afterburn/annotation.h"
#include "domtools/ab-create-bundle.h"
#include "domtools/ab-create.h"
#include "domtools/libafterburn/util.h"
#include "wedge-xen/layout.h"
#include "x86/rewrite.h"

static void put64(ab_u32 *lo, ab_u32 *hi, uint64_t v)
{
	*lo = (uint32_t)v;
	*hi = (uint32_t)(v >> 32);
}

/* The executable, file-backed segment holding the site (ab_image_load
 * checked there is one). */
static const struct ab_image_segment *segment_of(const struct ab_image *img, const struct ab_site *s)
{
	for (size_t i = 0; i < img->nsegments; i++) {
		const struct ab_image_segment *g = &img->segments[i];
		if ((g->flags & 1) && s->addr >= g->vaddr && s->addr - g->vaddr <= g->filesz &&
		    s->length <= g->filesz - (s->addr - g->vaddr))
			return g;
	}
	return NULL;
}

static uint64_t paddr_of(const struct afterburn_bundle_site *e)
{
	return (uint64_t)e->paddr_hi << 32 | e->paddr_lo;
}

static int by_paddr(const void *a, const void *b)
{
	uint64_t x = paddr_of(a), y = paddr_of(b);
	return x < y ? -1 : x > y;
}

void *ab_image_rewrite(const struct ab_image *img, unsigned char *image, size_t size,
		       size_t *table_size, struct ab_rewrite_stats *stats, char *err, size_t errlen)
{
	struct x86_rewrite_targets t;
	t.upcall_mask = WEDGE_UPCALL_MASK;
	t.sti_check_slot = WEDGE_SLOT_STI_CHECK;
	for (unsigned k = 0; k < X86_KIND_MAX; k++)
		t.slot[k] = WEDGE_SLOT_KIND(k);

	size_t tsize = sizeof(struct afterburn_bundle_sites) + img->nsites * sizeof(struct afterburn_bundle_site);
	unsigned char *table = calloc(1, tsize);
	if (!table) {
		fail(err, errlen, "out of memory for a site table of %zu sites", img->nsites);
		return NULL;
	}
	struct afterburn_bundle_sites *h = (void *)table;
	struct afterburn_bundle_site *e = (void *)(table + sizeof(*h));
	memcpy(h->magic, AFTERBURN_SITES_MAGIC, sizeof(h->magic));
	h->count = (ab_u32)img->nsites;
	h->entry_size = sizeof(*e);
	put64(&h->upcall_mask_lo, &h->upcall_mask_hi, WEDGE_UPCALL_MASK);
	put64(&h->sti_check_slot_lo, &h->sti_check_slot_hi, WEDGE_SLOT_STI_CHECK);
	put64(&h->kind_slot_base_lo, &h->kind_slot_base_hi, WEDGE_SLOT_KIND(0));
	memset(stats, 0, sizeof(*stats));

	/* Sites are sorted by address (ab_image_load), so an sti's hlt
	 * neighbour is the next site. */
	for (size_t i = 0; i < img->nsites; i++) {
		const struct ab_site *s = &img->sites[i];
		const struct ab_image_segment *g = segment_of(img, s);
		if (!g || g->offset + (s->addr - g->vaddr) + s->length > size) {
			fail(err, errlen, "record %zu: site %#llx outside the image", s->record,
			     (unsigned long long)s->addr);
			goto bad;
		}
		unsigned char *site = image + g->offset + (s->addr - g->vaddr);
		struct x86_insn insn;
		unsigned ret_off;
		e[i].length = s->length;
		e[i].insn = s->insn;
		e[i].kind = (ab_u8)s->kind;
		put64(&e[i].paddr_lo, &e[i].paddr_hi, s->addr - g->vaddr + g->paddr);
		unsigned char before[256];   /* length is a u8 */
		memcpy(before, site, s->length);
		memcpy(e[i].original, site, s->insn);
		enum x86_rewrite_status st = x86_rewrite_site(site, s->length, s->insn, s->kind, &t,
							      &insn, &ret_off);
		if (st == X86_REWRITE_KEPT) {
			e[i].form = AFTERBURN_SITE_KEPT;
			stats->kept++;
			continue;
		}
		if (st != X86_REWRITE_OK) {
			fail(err, errlen, "record %zu (%s, %u of %u bytes at %#llx): %s", s->record,
			     x86_kind_name(s->kind), s->insn, s->length, (unsigned long long)s->addr,
			     x86_rewrite_strerror(st));
			goto bad;
		}
		stats->rewritten++;
		if (x86_trap_form(s->kind) != X86_TRAP_NONE) {
			/* left to trap, as the wedge does (x86/rewrite.h) */
			x86_rewrite_trap(site, s->length, s->insn, before, x86_trap_form(s->kind));
			e[i].form = AFTERBURN_SITE_TRAP;
			stats->traps++;
			continue;
		}
		if (s->kind == X86_KIND_STI && i + 1 < img->nsites && img->sites[i + 1].kind == X86_KIND_HLT &&
		    img->sites[i + 1].addr == s->addr + s->length) {
			e[i].pair_len = img->sites[i + 1].length;
			ret_off = x86_rewrite_call(site, s->length, WEDGE_SLOT_KIND(X86_KIND_STI));
			if (!ret_off) {
				fail(err, errlen, "record %zu: sti site at %#llx too short for a call",
				     s->record, (unsigned long long)s->addr);
				goto bad;
			}
		}
		if (ret_off) {
			e[i].form = AFTERBURN_SITE_CALL;
			e[i].ret_offset = (ab_u8)ret_off;
			stats->calls++;
		} else {
			e[i].form = AFTERBURN_SITE_INLINE;
		}
	}
	/* The wedge wants them in guest-physical order (it checks that no two
	 * overlap, and finds an sti's hlt neighbour as the next entry). */
	qsort(e, img->nsites, sizeof(*e), by_paddr);
	*table_size = tsize;
	return table;
bad:
	free(table);
	return NULL;
}
