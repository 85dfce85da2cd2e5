/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-check: coverage checker for burnt x86 objects and images.
 *
 *   ab-check [--json] [--mode=16|32|64] [--strict] [--list] FILE
 *
 * Disassembles every executable section with Capstone (linear sweep),
 * classifies each instruction independently of the burner's text tables
 * (by Capstone's instruction id and operands), and cross-checks the
 * .afterburn records (libafterburn): sensitive instructions by kind and by
 * section, how many are annotated, each unannotated site with
 * symbol+offset (and source line when DWARF is there), each record that
 * does not point at a sensitive instruction of its kind with NOP padding
 * of its length, pad sizes.
 *
 * `ab-check --compare PLAIN.o BURNT.o` checks instead that a burnt object
 * holds what plain as made of the same input (domtools/ab-compare.c).
 *
 * Exit status: 0 when every sensitive instruction in guest code is
 * annotated and no record is bad; 1 otherwise; 2 on unreadable input.
 * Runtime-copied code (.altinstr_replacement) and 16-bit code (--mode=16)
 * are reported separately and do not fail the check unless --strict.
 * rdtsc/rdtscp are counted, and only need annotating when the image's note
 * says the burner padded them.  IA-64 files go to ab-check-ia64.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domtools/ab-compare.h"
#include "generated/ab-version.h"
#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/util.h"
#include "x86/burn.h"
#include "x86/sensitive.h"

enum code_class { CLASS_GUEST, CLASS_REPLACEMENT, CLASS_16BIT, CLASS_COUNT };
static const char *const class_names[CLASS_COUNT] = { "guest", "runtime-copied", "16-bit" };

struct gap {
	size_t section;
	uint64_t offset;
	int kind;
	enum code_class cls;
	char text[200];
};

struct bad {
	size_t site;          /* index into sites */
	const char *reason;
	char detail[256];
};

struct kind_count {
	unsigned long found[CLASS_COUNT], annotated[CLASS_COUNT];
	unsigned long records, pad_bytes, insn_bytes;
	unsigned long length_hist[256];
};

/* Bytes of code sections that are not instructions: covered by a data
 * symbol (STT_OBJECT with a size), or undecodable in their mode. */
struct span {
	size_t section;
	uint64_t start, end;
	bool data;                    /* else undecodable */
	const char *name;             /* the data symbol */
};

struct section_count {
	unsigned long found, annotated;
};

struct checker {
	struct ab_elf elf;
	const char *path;
	int mode;                     /* 16, 32, 64 */
	bool strict;
	struct ab_site *sites;
	size_t nsites;
	size_t *order;                /* sites sorted by (section, offset) */
	bool *matched;
	struct ab_note note;
	struct ab_symbol *syms;
	long nsyms;
	struct gap *gaps;
	size_t ngaps, capgaps;
	struct bad *bads;
	size_t nbads, capbads;
	struct kind_count kinds[X86_KIND_MAX];
	struct section_count *per_section;
	unsigned long undecodable;
	struct ab_mode_range *modes;  /* .afterburn.mode: code in another mode */
	size_t nmodes;
	unsigned long mode_bytes[65]; /* bytes decoded per mode (16/32/64) */
	struct span *spans;           /* data symbols in code, undecodable runs */
	size_t nspans, capspans;
	unsigned long data_bytes, data_objects;
	unsigned long fill_bytes;     /* the default mode's NOPs in other-mode code */
	unsigned long undecodable_runs;
	csh cs16, cs32, cs64;
	unsigned long counted_only;   /* rdtsc* left unpadded by design */
	unsigned long counted_by_class[CLASS_COUNT];
	bool has_dwarf;
};

static struct checker *sort_ctx;

static int cmp_site(const void *a, const void *b)
{
	const struct ab_site *x = &sort_ctx->sites[*(const size_t *)a];
	const struct ab_site *y = &sort_ctx->sites[*(const size_t *)b];
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

/* Index (into sites) of the first site at (section, offset), or -1. */
static long find_site(struct checker *c, size_t section, uint64_t offset)
{
	size_t lo = 0, hi = c->nsites;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct ab_site *s = &c->sites[c->order[mid]];
		if (s->section < section || (s->section == section && s->offset < offset))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nsites) {
		const struct ab_site *s = &c->sites[c->order[lo]];
		if (s->section == section && s->offset == offset)
			return (long)c->order[lo];
	}
	return -1;
}

static void add_bad(struct checker *c, size_t site, const char *reason, const char *detail)
{
	if (c->nbads == c->capbads) {
		c->capbads = c->capbads ? 2 * c->capbads : 64;
		c->bads = realloc(c->bads, c->capbads * sizeof(*c->bads));
		if (!c->bads) {
			perror("ab-check");
			exit(2);
		}
	}
	struct bad *b = &c->bads[c->nbads++];
	b->site = site;
	b->reason = reason;
	snprintf(b->detail, sizeof(b->detail), "%s", detail ? detail : "");
}

static bool is_seg(x86_reg r)
{
	return r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES ||
	       r == X86_REG_FS || r == X86_REG_GS || r == X86_REG_SS;
}
static bool is_cr(x86_reg r) { return r >= X86_REG_CR0 && r <= X86_REG_CR15; }
static bool is_dr(x86_reg r) { return r >= X86_REG_DR0 && r <= X86_REG_DR15; }

/* Kind of a decoded instruction (0: not sensitive).  Independent of the
 * burner's spellings on purpose: the two must agree for a clean check. */
static int classify(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op = x->operands;
	switch (in->id) {
	case X86_INS_CLI: return X86_KIND_CLI;
	case X86_INS_STI: return X86_KIND_STI;
	case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_PUSHFQ: return X86_KIND_PUSHF;
	case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_POPFQ: return X86_KIND_POPF;
	case X86_INS_IN: return X86_KIND_IN;
	case X86_INS_OUT: return X86_KIND_OUT;
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD: return X86_KIND_INS;
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD: return X86_KIND_OUTS;
	case X86_INS_HLT: return X86_KIND_HLT;
	case X86_INS_CPUID: return X86_KIND_CPUID;
	case X86_INS_RDMSR: return X86_KIND_RDMSR;
	case X86_INS_WRMSR: return X86_KIND_WRMSR;
	case X86_INS_RDPMC: return X86_KIND_RDPMC;
	case X86_INS_SWAPGS: return X86_KIND_SWAPGS;
	case X86_INS_SYSRET: return X86_KIND_SYSRET;
	case X86_INS_SYSEXIT: return X86_KIND_SYSEXIT;
	case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ: return X86_KIND_IRET;
	case X86_INS_RETF: case X86_INS_RETFQ: return X86_KIND_LRET;
	case X86_INS_LJMP: return X86_KIND_LJMP;
	case X86_INS_LCALL: return X86_KIND_LCALL;
	case X86_INS_INT:
		if (x->op_count == 1 && op[0].type == X86_OP_IMM && op[0].imm == 3)
			return 0;
		return X86_KIND_INT;
	case X86_INS_INTO: return X86_KIND_INTO;
	case X86_INS_PUSH:
		return x->op_count == 1 && op[0].type == X86_OP_REG && is_seg(op[0].reg)
		       ? X86_KIND_PUSH_SEG : 0;
	case X86_INS_POP:
		return x->op_count == 1 && op[0].type == X86_OP_REG && is_seg(op[0].reg)
		       ? X86_KIND_POP_SEG : 0;
	case X86_INS_MOV:
		if (x->op_count != 2)
			return 0;
		/* Capstone lists the destination first */
		if (op[0].type == X86_OP_REG && is_seg(op[0].reg)) return X86_KIND_MOV_TO_SEG;
		if (op[1].type == X86_OP_REG && is_seg(op[1].reg)) return X86_KIND_MOV_FROM_SEG;
		if (op[0].type == X86_OP_REG && is_cr(op[0].reg)) return X86_KIND_MOV_TO_CR;
		if (op[1].type == X86_OP_REG && is_cr(op[1].reg)) return X86_KIND_MOV_FROM_CR;
		if (op[0].type == X86_OP_REG && is_dr(op[0].reg)) return X86_KIND_MOV_TO_DR;
		if (op[1].type == X86_OP_REG && is_dr(op[1].reg)) return X86_KIND_MOV_FROM_DR;
		return 0;
	case X86_INS_LGDT: return X86_KIND_LGDT;
	case X86_INS_LIDT: return X86_KIND_LIDT;
	case X86_INS_LLDT: return X86_KIND_LLDT;
	case X86_INS_LTR: return X86_KIND_LTR;
	case X86_INS_SGDT: return X86_KIND_SGDT;
	case X86_INS_SIDT: return X86_KIND_SIDT;
	case X86_INS_SLDT: return X86_KIND_SLDT;
	case X86_INS_STR: return X86_KIND_STR;
	case X86_INS_SMSW: return X86_KIND_SMSW;
	case X86_INS_LMSW: return X86_KIND_LMSW;
	case X86_INS_CLTS: return X86_KIND_CLTS;
	case X86_INS_INVD: return X86_KIND_INVD;
	case X86_INS_WBINVD: return X86_KIND_WBINVD;
	case X86_INS_INVLPG: return X86_KIND_INVLPG;
	case X86_INS_INVPCID: return X86_KIND_INVPCID;
	case X86_INS_LAR: return X86_KIND_LAR;
	case X86_INS_LSL: return X86_KIND_LSL;
	case X86_INS_VERR: return X86_KIND_VERR;
	case X86_INS_VERW: return X86_KIND_VERW;
	case X86_INS_RDFSBASE: return X86_KIND_RDFSBASE;
	case X86_INS_RDGSBASE: return X86_KIND_RDGSBASE;
	case X86_INS_WRFSBASE: return X86_KIND_WRFSBASE;
	case X86_INS_WRGSBASE: return X86_KIND_WRGSBASE;
	case X86_INS_XGETBV: return X86_KIND_XGETBV;
	case X86_INS_XSETBV: return X86_KIND_XSETBV;
	case X86_INS_XSAVES: case X86_INS_XSAVES64: return X86_KIND_XSAVES;
	case X86_INS_XRSTORS: case X86_INS_XRSTORS64: return X86_KIND_XRSTORS;
	case X86_INS_MONITOR: return X86_KIND_MONITOR;
	case X86_INS_MWAIT: return X86_KIND_MWAIT;
	case X86_INS_CLAC: return X86_KIND_CLAC;
	case X86_INS_STAC: return X86_KIND_STAC;
	case X86_INS_RDTSC: return X86_KIND_RDTSC;
	case X86_INS_RDTSCP: return X86_KIND_RDTSCP;
	case X86_INS_LSS: case X86_INS_LFS: case X86_INS_LGS:
	case X86_INS_LDS: case X86_INS_LES: return X86_KIND_LOAD_FARPTR;
	}
	return 0;
}


static const char *kind_name(int kind)
{
	const struct x86_kind_info *k = x86_kind_info(kind);
	return k ? k->name : "?";
}

/* "symbol+0xoff" for (section, offset). */
static void symbolize(struct checker *c, size_t section, uint64_t offset, char *buf, size_t len)
{
	const struct ab_symbol *best = NULL;
	uint64_t addr = c->elf.type == ET_REL ? offset : c->elf.sections[section].addr + offset;
	for (long i = 0; i < c->nsyms; i++) {
		const struct ab_symbol *s = &c->syms[i];
		if (!*s->name || s->type == STT_SECTION || s->type == STT_FILE)
			continue;
		if (c->elf.type == ET_REL ? s->shndx != section
		    : (s->shndx == SHN_UNDEF || s->shndx >= c->elf.nsections))
			continue;
		if (s->value <= addr && (!best || s->value > best->value))
			best = s;
	}
	if (best)
		snprintf(buf, len, "%s+%#llx", best->name, (unsigned long long)(addr - best->value));
	else
		snprintf(buf, len, "%s+%#llx", c->elf.sections[section].name, (unsigned long long)offset);
}

/* file:line from DWARF through addr2line, when the file has line info. */
static void source_line(struct checker *c, size_t section, uint64_t offset, char *buf, size_t len)
{
	buf[0] = 0;
	if (!c->has_dwarf)
		return;
	char cmd[4096];
	if (c->elf.type == ET_REL)
		snprintf(cmd, sizeof(cmd), "addr2line -e '%s' -j '%s' %#llx 2>/dev/null", c->path,
			 c->elf.sections[section].name, (unsigned long long)offset);
	else
		snprintf(cmd, sizeof(cmd), "addr2line -e '%s' %#llx 2>/dev/null", c->path,
			 (unsigned long long)(c->elf.sections[section].addr + offset));
	FILE *p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(buf, (int)len, p)) {
		buf[strcspn(buf, "\n")] = 0;
		if (!strncmp(buf, "??", 2))
			buf[0] = 0;
	}
	pclose(p);
}

