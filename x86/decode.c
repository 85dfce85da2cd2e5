/* SPDX-License-Identifier: BSD-2-Clause */
/* x86-64 decoder for the sensitive-instruction forms (see decode.h). */
#include "x86/decode.h"

static const struct { const char *name; x86_u8 pad, flags; } kind_table[X86_KIND_MAX] = {
#define X86_KIND(id, nm, pd, fl) [id] = { #nm, pd, fl },
#include "x86/sensitive.def"
#undef X86_KIND
};

const char *x86_kind_name(unsigned kind)
{
	return kind < X86_KIND_MAX && kind_table[kind].name ? kind_table[kind].name : "?";
}

unsigned x86_kind_pad(unsigned kind)
{
	return kind < X86_KIND_MAX ? kind_table[kind].pad : 0;
}

unsigned x86_kind_flags(unsigned kind)
{
	return kind < X86_KIND_MAX ? kind_table[kind].flags : 0;
}

/* Decode ModRM (+SIB, displacement) at p; returns bytes consumed or -1. */
static int decode_modrm(const x86_u8 *p, unsigned avail, struct x86_insn *in)
{
	unsigned n = 1;
	if (avail < 1)
		return -1;
	x86_u8 m = p[0];
	in->has_modrm = 1;
	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
	in->rm = (m & 7) | ((in->rex & 1) ? 8 : 0);
	in->base = in->index = X86_REG_NONE;
	in->scale = 1;
	if (in->mod == 3)
		return 1;
	if (in->prefixes & X86_PFX_ADSIZE)
		return -1;   /* 32-bit addressing in 64-bit mode: not needed so far */
	unsigned disp_bytes = in->mod == 1 ? 1 : in->mod == 2 ? 4 : 0;
	if ((m & 7) == 4) {
		if (avail < 2)
			return -1;
		x86_u8 sib = p[1];
		n = 2;
		in->scale = 1u << (sib >> 6);
		unsigned idx = ((sib >> 3) & 7) | ((in->rex & 2) ? 8 : 0);
		in->index = idx == X86_RSP ? X86_REG_NONE : idx;
		unsigned base = (sib & 7) | ((in->rex & 1) ? 8 : 0);
		if ((sib & 7) == 5 && in->mod == 0) {
			in->base = X86_REG_NONE;
			disp_bytes = 4;
		} else {
			in->base = base;
		}
	} else if ((m & 7) == 5 && in->mod == 0) {
		in->rip_relative = 1;
		disp_bytes = 4;
	} else {
		in->base = in->rm;
	}
	if (avail < n + disp_bytes)
		return -1;
	if (disp_bytes == 1) {
		in->disp = (signed char)p[n];
	} else if (disp_bytes == 4) {
		in->disp = (x86_s32)((x86_u32)p[n] | (x86_u32)p[n + 1] << 8 |
				     (x86_u32)p[n + 2] << 16 | (x86_u32)p[n + 3] << 24);
	}
	return (int)(n + disp_bytes);
}

/* Which kind the 0f 01 group (7) form is. */
static enum x86_kind group7(const struct x86_insn *in, x86_u8 modrm)
{
	if (in->mod == 3) {
		switch (modrm) {
		case 0xc8: return X86_KIND_MONITOR;
		case 0xc9: return X86_KIND_MWAIT;
		case 0xca: return X86_KIND_CLAC;
		case 0xcb: return X86_KIND_STAC;
		case 0xc6: return X86_KIND_WRMSR;     /* wrmsrns */
		case 0xd0: return X86_KIND_XGETBV;
		case 0xd1: return X86_KIND_XSETBV;
		case 0xf8: return X86_KIND_SWAPGS;
		case 0xf9: return X86_KIND_RDTSCP;
		}
		switch ((modrm >> 3) & 7) {
		case 4: return X86_KIND_SMSW;
		case 6: return X86_KIND_LMSW;
		}
		return X86_KIND_MAX;
	}
	switch ((modrm >> 3) & 7) {
	case 0: return X86_KIND_SGDT;
	case 1: return X86_KIND_SIDT;
	case 2: return X86_KIND_LGDT;
	case 3: return X86_KIND_LIDT;
	case 4: return X86_KIND_SMSW;
	case 6: return X86_KIND_LMSW;
	case 7: return X86_KIND_INVLPG;
	}
	return X86_KIND_MAX;
}

