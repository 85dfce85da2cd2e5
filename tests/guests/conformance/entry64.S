/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 64-bit entry of the conformance guest, entered like Linux's startup_64:
 * long mode, paging on with the image identity mapped, interrupts off,
 * %rsi = boot_params (0 when booted by multiboot).  Built with afterburn-as.
 */
	.text
	.globl startup_64
startup_64:
	cli
	leaq stack_top(%rip), %rsp
	movq %rsi, %r12
	/* clear bss */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	movq %r12, %rdi
	call conformance_main
1:	cli
	hlt
	jmp 1b

/* Reload CS with a far return (lretq is a sensitive, rewritten site). */
	.globl reload_cs
reload_cs:
	popq %rax                 /* return address */
	pushq %rdi                /* new CS */
	pushq %rax
	lretq

/* Timer interrupt (PIC IRQ0 at vector 0x20): count and EOI. */
	.globl irq0_entry
irq0_entry:
	pushq %rax
	incq timer_ticks(%rip)
	movb $0x20, %al
	outb %al, $0x20
	popq %rax
	iretq

/* UART IRQ4 at vector 0x24: reading IIR acknowledges THR empty. */
	.globl irq4_entry
irq4_entry:
	pushq %rax
	pushq %rdx
	incq uart_irqs(%rip)
	movw $0x3fa, %dx
	inb %dx, %al
	movb %al, uart_last_iir(%rip)
	movb $0x20, %al
	outb %al, $0x20
	popq %rdx
	popq %rax
	iretq

/* Local APIC interrupts (group apic): count, keep the ISR word of vector
 * 0x40 as the handler sees it, EOI through the APIC page at KTEST+0x9000. */
	.globl apic_timer_entry
apic_timer_entry:
	pushq %rax
	pushq %rdx
	incq apic_timer_irqs(%rip)
	movabsq $0x10000009000, %rdx
	movl 0x120(%rdx), %eax
	movl %eax, apic_isr_in_handler(%rip)
	movl $0, 0xb0(%rdx)
	popq %rdx
	popq %rax
	iretq

	.globl apic_ipi_entry
apic_ipi_entry:
	pushq %rdx
	incq apic_ipi_irqs(%rip)
	movabsq $0x10000009000, %rdx
	movl $0, 0xb0(%rdx)
	popq %rdx
	iretq

/* Spurious IRQ7: no EOI. */
	.globl irq7_entry
irq7_entry:
	incq spurious_irqs(%rip)
	iretq

/* Expected exceptions and software interrupts: count them and keep the
 * frame's CS and RFLAGS for the checks. */
	.globl ud_entry
ud_entry:                     /* #UD from ud2: resume after the 2 bytes */
	incq ud_count(%rip)
	pushq %rax
	movq 16(%rsp), %rax
	movq %rax, trap_frame_cs(%rip)
	movq 24(%rsp), %rax
	movq %rax, trap_frame_flags(%rip)
	popq %rax
	addq $2, (%rsp)
	iretq

	.globl bp_entry
bp_entry:                     /* #BP from int3: a trap, rip is already past it */
	incq bp_count(%rip)
	iretq

	.globl soft_int_entry
soft_int_entry:               /* int $0x30 */
	incq soft_int_count(%rip)
	pushq %rax
	movq 16(%rsp), %rax
	movq %rax, trap_frame_cs(%rip)
	movq 24(%rsp), %rax
	movq %rax, trap_frame_flags(%rip)
	popq %rax
	iretq

/* Unexpected exception: vector in %rdi, frame pointer in %rsi. */
	.macro exc vec
	.globl exc_entry_\vec
exc_entry_\vec:
	movq $\vec, %rdi
	movq %rsp, %rsi
	jmp unexpected_exception
	.endm
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
	exc \v
	.endr

	.bss
	.align 16
	.skip 16384
stack_top:

/* ---- the new groups (aspace, pagefault, usermode, nested, fpu, stress) ----
 * A full entry saves every general register in a struct frame (see
 * conformance.c) and calls a C handler with it; the handler may change the
 * frame (rip, rsp, rax) or leave the user program through user_exit. */
	.text
	.macro full_entry name, handler, has_err, vec=0
	.globl \name
\name:
	.if \has_err == 0
	pushq $0
	.endif
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movl $\vec, %esi          /* the vector, for handlers shared by several */
	movq %rsp, %rbp
	andq $-16, %rsp
	call \handler
	movq %rbp, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp             /* error code */
	iretq
	.endm

/* Linux's interrupt entry pattern: swapgs when the frame's CS is ring 3, on
 * the way in and on the way out. */
	.globl timer_swapgs_entry
timer_swapgs_entry:
	testb $3, 8(%rsp)
	jz 1f
	swapgs
1:	pushq $0
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbp
	andq $-16, %rsp
	call timer_gs_handler
	movq %rbp, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp
	testb $3, 8(%rsp)
	jz 2f
	swapgs
