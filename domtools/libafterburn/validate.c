/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one validation of a burnt x86-64 image (validate.h): ab-create, the
 * libxenguest afterburn loader and the wedge's loader all call this code.
 * Every value read from the file is checked before it is used as an
 * offset, size, count or index; fields are read byte by byte (the image
 * may sit at any alignment).  The rules and their reasons are listed in
 * docs/domtools.md ("The validator").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if __STDC_HOSTED__
#include <stdio.h>
#include <string.h>
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
#endif

#include "include/afterburn/annotation.h"
#include "domtools/libafterburn/validate.h"
#include "wedge-xen/layout.h"
#include "x86/decode.h"
#include "x86/rewrite.h"

/* ELF constants (no <elf.h>: libxenguest has its own ELF definitions). */
#define V_EHDR_SIZE   64
#define V_PHDR_SIZE   56
#define V_SHDR_SIZE   64
#define V_ET_EXEC     2
#define V_EM_X86_64   62
#define V_PT_LOAD     1
#define V_PF_X        1
#define V_SHT_NULL    0
#define V_SHT_STRTAB  3
#define V_SHT_NOTE    7
#define V_SHT_NOBITS  8
#define V_SHF_ALLOC   2

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* [off, off+len) inside [0, size)?  Overflow-safe. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* [a, a+alen) and [b, b+blen) intersect (no wrap: checked before). */
static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The section name at strtab+off equals name (NUL included), bounded. */
static int name_is(const unsigned char *strtab, uint64_t strsize, uint32_t off, const char *name,
		   size_t namelen)
{
	return off < strsize && namelen + 1 <= strsize - off &&
	       !memcmp(strtab + off, name, namelen + 1);
}

struct scan {
	const unsigned char *d;
	uint64_t size;
	unsigned flags;
	struct ab_validated *v;
	char *err;
	size_t errlen;
};

static int check_header(struct scan *s)
{
	const unsigned char *d = s->d;
	if (s->size < V_EHDR_SIZE)
		return refuse(s->err, s->errlen, "not an ELF image: %lu bytes, shorter than an ELF64 header",
			      (unsigned long)s->size);
	if (memcmp(d, "\177ELF", 4))
		return refuse(s->err, s->errlen, "not an ELF image (no ELF magic)");
	if (d[4] != 2)
		return refuse(s->err, s->errlen, "ELF class %u: expected ELF64", d[4]);
	if (d[5] != 1)
		return refuse(s->err, s->errlen, "ELF data encoding %u: expected little endian", d[5]);
	if (rd16(d + 18) != V_EM_X86_64)
		return refuse(s->err, s->errlen, "ELF machine %u: expected x86-64 (%d)", rd16(d + 18), V_EM_X86_64);
	if (rd16(d + 16) != V_ET_EXEC)
		return refuse(s->err, s->errlen, "ELF type %u: expected an executable (a linked vmlinux)",
			      rd16(d + 16));
	return 0;
}

/* Notes of one SHT_NOTE section: the afterburn note, once. */
static int scan_notes(struct scan *s, unsigned sec, uint64_t off0, uint64_t len, int *found)
{
	const unsigned char *p = s->d + off0;
	uint64_t off = 0;
	while (len - off >= 12) {
		uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		if (!in_file(name_off, namesz, len) || !in_file(desc_off, descsz, len))
			return refuse(s->err, s->errlen, "section %u: the note at +0x%lx overruns its section",
				      sec, (unsigned long)off);
		if (namesz >= 9 && !memcmp(p + name_off, AFTERBURN_NOTE_NAME, 9)) {
			if (namesz != sizeof(AFTERBURN_NOTE_NAME) || p[name_off + 9] != 0)
				return refuse(s->err, s->errlen,
					      "section %u: the note at +0x%lx is named Afterburn with namesz %u, expected %u",
					      sec, (unsigned long)off, namesz, (unsigned)sizeof(AFTERBURN_NOTE_NAME));
			if (type == AFTERBURN_NOTE_ABI) {
				if (*found)
					return refuse(s->err, s->errlen,
						      "section %u: a second afterburn note at +0x%lx (a link keeps one)",
						      sec, (unsigned long)off);
				*found = 1;
				if (descsz < sizeof(struct afterburn_note_desc))
					return refuse(s->err, s->errlen, "afterburn note: descriptor is %u bytes, expected %u",
						      descsz, (unsigned)sizeof(struct afterburn_note_desc));
				const unsigned char *q = p + desc_off;
				s->v->abi_version = rd32(q);
				s->v->arch = rd16(q + 4);
				s->v->record_size = rd16(q + 6);
				s->v->note_flags = rd32(q + 8);
			}
		}
		if (next >= len)
			break;
		off = next;
	}
	return 0;
}

