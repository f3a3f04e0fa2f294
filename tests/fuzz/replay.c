// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - run inputs of the fuzz target once and say what the
 * validator made of each: "FILE: accepted, N tracker pages, M preserved
 * pages" or "FILE: refused: REASON". Exit status 0.
 *
 *   replay FILE...
 */
#include "kho_fuzz.h"

int main(int argc, char **argv)
{
	struct kho_validate_result res;
	const char *why;
	static uint8_t buf[64 << 20];
	size_t n;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		memset(&res, 0, sizeof(res));
		why = kho_fuzz_one(buf, n, &res);
		if (why)
			printf("%s: refused: %s\n", argv[i], why);
		else
			printf("%s: accepted, %lu tracker pages, %lu preserved pages\n",
			       argv[i], res.nodes, res.pages);
	}
	return 0;
}
