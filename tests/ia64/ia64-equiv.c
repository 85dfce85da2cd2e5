// SPDX-License-Identifier: BSD-2-Clause
/*
 * ia64-equiv A.bin B.bin: differential check of two IA-64 code fragments
 * (raw bytes, loaded at the same address), used by tests/ia64/table.test
 * to compare a macro-mode function with the pad-mode function after the
 * rewriter ran: run from the first bundle to the first branch on a tiny
 * interpreter of the instruction forms both use (nop, add, movl, ld8,
 * st1/2/8, mov.m to/from ar.csd, break.m), with p6 and p7 in all four
 * combinations, and the same registers and virtual CPU (ia64/vcpu.h at
 * 0xa000000000010000) to start with.  Equivalent when every run ends with
 * the same registers, ar.csd and virtual CPU, or traps with the same
 * break.m immediate and carries the same instruction in the bundle after
 * it.  A read or second write of a register written earlier in the same
 * instruction group (RAW/WAW) is an error.  Exit 0: equivalent; 1: not;
 * 2: an instruction outside the subset (so nothing is assumed).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia64/bundle.h"
#include "ia64/vcpu.h"

#define VCPU 0xa000000000010000ULL

struct machine {
	uint64_t gr[128];
	int pr[64];
	uint64_t csd;
	uint8_t vcpu[AB_IA64_VCPU_SIZE];
	uint32_t trapped;
	uint64_t carried;       /* first non-nop slot of the bundle after the trap */
	int written[129];
	const char *error;
	char msg[200];
};

static int fail(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	m->error = m->msg;
	return -1;
}

static int rd(struct machine *m, unsigned r, uint64_t *v)
{
	if (m->written[r])
		return fail(m, "RAW on %s inside an instruction group", r == 128 ? "ar.csd" : "a GR");
	*v = r == 128 ? m->csd : r == 0 ? 0 : m->gr[r];
	return 0;
}

static int wr(struct machine *m, unsigned r, uint64_t v)
{
	if (r == 0)
		return fail(m, "write to r0");
	if (m->written[r])
		return fail(m, "WAW on r%u inside an instruction group", r);
	m->written[r] = 1;
	if (r == 128)
		m->csd = v;
	else
		m->gr[r] = v;
	return 0;
}

static uint8_t *mem(struct machine *m, uint64_t addr, unsigned size)
{
	if (addr < VCPU || addr + size > VCPU + AB_IA64_VCPU_SIZE) {
		fail(m, "access at 0x%llx outside the virtual CPU", (unsigned long long)addr);
		return NULL;
	}
	return m->vcpu + (addr - VCPU);
}

/* 1: stop running (branch or trap), 0: continue, -1: error */
static int step(struct machine *m, uint64_t s, char unit, uint64_t lslot)
{
	unsigned major = ia64_insn_major(s), x6 = (s >> 27) & 0x3f;
	uint64_t a = 0, b = 0;
	if (ia64_is_nop(s, unit))
		return 0;
	if (unit == 'B')
		return 1;   /* the function's return: end of the fragment */
	if (!m->pr[ia64_insn_qp(s)])
		return 0;
	if (unit == 'X' && major == 6)
		return wr(m, ia64_insn_r1(s), ia64_movl_imm(lslot, s));
	if ((unit == 'M' || unit == 'I') && major == 8 && ((s >> 27) & 0x1ff) == 0) {   /* add */
		if (rd(m, ia64_insn_r2(s), &a) || rd(m, ia64_insn_r3(s), &b))
			return -1;
		return wr(m, ia64_insn_r1(s), a + b);
	}
	if (unit != 'M')
		return fail(m, "instruction 0x%011llx (%c) outside the subset", (unsigned long long)s, unit);
	if (major == 0 && ((s >> 27) & 0x1ff) == 0) {
		m->trapped = ia64_insn_imm21(s);
		return 1;
	}
	if (major == 4 && !((s >> 36) & 1) && !((s >> 27) & 1)) {
		unsigned x = (s >> 30) & 0x3f;
		uint8_t *p;
		if (rd(m, ia64_insn_r3(s), &a))
			return -1;
		if (x == 0x03) {
			if (!(p = mem(m, a, 8)))
				return -1;
			memcpy(&b, p, 8);
			return wr(m, ia64_insn_r1(s), b);
		}
		if (x == 0x30 || x == 0x31 || x == 0x33) {
			unsigned size = x == 0x30 ? 1 : x == 0x31 ? 2 : 8;
			if (rd(m, ia64_insn_r2(s), &b) || !(p = mem(m, a, size)))
				return -1;
			memcpy(p, &b, size);
			return 0;
		}
	}
	if (major == 1 && ((s >> 33) & 7) == 0 && ia64_insn_r3(s) == IA64_AR_CSD) {
		if (x6 == 0x2a)
			return rd(m, ia64_insn_r2(s), &a) ? -1 : wr(m, 128, a);
		if (x6 == 0x22)
			return rd(m, 128, &a) ? -1 : wr(m, ia64_insn_r1(s), a);
	}
	return fail(m, "instruction 0x%011llx (M) outside the subset", (unsigned long long)s);
}

