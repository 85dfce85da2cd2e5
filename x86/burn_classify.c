/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Statement classification for the x86 burner: which kind of sensitive
 * instruction (x86/sensitive.def) one gas statement holds.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86/burn.h"
#include "x86/sensitive.h"

static const struct x86_kind_info kinds[] = {
#define X86_KIND(id, name, pad, flags) { id, #name, pad, flags },
#include "x86/sensitive.def"
#undef X86_KIND
};

const struct x86_kind_info *x86_kind_info(int kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].id == kind)
			return &kinds[i];
	return NULL;
}

struct mnemonic {
	int kind;
	const char *name;
	const char *suffixes;
	int operands;
	int modes;
};

static const struct mnemonic mnemonics[] = {
#define X86_MNEMONIC(kind, name, suffixes, operands, modes) \
	{ X86_KIND_##kind, name, suffixes, operands, modes },
#include "x86/sensitive.def"
#undef X86_MNEMONIC
};

struct byte_pattern {
	int kind;
	const char *pattern;
	int modes;
};

static const struct byte_pattern byte_patterns[] = {
#define X86_BYTES(kind, pattern, modes) { X86_KIND_##kind, pattern, modes },
#include "x86/sensitive.def"
#undef X86_BYTES
};

static int mode_bit(int code_bits)
{
	return code_bits == 16 ? X86_M16 : code_bits == 32 ? X86_M32 : X86_M64;
}

/* ---------------------------------------------------------------- bytes */

static bool is_legacy_prefix(unsigned char b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Bytes a ModRM operand occupies (ModRM itself, SIB, displacement). */
static size_t modrm_length(const unsigned char *p, size_t avail,
			   int code_bits, bool addr16)
{
	if (avail < 1)
		return 0;
	unsigned mod = p[0] >> 6, rm = p[0] & 7;
	size_t n = 1;
	if (mod == 3)
		return n;
	if (addr16) {
		if (mod == 0 && rm == 6)
			n += 2;
		else
			n += mod == 1 ? 1 : mod == 2 ? 2 : 0;
		return n <= avail ? n : 0;
	}
	(void)code_bits;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		unsigned base = p[1] & 7;
		n++;
		if (mod == 0 && base == 5)
			n += 4;
	}
	if (mod == 0 && rm == 5)
		n += 4;
	else if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n <= avail ? n : 0;
}

static bool match_pattern(const char *pat, const unsigned char *b, size_t len,
			  int code_bits)
{
	unsigned char prefixes[16];
	size_t nprefix = 0, i = 0;
	bool opsize = false, addrsize = false;
	while (i < len && is_legacy_prefix(b[i]) && nprefix < sizeof(prefixes)) {
		if (b[i] == 0x66)
			opsize = true;
		if (b[i] == 0x67)
			addrsize = true;
		prefixes[nprefix++] = b[i++];
	}
	if (code_bits == 64 && i < len && (b[i] & 0xf0) == 0x40)
		i++;
	bool addr16 = (code_bits == 16) != addrsize;
	if (code_bits == 64)
		addr16 = false;
	const char *p = pat;
	bool in_opcode = false;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
			unsigned v = (unsigned)strtoul(p, NULL, 16);
			p += 2;
			if (!in_opcode && (v == 0x66 || v == 0xf2 || v == 0xf3)) {
				/* mandatory prefix: must be among the prefixes */
				bool found = false;
				for (size_t k = 0; k < nprefix; k++)
					if (prefixes[k] == v)
						found = true;
				if (!found)
					return false;
				if (v == 0x66)
					opsize = false;
				continue;
			}
			in_opcode = true;
			if (i >= len || b[i] != v)
				return false;
			i++;
		} else if (p[0] == '/') {
			p++;
			int reg = -1;
			char form = 0;
			if (isdigit((unsigned char)*p))
				reg = *p++ - '0';
			if (*p == 'm' || *p == 'r')
				form = *p++;
			if (form == 'r' && reg < 0)
				form = 0;  /* "/r": any ModRM */
			if (i >= len)
				return false;
			unsigned mod = b[i] >> 6, r = (b[i] >> 3) & 7;
			if (reg >= 0 && (int)r != reg)
				return false;
			if (form == 'm' && mod == 3)
				return false;
			if (form == 'r' && mod != 3)
				return false;
			size_t n = modrm_length(b + i, len - i, code_bits, addr16);
			if (!n)
				return false;
			i += n;
		} else if (p[0] == 'i') {
			size_t n = p[1] == 'b' ? 1 : p[1] == 'w' ? 2 : 4;
			if (p[1] == 'd' && opsize && code_bits != 16)
				n = 2;
			p += 2;
			if (len - i < n)
				return false;
			i += n;
		} else {
			return false;  /* malformed table entry: never matches */
		}
	}
	return i == len;
}

