/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hostile-process suite (issue 26): what an ordinary or a malicious
 * program in a burnt guest can do, one probe per class.  Built with the
 * host's gcc -static (non-PIE: the compat-mode probe needs code and data
 * below 4 GiB) and run as /init's child on bare QEMU and through the wedge
 * with the same burnt kernel; tests/wedge/hostile.test compares the two
 * outputs probe by probe.
 *
 * Every probe prints exactly one line
 *     probe NAME: RESULT
 * where RESULT is what the kernel and the CPU gave (signal, si_code, trap
 * number and error code from the signal frame, errno, a value), nothing
 * that varies between runs or machines (no addresses, times, pids).  Before
 * each probe the suite prints `run NAME`, so that a probe which ends the
 * domain is named by the last such line; at the end it prints
 * `hostile: done N probes`.
 *
 * Each probe runs in its own child process (a probe that kills itself does
 * not stop the suite); the probes of guest user mode proper drop root first
 * (uid/gid 65534); the ones that need a privilege a distro grants root
 * (/dev/port, the RTC, the console's modem lines) keep it: a process, even
 * root's, must never end its domain.
 *
 * Usage: hostile [--ktext ADDR] [--kdata ADDR] [--skip NAME,...] [--only NAME,...] [--many N]
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <linux/rtc.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef UC_STRICT_RESTORE_SS
#define UC_STRICT_RESTORE_SS 0x4      /* asm/ucontext.h */
#endif
#ifndef TIOCM_LOOP
#define TIOCM_LOOP 0x8000             /* asm-generic/termios.h */
#endif
/* referenced only from inline assembly */
#define ASM_USED __attribute__((used))

static unsigned long ktext = 0xffffffff81000000ul;   /* _text without KASLR */
static unsigned long kdata = 0xffffffff82000000ul;
static const char *skip_list = "", *only_list = NULL;

/* ------------------------------------------------------------ output */
static char line[512];
static size_t line_len;

static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + line_len, sizeof(line) - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n < sizeof(line) - line_len ? (size_t)n : sizeof(line) - line_len - 1;
}

/* One write per line: the console interleaves nothing into it. */
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t w = write(1, buf, (size_t)n);
	(void)w;
}

static const char *current_probe;

/* The probe's result line, then the child ends. */
static void __attribute__((noreturn)) finish(void)
{
	say("probe %s: %s", current_probe, line_len ? line : "(no result)");
	_exit(0);
}

/* ------------------------------------------------------------ faults */
static sigjmp_buf fault_jb;
static volatile int fault_sig;
static volatile long fault_code, fault_trap, fault_err;
static volatile unsigned long fault_addr;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = (unsigned long)si->si_addr;
	fault_trap = uc->uc_mcontext.gregs[REG_TRAPNO];
	fault_err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(fault_jb, 1);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* What a fault looked like from user mode, with si_addr given relative to
 * `expect_addr` (the address the probe touched) so that no address varies. */
static void describe_fault(unsigned long expect_addr)
{
	out("%s code %ld trap %ld err %#lx", sigabbrev_np(fault_sig), fault_code, fault_trap, fault_err);
	if ((fault_sig == SIGSEGV || fault_sig == SIGBUS) && fault_code != SI_KERNEL)
		out(fault_addr == expect_addr ? " addr=probed" : fault_addr == 0 ? " addr=0" : " addr=other");
}

/* Run fn(arg); "ok" or the fault it took. */
#define TRY(expect_addr, ...)                                  \
	do {                                                   \
		fault_sig = 0;                                 \
		if (!sigsetjmp(fault_jb, 1)) {                 \
			__VA_ARGS__;                           \
			out("ok");                             \
		} else {                                       \
			describe_fault(expect_addr);           \
		}                                              \
	} while (0)

static void drop_root(void)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
		out("cannot drop root: %s", strerrorname_np(errno));
		finish();
	}
}

/* ------------------------------------------------------------ memory isolation */
static const struct { const char *name; unsigned long addr; } kernel_addrs[] = {
	{ "ktext", 0 },                              /* filled from --ktext */
	{ "kdata", 0 },                              /* --kdata */
	{ "directmap", 0xffff888000100000ul },       /* page_offset_base + 1 MiB */
	{ "directmap-high", 0xffff88800f000000ul },  /* + 240 MiB */
	{ "m2p", 0xffff800000000000ul },             /* Xen's read-only M2P */
	{ "xen", 0xffff830000000000ul },             /* Xen's own direct map */
	{ "wedge-image", 0xfffffc0000000000ul },     /* L4 slot 504 */
	{ "wedge-image-1m", 0xfffffc0000100000ul },
	{ "wedge-physmap", 0xfffffc8000000000ul },   /* slot 505: all guest memory */
	{ "wedge-physmap-64m", 0xfffffc8004000000ul },
	{ "hot-page", 0xffffffffffe00000ul },        /* shared_info, vcpu_info */
	{ "slot-page", 0xffffffffffe01000ul },       /* the entry stubs' pointers */
	{ "noncanonical", 0x8000000000000000ul },
};
#define NR_KADDR (sizeof(kernel_addrs) / sizeof(kernel_addrs[0]))

static unsigned long kaddr(unsigned i)
{
	return i == 0 ? ktext : i == 1 ? kdata : kernel_addrs[i].addr;
}

static void probe_isolation(unsigned i, char access)
{
	drop_root();
	catch_faults();
	unsigned long a = kaddr(i);
	volatile unsigned char *p = (volatile unsigned char *)a;
	if (access == 'r')
		TRY(a, (void)*p);
	else if (access == 'w')
		TRY(a, *p = 0x5a);
	else
		TRY(a, ((void (*)(void))a)());
	finish();
}

