/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual CPU: emulation of the sensitive instructions at rewritten
 * sites.  A site's call lands in wedge_emul_entry (head.S), which saves the
 * guest registers and calls wedge_emulate(); the site is found by its
 * return address in the site table built at rewrite time, which also holds
 * the decoded original instruction.
 */
#include "wedge-xen/wedge.h"
#include "wedge-xen/hypercall.h"
#include "wedge-xen/descriptors.h"
#include "wedge-xen/apic.h"
#include <xen/sched.h>

struct vcpu vcpu;
struct guest_regs g_regs;
u64 counters[CNT_MAX];
u64 sites_rewritten[X86_KIND_MAX];
u64 emulations[X86_KIND_MAX];

/* ---------------------------------------------------------------- sites */
struct site {
	u64 ret;           /* guest-physical return address of the site's call */
	u64 addr;          /* site start: guest-physical in the table, virtual
			    * in the copy an emulation works on */
	u8 length;
	u8 pair_len;
	u8 trap;           /* left as the original instruction: reached by its #GP */
	struct x86_insn insn;
};
#define MAX_SITES 8192
static struct site sites[MAX_SITES];
static unsigned nr_sites;

void site_table_add(u64 ret, u64 addr, unsigned length, const struct x86_insn *insn,
		    unsigned pair_len)
{
	if (nr_sites == MAX_SITES)
		panic("more than %u rewritten call sites", MAX_SITES);
	sites[nr_sites++] = (struct site){ .ret = ret, .addr = addr, .length = (u8)length,
					   .pair_len = (u8)pair_len, .insn = *insn };
}

/* A site left as it is, so that it traps (#GP in PV user mode): for the
 * kinds that may run on the guest's user stack (swapgs, sysret: a call
 * would push below the user's stack pointer, into its red zone).  Keyed by
 * the site's own address, where the trap reports it. */
void site_table_add_trap(u64 site, unsigned length, const struct x86_insn *insn)
{
	site_table_add(site, site, length, insn, 0);
	sites[nr_sites - 1].trap = 1;
}

unsigned site_table_count(void) { return nr_sites; }

void site_table_sort(void)
{
	/* Shell sort: no allocation, fine for some thousand entries. */
	for (unsigned gap = nr_sites / 2; gap; gap /= 2)
		for (unsigned i = gap; i < nr_sites; i++) {
			struct site t = sites[i];
			unsigned j = i;
			for (; j >= gap && sites[j - gap].ret > t.ret; j -= gap)
				sites[j] = sites[j - gap];
			sites[j] = t;
		}
	for (unsigned i = 1; i < nr_sites; i++)
		if (sites[i].ret == sites[i - 1].ret)
			panic("two sites return to %lx", sites[i].ret);
}