static unsigned hex_digit(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Whether some pattern's opcode (after its mandatory prefixes) starts
 * with v: most .byte statements are data and start with none. */
static bool starts_an_opcode(unsigned char v)
{
	static bool first[256], built;
	if (!built) {
		for (size_t k = 0; k < sizeof(byte_patterns) / sizeof(byte_patterns[0]); k++) {
			const char *p = byte_patterns[k].pattern;
			for (;;) {
				while (*p == ' ')
					p++;
				if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
					break;   /* no opcode byte: the pattern never matches */
				unsigned b = 16 * hex_digit(p[0]) + hex_digit(p[1]);
				p += 2;
				if (b != 0x66 && b != 0xf2 && b != 0xf3) {
					first[b] = true;
					break;
				}
			}
		}
		built = true;
	}
	return first[v];
}

int x86_classify_bytes(const unsigned char *bytes, size_t len, int code_bits)
{
	int mode = mode_bit(code_bits);
	/* the opcode's first byte, past prefixes as match_pattern skips them */
	size_t i = 0;
	while (i < len && i < 16 && is_legacy_prefix(bytes[i]))
		i++;
	if (code_bits == 64 && i < len && (bytes[i] & 0xf0) == 0x40)
		i++;
	if (i >= len || !starts_an_opcode(bytes[i]))
		return 0;
	for (size_t k = 0; k < sizeof(byte_patterns) / sizeof(byte_patterns[0]); k++) {
		if (!(byte_patterns[k].modes & mode))
			continue;
		if (match_pattern(byte_patterns[k].pattern, bytes, len, code_bits))
			return byte_patterns[k].kind;
	}
	return 0;
}

/* ---------------------------------------------------------------- text */

/* [A-Za-z0-9_.$] (isalnum in the C locale), by table */
static const unsigned char ident_chars[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
	['_'] = 1, ['.'] = 1, ['$'] = 1,
};

static inline bool is_ident_char(char c)
{
	return ident_chars[(unsigned char)c];
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Words gas treats as instruction prefixes when they stand before the
 * mnemonic. */
static bool is_prefix_word(const char *w, size_t n)
{
	static const struct { const char *s; size_t n; } words[] = {
		{ "lock", 4 }, { "rep", 3 }, { "repe", 4 }, { "repz", 4 },
		{ "repne", 5 }, { "repnz", 5 }, { "data16", 6 }, { "data32", 6 },
		{ "addr16", 6 }, { "addr32", 6 }, { "wait", 4 }, { "notrack", 7 },
		{ "bnd", 3 }, { "xacquire", 8 }, { "xrelease", 8 }, { "cs", 2 },
		{ "ds", 2 }, { "es", 2 }, { "fs", 2 }, { "gs", 2 }, { "ss", 2 },
		{ "rex", 3 }, { "rex64", 5 },
	};
	char c = n ? (char)tolower((unsigned char)w[0]) : 0;
	/* most words are mnemonics no prefix starts like: one test each */
	if (n < 2 || n > 8 || !strchr("abcdefglnrswx", c) || !c)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].n == n && words[i].s[0] == c && !strncasecmp(words[i].s, w, n))
			return true;
	if (n > 4 && !strncasecmp(w, "rex.", 4))
		return true;
	return false;
}

/* Evaluate a small constant expression: numbers (C and gas forms), unary
 * -, ~, binary + - * | & ^ << >> and parentheses.  false if not constant. */
struct cexpr { const char *p, *end; bool ok; };

static long cexpr_or(struct cexpr *e);

