/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libafterburn: a bounds-checked reader of ELF objects and images and of
 * their afterburn annotations (include/afterburn/annotation.h).
 *
 * Every offset, size, count and index read from the file is checked
 * against the file before use; malformed input yields an error message,
 * never an out-of-bounds access.  The library does not allocate per call
 * except where stated (ab_elf_open's copy of the file, ab_read_sites'
 * array); it never writes to the image.  Users: ab-check, the domain
 * builder, the fuzzer.
 *
 *   struct ab_elf elf;
 *   char err[256];
 *   if (ab_elf_open(&elf, "vmlinux", err, sizeof err)) { puts(err); ... }
 *   struct ab_site *sites; size_t n;
 *   if (ab_read_sites(&elf, &sites, &n, err, sizeof err)) ...
 *   ... ab_elf_close(&elf); free(sites);
 *
 * ELF32 and ELF64, little endian (x86, IA-64).  Relocatable objects: the
 * record offsets are resolved through .rel(a).afterburn, so a site is
 * always named by (section index, offset in section); in executables the
 * section is found from the address.
 */
#ifndef AFTERBURN_LIBAFTERBURN_H
#define AFTERBURN_LIBAFTERBURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <afterburn/annotation.h>

struct ab_section {
	const char *name;     /* NUL-terminated, inside the file's strtab */
	uint32_t type;        /* SHT_* */
	uint64_t flags;       /* SHF_* */
	uint64_t addr;
	uint64_t offset;      /* checked: offset + size <= file size unless NOBITS */
	uint64_t size;
	uint32_t link, info;
	uint64_t entsize;
	uint64_t align;
};

struct ab_elf {
	const unsigned char *data;   /* the whole file */
	size_t size;
	bool owned;                  /* data was allocated by ab_elf_open */
	int elf_class;               /* 32 or 64 */
	uint16_t type;               /* ET_REL, ET_EXEC, ET_DYN */
	uint16_t machine;            /* EM_X86_64, EM_386, EM_IA_64 */
	uint64_t entry;
	size_t nsections;
	struct ab_section *sections; /* index 0 is the null section */
};

struct ab_symbol {
	const char *name;
	uint64_t value;
	uint64_t size;
	uint16_t shndx;
	unsigned char type;          /* STT_* */
	unsigned char bind;          /* STB_* */
};

/* One annotation record, resolved. */
struct ab_site {
	size_t record;               /* index of the record in its section */
	size_t record_section;       /* section index of the .afterburn it is in */
	size_t section;              /* section holding the site; 0 if none */
	uint64_t offset;             /* site offset in that section */
	uint64_t addr;               /* site address (ET_EXEC/DYN) or offset */
	uint8_t length;              /* scratch bytes from the site start */
	uint8_t insn;                /* x86: instruction length; IA-64: slot */
	uint16_t kind;
};

struct ab_note {
	bool present;
	uint32_t abi_version;
	uint16_t arch;
	uint16_t record_size;
	uint32_t flags;
	size_t count;                /* notes found (a good link keeps one) */
};

/* Open a file (read into memory) / use a caller's buffer (not copied; it
 * must outlive the ab_elf).  0 on success, else -1 with err filled. */
int ab_elf_open(struct ab_elf *elf, const char *path, char *err, size_t errlen);
int ab_elf_from_memory(struct ab_elf *elf, const void *data, size_t size,
		       char *err, size_t errlen);
void ab_elf_close(struct ab_elf *elf);

/* The first section called `name`, NULL if none. */
const struct ab_section *ab_elf_section(const struct ab_elf *elf, const char *name);
size_t ab_elf_section_index(const struct ab_elf *elf, const struct ab_section *s);

/* Bytes of a section (NULL for NOBITS / empty); always in bounds. */
const unsigned char *ab_elf_section_data(const struct ab_elf *elf,
					 const struct ab_section *s);

/* The allocated section holding addr (executable ones preferred); 0 if
 * none. */
size_t ab_elf_section_at(const struct ab_elf *elf, uint64_t addr);

/* Symbols of .symtab (else .dynsym), index 1..; returns the count and
 * fills *out (malloc'ed, caller frees).  -1 on malformed tables. */
long ab_elf_symbols(const struct ab_elf *elf, struct ab_symbol **out,
		    char *err, size_t errlen);

/* All records of every section named AFTERBURN_SECTION, resolved.
 * Malformed records (size not a multiple of 8, a relocation missing or of
 * an unexpected type) are errors; records that resolve to no section get
 * section 0 (reported by the checker, not an error here). */
int ab_read_sites(const struct ab_elf *elf, struct ab_site **out, size_t *count,
		  char *err, size_t errlen);

/* A stretch of code in another mode than the file's default (the
 * optional AFTERBURN_MODE_SECTION, annotation.h). */
struct ab_mode_range {
	size_t section;              /* 0 if the start is in no section */
	uint64_t offset;             /* start, in that section */
	uint32_t size;
	uint16_t bits;               /* 16, 32, 64 */
};

/* All ranges of every AFTERBURN_MODE_SECTION (none: *count = 0, *out
 * NULL); malformed ones are errors.  *out is malloc'ed. */
int ab_read_modes(const struct ab_elf *elf, struct ab_mode_range **out, size_t *count,
		  char *err, size_t errlen);

/* The afterburn ELF note (in any SHT_NOTE section). */
int ab_read_note(const struct ab_elf *elf, struct ab_note *note,
		 char *err, size_t errlen);

#endif
