// SPDX-License-Identifier: GPL-2.0
/*
 * kho_test.c - KUnit tests of the KHO tracker and state tree.
 */

/**
 * DOC: KHO unit tests
 *
 * The same file runs as KUnit inside the VM kernel and, through the shim
 * in tests/unit, as a user-space program under ASan and UBSan. The
 * tracker tests use private trackers over made-up pfns (the tracker never
 * touches the memory it describes); the API tests use real folios.
 */

#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/libfdt.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "internal.h"

#define NR_ORDERS 11

struct blk {
	unsigned long pfn;
	unsigned int order;
};

/* The reference model: a sorted array of blocks. */
struct model {
	struct blk *b;
	unsigned int n, cap;
};

static bool model_overlaps(const struct model *m, unsigned long pfn,
			   unsigned int order, int *exact)
{
	unsigned long end = pfn + (1UL << order);
	unsigned int i;

	*exact = -1;
	for (i = 0; i < m->n; i++) {
		unsigned long s = m->b[i].pfn, e = s + (1UL << m->b[i].order);

		if (s < end && pfn < e) {
			if (s == pfn && m->b[i].order == order)
				*exact = i;
			return true;
		}
	}
	return false;
}

static void model_add(struct model *m, unsigned long pfn, unsigned int order)
{
	unsigned int i = m->n;

	while (i && m->b[i - 1].pfn > pfn) {
		m->b[i] = m->b[i - 1];
		i--;
	}
	m->b[i].pfn = pfn;
	m->b[i].order = order;
	m->n++;
}

static void model_del(struct model *m, unsigned int i)
{
	memmove(&m->b[i], &m->b[i + 1], (m->n - i - 1) * sizeof(m->b[0]));
	m->n--;
}

struct walk_cmp {
	const struct model *m;
	unsigned int i;
	bool bad;
};

static int walk_cmp_fn(unsigned long pfn, unsigned int order, void *arg)
{
	struct walk_cmp *w = arg;

	if (w->i >= w->m->n || w->m->b[w->i].pfn != pfn ||
	    w->m->b[w->i].order != order)
		w->bad = true;
	w->i++;
	return 0;
}

static bool walk_matches(const struct kho_tracker *t, const struct model *m)
{
	struct walk_cmp w = { .m = m };

	kho_tracker_walk(t, 0, walk_cmp_fn, &w);
	return !w.bad && w.i == m->n;
}

