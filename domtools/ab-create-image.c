/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create: validation of a burnt x86-64 kernel image before it is placed
 * in a domain.  libafterburn reads the ELF header, sections, note and
 * records with bounds checks; this file adds what a loader needs on top:
 * the program headers (bounded, non-overlapping, inside the file), an
 * entry in executable code, and every site inside executable, file-backed
 * code, with sane lengths, holding the recorded instruction (x86/decode.c,
 * the wedge's own decoder) and no two sites overlapping.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domtools/ab-create.h"
#include "domtools/libafterburn/util.h"
#include "x86/decode.h"
#include "x86/sensitive.h"


/* [a, a+alen) and [b, b+blen) intersect; lengths are bounded so no overflow. */
static int ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int read_segments(struct ab_image *img, char *err, size_t errlen)
{
	const unsigned char *d = img->elf.data;
	size_t size = img->elf.size;
	uint64_t phoff = rd64(d + offsetof(Elf64_Ehdr, e_phoff));
	uint16_t phentsize = rd16(d + offsetof(Elf64_Ehdr, e_phentsize));
	uint16_t phnum = rd16(d + offsetof(Elf64_Ehdr, e_phnum));

	if (phnum == 0)
		return fail(err, errlen, "no program headers: not a loadable image");
	if (phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header size %u, expected %zu", phentsize, sizeof(Elf64_Phdr));
	if (phnum > 4 * AB_IMAGE_MAX_SEGMENTS)
		return fail(err, errlen, "%u program headers: more than the %d a kernel could have",
			    phnum, 4 * AB_IMAGE_MAX_SEGMENTS);
	if (phoff > size || (uint64_t)phnum * phentsize > size - phoff)
		return fail(err, errlen, "program headers (%u at %#llx) extend past the end of the file (%zu bytes)",
			    phnum, (unsigned long long)phoff, size);

	img->pstart = UINT64_MAX;
	img->pend = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const unsigned char *p = d + phoff + (uint64_t)i * phentsize;
		if (rd32(p + offsetof(Elf64_Phdr, p_type)) != PT_LOAD)
			continue;
		struct ab_image_segment s = {
			.offset = rd64(p + offsetof(Elf64_Phdr, p_offset)),
			.vaddr = rd64(p + offsetof(Elf64_Phdr, p_vaddr)),
			.paddr = rd64(p + offsetof(Elf64_Phdr, p_paddr)),
			.filesz = rd64(p + offsetof(Elf64_Phdr, p_filesz)),
			.memsz = rd64(p + offsetof(Elf64_Phdr, p_memsz)),
			.flags = rd32(p + offsetof(Elf64_Phdr, p_flags)),
		};
		if (s.memsz == 0)
			continue;
		if (img->nsegments == AB_IMAGE_MAX_SEGMENTS)
			return fail(err, errlen, "more than %d loadable segments", AB_IMAGE_MAX_SEGMENTS);
		if (s.filesz > s.memsz)
			return fail(err, errlen, "segment %u: file size %#llx exceeds memory size %#llx",
				    i, (unsigned long long)s.filesz, (unsigned long long)s.memsz);
		if (s.memsz > AB_IMAGE_MAX_SEGMENT_SIZE)
			return fail(err, errlen, "segment %u: memory size %#llx is larger than %#llx",
				    i, (unsigned long long)s.memsz, AB_IMAGE_MAX_SEGMENT_SIZE);
		if (s.offset > size || s.filesz > size - s.offset)
			return fail(err, errlen, "segment %u: bytes %#llx+%#llx lie outside the file (%zu bytes): truncated image?",
				    i, (unsigned long long)s.offset, (unsigned long long)s.filesz, size);
		if (s.vaddr > UINT64_MAX - s.memsz || s.paddr > UINT64_MAX - s.memsz)
			return fail(err, errlen, "segment %u: address range wraps around", i);
		for (size_t j = 0; j < img->nsegments; j++) {
			const struct ab_image_segment *o = &img->segments[j];
			if (ranges_overlap(s.vaddr, s.memsz, o->vaddr, o->memsz) ||
			    ranges_overlap(s.paddr, s.memsz, o->paddr, o->memsz))
				return fail(err, errlen, "segment %u (%#llx+%#llx) overlaps an earlier loadable segment (%#llx+%#llx)",
					    i, (unsigned long long)s.vaddr, (unsigned long long)s.memsz,
					    (unsigned long long)o->vaddr, (unsigned long long)o->memsz);
		}
		if (s.paddr < img->pstart)
			img->pstart = s.paddr;
		if (s.paddr + s.memsz > img->pend)
			img->pend = s.paddr + s.memsz;
		img->segments[img->nsegments++] = s;
	}
	if (img->nsegments == 0)
		return fail(err, errlen, "no loadable segment");
	return 0;
}

/* The executable, file-backed segment holding [addr, addr+len), or NULL. */
static const struct ab_image_segment *code_at(const struct ab_image *img, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < img->nsegments; i++) {
		const struct ab_image_segment *s = &img->segments[i];
		if ((s->flags & PF_X) && addr >= s->vaddr && addr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (addr - s->vaddr))
			return s;
	}
	return NULL;
}