2:	iretq

	full_entry nm_full_entry, nm_handler, 0
	full_entry gp_full_entry, gp_handler, 1
	full_entry pf_full_entry, pf_handler, 1
	full_entry timer_full_entry, timer_handler, 0
	full_entry int80_full_entry, int80_handler, 0
	/* group exceptions: one entry per vector into exc_handler(frame, vector) */
	full_entry exc_full_0, exc_handler, 0, 0
	full_entry exc_full_1, exc_handler, 0, 1
	full_entry exc_full_3, exc_handler, 0, 3
	full_entry exc_full_6, exc_handler, 0, 6
	full_entry exc_full_12, exc_handler, 1, 12
	full_entry exc_full_13, exc_handler, 1, 13
	full_entry exc_full_16, exc_handler, 0, 16
	full_entry exc_full_0x81, exc_handler, 0, 0x81
	full_entry exc_full_0x85, exc_handler, 0, 0x85

/* Kernel-mode exception probes: *_insn faults, the handler resumes at *_done. */
	.globl probe_div0, probe_div0_insn, probe_div0_done
probe_div0:                   /* u64 probe_div0(u64 divisor): -1 when skipped */
	movq $-1, %rax
	movq %rdi, %rcx
	xorl %edx, %edx
probe_div0_insn:
	divq %rcx
probe_div0_done:
	ret

/* Single step: popf sets TF; the trap comes after the instruction that
 * follows the popf, with rip = probe_step_after. */
	.globl probe_step, probe_step_first, probe_step_after
probe_step:
	pushfq
	orq $0x100, (%rsp)
	popfq                     /* a site: its pad of NOPs follows on bare metal */
probe_step_first:
	incq %rax
probe_step_after:
	incq %rax
	pushfq
	andq $~0x100, (%rsp)
	popfq
	ret

/* #MF: an unmasked x87 zero divide is reported at the next waiting x87
 * instruction (probe_mf_insn); the handler clears it with fnclex. */
	.globl probe_mf, probe_mf_insn
probe_mf:
	subq $8, %rsp
	fninit
	movw $0x37b, (%rsp)       /* control word: all masked but ZM */
	fldcw (%rsp)
	fld1
	fldz
	fdivrp                    /* 1/0: ZE pending */
probe_mf_insn:
	fwait
	fninit
	addq $8, %rsp
	ret

/* u64 enter_user_sysret(rip, rsp, arg0, arg1, arg2) and enter_user_lret:
 * as enter_user, entering ring 3 with sysretq / lretq instead of iretq. */
	.globl enter_user_sysret
enter_user_sysret:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, enter_user_saved_rsp(%rip)
	movq %rdi, %rax           /* user rip */
	movq %rsi, %r10           /* user rsp */
	movq %rdx, %rdi
	movq %rcx, %rsi
	movq %r8, %rdx
	movq %rax, %rcx           /* sysretq: rip from rcx */
	movl $0x202, %r11d        /* rflags from r11: IF */
	movq %r10, %rsp           /* the user stack (IF is clear here) */
	xorl %eax, %eax
	xorl %r10d, %r10d
	sysretq

	.globl enter_user_lret
enter_user_lret:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, enter_user_saved_rsp(%rip)
	pushq $0x33               /* ss */
	pushq %rsi                /* rsp */
	pushq $0x3b               /* cs */
	pushq %rdi                /* rip */
	movq %rdx, %rdi
	movq %rcx, %rsi
	movq %r8, %rdx
	xorl %eax, %eax
	sti                       /* lret keeps RFLAGS: IF for ring 3 (the sti shadow covers lretq) */
	lretq

/* syscall from user mode: the CPU loaded CS/SS from STAR and masked the
 * flags with SFMASK, rcx = user rip, r11 = user rflags, rsp still the
 * user's.  Build the same struct frame as an exception (cs/ss slots 0) on
 * the kernel stack (the TSS.RSP0 stack) and return with sysretq. */
	.globl syscall_entry
syscall_entry:
	movq %rsp, syscall_user_rsp(%rip)
	movq kernel_stack_top(%rip), %rsp
	pushq $0                  /* pad: keeps the C call 16-byte aligned */
	pushq $0                  /* ss */
	pushq syscall_user_rsp(%rip)
	pushq %r11                /* rflags */
	pushq $0                  /* cs */
	pushq %rcx                /* rip */
	pushq $0                  /* error code */
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call syscall_handler      /* the stack is 16-byte aligned here */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp             /* error code */
	cmpb $0, syscall_exit_iret(%rip)
	jne 1f
	popq %rcx                 /* rip (the handler may have changed it) */
	addq $8, %rsp             /* cs */
	popq %r11                 /* rflags */
	popq %rsp                 /* user rsp */
	sysretq
1:	movb $0, syscall_exit_iret(%rip)
	iretq                     /* the handler filled in cs and ss: every register restored (sigreturn) */

/* The same with swapgs on the way in and out (Linux's pattern): the kernel
 * runs on its GS base while the user program has its own. */
	.globl syscall_entry_swapgs