static int check_sections(struct scan *s, unsigned *ab_index)
{
	const unsigned char *d = s->d;
	uint64_t shoff = rd64(d + 40);
	uint16_t shentsize = rd16(d + 58), shnum = rd16(d + 60), shstrndx = rd16(d + 62);
	if (shnum == 0)
		return refuse(s->err, s->errlen, "no section headers (the records are found by section name)");
	if (shentsize != V_SHDR_SIZE)
		return refuse(s->err, s->errlen, "section header size %u, expected %d", shentsize, V_SHDR_SIZE);
	if (!in_file(shoff, (uint64_t)shnum * V_SHDR_SIZE, s->size))
		return refuse(s->err, s->errlen, "section headers (%u at 0x%lx) lie outside the file (%lu bytes)",
			      shnum, (unsigned long)shoff, (unsigned long)s->size);
	if (shstrndx >= shnum)
		return refuse(s->err, s->errlen, "section name table index %u out of range (%u sections)",
			      shstrndx, shnum);
	const unsigned char *strh = d + shoff + (uint64_t)shstrndx * V_SHDR_SIZE;
	uint64_t stroff = rd64(strh + 24), strsize = rd64(strh + 32);
	if (rd32(strh + 4) != V_SHT_STRTAB || !in_file(stroff, strsize, s->size))
		return refuse(s->err, s->errlen, "section name table (section %u) is not a string table inside the file",
			      shstrndx);
	const unsigned char *strtab = d + stroff;
	uint64_t note_bytes = 0;
	*ab_index = 0;
	for (unsigned i = 1; i < shnum; i++) {
		const unsigned char *h = d + shoff + (uint64_t)i * V_SHDR_SIZE;
		uint32_t type = rd32(h + 4);
		uint64_t off = rd64(h + 24), sz = rd64(h + 32);
		if (type != V_SHT_NOBITS && type != V_SHT_NULL && !in_file(off, sz, s->size))
			return refuse(s->err, s->errlen, "section %u: bytes 0x%lx+0x%lx lie outside the file (%lu bytes)",
				      i, (unsigned long)off, (unsigned long)sz, (unsigned long)s->size);
		if (name_is(strtab, strsize, rd32(h), AFTERBURN_SECTION, sizeof(AFTERBURN_SECTION) - 1)) {
			if (*ab_index)
				return refuse(s->err, s->errlen,
					      "sections %u and %u are both named %s: an image has one record section",
					      *ab_index, i, AFTERBURN_SECTION);
			*ab_index = i;
		}
		if (type == V_SHT_NOTE) {
			note_bytes += sz;   /* each sz <= file size: no overflow in 65,535 steps */
			if (note_bytes > s->size)
				return refuse(s->err, s->errlen,
					      "the note sections hold more bytes than the file (%lu): overlapping notes",
					      (unsigned long)s->size);
		}
	}
	/* Second pass, notes only: bounded by the file size (checked above). */
	int found = 0;
	for (unsigned i = 1; i < shnum; i++) {
		const unsigned char *h = d + shoff + (uint64_t)i * V_SHDR_SIZE;
		if (rd32(h + 4) == V_SHT_NOTE && scan_notes(s, i, rd64(h + 24), rd64(h + 32), &found))
			return -1;
	}
	if (!found)
		return refuse(s->err, s->errlen, "no '%s' note (type %d): not a burnt kernel (built without afterburn-as?)",
			      AFTERBURN_NOTE_NAME, AFTERBURN_NOTE_ABI);
	struct ab_validated *v = s->v;
	if (v->abi_version != AFTERBURN_ABI_VERSION)
		return refuse(s->err, s->errlen, "afterburn note: ABI version %u, this loader knows %d",
			      v->abi_version, AFTERBURN_ABI_VERSION);
	if (v->arch != AFTERBURN_ARCH_X86_64)
		return refuse(s->err, s->errlen, "afterburn note: architecture %u, expected %d (x86-64)",
			      v->arch, AFTERBURN_ARCH_X86_64);
	if (v->record_size != AFTERBURN_RECORD_SIZE)
		return refuse(s->err, s->errlen, "afterburn note: record size %u, expected %d",
			      v->record_size, AFTERBURN_RECORD_SIZE);
	if (v->note_flags & ~AFTERBURN_NOTE_F_KNOWN)
		return refuse(s->err, s->errlen, "afterburn note: unknown flags 0x%x",
			      v->note_flags & ~AFTERBURN_NOTE_F_KNOWN);
	return 0;
}

static int check_segments(struct scan *s)
{
	const unsigned char *d = s->d;
	struct ab_validated *v = s->v;
	uint64_t phoff = rd64(d + 32);
	uint16_t phentsize = rd16(d + 54), phnum = rd16(d + 56);
	if (phnum == 0)
		return refuse(s->err, s->errlen, "no program headers: not a loadable image");
	if (phentsize != V_PHDR_SIZE)
		return refuse(s->err, s->errlen, "program header size %u, expected %d", phentsize, V_PHDR_SIZE);
	if (phnum > AB_V_MAX_PHDRS)
		return refuse(s->err, s->errlen, "%u program headers: more than the %d a kernel could have",
			      phnum, AB_V_MAX_PHDRS);
	if (!in_file(phoff, (uint64_t)phnum * V_PHDR_SIZE, s->size))
		return refuse(s->err, s->errlen, "program headers (%u at 0x%lx) lie outside the file (%lu bytes)",
			      phnum, (unsigned long)phoff, (unsigned long)s->size);
	v->pstart = UINT64_MAX;
	v->pend = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const unsigned char *p = d + phoff + (uint64_t)i * V_PHDR_SIZE;
		if (rd32(p) != V_PT_LOAD)
			continue;
		struct ab_v_segment g = {
			.flags = rd32(p + 4), .offset = rd64(p + 8), .vaddr = rd64(p + 16),
			.paddr = rd64(p + 24), .filesz = rd64(p + 32), .memsz = rd64(p + 40), .index = i,
		};
		if (g.filesz > g.memsz)
			return refuse(s->err, s->errlen, "segment %u: file size 0x%lx exceeds memory size 0x%lx",
				      i, (unsigned long)g.filesz, (unsigned long)g.memsz);
		if (g.memsz == 0)
			continue;   /* nothing to load (and no file bytes) */
		if (v->nsegments == AB_V_MAX_SEGMENTS)
			return refuse(s->err, s->errlen, "more than %d loadable segments", AB_V_MAX_SEGMENTS);
		if (g.memsz > AB_V_MAX_SEGMENT_SIZE)
			return refuse(s->err, s->errlen, "segment %u: memory size 0x%lx is larger than 0x%lx",
				      i, (unsigned long)g.memsz, (unsigned long)AB_V_MAX_SEGMENT_SIZE);
		if (!in_file(g.offset, g.filesz, s->size))
			return refuse(s->err, s->errlen,
				      "segment %u: bytes 0x%lx+0x%lx lie outside the file (%lu bytes): truncated image?",
				      i, (unsigned long)g.offset, (unsigned long)g.filesz, (unsigned long)s->size);
		if (g.vaddr > UINT64_MAX - g.memsz || g.paddr > UINT64_MAX - g.memsz)
			return refuse(s->err, s->errlen, "segment %u: address range wraps around", i);
		for (unsigned j = 0; j < v->nsegments; j++) {
			const struct ab_v_segment *o = &v->segments[j];
			if (overlap(g.vaddr, g.memsz, o->vaddr, o->memsz) ||
			    overlap(g.paddr, g.memsz, o->paddr, o->memsz))
				return refuse(s->err, s->errlen,
					      "segment %u (0x%lx+0x%lx) overlaps segment %u (0x%lx+0x%lx)",
					      i, (unsigned long)g.vaddr, (unsigned long)g.memsz, o->index,
					      (unsigned long)o->vaddr, (unsigned long)o->memsz);
		}
		if (g.paddr < v->pstart)
			v->pstart = g.paddr;
		if (g.paddr + g.memsz > v->pend)
			v->pend = g.paddr + g.memsz;
		if (g.flags & V_PF_X)
			v->exec_bytes += g.filesz;
		v->segments[v->nsegments++] = g;
	}
	if (v->nsegments == 0)
		return refuse(s->err, s->errlen, "no loadable segment");
	return 0;
}