static struct site *site_lookup(u64 ret)
{
	unsigned lo = 0, hi = nr_sites;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (sites[mid].ret == ret)
			return &sites[mid];
		if (sites[mid].ret < ret)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------------------------------------------------------------- slots */
extern char wedge_emul_entry[], wedge_sti_check[], wedge_pushf[], wedge_popf[], wedge_fast_entry[];
static u64 slots[512] __attribute__((aligned(4096)));

void vcpu_init(void)
{
	slots[0] = (u64)wedge_sti_check;
	for (unsigned k = 1; k < X86_KIND_MAX; k++)
		slots[k] = (u64)wedge_emul_entry;
	slots[X86_KIND_PUSHF] = (u64)wedge_pushf;
	slots[X86_KIND_POPF] = (u64)wedge_popf;
	/* the kinds wedge_fast_emulate answers in the guest's context */
	slots[X86_KIND_MOV_FROM_SEG] = slots[X86_KIND_MOV_TO_SEG] = (u64)wedge_fast_entry;
	slots[X86_KIND_MOV_FROM_CR] = slots[X86_KIND_RDMSR] = slots[X86_KIND_WRMSR] = (u64)wedge_fast_entry;
	slots[X86_KIND_IN] = (u64)wedge_fast_entry;   /* the PIT's ports (devices.c, io_in_fast) */
	mm_map_page(WEDGE_SLOT_VA, mm_mfn_of_wedge_va((u64)slots), 0);
	descriptors_init();

	/* What a 64-bit boot loader hands over (Linux boot protocol). */
	vcpu.cr0 = 0x80050033;      /* PG AM WP NE ET MP PE */
	vcpu.cr4 = 0x20;            /* PAE */
	vcpu.efer = 0x501;          /* LMA LME SCE */
	vcpu.pat = 0x0007040600070406ul;
	vcpu.seg[SEG_CS] = 0x10;
	vcpu.seg[SEG_DS] = vcpu.seg[SEG_ES] = vcpu.seg[SEG_SS] = 0x18;
	vcpu.dr[6] = 0xffff0ff0;
	vcpu.dr[7] = 0x400;
}

/* ---------------------------------------------------------------- cpuid */
void xen_cpuid(u32 leaf, u32 sub, u32 out[4]);

/* Hide what the wedge cannot virtualize cheaply (design.md section 5). */
u64 guest_cpuid_filter(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	u32 r[4];
	if (leaf >= 0x40000000 && leaf < 0x40010000) {
		/* No hypervisor leaves: the guest must not take itself for a Xen
		 * (or KVM) guest and talk to a hypervisor the wedge stands for. */
		*a = *b = *c = *d = 0;
		return 0;
	}
	xen_cpuid(leaf, sub, r);
	if (leaf == 1) {
		r[2] &= ~((1u << 31) |   /* hypervisor present */
			  (1u << 26) |   /* XSAVE: no xsetbv/xgetbv emulation yet */
			  (1u << 28) |   /* AVX (needs XSAVE) */
			  (1u << 24) |   /* TSC deadline timer (not modelled in apic.c) */
			  (1u << 5) |    /* VMX */
			  (1u << 17) |   /* PCID */
			  (1u << 21) |   /* x2APIC */
			  (1u << 3) |    /* MONITOR */
			  (1u << 27));   /* OSXSAVE: follows the virtual CR4 */
		if (vcpu.cr4 & (1u << 18))
			r[2] |= 1u << 27;
		r[3] |= 1u << 9;        /* APIC: the xAPIC model (apic.c) */
		r[3] &= ~((1u << 7) |   /* MCE, MCA: no machine-check MSRs (MCG_CAP, */
			  (1u << 14));  /* MCG_STATUS, banks): a defconfig Linux panics
					 * at their #GP ("MCA architectural violation") */
		r[1] &= 0x00ffffffu;    /* initial APIC ID 0 */
		/* PGE: Xen's PV policy hides it, but global pages are TLB
		 * semantics the shadow gives (mm.c: a CR3 write keeps the
		 * kernel half's global entries, a CR4.PGE toggle flushes) */
		r[3] |= 1u << 13;
	} else if (leaf == 7 && sub == 0) {
		r[1] &= ~((1u << 5) |    /* AVX2 (needs XSAVE) */
			  (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31) | /* AVX-512 */
			  (1u << 0) |    /* FSGSBASE */
			  (1u << 7) |    /* SMEP */
			  (1u << 10) |   /* INVPCID */
			  (1u << 20));   /* SMAP */
		r[2] &= ~((1u << 2) |    /* UMIP */
			  (1u << 22));   /* RDPID */
	} else if (leaf == 0xd && sub == 1) {
		r[0] &= ~(1u << 3);     /* XSAVES */
	} else if (leaf == 0x80000001) {
		r[3] &= ~(1u << 27);    /* RDTSCP */
	}
	*a = r[0]; *b = r[1]; *c = r[2]; *d = r[3];
	return 0;
}

/* ---------------------------------------------------------------- helpers */
static u64 *gpr(unsigned n) { return &g_regs.gpr[n]; }

/* Write a register operand with x86-64 semantics for its size. */
static void set_reg(unsigned r, unsigned size, u64 v)
{
	u64 *p = gpr(r);
	switch (size) {
	case 1: *p = (*p & ~0xfful) | (v & 0xff); break;
	case 2: *p = (*p & ~0xfffful) | (v & 0xffff); break;
	case 4: *p = (u32)v; break;
	default: *p = v;
	}
}

static u64 ea(const struct site *s)
{
	u64 a = x86_effective_address(&s->insn, g_regs.gpr, s->addr + s->insn.len);
	if (s->insn.prefixes & X86_PFX_SEG) {
		if (s->insn.seg == 0x64)
			a += vcpu.fs_base;
		else if (s->insn.seg == 0x65)
			a += vcpu.gs_base;
	}
	return a;
}

/* An emulated memory operand the guest's page tables do not allow, or any
 * other fault the instruction raises on hardware (#GP for a bad selector,
 * #UD for a missing feature): the emulation is abandoned (emulate_site
 * undoes it) and the guest gets the fault at the instruction. */
static void *emul_fault_jmp[5];
static bool emul_active;
static unsigned fault_vec;
static u64 fault_err;

static void __attribute__((noinline, noreturn)) raise_fault(unsigned vec, u64 err)
{
	if (!emul_active)
		panic("guest fault %u (error %lx) raised outside an emulation", vec, err);
	fault_vec = vec;
	fault_err = err;
	__builtin_longjmp(emul_fault_jmp, 1);
}

static void __attribute__((noinline, noreturn)) emul_fault(u64 va, bool write)
{
	if (!emul_active)
		panic("guest memory at %lx (%s) is not mapped outside an emulation", va,
		      write ? "write" : "read");
	vcpu.cr2 = va;   /* undone with the rest; set again for the #PF */
	raise_fault(14, guest_fault_error);
}

#define GP0() raise_fault(13, 0)
#define UD() raise_fault(6, 0)

static bool canonical(u64 a) { return (u64)((s64)(a << 16) >> 16) == a; }

/* Guest-virtual memory, through the guest's page tables. */
static void read_guest(void *dst, u64 va, u64 n)
{
	if (!copy_from_guest(dst, va, n))
		emul_fault(va, false);
}

static void write_guest(u64 va, const void *src, u64 n)
{
	if (!copy_to_guest(va, src, n))
		emul_fault(va, true);
}

/* r/m16 operand: register or memory. */
static u16 read_rm16(const struct site *s)
{
	if (s->insn.mod == 3)
		return (u16)*gpr(s->insn.rm);
	u16 v;
	read_guest(&v, ea(s), 2);
	return v;
}

static void write_rm16(const struct site *s, u16 v)
{
	if (s->insn.mod == 3)
		set_reg(s->insn.rm, s->insn.opsize, v);
	else
		write_guest(ea(s), &v, 2);
}

static void push64(u64 v)
{
	g_regs.gpr[X86_RSP] -= 8;
	write_guest(g_regs.gpr[X86_RSP], &v, 8);
}

static u64 pop64(void)
{
	u64 v;
	read_guest(&v, g_regs.gpr[X86_RSP], 8);
	g_regs.gpr[X86_RSP] += 8;
	return v;
}

/* The guest runs in PV user mode: its GS base is Xen's user one, given to
 * Xen on the way back to the guest (resume_prepare), batched with the
 * other state Xen needs then. */
static bool gs_base_stale;
bool fs_base_stale;

static void set_gs_base(u64 v)
{
	vcpu.gs_base = v;
	gs_base_stale = true;
}

/* ---------------------------------------------------------------- MSRs */
static bool rdmsr(u32 msr, u64 *v)
{
	switch (msr) {
	case 0xc0000080: *v = vcpu.efer; return true;
	case 0xc0000081: *v = vcpu.star; return true;
	case 0xc0000082: *v = vcpu.lstar; return true;
	case 0xc0000083: *v = vcpu.cstar; return true;
	case 0xc0000084: *v = vcpu.sfmask; return true;
	case 0xc0000100: *v = vcpu.fs_base; return true;
	case 0xc0000101: *v = vcpu.gs_base; return true;
	case 0xc0000102: *v = vcpu.kernel_gs_base; return true;
	case 0x00000174: *v = vcpu.sysenter_cs; return true;
	case 0x00000175: *v = vcpu.sysenter_esp; return true;
	case 0x00000176: *v = vcpu.sysenter_eip; return true;
	case 0x0000001b: *v = apic_base_msr(); return true;   /* BSP, enabled (apic.c) */
	case 0x00000277: *v = vcpu.pat; return true;
	case 0x000001a0: *v = vcpu.misc_enable; return true;
	case 0x00000010: {
		u32 lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		*v = (u64)hi << 32 | lo;
		return true;
	}
	}
	return false;
}

static bool wrmsr(u32 msr, u64 v)
{
	switch (msr) {
	case 0xc0000080:
		if (!(v & 0x100))
			GP0();   /* LME cleared with paging on: the CPU refuses (#GP) */
		vcpu.efer = v | 0x400;
		return true;
	case 0xc0000081: vcpu.star = v; return true;
	case 0xc0000082: vcpu.lstar = v; return true;
	case 0xc0000083: vcpu.cstar = v; return true;
	case 0xc0000084: vcpu.sfmask = v; return true;
	case 0xc0000100:
		if (!canonical(v))
			GP0();
		vcpu.fs_base = v;
		fs_base_stale = true;   /* given to Xen on the way back (resume_prepare) */
		return true;
	case 0xc0000101:
		if (!canonical(v))
			GP0();
		set_gs_base(v);
		return true;
	case 0xc0000102:
		if (!canonical(v))
			GP0();
		vcpu.kernel_gs_base = v;
		return true;
	case 0x00000174: vcpu.sysenter_cs = v & 0xffff; return true;
	case 0x00000175:
	case 0x00000176:
		if (!canonical(v))
			GP0();
		*(msr == 0x175 ? &vcpu.sysenter_esp : &vcpu.sysenter_eip) = v;
		return true;
	case 0x00000277: vcpu.pat = v; return true;
	case 0x000001a0: vcpu.misc_enable = v; return true;
	case 0x0000001b:
		if (!apic_base_msr_write(v)) {
			not_emulated("moving the local APIC or x2APIC mode (APIC_BASE %lx): #GP", v);
			GP0();
		}
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- control registers */
static u64 read_cr(unsigned n)
{
	switch (n) {
	case 0: return vcpu.cr0;
	case 2: return vcpu.cr2;
	case 3: return vcpu.cr3;
	case 4: return vcpu.cr4;
	case 8: return vcpu.cr8;
	}
	UD();   /* cr1, cr5-7, cr9-15 do not exist */
}

static void write_cr(unsigned n, u64 v)
{
	switch (n) {
	case 0:
		if ((v & 0x80000001) != 0x80000001 || (v >> 32))
			GP0();   /* PG cleared in 64-bit code, or reserved bits: #GP */
		if ((v ^ vcpu.cr0) & 0x8)
			HYPERVISOR_fpu_taskswitch(!!(v & 0x8));
		if ((v ^ vcpu.cr0) & 0x10000) {   /* WP: kernel write permissions change */
			vcpu.cr0 = v;
			shadow_flush_global();
		}
		vcpu.cr0 = v;
		return;
	case 2: vcpu.cr2 = v; return;
	case 3:
		/* The address space's cached shadow (validated) or a new, empty
		 * one filled from faults. */
		vcpu.cr3 = v;
		gdt_suspect = true;
		shadow_switch(v);
		return;
	case 4: {
		u64 old_cr4 = vcpu.cr4;
		if (v & ((1u << 13) | (1u << 20) | (1u << 21) | (1u << 17) | (1u << 16) | (1u << 18))) {
			/* what cpuid hides: a CPU without the feature gives #GP */
			not_emulated("setting a CR4 bit cpuid hides (VMXE/SMEP/SMAP/PCIDE/FSGSBASE/OSXSAVE: %lx): #GP", v);
			GP0();
		}
		vcpu.cr4 = v;
		if ((v ^ old_cr4) & 0x80)   /* PGE toggled: flush global pages too */
			shadow_flush_global();
		return;
	}
	case 8: vcpu.cr8 = v; return;
	}
	UD();
}

/* ---------------------------------------------------------------- descriptor tables */
static void load_dtr(u64 addr, u16 *limit, u64 *base)
{
	read_guest(limit, addr, 2);
	read_guest(base, addr + 2, 8);
}

static void store_dtr(u64 addr, u16 limit, u64 base)
{
	write_guest(addr, &limit, 2);
	write_guest(addr + 2, &base, 8);
}

#define SEL_ERR(sel) ((u64)((sel) & 0xfffc))

static unsigned cpl(void) { return vcpu.seg[SEG_CS] & 3; }

static u32 seg_limit(u64 d)
{
	u32 limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	return (d >> 55 & 1) ? limit << 12 | 0xfff : limit;
}

/* The guest's descriptor for sel from the GDT or (TI set) the LDT it
 * loaded, read through its page tables; false for a null selector or one
 * beyond the table's limit. */
static bool guest_descriptor(u16 sel, u64 *d)
{
	u64 base;
	u32 limit;
	if (sel & 4) {
		base = vcpu.ldt_base;
		limit = vcpu.ldt_limit;   /* 0 without an LDT: nothing fits */
		if (!limit)
			return false;
	} else {
		if (!(sel & ~3u))
			return false;
		base = vcpu.gdtr_base;
		limit = vcpu.gdtr_limit;
	}
	if ((u32)(sel | 7u) > limit)
		return false;
	read_guest(d, base + (sel & ~7u), 8);
	return true;
}

static void ltr(u16 sel)
{
	if (!(sel & ~3u))
		GP0();
	if ((sel & 4) || (u32)(sel | 7u) > vcpu.gdtr_limit)
		raise_fault(13, SEL_ERR(sel));
	u64 d, va = vcpu.gdtr_base + (sel & ~7u);
	read_guest(&d, va, 8);
	if (D_S(d) || D_TYPE(d) != 0x9)   /* an available 64-bit TSS */
		raise_fault(13, SEL_ERR(sel));
	if (!D_P(d))
		raise_fault(11, SEL_ERR(sel));
	d |= 2ul << 40;   /* busy, as the CPU marks it */
	write_guest(va, &d, 8);
	vcpu.tr = sel;
}

static void lldt(u16 sel)
{
	if (!(sel & ~3u)) {   /* a null selector: no LDT */
		vcpu.ldtr = sel;
		vcpu.ldt_base = 0;
		vcpu.ldt_limit = 0;
		return;
	}
	if ((sel & 4) || (u32)(sel | 7u) > vcpu.gdtr_limit)
		raise_fault(13, SEL_ERR(sel));
	u64 d[2];
	read_guest(d, vcpu.gdtr_base + (sel & ~7u), 16);
	if (D_S(d[0]) || D_TYPE(d[0]) != 2)
		raise_fault(13, SEL_ERR(sel));
	if (!D_P(d[0]))
		raise_fault(11, SEL_ERR(sel));
	vcpu.ldt_base = ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
	vcpu.ldt_limit = seg_limit(d[0]);
	vcpu.ldtr = sel;
}

/* A segment register load by the guest kernel.  CS and SS are virtual
 * (user mode gets its own from the iret or sysret that enters it); the
 * data segment registers are the hardware's (descriptors.c, seg_load), and
 * an FS or GS load sets that base as in 64-bit mode: the descriptor's for
 * a non-null selector, zero for a null one. */
static void seg_write(unsigned sr, u16 sel)
{
	gdt_suspect = true;
	if (sr == SEG_FS || sr == SEG_GS) {
		u64 d, base = 0;
		if ((sel & ~3u) && guest_descriptor(sel, &d))
			base = D_BASE(d);
		if (sr == SEG_FS)
			vcpu.fs_base = base;   /* seg_load gives it to Xen */
		else
			set_gs_base(base);
	}
	vcpu.seg[sr] = sel;
	if (sr != SEG_CS && sr != SEG_SS)
		seg_load(sr, sel);
}

/* lar, lsl, verr, verw (SDM vol. 2): ZF set when the descriptor passes the
 * instruction's checks at the current CPL and the selector's RPL.  They
 * never fault on a bad selector, and never check the present bit. */
static void emulate_probe(const struct site *s)
{
	const struct x86_insn *in = &s->insn;
	u16 sel = read_rm16(s);
	u64 d = 0;
	bool ok = guest_descriptor(sel, &d);
	if (ok) {
		unsigned type = D_TYPE(d), dpl = D_DPL(d);
		bool priv = dpl >= cpl() && dpl >= (sel & 3u);
		bool conforming = D_CODE(d) && (type & 4);
		switch (in->kind) {
		case X86_KIND_LAR:
		case X86_KIND_LSL:
			if (!D_S(d))   /* system types valid in 64-bit mode */
				ok = (type == 2 || type == 9 || type == 0xb ||
				      (in->kind == X86_KIND_LAR && type == 0xc)) && priv;
			else
				ok = conforming || priv;
			break;
		case X86_KIND_VERR:
			ok = D_S(d) && (!D_CODE(d) || (type & 2)) && (conforming || priv);
			break;
		default:   /* VERW: a writable data segment */
			ok = D_S(d) && !D_CODE(d) && (type & 2) && priv;
			break;
		}
	}
	if (ok && in->kind == X86_KIND_LAR)   /* the access rights, as QEMU masks them */
		set_reg(in->reg, in->opsize == 2 ? 2 : 4, (d >> 32) & 0x00f0ff00);
	if (ok && in->kind == X86_KIND_LSL)
		set_reg(in->reg, in->opsize == 2 ? 2 : 4, seg_limit(d));
	g_regs.rflags = ok ? g_regs.rflags | 0x40 : g_regs.rflags & ~0x40ul;
}

/* The code segment a far return (lret, iret) goes to: #GP(selector) unless
 * it is a code segment with the privilege rules of RET/IRET, #NP when not
 * present.  Returns its descriptor. */
static u64 check_return_cs(u16 cs)
{
	u64 d;
	unsigned rpl = cs & 3;
	if (!(cs & ~3u))
		GP0();
	if (!guest_descriptor(cs, &d) || !D_CODE(d) || rpl < cpl() ||
	    ((D_TYPE(d) & 4) ? D_DPL(d) > rpl : D_DPL(d) != rpl) || (D_L(d) && D_DB(d)))
		raise_fault(13, SEL_ERR(cs));
	if (!D_P(d))
		raise_fault(11, SEL_ERR(cs));
	if (rpl == 1 || rpl == 2) {
		not_emulated("a far return to ring %u: #GP", rpl);
		raise_fault(13, SEL_ERR(cs));
	}
	return d;
}

/* The stack segment popped by iret, or by a return to an outer privilege
 * level: a writable data segment at the new CPL; null only for 64-bit code
 * below ring 3 (SDM IRET, IA-32e mode). */
static void check_return_ss(u16 ss, unsigned rpl, bool null_ok)
{
	u64 d;
	if (!(ss & ~3u)) {
		if (!null_ok || rpl == 3)
			GP0();
		return;
	}
	if ((ss & 3u) != rpl || !guest_descriptor(ss, &d) || !D_S(d) || D_CODE(d) || !(D_TYPE(d) & 2) ||
	    D_DPL(d) != rpl)
		raise_fault(13, SEL_ERR(ss));
	if (!D_P(d))
		raise_fault(12, SEL_ERR(ss));
}

/* The new rip fits the code segment: canonical for 64-bit code, within
 * the limit for 32-bit (compat) code; #GP(0) otherwise. */
static u64 check_return_rip(u64 d, u64 rip)
{
	if (D_L(d) ? !canonical(rip) : rip > seg_limit(d))
		GP0();
	return rip;
}

static unsigned seg_index(unsigned reg)
{
	if (reg > 5)
		UD();   /* there is no segment register 6 or 7 */
	return reg;
}

/* Pop an operand of n bytes (2, 4 or 8), zero-extended. */
static u64 pop_n(unsigned n)
{
	u64 v = 0;
	read_guest(&v, g_regs.gpr[X86_RSP], n);
	g_regs.gpr[X86_RSP] += n;
	return v;
}

static void push_n(u64 v, unsigned n)
{
	g_regs.gpr[X86_RSP] -= n;
	write_guest(g_regs.gpr[X86_RSP], &v, n);
}

/* ---------------------------------------------------------------- debug registers */
/* DR0-3 and DR7 go to Xen (set_debugreg: a PV guest's breakpoints on its
 * own addresses), so breakpoints fire as on hardware and the #DB comes
 * back with its DR6 bits (events.c).  What Xen cannot take stays virtual,
 * logged once: a breakpoint on the wedge's own ranges (the wedge's kernel
 * code would take the #DB), I/O breakpoints (CR4.DE), general detect. */
static bool wedge_owns(u64 a)
{
	return (a >= WEDGE_VIRT_BASE && a < WEDGE_PHYSMAP_VA + (1ul << 39)) || a >= WEDGE_HOT_VA;
}

static void debugregs_apply(void)
{
	u64 dr7 = vcpu.dr[7];
	if (dr7 & 0x2000) {
		not_emulated("DR7.GD (general detect): no #DB on debug-register access");
		dr7 &= ~0x2000ul;
	}
	for (unsigned i = 0; i < 4; i++) {
		u64 en = 3ul << (2 * i);
		if (!(dr7 & en))
			continue;
		if (((dr7 >> (16 + 4 * i)) & 3) == 2) {
			not_emulated("I/O breakpoint in DR7 (%lx): it never fires", vcpu.dr[7]);
			dr7 &= ~en;
		} else if (wedge_owns(vcpu.dr[i]) ||
			   HYPERCALL(__HYPERVISOR_set_debugreg, i, vcpu.dr[i], 0, 0, 0)) {
			not_emulated("breakpoint at %lx (the wedge's or Xen's range): it never fires", vcpu.dr[i]);
			dr7 &= ~en;
		}
	}
	if (HYPERCALL(__HYPERVISOR_set_debugreg, 7, dr7, 0, 0, 0))
		not_emulated("DR7 %lx refused by Xen: breakpoints do not fire", dr7);
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE; the others do not exist: #UD. */
static unsigned dr_index(unsigned reg)
{
	if (reg > 7 || ((reg == 4 || reg == 5) && (vcpu.cr4 & 8)))
		UD();
	return reg == 4 ? 6 : reg == 5 ? 7 : reg;
}

/* ---------------------------------------------------------------- dispatch */
static void emulate_hlt(u64 resume_rip)
{
	g_regs.rip = resume_rip;
	if (g_vif_mask) {
		printk("\nwedge: guest halted with interrupts disabled: shutting down\n");
		counters_print();
		wedge_shutdown(SHUTDOWN_poweroff);
	}
	for (;;) {
		events_process();
		if (pic_pending_vector() >= 0)
			return;   /* deliver_pending_interrupts() delivers it */
		wait_for_event();
	}
}

static void emulate_site(const struct site *s);
void wedge_emulate(void);
extern char wedge_emul_syscall_ret[];

/* Return to guest user mode (virtual CPL 3) at rip with flags fl; cs32:
 * cs is a 32-bit code segment (compat mode). */
static void enter_user(u64 rip, u64 fl, u16 cs, u16 ss, u64 rsp, bool cs32)
{
	g_regs.rip = rip;
	vcpu.seg[SEG_CS] = cs;
	vcpu.seg[SEG_SS] = ss;
	vcpu.cs32 = cs32;
	g_vif_mask = !(fl & X86_EFLAGS_IF);
	g_regs.rflags = (fl & 0x3d7fd5ul) | X86_EFLAGS_IF | 2;   /* RF kept: a #DB handler sets it to step over an instruction breakpoint */
	g_regs.gpr[X86_RSP] = rsp;
	shadow_set_user(true);
	gdt_mirror_maybe();   /* Linux's TLS entries: written with plain stores (load_TLS) */
}

/* The CS and SS Xen loads when the wedge resumes the guest: in user mode
 * the guest's own (their descriptors mirrored into Xen's GDT or LDT,
 * descriptors.c), else Xen's flat ones, the 32-bit code segment while the
 * guest's CS is a 32-bit one (compat mode). */
u64 g_resume_cs = 0xe033, g_resume_ss = 0xe02b;

/*
 * Right before the iret hypercall: what Xen must know before the guest runs
 * again and the emulation only recorded (the user GS base, the shadow L4
 * of the virtual CPL), in one multicall: a syscall entry or exit with its
 * swapgs then costs one Xen entry for both, not two.
 *
 * Into the guest kernel (virtual CPL 0, 64-bit, TF clear) the iret itself
 * is the multicall's last entry (Xen 4.17 pv_do_multicall_call: iret ends
 * a multicall, mc_exit), one Xen entry instead of two.  Its frame returns
 * to resume_tramp (head.S), which reloads rdi and rsi, the multicall's
 * arguments, and rax (Xen passes the iret's rax back through an int) from
 * resume_slot and jumps to the guest's rip; an event or
 * exception taken inside it is completed first (resume_tramp_fixup).  Xen
 * does not report the results of a multicall that ends in iret, so they
 * are checked at the next exit (resume_fused_check): a failed base-pointer
 * switch or flush is a wedge bug and still ends in panic, one guest run
 * later.
 */
/* at most 2 shadow ops (shadow_resume_ops), GS and FS base, the iret */
multicall_entry_t resume_mc[5];
unsigned resume_mc_n;                 /* entries of the fused exit, iret included */
u8 g_resume_fused;                    /* wedge_resume: leave by resume_mc */
u64 resume_slot[4];                   /* rdi, rsi, rax, rip: what resume_tramp loads */
static unsigned fused_unchecked;       /* entries whose results the next exit checks */

static void resume_fused_check(void)
{
	for (unsigned i = 0; i < fused_unchecked; i++)
		if (resume_mc[i].result)
			panic("resuming the guest: batched hypercall %u of %u (op %lu, before the iret) "
			      "failed: %lx", i, fused_unchecked + 1, resume_mc[i].op, resume_mc[i].result);
	fused_unchecked = 0;
}

/* An event or exception with its rip in resume_tramp: the trampoline's
 * work done now, so the guest's context is what the exit meant it to be. */
void resume_tramp_fixup(void)
{
	extern char resume_tramp[], resume_tramp_end[];
	if (g_regs.rip - (u64)resume_tramp < (u64)(resume_tramp_end - resume_tramp)) {
		g_regs.gpr[X86_RDI] = resume_slot[0];
		g_regs.gpr[X86_RSI] = resume_slot[1];
		g_regs.gpr[X86_RAX] = resume_slot[2];
		g_regs.rip = resume_slot[3];
	}
}

void resume_prepare(void)
{
	resume_fused_check();
	g_resume_fused = 0;
	if (guest_user_mode() && mirror_user_cs(vcpu.seg[SEG_CS], vcpu.cs32) && mirror_user_ss(vcpu.seg[SEG_SS])) {
		g_resume_cs = vcpu.seg[SEG_CS];
		g_resume_ss = vcpu.seg[SEG_SS];
	} else {
		g_resume_cs = vcpu.cs32 ? 0xe023 : 0xe033;   /* FLAT_USER_CS32, FLAT_USER_CS64 */
		g_resume_ss = 0xe02b;                        /* FLAT_USER_SS */
	}
	multicall_entry_t *mc = resume_mc;
	unsigned n = shadow_resume_ops(mc);
	if (gs_base_stale)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_segment_base,
					       .args = { SEGBASE_GS_USER, vcpu.gs_base } };
	if (fs_base_stale)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_segment_base,
					       .args = { SEGBASE_FS, vcpu.fs_base } };
	if (!n)
		return;
	/* TF or RF set: the single step or the suppressed breakpoint belongs
	 * to the guest's instruction, not to the trampoline's first one */
	if (!guest_user_mode() && g_resume_cs == 0xe033 && !(g_regs.rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF))) {
		ASSERT(n < sizeof(resume_mc) / sizeof(resume_mc[0]));
		mc[n] = (multicall_entry_t){ .op = __HYPERVISOR_iret };
		resume_mc_n = n + 1;
		fused_unchecked = n;
		for (unsigned i = 0; i < n; i++)
			mc[i].result = 0;
		resume_slot[0] = g_regs.gpr[X86_RDI];
		resume_slot[1] = g_regs.gpr[X86_RSI];
		resume_slot[2] = g_regs.gpr[X86_RAX];
		resume_slot[3] = g_regs.rip;
		g_resume_fused = 1;
		counters[CNT_HYPERCALLS]++;
		counters[CNT_FUSED_EXITS]++;
		gs_base_stale = fs_base_stale = false;
		shadow_resume_done();
		return;
	}
	long rc = n == 1 ? HYPERCALL(mc[0].op, mc[0].args[0], mc[0].args[1], mc[0].args[2], mc[0].args[3], 0)
			 : HYPERCALL(__HYPERVISOR_multicall, mc, n, 0, 0, 0);
	for (unsigned i = 0; i < n && n > 1 && !rc; i++)
		if ((rc = (long)mc[i].result))
			rc = (long)(i << 16) | (rc & 0xffff);   /* which entry */
	if (rc)
		panic("resuming the guest: %u batched hypercalls (shadow clears and flushes, base pointer, "
		      "GS base %lx, FS base %lx) failed: %lx", n, vcpu.gs_base, vcpu.fs_base, (u64)rc);
	gs_base_stale = fs_base_stale = false;
	shadow_resume_done();
}

/* The trap site (left to trap: swapgs, sysret, ...) of kind `kind` at
 * guest virtual va, NULL when there is none. */
static const struct site *trap_site_at(u64 va, unsigned kind)
{
	u64 gpa;
	if (!guest_va_to_gpa(va, &gpa))
		return NULL;
	const struct site *s = site_lookup(gpa);
	return s && s->trap && s->insn.kind == kind ? s : NULL;
}

/* Length of the NOP at b (the burner's pads, Linux's alternative padding:
 * 90, [66|2e]* 90, [66|2e]* 0f 1f /0), 0 when b holds none. */
static unsigned nop_len(const u8 *b, unsigned n)
{
	unsigned p = 0;
	while (p < n && (b[p] == 0x66 || b[p] == 0x2e))
		p++;
	if (p < n && b[p] == 0x90)
		return p + 1;
	if (p + 3 > n || b[p] != 0x0f || b[p + 1] != 0x1f || (b[p + 2] >> 3 & 7) || b[p + 2] >> 6 == 3)
		return 0;
	unsigned mod = b[p + 2] >> 6, rm = b[p + 2] & 7, len = p + 3;
	if (rm == 4) {
		if (len >= n)
			return 0;
		if (mod == 0 && (b[len] & 7) == 5)
			len += 4;
		len++;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		len += 4;
	return len <= n ? len : 0;
}

/* The return to user mode right after a swapgs at va: a sysret (trap
 * site) or an iret (call site), NULL when neither follows.  Between them
 * may come NOPs, short or near jumps forward (Linux: `jmp .Lnative_iret`)
 * and Linux's CLEAR_CPU_BUFFERS: `jmp 1f; verw ...; 1:`, or with the
 * alternative applied just the verw (a trap site, or native): clearing CPU
 * buffers has nothing to emulate. */
static const struct site *return_after(u64 va, u64 *at)
{
	u8 b[32];
	unsigned n = sizeof(b);
	while (n && !copy_from_guest(b, va, n))
		n--;   /* the bytes may end right before an unmapped page */
	unsigned p = 0, l, jumps = 0;
	struct x86_insn in;
	const struct site *v;
	while (p < n) {
		if ((l = nop_len(b + p, n - p)))
			p += l;
		else if ((b[p] == 0xeb && p + 2 <= n && b[p + 1] < 0x80) || (b[p] == 0xe9 && p + 5 <= n)) {
			/* a short or near jump forward: read on from its target */
			u32 d = b[p] == 0xeb ? b[p + 1] : (u32)b[p + 1] | (u32)b[p + 2] << 8 |
							   (u32)b[p + 3] << 16 | (u32)b[p + 4] << 24;
			if (d >= 0x1000 || ++jumps > 4)
				break;
			va += p + (b[p] == 0xeb ? 2 : 5) + d;
			n = sizeof(b);
			while (n && !copy_from_guest(b, va, n))
				n--;
			p = 0;
		}
		else if (p + 7 <= n && b[p] == 0xf6 && b[p + 1] == 0x44 && b[p + 2] == 0x24 && b[p + 5] == 0x75) {
			/* Linux's ESPFIX check before iret: testb $imm, d8(%rsp);
			 * jnz (to an LDT stack segment): evaluated here */
			u8 v8;
			if (!copy_from_guest(&v8, g_regs.gpr[X86_RSP] + (u64)(s64)(int8_t)b[p + 3], 1) || (v8 & b[p + 4]))
				return NULL;
			p += 7;
		} else if (x86_decode(b + p, n - p, &in) == 0 && in.kind == X86_KIND_VERW)
			p += in.len;
		else if ((v = trap_site_at(va + p, X86_KIND_VERW)))
			p += v->length;
		else
			break;
	}
	*at = va + p;
	if (p + 7 <= n && b[p] == 0xff && b[p + 1] == 0x14 && b[p + 2] == 0x25) {
		/* a rewritten site's call: an iret? (keyed by its return address) */
		u64 gpa;
		if (!guest_va_to_gpa(va + p + 7, &gpa))
			return NULL;
		const struct site *s = site_lookup(gpa);
		return s && !s->trap && s->insn.kind == X86_KIND_IRET && s->ret - s->addr == 7 ? s : NULL;
	}
	return trap_site_at(va + p, X86_KIND_SYSRET);
}

/* The site (trap or call form) at va, or after NOPs and fences there, as
 * `out` with its virtual address; false when the next instruction is no
 * site, or a kind that is not emulated in a chain (the flag stubs, hlt). */
static bool site_after(u64 va, struct site *out)
{
	u8 b[24];
	unsigned n = sizeof(b);
	while (n && !copy_from_guest(b, va, n))
		n--;
	unsigned p = 0, l;
	for (;;) {
		if ((l = nop_len(b + p, n - p)))
			p += l;
		else if (p + 3 <= n && b[p] == 0x0f && b[p + 1] == 0xae && (b[p + 2] == 0xe8 || b[p + 2] == 0xf0 || b[p + 2] == 0xf8))
			p += 3;   /* lfence, mfence, sfence: nothing to emulate */
		else
			break;
	}
	u64 gpa;
	const struct site *s;
	if (p + 7 <= n && b[p] == 0xff && b[p + 1] == 0x14 && b[p + 2] == 0x25) {
		if (!guest_va_to_gpa(va + p + 7, &gpa) || !(s = site_lookup(gpa)) || s->trap || s->ret - s->addr != 7)
			return false;
	} else if (!guest_va_to_gpa(va + p, &gpa) || !(s = site_lookup(gpa)) || !s->trap) {
		return false;
	}
	unsigned k = s->insn.kind;
	if (k == X86_KIND_STI || k == X86_KIND_CLI || k == X86_KIND_PUSHF || k == X86_KIND_POPF ||
	    k == X86_KIND_HLT || s->pair_len)
		return false;
	*out = *s;
	out->addr = va + p;
	return true;
}

static void swap_gs(void)
{
	u64 t = vcpu.kernel_gs_base;
	vcpu.kernel_gs_base = vcpu.gs_base;
	set_gs_base(t);
}

/* A system call's entry point starts with swapgs (Linux's entry_SYSCALL_64,
 * entry_SYSCALL_compat, entry_SYSENTER_compat): on the user's stack, so it
 * is a trap site.  Done here with the entry, not by one more trap. */
static void entry_swapgs(void)
{
	const struct site *s = trap_site_at(g_regs.rip, X86_KIND_SWAPGS);
	if (!s)
		return;
	emulations[X86_KIND_SWAPGS]++;
	counters[CNT_FUSED]++;
	swap_gs();
	g_regs.rip += s->length;
}

/* The guest's user mode executed `syscall` (Xen's syscall callback, the
 * frame's rip and flags in g_regs): the native register state, CPL 0, at
 * the guest's LSTAR, or CSTAR from compat mode. */
static void guest_syscall(bool compat)
{
	counters[CNT_SYSCALLS]++;
	u64 fl = g_regs.rflags;   /* IF: the user's virtual IF (Xen puts it there) */
	if (!(vcpu.efer & 1)) {   /* EFER.SCE clear: #UD at the syscall */
		g_regs.rip -= 2;
		deliver_vector(6, false, 0);
		return;
	}
	g_regs.gpr[X86_RCX] = g_regs.rip;
	g_regs.gpr[X86_R11] = (fl & ~0x10000ul) | 2;
	fl &= ~vcpu.sfmask & ~0x10000ul;
	g_vif_mask = !(fl & X86_EFLAGS_IF);
	g_regs.rflags = fl | X86_EFLAGS_IF | 2;
	vcpu.seg[SEG_CS] = (u16)((vcpu.star >> 32) & 0xfffc);
	vcpu.seg[SEG_SS] = (u16)(((vcpu.star >> 32) + 8) & 0xfffc);
	vcpu.cs32 = false;
	g_regs.rip = compat ? vcpu.cstar : vcpu.lstar;
	shadow_set_user(false);
	entry_swapgs();
}

/*
 * The guest's user mode executed `sysenter`: Xen has no sysenter callback
 * from the wedge and raises #GP with the frame of its sysenter entry (CS 3,
 * RIP 0: sysenter saves neither).  As the CPU: CS and SS from SYSENTER_CS,
 * RSP and RIP from SYSENTER_ESP/EIP, IF and RF cleared; #GP(0) when
 * SYSENTER_CS is null (at RIP 0: where the instruction was is lost).
 */
void guest_sysenter(void)
{
	counters[CNT_SYSCALLS]++;
	if (!(vcpu.sysenter_cs & 0xfffc)) {
		not_emulated("sysenter with a null SYSENTER_CS: #GP(0) at rip 0 (Xen does not say where)");
		deliver_vector(13, true, 0);
		return;
	}
	vcpu.seg[SEG_CS] = (u16)(vcpu.sysenter_cs & 0xfffc);
	vcpu.seg[SEG_SS] = (u16)((vcpu.sysenter_cs + 8) & 0xfffc);
	vcpu.cs32 = false;
	g_regs.gpr[X86_RSP] = vcpu.sysenter_esp;
	g_regs.rip = vcpu.sysenter_eip;
	g_vif_mask = 1;
	g_regs.rflags = (g_regs.rflags & ~0x10000ul) | X86_EFLAGS_IF | 2;
	shadow_set_user(false);
	entry_swapgs();
}

extern u64 g_frame_cs, g_frame_ss;

/*
 * On each way in from user mode: what user mode did natively becomes the
 * virtual CPU's.  It runs with the guest's selectors (mirrored), so far
 * transfers between its code segments, SS loads and data segment loads
 * need no wedge; the frame's CS and SS are what it runs with.  A syscall
 * frame has Xen's flat CS (syscall saves none: FLAT_USER_CS32 from compat
 * code), and so does a frame of user mode resumed with Xen's flat
 * selectors (the guest's own not mirrored): then only the mode counts,
 * and a mode switch makes the CS the guest's own selector for that mode
 * (STAR's, as Linux sets it).
 */
void user_cs_sync(void)
{
	if (!guest_user_mode())
		return;
	static const unsigned data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned k = 0; k < 4; k++) {
		unsigned sr = data_segs[k];
		u16 sel;
		u64 base;
		if (!seg_user_changed(sr, &sel, &base))
			continue;
		vcpu.seg[sr] = sel;
		/* the hardware took the descriptor's base; for a null selector
		 * the virtual CPU zeroes it as Intel's and QEMU's do (an AMD
		 * CPU keeps it: made zero here, as the guest kernel's loads) */
		if (sr == SEG_FS) {
			vcpu.fs_base = base;
			if (!(sel & ~3u))
				fs_base_stale = true;   /* Xen's record of it: with the exit's batch */
		} else if (sr == SEG_GS) {
			if (sel & ~3u)
				vcpu.gs_base = base;   /* the hardware's user GS base already */
			else
				set_gs_base(0);
		}
	}
	/* A null selector loaded over a null one (`mov $0, %gs` after
	 * arch_prctl(ARCH_SET_GS)) changes no selector but zeroes the base
	 * (Intel, QEMU): when the base could have changed that way, take the
	 * one user mode left, which Xen saved at the switch to the wedge
	 * (MSR_SHADOW_GS_BASE of a PV kernel reads it).  Rare: Linux's
	 * processes have GS null with a zero base. */
	if (!(vcpu.seg[SEG_GS] & ~3u) && vcpu.gs_base && !gs_base_stale) {
		u32 lo, hi;
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000102u));
		vcpu.gs_base = (u64)hi << 32 | lo;
	}
	bool cs32;
	if (g_frame_cs != 0xe023 && g_frame_cs != 0xe033) {
		/* (not for Xen's sysenter frame: CS 3) */
		if (mirror_code_mode((u16)g_frame_cs, &cs32)) {
			vcpu.seg[SEG_CS] = (u16)g_frame_cs;
			vcpu.cs32 = cs32;
			if (g_frame_ss != 0xe02b && (g_frame_ss & 3) == 3)
				vcpu.seg[SEG_SS] = (u16)g_frame_ss;
		}
		return;
	}
	bool real32 = g_frame_cs == 0xe023;
	if (real32 == vcpu.cs32)
		return;
	u16 base = (u16)(vcpu.star >> 48);
	vcpu.cs32 = real32;
	vcpu.seg[SEG_CS] = (u16)((real32 ? base : base + 16) | 3);
}

