/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * National Semiconductor DP83820 gigabit Ethernet controller (PCI
 * 100b:0022, rev 2) as Linux 6.1's ns83820 driver uses it, on the back end
 * of a back end (devices.h: struct nic_backend; netfront.c for Xen's
 * netback is the intended one and not written yet: with no back end the
 * link is down and transmitted frames go nowhere, as into an unplugged
 * cable).  What is modelled (docs/wedge.md, "The
 * DP83820 NIC"): the register file of BAR1 (4 KiB memory, non
 * prefetchable), CR (engine enable/disable, resets, software interrupt),
 * CFG with the link, speed and duplex status of the back end, the BISTs
 * (done at once), ISR read-to-clear with IMR/IER, the receive filter's
 * MAC bytes (RFCR/RFDR), TXDP/RXDP, the 32- and 64-bit descriptor formats
 * (CFG.M64ADDR), the TX and RX descriptor engines.  Not modelled (logged
 * once): interrupt holdoff (IHR: interrupts come at once), MII/EEPROM
 * bit-banging (MEAR), the TBI, VLAN tag insertion and stripping, the MIB
 * counters (read as 0), wake-on-LAN, pause frames.
 *
 * Every address a guest gives (TXDP, RXDP, descriptor links and buffers)
 * is checked against guest RAM before it is touched: a bad one ends that
 * engine's walk with the error hardware gives (ISR RMABT for a descriptor
 * it cannot fetch, cmdsts ERR + ISR TXERR for a bad TX buffer), logged
 * (rate-limited).  Nothing a guest writes ends the domain.
 */
#include "wedge-xen/devices.h"

#define R_CR     0x00
#define R_CFG    0x04
#define R_MEAR   0x08
#define R_PTSCR  0x0c
#define R_ISR    0x10
#define R_IMR    0x14
#define R_IER    0x18
#define R_IHR    0x1c
#define R_TXDP   0x20
#define R_TXDP_HI 0x24
#define R_TXCFG  0x28
#define R_RXDP   0x30
#define R_RXDP_HI 0x34
#define R_RXCFG  0x38
#define R_RFCR   0x48
#define R_RFDR   0x4c
#define R_SRR    0x58
#define R_TESR   0xf4
#define NREGS    (0x100 / 4)

#define CR_TXE 0x001
#define CR_TXD 0x002
#define CR_RXE 0x004
#define CR_RXD 0x008
#define CR_TXR 0x010
#define CR_RXR 0x020
#define CR_SWI 0x080
#define CR_RST 0x100

#define CFG_LNKSTS  0x80000000u
#define CFG_SPDSTS0 0x20000000u
#define CFG_RO      0xf0000000u   /* LNKSTS, SPDSTS, DUPSTS: status */
#define CFG_PCI64_DET 0x00002000u
#define CFG_M64ADDR 0x00000800u

#define ISR_TXRCMP 0x00400000u
#define ISR_RXRCMP 0x00200000u
#define ISR_RMABT  0x00040000u
#define ISR_PHY    0x00004000u
#define ISR_SWI    0x00001000u
#define ISR_TXIDLE 0x00000200u
#define ISR_TXERR  0x00000100u
#define ISR_TXDESC 0x00000080u
#define ISR_TXOK   0x00000040u
#define ISR_RXORN  0x00000020u
#define ISR_RXIDLE 0x00000010u
#define ISR_RXERR  0x00000004u
#define ISR_RXDESC 0x00000002u
#define ISR_RXOK   0x00000001u

#define PTSCR_EEBIST_EN 0x002
#define PTSCR_EELOAD_EN 0x004
#define PTSCR_RBIST_DONE 0x200
#define PTSCR_RBIST_EN  0x400

#define CMDSTS_OWN  0x80000000u
#define CMDSTS_MORE 0x40000000u
#define CMDSTS_INTR 0x20000000u
#define CMDSTS_ERR  0x10000000u
#define CMDSTS_OK   0x08000000u
#define CMDSTS_DEST_SELF  0x00800000u
#define CMDSTS_DEST_MULTI 0x01000000u
#define CMDSTS_LEN  0x0000ffffu

