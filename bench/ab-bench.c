/*
 * ab-bench: lmbench-style operating-system micro-benchmarks.
 *
 * Follows lmbench's methods (not its code): each benchmark is a loop of
 * operations timed with a monotonic clock, the loop length calibrated so one
 * repetition lasts about -t milliseconds, and the result is the median of -n
 * repetitions with its spread.  Beside the times it records per-operation
 * counts of what the kernel did (context switches, interrupts/events, page
 * faults) from /proc and getrusage, because under QEMU TCG the times are noisy
 * while the counts are not.
 *
 * Built static (bench/build.mk) so it runs unchanged in a busybox initramfs,
 * in dom0 and in a PV domU.  Prints one JSON document (one result per line,
 * so it can also be cut out of a console log between the marker lines that
 * -m adds).  Progress goes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MARK_BEGIN "=== ab-bench json begin ==="
#define MARK_END   "=== ab-bench json end ==="
#define MAX_REPS   101
#define MB         (1024.0 * 1024.0)	/* lmbench's MB */

static struct options {
	int reps;		/* repetitions per benchmark (odd: a true median) */
	double target_ms;	/* wanted length of one repetition */
	long file_bytes;	/* file size for the re-read benchmarks */
	const char *dir;	/* where the scratch file lives */
	const char *config;	/* configuration name recorded in the output */
	const char *out;	/* output file, NULL for stdout */
	bool markers;		/* wrap the JSON in marker lines */
	bool xen_markers;	/* bracket each benchmark with traced marker faults */
	bool wedge;		/* bracket each benchmark with the wedge's counters */
	char **only;		/* benchmark names to run, NULL-terminated; NULL: all */
} opt = { .reps = 5, .target_ms = 50, .file_bytes = 4L << 20 };

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ab-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ------------------------------------------------------------ helpers */

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write(fd %d)", fd);
		p += n;
		len -= (size_t)n;
	}
}

static void read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read(fd %d)", fd);
		if (n == 0) {
			errno = 0;
			die("read(fd %d): peer closed the connection", fd);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* All processes of a benchmark share one CPU, so "context switch" means a
 * switch, not a wake-up on another CPU (lmbench leaves this to the
 * scheduler; on the 1-vCPU guests measured here it is the same). */
static void pin_to_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A busybox initramfs leaves the loopback interface down; the TCP benchmark
 * needs it up.  Needs root; elsewhere lo is normally up already. */
static void loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			fprintf(stderr, "ab-bench: cannot bring lo up: %s\n", strerror(errno));
	}
	close(s);
}

static pid_t child_pid = -1;

static void stop_child(void)
{
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = -1;
	}
}

/* Echo loop run by the partner process of the round-trip benchmarks. */
static void echo_forever(int in, int out, size_t msg)
{
	char buf[64];
	for (;;) {
		read_all(in, buf, msg);
		write_all(out, buf, msg);
	}
}

/* ------------------------------------------------------------ benchmarks */

struct bench {
	const char *name;	/* JSON key */
	const char *label;	/* table row, as in lmbench's summary */
	const char *unit;	/* "us" (latency) or "MB/s" (bandwidth) */
	void (*setup)(void);
	/* Runs ops operations and returns the elapsed nanoseconds. */
	double (*run)(long ops);
	void (*teardown)(void);
	bool bandwidth;		/* one op moves the whole file: report MB/s */
};

/* null syscall: getppid, which no libc caches (lat_syscall null). */
static double run_null_syscall(long ops)
{
	double t0 = now_ns();
	for (long i = 0; i < ops; i++)
		syscall(SYS_getppid);
	return now_ns() - t0;
}

/* Round trips over a pair of file descriptors to an echoing child. */
static int rt_out = -1, rt_in = -1;

static double run_round_trip(long ops)
{
	char c = 'x';
	double t0 = now_ns();
	for (long i = 0; i < ops; i++) {
		write_all(rt_out, &c, 1);
		read_all(rt_in, &c, 1);
	}
	return now_ns() - t0;
}

static void close_round_trip(void)
{
	stop_child();
	close(rt_out);
	if (rt_in != rt_out)
		close(rt_in);
	rt_out = rt_in = -1;
}

/* pipe latency: a one-byte token there and back through two pipes (lat_pipe). */
static void setup_pipe(void)
{
	int to_child[2], from_child[2];
	pin_to_one_cpu();
	if (pipe(to_child) || pipe(from_child))
		die("pipe");
	child_pid = fork();
	if (child_pid < 0)
		die("fork");
	if (child_pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		echo_forever(to_child[0], from_child[1], 1);
	}
	close(to_child[0]);
	close(from_child[1]);
	rt_out = to_child[1];
	rt_in = from_child[0];
}

/*
 * ctxsw 2p/0k (lat_ctx 0 2): two processes pass a token around a ring of
 * pipes; one hop costs a pipe write, a pipe read and a switch.  The same
 * write+read done by one process to itself (no switch) is measured in the
 * same repetition and subtracted, as lat_ctx does.
 */
static int self_pipe[2] = { -1, -1 };

static void setup_ctx(void)
{
	setup_pipe();
	if (pipe(self_pipe))
		die("pipe");
}

static double run_ctx(long ops)
{
	/* ops counts switches; a round trip is two. */
	long trips = ops / 2 > 0 ? ops / 2 : 1;
	char c = 'x';
	double t0 = now_ns();
	for (long i = 0; i < trips; i++) {
		write_all(rt_out, &c, 1);
		read_all(rt_in, &c, 1);
	}
	double ring = now_ns() - t0;
	t0 = now_ns();
	for (long i = 0; i < 2 * trips; i++) {
		write_all(self_pipe[1], &c, 1);
		read_all(self_pipe[0], &c, 1);
	}
	double overhead = now_ns() - t0;
	return (ring - overhead) * (double)ops / (2.0 * trips);
}

static void teardown_ctx(void)
{
	close_round_trip();
	close(self_pipe[0]);
	close(self_pipe[1]);
}

/* AF_UNIX latency: one byte there and back over a stream socketpair (lat_unix). */
static void setup_unix(void)
{
	int sv[2];
	pin_to_one_cpu();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	child_pid = fork();
	if (child_pid < 0)
		die("fork");
	if (child_pid == 0) {
		close(sv[0]);
		echo_forever(sv[1], sv[1], 1);
	}
	close(sv[1]);
	rt_out = rt_in = sv[0];
}

/* TCP latency: one byte there and back over loopback, Nagle off (lat_tcp). */
static void setup_tcp(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int one = 1;
	loopback_up();
	pin_to_one_cpu();
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0)
		die("socket(AF_INET)");
	if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, 1))
		die("bind/listen on 127.0.0.1");
	if (getsockname(listener, (struct sockaddr *)&addr, &len))
		die("getsockname");
	child_pid = fork();
	if (child_pid < 0)
		die("fork");
	if (child_pid == 0) {
		int s = accept(listener, NULL, NULL);
		if (s < 0)
			die("accept");
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		echo_forever(s, s, 1);
	}
	close(listener);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect to 127.0.0.1:%d", ntohs(addr.sin_port));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rt_out = rt_in = s;
}

/* fork+exit (lat_proc fork): the child exits at once, the parent reaps it. */
static double run_fork(long ops)
{
	double t0 = now_ns();
	for (long i = 0; i < ops; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	}
	return now_ns() - t0;
}

/* The scratch file of the re-read benchmarks, in the page cache. */
static char file_path[4096];
static int file_fd = -1;
static volatile uint64_t sink;

static uint64_t sum_words(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	for (size_t i = 0; i < len / sizeof(*w); i++)
		s += w[i];
	return s;
}

