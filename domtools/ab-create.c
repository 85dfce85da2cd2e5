/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab-create: build and start a 64-bit Xen PV domain from a burnt kernel,
 * with Debian's libxenctrl, libxenguest and libxenstore (no libxl).
 *
 * The burnt kernel runs under the wedge: the wedge (a Xen PV kernel) is
 * the domain's kernel, and the burnt image plus its initrd reach it as the
 * one PV module, an afterburn boot bundle (domtools/ab-create-bundle.h).
 * The domain gets the xenstore nodes and console ring that xl expects, so
 * `xl list`, `xl console`, `xl shutdown` and `xl destroy` work on it.
 *
 * Call order (design brief, section 4): xc_domain_create, max_vcpus,
 * cpuid policy, setmaxmem, xc_dom_allocate, kernel and module, event
 * channels, boot_xen_init, parse_image, mem_init, boot_mem_init,
 * build_image, boot_image, gnttab_init, xenstore and introduce, unpause.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* dladdr */
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>
#include <xenstore.h>

#include "afterburn/annotation.h"
#include "generated/ab-version.h"
#include "domtools/ab-create-bundle.h"
#include "domtools/ab-create.h"
#include "x86/sensitive.h"

#ifndef AB_WEDGE_DEFAULT
#define AB_WEDGE_DEFAULT "/usr/local/lib/afterburner/wedge-xen"
#endif

static const char *const kind_names[X86_KIND_MAX] = {
#define X86_KIND(id, name, pad, flags) [id] = #name,
#include "x86/sensitive.def"
#undef X86_KIND
};

