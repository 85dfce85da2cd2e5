/* SPDX-License-Identifier: BSD-2-Clause */
/* Kind numbers of the IA-64 sensitive-instruction table, as a C enum,
 * and the lookups every user of the table needs. */
#ifndef AFTERBURN_IA64_SENSITIVE_H
#define AFTERBURN_IA64_SENSITIVE_H

#include <stdint.h>

enum ia64_kind {
	IA64_KIND_NONE = 0,
#define IA64_KIND(id, name, macro, unit, loaded) IA64_KIND_##name = id,
#include "ia64/sensitive.def"
#undef IA64_KIND
	IA64_KIND_MAX
};

/* Bundles a pad-mode site occupies: the instruction's bundle plus one
 * scratch bundle; every loaded form fits in two bundles. */
#define IA64_SITE_BUNDLES 2
#define IA64_SITE_BYTES   (16 * IA64_SITE_BUNDLES)

/* Break immediate of the wedge trap form: 0x1ab000 + kind (break.m imm21). */
#define IA64_BREAK_WEDGE  0x1ab000

const char *ia64_kind_name(unsigned kind);    /* "MOV_TO_CR"; NULL if unknown */
const char *ia64_kind_macro(unsigned kind);   /* "mov_to_cr" */
char ia64_kind_unit(unsigned kind);           /* 'M', 'B', '*' (break) */
int ia64_kind_loaded(unsigned kind);          /* IA64_LOAD_* */

/* Kind of a 41-bit slot executed by `unit` ('M','I','B','F','X'), or 0. */
unsigned ia64_classify(uint64_t slot, char unit);

/* Control-register names and numbers (cr.ifa = 20, ...). */
int ia64_cr_number(const char *name);         /* "ifa" -> 20, -1 if unknown */
const char *ia64_cr_name(unsigned number);    /* 20 -> "ifa", NULL if none */

#endif