/* Xen's syscall callback: the guest's user mode made a system call, or
 * (virtual CPL 0) wedge_emul_entry asks for an emulation; it pushed
 * [mask][r11][rcx][flags][return address] before its syscall. */
void wedge_syscall_entry(void)
{
	if (guest_user_mode()) {
		user_cs_sync();
		guest_syscall(g_frame_cs == 0xe023);   /* from compat mode: Xen's syscall32 callback */
		deliver_pending_interrupts();
		return;
	}
	if (g_regs.rip != (u64)wedge_emul_syscall_ret)
		panic("syscall from the guest kernel at %lx (virtual CPL 0): not an emulation entry",
		      g_regs.rip - 2);
	u64 v[5];
	if (!copy_from_guest(v, g_regs.gpr[X86_RSP], sizeof(v)))
		panic("emulation entry: guest stack %lx unreadable", g_regs.gpr[X86_RSP]);
	g_vif_mask = v[0] & 1;
	g_regs.gpr[X86_R11] = v[1];
	g_regs.gpr[X86_RCX] = v[2];
	g_regs.rflags = v[3] | X86_EFLAGS_IF;
	g_regs.rip = v[4];
	g_regs.gpr[X86_RSP] += sizeof(v);
	shadow_kstack_check(g_regs.gpr[X86_RSP], g_regs.rip, 256);
	wedge_emulate();
}

