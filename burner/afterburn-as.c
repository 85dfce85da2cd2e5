/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * afterburn-as: a drop-in GNU as.  Burns the assembly (pads and annotates
 * every sensitive instruction, see burner/frontend.h) and pipes the result
 * into the real assembler with the caller's options; returns its status.
 *
 *   afterburn-as [as options] [--afterburn-OPTION...] [files | -]
 *
 * Own options (never passed on):
 *   --afterburn-target=x86|ia64   front end (default: x86, or ia64 when
 *                                 invoked under a name containing "ia64")
 *   --afterburn-rdtsc             pad and annotate rdtsc/rdtscp too
 *   --afterburn-mode=pad|macro    IA-64 emission mode
 *   --afterburn-save=FILE         also write the burnt source to FILE
 *   --afterburn-stats             print sites by kind to stderr
 *   --afterburn-slow              full statement parser for every line
 *                                 (no fast path: tests compare the two)
 *   --afterburn-off               pass through unchanged
 * Environment: AFTERBURN_REAL_AS (the real assembler), AFTERBURN_SAVE_DIR
 * (keep each original input there, for benchmarks), AFTERBURN_OFF=1.
 *
 * Two builds of this file (CONFIG_BURNER_IN_PROCESS, docs/burner.md):
 *  - the program afterburn-as, which burns and then execs the real
 *    assembler with the burnt text as stdin;
 *  - libafterburn-as.so (AFTERBURN_IN_PROCESS), loaded into a copy of GNU
 *    as itself: its ELF constructor burns before as's main runs, puts the
 *    burnt text on stdin and rewrites argv in place, so one process and one
 *    exec do the whole job (the exec of a second program costs more than
 *    the burning).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "burner/frontend.h"
#include "generated/autoconf.h"

#ifndef CONFIG_REAL_AS
#define CONFIG_REAL_AS "/usr/bin/as"
#endif
#ifndef CONFIG_REAL_AS_IA64
#define CONFIG_REAL_AS_IA64 "/usr/bin/ia64-linux-gnu-as"
#endif

struct args {
	char **v;
	size_t n, cap;
};

static void args_push(struct args *a, char *s)
{
	if (a->n + 1 >= a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) {
			perror("afterburn-as");
			exit(2);
		}
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* Read a whole stream; NUL-terminated. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap *= 2;
			char *t = realloc(s, cap);
			if (!t) {
				free(s);
				return NULL;
			}
			s = t;
		}
		size_t r = fread(s + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(s);
		return NULL;
	}
	s[n] = 0;
	*len = n;
	return s;
}

/* Expand @file response files the way gas (libiberty) does: whitespace
 * separated, with '...' "..." and backslash quoting. */
static void expand_response(struct args *out, const char *path, int depth)
{
	if (depth > 8) {
		/* a limit, said so (a cycle would never end) */
		fprintf(stderr, "afterburn-as: @%s: response files nested deeper than 8 "
			"(expand_response in burner/afterburn-as.c)\n", path);
		exit(2);
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		/* gas keeps an unreadable @file as a literal argument */
		char *s = malloc(strlen(path) + 2);
		if (!s)
			exit(2);
		sprintf(s, "@%s", path);
		args_push(out, s);
		return;
	}
	size_t len;
	char *text = slurp(f, &len);
	fclose(f);
	if (!text)
		exit(2);
	char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		char *arg = malloc(strlen(p) + 1), *d = arg;
		if (!arg)
			exit(2);
		char quote = 0;
		while (*p && (quote || !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))) {
			if (*p == '\\' && p[1]) {
				*d++ = p[1];
				p += 2;
			} else if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p++;
			} else {
				*d++ = *p++;
			}
		}
		*d = 0;
		if (arg[0] == '@' && arg[1])
			expand_response(out, arg + 1, depth + 1);
		else
			args_push(out, arg);
	}
	free(text);
}

/* Options of gas (generic, x86, IA-64) that take their argument as the
 * next word when not attached with '='. */
