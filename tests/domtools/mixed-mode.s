# A boot image's mix in one 64-bit object (tests/domtools/mixed-mode.test):
# a boot header and a descriptor table as data inside code sections (data
# symbols whose bytes decode as cli, sti, pushf, lgdt, iret...), 16-bit
# real-mode entry code, 32-bit protected-mode code, then 64-bit code.
# `ab-check` on the burnt object must report nothing: each stretch is
# decoded in the mode the burner assembled it in (.afterburn.mode) and
# data symbols are not decoded.
	.section .head.text,"ax"
	.globl mb_header
	.type mb_header, @object
	.balign 4
mb_header:
	.long 0x1BADB002, 0x00010003, -(0x1BADB002 + 0x00010003)
	.long mb_header, 0, 0, 0, 0x100000
	.byte 0xfa, 0xfb, 0x9c, 0x0f, 0x01, 0x10, 0xcf, 0xe4, 0x60, 0x0f, 0x30
	.size mb_header, . - mb_header

	.code16
	.globl real_entry
	.type real_entry, @function
real_entry:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	inb $0x92, %al
	orb $2, %al
	outb %al, $0x92
	lgdtl gdt_desc
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $prot_entry
	.size real_entry, . - real_entry

	.code32
	.type prot_entry, @function
prot_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %ss
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax
	movl %eax, %cr0
	ljmp $0x18, $long_entry
	.size prot_entry, . - prot_entry

	.type gdt, @object
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00af9a000000ffff
	.size gdt, . - gdt
	.type gdt_desc, @object
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
	.size gdt_desc, . - gdt_desc

	.code64
	.type long_entry, @function
long_entry:
	movq $0, %rax
	movq %rax, %cr3
	swapgs
	pushfq
	popq %rbx
	sti
	call kmain
	.size long_entry, . - long_entry

	.text
	.globl kmain
	.type kmain, @function
kmain:
	cli
	jmp 2f
	.type banner, @object
banner:
	.asciz "\xfa\xf4\x0f\x01\xf8 boot"
	.size banner, . - banner
2:	hlt
	jmp 2b
	.size kmain, . - kmain
