/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parse-image KERNEL [RAMDISK]: run libxenguest's xc_dom_parse_image on an
 * image without a hypervisor (dummy xenctrl handle, xen_caps given), and
 * print what the chosen loader made of it: which loader, the kernel blob
 * that will be loaded, its entry, and the module (with the afterburn boot
 * bundle trailer when there is one); $PARSE_IMAGE_DUMP receives module 0.
 * Exit 1 with libxenguest's error
 * message when the image is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <xenctrl.h>
#include <xenguest.h>
#include "afterburn/annotation.h"
#include "domtools/ab-create-bundle.h"

static uint64_t get64(ab_u32 lo, ab_u32 hi)
{
	return (uint64_t)hi << 32 | lo;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s KERNEL [RAMDISK]\n", argv[0]);
		return 2;
	}
	xc_interface *xch = xc_interface_open(NULL, NULL, XC_OPENFLAG_DUMMY);
	if (!xch) {
		fprintf(stderr, "parse-image: xc_interface_open(DUMMY) failed\n");
		return 2;
	}
	struct xc_dom_image *dom = xc_dom_allocate(xch, "console=hvc0", NULL);
	if (!dom || xc_dom_kernel_file(dom, argv[1]) != 0 ||
	    (argc == 3 && xc_dom_module_file(dom, argv[2], NULL) != 0)) {
		fprintf(stderr, "parse-image: cannot read the images\n");
		return 2;
	}
	/* What xc_dom_boot_xen_init would read from a 64-bit hypervisor. */
	snprintf(dom->xen_caps, sizeof(dom->xen_caps), "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
	dom->container_type = XC_DOM_PV_CONTAINER;
	if (xc_dom_parse_image(dom) != 0) {
		const xc_error *e = xc_get_last_error(xch);
		printf("refused: %s\n", e && e->message[0] ? e->message : "(no message)");
		return 1;
	}
	/* struct xc_dom_loader is private; its first member is the name. */
	printf("loader=%s\n", *(const char *const *)dom->kernel_loader);
	printf("guest_type=%s\n", dom->guest_type);
	printf("kernel_size=%zu\n", dom->kernel_size);
	printf("kernel_seg=%#" PRIx64 "-%#" PRIx64 "\n",
	       (uint64_t)dom->kernel_seg.vstart, (uint64_t)dom->kernel_seg.vend);
	printf("modules=%u\n", dom->num_modules);
	for (unsigned i = 0; i < dom->num_modules; i++) {
		const struct xc_dom_module *m = &dom->modules[i];
		printf("module%u_size=%zu\n", i, m->size);
		const char *dump = getenv("PARSE_IMAGE_DUMP");
		if (dump && i == 0) {
			FILE *f = fopen(dump, "wb");
			if (!f || fwrite(m->blob, 1, m->size, f) != m->size || fclose(f)) {
				perror(dump);
				return 2;
			}
		}
		struct afterburn_bundle_trailer t;
		if (m->size < sizeof(t))
			continue;
		memcpy(&t, (const char *)m->blob + m->size - sizeof(t), sizeof(t));
		if (memcmp(t.magic, AFTERBURN_BUNDLE_MAGIC, sizeof(t.magic)))
			continue;
		printf("bundle flags=%#x kernel=%" PRIu64 "+%" PRIu64
		       " initrd=%" PRIu64 "+%" PRIu64 "\n", t.flags,
		       get64(t.kernel_offset_lo, t.kernel_offset_hi),
		       get64(t.kernel_size_lo, t.kernel_size_hi),
		       get64(t.initrd_offset_lo, t.initrd_offset_hi),
		       get64(t.initrd_size_lo, t.initrd_size_hi));
		/* The burnt image and the initrd are in the bundle, byte for byte. */
		printf("bundle_kernel_magic=%s\n",
		       memcmp(m->blob, "\177ELF", 4) ? "bad" : "ELF");
	}
	xc_dom_release(dom);
	xc_interface_close(xch);
	return 0;
}