struct options {
	const char *kernel, *ramdisk, *cmdline, *name, *wedge, *bundle_out;
	unsigned memory_mb, vcpus;
	int dry_run, check, paused, verbose, wedge_rewrites, reap;
	char **argv;             /* to build the domain again on reboot (--reap) */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ab-create [options] BURNT-VMLINUX\n"
		"Build and start a 64-bit Xen PV domain running a burnt kernel under the wedge.\n"
		"  -n, --name NAME       domain name (default: the kernel's file name)\n"
		"  -m, --memory MB       memory in MiB (default 128)\n"
		"  -r, --ramdisk FILE    initrd for the guest\n"
		"  -c, --cmdline STRING  guest kernel command line\n"
		"  -w, --wedge FILE      the wedge (default $AFTERBURN_WEDGE, else " AB_WEDGE_DEFAULT ")\n"
		"      --vcpus N         (only 1 is supported)\n"
		"      --vif SPEC        (not supported yet: refused)\n"
		"  -p, --paused          leave the domain paused\n"
		"      --wedge-rewrites  leave the sites to the wedge (default: rewritten here,\n"
		"                        with the original instructions in the bundle's site table)\n"
		"      --bundle-out FILE also write the boot bundle (the PV module) to FILE (not a pipe)\n"
		"      --reap            stay in the background: destroy the domain when it\n"
		"                        shuts down, build it again when it reboots (what xl's\n"
		"                        monitor does with on_poweroff=destroy, on_reboot=restart)\n"
		"      --dry-run         validate everything and print the layout; no hypervisor needed\n"
		"      --check           only validate the image (the verdict every loader gives)\n"
		"  -v, --verbose         libxenguest's domain builder log on stderr\n"
		"      --xen-loader      does the installed libxenguest have the afterburn loader\n"
		"                        (xl create), built for the installed Xen? exit 1 if not\n"
		"  -h, --help            this text;  --version  the version\n");
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("ab-create: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static unsigned char *read_file(const char *path, size_t *size, const char *what)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f)
		die("%s %s: %s", what, path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
		die("%s %s: not a regular file", what, path);
	if ((uint64_t)st.st_size > (1ull << 31))
		die("%s %s: %lld bytes is more than a domain builder takes", what, path, (long long)st.st_size);
	unsigned char *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		die("%s %s: out of memory", what, path);
	if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
		die("%s %s: short read", what, path);
	fclose(f);
	*size = st.st_size;
	return buf;
}

/* The patched libxenguest's mark (xen-patches/): "afterburn loader N, built
 * from xen VERSION".  Weak: Debian's own libxenguest has none. */
extern const char xc_dom_afterburn_loader_info[] __attribute__((weak));

/*
 * What the libxenguest this process runs with means for `xl create` of a
 * burnt kernel (ab-create itself builds domains without the afterburn
 * loader): one line into MSG.  Returns 0 when it has the loader, built from
 * the Xen version dpkg says is installed (the version of the package that
 * owns libxenguest); 1 when it lacks the loader or was built for another
 * Xen version.
 */
static int xen_loader_status(char *msg, size_t len)
{
	Dl_info di;
	char lib[PATH_MAX] = "libxenguest", installed[128] = "";
	if (dladdr((void *)xc_dom_allocate, &di) && di.dli_fname && !realpath(di.dli_fname, lib))
		snprintf(lib, sizeof(lib), "%.*s", (int)sizeof(lib) - 1, di.dli_fname);
	if (!xc_dom_afterburn_loader_info) {
		snprintf(msg, len, "libxenguest %s has no afterburn loader: `xl create` of a burnt kernel "
			 "will not run it under the wedge (ab-create does); install the afterburner Xen "
			 "packages (docs/packaging.md)", lib);
		return 1;
	}
	const char *info = xc_dom_afterburn_loader_info, *tag = "built from xen ";
	const char *built = strstr(info, tag);
	built = built ? built + strlen(tag) : "(unknown)";
	/* The installed Xen: the package owning this library, else the one
	 * owning the system's libxenguest (a library from a build directory). */
	setenv("AB_XENGUEST", lib, 1);
	FILE *p = popen("pkg=$(dpkg-query -S \"$AB_XENGUEST\" 2>/dev/null | head -n1 | cut -d: -f1); "
			"[ -n \"$pkg\" ] || pkg=$(dpkg-query -S '*/libxenguest.so.*' 2>/dev/null | head -n1 | cut -d: -f1); "
			"[ -z \"$pkg\" ] || echo \"$pkg $(dpkg-query -W -f='${Version}' \"$pkg\")\"", "r");
	if (p) {
		if (!fgets(installed, sizeof(installed), p))
			installed[0] = 0;
		pclose(p);
		installed[strcspn(installed, "\n")] = 0;
	}
	unsetenv("AB_XENGUEST");
	const char *ver = strchr(installed, ' ');
	if (!ver || !ver[1]) {
		snprintf(msg, len, "libxenguest %s: %s (no Xen package installed to compare with)", lib, info);
		return 0;
	}
	if (strcmp(ver + 1, built) != 0) {
		snprintf(msg, len, "libxenguest %s: afterburn loader built from xen %s, but the installed Xen "
			 "is %s: another version (a library copied by hand, or a Xen update); rebuild the "
			 "afterburner Xen packages for it (xen-patches/build --deb, docs/packaging.md)",
			 lib, built, installed);
		return 1;
	}
	snprintf(msg, len, "libxenguest %s: %s (installed: %s)", lib, info, installed);
	return 0;
}

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static void put64(ab_u32 *lo, ab_u32 *hi, uint64_t v)
{
	*lo = (uint32_t)v;
	*hi = (uint32_t)(v >> 32);
}

/* The afterburn boot bundle (domtools/ab-create-bundle.h): image at 0,
 * initrd at the next 4 KiB, site table at the next 8 bytes, trailer. */
struct layout {
	size_t ksize, ioff, isize, soff, ssize, size;
	uint32_t flags;
};

static void plan_bundle(struct layout *l, size_t ksize, int initrd, size_t isize, size_t ssize,
			uint32_t flags)
{
	l->ksize = ksize;
	l->isize = initrd ? isize : 0;
	l->ioff = initrd ? align_up(ksize, AFTERBURN_BUNDLE_ALIGN) : 0;
	l->soff = align_up(initrd ? l->ioff + isize : ksize, 8);
	l->ssize = ssize;
	l->size = align_up(l->soff + ssize, 8) + sizeof(struct afterburn_bundle_trailer);
	l->flags = flags;
}

/* Sinks: a file (--bundle-out), the module's pages in the new domain,
 * nothing (a dry run: the same work, nothing kept). */
static int file_write(void *ctx, uint64_t off, const void *p, size_t n)
{
	int fd = *(int *)ctx;
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO;
		if (w <= 0)
			return -1;
		p = (const unsigned char *)p + w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	return 0;
}

struct mem_sink { unsigned char *base; size_t size; };

static int mem_write(void *ctx, uint64_t off, const void *p, size_t n)
{
	struct mem_sink *m = ctx;
	if (off > m->size || n > m->size - off) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(m->base + off, p, n);
	return 0;
}

static int null_write(void *ctx, uint64_t off, const void *p, size_t n)
{
	(void)ctx; (void)off; (void)p; (void)n;
	return 0;
}

/*
 * Write the bundle laid out by l into sink: the image (its sites
 * rewritten, with the site table, when l->flags says so), the initrd
 * copied from its file 1 MiB at a time, the zero padding, the trailer.
 * Memory: the image as read (held by the caller) and constant buffers;
 * nothing is held whole a second time.  0, or -1 with err filled.
 */
static int write_bundle(const struct ab_sink *sink, const struct layout *l, const struct ab_image *img,
			const unsigned char *kernel, const char *initrd_path, FILE *initrd,
			struct ab_rewrite_stats *rw, char *err, size_t errlen)
{
	static const unsigned char zero[AFTERBURN_BUNDLE_ALIGN];
	memset(rw, 0, sizeof(*rw));
#define PUT(off, p, n) do { \
		if ((n) && sink->write(sink->ctx, (off), (p), (n))) { \
			snprintf(err, errlen, "writing the boot bundle at %#zx: %s", (size_t)(off), strerror(errno)); \
			return -1; \
		} } while (0)
	if (l->flags & AFTERBURN_BUNDLE_F_REWRITTEN) {
		if (ab_image_rewrite(img, kernel, l->ksize, l->soff, sink, rw, err, errlen))
			return -1;
	} else {
		PUT(0, kernel, l->ksize);
	}
	size_t end = l->ksize;
	if (initrd) {
		PUT(end, zero, l->ioff - end);
		FILE *f = initrd;
		rewind(f);
		static unsigned char buf[1 << 20];
		size_t got = 0, n;
		while (got < l->isize && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (n > l->isize - got)
				n = l->isize - got;
			if (sink->write(sink->ctx, l->ioff + got, buf, n)) {
				snprintf(err, errlen, "writing the boot bundle at %#zx: %s", l->ioff + got, strerror(errno));
				return -1;
			}
			got += n;
		}
		if (got != l->isize) {
			snprintf(err, errlen, "ramdisk %s: %zu bytes read of %zu (did it change?)", initrd_path, got,
				 l->isize);
			return -1;
		}
		end = l->ioff + l->isize;
	}
	PUT(end, zero, l->soff - end);
	end = l->soff + l->ssize;
	struct afterburn_bundle_trailer t;
	size_t toff = l->size - sizeof(t);
	PUT(end, zero, toff - end);
	memset(&t, 0, sizeof(t));
	memcpy(t.magic, AFTERBURN_BUNDLE_MAGIC, sizeof(t.magic));
	t.trailer_size = sizeof(t);
	t.flags = l->flags;
	put64(&t.kernel_offset_lo, &t.kernel_offset_hi, 0);
	put64(&t.kernel_size_lo, &t.kernel_size_hi, l->ksize);
	put64(&t.initrd_offset_lo, &t.initrd_offset_hi, l->ioff);
	put64(&t.initrd_size_lo, &t.initrd_size_hi, l->isize);
	put64(&t.sites_offset_lo, &t.sites_offset_hi, l->ssize ? l->soff : 0);
	put64(&t.sites_size_lo, &t.sites_size_hi, l->ssize);
	PUT(toff, &t, sizeof(t));
#undef PUT
	return 0;
}

