/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmocka tests of the wedge's device models (devices.c built for the host),
 * with a fake clock, a fake Xen timer and a fake console.  The end-to-end
 * behaviour is in tests/wedge/conformance.test; these pin down the corners
 * the conformance guest does not reach (cascade, coalescing, latches,
 * RX interrupts, loopback, what a model lacks: never a panic).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "wedge-xen/devices.h"
#include "wedge-xen/apic.h"

/* ---- the wedge around the models, faked ---- */
static u64 now_ns, deadline_ns;
u8 g_vif_mask;                          /* the guest's IF: set (0) unless a test clears it */
static char out[256];
static size_t out_len;
static const char *input = "";

u64 xen_time_ns(void) { return now_ns; }
void timer_set_deadline(u64 ns) { deadline_ns = ns; }
void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n && out_len < sizeof(out) - 1; i++)
		out[out_len++] = s[i];
}
int console_read_byte(void) { return *input ? (u8)*input++ : -1; }
void printk(const char *fmt, ...) { (void)fmt; }
void counters_print(void) {}
void wedge_shutdown(unsigned reason) { (void)reason; mock_assert(0, "shutdown", __FILE__, __LINE__); __builtin_unreachable(); }
void wedge_panic(const char *file, int line, const char *fmt, ...)
{
	(void)fmt;
	mock_assert(0, "panic", file, line);
	__builtin_unreachable();
}

/* guest RAM for the DP83820's DMA */
static u8 ram[1 << 20] __attribute__((aligned(4096)));
u64 guest_mem_bytes = sizeof(ram);
void *gpa_ptr(u64 gpa, u64 n)
{
	if (gpa + n > guest_mem_bytes || gpa + n < gpa)
		mock_assert(0, "gpa_ptr outside RAM", __FILE__, __LINE__);
	return ram + gpa;
}

extern const struct device_model dp83820_model, apic_model, ioapic_model;
const struct device_model *const board_models[] = { &pci_host_model, &dp83820_model, &apic_model, &ioapic_model };
const unsigned board_model_count = 4;

static int setup(void **state)
{
	(void)state;
	now_ns = 1000000000ull;
	deadline_ns = 0;
	out_len = 0;
	input = "";
	devices_init();
	/* the conformance guest's initialisation: bases 0x20/0x28, all masked */
	io_out(0x20, 1, 0x11); io_out(0xa0, 1, 0x11);
	io_out(0x21, 1, 0x20); io_out(0xa1, 1, 0x28);
	io_out(0x21, 1, 0x04); io_out(0xa1, 1, 0x02);
	io_out(0x21, 1, 0x01); io_out(0xa1, 1, 0x01);
	io_out(0x21, 1, 0xff); io_out(0xa1, 1, 0xff);
	/* drain what earlier tests left in service */
	for (int i = 0; i < 8; i++) {
		io_out(0x20, 1, 0x20);
		io_out(0xa0, 1, 0x20);
	}
	io_out(0x43, 1, 0x30);   /* channel 0 stopped (mode 0, no count yet) */
	io_out(0x3f8 + 1, 1, 0);
	io_out(0x3f8 + 4, 1, 0);
	while (pic_pending_vector() >= 0)
		pic_ack(pic_pending_vector());
	for (int i = 0; i < 8; i++)
		io_out(0x20, 1, 0x20);
	return 0;
}

static void test_pic_priority_and_eoi(void **state)
{
	(void)state;
	io_out(0x21, 1, 0xfb & 0xee);   /* IRQ0, IRQ4 and the cascade unmasked */
	assert_int_equal(pic_pending_vector(), -1);
	pic_raise(4);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), 0x20);   /* IRQ0 first */
	pic_ack(0x20);
	assert_int_equal(pic_pending_vector(), -1);     /* IRQ4 waits behind IRQ0 in service */
	io_out(0x20, 1, 0x0b);
	assert_int_equal(io_in(0x20, 1), 0x01);         /* ISR */
	io_out(0x20, 1, 0x20);                          /* non-specific EOI */
	assert_int_equal(pic_pending_vector(), 0x24);
	pic_ack(0x24);
	io_out(0x20, 1, 0x64);                          /* specific EOI for IRQ4 */
	io_out(0x20, 1, 0x0b);
	assert_int_equal(io_in(0x20, 1), 0x00);
	/* a masked request stays in IRR */
	io_out(0x21, 1, 0xff);
	pic_raise(0);
	io_out(0x20, 1, 0x0a);
	assert_int_equal(io_in(0x20, 1) & 1, 1);
	assert_int_equal(pic_pending_vector(), -1);
}

static void test_pic_cascade(void **state)
{
	(void)state;
	io_out(0x21, 1, 0xfb);          /* only the cascade on the master */
	io_out(0xa1, 1, 0xfe);          /* IRQ8 on the slave */
	pic_raise(8);
	assert_int_equal(pic_pending_vector(), 0x28);
	pic_ack(0x28);
	assert_int_equal(pic_pending_vector(), -1);
	io_out(0xa0, 1, 0x20);
	io_out(0x20, 1, 0x20);
	pic_raise(9);                   /* masked on the slave */
	assert_int_equal(pic_pending_vector(), -1);
}

