// SPDX-License-Identifier: GPL-2.0
/*
 * cmdline.c - read and rewrite "key=value" words of a kernel command line.
 *
 * Shared by /init (which passes a changed command line to the next
 * generation) and its unit test in tests/unit.
 */
#include <stdio.h>
#include <stdlib.h>
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
 * @value: the new value; NULL removes every "@key=" word instead
 *
 * Words are joined by single spaces; a trailing newline is dropped.
 *
 * Return: 0, or -1 when @out was too small (it is then truncated).
 */
int cmdline_set(char *out, size_t len, const char *cmdline, const char *key,
		const char *value)
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
			found = 1;
			p += w;
			if (!value)
				continue;
			n = snprintf(out + o, len - o, "%s%s=%s", o ? " " : "",
				     key, value);
			if (n < 0 || (size_t)n >= len - o)
				return -1;
			o += n;
			continue;
		}
		n = snprintf(out + o, len - o, "%s%.*s", o ? " " : "", (int)w,
			     p);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += n;
		p += w;
	}
	if (!found && value) {
		n = snprintf(out + o, len - o, "%s%s=%s", o ? " " : "", key,
			     value);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
	}
	return 0;
}

/**
 * kv_get() - value of a "key: value" line in @text
 * @text: lines of "key: value" (debugfs status files)
 * @key: the key
 * @buf: where the value is copied (truncated, NUL terminated)
 * @len: size of @buf
 *
 * Return: @buf, or NULL when no line starts with "@key:".
 */
const char *kv_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/**
 * kv_long() - numeric value of a "key: value" line
 * @text: the lines
 * @key: the key
 * @def: returned when the key is missing
 *
 * Return: the value (decimal or 0x hex), or @def.
 */
long kv_long(const char *text, const char *key, long def)
{
	char buf[32];

	if (!kv_get(text, key, buf, sizeof(buf)))
		return def;
	return strtol(buf, NULL, 0);
}

/**
 * kv_scratch() - scratch area @i of a kho/status text
 * @text: the lines of /sys/kernel/debug/kho/status
 * @i: the area's index ("scratchI: ADDRESS SIZE")
 * @addr: set to its physical start
 * @size: set to its size
 *
 * Return: 0, or -1 when there is no such area or it does not parse.
 */
int kv_scratch(const char *text, unsigned int i, unsigned long *addr,
	       unsigned long *size)
{
	char key[32], val[64];

	snprintf(key, sizeof(key), "scratch%u", i);
	if (!kv_get(text, key, val, sizeof(val)) ||
	    sscanf(val, "%lx %lx", addr, size) != 2)
		return -1;
	return 0;
}