static void print_image(const struct options *o, const struct ab_image *img, const void *kernel,
			size_t ksize)
{
	size_t counts[X86_KIND_MAX];
	printf("guest %s: %zu bytes, entry %#" PRIx64 ", afterburn ABI %u, note flags %#x\n",
	       o->kernel, ksize, img->entry, img->note.abi_version, img->note.flags);
	for (size_t i = 0; i < img->nsegments; i++) {
		const struct ab_image_segment *s = &img->segments[i];
		printf("  segment %zu: vaddr %#" PRIx64 " paddr %#" PRIx64 " file %#" PRIx64
		       " mem %#" PRIx64 " %c%c%c\n", i, s->vaddr, s->paddr, s->filesz, s->memsz,
		       s->flags & 4 ? 'r' : '-', s->flags & 2 ? 'w' : '-', s->flags & 1 ? 'x' : '-');
	}
	printf("  guest-physical range %#" PRIx64 "-%#" PRIx64 " (%" PRIu64 " KiB)\n",
	       img->pstart, img->pend, (img->pend - img->pstart) >> 10);
	printf("  sites: %zu", img->nsites);
	ab_image_count_kinds(img, kernel, counts, X86_KIND_MAX);
	const char *sep = " (";
	for (int k = 1; k < X86_KIND_MAX; k++)
		if (counts[k]) {
			printf("%s%s %zu", sep, kind_names[k] ? kind_names[k] : "?", counts[k]);
			sep = ", ";
		}
	printf("%s\n", *sep == ',' ? ")" : "");
}

