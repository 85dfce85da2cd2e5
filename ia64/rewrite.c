// SPDX-License-Identifier: BSD-2-Clause
/* Pad-mode site rewriter: see rewrite.h for the loaded forms. */
#include "ia64/rewrite.h"

#include <stdio.h>
#include <string.h>

#include "ia64/bundle.h"
#include "ia64/sensitive.h"
#include "ia64/vcpu.h"

#define PSR_IC (1u << 13)
#define PSR_I  (1u << 14)

struct site_insn {
	uint64_t insn;
	char unit;
};

/* Check the site against its record; on success *out is the instruction. */
static int check_site(const uint8_t *site, unsigned slot, unsigned kind,
		      struct site_insn *out, char *err, size_t errlen)
{
	struct ia64_bundle b0 = ia64_bundle_load(site);
	struct ia64_bundle b1 = ia64_bundle_load(site + 16);
	const char *units = ia64_template_units(ia64_bundle_template(b0));
	const char *units1 = ia64_template_units(ia64_bundle_template(b1));

	if (!units || !units1) {
		snprintf(err, errlen, "reserved template 0x%x/0x%x",
			 ia64_bundle_template(b0), ia64_bundle_template(b1));
		return -1;
	}
	if (slot > 2 || units[slot] == 'X') {
		snprintf(err, errlen, "slot %u is not an instruction start in a %s bundle", slot, units);
		return -1;
	}
	/* An MLX instruction is tagged at slot 1 and decoded from its X slot. */
	unsigned islot = units[slot] == 'L' ? 2 : slot;
	char unit = units[islot];
	uint64_t insn = ia64_bundle_slot(b0, islot);
	unsigned found = ia64_classify(insn, unit);
	if (found != kind) {
		snprintf(err, errlen, "slot %u (%c-unit) holds kind %u (%s), record says %u (%s)",
			 slot, unit, found, found ? ia64_kind_name(found) : "not sensitive",
			 kind, ia64_kind_name(kind) ? ia64_kind_name(kind) : "unknown");
		return -1;
	}
	for (unsigned i = 0; i < 3; i++) {
		if (i != slot && i != islot &&
		    !ia64_is_nop(ia64_bundle_slot(b0, i), units[i])) {
			snprintf(err, errlen, "slot %u of the site bundle is not a nop", i);
			return -1;
		}
		if (!ia64_is_nop(ia64_bundle_slot(b1, i), units1[i])) {
			snprintf(err, errlen, "slot %u of the pad bundle is not a nop", i);
			return -1;
		}
	}
	out->insn = insn;
	out->unit = unit;
	return 0;
}

/* Decide the form and its parameters. */
struct plan {
	enum ia64_form form;
	unsigned qp, reg;       /* LOAD: destination; STORE: source (0 = r0) */
	unsigned scratch;       /* STORE */
	unsigned size;          /* STORE: 1, 2 or 8 bytes */
	unsigned offset;        /* into the vcpu */
	int store_address;      /* STORE: store the scratch itself (ssm psr.ic) */
};

static struct plan plan_site(const struct site_insn *si, unsigned kind)
{
	struct plan p = { IA64_FORM_TRAP, ia64_insn_qp(si->insn), 0, 0, 8, 0, 0 };
	uint64_t s = si->insn;

