/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen's descriptor tables, mirroring the guest's user-visible descriptors,
 * so that guest user mode runs with the guest's own selectors: its CS and
 * SS (0x33, 0x2b under Linux, not Xen's flat 0xe033, 0xe02b), far
 * transfers between its code segments, data segment loads from its GDT
 * and LDT (modify_ldt), and lar/lsl/verr/verw reading its descriptors.
 *
 * A 64-bit PV domain may give Xen GDT frames of its own (set_gdt: entries
 * below Xen's reserved range) and an LDT (MMUEXT_SET_LDT: a linear address
 * in the kernel's page tables, the wedge's), both in pages with no
 * writable mapping, every descriptor passing Xen's check_descriptor
 * (xen/arch/x86/pv/descriptor-tables.c): code and data segments go
 * through with their DPL raised to 3, system descriptors other than call
 * gates are refused.  So the mirror holds exactly the guest's code and
 * data descriptors of DPL 3, the ones a CPL-3 program can use on hardware;
 * every other entry (the kernel's segments, the TSS, the LDT descriptor,
 * gates) is zero, which a CPL-3 load, far transfer or lar refuses just as
 * hardware refuses the DPL-0 original, with the same error code.
 *
 * The mirror pages are the wedge's (bss), mapped read-only; entries are
 * written with update_descriptor, batched.  The GDT is taken again at lgdt
 * and compared before every return to user mode (Linux writes its TLS
 * entries with plain stores at context switches: load_TLS); the LDT at
 * lldt (Linux's modify_ldt installs a new LDT and reloads it).
 */
#include "wedge-xen/descriptors.h"
#include "wedge-xen/hypercall.h"

#define GDT_ENTRIES 512    /* one frame: the guest's first 512 entries */
#define LDT_ENTRIES 8192   /* the architectural maximum (64 KiB) */

/* What Xen reads.  The CPU may set accessed bits in them. */
static u64 gdt_page[GDT_ENTRIES] __attribute__((aligned(4096)));
static u64 ldt_pages[LDT_ENTRIES] __attribute__((aligned(4096)));
/* What the wedge wrote there (mirrored()), and how many entries the
 * guest's table has (beyond them: zero). */
static u64 gdt_want[GDT_ENTRIES], ldt_want[LDT_ENTRIES];
static unsigned gdt_n, ldt_n;
/* The guest's tables as read now. */
static u64 gdt_buf[GDT_ENTRIES], ldt_buf[LDT_ENTRIES];
/* The selector the wedge last saw in, or put into, each hardware data
 * segment register (SEG_ES, SEG_DS, SEG_FS, SEG_GS). */
static u16 real_seg[6];
/* counters: GDT compares, entries written, LDT loads, null stand-ins */
static u64 n_compares, n_written, n_ldt_loads, n_standins;



/* The mirror of a guest descriptor: code and data segments of DPL 3. */
static u64 mirrored(u64 d)
{
	return D_S(d) && D_DPL(d) == 3 ? d : 0;
}

/* ---------------------------------------------------------------- hardware segment registers */
static u16 real_read(unsigned sr)
{
	u16 v = 0;
	switch (sr) {
	case SEG_ES: __asm__ volatile("mov %%es, %0" : "=r"(v)); break;
	case SEG_DS: __asm__ volatile("mov %%ds, %0" : "=r"(v)); break;
	case SEG_FS: __asm__ volatile("mov %%fs, %0" : "=r"(v)); break;
	case SEG_GS: __asm__ volatile("mov %%gs, %0" : "=r"(v)); break;
	}
	return v;
}

/* Load the hardware register (the wedge runs in PV kernel mode: the
 * selector registers are the ones the guest's user mode runs with, the FS
 * base too, which the load changes: set again to the guest's; a GS load
 * changes only the kernel-mode GS base, which the wedge does not use). */
static void real_write(unsigned sr, u16 v)
{
	switch (sr) {
	case SEG_ES: __asm__ volatile("mov %0, %%es" :: "r"(v) : "memory"); break;
	case SEG_DS: __asm__ volatile("mov %0, %%ds" :: "r"(v) : "memory"); break;
	case SEG_FS:
		__asm__ volatile("mov %0, %%fs" :: "r"(v) : "memory");
		fs_base_stale = true;   /* the guest's base back to Xen with the exit's batch */
		break;
	case SEG_GS: __asm__ volatile("mov %0, %%gs" :: "r"(v) : "memory"); break;
	}
	real_seg[sr] = v;
}

/* The mirrored descriptor for sel (0: none). */
static u64 mirror_desc(u16 sel)
{
	unsigned i = sel >> 3;
	if (sel & 4)
		return i < ldt_n ? ldt_want[i] : 0;
	return i && i < gdt_n ? gdt_want[i] : 0;
}

/* A data segment register load of sel at CPL 3 goes through with the
 * mirror as it is: a null selector, or a present data or readable code
 * segment (DPL 3 by construction). */
static bool data_loadable(u16 sel)
{
	if (!(sel & ~3u))
		return true;
	u64 d = mirror_desc(sel);
	return d && D_P(d) && (!D_CODE(d) || (D_TYPE(d) & 2));
}

/* Before the mirror changes: a hardware register whose selector the new
 * mirror no longer loads gets a null stand-in now, or Xen's reload at the
 * next vCPU switch would fail (the failsafe callback).  The CPU keeps a
 * loaded descriptor until the next load; the virtual selector keeps the
 * guest's, which Linux reloads at its next context switch anyway. */
static void sanitize(void)
{
	static const unsigned data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned k = 0; k < 4; k++) {
		unsigned sr = data_segs[k];
		if (!data_loadable(real_seg[sr])) {
			n_standins++;
			real_write(sr, 0);
		}
	}
}

/* ---------------------------------------------------------------- writes */
static multicall_entry_t batch[32];
static unsigned batch_n;

static void desc_flush(void)
{
	if (!batch_n)
		return;
	long rc = HYPERCALL(__HYPERVISOR_multicall, batch, batch_n, 0, 0, 0);
	for (unsigned i = 0; i < batch_n; i++)
		if (rc || batch[i].result)
			panic("update_descriptor(%lx, %lx) failed: %ld/%ld (Xen refused a mirrored descriptor)",
			      batch[i].args[0], batch[i].args[1], rc, (long)batch[i].result);
	batch_n = 0;
}

static void desc_write(u64 *slot, u64 d)
{
	u64 ma = mm_mfn_of_wedge_va((u64)slot) << 12 | ((u64)slot & (PAGE_SIZE - 1));
	n_written++;
	batch[batch_n++] = (multicall_entry_t){ .op = __HYPERVISOR_update_descriptor, .args = { ma, d } };
	if (batch_n == sizeof(batch) / sizeof(batch[0]))
		desc_flush();
}

/* Make the mirror (page, want, *n) hold the guest's entries buf[0..n). */
static void mirror_update(u64 *page, u64 *want, unsigned *cur_n, const u64 *buf, unsigned n, bool gdt)
{
	unsigned top = n > *cur_n ? n : *cur_n;
	/* the new contents first, so that sanitize sees them */
	static u64 next[LDT_ENTRIES];
	for (unsigned i = 0; i < top; i++)
		next[i] = i < n && (i || !gdt) ? mirrored(buf[i]) : 0;
	*cur_n = n;
	/* sanitize against the new entries: swap them in for the check */
	for (unsigned i = 0; i < top; i++) {
		u64 t = want[i];
		want[i] = next[i];
		next[i] = t;   /* next now holds the old values */
	}
	sanitize();
	for (unsigned i = 0; i < top; i++)
		if (want[i] != next[i])
			desc_write(&page[i], want[i]);
	desc_flush();
}

/* Read n entries of a guest table at va into buf; a page the guest does
 * not map reads as zero (a CPU would fault when it loads from it). */
static void read_table(u64 *buf, u64 va, unsigned n)
{
	u64 bytes = (u64)n * 8, done = 0;
	while (done < bytes) {
		u64 chunk = PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1));
		if (chunk > bytes - done)
			chunk = bytes - done;
		if (!copy_from_guest((u8 *)buf + done, va + done, chunk))
			memset((u8 *)buf + done, 0, chunk);
		done += chunk;
	}
}

