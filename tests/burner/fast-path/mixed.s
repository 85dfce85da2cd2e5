	.text
foo:	cli
1:	sti
2: 3: pushf
label_only:
	rep
	movsb
	lock
	incl (%rax)
	movl %eax, %ds
	movq %cr3, %rax
	movq %rax, %cr3
	mov %gs:0x10, %rax
	movw %es, %ax
	pushq %fs
	popq %gs
	push %rbp
	pop %rbp
	MOVQ %CR0, %RAX
	Cli
	.byte 0xfa
	.BYTE 0xfb
	.long 5
	.macro mymac x
	cli
	mov \x, %rax
	.endm
	mymac %rbx
	movq %rbx, %rax
	.irp r, %rax, %rbx
	push \r
	.endr
	.rept 2
	cli
	.endr
	.section .data
	cli
	.previous
	hlt
	.pushsection .rodata
	in %dx, %al
	.popsection
	out %al, %dx
	.code32
	iret
	.code64
	iretq
	x = 1
	foo2 = x
	.intel_syntax noprefix
	mov rax, cr3
	mov eax, ds
	.att_syntax prefix
	movq %dr7, %rax
	movq %db7, %rax
	wrmsr
	rdmsr ; cli
	rdtsc
	swapgs
	sysretq
	lgdt (%rax)
	int $0x80
	int3
	call *%rax
	jmp 1b
	{vex} vpaddd %ymm0, %ymm1, %ymm2
	data16 cli
	rex64 mov %cr0, %rax
	cs
	mov %cr2, %rax
	ljmp $0x10, $1f
1:	lret
	invlpg (%rax)
	movs
	mov %esi, %edi
	mov %ebx, %ebp
	mov %ss, %ax
	movq	%rsp,%rax
	mov	%ds	,%ax
