/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine the wedge presents, model by model (devices.h).  The legacy
 * PC devices (8259, 8254, 16550, CMOS RTC) are still in devices.c; the MP
 * table (mptable.c) is written once the guest is loaded (main.c). */
#include "wedge-xen/devices.h"

extern const struct device_model mmio_model, dp83820_model, netfront_model, apic_model, ioapic_model;

const struct device_model *const board_models[] = {
	&pci_host_model,     /* pci.c: conf1, host bridge 00:00.0 */
	&mmio_model,         /* mmio.c: the fault path's counters */
	&apic_model,         /* apic.c: the local APIC at 0xfee00000 */
	&ioapic_model,       /* ioapic.c: the I/O APIC at 0xfec00000 (mptable.c announces both) */
	&dp83820_model,      /* dp83820.c: 00:03.0, BAR1, IRQ 11 */
	&netfront_model,     /* netfront.c: the vif behind the NIC (Xen's netback) */
};
const unsigned board_model_count = sizeof(board_models) / sizeof(board_models[0]);
