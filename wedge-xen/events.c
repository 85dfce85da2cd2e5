/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Events, time and interrupt delivery.  Xen's event upcall and the
 * emulation exits come here (masked, on the wedge stack); device-side work
 * (PIT ticks, UART input) runs first, then whatever the virtual PIC has
 * for a guest with IF set is delivered through the guest's IDT with the
 * frame native hardware builds.
 */
#include "wedge-xen/wedge.h"
#include "wedge-xen/devices.h"
#include "wedge-xen/hypercall.h"
#include <xen/event_channel.h>
#include <xen/callback.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

evtchn_port_t timer_port, console_port;
u8 g_vif_mask, g_next_mask = 1;

extern char wedge_event_callback[], wedge_failsafe_callback[];
#define EXC_DECL(n) extern char wedge_exc_##n[];
EXC_DECL(0) EXC_DECL(1) EXC_DECL(2) EXC_DECL(3) EXC_DECL(4) EXC_DECL(5) EXC_DECL(6)
EXC_DECL(7) EXC_DECL(8) EXC_DECL(9) EXC_DECL(10) EXC_DECL(11) EXC_DECL(12) EXC_DECL(13)
EXC_DECL(14) EXC_DECL(15) EXC_DECL(16) EXC_DECL(17) EXC_DECL(18) EXC_DECL(19)
extern u64 g_exc_vector, g_exc_error, g_exc_has_error;
extern char __wedge_start[], __wedge_end[], wedge_syscall_callback[], wedge_stack_top[];
extern u64 g_frame_cs;

static void unmask_port(evtchn_port_t port)
{
	struct evtchn_unmask u = { .port = port };
	__atomic_and_fetch(&shared->evtchn_mask[port / 64], ~(1ul << (port % 64)), __ATOMIC_SEQ_CST);
	HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

void events_init(void)
{
	static trap_info_t traps[] = {
#define T(n, dpl) { n, (dpl) | 4, FLAT_KERNEL_CS, (unsigned long)wedge_exc_##n }
		T(0, 0), T(1, 0), T(2, 0), T(3, 3), T(4, 3), T(5, 0), T(6, 0), T(7, 0),
		T(8, 0), T(9, 0), T(10, 0), T(11, 0), T(12, 0), T(13, 0), T(14, 0),
		T(15, 0), T(16, 0), T(17, 0), T(18, 0), T(19, 0),
		{ 0, 0, 0, 0 },
#undef T
	};
	long rc = HYPERVISOR_set_trap_table(traps);
	if (rc)
		panic("set_trap_table failed: %ld", rc);
	struct callback_register ev = { .type = CALLBACKTYPE_event,
					.address = (unsigned long)wedge_event_callback };
	struct callback_register fs = { .type = CALLBACKTYPE_failsafe,
					.address = (unsigned long)wedge_failsafe_callback };
	struct callback_register sc = { .type = CALLBACKTYPE_syscall, .flags = CALLBACKF_mask_events,
					.address = (unsigned long)wedge_syscall_callback };
	/* `syscall` from compat-mode code: the same entry, told apart by the
	 * frame's CS (FLAT_USER_CS32) */
	struct callback_register sc32 = { .type = CALLBACKTYPE_syscall32, .flags = CALLBACKF_mask_events,
					  .address = (unsigned long)wedge_syscall_callback };
	if ((rc = HYPERVISOR_callback_op(CALLBACKOP_register, &ev)) ||
	    (rc = HYPERVISOR_callback_op(CALLBACKOP_register, &fs)) ||
	    (rc = HYPERVISOR_callback_op(CALLBACKOP_register, &sc)) ||
	    (rc = HYPERVISOR_callback_op(CALLBACKOP_register, &sc32)))
		panic("callback registration failed: %ld", rc);
	/* The guest runs in PV user mode: Xen enters the wedge on this stack. */
	if ((rc = HYPERCALL(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, wedge_stack_top, 0, 0, 0)))
		panic("stack_switch failed: %ld", rc);

	/* Xen's default 100 Hz periodic timer is not wanted: the PIT model sets
	 * single-shot deadlines. */
	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	if ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv)))
		panic("bind VIRQ_TIMER failed: %ld", rc);
	timer_port = bv.port;
	unmask_port(timer_port);
	if (!(start_info->flags & SIF_INITDOMAIN)) {
		console_port = start_info->console.domU.evtchn;
		unmask_port(console_port);
		xenstore_init();   /* xl shutdown/reboot (xenstore.c) */
		if (xenstore_port)
			unmask_port(xenstore_port);
	}
	printk("wedge: events: timer port %u, console port %u; TSC %lu kHz by Xen's time scale\n", timer_port,
	       console_port, xen_tsc_khz());
}