static int count_fn(unsigned long pfn, unsigned int order, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static int count_nodes_fn(phys_addr_t phys, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static unsigned long count_blocks(const struct kho_tracker *t)
{
	unsigned long n = 0;

	kho_tracker_walk(t, 0, count_fn, &n);
	return n;
}

static unsigned long count_nodes(const struct kho_tracker *t)
{
	unsigned long n = 0;

	kho_tracker_walk_nodes(t, count_nodes_fn, &n);
	return n;
}

/* Random preserve/unpreserve checked against the sorted-array model. */
static void kho_test_tracker_random(struct kunit *test)
{
	const unsigned int steps = 1500, cap = 256;
	struct rnd_state rnd;
	struct kho_tracker t;
	struct model m = { .cap = cap };
	unsigned int step;

	m.b = kunit_kcalloc(test, cap + 1, sizeof(*m.b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.b);
	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	prandom_seed_state(&rnd, 20261122);

	for (step = 0; step < steps; step++) {
		u32 r = prandom_u32_state(&rnd);
		unsigned int order = r % NR_ORDERS;
		unsigned long pfn;
		int exact, err;

		/* Low memory mostly, some blocks near the top of 52 bits. */
		if (r & 0x100000)
			pfn = prandom_u32_state(&rnd) & ((1UL << 22) - 1);
		else
			pfn = (1UL << KHO_PFN_BITS) - (1UL << 22) +
			      (prandom_u32_state(&rnd) & ((1UL << 22) - 1));
		pfn &= ~((1UL << order) - 1);

		if ((r & 0x200000) && m.n) {
			unsigned int i = prandom_u32_state(&rnd) % m.n;

			err = kho_tracker_clear(&t, m.b[i].pfn, m.b[i].order);
			KUNIT_EXPECT_EQ(test, err, 0);
			model_del(&m, i);
		} else if (model_overlaps(&m, pfn, order, &exact)) {
			/* the same block, or one of another order over it */
			KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, pfn, order),
					-EEXIST);
			/* A block that was never set cannot be cleared. */
			if (exact < 0)
				KUNIT_EXPECT_EQ(test,
						kho_tracker_clear(&t, pfn, order),
						-ENOENT);
		} else if (m.n < cap) {
			err = kho_tracker_set(&t, pfn, order);
			KUNIT_EXPECT_EQ(test, err, 0);
			if (!err)
				model_add(&m, pfn, order);
		}
		if (!walk_matches(&t, &m)) {
			KUNIT_FAIL(test, "walk differs from model at step %u",
				   step);
			break;
		}
	}
	kho_tracker_destroy(&t);
}

/* Every order: set, look up from inside the block, clear. */
static void kho_test_tracker_orders(struct kunit *test)
{
	struct kho_tracker t;
	unsigned int o;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	for (o = 0; o < NR_ORDERS; o++) {
		unsigned long pfn = (7UL << 20) + (3UL << o), start = 0;

		pfn &= ~((1UL << o) - 1);
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, pfn, o), 0);
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, pfn, &start), (int)o);
		KUNIT_EXPECT_EQ(test, start, pfn);
		KUNIT_EXPECT_EQ(test,
				kho_tracker_lookup(&t, pfn + (1UL << o) - 1,
						   &start),
				(int)o);
		KUNIT_EXPECT_EQ(test, start, pfn);
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, pfn + (1UL << o),
							 NULL), -ENOENT);
		KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, pfn, o), 0);
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, pfn, NULL), -ENOENT);
	}
	KUNIT_EXPECT_EQ(test, count_blocks(&t), 0UL);
	kho_tracker_destroy(&t);
}

/* First and last bit of a leaf, leaf neighbours, top of the pfn space. */
static void kho_test_tracker_boundaries(struct kunit *test)
{
	const unsigned long top = (1UL << KHO_PFN_BITS) - 1;
	unsigned long pfns[] = { 0, KHO_LEAF_BITS - 1, KHO_LEAF_BITS,
				 KHO_LEAF_BITS * KHO_SLOTS - 1,
				 KHO_LEAF_BITS * KHO_SLOTS, top };
	struct model m = { .cap = ARRAY_SIZE(pfns) };
	struct blk b[ARRAY_SIZE(pfns) + 1];
	struct kho_tracker t;
	unsigned int i;

	m.b = b;
	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, pfns[i], 0), 0);
		model_add(&m, pfns[i], 0);
		KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));
	}
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, pfns[i], NULL), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, 1, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, top + 1, 0), -ERANGE);
	/* the top order-10 block holds the order-0 block at top: refused */
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, top + 1 - 1024, 10), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, top + 1 - 2048, 10), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, top + 1 - 2048, 10), 0);
	KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));
	kho_tracker_destroy(&t);
}

/* Errors leave the set of preserved blocks unchanged. */
static void kho_test_tracker_errors(struct kunit *test)
{
	struct blk b[2] = { { 64, 3 }, { 4096, 0 } };
	struct model m = { .b = b, .n = 2, .cap = 2 };
	struct kho_tracker t;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 64, 3), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 4096, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 64, 3), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 64, 2), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 64, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 128, 3), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 65, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 0, NR_ORDERS), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 1UL << 60, 0), -ERANGE);
	KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));
	kho_tracker_destroy(&t);
}

/*
 * A block overlapping one of another order is refused, whichever came
 * first and wherever it sits in the other: the next kernel would refuse
 * the whole handover for it.
 */