void wedge_emulate(void)
{
	u64 gpa;
	if (!guest_va_to_gpa(g_regs.rip, &gpa))
		panic("emulation call from %lx, which the guest does not map", g_regs.rip);
	struct site *s = site_lookup(gpa);
	if (!s)
		panic("emulation call from %lx (guest-physical %lx), which is no rewritten site",
		      g_regs.rip, gpa);
	if (s->trap)
		panic("emulation call from %lx, but the site at guest-physical %lx is a trap site",
		      g_regs.rip, gpa);
	struct site here = *s;
	here.addr = g_regs.rip - (s->ret - s->addr);
	emulate_site(&here);
}

bool emulate_trap_site(void)
{
	u64 gpa;
	if (!guest_va_to_gpa(g_regs.rip, &gpa))
		return false;
	struct site *s = site_lookup(gpa);
	if (!s || !s->trap)
		return false;
	struct site here = *s;
	here.addr = g_regs.rip;
	emulate_site(&here);
	return true;
}

#ifdef CONFIG_WEDGE_SAFETY_NET
/* Unannotated sensitive instructions seen, by address: the coverage gap to
 * annotate in the next build. */
static struct { u64 addr; u64 count; u16 kind; } net_hits[64];
static unsigned nr_net_hits;

bool safety_net(unsigned vector)
{
	if (vector != 13 && vector != 6)
		return false;
	struct site tmp = { .addr = g_regs.rip };
	u8 bytes[15];
	unsigned n = 15;
	while (n && !copy_from_guest(bytes, g_regs.rip, n))
		n--;   /* the instruction may end right before an unmapped page */
	if (x86_decode(bytes, n, &tmp.insn) != 0 ||
	    tmp.insn.kind == X86_KIND_NONE || (x86_kind_flags(tmp.insn.kind) & X86_K_COUNT))
		return false;
	tmp.length = tmp.insn.len;
	unsigned i;
	for (i = 0; i < nr_net_hits && net_hits[i].addr != tmp.addr; i++)
		;
	if (i == nr_net_hits && i < sizeof(net_hits) / sizeof(net_hits[0])) {
		net_hits[nr_net_hits++] = (typeof(net_hits[0])){ tmp.addr, 0, tmp.insn.kind };
		printk("wedge: safety net: unannotated %s at %lx (trap %u): emulated; annotate it\n",
		       x86_kind_name(tmp.insn.kind), tmp.addr, vector);
	}
	if (i < nr_net_hits)
		net_hits[i].count++;
	counters[CNT_SAFETY_NET]++;
	emulate_site(&tmp);
	return true;
}
#endif

