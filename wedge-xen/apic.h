/* SPDX-License-Identifier: BSD-2-Clause */
/* The local APIC (apic.c), the I/O APIC (ioapic.c) and the MP table that
 * announces them (mptable.c): issue 19. */
#ifndef WEDGE_APIC_H
#define WEDGE_APIC_H

#include "wedge-xen/wedge.h"

#define APIC_DEFAULT_GPA   0xfee00000ul
#define IOAPIC_DEFAULT_GPA 0xfec00000ul
#define IOAPIC_PINS        24
#define IOAPIC_ID          1          /* the local APIC is 0 */

/* apic.c */
bool apic_sw_enabled(void);          /* the CPU takes its interrupts from the APIC */
bool apic_extint_open(void);         /* LINT0 unmasked as ExtINT: the 8259 reaches the CPU */
void apic_accept(unsigned vector, bool level);
int apic_pending_vector(void);       /* above PPR in IRR, -1 when none */
void apic_ack(int vector);           /* IRR -> ISR */
bool apic_irr_test(unsigned vector);
u64 apic_timer_deadline(void);       /* ns, 0: none */
void apic_timer_sync(void);
u64 apic_base_msr(void);
bool apic_base_msr_write(u64 v);     /* false: #GP */
u32 apic_ldr_flat(void);             /* the logical ID (flat model) */

/* ioapic.c */
void ioapic_isa_irq(unsigned irq);   /* an edge on ISA IRQ irq (the PIT, the UART, the NIC's INTx) */
void ioapic_eoi(unsigned vector);    /* EOI broadcast of a level-triggered vector */
int ioapic_pin_vector(unsigned pin); /* its vector when unmasked with fixed or lowest-priority delivery, else -1 */

/* mptable.c: the MP floating pointer and configuration table, written
 * into guest memory once the guest is loaded (main.c) */
void mptable_write(void);

/* devices.c: Xen's one single-shot timer for the PIT and the APIC timer */
void timers_rearm(void);

#endif
