/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86 front end of afterburn-as (x86_burn, declared in burner/frontend.h),
 * and the pieces of it that tests and ab-check reuse.
 */
#ifndef AFTERBURN_X86_BURN_H
#define AFTERBURN_X86_BURN_H

#include <stdbool.h>
#include <stddef.h>

#include "burner/frontend.h"

/* Name of the gas macro the burnt output defines and invokes after every
 * site (it emits the pad and the .afterburn record). */
#define X86_BURN_SITE_MACRO "__afterburn_site"

struct x86_kind_info {
	int id;
	const char *name;   /* "CLI", ... */
	int pad;            /* bytes reserved per site, instruction included */
	int flags;          /* X86_K_* */
};

/* Kind info by number, NULL when unknown. */
const struct x86_kind_info *x86_kind_info(int kind);

struct x86_stmt_syntax {
	int code_bits;      /* 16, 32 or 64 */
	bool intel;         /* .intel_syntax */
	bool naked_regs;    /* registers without '%' (noprefix) */
};

/*
 * Classify one statement (no labels, no comments, no ';'): the kind of the
 * sensitive instruction it holds, 0 when it holds none.  Prefixes (lock,
 * rep, data16, rex, segment, {...}) are skipped.  Sets *error to a static
 * message (and returns 0) for a statement that looks sensitive but cannot
 * be decoded (a .byte sequence with non-constant bytes).
 */
int x86_classify_statement(const char *stmt, size_t len,
			   const struct x86_stmt_syntax *syn,
			   const char **error);

/*
 * A cheap pre-filter for the burner's common case: true only when the
 * statement, an instruction in AT&T syntax with %-registers or a .byte
 * statement of data, surely classifies as 0 without an error and is no
 * prefix word.  False means "ask x86_classify_statement", never
 * "sensitive".
 */
bool x86_statement_surely_plain(const char *stmt, size_t len,
				const struct x86_stmt_syntax *syn);

/* The same for a statement whose first word (w, n chars of [A-Za-z0-9_.$]
 * and possibly '\\' or '@') the caller has found; end ends the statement;
 * `readable` bytes from w may be read (16 or more: the word is loaded a
 * word at a time). */
bool x86_word_surely_plain(const char *w, size_t n, const char *end, size_t readable,
			   const struct x86_stmt_syntax *syn);

/* Decode `len` bytes of one instruction: the kind per the X86_BYTES
 * table, 0 if none (used for .byte statements).  Exact length match. */
int x86_classify_bytes(const unsigned char *bytes, size_t len, int code_bits);

#endif
