/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the image parser: every byte string is handed to
 * ab-create's validator (libafterburn's ELF, note and record readers plus
 * the program-header and site checks) and to libafterburn's other entry
 * points (symbols, sections by address, relocatable-object records); an
 * image it accepts also goes through the builder's site rewriting.
 * Built with clang -fsanitize=fuzzer,address,undefined by
 * domtools/fuzz/run; a crash, an ASan report or a UBSan report is a bug.
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
			free(ab_image_rewrite(&img, copy, size, &tsize, &st, err, sizeof(err)));
			free(copy);
		}
	}
	ab_image_free(&img);

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
