/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IA-64 bundles: 128 bits, little endian; template in bits 0-4, three
 * 41-bit slots at bits 5, 46 and 87.  Decoding, encoding, and encoders
 * for the few instructions the rewriter emits.
 */
#ifndef AFTERBURN_IA64_BUNDLE_H
#define AFTERBURN_IA64_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#define IA64_SLOT_MASK ((1ULL << 41) - 1)

struct ia64_bundle {
	uint64_t lo, hi;
};

struct ia64_bundle ia64_bundle_load(const void *bytes);
void ia64_bundle_store(struct ia64_bundle b, void *bytes);
unsigned ia64_bundle_template(struct ia64_bundle b);
uint64_t ia64_bundle_slot(struct ia64_bundle b, unsigned slot);
void ia64_bundle_set_slot(struct ia64_bundle *b, unsigned slot, uint64_t insn);
struct ia64_bundle ia64_bundle_make(unsigned tmpl, uint64_t s0, uint64_t s1, uint64_t s2);

/* Units of a template: "MII", "MLX", ...; NULL for the reserved ones.
 * For MLX, slot 1 is 'L' and slot 2 'X' (one instruction). */
const char *ia64_template_units(unsigned tmpl);
/* Stops of a template: bit i set = stop after slot i. */
unsigned ia64_template_stops(unsigned tmpl);
/* The template with these units and stops, or -1. */
int ia64_template_find(const char *units, unsigned stops);

/* Fields. */
static inline unsigned ia64_insn_qp(uint64_t s) { return s & 0x3f; }
static inline unsigned ia64_insn_r1(uint64_t s) { return (s >> 6) & 0x7f; }
static inline unsigned ia64_insn_r2(uint64_t s) { return (s >> 13) & 0x7f; }
static inline unsigned ia64_insn_r3(uint64_t s) { return (s >> 20) & 0x7f; }
static inline unsigned ia64_insn_major(uint64_t s) { return (s >> 37) & 0xf; }
/* imm24 of rsm/ssm/sum/rum (M44). */
uint32_t ia64_insn_imm24(uint64_t s);
/* imm21 of break.m/i/b/f (M37/I19/B9/F15). */
uint32_t ia64_insn_imm21(uint64_t s);

/* Is this slot a nop of its unit (nop.m/i/b/f, or nop.x with its L slot)? */
bool ia64_is_nop(uint64_t s, char unit);

/* Encoders; qp is the qualifying predicate (0 = always). */
uint64_t ia64_enc_nop(char unit);
uint64_t ia64_enc_break_m(unsigned qp, uint32_t imm21);
uint64_t ia64_enc_ld8(unsigned qp, unsigned r1, unsigned r3);          /* ld8 r1=[r3] */
uint64_t ia64_enc_st(unsigned qp, unsigned size, unsigned r3, unsigned r2); /* stN [r3]=r2 */
uint64_t ia64_enc_mov_to_ar_m(unsigned qp, unsigned ar, unsigned r2);  /* mov.m arN=r2 */
uint64_t ia64_enc_mov_from_ar_m(unsigned qp, unsigned r1, unsigned ar);/* mov.m r1=arN */
/* movl r1=imm64: *l (slot 1) and *x (slot 2) of an MLX bundle. */
void ia64_enc_movl(unsigned qp, unsigned r1, uint64_t imm64, uint64_t *l, uint64_t *x);
/* imm64 of a movl, decoded back (for tests and the checker). */
uint64_t ia64_movl_imm(uint64_t l, uint64_t x);

#define IA64_AR_CSD 25

#endif