u64 xen_time_ns(void)
{
	struct vcpu_time_info *t = &VCPU0->time;
	u32 version;
	u64 ns;
	do {
		version = t->version;
		__asm__ volatile("" ::: "memory");
		u32 lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		u64 delta = ((u64)hi << 32 | lo) - t->tsc_timestamp;
		if (t->tsc_shift >= 0)
			delta <<= t->tsc_shift;
		else
			delta >>= -t->tsc_shift;
		ns = t->system_time + (u64)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);
	return ns;
}

/* The TSC rate Xen scales its time with: what a guest's calibration
 * against the PIT (whose time is Xen's) should find. */
u64 xen_tsc_khz(void)
{
	struct vcpu_time_info *t = &VCPU0->time;
	if (!t->tsc_to_system_mul)
		return 0;
	u64 khz = (1000000ull << 32) / t->tsc_to_system_mul;
	return t->tsc_shift >= 0 ? khz >> t->tsc_shift : khz << -t->tsc_shift;
}

void timer_set_deadline(u64 ns)
{
	HYPERVISOR_set_timer_op(ns);
}

/* Consume pending event channels (masked) and run their device side. */
void events_process(void)
{
	VCPU0->evtchn_upcall_pending = 0;
	unsigned long sel = __atomic_exchange_n(&VCPU0->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned w = (unsigned)__builtin_ctzl(sel);
		sel &= sel - 1;
		unsigned long bits = shared->evtchn_pending[w] & ~shared->evtchn_mask[w];
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzl(bits);
			bits &= bits - 1;
			evtchn_port_t port = w * 64 + b;
			__atomic_and_fetch(&shared->evtchn_pending[w], ~(1ul << b), __ATOMIC_SEQ_CST);
			if (port == timer_port)
				counters[CNT_TIMER_EVENTS]++;
			if (port == xenstore_port && port)
				xenstore_event();
			devices_event(port);   /* the board's models (devices.h) */
		}
	}
	pit_sync();
	uart_poll_rx();
	devices_poll();
}

/* Block (still masked) until the timer, the console or xenstore fires. */
void wait_for_event(void)
{
	evtchn_port_t ports[3 + 4] = { timer_port, console_port, xenstore_port };
	unsigned n = !console_port ? 1 : xenstore_port ? 3 : 2;
	n += devices_wait_ports(ports + n, 4);   /* the board's models (devices.h) */
	struct sched_poll poll = { .nr_ports = n, .timeout = 0 };
	set_xen_guest_handle(poll.ports, ports);
	HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
}

static u64 read_guest_u64(u64 va)
{
	u64 v;
	if (!copy_from_guest(&v, va, 8))
		panic("guest memory at %lx (IDT/GDT/TSS) is not mapped", va);
	return v;
}

/* The guest's IDT gate for vec (both halves); panics when there is none. */
static void read_gate(unsigned vec, u64 *lo, u64 *hi)
{
	if (vec * 16 + 15 > vcpu.idtr_limit || !vcpu.idtr_base)
		panic("vector %u: no IDT entry (IDT base %lx limit %x)", vec, vcpu.idtr_base, vcpu.idtr_limit);
	*lo = read_guest_u64(vcpu.idtr_base + vec * 16);
	*hi = read_guest_u64(vcpu.idtr_base + vec * 16 + 8);
	unsigned type = (*lo >> 40) & 0xf;
	if (!(*lo >> 47 & 1) || (type != 0xe && type != 0xf))
		panic("vector %u: IDT gate not present or not an interrupt/trap gate (%lx)", vec, *lo);
}

