/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libafterburn: the .afterburn records of an object or image, resolved to
 * (section, offset).  In relocatable objects the PC-relative record
 * offsets are only known through the relocations: site = S + A.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/util.h"

#ifndef R_IA64_PCREL32LSB
#define R_IA64_PCREL32LSB 0x4d
#endif


static bool pc32_reloc(uint16_t machine, uint32_t type)
{
	switch (machine) {
	case EM_X86_64: return type == R_X86_64_PC32;
	case EM_386:    return type == R_386_PC32;
	case EM_IA_64:  return type == R_IA64_PCREL32LSB;
	}
	return false;
}

/* Symbol `index` of symtab section `symtab_index`: its section and value. */
static int reloc_symbol(const struct ab_elf *elf, uint32_t symtab_index, uint64_t index,
			uint16_t *shndx, uint64_t *value, char *err, size_t errlen)
{
	if (symtab_index == 0 || symtab_index >= elf->nsections)
		return fail(err, errlen, "relocation symbol table %u out of range", symtab_index);
	const struct ab_section *st = &elf->sections[symtab_index];
	size_t entsize = elf->elf_class == 64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	if (st->type != SHT_SYMTAB || st->entsize != entsize)
		return fail(err, errlen, "relocation symbol table %u is not a symbol table", symtab_index);
	if (index >= st->size / entsize)
		return fail(err, errlen, "relocation symbol %llu out of range", (unsigned long long)index);
	const unsigned char *p = elf->data + st->offset + index * entsize;
	if (elf->elf_class == 64) {
		*shndx = (uint16_t)(p[offsetof(Elf64_Sym, st_shndx)] | p[offsetof(Elf64_Sym, st_shndx) + 1] << 8);
		*value = rd64(p + offsetof(Elf64_Sym, st_value));
	} else {
		*shndx = (uint16_t)(p[offsetof(Elf32_Sym, st_shndx)] | p[offsetof(Elf32_Sym, st_shndx) + 1] << 8);
		*value = rd32(p + offsetof(Elf32_Sym, st_value));
	}
	return 0;
}

/* A relocation section's entry size, checked against its type and class. */
static int rel_entsize(const struct ab_elf *elf, const struct ab_section *rs, size_t *entsize,
		       char *err, size_t errlen)
{
	bool rela = rs->type == SHT_RELA;
	*entsize = elf->elf_class == 64 ? (rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel))
				       : (rela ? sizeof(Elf32_Rela) : sizeof(Elf32_Rel));
	if (rs->entsize != *entsize)
		return fail(err, errlen, "%s: entry size %llu, expected %zu", rs->name,
			    (unsigned long long)rs->entsize, *entsize);
	return 0;
}

/* One REL/RELA entry at p, in the image's class (addend 0 for REL). */
static void rel_decode(const struct ab_elf *elf, bool rela, const unsigned char *p, uint64_t *off,
		       uint64_t *sym, uint32_t *type, int64_t *addend)
{
	if (elf->elf_class == 64) {
		*off = rd64(p);
		uint64_t info = rd64(p + 8);
		*sym = info >> 32;
		*type = (uint32_t)info;
		*addend = rela ? (int64_t)rd64(p + 16) : 0;
	} else {
		*off = rd32(p);
		uint32_t info = rd32(p + 4);
		*sym = info >> 8;
		*type = info & 0xff;
		*addend = rela ? (int32_t)rd32(p + 8) : 0;
	}
}

