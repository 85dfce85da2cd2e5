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
#include "wedge-xen/devices.h"
#include "wedge-xen/hypercall.h"

#define PTE_P   0x001ul
#define PTE_RW  0x002ul
#define PTE_U   0x004ul
#define PTE_A   0x020ul
#define PTE_D   0x040ul
#define PTE_ADDR 0x000ffffffffff000ul

/* Pool pages for the shadow tables (beyond the physmap's). */
#define SHADOW_POOL_PAGES 1024

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
	if (pool_end - pool_next < 16)
		panic("page-table pool too small: %lu mapped pages after the bootstrap region",
		      pool_end - pool_next);
	/* Grow the pool past Xen's padding: one page per 2 MiB of physmap
	 * (plus its few upper tables) and SHADOW_POOL_PAGES for the shadows,
	 * mapped like the bootstrap region; the guest's memory starts after. */
	u64 want = pool_next + start_info->nr_pages / 512 + 8 + SHADOW_POOL_PAGES;
	if (want > start_info->nr_pages / 2)
		want = start_info->nr_pages / 2;
	while (pool_end < want) {
		u64 *l1;
		u64 va = WEDGE_VIRT_BASE + (pool_end << 12);
		u64 l1_mfn = table_for(va, 1, &l1);   /* may take a page at pool_next */
		mmu_set(l1_mfn, (va >> 12) & 511, (p2m[pool_end] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D);
		pool_end++;
	}
	printk("wedge: bootstrap region ends at pfn %lx, page-table pool %lu pages\n",
	       pool_next, pool_end - pool_next);
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
	/* keep the shadow tables' share of the pool */
	if (pages / 512 + SHADOW_POOL_PAGES > pool_left) {
		if (pool_left < SHADOW_POOL_PAGES / 2 + 1)
			panic("page-table pool of %lu pages leaves no room for the guest's physmap", pool_left);
		pages = (pool_left - SHADOW_POOL_PAGES / 2) * 512;
		printk("wedge: guest memory limited to %lu MiB by the page-table pool\n", pages >> 8);
	}
	if (pages * PAGE_SIZE > max_bytes) {
		printk("wedge: guest memory limited to %lu MiB of the domain's %lu MiB (the wedge's maximum)\n",
		       max_bytes >> 20, pages >> 8);
		pages = max_bytes / PAGE_SIZE;
	}
	for (u64 p = 0; p < pages; p += 512) {
		u64 va = WEDGE_PHYSMAP_VA + (p << 12);
		u64 *l2;
		u64 l2_mfn = table_for(va, 2, &l2);
		unsigned idx = (va >> 21) & 511;
		if (l2[idx] & PTE_P)
			panic("guest physmap: va %lx already mapped", va);
		u64 pfn = pool_alloc();
		u64 *l1 = va_of_pfn(pfn);
		for (unsigned i = 0; i < 512; i++)
			l1[i] = (p2m[guest_base_pfn + p + i] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;
		make_readonly(pfn);
		mmu_set(l2_mfn, idx, (p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_U | PTE_A);
	}
	guest_mem_bytes = pages * PAGE_SIZE;
	HYPERCALL(__HYPERVISOR_mmuext_op, &(struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL }, 1, NULL, DOMID_SELF, 0);
	printk("wedge: guest-physical memory %lu MiB at domain pfn %lx, wedge view at %lx\n",
	       guest_mem_bytes >> 20, guest_base_pfn, WEDGE_PHYSMAP_VA);
	return guest_mem_bytes;
}

void *gpa_ptr(u64 gpa, u64 n)
{
	if (gpa + n > guest_mem_bytes || gpa + n < gpa)
		panic("guest-physical access %lx+%lu outside guest memory (%lu MiB)", gpa, n,
		      guest_mem_bytes >> 20);
	return (void *)(WEDGE_PHYSMAP_VA + gpa);
}

/* ---------------------------------------------------------------- guest page walk */
#define PTE_PS  0x080ul
#define PTE_NX  (1ul << 63)
#define GPTE_ADDR 0x000ffffffffff000ul
#define EFER_NXE 0x800ul
#define CR0_WP  0x10000ul

u64 guest_fault_va, guest_fault_error;
static u64 walk_leaf;   /* the leaf entry of guest_walk's last successful walk */

/*
 * Translate guest virtual va through the guest's page tables (vcpu.cr3)
 * for an access of kind `acc` (PF_W, PF_U, PF_I bits).  Sets accessed bits
 * on the way, and the dirty bit for a write, as the CPU does.  Returns 0
 * with *gpa, *writable (a shadow entry may allow writes now) and *nx, or
 * 0x10000 | the x86 page-fault error code the CPU would give the guest.
 * U/S is checked at every level for a user access; R/W for user writes and
 * for kernel writes with CR0.WP; NX with EFER.NXE.
 */
static int guest_walk(u64 va, unsigned acc, bool set_ad, u64 *gpa, bool *writable, bool *nx)
{
	u64 table = vcpu.cr3 & GPTE_ADDR;
	bool write = acc & PF_W, user = acc & PF_U;
	bool nxe = vcpu.efer & EFER_NXE;
	bool wp = user || (vcpu.cr0 & CR0_WP);
	unsigned fault = (acc & (PF_W | PF_U)) | (nxe ? acc & PF_I : 0);
	bool rw = true, us = true, xd = false;
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		volatile u64 *pe = gpa_ptr(table + idx * 8, 8);
		u64 e = *pe;
		if (!(e & PTE_P))
			return 0x10000 | fault;
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_U);
		xd = xd || (nxe && (e & PTE_NX));
		bool leaf = level == 1 || ((level == 2 || level == 3) && (e & PTE_PS));
		if ((user && !us) || (write && wp && !rw) || ((acc & PF_I) && xd))
			return 0x10000 | fault | PF_P;
		if (set_ad) {
			u64 want = e | PTE_A | ((leaf && write) ? PTE_D : 0);
			if (want != e)
				*pe = want;
		}
		if (leaf) {
			unsigned shift = 12 + 9 * (level - 1);
			*gpa = (e & GPTE_ADDR & ~((1ul << shift) - 1)) | (va & ((1ul << shift) - 1));
			*writable = (rw || !wp) && (write || (e & PTE_D) || !set_ad);
			*nx = xd;
			walk_leaf = e;
			return 0;
		}
		table = e & GPTE_ADDR;
	}
	return 0x10000 | fault;
}

/* guest_va_to_gpa for code that runs in the guest's context (the fast
 * emulations): no accessed bits set, no panic, false for anything unusual. */
bool guest_va_to_gpa_quiet(u64 va, u64 *gpa)
{
	u64 table = vcpu.cr3 & GPTE_ADDR;
	for (int level = 4; level >= 1; level--) {
		if (table >= guest_mem_bytes)
			return false;
		u64 e = ((volatile const u64 *)(WEDGE_PHYSMAP_VA + table))[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P))
			return false;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			u64 mask = (1ul << (12 + 9 * (level - 1))) - 1;
			*gpa = (e & GPTE_ADDR & ~mask) | (va & mask);
			return true;
		}
		table = e & GPTE_ADDR;
	}
	return false;
}

bool guest_va_to_gpa(u64 va, u64 *gpa)
{
	bool w, nx;
	return guest_walk(va, 0, false, gpa, &w, &nx) == 0;
}

/* Guest-physical addresses beyond RAM that no device model decodes
 * (device registers go to mmio.c) answer as unclaimed addresses on a PC
 * bus do: reads all ones, writes ignored.  A shadow mapping of one (a kernel's ioremap, a root
 * process's mmap of /dev/mem) points at unbacked_sink, one page of all
 * ones shared by every such mapping (writable when the guest's entry is):
 * what is written there reads back until the next write, where nothing
 * would on a PC.  The emulator's own accesses read unbacked_ones. */