static void test_pit_periodic_catches_up(void **state)
{
	(void)state;
	io_out(0x21, 1, 0xfe);
	io_out(0x43, 1, 0x34);          /* channel 0, lo/hi, mode 2 */
	io_out(0x40, 1, 11932 & 0xff);
	io_out(0x40, 1, 11932 >> 8);    /* 100 Hz: 10000210 ns */
	u64 period = 11932ull * 1000000000ull / 1193182ull;
	assert_int_equal(deadline_ns, now_ns + period);
	now_ns += period - 1;
	pit_sync();
	assert_int_equal(pic_pending_vector(), -1);
	now_ns += 1;
	pit_sync();
	assert_int_equal(pic_pending_vector(), 0x20);
	u64 start = now_ns - period;
	assert_int_equal(deadline_ns, start + 2 * period);
	/* four periods ended (at 2, 3, 4 and 5 periods): one edge now, the
	 * deadline moves past now, the other three each when the CPU took the
	 * one before (catch-up) */
	pic_ack(0x20);
	io_out(0x20, 1, 0x20);
	now_ns = start + 5 * period + 5;
	pit_sync();
	assert_int_equal(deadline_ns, start + 6 * period);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pic_pending_vector(), 0x20);
		pic_ack(0x20);
		assert_int_equal(pic_pending_vector(), -1);   /* behind the one in service */
		io_out(0x20, 1, 0x20);
	}
	assert_int_equal(pic_pending_vector(), -1);
	/* periods that end while the guest has IF clear merge into one
	 * request, as on hardware: no backlog */
	g_vif_mask = 1;
	now_ns += 3 * period;
	pit_sync();
	g_vif_mask = 0;
	assert_int_equal(pic_pending_vector(), 0x20);
	pic_ack(0x20);
	io_out(0x20, 1, 0x20);
	assert_int_equal(pic_pending_vector(), -1);
}

static void test_pit_latch(void **state)
{
	(void)state;
	io_out(0x43, 1, 0x34);
	io_out(0x40, 1, 0x00);
	io_out(0x40, 1, 0x10);          /* count 4096 */
	now_ns += 2048ull * 1000000000ull / 1193182ull + 1000;   /* about half way */
	io_out(0x43, 1, 0x00);          /* latch channel 0 */
	now_ns += 1000000;              /* later reads still see the latch */
	unsigned lo = io_in(0x40, 1), hi = io_in(0x40, 1);
	unsigned v = lo | hi << 8;
	assert_in_range(v, 2040, 2049);
}

/* Channel 2 as Linux's pit_calibrate_tsc uses it: GATE (port 0x61 bit 0)
 * high, mode 0, OUT (bit 5) low until the count runs out; GATE low holds
 * the count. */
static void test_pit_channel2_gate(void **state)
{
	(void)state;
	io_out(0x61, 1, 0x00);          /* GATE low */
	io_out(0x43, 1, 0xb0);          /* channel 2, lo/hi, mode 0 */
	io_out(0x42, 1, 0x00);
	io_out(0x42, 1, 0x10);          /* count 4096 */
	assert_int_equal(io_in(0x61, 1) & 0x21, 0x00);
	now_ns += 10000000;             /* 10 ms with GATE low: no counting */
	io_out(0x43, 1, 0x80);          /* latch channel 2 */
	unsigned lo = io_in(0x42, 1), hi = io_in(0x42, 1);
	assert_int_equal(lo | hi << 8, 4096);
	io_out(0x61, 1, 0x01);          /* GATE high: counting */
	assert_int_equal(io_in(0x61, 1) & 0x21, 0x01);
	now_ns += 2048ull * 1000000000ull / 1193182ull + 1000;
	io_out(0x61, 1, 0x00);          /* held half way */
	now_ns += 10000000;
	io_out(0x43, 1, 0x80);
	lo = io_in(0x42, 1);
	hi = io_in(0x42, 1);
	assert_in_range(lo | hi << 8, 2040, 2049);
	assert_int_equal(io_in(0x61, 1) & 0x20, 0x00);
	io_out(0x61, 1, 0x01);
	now_ns += 2048ull * 1000000000ull / 1193182ull + 1000;
	assert_int_equal(io_in(0x61, 1) & 0x20, 0x20);   /* terminal count: OUT high */
	u32 v;
	assert_true(io_in_fast(0x61, 1, &v));
	assert_int_equal(v & 0x21, 0x21);
	assert_false(io_in_fast(0x60, 1, &v));
	assert_false(io_in_fast(0x42, 2, &v));
	/* a new mode write drops OUT until the next count runs out */
	io_out(0x43, 1, 0xb0);
	assert_int_equal(io_in(0x61, 1) & 0x20, 0x00);
}

/* ---- the MP table (mptable.c) ---- */
u64 guest_cpuid_filter(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	(void)leaf, (void)sub;
	*a = 0x663; *b = 0; *c = 0; *d = 0x200;   /* a signature, the APIC bit */
	return 0;
}

static u8 sum(const u8 *p, unsigned n)
{
	u8 s = 0;
	for (unsigned i = 0; i < n; i++)
		s = (u8)(s + p[i]);
	return s;
}

