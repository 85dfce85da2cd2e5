// SPDX-License-Identifier: BSD-2-Clause
#include "ia64/bundle.h"

#include <string.h>

struct ia64_bundle ia64_bundle_load(const void *bytes)
{
	const uint8_t *p = bytes;
	struct ia64_bundle b = {0, 0};
	for (int i = 7; i >= 0; i--) {
		b.lo = (b.lo << 8) | p[i];
		b.hi = (b.hi << 8) | p[8 + i];
	}
	return b;
}

void ia64_bundle_store(struct ia64_bundle b, void *bytes)
{
	uint8_t *p = bytes;
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(b.lo >> (8 * i));
		p[8 + i] = (uint8_t)(b.hi >> (8 * i));
	}
}

unsigned ia64_bundle_template(struct ia64_bundle b)
{
	return b.lo & 0x1f;
}

uint64_t ia64_bundle_slot(struct ia64_bundle b, unsigned slot)
{
	switch (slot) {
	case 0: return (b.lo >> 5) & IA64_SLOT_MASK;
	case 1: return ((b.lo >> 46) | (b.hi << 18)) & IA64_SLOT_MASK;
	default: return (b.hi >> 23) & IA64_SLOT_MASK;
	}
}

void ia64_bundle_set_slot(struct ia64_bundle *b, unsigned slot, uint64_t insn)
{
	insn &= IA64_SLOT_MASK;
	switch (slot) {
	case 0:
		b->lo = (b->lo & ~(IA64_SLOT_MASK << 5)) | (insn << 5);
		break;
	case 1:  /* bits 46-63 of lo, 0-22 of hi */
		b->lo = (b->lo & ((1ULL << 46) - 1)) | (insn << 46);
		b->hi = (b->hi & ~((1ULL << 23) - 1)) | (insn >> 18);
		break;
	default:
		b->hi = (b->hi & ((1ULL << 23) - 1)) | (insn << 23);
		break;
	}
}

struct ia64_bundle ia64_bundle_make(unsigned tmpl, uint64_t s0, uint64_t s1, uint64_t s2)
{
	struct ia64_bundle b = { tmpl & 0x1f, 0 };
	ia64_bundle_set_slot(&b, 0, s0);
	ia64_bundle_set_slot(&b, 1, s1);
	ia64_bundle_set_slot(&b, 2, s2);
	return b;
}

static const struct {
	const char *units;
	unsigned stops;   /* bit i: stop after slot i */
} templates[32] = {
	[0x00] = {"MII", 0}, [0x01] = {"MII", 4}, [0x02] = {"MII", 2}, [0x03] = {"MII", 6},
	[0x04] = {"MLX", 0}, [0x05] = {"MLX", 4},
	[0x08] = {"MMI", 0}, [0x09] = {"MMI", 4}, [0x0a] = {"MMI", 1}, [0x0b] = {"MMI", 5},
	[0x0c] = {"MFI", 0}, [0x0d] = {"MFI", 4}, [0x0e] = {"MMF", 0}, [0x0f] = {"MMF", 4},
	[0x10] = {"MIB", 0}, [0x11] = {"MIB", 4}, [0x12] = {"MBB", 0}, [0x13] = {"MBB", 4},
	[0x16] = {"BBB", 0}, [0x17] = {"BBB", 4}, [0x18] = {"MMB", 0}, [0x19] = {"MMB", 4},
	[0x1c] = {"MFB", 0}, [0x1d] = {"MFB", 4},
};

const char *ia64_template_units(unsigned tmpl)
{
	return tmpl < 32 ? templates[tmpl].units : NULL;
}

unsigned ia64_template_stops(unsigned tmpl)
{
	return tmpl < 32 ? templates[tmpl].stops : 0;
}

int ia64_template_find(const char *units, unsigned stops)
{
	for (unsigned t = 0; t < 32; t++)
		if (templates[t].units && !strcmp(templates[t].units, units) &&
		    templates[t].stops == stops)
			return (int)t;
	return -1;
}

uint32_t ia64_insn_imm24(uint64_t s)
{
	return (uint32_t)(((s >> 6) & 0x1fffff) | (((s >> 31) & 3) << 21) |
			  (((s >> 36) & 1) << 23));
}