/* The executable load whose file bytes hold [addr, addr+len); its number
 * of bitmap bits before it in *bit0.  NULL if none. */
static const struct ab_v_segment *code_at(const struct ab_validated *v, uint64_t addr, uint64_t len,
					  uint64_t *bit0)
{
	uint64_t bits = 0;
	for (unsigned i = 0; i < v->nsegments; i++) {
		const struct ab_v_segment *g = &v->segments[i];
		if (!(g->flags & V_PF_X))
			continue;
		if (addr >= g->vaddr && addr - g->vaddr <= g->filesz && len <= g->filesz - (addr - g->vaddr)) {
			if (bit0)
				*bit0 = bits + (addr - g->vaddr);
			return g;
		}
		bits += g->filesz;
	}
	return NULL;
}

/* An executable load's file bytes hold physical address pa. */
static int code_at_physical(const struct ab_validated *v, uint64_t pa)
{
	for (unsigned i = 0; i < v->nsegments; i++) {
		const struct ab_v_segment *g = &v->segments[i];
		if ((g->flags & V_PF_X) && pa >= g->paddr && pa - g->paddr < g->filesz)
			return 1;
	}
	return 0;
}

void ab_v_record_get(const struct ab_validated *v, const void *data, size_t k, struct ab_v_record *r)
{
	const unsigned char *p = (const unsigned char *)data + v->records_offset + k * AFTERBURN_RECORD_SIZE;
	uint64_t field = v->records_addr + k * AFTERBURN_RECORD_SIZE;
	r->addr = field + (uint64_t)(int64_t)(int32_t)rd32(p);
	r->length = p[4];
	r->insn = p[5];
	r->kind = rd16(p + 6);
	const struct ab_v_segment *g = code_at(v, r->addr, r->length, NULL);
	r->file_offset = g ? g->offset + (r->addr - g->vaddr) : 0;
}

/* One padding instruction of the burner: gas's .nops forms in 64-bit
 * code (0x90, 66 90, 0f 1f /0 with any prefixes gas puts before it) and
 * the 0x90 fill of 16-bit pads. */
static int is_nop(const struct x86_insn *in)
{
	if (in->kind != X86_KIND_NONE || (in->prefixes & (X86_PFX_LOCK | X86_PFX_REP | X86_PFX_REPNE)))
		return 0;
	if (in->map == X86_MAP_1BYTE && in->opcode == 0x90)
		return in->rex == 0;   /* 41 90 is xchg %eax,%r8d */
	return in->map == X86_MAP_0F && in->opcode == 0x1f && (in->reg & 7) == 0;
}

/* The site's bytes: its instruction first, then only padding, and room
 * for the rewrite the loader will make. */
