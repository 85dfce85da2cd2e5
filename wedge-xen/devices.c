/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Platform devices: 16550 UART (COM1, on the Xen console), the 8259 PIC
 * pair, the 8254 PIT (channel 0 driven by Xen's single-shot timer), the CMOS
 * RTC (a fixed clock), the ELCR, the
 * debug-exit port 0xf4 (as QEMU's isa-debug-exit: the guest's way to end
 * the run) and port 0x80 (POST delay).  Anything a guest can reach (a
 * process too, through /dev/port, a tty ioctl or the RTC driver) never ends
 * the domain: a feature a model lacks answers as a part without it would
 * (the write ignored, the mode left as it was, an absent port floating high)
 * and is logged once, naming the feature (grep "not modelled").
 */
#include "wedge-xen/devices.h"
#include "wedge-xen/apic.h"
#include <xen/sched.h>

#define not_modelled(...) log_once("wedge: device model: not modelled, ignored: " __VA_ARGS__)

/* ---------------------------------------------------------------- 8259 */
struct pic {
	u8 irr, isr, imr, vector_base;
	u8 init_step;      /* 0: ready; 2..4: expecting ICW2..ICW4 */
	bool icw4_needed, read_isr;
	bool single;       /* ICW1 SNGL: no ICW3 */
	bool aeoi;         /* ICW4 auto-EOI: acknowledging sets no ISR bit */
	bool poll;         /* OCW3 poll command: the next read is the poll byte */
};
static struct pic pics[2];   /* master, slave */

static void pic_write(int n, int port_odd, u8 v)
{
	struct pic *p = &pics[n];
	if (!port_odd) {
		if (v & 0x10) {            /* ICW1 */
			if (v & 0x08)
				not_modelled("8259 level-triggered mode (requests stay edge triggered)");
			p->irr = p->isr = 0;
			p->imr = 0;
			p->init_step = 2;
			p->icw4_needed = v & 0x01;
			p->single = v & 0x02;
			p->read_isr = false;
			p->aeoi = false;
			p->poll = false;
		} else if (v & 0x08) {     /* OCW3 */
			if (v & 0x04)
				p->poll = true;
			if ((v & 0x60) == 0x60)
				not_modelled("8259 special mask mode");
			if (v & 0x02)
				p->read_isr = v & 0x01;
		} else {                   /* OCW2 */
			unsigned cmd = v >> 5;
			if (cmd == 1 || cmd == 5) {   /* non-specific EOI */
				for (int i = 0; i < 8; i++)
					if (p->isr & (1u << i)) {
						p->isr &= (u8)~(1u << i);
						break;
					}
			} else if (cmd == 3 || cmd == 7) {   /* specific EOI */
				p->isr &= (u8)~(1u << (v & 7));
			}
			if (cmd == 0 || cmd >= 4)   /* the EOI part above is done */
				not_modelled("8259 priority rotation (OCW2 command %u): fixed priority kept", cmd);
		}
		return;
	}
	switch (p->init_step) {
	case 2:
		p->vector_base = v & 0xf8;
		p->init_step = p->single ? (p->icw4_needed ? 4 : 0) : 3;
		return;
	case 3:
		p->init_step = p->icw4_needed ? 4 : 0;
		return;
	case 4:
		if (!(v & 0x01))
			not_modelled("8259 MCS-80 mode (vectors stay 8086 style)");
		if (v & 0x10)
			not_modelled("8259 special fully nested mode");
		p->aeoi = v & 0x02;
		p->init_step = 0;
		return;
	}
	p->imr = v;                        /* OCW1 */
}

static u8 pic_read(int n, int port_odd)
{
	struct pic *p = &pics[n];
	if (port_odd)
		return p->imr;
	pit_sync();
	if (p->poll) {
		/* poll byte: bit 7 and the highest-priority request, which
		 * the read acknowledges (8259A datasheet, "Poll command") */
		p->poll = false;
		for (int i = 0; i < 8; i++) {
			if (p->isr & (1u << i))
				break;
			if ((p->irr & ~p->imr) & (1u << i)) {
				p->irr &= (u8)~(1u << i);
				if (!p->aeoi)
					p->isr |= (u8)(1u << i);
				return (u8)(0x80 | i);
			}
		}
		return 0;
	}
	return p->read_isr ? p->isr : p->irr;
}

void pic_raise(unsigned irq)
{
	ioapic_isa_irq(irq);   /* the same line goes to the I/O APIC (ioapic.c) */
	if (irq >= 8) {
		pics[1].irr |= (u8)(1u << (irq - 8));
		pics[0].irr |= 1u << 2;
	} else {
		pics[0].irr |= (u8)(1u << irq);
	}
}

/* Highest-priority request not masked and not behind a higher one in service. */
static int pic_best(struct pic *p)
{
	for (int i = 0; i < 8; i++) {
		if (p->isr & (1u << i))
			return -1;
		if ((p->irr & ~p->imr) & (1u << i))
			return i;
	}
	return -1;
}

static int i8259_pending_vector(void)
{
	int m = pic_best(&pics[0]);
	if (m < 0)
		return -1;
	if (m == 2) {
		int s = pic_best(&pics[1]);
		if (s < 0)
			return -1;
		return pics[1].vector_base + s;
	}
	return pics[0].vector_base + m;
}

static void i8259_ack(int vector)
{
	int m = pic_best(&pics[0]);
	if (m == 2) {
		int s = vector - pics[1].vector_base;
		pics[1].irr &= (u8)~(1u << s);
		if (!pics[1].aeoi)
			pics[1].isr |= (u8)(1u << s);
		if (!pics[1].irr)
			pics[0].irr &= (u8)~(1u << 2);
	} else {
		pics[0].irr &= (u8)~(1u << m);
	}
	if (!pics[0].aeoi)
		pics[0].isr |= (u8)(1u << m);
}

static void pit_tick_taken(int vector, bool from_apic);

/* What the CPU takes next (events.c, emulate.c's hlt): the 8259 directly
 * while the local APIC is software-disabled (after reset: virtual wire),
 * else the APIC's IRR above its PPR, and the 8259 through LINT0 when that
 * is open as ExtINT (apic.c). */
int pic_pending_vector(void)
{
	if (!apic_sw_enabled())
		return i8259_pending_vector();
	int v = apic_pending_vector();
	if (v < 0 && apic_extint_open())
		v = i8259_pending_vector();
	return v;
}

void pic_ack(int vector)
{
	bool from_apic = apic_sw_enabled() && apic_pending_vector() == vector;
	if (from_apic)
		apic_ack(vector);
	else
		i8259_ack(vector);
	pit_tick_taken(vector, from_apic);
}

/* ---------------------------------------------------------------- 8254 */
/* Channel 0 drives IRQ0 from Xen's single-shot timer.  Channel 2's GATE is
 * port 0x61 bit 0 and its OUT reads back as port 0x61 bit 5 (the PC's
 * speaker and TSC-calibration timer; Linux's pit_calibrate_tsc and
 * quick_pit_calibrate poll them).  GATE as the 8254 datasheet has it: low
 * stops counting (modes 0, 2, 3: the count holds; in modes 2 and 3 OUT is
 * forced high), a rising edge resumes mode 0 and reloads modes 2 and 3.
 * Channels 0 and 1 have GATE wired high.  OUT: mode 0 low from the mode
 * write until the count reaches 0, then high (the counter wraps and goes
 * on); mode 2 high (its one-clock low pulse is not visible to a poll);
 * mode 3 high for the first half of each period. */
#define PIT_HZ 1193182ull
struct pit_channel {
	u8 mode, access, latch_pending, read_hi, write_hi;
	u16 reload, latched;
	u8 low_byte;
	bool loaded;       /* a count was written since the mode was */
	bool gate;         /* GATE input (channel 2: port 0x61 bit 0) */
	u64 start_ns;      /* when counting last started with GATE high */
	u64 held_ticks;    /* ticks counted before start_ns */
	u64 next_ns;       /* next interrupt (channel 0), 0 when none */
	bool armed;
};
static struct pit_channel pit[3] = { { .gate = true }, { .gate = true }, { .gate = false } };
static u8 port61;          /* bits 0-3 as last written, bit 4 the refresh toggle */

static u64 pit_period_ns(struct pit_channel *c)
{
	u64 count = c->reload ? c->reload : 65536;
	return count * 1000000000ull / PIT_HZ;
}

/* Input clocks counted since the count was loaded (0 before). */
static u64 pit_ticks(struct pit_channel *c)
{
	if (!c->loaded)
		return 0;
	u64 t = c->held_ticks;
	if (c->gate)
		t += (xen_time_ns() - c->start_ns) * PIT_HZ / 1000000000ull;
	return t;
}

static u16 pit_current(struct pit_channel *c)
{
	u64 count = c->reload ? c->reload : 65536;
	if (!c->loaded)
		return c->reload;
	u64 ticks = pit_ticks(c);
	if (c->mode == 0)
		return (u16)(count - ticks);   /* after 0 it wraps and goes on */
	return (u16)(count - ticks % count);
}

static bool pit_out(struct pit_channel *c)
{
	u64 count = c->reload ? c->reload : 65536;
	switch (c->mode) {
	case 0: return c->loaded && pit_ticks(c) >= count;
	case 3: return !c->gate || !c->loaded || pit_ticks(c) % count < (count + 1) / 2;
	default: return true;
	}
}

/* Port 0x61 bit 0 written: channel 2's GATE. */
static void pit_gate2(bool gate)
{
	struct pit_channel *c = &pit[2];
	if (gate == c->gate)
		return;
	if (!gate)
		c->held_ticks = pit_ticks(c);
	else if (c->mode == 2 || c->mode == 3)
		c->held_ticks = 0;             /* a rising edge reloads */
	c->start_ns = xen_time_ns();
	c->gate = gate;
}

/* Raise IRQ0 for every period that has passed (coalesced, like an edge
 * the PIC has not yet acknowledged) and set the next Xen deadline. */
/*
 * Periodic ticks the guest could have taken are not lost (as a PIT under
 * KVM reinjects them): the periods that end while the guest has IF set but
 * does not run (the host, QEMU or Xen's scheduler holding the vCPU) go to
 * a backlog, and each time the CPU takes the PIT's vector the next tick is
 * raised (pic_ack): the guest catches up at its own pace, jiffies keep
 * time, and Linux's checks that count ticks against a delay
 * (timer_irq_works, the local APIC timer's verification) see the periods
 * that passed.  Periods that end while the guest has IF clear (the wedge
 * syncs at its exits) merge into the one request waiting, as on hardware:
 * replaying them would run the guest's clock ahead of the ticks hardware
 * gives.  At most one second of ticks is kept.
 */
static u64 pit_backlog, pit_raised, pit_replayed, pit_merged;

/* The PIT's request still waits in the controller the CPU takes it from. */
static bool pit_request_waiting(void)
{
	int v = apic_sw_enabled() ? ioapic_pin_vector(2) : -1;
	if (v >= 0)
		return apic_irr_test((unsigned)v);
	return pics[0].irr & 1;
}

static void pit0_sync(void)
{
	struct pit_channel *c = &pit[0];
	if (!c->armed)
		return;
	u64 now = xen_time_ns();
	if (now < c->next_ns)
		return;
	if (c->mode == 0) {
		pic_raise(0);
		c->armed = false;
		return;
	}
	u64 period = pit_period_ns(c);
	u64 missed = (now - c->next_ns) / period + 1;
	c->next_ns += missed * period;
	if (!pit_request_waiting()) {
		pic_raise(0);
		pit_raised++;
		missed--;
	}
	if (g_vif_mask) {
		pit_merged += missed;
		missed = 0;
	}
	u64 cap = 1000000000ull / period + 1;
	pit_backlog = pit_backlog + missed > cap ? cap : pit_backlog + missed;
	timers_rearm();
}

/* The CPU took vector: the PIT's (through the 8259 or the I/O APIC)? */
static void pit_tick_taken(int vector, bool from_apic)
{
	if (!pit_backlog)
		return;
	int v = from_apic ? ioapic_pin_vector(2) : pics[0].vector_base;
	if (vector != v)
		return;
	pit_backlog--;
	pit_replayed++;
	pic_raise(0);
}

/* The timers' device side (after events, before an exit): the PIT's
 * channel 0 and the local APIC's timer. */
void pit_sync(void)
{
	pit0_sync();
	apic_timer_sync();
}

/* Xen's one single-shot timer serves both: the earlier deadline. */
void timers_rearm(void)
{
	u64 d = pit[0].armed ? pit[0].next_ns : 0, a = apic_timer_deadline();
	if (a && (!d || a < d))
		d = a;
	if (d)
		timer_set_deadline(d);
}

static void pit_load(int n)
{
	struct pit_channel *c = &pit[n];
	c->start_ns = xen_time_ns();
	c->held_ticks = 0;
	c->loaded = true;
	if (n != 0)
		return;
	c->next_ns = c->start_ns + pit_period_ns(c);
	c->armed = true;
	timers_rearm();
}

static void pit_write(unsigned port, u8 v)
{
	if (port == 0x43) {
		unsigned ch = v >> 6;
		if (ch == 3) {
			not_modelled("8254 read-back command");
			return;
		}
		struct pit_channel *c = &pit[ch];
		if (((v >> 4) & 3) == 0) {     /* counter latch */
			c->latched = pit_current(c);
			c->latch_pending = 2;
			return;
		}
		c->access = (v >> 4) & 3;
		c->mode = (v >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4;
		if (v & 1)
			not_modelled("8254 BCD counting (counts in binary)");
		if (c->mode != 0 && c->mode != 2 && c->mode != 3) {
			not_modelled("8254 mode %u (counts as mode 0, one shot)", c->mode);
			c->mode = 0;
		}
		c->write_hi = 0;
		c->read_hi = 0;
		if (ch == 0)
			pit_backlog = 0;
		c->loaded = false;             /* mode 0: OUT low until a count is loaded and runs out */
		if (ch == 0)
			c->armed = false;
		return;
	}
	unsigned ch = port - 0x40;
	struct pit_channel *c = &pit[ch];
	switch (c->access) {
	case 1: c->reload = v; pit_load((int)ch); break;
	case 2: c->reload = (u16)(v << 8); pit_load((int)ch); break;
	case 3:
		if (!c->write_hi) {
			c->low_byte = v;
			c->write_hi = 1;
		} else {
			c->reload = (u16)(c->low_byte | v << 8);
			c->write_hi = 0;
			pit_load((int)ch);
		}
		break;
	default:
		not_modelled("8254 counter write before a mode was set");
	}
}

static u8 pit_read(unsigned port)
{
	struct pit_channel *c = &pit[port - 0x40];
	u16 v;
	if (c->latch_pending) {
		v = c->latched;
		c->latch_pending--;
		return c->latch_pending ? (u8)v : (u8)(v >> 8);
	}
	v = pit_current(c);
	switch (c->access) {
	case 1: return (u8)v;
	case 2: return (u8)(v >> 8);
	default:
		c->read_hi ^= 1;
		return c->read_hi ? (u8)v : (u8)(v >> 8);
	}
}

/* ---------------------------------------------------------------- 16550 */
/* Transmission is instantaneous (the byte goes to the console ring), so
 * THR is always empty again right after a write: with ETBEI every write
 * ends in a THR-empty interrupt, as it would on hardware once the byte left.
 * Line-status interrupts never have a cause here.
 *
 * Loopback (MCR bit 4), as the 16550 datasheet describes it: the
 * transmitter's output goes back into the receiver (nothing reaches the
 * console, console input waits), and the modem-control outputs drive the
 * modem-status inputs: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD, with their
 * delta bits and the modem-status interrupt.  On a PC the OUT2 pin gates
 * IRQ4 and loopback forces the pin inactive, so no interrupt leaves the
 * UART in loopback. */
#define UART_LOOP_FIFO 16
static struct {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	int rx;            /* buffered input byte, -1 when none */
	bool thre_pending; /* THR-empty interrupt not yet acknowledged */
	bool line;         /* IRQ4 line level (edge to the PIC on rising) */
	u8 loop[UART_LOOP_FIFO], loop_head, loop_n;   /* bytes looped back */
	bool overrun;      /* a looped byte found the receiver full (LSR.OE) */
	u8 msr_delta;      /* MSR bits 0-3, cleared when MSR is read */
} uart = { .rx = -1, .dll = 1 };

static bool uart_loop(void) { return uart.mcr & 0x10; }

/* MSR bits 4-7: the looped-back outputs, or a modem that is always there
 * (DCD, DSR, CTS) outside loopback. */
static u8 uart_msr_lines(u8 mcr)
{
	if (!(mcr & 0x10))
		return 0xb0;
	return (u8)(((mcr & 0x01) << 5) | ((mcr & 0x02) << 3) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4));
}

static bool uart_rx_ready(void) { return uart_loop() ? uart.loop_n > 0 : uart.rx >= 0; }

static u8 uart_iir(void)
{
	if ((uart.ier & 0x01) && uart_rx_ready())
		return 0x04;
	if ((uart.ier & 0x02) && uart.thre_pending)
		return 0x02;
	if ((uart.ier & 0x08) && uart.msr_delta)
		return 0x00;
	return 0x01;
}

static void uart_update_irq(void)
{
	/* OUT2 gates IRQ4 on a PC; loopback forces the pin inactive */
	bool line = uart_iir() != 0x01 && (uart.mcr & 0x08) && !uart_loop();
	if (line && !uart.line)
		pic_raise(4);
	uart.line = line;
}

/* Console input arrived (event) or may have: fetch a byte into RBR. */
void uart_poll_rx(void)
{
	if (uart.rx < 0 && !uart_loop())
		uart.rx = console_read_byte();
	uart_update_irq();
}

static void uart_write(unsigned reg, u8 v)
{
	bool dlab = uart.lcr & 0x80;
	switch (reg) {
	case 0:
		if (dlab) {
			uart.dll = v;
		} else {
			if (uart_loop()) {
				unsigned depth = (uart.fcr & 1) ? UART_LOOP_FIFO : 1;
				if (uart.loop_n < depth)
					uart.loop[(uart.loop_head + uart.loop_n++) % UART_LOOP_FIFO] = v;
				else
					uart.overrun = true;
			} else {
				char c = (char)v;
				console_write(&c, 1);
			}
			uart.thre_pending = false;
			uart_update_irq();          /* the line drops ... */
			uart.thre_pending = true;   /* ... and rises: THR empty again */
		}
		break;
	case 1:
		if (dlab) {
			uart.dlm = v;
		} else {
			if ((v & 0x02) && !(uart.ier & 0x02))
				uart.thre_pending = true;
			uart.ier = v & 0x0f;
		}
		break;
	case 2:
		if (v & 0x02)   /* clear the receive FIFO */
			uart.loop_n = 0;
		uart.fcr = v;
		break;
	case 3: uart.lcr = v; break;
	case 4: {
		u8 old = uart_msr_lines(uart.mcr), now = uart_msr_lines(v & 0x1f);
		u8 changed = (u8)(old ^ now);
		uart.msr_delta |= (u8)(((changed >> 4) & 0x0b) |        /* DCTS, DDSR, DDCD */
				       ((old & ~now & 0x40) ? 0x04 : 0));  /* TERI: RI's trailing edge */
		uart.mcr = v & 0x1f;
		break;
	}
	case 7: uart.scr = v; break;
	default:
		/* LSR and MSR are read-only (writing them is a factory test) */
		not_modelled("16550 write %x to read-only register %u", v, reg);
	}
	uart_update_irq();
}

static u8 uart_read(unsigned reg)
{
	bool dlab = uart.lcr & 0x80;
	u8 v = 0xff;
	if (uart.rx < 0 && !uart_loop())
		uart.rx = console_read_byte();
	switch (reg) {
	case 0:
		if (dlab) {
			v = uart.dll;
		} else if (uart_loop()) {
			v = 0;
			if (uart.loop_n) {
				v = uart.loop[uart.loop_head];
				uart.loop_head = (u8)((uart.loop_head + 1) % UART_LOOP_FIFO);
				uart.loop_n--;
			}
		} else if (uart.rx >= 0) {
			v = (u8)uart.rx;
			uart.rx = console_read_byte();
		} else {
			v = 0;
		}
		break;
	case 1: v = dlab ? uart.dlm : uart.ier; break;
	case 2:
		v = uart_iir();
		if (v == 0x02)
			uart.thre_pending = false;   /* reading IIR acknowledges THR empty */
		v |= (uart.fcr & 1) ? 0xc0 : 0;
		break;
	case 3: v = uart.lcr; break;
	case 4: v = uart.mcr; break;
	case 5:   /* THRE, TEMT, OE, DR; reading clears OE */
		v = (u8)(0x60 | (uart.overrun ? 0x02 : 0) | (uart_rx_ready() ? 0x01 : 0));
		uart.overrun = false;
		break;
	case 6:
		v = uart_msr_lines(uart.mcr) | uart.msr_delta;
		uart.msr_delta = 0;
		break;
	case 7: v = uart.scr; break;
	}
	uart_update_irq();
	return v;
}

/* ---------------------------------------------------------------- CMOS RTC */
/* The RTC and CMOS RAM at 0x70/0x71: the clock reads as a fixed date (BCD,
 * 24 h, never updating), the status registers as idle.  The guest may set
 * the clock (Linux does once NTP marks its time synchronised; hwclock -w):
 * the registers keep what it wrote and read it back, still not advancing.
 * RTC interrupts (IRQ8) are not modelled: the enable bits in register B
 * are stored, and no interrupt ever comes, as from a part whose IRQ line
 * is not wired. */
static struct { u8 index; u8 ram[128]; } cmos;

static void cmos_init(void)
{
	static const u8 clock[10] = { 0x00, 0, 0x00, 0, 0x12, 0, 0x01, 0x01, 0x01, 0x26 };
	memcpy(cmos.ram, clock, sizeof(clock));   /* 2026-01-01 12:00:00, Thursday */
	cmos.ram[0x0a] = 0x26;                     /* UIP clear, 32.768 kHz base */
	cmos.ram[0x0b] = 0x02;                     /* 24 h, BCD, no interrupts */
	cmos.ram[0x0d] = 0x80;                     /* battery good */
	cmos.ram[0x32] = 0x20;                     /* century */
}

static void cmos_write(unsigned port, u8 v)
{
	if (port == 0x70) {
		cmos.index = v & 0x7f;             /* bit 7: NMI mask */
		return;
	}
	if (cmos.index == 0x0b && (v & 0x70))
		not_modelled("RTC interrupts (register B %x): IRQ8 never fires", v);
	if (cmos.index == 0x0c || cmos.index == 0x0d)
		return;                            /* read-only */
	if (cmos.index == 0x0a)
		v &= 0x7f;                         /* UIP is read-only (and stays clear) */
	cmos.ram[cmos.index] = v;
}

static u8 cmos_read(unsigned port)
{
	if (port == 0x70)
		return 0xff;
	return cmos.ram[cmos.index];
}

/* ---------------------------------------------------------------- registry */
/* The models of board.c (pci.c, dp83820.c, ...) register what they decode
 * here (devices.h); the legacy PC devices above are still dispatched
 * directly below. */
#define MAX_PORT_RANGES 8
#define MAX_MMIO_RANGES 8
#define MAX_WAIT_PORTS 4
static const struct port_range *port_ranges[MAX_PORT_RANGES];
static struct mmio_range *mmio_ranges[MAX_MMIO_RANGES];
static unsigned nport_ranges, nmmio_ranges, nwait_ports;
static evtchn_port_t wait_ports[MAX_WAIT_PORTS];

void device_ports(const struct port_range *r)
{
	for (unsigned i = 0; i < nport_ranges; i++)
		if (port_ranges[i] == r)
			return;   /* initialised again (a reset) */
	if (nport_ranges == MAX_PORT_RANGES)
		panic("devices: more than %u port ranges", MAX_PORT_RANGES);
	port_ranges[nport_ranges++] = r;
}

void device_mmio(struct mmio_range *r)
{
	for (unsigned i = 0; i < nmmio_ranges; i++)
		if (mmio_ranges[i] == r)
			return;
	if (nmmio_ranges == MAX_MMIO_RANGES)
		panic("devices: more than %u MMIO ranges", MAX_MMIO_RANGES);
	mmio_ranges[nmmio_ranges++] = r;
}

const struct mmio_range *device_mmio_find(u64 gpa)
{
	for (unsigned i = 0; i < nmmio_ranges; i++) {
		const struct mmio_range *r = mmio_ranges[i];
		if (r->size && gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}

static const struct port_range *port_range_find(u16 port)
{
	for (unsigned i = 0; i < nport_ranges; i++)
		if (port >= port_ranges[i]->first && port <= port_ranges[i]->last)
			return port_ranges[i];
	return NULL;
}

void device_wait_port(evtchn_port_t port)
{
	for (unsigned i = 0; i < nwait_ports; i++)
		if (wait_ports[i] == port)
			return;
	if (nwait_ports == MAX_WAIT_PORTS)
		panic("devices: more than %u event channels to wait on", MAX_WAIT_PORTS);
	wait_ports[nwait_ports++] = port;
}

unsigned devices_wait_ports(evtchn_port_t *ports, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < nwait_ports && k < n; i++)
		ports[k++] = wait_ports[i];
	return k;
}

void devices_event(evtchn_port_t port)
{
	for (unsigned i = 0; i < board_model_count; i++)
		if (board_models[i]->event)
			board_models[i]->event(port);
}

void devices_poll(void)
{
	for (unsigned i = 0; i < board_model_count; i++)
		if (board_models[i]->poll)
			board_models[i]->poll();
}

void devices_counters_print(void)
{
	printk("wedge: counters: PIT periodic ticks raised %lu, PIT ticks replayed from the backlog %lu, "
	       "PIT ticks merged with IF clear %lu\n", pit_raised, pit_replayed, pit_merged);
	for (unsigned i = 0; i < board_model_count; i++)
		if (board_models[i]->counters)
			board_models[i]->counters();
}

/* ---------------------------------------------------------------- ports */
void devices_init(void)
{
	pics[0].imr = pics[1].imr = 0xff;
	pics[0].vector_base = 0x08;
	pics[1].vector_base = 0x70;
	cmos_init();
	for (unsigned i = 0; i < board_model_count; i++)
		if (board_models[i]->init)
			board_models[i]->init();
}

/* Absent devices: COM2-COM4 and the i8042 keyboard controller.  The ISA
 * bus floats high there (how 8250 and i8042 probing see "nothing here"),
 * writes go nowhere. */
static bool absent_uart(u16 port)
{
	return (port >= 0x2f8 && port <= 0x2ff) || (port >= 0x3e8 && port <= 0x3ef) ||
	       (port >= 0x2e8 && port <= 0x2ef) || port == 0x60 || port == 0x64;
}

static u8 io_in_byte(u16 port)
{
	if (absent_uart(port))
		return 0xff;
	if (port >= 0x3f8 && port <= 0x3ff)
		return uart_read(port - 0x3f8);
	if (port == 0x20 || port == 0x21)
		return pic_read(0, port & 1);
	if (port == 0xa0 || port == 0xa1)
		return pic_read(1, port & 1);
	if (port >= 0x40 && port <= 0x42)
		return pit_read(port);
	if (port == 0x43)
		return 0xff;   /* the 8254's control word is write-only */
	if (port == 0x70 || port == 0x71)
		return cmos_read(port);
	if (port == 0x4d0 || port == 0x4d1)
		return 0;   /* ELCR: every IRQ edge triggered */
	if (port == 0x61) {
		/* bits 0-3 as written, bit 4: refresh toggle, bit 5: channel 2's OUT */
		port61 ^= 0x10;
		return (u8)((port61 & 0x1f) | (pit_out(&pit[2]) ? 0x20 : 0));
	}
	/* nothing decodes the address: the ISA bus floats high */
	not_modelled("in from port %x, where no device is: reads all ones", port);
	return 0xff;
}

/*
 * The guest-context fast path (emulate.c, wedge_fast_emulate): a byte `in`
 * from the PIT's counters or port 0x61 needs no Xen entry (the time is
 * Xen's, read from the shared page).  Linux calibrates the TSC by polling
 * them in tight loops that give up when one poll takes too long
 * (quick_pit_calibrate: several polls per 256 PIT clocks;
 * pit_calibrate_tsc: 1000 polls in 10 ms); a trip through Xen per poll
 * is too slow for both under QEMU.  Nothing here logs or calls Xen.
 */
bool io_in_fast(u16 port, unsigned size, u32 *v)
{
	if (size != 1 || !((port >= 0x40 && port <= 0x42) || port == 0x61))
		return false;
	*v = io_in_byte(port);
	return true;
}

/* A word or dword access to byte-wide ISA devices: the bus splits it into
 * byte cycles at port, port+1, ... (the PCI configuration ports are 32
 * bits wide and answer whole). */
u32 io_in(u16 port, unsigned size)
{
	const struct port_range *r = port_range_find(port);
	if (r)
		return r->in(port, size);
	u32 v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (u32)io_in_byte((u16)(port + i)) << (8 * i);
	return v;
}

static void io_out_byte(u16 port, u8 v)
{
	if (port == 0x64 && v == 0xfe) {
		/* the keyboard controller's reset pulse (Linux's reboot): the
		 * domain ends, with the counters */
		printk("\nwedge: the guest resets the machine (keyboard controller): shutting down\n");
		counters_print();
		wedge_shutdown(SHUTDOWN_poweroff);
	}
	if (absent_uart(port))
		return;
	if (port >= 0x3f8 && port <= 0x3ff)
		return uart_write(port - 0x3f8, v);
	if (port == 0x20 || port == 0x21)
		return pic_write(0, port & 1, v);
	if (port == 0xa0 || port == 0xa1)
		return pic_write(1, port & 1, v);
	if (port >= 0x40 && port <= 0x43)
		return pit_write(port, v);
	if (port == 0x61) {
		port61 = (u8)((port61 & 0x10) | (v & 0x0f));
		pit_gate2(v & 0x01);
		return;
	}
	if (port == 0x70 || port == 0x71)
		return cmos_write(port, v);
	if (port == 0x4d0 || port == 0x4d1) {
		if (v)
			not_modelled("level-triggered IRQs in the ELCR (%x): they stay edge triggered", v);
		return;
	}
	if (port == 0x80)
		return;
	if (port == 0xf5) {     /* counters on request */
		counters_print();
		return;
	}
	if (port == 0xf4) {
		printk("\nwedge: guest wrote %x to the debug-exit port: shutting down\n", v);
		counters_print();
		wedge_shutdown(SHUTDOWN_poweroff);
	}
	not_modelled("out %x to port %x, where no device is: goes nowhere", v, port);
}

void io_out(u16 port, unsigned size, u32 value)
{
	const struct port_range *r = port_range_find(port);
	if (r)
		return r->out(port, size, value);
	for (unsigned i = 0; i < size; i++)
		io_out_byte((u16)(port + i), (u8)(value >> (8 * i)));
}
