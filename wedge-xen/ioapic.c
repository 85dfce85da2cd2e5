/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The I/O APIC (issue 19): an 82093AA-style part (version 0x11, 24 pins,
 * ID 1) at guest-physical 0xfec00000: IOREGSEL at 0x00, IOWIN at 0x10.
 * Wiring, as on a PC and as the MP table says (mptable.c): ISA IRQ 0 (the
 * PIT) on pin 2, every other ISA IRQ n on pin n (the UART's 4, the NIC's
 * INTx on 11, which the MP table announces as PCI 00:03.0 INTA#).  The
 * 8259 sees the same requests (devices.c pic_raise); which one reaches the
 * CPU is the guest's choice (apic.c).
 *
 * The device models raise edges.  An edge pin delivers its vector to the
 * local APIC when unmasked (an edge on a masked pin is lost, as on the
 * part).  A level pin takes the edge as the line going active: it delivers
 * when the pin is unmasked and Remote IRR is clear, setting Remote IRR;
 * otherwise it stays pending and is delivered at the EOI that clears Remote
 * IRR or at the unmask.  Delivery modes fixed and lowest priority reach
 * the one CPU when the destination names it (physical ID 0 or broadcast,
 * logical: its LDR bit); others (SMI, NMI, INIT, ExtINT) are not modelled
 * and logged once.
 */
#include "wedge-xen/devices.h"
#include "wedge-xen/apic.h"

#define RTE_MASKED    (1ull << 16)
#define RTE_LEVEL     (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LOGICAL   (1ull << 11)
#define RTE_WMASK     (0xff000000000000ffull | 0x1afffull)   /* dest, mask, trigger, polarity, mode, vector */

static struct {
	u32 sel, id;
	u64 rte[IOAPIC_PINS];
	bool pending[IOAPIC_PINS];          /* a level pin's line is active, not yet delivered */
} io;

static u64 cnt_irqs, cnt_lost_masked, cnt_reads, cnt_writes;

static void deliver(unsigned pin)
{
	u64 r = io.rte[pin];
	unsigned mode = (r >> 8) & 7;
	u8 dest = (u8)(r >> 56);
	bool ours = (r & RTE_LOGICAL) ? (dest & apic_ldr_flat()) != 0 : (dest == 0 || dest == 0xff);
	if (mode != 0 && mode != 1) {
		device_not_modelled("I/O APIC pin %u delivery mode %u (SMI, NMI, INIT, ExtINT)", pin, mode);
		return;
	}
	if (!ours) {
		device_not_modelled("I/O APIC pin %u to destination %x (%s), which is no CPU here", pin, dest,
				    (r & RTE_LOGICAL) ? "logical" : "physical");
		return;
	}
	cnt_irqs++;
	if (r & RTE_LEVEL)
		io.rte[pin] |= RTE_REMOTE_IRR;
	apic_accept((unsigned)(r & 0xff), r & RTE_LEVEL);
}

static void pin_assert(unsigned pin)
{
	u64 r = io.rte[pin];
	if (r & RTE_LEVEL) {
		if ((r & RTE_MASKED) || (r & RTE_REMOTE_IRR)) {
			io.pending[pin] = true;
			return;
		}
		io.pending[pin] = false;
		deliver(pin);
		return;
	}
	if (r & RTE_MASKED) {
		cnt_lost_masked++;
		return;
	}
	deliver(pin);
}

void ioapic_isa_irq(unsigned irq)
{
	unsigned pin = irq == 0 ? 2 : irq;
	if (pin < IOAPIC_PINS)
		pin_assert(pin);
}

int ioapic_pin_vector(unsigned pin)
{
	u64 r = io.rte[pin];
	if ((r & RTE_MASKED) || ((r >> 8) & 7) > 1)
		return -1;
	return (int)(r & 0xff);
}

void ioapic_eoi(unsigned vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 r = io.rte[pin];
		if ((r & 0xff) != vector || !(r & RTE_LEVEL) || !(r & RTE_REMOTE_IRR))
			continue;
		io.rte[pin] &= ~RTE_REMOTE_IRR;
		if (io.pending[pin] && !(r & RTE_MASKED)) {
			io.pending[pin] = false;
			deliver(pin);
		}
	}
}

static u32 reg_read(u32 index)
{
	if (index == 0)
		return io.id << 24;
	if (index == 1)
		return ((IOAPIC_PINS - 1) << 16) | 0x11;
	if (index == 2)
		return io.id << 24;                 /* arbitration ID */
	if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
		u64 r = io.rte[(index - 0x10) / 2];
		return (index & 1) ? (u32)(r >> 32) : (u32)r;
	}
	return 0;
}

static void reg_write(u32 index, u32 v)
{
	if (index == 0) {
		io.id = (v >> 24) & 0xf;
		return;
	}
	if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
		unsigned pin = (index - 0x10) / 2;
		u64 r = io.rte[pin];
		u64 nv = (index & 1) ? (r & 0xffffffffull) | (u64)v << 32 : (r & ~0xffffffffull) | v;
		nv = (nv & RTE_WMASK) | (r & RTE_REMOTE_IRR);
		if (!(nv & RTE_LEVEL))
			nv &= ~RTE_REMOTE_IRR;
		io.rte[pin] = nv;
		if ((r & RTE_MASKED) && !(nv & RTE_MASKED) && (nv & RTE_LEVEL) && io.pending[pin] &&
		    !(nv & RTE_REMOTE_IRR)) {
			io.pending[pin] = false;
			deliver(pin);
		}
		return;
	}
	/* version, arbitration and absent registers are read-only */
}

static u64 ioapic_mmio_read(u64 off, unsigned size)
{
	cnt_reads++;
	if (size != 4) {
		device_not_modelled("I/O APIC read of %u bytes at offset %lx (only 32-bit): 0", size, off);
		return 0;
	}
	if (off == 0x00)
		return io.sel;
	if (off == 0x10)
		return reg_read(io.sel);
	return 0;
}

static void ioapic_mmio_write(u64 off, unsigned size, u64 v)
{
	cnt_writes++;
	if (size != 4) {
		device_not_modelled("I/O APIC write of %u bytes at offset %lx (only 32-bit)", size, off);
		return;
	}
	if (off == 0x00)
		io.sel = (u32)v & 0xff;
	else if (off == 0x10)
		reg_write(io.sel, (u32)v);
	else
		device_not_modelled("I/O APIC write %lx at offset %lx (version 0x11 has no EOI register)", v, off);
}

static struct mmio_range ioapic_range = {
	.name = "I/O APIC", .base = IOAPIC_DEFAULT_GPA, .size = 0x1000,
	.read = ioapic_mmio_read, .write = ioapic_mmio_write,
};

static void ioapic_init(void)
{
	memset(&io, 0, sizeof(io));
	io.id = IOAPIC_ID;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io.rte[i] = RTE_MASKED;
	device_mmio(&ioapic_range);
}

static void ioapic_counters(void)
{
	printk("wedge: counters: I/O APIC interrupts %lu, I/O APIC edges lost on masked pins %lu, "
	       "I/O APIC register reads %lu, I/O APIC register writes %lu\n", cnt_irqs, cnt_lost_masked, cnt_reads,
	       cnt_writes);
}

const struct device_model ioapic_model = { .name = "I/O APIC", .init = ioapic_init, .counters = ioapic_counters };
