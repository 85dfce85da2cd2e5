/* Unit tests of the x86 burner: every table spelling is classified as its
 * kind, lookalikes are not, and x86_burn emits one site per instruction
 * with line structure preserved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "x86/burn.h"
#include "x86/sensitive.h"

static int classify(const char *s, int bits, bool intel)
{
	struct x86_stmt_syntax syn = { .code_bits = bits, .intel = intel, .naked_regs = intel };
	const char *err = NULL;
	int k = x86_classify_statement(s, strlen(s), &syn, &err);
	assert_null(err);
	return k;
}

struct spelling { const char *text; int bits; bool intel; int kind; };

static const struct spelling spellings[] = {
	{ "cli", 64, 0, X86_KIND_CLI },
	{ "sti", 32, 0, X86_KIND_STI },
	{ "pushf", 64, 0, X86_KIND_PUSHF }, { "pushfq", 64, 0, X86_KIND_PUSHF },
	{ "pushfl", 32, 0, X86_KIND_PUSHF }, { "pushfw", 16, 0, X86_KIND_PUSHF },
	{ "popf", 64, 0, X86_KIND_POPF }, { "popfq", 64, 0, X86_KIND_POPF },
	{ "popfl", 32, 0, X86_KIND_POPF },
	{ "inb %dx, %al", 64, 0, X86_KIND_IN }, { "in $0x60, %al", 64, 0, X86_KIND_IN },
	{ "inw (%dx),%ax", 32, 0, X86_KIND_IN }, { "inl %dx,%eax", 32, 0, X86_KIND_IN },
	{ "outb %al, $34", 64, 0, X86_KIND_OUT }, { "outw %ax,%dx", 64, 0, X86_KIND_OUT },
	{ "outl %eax,(%dx)", 32, 0, X86_KIND_OUT }, { "out %al,%dx", 16, 0, X86_KIND_OUT },
	{ "insb", 64, 0, X86_KIND_INS }, { "insw", 64, 0, X86_KIND_INS },
	{ "insl", 32, 0, X86_KIND_INS },
	{ "outsb", 64, 0, X86_KIND_OUTS }, { "outsw", 64, 0, X86_KIND_OUTS },
	{ "outsl", 32, 0, X86_KIND_OUTS },
	{ "hlt", 64, 0, X86_KIND_HLT }, { "cpuid", 64, 0, X86_KIND_CPUID },
	{ "rdmsr", 64, 0, X86_KIND_RDMSR }, { "wrmsr", 64, 0, X86_KIND_WRMSR },
	{ "rdpmc", 64, 0, X86_KIND_RDPMC }, { "swapgs", 64, 0, X86_KIND_SWAPGS },
	{ "sysretq", 64, 0, X86_KIND_SYSRET }, { "sysretl", 64, 0, X86_KIND_SYSRET },
	{ "sysret", 64, 0, X86_KIND_SYSRET }, { "sysexit", 32, 0, X86_KIND_SYSEXIT },
	{ "sysexitl", 32, 0, X86_KIND_SYSEXIT },
	{ "iret", 32, 0, X86_KIND_IRET }, { "iretq", 64, 0, X86_KIND_IRET },
	{ "iretl", 32, 0, X86_KIND_IRET }, { "iretw", 16, 0, X86_KIND_IRET },
	{ "lret", 32, 0, X86_KIND_LRET }, { "lretq", 64, 0, X86_KIND_LRET },
	{ "lret $8", 32, 0, X86_KIND_LRET },
	{ "ljmp $0x10, $1f", 32, 0, X86_KIND_LJMP }, { "ljmpl *(%eax)", 32, 0, X86_KIND_LJMP },
	{ "ljmp *(%rax)", 64, 0, X86_KIND_LJMP }, { "jmp $0x10,$foo", 32, 0, X86_KIND_LJMP },
	{ "lcall $0x10, $foo", 32, 0, X86_KIND_LCALL }, { "lcall *(%eax)", 32, 0, X86_KIND_LCALL },
	{ "call $0x8,$bar", 16, 0, X86_KIND_LCALL },
	{ "int $0x80", 32, 0, X86_KIND_INT }, { "int $0x10", 16, 0, X86_KIND_INT },
	{ "into", 32, 0, X86_KIND_INTO },
	{ "push %ds", 32, 0, X86_KIND_PUSH_SEG }, { "pushl %es", 32, 0, X86_KIND_PUSH_SEG },
	{ "push %fs", 64, 0, X86_KIND_PUSH_SEG }, { "pushq %gs", 64, 0, X86_KIND_PUSH_SEG },
	{ "pushw %cs", 16, 0, X86_KIND_PUSH_SEG }, { "push %ss", 32, 0, X86_KIND_PUSH_SEG },
	{ "pop %ds", 32, 0, X86_KIND_POP_SEG }, { "popl %es", 32, 0, X86_KIND_POP_SEG },
	{ "pop %gs", 64, 0, X86_KIND_POP_SEG }, { "popw %ss", 16, 0, X86_KIND_POP_SEG },
	{ "mov %ax, %ds", 64, 0, X86_KIND_MOV_TO_SEG }, { "movw %ax,%ss", 32, 0, X86_KIND_MOV_TO_SEG },
	{ "movl %eax, %fs", 32, 0, X86_KIND_MOV_TO_SEG }, { "mov (%rax), %gs", 64, 0, X86_KIND_MOV_TO_SEG },
	{ "mov %fs, %eax", 64, 0, X86_KIND_MOV_FROM_SEG }, { "movw %cs, (%rdi)", 64, 0, X86_KIND_MOV_FROM_SEG },
	{ "movl %ss,%eax", 32, 0, X86_KIND_MOV_FROM_SEG },
	{ "mov %rax,%cr3", 64, 0, X86_KIND_MOV_TO_CR }, { "movq %rcx, %cr4", 64, 0, X86_KIND_MOV_TO_CR },
	{ "movl %eax,%cr0", 32, 0, X86_KIND_MOV_TO_CR }, { "mov %rax, %cr8", 64, 0, X86_KIND_MOV_TO_CR },
	{ "mov %cr2, %rax", 64, 0, X86_KIND_MOV_FROM_CR }, { "movl %cr0, %eax", 16, 0, X86_KIND_MOV_FROM_CR },
	{ "mov %rax, %db7", 64, 0, X86_KIND_MOV_TO_DR }, { "movq %rdi,%dr0", 64, 0, X86_KIND_MOV_TO_DR },
	{ "mov %db6, %rax", 64, 0, X86_KIND_MOV_FROM_DR }, { "movl %dr7,%eax", 32, 0, X86_KIND_MOV_FROM_DR },
	{ "lgdt (%rax)", 64, 0, X86_KIND_LGDT }, { "lgdtl (%bx)", 16, 0, X86_KIND_LGDT },
	{ "lidt early_idt(%rip)", 64, 0, X86_KIND_LIDT }, { "lidtl (%eax)", 32, 0, X86_KIND_LIDT },
	{ "lldt %ax", 64, 0, X86_KIND_LLDT }, { "ltr %ax", 64, 0, X86_KIND_LTR },
	{ "ltrw %ax", 32, 0, X86_KIND_LTR },
	{ "sgdt (%rax)", 64, 0, X86_KIND_SGDT }, { "sidt (%rax)", 64, 0, X86_KIND_SIDT },
	{ "sldt %ax", 64, 0, X86_KIND_SLDT }, { "str %ax", 64, 0, X86_KIND_STR },
	{ "smsw %ax", 32, 0, X86_KIND_SMSW }, { "lmsw %ax", 32, 0, X86_KIND_LMSW },
	{ "clts", 32, 0, X86_KIND_CLTS }, { "invd", 64, 0, X86_KIND_INVD },
	{ "wbinvd", 64, 0, X86_KIND_WBINVD }, { "wbnoinvd", 64, 0, X86_KIND_WBINVD },
	{ "invlpg (%rax)", 64, 0, X86_KIND_INVLPG }, { "invpcid (%rax), %rcx", 64, 0, X86_KIND_INVPCID },
	{ "lar %ax, %eax", 32, 0, X86_KIND_LAR }, { "larl %eax,%eax", 32, 0, X86_KIND_LAR },
	{ "lsl %eax, %eax", 64, 0, X86_KIND_LSL }, { "lslq %rax,%rax", 64, 0, X86_KIND_LSL },
	{ "verr %ax", 64, 0, X86_KIND_VERR }, { "verw (%rsp)", 64, 0, X86_KIND_VERW },
	{ "verw %cs:mds_clear_cpu_buffers", 64, 0, X86_KIND_VERW },
	{ "rdfsbase %rax", 64, 0, X86_KIND_RDFSBASE }, { "rdgsbase %rax", 64, 0, X86_KIND_RDGSBASE },
	{ "wrfsbase %rdi", 64, 0, X86_KIND_WRFSBASE }, { "wrgsbase %rdi", 64, 0, X86_KIND_WRGSBASE },
	{ "xgetbv", 64, 0, X86_KIND_XGETBV }, { "xsetbv", 64, 0, X86_KIND_XSETBV },
	{ "xsaves (%rdi)", 64, 0, X86_KIND_XSAVES }, { "xsaves64 (%rdi)", 64, 0, X86_KIND_XSAVES },
	{ "xrstors (%rdi)", 64, 0, X86_KIND_XRSTORS }, { "xrstors64 (%rdi)", 64, 0, X86_KIND_XRSTORS },
	{ "monitor", 64, 0, X86_KIND_MONITOR }, { "mwait", 64, 0, X86_KIND_MWAIT },
	{ "clac", 64, 0, X86_KIND_CLAC }, { "stac", 64, 0, X86_KIND_STAC },
	{ "rdtsc", 64, 0, X86_KIND_RDTSC }, { "rdtscp", 64, 0, X86_KIND_RDTSCP },
	{ "lss (%rax), %rsp", 64, 0, X86_KIND_LOAD_FARPTR }, { "lfs (%eax), %eax", 32, 0, X86_KIND_LOAD_FARPTR },
	{ "lgs (%eax), %eax", 32, 0, X86_KIND_LOAD_FARPTR }, { "lds (%eax), %eax", 32, 0, X86_KIND_LOAD_FARPTR },
	{ "les (%bx), %ax", 16, 0, X86_KIND_LOAD_FARPTR },
	/* prefixes */
	{ "rep insb", 64, 0, X86_KIND_INS }, { "rep outsl", 32, 0, X86_KIND_OUTS },
	{ "lock cli", 64, 0, X86_KIND_CLI }, { "data16 lgdt (%rax)", 64, 0, X86_KIND_LGDT },
	{ "{disp32} mov %rax, %cr3", 64, 0, X86_KIND_MOV_TO_CR }, { "rex64 sysret", 64, 0, X86_KIND_SYSRET },
	{ "cs verw (%rax)", 64, 0, X86_KIND_VERW },
	/* upper case */
	{ "CLI", 64, 0, X86_KIND_CLI }, { "MOVQ %RAX, %CR3", 64, 0, X86_KIND_MOV_TO_CR },
	/* Intel syntax */
	{ "mov cr3, rax", 64, 1, X86_KIND_MOV_TO_CR }, { "mov rax, cr0", 64, 1, X86_KIND_MOV_FROM_CR },
	{ "mov ds, ax", 64, 1, X86_KIND_MOV_TO_SEG }, { "mov eax, fs", 64, 1, X86_KIND_MOV_FROM_SEG },
	{ "mov dr7, rax", 64, 1, X86_KIND_MOV_TO_DR }, { "pushfd", 32, 1, X86_KIND_PUSHF },
	{ "iretd", 32, 1, X86_KIND_IRET }, { "retf", 32, 1, X86_KIND_LRET },
	{ "jmp far [eax]", 32, 1, X86_KIND_LJMP }, { "jmp 0x10:start", 32, 1, X86_KIND_LJMP },
	{ "call fword ptr [eax]", 32, 1, X86_KIND_LCALL }, { "push fs", 64, 1, X86_KIND_PUSH_SEG },
	{ "insd", 32, 1, X86_KIND_INS }, { "outsd", 32, 1, X86_KIND_OUTS },
	{ "in al, dx", 64, 1, X86_KIND_IN },
	/* .byte spellings */
	{ ".byte 0x0f,0x01,0xca", 64, 0, X86_KIND_CLAC }, { ".byte 0x0f, 0x01, 0xcb", 64, 0, X86_KIND_STAC },
	{ ".byte 0x0f,0x01,0xc8", 64, 0, X86_KIND_MONITOR }, { ".byte 0x0f,0x01,0xc9", 64, 0, X86_KIND_MWAIT },
	{ ".byte 0x0f,0x01,0xf8", 64, 0, X86_KIND_SWAPGS }, { ".byte 0x0f,0x01,0xf9", 64, 0, X86_KIND_RDTSCP },
	{ ".byte 0x0f,0x01,0xd0", 64, 0, X86_KIND_XGETBV }, { ".byte 0x0f,0x01,0xd1", 64, 0, X86_KIND_XSETBV },
	{ ".byte 0x48,0x0f,0xc7,0x2f", 64, 0, X86_KIND_XSAVES }, { ".byte 0x48,0x0f,0xc7,0x1f", 64, 0, X86_KIND_XRSTORS },
	{ ".byte 0x0f,0xc7,0x2f", 32, 0, X86_KIND_XSAVES }, { ".byte 0x0f,0xa2", 64, 0, X86_KIND_CPUID },
	{ ".byte 0x0f,0x30", 64, 0, X86_KIND_WRMSR }, { ".byte 0x0f,0x32", 64, 0, X86_KIND_RDMSR },
	{ ".byte 0x0f,0x09", 64, 0, X86_KIND_WBINVD }, { ".byte 0x0f,0x01,0x38", 64, 0, X86_KIND_INVLPG },
	{ ".byte 0x66,0x0f,0x38,0x82,0x08", 64, 0, X86_KIND_INVPCID },
	{ ".byte 0xf3,0x48,0x0f,0xae,0xc0", 64, 0, X86_KIND_RDFSBASE },
	{ ".byte 0xf3,0x48,0x0f,0xae,0xd7", 64, 0, X86_KIND_WRFSBASE },
	{ ".byte 0x0f,0x22,0xd8", 64, 0, X86_KIND_MOV_TO_CR }, { ".byte 0x0f, 0x01, 0x15, 0, 0, 0, 0", 64, 0, X86_KIND_LGDT },
	{ ".byte 0xcd, 0x80", 32, 0, X86_KIND_INT }, { ".byte 15, 1, 202", 64, 0, X86_KIND_CLAC },
	{ ".byte 0x0f,0x00,0x2c,0x24", 64, 0, X86_KIND_VERW },
};

