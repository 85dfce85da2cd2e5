/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI bus 0 through configuration mechanism #1 (ports 0xcf8 address,
 * 0xcfc-0xcff data), with a host bridge at 00:00.0 (Intel 440FX, 8086:1237,
 * class 0600: what Linux's conf1 sanity check, arch/x86/pci/direct.c,
 * wants to see on bus 0) and the functions the board's models register.
 * Each function is 256 bytes of configuration space and a mask of its
 * writable bits: a BAR is sized the standard way (write all ones, read
 * back the size mask) because only the base bits are writable.  An absent
 * function, another bus or a disabled address reads all ones (a master
 * abort), writes go nowhere.  No mechanism #2: byte and word accesses to
 * 0xcf8-0xcfb float high.
 */
#include "wedge-xen/devices.h"

#define PCI_MAX_FUNCS 8
static struct pci_function *funcs[PCI_MAX_FUNCS];
static unsigned nfuncs;
static u32 cf8;

void pci_register(struct pci_function *f)
{
	for (unsigned i = 0; i < nfuncs; i++)
		if (funcs[i] == f)
			return;   /* initialised again (a reset) */
	if (nfuncs == PCI_MAX_FUNCS)
		panic("pci: more than %u functions registered", PCI_MAX_FUNCS);
	funcs[nfuncs++] = f;
}

/* A 32-bit BAR of size bytes (a power of two, at least 16). */
void pci_bar(struct pci_function *f, unsigned bar, u32 size, u32 flags)
{
	unsigned off = 0x10 + 4 * bar;
	u32 mask = ~(size - 1) & ~0xfu;
	if (flags & 1)
		mask = ~(size - 1) & ~0x3u;
	pci_put32(f, off, flags);
	u32 wm = mask;
	f->wmask[off] = (u8)wm;
	f->wmask[off + 1] = (u8)(wm >> 8);
	f->wmask[off + 2] = (u8)(wm >> 16);
	f->wmask[off + 3] = (u8)(wm >> 24);
}

u32 pci_bar_base(const struct pci_function *f, unsigned bar)
{
	u32 v = pci_get32(f, 0x10 + 4 * bar);
	return (v & 1) ? v & ~0x3u : v & ~0xfu;
}

bool pci_mem_enabled(const struct pci_function *f) { return f->cfg[4] & 0x02; }
bool pci_master_enabled(const struct pci_function *f) { return f->cfg[4] & 0x04; }

static struct pci_function *selected(void)
{
	if (!(cf8 & 0x80000000u) || ((cf8 >> 16) & 0xff))
		return NULL;
	unsigned dev = (cf8 >> 11) & 0x1f, fn = (cf8 >> 8) & 7;
	for (unsigned i = 0; i < nfuncs; i++)
		if (funcs[i]->dev == dev && funcs[i]->fn == fn)
			return funcs[i];
	return NULL;
}

static u32 conf1_in(u16 port, unsigned size)
{
	if (port == 0xcf8 && size == 4)
		return cf8;
	if (port < 0xcfc)
		return size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
	unsigned off = (cf8 & 0xfc) + (port - 0xcfc);
	struct pci_function *f = selected();
	u32 v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (u32)(f && off + i < 256 ? f->cfg[off + i] : 0xff) << (8 * i);
	return v;
}

static void conf1_out(u16 port, unsigned size, u32 value)
{
	if (port == 0xcf8 && size == 4) {
		cf8 = value & 0x80fffffcu;
		return;
	}
	if (port < 0xcfc)
		return;   /* a mechanism-#2 probe's byte pokes: no such chipset */
	unsigned off = (cf8 & 0xfc) + (port - 0xcfc);
	struct pci_function *f = selected();
	if (!f)
		return;
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		u8 m = f->wmask[off + i], b = (u8)(value >> (8 * i));
		f->cfg[off + i] = (u8)((f->cfg[off + i] & ~m) | (b & m));
	}
	if (f->changed)
		f->changed(f);
}

static const struct port_range conf1 = { 0xcf8, 0xcff, conf1_in, conf1_out };

static struct pci_function host_bridge = { .name = "host bridge", .dev = 0, .fn = 0 };

static void pci_host_init(void)
{
	struct pci_function *f = &host_bridge;
	pci_put16(f, 0x00, 0x8086);     /* Intel */
	pci_put16(f, 0x02, 0x1237);     /* 440FX host bridge */
	pci_put16(f, 0x04, 0x0006);     /* memory, bus master */
	f->cfg[0x08] = 0x02;            /* revision */
	f->cfg[0x0b] = 0x06;            /* class: bridge */
	f->cfg[0x0a] = 0x00;            /* subclass: host */
	device_ports(&conf1);
	pci_register(f);
}

const struct device_model pci_host_model = { .name = "pci", .init = pci_host_init };
