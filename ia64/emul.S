/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * emul_* macros: macro mode of the IA-64 burner (ia64/burn.c).  afterburn-as
 * puts this file in front of every input it burns in macro mode; each
 * sensitive instruction of ia64/sensitive.def becomes
 *     emul_<kind> pr=<predicate>[,dst=..][,src=..][,src2=..][,idx=..][,imm=..]
 * Generated once from ia64/sensitive.def, kept by hand since; kind numbers
 * below are the table's (tests/ia64 checks every entry).
 *
 * The virtual CPU is the symbol __afterburn_cpu (layout: ia64/vcpu.h).
 * Every macro starts and ends with a stop and predicates every instruction
 * with pr, so it can replace the instruction anywhere in an instruction
 * group.
 *
 * Scratch-register convention: a macro changes no register of the
 * surrounding code except the instruction's own destination, and ar.csd:
 *   - loads (mov rD=cr.N, mov rD=ar.kN) use only rD;
 *   - stores (mov cr.N=rS for the interruption registers cr.ipsr..cr.iha,
 *     mov ar.kN=rS, rsm psr.i/psr.ic, ssm psr.ic) borrow r2 (r3 when the
 *     source is r2) and keep its value in ar.csd meanwhile; Linux does not
 *     use ar.csd in the kernel (it only saves and restores the user value);
 *   - everything else traps to the wedge: `(pr) break.m 0x1ab000+kind`,
 *     immediately followed by a bundle holding the original instruction,
 *     which the wedge decodes, emulates, and resumes after.  When pr is
 *     false neither the break nor the instruction does anything.
 */

/* Trap to the wedge; the next bundle carries the instruction. */
.macro __ab_trap kind, pr
	;;
	{ .mii ; (\pr) break.m 0x1ab000+\kind ; nop.i 0 ; nop.i 0 ;; }
.endm
/* The carried instruction, by unit. */
.macro __ab_m pr, insn:vararg
	{ .mmi ; (\pr) \insn ;; nop.m 0 ; nop.i 0 ;; }
.endm
.macro __ab_b pr, insn:vararg
	{ .mib ; nop.m 0 ; nop.i 0 ; (\pr) \insn ;; }
.endm
/* Store `src` (size bytes) at __afterburn_cpu+off, borrowing rA. */
.macro __ab_store pr, rA, src, off, size
	;;
	(\pr) mov.m ar.csd=\rA
	(\pr) movl \rA=__afterburn_cpu+(\off) ;;
	(\pr) st\size [\rA]=\src
	(\pr) mov.m \rA=ar.csd ;;
.endm
/* Load rD from __afterburn_cpu+off. */
.macro __ab_load pr, rD, off
	;;
	(\pr) movl \rD=__afterburn_cpu+(\off) ;;
	(\pr) ld8 \rD=[\rD] ;;
.endm

.macro emul_rfi pr=p0
	__ab_trap 1, \pr
	__ab_b \pr, rfi
.endm
.macro emul_cover pr=p0
	__ab_trap 2, \pr
	__ab_b \pr, cover
.endm
.macro emul_sum pr=p0, imm
	__ab_trap 5, \pr
	__ab_m \pr, sum \imm
.endm
.macro emul_rum pr=p0, imm
	__ab_trap 6, \pr
	__ab_m \pr, rum \imm
.endm
.macro emul_itc_i pr=p0, src
	__ab_trap 25, \pr
	__ab_m \pr, itc.i \src
.endm
.macro emul_itc_d pr=p0, src
	__ab_trap 26, \pr
	__ab_m \pr, itc.d \src
.endm
.macro emul_itr_i pr=p0, dst, src
	__ab_trap 27, \pr
	__ab_m \pr, itr.i \dst=\src
.endm
.macro emul_itr_d pr=p0, dst, src
	__ab_trap 28, \pr
	__ab_m \pr, itr.d \dst=\src
.endm
.macro emul_ptc_l pr=p0, src, src2
	__ab_trap 29, \pr
	__ab_m \pr, ptc.l \src,\src2
.endm
.macro emul_ptc_g pr=p0, src, src2
	__ab_trap 30, \pr
	__ab_m \pr, ptc.g \src,\src2
.endm
.macro emul_ptc_ga pr=p0, src, src2
	__ab_trap 31, \pr
	__ab_m \pr, ptc.ga \src,\src2
.endm
.macro emul_ptc_e pr=p0, src
	__ab_trap 32, \pr
	__ab_m \pr, ptc.e \src
.endm
.macro emul_ptr_i pr=p0, src, src2
	__ab_trap 33, \pr
	__ab_m \pr, ptr.i \src,\src2
.endm
.macro emul_ptr_d pr=p0, src, src2
	__ab_trap 34, \pr
	__ab_m \pr, ptr.d \src,\src2
.endm
.macro emul_thash pr=p0, dst, src
	__ab_trap 35, \pr
	__ab_m \pr, thash \dst=\src
.endm
.macro emul_ttag pr=p0, dst, src
	__ab_trap 36, \pr
	__ab_m \pr, ttag \dst=\src
.endm
.macro emul_tpa pr=p0, dst, src
	__ab_trap 37, \pr
	__ab_m \pr, tpa \dst=\src
.endm
.macro emul_tak pr=p0, dst, src
	__ab_trap 38, \pr
	__ab_m \pr, tak \dst=\src
.endm
.macro emul_fc pr=p0, src
	__ab_trap 39, \pr
	__ab_m \pr, fc \src
.endm
.macro emul_fc_i pr=p0, src
	__ab_trap 40, \pr
	__ab_m \pr, fc.i \src
