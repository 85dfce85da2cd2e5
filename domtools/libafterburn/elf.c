/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libafterburn: bounds-checked ELF reading.  Every value that comes from
 * the file is checked before it is used as an offset, size or index.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/util.h"

/* [off, off+len) inside [0, size)?  Overflow-safe. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}


/* A NUL-terminated string at strtab+off, or NULL. */
static const char *strtab_string(const struct ab_elf *elf, const struct ab_section *strtab,
				 uint64_t off)
{
	if (!strtab || strtab->type == SHT_NOBITS || strtab->type == SHT_NULL ||  /* not bounds-checked at open */
	    off >= strtab->size)
		return NULL;
	const char *s = (const char *)elf->data + strtab->offset + off;
	if (!memchr(s, 0, (size_t)(strtab->size - off)))
		return NULL;
	return s;
}

int ab_elf_from_memory(struct ab_elf *elf, const void *data, size_t size,
		       char *err, size_t errlen)
{
	memset(elf, 0, sizeof(*elf));
	const unsigned char *d = data;
	elf->data = d;
	elf->size = size;
	if (size < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG))
		return fail(err, errlen, "not an ELF file");
	if (d[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "big-endian ELF is not supported");
	if (d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "unknown ELF class %u", d[EI_CLASS]);
	elf->elf_class = d[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	uint64_t shoff;
	uint16_t shentsize, shnum, shstrndx;
	if (elf->elf_class == 64) {
		if (size < sizeof(Elf64_Ehdr))
			return fail(err, errlen, "truncated ELF header");
		elf->type = rd16(d + offsetof(Elf64_Ehdr, e_type));
		elf->machine = rd16(d + offsetof(Elf64_Ehdr, e_machine));
		elf->entry = rd64(d + offsetof(Elf64_Ehdr, e_entry));
		shoff = rd64(d + offsetof(Elf64_Ehdr, e_shoff));
		shentsize = rd16(d + offsetof(Elf64_Ehdr, e_shentsize));
		shnum = rd16(d + offsetof(Elf64_Ehdr, e_shnum));
		shstrndx = rd16(d + offsetof(Elf64_Ehdr, e_shstrndx));
		if (shnum && shentsize != sizeof(Elf64_Shdr))
			return fail(err, errlen, "e_shentsize %u, expected %zu", shentsize, sizeof(Elf64_Shdr));
	} else {
		if (size < sizeof(Elf32_Ehdr))
			return fail(err, errlen, "truncated ELF header");
		elf->type = rd16(d + offsetof(Elf32_Ehdr, e_type));
		elf->machine = rd16(d + offsetof(Elf32_Ehdr, e_machine));
		elf->entry = rd32(d + offsetof(Elf32_Ehdr, e_entry));
		shoff = rd32(d + offsetof(Elf32_Ehdr, e_shoff));
		shentsize = rd16(d + offsetof(Elf32_Ehdr, e_shentsize));
		shnum = rd16(d + offsetof(Elf32_Ehdr, e_shnum));
		shstrndx = rd16(d + offsetof(Elf32_Ehdr, e_shstrndx));
		if (shnum && shentsize != sizeof(Elf32_Shdr))
			return fail(err, errlen, "e_shentsize %u, expected %zu", shentsize, sizeof(Elf32_Shdr));
	}
	if (shnum == 0)
		return fail(err, errlen, "no section headers (extended numbering is not supported)");
	if (!in_bounds(shoff, (uint64_t)shnum * shentsize, size))
		return fail(err, errlen, "section headers at %#llx x %u lie outside the file (%zu bytes)",
			    (unsigned long long)shoff, shnum, size);
	if (shstrndx >= shnum)
		return fail(err, errlen, "e_shstrndx %u out of range (%u sections)", shstrndx, shnum);
	elf->sections = calloc(shnum, sizeof(*elf->sections));
	if (!elf->sections)
		return fail(err, errlen, "out of memory");
	elf->nsections = shnum;
	for (size_t i = 0; i < shnum; i++) {
		const unsigned char *h = d + shoff + i * shentsize;
		struct ab_section *s = &elf->sections[i];
		uint32_t name;
		if (elf->elf_class == 64) {
			name = rd32(h + offsetof(Elf64_Shdr, sh_name));
			s->type = rd32(h + offsetof(Elf64_Shdr, sh_type));
			s->flags = rd64(h + offsetof(Elf64_Shdr, sh_flags));
			s->addr = rd64(h + offsetof(Elf64_Shdr, sh_addr));
			s->offset = rd64(h + offsetof(Elf64_Shdr, sh_offset));
			s->size = rd64(h + offsetof(Elf64_Shdr, sh_size));
			s->link = rd32(h + offsetof(Elf64_Shdr, sh_link));
			s->info = rd32(h + offsetof(Elf64_Shdr, sh_info));
			s->align = rd64(h + offsetof(Elf64_Shdr, sh_addralign));
			s->entsize = rd64(h + offsetof(Elf64_Shdr, sh_entsize));
		} else {
			name = rd32(h + offsetof(Elf32_Shdr, sh_name));
			s->type = rd32(h + offsetof(Elf32_Shdr, sh_type));
			s->flags = rd32(h + offsetof(Elf32_Shdr, sh_flags));
			s->addr = rd32(h + offsetof(Elf32_Shdr, sh_addr));
			s->offset = rd32(h + offsetof(Elf32_Shdr, sh_offset));
			s->size = rd32(h + offsetof(Elf32_Shdr, sh_size));
			s->link = rd32(h + offsetof(Elf32_Shdr, sh_link));
			s->info = rd32(h + offsetof(Elf32_Shdr, sh_info));
			s->align = rd32(h + offsetof(Elf32_Shdr, sh_addralign));
			s->entsize = rd32(h + offsetof(Elf32_Shdr, sh_entsize));
		}
		if (s->type != SHT_NOBITS && s->type != SHT_NULL &&
		    !in_bounds(s->offset, s->size, size)) {
			int r = fail(err, errlen, "section %zu: [%#llx, +%#llx) lies outside the file (%zu bytes)",
				     i, (unsigned long long)s->offset, (unsigned long long)s->size, size);
			ab_elf_close(elf);
			return r;
		}
		s->name = (const char *)(uintptr_t)name;   /* resolved below */
	}
	const struct ab_section *shstr = &elf->sections[shstrndx];
	if (shstr->type != SHT_STRTAB) {
		ab_elf_close(elf);
		return fail(err, errlen, "section name table (%u) is not SHT_STRTAB", shstrndx);
	}
	for (size_t i = 0; i < shnum; i++) {
		uint64_t off = (uint64_t)(uintptr_t)elf->sections[i].name;
		const char *n = strtab_string(elf, shstr, off);
		if (!n) {
			ab_elf_close(elf);
			return fail(err, errlen, "section %zu: name offset %#llx outside the name table",
				    i, (unsigned long long)off);
		}
		elf->sections[i].name = n;
	}
	return 0;
}

int ab_elf_open(struct ab_elf *elf, const char *path, char *err, size_t errlen)
{
	memset(elf, 0, sizeof(*elf));
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			return fail(err, errlen, "%s: out of memory", path);
		}
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		unsigned char *b = realloc(buf, cap);
		if (!b)
			free(buf);
		buf = b;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return fail(err, errlen, "%s: read error", path);
	}
	char inner[200];
	if (ab_elf_from_memory(elf, buf, n, inner, sizeof(inner))) {
		free(buf);
		memset(elf, 0, sizeof(*elf));
		return fail(err, errlen, "%s: %s", path, inner);
	}
	elf->owned = true;
	return 0;
}

