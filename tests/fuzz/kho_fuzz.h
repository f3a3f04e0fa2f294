/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kho_fuzz.h - the fake physical memory shared by the fuzz target and
 * the seed builder.
 */
#ifndef KHO_FUZZ_H
#define KHO_FUZZ_H

#include "kho_shim.h"
#include "internal.h"

#define FAKE_BASE	0x100000ULL		/* "RAM" starts at 1 MiB */
#define FAKE_PAGES	64
#define FAKE_MAX_PFN	((FAKE_BASE >> PAGE_SHIFT) + FAKE_PAGES)
#define BITS_TO_LONGS_FUZZ(n)	(((n) + 63) / 64)

const char *kho_fuzz_one(const uint8_t *data, size_t size,
			 struct kho_validate_result *res);

#endif