/* ------------------------------------------------------------ forged entries */
static void probe_forged(int which)
{
	drop_root();
	catch_faults();
	volatile long rax;
	switch (which) {
	case 0: /* call through the slot page as a rewritten site does */
		TRY(0xffffffffffe01000ul + 8 * 10, __asm__ volatile("call *0xffffffffffe01050" ::: "memory", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"));
		break;
	case 1: /* the wedge's syscall return point and stubs, by address */
		TRY(0xfffffc0000001000ul, ((void (*)(void))0xfffffc0000001000ul)());
		break;
	case 2: /* a syscall with the stack pointer on the hot page */
		__asm__ volatile("mov %%rsp, %%r12\n\t"
				 "mov $0xffffffffffe00f00, %%rsp\n\t"
				 "syscall\n\t"
				 "mov %%r12, %%rsp"
				 : "=a"(rax) : "a"((long)SYS_getpid) : "rcx", "r11", "r12", "memory");
		out("%s", rax == getpid() ? "pid" : "wrong result");
		break;
	case 3: /* a syscall number nobody implements */
		__asm__ volatile("syscall" : "=a"(rax) : "a"(0x40000000l | 0xfff) : "rcx", "r11", "memory");
		out("%ld", rax);
		break;
	case 4: /* Xen's forced-emulation prefix: ud2 "xen" cpuid */
		TRY(0, __asm__ volatile(".byte 0x0f,0x0b,0x78,0x65,0x6e\n\tcpuid"
					: : "a"(0), "c"(0) : "rbx", "rdx", "memory"));
		break;
	case 5: /* int $0x80 (compat getpid, 20) from 64-bit code */
		/* (the kernel zeroes r8-r11 on this path) */
		rax = 0;
		TRY(0, long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(20l) : "r8", "r9", "r10", "r11", "memory");
		    rax = r);
		if (!fault_sig)
			out(" %s", rax == getpid() ? "pid" : "wrong result");
		break;
	}
	finish();
}

/* ------------------------------------------------------------ sensitive instructions */
/* Each executed in user mode; hardware faults (or runs) them, the wedge
 * must give the same.  Code bytes, so every form is exactly what is tested. */
static unsigned char scratch[64] ASM_USED __attribute__((aligned(16)));

#define INSN(name, ...) static void insn_##name(void) { __asm__ volatile(__VA_ARGS__); }
INSN(cli, "cli" ::: "memory")
INSN(sti, "sti" ::: "memory")
INSN(hlt, "hlt" ::: "memory")
INSN(pushf_popf, "pushfq; popfq" ::: "memory", "cc")
INSN(popf_if0, "pushfq; andq $~0x200, (%%rsp); popfq; pushfq; popfq" ::: "memory", "cc")
INSN(in, "mov $0x80, %%dx; inb %%dx, %%al" ::: "rax", "rdx")
INSN(out, "mov $0x80, %%dx; outb %%al, %%dx" ::: "rax", "rdx")
INSN(ins, "mov $0x80, %%dx; lea scratch(%%rip), %%rdi; insb" ::: "rdx", "rdi", "memory")
INSN(outs, "mov $0x80, %%dx; lea scratch(%%rip), %%rsi; outsb" ::: "rdx", "rsi")
INSN(cpuid, "cpuid" :: "a"(0), "c"(0) : "rbx", "rdx")
INSN(rdmsr, "rdmsr" :: "c"(0x10) : "rax", "rdx")
INSN(wrmsr, "wrmsr" :: "c"(0x10), "a"(0), "d"(0))
INSN(rdpmc, "rdpmc" :: "c"(0) : "rax", "rdx")
INSN(swapgs, "swapgs" ::: "memory")
INSN(sysret, "sysretq" ::: "memory")
INSN(sysexit, "sysexitl" ::: "memory")
INSN(iretq, "mov %%ss, %%eax; push %%rax; push %%rsp; addq $8, (%%rsp); pushfq; mov %%cs, %%eax; push %%rax;"
	    "lea 1f(%%rip), %%rax; push %%rax; iretq; 1:" ::: "rax", "memory", "cc")
INSN(lret, "mov %%cs, %%eax; push %%rax; lea 1f(%%rip), %%rax; push %%rax; lretq; 1:" ::: "rax", "memory")
/* far pointers m16:32 (REX.W forms differ between Intel and AMD); the
 * code is below 4 GiB (static, not PIE) */
INSN(ljmp, "mov %%cs, %%eax; lea scratch(%%rip), %%rdx; movw %%ax, 4(%%rdx); lea 1f(%%rip), %%rax;"
	   "movl %%eax, (%%rdx); ljmp *(%%rdx); 1:" ::: "rax", "rdx", "memory")
/* lcall m16:64 (QEMU's TCG pushes the m16:32 form's return address through
 * a truncated ESP, a write the guest kernel takes for its own and oopses
 * on: a QEMU bug, not what hardware does) */
INSN(lcall, "mov %%cs, %%eax; lea scratch(%%rip), %%rdx; movw %%ax, 8(%%rdx); lea 2f(%%rip), %%rax;"
	    "movq %%rax, (%%rdx); rex64 lcall *(%%rdx); jmp 1f; 2: lretq; 1:" ::: "rax", "rdx", "memory")
INSN(int3, "int3" ::: "memory")
INSN(int_0x10, "int $0x10" ::: "memory")
INSN(int_0x81, "int $0x81" ::: "memory")
INSN(into, ".byte 0xce" ::: "memory")
INSN(ud2, "ud2" ::: "memory")
/* (a selector load into %fs would clear the FS base: the C library's TLS) */
INSN(push_fs, "push %%fs; pop %%rax" ::: "rax", "memory")
INSN(push_pop_gs, "push %%gs; pop %%gs" ::: "memory")
INSN(mov_from_seg, "mov %%ds, %%eax; mov %%es, %%eax; mov %%ss, %%eax; mov %%cs, %%eax" ::: "rax")
INSN(mov_to_ds_null, "mov %0, %%ds" :: "r"(0) : "memory")
INSN(mov_to_ss_null, "mov %%ss, %%eax; mov %1, %%ss; mov %%eax, %%ss" :: "a"(0), "r"(0) : "memory")
INSN(mov_to_ds_bad, "mov %%ds, %%eax; mov %0, %%ds; mov %%eax, %%ds" :: "r"(0x1234) : "rax", "memory")
INSN(mov_to_cr0, "mov %%cr0, %%rax; mov %%rax, %%cr0" ::: "rax")
INSN(mov_from_cr3, "mov %%cr3, %%rax" ::: "rax")
INSN(mov_to_cr4, "xor %%eax, %%eax; mov %%rax, %%cr4" ::: "rax")
INSN(mov_to_dr7, "mov %0, %%dr7" :: "r"(0x1ul))
INSN(mov_from_dr6, "mov %%dr6, %%rax" ::: "rax")
INSN(lgdt, "lgdt scratch(%%rip)" ::: "memory")
INSN(lidt, "lidt scratch(%%rip)" ::: "memory")
INSN(lldt, "xor %%eax, %%eax; lldt %%ax" ::: "rax")
INSN(ltr, "mov $0x40, %%eax; ltr %%ax" ::: "rax")
INSN(sgdt, "sgdt scratch(%%rip)" ::: "memory")
INSN(sidt, "sidt scratch(%%rip)" ::: "memory")
INSN(sldt, "sldt %%eax" ::: "rax")
INSN(str, "str %%eax" ::: "rax")
INSN(smsw, "smsw %%eax" ::: "rax")
INSN(lmsw, "smsw %%eax; lmsw %%ax" ::: "rax")
INSN(clts, "clts" ::: "memory")
INSN(invd, "invd" ::: "memory")
INSN(wbinvd, "wbinvd" ::: "memory")
INSN(invlpg, "invlpg scratch(%%rip)" ::: "memory")
INSN(invpcid, "xor %%eax, %%eax; invpcid scratch(%%rip), %%rax" ::: "rax", "memory")
INSN(rdfsbase, "rdfsbase %%rax" ::: "rax")
INSN(wrgsbase, "xor %%eax, %%eax; wrgsbase %%rax" ::: "rax")
INSN(xgetbv, "xor %%ecx, %%ecx; xgetbv" ::: "rax", "rcx", "rdx")
INSN(xsetbv, "xor %%ecx, %%ecx; mov $1, %%eax; xor %%edx, %%edx; xsetbv" ::: "rax", "rcx", "rdx")
INSN(xsaves, "xor %%eax, %%eax; xor %%edx, %%edx; xsaves scratch(%%rip)" ::: "rax", "rdx", "memory")
INSN(monitor, "lea scratch(%%rip), %%rax; xor %%ecx, %%ecx; xor %%edx, %%edx; monitor" ::: "rax", "rcx", "rdx")
INSN(mwait, "xor %%eax, %%eax; xor %%ecx, %%ecx; mwait" ::: "rax", "rcx")
INSN(clac, ".byte 0x0f,0x01,0xca" ::: "cc")
INSN(stac, ".byte 0x0f,0x01,0xcb" ::: "cc")
INSN(rdtsc, "rdtsc" ::: "rax", "rdx")
INSN(lgs_null, "lea scratch(%%rip), %%rdx; movl $0, (%%rdx); movw $0, 4(%%rdx); lgs (%%rdx), %%eax" ::: "rax", "rdx", "memory")
INSN(lgs_bad, "lea scratch(%%rip), %%rdx; movl $0, (%%rdx); movw $0x1234, 4(%%rdx); lgs (%%rdx), %%eax" ::: "rax", "rdx", "memory")
/* lar/lsl/verr/verw on the user code selector (valid) and on a null one */
static unsigned long desc_out ASM_USED;
INSN(lar_cs, "mov %%cs, %%ecx; xor %%eax, %%eax; lar %%ecx, %%eax; setz %%cl; movzbl %%cl, %%ecx; shl $32, %%rcx; or %%rcx, %%rax; mov %%rax, desc_out(%%rip)" ::: "rax", "rcx", "cc", "memory")
INSN(lsl_cs, "mov %%cs, %%ecx; xor %%eax, %%eax; lsl %%ecx, %%eax; setz %%cl; movzbl %%cl, %%ecx; shl $32, %%rcx; or %%rcx, %%rax; mov %%rax, desc_out(%%rip)" ::: "rax", "rcx", "cc", "memory")
INSN(lar_null, "xor %%ecx, %%ecx; mov $0x77, %%eax; lar %%ecx, %%eax; setz %%cl; movzbl %%cl, %%ecx; shl $32, %%rcx; or %%rcx, %%rax; mov %%rax, desc_out(%%rip)" ::: "rax", "rcx", "cc", "memory")
INSN(verr_cs, "mov %%cs, %%eax; verr %%ax; setz %%al; movzbl %%al, %%eax; mov %%rax, desc_out(%%rip)" ::: "rax", "cc", "memory")
INSN(verw_ss, "mov %%ss, %%eax; verw %%ax; setz %%al; movzbl %%al, %%eax; mov %%rax, desc_out(%%rip)" ::: "rax", "cc", "memory")
INSN(verw_null, "xor %%eax, %%eax; verw %%ax; setz %%al; movzbl %%al, %%eax; mov %%rax, desc_out(%%rip)" ::: "rax", "cc", "memory")

#define I(n, shows_desc) { #n, insn_##n, shows_desc }
/* shows_desc 1: print the lar/lsl/verr/verw result; 2: int n (see probe_insn) */
static const struct { const char *name; void (*fn)(void); int shows_desc; } insns[] = {
	I(cli, 0), I(sti, 0), I(hlt, 0), I(pushf_popf, 0), I(popf_if0, 0), I(in, 0), I(out, 0),
	I(ins, 0), I(outs, 0), I(cpuid, 0), I(rdmsr, 0), I(wrmsr, 0), I(rdpmc, 0), I(swapgs, 0),
	I(sysret, 0), I(sysexit, 0), I(iretq, 0), I(lret, 0), I(ljmp, 0), I(lcall, 0), I(int3, 0),
	I(int_0x10, 2), I(int_0x81, 2), I(into, 0), I(ud2, 0), I(push_fs, 0), I(push_pop_gs, 0),
	I(mov_from_seg, 0), I(mov_to_ds_null, 0), I(mov_to_ss_null, 0), I(mov_to_ds_bad, 0),
	I(mov_to_cr0, 0), I(mov_from_cr3, 0), I(mov_to_cr4, 0), I(mov_to_dr7, 0), I(mov_from_dr6, 0),
	I(lgdt, 0), I(lidt, 0), I(lldt, 0), I(ltr, 0), I(sgdt, 0), I(sidt, 0), I(sldt, 0), I(str, 0),
	I(smsw, 0), I(lmsw, 0), I(clts, 0), I(invd, 0), I(wbinvd, 0), I(invlpg, 0), I(invpcid, 0),
	I(rdfsbase, 0), I(wrgsbase, 0), I(xgetbv, 0), I(xsetbv, 0), I(xsaves, 0), I(monitor, 0),
	I(mwait, 0), I(clac, 0), I(stac, 0), I(rdtsc, 0), I(lgs_null, 0), I(lgs_bad, 0),
	I(lar_cs, 1), I(lsl_cs, 1), I(lar_null, 1), I(verr_cs, 1), I(verw_ss, 1), I(verw_null, 1),
};
#define NR_INSNS (sizeof(insns) / sizeof(insns[0]))

static void probe_insn(unsigned i)
{
	drop_root();
	catch_faults();
	desc_out = ~0ul;
	TRY(0, insns[i].fn());
	/* lar/lsl: ZF and the access rights or limit the CPU read from the
	 * descriptor table; verr/verw: ZF */
	if (insns[i].shows_desc == 1 && !fault_sig)
		out(" result %#lx", desc_out);
	/* int n without a DPL-3 gate: #GP with the IDT flag and n; QEMU's TCG
	 * reports n*16+2 where hardware (and the wedge) give n*8+2 */
	if (insns[i].shows_desc == 2 && fault_sig == SIGSEGV && fault_code == SI_KERNEL && fault_trap == 13) {
		line_len = 0;
		out("SEGV code 128 trap 13 err IDT vector %s",
		    fault_err == 0x10 * 8 + 2 || fault_err == 0x10 * 16 + 2 ? "0x10" :
		    fault_err == 0x81 * 8 + 2 || fault_err == 0x81 * 16 + 2 ? "0x81" : "other");
	}
	finish();
}

/* ------------------------------------------------------------ signal frames */
/* A handler that rewrites the interrupted context, then rt_sigreturn: the
 * kernel restores it and returns to user mode with iret. */
static int frame_kind;
static volatile int frame_resumed;

#define CSGSFS(uc) ((unsigned long *)&(uc)->uc_mcontext.gregs[REG_CSGSFS])
static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig; (void)si;
	ucontext_t *uc = ctx;
	unsigned long *w = CSGSFS(uc);   /* cs | gs << 16 | fs << 32 | ss << 48 */
	switch (frame_kind) {
	case 0: /* the case that makes Linux run lar (force_valid_ss) */
		uc->uc_flags &= ~UC_STRICT_RESTORE_SS;
		*w &= ~(0xfffful << 48);
		break;
	case 1: /* SS = 0, strict: iret to CPL 3 with a null SS faults */
		uc->uc_flags |= UC_STRICT_RESTORE_SS;
		*w &= ~(0xfffful << 48);
		break;
	case 2: /* a CS that is no code segment (the user data selector) */
		*w = (*w & ~0xfffful) | 0x2b;
		break;
	case 3: /* a CS beyond the GDT */
		*w = (*w & ~0xfffful) | 0x1233;
		break;
	case 4: /* a bad SS, strict */
		uc->uc_flags |= UC_STRICT_RESTORE_SS;
		*w = (*w & ~(0xfffful << 48)) | (0x1233ul << 48);
		break;
	case 5: /* an odd SS, not strict: Linux replaces it */
		uc->uc_flags &= ~UC_STRICT_RESTORE_SS;
		*w = (*w & ~(0xfffful << 48)) | (0x1233ul << 48);
		break;
	case 6: /* a non-canonical rip */
		uc->uc_mcontext.gregs[REG_RIP] = (long)0x8000000000001000ul;
		break;
	case 7: /* kernel-half rip */
		uc->uc_mcontext.gregs[REG_RIP] = (long)ktext;
		break;
	case 8: /* IOPL 3 and IF 0 in the restored flags: the kernel masks them */
		uc->uc_mcontext.gregs[REG_EFL] = (uc->uc_mcontext.gregs[REG_EFL] | 0x3000) & ~0x200l;
		break;
	}
}