void ab_elf_close(struct ab_elf *elf)
{
	free(elf->sections);
	if (elf->owned)
		free((void *)elf->data);
	memset(elf, 0, sizeof(*elf));
}

const struct ab_section *ab_elf_section(const struct ab_elf *elf, const char *name)
{
	for (size_t i = 1; i < elf->nsections; i++)
		if (!strcmp(elf->sections[i].name, name))
			return &elf->sections[i];
	return NULL;
}

size_t ab_elf_section_index(const struct ab_elf *elf, const struct ab_section *s)
{
	return (size_t)(s - elf->sections);
}

const unsigned char *ab_elf_section_data(const struct ab_elf *elf,
					 const struct ab_section *s)
{
	if (!s || s->type == SHT_NOBITS || s->type == SHT_NULL || s->size == 0)
		return NULL;
	return elf->data + s->offset;   /* bounds checked at open */
}

size_t ab_elf_section_at(const struct ab_elf *elf, uint64_t addr)
{
	size_t found = 0;
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (!(s->flags & SHF_ALLOC) || s->size == 0)
			continue;
		if (addr >= s->addr && addr - s->addr < s->size) {
			if (s->flags & SHF_EXECINSTR)
				return i;
			if (!found)
				found = i;
		}
	}
	return found;
}