static void emulate_insn(const struct site *s);

/* ljmp/lcall through a far pointer in memory (ff /5, ff /3) to a code
 * segment at the current privilege level (SDM JMP/CALL, protected mode);
 * call gates and task switches are not emulated: #GP(selector). */
static void emulate_far_jump(const struct site *s)
{
	const struct x86_insn *in = &s->insn;
	unsigned n = in->opsize;   /* bytes of the offset: 2, 4 or 8 */
	u64 off = 0, d;
	u16 sel;
	if (in->opcode == 0xea && in->map == X86_MAP_1BYTE) {   /* ptr16:16/32 (compat code only) */
		off = in->imm & (n == 2 ? 0xffff : 0xffffffffu);
		sel = (u16)(in->imm >> 32);
	} else {
		u64 a = ea(s);
		read_guest(&off, a, n);
		read_guest(&sel, a + n, 2);
	}
	if (!(sel & ~3u))
		GP0();
	if (!guest_descriptor(sel, &d))
		raise_fault(13, SEL_ERR(sel));
	if (!D_S(d)) {
		not_emulated("far jmp/call through a gate or to a TSS (%x): #GP", sel);
		raise_fault(13, SEL_ERR(sel));
	}
	if (!D_CODE(d) || ((D_TYPE(d) & 4) ? D_DPL(d) > cpl() : ((sel & 3u) > cpl() || D_DPL(d) != cpl())) ||
	    (D_L(d) && D_DB(d)))
		raise_fault(13, SEL_ERR(sel));
	if (!D_P(d))
		raise_fault(11, SEL_ERR(sel));
	check_return_rip(d, off);
	if (in->kind == X86_KIND_LCALL) {
		push_n(vcpu.seg[SEG_CS], n);
		push_n(s->addr + s->length, n);
	}
	vcpu.seg[SEG_CS] = (u16)((sel & ~3u) | cpl());
	vcpu.cs32 = !D_L(d);
	g_regs.rip = off;
}

/* ins/outs, with rep: at most 4096 elements per emulation, then the
 * instruction restarts with the updated count, as an interrupted rep
 * string instruction does on a CPU.  A fault on the memory side undoes
 * the chunk (the port accesses of it are not undone). */
static void emulate_string_io(const struct site *s)
{
	const struct x86_insn *in = &s->insn;
	unsigned n = in->opsize;
	bool rep = in->prefixes & (X86_PFX_REP | X86_PFX_REPNE);
	bool a32 = in->prefixes & X86_PFX_ADSIZE;
	u64 mask = a32 ? 0xfffffffful : ~0ul;
	u16 port = (u16)*gpr(X86_RDX);
	u64 step = (g_regs.rflags & 0x400) ? -(u64)n : n;   /* DF */
	u64 count = rep ? *gpr(X86_RCX) & mask : 1;
	u64 base = 0;
	if (in->kind == X86_KIND_OUTS && (in->prefixes & X86_PFX_SEG))
		base = in->seg == 0x64 ? vcpu.fs_base : in->seg == 0x65 ? vcpu.gs_base : 0;
	for (unsigned done = 0; count && done < 4096; done++, count--) {
		u32 v = 0;
		if (in->kind == X86_KIND_INS) {   /* to ES:rdi (ES has no base in 64-bit mode) */
			v = io_in(port, n);
			write_guest(*gpr(X86_RDI) & mask, &v, n);
			set_reg(X86_RDI, a32 ? 4 : 8, *gpr(X86_RDI) + step);
		} else {
			read_guest(&v, base + (*gpr(X86_RSI) & mask), n);
			io_out(port, n, v);
			set_reg(X86_RSI, a32 ? 4 : 8, *gpr(X86_RSI) + step);
		}
		if (rep)
			set_reg(X86_RCX, a32 ? 4 : 8, count - 1);
	}
	if (count)
		g_regs.rip = s->addr;   /* more to do: the instruction runs again */
}

/* A return to user mode that follows an emulated swapgs (return_after). */
static struct site fused_next;
static bool fused_pending;