static u8 unbacked_sink[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 unbacked_ones[PAGE_SIZE];
static void unbacked_note(u64 va, u64 gpa)
{
	static bool filled;
	if (!filled) {
		filled = true;
		memset(unbacked_sink, 0xff, PAGE_SIZE);
	}
	not_emulated("the guest maps %lx to guest-physical %lx, outside RAM where no device decodes: reads all ones, "
		     "writes to a scratch page", va, gpa);
}

/* Kernel-privilege accesses (the wedge acting for the guest's CPU). */
static bool guest_range(u64 va, u64 n, bool write, bool (*fn)(void *, u64, void *), void *arg)
{
	while (n) {
		u64 chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		if (chunk > n)
			chunk = n;
		u64 gpa;
		bool w, nx;
		int st = guest_walk(va, write ? PF_W : 0, true, &gpa, &w, &nx);
		if (st) {
			guest_fault_va = va;
			guest_fault_error = st & 0x1f;
			return false;
		}
		void *p;
		if (gpa >= guest_mem_bytes) {
			/* (device registers included: the emulator's own
			 * memory operands do not reach the models) */
			unbacked_note(va, gpa);
			p = write ? unbacked_sink : memset(unbacked_ones, 0xff, PAGE_SIZE);
			p = (u8 *)p + (va & (PAGE_SIZE - 1));
		} else {
			p = gpa_ptr(gpa, chunk);
		}
		if (!fn(p, chunk, arg))
			return false;
		arg = (u8 *)arg + chunk;
		va += chunk;
		n -= chunk;
	}
	return true;
}

static bool do_read(void *p, u64 n, void *dst) { memcpy(dst, p, n); return true; }
static bool do_write(void *p, u64 n, void *src) { memcpy(p, src, n); return true; }

bool copy_from_guest(void *dst, u64 va, u64 n) { return guest_range(va, n, false, do_read, dst); }
bool copy_to_guest(u64 va, const void *src, u64 n) { return guest_range(va, n, true, do_write, (void *)src); }

/* User-privilege accesses (the wedge acting for a user-mode instruction:
 * ins/outs): byte by byte, U/S and R/W checked as the CPU does at CPL 3.
 * false: guest_fault_va and guest_fault_error (with U) say the #PF; a
 * user mapping outside RAM reads all ones and ignores writes, as unclaimed
 * physical addresses do on a PC. */
static bool user_range(u64 va, u8 *p, u64 n, bool write)
{
	for (u64 i = 0; i < n; i++) {
		u64 gpa;
		bool w, nx;
		int st = guest_walk(va + i, PF_U | (write ? PF_W : 0), true, &gpa, &w, &nx);
		if (st) {
			guest_fault_va = va + i;
			guest_fault_error = st & 0x1f;
			return false;
		}
		if (gpa >= guest_mem_bytes) {
			if (!write)
				p[i] = 0xff;
		} else if (write) {
			*(u8 *)gpa_ptr(gpa, 1) = p[i];
		} else {
			p[i] = *(u8 *)gpa_ptr(gpa, 1);
		}
	}
	return true;
}
bool copy_from_user_guest(void *dst, u64 va, u64 n) { return user_range(va, dst, n, false); }
bool copy_to_user_guest(u64 va, const void *src, u64 n) { return user_range(va, (u8 *)src, n, true); }

/* ---------------------------------------------------------------- shadow tables */
/*
 * Per guest address space (keyed by the guest's CR3 frame) two shadow L4s:
 * the kernel one (every guest mapping, plus the wedge's slots 504/505 and
 * its top 2 MiB) used while the guest's virtual CPL is 0, and the user one
 * (only mappings with U set at every level, nothing of the wedge) while it
 * is 3.  Both run as Xen's PV user page table; switching the virtual CPL
 * switches the user base pointer.
 *
 * The kernel half is shared.  An OS maps its kernel into every address
 * space through the same upper-level tables (Linux copies swapper's L4
 * entries 273-511 into every PGD), so the kernel shadow of an L4 slot in
 * the upper half is keyed by the guest's L4 *entry* (its L3 table and
 * permissions), not by the address space: a "share".  Every kernel shadow
 * L4 whose guest entry matches links the same shadow L3, so a new address
 * space starts with the kernel half already filled, and a CR3 write
 * validates only what is private to the address space.  A share follows
 * TLB rules for global pages: invlpg and a CR4.PGE (or CR0.WP) toggle
 * reach it, a CR3 write does not, except for a share holding entries a
 * CR3 write flushes on hardware (non-global ones, or any while CR4.PGE is
 * clear), which each CR3 write validates.  A kernel shadow L4 entry whose
 * guest entry no longer matches its share is unlinked when the address
 * space is validated, and refilled (private or from another share).
 *
 * The last SHADOW_SLOTS address spaces stay cached.  Coherence: a CR3
 * write (a switch back to a cached address space, or a reload of the
 * current one) and a CR4.PGE toggle *validate* the shadow it lands on:
 * every present private shadow L1 entry is checked against the guest's
 * tables as they are now (same frame, accessed bit set, U at every level
 * for the user shadow, NX, writable only while the guest entry is writable
 * and dirty) and cleared when it differs, so the shadow is exactly what a
 * flush followed by refills would give.  Between CR3 writes the guest's
 * invlpg keeps the live shadow coherent, as on a TLB: a PTE change in the
 * live address space with neither invlpg nor a CR3/PGE flush is not seen.
 *
 * Pool pages are free, owned by one cached address space, or owned by one
 * share.  The pool never runs out (docs/wedge.md, "The shadow pool under
 * pressure"): the last SHADOW_RESERVE free pages are kept for the two
 * operations that must succeed when everything else is in use, a new
 * address space (4 pages: two L4s and the path to the hot pages) and the
 * fill that triggered it (up to 4 tables).  Ordinary allocations first
 * evict the least recently used cached address space but the live one;
 * when only the live one is left, the live one is restarted (a pool
 * reset): every share is dropped, a fresh, empty shadow built from the
 * reserve, made live, and only then the old one unpinned, which gives
 * back every page it and the shares held.  Between operations
 * nr_free >= SHADOW_RESERVE always holds.
 */
#define SHADOW_POOL_MAX 8192
#define SHADOW_SLOTS 16
#define AS_PAGES 4            /* a new address space: kernel L4, L3, L2; user L4 */
#define FILL_PAGES 4          /* a fill: up to an L3 (+ the hot L2 in slot 511), an L2 and an L1 */
#define SHADOW_RESERVE (AS_PAGES + FILL_PAGES + 1)
/* Linux alone uses 70 kernel slots: 64 of them its preallocated vmalloc L3s */
#define KSHARE_MAX 128
#define OWNER_SHARE 32        /* page_owner of a share's pages: OWNER_SHARE + its index */
#define PTE_G   0x100ul
#define CR4_PGE 0x80ul
/* What of a guest L4 entry a share depends on (not A, D or ignored bits). */
#define SHARE_KEY_MASK (GPTE_ADDR | PTE_P | PTE_RW | PTE_U | PTE_NX)
static u64 shadow_free[SHADOW_POOL_MAX];
static unsigned nr_free;
static bool pool_ro[SHADOW_POOL_MAX];
/* Per pool table, which groups of 8 entries may hold a present one (bit j:
 * entries 8j..8j+7): validation walks only those, not all 512. */
static u64 present_sum[SHADOW_POOL_MAX];
static short page_owner[SHADOW_POOL_MAX];   /* slot, OWNER_SHARE + share, -1: free */
static u64 pool_first, pool_count;
static struct shadow_as {
	bool live;
	u64 cr3;           /* guest PML4 frame (guest-physical) */
	u64 l4_pfn[2];     /* kernel, user */
	u64 lru;
} as_tab[SHADOW_SLOTS];
/* Which share each kernel shadow L4 entry links (index + 1; 0: none or a
 * private table): validation checks a linked slot's key without looking
 * the table up. */
static unsigned char share_at[SHADOW_SLOTS][512];
static struct kshare {
	bool used;
	bool dying;        /* dropped by a pool reset, freed once nothing links it */
	bool flush_on_cr3; /* holds entries a CR3 write flushes (non-global, or PGE clear) */
	bool need_sync;    /* new: to be filled eagerly (share_sync) */
	bool incomplete;   /* the pool could not hold all of it */
	unsigned i4;
	u64 key;           /* the guest L4 entry & SHARE_KEY_MASK */
	u64 s3_pfn;
	unsigned links;    /* kernel shadow L4s pointing at it */
} kshare[KSHARE_MAX];
/* The shares holding entries a CR3 write flushes (flush_on_cr3), as a
 * bitmap: a CR3 write visits only those. */
static u64 flush_mask[(KSHARE_MAX + 63) / 64];
static bool sync_pending;   /* a share has need_sync */

static void set_flush_on_cr3(int k, bool on)
{
	kshare[k].flush_on_cr3 = on;
	if (on)
		flush_mask[k / 64] |= 1ul << (k % 64);
	else
		flush_mask[k / 64] &= ~(1ul << (k % 64));
}

static int cur_as = -1;
static u64 xen_user_baseptr;   /* the L4 Xen has as the user base pointer */
static u64 lru_clock;
static bool shadow_user;       /* which L4 is Xen's user base pointer */
static bool shadow_pool_ready;
static bool link_pending;      /* kernel-half slots may be unlinked: shares_link_all */

static u64 cur_l4_mfn(unsigned which) { return p2m[as_tab[cur_as].l4_pfn[which]]; }

/* Kernel-half L4 slots a share may cover: not Xen's (256-271), not the
 * wedge's (504, 505).  Slot 511 is shared with the wedge's hot pages. */
static bool share_slot(unsigned i4) { return i4 >= 272 && i4 != 504 && i4 != 505; }

static u64 guest_entry(u64 table, unsigned idx);
static u64 table_entry(u64 pfn) { return (p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_U | PTE_A; }

/* The owner of the pool table an entry points to; -2 when it is not a pool page. */
static int entry_owner(u64 e)
{
	u64 pfn = m2p[(e & PTE_ADDR) >> 12];
	if (pfn < pool_first || pfn >= pool_first + pool_count)
		return -2;
	return page_owner[pfn - pool_first];
}

static void shadow_pool_init(void)
{
	pool_first = pool_next;
	pool_count = pool_end - pool_next;
	if (pool_count > SHADOW_POOL_MAX)
		panic("shadow pool of %lu pages exceeds the table (%u)", pool_count, SHADOW_POOL_MAX);
	/* the reserve, a live address space and a fill on top of it; far
	 * fewer than any domain the wedge boots in has (mm_guest_map) */
	if (pool_count < SHADOW_RESERVE + AS_PAGES + FILL_PAGES + 64)
		panic("shadow pool of %lu pages is below the minimum (%u)", pool_count,
		      SHADOW_RESERVE + AS_PAGES + FILL_PAGES + 64);
	for (u64 p = pool_next; p < pool_end; p++) {
		shadow_free[nr_free++] = p;
		page_owner[p - pool_first] = -1;
	}
	pool_next = pool_end;   /* the rest of the pool is the shadows' */
	shadow_pool_ready = true;
	printk("wedge: shadow pool %u pages (%u in reserve), %u address spaces cached, "
	       "kernel half shared (%u shares)\n", nr_free, SHADOW_RESERVE, SHADOW_SLOTS, KSHARE_MAX);
}

static void mmuext(unsigned cmd, u64 mfn)
{
	struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };
	long rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	if (rc)
		panic("mmuext_op %u (mfn %lx) failed: %ld", cmd, mfn, rc);
}

/* Every pool page of owner back to the free list. */
static void pool_release(int owner)
{
	for (u64 i = 0; i < pool_count; i++)
		if (page_owner[i] == owner) {
			page_owner[i] = -1;
			shadow_free[nr_free++] = pool_first + i;
		}
}

static void share_free(int k)
{
	ASSERT(kshare[k].used && !kshare[k].links);
	pool_release(OWNER_SHARE + k);
	set_flush_on_cr3(k, false);
	kshare[k].used = false;
}

static void baseptr_now(void);

/* Drop a cached address space that is not live in Xen: its pages go back,
 * the shares it linked lose a link. */
static void as_free(int slot)
{
	ASSERT(slot != cur_as && as_tab[slot].live);
	/* the address space just left may still be Xen's user base pointer
	 * (the switch is given to Xen on the way back to the guest) */
	if (xen_user_baseptr == p2m[as_tab[slot].l4_pfn[0]] || xen_user_baseptr == p2m[as_tab[slot].l4_pfn[1]])
		baseptr_now();
	mmuext(MMUEXT_UNPIN_TABLE, p2m[as_tab[slot].l4_pfn[0]]);
	mmuext(MMUEXT_UNPIN_TABLE, p2m[as_tab[slot].l4_pfn[1]]);
	const u64 *s4 = va_of_pfn(as_tab[slot].l4_pfn[0]);
	for (unsigned i4 = 272; i4 < 512; i4++) {
		int o = (s4[i4] & PTE_P) && share_slot(i4) ? entry_owner(s4[i4]) : -2;
		if (o >= OWNER_SHARE) {
			ASSERT(kshare[o - OWNER_SHARE].links);
			kshare[o - OWNER_SHARE].links--;
		}
	}
	pool_release(slot);
	as_tab[slot].live = false;
	counters[CNT_SHADOW_EVICTIONS]++;
}

/* Evict the least recently used address space but the live one. */
static bool as_evict_lru(void)
{
	int victim = -1;
	for (int i = 0; i < SHADOW_SLOTS; i++)
		if (as_tab[i].live && i != cur_as && (victim < 0 || as_tab[i].lru < as_tab[victim].lru))
			victim = i;
	if (victim < 0)
		return false;
	as_free(victim);
	return true;
}

/* Evict cached address spaces (never the live one) until n pages are free
 * on top of the reserve; false when only the live one is left. */
static bool pool_room(unsigned n)
{
	while (nr_free < SHADOW_RESERVE + n)
		if (!as_evict_lru())
			return false;
	return true;
}

/* A pool page; the callers have made room (pool_room) or, for a new
 * address space, draw on the reserve, so a dry pool here is a wedge bug. */
static u64 shadow_alloc(int owner)
{
	if (!nr_free)
		panic("shadow page pool empty (%lu pages): the reserve was not kept", pool_count);
	u64 pfn = shadow_free[--nr_free];
	unsigned i = (unsigned)(pfn - pool_first);
	if (pool_ro[i]) {
		long rc = HYPERVISOR_update_va_mapping(WEDGE_VIRT_BASE + (pfn << 12),
						       (p2m[pfn] << 12) | PTE_P | PTE_RW | PTE_A | PTE_D,
						       UVMF_INVLPG);
		if (rc)
			panic("shadow page pfn %lx still in use by Xen (%ld)", pfn, rc);
		pool_ro[i] = false;
	}
	memset(va_of_pfn(pfn), 0, PAGE_SIZE);
	present_sum[i] = 0;
	page_owner[i] = (short)owner;
	return pfn;
}

/* Entry idx of the pool table at pfn is (about to be) set. */
static void mark_entry(u64 pfn, unsigned idx)
{
	if (pfn >= pool_first && pfn < pool_first + pool_count)
		present_sum[pfn - pool_first] |= 1ul << (idx >> 3);
}

static u64 present_groups(u64 pfn) { return present_sum[pfn - pool_first]; }

static void shadow_seal(u64 pfn)
{
	make_readonly(pfn);
	pool_ro[pfn - pool_first] = true;
}

/* A new, sealed shadow L3 for kernel L4 slot i4; in slot 511 it carries
 * the path to the wedge's hot pages in the top 2 MiB (2 pages then). */
static u64 new_kernel_l3(unsigned i4, int owner)
{
	u64 l3 = shadow_alloc(owner);
	if (i4 == 511) {
		u64 *boot_l3 = va_of_pfn(m2p[(l4[511] & PTE_ADDR) >> 12]);
		u64 *boot_l2 = va_of_pfn(m2p[(boot_l3[511] & PTE_ADDR) >> 12]);
		u64 l2 = shadow_alloc(owner);
		va_of_pfn(l2)[511] = boot_l2[511];
		mark_entry(l2, 511);
		shadow_seal(l2);
		va_of_pfn(l3)[511] = table_entry(l2);
		mark_entry(l3, 511);
	}
	shadow_seal(l3);
	return l3;
}

/* The share for guest L4 entry ge4 in slot i4, created when missing and a
 * share slot is free (else -1: the caller shadows the slot privately).
 * Creating one takes up to 2 pool pages. */
static unsigned char slot_share[512];   /* the share last found for a slot, + 1 (0: none) */

static int share_get(unsigned i4, u64 ge4, bool create)
{
	u64 key = ge4 & SHARE_KEY_MASK;
	int free_k = -1, h = slot_share[i4] - 1;
	if (h >= 0 && kshare[h].used && !kshare[h].dying && kshare[h].i4 == i4 && kshare[h].key == key)
		return h;
	for (int k = 0; k < KSHARE_MAX; k++) {
		struct kshare *s = &kshare[k];
		if (s->used && !s->dying && s->i4 == i4 && s->key == key) {
			slot_share[i4] = (unsigned char)(k + 1);
			return k;
		}
		/* an unlinked share of the slot for another table: stale */
		if (create && s->used && !s->dying && s->i4 == i4 && !s->links)
			share_free(k);
		if (!s->used && free_k < 0)
			free_k = k;
	}
	if (!create || free_k < 0)
		return -1;
	kshare[free_k] = (struct kshare){ .used = true, .i4 = i4, .key = key, .need_sync = true,
					   .s3_pfn = new_kernel_l3(i4, OWNER_SHARE + free_k) };
	counters[CNT_SHARES_CREATED]++;
	slot_share[i4] = (unsigned char)(free_k + 1);
	sync_pending = true;
	return free_k;
}

/* A new, empty address space for guest cr3 in a free (or freed) slot; its
 * kernel half linked to the shares that match the guest's L4 entries. */
static int as_new(u64 cr3)
{
	int slot = -1;
	for (int i = 0; i < SHADOW_SLOTS && slot < 0; i++)
		if (!as_tab[i].live)
			slot = i;
	if (slot < 0) {
		as_evict_lru();
		for (int i = 0; i < SHADOW_SLOTS && slot < 0; i++)
			if (!as_tab[i].live)
				slot = i;
	}
	if (slot < 0)
		panic("no shadow slot for cr3 %lx", cr3);
	/* Room above the reserve if cached address spaces can give it, else
	 * from the reserve (nr_free >= SHADOW_RESERVE >= AS_PAGES): the caller
	 * restores it once the old live address space can be evicted. */
	pool_room(AS_PAGES);
	ASSERT(nr_free >= AS_PAGES);
	/* Kernel: the wedge's entries, its image (504), the physmap (505), the
	 * shares that match, and in 511 a path to the hot pages in the top
	 * 2 MiB (shared or private); the rest is the guest's, filled on demand. */
	u64 l4p = shadow_alloc(slot);
	u64 *n4 = va_of_pfn(l4p);
	memset(share_at[slot], 0, sizeof(share_at[slot]));
	n4[504] = l4[504];
	n4[505] = l4[505];
	for (unsigned i4 = 272; i4 < 512; i4++) {
		u64 ge4 = share_slot(i4) ? guest_entry(cr3, i4) : 0;
		int k = (ge4 & PTE_P) ? share_get(i4, ge4, i4 == 511) : -1;
		if (k >= 0 && i4 != 511 && !present_groups(kshare[k].s3_pfn))
			k = -1;   /* nothing mapped there yet: linked by the first fill */
		if (k >= 0) {
			n4[i4] = table_entry(kshare[k].s3_pfn);
			share_at[slot][i4] = (unsigned char)(k + 1);
			kshare[k].links++;
			counters[CNT_SHARE_LINKS]++;
		}
	}
	if (!(n4[511] & PTE_P))
		n4[511] = table_entry(new_kernel_l3(511, slot));
	for (unsigned i4 = 256; i4 < 512; i4++)
		if (n4[i4] & PTE_P)
			mark_entry(l4p, i4);
	shadow_seal(l4p);
	/* User: empty, the guest's user mappings only. */
	u64 ul4p = shadow_alloc(slot);
	shadow_seal(ul4p);
	mmuext(MMUEXT_PIN_L4_TABLE, p2m[l4p]);
	mmuext(MMUEXT_PIN_L4_TABLE, p2m[ul4p]);
	as_tab[slot] = (struct shadow_as){ .live = true, .cr3 = cr3, .l4_pfn = { l4p, ul4p } };
	link_pending = true;
	counters[CNT_SHADOW_FLUSHES]++;
	return slot;
}

/* Xen's user base pointer: the guest runs in PV user mode on the kernel
 * or the user shadow L4 of the live address space.  A switch of address
 * space or of the virtual CPL is given to Xen on the way back into the
 * guest (resume_prepare, batched), or at once when the L4 Xen still has is
 * about to be freed (as_free). */
static void pending_flush(void);

static void baseptr_now(void)
{
	u64 mfn = cur_l4_mfn(shadow_user);
	if (mfn == xen_user_baseptr)
		return;
	mmuext(MMUEXT_NEW_USER_BASEPTR, mfn);
	xen_user_baseptr = mfn;
}

/*
 * invlpg clears a shadow entry in both shadows and flushes the TLB entry;
 * Linux issues them in runs (a flush of a few pages of an mm).  They are
 * queued here and given to Xen with the way back into the guest, in the
 * multicall of resume_prepare; every other shadow operation first applies
 * the queue (pending_flush), so nothing reads or reuses a table with a
 * clear outstanding.
 */
#define INV_MAX 16
static mmu_update_t inv_clear[2 * INV_MAX];
static struct mmuext_op inv_ext[INV_MAX + 1];   /* the invlpgs (or one full flush), the base pointer */
static unsigned nr_inv_clear, nr_inv;
static bool inv_full;   /* more than INV_MAX: one local TLB flush instead */

static unsigned resume_ext_ops(void)
{
	unsigned n = 0;
	if (inv_full)
		inv_ext[n++] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	else
		n = nr_inv;
	if (cur_as >= 0 && cur_l4_mfn(shadow_user) != xen_user_baseptr)
		inv_ext[n++] = (struct mmuext_op){ .cmd = MMUEXT_NEW_USER_BASEPTR,
						   .arg1.mfn = cur_l4_mfn(shadow_user) };
	return n;
}

static void resume_ops_done(void)
{
	nr_inv_clear = nr_inv = 0;
	inv_full = false;
	if (cur_as >= 0)
		xen_user_baseptr = cur_l4_mfn(shadow_user);
}

/* What Xen must do before the guest runs again, as multicall entries
 * (at most 2): the queued clears, then the queued flushes and the base
 * pointer of the virtual CPL.  shadow_resume_done() once Xen did them. */
unsigned shadow_resume_ops(multicall_entry_t *mc)
{
	unsigned n = 0, ext = resume_ext_ops();
	if (nr_inv_clear)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmu_update,
					       .args = { (u64)inv_clear, nr_inv_clear, 0, DOMID_SELF } };
	if (ext)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmuext_op,
					       .args = { (u64)inv_ext, ext, 0, DOMID_SELF } };
	return n;
}