static void every_spelling_has_its_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		int k = classify(spellings[i].text, spellings[i].bits, spellings[i].intel);
		if (k != spellings[i].kind)
			fail_msg("`%s` (%d-bit): kind %d, expected %d", spellings[i].text,
				 spellings[i].bits, k, spellings[i].kind);
	}
}

/* Every kind of the table is exercised by the list above. */
static void every_kind_is_covered(void **state)
{
	(void)state;
	for (int k = 1; k < X86_KIND_MAX; k++) {
		bool seen = false;
		for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
			seen |= spellings[i].kind == k;
		if (!seen)
			fail_msg("kind %d (%s) has no spelling test", k, x86_kind_info(k)->name);
	}
}

/* The burner's fast path passes a line through only when
 * x86_statement_surely_plain says so: it must never say so of a sensitive
 * spelling, in any mode, with or without upper case or blanks. */
static void fast_path_never_claims_a_spelling(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		const struct spelling *sp = &spellings[i];
		if (!sp->kind)
			continue;
		for (int bits = 16; bits <= 64; bits *= 2) {
			/* in every mode where it is sensitive (0x48, REX.W in
			 * 64-bit code, is an instruction of its own in 16-bit) */
			if (!classify(sp->text, bits, sp->intel))
				continue;
			struct x86_stmt_syntax syn = { .code_bits = bits, .intel = sp->intel,
						       .naked_regs = sp->intel };
			char text[128];
			snprintf(text, sizeof(text), "\t%s  ", sp->text);
			if (x86_statement_surely_plain(text, strlen(text), &syn))
				fail_msg("fast path would pass sensitive \"%s\" (%d-bit)", sp->text, bits);
		}
	}
	/* and the ordinary lines it exists for do pass */
	struct x86_stmt_syntax syn64 = { .code_bits = 64 };
	static const char *const plain[] = { "movq %rax, 8(%rsp)", "pushq %rbp", "popq %rbx",
					     "call foo", "jmp .L3", "addl $1, %eax", "mov %gs:0x10, %rax",
					     ".byte 0", ".byte 0x1", ".byte 12, 0x34" };
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!x86_statement_surely_plain(plain[i], strlen(plain[i]), &syn64) &&
		    strcmp(plain[i], "mov %gs:0x10, %rax"))   /* an override: the full parser, by design */
			fail_msg("fast path refuses plain \"%s\"", plain[i]);
}

