# Every kind of x86/sensitive.def in 64-bit AT&T spelling.
# sites: 108
	.text
	.globl kinds64
kinds64:
	cli
	sti
	pushf
	pushfq
	popf
	popfq
	inb %dx, %al
	in $0x60, %al
	inw (%dx), %ax
	inl %dx, %eax
	outb %al, $34
	outw %ax, %dx
	outl %eax, (%dx)
	insb
	insw
	insl
	outsb
	outsw
	outsl
	hlt
	cpuid
	rdmsr
	wrmsr
	rdpmc
	swapgs
	sysretq
	sysretl
	iretq
	iretl
	lretq
	lretq $8
	ljmp *(%rax)
	ljmpl *8(%rbx)
	lcall *(%rax)
	int $0x80
	push %fs
	pushq %gs
	pop %fs
	popq %gs
	mov %ax, %ds
	movw %ax, %ss
	movl %eax, %fs
	mov (%rax), %gs
	mov %fs, %eax
	movw %cs, (%rdi)
	mov %ss, %ax
	mov %rax, %cr3
	movq %rcx, %cr4
	mov %rax, %cr8
	mov %cr2, %rax
	movq %cr0, %rbx
	mov %rax, %db7
	movq %rdi, %dr0
	mov %db6, %rax
	lgdt (%rax)
	lidt 0x12345678(%rax,%rbx,4)
	lidt kinds64(%rip)
	lldt %ax
	ltr %ax
	sgdt (%rax)
	sidt (%rax)
	sldt %ax
	str %ax
	smsw %ax
	lmsw %ax
	clts
	invd
	wbinvd
	wbnoinvd
	invlpg (%rax)
	invpcid (%rax), %rcx
	lar %ax, %eax
	lsl %eax, %eax
	lslq %rax, %rax
	verr %ax
	verw (%rsp)
	verw %cs:kinds64
	rdfsbase %rax
	rdgsbase %rax
	wrfsbase %rdi
	wrgsbase %rdi
	xgetbv
	xsetbv
	xsaves (%rdi)
	xsaves64 (%rdi)
	xrstors (%rdi)
	xrstors64 (%rdi)
	monitor
	mwait
	clac
	stac
	rdtsc
	rdtscp
	lss (%rax), %esp
	lfs (%rax), %eax
	lgs (%rax), %eax
	# prefixes belong to the site
	rep; insb
	rep outsl
	{disp32} mov %rax, %cr3
	data16 lgdt (%rax)
	rex64 sysret
	# .byte spellings (Linux: clac/stac/monitor/mwait/xsaves ...)
	.byte 0x0f,0x01,0xca
	.byte 0x0f, 0x01, 0xcb
	.byte 0x0f,0x01,0xc8
	.byte 0x0f,0x01,0xc9
	.byte 0x48,0x0f,0xc7,0x2f
	.byte 0x48,0x0f,0xc7,0x1f
	.byte 0x66,0x0f,0x38,0x82,0x08
	.byte 0xf3,0x48,0x0f,0xae,0xc0
	.byte 15, 1, 202
	# left alone
	int3
	int $3
	nop
	ret