static void setup_file(void)
{
	static char buf[64 * 1024];
	snprintf(file_path, sizeof(file_path), "%s/ab-bench.%d", opt.dir, (int)getpid());
	file_fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file_fd < 0)
		die("create %s", file_path);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	for (long done = 0; done < opt.file_bytes; done += (long)sizeof(buf))
		write_all(file_fd, buf, sizeof(buf));
}

static void teardown_file(void)
{
	close(file_fd);
	unlink(file_path);
	file_fd = -1;
}

/* file re-read (bw_file_rd io_only): read() the cached file in 64 KB chunks
 * and sum its words. */
static double run_file_reread(long ops)
{
	static char buf[64 * 1024];
	double t0 = now_ns();
	for (long i = 0; i < ops; i++) {
		if (lseek(file_fd, 0, SEEK_SET) != 0)
			die("lseek");
		for (long done = 0; done < opt.file_bytes; done += (long)sizeof(buf)) {
			read_all(file_fd, buf, sizeof(buf));
			sink += sum_words(buf, sizeof(buf));
		}
	}
	return now_ns() - t0;
}

/* mmap re-read (bw_mmap_rd): map the cached file once, sum its words. */
static void *file_map;

static void setup_mmap(void)
{
	setup_file();
	file_map = mmap(NULL, (size_t)opt.file_bytes, PROT_READ, MAP_SHARED, file_fd, 0);
	if (file_map == MAP_FAILED)
		die("mmap %s", file_path);
}

static double run_mmap_reread(long ops)
{
	double t0 = now_ns();
	for (long i = 0; i < ops; i++)
		sink += sum_words(file_map, (size_t)opt.file_bytes);
	return now_ns() - t0;
}

static void teardown_mmap(void)
{
	munmap(file_map, (size_t)opt.file_bytes);
	teardown_file();
}

/*
 * page fault: first write to a fresh anonymous page.  Deviation from
 * lat_pagefault (which maps a cached file): since Linux's fault-around maps
 * up to 16 file pages per fault, a file touch is not one fault; an anonymous
 * write is exactly one (the pgfault count per op shows it), and it exercises
 * the page-table update path that virtualization makes expensive.  Only the
 * touches are timed, not mmap/munmap.
 */
#define FAULT_REGION_PAGES 256L

