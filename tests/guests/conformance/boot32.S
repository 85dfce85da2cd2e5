/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bare-metal entry of the conformance guest: a multiboot header (a.out
 * kludge: QEMU's multiboot loader takes no 64-bit ELF) and the 32-bit code
 * that switches to long mode with an identity map of the first GiB.
 * Assembled WITHOUT afterburn-as: like Linux's real-mode and 32-bit boot
 * code it never runs under the wedge, which enters startup_64 directly.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010003   /* page-align modules, memory info, a.out kludge */

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, __load_start, __load_end, __image_end, _start

	.section .boot32, "ax"
	.code32
	.globl _start
_start:
	cli
	movl $boot32_stack_top, %esp
	movl %ebx, multiboot_info      /* for the command line (groups=...) */
	/* Zero the boot page tables (bss may not be cleared yet). */
	movl $boot_pml4, %edi
	xorl %eax, %eax
	movl $(3 * 4096 / 4), %ecx
	rep stosl
	movl $boot_pdpt + 3, boot_pml4
	movl $boot_pd + 3, boot_pdpt
	/* 512 x 2 MiB: identity map of the first GiB. */
	movl $boot_pd, %edi
	movl $0x83, %eax
	movl $512, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b

	movl %cr4, %eax
	orl $0x20, %eax            /* PAE */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx     /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax      /* PG | PE */
	movl %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x10, $long_mode

	.code64
long_mode:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	/* boot_params in %rsi: none on this path (the multiboot info is not one). */
	xorl %esi, %esi
	jmp startup_64

	.section .rodata.boot32, "a"
	.align 8
boot_gdt:
	.quad 0
	.quad 0
	.quad 0x00af9a000000ffff   /* 0x10: 64-bit code (Linux's __BOOT_CS) */
	.quad 0x00cf92000000ffff   /* 0x18: data (__BOOT_DS) */
boot_gdt_ptr:
	.word . - boot_gdt - 1
	.long boot_gdt

	/* Loaded data, not bss: startup_64 clears bss, and under the wedge
	 * (which enters startup_64 directly) it stays 0. */
	.data
	.align 4
	.globl multiboot_info
multiboot_info:	.long 0

	.section .bss.boot32, "aw", @nobits
	.align 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4096
	.skip 1024
boot32_stack_top:
