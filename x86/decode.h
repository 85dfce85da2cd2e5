/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small x86-64 decoder for the sensitive-instruction forms of
 * x86/sensitive.def: enough to check that an annotated site holds the
 * instruction its record claims, and to give the wedge its operands.
 * Freestanding (the wedge links it); no libc.  Anything outside those
 * forms is refused, never guessed.
 */
#ifndef AFTERBURN_X86_DECODE_H
#define AFTERBURN_X86_DECODE_H

#include "x86/sensitive.h"

typedef __UINT8_TYPE__  x86_u8;
typedef __UINT16_TYPE__ x86_u16;
typedef __UINT32_TYPE__ x86_u32;
typedef __UINT64_TYPE__ x86_u64;
typedef __INT32_TYPE__  x86_s32;

#define X86_PFX_OPSIZE  0x01   /* 66 */
#define X86_PFX_ADSIZE  0x02   /* 67 */
#define X86_PFX_REP     0x04   /* f3 */
#define X86_PFX_REPNE   0x08   /* f2 */
#define X86_PFX_LOCK    0x10   /* f0 */
#define X86_PFX_SEG     0x20   /* a segment override (seg holds it) */

#define X86_REG_NONE    0xff

/* Opcode maps. */
#define X86_MAP_1BYTE   0
#define X86_MAP_0F      1
#define X86_MAP_0F38    2

struct x86_insn {
	x86_u8  len;          /* bytes of the whole instruction */
	x86_u8  prefixes;     /* X86_PFX_* */
	x86_u8  seg;          /* override prefix byte when X86_PFX_SEG */
	x86_u8  rex;          /* 0 or 0x40-0x4f */
	x86_u8  map;          /* X86_MAP_* */
	x86_u8  opcode;
	x86_u8  opsize;       /* operand size in bytes: 1, 2, 4 or 8 */
	x86_u8  has_modrm;
	x86_u8  mod, reg, rm; /* reg: ModRM.reg with REX.R; rm: with REX.B */
	x86_u8  base, index;  /* memory operand registers or X86_REG_NONE */
	x86_u8  scale;        /* 1, 2, 4, 8 */
	x86_u8  rip_relative;
	x86_s32 disp;
	x86_u8  imm_size;
	x86_u64 imm;
	enum x86_kind kind;   /* what the bytes are (X86_KIND_NONE: not sensitive) */
};

/* Register numbers in ModRM order (rax=0 ... r15=15). */
enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/*
 * Decode one 64-bit-mode instruction from `bytes` (at most `max` bytes
 * readable).  Returns 0 and fills *insn (kind set, X86_KIND_NONE for a
 * well-formed instruction that is not one of ours: only a few such forms
 * are known), or -1 when the bytes are not a form this decoder knows.
 */
int x86_decode(const x86_u8 *bytes, unsigned max, struct x86_insn *insn);

/* Name of a kind ("CLI"), "?" when unknown. */
const char *x86_kind_name(unsigned kind);
/* Pad of a kind from sensitive.def, 0 when unknown. */
unsigned x86_kind_pad(unsigned kind);
/* X86_K_* flags of a kind, 0 when unknown. */
unsigned x86_kind_flags(unsigned kind);

/*
 * Effective address of the memory operand, given the general registers
 * (indexed by enum x86_gpr) and the address of the next instruction
 * (for rip-relative operands).  Segment bases other than fs/gs are 0 in
 * 64-bit mode; the caller adds an fs/gs base when insn->seg says so.
 */
x86_u64 x86_effective_address(const struct x86_insn *insn, const x86_u64 *gpr,
			      x86_u64 next_rip);

#endif