static enum code_class section_class(struct checker *c, const struct ab_section *s)
{
	if (!strcmp(s->name, ".altinstr_replacement"))
		return CLASS_REPLACEMENT;
	if (c->mode == 16)
		return CLASS_16BIT;
	return CLASS_GUEST;
}

static bool counted_only(struct checker *c, int kind)
{
	const struct x86_kind_info *k = x86_kind_info(kind);
	return k && (k->flags & X86_K_COUNT) && !(c->note.flags & AFTERBURN_NOTE_F_RDTSC_PADDED);
}

/* Check one record at an instruction boundary. */
static void check_record(struct checker *c, csh cs, size_t si, const cs_insn *in, int kind,
			 const unsigned char *code, uint64_t secsize, uint64_t base)
{
	const struct ab_site *s = &c->sites[si];
	char d[256];
	if (!kind) {
		snprintf(d, sizeof(d), "%s %s, record kind %s", in->mnemonic, in->op_str, kind_name(s->kind));
		add_bad(c, si, "not a sensitive instruction", d);
		return;
	}
	if (kind != s->kind) {
		snprintf(d, sizeof(d), "%s %s is %s, record says %s", in->mnemonic, in->op_str,
			 kind_name(kind), kind_name(s->kind));
		add_bad(c, si, "wrong kind", d);
	}
	if (s->insn != in->size) {
		snprintf(d, sizeof(d), "record insn %u, instruction is %u bytes", s->insn, in->size);
		add_bad(c, si, "wrong instruction length", d);
		return;
	}
	if (s->length < s->insn) {
		snprintf(d, sizeof(d), "length %u < insn %u", s->length, s->insn);
		add_bad(c, si, "scratch shorter than the instruction", d);
		return;
	}
	if (s->offset + s->length > secsize) {
		add_bad(c, si, "scratch runs past the section end", NULL);
		return;
	}
	/* the padding decodes as NOPs that end exactly at site + length */
	uint64_t off = s->offset + s->insn, end = s->offset + s->length;
	cs_insn *pad = cs_malloc(cs);
	while (off < end) {
		const uint8_t *p = code + off;
		size_t left = (size_t)(end - off);
		uint64_t addr = base + off;
		if (!cs_disasm_iter(cs, &p, &left, &addr, pad) || !ab_is_nop(pad)) {
			snprintf(d, sizeof(d), "byte %llu of the scratch space is not a NOP",
				 (unsigned long long)(off - s->offset));
			add_bad(c, si, "padding is not NOPs", d);
			break;
		}
		off += pad->size;
	}
	cs_free(pad, 1);
	struct kind_count *k = &c->kinds[kind];
	k->records++;
	k->pad_bytes += s->length - s->insn;
	k->insn_bytes += s->insn;
	k->length_hist[s->length]++;
}

