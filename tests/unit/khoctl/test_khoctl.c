// SPDX-License-Identifier: GPL-2.0
/*
 * test_khoctl.c - unit tests of khoctl's code, linked in directly (with
 * ASan and UBSan): the FDT to DTS printer on good, odd and corrupted
 * blobs, the status parser, command line building, and the kexec_load
 * path's bzImage parsing, segment placement in scratch, boot_params,
 * entry stub and memory map reading.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "kselftest.h"
#include "khoctl.h"

#define CHECK(cond)	check(cond, #cond, __LINE__)

static int failures;

/* Count a failed condition and say which, for the TAP line that follows */
static bool check(bool ok, const char *what, int line)
{
	if (!ok) {
		ksft_print_msg("line %d: %s\n", line, what);
		failures++;
	}
	return ok;
}

static void result(int before, const char *fmt)
{
	ksft_test_result(failures == before, "%s\n", fmt);
}

/* The printer's output as a string (free it) */
static char *print_to_string(const void *blob, size_t len, int *ret)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		ksft_exit_fail_msg("open_memstream: %s\n", strerror(errno));
	*ret = dts_print(f, blob, len, "test");
	fclose(f);
	return s;
}

static void *sample_tree(size_t *len)
{
	static const char list[] = "a\0bb";
	static const uint8_t cells[] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t bytes[] = { 1, 2, 3 };
	static const uint8_t blob[] = { 0, 0, 0, 0, 0, 0x2b, 0, 0,
					0, 0, 0, 0, 0, 0, 0x10, 0 };
	static const uint8_t notstr[] = { 'a', 'b', 0, 0 };
	static const uint8_t nul2[] = { 1, 0 };
	void *fdt = calloc(1, 4096);

	if (!fdt || fdt_create(fdt, 4096) ||
	    fdt_add_reservemap_entry(fdt, 0x10000000, 0x1000) ||
	    fdt_finish_reservemap(fdt) ||
	    fdt_begin_node(fdt, "") ||
	    fdt_property_string(fdt, "compatible", "linux-6.12,kho-v1") ||
	    fdt_property(fdt, "list", list, sizeof(list)) ||
	    fdt_property(fdt, "cells", cells, sizeof(cells)) ||
	    fdt_property(fdt, "bytes", bytes, sizeof(bytes)) ||
	    fdt_property(fdt, "empty", "", 0) ||
	    fdt_property_string(fdt, "esc", "q\"\\\t") ||
	    fdt_property(fdt, "notstr", notstr, sizeof(notstr)) ||
	    fdt_property(fdt, "nul2", nul2, sizeof(nul2)) ||
	    fdt_begin_node(fdt, "child@1") ||
	    fdt_property(fdt, "blob", blob, sizeof(blob)) ||
	    fdt_begin_node(fdt, "grandchild") ||
	    fdt_end_node(fdt) ||
	    fdt_end_node(fdt) ||
	    fdt_begin_node(fdt, "sibling") ||
	    fdt_end_node(fdt) ||
	    fdt_end_node(fdt) ||
	    fdt_finish(fdt))
		ksft_exit_fail_msg("building the sample tree failed\n");
	*len = fdt_totalsize(fdt);
	return fdt;
}

