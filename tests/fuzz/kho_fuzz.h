/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kho_fuzz.h - the fake physical memory shared by the fuzz target and
 * the seed builder.
 */
#ifndef KHO_FUZZ_H
#define KHO_FUZZ_H

#include "kho_shim.h"
#include "internal.h"

/*
 * Synthetic inputs: "RAM" is [FAKE_BASE, FAKE_BASE + FAKE_RAM); its first
 * FAKE_PAGES pages come from the input, the rest reads as zeros. It is
 * large enough for blocks of every order a tracker can name (an order-11
 * block whose pfn wraps past 2^64 lands on 8 MiB), so inputs that only
 * go wrong on big blocks are reachable.
 */
#define FAKE_BASE	0x100000ULL		/* "RAM" starts at 1 MiB */
#define FAKE_PAGES	64
#define FAKE_RAM	(31ULL << 20)		/* up to 32 MiB */
#define FAKE_MAX_PFN	((FAKE_BASE + FAKE_RAM) >> PAGE_SHIFT)
#define BITS_TO_LONGS_FUZZ(n)	(((n) + 63) / 64)

const char *kho_fuzz_one(const uint8_t *data, size_t size,
			 struct kho_validate_result *res);

#endif