long ab_elf_symbols(const struct ab_elf *elf, struct ab_symbol **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	const struct ab_section *symtab = NULL;
	for (size_t i = 1; i < elf->nsections; i++)
		if (elf->sections[i].type == SHT_SYMTAB)
			symtab = &elf->sections[i];
	if (!symtab)
		for (size_t i = 1; i < elf->nsections; i++)
			if (elf->sections[i].type == SHT_DYNSYM)
				symtab = &elf->sections[i];
	if (!symtab)
		return 0;
	size_t entsize = elf->elf_class == 64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	if (symtab->entsize != entsize)
		return fail(err, errlen, "symbol table entry size %llu, expected %zu",
			    (unsigned long long)symtab->entsize, entsize);
	if (symtab->link >= elf->nsections)
		return fail(err, errlen, "symbol table string link %u out of range", symtab->link);
	const struct ab_section *strtab = &elf->sections[symtab->link];
	size_t n = (size_t)(symtab->size / entsize);
	struct ab_symbol *syms = calloc(n ? n : 1, sizeof(*syms));
	if (!syms)
		return fail(err, errlen, "out of memory");
	const unsigned char *p = elf->data + symtab->offset;
	for (size_t i = 0; i < n; i++, p += entsize) {
		struct ab_symbol *s = &syms[i];
		uint32_t name;
		unsigned char info;
		if (elf->elf_class == 64) {
			name = rd32(p + offsetof(Elf64_Sym, st_name));
			info = p[offsetof(Elf64_Sym, st_info)];
			s->shndx = rd16(p + offsetof(Elf64_Sym, st_shndx));
			s->value = rd64(p + offsetof(Elf64_Sym, st_value));
			s->size = rd64(p + offsetof(Elf64_Sym, st_size));
		} else {
			name = rd32(p + offsetof(Elf32_Sym, st_name));
			info = p[offsetof(Elf32_Sym, st_info)];
			s->shndx = rd16(p + offsetof(Elf32_Sym, st_shndx));
			s->value = rd32(p + offsetof(Elf32_Sym, st_value));
			s->size = rd32(p + offsetof(Elf32_Sym, st_size));
		}
		s->type = info & 0xf;
		s->bind = info >> 4;
		s->name = strtab_string(elf, strtab, name);
		if (!s->name)
			s->name = "";
	}
	*out = syms;
	return (long)n;
}

int ab_read_note(const struct ab_elf *elf, struct ab_note *note, char *err, size_t errlen)
{
	memset(note, 0, sizeof(*note));
	for (size_t i = 1; i < elf->nsections; i++) {
		const struct ab_section *s = &elf->sections[i];
		if (s->type != SHT_NOTE)
			continue;
		const unsigned char *p = ab_elf_section_data(elf, s);
		uint64_t off = 0;
		while (p && off + 12 <= s->size) {
			uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4),
				 type = rd32(p + off + 8);
			uint64_t name_off = off + 12;
			uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
			uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
			if (!in_bounds(name_off, namesz, s->size) || !in_bounds(desc_off, descsz, s->size))
				return fail(err, errlen, "section %s: note at %#llx overruns the section",
					    s->name, (unsigned long long)off);
			if (namesz == sizeof(AFTERBURN_NOTE_NAME) &&
			    !memcmp(p + name_off, AFTERBURN_NOTE_NAME, namesz) &&
			    type == AFTERBURN_NOTE_ABI) {
				if (descsz < 12)
					return fail(err, errlen, "afterburn note descriptor is %u bytes, expected 12", descsz);
				note->count++;
				if (!note->present) {
					note->present = true;
					note->abi_version = rd32(p + desc_off);
					note->arch = rd16(p + desc_off + 4);
					note->record_size = rd16(p + desc_off + 6);
					note->flags = rd32(p + desc_off + 8);
				}
			}
			if (next <= off)
				break;
			off = next;
		}
	}
	return 0;
}
