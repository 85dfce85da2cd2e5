/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal xenstore client, for `xl shutdown` and `xl reboot`: the ring
 * from start_info (store_mfn, store_evtchn), a watch on control/shutdown,
 * and on "poweroff", "halt" or "reboot" there: acknowledge (write "" back,
 * as Linux's xenbus does) and end the domain with SCHEDOP_shutdown of that
 * reason.  The guest OS is not asked: the wedge ends the domain as a
 * power button wired to the power supply would (no ACPI model to forward
 * it to yet).  Event driven, never blocking: events_process() calls
 * xenstore_event() when the store port fires; the port is in the poll set
 * of wait_for_event(), so a guest idling in hlt is reached too.
 */
#include "wedge-xen/wedge.h"
#include "wedge-xen/hypercall.h"
#include <xen/io/xs_wire.h>
#include <xen/sched.h>

evtchn_port_t xenstore_port;
static struct xenstore_domain_interface *ring;

enum { REQ_WATCH = 1, REQ_READ, REQ_WRITE };   /* req_id of our requests */
#define WATCH_PATH  "control/shutdown"
#define WATCH_TOKEN "ab-shutdown"

static unsigned shutdown_reason;   /* SHUTDOWN_* + 1 once acknowledged; 0: none */

static void notify(void)
{
	struct evtchn_send send = { .port = xenstore_port };
	HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

/* Whole request into the req ring (waits for room: requests are tiny). */
static void send_request(u32 type, u32 req_id, const char *a, u32 alen, const char *b, u32 blen)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req_id, .tx_id = 0, .len = alen + blen };
	const char *parts[3] = { (const char *)&m, a, b };
	u32 lens[3] = { sizeof(m), alen, blen };
	for (int p = 0; p < 3; p++)
		for (u32 i = 0; i < lens[p];) {
			XENSTORE_RING_IDX cons = ring->req_cons, prod = ring->req_prod;
			__asm__ volatile("" ::: "memory");
			if (prod - cons >= XENSTORE_RING_SIZE) {
				notify();
				HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
				continue;
			}
			ring->req[MASK_XENSTORE_IDX(prod)] = parts[p][i++];
			__asm__ volatile("sfence" ::: "memory");
			ring->req_prod = prod + 1;
		}
	notify();
}

static bool streq(const char *s, u32 len, const char *lit)
{
	u32 n = (u32)strlen(lit);
	/* values come without a NUL, paths and tokens with one */
	return (len == n || (len == n + 1 && !s[n])) && !memcmp(s, lit, n);
}

/* Synchronous requests of the device models (xs_call) and their watches. */
#define REQ_SYNC 0x100
static u32 sync_id = REQ_SYNC, sync_type;
static bool sync_done;
static char *sync_buf;
static u32 sync_size, sync_len;
#define MAX_WATCHES 4
static struct { const char *token; void (*fn)(void); } watches[MAX_WATCHES];
static unsigned nwatches;

static void handle(const struct xsd_sockmsg *m, const char *body)
{
	if (m->req_id >= REQ_SYNC) {
		if (m->req_id == sync_id && !sync_done) {
			sync_type = m->type;
			sync_len = m->len < sync_size ? m->len : sync_size - 1;
			memcpy(sync_buf, body, sync_len);
			sync_buf[sync_len] = 0;
			sync_done = true;
		}
		return;
	}
	if (m->type == XS_WATCH_EVENT) {
		u32 plen = (u32)strlen(body) + 1;
		for (unsigned i = 0; i < nwatches; i++)
			if (plen < m->len && streq(body + plen, m->len - plen, watches[i].token)) {
				watches[i].fn();   /* sets a flag: no xenstore request from here */
				return;
			}
	}
	if (m->type == XS_ERROR) {
		/* a read of a missing node (ENOENT) is no request; others say so */
		if (m->req_id != REQ_READ)
			printk("wedge: xenstore: request %u failed: %s\n", m->req_id, body);
		return;
	}
	switch (m->type) {
	case XS_WATCH_EVENT: {   /* "path\0token\0": also fires once when set */
		u32 plen = (u32)strlen(body) + 1;
		if (plen < m->len && streq(body + plen, m->len - plen, WATCH_TOKEN))
			send_request(XS_READ, REQ_READ, WATCH_PATH, sizeof(WATCH_PATH), NULL, 0);
		return;
	}
	case XS_READ: {
		unsigned reason;
		if (streq(body, m->len, "poweroff") || streq(body, m->len, "halt"))
			reason = SHUTDOWN_poweroff;
		else if (streq(body, m->len, "reboot"))
			reason = SHUTDOWN_reboot;
		else {
			if (m->len)
				printk("wedge: xenstore: control/shutdown \"%s\" is not supported: ignored\n",
				       body);
			return;
		}
		printk("wedge: xenstore: control/shutdown \"%s\": ending the domain (%s); "
		       "the guest OS is not asked\n", body,
		       reason == SHUTDOWN_reboot ? "reboot" : "poweroff");
		shutdown_reason = reason + 1;
		/* acknowledge (xl waits for the node to be cleared by a PV guest) */
		send_request(XS_WRITE, REQ_WRITE, WATCH_PATH, sizeof(WATCH_PATH), "", 0);
		return;
	}
	case XS_WRITE:
		if (shutdown_reason) {
			counters_print();
			wedge_shutdown(shutdown_reason - 1);
		}
		return;
	default:
		return;
	}
}

