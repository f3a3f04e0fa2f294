// SPDX-License-Identifier: GPL-2.0
/*
 * tracker.c - which memory is preserved across kexec, kept as page tables
 * of bitmaps that are themselves the handover format.
 */

/**
 * DOC: KHO preservation tracker
 *
 * The tracker records every preserved block of memory: a naturally aligned
 * run of 2^order pages, order 0 to MAX_PAGE_ORDER. It is a set of radix
 * trees, one per order, shaped like page tables. Every node is one 4 KiB
 * page:
 *
 * - a *leaf* is a bitmap of 32768 bits; bit ``n`` of leaf ``L`` of the
 *   order-``o`` tree stands for the block starting at pfn
 *   ``(L * 32768 + n) << o``. An order-0 leaf covers 128 MiB.
 * - a *table* holds 512 little-endian u64 slots, each 0 or the physical
 *   address of a child node (a table one level down, or a leaf at level 1).
 *
 * The *root* page (&struct kho_mem_root) holds, per order, the physical
 * address of that order's top table ORed with the tree's height (number of
 * table levels). A tree starts with height 1 (one table, 64 GiB of
 * order-0 blocks) and grows by putting a new table on top whose slot 0 is
 * the old top, so a machine with 16 GiB pays for one table per order in
 * use, and 52-bit physical addresses need at most height 3.
 *
 * Nodes are allocated the first time a preserve needs them and installed
 * with cmpxchg(), bits are set and cleared with atomic bitops, so preserve
 * and unpreserve run on many CPUs at once without a lock. Nodes are never
 * freed while the tracker lives; an empty leaf costs one page.
 *
 * Because nothing but these pages describes the preserved memory, handing
 * it to the next kernel means publishing the root's physical address. At
 * kexec time nothing is copied, converted or finalised, whatever the
 * amount preserved.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>

#include "internal.h"

#define KHO_NONE ULONG_MAX

static inline void *node_va(u64 entry)
{
	return phys_to_virt(entry & ~KHO_HEIGHT_MASK);
}

static inline unsigned int entry_height(u64 entry)
{
	return entry & KHO_HEIGHT_MASK;
}

/* Height needed so that leaf index @leaf is covered by the tree. */
static inline unsigned int height_for(unsigned long leaf)
{
	unsigned int h = 1;

	while (h < KHO_MAX_HEIGHT && (leaf >> (KHO_SLOTS_SHIFT * h)))
		h++;
	return h;
}

static void *alloc_node(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL);
}

static void free_node(void *node)
{
	free_page((unsigned long)node);
}

/*
 * Make the tree of @order tall enough for leaf index @leaf and return its
 * root entry, or 0 on allocation failure.
 */
static u64 grow(struct kho_tracker *t, unsigned int order, unsigned long leaf)
{
	unsigned int need = height_for(leaf);
	u64 *topp = &t->root->top[order];
	u64 old = READ_ONCE(*topp);

	while (!old || entry_height(old) < need) {
		u64 *table = alloc_node();
		unsigned int h;
		u64 new, cur;

		if (!table)
			return 0;
		if (old) {
			table[0] = old & ~KHO_HEIGHT_MASK;
			h = entry_height(old) + 1;
		} else {
			h = need;
		}
		new = virt_to_phys(table) | h;
		cur = cmpxchg(topp, old, new);
		if (cur != old)
			free_node(table);
		else
			cur = new;
		old = cur;
	}
	return old;
}

/*
 * Find the leaf holding leaf index @leaf of the @order tree without
 * allocating: the hot path of every preserve, unpreserve and lookup.
 */