syscall_entry_swapgs:
	swapgs
	movq %rsp, syscall_user_rsp(%rip)
	movq kernel_stack_top(%rip), %rsp
	pushq $0                  /* pad */
	pushq $0                  /* ss */
	pushq syscall_user_rsp(%rip)
	pushq %r11
	pushq $0
	pushq %rcx
	pushq $0
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call syscall_handler
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp
	popq %rcx
	addq $8, %rsp
	popq %r11
	popq %rsp
	swapgs
	sysretq

/* u64 enter_user(u64 rip, u64 rsp, u64 arg0, u64 arg1, u64 arg2):
 * iretq to ring 3 (CS 0x3b, SS 0x33, IF set) with rdi/rsi/rdx = arg0-2;
 * returns the status given to user_exit when the user program ends. */
	.globl enter_user
enter_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, enter_user_saved_rsp(%rip)
	pushq $0x33               /* ss */
	pushq %rsi                /* rsp */
	pushq $0x202              /* rflags: IF */
	pushq $0x3b               /* cs */
	pushq %rdi                /* rip */
	movq %rdx, %rdi
	movq %rcx, %rsi
	movq %r8, %rdx
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	iretq

/* void user_exit(u64 status): from any kernel context entered from the user
 * program (syscall, interrupt, exception): back to enter_user's caller. */
	.globl user_exit
user_exit:
	movq enter_user_saved_rsp(%rip), %rsp
	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* Probes: one instruction at a known address (probe_*_insn) that may fault;
 * a #PF/#GP handler asked to skip it resumes at probe_*_done. */
	.globl probe_read, probe_read_insn, probe_read_done
probe_read:                   /* u64 probe_read(u64 addr): -1 when skipped */
	movq $-1, %rax
probe_read_insn:
	movq (%rdi), %rax
probe_read_done:
	ret

	.globl probe_write, probe_write_insn, probe_write_done
probe_write:                  /* void probe_write(u64 addr, u64 value) */
probe_write_insn:
	movq %rsi, (%rdi)
probe_write_done:
	ret

/* FPU probes: the instruction at *_insn is the one #NM interrupts. */
	.globl fpu_sse_add
fpu_sse_add:                  /* u64 fpu_sse_add(u64 a, u64 b): a+b via paddq */
	movq %rdi, %xmm0          /* the first SSE instruction: #NM here when TS is set */
	movq %rsi, %xmm1
	paddq %xmm1, %xmm0
	movq %xmm0, %rax
	ret

	.globl fpu_x87_insn, fpu_x87_one_plus_one
fpu_x87_one_plus_one:         /* u64 fpu_x87_one_plus_one(void): 1.0+1.0 stored by fistp */
	subq $8, %rsp
fpu_x87_insn:                 /* the first x87 instruction */
	fld1
	fld1
	faddp
	fistpq (%rsp)
	popq %rax
	ret

	.globl fpu_set_xmm2, fpu_get_xmm2
fpu_set_xmm2:
	movq %rdi, %xmm2
	ret
fpu_get_xmm2:
	movq %xmm2, %rax
	ret

	.data
	.align 8
	.globl kernel_stack_top, syscall_exit_iret
kernel_stack_top:	.quad 0
syscall_exit_iret:	.byte 0
	.align 8      /* = TSS.RSP0 while a user program runs */
syscall_user_rsp:	.quad 0
enter_user_saved_rsp:	.quad 0

/* ---- issue 26: descriptor probes, bad iret frames, compat mode, string
 * I/O, breakpoints, far transfers (groups descriptors, compat, devices,
 * breakpoints, farinsn) ---- */
	.text
	/* u64 probe_lar(u64 sel, u64 preset): the 32-bit result (preset when
	 * ZF is clear), bit 63 = ZF; probe_lsl likewise */
	.globl probe_lar, probe_lsl, probe_verr, probe_verw
probe_lar:
	movq %rsi, %rax
	lar %di, %eax
	jmp 1f
probe_lsl:
	movq %rsi, %rax
	lsl %di, %eax
1:	setz %cl
	movzbq %cl, %rcx
	shlq $63, %rcx
	orq %rcx, %rax
	ret
	/* u64 probe_verr(u64 sel), probe_verw(u64 sel): ZF */
probe_verr:
	xorl %eax, %eax
	verr %di
	setz %al
	ret
probe_verw:
	xorl %eax, %eax
	verw %di
	setz %al
	ret

	/* u64 verw_odd_stack(u64 sel): verw with a non-canonical stack
	 * pointer, as Linux's exit path runs it after `pop %rsp` on the
	 * user's stack: it must not touch the stack.  Interrupts off. */
	.globl verw_odd_stack
verw_odd_stack:
	movq %rsp, %rsi
	movabsq $0x8000000000001000, %rsp
	xorl %eax, %eax
	verw %di
	setz %al
	movq %rsi, %rsp
	ret

	/* u64 iret_probe(u64 cs, u64 ss): iretq to the next instruction with
	 * this CS and SS; 0 when it went through, -1 when a #GP handler
	 * resumed at iret_probe_done */
	.globl iret_probe, iret_probe_insn, iret_probe_done
