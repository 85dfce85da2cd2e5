/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The conformance guest: one check per sensitive-instruction class, one
 * line per check ("check <name>: PASS|FAIL"), then "Test result: SUCCESS"
 * or "FAILURE".  The same binary runs on bare QEMU (multiboot) and under
 * the wedge; the check lines must be identical on both, so they print no
 * values that differ between the two (those go to "info" lines).
 * Exit: a byte to the isa-debug-exit port 0xf4 (0 pass, 1 fail).
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define COM1 0x3f8

volatile u64 timer_ticks;
volatile u64 spurious_irqs, uart_irqs;
volatile u8 uart_last_iir;
volatile u64 ud_count, bp_count, soft_int_count, trap_frame_cs, trap_frame_flags;
static int failures;
static int on_xen;   /* under the wedge: it has a "print counters" port */

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void uart_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

static void puts_(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
}

static void put_hex(u64 v)
{
	char buf[19] = "0x";
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	buf[18] = 0;
	puts_(buf);
}

static void put_dec(u64 v)
{
	char buf[21];
	int n = 20;
	buf[n] = 0;
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(buf + n);
}

static void check(const char *name, int ok)
{
	puts_("check ");
	puts_(name);
	puts_(ok ? ": PASS\n" : ": FAIL\n");
	if (!ok)
		failures++;
}

static void info(const char *what, u64 v)
{
	puts_("info ");
	puts_(what);
	puts_(" ");
	put_hex(v);
	puts_("\n");
}

static void info_dec(const char *what, u64 v)
{
	puts_("info ");
	puts_(what);
	puts_(" ");
	put_dec(v);
	puts_("\n");
}

static __attribute__((noreturn)) void finish(void)
{
	if (on_xen)
		outb(0xf5, 0);   /* the wedge's "print counters" port (0xf5 ends a bare QEMU run) */
	puts_(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	outb(0xf4, failures ? 1 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void unexpected_exception(u64 vec, u64 *frame)
{
	info("unexpected exception", vec);
	info("  frame[0]", frame[0]);
	info("  frame[1]", frame[1]);
	failures++;
	finish();
}

static u64 read_flags(void)
{
	u64 f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* ---- descriptor tables ---- */
struct __attribute__((packed)) dtr { u16 limit; u64 base; };

static u64 gdt[12] __attribute__((aligned(16)));   /* 8-9: an LDT (group descriptors) */
static u64 idt[512] __attribute__((aligned(16)));   /* 256 x 16-byte gates */
static u8 tss[104] __attribute__((aligned(16)));

extern void reload_cs(u64 cs);
extern char irq0_entry[], irq4_entry[], irq7_entry[], ud_entry[], bp_entry[], soft_int_entry[];
#define EXC(n) extern char exc_entry_##n[];
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC(8) EXC(9)
EXC(10) EXC(11) EXC(12) EXC(13) EXC(14) EXC(15) EXC(16) EXC(17) EXC(18) EXC(19)

static void set_gate(unsigned vec, void *handler)
{
	u64 a = (u64)handler;
	idt[2 * vec] = (a & 0xffff) | (0x08ul << 16) | (0x8eul << 40) | ((a >> 16 & 0xffff) << 48);
	idt[2 * vec + 1] = a >> 32;
}

static void check_descriptor_tables(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffff;   /* 0x08 code64 */
	gdt[2] = 0x00cf92000000ffff;   /* 0x10 data */
	u64 tb = (u64)tss;
	gdt[3] = (sizeof(tss) - 1) | ((tb & 0xffffff) << 16) | (0x89ul << 40) | ((tb >> 24 & 0xff) << 56);
	gdt[4] = tb >> 32;             /* 0x18: 64-bit TSS, available */

	struct dtr g = { sizeof(gdt) - 1, (u64)gdt }, g2 = { 0, 0 };
	__asm__ volatile("lgdt %0" :: "m"(g));
	__asm__ volatile("sgdt %0" : "=m"(g2));
	check("gdt: lgdt then sgdt reads back base and limit", g2.base == g.base && g2.limit == g.limit);

	reload_cs(0x08);
	u16 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	check("segments: far return loads cs", cs == 0x08);

	u16 sel = 0x10, ds = 0, ss = 0, es = 0;
	__asm__ volatile("mov %3, %%ds; mov %3, %%es; mov %3, %%ss; mov %%ds, %0; mov %%es, %1; mov %%ss, %2"
			 : "=&r"(ds), "=&r"(es), "=&r"(ss) : "r"(sel));
	check("segments: mov to ds/es/ss reads back", ds == 0x10 && es == 0x10 && ss == 0x10);

	u16 tr = 0x18, tr2 = 0;
	__asm__ volatile("ltr %0" :: "r"(tr));
	__asm__ volatile("str %0" : "=r"(tr2));
	check("tr: ltr then str reads back", tr2 == 0x18);
	check("tr: ltr marks the TSS descriptor busy", ((gdt[3] >> 40) & 0xf) == 0xb);

	for (unsigned v = 0; v < 256; v++)
		idt[2 * v] = idt[2 * v + 1] = 0;
	void *exc[20] = { exc_entry_0, exc_entry_1, exc_entry_2, exc_entry_3, exc_entry_4,
			  exc_entry_5, exc_entry_6, exc_entry_7, exc_entry_8, exc_entry_9,
			  exc_entry_10, exc_entry_11, exc_entry_12, exc_entry_13, exc_entry_14,
			  exc_entry_15, exc_entry_16, exc_entry_17, exc_entry_18, exc_entry_19 };
	for (unsigned v = 0; v < 20; v++)
		set_gate(v, exc[v]);
	set_gate(3, bp_entry);
	set_gate(6, ud_entry);
	set_gate(0x30, soft_int_entry);
	set_gate(0x20, irq0_entry);
	set_gate(0x24, irq4_entry);
	set_gate(0x27, irq7_entry);
	struct dtr i = { sizeof(idt) - 1, (u64)idt }, i2 = { 0, 0 };
	__asm__ volatile("lidt %0" :: "m"(i));
	__asm__ volatile("sidt %0" : "=m"(i2));
	check("idt: lidt then sidt reads back base and limit", i2.base == i.base && i2.limit == i.limit);
}

/* ---- exceptions and software interrupts through the IDT ---- */
static void check_traps(void)
{
	__asm__ volatile("cli");
	__asm__ volatile("ud2" ::: "memory");
	check("exceptions: #UD reaches its IDT handler and resumes", ud_count == 1);
	check("exceptions: #UD frame has the loaded CS and IF clear",
	      trap_frame_cs == 0x08 && !(trap_frame_flags & 0x200));
	__asm__ volatile("int3" ::: "memory");
	check("exceptions: int3 reaches its IDT handler", bp_count == 1);
	__asm__ volatile("sti; int $0x30; cli" ::: "memory");
	check("int: software interrupt reaches its IDT handler", soft_int_count == 1);
	check("int: frame has the loaded CS and IF set", trap_frame_cs == 0x08 && (trap_frame_flags & 0x200));
}

/* ---- instructions the burner cannot see: the wedge's safety net ---- */
static void check_unannotated(void)
{
	u8 imr;
	/* `in $0x21, %al` spelled as bytes: not in the burner's .byte table. */
	__asm__ volatile(".byte 0xe4, 0x21" : "=a"(imr) :: "memory");
	check("safety net: unannotated in (as .byte) reads the PIC mask", imr == 0xff);
	__asm__ volatile("sti");
	__asm__ volatile(".byte 0xfa" ::: "memory");   /* cli, as data-looking bytes */
	check("safety net: unannotated cli (as .byte) clears IF", !(read_flags() & 0x200));
}

/* ---- paging: the guest's own page tables ---- */
static u64 pt_pml4[512] __attribute__((aligned(4096)));
static u64 pt_pdpt[512] __attribute__((aligned(4096)));
static u64 pt_pd[512] __attribute__((aligned(4096)));
static u64 pt_pt[512] __attribute__((aligned(4096)));
static u64 page_a[512] __attribute__((aligned(4096)));
static u64 page_b[512] __attribute__((aligned(4096)));

static void check_paging(void)
{
	u64 cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	/* Whatever the boot loader mapped for the first GiB stays; the second
	 * GiB gets one 4 KiB page, an alias of page_a. */
	const u64 *old_pml4 = (const u64 *)(cr3 & 0x000ffffffffff000ul);
	const u64 *old_pdpt = (const u64 *)(old_pml4[0] & 0x000ffffffffff000ul);
	pt_pdpt[0] = old_pdpt[0];
	pt_pdpt[1] = (u64)pt_pd | 3;
	pt_pd[0] = (u64)pt_pt | 3;
	pt_pt[0] = (u64)page_a | 3;
	pt_pml4[0] = (u64)pt_pdpt | 3;
	page_a[0] = 0x1111;
	page_b[0] = 0x2222;
	__asm__ volatile("mov %0, %%cr3" :: "r"((u64)pt_pml4) : "memory");
	volatile u64 *alias = (volatile u64 *)0x40000000ul;
	check("paging: cr3 to guest-built tables, a 4K alias reads its page", *alias == 0x1111);
	check("paging: a read sets the accessed bit, not the dirty bit", (pt_pt[0] & 0x60) == 0x20);
	*alias = 0x3333;
	check("paging: a write through the alias lands in the page", page_a[0] == 0x3333);
	check("paging: a write sets the dirty bit", pt_pt[0] & 0x40);
	pt_pt[0] = (u64)page_b | 3;
	__asm__ volatile("invlpg (%0)" :: "r"(alias) : "memory");
	check("paging: invlpg makes a changed PTE visible", *alias == 0x2222);
	__asm__ volatile("mov %0, %%cr3" :: "r"(cr3) : "memory");
	check("paging: back on the boot tables, the stack and data still work", page_b[0] == 0x2222);
}

/* ---- cpuid and MSRs ---- */
static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static void check_cpuid_msr(void)
{
	u32 a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	int printable = 1;
	u32 v[3] = { b, d, c };
	for (int i = 0; i < 12; i++) {
		u8 ch = (u8)(v[i / 4] >> (8 * (i % 4)));
		printable &= ch >= 0x20 && ch < 0x7f;
	}
	check("cpuid: leaf 0 gives a max leaf >= 1 and a printable vendor", a >= 1 && printable);
	cpuid(0x80000000, &a, &b, &c, &d);
	u32 ext = a;
	cpuid(0x80000001, &a, &b, &c, &d);
	check("cpuid: extended leaf reports long mode", ext >= 0x80000001 && (d >> 29 & 1));
	cpuid(1, &a, &b, &c, &d);
	check("cpuid: leaf 1 reports TSC and MSR", (d >> 4 & 1) && (d >> 5 & 1));
	cpuid(7, &a, &b, &c, &d);
	info("cpuid 7 ebx", b);
	cpuid(0x40000000, &a, &b, &c, &d);
	info("cpuid 0x40000000 ebx (hypervisor signature, none under the wedge)", b);

	u64 efer = rdmsr(0xc0000080);
	check("msr: EFER has LME and LMA", (efer & 0x500) == 0x500);
	wrmsr(0xc0000082, 0xffffffff81234560ul);
	check("msr: LSTAR write then read back", rdmsr(0xc0000082) == 0xffffffff81234560ul);
	wrmsr(0xc0000081, 0x0023001000000000ul);
	check("msr: STAR write then read back", rdmsr(0xc0000081) == 0x0023001000000000ul);
	wrmsr(0xc0000084, 0x47700);
	check("msr: SFMASK write then read back", rdmsr(0xc0000084) == 0x47700);

	static u64 gs_a = 0xaaaa, gs_b = 0xbbbb;
	wrmsr(0xc0000101, (u64)&gs_a);
	wrmsr(0xc0000102, (u64)&gs_b);
	u64 x, y;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(x));
	__asm__ volatile("swapgs; movq %%gs:0, %0; swapgs" : "=r"(y));
	check("swapgs: exchanges GS base and KERNEL_GS_BASE", x == 0xaaaa && y == 0xbbbb);
	check("msr: GS_BASE reads back after two swapgs", rdmsr(0xc0000101) == (u64)&gs_a);
}

/* ---- control registers ---- */
static void check_control_registers(void)
{
	u64 cr0, cr3, cr4, v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	check("cr0: PE and PG set", (cr0 & 0x80000001) == 0x80000001);
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0));
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	check("cr0: write then read back", v == cr0);
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %0, %%cr3" :: "r"(cr3) : "memory");
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	check("cr3: write then read back", v == cr3);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	check("cr4: PAE set", cr4 & 0x20);
	__asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	check("cr4: write then read back", v == cr4);
	__asm__ volatile("mov %0, %%cr2" :: "r"(0x1234000ul));
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	check("cr2: write then read back", v == 0x1234000ul);
}

/* ---- interrupt flag, PIC, PIT, hlt ---- */

static void pic_init(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);   /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 0x20); outb(0xa1, 0x28);   /* ICW2: vector bases */
	outb(0x21, 0x04); outb(0xa1, 0x02);   /* ICW3: slave on IRQ2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);   /* ICW4: 8086 mode */
	outb(0xa1, 0xff);
	outb(0x21, 0xff);                     /* all masked until the timer checks */
}

static void pit_periodic(u16 count)
{
	outb(0x43, 0x34);   /* channel 0, lo/hi, mode 2 */
	outb(0x40, (u8)count);
	outb(0x40, (u8)(count >> 8));
}

static u8 pic_irr(void)
{
	outb(0x20, 0x0a);
	return inb(0x20);
}

static void check_interrupts(void)
{
	__asm__ volatile("cli");
	check("if: cli clears IF as pushf sees it", !(read_flags() & 0x200));
	__asm__ volatile("sti");
	check("if: sti sets IF as pushf sees it", read_flags() & 0x200);
	__asm__ volatile("cli");
	u64 f = read_flags() | 0x200;
	__asm__ volatile("pushq %0; popfq" :: "r"(f) : "cc");
	int set = read_flags() & 0x200;
	f &= ~0x200ul;
	__asm__ volatile("pushq %0; popfq" :: "r"(f) : "cc");
	check("if: popf sets and clears IF", set && !(read_flags() & 0x200));

	timer_ticks = 0;
	pit_periodic(11932);   /* 100 Hz */
	outb(0x21, 0xfe);      /* only IRQ0 */

	/* Masked: the tick stays pending in the PIC, the handler does not run. */
	u64 i;
	for (i = 0; i < 100000000ul && !(pic_irr() & 1); i++)
		;
	check("pic: timer request pending in IRR while IF is clear", pic_irr() & 1);
	check("if: no interrupt taken while IF is clear", timer_ticks == 0);
	__asm__ volatile("sti; nop; cli");
	check("if: pending interrupt taken right after sti", timer_ticks >= 1);   /* a slow host may see the next tick too */

	__asm__ volatile("sti");
	for (i = 0; i < 1000000000ul && timer_ticks < 4; i++)
		__asm__ volatile("pause");
	check("pit: periodic timer interrupts reach the IDT handler", timer_ticks >= 4);

	u64 before = timer_ticks;
	__asm__ volatile("hlt");
	check("hlt: woken by the timer interrupt", timer_ticks > before);
	__asm__ volatile("cli");
	before = timer_ticks;
	__asm__ volatile("sti; hlt");
	check("hlt: sti; hlt wakes on the next timer interrupt", timer_ticks > before);
	__asm__ volatile("cli");
	outb(0x21, 0xff);
	info("spurious irqs", spurious_irqs);

	/* UART: enabling the THR-empty interrupt with THR empty raises IRQ4. */
	outb(COM1 + 4, 0x0b);   /* DTR, RTS, OUT2 (gates the IRQ line) */
	outb(COM1 + 1, 0x02);   /* ETBEI */
	outb(0x21, 0xef);       /* only IRQ4 */
	__asm__ volatile("sti");
	for (i = 0; i < 100000000ul && uart_irqs == 0; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(COM1 + 1, 0x00);
	outb(0x21, 0xff);
	check("uart: THR-empty interrupt reaches the IDT through IRQ4", uart_irqs >= 1);
	check("uart: IIR names THR empty as the cause", (uart_last_iir & 0x0f) == 0x02);
}

static void check_uart(void)
{
	outb(COM1 + 1, 0x00);   /* no UART interrupts */
	outb(COM1 + 3, 0x80);   /* DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8n1 */
	outb(COM1 + 2, 0x07);   /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);   /* DTR, RTS */
	outb(COM1 + 7, 0x5a);
	u8 scratch = inb(COM1 + 7);
	u8 lcr = inb(COM1 + 3);
	puts_("conformance guest: started\n");
	check("uart: scratch register and LCR read back", scratch == 0x5a && lcr == 0x03);
	check("uart: transmitter reports empty", inb(COM1 + 5) & 0x20);
}

/* ---- costs (info lines only: they differ between platforms) ---- */
static u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

#define COST(name, body) do { \
		u64 t0 = rdtsc(); \
		for (int k = 0; k < 1000; k++) { body; } \
		puts_("info cost " name ": "); \
		put_dec((rdtsc() - t0) / 1000); \
		puts_(" TSC cycles\n"); \
	} while (0)