/* What Linux's mpparse checks, and the wiring the models implement. */
static void test_mptable(void **state)
{
	(void)state;
	mptable_write();
	const u8 *f = ram + 0xf0000;
	assert_memory_equal(f, "_MP_", 4);
	assert_int_equal(sum(f, 16), 0);
	assert_int_equal(f[8], 1);
	assert_int_equal(f[9], 4);
	assert_int_equal(f[11], 0);                     /* no default configuration */
	u32 phys = f[4] | f[5] << 8 | f[6] << 16 | (u32)f[7] << 24;
	const u8 *t = ram + phys;
	assert_memory_equal(t, "PCMP", 4);
	unsigned len = t[4] | t[5] << 8, entries = t[34] | t[35] << 8;
	assert_int_equal(sum(t, len), 0);
	assert_int_equal(t[36] | t[37] << 8 | t[38] << 16 | (u32)t[39] << 24, (u32)APIC_DEFAULT_GPA);
	unsigned off = 44, cpus = 0, ioapics = 0, pit_pin = 99, nic_pin = 99, lint0 = 99;
	for (unsigned i = 0; i < entries; i++) {
		const u8 *e = t + off;
		switch (e[0]) {
		case 0:
			cpus++;
			assert_int_equal(e[1], 0);              /* APIC ID 0 */
			assert_int_equal(e[3], 3);              /* enabled BSP */
			off += 20;
			continue;
		case 2:
			ioapics++;
			assert_int_equal(e[1], IOAPIC_ID);
			assert_int_equal(e[4] | e[5] << 8 | e[6] << 16 | (u32)e[7] << 24, (u32)IOAPIC_DEFAULT_GPA);
			break;
		case 3:
			if (e[4] == 1 && e[5] == 0)             /* ISA IRQ 0 */
				pit_pin = e[7];
			if (e[4] == 0 && e[5] == ((3 << 2) | 0))  /* PCI 00:03.0 INTA# */
				nic_pin = e[7];
			break;
		case 4:
			if (e[1] == 3)
				lint0 = e[7];
			break;
		}
		off += 8;
	}
	assert_int_equal(off, len);
	assert_int_equal(cpus, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(pit_pin, 2);
	assert_int_equal(nic_pin, 11);
	assert_int_equal(lint0, 0);
}

/* ---- local APIC and I/O APIC (apic.c, ioapic.c) ---- */
static u32 lapic_r(unsigned reg)
{
	const struct mmio_range *r = device_mmio_find(APIC_DEFAULT_GPA + reg);
	assert_non_null(r);
	return (u32)r->read(reg, 4);
}
static void lapic_w(unsigned reg, u32 v) { device_mmio_find(APIC_DEFAULT_GPA)->write(reg, 4, v); }
static void ioapic_w(unsigned index, u32 v)
{
	const struct mmio_range *r = device_mmio_find(IOAPIC_DEFAULT_GPA);
	assert_non_null(r);
	r->write(0, 4, index);
	r->write(0x10, 4, v);
}
static u32 ioapic_r(unsigned index)
{
	const struct mmio_range *r = device_mmio_find(IOAPIC_DEFAULT_GPA);
	r->write(0, 4, index);
	return (u32)r->read(0x10, 4);
}

static void test_apic_disabled_keeps_the_pic(void **state)
{
	(void)state;
	assert_int_equal(lapic_r(0x30), 0x50014);
	assert_int_equal(lapic_r(0xf0), 0xff);          /* software-disabled after reset */
	assert_int_equal(lapic_r(0x320), 0x10000);      /* LVTs masked */
	io_out(0x21, 1, 0xfe);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), 0x20);  /* the 8259, as without an APIC */
	pic_ack(0x20);
	io_out(0x20, 1, 0x20);
	/* enabled, LINT0 masked: the 8259 no longer reaches the CPU */
	lapic_w(0xf0, 0x1ff);
	io_out(0x21, 1, 0xfe);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), -1);
	lapic_w(0x350, 0x700);                          /* LINT0 ExtINT, unmasked: virtual wire */
	assert_int_equal(pic_pending_vector(), 0x20);
	pic_ack(0x20);
	io_out(0x20, 1, 0x20);
	lapic_w(0x350, 0x10700);
	lapic_w(0xf0, 0xff);
	assert_int_equal(lapic_r(0x350) & 0x10000, 0x10000);
}

static void test_apic_timer_oneshot_periodic(void **state)
{
	(void)state;
	lapic_w(0xf0, 0x1ff);
	lapic_w(0x3e0, 0xb);                            /* divide by 1: 1 count a ns */
	lapic_w(0x320, 0xec);                           /* one-shot, vector 0xec */
	lapic_w(0x380, 1000000);
	assert_int_equal(deadline_ns, now_ns + 1000000);
	now_ns += 400000;
	assert_int_equal(lapic_r(0x390), 600000);
	pit_sync();
	assert_int_equal(pic_pending_vector(), -1);
	now_ns += 600000;
	pit_sync();
	assert_int_equal(pic_pending_vector(), 0xec);
	assert_int_equal(lapic_r(0x390), 0);
	pic_ack(0xec);
	assert_int_equal(lapic_r(0x170) & (1u << 12), 1u << 12);   /* ISR bit 0xec */
	assert_int_equal(lapic_r(0xa0), 0xe0);          /* PPR: the class in service */
	lapic_w(0xb0, 0);
	assert_int_equal(lapic_r(0x170), 0);
	/* periodic, divide by 16: missed periods are not lost, each is raised
	 * when the CPU took the one before */
	lapic_w(0x3e0, 0x3);
	lapic_w(0x320, 0x200ec);
	lapic_w(0x380, 1000);                           /* 16 us */
	u64 start = now_ns;
	assert_int_equal(deadline_ns, start + 16000);
	now_ns += 16000 * 3 + 5;
	pit_sync();
	assert_int_equal(pic_pending_vector(), 0xec);
	assert_int_equal(deadline_ns, start + 16000 * 4);
	/* TPR above the vector's class holds it back */
	lapic_w(0x80, 0xf0);
	assert_int_equal(pic_pending_vector(), -1);
	lapic_w(0x80, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pic_pending_vector(), 0xec);
		pic_ack(0xec);
		assert_int_equal(pic_pending_vector(), -1);   /* behind the one in service */
		lapic_w(0xb0, 0);
	}
	assert_int_equal(pic_pending_vector(), -1);
	/* a new divider under a running count: the count goes on from where
	 * it is, at the new rate */
	lapic_w(0x3e0, 0xb);                            /* divide by 1 */
	lapic_w(0x380, 1000000);
	now_ns += 400000;
	lapic_w(0x3e0, 0x0);                            /* divide by 2 */
	assert_int_equal(lapic_r(0x390), 600000);
	assert_int_equal(deadline_ns, now_ns + 1200000);
	lapic_w(0x380, 0);                              /* stopped */
	assert_int_equal(lapic_r(0x390), 0);
	/* a self IPI */
	lapic_w(0x300, 0x40051);                        /* self, fixed, vector 0x51 */
	assert_int_equal(pic_pending_vector(), 0x51);
	pic_ack(0x51);
	lapic_w(0xb0, 0);
	/* an illegal vector sets ESR bit 6, seen after the ESR write */
	lapic_w(0x300, 0x40005);
	lapic_w(0x280, 0);
	assert_int_equal(lapic_r(0x280), 0x40);
	lapic_w(0x280, 0);
	lapic_w(0xf0, 0xff);
}

