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
 *
 * Streamed: the sites are taken in guest-physical order from the slot map
 * of ab_image_load, each rewritten in a 1 MiB piece of the image that
 * goes to the sink when done, each table entry in a batch of 512; nothing
 * per site is held, and the image is never copied whole.
 */
#include <errno.h>
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

size_t ab_image_table_size(const struct ab_image *img)
{
	return sizeof(struct afterburn_bundle_sites) + img->nsites * sizeof(struct afterburn_bundle_site);
}

static int put(const struct ab_sink *sink, uint64_t off, const void *p, size_t n, char *err, size_t errlen)
{
	if (n && sink->write(sink->ctx, off, p, n))
		return fail(err, errlen, "writing %zu bytes at %#llx of the boot bundle: %s", n,
			    (unsigned long long)off, strerror(errno));
	return 0;
}

/* The next site at or after slot i (img->nslots: none). */
static size_t next_slot(const struct ab_image *img, size_t i)
{
	while (i < img->nslots && !img->slots[i])
		i++;
	return i;
}

/* The executable load (img->code, from index *ci on: the sites come in
 * physical order) holding record r's site; NULL if none (ab_image_load
 * checked there is one). */
static const struct ab_code *code_of(const struct ab_image *img, const struct ab_v_record *r, unsigned *ci)
{
	for (; *ci < img->ncode; ++*ci) {
		const struct ab_code *c = &img->code[*ci];
		if (r->addr >= c->vaddr && r->addr - c->vaddr <= c->filesz &&
		    r->length <= c->filesz - (r->addr - c->vaddr))
			return c;
	}
	return NULL;
}

#define CHUNK (1u << 20)   /* the rewritten image goes out in pieces of this size */
#define BATCH 512          /* table entries written at a time (16 KiB) */

int ab_image_rewrite(const struct ab_image *img, const unsigned char *data, size_t size,
		     uint64_t table_offset, const struct ab_sink *sink,
		     struct ab_rewrite_stats *stats, char *err, size_t errlen)
{
	struct x86_rewrite_targets t;
	t.upcall_mask = WEDGE_UPCALL_MASK;
	t.sti_check_slot = WEDGE_SLOT_STI_CHECK;
	for (unsigned k = 0; k < X86_KIND_MAX; k++)
		t.slot[k] = WEDGE_SLOT_KIND(k);
	memset(stats, 0, sizeof(*stats));

