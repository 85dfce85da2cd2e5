// SPDX-License-Identifier: GPL-2.0
/*
 * string_io: user-mode ins/outs (rep too) on ports ioperm() opened, as
 * ioperm's and iopl's selftests do for in/out (issue 23, built into the
 * selftests run by tests/linux/build-selftests, 64-bit and 32-bit).
 * Checks what the instruction does to rcx/rsi/rdi (the data of port 0x80
 * is whatever the machine answers and is not compared), the direction
 * flag, a destination page the kernel has not populated yet (the #PF is
 * the kernel's to handle, then the instruction completes), a read-only
 * destination and an unmapped source part-way through a rep (SIGSEGV at
 * the first element that faults, with the count of the elements done),
 * and a port ioperm() closed again (SIGSEGV, #GP(0)).
 * Prints [OK]/[FAIL] lines like the suite; exits 1 on any [FAIL].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static int nerrs;

#define OK(...)   printf("[OK]\t" __VA_ARGS__)
#define FAIL(...) (nerrs++, printf("[FAIL]\t" __VA_ARGS__))

#ifdef __x86_64__
# define REG_CX REG_RCX
# define REG_SI REG_RSI
# define REG_DI REG_RDI
#else
# define REG_CX REG_ECX
# define REG_SI REG_ESI
# define REG_DI REG_EDI
#endif

static sigjmp_buf jmp;
static volatile unsigned long sig_addr, sig_cx, sig_si, sig_di;
static volatile int sig_code;

static void segv(int sig, siginfo_t *si, void *ctx_void)
{
	ucontext_t *ctx = ctx_void;
	(void)sig;
	sig_addr = (unsigned long)si->si_addr;
	sig_code = si->si_code;
	sig_cx = (unsigned long)ctx->uc_mcontext.gregs[REG_CX];
	sig_si = (unsigned long)ctx->uc_mcontext.gregs[REG_SI];
	sig_di = (unsigned long)ctx->uc_mcontext.gregs[REG_DI];
	siglongjmp(jmp, 1);
}

/* rep insb/insw/outsb of count elements; returns what rcx/rsi/rdi became */
struct res { unsigned long cx, p; };

static struct res rep_insb(void *dst, unsigned long n)
{
	asm volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x80) : "memory");
	return (struct res){ n, (unsigned long)dst };
}

static struct res rep_insw(void *dst, unsigned long n)
{
	asm volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(0x80) : "memory");
	return (struct res){ n, (unsigned long)dst };
}

static struct res rep_outsb(const void *src, unsigned long n)
{
	asm volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(0x80) : "memory");
	return (struct res){ n, (unsigned long)src };
}

static struct res std_rep_insb(void *dst, unsigned long n)
{
	asm volatile("std; rep insb; cld" : "+D"(dst), "+c"(n) : "d"(0x80) : "memory");
	return (struct res){ n, (unsigned long)dst };
}