static void lookalikes_are_not_sensitive(void **state)
{
	(void)state;
	static const char *const benign[] = {
		"int3", "int $3", "int $0x3", "mov %rax, %rbx", "movq %cr3val(%rip), %rax",
		"push %rax", "pop %rbx", "inc %eax", "incl (%rax)", "outside:", "int1",
		"jmp *%rax", "call foo", "jmp foo", "clc", "stc", "std", "cld",
		"sti_label = 3", "movw %ax, %bx", "str2 = 1", ".byte 0x90", ".byte 0xfa",
		".byte 0x0f,0x0b", ".byte 0x0f,0x01,0xca,0x90", "mov %cs:foo, %eax",
		"mov %fs:0x28, %rax", "lea (%rax), %rbx", "nopl 0(%rax)", "xsave (%rdi)",
		"xrstor (%rdi)", ".section .text", "rdpid %rax", "pause", "lfence",
		"push $0x10", "ret", "lock incl (%rax)", "repne scasb", "syscall", "sysenter",
		"vmcall", "ud2",
	};
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		int k = classify(benign[i], 64, false);
		if (k)
			fail_msg("`%s` classified as kind %d", benign[i], k);
	}
	/* modes: swapgs exists only in 64-bit code */
	assert_int_equal(classify("pop %cs", 32, false), X86_KIND_POP_SEG);
	assert_int_equal(classify("swapgs", 32, false), 0);
}