static void cexpr_space(struct cexpr *e)
{
	while (e->p < e->end && isspace((unsigned char)*e->p))
		e->p++;
}

static long cexpr_primary(struct cexpr *e)
{
	cexpr_space(e);
	if (e->p >= e->end) {
		e->ok = false;
		return 0;
	}
	char c = *e->p;
	if (c == '(') {
		e->p++;
		long v = cexpr_or(e);
		cexpr_space(e);
		if (e->p < e->end && *e->p == ')')
			e->p++;
		else
			e->ok = false;
		return v;
	}
	if (c == '-') { e->p++; return -cexpr_primary(e); }
	if (c == '+') { e->p++; return cexpr_primary(e); }
	if (c == '~') { e->p++; return ~cexpr_primary(e); }
	if (isdigit((unsigned char)c)) {
		const char *s = e->p;
		int base = 10;
		if (s[0] == '0' && e->end - s > 1 && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		} else if (s[0] == '0' && e->end - s > 1 && (s[1] == 'b' || s[1] == 'B')) {
			base = 2;
			s += 2;
		} else if (s[0] == '0') {
			base = 8;
		}
		long v = 0;
		const char *q = s;
		while (q < e->end && isxdigit((unsigned char)*q)) {
			int d = isdigit((unsigned char)*q) ? *q - '0'
				: tolower((unsigned char)*q) - 'a' + 10;
			if (d >= base)
				break;
			v = v * base + d;
			q++;
		}
		if (q == s && base != 8) {
			e->ok = false;
			return 0;
		}
		/* a digit run followed by b/f is a local label reference */
		if (q < e->end && (is_ident_char(*q))) {
			e->ok = false;
			return 0;
		}
		e->p = q;
		return v;
	}
	e->ok = false;
	return 0;
}

static long cexpr_mul(struct cexpr *e)
{
	long v = cexpr_primary(e);
	for (;;) {
		cexpr_space(e);
		if (e->p < e->end && *e->p == '*') { e->p++; v *= cexpr_primary(e); }
		else return v;
	}
}

static long cexpr_add(struct cexpr *e)
{
	long v = cexpr_mul(e);
	for (;;) {
		cexpr_space(e);
		if (e->p < e->end && *e->p == '+') { e->p++; v += cexpr_mul(e); }
		else if (e->p < e->end && *e->p == '-') { e->p++; v -= cexpr_mul(e); }
		else return v;
	}
}

static long cexpr_shift(struct cexpr *e)
{
	long v = cexpr_add(e);
	for (;;) {
		cexpr_space(e);
		if (e->end - e->p >= 2 && e->p[0] == '<' && e->p[1] == '<') {
			e->p += 2; v <<= cexpr_add(e) & 63;
		} else if (e->end - e->p >= 2 && e->p[0] == '>' && e->p[1] == '>') {
			e->p += 2; v >>= cexpr_add(e) & 63;
		} else return v;
	}
}

static long cexpr_or(struct cexpr *e)
{
	long v = cexpr_shift(e);
	for (;;) {
		cexpr_space(e);
		if (e->p < e->end && *e->p == '|') { e->p++; v |= cexpr_shift(e); }
		else if (e->p < e->end && *e->p == '&') { e->p++; v &= cexpr_shift(e); }
		else if (e->p < e->end && *e->p == '^') { e->p++; v ^= cexpr_shift(e); }
		else return v;
	}
}

static bool const_value(const char *s, const char *end, long *out)
{
	struct cexpr e = { s, end, true };
	long v = cexpr_or(&e);
	cexpr_space(&e);
	if (!e.ok || e.p != end)
		return false;
	*out = v;
	return true;
}

/* Split operands at top-level commas. */
#define MAX_OPS 16
struct operands {
	int n;
	const char *start[MAX_OPS];
	size_t len[MAX_OPS];
};

static bool split_operands(const char *p, const char *end, struct operands *ops)
{
	ops->n = 0;
	p = skip_space(p, end);
	if (p == end)
		return true;
	int depth = 0;
	const char *s = p;
	for (const char *q = p; q <= end; q++) {
		if (q == end || (*q == ',' && depth == 0)) {
			if (ops->n == MAX_OPS)
				return false;
			const char *a = skip_space(s, q), *b = q;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			ops->start[ops->n] = a;
			ops->len[ops->n] = (size_t)(b - a);
			ops->n++;
			s = q + 1;
			continue;
		}
		if (*q == '(' || *q == '[')
			depth++;
		else if ((*q == ')' || *q == ']') && depth > 0)
			depth--;
	}
	return true;
}

