// SPDX-License-Identifier: GPL-2.0
/*
 * validate.c - check everything a kernel receives from the previous one
 * before trusting any of it.
 */

/**
 * DOC: KHO handover validation
 *
 * A kexec often follows something that already went wrong, so whatever
 * the incoming kernel reads from the previous one is untrusted input.
 * One validator checks all of it, in an order where nothing is read
 * before its address was checked:
 *
 * 1. the scratch description (kho_validate_setup()): magic, version,
 *    number of areas, each area aligned to whole buddy blocks, inside
 *    RAM, no two overlapping; the state tree's address inside RAM;
 * 2. the state tree (kho_validate_handover()): outside scratch and the
 *    kernel, fdt_check_full(), the root and memory map ``compatible``
 *    versions, the ``tracker`` property;
 * 3. the tracker: its root page's header and heights, no more orders
 *    than this kernel has, then every table and leaf address before it
 *    is read (page aligned, inside RAM, outside scratch and the kernel,
 *    below max_pfn, not the state tree page, never reached twice:
 *    the walk is bounded by the number of pages of RAM), then every
 *    preserved block (inside RAM, outside scratch and the kernel, not
 *    overlapping another block or a tracker page).
 *
 * What "inside RAM", "scratch" and "the kernel" mean is the caller's,
 * through &struct kho_validate_ops, so the same code runs in the
 * incoming kernel (memblock) and in the user-space fuzzer (a fake
 * physical memory). It returns a short reason, which the incoming
 * kernel prints in its one line before booting as from cold.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "internal.h"

struct check {
	const struct kho_validate_ops *ops;
	unsigned long nodes, pages, end;
	const char *why;
};

static bool region_ok(const struct kho_validate_ops *ops, phys_addr_t start,
		      phys_addr_t size)
{
	if (start + size < start || PHYS_PFN(start + size - 1) >= ops->max_pfn)
		return false;
	return ops->region_ok(start, size, ops->ctx);
}

static int node_ok(phys_addr_t phys, void *arg)
{
	struct check *c = arg;

	c->nodes++;
	if ((phys & (KHO_NODE_SIZE - 1)) ||
	    !region_ok(c->ops, phys, KHO_NODE_SIZE)) {
		c->why = "tracker node outside RAM or over scratch/kernel";
		return -EFAULT;
	}
	if (__test_and_set_bit(PHYS_PFN(phys), c->ops->seen)) {
		c->why = "tracker node reached twice";
		return -ELOOP;
	}
	return 0;
}

static int blk_ok(unsigned long pfn, unsigned int order, void *arg)
{
	struct check *c = arg;
	unsigned long end = pfn + (1UL << order);

	c->pages += 1UL << order;
	/* before any address arithmetic: PFN_PHYS() of a huge pfn wraps */
	if (pfn >= c->ops->max_pfn || end > c->ops->max_pfn || end < pfn ||
	    !region_ok(c->ops, PFN_PHYS(pfn), (phys_addr_t)PAGE_SIZE << order)) {
		c->why = "preserved block outside RAM or over scratch/kernel";
		return -EFAULT;
	}
	/* blocks come sorted by start: one overlapping the last is bad */
	if (pfn < c->end) {
		c->why = "overlapping preserved blocks";
		return -EINVAL;
	}
	c->end = end;
	if (find_next_bit(c->ops->seen, end, pfn) < end) {
		c->why = "preserved block over a tracker page";
		return -EINVAL;
	}
	return 0;
}

/**
 * kho_validate_setup() - check a received scratch description
 * @sd: the description (a copy: it is not read again)
 * @ops: what RAM is (scratch and kernel are not known yet)
 *
 * Return: NULL, or why @sd is refused.
 */
const char *kho_validate_setup(const struct kho_setup_data *sd,
			       const struct kho_validate_ops *ops)
{
	phys_addr_t align = (phys_addr_t)KHO_NODE_SIZE << ops->scratch_order;
	unsigned int i, j;

	if (sd->magic != KHO_SETUP_MAGIC)
		return "bad handover magic";
	if (sd->version != KHO_SETUP_VERSION)
		return "unknown handover version";
	if (!sd->nr_scratch || sd->nr_scratch > KHO_MAX_SCRATCH)
		return "bad number of scratch areas";
	for (i = 0; i < sd->nr_scratch; i++) {
		const struct kho_scratch *s = &sd->scratch[i];

		if (!s->size || (s->addr | s->size) & (align - 1) ||
		    s->addr + s->size < s->addr)
			return "misaligned scratch area";
		if (!ops->is_ram(s->addr, s->size, ops->ctx))
			return "scratch area outside RAM";
		for (j = 0; j < i; j++)
			if (s->addr < sd->scratch[j].addr + sd->scratch[j].size &&
			    sd->scratch[j].addr < s->addr + s->size)
				return "overlapping scratch areas";
	}
	if (!sd->root || (sd->root & (KHO_NODE_SIZE - 1)) ||
	    !ops->is_ram(sd->root, KHO_NODE_SIZE, ops->ctx))
		return "state tree outside RAM";
	return NULL;
}

/**
 * kho_validate_handover() - check a received state tree and tracker
 * @root: physical address of the state tree page
 * @ops: what RAM, scratch and the kernel are; @ops->seen must be a zeroed
 *	 bitmap of @ops->max_pfn bits
 * @t: attached to the received tracker on success
 * @res: number of tracker pages and of preserved pages
 *
 * Ends in time bounded by the size of RAM for any input.
 *
 * Return: NULL, or why the handover is refused.
 */
const char *kho_validate_handover(phys_addr_t root,
				  const struct kho_validate_ops *ops,
				  struct kho_tracker *t,
				  struct kho_validate_result *res)
{
	struct check c = { .ops = ops, .nodes = 1 };	/* the root page too */
	phys_addr_t mem;
	int err;

	if ((root & (KHO_NODE_SIZE - 1)) ||
	    !region_ok(ops, root, KHO_NODE_SIZE))
		return "state tree in scratch or kernel";
	err = kho_fdt_check_root(phys_to_virt(root), KHO_NODE_SIZE, &mem);
	if (err == -EPROTO)
		return "state tree has an unknown compatible";
	if (err == -EXDEV)
		return "state tree from a kernel of another page size";
	if (err)
		return "state tree is not a valid FDT";
	if ((mem & (KHO_NODE_SIZE - 1)) || !region_ok(ops, mem, KHO_NODE_SIZE))
		return "tracker root outside RAM";
	if (kho_tracker_attach(t, mem))
		return "bad tracker root page";
	/* a block of an order this kernel lacks cannot be restored */
	if (t->nr_orders > NR_PAGE_ORDERS)
		return "tracker has more orders than this kernel";
	/* the tracker may not name its own root or the state tree's page */
	__set_bit(PHYS_PFN(mem), ops->seen);
	if (PHYS_PFN(root) == PHYS_PFN(mem))
		return "tracker root is the state tree page";
	__set_bit(PHYS_PFN(root), ops->seen);
	if (!kho_tracker_check_nodes(t, node_ok, &c)) {
		/* the state tree page is itself preserved, as a block */
		__clear_bit(PHYS_PFN(root), ops->seen);
		kho_tracker_walk(t, 0, blk_ok, &c);
	}
	if (c.why)
		return c.why;
	res->nodes = c.nodes;
	res->pages = c.pages;
	return NULL;
}
