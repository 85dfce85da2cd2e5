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

#include "wedge-xen/wedge.h"

/* ---- the wedge around the models, faked ---- */
static u64 now_ns, deadline_ns;
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

static void test_pit_periodic_coalesces(void **state)
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
	/* three periods missed: one edge, the deadline moves past now */
	pic_ack(0x20);
	io_out(0x20, 1, 0x20);
	now_ns = start + 5 * period + 5;
	pit_sync();
	assert_int_equal(pic_pending_vector(), 0x20);
	assert_int_equal(deadline_ns, start + 6 * period);
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

static void test_cmos_and_empty_pci(void **state)
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
	assert_int_equal(io_in(0xcfc, 4), 0xffffffffu);   /* no device at 00:00.0 */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pic_priority_and_eoi, setup),
		cmocka_unit_test_setup(test_pic_cascade, setup),
		cmocka_unit_test_setup(test_pit_periodic_coalesces, setup),
		cmocka_unit_test_setup(test_pit_latch, setup),
		cmocka_unit_test_setup(test_uart_output_and_interrupts, setup),
		cmocka_unit_test_setup(test_cmos_and_empty_pci, setup),
		cmocka_unit_test_setup(test_unmodelled_features_answer, setup),
		cmocka_unit_test_setup(test_uart_loopback, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
