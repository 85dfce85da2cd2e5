// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of the IA-64 bundle codec, classifier and site rewriter.
 * Reference bytes come from ia64-linux-gnu-as 2.40 (objdump shown). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ia64/bundle.h"
#include "ia64/rewrite.h"
#include "ia64/sensitive.h"
#include "ia64/vcpu.h"

/* [MMI] mov psr.l=r9;; / mov r9=psr / nop.i (assembled) */
static const uint8_t psr_bundle[16] = {
	0x0b, 0x00, 0x24, 0x00, 0x2d, 0x04, 0x90, 0x00,
	0x00, 0x4a, 0x08, 0x00, 0x00, 0x00, 0x04, 0x00,
};
/* [MMI] mov cr.ifa=r9;; / mov r9=cr.ifa / nop.i */
static const uint8_t cr_bundle[16] = {
	0x0b, 0x00, 0x24, 0x28, 0x2c, 0x04, 0x90, 0x00,
	0x50, 0x48, 0x08, 0x00, 0x00, 0x00, 0x04, 0x00,
};

static void roundtrip(void **state)
{
	(void)state;
	uint8_t out[16];
	struct ia64_bundle b = ia64_bundle_load(cr_bundle);
	assert_int_equal(ia64_bundle_template(b), 0x0b);
	struct ia64_bundle c = ia64_bundle_make(0x0b, ia64_bundle_slot(b, 0),
						ia64_bundle_slot(b, 1), ia64_bundle_slot(b, 2));
	ia64_bundle_store(c, out);
	assert_memory_equal(out, cr_bundle, 16);
	assert_string_equal(ia64_template_units(0x0b), "MMI");
	assert_int_equal(ia64_template_stops(0x0b), 5);
	assert_int_equal(ia64_template_find("MLX", 4), 0x05);
	assert_null(ia64_template_units(0x06));
}

static void classify_reference(void **state)
{
	(void)state;
	struct ia64_bundle p = ia64_bundle_load(psr_bundle), c = ia64_bundle_load(cr_bundle);
	assert_int_equal(ia64_classify(ia64_bundle_slot(p, 0), 'M'), IA64_KIND_MOV_TO_PSR_L);
	assert_int_equal(ia64_classify(ia64_bundle_slot(p, 1), 'M'), IA64_KIND_MOV_FROM_PSR);
	assert_int_equal(ia64_classify(ia64_bundle_slot(c, 0), 'M'), IA64_KIND_MOV_TO_CR);
	assert_int_equal(ia64_classify(ia64_bundle_slot(c, 1), 'M'), IA64_KIND_MOV_FROM_CR);
	assert_int_equal(ia64_insn_r3(ia64_bundle_slot(c, 1)), 20);   /* cr.ifa */
	assert_true(ia64_is_nop(ia64_bundle_slot(c, 2), 'I'));
	assert_int_equal(ia64_classify(ia64_bundle_slot(c, 2), 'I'), IA64_KIND_NONE);
	assert_int_equal(ia64_cr_number("ifa"), 20);
	assert_string_equal(ia64_cr_name(65), "ivr");
	assert_string_equal(ia64_kind_name(IA64_KIND_RFI), "RFI");
	assert_string_equal(ia64_kind_macro(IA64_KIND_MOV_TO_CR), "mov_to_cr");
}

static void movl_roundtrip(void **state)
{
	(void)state;
	static const uint64_t values[] = {0, 1, 0xa000000000010100ULL, 0x8000000000000000ULL,
					  0x123456789abcdef0ULL, ~0ULL};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t l, x;
		ia64_enc_movl(6, 9, values[i], &l, &x);
		assert_int_equal(ia64_movl_imm(l, x), values[i]);
		assert_int_equal(ia64_insn_qp(x), 6);
		assert_int_equal(ia64_insn_r1(x), 9);
	}
}

/* A pad-mode site: { .mmi (p6) mov r9=cr.ifa ;; nop.m ; nop.i } { nops ;; } */
static void make_site(uint8_t site[32], uint64_t insn)
{
	ia64_bundle_store(ia64_bundle_make(0x0a, insn, ia64_enc_nop('M'), ia64_enc_nop('I')), site);
	ia64_bundle_store(ia64_bundle_make(0x01, ia64_enc_nop('M'), ia64_enc_nop('I'),
					   ia64_enc_nop('I')), site + 16);
}

static void rewrite_load(void **state)
{
	(void)state;
	uint8_t site[32];
	char err[200];
	uint64_t insn = ia64_bundle_slot(ia64_bundle_load(cr_bundle), 1) | 6;   /* (p6) */
	make_site(site, insn);
	assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_MOV_FROM_CR, 0x10000, err, sizeof(err)),
			 IA64_FORM_LOAD);
	struct ia64_bundle b0 = ia64_bundle_load(site), b1 = ia64_bundle_load(site + 16);
	assert_int_equal(ia64_bundle_template(b0), 0x05);
	uint64_t x = ia64_bundle_slot(b0, 2);
	assert_int_equal(ia64_movl_imm(ia64_bundle_slot(b0, 1), x), 0x10000 + AB_IA64_VCPU_CR + 8 * 20);
	assert_int_equal(ia64_insn_qp(x), 6);
	assert_int_equal(ia64_bundle_slot(b1, 0), ia64_enc_ld8(6, 9, 9));
}

static void rewrite_trap_keeps_original(void **state)
{
	(void)state;
	uint8_t site[32], before[32];
	char err[200];
	uint64_t insn = ia64_bundle_slot(ia64_bundle_load(psr_bundle), 0);   /* mov psr.l=r9 */
	make_site(site, insn);
	memcpy(before, site, 32);
	assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_MOV_TO_PSR_L, 0x10000, err, sizeof(err)),
			 IA64_FORM_TRAP);
	assert_memory_equal(site + 16, before, 16);
	uint64_t brk = ia64_bundle_slot(ia64_bundle_load(site), 0);
	assert_int_equal(ia64_insn_imm21(brk), IA64_BREAK_WEDGE + IA64_KIND_MOV_TO_PSR_L);
}

static void rewrite_refuses_mismatch(void **state)
{
	(void)state;
	uint8_t site[32], before[32];
	char err[200] = "";
	make_site(site, ia64_bundle_slot(ia64_bundle_load(cr_bundle), 1));
	memcpy(before, site, 32);
	assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_RFI, 0x10000, err, sizeof(err)),
			 IA64_FORM_NONE);
	assert_non_null(strstr(err, "record says"));
	assert_memory_equal(site, before, 32);
	/* pad bundle not nops */
	ia64_bundle_store(ia64_bundle_load(cr_bundle), site + 16);
	assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_MOV_FROM_CR, 0x10000, err, sizeof(err)),
			 IA64_FORM_NONE);
	/* misaligned virtual CPU */
	make_site(site, ia64_bundle_slot(ia64_bundle_load(cr_bundle), 1));
	assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_MOV_FROM_CR, 0x10008, err, sizeof(err)),
			 IA64_FORM_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(classify_reference),
		cmocka_unit_test(movl_roundtrip),
		cmocka_unit_test(rewrite_load),
		cmocka_unit_test(rewrite_trap_keeps_original),
		cmocka_unit_test(rewrite_refuses_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