/* ---------------------------------------------------------------- API */
void descriptors_init(void)
{
	for (u64 va = (u64)gdt_page; va < (u64)gdt_page + sizeof(gdt_page); va += PAGE_SIZE)
		mm_map_page(va, mm_mfn_of_wedge_va(va), 0);
	for (u64 va = (u64)ldt_pages; va < (u64)ldt_pages + sizeof(ldt_pages); va += PAGE_SIZE)
		mm_map_page(va, mm_mfn_of_wedge_va(va), 0);
	unsigned long frame = mm_mfn_of_wedge_va((u64)gdt_page);
	long rc = HYPERCALL(__HYPERVISOR_set_gdt, &frame, GDT_ENTRIES, 0, 0, 0);
	if (rc)
		panic("set_gdt(mfn %lx, %u entries) failed: %ld", frame, GDT_ENTRIES, rc);
	static const unsigned data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned k = 0; k < 4; k++)
		real_seg[data_segs[k]] = real_read(data_segs[k]);
	printk("wedge: descriptor tables: GDT mirror (%u entries), LDT mirror (up to %u entries)\n",
	       GDT_ENTRIES, LDT_ENTRIES);
}

void gdt_mirror_check(void)
{
	n_compares++;   /* (not timed: rdtsc traps into Xen in a PV guest) */
	unsigned n = (vcpu.gdtr_limit + 1u) / 8;
	if (n > GDT_ENTRIES)
		n = GDT_ENTRIES;
	if (!vcpu.gdtr_base)
		n = 0;
	read_table(gdt_buf, vcpu.gdtr_base, n);
	bool same = n == gdt_n;
	for (unsigned i = 1; i < n && same; i++)
		same = mirrored(gdt_buf[i]) == gdt_want[i];
	if (!same)
		mirror_update(gdt_page, gdt_want, &gdt_n, gdt_buf, n, true);
}

