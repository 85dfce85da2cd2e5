// SPDX-License-Identifier: BSD-2-Clause
/* Lookups over ia64/sensitive.def. */
#include "ia64/sensitive.h"

#include <stddef.h>
#include <string.h>

static const struct kind_info {
	const char *name, *macro;
	char unit;
	int loaded;
} kinds[IA64_KIND_MAX] = {
#define IA64_KIND(id, n, m, u, l) [id] = { #n, #m, u, l },
#include "ia64/sensitive.def"
#undef IA64_KIND
};

static const struct encoding {
	unsigned kind;
	char unit;
	uint64_t mask, match;
} encodings[] = {
#define IA64_ENCODING_(k, u, mask, match) { IA64_KIND_##k, u, mask, match },
#define IA64_ENCODING(k, u, ...) IA64_ENCODING_(k, u, __VA_ARGS__)
#include "ia64/sensitive.def"
#undef IA64_ENCODING
};

const char *ia64_kind_name(unsigned kind)
{
	return kind < IA64_KIND_MAX ? kinds[kind].name : NULL;
}

const char *ia64_kind_macro(unsigned kind)
{
	return kind < IA64_KIND_MAX ? kinds[kind].macro : NULL;
}

char ia64_kind_unit(unsigned kind)
{
	return kind < IA64_KIND_MAX ? kinds[kind].unit : 0;
}

int ia64_kind_loaded(unsigned kind)
{
	return kind < IA64_KIND_MAX ? kinds[kind].loaded : 0;
}

unsigned ia64_classify(uint64_t slot, char unit)
{
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
		if (encodings[i].unit == unit &&
		    (slot & encodings[i].mask) == encodings[i].match)
			return encodings[i].kind;
	return IA64_KIND_NONE;
}

static const struct { const char *name; unsigned number; } crs[] = {
	{"dcr", 0}, {"itm", 1}, {"iva", 2}, {"pta", 8}, {"ipsr", 16},
	{"isr", 17}, {"iip", 19}, {"ifa", 20}, {"itir", 21}, {"iipa", 22},
	{"ifs", 23}, {"iim", 24}, {"iha", 25}, {"lid", 64}, {"ivr", 65},
	{"tpr", 66}, {"eoi", 67}, {"irr0", 68}, {"irr1", 69}, {"irr2", 70},
	{"irr3", 71}, {"itv", 72}, {"pmv", 73}, {"cmcv", 74}, {"lrr0", 80},
	{"lrr1", 81},
};

int ia64_cr_number(const char *name)
{
	for (size_t i = 0; i < sizeof(crs) / sizeof(crs[0]); i++)
		if (!strcmp(crs[i].name, name))
			return (int)crs[i].number;
	return -1;
}

const char *ia64_cr_name(unsigned number)
{
	for (size_t i = 0; i < sizeof(crs) / sizeof(crs[0]); i++)
		if (crs[i].number == number)
			return crs[i].name;
	return NULL;
}
