/*
 * ab-xtcount: hypercall and trap counts per benchmark from a xentrace stream.
 *
 *   xentrace -D -S 256 -e 0x0020f000 | ab-xtcount > counts.json
 *
 * Reads xentrace's binary output on stdin (per-CPU windows, each opened by a
 * TRC_TRACE_CPU_CHANGE record, of variable-length trace records) and counts
 * Xen's PV events between the marker page faults `ab-bench -x` takes around
 * each benchmark's timed repetitions: reads of 0x0ab00000 | index << 4 |
 * phase, phase 1 opening and 2 closing the window of benchmark `index`.  Xen
 * traces each page fault it bounces to a PV guest with the faulting address.
 * Writes one JSON document: the windows with their counts.  With the
 * scheduler's switch records in the trace (class TRC_SCHED, verbose), an
 * event counts only when the domain that took the opening marker is the one
 * running on the event's CPU: dom0's own activity (the harness polling the
 * domU's console) stays out of a domU's counts.  Without them, everything
 * in the window counts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's public trace.h, the few values used here. */
#define TRC_TRACE_CPU_CHANGE 0x0001f003u
#define TRC_LOST_RECORDS 0x0001f001u
#define TRC_PV_ENTRY 0x00201000u
#define TRC_PV_SUBCALL 0x00202000u
#define TRC_64_FLAG 0x100u
#define TRC_PV_HYPERCALL (TRC_PV_ENTRY + 1)
#define TRC_PV_TRAP (TRC_PV_ENTRY + 3)
#define TRC_PV_PAGE_FAULT (TRC_PV_ENTRY + 4)
#define TRC_PV_FORCED_INVALID_OP (TRC_PV_ENTRY + 5)
#define TRC_PV_EMULATE_PRIVOP (TRC_PV_ENTRY + 6)
#define TRC_PV_EMULATE_4GB (TRC_PV_ENTRY + 7)
#define TRC_PV_MATH_STATE_RESTORE (TRC_PV_ENTRY + 8)
#define TRC_PV_PAGING_FIXUP (TRC_PV_ENTRY + 9)
#define TRC_PV_GDT_LDT_MAPPING_FAULT (TRC_PV_ENTRY + 10)
#define TRC_PV_PTWR_EMULATION (TRC_PV_ENTRY + 11)
#define TRC_PV_PTWR_EMULATION_PAE (TRC_PV_ENTRY + 12)
#define TRC_PV_HYPERCALL_V2 (TRC_PV_ENTRY + 13)
#define TRC_PV_HYPERCALL_SUBCALL (TRC_PV_SUBCALL + 14)
#define HYPERCALL_V2_OP_MASK 0x000fffffu
#define TRC_SCHED_SWITCH 0x0002800au	/* prev dom, prev vcpu, next dom, next vcpu */
#define MAX_CPUS 256

#define MARKER_MASK 0xfff00000u
#define MARKER_BASE 0x0ab00000u
#define MAX_HYPERCALL 64
#define MAX_WINDOWS 256

/* Hypercall numbers of Xen's public xen.h (x86-64). */
static const char *const hypercall_names[MAX_HYPERCALL] = {
	[0] = "set_trap_table", [1] = "mmu_update", [2] = "set_gdt", [3] = "stack_switch",
	[4] = "set_callbacks", [5] = "fpu_taskswitch", [6] = "sched_op_compat",
	[7] = "platform_op", [8] = "set_debugreg", [9] = "get_debugreg",
	[10] = "update_descriptor", [12] = "memory_op", [13] = "multicall",
	[14] = "update_va_mapping", [15] = "set_timer_op", [16] = "event_channel_op_compat",
	[17] = "xen_version", [18] = "console_io", [19] = "physdev_op_compat",
	[20] = "grant_table_op", [21] = "vm_assist", [22] = "update_va_mapping_otherdomain",
	[23] = "iret", [24] = "vcpu_op", [25] = "set_segment_base", [26] = "mmuext_op",
	[27] = "xsm_op", [28] = "nmi_op", [29] = "sched_op", [30] = "callback_op",
	[31] = "xenoprof_op", [32] = "event_channel_op", [33] = "physdev_op",
	[34] = "hvm_op", [35] = "sysctl", [36] = "domctl", [37] = "kexec_op",
	[39] = "argo_op", [40] = "xenpmu_op", [41] = "dm_op", [42] = "hypfs_op",
};

struct window {
	unsigned marker;	/* index << 4, without the phase */
	bool closed;
	int cpu;		/* the CPU the opening marker came from */
	long domain;		/* the domain running there then; -1: unknown */
	uint64_t other_domains;	/* events of other domains, not counted */
	uint64_t hypercalls, by_op[MAX_HYPERCALL], other_op;
	uint64_t subcalls;	/* entries of multicalls */
	uint64_t traps, page_faults, privops, ptwr, math_restore, other_pv;
	struct { uint64_t rip, n; } privop_at[4];	/* the most frequent sites */
};