/* The base of the TSS the guest loaded with ltr. */
static u64 guest_tss_base(void)
{
	if (!(vcpu.tr & ~7u))
		panic("interrupt needs the TSS (IST or a stack switch from user mode), but no ltr yet");
	u64 d = vcpu.gdtr_base + (vcpu.tr & ~7u);
	u64 dlo = read_guest_u64(d), dhi = read_guest_u64(d + 8);
	return ((dlo >> 16) & 0xffffff) | ((dlo >> 56) << 24) | (dhi << 32);
}

/*
 * Push the native 64-bit interrupt frame and enter the guest's handler.
 * From guest user mode (virtual CPL 3) the CPU switches to the TSS's RSP0
 * (or the gate's IST stack), pushes the user SS:RSP, loads CS from the
 * gate and a null SS: so does this, and the kernel shadow takes over.
 */
void deliver_vector(unsigned vec, bool has_error, u64 error)
{
	u64 lo, hi;
	read_gate(vec, &lo, &hi);
	unsigned type = (lo >> 40) & 0xf;
	u64 handler = (lo & 0xffff) | ((lo >> 48) << 16) | (hi << 32);
	u16 sel = (u16)(lo >> 16);
	unsigned ist = (lo >> 32) & 7;
	bool from_user = guest_user_mode();
	u64 rsp = g_regs.gpr[X86_RSP];
	if (ist)   /* IST n at offset 0x24 + 8(n-1) */
		rsp = read_guest_u64(guest_tss_base() + 0x24 + 8 * (ist - 1));
	else if (from_user)   /* RSP0 at offset 4 */
		rsp = read_guest_u64(guest_tss_base() + 4);
	rsp &= ~15ul;
	u64 flags = (g_regs.rflags & ~X86_EFLAGS_IF) | (g_vif_mask ? 0 : X86_EFLAGS_IF);
	u64 frame[6] = { error, g_regs.rip, vcpu.seg[SEG_CS], flags, g_regs.gpr[X86_RSP], vcpu.seg[SEG_SS] };
	u64 *f = has_error ? frame : frame + 1;
	u64 n = has_error ? 6 : 5;
	rsp -= n * 8;
	if (!copy_to_guest(rsp, f, n * 8)) {
		if (vec == 8)
			panic("double fault: the guest's stack at %lx is not mapped or read-only (a CPU would "
			      "triple-fault)", rsp);
		/* The CPU cannot push the frame (a read-only or unmapped
		 * stack): a double fault.  Linux's ESPFIX64 depends on it: a
		 * fault of its iretq on the read-only espfix stack becomes a
		 * #DF, whose handler turns it into the user's #GP. */
		deliver_vector(8, true, 0);
		return;
	}
	g_regs.gpr[X86_RSP] = rsp;
	g_regs.rip = handler;
	g_regs.rflags &= ~(0x100ul | 0x4000ul | 0x10000ul);   /* TF, NT, RF */
	vcpu.seg[SEG_CS] = sel;
	vcpu.cs32 = false;   /* a long-mode gate leads to 64-bit code */
	if (from_user) {
		vcpu.seg[SEG_SS] = 0;
		if (guest_user_mode())
			panic("vector %u: gate selector %x is not a kernel code segment", vec, sel);
		shadow_set_user(false);
	}
	if (type == 0xe)
		g_vif_mask = 1;
	g_next_mask = g_vif_mask;
}

/* The DPL of the guest's IDT gate for vec (software interrupts check it);
 * 0 when there is no usable gate, which a CPL-3 `int` also fails. */
static unsigned guest_gate_dpl(unsigned vec)
{
	if (vec * 16 + 15 > vcpu.idtr_limit || !vcpu.idtr_base)
		return 0;
	u64 lo = read_guest_u64(vcpu.idtr_base + vec * 16);
	unsigned type = (lo >> 40) & 0xf;
	if (!(lo >> 47 & 1) || (type != 0xe && type != 0xf))
		return 0;
	return (lo >> 45) & 3;
}