static void test_printer(void)
{
	int before = failures, ret;
	size_t len;
	void *fdt = sample_tree(&len);
	char *s = print_to_string(fdt, len, &ret);

	CHECK(ret == 0);
	CHECK(!strncmp(s, "/dts-v1/;\n", 10));
	CHECK(strstr(s, "/memreserve/ 0x0000000010000000 0x0000000000001000;\n"));
	CHECK(strstr(s, "\n/ {\n\tcompatible = \"linux-6.12,kho-v1\";\n"));
	CHECK(strstr(s, "\tlist = \"a\", \"bb\";\n"));
	CHECK(strstr(s, "\tcells = <0x1 0x2>;\n"));
	CHECK(strstr(s, "\tbytes = [01 02 03];\n"));
	CHECK(strstr(s, "\tempty;\n"));
	CHECK(strstr(s, "\tesc = \"q\\\"\\\\\\t\";\n"));
	CHECK(strstr(s, "\tnotstr = <0x61620000>;\n"));
	CHECK(strstr(s, "\tnul2 = [01 00];\n"));
	CHECK(strstr(s, "\n\n\tchild@1 {\n\t\tblob = <0x0 0x2b0000 0x0 0x1000> /* u64: 0x2b0000 0x1000 */;\n"));
	CHECK(strstr(s, "\n\n\t\tgrandchild {\n\t\t};\n\t};\n\n\tsibling {\n\t};\n};\n"));
	CHECK(!strstr(s, "warning"));
	free(s);
	result(before, "dts: strings, lists, cells, bytes, empty, escapes, nodes, memreserve");

	before = failures;
	CHECK(dts_is_fdt(fdt, len, NULL));
	CHECK(!dts_is_fdt(fdt, 0, NULL));
	CHECK(!dts_is_fdt(fdt, len - 1, NULL));
	CHECK(!dts_is_fdt("hello", 5, NULL));
	/* unaligned: the printer copies, libfdt needs 8-byte alignment */
	{
		char *u = malloc(len + 1);

		memcpy(u + 1, fdt, len);
		CHECK(dts_is_fdt(u + 1, len, NULL));
		s = print_to_string(u + 1, len, &ret);
		CHECK(ret == 0 && strstr(s, "\tcells = <0x1 0x2>;\n"));
		free(s);
		free(u);
	}
	result(before, "dts: FDT check, unaligned blob");

	before = failures;
	s = print_to_string("hello world\n", 12, &ret);
	CHECK(ret == 1);
	CHECK(strstr(s, "12 bytes, not a flattened device tree (no FDT magic)"));
	CHECK(strstr(s, "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a"));
	CHECK(strstr(s, "|hello world.|\n0000000c\n"));
	free(s);
	s = print_to_string("", 0, &ret);
	CHECK(ret == 1 && strstr(s, "0 bytes, not a flattened"));
	free(s);
	{
		uint8_t z[4096] = { 0 };

		s = print_to_string(z, sizeof(z), &ret);
		CHECK(ret == 1 && strstr(s, "\n*\n00001000\n"));
		free(s);
	}
	result(before, "dts: non-FDT blobs become a hex dump (repeats collapsed)");
	free(fdt);
}