static void kho_test_tracker_overlap(struct kunit *test)
{
	const unsigned long base = 1UL << 20;
	struct blk b[1] = { { base, 5 } };
	struct model m = { .b = b, .n = 1, .cap = 1 };
	struct kho_tracker t;
	unsigned int o;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base, 5), 0);
	/* smaller blocks at its first, a middle and its last page */
	for (o = 0; o < 5; o++) {
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base, o), -EEXIST);
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base + 16, o), -EEXIST);
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base + 32 - (1UL << o),
						      o), -EEXIST);
	}
	/* larger blocks containing it */
	for (o = 6; o < NR_ORDERS; o++)
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base, o), -EEXIST);
	/* its neighbours are free */
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base + 32, 5), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, base + 32, 5), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base - 1, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, base - 1, 0), 0);
	KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));

	/* the other way round: a small block first, then one over it */
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, base, 5), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base + 1023, 0), 0);
	for (o = 1; o < NR_ORDERS; o++)
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, base + 1024 - (1UL << o),
						      o), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, base + 1023, 0), 0);
	KUNIT_EXPECT_EQ(test, count_blocks(&t), 0UL);
	kho_tracker_destroy(&t);
}

/* Nodes are whole pages and the tree only grows as tall as needed. */
static void kho_test_tracker_nodes(struct kunit *test)
{
	struct kho_tracker t;
	unsigned long n;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	KUNIT_EXPECT_EQ(test, count_nodes(&t), 1UL);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 5, 0), 0);
	/* root + one table + one leaf */
	KUNIT_EXPECT_EQ(test, count_nodes(&t), 3UL);
	KUNIT_EXPECT_EQ(test, t.root->top[0] & KHO_HEIGHT_MASK, 1ULL);
	/* 64 GiB up: the order-0 tree grows to height 2 */
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 1UL << 24, 0), 0);
	KUNIT_EXPECT_EQ(test, t.root->top[0] & KHO_HEIGHT_MASK, 2ULL);
	n = count_nodes(&t);
	/* root, new top, old top, new table, two leaves */
	KUNIT_EXPECT_EQ(test, n, 6UL);
	KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, 5, NULL), 0);
	KUNIT_EXPECT_EQ(test, count_blocks(&t), 2UL);
	kho_tracker_destroy(&t);
}

/* Runs for bitmap-mode deserialisation: containing block, then runs. */
static void kho_test_tracker_next_block(struct kunit *test)
{
	struct kho_tracker t;
	unsigned long end = 0;
	int pass;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 0, &end), ULONG_MAX);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 10, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 11, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 12, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 14, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 16, 2), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 20, 2), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, KHO_LEAF_BITS - 1, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, KHO_LEAF_BITS, 0), 0);

	for (pass = 0; pass < 2; pass++) {
		/* the second pass with the hints of a received tracker */
		if (pass)
			kho_tracker_set_hints(&t);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 0, &end), 10UL);
		KUNIT_EXPECT_EQ(test, end, 13UL);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 11, &end), 11UL);
		KUNIT_EXPECT_EQ(test, end, 13UL);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 13, &end), 14UL);
		KUNIT_EXPECT_EQ(test, end, 15UL);
		/* an order-2 run; a pfn inside a block finds that block */
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 15, &end), 16UL);
		KUNIT_EXPECT_EQ(test, end, 24UL);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 18, &end), 16UL);
		/* a run stops at the end of its leaf */
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, 24, &end),
				KHO_LEAF_BITS - 1);
		KUNIT_EXPECT_EQ(test, end, KHO_LEAF_BITS);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, KHO_LEAF_BITS, &end),
				KHO_LEAF_BITS);
		KUNIT_EXPECT_EQ(test, end, KHO_LEAF_BITS + 1);
		KUNIT_EXPECT_EQ(test, kho_tracker_next_block(&t, KHO_LEAF_BITS + 1,
							     &end), ULONG_MAX);
	}
	kho_tracker_destroy(&t);
}

/*
 * Out of memory: a preserve that needs new nodes fails with -ENOMEM and
 * leaves the preserved set as it was; the next try succeeds. Allocation
 * failures are injected by the user-space build (shim_alloc_fail_after).
 */
