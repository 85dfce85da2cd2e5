/* SPDX-License-Identifier: BSD-2-Clause */
/* Kind numbers of the x86 sensitive-instruction table, as a C enum. */
#ifndef AFTERBURN_X86_SENSITIVE_H
#define AFTERBURN_X86_SENSITIVE_H

enum x86_kind {
	X86_KIND_NONE = 0,
#define X86_KIND(id, name, pad, flags) X86_KIND_##name = id,
#include "sensitive.def"
#undef X86_KIND
	X86_KIND_MAX
};

#endif
