/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interface between afterburn-as's driver (burner/) and an
 * architecture front end (x86/, ia64/).  The driver handles the command
 * line, reads the input (files or stdin), runs the real assembler and
 * returns its status; a front end turns one assembly source into its burnt
 * form.
 */
#ifndef AFTERBURN_BURNER_FRONTEND_H
#define AFTERBURN_BURNER_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum burn_mode {
	BURN_MODE_PAD,    /* keep the instruction, pad, record in .afterburn */
	BURN_MODE_MACRO,  /* IA-64 only: replace by an emul_* macro invocation */
};

struct burn_input {
	const char *name;   /* for diagnostics: file name or "<stdin>" */
	const char *text;   /* the whole source, NUL-terminated */
	size_t len;
};

struct burn_config {
	enum burn_mode mode;
	bool burn_rdtsc;    /* CONFIG_BURN_RDTSC or --afterburn-rdtsc */
	int code_bits;      /* initial .code16/32/64 from --32/--64 (x86) */
	int verbose;
	/* x86: -msyntax=intel / -mnaked-reg on the command line (appended
	 * fields: front ends that do not know them ignore them) */
	bool intel_syntax;
	bool naked_regs;
	bool full_parse;    /* x86: no fast path for plain lines (--afterburn-slow) */
	/* x86: when set, the burnt text (malloc'd, NUL-terminated) and its
	 * length are handed over here instead of written to out (saves a
	 * copy of the whole text; the caller frees it) */
	char **output;
	size_t *output_len;
};

/* Sites found, by kind number of the architecture's table. */
#define BURN_MAX_KINDS 256
struct burn_stats {
	unsigned long sites[BURN_MAX_KINDS];
	unsigned long outside_exec;   /* found in non-executable sections */
};

/*
 * Burn `in` into `out`.  Diagnostics go to stderr as
 * "<file>:<line>: error: <what was expected>", with the line of the
 * original source (honouring `# N "file"` markers).  Returns 0 on
 * success, non-zero when the input cannot be burnt; nothing is dropped
 * silently.
 */
typedef int burn_frontend_fn(const struct burn_input *in, FILE *out,
			     const struct burn_config *cfg,
			     struct burn_stats *stats);

burn_frontend_fn x86_burn;    /* x86/ */
burn_frontend_fn ia64_burn;   /* ia64/ */

#endif