	switch (kind) {
	case IA64_KIND_MOV_FROM_CR:
		if (ia64_insn_r3(s) == AB_IA64_CR_IVR)
			break;   /* reading cr.ivr acknowledges an interrupt: wedge */
		p.form = IA64_FORM_LOAD;
		p.reg = ia64_insn_r1(s);
		p.offset = AB_IA64_VCPU_CR + 8 * ia64_insn_r3(s);
		break;
	case IA64_KIND_MOV_FROM_KR:
		p.form = IA64_FORM_LOAD;
		p.reg = ia64_insn_r1(s);
		p.offset = AB_IA64_VCPU_KR + 8 * (ia64_insn_r3(s) & 7);
		break;
	case IA64_KIND_MOV_TO_CR: {
		unsigned cr = ia64_insn_r3(s);
		if (cr < AB_IA64_CR_STORE_FIRST || cr > AB_IA64_CR_STORE_LAST)
			break;
		p.form = IA64_FORM_STORE;
		p.reg = ia64_insn_r2(s);
		p.offset = AB_IA64_VCPU_CR + 8 * cr;
		break;
	}
	case IA64_KIND_MOV_TO_KR:
		if (ia64_insn_major(s) != 1)
			break;   /* the immediate form (M30) traps */
		p.form = IA64_FORM_STORE;
		p.reg = ia64_insn_r2(s);
		p.offset = AB_IA64_VCPU_KR + 8 * (ia64_insn_r3(s) & 7);
		break;
	case IA64_KIND_RSM: {
		uint32_t mask = ia64_insn_imm24(s);
		if (mask == 0 || (mask & ~(PSR_I | PSR_IC)))
			break;
		p.form = IA64_FORM_STORE;
		p.reg = 0;
		p.size = mask == (PSR_I | PSR_IC) ? 2 : 1;
		p.offset = mask & PSR_IC ? AB_IA64_VCPU_PSR_IC : AB_IA64_VCPU_PSR_I;
		break;
	}
	case IA64_KIND_SSM:
		if (ia64_insn_imm24(s) != PSR_IC)
			break;   /* psr.i must deliver pending events: wedge */
		p.form = IA64_FORM_STORE;
		p.size = 1;
		p.offset = AB_IA64_VCPU_PSR_IC;
		p.store_address = 1;
		break;
	default:
		break;
	}
	if (p.form == IA64_FORM_STORE) {
		static const unsigned candidates[] = {2, 3, 14};
		for (unsigned i = 0; i < 3; i++)
			if (candidates[i] != p.reg) {
				p.scratch = candidates[i];
				break;
			}
	}
	return p;
}

enum ia64_form ia64_site_form(const uint8_t *site, unsigned slot, unsigned kind,
			      char *err, size_t errlen)
{
	struct site_insn si;
	if (check_site(site, slot, kind, &si, err, errlen))
		return IA64_FORM_NONE;
	return plan_site(&si, kind).form;
}

enum ia64_form ia64_rewrite_site(uint8_t *site, unsigned slot, unsigned kind,
				 uint64_t vcpu, char *err, size_t errlen)
{
	struct site_insn si;
	if (check_site(site, slot, kind, &si, err, errlen))
		return IA64_FORM_NONE;
	if (vcpu % AB_IA64_VCPU_ALIGN) {
		snprintf(err, errlen, "virtual CPU at 0x%llx is not %u-byte aligned",
			 (unsigned long long)vcpu, AB_IA64_VCPU_ALIGN);
		return IA64_FORM_NONE;
	}
	struct plan p = plan_site(&si, kind);
	const int mlx_stop = ia64_template_find("MLX", 4);
	const int mii_stop = ia64_template_find("MII", 4);
	const int mmi_stop = ia64_template_find("MMI", 4);
	struct ia64_bundle b0, b1;
	uint64_t l, x;

	switch (p.form) {
	case IA64_FORM_LOAD:
		ia64_enc_movl(p.qp, p.reg, vcpu + p.offset, &l, &x);
		b0 = ia64_bundle_make(mlx_stop, ia64_enc_nop('M'), l, x);
		b1 = ia64_bundle_make(mii_stop, ia64_enc_ld8(p.qp, p.reg, p.reg),
				      ia64_enc_nop('I'), ia64_enc_nop('I'));
		break;
	case IA64_FORM_STORE:
		ia64_enc_movl(p.qp, p.scratch, vcpu + p.offset, &l, &x);
		b0 = ia64_bundle_make(mlx_stop,
				      ia64_enc_mov_to_ar_m(p.qp, IA64_AR_CSD, p.scratch), l, x);
		b1 = ia64_bundle_make(mmi_stop,
				      ia64_enc_st(p.qp, p.size, p.scratch,
						  p.store_address ? p.scratch : p.reg),
				      ia64_enc_mov_from_ar_m(p.qp, p.scratch, IA64_AR_CSD),
				      ia64_enc_nop('I'));
		break;
	default:
		b1 = ia64_bundle_load(site);   /* the original, for the wedge */
		b0 = ia64_bundle_make(mii_stop, ia64_enc_break_m(p.qp, IA64_BREAK_WEDGE + kind),
				      ia64_enc_nop('I'), ia64_enc_nop('I'));
		break;
	}
	ia64_bundle_store(b0, site);
	ia64_bundle_store(b1, site + 16);
	return p.form;
}
