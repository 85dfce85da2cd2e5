/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The wedge's entry points: Xen ELF notes, the boot entry, the hypercall
 * page, and the stubs between the guest and the wedge's C code.
 *
 * Invariants (docs/wedge.md, "Entering and leaving the wedge"):
 *  - the guest (and the fast stubs it calls) run in PV user mode; the
 *    wedge's C code runs in PV kernel mode on the wedge stack, events masked;
 *  - every way into the wedge (exception, event, syscall from the emulation
 *    stub) saves the guest context into g_regs; every way out is
 *    wedge_resume, an iret hypercall that restores it.
 */
#include "wedge-xen/layout.h"

#define MASK    WEDGE_UPCALL_MASK
#define PENDING WEDGE_UPCALL_PENDING

	.macro ELFNOTE type, desc:vararg
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f, 4f - 3f, \type
1:	.asciz "Xen"
2:	.balign 4
3:	\desc
4:	.balign 4
	.popsection
	.endm

	ELFNOTE 6,  .asciz "afterburner-wedge"        /* GUEST_OS */
	ELFNOTE 7,  .asciz "1"                        /* GUEST_VERSION */
	ELFNOTE 5,  .asciz "xen-3.0"                  /* XEN_VERSION */
	ELFNOTE 8,  .asciz "generic"                  /* LOADER */
	ELFNOTE 3,  .quad WEDGE_VIRT_BASE             /* VIRT_BASE */
	ELFNOTE 4,  .quad 0                           /* PADDR_OFFSET */
	ELFNOTE 1,  .quad _start                      /* ENTRY */
	ELFNOTE 2,  .quad hypercall_page              /* HYPERCALL_PAGE */
	ELFNOTE 10, .asciz "!writable_page_tables"    /* FEATURES */
	ELFNOTE 17, .long (1 << 11)                   /* SUPPORTED_FEATURES: dom0 */

	.text
	.globl _start
_start:
	cld
	movq %rsi, %rdi              /* start_info */
	movq %rsp, %rsi              /* Xen's boot stack: the bootstrap region's end */
	leaq wedge_stack_top(%rip), %rsp
	call wedge_main
	ud2

	.macro SAVE_MOST             /* all but rax, rcx, r11, rsp */
	movq %rdx, g_regs+GR_RDX(%rip)
	movq %rbx, g_regs+GR_RBX(%rip)
	movq %rbp, g_regs+GR_RBP(%rip)
	movq %rsi, g_regs+GR_RSI(%rip)
	movq %rdi, g_regs+GR_RDI(%rip)
	movq %r8,  g_regs+GR_R8(%rip)
	movq %r9,  g_regs+GR_R9(%rip)
	movq %r10, g_regs+GR_R10(%rip)
	movq %r12, g_regs+GR_R12(%rip)
	movq %r13, g_regs+GR_R13(%rip)
	movq %r14, g_regs+GR_R14(%rip)
	movq %r15, g_regs+GR_R15(%rip)
	.endm

/*
 * The guest runs in Xen PV *user* mode on its shadow page tables (the user
 * L4); the wedge runs in PV kernel mode on its own L4 and stack.  So every
 * exception, event and emulation reaches the wedge on the wedge stack, and
 * a fault on a guest stack the shadow does not map yet is an ordinary
 * guest page fault (in kernel mode Xen would have to write the bounce frame
 * onto that very stack and would crash the domain).
 */

/*
 * Generic emulation entry, reached by `call *slot` from a rewritten site,
 * in user mode: [return address] on the guest stack, mask = virtual IF.
 * Saves what syscall clobbers, and the mask, then enters the wedge.
 */
	.globl wedge_emul_entry
wedge_emul_entry:
	pushfq
	pushq %rcx
	pushq %r11
	movzbl MASK, %ecx
	pushq %rcx                   /* [mask][r11][rcx][flags][R] */
	syscall                      /* -> wedge_syscall_callback, events masked */
	.globl wedge_emul_syscall_ret
wedge_emul_syscall_ret:              /* the frame's rip: how the callback tells it */
	ud2