/* Counts an emulated instruction at rip: the sites tell what traps. */
static void count_privop_site(struct window *w, uint64_t rip)
{
	int n = sizeof(w->privop_at) / sizeof(w->privop_at[0]);
	for (int i = 0; i < n; i++) {
		if (w->privop_at[i].n && w->privop_at[i].rip == rip) {
			w->privop_at[i].n++;
			return;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!w->privop_at[i].n) {
			w->privop_at[i].rip = rip;
			w->privop_at[i].n = 1;
			return;
		}
	}
}

static struct window windows[MAX_WINDOWS];
static int n_windows;
static struct window *open_window;
static uint64_t records, lost, cpu_changes, switches;
static long running[MAX_CPUS];	/* domain on each CPU; -1: not known yet */

static long running_on(int cpu)
{
	return cpu >= 0 && cpu < MAX_CPUS ? running[cpu] : -1;
}
static uint64_t total_by_op[MAX_HYPERCALL + 1];	/* the whole trace, for diagnosis */

static void count_hypercall(struct window *w, uint32_t op)
{
	w->hypercalls++;
	if (op < MAX_HYPERCALL)
		w->by_op[op]++;
	else
		w->other_op++;
}

static void marker(uint32_t arg, int cpu)
{
	unsigned phase = arg & 0xf, id = (arg & ~MARKER_MASK) & ~0xfu;
	if (phase == 1) {
		if (open_window)
			fprintf(stderr, "ab-xtcount: marker %#x opened while %#x was open; closing that one\n",
				arg, MARKER_BASE | open_window->marker);
		if (n_windows == MAX_WINDOWS) {
			fprintf(stderr, "ab-xtcount: more than %d windows; ignoring the rest\n", MAX_WINDOWS);
			open_window = NULL;
			return;
		}
		open_window = &windows[n_windows++];
		memset(open_window, 0, sizeof(*open_window));
		open_window->marker = id;
		open_window->cpu = cpu;
		open_window->domain = running_on(cpu);
	} else if (phase == 2 && open_window && open_window->marker == id) {
		open_window->closed = true;
		open_window = NULL;
	} else {
		fprintf(stderr, "ab-xtcount: unexpected marker %#x (phase %u)\n", arg, phase);
	}
}

static void account(uint32_t event, const uint32_t *extra, unsigned n_extra, int cpu)
{
	struct window *w = open_window;
	uint32_t base = event & ~TRC_64_FLAG;
	if (base == TRC_PV_HYPERCALL_V2 && n_extra >= 1)
		total_by_op[(extra[0] & HYPERCALL_V2_OP_MASK) < MAX_HYPERCALL ?
			    extra[0] & HYPERCALL_V2_OP_MASK : MAX_HYPERCALL]++;
	if (base == TRC_PV_PAGE_FAULT) {
		/* 64-bit guest: rip, address (two words each), error code;
		 * 32-bit guest: one word each. */
		unsigned addr = event & TRC_64_FLAG ? 2 : 1;
		bool high_clear = !(event & TRC_64_FLAG) || (n_extra > 3 && extra[3] == 0);
		if (n_extra > addr && high_clear && (extra[addr] & MARKER_MASK) == MARKER_BASE) {
			marker(extra[addr], cpu);
			return;
		}
	}
	if (!w)
		return;
	if ((base & 0x0fff0000u) == (TRC_PV_ENTRY & 0x0fff0000u) && w->domain >= 0 &&
	    running_on(cpu) != w->domain) {
		w->other_domains++;
		return;
	}
	switch (base) {
	case TRC_PV_HYPERCALL_V2:
		count_hypercall(w, n_extra ? extra[0] & HYPERCALL_V2_OP_MASK : MAX_HYPERCALL);
		break;
	case TRC_PV_HYPERCALL:	/* old format: eip (32 or 64 bit), then eax */
		count_hypercall(w, n_extra ? extra[n_extra - 1] : MAX_HYPERCALL);
		break;
	case TRC_PV_HYPERCALL_SUBCALL: w->subcalls++; break;
	case TRC_PV_TRAP: w->traps++; break;
	case TRC_PV_PAGE_FAULT: w->page_faults++; break;
	case TRC_PV_EMULATE_PRIVOP:
		w->privops++;
		if (n_extra >= 1)
			count_privop_site(w, (event & TRC_64_FLAG) && n_extra >= 2 ?
					  (uint64_t)extra[1] << 32 | extra[0] : extra[0]);
		break;
	case TRC_PV_PTWR_EMULATION:
	case TRC_PV_PTWR_EMULATION_PAE: w->ptwr++; break;
	case TRC_PV_MATH_STATE_RESTORE: w->math_restore++; break;
	default:
		if ((base & 0xfffff000u) == TRC_PV_ENTRY)
			w->other_pv++;
		break;
	}
}