static void emulate_site(const struct site *s)
{
	static struct guest_regs saved_regs;
	static struct vcpu saved_vcpu;
	static u8 saved_mask;
	saved_regs = g_regs;
	saved_vcpu = vcpu;
	saved_mask = g_vif_mask;
	if (__builtin_setjmp(emul_fault_jmp)) {
		/* the instruction faulted: undo, the fault at the instruction */
		emul_active = false;
		fused_pending = false;
		g_regs = saved_regs;
		vcpu = saved_vcpu;
		g_vif_mask = saved_mask;
		g_regs.rip = s->addr;
		if (fault_vec == 14) {
			vcpu.cr2 = guest_fault_va;
			counters[CNT_EMUL_FAULTS]++;
		}
		bool has_error = fault_vec == 8 || (fault_vec >= 10 && fault_vec <= 14) || fault_vec == 17;
		deliver_vector(fault_vec, has_error, fault_err);
		return;
	}
	emul_active = true;
	emulate_insn(s);
	emul_active = false;
	if (fused_pending) {
		fused_pending = false;
		counters[CNT_FUSED]++;
		struct site next = fused_next;
		emulate_site(&next);
		return;
	}
	/* Sites one right after the other (NOPs and fences between), e.g.
	 * Linux's load_gs_index: swapgs; mov %edi, %gs; swapgs: emulated in
	 * the same trip, as long as control falls through, the virtual IF
	 * did not just open (a pending interrupt is taken now) and no single
	 * step is under way. */
	static unsigned chain;
	struct site next;
	if (chain < 4 && g_regs.rip == s->addr + s->length && cpl() == 0 && !(saved_mask && !g_vif_mask) &&
	    !(g_regs.rflags & X86_EFLAGS_TF) && site_after(g_regs.rip, &next)) {
		chain++;
		counters[CNT_FUSED]++;
		emulate_site(&next);
		chain--;
	}
}

static void emulate_insn(const struct site *s)
{
	const struct x86_insn *in = &s->insn;
	u64 next = s->addr + s->length;
	emulations[in->kind]++;
	g_regs.rip = next;

	switch (in->kind) {
	case X86_KIND_STI:
		g_vif_mask = 0;
		if (s->pair_len)   /* sti; hlt: the shadow covers the hlt */
			emulate_hlt(next + s->pair_len);
		break;
	case X86_KIND_INT:
		/* Kernel-mode software interrupt: through the IDT, IF as the gate says. */
		deliver_vector((unsigned)in->imm, false, 0);
		return;
	case X86_KIND_MOV_FROM_DR:
		*gpr(in->rm) = vcpu.dr[dr_index(in->reg)];
		break;
	case X86_KIND_MOV_TO_DR: {
		unsigned r = dr_index(in->reg);
		u64 v = *gpr(in->rm);
		if ((r == 6 || r == 7) && (v >> 32))
			GP0();   /* the upper half of DR6/DR7 is reserved */
		/* the bits a CPU keeps fixed read back as it would */
		vcpu.dr[r] = r == 6 ? (v & 0xe00ful) | 0xffff0ff0ul : r == 7 ? (v & 0xffff27fful) | 0x400ul : v;
		if (r != 6)
			debugregs_apply();
		break;
	}
	case X86_KIND_SMSW:
		if (in->mod == 3)
			set_reg(in->rm, in->opsize, vcpu.cr0 & (in->opsize == 2 ? 0xffff : ~0ul));
		else
			write_rm16(s, (u16)vcpu.cr0);
		break;
	case X86_KIND_CLI:
		g_vif_mask = 1;
		break;
	case X86_KIND_PUSHF:
		push64((g_regs.rflags & ~X86_EFLAGS_IF) | (g_vif_mask ? 0 : X86_EFLAGS_IF));
		break;
	case X86_KIND_POPF: {
		u64 f = pop64();
		g_vif_mask = !(f & X86_EFLAGS_IF);
		g_regs.rflags = (f & 0x3f7fd5ul) | X86_EFLAGS_IF | 2;
		break;
	}
	case X86_KIND_HLT:
		emulate_hlt(next);
		break;
	case X86_KIND_CPUID: {
		u32 a, b, c, d;
		guest_cpuid_filter((u32)*gpr(X86_RAX), (u32)*gpr(X86_RCX), &a, &b, &c, &d);
		*gpr(X86_RAX) = a; *gpr(X86_RBX) = b; *gpr(X86_RCX) = c; *gpr(X86_RDX) = d;
		break;
	}
	case X86_KIND_RDMSR: {
		u64 v;
		u32 msr = (u32)*gpr(X86_RCX);
		if (!rdmsr(msr, &v)) {
			printk("wedge: rdmsr of an MSR the virtual CPU does not have (%x) at %lx: #GP\n", msr, s->addr);
			g_regs.rip = s->addr;
			deliver_vector(13, true, 0);
			return;
		}
		*gpr(X86_RAX) = (u32)v;
		*gpr(X86_RDX) = v >> 32;
		break;
	}
	case X86_KIND_WRMSR: {
		u32 msr = (u32)*gpr(X86_RCX);
		u64 v = (u32)*gpr(X86_RAX) | *gpr(X86_RDX) << 32;
		if (!wrmsr(msr, v)) {
			printk("wedge: wrmsr of an MSR the virtual CPU does not have (%x) at %lx: #GP\n", msr, s->addr);
			g_regs.rip = s->addr;
			deliver_vector(13, true, 0);
			return;
		}
		break;
	}
	case X86_KIND_SWAPGS: {
		swap_gs();
		/* Linux's exits to user mode: swapgs, then sysret or iret,
		 * each one more trip through Xen.  The return is emulated
		 * right after this one (emulate_site), as its own step: a
		 * fault it raises is at the return, with the swapgs done. */
		u64 at;
		const struct site *r = s->trap && cpl() == 0 ? return_after(next, &at) : NULL;
		if (r) {
			fused_next = *r;
			fused_next.addr = at;
			fused_pending = true;
		}
		break;
	}
	case X86_KIND_MOV_FROM_CR:
		*gpr(in->rm) = read_cr(in->reg);
		break;
	case X86_KIND_MOV_TO_CR:
		write_cr(in->reg, *gpr(in->rm));
		break;
	case X86_KIND_LGDT:
		load_dtr(ea(s), &vcpu.gdtr_limit, &vcpu.gdtr_base);
		gdt_mirror_check();
		break;
	case X86_KIND_LIDT:
		load_dtr(ea(s), &vcpu.idtr_limit, &vcpu.idtr_base);
		break;
	case X86_KIND_SGDT:
		store_dtr(ea(s), vcpu.gdtr_limit, vcpu.gdtr_base);
		break;
	case X86_KIND_SIDT:
		store_dtr(ea(s), vcpu.idtr_limit, vcpu.idtr_base);
		break;
	case X86_KIND_LTR:
		ltr(read_rm16(s));
		break;
	case X86_KIND_STR:
		write_rm16(s, vcpu.tr);
		break;
	case X86_KIND_LLDT:
		lldt(read_rm16(s));
		ldt_mirror_load();
		break;
	case X86_KIND_SLDT:
		write_rm16(s, vcpu.ldtr);
		break;
	case X86_KIND_MOV_TO_SEG: {
		unsigned sr = seg_index(in->reg & 7);
		if (sr == SEG_CS)
			UD();   /* mov to %cs is invalid */
		seg_write(sr, read_rm16(s));
		break;
	}
	case X86_KIND_MOV_FROM_SEG: {
		gdt_suspect = true;
		u16 v = vcpu.seg[seg_index(in->reg & 7)];
		if (in->mod == 3)
			set_reg(in->rm, in->opsize == 2 ? 2 : in->opsize, v);
		else
			write_rm16(s, v);
		break;
	}
	case X86_KIND_PUSH_SEG:
		gdt_suspect = true;
		push64(vcpu.seg[in->opcode == 0xa0 ? SEG_FS : SEG_GS]);
		break;
	case X86_KIND_POP_SEG:
		seg_write(in->opcode == 0xa1 ? SEG_FS : SEG_GS, (u16)pop64());
		break;
	case X86_KIND_IRET: {
		/* 64-bit mode: iretq, iretl and iretw all pop RIP, CS, RFLAGS,
		 * RSP and SS, each of the operand size */
		unsigned n = in->opsize;
		u64 rip = pop_n(n);
		u16 cs = (u16)pop_n(n);
		u64 fl = pop_n(n), rsp = pop_n(n);
		u16 ss = (u16)pop_n(n);
		u64 now = (g_regs.rflags & ~X86_EFLAGS_IF) | (g_vif_mask ? 0 : X86_EFLAGS_IF);
		if (n == 2)   /* iretw replaces FLAGS only; RSP is zero-extended (as QEMU) */
			fl = (now & ~0xfffful) | fl;
		if (cpl() == 3)   /* CPL > IOPL (0): IF and IOPL cannot change */
			fl = (fl & ~0x3200ul) | (now & 0x3200ul);
		u64 d = check_return_cs(cs);
		check_return_ss(ss, cs & 3u, D_L(d) && n == 8);
		check_return_rip(d, rip);
		if ((cs & 3) == 3) {
			enter_user(rip, fl, cs, ss, rsp, !D_L(d));
			break;
		}
		g_regs.rip = rip;
		vcpu.seg[SEG_CS] = cs;
		vcpu.seg[SEG_SS] = ss;
		vcpu.cs32 = !D_L(d);
		g_vif_mask = !(fl & X86_EFLAGS_IF);
		g_regs.rflags = (fl & 0x3f7fd5ul) | X86_EFLAGS_IF | 2;
		g_regs.gpr[X86_RSP] = rsp;
		break;
	}
	case X86_KIND_SYSRET: {
		/* sysretq to 64-bit code at CS = STAR[63:48]+16, sysretl to
		 * compat code at CS = STAR[63:48]; SS = STAR[63:48]+8 */
		bool q = in->opsize == 8;
		u64 rip = q ? *gpr(X86_RCX) : (u32)*gpr(X86_RCX);
		if (!canonical(rip))
			GP0();   /* Intel: #GP(0) at CPL 0, before the switch */
		u16 base = (u16)(vcpu.star >> 48);
		enter_user(rip, *gpr(X86_R11) & ~0x10000ul, (u16)((base + (q ? 16 : 0)) | 3), (u16)((base + 8) | 3),
			   g_regs.gpr[X86_RSP], !q);
		break;
	}
	case X86_KIND_SYSEXIT: {
		/* to compat code at SYSENTER_CS+16 (sysexitq: 64-bit code at
		 * +32), RIP from RDX, RSP from RCX; flags unchanged */
		bool q = in->opsize == 8;
		if (!(vcpu.sysenter_cs & 0xfffc))
			GP0();
		u16 base = (u16)vcpu.sysenter_cs;
		u64 rip = q ? *gpr(X86_RDX) : (u32)*gpr(X86_RDX), rsp = q ? *gpr(X86_RCX) : (u32)*gpr(X86_RCX);
		if (!canonical(rip))
			GP0();
		enter_user(rip, (g_regs.rflags & ~X86_EFLAGS_IF) | (g_vif_mask ? 0 : X86_EFLAGS_IF),
			   (u16)((base + (q ? 32 : 16)) | 3), (u16)((base + (q ? 40 : 24)) | 3), rsp, !q);
		break;
	}
	case X86_KIND_LRET: {
		unsigned n = in->opsize;
		u64 rip = pop_n(n);
		u16 cs = (u16)pop_n(n);
		u64 d = check_return_cs(cs);
		g_regs.gpr[X86_RSP] += in->imm;
		if ((cs & 3u) > cpl()) {
			/* to an outer privilege level: the stack switches too (SDM
			 * RET, "return to outer privilege"): RSP then SS follow,
			 * the immediate applies to both stacks; flags unchanged */
			u64 rsp = pop_n(n);
			u16 ss = (u16)pop_n(n);
			check_return_ss(ss, cs & 3u, false);
			check_return_rip(d, rip);
			enter_user(rip, (g_regs.rflags & ~X86_EFLAGS_IF) | (g_vif_mask ? 0 : X86_EFLAGS_IF),
				   cs, ss, rsp + in->imm, !D_L(d));
			break;
		}
		check_return_rip(d, rip);
		g_regs.rip = rip;
		vcpu.seg[SEG_CS] = cs;
		vcpu.cs32 = !D_L(d);
		break;
	}
	case X86_KIND_LJMP:
	case X86_KIND_LCALL:
		emulate_far_jump(s);
		break;
	case X86_KIND_LAR:
	case X86_KIND_LSL:
	case X86_KIND_VERR:
	case X86_KIND_VERW:
		emulate_probe(s);
		break;
	case X86_KIND_INS:
	case X86_KIND_OUTS:
		emulate_string_io(s);
		break;
	case X86_KIND_LOAD_FARPTR: {   /* lss, lfs, lgs: offset, then the selector */
		unsigned n = in->opsize;
		u64 a = ea(s), off = 0;
		u16 sel;
		read_guest(&off, a, n);
		read_guest(&sel, a + n, 2);
		set_reg(in->reg, n, off);
		seg_write(in->opcode == 0xb2 ? SEG_SS : in->opcode == 0xb4 ? SEG_FS : SEG_GS, sel);
		break;
	}
	case X86_KIND_LMSW: {   /* PE, MP, EM, TS; PE cannot be cleared */
		u16 v = read_rm16(s);
		write_cr(0, (vcpu.cr0 & ~0xeul) | (v & 0xe));
		break;
	}
	case X86_KIND_RDPMC:
		/* no performance counters under the wedge (nor in cpuid's
		 * leaf 0xa): an invalid counter index is #GP(0) */
		not_emulated("rdpmc (no performance counters): #GP(0)");
		GP0();
	case X86_KIND_XGETBV:
	case X86_KIND_XSETBV:
		/* cpuid hides XSAVE and CR4.OSXSAVE cannot be set: #UD */
		not_emulated("%s (XSAVE hidden, CR4.OSXSAVE clear): #UD", x86_kind_name(in->kind));
		UD();
	case X86_KIND_IN: {
		u16 port = in->imm_size ? (u16)in->imm : (u16)*gpr(X86_RDX);
		set_reg(X86_RAX, in->opsize, io_in(port, in->opsize));
		break;
	}
	case X86_KIND_OUT: {
		u16 port = in->imm_size ? (u16)in->imm : (u16)*gpr(X86_RDX);
		io_out(port, in->opsize, (u32)*gpr(X86_RAX));
		break;
	}
	case X86_KIND_WBINVD:
	case X86_KIND_INVD:
		break;
	case X86_KIND_INVLPG:
		shadow_invlpg(ea(s));
		break;
	case X86_KIND_CLTS:
		vcpu.cr0 &= ~8ul;
		HYPERVISOR_fpu_taskswitch(0);
		break;
	default:
		/* features cpuid hides (FSGSBASE, SMAP, INVPCID, XSAVES,
		 * MONITOR), into (invalid in 64-bit mode): #UD as on a CPU
		 * without them */
		not_emulated("%s at %lx (hidden or invalid in 64-bit mode): #UD", x86_kind_name(in->kind), s->addr);
		UD();
	}
	deliver_pending_interrupts();
}

