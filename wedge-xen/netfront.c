/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DP83820's back end: a netfront of Xen's netback for the domain's
 * first vif (device/vif/0), so an unmodified guest driving the NIC model
 * with its own driver talks to dom0's bridge.  The protocol as Linux's
 * xen-netfront and mini-os speak it (include/xen/io/netif.h): one queue,
 * one event channel, TX and RX shared rings of 256 slots, grant table v1.
 *
 * Copies, not grants of guest pages: a TX frame is copied from the
 * guest's buffers (the driver's descriptors, checked by dp83820.c) into
 * one of NF_TX_BUFS wedge pages granted read-only to the backend for good;
 * RX frames arrive by netback's grant copy (request-rx-copy) into NF_RX_BUFS
 * wedge pages granted for good, and dp83820.c copies them into the guest's
 * RX descriptors.  So no guest page is ever granted or pinned, nothing is
 * to be ended per packet, and a TX descriptor completes as soon as it is
 * copied.  feature-no-csum-offload: dom0 gives frames with their checksums
 * done; TX frames whose TCP/UDP checksum the driver left to the NIC go out
 * csum_blank (netback computes it).  No SG, no GSO: MTU 1500.
 *
 * Events: the channel's port is in the wedge's poll set and dispatched
 * through devices_event(); responses are consumed there, at most one
 * notification goes out per TX walk (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
 * The backend's state is watched: Connected is link up, anything else
 * link down (xl network-detach).
 */
#include "wedge-xen/devices.h"
#include "wedge-xen/hypercall.h"
#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>
#include <xen/io/xenbus.h>
#include <xen/sched.h>

#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
typedef uint32_t grant_ref_t;
#include <xen/io/ring.h>
#include <xen/io/netif.h>

#define HYPERVISOR_grant_table_op(cmd, arg, n) HYPERCALL(__HYPERVISOR_grant_table_op, cmd, arg, n, 0, 0)

#define NF_TX_BUFS 64
#define NF_RX_BUFS 64
#define GNT_VA (WEDGE_HOT_VA + 0x10000)   /* the grant table's frame (the top 2 MiB: the wedge's) */

static u8 tx_ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 rx_ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 tx_bufs[NF_TX_BUFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 rx_bufs[NF_RX_BUFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static netif_tx_front_ring_t txr;
static netif_rx_front_ring_t rxr;
static grant_entry_v1_t *gnt;
static grant_ref_t next_ref = GNTTAB_NR_RESERVED_ENTRIES;
static grant_ref_t tx_gref[NF_TX_BUFS], rx_gref[NF_RX_BUFS], tx_ring_ref, rx_ring_ref;
static u16 tx_free[NF_TX_BUFS];
static unsigned ntx_free;
static evtchn_port_t port;
static domid_t backend_id;
static char backend[64];
static u8 mac[6];
static bool have_vif, connected, state_changed, tx_waiting, rx_waiting;
static u64 c_tx, c_rx, c_rx_dropped, c_tx_notify, c_rx_notify, c_events, c_tx_full;

static const struct nic_backend netfront_backend;

static grant_ref_t grant(u64 wedge_va, bool readonly)
{
	grant_ref_t ref = next_ref++;
	gnt[ref].domid = backend_id;
	gnt[ref].frame = (u32)mm_mfn_of_wedge_va(wedge_va);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gnt[ref].flags = GTF_permit_access | (readonly ? GTF_readonly : 0);   /* flags last */
	return ref;
}

static void notify(void)
{
	struct evtchn_send s = { .port = port };
	HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static bool parse_mac(const char *s, u8 out[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = *s++;
			unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
				     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
			if (d == 16)
				return false;
			v = v * 16 + d;
		}
		out[i] = (u8)v;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return true;
}

static int backend_state(void)
{
	char path[96], v[16];
	unsigned n = 0;
	for (const char *p = backend; *p && n < sizeof(path) - 8; )
		path[n++] = *p++;
	memcpy(path + n, "/state", 7);
	if (xs_read(path, v, sizeof(v)) <= 0)
		return XenbusStateClosed;
	return v[0] - '0';
}

static void rx_post(unsigned id)
{
	RING_IDX i = rxr.req_prod_pvt++;
	netif_rx_request_t *req = RING_GET_REQUEST(&rxr, i);
	req->id = (u16)id;
	req->gref = rx_gref[id];
}

static void rx_push(void)
{
	int notify_needed;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rxr, notify_needed);
	if (notify_needed) {
		c_rx_notify++;
		notify();
	}
}

/* Hand the responses to the model while it has descriptors. */
static void rx_process(void)
{
	bool reposted = false;
	for (;;) {
		RING_IDX prod = rxr.sring->rsp_prod;
		xen_rmb();
		while (rxr.rsp_cons != prod) {
			netif_rx_response_t *rsp = RING_GET_RESPONSE(&rxr, rxr.rsp_cons);
			unsigned id = rsp->id;
			if (id >= NF_RX_BUFS) {
				log_once("wedge: netfront: RX response with id %u from the backend: ignored", id);
				rxr.rsp_cons++;
				continue;
			}
			if (rsp->status > 0 && !(rsp->flags & (NETRXF_more_data | NETRXF_extra_info)) &&
			    rsp->offset + rsp->status <= (int)PAGE_SIZE) {
				if (!dp83820_rx(rx_bufs[id] + rsp->offset, (u32)rsp->status,
						rsp->flags & NETRXF_data_validated)) {
					rx_waiting = true;   /* no descriptor: CR.RXE brings us back */
					goto out;
				}
				c_rx++;
			} else {
				c_rx_dropped++;
			}
			rxr.rsp_cons++;
			rx_post(id);
			reposted = true;
		}
		int more;
		RING_FINAL_CHECK_FOR_RESPONSES(&rxr, more);
		if (!more)
			break;
	}
	rx_waiting = false;
out:
	if (reposted)
		rx_push();
}

static void tx_process(void)
{
	bool freed = false;
	for (;;) {
		RING_IDX prod = txr.sring->rsp_prod;
		xen_rmb();
		while (txr.rsp_cons != prod) {
			netif_tx_response_t *rsp = RING_GET_RESPONSE(&txr, txr.rsp_cons++);
			if (rsp->status == NETIF_RSP_NULL)
				continue;
			if (rsp->id < NF_TX_BUFS && ntx_free < NF_TX_BUFS) {
				tx_free[ntx_free++] = rsp->id;
				freed = true;
			}
		}
		int more;
		RING_FINAL_CHECK_FOR_RESPONSES(&txr, more);
		if (!more)
			break;
	}
	if (freed && tx_waiting) {
		tx_waiting = false;
		dp83820_tx_room();
	}
}

static int nf_tx(const struct nf_frag *f, unsigned n, u32 total, bool csum_blank, u32 tag)
{
	(void)tag;
	if (!connected)
		return 2;   /* link just went: into the void, as the wire would */
	if (!ntx_free || RING_FULL(&txr)) {
		tx_process();
		if (!ntx_free || RING_FULL(&txr)) {
			c_tx_full++;
			tx_waiting = true;
			return 0;
		}
	}
	unsigned id = tx_free[--ntx_free];
	u8 *b = tx_bufs[id];
	u32 off = 0;
	for (unsigned i = 0; i < n; i++) {
		memcpy(b + off, gpa_ptr(f[i].gpa, f[i].len), f[i].len);
		off += f[i].len;
	}
	RING_IDX i = txr.req_prod_pvt++;
	netif_tx_request_t *req = RING_GET_REQUEST(&txr, i);
	req->gref = tx_gref[id];
	req->offset = 0;
	req->flags = csum_blank ? NETTXF_csum_blank | NETTXF_data_validated : 0;
	req->id = (u16)id;
	req->size = (u16)total;
	c_tx++;
	return 2;
}

static void nf_flush(void)
{
	if (!connected)
		return;
	int notify_needed;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&txr, notify_needed);
	if (notify_needed) {
		c_tx_notify++;
		notify();
	}
}

static void nf_rx_kick(void)
{
	if (connected && rx_waiting)
		rx_process();
}

static bool nf_link_up(void) { return connected; }
static bool nf_mac(u8 out[6])
{
	if (!have_vif)
		return false;
	memcpy(out, mac, 6);
	return true;
}

static const struct nic_backend netfront_backend = {
	nf_link_up, nf_mac, nf_tx, nf_flush, nf_rx_kick,
};

static void backend_watch(void) { state_changed = true; }

static void netfront_event(evtchn_port_t p)
{
	if (!have_vif || p != port)
		return;
	c_events++;
	tx_process();
	rx_process();
}

static bool wr(const char *key, const char *value)
{
	char path[64] = "device/vif/0/";
	unsigned n = (unsigned)strlen(path);
	memcpy(path + n, key, strlen(key) + 1);
	return xs_write(path, value);
}

static void utoa(unsigned v, char *out)
{
	char t[12];
	int n = 0;
	do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
	while (n)
		*out++ = t[--n];
	*out = 0;
}

/* Rings empty, every RX buffer posted, every TX buffer free: at the first
 * connection and after the backend went away (it unmapped everything). */
static void rings_reset(void)
{
	netif_tx_sring_t *txs = (netif_tx_sring_t *)tx_ring_page;
	netif_rx_sring_t *rxs = (netif_rx_sring_t *)rx_ring_page;
	memset(tx_ring_page, 0, PAGE_SIZE);
	memset(rx_ring_page, 0, PAGE_SIZE);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&txr, txs, PAGE_SIZE);
	FRONT_RING_INIT(&rxr, rxs, PAGE_SIZE);
	ntx_free = 0;
	for (unsigned i = 0; i < NF_TX_BUFS; i++)
		tx_free[ntx_free++] = (u16)i;
	for (unsigned i = 0; i < NF_RX_BUFS; i++)
		rx_post(i);
	RING_PUSH_REQUESTS(&rxr);
	tx_waiting = rx_waiting = false;
}

/* device/vif/0: the backend's path and domain, the MAC. */
static bool read_vif(void)
{
	char v[64];
	if (xs_read("device/vif/0/backend-id", v, sizeof(v)) <= 0)
		return false;
	domid_t id = 0;
	for (const char *p = v; *p >= '0' && *p <= '9'; p++)
		id = (domid_t)(id * 10 + (u16)(*p - '0'));
	char be[sizeof(backend)];
	int n = xs_read("device/vif/0/backend", be, sizeof(be));
	if (n <= 0 || n >= (int)sizeof(be) - 8 || xs_read("device/vif/0/mac", v, sizeof(v)) <= 0 ||
	    !parse_mac(v, mac))
		return false;
	if (have_vif && id != backend_id) {
		/* the grants and the event channel name the first backend domain */
		log_once("wedge: netfront: a vif on backend domain %u after one on %u: not supported, link stays down",
			 id, backend_id);
		return false;
	}
	backend_id = id;
	memcpy(backend, be, sizeof(be));
	return true;
}

/* The frontend's keys and Connected (the backend is at InitWait). */
static bool handshake(void)
{
	char num[12];
	bool ok = true;
	utoa(tx_ring_ref, num);
	ok = ok && wr("tx-ring-ref", num);
	utoa(rx_ring_ref, num);
	ok = ok && wr("rx-ring-ref", num);
	utoa(port, num);
	ok = ok && wr("event-channel", num);
	ok = ok && wr("request-rx-copy", "1");
	ok = ok && wr("feature-rx-notify", "1");
	ok = ok && wr("feature-no-csum-offload", "1");
	ok = ok && wr("feature-sg", "0");
	ok = ok && wr("feature-gso-tcpv4", "0");
	ok = ok && wr("state", "4");
	if (!ok)
		printk("wedge: netfront: the xenstore handshake failed: the link stays down\n");
	return ok;
}

static bool handshake_done;
static u64 c_reconnects, c_disconnects;

static void set_link(bool up)
{
	if (up == connected)
		return;
	connected = up;
	printk("wedge: netfront: backend %s %s: link %s\n", backend, up ? "connected" : "gone or closing",
	       up ? "up" : "down");
	dp83820_link_changed();
}

/* The link follows the backend (the watch on its state): Connected is up;
 * Closing or gone (xl network-detach) is down, and the frontend closes as
 * xen-netfront does; a backend at InitWait again (xl network-attach) gets
 * the handshake anew with fresh rings and the same grants and channel
 * (the backend's close left our end of it unbound to its domain). */
static void netfront_poll(void)
{
	if (!state_changed)
		return;
	state_changed = false;
	int st = backend_state();
	switch (st) {
	case XenbusStateConnected:
		if (handshake_done)
			set_link(true);
		break;
	case XenbusStateInitWait:
		if (!handshake_done && read_vif()) {
			rings_reset();
			handshake_done = handshake();
			c_reconnects++;
		}
		break;
	case XenbusStateInitialising:
	case XenbusStateInitialised:
		break;
	default:   /* Closing, Closed, gone */
		set_link(false);
		if (handshake_done) {
			handshake_done = false;
			c_disconnects++;
			xs_write("device/vif/0/state", "6");   /* Closed (fails harmlessly when the node is gone) */
		}
		break;
	}
}

static void netfront_init(void)
{
	if (!xenstore_port) {
		printk("wedge: netfront: no xenstore: the NIC has no link\n");
		return;
	}
	if (!read_vif()) {
		printk("wedge: netfront: no vif (device/vif/0 with backend and mac): the NIC has no link\n");
		return;
	}
	/* the grant table: one frame of 512 entries is enough (2 rings, the buffers) */
	unsigned long frame;
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	set_xen_guest_handle(st.frame_list, &frame);
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status) {
		printk("wedge: netfront: GNTTABOP_setup_table failed (%ld, status %d): the NIC has no link\n",
		       rc, st.status);
		return;
	}
	mm_map_page(GNT_VA, frame, 0x2 | 0x40);   /* RW, dirty */
	gnt = (grant_entry_v1_t *)GNT_VA;
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = backend_id };
	if ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au))) {
		printk("wedge: netfront: EVTCHNOP_alloc_unbound failed (%ld): the NIC has no link\n", rc);
		return;
	}
	port = au.port;
	have_vif = true;
	/* granted once for the domain's life: nothing to end per packet or at a detach */
	tx_ring_ref = grant((u64)tx_ring_page, false);
	rx_ring_ref = grant((u64)rx_ring_page, false);
	for (unsigned i = 0; i < NF_TX_BUFS; i++)
		tx_gref[i] = grant((u64)tx_bufs[i], true);
	for (unsigned i = 0; i < NF_RX_BUFS; i++)
		rx_gref[i] = grant((u64)rx_bufs[i], false);
	rings_reset();

	/* wait for the backend's InitWait (hotplug done), as xen-netfront does */
	int bs = XenbusStateUnknown;
	u64 until = xen_time_ns() + 10000000000ull;
	while ((bs = backend_state()) < XenbusStateInitWait && xen_time_ns() < until)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	if (!handshake()) {
		have_vif = false;
		return;
	}
	handshake_done = true;
	device_wait_port(port);
	struct evtchn_unmask um = { .port = port };
	__atomic_and_fetch(&shared->evtchn_mask[port / 64], ~(1ul << (port % 64)), __ATOMIC_SEQ_CST);
	HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um);
	until = xen_time_ns() + 10000000000ull;
	while ((bs = backend_state()) != XenbusStateConnected && xen_time_ns() < until)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	printk("wedge: netfront: vif %s (backend domain %u, state %d), event channel %u, rings %u/%u, "
	       "MAC %02x:%02x:%02x:%02x:%02x:%02x\n", backend, backend_id, bs, port, tx_ring_ref, rx_ring_ref,
	       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	connected = bs == XenbusStateConnected;
	/* the link follows the backend from now on; the watch fires once when set */
	char wpath[96];
	unsigned bl = (unsigned)strlen(backend);
	memcpy(wpath, backend, bl);
	memcpy(wpath + bl, "/state", 7);
	xs_watch(wpath, "ab-vif0", backend_watch);
	dp83820_set_backend(&netfront_backend);
}

static void netfront_counters(void)
{
	if (have_vif)
		printk("wedge: counters: netfront TX %lu (ring full %lu), RX %lu (dropped %lu), notifications TX %lu "
		       "RX %lu, events %lu, grant entries %u (fixed), disconnects %lu, reconnects %lu\n", c_tx,
		       c_tx_full, c_rx, c_rx_dropped, c_tx_notify, c_rx_notify, c_events,
		       next_ref - GNTTAB_NR_RESERVED_ENTRIES, c_disconnects, c_reconnects);
}

const struct device_model netfront_model = { .name = "netfront", .init = netfront_init,
					     .event = netfront_event, .poll = netfront_poll,
					     .counters = netfront_counters };
