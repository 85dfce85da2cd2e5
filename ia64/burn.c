// SPDX-License-Identifier: BSD-2-Clause
/*
 * IA-64 front end of afterburn-as: finds the sensitive instructions of
 * ia64/sensitive.def in IA-64 gas source and burns them.
 *
 *   pad mode:   each instruction goes alone into an explicit bundle,
 *               followed by one bundle of nops, with stops before and after
 *               (extra stops never change the meaning of valid instruction
 *               groups); the site is recorded in .afterburn with .xdata
 *               directives, which add to a section without switching to it
 *               (safe inside .proc/unwind regions, like Linux's patch lists).
 *   macro mode: each instruction becomes `emul_<kind> pr=..,dst=..,...`,
 *               a macro of ia64/emul.S, which is prepended to the output.
 *
 * Syntax handled: `;` separators and `;;` stops anywhere on a line,
 * explicit bundles `{ .mii ... }` (a bundle holding a site is unbundled:
 * its instructions keep their order and stops, gas bundles them), labels,
 * tags `[1:]`, predicates `(p6)`, `// comments`, strings, `# N "file"`
 * markers (for diagnostics), and every directive (passed through: .macro
 * bodies are burnt like any other text; their numeric labels are
 * expansion-safe).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afterburn/annotation.h"
#include "burner/frontend.h"
#include "ia64/sensitive.h"

extern const char ia64_emul_macros[];   /* ia64/emul.S, generated into the build */

struct sbuf {
	char *data;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			perror("afterburn-as");
			exit(1);
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
}

static void sb_puts(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(tmp)) {
		fprintf(stderr, "afterburn-as: internal error: site text too long\n");
		exit(1);
	}
	sb_add(b, tmp, (size_t)n);
}

struct burner {
	const struct burn_config *cfg;
	struct burn_stats *stats;
	char file[512];
	long line;
	int errors;
	/* Inside an explicit bundle: both renderings until its `}`. */
	int in_bundle;
	int bundle_has_site;
	struct sbuf verbatim, burnt;
	struct sbuf out;
	/* Executable current section?  [0] current, [1] for .previous, then
	 * the .pushsection stack. */
	int exec, exec_previous;
	int exec_stack[64];
	int exec_depth;
	char section[128];
};

static void error_at(struct burner *b, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%ld: error: ", b->file, b->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	b->errors++;
}

/* Text going to the output; inside a bundle, to both renderings unless
 * it is for only one of them. */
enum { TO_BOTH, TO_VERBATIM, TO_BURNT };
static void emit(struct burner *b, int which, const char *s, size_t n)
{
	if (!b->in_bundle) {
		sb_add(&b->out, s, n);
		return;
	}
	if (which != TO_BURNT)
		sb_add(&b->verbatim, s, n);
	if (which != TO_VERBATIM)
		sb_add(&b->burnt, s, n);
}

/* ---------------------------------------------------------------- parsing */

struct stmt {
	char labels[256];     /* `name:` labels, emitted before the site */
	char tags[256];       /* `[1:]` tags, kept on the instruction */
	char pred[64];        /* inside (...), "" if none */
	char mnem[64];        /* lower case */
	char ops[512];        /* operands, whitespace removed */
	char ops_raw[512];    /* operands as written */
	int truncated;        /* a part did not fit: a site cannot be rewritten */
};

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '$' || c == '\\' || c == '@' || c == '?';
}

/* Both return 1 when the text did not fit (dst holds a cut copy). */
static int copy_trim(char *dst, size_t cap, const char *s, size_t n)
{
	int cut = 0;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap) {
		n = cap - 1;
		cut = 1;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
	return cut;
}

static int strip_spaces(char *dst, size_t cap, const char *s)
{
	size_t j = 0;
	for (; *s && j + 1 < cap; s++)
		if (!isspace((unsigned char)*s))
			dst[j++] = *s;
	dst[j] = 0;
	return *s != 0;
}

/* Split one statement; returns 0 for an instruction, 1 for anything else
 * (empty, directive, label only). */