iret_probe:
	movq %rsp, %rax
	pushq %rsi
	pushq %rax
	pushfq
	pushq %rdi
	leaq 1f(%rip), %rax
	pushq %rax
iret_probe_insn:
	iretq
1:	xorl %eax, %eax
	ret
iret_probe_done:
	addq $40, %rsp
	movq $-1, %rax
	ret

	/* u64 enter_user32(u64 eip, u64 esp): iretq into compat mode (CS
	 * 0x2b, a 32-bit DPL-3 code segment), returns the exit status */
	.globl enter_user32
enter_user32:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, enter_user_saved_rsp(%rip)
	pushq $0x33               /* ss */
	pushq %rsi                /* rsp */
	pushq $0x202              /* rflags: IF */
	pushq $0x2b               /* cs: code32, DPL 3 */
	pushq %rdi                /* rip */
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	iretq

	/* CSTAR: `syscall` from compat mode; back by sysretl */
	.globl compat_syscall_entry
compat_syscall_entry:
	movq %rcx, compat_sys_rcx(%rip)
	movq %rbx, compat_sys_ebx(%rip)
	incq compat_sys_count(%rip)
	sysretl

	/* rep outsb / rep insb: (port, buffer, count) */
	.globl outsb_rep, insb_rep
outsb_rep:
	movq %rdx, %rcx
	movl %edi, %edx
	rep outsb
	ret
insb_rep:
	movq %rdi, %r8
	movq %rsi, %rdi
	movq %rdx, %rcx
	movl %r8d, %edx
	rep insb
	ret

	/* breakpoint targets */
	.globl bp_exec_target, bp_data_write, bp_data_after
bp_exec_target:
	nop
	ret
bp_data_write:                /* void bp_data_write(u32 *p): *p = 1 */
	movl $1, (%rdi)
bp_data_after:
	ret

	/* far transfers through m16:32 pointers to CS 0x08 */
	.globl far_call_probe, far_jmp_probe
far_call_probe:               /* u64: 0x5a5a from lcall and lretl */
	xorl %eax, %eax
	lcall *far_call_ptr(%rip)
	ret
far_call_target:
	movl $0x5a5a, %eax
	lretl
far_jmp_probe:                /* u64: 0x7b7b from ljmp */
	xorl %eax, %eax
	ljmp *far_jmp_ptr(%rip)
far_jmp_back:
	ret
far_jmp_target:
	movl $0x7b7b, %eax
	jmp far_jmp_back

	/* rdpmc and xgetbv: *_insn faults, the handler resumes at *_done */
	.globl probe_rdpmc, probe_rdpmc_insn, probe_rdpmc_done
probe_rdpmc:
	movq $-1, %rax
	xorl %ecx, %ecx
probe_rdpmc_insn:
	rdpmc
probe_rdpmc_done:
	ret
	.globl probe_xgetbv, probe_xgetbv_insn, probe_xgetbv_done
probe_xgetbv:
	movq $-1, %rax
	xorl %ecx, %ecx
probe_xgetbv_insn:
	xgetbv
probe_xgetbv_done:
	ret

	.data
	.balign 8
far_call_ptr:	.long far_call_target
	.word 0x08
	.balign 8
far_jmp_ptr:	.long far_jmp_target
	.word 0x08

/* The compat-mode program: 32-bit code, mapped user accessible at
 * 0x80000000 (below 4 GiB), in a non-executable input section like the
 * ring-3 program.  `.byte 0x40` is inc %eax in 32-bit code and a REX
 * prefix in 64-bit code: each report says which mode the code ran in. */
#define SYS_COMPAT 11
	.section .user32, "aw"
	.balign 4096
	.globl user32_start, u32_syscall_ret
	.code32
user32_start:
	xorl %eax, %eax
	.byte 0x40
	nop
	movl %eax, %ebx
	movl $SYS_COMPAT, %eax
	int $0x80                 /* report 1 */
	xorl %eax, %eax
	.byte 0x40
	nop
	movl %eax, %ebx
	movl $SYS_COMPAT, %eax
	int $0x80                 /* report 2: after the kernel's iretq back */
	movl $0x5eca11, %ebx
	syscall                   /* CSTAR, back by sysretl */
u32_syscall_ret:
	xorl %eax, %eax
	.byte 0x40
	nop
	movl %eax, %ebx
	movl $SYS_COMPAT, %eax
	int $0x80                 /* report 3 */
	movl $0x32, %edi
	movl $0, %eax             /* SYS_EXIT */
	int $0x80
	ud2

/* User-mode far transfers: 64-bit ring-3 code (CS 0x3b) returns far into
 * the 32-bit segment (0x2b), which jumps far back to 0x3b: no kernel in
 * between (Xen's GDT has neither selector: the wedge does them). */
	.code64
	.globl user64_to32