static void kho_test_tracker_nomem(struct kunit *test)
{
#ifdef KHO_SHIM_H
	struct blk b[1] = { { 5, 0 } };
	struct model m = { .b = b, .n = 1, .cap = 1 };
	unsigned long pfns[] = { 1UL << 15, 1UL << 30, 64 };
	unsigned int orders[] = { 0, 0, 6 };
	struct kho_tracker t;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 5, 0), 0);
	/* a new leaf, a taller tree, a new order: no node can be had */
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		shim_alloc_fail_after = 0;
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, pfns[i], orders[i]),
				-ENOMEM);
		shim_alloc_fail_after = -1;
		KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, pfns[i], NULL),
				-ENOENT);
	}
	/* the tree grows, then the next node fails: still nothing set */
	shim_alloc_fail_after = 1;
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 1UL << 30, 0), -ENOMEM);
	shim_alloc_fail_after = -1;
	KUNIT_EXPECT_TRUE(test, walk_matches(&t, &m));
	/* with memory back, the same preserves work */
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, pfns[i], orders[i]), 0);
	KUNIT_EXPECT_EQ(test, count_blocks(&t), 4UL);
	kho_tracker_destroy(&t);
#else
	/* in the VM kernel, kho_test/enomem uses fail_page_alloc instead */
	kunit_skip(test, "allocation failures are injected in the user-space build");
#endif
}

struct par_ctx {
	struct kho_tracker *t;
	struct kho_tree *tree;
	unsigned int nthreads;
	unsigned long per_thread;
	bool clear;
	atomic_t errors;
	atomic_t running;
	struct completion done;
};

/*
 * Thread @idx handles pfns idx, idx + nthreads, ...: every thread hits
 * the same leaves and races to install the same nodes.
 */
static int par_tracker_fn(void *arg, unsigned int idx)
{
	struct par_ctx *c = arg;
	unsigned long i;

	for (i = 0; i < c->per_thread; i++) {
		unsigned long pfn = (i * c->nthreads + idx) * 97;
		int err = c->clear ? kho_tracker_clear(c->t, pfn, 0) :
				     kho_tracker_set(c->t, pfn, 0);

		if (err)
			atomic_inc(&c->errors);
	}
	return 0;
}

static int par_tree_fn(void *arg, unsigned int idx)
{
	struct par_ctx *c = arg;
	char name[32];
	unsigned long i;

	for (i = 0; i < c->per_thread; i++) {
		snprintf(name, sizeof(name), "client-%u-%lu", idx, i % 8);
		if (c->clear) {
			if (kho_tree_remove(c->tree, name))
				atomic_inc(&c->errors);
			continue;
		}
		/* add, remove, add: only the last add stays */
		if (kho_tree_add(c->tree, name, 0x1000 * (i + 1), i + 1) ||
		    kho_tree_remove(c->tree, name) ||
		    kho_tree_add(c->tree, name, 0x1000 * (i + 1), i + 1))
			atomic_inc(&c->errors);
		if (i >= 8 - 1 && i < c->per_thread - 1) {
			snprintf(name, sizeof(name), "client-%u-%lu", idx,
				 (i + 1) % 8);
			if (kho_tree_remove(c->tree, name))
				atomic_inc(&c->errors);
		}
	}
	return 0;
}

struct par_thread {
	struct par_ctx *c;
	unsigned int idx;
	int (*fn)(void *arg, unsigned int idx);
};

static int par_thread_fn(void *arg)
{
	struct par_thread *pt = arg;

	pt->fn(pt->c, pt->idx);
	if (atomic_dec_and_test(&pt->c->running))
		complete(&pt->c->done);
	return 0;
}