static int parse_stmt(const char *s, size_t n, struct stmt *st)
{
	size_t i = 0;
	memset(st, 0, sizeof(*st));
	for (;;) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == '[') {           /* tag [x:] */
			size_t j = i;
			while (j < n && s[j] != ']')
				j++;
			if (j < n && j > i + 1 && s[j - 1] == ':') {
				size_t len = strlen(st->tags);
				if (len + (j + 1 - i) + 2 < sizeof(st->tags)) {
					memcpy(st->tags + len, s + i, j + 1 - i);
					strcpy(st->tags + len + (j + 1 - i), " ");
				} else {
					st->truncated = 1;
				}
				i = j + 1;
				continue;
			}
			return 1;
		}
		size_t j = i;
		while (j < n && is_ident((unsigned char)s[j]))
			j++;
		if (j > i && j < n && s[j] == ':' && (j + 1 >= n || s[j + 1] != ':')) {
			size_t len = strlen(st->labels);
			if (len + (j + 1 - i) + 2 < sizeof(st->labels)) {
				memcpy(st->labels + len, s + i, j + 1 - i);
				strcpy(st->labels + len + (j + 1 - i), " ");
			} else {
				st->truncated = 1;
			}
			i = j + 1;
			continue;
		}
		break;
	}
	if (i < n && s[i] == '(') {
		size_t j = i;
		while (j < n && s[j] != ')')
			j++;
		if (j >= n)
			return 1;
		st->truncated |= copy_trim(st->pred, sizeof(st->pred), s + i + 1, j - i - 1);
		i = j + 1;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
	}
	size_t j = i;
	while (j < n && !isspace((unsigned char)s[j]))
		j++;
	if (j == i || s[i] == '.' || j - i >= sizeof(st->mnem))
		return 1;
	for (size_t k = 0; k < j - i; k++)
		st->mnem[k] = (char)tolower((unsigned char)s[i + k]);
	st->truncated |= copy_trim(st->ops_raw, sizeof(st->ops_raw), s + j, n - j);
	st->truncated |= strip_spaces(st->ops, sizeof(st->ops), st->ops_raw);
	return 0;
}

/* ---------------------------------------------------------------- classifying */

struct site {
	unsigned kind;
	char unit;             /* where it goes: 'M', 'I', 'B', 'F', 'X' */
	char args[768];        /* macro mode: arguments after pr= */
};

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* ar.k0-7 / ar0-7 -> 0-7; ar.itc / ar44 -> 44; else -1 */
static int ar_number(const char *s)
{
	if (starts(s, "ar.k") && s[4] >= '0' && s[4] <= '7' && !s[5])
		return s[4] - '0';
	if (!strcmp(s, "ar.itc") || !strcmp(s, "ar44"))
		return 44;
	if (s[0] == 'a' && s[1] == 'r' && s[2] >= '0' && s[2] <= '7' && !s[3])
		return s[2] - '0';
	return -1;
}

static const char *const indirect_files[] = {
	"rr[", "pkr[", "ibr[", "dbr[", "pmc[", "pmd[", "cpuid[", "msr[",
};
static const unsigned indirect_to[] = {
	IA64_KIND_MOV_TO_RR, IA64_KIND_MOV_TO_PKR, IA64_KIND_MOV_TO_IBR,
	IA64_KIND_MOV_TO_DBR, IA64_KIND_MOV_TO_PMC, IA64_KIND_MOV_TO_PMD,
	0, IA64_KIND_MOV_TO_MSR,
};
static const unsigned indirect_from[] = {
	IA64_KIND_MOV_FROM_RR, IA64_KIND_MOV_FROM_PKR, IA64_KIND_MOV_FROM_IBR,
	IA64_KIND_MOV_FROM_DBR, IA64_KIND_MOV_FROM_PMC, IA64_KIND_MOV_FROM_PMD,
	IA64_KIND_MOV_FROM_CPUID, IA64_KIND_MOV_FROM_MSR,
};

static int is_immediate(const char *s)
{
	return isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '(';
}