user64_to32:
	pushq $0x2b
	leaq u32_from64(%rip), %rax
	pushq %rax
	lretq
	.code32
u32_from64:
	xorl %eax, %eax
	.byte 0x40
	nop
	movl %eax, %ebx
	movl $SYS_COMPAT, %eax
	int $0x80                 /* report: 1, 32-bit code */
	ljmp $0x3b, $(0x80000000 + u64_back - user32_start)
	.code64
u64_back:
	xorl %eax, %eax
	.byte 0x40
	nop
	movl %eax, %ebx
	movl $SYS_COMPAT, %eax
	int $0x80                 /* report: 0, 64-bit code again */
	movl $0x64, %edi
	movl $0, %eax             /* SYS_EXIT */
	int $0x80
	ud2
	.balign 4096

/* ---- the user program (ring 3) ----
 * In a non-executable *input* section, so afterburn-as leaves it alone (it
 * warns that the cli/hlt/int/mov-cr in it are not annotated: on purpose,
 * in guest user mode they must trap, #GP, or run natively, never be
 * emulated as kernel sites).  The linker script places it page aligned in
 * the executable load segment; the guest maps those pages at USER_BASE,
 * user accessible, so the code is position independent.
 * Entered with rdi = mode, rsi = count/argument, rdx = user data page. */
#define SYS_EXIT   0
#define SYS_ADD    1
#define SYS_CHECK  2
#define SYS_COPYIN 3
#define SYS_COPYOUT 4
#define SYS_SWITCH 5
#define SYS_PROBE  6
#define SYS_SEGS   7
#define SYS_RAISE  8
#define SYS_SIGRETURN 9
#define SYS_SLEEP  10
	.section .user_text, "aw"
	.balign 4096
	.globl user_text_start, user_main, u_cli, u_hlt, u_mov_cr3, u_in, u_int30, u_read, u_write, u_fpu
	.globl u_int85_after, u_load, u_store, u_sighandler, u_int40
	.globl u_div0_insn, u_ud2, u_sysprobe, u_int3_after, u_step_after, u_ss_insn, u_int81_after
user_text_start:
user_main:
	movq %rdx, %r15           /* data page */
	movq %rsi, %r14           /* count */
	xorl %r13d, %r13d         /* errors */
	cmpq $1, %rdi; je u_syscalls
	cmpq $2, %rdi; je u_cli
	cmpq $3, %rdi; je u_hlt
	cmpq $4, %rdi; je u_mov_cr3
	cmpq $5, %rdi; je u_in
	cmpq $6, %rdi; je u_int30
	cmpq $7, %rdi; je u_read
	cmpq $8, %rdi; je u_write
	cmpq $9, %rdi; je u_jump
	cmpq $10, %rdi; je u_spin_ticks
	cmpq $11, %rdi; je u_stress
	cmpq $12, %rdi; je u_fpu
	cmpq $13, %rdi; je u_div0
	cmpq $14, %rdi; je u_ud2
	cmpq $15, %rdi; je u_int3
	cmpq $16, %rdi; je u_step
	cmpq $17, %rdi; je u_ss
	cmpq $19, %rdi; je u_int81
	cmpq $20, %rdi; je u_load
	cmpq $21, %rdi; je u_store
	cmpq $22, %rdi; je u_flags
	cmpq $23, %rdi; je u_popf_if
	cmpq $24, %rdi; je u_cs
	cmpq $25, %rdi; je u_sysprobe
	cmpq $26, %rdi; je u_sysprobe_w
	cmpq $27, %rdi; je u_deep
	cmpq $28, %rdi; je u_segs
	cmpq $29, %rdi; je u_int85
	cmpq $30, %rdi; je u_preempt
	cmpq $31, %rdi; je u_signal
	cmpq $32, %rdi; je u_sleep
	cmpq $33, %rdi; je u_fpuproc
	cmpq $34, %rdi; je u_int40
	cmpq $35, %rdi; je u_gsloop
	cmpq $36, %rdi; je u_selectors
	movq $0xbad0, %rdi
	jmp u_exit

/* r14 syscalls and r14 int $0x80 of ADD, then CHECK (entry state), COPYIN,
 * COPYOUT; exit(errors). */
u_syscalls:
	xorl %r12d, %r12d
1:	movl $SYS_ADD, %eax
	movq %r12, %rdi
	movq $0x1000, %rsi
	syscall
	leaq 0x1000(%r12), %rbx
	cmpq %rax, %rbx
	je 2f
	incq %r13
2:	movl $SYS_ADD, %eax
	movq %r12, %rdi
	movq $0x2000, %rsi
	int $0x80
	leaq 0x2000(%r12), %rbx
	cmpq %rax, %rbx
	je 3f
	incq %r13
3:	incq %r12
	cmpq %r14, %r12
	jb 1b
	/* CHECK by syscall: the kernel compares rcx with rdi, the user rsp with rsi */
	movl $SYS_CHECK, %eax
	leaq 4f(%rip), %rdi
	movq %rsp, %rsi
	syscall
