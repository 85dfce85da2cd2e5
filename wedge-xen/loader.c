/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading the burnt guest: validate it with the validator ab-create and
 * the libxenguest loader share (domtools/libafterburn/validate.c: the
 * same verdict and reason on every load path), place its PT_LOAD
 * segments at their physical addresses in guest-physical memory, rewrite
 * every annotated site, write a Linux zero page, and enter it at
 * startup_64 (or e_entry) as a 64-bit boot loader would.
 * A guest that fails a check is refused: one clear console line, then a
 * clean power-off.
 */
#include "wedge-xen/wedge.h"
#include "x86/rewrite.h"
#include "include/afterburn/annotation.h"
#include "domtools/ab-create-bundle.h"
#include "domtools/libafterburn/validate.h"
#include <elf.h>
#include <xen/sched.h>

#define BOOT_PARAMS_PA 0x7000ul
#define CMDLINE_PA     0x8000ul
#define BOOT_PML4_PA   0x9000ul   /* the loader's page tables: PML4, PDPT, PD */

/* What a 64-bit boot loader leaves: an identity map (2 MiB pages) of the
 * first GiB in guest memory, which the guest may read, copy or replace. */
static void write_boot_page_tables(void)
{
	u64 *pml4 = gpa_ptr(BOOT_PML4_PA, PAGE_SIZE);
	u64 *pdpt = gpa_ptr(BOOT_PML4_PA + PAGE_SIZE, PAGE_SIZE);
	u64 *pd = gpa_ptr(BOOT_PML4_PA + 2 * PAGE_SIZE, PAGE_SIZE);
	memset(pml4, 0, 3 * PAGE_SIZE);
	pml4[0] = (BOOT_PML4_PA + PAGE_SIZE) | 0x3;
	pdpt[0] = (BOOT_PML4_PA + 2 * PAGE_SIZE) | 0x3;
	for (u64 i = 0; i < 512 && (i << 21) < guest_mem_bytes; i++)
		pd[i] = (i << 21) | 0x83;
	vcpu.cr3 = BOOT_PML4_PA;
}

static __attribute__((noreturn, format(printf, 1, 2))) void refuse(const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("wedge: refusing the guest: %s\n", buf);
	printk("wedge: shutting the domain down\n");
	wedge_shutdown(SHUTDOWN_poweroff);
}

struct image {
	const u8 *data;
	u64 size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct ab_validated v;   /* the shared validator's findings */
};

/* The validator's one bitmap (a bit per byte of executable code): taken
 * from the top of guest memory, which holds nothing yet (the segments and
 * the initrd are placed after the verdict). */