/* cr operand -> number, -1 if symbolic (a macro parameter), -2 if bad */
static int cr_operand(const char *s)
{
	if (starts(s, "cr.")) {
		int n = ia64_cr_number(s + 3);
		return n >= 0 ? n : -2;
	}
	if (s[0] == 'c' && s[1] == 'r' && isdigit((unsigned char)s[2])) {
		char *end;
		long n = strtol(s + 2, &end, 10);
		return (!*end && n < 128) ? (int)n : -2;
	}
	return -1;
}

static int is_cr(const char *s)
{
	return starts(s, "cr.") || (s[0] == 'c' && s[1] == 'r' && isdigit((unsigned char)s[2]));
}

/* 1: sensitive (site filled), 0: not, -1: error reported */
static int classify_mov(struct burner *b, const struct stmt *st, struct site *site)
{
	char dst[256], src[256];
	const char *eq = strchr(st->ops, '=');
	if (!eq)
		return 0;
	copy_trim(dst, sizeof(dst), st->ops, (size_t)(eq - st->ops));
	copy_trim(src, sizeof(src), eq + 1, strlen(eq + 1));
	unsigned kind = 0;
	char extra[64] = "";

	if (!strcmp(dst, "psr.l"))
		kind = IA64_KIND_MOV_TO_PSR_L;
	else if (!strcmp(dst, "psr.um"))
		kind = IA64_KIND_MOV_TO_PSR_UM;
	else if (!strcmp(src, "psr"))
		kind = IA64_KIND_MOV_FROM_PSR;
	else if (!strcmp(src, "psr.um"))
		kind = IA64_KIND_MOV_FROM_PSR_UM;
	else if (is_cr(dst) || is_cr(src)) {
		int to = is_cr(dst);
		int n = cr_operand(to ? dst : src);
		if (n == -2) {
			error_at(b, "unknown control register `%s' (expected cr.dcr, cr.ifa, ... as in ia64/burn-kinds.c)",
				 to ? dst : src);
			return -1;
		}
		kind = to ? IA64_KIND_MOV_TO_CR : IA64_KIND_MOV_FROM_CR;
		snprintf(extra, sizeof(extra), ",idx=%d", n);
	} else if (ar_number(dst) >= 0 || ar_number(src) >= 0) {
		int to = ar_number(dst) >= 0;
		int n = ar_number(to ? dst : src);
		if (n == 44)
			kind = to ? IA64_KIND_MOV_TO_ITC : IA64_KIND_MOV_FROM_ITC;
		else
			kind = to ? IA64_KIND_MOV_TO_KR : IA64_KIND_MOV_FROM_KR;
		if (n != 44)
			snprintf(extra, sizeof(extra), ",idx=%d", n);
		if (to)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 ",imm=%d", is_immediate(src));
	} else {
		for (size_t i = 0; i < sizeof(indirect_files) / sizeof(indirect_files[0]); i++) {
			if (starts(dst, indirect_files[i]) && indirect_to[i])
				kind = indirect_to[i];
			else if (starts(src, indirect_files[i]))
				kind = indirect_from[i];
		}
	}
	if (!kind)
		return 0;
	if (!strcmp(st->mnem, "mov.i")) {
		error_at(b, "`mov.i' with %s: that register is M-unit only", ia64_kind_name(kind));
		return -1;
	}
	site->kind = kind;
	site->unit = 'M';
	snprintf(site->args, sizeof(site->args), "dst=%s,src=%s%s", dst, src, extra);
	return 1;
}