/* Consume every whole response in the rsp ring. */
void xenstore_event(void)
{
	static char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
	static u32 have;
	if (!ring)
		return;
	for (;;) {
		XENSTORE_RING_IDX cons = ring->rsp_cons, prod = ring->rsp_prod;
		__asm__ volatile("lfence" ::: "memory");
		if (cons == prod)
			break;
		u32 need = sizeof(struct xsd_sockmsg);
		if (have >= need) {
			const struct xsd_sockmsg *m = (const void *)buf;
			if (m->len > XENSTORE_PAYLOAD_MAX)
				panic("xenstore: response of %u bytes", m->len);
			need += m->len;
		}
		while (have < need && cons != prod)
			buf[have++] = ring->rsp[MASK_XENSTORE_IDX(cons++)];
		__asm__ volatile("mfence" ::: "memory");
		ring->rsp_cons = cons;
		notify();
		const struct xsd_sockmsg *m = (const void *)buf;
		if (have >= sizeof(*m) && have == sizeof(*m) + m->len) {
			buf[have] = 0;
			have = 0;
			handle(m, buf + sizeof(*m));
		}
	}
}

void xenstore_init(void)
{
	if (!start_info->store_mfn || !start_info->store_evtchn) {
		printk("wedge: xenstore: none (xl shutdown/reboot will not reach this domain)\n");
		return;
	}
	/* The store page lies in the bootstrap region: pfn = m2p[mfn]. */
	u64 pfn = ((const unsigned long *)MACH2PHYS_VIRT_START)[start_info->store_mfn];
	ring = (struct xenstore_domain_interface *)(WEDGE_VIRT_BASE + (pfn << 12));
	xenstore_port = start_info->store_evtchn;
	send_request(XS_WATCH, REQ_WATCH, WATCH_PATH, sizeof(WATCH_PATH), WATCH_TOKEN, sizeof(WATCH_TOKEN));
	printk("wedge: xenstore: port %u, watching %s (xl shutdown, xl reboot)\n", xenstore_port, WATCH_PATH);
}

/*
 * One request, waiting for its answer (SCHEDOP_poll on the store port,
 * at most 5 s): the reply's body, NUL-terminated, in buf.  Returns its
 * length, or -1 on XS_ERROR (the error name in buf), no store or no
 * answer.  Not from a watch callback (those run inside xenstore_event).
 * ENOENT for a missing node is an answer, not logged.
 */
int xs_call(u32 type, const char *path, const char *value, char *buf, u32 size)
{
	if (!ring || size < 2)
		return -1;
	sync_id++;
	sync_done = false;
	sync_buf = buf;
	sync_size = size;
	u32 plen = (u32)strlen(path) + 1;   /* paths with their NUL; a written value without */
	send_request(type, sync_id, path, plen, value, value ? (u32)strlen(value) + (type == XS_WATCH ? 1 : 0) : 0);
	u64 deadline = xen_time_ns() + 5000000000ull;
	while (!sync_done) {
		evtchn_port_t port = xenstore_port;
		__atomic_and_fetch(&shared->evtchn_pending[port / 64], ~(1ul << (port % 64)), __ATOMIC_SEQ_CST);
		xenstore_event();
		if (sync_done)
			break;
		if (xen_time_ns() > deadline) {
			printk("wedge: xenstore: no answer to a request for %s in 5 s\n", path);
			return -1;
		}
		struct sched_poll poll = { .nr_ports = 1, .timeout = deadline };
		set_xen_guest_handle(poll.ports, &port);
		HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
	}
	return sync_type == XS_ERROR ? -1 : (int)sync_len;
}

int xs_read(const char *path, char *buf, u32 size)
{
	return xs_call(XS_READ, path, NULL, buf, size);
}

bool xs_write(const char *path, const char *value)
{
	char ok[16];
	if (xs_call(XS_WRITE, path, value, ok, sizeof(ok)) < 0) {
		printk("wedge: xenstore: writing %s failed: %s\n", path, ok);
		return false;
	}
	return true;
}

/* fn runs (inside xenstore_event) whenever the watch on path fires. */
bool xs_watch(const char *path, const char *token, void (*fn)(void))
{
	if (nwatches == MAX_WATCHES)
		panic("xenstore: more than %u watches", MAX_WATCHES);
	watches[nwatches].token = token;
	watches[nwatches].fn = fn;
	nwatches++;
	char ok[16];
	return xs_call(XS_WATCH, path, token, ok, sizeof(ok)) >= 0;
}
