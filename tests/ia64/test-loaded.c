// SPDX-License-Identifier: BSD-2-Clause
/*
 * Executes the loaded forms the rewriter produces, on a tiny interpreter
 * of exactly the instruction forms those forms use (nop, movl, ld8,
 * st1/st2/st8, mov.m to/from ar, break.m), with a virtual CPU in memory.
 * Checks what each form does (the vcpu field, the destination), that the
 * predicate is honoured, that every other register (scratch included) is
 * restored, and that the stops are right: the interpreter rejects a read
 * or a second write of a register written earlier in the same instruction
 * group (RAW/WAW), which the hardware leaves undefined.
 * Not an IA-64 simulator: anything outside those forms fails the test.
 * Input instructions are encodings from ia64-linux-gnu-as 2.40.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ia64/bundle.h"
#include "ia64/rewrite.h"
#include "ia64/sensitive.h"
#include "ia64/vcpu.h"

#define VCPU 0xa000000000010000ULL

struct machine {
	uint64_t gr[128];
	int pr[64];
	uint64_t csd;
	uint8_t vcpu[AB_IA64_VCPU_SIZE];
	uint32_t trapped;     /* break immediate, 0 if none */
	int next_bundle;      /* where execution continues after a trap */
	/* instruction-group bookkeeping: registers written in this group */
	int written[129];     /* 0-127: gr, 128: ar.csd */
};

static uint8_t *mem(struct machine *m, uint64_t addr, unsigned size)
{
	assert_true(addr >= VCPU && addr + size <= VCPU + AB_IA64_VCPU_SIZE);
	return m->vcpu + (addr - VCPU);
}

static uint64_t rd(struct machine *m, unsigned r)
{
	assert_false(m->written[r]);   /* RAW inside an instruction group */
	return r == 128 ? m->csd : m->gr[r];
}

static void wr(struct machine *m, unsigned r, uint64_t v)
{
	assert_true(r != 0);
	assert_false(m->written[r]);   /* WAW inside an instruction group */
	m->written[r] = 1;
	if (r == 128)
		m->csd = v;
	else
		m->gr[r] = v;
}

static int step(struct machine *m, uint64_t s, char unit, uint64_t lslot)
{
	if (!m->pr[ia64_insn_qp(s)])
		return 0;
	unsigned major = ia64_insn_major(s), x6 = (s >> 27) & 0x3f;
	if (ia64_is_nop(s, unit))
		return 0;
	if (unit == 'X' && major == 6) {        /* movl */
		wr(m, ia64_insn_r1(s), ia64_movl_imm(lslot, s));
		return 0;
	}
	assert_int_equal(unit, 'M');
	if (major == 0 && ((s >> 27) & 0x1ff) == 0) {  /* break.m: x3, x2, x4 zero */
		m->trapped = ia64_insn_imm21(s);
		return 1;
	}
	if (major == 4 && ((s >> 36) & 1) == 0 && ((s >> 27) & 1) == 0) {
		unsigned x = (s >> 30) & 0x3f;
		uint64_t addr = rd(m, ia64_insn_r3(s));
		if (x == 0x03) {                /* ld8 */
			uint64_t v;
			memcpy(&v, mem(m, addr, 8), 8);
			wr(m, ia64_insn_r1(s), v);
			return 0;
		}
		if (x == 0x30 || x == 0x31 || x == 0x33) {
			unsigned size = x == 0x30 ? 1 : x == 0x31 ? 2 : 8;
			uint64_t v = rd(m, ia64_insn_r2(s));
			memcpy(mem(m, addr, size), &v, size);   /* little endian host */
			return 0;
		}
	}
	if (major == 1 && ((s >> 33) & 7) == 0 && ia64_insn_r3(s) == IA64_AR_CSD) {
		if (x6 == 0x2a) {               /* mov.m ar.csd=r2 */
			wr(m, 128, rd(m, ia64_insn_r2(s)));
			return 0;
		}
		if (x6 == 0x22) {               /* mov.m r1=ar.csd */
			wr(m, ia64_insn_r1(s), rd(m, 128));
			return 0;
		}
	}
	fail_msg("instruction 0x%011llx (%c) is not one the loaded forms use",
		 (unsigned long long)s, unit);
	return 1;
}

static void run(struct machine *m, const uint8_t *code, int bundles)
{
	memset(m->written, 0, sizeof(m->written));   /* the burner put a stop before */
	for (int i = 0; i < bundles; i++) {
		struct ia64_bundle b = ia64_bundle_load(code + 16 * i);
		unsigned t = ia64_bundle_template(b), stops = ia64_template_stops(t);
		const char *units = ia64_template_units(t);
		assert_non_null(units);
		for (unsigned slot = 0; slot < 3; slot++) {
			if (units[slot] == 'L')
				continue;
			if (step(m, ia64_bundle_slot(b, slot), units[slot],
				 units[slot] == 'X' ? ia64_bundle_slot(b, 1) : 0)) {
				m->next_bundle = i + 1;
				return;
			}
			if (stops & (1u << slot))
				memset(m->written, 0, sizeof(m->written));
		}
	}
	/* every loaded form ends with a stop */
	for (int r = 0; r < 129; r++)
		assert_false(m->written[r]);
}