static __always_inline unsigned long *find_leaf(const struct kho_tracker *t,
						unsigned int order,
						unsigned long leaf)
{
	u64 entry = READ_ONCE(t->root->top[order]);
	unsigned int level = entry_height(entry);
	u64 *table = node_va(entry);

	if (!entry || (leaf >> (KHO_SLOTS_SHIFT * level)))
		return NULL;
	for (; level; level--) {
		u64 child = READ_ONCE(table[(leaf >> (KHO_SLOTS_SHIFT *
						      (level - 1))) &
					    (KHO_SLOTS - 1)]);

		if (!child)
			return NULL;
		table = phys_to_virt(child);
	}
	return (unsigned long *)table;
}

/*
 * Slow path of kho_tracker_set(): grow the tree and allocate the missing
 * nodes down to the leaf for leaf index @leaf. NULL when out of memory.
 */
static noinline unsigned long *alloc_leaf(struct kho_tracker *t,
					  unsigned int order,
					  unsigned long leaf)
{
	u64 entry = READ_ONCE(t->root->top[order]);
	unsigned int level;
	u64 *table;

	if (!entry || entry_height(entry) < height_for(leaf)) {
		entry = grow(t, order, leaf);
		if (!entry)
			return NULL;
	}
	table = node_va(entry);
	for (level = entry_height(entry); level; level--) {
		unsigned long slot = (leaf >> (KHO_SLOTS_SHIFT * (level - 1))) &
				     (KHO_SLOTS - 1);
		u64 child = READ_ONCE(table[slot]);

		if (!child) {
			void *node = alloc_node();
			u64 cur;

			if (!node)
				return NULL;
			child = virt_to_phys(node);
			cur = cmpxchg(&table[slot], 0, child);
			if (cur) {
				free_node(node);
				child = cur;
			}
		}
		table = phys_to_virt(child);
	}
	return (unsigned long *)table;
}

static inline int check_block(const struct kho_tracker *t,
			      unsigned long pfn, unsigned int order)
{
	if (unlikely(order >= t->nr_orders))
		return -EINVAL;
	if (pfn & ((1UL << order) - 1))
		return -EINVAL;
	if (pfn >= t->max_pfn || t->max_pfn - pfn < (1UL << order))
		return -ERANGE;
	return 0;
}

/*
 * Whether a block of another order overlaps the block @b of @order: a
 * larger block containing it, or a smaller one inside it. Only orders
 * that ever held a block are looked at, so a tracker holding one order
 * (the common case: order-0 pages) pays one load.
 */
static bool overlaps_other(const struct kho_tracker *t, unsigned long b,
			   unsigned int order)
{
	unsigned long others = READ_ONCE(t->used) & ~BIT(order);
	unsigned int o;

	for_each_set_bit(o, &others, KHO_MAX_ORDERS) {
		unsigned long first, last, *leaf;

		if (o > order) {
			first = b >> (o - order);
			last = first;
		} else {
			/* 2^(order - o) bits, all in one leaf: blocks are aligned */
			first = b << (order - o);
			last = first + (1UL << (order - o)) - 1;
		}
		leaf = find_leaf(t, o, first >> KHO_LEAF_BITS_SHIFT);
		if (leaf && find_next_bit(leaf, (last & (KHO_LEAF_BITS - 1)) + 1,
					  first & (KHO_LEAF_BITS - 1)) <=
			    (last & (KHO_LEAF_BITS - 1)))
			return true;
	}
	return false;
}

/**
 * kho_tracker_init() - create an empty tracker
 * @t: the tracker to set up
 * @nr_orders: number of orders it accepts (1 .. %KHO_MAX_ORDERS)
 *
 * Allocates the root page. No other node exists until a block is set.
 *
 * Return: 0, -EINVAL for a bad @nr_orders, or -ENOMEM.
 */
int kho_tracker_init(struct kho_tracker *t, unsigned int nr_orders)
{
	if (!nr_orders || nr_orders > KHO_MAX_ORDERS)
		return -EINVAL;
	t->root = alloc_node();
	if (!t->root)
		return -ENOMEM;
	t->root->magic = KHO_MEM_MAGIC;
	t->root->version = KHO_MEM_VERSION;
	t->root->nr_orders = nr_orders;
	t->root->page_shift = KHO_NODE_SHIFT;
	t->nr_orders = nr_orders;
	t->max_pfn = 1UL << KHO_PFN_BITS;
	t->used = 0;
	t->hints = false;
	return 0;
}

