/* libafterburn on malformed input: every header field that names an
 * offset, size, count or index is checked (no crash, an error message). */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domtools/libafterburn/afterburn.h"

/* A minimal valid ELF64 relocatable: null, .shstrtab, .text */
struct mini {
	Elf64_Ehdr eh;
	char shstr[32];
	unsigned char text[16];
	Elf64_Shdr sh[3];
};

static void build(struct mini *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = ET_REL;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_shoff = offsetof(struct mini, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 3;
	m->eh.e_shstrndx = 1;
	memcpy(m->shstr, "\0.shstrtab\0.text\0", 17);
	m->sh[1].sh_name = 1;
	m->sh[1].sh_type = SHT_STRTAB;
	m->sh[1].sh_offset = offsetof(struct mini, shstr);
	m->sh[1].sh_size = sizeof(m->shstr);
	m->sh[2].sh_name = 11;
	m->sh[2].sh_type = SHT_PROGBITS;
	m->sh[2].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	m->sh[2].sh_offset = offsetof(struct mini, text);
	m->sh[2].sh_size = sizeof(m->text);
}

static int open_mini(struct mini *m, size_t size, char *err)
{
	struct ab_elf e;
	int r = ab_elf_from_memory(&e, m, size, err, 200);
	if (r == 0) {
		struct ab_site *s;
		size_t n;
		struct ab_note note;
		assert_int_equal(ab_read_sites(&e, &s, &n, err, 200), 0);
		assert_int_equal(n, 0);
		free(s);
		assert_int_equal(ab_read_note(&e, &note, err, 200), 0);
		assert_false(note.present);
		struct ab_mode_range *modes;
		assert_int_equal(ab_read_modes(&e, &modes, &n, err, 200), 0);
		assert_int_equal(n, 0);
		assert_null(modes);
		ab_elf_close(&e);
	}
	return r;
}

static void valid_minimal_elf(void **state)
{
	(void)state;
	struct mini m;
	char err[200];
	build(&m);
	assert_int_equal(open_mini(&m, sizeof(m), err), 0);
	struct ab_elf e;
	assert_int_equal(ab_elf_from_memory(&e, &m, sizeof(m), err, sizeof(err)), 0);
	const struct ab_section *t = ab_elf_section(&e, ".text");
	assert_non_null(t);
	assert_int_equal(ab_elf_section_index(&e, t), 2);
	ab_elf_close(&e);
}

static void malformed_headers_are_errors(void **state)
{
	(void)state;
	struct mini m;
	char err[200];
	build(&m); m.eh.e_shoff = 1u << 30;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	assert_non_null(strstr(err, "outside the file"));
	build(&m); m.eh.e_shnum = 0xffff;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.eh.e_shstrndx = 7;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.eh.e_shentsize = 12;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.sh[2].sh_offset = (uint64_t)-8;   /* offset + size wraps */
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.sh[2].sh_size = (uint64_t)-1;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.sh[2].sh_name = 5000;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); memset(m.shstr, 'x', sizeof(m.shstr));   /* no NUL */
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.sh[1].sh_type = SHT_PROGBITS;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	build(&m); m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(open_mini(&m, sizeof(m), err), -1);
	/* truncation at every length below the whole is an error, never a crash */
	build(&m);
	for (size_t len = 0; len < sizeof(m); len++) {
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, &m, len);
		struct ab_elf e;
		if (ab_elf_from_memory(&e, copy, len, err, sizeof(err)) == 0)
			ab_elf_close(&e);
		free(copy);
	}
}

/* .afterburn with a size that is not a multiple of 8, and one without
 * relocations in a relocatable object. */
static void malformed_records_are_errors(void **state)
{
	(void)state;
	struct {
		struct mini m;
		unsigned char recs[8];
		Elf64_Shdr extra;
	} x;
	char err[200];
	build(&x.m);
	/* rename .text to .afterburn: same length plus room? use a new name */
	memcpy(x.m.shstr, "\0.shstrtab\0.afterburn\0", 22);
	x.m.sh[2].sh_name = 11;
	x.m.sh[2].sh_flags = SHF_ALLOC;
	x.m.sh[2].sh_size = 12;
	struct ab_elf e;
	assert_int_equal(ab_elf_from_memory(&e, &x.m, sizeof(x.m), err, sizeof(err)), 0);
	struct ab_site *s;
	size_t n;
	assert_int_equal(ab_read_sites(&e, &s, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "multiple of 8"));
	ab_elf_close(&e);
	x.m.sh[2].sh_size = 8;
	assert_int_equal(ab_elf_from_memory(&e, &x.m, sizeof(x.m), err, sizeof(err)), 0);
	assert_int_equal(ab_read_sites(&e, &s, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no relocation"));
	ab_elf_close(&e);
	/* the same in an executable: resolved from the address */
	x.m.eh.e_type = ET_EXEC;
	assert_int_equal(ab_elf_from_memory(&e, &x.m, sizeof(x.m), err, sizeof(err)), 0);
	assert_int_equal(ab_read_sites(&e, &s, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	free(s);
	ab_elf_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_minimal_elf),
		cmocka_unit_test(malformed_headers_are_errors),
		cmocka_unit_test(malformed_records_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