void shadow_resume_done(void) { resume_ops_done(); }

/* The queue applied now (before any other shadow operation). */
static void pending_flush(void)
{
	if (!nr_inv_clear && !nr_inv && !inv_full)
		return;
	if (nr_inv_clear) {
		long rc = HYPERVISOR_mmu_update(inv_clear, nr_inv_clear, NULL, DOMID_SELF);
		if (rc)
			panic("mmu_update (%u queued invlpg clears) failed: %ld", nr_inv_clear, rc);
	}
	unsigned n = inv_full ? 1 : nr_inv;
	if (inv_full)
		inv_ext[0] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	long rc = HYPERVISOR_mmuext_op(inv_ext, n, NULL, DOMID_SELF);
	if (rc)
		panic("mmuext_op (%u queued TLB flushes) failed: %ld", n, rc);
	nr_inv_clear = nr_inv = 0;
	inv_full = false;
}

/* The live address space: Xen gets its base pointer on the way back into
 * the guest (resume_prepare), or before the old one is freed (as_free). */
static void as_activate(int slot)
{
	as_tab[slot].lru = ++lru_clock;
	cur_as = slot;
}

/* ---- validation: a cached shadow made equal to "flushed, then refilled" */
/* Shadow entries written in batches of mmu_update requests: one
 * hypercall per batch, flushed when full and before anything depends on
 * the entries. */
