/* fpu-check: do a process's SSE registers survive syscalls and page faults?
 *
 * Freestanding (no libc): after each brk syscall it loads a pattern into
 * %xmm1 (movdqa), clears %xmm4 (pxor), and stores %xmm1 into the page the
 * syscall just added (the first touch: a page fault).  The stored bytes must
 * be the pattern.  Then it execs itself DEPTH times.  Under QEMU TCG, Xen's
 * lazy FPU switching for PV vCPUs loses such register writes now and then
 * (docs/harness.md, "FPU state"); ci/xen-run boots Xen with eager FPU.
 * Prints one line per bad store; exit status = number of bad stores.
 */
typedef unsigned long u64;

static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static void put(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	sys3(1, 1, (long)s, n);
}

static void hex(u64 v)
{
	char b[19] = "0x";
	for (int i = 0; i < 16; i++) {
		int d = (v >> (60 - 4 * i)) & 15;
		b[2 + i] = d < 10 ? '0' + d : 'a' + d - 10;
	}
	b[18] = 0;
	put(b);
}

static const u64 pattern[2] __attribute__((aligned(16))) = { 0x0123456789abcdefUL, 0xfedcba9876543210UL };

void __attribute__((noreturn, used)) fpu_check_main(u64 *sp)
{
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
	int bad = 0, depth = 0;
	u64 brk = (u64)sys3(12, 0, 0, 0);
	u64 page = (brk + 4095) & ~4095UL;

	for (int i = 0; i < 8; i++, page += 4096) {
		sys3(12, (long)(page + 4096), 0, 0);
		u64 *p = (u64 *)page;
		__asm__ volatile("movdqa %1, %%xmm1\n\t"
				 "pxor %%xmm4, %%xmm4\n\t"
				 "movdqa %%xmm1, %0"
				 : "=m"(*(u64 (*)[2])p) : "m"(pattern) : "xmm1", "xmm4");
		if (p[0] != pattern[0] || p[1] != pattern[1]) {
			put("AB-FPU-BAD stored ");
			hex(p[0]);
			put(" ");
			hex(p[1]);
			put("\n");
			bad++;
		}
	}
	if (argc > 1)
		for (const char *c = argv[1]; *c >= '0' && *c <= '9'; c++)
			depth = depth * 10 + (*c - '0');
	if (depth > 0 && !bad) {
		char d[12], t[12];
		int n = 0, x = depth - 1, k = 0;
		do
			t[n++] = '0' + x % 10;
		while (x /= 10);
		while (n)
			d[k++] = t[--n];
		d[k] = 0;
		char *nargv[] = { argv[0], d, 0 };
		sys3(59, (long)"/proc/self/exe", (long)nargv, (long)envp);
		put("AB-FPU-BAD exec failed\n");
		bad++;
	}
	sys3(60, bad, 0, 0);
	for (;;)
		;
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall fpu_check_main\n");