/**
 * kho_tracker_attach() - use a tracker that already exists in memory
 * @t: the tracker to set up
 * @root_phys: physical address of its root page
 *
 * Used by the incoming kernel on the tracker handed over by the previous
 * one. Checks the root page's header and heights only; the caller
 * validates the rest before it trusts any bit.
 *
 * Return: 0 or -EINVAL.
 */
int kho_tracker_attach(struct kho_tracker *t, phys_addr_t root_phys)
{
	struct kho_mem_root *root;
	unsigned int o;

	if (!root_phys || (root_phys & (KHO_NODE_SIZE - 1)))
		return -EINVAL;
	root = phys_to_virt(root_phys);
	if (root->magic != KHO_MEM_MAGIC || root->version != KHO_MEM_VERSION ||
	    root->page_shift != KHO_NODE_SHIFT || !root->nr_orders ||
	    root->nr_orders > KHO_MAX_ORDERS)
		return -EINVAL;
	for (o = 0; o < KHO_MAX_ORDERS; o++) {
		u64 e = root->top[o];

		if (!e)
			continue;
		if (o >= root->nr_orders || !entry_height(e) ||
		    entry_height(e) > KHO_MAX_HEIGHT)
			return -EINVAL;
	}
	t->root = root;
	t->nr_orders = root->nr_orders;
	t->max_pfn = 1UL << KHO_PFN_BITS;
	t->used = 0;
	for (o = 0; o < t->nr_orders; o++)
		if (root->top[o])
			t->used |= BIT(o);
	t->hints = false;
	return 0;
}

/**
 * kho_tracker_root_phys() - physical address of the tracker's root page
 * @t: the tracker
 *
 * This one address is all the next kernel needs to find every preserved
 * block.
 *
 * Return: the address.
 */
phys_addr_t kho_tracker_root_phys(const struct kho_tracker *t)
{
	return virt_to_phys(t->root);
}

/**
 * kho_tracker_set() - record a block as preserved
 * @t: the tracker
 * @pfn: first pfn of the block, aligned to 2^@order
 * @order: the block's order
 *
 * Safe against concurrent set and clear on any block. A block that
 * overlaps a block of another order is refused, so the tracker never
 * describes a page twice (the next kernel would refuse the whole
 * handover). The bit is set first and the other orders checked after,
 * both with full barriers: of two overlapping blocks set at once, at
 * least one sees the other and is refused (both may be).
 *
 * Return: 0; -EEXIST if the block or one overlapping it is already set,
 * or being set concurrently; -EINVAL for a misaligned
 * block or an order the tracker does not take; -ERANGE beyond its pfn
 * range; -ENOMEM when a node could not be allocated. On error the set of
 * preserved blocks is unchanged.
 */
int kho_tracker_set(struct kho_tracker *t, unsigned long pfn,
		    unsigned int order)
{
	unsigned long b = pfn >> order;
	unsigned long *leaf;
	int err;

	err = check_block(t, pfn, order);
	if (err)
		return err;
	leaf = find_leaf(t, order, b >> KHO_LEAF_BITS_SHIFT);
	if (unlikely(!leaf)) {
		leaf = alloc_leaf(t, order, b >> KHO_LEAF_BITS_SHIFT);
		if (!leaf)
			return -ENOMEM;
	}
	/* before the block's bit, so whoever sees the bit sees the order */
	if (unlikely(!(READ_ONCE(t->used) & BIT(order))))
		set_bit(order, &t->used);
	if (test_and_set_bit(b & (KHO_LEAF_BITS - 1), leaf))
		return -EEXIST;
	if (unlikely(overlaps_other(t, b, order))) {
		clear_bit(b & (KHO_LEAF_BITS - 1), leaf);
		return -EEXIST;
	}
	return 0;
}

