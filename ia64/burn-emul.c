// SPDX-License-Identifier: BSD-2-Clause
/* The emul_* macro library (ia64/emul.S) as a string: the IA-64 front end
 * puts it in front of every input it burns in macro mode, so a burnt file
 * never depends on where the library is installed. */
#ifndef IA64_EMUL_PATH
#error "IA64_EMUL_PATH must name ia64/emul.S (set by ia64/build.mk)"
#endif

__asm__(".section .rodata\n"
	".globl ia64_emul_macros\n"
	".type ia64_emul_macros, @object\n"
	"ia64_emul_macros:\n"
	".incbin \"" IA64_EMUL_PATH "\"\n"
	".byte 10, 0\n"
	".size ia64_emul_macros, . - ia64_emul_macros\n"
	".previous\n");