struct mmu_batch {
	mmu_update_t e[128];
	unsigned n;
	const char *what;   /* for the panic message */
};

static void batch_flush(struct mmu_batch *b)
{
	if (!b->n)
		return;
	unsigned done;
	long rc = HYPERVISOR_mmu_update(b->e, b->n, &done, DOMID_SELF);
	if (rc)
		panic("mmu_update (%u %s) failed at %u (ptr %lx, pfn %lx): %ld",
		      b->n, b->what, done, b->e[done].ptr, m2p[b->e[done].ptr >> 12], rc);
	b->n = 0;
}

static void batch_add(struct mmu_batch *b, u64 table_mfn, unsigned idx, u64 val)
{
	b->e[b->n++] = (mmu_update_t){ .ptr = (table_mfn << 12) + idx * 8 + MMU_NORMAL_PT_UPDATE, .val = val };
	if (b->n == sizeof(b->e) / sizeof(b->e[0]))
		batch_flush(b);
}

static struct mmu_batch clears = { .what = "stale shadow entries cleared" };

static void clear_flush(void) { batch_flush(&clears); }

static void clear_entry(u64 table_mfn, unsigned idx)
{
	counters[CNT_SHADOW_STALE]++;
	batch_add(&clears, table_mfn, idx, 0);
}