static bool takes_separate_arg(const char *opt)
{
	static const char *const with_arg[] = {
		"-o", "-I", "--defsym", "--MD", "--debug-prefix-map",
		"--listing-lhs-width", "--listing-lhs-width2",
		"--listing-rhs-width", "--listing-cont-lines", "-Q", "-N",
		"--multibyte-handling", "--size-check", "--elf-stt-common",
		"--sectname-subst", "--generate-missing-build-notes",
		"--gdwarf-cie-version", "--hash-size", "--reduce-memory-overheads",
		/* x86 long options with required arguments (also with one '-') */
		"-march", "-mtune", "-mmnemonic", "-msyntax", "-mindex-reg",
		"-mx86-used-note", "-mrelax-relocations", "-momit-lock-prefix",
		"-mfence-as-lock-add", "-mevexlig", "-mevexwig", "-mevexrcig",
		"-mvexwig", "-msse-check", "-moperand-check", "-mavxscalar",
		"-mlfence-after-load", "-mlfence-before-indirect-branch",
		"-mlfence-before-ret", "-malign-branch-boundary",
		"-malign-branch", "-malign-branch-prefix-size", "-mtls-check",
		NULL,
	};
	const char *o = opt;
	if (o[0] == '-' && o[1] == '-' && o[2] == 'm')
		o++;   /* --march == -march */
	for (int i = 0; with_arg[i]; i++)
		if (!strcmp(o, with_arg[i]) || !strcmp(opt, with_arg[i]))
			return true;
	return false;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Run the real assembler with argv, feeding `in` (may be NULL: inherit
 * stdin) on its stdin; returns its exit status the way a shell would. */
static int run_real_as(char **argv, const char *in, size_t len)
{
	/* Fast path: the burnt text in a memory file as stdin, and the real
	 * assembler replaces this process (no fork, no pipe; its exit status
	 * is the status). */
	if (in) {
		int fd = memfd_create("afterburn-as", 0);
		size_t off = 0;
		while (fd >= 0 && off < len) {
			ssize_t w = write(fd, in + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				close(fd);
				fd = -1;
				break;
			}
			off += (size_t)w;
		}
		if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, 0) == 0) {
			close(fd);
			execv(argv[0], argv);
			fprintf(stderr, "afterburn-as: cannot run the real assembler %s: %s "
				"(set AFTERBURN_REAL_AS or CONFIG_REAL_AS)\n", argv[0], strerror(errno));
			return 127;
		}
		if (fd >= 0)
			close(fd);
		/* no memfd: feed a pipe from a child */
	}
	int fds[2] = { -1, -1 };
	if (in && pipe(fds) < 0) {
		perror("afterburn-as: pipe");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("afterburn-as: fork");
		return 2;
	}
	if (pid == 0) {
		if (in) {
			dup2(fds[0], 0);
			close(fds[0]);
			close(fds[1]);
		}
		execv(argv[0], argv);
		fprintf(stderr, "afterburn-as: cannot run the real assembler %s: %s "
			"(set AFTERBURN_REAL_AS or CONFIG_REAL_AS)\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (in) {
		close(fds[0]);
		signal(SIGPIPE, SIG_IGN);
		size_t off = 0;
		while (off < len) {
			ssize_t w = write(fds[1], in + off, len - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				break;   /* EPIPE: as stopped reading; its status tells */
			}
			off += (size_t)w;
		}
		close(fds[1]);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("afterburn-as: waitpid");
			return 2;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 2;
}

/* Fault a big buffer's pages in with one call instead of one fault per
 * page while reading into it (MADV_POPULATE_WRITE, Linux 5.14). */
static void prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = 4096, a = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(page - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
#endif
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void save_input(const char *dir, const char *text, size_t len)
{
	/* FNV-1a of the input names the file: identical inputs share one */
	unsigned long long h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%016llx.s", dir, h);
	FILE *f = fopen(path, "w");
	if (!f)
		return;   /* best effort: benchmarks only */
	fwrite(text, 1, len, f);
	fclose(f);
}

/*
 * Inline `.include "file"` lines (the only statement on their line), so
 * the included text is burnt too: `# 1 "path"` + text + a marker back to
 * the including file's next line.  The search order is gas's: the name as
 * given, then each -I directory.  Files not found are left to gas.
 */
static void buf_add(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*b = realloc(*b, *cap);
		if (!*b) {
			perror("afterburn-as");
			exit(2);
		}
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = 0;
}

/* Whether `.include` (any case, as expand_includes takes it) occurs in
 * text: a memchr from dot to dot, cheaper than a substring search. */
static bool mentions_include(const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	while ((p = memchr(p, '.', (size_t)(end - p))) && end - p > 8) {
		if ((p[1] | 0x20) == 'i' && !strncasecmp(p + 1, "include", 7))
			return true;
		p++;
	}
	return false;
}

static char *expand_includes(const char *text, size_t n, const char *name,
			     const struct args *incdirs, int depth, size_t *out_len)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s", name);
	long line = 1;
	const char *p = text, *end = text + n;
	buf_add(&out, &len, &cap, "", 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		bool done = false;
		if (q == p && q < le && *q == '#') {
			/* line marker: track the logical position */
			const char *r = q + 1;
			while (r < le && *r == ' ')
				r++;
			if (r < le && *r >= '0' && *r <= '9') {
				long nline = strtol(r, (char **)&r, 10);
				while (r < le && *r == ' ')
					r++;
				if (r < le && *r == '"') {
					const char *e = memchr(r + 1, '"', (size_t)(le - r - 1));
					if (e && (size_t)(e - r - 1) < sizeof(file)) {
						memcpy(file, r + 1, (size_t)(e - r - 1));
						file[e - r - 1] = 0;
					}
				}
				line = nline - 1;
			}
		} else if (le - q > 9 && !strncasecmp(q, ".include", 8) &&
			   (q[8] == ' ' || q[8] == '\t')) {
			const char *r = q + 8;
			while (r < le && (*r == ' ' || *r == '\t'))
				r++;
			const char *e = r < le && *r == '"' ? memchr(r + 1, '"', (size_t)(le - r - 1)) : NULL;
			const char *t = e ? e + 1 : NULL;
			while (t && t < le && (*t == ' ' || *t == '\t' || *t == '\r'))
				t++;
			if (e && (t == le || *t == '#') && (depth >= 16 || (size_t)(e - r - 1) >= 1024)) {
				/* limits, said so: a file left to gas would not be burnt */
				fprintf(stderr, "%s:%ld: error: afterburn-as: %s (expand_includes in "
					"burner/afterburn-as.c): not assembled\n", file, line,
					depth >= 16 ? ".include nested deeper than 16 files"
						    : ".include file name of 1024 characters or more");
				exit(1);
			}
			if (e && (t == le || *t == '#')) {
				char inc[1024], path[PATH_MAX + 1100];
				memcpy(inc, r + 1, (size_t)(e - r - 1));
				inc[e - r - 1] = 0;
				FILE *f = fopen(inc, "r");
				snprintf(path, sizeof(path), "%s", inc);
				for (size_t i = 0; !f && inc[0] != '/' && i < incdirs->n; i++) {
					snprintf(path, sizeof(path), "%s/%s", incdirs->v[i], inc);
					f = fopen(path, "r");
				}
				if (f) {
					size_t in_len, exp_len;
					char *in = slurp(f, &in_len);
					fclose(f);
					if (in) {
						char *exp = expand_includes(in, in_len, path, incdirs,
									    depth + 1, &exp_len);
						char mark[PATH_MAX + 1200];
						int m = snprintf(mark, sizeof(mark), "# 1 \"%s\"\n", path);
						buf_add(&out, &len, &cap, mark, (size_t)m);
						buf_add(&out, &len, &cap, exp, exp_len);
						if (exp_len && exp[exp_len - 1] != '\n')
							buf_add(&out, &len, &cap, "\n", 1);
						m = snprintf(mark, sizeof(mark), "# %ld \"%s\"", line + 1, file);
						buf_add(&out, &len, &cap, mark, (size_t)m);
						free(exp);
						free(in);
						done = true;
					}
				}
			}
		}
		if (!done)
			buf_add(&out, &len, &cap, p, (size_t)(le - p));
		if (nl)
			buf_add(&out, &len, &cap, "\n", 1);
		line++;
		p = nl ? nl + 1 : end;
	}
	*out_len = len;
	return out;
}

/* afterburn_as's result when the host assembler (in-process build)
 * should go on and assemble what is now on its stdin. */
#define RUN_HERE (-1)

/*
 * In-process build: make the host as see `argv[0] OPTIONS`, the way the
 * exec build runs the real assembler (the input, if burnt, is already on
 * stdin).  argc is fixed (main gets its own copy), so argv is rewritten in
 * place and the slots left over become `-w`, an option as ignores.
 * Returns false when the options do not fit (response files expanded to
 * more than argc); the caller then execs the real assembler instead.
 */
static bool hand_over(int argc, char **argv, const struct args *pass)
{
	if ((size_t)argc < pass->n)
		return false;
	for (size_t i = 1; i < pass->n; i++)
		argv[i] = pass->v[i];
	for (size_t i = pass->n; i < (size_t)argc; i++)
		argv[i] = "-w";
	return true;
}

/* Burn the input named by argv and assemble it: the exit status, or
 * RUN_HERE (in_process only) when the host as is to assemble it. */
static int afterburn_as(int argc, char **argv, bool in_process)
{
	struct args raw = { 0 }, pass = { 0 }, files = { 0 }, incdirs = { 0 };
	bool ia64 = strstr(base_name(argv[0]), "ia64") != NULL;
	bool off = getenv("AFTERBURN_OFF") && strcmp(getenv("AFTERBURN_OFF"), "0");
	bool print_stats = false, info_only = false, stdin_named = false;
	const char *save = NULL;
	struct burn_config cfg = { .mode = BURN_MODE_PAD, .code_bits = 0 };
#ifdef CONFIG_BURN_RDTSC
	cfg.burn_rdtsc = true;
#endif

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '@' && argv[i][1])
			expand_response(&raw, argv[i] + 1, 0);
		else
			args_push(&raw, argv[i]);
	}

	/* argv[0] of the real assembler, then the caller's options.  In
	 * process, the host as is the real one unless AFTERBURN_REAL_AS
	 * names another, which is then exec'd as by the program. */
	const char *real = getenv("AFTERBURN_REAL_AS");
	bool here = in_process && !real;
	args_push(&pass, NULL);   /* filled below once the target is known */

	for (size_t i = 0; i < raw.n; i++) {
		char *a = raw.v[i];
		if (!strncmp(a, "--afterburn-", 12)) {
			const char *o = a + 12;
			if (!strcmp(o, "target=ia64"))
				ia64 = true;
			else if (!strcmp(o, "target=x86"))
				ia64 = false;
			else if (!strcmp(o, "rdtsc"))
				cfg.burn_rdtsc = true;
			else if (!strcmp(o, "mode=pad"))
				cfg.mode = BURN_MODE_PAD;
			else if (!strcmp(o, "mode=macro"))
				cfg.mode = BURN_MODE_MACRO;
			else if (!strncmp(o, "save=", 5))
				save = o + 5;
			else if (!strcmp(o, "stats"))
				print_stats = true;
			else if (!strcmp(o, "off"))
				off = true;
			else if (!strcmp(o, "verbose"))
				cfg.verbose++;
			else if (!strcmp(o, "slow"))
				cfg.full_parse = true;
			else {
				fprintf(stderr, "afterburn-as: unknown option %s (expected "
					"--afterburn-target=x86|ia64, --afterburn-rdtsc, "
					"--afterburn-mode=pad|macro, --afterburn-save=FILE, "
					"--afterburn-stats, --afterburn-slow, --afterburn-off)\n", a);
				return 2;
			}
			continue;
		}
		if (!strcmp(a, "-")) {
			stdin_named = true;
			continue;
		}
		if (a[0] != '-') {
			args_push(&files, a);
			continue;
		}
		args_push(&pass, a);
		if (!strcmp(a, "--version") || !strcmp(a, "--help") ||
		    !strcmp(a, "--target-help") || !strcmp(a, "--dump-config") ||
		    !strncmp(a, "--help=", 7))
			info_only = true;
		else if (!strcmp(a, "--32"))
			cfg.code_bits = 32;
		else if (!strcmp(a, "--64") || !strcmp(a, "--x32"))
			cfg.code_bits = 64;
		else if (!strcmp(a, "-msyntax=intel") || !strcmp(a, "--msyntax=intel"))
			cfg.intel_syntax = true;
		else if (!strcmp(a, "-msyntax=att") || !strcmp(a, "--msyntax=att"))
			cfg.intel_syntax = false;
		else if (!strcmp(a, "-mnaked-reg") || !strcmp(a, "--mnaked-reg"))
			cfg.naked_regs = true;
		if (!strncmp(a, "-I", 2) && a[2])
			args_push(&incdirs, a + 2);
		else if (!strcmp(a, "-I") && i + 1 < raw.n)
			args_push(&incdirs, raw.v[i + 1]);
		if (takes_separate_arg(a) && i + 1 < raw.n) {
			args_push(&pass, raw.v[++i]);
			if (!strcmp(a, "-msyntax") || !strcmp(a, "--msyntax"))
				cfg.intel_syntax = !strcmp(raw.v[i], "intel");
		}
	}
	if (ia64)
		here = false;   /* the host is an x86 as */
	if (!real)
		real = ia64 ? CONFIG_REAL_AS_IA64 : CONFIG_REAL_AS;
	pass.v[0] = (char *)real;
	if (!here && same_file(real, "/proc/self/exe")) {
		fprintf(stderr, "afterburn-as: the real assembler %s is afterburn-as itself "
			"(set AFTERBURN_REAL_AS to GNU as)\n", real);
		return 2;
	}
	if (cfg.code_bits == 0)
		cfg.code_bits = ia64 ? 64 : (sizeof(void *) == 8 ? 64 : 32);

	/* --version, --help: as prints and exits without reading input */
	if (info_only || off) {
		for (size_t i = 0; i < files.n; i++)
			args_push(&pass, files.v[i]);
		if (stdin_named)
			args_push(&pass, "-");
		if (here && hand_over(argc, argv, &pass))
			return RUN_HERE;
		return run_real_as(pass.v, NULL, 0);
	}

	/* The input: files in order (each introduced by a line marker so the
	 * real assembler's messages name it), or stdin.  A file is read
	 * straight into the input buffer, sized from fstat (no copies). */
	char *text = NULL;
	size_t len = 0, cap = 0;
	const char *first_name = files.n ? files.v[0] : "{standard input}";
	const char *save_dir = getenv("AFTERBURN_SAVE_DIR");
	if (save_dir && !*save_dir)
		save_dir = NULL;
	size_t nin = files.n ? files.n : 1;
	for (size_t k = 0; k < nin; k++) {
		const char *name = files.n ? files.v[k] : "{standard input}";
		int fd = files.n ? open(name, O_RDONLY) : 0;
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			/* let the real assembler report it exactly as it would */
			for (size_t i = 0; i < files.n; i++)
				args_push(&pass, files.v[i]);
			if (here && hand_over(argc, argv, &pass))
				return RUN_HERE;
			return run_real_as(pass.v, NULL, 0);
		}
		char mark[PATH_MAX + 16];
		size_t m = (size_t)snprintf(mark, sizeof(mark), "# 1 \"%s\"\n", name);
		size_t guess = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
		if (len + m + guess + 2 > cap) {
			cap = len + m + guess + 2 + (guess ? 0 : 1 << 20);
			text = realloc(text, cap);
			if (!text) {
				perror("afterburn-as");
				return 2;
			}
		}
		if (guess >= 65536)
			prefault(text + len, m + guess + 2);
		size_t start = len, at = start + m, n = 0;
		memcpy(text + start, mark, m);
		for (;;) {
			/* Always ask read() for at least one byte: a zero-byte
			 * read returns 0, which would pass for end of file. */
			if (at + n + 2 >= cap) {
				cap = 2 * cap;
				text = realloc(text, cap);
				if (!text) {
					perror("afterburn-as");
					return 2;
				}
			}
			ssize_t r = read(fd, text + at + n, cap - at - n - 2);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				fprintf(stderr, "afterburn-as: cannot read %s\n", name);
				return 1;
			}
			if (r == 0)
				break;
			n += (size_t)r;
		}
		if (fd != 0)
			close(fd);
		if (save_dir)
			save_input(save_dir, text + at, n);
		if (mentions_include(text + at, n)) {
			size_t en;
			text[at + n] = 0;
			char *e = expand_includes(text + at, n, name, &incdirs, 0, &en);
			if (at + en + 2 > cap) {
				cap = at + en + 2;
				text = realloc(text, cap);
				if (!text) {
					perror("afterburn-as");
					return 2;
				}
			}
			memcpy(text + at, e, en);
			free(e);
			n = en;
		}
		/* an empty stdin stays empty: `as </dev/null` probes */
		if (!n && !files.n)
			at = start;
		len = at + n;
		if (n && text[len - 1] != '\n')
			text[len++] = '\n';
		text[len] = 0;
	}
	if (!text) {
		text = calloc(1, 1);
		if (!text)
			return 2;
	}

	struct burn_input in = { .name = first_name, .text = text, .len = len };
	struct burn_stats stats;
	memset(&stats, 0, sizeof(stats));
	char *burnt = NULL;
	size_t burnt_len = 0;
	burn_frontend_fn *fe = x86_burn;
	if (ia64) {
#ifdef HAVE_IA64_BURN
		fe = ia64_burn;
#elif defined(AFTERBURN_IN_PROCESS)
		fprintf(stderr, "afterburn-as: this is GNU as for x86 with the x86 burner; "
			"burn IA-64 with the afterburn-as program\n");
		return 2;
#else
		fprintf(stderr, "afterburn-as: IA-64 front end not built "
			"(CONFIG_ARCH_IA64 and ia64/burn.c)\n");
		return 2;
#endif
	}
	/* The burnt text goes straight into the memory file the real
	 * assembler reads as stdin; into memory when it is also saved, when
	 * memfd is missing, or in process (the host as reads it from memory
	 * through stdin's FILE: no file, no system calls), where the x86
	 * front end hands its buffer over (no stream, no copy). */
	FILE *mem = NULL;
	int memfd = -1;
	if (fe == x86_burn && (save || here)) {
		cfg.output = &burnt;
		cfg.output_len = &burnt_len;
	} else {
		memfd = save || here ? -1 : memfd_create("afterburn-as", MFD_CLOEXEC);
		mem = memfd >= 0 ? fdopen(memfd, "w") : open_memstream(&burnt, &burnt_len);
		if (!mem) {
			perror("afterburn-as: open_memstream");
			return 2;
		}
	}
	int rc = fe(&in, mem, &cfg, &stats);
	if (mem && (memfd >= 0 ? fflush(mem) != 0 : fclose(mem) != 0)) {
		perror("afterburn-as");
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "afterburn-as: %s: not assembled: the burner could not handle the input\n",
			first_name);
		return 1;
	}
	if (save) {
		FILE *f = fopen(save, "w");
		if (!f || fwrite(burnt, 1, burnt_len, f) != burnt_len || fclose(f)) {
			fprintf(stderr, "afterburn-as: cannot write %s: %s\n", save, strerror(errno));
			return 2;
		}
	}
	if (print_stats) {
		unsigned long total = 0;
		for (int k = 0; k < BURN_MAX_KINDS; k++)
			if (stats.sites[k]) {
				fprintf(stderr, "afterburn-as: kind %d: %lu\n", k, stats.sites[k]);
				total += stats.sites[k];
			}
		fprintf(stderr, "afterburn-as: %lu sites, %lu outside executable sections\n",
			total, stats.outside_exec);
	}
	free(text);
	if (here) {
		/* gas reads `stdin` (a variable in glibc; as's own copy, which
		 * libc uses too) when no file is named; an empty input comes
		 * from /dev/null (fmemopen refuses size 0) */
		FILE *in = burnt_len ? fmemopen(burnt, burnt_len, "r") : fopen("/dev/null", "r");
		if (in && hand_over(argc, argv, &pass)) {
			stdin = in;
			return RUN_HERE;
		}
		if (in)
			fclose(in);
		/* the options do not fit argv: the program's way, below */
	}
	if (memfd >= 0) {
		/* the memory file becomes stdin; its stream and descriptor go */
		if (lseek(memfd, 0, SEEK_SET) != 0 || dup2(memfd, 0) != 0) {
			perror("afterburn-as: memfd");
			return 2;
		}
		fclose(mem);
		execv(pass.v[0], pass.v);
		fprintf(stderr, "afterburn-as: cannot run the real assembler %s: %s "
			"(set AFTERBURN_REAL_AS or CONFIG_REAL_AS)\n", pass.v[0], strerror(errno));
		return 127;
	}
	return run_real_as(pass.v, burnt, burnt_len);
}

#ifdef AFTERBURN_IN_PROCESS
/* glibc calls ELF constructors with main's arguments; this one runs before
 * the host as's main and either hands the burnt input over or ends the
 * process with the status the program would have. */
__attribute__((constructor)) static void afterburn_in_process(int argc, char **argv, char **envp)
{
	(void)envp;
	int rc = afterburn_as(argc, argv, true);
	if (rc != RUN_HERE)
		exit(rc);
}
#else
int main(int argc, char **argv)
{
	return afterburn_as(argc, argv, false);
}
#endif