/*
 * Fast emulation entry, for kinds that only read or write the virtual CPU's
 * own state (mov from/to a segment register, mov from a control register,
 * rdmsr of a virtual MSR): reached by `call *slot` like wedge_emul_entry,
 * and emulated right here in the guest's context on its stack, with no
 * Xen entry.  The C side (wedge_fast_emulate) touches only the wedge's own
 * memory and the guest's tables through the physmap, never faults and
 * never makes a hypercall; what it cannot do (a memory operand, an MSR
 * that is not plain state, a fault to raise) goes the generic way.
 * [R] -> [F][rax][rcx][rdx][rbx][-][rbp][rsi][rdi][r8]...[r15][R]
 */
	.macro FAST_POP
	popq %rax
	popq %rcx
	popq %rdx
	popq %rbx
	leaq 8(%rsp), %rsp           /* the rsp slot */
	popq %rbp
	popq %rsi
	popq %rdi
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	popfq
	.endm

	.globl wedge_fast_entry
wedge_fast_entry:
	pushfq
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rdi
	pushq %rsi
	pushq %rbp
	pushq %rsp                   /* a slot only: the site's rsp is not an operand here */
	pushq %rbx
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq $2                     /* DF, AC, TF clear for the C code */
	popfq
	movq %rsp, %rdi              /* the saved registers, in x86 order */
	movq 17*8(%rsp), %rsi        /* the return address: which site */
	call wedge_fast_emulate
	testl %eax, %eax
	jz 1f
	FAST_POP
	ret
1:	FAST_POP
	jmp wedge_emul_entry

/* Xen's syscall bounce: [rcx][r11][rip][cs][rflags][rsp][ss] on the wedge
 * stack.  From the guest's user mode (a system call) the frame is the
 * state; from wedge_emul_entry the guest's own values are on its stack
 * (see above). */
	.globl wedge_syscall_callback
wedge_syscall_callback:
	movq %rax, g_regs+GR_RAX(%rip)
	movq 24(%rsp), %rax          /* cs: FLAT_USER_CS32 from compat mode (syscall32) */
	movq %rax, g_frame_cs(%rip)
	movq 48(%rsp), %rax          /* ss: Xen's flat one */
	movq %rax, g_frame_ss(%rip)
	movq 0(%rsp), %rax           /* rcx, r11: what syscall left (rip, flags) */
	movq %rax, g_regs+GR_RCX(%rip)
	movq 8(%rsp), %rax
	movq %rax, g_regs+GR_R11(%rip)
	movq 16(%rsp), %rax
	movq %rax, g_regs+GR_RIP(%rip)
	movq 32(%rsp), %rax
	movq %rax, g_regs+GR_RFLAGS(%rip)
	movq 40(%rsp), %rax
	movq %rax, g_regs+GR_RSP(%rip)
	SAVE_MOST
	leaq wedge_stack_top(%rip), %rsp
	cld                          /* Xen clears DF here; the other entries: below */
	call wedge_syscall_entry
	jmp wedge_resume

/*
 * Resume g_regs in user mode with upcall mask g_next_mask, through the iret
 * hypercall (which restores the mask from the frame's IF and delivers any
 * event pending on the way out), with the CS and SS resume_prepare chose:
 * the guest's own in its user mode (mirrored descriptors), else Xen's
 * 64-bit or 32-bit flat user CS as the guest's CS is.
 */
	.globl wedge_resume
wedge_resume:
	leaq wedge_stack_top(%rip), %rsp
	call resume_prepare
	pushq g_resume_ss(%rip)      /* the guest's SS, or FLAT_USER_SS */
	pushq g_regs+GR_RSP(%rip)
	movq g_regs+GR_RFLAGS(%rip), %rax
	orq $0x200, %rax
	cmpb $0, g_next_mask(%rip)
	je 1f
	andq $~0x200, %rax
1:	pushq %rax
	pushq g_resume_cs(%rip)      /* the guest's CS, or FLAT_USER_CS64/CS32: user mode */
	cmpb $0, g_resume_fused(%rip)
	jne 2f
	pushq g_regs+GR_RIP(%rip)
	jmp 3f
2:	leaq resume_tramp(%rip), %rax   /* reloads rdi, rsi, rax, then the guest's rip */
	pushq %rax