/* Property and node names DTS cannot express are escaped and flagged */
static void test_odd_names(void)
{
	int before = failures, ret;
	void *fdt = calloc(1, 1024);
	char *s;

	if (fdt_create_empty_tree(fdt, 1024) ||
	    fdt_setprop_u32(fdt, 0, "bad name", 1) ||
	    fdt_add_subnode(fdt, 0, "n{") < 0)
		ksft_exit_fail_msg("building the odd tree failed\n");
	s = print_to_string(fdt, fdt_totalsize(fdt), &ret);
	CHECK(ret == 0);
	CHECK(strstr(s, "/* warning: some names are not valid DTS"));
	CHECK(strstr(s, "\tbad\\x20name = <0x1>;\n"));
	CHECK(strstr(s, "\tn\\x7b {\n"));
	free(s);
	free(fdt);
	result(before, "dts: names DTS cannot express are escaped and flagged");
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * Garbage must never crash the printer (ASan and UBSan watch): every
 * byte of a good tree changed in a few ways, every truncation, random
 * bytes behind a plausible header.
 */
static void test_fuzz(void)
{
	static const int deltas[] = { 0x01, 0x80, 0xff, 0x04, 0x40 };
	int before = failures, ret, n = 0, fdts = 0;
	size_t len, i, j;
	FILE *null = fopen("/dev/null", "w");
	uint8_t *fdt = sample_tree(&len), *m = malloc(len);

	for (i = 0; i < len; i++) {
		for (j = 0; j < ARRAY_SIZE(deltas); j++) {
			memcpy(m, fdt, len);
			m[i] ^= deltas[j];
			ret = dts_print(null, m, len, "mutant");
			CHECK(ret == 0 || ret == 1);
			CHECK((ret == 0) == dts_is_fdt(m, len, NULL));
			fdts += !ret;
			n++;
		}
		memcpy(m, fdt, len);
		m[i] = 0;
		dts_print(null, m, len, "mutant");
		ret = dts_print(null, fdt, i, "truncated");
		CHECK(ret == 1);
		n += 2;
	}
	/* every aligned word set to tags, sizes and extremes */
	for (i = 0; i + 4 <= len; i += 4) {
		const uint32_t words[] = { 0, 1, 2, 3, 4, 9, len - 4, len,
					   len + 4, 0x7fffffff, 0x80000000,
					   0xffffffff };

		for (j = 0; j < ARRAY_SIZE(words); j++) {
			memcpy(m, fdt, len);
			m[i] = words[j] >> 24;
			m[i + 1] = words[j] >> 16;
			m[i + 2] = words[j] >> 8;
			m[i + 3] = words[j];
			ret = dts_print(null, m, len, "mutant");
			CHECK((ret == 0) == dts_is_fdt(m, len, NULL));
			fdts += !ret;
			n++;
		}
	}
	for (i = 0; i < 3000; i++) {
		size_t l = 128 + rnd() % 600;
		uint8_t *g = malloc(l);

		for (j = 0; j < l; j++)
			g[j] = rnd();
		if (i & 1)
			memcpy(g, fdt, 40);	/* plausible header */
		if (i & 2) {
			/* header fields pointing inside the blob */
			fdt_set_totalsize(g, l);
			fdt_set_off_dt_struct(g, 56 + rnd() % 32);
			fdt_set_size_dt_struct(g, rnd() % (l - 96));
			fdt_set_off_dt_strings(g, l - 8 - rnd() % 32);
			fdt_set_size_dt_strings(g, rnd() % 8);
			fdt_set_off_mem_rsvmap(g, 40);
			memset(g + 40, 0, 16);
		}
		ret = dts_print(null, g, l, "random");
		CHECK(ret == 0 || ret == 1);
		n++;
		free(g);
	}
	fclose(null);
	free(m);
	free(fdt);
	ksft_print_msg("%d corrupted blobs printed, %d of them still FDTs\n",
		       n, fdts);
	result(before, "dts: corrupted and random blobs never crash the printer");
}

static void test_status(void)
{
	static const char text[] =
		"enabled: yes\n"
		"root: 0x00000000002ad000\n"
		"scratch_areas: 2\n"
		"scratch0: 0x3d800000 0x1000000\n"
		"scratch1: 0x39800000 0x4000000\n"
		"scratch2: 0x1 0x1\n"
		"incoming: refused\n"
		"incoming_reason: bad handover magic\n"
		"incoming_root: 0x0000000000123000\n"
		"incoming_preserved_pages: 16387\n"
		"incoming_tracker_pages: 23\n"
		"incoming_unclaimed_pages: 5\n"
		"debug_alloc_outside_scratch: 0\n"
		"segments_refused: 2\n";
	struct kho_status st;
	int before = failures;

	CHECK(!parse_status(text, &st));
	CHECK(st.enabled && st.root == 0x2ad000);
	CHECK(st.nr_scratch == 2);
	CHECK(st.scratch[0].addr == 0x3d800000 && st.scratch[0].size == 0x1000000);
	CHECK(st.scratch[1].addr == 0x39800000 && st.scratch[1].size == 0x4000000);
	CHECK(!strcmp(st.incoming, "refused"));
	CHECK(!strcmp(st.reason, "bad handover magic"));
	CHECK(st.in_root == 0x123000 && st.in_preserved == 16387);
	CHECK(st.in_tracker == 23 && st.in_unclaimed == 5);
	CHECK(st.alloc_outside == 0 && st.segments_refused == 2);
	CHECK(!parse_status("enabled: no\nroot: 0x0\nscratch_areas: 0\n", &st));
	CHECK(!st.enabled && !st.nr_scratch);
	CHECK(parse_status("hello\n", &st) == -1);
	CHECK(parse_status("", &st) == -1);
	result(before, "status: key: value lines parsed, extra scratch lines ignored");
}

static void test_names(void)
{
	int before = failures;
	char long_name[80];

	memset(long_name, 'a', sizeof(long_name));
	long_name[63] = 0;
	CHECK(valid_name("kho-test") && valid_name("a,b._+-9"));
	CHECK(valid_name(long_name));
	long_name[63] = 'a';
	long_name[64] = 0;
	CHECK(!valid_name(long_name));
	CHECK(!valid_name("") && !valid_name(".") && !valid_name(".."));
	CHECK(!valid_name("a/b") && !valid_name("a\nb") && !valid_name("a b"));
	CHECK(valid_name("...") && valid_name(".x"));
	result(before, "names: 1-63 of [A-Za-z0-9,._+-], not . or ..");
}

static void test_cmdline(void)
{
	int before = failures;
	char *c;

	c = build_cmdline("console=ttyS0 kho=on kho_root=0x1000 foo=\"a b\"  x\n",
			  "  rig.gen=2 ", 0x2ad000);
	CHECK(!strcmp(c, "console=ttyS0 kho=on foo=\"a b\" x rig.gen=2 kho_root=0x2ad000"));
	free(c);
	c = build_cmdline(NULL, "console=ttyS0", 0);
	CHECK(!strcmp(c, "console=ttyS0"));
	free(c);
	c = build_cmdline(NULL, NULL, 0);
	CHECK(!strcmp(c, ""));
	free(c);
	c = build_cmdline("kho_root=1 \"kho_root=2\"", NULL, 0x1000);
	CHECK(!strcmp(c, "\"kho_root=2\" kho_root=0x1000"));
	free(c);
	c = build_cmdline("console=ttyS0 kho_root=0x1 -- init args kho_root=0x5",
			  "kho=on -- more", 0x2000);
	CHECK(!strcmp(c, "console=ttyS0 kho=on kho_root=0x2000 -- more -- init args kho_root=0x5"));
	free(c);
	c = build_cmdline("a \"b -- c\" d", "e", 0x3000);
	CHECK(!strcmp(c, "a \"b -- c\" d e kho_root=0x3000"));
	free(c);
	result(before, "cmdline: reuse drops kho_root=, appends, adds kho_root= before --");
}

/* ---- kexec_load path ---- */

#define KALIGN		0x200000
#define INIT_SIZE	0x1800000
#define PAYLOAD		(3 * 4096 + 100)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A fake bzImage: 3 setup sectors + boot sector, then the payload */
static uint8_t *fake_bzimage(size_t *len, uint16_t xlf)
{
	size_t n = 4 * 512 + PAYLOAD, i;
	uint8_t *p = calloc(1, n);

	p[0x1f1] = 3;
	put16(p + 0x1fe, 0xaa55);
	p[0x200] = 0xeb;
	p[0x201] = 0x6a;		/* header ends at 0x26c */
	memcpy(p + 0x202, "HdrS", 4);
	put16(p + 0x206, 0x020f);
	p[0x211] = 1;			/* loadflags: LOADED_HIGH */
	put32(p + 0x22c, 0x7fffffff);
	put32(p + 0x230, KALIGN);
	p[0x234] = 1;
	put16(p + 0x236, xlf);
	put32(p + 0x238, 2047);
	put32(p + 0x258, 0x1000000);	/* pref_address */
	put32(p + 0x260, INIT_SIZE);
	for (i = 4 * 512; i < n; i++)
		p[i] = i;
	*len = n;
	return p;
}

static void test_bz_parse(void)
{
	struct bzimage bz;
	const char *err;
	int before = failures;
	size_t len;
	uint8_t *p = fake_bzimage(&len, 3);

	CHECK(!bz_parse(p, len, &bz, &err));
	CHECK(bz.setup_size == 2048 && bz.hdr_end == 0x26c);
	CHECK(bz.payload == p + 2048 && bz.payload_len == PAYLOAD);
	CHECK(bz.version == 0x020f && bz.xloadflags == 3);
	CHECK(bz.kernel_alignment == KALIGN && bz.relocatable == 1);
	CHECK(bz.init_size == INIT_SIZE && bz.cmdline_size == 2047);
	CHECK(bz.pref_address == 0x1000000);

	CHECK(bz_parse(p, 600, &bz, &err) && strstr(err, "too small"));
	CHECK(bz_parse(p, 2048, &bz, &err) && strstr(err, "truncated"));
	p[0x205] = 'X';
	CHECK(bz_parse(p, len, &bz, &err) && strstr(err, "not a bzImage"));
	p[0x205] = 'S';
	put16(p + 0x236, 2);
	CHECK(bz_parse(p, len, &bz, &err) && strstr(err, "XLF_KERNEL_64"));
	put16(p + 0x236, 3);
	put16(p + 0x206, 0x020b);
	CHECK(bz_parse(p, len, &bz, &err) && strstr(err, "2.12"));
	put16(p + 0x206, 0x020f);
	put32(p + 0x230, 0x300000);
	CHECK(bz_parse(p, len, &bz, &err) && strstr(err, "power of two"));
	put32(p + 0x230, KALIGN);
	p[0x201] = 0x10;
	CHECK(bz_parse(p, len, &bz, &err) && strstr(err, "header length"));
	p[0x201] = 0x6a;
	CHECK(!bz_parse(p, len, &bz, &err));
	free(p);
	result(before, "bzImage: setup header parsed, bad images refused");
}

/* Every segment page aligned, inside [lo, hi), in order, no overlaps */
static bool plan_sane(const struct bz_plan *pl, uint64_t lo, uint64_t hi)
{
	uint64_t prev = lo;
	unsigned int i;

	for (i = 0; i < pl->nr; i++) {
		const struct bz_segment *s = &pl->seg[i];

		if ((s->mem | s->memsz) & 4095 || s->mem < prev || !s->memsz ||
		    s->mem + s->memsz > hi)
			return false;
		prev = s->mem + s->memsz;
	}
	return true;
}

static void set_scratch(struct kho_status *st, unsigned int nr,
			const uint64_t *pairs)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->enabled = true;
	st->root = 0x2ad000;
	st->nr_scratch = nr;
	for (i = 0; i < nr; i++) {
		st->scratch[i].addr = pairs[2 * i];
		st->scratch[i].size = pairs[2 * i + 1];
	}
}

