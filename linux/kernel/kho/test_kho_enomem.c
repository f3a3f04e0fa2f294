// SPDX-License-Identifier: GPL-2.0
/*
 * test_kho_enomem.c - preserving under page allocation failures.
 */

/**
 * DOC: KHO out-of-memory test
 *
 * Reading ``/sys/kernel/debug/kho_test/enomem`` preserves blocks while
 * the page allocator fails every allocation of the reading task: the
 * real allocator, made to fail by the kernel's fault injection
 * (``CONFIG_FAIL_PAGE_ALLOC``). User space arms it first, in
 * ``/sys/kernel/debug/fail_page_alloc``: ``task-filter`` Y,
 * ``ignore-gfp-wait`` N, ``probability`` 100, ``times`` -1. This file sets
 * ``current->make_it_fail`` only around the preserve calls, so only the
 * tracker's own page allocations fail.
 *
 * Calls: a three-page run whose first page lands in an existing order-0
 * leaf (so it is set before the run's order-1 block needs a new page,
 * and must be rolled back), then one folio of each order from 1 to
 * MAX_PAGE_ORDER. Every call must return 0 or -ENOMEM, at least one must
 * return -ENOMEM, nothing of a failed call may stay preserved, and the
 * state tree and the set of preserved blocks must be as before the
 * failed calls. With the allocator working again every call is retried
 * and must succeed, then all is unpreserved and the state must be back
 * where it started. The read returns one ``key: value`` a line, ending
 * with ``result: pass`` or ``result: fail``.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

#define NR_CALLS	(MAX_PAGE_ORDER + 1)	/* the run, then orders 1.. */

struct snapshot {
	void *fdt;
	unsigned long blocks, pages, nodes;
	u64 sum;
};

static int snap_block(unsigned long pfn, unsigned int order, void *arg)
{
	struct snapshot *s = arg;

	s->blocks++;
	s->pages += 1UL << order;
	s->sum += (u64)pfn * 0x9e3779b97f4a7c15ULL ^ order;
	return 0;
}

static int snap_node(phys_addr_t phys, void *arg)
{
	((struct snapshot *)arg)->nodes++;
	return 0;
}

/* The state tree's bytes and the set of preserved blocks. */
static int snap_take(struct snapshot *s)
{
	const struct kho_tracker *t = kho_out_tracker();

	memset(s, 0, sizeof(*s));
	s->fdt = kmemdup(kho_out_fdt(), PAGE_SIZE, GFP_KERNEL);
	if (!s->fdt)
		return -ENOMEM;
	kho_tracker_walk(t, 0, snap_block, s);
	kho_tracker_walk_nodes(t, snap_node, s);
	return 0;
}

static bool snap_same(const struct snapshot *a, const struct snapshot *b)
{
	return !memcmp(a->fdt, b->fdt, PAGE_SIZE) && a->blocks == b->blocks &&
	       a->pages == b->pages && a->sum == b->sum;
}

struct calls {
	struct page *anchor;		/* order 2: page 0 anchors the leaf */
	struct folio *folio[NR_CALLS];	/* [o] for orders 1..MAX_PAGE_ORDER */
	int ret[NR_CALLS];
};

static int do_call(struct calls *c, unsigned int i, bool set)
{
	if (!i)
		return set ? kho_preserve_pages(c->anchor + 1, 3) :
			     kho_unpreserve_pages(c->anchor + 1, 3);
	if (!c->folio[i])
		return 0;
	return set ? kho_preserve_folio(c->folio[i]) :
		     kho_unpreserve_folio(c->folio[i]);
}

/* Is any page of call @i's memory preserved? */
static bool call_preserved(struct calls *c, unsigned int i)
{
	unsigned long pfn, n, k;

	if (!i) {
		pfn = page_to_pfn(c->anchor) + 1;
		n = 3;
	} else if (c->folio[i]) {
		pfn = folio_pfn(c->folio[i]);
		n = folio_nr_pages(c->folio[i]);
	} else {
		return false;
	}
	for (k = 0; k < n; k++)
		if (kho_preserved_order(pfn + k, NULL) >= 0)
			return true;
	return false;
}