/**
 * kho_tracker_clear() - forget a preserved block
 * @t: the tracker
 * @pfn: first pfn of the block
 * @order: the order it was set with
 *
 * Return: 0; -ENOENT if no block of that order starts at @pfn; -EINVAL or
 * -ERANGE as for kho_tracker_set(). On error nothing changes.
 */
int kho_tracker_clear(struct kho_tracker *t, unsigned long pfn,
		      unsigned int order)
{
	unsigned long b = pfn >> order;
	unsigned long *leaf;
	int err;

	err = check_block(t, pfn, order);
	if (err)
		return err;
	leaf = find_leaf(t, order, b >> KHO_LEAF_BITS_SHIFT);
	if (!leaf || !test_and_clear_bit(b & (KHO_LEAF_BITS - 1), leaf))
		return -ENOENT;
	return 0;
}

/**
 * kho_tracker_lookup() - is a pfn preserved, and as part of which block
 * @t: the tracker
 * @pfn: any pfn
 * @start: if not NULL, set to the first pfn of the block containing @pfn
 *
 * Costs one descent per order, each O(tree height).
 *
 * Return: the order of the preserved block containing @pfn, or -ENOENT.
 */
int kho_tracker_lookup(const struct kho_tracker *t, unsigned long pfn,
		       unsigned long *start)
{
	unsigned int o;

	if (pfn >= t->max_pfn)
		return -ENOENT;
	for (o = 0; o < t->nr_orders; o++) {
		unsigned long b = pfn >> o;
		unsigned long *leaf;

		leaf = find_leaf(t, o, b >> KHO_LEAF_BITS_SHIFT);
		if (leaf && test_bit(b & (KHO_LEAF_BITS - 1), leaf)) {
			if (start)
				*start = b << o;
			return o;
		}
	}
	return -ENOENT;
}

/*
 * Smallest set block index >= @b below @table, a table at @level whose
 * first leaf has index @first; KHO_NONE if there is none.
 */
static unsigned long next_in_table(const u64 *table, unsigned int level,
				   unsigned long first, unsigned long b)
{
	unsigned int span_shift = KHO_SLOTS_SHIFT * (level - 1);
	unsigned long leaf = b >> KHO_LEAF_BITS_SHIFT;
	unsigned long slot = 0;

	if (leaf > first)
		slot = (leaf - first) >> span_shift;
	for (; slot < KHO_SLOTS; slot++) {
		unsigned long cfirst = first + (slot << span_shift);
		u64 child = READ_ONCE(table[slot]);
		unsigned long r;

		if (!child)
			continue;
		if (level == 1) {
			unsigned long from = 0, bit;

			if (leaf == cfirst)
				from = b & (KHO_LEAF_BITS - 1);
			bit = find_next_bit(phys_to_virt(child), KHO_LEAF_BITS,
					    from);
			if (bit < KHO_LEAF_BITS)
				return (cfirst << KHO_LEAF_BITS_SHIFT) + bit;
		} else {
			r = next_in_table(phys_to_virt(child), level - 1,
					  cfirst, b);
			if (r != KHO_NONE)
				return r;
		}
	}
	return KHO_NONE;
}

static unsigned long next_set(const struct kho_tracker *t, unsigned int order,
			      unsigned long b)
{
	u64 entry = READ_ONCE(t->root->top[order]);

	if (!entry)
		return KHO_NONE;
	if (b >> KHO_LEAF_BITS_SHIFT >>
	    (KHO_SLOTS_SHIFT * entry_height(entry)))
		return KHO_NONE;
	return next_in_table(node_va(entry), entry_height(entry), 0, b);
}

/**
 * kho_tracker_walk() - visit preserved blocks in ascending address order
 * @t: the tracker
 * @from_pfn: visit blocks starting at or above this pfn
 * @fn: called for each block with its first pfn and order
 * @arg: passed to @fn
 *
 * Merges the per-order trees, so blocks come sorted by address whatever
 * their order. Bits set or cleared concurrently may or may not be seen.
 *
 * Return: 0 after the last block, or the first non-zero value of @fn.
 */
