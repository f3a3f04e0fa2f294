// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_handover.c - libFuzzer target: arbitrary handovers through the
 * incoming kernel's validator; see input.c for the input formats.
 */
#include "kho_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kho_validate_result res;

	kho_fuzz_one(data, size, &res);
	return 0;
}