static void *scratch_zalloc(void *ctx, size_t bytes)
{
	(void)ctx;
	u64 need = (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (need > guest_mem_bytes / 2)
		return NULL;
	void *p = gpa_ptr(guest_mem_bytes - need, need);
	memset(p, 0, need);
	return p;
}

static void scratch_release(void *ctx, void *p, size_t bytes)
{
	(void)ctx;
	(void)p;
	(void)bytes;
}

/*
 * The one validation every loader makes (domtools/libafterburn/validate.c):
 * ab-create and the libxenguest loader refuse the same images with the
 * same reason, before a domain exists; this one is for a guest handed to
 * the wedge some other way (xl create kernel=wedge ramdisk=vmlinux).
 */
static void check_image(struct image *im, bool rewritten)
{
	static const struct ab_v_alloc scratch = { scratch_zalloc, scratch_release, NULL };
	char why[300];
	/* sites the builder rewrote: their bytes are checked against the
	 * bundle's site table (take_builder_sites), everything else here */
	if (ab_validate_image_flags(im->data, im->size, &scratch, rewritten ? AB_V_SITES_REWRITTEN : 0,
				    &im->v, why, sizeof(why)))
		refuse("%s", why);
	im->eh = (const Elf64_Ehdr *)im->data;
	im->sh = (const Elf64_Shdr *)(im->data + im->eh->e_shoff);
	printk("wedge: guest afterburn ABI version %u, x86-64, flags %x, %lu records\n",
	       im->v.abi_version, im->v.note_flags, (u64)im->v.nrecords);
}

/* Guest-physical address of guest virtual `va` if it lies in a PT_LOAD
 * file image with `len` bytes; 0 (no segment at 0 here) otherwise. */
static u64 va_to_pa(const struct image *im, u64 va, u64 len, bool exec)
{
	for (unsigned i = 0; i < im->v.nsegments; i++) {
		const struct ab_v_segment *p = &im->v.segments[i];
		if (exec && !(p->flags & PF_X))
			continue;
		if (va >= p->vaddr && va - p->vaddr <= p->filesz && len <= p->filesz - (va - p->vaddr))
			return va - p->vaddr + p->paddr;
	}
	return 0;
}

/* Bytes of the ELF file proper: headers, sections, segments. Whatever the
 * module holds beyond it is the guest's initrd (`cat vmlinux initrd`). */
static u64 elf_file_end(const struct image *im)
{
	u64 end = im->eh->e_ehsize;
#define UPTO(x) do { if ((x) > end) end = (x); } while (0)
	UPTO(im->eh->e_phoff + (u64)im->eh->e_phnum * im->eh->e_phentsize);
	UPTO(im->eh->e_shoff + (u64)im->eh->e_shnum * im->eh->e_shentsize);
	/* sections with file bytes: inside the file (validated); SHT_NULL and
	 * SHT_NOBITS ones have none, whatever their offset and size say */
	for (unsigned i = 0; i < im->eh->e_shnum; i++)
		if (im->sh[i].sh_type != SHT_NOBITS && im->sh[i].sh_type != SHT_NULL)
			UPTO(im->sh[i].sh_offset + im->sh[i].sh_size);
	for (unsigned i = 0; i < im->v.nsegments; i++)
		UPTO(im->v.segments[i].offset + im->v.segments[i].filesz);
#undef UPTO
	return end < im->size ? end : im->size;   /* e_ehsize is not checked */
}

static u64 initrd_pa, initrd_size;

/* An afterburn boot bundle (domtools/ab-create-bundle.h): the module ends
 * in a trailer that says where the image, the initrd and (sites rewritten
 * by the domain builder) the site table are. */
struct bundle {
	bool present;
	u32 flags;
	const u8 *initrd;
	u64 initrd_size;
	const u8 *sites;
	u64 sites_size;
};

static u64 lohi(ab_u32 lo, ab_u32 hi) { return (u64)hi << 32 | lo; }

/* Reads the trailer, if any, and shrinks *size to the ELF image. */
static void read_bundle(const u8 *data, u64 *size, struct bundle *b)
{
	struct afterburn_bundle_trailer t;
	memset(b, 0, sizeof(*b));
	if (*size < sizeof(t) || memcmp(data + *size - sizeof(t), AFTERBURN_BUNDLE_MAGIC, 8))
		return;   /* a plain burnt ELF (xl create kernel=wedge ramdisk=vmlinux) */
	memcpy(&t, data + *size - sizeof(t), sizeof(t));
	u64 room = *size - sizeof(t);
	u64 koff = lohi(t.kernel_offset_lo, t.kernel_offset_hi), ksize = lohi(t.kernel_size_lo, t.kernel_size_hi);
	u64 ioff = lohi(t.initrd_offset_lo, t.initrd_offset_hi), isize = lohi(t.initrd_size_lo, t.initrd_size_hi);
	u64 soff = lohi(t.sites_offset_lo, t.sites_offset_hi), ssize = lohi(t.sites_size_lo, t.sites_size_hi);
	if (t.trailer_size != sizeof(t))
		refuse("boot bundle: trailer of %u bytes, this wedge knows %zu", t.trailer_size, sizeof(t));
	if (t.flags & ~AFTERBURN_BUNDLE_F_KNOWN)
		refuse("boot bundle: unknown flags %x", t.flags & ~AFTERBURN_BUNDLE_F_KNOWN);
	if (koff != 0 || ksize == 0 || ksize > room)
		refuse("boot bundle: image at %lx+%lx, expected at 0 inside the %lu-byte module", koff, ksize, *size);
	if (isize && (ioff < ksize || ioff > room || isize > room - ioff))
		refuse("boot bundle: initrd at %lx+%lx is not between the image and the trailer", ioff, isize);
	if (!(t.flags & AFTERBURN_BUNDLE_F_REWRITTEN) != !ssize)
		refuse("boot bundle: a site table (%lu bytes) goes with the rewritten flag, and only with it", ssize);
	if (ssize && (soff < ksize || soff > room || ssize > room - soff || soff % 8))
		refuse("boot bundle: site table at %lx+%lx is not between the image and the trailer", soff, ssize);
	b->present = true;
	b->flags = t.flags;
	b->initrd = isize ? data + ioff : NULL;
	b->initrd_size = isize;
	b->sites = ssize ? data + soff : NULL;
	b->sites_size = ssize;
	*size = ksize;
	printk("wedge: boot bundle: image %lu bytes, initrd %lu bytes, flags %x\n", ksize, isize, t.flags);
}

/* The initrd goes to the top of guest memory, page aligned. */
static void place_initrd(const struct image *im, const struct bundle *b, u64 kernel_end)
{
	const u8 *src;
	if (b->present) {
		src = b->initrd;
		initrd_size = b->initrd_size;
	} else {
		u64 end = elf_file_end(im);   /* <= im->size */
		src = im->data + end;
		initrd_size = im->size - end;
	}
	if (!initrd_size)
		return;
	initrd_pa = (guest_mem_bytes - initrd_size) & ~(PAGE_SIZE - 1);
	if (initrd_pa < kernel_end || initrd_pa + initrd_size > 0x80000000ul)
		refuse("the initrd (%lu bytes after the ELF image) does not fit guest memory above "
		       "the kernel", initrd_size);
	memcpy(gpa_ptr(initrd_pa, initrd_size), src, initrd_size);
	printk("wedge: initrd: %lu bytes (%s) at %lx\n", initrd_size,
	       b->present ? "from the boot bundle" : "module bytes after the ELF image", initrd_pa);
}

static u64 load_segments(const struct image *im)
{
	u64 end = 0;
	for (unsigned i = 0; i < im->v.nsegments; i++) {
		const struct ab_v_segment *p = &im->v.segments[i];
		/* inside the file, no wrap, no overlap: validated */
		if (p->paddr < 0x100000 || p->paddr + p->memsz > guest_mem_bytes)
			refuse("PT_LOAD %u at %lx-%lx does not fit guest memory 1 MiB-%lu MiB", p->index,
			       p->paddr, p->paddr + p->memsz, guest_mem_bytes >> 20);
	}
	for (unsigned i = 0; i < im->v.nsegments; i++) {
		const struct ab_v_segment *p = &im->v.segments[i];
		memcpy(gpa_ptr(p->paddr, p->filesz), im->data + p->offset, p->filesz);
		memset(gpa_ptr(p->paddr + p->filesz, p->memsz - p->filesz), 0, p->memsz - p->filesz);
		printk("wedge: loaded segment %lx-%lx\n", p->paddr, p->paddr + p->memsz);
		if (p->paddr + p->memsz > end)
			end = p->paddr + p->memsz;
	}
	return end;
}

static void rewrite_sites(const struct image *im)
{
	printk("wedge: site rewriting: done by the wedge\n");
	struct x86_rewrite_targets t;
	t.upcall_mask = WEDGE_UPCALL_MASK;
	t.sti_check_slot = WEDGE_SLOT_STI_CHECK;
	for (unsigned k = 0; k < X86_KIND_MAX; k++)
		t.slot[k] = WEDGE_SLOT_KIND(k);
	/* Every record was validated (check_image): its site is the recorded
	 * instruction and padding, inside executable code, overlapping no
	 * other, with room for its rewrite.  A failure below is a bug. */
	u64 n = im->v.nrecords, kept = 0;
	for (u64 i = 0; i < n; i++) {
		struct ab_v_record rec, next = { 0 };
		ab_v_record_get(&im->v, im->data, i, &rec);
		if (i + 1 < n)
			ab_v_record_get(&im->v, im->data, i + 1, &next);
		u64 site_va = rec.addr;
		u64 pa = va_to_pa(im, site_va, rec.length, true);
		if (!pa)
			refuse("corrupt .afterburn: record %lu points at %lx, outside the executable segments",
			       i, site_va);
		struct x86_insn insn;
		unsigned ret_off;
		u8 *site = gpa_ptr(pa, rec.length);
		u8 original[256];   /* length is a u8 */
		memcpy(original, site, rec.length);
		enum x86_rewrite_status st = x86_rewrite_site(site, rec.length, rec.insn,
							      rec.kind, &t, &insn, &ret_off);
		if (st == X86_REWRITE_KEPT) {
			kept++;
			continue;
		}
		if (st != X86_REWRITE_OK)
			refuse("corrupt .afterburn: record %lu (kind %u %s, %u of %u bytes at %lx): %s",
			       i, rec.kind, x86_kind_name(rec.kind), rec.insn, rec.length, site_va,
			       x86_rewrite_strerror(st));
		sites_rewritten[rec.kind]++;
		enum x86_trap_form tf = x86_trap_form(rec.kind);
		if (tf != X86_TRAP_NONE) {
			/* may run on the user's stack: left to trap (x86/rewrite.h) */
			x86_rewrite_trap(site, rec.length, rec.insn, original, tf);
			site_table_add_trap(pa, rec.length, &insn);
			continue;
		}
		unsigned pair_len = 0;
		if (rec.kind == X86_KIND_STI && i + 1 < n && next.kind == X86_KIND_HLT &&
		    next.addr == site_va + rec.length) {
			/* sti; hlt as one emulated step: a call form instead of the
			 * inline unmask (the hlt site is checked and rewritten next) */
			pair_len = next.length;
			ret_off = x86_rewrite_call(site, rec.length, WEDGE_SLOT_KIND(X86_KIND_STI));
			if (!ret_off)
				refuse("corrupt .afterburn: record %lu: sti site too short for a call", i);
		}
		if (ret_off)
			site_table_add(pa + ret_off, pa, rec.length, &insn, pair_len);
	}
	site_table_sort();
	printk("wedge: rewrote %lu sites (%u calls into the wedge, %lu left as they are)\n",
	       n - kept, site_table_count(), kept);
}

/* [pa, pa+len) inside the file image of an executable PT_LOAD. */
static bool pa_in_code(const struct image *im, u64 pa, u64 len)
{
	for (unsigned i = 0; i < im->v.nsegments; i++) {
		const struct ab_v_segment *p = &im->v.segments[i];
		if ((p->flags & PF_X) && pa >= p->paddr && pa - p->paddr <= p->filesz &&
		    len <= p->filesz - (pa - p->paddr))
			return true;
	}
	return false;
}

static __attribute__((noreturn, format(printf, 3, 4)))
void refuse_entry(u64 i, const struct afterburn_bundle_site *e, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	refuse("corrupt bundle site table: entry %lu (kind %u %s, %u of %u bytes at %lx): %s", i,
	       e->kind, x86_kind_name(e->kind), e->insn, e->length, lohi(e->paddr_lo, e->paddr_hi), why);
}

/*
 * The domain builder rewrote the sites already (AFTERBURN_BUNDLE_F_REWRITTEN):
 * the site table gives each site's original instruction.  Nothing is
 * trusted: every entry must lie in executable code, its original bytes
 * must decode to its kind and length, and the site in guest memory must
 * hold exactly what this wedge would have written there (the rewriter run
 * on a scratch copy, with the wedge's own choices for traps and sti;hlt).
 */
static void take_builder_sites(const struct image *im, const struct bundle *b)
{
	struct afterburn_bundle_sites h;
	if (b->sites_size < sizeof(h))
		refuse("corrupt bundle site table: %lu bytes, shorter than its header", b->sites_size);
	memcpy(&h, b->sites, sizeof(h));
	if (memcmp(h.magic, AFTERBURN_SITES_MAGIC, 8) || h.entry_size != sizeof(struct afterburn_bundle_site) ||
	    (u64)h.count * h.entry_size != b->sites_size - sizeof(h))
		refuse("corrupt bundle site table: bad magic, entry size %u or count %u for %lu bytes",
		       h.entry_size, h.count, b->sites_size);
	struct x86_rewrite_targets t;
	t.upcall_mask = WEDGE_UPCALL_MASK;
	t.sti_check_slot = WEDGE_SLOT_STI_CHECK;
	for (unsigned k = 0; k < X86_KIND_MAX; k++)
		t.slot[k] = WEDGE_SLOT_KIND(k);
	if (lohi(h.upcall_mask_lo, h.upcall_mask_hi) != t.upcall_mask ||
	    lohi(h.sti_check_slot_lo, h.sti_check_slot_hi) != t.sti_check_slot ||
	    lohi(h.kind_slot_base_lo, h.kind_slot_base_hi) != WEDGE_SLOT_KIND(0))
		refuse("bundle site table: rewritten for another wedge layout (upcall mask %lx, slots %lx)",
		       lohi(h.upcall_mask_lo, h.upcall_mask_hi), lohi(h.kind_slot_base_lo, h.kind_slot_base_hi));
	printk("wedge: site rewriting: done by the domain builder (bundle site table, %u entries)\n", h.count);
	const struct afterburn_bundle_site *es = (const void *)(b->sites + sizeof(h));
	u64 kept = 0, prev_end = 0;
	for (u64 i = 0; i < h.count; i++) {
		struct afterburn_bundle_site e, next = { 0 };
		memcpy(&e, &es[i], sizeof(e));
		if (i + 1 < h.count)
			memcpy(&next, &es[i + 1], sizeof(next));
		u64 pa = lohi(e.paddr_lo, e.paddr_hi);
		if (e.kind == 0 || e.kind >= X86_KIND_MAX || e.insn == 0 || e.insn > 15 || e.insn > e.length ||
		    e.reserved[0] || e.reserved[1])
			refuse_entry(i, &e, "bad kind, lengths or reserved bytes");
		if (!pa_in_code(im, pa, e.length))
			refuse_entry(i, &e, "outside the executable segments");
		if (pa < prev_end)
			refuse_entry(i, &e, "overlaps the previous site or out of address order");
		prev_end = pa + e.length;
		u8 expect[256];
		struct x86_insn insn;
		unsigned ret_off;
		memcpy(expect, e.original, e.insn);
		enum x86_rewrite_status st = x86_rewrite_site(expect, e.length, e.insn, e.kind, &t, &insn, &ret_off);
		unsigned form = AFTERBURN_SITE_INLINE, pair_len = 0, cmp_len = e.length;
		if (st == X86_REWRITE_KEPT) {
			form = AFTERBURN_SITE_KEPT;
			cmp_len = e.insn;
		} else if (st != X86_REWRITE_OK) {
			refuse_entry(i, &e, "original bytes: %s", x86_rewrite_strerror(st));
		} else if (x86_trap_form(e.kind) != X86_TRAP_NONE) {
			/* left to trap (x86/rewrite.h): the original instruction
			 * (its pad is not compared), or ud2 and NOPs */
			form = AFTERBURN_SITE_TRAP;
			u8 orig[256];
			memset(orig, 0x90, sizeof(orig));
			memcpy(orig, e.original, e.insn);
			cmp_len = x86_rewrite_trap(expect, e.length, e.insn, orig, x86_trap_form(e.kind));
			ret_off = 0;
		} else {
			if (e.kind == X86_KIND_STI && next.kind == X86_KIND_HLT &&
			    lohi(next.paddr_lo, next.paddr_hi) == pa + e.length) {
				pair_len = next.length;   /* sti;hlt as one step, as rewrite_sites does */
				ret_off = x86_rewrite_call(expect, e.length, WEDGE_SLOT_KIND(X86_KIND_STI));
				if (!ret_off)
					refuse_entry(i, &e, "sti site too short for a call");
			}
			if (ret_off)
				form = AFTERBURN_SITE_CALL;
		}
		if (e.form != form || e.ret_offset != ret_off || e.pair_len != pair_len)
			refuse_entry(i, &e, "form %u, return offset %u, pair %u; expected %u, %u, %u",
				  e.form, e.ret_offset, e.pair_len, form, ret_off, pair_len);
		if (memcmp(gpa_ptr(pa, cmp_len), expect, cmp_len))
			refuse_entry(i, &e, "the image does not hold the %s form there",
				  form == AFTERBURN_SITE_CALL || form == AFTERBURN_SITE_INLINE ? "rewritten" : "original");
		if (form == AFTERBURN_SITE_KEPT) {
			kept++;
			continue;
		}
		sites_rewritten[e.kind]++;
		if (form == AFTERBURN_SITE_TRAP)
			site_table_add_trap(pa, e.length, &insn);
		else if (form == AFTERBURN_SITE_CALL)
			site_table_add(pa + ret_off, pa, e.length, &insn, pair_len);
	}
	site_table_sort();
	printk("wedge: took %lu sites rewritten by the builder (%u calls into the wedge, %lu left as they are)\n",
	       h.count - kept, site_table_count(), kept);
}

/* The value of symbol `name` in the first SHT_SYMTAB (0 if none): one
 * pass over its symbols, every string compared within its table. */
static u64 find_symbol(const struct image *im, const char *name)
{
	size_t nlen = strlen(name);
	for (unsigned i = 0; i < im->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		if (s->sh_type != SHT_SYMTAB)
			continue;
		if (s->sh_link >= im->eh->e_shnum || im->sh[s->sh_link].sh_type != SHT_STRTAB)
			return 0;
		/* both in the file: every non-NOBITS section is (validated) */
		const Elf64_Shdr *strs = &im->sh[s->sh_link];
		const u8 *syms = im->data + s->sh_offset;
		for (u64 j = 0; j < s->sh_size / sizeof(Elf64_Sym); j++) {
			Elf64_Sym sym;
			memcpy(&sym, syms + j * sizeof(sym), sizeof(sym));
			if (sym.st_name < strs->sh_size && nlen + 1 <= strs->sh_size - sym.st_name &&
			    !memcmp(im->data + strs->sh_offset + sym.st_name, name, nlen + 1))
				return sym.st_value;
		}
		return 0;
	}
	return 0;
}

/* A Linux zero page: e820 map, command line, boot protocol header. */
static void write_boot_params(const char *cmdline)
{
	u8 *bp = gpa_ptr(BOOT_PARAMS_PA, PAGE_SIZE);
	memset(bp, 0, PAGE_SIZE);
	size_t n = strlen(cmdline);
	if (n > 2047)
		n = 2047;
	char *cl = gpa_ptr(CMDLINE_PA, 2048);
	memcpy(cl, cmdline, n);
	cl[n] = 0;
	struct e820 { u64 addr, size; u32 type; } __attribute__((packed)) *e = (void *)(bp + 0x2d0);
	e[0] = (struct e820){ 0, 0x9f000, 1 };   /* the boot page tables at 0x9000 are the guest's to reuse */
	e[1] = (struct e820){ 0x9f000, 0x100000 - 0x9f000, 2 };
	e[2] = (struct e820){ 0x100000, guest_mem_bytes - 0x100000, 1 };
	bp[0x1e8] = 3;                              /* e820_entries */
	*(u16 *)(bp + 0x1fe) = 0xaa55;              /* boot_flag */
	memcpy(bp + 0x202, "HdrS", 4);              /* header */
	*(u16 *)(bp + 0x206) = 0x020f;              /* version */
	bp[0x210] = 0xff;                           /* type_of_loader: undefined */
	bp[0x211] = 0x01;                           /* loadflags: LOADED_HIGH */
	*(u32 *)(bp + 0x228) = (u32)CMDLINE_PA;     /* cmd_line_ptr */
	*(u32 *)(bp + 0x238) = 2047;                /* cmdline_size */
	*(u32 *)(bp + 0x218) = (u32)initrd_pa;      /* ramdisk_image */
	*(u32 *)(bp + 0x21c) = (u32)initrd_size;    /* ramdisk_size */
	*(u32 *)(bp + 0x22c) = 0x7fffffff;          /* initrd_addr_max */
}

void load_guest(const u8 *data, u64 size, const char *cmdline)
{
	struct bundle b;
	read_bundle(data, &size, &b);
	struct image im = { .data = data, .size = size };
	check_image(&im, b.flags & AFTERBURN_BUNDLE_F_REWRITTEN);
	u64 kernel_end = load_segments(&im);
	place_initrd(&im, &b, kernel_end);
	if (b.flags & AFTERBURN_BUNDLE_F_REWRITTEN)
		take_builder_sites(&im, &b);
	else
		rewrite_sites(&im);
	write_boot_params(cmdline);
	write_boot_page_tables();
	shadow_switch(vcpu.cr3);
	u64 entry = find_symbol(&im, "startup_64");
	const char *how = "startup_64";
	if (!entry) {
		entry = im.eh->e_entry;
		how = "e_entry";
	}
	/* A 64-bit boot loader enters at the physical address (identity map).
	 * Linux's e_entry is one already (phys_startup_64; validated). */
	u64 entry_pa = va_to_pa(&im, entry, 1, true);
	if (!entry_pa && !strcmp(how, "e_entry") && pa_in_code(&im, entry, 1))
		entry_pa = entry;
	if (!entry_pa)
		refuse("the guest entry %lx is not in an executable segment", entry);
	printk("wedge: entering the guest at %s %lx (physical %lx), boot_params %lx, command line \"%s\"\n",
	       how, entry, entry_pa, BOOT_PARAMS_PA, cmdline);
	entry = entry_pa;
	memset(&g_regs, 0, sizeof(g_regs));
	g_regs.rip = entry;
	g_regs.gpr[X86_RSI] = BOOT_PARAMS_PA;
	g_regs.gpr[X86_RSP] = BOOT_PARAMS_PA;   /* a usable stack until it sets its own */
	g_regs.rflags = 0x202;
	g_next_mask = 1;                         /* interrupts disabled */
}
