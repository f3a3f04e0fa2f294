// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_lu.c - libFuzzer target: arbitrary live update records through
 * the next kernel's session and memfd parsers; see lu_fuzz.h for the
 * input format and lu_input.c for what is checked.
 */
#include "lu_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lu_fuzz_result res;

	lu_fuzz_one(data, size, &res);
	return 0;
}