static void non_constant_modrm_byte_is_an_error(void **state)
{
	(void)state;
	struct x86_stmt_syntax syn = { .code_bits = 64 };
	const char *err = NULL;
	const char *s = ".byte 0x0f, 0x01, \\modrm";
	assert_int_equal(x86_classify_statement(s, strlen(s), &syn, &err), 0);
	assert_non_null(err);
}

static char *burn(const char *src, int *rc, struct burn_stats *st)
{
	struct burn_input in = { .name = "t.s", .text = src, .len = strlen(src) };
	struct burn_config cfg = { .code_bits = 64 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	memset(st, 0, sizeof(*st));
	*rc = x86_burn(&in, f, &cfg, st);
	fclose(f);
	return out;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static size_t lines(const char *s)
{
	return count(s, "\n");
}

static void burn_keeps_lines_and_marks_each_site(void **state)
{
	(void)state;
	const char *src =
		"# 1 \"t.S\"\n"
		"foo: cli ; pushf ; pop %rbx # sti\n"
		"/* cli\n"
		"  cli */ nop\n"
		"\t.ascii \"cli; sti #\"\n"
		"\trep; insb\n"
		"\t.pushsection .data\n"
		"\tnop\n"
		"\t.popsection\n"
		"\t.pushsection .altinstr_replacement,\"ax\"\n"
		"\t.byte 0x0f,0x01,0xca\n"
		"\t.popsection\n"
		"\tALTERNATIVE \"\", \"stac\", 1\n";
	struct burn_stats st;
	int rc;
	char *out = burn(src, &rc, &st);
	assert_int_equal(rc, 0);
	/* body lines unchanged in number: prelude + marker + body + note */
	const char *body = strstr(out, "# 1 \"t.S\"");
	assert_non_null(body);
	const char *note = strstr(body, ".pushsection .note.afterburn");
	assert_non_null(note);
	assert_int_equal(lines(body) - lines(note), lines(src));
	assert_int_equal(count(body, "s: "), 4);   /* .L__ab<n>s: */
	assert_int_equal(st.sites[X86_KIND_CLI], 1);
	assert_int_equal(st.sites[X86_KIND_PUSHF], 1);
	assert_int_equal(st.sites[X86_KIND_INS], 1);
	assert_int_equal(st.sites[X86_KIND_CLAC], 1);
	assert_int_equal(st.sites[X86_KIND_STI], 0);
	/* the prefix statement belongs to the site, whose record is spelled
	 * out on its line: no site macro is called, none is defined */
	assert_non_null(strstr(body, ".L__ab2s: rep; insb ; .L__ab2p: .nops -((((8)-(.L__ab2p-.L__ab2s))>0)"));
	assert_non_null(strstr(body, " ; .long .L__ab2s-. ; .byte .L__ab2e-.L__ab2s ; .byte .L__ab2p-.L__ab2s ; .short 7 ; .popsection\n"));
	assert_null(strstr(out, X86_BURN_SITE_MACRO));
	/* the macro is unknown here: ALTERNATIVE args are left alone */
	assert_non_null(strstr(body, "ALTERNATIVE \"\", \"stac\", 1"));
	free(out);
}

static void burn_reports_sites_outside_code(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *out = burn(".data\ncli\n.text\ncli\n", &rc, &st);
	assert_int_equal(rc, 0);
	assert_int_equal(st.outside_exec, 1);
	assert_int_equal(count(out, ".L__ab0s: cli"), 1);
	free(out);
}

static void burn_rewrites_macro_string_arguments(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *out = burn(".macro ALT old, new\n\\old\n.endm\nALT \"pushf; pop %rax\", \".byte 0x0f,0x01,0xcb\"\n",
			 &rc, &st);
	assert_int_equal(rc, 0);
	/* quotes cannot go into a string: these sites call the macro,
	 * defined once at the top */
	assert_non_null(strstr(out, "ALT \"77101: pushf ; " X86_BURN_SITE_MACRO " 8,3; pop %rax\", \"77101: .byte 0x0f,0x01,0xcb ; "));
	assert_ptr_equal(strstr(out, ".macro " X86_BURN_SITE_MACRO " "), out);
	free(out);
}

static void burn_fails_on_undecodable_bytes(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *out = burn(".macro m r\n.byte 0x0f,0x01,\\r\n.endm\n", &rc, &st);
	assert_int_not_equal(rc, 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_spelling_has_its_kind),
		cmocka_unit_test(every_kind_is_covered),
		cmocka_unit_test(lookalikes_are_not_sensitive),
		cmocka_unit_test(fast_path_never_claims_a_spelling),
		cmocka_unit_test(non_constant_modrm_byte_is_an_error),
		cmocka_unit_test(burn_keeps_lines_and_marks_each_site),
		cmocka_unit_test(burn_reports_sites_outside_code),
		cmocka_unit_test(burn_rewrites_macro_string_arguments),
		cmocka_unit_test(burn_fails_on_undecodable_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
