# 32-bit only forms (--32).
# sites: 28
	.text
	.globl kinds32
kinds32:
	pushfl
	popfl
	push %ds
	pushl %es
	push %ss
	push %cs
	pop %ds
	popl %es
	pop %ss
	sysexit
	iret
	lret
	ljmp $0x10, $1f
1:	jmp $0x10,$2f
2:	ljmpl *(%eax)
	lcall $0x10, $3f
3:	lcall *(%eax)
	into
	int $0x80
	movl %eax, %cr0
	movl %cr3, %eax
	movl %dr7, %eax
	lds (%eax), %eax
	les (%eax), %eax
	lgdtl (%eax)
	.byte 0x0f,0xc7,0x2f
	.byte 0xcd, 0x80
	clts