static void xs_write_or_die(struct xs_handle *xs, xs_transaction_t t, const char *path,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void xs_write_or_die(struct xs_handle *xs, xs_transaction_t t, const char *path,
			    const char *fmt, ...)
{
	char val[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		die("xenstore value for %s: %d bytes, ab-create writes at most %zu", path, n,
		    sizeof(val) - 1);
	if (!xs_write(xs, t, path, val, strlen(val)))
		die("xenstore write %s: %s", path, strerror(errno));
}

/* The nodes libxl would write for a PV domain, enough for xl list/console/
 * shutdown/destroy and for xenconsoled to attach the console. */
static void write_xenstore(struct xs_handle *xs, uint32_t domid, const struct options *o,
			   unsigned long store_mfn, unsigned store_port,
			   unsigned long console_mfn, unsigned console_port)
{
	char dom[64], p[128];
	struct xs_permissions ro[2] = { { .id = 0, .perms = XS_PERM_NONE },
					{ .id = domid, .perms = XS_PERM_READ } };
	struct xs_permissions rw[1] = { { .id = domid, .perms = XS_PERM_NONE } };
	xs_transaction_t t;

	snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
	for (;;) {
		t = xs_transaction_start(xs);
		if (t == XBT_NULL)
			die("xenstore transaction: %s", strerror(errno));
		xs_rm(xs, t, dom);
		if (!xs_mkdir(xs, t, dom) || !xs_set_permissions(xs, t, dom, ro, 2))
			die("xenstore mkdir %s: %s", dom, strerror(errno));
		static const char *const rw_dirs[] = { "device", "control", "data", "drivers",
						       "feature", "attr", "error", "console" };
		for (size_t i = 0; i < sizeof(rw_dirs) / sizeof(*rw_dirs); i++) {
			snprintf(p, sizeof(p), "%s/%s", dom, rw_dirs[i]);
			if (!xs_mkdir(xs, t, p) ||
			    !xs_set_permissions(xs, t, p, strcmp(rw_dirs[i], "console") ? rw : ro,
						strcmp(rw_dirs[i], "console") ? 1 : 2))
				die("xenstore mkdir %s: %s", p, strerror(errno));
		}
		snprintf(p, sizeof(p), "%s/name", dom);
		xs_write_or_die(xs, t, p, "%s", o->name);
		snprintf(p, sizeof(p), "%s/domid", dom);
		xs_write_or_die(xs, t, p, "%u", domid);
		snprintf(p, sizeof(p), "%s/memory/static-max", dom);
		xs_write_or_die(xs, t, p, "%u", o->memory_mb * 1024);
		snprintf(p, sizeof(p), "%s/memory/target", dom);
		xs_write_or_die(xs, t, p, "%u", o->memory_mb * 1024);
		snprintf(p, sizeof(p), "%s/cpu/0/availability", dom);
		xs_write_or_die(xs, t, p, "online");
		snprintf(p, sizeof(p), "%s/store/port", dom);
		xs_write_or_die(xs, t, p, "%u", store_port);
		snprintf(p, sizeof(p), "%s/store/ring-ref", dom);
		xs_write_or_die(xs, t, p, "%lu", store_mfn);
		snprintf(p, sizeof(p), "%s/console/port", dom);
		xs_write_or_die(xs, t, p, "%u", console_port);
		snprintf(p, sizeof(p), "%s/console/ring-ref", dom);
		xs_write_or_die(xs, t, p, "%lu", console_mfn);
		snprintf(p, sizeof(p), "%s/console/type", dom);
		xs_write_or_die(xs, t, p, "xenconsoled");
		snprintf(p, sizeof(p), "%s/console/output", dom);
		xs_write_or_die(xs, t, p, "pty");
		snprintf(p, sizeof(p), "%s/console/limit", dom);
		xs_write_or_die(xs, t, p, "%d", 1048576);
		if (xs_transaction_end(xs, t, false))
			break;
		if (errno != EAGAIN)
			die("xenstore transaction end: %s", strerror(errno));
	}
	if (!xs_introduce_domain(xs, domid, store_mfn, store_port))
		die("xs_introduce_domain(%u): %s", domid, strerror(errno));
}

/*
 * --reap: a background process that waits (xenstore's @releaseDomain
 * watch) for the domain to shut down, destroys it, and on a reboot runs
 * ab-create again with the same arguments.  Ends when the domain is gone
 * (destroyed by someone else too).
 */
static void reap(const struct options *o, uint32_t domid)
{
	pid_t pid = fork();
	if (pid < 0)
		die("--reap: fork: %s", strerror(errno));
	if (pid > 0)
		return;
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0); dup2(null, 1); dup2(null, 2);
		if (null > 2)
			close(null);
	}
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	struct xs_handle *xs = xs_open(0);
	if (!xch || !xs || !xs_watch(xs, "@releaseDomain", "ab-create-reap"))
		_exit(1);
	xc_dominfo_t info;
	for (;;) {
		if (xc_domain_getinfo(xch, domid, 1, &info) != 1 || info.domid != domid)
			_exit(0);   /* gone */
		if (info.shutdown || info.dying)
			break;
		unsigned int n;
		free(xs_read_watch(xs, &n));
	}
	int reboot = info.shutdown && !info.dying && info.shutdown_reason == SHUTDOWN_reboot;
	xc_domain_destroy(xch, domid);
	char path[64];
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_rm(xs, XBT_NULL, path);
	xs_close(xs);
	xc_interface_close(xch);
	if (reboot)
		execv("/proc/self/exe", o->argv);
	_exit(0);
}