static void init(struct machine *m)
{
	memset(m, 0, sizeof(*m));
	for (int r = 1; r < 128; r++)
		m->gr[r] = 0x1111111111111111ULL * (uint64_t)(r % 15 + 1) + (uint64_t)r;
	m->pr[0] = 1;
	m->pr[6] = 1;      /* p6 true, p7 false */
	m->csd = 0xc5dc5dc5dULL;
	for (int i = 0; i < AB_IA64_VCPU_SIZE; i++)
		m->vcpu[i] = (uint8_t)(i * 7 + 3);
}

static void make_site(uint8_t site[32], uint64_t insn)
{
	ia64_bundle_store(ia64_bundle_make(0x0a, insn, ia64_enc_nop('M'), ia64_enc_nop('I')), site);
	ia64_bundle_store(ia64_bundle_make(0x01, ia64_enc_nop('M'), ia64_enc_nop('I'),
					   ia64_enc_nop('I')), site + 16);
}

/* Reference encodings (ia64-linux-gnu-as), operands replaced field-wise. */
static uint64_t with(uint64_t insn, unsigned qp, int r1, int r2, int r3)
{
	insn &= ~0x3fULL;
	insn |= qp;
	if (r1 >= 0) insn = (insn & ~(0x7fULL << 6)) | ((uint64_t)r1 << 6);
	if (r2 >= 0) insn = (insn & ~(0x7fULL << 13)) | ((uint64_t)r2 << 13);
	if (r3 >= 0) insn = (insn & ~(0x7fULL << 20)) | ((uint64_t)r3 << 20);
	return insn;
}
#define MOV_FROM_CR_IFA_R9 0x02121400240ULL   /* mov r9=cr.ifa */
#define MOV_TO_CR_IFA_R9   0x02161412000ULL   /* mov cr.ifa=r9 */
#define MOV_FROM_K3_R9     0x02110300240ULL   /* mov r9=ar.k3 */
#define MOV_TO_K3_R9       0x02150312000ULL   /* mov ar.k3=r9 */
#define MOV_TO_PSR_L_R9    0x02168012000ULL   /* mov psr.l=r9 */
static uint64_t rsm(unsigned qp, uint32_t imm) { return (7ULL << 27) | ((uint64_t)imm << 6) | qp; }
static uint64_t ssm(unsigned qp, uint32_t imm) { return (6ULL << 27) | ((uint64_t)imm << 6) | qp; }

static uint64_t vcpu64(struct machine *m, unsigned off)
{
	uint64_t v;
	memcpy(&v, m->vcpu + off, 8);
	return v;
}

/* Rewrite and run one site; check the registers other than `dst` kept. */
static void exec_site(struct machine *m, uint64_t insn, unsigned kind, enum ia64_form want, int dst)
{
	uint8_t site[32];
	char err[200] = "";
	struct machine before;
	make_site(site, insn);
	assert_int_equal(ia64_rewrite_site(site, 0, kind, VCPU, err, sizeof(err)), want);
	before = *m;
	run(m, site, 2);
	for (int r = 0; r < 128; r++)
		if (r != dst)
			assert_int_equal(m->gr[r], before.gr[r]);
}

static void load_forms(void **state)
{
	(void)state;
	struct machine m;
	for (int qp = 6; qp <= 7; qp++) {
		init(&m);
		uint64_t old = m.gr[9];
		exec_site(&m, with(MOV_FROM_CR_IFA_R9, qp, -1, -1, -1), IA64_KIND_MOV_FROM_CR, IA64_FORM_LOAD, 9);
		assert_int_equal(m.gr[9], qp == 6 ? vcpu64(&m, AB_IA64_VCPU_CR + 8 * 20) : old);
		init(&m);
		old = m.gr[40];
		exec_site(&m, with(MOV_FROM_K3_R9, qp, 40, -1, -1), IA64_KIND_MOV_FROM_KR, IA64_FORM_LOAD, 40);
		assert_int_equal(m.gr[40], qp == 6 ? vcpu64(&m, AB_IA64_VCPU_KR + 8 * 3) : old);
	}
}