static void test_ioapic_edge_and_level(void **state)
{
	(void)state;
	assert_int_equal(ioapic_r(1), 0x170011);
	assert_int_equal(ioapic_r(0), IOAPIC_ID << 24);
	lapic_w(0xf0, 0x1ff);
	/* the PIT (ISA IRQ 0) on pin 2, edge, vector 0x30, physical APIC 0 */
	pic_raise(0);                                   /* masked pin: lost */
	assert_int_equal(pic_pending_vector(), -1);
	ioapic_w(0x10 + 2 * 2, 0x30);
	ioapic_w(0x11 + 2 * 2, 0);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), 0x30);
	pic_ack(0x30);
	lapic_w(0xb0, 0);
	/* the NIC on pin 11, level: a second edge waits for the EOI */
	ioapic_w(0x10 + 2 * 11, 0xa041);                /* level, active low, vector 0x41 */
	pic_raise(11);
	assert_int_equal(pic_pending_vector(), 0x41);
	assert_int_equal(ioapic_r(0x10 + 2 * 11) & (1u << 14), 1u << 14);   /* remote IRR */
	pic_ack(0x41);
	pic_raise(11);
	assert_int_equal(pic_pending_vector(), -1);
	lapic_w(0xb0, 0);                               /* EOI broadcast: delivered again */
	assert_int_equal(pic_pending_vector(), 0x41);
	pic_ack(0x41);
	lapic_w(0xb0, 0);
	assert_int_equal(ioapic_r(0x10 + 2 * 11) & (1u << 14), 0);
	/* a destination that is no CPU here: nothing */
	ioapic_w(0x11 + 2 * 2, 0x05000000);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), -1);
	ioapic_w(0x10 + 2 * 2, 0x10000);
	ioapic_w(0x10 + 2 * 11, 0x10000);
	lapic_w(0xf0, 0xff);
	/* the 8259 got the same edges: drain them */
	for (int i = 0; i < 16; i++) {
		io_out(0x20, 1, 0x20);
		io_out(0xa0, 1, 0x20);
	}
}

static void test_uart_output_and_interrupts(void **state)
{
	(void)state;
	io_out(0x21, 1, 0xef);          /* IRQ4 */
	io_out(0x3f8, 1, 'h');
	io_out(0x3f8, 1, 'i');
	assert_int_equal(out_len, 2);
	assert_memory_equal(out, "hi", 2);
	io_out(0x3f8 + 1, 1, 0x02);     /* ETBEI, but OUT2 off: no IRQ */
	assert_int_equal(pic_pending_vector(), -1);
	assert_int_equal(io_in(0x3f8 + 2, 1) & 0x0f, 0x02);   /* IIR still says THRE */
	io_out(0x3f8 + 1, 1, 0x00);
	io_out(0x3f8 + 4, 1, 0x08);     /* OUT2 */
	io_out(0x3f8 + 1, 1, 0x02);
	assert_int_equal(pic_pending_vector(), 0x24);
	pic_ack(0x24);
	assert_int_equal(io_in(0x3f8 + 2, 1) & 0x0f, 0x02);   /* acknowledges */
	assert_int_equal(io_in(0x3f8 + 2, 1) & 0x0f, 0x01);
	io_out(0x20, 1, 0x20);
	io_out(0x3f8, 1, '!');          /* each byte sent: a new THRE edge */
	assert_int_equal(pic_pending_vector(), 0x24);
	pic_ack(0x24);
	io_out(0x20, 1, 0x20);
	io_in(0x3f8 + 2, 1);
	/* input: DR in LSR, RX interrupt with priority over THRE */
	io_out(0x3f8 + 1, 1, 0x01);
	input = "ok";
	uart_poll_rx();
	assert_int_equal(io_in(0x3f8 + 5, 1) & 0x01, 1);
	assert_int_equal(pic_pending_vector(), 0x24);
	assert_int_equal(io_in(0x3f8 + 2, 1) & 0x0f, 0x04);
	assert_int_equal(io_in(0x3f8, 1), 'o');
	assert_int_equal(io_in(0x3f8, 1), 'k');
	assert_int_equal(io_in(0x3f8 + 5, 1) & 0x01, 0);
	/* divisor latch */
	io_out(0x3f8 + 3, 1, 0x83);
	io_out(0x3f8, 1, 0x0c);
	assert_int_equal(io_in(0x3f8, 1), 0x0c);
	io_out(0x3f8 + 3, 1, 0x03);
	assert_int_equal(out_len, 3);
}

