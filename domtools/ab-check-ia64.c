// SPDX-License-Identifier: BSD-2-Clause
/*
 * ab-check-ia64: coverage checker for burnt IA-64 objects and images.
 *
 *   ab-check-ia64 [--list] [--found] [--json] [--strict] [--data SYMBOL]... [--rewrite OUT [--vcpu ADDR]] FILE
 *
 * Decodes every bundle of every executable section, classifies each slot
 * with ia64/sensitive.def, and matches the sensitive ones against the
 * .afterburn records (relocatable objects: through .rela.afterburn).
 * Reports coverage and bad records (pointing nowhere sensible, wrong slot,
 * wrong kind, wrong length, site not padded as the burner pads); exits 0
 * only for 100% coverage and no bad record.  All-zero bundles (`.org`
 * fill) are not instructions and are skipped; so are the bundles of data
 * placed in code with data8 & co., which bytes alone cannot tell from
 * code: name their symbol with --data (it covers max(st_size, 16) bytes).
 *
 * ab-check hands IA-64 files to this tool with its own arguments:
 * --json gives a JSON report (field names as ab-check's), --strict is
 * accepted and changes nothing (every IA-64 kind is rewritten).
 * The note must be present when there are records, and say ABI
 * AFTERBURN_ABI_VERSION, IA-64, 8-byte records.
 * --list prints each record's site and loaded form, --found every
 * sensitive slot the decoder sees (for comparison with objdump).
 * --rewrite writes a copy of FILE with every site in its loaded form
 * (ia64/rewrite.c) for the virtual CPU at ADDR (default 0xa000000000010000),
 * so that objdump shows what the wedge will run.
 *
 * The file is read with libafterburn (bounds-checked, the reader the
 * fuzzer covers): a malformed ELF, note or relocation is an error.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afterburn/annotation.h"
#include "generated/ab-version.h"
#include "domtools/libafterburn/afterburn.h"
#include "domtools/libafterburn/util.h"
#include "ia64/bundle.h"
#include "ia64/rewrite.h"
#include "ia64/sensitive.h"

#ifndef EM_IA_64
#define EM_IA_64 50
#endif

struct found {
	size_t shndx;
	uint64_t off;      /* bundle offset in its section */
	unsigned slot, kind;
	int covered;
};

struct bad {
	size_t record, shndx;
	uint64_t off;
	unsigned kind;
	char reason[256];
};

struct record {
	size_t shndx;      /* 0: unresolved */
	uint64_t off;      /* site (bundle) offset in its section */
	unsigned length, slot, kind;
};

static const char *prog = "ab-check-ia64";

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: error: %s%s%s\n", prog, what, detail ? ": " : "", detail ? detail : "");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *rewrite_out = NULL;
	uint64_t vcpu = 0xa000000000010000ULL;
	int list = 0, show_found = 0, json = 0;
	const char *data_syms[64];
	int ndata = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			printf("usage: %s [--list] [--found] [--json] [--strict] [--data SYMBOL]... [--rewrite OUT [--vcpu ADDR]] FILE\n"
			       "Checks that every sensitive instruction slot of a burnt IA-64 image is annotated.\n"
			       "See ab-check-ia64(1).\n", prog);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("ab-check-ia64 (afterburner) %s\n", AB_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--list"))
			list = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--strict"))
			;   /* ab-check's option: IA-64 has no counted-only classes */
		else if (!strcmp(argv[i], "--found"))
			show_found = 1;
		else if (!strcmp(argv[i], "--data") && i + 1 < argc && ndata < 64)
			data_syms[ndata++] = argv[++i];
		else if (!strcmp(argv[i], "--rewrite") && i + 1 < argc)
			rewrite_out = argv[++i];
		else if (!strcmp(argv[i], "--vcpu") && i + 1 < argc)
			vcpu = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "usage: %s [--list] [--found] [--json] [--strict] [--data SYMBOL]... [--rewrite OUT [--vcpu ADDR]] FILE\n", prog);
			return 2;
		} else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: %s [--list] [--found] [--json] [--strict] [--data SYMBOL]... [--rewrite OUT [--vcpu ADDR]] FILE\n", prog);
		return 2;
	}
	struct ab_elf elf;
	char err[256];
	if (ab_elf_open(&elf, path, err, sizeof(err)))
		die(path, err);
	if (elf.machine != EM_IA_64 || elf.elf_class != 64)
		die("not a 64-bit IA-64 ELF file", path);
	const size_t shnum = elf.nsections;
