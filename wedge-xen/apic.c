/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The local APIC of the one virtual CPU (issue 19): xAPIC, its register
 * page at guest-physical 0xfee00000 (IA32_APIC_BASE, enabled, BSP), reached
 * through the MMIO fault path (mmio.c).  x2APIC and the TSC-deadline timer
 * are hidden in CPUID (emulate.c), so neither their MSRs nor the timer mode
 * exist here.
 *
 * Modelled: ID (0), version 0x14 with 6 LVT entries, TPR/APR/PPR, EOI (with
 * the EOI broadcast of level-triggered vectors to the I/O APIC), LDR, DFR,
 * SVR (software enable, spurious vector), ISR/TMR/IRR, ESR (illegal
 * vectors), ICR (fixed IPIs to this CPU: self, all-including-self, its own
 * physical or logical destination), the LVT entries, and the timer in
 * one-shot and periodic mode at 1 GHz before the divider, on Xen's
 * single-shot timer (shared with the PIT, devices.c timers_rearm()).
 *
 * Interrupt routing: while the APIC is software-disabled (SVR bit 8 clear,
 * its state after reset) the 8259's output reaches the CPU directly, as
 * through LINT0 in virtual-wire mode, so a guest that never enables the
 * APIC sees the PIC machine it always saw.  Once enabled, the CPU takes
 * what the APIC's IRR has above PPR, and the 8259 only through LINT0 when
 * LINT0 is unmasked with delivery mode ExtINT.
 *
 * Not modelled (logged once, answered as a part without it): NMI, SMI,
 * INIT, SIPI and IPIs to other CPUs (there are none: no SMP yet),
 * LINT1 (no NMI source is wired), the thermal, performance-counter and CMCI
 * LVTs (never fire), moving the APIC base, accesses that are not aligned
 * 32-bit (reads 0, writes ignored).  A spurious interrupt never happens:
 * delivery and acknowledgement are one step in the wedge.
 */
#include "wedge-xen/devices.h"
#include "wedge-xen/apic.h"

#define APIC_VERSION 0x00050014u          /* 6 LVT entries, integrated xAPIC */
#define LVT_MASKED   (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_CMCI, NLVT };

static struct {
	bool hw_enabled;                  /* IA32_APIC_BASE bit 11 */
	u32 tpr, ldr, dfr, svr, esr, esr_latched, icr_lo, icr_hi, tdcr, tmict;
	u32 lvt[NLVT];
	u32 irr[8], isr[8], tmr[8];
	u64 t_start_ns;                   /* the count started from tmict then */
	u64 t_next_ns;                    /* next expiry; 0: not counting */
	u64 t_backlog;                    /* periodic expiries not yet raised */
} apic;

static u64 cnt_timer_fires, cnt_delivered, cnt_eoi, cnt_reads, cnt_writes, cnt_ipis, cnt_replayed, cnt_merged;

static void apic_reset(void)
{
	memset(&apic, 0, sizeof(apic));
	apic.hw_enabled = true;
	apic.dfr = 0xffffffffu;
	apic.svr = 0xff;
	for (unsigned i = 0; i < NLVT; i++)
		apic.lvt[i] = LVT_MASKED;
}

bool apic_sw_enabled(void) { return apic.hw_enabled && (apic.svr & 0x100); }

static int highest(const u32 *bits)
{
	for (int w = 7; w >= 0; w--)
		if (bits[w])
			return w * 32 + 31 - __builtin_clz(bits[w]);
	return -1;
}

static bool test_bit(const u32 *bits, unsigned v) { return bits[v / 32] & (1u << (v % 32)); }
static void set_bit(u32 *bits, unsigned v) { bits[v / 32] |= 1u << (v % 32); }
static void clear_bit(u32 *bits, unsigned v) { bits[v / 32] &= ~(1u << (v % 32)); }

