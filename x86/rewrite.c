/* SPDX-License-Identifier: BSD-2-Clause */
/* Site rewriter (see rewrite.h).  Freestanding. */
#include "x86/rewrite.h"

const char *x86_rewrite_strerror(enum x86_rewrite_status st)
{
	switch (st) {
	case X86_REWRITE_OK: return "ok";
	case X86_REWRITE_KEPT: return "kept";
	case X86_REWRITE_BAD_KIND: return "unknown kind";
	case X86_REWRITE_TOO_SHORT: return "site too short for its rewrite";
	case X86_REWRITE_MISMATCH: return "bytes at the site are not the recorded instruction";
	case X86_REWRITE_BAD_LENGTH: return "recorded instruction length differs from the decoded one";
	case X86_REWRITE_FAR_TARGET: return "target not reachable by an absolute 32-bit address";
	}
	return "?";
}

void x86_fill_nops(x86_u8 *p, unsigned n)
{
	static const x86_u8 nops[9][9] = {
		{ 0 },
		{ 0x90 },
		{ 0x66, 0x90 },
		{ 0x0f, 0x1f, 0x00 },
		{ 0x0f, 0x1f, 0x40, 0x00 },
		{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};
	while (n) {
		unsigned k = n > 8 ? 8 : n;
		for (unsigned i = 0; i < k; i++)
			p[i] = nops[k][i];
		p += k;
		n -= k;
	}
}

static int abs32_ok(x86_u64 a)
{
	return (long long)a == (long long)(x86_s32)(x86_u32)a;
}

static x86_u8 *put32(x86_u8 *p, x86_u64 v)
{
	p[0] = (x86_u8)v;
	p[1] = (x86_u8)(v >> 8);
	p[2] = (x86_u8)(v >> 16);
	p[3] = (x86_u8)(v >> 24);
	return p + 4;
}

/* movb $imm, abs32 */
static x86_u8 *emit_movb_abs(x86_u8 *p, x86_u64 addr, x86_u8 imm)
{
	*p++ = 0xc6; *p++ = 0x04; *p++ = 0x25;
	p = put32(p, addr);
	*p++ = imm;
	return p;
}

/* call *abs32 */
static x86_u8 *emit_call_abs(x86_u8 *p, x86_u64 slot)
{
	*p++ = 0xff; *p++ = 0x14; *p++ = 0x25;
	return put32(p, slot);
}

enum x86_rewrite_status x86_rewrite_site(x86_u8 *site, unsigned length,
					 unsigned insn_len, unsigned kind,
					 const struct x86_rewrite_targets *t,
					 struct x86_insn *insn,
					 unsigned *ret_offset)
{
	x86_u8 buf[256];
	x86_u8 *p = buf;
	*ret_offset = 0;
	if (kind == 0 || kind >= X86_KIND_MAX || x86_kind_pad(kind) == 0)
		return X86_REWRITE_BAD_KIND;
	if (insn_len == 0 || insn_len > length || length > sizeof(buf))
		return X86_REWRITE_BAD_LENGTH;
	if (x86_decode(site, insn_len, insn) != 0 || insn->kind != kind)
		return X86_REWRITE_MISMATCH;
	if (insn->len != insn_len)
		return X86_REWRITE_BAD_LENGTH;
	if (x86_kind_flags(kind) & X86_K_COUNT)
		return X86_REWRITE_KEPT;
	switch (kind) {
	case X86_KIND_CLI:
		if (!abs32_ok(t->upcall_mask))
			return X86_REWRITE_FAR_TARGET;
		if (length < 8)
			return X86_REWRITE_TOO_SHORT;
		p = emit_movb_abs(p, t->upcall_mask, 1);
		break;
	case X86_KIND_STI:
		/* the stub unmasks, then tests upcall_pending (an inline
		 * unmask as well would not fit the 8-byte pad) */
		if (!abs32_ok(t->sti_check_slot))
			return X86_REWRITE_FAR_TARGET;
		if (length < 7)
			return X86_REWRITE_TOO_SHORT;
		p = emit_call_abs(p, t->sti_check_slot);
		*ret_offset = (unsigned)(p - buf);
		break;
	default:
		if (!abs32_ok(t->slot[kind]))
			return X86_REWRITE_FAR_TARGET;
		if (length < 7)
			return X86_REWRITE_TOO_SHORT;
		p = emit_call_abs(p, t->slot[kind]);
		*ret_offset = (unsigned)(p - buf);
		break;
	}
	unsigned used = (unsigned)(p - buf);
	x86_fill_nops(p, length - used);
	for (unsigned i = 0; i < length; i++)
		site[i] = buf[i];
	return X86_REWRITE_OK;
}

unsigned x86_rewrite_call(x86_u8 *site, unsigned length, x86_u64 slot)
{
	if (length < 7 || !abs32_ok(slot))
		return 0;
	x86_u8 *p = emit_call_abs(site, slot);
	x86_fill_nops(p, length - 7);
	return 7;
}

enum x86_trap_form x86_trap_form(unsigned kind)
{
	switch (kind) {
	case X86_KIND_SWAPGS:
	case X86_KIND_SYSRET:
	case X86_KIND_SYSEXIT:
		return X86_TRAP_ORIGINAL;
	case X86_KIND_LAR:
	case X86_KIND_LSL:
	case X86_KIND_VERR:
	case X86_KIND_VERW:
		return X86_TRAP_UD2;
	}
	return X86_TRAP_NONE;
}

unsigned x86_rewrite_trap(x86_u8 *site, unsigned length, unsigned insn_len, const x86_u8 *original,
			  enum x86_trap_form form)
{
	if (form == X86_TRAP_UD2 && length >= 2) {
		site[0] = 0x0f;
		site[1] = 0x0b;
		x86_fill_nops(site + 2, length - 2);
		return length;
	}
	for (unsigned i = 0; i < length; i++)
		site[i] = original[i];
	return insn_len;
}