static int build(const struct options *o, const unsigned char *wedge, size_t wsize,
		 const struct layout *bl, const struct ab_image *img, const unsigned char *kernel, FILE *initrd)
{
	/* libxenguest copies a module from memory into the pages it gives
	 * it (xc_dom_build_image).  The bundle is not held in memory: the
	 * module given to libxenguest is a read-only anonymous mapping of
	 * the bundle's size (only the shared zero page behind it, no
	 * memory), and once its pages exist in the domain ab-create writes
	 * the bundle into them, streamed (write_bundle). */
	size_t bsize = bl->size;
	void *blank = mmap(NULL, bsize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (blank == MAP_FAILED)
		die("mapping %zu bytes for the boot bundle: %s", bsize, strerror(errno));
	char werr[300] = "";
	xentoollog_logger *log = NULL;
	if (o->verbose)
		log = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_DETAIL, 0);
	xc_interface *xch = xc_interface_open(log, log, 0);
	if (!xch)
		die("cannot open the hypervisor interface (is this dom0, with xen-privcmd loaded?): %s",
		    strerror(errno));
	struct xs_handle *xs = xs_open(0);
	if (!xs)
		die("cannot connect to xenstored: %s", strerror(errno));

	struct xen_domctl_createdomain config = {
		.ssidref = 0,
		.flags = 0,                       /* PV */
		.max_vcpus = o->vcpus,
		.max_evtchn_port = -1,
		.max_grant_frames = 32,
		.max_maptrack_frames = 1024,
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
	};
	uint32_t domid = 0;
	if (xc_domain_create(xch, &domid, &config))
		die("xc_domain_create: %s", strerror(errno));

	/* From here on a failure destroys the half-built domain. */
	const char *step = "xc_domain_max_vcpus";
	struct xc_dom_image *dom = NULL;
	if (xc_domain_max_vcpus(xch, domid, o->vcpus))
		goto fail;
	step = "xc_cpuid_apply_policy";
	if (xc_cpuid_apply_policy(xch, domid, false, NULL, 0, false, false, false, NULL, NULL))
		goto fail;
	step = "xc_domain_setmaxmem";
	if (xc_domain_setmaxmem(xch, domid, (uint64_t)o->memory_mb * 1024 + 1024))
		goto fail;

	step = "xc_dom_allocate";
	dom = xc_dom_allocate(xch, o->cmdline, NULL);
	if (!dom)
		goto fail;
	step = "xc_dom_kernel_mem (the wedge)";
	if (xc_dom_kernel_mem(dom, wedge, wsize))
		goto fail;
	step = "xc_dom_module_mem (the boot bundle)";
	if (xc_dom_module_mem(dom, blank, bsize, NULL))
		goto fail;
	dom->max_vcpus = o->vcpus;
	dom->console_domid = 0;
	dom->xenstore_domid = 0;
	step = "xc_evtchn_alloc_unbound";
	int console_port = xc_evtchn_alloc_unbound(xch, domid, 0);
	int store_port = xc_evtchn_alloc_unbound(xch, domid, 0);
	if (console_port < 0 || store_port < 0)
		goto fail;
	dom->console_evtchn = console_port;
	dom->xenstore_evtchn = store_port;

	step = "xc_dom_boot_xen_init";
	if (xc_dom_boot_xen_init(dom, xch, domid))
		goto fail;
	step = "xc_dom_parse_image (the wedge)";
	if (xc_dom_parse_image(dom))
		goto fail;
	step = "xc_dom_mem_init";
	if (xc_dom_mem_init(dom, o->memory_mb))
		goto fail;
	step = "xc_dom_boot_mem_init";
	if (xc_dom_boot_mem_init(dom))
		goto fail;
	step = "xc_dom_build_image";
	if (xc_dom_build_image(dom))
		goto fail;
	step = "writing the boot bundle into the module's pages";
	struct mem_sink ms = { xc_dom_seg_to_ptr(dom, &dom->modules[0].seg),
			       dom->modules[0].seg.vend - dom->modules[0].seg.vstart };
	if (!ms.base || ms.size < bsize) {
		snprintf(werr, sizeof(werr), "module segment of %zu bytes %s, the bundle has %zu", ms.size,
			 ms.base ? "mapped" : "not mapped", bsize);
		goto fail;
	}
	struct ab_sink sink = { mem_write, &ms };
	struct ab_rewrite_stats rw;
	if (write_bundle(&sink, bl, img, kernel, o->ramdisk, initrd, &rw, werr, sizeof(werr)))
		goto fail;
	step = "xc_dom_boot_image";
	if (xc_dom_boot_image(dom))
		goto fail;
	step = "xc_dom_gnttab_init";
	if (xc_dom_gnttab_init(dom))
		goto fail;

	unsigned long console_mfn = xc_dom_p2m(dom, dom->console_pfn);
	unsigned long store_mfn = xc_dom_p2m(dom, dom->xenstore_pfn);
	write_xenstore(xs, domid, o, store_mfn, store_port, console_mfn, console_port);

	printf("domain %u (%s): wedge %#" PRIx64 "-%#" PRIx64 ", bundle module %zu bytes, %u MiB\n",
	       domid, o->name, (uint64_t)dom->kernel_seg.vstart, (uint64_t)dom->kernel_seg.vend,
	       bsize, o->memory_mb);
	xc_dom_release(dom);
	dom = NULL;
	munmap(blank, bsize);
	/* A guest that prints and powers off within a second would lose its
	 * output if it ran before xenconsoled mapped the ring: unpause once
	 * xenconsoled has attached (it writes console/tty), or after 10 s. */
	char tty_path[80];
	snprintf(tty_path, sizeof(tty_path), "/local/domain/%u/console/tty", domid);
	int attached = 0;
	for (int waited_ms = 0; !o->paused && waited_ms < 10000 && !attached; waited_ms += 20) {
		unsigned int len = 0;
		char *tty = xs_read(xs, XBT_NULL, tty_path, &len);
		attached = tty && len > 0;
		free(tty);
		if (!attached)
			usleep(20000);
	}
	if (!o->paused && !attached)
		fprintf(stderr, "ab-create: warning: xenconsoled did not attach the console within 10 s "
			"(is it running?); early console output may be lost\n");
	if (!o->paused && xc_domain_unpause(xch, domid)) {
		step = "xc_domain_unpause";
		goto fail;
	}
	if (o->reap)
		reap(o, domid);
	xs_close(xs);
	xc_interface_close(xch);
	if (log)
		xtl_logger_destroy(log);
	return 0;

fail:;
	int e = errno;
	const xc_error *xe = xc_get_last_error(xch);
	if (werr[0])
		fprintf(stderr, "ab-create: error: %s failed: %s\n", step, werr);
	else
		fprintf(stderr, "ab-create: error: %s failed: %s%s%s\n", step, strerror(e),
			xe && xe->code ? "; libxenguest: " : "", xe && xe->code ? xe->message : "");
	if (dom)
		xc_dom_release(dom);
	munmap(blank, bsize);
	xc_domain_destroy(xch, domid);
	char path[64];
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_rm(xs, XBT_NULL, path);
	xs_close(xs);
	xc_interface_close(xch);
	return 1;
}