static void test_cmos_and_pci_ports(void **state)
{
	(void)state;
	io_out(0x70, 1, 0x80 | 0x0a);   /* NMI masked, register A */
	assert_int_equal(io_in(0x71, 1) & 0x80, 0);   /* no update in progress */
	io_out(0x70, 1, 0x09);
	assert_int_equal(io_in(0x71, 1), 0x26);       /* year, BCD */
	io_out(0x70, 1, 0x0b);
	assert_int_equal(io_in(0x71, 1) & 0x04, 0);   /* BCD mode */
	io_out(0x70, 1, 0x40);
	io_out(0x71, 1, 0x5a);                        /* CMOS RAM */
	assert_int_equal(io_in(0x71, 1), 0x5a);
	/* setting the clock: stored, read back (the clock does not advance) */
	io_out(0x70, 1, 0x00);
	io_out(0x71, 1, 0x11);
	io_out(0x70, 1, 0x09);
	io_out(0x71, 1, 0x27);
	io_out(0x70, 1, 0x00);
	assert_int_equal(io_in(0x71, 1), 0x11);
	io_out(0x70, 1, 0x09);
	assert_int_equal(io_in(0x71, 1), 0x27);
	io_out(0x70, 1, 0x0b);
	io_out(0x71, 1, 0x12);                        /* update-ended interrupt enable: kept */
	assert_int_equal(io_in(0x71, 1), 0x12);
	io_out(0x71, 1, 0x02);
	io_out(0xcf8, 4, 0x80000000);
	assert_int_equal(io_in(0xcf8, 4), 0x80000000);
	assert_int_equal(io_in(0xcfc, 4), 0x12378086u);   /* the host bridge at 00:00.0 */
	io_out(0xcf8, 4, 0x80000800);
	assert_int_equal(io_in(0xcfc, 4), 0xffffffffu);   /* nothing at 00:01.0 */
	assert_int_equal(io_in(0xcfe, 2), 0xffff);
	io_out(0xcfb, 1, 0x01);                       /* Linux's mechanism-#2 poke */
	io_out(0xcf8, 1, 0x00);
	assert_int_equal(io_in(0xcf8, 1), 0xff);       /* so no mechanism #2 either */
	assert_int_equal(io_in(0x4d0, 1), 0);
	assert_int_equal(io_in(0x2f8 + 5, 1), 0xff);   /* no COM2 */
	io_out(0x2f8 + 4, 1, 0x10);
	io_out(0x4d1, 1, 0x08);                       /* level triggering: ignored */
	assert_int_equal(io_in(0x4d1, 1), 0);
}

/* What a model lacks answers as a part without it, never a panic. */
static void test_unmodelled_features_answer(void **state)
{
	(void)state;
	io_out(0x43, 1, 0x35);                          /* BCD counting: binary */
	io_out(0x43, 1, 0x38);                          /* mode 4: one shot */
	io_out(0x43, 1, 0xc2);                          /* read-back: ignored */
	io_out(0x3f8 + 7, 1, 0x34);
	io_out(0x3f8 + 4, 1, 0x03);
	assert_int_equal(io_in(0x3f8 + 6, 2), 0x34b0);   /* MSR, SCR: byte cycles */
	assert_int_equal(io_in(0x1234, 1), 0xff);       /* no device: floats high */
	assert_int_equal(io_in(0x1234, 4), 0xffffffffu);
	io_out(0x1234, 2, 0x5678);                      /* goes nowhere */
	/* auto-EOI: acknowledging sets no in-service bit */
	io_out(0x20, 1, 0x11);
	io_out(0x21, 1, 0x20);
	io_out(0x21, 1, 0x04);
	io_out(0x21, 1, 0x03);
	io_out(0x21, 1, 0xfe);
	pic_raise(0);
	assert_int_equal(pic_pending_vector(), 0x20);
	pic_ack(0x20);
	io_out(0x20, 1, 0x0b);
	assert_int_equal(io_in(0x20, 1), 0);           /* ISR empty */
	/* poll command: the request as a poll byte, acknowledged */
	io_out(0x20, 1, 0x11);
	io_out(0x21, 1, 0x20);
	io_out(0x21, 1, 0x04);
	io_out(0x21, 1, 0x01);
	io_out(0x21, 1, 0xfe);
	pic_raise(0);
	io_out(0x20, 1, 0x0c);
	assert_int_equal(io_in(0x20, 1), 0x80);
	io_out(0x20, 1, 0x0b);
	assert_int_equal(io_in(0x20, 1), 0x01);        /* IRQ0 in service */
	io_out(0x20, 1, 0x20);
}

/* 16550 loopback (datasheet): THR comes back on RBR, nothing reaches the
 * console, the modem outputs drive the modem status, with deltas. */
static void test_uart_loopback(void **state)
{
	(void)state;
	io_out(0x3f8 + 3, 1, 0x03);
	io_out(0x3f8 + 2, 1, 0x07);                   /* FIFO on */
	io_out(0x3f8 + 4, 1, 0x10);                   /* LOOP, all outputs off */
	(void)io_in(0x3f8 + 6, 1);                    /* clear the deltas of entering it */
	input = "x";                                  /* console input waits */
	io_out(0x3f8, 1, 'A');
	io_out(0x3f8, 1, 'B');
	assert_int_equal(out_len, 0);
	assert_int_equal(io_in(0x3f8 + 5, 1) & 0x01, 0x01);
	assert_int_equal(io_in(0x3f8, 1), 'A');
	assert_int_equal(io_in(0x3f8, 1), 'B');
	assert_int_equal(io_in(0x3f8 + 5, 1) & 0x01, 0);
	io_out(0x3f8 + 4, 1, 0x1a);                   /* LOOP | OUT2 | RTS */
	assert_int_equal(io_in(0x3f8 + 6, 1), 0x90 | 0x09);   /* DCD, CTS; DDCD, DCTS */
	assert_int_equal(io_in(0x3f8 + 6, 1), 0x90);
	io_out(0x3f8 + 4, 1, 0x15);                   /* LOOP | OUT1 | DTR */
	assert_int_equal(io_in(0x3f8 + 6, 1) & 0xf0, 0x60);   /* RI, DSR */
	io_out(0x3f8 + 4, 1, 0x11);                   /* OUT1 off: RI's trailing edge */
	assert_int_equal(io_in(0x3f8 + 6, 1) & 0x04, 0x04);
	io_out(0x3f8 + 2, 1, 0x00);                   /* no FIFO: one byte holds */
	io_out(0x3f8, 1, '1');
	io_out(0x3f8, 1, '2');
	assert_int_equal(io_in(0x3f8 + 5, 1) & 0x03, 0x03);   /* DR, OE */
	assert_int_equal(io_in(0x3f8, 1), '1');
	io_out(0x3f8 + 4, 1, 0x0b);                   /* loopback off */
	assert_int_equal(io_in(0x3f8 + 6, 1) & 0xf0, 0xb0);
	assert_int_equal(io_in(0x3f8, 1), 'x');       /* the console again */
	io_out(0x3f8, 1, 'C');
	assert_int_equal(out_len, 1);
}