static int classify(struct burner *b, const struct stmt *st, struct site *site)
{
	static const struct { const char *mnem; unsigned kind; } plain[] = {
		{"rfi", IA64_KIND_RFI}, {"cover", IA64_KIND_COVER},
		{"bsw.0", IA64_KIND_BSW_0}, {"bsw.1", IA64_KIND_BSW_1},
		{"epc", IA64_KIND_EPC},
		{"rsm", IA64_KIND_RSM}, {"ssm", IA64_KIND_SSM},
		{"sum", IA64_KIND_SUM}, {"rum", IA64_KIND_RUM},
		{"itc.i", IA64_KIND_ITC_I}, {"itc.d", IA64_KIND_ITC_D},
		{"itr.i", IA64_KIND_ITR_I}, {"itr.d", IA64_KIND_ITR_D},
		{"ptc.l", IA64_KIND_PTC_L}, {"ptc.g", IA64_KIND_PTC_G},
		{"ptc.ga", IA64_KIND_PTC_GA}, {"ptc.e", IA64_KIND_PTC_E},
		{"ptr.i", IA64_KIND_PTR_I}, {"ptr.d", IA64_KIND_PTR_D},
		{"thash", IA64_KIND_THASH}, {"ttag", IA64_KIND_TTAG},
		{"tpa", IA64_KIND_TPA}, {"tak", IA64_KIND_TAK},
		{"fc", IA64_KIND_FC}, {"fc.i", IA64_KIND_FC_I},
	};
	memset(site, 0, sizeof(*site));
	if (!strcmp(st->mnem, "mov") || !strcmp(st->mnem, "mov.m") || !strcmp(st->mnem, "mov.i"))
		return classify_mov(b, st, site);

	if (!strcmp(st->mnem, "break") || starts(st->mnem, "break.")) {
		char unit = st->mnem[5] ? (char)toupper((unsigned char)st->mnem[6]) : 'M';
		if (!strchr("MIBFX", unit) || (st->mnem[5] && st->mnem[7])) {
			error_at(b, "unknown break form `%s' (expected break, break.m/i/b/f/x)", st->mnem);
			return -1;
		}
		site->kind = IA64_KIND_BREAK;
		site->unit = unit;
		snprintf(site->args, sizeof(site->args), "unit=%c,imm=%s",
			 (char)tolower((unsigned char)unit), st->ops);
		return 1;
	}
	if (starts(st->mnem, "probe.")) {
		site->kind = IA64_KIND_PROBE;
	} else {
		for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (!strcmp(st->mnem, plain[i].mnem))
				site->kind = plain[i].kind;
	}
	if (!site->kind)
		return 0;
	site->unit = ia64_kind_unit(site->kind);
	switch (site->kind) {
	case IA64_KIND_RFI: case IA64_KIND_COVER: case IA64_KIND_BSW_0:
	case IA64_KIND_BSW_1: case IA64_KIND_EPC:
		if (st->ops[0]) {
			error_at(b, "`%s' takes no operands, got `%s'", st->mnem, st->ops_raw);
			return -1;
		}
		site->args[0] = 0;
		return 1;
	case IA64_KIND_RSM: case IA64_KIND_SSM: case IA64_KIND_SUM: case IA64_KIND_RUM:
		if (!st->ops[0]) {
			error_at(b, "`%s' needs a mask operand", st->mnem);
			return -1;
		}
		snprintf(site->args, sizeof(site->args), "imm=%s", st->ops);
		return 1;
	default: {
		/* dst=src[,src2] or src[,src2] */
		char dst[256] = "", srcs[512];
		const char *eq = strchr(st->ops, '=');
		if (eq) {
			copy_trim(dst, sizeof(dst), st->ops, (size_t)(eq - st->ops));
			copy_trim(srcs, sizeof(srcs), eq + 1, strlen(eq + 1));
		} else {
			copy_trim(srcs, sizeof(srcs), st->ops, strlen(st->ops));
		}
		char *comma = strchr(srcs, ',');
		if (comma)
			*comma = 0;
		if (!srcs[0]) {
			error_at(b, "`%s' without operands", st->mnem);
			return -1;
		}
		int n = 0;
		if (site->kind == IA64_KIND_PROBE)
			n += snprintf(site->args + n, sizeof(site->args) - (size_t)n, "op=%s,", st->mnem);
		if (dst[0])
			n += snprintf(site->args + n, sizeof(site->args) - (size_t)n, "dst=%s,", dst);
		n += snprintf(site->args + n, sizeof(site->args) - (size_t)n, "src=%s", srcs);
		if (comma)
			snprintf(site->args + n, sizeof(site->args) - (size_t)n, ",src2=%s", comma + 1);
		return 1;
	}
	}
}