static void set_make_it_fail(bool on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
#endif
}

/* The calls, with every page allocation of this task failing. */
static void failing_calls(struct calls *c)
{
	unsigned int i;

	set_make_it_fail(true);
	for (i = 0; i < NR_CALLS; i++)
		c->ret[i] = do_call(c, i, true);
	set_make_it_fail(false);
}

static void report(struct seq_file *m, struct calls *c)
{
	struct snapshot s0 = { }, s1 = { }, s2 = { };
	unsigned int i, nomem = 0, other = 0, leaked = 0, retry_bad = 0;
	bool tree_same = false, back = false, pass;

	if (snap_take(&s0) || kho_preserve_pages(c->anchor, 1)) {
		seq_puts(m, "result: fail (set-up)\n");
		goto out;
	}
	if (snap_take(&s1))
		goto unanchor;
	failing_calls(c);
	for (i = 0; i < NR_CALLS; i++) {
		if (c->ret[i] == -ENOMEM) {
			nomem++;
			leaked += call_preserved(c, i);
		} else if (c->ret[i]) {
			other++;
		}
	}
	/* undo the calls that worked: the rest must match the snapshot */
	for (i = 0; i < NR_CALLS; i++)
		if (!c->ret[i] && do_call(c, i, false))
			other++;
	if (!snap_take(&s2))
		tree_same = snap_same(&s1, &s2);
	kfree(s2.fdt);
	/* with the allocator back, every call works */
	for (i = 0; i < NR_CALLS; i++)
		if (do_call(c, i, true) || !call_preserved(c, i))
			retry_bad++;
	for (i = 0; i < NR_CALLS; i++)
		if (do_call(c, i, false))
			retry_bad++;
unanchor:
	if (kho_unpreserve_pages(c->anchor, 1))
		retry_bad++;
	s2.fdt = NULL;
	if (!snap_take(&s2))
		back = snap_same(&s0, &s2);
	pass = nomem && !other && !leaked && tree_same && !retry_bad && back;
	seq_printf(m, "calls: %u\nenomem: %u\nother_errors: %u\n", NR_CALLS,
		   nomem, other);
	seq_printf(m, "left_preserved_after_enomem: %u\n", leaked);
	seq_printf(m, "tree_unchanged: %s\n", tree_same ? "yes" : "no");
	seq_printf(m, "retry_failures: %u\n", retry_bad);
	seq_printf(m, "state_restored: %s\n", back ? "yes" : "no");
	seq_printf(m, "tracker_nodes: %lu\n", s0.nodes);
	seq_printf(m, "result: %s\n", pass ? "pass" : nomem ? "fail" :
		   "fail (no call needed a new tracker page)");
out:
	kfree(s0.fdt);
	kfree(s1.fdt);
	kfree(s2.fdt);
}

static int enomem_show(struct seq_file *m, void *v)
{
	struct calls *c;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC) || !kho_is_enabled()) {
		seq_puts(m, "result: skip (needs CONFIG_FAIL_PAGE_ALLOC and kho=on)\n");
		return 0;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->anchor = alloc_pages(GFP_KERNEL, 2);
	for (i = 1; i < NR_CALLS; i++)
		c->folio[i] = folio_alloc(GFP_KERNEL | __GFP_NORETRY |
					  __GFP_NOWARN, i);
	if (c->anchor)
		report(m, c);
	else
		seq_puts(m, "result: fail (no memory for the test)\n");
	for (i = 1; i < NR_CALLS; i++)
		if (c->folio[i])
			folio_put(c->folio[i]);
	if (c->anchor)
		__free_pages(c->anchor, 2);
	kfree(c);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(enomem);

/* After test_kho.c's late_initcall made the directory. */
static int __init test_kho_enomem_init(void)
{
	struct dentry *dir = debugfs_lookup("kho_test", NULL);

	if (!dir)
		return 0;
	debugfs_create_file("enomem", 0400, dir, NULL, &enomem_fops);
	dput(dir);
	return 0;
}
late_initcall_sync(test_kho_enomem_init);