/* ---- PCI and the DP83820 ---- */
static u32 cfg_read(unsigned dev, unsigned off)
{
	io_out(0xcf8, 4, 0x80000000u | dev << 11 | off);
	return io_in(0xcfc, 4);
}

static void cfg_write(unsigned dev, unsigned off, u32 v)
{
	io_out(0xcf8, 4, 0x80000000u | dev << 11 | off);
	io_out(0xcfc, 4, v);
}

static void test_pci_functions(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, 0x08) >> 8, 0x060000);      /* host bridge class */
	assert_int_equal(cfg_read(3, 0x00), 0x0022100b);         /* DP83820 */
	assert_int_equal(cfg_read(3, 0x08) >> 8, 0x020000);      /* Ethernet */
	assert_int_equal(cfg_read(3, 0x3c) & 0xffff, 0x010b);     /* INTA#, line 11 */
	/* another bus, or the enable bit clear: a master abort */
	io_out(0xcf8, 4, 0x80010000u);
	assert_int_equal(io_in(0xcfc, 4), 0xffffffffu);
	io_out(0xcf8, 4, 0x00000000u);
	assert_int_equal(io_in(0xcfc, 4), 0xffffffffu);
	/* BAR sizing: BAR1 is 4 KiB of 32-bit memory, BAR0 256 bytes of I/O */
	u32 old = cfg_read(3, 0x14);
	cfg_write(3, 0x14, 0xffffffffu);
	assert_int_equal(cfg_read(3, 0x14), 0xfffff000u);
	cfg_write(3, 0x10, 0xffffffffu);
	assert_int_equal(cfg_read(3, 0x10), 0xffffff01u);
	cfg_write(3, 0x14, 0xf0001000u);
	assert_null(device_mmio_find(0xf0001010));               /* memory decoding off */
	cfg_write(3, 0x04, 0x0006);                              /* memory, bus master */
	assert_non_null(device_mmio_find(0xf0001010));
	assert_null(device_mmio_find(0xf0002000));
	assert_int_equal(cfg_read(3, 0x04) & 0xffff, 0x0006);
	cfg_write(3, 0x00, 0);                                   /* IDs are read-only */
	assert_int_equal(cfg_read(3, 0x00), 0x0022100b);
	cfg_write(3, 0x14, old);
}

#define BAR 0xf0001000u
static const struct mmio_range *nic_bar(void)
{
	cfg_write(3, 0x14, BAR);
	cfg_write(3, 0x04, 0x0006);
	const struct mmio_range *r = device_mmio_find(BAR);
	assert_non_null(r);
	return r;
}
static u32 rd(unsigned reg) { return (u32)nic_bar()->read(reg, 4); }
static void wr(unsigned reg, u32 v) { nic_bar()->write(reg, 4, v); }

/* 64-bit descriptors (CFG.M64ADDR): link, bufptr, cmdsts, extsts */
static void desc(u64 at, u64 link, u64 buf, u32 cmdsts)
{
	u32 *p = (u32 *)(ram + at);
	p[0] = (u32)link; p[1] = (u32)(link >> 32);
	p[2] = (u32)buf; p[3] = (u32)(buf >> 32);
	p[4] = cmdsts; p[5] = 0;
}
static u32 cmdsts(u64 at) { return ((u32 *)(ram + at))[4]; }

static void nic_open(void)
{
	wr(0x00, 0x100);                         /* CR.RST */
	assert_int_equal(rd(0x00) & 0x100, 0);
	wr(0x04, 0x800);                         /* CFG.M64ADDR */
	wr(0x14, 0xffffffffu);                   /* IMR: everything */
	wr(0x18, 1);                             /* IER */
	(void)rd(0x10);                          /* clear ISR */
	/* IRQ 11: the slave's input 3, unmasked, the cascade unmasked */
	io_out(0x21, 1, 0xfb);
	io_out(0xa1, 1, 0xf7);
	/* the reset's ISR bits raised the line before the read above cleared them */
	while (pic_pending_vector() >= 0) {
		pic_ack(pic_pending_vector());
		io_out(0xa0, 1, 0x20);
		io_out(0x20, 1, 0x20);
	}
}