	struct afterburn_bundle_sites h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, AFTERBURN_SITES_MAGIC, sizeof(h.magic));
	h.count = (ab_u32)img->nsites;
	h.entry_size = sizeof(struct afterburn_bundle_site);
	put64(&h.upcall_mask_lo, &h.upcall_mask_hi, WEDGE_UPCALL_MASK);
	put64(&h.sti_check_slot_lo, &h.sti_check_slot_hi, WEDGE_SLOT_STI_CHECK);
	put64(&h.kind_slot_base_lo, &h.kind_slot_base_hi, WEDGE_SLOT_KIND(0));
	/* the image as it is; the pieces holding sites are written over it */
	if (put(sink, table_offset, &h, sizeof(h), err, errlen) || put(sink, 0, data, size, err, errlen))
		return -1;

	struct afterburn_bundle_site *batch = malloc(BATCH * sizeof(*batch));
	unsigned nbatch = 0;
	uint64_t toff = table_offset + sizeof(h);
	unsigned char *chunk = malloc(CHUNK);
	uint64_t chunk_off = 0, chunk_len = 0;   /* file bytes [chunk_off, +chunk_len) in chunk */
	if (!chunk || !batch) {
		free(chunk);
		free(batch);
		return fail(err, errlen, "out of memory for a %u-byte buffer", CHUNK);
	}
	int rc = -1;
	size_t done = 0;
	unsigned ci = 0, nci = 0;
	struct ab_v_record r = { 0 }, next = { 0 };
	size_t i = next_slot(img, 0);
	if (i < img->nslots)
		ab_v_record_get(&img->v, data, img->slots[i] - 1, &r);
	/* The slots are in guest-physical order, the order of the table; an
	 * sti's hlt neighbour is the next site (as the wedge finds it). */
	while (i < img->nslots) {
		size_t k = img->slots[i] - 1, j = next_slot(img, i + 1);
		const struct ab_code *c = code_of(img, &r, &ci), *nc = NULL;
		if (j < img->nslots) {
			ab_v_record_get(&img->v, data, img->slots[j] - 1, &next);
			nci = ci;
			nc = code_of(img, &next, &nci);
		}
		uint64_t fo = c ? c->offset + (r.addr - c->vaddr) : 0;
		if (!c || fo > size || r.length > size - fo) {
			fail(err, errlen, "record %zu: site %#llx outside the image", k, (unsigned long long)r.addr);
			goto out;
		}
		uint64_t pa = c->paddr + (r.addr - c->vaddr);
		/* The piece of the image holding the site: sites never overlap
		 * and come in file order within a load, so a piece is written
		 * once its last site is done.  (Two executable loads may share
		 * file bytes: then each site is rewritten from the original
		 * bytes and the later piece wins, as in the file the guest gets;
		 * the wedge compares every site it is told about.) */
		if (!chunk_len || fo < chunk_off || fo + r.length > chunk_off + chunk_len) {
			if (put(sink, chunk_off, chunk, chunk_len, err, errlen))
				goto out;
			chunk_off = fo;
			chunk_len = c->offset + c->filesz - fo;
			if (chunk_len > CHUNK)
				chunk_len = CHUNK;
			memcpy(chunk, data + chunk_off, chunk_len);
		}
		unsigned char *site = chunk + (fo - chunk_off);
		const unsigned char *orig = data + fo;
		struct afterburn_bundle_site *e = &batch[nbatch++];
		memset(e, 0, sizeof(*e));
		e->length = r.length;
		e->insn = r.insn;
		e->kind = (ab_u8)r.kind;
		put64(&e->paddr_lo, &e->paddr_hi, pa);
		memcpy(e->original, orig, r.insn);
		struct x86_insn insn;
		unsigned ret_off;
		enum x86_rewrite_status st = x86_rewrite_site(site, r.length, r.insn, r.kind, &t, &insn, &ret_off);
		if (st == X86_REWRITE_KEPT) {
			e->form = AFTERBURN_SITE_KEPT;
			stats->kept++;
		} else if (st != X86_REWRITE_OK) {
			fail(err, errlen, "record %zu (%s, %u of %u bytes at %#llx): %s", k, x86_kind_name(r.kind),
			     r.insn, r.length, (unsigned long long)r.addr, x86_rewrite_strerror(st));
			goto out;
		} else if (x86_trap_form(r.kind) != X86_TRAP_NONE) {
			/* left to trap, as the wedge does (x86/rewrite.h) */
			stats->rewritten++;
			x86_rewrite_trap(site, r.length, r.insn, orig, x86_trap_form(r.kind));
			e->form = AFTERBURN_SITE_TRAP;
			stats->traps++;
		} else {
			stats->rewritten++;
			if (r.kind == X86_KIND_STI && nc && next.kind == X86_KIND_HLT &&
			    nc->paddr + (next.addr - nc->vaddr) == pa + r.length) {
				e->pair_len = next.length;
				ret_off = x86_rewrite_call(site, r.length, WEDGE_SLOT_KIND(X86_KIND_STI));
				if (!ret_off) {
					fail(err, errlen, "record %zu: sti site at %#llx too short for a call", k,
					     (unsigned long long)r.addr);
					goto out;
				}
			}
			if (ret_off) {
				e->form = AFTERBURN_SITE_CALL;
				e->ret_offset = (ab_u8)ret_off;
				stats->calls++;
			} else {
				e->form = AFTERBURN_SITE_INLINE;
			}
		}
		done++;
		if (nbatch == BATCH) {
			if (put(sink, toff, batch, BATCH * sizeof(*batch), err, errlen))
				goto out;
			toff += BATCH * sizeof(*batch);
			nbatch = 0;
		}
		i = j;
		r = next;
	}
	if (done != img->nsites) {
		fail(err, errlen, "%zu sites in the map, %zu records (a bug)", done, img->nsites);
		goto out;
	}
	if (put(sink, chunk_off, chunk, chunk_len, err, errlen) ||
	    put(sink, toff, batch, nbatch * sizeof(batch[0]), err, errlen))
		goto out;
	rc = 0;
out:
	free(chunk);
	free(batch);
	return rc;
}
