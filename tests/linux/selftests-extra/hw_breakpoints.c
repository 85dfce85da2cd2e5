// SPDX-License-Identifier: GPL-2.0
/*
 * hw_breakpoints: every kind of x86 hardware breakpoint a Linux process can
 * set, through both interfaces Linux offers (issue 23, built into the
 * selftests run by tests/linux/build-selftests, 64-bit and 32-bit):
 *
 *  - ptrace: a tracer writes DR0-DR3 and DR7 of a traced child with
 *    PTRACE_POKEUSER (offsetof(struct user, u_debugreg[n])): write and
 *    read/write breakpoints of lengths 1, 2, 4 and 8 (one in each of
 *    DR0-DR3), then execute breakpoints in DR0-DR3; every SIGTRAP stop's
 *    DR6 (PTRACE_PEEKUSER u_debugreg[6]), si_code and, for execute
 *    breakpoints, the stopped instruction pointer are checked;
 *  - perf_event_open(PERF_TYPE_BREAKPOINT) on the process itself, counting:
 *    the same breakpoints in user mode, and in kernel mode a read/write
 *    breakpoint on a user buffer the kernel copies (write()/read() of a
 *    pipe) and an execute breakpoint on the kernel's getppid entry point
 *    (its address from /proc/kallsyms or /st/System.map; Linux refuses
 *    it without KPROBES, as on the test kernel: [SKIP], bare and through
 *    the wedge alike; the conformance guest's breakpoints group has
 *    kernel-mode execute breakpoints).
 *
 * Each access the program makes to a watched range is one instruction with
 * a known width, so the expected hit counts are exact: a write breakpoint
 * sees the two writes that overlap its range and not the read or the two
 * writes next to it; a read/write breakpoint also sees the read.
 * Prints [OK]/[FAIL]/[SKIP] lines like the suite; exits 1 on any [FAIL].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

static int nerrs;

#define OK(...)   printf("[OK]\t" __VA_ARGS__)
#define FAIL(...) (nerrs++, printf("[FAIL]\t" __VA_ARGS__))

/* The watched buffer: range i (length 1 << i) at buf + 16 * (i + 1). */
static unsigned char buf[128] __attribute__((aligned(64)));

static unsigned char *range(int i)
{
	return buf + 16 * (i + 1);
}

/* Accesses of exactly one instruction each. */
static void rd1(unsigned char *p)
{
	asm volatile("movb (%0), %%al" : : "r"(p) : "eax", "memory");
}

static void wr1(unsigned char *p)
{
	asm volatile("movb $1, (%0)" : : "r"(p) : "memory");
}

/* A write of the breakpoint's whole length (8 bytes: one movq on 64-bit,
 * an x87 fistpll on 32-bit, still one access). */
static void wr_len(unsigned char *p, int len)
{
	switch (len) {
	case 1: asm volatile("movb $2, (%0)" : : "r"(p) : "memory"); break;
	case 2: asm volatile("movw $2, (%0)" : : "r"(p) : "memory"); break;
	case 4: asm volatile("movl $2, (%0)" : : "r"(p) : "memory"); break;
#ifdef __x86_64__
	case 8: asm volatile("movq $2, (%0)" : : "r"(p) : "memory"); break;
#else
	case 8: asm volatile("fldz; fistpll (%0)" : : "r"(p) : "memory"); break;
#endif
	}
}

/* The script for one data breakpoint of length len at a (aligned to len):
 * a read inside (hits a read/write breakpoint only), a write of the last
 * byte (hits), writes of the bytes just after and just before (no hit),
 * a write of the whole length (hits), a read just after (no hit). */
static void data_script(int i)
{
	unsigned char *a = range(i);
	int len = 1 << i;
	rd1(a);
	wr1(a + len - 1);
	wr1(a + len);
	wr1(a - 1);
	wr_len(a, len);
	rd1(a + len);
}

static int data_hits(int rw)
{
	return rw ? 3 : 2;
}

/* Execute breakpoint targets: four separate functions. */
extern char xf0[], xf1[], xf2[], xf3[];
asm(".text\n"
    ".globl xf0, xf1, xf2, xf3\n"
    ".p2align 4\nxf0: nop\n ret\n"
    ".p2align 4\nxf1: nop\n ret\n"
    ".p2align 4\nxf2: nop\n ret\n"
    ".p2align 4\nxf3: nop\n ret\n");