static void test_dp83820_registers(void **state)
{
	(void)state;
	wr(0x00, 0x100);
	assert_int_equal(rd(0x10), 0x00608000u);    /* ISR after reset ... */
	assert_int_equal(rd(0x10), 0);              /* ... read to clear */
	assert_int_equal(rd(0x58), 0x0103);         /* SRR: "DP83820 v1.3" */
	u32 cfg = rd(0x04);
	assert_int_equal(cfg & 0x80000000u, 0);     /* no back end: link down */
	assert_int_equal(cfg & 0x70000000u, 0x20000000u);   /* raw 1000 Mb/s, full duplex */
	wr(0x04, 0xffffffffu);
	assert_int_equal(rd(0x04) & 0x80000000u, 0);        /* status bits read-only */
	wr(0x0c, 0x400);                            /* RAM BIST: done, passed */
	assert_int_equal(rd(0x0c), 0x200);
	wr(0x0c, 0x002);                            /* EEPROM BIST: the enable clears */
	assert_int_equal(rd(0x0c) & 0x002, 0);
	u8 mac[6];
	for (unsigned i = 0; i < 3; i++) {
		wr(0x48, i * 2);
		u32 d = rd(0x4c);
		mac[2 * i] = (u8)d;
		mac[2 * i + 1] = (u8)(d >> 8);
	}
	assert_int_equal(mac[0], 0x00);
	assert_int_equal(mac[1], 0x16);
	assert_int_equal(mac[2], 0x3e);
	wr(0x10, 0xffffffffu);                      /* ISR is read-only */
	assert_int_equal(rd(0x10), 0);
	/* a byte access: not decoded by the chip, all ones, no crash */
	assert_true(nic_bar()->read(0x10, 1) == 0xff || nic_bar()->read(0x10, 1) == ~0ull);
	wr(0x00, 0x080);                            /* SWI */
	assert_int_equal(rd(0x10) & 0x1000, 0x1000);
}

static void test_dp83820_tx_without_link(void **state)
{
	(void)state;
	nic_open();
	/* a ring of 4: a two-descriptor packet with INTR on its last, a
	 * one-descriptor packet, then a descriptor the driver owns */
	desc(0x1000, 0x1020, 0x3000, 0x80000000u | 0x40000000u | 30);
	desc(0x1020, 0x1040, 0x3100, 0x80000000u | 0x20000000u | 30);
	desc(0x1040, 0x1060, 0x3200, 0x80000000u | 60);
	desc(0x1060, 0x1000, 0x3300, 60);
	wr(0x24, 0);
	wr(0x20, 0x1000);
	assert_int_equal(pic_pending_vector(), -1);
	wr(0x00, 0x001);                            /* CR.TXE */
	assert_int_equal(cmdsts(0x1000), 0x08000000u | 0x40000000u | 30);   /* OK, OWN clear, LEN kept */
	assert_int_equal(cmdsts(0x1020), 0x08000000u | 0x20000000u | 30);
	assert_int_equal(cmdsts(0x1040), 0x08000000u | 60);
	assert_int_equal(cmdsts(0x1060), 60);        /* not the device's: untouched */
	assert_int_equal(rd(0x20), 0x1060);          /* TXDP: the next descriptor to fetch */
	assert_int_equal(pic_pending_vector(), 0x28 + 3);   /* IRQ 11 */
	u32 isr = rd(0x10);
	assert_int_equal(isr & 0x2c0, 0x2c0);        /* TXIDLE, TXDESC, TXOK */
	assert_int_equal(isr & 0x100, 0);            /* no TXERR */
}

static void test_dp83820_bad_descriptors(void **state)
{
	(void)state;
	nic_open();
	/* a buffer outside guest RAM, a zero-length packet, then one in order */
	desc(0x1000, 0x1020, 0x7ffff000ull, 0x80000000u | 100);
	desc(0x1020, 0x1040, 0x3000, 0x80000000u | 0);
	desc(0x1040, 0x1060, 0xfffffffffffffff0ull, 0x80000000u | 0x20);   /* wraps */
	desc(0x1060, 0x1080, 0x3000, 0x80000000u | 60);
	desc(0x1080, 0, 0, 0);
	wr(0x20, 0x1000);
	wr(0x00, 0x001);
	assert_int_equal(cmdsts(0x1000) & 0x98000000u, 0x10000000u);   /* ERR */
	assert_int_equal(cmdsts(0x1020) & 0x98000000u, 0x10000000u);
	assert_int_equal(cmdsts(0x1040) & 0x98000000u, 0x10000000u);
	assert_int_equal(cmdsts(0x1060) & 0x98000000u, 0x08000000u);   /* OK: the walk went on */
	assert_int_equal(rd(0x10) & 0x100, 0x100);   /* TXERR */
	/* a self-linked descriptor with MORE: the chain is cut at 18 */
	desc(0x2000, 0x2000, 0x3000, 0x80000000u | 0x40000000u | 10);
	wr(0x20, 0x2000);
	wr(0x00, 0x001);
	assert_int_equal(cmdsts(0x2000) & 0x90000000u, 0x10000000u);
	/* TXDP outside RAM: a master abort, the engine stops */
	wr(0x20, 0xfff00000u);
	wr(0x00, 0x001);
	assert_int_equal(rd(0x10) & 0x40000, 0x40000);   /* RMABT */
	assert_int_equal(rd(0x00) & 1, 0);
	/* TXDP inside the NIC's own BAR: not RAM either */
	wr(0x20, BAR);
	wr(0x00, 0x001);
	assert_int_equal(rd(0x10) & 0x40000, 0x40000);
}

/* a back end in the test: link up, records what it is given */
static unsigned be_npkts, be_nfrags, be_total;
static u32 be_tag;
static bool be_full;
static bool fake_link(void) { return true; }
static bool fake_mac(u8 m[6]) { static const u8 x[6] = { 0, 0x16, 0x3e, 1, 2, 3 }; memcpy(m, x, 6); return true; }
static int fake_tx(const struct nf_frag *f, unsigned n, u32 total, bool csum, u32 tag)
{
	(void)csum;
	if (be_full)
		return 0;
	for (unsigned i = 0; i < n; i++)
		assert_true((f[i].gpa & 0xfff) + f[i].len <= 4096);   /* never across a page */
	be_npkts++;
	be_nfrags += n;
	be_total = total;
	be_tag = tag;
	return 1;
}
static void fake_flush(void) {}
static const struct nic_backend fake_be = { fake_link, fake_mac, fake_tx, fake_flush, NULL };