static int check_site(struct scan *s, size_t k, const struct ab_v_record *r, const unsigned char *b)
{
	struct x86_insn in;
	if (x86_decode(b, r->length, &in))
		return refuse(s->err, s->errlen,
			      "record %lu: site 0x%lx: the bytes there are no instruction the decoder knows (the record says %s)",
			      (unsigned long)k, (unsigned long)r->addr, x86_kind_name(r->kind));
	if (in.kind != r->kind || in.len != r->insn)
		return refuse(s->err, s->errlen,
			      "record %lu: site 0x%lx: says %s of %u bytes, the bytes are %s of %u bytes",
			      (unsigned long)k, (unsigned long)r->addr, x86_kind_name(r->kind), r->insn,
			      in.kind == X86_KIND_NONE ? "no sensitive instruction" : x86_kind_name(in.kind), in.len);
	for (unsigned at = r->insn; at < r->length;) {
		struct x86_insn pad;
		if (x86_decode(b + at, r->length - at, &pad) || !is_nop(&pad))
			return refuse(s->err, s->errlen,
				      "record %lu: site 0x%lx: byte %u of %u is not the burner's NOP padding (a site is its instruction and padding only)",
				      (unsigned long)k, (unsigned long)r->addr, at, r->length);
		at += pad.len;
	}
	/* The rewrite the builder or the wedge will make must fit (on a copy). */
	struct x86_rewrite_targets t;
	t.upcall_mask = WEDGE_UPCALL_MASK;
	t.sti_check_slot = WEDGE_SLOT_STI_CHECK;
	for (unsigned i = 0; i < X86_KIND_MAX; i++)
		t.slot[i] = WEDGE_SLOT_KIND(i);
	unsigned char copy[256];
	unsigned ret_off;
	memcpy(copy, b, r->length);
	enum x86_rewrite_status st = x86_rewrite_site(copy, r->length, r->insn, r->kind, &t, &in, &ret_off);
	if (st != X86_REWRITE_OK && st != X86_REWRITE_KEPT)
		return refuse(s->err, s->errlen, "record %lu: site 0x%lx: %s of %u bytes cannot be rewritten: %s",
			      (unsigned long)k, (unsigned long)r->addr, x86_kind_name(r->kind), r->length,
			      x86_rewrite_strerror(st));
	/* an sti right before a hlt site becomes a call (sti;hlt as one step) */
	memcpy(copy, b, r->length);
	if (r->kind == X86_KIND_STI && !x86_rewrite_call(copy, r->length, WEDGE_SLOT_KIND(X86_KIND_STI)))
		return refuse(s->err, s->errlen, "record %lu: site 0x%lx: STI site of %u bytes has no room for a call",
			      (unsigned long)k, (unsigned long)r->addr, r->length);
	return 0;
}

/* Which earlier record's site covers one of the bits of record k's site
 * (only on the way to a refusal: one more pass over the records). */
static size_t overlapped_by(const struct ab_validated *v, const void *data, size_t k,
			    const struct ab_v_record *r)
{
	for (size_t j = 0; j < k; j++) {
		struct ab_v_record o;
		ab_v_record_get(v, data, j, &o);
		if (overlap(o.addr, o.length, r->addr, r->length))
			return j;
	}
	return k;
}

