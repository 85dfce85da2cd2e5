/* SPDX-License-Identifier: BSD-2-Clause */
/* The wedge's shared declarations. */
#ifndef WEDGE_H
#define WEDGE_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include "wedge-xen/layout.h"
#include "x86/decode.h"
#include "generated/autoconf.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define PAGE_SIZE 4096ul
#define X86_EFLAGS_IF 0x200ul
#define X86_EFLAGS_TF 0x100ul
#define X86_EFLAGS_RF 0x10000ul

/* Guest register file, saved by the entry stubs (head.S). */
struct guest_regs {
	u64 gpr[16];      /* enum x86_gpr order */
	u64 rip;
	u64 rflags;       /* real flags (IF is always set under Xen PV) */
};
extern struct guest_regs g_regs;
extern u8 g_vif_mask;     /* upcall mask the guest had on entry (1: IF clear) */
extern u8 g_next_mask;    /* upcall mask to resume the guest with */

/* The virtual CPU state that has no home in Xen. */
struct vcpu {
	u64 cr0, cr2, cr3, cr4, cr8;
	u64 efer, star, lstar, cstar, sfmask, fs_base, gs_base, kernel_gs_base, pat, misc_enable;
	u16 gdtr_limit, idtr_limit;
	u64 gdtr_base, idtr_base;
	u16 tr, ldtr;
	u16 seg[6];        /* es cs ss ds fs gs (selectors the guest loaded) */
	u64 dr[8];
	u64 ldt_base;      /* what lldt cached from the LDT descriptor */
	u32 ldt_limit;     /* 0 with a null LDTR: every LDT selector is beyond it */
	bool cs32;         /* CS is a 32-bit code segment (L=0, D=1): compat mode */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
};
extern struct vcpu vcpu;
/* The guest's virtual CPL: 3 when its CS selector's RPL is 3. */
static inline bool guest_user_mode(void) { return (vcpu.seg[1] & 3) == 3; }
/* One console line, once per call site: a guest repeating the same
 * access in a loop must not flood the console. */
#define log_once(...) do { \
		static bool once_; \
		if (!once_) { \
			once_ = true; \
			printk(__VA_ARGS__); \
			printk("\n"); \
		} \
	} while (0)

/* Log a guest-reachable feature the wedge does not emulate; the guest gets
 * what hardware without the feature gives. */
#define not_emulated(...) log_once("wedge: not emulated, answered as hardware without it: " __VA_ARGS__)
#define SEG_ES 0
#define SEG_CS 1
#define SEG_SS 2
#define SEG_DS 3
#define SEG_FS 4
#define SEG_GS 5