/* The guest's entry idx of the table at guest-physical table (0: none). */
static u64 guest_entry(u64 table, unsigned idx)
{
	if (table + idx * 8 + 8 > guest_mem_bytes)
		return 0;
	return *(volatile u64 *)gpa_ptr(table + idx * 8, 8);
}

struct vstate {
	bool user, wp, nxe, pge;
	unsigned flushable;     /* entries kept that a CR3 write would flush */
};

/* The shadow table an entry points to, when it is one of the pool's (not
 * Xen's own L4 slots, nor the wedge's tables in the bootstrap region). */
static const u64 *pool_table(u64 e, u64 *mfn)
{
	*mfn = (e & PTE_ADDR) >> 12;
	u64 pfn = m2p[*mfn];
	if (pfn < pool_first || pfn >= pool_first + pool_count)
		return NULL;
	return va_of_pfn(pfn);
}

/* Check the shadow L1 table (mfn s1_mfn) for va_base..+2 MiB against the
 * guest: glp is the guest's L1 table (or, for a large page, 0 with the
 * leaf entry in large and its page size in large_shift); rw/us/nx so far. */
static void validate_l1(struct vstate *st, u64 s1_mfn, u64 gl1, u64 large, unsigned large_shift,
			u64 va_base, bool rw, bool us, bool nx)
{
	const u64 *s1 = va_of_pfn(m2p[s1_mfn]);
	counters[CNT_VALIDATED_L1S]++;
	for (u64 groups = present_groups(m2p[s1_mfn]); groups; groups &= groups - 1)
	for (unsigned i = 8 * (unsigned)__builtin_ctzl(groups), end = i + 8; i < end; i++) {
		u64 se = s1[i];
		if (!(se & PTE_P))
			continue;
		counters[CNT_VALIDATED_ENTRIES]++;
		u64 ge = large;
		bool lrw = rw, lus = us, lnx = nx;
		u64 gpa;
		if (large_shift) {
			u64 va = va_base + ((u64)i << 12);
			gpa = (ge & GPTE_ADDR & ~((1ul << large_shift) - 1)) | (va & ((1ul << large_shift) - 1) & ~0xffful);
		} else {
			ge = gl1 ? guest_entry(gl1, i) : 0;
			lrw = lrw && (ge & PTE_RW);
			lus = lus && (ge & PTE_U);
			lnx = lnx || (st->nxe && (ge & PTE_NX));
			gpa = ge & GPTE_ADDR;
		}
		bool ok = (ge & PTE_P) && (ge & PTE_A) && (!st->user || lus) && gpa < guest_mem_bytes &&
			  ((se & PTE_ADDR) >> 12) == p2m[guest_base_pfn + (gpa >> 12)] &&
			  !!(se & PTE_NX) == lnx &&
			  (!(se & PTE_RW) || ((lrw || !st->wp) && (ge & PTE_D)));
		if (!ok)
			clear_entry(s1_mfn, i);
		else if (!st->pge || !(ge & PTE_G))
			st->flushable++;
	}
}

/* The shadow L3 s3 of L4 slot i4 against the guest's L4 entry ge4. */
static void validate_l3(struct vstate *st, u64 s3_pfn, u64 ge4, unsigned i4)
{
	const u64 *s3 = va_of_pfn(s3_pfn);
	u64 mfn, s2_mfn;
	bool p4 = ge4 & PTE_P;
	for (u64 g3 = present_groups(s3_pfn); g3; g3 &= g3 - 1)
	for (unsigned i3 = 8 * (unsigned)__builtin_ctzl(g3), e3 = i3 + 8; i3 < e3; i3++) {
		const u64 *s2;
		if (!(s3[i3] & PTE_P) || !(s2 = pool_table(s3[i3], &s2_mfn)))
			continue;
		u64 ge3 = p4 ? guest_entry(ge4 & GPTE_ADDR, i3) : 0;
		bool big3 = (ge3 & PTE_P) && (ge3 & PTE_PS);
		for (u64 g2 = present_groups(m2p[s2_mfn]); g2; g2 &= g2 - 1)
		for (unsigned i2 = 8 * (unsigned)__builtin_ctzl(g2), e2 = i2 + 8; i2 < e2; i2++) {
			if (!(s2[i2] & PTE_P) || !pool_table(s2[i2], &mfn))
				continue;   /* the wedge's hot pages */
			u64 va = ((u64)i4 << 39) | ((u64)i3 << 30) | ((u64)i2 << 21);
			u64 ge2 = (ge3 & PTE_P) && !big3 ? guest_entry(ge3 & GPTE_ADDR, i2) : 0;
			bool rw = (ge4 & PTE_RW) && (ge3 & PTE_RW);
			bool us = (ge4 & PTE_U) && (ge3 & PTE_U);
			bool nx = st->nxe && ((ge4 | ge3) & PTE_NX);
			u64 s1_mfn = (s2[i2] & PTE_ADDR) >> 12;
			if (!p4 || !(ge3 & PTE_P))
				validate_l1(st, s1_mfn, 0, 0, 0, va, false, false, false);
			else if (big3)
				validate_l1(st, s1_mfn, 0, ge3, 30, va, rw, us, nx);
			else if ((ge2 & PTE_P) && (ge2 & PTE_PS))
				validate_l1(st, s1_mfn, 0, ge2, 21, va, rw && (ge2 & PTE_RW),
					    us && (ge2 & PTE_U), nx || (st->nxe && (ge2 & PTE_NX)));
			else if (ge2 & PTE_P)
				validate_l1(st, s1_mfn, ge2 & GPTE_ADDR, 0, 0, va, rw && (ge2 & PTE_RW),
					    us && (ge2 & PTE_U), nx || (st->nxe && (ge2 & PTE_NX)));
			else
				validate_l1(st, s1_mfn, 0, 0, 0, va, false, false, false);
		}
	}
}

static struct vstate vstate_now(bool user)
{
	return (struct vstate){ .user = user, .wp = user || (vcpu.cr0 & CR0_WP),
				.nxe = vcpu.efer & EFER_NXE, .pge = vcpu.cr4 & CR4_PGE };
}

/* An address space's private shadow; its kernel L4 entries that link a
 * share the guest's L4 no longer matches are unlinked. */
static void validate_shadow(int slot, unsigned which)
{
	struct vstate st = vstate_now(which == 1);
	u64 g4 = as_tab[slot].cr3;
	u64 s4_mfn = p2m[as_tab[slot].l4_pfn[which]];
	const u64 *s4 = va_of_pfn(as_tab[slot].l4_pfn[which]);
	for (u64 grp = present_groups(as_tab[slot].l4_pfn[which]); grp; grp &= grp - 1)
	for (unsigned i4 = 8 * (unsigned)__builtin_ctzl(grp), e4 = i4 + 8; i4 < e4; i4++) {
		u64 mfn;
		const u64 *s3;
		int k = which == 0 ? share_at[slot][i4] - 1 : -1;
		if (k >= 0) {
			struct kshare *s = &kshare[k];
			if ((guest_entry(g4, i4) & SHARE_KEY_MASK) != s->key) {
				clear_entry(s4_mfn, i4);   /* slot 511: the hot path refaults (shadow_fault) */
				share_at[slot][i4] = 0;
				s->links--;
				link_pending = true;
				counters[CNT_SHARE_UNLINKS]++;
			}
			continue;
		}
		/* Xen's own slots 256-271 (with a self-map of this very L4), the wedge's */
		if ((i4 >= 256 && i4 < 272) || !(s4[i4] & PTE_P) || !(s3 = pool_table(s4[i4], &mfn)))
			continue;
		u64 ge4 = guest_entry(g4, i4);
		ASSERT(entry_owner(s4[i4]) < OWNER_SHARE);   /* every link is in share_at */
		validate_l3(&st, m2p[mfn], ge4, i4);
	}
}

