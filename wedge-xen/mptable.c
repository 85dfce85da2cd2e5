/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Intel MultiProcessor Specification 1.4 tables that tell an
 * unmodified kernel where the local APIC and the I/O APIC are and how the
 * interrupt lines are wired (issue 19): smaller than ACPI's RSDP, RSDT and
 * MADT, and what Linux (CONFIG_X86_MPPARSE) reads when it finds no ACPI.
 * The floating pointer is at guest-physical 0xf0000 (the BIOS area Linux
 * and others scan, inside the range the e820 map reserves), the
 * configuration table right after it:
 *
 *   processor 0 (the BSP, local APIC ID 0, version 0x14, enabled);
 *   bus 0 PCI, bus 1 ISA;
 *   I/O APIC 1, version 0x11, at 0xfec00000;
 *   ISA IRQ 0 -> pin 2, ISA IRQ n -> pin n (1, 3-10, 12-15), PCI 00:03.0
 *   INTA# -> pin 11 (the DP83820; level, active low as PCI conforms);
 *   LINT0 ExtINT (the 8259), LINT1 NMI.
 *
 * Feature byte 2 bit 7 (IMCR) is clear: virtual-wire mode, the 8259 reaches
 * the CPU through LINT0 until the guest switches to the I/O APIC.
 */
#include "wedge-xen/devices.h"
#include "wedge-xen/apic.h"

#define MP_FLOATING_GPA 0xf0000ul
#define MP_TABLE_GPA    (MP_FLOATING_GPA + 16)

static u8 checksum(const u8 *p, unsigned n)
{
	u8 s = 0;
	for (unsigned i = 0; i < n; i++)
		s = (u8)(s + p[i]);
	return (u8)-s;
}

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }

static unsigned irq_entry(u8 *e, u8 type, u16 flags, u8 bus, u8 bus_irq, u8 dst, u8 pin)
{
	e[0] = 3;               /* I/O interrupt assignment (4: local) */
	e[1] = type;            /* 0 INT, 1 NMI, 3 ExtINT */
	put16(e + 2, flags);    /* 0: conforms to the bus */
	e[4] = bus;
	e[5] = bus_irq;
	e[6] = dst;
	e[7] = pin;
	return 8;
}

void mptable_write(void)
{
	u8 buf[512];
	memset(buf, 0, sizeof(buf));
	u8 *t = buf;
	memcpy(t, "PCMP", 4);
	t[6] = 4;                                   /* spec 1.4 */
	memcpy(t + 8, "AFTERBRN", 8);
	memcpy(t + 16, "WEDGE-XEN   ", 12);
	put32(t + 36, (u32)APIC_DEFAULT_GPA);
	unsigned n = 44, entries = 0;

	u32 a, b, c, d;
	guest_cpuid_filter(1, 0, &a, &b, &c, &d);
	u8 *e = t + n;                              /* processor */
	e[0] = 0;
	e[1] = 0;                                   /* local APIC ID */
	e[2] = 0x14;
	e[3] = 0x03;                                /* enabled, bootstrap processor */
	put32(e + 4, a);                            /* signature */
	put32(e + 8, d);                            /* feature flags */
	n += 20, entries++;

	static const char *const buses[2] = { "PCI   ", "ISA   " };
	for (u8 i = 0; i < 2; i++) {
		e = t + n;
		e[0] = 1;
		e[1] = i;
		memcpy(e + 2, buses[i], 6);
		n += 8, entries++;
	}

	e = t + n;                                  /* I/O APIC */
	e[0] = 2;
	e[1] = IOAPIC_ID;
	e[2] = 0x11;
	e[3] = 0x01;                                /* enabled */
	put32(e + 4, (u32)IOAPIC_DEFAULT_GPA);
	n += 8, entries++;

	for (u8 irq = 0; irq < 16; irq++) {
		if (irq == 2 || irq == 11)
			continue;                           /* the cascade; 11 is PCI INTA# of 00:03.0 */
		n += irq_entry(t + n, 0, 0, 1, irq, IOAPIC_ID, irq == 0 ? 2 : irq), entries++;
	}
	n += irq_entry(t + n, 0, 0, 0, (3 << 2) | 0, IOAPIC_ID, 11), entries++;
	n += irq_entry(t + n, 3, 0, 1, 0, 0xff, 0), entries++;   /* LINT0: ExtINT */
	t[n - 8] = 4;
	n += irq_entry(t + n, 1, 0, 1, 0, 0xff, 1), entries++;   /* LINT1: NMI */
	t[n - 8] = 4;

	put16(t + 4, (u16)n);
	put16(t + 34, (u16)entries);
	t[7] = checksum(t, n);
	memcpy(gpa_ptr(MP_TABLE_GPA, n), t, n);

	u8 *f = gpa_ptr(MP_FLOATING_GPA, 16);
	memset(f, 0, 16);
	memcpy(f, "_MP_", 4);
	put32(f + 4, (u32)MP_TABLE_GPA);
	f[8] = 1;                                   /* 16 bytes */
	f[9] = 4;
	f[10] = checksum(f, 16);
	printk("wedge: devices: MP table at %lx (%u bytes, %u entries): local APIC %lx, I/O APIC %lx\n",
	       MP_FLOATING_GPA, n, entries, APIC_DEFAULT_GPA, IOAPIC_DEFAULT_GPA);
}