.endm
.macro emul_bsw_0 pr=p0
	__ab_trap 42, \pr
	__ab_b \pr, bsw.0
.endm
.macro emul_bsw_1 pr=p0
	__ab_trap 43, \pr
	__ab_b \pr, bsw.1
.endm
.macro emul_epc pr=p0
	__ab_trap 48, \pr
	__ab_b \pr, epc
.endm
.macro emul_mov_to_psr_l pr=p0, dst, src
	__ab_trap 7, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_psr pr=p0, dst, src
	__ab_trap 8, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_psr_um pr=p0, dst, src
	__ab_trap 9, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_psr_um pr=p0, dst, src
	__ab_trap 10, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_rr pr=p0, dst, src
	__ab_trap 13, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_rr pr=p0, dst, src
	__ab_trap 14, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_pkr pr=p0, dst, src
	__ab_trap 15, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_pkr pr=p0, dst, src
	__ab_trap 16, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_ibr pr=p0, dst, src
	__ab_trap 17, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_ibr pr=p0, dst, src
	__ab_trap 18, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_dbr pr=p0, dst, src
	__ab_trap 19, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_dbr pr=p0, dst, src
	__ab_trap 20, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_pmc pr=p0, dst, src
	__ab_trap 21, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_pmc pr=p0, dst, src
	__ab_trap 22, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_pmd pr=p0, dst, src
	__ab_trap 23, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_pmd pr=p0, dst, src
	__ab_trap 24, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_itc pr=p0, dst, src
	__ab_trap 46, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_itc pr=p0, dst, src, idx=-1, imm=0
	__ab_trap 47, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_cpuid pr=p0, dst, src
	__ab_trap 50, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_to_msr pr=p0, dst, src
	__ab_trap 51, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_mov_from_msr pr=p0, dst, src
	__ab_trap 52, \pr
	__ab_m \pr, mov \dst=\src
.endm
.macro emul_probe pr=p0, op, dst, src, src2
	__ab_trap 41, \pr
	.ifb \dst
	__ab_m \pr, \op \src,\src2
	.else
	__ab_m \pr, \op \dst=\src,\src2
	.endif
.endm
.macro emul_break pr=p0, unit=m, imm
	__ab_trap 49, \pr
	.ifc \unit,m
	{ .mmi ; (\pr) break.m \imm ;; nop.m 0 ; nop.i 0 ;; }
	.endif
	.ifc \unit,i
	{ .mii ; nop.m 0 ; (\pr) break.i \imm ; nop.i 0 ;; }
	.endif
	.ifc \unit,b
	{ .mib ; nop.m 0 ; nop.i 0 ; (\pr) break.b \imm ;; }
	.endif
	.ifc \unit,f
	{ .mfi ; nop.m 0 ; (\pr) break.f \imm ; nop.i 0 ;; }
	.endif
	.ifc \unit,x
	{ .mlx ; nop.m 0 ; (\pr) break.x \imm ;; }
	.endif
.endm
/* mov rD=cr.N: a load, except cr.ivr (acknowledges) and symbolic crs. */
.macro emul_mov_from_cr pr=p0, dst, src, idx=-1
	.if (\idx < 0) || (\idx == 65)
	__ab_trap 12, \pr
	__ab_m \pr, mov \dst=\src
	.else
	__ab_load \pr, \dst, 0x100+8*(\idx)
	.endif
.endm
/* mov cr.N=rS: a store for the interruption registers, else the wedge. */
.macro emul_mov_to_cr pr=p0, dst, src, idx=-1
	.if (\idx >= 16) && (\idx <= 25)
	.ifc \src,r2
	__ab_store \pr, r3, \src, 0x100+8*(\idx), 8
	.else
	__ab_store \pr, r2, \src, 0x100+8*(\idx), 8
	.endif
	.else
	__ab_trap 11, \pr
	__ab_m \pr, mov \dst=\src
	.endif
.endm
.macro emul_mov_from_kr pr=p0, dst, src, idx=-1
	.if \idx < 0
	__ab_trap 45, \pr
	__ab_m \pr, mov \dst=\src
	.else
	__ab_load \pr, \dst, 0x40+8*(\idx)
	.endif
.endm
.macro emul_mov_to_kr pr=p0, dst, src, idx=-1, imm=0
	.if (\idx < 0) || \imm
	__ab_trap 44, \pr
	__ab_m \pr, mov \dst=\src
	.else
	.ifc \src,r2
	__ab_store \pr, r3, \src, 0x40+8*(\idx), 8
	.else
	__ab_store \pr, r2, \src, 0x40+8*(\idx), 8
	.endif
	.endif
.endm
/* rsm of psr.i and/or psr.ic: clear the virtual flag bytes; else trap. */
.macro emul_rsm pr=p0, imm
	.if ((\imm) & ~(psr.i|psr.ic)) || ((\imm) == 0)
	__ab_trap 3, \pr
	__ab_m \pr, rsm \imm
	.elseif (\imm) == (psr.i|psr.ic)
	__ab_store \pr, r2, r0, 0x10, 2
	.elseif (\imm) == psr.ic
	__ab_store \pr, r2, r0, 0x10, 1
	.else
	__ab_store \pr, r2, r0, 0x11, 1
	.endif
.endm
/* ssm psr.ic: set the flag byte (the low address byte, 0x10, is non-zero).
 * ssm psr.i must deliver pending events: the wedge does it. */
.macro emul_ssm pr=p0, imm
	.if (\imm) == psr.ic
	__ab_store \pr, r2, r2, 0x10, 1
	.else
	__ab_trap 4, \pr
	__ab_m \pr, ssm \imm
	.endif
.endm