/* ---------------------------------------------------------------- emitting */

static void emit_site(struct burner *b, const struct stmt *st, const struct site *site)
{
	struct sbuf t = {0};
	const char *pred = st->pred[0] ? st->pred : "p0";
	char insn[1024];   /* tags 256 + pred 64 + mnem 64 + ops 512 fit */
	snprintf(insn, sizeof(insn), "%s(%s) %s %s", st->tags, pred, st->mnem, st->ops_raw);

	b->stats->sites[site->kind]++;
	if (st->labels[0])
		sb_puts(&t, st->labels);
	if (b->cfg->mode == BURN_MODE_MACRO) {
		if (st->tags[0])
			sb_puts(&t, st->tags);
		sb_printf(&t, " emul_%s pr=%s%s%s", ia64_kind_macro(site->kind), pred,
			  site->args[0] ? "," : "", site->args);
	} else {
		unsigned slot;
		const char *L = "[77101:] ";
		switch (site->unit) {
		case 'B':
			slot = 2;
			sb_printf(&t, " ;; { .mib ; nop.m 0 ; nop.i 0 ; %s%s ;; }", L, insn);
			break;
		case 'I':
			slot = 1;
			sb_printf(&t, " ;; { .mii ; nop.m 0 ; %s%s ; nop.i 0 }", L, insn);
			break;
		case 'F':
			slot = 1;
			sb_printf(&t, " ;; { .mfi ; nop.m 0 ; %s%s ; nop.i 0 }", L, insn);
			break;
		case 'X':
			slot = 1;
			sb_printf(&t, " ;; { .mlx ; nop.m 0 ; %s%s }", L, insn);
			break;
		default:
			slot = 0;
			/* stop right after: itc/itr must end their instruction group */
			sb_printf(&t, " ;; { .mmi ; %s%s ;; nop.m 0 ; nop.i 0 }", L, insn);
			break;
		}
		sb_printf(&t, " { .mii ; nop.m 0 ; nop.i 0 ; nop.i 0 ;; }"
			  " ; .xdata4 \"" AFTERBURN_SECTION "\", 77101b-%u-."
			  " ; .xdata1 \"" AFTERBURN_SECTION "\", %u"
			  " ; .xdata1 \"" AFTERBURN_SECTION "\", %u"
			  " ; .xdata2 \"" AFTERBURN_SECTION "\", %u ",
			  slot, IA64_SITE_BYTES, slot, site->kind);
	}
	emit(b, TO_BURNT, t.data, t.len);
	free(t.data);
}

static int is_template(const struct stmt *st, const char *s, size_t n)
{
	(void)st;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	return n == 4 && s[0] == '.' && strchr("mb", s[1]);
}

/* Whether a section is executable: its flags when given ("ax"), else
 * its name (gas's defaults: .text and friends). */
static int section_exec(const char *args)
{
	char name[128] = "";
	size_t i = 0;
	while (args[i] && args[i] != ',' && !isspace((unsigned char)args[i]) && i + 1 < sizeof(name)) {
		name[i] = args[i] == '"' ? ' ' : args[i];
		i++;
	}
	name[i] = 0;
	const char *flags = strchr(args, ',');
	if (flags) {
		const char *q = strchr(flags, '"');
		if (q) {
			const char *e = strchr(q + 1, '"');
			for (const char *f = q + 1; e && f < e; f++)
				if (*f == 'x')
					return 1;
			return 0;
		}
	}
	return strstr(name, "text") != NULL;
}