uint32_t ia64_insn_imm21(uint64_t s)
{
	return (uint32_t)(((s >> 6) & 0xfffff) | (((s >> 36) & 1) << 20));
}

bool ia64_is_nop(uint64_t s, char unit)
{
	switch (unit) {
	case 'M':  /* major 0, x3 0, x4 1, x2 0 */
		return (s & ((0xfULL << 37) | (7ULL << 33) | (0x3fULL << 27))) == (1ULL << 27);
	case 'I':  /* major 0, x3 0, x6 1 */
	case 'X':
		return (s & ((0xfULL << 37) | (7ULL << 33) | (0x3fULL << 27))) == (1ULL << 27);
	case 'F':  /* major 0, x 0, x6 1 */
		return (s & ((0xfULL << 37) | (1ULL << 33) | (0x3fULL << 27))) == (1ULL << 27);
	case 'B':  /* major 2, x6 0 */
		return (s & ((0xfULL << 37) | (0x3fULL << 27))) == (2ULL << 37);
	case 'L':
		return true;  /* judged with its X slot */
	default:
		return false;
	}
}

uint64_t ia64_enc_nop(char unit)
{
	return unit == 'B' ? (2ULL << 37) : (1ULL << 27);
}

uint64_t ia64_enc_break_m(unsigned qp, uint32_t imm21)
{
	return ((uint64_t)(imm21 & 0xfffff) << 6) | ((uint64_t)((imm21 >> 20) & 1) << 36) | (qp & 0x3f);
}

uint64_t ia64_enc_ld8(unsigned qp, unsigned r1, unsigned r3)
{
	return (4ULL << 37) | (0x03ULL << 30) | ((uint64_t)(r3 & 0x7f) << 20) |
	       ((uint64_t)(r1 & 0x7f) << 6) | (qp & 0x3f);
}

uint64_t ia64_enc_st(unsigned qp, unsigned size, unsigned r3, unsigned r2)
{
	unsigned x6 = size == 1 ? 0x30 : size == 2 ? 0x31 : size == 4 ? 0x32 : 0x33;
	return (4ULL << 37) | ((uint64_t)x6 << 30) | ((uint64_t)(r3 & 0x7f) << 20) |
	       ((uint64_t)(r2 & 0x7f) << 13) | (qp & 0x3f);
}

uint64_t ia64_enc_mov_to_ar_m(unsigned qp, unsigned ar, unsigned r2)
{
	return (1ULL << 37) | (0x2aULL << 27) | ((uint64_t)(ar & 0x7f) << 20) |
	       ((uint64_t)(r2 & 0x7f) << 13) | (qp & 0x3f);
}

uint64_t ia64_enc_mov_from_ar_m(unsigned qp, unsigned r1, unsigned ar)
{
	return (1ULL << 37) | (0x22ULL << 27) | ((uint64_t)(ar & 0x7f) << 20) |
	       ((uint64_t)(r1 & 0x7f) << 6) | (qp & 0x3f);
}

/* X2: L slot = imm bits 22-62; X slot: major 6, i (36) = bit 63,
 * imm9d (27-35) = bits 7-15, imm5c (22-26) = bits 16-20, ic (21) = bit 21,
 * vc (20) = 0, imm7b (13-19) = bits 0-6. */
void ia64_enc_movl(unsigned qp, unsigned r1, uint64_t imm, uint64_t *l, uint64_t *x)
{
	*l = (imm >> 22) & IA64_SLOT_MASK;
	*x = (6ULL << 37) | (((imm >> 63) & 1) << 36) | (((imm >> 7) & 0x1ff) << 27) |
	     (((imm >> 16) & 0x1f) << 22) | (((imm >> 21) & 1) << 21) |
	     ((imm & 0x7f) << 13) | ((uint64_t)(r1 & 0x7f) << 6) | (qp & 0x3f);
}

uint64_t ia64_movl_imm(uint64_t l, uint64_t x)
{
	return ((l & IA64_SLOT_MASK) << 22) | (((x >> 36) & 1) << 63) |
	       (((x >> 27) & 0x1ff) << 7) | (((x >> 22) & 0x1f) << 16) |
	       (((x >> 21) & 1) << 21) | ((x >> 13) & 0x7f);
}
