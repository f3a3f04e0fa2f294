// SPDX-License-Identifier: GPL-2.0
/*
 * lu_replay.c - run inputs of the live update fuzz target once and say
 * what the next kernel made of each: "FILE: whole: ..." when every
 * session, file and folio came back, else "FILE: partial (REASON): ...".
 * Exit status 0.
 *
 *   lu_replay FILE...
 */
#include "lu_fuzz.h"

int main(int argc, char **argv)
{
	static uint8_t buf[4 << 20];
	struct lu_fuzz_result res;
	const char *why;
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
		why = lu_fuzz_one(buf, n, &res);
		printf("%s: %s%s%s: records %s, %u sessions, %u files, %u memfds, %lu folios (%lu pages), %lu of %lu blocks unclaimed, %lu errors\n",
		       argv[i], why ? "partial (" : "whole", why ? why : "",
		       why ? ")" : "", res.status, res.sessions, res.files,
		       res.memfds, res.folios, res.pages, res.unclaimed,
		       res.blocks, res.errors);
	}
	return 0;
}