int kho_tracker_walk(const struct kho_tracker *t, unsigned long from_pfn,
		     kho_walk_fn fn, void *arg)
{
	unsigned long cur[KHO_MAX_ORDERS];
	unsigned int o;
	int ret;

	for (o = 0; o < t->nr_orders; o++) {
		unsigned long b = (from_pfn >> o) +
				  !!(from_pfn & ((1UL << o) - 1));

		cur[o] = next_set(t, o, b);
	}
	for (;;) {
		unsigned long best = KHO_NONE;
		unsigned int bo = 0;

		for (o = 0; o < t->nr_orders; o++) {
			if (cur[o] != KHO_NONE && (cur[o] << o) < best) {
				best = cur[o] << o;
				bo = o;
			}
		}
		if (best == KHO_NONE)
			return 0;
		ret = fn(best, bo, arg);
		if (ret)
			return ret;
		cur[bo] = next_set(t, bo, cur[bo] + 1);
	}
}

/**
 * kho_tracker_next_block() - first block ending above a pfn
 * @t: the tracker
 * @pfn: where to look from
 * @end: set to the pfn after the block found
 *
 * One descent per order: the block containing @pfn if there is one,
 * else the lowest block starting above it. Blocks of the same order that
 * follow it in the same leaf are included, found a bitmap word at a time
 * (find_next_zero_bit()), so *@end is the end of that run.
 *
 * Return: the run's first pfn (may be below @pfn), or ULONG_MAX.
 */
unsigned long kho_tracker_next_block(const struct kho_tracker *t,
				     unsigned long pfn, unsigned long *end)
{
	unsigned long best = KHO_NONE, b;
	unsigned int o, bo = 0;

	for (o = 0; o < t->nr_orders; o++) {
		b = pfn >> o;
		if (t->hints) {
			/* nothing above the last bit; nothing to scan below the first */
			if (b > t->last[o])
				continue;
			b = max(b, t->first[o]);
		}
		b = next_set(t, o, b);
		if (b != KHO_NONE && (b << o) < best) {
			best = b << o;
			bo = o;
		}
	}
	if (best != KHO_NONE) {
		unsigned long blk = best >> bo;
		unsigned long *leaf = find_leaf(t, bo,
						blk >> KHO_LEAF_BITS_SHIFT);
		unsigned long bit = blk & (KHO_LEAF_BITS - 1);

		*end = best + (1UL << bo);
		if (leaf)
			*end = (blk - bit + find_next_zero_bit(leaf, KHO_LEAF_BITS,
							       bit)) << bo;
	}
	return best;
}

struct hint_ctx {
	struct kho_tracker *t;
};

static int hint_fn(unsigned long pfn, unsigned int order, void *arg)
{
	struct kho_tracker *t = ((struct hint_ctx *)arg)->t;
	unsigned long b = pfn >> order;

	if (b < t->first[order])
		t->first[order] = b;
	if (t->last[order] == KHO_NONE || b > t->last[order])
		t->last[order] = b;
	return 0;
}

/**
 * kho_tracker_set_hints() - remember where each order's blocks are
 * @t: a tracker nobody sets bits in any more (the received one)
 *
 * One walk records, per order, the first and last set block, so that
 * kho_tracker_next_block() skips orders with nothing ahead and does not
 * scan bitmaps below the first block: an order with a few blocks no
 * longer costs a bitmap scan on every call. Clearing bits later keeps
 * the hints conservative, so they stay correct.
 */
void kho_tracker_set_hints(struct kho_tracker *t)
{
	struct hint_ctx c = { .t = t };
	unsigned int o;

	for (o = 0; o < KHO_MAX_ORDERS; o++) {
		t->first[o] = KHO_NONE;
		t->last[o] = KHO_NONE;
	}
	t->hints = false;
	kho_tracker_walk(t, 0, hint_fn, &c);
	/* an empty order keeps last = KHO_NONE: its tree ends the search at once */
	t->hints = true;
}

