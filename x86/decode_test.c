/* SPDX-License-Identifier: BSD-2-Clause */
/* cmocka tests of the x86 decoder and the site rewriter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "x86/decode.h"
#include "x86/rewrite.h"

struct form { const char *what; x86_u8 bytes[15]; unsigned len; enum x86_kind kind; };

/* Encodings checked against GNU as (objdump -d). */
static const struct form forms[] = {
	{ "cli", { 0xfa }, 1, X86_KIND_CLI },
	{ "sti", { 0xfb }, 1, X86_KIND_STI },
	{ "pushfq", { 0x9c }, 1, X86_KIND_PUSHF },
	{ "popfq", { 0x9d }, 1, X86_KIND_POPF },
	{ "hlt", { 0xf4 }, 1, X86_KIND_HLT },
	{ "iretq", { 0x48, 0xcf }, 2, X86_KIND_IRET },
	{ "lretq", { 0x48, 0xcb }, 2, X86_KIND_LRET },
	{ "int $0x80", { 0xcd, 0x80 }, 2, X86_KIND_INT },
	{ "in $0x21,%al", { 0xe4, 0x21 }, 2, X86_KIND_IN },
	{ "in (%dx),%eax", { 0xed }, 1, X86_KIND_IN },
	{ "out %al,$0x80", { 0xe6, 0x80 }, 2, X86_KIND_OUT },
	{ "out %ax,(%dx)", { 0x66, 0xef }, 2, X86_KIND_OUT },
	{ "rep outsb", { 0xf3, 0x6e }, 2, X86_KIND_OUTS },
	{ "cpuid", { 0x0f, 0xa2 }, 2, X86_KIND_CPUID },
	{ "rdmsr", { 0x0f, 0x32 }, 2, X86_KIND_RDMSR },
	{ "wrmsr", { 0x0f, 0x30 }, 2, X86_KIND_WRMSR },
	{ "swapgs", { 0x0f, 0x01, 0xf8 }, 3, X86_KIND_SWAPGS },
	{ "mov %rax,%cr3", { 0x0f, 0x22, 0xd8 }, 3, X86_KIND_MOV_TO_CR },
	{ "mov %cr4,%r9", { 0x41, 0x0f, 0x20, 0xe1 }, 4, X86_KIND_MOV_FROM_CR },
	{ "mov %db7,%rax", { 0x0f, 0x21, 0xf8 }, 3, X86_KIND_MOV_FROM_DR },
	{ "lgdt 0x10(%rip)", { 0x0f, 0x01, 0x15, 0x10, 0, 0, 0 }, 7, X86_KIND_LGDT },
	{ "lidt (%rax)", { 0x0f, 0x01, 0x18 }, 3, X86_KIND_LIDT },
	{ "sgdt 8(%rsp)", { 0x0f, 0x01, 0x44, 0x24, 0x08 }, 5, X86_KIND_SGDT },
	{ "ltr %ax", { 0x0f, 0x00, 0xd8 }, 3, X86_KIND_LTR },
	{ "str %eax", { 0x0f, 0x00, 0xc8 }, 3, X86_KIND_STR },
	{ "lldt %dx", { 0x0f, 0x00, 0xd2 }, 3, X86_KIND_LLDT },
	{ "mov %eax,%ds", { 0x8e, 0xd8 }, 2, X86_KIND_MOV_TO_SEG },
	{ "mov %ss,%ecx", { 0x8c, 0xd1 }, 2, X86_KIND_MOV_FROM_SEG },
	{ "push %fs", { 0x0f, 0xa0 }, 2, X86_KIND_PUSH_SEG },
	{ "pop %gs", { 0x0f, 0xa9 }, 2, X86_KIND_POP_SEG },
	{ "invlpg (%rdi)", { 0x0f, 0x01, 0x3f }, 3, X86_KIND_INVLPG },
	{ "wbinvd", { 0x0f, 0x09 }, 2, X86_KIND_WBINVD },
	{ "wrgsbase %rax", { 0xf3, 0x48, 0x0f, 0xae, 0xd8 }, 5, X86_KIND_WRGSBASE },
	{ "invpcid (%rax),%rcx", { 0x66, 0x0f, 0x38, 0x82, 0x08 }, 5, X86_KIND_INVPCID },
	{ "xsetbv", { 0x0f, 0x01, 0xd1 }, 3, X86_KIND_XSETBV },
	{ "clac", { 0x0f, 0x01, 0xca }, 3, X86_KIND_CLAC },
	{ "rdtsc", { 0x0f, 0x31 }, 2, X86_KIND_RDTSC },
	{ "ljmp *(%rax)", { 0xff, 0x28 }, 2, X86_KIND_LJMP },
	{ "lss 0x12345678(,%rbx,4),%esp", { 0x0f, 0xb2, 0x24, 0x9d, 0x78, 0x56, 0x34, 0x12 }, 8, X86_KIND_LOAD_FARPTR },
};

