// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the JSON writer behind khoctl's --json outputs: one object on
 * one line of stdout, for fleet tooling (jq, a rollout script). The
 * schemas (khoctl-status-v1, khoctl-sessions-v1, khoctl-timeline-v1,
 * khoctl-check-v1) are in the kernel's Documentation/kho/admin-guide.rst,
 * section "khoctl for fleet tooling".
 *
 * Conventions kept by every schema: physical addresses are strings
 * "0x..." and live update tokens decimal strings, since both may exceed
 * 2^53 (where JSON numbers stop being exact in most parsers); sizes and
 * counts are numbers; a value that is not known is null. Strings are
 * written as they are when they are valid UTF-8; other bytes become
 * \u00XX.
 */
#include <inttypes.h>
#include <string.h>

#include "khoctl.h"

#define JSON_DEPTH	16

static struct {
	unsigned int depth;
	bool first[JSON_DEPTH];
	bool after_key;
} jw;

/* the comma before a value or a key, when one is due */
static void sep(void)
{
	if (jw.after_key) {
		jw.after_key = false;
		return;
	}
	if (jw.depth && !jw.first[jw.depth - 1])
		putchar(',');
	if (jw.depth)
		jw.first[jw.depth - 1] = false;
}

/* The length of the UTF-8 sequence at @s (0: not valid UTF-8). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

static void put_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putchar('"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
			continue;
		}
		if (*s == '\n') {
			fputs("\\n", stdout);
			s++;
			continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
			continue;
		}
		n = utf8_len(s);
		if (!n) {
			printf("\\u%04x", *s++);
			continue;
		}
		fwrite(s, 1, n, stdout);
		s += n;
	}
	putchar('"');
}

/**
 * json_open() - start an object or an array
 * @c: '{' or '['
 */
void json_open(char c)
{
	sep();
	putchar(c);
	if (jw.depth < JSON_DEPTH)
		jw.first[jw.depth] = true;
	jw.depth++;
}

/**
 * json_close() - end the object or array json_open() started
 * @c: '}' or ']'
 *
 * The outermost close ends the line.
 */
void json_close(char c)
{
	putchar(c);
	jw.depth--;
	if (!jw.depth)
		putchar('\n');
}

/**
 * json_key() - the key of the next member of the current object
 * @k: the key, plain ASCII
 */
void json_key(const char *k)
{
	sep();
	put_string(k);
	putchar(':');
	jw.after_key = true;
}

/**
 * json_str() - a string value; NULL writes null
 * @s: the string
 */
void json_str(const char *s)
{
	sep();
	if (s)
		put_string(s);
	else
		fputs("null", stdout);
}

/**
 * json_u64() - an unsigned number
 * @v: the value
 */
void json_u64(uint64_t v)
{
	sep();
	printf("%" PRIu64, v);
}

/**
 * json_i64() - a number; a negative @v (unknown) writes null
 * @v: the value
 */
void json_i64(int64_t v)
{
	sep();
	if (v < 0)
		fputs("null", stdout);
	else
		printf("%" PRId64, v);
}

/**
 * json_double() - a number with 3 decimals; a negative @v writes null
 * @v: the value
 */
void json_double(double v)
{
	sep();
	if (v < 0)
		fputs("null", stdout);
	else
		printf("%.3f", v);
}

/**
 * json_bool() - true or false
 * @v: the value
 */
void json_bool(bool v)
{
	sep();
	fputs(v ? "true" : "false", stdout);
}

/**
 * json_hex() - an address, as the string "0x..."
 * @v: the value
 */
void json_hex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	json_str(b);
}

/**
 * json_dec() - a 64-bit token, as a decimal string
 * @v: the value
 */
void json_dec(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	json_str(b);
}

/**
 * json_schema() - open the top-level object and name its schema
 * @name: e.g. "khoctl-status-v1"
 */
void json_schema(const char *name)
{
	json_open('{');
	json_key("schema");
	json_str(name);
}
