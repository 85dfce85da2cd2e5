/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Xen console: the ring page and event channel from start_info (domU),
 * or the console_io hypercall (when booted as dom0, for early testing).
 * The wedge's own messages and the guest's UART output share it.
 */
#include "wedge-xen/wedge.h"
#include "wedge-xen/hypercall.h"
#include <xen/io/console.h>
#include <xen/sched.h>
#include <xen/event_channel.h>

static struct xencons_interface *ring;
static evtchn_port_t ring_port;
static bool is_dom0;

void console_init(void)
{
	is_dom0 = start_info->flags & SIF_INITDOMAIN;
	if (is_dom0)
		return;
	/* The console page lies in the bootstrap region: pfn = m2p[mfn]. */
	u64 mfn = start_info->console.domU.mfn;
	u64 pfn = ((const unsigned long *)MACH2PHYS_VIRT_START)[mfn];
	ring = (struct xencons_interface *)(WEDGE_VIRT_BASE + (pfn << 12));
	ring_port = start_info->console.domU.evtchn;
}

static void notify(void)
{
	struct evtchn_send send = { .port = ring_port };
	HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

void console_write(const char *s, size_t n)
{
	if (is_dom0 || !ring) {
		HYPERVISOR_console_io(CONSOLEIO_write, n, s);
		return;
	}
	while (n) {
		XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
		__asm__ volatile("" ::: "memory");
		if (prod - cons >= sizeof(ring->out)) {
			notify();
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		while (n && prod - cons < sizeof(ring->out)) {
			ring->out[MASK_XENCONS_IDX(prod, ring->out)] = *s++;
			prod++;
			n--;
		}
		__asm__ volatile("sfence" ::: "memory");
		ring->out_prod = prod;
		notify();
	}
}

int console_read_byte(void)
{
	if (is_dom0 || !ring)
		return -1;
	XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
	__asm__ volatile("" ::: "memory");
	if (cons == prod)
		return -1;
	int c = (u8)ring->in[MASK_XENCONS_IDX(cons, ring->in)];
	__asm__ volatile("" ::: "memory");
	ring->in_cons = cons + 1;
	notify();
	return c;
}

/* Give xenconsoled the chance to drain the ring before the domain goes. */
void console_flush(void)
{
	if (is_dom0 || !ring)
		return;
	for (int i = 0; i < 2000 && ring->out_cons != ring->out_prod; i++) {
		notify();
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	console_write(buf, (size_t)n);
}

void wedge_shutdown(unsigned reason)
{
	console_flush();
	struct sched_shutdown sd = { .reason = reason };
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
}

void wedge_panic(const char *file, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("\nwedge: FATAL %s:%d: %s\n", file, line, buf);
	printk("wedge: guest rip %lx rsp %lx rflags %lx\n", g_regs.rip, g_regs.gpr[X86_RSP], g_regs.rflags);
	counters_print();
	wedge_shutdown(SHUTDOWN_crash);
}