static void test_dp83820_backend(void **state)
{
	(void)state;
	nic_open();
	dp83820_set_backend(&fake_be);
	assert_int_equal(rd(0x04) & 0x80000000u, 0x80000000u);   /* link up */
	assert_int_equal(rd(0x10) & 0x4000, 0x4000);              /* ISR PHY */
	wr(0x48, 2);
	assert_int_equal(rd(0x4c), 0x013e);      /* mac[2], mac[3] of the back end's MAC */
	/* TX: a packet whose buffer crosses a page: split, completed later */
	be_npkts = be_nfrags = 0;
	desc(0x1000, 0x1020, 0x3f00, 0x80000000u | 0x20000000u | 600);
	desc(0x1020, 0x1000, 0, 0);
	wr(0x20, 0x1000);
	wr(0x00, 0x001);
	assert_int_equal(be_npkts, 1);
	assert_int_equal(be_nfrags, 2);
	assert_int_equal(be_total, 600);
	assert_int_equal(cmdsts(0x1000) & 0x80000000u, 0x80000000u);   /* still the device's */
	assert_int_equal(rd(0x10) & 0x200, 0);                         /* no TXIDLE with one in flight */
	dp83820_tx_done(be_tag, true);
	assert_int_equal(cmdsts(0x1000), 0x08000000u | 0x20000000u | 600);
	assert_int_equal(rd(0x10) & 0x2c0, 0x2c0);
	/* RX: into the descriptor at RXDP, the next one has a NULL link */
	desc(0x5000, 0x5020, 0x6000, 0x20000000u | 1514);
	desc(0x5020, 0, 0x7000, 0x20000000u | 1514);
	wr(0x30, 0x5000);
	wr(0x48, 0x80000000u | 0x10000000u);   /* RFEN, accept all unicast */
	wr(0x00, 0x004);                       /* CR.RXE */
	u8 frame[100];
	memset(frame, 0x5a, sizeof(frame));
	frame[0] = 0x00;
	assert_true(dp83820_rx(frame, sizeof(frame), false));
	assert_int_equal(cmdsts(0x5000), 0x80000000u | 0x08000000u | 0x00800000u | 100);
	assert_memory_equal(ram + 0x6000, frame, sizeof(frame));
	assert_true(dp83820_rx(frame, sizeof(frame), false));   /* the last descriptor */
	assert_int_equal(rd(0x10) & 0x13, 0x13);                  /* RXIDLE, RXDESC, RXOK */
	assert_false(dp83820_rx(frame, sizeof(frame), false));  /* RX idle: the back end keeps it */
	/* the driver appends a descriptor and kicks: RX goes on from the link */
	desc(0x5040, 0, 0x8000, 0x20000000u | 1514);
	((u32 *)(ram + 0x5020))[0] = 0x5040;
	wr(0x00, 0x004);
	assert_true(dp83820_rx(frame, sizeof(frame), false));
	assert_int_equal(cmdsts(0x5040) & 0x0800ffffu, 0x08000000u | 100);
	/* a frame longer than the descriptor's buffer: dropped, RXERR */
	desc(0x5060, 0, 0x9000, 64);
	((u32 *)(ram + 0x5040))[0] = 0x5060;
	wr(0x30, 0x5060);
	wr(0x00, 0x004);
	(void)rd(0x10);
	assert_true(dp83820_rx(frame, sizeof(frame), false));
	assert_int_equal(rd(0x10) & 0x4, 0x4);
	assert_int_equal(cmdsts(0x5060), 64);   /* untouched */
	/* a full back-end ring: the walk waits, TXDP stays */
	be_full = true;
	desc(0x1000, 0x1020, 0x3000, 0x80000000u | 60);
	wr(0x20, 0x1000);
	wr(0x00, 0x001);
	assert_int_equal(rd(0x20), 0x1000);
	be_full = false;
	dp83820_set_backend(NULL);
	wr(0x00, 0x100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pic_priority_and_eoi, setup),
		cmocka_unit_test_setup(test_pic_cascade, setup),
		cmocka_unit_test_setup(test_pit_periodic_catches_up, setup),
		cmocka_unit_test_setup(test_pit_latch, setup),
		cmocka_unit_test_setup(test_pit_channel2_gate, setup),
		cmocka_unit_test_setup(test_apic_disabled_keeps_the_pic, setup),
		cmocka_unit_test_setup(test_apic_timer_oneshot_periodic, setup),
		cmocka_unit_test_setup(test_ioapic_edge_and_level, setup),
		cmocka_unit_test_setup(test_mptable, setup),
		cmocka_unit_test_setup(test_uart_output_and_interrupts, setup),
		cmocka_unit_test_setup(test_cmos_and_pci_ports, setup),
		cmocka_unit_test_setup(test_unmodelled_features_answer, setup),
		cmocka_unit_test_setup(test_uart_loopback, setup),
		cmocka_unit_test_setup(test_pci_functions, setup),
		cmocka_unit_test_setup(test_dp83820_registers, setup),
		cmocka_unit_test_setup(test_dp83820_tx_without_link, setup),
		cmocka_unit_test_setup(test_dp83820_bad_descriptors, setup),
		cmocka_unit_test_setup(test_dp83820_backend, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