/*
 * A #GP from the guest's user mode with the IDT bit set: Xen keeps its own
 * gates (other than 3 and 4) at DPL 0, so every `int $n` lands here.  The
 * vector comes from the instruction, not the error code: under QEMU's TCG
 * that code is n*16+2 where the SDM says n*8+2.  Through a DPL-3 guest gate
 * it becomes the software interrupt; otherwise it stays the #GP a CPU
 * raises, with the SDM's error code.
 */
static void user_soft_interrupt(void)
{
	u8 insn[2];
	if (!copy_from_guest(insn, g_regs.rip, 2) || insn[0] != 0xcd)
		return;
	unsigned vec = insn[1];
	if (g_exc_error >> 3 != vec && g_exc_error >> 4 != vec)
		return;   /* a #GP about another vector: not this int's */
	if (guest_gate_dpl(vec) == 3) {
		g_regs.rip += 2;
		g_exc_vector = vec;
		g_exc_has_error = 0;
	} else {
		g_exc_error = vec * 8 + 2;
	}
}

/* #DB: the status Xen recorded for it becomes the guest's DR6 (sticky, as
 * on a CPU, until the guest writes DR6); Xen's copy is reset so that the
 * next #DB reports only its own cause. */
static void debug_status_to_guest(void)
{
	long dr6 = HYPERCALL(__HYPERVISOR_get_debugreg, 6, 0, 0, 0, 0);
	vcpu.dr[6] |= (u64)dr6 & 0xe00ful;   /* B0-B3, BD, BS, BT */
	HYPERCALL(__HYPERVISOR_set_debugreg, 6, 0xffff0ff0ul, 0, 0, 0);
}

/*
 * Exit path of every entry: g_vif_mask is the guest's IF state (1: clear).
 * Delivers one deliverable PIC interrupt when IF is set; when one waits
 * behind a clear IF, sets upcall_pending so the guest's sti/popf notices.
 */
void deliver_pending_interrupts(void)
{
	g_next_mask = g_vif_mask;
	if (VCPU0->evtchn_upcall_pending)
		events_process();
	int vec = pic_pending_vector();
	if (vec < 0)
		return;
	if (g_vif_mask) {
		VCPU0->evtchn_upcall_pending = 1;
		return;
	}
	pic_ack(vec);
	counters[CNT_IRQS_DELIVERED]++;
	deliver_vector((unsigned)vec, false, 0);
}

/* Xen event upcall: only delivered while unmasked, so the guest had IF set. */
void wedge_event_upcall(void)
{
	counters[CNT_UPCALLS]++;
	if ((g_frame_cs & 3) != 3)
		panic("event upcall in the wedge at %lx", g_regs.rip);
	g_vif_mask = 0;
	g_regs.rflags |= X86_EFLAGS_IF;
	if (!guest_user_mode())
		shadow_kstack_check(g_regs.gpr[X86_RSP], g_regs.rip, 257);
	user_cs_sync();
	events_process();
	deliver_pending_interrupts();
}

/* Xen could not reload a data segment register at a vCPU switch.  The
 * registers only ever hold null, Xen's flat selectors or selectors the
 * mirror loads (descriptors.c nulls one before its descriptor goes), so
 * this is a wedge bug. */
void wedge_failsafe(const u64 *f);
void wedge_failsafe(const u64 *f)
{
	panic("failsafe callback: Xen could not load a guest segment register "
	      "(ds %lx es %lx fs %lx gs %lx, at %lx cs %lx)", f[2], f[3], f[4], f[5], f[6], f[7]);
}

