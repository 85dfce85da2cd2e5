/* SPDX-License-Identifier: BSD-2-Clause */
/* Hypercalls through the hypercall page Xen filled in (64-bit PV ABI:
 * rdi, rsi, rdx, r10, r8; rcx and r11 clobbered by syscall). */
#ifndef WEDGE_HYPERCALL_H
#define WEDGE_HYPERCALL_H
#include "wedge-xen/wedge.h"

extern char hypercall_page[];

static inline long _hypercall(unsigned nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	register u64 rdi __asm__("rdi") = a1;
	register u64 rsi __asm__("rsi") = a2;
	register u64 rdx __asm__("rdx") = a3;
	register u64 r10 __asm__("r10") = a4;
	register u64 r8 __asm__("r8") = a5;
	long ret;
	counters[CNT_HYPERCALLS]++;
	__asm__ volatile("call *%[entry]"
			 : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 : [entry] "r"(hypercall_page + nr * 32)
			 : "memory", "rcx", "r11", "r9");
	return ret;
}
#define HYPERCALL(nr, a1, a2, a3, a4, a5) \
	_hypercall(nr, (u64)(a1), (u64)(a2), (u64)(a3), (u64)(a4), (u64)(a5))

#define HYPERVISOR_console_io(cmd, n, s)   HYPERCALL(__HYPERVISOR_console_io, cmd, n, s, 0, 0)
#define HYPERVISOR_sched_op(cmd, arg)       HYPERCALL(__HYPERVISOR_sched_op, cmd, arg, 0, 0, 0)
#define HYPERVISOR_event_channel_op(cmd, arg) HYPERCALL(__HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0)
#define HYPERVISOR_mmu_update(req, n, done, dom) HYPERCALL(__HYPERVISOR_mmu_update, req, n, done, dom, 0)
#define HYPERVISOR_mmuext_op(op, n, done, dom) HYPERCALL(__HYPERVISOR_mmuext_op, op, n, done, dom, 0)
#define HYPERVISOR_update_va_mapping(va, pte, flags) HYPERCALL(__HYPERVISOR_update_va_mapping, va, pte, flags, 0, 0)
#define HYPERVISOR_set_trap_table(t)        HYPERCALL(__HYPERVISOR_set_trap_table, t, 0, 0, 0, 0)
#define HYPERVISOR_callback_op(cmd, arg)    HYPERCALL(__HYPERVISOR_callback_op, cmd, arg, 0, 0, 0)
#define HYPERVISOR_set_timer_op(t)          HYPERCALL(__HYPERVISOR_set_timer_op, t, 0, 0, 0, 0)
#define HYPERVISOR_vcpu_op(cmd, vcpu, arg)  HYPERCALL(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0)
#define HYPERVISOR_set_segment_base(w, b)   HYPERCALL(__HYPERVISOR_set_segment_base, w, b, 0, 0, 0)
#define HYPERVISOR_fpu_taskswitch(s)        HYPERCALL(__HYPERVISOR_fpu_taskswitch, s, 0, 0, 0, 0)
#define HYPERVISOR_xen_version(cmd, arg)    HYPERCALL(__HYPERVISOR_xen_version, cmd, arg, 0, 0, 0)

#endif