static int check_records(struct scan *s, unsigned ab, const struct ab_v_alloc *mem)
{
	struct ab_validated *v = s->v;
	const unsigned char *d = s->d;
	uint64_t shoff = rd64(d + 40);
	const unsigned char *h = d + shoff + (uint64_t)ab * V_SHDR_SIZE;
	uint32_t type = rd32(h + 4);
	uint64_t flags = rd64(h + 8), addr = rd64(h + 16), off = rd64(h + 24), size = rd64(h + 32);
	if (!ab)
		return refuse(s->err, s->errlen, "no %s section: no site was recorded", AFTERBURN_SECTION);
	if (type == V_SHT_NOBITS || type == V_SHT_NULL || !(flags & V_SHF_ALLOC))
		return refuse(s->err, s->errlen, "%s (section %u): type %u flags 0x%lx, expected allocated file bytes",
			      AFTERBURN_SECTION, ab, type, (unsigned long)flags);
	if (size % AFTERBURN_RECORD_SIZE)
		return refuse(s->err, s->errlen, "%s (section %u): size %lu is not a multiple of %d",
			      AFTERBURN_SECTION, ab, (unsigned long)size, AFTERBURN_RECORD_SIZE);
	/* The records the loader reads are those the guest gets: inside a
	 * load, at the file offset that load gives their address. */
	int placed = 0;
	for (unsigned i = 0; i < v->nsegments && !placed; i++) {
		const struct ab_v_segment *g = &v->segments[i];
		placed = addr >= g->vaddr && addr - g->vaddr <= g->filesz && size <= g->filesz - (addr - g->vaddr) &&
			 g->offset + (addr - g->vaddr) == off;
	}
	if (!placed)
		return refuse(s->err, s->errlen,
			      "%s (section %u, 0x%lx+0x%lx at file offset 0x%lx) is not inside a loadable segment",
			      AFTERBURN_SECTION, ab, (unsigned long)addr, (unsigned long)size, (unsigned long)off);
	v->records_section = ab;
	v->records_offset = off;
	v->records_addr = addr;
	v->nrecords = (size_t)(size / AFTERBURN_RECORD_SIZE);
	/* Sites never overlap and are at least the smallest pad long. */
	unsigned min_site = 255;
	for (unsigned kind = 1; kind < X86_KIND_MAX; kind++)
		if (x86_kind_pad(kind) && x86_kind_pad(kind) < min_site)
			min_site = x86_kind_pad(kind);
	if (v->nrecords > v->exec_bytes / min_site)
		return refuse(s->err, s->errlen, "%lu records for %lu bytes of executable code (sites of %u bytes at least)",
			      (unsigned long)v->nrecords, (unsigned long)v->exec_bytes, min_site);
	if (v->nrecords == 0)
		return refuse(s->err, s->errlen, "%s (section %u): 0 records, an image has at least one",
			      AFTERBURN_SECTION, ab);
	size_t bitmap_size = (size_t)((v->exec_bytes + 7) / 8);
	unsigned char *bitmap = mem->zalloc(mem->ctx, bitmap_size);
	if (!bitmap)
		return refuse(s->err, s->errlen, "out of memory for a map of %lu bytes of executable code",
			      (unsigned long)v->exec_bytes);
	int rc = 0;
	for (size_t k = 0; k < v->nrecords && !rc; k++) {
		const unsigned char *p = d + off + k * AFTERBURN_RECORD_SIZE;
		uint64_t field = addr + k * AFTERBURN_RECORD_SIZE;
		int32_t rel = (int32_t)rd32(p);
		struct ab_v_record r = { .length = p[4], .insn = p[5], .kind = rd16(p + 6) };
		if ((rel < 0 && (uint64_t)-(int64_t)rel > field) || (rel > 0 && field > UINT64_MAX - (uint64_t)rel)) {
			rc = refuse(s->err, s->errlen, "record %lu: offset %d from 0x%lx wraps around the address space",
				    (unsigned long)k, (int)rel, (unsigned long)field);
			break;
		}
		r.addr = field + (uint64_t)(int64_t)rel;
		if (r.kind == X86_KIND_NONE || r.kind >= X86_KIND_MAX) {
			rc = refuse(s->err, s->errlen, "record %lu: site 0x%lx: unknown kind %u (x86/sensitive.def has 1..%d)",
				    (unsigned long)k, (unsigned long)r.addr, r.kind, X86_KIND_MAX - 1);
			break;
		}
		if (r.insn == 0 || r.insn > 15 || r.insn > r.length) {
			rc = refuse(s->err, s->errlen,
				    "record %lu: site 0x%lx: instruction length %u does not fit its site of %u bytes",
				    (unsigned long)k, (unsigned long)r.addr, r.insn, r.length);
			break;
		}
		/* afterburn-as pads every site to max(pad, instruction) bytes */
		if (r.length < x86_kind_pad(r.kind)) {
			rc = refuse(s->err, s->errlen,
				    "record %lu: site 0x%lx: %u bytes, shorter than the %u the burner pads a %s site to",
				    (unsigned long)k, (unsigned long)r.addr, r.length, x86_kind_pad(r.kind),
				    x86_kind_name(r.kind));
			break;
		}
		uint64_t bit0;
		const struct ab_v_segment *g = code_at(v, r.addr, r.length, &bit0);
		if (!g) {
			rc = refuse(s->err, s->errlen, "record %lu: site 0x%lx+%u is not inside executable code",
				    (unsigned long)k, (unsigned long)r.addr, r.length);
			break;
		}
		r.file_offset = g->offset + (r.addr - g->vaddr);
		for (unsigned i = 0; i < r.length; i++) {
			uint64_t b = bit0 + i;
			if (bitmap[b / 8] & (1u << (b % 8))) {
				size_t j = overlapped_by(v, d, k, &r);
				struct ab_v_record o;
				ab_v_record_get(v, d, j, &o);
				rc = refuse(s->err, s->errlen, "records %lu and %lu: sites 0x%lx+%u and 0x%lx+%u overlap",
					    (unsigned long)j, (unsigned long)k, (unsigned long)o.addr, o.length,
					    (unsigned long)r.addr, r.length);
				break;
			}
			bitmap[b / 8] |= (unsigned char)(1u << (b % 8));
		}
		if (!rc && !(s->flags & AB_V_SITES_REWRITTEN))
			rc = check_site(s, k, &r, d + r.file_offset);
	}
	mem->release(mem->ctx, bitmap, bitmap_size);
	return rc;
}