3:	pushq $0                     /* flags: not VGCF_in_syscall, restore all */
	movq g_regs+GR_RDX(%rip), %rdx
	movq g_regs+GR_RBX(%rip), %rbx
	movq g_regs+GR_RBP(%rip), %rbp
	movq g_regs+GR_RSI(%rip), %rsi
	movq g_regs+GR_RDI(%rip), %rdi
	movq g_regs+GR_R8(%rip), %r8
	movq g_regs+GR_R9(%rip), %r9
	movq g_regs+GR_R10(%rip), %r10
	movq g_regs+GR_R12(%rip), %r12
	movq g_regs+GR_R13(%rip), %r13
	movq g_regs+GR_R14(%rip), %r14
	movq g_regs+GR_R15(%rip), %r15
	movq g_regs+GR_RCX(%rip), %rcx
	movq g_regs+GR_R11(%rip), %r11
	movq g_regs+GR_RAX(%rip), %rax
	cmpb $0, g_resume_fused(%rip)
	jne 4f
	jmp hypercall_page + 23 * 32 /* __HYPERVISOR_iret */
	/* The multicall whose last entry is the iret (resume_prepare): the
	 * frame as the iret stub of the hypercall page leaves it ([rax][r11]
	 * [rcx] on top), then the multicall by hand, its arguments in rdi and
	 * rsi, which resume_tramp restores, and rax too: Xen returns the
	 * iret's rax as the multicall's result, through an int (Xen 4.17
	 * common/multicall.c), so its upper half is lost. */
4:	pushq %rcx
	pushq %r11
	pushq %rax
	leaq resume_mc(%rip), %rdi
	movl resume_mc_n(%rip), %esi
	movl $13, %eax               /* __HYPERVISOR_multicall */
	syscall
	ud2                          /* the iret does not return */

/*
 * Runs in the guest's context (PV user mode, the kernel shadow, which maps
 * the wedge's image) right after a fused exit: no flags, no stack touched.
 */
	.globl resume_tramp, resume_tramp_end
resume_tramp:
	movq resume_slot+0(%rip), %rdi
	movq resume_slot+8(%rip), %rsi
	movq resume_slot+16(%rip), %rax
	jmp *resume_slot+24(%rip)
resume_tramp_end:

/*
 * Fast stubs (user mode, no wedge state touched): pushf, popf and the STI
 * pending check.  Their slow paths go through wedge_emul_entry.
 */
	/* STI: [R]; unmask, then take the slow path if an event is pending. */
	.globl wedge_sti_check
wedge_sti_check:
	movb $0, MASK
	pushfq
	cmpb $0, PENDING
	jne 1f
	popfq
	ret
1:	popfq
	jmp wedge_emul_entry         /* emulates the STI site: delivers what is pending */

	/* PUSHF: [R] -> push the flags with IF = !mask. */
	.globl wedge_pushf
wedge_pushf:
	pushfq                       /* [F][R] */
	pushq (%rsp)                 /* [F][F][R] */
	pushq 16(%rsp)               /* [R][F][F][R] */
	pushq %rax                   /* [A][R][F][F][R] */
	movq 24(%rsp), %rax
	orq $0x200, %rax
	testb $1, MASK
	jz 1f
	andq $~0x200, %rax
1:	movq %rax, 32(%rsp)          /* [A][R][F][F][F'] */
	movq 8(%rsp), %rax
	movq %rax, 24(%rsp)          /* [A][R][F][R][F'] */
	movq (%rsp), %rax
	leaq 16(%rsp), %rsp          /* [F][R][F'] */
	popfq
	ret

	/* POPF: [R][V] -> flags = V, mask = !V.IF; unmasking with an event
	 * pending goes the slow way. */
	.globl wedge_popf
wedge_popf:
	testl $0x100, 8(%rsp)        /* TF: the single step must trap after the */
	jnz wedge_emul_entry         /* guest's next instruction: resume by iret */
	pushq %rax                   /* [A][R][V] */
	testl $0x200, 16(%rsp)
	jz 2f
	movb $0, MASK
	cmpb $0, PENDING
	jne 3f
	jmp 4f
2:	movb $1, MASK
4:	movq 8(%rsp), %rax
	xchgq %rax, 16(%rsp)         /* [A][R][R], rax = V */
	movq %rax, 8(%rsp)           /* [A][V][R] */
	popq %rax
	popfq
	ret
3:	movb $1, MASK                /* back to the state at the call: [R][V] */
	popq %rax
	jmp wedge_emul_entry

/*
 * Xen event upcall: [rcx][r11][rip][cs][rflags][rsp][ss], events masked.
 */
	.globl wedge_event_callback
