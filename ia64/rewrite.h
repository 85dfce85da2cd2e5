/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rewriting a pad-mode site (IA64_SITE_BUNDLES bundles: the sensitive
 * instruction alone in its bundle, then a bundle of nops) into its loaded
 * form.  Every form honours the instruction's predicate, needs a stop
 * before the site (the burner puts one there) and ends with a stop.
 *
 * Inline forms, on the virtual CPU at `vcpu` (ia64/vcpu.h):
 *   mov rD=cr.N / mov rD=ar.kN      movl rD=&cpu.x ;; ld8 rD=[rD] ;;
 *   mov cr.N=rS (N: interruption     mov.m ar.csd=rA ; movl rA=&cpu.x ;;
 *     registers) / mov ar.kN=rS      st8 [rA]=rS ; mov.m rA=ar.csd ;;
 *   rsm psr.i/psr.ic/both            mov.m ar.csd=rA ; movl rA=&cpu.psr_ic|i ;;
 *                                    st1|st2 [rA]=r0 ; mov.m rA=ar.csd ;;
 *   ssm psr.ic                       ... st1 [rA]=rA (low address byte 0x10: set)
 * rA is the first of r2, r3, r14 that is not an operand; it is saved in
 * ar.csd, which the kernel does not otherwise use (docs/ia64.md).
 *
 * Trap form, for everything else (and for rsm/ssm masks touching other
 * bits, ssm psr.i which must deliver pending events, cr writes with side
 * effects):  (qp) break.m IA64_BREAK_WEDGE+kind ;;  followed by the
 * original bundle, which the wedge decodes and emulates, resuming after
 * it.  When qp is false the break is skipped and the original bundle runs
 * as a no-op under the same false predicate.
 */
#ifndef AFTERBURN_IA64_REWRITE_H
#define AFTERBURN_IA64_REWRITE_H

#include <stddef.h>
#include <stdint.h>

enum ia64_form {
	IA64_FORM_NONE = 0,
	IA64_FORM_LOAD,     /* movl + ld8 */
	IA64_FORM_STORE,    /* spill, movl, st8/st1/st2, restore */
	IA64_FORM_TRAP,     /* break.m + original bundle */
};

/*
 * Rewrite the site at `site` (IA64_SITE_BYTES bytes; the record's slot and
 * kind given) in place.  Checks first that the site is what the record
 * says (the slot holds an instruction of `kind`, everything else is nops):
 * on a mismatch returns IA64_FORM_NONE, leaves the bytes alone and writes
 * the reason to err.
 */
enum ia64_form ia64_rewrite_site(uint8_t *site, unsigned slot, unsigned kind,
				 uint64_t vcpu, char *err, size_t errlen);

/* The form a site would get, without rewriting (same checks). */
enum ia64_form ia64_site_form(const uint8_t *site, unsigned slot, unsigned kind,
			      char *err, size_t errlen);

#endif
