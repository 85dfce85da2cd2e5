/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86 front end of afterburn-as: reads gas source (AT&T or Intel), finds
 * every sensitive instruction of x86/sensitive.def and emits, per site, on
 * the same source line (so that line numbers, `# N "file"` markers and .loc
 * stay valid), a pad of `.nops` up to the kind's PAD bytes (never below the
 * instruction's own length) and the 8-byte record in .afterburn:
 *
 *     .L__ab<n>s: <insn> ; .L__ab<n>p: .nops ... ; ... ; .popsection
 *
 * or, where that text cannot go (strings, macro and .irp/.rept bodies,
 * 16-bit code; site_text), a call of a macro defined at the top of the
 * output, whose numeric labels make every expansion self-contained:
 *
 *     77101: <insn> ; __afterburn_site PAD, KIND[, GROUP]
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <afterburn/annotation.h>
#include "x86/burn.h"
#include "x86/sensitive.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define L_START STR(AFTERBURN_LABEL_START)
#define L_PAD   STR(AFTERBURN_LABEL_PAD)
#define L_END   STR(AFTERBURN_LABEL_END)

/* ---------------------------------------------------------------- buffers */

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_reserve(struct strbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		fprintf(stderr, "afterburn-as: out of memory\n");
		exit(2);
	}
	b->s = s;
	b->cap = cap;
}

/* Fault a big buffer's pages in at once (MADV_POPULATE_WRITE, Linux 5.14;
 * ignored where unknown). */