wedge_event_callback:
	movq %rax, g_regs+GR_RAX(%rip)
	movq 24(%rsp), %rax
	movq %rax, g_frame_cs(%rip)
	movq 48(%rsp), %rax
	movq %rax, g_frame_ss(%rip)
	popq g_regs+GR_RCX(%rip)
	popq g_regs+GR_R11(%rip)
	popq g_regs+GR_RIP(%rip)
	popq %rax                    /* cs */
	popq g_regs+GR_RFLAGS(%rip)
	popq g_regs+GR_RSP(%rip)
	popq %rax                    /* ss */
	SAVE_MOST
	leaq wedge_stack_top(%rip), %rsp
	cld                          /* the guest's DF: the C code needs it clear */
	call resume_tramp_fixup
	call wedge_event_upcall
	jmp wedge_resume

	.globl wedge_failsafe_callback
wedge_failsafe_callback:            /* [rcx][r11][ds][es][fs][gs][rip][cs][rflags][rsp][ss] */
	movq %rsp, %rdi
	leaq wedge_stack_top(%rip), %rsp
	cld
	call wedge_failsafe
	ud2

/*
 * Exceptions (trap table, events masked on entry):
 * [rcx][r11]([error])[rip][cs][rflags][rsp][ss].
 */
	.macro EXC vec, err
	.globl wedge_exc_\vec
wedge_exc_\vec:
	movq %rax, g_regs+GR_RAX(%rip)
	movq $\vec, %rax
	.if \err
	jmp exc_common_err
	.else
	jmp exc_common_noerr
	.endif
	.endm
	EXC 0,0; EXC 1,0; EXC 2,0; EXC 3,0; EXC 4,0; EXC 5,0; EXC 6,0; EXC 7,0
	EXC 8,1; EXC 9,0; EXC 10,1; EXC 11,1; EXC 12,1; EXC 13,1; EXC 14,1
	EXC 15,0; EXC 16,0; EXC 17,1; EXC 18,0; EXC 19,0

exc_common_err:
	movq %rax, g_exc_vector(%rip)
	movq 32(%rsp), %rax
	movq %rax, g_frame_cs(%rip)
	movq 56(%rsp), %rax
	movq %rax, g_frame_ss(%rip)
	popq g_regs+GR_RCX(%rip)
	popq g_regs+GR_R11(%rip)
	popq g_exc_error(%rip)
	movq $1, g_exc_has_error(%rip)
	jmp 1f
exc_common_noerr:
	movq %rax, g_exc_vector(%rip)
	movq 24(%rsp), %rax
	movq %rax, g_frame_cs(%rip)
	movq 48(%rsp), %rax
	movq %rax, g_frame_ss(%rip)
	popq g_regs+GR_RCX(%rip)
	popq g_regs+GR_R11(%rip)
	movq $0, g_exc_has_error(%rip)
1:	popq g_regs+GR_RIP(%rip)
	popq %rax                    /* cs */
	popq g_regs+GR_RFLAGS(%rip)
	popq g_regs+GR_RSP(%rip)
	popq %rax                    /* ss */
	SAVE_MOST
	leaq wedge_stack_top(%rip), %rsp
	/* Xen's exception bounce keeps the guest's DF (it clears TF, NT, AC,
	 * RF): a process that sets DF and then faults, or makes a system call
	 * with int $0x80, would run the wedge's C code (rep movs/stos) with
	 * DF set */
	cld
	call resume_tramp_fixup
	call wedge_exception
	jmp wedge_resume

/* Forced-emulation cpuid: Xen answers with the domain's CPUID policy. */
	.globl xen_cpuid
xen_cpuid:                   /* (leaf, subleaf, u32 out[4]) */
	pushq %rbx
	movl %edi, %eax
	movl %esi, %ecx
	movq %rdx, %r8
	ud2
	.ascii "xen"
	cpuid
	movl %eax, 0(%r8)
	movl %ebx, 4(%r8)
	movl %ecx, 8(%r8)
	movl %edx, 12(%r8)
	popq %rbx
	ret

	.balign 4096
	.globl hypercall_page
hypercall_page:
	.skip 4096

	.bss
	.balign 16
	.globl wedge_stack
wedge_stack:
	.skip WEDGE_STACK_SIZE
	.globl wedge_stack_top
wedge_stack_top:
	.balign 8
	.globl g_exc_vector, g_exc_error, g_exc_has_error, g_frame_cs, g_frame_ss
g_frame_cs:	.quad 0
g_frame_ss:	.quad 0
g_exc_vector:	.quad 0
g_exc_error:	.quad 0
g_exc_has_error: .quad 0