enum reg_class { REG_NONE, REG_SEG, REG_CR, REG_DR };

static enum reg_class reg_class(const char *s, size_t n,
				const struct x86_stmt_syntax *syn)
{
	if (n && *s == '%') {
		s++;
		n--;
	} else if (!syn->intel && !syn->naked_regs) {
		return REG_NONE;
	}
	char r[8];
	if (n < 2 || n >= sizeof(r))
		return REG_NONE;
	/* every segment, control and debug register name starts [cdefgs][sbr]
	 * (es cs ss ds fs gs, crN, dbN, drN): most operands stop here */
	switch (s[0] | 0x20) {
	case 'c': case 'd': case 'e': case 'f': case 'g': case 's': break;
	default: return REG_NONE;
	}
	switch (s[1] | 0x20) {
	case 's': case 'r': case 'b': break;
	default: return REG_NONE;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)s[i]);
	r[n] = 0;
	static const char *const segs[] = { "es", "cs", "ss", "ds", "fs", "gs", NULL };
	for (int i = 0; segs[i]; i++)
		if (!strcmp(r, segs[i]))
			return REG_SEG;
	const char *num = NULL;
	enum reg_class cls = REG_NONE;
	if (!strncmp(r, "cr", 2)) {
		num = r + 2;
		cls = REG_CR;
	} else if (!strncmp(r, "db", 2) || !strncmp(r, "dr", 2)) {
		num = r + 2;
		cls = REG_DR;
	}
	if (!num || !*num)
		return REG_NONE;
	for (const char *q = num; *q; q++)
		if (!isdigit((unsigned char)*q))
			return REG_NONE;
	if (atoi(num) > 15)
		return REG_NONE;
	return cls;
}

static bool operands_match(int pattern, const struct operands *ops,
			   const struct x86_stmt_syntax *syn)
{
	/* AT&T: source first, destination last; Intel: the reverse. */
	int dst = syn->intel ? 0 : ops->n - 1;
	int src = syn->intel ? ops->n - 1 : 0;
	switch (pattern) {
	case X86_OPS_ANY:
		return true;
	case X86_OPS_SEG:
		return ops->n == 1 && reg_class(ops->start[0], ops->len[0], syn) == REG_SEG;
	case X86_OPS_TO_SEG:
		return ops->n == 2 && reg_class(ops->start[dst], ops->len[dst], syn) == REG_SEG;
	case X86_OPS_FROM_SEG:
		return ops->n == 2 && reg_class(ops->start[src], ops->len[src], syn) == REG_SEG;
	case X86_OPS_TO_CR:
		return ops->n == 2 && reg_class(ops->start[dst], ops->len[dst], syn) == REG_CR;
	case X86_OPS_FROM_CR:
		return ops->n == 2 && reg_class(ops->start[src], ops->len[src], syn) == REG_CR;
	case X86_OPS_TO_DR:
		return ops->n == 2 && reg_class(ops->start[dst], ops->len[dst], syn) == REG_DR;
	case X86_OPS_FROM_DR:
		return ops->n == 2 && reg_class(ops->start[src], ops->len[src], syn) == REG_DR;
	case X86_OPS_NOT_INT3: {
		if (ops->n != 1)
			return true;   /* let gas judge odd forms; still a site */
		const char *s = ops->start[0], *e = s + ops->len[0];
		if (s < e && *s == '$')
			s++;
		long v;
		return !(const_value(s, e, &v) && v == 3);
	}
	case X86_OPS_FAR:
		if (ops->n == 2 && !syn->intel)
			return ops->len[0] && ops->start[0][0] == '$' &&
			       ops->len[1] && ops->start[1][0] == '$';
		if (ops->n == 1 && syn->intel) {
			const char *s = ops->start[0];
			size_t n = ops->len[0];
			if ((n > 4 && !strncasecmp(s, "far ", 4)) ||
			    (n > 6 && !strncasecmp(s, "fword ", 6)))
				return true;
			/* jmp 0x10:label */
			const char *colon = memchr(s, ':', n);
			long v;
			return colon && const_value(s, colon, &v);
		}
		return false;
	}
	return false;
}