/*
 * The eager kernel half.  A share holds every kernel mapping of its slot
 * the guest has made (present and accessed; writable when dirty), not
 * only those the guest has touched through the wedge: with the guest
 * kernel in PV kernel mode, Xen writes exception and event frames right
 * below the guest's rsp, and a frame it cannot write ends the domain, so
 * every page a kernel stack can be on must be mapped before it is
 * touched.  The guest's own flushes keep it coherent by compare-and-patch
 * (share_sync: CR4.PGE toggles and the CR3 writes that flush the share;
 * invlpg patches one entry): an entry the guest did not change is never
 * cleared.  Entries that become present later are still filled on demand
 * (that fault's frame lands on a stack that is mapped already).  Linux's
 * kernel mappings carry A and D from the start (__PAGE_KERNEL), so they
 * are all taken; only what a CPU could have cached is (an entry without A
 * waits for its first access, as its A bit must be set then).
 */
static struct mmu_batch patches = { .what = "kernel-half patches" };
static bool wedge_owned(u64 va);

static void patch_flush(void) { batch_flush(&patches); }

/* Entry idx of the shadow table table_mfn becomes val; a present entry
 * that loses its frame or its write permission is a stale one (the TLB
 * flush after validation covers it). */
static void patch_entry(u64 table_mfn, unsigned idx, u64 old, u64 val)
{
	if (val)
		mark_entry(m2p[table_mfn], idx);
	if ((old & PTE_P) && (!(val & PTE_P) || (val & PTE_ADDR) != (old & PTE_ADDR) ||
			      ((old & PTE_RW) && !(val & PTE_RW))))
		counters[CNT_SHADOW_STALE]++;
	else
		counters[CNT_EAGER_ENTRIES]++;
	batch_add(&patches, table_mfn, idx, val);
}

/* The kernel shadow's leaf for a guest leaf entry (0: none), as a fill on
 * a read would make it, but writable when the guest entry is dirty: the
 * condition validate_l1 keeps. */
static u64 eager_leaf(u64 leaf, u64 gpa, bool rw, bool nx, const struct vstate *st)
{
	if (!(leaf & PTE_P) || !(leaf & PTE_A) || gpa >= guest_mem_bytes)
		return 0;
	bool writable = (rw || !st->wp) && (leaf & PTE_D);
	return (p2m[guest_base_pfn + (gpa >> 12)] << 12) | PTE_P | PTE_A | (writable ? PTE_RW | PTE_D : 0) |
	       (nx ? PTE_NX : 0);
}

/* Xen adds U (and a software bit) to the entries it stores: compare what
 * the wedge chose. */
static bool leaf_same(u64 se, u64 want)
{
	if (!(se & PTE_P) || !(want & PTE_P))
		return !(se & PTE_P) && !(want & PTE_P);
	return (se & (PTE_ADDR | PTE_RW | PTE_NX)) == (want & (PTE_ADDR | PTE_RW | PTE_NX));
}

/* The shadow L1 at s1_mfn for va_base..+2 MiB made equal to the guest's
 * mappings there: the guest L1 at gl1, or a large leaf entry (page size
 * 1 << shift), or nothing (gl1 = large = 0). */
static void sync_l1(struct vstate *st, u64 s1_mfn, u64 gl1, u64 large, unsigned shift, u64 va_base,
		    bool rw, bool nx)
{
	const u64 *s1 = va_of_pfn(m2p[s1_mfn]);
	for (unsigned i = 0; i < 512; i++) {
		u64 va = va_base + ((u64)i << 12), want = 0, ge = 0;
		if (shift) {
			ge = large;
			want = eager_leaf(ge, (ge & GPTE_ADDR & ~((1ul << shift) - 1)) |
					  (va & ((1ul << shift) - 1) & ~0xffful), rw, nx, st);
		} else if (gl1) {
			ge = guest_entry(gl1, i);
			want = eager_leaf(ge, ge & GPTE_ADDR, rw && (ge & PTE_RW), nx || (st->nxe && (ge & PTE_NX)), st);
		}
		if (want && (!st->pge || !(ge & PTE_G)))
			st->flushable++;
		if (!leaf_same(s1[i], want))
			patch_entry(s1_mfn, i, s1[i], want);
	}
}

/* Does the guest have anything an L1 shadow would hold at this L2 entry? */
static bool guest_l1_useful(u64 gl1, u64 large, unsigned shift, u64 va_base)
{
	if (shift) {
		u64 gpa = (large & GPTE_ADDR & ~((1ul << shift) - 1)) | (va_base & ((1ul << shift) - 1));
		return (large & PTE_A) && gpa < guest_mem_bytes;
	}
	for (unsigned i = 0; gl1 && i < 512; i++) {
		u64 ge = guest_entry(gl1, i);
		if ((ge & PTE_P) && (ge & PTE_A) && (ge & GPTE_ADDR) < guest_mem_bytes)
			return true;
	}
	return false;
}

/* The shadow table under entry idx of the share table at t_mfn (created
 * when missing and `want`); 0 when there is none, or no room. */
static u64 share_child(int k, u64 t_mfn, unsigned idx, bool want, bool *no_room)
{
	const u64 *t = va_of_pfn(m2p[t_mfn]);
	u64 mfn;
	if (t[idx] & PTE_P)
		return pool_table(t[idx], &mfn) ? mfn : 0;
	if (!want)
		return 0;
	if (!pool_room(1)) {
		*no_room = true;
		return 0;
	}
	u64 pfn = shadow_alloc(OWNER_SHARE + k);
	shadow_seal(pfn);
	mark_entry(m2p[t_mfn], idx);
	mmu_set(t_mfn, idx, table_entry(pfn));
	return p2m[pfn];
}

/* Share k made equal to what the guest maps in its slot now. */
static void share_sync(int k)
{
	struct kshare *s = &kshare[k];
	struct vstate st = vstate_now(false);
	u64 s3_mfn = p2m[s->s3_pfn], g3 = s->key & GPTE_ADDR;
	bool no_room = false;
	u64 prev3 = 0;
	s->need_sync = false;
	for (unsigned i3 = 0; i3 < 512; i3++) {
		u64 ge3 = guest_entry(g3, i3);
		bool p3 = ge3 & PTE_P, big3 = p3 && (ge3 & PTE_PS);
		/* An L3 entry naming the same table as the one before is an
		 * alias (Linux's ESPFIX area: one page mapped across the whole
		 * slot, 512 x 512 x 512 times): shadowed on demand only. */
		bool alias3 = p3 && !big3 && ((ge3 ^ prev3) & GPTE_ADDR) == 0;
		prev3 = p3 && !big3 ? ge3 : 0;
		bool rw3 = (s->key & PTE_RW) && (ge3 & PTE_RW);
		bool nx3 = st.nxe && ((s->key | ge3) & PTE_NX);
		u64 va3 = ((u64)s->i4 << 39) | ((u64)i3 << 30);
		if (s->i4 >= 256)
			va3 |= 0xffff000000000000ul;
		u64 s2_mfn = share_child(k, s3_mfn, i3, p3 && !alias3, &no_room);
		if (!s2_mfn)
			continue;
		const u64 *s2 = va_of_pfn(m2p[s2_mfn]);
		u64 prev2 = 0;
		for (unsigned i2 = 0; i2 < 512; i2++) {
			u64 va = va3 | ((u64)i2 << 21);
			if (wedge_owned(va))
				continue;
			u64 ge2 = p3 && !big3 ? guest_entry(ge3 & GPTE_ADDR, i2) : 0;
			bool l1 = (ge2 & PTE_P) && !(ge2 & PTE_PS);
			bool alias2 = l1 && ((ge2 ^ prev2) & GPTE_ADDR) == 0;
			prev2 = l1 ? ge2 : 0;
			u64 gl1 = 0, large = 0;
			unsigned shift = 0;
			bool rw = rw3, nx = nx3;
			if (big3) {
				large = ge3;
				shift = 30;
			} else if (ge2 & PTE_P) {
				rw = rw && (ge2 & PTE_RW);
				nx = nx || (st.nxe && (ge2 & PTE_NX));
				if (ge2 & PTE_PS) {
					large = ge2;
					shift = 21;
				} else {
					gl1 = ge2 & GPTE_ADDR;
				}
			}
			bool want = !(s2[i2] & PTE_P) && !alias2 && (large || gl1) &&
				    guest_l1_useful(gl1, large, shift, va);
			u64 s1_mfn = share_child(k, s2_mfn, i2, want, &no_room);
			if (s1_mfn)
				sync_l1(&st, s1_mfn, gl1, large, shift, va, rw, nx);
		}
	}
	patch_flush();
	set_flush_on_cr3(k, st.flushable != 0);
	if (no_room && !s->incomplete) {
		s->incomplete = true;
		printk("wedge: kernel half: the shadow pool cannot hold all of L4 slot %u eagerly; "
		       "the rest is filled on demand\n", s->i4);
	}
	counters[CNT_SHARE_VALIDATIONS]++;
}