static void probe_frame(int kind)
{
	drop_root();
	catch_faults();
	frame_kind = kind;
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	unsigned long flags = 0;
	TRY(kind == 6 ? 0 : ktext, raise(SIGUSR1); __asm__ volatile("pushfq; pop %0" : "=r"(flags)));
	unsigned short ss;
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	if (!fault_sig)
		out(" ss %s iopl %lu if %lu", ss ? "nonnull" : "null", (flags >> 12) & 3, (flags >> 9) & 1);
	finish();
}

/* iretq from user mode with a frame the CPU must refuse */
static void probe_iret_frame(int kind)
{
	drop_root();
	catch_faults();
	unsigned long cs = 0, ss = 0;
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	if (kind == 0)
		cs = 0x1233;      /* beyond the GDT */
	else if (kind == 1)
		ss = 0;           /* null SS to CPL 3 */
	else if (kind == 2)
		cs = 0x2b;        /* data segment as CS */
	else
		cs = (cs & ~3ul) | 0;   /* RPL 0: a privilege raise */
	TRY(0, __asm__ volatile("mov %%rsp, %%rax\n\t"
				"push %1\n\t push %%rax\n\t pushfq\n\t push %0\n\t"
				"lea 1f(%%rip), %%rax\n\t push %%rax\n\t iretq\n1:"
				: : "r"(cs), "r"(ss) : "rax", "memory", "cc"));
	finish();
}

