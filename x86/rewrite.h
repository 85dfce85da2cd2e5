/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Load-time rewriting of annotated x86-64 sites (wedge and domain builder).
 *
 * Every target is reached through an absolute 32-bit address (sign
 * extended, so the top 2 GiB of the address space): that way a site
 * anywhere in the guest reaches the wedge's hot page, wherever the wedge
 * itself lives.  Forms (docs/wedge.md has the table):
 *   CLI   movb $1, mask                           (8 bytes)
 *   STI   call *sti_check_slot                    (7 bytes; the stub clears
 *         the mask, then takes the slow path if an event is pending)
 *   other REWRITE kinds: call *slot[kind]         (7 bytes)
 *   COUNT kinds (rdtsc, rdtscp): left as they are
 * The rest of the site is filled with multi-byte NOPs.
 */
#ifndef AFTERBURN_X86_REWRITE_H
#define AFTERBURN_X86_REWRITE_H

#include "x86/decode.h"

struct x86_rewrite_targets {
	x86_u64 upcall_mask;      /* address of the vcpu_info upcall mask byte */
	x86_u64 sti_check_slot;   /* address of a pointer to the STI stub (unmask + pending test) */
	x86_u64 slot[X86_KIND_MAX]; /* address of a pointer to each kind's entry */
};

enum x86_rewrite_status {
	X86_REWRITE_OK = 0,
	X86_REWRITE_KEPT,          /* kind left as is (COUNT kinds) */
	X86_REWRITE_BAD_KIND,      /* kind unknown to sensitive.def */
	X86_REWRITE_TOO_SHORT,     /* site smaller than the form it needs */
	X86_REWRITE_MISMATCH,      /* bytes at the site are not the recorded kind */
	X86_REWRITE_BAD_LENGTH,    /* record insn length disagrees with the decode */
	X86_REWRITE_FAR_TARGET,    /* a target is not reachable with abs32 */
};

const char *x86_rewrite_strerror(enum x86_rewrite_status st);

/*
 * Check the site (`length` bytes at `site`, the original instruction of
 * `insn_len` bytes first) holds `kind`, then overwrite it with its rewrite.
 * On success *insn is the decoded original instruction (the wedge keeps it
 * to emulate the site) and *ret_offset the offset, from the site start,
 * of the return address the site's call pushes (0 for forms without call).
 * Nothing is written unless the status is X86_REWRITE_OK.
 */
enum x86_rewrite_status x86_rewrite_site(x86_u8 *site, unsigned length,
					 unsigned insn_len, unsigned kind,
					 const struct x86_rewrite_targets *t,
					 struct x86_insn *insn,
					 unsigned *ret_offset);

/*
 * Overwrite a site (already checked by x86_rewrite_site) with the plain
 * call form `call *slot` + NOPs; returns the return-address offset, 0 when
 * the site is too short or the slot unreachable.  The wedge uses it for an
 * STI directly followed by a HLT site, emulated as one step (sti's
 * interrupt shadow covers the hlt).
 */
unsigned x86_rewrite_call(x86_u8 *site, unsigned length, x86_u64 slot);

/*
 * Sites that must never become a call, because they can run on a stack the
 * guest's user mode controls (Linux: swapgs, sysret, sysexit at the user
 * boundary; verw after `pop %rsp` on the way out to user mode): a call
 * would push below that stack pointer, through the kernel's mappings at an
 * address the user chose.  They trap instead, on the wedge's stack, and
 * the wedge emulates them from its site table, keyed by the site address:
 *   X86_TRAP_ORIGINAL  the instruction itself, privileged: it faults (#GP)
 *                      in PV user mode where the guest kernel runs
 *   X86_TRAP_UD2       lar/lsl/verr/verw do not fault at CPL 3 (they
 *                      would read Xen's descriptor tables): ud2 + NOPs
 */
enum x86_trap_form { X86_TRAP_NONE, X86_TRAP_ORIGINAL, X86_TRAP_UD2 };
enum x86_trap_form x86_trap_form(unsigned kind);

/*
 * Write the trap form over a site (already checked by x86_rewrite_site);
 * `original` holds the site's `length` bytes before any rewrite.  Returns
 * how many bytes from the site start are the form (what a checker
 * compares: the instruction for X86_TRAP_ORIGINAL, the whole site for
 * X86_TRAP_UD2).
 */
unsigned x86_rewrite_trap(x86_u8 *site, unsigned length, unsigned insn_len, const x86_u8 *original,
			  enum x86_trap_form form);

/* Fill n bytes with the recommended multi-byte NOPs. */
void x86_fill_nops(x86_u8 *p, unsigned n);

#endif