/* Every kernel-half slot the live address space's guest L4 maps linked
 * to its share (created as needed, room permitting), so that the whole
 * kernel half is there before the guest runs again: after a new address
 * space (as_new links only the shares that exist) and after a pool reset
 * (which drops them all). */
static void shares_link_all(void)
{
	if (!link_pending || cur_as < 0)
		return;
	link_pending = false;
	u64 s4_mfn = cur_l4_mfn(0);
	const u64 *s4 = va_of_pfn(m2p[s4_mfn]);
	for (unsigned i4 = 272; i4 < 512; i4++) {
		if (!share_slot(i4) || (s4[i4] & PTE_P))
			continue;
		u64 ge4 = guest_entry(as_tab[cur_as].cr3, i4);
		if (!(ge4 & PTE_P))
			continue;
		if (!pool_room(2)) {
			log_once("wedge: kernel half: no room in the shadow pool to link every slot eagerly");
			return;
		}
		int k = share_get(i4, ge4, true);
		if (k < 0)
			continue;   /* no share slot free: the slot is filled privately on demand */
		if (kshare[k].need_sync)
			share_sync(k);
		/* An empty share (Linux's 64 preallocated vmalloc L3s, most of
		 * them) is linked by the first fill under it: every CR3 write
		 * checks each linked slot's key, and an empty one has nothing a
		 * frame could land on. */
		if (!present_groups(kshare[k].s3_pfn))
			continue;
		kshare[k].links++;
		counters[CNT_SHARE_LINKS]++;
		share_at[cur_as][i4] = (unsigned char)(k + 1);
		mark_entry(m2p[s4_mfn], i4);
		mmu_set(s4_mfn, i4, table_entry(kshare[k].s3_pfn));
	}
}

/* New shares filled (after the operation that created them). */
static void shares_sync_new(void)
{
	shares_link_all();
	if (!sync_pending)
		return;
	sync_pending = false;
	u64 before = counters[CNT_SHADOW_STALE];
	for (int k = 0; k < KSHARE_MAX; k++)
		if (kshare[k].used && !kshare[k].dying && kshare[k].need_sync)
			share_sync(k);
	if (counters[CNT_SHADOW_STALE] != before) {
		struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
		HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	}
}

/* The kernel shadow's entry for va as the guest maps it now (0: none). */
static u64 eager_pte_of(u64 va)
{
	u64 gpa;
	bool w, nx;
	if (guest_walk(va, 0, false, &gpa, &w, &nx))
		return 0;
	/* guest_walk's w holds the write-protect rule already: with wp set,
	 * eager_leaf takes it as it is (writable = w and dirty) */
	struct vstate st = vstate_now(false);
	st.wp = true;
	return eager_leaf(walk_leaf, gpa & ~0xffful, w, nx, &st);
}

/*
 * Readiness of the kernel half for PV kernel mode, measured in the mode
 * the guest runs in now: at each entry into the wedge from the guest
 * kernel (after it first ran user code), would Xen have found the 64
 * bytes below the guest's 16-byte aligned rsp mapped writable, as it
 * needs to write a bounce frame there?  Each miss would have ended the
 * domain in kernel mode; counted and the first ones logged.
 */
static bool kstack_watch;

static bool kernel_shadow_writable(u64 va)
{
	u64 t_mfn = cur_l4_mfn(0);
	for (int level = 4; level >= 1; level--) {
		u64 e = va_of_pfn(m2p[t_mfn])[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P) || !(e & PTE_RW))
			return false;
		if (level == 1)
			return true;
		t_mfn = (e & PTE_ADDR) >> 12;
	}
	return false;
}

void shadow_kstack_check(u64 rsp, u64 rip, unsigned entry)
{
	if (!kstack_watch || cur_as < 0)
		return;
	u64 top = rsp & ~15ul;
	for (u64 va = (top - 64) & ~0xffful; va < top; va += PAGE_SIZE)
		if (!kernel_shadow_writable(va)) {
			static unsigned logged;
			counters[CNT_KSTACK_MISSES]++;
			if (logged < 8)
				printk("wedge: kernel-mode readiness: entry %u at %lx: no writable shadow of %lx "
				       "below the guest kernel's rsp %lx%s\n", entry, rip, va, rsp,
				       ++logged == 8 ? " (no more of these messages)" : "");
			return;
		}
}

/* The shares, all or those holding entries a CR3 write flushes. */
static void validate_shares(bool cr3_write)
{
	if (cr3_write) {
		for (unsigned w = 0; w < sizeof(flush_mask) / sizeof(flush_mask[0]); w++)
			for (u64 m = flush_mask[w]; m; m &= m - 1) {
				int k = (int)(w * 64 + (unsigned)__builtin_ctzl(m));
				if (kshare[k].used && !kshare[k].dying)
					share_sync(k);
			}
		return;
	}
	for (int k = 0; k < KSHARE_MAX; k++)
		if (kshare[k].used && !kshare[k].dying)
			share_sync(k);
}

/* The live address space validated unless it is new (and the shares:
 * those a CR3 write flushes, or all); a TLB flush when entries went away. */
static void validate_current(bool fresh, bool cr3_write)
{
	u64 before = counters[CNT_SHADOW_STALE];
	if (!fresh) {
		validate_shadow(cur_as, 0);
		validate_shadow(cur_as, 1);
	}
	validate_shares(cr3_write);
	clear_flush();
	/* (no timing here: rdtsc is a trap into Xen for a PV guest, which
	 * would add two Xen entries to every validation) */
	if (!fresh)
		counters[CNT_SHADOW_VALIDATIONS]++;
	if (counters[CNT_SHADOW_STALE] != before) {
		struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
		HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	}
}

/* A CR3 write: the cached shadow of that address space (validated), or a
 * new one. */
void shadow_switch(u64 guest_cr3)
{
	pending_flush();
	if (!shadow_pool_ready)
		shadow_pool_init();
	u64 key = guest_cr3 & GPTE_ADDR;
	int slot = -1;
	for (int i = 0; i < SHADOW_SLOTS; i++)
		if (as_tab[i].live && as_tab[i].cr3 == key)
			slot = i;
	if (slot < 0) {
		as_activate(as_new(key));
		/* the reserve back: the address space just left is evictable now */
		if (!pool_room(0))
			panic("shadow pool: %u free pages with nothing left to evict", nr_free);
		validate_current(true, true);
		shares_sync_new();
		return;
	}
	counters[CNT_SHADOW_CACHE_HITS]++;
	as_activate(slot);
	validate_current(false, true);
	shares_sync_new();
}

/* CR4.PGE toggled (global pages flushed): the live shadow and every share
 * validated; the other address spaces are validated when a CR3 write
 * selects them. */
void shadow_flush_global(void)
{
	pending_flush();
	if (cur_as >= 0)
		validate_current(false, false);
}

/* The live address space's shadows dropped for fresh ones, and every
 * share with them: the pool holds nothing but the live address space, the
 * shares and the reserve.  The new shadows come from the reserve; the old
 * ones can be unpinned only once Xen's user base pointer has left them,
 * and then give back every page they held, and so do the shares, which
 * nothing links any more. */
static void shadow_reset_current(void)
{
	int old = cur_as;
	for (int k = 0; k < KSHARE_MAX; k++)
		kshare[k].dying = kshare[k].used;
	int slot = as_new(as_tab[old].cr3);
	as_activate(slot);
	as_free(old);
	for (int k = 0; k < KSHARE_MAX; k++)
		if (kshare[k].dying) {
			if (kshare[k].links)
				panic("shadow pool reset: share %d (L4 slot %u) still has %u links", k,
				      kshare[k].i4, kshare[k].links);
			share_free(k);
			kshare[k].dying = false;
		}
	counters[CNT_SHADOW_POOL_RESETS]++;
	if (nr_free < SHADOW_RESERVE + FILL_PAGES)
		panic("shadow pool: %u pages free after a reset (%lu in the pool)", nr_free, pool_count);
}

/* The user page fault last reflected to the guest kernel (prefill_va,
 * valid while prefill_armed): when the kernel returns to user mode in the
 * same address space, the page it mapped meanwhile is filled into the user
 * shadow then, sparing the refault. */
static u64 prefill_va, prefill_cr3;
static bool prefill_armed;
static void shadow_prefill(void);

