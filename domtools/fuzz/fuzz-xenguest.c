/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target "xenguest": the patched libxenguest's loaders, built
 * standalone (domtools/fuzz/xenguest-build) from the patched Xen tree
 * xen-patches/build leaves in its fuzz-src/: xg_dom_afterburnloader.c,
 * xg_dom_afterburnvalidate.c (the shared validator), xg_dom_elfloader.c
 * and Xen's libelf, compiled with the same sanitizers as the other
 * targets.  Every input is the kernel blob of a domain: the loaders are
 * probed in libxenguest's order (the last registered first, as
 * xc_dom_find_loader does) and the first that takes it parses it, as
 * xc_dom_parse_image does.  The wedge is $AFTERBURN_WEDGE (a PV ELF).
 * What this file provides instead of the rest of libxenguest: the
 * allocator (freed after each input), the error and log reports, the
 * loader list.  Loading into a domain's memory is not reached: parsing
 * is where the kernel image is read.
 */
#include "xg_private.h"
#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ allocation */
/* As xg_dom_core.c keeps them: every block on dom->memblocks, mappings as
 * XC_DOM_MEM_TYPE_MMAP (the afterburn loader drops a mapped image's pages
 * as it copies them into the boot bundle), all freed after each input. */
static unsigned char *wedge_data;
static size_t wedge_size;
static char wedge_path[4096];

void *xc_dom_malloc(struct xc_dom_image *dom, size_t size)
{
	if (size > SIZE_MAX - sizeof(struct xc_dom_mem))
		return NULL;
	struct xc_dom_mem *b = calloc(1, sizeof(*b) + size);
	if (!b)
		return NULL;
	b->type = XC_DOM_MEM_TYPE_MALLOC_INTERNAL;
	b->next = dom->memblocks;
	dom->memblocks = b;
	return b->memory;
}

void *xc_dom_malloc_page_aligned(struct xc_dom_image *dom, size_t size)
{
	struct xc_dom_mem *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->len = size ? size : 1;
	b->ptr = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->ptr == MAP_FAILED) {
		free(b);
		return NULL;
	}
	b->type = XC_DOM_MEM_TYPE_MMAP;
	b->next = dom->memblocks;
	dom->memblocks = b;
	return b->ptr;
}

void *xc_dom_malloc_filemap(struct xc_dom_image *dom, const char *filename, size_t *size,
			    const size_t max_size)
{
	(void)max_size;
	if (strcmp(filename, wedge_path))
		return NULL;   /* only the wedge is read from a file */
	void *p = xc_dom_malloc_page_aligned(dom, wedge_size);
	if (p) {
		memcpy(p, wedge_data, wedge_size);
		*size = wedge_size;
	}
	return p;
}

static void free_blocks(struct xc_dom_image *dom)
{
	while (dom->memblocks) {
		struct xc_dom_mem *b = dom->memblocks;
		dom->memblocks = b->next;
		if (b->type == XC_DOM_MEM_TYPE_MMAP)
			munmap(b->ptr, b->len);
		free(b);
	}
}

/* ---------------------------------------------------------------- reports */
void xc_reportv(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level, int code,
		const char *fmt, va_list args)
{
	char msg[1024];
	(void)xch; (void)lg; (void)level; (void)code;
	vsnprintf(msg, sizeof(msg), fmt, args);
}

void xc_report(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level, int code,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	xc_reportv(xch, lg, level, code, fmt, ap);
	va_end(ap);
}

void xc_dom_panic_func(xc_interface *xch, const char *file, int line, xc_error_code err,
		       const char *fmt, ...)
{
	char msg[XC_MAX_ERROR_MSG_LEN];
	va_list ap;
	(void)xch; (void)file; (void)line; (void)err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (getenv("FUZZ_XENGUEST_VERBOSE"))   /* to see what a run does */
		fprintf(stderr, "panic: %s\n", msg);
}

void xc_dom_printf(xc_interface *xch, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	(void)xch;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
}

/* The hypervisor's version, as the loader asks it: another Xen than the
 * one the loader was built from, so that its warning is reached. */
int xc_version(xc_interface *xch, int cmd, void *arg)
{
	(void)xch;
	switch (cmd) {
	case XENVER_version:
		return 4 << 16 | 17;
	case XENVER_extraversion:
		snprintf(arg, sizeof(xen_extraversion_t), ".0-fuzz");
		return 0;
	default:
		errno = ENOSYS;
		return -1;
	}
}

/* Loading into domain memory: never reached by parsing. */
void *xc_dom_pfn_to_ptr_retcount(struct xc_dom_image *dom, xen_pfn_t first, xen_pfn_t count,
				 xen_pfn_t *count_out)
{
	(void)dom; (void)first; (void)count; (void)count_out;
	abort();
}

void *xc_dom_pfn_to_ptr(struct xc_dom_image *dom, xen_pfn_t first, xen_pfn_t count)
{
	(void)dom; (void)first; (void)count;
	abort();
}

/* ---------------------------------------------------------------- loaders */
static struct xc_dom_loader *first_loader;

void xc_dom_register_loader(struct xc_dom_loader *loader)
{
	loader->next = first_loader;
	first_loader = loader;
}

static void load_wedge(void)
{
	const char *path = getenv("AFTERBURN_WEDGE");
	if (!path || !*path) {
		fprintf(stderr, "fuzz-xenguest: set AFTERBURN_WEDGE to a PV ELF kernel\n");
		abort();
	}
	snprintf(wedge_path, sizeof(wedge_path), "%s", path);
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (wedge_size = (size_t)ftell(f)) == 0 || fseek(f, 0, SEEK_SET) ||
	    !(wedge_data = malloc(wedge_size)) || fread(wedge_data, 1, wedge_size, f) != wedge_size) {
		fprintf(stderr, "fuzz-xenguest: cannot read the wedge %s\n", path);
		abort();
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xc_interface_core xch;
	if (!wedge_data)
		load_wedge();
	/* not a dummy handle: the loader asks the version (xc_version above) */
	xch.xcall = (xencall_handle *)&xch;
	struct xc_dom_image dom;
	memset(&dom, 0, sizeof(dom));
	dom.xch = &xch;
	dom.container_type = XC_DOM_PV_CONTAINER;
	dom.max_kernel_size = SIZE_MAX;
	snprintf(dom.xen_caps, sizeof(dom.xen_caps), "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64");
	dom.parms = xc_dom_malloc(&dom, sizeof(*dom.parms));
	/* the blob is a mapping of its own, as xc_dom_kernel_file makes it
	 * (odd sizes: a heap copy, as xc_dom_kernel_mem gives it, so that
	 * both of the loader's copy paths are fuzzed) */
	void *blob = size & 1 ? xc_dom_malloc(&dom, size) : xc_dom_malloc_page_aligned(&dom, size);
	if (dom.parms && blob) {
		memcpy(blob, data, size);
		dom.kernel_blob = blob;
		dom.kernel_size = size;
		for (struct xc_dom_loader *l = first_loader; l; l = l->next)
			if (l->probe(&dom) == 0) {
				int rc = l->parser(&dom);
				if (getenv("FUZZ_XENGUEST_VERBOSE"))
					fprintf(stderr, "loader %s: parser %d\n", l->name, rc);
				break;
			}
	}
	free_blocks(&dom);
	return 0;
}