/* r.p: how far the pointer moved (in the direction DF gives) */
static void expect(const char *what, struct res r, unsigned long cx, unsigned long moved)
{
	if (r.cx == cx && r.p == moved)
		OK("%s: count %lu, pointer moved by %lu\n", what, r.cx, r.p);
	else
		FAIL("%s: count %lu, pointer moved by %lu; expected %lu, %lu\n", what, r.cx, r.p, cx, moved);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long pg = sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL)) {
		FAIL("sigaction: %s\n", strerror(errno));
		return 1;
	}
	if (ioperm(0x80, 2, 1)) {
		FAIL("ioperm(0x80, 2, 1): %s\n", strerror(errno));
		return 1;
	}
	unsigned char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		FAIL("mmap: %s\n", strerror(errno));
		return 1;
	}
	static unsigned char src[64];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)i;

	printf("[RUN]\tports 0x80-0x81 opened with ioperm\n");
	struct res r = rep_outsb(src, 16);
	expect("rep outsb of 16 bytes", (struct res){ r.cx, r.p - (unsigned long)src }, 0, 16);
	/* m's first page is not populated yet: the kernel's #PF, then it completes */
	r = rep_insb(m + 8, 16);
	expect("rep insb of 16 bytes to a page not populated yet", (struct res){ r.cx, r.p - (unsigned long)m - 8 }, 0, 16);
	r = rep_insw(m + 64, 5);
	expect("rep insw of 5 words", (struct res){ r.cx, r.p - (unsigned long)m - 64 }, 0, 10);
	r = std_rep_insb(m + 200, 4);
	expect("std; rep insb of 4 bytes", (struct res){ r.cx, (unsigned long)m + 200 - r.p }, 0, 4);
	unsigned long flags;
	asm volatile("pushf; pop %0" : "=r"(flags));
	if (flags & 0x400)
		FAIL("DF is still set after cld\n");

	printf("[RUN]\trep insb across into a read-only page\n");
	if (mprotect(m + 2 * pg, pg, PROT_READ)) {
		FAIL("mprotect: %s\n", strerror(errno));
		return 1;
	}
	if (!sigsetjmp(jmp, 1)) {
		rep_insb(m + 2 * pg - 3, 10);
		FAIL("rep insb into a read-only page did not fault\n");
	} else if (sig_addr == (unsigned long)(m + 2 * pg) && sig_code == SEGV_ACCERR && sig_cx == 7 &&
		   sig_di == (unsigned long)(m + 2 * pg)) {
		OK("SIGSEGV (SEGV_ACCERR) at the read-only page after 3 of 10 bytes: count 7, rdi at the page\n");
	} else {
		FAIL("SIGSEGV code %d at %#lx, count %lu, rdi %#lx; expected SEGV_ACCERR at %#lx, count 7, rdi there\n",
		     sig_code, sig_addr, sig_cx, sig_di, (unsigned long)(m + 2 * pg));
	}

	printf("[RUN]\trep outsb across into an unmapped page\n");
	if (munmap(m + 3 * pg, pg)) {
		FAIL("munmap: %s\n", strerror(errno));
		return 1;
	}
	if (!sigsetjmp(jmp, 1)) {
		rep_outsb(m + 3 * pg - 2, 6);
		FAIL("rep outsb from an unmapped page did not fault\n");
	} else if (sig_addr == (unsigned long)(m + 3 * pg) && sig_code == SEGV_MAPERR && sig_cx == 4 &&
		   sig_si == (unsigned long)(m + 3 * pg)) {
		OK("SIGSEGV (SEGV_MAPERR) at the unmapped page after 2 of 6 bytes: count 4, rsi at the page\n");
	} else {
		FAIL("SIGSEGV code %d at %#lx, count %lu, rsi %#lx; expected SEGV_MAPERR at %#lx, count 4, rsi there\n",
		     sig_code, sig_addr, sig_cx, sig_si, (unsigned long)(m + 3 * pg));
	}

	printf("[RUN]\tports closed again with ioperm\n");
	if (ioperm(0x80, 2, 0)) {
		FAIL("ioperm(0x80, 2, 0): %s\n", strerror(errno));
		return 1;
	}
	if (!sigsetjmp(jmp, 1)) {
		rep_outsb(src, 4);
		FAIL("rep outsb to a closed port did not fault\n");
	} else if (sig_addr == 0 && sig_code == SI_KERNEL && sig_cx == 4 && sig_si == (unsigned long)src) {
		OK("SIGSEGV (#GP(0)) at rep outsb to a closed port, nothing done\n");
	} else {
		FAIL("SIGSEGV code %d at %#lx, count %lu, rsi %#lx; expected SI_KERNEL at 0, count 4, rsi unchanged\n",
		     sig_code, sig_addr, sig_cx, sig_si);
	}
	if (!sigsetjmp(jmp, 1)) {
		rep_insb(m, 4);
		FAIL("rep insb from a closed port did not fault\n");
	} else if (sig_addr == 0 && sig_code == SI_KERNEL && sig_cx == 4 && sig_di == (unsigned long)m) {
		OK("SIGSEGV (#GP(0)) at rep insb from a closed port, nothing done\n");
	} else {
		FAIL("SIGSEGV code %d at %#lx, count %lu, rdi %#lx; expected SI_KERNEL at 0, count 4, rdi unchanged\n",
		     sig_code, sig_addr, sig_cx, sig_di);
	}
	return nerrs ? 1 : 0;
}