/* The table's entries by first letter (table order kept within a
 * letter: the first match wins), with their name lengths. */
#define N_MNEMONICS (sizeof(mnemonics) / sizeof(mnemonics[0]))
struct mnemonic_index {
	unsigned short first[256], count[256];
	unsigned short order[N_MNEMONICS];
	unsigned char len[N_MNEMONICS];
};

static const struct mnemonic_index *mnemonic_index(void)
{
	static struct mnemonic_index ix;
	static bool built;
	if (built)
		return &ix;
	/* a counting sort: built once per assembled file, so O(entries) */
	for (size_t k = 0; k < N_MNEMONICS; k++) {
		ix.count[(unsigned char)mnemonics[k].name[0]]++;
		ix.len[k] = (unsigned char)strlen(mnemonics[k].name);
	}
	unsigned short fill[256];
	for (unsigned c = 0, at = 0; c < 256; c++) {
		ix.first[c] = fill[c] = (unsigned short)at;
		at += ix.count[c];
	}
	for (size_t k = 0; k < N_MNEMONICS; k++)
		ix.order[fill[(unsigned char)mnemonics[k].name[0]]++] = (unsigned short)k;
	built = true;
	return &ix;
}

static int classify_mnemonic(const char *w, size_t n, const char *ops_start,
			     const char *end, const struct x86_stmt_syntax *syn)
{
	char m[24];
	if (n == 0 || n >= sizeof(m))
		return 0;
	for (size_t i = 0; i < n; i++)
		m[i] = (char)tolower((unsigned char)w[i]);
	m[n] = 0;
	int mode = mode_bit(syn->code_bits);
	struct operands ops;
	bool have_ops = false;
	const struct mnemonic_index *ix = mnemonic_index();
	unsigned char c0 = (unsigned char)m[0];
	for (unsigned j = ix->first[c0]; j < ix->first[c0] + ix->count[c0]; j++) {
		size_t k = ix->order[j];
		const struct mnemonic *e = &mnemonics[k];
		size_t ln = ix->len[k];
		if (n < ln || memcmp(m, e->name, ln))
			continue;
		if (n != ln && !(n == ln + 1 && strchr(e->suffixes, m[ln]) && m[ln]))
			continue;
		if (!(e->modes & mode))
			continue;
		if (!have_ops) {
			if (!split_operands(ops_start, end, &ops))
				return 0;
			have_ops = true;
		}
		if (operands_match(e->operands, &ops, syn))
			return e->kind;
	}
	return 0;
}

/* A `.byte` statement: the kind of the one instruction it spells, 0 if
 * none.  Non-constant bytes make it undecidable: error if the constant
 * bytes before them already look like a sensitive instruction's start. */
static int classify_byte_directive(const char *p, const char *end,
				   const struct x86_stmt_syntax *syn,
				   const char **error)
{
	unsigned char bytes[16];
	size_t n = 0;
	struct operands ops;
	/* .byte lists can be long (tables): only short ones can be one insn */
	int commas = 0;
	for (const char *q = p; q < end; q++)
		if (*q == ',' && ++commas >= 15)
			return 0;
	if (!split_operands(p, end, &ops) || ops.n == 0)
		return 0;
	for (int i = 0; i < ops.n; i++) {
		long v;
		if (!const_value(ops.start[i], ops.start[i] + ops.len[i], &v)) {
			/* undecidable: error when the constant bytes before
			 * already start a 0f 00 / 0f 01 system instruction */
			if (n == 2 && bytes[0] == 0x0f &&
			    (bytes[1] == 0x01 || bytes[1] == 0x00) && i == ops.n - 1) {
				*error = ".byte-spelled 0f 00/0f 01 instruction with a non-constant ModRM byte: spell it as a mnemonic";
				return 0;
			}
			return 0;
		}
		if (v < -128 || v > 255)
			return 0;
		bytes[n++] = (unsigned char)v;
	}
	return x86_classify_bytes(bytes, n, syn->code_bits);
}

