/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory-mapped device registers.  The shadow never maps a guest-physical
 * address outside RAM, so a guest access to a device's BAR faults into the
 * wedge (mm.c's shadow_fault hands it here).  The instruction at the
 * guest's rip is decoded with the project's decoder (x86/decode.c: mov
 * between a register and memory, mov of an immediate, the forms Linux's
 * readb/w/l/q and writeb/w/l/q compile to), the access goes to the model
 * whose range holds the address, and the guest resumes after the
 * instruction.  An address no model decodes reads all ones and drops
 * writes, as a PCI master abort does; an instruction the decoder does not
 * know there gets #GP.  Both are logged once ("device model:").
 */
#include "wedge-xen/devices.h"

static u64 mmio_reads, mmio_writes, mmio_unclaimed;

/* The register operand of a byte access without REX: ah, ch, dh, bh for 4-7. */
static u64 reg_read(const struct x86_insn *in, unsigned r, unsigned size)
{
	if (size == 1 && !in->rex && r >= 4 && r < 8)
		return (g_regs.gpr[r - 4] >> 8) & 0xff;
	u64 v = g_regs.gpr[r];
	return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void reg_write(const struct x86_insn *in, unsigned r, unsigned size, u64 v)
{
	u64 *p = &g_regs.gpr[r];
	if (size == 1 && !in->rex && r >= 4 && r < 8) {
		p = &g_regs.gpr[r - 4];
		*p = (*p & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	switch (size) {
	case 1: *p = (*p & ~0xffull) | (v & 0xff); break;
	case 2: *p = (*p & ~0xffffull) | (v & 0xffff); break;
	case 4: *p = (u32)v; break;
	default: *p = v;
	}
}

bool mmio_fault(u64 va, u64 gpa, u64 error)
{
	u8 bytes[15];
	unsigned n = 15;
	/* the instruction may end before a page the guest has not mapped */
	while (n && !copy_from_guest(bytes, g_regs.rip, n))
		n--;
	struct x86_insn in;
	bool write = error & PF_W;
	if (!n || x86_decode(bytes, n, &in) != 0 || in.kind != X86_KIND_NONE || in.map != X86_MAP_1BYTE ||
	    in.mod == 3 || (in.prefixes & (X86_PFX_LOCK | X86_PFX_REP | X86_PFX_REPNE | X86_PFX_ADSIZE)) ||
	    !(in.opcode == 0x88 || in.opcode == 0x89 || in.opcode == 0x8a || in.opcode == 0x8b ||
	      in.opcode == 0xc6 || in.opcode == 0xc7)) {
		log_once("wedge: device model: unsupported instruction at %lx touching guest-physical %lx "
			 "(%s, outside RAM): #GP to the guest (logged once)", g_regs.rip, gpa,
			 write ? "write" : "read");
		deliver_vector(13, true, 0);
		return true;
	}
	unsigned size = in.opsize;
	bool store = in.opcode != 0x8a && in.opcode != 0x8b;
	u64 off_in_page = va & 0xfff;
	if (off_in_page + size > PAGE_SIZE) {
		log_once("wedge: device model: access at %lx crosses a page at guest-physical %lx: #GP "
			 "(logged once)", g_regs.rip, gpa);
		deliver_vector(13, true, 0);
		return true;
	}
	const struct mmio_range *r = device_mmio_find(gpa);
	if (r && gpa + size - r->base > r->size)
		r = NULL;
	if (store) {
		u64 v = (in.opcode == 0xc6 || in.opcode == 0xc7) ? in.imm : reg_read(&in, in.reg, size);
		if (size < 8)
			v &= (1ull << (8 * size)) - 1;
		mmio_writes++;
		if (r)
			r->write(gpa - r->base, size, v);
		else {
			mmio_unclaimed++;
			log_once("wedge: device model: write %lx to guest-physical %lx (at %lx), where no device "
				 "decodes: goes nowhere (logged once)", v, gpa, g_regs.rip);
		}
	} else {
		u64 v = ~0ull;
		mmio_reads++;
		if (r)
			v = r->read(gpa - r->base, size);
		else {
			mmio_unclaimed++;
			log_once("wedge: device model: read of guest-physical %lx (at %lx), where no device "
				 "decodes: all ones (logged once)", gpa, g_regs.rip);
		}
		reg_write(&in, in.reg, size, v);
	}
	g_regs.rip += in.len;
	return true;
}

static void mmio_counters(void)
{
	printk("wedge: counters: MMIO reads %lu, writes %lu, unclaimed %lu\n", mmio_reads, mmio_writes,
	       mmio_unclaimed);
}

const struct device_model mmio_model = { .name = "mmio", .counters = mmio_counters };