static void test_bz_plan(void)
{
	static const uint64_t vm[] = { 0x3d800000, 0x1000000,
				       0x39800000, 0x4000000 };
	static const uint64_t odd[] = { 0x39801000, 0x4000000 };
	static const uint64_t low[] = { 0x200000, 0x3000000 };
	static const uint64_t high[] = { 0x100000000ULL, 0x8000000 };
	struct kho_status st;
	struct bz_plan pl;
	struct bzimage bz;
	const char *err;
	char msg[512];
	int before = failures;
	size_t len;
	uint8_t *p = fake_bzimage(&len, 3);

	bz_parse(p, len, &bz, &err);
	set_scratch(&st, 2, vm);
	CHECK(!bz_plan(&bz, &st, 30 << 20, 100, &pl, msg, sizeof(msg)));
	CHECK(pl.area == 1 && pl.nr == 5);
	CHECK(plan_sane(&pl, 0x39800000, 0x3d800000));
	CHECK(pl.kernel == 0x39800000 && pl.seg[0].memsz == INIT_SIZE);
	CHECK(!strcmp(pl.seg[0].what, "kernel") && !strcmp(pl.seg[4].what, "entry stub"));
	CHECK(pl.initrd == pl.kernel + INIT_SIZE && pl.initrd_size == 30 << 20);
	CHECK(pl.seg[1].memsz == 30 << 20);
	CHECK(pl.boot_params == pl.initrd + (30 << 20));
	CHECK(pl.cmdline == pl.boot_params + 4096 && pl.seg[3].memsz == 4096);
	CHECK(pl.entry == pl.cmdline + 4096 && pl.end == pl.entry + 4096);
	result(before, "plan: largest scratch area, kernel aligned, segments in order inside it");

	before = failures;
	CHECK(!bz_plan(&bz, &st, 0, 5000, &pl, msg, sizeof(msg)));
	CHECK(pl.nr == 4 && pl.initrd == 0 && pl.seg[2].memsz == 8192);
	CHECK(plan_sane(&pl, 0x39800000, 0x3d800000));
	/* 24 MiB kernel + 40 MiB initrd + 3 pages do not fit in 64 MiB */
	CHECK(bz_plan(&bz, &st, 40 << 20, 100, &pl, msg, sizeof(msg)) &&
	      strstr(msg, "largest is 64.0 MiB at 0x39800000") &&
	      strstr(msg, "raise kho_scratch="));
	set_scratch(&st, 0, vm);
	CHECK(bz_plan(&bz, &st, 0, 100, &pl, msg, sizeof(msg)) &&
	      strstr(msg, "no KHO scratch areas"));
	set_scratch(&st, 1, odd);
	CHECK(!bz_plan(&bz, &st, 0, 100, &pl, msg, sizeof(msg)) &&
	      pl.kernel == 0x39a00000 && plan_sane(&pl, 0x39801000, 0x3d801000));
	/* below pref_address startup_64 would move itself: never load there */
	set_scratch(&st, 1, low);
	CHECK(!bz_plan(&bz, &st, 0, 100, &pl, msg, sizeof(msg)) &&
	      pl.kernel == 0x1000000 && plan_sane(&pl, 0x200000, 0x3200000));
	set_scratch(&st, 1, high);
	CHECK(!bz_plan(&bz, &st, 4096, 100, &pl, msg, sizeof(msg)) &&
	      pl.kernel == 0x100000000ULL);
	free(p);
	p = fake_bzimage(&len, 1);	/* not loadable above 4 GiB */
	bz_parse(p, len, &bz, &err);
	CHECK(bz_plan(&bz, &st, 4096, 100, &pl, msg, sizeof(msg)));
	free(p);
	result(before, "plan: no initrd, too small, none, unaligned, low and high areas");
}