/* The selectors user mode runs with, as the guest kernel loaded them
 * (Linux: __USER_CS 0x33, __USER_DS 0x2b, null data segments). */
static void probe_selectors(void)
{
	drop_root();
	unsigned short cs, ss, ds, es;
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3"
			 : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es));
	out("cs %#x ss %#x ds %#x es %#x", cs, ss, ds, es);
	finish();
}

/* ------------------------------------------------------------ compat mode */
static uint32_t c32_inc ASM_USED, c32_pid ASM_USED, c32_after_yield ASM_USED;
static unsigned long saved_rsp64 ASM_USED;

/* Far return into 32-bit code (selector 0x23, Linux's __USER32_CS), which
 * tells its mode by 0x40 (inc %eax in 32-bit code, a REX prefix in
 * 64-bit code), makes compat system calls through int $0x80 (enter and
 * return to 32-bit code) and yields many times (every return to it, and
 * whatever interrupts land meanwhile, must keep the CS it runs with), then
 * comes back with a far jump to 0x33. */
static void run_compat(void *stack_top)
{
	__asm__ volatile(
		"mov %%rsp, saved_rsp64(%%rip)\n\t"
		"mov %0, %%rsp\n\t"
		"pushq $0x23\n\t"
		"lea 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n\t"
		".code32\n"
		"1:\n\t"
		"xor %%eax, %%eax\n\t"
		".byte 0x40, 0x90\n\t"
		"mov %%eax, c32_inc\n\t"
		"mov $20, %%eax\n\t"       /* getpid */
		"int $0x80\n\t"
		"mov %%eax, c32_pid\n\t"
		"mov $2000, %%esi\n"
		"2:\n\t"
		"mov $158, %%eax\n\t"      /* sched_yield */
		"int $0x80\n\t"
		"dec %%esi\n\t"
		"jnz 2b\n\t"
		"xor %%eax, %%eax\n\t"
		".byte 0x40, 0x90\n\t"
		"mov %%eax, c32_after_yield\n\t"
		"ljmp $0x33, $3f\n\t"
		".code64\n"
		"3:\n\t"
		"mov saved_rsp64(%%rip), %%rsp\n\t"
		: : "r"(stack_top) : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "memory", "cc");
}