static void add_span(struct checker *c, size_t section, uint64_t start, uint64_t end, bool data,
		     const char *name)
{
	if (!data && c->nspans && !c->spans[c->nspans - 1].data &&
	    c->spans[c->nspans - 1].section == section && c->spans[c->nspans - 1].end == start) {
		c->spans[c->nspans - 1].end = end;   /* one run of undecodable bytes */
		return;
	}
	if (c->nspans == c->capspans) {
		c->capspans = c->capspans ? 2 * c->capspans : 64;
		c->spans = realloc(c->spans, c->capspans * sizeof(*c->spans));
		if (!c->spans) {
			perror("ab-check");
			exit(2);
		}
	}
	c->spans[c->nspans++] = (struct span){ section, start, end, data, name };
	if (!data)
		c->undecodable_runs++;
}

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
}

/* The data symbols (STT_OBJECT, size > 0) inside section idx, as sorted
 * [start, end) offset pairs plus the symbol index; *n pairs. */
static uint64_t *data_in_section(struct checker *c, size_t idx, size_t *n)
{
	const struct ab_section *s = &c->elf.sections[idx];
	uint64_t *v = NULL;
	size_t k = 0, cap = 0;
	for (long i = 0; i < c->nsyms; i++) {
		const struct ab_symbol *y = &c->syms[i];
		if (y->type != STT_OBJECT || !y->size)
			continue;
		uint64_t start;
		if (c->elf.type == ET_REL) {
			if (y->shndx != idx)
				continue;
			start = y->value;
		} else {
			if (y->value < s->addr || y->value >= s->addr + s->size)
				continue;
			start = y->value - s->addr;
		}
		if (k == cap) {
			cap = cap ? 2 * cap : 16;
			v = realloc(v, cap * 3 * sizeof(*v));
			if (!v) {
				perror("ab-check");
				exit(2);
			}
		}
		v[3 * k] = start;
		v[3 * k + 1] = start + y->size > s->size ? s->size : start + y->size;
		v[3 * k + 2] = (uint64_t)i;
		k++;
	}
	if (k)
		qsort(v, k, 3 * sizeof(*v), cmp_u64_pair);
	*n = k;
	return v;
}

