# The gas grammar a text-level burner meets (kernel-style input).
# sites: 35
# 1 "grammar.S"
# 1 "<built-in>"
# 1 "grammar.S"
	.text
	.globl grammar
grammar:
	pushf ; pop %rbx			# ';'-separated
	rep; nop
1: 2: cli					/* several labels */
foo:	sti ; bar: hlt
	.ascii "cli; sti # not code"		# strings with ; and #
	movb $'#', %al
	/* cli */ nop /* multi-line
	cli */ wrmsr
	lock incl (%rax)
	lock ; incl (%rax)
	mov %cs:grammar, %eax
	mov %fs:0x28, %rax
	movq cr3val(%rip), %rax
	.pushsection .data
	.quad 0
	.popsection
	.pushsection .rodata
	.byte 0x0f,0x01,0xca			# data, not code
	.popsection
	.section .entry.text, "ax"
	swapgs
	.previous
	rdmsr
	.section .noinstr.text,"ax",@progbits
	cli
	.text
	.pushsection .rodata
	.incbin "kinds32.s", 0, 16
	.popsection
	.section .text.grp,"axG",@progbits,grp,comdat
	sti
	.text
# gas macros, with instructions passed as string arguments (ALTERNATIVE)
	.macro ALTERNATIVE oldinstr, newinstr, feature
140:
	\oldinstr
141:
	.skip -(((144f-143f)-(141b-140b)) > 0) * ((144f-143f)-(141b-140b)),0x90
142:
	.pushsection .altinstructions,"a"
	.long 140b - .
	.long 143f - .
	.word \feature
	.byte 142b-140b
	.byte 144f-143f
	.popsection
	.pushsection .altinstr_replacement,"ax"
143:
	\newinstr
144:
	.popsection
	.endm
	ALTERNATIVE "", ".byte 0x0f,0x01,0xca", 276
	ALTERNATIVE "pushf; pop %rax", "stac", 276
	ALTERNATIVE "jmp 5f", "", 3
5:
	.macro SAVE_FLAGS reg
	pushf
	pop \reg
	.endm
	SAVE_FLAGS %rax
	SAVE_FLAGS %rbx
	.rept 3
	cli
	.endr
	.irp seg, fs, gs
	mov %\seg, %eax
	.endr
	.irp insn, cli, nop, sti, pushf
	\insn
	.endr
	.irpc c, 12
	outb %al, $0x8\c
	.endr
	.altmacro
	.macro ALTM n
	inb $\n, %al
	.endm
	ALTM 0x61
	.noaltmacro
	.purgem ALTM
	.if 1
	hlt
	.else
	hlt
	.endif
# the instruction is a macro argument (Linux's msr-reg.S op_safe_regs)
	.macro op_safe_regs op
\op\()_safe_regs:
1:	\op
2:	ret
	.endm
	op_safe_regs rdmsr
	op_safe_regs wrmsr
	op_safe_regs nop
	.macro two a, b=cli
	\b ; \a
	.endm
	two sti
	two sti, hlt
	two a=pushf, b=nop
# C-style alternative as gcc emits it for inline asm
661:
	pushf ; pop %rax
662:
# ALT: padding
.skip -(((6651f-6641f)-(662b-661b)) > 0) * ((6651f-6641f)-(662b-661b)),0x90
663:
.pushsection .altinstructions,"a"
 .long 661b - .
 .long 6641f - .
 .word ( 9*32+20)
 .byte 663b-661b
 .byte 6651f-6641f
.popsection
.pushsection .altinstr_replacement, "ax"
# ALT: replacement 1
6641:
	.byte 0x0f,0x01,0xcb
6651:
.popsection
	ret
