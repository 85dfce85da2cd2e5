/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory.  The domain's pseudo-physical memory, as Xen's builder laid it out:
 *   pfn 0 ...             the bootstrap region (wedge image, the guest ELF as
 *                         the ramdisk module, p2m list, start_info, xenstore
 *                         and console pages, page tables, boot stack), mapped
 *                         at WEDGE_VIRT_BASE + pfn * 4K;
 *   then >= 512 KiB       padding, mapped as well: the wedge's page-table pool;
 *   guest_base_pfn ...    guest-physical memory (guest physical 0 here),
 *                         2 MiB aligned, up to the domain's end.
 * The guest-physical memory is mapped 1:1 at guest virtual 0 in the same
 * page tables as the wedge (an in-place VMM shares the address space).
 */
#include "wedge-xen/wedge.h"
#include "wedge-xen/hypercall.h"

#define PTE_P   0x001ul
#define PTE_RW  0x002ul
#define PTE_U   0x004ul
#define PTE_A   0x020ul
#define PTE_D   0x040ul
#define PTE_ADDR 0x000ffffffffff000ul

static const unsigned long *const m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
static unsigned long *p2m;
static u64 pool_next, pool_end;     /* pfns */
static u64 *l4;                     /* the bootstrap L4 (read-only) */
static u64 l4_mfn;
u64 guest_base_pfn, guest_mem_bytes;

static u64 *va_of_pfn(u64 pfn)
{
	return (u64 *)(WEDGE_VIRT_BASE + (pfn << 12));
}

u64 mm_mfn_of_wedge_va(u64 va)
{
	return p2m[(va - WEDGE_VIRT_BASE) >> 12];
}

/* The page-table entry mapping va (0 when a level is missing).  Tables are
 * all in the bootstrap region or the pool, so m2p gives their pfn. */
static u64 lookup_pte(u64 va)
{
	u64 *t = l4;
	for (int level = 4; level >= 1; level--) {
		u64 e = t[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P))
			return 0;
		if (level == 1)
			return e;
		t = va_of_pfn(m2p[(e & PTE_ADDR) >> 12]);
	}
	return 0;
}

static void mmu_set(u64 table_mfn, unsigned idx, u64 val)
{
	mmu_update_t u = { .ptr = (table_mfn << 12) + idx * 8 + MMU_NORMAL_PT_UPDATE, .val = val };
	long rc = HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
	if (rc)
		panic("mmu_update(table mfn %lx[%u] = %lx) failed: %ld", table_mfn, idx, val, rc);
}

/* A zeroed page from the pool, still writable through its bootstrap mapping. */
static u64 pool_alloc(void)
{
	if (pool_next >= pool_end)
		panic("page-table pool exhausted (%lu pages)", pool_end);
	u64 pfn = pool_next++;
	memset(va_of_pfn(pfn), 0, PAGE_SIZE);
	return pfn;
}

/* Page-table pages must have no writable mapping when Xen validates them. */
static void make_readonly(u64 pfn)
{
	long rc = HYPERVISOR_update_va_mapping(WEDGE_VIRT_BASE + (pfn << 12),
					       (p2m[pfn] << 12) | PTE_P | PTE_A, UVMF_INVLPG);
	if (rc)
		panic("update_va_mapping(read-only pfn %lx) failed: %ld", pfn, rc);
}

/* Table at `level` below L4 covering va, created when missing; returns the
 * table's mfn and sets *va_out to its (read-only) mapping. */
static u64 table_for(u64 va, int level, u64 **va_out)
{
	u64 *t = l4, t_mfn = l4_mfn;
	for (int l = 4; l > level; l--) {
		unsigned idx = (va >> (12 + 9 * (l - 1))) & 511;
		u64 e = t[idx];
		if (!(e & PTE_P)) {
			u64 pfn = pool_alloc();
			make_readonly(pfn);
			e = (p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_U | PTE_A;
			mmu_set(t_mfn, idx, e);
		}
		t_mfn = (e & PTE_ADDR) >> 12;
		t = va_of_pfn(m2p[t_mfn]);
	}
	*va_out = t;
	return t_mfn;
}

void mm_map_page(u64 va, u64 mfn, u64 flags)
{
	u64 *l1;
	u64 l1_mfn = table_for(va, 1, &l1);
	mmu_set(l1_mfn, (va >> 12) & 511, (mfn << 12) | flags | PTE_P | PTE_A);
}

void mm_init(u64 initial_rsp)
{
	p2m = (unsigned long *)start_info->mfn_list;
	l4 = (u64 *)start_info->pt_base;
	l4_mfn = p2m[(start_info->pt_base - WEDGE_VIRT_BASE) >> 12];
	/* The pool starts after the page tables and the boot stack. */
	u64 end = start_info->pt_base + start_info->nr_pt_frames * PAGE_SIZE;
	if (initial_rsp > end)
		end = initial_rsp;
	pool_next = ((end - WEDGE_VIRT_BASE + PAGE_SIZE - 1) >> 12) + 1;
	/* Xen guarantees 512 KiB of mapped padding; take what is mapped. */
	pool_end = pool_next;
	while (pool_end < pool_next + 256 && (lookup_pte(WEDGE_VIRT_BASE + (pool_end << 12)) & PTE_P))
		pool_end++;
	printk("wedge: bootstrap region ends at pfn %lx, page-table pool %lu pages\n",
	       pool_next, pool_end - pool_next);
	if (pool_end - pool_next < 16)
		panic("page-table pool too small: %lu mapped pages after the bootstrap region",
		      pool_end - pool_next);
	guest_base_pfn = (pool_end + 511) & ~511ul;

	/* The hot page (shared_info) and the slot page at the top 2 MiB. */
	mm_map_page(WEDGE_HOT_VA, start_info->shared_info >> 12, PTE_RW | PTE_D);
}

u64 mm_guest_map(u64 max_bytes)
{
	u64 nr = start_info->nr_pages;
	if (guest_base_pfn + 512 > nr)
		panic("no memory left for the guest: %lu pages, guest would start at pfn %lx",
		      nr, guest_base_pfn);
	u64 pages = nr - guest_base_pfn;
	/* Whole L1 tables only, and as many as the pool holds. */
	pages &= ~511ul;
	u64 pool_left = pool_end - pool_next;
	if (pages / 512 + 4 > pool_left)
		pages = (pool_left - 4) * 512;
	if (pages * PAGE_SIZE > max_bytes)
		pages = max_bytes / PAGE_SIZE;
	for (u64 p = 0; p < pages; p += 512) {
		u64 va = p << 12;
		u64 *l2;
		u64 l2_mfn = table_for(va, 2, &l2);
		unsigned idx = (va >> 21) & 511;
		if (l2[idx] & PTE_P)
			panic("guest identity map: va %lx already mapped", va);
		u64 pfn = pool_alloc();
		u64 *l1 = va_of_pfn(pfn);
		for (unsigned i = 0; i < 512; i++)
			l1[i] = (p2m[guest_base_pfn + p + i] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;
		make_readonly(pfn);
		mmu_set(l2_mfn, idx, (p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_U | PTE_A);
	}
	guest_mem_bytes = pages * PAGE_SIZE;
	HYPERCALL(__HYPERVISOR_mmuext_op, &(struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL }, 1, NULL, DOMID_SELF, 0);
	printk("wedge: guest-physical memory %lu MiB at domain pfn %lx, mapped 1:1 at virtual 0\n",
	       guest_mem_bytes >> 20, guest_base_pfn);
	return guest_mem_bytes;
}