static void probe_compat(void)
{
	drop_root();
	catch_faults();
	void *stk = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (stk == MAP_FAILED) {
		out("mmap: %s", strerrorname_np(errno));
		finish();
	}
	TRY(0, run_compat((char *)stk + 65536 - 64));
	if (!fault_sig)
		out(" mode32 %u pid %s after-yields mode32 %u", c32_inc, c32_pid == (uint32_t)getpid() ? "ok" : "wrong",
		    c32_after_yield);
	finish();
}

/* ------------------------------------------------------------ breakpoints */
static volatile unsigned long watched;
static void __attribute__((noinline)) bp_target(void) { __asm__ volatile("" ::: "memory"); }

static void probe_ptrace_bp(int data)
{
	drop_root();
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		if (data)
			watched = 42;
		else
			bp_target();
		_exit(7);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFSTOPPED(st)) {
		out("child did not stop");
		finish();
	}
	long r0 = ptrace(PTRACE_POKEUSER, c, offsetof(struct user, u_debugreg[0]),
			 data ? (unsigned long)&watched : (unsigned long)bp_target);
	int e0 = r0 ? errno : 0;
	/* L0; for data: RW0 = 01 (write), LEN0 = 11 (8 bytes) */
	unsigned long dr7 = 1 | (data ? (1ul << 16) | (3ul << 18) : 0);
	long r7 = ptrace(PTRACE_POKEUSER, c, offsetof(struct user, u_debugreg[7]), dr7);
	int e7 = r7 ? errno : 0;
	out("dr0 %s dr7 %s", e0 ? strerrorname_np(e0) : "set", e7 ? strerrorname_np(e7) : "set");
	ptrace(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	if (WIFSTOPPED(st)) {
		errno = 0;
		long dr6 = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user, u_debugreg[6]), 0);
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, c, 0, &regs);
		out(" stopped %s dr6.b0 %ld at %s", sigabbrev_np(WSTOPSIG(st)), dr6 & 1,
		    data ? "write" : regs.rip == (unsigned long)bp_target ? "target" : "other");
		ptrace(PTRACE_POKEUSER, c, offsetof(struct user, u_debugreg[7]), 0);
		ptrace(PTRACE_CONT, c, 0, 0);
		waitpid(c, &st, 0);
	}
	if (WIFEXITED(st))
		out(" exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		out(" killed %s", sigabbrev_np(WTERMSIG(st)));
	finish();
}

static void probe_perf_bp(void)
{
	drop_root();
	struct perf_event_attr a = {
		.type = PERF_TYPE_BREAKPOINT, .size = sizeof(a), .bp_type = HW_BREAKPOINT_X,
		.bp_addr = (unsigned long)bp_target, .bp_len = sizeof(long),
		.exclude_kernel = 1, .exclude_hv = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		out("perf_event_open %s", strerrorname_np(errno));
		finish();
	}
	for (int i = 0; i < 3; i++)
		bp_target();
	unsigned long long n = 0;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		out("read %s", strerrorname_np(errno));
	else
		out("count %llu", n);
	close(fd);
	finish();
}

/* ------------------------------------------------------------ devices */
static void probe_tty_loop(void)
{
	int fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		out("open %s", strerrorname_np(errno));
		finish();
	}
	int before = 0, during = 0, after = 0, loop = TIOCM_LOOP;
	int r1 = ioctl(fd, TIOCMGET, &before);
	int r2 = ioctl(fd, TIOCMBIS, &loop);
	int e2 = r2 ? errno : 0;
	int r3 = ioctl(fd, TIOCMGET, &during);
	int r4 = ioctl(fd, TIOCMBIC, &loop);
	int r5 = ioctl(fd, TIOCMGET, &after);
	tcflush(fd, TCIFLUSH);   /* what loopback looped back */
	unsigned m = TIOCM_LOOP | TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD | TIOCM_RI;
	out("get %d bis %s get %d bic %d get %d; lines before %#x during %#x after %#x", r1,
	    r2 ? strerrorname_np(e2) : "0", r3, r4, r5, before & m, during & m, after & m);
	close(fd);
	finish();
}

static void probe_rtc_set(void)
{
	int fd = open("/dev/rtc0", O_RDWR);
	if (fd < 0) {
		out("open %s", strerrorname_np(errno));
		finish();
	}
	struct rtc_time old, set = { .tm_sec = 5, .tm_min = 4, .tm_hour = 3, .tm_mday = 2, .tm_mon = 0,
				     .tm_year = 124 }, back;
	int r0 = ioctl(fd, RTC_RD_TIME, &old);
	int r1 = ioctl(fd, RTC_SET_TIME, &set);
	int e1 = r1 ? errno : 0;
	memset(&back, 0, sizeof(back));
	int r2 = ioctl(fd, RTC_RD_TIME, &back);
	int r3 = r0 ? -1 : ioctl(fd, RTC_SET_TIME, &old);
	out("read %d set %s read %d: %04d-%02d-%02d %02d:%02d restore %d", r0, r1 ? strerrorname_np(e1) : "0", r2,
	    back.tm_year + 1900, back.tm_mon + 1, back.tm_mday, back.tm_hour, back.tm_min, r3);
	close(fd);
	finish();
}