4:	addq %rax, %r13           /* the kernel returns its error count */
	movl $SYS_CHECK, %eax
	leaq 5f(%rip), %rdi
	movq %rsp, %rsi
	int $0x80
5:	addq %rax, %r13
	/* COPYIN: the kernel reads a string from this page */
	movabsq $0x3e2d336e6769722e, %rax   /* ".ring3->" */
	movq %rax, 256(%r15)
	movl $SYS_COPYIN, %eax
	leaq 256(%r15), %rdi
	syscall
	addq %rax, %r13
	/* COPYOUT: the kernel writes a value into this page */
	movl $SYS_COPYOUT, %eax
	leaq 264(%r15), %rdi
	syscall
	movabsq $0x336e69722d3e306c, %rbx
	cmpq 264(%r15), %rbx
	je 6f
	incq %r13
6:	movq %r13, %rdi
	jmp u_exit

/* Privileged instructions: each must end the program with a #GP. */
u_cli:	cli
	jmp u_survived
u_hlt:	hlt
	jmp u_survived
u_mov_cr3:
	movq %cr3, %rax
	jmp u_survived
u_in:	inb $0x21, %al
	jmp u_survived
u_int30:
	int $0x30                 /* gate DPL 0: #GP with the IDT error code */
	jmp u_survived
u_int40:
	int $0x40                 /* not present, DPL 0 (QEMU's error code 0x402 reads as gate 0x80) */
	jmp u_survived
u_survived:
	movq $0xdead, %rdi
	jmp u_exit

/* Memory access at r14: must fault (#PF) and end the program. */
u_read:	movq (%r14), %rax
	jmp u_survived
u_write:
	movq %r14, (%r14)
	jmp u_survived
u_jump:	jmp *%r14

/* Spin until the kernel's count of timer ticks taken in user mode (data
 * page word 0) reaches r14; give up after 2^32 loops without a new tick. */
u_spin_ticks:
	movq (%r15), %rbx
	movl $1, %ecx
	shlq $32, %rcx
1:	movq (%r15), %rax
	cmpq %r14, %rax
	jae 3f
	cmpq %rax, %rbx
	je 2f
	movq %rax, %rbx           /* progress: restart the budget */
	movl $1, %ecx
	shlq $32, %rcx
2:	pause
	decq %rcx
	jnz 1b
	movq $0xdead, %rdi
	jmp u_exit
3:	xorl %edi, %edi
	jmp u_exit

/* Stress: r14 rounds of 10 ADD syscalls and one SWITCH (the kernel loads
 * the other address space's cr3 and returns its id, which the page at
 * USER_BASE+0x300000 must show), then spin until data word 0 (ticks) reaches
 * data word 1 (the target).  exit(errors). */
u_stress:
	xorl %r12d, %r12d
1:	movl $10, %ebx
2:	movl $SYS_ADD, %eax
	movq %rbx, %rdi
	movq %r12, %rsi
	syscall
	leaq (%rbx,%r12), %rcx
	cmpq %rax, %rcx
	je 3f
	incq %r13
3:	decl %ebx
	jnz 2b
	movl $SYS_SWITCH, %eax
	syscall
	leaq user_text_start(%rip), %rcx
	addq $0x300000, %rcx
	cmpq (%rcx), %rax
	je 4f
	incq %r13
4:	incq %r12
	cmpq %r14, %r12
	jb 1b
	movq 8(%r15), %r14
	jmp u_spin_ticks_errors

/* as u_spin_ticks, but exit(r13 + (1 if it gave up)) */
u_spin_ticks_errors:
	movq (%r15), %rbx
	movl $1, %ecx
	shlq $32, %rcx
1:	movq (%r15), %rax
	cmpq %r14, %rax
	jae 3f
	cmpq %rax, %rbx
	je 2f
	movq %rax, %rbx
	movl $1, %ecx
	shlq $32, %rcx
2:	pause
	decq %rcx
	jnz 1b
	incq %r13
3:	movq %r13, %rdi
	jmp u_exit

/* FPU in user mode: paddq with whatever CR0.TS the kernel left; the #NM
 * handler clears TS and the instruction restarts.  exit(result). */
u_fpu:	movq %r14, %xmm0
	movq %r14, %xmm1
	paddq %xmm1, %xmm0
	movq %xmm0, %rdi
	jmp u_exit

/* Exceptions in ring 3 (group exceptions): the faults end the program, the
 * traps (#BP, #DB, int $0x81) return to it and it exits with a marker. */
u_div0:	xorl %ecx, %ecx
	xorl %edx, %edx
u_div0_insn:
	divq %rcx
	jmp u_survived
u_ud2:	ud2
	jmp u_survived
u_int3:	int3
u_int3_after:
	movq $0x3333, %rdi
	jmp u_exit
u_step:	pushfq
	orq $0x100, (%rsp)
	popfq
	incq %rax
