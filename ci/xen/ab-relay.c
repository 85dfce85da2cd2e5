/*
 * ab-relay NAME LOG STATE [all]: dom0's relay of a domU console to the host
 * (ci/xen/dom0-init, ab_show).  Prints the lines of LOG (xenconsoled's
 * per-guest log) that STATE says were not printed yet, each as one
 * "[domu:NAME] line" write to stdout (dom0's console), and records in STATE
 * the byte offset and line count reached.  Only complete lines, unless
 * "all" (the end of a step): then the last partial line too, and
 * "AB-CONSOLE-LINES NAME N" with the number of lines relayed so far, which
 * the host compares with what arrived (console-loss).
 *
 * Why not sed: dom0 busybox processes of the relay were seen to die of a
 * general protection fault at a thread-local access in dom0 under Xen under
 * TCG, cutting the relay short (lost SSE state: docs/harness.md, "FPU
 * state"; fixed since by eager FPU).  This program
 * is freestanding: no libc, no TLS, no stack protector, so it never reads
 * %fs or SSE state (docs/harness.md, console-loss).
 * Built by ci/xen-run with gcc -nostdlib -static -ffreestanding.
 */
typedef unsigned long size_t;
typedef long ssize_t;

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_lseek 8
#define SYS_rename 82
#define SYS_exit 60
#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0100
#define O_TRUNC 01000
#define EINTR 4
#define EAGAIN 11

static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* every byte, whatever the console does (partial writes, EINTR, EAGAIN) */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		long r = sys3(SYS_write, fd, (long)p, (long)n);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void die(const char *what, const char *arg)
{
	static char msg[512];
	size_t n = 0;
	const char *parts[] = {"ab-relay: ", what, " ", arg, "\n"};
	for (unsigned i = 0; i < 5; i++)
		for (const char *s = parts[i]; *s && n < sizeof msg; s++)
			msg[n++] = *s;
	write_all(2, msg, n);
	sys3(SYS_exit, 2, 0, 0);
	__builtin_unreachable();
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static size_t put_num(char *out, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		out[i++] = tmp[--n];
	return i;
}

static int parse_num(const char *s, unsigned long *v)
{
	*v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		*v = *v * 10 + (unsigned long)(*s++ - '0');
	return 0;
}

static char buf[1 << 16];
static char out[(1 << 16) + 256];

static int relay(int argc, char **argv)
{
	if (argc < 4 || argc > 5 || (argc == 5 && !same(argv[4], "all")))
		die("usage:", "ab-relay NAME LOG STATE [all]");
	const char *name = argv[1], *log = argv[2], *state = argv[3];
	int all = argc == 5;
	unsigned long offset = 0, lines = 0;

	/* STATE: "OFFSET LINES" */
	long fd = sys3(SYS_open, (long)state, O_RDONLY, 0);
	if (fd >= 0) {
		char st[64];
		long n = sys3(SYS_read, fd, (long)st, sizeof st - 1);
		sys3(SYS_close, fd, 0, 0);
		if (n > 0) {
			st[n] = 0;
			char *sp = st;
			while (*sp && *sp != ' ')
				sp++;
			if (parse_num(st, &offset) || !*sp || parse_num(sp + 1, &lines))
				die("garbled state file", state);
		}
	}

	char prefix[160];
	size_t plen = 0;
	for (const char *s = "[domu:"; *s; s++)
		prefix[plen++] = *s;
	for (const char *s = name; *s && plen < 140; s++)
		prefix[plen++] = *s;
	prefix[plen++] = ']';
	prefix[plen++] = ' ';

	fd = sys3(SYS_open, (long)log, O_RDONLY, 0);
	if (fd >= 0) {
		/* the log only grows (xenconsoled appends) */
		if (sys3(SYS_lseek, fd, (long)offset, 0) < 0)
			die("cannot seek in", log);
		size_t have = 0;
		for (;;) {
			long n = sys3(SYS_read, fd, (long)(buf + have), (long)(sizeof buf - have));
			if (n == -EINTR)
				continue;
			if (n < 0)
				die("cannot read", log);
			int eof = n == 0;
			have += (size_t)n;
			size_t start = 0;
			for (size_t i = 0; i < have; i++) {
				/* a line longer than the buffer goes out in pieces */
				int full = i == have - 1 && have == sizeof buf;
				if (buf[i] != '\n' && !full && !(eof && all && i == have - 1))
					continue;
				size_t len = i - start + (buf[i] == '\n' ? 0 : 1), o = 0;
				for (size_t k = 0; k < plen; k++)
					out[o++] = prefix[k];
				for (size_t k = 0; k < len; k++)
					out[o++] = buf[start + k];
				out[o++] = '\n';
				if (write_all(1, out, o))
					die("cannot write the console for", name);
				lines++;
				offset += i + 1 - start;
				start = i + 1;
			}
			/* keep the partial line for the next read */
			for (size_t k = start; k < have; k++)
				buf[k - start] = buf[k];
			have -= start;
			if (eof)
				break;
		}
		sys3(SYS_close, fd, 0, 0);
	}
	if (all) {
		size_t o = 0;
		for (const char *s = "AB-CONSOLE-LINES "; *s; s++)
			out[o++] = *s;
		for (const char *s = name; *s && o < 200; s++)
			out[o++] = *s;
		out[o++] = ' ';
		o += put_num(out + o, lines);
		out[o++] = '\n';
		if (write_all(1, out, o))
			die("cannot write the console for", name);
	}

	static char tmpname[4096];
	size_t sl = slen(state);
	if (sl + 5 > sizeof tmpname)
		die("state path too long:", state);
	for (size_t k = 0; k < sl; k++)
		tmpname[k] = state[k];
	tmpname[sl] = '.', tmpname[sl + 1] = 't', tmpname[sl + 2] = 'm', tmpname[sl + 3] = 'p', tmpname[sl + 4] = 0;
	char st[64];
	size_t o = put_num(st, offset);
	st[o++] = ' ';
	o += put_num(st + o, lines);
	st[o++] = '\n';
	fd = sys3(SYS_open, (long)tmpname, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write_all((int)fd, st, o))
		die("cannot write", tmpname);
	sys3(SYS_close, fd, 0, 0);
	if (sys3(SYS_rename, (long)tmpname, (long)state, 0) < 0)
		die("cannot rename to", state);
	return 0;
}

/* the process entry: argc and argv on the stack, no libc to set them up */
__attribute__((used)) void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	sys3(SYS_exit, relay(argc, argv), 0, 0);
}

__asm__(".text\n.global _start\n_start:\n"
	"\txor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");

/* gcc may call these for struct copies or loops it recognises */
void *memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;
	if (dp < sp)
		while (n--)
			*dp++ = *sp++;
	else
		while (n--)
			dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	char *dp = d;
	while (n--)
		*dp++ = (char)c;
	return d;
}
