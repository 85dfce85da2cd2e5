/* SPDX-License-Identifier: BSD-2-Clause */
/* Virtual layout of the wedge (shared by C, assembly and the linker script).
 * docs/wedge.md explains the choices. */
#ifndef WEDGE_LAYOUT_H
#define WEDGE_LAYOUT_H

/* The wedge image: L4 slot 504, a hole Linux (x86-64, 4-level) leaves unused. */
#define WEDGE_VIRT_BASE   0xfffffc0000000000
/* Guest-physical memory as the wedge sees it (slot 505, also unused by Linux). */
#define WEDGE_PHYSMAP_VA  0xfffffc8000000000
/* Hot page: the shared_info page (vcpu_info[0] first), at the top 2 MiB,
 * which Linux leaves unused; reachable from any site by an absolute
 * 32-bit address (sign extended). */
#define WEDGE_HOT_VA      0xffffffffffe00000
#define WEDGE_UPCALL_PENDING (WEDGE_HOT_VA + 0)
#define WEDGE_UPCALL_MASK    (WEDGE_HOT_VA + 1)
/* The slot page: pointers to the wedge's entry stubs (read-only). */
#define WEDGE_SLOT_VA     0xffffffffffe01000
#define WEDGE_SLOT_STI_CHECK (WEDGE_SLOT_VA + 0)
#define WEDGE_SLOT_KIND(k)   (WEDGE_SLOT_VA + 8 * (k))   /* kinds start at 1 */

/* Offsets in struct guest_regs (gpr[] in ModRM order, then rip, rflags). */
#define GR_RAX 0
#define GR_RCX 8
#define GR_RDX 16
#define GR_RBX 24
#define GR_RSP 32
#define GR_RBP 40
#define GR_RSI 48
#define GR_RDI 56
#define GR_R8  64
#define GR_R9  72
#define GR_R10 80
#define GR_R11 88
#define GR_R12 96
#define GR_R13 104
#define GR_R14 112
#define GR_R15 120
#define GR_RIP 128
#define GR_RFLAGS 136

#define WEDGE_STACK_SIZE 32768

#endif
