/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The idle guest (tests/domtools/shutdown): a burnt kernel that says it is
 * up on the UART, then idles in `sti; hlt` with every interrupt source off,
 * forever.  Only something outside it ends the domain: `xl shutdown`,
 * `xl reboot` or `xl destroy`.  Entered at startup_64 by the wedge.
 */
	.text
	.globl startup_64
startup_64:
	lea	banner(%rip), %rsi
	mov	$0x3f8, %dx
1:	movb	(%rsi), %al
	test	%al, %al
	jz	2f
	outb	%al, %dx
	inc	%rsi
	jmp	1b
2:	sti
	hlt
	jmp	2b

	.section .rodata
banner:	.asciz "AB-IDLE-UP: idling in hlt with interrupts enabled\n"