static void test_decode_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct x86_insn in;
		int rc = x86_decode(forms[i].bytes, forms[i].len, &in);
		if (rc != 0 || in.kind != forms[i].kind || in.len != forms[i].len)
			fail_msg("%s: rc %d kind %s len %u", forms[i].what, rc,
				 x86_kind_name(in.kind), in.len);
	}
}

static void test_decode_truncated_refused(void **state)
{
	(void)state;
	struct x86_insn in;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (forms[i].len > 1)
			assert_int_equal(x86_decode(forms[i].bytes, forms[i].len - 1, &in) == 0 &&
					 in.len == forms[i].len, 0);
	}
	/* Unknown opcodes are refused, never guessed. */
	static const x86_u8 add[] = { 0x48, 0x01, 0xc0 };
	assert_int_equal(x86_decode(add, sizeof(add), &in), -1);
}

static void test_operands(void **state)
{
	(void)state;
	struct x86_insn in;
	x86_u64 gpr[16] = { 0 };
	/* lgdt 0x10(%rip) at 0x1000: EA = next rip + 0x10 */
	assert_int_equal(x86_decode(forms[20].bytes, 7, &in), 0);
	assert_true(in.rip_relative);
	assert_int_equal(x86_effective_address(&in, gpr, 0x1007), 0x1017);
	/* sgdt 8(%rsp) */
	assert_int_equal(x86_decode(forms[22].bytes, 5, &in), 0);
	gpr[X86_RSP] = 0x8000;
	assert_int_equal(x86_effective_address(&in, gpr, 0), 0x8008);
	/* lss disp32(,%rbx,4): no base, index rbx scale 4 */
	assert_int_equal(x86_decode(forms[38].bytes, 8, &in), 0);
	gpr[X86_RBX] = 2;
	assert_int_equal(in.base, X86_REG_NONE);
	assert_int_equal(x86_effective_address(&in, gpr, 0), 0x12345678 + 8);
	/* mov %cr4,%r9: reg = 4 (cr4), rm = 9 (REX.B) */
	assert_int_equal(x86_decode(forms[18].bytes, 4, &in), 0);
	assert_int_equal(in.reg, 4);
	assert_int_equal(in.rm, 9);
	/* in $0x21,%al: 1 byte wide, port immediate */
	assert_int_equal(x86_decode(forms[8].bytes, 2, &in), 0);
	assert_int_equal(in.opsize, 1);
	assert_int_equal(in.imm, 0x21);
}

static struct x86_rewrite_targets targets(void)
{
	struct x86_rewrite_targets t;
	memset(&t, 0, sizeof(t));
	t.upcall_mask = 0xffffffffffe00001ull;
	t.sti_check_slot = 0xffffffffffe01008ull;
	for (unsigned k = 0; k < X86_KIND_MAX; k++)
		t.slot[k] = 0xffffffffffe01100ull + 8 * k;
	return t;
}