int main(int argc, char **argv)
{
	struct options o = { .memory_mb = 128, .vcpus = 1, .cmdline = "", .argv = argv };
	enum { OPT_DRY_RUN = 256, OPT_VCPUS, OPT_VIF, OPT_WEDGE_REWRITES, OPT_BUNDLE_OUT, OPT_REAP, OPT_VERSION, OPT_CHECK, OPT_XEN_LOADER };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "ramdisk", required_argument, NULL, 'r' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "wedge", required_argument, NULL, 'w' },
		{ "paused", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "vif", required_argument, NULL, OPT_VIF },
		{ "wedge-rewrites", no_argument, NULL, OPT_WEDGE_REWRITES },
		{ "bundle-out", required_argument, NULL, OPT_BUNDLE_OUT },
		{ "reap", no_argument, NULL, OPT_REAP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "xen-loader", no_argument, NULL, OPT_XEN_LOADER },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "n:m:r:c:w:pvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'm':
			errno = 0;
			unsigned long mb = strtoul(optarg, &end, 10);
			if (errno || *end || mb < 16 || mb > 65536)
				die("--memory %s: expected MiB between 16 and 65536", optarg);
			o.memory_mb = mb;
			break;
		case 'r': o.ramdisk = optarg; break;
		case 'c': o.cmdline = optarg; break;
		case 'w': o.wedge = optarg; break;
		case 'p': o.paused = 1; break;
		case 'v': o.verbose = 1; break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_CHECK: o.check = 1; break;
		case OPT_WEDGE_REWRITES: o.wedge_rewrites = 1; break;
		case OPT_BUNDLE_OUT: o.bundle_out = optarg; break;
		case OPT_REAP: o.reap = 1; break;
		case OPT_VCPUS:
			if (strcmp(optarg, "1"))
				die("--vcpus %s: the wedge runs one virtual CPU; only 1 is supported", optarg);
			break;
		case OPT_VIF:
			die("--vif %s: network interfaces are not supported by ab-create yet "
			    "(use xl create with the patched libxenguest for a vif)", optarg);
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: {
			char why[PATH_MAX + 512];
			int rc = xen_loader_status(why, sizeof(why));
			printf("ab-create (afterburner) %s\n%s%s\n", AB_VERSION, rc ? "warning: " : "", why);
			return 0;
		}
		case OPT_XEN_LOADER: {
			char why[PATH_MAX + 512];
			int rc = xen_loader_status(why, sizeof(why));
			printf("%s%s\n", rc ? "ab-create: " : "", why);
			return rc;
		}
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.kernel = argv[optind];
	if (!o.wedge)
		o.wedge = getenv("AFTERBURN_WEDGE");
	if (!o.wedge || !*o.wedge)
		o.wedge = AB_WEDGE_DEFAULT;
	if (!o.name) {
		const char *slash = strrchr(o.kernel, '/');
		o.name = slash ? slash + 1 : o.kernel;
	}
	if (strlen(o.cmdline) >= 1024)
		die("--cmdline: %zu bytes, a PV command line holds at most 1023", strlen(o.cmdline));

	/* Validate everything before touching the hypervisor. */
	size_t ksize, wsize, isize = 0;
	unsigned char *kernel = read_file(o.kernel, &ksize, "guest kernel");
	struct ab_image img;
	char err[256];
	if (o.check) {
		/* the verdict alone: what every loader says (validate.h) */
		if (ab_image_validate(&img, kernel, ksize, err, sizeof(err)))
			die("%s: %s", o.kernel, err);
		printf("%s: accepted: %zu sites\n", o.kernel, img.nsites);
		ab_image_free(&img);
		free(kernel);
		return 0;
	}
	/* the slot map that orders the sites only when they are rewritten here */
	if ((o.wedge_rewrites ? ab_image_validate : ab_image_load)(&img, kernel, ksize, err, sizeof(err)))
		die("%s: %s", o.kernel, err);
	unsigned char *wedge = read_file(o.wedge, &wsize, "wedge");
	struct ab_elf welf;
	struct ab_note wnote;
	if (ab_elf_from_memory(&welf, wedge, wsize, err, sizeof(err)))
		die("wedge %s: %s", o.wedge, err);
	if (welf.elf_class != 64 || welf.machine != EM_X86_64 || welf.type != ET_EXEC)
		die("wedge %s: not an x86-64 ELF executable", o.wedge);
	if (ab_read_note(&welf, &wnote, err, sizeof(err)) == 0 && wnote.present)
		die("wedge %s: carries an afterburn note: it is a burnt kernel, not the wedge", o.wedge);
	uint64_t wedge_entry = welf.entry;
	ab_elf_close(&welf);
	FILE *initrd = NULL;
	if (o.ramdisk) {
		/* copied into the bundle from the file, never held whole */
		struct stat st;
		initrd = fopen(o.ramdisk, "rb");
		if (!initrd || fstat(fileno(initrd), &st))
			die("ramdisk %s: %s", o.ramdisk, strerror(errno));
		if (!S_ISREG(st.st_mode))
			die("ramdisk %s: not a regular file", o.ramdisk);
		if ((uint64_t)st.st_size > (1ull << 31))
			die("ramdisk %s: %lld bytes is more than a domain builder takes", o.ramdisk,
			    (long long)st.st_size);
		isize = (size_t)st.st_size;
	}

	/* The sites are rewritten here as the bundle is written (the wedge
	 * then takes their original instructions from the site table),
	 * unless the wedge is to do it. */
	struct layout bl;
	plan_bundle(&bl, ksize, o.ramdisk != NULL, isize, o.wedge_rewrites ? 0 : ab_image_table_size(&img),
		    o.wedge_rewrites ? 0 : AFTERBURN_BUNDLE_F_REWRITTEN);
	struct ab_rewrite_stats rw = { 0 };
	if (o.bundle_out) {
		int fd = open(o.bundle_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		struct ab_sink sink = { file_write, &fd };
		struct stat st;
		if (fd < 0 || fstat(fd, &st))
			die("--bundle-out %s: %s", o.bundle_out, strerror(errno));
		if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
			die("--bundle-out %s: a pipe; the bundle is written out of order (the site table as the "
			    "sites are rewritten): give a file", o.bundle_out);
		if (write_bundle(&sink, &bl, &img, kernel, o.ramdisk, initrd, &rw, err, sizeof(err)))
			die("--bundle-out %s: %s", o.bundle_out, err);
		if (close(fd))
			die("--bundle-out %s: %s", o.bundle_out, strerror(errno));
	} else if (o.dry_run) {
		/* the same work as a real run, nothing kept */
		struct ab_sink sink = { null_write, NULL };
		if (write_bundle(&sink, &bl, &img, kernel, o.ramdisk, initrd, &rw, err, sizeof(err)))
			die("%s: %s", o.kernel, err);
	}

	if (o.dry_run) {
		print_image(&o, &img, kernel, ksize);
		printf("wedge %s: %zu bytes, entry %#" PRIx64 "\n", o.wedge, wsize, wedge_entry);
		printf("boot bundle (the PV module): %zu bytes: image at 0 (%zu bytes)", bl.size, ksize);
		if (o.ramdisk)
			printf(", initrd %s at %#zx (%zu bytes)", o.ramdisk, bl.ioff, isize);
		if (bl.ssize)
			printf(", site table at %#zx (%zu bytes)", bl.soff, bl.ssize);
		printf(", trailer at %#zx, flags %#x (%s)\n", bl.size - sizeof(struct afterburn_bundle_trailer),
		       bl.flags, bl.flags & AFTERBURN_BUNDLE_F_REWRITTEN ?
		       "sites rewritten by the builder" : "the wedge rewrites the sites");
		if (bl.ssize)
			printf("rewritten here: %zu sites (%zu calls into the wedge, %zu left to trap), "
			       "%zu left as they are\n", rw.rewritten, rw.calls, rw.traps, rw.kept);
		printf("domain %s: PV x86-64, %u MiB, %u vcpu, command line \"%s\"\n",
		       o.name, o.memory_mb, o.vcpus, o.cmdline);
		printf("dry run: nothing created\n");
		ab_image_free(&img);
		free(kernel); free(wedge);
		if (initrd)
			fclose(initrd);
		return 0;
	}
	int rc = build(&o, wedge, wsize, &bl, &img, kernel, initrd);
	ab_image_free(&img);
	free(kernel); free(wedge);
	if (initrd)
		fclose(initrd);
	return rc;
}