static void measure_costs(void)
{
	u64 f;
	u32 a, b, c, d;
	COST("cli+sti", __asm__ volatile("cli; sti" ::: "memory"));
	COST("pushf+popf", __asm__ volatile("pushfq; popfq" ::: "memory", "cc"));
	COST("pushf+pop", __asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory"));
	COST("cpuid", cpuid(0, &a, &b, &c, &d));
	COST("in from the PIC mask", (void)inb(0x21));
	COST("rdmsr LSTAR", (void)rdmsr(0xc0000082));
	__asm__ volatile("cli");
	COST("rdtsc", (void)rdtsc());
	COST("in from port 0x61 with IF clear", (void)inb(0x61));
}

/* ======================================================================
 * The groups beyond "base" (selected by groups=a,b,... on the command
 * line, default all).  Each prints "group NAME" first, so that the test can
 * compare the checks of the groups that run under the wedge.
 * ====================================================================== */
enum {
	G_ASPACE = 1, G_PAGEFAULT = 2, G_USERMODE = 4, G_NESTED = 8, G_FPU = 16, G_STRESS = 32,
	G_EXCEPTIONS = 64, G_USERENTRY = 128, G_USERPROC = 256, G_SEGBASE = 512, G_PREEMPT = 1024,
	G_PTWALK = 2048, G_SIGSLEEP = 4096, G_MANYAS = 8192, G_FPUPREEMPT = 16384, G_USERTLB = 32768,
	G_IRQSWAPGS = 65536, G_DEBUG = 131072, G_SOFTINT = 262144, G_LRETUSER = 524288,
	G_DESCRIPTORS = 1 << 20, G_COMPAT = 1 << 21, G_DEVICES = 1 << 22, G_BREAKPOINTS = 1 << 23,
	G_FARINSN = 1 << 24, G_APIC = 1 << 25, G_ALL = (1 << 26) - 1,
};
static const char *const group_names[] = { "aspace", "pagefault", "usermode", "nested", "fpu", "stress",
					   "exceptions", "userentry", "userproc", "segbase", "preempt", "ptwalk",
					   "sigsleep", "manyas", "fpupreempt", "usertlb", "irqswapgs", "debug", "softint",
					   "lretuser", "descriptors", "compat", "devices", "breakpoints", "farinsn", "apic" };

static int word_is(const char *w, unsigned n, const char *name)
{
	unsigned i = 0;
	for (; i < n && name[i] && w[i] == name[i]; i++)
		;
	return i == n && !name[i];
}

/* "groups=aspace,fpu" anywhere in the command line; base always runs. */
static unsigned parse_groups(const char *cmdline)
{
	if (!cmdline)
		return G_ALL;
	const char *p = cmdline;
	for (; *p; p++)
		if ((p == cmdline || p[-1] == ' ') && word_is(p, 7, "groups="))
			break;
	if (!*p)
		return G_ALL;
	unsigned groups = 0;
	p += 7;
	while (*p && *p != ' ') {
		unsigned n = 0;
		while (p[n] && p[n] != ' ' && p[n] != ',')
			n++;
		int known = word_is(p, n, "base");
		if (word_is(p, n, "all"))
			groups = G_ALL, known = 1;
		for (unsigned g = 0; g < sizeof(group_names) / sizeof(group_names[0]); g++)
			if (word_is(p, n, group_names[g]))
				groups |= 1u << g, known = 1;
		if (!known) {
			puts_("info unknown group in groups=: ");
			for (unsigned i = 0; i < n; i++)
				uart_putc(p[i]);
			puts_("\n");
			failures++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return groups;
}

static u64 last_status;   /* of the last user program run, for failure details */

/* What every full entry (entry64.S) hands its C handler. */
struct frame {
	u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	u64 err, rip, cs, rflags, rsp, ss;
};

extern char nm_full_entry[], gp_full_entry[], pf_full_entry[];
extern char timer_full_entry[], int80_full_entry[], syscall_entry[];
extern char probe_read_insn[], probe_read_done[], probe_write_insn[], probe_write_done[];
extern char fpu_x87_insn[];
extern char user_text_start[], user_text_end[], user_main[];
extern char u_cli[], u_hlt[], u_mov_cr3[], u_in[], u_int30[], u_int40[], u_read[], u_write[], u_fpu[];
extern u64 kernel_stack_top;
extern u64 enter_user(u64 rip, u64 rsp, u64 arg0, u64 arg1, u64 arg2);
extern __attribute__((noreturn)) void user_exit(u64 status);
extern u64 probe_read(u64 addr);
extern void probe_write(u64 addr, u64 value);
extern u64 fpu_sse_add(u64 a, u64 b);
extern u64 fpu_x87_one_plus_one(void);
extern void fpu_set_xmm2(u64 v);
extern u64 fpu_get_xmm2(void);

#define PTE_P   0x1ul
#define PTE_W   0x2ul
#define PTE_U   0x4ul
#define PTE_A   0x20ul
#define PTE_D   0x40ul
#define PTE_PS  0x80ul
#define PTE_G   0x100ul
#define PTE_NX  (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

#define KTEST     0x10000000000ul   /* PML4 slot 2: supervisor test pages */
#define USER_BASE 0x8000000000ul    /* PML4 slot 1: the user program */
#define USER_DATA (USER_BASE + 0x100000)
#define USER_RO   (USER_BASE + 0x101000)
#define USER_NX   (USER_BASE + 0x102000)
#define USER_STACK_TOP (USER_BASE + 0x200000)
#define USER_PER_AS (USER_BASE + 0x300000)
#define USER_ABSENT (USER_BASE + 0x400000)

#define EXIT_GP 0x6e0d
#define EXIT_PF 0x6e0e

static u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static void invlpg(u64 va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static u16 read_cs(void) { u16 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static u16 read_ss(void) { u16 v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v; }
#define RD(a) (*(volatile u64 *)(a))

static void set_gate_dpl(unsigned vec, void *handler, unsigned dpl)
{
	set_gate(vec, handler);
	idt[2 * vec] |= (u64)dpl << 45;
}

static void unexpected_full(u64 vec, const struct frame *f)
{
	info("unexpected exception", vec);
	info("  error code", f->err);
	info("  rip", f->rip);
	info("  cs", f->cs);
	info("  rsp", f->rsp);
	if (vec == 14)
		info("  cr2", read_cr2());
	failures++;
	finish();
}

/* ---- page tables built by the guest ---- */
#define PT_POOL 160
static u64 pt_pool[PT_POOL][512] __attribute__((aligned(4096)));
static unsigned pt_used;
static u64 kernel_pdpt[512] __attribute__((aligned(4096)));
static u64 kernel_pd[512] __attribute__((aligned(4096)));

static u64 *pt_alloc(void)
{
	if (pt_used == PT_POOL) {
		puts_("info page-table pool exhausted\n");
		failures++;
		finish();
	}
	u64 *t = pt_pool[pt_used++];
	for (int i = 0; i < 512; i++)
		t[i] = 0;
	return t;
}

/* A new address space: the first GiB identity mapped, supervisor only,
 * with 2 MiB pages (shared tables), nothing else. */
static u64 *new_aspace(void)
{
	if (!kernel_pd[0]) {
		for (u64 i = 0; i < 512; i++)
			kernel_pd[i] = i << 21 | PTE_P | PTE_W | PTE_PS;
		kernel_pdpt[0] = (u64)kernel_pd | PTE_P | PTE_W | PTE_U;
	}
	u64 *pml4 = pt_alloc();
	pml4[0] = (u64)kernel_pdpt | PTE_P | PTE_W | PTE_U;
	return pml4;
}

/* The entry for va at level 1 (4 KiB) or 2 (2 MiB), creating the tables
 * above it (user accessible: the leaf decides). */
static u64 *pt_entry(u64 *pml4, u64 va, int level)
{
	u64 *t = pml4;
	for (int shift = 39; shift > 12 + 9 * (level - 1); shift -= 9) {
		u64 *e = &t[va >> shift & 511];
		if (!(*e & PTE_P))
			*e = (u64)pt_alloc() | PTE_P | PTE_W | PTE_U;
		t = (u64 *)(*e & PTE_ADDR);
	}
	return &t[va >> (12 + 9 * (level - 1)) & 511];
}

static void map4k(u64 *pml4, u64 va, u64 pa, u64 flags) { *pt_entry(pml4, va, 1) = pa | flags; }

/* ---- group aspace: several address spaces, cr3 and invlpg ---- */
static u64 as_frames[4][512] __attribute__((aligned(4096)));
static u64 shared_frame[512] __attribute__((aligned(4096)));
static u64 spare_frames[4][512] __attribute__((aligned(4096)));

/* An upper-half L4 slot mapped through one L3 table linked into several
 * address spaces, as an OS maps its kernel (the wedge shares the shadow of
 * such a slot between address spaces: mm.c).  Returns the cr3 writes. */
#define KHIGH 0xffff900000000000ul          /* PML4 slot 288 */
static u64 kh_frames[4][512] __attribute__((aligned(4096)));
static int khigh_readonly_after_invlpg(u64 *pml4, u64 *frame);

static u64 group_aspace_kernel_half(u64 **as)
{
	u64 writes = 0;
	unsigned slot = KHIGH >> 39 & 511;
	u64 *kl3 = pt_alloc();
	as[0][slot] = as[1][slot] = as[2][slot] = (u64)kl3 | PTE_P | PTE_W;
	for (int i = 0; i < 4; i++)
		kh_frames[i][0] = 0x4b00 + (u64)i;
	map4k(as[0], KHIGH, (u64)kh_frames[0], PTE_P | PTE_W);        /* in kl3's tree */
	map4k(as[0], KHIGH + 0x1000, (u64)kh_frames[1], PTE_P | PTE_W);
	write_cr3((u64)as[0]);
	int ok = RD(KHIGH) == 0x4b00 && RD(KHIGH + 0x1000) == 0x4b01;
	write_cr3((u64)as[1]);
	ok &= RD(KHIGH) == 0x4b00 && RD(KHIGH + 0x1000) == 0x4b01;
	RD(KHIGH + 8) = 0x77;
	write_cr3((u64)as[2]);
	ok &= RD(KHIGH + 8) == 0x77 && kh_frames[0][1] == 0x77;
	writes += 3;
	check("aspace: an upper-half table linked into three address spaces maps the same frames in each", ok);

	/* invlpg in one address space reaches the entry every one shares */
	*pt_entry(as[0], KHIGH, 1) = (u64)kh_frames[2] | PTE_P | PTE_W;
	invlpg(KHIGH);
	ok = RD(KHIGH) == 0x4b02;
	write_cr3((u64)as[1]);
	ok &= RD(KHIGH) == 0x4b02;
	writes++;
	check("aspace: invlpg of a PTE under a linked upper-half table is seen in the other address spaces", ok);

	/* non-global entries: a cr3 write flushes them, with no invlpg */
	*pt_entry(as[0], KHIGH + 0x1000, 1) = (u64)kh_frames[3] | PTE_P | PTE_W;
	write_cr3((u64)as[2]);
	ok = RD(KHIGH + 0x1000) == 0x4b03;
	*pt_entry(as[0], KHIGH + 0x1000, 1) = (u64)kh_frames[1] | PTE_P | PTE_W;
	write_cr3((u64)as[2]);
	ok &= RD(KHIGH + 0x1000) == 0x4b01;
	writes += 2;
	check("aspace: a changed non-global PTE under a linked upper-half table is seen after a cr3 write", ok);

	/* an address space whose L4 entry names another L3 for the slot */
	u64 *other_l3 = pt_alloc();
	as[3][slot] = (u64)other_l3 | PTE_P | PTE_W;
	map4k(as[3], KHIGH, (u64)kh_frames[1], PTE_P | PTE_W);
	write_cr3((u64)as[3]);
	ok = RD(KHIGH) == 0x4b01;
	write_cr3((u64)as[1]);
	ok &= RD(KHIGH) == 0x4b02;
	writes += 2;
	check("aspace: another L3 table in the same upper-half slot maps its own frames", ok);

	/* an address space's L4 entry repointed, then its cr3 written again */
	as[1][slot] = (u64)other_l3 | PTE_P | PTE_W;
	write_cr3((u64)as[1]);
	ok = RD(KHIGH) == 0x4b01;
	as[1][slot] = (u64)kl3 | PTE_P | PTE_W;
	write_cr3((u64)as[1]);
	ok &= RD(KHIGH) == 0x4b02;
	write_cr3((u64)as[0]);
	ok &= RD(KHIGH) == 0x4b02;
	writes += 3;
	check("aspace: an upper-half L4 entry repointed is seen after a cr3 write, both ways", ok);

	/* invlpg of a read-only entry the guest marked dirty: still read-only
	 * for the kernel with CR0.WP set (the wedge patches such an entry in
	 * the shared kernel half instead of clearing it) */
	ok = khigh_readonly_after_invlpg(as[0], kh_frames[3]);
	writes++;
	check("aspace: invlpg of a read-only dirty PTE under a linked upper-half table keeps it read-only (CR0.WP)",
	      ok);
	for (int i = 0; i < 4; i++)
		as[i][slot] = 0;
	return writes;
}

static void group_aspace(void)
{
	u64 boot_cr3 = read_cr3();
	u64 *as[4];
	u64 cr3_writes = 0;
	for (int i = 0; i < 4; i++) {
		as[i] = new_aspace();
		map4k(as[i], KTEST, (u64)as_frames[i], PTE_P | PTE_W);
		map4k(as[i], KTEST + 0x1000, (u64)shared_frame, PTE_P | PTE_W);
		as_frames[i][0] = 0x100 + (u64)i;
	}
	static const u8 order[] = { 0, 1, 2, 3, 0, 2, 1, 3, 3, 0, 1, 0, 1, 2, 0, 3, 2, 1 };
	int ok = 1;
	for (int round = 0; round < 16; round++)
		for (unsigned k = 0; k < sizeof(order); k++) {
			write_cr3((u64)as[order[k]]);
			cr3_writes++;
			ok &= RD(KTEST) == 0x100u + order[k];
		}
	check("aspace: one virtual page in four address spaces, each cr3 write shows its own frame", ok);

	write_cr3((u64)as[2]);
	RD(KTEST + 8) = 0xa2;
	write_cr3((u64)as[1]);
	ok = RD(KTEST + 8) == 0;
	write_cr3((u64)as[3]);
	ok &= RD(KTEST + 8) == 0;
	write_cr3((u64)as[2]);
	ok &= RD(KTEST + 8) == 0xa2 && as_frames[2][1] == 0xa2 && as_frames[1][1] == 0;
	cr3_writes += 4;
	check("aspace: a write in one address space lands in its frame only", ok);

	write_cr3((u64)as[0]);
	RD(KTEST + 0x1000) = 0x5a5a;
	write_cr3((u64)as[3]);
	ok = RD(KTEST + 0x1000) == 0x5a5a;
	cr3_writes += 2;
	check("aspace: a frame mapped in every address space shows the same data", ok);

	/* A PTE of address space 1 changed while address space 0 is loaded: the
	 * cr3 write back to 1 must show it (whatever was cached for 1). */
	spare_frames[0][0] = 0x777;
	write_cr3((u64)as[1]);
	ok = RD(KTEST) == 0x101;
	write_cr3((u64)as[0]);
	*pt_entry(as[1], KTEST, 1) = (u64)spare_frames[0] | PTE_P | PTE_W;
	write_cr3((u64)as[1]);
	ok &= RD(KTEST) == 0x777;
	cr3_writes += 3;
	check("aspace: a PTE changed while another address space was loaded is seen after switching back", ok);

	spare_frames[1][0] = 0x888;
	write_cr3((u64)as[3]);
	ok = RD(KTEST) == 0x103;
	*pt_entry(as[3], KTEST, 1) = (u64)spare_frames[1] | PTE_P | PTE_W;
	invlpg(KTEST);
	ok &= RD(KTEST) == 0x888;
	*pt_entry(as[3], KTEST, 1) = (u64)as_frames[3] | PTE_P | PTE_W;
	invlpg(KTEST);
	ok &= RD(KTEST) == 0x103;
	cr3_writes++;
	check("aspace: invlpg after PTE changes in the current address space", ok);

	/* A 2 MiB page over the frame of as_frames[0]: 4 KiB offsets inside it. */
	u64 pa = (u64)as_frames[0], base = pa & ~0x1ffffful;
	u64 big = KTEST + 0x40000000ul;
	u64 *pde = pt_entry(as[0], big, 2);
	*pde = base | PTE_P | PTE_W | PTE_PS;
	write_cr3((u64)as[0]);
	cr3_writes++;
	ok = RD(big + (pa - base)) == 0x100 && RD(big + ((u64)shared_frame - base)) == 0x5a5a &&
	     RD(big + ((u64)spare_frames[1] - base)) == 0x888;
	check("aspace: a 2 MiB mapping reads the frames at their offsets", ok);
	check("aspace: a read through the 2 MiB mapping sets its accessed bit, not the dirty bit",
	      (*pde & (PTE_A | PTE_D)) == PTE_A);
	RD(big + (pa - base) + 24) = 0xbeef;
	check("aspace: a write through the 2 MiB mapping lands and sets its dirty bit",
	      as_frames[0][3] == 0xbeef && (*pde & PTE_D));

	/* Global pages: CPUID.1:EDX.PGE decides whether the guest may use them. */
	u32 a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	info("aspace: cpuid 1 edx", d);
	if (d & (1u << 13)) {
		u64 cr4 = read_cr4();
		write_cr4(cr4 | 0x80);
		spare_frames[2][0] = 0x6161;
		spare_frames[3][0] = 0x6262;
		map4k(as[0], KTEST + 0x2000, (u64)spare_frames[2], PTE_P | PTE_W | PTE_G);
		map4k(as[1], KTEST + 0x2000, (u64)spare_frames[2], PTE_P | PTE_W | PTE_G);
		write_cr3((u64)as[0]);
		ok = RD(KTEST + 0x2000) == 0x6161;
		write_cr3((u64)as[1]);
		ok &= RD(KTEST + 0x2000) == 0x6161;
		*pt_entry(as[0], KTEST + 0x2000, 1) = (u64)spare_frames[3] | PTE_P | PTE_W | PTE_G;
		*pt_entry(as[1], KTEST + 0x2000, 1) = (u64)spare_frames[3] | PTE_P | PTE_W | PTE_G;
		write_cr4(cr4 & ~0x80ul);
		write_cr4(cr4 | 0x80);
		int flushed = RD(KTEST + 0x2000) == 0x6262;
		write_cr3((u64)as[0]);
		flushed &= RD(KTEST + 0x2000) == 0x6262;
		write_cr4(cr4);
		cr3_writes += 3;
		puts_("info aspace: global pages (CR4.PGE) checked\n");
		if (!ok || !flushed) {
			puts_("info aspace: global page check failed\n");
			failures++;
		}
	}
	cr3_writes += group_aspace_kernel_half(as);
	write_cr3(boot_cr3);
	cr3_writes++;
	check("aspace: back on the boot tables, the stack and data still work", as_frames[0][3] == 0xbeef);
	info("aspace cr3 writes", cr3_writes);
}

/* ---- the address space of the pagefault, usermode, nested and stress groups ---- */
static u64 *main_as;
static u64 *cur_pml4;
static u64 pf_rw_frame[512] __attribute__((aligned(4096)));
static u64 pf_ro_frame[512] __attribute__((aligned(4096)));
static u8 pf_code_frame[4096] __attribute__((aligned(4096)));
static u64 pf_demand_frame[512] __attribute__((aligned(4096)));
static u64 pf_cow_frame[512] __attribute__((aligned(4096)));
static u64 user_data[512] __attribute__((aligned(4096)));
static u64 user_ro[512] __attribute__((aligned(4096)));
static u64 per_as_frames[2][512] __attribute__((aligned(4096)));
static u8 user_stack[4][4096] __attribute__((aligned(4096)));
static u8 rsp0_stack[4 * 4096] __attribute__((aligned(4096)));
#define RSP0_TOP ((u64)rsp0_stack + sizeof(rsp0_stack))

/* The user program's mappings (same in every user address space but the
 * per-AS page). */
static void map_user(u64 *pml4, int as_id)
{
	for (u64 p = (u64)user_text_start; p < (u64)user_text_end; p += 4096)
		map4k(pml4, USER_BASE + (p - (u64)user_text_start), p, PTE_P | PTE_U);
	map4k(pml4, USER_DATA, (u64)user_data, PTE_P | PTE_W | PTE_U | PTE_NX);
	map4k(pml4, USER_RO, (u64)user_ro, PTE_P | PTE_U | PTE_NX);
	map4k(pml4, USER_NX, (u64)user_text_start, PTE_P | PTE_U | PTE_NX);
	for (u64 i = 0; i < 4; i++)
		map4k(pml4, USER_STACK_TOP - 0x4000 + i * 0x1000, (u64)user_stack[i], PTE_P | PTE_W | PTE_U | PTE_NX);
	map4k(pml4, USER_PER_AS, (u64)per_as_frames[as_id], PTE_P | PTE_W | PTE_U | PTE_NX);
	per_as_frames[as_id][0] = (u64)as_id;
}

static void enable_nx(void)
{
	wrmsr(0xc0000080, rdmsr(0xc0000080) | 0x800);   /* EFER.NXE */
}

static void use_main_as(void)
{
	if (!main_as) {
		main_as = new_aspace();
		map4k(main_as, KTEST, (u64)pf_rw_frame, PTE_P | PTE_W);
		map4k(main_as, KTEST + 0x1000, (u64)pf_ro_frame, PTE_P);
		*pt_entry(main_as, KTEST + 0x2000, 1) = 0;   /* not present */
		map4k(main_as, KTEST + 0x3000, (u64)pf_code_frame, PTE_P | PTE_W | PTE_NX);
		map4k(main_as, KTEST + 0x4000, (u64)pf_code_frame, PTE_P);
		map_user(main_as, 0);
	}
	enable_nx();
	write_cr3((u64)main_as);
	cur_pml4 = main_as;
}

/* ---- #PF, #GP, #NM, #UD handlers of the new groups ---- */
enum { ACT_NONE, ACT_SKIP, ACT_MAP, ACT_USER_EXIT, ACT_USER_FIX, ACT_NESTED, ACT_CLTS, ACT_SWITCH, ACT_LAZY };
static int user_pf_fix(u64 cr2, u64 err);
static volatile int pf_action, gp_action, nm_action;
static volatile u64 pf_count, pf_cr2, pf_err, pf_rip, pf_cs, pf_rsp, pf_frame, pf_in_gp;
static volatile u64 pf_fix_pa, pf_fix_flags, pf_int3_inside, pf_bp_seen;
static volatile u64 gp_count, gp_err, gp_rip, gp_cs, gp_ss, gp_rsp, gp_frame, gp_inner_result, gp_in;
static volatile u64 gp_resume;   /* a kernel #GP resumes there (once) */
static volatile u64 nm_count, nm_rip, nm_cs, nm_ss, nm_frame;
static u8 fx_area_a[512] __attribute__((aligned(16)));
static u8 fx_area_b[512] __attribute__((aligned(16)));

/* A probe that faulted resumes after its instruction; a call into a page
 * that cannot be fetched returns to its caller. */
static int skip_faulting(struct frame *f, u64 cr2)
{
	if (f->rip == (u64)probe_read_insn)
		f->rip = (u64)probe_read_done;
	else if (f->rip == (u64)probe_write_insn)
		f->rip = (u64)probe_write_done;
	else if (f->rip == cr2) {
		f->rip = *(u64 *)f->rsp;
		f->rsp += 8;
	} else
		return 0;
	return 1;
}

void pf_handler(struct frame *f)
{
	u64 cr2 = read_cr2();
	pf_count++;
	pf_cr2 = cr2;
	pf_err = f->err;
	pf_rip = f->rip;
	pf_cs = f->cs;
	pf_rsp = f->rsp;
	pf_frame = (u64)f;
	pf_in_gp = gp_in;
	if ((f->cs & 3) == 3) {
		if (pf_action == ACT_USER_FIX && user_pf_fix(cr2, f->err))
			return;   /* iretq restarts the instruction */
		if (pf_action == ACT_USER_EXIT || pf_action == ACT_USER_FIX)
			user_exit(EXIT_PF);
		unexpected_full(14, f);
	}
	if (pf_action == ACT_MAP && pf_count <= 3) {
		*pt_entry(cur_pml4, cr2, 1) = pf_fix_pa | pf_fix_flags;   /* no invlpg: a #PF flushes */
		return;
	}
	if (pf_action == ACT_SKIP || pf_action == ACT_MAP) {
		if (pf_int3_inside) {
			u64 before = bp_count;
			__asm__ volatile("int3" ::: "memory");
			pf_bp_seen = bp_count == before + 1;
		}
		if (skip_faulting(f, cr2))
			return;
	}
	unexpected_full(14, f);
}

void gp_handler(struct frame *f)
{
	gp_count++;
	gp_err = f->err;
	gp_rip = f->rip;
	gp_cs = f->cs;
	gp_ss = f->ss;
	gp_rsp = f->rsp;
	gp_frame = (u64)f;
	if ((f->cs & 3) == 3) {
		if (gp_action == ACT_USER_EXIT)
			user_exit(EXIT_GP);
		unexpected_full(13, f);
	}
	if (gp_action == ACT_NESTED && f->rip == (u64)probe_read_insn) {
		gp_in = 1;
		gp_inner_result = probe_read(KTEST + 0x2000);   /* not present: a #PF in here */
		gp_in = 0;
		f->rip = (u64)probe_read_done;
		return;
	}
	if (gp_resume) {
		f->rip = gp_resume;
		gp_resume = 0;
		return;
	}
	unexpected_full(13, f);
}

static void fxsave(u8 *area) { __asm__ volatile("fxsave64 %0" : "=m"(*(u8 (*)[512])area)); }
static void fxrstor(const u8 *area) { __asm__ volatile("fxrstor64 %0" :: "m"(*(const u8 (*)[512])area)); }

static volatile int fpu_owner;
static volatile u64 fpu_lazy_switches;
static u8 fx_proc[2][512] __attribute__((aligned(16)));
static int proc_cur;

void nm_handler(struct frame *f)
{
	if (nm_action == ACT_LAZY) {   /* lazy FPU switch between the preempt processes */
		__asm__ volatile("clts" ::: "memory");
		if (fpu_owner != proc_cur) {
			fxsave(fx_proc[fpu_owner]);
			fxrstor(fx_proc[proc_cur]);
			fpu_owner = proc_cur;
			fpu_lazy_switches++;
		}
		return;
	}
	nm_count++;
	nm_rip = f->rip;
	nm_cs = f->cs;
	nm_ss = f->ss;
	nm_frame = (u64)f;
	if (nm_count > 4)
		unexpected_full(7, f);
	if (nm_action == ACT_CLTS) {
		__asm__ volatile("clts" ::: "memory");
		return;
	}
	if (nm_action == ACT_SWITCH) {   /* lazy FPU switch: save the old owner, load the new */
		__asm__ volatile("clts" ::: "memory");
		fxsave(fx_area_a);
		fxrstor(fx_area_b);
		return;
	}
	unexpected_full(7, f);
}

/* ---- timer (IRQ0) for the new groups ---- */
enum { TIMER_COUNT, TIMER_UD, TIMER_CHAIN, TIMER_PREEMPT };
static void preempt_tick(struct frame *f);
static volatile int timer_mode;
static volatile u64 tm_ticks, tm_user_ticks, tm_bad_user_frames, tm_last_flags, tm_last_cs;
static volatile u64 tm_arms, tm_target, tm_doubled, tm_ud_ok;
static volatile u64 tm_in_syscall, tm_syscall_ticks_ok, tm_syscall_ticks_bad;

static void pit_oneshot(u16 count)
{
	outb(0x43, 0x30);   /* channel 0, lo/hi, mode 0: one edge when it reaches 0 */
	outb(0x40, (u8)count);
	outb(0x40, (u8)(count >> 8));
}

/* Stop channel 0 (mode 0 with no count: OUT stays low) and re-initialise
 * the PIC, which forgets a request latched while IRQ0 was masked: the exact
 * tick counts below must not see a stale one. */
static void timer_quiesce(void)
{
	outb(0x43, 0x30);
	pic_init();
}

static int on_rsp0_stack(const struct frame *f)
{
	return (u64)&f->ss == kernel_stack_top - 8;   /* = TSS.RSP0 */
}

static int user_frame_ok(const struct frame *f)
{
	return f->cs == 0x3b && f->ss == 0x33 && (f->rflags & 0x200) &&
	       f->rsp > USER_STACK_TOP - 0x4000 && f->rsp <= USER_STACK_TOP && on_rsp0_stack(f);
}

void timer_handler(struct frame *f)
{
	if (timer_mode == TIMER_PREEMPT) {
		preempt_tick(f);
		return;
	}
	tm_ticks++;
	tm_last_flags = f->rflags;
	tm_last_cs = f->cs;
	if ((f->cs & 3) == 3) {
		tm_user_ticks++;
		user_data[0] = tm_user_ticks;
		if (!user_frame_ok(f))
			tm_bad_user_frames++;
	} else if (tm_in_syscall) {
		/* nested in a syscall: kernel frame on the kernel stack below the syscall's */
		if (f->cs == 0x08 && (u64)f < kernel_stack_top - 8 * 22 && (u64)f > kernel_stack_top - 4096 &&
		    (f->rflags & 0x200))
			tm_syscall_ticks_ok++;
		else
			tm_syscall_ticks_bad++;
	}
	if (timer_mode == TIMER_UD) {
		u64 before = ud_count;
		__asm__ volatile("ud2" ::: "memory");   /* ud_entry records CS and RFLAGS, skips it */
		tm_ud_ok = ud_count == before + 1 && trap_frame_cs == 0x08 && !(trap_frame_flags & 0x200);
	}
	outb(0x20, 0x20);
	if (timer_mode == TIMER_CHAIN) {
		if (tm_ticks > tm_arms)
			tm_doubled++;
		if (tm_ticks < tm_target) {
			pit_oneshot(1193);   /* 1 ms */
			tm_arms++;
		}
	}
}

/* ---- system calls ---- */
enum { SYS_EXIT, SYS_ADD, SYS_CHECK, SYS_COPYIN, SYS_COPYOUT, SYS_SWITCH, SYS_PROBE, SYS_SEGS,
       SYS_RAISE, SYS_SIGRETURN, SYS_SLEEP, SYS_COMPAT };
static volatile u64 compat_reports[4], compat_cs[4], compat_nreports;
static u64 sigsleep_syscall(struct frame *f);
static u64 segs_syscall(struct frame *f);
static volatile u64 sys_add_syscall, sys_add_int80, sys_exit_count, sys_bad, int80_bad_frames;
static volatile u64 syscall_check_ok, int80_check_ok, copyin_ok, sys_switches;
static u64 *stress_as[2];
static int stress_cur;

static u64 do_syscall(struct frame *f, int via_int80)
{
	switch (f->rax) {
	case SYS_EXIT:
		sys_exit_count++;
		user_exit(f->rdi);
	case SYS_ADD:
		if (via_int80)
			sys_add_int80++;
		else
			sys_add_syscall++;
		return f->rdi + f->rsi;
	case SYS_CHECK: {
		/* rdi = the user's return address, rsi = its rsp */
		int ok = f->rip == f->rdi && f->rsp == f->rsi && (f->rflags & 0x202) == 0x202 &&
			 read_cs() == 0x08 && !(read_flags() & 0x200);
		if (via_int80)
			int80_check_ok = ok && f->cs == 0x3b && f->ss == 0x33 && on_rsp0_stack(f);
		else
			syscall_check_ok = ok && read_ss() == 0x10 && (u64)f > kernel_stack_top - 4096 &&
					   (u64)f < kernel_stack_top;
		return 0;
	}
	case SYS_COPYIN:
		copyin_ok = *(volatile u64 *)f->rdi == 0x3e2d336e6769722eul;
		return 0;
	case SYS_COPYOUT:
		*(volatile u64 *)f->rdi = 0x336e69722d3e306cul;
		return 0;
	case SYS_PROBE:   /* touch a user address the way copy_{from,to}_user does */
		if (f->rsi) {
			probe_write(f->rdi, 0x77);
			return 0;
		}
		return probe_read(f->rdi);
	case SYS_SEGS:
		return segs_syscall(f);
	case SYS_RAISE:
	case SYS_SIGRETURN:
	case SYS_SLEEP:
		return sigsleep_syscall(f);
	case SYS_COMPAT:   /* the compat program's report: ebx, and the frame's CS */
		if (compat_nreports < 4) {
			compat_reports[compat_nreports] = (u32)f->rbx;
			compat_cs[compat_nreports] = f->cs;
		}
		compat_nreports++;
		return 0;
	case SYS_SWITCH:
		stress_cur ^= 1;
		write_cr3((u64)stress_as[stress_cur]);
		cur_pml4 = stress_as[stress_cur];
		sys_switches++;
		return (u64)stress_cur;
	}
	sys_bad++;
	return (u64)-1;
}

void syscall_handler(struct frame *f)
{
	f->rax = do_syscall(f, 0);
}

static volatile u64 int80_bad_cs, int80_bad_ss, int80_bad_rflags, int80_bad_rsp, int80_bad_at;

void int80_handler(struct frame *f)
{
	if (!user_frame_ok(f)) {
		int80_bad_frames++;
		int80_bad_cs = f->cs;
		int80_bad_ss = f->ss;
		int80_bad_rflags = f->rflags;
		int80_bad_rsp = f->rsp;
		int80_bad_at = (u64)f;
	}
	f->rax = do_syscall(f, 1);
}

/* ---- user mode set-up ---- */
static void fpu_setup(void)
{
	write_cr4(read_cr4() | 0x600);                     /* OSFXSR, OSXMMEXCPT */
	write_cr0((read_cr0() | 0x22) & ~0xcul);           /* MP, NE; no EM, no TS */
	__asm__ volatile("fninit");
	set_gate(7, nm_full_entry);
}

static void usermode_setup(void)
{
	gdt[5] = 0x00cffa000000ffff;   /* 0x28: user code32 (STAR's sysret base) */
	gdt[6] = 0x00cff2000000ffff;   /* 0x30: user data (sysret SS 0x33) */
	gdt[7] = 0x00affa000000ffff;   /* 0x38: user code64 (sysret CS 0x3b) */
	struct dtr g = { sizeof(gdt) - 1, (u64)gdt };
	__asm__ volatile("lgdt %0" :: "m"(g));
	u64 rsp0 = RSP0_TOP;
	for (int i = 0; i < 8; i++)
		tss[4 + i] = (u8)(rsp0 >> (8 * i));   /* TSS.RSP0 */
	tss[102] = sizeof(tss);                      /* I/O bitmap beyond the limit: no port for ring 3 */
	tss[103] = 0;
	kernel_stack_top = rsp0;
	wrmsr(0xc0000080, rdmsr(0xc0000080) | 0x801);      /* EFER.SCE, NXE */
	wrmsr(0xc0000081, 0x002b000800000000ul);           /* STAR: sysret base 0x2b, syscall CS 0x08 */
	wrmsr(0xc0000082, (u64)syscall_entry);             /* LSTAR */
	wrmsr(0xc0000084, 0x47700);                        /* SFMASK: TF DF IF IOPL NT AC */
	set_gate(13, gp_full_entry);
	set_gate(14, pf_full_entry);
	set_gate(0x20, timer_full_entry);
	set_gate_dpl(0x80, int80_full_entry, 3);
	fpu_setup();
	use_main_as();
}

static u64 run_user(u64 mode, u64 arg)
{
	return enter_user(USER_BASE + ((u64)user_main - (u64)user_text_start), USER_STACK_TOP, mode, arg, USER_DATA);
}

static u64 user_va(const char *sym)
{
	return USER_BASE + ((u64)sym - (u64)user_text_start);
}

/* ---- group pagefault (kernel mode) ---- */
static void pf_expect(int action)
{
	pf_action = action;
	pf_count = pf_cr2 = pf_err = pf_rip = 0;
}

/* KHIGH + 0x2000 mapped read-only (accessed, dirty) to frame in pml4's
 * upper-half tree: read, invlpg, then a kernel write with CR0.WP must
 * fault with error code 0x3 and leave the frame unchanged. */
static int khigh_readonly_after_invlpg(u64 *pml4, u64 *frame)
{
	u64 va = KHIGH + 0x2000, cr0 = read_cr0();
	set_gate(14, pf_full_entry);
	write_cr0(cr0 | 0x10000);
	frame[0] = 0x4b5a;
	frame[1] = 0;
	map4k(pml4, va, (u64)frame, PTE_P | PTE_A | PTE_D);
	write_cr3((u64)pml4);
	int ok = RD(va) == 0x4b5a;
	invlpg(va);
	pf_expect(ACT_SKIP);
	probe_write(va + 8, 0xbad);
	ok &= pf_count == 1 && pf_cr2 == va + 8 && pf_err == 0x3 && frame[1] == 0;
	pf_expect(ACT_NONE);
	*pt_entry(pml4, va, 1) = 0;
	invlpg(va);
	write_cr0(cr0);
	return ok;
}

static void group_pagefault(void)
{
	set_gate(14, pf_full_entry);
	use_main_as();
	write_cr0(read_cr0() | 0x10000);   /* CR0.WP: supervisor writes honour R/W */
	u64 np = KTEST + 0x2000;

	pf_expect(ACT_SKIP);
	u64 v = probe_read(np);
	check("pagefault: read of a not-present page: #PF, cr2, error code 0, rip = the instruction",
	      pf_count == 1 && v == (u64)-1 && pf_cr2 == np && pf_err == 0 &&
	      pf_rip == (u64)probe_read_insn && pf_cs == 0x08);
	pf_expect(ACT_SKIP);
	probe_write(np + 8, 1);
	check("pagefault: write to a not-present page: error code 0x2",
	      pf_count == 1 && pf_cr2 == np + 8 && pf_err == 0x2 && pf_rip == (u64)probe_write_insn);

	pf_ro_frame[0] = 0x5150;
	pf_expect(ACT_SKIP);
	v = probe_read(KTEST + 0x1000);
	check("pagefault: read of a read-only page works", pf_count == 0 && v == 0x5150);
	probe_write(KTEST + 0x1010, 0xbad);
	check("pagefault: kernel write to a read-only page with CR0.WP set: error code 0x3, page unchanged",
	      pf_count == 1 && pf_cr2 == KTEST + 0x1010 && pf_err == 0x3 && pf_ro_frame[2] == 0);

	/* mov $0x42, %eax ; ret */
	static const u8 code[] = { 0xb8, 0x42, 0, 0, 0, 0xc3 };
	for (unsigned i = 0; i < sizeof(code); i++)
		pf_code_frame[i] = code[i];
	pf_expect(ACT_SKIP);
	u64 r = ((u64 (*)(void))(KTEST + 0x4000))();
	check("pagefault: code runs through an executable mapping", pf_count == 0 && (u32)r == 0x42);
	r = ((u64 (*)(void))(KTEST + 0x3000))();
	check("pagefault: instruction fetch from an NX page (EFER.NXE): error code 0x11, cr2 = rip = the page",
	      pf_count == 1 && pf_err == 0x11 && pf_cr2 == KTEST + 0x3000 && pf_rip == KTEST + 0x3000);
	pf_expect(ACT_SKIP);
	v = probe_read(KTEST + 0x3000);
	check("pagefault: an NX page is still readable as data", pf_count == 0 && (u8)v == 0xb8);

	/* Demand paging: the handler maps the page and the read restarts. */
	pf_demand_frame[1] = 0xd00d;
	u64 dva = KTEST + 0x5000;
	pf_fix_pa = (u64)pf_demand_frame;
	pf_fix_flags = PTE_P | PTE_W;
	pf_expect(ACT_MAP);
	v = probe_read(dva + 8);
	check("pagefault: a not-present fault fixed by the handler restarts the read, which completes",
	      pf_count == 1 && pf_cr2 == dva + 8 && pf_err == 0 && v == 0xd00d);

	/* Write protection lifted by the handler (copy-on-write style). */
	u64 cva = KTEST + 0x6000;
	map4k(main_as, cva, (u64)pf_cow_frame, PTE_P);
	invlpg(cva);
	v = probe_read(cva);
	pf_fix_pa = (u64)pf_cow_frame;
	pf_fix_flags = PTE_P | PTE_W;
	pf_expect(ACT_MAP);
	probe_write(cva + 16, 0xc0c0);
	check("pagefault: a write-protect fault fixed by the handler restarts the write, which lands",
	      pf_count == 1 && pf_cr2 == cva + 16 && pf_err == 0x3 && pf_cow_frame[2] == 0xc0c0);

	/* Unmapping: PTE cleared and invlpg, then the page faults. */
	*pt_entry(main_as, dva, 1) = 0;
	invlpg(dva);
	pf_expect(ACT_SKIP);
	v = probe_read(dva + 8);
	check("pagefault: a page unmapped with invlpg faults again", pf_count == 1 && pf_cr2 == dva + 8 && v == (u64)-1);
	pf_expect(ACT_NONE);
}

/* ---- group usermode ---- */
static int gp_stopped(u64 status, const char *insn, u64 err)
{
	/* The IDT error code of a gate-DPL #GP: QEMU 7.2 gives vector*16+2 where
	 * the SDM says vector*8+2; check only the IDT and EXT bits. */
	u64 mask = err & 2 ? 3 : ~0ul;
	return status == EXIT_GP && gp_count == 1 && (gp_err & mask) == err && gp_rip == user_va(insn) &&
	       gp_cs == 0x3b && gp_ss == 0x33 && gp_rsp == USER_STACK_TOP && gp_frame + 8 * 15 + 8 * 5 == RSP0_TOP - 8;
}

static void reset_gp(void) { gp_count = gp_err = gp_rip = gp_cs = gp_ss = gp_rsp = gp_frame = 0; }

static int pf_stopped(u64 status, u64 rip, u64 cr2, u64 err)
{
	return status == EXIT_PF && pf_count == 1 && pf_cr2 == cr2 && pf_err == err && pf_rip == rip &&
	       pf_cs == 0x3b && pf_rsp == USER_STACK_TOP && pf_frame + 8 * 15 + 8 * 5 == RSP0_TOP - 8;
}

static void group_usermode(void)
{
	usermode_setup();
	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_EXIT;

	u64 status = run_user(1, 100);
	last_status = status;
	check("usermode: iretq to ring 3 runs the program until its exit syscall", sys_exit_count == 1 && status == 0);
	check("usermode: 100 syscall/sysretq and 100 int $0x80 round trips pass values both ways",
	      sys_add_syscall == 100 && sys_add_int80 == 100 && sys_bad == 0 && status == 0);
	check("usermode: syscall enters LSTAR with CS/SS from STAR, IF masked by SFMASK, rcx/r11 = user rip/rflags",
	      syscall_check_ok);
	check("usermode: int $0x80 (DPL-3 gate) frame: user rip, rsp, CS 0x3b, SS 0x33, at TSS.RSP0, IF clear",
	      int80_check_ok && int80_bad_frames == 0);
	check("usermode: the kernel reads and writes the user program's pages", copyin_ok && status == 0);
	info_dec("usermode syscalls", sys_add_syscall);
	info_dec("usermode int 0x80", sys_add_int80);

	static const struct { u64 mode; const char *insn; u64 err; const char *name; } priv[] = {
		{ 2, u_cli, 0, "usermode: cli in ring 3 raises #GP(0) with the user frame at TSS.RSP0; program stopped" },
		{ 3, u_hlt, 0, "usermode: hlt in ring 3 raises #GP(0); program stopped" },
		{ 4, u_mov_cr3, 0, "usermode: mov from cr3 in ring 3 raises #GP(0); program stopped" },
		{ 5, u_in, 0, "usermode: in from a port in ring 3 (IOPL 0) raises #GP(0); program stopped" },
		{ 6, u_int30, 2, "usermode: int $0x30 to a DPL-0 gate raises #GP with an IDT error code; program stopped" },
	};
	for (unsigned i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		reset_gp();
		status = run_user(priv[i].mode, 0);
		int ok = gp_stopped(status, priv[i].insn, priv[i].err);
		check(priv[i].name, ok);
		if (!ok) {
			info("  exit status", status);
			info("  #GP count", gp_count);
			info("  #GP error code", gp_err);
			info("  #GP rip", gp_rip);
			info("  #GP cs", gp_cs);
		}
	}

	pf_count = 0;
	status = run_user(7, 0x100000);
	last_status = status;
	check("usermode: user read of a supervisor page: #PF error 0x5, cr2, user frame at TSS.RSP0",
	      pf_stopped(status, user_va(u_read), 0x100000, 0x5));
	pf_count = 0;
	status = run_user(7, USER_ABSENT);
	last_status = status;
	check("usermode: user read of a not-present page: #PF error 0x4", pf_stopped(status, user_va(u_read), USER_ABSENT, 0x4));
	pf_count = 0;
	user_ro[0] = 0x1234;
	status = run_user(8, USER_RO);
	last_status = status;
	check("usermode: user write to a read-only user page: #PF error 0x7, page unchanged",
	      pf_stopped(status, user_va(u_write), USER_RO, 0x7) && user_ro[0] == 0x1234);
	pf_count = 0;
	status = run_user(9, USER_NX);
	last_status = status;
	check("usermode: user jump into an NX user page: #PF error 0x15, cr2 = rip", pf_stopped(status, USER_NX, USER_NX, 0x15));
	pf_count = 0;
	status = run_user(9, (u64)probe_read);
	last_status = status;
	check("usermode: user jump into supervisor code: #PF error 0x15", pf_stopped(status, (u64)probe_read, (u64)probe_read, 0x15));

	/* Timer interrupts while in ring 3: 100 Hz, until 5 have hit user mode. */
	timer_mode = TIMER_COUNT;
	tm_ticks = tm_user_ticks = tm_bad_user_frames = 0;
	user_data[0] = 0;
	pit_periodic(11932);
	outb(0x21, 0xfe);
	status = run_user(10, 5);
	last_status = status;
	outb(0x21, 0xff);
	check("usermode: timer interrupts (PIT, IRQ0) hit ring 3 with the user frame at TSS.RSP0 and return to it",
	      status == 0 && tm_user_ticks >= 5 && tm_bad_user_frames == 0);
	info_dec("usermode timer ticks in ring 3", tm_user_ticks);

	/* #NM in ring 3: the handler clears TS and paddq restarts. */
	nm_action = ACT_CLTS;
	nm_count = 0;
	write_cr0(read_cr0() | 0x8);
	status = run_user(12, 21);
	last_status = status;
	check("usermode: SSE in ring 3 with CR0.TS set: #NM with the user frame, restarted after clts",
	      status == 42 && nm_count == 1 && nm_rip == user_va(u_fpu) && nm_cs == 0x3b && nm_ss == 0x33 &&
	      nm_frame + 8 * 15 + 8 * 5 == RSP0_TOP - 8);
	nm_action = ACT_NONE;
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ---- group nested ---- */
static void group_nested(void)
{
	set_gate(13, gp_full_entry);
	set_gate(14, pf_full_entry);
	set_gate(0x20, timer_full_entry);
	use_main_as();

	/* #GP (non-canonical read) whose handler takes a #PF, whose handler takes a #BP. */
	reset_gp();
	gp_action = ACT_NESTED;
	pf_expect(ACT_SKIP);
	pf_int3_inside = 1;
	pf_bp_seen = 0;
	u64 v = probe_read(0x8000000000000000ul);
	pf_int3_inside = 0;
	check("nested: a non-canonical read raises #GP(0) at the instruction, CS 0x08",
	      gp_count == 1 && gp_err == 0 && gp_rip == (u64)probe_read_insn && gp_cs == 0x08);
	check("nested: a #PF inside the #GP handler: own frame (cr2, error 0, rip) below the #GP frame on the same stack",
	      pf_count == 1 && pf_in_gp && pf_cr2 == KTEST + 0x2000 && pf_err == 0 && pf_rip == (u64)probe_read_insn &&
	      pf_cs == 0x08 && pf_frame < gp_frame && pf_rsp < gp_frame && pf_rsp > gp_frame - 4096);
	check("nested: int3 inside that #PF handler (third level) returns into it", pf_bp_seen);
	check("nested: each handler returns to the one it interrupted, then past the #GP instruction",
	      gp_inner_result == (u64)-1 && v == (u64)-1 && !gp_in);
	gp_action = ACT_NONE;
	pf_expect(ACT_NONE);

	/* #UD inside the timer interrupt handler. */
	timer_mode = TIMER_UD;
	tm_ticks = 0;
	tm_ud_ok = 0;
	timer_quiesce();
	pit_oneshot(1193);
	outb(0x21, 0xfe);
	__asm__ volatile("sti");
	for (u64 i = 0; i < 2000000000ul && tm_ticks == 0; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(0x21, 0xff);
	timer_mode = TIMER_COUNT;
	check("nested: #UD inside the timer interrupt handler: frame CS 0x08, IF clear; it resumes the handler",
	      tm_ticks == 1 && tm_ud_ok);
	check("nested: the timer handler then returns to the interrupted code (frame CS 0x08, IF set)",
	      tm_last_cs == 0x08 && (tm_last_flags & 0x200));
}

/* ---- group fpu ---- */
static void group_fpu(void)
{
	fpu_setup();
	nm_count = 0;
	nm_action = ACT_CLTS;
	u64 r = fpu_sse_add(2, 3);
	check("fpu: with CR0.TS clear, SSE runs without #NM", r == 5 && nm_count == 0);

	fpu_set_xmm2(0x600d);
	write_cr0(read_cr0() | 0x8);
	check("fpu: CR0.TS reads back set", read_cr0() & 0x8);
	r = fpu_sse_add(40, 2);
	check("fpu: SSE with CR0.TS set raises #NM (rip = the instruction, CS 0x08)",
	      nm_count == 1 && nm_rip == (u64)fpu_sse_add && nm_cs == 0x08);
	check("fpu: the handler's clts lets the instruction restart and complete", r == 42 && !(read_cr0() & 0x8));
	check("fpu: xmm registers survive the #NM round trip", fpu_get_xmm2() == 0x600d && nm_count == 1);

	nm_count = 0;
	write_cr0(read_cr0() | 0x8);
	r = fpu_x87_one_plus_one();
	check("fpu: x87 with CR0.TS set raises #NM, restarted after clts",
	      r == 2 && nm_count == 1 && nm_rip == (u64)fpu_x87_insn);

	/* Lazy switch: the #NM handler saves the old owner's state and loads the new one's. */
	fpu_set_xmm2(0xbbbb);
	fxsave(fx_area_b);
	fpu_set_xmm2(0xaaaa);
	nm_count = 0;
	nm_action = ACT_SWITCH;
	write_cr0(read_cr0() | 0x8);
	r = fpu_get_xmm2();
	check("fpu: a lazy switch in the #NM handler (fxsave old, fxrstor new) is what the restarted instruction sees",
	      r == 0xbbbb && nm_count == 1 && *(u64 *)(fx_area_a + 160 + 2 * 16) == 0xaaaa);
	nm_action = ACT_NONE;
	check("fpu: CR0.TS clear at the end", !(read_cr0() & 0x8));
}

/* ---- group stress ---- */
#define STRESS_ROUNDS 1000   /* x (10 ADD + 1 SWITCH) syscalls */
#define STRESS_TICKS  1000

static void group_stress(void)
{
	usermode_setup();
	if (!stress_as[0]) {
		stress_as[0] = main_as;
		stress_as[1] = new_aspace();
		map_user(stress_as[1], 1);
	}
	stress_cur = 0;
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
	sys_add_syscall = sys_switches = sys_bad = 0;
	timer_mode = TIMER_CHAIN;
	tm_ticks = tm_user_ticks = tm_bad_user_frames = tm_doubled = 0;
	tm_target = STRESS_TICKS;
	user_data[0] = 0;
	user_data[1] = STRESS_TICKS;
	tm_arms = 1;
	timer_quiesce();
	pit_oneshot(1193);
	outb(0x21, 0xfe);
	u64 status = run_user(11, STRESS_ROUNDS);
	last_status = status;
	outb(0x21, 0xff);
	timer_mode = TIMER_COUNT;
	write_cr3((u64)main_as);
	cur_pml4 = main_as;
	info_dec("stress syscalls", sys_add_syscall + sys_switches + 1);
	info_dec("stress cr3 switches", sys_switches);
	info_dec("stress timer ticks", tm_ticks);
	info_dec("stress timer arms", tm_arms);
	info_dec("stress user program errors", status);
	check("stress: 11000 syscalls from ring 3 (10000 ADD, 1000 SWITCH), every result right",
	      sys_add_syscall == 10 * STRESS_ROUNDS && sys_switches == STRESS_ROUNDS && sys_bad == 0 && status == 0);
	check("stress: 1000 address-space switches (cr3 writes), each seen by the user program",
	      sys_switches == STRESS_ROUNDS && status == 0);
	check("stress: 1000 one-shot timer interrupts, exactly one per arm: none lost, none doubled",
	      tm_ticks == STRESS_TICKS && tm_arms == STRESS_TICKS && tm_doubled == 0);
	check("stress: every timer interrupt hit ring 3 with a correct user frame",
	      tm_user_ticks == STRESS_TICKS && tm_bad_user_frames == 0);
}

/* ---- group exceptions: the other vectors, kernel and ring 3, and IST ---- */
extern char exc_full_0[], exc_full_1[], exc_full_3[], exc_full_6[], exc_full_12[], exc_full_13[];
extern char exc_full_16[], exc_full_0x81[], exc_full_0x85[];
extern char probe_div0_insn[], probe_div0_done[], probe_step_first[], probe_step_after[], probe_mf_insn[];
extern char u_div0_insn[], u_ud2[], u_int3_after[], u_step_after[], u_ss_insn[], u_int81_after[], u_int85_after[];
extern u64 probe_div0(u64 divisor);
extern void probe_step(void);
extern void probe_mf(void);

static volatile u64 exc_count, exc_vec, exc_err, exc_rip, exc_cs, exc_ss, exc_rsp, exc_frame, exc_dr6, exc_resume;
static volatile int bp_resume_rf;   /* group breakpoints: #DB returns with RF instead of disarming */
static u8 ist1_stack[2 * 4096] __attribute__((aligned(4096)));
#define IST1_TOP ((u64)ist1_stack + sizeof(ist1_stack))

static u64 read_dr6(void) { u64 v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(u64 v) { __asm__ volatile("mov %0, %%dr6" :: "r"(v)); }

void exc_handler(struct frame *f, u64 vec)
{
	exc_count++;
	exc_vec = vec;
	exc_err = f->err;
	exc_rip = f->rip;
	exc_cs = f->cs;
	exc_ss = f->ss;
	exc_rsp = f->rsp;
	exc_frame = (u64)f;
	if (vec == 1) {
		exc_dr6 = read_dr6();
		f->rflags &= ~0x100ul;   /* one step only */
		if (bp_resume_rf)
			f->rflags |= 0x10000ul;   /* RF: the instruction runs once, the breakpoint stays */
		else
			__asm__ volatile("mov %0, %%dr7" :: "r"(0x400ul));   /* breakpoints off: one hit each */
	}
	if (vec == 16)
		__asm__ volatile("fnclex");
	if (exc_count > 3)
		unexpected_full(vec, f);
	int trap = vec == 1 || vec == 3 || vec == 0x81 || vec == 0x85;
	if ((f->cs & 3) == 3) {
		if (trap)
			return;
		user_exit(0x6e00 + vec);
	}
	if (trap || vec == 16)   /* #MF: fwait restarts after fnclex */
		return;
	if (exc_resume) {
		f->rip = exc_resume;
		exc_resume = 0;
		return;
	}
	unexpected_full(vec, f);
}

static void exc_reset(void)
{
	exc_count = exc_vec = exc_err = exc_rip = exc_cs = exc_ss = exc_rsp = exc_frame = exc_dr6 = 0;
}

static int exc_user(u64 vec, u64 rip, u64 err)
{
	return exc_count == 1 && exc_vec == vec && exc_rip == rip && exc_err == err && exc_cs == 0x3b &&
	       exc_ss == 0x33 && exc_frame + 8 * 20 == RSP0_TOP - 8;
}

/* After a failed check of the groups exceptions/userentry: what the handlers saw
 * (info lines: they are not compared). */
static void explain(int ok, u64 status)
{
	if (ok)
		return;
	info("  program status", status);
	info("  last exception: count", exc_count);
	info("  last exception: vector", exc_vec);
	info("  last exception: error code", exc_err);
	info("  last exception: rip", exc_rip);
	info("  last exception: cs", exc_cs);
	info("  last exception: rsp", exc_rsp);
	info("  last exception: frame at", exc_frame);
	info("  last exception: DR6", exc_dr6);
	info("  #GP count", gp_count);
	info("  #GP error code", gp_err);
	info("  #GP rip", gp_rip);
	info("  #PF count", pf_count);
	info("  syscalls ADD/int80 ADD/exits/bad int80 frames",
	     sys_add_syscall << 48 | sys_add_int80 << 32 | sys_exit_count << 16 | int80_bad_frames);
	if (int80_bad_frames) {
		info("  last bad int $0x80 frame: cs", int80_bad_cs);
		info("  last bad int $0x80 frame: ss", int80_bad_ss);
		info("  last bad int $0x80 frame: rflags", int80_bad_rflags);
		info("  last bad int $0x80 frame: rsp", int80_bad_rsp);
		info("  last bad int $0x80 frame: at", int80_bad_at);
	}
}

static void set_gate_ist(unsigned vec, void *handler, unsigned dpl, unsigned ist)
{
	set_gate_dpl(vec, handler, dpl);
	idt[2 * vec] |= (u64)ist << 32;
}

static void exc_setup(void)
{
	usermode_setup();
	for (int i = 0; i < 8; i++)
		tss[36 + i] = (u8)(IST1_TOP >> (8 * i));   /* TSS.IST1 */
	set_gate(0, exc_full_0);
	set_gate(1, exc_full_1);
	set_gate_dpl(3, exc_full_3, 3);
	set_gate(6, exc_full_6);
	set_gate(12, exc_full_12);
	set_gate(16, exc_full_16);
	set_gate_ist(0x81, exc_full_0x81, 3, 1);
	set_gate_dpl(0x85, exc_full_0x85, 3);

}

static void exc_teardown(void)
{
	gp_action = ACT_NONE;
	set_gate(6, ud_entry);
	set_gate(3, bp_entry);
}

static void group_exceptions(void)
{
	exc_setup();
	/* kernel mode */
	exc_reset();
	exc_resume = (u64)probe_div0_done;
	u64 r = probe_div0(0);
	{
		int ok_ = exc_count == 1 && exc_vec == 0 && exc_rip == (u64)probe_div0_insn && exc_cs == 0x08 && r == (u64)-1;
		check("exceptions: #DE from a divide by zero, rip = the div, CS 0x08", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	probe_mf();
	{
		int ok_ = exc_count == 1 && exc_vec == 16 && exc_rip == (u64)probe_mf_insn;
		check("exceptions: #MF for an unmasked x87 zero divide at the next fwait, restarted after fnclex", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	__asm__ volatile("int $0x81" ::: "memory");
	{
		int ok_ = exc_count == 1 && exc_vec == 0x81 && exc_cs == 0x08 && exc_frame + 8 * 20 == IST1_TOP - 8;
		check("exceptions: int $0x81 in the kernel through an IST-1 gate: the frame is on the IST1 stack", ok_);
		explain(ok_, last_status);
	}

	/* ring 3 */
	gp_action = ACT_USER_EXIT;
	exc_reset();
	u64 status = run_user(13, 0);
	last_status = status;
	{
		int ok_ = status == 0x6e00 && exc_user(0, user_va(u_div0_insn), 0);
		check("exceptions: #DE in ring 3: user frame at TSS.RSP0, program stopped", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	status = run_user(14, 0);
	last_status = status;
	{
		int ok_ = status == 0x6e06 && exc_user(6, user_va(u_ud2), 0);
		check("exceptions: #UD (ud2) in ring 3: user frame, program stopped", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	status = run_user(15, 0);
	last_status = status;
	{
		int ok_ = status == 0x3333 && exc_user(3, user_va(u_int3_after), 0);
		check("exceptions: int3 in ring 3 (DPL-3 gate): #BP trap with the user frame, the program continues", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	status = run_user(16, 0);
	last_status = status;
	{
		int ok_ = status == 0x5555 && exc_user(1, user_va(u_step_after), 0);
		check("exceptions: TF set by popf in ring 3: one #DB with the user frame, the program continues", ok_);
		explain(ok_, last_status);
	}
	/* The SDM says #SS(0); QEMU 7.2 (TCG) raises #GP(0): either, with the user frame. */
	exc_reset();
	reset_gp();
	status = run_user(17, 0);
	last_status = status;
	{
		int ok_ = (status == 0x6e0c && exc_count == 1 && exc_vec == 12 && exc_err == 0 && exc_rip == user_va(u_ss_insn) &&
		       exc_cs == 0x3b && exc_rsp == 0x8000000000000000ul) ||
		      (status == EXIT_GP && exc_count == 0 && gp_count == 1 && gp_err == 0 && gp_rip == user_va(u_ss_insn) &&
		       gp_cs == 0x3b && gp_rsp == 0x8000000000000000ul);
		check("exceptions: push on a non-canonical rsp in ring 3: #SS(0) or #GP(0) at the push, program stopped", ok_);
		explain(ok_, last_status);
	}
	info("exceptions: the non-canonical push raised vector", status == EXIT_GP ? 13 : exc_vec);
	reset_gp();
	status = run_user(7, 0x8000000000000000ul);
	last_status = status;
	{
		int ok_ = status == EXIT_GP && gp_count == 1 && gp_err == 0 && gp_rip == user_va(u_read) && gp_cs == 0x3b;
		check("exceptions: non-canonical read in ring 3: #GP(0), program stopped", ok_);
		explain(ok_, last_status);
	}
	exc_teardown();
}

/* ---- group debug: single step in the kernel, DR6 ---- */
static void group_debug(void)
{
	exc_setup();
	exc_reset();
	write_dr6(0);
	probe_step();
	/* After the popf site comes its pad (bare) or the rest of its rewrite (wedge). */
	{
		int ok_ = exc_count == 1 && exc_vec == 1 && exc_cs == 0x08 &&
		      (exc_rip == (u64)probe_step_first || exc_rip == (u64)probe_step_after);
		check("debug: TF set by popf in the kernel: one #DB after the next instruction (single step)", ok_);
		explain(ok_, last_status);
	}
	{
		int ok_ = exc_dr6 & 0x4000;
		check("debug: DR6.BS reports the single step", ok_);
		explain(ok_, last_status);
	}
	exc_teardown();
}

/* ---- group softint: int $n from ring 3 through DPL-3 gates other than 0x80 ---- */
static void group_softint(void)
{
	u64 status;
	exc_setup();
	gp_action = ACT_USER_EXIT;
	exc_reset();
	status = run_user(19, 0);
	last_status = status;
	{
		int ok_ = status == 0x8181 && exc_count == 1 && exc_vec == 0x81 && exc_rip == user_va(u_int81_after) &&
		      exc_cs == 0x3b && exc_ss == 0x33 && exc_frame + 8 * 20 == IST1_TOP - 8;
		check("softint: int $0x81 in ring 3 through an IST-1 gate: user frame on the IST1 stack, returns", ok_);
		explain(ok_, last_status);
	}
	exc_reset();
	status = run_user(29, 0);
	last_status = status;
	{
		int ok_ = status == 0x8585 && exc_user(0x85, user_va(u_int85_after), 0);
		check("softint: int $0x85 in ring 3 through a DPL-3 gate (no IST): user frame at TSS.RSP0, returns", ok_);
		explain(ok_, last_status);
	}
	reset_gp();
	status = run_user(34, 0);
	last_status = status;
	{
		int ok_ = gp_stopped(status, u_int40, 2);
		check("softint: int $0x40 in ring 3 (no gate there) raises #GP, not the int $0x80 gate", ok_);
		explain(ok_, last_status);
	}
	exc_teardown();
}

/* ---- group userentry: other ways into ring 3, user A/D bits, flags ---- */
extern u64 enter_user_sysret(u64 rip, u64 rsp, u64 arg0, u64 arg1, u64 arg2);
extern u64 enter_user_lret(u64 rip, u64 rsp, u64 arg0, u64 arg1, u64 arg2);
static u64 ad_frames[2][512] __attribute__((aligned(4096)));
static volatile u64 sys_probe_result;

static void group_userentry(void)
{
	usermode_setup();
	write_cr0(read_cr0() | 0x10000);   /* CR0.WP */
	u64 main_rip = user_va(user_main);
	sys_add_syscall = sys_add_int80 = int80_bad_frames = sys_exit_count = 0;
	u64 status = enter_user_sysret(main_rip, USER_STACK_TOP, 1, 10, USER_DATA);
	last_status = status;
	{
		int ok_ = status == 0 && sys_exit_count == 1 && sys_add_syscall == 10 && sys_add_int80 == 10 && int80_bad_frames == 0;
		check("userentry: sysretq into ring 3 runs the program (10 syscalls, 10 int $0x80, user frames)", ok_);
		explain(ok_, last_status);
	}
	/* Accessed and dirty bits set by ring-3 accesses. */
	u64 va_r = USER_BASE + 0x500000, va_w = USER_BASE + 0x501000;
	ad_frames[0][0] = 0xadad;
	map4k(main_as, va_r, (u64)ad_frames[0], PTE_P | PTE_W | PTE_U | PTE_NX);
	map4k(main_as, va_w, (u64)ad_frames[1], PTE_P | PTE_W | PTE_U | PTE_NX);
	status = run_user(20, va_r);
	last_status = status;
	u64 pte_r = *pt_entry(main_as, va_r, 1);
	{
		int ok_ = status == 0xadad && (pte_r & (PTE_A | PTE_D)) == PTE_A;
		check("userentry: a ring-3 read sets the accessed bit, not the dirty bit", ok_);
		explain(ok_, last_status);
	}
	status = run_user(21, va_w);
	last_status = status;
	u64 pte_w = *pt_entry(main_as, va_w, 1);
	{
		int ok_ = status == 0 && (pte_w & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && ad_frames[1][0] == va_w;
		check("userentry: a ring-3 write sets the accessed and dirty bits and lands", ok_);
		explain(ok_, last_status);
	}

	status = run_user(22, 0);
	last_status = status;
	{
		int ok_ = (status & 0x3200) == 0x200;
		check("userentry: pushf in ring 3 shows IF set and IOPL 0", ok_);
		explain(ok_, last_status);
	}
	status = run_user(23, 0);
	last_status = status;
	{
		int ok_ = (status & 0x200) != 0;
		check("userentry: popf in ring 3 (IOPL 0) cannot clear IF", ok_);
		explain(ok_, last_status);
	}
	status = run_user(24, 0);
	last_status = status;
	info("userentry: mov from cs in ring 3 reads (0x3b natively; not trapped under PV)", status & 0xffff);

	/* The kernel faulting on a user address inside a system call (the
	 * copy_from_user fixup path): a kernel-mode #PF on the RSP0 stack. */
	pf_expect(ACT_SKIP);
	status = run_user(25, USER_ABSENT);
	last_status = status;
	{
		int ok_ = status == (u64)-1 && pf_count == 1 && pf_err == 0 && pf_cr2 == USER_ABSENT && pf_cs == 0x08 &&
		      pf_rip == (u64)probe_read_insn && pf_frame > (u64)rsp0_stack && pf_frame < RSP0_TOP;
		check("userentry: a syscall reading an absent user page: kernel #PF (error 0, cr2, CS 0x08) on the RSP0 stack, fixed up", ok_);
		explain(ok_, last_status);
	}
	pf_expect(ACT_SKIP);
	user_ro[1] = 0;
	status = run_user(26, USER_RO + 8);
	last_status = status;
	{
		int ok_ = status == 0 && pf_count == 1 && pf_err == 0x3 && pf_cr2 == USER_RO + 8 && pf_cs == 0x08 && user_ro[1] == 0;
		check("userentry: a syscall writing a read-only user page with CR0.WP: kernel #PF error 0x3, page unchanged", ok_);
		explain(ok_, last_status);
	}
	pf_expect(ACT_NONE);
}

/* ---- group lretuser: lretq from the kernel into ring 3 ---- */
static void group_lretuser(void)
{
	usermode_setup();
	u64 main_rip = user_va(user_main);
	u64 status;
	int80_bad_frames = 0;
	sys_add_syscall = sys_add_int80 = sys_exit_count = 0;
	status = enter_user_lret(main_rip, USER_STACK_TOP, 1, 10, USER_DATA);
	last_status = status;
	{
		int ok_ = status == 0 && sys_exit_count == 1 && sys_add_syscall == 10 && sys_add_int80 == 10 && int80_bad_frames == 0;
		check("lretuser: lretq to ring 3 (CS, RIP, RSP, SS popped) runs the program", ok_);
		explain(ok_, last_status);
	}
}

/* ---- group userproc: what a kernel does for its processes ---- */
#define UF_DEMAND (USER_BASE + 0x600000)
#define UF_COW    (USER_BASE + 0x601000)
static u64 uf_demand_frame[512] __attribute__((aligned(4096)));
static u64 uf_cow_old[512] __attribute__((aligned(4096)));
static u64 uf_cow_new[512] __attribute__((aligned(4096)));
static u64 uf_stack_frames[8][512] __attribute__((aligned(4096)));
static u8 alt_rsp0_stack[4 * 4096] __attribute__((aligned(4096)));
static unsigned uf_stack_used;
static volatile u64 uf_faults, uf_last_err, uf_errs_ok;

/* Demand paging, copy-on-write and stack growth for ring-3 faults. */
static int user_pf_fix(u64 cr2, u64 err)
{
	u64 page = cr2 & ~0xffful;
	uf_faults++;
	uf_last_err = err;
	if (page == UF_DEMAND && err == 0x4) {
		map4k(cur_pml4, page, (u64)uf_demand_frame, PTE_P | PTE_W | PTE_U | PTE_NX);
		return 1;   /* no invlpg: a not-present entry is never cached */
	}
	if (page == UF_COW && err == 0x7) {
		for (int i = 0; i < 512; i++)
			uf_cow_new[i] = uf_cow_old[i];
		map4k(cur_pml4, page, (u64)uf_cow_new, PTE_P | PTE_W | PTE_U | PTE_NX);
		invlpg(page);
		return 1;
	}
	if (page < USER_STACK_TOP - 0x4000 && page >= USER_STACK_TOP - 0x4000 - 8 * 0x1000 && err == 0x6 &&
	    uf_stack_used < 8) {
		map4k(cur_pml4, page, (u64)uf_stack_frames[uf_stack_used++], PTE_P | PTE_W | PTE_U | PTE_NX);
		return 1;
	}
	return 0;
}

static void group_userproc(void)
{
	usermode_setup();
	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_FIX;

	uf_demand_frame[0] = 0x5eed;
	uf_faults = 0;
	u64 status = run_user(20, UF_DEMAND);
	last_status = status;
	check("userproc: a ring-3 load from an absent page: the kernel maps it, iretq restarts the load",
	      status == 0x5eed && uf_faults == 1 && uf_last_err == 0x4);

	uf_cow_old[0] = 0x01d;
	uf_cow_old[1] = 0xc0b1ed;
	map4k(main_as, UF_COW, (u64)uf_cow_old, PTE_P | PTE_U | PTE_NX);
	uf_faults = 0;
	status = run_user(21, UF_COW);
	last_status = status;
	check("userproc: copy-on-write: a ring-3 store to a read-only page is restarted on the kernel's copy",
	      status == 0 && uf_faults == 1 && uf_last_err == 0x7 && uf_cow_new[0] == UF_COW &&
	      uf_cow_new[1] == 0xc0b1ed && uf_cow_old[0] == 0x01d);

	uf_faults = 0;
	status = run_user(27, 4096);   /* 32 KiB of pushes: 16 KiB mapped, 4 pages on demand */
	last_status = status;
	check("userproc: the user stack grows by demand faults (4 pages, 4 faults), every pushed word reads back",
	      status == 4096ul * 4097 / 2 && uf_faults == 4 && uf_stack_used == 4);
	info_dec("userproc demand faults on the stack", uf_faults);
	pf_action = ACT_USER_EXIT;

	/* Another process's kernel stack: TSS.RSP0 changed between two runs. */
	u64 alt = (u64)alt_rsp0_stack + sizeof(alt_rsp0_stack);
	for (int i = 0; i < 8; i++)
		tss[4 + i] = (u8)(alt >> (8 * i));
	kernel_stack_top = alt;
	sys_add_syscall = sys_add_int80 = int80_bad_frames = sys_exit_count = 0;
	syscall_check_ok = int80_check_ok = 0;
	status = run_user(1, 3);
	last_status = status;
	check("userproc: after a TSS.RSP0 change, ring-3 int $0x80 and syscall frames land on the new kernel stack",
	      status == 0 && sys_add_int80 == 3 && int80_bad_frames == 0 && int80_check_ok && syscall_check_ok);
	usermode_setup();   /* TSS.RSP0 back */
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ---- group segbase: FS and GS bases of ring 3 and of the kernel ---- */
extern char syscall_entry_swapgs[];
static u64 kernel_percpu[4] = { 0x6b6b };
static volatile u64 segs_user_fs, segs_user_gs, segs_kernel_gs;

static u64 segs_syscall(struct frame *f)
{
	segs_user_fs = f->rdi;
	segs_user_gs = f->rsi;
	u64 v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	segs_kernel_gs = v;
	wrmsr(0xc0000100, USER_DATA + 520);   /* another thread's TLS */
	return 0;
}

static void group_segbase(void)
{
	usermode_setup();
	user_data[64] = 0xf5f5;
	user_data[65] = 0xf6f6;
	user_data[66] = 0x7575;
	wrmsr(0xc0000082, (u64)syscall_entry_swapgs);
	wrmsr(0xc0000100, USER_DATA + 512);            /* FS_BASE: the program's TLS */
	wrmsr(0xc0000101, (u64)kernel_percpu);         /* GS_BASE: the kernel's per-CPU area */
	wrmsr(0xc0000102, USER_DATA + 528);            /* KERNEL_GS_BASE: the program's GS */
	__asm__ volatile("swapgs" ::: "memory");       /* as before a return to user mode */
	u64 status = run_user(28, 0);
	last_status = status;
	wrmsr(0xc0000082, (u64)syscall_entry);
	check("segbase: ring 3 reads its TLS through FS_BASE set by the kernel", segs_user_fs == 0xf5f5);
	check("segbase: ring 3 reads its GS base (swapgs before entering ring 3)", segs_user_gs == 0x7575);
	check("segbase: swapgs at syscall entry gives the kernel its per-CPU GS base", segs_kernel_gs == 0x6b6b);
	check("segbase: an FS base changed during a syscall is what ring 3 sees after sysretq", status == 0xf6f6);
	check("segbase: GS_BASE and KERNEL_GS_BASE read back after the round trip",
	      rdmsr(0xc0000101) == (u64)kernel_percpu && rdmsr(0xc0000102) == USER_DATA + 528);
	wrmsr(0xc0000100, 0);
}

/* ---- group preempt: two ring-3 processes switched by the timer ---- */
#define PREEMPT_COUNT 2000000
struct proc {
	struct frame f;
	u64 *pml4;
	int started;
};
static struct proc procs[2];
static int preempt_lazy_fpu;
static volatile u64 pre_switches, pre_kernel_ticks;

static void copy_frame(struct frame *to, const struct frame *from)
{
	volatile u64 *t = (volatile u64 *)to;
	const volatile u64 *s = (const volatile u64 *)from;
	for (unsigned i = 0; i < sizeof(*to) / 8; i++)
		t[i] = s[i];
}

/* From ring 3: save the running process's registers (the frame), load the
 * other's, switch the address space; iretq resumes the other process. */
static void preempt_tick(struct frame *f)
{
	outb(0x20, 0x20);
	if ((f->cs & 3) != 3) {
		pre_kernel_ticks++;
		return;
	}
	if (per_as_frames[0][3] && per_as_frames[1][3])
		user_exit(0);
	copy_frame(&procs[proc_cur].f, f);
	proc_cur ^= 1;
	if (procs[proc_cur].started)
		per_as_frames[proc_cur][4]++;
	procs[proc_cur].started = 1;
	copy_frame(f, &procs[proc_cur].f);
	write_cr3((u64)procs[proc_cur].pml4);
	cur_pml4 = procs[proc_cur].pml4;
	if (preempt_lazy_fpu)
		write_cr0(read_cr0() | 0x8);   /* the next FPU use traps: #NM switches the state */
	pre_switches++;
}

/* Two processes running user program mode `mode` under timer preemption;
 * the run ends from the timer once both are done.  Returns the status. */
static u64 run_two_procs(u64 mode, u64 count)
{
	usermode_setup();
	if (!stress_as[0]) {
		stress_as[0] = main_as;
		stress_as[1] = new_aspace();
		map_user(stress_as[1], 1);
	}
	for (int p = 0; p < 2; p++) {
		for (int i = 0; i < 8; i++)
			per_as_frames[p][i] = 0;
		per_as_frames[p][0] = 0x10 + (u64)p;
		procs[p].pml4 = stress_as[p];
		procs[p].started = 0;
		for (unsigned i = 0; i < sizeof(procs[p].f) / 8; i++)
			((volatile u64 *)&procs[p].f)[i] = 0;
	}
	struct frame *f1 = &procs[1].f;
	f1->rip = user_va(user_main);
	f1->rsp = USER_STACK_TOP;
	f1->rflags = 0x202;
	f1->cs = 0x3b;
	f1->ss = 0x33;
	f1->rdi = mode;
	f1->rsi = count;
	f1->rdx = USER_DATA;
	procs[0].started = 1;
	proc_cur = 0;
	pre_switches = pre_kernel_ticks = 0;
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
	timer_quiesce();
	timer_mode = TIMER_PREEMPT;
	pit_periodic(1193);   /* 1 kHz */
	outb(0x21, 0xfe);
	u64 status = run_user(mode, count);
	last_status = status;
	outb(0x21, 0xff);
	timer_mode = TIMER_COUNT;
	write_cr3((u64)main_as);
	cur_pml4 = main_as;
	return status;
}

static void group_preempt(void)
{
	u64 status = run_two_procs(30, PREEMPT_COUNT);
	const u64 *p0 = per_as_frames[0], *p1 = per_as_frames[1];
	info_dec("preempt switches", pre_switches);
	info_dec("preempt process 0 count", p0[1]);
	info_dec("preempt process 1 count", p1[1]);
	info_dec("preempt process 0 resumed", p0[4]);
	info_dec("preempt process 1 resumed", p1[4]);
	check("preempt: two ring-3 processes in their own address spaces share the CPU by timer preemption until both are done",
	      status == 0 && p0[3] && p1[3] && p0[1] >= PREEMPT_COUNT && p1[1] >= PREEMPT_COUNT);
	check("preempt: each process was preempted and resumed by iretq at least once", p0[4] >= 1 && p1[4] >= 1 && pre_switches >= 3);
	check("preempt: every register of each process survives its preemptions", p0[2] == 0 && p1[2] == 0);
	per_as_frames[0][0] = 0;
	per_as_frames[1][0] = 1;
}

/* ---- group fpupreempt: the same with xmm state and lazy FPU switching ---- */
static void group_fpupreempt(void)
{
	fpu_setup();
	fxsave(fx_proc[0]);   /* both start from the clean state fpu_setup made */
	fxsave(fx_proc[1]);
	fpu_owner = 0;
	fpu_lazy_switches = 0;
	nm_action = ACT_LAZY;
	preempt_lazy_fpu = 1;
	write_cr0(read_cr0() | 0x8);
	u64 status = run_two_procs(33, PREEMPT_COUNT);
	preempt_lazy_fpu = 0;
	nm_action = ACT_NONE;
	__asm__ volatile("clts" ::: "memory");
	const u64 *p0 = per_as_frames[0], *p1 = per_as_frames[1];
	info_dec("fpupreempt switches", pre_switches);
	info_dec("fpupreempt lazy FPU switches in #NM", fpu_lazy_switches);
	info_dec("fpupreempt process 0 errors", p0[2]);
	info_dec("fpupreempt process 1 errors", p1[2]);
	check("fpupreempt: two ring-3 processes using xmm registers run to completion under timer preemption",
	      status == 0 && p0[3] && p1[3] && p0[1] >= PREEMPT_COUNT && p1[1] >= PREEMPT_COUNT);
	check("fpupreempt: the FPU state changed hands in ring-3 #NM (CR0.TS set at each switch) at least twice",
	      fpu_lazy_switches >= 2);
	check("fpupreempt: each process's xmm registers survive every switch", p0[2] == 0 && p1[2] == 0);
	per_as_frames[0][0] = 0;
	per_as_frames[1][0] = 1;
}

/* ---- group ptwalk: permissions combined across levels, upper-level A
 * bits, 2 MiB user pages, a recursive PML4 slot ---- */
#define PTW_BASE (3ul << 39)   /* PML4 slot 3: tables built by hand below */
#define PTW_REC  4ul           /* PML4 slot 4: the PML4 itself */
static u64 ptw_pdpt[512] __attribute__((aligned(4096)));
static u64 ptw_pd[512] __attribute__((aligned(4096)));
static u64 ptw_pt[4][512] __attribute__((aligned(4096)));
static u64 ptw_frames[3][512] __attribute__((aligned(4096)));

extern char u_load[], u_store[];

static u64 rec_va(u64 i4, u64 i3, u64 i2, u64 i1)
{
	return i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12;
}

static void group_ptwalk(void)
{
	usermode_setup();
	write_cr0(read_cr0() | 0x10000);   /* CR0.WP */
	/* PD entry 0: no R/W above a writable PTE; 1: no U/S above a user PTE;
	 * 2: NX above an executable PTE; 3: a 2 MiB user page. */
	ptw_frames[0][0] = 0x1010;
	ptw_frames[1][0] = 0x2020;
	static const u8 code[] = { 0xb8, 0x42, 0, 0, 0, 0xc3 };   /* mov $0x42, %eax; ret */
	for (unsigned i = 0; i < sizeof(code); i++)
		((u8 *)ptw_frames[2])[i] = code[i];
	for (int i = 0; i < 3; i++)
		ptw_pt[i][0] = (u64)ptw_frames[i] | PTE_P | PTE_W | PTE_U;
	ptw_pd[0] = (u64)ptw_pt[0] | PTE_P | PTE_U;
	ptw_pd[1] = (u64)ptw_pt[1] | PTE_P | PTE_W;
	ptw_pd[2] = (u64)ptw_pt[2] | PTE_P | PTE_W | PTE_U | PTE_NX;
	u64 big_pa = (u64)user_data & ~0x1ffffful;
	ptw_pd[3] = big_pa | PTE_P | PTE_W | PTE_U | PTE_PS;
	ptw_pdpt[0] = (u64)ptw_pd | PTE_P | PTE_W | PTE_U;
	main_as[3] = (u64)ptw_pdpt | PTE_P | PTE_W | PTE_U;
	main_as[PTW_REC] = (u64)main_as | PTE_P | PTE_W;
	write_cr3((u64)main_as);
	u64 va0 = PTW_BASE, va1 = PTW_BASE + (1ul << 21), va2 = PTW_BASE + (2ul << 21), va3 = PTW_BASE + (3ul << 21);

	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_EXIT;
	pf_count = 0;
	u64 status = run_user(20, va0);
	last_status = status;
	check("ptwalk: ring 3 reads through a read-only PDE", status == 0x1010 && pf_count == 0);
	status = run_user(21, va0);
	check("ptwalk: a ring-3 write under a PDE without R/W faults (error 0x7) although the PTE allows it",
	      pf_stopped(status, user_va(u_store), va0, 0x7) && ptw_frames[0][0] == 0x1010);
	pf_expect(ACT_SKIP);
	probe_write(va0 + 8, 1);
	check("ptwalk: a kernel write under a PDE without R/W, CR0.WP set: #PF error 0x3",
	      pf_count == 1 && pf_err == 0x3 && pf_cr2 == va0 + 8 && ptw_frames[0][1] == 0);
	pf_action = ACT_USER_EXIT;
	pf_count = 0;
	status = run_user(20, va1);
	check("ptwalk: a ring-3 read under a supervisor PDE faults (error 0x5) although the PTE is a user one",
	      pf_stopped(status, user_va(u_load), va1, 0x5));
	pf_expect(ACT_SKIP);
	u64 v = probe_read(va1);
	check("ptwalk: the kernel reads under that supervisor PDE", pf_count == 0 && v == 0x2020);
	u64 r = ((u64 (*)(void))va2)();
	check("ptwalk: a kernel fetch under an NX PDE faults (error 0x11) although the PTE is executable",
	      pf_count == 1 && pf_err == 0x11 && pf_cr2 == va2 && pf_rip == va2);
	v = probe_read(va2);
	check("ptwalk: data reads under the NX PDE work", pf_count == 1 && (u8)v == 0xb8);
	(void)r;

	pf_action = ACT_USER_EXIT;
	pf_count = 0;
	user_data[7] = 0x2b16;
	status = run_user(20, va3 + ((u64)&user_data[7] - big_pa));
	check("ptwalk: ring 3 reads through a 2 MiB user page", status == 0x2b16 && pf_count == 0);
	check("ptwalk: that walk set the accessed bit of the PML4E, PDPTE and the 2 MiB PDE",
	      (main_as[3] & PTE_A) && (ptw_pdpt[0] & PTE_A) && (ptw_pd[3] & PTE_A));

	/* The recursive slot: the page-table pages read and written as data. */
	pf_expect(ACT_NONE);
	u64 ktest_pte_va = rec_va(PTW_REC, KTEST >> 39 & 511, KTEST >> 30 & 511, KTEST >> 21 & 511) + (KTEST >> 12 & 511) * 8;
	u64 *ktest_pte = pt_entry(main_as, KTEST, 1);
	int ok = (RD(rec_va(PTW_REC, PTW_REC, PTW_REC, PTW_REC) + 3 * 8) & ~0x60ul) == (main_as[3] & ~0x60ul) &&
		 (RD(ktest_pte_va) & ~0x60ul) == (*ktest_pte & ~0x60ul);
	check("ptwalk: a recursive PML4 slot shows the PML4 and a PTE as data", ok);
	u64 saved = *ktest_pte;
	pf_rw_frame[0] = 0xaaaa;
	pf_demand_frame[0] = 0xbbbb;
	(void)RD(KTEST);
	RD(ktest_pte_va) = (u64)pf_demand_frame | PTE_P | PTE_W;
	invlpg(KTEST);
	ok = RD(KTEST) == 0xbbbb && (*ktest_pte & PTE_ADDR) == (u64)pf_demand_frame;
	RD(ktest_pte_va) = saved;
	invlpg(KTEST);
	ok &= RD(KTEST) == 0xaaaa;
	check("ptwalk: a PTE written through the recursive slot (then invlpg) remaps the page", ok);
	main_as[3] = main_as[PTW_REC] = 0;
	write_cr3((u64)main_as);
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ---- group sigsleep: signal delivery and sigreturn through iretq, a
 * syscall that sleeps with sti; hlt ---- */
extern u8 syscall_exit_iret;
extern char u_sighandler[];
static struct frame sig_saved;
static volatile u64 sig_raised, sig_returned;

static u64 sigsleep_syscall(struct frame *f)
{
	if (f->rax == SYS_RAISE) {
		copy_frame(&sig_saved, f);
		sig_saved.rax = 0;            /* raise() returns 0 */
		f->rip = user_va(u_sighandler);
		f->rsp -= 256;                /* below the red zone */
		sig_raised++;
		return 0;
	}
	if (f->rax == SYS_SIGRETURN) {
		copy_frame(f, &sig_saved);
		f->cs = 0x3b;
		f->ss = 0x33;
		syscall_exit_iret = 1;        /* rcx and r11 are registers to restore, not rip/rflags */
		sig_returned++;
		return sig_saved.rax;
	}
	/* SYS_SLEEP: interrupts on inside the syscall, as in a kernel that blocks */
	u64 start = tm_ticks;
	tm_in_syscall = 1;
	for (u64 i = 0; i < 1000 && tm_ticks - start < f->rdi; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	tm_in_syscall = 0;
	return tm_ticks - start;
}

static void group_sigsleep(void)
{
	usermode_setup();
	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_EXIT;
	user_data[80] = 0;
	sig_raised = sig_returned = 0;
	u64 status = run_user(31, 0);
	last_status = status;
	check("sigsleep: a syscall redirects ring 3 to a signal handler (rip, rsp, rdi rewritten before sysretq)",
	      sig_raised == 1 && user_data[80] == 14);
	check("sigsleep: sigreturn restores every register through iretq from the syscall path",
	      sig_returned == 1 && status == 0);
	info_dec("sigsleep registers wrong after sigreturn", status);

	timer_quiesce();
	timer_mode = TIMER_COUNT;
	tm_ticks = tm_syscall_ticks_ok = tm_syscall_ticks_bad = 0;
	pit_periodic(11932);   /* 100 Hz */
	outb(0x21, 0xfe);
	status = run_user(32, 3);
	last_status = status;
	outb(0x21, 0xff);
	check("sigsleep: a syscall sleeping with sti; hlt is woken by timer interrupts in kernel mode, nested on the kernel stack",
	      status >= 3 && tm_syscall_ticks_ok >= 3 && tm_syscall_ticks_bad == 0);
	info_dec("sigsleep ticks slept", status);
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ---- group manyas: more address spaces than a shadow cache holds ---- */
#define MANY_AS    24
#define MANY_PAGES 64
#define MANY_FRAMES 256
static u64 many_frames[MANY_FRAMES][512] __attribute__((aligned(4096)));

static unsigned many_frame_of(unsigned as, unsigned page)
{
	return (as * 37 + page * 3) % MANY_FRAMES;
}

static void group_manyas(void)
{
	u64 boot_cr3 = read_cr3();
	u64 *as[MANY_AS];
	for (unsigned f = 0; f < MANY_FRAMES; f++)
		many_frames[f][0] = 0xf000 + f;
	for (unsigned a = 0; a < MANY_AS; a++) {
		as[a] = new_aspace();
		for (unsigned p = 0; p < MANY_PAGES; p++)
			map4k(as[a], KTEST + p * 4096ul, (u64)many_frames[many_frame_of(a, p)], PTE_P | PTE_W);
	}
	info_dec("manyas page-table pages used", pt_used);
	int ok = 1;
	u64 cr3_writes = 0;
	for (int round = 0; round < 2; round++)
		for (unsigned a = 0; a < MANY_AS; a++) {
			write_cr3((u64)as[a]);
			cr3_writes++;
			for (unsigned p = 0; p < MANY_PAGES; p++)
				ok &= RD(KTEST + p * 4096ul) == 0xf000 + many_frame_of(a, p);
		}
	check("manyas: 24 address spaces of 64 pages each, cycled twice: every page shows its own frame", ok);

	/* Change a PTE in every address space while it is not loaded, then
	 * visit them all again. */
	write_cr3(boot_cr3);
	for (unsigned a = 0; a < MANY_AS; a++)
		*pt_entry(as[a], KTEST + 5 * 4096ul, 1) = (u64)many_frames[(a + 100) % MANY_FRAMES] | PTE_P | PTE_W;
	ok = 1;
	for (unsigned a = 0; a < MANY_AS; a++) {
		write_cr3((u64)as[MANY_AS - 1 - a]);
		cr3_writes++;
		unsigned b = MANY_AS - 1 - a;
		ok &= RD(KTEST + 5 * 4096ul) == 0xf000 + (b + 100) % MANY_FRAMES &&
		      RD(KTEST + 6 * 4096ul) == 0xf000 + many_frame_of(b, 6);
	}
	check("manyas: PTEs changed while their address spaces were not loaded are seen when each is loaded again", ok);
	write_cr3(boot_cr3);
	info_dec("manyas cr3 writes", cr3_writes + 2);
}

/* ---- group usertlb: the kernel changes user mappings; ring 3 must see
 * each change after the kernel's invlpg or CR3 reload ---- */
static u64 ut_frames[3][512] __attribute__((aligned(4096)));

static void group_usertlb(void)
{
	usermode_setup();
	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_EXIT;
	u64 va = USER_BASE + 0x700000;
	ut_frames[1][0] = 0x2222;
	ut_frames[2][0] = 0x3333;
	map4k(main_as, va, (u64)ut_frames[0], PTE_P | PTE_W | PTE_U | PTE_NX);

	RD(va) = 0xabc;   /* the kernel first, through the user address */
	u64 status = run_user(20, va);
	last_status = status;
	check("usertlb: ring 3 reads what the kernel wrote through the user address", status == 0xabc);

	status = run_user(21, va);
	*pt_entry(main_as, va, 1) = (u64)ut_frames[1] | PTE_P | PTE_W | PTE_U | PTE_NX;
	invlpg(va);
	status = run_user(20, va);
	last_status = status;
	check("usertlb: after a remap and the kernel's invlpg, ring 3 reads the new frame",
	      status == 0x2222 && ut_frames[0][0] == va);

	*pt_entry(main_as, va, 1) = (u64)ut_frames[2] | PTE_P | PTE_W | PTE_U | PTE_NX;
	write_cr3(read_cr3());
	status = run_user(20, va);
	last_status = status;
	check("usertlb: after a remap and a CR3 reload, ring 3 reads the new frame", status == 0x3333);

	status = run_user(21, va);   /* ring 3 writes: the user mapping is writable and dirty now */
	*pt_entry(main_as, va, 1) = (u64)ut_frames[2] | PTE_P | PTE_U | PTE_NX;
	invlpg(va);
	pf_count = 0;
	status = run_user(21, va + 8);
	last_status = status;
	check("usertlb: after the kernel write-protects a page ring 3 has written (invlpg), its next write faults (0x7)",
	      pf_stopped(status, user_va(u_store), va + 8, 0x7) && ut_frames[2][1] == 0);

	*pt_entry(main_as, va, 1) = 0;
	invlpg(va);
	pf_count = 0;
	status = run_user(20, va);
	last_status = status;
	check("usertlb: after the kernel unmaps the page (invlpg), a ring-3 read faults (0x4)",
	      pf_stopped(status, user_va(u_load), va, 0x4));
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ---- group irqswapgs: timer interrupts from ring 3 through an entry that
 * swaps GS like Linux's; ring 3 keeps reading its own GS base ---- */
extern char timer_swapgs_entry[];
static volatile u64 irqgs_ok, irqgs_bad;

void timer_gs_handler(struct frame *f)
{
	u64 v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	if ((f->cs & 3) == 3) {
		if (v == 0x6b6b)
			irqgs_ok++;
		else
			irqgs_bad++;
	}
	timer_handler(f);
}

static void group_irqswapgs(void)
{
	usermode_setup();
	gp_action = ACT_USER_EXIT;
	pf_action = ACT_USER_EXIT;
	user_data[66] = 0x7575;
	user_data[0] = 0;
	wrmsr(0xc0000082, (u64)syscall_entry_swapgs);
	wrmsr(0xc0000101, (u64)kernel_percpu);
	wrmsr(0xc0000102, USER_DATA + 528);
	set_gate(0x20, timer_swapgs_entry);
	timer_quiesce();
	timer_mode = TIMER_COUNT;
	tm_ticks = tm_user_ticks = tm_bad_user_frames = 0;
	irqgs_ok = irqgs_bad = 0;
	pit_periodic(11932);   /* 100 Hz */
	outb(0x21, 0xfe);
	__asm__ volatile("swapgs" ::: "memory");
	u64 status = run_user(35, 0x7575);
	last_status = status;
	outb(0x21, 0xff);
	wrmsr(0xc0000082, (u64)syscall_entry);
	set_gate(0x20, timer_full_entry);
	info_dec("irqswapgs ticks in ring 3", tm_user_ticks);
	check("irqswapgs: timer interrupts from ring 3 whose entry does swapgs see the kernel's GS base",
	      irqgs_ok >= 5 && irqgs_bad == 0 && tm_bad_user_frames == 0);
	check("irqswapgs: after each swapgs; iretq ring 3 reads its own GS base again", status == 0 && tm_user_ticks >= 5);
	check("irqswapgs: GS_BASE and KERNEL_GS_BASE read back afterwards",
	      rdmsr(0xc0000101) == (u64)kernel_percpu && rdmsr(0xc0000102) == USER_DATA + 528);
	gp_action = ACT_NONE;
	pf_action = ACT_NONE;
}

/* ======================================================================
 * Issue 26: what a guest process can reach answers as hardware does.
 * ====================================================================== */
extern u64 probe_lar(u64 sel, u64 preset), probe_lsl(u64 sel, u64 preset);
extern u64 probe_verr(u64 sel), probe_verw(u64 sel), verw_odd_stack(u64 sel);
extern u64 iret_probe(u64 cs, u64 ss);
extern char iret_probe_insn[], iret_probe_done[];
#define ZF (1ul << 63)
static u64 ldt[2] __attribute__((aligned(16)));

static u16 sldt(void) { u16 v; __asm__ volatile("sldt %0" : "=r"(v)); return v; }
static void lldt(u16 sel) { __asm__ volatile("lldt %0" :: "r"(sel) : "memory"); }

/* ---- group descriptors: lar/lsl/verr/verw, an LDT, bad iret frames ---- */
static void group_descriptors(void)
{
	usermode_setup();
	__asm__ volatile("cli");
	u64 r = probe_lar(0x08, 0);
	check("descriptors: lar of the kernel code segment: ZF, access rights 0x00a09a00", r == (ZF | 0x00a09a00));
	check("descriptors: lar of a null selector or one beyond the GDT limit: ZF clear, destination kept",
	      probe_lar(0, 0x1234) == 0x1234 && probe_lar(0x100, 0x1234) == 0x1234);
	check("descriptors: lsl of the flat data segment (granular) and of the TSS: 0xffffffff, 103",
	      probe_lsl(0x10, 0) == (ZF | 0xffffffff) && probe_lsl(0x18, 0) == (ZF | 103));
	check("descriptors: lar of DPL-3 data with RPL 3 sets ZF; of DPL-0 data with RPL 3 clears it",
	      probe_lar(0x33, 0) == (ZF | 0x00c0f200) && probe_lar(0x13, 7) == 7);
	check("descriptors: verr/verw: readable code not writable, data both, the TSS neither",
	      probe_verr(0x08) == 1 && probe_verw(0x08) == 0 && probe_verr(0x10) == 1 && probe_verw(0x10) == 1 &&
	      probe_verr(0x18) == 0 && probe_verw(0x18) == 0);

	ldt[0] = 0x00cff2000000ffff;   /* 0x07: data, DPL 3 */
	ldt[1] = 0x00cf9a000000ffff;   /* 0x0c: code, DPL 0 */
	u64 lb = (u64)ldt;
	gdt[8] = (sizeof(ldt) - 1) | ((lb & 0xffffff) << 16) | (0x82ul << 40) | ((lb >> 24 & 0xff) << 56);
	gdt[9] = lb >> 32;             /* 0x40: the LDT */
	lldt(0x40);
	int in_ldt = sldt() == 0x40 && probe_lar(0x07, 0) == (ZF | 0x00c0f200) && probe_verw(0x07) == 1 &&
		     probe_lsl(0x0c, 0) == (ZF | 0xffffffff) && probe_lar(0x14, 5) == 5;
	lldt(0);
	check("descriptors: lldt, sldt; lar/lsl/verw of LDT selectors read the LDT (and its limit)",
	      in_ldt && sldt() == 0 && probe_lar(0x07, 5) == 5);

	/* Ring 3 natively (under the wedge: on Xen's tables, which mirror
	 * the guest's DPL-3 descriptors) */
	lldt(0x40);
	for (int i = 0; i < 6; i++)
		user_data[i] = 0x5a5a;
	u64 ustatus = run_user(36, 0);
	lldt(0);
	__asm__ volatile("cli");
	check("descriptors: ring 3 runs with the kernel's selectors: mov from cs, ss reads 0x3b, 0x33",
	      ustatus == 0 && user_data[0] == 0x3b && user_data[1] == 0x33);
	check("descriptors: ring 3 lar of its CS: ZF, access rights 0x00a0fa00; of the DPL-0 0x08: ZF clear",
	      user_data[2] == (ZF | 0x00a0fa00) && user_data[3] == 5);
	check("descriptors: ring 3 loads an LDT data selector into %fs (reads back 0x07); lsl of it: 0xffffffff",
	      user_data[4] == 0x07 && user_data[5] == (ZF | 0xffffffff));
	if (ustatus != 0 || user_data[0] != 0x3b || user_data[4] != 0x07) {
		info("  status", ustatus);
		for (int i = 0; i < 6; i++)
			info("  data word", user_data[i]);
	}

	check("descriptors: verw with a non-canonical stack pointer (Linux's exit path) touches no stack",
	      verw_odd_stack(0x10) == 1 && verw_odd_stack(0x08) == 0);

	static const struct { u16 cs, ss; long err; const char *name; } frames[] = {
		{ 0x08, 0x10, -1, "descriptors: iretq to CS 0x08, SS 0x10 (same level) goes through" },
		{ 0x08, 0x00, -1, "descriptors: iretq to CS 0x08 with a null SS (64-bit, ring 0) goes through" },
		{ 0x10, 0x10, 0x10, "descriptors: iretq to a data segment as CS: #GP(0x10)" },
		{ 0x3b, 0x00, 0, "descriptors: iretq to ring 3 with a null SS: #GP(0)" },
		{ 0x38, 0x10, 0x38, "descriptors: iretq to a DPL-3 code segment with RPL 0: #GP(0x38)" },
		{ 0x08, 0x33, 0x30, "descriptors: iretq to ring 0 with an RPL-3 SS: #GP(0x30)" },
		{ 0x108, 0x10, 0x108, "descriptors: iretq to a CS beyond the GDT limit: #GP(0x108)" },
	};
	for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		reset_gp();
		gp_resume = (u64)iret_probe_done;
		u64 res = iret_probe(frames[i].cs, frames[i].ss);
		gp_resume = 0;
		int ok = frames[i].err < 0 ? res == 0 && gp_count == 0
			 : res == (u64)-1 && gp_count == 1 && gp_err == (u64)frames[i].err &&
			   gp_rip == (u64)iret_probe_insn && gp_cs == 0x08;
		check(frames[i].name, ok);
		if (!ok) {
			info("  result", res);
			info("  #GP count", gp_count);
			info("  #GP error code", gp_err);
			info("  #GP rip", gp_rip);
		}
	}
}

/* ---- group compat: 32-bit code in ring 3 (CS 0x2b) ---- */
extern u64 enter_user32(u64 eip, u64 esp);
extern char user32_start[], u32_syscall_ret[], compat_syscall_entry[], user64_to32[];
volatile u64 compat_sys_rcx, compat_sys_ebx, compat_sys_count;
static u8 user32_stack[4096] __attribute__((aligned(4096)));
#define USER32_BASE 0x80000000ul

static void group_compat(void)
{
	usermode_setup();
	map4k(main_as, USER32_BASE, (u64)user32_start, PTE_P | PTE_U);
	map4k(main_as, USER32_BASE + 0x1000, (u64)user32_stack, PTE_P | PTE_W | PTE_U | PTE_NX);
	wrmsr(0xc0000083, (u64)compat_syscall_entry);   /* CSTAR */
	compat_nreports = compat_sys_count = compat_sys_rcx = compat_sys_ebx = 0;
	u64 status = enter_user32(USER32_BASE, USER32_BASE + 0x2000);
	last_status = status;
	int ok = compat_nreports >= 1 && compat_reports[0] == 1 && compat_cs[0] == 0x2b;
	check("compat: iretq to a 32-bit code segment (CS 0x2b) runs 32-bit code; int $0x80 from it", ok);
	ok = compat_nreports >= 2 && compat_reports[1] == 1 && compat_cs[1] == 0x2b;
	check("compat: after the kernel's iretq back to CS 0x2b the code still runs as 32-bit code", ok);
	ok = compat_sys_count == 1 && compat_sys_rcx == USER32_BASE + (u64)(u32_syscall_ret - user32_start) &&
	     (u32)compat_sys_ebx == 0x5eca11 && compat_nreports >= 3 && compat_reports[2] == 1 && compat_cs[2] == 0x2b;
	check("compat: syscall from compat mode enters CSTAR (rcx = the return eip), sysretl returns to 32-bit code", ok);
	check("compat: the program's exit status through int $0x80", (u32)status == 0x32 && compat_nreports == 3);
	if ((u32)status != 0x32 || compat_nreports != 3) {
		info("  status", status);
		info("  reports", compat_nreports);
		info("  report values", compat_reports[0] | compat_reports[1] << 8 | compat_reports[2] << 16);
		info("  syscalls via CSTAR", compat_sys_count);
		info("  CSTAR rcx", compat_sys_rcx);
	}
	u64 status2 = 0;
	if ((u32)status == 0x32) {
		compat_nreports = 0;
		status2 = enter_user(USER32_BASE + (u64)(user64_to32 - user32_start), USER32_BASE + 0x2000, 0, 0, 0);
	}
	ok = status2 == 0x64 && compat_nreports == 2 && compat_reports[0] == 1 && compat_cs[0] == 0x2b &&
	     compat_reports[1] == 0 && compat_cs[1] == 0x3b;
	check("compat: ring 3 goes from 64-bit code to 32-bit code by lretq and back by ljmp, no kernel between", ok);
	if (!ok) {
		info("  status", status2);
		info("  reports", compat_nreports);
		info("  report values", compat_reports[0] | compat_reports[1] << 8);
		info("  report CSes", compat_cs[0] | compat_cs[1] << 16);
	}
}

/* ---- group devices: what a process reaches through tty ioctls, hwclock, /dev/port ---- */
extern void outsb_rep(u64 port, const void *src, u64 n);
extern void insb_rep(u64 port, void *dst, u64 n);
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static u8 rtc_read(u8 reg) { outb(0x70, reg); return inb(0x71); }
static void rtc_write(u8 reg, u8 v) { outb(0x70, reg); outb(0x71, v); }

static void group_devices(void)
{
	__asm__ volatile("cli");
	/* 16550 loopback: nothing may be printed until it is off again */
	u8 mcr0 = inb(COM1 + 4);
	outb(COM1 + 2, 0x07);          /* FIFO on, cleared */
	outb(COM1 + 4, 0x1b);          /* LOOP | OUT2 | RTS | DTR */
	u8 msr1 = inb(COM1 + 6) & 0xf0;
	outb(COM1 + 4, 0x14);          /* LOOP | OUT1 */
	u8 msr2 = inb(COM1 + 6) & 0xf0;
	outsb_rep(COM1, "LOOP", 4);
	u8 lsr1 = inb(COM1 + 5);
	char back[5] = { 0, 0, 0, 0, 0 };
	insb_rep(COM1, back, 4);
	u8 lsr2 = inb(COM1 + 5);
	outb(COM1 + 4, mcr0);
	check("devices: 16550 loopback: DTR, RTS, OUT2 drive DSR, CTS, DCD; OUT1 drives RI",
	      msr1 == 0xb0 && msr2 == 0x40);
	check("devices: 16550 loopback: rep outsb to THR comes back on RBR (rep insb), then RBR is empty",
	      (lsr1 & 1) && back[0] == 'L' && back[1] == 'O' && back[2] == 'O' && back[3] == 'P' && !(lsr2 & 1));

	/* The RTC set as hwclock -w does (register B SET), read back. */
	u8 b = rtc_read(0x0b);
	rtc_write(0x0b, b | 0x80);
	rtc_write(0x00, 0x00);
	rtc_write(0x02, 0x10);
	rtc_write(0x04, 0x07);
	rtc_write(0x07, 0x15);
	rtc_write(0x08, 0x06);
	rtc_write(0x09, 0x31);
	rtc_write(0x0b, b & 0x7f);
	check("devices: the RTC set with register B's SET bit reads back hour, day, month and year",
	      (b & 0x04) == 0 && rtc_read(0x04) == 0x07 && rtc_read(0x07) == 0x15 && rtc_read(0x08) == 0x06 &&
	      rtc_read(0x09) == 0x31);

	/* PIT channel 2 as Linux's TSC calibration (pit_calibrate_tsc) uses
	 * it: GATE (port 0x61 bit 0) high, speaker data off, mode 0, poll OUT
	 * (bit 5).  GATE low while counting is not compared (QEMU keeps
	 * counting in mode 0, the 8254 holds the count). */
	u8 p61 = inb(0x61);
	outb(0x61, (u8)((p61 & ~0x02) | 0x01));
	u8 p61_on = inb(0x61) & 0x03;
	outb(0x43, 0xb0);              /* channel 2, lo/hi, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);              /* 65535 clocks: 55 ms */
	u8 out_before = inb(0x61) & 0x20;
	u16 c = 0xffff;
	for (u64 i = 0; i < 100000000ul && c >= 0xff00; i++) {
		outb(0x43, 0x80);      /* latch channel 2 */
		c = inb(0x42);
		c |= (u16)(inb(0x42) << 8);
	}
	u8 out_mid = inb(0x61) & 0x20;
	u64 polls = 0;
	while (!(inb(0x61) & 0x20) && polls < 100000000ul)
		polls++;
	u8 out_after = inb(0x61) & 0x20;
	outb(0x61, (u8)(p61 & ~0x03));
	u8 p61_off = inb(0x61) & 0x03;
	check("devices: port 0x61 reads back channel 2's GATE and the speaker data bit as written",
	      p61_on == 0x01 && p61_off == 0x00);
	check("devices: PIT channel 2, mode 0, GATE high: OUT (port 0x61 bit 5) low once loaded, "
	      "the count going down, OUT high when it runs out",
	      !out_before && c < 0xff00 && !out_mid && out_after);
	info("pit channel 2 polls of port 0x61 in 55 ms", polls);

	u8 e = inb(0x4d1);
	outb(0x4d1, e | 0x02);         /* IRQ9 level triggered: taken, not fatal */
	outb(0x4d1, e);
	outb(0x1234, 0x5a);
	check("devices: a port no device decodes reads all ones as byte, word and dword; writes go nowhere",
	      inb(0x1234) == 0xff && inw(0x1234) == 0xffff && inl(0x1234) == 0xffffffffu);

	/* A mapping of guest-physical memory no device decodes (1 GiB, above
	 * the 128 MiB of RAM, below the PCI hole): a read gives the bus's
	 * idle value (the same twice; which value is the board's: not
	 * compared), a write goes nowhere; nothing stops the machine (the
	 * wedge used to end the domain: no MMIO models). */
	u64 *pml4 = (u64 *)(read_cr3() & ~0xffful);
	u64 va = KTEST + 0x7000;
	map4k(pml4, va, 0x40000000ul, PTE_P | PTE_W);
	invlpg(va);
	u64 v1 = RD(va + 8), v2 = RD(va + 8);
	RD(va + 16) = 0x5a5a5a5a5a5a5a5aul;
	map4k(pml4, va, 0, 0);
	invlpg(va);
	check("devices: a mapping of unclaimed physical addresses reads the same value twice and takes a write",
	      v1 == v2);
}

/* ---- group apic: the local APIC (xAPIC page), as the wedge models it
 * (apic.c) and QEMU has it: timer one-shot and periodic, IRR/ISR/EOI,
 * a self IPI held back by TPR.  Values the two differ in (the version's
 * exact number, what the firmware left in SVR and LINT0) are not
 * compared; both are restored at the end so the 8259 reaches the CPU as
 * before (QEMU: SeaBIOS's virtual wire; the wedge: APIC disabled). ---- */
#define APIC_VA (KTEST + 0x9000)
extern void apic_timer_entry(void), apic_ipi_entry(void);
volatile u64 apic_timer_irqs, apic_ipi_irqs;
volatile u32 apic_isr_in_handler;
/* through a pointer the compiler cannot fold: a register-based mov, as
 * Linux's apic_read/apic_write (the wedge decodes mov forms with ModRM) */
static u8 *volatile apic_page = (u8 *)APIC_VA;
static u32 apic_rd(unsigned r) { return *(volatile u32 *)(apic_page + r); }
static void apic_wr(unsigned r, u32 v) { *(volatile u32 *)(apic_page + r) = v; }

static void group_apic(void)
{
	__asm__ volatile("cli");
	u32 a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	u64 base = rdmsr(0x1b);
	check("apic: cpuid shows the APIC; APIC_BASE: enabled, BSP, at 0xfee00000",
	      (d & (1u << 9)) && (base & 0xfffff900ul) == 0xfee00900ul);
	u64 *pml4 = (u64 *)(read_cr3() & ~0xffful);
	map4k(pml4, APIC_VA, 0xfee00000ul, PTE_P | PTE_W | 0x10 /* PCD */);
	invlpg(APIC_VA);
	u32 ver = apic_rd(0x30), svr0 = apic_rd(0xf0), lint0 = apic_rd(0x350);
	check("apic: version register: an integrated APIC with at least 4 LVT entries",
	      (ver & 0xf0) == 0x10 && ((ver >> 16) & 0xff) >= 3);
	info("apic version", ver);
	set_gate(0x40, apic_timer_entry);
	set_gate(0x41, apic_ipi_entry);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_wr(0xf0, 0x1ff);           /* software-enabled, spurious vector 0xff */
	apic_wr(0x80, 0);
	apic_wr(0x350, 0x10700);        /* LINT0 masked */
	apic_wr(0x3e0, 0xb);            /* divide by 1 */
	apic_wr(0x320, 0x40);           /* one-shot, vector 0x40 */
	apic_timer_irqs = 0;
	apic_wr(0x380, 1000000);
	u64 i;
	for (i = 0; i < 100000000ul && !(apic_rd(0x220) & 1); i++)
		;
	u32 cur = apic_rd(0x390);
	check("apic: one-shot timer: its vector waits in IRR while IF is clear, the current count is 0",
	      (apic_rd(0x220) & 1) && cur == 0 && apic_timer_irqs == 0);
	__asm__ volatile("sti; nop; cli");
	check("apic: the timer interrupt is taken after sti, in ISR during the handler, out of ISR after its EOI",
	      apic_timer_irqs == 1 && (apic_isr_in_handler & 1) && !(apic_rd(0x120) & 1) && !(apic_rd(0x220) & 1));
	apic_timer_irqs = 0;
	apic_wr(0x320, 0x20040);        /* periodic */
	apic_wr(0x380, 1000000);
	__asm__ volatile("sti");
	for (i = 0; i < 1000000000ul && apic_timer_irqs < 3; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	apic_wr(0x320, 0x10040);
	apic_wr(0x380, 0);
	check("apic: periodic timer: interrupts keep coming", apic_timer_irqs >= 3);
	__asm__ volatile("sti; nop; cli");   /* one left in IRR, if any */
	apic_ipi_irqs = 0;
	apic_wr(0x80, 0x50);            /* TPR class 5 holds vector 0x41 (class 4) */
	apic_wr(0x300, 0x40041);        /* fixed IPI to self, vector 0x41 */
	__asm__ volatile("sti; nop; nop; cli");
	int held = apic_ipi_irqs == 0 && (apic_rd(0x220) & 2) && (apic_rd(0xa0) & 0xf0) == 0x50;
	apic_wr(0x80, 0);
	__asm__ volatile("sti; nop; cli");
	check("apic: a self IPI waits in IRR behind a TPR of a higher class, taken once TPR drops",
	      held && apic_ipi_irqs == 1 && !(apic_rd(0x220) & 2));
	apic_wr(0x350, lint0);
	apic_wr(0xf0, svr0);
	map4k(pml4, APIC_VA, 0, 0);
	invlpg(APIC_VA);
}

/* ---- group breakpoints: DR0-DR3/DR7 ---- */
extern void bp_exec_target(void), bp_data_write(volatile u32 *p);
extern char bp_data_after[];
static volatile u32 bp_data;
static void write_dr(unsigned n, u64 v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" :: "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" :: "r"(v)); break;
	case 7: __asm__ volatile("mov %0, %%dr7" :: "r"(v)); break;
	}
}

static void group_breakpoints(void)
{
	exc_setup();
	__asm__ volatile("cli");
	exc_reset();
	write_dr6(0);
	write_dr(0, (u64)bp_exec_target);
	write_dr(7, 0x401);            /* L0, execute, 1 byte */
	bp_exec_target();
	{
		int ok_ = exc_count == 1 && exc_vec == 1 && exc_rip == (u64)bp_exec_target && exc_cs == 0x08 &&
			  (exc_dr6 & 0xf) == 1;
		check("breakpoints: an execute breakpoint in DR0/DR7: #DB at the instruction, DR6.B0", ok_);
		explain(ok_, 0);
	}
	exc_reset();
	write_dr6(0);
	bp_data = 0;
	write_dr(1, (u64)&bp_data);
	write_dr(7, 0x400 | 0x4 | (1ul << 20) | (3ul << 22));   /* L1, write, 4 bytes */
	(void)bp_data;                 /* a read: no #DB */
	bp_data_write(&bp_data);
	{
		int ok_ = exc_count == 1 && exc_vec == 1 && exc_rip == (u64)bp_data_after && (exc_dr6 & 0xf) == 2 &&
			  bp_data == 1;
		check("breakpoints: a write breakpoint in DR1: #DB after the write (trap), DR6.B1, not on a read", ok_);
		explain(ok_, 0);
	}
	/* ring 3, as ptrace's u_debugreg or perf's breakpoint events arm it:
	 * a read/write breakpoint on a user address, hit by a user load */
	exc_reset();
	write_dr6(0);
	user_data[0] = 0x6262;
	write_dr(0, USER_DATA);
	write_dr(7, 0x400 | 0x1 | (3ul << 16) | (2ul << 18));   /* L0, read/write, 8 bytes */
	u64 status = run_user(20, USER_DATA);   /* u_load: exit(*arg) */
	last_status = status;
	{
		int ok_ = status == 0x6262 && exc_count == 1 && exc_vec == 1 && exc_cs == 0x3b && exc_ss == 0x33 &&
			  (exc_dr6 & 0xf) == 1;
		check("breakpoints: a read/write breakpoint on a user address: #DB in ring 3 with the user frame, DR6.B0", ok_);
		explain(ok_, status);
	}
	/* an execute breakpoint in ring 3 stepped over with RF, as Linux's
	 * perf breakpoints do: one #DB, the instruction then runs */
	exc_reset();
	write_dr6(0);
	extern char u_load[];
	write_dr(0, user_va(u_load));
	write_dr(7, 0x401);
	bp_resume_rf = 1;
	status = run_user(20, USER_DATA);
	bp_resume_rf = 0;
	write_dr(7, 0x400);
	last_status = status;
	{
		int ok_ = status == 0x6262 && exc_count == 1 && exc_vec == 1 && exc_rip == user_va(u_load) && exc_cs == 0x3b &&
			  (exc_dr6 & 0xf) == 1;
		check("breakpoints: an execute breakpoint in ring 3, resumed with RF: one #DB, then the instruction runs", ok_);
		explain(ok_, status);
	}
	exc_teardown();
}

/* ---- group farinsn: far jumps and calls, rdpmc, xgetbv ---- */
extern u64 far_call_probe(void), far_jmp_probe(void), probe_rdpmc(void), probe_xgetbv(void);
extern char probe_rdpmc_insn[], probe_rdpmc_done[], probe_xgetbv_insn[], probe_xgetbv_done[];

static void group_farinsn(void)
{
	exc_setup();
	__asm__ volatile("cli");
	check("farinsn: lcall through an m16:32 pointer to CS 0x08 and lretl back", far_call_probe() == 0x5a5a);
	check("farinsn: ljmp through an m16:32 pointer to CS 0x08", far_jmp_probe() == 0x7b7b);
	exc_reset();
	reset_gp();
	exc_resume = gp_resume = (u64)probe_rdpmc_done;
	probe_rdpmc();
	{
		/* QEMU's TCG has no rdpmc (#UD); a CPU without the counter gives #GP(0) */
		int ok_ = (exc_count == 1 && exc_vec == 6 && exc_rip == (u64)probe_rdpmc_insn && gp_count == 0) ||
			  (gp_count == 1 && gp_err == 0 && gp_rip == (u64)probe_rdpmc_insn && exc_count == 0);
		check("farinsn: rdpmc of a counter that is not there: #UD or #GP(0) at the instruction", ok_);
		explain(ok_, 0);
		info("farinsn: rdpmc raised vector", exc_count ? exc_vec : 13);
	}
	exc_reset();
	reset_gp();
	exc_resume = gp_resume = (u64)probe_xgetbv_done;
	probe_xgetbv();
	{
		int ok_ = exc_count == 1 && exc_vec == 6 && exc_rip == (u64)probe_xgetbv_insn && gp_count == 0;
		check("farinsn: xgetbv without XSAVE in cpuid (CR4.OSXSAVE clear): #UD", ok_);
		explain(ok_, 0);
	}
	exc_resume = gp_resume = 0;
	exc_teardown();
}

extern u32 multiboot_info;   /* boot32.S: the multiboot information, 0 under the wedge */

void conformance_main(u64 boot_params)
{
	check_uart();
	info("boot_params", boot_params);
	const char *cmdline = 0;
	if (boot_params)
		cmdline = (const char *)(u64)*(const u32 *)((const u8 *)boot_params + 0x228);
	else if (multiboot_info && (*(const u32 *)(u64)multiboot_info & 4))
		cmdline = (const char *)(u64)*(const u32 *)(u64)(multiboot_info + 16);
	unsigned groups = parse_groups(cmdline);
	puts_("info groups base");
	for (unsigned g = 0; g < sizeof(group_names) / sizeof(group_names[0]); g++)
		if (groups & 1u << g) {
			puts_(",");
			puts_(group_names[g]);
		}
	puts_("\n");
	puts_("group base\n");
	on_xen = boot_params != 0;   /* entered at startup_64 by the wedge, not by multiboot */
	if (boot_params) {
		/* Entered like Linux's startup_64: show what the loader handed over. */
		const u8 *bp = (const u8 *)boot_params;
		u32 rd = *(const u32 *)(bp + 0x218), rd_size = *(const u32 *)(bp + 0x21c);
		const char *cmdline = (const char *)(u64)*(const u32 *)(bp + 0x228);
		puts_("info command line \"");
		puts_(cmdline ? cmdline : "");
		puts_("\"\n");
		info("initrd size", rd_size);
		if (rd_size) {
			char line[64];
			u32 n = 0;
			for (; n < rd_size && n < sizeof(line) - 1 && ((const char *)(u64)rd)[n] != '\n'; n++)
				line[n] = ((const char *)(u64)rd)[n];
			line[n] = 0;
			puts_("info initrd first line \"");
			puts_(line);
			puts_("\"\n");
		}
	}
	check_descriptor_tables();
	pic_init();            /* before any sti: the firmware's PIC maps IRQ0 to vector 8 */
	check_traps();
	check_unannotated();
	check_cpuid_msr();
	check_control_registers();
	check_paging();
	check_interrupts();
	measure_costs();
	if (groups & G_ASPACE) {
		puts_("group aspace\n");
		group_aspace();
	}
	if (groups & G_PAGEFAULT) {
		puts_("group pagefault\n");
		group_pagefault();
	}
	if (groups & G_USERMODE) {
		puts_("group usermode\n");
		group_usermode();
	}
	if (groups & G_NESTED) {
		puts_("group nested\n");
		group_nested();
	}
	if (groups & G_FPU) {
		puts_("group fpu\n");
		group_fpu();
	}
	if (groups & G_STRESS) {
		puts_("group stress\n");
		group_stress();
	}
	if (groups & G_EXCEPTIONS) {
		puts_("group exceptions\n");
		group_exceptions();
	}
	if (groups & G_USERENTRY) {
		puts_("group userentry\n");
		group_userentry();
	}
	if (groups & G_USERPROC) {
		puts_("group userproc\n");
		group_userproc();
	}
	if (groups & G_SEGBASE) {
		puts_("group segbase\n");
		group_segbase();
	}
	if (groups & G_PREEMPT) {
		puts_("group preempt\n");
		group_preempt();
	}
	if (groups & G_PTWALK) {
		puts_("group ptwalk\n");
		group_ptwalk();
	}
	if (groups & G_SIGSLEEP) {
		puts_("group sigsleep\n");
		group_sigsleep();
	}
	if (groups & G_MANYAS) {
		puts_("group manyas\n");
		group_manyas();
	}
	if (groups & G_FPUPREEMPT) {
		puts_("group fpupreempt\n");
		group_fpupreempt();
	}
	if (groups & G_USERTLB) {
		puts_("group usertlb\n");
		group_usertlb();
	}
	if (groups & G_IRQSWAPGS) {
		puts_("group irqswapgs\n");
		group_irqswapgs();
	}
	if (groups & G_DEBUG) {
		puts_("group debug\n");
		group_debug();
	}
	if (groups & G_SOFTINT) {
		puts_("group softint\n");
		group_softint();
	}
	if (groups & G_LRETUSER) {
		puts_("group lretuser\n");
		group_lretuser();
	}
	if (groups & G_DESCRIPTORS) {
		puts_("group descriptors\n");
		group_descriptors();
	}
	if (groups & G_COMPAT) {
		puts_("group compat\n");
		group_compat();
	}
	if (groups & G_DEVICES) {
		puts_("group devices\n");
		group_devices();
	}
	if (groups & G_BREAKPOINTS) {
		puts_("group breakpoints\n");
		group_breakpoints();
	}
	if (groups & G_APIC) {
		puts_("group apic\n");
		group_apic();
	}
	if (groups & G_FARINSN) {
		puts_("group farinsn\n");
		group_farinsn();
	}
	finish();
}
