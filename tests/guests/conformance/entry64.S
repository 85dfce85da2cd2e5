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