static void track_section(struct burner *b, const char *s, size_t n)
{
	char d[256];
	copy_trim(d, sizeof(d), s, n);
	char *args = d;
	while (*args && !isspace((unsigned char)*args))
		args++;
	if (*args)
		*args++ = 0;
	while (isspace((unsigned char)*args))
		args++;
	int now = b->exec;
	if (!strcmp(d, ".text")) {
		b->exec = 1;
	} else if (!strcmp(d, ".data") || !strcmp(d, ".bss") || !strcmp(d, ".rodata") ||
		   !strcmp(d, ".sdata") || !strcmp(d, ".sbss")) {
		b->exec = 0;
	} else if (!strcmp(d, ".section")) {
		b->exec = section_exec(args);
	} else if (!strcmp(d, ".pushsection")) {
		if (b->exec_depth < (int)(sizeof(b->exec_stack) / sizeof(b->exec_stack[0])))
			b->exec_stack[b->exec_depth++] = b->exec;
		else
			error_at(b, "afterburn: .pushsection nested deeper than %zu (exec_stack in "
				 "ia64/burn.c)", sizeof(b->exec_stack) / sizeof(b->exec_stack[0]));
		b->exec = section_exec(args);
	} else if (!strcmp(d, ".popsection")) {
		if (b->exec_depth > 0)
			b->exec = b->exec_stack[--b->exec_depth];
		return;
	} else if (!strcmp(d, ".previous")) {
		b->exec = b->exec_previous;
	} else {
		return;
	}
	b->exec_previous = now;
	snprintf(b->section, sizeof(b->section), "%.100s", *args ? args : d);
}

/* One statement s[0..n): pass through or burn. */
static void statement(struct burner *b, const char *s, size_t n)
{
	struct stmt st;
	struct site site;
	if (n == 0)
		return;
	if (parse_stmt(s, n, &st) == 0) {
		int r = classify(b, &st, &site);
		if (r > 0 && !b->exec) {
			/* like the x86 front end: counted, reported, left alone */
			b->stats->sites[site.kind]++;
			b->stats->outside_exec++;
			fprintf(stderr, "%s:%ld: warning: afterburn: %s in non-executable section %s is not annotated\n",
				b->file, b->line, ia64_kind_name(site.kind), b->section);
			r = 0;
		}
		if (r > 0 && st.truncated) {
			/* the site is re-emitted from its parts: a cut part
			 * would lose text */
			error_at(b, "afterburn: %s statement longer than the IA-64 burner keeps "
				 "(labels and tags 255, predicate 63, operands 511 characters; "
				 "struct stmt in ia64/burn.c)", ia64_kind_name(site.kind));
			r = 0;
		}
		if (r > 0) {
			if (b->in_bundle) {
				b->bundle_has_site = 1;
				emit(b, TO_VERBATIM, s, n);
			}
			emit_site(b, &st, &site);
			return;
		}
	} else if (parse_stmt(s, n, &st) == 1 && st.mnem[0] == 0) {
		size_t k = 0;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		if (k < n && s[k] == '.')
			track_section(b, s + k, n - k);
	}
	if (b->in_bundle && is_template(&st, s, n)) {
		/* the unbundled rendering drops the template */
		emit(b, TO_VERBATIM, s, n);
		return;
	}
	emit(b, TO_BOTH, s, n);
}

static void open_bundle(struct burner *b, const char *brace)
{
	if (b->in_bundle) {
		error_at(b, "`{' inside an explicit bundle (expected `}' first)");
		return;
	}
	b->in_bundle = 1;
	b->bundle_has_site = 0;
	b->verbatim.len = b->burnt.len = 0;
	sb_add(&b->verbatim, brace, 1);
	sb_add(&b->burnt, " ", 1);
}

static void close_bundle(struct burner *b, const char *brace)
{
	if (!b->in_bundle) {
		error_at(b, "`}' without an explicit bundle open");
		return;
	}
	sb_add(&b->verbatim, brace, 1);
	sb_add(&b->burnt, " ", 1);
	b->in_bundle = 0;
	struct sbuf *keep = b->bundle_has_site ? &b->burnt : &b->verbatim;
	if (keep->len)
		sb_add(&b->out, keep->data, keep->len);
}