static u32 ppr(void)
{
	int isrv = highest(apic.isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	return (apic.tpr & 0xf0) >= isr_class ? apic.tpr & 0xff : isr_class;
}

/* An interrupt for this CPU (fixed delivery): into IRR, TMR as its trigger. */
void apic_accept(unsigned vector, bool level)
{
	vector &= 0xff;
	if (vector < 16) {
		apic.esr |= 1u << 6;          /* received illegal vector */
		return;
	}
	set_bit(apic.irr, vector);
	if (level)
		set_bit(apic.tmr, vector);
	else
		clear_bit(apic.tmr, vector);
}

/* ---- the timer ---- */
static u64 timer_divide(void)
{
	unsigned v = (apic.tdcr & 3) | ((apic.tdcr >> 1) & 4);
	return v == 7 ? 1 : 2ull << v;
}

/* 1 GHz input: one count every `divide` ns. */
static u32 timer_current(void)
{
	if (!apic.t_next_ns || !apic.tmict)
		return 0;
	u64 elapsed = (xen_time_ns() - apic.t_start_ns) / timer_divide();
	if (apic.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC)
		return apic.tmict - (u32)(elapsed % apic.tmict);
	return elapsed >= apic.tmict ? 0 : apic.tmict - (u32)elapsed;
}

/* The count (re)starts from TMICT at start_ns (in the past when a running
 * count goes on under a new divider or mode); 0 in TMICT stops it. */
static void timer_start(u64 start_ns)
{
	apic.t_backlog = 0;
	apic.t_start_ns = start_ns;
	apic.t_next_ns = apic.tmict ? start_ns + (u64)apic.tmict * timer_divide() : 0;
	timers_rearm();
}

u64 apic_timer_deadline(void) { return apic.t_next_ns; }

/* An expiry raises the LVT's vector; the counting goes on while the entry
 * is masked.  Periodic expiries are not lost (as the PIT's, devices.c): one
 * that finds the vector still in IRR, or several missed while the guest
 * did not run with IF set, wait in a backlog (at most a second's worth) and
 * the next is raised each time the CPU takes the vector (apic_ack); with
 * IF clear they merge into the request in IRR, as on hardware. */
void apic_timer_sync(void)
{
	if (!apic.t_next_ns)
		return;
	u64 now = xen_time_ns();
	if (now < apic.t_next_ns)
		return;
	cnt_timer_fires++;
	bool masked = apic.lvt[LVT_TIMER] & LVT_MASKED;
	unsigned vec = apic.lvt[LVT_TIMER] & 0xff;
	if (apic.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) {
		u64 period = (u64)apic.tmict * timer_divide();
		u64 missed = (now - apic.t_next_ns) / period + 1;
		apic.t_start_ns += missed * period;
		apic.t_next_ns += missed * period;
		if (!masked) {
			if (!test_bit(apic.irr, vec)) {
				apic_accept(vec, false);
				missed--;
			}
			if (g_vif_mask) {
				cnt_merged += missed;
				missed = 0;    /* IF clear: they merge, as on hardware */
			}
			u64 cap = 1000000000ull / period + 1;
			apic.t_backlog = apic.t_backlog + missed > cap ? cap : apic.t_backlog + missed;
		}
	} else {
		apic.t_next_ns = 0;
		if (!masked)
			apic_accept(vec, false);
	}
	timers_rearm();
}

/* ---- the CPU's side ---- */
int apic_pending_vector(void)
{
	int v = highest(apic.irr);
	if (v >= 0 && ((u32)v & 0xf0) > (ppr() & 0xf0))
		return v;
	return -1;
}

void apic_ack(int vector)
{
	clear_bit(apic.irr, (unsigned)vector);
	set_bit(apic.isr, (unsigned)vector);
	cnt_delivered++;
	if (apic.t_backlog && (unsigned)vector == (apic.lvt[LVT_TIMER] & 0xff) &&
	    !(apic.lvt[LVT_TIMER] & LVT_MASKED)) {
		apic.t_backlog--;
		cnt_replayed++;
		apic_accept((unsigned)vector, false);
	}
}

bool apic_irr_test(unsigned vector) { return test_bit(apic.irr, vector & 0xff); }

bool apic_extint_open(void)
{
	return (apic.lvt[LVT_LINT0] & (LVT_MASKED | 0x700)) == 0x700;
}

static void eoi(void)
{
	int v = highest(apic.isr);
	cnt_eoi++;
	if (v < 0)
		return;
	clear_bit(apic.isr, (unsigned)v);
	if (test_bit(apic.tmr, (unsigned)v))
		ioapic_eoi((unsigned)v);
}

/* Fixed IPIs reach this CPU only; there is no other. */
static void send_ipi(void)
{
	unsigned mode = (apic.icr_lo >> 8) & 7, shorthand = (apic.icr_lo >> 18) & 3;
	u32 dest = apic.icr_hi >> 24;
	bool self;
	cnt_ipis++;
	switch (shorthand) {
	case 1: case 2: self = true; break;        /* self, all including self */
	case 3: self = false; break;               /* all excluding self: nobody */
	default:
		if (apic.icr_lo & (1u << 11))          /* logical, flat model */
			self = (dest & (apic.ldr >> 24)) != 0;
		else
			self = dest == 0 || dest == 0xff;
	}
	if (!self)
		return;
	if (mode == 0 || mode == 1)
		apic_accept(apic.icr_lo & 0xff, false);
	else
		device_not_modelled("local APIC IPI delivery mode %u (NMI, SMI, INIT, SIPI: no SMP yet) to this CPU",
				    mode);
}

static u32 apic_reg_read(unsigned reg)
{
	switch (reg) {
	case 0x20: return 0;                         /* ID 0 */
	case 0x30: return APIC_VERSION;
	case 0x80: return apic.tpr;
	case 0x90: return 0;                         /* APR */
	case 0xa0: return ppr();
	case 0xb0: return 0;                         /* EOI is write-only */
	case 0xd0: return apic.ldr;
	case 0xe0: return apic.dfr;
	case 0xf0: return apic.svr;
	case 0x280: return apic.esr_latched;
	case 0x300: return apic.icr_lo & ~(1u << 12);   /* delivery status: idle */
	case 0x310: return apic.icr_hi;
	case 0x2f0: return apic.lvt[LVT_CMCI];
	case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370:
		return apic.lvt[(reg - 0x320) / 16];
	case 0x380: return apic.tmict;
	case 0x390: return timer_current();
	case 0x3e0: return apic.tdcr;
	}
	if (reg >= 0x100 && reg < 0x180)
		return apic.isr[(reg - 0x100) / 16];
	if (reg >= 0x180 && reg < 0x200)
		return apic.tmr[(reg - 0x180) / 16];
	if (reg >= 0x200 && reg < 0x280)
		return apic.irr[(reg - 0x200) / 16];
	return 0;   /* reserved: hardware reads 0 (and flags an illegal register address) */
}

static const u32 lvt_wmask[NLVT] = {
	[LVT_TIMER] = 0x300ff | LVT_TIMER_PERIODIC, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
	[LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff, [LVT_ERROR] = 0x100ff, [LVT_CMCI] = 0x107ff,
};

static void lvt_write(unsigned i, u32 v)
{
	v &= lvt_wmask[i];
	if (!(apic.svr & 0x100))
		v |= LVT_MASKED;                         /* software-disabled: masks stay set */
	if (i == LVT_TIMER) {
		if (v & (1u << 18)) {
			device_not_modelled("local APIC timer mode %u (TSC deadline is hidden in CPUID): one-shot",
					    (v >> 17) & 3);
			v &= ~(1u << 18);
		}
		bool was_periodic = apic.lvt[i] & LVT_TIMER_PERIODIC;
		if (was_periodic != !!(v & LVT_TIMER_PERIODIC) && apic.t_next_ns) {
			/* the mode changes under a running count: it goes on */
			u32 cur = timer_current();
			apic.lvt[i] = v;
			timer_start(xen_time_ns() - (u64)(apic.tmict - cur) * timer_divide());
			return;
		}
	}
	if (i == LVT_LINT1 && !(v & LVT_MASKED) && ((v >> 8) & 7) != 4)
		device_not_modelled("local APIC LINT1 delivery mode %u (nothing is wired to LINT1)", (v >> 8) & 7);
	if (i == LVT_LINT0 && !(v & LVT_MASKED) && ((v >> 8) & 7) != 7)
		device_not_modelled("local APIC LINT0 delivery mode %u (the 8259 only reaches it as ExtINT)",
				    (v >> 8) & 7);
	apic.lvt[i] = v;
}

static void apic_reg_write(unsigned reg, u32 v)
{
	switch (reg) {
	case 0x20:
		if (v >> 24)
			device_not_modelled("local APIC ID change to %x (stays 0)", v >> 24);
		return;
	case 0x80: apic.tpr = v & 0xff; return;
	case 0xb0: eoi(); return;
	case 0xd0: apic.ldr = v & 0xff000000u; return;
	case 0xe0: apic.dfr = v | 0x0fffffffu; return;
	case 0xf0:
		apic.svr = v & 0x13ff;
		if (!(v & 0x100))
			for (unsigned i = 0; i < NLVT; i++)
				apic.lvt[i] |= LVT_MASKED;
		return;
	case 0x280:                                  /* ESR: a write latches the errors */
		apic.esr_latched = apic.esr;
		apic.esr = 0;
		return;
	case 0x300:
		apic.icr_lo = v & 0x000cdfffu;
		send_ipi();
		return;
	case 0x310: apic.icr_hi = v & 0xff000000u; return;
	case 0x2f0: lvt_write(LVT_CMCI, v); return;
	case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370:
		lvt_write((reg - 0x320) / 16, v);
		return;
	case 0x380:
		apic.tmict = v;
		timer_start(xen_time_ns());
		return;
	case 0x3e0: {
		u32 cur = timer_current();
		apic.tdcr = v & 0xb;
		if (apic.t_next_ns)                      /* the count goes on at the new rate */
			timer_start(xen_time_ns() - (u64)(apic.tmict - cur) * timer_divide());
		return;
	}
	}
	/* read-only and reserved registers: the write goes nowhere */
	if (reg != 0x30 && reg != 0x90 && reg != 0xa0 && reg != 0x390 && !(reg >= 0x100 && reg < 0x280))
		device_not_modelled("local APIC write %x to reserved register %x", v, reg);
}

static u64 apic_mmio_read(u64 off, unsigned size)
{
	cnt_reads++;
	if (size != 4 || (off & 0xf)) {
		device_not_modelled("local APIC read of %u bytes at offset %lx (only aligned 32-bit): 0", size, off);
		return 0;
	}
	return apic_reg_read((unsigned)off);
}

static void apic_mmio_write(u64 off, unsigned size, u64 v)
{
	cnt_writes++;
	if (size != 4 || (off & 0xf)) {
		device_not_modelled("local APIC write of %u bytes at offset %lx (only aligned 32-bit)", size, off);
		return;
	}
	apic_reg_write((unsigned)off, (u32)v);
}

static struct mmio_range apic_range = {
	.name = "local APIC", .base = APIC_DEFAULT_GPA, .size = 0x1000,
	.read = apic_mmio_read, .write = apic_mmio_write,
};

/* IA32_APIC_BASE: BSP, enabled, at 0xfee00000; x2APIC (bit 10) is
 * reserved (hidden in CPUID), the base does not move.  false: #GP. */
u64 apic_base_msr(void) { return APIC_DEFAULT_GPA | (1u << 8) | (apic.hw_enabled ? 1u << 11 : 0); }

bool apic_base_msr_write(u64 v)
{
	if ((v & ~0xfffff900ull) || (v & 0xfffff000ull) != APIC_DEFAULT_GPA)
		return false;
	bool en = v & (1u << 11);
	if (en != apic.hw_enabled) {
		if (!en) {
			apic_reset();
			apic.hw_enabled = false;
		} else {
			apic.hw_enabled = true;
		}
	}
	return true;
}

static void apic_init(void)
{
	apic_reset();
	device_mmio(&apic_range);
}

static void apic_counters(void)
{
	/* every name unique among the counter lines: bench/run keys on them */
	printk("wedge: counters: local APIC timer expiries %lu, local APIC interrupts taken %lu, local APIC EOIs %lu, "
	       "local APIC IPIs %lu, local APIC register reads %lu, local APIC register writes %lu, "
	       "local APIC timer ticks replayed %lu, local APIC timer ticks merged with IF clear %lu\n",
	       cnt_timer_fires, cnt_delivered, cnt_eoi, cnt_ipis, cnt_reads, cnt_writes, cnt_replayed, cnt_merged);
}

const struct device_model apic_model = { .name = "local APIC", .init = apic_init, .counters = apic_counters };

/* The logical ID in the flat model, for the I/O APIC's logical destinations. */
u32 apic_ldr_flat(void) { return apic.ldr >> 24; }