/* Resolve the records of one .afterburn section of a relocatable object. */
static int resolve_rel(const struct ab_elf *elf, size_t secidx, struct ab_site *sites,
		       size_t n, char *err, size_t errlen)
{
	const struct ab_section *sec = &elf->sections[secidx];
	const unsigned char *data = ab_elf_section_data(elf, sec);
	bool *done = calloc(n ? n : 1, sizeof(bool));
	if (!done)
		return fail(err, errlen, "out of memory");
	for (size_t r = 1; r < elf->nsections; r++) {
		const struct ab_section *rs = &elf->sections[r];
		if ((rs->type != SHT_RELA && rs->type != SHT_REL) || rs->info != secidx)
			continue;
		bool rela = rs->type == SHT_RELA;
		size_t entsize;
		if (rel_entsize(elf, rs, &entsize, err, errlen)) {
			free(done);
			return -1;
		}
		const unsigned char *p = ab_elf_section_data(elf, rs);
		size_t count = (size_t)(rs->size / entsize);
		for (size_t k = 0; k < count; k++, p += entsize) {
			uint64_t off, sym;
			uint32_t type;
			int64_t addend;
			rel_decode(elf, rela, p, &off, &sym, &type, &addend);
			if (off % AFTERBURN_RECORD_SIZE != 0 || off / AFTERBURN_RECORD_SIZE >= n) {
				free(done);
				return fail(err, errlen, "%s: relocation at %#llx does not hit a record offset field",
					    rs->name, (unsigned long long)off);
			}
			size_t i = (size_t)(off / AFTERBURN_RECORD_SIZE);
			if (!pc32_reloc(elf->machine, type)) {
				free(done);
				return fail(err, errlen, "%s: record %zu: relocation type %u, expected a PC-relative 32-bit one",
					    rs->name, i, type);
			}
			if (!rela)
				addend = (int32_t)rd32(data + off);
			uint16_t shndx = 0;
			uint64_t value = 0;
			if (reloc_symbol(elf, rs->link, sym, &shndx, &value, err, errlen)) {
				free(done);
				return -1;
			}
			if (done[i]) {
				free(done);
				return fail(err, errlen, "%s: record %zu relocated twice", rs->name, i);
			}
			done[i] = true;
			if (shndx == SHN_UNDEF || shndx >= elf->nsections) {
				sites[i].section = 0;   /* reported by the checker */
				sites[i].offset = sites[i].addr = value + (uint64_t)addend;
				continue;
			}
			sites[i].section = shndx;
			sites[i].offset = value + (uint64_t)addend;
			sites[i].addr = elf->sections[shndx].addr + sites[i].offset;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i]) {
			free(done);
			return fail(err, errlen, "%s (section %zu): record %zu has no relocation",
				    sec->name, secidx, i);
		}
	free(done);
	return 0;
}

int ab_read_sites(const struct ab_elf *elf, struct ab_site **out, size_t *count,
		  char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	size_t total = 0;
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (strcmp(s->name, AFTERBURN_SECTION) || s->type == SHT_NOBITS ||
		    s->type == SHT_NULL)   /* no file bytes: not bounds-checked at open */
			continue;
		if (s->size % AFTERBURN_RECORD_SIZE)
			return fail(err, errlen, "%s (section %zu): size %llu is not a multiple of %d",
				    s->name, i, (unsigned long long)s->size, AFTERBURN_RECORD_SIZE);
		total += (size_t)(s->size / AFTERBURN_RECORD_SIZE);
	}
	struct ab_site *sites = calloc(total ? total : 1, sizeof(*sites));
	if (!sites)
		return fail(err, errlen, "out of memory");
	size_t at = 0;
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (strcmp(s->name, AFTERBURN_SECTION) || s->type == SHT_NOBITS ||
		    s->type == SHT_NULL)   /* no file bytes: not bounds-checked at open */
			continue;
		size_t n = (size_t)(s->size / AFTERBURN_RECORD_SIZE);
		const unsigned char *d = ab_elf_section_data(elf, s);
		for (size_t k = 0; k < n; k++) {
			const unsigned char *r = d + k * AFTERBURN_RECORD_SIZE;
			struct ab_site *site = &sites[at + k];
			site->record = k;
			site->record_section = i;
			site->length = r[4];
			site->insn = r[5];
			site->kind = (uint16_t)(r[6] | r[7] << 8);
			if (elf->type != ET_REL) {
				uint64_t field = s->addr + k * AFTERBURN_RECORD_SIZE;
				site->addr = field + (uint64_t)(int64_t)(int32_t)rd32(r);
				if (elf->elf_class == 32)
					site->addr &= 0xffffffffu;
				site->section = ab_elf_section_at(elf, site->addr);
				site->offset = site->section ? site->addr - elf->sections[site->section].addr
							     : site->addr;
			}
		}
		if (elf->type == ET_REL && resolve_rel(elf, i, sites + at, n, err, errlen)) {
			free(sites);
			return -1;
		}
		at += n;
	}
	*out = sites;
	*count = total;
	return 0;
}

/* The absolute address a relocation of `.afterburn.mode` resolves to, in
 * a relocatable object: (section, offset) of S + A. */