static void test_rewrite_cli_inline(void **state)
{
	(void)state;
	struct x86_rewrite_targets t = targets();
	x86_u8 site[8] = { 0xfa, 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	struct x86_insn in;
	unsigned ret;
	assert_int_equal(x86_rewrite_site(site, 8, 1, X86_KIND_CLI, &t, &in, &ret), X86_REWRITE_OK);
	static const x86_u8 want[8] = { 0xc6, 0x04, 0x25, 0x01, 0x00, 0xe0, 0xff, 0x01 };
	assert_memory_equal(site, want, 8);
	assert_int_equal(ret, 0);
}

static void test_rewrite_sti_and_call(void **state)
{
	(void)state;
	struct x86_rewrite_targets t = targets();
	x86_u8 site[8] = { 0xfb };
	x86_fill_nops(site + 1, 7);
	struct x86_insn in;
	unsigned ret;
	assert_int_equal(x86_rewrite_site(site, 8, 1, X86_KIND_STI, &t, &in, &ret), X86_REWRITE_OK);
	/* call *sti_check_slot: the stub unmasks and tests pending */
	static const x86_u8 want[8] = { 0xff, 0x14, 0x25, 0x08, 0x10, 0xe0, 0xff, 0x90 };
	assert_memory_equal(site, want, 8);
	assert_int_equal(ret, 7);
	/* the unmask is no longer inline: a far mask does not matter, a far slot does */
	x86_u8 sti2[8] = { 0xfb, 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	struct x86_rewrite_targets far = t;
	far.upcall_mask = 0x100000000ull;
	assert_int_equal(x86_rewrite_site(sti2, 8, 1, X86_KIND_STI, &far, &in, &ret), X86_REWRITE_OK);
	assert_memory_equal(sti2, want, 8);
	x86_u8 sti3[8] = { 0xfb, 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	far.sti_check_slot = 0x100000000ull;
	assert_int_equal(x86_rewrite_site(sti3, 8, 1, X86_KIND_STI, &far, &in, &ret), X86_REWRITE_FAR_TARGET);
	x86_u8 sti4[6] = { 0xfb, 0x66, 0x0f, 0x1f, 0x44, 0x00 };
	assert_int_equal(x86_rewrite_site(sti4, 6, 1, X86_KIND_STI, &t, &in, &ret), X86_REWRITE_TOO_SHORT);

	/* pushf/popf in their 8-byte pads */
	x86_u8 pushf[8] = { 0x9c, 0x0f, 0x1f, 0x80, 0, 0, 0, 0 };
	assert_int_equal(x86_rewrite_site(pushf, 8, 1, X86_KIND_PUSHF, &t, &in, &ret), X86_REWRITE_OK);
	x86_u64 ps = t.slot[X86_KIND_PUSHF];
	const x86_u8 want_pushf[8] = { 0xff, 0x14, 0x25, (x86_u8)ps, (x86_u8)(ps >> 8),
				       (x86_u8)(ps >> 16), (x86_u8)(ps >> 24), 0x90 };
	assert_memory_equal(pushf, want_pushf, 8);
	assert_int_equal(ret, 7);
	assert_int_equal(x86_kind_pad(X86_KIND_STI), 8);
	assert_int_equal(x86_kind_pad(X86_KIND_PUSHF), 8);
	assert_int_equal(x86_kind_pad(X86_KIND_POPF), 8);

	x86_u8 cpuid[8] = { 0x0f, 0xa2, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	assert_int_equal(x86_rewrite_site(cpuid, 8, 2, X86_KIND_CPUID, &t, &in, &ret), X86_REWRITE_OK);
	x86_u64 slot = t.slot[X86_KIND_CPUID];
	const x86_u8 want2[8] = { 0xff, 0x14, 0x25, (x86_u8)slot, (x86_u8)(slot >> 8),
				  (x86_u8)(slot >> 16), (x86_u8)(slot >> 24), 0x90 };
	assert_memory_equal(cpuid, want2, 8);
	assert_int_equal(ret, 7);
}

static void test_rewrite_refusals(void **state)
{
	(void)state;
	struct x86_rewrite_targets t = targets();
	struct x86_insn in;
	unsigned ret;
	x86_u8 site[16] = { 0xfa, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	x86_u8 copy[16];
	memcpy(copy, site, sizeof(site));
	/* record says sti, bytes say cli */
	assert_int_equal(x86_rewrite_site(site, 8, 1, X86_KIND_STI, &t, &in, &ret), X86_REWRITE_MISMATCH);
	/* wrong instruction length */
	assert_int_equal(x86_rewrite_site(site, 8, 2, X86_KIND_CLI, &t, &in, &ret), X86_REWRITE_BAD_LENGTH);
	/* unknown kind */
	assert_int_equal(x86_rewrite_site(site, 8, 1, 999, &t, &in, &ret), X86_REWRITE_BAD_KIND);
	/* too short for the call form */
	x86_u8 hlt[4] = { 0xf4, 0x90, 0x90, 0x90 };
	assert_int_equal(x86_rewrite_site(hlt, 4, 1, X86_KIND_HLT, &t, &in, &ret), X86_REWRITE_TOO_SHORT);
	/* unreachable target */
	t.upcall_mask = 0xfffffc0000000001ull;
	assert_int_equal(x86_rewrite_site(site, 8, 1, X86_KIND_CLI, &t, &in, &ret), X86_REWRITE_FAR_TARGET);
	assert_memory_equal(site, copy, 16);
	/* rdtsc is counted, not rewritten */
	x86_u8 tsc[8] = { 0x0f, 0x31, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	t = targets();
	assert_int_equal(x86_rewrite_site(tsc, 8, 2, X86_KIND_RDTSC, &t, &in, &ret), X86_REWRITE_KEPT);
	assert_int_equal(tsc[0], 0x0f);
}

static void test_rewrite_call_form(void **state)
{
	(void)state;
	x86_u8 site[16];
	memset(site, 0xfb, sizeof(site));
	assert_int_equal(x86_rewrite_call(site, 16, 0xffffffffffe01010ull), 7);
	static const x86_u8 want[7] = { 0xff, 0x14, 0x25, 0x10, 0x10, 0xe0, 0xff };
	assert_memory_equal(site, want, 7);
	struct x86_insn in;
	assert_int_equal(x86_decode(site + 7, 9, &in), 0);
	assert_int_equal(in.kind, X86_KIND_NONE);
	assert_int_equal(x86_rewrite_call(site, 6, 0xffffffffffe01010ull), 0);
	assert_int_equal(x86_rewrite_call(site, 16, 0x100000000ull), 0);
}

/* The moves the wedge emulates on device registers (wedge-xen/mmio.c):
 * Linux's readl/writel/readb and a store of an immediate. */
static void test_mov_forms(void **state)
{
	(void)state;
	struct x86_insn in;
	static const x86_u8 readl[] = { 0x8b, 0x47, 0x10 };          /* mov 0x10(%rdi),%eax */
	assert_int_equal(x86_decode(readl, sizeof(readl), &in), 0);
	assert_int_equal(in.kind, X86_KIND_NONE);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.reg, X86_RAX);
	assert_int_equal(in.base, X86_RDI);
	assert_int_equal(in.disp, 0x10);
	static const x86_u8 writel[] = { 0x44, 0x89, 0x28 };         /* mov %r13d,(%rax) */
	assert_int_equal(x86_decode(writel, sizeof(writel), &in), 0);
	assert_int_equal(in.opcode, 0x89);
	assert_int_equal(in.reg, X86_R13);
	assert_int_equal(in.base, X86_RAX);
	static const x86_u8 readb[] = { 0x8a, 0x42, 0x01 };          /* mov 0x1(%rdx),%al */
	assert_int_equal(x86_decode(readb, sizeof(readb), &in), 0);
	assert_int_equal(in.opsize, 1);
	static const x86_u8 readw[] = { 0x66, 0x8b, 0x06 };          /* mov (%rsi),%ax */
	assert_int_equal(x86_decode(readw, sizeof(readw), &in), 0);
	assert_int_equal(in.opsize, 2);
	static const x86_u8 movq_imm[] = { 0x48, 0xc7, 0x40, 0x08, 0xfe, 0xff, 0xff, 0xff }; /* movq $-2,8(%rax) */
	assert_int_equal(x86_decode(movq_imm, sizeof(movq_imm), &in), 0);
	assert_int_equal(in.len, 8);
	assert_int_equal(in.opsize, 8);
	assert_true(in.imm == 0xfffffffffffffffeull);
	static const x86_u8 movw_imm[] = { 0x66, 0xc7, 0x00, 0x34, 0x12 };   /* movw $0x1234,(%rax) */
	assert_int_equal(x86_decode(movw_imm, sizeof(movw_imm), &in), 0);
	assert_int_equal(in.len, 5);
	assert_true(in.imm == 0x1234);
	static const x86_u8 movb_imm[] = { 0xc6, 0x00, 0x7f };       /* movb $0x7f,(%rax) */
	assert_int_equal(x86_decode(movb_imm, sizeof(movb_imm), &in), 0);
	assert_int_equal(in.len, 3);
	assert_true(in.imm == 0x7f);
	/* c7 with a reg field other than 0 is not a mov: refused */
	static const x86_u8 c7_1[] = { 0xc7, 0x08, 0, 0, 0, 0 };
	assert_int_equal(x86_decode(c7_1, sizeof(c7_1), &in), -1);
	/* truncated immediate: refused */
	assert_int_equal(x86_decode(movq_imm, sizeof(movq_imm) - 1, &in), -1);
}

static void test_nops_decode(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 24; n++) {
		x86_u8 buf[24];
		x86_fill_nops(buf, n);
		unsigned off = 0;
		while (off < n) {
			struct x86_insn in;
			assert_int_equal(x86_decode(buf + off, n - off, &in), 0);
			assert_int_equal(in.kind, X86_KIND_NONE);
			off += in.len;
		}
		assert_int_equal(off, n);
	}
}

/* Sites that may run on a user-controlled stack trap instead of calling:
 * privileged ones stay as they are, descriptor probes become ud2. */
static void test_rewrite_trap_forms(void **state)
{
	(void)state;
	assert_int_equal(x86_trap_form(X86_KIND_SWAPGS), X86_TRAP_ORIGINAL);
	assert_int_equal(x86_trap_form(X86_KIND_SYSRET), X86_TRAP_ORIGINAL);
	assert_int_equal(x86_trap_form(X86_KIND_SYSEXIT), X86_TRAP_ORIGINAL);
	assert_int_equal(x86_trap_form(X86_KIND_VERW), X86_TRAP_UD2);
	assert_int_equal(x86_trap_form(X86_KIND_LAR), X86_TRAP_UD2);
	assert_int_equal(x86_trap_form(X86_KIND_CPUID), X86_TRAP_NONE);
	struct x86_rewrite_targets t = targets();
	struct x86_insn in;
	unsigned ret;
	/* verw disp32(%rip), as Linux clears CPU buffers: 7 bytes in an 8-byte site */
	const x86_u8 orig[8] = { 0x0f, 0x00, 0x2d, 0x10, 0x20, 0x30, 0x00, 0x90 };
	x86_u8 site[8];
	memcpy(site, orig, 8);
	assert_int_equal(x86_rewrite_site(site, 8, 7, X86_KIND_VERW, &t, &in, &ret), X86_REWRITE_OK);
	assert_int_equal(in.kind, X86_KIND_VERW);
	assert_int_equal(x86_rewrite_trap(site, 8, 7, orig, X86_TRAP_UD2), 8);
	static const x86_u8 want[8] = { 0x0f, 0x0b, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	assert_memory_equal(site, want, 8);
	struct x86_insn nop;
	assert_int_equal(x86_decode(site + 2, 6, &nop), 0);   /* the rest decodes as NOPs */
	assert_int_equal(nop.kind, X86_KIND_NONE);
	/* swapgs: the original bytes come back, the instruction is what counts */
	const x86_u8 sg[8] = { 0x0f, 0x01, 0xf8, 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	memcpy(site, sg, 8);
	assert_int_equal(x86_rewrite_site(site, 8, 3, X86_KIND_SWAPGS, &t, &in, &ret), X86_REWRITE_OK);
	assert_int_equal(x86_rewrite_trap(site, 8, 3, sg, X86_TRAP_ORIGINAL), 3);
	assert_memory_equal(site, sg, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_forms),
		cmocka_unit_test(test_decode_truncated_refused),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_rewrite_cli_inline),
		cmocka_unit_test(test_rewrite_sti_and_call),
		cmocka_unit_test(test_rewrite_refusals),
		cmocka_unit_test(test_rewrite_call_form),
		cmocka_unit_test(test_rewrite_trap_forms),
		cmocka_unit_test(test_nops_decode),
		cmocka_unit_test(test_mov_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