static void put_count(const char *name, uint64_t v, bool *first)
{
	printf("%s\"%s\":%llu", *first ? "" : ",", name, (unsigned long long)v);
	*first = false;
}

int main(int argc, char **argv)
{
	uint32_t hdr, extra[8], tsc[2];
	int cpu = -1;
	(void)argv;
	for (int i = 0; i < MAX_CPUS; i++)
		running[i] = -1;
	if (argc != 1) {
		fprintf(stderr, "usage: xentrace -D -e 0x0020f000 | ab-xtcount > counts.json\n");
		return 2;
	}
	while (fread(&hdr, sizeof(hdr), 1, stdin) == 1) {
		uint32_t event = hdr & 0x0fffffffu;
		unsigned n_extra = hdr >> 28 & 7;
		bool cycles = hdr >> 31;
		if (cycles && fread(tsc, sizeof(tsc), 1, stdin) != 1)
			break;
		if (n_extra && fread(extra, sizeof(uint32_t), n_extra, stdin) != n_extra)
			break;
		records++;
		if (event == TRC_SCHED_SWITCH && n_extra >= 3) {
			if (cpu >= 0 && cpu < MAX_CPUS)
				running[cpu] = (long)extra[2];
			switches++;
		} else if (event == TRC_TRACE_CPU_CHANGE && n_extra >= 1) {
			cpu = (int)extra[0];
			cpu_changes++;
		} else if (event == TRC_LOST_RECORDS) {
			lost += n_extra ? extra[0] : 1;
		} else {
			account(event, extra, n_extra, cpu);
		}
	}
	if (!feof(stdin))
		perror("ab-xtcount: reading the trace");
	if (cpu_changes == 0 && records)
		fprintf(stderr, "ab-xtcount: no CPU-change record: is this xentrace output?\n");

	printf("{\"tool\":\"ab-xtcount\",\"format\":1,\"records\":%llu,\"lost_records\":%llu,"
	       "\"sched_switches\":%llu,\"windows\":[",
	       (unsigned long long)records, (unsigned long long)lost, (unsigned long long)switches);
	for (int i = 0; i < n_windows; i++) {
		struct window *w = &windows[i];
		bool first = true;
		printf("%s\n{\"xen_marker\":%u,\"complete\":%s,\"cpu\":%d,\"domain\":%ld,"
		       "\"other_domain_events\":%llu,\"counts\":{", i ? "," : "",
		       MARKER_BASE | w->marker, w->closed ? "true" : "false", w->cpu, w->domain,
		       (unsigned long long)w->other_domains);
		put_count("hypercalls", w->hypercalls, &first);
		put_count("multicall_entries", w->subcalls, &first);
		put_count("xen_traps", w->traps + w->page_faults + w->privops + w->ptwr +
			  w->math_restore + w->other_pv, &first);
		put_count("xen_page_faults", w->page_faults, &first);
		put_count("xen_other_traps", w->traps, &first);
		put_count("xen_privops", w->privops, &first);
		put_count("xen_ptwr", w->ptwr, &first);
		put_count("xen_math_restore", w->math_restore, &first);
		printf("},\"privop_sites\":{");
		first = true;
		for (int k = 0; k < 4; k++) {
			if (!w->privop_at[k].n)
				continue;
			char rip[32];
			snprintf(rip, sizeof(rip), "%#llx", (unsigned long long)w->privop_at[k].rip);
			put_count(rip, w->privop_at[k].n, &first);
		}
		printf("},\"by_hypercall\":{");
		first = true;
		for (int op = 0; op < MAX_HYPERCALL; op++) {
			if (!w->by_op[op])
				continue;
			char name[32];
			if (hypercall_names[op])
				snprintf(name, sizeof(name), "%s", hypercall_names[op]);
			else
				snprintf(name, sizeof(name), "op%d", op);
			put_count(name, w->by_op[op], &first);
		}
		if (w->other_op)
			put_count("other", w->other_op, &first);
		printf("}}");
	}
	printf("\n],\"trace_by_hypercall\":{");
	bool first = true;
	for (int op = 0; op <= MAX_HYPERCALL; op++) {
		char name[32];
		if (!total_by_op[op])
			continue;
		if (op < MAX_HYPERCALL && hypercall_names[op])
			snprintf(name, sizeof(name), "%s", hypercall_names[op]);
		else if (op < MAX_HYPERCALL)
			snprintf(name, sizeof(name), "op%d", op);
		else
			snprintf(name, sizeof(name), "other");
		put_count(name, total_by_op[op], &first);
	}
	printf("}}\n");
	return ferror(stdout) ? 1 : 0;
}