/*
 * A far transfer in guest user mode (lret, iret, ljmp) to one of the
 * guest's own code segments, e.g. a 64-bit program entering its 32-bit
 * code through __USER32_CS.  The CPU checked the selector against Xen's
 * GDT, which holds none of the guest's, and raised #GP(selector); the
 * wedge does the transfer against the guest's tables instead, with the
 * CPL-3 rules (emulate_insn), or raises the fault hardware would.  When
 * the CPU raised that #GP it had read the far pointer (stack or memory)
 * with user privilege already, so reading it again here reads nothing
 * user mode could not.  A far call is left alone (#GP stays): it would
 * write the user's stack, and the wedge writes with kernel privilege.
 * 64-bit code: lret, iret, ljmp m16:xx; compat code: lret, iret, ljmp
 * ptr16:32 (the decoder's 64-bit forms of cb/ca/cf mean the same there).
 */
bool user_far_transfer(u64 error)
{
	if (!(error & ~3ul) || (error & 3))
		return false;   /* not about a selector */
	u8 b[15];
	unsigned n = 15;
	while (n && !copy_from_guest(b, g_regs.rip, n))
		n--;
	struct site tmp = { .addr = g_regs.rip };
	if (vcpu.cs32) {
		unsigned p = 0, opsize = 4;
		if (n && b[0] == 0x66) {
			opsize = 2;
			p = 1;
		}
		if (p < n && b[p] == 0xea && p + 1 + opsize + 2 <= n) {
			u64 off = 0;
			u16 sel;
			memcpy(&off, b + p + 1, opsize);
			memcpy(&sel, b + p + 1 + opsize, 2);
			tmp.insn = (struct x86_insn){ .len = (u8)(p + 1 + opsize + 2), .opcode = 0xea,
						      .map = X86_MAP_1BYTE, .opsize = (u8)opsize,
						      .imm = off | (u64)sel << 32, .kind = X86_KIND_LJMP };
		} else if (p < n && (b[p] == 0xcb || b[p] == 0xca || b[p] == 0xcf)) {
			if (x86_decode(b, n, &tmp.insn) != 0)
				return false;
		} else {
			return false;
		}
	} else if (x86_decode(b, n, &tmp.insn) != 0 ||
		   (tmp.insn.kind != X86_KIND_LRET && tmp.insn.kind != X86_KIND_IRET && tmp.insn.kind != X86_KIND_LJMP)) {
		return false;
	}
	tmp.length = tmp.insn.len;
	emulate_site(&tmp);
	return true;
}

/*
 * The guest-context fast path (head.S, wedge_fast_entry): regs are the
 * site's registers in x86 order (but rsp), ret the return address of its
 * call.  Returns 1 when the instruction is emulated, 0 for the generic
 * way (wedge_emul_entry), which handles every case the same or raises the
 * fault.  It runs in PV user mode on the guest's stack: no hypercall, no
 * panic, no access beyond the wedge's own memory and the physmap.
 */
int wedge_fast_emulate(u64 *regs, u64 ret);
int wedge_fast_emulate(u64 *regs, u64 ret)
{
	u64 gpa, v;
	if (!guest_va_to_gpa_quiet(ret, &gpa))
		return 0;
	const struct site *s = site_lookup(gpa);
	if (!s || s->trap || s->ret - s->addr != 7)
		return 0;
	const struct x86_insn *in = &s->insn;
	unsigned sr = in->reg & 7;
	switch (in->kind) {
	case X86_KIND_MOV_FROM_SEG:
		if (in->mod != 3 || in->rm == X86_RSP || sr > 5)
			return 0;
		v = vcpu.seg[seg_index(sr)];
		gdt_suspect = true;
		if (in->opsize == 8)
			regs[in->rm] = v;
		else if (in->opsize == 4)
			regs[in->rm] = (u32)v;
		else
			regs[in->rm] = (regs[in->rm] & ~0xfffful) | v;
		break;
	case X86_KIND_MOV_TO_SEG:
		/* SS is virtual; reloading DS or ES with what they hold changes
		 * nothing; FS and GS are loaded into the hardware right here
		 * when the mirror has the descriptor as the guest has it now
		 * (Linux's context switch: loadsegment(fs, 0) or __USER_DS);
		 * any other load is the generic way's (seg_write) */
		if (in->mod != 3 || in->rm == X86_RSP || sr > 5)
			return 0;
		if (sr == SEG_FS || sr == SEG_GS) {
			u16 sel = (u16)regs[in->rm];
			u64 base;
			if (!seg_fast_loadable(sel, &base))
				return 0;
			if (sr == SEG_FS) {
				__asm__ volatile("mov %0, %%fs" :: "r"(sel) : "memory");
				vcpu.fs_base = base;
				fs_base_stale = true;   /* the same base to Xen's record at the next exit */
			} else {
				__asm__ volatile("mov %0, %%gs" :: "r"(sel) : "memory");
				set_gs_base(base);
			}
			seg_fast_loaded(sr, sel);
		} else if (!(sr == SEG_SS || ((sr == SEG_DS || sr == SEG_ES) && vcpu.seg[sr] == (u16)regs[in->rm]))) {
			return 0;
		}
		vcpu.seg[sr] = (u16)regs[in->rm];
		gdt_suspect = true;
		break;
	case X86_KIND_MOV_FROM_CR:
		if (in->rm == X86_RSP || !(in->reg == 0 || in->reg == 2 || in->reg == 3 || in->reg == 4 || in->reg == 8))
			return 0;
		regs[in->rm] = read_cr(in->reg);
		break;
	case X86_KIND_RDMSR:
		if ((u32)regs[X86_RCX] == 0x10 || !rdmsr((u32)regs[X86_RCX], &v))
			return 0;   /* the TSC (rdtsc), or #GP: the generic way */
		regs[X86_RAX] = (u32)v;
		regs[X86_RDX] = v >> 32;
		break;
	case X86_KIND_WRMSR:
		/* MSRs that are plain virtual state (as wrmsr() keeps them);
		 * Linux writes KERNEL_GS_BASE at context switches */
		v = (u32)regs[X86_RAX] | (u64)(u32)regs[X86_RDX] << 32;
		switch ((u32)regs[X86_RCX]) {
		case 0xc0000081: vcpu.star = v; break;
		case 0xc0000082: vcpu.lstar = v; break;
		case 0xc0000083: vcpu.cstar = v; break;
		case 0xc0000084: vcpu.sfmask = v; break;
		case 0xc0000102:
			if (!canonical(v))
				return 0;   /* #GP */
			vcpu.kernel_gs_base = v;
			break;
		case 0x00000277: vcpu.pat = v; break;
		default:
			return 0;
		}
		break;
	case X86_KIND_IN: {
		/* only with the virtual IF clear: no interrupt can reach the
		 * guest in the middle, the read is as atomic as an `in` */
		u32 val;
		if (!VCPU0->evtchn_upcall_mask ||
		    !io_in_fast(in->imm_size ? (u16)in->imm : (u16)regs[X86_RDX], in->opsize, &val))
			return 0;
		regs[X86_RAX] = (regs[X86_RAX] & ~0xfful) | (val & 0xff);
		break;
	}
	default:
		return 0;
	}
	emulations[in->kind]++;
	counters[CNT_FAST]++;
	return 1;
}