static double run_page_fault(long ops)
{
	long page = sysconf(_SC_PAGESIZE);
	double total = 0;
	for (long done = 0; done < ops;) {
		long n = ops - done < FAULT_REGION_PAGES ? ops - done : FAULT_REGION_PAGES;
		char *p = mmap(NULL, (size_t)(n * page), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap anonymous");
		madvise(p, (size_t)(n * page), MADV_NOHUGEPAGE);
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			p[i * page] = 1;
		total += now_ns() - t0;
		munmap(p, (size_t)(n * page));
		done += n;
	}
	return total;
}

static const struct bench benches[] = {
	{ "null_syscall", "null syscall", "us", NULL, run_null_syscall, NULL, false },
	{ "ctx_2p_0k", "ctxsw 2p/0k", "us", setup_ctx, run_ctx, teardown_ctx, false },
	{ "pipe_lat", "pipe", "us", setup_pipe, run_round_trip, close_round_trip, false },
	{ "unix_lat", "AF_UNIX", "us", setup_unix, run_round_trip, close_round_trip, false },
	{ "tcp_lat", "TCP", "us", setup_tcp, run_round_trip, close_round_trip, false },
	{ "file_reread", "file reread", "MB/s", setup_file, run_file_reread, teardown_file, true },
	{ "mmap_reread", "mmap reread", "MB/s", setup_mmap, run_mmap_reread, teardown_mmap, true },
	{ "fork_exit", "fork+exit", "us", NULL, run_fork, NULL, false },
	{ "page_fault", "page fault", "us", NULL, run_page_fault, NULL, false },
};
#define N_BENCHES (sizeof(benches) / sizeof(benches[0]))

/* ------------------------------------------------------------ counters */

/* System-wide kernel counters; a missing /proc leaves them unavailable. */
struct counters {
	bool have_stat, have_vmstat;
	double ctxt, intr, pgfault;
	double minflt;		/* this process and its reaped children */
};

static void read_counters(struct counters *c)
{
	char line[512];
	FILE *f;
	struct rusage self, kids;
	memset(c, 0, sizeof(*c));
	if ((f = fopen("/proc/stat", "r"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			if (sscanf(line, "ctxt %llu", &v) == 1)
				c->ctxt = (double)v, c->have_stat = true;
			else if (sscanf(line, "intr %llu", &v) == 1)
				c->intr = (double)v;
		}
		fclose(f);
	}
	if ((f = fopen("/proc/vmstat", "r"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			if (sscanf(line, "pgfault %llu", &v) == 1)
				c->pgfault = (double)v, c->have_vmstat = true;
		}
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	c->minflt = (double)(self.ru_minflt + kids.ru_minflt);
}

/* ------------------------------------------------------------ Xen markers */

/*
 * Under Xen, -x brackets the timed repetitions of each benchmark with marker
 * page faults: a read of XEN_MARKER_AREA + (index << 4 | phase), a page this
 * process reserved PROT_NONE.  Xen bounces every page fault of a PV guest to
 * its kernel and traces it with the faulting address (TRC_PV_PAGE_FAULT), so
 * bench/ab-xtcount, reading xentrace's stream in dom0, finds the markers and
 * counts the hypercalls and traps in between.  User space has no cheaper
 * traced event: hypercalls through /dev/xen/privcmd are refused in a domU.
 * The kernel answers with SIGSEGV, which the handler turns into a return.
 * Window XEN_MARKER_EMPTY, opened and closed at once, measures what the
 * markers themselves cost (signal delivery), so the report can subtract it.
 */
#define XEN_MARKER_AREA 0x0ab00000UL	/* | bench index << 4 | phase */
#define XEN_MARKER_BEGIN 1u
#define XEN_MARKER_END 2u
#define XEN_MARKER_EMPTY 0xffu	/* the index of the empty window */

static bool markers_ready;
static sigjmp_buf marker_jmp;

static void marker_fault(int sig)
{
	(void)sig;
	siglongjmp(marker_jmp, 1);
}

static void xen_marker(unsigned code)
{
	struct sigaction sa = { .sa_handler = marker_fault }, old;
	if (!markers_ready)
		return;
	sigaction(SIGSEGV, &sa, &old);
	if (!sigsetjmp(marker_jmp, 1))
		(void)*(volatile char *)(XEN_MARKER_AREA + code);
	sigaction(SIGSEGV, &old, NULL);
}

static void setup_markers(void)
{
	void *p = mmap((void *)XEN_MARKER_AREA, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)XEN_MARKER_AREA) {
		fprintf(stderr, "ab-bench: -x: cannot reserve the marker page at %#lx (%s): no markers\n",
			XEN_MARKER_AREA, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
		if (p != MAP_FAILED)
			munmap(p, 4096);
		return;
	}
	markers_ready = true;
	xen_marker(XEN_MARKER_EMPTY << 4 | XEN_MARKER_BEGIN);
	xen_marker(XEN_MARKER_EMPTY << 4 | XEN_MARKER_END);
}

/* ------------------------------------------------------------ wedge windows */

/*
 * Through the wedge, -w also brackets the timed repetitions of each
 * benchmark with the wedge's own counters: a byte written to I/O port 0xf5
 * (through /dev/port, so by the kernel's own annotated `out`) makes the
 * wedge print them on the console (wedge-xen/devices.c, docs/wedge.md).  A
 * line "AB-WEDGE-WINDOW CODE begin" goes first, "... end" after; bench/run
 * takes the difference of the two counter blocks between them.  The tag
 * line is drained first (tcdrain), so the UART's own emulations stay out of
 * the window.  Window XEN_MARKER_EMPTY measures the pokes themselves.
 * Never on bare QEMU: its isa-debug-exit device covers ports 0xf4-0xf7.
 */
static int wedge_fd = -1;

static void wedge_poke(void)
{
	char b = 0;
	if (pwrite(wedge_fd, &b, 1, 0xf5) != 1)
		die("-w: writing port 0xf5 through /dev/port");
}

static void wedge_window(unsigned code, unsigned phase)
{
	if (wedge_fd < 0)
		return;
	if (phase == XEN_MARKER_BEGIN) {
		fflush(stdout);
		fprintf(stderr, "AB-WEDGE-WINDOW %u begin\n", code);
		tcdrain(STDERR_FILENO);
		tcdrain(STDOUT_FILENO);
		wedge_poke();
	} else {
		wedge_poke();
		fprintf(stderr, "AB-WEDGE-WINDOW %u end\n", code);
	}
}

static void setup_wedge(void)
{
	wedge_fd = open("/dev/port", O_WRONLY);
	if (wedge_fd < 0)
		die("-w: cannot open /dev/port (the kernel needs CONFIG_DEVPORT)");
	wedge_window(XEN_MARKER_EMPTY << 4, XEN_MARKER_BEGIN);
	wedge_window(XEN_MARKER_EMPTY << 4, XEN_MARKER_END);
}

/* ------------------------------------------------------------ driver */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Doubles the loop length until one repetition lasts about target_ms. */
static long calibrate(const struct bench *b)
{
	double target = opt.target_ms * 1e6;
	long ops = 1;
	for (;;) {
		double t = b->run(ops);
		if (t >= target / 4 || ops >= (1L << 40)) {
			if (t <= 0)
				return ops;
			double want = (double)ops * target / t;
			return want < 1 ? 1 : (long)want;
		}
		ops *= 2;
	}
}

/* One JSON number; non-finite values (a broken clock) become null. */
static void json_num(FILE *f, double v)
{
	if (v != v || v > 1e300 || v < -1e300)
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static bool selected(const char *name)
{
	if (!opt.only)
		return true;
	for (char **p = opt.only; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

static void run_one(FILE *out, const struct bench *b, bool *first)
{
	unsigned marker = (unsigned)(b - benches) << 4;
	double value[MAX_REPS], sorted[MAX_REPS];
	struct counters before, after;
	long ops;

	if (b->setup)
		b->setup();
	b->run(1);		/* warm up: fault in code and data */
	ops = calibrate(b);
	read_counters(&before);
	xen_marker(marker | XEN_MARKER_BEGIN);
	wedge_window(marker, XEN_MARKER_BEGIN);
	for (int r = 0; r < opt.reps; r++) {
		double ns = b->run(ops);
		if (b->bandwidth)
			value[r] = (ns > 0) ? (double)ops * (double)opt.file_bytes / MB / (ns / 1e9) : 0;
		else
			value[r] = ns / 1e3 / (double)ops;
	}
	wedge_window(marker, XEN_MARKER_END);
	xen_marker(marker | XEN_MARKER_END);
	read_counters(&after);
	if (b->teardown)
		b->teardown();

	memcpy(sorted, value, sizeof(double) * (size_t)opt.reps);
	qsort(sorted, (size_t)opt.reps, sizeof(double), cmp_double);
	double median = opt.reps % 2 ? sorted[opt.reps / 2]
				     : (sorted[opt.reps / 2 - 1] + sorted[opt.reps / 2]) / 2;
	double lo = sorted[0], hi = sorted[opt.reps - 1];
	double total_ops = (double)ops * opt.reps;

	fprintf(stderr, "ab-bench: %-13s %10.3f %-4s (min %.3f, max %.3f, %ld ops x %d)\n",
		b->label, median, b->unit, lo, hi, ops, opt.reps);

	/* Whole lines, so progress on stderr never lands inside one. */
	fprintf(out, "%s{\"name\":\"%s\",\"label\":\"%s\",\"unit\":\"%s\",\"better\":\"%s\",\"median\":",
		*first ? "" : ",", b->name, b->label, b->unit, b->bandwidth ? "higher" : "lower");
	*first = false;
	json_num(out, median);
	fputs(",\"min\":", out);
	json_num(out, lo);
	fputs(",\"max\":", out);
	json_num(out, hi);
	fputs(",\"spread_pct\":", out);
	json_num(out, median != 0 ? (hi - lo) / median * 100 : 0);
	fprintf(out, ",\"ops_per_rep\":%ld,", ops);
	if (markers_ready)
		fprintf(out, "\"xen_marker\":%lu,", XEN_MARKER_AREA | marker);
	if (wedge_fd >= 0)
		fprintf(out, "\"wedge_window\":%u,", marker);
	fputs("\"reps\":[", out);
	for (int r = 0; r < opt.reps; r++) {
		if (r)
			fputc(',', out);
		json_num(out, value[r]);
	}
	fputs("],\"per_op\":{", out);
	bool sep = false;
	if (before.have_stat && after.have_stat) {
		fputs("\"ctxt\":", out);
		json_num(out, (after.ctxt - before.ctxt) / total_ops);
		fputs(",\"intr\":", out);
		json_num(out, (after.intr - before.intr) / total_ops);
		sep = true;
	}
	if (before.have_vmstat && after.have_vmstat) {
		fprintf(out, "%s\"pgfault\":", sep ? "," : "");
		json_num(out, (after.pgfault - before.pgfault) / total_ops);
		sep = true;
	}
	fprintf(out, "%s\"minflt\":", sep ? "," : "");
	json_num(out, (after.minflt - before.minflt) / total_ops);
	fputs("}}\n", out);
	fflush(out);
}

/* JSON string contents: the few characters that need escaping. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: ab-bench [-n REPS] [-t MS] [-s FILE_MB] [-d DIR] [-c CONFIG] [-o FILE] [-m] [-x] [-w] [-l] [-K] [BENCH...]\n"
		"  -n REPS     repetitions per benchmark, the median is reported (default 5, max %d)\n"
		"  -t MS       length of one repetition in milliseconds (default 50)\n"
		"  -s FILE_MB  size of the re-read file in MB (default 4)\n"
		"  -d DIR      directory for the scratch file (default $TMPDIR or /tmp)\n"
		"  -c CONFIG   configuration name to record in the output\n"
		"  -o FILE     write the JSON there instead of stdout\n"
		"  -m          put marker lines around the JSON (to cut it out of a console log)\n"
		"  -x          under Xen: bracket each benchmark with marker page faults for xentrace\n"
		"              (bench/ab-xtcount turns the trace into hypercall and trap counts)\n"
		"  -w          through the wedge only: bracket each benchmark with the wedge's\n"
		"              counters (port 0xf5 via /dev/port; bench/run takes the differences)\n"
		"  -l          list the benchmarks and exit\n"
		"  -K          print the TSC rate in kHz (against CLOCK_MONOTONIC_RAW) and exit\n",
		MAX_REPS);
	exit(status);
}

static long parse_number(const char *s, const char *what, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		errno = 0;
		die("%s: expected an integer from %ld to %ld, got '%s'", what, lo, hi, s);
	}
	return v;
}

/* The TSC's rate in kHz, against CLOCK_MONOTONIC_RAW over 3 x 100 ms (the
 * median).  bench/run gives it to the bench kernels under QEMU's real
 * clock, where TCG's PIT is too irregular for Linux to calibrate against:
 * QEMU's TCG TSC runs at the host's rate, and so does Xen's. */
static long tsc_khz(void)
{
	long khz[3];
	for (int i = 0; i < 3; i++) {
		struct timespec a, b;
		uint32_t lo, hi;
		clock_gettime(CLOCK_MONOTONIC_RAW, &a);
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		uint64_t t0 = (uint64_t)hi << 32 | lo;
		struct timespec d = { 0, 100 * 1000 * 1000 };
		nanosleep(&d, NULL);
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		uint64_t t1 = (uint64_t)hi << 32 | lo;
		double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
		khz[i] = (long)((double)(t1 - t0) / ns * 1e6 + 0.5);
	}
	long lo = khz[0] < khz[1] ? khz[0] : khz[1], hi = khz[0] < khz[1] ? khz[1] : khz[0];
	return khz[2] < lo ? lo : khz[2] > hi ? hi : khz[2];
}

int main(int argc, char **argv)
{
	int c;
	opt.dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	while ((c = getopt(argc, argv, "n:t:s:d:c:o:mxwlKh")) != -1) {
		switch (c) {
		case 'n': opt.reps = (int)parse_number(optarg, "-n", 1, MAX_REPS); break;
		case 't': opt.target_ms = (double)parse_number(optarg, "-t", 1, 60000); break;
		case 's': opt.file_bytes = parse_number(optarg, "-s", 1, 1024) << 20; break;
		case 'd': opt.dir = optarg; break;
		case 'c': opt.config = optarg; break;
		case 'o': opt.out = optarg; break;
		case 'm': opt.markers = true; break;
		case 'x': opt.xen_markers = true; break;
		case 'w': opt.wedge = true; break;
		case 'l':
			for (size_t i = 0; i < N_BENCHES; i++)
				printf("%-13s %-13s %s\n", benches[i].name, benches[i].label, benches[i].unit);
			return 0;
		case 'K':
			printf("%ld\n", tsc_khz());
			return 0;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind < argc) {
		opt.only = &argv[optind];
		for (char **p = opt.only; *p; p++) {
			size_t i;
			for (i = 0; i < N_BENCHES && strcmp(benches[i].name, *p); i++)
				;
			if (i == N_BENCHES) {
				errno = 0;
				die("unknown benchmark '%s' (ab-bench -l lists them)", *p);
			}
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.xen_markers)
		setup_markers();
	if (opt.wedge)
		setup_wedge();
	atexit(stop_child);

	FILE *out = stdout;
	if (opt.out && !(out = fopen(opt.out, "w")))
		die("cannot write %s", opt.out);

	struct utsname u;
	uname(&u);
	if (opt.markers)
		fprintf(out, "%s\n", MARK_BEGIN);
	fputs("{\"suite\":\"ab-bench\",\"format\":1,\"config\":", out);
	json_str(out, opt.config ? opt.config : "");
	fputs(",\"kernel\":", out);
	json_str(out, u.release);
	fputs(",\"machine\":", out);
	json_str(out, u.machine);
	fprintf(out, ",\"cpus\":%ld,\"reps\":%d,\"target_ms\":%g,\"file_mb\":%ld,\"xen_markers\":%s,",
		sysconf(_SC_NPROCESSORS_ONLN), opt.reps, opt.target_ms, opt.file_bytes >> 20,
		markers_ready ? "true" : "false");
	if (markers_ready)
		fprintf(out, "\"xen_marker_empty\":%lu,", XEN_MARKER_AREA | XEN_MARKER_EMPTY << 4);
	if (wedge_fd >= 0)
		fprintf(out, "\"wedge_window_empty\":%u,", XEN_MARKER_EMPTY << 4);
	fputs("\"results\":[\n", out);
	bool first = true;
	for (size_t i = 0; i < N_BENCHES; i++)
		if (selected(benches[i].name))
			run_one(out, &benches[i], &first);
	fputs("]}\n", out);
	if (opt.markers)
		fprintf(out, "%s\n", MARK_END);
	if (fflush(out) || (out != stdout && fclose(out))) {
		die("write %s", opt.out ? opt.out : "stdout");
	}
	return 0;
}
