/* SPDX-License-Identifier: BSD-2-Clause */
/* Xen's descriptor tables for the guest's user mode (descriptors.c). */
#ifndef WEDGE_DESCRIPTORS_H
#define WEDGE_DESCRIPTORS_H
#include "wedge-xen/wedge.h"

/* Descriptor fields (SDM vol. 3, 3.4.5). */
#define D_TYPE(d) ((unsigned)((d) >> 40) & 0xf)
#define D_S(d)    ((unsigned)((d) >> 44) & 1)
#define D_DPL(d)  ((unsigned)((d) >> 45) & 3)
#define D_P(d)    ((unsigned)((d) >> 47) & 1)
#define D_L(d)    ((unsigned)((d) >> 53) & 1)
#define D_DB(d)   ((unsigned)((d) >> 54) & 1)
#define D_CODE(d) (D_S(d) && (D_TYPE(d) & 8))
#define D_BASE(d) ((((d) >> 16) & 0xffffff) | (((d) >> 56) << 24))

void descriptors_init(void);      /* the mirror pages read-only, Xen's GDT */
void gdt_mirror_check(void);      /* lgdt, a GDT selector load: take the guest's GDT as it is now */
/* Before user mode runs: gdt_mirror_check() if the guest kernel, since the
 * last time, did what an OS does around a write of a user GDT entry
 * (gdt_suspect: it read or loaded a segment selector, switched address
 * spaces). */
extern bool gdt_suspect;
void gdt_mirror_maybe(void);
void ldt_mirror_load(void);       /* lldt: the guest's LDT (vcpu.ldt_base, ldt_limit) */
/* The guest's user selectors Xen can run user mode with (mirrored
 * descriptors): a present code segment of that mode, a writable stack. */
bool mirror_user_cs(u16 cs, bool cs32);
bool mirror_user_ss(u16 ss);
/* The mode of a code selector user mode runs with natively (a frame's CS):
 * false when the mirror has no code segment for it. */
bool mirror_code_mode(u16 cs, bool *cs32);

/*
 * The data segment registers (ES, DS, FS, GS) are the hardware's while
 * guest user mode runs, and user mode loads them natively.
 * seg_user_changed: on an entry from user mode, whether user mode loaded
 * register sr (SEG_*) since the wedge last saw it, and with what (*sel,
 * the base the hardware took in *base).  seg_load: the guest kernel loads
 * sr: the hardware register too when the mirror holds the descriptor,
 * else a null stand-in (the virtual selector stays the guest's).
 */
bool seg_user_changed(unsigned sr, u16 *sel, u64 *base);
void seg_load(unsigned sr, u16 sel);
void descriptors_print(void);      /* counters */
/* The fast path's FS/GS loads (descriptors.c): loadable without Xen, and done. */
bool seg_fast_loadable(u16 sel, u64 *base);
void seg_fast_loaded(unsigned sr, u16 sel);

#endif