#define RFCR_RFEN 0x80000000u
#define RFCR_AAB  0x40000000u
#define RFCR_AAM  0x20000000u
#define RFCR_AAU  0x10000000u
#define RFCR_APM  0x08000000u

#define EXTSTS_IPPKT 0x00020000u
#define EXTSTS_TCPPKT 0x00080000u
#define EXTSTS_UDPPKT 0x00200000u

#define BAR_SIZE 0x1000u
#define DEFAULT_BAR 0xfebff000u    /* "firmware" placement, below the 4 GiB hole's top */
#define DEFAULT_IRQ 11
#define TX_RING_MAX 256            /* a walk longer than this is a loop */
#define TX_INFLIGHT 256

static struct {
	u32 regs[NREGS];
	u8 mac[6];
	bool tx_on, rx_on;
	bool line;                     /* INTx level (edge to the PIC when it rises) */
	bool tx_walk_idle;             /* the TX walk found a descriptor the driver owns */
	u32 inflight;                  /* packets the back end has not completed */
	u64 rx_last;                   /* the descriptor with a NULL link RX stopped at (0: none) */
	/* per packet in flight: its descriptors (tag = slot) */
	struct { u32 ndesc; u64 desc[NF_MAX_FRAGS + 1]; bool busy; } tx[TX_INFLIGHT];
	u32 tx_next;
} nic;

static const struct nic_backend *be;

static bool nf_link_up(void) { return be && be->link_up(); }

void dp83820_set_backend(const struct nic_backend *b)
{
	be = b;
	dp83820_link_changed();
}

static struct pci_function fn = { .name = "dp83820", .dev = 3, .fn = 0 };
static struct mmio_range bar1 = { .name = "dp83820 BAR1" };

/* counters */
static u64 c_tx_pkts, c_tx_dropped_nolink, c_tx_bad, c_rx_pkts, c_rx_nodesc, c_rx_filtered, c_irqs;
static u64 c_reg_rd[NREGS], c_reg_wr[NREGS];

#define rate_limited(...) do { \
		static unsigned n_; \
		if (n_ < 10) { \
			n_++; \
			printk(__VA_ARGS__); \
			printk(n_ == 10 ? " (no more of these messages)\n" : "\n"); \
		} \
	} while (0)

static bool m64(void) { return nic.regs[R_CFG / 4] & CFG_M64ADDR; }
static unsigned desc_size(void) { return m64() ? 24 : 16; }

/* Guest RAM only (never a BAR, never the wedge: the physmap holds only guest RAM). */
static bool gpa_ok(u64 gpa, u64 len)
{
	return len && gpa + len > gpa && gpa + len <= guest_mem_bytes;
}

struct desc { u64 link, bufptr; u32 cmdsts, extsts; };

static bool desc_read(u64 gpa, struct desc *d)
{
	if (!gpa_ok(gpa, desc_size()))
		return false;
	const volatile u32 *p = gpa_ptr(gpa, desc_size());
	if (m64()) {
		d->link = p[0] | (u64)p[1] << 32;
		d->bufptr = p[2] | (u64)p[3] << 32;
		d->cmdsts = p[4];
		d->extsts = p[5];
	} else {
		d->link = p[0];
		d->bufptr = p[1];
		d->cmdsts = p[2];
		d->extsts = p[3];
	}
	return true;
}

static void desc_write_status(u64 gpa, u32 cmdsts, u32 extsts)
{
	volatile u32 *p = gpa_ptr(gpa, desc_size());
	unsigned i = m64() ? 4 : 2;
	p[i + 1] = extsts;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	p[i] = cmdsts;                 /* OWN last: the driver polls it */
}

/* ---------------------------------------------------------------- interrupts */
static void update_irq(void)
{
	bool line = nic.regs[R_IER / 4] && (nic.regs[R_ISR / 4] & nic.regs[R_IMR / 4]) &&
		    !(fn.cfg[0x05] & 0x04);   /* command register: INTx disable */
	if (line && !nic.line) {
		c_irqs++;
		pic_raise(fn.cfg[0x3c] & 0x0f);
	}
	nic.line = line;
}

static void raise_isr(u32 bits)
{
	nic.regs[R_ISR / 4] |= bits;
	update_irq();
}

/* ---------------------------------------------------------------- TX */
static u32 tx_slot_alloc(void)
{
	for (u32 i = 0; i < TX_INFLIGHT; i++) {
		u32 s = (nic.tx_next + i) % TX_INFLIGHT;
		if (!nic.tx[s].busy) {
			nic.tx_next = (s + 1) % TX_INFLIGHT;
			return s;
		}
	}
	return TX_INFLIGHT;
}

/* Hand descriptors back: OWN cleared, OK or ERR, the length kept. */
static void tx_complete_descs(const u64 *descs, u32 n, bool ok)
{
	u32 isr = ok ? ISR_TXOK : ISR_TXERR;
	for (u32 i = 0; i < n; i++) {
		struct desc d;
		if (!desc_read(descs[i], &d))
			continue;   /* the guest moved its ring under a packet in flight */
		if (d.cmdsts & CMDSTS_INTR)
			isr |= ISR_TXDESC;
		desc_write_status(descs[i], (d.cmdsts & ~(CMDSTS_OWN | CMDSTS_OK | CMDSTS_ERR)) |
					     (ok ? CMDSTS_OK : CMDSTS_ERR), d.extsts);
	}
	nic.regs[R_ISR / 4] |= isr;
}

static void tx_walk(void);

void dp83820_tx_done(u32 tag, bool ok)
{
	if (tag >= TX_INFLIGHT || !nic.tx[tag].busy)
		return;
	nic.tx[tag].busy = false;
	nic.inflight--;
	tx_complete_descs(nic.tx[tag].desc, nic.tx[tag].ndesc, ok);
	if (nic.tx_walk_idle && !nic.inflight)
		nic.regs[R_ISR / 4] |= ISR_TXIDLE;
	if (nic.tx_on && !nic.tx_walk_idle)
		tx_walk();   /* it stopped on a full ring */
	update_irq();
}

void dp83820_tx_room(void)
{
	if (nic.tx_on && !nic.tx_walk_idle) {
		tx_walk();
		update_irq();
	}
}

/* Walk from TXDP while the device owns descriptors: one packet is the
 * descriptors up to one without MORE.  Done inside the CR.TXE write. */
static void tx_walk(void)
{
	if (!pci_master_enabled(&fn)) {
		device_not_modelled("dp83820 TX with PCI bus mastering off: the engine waits");
		return;
	}
	nic.tx_walk_idle = false;
	for (unsigned pkts = 0; pkts < TX_RING_MAX; pkts++) {
		u64 first = nic.regs[R_TXDP / 4] | (u64)nic.regs[R_TXDP_HI / 4] << 32;
		struct desc d;
		if (!desc_read(first, &d)) {
			rate_limited("wedge: dp83820: TX descriptor at %lx outside guest RAM: TX stops (ISR RMABT)", first);
			nic.tx_on = false;
			nic.regs[R_ISR / 4] |= ISR_RMABT | ISR_TXERR;
			nic.tx_walk_idle = true;
			break;
		}
		if (!(d.cmdsts & CMDSTS_OWN)) {
			nic.tx_walk_idle = true;
			break;
		}
		/* gather the packet */
		struct nf_frag frags[NF_MAX_FRAGS];
		u64 descs[NF_MAX_FRAGS + 1];
		unsigned nd = 0, nf = 0;
		u32 total = 0;
		bool bad = false, fetch_fail = false;
		u64 at = first, next = 0;
		for (;;) {
			if (nd == NF_MAX_FRAGS + 1) {
				rate_limited("wedge: dp83820: TX packet at %lx has more than %u descriptors: error",
					     first, NF_MAX_FRAGS);
				bad = true;
				break;
			}
			descs[nd++] = at;
			u32 len = d.cmdsts & CMDSTS_LEN;
			if (!gpa_ok(d.bufptr, len)) {
				rate_limited("wedge: dp83820: TX descriptor %lx bufptr %lx len %u outside guest RAM: error",
					     at, d.bufptr, len);
				bad = true;
			} else {
				/* split at page boundaries (guest-contiguous is not machine-contiguous) */
				u64 p = d.bufptr;
				u32 left = len;
				while (left && !bad) {
					u32 chunk = (u32)(PAGE_SIZE - (p & (PAGE_SIZE - 1)));
					if (chunk > left)
						chunk = left;
					if (nf == NF_MAX_FRAGS) {
						bad = true;
						rate_limited("wedge: dp83820: TX packet at %lx needs more than %u page fragments: error",
							     first, NF_MAX_FRAGS);
						break;
					}
					frags[nf++] = (struct nf_frag){ p, chunk };
					p += chunk;
					left -= chunk;
				}
				total += len;
			}
			next = d.link;
			if (!(d.cmdsts & CMDSTS_MORE))
				break;
			at = d.link;
			if (!desc_read(at, &d)) {
				rate_limited("wedge: dp83820: TX descriptor link %lx outside guest RAM: error", at);
				fetch_fail = true;
				break;
			}
			if (!(d.cmdsts & CMDSTS_OWN)) {
				/* the driver sets OWN on the first descriptor last: a
				 * packet is never seen half owned; this one is malformed */
				rate_limited("wedge: dp83820: TX packet at %lx continues into a descriptor the driver owns: error", first);
				bad = true;
				nd--;   /* not ours to complete */
				next = at;
				break;
			}
		}
		if (!bad && !fetch_fail && (total < 14 || total > 1518)) {
			rate_limited("wedge: dp83820: TX packet at %lx of %u bytes (14..1518): error", first, total);
			bad = true;
		}
		if (fetch_fail) {
			tx_complete_descs(descs, nd, false);
			nic.regs[R_ISR / 4] |= ISR_RMABT;
			nic.tx_on = false;
			nic.tx_walk_idle = true;
			c_tx_bad++;
			break;
		}
		if (bad) {
			tx_complete_descs(descs, nd, false);
			c_tx_bad++;
		} else if (!nf_link_up()) {
			/* no carrier: the MAC sends into a dead wire */
			tx_complete_descs(descs, nd, true);
			c_tx_dropped_nolink++;
		} else {
			u32 tag = tx_slot_alloc();
			if (tag == TX_INFLIGHT)
				break;   /* resumes at a completion */
			/* the first descriptor's extsts carries the checksum request */
			struct desc d0;
			bool csum = desc_read(first, &d0) && (d0.extsts & (EXTSTS_TCPPKT | EXTSTS_UDPPKT));
			int rc = be->tx(frags, nf, total, csum, tag);
			if (rc == 0)
				break;   /* ring full: resumes at dp83820_tx_room() */
			c_tx_pkts++;
			if (rc == 2) {
				tx_complete_descs(descs, nd, true);
			} else {
				nic.tx[tag].busy = true;
				nic.tx[tag].ndesc = nd;
				memcpy(nic.tx[tag].desc, descs, nd * sizeof(descs[0]));
				nic.inflight++;
			}
		}
		nic.regs[R_TXDP / 4] = (u32)next;
		nic.regs[R_TXDP_HI / 4] = (u32)(next >> 32);
	}
	if (nic.tx_walk_idle && !nic.inflight)
		nic.regs[R_ISR / 4] |= ISR_TXIDLE;
	if (be)
		be->flush();
}

/* ---------------------------------------------------------------- RX */
static bool rx_filter(const u8 *f)
{
	u32 rfcr = nic.regs[R_RFCR / 4];
	if (!(rfcr & RFCR_RFEN))
		return false;
	bool bcast = f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff && f[5] == 0xff;
	if (bcast)
		return rfcr & RFCR_AAB;
	if (f[0] & 1)
		return rfcr & RFCR_AAM;
	if (rfcr & RFCR_AAU)
		return true;
	return (rfcr & RFCR_APM) && !memcmp(f, nic.mac, 6);
}

bool dp83820_rx_ready(void)
{
	return nic.rx_on && pci_master_enabled(&fn);
}

bool dp83820_rx(const u8 *data, u32 len, bool validated)
{
	if (!dp83820_rx_ready())
		return false;
	if (len < 14 || !rx_filter(data)) {
		c_rx_filtered++;
		return true;   /* consumed: the filter drops it */
	}
	u64 at = nic.regs[R_RXDP / 4] | (u64)nic.regs[R_RXDP_HI / 4] << 32;
	struct desc d;
	if (!desc_read(at, &d)) {
		rate_limited("wedge: dp83820: RX descriptor at %lx outside guest RAM: RX stops (ISR RMABT)", at);
		nic.rx_on = false;
		raise_isr(ISR_RMABT | ISR_RXIDLE);
		return false;
	}
	if (d.cmdsts & CMDSTS_OWN) {   /* no empty descriptor: the driver has not refilled */
		c_rx_nodesc++;
		nic.rx_on = false;
		raise_isr(ISR_RXIDLE);   /* the frame waits in the back end: nothing lost */
		return false;
	}
	u32 room = d.cmdsts & CMDSTS_LEN;
	if (len > room || !gpa_ok(d.bufptr, len)) {
		if (len <= room)
			rate_limited("wedge: dp83820: RX descriptor %lx bufptr %lx outside guest RAM: frame dropped (ISR RXERR)",
				     at, d.bufptr);
		raise_isr(ISR_RXERR);
		return true;
	}
	memcpy(gpa_ptr(d.bufptr, len), data, len);
	u32 dest = (data[0] & 1) ? CMDSTS_DEST_MULTI : CMDSTS_DEST_SELF;
	u32 ext = 0;
	if (validated && len >= 34 && data[12] == 0x08 && data[13] == 0x00) {
		ext = EXTSTS_IPPKT;
		if (data[23] == 6)
			ext |= EXTSTS_TCPPKT;
		else if (data[23] == 17)
			ext |= EXTSTS_UDPPKT;
	}
	desc_write_status(at, CMDSTS_OWN | CMDSTS_OK | dest | len, ext);
	u32 isr = ISR_RXOK | ((d.cmdsts & CMDSTS_INTR) ? ISR_RXDESC : 0);
	c_rx_pkts++;
	if (!d.link) {
		nic.rx_last = at;   /* CR.RXE re-reads its link (the driver appends) */
		nic.rx_on = false;
		isr |= ISR_RXIDLE;
	} else {
		nic.regs[R_RXDP / 4] = (u32)d.link;
		nic.regs[R_RXDP_HI / 4] = (u32)(d.link >> 32);
	}
	raise_isr(isr);
	return true;
}

/* ---------------------------------------------------------------- registers */
static void nic_reset(void)
{
	memset(nic.regs, 0, sizeof(nic.regs));
	nic.regs[R_MEAR / 4] = 0x12;
	nic.regs[R_ISR / 4] = 0x00608000;   /* TXRCMP, RXRCMP, HIBINT as after a reset */
	nic.regs[R_TXCFG / 4] = 0x120;
	nic.regs[R_RXCFG / 4] = 0x4;
	nic.regs[R_SRR / 4] = 0x0103;
	nic.regs[R_TESR / 4] = 0xc000;
	nic.tx_on = nic.rx_on = false;
	nic.rx_last = 0;
	nic.tx_walk_idle = true;
	update_irq();
}

static u32 cfg_status(void)
{
	/* raw bits: 1000 Mb/s (SPDSTS 01) full duplex (DUPSTS 0), which the
	 * driver's SPDSTS_POLARITY turns around; LNKSTS = the back end */
	return CFG_SPDSTS0 | (nf_link_up() ? CFG_LNKSTS : 0);
}

static u32 reg_read(unsigned r)
{
	switch (r) {
	case R_CR:
		return (nic.tx_on ? CR_TXE : 0) | (nic.rx_on ? CR_RXE : 0);
	case R_CFG:
		return (nic.regs[r / 4] & ~CFG_RO & ~CFG_PCI64_DET) | cfg_status();
	case R_ISR: {
		u32 v = nic.regs[r / 4];
		nic.regs[r / 4] = 0;
		update_irq();
		return v;
	}
	case R_RFDR: {
		u32 i = nic.regs[R_RFCR / 4] & 0x3ff;
		if (i < 6)
			return nic.mac[i] | (u32)nic.mac[i + 1] << 8;
		device_not_modelled("dp83820 receive filter memory beyond the MAC (RFCR %x): reads 0", i);
		return 0;
	}
	}
	if (r >= 0x60 && r <= 0x88)
		return 0;   /* MIB counters */
	if (r < 0x100)
		return nic.regs[r / 4];
	log_once("wedge: device model: dp83820 read of undocumented register %x: 0 (logged once)", r);
	return 0;
}

static void reg_write(unsigned r, u32 v)
{
	switch (r) {
	case R_CR:
		if (v & CR_RST) {
			/* the driver polls CR until RST reads clear; packets the
			 * back end still holds complete as errors later, on
			 * descriptors the driver no longer owns: forget them */
			for (u32 i = 0; i < TX_INFLIGHT; i++)
				nic.tx[i].ndesc = 0;
			nic_reset();
			return;
		}
		if (v & CR_TXR) {
			nic.tx_on = false;
			raise_isr(ISR_TXRCMP);
		}
		if (v & CR_RXR) {
			nic.rx_on = false;
			raise_isr(ISR_RXRCMP);
		}
		if (v & CR_TXD)
			nic.tx_on = false;
		if (v & CR_RXD)
			nic.rx_on = false;
		if (v & CR_SWI)
			nic.regs[R_ISR / 4] |= ISR_SWI;
		if ((v & CR_RXE) && !(v & CR_RXD)) {
			if (nic.rx_last) {
				struct desc d;
				if (desc_read(nic.rx_last, &d) && d.link) {
					nic.regs[R_RXDP / 4] = (u32)d.link;
					nic.regs[R_RXDP_HI / 4] = (u32)(d.link >> 32);
					nic.rx_last = 0;
				}
			}
			nic.rx_on = true;
			if (be && be->rx_kick)
				be->rx_kick();
		}
		if ((v & CR_TXE) && !(v & CR_TXD)) {
			nic.tx_on = true;
			tx_walk();
		}
		update_irq();
		return;
	case R_CFG:
		nic.regs[r / 4] = v & ~CFG_RO;
		return;
	case R_PTSCR:
		/* every self test completes at once and passes */
		nic.regs[r / 4] = (v & PTSCR_RBIST_EN) ? PTSCR_RBIST_DONE : 0;
		return;
	case R_ISR:
		return;   /* read-only */
	case R_IMR: case R_IER:
		nic.regs[r / 4] = r == R_IER ? v & 1 : v;
		update_irq();
		return;
	case R_IHR:
		if (v & 0xff)
			device_not_modelled("dp83820 interrupt holdoff (IHR %x): interrupts come at once", v);
		nic.regs[r / 4] = v;
		return;
	case R_RXDP:
		nic.rx_last = 0;
		break;
	case R_RFDR:
		device_not_modelled("dp83820 writes to the receive filter memory (RFDR): the MAC is the vif's");
		return;
	case R_MEAR:
		device_not_modelled("dp83820 EEPROM and MII management (MEAR)");
		break;
	}
	if (r >= 0x100) {
		log_once("wedge: device model: dp83820 write %x to undocumented register %x: ignored (logged once)", v, r);
		return;
	}
	nic.regs[r / 4] = v;
}

static u64 bar_read(u64 off, unsigned size)
{
	if (size != 4 || (off & 3)) {
		log_once("wedge: device model: dp83820 %u-byte read at %lx: the chip decodes dwords only: all ones (logged once)",
			 size, off);
		return ~0ull;
	}
	if (off < 0x100)
		c_reg_rd[off / 4]++;
	return reg_read((unsigned)off);
}

static void bar_write(u64 off, unsigned size, u64 v)
{
	if (size != 4 || (off & 3)) {
		log_once("wedge: device model: dp83820 %u-byte write at %lx: the chip decodes dwords only: ignored (logged once)",
			 size, off);
		return;
	}
	if (off < 0x100)
		c_reg_wr[off / 4]++;
	reg_write((unsigned)off, (u32)v);
}

/* ---------------------------------------------------------------- PCI */
static void pci_changed(struct pci_function *f)
{
	bar1.base = pci_bar_base(f, 1);
	bar1.size = pci_mem_enabled(f) && bar1.base ? BAR_SIZE : 0;
	update_irq();
}

void dp83820_link_changed(void)
{
	u8 mac[6];
	if (be && be->mac(mac))
		memcpy(nic.mac, mac, 6);
	raise_isr(ISR_PHY);
}

static void dp83820_init(void)
{
	struct pci_function *f = &fn;
	pci_put16(f, 0x00, 0x100b);     /* National Semiconductor */
	pci_put16(f, 0x02, 0x0022);     /* DP83820 */
	pci_put16(f, 0x06, 0x0290);     /* status: capabilities none, fast back-to-back, medium DEVSEL */
	f->wmask[0x04] = 0x47;          /* command: I/O, memory, bus master, parity error response */
	f->wmask[0x05] = 0x05;          /* SERR#, INTx disable */
	f->cfg[0x08] = 0x02;            /* revision */
	f->cfg[0x0b] = 0x02;            /* class: network */
	f->cfg[0x0a] = 0x00;            /* Ethernet */
	f->cfg[0x0d] = 0x40;            /* latency timer */
	f->wmask[0x0c] = 0xff;          /* cache line size */
	f->wmask[0x0d] = 0xff;
	pci_bar(f, 0, 256, 1);          /* BAR0: I/O, 256 bytes (not decoded: the driver uses BAR1) */
	pci_bar(f, 1, BAR_SIZE, 0);     /* BAR1: 32-bit memory, non prefetchable */
	pci_put32(f, 0x14, DEFAULT_BAR);
	pci_put16(f, 0x2c, 0x100b);     /* subsystem */
	pci_put16(f, 0x2e, 0x0022);
	f->cfg[0x3c] = DEFAULT_IRQ;     /* interrupt line: the 8259 input */
	f->wmask[0x3c] = 0xff;
	f->cfg[0x3d] = 1;               /* INTA# */
	f->cfg[0x3e] = 0x34;            /* min grant */
	f->cfg[0x3f] = 0x08;            /* max latency */
	f->changed = pci_changed;
	pci_register(f);
	bar1.read = bar_read;
	bar1.write = bar_write;
	device_mmio(&bar1);
	static const u8 nolink_mac[6] = { 0x00, 0x16, 0x3e, 0xab, 0x00, 0x01 };
	memcpy(nic.mac, nolink_mac, 6);
	nic_reset();
	pci_changed(f);
}

static void dp83820_counters(void)
{
	printk("wedge: counters: dp83820 irqs %lu, TX packets %lu (no link: %lu, bad: %lu), RX packets %lu "
	       "(no descriptor: %lu, filtered: %lu)\n", c_irqs, c_tx_pkts, c_tx_dropped_nolink, c_tx_bad,
	       c_rx_pkts, c_rx_nodesc, c_rx_filtered);
	printk("wedge: counters: dp83820 register accesses (reads/writes):");
	for (unsigned i = 0; i < NREGS; i++)
		if (c_reg_rd[i] || c_reg_wr[i])
			printk(" %02x:%lu/%lu", i * 4, c_reg_rd[i], c_reg_wr[i]);
	printk("\n");
}

const struct device_model dp83820_model = { .name = "dp83820", .init = dp83820_init,
					    .counters = dp83820_counters };
