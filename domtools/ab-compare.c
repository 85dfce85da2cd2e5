/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-check --compare PLAIN.o BURNT.o: whether the burnt object holds what
 * plain `as` made of the same input, once its pads and annotations are
 * taken away (the burner's contract: it adds, it never loses or changes).
 *
 * Sections are paired by name (and order among equal names; COMDAT groups
 * by signature).  The burnt object may add only the annotation sections
 * (.afterburn, .afterburn.mode, .note.afterburn, their relocations and
 * the note's group).  Then:
 *  - code (SHF_EXECINSTR): both are decoded side by side (in the mode of
 *    the burnt object's .afterburn.mode ranges); the burnt pads (each
 *    record's scratch space) are removed and fill is skipped on both
 *    sides (NOPs, int3, and in 16/32-bit code the default mode's NOPs:
 *    fill_at; alignment fill changes when pads move code).  Each pair must
 *    have the same bytes, or the same instruction and operands, where
 *    branch targets and RIP-relative addresses are compared through the
 *    offset map of the pairing (a jump over a pad grows from rel8 to
 *    rel32); data symbols (STT_OBJECT) and undecodable bytes are
 *    compared byte for byte; every record must sit on a paired
 *    instruction and nothing may be left over on either side;
 *  - other sections: same type, flags and bytes;
 *  - relocations: the same, at mapped offsets, with targets in code
 *    compared through the map;
 *  - symbols: the same names, types, bindings, sections; values and sizes
 *    in code through the map, elsewhere equal.
 * Debug sections and .eh_frame/.sframe encode code addresses and lengths
 * that pads change: they are listed as not compared.  Relocatable
 * objects only.  Exit 0 equal, 1 different, 2 unreadable input.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domtools/ab-compare.h"
#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/util.h"

struct rel {
	uint64_t off;
	uint32_t type;
	uint32_t sym;
	int64_t addend;
	bool used;
};

/* One paired unit: an instruction (or a raw byte / data symbol) at plain
 * [ps, ps+plen) and burnt [bs, bs+blen), followed in burnt by its pad up
 * to bext. */
struct unit {
	uint64_t ps, bs, bext;
	uint32_t plen, blen;
	bool raw;
};

struct secmap {
	struct unit *u;
	size_t n, cap;
	uint64_t psize, bsize;
	bool code;
};

/* A branch target or RIP-relative address to check once all maps exist. */
struct deferred {
	size_t sec;                  /* plain section */
	uint64_t tp, tb, at;         /* plain target, burnt target, plain insn */
};

struct cmp {
	struct ab_elf p, b;
	const char *ppath, *bpath;
	struct ab_symbol *psyms, *bsyms;
	long npsyms, nbsyms;
	struct ab_site *sites;
	size_t nsites;
	struct ab_mode_range *modes;
	size_t nmodes;
	size_t *b_of_p;              /* burnt section of each plain one */
	bool *b_paired;
	struct secmap *maps;         /* by plain section */
	struct deferred *defer;
	size_t ndefer, capdefer;
	struct deferred *imms;       /* immediates that differ (tp/tb: values) */
	size_t nimms, capimms;
	int bits;                    /* default mode */
	csh cs16, cs32, cs64;
	unsigned long diffs, shown, max_shown;
	unsigned long explained;     /* data fields that measure padded code */
	unsigned long nsec, ninsn, nrel, nsym, records, pad_bytes, pnops, bnops;
	char skipped[1024];
};

static void diff(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff(struct cmp *c, const char *fmt, ...)
{
	c->diffs++;
	if (c->shown >= c->max_shown)
		return;
	c->shown++;
	va_list ap;
	va_start(ap, fmt);
	printf("difference: ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void *xgrow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 64;
	p = realloc(p, *cap * size);
	if (!p) {
		perror("ab-check");
		exit(2);
	}
	return p;
}

/* ------------------------------------------------------------ relocations */

static unsigned field_size(uint16_t machine, uint32_t t)
{
	if (machine == EM_X86_64)
		switch (t) {
		case R_X86_64_64: case R_X86_64_PC64: case R_X86_64_GOTOFF64:
		case R_X86_64_SIZE64: case R_X86_64_DTPOFF64: case R_X86_64_TPOFF64:
			return 8;
		case R_X86_64_16: case R_X86_64_PC16: return 2;
		case R_X86_64_8: case R_X86_64_PC8: return 1;
		default: return 4;
		}
	switch (t) {
	case R_386_16: case R_386_PC16: return 2;
	case R_386_8: case R_386_PC8: return 1;
	default: return 4;
	}
}

static bool pc_relative(uint16_t machine, uint32_t t)
{
	if (machine == EM_X86_64)
		switch (t) {
		case R_X86_64_PC32: case R_X86_64_PLT32: case R_X86_64_PC16: case R_X86_64_PC8:
		case R_X86_64_PC64: case R_X86_64_GOTPCREL: case R_X86_64_GOTPCRELX:
		case R_X86_64_REX_GOTPCRELX: case R_X86_64_GOTPC32: case R_X86_64_GOTTPOFF:
		case R_X86_64_TLSGD: case R_X86_64_TLSLD:
			return true;
		}
	else
		switch (t) {
		case R_386_PC32: case R_386_PLT32: case R_386_PC16: case R_386_PC8: case R_386_GOTPC:
			return true;
		}
	return false;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct rel *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off ? 1 : 0;
}

/* All relocations applying to section sec, sorted by offset; REL addends
 * read from the section's bytes. */
static struct rel *read_rels(const struct ab_elf *e, size_t sec, size_t *count)
{
	struct rel *v = NULL;
	size_t n = 0, cap = 0;
	const unsigned char *data = ab_elf_section_data(e, &e->sections[sec]);
	for (size_t r = 1; r < e->nsections; r++) {
		const struct ab_section *rs = &e->sections[r];
		if ((rs->type != SHT_RELA && rs->type != SHT_REL) || rs->info != sec)
			continue;
		bool rela = rs->type == SHT_RELA;
		size_t ent = e->elf_class == 64 ? (rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel))
						: (rela ? sizeof(Elf32_Rela) : sizeof(Elf32_Rel));
		if (rs->entsize != ent)
			continue;
		const unsigned char *p = ab_elf_section_data(e, rs);
		for (size_t k = 0; p && k < rs->size / ent; k++, p += ent) {
			v = xgrow(v, &cap, n, sizeof(*v));
			struct rel *x = &v[n++];
			memset(x, 0, sizeof(*x));
			if (e->elf_class == 64) {
				x->off = rd64(p);
				uint64_t info = rd64(p + 8);
				x->sym = (uint32_t)(info >> 32);
				x->type = (uint32_t)info;
				x->addend = rela ? (int64_t)rd64(p + 16) : 0;
			} else {
				x->off = rd32(p);
				uint32_t info = rd32(p + 4);
				x->sym = info >> 8;
				x->type = info & 0xff;
				x->addend = rela ? (int32_t)rd32(p + 8) : 0;
			}
			unsigned fs = field_size(e->machine, x->type);
			if (!rela && data && x->off + fs <= e->sections[sec].size)
				x->addend = fs == 4 ? (int32_t)rd32(data + x->off)
					  : fs == 2 ? (int16_t)rd16(data + x->off)
					  : fs == 1 ? (int8_t)data[x->off] : (int64_t)rd64(data + x->off);
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_rel);
	*count = n;
	return v;
}

/* A copy of a section's bytes with every relocated field zeroed: the two
 * objects then decode alike whatever the in-place addends. */
static unsigned char *masked(const struct ab_elf *e, size_t sec, const struct rel *r, size_t nr)
{
	const struct ab_section *s = &e->sections[sec];
	unsigned char *m = malloc(s->size ? s->size : 1);
	if (!m) {
		perror("ab-check");
		exit(2);
	}
	const unsigned char *d = ab_elf_section_data(e, s);
	if (d)
		memcpy(m, d, s->size);
	else
		memset(m, 0, s->size);
	for (size_t i = 0; i < nr; i++) {
		unsigned fs = field_size(e->machine, r[i].type);
		if (r[i].off + fs <= s->size)
			memset(m + r[i].off, 0, fs);
	}
	return m;
}

/* ---------------------------------------------------------------- mapping */

/* The burnt offsets [*lo, *hi] that plain offset t of a code section may
 * be: exact inside an instruction, anywhere in the NOP fill around a
 * point between instructions.  False when t cannot be mapped. */
static bool map_offset(const struct secmap *m, uint64_t t, uint64_t *lo, uint64_t *hi)
{
	size_t a = 0, z = m->n;   /* first unit with ps > t */
	while (a < z) {
		size_t mid = (a + z) / 2;
		if (m->u[mid].ps <= t)
			a = mid + 1;
		else
			z = mid;
	}
	if (a == 0) {
		*lo = 0;
		*hi = m->n ? m->u[0].bs : m->bsize;
		return t <= (m->n ? m->u[0].ps : m->psize);
	}
	const struct unit *k = &m->u[a - 1];
	if (t == k->ps) {
		*lo = a >= 2 ? m->u[a - 2].bext : 0;
		*hi = k->bs;
		return true;
	}
	if (t < k->ps + k->plen) {
		if (k->plen != k->blen && !k->raw)
			return false;
		*lo = *hi = k->bs + (t - k->ps);
		return true;
	}
	*lo = k->bext;
	*hi = a < m->n ? m->u[a].bs : m->bsize;
	return t <= (a < m->n ? m->u[a].ps : m->psize);
}

/* ---------------------------------------------------------------- code */

int ab_capstone_open(csh *cs16, csh *cs32, csh *cs64)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_16, cs16) != CS_ERR_OK)
		return -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_32, cs32) != CS_ERR_OK) {
		cs_close(cs16);
		return -1;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs64) != CS_ERR_OK) {
		cs_close(cs16);
		cs_close(cs32);
		return -1;
	}
	cs_option(*cs16, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(*cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(*cs64, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

/* Padding forms: nop (any length), xchg %ax,%ax, lea 0(%esi[,%eiz]),%esi
 * (ab-check's too). */
bool ab_is_nop(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	if (in->id == X86_INS_NOP)
		return true;
	if (in->id == X86_INS_XCHG && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_REG && x->operands[0].reg == x->operands[1].reg)
		return true;
	if (in->id == X86_INS_LEA && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_MEM) {
		const x86_op_mem *mm = &x->operands[1].mem;
		return mm->base == x->operands[0].reg && mm->disp == 0 &&
		       (mm->index == X86_REG_INVALID || mm->index == X86_REG_EIZ ||
			mm->index == X86_REG_RIZ) && mm->segment == X86_REG_INVALID;
	}
	return false;
}

static int mode_at(const struct cmp *c, size_t bsec, uint64_t off)
{
	for (size_t i = 0; i < c->nmodes; i++) {
		const struct ab_mode_range *m = &c->modes[i];
		if (m->section == bsec && off >= m->offset && off < m->offset + m->size)
			return m->bits;
	}
	return c->bits;
}

static csh handle(const struct cmp *c, int bits)
{
	return bits == 16 ? c->cs16 : bits == 32 ? c->cs32 : c->cs64;
}

static bool decode(csh h, const unsigned char *code, uint64_t off, uint64_t end, cs_insn *in)
{
	const uint8_t *p = code + off;
	size_t left = (size_t)(end - off);
	uint64_t addr = off;
	return off < end && cs_disasm_iter(h, &p, &left, &addr, in);
}

/* The data symbols (STT_OBJECT, sized) of one section: sorted starts and
 * the farthest end of the ones starting there. */
struct data_syms {
	uint64_t *start, *end;
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void data_syms_of(struct data_syms *d, const struct ab_symbol *syms, long n, size_t sec)
{
	memset(d, 0, sizeof(*d));
	for (long i = 0; i < n; i++)
		if (syms[i].type == STT_OBJECT && syms[i].size && syms[i].shndx == sec)
			d->n++;
	if (!d->n)
		return;
	uint64_t *pairs = malloc(2 * d->n * sizeof(*pairs));
	d->start = malloc(d->n * sizeof(*d->start));
	d->end = malloc(d->n * sizeof(*d->end));
	if (!pairs || !d->start || !d->end) {
		perror("ab-check");
		exit(2);
	}
	size_t k = 0;
	for (long i = 0; i < n; i++)
		if (syms[i].type == STT_OBJECT && syms[i].size && syms[i].shndx == sec) {
			pairs[2 * k] = syms[i].value;
			pairs[2 * k + 1] = syms[i].value + syms[i].size;
			k++;
		}
	qsort(pairs, d->n, 2 * sizeof(*pairs), cmp_u64);
	size_t m = 0;
	for (k = 0; k < d->n; k++) {
		if (m && d->start[m - 1] == pairs[2 * k]) {
			if (pairs[2 * k + 1] > d->end[m - 1])
				d->end[m - 1] = pairs[2 * k + 1];
			continue;
		}
		d->start[m] = pairs[2 * k];
		d->end[m++] = pairs[2 * k + 1];
	}
	d->n = m;
	free(pairs);
}

/* The end of the data symbol starting at off, or 0. */
static uint64_t data_at(const struct data_syms *d, uint64_t off)
{
	size_t a = 0, z = d->n;
	while (a < z) {
		size_t mid = (a + z) / 2;
		if (d->start[mid] < off)
			a = mid + 1;
		else
			z = mid;
	}
	return a < d->n && d->start[a] == off ? d->end[a] : 0;
}

/*
 * Fill: a NOP in the current mode, an int3 (Linux aligns functions with
 * 0xcc), or, in code of another mode than the file's default, a
 * multi-byte NOP of the default mode: gas fills alignment gaps with the
 * NOP forms of the mode in force at the end of the input, so a .p2align
 * in 16-bit code of a file that ends in .code64 holds 64-bit NOPs.
 */
static bool fill_at(const struct cmp *c, int bits, const unsigned char *code, uint64_t off,
		    uint64_t end, cs_insn *in)
{
	if (bits != c->bits && decode(handle(c, c->bits), code, off, end, in) && ab_is_nop(in) &&
	    in->size >= 2)
		return true;   /* first: the same bytes decode otherwise here */
	return decode(handle(c, bits), code, off, end, in) && (ab_is_nop(in) || in->id == X86_INS_INT3);
}

static bool relative_branch(csh h, const cs_insn *in)
{
	return cs_insn_group(h, in, CS_GRP_BRANCH_RELATIVE);
}

static void defer(struct cmp *c, size_t sec, uint64_t tp, uint64_t tb, uint64_t at)
{
	c->defer = xgrow(c->defer, &c->capdefer, c->ndefer, sizeof(*c->defer));
	c->defer[c->ndefer++] = (struct deferred){ sec, tp, tb, at };
}

static bool has_rel(const struct rel *r, size_t n, uint64_t from, uint64_t to)
{
	size_t a = 0, z = n;
	while (a < z) {
		size_t mid = (a + z) / 2;
		if (r[mid].off < from)
			a = mid + 1;
		else
			z = mid;
	}
	return a < n && r[a].off < to;
}

/* Same instruction modulo branch targets (deferred): id and operands. */
static bool same_insn(struct cmp *c, csh h, size_t sec, const cs_insn *x, const cs_insn *y,
		      uint64_t ps, uint64_t bs, bool relocated)
{
	if (x->id != y->id)
		return false;
	const cs_x86 *a = &x->detail->x86, *b = &y->detail->x86;
	if (a->op_count != b->op_count)
		return false;
	for (int i = 0; i < a->op_count; i++) {
		const cs_x86_op *o = &a->operands[i], *q = &b->operands[i];
		if (o->type != q->type || o->size != q->size)
			return false;
		switch (o->type) {
		case X86_OP_REG:
			if (o->reg != q->reg)
				return false;
			break;
		case X86_OP_IMM:
			if (relative_branch(h, x)) {
				if (!relocated)
					defer(c, sec, (uint64_t)o->imm, (uint64_t)q->imm, ps);
			} else if (o->imm != q->imm) {
				/* `subl $(1b - startup_32), %ebp`: a label distance
				 * that pads grew; checked once every map exists */
				c->imms = xgrow(c->imms, &c->capimms, c->nimms, sizeof(*c->imms));
				c->imms[c->nimms++] = (struct deferred){ sec, (uint64_t)o->imm,
									 (uint64_t)q->imm, ps };
			}
			break;
		case X86_OP_MEM:
			if (o->mem.segment != q->mem.segment || o->mem.base != q->mem.base ||
			    o->mem.index != q->mem.index || o->mem.scale != q->mem.scale)
				return false;
			if (o->mem.base == X86_REG_RIP || o->mem.base == X86_REG_EIP) {
				if (!relocated)
					defer(c, sec, ps + x->size + (uint64_t)o->mem.disp,
					      bs + y->size + (uint64_t)q->mem.disp, ps);
			} else if (o->mem.disp != q->mem.disp) {
				/* `leal (gdt - startup_32)(%ebp)`: as immediates */
				c->imms = xgrow(c->imms, &c->capimms, c->nimms, sizeof(*c->imms));
				c->imms[c->nimms++] = (struct deferred){ sec, (uint64_t)o->mem.disp,
									 (uint64_t)q->mem.disp, ps };
			}
			break;
		default:
			break;
		}
	}
	return true;
}

static int cmp_site_off(const void *a, const void *b)
{
	const struct ab_site *x = a, *y = b;
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

static void add_unit(struct secmap *m, uint64_t ps, uint32_t plen, uint64_t bs, uint32_t blen,
		     uint64_t bext, bool raw)
{
	m->u = xgrow(m->u, &m->cap, m->n, sizeof(*m->u));
	m->u[m->n++] = (struct unit){ ps, bs, bext, plen, blen, raw };
}

static void pair_code(struct cmp *c, size_t ps_idx, size_t bs_idx)
{
	const struct ab_section *P = &c->p.sections[ps_idx], *B = &c->b.sections[bs_idx];
	struct secmap *m = &c->maps[ps_idx];
	m->code = true;
	m->psize = P->size;
	m->bsize = B->size;
	size_t npr, nbr;
	struct rel *pr = read_rels(&c->p, ps_idx, &npr), *br = read_rels(&c->b, bs_idx, &nbr);
	unsigned char *pm = masked(&c->p, ps_idx, pr, npr), *bm = masked(&c->b, bs_idx, br, nbr);
	/* the records of this section, by offset */
	size_t first = 0, last;
	while (first < c->nsites && c->sites[first].section < bs_idx)
		first++;
	last = first;
	while (last < c->nsites && c->sites[last].section == bs_idx)
		last++;
	size_t next_site = first;
	struct data_syms pdata, bdata;
	data_syms_of(&pdata, c->psyms, c->npsyms, ps_idx);
	data_syms_of(&bdata, c->bsyms, c->nbsyms, bs_idx);
	cs_insn *x = cs_malloc(c->cs64), *y = cs_malloc(c->cs64);
	uint64_t p = 0, b = 0;
	const char *name = P->name;
	for (;;) {
		int bits = mode_at(c, bs_idx, b);
		csh h = handle(c, bits);
		/* NOP fill on both sides (never a record's site) */
		while (p < P->size && !data_at(&pdata, p) && fill_at(c, bits, pm, p, P->size, x)) {
			c->pnops += x->size;
			p += x->size;
		}
		while (b < B->size && !(next_site < last && c->sites[next_site].offset == b) &&
		       !data_at(&bdata, b) && fill_at(c, bits, bm, b, B->size, y)) {
			c->bnops += y->size;
			b += y->size;
		}
		while (next_site < last && c->sites[next_site].offset < b) {
			diff(c, "%s: burnt +%#llx: a record's site is not at an instruction of the pairing",
			     name, (unsigned long long)c->sites[next_site].offset);
			next_site++;
		}
		if (p >= P->size || b >= B->size)
			break;
		uint64_t pd = data_at(&pdata, p);
		uint64_t bd = data_at(&bdata, b);
		if (pd || bd) {
			/* a data symbol: byte for byte */
			if (!pd || !bd || pd - p != bd - b || memcmp(pm + p, bm + b, (size_t)(pd - p))) {
				diff(c, "%s+%#llx (burnt +%#llx): data symbol differs or is missing on one side",
				     name, (unsigned long long)p, (unsigned long long)b);
				goto stop;
			}
			add_unit(m, p, (uint32_t)(pd - p), b, (uint32_t)(bd - b), bd, true);
			p = pd;
			b = bd;
			continue;
		}
		bool okp = decode(h, pm, p, P->size, x), okb = decode(h, bm, b, B->size, y);
		uint64_t bext;
		bool at_site = next_site < last && c->sites[next_site].offset == b;
		if (!okp || !okb) {
			if (okp != okb || pm[p] != bm[b] || at_site) {
				diff(c, "%s+%#llx (burnt +%#llx): %s", name, (unsigned long long)p,
				     (unsigned long long)b,
				     okp != okb ? "decodes on one side only" : "undecodable bytes differ");
				goto stop;
			}
			add_unit(m, p, 1, b, 1, b + 1, true);
			p++;
			b++;
			continue;
		}
		bext = b + y->size;
		if (at_site) {
			const struct ab_site *s = &c->sites[next_site];
			if (s->length < y->size) {
				diff(c, "%s: burnt +%#llx: record length %u shorter than its instruction",
				     name, (unsigned long long)b, s->length);
				goto stop;
			}
			bext = b + s->length;
			c->records++;
			c->pad_bytes += s->length - y->size;
			while (next_site < last && c->sites[next_site].offset == b)
				next_site++;
		}
		bool relocated = has_rel(pr, npr, p, p + x->size) || has_rel(br, nbr, b, b + y->size);
		/* Identical bytes are the same instruction.  (Their branch
		 * targets are not checked: data in code decodes as branches
		 * too.  A label's distance that pads changed changes the
		 * bytes; only a fixed displacement, `jmp .+N`, over a pad
		 * would pass unseen.) */
		bool same_bytes = x->size == y->size && !memcmp(pm + p, bm + b, x->size);
		if (!same_bytes && !same_insn(c, h, ps_idx, x, y, p, b, relocated)) {
			diff(c, "%s+%#llx (burnt +%#llx): `%s %s` vs `%s %s`", name, (unsigned long long)p,
			     (unsigned long long)b, x->mnemonic, x->op_str, y->mnemonic, y->op_str);
			goto stop;
		}
		add_unit(m, p, x->size, b, y->size, bext, false);
		c->ninsn++;
		p += x->size;
		b = bext;
	}
	if (p < P->size)
		diff(c, "%s: plain has %llu more bytes of code from +%#llx (missing in burnt)", name,
		     (unsigned long long)(P->size - p), (unsigned long long)p);
	if (b < B->size)
		diff(c, "%s: burnt has %llu more bytes of code from +%#llx", name,
		     (unsigned long long)(B->size - b), (unsigned long long)b);
	if (next_site < last)
		diff(c, "%s: %zu records past the paired code", name, last - next_site);
	goto done;
stop:
	printf("  (%s: comparison stopped there)\n", name);
done:
	free(pdata.start);
	free(pdata.end);
	free(bdata.start);
	free(bdata.end);
	cs_free(x, 1);
	cs_free(y, 1);
	free(pm);
	free(bm);
	free(pr);
	free(br);
}

/* ---------------------------------------------------------------- sections */

static bool annotation_section(const char *name)
{
	return !strcmp(name, AFTERBURN_SECTION) || !strcmp(name, AFTERBURN_MODE_SECTION) ||
	       !strcmp(name, AFTERBURN_NOTE_SECTION);
}

static bool not_compared(const char *name)
{
	return !strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8) ||
	       !strcmp(name, ".eh_frame") || !strcmp(name, ".sframe");
}

/* The signature of a group section (its symbol's name). */
static const char *group_signature(const struct ab_elf *e, const struct ab_symbol *syms, long n,
				   const struct ab_section *g)
{
	(void)e;
	return g->info < (uint64_t)n ? syms[g->info].name : "";
}

static const char *sym_section_name(const struct ab_elf *e, uint16_t shndx)
{
	if (shndx == SHN_UNDEF)
		return "*UND*";
	if (shndx == SHN_ABS)
		return "*ABS*";
	if (shndx == SHN_COMMON)
		return "*COM*";
	return shndx < e->nsections ? e->sections[shndx].name : "?";
}

static void pair_sections(struct cmp *c)
{
	for (size_t i = 1; i < c->p.nsections; i++) {
		const struct ab_section *s = &c->p.sections[i];
		if (s->type == SHT_RELA || s->type == SHT_REL)
			continue;
		const char *sig = s->type == SHT_GROUP ? group_signature(&c->p, c->psyms, c->npsyms, s) : NULL;
		for (size_t j = 1; j < c->b.nsections; j++) {
			const struct ab_section *t = &c->b.sections[j];
			if (c->b_paired[j] || strcmp(s->name, t->name) || s->type != t->type)
				continue;
			if (sig && strcmp(sig, group_signature(&c->b, c->bsyms, c->nbsyms, t)))
				continue;
			c->b_of_p[i] = j;
			c->b_paired[j] = true;
			break;
		}
		if (!c->b_of_p[i] && s->type != SHT_NULL)
			diff(c, "section %s (%zu) is missing in the burnt object", s->name, i);
	}
	for (size_t j = 1; j < c->b.nsections; j++) {
		const struct ab_section *t = &c->b.sections[j];
		if (c->b_paired[j])
			continue;
		if (t->type == SHT_RELA || t->type == SHT_REL) {
			if (t->info < c->b.nsections && (annotation_section(c->b.sections[t->info].name) ||
							 c->b_paired[t->info]))
				continue;
		} else if (annotation_section(t->name) ||
			   /* plain as writes no symbol table when it has no symbols;
			    * the annotations' relocations need one */
			   ((t->type == SHT_SYMTAB || t->type == SHT_STRTAB) &&
			    (!strcmp(t->name, ".symtab") || !strcmp(t->name, ".strtab"))) ||
			   (t->type == SHT_GROUP &&
			    !strcmp(group_signature(&c->b, c->bsyms, c->nbsyms, t), AFTERBURN_NOTE_COMDAT))) {
			continue;
		}
		diff(c, "section %s (%zu) is only in the burnt object", t->name, j);
	}
}

/* Whether a data field that reads vp in plain and vb in burnt is a
 * distance between two points of code that the pads between them grew
 * (a label difference such as `.byte 662b-661b` in .altinstructions):
 * some instruction start ps of a code section, with ps + vp mapping to
 * bs + vb. */
static bool explained_by_pads(const struct cmp *c, uint64_t vp, uint64_t vb)
{
	if (vb <= vp)
		return false;
	for (size_t i = 1; i < c->p.nsections; i++) {
		const struct secmap *m = &c->maps[i];
		if (!m->code)
			continue;
		for (size_t k = 0; k < m->n; k++) {
			uint64_t lo, hi;
			if (m->u[k].ps + vp > m->psize)
				break;
			if (m->u[k].bs + vb <= m->bsize &&
			    map_offset(m, m->u[k].ps + vp, &lo, &hi) && m->u[k].bs + vb >= lo &&
			    m->u[k].bs + vb <= hi)
				return true;
		}
	}
	return false;
}

/* A burnt section that holds annotations or their relocations. */
static bool annotation_member(const struct cmp *c, uint32_t idx)
{
	if (idx >= c->b.nsections)
		return false;
	const struct ab_section *s = &c->b.sections[idx];
	if ((s->type == SHT_RELA || s->type == SHT_REL) && s->info < c->b.nsections)
		s = &c->b.sections[s->info];
	return annotation_section(s->name);
}

static void compare_data(struct cmp *c, size_t i, size_t j)
{
	const struct ab_section *s = &c->p.sections[i], *t = &c->b.sections[j];
	if (s->size != t->size && s->type != SHT_GROUP) {
		diff(c, "%s: size %llu, burnt %llu", s->name, (unsigned long long)s->size,
		     (unsigned long long)t->size);
		return;
	}
	if (s->type == SHT_NOBITS)
		return;
	if (s->type == SHT_GROUP) {
		/* members by name; the burnt group may add annotation sections */
		const unsigned char *a = ab_elf_section_data(&c->p, s), *b = ab_elf_section_data(&c->b, t);
		if (!a || !b)
			return;
		size_t na = (size_t)(s->size / 4), nb = (size_t)(t->size / 4), k = 1;
		for (size_t x = 1; x < na; x++) {
			uint32_t m = rd32(a + 4 * x);
			while (k < nb && annotation_member(c, rd32(b + 4 * k)))
				k++;
			uint32_t bm = k < nb ? rd32(b + 4 * k) : 0;
			if (k >= nb || m >= c->p.nsections || bm >= c->b.nsections ||
			    strcmp(c->p.sections[m].name, c->b.sections[bm].name) ||
			    c->p.sections[m].type != c->b.sections[bm].type) {
				diff(c, "group %s: member %s differs", s->name,
				     m < c->p.nsections ? c->p.sections[m].name : "?");
				return;
			}
			k++;
		}
		while (k < nb && annotation_member(c, rd32(b + 4 * k)))
			k++;
		if (k < nb)
			diff(c, "group %s: the burnt group has more members", s->name);
		return;
	}
	size_t npr, nbr;
	struct rel *pr = read_rels(&c->p, i, &npr), *br = read_rels(&c->b, j, &nbr);
	unsigned char *pm = masked(&c->p, i, pr, npr), *bm = masked(&c->b, j, br, nbr);
	for (uint64_t k = 0; k < s->size; k++) {
		if (pm[k] == bm[k])
			continue;
		/* a 1, 2 or 4-byte little-endian field starting here */
		unsigned w;
		for (w = 1; w <= 4; w *= 2) {
			if (k + w > s->size)
				break;
			uint64_t vp = 0, vb = 0;
			for (unsigned q = 0; q < w; q++) {
				vp |= (uint64_t)pm[k + q] << (8 * q);
				vb |= (uint64_t)bm[k + q] << (8 * q);
			}
			if (explained_by_pads(c, vp, vb))
				break;
		}
		if (w <= 4 && k + w <= s->size) {
			c->explained++;
			k += w - 1;
			continue;
		}
		diff(c, "%s+%#llx: byte %#x, burnt %#x", s->name, (unsigned long long)k, pm[k], bm[k]);
		break;
	}
	free(pm);
	free(bm);
	free(pr);
	free(br);
}

/* ------------------------------------------------------------ relocations */

static bool same_symbol(struct cmp *c, uint32_t ps, uint32_t bs)
{
	if (ps >= (uint64_t)c->npsyms || bs >= (uint64_t)c->nbsyms)
		return ps == bs;
	const struct ab_symbol *x = &c->psyms[ps], *y = &c->bsyms[bs];
	if (x->type != y->type)
		return false;
	if (x->type == STT_SECTION)
		return x->shndx < c->p.nsections && c->b_of_p[x->shndx] == y->shndx;
	return !strcmp(x->name, y->name);
}

/* Where in burnt section j plain offset o of section i is (code through
 * the map; the unit's instruction end in *pend and *bend, for PC-relative
 * addends); false when it maps nowhere. */
static bool locate(struct cmp *c, size_t i, uint64_t o, unsigned fs, uint64_t *ob, uint64_t *pend,
		   uint64_t *bend)
{
	const struct secmap *m = &c->maps[i];
	*pend = *bend = 0;
	if (!m->code) {
		*ob = o;
		return true;
	}
	size_t a = 0, z = m->n;
	while (a < z) {
		size_t mid = (a + z) / 2;
		if (m->u[mid].ps <= o)
			a = mid + 1;
		else
			z = mid;
	}
	/* in skipped fill (a NOP that carries a relocation): linear when
	 * the fill around it is as long in both */
	uint64_t gp = a ? m->u[a - 1].ps + m->u[a - 1].plen : 0, gb = a ? m->u[a - 1].bext : 0;
	uint64_t np = a < m->n ? m->u[a].ps : m->psize, nb = a < m->n ? m->u[a].bs : m->bsize;
	if ((!a || o >= gp) && o < np) {
		if (np - gp != nb - gb)
			return false;
		*ob = gb + (o - gp);
		return true;
	}
	const struct unit *u = &m->u[a - 1];
	if (u->raw || o + fs > u->ps + u->plen) {
		*ob = u->bs + (o - u->ps);
		return true;
	}
	*pend = u->ps + u->plen;
	*bend = u->bs + u->blen;
	*ob = *bend - (*pend - o);
	return true;
}

/* A PC-relative field in data that holds `target - base` (a jump table:
 * `.long .L5-.L4`, base .L4 in the same data section) has addend
 * target + (field - base), with field - base the same in both objects
 * and at most the field's offset: some instruction start x of the code
 * within that distance below tp must map to x + (tb - tp). */
static bool table_entry(const struct secmap *m, int64_t tp, int64_t tb, uint64_t field)
{
	int64_t d = tb - tp;
	size_t a = 0, z = m->n;
	int64_t from = tp - (int64_t)field;
	while (a < z) {
		size_t mid = (a + z) / 2;
		if ((int64_t)m->u[mid].ps < from)
			a = mid + 1;
		else
			z = mid;
	}
	for (size_t k = a; k < m->n && (int64_t)m->u[k].ps <= tp; k++) {
		int64_t lo = k ? (int64_t)m->u[k - 1].bext : 0, hi = (int64_t)m->u[k].bs;
		int64_t x = (int64_t)m->u[k].ps;
		if (x + d >= lo && x + d <= hi)
			return true;
	}
	return false;
}

static void compare_rels(struct cmp *c, size_t i, size_t j)
{
	size_t npr, nbr;
	struct rel *pr = read_rels(&c->p, i, &npr), *br = read_rels(&c->b, j, &nbr);
	const char *name = c->p.sections[i].name;
	for (size_t k = 0; k < npr; k++) {
		const struct rel *r = &pr[k];
		unsigned fs = field_size(c->p.machine, r->type);
		uint64_t ob, pend, bend;
		if (!locate(c, i, r->off, fs, &ob, &pend, &bend)) {
			diff(c, "%s+%#llx: relocation (type %u) at a place the pairing does not map", name,
			     (unsigned long long)r->off, r->type);
			continue;
		}
		struct rel *q = NULL;
		size_t a = 0, z = nbr;   /* br is sorted by offset */
		while (a < z) {
			size_t mid = (a + z) / 2;
			if (br[mid].off < ob)
				a = mid + 1;
			else
				z = mid;
		}
		for (size_t x = a; x < nbr && br[x].off == ob && !q; x++)
			if (!br[x].used)
				q = &br[x];
		if (!q) {
			diff(c, "%s+%#llx: relocation (type %u) missing in burnt (expected at +%#llx)", name,
			     (unsigned long long)r->off, r->type, (unsigned long long)ob);
			continue;
		}
		q->used = true;
		c->nrel++;
		if (q->type != r->type || !same_symbol(c, r->sym, q->sym)) {
			diff(c, "%s+%#llx: relocation type %u/%u or symbol differs", name,
			     (unsigned long long)r->off, r->type, q->type);
			continue;
		}
		bool pc = pc_relative(c->p.machine, r->type);
		int64_t tp = r->addend + (pc && pend ? (int64_t)(pend - r->off) : 0);
		int64_t tb = q->addend + (pc && bend ? (int64_t)(bend - ob) : 0);
		const struct ab_symbol *sy = r->sym < (uint64_t)c->npsyms ? &c->psyms[r->sym] : NULL;
		if (sy && sy->type == STT_SECTION && sy->shndx < c->p.nsections && c->maps[sy->shndx].code) {
			uint64_t lo, hi;
			bool ok = map_offset(&c->maps[sy->shndx], (uint64_t)tp, &lo, &hi) &&
				  (uint64_t)tb >= lo && (uint64_t)tb <= hi;
			if (!ok && pc && !pend)
				ok = table_entry(&c->maps[sy->shndx], tp, tb, r->off);
			if (!ok)
				diff(c, "%s+%#llx: relocation target %s+%#llx maps to burnt +%#llx..%#llx, is +%#llx",
				     name, (unsigned long long)r->off, c->p.sections[sy->shndx].name,
				     (unsigned long long)tp, (unsigned long long)lo, (unsigned long long)hi,
				     (unsigned long long)tb);
		} else if (tp != tb) {
			diff(c, "%s+%#llx: relocation addend %lld, burnt %lld", name,
			     (unsigned long long)r->off, (long long)tp, (long long)tb);
		}
	}
	for (size_t x = 0; x < nbr; x++)
		if (!br[x].used)
			diff(c, "%s: burnt has an extra relocation at +%#llx (type %u)", c->b.sections[j].name,
			     (unsigned long long)br[x].off, br[x].type);
	free(pr);
	free(br);
}

/* ---------------------------------------------------------------- symbols */

static bool annotation_symbol(const struct cmp *c, const struct ab_symbol *y)
{
	if (!strcmp(y->name, AFTERBURN_NOTE_COMDAT))
		return true;
	return y->type == STT_SECTION && y->shndx < c->b.nsections &&
	       (annotation_section(c->b.sections[y->shndx].name) ||
		c->b.sections[y->shndx].type == SHT_GROUP);
}

static const struct ab_symbol *name_sort_syms;

static int cmp_sym_name(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	int r = strcmp(name_sort_syms[x].name, name_sort_syms[y].name);
	return r ? r : (x < y ? -1 : x > y);
}

static void compare_symbols(struct cmp *c)
{
	/* burnt symbols by name, for a binary search per plain symbol */
	long *by_name = malloc(((size_t)c->nbsyms + 1) * sizeof(*by_name));
	if (!by_name) {
		perror("ab-check");
		exit(2);
	}
	long nb = 0;
	for (long k = 1; k < c->nbsyms; k++)
		by_name[nb++] = k;
	name_sort_syms = c->bsyms;
	qsort(by_name, (size_t)nb, sizeof(*by_name), cmp_sym_name);
	bool *used = calloc((size_t)c->nbsyms + 1, 1);
	if (!used) {
		perror("ab-check");
		exit(2);
	}
	for (long i = 1; i < c->npsyms; i++) {
		const struct ab_symbol *x = &c->psyms[i];
		if (x->type == STT_SECTION && x->shndx < c->p.nsections &&
		    c->p.sections[x->shndx].type == SHT_GROUP)
			continue;
		const struct ab_symbol *y = NULL;
		long a = 0, zz = nb;
		while (a < zz) {
			long mid = (a + zz) / 2;
			if (strcmp(c->bsyms[by_name[mid]].name, x->name) < 0)
				a = mid + 1;
			else
				zz = mid;
		}
		for (long j = a; j < nb && !y && !strcmp(c->bsyms[by_name[j]].name, x->name); j++) {
			long k = by_name[j];
			const struct ab_symbol *z = &c->bsyms[k];
			if (used[k] || z->type != x->type)
				continue;
			if (x->type == STT_SECTION &&
			    !(x->shndx < c->p.nsections && c->b_of_p[x->shndx] == z->shndx))
				continue;
			used[k] = true;
			y = z;
		}
		const char *nm = *x->name ? x->name : sym_section_name(&c->p, x->shndx);
		if (!y) {
			diff(c, "symbol %s is missing in the burnt object", nm);
			continue;
		}
		c->nsym++;
		if (x->bind != y->bind ||
		    strcmp(sym_section_name(&c->p, x->shndx), sym_section_name(&c->b, y->shndx))) {
			diff(c, "symbol %s: binding or section differs", nm);
			continue;
		}
		if (x->shndx < c->p.nsections && x->shndx != SHN_UNDEF && c->maps[x->shndx].code) {
			const struct secmap *m = &c->maps[x->shndx];
			uint64_t lo, hi, elo, ehi;
			if (!map_offset(m, x->value, &lo, &hi) || y->value < lo || y->value > hi)
				diff(c, "symbol %s: value %#llx maps to burnt %#llx..%#llx, is %#llx", nm,
				     (unsigned long long)x->value, (unsigned long long)lo,
				     (unsigned long long)hi, (unsigned long long)y->value);
			else if ((x->size || y->size) &&
				 (!map_offset(m, x->value + x->size, &elo, &ehi) ||
				  y->value + y->size < elo || y->value + y->size > ehi))
				diff(c, "symbol %s: size %llu does not map to the burnt size %llu", nm,
				     (unsigned long long)x->size, (unsigned long long)y->size);
		} else if (x->value != y->value || x->size != y->size) {
			diff(c, "symbol %s: value/size %#llx/%llu, burnt %#llx/%llu", nm,
			     (unsigned long long)x->value, (unsigned long long)x->size,
			     (unsigned long long)y->value, (unsigned long long)y->size);
		}
	}
	for (long k = 1; k < c->nbsyms; k++)
		/* gas adds section symbols the annotation relocations need */
		if (!used[k] && !annotation_symbol(c, &c->bsyms[k]) && c->bsyms[k].type != STT_SECTION)
			diff(c, "symbol %s is only in the burnt object",
			     *c->bsyms[k].name ? c->bsyms[k].name : sym_section_name(&c->b, c->bsyms[k].shndx));
	free(used);
	free(by_name);
}

/* ---------------------------------------------------------------- main */

int ab_compare(const char *plain, const char *burnt, bool all)
{
	struct cmp c;
	memset(&c, 0, sizeof(c));
	c.ppath = plain;
	c.bpath = burnt;
	c.max_shown = all ? (unsigned long)-1 : 50;
	char err[512];
	if (ab_elf_open(&c.p, plain, err, sizeof(err)) || ab_elf_open(&c.b, burnt, err, sizeof(err))) {
		fprintf(stderr, "ab-check: error: %s\n", err);
		return 2;
	}
	if (c.p.type != ET_REL || c.b.type != ET_REL || c.p.machine != c.b.machine ||
	    c.p.elf_class != c.b.elf_class ||
	    (c.p.machine != EM_X86_64 && c.p.machine != EM_386)) {
		fprintf(stderr, "ab-check: error: --compare takes two x86 relocatable objects of one "
			"machine and class (%s, %s)\n", plain, burnt);
		return 2;
	}
	c.bits = c.p.machine == EM_X86_64 ? 64 : 32;
	c.npsyms = ab_elf_symbols(&c.p, &c.psyms, err, sizeof(err));
	if (c.npsyms >= 0)
		c.nbsyms = ab_elf_symbols(&c.b, &c.bsyms, err, sizeof(err));
	if (c.npsyms < 0 || c.nbsyms < 0 || ab_read_sites(&c.b, &c.sites, &c.nsites, err, sizeof(err)) ||
	    ab_read_modes(&c.b, &c.modes, &c.nmodes, err, sizeof(err))) {
		fprintf(stderr, "ab-check: error: %s\n", err);
		return 2;
	}
	qsort(c.sites, c.nsites, sizeof(*c.sites), cmp_site_off);
	if (ab_capstone_open(&c.cs16, &c.cs32, &c.cs64)) {
		fprintf(stderr, "ab-check: error: cannot open Capstone\n");
		return 2;
	}
	c.b_of_p = calloc(c.p.nsections, sizeof(*c.b_of_p));
	c.b_paired = calloc(c.b.nsections, sizeof(*c.b_paired));
	c.maps = calloc(c.p.nsections, sizeof(*c.maps));
	if (!c.b_of_p || !c.b_paired || !c.maps) {
		perror("ab-check");
		return 2;
	}
	printf("ab-check --compare %s %s\n", plain, burnt);
	pair_sections(&c);
	/* code first: relocations and symbols need every section's map */
	for (size_t i = 1; i < c.p.nsections; i++) {
		const struct ab_section *s = &c.p.sections[i];
		size_t j = c.b_of_p[i];
		if (!j || s->type == SHT_RELA || s->type == SHT_REL)
			continue;
		if (s->flags != c.b.sections[j].flags || s->entsize != c.b.sections[j].entsize)
			diff(&c, "%s: flags or entry size differ", s->name);
		if (not_compared(s->name)) {
			size_t l = strlen(c.skipped);
			if (!strstr(c.skipped, s->name) && l + strlen(s->name) + 2 < sizeof(c.skipped))
				snprintf(c.skipped + l, sizeof(c.skipped) - l, " %s", s->name);
			continue;
		}
		c.nsec++;
		if ((s->flags & SHF_EXECINSTR) && s->type == SHT_PROGBITS)
			pair_code(&c, i, j);
	}
	for (size_t i = 1; i < c.p.nsections; i++) {
		const struct ab_section *s = &c.p.sections[i];
		size_t j = c.b_of_p[i];
		if (j && s->type != SHT_RELA && s->type != SHT_REL && !not_compared(s->name) &&
		    !((s->flags & SHF_EXECINSTR) && s->type == SHT_PROGBITS) &&
		    s->type != SHT_SYMTAB && s->type != SHT_STRTAB)
			compare_data(&c, i, j);
	}
	for (size_t k = 0; k < c.ndefer; k++) {
		const struct deferred *d = &c.defer[k];
		uint64_t lo, hi;
		if (!map_offset(&c.maps[d->sec], d->tp, &lo, &hi) || d->tb < lo || d->tb > hi)
			diff(&c, "%s+%#llx: branch or RIP-relative target +%#llx maps to burnt +%#llx..%#llx, is +%#llx",
			     c.p.sections[d->sec].name, (unsigned long long)d->at, (unsigned long long)d->tp,
			     (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)d->tb);
	}
	for (size_t k = 0; k < c.nimms; k++) {
		const struct deferred *d = &c.imms[k];
		if (explained_by_pads(&c, d->tp, d->tb))
			c.explained++;
		else
			diff(&c, "%s+%#llx: immediate %#llx, burnt %#llx", c.p.sections[d->sec].name,
			     (unsigned long long)d->at, (unsigned long long)d->tp, (unsigned long long)d->tb);
	}
	free(c.imms);
	for (size_t i = 1; i < c.p.nsections; i++) {
		const struct ab_section *s = &c.p.sections[i];
		if (c.b_of_p[i] && s->type != SHT_RELA && s->type != SHT_REL && !not_compared(s->name) &&
		    s->type != SHT_GROUP)
			compare_rels(&c, i, c.b_of_p[i]);
	}
	compare_symbols(&c);
	if (c.nsites != c.records)
		diff(&c, "%zu records, %lu of them on paired instructions", c.nsites, c.records);
	if (c.shown < c.diffs)
		printf("... %lu more differences (--list shows all)\n", c.diffs - c.shown);
	printf("%s: %lu sections, %lu instructions, %lu relocations, %lu symbols compared; "
	       "%lu records, %lu pad bytes removed; NOP bytes skipped: %lu plain, %lu burnt; "
	       "%lu data fields and immediates measure padded code; %lu differences%s%s\n",
	       c.diffs ? "FAIL" : "OK", c.nsec, c.ninsn, c.nrel, c.nsym, c.records, c.pad_bytes,
	       c.pnops, c.bnops, c.explained, c.diffs, *c.skipped ? "; not compared:" : "", c.skipped);
	cs_close(&c.cs16);
	cs_close(&c.cs32);
	cs_close(&c.cs64);
	for (size_t i = 0; i < c.p.nsections; i++)
		free(c.maps[i].u);
	free(c.maps);
	free(c.b_of_p);
	free(c.b_paired);
	free(c.defer);
	free(c.sites);
	free(c.modes);
	free(c.psyms);
	free(c.bsyms);
	ab_elf_close(&c.p);
	ab_elf_close(&c.b);
	return c.diffs ? 1 : 0;
}
