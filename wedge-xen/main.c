/* SPDX-License-Identifier: BSD-2-Clause */
/* The wedge's boot: Xen hands over start_info; the burnt guest is the
 * ramdisk module, its command line the domain's command line. */
#include "wedge-xen/wedge.h"
#include "wedge-xen/apic.h"
#include "wedge-xen/hypercall.h"
#include <xen/sched.h>
#include <xen/version.h>

start_info_t *start_info;
shared_info_t *shared = (shared_info_t *)WEDGE_HOT_VA;

void wedge_resume(void) __attribute__((noreturn));

/* The guest may use at most this much memory for now (page-table pool). */
#define GUEST_MEM_MAX (1ul << 30)

void wedge_main(start_info_t *si, u64 initial_rsp)
{
	start_info = si;
	console_init();
	printk("wedge: afterburner wedge for Xen (x86-64), %s, %lu pages, flags %x\n",
	       si->magic, si->nr_pages, si->flags);
	mm_init(initial_rsp);
	VCPU0->evtchn_upcall_mask = 1;
	events_init();
	vcpu_init();
	devices_init();

	if (!si->mod_start || !si->mod_len) {
		printk("wedge: refusing to start: no guest image (give the burnt kernel as the ramdisk)\n");
		wedge_shutdown(SHUTDOWN_poweroff);
	}
	u64 image = si->mod_start;
	if (si->flags & SIF_MOD_START_PFN)
		image = WEDGE_VIRT_BASE + (si->mod_start << 12);
	printk("wedge: guest image: %lu bytes at %lx\n", si->mod_len, image);
	mm_guest_map(GUEST_MEM_MAX);
	load_guest((const u8 *)image, si->mod_len, (const char *)si->cmd_line);
	mptable_write();   /* the local and I/O APIC for the guest to find (mptable.c) */
	wedge_resume();
}