#define SECNAME(i) (elf.sections[i].name)

	/* Records (relocatable objects: resolved through .rela.afterburn). */
	struct ab_site *sites = NULL;
	size_t nrecs = 0, bad = 0;
	struct bad *bads = NULL;
	if (ab_read_sites(&elf, &sites, &nrecs, err, sizeof(err)))
		die(path, err);
	struct record *recs = calloc(nrecs ? nrecs : 1, sizeof(*recs));
	if (!recs)
		die("out of memory", NULL);
	for (size_t r = 0; r < nrecs; r++)
		recs[r] = (struct record){ sites[r].section, sites[r].offset, sites[r].length,
					   sites[r].insn, sites[r].kind };
	free(sites);

	/* Data in code, named on the command line. */
	struct { size_t shndx; uint64_t start, end; } data[64];
	int data_found = 0;
	if (ndata) {
		struct ab_symbol *syms = NULL;
		long nsyms = ab_elf_symbols(&elf, &syms, err, sizeof(err));
		if (nsyms < 0)
			die(path, err);
		for (int k = 0; k < ndata; k++) {
			int ok = 0;
			for (long j = 0; j < nsyms && !ok; j++)
				if (syms[j].name && !strcmp(syms[j].name, data_syms[k])) {
					data[data_found].shndx = syms[j].shndx;
					data[data_found].start = syms[j].value & ~15ULL;
					data[data_found].end = syms[j].value + (syms[j].size > 16 ? syms[j].size : 16);
					data_found++;
					ok = 1;
				}
			if (!ok)
				die("--data names no symbol of the file", data_syms[k]);
		}
		free(syms);
	}

	/* Sensitive slots of every executable section. */
	struct found *found = NULL;
	size_t nfound = 0, capfound = 0;
	unsigned long by_kind[IA64_KIND_MAX] = {0};
	for (size_t i = 1; i < shnum; i++) {
		const struct ab_section *sh = &elf.sections[i];
		if (!(sh->flags & SHF_EXECINSTR) || sh->type != SHT_PROGBITS)
			continue;
		const uint8_t *d = ab_elf_section_data(&elf, sh);
		for (uint64_t off = 0; d && off + 16 <= sh->size; off += 16) {
			const uint8_t *bp = d + off;
			static const uint8_t zero[16];
			if (!memcmp(bp, zero, 16))
				continue;
			int is_data = 0;
			for (int k = 0; k < data_found; k++)
				if (data[k].shndx == i && off >= data[k].start && off < data[k].end)
					is_data = 1;
			if (is_data)
				continue;
			struct ia64_bundle b = ia64_bundle_load(bp);
			const char *units = ia64_template_units(ia64_bundle_template(b));
			if (!units)
				continue;   /* reserved template: not code */
			for (unsigned slot = 0; slot < 3; slot++) {
				char unit = units[slot];
				if (unit == 'L')
					continue;
				unsigned kind = ia64_classify(ia64_bundle_slot(b, slot), unit);
				if (!kind)
					continue;
				if (nfound == capfound) {
					capfound = capfound ? 2 * capfound : 256;
					found = realloc(found, capfound * sizeof(*found));
				}
				found[nfound++] = (struct found){ i, off, unit == 'X' ? 1 : slot, kind, 0 };
				if (show_found)
					printf("found %s+0x%llx slot %u %s\n", SECNAME(i),
					       (unsigned long long)off, unit == 'X' ? 1 : slot, ia64_kind_name(kind));
				by_kind[kind]++;
			}
		}
	}

	/* Match. */
	FILE *copy = NULL;
	unsigned long forms[4] = {0};
	if (rewrite_out) {
		FILE *in = fopen(path, "rb");
		copy = fopen(rewrite_out, "w+b");
		if (!in || !copy)
			die("cannot copy to", rewrite_out);
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, copy);
		fclose(in);
	}
	for (size_t r = 0; r < nrecs; r++) {
		struct record *rc = &recs[r];
		char why[256] = "";
		struct found *f = NULL;
		for (size_t k = 0; k < nfound; k++)
			if (found[k].shndx == rc->shndx && found[k].off == rc->off && found[k].slot == rc->slot)
				f = &found[k];
		const struct ab_section *sh = rc->shndx && rc->shndx < shnum ? &elf.sections[rc->shndx] : NULL;
		if (!sh || !(sh->flags & SHF_EXECINSTR) || sh->type != SHT_PROGBITS)
			snprintf(why, sizeof(why), "site is not in an executable section");
		else if (rc->off % 16)
			snprintf(why, sizeof(why), "site 0x%llx is not a bundle address", (unsigned long long)rc->off);
		else if (rc->length != IA64_SITE_BYTES)
			snprintf(why, sizeof(why), "length %u, expected %u", rc->length, IA64_SITE_BYTES);
		else if (rc->off > sh->size || IA64_SITE_BYTES > sh->size - rc->off)
			snprintf(why, sizeof(why), "site runs past its section");
		else if (!f)
			snprintf(why, sizeof(why), "no sensitive instruction in slot %u", rc->slot);
		else if (f->kind != rc->kind)
			snprintf(why, sizeof(why), "slot holds %s, record says kind %u",
				 ia64_kind_name(f->kind), rc->kind);
		if (!why[0]) {
			uint8_t site[IA64_SITE_BYTES];
			memcpy(site, ab_elf_section_data(&elf, sh) + rc->off, sizeof(site));
			enum ia64_form form = copy ? ia64_rewrite_site(site, rc->slot, rc->kind, vcpu, why, sizeof(why))
						   : ia64_site_form(site, rc->slot, rc->kind, why, sizeof(why));
			if (form != IA64_FORM_NONE) {
				f->covered = 1;
				forms[form]++;
				if (copy) {
					fseek(copy, (long)(sh->offset + rc->off), SEEK_SET);
					fwrite(site, 1, sizeof(site), copy);
				}
				if (list)
					printf("site %s+0x%llx slot %u %s %s\n",
					       sh->name, (unsigned long long)rc->off, rc->slot, ia64_kind_name(rc->kind),
					       form == IA64_FORM_LOAD ? "load" : form == IA64_FORM_STORE ? "store" : "trap");
			}
		}
		if (why[0]) {
			bads = realloc(bads, (bad + 1) * sizeof(*bads));
			bads[bad] = (struct bad){ r, rc->shndx, rc->off, rc->kind, "" };
			snprintf(bads[bad].reason, sizeof(bads[bad].reason), "%s", why);
			bad++;
			if (!json)
				fprintf(stderr, "%s: bad record %zu: %s\n", path, r, why);
		}
	}
	size_t covered = 0;
	for (size_t k = 0; k < nfound; k++) {
		if (found[k].covered) {
			covered++;
			continue;
		}
		if (json)
			continue;
		fprintf(stderr, "%s: not covered: %s+0x%llx slot %u %s\n", path,
			SECNAME(found[k].shndx), (unsigned long long)found[k].off,
			found[k].slot, ia64_kind_name(found[k].kind));
	}
	if (copy && fclose(copy))
		die("cannot write", rewrite_out);
	struct ab_note note;
	if (ab_read_note(&elf, &note, err, sizeof(err)))
		die(path, err);
	const char *note_problem = NULL;
	if (nrecs && !note.count)
		note_problem = "records but no " AFTERBURN_NOTE_SECTION " note";
	else if (note.count && (note.abi_version != AFTERBURN_ABI_VERSION || note.arch != AFTERBURN_ARCH_IA64 ||
				note.record_size != AFTERBURN_RECORD_SIZE || (note.flags & ~AFTERBURN_NOTE_F_KNOWN)))
		note_problem = "note does not say this ABI version, IA-64, 8-byte records, known flags";
	int ok = covered == nfound && bad == 0 && !note_problem;
	if (json) {
		printf("{\"file\":");
		json_string(path);
		printf(",\"arch\":\"ia64\",\"records\":%zu,", nrecs);
		printf("\"note\":{\"present\":%s,\"count\":%zu,\"abi_version\":%u,\"arch\":%u,\"record_size\":%u,\"flags\":%u},",
		       note.count ? "true" : "false", note.count, note.abi_version, note.arch,
		       note.record_size, note.flags);
		printf("\"sensitive\":%zu,\"annotated\":%zu,", nfound, covered);
		printf("\"forms\":{\"load\":%lu,\"store\":%lu,\"trap\":%lu},\"kinds\":[",
		       forms[IA64_FORM_LOAD], forms[IA64_FORM_STORE], forms[IA64_FORM_TRAP]);
		int first = 1;
		for (unsigned k = 1; k < IA64_KIND_MAX; k++) {
			if (!by_kind[k])
				continue;
			printf("%s{\"kind\":%u,\"name\":\"%s\",\"sensitive\":%lu}", first ? "" : ",",
			       k, ia64_kind_name(k), by_kind[k]);
			first = 0;
		}
		printf("],\"gaps\":[");
		first = 1;
		for (size_t k = 0; k < nfound; k++) {
			if (found[k].covered)
				continue;
			printf("%s{\"section\":", first ? "" : ",");
			json_string(SECNAME(found[k].shndx));
			printf(",\"offset\":%llu,\"slot\":%u,\"kind\":\"%s\"}",
			       (unsigned long long)found[k].off, found[k].slot, ia64_kind_name(found[k].kind));
			first = 0;
		}
		printf("],\"bad_records\":[");
		for (size_t k = 0; k < bad; k++) {
			const char *sec = bads[k].shndx && bads[k].shndx < shnum ? SECNAME(bads[k].shndx) : "";
			printf("%s{\"record\":%zu,\"section\":", k ? "," : "", bads[k].record);
			json_string(sec ? sec : "");
			printf(",\"offset\":%llu,\"kind\":%u,\"reason\":", (unsigned long long)bads[k].off, bads[k].kind);
			json_string(bads[k].reason);
			printf("}");
		}
		printf("],\"note_problem\":");
		json_string(note_problem ? note_problem : "");
		printf(",\"ok\":%s}\n", ok ? "true" : "false");
		ab_elf_close(&elf);
		return ok ? 0 : 1;
	}
	if (note_problem)
		fprintf(stderr, "%s: %s\n", path, note_problem);
	printf("%s: %zu sensitive, %zu covered (%.1f%%), %zu records, %zu bad records\n", path,
	       nfound, covered, nfound ? 100.0 * (double)covered / (double)nfound : 100.0, nrecs, bad);
	printf("loaded forms: %lu load, %lu store, %lu trap\n",
	       forms[IA64_FORM_LOAD], forms[IA64_FORM_STORE], forms[IA64_FORM_TRAP]);
	for (unsigned k = 1; k < IA64_KIND_MAX; k++)
		if (by_kind[k])
			printf("  %-16s %lu\n", ia64_kind_name(k), by_kind[k]);
	ab_elf_close(&elf);
	return ok ? 0 : 1;
}