void wedge_exception(void)
{
	counters[CNT_EXCEPTIONS]++;
	u64 rip = g_regs.rip;
	g_vif_mask = (g_regs.rflags & X86_EFLAGS_IF) ? 0 : 1;
	g_regs.rflags |= X86_EFLAGS_IF;
	bool from_guest = (g_frame_cs & 3) == 3;   /* PV user mode: the guest and its stubs */
	bool user = guest_user_mode();             /* the guest's own user mode */
	if (!from_guest)
		panic("exception %lu (error %lx) in the wedge at %lx, cr2 %lx", g_exc_vector,
		      g_exc_error, rip, (u64)VCPU0->arch.cr2);
	user_cs_sync();
	/* (a #GP or #UD at a site left to trap is checked below: the sites
	 * on a user stack will be stackless in PV kernel mode) */
	if (!user && g_exc_vector != 13 && g_exc_vector != 6)
		shadow_kstack_check(g_regs.gpr[X86_RSP], rip, (unsigned)g_exc_vector);
	if (g_exc_vector == 14) {
		u64 cr2 = VCPU0->arch.cr2, guest_error;
		if (shadow_fault(cr2, g_exc_error, &guest_error)) {
			deliver_pending_interrupts();   /* resume with the guest's own IF */
			return;   /* filled: retry the access */
		}
		g_exc_error = guest_error;
		vcpu.cr2 = cr2;
		if (!user && rip >= (u64)__wedge_start && rip < (u64)__wedge_end)
			panic("a wedge stub at %lx touches %lx, unmapped in the guest's page tables",
			      rip, cr2);
		if (!user && (guest_error & 3) == 3 && iret_site_on_readonly_stack(cr2)) {
			deliver_pending_interrupts();
			return;
		}
	}
	if (g_exc_vector == 1)
		debug_status_to_guest();
	if (g_exc_vector == 7 && (vcpu.cr0 & 8))
		/* Xen clears its TS when it passes #NM on; the guest's TS stays
		 * set until its clts, as on a CPU (a handler that returns
		 * without clts takes #NM again) */
		HYPERVISOR_fpu_taskswitch(1);
	if (user) {
		/* Never emulated in user mode: a sensitive instruction there is
		 * the #GP (or #UD) a CPU gives at CPL 3. */
		counters[CNT_USER_FAULTS]++;
		if (g_exc_vector == 13 && g_frame_cs == 3 && rip == 0) {
			/* Xen's sysenter entry without a callback (see guest_sysenter) */
			guest_sysenter();
			deliver_pending_interrupts();
			return;
		}
		u8 op[2];
		int io = 0;
		if (g_exc_vector == 13 && !g_exc_error && vcpu.cs32 &&
		    copy_from_guest(op, rip, 2) && op[0] == 0x0f && op[1] == 0x34) {
			/* sysenter from compat mode on a host where Xen set up
			 * no sysenter entry (an AMD CPU, or a CPU model with AMD's
			 * vendor, as QEMU's): the CPU raised #GP(0) at it for the
			 * null SYSENTER_CS.  The guest's CPU has the instruction
			 * (its cpuid says SEP; QEMU runs it in compat mode too) */
			guest_sysenter();
			deliver_pending_interrupts();
			return;
		}
		if (g_exc_vector == 13 && (g_exc_error & 3) == 2)
			user_soft_interrupt();
		else if ((g_exc_vector == 13 || g_exc_vector == 11) && user_far_transfer(g_exc_error))
			return;   /* to one of the guest's code segments, which Xen's GDT lacks */
		else if (g_exc_vector == 13 && !g_exc_error && (io = user_port_io()) > 0) {
			deliver_pending_interrupts();
			return;   /* port I/O the guest's TSS allows */
		} else if (io < 0) {
			g_exc_vector = 14;   /* ins/outs: the memory side faulted (vcpu.cr2) */
			g_exc_error = guest_fault_error | PF_U;
		}
	} else {
		if ((g_exc_vector == 13 || g_exc_vector == 6) && emulate_trap_site())
			return;
		if (g_exc_vector == 13 || g_exc_vector == 6)
			shadow_kstack_check(g_regs.gpr[X86_RSP], rip, (unsigned)g_exc_vector);
#ifdef CONFIG_WEDGE_SAFETY_NET
		if (safety_net((unsigned)g_exc_vector))
			return;
#endif
		if (!vcpu.idtr_base)
			panic("guest exception %lu (error %lx) at %lx before it loaded an IDT, cr2 %lx",
			      g_exc_vector, g_exc_error, rip, (u64)VCPU0->arch.cr2);
		static unsigned printed;
		if (printed < 20) {
			printed++;
			printk("wedge: reflecting exception %lu (error %lx) at %lx into the guest%s\n",
			       g_exc_vector, g_exc_error, rip, printed == 20 ? " (no more of these messages)" : "");
		}
	}
	deliver_vector((unsigned)g_exc_vector, g_exc_has_error, g_exc_error);
}