/* Whether the operand text names what reg_class calls a segment, control
 * or debug register (a superset: also `%es:` overrides). */
static bool mentions_system_register(const char *p, const char *end)
{
	while ((p = memchr(p, '%', (size_t)(end - p))) && end - p >= 3) {
		char a = (char)(p[1] | 0x20), b = (char)(p[2] | 0x20);
		char c = end - p > 3 ? p[3] : ' ';
		if (b == 's' && strchr("cdefgs", a) && !isalnum((unsigned char)c))
			return true;
		if (((a == 'c' || a == 'd') && b == 'r') || (a == 'd' && b == 'b'))
			if (isdigit((unsigned char)c))
				return true;
		p++;
	}
	return false;
}

/* What the mnemonic table says of a (lowercase) first word, whatever the
 * operands (AT&T syntax): 0 never sensitive, or these flags. */
#define NAME_SYSREG 1   /* only with a segment, control or debug register (mov, push, pop) */
#define NAME_FAR    2   /* only with `$seg, $off` operands (jmp, call) */
#define NAME_ASK    4   /* ask the classifier */
static int name_class(const char *m, size_t n)
{
	if (is_prefix_word(m, n))
		return NAME_ASK;
	const struct mnemonic_index *ix = mnemonic_index();
	unsigned char c0 = (unsigned char)m[0];
	int cls = 0;
	/* the name test of classify_mnemonic; entries of any mode count */
	for (unsigned j = ix->first[c0]; j < ix->first[c0] + ix->count[c0]; j++) {
		size_t k = ix->order[j];
		const struct mnemonic *e = &mnemonics[k];
		size_t ln = ix->len[k];
		if (n < ln || n > ln + 1 || memcmp(m, e->name, ln))
			continue;
		if (n != ln && !(strchr(e->suffixes, m[ln]) && m[ln]))
			continue;
		if (e->operands >= X86_OPS_SEG && e->operands <= X86_OPS_FROM_DR)
			cls |= NAME_SYSREG;
		else if (e->operands == X86_OPS_FAR)
			cls |= NAME_FAR;
		else
			return NAME_ASK;   /* sensitive by name */
	}
	return cls;
}

/* A first word, lowercase and zero-padded, as the key of name_cache. */
union word16 {
	char c[16];
	uint64_t q[2];
};

/* `.byte N[, ...]` whose first byte is a plain literal that starts no
 * instruction (no prefix, REX or first opcode byte of a pattern): what
 * x86_classify_bytes would reject first.  Most .byte lines are DWARF. */
static bool byte_data_surely_plain(const char *p, const char *end, int code_bits)
{
	if (end - p < 7 || strncasecmp(p, ".byte", 5) || (p[5] != ' ' && p[5] != '\t'))
		return false;
	p = skip_space(p + 5, end);
	unsigned long v = 0;
	int digits = 0;
	if (end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
		for (p += 2; p < end && isxdigit((unsigned char)*p) && digits < 3; p++, digits++)
			v = v * 16 + hex_digit(*p);
	} else if (p < end && *p == '0') {
		p++;   /* 0 alone; 0N is octal: left to the classifier */
		digits = 1;
	} else {
		for (; p < end && isdigit((unsigned char)*p) && digits < 4; p++, digits++)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!digits || v > 255 || (p < end && *p != ',' && *p != ' ' && *p != '\t'))
		return false;
	p = skip_space(p, end);
	if (p < end && *p != ',')
		return false;
	return !is_legacy_prefix((unsigned char)v) &&
	       !(code_bits == 64 && (v & 0xf0) == 0x40) && !starts_an_opcode((unsigned char)v);
}

/* Per byte of x (ASCII): 'A'..'Z' made lowercase. */
static uint64_t lower8(uint64_t x)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t ge_a = (x | high) - 0x4141414141414141ull;   /* high bit: >= 'A' */
	uint64_t gt_z = (x | high) - 0x5b5b5b5b5b5b5b5bull;   /* high bit: > 'Z' */
	return x | ((ge_a & ~gt_z & high) >> 2);
}

/* Whether some byte of x equals c. */
static bool has_byte(uint64_t x, unsigned char c)
{
	uint64_t v = x ^ (0x0101010101010101ull * c);
	return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
}

