/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by libafterburn and the tools built on it: error
 * formatting into a caller's buffer, JSON strings, and little-endian loads from
 * unaligned file bytes (ELF images are read as byte arrays, never cast).
 */
#ifndef AFTERBURN_LIBAFTERBURN_UTIL_H
#define AFTERBURN_LIBAFTERBURN_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Format the message into err (if any) and return -1. */
static inline int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static inline uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Print s as a JSON string literal on stdout (the tools' --json output). */
static inline void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

#endif