extern start_info_t *start_info;
extern shared_info_t *shared;     /* mapped at WEDGE_HOT_VA */
#define VCPU0 (&shared->vcpu_info[0])

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* console.c */
void console_init(void);
void console_write(const char *s, size_t n);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_read_byte(void);      /* -1 when nothing is pending */
void console_flush(void);
#define panic(...) wedge_panic(__FILE__, __LINE__, __VA_ARGS__)
void wedge_panic(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
#define ASSERT(c) do { if (!(c)) panic("assertion failed: %s", #c); } while (0)
void wedge_shutdown(unsigned reason) __attribute__((noreturn));

/* mm.c */
void mm_init(u64 initial_rsp);
void mm_map_page(u64 va, u64 mfn, u64 flags);
u64 mm_mfn_of_wedge_va(u64 va);
u64 mm_guest_map(u64 max_bytes);   /* map guest-physical memory at WEDGE_PHYSMAP_VA; returns its size */
extern u64 guest_mem_bytes;
/* The wedge's pointer to guest-physical address gpa (n bytes must fit). */
void *gpa_ptr(u64 gpa, u64 n);

/* Shadow paging (mm.c): the guest's own page tables hold guest-physical
 * frames; the wedge fills shadow tables (machine frames) from page faults. */
void shadow_switch(u64 guest_cr3);               /* new, empty shadows for cr3 */
void shadow_flush_global(void);                  /* CR4.PGE toggled */
bool guest_va_to_gpa_quiet(u64 va, u64 *gpa);     /* no faults, no panics: for the guest-context fast path */
void shadow_set_user(bool user);                 /* the virtual CPL's shadow (3: user) */
unsigned shadow_resume_ops(multicall_entry_t *mc); /* what Xen must do before the guest runs (<= 2 entries) */
void shadow_resume_done(void);                   /* ... and Xen did it */
/* A fault of the current mode's shadow; true: filled, retry; false: the
 * guest's own fault, with its error code in *guest_error. */
bool shadow_fault(u64 va, u64 error, u64 *guest_error);
void shadow_invlpg(u64 va);
/* Readiness for PV kernel mode: would Xen find the frame area below this
 * guest-kernel rsp mapped writable?  (Counts the misses.) */
void shadow_kstack_check(u64 rsp, u64 rip, unsigned entry);
/* Guest-virtual accesses through the guest's page tables. */
bool copy_from_guest(void *dst, u64 va, u64 n);
bool guest_va_to_gpa(u64 va, u64 *gpa);
bool copy_to_guest(u64 va, const void *src, u64 n);
/* The same with user privilege (CPL 3 checks), for user-mode instructions. */
bool copy_from_user_guest(void *dst, u64 va, u64 n);
bool copy_to_user_guest(u64 va, const void *src, u64 n);
/* After a failed copy: the address and the #PF error code the CPU would give. */
extern u64 guest_fault_va, guest_fault_error;
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_I 0x10u

/* loader.c */
void load_guest(const u8 *image, u64 size, const char *cmdline);

/* emulate.c */
void vcpu_init(void);
u64 guest_cpuid_filter(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d);
/* Keyed by guest-physical addresses (a site runs at any virtual alias, e.g.
 * Linux's head code before and after it moves to its high mapping).
 * pair_len: for an STI emulated together with the HLT site right after it,
 * that site's length (0 otherwise). */
void site_table_add(u64 ret_addr, u64 site, unsigned length, const struct x86_insn *insn,
		    unsigned pair_len);
void site_table_add_trap(u64 site, unsigned length, const struct x86_insn *insn);
void site_table_sort(void);
unsigned site_table_count(void);

/* events.c */
void events_init(void);
u64 xen_time_ns(void);
u64 xen_tsc_khz(void);
void timer_set_deadline(u64 ns);
void events_process(void);            /* masked: run the device side of pending events */
void wait_for_event(void);            /* masked: block until an event channel fires */
void deliver_pending_interrupts(void);/* after an emulation or upcall */
void deliver_vector(unsigned vec, bool has_error, u64 error);
bool emulate_trap_site(void);         /* a #GP/#UD at a site left to trap: emulated */
void guest_sysenter(void);            /* user-mode sysenter (Xen's #GP with CS 3, RIP 0) */
bool user_far_transfer(u64 error);   /* a user #GP(selector) at lret/iret/ljmp: emulated */
int user_port_io(void);            /* a user #GP(0) at in/out/ins/outs the guest TSS's I/O bitmap allows: emulated (1), the #GP stands (0), a #PF (-1) */
bool iret_site_on_readonly_stack(u64 cr2);   /* a kernel #PF pushing an iret site's return address: emulated */
void user_cs_sync(void);             /* from user mode: the CS/SS (and mode) user mode ran with */
void resume_prepare(void);            /* wedge_resume: batched Xen state, the user CS/SS Xen is to load */
void resume_tramp_fixup(void);        /* an entry whose rip is in resume_tramp */
extern u64 g_resume_cs, g_resume_ss;
extern bool fs_base_stale;               /* the guest's FS base to Xen at the next exit (resume_prepare) */
extern evtchn_port_t timer_port, console_port;

/* xenstore.c: control/shutdown (xl shutdown, xl reboot) */
void xenstore_init(void);
void xenstore_event(void);            /* the store port fired */
extern evtchn_port_t xenstore_port;   /* 0: none */
/* synchronous requests for the device models (xenstore.c) */
int xs_call(u32 type, const char *path, const char *value, char *buf, u32 size);
int xs_read(const char *path, char *buf, u32 size);
bool xs_write(const char *path, const char *value);
bool xs_watch(const char *path, const char *token, void (*fn)(void));

/* devices.c */
void devices_init(void);
u32 io_in(u16 port, unsigned size);
bool io_in_fast(u16 port, unsigned size, u32 *v);   /* the guest-context fast path: false, the generic way */
void io_out(u16 port, unsigned size, u32 value);
void pit_sync(void);
void uart_poll_rx(void);
void pic_raise(unsigned irq);
int pic_pending_vector(void);   /* -1 when none is deliverable */
void pic_ack(int vector);
void devices_counters_print(void);   /* devices.h: the board's models */

/* counters */
enum { CNT_HYPERCALLS, CNT_UPCALLS, CNT_IRQS_DELIVERED, CNT_EXCEPTIONS, CNT_TIMER_EVENTS, CNT_SAFETY_NET, CNT_SHADOW_FILLS, CNT_PREFILLS, CNT_SHADOW_FLUSHES, CNT_SHADOW_POOL_RESETS, CNT_SHADOW_EVICTIONS, CNT_SHADOW_STALE, CNT_SHADOW_VALIDATIONS, CNT_VALIDATED_L1S, CNT_VALIDATED_ENTRIES, CNT_SHADOW_CACHE_HITS, CNT_SHARES_CREATED, CNT_SHARE_LINKS, CNT_SHARE_UNLINKS, CNT_SHARE_VALIDATIONS, CNT_FUSED, CNT_FAST, CNT_MODE_SWITCHES, CNT_SYSCALLS, CNT_USER_FAULTS, CNT_EMUL_FAULTS, CNT_EAGER_ENTRIES, CNT_KSTACK_MISSES, CNT_FUSED_EXITS, CNT_MAX };
extern u64 counters[CNT_MAX];
extern u64 sites_rewritten[X86_KIND_MAX];
extern u64 emulations[X86_KIND_MAX];
void counters_print(void);
bool safety_net(unsigned vector);   /* emulate an unannotated sensitive instruction */

#endif
