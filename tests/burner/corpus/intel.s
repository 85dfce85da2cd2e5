# Intel syntax.
# sites: 14
	.intel_syntax noprefix
	.text
	.globl intel
intel:
	mov cr3, rax
	mov rax, cr0
	mov dr7, rax
	mov ds, ax
	mov eax, fs
	pushfq
	push fs
	in al, dx
	out dx, al
	lgdt [rax]
	invlpg [rax+8]
	int 0x80
	int 3
	retf 4
	mov rax, rbx
	.att_syntax prefix
	cli
