/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target "image": ab-create's image path.  Every byte string is
 * handed to ab-create's validator (the loaders' shared validator,
 * domtools/libafterburn/validate.c, plus the slot map ab-create builds);
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

struct mem { unsigned char *base; size_t size; };

/* the sink ab_image_rewrite writes to: every write inside the buffer */
static int mem_write(void *ctx, uint64_t off, const void *p, size_t n)
{
	struct mem *m = ctx;
	if (off > m->size || n > m->size - off)
		abort();   /* a write outside the bundle */
	memcpy(m->base + off, p, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct ab_image img;

	if (ab_image_load(&img, data, size, err, sizeof(err)) == 0) {
		/* an image the validator accepts is rewritten as ab-create
		 * does, into memory the size of the image and its table */
		struct ab_rewrite_stats st;
		size_t tsize = ab_image_table_size(&img);
		struct mem m = { malloc(size + tsize), size + tsize };
		struct ab_sink sink = { mem_write, &m };
		if (m.base) {
			if (ab_image_rewrite(&img, data, size, size, &sink, &st, err, sizeof(err)))
				abort();   /* validated, then not rewritable: the verdicts disagree */
			free(m.base);
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
