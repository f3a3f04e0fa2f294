// SPDX-License-Identifier: GPL-2.0
/*
 * dts.c - print a flattened device tree (FDT) blob as DTS source text.
 *
 * The output is meant for people and for "dtc -I dts": it parses back to
 * the same tree. Property values are printed as strings when they are
 * printable NUL-terminated strings (string lists too), else as 32-bit
 * cells when their length is a multiple of 4, else as bytes. 64-bit
 * values stay as pairs of cells; the KHO properties that hold 64-bit
 * values get a comment that spells them out.
 *
 * Blobs come from debugfs and may be anything: the whole structure is
 * checked before a single line is printed, and a blob that is not a
 * well-formed FDT is shown as a hex dump instead.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "khoctl.h"

#define DTS_MAX_DEPTH	64

/* The properties of the KHO state tree that hold big-endian u64 values */
static const char * const u64_props[] = { "scratch", "blob", "tracker" };

/*
 * libfdt wants the blob 8-byte aligned; a copy is made when it is not.
 * Returns the blob to use and sets *tmp to what must be freed.
 */
static const void *aligned(const void *blob, size_t len, void **tmp)
{
	*tmp = NULL;
	if (!((uintptr_t)blob & 7))
		return blob;
	*tmp = xmalloc(len ? len : 1);
	memcpy(*tmp, blob, len);
	return *tmp;
}

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || (c && strchr(",._+*#?@-", c));
}

/* Can @name be printed as a DTS node or property name as it is? */
static bool name_ok(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!name_char_ok(*name))
			return false;
	return true;
}

/* Walk the structure block once: 0 if it is one well-formed tree */
static int check_struct(const void *fdt, bool *odd_names, const char **why)
{
	int off = 0, next, depth = 0, len;
	bool root = false;
	const char *name;
	uint32_t tag;

	*odd_names = false;
	for (;;) {
		tag = fdt_next_tag(fdt, off, &next);
		if (next < 0) {
			*why = fdt_strerror(next);
			return -1;
		}
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (!depth && root) {
				*why = "more than one root node";
				return -1;
			}
			root = true;
			if (++depth > DTS_MAX_DEPTH) {
				*why = "nodes nested too deep";
				return -1;
			}
			name = fdt_get_name(fdt, off, &len);
			if (!name) {
				*why = fdt_strerror(len);
				return -1;
			}
			if (depth > 1 && !name_ok(name))
				*odd_names = true;
			break;
		case FDT_END_NODE:
			if (!depth) {
				*why = "unbalanced end of node";
				return -1;
			}
			depth--;
			break;
		case FDT_PROP:
			if (!depth) {
				*why = "property outside a node";
				return -1;
			}
			name = NULL;
			if (!fdt_getprop_by_offset(fdt, off, &name, &len) ||
			    !name) {
				*why = fdt_strerror(len < 0 ? len :
						    -FDT_ERR_BADSTRUCTURE);
				return -1;
			}
			if (!name_ok(name))
				*odd_names = true;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			if (depth || !root) {
				*why = "structure ends inside a node";
				return -1;
			}
			return 0;
		default:
			*why = "unknown tag";
			return -1;
		}
		off = next;
	}
}

static int check_fdt(const void *fdt, size_t len, bool *odd_names,
		     const char **why)
{
	int err, n;

	*odd_names = false;
	if (len < sizeof(struct fdt_header)) {
		*why = len >= 4 && fdt_magic(fdt) == FDT_MAGIC ?
			"truncated header" : "no FDT magic";
		return -1;
	}
	err = fdt_check_header(fdt);
	if (err) {
		*why = fdt_strerror(err);
		return -1;
	}
	if (fdt_totalsize(fdt) > len) {
		*why = "totalsize beyond the end of the blob";
		return -1;
	}
	if (fdt_version(fdt) < 16) {
		*why = "FDT version older than 16";
		return -1;
	}
	/* the spec's alignment, which libfdt's loads rely on */
	if (fdt_off_mem_rsvmap(fdt) % 8 || fdt_off_dt_struct(fdt) % 4) {
		*why = "misaligned block";
		return -1;
	}
	n = fdt_num_mem_rsv(fdt);
	if (n < 0) {
		*why = fdt_strerror(n);
		return -1;
	}
	return check_struct(fdt, odd_names, why);
}

/**
 * dts_is_fdt() - is @blob one well-formed flattened device tree?
 * @blob: the bytes
 * @len: how many
 * @why: set to the reason when it is not (may be NULL)
 */
bool dts_is_fdt(const void *blob, size_t len, const char **why)
{
	const char *reason = NULL;
	const void *fdt;
	bool odd, ok;
	void *tmp;

	fdt = aligned(blob, len, &tmp);
	ok = !check_fdt(fdt, len, &odd, &reason);
	free(tmp);
	if (why)
		*why = reason;
	return ok;
}

static void indent(FILE *f, int depth)
{
	while (depth-- > 0)
		fputc('\t', f);
}

/* A name as it is when DTS allows it, else with \xNN escapes */
static void print_name(FILE *f, const char *name)
{
	if (!*name)
		fputs("\\(empty)", f);
	for (; *name; name++) {
		if (name_char_ok(*name))
			fputc(*name, f);
		else
			fprintf(f, "\\x%02x", (unsigned char)*name);
	}
}

