// SPDX-License-Identifier: GPL-2.0
/*
 * test_cmdline.c - unit tests of the rig's command line helpers, the code
 * that carries the generation number from one kexec to the next.
 */
#include <string.h>

#include "kselftest.h"
#include "rig.h"

static void test_get(void)
{
	const char *cl = "console=ttyS0 rig.gen=2 rig.gens=3\n";
	char buf[16];

	ksft_test_result(cmdline_get(cl, "rig.gen", buf, sizeof(buf)) &&
			 !strcmp(buf, "2"), "get: key among others\n");
	ksft_test_result(cmdline_get(cl, "rig.gens", buf, sizeof(buf)) &&
			 !strcmp(buf, "3"), "get: last key, newline ends it\n");
	ksft_test_result(!cmdline_get(cl, "rig", buf, sizeof(buf)),
			 "get: a prefix of a key does not match\n");
	ksft_test_result(!cmdline_get("xrig.gen=1", "rig.gen", buf, sizeof(buf)),
			 "get: a key inside a word does not match\n");
	ksft_test_result(cmdline_get("a=0123456789abcdef", "a", buf, 4) &&
			 !strcmp(buf, "012"), "get: value truncated to buffer\n");
}

static void test_set(void)
{
	char out[64];

	ksft_test_result(!cmdline_set(out, sizeof(out),
				      "console=ttyS0 rig.gen=2  rig.gens=3\n",
				      "rig.gen", "3") &&
			 !strcmp(out, "console=ttyS0 rig.gen=3 rig.gens=3"),
			 "set: replaces the value, keeps other words\n");
	ksft_test_result(!cmdline_set(out, sizeof(out), "quiet", "rig.gen", "1") &&
			 !strcmp(out, "quiet rig.gen=1"),
			 "set: appends a missing key\n");
	ksft_test_result(cmdline_set(out, 8, "console=ttyS0", "rig.gen", "1") == -1,
			 "set: too small a buffer is an error\n");
	ksft_test_result(!cmdline_set(out, sizeof(out), "a kho=on b", "kho", NULL) &&
			 !strcmp(out, "a b"), "set: NULL removes the key\n");
}

static void test_kv(void)
{
	const char *t = "enabled: yes\nincoming: refused\ncount: 42\n";
	char buf[16];

	ksft_test_result(kv_get(t, "incoming", buf, sizeof(buf)) &&
			 !strcmp(buf, "refused"), "kv: value of a key\n");
	ksft_test_result(kv_long(t, "count", -1) == 42 &&
			 kv_long(t, "nope", -1) == -1, "kv: numbers, default\n");
	ksft_test_result(!kv_get(t, "able", buf, sizeof(buf)),
			 "kv: a key must match a whole line start\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(12);
	test_get();
	test_set();
	test_kv();
	ksft_finished();
}