static void probe_devport(void)
{
	int fd = open("/dev/port", O_RDWR);
	if (fd < 0) {
		out("open %s", strerrorname_np(errno));
		finish();
	}
	/* 0x200-0x207: the game port, absent on a PC without one */
	unsigned char b[8];
	memset(b, 0, sizeof(b));
	ssize_t r = pread(fd, b, sizeof(b), 0x200);
	unsigned char w = 0x5a;
	ssize_t wr = pwrite(fd, &w, 1, 0x201);
	ssize_t r2 = pread(fd, &w, 1, 0x201);
	out("read %zd: %02x %02x %02x %02x %02x %02x %02x %02x write %zd reread %zd: %02x", r, b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], wr, r2, w);
	close(fd);
	finish();
}

/* ------------------------------------------------------------ LDT */
static void probe_ldt(void)
{
	drop_root();
	catch_faults();
	static volatile unsigned long target = 0x1122334455667788ul;
	struct user_desc d = {
		.entry_number = 0, .base_addr = (unsigned)(unsigned long)&target, .limit = 0xfff,
		.seg_32bit = 1, .contents = 0, .read_exec_only = 0, .limit_in_pages = 0,
		.seg_not_present = 0, .useable = 1,
	};
	long w = syscall(SYS_modify_ldt, 1, &d, sizeof(d));
	int ew = w ? errno : 0;
	unsigned char back[16];
	long r = syscall(SYS_modify_ldt, 0, back, sizeof(back));
	out("write %s read %ld ", w ? strerrorname_np(ew) : "0", r);
	if (w == 0) {
		volatile unsigned long v = 0;
		/* selector 7: LDT entry 0, RPL 3; the data through it */
		TRY(0, unsigned long t; __asm__ volatile("mov %%gs, %%ecx; mov $7, %%eax; mov %%eax, %%gs;"
							 "mov %%gs:0, %0; mov %%ecx, %%gs"
							 : "=r"(t) : : "rax", "rcx", "memory"); v = t);
		if (!fault_sig)
			out(" value %s", v == target ? "match" : "wrong");
		/* lar on the LDT selector: access rights of the entry */
		unsigned long ar = 0, zf = 0;
		__asm__ volatile("mov $7, %%ecx; xor %%eax, %%eax; lar %%ecx, %%eax; setz %%cl; movzbl %%cl, %%ecx"
				 : "=a"(ar), "=c"(zf) : : "cc");
		out(" lar zf %lu ar %#lx", zf, ar);
	}
	finish();
}

/* A TLS entry of the GDT (set_thread_area: Linux writes it with plain
 * stores, load_TLS, and again at every switch back to this process) loaded
 * into %gs in 64-bit code (glibc's TLS is %fs), read through, and read
 * again after many yields (every switch rewrites the entries and reloads
 * %gs).  The entry's limit through lsl. */
static void probe_tls_gdt(void)
{
	drop_root();
	catch_faults();
	static volatile unsigned long tls_target = 0x0123456789abcdeful;
	/* the 64-bit system call table has no set_thread_area: the compat
	 * one (243) through int $0x80, whose pointer must be below 4 GiB */
	static struct user_desc d;
	d = (struct user_desc){
		.entry_number = -1u, .base_addr = (unsigned)(unsigned long)&tls_target, .limit = 0xfff,
		.seg_32bit = 1, .contents = 0, .read_exec_only = 0, .limit_in_pages = 0,
		.seg_not_present = 0, .useable = 1,
	};
	long w;
	__asm__ volatile("int $0x80" : "=a"(w) : "a"(243l), "b"(&d) : "memory", "r8", "r9", "r10", "r11");
	if (w) {
		out("set_thread_area %s", strerrorname_np((int)-w));
		finish();
	}
	unsigned long sel = d.entry_number * 8 + 3, v1 = 0, lim = 0, zf = 0;
	static unsigned long v2;
	static unsigned short gs_seen;
	out("entry %u: ", d.entry_number);
	TRY(0, __asm__ volatile("mov %%gs, %%ecx; mov %2, %%gs; mov %%gs:0, %0; mov %%ecx, %%gs"
				: "=r"(v1), "=m"(tls_target) : "r"(sel) : "rcx", "memory"));
	if (!fault_sig) {
		out(" value %s; ", v1 == tls_target ? "match" : "wrong");
		TRY(0, {
			__asm__ volatile("mov %0, %%gs" :: "r"(sel) : "memory");
			for (int i = 0; i < 200; i++)
				sched_yield();
			__asm__ volatile("mov %%gs:0, %0; mov %%gs, %1" : "=r"(v2), "=r"(gs_seen) : "m"(tls_target));
			__asm__ volatile("mov %0, %%gs" :: "r"(0ul) : "memory");
		});
		if (!fault_sig)
			out(" after-yields %s gs %s;", v2 == tls_target ? "match" : "wrong", gs_seen == sel ? "kept" : "other");
	}
	__asm__ volatile("lsl %2, %0; setz %b1" : "=r"(lim), "=q"(zf) : "r"(sel) : "cc");
	out(" lsl zf %lu limit %#lx", zf & 1, zf & 1 ? lim : 0);
	finish();
}

/* The vDSO's getcpu reads the CPU and node from the limit of a per-CPU
 * GDT entry (Linux's GDT_ENTRY_CPUNODE, 0x7b) with a user-mode lsl. */
static void probe_getcpu_lsl(void)
{
	drop_root();
	unsigned long lim = 0, zf = 0;
	__asm__ volatile("lsl %2, %0; setz %b1" : "=r"(lim), "=q"(zf) : "r"(0x7bul) : "cc");
	unsigned cpu = 99, node = 99;
	long r = syscall(SYS_getcpu, &cpu, &node, NULL);
	out("lsl zf %lu cpu %lu node %lu; getcpu %ld cpu %u node %u", zf & 1, zf & 1 ? lim & 0xfff : 0,
	    zf & 1 ? lim >> 12 : 0, r, cpu, node);
	finish();
}

