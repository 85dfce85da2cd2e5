/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual CPU the emul_* macros (macro mode) and the loaded forms of
 * pad-mode sites (ia64/rewrite.c) work on: `__afterburn_cpu`, one per
 * processor, 256-byte aligned.  Usable from C and from assembly.
 *
 * psr.i and psr.ic live in their own bytes (non-zero = set) so that the
 * hot rsm/ssm forms are a single store; the wedge folds them into `psr`
 * when it needs the whole register.
 */
#ifndef AFTERBURN_IA64_VCPU_H
#define AFTERBURN_IA64_VCPU_H

#define AB_IA64_VCPU_PSR      0x000   /* u64: psr without i and ic */
#define AB_IA64_VCPU_PSR_IC   0x010   /* u8 */
#define AB_IA64_VCPU_PSR_I    0x011   /* u8, right after psr.ic: one st2 clears both */
#define AB_IA64_VCPU_PENDING  0x018   /* u64: events pending (wedge) */
#define AB_IA64_VCPU_KR       0x040   /* u64 kr[8]: ar.k0-7 */
#define AB_IA64_VCPU_CR       0x100   /* u64 cr[128], indexed by cr number */
#define AB_IA64_VCPU_SIZE     0x500
#define AB_IA64_VCPU_ALIGN    256

/* Control registers whose writes are a plain store (interruption state):
 * cr.ipsr (16) to cr.iha (25).  Other cr writes have side effects and trap. */
#define AB_IA64_CR_STORE_FIRST 16
#define AB_IA64_CR_STORE_LAST  25
/* cr.ivr reads acknowledge an interrupt: they trap. */
#define AB_IA64_CR_IVR         65

#endif