int x86_decode(const x86_u8 *b, unsigned max, struct x86_insn *in)
{
	unsigned i = 0;
	*in = (struct x86_insn){ .base = X86_REG_NONE, .index = X86_REG_NONE, .scale = 1 };
	if (max > 15)
		max = 15;
	/* Legacy prefixes, then at most one REX right before the opcode. */
	for (;; i++) {
		if (i >= max)
			return -1;
		switch (b[i]) {
		case 0x66: in->prefixes |= X86_PFX_OPSIZE; continue;
		case 0x67: in->prefixes |= X86_PFX_ADSIZE; continue;
		case 0xf3: in->prefixes |= X86_PFX_REP; continue;
		case 0xf2: in->prefixes |= X86_PFX_REPNE; continue;
		case 0xf0: in->prefixes |= X86_PFX_LOCK; continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			in->prefixes |= X86_PFX_SEG;
			in->seg = b[i];
			continue;
		}
		break;
	}
	if ((b[i] & 0xf0) == 0x40) {
		in->rex = b[i++];
		if (i >= max)
			return -1;
	}
	in->opsize = (in->rex & 8) ? 8 : (in->prefixes & X86_PFX_OPSIZE) ? 2 : 4;
	x86_u8 op = b[i++];
	int n;
	in->opcode = op;
	in->map = X86_MAP_1BYTE;
	enum x86_kind k = X86_KIND_MAX;

	if (op != 0x0f) {
		switch (op) {
		case 0xfa: k = X86_KIND_CLI; break;
		case 0xfb: k = X86_KIND_STI; break;
		case 0x9c: k = X86_KIND_PUSHF; in->opsize = (in->prefixes & X86_PFX_OPSIZE) ? 2 : 8; break;
		case 0x9d: k = X86_KIND_POPF; in->opsize = (in->prefixes & X86_PFX_OPSIZE) ? 2 : 8; break;
		case 0xf4: k = X86_KIND_HLT; break;
		case 0xcf: k = X86_KIND_IRET; break;
		case 0xcb: k = X86_KIND_LRET; break;
		case 0xca: k = X86_KIND_LRET; in->imm_size = 2; break;
		case 0xcd: k = X86_KIND_INT; in->imm_size = 1; break;
		case 0xe4: case 0xe5: k = X86_KIND_IN; in->imm_size = 1; break;
		case 0xec: case 0xed: k = X86_KIND_IN; break;
		case 0xe6: case 0xe7: k = X86_KIND_OUT; in->imm_size = 1; break;
		case 0xee: case 0xef: k = X86_KIND_OUT; break;
		case 0x6c: case 0x6d: k = X86_KIND_INS; break;
		case 0x6e: case 0x6f: k = X86_KIND_OUTS; break;
		case 0x8e: case 0x8c:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || (in->reg & 7) > 5)
				return -1;
			i += n;
			k = op == 0x8e ? X86_KIND_MOV_TO_SEG : X86_KIND_MOV_FROM_SEG;
			break;
		case 0xff:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || in->mod == 3)
				return -1;
			i += n;
			if ((in->reg & 7) == 3)
				k = X86_KIND_LCALL;
			else if ((in->reg & 7) == 5)
				k = X86_KIND_LJMP;
			else
				return -1;
			break;
		case 0x90:   /* nop: the padding the burner leaves */
			k = X86_KIND_NONE;
			break;
		case 0x88: case 0x89: case 0x8a: case 0x8b:
			/* mov r/m <-> reg: not sensitive, but a device register
			 * access the wedge emulates (MMIO, wedge-xen/mmio.c) */
			n = decode_modrm(b + i, max - i, in);
			if (n < 0)
				return -1;
			i += n;
			if (!(op & 1))
				in->opsize = 1;
			k = X86_KIND_NONE;
			break;
		case 0xc6: case 0xc7:   /* mov $imm, r/m (imm32 sign-extended for 64 bits) */
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || (in->reg & 7) != 0)
				return -1;
			i += n;
			if (op == 0xc6)
				in->opsize = 1;
			in->imm_size = in->opsize > 4 ? 4 : in->opsize;
			k = X86_KIND_NONE;
			break;
		default:
			return -1;
		}
		/* Byte forms of in/out/ins/outs (even opcodes) are 1 byte wide. */
		if ((op >= 0xe4 && op <= 0xef) || (op >= 0x6c && op <= 0x6f))
			in->opsize = (op & 1) ? ((in->prefixes & X86_PFX_OPSIZE) ? 2 : 4) : 1;
	} else {
		if (i >= max)
			return -1;
		op = b[i++];
		in->opcode = op;
		in->map = X86_MAP_0F;
		switch (op) {
		case 0xa2: k = X86_KIND_CPUID; break;
		case 0x32: k = X86_KIND_RDMSR; break;
		case 0x30: k = X86_KIND_WRMSR; break;
		case 0x33: k = X86_KIND_RDPMC; break;
		case 0x07: k = X86_KIND_SYSRET; break;
		case 0x35: k = X86_KIND_SYSEXIT; break;
		case 0x06: k = X86_KIND_CLTS; break;
		case 0x08: k = X86_KIND_INVD; break;
		case 0x09: k = X86_KIND_WBINVD; break;
		case 0x31: k = X86_KIND_RDTSC; break;
		case 0xa0: case 0xa8: k = X86_KIND_PUSH_SEG; break;
		case 0xa1: case 0xa9: k = X86_KIND_POP_SEG; break;
		case 0x01: {
			if (i >= max)
				return -1;
			x86_u8 modrm = b[i];
			n = decode_modrm(b + i, max - i, in);
			if (n < 0)
				return -1;
			i += n;
			k = group7(in, modrm);
			break;
		}
		case 0x00:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0)
				return -1;
			i += n;
			switch (in->reg & 7) {
			case 0: k = X86_KIND_SLDT; break;
			case 1: k = X86_KIND_STR; break;
			case 2: k = X86_KIND_LLDT; break;
			case 3: k = X86_KIND_LTR; break;
			case 4: k = X86_KIND_VERR; break;
			case 5: k = X86_KIND_VERW; break;
			default: return -1;
			}
			break;
		case 0x02: case 0x03:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0)
				return -1;
			i += n;
			k = op == 0x02 ? X86_KIND_LAR : X86_KIND_LSL;
			break;
		case 0x20: case 0x21: case 0x22: case 0x23:
			/* mov to/from cr/dr: ModRM is always a register form. */
			if (i >= max)
				return -1;
			in->has_modrm = 1;
			in->mod = 3;
			in->reg = ((b[i] >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
			in->rm = (b[i] & 7) | ((in->rex & 1) ? 8 : 0);
			i++;
			in->opsize = 8;
			k = op == 0x20 ? X86_KIND_MOV_FROM_CR : op == 0x21 ? X86_KIND_MOV_FROM_DR :
			    op == 0x22 ? X86_KIND_MOV_TO_CR : X86_KIND_MOV_TO_DR;
			break;
		case 0xae:
			if (!(in->prefixes & X86_PFX_REP))
				return -1;
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || in->mod != 3 || (in->reg & 7) > 3)
				return -1;
			i += n;
			k = (enum x86_kind)(X86_KIND_RDFSBASE + (in->reg & 7));
			break;
		case 0xc7:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || in->mod == 3)
				return -1;
			i += n;
			if ((in->reg & 7) == 5)
				k = X86_KIND_XSAVES;
			else if ((in->reg & 7) == 3)
				k = X86_KIND_XRSTORS;
			else
				return -1;
			break;
		case 0xb2: case 0xb4: case 0xb5:
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || in->mod == 3)
				return -1;
			i += n;
			k = X86_KIND_LOAD_FARPTR;
			break;
		case 0x38:
			if (i + 1 >= max || b[i] != 0x82 || !(in->prefixes & X86_PFX_OPSIZE))
				return -1;
			in->map = X86_MAP_0F38;
			in->opcode = b[i++];
			n = decode_modrm(b + i, max - i, in);
			if (n < 0 || in->mod == 3)
				return -1;
			i += n;
			k = X86_KIND_INVPCID;
			break;
		case 0x1f:   /* multi-byte nop */
			n = decode_modrm(b + i, max - i, in);
			if (n < 0)
				return -1;
			i += n;
			k = X86_KIND_NONE;
			break;
		default:
			return -1;
		}
	}
	if (k == X86_KIND_MAX)
		return -1;
	if (in->imm_size) {
		if (i + in->imm_size > max)
			return -1;
		in->imm = 0;
		for (unsigned j = 0; j < in->imm_size; j++)
			in->imm |= (x86_u64)b[i + j] << (8 * j);
		if (in->imm_size == 4 && in->opsize == 8)   /* mov $imm32 to 64 bits: sign-extended */
			in->imm = (x86_u64)(long long)(x86_s32)(x86_u32)in->imm;
		i += in->imm_size;
	}
	in->kind = k;
	in->len = (x86_u8)i;
	return 0;
}

x86_u64 x86_effective_address(const struct x86_insn *in, const x86_u64 *gpr,
			      x86_u64 next_rip)
{
	x86_u64 ea = (x86_u64)(long long)in->disp;
	if (in->rip_relative)
		return next_rip + ea;
	if (in->base != X86_REG_NONE)
		ea += gpr[in->base];
	if (in->index != X86_REG_NONE)
		ea += gpr[in->index] * in->scale;
	return ea;
}