/* The mode at (idx, off): the .afterburn.mode range holding it, else the
 * file's; *until is where that answer may change. */
static int mode_at(struct checker *c, size_t idx, uint64_t off, uint64_t *until)
{
	int bits = c->mode;
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < c->nmodes; i++) {
		const struct ab_mode_range *m = &c->modes[i];
		if (m->section != idx || !m->size)
			continue;
		if (off >= m->offset && off < m->offset + m->size) {
			bits = m->bits;
			if (m->offset + m->size < next)
				next = m->offset + m->size;
		} else if (m->offset > off && m->offset < next) {
			next = m->offset;
		}
	}
	*until = next;
	return bits;
}

static csh handle_for(struct checker *c, int bits)
{
	return bits == 16 ? c->cs16 : bits == 32 ? c->cs32 : c->cs64;
}

static void check_section(struct checker *c, csh cs_default, size_t idx)
{
	(void)cs_default;
	const struct ab_section *s = &c->elf.sections[idx];
	const unsigned char *code = ab_elf_section_data(&c->elf, s);
	if (!code)
		return;
	uint64_t base = c->elf.type == ET_REL ? 0 : s->addr;
	size_t ndata;
	uint64_t *data = data_in_section(c, idx, &ndata);
	size_t di = 0;
	cs_insn *in = cs_malloc(c->cs64);
	uint64_t off = 0, mode_until = 0;
	int bits = c->mode;
	while (off < s->size) {
		/* data symbols are not decoded */
		while (di < ndata && data[3 * di + 1] <= off)
			di++;
		if (di < ndata && data[3 * di] <= off) {
			uint64_t e = data[3 * di + 1];
			add_span(c, idx, off, e, true, c->syms[data[3 * di + 2]].name);
			c->data_bytes += e - off;
			c->data_objects++;
			off = e;
			continue;
		}
		if (off >= mode_until || mode_until == 0)
			bits = mode_at(c, idx, off, &mode_until);
		csh cs = handle_for(c, bits);
		if (bits != c->mode) {
			/* gas fills alignment gaps with the NOPs of the mode in
			 * force at the end of the input: in 16/32-bit code of a
			 * file that ends in the default mode they are that
			 * mode's NOPs, garbage (pop %ds...) when decoded here */
			const uint8_t *fp = code + off;
			size_t fleft = (size_t)(s->size - off);
			uint64_t faddr = base + off;
			if (cs_disasm_iter(handle_for(c, c->mode), &fp, &fleft, &faddr, in) &&
			    in->size >= 2 && ab_is_nop(in) && off + in->size <= mode_until &&
			    find_site(c, idx, off) < 0) {
				c->fill_bytes += in->size;
				off += in->size;
				continue;
			}
		}
		enum code_class cls = section_class(c, s);
		if (bits == 16 && cls == CLASS_GUEST)
			cls = CLASS_16BIT;
		/* an instruction never runs into a data symbol or another mode */
		uint64_t stop = s->size;
		if (di < ndata && data[3 * di] < stop)
			stop = data[3 * di];
		if (mode_until < stop)
			stop = mode_until;
		const uint8_t *p = code + off;
		size_t left = (size_t)(stop - off);
		uint64_t addr = base + off;
		if (!cs_disasm_iter(cs, &p, &left, &addr, in)) {
			c->undecodable++;
			add_span(c, idx, off, off + 1, false, NULL);
			off++;
			continue;
		}
		c->mode_bytes[bits] += in->size;
		int kind = classify(in);
		long si = find_site(c, idx, off);
		if (si >= 0) {
			/* several records for one site: each is checked */
			for (size_t k = (size_t)si; k < c->nsites; k++) {
				const struct ab_site *x = &c->sites[k];
				if (x->section != idx || x->offset != off)
					continue;
				if (!c->matched[k]) {
					c->matched[k] = true;
					check_record(c, cs, k, in, kind, code, s->size, base);
				}
			}
		}
		if (kind) {
			c->kinds[kind].found[cls]++;
			c->per_section[idx].found++;
			if (si >= 0) {
				c->kinds[kind].annotated[cls]++;
				c->per_section[idx].annotated++;
			} else if (counted_only(c, kind)) {
				c->counted_only++;
				c->counted_by_class[cls]++;
			} else {
				if (c->ngaps == c->capgaps) {
					c->capgaps = c->capgaps ? 2 * c->capgaps : 64;
					c->gaps = realloc(c->gaps, c->capgaps * sizeof(*c->gaps));
					if (!c->gaps) {
						perror("ab-check");
						exit(2);
					}
				}
				struct gap *g = &c->gaps[c->ngaps++];
				g->section = idx;
				g->offset = off;
				g->kind = kind;
				g->cls = cls;
				snprintf(g->text, sizeof(g->text), "%s%s%s", in->mnemonic,
					 *in->op_str ? " " : "", in->op_str);
			}
		}
		off += in->size;
	}
	cs_free(in, 1);
	free(data);
}

