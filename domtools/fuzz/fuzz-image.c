/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target "image": ab-create's image path.  Every byte string is
 * handed to ab-create's validator (the loaders' shared validator,
 * domtools/libafterburn/validate.c, plus the site list ab-create builds);
 * an image it accepts also goes through the builder's site rewriting.
 * Inputs up to 64 KiB also go through libafterburn's other readers
 * (ab-check's: symbols, sections by address, relocatable-object records,
 * mode ranges), as before issue 25: those serve the checker on the
 * project's own build outputs, not a loader, and their cost is not
 * bounded for hostile images.
 * Built with clang -fsanitize=fuzzer,address,undefined by
 * domtools/fuzz/run; a crash, an ASan or UBSan report, a timeout or an
 * out-of-memory is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domtools/ab-create.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct ab_image img;

	if (ab_image_load(&img, data, size, err, sizeof(err)) == 0) {
		/* an image the validator accepts is rewritten as ab-create does */
		unsigned char *copy = malloc(size ? size : 1);
		struct ab_rewrite_stats st;
		size_t tsize;
		if (copy) {
			memcpy(copy, data, size);
			void *table = ab_image_rewrite(&img, copy, size, &tsize, &st, err, sizeof(err));
			if (!table)
				abort();   /* validated, then not rewritable: the verdicts disagree */
			free(table);
			free(copy);
		}
	}
	ab_image_free(&img);
	(void)ab_v_is_burnt(data, size);

	if (size > 65536)
		return 0;
	struct ab_elf elf;
	if (ab_elf_from_memory(&elf, data, size, err, sizeof(err)) == 0) {
		struct ab_symbol *syms = NULL;
		struct ab_site *sites = NULL;
		struct ab_note note;
		size_t count = 0;

		if (ab_elf_symbols(&elf, &syms, err, sizeof(err)) >= 0)
			free(syms);
		if (ab_read_sites(&elf, &sites, &count, err, sizeof(err)) == 0)
			free(sites);
		ab_read_note(&elf, &note, err, sizeof(err));
		struct ab_mode_range *modes = NULL;
		if (ab_read_modes(&elf, &modes, &count, err, sizeof(err)) == 0)
			free(modes);
		for (size_t i = 0; i < elf.nsections; i++) {
			ab_elf_section_data(&elf, &elf.sections[i]);
			ab_elf_section_at(&elf, elf.sections[i].addr);
		}
		ab_elf_section(&elf, AFTERBURN_SECTION);
		ab_elf_close(&elf);
	}
	return 0;
}