/* ------------------------------------------------------------ address-space shapes */
/* 16 GiB PROT_READ|MAP_NORESERVE, one byte read every 2 MiB: 8192 shadow L1
 * tables, eight times the wedge's pool. */
static void probe_sparse(void)
{
	drop_root();
	const unsigned long size = 16ul << 30, step = 2ul << 20;
	volatile unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		out("mmap %s", strerrorname_np(errno));
		finish();
	}
	unsigned long sum = 0, n = 0;
	for (unsigned long o = 0; o < size; o += step, n++)
		sum += m[o] + m[o + 4096 * (n % 512)];
	/* the same again: every region was read, the shadows are gone by now */
	for (unsigned long o = 0; o < size; o += step)
		sum += m[o];
	out("regions %lu sum %lu", n, sum);
	finish();
}

/* The same with writes: every touched page a private copy, checked. */
static void probe_sparse_write(void)
{
	drop_root();
	const unsigned long size = 2ul << 30, step = 2ul << 20;
	volatile unsigned long *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		out("mmap %s", strerrorname_np(errno));
		finish();
	}
	unsigned long n = 0, bad = 0;
	for (unsigned long o = 0; o < size; o += step, n++)
		m[o / 8] = o ^ 0x5a5a5a5a;
	for (unsigned long o = 0; o < size; o += step)
		bad += m[o / 8] != (o ^ 0x5a5a5a5a);
	out("regions %lu wrong %lu", n, bad);
	finish();
}

/* 1,000 processes alive at once, each with pages spread over 64 MiB,
 * written with its own pattern and checked after all have written. */
static int many = 1000;   /* --many N */
static void probe_many(void)
{
	/* the default RLIMIT_NPROC follows the memory size (a 256 MiB guest
	 * allows about 800 per user): raised, as root may, before dropping it */
	struct rlimit rl = { .rlim_cur = 4 * (rlim_t)many, .rlim_max = 4 * (rlim_t)many };
	if (setrlimit(RLIMIT_NPROC, &rl))
		out("setrlimit %s ", strerrorname_np(errno));
	drop_root();
	int ready[2], go[2];
	if (pipe(ready) || pipe(go)) {
		out("pipe %s", strerrorname_np(errno));
		finish();
	}
	int started = 0, fork_err = 0;
	for (int i = 0; i < many; i++) {
		pid_t c = fork();
		if (c < 0) {
			fork_err = errno;
			break;
		}
		if (c == 0) {
			close(ready[0]);
			close(go[1]);
			const unsigned long span = 64ul << 20, step = 8ul << 20;
			volatile unsigned long *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
							 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(2);
			for (unsigned long o = 0; o < span; o += step)
				m[o / 8] = (unsigned long)i << 32 | o;
			char x = 1;
			if (write(ready[1], &x, 1) != 1)
				_exit(3);
			/* wait until every process has written: end of file */
			if (read(go[0], &x, 1) != 0)
				_exit(4);
			for (unsigned long o = 0; o < span; o += step)
				if (m[o / 8] != ((unsigned long)i << 32 | o))
					_exit(1);
			_exit(0);
		}
		started++;
	}
	close(ready[1]);
	close(go[0]);
	int ready_n = 0;
	char x;
	while (ready_n < started && read(ready[0], &x, 1) == 1)
		ready_n++;
	close(go[1]);
	int ok = 0, wrong = 0, other = 0, st;
	while (wait(&st) > 0) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			wrong++;
		else
			other++;
	}
	out("started %d%s%s alive-at-once %d ok %d wrong %d failed %d", started, fork_err ? " fork " : "",
	    fork_err ? strerrorname_np(fork_err) : "", ready_n, ok, wrong, other);
	finish();
}

/* mmap/munmap/mprotect churn: sizes from 4 KiB to 4 MiB, checked each time */
static void probe_churn(void)
{
	drop_root();
	unsigned long seed = 12345, bad = 0, n;
	for (n = 0; n < 3000; n++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		size_t size = (((seed >> 33) % 1024) + 1) * 4096;
		volatile unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			out("mmap %s at %lu", strerrorname_np(errno), n);
			finish();
		}
		m[0] = (unsigned char)n;
		m[size - 1] = (unsigned char)(n >> 8);
		m[size / 2] = 0x77;
		if (n % 3 == 0)
			mprotect((void *)m, size, PROT_READ);
		bad += m[0] != (unsigned char)n || m[size - 1] != (unsigned char)(n >> 8) || m[size / 2] != 0x77;
		munmap((void *)m, size);
	}
	out("maps %lu wrong %lu", n, bad);
	finish();
}

/* fork storm, bounded: 25 rounds of 8 children, each forking one
 * grandchild, all writing to their copies of the parent's memory (copy on
 * write) while the parent's stays as it was.  400 processes: each a new
 * address space for the wedge's shadow cache, without making `make check`
 * wait on 2,000 of them through the wedge under TCG. */
static void probe_forkstorm(void)
{
	drop_root();
	static unsigned long heapish[16384];
	for (unsigned i = 0; i < 16384; i++)
		heapish[i] = i;
	int ok = 0, bad = 0, err = 0;
	for (int round = 0; round < 25; round++) {
		for (int k = 0; k < 8; k++) {
			pid_t c = fork();
			if (c < 0) {
				err++;
				continue;
			}
			if (c == 0) {
				pid_t g = fork();
				int s = 0;
				for (unsigned i = 0; i < 16384; i += 512)
					s |= heapish[i] != i, heapish[i] = ~0ul;
				if (g > 0) {
					int gs;
					waitpid(g, &gs, 0);
					s |= !WIFEXITED(gs) || WEXITSTATUS(gs);
				}
				_exit(s);
			}
		}
		int st;
		while (wait(&st) > 0)
			(WIFEXITED(st) && !WEXITSTATUS(st)) ? ok++ : bad++;
	}
	unsigned changed = 0;
	for (unsigned i = 0; i < 16384; i++)
		changed += heapish[i] != i;
	out("children ok %d bad %d fork errors %d parent pages changed %u", ok, bad, err, changed);
	finish();
}