/* Whether (section, offset) lies in a data symbol (a span marked data). */
static const struct span *in_data(const struct checker *c, size_t section, uint64_t off)
{
	for (size_t i = 0; i < c->nspans; i++)
		if (c->spans[i].data && c->spans[i].section == section && off >= c->spans[i].start &&
		    off < c->spans[i].end)
			return &c->spans[i];
	return NULL;
}

static void usage_to(FILE *f)
{
	fprintf(f, "usage: ab-check [--json] [--mode=16|32|64] [--strict] [--list] FILE\n"
		   "       ab-check --compare [--list] PLAIN.o BURNT.o\n"
		   "       ab-check --help | --version\n");
}

static void usage(void)
{
	usage_to(stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct checker c;
	memset(&c, 0, sizeof(c));
	bool json = false, list = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage_to(stdout);
			printf("Checks that every sensitive instruction of a burnt x86 image or object is\n"
			       "annotated (exit 0), or compares a burnt object with plain as's (--compare).\n"
			       "See ab-check(1).\n");
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("ab-check (afterburner) %s\n", AB_VERSION);
			return 0;
		}
	}
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--compare")) {
			const char *f[2] = { NULL, NULL };
			int nf = 0;
			for (int k = 1; k < argc; k++) {
				if (!strcmp(argv[k], "--compare"))
					continue;
				if (!strcmp(argv[k], "--list"))
					list = true;
				else if (argv[k][0] == '-' || nf == 2)
					usage();
				else
					f[nf++] = argv[k];
			}
			if (nf != 2)
				usage();
			return ab_compare(f[0], f[1], list);
		}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--strict"))
			c.strict = true;
		else if (!strcmp(argv[i], "--list"))
			list = true;
		else if (!strncmp(argv[i], "--mode=", 7))
			c.mode = atoi(argv[i] + 7);
		else if (argv[i][0] == '-')
			usage();
		else if (!c.path)
			c.path = argv[i];
		else
			usage();
	}
	if (!c.path || (c.mode && c.mode != 16 && c.mode != 32 && c.mode != 64))
		usage();
	char err[512];
	if (ab_elf_open(&c.elf, c.path, err, sizeof(err))) {
		fprintf(stderr, "ab-check: error: %s\n", err);
		return 2;
	}
	if (c.elf.machine == EM_IA_64) {
		/* the IA-64 checker lives next to this one */
		char path[4096];
		snprintf(path, sizeof(path), "%s", argv[0]);
		char *slash = strrchr(path, '/');
		snprintf(slash ? slash + 1 : path, sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
			 "ab-check-ia64");
		execv(path, argv);
		fprintf(stderr, "ab-check: %s is IA-64; ab-check-ia64 not found next to ab-check\n", c.path);
		return 2;
	}
	if (c.elf.machine != EM_X86_64 && c.elf.machine != EM_386) {
		fprintf(stderr, "ab-check: error: %s: machine %u is not x86\n", c.path, c.elf.machine);
		return 2;
	}
	if (!c.mode)
		c.mode = c.elf.machine == EM_X86_64 ? 64 : 32;
	if (ab_read_note(&c.elf, &c.note, err, sizeof(err)) ||
	    ab_read_sites(&c.elf, &c.sites, &c.nsites, err, sizeof(err))) {
		fprintf(stderr, "ab-check: error: %s: %s\n", c.path, err);
		return 2;
	}
	c.nsyms = ab_elf_symbols(&c.elf, &c.syms, err, sizeof(err));
	if (c.nsyms < 0) {
		fprintf(stderr, "ab-check: error: %s: %s\n", c.path, err);
		return 2;
	}
	c.has_dwarf = ab_elf_section(&c.elf, ".debug_line") != NULL;
	c.order = malloc((c.nsites ? c.nsites : 1) * sizeof(*c.order));
	c.matched = calloc(c.nsites ? c.nsites : 1, sizeof(*c.matched));
	c.per_section = calloc(c.elf.nsections, sizeof(*c.per_section));
	if (!c.order || !c.matched || !c.per_section) {
		perror("ab-check");
		return 2;
	}
	for (size_t i = 0; i < c.nsites; i++)
		c.order[i] = i;
	sort_ctx = &c;
	qsort(c.order, c.nsites, sizeof(*c.order), cmp_site);

	if (ab_read_modes(&c.elf, &c.modes, &c.nmodes, err, sizeof(err))) {
		fprintf(stderr, "ab-check: error: %s: %s\n", c.path, err);
		return 2;
	}
	csh cs;
	if (ab_capstone_open(&c.cs16, &c.cs32, &c.cs64)) {
		fprintf(stderr, "ab-check: error: cannot open Capstone\n");
		return 2;
	}
	cs = handle_for(&c, c.mode);
	for (size_t i = 1; i < c.elf.nsections; i++) {
		const struct ab_section *s = &c.elf.sections[i];
		if ((s->flags & SHF_EXECINSTR) && s->type == SHT_PROGBITS)
			check_section(&c, cs, i);
	}
	/* records that did not meet an instruction start */
	for (size_t i = 0; i < c.nsites; i++) {
		if (c.matched[i])
			continue;
		const struct ab_site *s = &c.sites[i];
		const struct span *d = s->section ? in_data(&c, s->section, s->offset) : NULL;
		if (!s->section)
			add_bad(&c, i, "site outside every section", NULL);
		else if (d)
			add_bad(&c, i, "site inside a data symbol", d->name);
		else if (!(c.elf.sections[s->section].flags & SHF_EXECINSTR))
			add_bad(&c, i, "site in a non-executable section", c.elf.sections[s->section].name);
		else
			add_bad(&c, i, "site is not at an instruction boundary", NULL);
	}
	cs_close(&c.cs16);
	cs_close(&c.cs32);
	cs_close(&c.cs64);

	unsigned long found[CLASS_COUNT] = { 0 }, annotated[CLASS_COUNT] = { 0 };
	unsigned long gaps_by_class[CLASS_COUNT] = { 0 };
	unsigned long pad_total = 0, insn_total = 0;
	for (int k = 1; k < X86_KIND_MAX; k++) {
		for (int cl = 0; cl < CLASS_COUNT; cl++) {
			found[cl] += c.kinds[k].found[cl];
			annotated[cl] += c.kinds[k].annotated[cl];
		}
		pad_total += c.kinds[k].pad_bytes;
		insn_total += c.kinds[k].insn_bytes;
	}
	for (size_t i = 0; i < c.ngaps; i++)
		gaps_by_class[c.gaps[i].cls]++;
	bool note_problem = c.nsites && !c.note.present;
	bool fail = c.nbads > 0 || gaps_by_class[CLASS_GUEST] > 0 || note_problem ||
		    (c.strict && (gaps_by_class[CLASS_REPLACEMENT] || gaps_by_class[CLASS_16BIT]));
	const char *arch = c.elf.machine == EM_X86_64 ? "x86_64" : "i386";

	if (json) {
		printf("{\"file\":");
		json_string(c.path);
		printf(",\"arch\":\"%s\",\"mode\":%d,\"records\":%zu,", arch, c.mode, c.nsites);
		printf("\"note\":{\"present\":%s,\"count\":%zu,\"abi_version\":%u,\"arch\":%u,\"record_size\":%u,\"flags\":%u},",
		       c.note.present ? "true" : "false", c.note.count, c.note.abi_version,
		       c.note.arch, c.note.record_size, c.note.flags);
		printf("\"coverage\":{");
		for (int cl = 0; cl < CLASS_COUNT; cl++)
			printf("%s\"%s\":{\"sensitive\":%lu,\"counted_only\":%lu,\"annotated\":%lu,\"gaps\":%lu}",
			       cl ? "," : "", class_names[cl], found[cl], c.counted_by_class[cl],
			       annotated[cl], gaps_by_class[cl]);
		printf("},\"counted_only\":%lu,\"undecodable_bytes\":%lu,\"pad_bytes\":%lu,\"insn_bytes\":%lu,",
		       c.counted_only, c.undecodable, pad_total, insn_total);
		printf("\"mode_ranges\":%zu,\"mode_bytes\":{\"16\":%lu,\"32\":%lu,\"64\":%lu},"
		       "\"data_bytes\":%lu,\"data_symbols\":%lu,\"undecodable_runs\":%lu,",
		       c.nmodes, c.mode_bytes[16], c.mode_bytes[32], c.mode_bytes[64], c.data_bytes,
		       c.data_objects, c.undecodable_runs);
		printf("\"kinds\":[");
		bool first = true;
		for (int k = 1; k < X86_KIND_MAX; k++) {
			struct kind_count *kc = &c.kinds[k];
			unsigned long f = kc->found[0] + kc->found[1] + kc->found[2];
			if (!f && !kc->records)
				continue;
			printf("%s{\"kind\":%d,\"name\":\"%s\",\"sensitive\":%lu,\"annotated\":%lu,\"records\":%lu,\"pad_bytes\":%lu}",
			       first ? "" : ",", k, kind_name(k), f,
			       kc->annotated[0] + kc->annotated[1] + kc->annotated[2], kc->records, kc->pad_bytes);
			first = false;
		}
		printf("],\"sections\":[");
		first = true;
		for (size_t i = 1; i < c.elf.nsections; i++) {
			if (!c.per_section[i].found)
				continue;
			printf("%s{\"name\":", first ? "" : ",");
			json_string(c.elf.sections[i].name);
			printf(",\"class\":\"%s\",\"sensitive\":%lu,\"annotated\":%lu}",
			       class_names[section_class(&c, &c.elf.sections[i])],
			       c.per_section[i].found, c.per_section[i].annotated);
			first = false;
		}
		printf("],\"gaps\":[");
		for (size_t i = 0; i < c.ngaps; i++) {
			struct gap *g = &c.gaps[i];
			char sym[256], line[512];
			symbolize(&c, g->section, g->offset, sym, sizeof(sym));
			source_line(&c, g->section, g->offset, line, sizeof(line));
			printf("%s{\"section\":", i ? "," : "");
			json_string(c.elf.sections[g->section].name);
			printf(",\"offset\":%llu,\"address\":%llu,\"symbol\":", (unsigned long long)g->offset,
			       (unsigned long long)(c.elf.sections[g->section].addr + g->offset));
			json_string(sym);
			printf(",\"kind\":\"%s\",\"class\":\"%s\",\"insn\":", kind_name(g->kind), class_names[g->cls]);
			json_string(g->text);
			printf(",\"line\":");
			json_string(line);
			printf("}");
		}
		printf("],\"bad_records\":[");
		for (size_t i = 0; i < c.nbads; i++) {
			const struct ab_site *s = &c.sites[c.bads[i].site];
			printf("%s{\"record\":%zu,\"section\":", i ? "," : "", s->record);
			json_string(s->section ? c.elf.sections[s->section].name : "");
			printf(",\"offset\":%llu,\"kind\":%u,\"reason\":", (unsigned long long)s->offset, s->kind);
			json_string(c.bads[i].reason);
			printf(",\"detail\":");
			json_string(c.bads[i].detail);
			printf("}");
		}
		printf("],\"ok\":%s}\n", fail ? "false" : "true");
	} else {
		printf("%s: %s, %d-bit code, %zu records, note: %s", c.path, arch, c.mode, c.nsites,
		       c.note.present ? "" : "none\n");
		if (c.note.present)
			printf("ABI %u, arch %u, flags %#x%s\n", c.note.abi_version, c.note.arch, c.note.flags,
			       c.note.count > 1 ? " (more than one note)" : "");
		printf("\n%-14s %9s %9s %9s %9s %9s\n", "kind", "sensitive", "annotated", "records",
		       "pad bytes", "avg site");
		for (int k = 1; k < X86_KIND_MAX; k++) {
			struct kind_count *kc = &c.kinds[k];
			unsigned long f = kc->found[0] + kc->found[1] + kc->found[2];
			if (!f && !kc->records)
				continue;
			printf("%-14s %9lu %9lu %9lu %9lu %9.1f\n", kind_name(k), f,
			       kc->annotated[0] + kc->annotated[1] + kc->annotated[2], kc->records,
			       kc->pad_bytes,
			       kc->records ? (double)(kc->pad_bytes + kc->insn_bytes) / kc->records : 0.0);
		}
		printf("\n%-28s %9s %9s  %s\n", "section", "sensitive", "annotated", "class");
		for (size_t i = 1; i < c.elf.nsections; i++)
			if (c.per_section[i].found)
				printf("%-28s %9lu %9lu  %s\n", c.elf.sections[i].name, c.per_section[i].found,
				       c.per_section[i].annotated,
				       class_names[section_class(&c, &c.elf.sections[i])]);
		printf("\n");
		for (int cl = 0; cl < CLASS_COUNT; cl++) {
			unsigned long need = found[cl] - c.counted_by_class[cl];
			if (need)
				printf("coverage (%s code): %lu/%lu (%.2f%%)\n", class_names[cl], annotated[cl],
				       need, 100.0 * (double)annotated[cl] / (double)need);
		}
		if (c.counted_only)
			printf("rdtsc/rdtscp counted, not padded (by configuration): %lu\n", c.counted_only);
		printf("padding: %lu bytes over %lu instruction bytes\n", pad_total, insn_total);
		if (c.nmodes)
			printf("code modes (%zu .afterburn.mode ranges): %lu bytes 16-bit, %lu 32-bit, %lu 64-bit\n",
			       c.nmodes, c.mode_bytes[16], c.mode_bytes[32], c.mode_bytes[64]);
		if (c.data_objects)
			printf("data in code, not decoded: %lu bytes in %lu data symbols\n", c.data_bytes,
			       c.data_objects);
		if (c.fill_bytes)
			printf("alignment fill in the default mode's NOP forms inside %s code: %lu bytes\n",
			       c.mode == 64 ? "16/32-bit" : "16-bit", c.fill_bytes);
		if (c.undecodable) {
			/* not classified: neither instructions nor known data */
			printf("not classified (undecodable in their mode): %lu bytes in %lu runs\n",
			       c.undecodable, c.undecodable_runs);
			size_t shown_runs = 0;
			for (size_t i = 0; i < c.nspans; i++) {
				const struct span *sp = &c.spans[i];
				if (sp->data)
					continue;
				if (!list && shown_runs >= 20) {
					printf("  ... (--list shows all)\n");
					break;
				}
				char sym[256];
				symbolize(&c, sp->section, sp->start, sym, sizeof(sym));
				printf("  %s+%#llx %s: %llu bytes\n", c.elf.sections[sp->section].name,
				       (unsigned long long)sp->start, sym,
				       (unsigned long long)(sp->end - sp->start));
				shown_runs++;
			}
		}
		size_t shown = 0;
		for (size_t i = 0; i < c.ngaps; i++) {
			struct gap *g = &c.gaps[i];
			if (!list && shown >= 200)
				break;
			char sym[256], line[512];
			symbolize(&c, g->section, g->offset, sym, sizeof(sym));
			source_line(&c, g->section, g->offset, line, sizeof(line));
			printf("unannotated (%s): %s+%#llx %s: %s [%s]%s%s\n", class_names[g->cls],
			       c.elf.sections[g->section].name, (unsigned long long)g->offset, sym,
			       g->text, kind_name(g->kind), *line ? " at " : "", line);
			shown++;
		}
		if (shown < c.ngaps)
			printf("... %zu more unannotated sites (--list shows all)\n", c.ngaps - shown);
		for (size_t i = 0; i < c.nbads; i++) {
			const struct ab_site *s = &c.sites[c.bads[i].site];
			char sym[256] = "";
			if (s->section)
				symbolize(&c, s->section, s->offset, sym, sizeof(sym));
			printf("bad record %zu (%s+%#llx %s, kind %u %s): %s%s%s\n", s->record,
			       s->section ? c.elf.sections[s->section].name : "?",
			       (unsigned long long)s->offset, sym, s->kind, kind_name(s->kind),
			       c.bads[i].reason, *c.bads[i].detail ? ": " : "", c.bads[i].detail);
		}
		if (note_problem)
			printf("records present but no %s note\n", AFTERBURN_NOTE_SECTION);
		printf("%s: %lu unannotated in guest code, %lu runtime-copied, %lu 16-bit; %zu bad records\n",
		       fail ? "FAIL" : "OK", gaps_by_class[CLASS_GUEST], gaps_by_class[CLASS_REPLACEMENT],
		       gaps_by_class[CLASS_16BIT], c.nbads);
	}
	free(c.sites);
	free(c.order);
	free(c.matched);
	free(c.per_section);
	free(c.gaps);
	free(c.bads);
	free(c.syms);
	free(c.modes);
	free(c.spans);
	ab_elf_close(&c.elf);
	return fail ? 1 : 0;
}