static char *const xf[4] = { xf0, xf1, xf2, xf3 };

/* f0 twice, the others once. */
static const int exec_calls[4] = { 2, 1, 1, 1 };

static void exec_script(void)
{
	for (int i = 0; i < 4; i++)
		for (int n = 0; n < exec_calls[i]; n++)
			((void (*)(void))xf[i])();
}

static const char *const kind_name[] = { "write", "read/write", "execute" };

/* ---------------------------------------------------------------- ptrace */
#define DR_OFF(n) offsetof(struct user, u_debugreg[n])

static unsigned long dr7_len(int len)
{
	return len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 3 : 2;
}

static int poke_dr(pid_t child, int n, unsigned long v)
{
	if (ptrace(PTRACE_POKEUSER, child, (void *)DR_OFF(n), (void *)v) != 0) {
		FAIL("ptrace: POKEUSER DR%d = %#lx: %s\n", n, v, strerror(errno));
		return -1;
	}
	errno = 0;
	unsigned long got = (unsigned long)ptrace(PTRACE_PEEKUSER, child, (void *)DR_OFF(n), NULL);
	if (errno || got != v) {
		FAIL("ptrace: DR%d reads back %#lx, wrote %#lx\n", n, got, v);
		return -1;
	}
	return 0;
}

/* Sets DR0-DR3 for phase kind (0 write, 1 read/write, 2 execute) and DR7. */
static int ptrace_arm(pid_t child, int kind)
{
	unsigned long dr7 = 0;
	if (poke_dr(child, 7, 0))
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned long addr = kind == 2 ? (unsigned long)xf[i] : (unsigned long)range(i);
		if (poke_dr(child, i, addr))
			return -1;
		dr7 |= 1ul << (2 * i);   /* Li */
		if (kind != 2)
			dr7 |= ((kind ? 3ul : 1ul) | dr7_len(1 << i) << 2) << (16 + 4 * i);
	}
	return poke_dr(child, 7, dr7);
}

static unsigned long stopped_ip(pid_t child)
{
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, child, NULL, &r) != 0)
		return 0;
#ifdef __x86_64__
	return r.rip;
#else
	return r.eip;
#endif
}

/* Runs the child to its next SIGSTOP (or exit), tallying its SIGTRAP stops
 * per debug register; checks each stop's DR6, si_code and, for execute
 * breakpoints, that it stopped at the breakpoint's address. */
static int ptrace_phase(pid_t child, int kind, int hits[4])
{
	int status;
	memset(hits, 0, 4 * sizeof(int));
	if (ptrace(PTRACE_CONT, child, NULL, NULL) != 0) {
		FAIL("ptrace: PTRACE_CONT: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		if (waitpid(child, &status, 0) != child) {
			FAIL("ptrace: waitpid: %s\n", strerror(errno));
			return -1;
		}
		if (!WIFSTOPPED(status)) {
			FAIL("ptrace: the child ended (status %#x) during the %s phase\n", status, kind_name[kind]);
			return -1;
		}
		int sig = WSTOPSIG(status);
		if (sig == SIGSTOP)
			return 0;
		if (sig != SIGTRAP) {
			FAIL("ptrace: the child stopped with signal %d during the %s phase\n", sig, kind_name[kind]);
			ptrace(PTRACE_CONT, child, NULL, (void *)(long)sig);
			continue;
		}
		errno = 0;
		unsigned long dr6 = (unsigned long)ptrace(PTRACE_PEEKUSER, child, (void *)DR_OFF(6), NULL);
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		ptrace(PTRACE_GETSIGINFO, child, NULL, &si);
		unsigned long ip = stopped_ip(child);
		unsigned long b = dr6 & 0xf;
		int n = b == 1 ? 0 : b == 2 ? 1 : b == 4 ? 2 : b == 8 ? 3 : -1;
		if (n < 0 || (dr6 & ~0xful) != 0xffff0ff0ul || si.si_code != TRAP_HWBKPT) {
			FAIL("ptrace: %s phase: a SIGTRAP with DR6 %#lx, si_code %d at ip %#lx (expected one of B0-B3 over 0xffff0ff0, si_code TRAP_HWBKPT %d)\n",
			     kind_name[kind], dr6, si.si_code, ip, TRAP_HWBKPT);
		} else {
			hits[n]++;
			if (kind == 2 && ip != (unsigned long)xf[n])
				FAIL("ptrace: execute breakpoint in DR%d stopped at %#lx, not at its address %#lx\n",
				     n, ip, (unsigned long)xf[n]);
		}
		if (ptrace(PTRACE_CONT, child, NULL, NULL) != 0) {
			FAIL("ptrace: PTRACE_CONT: %s\n", strerror(errno));
			return -1;
		}
	}
}

