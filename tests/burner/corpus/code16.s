# Real-mode style code: .code16 / .code32 / .code64 switches (--32).
# sites: 10
	.text
	.code16
	.globl rm
rm:	cli
	lgdtl (%bx)
	movl %cr0, %eax
	orb $1, %al
	movl %eax, %cr0
	ljmpl $0x10, $pm
	movw %ax, %ds
	outb %al, $0x80
	int $0x10
	iretw
	hlt