u_step_after:
	incq %rax
	movq $0x5555, %rdi
	jmp u_exit
u_ss:	movq %rsp, %rbx
	movabsq $0x8000000000000000, %rsp
u_ss_insn:
	pushq %rax
	movq %rbx, %rsp
	jmp u_survived
u_int81:
	int $0x81                 /* DPL-3 gate with IST 1 */
u_int81_after:
	movq $0x8181, %rdi
	jmp u_exit
u_int85:
	int $0x85                 /* DPL-3 gate without IST (0x82 is Xen's compat hypercall vector) */
u_int85_after:
	movq $0x8585, %rdi
	jmp u_exit

/* group userentry: plain loads, stores and flags from ring 3 */
u_load:	movq (%r14), %rdi
	jmp u_exit
u_store:
	movq %r14, (%r14)
	xorl %edi, %edi
	jmp u_exit
u_flags:
	pushfq
	popq %rdi
	jmp u_exit
u_popf_if:                    /* at IOPL 0, popf in ring 3 leaves IF alone */
	pushfq
	andq $~0x200, (%rsp)
	popfq
	pushfq
	popq %rdi
	jmp u_exit
u_cs:	movl %cs, %edi
	jmp u_exit
u_sysprobe:                   /* the kernel reads (25) or writes (26) at r14 */
	xorl %esi, %esi
	jmp 1f
u_sysprobe_w:
	movl $1, %esi
1:	movl $SYS_PROBE, %eax
	movq %r14, %rdi
	syscall
	movq %rax, %rdi
	jmp u_exit

/* group userfault: push r14 words (the stack grows past its mapped pages
 * into pages the kernel maps on demand), pop and sum them: exit(sum). */
u_deep:	movq %r14, %rcx
1:	pushq %rcx
	loop 1b
	movq %r14, %rcx
	xorl %edi, %edi
2:	popq %rax
	addq %rax, %rdi
	loop 2b
	jmp u_exit

/* group segbase: read %fs:0 and %gs:0, hand them to the kernel (SYS_SEGS),
 * which changes the FS base; exit(%fs:0 read again). */
u_segs:	movq %fs:0, %rdi
	movq %gs:0, %rsi
	movl $SYS_SEGS, %eax
	syscall
	movq %fs:0, %rdi
	jmp u_exit

/* group preempt: a process that counts in its own page (USER_PER_AS:
 * [0] id, [1] count, [2] register errors, [3] done, [4] times resumed
 * after a preemption, kept by the kernel) with patterns derived from its
 * id in rbx, rbp, r8-r13 checked on every iteration.  It is done when it
 * has counted to r14 and has been preempted and resumed at least once;
 * then it spins until the kernel ends the run from the timer interrupt. */
u_preempt:
	leaq user_text_start(%rip), %r15
	addq $0x300000, %r15
	movq (%r15), %r8
	movq %r8, %r9
	imulq $0x11111111, %r9, %r9
	movq %r9, %r10
	notq %r10
	movq %r9, %r11
	xorq $0x5a5a5a5a, %r11
	leaq 7(%r9), %r12
	leaq (%r9,%r9,2), %r13
	leaq -1(%r9), %rbx
	movq %r9, %rbp
	shlq $5, %rbp
1:	incq 8(%r15)
	movq (%r15), %rax
	cmpq %rax, %r8
	jne 2f
	imulq $0x11111111, %rax, %rax
	cmpq %rax, %r9
	jne 2f
	movq %rax, %rcx
	notq %rcx
	cmpq %rcx, %r10
	jne 2f
	movq %rax, %rcx
	xorq $0x5a5a5a5a, %rcx
	cmpq %rcx, %r11
	jne 2f
	leaq 7(%rax), %rcx
	cmpq %rcx, %r12
	jne 2f
	leaq (%rax,%rax,2), %rcx
	cmpq %rcx, %r13
	jne 2f
	leaq -1(%rax), %rcx
	cmpq %rcx, %rbx
	jne 2f
	movq %rax, %rcx
	shlq $5, %rcx
	cmpq %rcx, %rbp
	je 3f
2:	incq 16(%r15)
3:	cmpq %r14, 8(%r15)
	jb 1b
	cmpq $0, 32(%r15)
	je 1b
	movq $1, 24(%r15)
4:	pause
	jmp 4b

/* group sigsleep: a signal raised by a syscall; the handler clobbers the
 * registers and returns with SYS_SIGRETURN, which must restore them all.
 * exit(number of registers found wrong). */
u_signal:
	movq $0x1234, %r12
	movq $0x5678, %r13
	movq $0x9abc, %rbx
	movq $0xdef0, %rbp
	movq $0x1111, %r8
	movq $0x2222, %r9
	movq $0x3333, %r10
	movl $SYS_RAISE, %eax
	movl $7, %edi             /* the signal number */
	syscall
	xorl %edi, %edi
	cmpq $0, %rax
	je 1f
	incq %rdi