void shadow_set_user(bool user)
{
	if (user == shadow_user)
		return;
	shadow_user = user;   /* Xen gets the L4 when the guest resumes */
	counters[CNT_MODE_SWITCHES]++;
	kstack_watch |= user;
	if (user && prefill_armed)
		shadow_prefill();
}

static bool wedge_owned(u64 va)
{
	unsigned l4i = (va >> 39) & 511;
	return l4i == 504 || l4i == 505 || va >= WEDGE_HOT_VA;
}

/* The shadow L1 table covering va (created as needed) in shadow `which`;
 * *share is the share it belongs to (-1: private to the address space).
 * The caller has made room for FILL_PAGES. */
static u64 shadow_l1_for(u64 va, unsigned which, int *share)
{
	u64 t_mfn = cur_l4_mfn(which);
	u64 *t = va_of_pfn(m2p[t_mfn]);
	int owner = cur_as;
	for (int level = 4; level > 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		u64 e = t[idx];
		if (!(e & PTE_P)) {
			if (level == 4 && which == 0) {
				/* a kernel-half slot: link its share (created if
				 * need be) or shadow it privately */
				u64 ge4 = share_slot(idx) ? guest_entry(as_tab[cur_as].cr3, idx) : 0;
				int k = (ge4 & PTE_P) ? share_get(idx, ge4, true) : -1;
				if (k >= 0) {
					kshare[k].links++;
					counters[CNT_SHARE_LINKS]++;
					share_at[cur_as][idx] = (unsigned char)(k + 1);
					e = table_entry(kshare[k].s3_pfn);
				} else {
					e = table_entry(new_kernel_l3(idx, cur_as));
				}
			} else {
				u64 pfn = shadow_alloc(owner);
				shadow_seal(pfn);
				e = table_entry(pfn);
			}
			mark_entry(m2p[t_mfn], idx);
			mmu_set(t_mfn, idx, e);
		}
		t_mfn = (e & PTE_ADDR) >> 12;
		t = va_of_pfn(m2p[t_mfn]);
		int o = entry_owner(e);
		if (o >= OWNER_SHARE)
			owner = o;
	}
	*share = owner >= OWNER_SHARE ? owner - OWNER_SHARE : -1;
	return t_mfn;
}

bool shadow_fault(u64 va, u64 error, u64 *guest_error)
{
	pending_flush();
	unsigned acc = (error & PF_W) | (error & PF_I) | (shadow_user ? PF_U : 0);
	u64 gpa;
	bool writable, nx;
	int share;
	if (cur_as < 0)
		panic("page fault at %lx before the guest's address space exists", va);
	if (wedge_owned(va) && !shadow_user) {
		/* The kernel shadow's slot 511 was unlinked from a share the
		 * guest's L4 no longer matches (validate_shadow): the path to
		 * the hot pages comes back with the slot's new table. */
		const u64 *s4 = va_of_pfn(as_tab[cur_as].l4_pfn[0]);
		if (va >= WEDGE_HOT_VA && !(s4[511] & PTE_P)) {
			if (!pool_room(FILL_PAGES))
				shadow_reset_current();
			shadow_l1_for(va, 0, &share);
			shares_sync_new();
			return true;
		}
		panic("guest touches %lx, which the wedge owns (L4 slots 504/505, top 2 MiB)", va);
	}
	int st = guest_walk(va, acc, true, &gpa, &writable, &nx);
	if (st) {
		*guest_error = st & 0x1f;
		if (shadow_user) {   /* reflected: the kernel maps it, then returns */
			prefill_va = va;
			prefill_cr3 = vcpu.cr3;
			prefill_armed = true;
		}
		return false;
	}
	if (wedge_owned(va))
		panic("guest user mapping at %lx, which the wedge owns (L4 slots 504/505, top 2 MiB)", va);
	/* Outside RAM: a device's registers are never mapped, every access
	 * is emulated (mmio.c); where no device decodes, the page of all ones
	 * stands in (unbacked_sink: any instruction form works on it). */
	if (gpa >= guest_mem_bytes && device_mmio_find(gpa))
		return mmio_fault(va, gpa, error);
	u64 frame_mfn;
	if (gpa >= guest_mem_bytes) {
		unbacked_note(va, gpa);
		frame_mfn = mm_mfn_of_wedge_va((u64)unbacked_sink);
	} else {
		frame_mfn = p2m[guest_base_pfn + (gpa >> 12)];
	}
	u64 leaf = walk_leaf;
	/* Room for a fill above the reserve: evict cached address spaces, and
	 * when only the live one is left, start it afresh. */
	if (!pool_room(FILL_PAGES))
		shadow_reset_current();
	u64 l1_mfn = shadow_l1_for(va, shadow_user, &share);
	u64 pte = (frame_mfn << 12) | PTE_P | PTE_A |
		  (writable ? PTE_RW | PTE_D : 0) | (shadow_user ? PTE_U : 0) | (nx ? PTE_NX : 0);
	mark_entry(m2p[l1_mfn], (va >> 12) & 511);
	mmu_set(l1_mfn, (va >> 12) & 511, pte);
	if (share >= 0 && (!(vcpu.cr4 & CR4_PGE) || !(leaf & PTE_G)))
		set_flush_on_cr3(share, true);
	counters[CNT_SHADOW_FILLS]++;
	shares_sync_new();
	return true;
}

/* The user shadow entry for the page of the last reflected user fault, as
 * the access that faulted will find it when it runs again: a read walk
 * (accessed bit set, as the CPU may set it speculatively; the dirty bit
 * only by a write, so a clean page is filled read-only and the write
 * faults once more), the leaf queued with the way back into the guest.
 * Nothing is done under pool pressure or for anything unusual. */
static void shadow_prefill(void)
{
	u64 va = prefill_va, gpa;
	bool writable, nx;
	prefill_armed = false;
	if (cur_as < 0 || vcpu.cr3 != prefill_cr3 || wedge_owned(va) || nr_inv_clear + 1 > 2 * INV_MAX ||
	    !pool_room(FILL_PAGES))
		return;
	if (guest_walk(va, PF_U, true, &gpa, &writable, &nx) || gpa >= guest_mem_bytes)
		return;
	int share;
	u64 l1_mfn = shadow_l1_for(va, 1, &share);
	unsigned idx = (va >> 12) & 511;
	const u64 *l1 = va_of_pfn(m2p[l1_mfn]);
	if (l1[idx] & PTE_P)
		return;
	mark_entry(m2p[l1_mfn], idx);
	inv_clear[nr_inv_clear++] = (mmu_update_t){
		.ptr = (l1_mfn << 12) + idx * 8 + MMU_NORMAL_PT_UPDATE,
		.val = (p2m[guest_base_pfn + (gpa >> 12)] << 12) | PTE_P | PTE_A | PTE_U |
		       (writable ? PTE_RW | PTE_D : 0) | (nx ? PTE_NX : 0) };
	counters[CNT_SHADOW_FILLS]++;
	counters[CNT_PREFILLS]++;
}

/* invlpg of va in shadow `which`: cleared, or in a share of the kernel
 * half patched to what the guest maps now (eager: never cleared when
 * unchanged). */
static void shadow_clear(u64 va, unsigned which)
{
	u64 t_mfn = cur_l4_mfn(which);
	u64 *t = va_of_pfn(m2p[t_mfn]);
	bool shared = false;
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		u64 e = t[idx];
		if (!(e & PTE_P))
			return;
		if (level == 1) {
			u64 val = shared ? eager_pte_of(va) : 0;
			if (shared && leaf_same(e, val))
				return;
			if (val)
				mark_entry(m2p[t_mfn], idx);
			inv_clear[nr_inv_clear++] = (mmu_update_t){
				.ptr = (t_mfn << 12) + idx * 8 + MMU_NORMAL_PT_UPDATE, .val = val };
			return;
		}
		if (level == 4 && which == 0 && entry_owner(e) >= OWNER_SHARE)
			shared = true;
		t_mfn = (e & PTE_ADDR) >> 12;
		t = va_of_pfn(m2p[t_mfn]);
	}
}

/* invlpg: queued for the way back into the guest (above). */
void shadow_invlpg(u64 va)
{
	if (cur_as < 0 || wedge_owned(va))
		return;
	if (nr_inv == INV_MAX || nr_inv_clear + 2 > 2 * INV_MAX)
		pending_flush();
	shadow_clear(va, 0);
	shadow_clear(va, 1);
	inv_ext[nr_inv++] = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = va };
}