void counters_print(void)
{
	printk("wedge: counters: sites rewritten / emulations by kind\n");
	for (unsigned k = 1; k < X86_KIND_MAX; k++)
		if (sites_rewritten[k] || emulations[k])
			printk("wedge:   %-14s %6lu sites %10lu emulations\n", x86_kind_name(k),
			       sites_rewritten[k], emulations[k]);
	printk("wedge: counters: hypercalls %lu, upcalls %lu, timer events %lu, irqs delivered %lu, "
	       "exceptions %lu, safety-net emulations %lu\n",
	       counters[CNT_HYPERCALLS], counters[CNT_UPCALLS], counters[CNT_TIMER_EVENTS],
	       counters[CNT_IRQS_DELIVERED], counters[CNT_EXCEPTIONS], counters[CNT_SAFETY_NET]);
	printk("wedge: counters: shadow fills %lu, new shadows %lu, cache hits %lu, validations %lu, "
	       "stale entries cleared %lu, evictions %lu, pool resets %lu\n",
	       counters[CNT_SHADOW_FILLS], counters[CNT_SHADOW_FLUSHES], counters[CNT_SHADOW_CACHE_HITS],
	       counters[CNT_SHADOW_VALIDATIONS],
	       counters[CNT_SHADOW_STALE], counters[CNT_SHADOW_EVICTIONS],
	       counters[CNT_SHADOW_POOL_RESETS]);
	printk("wedge: counters: kernel-half shares created %lu, share links %lu, share unlinks %lu, "
	       "share validations %lu, L1 tables validated %lu, entries validated %lu, prefills %lu\n",
	       counters[CNT_SHARES_CREATED], counters[CNT_SHARE_LINKS], counters[CNT_SHARE_UNLINKS],
	       counters[CNT_SHARE_VALIDATIONS], counters[CNT_VALIDATED_L1S], counters[CNT_VALIDATED_ENTRIES],
	       counters[CNT_PREFILLS]);
	printk("wedge: counters: kernel-half eager entries %lu, kernel-stack misses %lu\n",
	       counters[CNT_EAGER_ENTRIES], counters[CNT_KSTACK_MISSES]);
	printk("wedge: counters: user/kernel switches %lu, guest syscalls %lu, user-mode exceptions %lu, "
	       "emulation #PFs %lu, fused steps %lu, fast emulations %lu\n",
	       counters[CNT_MODE_SWITCHES], counters[CNT_SYSCALLS], counters[CNT_USER_FAULTS],
	       counters[CNT_EMUL_FAULTS], counters[CNT_FUSED], counters[CNT_FAST]);
	printk("wedge: counters: exits with the iret in their multicall %lu\n", counters[CNT_FUSED_EXITS]);
	descriptors_print();
	devices_counters_print();   /* the board's models (devices.h) */
#ifdef CONFIG_WEDGE_SAFETY_NET
	for (unsigned i = 0; i < nr_net_hits; i++)
		printk("wedge:   safety net: %-12s at %lx, %lu times\n", x86_kind_name(net_hits[i].kind),
		       net_hits[i].addr, net_hits[i].count);
#endif
}

/*
 * in/out/ins/outs in the guest's user mode: Xen gives PV user mode no I/O
 * rights (#GP(0)).  Let them through as the CPU does at CPL 3 with IOPL 0:
 * when every bit of the port range is clear in the I/O permission bitmap
 * of the TSS the guest loaded (Linux's ioperm(), and its iopl(3), which 6.1
 * emulates with an all-clear bitmap), within the TSS limit; else the #GP
 * stands.  ins/outs (rep too) access memory with user privilege: a fault
 * there is the #PF the CPU gives at that element, with rcx/rsi/rdi
 * counting the elements done (returns -1: vcpu.cr2 and guest_fault_error
 * say it).  Segment bases: FS/GS (an outs override) as the guest set them,
 * the others flat, as in Linux's processes; the address and operand size
 * from the code segment's mode (64-bit or 32-bit) and the 0x66/0x67
 * prefixes.  Returns 1 when emulated (a long rep restarts the instruction
 * after 4096 elements, as an interrupted rep does), 0 when the #GP stands.
 */
int user_port_io(void)
{
	u8 b[15];
	unsigned n = 15, p = 0, opsize = 4, seg = 0;
	bool adsize = false, rep = false;
	while (n && !copy_from_user_guest(b, g_regs.rip, n))
		n--;
	for (; p < n; p++) {
		u8 c = b[p];
		if (c == 0x66)
			opsize = 2;
		else if (c == 0x67)
			adsize = true;
		else if (c == 0xf2 || c == 0xf3)
			rep = true;
		else if (c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 || c == 0x65)
			seg = c;
		else if (c == 0xf0)
			return 0;   /* lock: #UD on the CPU; Xen's #GP stands */
		else if (!vcpu.cs32 && (c & 0xf0) == 0x40)
			continue;   /* REX: no effect on port I/O */
		else
			break;
	}
	if (p >= n)
		return 0;
	u8 op = b[p];
	bool imm = op >= 0xe4 && op <= 0xe7, dx = op >= 0xec && op <= 0xef, str = op >= 0x6c && op <= 0x6f;
	if (!imm && !dx && !str)
		return 0;
	if (str && vcpu.cs32 && adsize) {
		not_emulated("user-mode ins/outs with 16-bit addresses: #GP");
		return 0;
	}
	bool a32 = vcpu.cs32 || adsize;
	if (imm && p + 1 >= n)
		return 0;
	unsigned size = (op & 1) ? opsize : 1;
	u16 port = imm ? b[p + 1] : (u16)g_regs.gpr[X86_RDX];
	/* the TSS: a present 64-bit TSS (busy) the guest loaded with ltr */
	u64 d[2];
	if (!(vcpu.tr & ~7u) || !copy_from_guest(d, vcpu.gdtr_base + (vcpu.tr & ~7u), 16))
		return 0;
	u64 tss = ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
	u32 limit = seg_limit(d[0]);
	u16 iomap;
	if (limit < 0x67 || !copy_from_guest(&iomap, tss + 0x66, 2))
		return 0;
	/* the CPU reads the two bytes from the one holding the first port's
	 * bit; both within the limit */
	u32 first = iomap + port / 8u, last = iomap + (port + size - 1u) / 8u;
	if (first + 1 > limit)
		return 0;
	u8 bits[2];
	if (!copy_from_guest(bits, tss + first, last - first + 1))
		return 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned q = port + i;
		if (bits[q / 8u - port / 8u] >> (q % 8u) & 1)
			return 0;
	}
	unsigned len = p + (imm ? 2u : 1u);
	if (str) {
		static bool logged;
		if (!logged) {
			logged = true;
			printk("wedge: user-mode %s through the TSS I/O bitmap, emulated (port %x)\n",
			       op < 0x6e ? "ins" : "outs", port);
		}
		u64 mask = a32 ? 0xfffffffful : ~0ul;
		u64 step = (g_regs.rflags & 0x400) ? -(u64)size : size;   /* DF */
		u64 count = rep ? g_regs.gpr[X86_RCX] & mask : 1;
		u64 base = seg == 0x64 ? vcpu.fs_base : seg == 0x65 ? vcpu.gs_base : 0;
		for (unsigned done = 0; count && done < 4096; done++, count--) {
			u32 v = 0;
			if (op < 0x6e) {   /* ins: to ES:rdi, no override */
				u64 va = g_regs.gpr[X86_RDI] & mask;
				/* the destination is checked before the port is read, so
				 * that the instruction restarts after a #PF (QEMU's TCG
				 * does a dummy write first for the same reason) */
				if (!copy_from_user_guest(&v, va, size) || !copy_to_user_guest(va, &v, size)) {
					vcpu.cr2 = guest_fault_va;
					return -1;
				}
				v = io_in(port, size);
				copy_to_user_guest(va, &v, size);
				set_reg(X86_RDI, a32 ? 4 : 8, g_regs.gpr[X86_RDI] + step);
			} else {
				if (!copy_from_user_guest(&v, (base + (g_regs.gpr[X86_RSI] & mask)) & mask, size)) {
					vcpu.cr2 = guest_fault_va;
					return -1;
				}
				io_out(port, size, v);
				set_reg(X86_RSI, a32 ? 4 : 8, g_regs.gpr[X86_RSI] + step);
			}
			if (rep)
				set_reg(X86_RCX, a32 ? 4 : 8, count - 1);
		}
		if (count)
			return 1;   /* more to do: the instruction runs again */
	} else if (op & 2) {
		io_out(port, size, (u32)g_regs.gpr[X86_RAX]);
	} else {
		set_reg(X86_RAX, size, io_in(port, size));
	}
	g_regs.rip += len;
	if (vcpu.cs32)
		g_regs.rip = (u32)g_regs.rip;
	return 1;
}

/*
 * A #PF in the guest kernel at a rewritten iret site whose `call *slot`
 * could not push its return address: the stack is read-only there.
 * Linux's ESPFIX64 stacks are read-only aliases, and its iretq to a
 * user SS of 16 bits runs on one; the CPU's iretq writes nothing to the
 * stack, so it does not fault there.  Emulated from the fault, as the
 * call would have had it emulated.
 */
bool iret_site_on_readonly_stack(u64 cr2)
{
	u64 rip = g_regs.rip, gpa;
	u8 b[3];
	if (cr2 != g_regs.gpr[X86_RSP] - 8 || !copy_from_guest(b, rip, 3) ||
	    b[0] != 0xff || b[1] != 0x14 || b[2] != 0x25 || !guest_va_to_gpa_quiet(rip + 7, &gpa))
		return false;
	const struct site *s = site_lookup(gpa);
	if (!s || s->trap || s->insn.kind != X86_KIND_IRET || s->ret - s->addr != 7)
		return false;
	struct site here = *s;
	here.addr = rip;
	emulate_site(&here);
	return true;
}