static bool abs_reloc(uint16_t machine, uint32_t type)
{
	switch (machine) {
	case EM_X86_64: return type == R_X86_64_64;
	case EM_386:    return type == R_386_32;
	}
	return false;
}

int ab_read_modes(const struct ab_elf *elf, struct ab_mode_range **out, size_t *count,
		  char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	size_t total = 0;
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (strcmp(s->name, AFTERBURN_MODE_SECTION) || s->type != SHT_PROGBITS)
			continue;
		if (s->size % AFTERBURN_MODE_RANGE_SIZE)
			return fail(err, errlen, "%s (section %zu): size %llu is not a multiple of %d",
				    s->name, i, (unsigned long long)s->size, AFTERBURN_MODE_RANGE_SIZE);
		total += (size_t)(s->size / AFTERBURN_MODE_RANGE_SIZE);
	}
	if (!total)
		return 0;
	struct ab_mode_range *r = calloc(total, sizeof(*r));
	if (!r)
		return fail(err, errlen, "out of memory");
	size_t at = 0;
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (strcmp(s->name, AFTERBURN_MODE_SECTION) || s->type != SHT_PROGBITS)
			continue;
		size_t n = (size_t)(s->size / AFTERBURN_MODE_RANGE_SIZE);
		const unsigned char *d = ab_elf_section_data(elf, s);
		for (size_t k = 0; k < n; k++) {
			const unsigned char *p = d + k * AFTERBURN_MODE_RANGE_SIZE;
			struct ab_mode_range *m = &r[at + k];
			m->size = rd32(p + 8);
			m->bits = rd16(p + 12);
			if (m->bits != 16 && m->bits != 32 && m->bits != 64) {
				unsigned bits = m->bits;   /* r is freed before the message */
				free(r);
				return fail(err, errlen, "%s (section %zu): range %zu: mode %u is not 16, 32 or 64",
					    s->name, i, k, bits);
			}
			if (elf->type != ET_REL) {
				uint64_t a = rd64(p);
				m->section = ab_elf_section_at(elf, a);
				m->offset = m->section ? a - elf->sections[m->section].addr : a;
			}
		}
		if (elf->type == ET_REL) {
			/* each range's start is a relocation against its section */
			bool *done = calloc(n ? n : 1, sizeof(bool));
			if (!done) {
				free(r);
				return fail(err, errlen, "out of memory");
			}
			for (size_t x = 1; x < elf->nsections; x++) {
				const struct ab_section *rs = &elf->sections[x];
				if ((rs->type != SHT_RELA && rs->type != SHT_REL) || rs->info != i)
					continue;
				bool rela = rs->type == SHT_RELA;
				size_t entsize;
				if (rel_entsize(elf, rs, &entsize, err, errlen)) {
					free(done);
					free(r);
					return -1;
				}
				const unsigned char *p = ab_elf_section_data(elf, rs);
				size_t cnt = (size_t)(rs->size / entsize);
				for (size_t k = 0; k < cnt; k++, p += entsize) {
					uint64_t off, sym;
					uint32_t type;
					int64_t addend;
					rel_decode(elf, rela, p, &off, &sym, &type, &addend);
					size_t idx = (size_t)(off / AFTERBURN_MODE_RANGE_SIZE);
					if (off % AFTERBURN_MODE_RANGE_SIZE || idx >= n || !abs_reloc(elf->machine, type) ||
					    done[idx]) {
						free(done);
						free(r);
						return fail(err, errlen, "%s: relocation at %#llx (type %u) is not one "
							    "absolute relocation of a range's start", rs->name,
							    (unsigned long long)off, type);
					}
					if (!rela)
						addend = (int32_t)rd32(d + off);
					uint16_t shndx = 0;
					uint64_t value = 0;
					if (reloc_symbol(elf, rs->link, sym, &shndx, &value, err, errlen)) {
						free(done);
						free(r);
						return -1;
					}
					done[idx] = true;
					struct ab_mode_range *m = &r[at + idx];
					m->section = shndx < elf->nsections && shndx != SHN_UNDEF ? shndx : 0;
					m->offset = value + (uint64_t)addend;
				}
			}
			for (size_t k = 0; k < n; k++)
				if (!done[k]) {
					free(done);
					free(r);
					return fail(err, errlen, "%s (section %zu): range %zu has no relocation",
						    s->name, i, k);
				}
			free(done);
		}
		at += n;
	}
	*out = r;
	*count = total;
	return 0;
}