static void process_line(struct burner *b, const char *s, size_t n)
{
	size_t start = 0, i = 0;
	int quote = 0;
	while (i < n) {
		char c = s[i];
		if (quote) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quote = 0;
			i++;
			continue;
		}
		if (c == '"') {
			quote = 1;
			i++;
			continue;
		}
		if (c == '/' && i + 1 < n && s[i + 1] == '/') {
			statement(b, s + start, i - start);
			emit(b, TO_BOTH, s + i, n - i);
			return;
		}
		if (c == ';' || c == '{' || c == '}') {
			statement(b, s + start, i - start);
			if (c == ';') {
				size_t k = (i + 1 < n && s[i + 1] == ';') ? 2 : 1;
				emit(b, TO_BOTH, s + i, k);
				i += k;
			} else if (c == '{') {
				open_bundle(b, s + i);
				i++;
			} else {
				close_bundle(b, s + i);
				i++;
			}
			start = i;
			continue;
		}
		i++;
	}
	statement(b, s + start, n - start);
}

/* `# N "file"` (cpp) or `#line N "file"`: position of the next line. */
static int line_marker(struct burner *b, const char *s, size_t n)
{
	char tmp[600];
	if (n == 0 || s[0] != '#' || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	const char *p = tmp + 1;
	if (!strncmp(p, "line", 4))
		p += 4;
	char *end;
	long line = strtol(p, &end, 10);
	if (end == p)
		return 0;
	b->line = line - 1;
	const char *q = strchr(end, '"');
	if (q) {
		const char *e = strchr(q + 1, '"');
		if (e && (size_t)(e - q - 1) < sizeof(b->file)) {
			memcpy(b->file, q + 1, (size_t)(e - q - 1));
			b->file[e - q - 1] = 0;
		}
	}
	return 1;
}

static const char note[] =
	"\t.pushsection " AFTERBURN_SECTION ",\"a\",@progbits\n"
	"\t.align 4\n"
	"\t.popsection\n"
	"\t.pushsection " AFTERBURN_NOTE_SECTION ",\"aG\",@note," AFTERBURN_NOTE_COMDAT ",comdat\n"
	"\t.align 4\n"
	"\t.long 10, 12, %d\n"
	"\t.asciz \"" AFTERBURN_NOTE_NAME "\"\n"
	"\t.align 4\n"
	"\t.long %d\n"
	"\t.short %d, %d\n"
	"\t.long 0\n"
	"\t.popsection\n";

int ia64_burn(const struct burn_input *in, FILE *out, const struct burn_config *cfg,
	      struct burn_stats *stats)
{
	/* gas starts in .text */
	struct burner b = { .cfg = cfg, .stats = stats, .line = 0, .exec = 1, .section = ".text" };
	snprintf(b.file, sizeof(b.file), "%s", in->name);

	if (cfg->mode == BURN_MODE_MACRO)
		fputs(ia64_emul_macros, out);
	fprintf(out, note, AFTERBURN_NOTE_ABI, AFTERBURN_ABI_VERSION,
		AFTERBURN_ARCH_IA64, AFTERBURN_RECORD_SIZE);
	/* The input keeps its own line numbers for the assembler's messages. */
	fprintf(out, "# 1 \"%s\"\n", in->name);

	const char *p = in->text, *end = in->text + in->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		b.line++;
		if (line_marker(&b, p, n)) {
			emit(&b, TO_BOTH, p, n);
		} else {
			process_line(&b, p, n);
		}
		emit(&b, TO_BOTH, "\n", 1);
		if (!b.in_bundle && b.out.len) {
			fwrite(b.out.data, 1, b.out.len, out);
			b.out.len = 0;
		}
		p = nl ? nl + 1 : end;
	}
	if (b.in_bundle)
		error_at(&b, "end of input inside an explicit bundle (expected `}')");
	free(b.verbatim.data);
	free(b.burnt.data);
	free(b.out.data);
	if (ferror(out)) {
		fprintf(stderr, "%s: error: cannot write the burnt output\n", in->name);
		return 1;
	}
	return b.errors ? 1 : 0;
}