/* Run @fn on @c->nthreads threads, one per CPU when possible, and wait. */
static void run_parallel(struct kunit *test, struct par_ctx *c,
			 int (*fn)(void *arg, unsigned int idx))
{
	struct par_thread *pt;
	unsigned int i;

	pt = kunit_kcalloc(test, c->nthreads, sizeof(*pt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pt);
	init_completion(&c->done);
	atomic_set(&c->running, c->nthreads);
	for (i = 0; i < c->nthreads; i++) {
		struct task_struct *tsk;

		pt[i].c = c;
		pt[i].idx = i;
		pt[i].fn = fn;
		tsk = kthread_create(par_thread_fn, &pt[i], "kho_test/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
		kthread_bind(tsk, i % num_online_cpus());
		wake_up_process(tsk);
	}
	wait_for_completion(&c->done);
}

/* Preserve and unpreserve from all CPUs at once. */
static void kho_test_tracker_concurrent(struct kunit *test)
{
	struct kho_tracker t;
	struct par_ctx c = { .t = &t, .per_thread = 20000 };
	unsigned long i, n, expect;

	c.nthreads = max(2U, num_online_cpus()) * 2;
	expect = c.per_thread * c.nthreads;
	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, NR_ORDERS), 0);
	run_parallel(test, &c, par_tracker_fn);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.errors), 0);
	n = count_blocks(&t);
	KUNIT_EXPECT_EQ(test, n, expect);
	for (i = 0; i < expect; i += 997)
		KUNIT_EXPECT_EQ(test, kho_tracker_lookup(&t, i * 97, NULL), 0);
	/* Racing installs left no orphan: nodes = root + tables + leaves. */
	KUNIT_EXPECT_EQ(test, count_nodes(&t),
			1UL + 1 + DIV_ROUND_UP((expect - 1) * 97 + 1,
					       KHO_LEAF_BITS));
	c.clear = true;
	run_parallel(test, &c, par_tracker_fn);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.errors), 0);
	KUNIT_EXPECT_EQ(test, count_blocks(&t), 0UL);
	kho_tracker_destroy(&t);
}