int ab_validate_image(const void *data, size_t size, const struct ab_v_alloc *mem,
		      struct ab_validated *out, char *err, size_t errlen)
{
	return ab_validate_image_flags(data, size, mem, 0, out, err, errlen);
}

int ab_validate_image_flags(const void *data, size_t size, const struct ab_v_alloc *mem,
			    unsigned flags, struct ab_validated *out, char *err, size_t errlen)
{
	struct scan s = { .d = data, .size = size, .flags = flags, .v = out, .err = err, .errlen = errlen };
	unsigned ab = 0;
	memset(out, 0, sizeof(*out));
	if (check_header(&s) || check_sections(&s, &ab) || check_segments(&s))
		return -1;
	out->entry = rd64(s.d + 24);
	/* Linux's vmlinux gives the physical address (ENTRY(phys_startup_64)) */
	if (!code_at(out, out->entry, 1, NULL) && !code_at_physical(out, out->entry))
		return refuse(err, errlen, "entry point 0x%lx is not inside executable code",
			      (unsigned long)out->entry);
	return check_records(&s, ab, mem);
}

/* An afterburn-named note in [off, off+len) of the file? */
static int has_ab_note(const unsigned char *d, uint64_t off, uint64_t len)
{
	const unsigned char *p = d + off;
	uint64_t at = 0;
	while (len - at >= 12) {
		uint32_t namesz = rd32(p + at), descsz = rd32(p + at + 4);
		uint64_t name_off = at + 12;
		uint64_t next = name_off + (((uint64_t)namesz + 3) & ~3ull) + (((uint64_t)descsz + 3) & ~3ull);
		if (!in_file(name_off, namesz, len))
			return 0;
		if (namesz >= 9 && !memcmp(p + name_off, AFTERBURN_NOTE_NAME, 9))
			return 1;
		if (next >= len)
			break;
		at = next;
	}
	return 0;
}

int ab_v_is_burnt(const void *data, size_t size)
{
	const unsigned char *d = data;
	if (size < V_EHDR_SIZE || memcmp(d, "\177ELF", 4) || d[4] != 2 || d[5] != 1)
		return 0;
	uint64_t total = 0;
	uint64_t shoff = rd64(d + 40), phoff = rd64(d + 32);
	uint16_t shnum = rd16(d + 60), phnum = rd16(d + 56);
	if (rd16(d + 58) == V_SHDR_SIZE && in_file(shoff, (uint64_t)shnum * V_SHDR_SIZE, size))
		for (unsigned i = 1; i < shnum; i++) {
			const unsigned char *h = d + shoff + (uint64_t)i * V_SHDR_SIZE;
			uint64_t off = rd64(h + 24), sz = rd64(h + 32);
			if (rd32(h + 4) != V_SHT_NOTE || !in_file(off, sz, size))
				continue;
			if ((total += sz) > size)
				return 1;   /* hostile: the validator says why */
			if (has_ab_note(d, off, sz))
				return 1;
		}
	total = 0;
	if (rd16(d + 54) == V_PHDR_SIZE && in_file(phoff, (uint64_t)phnum * V_PHDR_SIZE, size))
		for (unsigned i = 0; i < phnum; i++) {
			const unsigned char *h = d + phoff + (uint64_t)i * V_PHDR_SIZE;
			uint64_t off = rd64(h + 8), sz = rd64(h + 32);
			if (rd32(h) != 4 /* PT_NOTE */ || !in_file(off, sz, size))
				continue;
			if ((total += sz) > size)
				return 1;
			if (has_ab_note(d, off, sz))
				return 1;
		}
	return 0;
}