static int walk_table_nodes(const u64 *table, unsigned int level,
			    kho_node_fn fn, void *arg)
{
	unsigned long slot;
	int ret;

	ret = fn(virt_to_phys((void *)table), arg);
	if (ret)
		return ret;
	for (slot = 0; slot < KHO_SLOTS; slot++) {
		u64 child = READ_ONCE(table[slot]);

		if (!child)
			continue;
		if (level == 1)
			ret = fn(child, arg);
		else
			ret = walk_table_nodes(phys_to_virt(child), level - 1,
					       fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kho_tracker_walk_nodes() - visit every page the tracker itself uses
 * @t: the tracker
 * @fn: called with the physical address of each node, root first
 * @arg: passed to @fn
 *
 * The incoming kernel uses it to keep the tracker's own pages, and the
 * benchmarks to measure the tracker's memory.
 *
 * Return: 0, or the first non-zero value of @fn.
 */
int kho_tracker_walk_nodes(const struct kho_tracker *t, kho_node_fn fn,
			   void *arg)
{
	unsigned int o;
	int ret;

	ret = fn(virt_to_phys(t->root), arg);
	for (o = 0; !ret && o < t->nr_orders; o++) {
		u64 e = READ_ONCE(t->root->top[o]);

		if (e)
			ret = walk_table_nodes(node_va(e), entry_height(e), fn,
					       arg);
	}
	return ret;
}

static int check_table(const u64 *table, unsigned int level, kho_node_fn ok,
		       void *arg)
{
	unsigned long slot;
	int ret;

	for (slot = 0; slot < KHO_SLOTS; slot++) {
		u64 child = READ_ONCE(table[slot]);

		if (!child)
			continue;
		ret = ok(child, arg);
		if (!ret && level > 1)
			ret = check_table(phys_to_virt(child), level - 1, ok,
					  arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kho_tracker_check_nodes() - check every node address before using it
 * @t: a tracker attached with kho_tracker_attach(), root already checked
 * @ok: called with each node's physical address before the node is read;
 *	a non-zero return stops the walk
 * @arg: passed to @ok
 *
 * The incoming kernel's guard against a tracker pointing anywhere: no
 * node is dereferenced unless @ok accepted its address. Depth is bounded
 * by %KHO_MAX_HEIGHT, so the walk ends for any input.
 *
 * Return: 0 if @ok accepted every node, else its first non-zero value.
 */
int kho_tracker_check_nodes(const struct kho_tracker *t, kho_node_fn ok,
			    void *arg)
{
	unsigned int o;
	int ret;

	for (o = 0; o < t->nr_orders; o++) {
		u64 e = READ_ONCE(t->root->top[o]);

		if (!e)
			continue;
		ret = ok(e & ~KHO_HEIGHT_MASK, arg);
		if (!ret)
			ret = check_table(node_va(e), entry_height(e), ok, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static void free_table(u64 *table, unsigned int level)
{
	unsigned long slot;

	for (slot = 0; slot < KHO_SLOTS; slot++) {
		if (!table[slot])
			continue;
		if (level == 1)
			free_node(phys_to_virt(table[slot]));
		else
			free_table(phys_to_virt(table[slot]), level - 1);
	}
	free_node(table);
}

/**
 * kho_tracker_destroy() - free every page of a tracker
 * @t: the tracker; must not be in use by anyone else
 */
void kho_tracker_destroy(struct kho_tracker *t)
{
	unsigned int o;

	if (!t->root)
		return;
	for (o = 0; o < t->nr_orders; o++)
		if (t->root->top[o])
			free_table(node_va(t->root->top[o]),
				   entry_height(t->root->top[o]));
	free_node(t->root);
	t->root = NULL;
}