static void test_boot_params(void)
{
	static const uint64_t high[] = { 0x100000000ULL, 0x8000000 };
	struct kho_status st;
	struct e820_map map = { .nr = 2 };
	struct bz_plan pl;
	struct bzimage bz;
	uint8_t bp[4096], stub[4096];
	const char *err;
	char msg[256];
	int before = failures;
	unsigned int i;
	size_t len;
	uint8_t *p = fake_bzimage(&len, 3);

	map.e[0] = (struct e820_entry){ 0, 0x9fc00, 1 };
	map.e[1] = (struct e820_entry){ 0x100000, 0x7fee0000, 3 };
	bz_parse(p, len, &bz, &err);
	set_scratch(&st, 1, high);
	CHECK(!bz_plan(&bz, &st, 12345, 100, &pl, msg, sizeof(msg)));
	memset(bp, 0xaa, sizeof(bp));
	bz_boot_params(bp, &bz, &pl, &map, 0xf5b20);

	CHECK(!memcmp(bp + 0x1f1, p + 0x1f1, 0x210 - 0x1f1));
	CHECK(!memcmp(bp + 0x211, p + 0x211, 0x218 - 0x211));
	CHECK(!memcmp(bp + 0x22c, p + 0x22c, 0x250 - 0x22c));
	CHECK(!memcmp(bp + 0x258, p + 0x258, 0x26c - 0x258));
	CHECK(bp[0x210] == 0xff);
	CHECK(get32(bp + 0x228) == (uint32_t)pl.cmdline);
	CHECK(get32(bp + 0x0c8) == pl.cmdline >> 32 && pl.cmdline >> 32 == 1);
	CHECK(get32(bp + 0x218) == (uint32_t)pl.initrd);
	CHECK(get32(bp + 0x0c0) == 1);
	CHECK(get32(bp + 0x21c) == 12345 && get32(bp + 0x0c4) == 0);
	CHECK(get64(bp + 0x070) == 0xf5b20);
	CHECK(bp[0x1e8] == 2);
	CHECK(get64(bp + 0x2d0) == 0 && get64(bp + 0x2d8) == 0x9fc00 &&
	      get32(bp + 0x2e0) == 1);
	CHECK(get64(bp + 0x2e4) == 0x100000 && get64(bp + 0x2ec) == 0x7fee0000 &&
	      get32(bp + 0x2f4) == 3);
	CHECK(bp[0x1ef] == 0);		/* sentinel stays clear */
	for (i = 0x26c; i < 0x2d0; i++)
		if (bp[i])
			break;
	CHECK(i == 0x2d0);
	for (i = 0x2f8; i < 4096; i++)
		if (bp[i])
			break;
	CHECK(i == 4096);
	result(before, "boot_params: header copy, loader, cmdline, initrd, e820, RSDP");

	before = failures;
	bz_stub(stub, 0x1122334455667788ULL, 0x100000200ULL);
	CHECK(stub[0] == 0xfa);
	CHECK(stub[1] == 0x48 && stub[2] == 0xbe &&
	      get64(stub + 3) == 0x1122334455667788ULL);
	CHECK(stub[11] == 0x48 && stub[12] == 0xb8 &&
	      get64(stub + 13) == 0x100000200ULL);
	CHECK(stub[21] == 0xff && stub[22] == 0xe0);
	CHECK(stub[23] == 0xf4 && stub[24] == 0xeb && stub[25] == 0xfd);
	for (i = 26; i < 4096; i++)
		if (stub[i])
			break;
	CHECK(i == 4096);
	result(before, "stub: cli; movabs boot_params, %rsi; movabs entry, %rax; jmp *%rax");
	free(p);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
}

