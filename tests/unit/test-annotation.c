/* Unit tests for the annotation ABI header and the x86 kind table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <afterburn/annotation.h>
#include "x86/sensitive.h"

static void record_layout(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct afterburn_record, offset), 0);
	assert_int_equal(offsetof(struct afterburn_record, length), 4);
	assert_int_equal(offsetof(struct afterburn_record, insn), 5);
	assert_int_equal(offsetof(struct afterburn_record, kind), 6);
	assert_int_equal(offsetof(struct afterburn_note_desc, arch), 4);
	assert_int_equal(offsetof(struct afterburn_note_desc, flags), 8);
}

/* A record's site is relative to the record's own offset field. */
static void record_site_is_position_independent(void **state)
{
	(void)state;
	static unsigned char text[64];
	static struct afterburn_record recs[2];
	recs[0].offset = (int32_t)((intptr_t)&text[10] - (intptr_t)&recs[0].offset);
	recs[1].offset = (int32_t)((intptr_t)&text[40] - (intptr_t)&recs[1].offset);
	assert_ptr_equal((void *)afterburn_record_site(&recs[0]), &text[10]);
	assert_ptr_equal((void *)afterburn_record_site(&recs[1]), &text[40]);
}

struct kind_row { int id; const char *name; int pad; int flags; };
static const struct kind_row kinds[] = {
#define X86_KIND(id, name, pad, flags) { id, #name, pad, flags },
#include "x86/sensitive.def"
#undef X86_KIND
};

/* Kind numbers are dense from 1, unique, and every rewritten class has room
 * for a 5-byte call; the enum agrees with the table. */
static void kind_table_is_consistent(void **state)
{
	(void)state;
	size_t n = sizeof(kinds) / sizeof(kinds[0]);
	assert_int_equal(n, X86_KIND_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(kinds[i].id, (int)i + 1);
		assert_true(kinds[i].pad >= 5 && kinds[i].pad <= 255);
		assert_true(kinds[i].flags & (X86_K_REWRITE | X86_K_COUNT));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(kinds[i].name, kinds[j].name);
	}
	assert_int_equal(X86_KIND_CLI, 1);
	assert_int_equal(X86_KIND_RDTSC, 62);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_layout),
		cmocka_unit_test(record_site_is_position_independent),
		cmocka_unit_test(kind_table_is_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