static void store_forms(void **state)
{
	(void)state;
	struct machine m;
	static const int sources[] = {9, 2, 3, 14, 0, 100};
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		for (int qp = 6; qp <= 7; qp++) {
			int src = sources[i];
			init(&m);
			uint64_t old = vcpu64(&m, AB_IA64_VCPU_CR + 8 * 19);
			/* mov cr.iip=rS (cr 19) */
			exec_site(&m, with(MOV_TO_CR_IFA_R9, qp, -1, src, 19), IA64_KIND_MOV_TO_CR,
				  IA64_FORM_STORE, -1);
			assert_int_equal(vcpu64(&m, AB_IA64_VCPU_CR + 8 * 19), qp == 6 ? m.gr[src] : old);
			init(&m);
			old = vcpu64(&m, AB_IA64_VCPU_KR + 8 * 5);
			exec_site(&m, with(MOV_TO_K3_R9, qp, -1, src, 5), IA64_KIND_MOV_TO_KR,
				  IA64_FORM_STORE, -1);
			assert_int_equal(vcpu64(&m, AB_IA64_VCPU_KR + 8 * 5), qp == 6 ? m.gr[src] : old);
		}
	}
}

static void psr_forms(void **state)
{
	(void)state;
	struct machine m;
	const uint32_t I = 1u << 14, IC = 1u << 13;
	init(&m);
	exec_site(&m, rsm(6, I | IC), IA64_KIND_RSM, IA64_FORM_STORE, -1);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_I], 0);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_IC], 0);
	init(&m);
	uint8_t ic = m.vcpu[AB_IA64_VCPU_PSR_IC];
	exec_site(&m, rsm(0, I), IA64_KIND_RSM, IA64_FORM_STORE, -1);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_I], 0);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_IC], ic);
	init(&m);
	uint8_t i = m.vcpu[AB_IA64_VCPU_PSR_I];
	exec_site(&m, rsm(0, IC), IA64_KIND_RSM, IA64_FORM_STORE, -1);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_IC], 0);
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_I], i);
	init(&m);
	m.vcpu[AB_IA64_VCPU_PSR_I] = 0;
	exec_site(&m, rsm(7, I), IA64_KIND_RSM, IA64_FORM_STORE, -1);   /* p7 false */
	assert_int_equal(m.vcpu[AB_IA64_VCPU_PSR_IC], (uint8_t)(AB_IA64_VCPU_PSR_IC * 7 + 3));
	init(&m);
	m.vcpu[AB_IA64_VCPU_PSR_IC] = 0;
	exec_site(&m, ssm(6, IC), IA64_KIND_SSM, IA64_FORM_STORE, -1);
	assert_int_not_equal(m.vcpu[AB_IA64_VCPU_PSR_IC], 0);
	/* other bits, and ssm psr.i, go to the wedge */
	init(&m);
	exec_site(&m, rsm(0, 1u << 17), IA64_KIND_RSM, IA64_FORM_TRAP, -1);
	assert_int_equal(m.trapped, IA64_BREAK_WEDGE + IA64_KIND_RSM);
	init(&m);
	exec_site(&m, ssm(0, I), IA64_KIND_SSM, IA64_FORM_TRAP, -1);
	assert_int_equal(m.trapped, IA64_BREAK_WEDGE + IA64_KIND_SSM);
}

static void trap_form(void **state)
{
	(void)state;
	struct machine m;
	uint8_t site[32], orig[16];
	char err[200];
	for (int qp = 6; qp <= 7; qp++) {
		init(&m);
		make_site(site, with(MOV_TO_PSR_L_R9, qp, -1, -1, -1));
		memcpy(orig, site, 16);
		assert_int_equal(ia64_rewrite_site(site, 0, IA64_KIND_MOV_TO_PSR_L, VCPU, err, sizeof(err)),
				 IA64_FORM_TRAP);
		/* the wedge finds the original right behind the break */
		assert_memory_equal(site + 16, orig, 16);
		run(&m, site, 1);
		assert_int_equal(m.trapped, qp == 6 ? IA64_BREAK_WEDGE + IA64_KIND_MOV_TO_PSR_L : 0);
	}
	/* cr.ivr reads and side-effect cr writes trap too */
	init(&m);
	exec_site(&m, with(MOV_FROM_CR_IFA_R9, 0, -1, -1, AB_IA64_CR_IVR), IA64_KIND_MOV_FROM_CR,
		  IA64_FORM_TRAP, -1);
	init(&m);
	exec_site(&m, with(MOV_TO_CR_IFA_R9, 0, -1, -1, 66 /* cr.tpr */), IA64_KIND_MOV_TO_CR,
		  IA64_FORM_TRAP, -1);
	assert_int_equal(m.trapped, IA64_BREAK_WEDGE + IA64_KIND_MOV_TO_CR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_forms),
		cmocka_unit_test(store_forms),
		cmocka_unit_test(psr_forms),
		cmocka_unit_test(trap_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