/*
 * Linux writes the TLS entries of its GDT with plain stores (load_TLS) at
 * a context switch, after save_fsgs's savesegment of FS and GS and before
 * that of ES and DS, and in set_thread_area, followed by savesegment of
 * every data segment register: each time it also reads a selector, which
 * is an emulated `mov` from a segment register.  So the GDT is compared
 * at a return to user mode only after such an access (or a CR3 write, or
 * at the first one), not after every system call.
 */
bool gdt_suspect = true;

void gdt_mirror_maybe(void)
{
	if (!gdt_suspect)
		return;
	gdt_suspect = false;
	gdt_mirror_check();
}

void ldt_mirror_load(void)
{
	n_ldt_loads++;
	unsigned n = vcpu.ldt_limit ? (vcpu.ldt_limit + 1u) / 8 : 0;
	if (n > LDT_ENTRIES)
		n = LDT_ENTRIES;
	read_table(ldt_buf, vcpu.ldt_base, n);
	unsigned old_n = ldt_n;
	mirror_update(ldt_pages, ldt_want, &ldt_n, ldt_buf, n, false);
	if (n != old_n) {
		struct mmuext_op op = { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = (unsigned long)ldt_pages,
					.arg2.nr_ents = n };
		long rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
		if (rc)
			panic("MMUEXT_SET_LDT(%lx, %u entries) failed: %ld", (u64)ldt_pages, n, rc);
	}
}

bool mirror_user_cs(u16 cs, bool cs32)
{
	u64 d = mirror_desc(cs);
	/* compat mode: 32-bit or 16-bit code (D clear: a 16-bit segment, as
	 * in sigreturn frames of DOSEMU and Wine, and Linux's sigreturn test) */
	return (cs & 3) == 3 && d && D_P(d) && D_CODE(d) && !(D_TYPE(d) & 4) &&
	       (cs32 ? !D_L(d) : D_L(d) && !D_DB(d));
}

bool mirror_user_ss(u16 ss)
{
	u64 d = mirror_desc(ss);
	return (ss & 3) == 3 && d && D_P(d) && !D_CODE(d) && (D_TYPE(d) & 2);
}

bool mirror_code_mode(u16 cs, bool *cs32)
{
	u64 d = mirror_desc(cs);
	if (!d || !D_CODE(d))
		return false;
	*cs32 = !D_L(d);
	return true;
}

bool seg_user_changed(unsigned sr, u16 *sel, u64 *base)
{
	u16 v = real_read(sr);
	if (v == real_seg[sr])
		return false;
	real_seg[sr] = v;
	*sel = v;
	/* 64-bit mode: a non-null selector loads its descriptor's base, a
	 * null one a zero base (as Intel CPUs and QEMU) */
	*base = (v & ~3u) ? D_BASE(mirror_desc(v)) : 0;
	return true;
}

void seg_load(unsigned sr, u16 sel)
{
	/* the CPU reads the descriptor now: Linux loads a TLS selector right
	 * after writing its GDT entry (load_TLS, then loadsegment at a
	 * context switch; set_thread_area) */
	if ((sel & ~3u) && !(sel & 4))
		gdt_mirror_check();
	real_write(sr, data_loadable(sel) ? sel : 0);
}

void descriptors_print(void)
{
	printk("wedge: counters: GDT mirror compares %lu, descriptors written %lu, "
	       "LDT loads %lu, null stand-ins %lu\n", n_compares, n_written, n_ldt_loads, n_standins);
}

/*
 * The guest-context fast path (emulate.c, wedge_fast_emulate) loading FS or
 * GS for the guest kernel: it may, without entering Xen, when the selector
 * is null or a GDT selector whose descriptor in the guest's GDT, read now,
 * is the one mirrored (a TLS entry just rewritten is not: the generic way
 * refreshes the mirror first) and loadable.  Then *base is what the load
 * gives the segment.  Runs in the guest's context: no fault, no panic.
 */
bool seg_fast_loadable(u16 sel, u64 *base)
{
	if (!(sel & ~3u)) {
		*base = 0;
		return true;
	}
	unsigned i = sel >> 3;
	u64 gpa;
	if ((sel & 4) || !i || i >= gdt_n || i * 8u + 7 > vcpu.gdtr_limit ||
	    !guest_va_to_gpa_quiet(vcpu.gdtr_base + i * 8u, &gpa) || (gpa & 7) || gpa + 8 > guest_mem_bytes)
		return false;
	u64 d = *(volatile const u64 *)(WEDGE_PHYSMAP_VA + gpa);
	if (mirrored(d) != gdt_want[i] || !data_loadable(sel))
		return false;
	*base = D_BASE(d);
	return true;
}

/* ... and the fast path loaded it into the hardware register. */
void seg_fast_loaded(unsigned sr, u16 sel)
{
	real_seg[sr] = sel;
}

