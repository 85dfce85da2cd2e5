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

static u64 gdt[8] __attribute__((aligned(16)));
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
}

void conformance_main(u64 boot_params)
{
	check_uart();
	info("boot_params", boot_params);
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
	finish();
}
