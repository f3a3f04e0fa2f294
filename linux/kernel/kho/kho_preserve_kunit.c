// SPDX-License-Identifier: GPL-2.0
/*
 * kho_preserve_kunit.c - KUnit tests of the preserve API in the running
 * kernel: what the next kernel would refuse is refused at preserve time.
 */

/**
 * DOC: KHO preserve API KUnit tests
 *
 * Unlike the tracker and state tree tests, which also build in user
 * space, these call the kernel's own kho_preserve_pages() and
 * kho_preserve_folio() on real memory, so they need KHO on (``kho=on``;
 * without it every case is skipped). Each refused call must leave
 * nothing preserved:
 *
 * - a page in scratch: ``-EADDRNOTAVAIL``;
 * - a run across the first hole in System RAM: ``-EFAULT``;
 * - a page inside a preserved order-2 folio, and an order-2 block over a
 *   preserved page: ``-EEXIST``;
 * - an ordinary page: accepted, and given back by kho_unpreserve_pages().
 */

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>

#include "internal.h"

static int kho_preserve_init(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is off (kho=on)");
	return 0;
}

static void kho_test_preserve_scratch(struct kunit *test)
{
	unsigned long pfn;

	if (!kho_nr_scratch)
		kunit_skip(test, "no scratch area");
	pfn = PHYS_PFN(kho_scratch[kho_nr_scratch - 1].addr);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(pfn_to_page(pfn), 1),
			-EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn, NULL), -ENOENT);
}

/* The first gap between two System RAM ranges, as [last RAM pfn, next]. */
struct ram_gap {
	resource_size_t prev_end;
	unsigned long pfn, nr;
};

static int ram_gap_fn(struct resource *res, void *arg)
{
	struct ram_gap *g = arg;

	if (g->prev_end && res->start > g->prev_end + 1 && !g->nr) {
		g->pfn = PHYS_PFN(g->prev_end);
		g->nr = PHYS_PFN(res->start) - g->pfn + 1;
	}
	g->prev_end = res->end;
	return 0;
}

static void kho_test_preserve_hole(struct kunit *test)
{
	struct ram_gap g = { };
	unsigned long i;

	walk_system_ram_res(0, ULLONG_MAX, &g, ram_gap_fn);
	if (!g.nr || !pfn_valid(g.pfn))
		kunit_skip(test, "no hole in System RAM");
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(pfn_to_page(g.pfn), g.nr),
			-EFAULT);
	for (i = 0; i < g.nr; i++)
		KUNIT_EXPECT_EQ(test, kho_preserved_order(g.pfn + i, NULL),
				-ENOENT);
}

static void kho_test_preserve_overlap(struct kunit *test)
{
	struct folio *f = folio_alloc(GFP_KERNEL, 2);
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, f);
	pfn = folio_pfn(f);
	if (kho_preserve_folio(f)) {
		folio_put(f);
		kunit_skip(test, "folio not preservable (in scratch?)");
	}
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(f, 1), 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn + 1, NULL), 2);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(f), 0);

	KUNIT_ASSERT_EQ(test, kho_preserve_pages(folio_page(f, 3), 1), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(f, 0), 4), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn + 3, NULL), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(folio_page(f, 3), 1), 0);
	folio_put(f);
}

static void kho_test_preserve_ok(struct kunit *test)
{
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pfn = page_to_pfn(p);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(p, 1), 0);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn, NULL), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(p, 1), 0);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(pfn, NULL), -ENOENT);
	__free_page(p);
}

static struct kunit_case kho_preserve_cases[] = {
	KUNIT_CASE(kho_test_preserve_scratch),
	KUNIT_CASE(kho_test_preserve_hole),
	KUNIT_CASE(kho_test_preserve_overlap),
	KUNIT_CASE(kho_test_preserve_ok),
	{}
};

static struct kunit_suite kho_preserve_suite = {
	.name = "kho_preserve",
	.init = kho_preserve_init,
	.test_cases = kho_preserve_cases,
};

kunit_test_suite(kho_preserve_suite);