/* The state tree: layout, add, lookup, remove, errors. */
static void kho_test_tree_basic(struct kunit *test)
{
	struct kho_tree tree;
	phys_addr_t mem = 0, phys = 0;
	u32 ps = PAGE_SIZE;
	u64 size = 0;

	KUNIT_ASSERT_EQ(test, kho_tree_init(&tree, 0x12345000), 0);
	KUNIT_EXPECT_EQ(test, fdt_check_full(tree.fdt, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, fdt_totalsize(tree.fdt), (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kho_fdt_check_root(tree.fdt, PAGE_SIZE, &mem), 0);
	KUNIT_EXPECT_EQ(test, mem, (phys_addr_t)0x12345000);

	/* the writer's page size: another one, a bad length, none (4K) */
	KUNIT_EXPECT_EQ(test, fdt_setprop_inplace_u32(tree.fdt, 0,
						      KHO_PAGE_SIZE_PROP,
						      PAGE_SIZE * 4), 0);
	KUNIT_EXPECT_EQ(test, kho_fdt_check_root(tree.fdt, PAGE_SIZE, &mem),
			-EXDEV);
	KUNIT_EXPECT_EQ(test, fdt_setprop_u64(tree.fdt, 0, KHO_PAGE_SIZE_PROP,
					      PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, kho_fdt_check_root(tree.fdt, PAGE_SIZE, &mem),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, fdt_delprop(tree.fdt, 0, KHO_PAGE_SIZE_PROP), 0);
	KUNIT_EXPECT_EQ(test, kho_fdt_check_root(tree.fdt, PAGE_SIZE, &mem),
			ps == KHO_PAGE_SIZE_OLD ? 0 : -EXDEV);
	KUNIT_EXPECT_EQ(test, fdt_setprop_u32(tree.fdt, 0, KHO_PAGE_SIZE_PROP,
					      PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, kho_fdt_check_root(tree.fdt, PAGE_SIZE, &mem), 0);

	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "memfd", 0x7000, 4096), 0);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "memfd", 0x8000, 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "a/b", 0x8000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "", 0x8000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "..", 0x8000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, KHO_MEM_NODE, 0x8000, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "zero", 0x8000, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test,
			kho_tree_add(&tree,
				     "a234567890123456789012345678901234567890123456789012345678901234",
				     0x8000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_fdt_get_subtree(tree.fdt, "memfd", &phys,
						  &size), 0);
	KUNIT_EXPECT_EQ(test, phys, (phys_addr_t)0x7000);
	KUNIT_EXPECT_EQ(test, size, 4096ULL);
	KUNIT_EXPECT_EQ(test, kho_fdt_get_subtree(tree.fdt, "nope", &phys,
						  &size), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_tree_remove(&tree, "memfd"), 0);
	KUNIT_EXPECT_EQ(test, kho_tree_remove(&tree, "memfd"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_fdt_get_subtree(tree.fdt, "memfd", &phys,
						  &size), -ENOENT);
	KUNIT_EXPECT_EQ(test, fdt_check_full(tree.fdt, PAGE_SIZE), 0);
	kho_tree_destroy(&tree);
}

/* A full page refuses more clients cleanly and takes them after removal. */
static void kho_test_tree_full(struct kunit *test)
{
	struct kho_tree tree;
	unsigned int n = 0;
	char name[32];
	int err;

	KUNIT_ASSERT_EQ(test, kho_tree_init(&tree, 0x1000), 0);
	for (;;) {
		snprintf(name, sizeof(name), "client-number-%u", n);
		err = kho_tree_add(&tree, name, 0x1000, 1);
		if (err)
			break;
		n++;
	}
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	KUNIT_EXPECT_GT(test, n, 30U);
	KUNIT_EXPECT_EQ(test, fdt_check_full(tree.fdt, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, fdt_totalsize(tree.fdt), (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kho_tree_remove(&tree, "client-number-0"), 0);
	KUNIT_EXPECT_EQ(test, kho_tree_add(&tree, "client-number-0", 0x2000, 2),
			0);
	KUNIT_EXPECT_EQ(test, fdt_check_full(tree.fdt, PAGE_SIZE), 0);
	kho_tree_destroy(&tree);
}

/* Clients add and remove from all CPUs; the page stays a valid FDT. */
static void kho_test_tree_concurrent(struct kunit *test)
{
	struct kho_tree tree;
	struct par_ctx c = { .tree = &tree, .per_thread = 200 };
	phys_addr_t phys;
	unsigned int i, found = 0;
	char name[32];
	u64 size;

	c.nthreads = max(2U, num_online_cpus()) * 2;
	KUNIT_ASSERT_EQ(test, kho_tree_init(&tree, 0x1000), 0);
	run_parallel(test, &c, par_tree_fn);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.errors), 0);
	KUNIT_EXPECT_EQ(test, fdt_check_full(tree.fdt, PAGE_SIZE), 0);
	for (i = 0; i < c.nthreads; i++) {
		unsigned long last = c.per_thread - 1;

		snprintf(name, sizeof(name), "client-%u-%lu", i, last % 8);
		if (!kho_fdt_get_subtree(tree.fdt, name, &phys, &size) &&
		    phys == 0x1000 * (last + 1) && size == last + 1)
			found++;
	}
	KUNIT_EXPECT_EQ(test, found, c.nthreads);
	kho_tree_destroy(&tree);
}

static struct kunit_case kho_tracker_cases[] = {
	KUNIT_CASE(kho_test_tracker_random),
	KUNIT_CASE(kho_test_tracker_orders),
	KUNIT_CASE(kho_test_tracker_boundaries),
	KUNIT_CASE(kho_test_tracker_errors),
	KUNIT_CASE(kho_test_tracker_overlap),
	KUNIT_CASE(kho_test_tracker_nodes),
	KUNIT_CASE(kho_test_tracker_next_block),
	KUNIT_CASE(kho_test_tracker_nomem),
	KUNIT_CASE(kho_test_tracker_concurrent),
	{}
};

static struct kunit_suite kho_tracker_suite = {
	.name = "kho_tracker",
	.test_cases = kho_tracker_cases,
};

static struct kunit_case kho_tree_cases[] = {
	KUNIT_CASE(kho_test_tree_basic),
	KUNIT_CASE(kho_test_tree_full),
	KUNIT_CASE(kho_test_tree_concurrent),
	{}
};

static struct kunit_suite kho_tree_suite = {
	.name = "kho_state_tree",
	.test_cases = kho_tree_cases,
};

kunit_test_suites(&kho_tracker_suite, &kho_tree_suite);