static int by_addr(const void *a, const void *b)
{
	const struct ab_site *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int check_sites(struct ab_image *img, char *err, size_t errlen)
{
	for (size_t i = 0; i < img->nsites; i++) {
		const struct ab_site *s = &img->sites[i];
		if (s->kind == X86_KIND_NONE || s->kind >= X86_KIND_MAX)
			return fail(err, errlen, "record %zu: unknown kind %u (x86/sensitive.def has 1..%d)",
				    s->record, s->kind, X86_KIND_MAX - 1);
		if (s->insn == 0 || s->insn > 15 || s->insn > s->length)
			return fail(err, errlen, "record %zu: instruction length %u does not fit its site of %u bytes",
				    s->record, s->insn, s->length);
		const struct ab_image_segment *seg = code_at(img, s->addr, s->length);
		if (!seg)
			return fail(err, errlen, "record %zu: site %#llx+%u is not inside executable code",
				    s->record, (unsigned long long)s->addr, s->length);
		/* The bytes must be the recorded instruction, as the wedge will
		 * check before rewriting: refuse here, before a domain exists. */
		const unsigned char *bytes = img->elf.data + seg->offset + (s->addr - seg->vaddr);
		struct x86_insn insn;
		if (x86_decode(bytes, s->length, &insn))
			return fail(err, errlen, "record %zu (%s): the bytes at %#llx are not a sensitive instruction the decoder knows",
				    s->record, x86_kind_name(s->kind), (unsigned long long)s->addr);
		if (insn.kind != s->kind || insn.len != s->insn)
			return fail(err, errlen, "record %zu: says %s of %u bytes at %#llx, the bytes are %s of %u bytes",
				    s->record, x86_kind_name(s->kind), s->insn, (unsigned long long)s->addr,
				    x86_kind_name(insn.kind), insn.len);
	}
	qsort(img->sites, img->nsites, sizeof(*img->sites), by_addr);
	for (size_t i = 1; i < img->nsites; i++) {
		const struct ab_site *a = &img->sites[i - 1], *b = &img->sites[i];
		if (b->addr < a->addr + a->length)
			return fail(err, errlen, "records %zu and %zu: sites %#llx+%u and %#llx+%u overlap",
				    a->record, b->record, (unsigned long long)a->addr, a->length,
				    (unsigned long long)b->addr, b->length);
	}
	return 0;
}

int ab_image_load(struct ab_image *img, const void *data, size_t size,
		  char *err, size_t errlen)
{
	char why[200];

	memset(img, 0, sizeof(*img));
	if (ab_elf_from_memory(&img->elf, data, size, why, sizeof(why)))
		return fail(err, errlen, "not a valid ELF image: %s", why);
	if (img->elf.elf_class != 64 || img->elf.machine != EM_X86_64)
		return fail(err, errlen, "ELF%d machine %u: ab-create boots x86-64 (ELF64, EM_X86_64) images",
			    img->elf.elf_class, img->elf.machine);
	if (img->elf.type != ET_EXEC)
		return fail(err, errlen, "ELF type %u: expected an executable (a linked vmlinux)", img->elf.type);
	if (ab_read_note(&img->elf, &img->note, why, sizeof(why)))
		return fail(err, errlen, "%s", why);
	if (!img->note.present)
		return fail(err, errlen, "no '%s' note (type %d): not a burnt kernel (built without afterburn-as?)",
			    AFTERBURN_NOTE_NAME, AFTERBURN_NOTE_ABI);
	if (img->note.abi_version != AFTERBURN_ABI_VERSION)
		return fail(err, errlen, "afterburn note: ABI version %u, this builder knows %d",
			    img->note.abi_version, AFTERBURN_ABI_VERSION);
	if (img->note.arch != AFTERBURN_ARCH_X86_64)
		return fail(err, errlen, "afterburn note: architecture %u, expected %d (x86-64)",
			    img->note.arch, AFTERBURN_ARCH_X86_64);
	if (img->note.record_size != AFTERBURN_RECORD_SIZE)
		return fail(err, errlen, "afterburn note: record size %u, expected %d",
			    img->note.record_size, AFTERBURN_RECORD_SIZE);
	if (img->note.flags & ~AFTERBURN_NOTE_F_KNOWN)
		return fail(err, errlen, "afterburn note: unknown flags %#x", img->note.flags & ~AFTERBURN_NOTE_F_KNOWN);
	if (read_segments(img, err, errlen))
		return -1;
	img->entry = img->elf.entry;
	if (!code_at(img, img->entry, 1))
		return fail(err, errlen, "entry point %#llx is not inside executable code",
			    (unsigned long long)img->entry);
	if (ab_read_sites(&img->elf, &img->sites, &img->nsites, why, sizeof(why)))
		return fail(err, errlen, "annotation records: %s", why);
	if (!ab_elf_section(&img->elf, AFTERBURN_SECTION))
		return fail(err, errlen, "no %s section: no site was recorded", AFTERBURN_SECTION);
	return check_sites(img, err, errlen);
}

void ab_image_free(struct ab_image *img)
{
	free(img->sites);
	img->sites = NULL;
	img->nsites = 0;
	ab_elf_close(&img->elf);
}

void ab_image_count_kinds(const struct ab_image *img, size_t *counts, size_t nkinds)
{
	memset(counts, 0, nkinds * sizeof(*counts));
	for (size_t i = 0; i < img->nsites; i++)
		if (img->sites[i].kind < nkinds)
			counts[img->sites[i].kind]++;
}