bool x86_word_surely_plain(const char *w, size_t n, const char *end, size_t readable,
			   const struct x86_stmt_syntax *syn)
{
	/* name_class, remembered: a file uses few distinct mnemonics, many
	 * times.  Keys (lowercase, zero-padded) compare as two words; cls 0
	 * marks an empty slot. */
	static struct { union word16 name; signed char cls; } name_cache[512];
	const char *p = w + n;
	if (syn->intel || syn->naked_regs || n == 0 || n >= sizeof(union word16) ||
	    (p < end && *p != ' ' && *p != '\t'))
		return false;
	union word16 m = { .q = { 0, 0 } };
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (readable >= sizeof(m)) {
		/* two plain loads, the bytes past the word masked off */
		memcpy(&m, w, sizeof(m));
		if (n < 8) {
			m.q[0] &= (1ull << (8 * n)) - 1;
			m.q[1] = 0;
		} else {
			m.q[1] &= (1ull << (8 * (n - 8))) - 1;
		}
	} else
#endif
	{
		(void)readable;
		memcpy(m.c, w, n);
	}
	/* word characters beyond ident_chars: not a mnemonic */
	if (has_byte(m.q[0], '@') || has_byte(m.q[1], '@') ||
	    has_byte(m.q[0], '\\') || has_byte(m.q[1], '\\'))
		return false;
	m.q[0] = lower8(m.q[0]);
	m.q[1] = lower8(m.q[1]);
	uint64_t h = (m.q[0] ^ (m.q[1] * 0x9e3779b97f4a7c15ull)) * 0xc2b2ae3d27d4eb4full;
	typeof(name_cache[0]) *e = &name_cache[h >> (64 - 9)];
	_Static_assert(sizeof(name_cache) / sizeof(name_cache[0]) == 1 << 9, "9-bit hash");
	int cls;
	if (e->cls > 0 && e->name.q[0] == m.q[0] && e->name.q[1] == m.q[1]) {
		cls = e->cls - 1;
	} else {
		cls = name_class(m.c, n);
		e->name = m;
		e->cls = (signed char)(cls + 1);
	}
	return !(cls & NAME_ASK) &&
	       !((cls & NAME_SYSREG) && mentions_system_register(p, end)) &&
	       !((cls & NAME_FAR) && memchr(p, '$', (size_t)(end - p)));
}

bool x86_statement_surely_plain(const char *stmt, size_t len,
				const struct x86_stmt_syntax *syn)
{
	const char *end = stmt + len, *p = skip_space(stmt, end);
	if (syn->intel || syn->naked_regs || p == end || *p == '{')
		return false;
	if (*p == '.')
		return byte_data_surely_plain(p, end, syn->code_bits);
	const char *w = p;
	while (p < end && is_ident_char(*p))
		p++;
	return x86_word_surely_plain(w, (size_t)(p - w), end, (size_t)(end - w), syn);
}

int x86_classify_statement(const char *stmt, size_t len,
			   const struct x86_stmt_syntax *syn, const char **error)
{
	const char *p = stmt, *end = stmt + len;
	*error = NULL;
	for (;;) {
		p = skip_space(p, end);
		if (p == end)
			return 0;
		if (*p == '{') {             /* pseudo prefix {vex} {disp32} ... */
			const char *q = memchr(p, '}', (size_t)(end - p));
			if (!q)
				return 0;
			p = q + 1;
			continue;
		}
		const char *w = p;
		while (p < end && is_ident_char(*p))
			p++;
		size_t wn = (size_t)(p - w);
		if (wn == 0)
			return 0;
		if (wn == 5 && !strncasecmp(w, ".byte", 5))
			return classify_byte_directive(p, end, syn, error);
		if (*w == '.')
			return 0;
		if (p < end && !isspace((unsigned char)*p) && *p != '*' && *p != '$' && *p != '%')
			return 0;    /* not a plain word: `x = 1`, `foo:`... */
		if (is_prefix_word(w, wn)) {
			const char *q = skip_space(p, end);
			if (q == end)
				return 0;
			continue;
		}
		return classify_mnemonic(w, wn, p, end, syn);
	}
}