static void ptrace_child(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
		_exit(2);
	raise(SIGSTOP);
	for (int i = 0; i < 4; i++)
		data_script(i);
	raise(SIGSTOP);
	for (int i = 0; i < 4; i++)
		data_script(i);
	raise(SIGSTOP);
	exec_script();
	raise(SIGSTOP);
	/* breakpoints off: the same accesses give no stop */
	for (int i = 0; i < 4; i++)
		data_script(i);
	exec_script();
	_exit(0);
}

static void test_ptrace(void)
{
	int status;
	pid_t child = fork();
	if (child < 0) {
		FAIL("fork: %s\n", strerror(errno));
		return;
	}
	if (child == 0)
		ptrace_child();
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
		FAIL("ptrace: the child did not stop for its tracer (status %#x)\n", status);
		return;
	}
	for (int kind = 0; kind < 3; kind++) {
		int hits[4];
		printf("[RUN]\tptrace: %s breakpoints in DR0-DR3 (POKEUSER)\n", kind_name[kind]);
		if (ptrace_arm(child, kind) || ptrace_phase(child, kind, hits)) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			return;
		}
		for (int i = 0; i < 4; i++) {
			int want = kind == 2 ? exec_calls[i] : data_hits(kind);
			if (kind == 2) {
				if (hits[i] == want)
					OK("ptrace: execute breakpoint in DR%d: %d stops with DR6.B%d at its address\n", i, hits[i], i);
				else
					FAIL("ptrace: execute breakpoint in DR%d: %d stops with DR6.B%d, expected %d\n", i, hits[i], i, want);
			} else if (hits[i] == want) {
				OK("ptrace: %s breakpoint of length %d in DR%d: %d stops with DR6.B%d\n", kind_name[kind], 1 << i, i, hits[i], i);
			} else {
				FAIL("ptrace: %s breakpoint of length %d in DR%d: %d stops with DR6.B%d, expected %d\n",
				     kind_name[kind], 1 << i, i, hits[i], i, want);
			}
		}
	}
	printf("[RUN]\tptrace: DR7 cleared\n");
	if (poke_dr(child, 7, 0) == 0 && ptrace(PTRACE_CONT, child, NULL, NULL) == 0) {
		if (waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			OK("ptrace: no stop after DR7 was cleared; the child exited 0\n");
		else
			FAIL("ptrace: after DR7 was cleared the child gave status %#x, not exit 0\n", status);
	} else {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
}

/* ---------------------------------------------------------------- perf_event_open */
static int bp_open(unsigned type, unsigned long long addr, unsigned len, int kernel)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.config = 0;
	a.bp_type = type;
	a.bp_addr = addr;
	a.bp_len = len;
	a.disabled = 1;
	a.exclude_kernel = !kernel;
	a.exclude_user = kernel;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long long bp_count(int fd)
{
	long long v = -1;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return v;
}

static void test_perf_user(int kind)
{
	int fd[4];
	printf("[RUN]\tperf_event_open: four user-mode %s breakpoints\n", kind_name[kind]);
	for (int i = 0; i < 4; i++) {
		unsigned type = kind == 0 ? HW_BREAKPOINT_W : kind == 1 ? HW_BREAKPOINT_RW : HW_BREAKPOINT_X;
		/* an execute breakpoint's length is the kernel's sizeof(long) */
		unsigned long addr = kind == 2 ? (unsigned long)xf[i] : (unsigned long)range(i);
		fd[i] = bp_open(type, addr, kind == 2 ? 8 : 1u << i, 0);
		if (fd[i] < 0) {
			FAIL("perf_event_open: %s breakpoint %d at %#lx: %s\n", kind_name[kind], i, addr, strerror(errno));
			while (i--)
				close(fd[i]);
			return;
		}
	}
	for (int i = 0; i < 4; i++)
		ioctl(fd[i], PERF_EVENT_IOC_ENABLE, 0);
	if (kind == 2) {
		exec_script();
	} else {
		for (int i = 0; i < 4; i++)
			data_script(i);
	}
	for (int i = 0; i < 4; i++)
		ioctl(fd[i], PERF_EVENT_IOC_DISABLE, 0);
	for (int i = 0; i < 4; i++) {
		long long got = bp_count(fd[i]);
		int want = kind == 2 ? exec_calls[i] : data_hits(kind);
		if (got == want)
			OK("perf_event_open: %s breakpoint %d (length %d): count %lld\n", kind_name[kind], i, kind == 2 ? 8 : 1 << i, got);
		else
			FAIL("perf_event_open: %s breakpoint %d (length %d): count %lld, expected %d\n",
			     kind_name[kind], i, kind == 2 ? 8 : 1 << i, got, want);
		close(fd[i]);
	}
}

/* A kernel-mode read/write breakpoint on a user buffer the kernel copies
 * from (write to a pipe) and to (read from it): the count is how many of
 * the copy's accesses overlap the 8 watched bytes, at least one each way. */
static void test_perf_kernel_data(void)
{
	int p[2];
	unsigned char *a = buf + 96;
	printf("[RUN]\tperf_event_open: kernel-mode read/write breakpoint on a user buffer\n");
	if (pipe(p)) {
		FAIL("pipe: %s\n", strerror(errno));
		return;
	}
	int fd = bp_open(HW_BREAKPOINT_RW, (unsigned long)a, 8, 1);
	if (fd < 0) {
		FAIL("perf_event_open: kernel-mode breakpoint at %#lx: %s\n", (unsigned long)a, strerror(errno));
		goto out;
	}
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	wr_len(a, 8);   /* user mode: not counted */
	if (write(p[1], a, 8) != 8)
		FAIL("write to the pipe: %s\n", strerror(errno));
	long long w = bp_count(fd);
	if (read(p[0], a, 8) != 8)
		FAIL("read from the pipe: %s\n", strerror(errno));
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	long long r = bp_count(fd) - w;
	if (w >= 1 && r >= 1)
		OK("perf_event_open: the kernel's copy from the buffer counted %lld, its copy to it %lld\n", w, r);
	else
		FAIL("perf_event_open: the kernel's copy from the buffer counted %lld, its copy to it %lld (expected at least 1 each)\n", w, r);
	close(fd);
out:
	close(p[0]);
	close(p[1]);
}

/* A kernel-mode execute breakpoint on the getppid system call's entry
 * point (from /proc/kallsyms): one hit per call. */
static void test_perf_kernel_exec(void)
{
#ifdef __x86_64__
	const char *sym = "__x64_sys_getppid";
#else
	const char *sym = "__ia32_sys_getppid";
#endif
	char line[256], name[200], t;
	unsigned long long addr = 0, v;   /* a 64-bit kernel's address, also in a 32-bit process */
	printf("[RUN]\tperf_event_open: kernel-mode execute breakpoint on %s\n", sym);
	/* a kernel without KALLSYMS (the test kernel): its System.map, which
	 * tests/wedge/selftests.slow.test puts next to the programs (the
	 * kernel is not relocatable, so its addresses hold) */
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f)
		f = fopen("/st/System.map", "r");
	if (!f) {
		printf("[SKIP]\tno /proc/kallsyms and no /st/System.map\n");
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %199s", &v, &t, name) == 3 && !strcmp(name, sym))
			addr = v;
	fclose(f);
	if (!addr) {
		printf("[SKIP]\t%s is not in the symbol table\n", sym);
		return;
	}
	int fd = bp_open(HW_BREAKPOINT_X, addr, 8, 1);
	if (fd < 0 && errno == EINVAL) {
		/* Linux takes kernel execute breakpoints only where kprobes
		 * could go: none on a kernel without KPROBES (the test kernel) */
		printf("[SKIP]\tthe kernel refuses an execute breakpoint on %s (EINVAL: no KPROBES)\n", sym);
		return;
	}
	if (fd < 0) {
		FAIL("perf_event_open: kernel-mode execute breakpoint on %s: %s\n", sym, strerror(errno));
		return;
	}
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	long long got = bp_count(fd);
	if (got == 3)
		OK("perf_event_open: execute breakpoint on %s: count 3 for 3 calls\n", sym);
	else
		FAIL("perf_event_open: execute breakpoint on %s: count %lld for 3 calls\n", sym, got);
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_ptrace();
	for (int kind = 0; kind < 3; kind++)
		test_perf_user(kind);
	test_perf_kernel_data();
	test_perf_kernel_exec();
	return nerrs ? 1 : 0;
}