static int run(struct machine *m, const uint8_t *code, size_t len)
{
	memset(m->written, 0, sizeof(m->written));
	for (size_t off = 0; off + 16 <= len; off += 16) {
		struct ia64_bundle bu = ia64_bundle_load(code + off);
		unsigned t = ia64_bundle_template(bu), stops = ia64_template_stops(t);
		const char *units = ia64_template_units(t);
		if (!units)
			return fail(m, "reserved template at +0x%zx", off);
		for (unsigned slot = 0; slot < 3; slot++) {
			if (units[slot] == 'L')
				continue;
			int r = step(m, ia64_bundle_slot(bu, slot), units[slot],
				     units[slot] == 'X' ? ia64_bundle_slot(bu, 1) : 0);
			if (r < 0)
				return -1;
			if (r > 0) {
				if (m->trapped && off + 32 <= len) {
					struct ia64_bundle c = ia64_bundle_load(code + off + 16);
					const char *cu = ia64_template_units(ia64_bundle_template(c));
					for (unsigned k = 0; cu && k < 3; k++)
						if (cu[k] != 'L' && !ia64_is_nop(ia64_bundle_slot(c, k), cu[k])) {
							m->carried = ia64_bundle_slot(c, k);
							break;
						}
				}
				return 0;
			}
			if (stops & (1u << slot))
				memset(m->written, 0, sizeof(m->written));
		}
	}
	return fail(m, "ran off the end without a branch");
}

static void init(struct machine *m, int p6, int p7)
{
	memset(m, 0, sizeof(*m));
	for (int r = 1; r < 128; r++)
		m->gr[r] = 0x0101010101010101ULL * (uint64_t)(r % 13 + 1) + (uint64_t)r;
	m->pr[0] = 1;
	m->pr[6] = p6;
	m->pr[7] = p7;
	m->csd = 0x5eed;
	for (int i = 0; i < AB_IA64_VCPU_SIZE; i++)
		m->vcpu[i] = (uint8_t)(i * 13 + 5);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	uint8_t *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ia64-equiv A.bin B.bin\n");
		return 2;
	}
	size_t la, lb;
	uint8_t *a = slurp(argv[1], &la), *b = slurp(argv[2], &lb);
	static struct machine ma, mb;
	int differ = 0;
	for (int p = 0; p < 4; p++) {
		init(&ma, p & 1, p >> 1);
		init(&mb, p & 1, p >> 1);
		if (run(&ma, a, la) || run(&mb, b, lb)) {
			fprintf(stderr, "ia64-equiv: %s: %s\n", ma.error ? argv[1] : argv[2],
				ma.error ? ma.error : mb.error);
			return 2;
		}
		const char *what = NULL;
		if (ma.trapped != mb.trapped)
			what = "trap";
		else if (ma.trapped && ma.carried != mb.carried)
			what = "carried instruction";
		else if (!ma.trapped && memcmp(ma.gr, mb.gr, sizeof(ma.gr)))
			what = "registers";
		else if (!ma.trapped && ma.csd != mb.csd)
			what = "ar.csd";
		else if (!ma.trapped && memcmp(ma.vcpu, mb.vcpu, sizeof(ma.vcpu)))
			what = "virtual CPU";
		printf("p6=%d p7=%d: %s (trap 0x%x)\n", p & 1, p >> 1, what ? what : "same", ma.trapped);
		if (what) {
			fprintf(stderr, "ia64-equiv: p6=%d p7=%d: %s differ (trap 0x%x vs 0x%x)\n",
				p & 1, p >> 1, what, ma.trapped, mb.trapped);
			differ = 1;
		}
	}
	return differ;
}