1:	cmpq $0x1234, %r12
	je 1f
	incq %rdi
1:	cmpq $0x5678, %r13
	je 1f
	incq %rdi
1:	cmpq $0x9abc, %rbx
	je 1f
	incq %rdi
1:	cmpq $0xdef0, %rbp
	je 1f
	incq %rdi
1:	cmpq $0x1111, %r8
	je 1f
	incq %rdi
1:	cmpq $0x2222, %r9
	je 1f
	incq %rdi
1:	cmpq $0x3333, %r10
	je 1f
	incq %rdi
1:	jmp u_exit
u_sighandler:                 /* rdi = signal number, on the stack below the red zone */
	leaq (%rdi,%rdi), %rax
	movq %rax, 640(%r15)      /* data word 80: 2 x the signal number */
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %ebx, %ebx
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	pushq %rax
	popq %rax
	movl $SYS_SIGRETURN, %eax
	syscall
	ud2

/* group fpupreempt: like u_preempt, with the count kept in xmm3 (and in
 * r12 to compare) and id patterns in xmm4/xmm5: the kernel switches the FPU
 * lazily (CR0.TS, #NM), so a mixed-up FPU state shows as an error. */
u_fpuproc:
	leaq user_text_start(%rip), %r15
	addq $0x300000, %r15
	movq (%r15), %r8
	movq %r8, %rax
	imulq $0x01010101, %rax, %rax
	movq %rax, %xmm4
	notq %rax
	movq %rax, %xmm5
	movl $1, %eax
	movq %rax, %xmm6
	pxor %xmm3, %xmm3
	xorl %r12d, %r12d
1:	paddq %xmm6, %xmm3
	incq %r12
	movq %r12, 8(%r15)
	movq %xmm3, %rax
	cmpq %rax, %r12
	jne 2f
	movq %r8, %rax
	imulq $0x01010101, %rax, %rax
	movq %xmm4, %rcx
	cmpq %rax, %rcx
	jne 2f
	notq %rax
	movq %xmm5, %rcx
	cmpq %rax, %rcx
	je 3f
2:	incq 16(%r15)
	movq %r12, %xmm3          /* resynchronise: count each mix-up once */
3:	cmpq %r14, %r12
	jb 1b
	cmpq $0, 32(%r15)
	je 1b
	/* resumed after a switch: use the FPU once more before finishing, so
	 * that its state changes hands in #NM however the ticks fell (a
	 * preemption after the loop's last FPU instruction would otherwise
	 * let the process finish without touching it again) */
	paddq %xmm6, %xmm3
	movq $1, 24(%r15)
4:	pause
	jmp 4b

/* group irqswapgs: read %gs:0 (expected: r14) until 5 timer ticks have hit
 * ring 3 (data word 0); exit(number of wrong reads). */
u_gsloop:
	xorl %edi, %edi
1:	movq %gs:0, %rax
	cmpq %r14, %rax
	je 2f
	incq %rdi
2:	cmpq $5, (%r15)
	jb 1b
	jmp u_exit

/* group descriptors: what ring 3 sees of its own selectors and of the
 * descriptor tables (an LDT loaded: 0x07 DPL-3 data), into data words:
 * [0] mov from cs, [1] mov from ss, [2] lar of cs, [3] lar of the kernel's
 * 0x08 (preset 5), [4] %fs after loading the LDT selector 0x07 into it,
 * [5] lsl of 0x07; lar/lsl results with ZF in bit 63.  exit(0). */
u_selectors:
	movl %cs, %eax
	movq %rax, 0(%r15)
	movl %ss, %eax
	movq %rax, 8(%r15)
	movl %cs, %ecx
	xorl %eax, %eax
	lar %ecx, %eax
	setz %cl
	movzbq %cl, %rcx
	shlq $63, %rcx
	orq %rcx, %rax
	movq %rax, 16(%r15)
	movl $0x08, %ecx
	movl $5, %eax
	lar %ecx, %eax
	setz %cl
	movzbq %cl, %rcx
	shlq $63, %rcx
	orq %rcx, %rax
	movq %rax, 24(%r15)
	movl $0x07, %eax
	movl %eax, %fs
	movl %fs, %eax
	movq %rax, 32(%r15)
	xorl %eax, %eax
	movl %eax, %fs
	movl $0x07, %ecx
	xorl %eax, %eax
	lsl %ecx, %eax
	setz %cl
	movzbq %cl, %rcx
	shlq $63, %rcx
	orq %rcx, %rax
	movq %rax, 40(%r15)
	xorl %edi, %edi
	jmp u_exit

/* A syscall that sleeps r14 timer ticks; exit(ticks slept). */
u_sleep:
	movl $SYS_SLEEP, %eax
	movq %r14, %rdi
	syscall
	movq %rax, %rdi
	jmp u_exit

u_exit:	movl $SYS_EXIT, %eax
	syscall
	ud2                       /* never returns */

	.balign 4096
	.globl user_text_end
user_text_end:
