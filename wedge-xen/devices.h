/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The wedge's device interface.  A device model lives in a file of its own
 * and is listed in the board table (board.c); its init() registers what it
 * decodes: I/O port ranges, guest-physical MMIO ranges (a PCI BAR moves
 * its range when the guest programs the BAR) and PCI functions (pci.c runs
 * configuration mechanism #1 over them).  The emulation paths dispatch
 * through these tables: port I/O (emulate.c -> io_in/io_out), a guest
 * page fault on a guest-physical address outside RAM (mm.c -> mmio.c), an
 * event channel (events.c -> devices_event).
 */
#ifndef WEDGE_DEVICES_H
#define WEDGE_DEVICES_H

#include "wedge-xen/wedge.h"

#define device_not_modelled(...) \
	log_once("wedge: device model: not modelled, ignored: " __VA_ARGS__)

struct port_range {
	u16 first, last;                       /* inclusive */
	u32 (*in)(u16 port, unsigned size);
	void (*out)(u16 port, unsigned size, u32 value);
};

struct mmio_range {
	const char *name;
	u64 base, size;                        /* guest-physical; size 0: decodes nothing */
	u64 (*read)(u64 offset, unsigned size);
	void (*write)(u64 offset, unsigned size, u64 value);
};

/* PCI configuration space of one function (pci.c implements the standard
 * header from these bytes: BAR sizing through wmask, the command register,
 * interrupt line).  changed() runs after every configuration write. */
struct pci_function {
	const char *name;
	u8 dev, fn;                            /* bus 0 only */
	u8 cfg[256];
	u8 wmask[256];                         /* writable bits */
	void (*changed)(struct pci_function *f);
};

struct device_model {
	const char *name;
	void (*init)(void);                    /* registers its ranges and functions */
	void (*event)(evtchn_port_t port);     /* an event channel fired (optional) */
	void (*poll)(void);                    /* after events, before an exit (optional) */
	void (*counters)(void);                /* print its counters (optional) */
};

/* board.c: the models of this machine, initialised in order */
extern const struct device_model *const board_models[];
extern const unsigned board_model_count;

/* devices.c: the registry */
void device_ports(const struct port_range *r);
void device_mmio(struct mmio_range *r);
const struct mmio_range *device_mmio_find(u64 gpa);
void devices_event(evtchn_port_t port);
void devices_poll(void);
void devices_counters_print(void);
/* The ports a model wants in wait_for_event()'s poll set (at most n). */
unsigned devices_wait_ports(evtchn_port_t *ports, unsigned n);
void device_wait_port(evtchn_port_t port);

/* pci.c */
void pci_register(struct pci_function *f);
void pci_bar(struct pci_function *f, unsigned bar, u32 size, u32 flags);   /* memory BAR: flags 0 */
u32 pci_bar_base(const struct pci_function *f, unsigned bar);
bool pci_mem_enabled(const struct pci_function *f);
bool pci_master_enabled(const struct pci_function *f);
static inline void pci_put16(struct pci_function *f, unsigned off, u16 v)
{
	f->cfg[off] = (u8)v;
	f->cfg[off + 1] = (u8)(v >> 8);
}
static inline void pci_put32(struct pci_function *f, unsigned off, u32 v)
{
	pci_put16(f, off, (u16)v);
	pci_put16(f, off + 2, (u16)(v >> 16));
}
static inline u32 pci_get32(const struct pci_function *f, unsigned off)
{
	return f->cfg[off] | (u32)f->cfg[off + 1] << 8 | (u32)f->cfg[off + 2] << 16 |
	       (u32)f->cfg[off + 3] << 24;
}
extern const struct device_model pci_host_model;

/* The DP83820 model's back end (dp83820.c): netfront.c, talking to Xen's
 * netback, once that exists; with none the link is down.  Fragments are
 * guest-physical, each inside one page of guest RAM. */
struct nf_frag {
	u64 gpa;
	u32 len;
};
#define NF_MAX_FRAGS 17
struct nic_backend {
	bool (*link_up)(void);             /* the backend is Connected */
	bool (*mac)(u8 mac[6]);            /* the vif's MAC; false: none */
	/* queue one packet: 2 copied (the descriptors complete now), 1 queued
	 * in place (completion later: dp83820_tx_done(tag)), 0 no room now
	 * (the walk resumes at dp83820_tx_room()) */
	int (*tx)(const struct nf_frag *f, unsigned n, u32 total, bool csum_blank, u32 tag);
	void (*flush)(void);               /* notify what was queued: once per burst */
	void (*rx_kick)(void);             /* RX descriptors may be there again (CR.RXE) */
};
void dp83820_tx_room(void);
void dp83820_set_backend(const struct nic_backend *be);
void dp83820_tx_done(u32 tag, bool ok);
/* A received frame; false: no descriptor for it now (the back end keeps it). */
bool dp83820_rx(const u8 *data, u32 len, bool validated);
bool dp83820_rx_ready(void);
void dp83820_link_changed(void);

/* mmio.c: a guest access to guest-physical gpa (outside RAM) faulted at
 * virtual va; emulates the instruction at g_regs.rip.  Always handled. */
bool mmio_fault(u64 va, u64 gpa, u64 error);

#endif