static void memmap_entry(const char *top, const char *n, const char *start,
			 const char *end, const char *type)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/firmware/memmap/%s", top, n);
	mkdir(dir, 0755);
	write_text(dir, "start", start);
	write_text(dir, "end", end);
	write_text(dir, "type", type);
}

static void test_e820(void)
{
	char top[] = "/tmp/khoctl-test-XXXXXX", path[512], cmd[600];
	struct e820_map map;
	int before = failures;
	uint8_t bp[4096] = { 0 };
	FILE *f;

	if (!mkdtemp(top))
		ksft_exit_fail_msg("mkdtemp: %s\n", strerror(errno));
	CHECK(e820_read(top, &map) == -ENOENT);
	CHECK(rsdp_read(top) == 0);

	snprintf(path, sizeof(path), "%s/kernel", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/kernel/boot_params", top);
	mkdir(path, 0755);
	bp[0x1e8] = 1;
	bp[0x2d0 + 9] = 0x10;		/* size 0x1000 */
	bp[0x2d0 + 16] = 1;
	bp[0x70] = 0x20;
	bp[0x71] = 0x5b;
	bp[0x72] = 0x0f;
	snprintf(path, sizeof(path), "%s/kernel/boot_params/data", top);
	f = fopen(path, "w");
	if (!f || fwrite(bp, 1, sizeof(bp), f) != sizeof(bp) || fclose(f))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	CHECK(!e820_read(top, &map) && map.nr == 1 && map.e[0].addr == 0 &&
	      map.e[0].size == 0x1000 && map.e[0].type == 1 &&
	      strstr(map.source, "boot_params"));
	CHECK(rsdp_read(top) == 0xf5b20);

	snprintf(path, sizeof(path), "%s/firmware", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/firmware/memmap", top);
	mkdir(path, 0755);
	memmap_entry(top, "10", "0x100000\n", "0x7ffdffff\n", "System RAM\n");
	memmap_entry(top, "0", "0x0\n", "0x9fbff\n", "System RAM\n");
	memmap_entry(top, "2", "0x9fc00\n", "0x9ffff\n", "Reserved\n");
	memmap_entry(top, "3", "0x7ffe0000\n", "0x7fffffff\n", "ACPI Tables\n");
	memmap_entry(top, "4", "0xfeffc000\n", "0xfeffffff\n",
		     "ACPI Non-volatile Storage\n");
	memmap_entry(top, "5", "0xb0000000\n", "0xbfffffff\n", "Something\n");
	CHECK(!e820_read(top, &map) && map.nr == 6 &&
	      strstr(map.source, "firmware/memmap"));
	CHECK(map.e[0].addr == 0 && map.e[0].size == 0x9fc00 && map.e[0].type == 1);
	CHECK(map.e[1].addr == 0x9fc00 && map.e[1].type == 2);
	CHECK(map.e[2].addr == 0x100000 && map.e[2].size == 0x7fee0000 &&
	      map.e[2].type == 1);
	CHECK(map.e[3].type == 3 && map.e[4].type == 2 && map.e[5].type == 4);

	snprintf(path, sizeof(path), "%s/firmware/efi", top);
	mkdir(path, 0755);
	write_text(path, "systab", "ACPI=0xf5000\nSMBIOS=0x1\n");
	CHECK(rsdp_read(top) == 0xf5000);
	write_text(path, "systab", "MPS=0x3\nACPI=0xf5000\nACPI20=0x7fb7e014\n");
	CHECK(rsdp_read(top) == 0x7fb7e014);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd))
		ksft_print_msg("could not remove %s\n", top);
	result(before, "e820 and RSDP: firmware memmap sorted and typed, boot_params fallback, EFI systab");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(14);
	test_printer();
	test_odd_names();
	test_fuzz();
	test_status();
	test_names();
	test_cmdline();
	test_bz_parse();
	test_bz_plan();
	test_boot_params();
	test_e820();
	ksft_finished();
}