/* ------------------------------------------------------------ the suite */
static int nr_run;

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : p + l;
	}
	return false;
}

typedef void (*probe_fn)(long);
static void run(const char *name, void (*fn)(long), long arg)
{
	if (in_list(skip_list, name) || (only_list && !in_list(only_list, name)))
		return;
	say("run %s", name);
	nr_run++;
	pid_t c = fork();
	if (c < 0) {
		say("probe %s: fork %s", name, strerrorname_np(errno));
		return;
	}
	if (c == 0) {
		current_probe = name;
		line_len = 0;
		line[0] = 0;
		fn(arg);
		finish();
	}
	int st;
	if (waitpid(c, &st, 0) < 0)
		say("probe %s: waitpid %s", name, strerrorname_np(errno));
	else if (WIFSIGNALED(st))
		say("probe %s: killed by %s", name, sigabbrev_np(WTERMSIG(st)));
	else if (WEXITSTATUS(st))
		say("probe %s: exit %d", name, WEXITSTATUS(st));
}

static void p_iso_r(long i) { probe_isolation((unsigned)i, 'r'); }
static void p_iso_w(long i) { probe_isolation((unsigned)i, 'w'); }
static void p_iso_x(long i) { probe_isolation((unsigned)i, 'x'); }
static void p_forged(long i) { probe_forged((int)i); }
static void p_insn(long i) { probe_insn((unsigned)i); }
static void p_frame(long i) { probe_frame((int)i); }
static void p_iret(long i) { probe_iret_frame((int)i); }
static void p_compat(long i) { (void)i; probe_compat(); }
static void p_selectors(long i) { (void)i; probe_selectors(); }
static void p_ptrace(long i) { probe_ptrace_bp((int)i); }
static void p_perf(long i) { (void)i; probe_perf_bp(); }
static void p_tty(long i) { (void)i; probe_tty_loop(); }
static void p_rtc(long i) { (void)i; probe_rtc_set(); }
static void p_port(long i) { (void)i; probe_devport(); }
static void p_ldt(long i) { (void)i; probe_ldt(); }
static void p_tls(long i) { (void)i; probe_tls_gdt(); }
static void p_getcpu(long i) { (void)i; probe_getcpu_lsl(); }
static void p_sparse(long i) { (void)i; probe_sparse(); }
static void p_sparse_w(long i) { (void)i; probe_sparse_write(); }
static void p_many(long i) { (void)i; probe_many(); }
static void p_churn(long i) { (void)i; probe_churn(); }
static void p_fork(long i) { (void)i; probe_forkstorm(); }

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ktext"))
			ktext = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--kdata"))
			kdata = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--skip"))
			skip_list = argv[i + 1];
		else if (!strcmp(argv[i], "--only"))
			only_list = argv[i + 1];
		else if (!strcmp(argv[i], "--many"))
			many = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "hostile: unknown argument %s (expected --ktext, --kdata, --skip, --only, --many)\n",
				argv[i]);
			return 2;
		}
	}
	say("hostile: start");
	char name[64];
	static char names[NR_KADDR * 3 + NR_INSNS + 64][64];
	unsigned nn = 0;
#define NAME(...) (snprintf(name, sizeof(name), __VA_ARGS__), strcpy(names[nn], name), names[nn++])
	/* The classes that held before issue 26 first, then the shapes that
	 * stress the shadows, then the classes the emulation half of issue 26
	 * brings (a wedge without it ends the domain in one of these). */
	for (unsigned i = 0; i < NR_KADDR; i++) {
		run(NAME("read-%s", kernel_addrs[i].name), p_iso_r, i);
		run(NAME("write-%s", kernel_addrs[i].name), p_iso_w, i);
		run(NAME("exec-%s", kernel_addrs[i].name), p_iso_x, i);
	}
	static const char *forged[] = { "forged-slot-call", "forged-stub-jump", "forged-syscall-hot-rsp",
					"forged-syscall-number", "forged-xen-cpuid-prefix", "forged-int80-from-64bit" };
	for (unsigned i = 0; i < 6; i++)
		run(forged[i], p_forged, i);
	run("selectors", p_selectors, 0);
	for (unsigned i = 0; i < NR_INSNS; i++)
		if (insns[i].shows_desc != 1)
			run(NAME("insn-%s", insns[i].name), p_insn, i);
	run("iret-bad-cs", p_iret, 0);
	run("iret-null-ss", p_iret, 1);
	run("iret-data-cs", p_iret, 2);
	run("iret-rpl0-cs", p_iret, 3);
	run("sigreturn-bad-cs", p_frame, 3);
	run("sigreturn-data-cs", p_frame, 2);
	run("sigreturn-noncanonical-rip", p_frame, 6);
	run("sigreturn-kernel-rip", p_frame, 7);
	run("sigreturn-iopl3-if0", p_frame, 8);
	run("sigreturn-strict-null-ss", p_frame, 1);
	run("sigreturn-strict-bad-ss", p_frame, 4);
	run("sparse-16g-read", p_sparse, 0);
	run("sparse-2g-write", p_sparse_w, 0);
	run("many-processes", p_many, 0);
	run("mmap-munmap-churn", p_churn, 0);
	run("fork-storm", p_fork, 0);
	run("dev-port-absent", p_port, 0);
	run("modify-ldt", p_ldt, 0);
	run("tls-gdt-entry", p_tls, 0);
	run("getcpu-lsl", p_getcpu, 0);
	for (unsigned i = 0; i < NR_INSNS; i++)
		if (insns[i].shows_desc == 1)
			run(NAME("insn-%s", insns[i].name), p_insn, i);
	run("sigreturn-null-ss-lar", p_frame, 0);
	run("sigreturn-odd-ss-lar", p_frame, 5);
	run("compat-mode", p_compat, 0);
	run("tty-loopback", p_tty, 0);
	run("rtc-set", p_rtc, 0);
	run("ptrace-exec-breakpoint", p_ptrace, 0);
	run("ptrace-write-watchpoint", p_ptrace, 1);
	run("perf-breakpoint", p_perf, 0);
	say("hostile: done %d probes", nr_run);
	return 0;
}