static void prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = 4096, a = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(page - 1);
	if (n >= 65536 && e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
#endif
}

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_adds(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_insert(struct strbuf *b, size_t at, const char *s)
{
	size_t n = strlen(s);
	sb_reserve(b, n);
	memmove(b->s + at + n, b->s + at, b->len - at);
	memcpy(b->s + at, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

/* ---------------------------------------------------------------- state */

/* Longest section, COMDAT group and logical file name kept.  A longer
 * section or group name is an error (a cut name would put records into
 * the wrong group); a longer file name only shortens messages. */
#define NAME_MAX_LEN 1024

struct section {
	char name[NAME_MAX_LEN];
	char group[NAME_MAX_LEN];   /* COMDAT group of the section, "" if none */
	bool exec;
};

struct section_pair { struct section cur, prev; };

struct known_section {
	char name[NAME_MAX_LEN];
	char group[NAME_MAX_LEN];
	bool exec;
	unsigned hash;               /* of name: compared before the names */
};

/*
 * A .macro definition.  Body statements that use a parameter where the
 * burner cannot see the instruction (`\op` in msr-reg.S's op_safe_regs)
 * are remembered by their place in the output; each invocation whose
 * arguments make one sensitive rewrites it into `.ifc \param,value` arms
 * (the body precedes every invocation in the buffered output).
 */
#define MACRO_MAX_PARAMS 16
#define MACRO_MAX_VALUES 8
struct body_stmt {
	size_t start, end;           /* output offsets of the statement */
	char *text;                  /* its original text */
	int param;                   /* the parameter the arms test */
	bool no_arms;                /* passed quoted somewhere: left alone */
	int nvalues;
	char values[MACRO_MAX_VALUES][64];
	int kinds[MACRO_MAX_VALUES];
};

struct macro_def {
	char *name;
	int nparams;
	char params[MACRO_MAX_PARAMS][64];
	char defaults[MACRO_MAX_PARAMS][64];
	struct body_stmt *stmts;
	size_t nstmts, capstmts;
};

/* An open .irp/.irpc (param and values) or .rept (no param) block. */
#define IRP_MAX_VALUES 64
struct irp {
	char param[64];
	int nvalues;
	char values[IRP_MAX_VALUES][64];
};

struct burner {
	const struct burn_config *cfg;
	struct burn_stats *stats;
	struct strbuf out;
	char file[NAME_MAX_LEN];     /* logical file (from # N "file") */
	long line;                   /* logical line of the current line */
	bool in_comment;             /* inside a multi-line C comment */
	struct x86_stmt_syntax syn;
	struct section cur, prev;
	struct section_pair *stack;
	size_t nstack, capstack;
	struct known_section *known;
	size_t nknown, capknown;
	struct macro_def *macros;    /* .macro definitions seen */
	size_t nmacros, capmacros;
	struct macro_def *defining;  /* the one whose body is being read */
	int macro_depth;             /* inside a .macro definition */
	struct section macro_saved_cur, macro_saved_prev;
	size_t macro_saved_nstack;
	long pending_prefix;         /* output offset of a prefix-only stmt */
	struct irp *irps;            /* open .irp/.irpc/.rept blocks */
	size_t nirps, capirps;
	int errors;
	bool saw_content;
	bool site_macro_used;        /* the prelude is needed */
	unsigned spelled_sites;      /* numbers the .L__ab<n> labels */
	/* the open .afterburn.mode range (annotation.h): code of another
	 * mode than the object's default, in section cur since label
	 * .L__abm<mode_ranges>s */
	int default_bits;
	bool mode_open;
	int mode_bits;
	char mode_group[NAME_MAX_LEN];
	unsigned mode_ranges;
	/* gas fills .nops with the NOP forms of the mode in force at the END
	 * of the input: an input that switches to .code16 anywhere may end in
	 * it, and then a .nops pad in 32/64-bit code would be 16-bit `lea`
	 * forms (not NOPs there).  Such inputs get 0x90 pads throughout. */
	bool nops_unsafe;
	const char *text_end;        /* the input's terminating NUL */
};

static void diag(struct burner *b, const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%ld: %s: ", b->file, b->line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void copy_name(char *dst, const char *s, size_t n)
{
	if (n >= NAME_MAX_LEN)
		n = NAME_MAX_LEN - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static bool default_exec(const char *name)
{
	return !strcmp(name, ".text") || !strncmp(name, ".text.", 6) ||
	       !strcmp(name, ".init") || !strcmp(name, ".fini") ||
	       !strncmp(name, ".gnu.linkonce.t.", 16);
}

static unsigned name_hash(const char *name)
{
	unsigned h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct known_section *find_known(struct burner *b, const char *name)
{
	unsigned h = name_hash(name);
	for (size_t i = 0; i < b->nknown; i++)
		if (b->known[i].hash == h && !strcmp(b->known[i].name, name))
			return &b->known[i];
	return NULL;
}

static void remember_section(struct burner *b, const struct section *s)
{
	if (find_known(b, s->name))
		return;   /* gas keeps the first declaration's flags */
	if (b->nknown == b->capknown) {
		b->capknown = b->capknown ? 2 * b->capknown : 32;
		b->known = realloc(b->known, b->capknown * sizeof(*b->known));
		if (!b->known) {
			fprintf(stderr, "afterburn-as: out of memory\n");
			exit(2);
		}
	}
	struct known_section *k = &b->known[b->nknown++];
	strcpy(k->name, s->name);
	strcpy(k->group, s->group);
	k->exec = s->exec;
	k->hash = name_hash(s->name);
}

/* ---------------------------------------------------------------- lexing */

/* [A-Za-z0-9_.$] (isalnum in the C locale), by table: the scan's
 * innermost test */
static const unsigned char ident_chars[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
	['_'] = 1, ['.'] = 1, ['$'] = 1,
};

static inline bool is_ident_char(char c)
{
	return ident_chars[(unsigned char)c];
}

static const unsigned char blank_chars[256] = {
	[' '] = 1, ['\t'] = 1, ['\f'] = 1, ['\v'] = 1, ['\r'] = 1,
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && blank_chars[(unsigned char)*p])
		p++;
	return p;
}

/* Skip a "string" starting at p (p points at the quote); returns the
 * position after the closing quote, or end. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

/* ident_chars plus the `\\param` and `\\@` of macro bodies */
static const unsigned char word_chars[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
	['_'] = 1, ['.'] = 1, ['$'] = 1, ['\\'] = 1, ['@'] = 1,
};

static const char *word_end(const char *p, const char *end)
{
	while (p < end && word_chars[(unsigned char)*p])
		p++;
	return p;
}

/* Skip labels at the start of a statement ("foo:", "1:", "\"x y\":"). */
static const char *skip_labels(const char *p, const char *end)
{
	for (;;) {
		const char *q = skip_ws(p, end);
		const char *w = q;
		if (q < end && *q == '"') {
			q = skip_string(q, end);
		} else {
			q = word_end(q, end);
		}
		if (q == w || q >= end || *q != ':')
			return skip_ws(p, end);
		/* "::" is not a label; "%cs:" never starts a statement */
		if (q + 1 < end && q[1] == ':')
			return skip_ws(p, end);
		p = q + 1;
	}
}

/* ---------------------------------------------------------------- directives */

/* Parse a section name (plain or quoted) at p; writes it to name and
 * its full length to *len. */
static const char *parse_section_name(const char *p, const char *end, char *name, size_t *len)
{
	p = skip_ws(p, end);
	if (p < end && *p == '"') {
		const char *q = skip_string(p, end);
		size_t n = (size_t)(q - p);
		*len = n >= 2 ? n - 2 : 0;
		copy_name(name, p + 1, *len);
		return q;
	}
	const char *s = p;
	while (p < end && *p != ',' && !blank_chars[(unsigned char)*p] && *p != '\n')
		p++;
	*len = (size_t)(p - s);
	copy_name(name, s, *len);
	return p;
}

static void name_too_long(struct burner *b, const char *what, size_t len)
{
	diag(b, "error", "afterburn: %s of %zu characters; the burner keeps %d "
	     "(NAME_MAX_LEN in x86/burn.c): not assembled", what, len, NAME_MAX_LEN - 1);
	b->errors++;
}

/* `.section NAME[, "flags"[, @type[, GROUP[, comdat]]]]`: name and flags. */
static void parse_section(struct burner *b, const char *p, const char *end,
			  struct section *out)
{
	memset(out, 0, sizeof(*out));
	size_t nlen;
	p = parse_section_name(p, end, out->name, &nlen);
	if (nlen >= NAME_MAX_LEN)
		name_too_long(b, "section name", nlen);
	/* the flags are the first quoted argument after the name */
	const char *flags = NULL;
	size_t flen = 0;
	const char *after_flags = NULL;
	for (const char *q = p; q < end; q++) {
		if (*q == '"') {
			const char *e = skip_string(q, end);
			flags = q + 1;
			flen = (size_t)(e - q) >= 2 ? (size_t)(e - q) - 2 : 0;
			after_flags = e;
			break;
		}
	}
	if (flags) {
		out->exec = memchr(flags, 'x', flen) != NULL;
		if (memchr(flags, 'G', flen)) {
			/* , @type , GROUP */
			const char *q = after_flags;
			int commas = 0;
			while (q < end && commas < 2) {
				if (*q == ',')
					commas++;
				q++;
			}
			if (commas == 2) {
				q = skip_ws(q, end);
				const char *s = q;
				while (q < end && *q != ',' && !isspace((unsigned char)*q))
					q++;
				copy_name(out->group, s, (size_t)(q - s));
				if ((size_t)(q - s) >= NAME_MAX_LEN)
					name_too_long(b, "COMDAT group name", (size_t)(q - s));
			}
		}
		remember_section(b, out);
		return;
	}
	struct known_section *k = find_known(b, out->name);
	if (k) {
		out->exec = k->exec;
		strcpy(out->group, k->group);
	} else {
		out->exec = default_exec(out->name);
		remember_section(b, out);
	}
}

static void set_section(struct burner *b, const struct section *s)
{
	b->prev = b->cur;
	b->cur = *s;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(w, lit, n);
}

/* A word that may stand alone as a prefix statement (`rep; insb`). */
static bool is_prefix_only_word(const char *w, size_t n)
{
	static const struct { const char *s; size_t n; } pw[] = {
		{ "lock", 4 }, { "rep", 3 }, { "repe", 4 }, { "repz", 4 },
		{ "repne", 5 }, { "repnz", 5 }, { "data16", 6 }, { "data32", 6 },
		{ "addr16", 6 }, { "addr32", 6 }, { "cs", 2 }, { "ds", 2 },
		{ "es", 2 }, { "fs", 2 }, { "gs", 2 }, { "ss", 2 }, { "rex", 3 },
		{ "rex64", 5 },
	};
	if (n < 2 || n > 6)
		return false;
	char c = (char)tolower((unsigned char)w[0]);
	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++)
		if (pw[i].n == n && pw[i].s[0] == c && !strncasecmp(w, pw[i].s, n))
			return true;
	return false;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "afterburn-as: out of memory\n");
		exit(2);
	}
	return p;
}

static void free_macro(struct macro_def *m)
{
	free(m->name);
	for (size_t i = 0; i < m->nstmts; i++)
		free(m->stmts[i].text);
	free(m->stmts);
}

/* `.macro NAME [p1[:req][=def]] [,] p2 ...`: name and parameters. */
static struct macro_def *add_macro(struct burner *b, const char *p, const char *end)
{
	if (b->nmacros == b->capmacros) {
		b->capmacros = b->capmacros ? 2 * b->capmacros : 64;
		b->macros = xrealloc(b->macros, b->capmacros * sizeof(*b->macros));
	}
	struct macro_def *m = &b->macros[b->nmacros++];
	memset(m, 0, sizeof(*m));
	p = skip_ws(p, end);
	const char *q = p;
	while (q < end && *q != ',' && !isspace((unsigned char)*q))
		q++;
	m->name = xrealloc(NULL, (size_t)(q - p) + 1);
	memcpy(m->name, p, (size_t)(q - p));
	m->name[q - p] = 0;
	p = q;
	while (p < end && m->nparams < MACRO_MAX_PARAMS) {
		while (p < end && (*p == ',' || isspace((unsigned char)*p)))
			p++;
		if (p == end)
			break;
		q = p;
		while (q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '$'))
			q++;
		if (q == p)
			break;
		size_t n = (size_t)(q - p) < 63 ? (size_t)(q - p) : 63;
		memcpy(m->params[m->nparams], p, n);
		m->params[m->nparams][n] = 0;
		if (q < end && *q == ':')          /* :req, :vararg */
			while (q < end && *q != ',' && *q != '=' && !isspace((unsigned char)*q))
				q++;
		q = skip_ws(q, end);
		if (q < end && *q == '=') {
			q = skip_ws(q + 1, end);
			const char *v = q;
			if (q < end && *q == '"')
				q = skip_string(q, end);
			else
				while (q < end && *q != ',' && !isspace((unsigned char)*q))
					q++;
			size_t vn = (size_t)(q - v) < 63 ? (size_t)(q - v) : 63;
			memcpy(m->defaults[m->nparams], v, vn);
			m->defaults[m->nparams][vn] = 0;
		}
		m->nparams++;
		p = q;
	}
	while (p < end && (*p == ',' || isspace((unsigned char)*p)))
		p++;
	if (p < end && m->nparams == MACRO_MAX_PARAMS)
		diag(b, "warning", "afterburn: .macro %s: parameters past the first %d are not "
		     "followed into sensitive instructions (MACRO_MAX_PARAMS in x86/burn.c)", m->name,
		     MACRO_MAX_PARAMS);
	return m;
}

static struct macro_def *find_macro(struct burner *b, const char *name, size_t n)
{
	for (size_t i = b->nmacros; i-- > 0;)
		if (word_is(name, n, b->macros[i].name))
			return &b->macros[i];
	return NULL;
}

static void purge_macro(struct burner *b, const char *name, size_t n)
{
	for (size_t i = b->nmacros; i-- > 0;)
		if (word_is(name, n, b->macros[i].name)) {
			/* its body stays in the output: keep the record of it
			 * only if nothing can reach it any more: drop it */
			free_macro(&b->macros[i]);
			b->macros[i] = b->macros[--b->nmacros];
			if (b->defining == &b->macros[b->nmacros])
				b->defining = NULL;
			return;
		}
}

static void irp_directive(struct burner *b, const char *w, size_t wn,
			  const char *p, const char *end)
{
	if (word_is(w, wn, ".endr")) {
		if (b->nirps)
			b->nirps--;
		return;
	}
	if (b->nirps == b->capirps) {
		b->capirps = b->capirps ? 2 * b->capirps : 8;
		b->irps = realloc(b->irps, b->capirps * sizeof(*b->irps));
		if (!b->irps) {
			fprintf(stderr, "afterburn-as: out of memory\n");
			exit(2);
		}
	}
	struct irp *r = &b->irps[b->nirps++];
	memset(r, 0, sizeof(*r));
	if (word_is(w, wn, ".rept"))
		return;
	bool chars = word_is(w, wn, ".irpc");
	p = skip_ws(p, end);
	const char *q = p;
	while (q < end && *q != ',' && !isspace((unsigned char)*q))
		q++;
	copy_name(r->param, p, (size_t)(q - p) < sizeof(r->param) ? (size_t)(q - p) : 0);
	if ((size_t)(q - p) >= sizeof(r->param)) {
		r->param[0] = 0;
		diag(b, "warning", "afterburn: .irp parameter longer than %zu characters: its values "
		     "are not checked for sensitive instructions (struct irp in x86/burn.c)",
		     sizeof(r->param) - 1);
	}
	p = skip_ws(q, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	while (p < end && r->nvalues < IRP_MAX_VALUES) {
		if (chars) {
			if (isspace((unsigned char)*p) || *p == ',') {
				p++;
				continue;
			}
			r->values[r->nvalues][0] = *p++;
			r->values[r->nvalues++][1] = 0;
			continue;
		}
		const char *v = p;
		while (p < end && *p != ',' && !isspace((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - v);
		if (n && n < sizeof(r->values[0])) {
			memcpy(r->values[r->nvalues], v, n);
			r->values[r->nvalues++][n] = 0;
		} else if (n && r->param[0]) {
			diag(b, "warning", "afterburn: .irp value of %zu characters is not checked for "
			     "sensitive instructions (at most %zu; struct irp in x86/burn.c)", n,
			     sizeof(r->values[0]) - 1);
		}
		while (p < end && (*p == ',' || isspace((unsigned char)*p)))
			p++;
	}
	if (p < end && r->param[0])
		diag(b, "warning", "afterburn: .irp values past the first %d are not checked for "
		     "sensitive instructions (IRP_MAX_VALUES in x86/burn.c)", IRP_MAX_VALUES);
}

/* The directives the burner acts on: the one list, for directive() and the
 * fast path (plain_line); and .byte, which may spell an instruction.
 * DIR_SWITCH ones only switch state (section, code size, syntax):
 * directive() is all the fast path needs to call for them. */
enum dir_class { DIR_NONE, DIR_SWITCH, DIR_FULL };
enum dir_id {
	D_MACRO, D_ENDM, D_IRP, D_PURGEM, D_BYTE, D_TEXT, D_DATA, D_BSS,
	D_SECTION, D_PUSHSECTION, D_POPSECTION, D_PREVIOUS, D_CODE16, D_CODE32,
	D_CODE64, D_INTEL_SYNTAX, D_ATT_SYNTAX,
};
struct dir_info {
	const char *s;
	size_t n;
	enum dir_class cls;
	enum dir_id id;
};

static const struct dir_info *state_directive(const char *w, size_t n)
{
	static const struct dir_info dirs[] = {
		{ ".macro", 6, DIR_FULL, D_MACRO }, { ".endm", 5, DIR_FULL, D_ENDM },
		{ ".irp", 4, DIR_FULL, D_IRP }, { ".irpc", 5, DIR_FULL, D_IRP },
		{ ".rept", 5, DIR_FULL, D_IRP }, { ".endr", 5, DIR_FULL, D_IRP },
		{ ".purgem", 7, DIR_FULL, D_PURGEM }, { ".byte", 5, DIR_FULL, D_BYTE },
		{ ".text", 5, DIR_SWITCH, D_TEXT }, { ".data", 5, DIR_SWITCH, D_DATA },
		{ ".bss", 4, DIR_SWITCH, D_BSS }, { ".section", 8, DIR_SWITCH, D_SECTION },
		{ ".pushsection", 12, DIR_SWITCH, D_PUSHSECTION },
		{ ".popsection", 11, DIR_SWITCH, D_POPSECTION },
		{ ".previous", 9, DIR_SWITCH, D_PREVIOUS },
		{ ".code16", 7, DIR_SWITCH, D_CODE16 }, { ".code16gcc", 10, DIR_SWITCH, D_CODE16 },
		{ ".code32", 7, DIR_SWITCH, D_CODE32 }, { ".code64", 7, DIR_SWITCH, D_CODE64 },
		{ ".intel_syntax", 13, DIR_SWITCH, D_INTEL_SYNTAX },
		{ ".att_syntax", 11, DIR_SWITCH, D_ATT_SYNTAX },
	};
	/* the lengths of the names by their (lowercase) second letter:
	 * most directives (.loc, .file, .p2align, .cfi_*) stop there; the
	 * others are compared with the entries of their letter only */
	static unsigned lengths[128];
	static unsigned char first[128], count[128], order[sizeof(dirs) / sizeof(dirs[0])];
	static bool built;
	const size_t ndirs = sizeof(dirs) / sizeof(dirs[0]);
	if (!built) {   /* a counting sort, once per assembled file */
		unsigned char fill[128];
		for (size_t i = 0; i < ndirs; i++) {
			count[(unsigned char)dirs[i].s[1]]++;
			lengths[(unsigned char)dirs[i].s[1]] |= 1u << dirs[i].n;
		}
		for (unsigned c = 0, at = 0; c < 128; c++) {
			first[c] = fill[c] = (unsigned char)at;
			at += count[c];
		}
		for (size_t i = 0; i < ndirs; i++)
			order[fill[(unsigned char)dirs[i].s[1]]++] = (unsigned char)i;
		built = true;
	}
	unsigned char c = n >= 2 ? (unsigned char)(w[1] | 0x20) : 0;
	if (n >= 32 || c >= 128 || !(lengths[c] & (1u << n)))
		return NULL;
	for (unsigned j = first[c]; j < first[c] + count[c]; j++) {
		const struct dir_info *d = &dirs[order[j]];
		if (d->n == n && !strncasecmp(d->s, w, n))
			return d;
	}
	return NULL;
}

/* A directive statement (w..wend is the word, args follow).  Only the
 * ones that change what the burner must know are handled
 * (state_directive). */
static void directive(struct burner *b, const char *w, size_t wn,
		      const char *args, const char *end)
{
	struct section s;
	const struct dir_info *d = state_directive(w, wn);
	if (!d)
		return;
	if (b->macro_depth > 0) {
		if (d->id == D_MACRO) {
			b->macro_depth++;
		} else if (d->id == D_ENDM) {
			if (--b->macro_depth == 0) {
				b->defining = NULL;
				b->cur = b->macro_saved_cur;
				b->prev = b->macro_saved_prev;
				if (b->nstack > b->macro_saved_nstack)
					b->nstack = b->macro_saved_nstack;
				return;
			}
		}
		/* section directives inside a body: track them for the body */
	}
	switch (d->id) {
	case D_MACRO:
		if (b->macro_depth == 0) {
			b->defining = add_macro(b, args, end);
			b->macro_saved_cur = b->cur;
			b->macro_saved_prev = b->prev;
			b->macro_saved_nstack = b->nstack;
			/* where the body expands is unknown: assume code */
			memset(&b->cur, 0, sizeof(b->cur));
			strcpy(b->cur.name, "<macro body>");
			b->cur.exec = true;
			b->macro_depth = 1;
		}
		break;
	case D_IRP:
		irp_directive(b, w, wn, args, end);
		break;
	case D_PURGEM: {
		const char *p = skip_ws(args, end);
		const char *q = p;
		while (q < end && !isspace((unsigned char)*q))
			q++;
		purge_macro(b, p, (size_t)(q - p));
		break;
	}
	case D_TEXT:
	case D_DATA:
	case D_BSS:
		memset(&s, 0, sizeof(s));
		copy_name(s.name, w, wn);
		s.exec = d->id == D_TEXT;
		set_section(b, &s);
		break;
	case D_SECTION:
		parse_section(b, args, end, &s);
		set_section(b, &s);
		break;
	case D_PUSHSECTION:
		if (b->nstack == b->capstack) {
			b->capstack = b->capstack ? 2 * b->capstack : 16;
			b->stack = realloc(b->stack, b->capstack * sizeof(*b->stack));
			if (!b->stack) {
				fprintf(stderr, "afterburn-as: out of memory\n");
				exit(2);
			}
		}
		b->stack[b->nstack].cur = b->cur;
		b->stack[b->nstack].prev = b->prev;
		b->nstack++;
		parse_section(b, args, end, &s);
		set_section(b, &s);
		break;
	case D_POPSECTION:
		if (b->nstack > 0) {   /* else gas reports it */
			b->nstack--;
			b->cur = b->stack[b->nstack].cur;
			b->prev = b->stack[b->nstack].prev;
		}
		break;
	case D_PREVIOUS:
		s = b->cur;
		b->cur = b->prev;
		b->prev = s;
		break;
	case D_CODE16:
		b->syn.code_bits = 16;
		break;
	case D_CODE32:
		b->syn.code_bits = 32;
		break;
	case D_CODE64:
		b->syn.code_bits = 64;
		break;
	case D_INTEL_SYNTAX: {
		b->syn.intel = true;
		const char *p = skip_ws(args, end);
		b->syn.naked_regs = !(end - p >= 6 && !strncasecmp(p, "prefix", 6));
		break;
	}
	case D_ATT_SYNTAX: {
		b->syn.intel = false;
		const char *p = skip_ws(args, end);
		b->syn.naked_regs = end - p >= 8 && !strncasecmp(p, "noprefix", 8);
		break;
	}
	case D_ENDM:
	case D_BYTE:
		break;
	}
}

/* ---------------------------------------------------------------- sites */

/*
 * The directives of a site after its instruction, joined by SEP: the pad
 * (PAD bytes at least, never below the instruction's own length) and the
 * 8-byte record.  S, P and E refer to the labels at the instruction's
 * start, the pad and the end; PDEF and EDEF define the last two.  gas's
 * .nops picks 32-bit NOP forms even in .code16, so 16-bit code is padded
 * with 0x90 instead.
 */
#define PAD_LEFT(PAD, S, P) "((" PAD ")-(" P "-" S "))"
#define SITE_PAD(PAD, S, P, PDEF, SEP) \
	PDEF ": .nops -((" PAD_LEFT(PAD, S, P) ">0)*" PAD_LEFT(PAD, S, P) ")" SEP
#define SITE_PAD16(PAD, S, P, PDEF, SEP)                                    \
	PDEF ":" SEP ".if " PAD_LEFT(PAD, S, P) " > 0" SEP                  \
	".skip " PAD_LEFT(PAD, S, P) ",0x90" SEP ".endif" SEP
#define SITE_RECORD_HEAD(EDEF, SEP) EDEF ":" SEP
#define SITE_SECTION       ".pushsection " AFTERBURN_SECTION ",\"a\",@progbits"
#define SITE_SECTION_GROUP ".pushsection " AFTERBURN_SECTION ",\"aG\",@progbits,"
#define SITE_RECORD_TAIL(KIND, S, P, E, SEP)                                \
	".balign 4" SEP ".long " S "-." SEP ".byte " E "-" S SEP            \
	".byte " P "-" S SEP ".short " KIND SEP ".popsection"

/* A spelled-out site's labels: .L__ab<n>s, p and e, unique in the file.
 * gas resolves such names faster than the numeric labels of the macros
 * (which it renames at every use): about 13,000 instructions less per
 * site.  The text is a template: SPELL_N, SPELL_PAD, SPELL_KIND and
 * SPELL_GROUP stand for the site's number, pad, kind and group (a
 * positional printf would cost more than the site saves in gas). */
#define SPELL_N     "\001"
#define SPELL_PAD   "\002"
#define SPELL_KIND  "\003"
#define SPELL_GROUP "\004"
#define SPELLED_S ".L__ab" SPELL_N "s"
#define SPELLED_P ".L__ab" SPELL_N "p"
#define SPELLED_E ".L__ab" SPELL_N "e"
#define SPELLED_PAD_AND_HEAD \
	" ; " SITE_PAD(SPELL_PAD, SPELLED_S, SPELLED_P, SPELLED_P, " ; ") SITE_RECORD_HEAD(SPELLED_E, " ; ")
static const char spelled_head[] = SPELLED_S ": ";
static const char spelled_tail[] =
	SPELLED_PAD_AND_HEAD SITE_SECTION " ; "
	SITE_RECORD_TAIL(SPELL_KIND, SPELLED_S, SPELLED_P, SPELLED_E, " ; ");
static const char spelled_tail_group[] =
	SPELLED_PAD_AND_HEAD SITE_SECTION_GROUP SPELL_GROUP ",comdat ; "
	SITE_RECORD_TAIL(SPELL_KIND, SPELLED_S, SPELLED_P, SPELLED_E, " ; ");

static char *put_number(char *o, const char *e, unsigned v)
{
	char d[12];
	int k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (k && o < e)
		*o++ = d[--k];
	return o;
}

/* Expand a spelled-out template into out[size] (truncated, terminated). */
static void spell(char *out, size_t size, const char *tmpl, unsigned n, unsigned pad,
		  unsigned kind, const char *group)
{
	static const char placeholders[] = SPELL_N SPELL_PAD SPELL_KIND SPELL_GROUP;
	char *o = out;
	const char *e = out + size - 1;
	for (const char *t = tmpl; *t && o < e; t++) {
		size_t lit = strcspn(t, placeholders);
		if (lit > (size_t)(e - o))
			lit = (size_t)(e - o);
		memcpy(o, t, lit);
		o += lit;
		t += lit;
		if (!*t || o == e)
			break;
		if (*t == *SPELL_N)
			o = put_number(o, e, n);
		else if (*t == *SPELL_PAD)
			o = put_number(o, e, pad);
		else if (*t == *SPELL_KIND)
			o = put_number(o, e, kind);
		else
			for (const char *v = group; *v && o < e; v++)
				*o++ = *v;
	}
	*o = 0;
}

/*
 * A site's labels and tail, around its instruction on the same line.
 * Where it can, the record is spelled out
 * (".L__ab<n>s: <insn> ; .L__ab<n>p: .nops ... ; .popsection"): gas reads
 * that faster than a macro call, and a file whose sites are all spelled
 * out needs no macro definitions at all.  A call of the prelude's
 * __afterburn_site ("77101: <insn> ; __afterburn_site PAD,KIND[,GROUP]")
 * where the text must not hold quotes or names of its own: inside a
 * string (a macro argument), inside .macro/.irp/.rept bodies (expanded
 * more than once; altmacro expansion replaces words that are parameter
 * names), and in 16-bit code (rare: boot code).
 */
static void site_text(struct burner *b, char *head, size_t head_size, char *tail,
		      size_t size, const struct x86_kind_info *ki, const char *group,
		      bool spell_out)
{
	bool skip_pad = b->syn.code_bits == 16 || b->nops_unsafe;
	if (spell_out && !skip_pad && !b->macro_depth && !b->nirps) {
		unsigned n = b->spelled_sites++;
		bool grouped = group && *group;
		spell(head, head_size, spelled_head, n, ki->pad, ki->id, "");
		spell(tail, size, grouped ? spelled_tail_group : spelled_tail, n, ki->pad, ki->id,
		      grouped ? group : "");
		return;
	}
	b->site_macro_used = true;
	snprintf(head, head_size, L_START ": ");
	const char *macro = skip_pad ? X86_BURN_SITE_MACRO "16" : X86_BURN_SITE_MACRO;
	if (group && *group)
		snprintf(tail, size, " ; %s %d,%d,%s", macro, ki->pad, ki->id, group);
	else
		snprintf(tail, size, " ; %s %d,%d", macro, ki->pad, ki->id);
}

static void emit_site(struct burner *b, struct strbuf *out, size_t insn_at,
		      size_t end_at, int kind, bool exec, const char *section,
		      const char *group, bool spell_out)
{
	const struct x86_kind_info *ki = x86_kind_info(kind);
	if (!ki)
		return;
	b->stats->sites[kind]++;
	if ((ki->flags & X86_K_COUNT) && !b->cfg->burn_rdtsc)
		return;
	if (!exec) {
		b->stats->outside_exec++;
		diag(b, "warning", "afterburn: %s in non-executable section %s is not annotated",
		     ki->name, section);
		return;
	}
	char head[32], tail[2 * NAME_MAX_LEN + 512];
	site_text(b, head, sizeof(head), tail, sizeof(tail), ki, group, spell_out);
	/* end first: it lies after insn_at */
	sb_insert(out, end_at, tail);
	sb_insert(out, insn_at, head);
}

static void burn_text(struct burner *b, const char *line, size_t len,
		      struct strbuf *out, bool macro_arg);

/* A macro invocation: burn the quoted arguments that hold instructions
 * (ALTERNATIVE "pushf; pop %rax", "...", feature). */
static void burn_macro_args(struct burner *b, const char *p, const char *end,
			    struct strbuf *out)
{
	while (p < end) {
		if (*p != '"') {
			sb_add(out, p, 1);
			p++;
			continue;
		}
		const char *q = skip_string(p, end);
		sb_add(out, "\"", 1);
		size_t inner = (size_t)(q - p) >= 2 ? (size_t)(q - p) - 2 : 0;
		burn_text(b, p + 1, inner, out, true);
		if (q[-1] == '"' && q - p >= 2)
			sb_add(out, "\"", 1);
		p = q;
	}
}

/* Does text mention \param (as gas substitutes it)? */
static bool mentions_param(const char *t, size_t n, const char *param)
{
	size_t pl = strlen(param);
	if (!pl)
		return false;
	for (size_t i = 0; i + 1 + pl <= n; i++)
		if (t[i] == '\\' && !strncmp(t + i + 1, param, pl) &&
		    (i + 1 + pl == n || !is_ident_char(t[i + 1 + pl])))
			return true;
	return false;
}

static void substitute_param(struct strbuf *sb, const char *t, size_t n,
			     const char *param, const char *value)
{
	size_t pl = strlen(param);
	for (size_t i = 0; i < n;) {
		if (t[i] == '\\' && i + 1 + pl <= n && !strncmp(t + i + 1, param, pl) &&
		    (i + 1 + pl == n || !is_ident_char(t[i + 1 + pl]))) {
			sb_adds(sb, value);
			i += 1 + pl;
			if (i + 3 <= n && !strncmp(t + i, "\\()", 3))
				i += 3;
		} else {
			sb_add(sb, t + i, 1);
			i++;
		}
	}
}

/*
 * A statement inside .irp/.irpc that uses the block's parameter
 * (`mov %\seg, %eax`): classify every expansion.  Returns the kind when
 * all expansions agree (the caller emits one site), 0 when none is
 * sensitive, -1 after replacing the statement (out[from,to)) by one
 * `.ifc \param,value` arm per value.
 */
static int irp_site(struct burner *b, const char *stmt, size_t n,
		    struct strbuf *out, size_t from, size_t to)
{
	struct irp *r = NULL;
	for (size_t i = b->nirps; i-- > 0;)
		if (b->irps[i].nvalues && mentions_param(stmt, n, b->irps[i].param)) {
			r = &b->irps[i];
			break;
		}
	if (!r)
		return 0;
	int kinds[IRP_MAX_VALUES];
	bool all_same = true, any = false;
	for (int v = 0; v < r->nvalues; v++) {
		struct strbuf sb = { 0 };
		substitute_param(&sb, stmt, n, r->param, r->values[v]);
		const char *err = NULL;
		struct x86_stmt_syntax syn = b->syn;
		kinds[v] = sb.len ? x86_classify_statement(sb.s, sb.len, &syn, &err) : 0;
		free(sb.s);
		any |= kinds[v] != 0;
		all_same &= kinds[v] == kinds[0];
	}
	if (!any)
		return 0;
	if (all_same)
		return kinds[0];
	struct strbuf chain = { 0 };
	for (int v = 0; v < r->nvalues; v++) {
		char head[200];
		snprintf(head, sizeof(head), "%s.ifc \"\\%s\",\"%s\" ; ", v ? " ; " : "",
			 r->param, r->values[v]);
		sb_adds(&chain, head);
		const struct x86_kind_info *ki = kinds[v] ? x86_kind_info(kinds[v]) : NULL;
		if (ki && !((ki->flags & X86_K_COUNT) && !b->cfg->burn_rdtsc)) {
			char head[32], tail[NAME_MAX_LEN + 64];
			site_text(b, head, sizeof(head), tail, sizeof(tail), ki, b->cur.group, false);
			sb_adds(&chain, head);
			sb_add(&chain, stmt, n);
			sb_adds(&chain, tail);
		} else {
			sb_add(&chain, stmt, n);
		}
		if (kinds[v])
			b->stats->sites[kinds[v]]++;
		sb_adds(&chain, " ; .endif");
	}
	sb_reserve(out, chain.len);
	memmove(out->s + from + chain.len, out->s + to, out->len - to);
	memcpy(out->s + from, chain.s, chain.len);
	out->len = out->len - (to - from) + chain.len;
	out->s[out->len] = 0;
	free(chain.s);
	return -1;
}

/* Replace out[from, to) by text; shift every remembered offset behind. */
static void replace_range(struct burner *b, size_t from, size_t to, const char *text, size_t n)
{
	struct strbuf *out = &b->out;
	sb_reserve(out, n);
	memmove(out->s + from + n, out->s + to, out->len - to);
	memcpy(out->s + from, text, n);
	out->len = out->len - (to - from) + n;
	out->s[out->len] = 0;
	long delta = (long)n - (long)(to - from);
	for (size_t i = 0; i < b->nmacros; i++)
		for (size_t k = 0; k < b->macros[i].nstmts; k++) {
			struct body_stmt *st = &b->macros[i].stmts[k];
			if (st->start >= to) {   /* statements never overlap */
				st->start = (size_t)((long)st->start + delta);
				st->end = (size_t)((long)st->end + delta);
			}
		}
	if (b->pending_prefix >= (long)to)
		b->pending_prefix += delta;
}

/* Rewrite a remembered body statement into one arm per known value. */
static void rebuild_body_stmt(struct burner *b, struct macro_def *m, struct body_stmt *st)
{
	struct strbuf t = { 0 };
	for (int v = 0; v < st->nvalues; v++) {
		char arm[200], head[32], tail[NAME_MAX_LEN + 64];
		site_text(b, head, sizeof(head), tail, sizeof(tail), x86_kind_info(st->kinds[v]),
			  NULL, false);
		snprintf(arm, sizeof(arm), ".ifc \"\\%s\",\"%s\" ; %s", m->params[st->param],
			 st->values[v], head);
		sb_adds(&t, arm);
		sb_adds(&t, st->text);
		sb_adds(&t, tail);
		sb_adds(&t, " ; .else ; ");
	}
	sb_adds(&t, st->text);
	for (int v = 0; v < st->nvalues; v++)
		sb_adds(&t, " ; .endif");
	replace_range(b, st->start, st->end, t.s, t.len);
	st->end = st->start + t.len;
	free(t.s);
}

/* A macro invocation: split the arguments (commas, else blanks). */
struct macro_args {
	int n;
	char names[MACRO_MAX_PARAMS][64];   /* keyword form name=value */
	char values[MACRO_MAX_PARAMS][64];
	bool quoted[MACRO_MAX_PARAMS];
};

static void split_macro_args(const char *p, const char *end, struct macro_args *a)
{
	memset(a, 0, sizeof(*a));
	bool commas = false;
	for (const char *q = p; q < end; q++) {
		if (*q == '"')
			q = skip_string(q, end) - 1;
		else if (*q == ',')
			commas = true;
	}
	while (p < end && a->n < MACRO_MAX_PARAMS) {
		p = skip_ws(p, end);
		if (p == end)
			break;
		const char *v = p;
		int depth = 0;
		while (p < end) {
			if (*p == '"') {
				p = skip_string(p, end);
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')' && depth)
				depth--;
			else if (depth == 0 && (commas ? *p == ',' : isspace((unsigned char)*p)))
				break;
			p++;
		}
		const char *ve = p;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		const char *eq = ve > v ? memchr(v, '=', (size_t)(ve - v)) : NULL;
		if (eq && eq > v && is_ident_char(*v)) {
			size_t nn = (size_t)(eq - v) < 63 ? (size_t)(eq - v) : 63;
			memcpy(a->names[a->n], v, nn);
			v = eq + 1;
		}
		if (v < ve && *v == '"') {
			a->quoted[a->n] = true;
			v++;
			if (ve > v && ve[-1] == '"')
				ve--;
		}
		size_t n = (size_t)(ve - v) < 63 ? (size_t)(ve - v) : 63;
		memcpy(a->values[a->n], v, n);
		a->values[a->n][n] = 0;
		a->n++;
		if (p < end && *p == ',')
			p++;
	}
}

/* Apply an invocation's arguments to the macro's remembered statements. */
static void patch_macro_body(struct burner *b, struct macro_def *m, const char *args,
			     const char *end)
{
	if (!m->nstmts)
		return;
	struct macro_args a;
	split_macro_args(args, end, &a);
	char values[MACRO_MAX_PARAMS][64];
	bool quoted[MACRO_MAX_PARAMS] = { 0 };
	for (int i = 0; i < m->nparams; i++)
		strcpy(values[i], m->defaults[i]);
	int pos = 0;
	for (int k = 0; k < a.n; k++) {
		int i = -1;
		if (a.names[k][0]) {
			for (int j = 0; j < m->nparams; j++)
				if (!strcmp(m->params[j], a.names[k]))
					i = j;
		} else {
			i = pos++;
		}
		if (i < 0 || i >= m->nparams)
			continue;
		strcpy(values[i], a.values[k]);
		quoted[i] = a.quoted[k];
	}
	for (size_t k = 0; k < m->nstmts; k++) {
		struct body_stmt *st = &m->stmts[k];
		if (quoted[st->param]) {
			/* quoted values are burnt inside their string, whose
			 * `;` would break an .ifc arm: no arms for this one */
			if (st->nvalues) {
				diag(b, "warning", "afterburn: macro %s: \\%s is passed both quoted and "
				     "unquoted; the unquoted uses are not annotated",
				     m->name, m->params[st->param]);
				st->nvalues = 0;
				rebuild_body_stmt(b, m, st);
			}
			st->no_arms = true;
			continue;
		}
		if (st->no_arms || !values[st->param][0] ||
		    strpbrk(values[st->param], ", \t\"\\;"))
			continue;
		struct strbuf cur = { 0 };
		sb_adds(&cur, st->text);
		for (int i = 0; i < m->nparams; i++) {
			struct strbuf next = { 0 };
			substitute_param(&next, cur.s, cur.len, m->params[i], values[i]);
			free(cur.s);
			cur = next;
			if (!cur.s)
				break;
		}
		const char *err = NULL;
		struct x86_stmt_syntax syn = b->syn;
		int kind = cur.s ? x86_classify_statement(cur.s, cur.len, &syn, &err) : 0;
		free(cur.s);
		if (!kind)
			continue;
		b->stats->sites[kind]++;
		const struct x86_kind_info *ki = x86_kind_info(kind);
		if (!ki || ((ki->flags & X86_K_COUNT) && !b->cfg->burn_rdtsc))
			continue;
		bool known = false;
		for (int v = 0; v < st->nvalues; v++)
			known |= !strcmp(st->values[v], values[st->param]);
		if (known)
			continue;
		if (st->nvalues == MACRO_MAX_VALUES) {
			diag(b, "error", "afterburn: macro %s: more than %d sensitive values of \\%s",
			     m->name, MACRO_MAX_VALUES, m->params[st->param]);
			b->errors++;
			continue;
		}
		strcpy(st->values[st->nvalues], values[st->param]);
		st->kinds[st->nvalues++] = kind;
		rebuild_body_stmt(b, m, st);
	}
}

/* In a .macro body: remember a statement that uses a parameter. */
static void remember_body_stmt(struct burner *b, const char *text, size_t n,
			       size_t start, size_t end)
{
	struct macro_def *m = b->defining;
	int param = -1;
	for (int i = 0; i < m->nparams && param < 0; i++)
		if (mentions_param(text, n, m->params[i]))
			param = i;
	if (param < 0)
		return;
	if (m->nstmts == m->capstmts) {
		m->capstmts = m->capstmts ? 2 * m->capstmts : 8;
		m->stmts = xrealloc(m->stmts, m->capstmts * sizeof(*m->stmts));
	}
	struct body_stmt *st = &m->stmts[m->nstmts++];
	memset(st, 0, sizeof(*st));
	st->start = start;
	st->end = end;
	st->param = param;
	st->text = xrealloc(NULL, n + 1);
	memcpy(st->text, text, n);
	st->text[n] = 0;
}

/*
 * .afterburn.mode ranges (annotation.h): a range opens (a label after the
 * directive) when code is assembled in another mode than the default in
 * an executable section, and closes (a label and the range's record,
 * before the directive) at the next change of mode or section and at the
 * end of the input.  Not inside .macro/.irp/.rept bodies, whose labels
 * would be defined once per expansion.
 */
static bool mode_state_directive(const struct dir_info *d)
{
	return d && d->cls == DIR_SWITCH && d->id != D_INTEL_SYNTAX && d->id != D_ATT_SYNTAX;
}

static void mode_close_text(struct burner *b, char *buf, size_t size)
{
	unsigned n = b->mode_ranges++;
	bool grouped = *b->mode_group;
	snprintf(buf, size,
		 ".L__abm%ue: ; .pushsection " AFTERBURN_MODE_SECTION ",\"%s\",@progbits%s%s%s ; "
		 ".balign 4 ; %s .L__abm%us%s ; .long .L__abm%ue-.L__abm%us ; .short %d,0 ; "
		 ".popsection ; ",
		 n, grouped ? "G" : "", grouped ? "," : "", b->mode_group, grouped ? ",comdat" : "",
		 b->default_bits == 64 ? ".quad" : ".long", n, b->default_bits == 64 ? "" : ",0",
		 n, n, b->mode_bits);
	b->mode_open = false;
}

static bool mode_wants_open(const struct burner *b)
{
	return b->syn.code_bits != b->default_bits && b->cur.exec;
}

static void mode_open_text(struct burner *b, char *buf, size_t size)
{
	snprintf(buf, size, " ; .L__abm%us:", b->mode_ranges);
	b->mode_open = true;
	b->mode_bits = b->syn.code_bits;
	snprintf(b->mode_group, sizeof(b->mode_group), "%s", b->cur.group);
}

/* One statement: st..se (excluding the separator), from a line whose
 * comment-free copy is `clean` (same offsets as `line`). */
static void statement(struct burner *b, const char *line, const char *clean,
		      size_t st, size_t se, struct strbuf *out, size_t out_base,
		      bool macro_arg)
{
	const char *cend = clean + se;
	const char *body = skip_labels(clean + st, cend);
	if (body == cend)
		return;
	b->saw_content = true;
	const char *w = body;
	const char *we = word_end(w, cend);
	size_t wn = (size_t)(we - w);
	size_t body_off = (size_t)(body - clean);

	if (wn && *w == '.' && !word_is(w, wn, ".byte")) {
		b->pending_prefix = -1;
		if (macro_arg)
			return;
		bool track = !b->macro_depth && !b->nirps &&
			     mode_state_directive(state_directive(w, wn));
		char text[2 * NAME_MAX_LEN + 256];
		size_t shift = 0;
		if (track && b->mode_open) {
			mode_close_text(b, text, sizeof(text));
			sb_insert(out, out_base + body_off, text);
			shift = strlen(text);
		}
		directive(b, w, wn, we, cend);
		if (track && mode_wants_open(b)) {
			size_t e = se;
			while (e > st && isspace((unsigned char)clean[e - 1]))
				e--;
			mode_open_text(b, text, sizeof(text));
			sb_insert(out, out_base + e + shift, text);
		}
		return;
	}
	struct macro_def *invoked = wn && !macro_arg ? find_macro(b, w, wn) : NULL;
	if (invoked && invoked != b->defining) {
		/* rewrite the quoted arguments of a user macro */
		b->pending_prefix = -1;
		size_t e = se;
		while (e > body_off && isspace((unsigned char)clean[e - 1]))
			e--;
		struct strbuf args = { 0 };
		burn_macro_args(b, line + body_off + wn, line + e, &args);
		struct strbuf raw = { 0 };   /* the arguments as written */
		sb_add(&raw, line + body_off + wn, e - body_off - wn);
		size_t from = out_base + body_off + wn, to = out_base + e;
		size_t old_len = to - from;
		if (args.len) {
			sb_reserve(out, args.len);
			memmove(out->s + from + args.len, out->s + to, out->len - to);
			memcpy(out->s + from, args.s, args.len);
			out->len = out->len - old_len + args.len;
			out->s[out->len] = 0;
		}
		free(args.s);
		if (b->macro_depth == 0 && raw.s)
			patch_macro_body(b, invoked, raw.s, raw.s + raw.len);
		free(raw.s);
		return;
	}
	const char *err = NULL;
	struct x86_stmt_syntax syn = b->syn;
	int kind = x86_classify_statement(body, (size_t)(cend - body), &syn, &err);
	if (err) {
		diag(b, "error", "%s", err);
		b->errors++;
		return;
	}
	if (!kind && b->nirps && memchr(body, '\\', (size_t)(cend - body)) &&
	    (macro_arg || b->cur.exec)) {
		size_t e = se;
		while (e > st && isspace((unsigned char)clean[e - 1]))
			e--;
		kind = irp_site(b, line + body_off, e - body_off, out,
				out_base + body_off, out_base + e);
		if (kind < 0) {
			b->pending_prefix = -1;
			return;   /* replaced by a per-value chain */
		}
	}
	if (!kind && b->macro_depth == 1 && b->defining && !macro_arg &&
	    memchr(body, '\\', (size_t)(cend - body))) {
		size_t e = se;
		while (e > st && isspace((unsigned char)clean[e - 1]))
			e--;
		remember_body_stmt(b, line + body_off, e - body_off, out_base + body_off,
				   out_base + e);
	}
	if (!kind) {
		/* a prefix-only statement (rep; insb) belongs to the next one */
		bool prefix_only = wn > 0;
		for (const char *p = w; p < cend && prefix_only;) {
			const char *e = word_end(p, cend);
			if (e == p) {
				prefix_only = false;
				break;
			}
			prefix_only = is_prefix_only_word(p, (size_t)(e - p));
			p = skip_ws(e, cend);
		}
		b->pending_prefix = prefix_only ? (long)(out_base + body_off) : -1;
		return;
	}
	/* a .byte directive names the bytes of code only in code */
	bool is_bytes = word_is(w, wn, ".byte");
	bool exec = macro_arg || b->cur.exec;
	if (is_bytes && !exec) {
		b->pending_prefix = -1;
		return;
	}
	size_t insn_at = b->pending_prefix >= 0 ? (size_t)b->pending_prefix
						: out_base + body_off;
	b->pending_prefix = -1;
	/* the statement ends before trailing blanks */
	size_t e = se;
	while (e > st && isspace((unsigned char)clean[e - 1]))
		e--;
	emit_site(b, out, insn_at, out_base + e, kind, exec, b->cur.name,
		  macro_arg ? NULL : b->cur.group, !macro_arg);
}

/*
 * Burn one line (no newline) into out.  Splits statements at ';' outside
 * strings and comments; '#' comments run to the end of the line, C
 * comments may span lines (b->in_comment).
 */
static void burn_text(struct burner *b, const char *line, size_t len,
		      struct strbuf *out, bool macro_arg)
{
	size_t out_base = out->len;
	sb_add(out, line, len);
	char stackbuf[1024];
	char *clean = len < sizeof(stackbuf) ? stackbuf : malloc(len + 1);
	if (!clean) {
		fprintf(stderr, "afterburn-as: out of memory\n");
		exit(2);
	}
	memcpy(clean, line, len);
	clean[len] = 0;

	/* Blank out comments (same offsets) and hand each statement over as
	 * soon as its ';' is found: statements run in order (section state,
	 * prefixes); `growth` shifts offsets by what earlier ones inserted. */
	size_t i = 0, st = 0, growth = 0;
	bool in_comment = macro_arg ? false : b->in_comment;
	while (i < len) {
		if (in_comment) {
			if (clean[i] == '*' && i + 1 < len && clean[i + 1] == '/') {
				clean[i] = clean[i + 1] = ' ';
				i += 2;
				in_comment = false;
			} else {
				clean[i++] = ' ';
			}
			continue;
		}
		char c = clean[i];
		if (c == '"') {
			const char *q = skip_string(clean + i, clean + len);
			i = (size_t)(q - clean);
		} else if (c == '\'' && i + 1 < len) {
			/* character constant 'c or '\c (optionally closed) */
			i += clean[i + 1] == '\\' ? 3 : 2;
			if (i < len && clean[i] == '\'')
				i++;
			if (i > len)
				i = len;
		} else if (c == '/' && i + 1 < len && clean[i + 1] == '*') {
			clean[i] = clean[i + 1] = ' ';
			i += 2;
			in_comment = true;
		} else if (c == '#') {
			memset(clean + i, ' ', len - i);
			i = len;
		} else if (c == ';') {
			size_t before = out->len;
			statement(b, line, clean, st, i, out, out_base + growth, macro_arg);
			growth += out->len - before;
			st = ++i;
		} else {
			i++;
		}
	}
	if (!macro_arg)
		b->in_comment = in_comment;
	statement(b, line, clean, st, len, out, out_base + growth, macro_arg);
	if (clean != stackbuf)
		free(clean);
}

/* ------------------------------------------------------------ fast path */

/* Characters after which a line needs the full statement parser: strings
 * and character constants, comments, statement separators, macro
 * parameters, pseudo prefixes; and the newline, for one strcspn per line
 * (the input is NUL-terminated). */
static const char slow_chars_and_newline[] = "\"'/;\\#{\n";

/* Whether every slow character in [p, end) is inside a closed "string". */
static bool slow_chars_only_in_strings(const char *p, const char *end)
{
	static bool slow[256], built;
	if (!built) {
		for (const char *c = slow_chars_and_newline; *c; c++)
			slow[(unsigned char)*c] = *c != '\n';
		built = true;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && ++p == end)
					return false;
			if (p == end)
				return false;   /* not closed */
		} else if (slow[(unsigned char)*p]) {
			return false;
		}
	}
	return true;
}

/*
 * Most lines of compiler output are one plain statement (after optional
 * labels): a directive that changes no burner state, or an instruction
 * that cannot be sensitive; or a `#` comment, or labels alone.  Such a
 * line is copied as it is, which is what burn_text would do with it, at a
 * fraction of the cost; so is a directive whose strings hold the only
 * characters of slow_chars_and_newline (slow_chars: the line holds one).
 * A directive that only switches state is handed to directive() here.
 * Anything else (C comments, ';', macros and their bodies, the other
 * state directives, prefixes, instructions the classifier might claim)
 * returns false: burn_text.
 */
static bool plain_line(struct burner *b, const char *p, const char *end, bool slow_chars)
{
	if (b->in_comment || b->macro_depth || b->pending_prefix >= 0)
		return false;
	const char *w = skip_ws(p, end);
	if (w < end && *w == '#')
		return true;   /* a comment line (`#APP`...): no content */
	const char *we = word_end(w, end);
	if (slow_chars && !(w < we && *w == '.' && we < end && (*we == ' ' || *we == '\t') &&
			    slow_chars_only_in_strings(we, end)))
		return false;
	if (we < end && *we == ':') {
		if (we + 1 < end && we[1] == ':')
			return false;   /* "::" is no label */
		w = skip_labels(we + 1, end);   /* the first label is read */
		we = word_end(w, end);
	}
	if (w == end)
		return true;   /* blank or labels only: no content */
	size_t wn = (size_t)(we - w);
	if (wn == 0 || (we < end && *we == ':'))
		return false;
	if (b->nmacros && find_macro(b, w, wn))
		return false;   /* gas lets a macro take a directive's name */
	if (*w == '.') {
		const struct dir_info *d = state_directive(w, wn);
		if (d && d->id == D_BYTE) {
			/* data (DWARF is mostly .byte): plain unless it spells
			 * an instruction or cannot be decided */
			const char *err = NULL;
			struct x86_stmt_syntax syn = b->syn;
			if (!x86_statement_surely_plain(w, (size_t)(end - w), &b->syn) &&
			    (x86_classify_statement(w, (size_t)(end - w), &syn, &err) || err))
				return false;
		} else if (d && d->cls == DIR_FULL) {
			return false;
		} else if (d) {
			/* a change of mode or section that opens or closes an
			 * .afterburn.mode range adds text: statement() does it */
			if (mode_state_directive(d) && !b->macro_depth && !b->nirps &&
			    (b->mode_open || b->syn.code_bits != b->default_bits ||
			     d->id == D_CODE16 || d->id == D_CODE32 || d->id == D_CODE64))
				return false;
			directive(b, w, wn, we, end);   /* what statement() would do */
		}
	} else if (!x86_word_surely_plain(w, wn, end, (size_t)(b->text_end - w), &b->syn)) {
		return false;
	}
	b->saw_content = true;
	return true;
}

/* `# N "file" flags` marker at the start of a line: next line is N. */
static bool line_marker(struct burner *b, const char *p, const char *end)
{
	p++;
	p = skip_ws(p, end);
	if (p == end || !isdigit((unsigned char)*p))
		return false;
	long n = strtol(p, NULL, 10);
	while (p < end && isdigit((unsigned char)*p))
		p++;
	p = skip_ws(p, end);
	if (p < end && *p == '"') {
		const char *q = skip_string(p, end);
		size_t len = (size_t)(q - p) >= 2 ? (size_t)(q - p) - 2 : 0;
		copy_name(b->file, p + 1, len);
	}
	b->line = n - 1;   /* incremented for the next line */
	return true;
}

/* The site macros, defined at the top of the output when a site calls
 * one (site_text); numeric labels, as each expansion needs its own. */
#define SITE_RECORD                                                          \
	SITE_RECORD_HEAD(L_END, "\n")                                        \
	".ifb \\group\n" SITE_SECTION "\n"                                  \
	".else\n" SITE_SECTION_GROUP "\\group,comdat\n"                      \
	".endif\n"                                                           \
	SITE_RECORD_TAIL("\\kind", L_START "b", L_PAD "b", L_END "b", "\n") "\n" \
	".endm\n"

static const char prelude[] =
	".macro " X86_BURN_SITE_MACRO " pad:req, kind:req, group\n"
	SITE_PAD("\\pad", L_START "b", L_PAD "b", L_PAD, "\n")
	SITE_RECORD
	".macro " X86_BURN_SITE_MACRO "16 pad:req, kind:req, group\n"
	SITE_PAD16("\\pad", L_START "b", L_PAD "b", L_PAD, "\n")
	SITE_RECORD;

static void emit_note(struct burner *b)
{
	char note[1024];
	int arch = b->cfg->code_bits == 64 ? AFTERBURN_ARCH_X86_64 : AFTERBURN_ARCH_I386;
	unsigned flags = b->cfg->burn_rdtsc ? AFTERBURN_NOTE_F_RDTSC_PADDED : 0;
	snprintf(note, sizeof(note),
		 ".pushsection " AFTERBURN_NOTE_SECTION ",\"aG\",@note," AFTERBURN_NOTE_COMDAT ",comdat\n"
		 ".balign 4\n"
		 ".long %zu, 12, %d\n"
		 ".asciz \"" AFTERBURN_NOTE_NAME "\"\n"
		 ".balign 4\n"
		 ".long %d\n"
		 ".short %d, %d\n"
		 ".long %u\n"
		 ".balign 4\n"
		 ".popsection\n",
		 sizeof(AFTERBURN_NOTE_NAME), AFTERBURN_NOTE_ABI,
		 AFTERBURN_ABI_VERSION, arch, AFTERBURN_RECORD_SIZE, flags);
	sb_adds(&b->out, note);
}

/* Whether `.code16` (any case, also .code16gcc) occurs in the text. */
static bool mentions_code16(const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	while ((p = memchr(p, '.', (size_t)(end - p))) && end - p >= 7) {
		if ((p[1] | 0x20) == 'c' && !strncasecmp(p + 1, "code16", 6))
			return true;
		p++;
	}
	return false;
}

int x86_burn(const struct burn_input *in, FILE *out,
	     const struct burn_config *cfg, struct burn_stats *stats)
{
	struct burner b;
	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.stats = stats;
	copy_name(b.file, in->name, strlen(in->name));
	b.syn.code_bits = cfg->code_bits ? cfg->code_bits : 64;
	b.default_bits = b.syn.code_bits;
	b.nops_unsafe = b.default_bits != 16 && mentions_code16(in->text, in->len);
	b.syn.intel = cfg->intel_syntax;
	b.syn.naked_regs = cfg->naked_regs;
	strcpy(b.cur.name, ".text");
	b.cur.exec = true;
	b.prev = b.cur;
	b.pending_prefix = -1;

	/* room for the input and its sites up front: no copies while growing,
	 * and the pages faulted in with one call rather than one fault each */
	sb_reserve(&b.out, sizeof(prelude) + in->len + in->len / 8 + 4096);
	prefault(b.out.s, b.out.cap);
	const char *p = in->text, *end = in->text + in->len;
	const char *run = p;   /* verbatim lines not yet copied: one copy */
	b.text_end = end;
	b.line = 0;
	while (p < end) {
		/* the line's end and whether it holds a slow character, in
		 * one vectorised scan (a NUL inside the line stops it early:
		 * then the line counts as slow) */
		const char *q = p + strcspn(p, slow_chars_and_newline);
		const char *nl = q < end && *q == '\n' ? q : memchr(q, '\n', (size_t)(end - q));
		const char *le = nl ? nl : end;
		bool slow_chars = q < le;
		b.line++;
		bool verbatim =
			(!b.in_comment && p < le && *p == '#' && line_marker(&b, p, le)) ||
			(!b.in_comment && p < le && *p == '/' &&
			 !(le - p > 1 && p[1] == '*')) ||   /* '/' line comment */
			(!cfg->full_parse && plain_line(&b, p, le, slow_chars));
		if (!verbatim) {
			/* the output is complete up to this line before it is
			 * burnt: burn_text keeps offsets into it */
			sb_add(&b.out, run, (size_t)(p - run));
			burn_text(&b, p, (size_t)(le - p), &b.out, false);
			sb_add(&b.out, "\n", 1);
			run = nl ? nl + 1 : end;
		}
		p = nl ? nl + 1 : end;
	}
	sb_add(&b.out, run, (size_t)(end - run));
	if (run < end && end[-1] != '\n')
		sb_add(&b.out, "\n", 1);   /* every line ends in one */
	if (b.mode_open) {
		char text[2 * NAME_MAX_LEN + 256];
		mode_close_text(&b, text, sizeof(text));
		sb_adds(&b.out, text);
		sb_add(&b.out, "\n", 1);
	}
	if (b.saw_content)
		emit_note(&b);
	if (b.site_macro_used)
		sb_insert(&b.out, 0, prelude);
	int rc = 0;
	if (b.errors) {
		rc = 1;
	} else if (cfg->output) {
		*cfg->output = b.out.s;   /* NUL-terminated by strbuf */
		*cfg->output_len = b.out.len;
		b.out.s = NULL;
	} else if (fwrite(b.out.s, 1, b.out.len, out) != b.out.len) {
		fprintf(stderr, "afterburn-as: write error\n");
		rc = 1;
	}
	free(b.out.s);
	free(b.stack);
	free(b.known);
	for (size_t i = 0; i < b.nmacros; i++)
		free_macro(&b.macros[i]);
	free(b.macros);
	return rc;
}
