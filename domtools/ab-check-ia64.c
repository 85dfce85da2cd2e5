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
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afterburn/annotation.h"
#include "domtools/libafterburn/util.h"
#include "ia64/bundle.h"
#include "ia64/rewrite.h"
#include "ia64/sensitive.h"

#ifndef EM_IA_64
#define EM_IA_64 50
#endif
#define R_IA64_PCREL32LSB 0x4d

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

struct note_info {
	int count;
	uint32_t abi_version, flags;
	uint16_t arch, record_size;
};

static void read_note(Elf *e, size_t shnum, size_t shstrndx, struct note_info *ni)
{
	memset(ni, 0, sizeof(*ni));
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *s = elf_getscn(e, i);
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (sh.sh_type != SHT_NOTE || !name || strcmp(name, AFTERBURN_NOTE_SECTION))
			continue;
		Elf_Data *d = elf_getdata(s, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *p = (const uint8_t *)d->d_buf;
			if (nh.n_type != AFTERBURN_NOTE_ABI || nh.n_namesz != sizeof(AFTERBURN_NOTE_NAME) ||
			    memcmp(p + name_off, AFTERBURN_NOTE_NAME, nh.n_namesz) || nh.n_descsz < 12)
				continue;
			const uint8_t *q = p + desc_off;
			ni->count++;
			ni->abi_version = (uint32_t)(q[0] | q[1] << 8 | q[2] << 16 | (uint32_t)q[3] << 24);
			ni->arch = (uint16_t)(q[4] | q[5] << 8);
			ni->record_size = (uint16_t)(q[6] | q[7] << 8);
			ni->flags = (uint32_t)(q[8] | q[9] << 8 | q[10] << 16 | (uint32_t)q[11] << 24);
		}
	}
}

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
		if (!strcmp(argv[i], "--list"))
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
	if (elf_version(EV_CURRENT) == EV_NONE)
		die("libelf", elf_errmsg(-1));
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die("cannot open", path);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (!e || !gelf_getehdr(e, &eh))
		die("not an ELF file", path);
	if (eh.e_machine != EM_IA_64 || gelf_getclass(e) != ELFCLASS64)
		die("not a 64-bit IA-64 ELF file", path);
	size_t shnum, shstrndx;
	elf_getshdrnum(e, &shnum);
	elf_getshdrstrndx(e, &shstrndx);

	Elf_Scn *ab = NULL, *ab_rela = NULL, *symtab = NULL;
	size_t ab_index = 0;
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *s = elf_getscn(e, i);
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, AFTERBURN_SECTION)) {
			ab = s;
			ab_index = i;
		}
		if (sh.sh_type == SHT_SYMTAB)
			symtab = s;
	}
	for (size_t i = 1; ab && i < shnum; i++) {
		Elf_Scn *s = elf_getscn(e, i);
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		if (sh.sh_type == SHT_RELA && sh.sh_info == ab_index)
			ab_rela = s;
	}

	/* Records. */
	struct record *recs = NULL;
	size_t nrecs = 0, bad = 0;
	struct bad *bads = NULL;
	if (ab) {
		GElf_Shdr ash;
		gelf_getshdr(ab, &ash);
		Elf_Data *d = elf_getdata(ab, NULL);
		if (ash.sh_size % AFTERBURN_RECORD_SIZE)
			die(AFTERBURN_SECTION " size is not a multiple of the record size", NULL);
		nrecs = ash.sh_size / AFTERBURN_RECORD_SIZE;
		recs = calloc(nrecs ? nrecs : 1, sizeof(*recs));
		Elf_Data *rd = ab_rela ? elf_getdata(ab_rela, NULL) : NULL;
		Elf_Data *sd = symtab ? elf_getdata(symtab, NULL) : NULL;
		size_t nrela = 0;
		if (ab_rela) {
			GElf_Shdr rsh;
			gelf_getshdr(ab_rela, &rsh);
			nrela = rsh.sh_size / rsh.sh_entsize;
		}
		for (size_t r = 0; r < nrecs; r++) {
			const uint8_t *p = (const uint8_t *)d->d_buf + r * AFTERBURN_RECORD_SIZE;
			int32_t offset = (int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
			recs[r].length = p[4];
			recs[r].slot = p[5];
			recs[r].kind = (unsigned)(p[6] | p[7] << 8);
			if (eh.e_type == ET_REL) {
				for (size_t k = 0; k < nrela; k++) {
					GElf_Rela rela;
					gelf_getrela(rd, (int)k, &rela);
					if (rela.r_offset != r * AFTERBURN_RECORD_SIZE)
						continue;
					GElf_Sym sym;
					if (GELF_R_TYPE(rela.r_info) != R_IA64_PCREL32LSB || !sd ||
					    !gelf_getsym(sd, (int)GELF_R_SYM(rela.r_info), &sym))
						break;
					recs[r].shndx = sym.st_shndx;
					recs[r].off = sym.st_value + (uint64_t)rela.r_addend + (uint64_t)(int64_t)offset;
				}
			} else {
				uint64_t site = ash.sh_addr + r * AFTERBURN_RECORD_SIZE + (uint64_t)(int64_t)offset;
				for (size_t i = 1; i < shnum; i++) {
					GElf_Shdr sh;
					gelf_getshdr(elf_getscn(e, i), &sh);
					if ((sh.sh_flags & SHF_ALLOC) && site >= sh.sh_addr &&
					    site < sh.sh_addr + sh.sh_size) {
						recs[r].shndx = i;
						recs[r].off = site - sh.sh_addr;
					}
				}
			}
		}
	}

	/* Data in code, named on the command line. */
	struct { size_t shndx; uint64_t start, end; } data[64];
	int data_found = 0;
	for (int k = 0; k < ndata; k++) {
		Elf_Data *sd = symtab ? elf_getdata(symtab, NULL) : NULL;
		GElf_Shdr ssh;
		int ok = 0;
		if (sd && gelf_getshdr(symtab, &ssh)) {
			size_t n = ssh.sh_size / ssh.sh_entsize;
			for (size_t j = 0; j < n; j++) {
				GElf_Sym sym;
				gelf_getsym(sd, (int)j, &sym);
				const char *nm = elf_strptr(e, ssh.sh_link, sym.st_name);
				if (nm && !strcmp(nm, data_syms[k])) {
					data[data_found].shndx = sym.st_shndx;
					data[data_found].start = sym.st_value & ~15ULL;
					data[data_found].end = sym.st_value + (sym.st_size > 16 ? sym.st_size : 16);
					data_found++;
					ok = 1;
					break;
				}
			}
		}
		if (!ok)
			die("--data names no symbol of the file", data_syms[k]);
	}

	/* Sensitive slots of every executable section. */
	struct found *found = NULL;
	size_t nfound = 0, capfound = 0;
	unsigned long by_kind[IA64_KIND_MAX] = {0};
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *s = elf_getscn(e, i);
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		if (!(sh.sh_flags & SHF_EXECINSTR) || sh.sh_type != SHT_PROGBITS)
			continue;
		Elf_Data *d = elf_getdata(s, NULL);
		for (uint64_t off = 0; d && off + 16 <= d->d_size; off += 16) {
			const uint8_t *bp = (const uint8_t *)d->d_buf + off;
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
					printf("found %s+0x%llx slot %u %s\n", elf_strptr(e, shstrndx, sh.sh_name),
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
		Elf_Scn *s = rc->shndx ? elf_getscn(e, rc->shndx) : NULL;
		GElf_Shdr sh;
		if (!s || !gelf_getshdr(s, &sh) || !(sh.sh_flags & SHF_EXECINSTR))
			snprintf(why, sizeof(why), "site is not in an executable section");
		else if (rc->off % 16)
			snprintf(why, sizeof(why), "site 0x%llx is not a bundle address", (unsigned long long)rc->off);
		else if (rc->length != IA64_SITE_BYTES)
			snprintf(why, sizeof(why), "length %u, expected %u", rc->length, IA64_SITE_BYTES);
		else if (rc->off + IA64_SITE_BYTES > sh.sh_size)
			snprintf(why, sizeof(why), "site runs past its section");
		else if (!f)
			snprintf(why, sizeof(why), "no sensitive instruction in slot %u", rc->slot);
		else if (f->kind != rc->kind)
			snprintf(why, sizeof(why), "slot holds %s, record says kind %u",
				 ia64_kind_name(f->kind), rc->kind);
		if (!why[0]) {
			Elf_Data *d = elf_getdata(s, NULL);
			uint8_t site[IA64_SITE_BYTES];
			memcpy(site, (const uint8_t *)d->d_buf + rc->off, sizeof(site));
			enum ia64_form form = copy ? ia64_rewrite_site(site, rc->slot, rc->kind, vcpu, why, sizeof(why))
						   : ia64_site_form(site, rc->slot, rc->kind, why, sizeof(why));
			if (form != IA64_FORM_NONE) {
				f->covered = 1;
				forms[form]++;
				if (copy) {
					fseek(copy, (long)(sh.sh_offset + rc->off), SEEK_SET);
					fwrite(site, 1, sizeof(site), copy);
				}
				if (list)
					printf("site %s+0x%llx slot %u %s %s\n",
					       elf_strptr(e, shstrndx, sh.sh_name),
					       (unsigned long long)rc->off, rc->slot, ia64_kind_name(rc->kind),
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
		GElf_Shdr sh;
		gelf_getshdr(elf_getscn(e, found[k].shndx), &sh);
		fprintf(stderr, "%s: not covered: %s+0x%llx slot %u %s\n", path,
			elf_strptr(e, shstrndx, sh.sh_name), (unsigned long long)found[k].off,
			found[k].slot, ia64_kind_name(found[k].kind));
	}
	if (copy && fclose(copy))
		die("cannot write", rewrite_out);
	struct note_info note;
	read_note(e, shnum, shstrndx, &note);
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
		printf("\"note\":{\"present\":%s,\"count\":%d,\"abi_version\":%u,\"arch\":%u,\"record_size\":%u,\"flags\":%u},",
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
			GElf_Shdr sh;
			gelf_getshdr(elf_getscn(e, found[k].shndx), &sh);
			printf("%s{\"section\":", first ? "" : ",");
			json_string(elf_strptr(e, shstrndx, sh.sh_name));
			printf(",\"offset\":%llu,\"slot\":%u,\"kind\":\"%s\"}",
			       (unsigned long long)found[k].off, found[k].slot, ia64_kind_name(found[k].kind));
			first = 0;
		}
		printf("],\"bad_records\":[");
		for (size_t k = 0; k < bad; k++) {
			const char *sec = "";
			GElf_Shdr sh;
			if (bads[k].shndx && gelf_getshdr(elf_getscn(e, bads[k].shndx), &sh))
				sec = elf_strptr(e, shstrndx, sh.sh_name);
			printf("%s{\"record\":%zu,\"section\":", k ? "," : "", bads[k].record);
			json_string(sec ? sec : "");
			printf(",\"offset\":%llu,\"kind\":%u,\"reason\":", (unsigned long long)bads[k].off, bads[k].kind);
			json_string(bads[k].reason);
			printf("}");
		}
		printf("],\"note_problem\":");
		json_string(note_problem ? note_problem : "");
		printf(",\"ok\":%s}\n", ok ? "true" : "false");
		elf_end(e);
		close(fd);
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
	elf_end(e);
	close(fd);
	return ok ? 0 : 1;
}