static bool str_char_ok(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/* One or more non-empty printable strings, each NUL-terminated? */
static bool is_strings(const char *v, int len)
{
	const char *end = v + len;

	if (len <= 0 || v[len - 1])
		return false;
	while (v < end) {
		if (!*v)
			return false;	/* an empty string: not text */
		for (; *v; v++)
			if (!str_char_ok(*v))
				return false;
		v++;
	}
	return true;
}

static void print_strings(FILE *f, const char *v, int len)
{
	const char *end = v + len;

	while (v < end) {
		fputc('"', f);
		for (; *v; v++) {
			switch (*v) {
			case '"':
				fputs("\\\"", f);
				break;
			case '\\':
				fputs("\\\\", f);
				break;
			case '\t':
				fputs("\\t", f);
				break;
			case '\n':
				fputs("\\n", f);
				break;
			case '\r':
				fputs("\\r", f);
				break;
			default:
				fputc(*v, f);
			}
		}
		fputc('"', f);
		if (++v < end)
			fputs(", ", f);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void print_value(FILE *f, const char *name, const uint8_t *v, int len)
{
	unsigned int i;
	int j;

	if (is_strings((const char *)v, len)) {
		print_strings(f, (const char *)v, len);
		return;
	}
	if (len % 4) {
		fputc('[', f);
		for (j = 0; j < len; j++)
			fprintf(f, j ? " %02x" : "%02x", v[j]);
		fputc(']', f);
		return;
	}
	fputc('<', f);
	for (j = 0; j < len; j += 4)
		fprintf(f, j ? " 0x%x" : "0x%x", be32(v + j));
	fputc('>', f);
	if (len % 8)
		return;
	for (i = 0; i < ARRAY_SIZE(u64_props); i++) {
		if (strcmp(name, u64_props[i]))
			continue;
		fputs(" /* u64:", f);
		for (j = 0; j < len; j += 8)
			fprintf(f, " 0x%llx", (unsigned long long)be32(v + j) << 32 |
				be32(v + j + 4));
		fputs(" */", f);
	}
}

static void print_tree(FILE *f, const void *fdt)
{
	int off = 0, next, depth = 0, len, n, i;
	uint32_t tag, prev = FDT_BEGIN_NODE;
	const char *name;
	const void *val;
	uint64_t a, s;

	n = fdt_num_mem_rsv(fdt);
	for (i = 0; i < n; i++) {
		if (fdt_get_mem_rsv(fdt, i, &a, &s))
			break;
		fprintf(f, "/memreserve/ 0x%016llx 0x%016llx;\n",
			(unsigned long long)a, (unsigned long long)s);
	}
	if (n > 0)
		fputc('\n', f);

	for (;;) {
		tag = fdt_next_tag(fdt, off, &next);
		if (next < 0)
			return;		/* cannot happen: checked before */
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (depth && prev != FDT_BEGIN_NODE)
				fputc('\n', f);
			indent(f, depth);
			if (!depth) {
				fputc('/', f);
			} else {
				name = fdt_get_name(fdt, off, NULL);
				print_name(f, name ? name : "");
			}
			fputs(" {\n", f);
			depth++;
			break;
		case FDT_END_NODE:
			depth--;
			indent(f, depth);
			fputs("};\n", f);
			break;
		case FDT_PROP:
			name = NULL;
			val = fdt_getprop_by_offset(fdt, off, &name, &len);
			if (!val || !name)
				return;
			indent(f, depth);
			print_name(f, name);
			if (len > 0) {
				fputs(" = ", f);
				print_value(f, name, val, len);
			}
			fputs(";\n", f);
			break;
		case FDT_END:
			return;
		default:
			break;
		}
		if (tag != FDT_NOP)
			prev = tag;
		off = next;
	}
}

/**
 * hexdump() - classic 16 bytes a line dump, repeated lines collapsed
 * @f: where to
 * @buf: the bytes
 * @len: how many
 */
void hexdump(FILE *f, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	bool starred = false;
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		if (off && n == 16 && !memcmp(p + off, p + off - 16, 16)) {
			if (!starred)
				fputs("*\n", f);
			starred = true;
			continue;
		}
		starred = false;
		fprintf(f, "%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				fputc(' ', f);
			if (i < n)
				fprintf(f, " %02x", p[off + i]);
			else
				fputs("   ", f);
		}
		fputs("  |", f);
		for (i = 0; i < n; i++)
			fputc(isprint(p[off + i]) ? p[off + i] : '.', f);
		fputs("|\n", f);
	}
	if (len)
		fprintf(f, "%08zx\n", len);
}

/**
 * dts_print() - print a blob as DTS, or as a hex dump if it is no FDT
 * @f: where to
 * @blob: the bytes
 * @len: how many
 * @what: what the blob is, for the comment line (may be NULL)
 *
 * Return: 0 if printed as DTS, 1 if it was not an FDT and was dumped.
 */
int dts_print(FILE *f, const void *blob, size_t len, const char *what)
{
	const char *why = NULL;
	const void *fdt;
	bool odd;
	void *tmp;
	int ret = 0;

	fdt = aligned(blob, len, &tmp);
	if (check_fdt(fdt, len, &odd, &why)) {
		fprintf(f, "/* %s: %zu bytes, not a flattened device tree (%s); hex dump: */\n",
			what ? what : "blob", len, why);
		hexdump(f, blob, len);
		ret = 1;
		goto out;
	}
	fputs("/dts-v1/;\n", f);
	fprintf(f, "/* %s: FDT version %u, %u of %zu bytes used */\n",
		what ? what : "blob", fdt_version(fdt), fdt_totalsize(fdt), len);
	if (odd)
		fputs("/* warning: some names are not valid DTS, shown with \\x escapes */\n",
		      f);
	fputc('\n', f);
	print_tree(f, fdt);
out:
	free(tmp);
	return ret;
}
