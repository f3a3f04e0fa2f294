// SPDX-License-Identifier: GPL-2.0
/*
 * cmdline.c - read and rewrite "key=value" words of a kernel command line.
 *
 * Shared by /init (which passes a changed command line to the next
 * generation) and its unit test in tests/unit.
 */
#include <stdio.h>
#include <string.h>

#include "rig.h"

/**
 * cmdline_get() - value of the first "@key=" word of @cmdline
 * @cmdline: the command line, words separated by spaces or newlines
 * @key: the key, without '='
 * @buf: where the value is copied (truncated to fit, NUL terminated)
 * @len: size of @buf, at least 1
 *
 * Return: @buf, or NULL when no word starts with "@key=".
 */
const char *cmdline_get(const char *cmdline, const char *key, char *buf,
			size_t len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\n')
			p++;
		n = strcspn(p, " \n");
		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;

			n -= klen + 1;
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p += n;
	}
	return NULL;
}

/**
 * cmdline_set() - copy @cmdline to @out with "@key=" set to @value
 * @out: output buffer
 * @len: size of @out
 * @cmdline: input command line
 * @key: key to set; every "@key=" word is replaced, and one is appended
 *	 if there was none
 * @value: the new value
 *
 * Words are joined by single spaces; a trailing newline is dropped.
 *
 * Return: 0, or -1 when @out was too small (it is then truncated).
 */
int cmdline_set(char *out, size_t len, const char *cmdline, const char *key,
		long value)
{
	size_t klen = strlen(key), o = 0;
	const char *p = cmdline;
	int found = 0, n;

	out[0] = '\0';
	while (*p) {
		size_t w;

		while (*p == ' ' || *p == '\n')
			p++;
		w = strcspn(p, " \n");
		if (!w)
			break;
		if (w > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			n = snprintf(out + o, len - o, "%s%s=%ld", o ? " " : "",
				     key, value);
			found = 1;
		} else {
			n = snprintf(out + o, len - o, "%s%.*s", o ? " " : "",
				     (int)w, p);
		}
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += n;
		p += w;
	}
	if (!found) {
		n = snprintf(out + o, len - o, "%s%s=%ld", o ? " " : "", key,
			     value);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
	}
	return 0;
}
