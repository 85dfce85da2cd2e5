/* SPDX-License-Identifier: BSD-2-Clause */
/* ab-check --compare PLAIN.o BURNT.o (domtools/ab-compare.c): 0 when the
 * burnt object holds what the plain one does once pads and annotations
 * are removed, 1 with the differences printed, 2 on unreadable input.
 * all: print every difference (else the first 50). */
#ifndef AFTERBURN_AB_COMPARE_H
#define AFTERBURN_AB_COMPARE_H
#include <capstone/capstone.h>
#include <stdbool.h>
int ab_compare(const char *plain, const char *burnt, bool all);
/* Whether a decoded instruction is a padding form (nop of any length,
 * xchg of a register with itself, lea 0(%reg[,%eiz]),%reg). */
bool ab_is_nop(const cs_insn *in);
/* Capstone x86 handles for 16-, 32- and 64-bit code, with instruction
 * details; 0, or -1 with nothing left open. */
int ab_capstone_open(csh *cs16, csh *cs32, csh *cs64);
#endif
