// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of the IA-64 front end (ia64/burn.c): the text it emits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "burner/frontend.h"
#include "ia64/sensitive.h"

static char *burn(const char *text, enum burn_mode mode, int *rc, struct burn_stats *stats)
{
	struct burn_input in = { "t.s", text, strlen(text) };
	struct burn_config cfg = { .mode = mode };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	memset(stats, 0, sizeof(*stats));
	*rc = ia64_burn(&in, out, &cfg, stats);
	fclose(out);
	return buf;
}

static void pad_site(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("foo: (p6) mov r8 = cr.ifa ;; add r9=r10,r11\n", BURN_MODE_PAD, &rc, &st);
	assert_int_equal(rc, 0);
	assert_int_equal(st.sites[IA64_KIND_MOV_FROM_CR], 1);
	assert_non_null(strstr(o, "foo:  ;; { .mmi ; [77101:] (p6) mov r8 = cr.ifa ;; nop.m 0 ; nop.i 0 }"));
	assert_non_null(strstr(o, ".xdata2 \".afterburn\", 12"));
	assert_non_null(strstr(o, "add r9=r10,r11"));
	free(o);
}

static void macro_site(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("\t(p7) rsm psr.i | psr.ic\n\tmov ar.k3 = 5\n", BURN_MODE_MACRO, &rc, &st);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(o, ".macro emul_rsm"));   /* the library comes first */
	assert_non_null(strstr(o, "emul_rsm pr=p7,imm=psr.i|psr.ic"));
	assert_non_null(strstr(o, "emul_mov_to_kr pr=p0,dst=ar.k3,src=5,idx=3,imm=1"));
	free(o);
}

static void bundle_with_site_is_unbundled(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("{ .mii\n\tcover\n\tnop.i 0\n}\n{ .mii\n\tadd r1=r2,r3\n}\n", BURN_MODE_PAD, &rc, &st);
	assert_int_equal(rc, 0);
	assert_int_equal(st.sites[IA64_KIND_COVER], 1);
	assert_null(strstr(o, "{ .mii\n\tcover"));          /* first bundle opened up */
	assert_non_null(strstr(o, "{ .mii\n\tadd r1=r2,r3\n}")); /* second kept verbatim */
	free(o);
}

static void not_sensitive(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("\tmov r8=ar.pfs ; mov ar.rsc=r9 ; mov b6=r8 // rfi in a comment\n"
		       "\t.xdata4 \".data..patch\", 1b-.\n", BURN_MODE_PAD, &rc, &st);
	assert_int_equal(rc, 0);
	for (unsigned k = 0; k < IA64_KIND_MAX; k++)
		assert_int_equal(st.sites[k], 0);
	free(o);
}

/* gas's register names are case-sensitive: `CR.IFA` is a symbol (mov
 * r8=imm22), so the burner must leave it alone. */
static void register_names_are_case_sensitive(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("\tmov r8=CR.IFA\n\tmov r8=cr.ifa\n", BURN_MODE_MACRO, &rc, &st);
	assert_int_equal(rc, 0);
	assert_int_equal(st.sites[IA64_KIND_MOV_FROM_CR], 1);
	assert_non_null(strstr(o, "\tmov r8=CR.IFA\n"));
	free(o);
}

static void bad_cr_is_an_error(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("# 40 \"x.S\"\n\tmov r8=cr.bogus\n", BURN_MODE_PAD, &rc, &st);
	assert_int_not_equal(rc, 0);
	free(o);
}

static void outside_exec(void **state)
{
	(void)state;
	struct burn_stats st;
	int rc;
	char *o = burn("\t.data\n\tmov r8=cr.ifa\n\t.text\n\trfi ;;\n"
		       "\t.pushsection .fixup,\"ax\"\n\tcover ;;\n\t.popsection\n"
		       "\t.section .rodata.x,\"a\"\n\titc.i r9\n\t.previous\n\ttpa r8=r9\n",
		       BURN_MODE_PAD, &rc, &st);
	assert_int_equal(rc, 0);
	assert_int_equal(st.outside_exec, 2);              /* in .data and .rodata.x */
	assert_int_equal(st.sites[IA64_KIND_MOV_FROM_CR], 1);
	assert_int_equal(st.sites[IA64_KIND_TPA], 1);      /* .previous went back to .text */
	assert_non_null(strstr(o, "\tmov r8=cr.ifa\n"));   /* left alone */
	assert_non_null(strstr(o, "[77101:] (p0) cover"));  /* .fixup is "ax" */
	assert_non_null(strstr(o, "[77101:] (p0) tpa r8=r9"));
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pad_site),
		cmocka_unit_test(macro_site),
		cmocka_unit_test(bundle_with_site_is_unbundled),
		cmocka_unit_test(not_sensitive),
		cmocka_unit_test(register_names_are_case_sensitive),
		cmocka_unit_test(bad_cr_is_an_error),
		cmocka_unit_test(outside_exec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
