/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The wedge's in-guest loader (wedge-xen/loader.c, unchanged) built for
 * the host: guest-physical memory is a buffer, the console is stdout, a
 * refusal or a panic ends the load instead of the domain.  Used by the
 * crafted-image test (tests/domtools/crafted.test: the wedge's verdict
 * beside ab-create's and libxenguest's) and, with -DWEDGE_HOST_FUZZ, as
 * the wedge loader's libFuzzer target (domtools/fuzz/run).
 *
 *   wedge-loader IMAGE     prints "accepted: ..." or "refused: REASON"
 *                          (REASON: what the wedge prints after "wedge:
 *                          refusing the guest: "), exit 0 / 1
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wedge-xen/wedge.h"

#ifndef WEDGE_HOST_MEM_MB
#define WEDGE_HOST_MEM_MB 64
#endif

u64 guest_mem_bytes;
struct vcpu vcpu;
struct guest_regs g_regs;
u8 g_next_mask;
u64 sites_rewritten[X86_KIND_MAX];

static u8 *guest_mem;
static jmp_buf out;
static char reason[1024];
static unsigned site_count;
static int verbose;

void *gpa_ptr(u64 gpa, u64 n)
{
	if (gpa + n > guest_mem_bytes || gpa + n < gpa) {
		snprintf(reason, sizeof(reason), "panic: guest-physical access %lx+%lu outside guest memory", gpa, n);
		longjmp(out, 2);
	}
	return guest_mem + gpa;
}

void printk(const char *fmt, ...)
{
	static const char tag[] = "wedge: refusing the guest: ";
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!strncmp(line, tag, sizeof(tag) - 1)) {
		snprintf(reason, sizeof(reason), "%s", line + sizeof(tag) - 1);
		reason[strcspn(reason, "\n")] = 0;
	}
	if (verbose)
		fputs(line, stdout);
}

void wedge_shutdown(unsigned why)
{
	(void)why;
	longjmp(out, 1);
}

void shadow_switch(u64 guest_cr3) { (void)guest_cr3; }

void site_table_add(u64 ret_addr, u64 site, unsigned length, const struct x86_insn *insn,
		    unsigned pair_len)
{
	(void)ret_addr; (void)site; (void)length; (void)insn; (void)pair_len;
	site_count++;
}

void site_table_add_trap(u64 site, unsigned length, const struct x86_insn *insn)
{
	(void)site; (void)length; (void)insn;
}

void site_table_sort(void) {}
unsigned site_table_count(void) { return site_count; }

/* One load: 0 accepted, 1 refused (reason set), 2 panic. */
static int host_load(const u8 *data, size_t size)
{
	if (!guest_mem) {
		guest_mem_bytes = (u64)WEDGE_HOST_MEM_MB << 20;
		guest_mem = mmap(NULL, guest_mem_bytes, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (guest_mem == MAP_FAILED)
			abort();
	}
	reason[0] = 0;
	site_count = 0;
	memset(sites_rewritten, 0, sizeof(sites_rewritten));
	volatile int rc = setjmp(out);
	if (rc == 0)
		load_guest(data, size, "console=hvc0");
	/* give the touched guest memory back (fuzzing: a bounded RSS) */
	madvise(guest_mem, guest_mem_bytes, MADV_DONTNEED);
	return rc;
}

#ifdef WEDGE_HOST_FUZZ
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the module is in the wedge's memory, read-only to the loader */
	int rc = host_load(data, size);
	/* a panic, or a record refused after the validator accepted it, is a
	 * bug: the validator let something through */
	if (rc == 2 || (rc == 1 && !strncmp(reason, "corrupt .afterburn", 18))) {
		fprintf(stderr, "wedge loader: %s\n", reason);
		abort();
	}
	return 0;
}
#else
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: wedge-loader [-v] IMAGE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	size_t cap = 1 << 20, n = 0;
	u8 *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return 2;
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	fclose(f);
	int rc = host_load(buf, n);
	if (rc == 0)
		printf("accepted: %u calls into the wedge\n", site_count);
	else
		printf("refused: %s\n", reason);
	free(buf);
	return rc == 0 ? 0 : rc == 1 ? 1 : 3;
}
#endif
