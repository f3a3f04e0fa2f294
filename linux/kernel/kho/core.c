// SPDX-License-Identifier: GPL-2.0
/*
 * core.c - the KHO preservation API toward drivers.
 */

/**
 * DOC: KHO preservation API
 *
 * A driver that wants memory to survive kexec preserves it with one of:
 *
 * - kho_preserve_folio(): the whole folio, at its order;
 * - kho_preserve_pages(): a run of order-0 pages, recorded as the largest
 *   naturally aligned blocks that tile it.
 *
 * and takes it back with kho_unpreserve_folio() / kho_unpreserve_pages()
 * (same folio or same run). Each call changes the tracker at once and
 * either fully succeeds or leaves it unchanged. The driver then describes
 * its state in a blob of its own (normally a small FDT in preserved
 * memory) and names it with kho_add_subtree(); kho_remove_subtree() drops
 * it. Nothing has to happen at kexec time: the tracker and the state tree
 * are kept up to date by these calls and are handed over as they are.
 *
 * There is one way to preserve memory and it is this API: the state tree
 * never preserves anything because of what a client's blob contains.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/delay.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/log2.h>
#include <linux/memblock.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "internal.h"

/**
 * struct kho_outgoing - what this kernel will hand over
 * @tracker: the preserved memory
 * @tree: the state tree naming the tracker and the clients' blobs
 * @ready: both are set up
 */
struct kho_outgoing {
	struct kho_tracker tracker;
	struct kho_tree tree;
	bool ready;
};

static struct kho_outgoing kho_out;

/* Stops a walk at the first block, recording where it starts. */
static int first_block_fn(unsigned long pfn, unsigned int order, void *arg)
{
	*(unsigned long *)arg = pfn;
	return 1;
}

/**
 * kho_is_enabled() - whether KHO is usable in this boot
 *
 * Return: true once the tracker and state tree exist.
 */
bool kho_is_enabled(void)
{
	return READ_ONCE(kho_out.ready);
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

/* System RAM ranges must follow each other without a gap. */
static int ram_cover_fn(unsigned long pfn, unsigned long nr, void *arg)
{
	unsigned long *next = arg;

	if (pfn != *next)
		return 1;
	*next = pfn + nr;
	return 0;
}

/* Every page of the run is System RAM: no hole, no MMIO, nothing past RAM. */
static bool range_is_ram(unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr, next = pfn;

	if (!nr || end < pfn || end > max_pfn)
		return false;
	if (walk_system_ram_range(pfn, nr, &next, ram_cover_fn))
		return false;
	return next == end;
}

/*
 * Everything the next kernel would refuse, refused now: a run that is
 * not all RAM, or that touches scratch (CMA, so movable memory such as
 * page cache, shmem or THP lands there; the next kernel allocates from
 * it before it knows what was preserved). Refusing one caller keeps the
 * handover valid for every other client.
 */
static int check_preserve(unsigned long pfn, unsigned long nr, bool ram)
{
	phys_addr_t start = PFN_PHYS(pfn), size = PFN_PHYS(nr);

	might_sleep();
	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	if (!ram && !range_is_ram(pfn, nr))
		return -EFAULT;
	if (kho_overlaps_scratch(start, size)) {
		pr_warn_once("refused to preserve %pa+%pa: it is in scratch (movable memory?)\n",
			     &start, &size);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

/**
 * kho_block_order() - order of the next block when tiling a run of pages
 * @pfn: where the block starts
 * @nr: pages left in the run, at least one
 *
 * Preserve and restore tile a run the same way with this: the largest
 * naturally aligned block at @pfn that fits in @nr pages, at most
 * MAX_PAGE_ORDER.
 *
 * Return: the order.
 */
unsigned int kho_block_order(unsigned long pfn, unsigned long nr)
{
	unsigned int order = ilog2(nr);

	if (pfn)
		order = min_t(unsigned int, order, __ffs(pfn));
	return min_t(unsigned int, order, MAX_PAGE_ORDER);
}

/* Set (or clear) every block tiling [pfn, end); on error, where it stopped. */
static int tile_range(unsigned long pfn, unsigned long end, bool set,
		      unsigned long *failed)
{
	unsigned int order;
	int err;

	for (; pfn < end; pfn += 1UL << order) {
		order = kho_block_order(pfn, end - pfn);
		err = set ? kho_tracker_set(&kho_out.tracker, pfn, order) :
			    kho_tracker_clear(&kho_out.tracker, pfn, order);
		if (err) {
			*failed = pfn;
			return err;
		}
	}
	return 0;
}

static int change_range(unsigned long pfn, unsigned long nr, bool set)
{
	unsigned long failed;
	int err;

	err = set ? check_preserve(pfn, nr, false) : 0;
	if (err)
		return err;
	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	if (!nr || pfn + nr < pfn)
		return -EFAULT;
	err = tile_range(pfn, pfn + nr, set, &failed);
	/* all or nothing: undo the blocks before the one that failed */
	if (err)
		tile_range(pfn, failed, !set, &failed);
	return err;
}

/**
 * kho_preserve_range() - preserve a run of pfns as aligned blocks
 * @pfn: first pfn
 * @nr: number of pages
 *
 * The run is tiled by the largest naturally aligned blocks (at most
 * MAX_PAGE_ORDER) from its start; each is set in the tracker. If one
 * fails, the ones already set are cleared again.
 *
 * Return: 0, -EOPNOTSUPP when KHO is off, -EFAULT when the run is not all
 * RAM (it crosses a hole or ends past RAM), -EADDRNOTAVAIL when it touches
 * scratch, -EEXIST when a block of it, or a block of another order over
 * it, is already preserved, or -ENOMEM. May sleep.
 */
int kho_preserve_range(unsigned long pfn, unsigned long nr)
{
	return change_range(pfn, nr, true);
}

/**
 * kho_unpreserve_range() - undo kho_preserve_range() on the same run
 * @pfn: first pfn
 * @nr: number of pages
 *
 * Return: 0, -EOPNOTSUPP, -EFAULT, or -ENOENT if some block of the run was
 * not preserved as kho_preserve_range() would have; then nothing changes.
 */
int kho_unpreserve_range(unsigned long pfn, unsigned long nr)
{
	return change_range(pfn, nr, false);
}

/*
 * What the page allocator handed out is RAM: a folio that is neither a
 * device's (ZONE_DEVICE) nor reserved, in online memory. Other folios go
 * through the walk of System RAM, which costs as much as the rest of a
 * preserve put together when a memfd's pages are kept one by one.
 */
static bool folio_is_allocated_ram(struct folio *folio)
{
	return !folio_is_zone_device(folio) && !PageReserved(&folio->page) &&
	       pfn_to_online_page(folio_pfn(folio));
}

/* One block at the folio's own order: never tiled, so its order survives. */
static int change_folio(struct folio *folio, bool set)
{
	unsigned long pfn = folio_pfn(folio);
	unsigned int order = folio_order(folio);
	int err;

	err = set ? check_preserve(pfn, 1UL << order,
				   folio_is_allocated_ram(folio)) : 0;
	if (err)
		return err;
	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	return set ? kho_tracker_set(&kho_out.tracker, pfn, order) :
		     kho_tracker_clear(&kho_out.tracker, pfn, order);
}

/**
 * kho_preserve_folio() - keep a folio, contents and order, across kexec
 * @folio: the folio
 *
 * The next kernel gets it back with kho_restore_folio() at the same
 * physical address with the same order.
 *
 * Return: 0; -EEXIST if it, or a block overlapping it, is already
 * preserved; -EADDRNOTAVAIL if it lies in scratch (movable memory: the
 * next kernel allocates from scratch before it knows what was preserved,
 * so preserve unmovable allocations); -EFAULT if it is not RAM; -ENOMEM;
 * -EOPNOTSUPP when KHO is off. On error nothing changes. May sleep.
 */
int kho_preserve_folio(struct folio *folio)
{
	return change_folio(folio, true);
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - stop keeping a folio
 * @folio: a folio given to kho_preserve_folio()
 *
 * Return: 0, or -ENOENT if the folio is not preserved at its order.
 */
int kho_unpreserve_folio(struct folio *folio)
{
	return change_folio(folio, false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/**
 * kho_preserve_pages() - keep a run of order-0 pages across kexec
 * @page: first page of the run
 * @nr: number of pages
 *
 * See kho_preserve_range(); the next kernel takes the same run back with
 * kho_restore_pages().
 *
 * Return: 0 or a negative errno; on error nothing changes.
 */
int kho_preserve_pages(struct page *page, unsigned long nr)
{
	return kho_preserve_range(page_to_pfn(page), nr);
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages() - stop keeping a run given to kho_preserve_pages()
 * @page: first page of the run
 * @nr: number of pages
 *
 * Return: 0 or a negative errno; on error nothing changes.
 */
int kho_unpreserve_pages(struct page *page, unsigned long nr)
{
	return kho_unpreserve_range(page_to_pfn(page), nr);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/**
 * kho_preserved_order() - is a pfn preserved, and in which block
 * @pfn: the pfn
 * @start: if not NULL, set to the first pfn of the block containing @pfn
 *
 * Return: the block's order, -ENOENT if @pfn is not preserved, or
 * -EOPNOTSUPP when KHO is off.
 */
int kho_preserved_order(unsigned long pfn, unsigned long *start)
{
	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	return kho_tracker_lookup(&kho_out.tracker, pfn, start);
}
EXPORT_SYMBOL_GPL(kho_preserved_order);

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * Fault injection for the race between state tree edits and the kexec
 * reboot: with kho_debug_edit_delay_us=N, each kho_add_subtree() first
 * holds the published page invalid (magic cleared) for N microseconds
 * under the tree lock, as a long edit would. A kexec that does not wait
 * for edits then hands over an invalid page nearly every time.
 */
static unsigned int kho_edit_delay_us;
core_param(kho_debug_edit_delay_us, kho_edit_delay_us, uint, 0);

static void kho_debug_slow_edit(void)
{
	void *fdt = kho_out.tree.fdt;
	u32 magic;

	if (!kho_edit_delay_us)
		return;
	mutex_lock(&kho_out.tree.lock);
	magic = fdt_magic(fdt);
	fdt_set_magic(fdt, 0);
	fsleep(kho_edit_delay_us);
	fdt_set_magic(fdt, magic);
	mutex_unlock(&kho_out.tree.lock);
}
#else
static inline void kho_debug_slow_edit(void) { }
#endif

/* told of every client added to or removed from the outgoing tree */
static BLOCKING_NOTIFIER_HEAD(kho_client_chain);

/**
 * kho_add_subtree() - name a client's blob in the state tree
 * @name: the client's name (see kho_tree_add() for the rules)
 * @blob: the blob, in memory the client preserves itself
 * @size: its size in bytes
 *
 * May be called at any time, concurrently with other calls of the API.
 * After kexec the client finds the blob by @name.
 *
 * Return: 0, -EINVAL, -EEXIST, -ENOSPC or -EOPNOTSUPP; on error nothing
 * changes.
 */
int kho_add_subtree(const char *name, void *blob, size_t size)
{
	struct kho_client c = { name, virt_to_phys(blob), size };
	int err;

	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	kho_debug_slow_edit();
	err = kho_tree_add(&kho_out.tree, name, c.phys, size);
	if (!err)
		blocking_notifier_call_chain(&kho_client_chain,
					     KHO_CLIENT_ADDED, &c);
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_subtree);

/**
 * kho_remove_subtree() - drop a client's blob from the state tree
 * @name: the name given to kho_add_subtree()
 *
 * Return: 0, -ENOENT, -EINVAL or -EOPNOTSUPP.
 */
int kho_remove_subtree(const char *name)
{
	struct kho_client c = { name };
	int err;

	if (!kho_is_enabled())
		return -EOPNOTSUPP;
	err = kho_tree_remove(&kho_out.tree, name);
	if (!err)
		blocking_notifier_call_chain(&kho_client_chain,
					     KHO_CLIENT_REMOVED, &c);
	return err;
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

/**
 * kho_register_client_notifier() - be told of clients added and removed
 * @nb: called with %KHO_CLIENT_ADDED or %KHO_CLIENT_REMOVED and the
 *	&struct kho_client, after the state tree changed
 *
 * For KHO's own views of the tree (debugfs): the clients added before
 * @nb was registered are found with kho_walk_clients(), called after
 * this; a client may then be seen both ways.
 */
void kho_register_client_notifier(struct notifier_block *nb)
{
	blocking_notifier_chain_register(&kho_client_chain, nb);
}

/**
 * kho_walk_clients() - kho_tree_walk_clients() on the outgoing state tree
 * @fn: called for each client
 * @arg: passed to @fn
 */
void kho_walk_clients(kho_client_fn fn, void *arg)
{
	if (kho_is_enabled())
		kho_tree_walk_clients(&kho_out.tree, fn, arg);
}

static BLOCKING_NOTIFIER_HEAD(kho_freeze_chain);

/**
 * kho_register_freeze_notifier() - be told when a kexec reboot starts
 * @nb: called with %KHO_FREEZE when the reboot starts, and %KHO_THAW if
 *	it does not happen after all (another notifier failed, or the kexec
 *	returned)
 *
 * For clients whose state can change until the reboot (live update
 * sessions): on %KHO_FREEZE they write their last state into preserved
 * memory, without allocating; returning an error (notifier_from_errno())
 * fails the reboot. The state tree cannot be edited meanwhile.
 *
 * Return: 0.
 */
int kho_register_freeze_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&kho_freeze_chain, nb);
}

/**
 * kho_kexec_freeze() - hold the handover still for a kexec reboot
 *
 * Called by kernel_kexec() before other CPUs are stopped: waits for an
 * edit of the state tree in progress and blocks every later one, so the
 * page handed over is always a whole FDT, then lets the freeze notifiers
 * record their last state. Preserving and unpreserving need no such
 * lock: each bit and each tracker node is published atomically.
 *
 * Return: 0, or a freeze notifier's error: the reboot must not happen
 * (everything is thawed again).
 */
int kho_kexec_freeze(void)
{
	int err;

	if (!kho_is_enabled())
		return 0;
	mutex_lock(&kho_out.tree.lock);
	err = blocking_notifier_call_chain_robust(&kho_freeze_chain,
						  KHO_FREEZE, KHO_THAW, NULL);
	err = notifier_to_errno(err);
	if (err) {
		mutex_unlock(&kho_out.tree.lock);
		pr_err("kexec refused: a client could not freeze its state (%d)\n",
		       err);
	}
	return err;
}

/**
 * kho_kexec_thaw() - undo kho_kexec_freeze() when the kexec returns
 */
void kho_kexec_thaw(void)
{
	if (!kho_is_enabled())
		return;
	blocking_notifier_call_chain(&kho_freeze_chain, KHO_THAW, NULL);
	mutex_unlock(&kho_out.tree.lock);
}

/**
 * kho_out_fdt() - the outgoing state tree page
 *
 * Return: its address, or NULL when KHO is off.
 */
const void *kho_out_fdt(void)
{
	return kho_is_enabled() ? kho_out.tree.fdt : NULL;
}

/**
 * kho_out_tracker() - the outgoing tracker
 *
 * Return: the tracker, or NULL when KHO is off.
 */
const struct kho_tracker *kho_out_tracker(void)
{
	return kho_is_enabled() ? &kho_out.tracker : NULL;
}

/**
 * kho_root_phys() - physical address of the outgoing state tree
 *
 * Return: the address, or 0 when KHO is off.
 */
phys_addr_t kho_root_phys(void)
{
	return kho_is_enabled() ? virt_to_phys(kho_out.tree.fdt) : 0;
}

/**
 * kho_fill_setup_data() - describe the handover for the boot protocol
 * @sd: filled with the state tree's address and the scratch areas
 */
void kho_fill_setup_data(struct kho_setup_data *sd)
{
	memset(sd, 0, sizeof(*sd));
	sd->magic = KHO_SETUP_MAGIC;
	sd->version = KHO_SETUP_VERSION;
	sd->root = kho_root_phys();
	sd->nr_scratch = kho_nr_scratch;
	memcpy(sd->scratch, kho_scratch, kho_nr_scratch * sizeof(*kho_scratch));
	kho_debug_fill(sd);
}

unsigned long kho_stat_alloc_outside_scratch;
unsigned long kho_stat_segments_refused;

/**
 * kho_check_segments() - may these kexec segments be loaded?
 * @segs: the segments (destination ranges)
 * @nr: how many
 *
 * With KHO on, every segment must lie inside one scratch area, so it
 * can overwrite nothing preserved and the next kernel can find it
 * before it knows the preserved map. Logs the first offending range.
 *
 * Return: 0, -EADDRNOTAVAIL for a segment outside scratch, or -EBUSY for
 * one over preserved memory.
 */
int kho_check_segments(const struct kexec_segment *segs, unsigned long nr)
{
	unsigned long i;

	if (!kho_is_enabled())
		return 0;
	for (i = 0; i < nr; i++) {
		phys_addr_t start = segs[i].mem, size = segs[i].memsz;
		phys_addr_t end = start + size - 1;
		unsigned long first;

		if (!size)
			continue;
		if (!kho_in_scratch(start, size)) {
			kho_stat_segments_refused++;
			pr_err("kexec segment %pa-%pa is outside scratch; load refused\n",
			       &start, &end);
			return -EADDRNOTAVAIL;
		}
		first = ULONG_MAX;
		kho_tracker_walk(&kho_out.tracker, PHYS_PFN(start),
				 first_block_fn, &first);
		if (kho_tracker_lookup(&kho_out.tracker, PHYS_PFN(start),
				       NULL) >= 0 || first <= PHYS_PFN(end)) {
			kho_stat_segments_refused++;
			pr_err("kexec segment %pa-%pa overlaps preserved memory; load refused\n",
			       &start, &end);
			return -EBUSY;
		}
	}
	return 0;
}

static int __init kho_out_init(void)
{
	u64 pairs[2 * KHO_MAX_SCRATCH];
	unsigned int i;
	int err;

	if (!kho_enable)
		return 0;
	for (i = 0; i < kho_nr_scratch; i++) {
		pairs[2 * i] = kho_scratch[i].addr;
		pairs[2 * i + 1] = kho_scratch[i].size;
	}

	err = kho_tracker_init(&kho_out.tracker, NR_PAGE_ORDERS);
	if (err)
		goto fail;
	err = kho_tree_init(&kho_out.tree,
			    kho_tracker_root_phys(&kho_out.tracker));
	if (err) {
		kho_tracker_destroy(&kho_out.tracker);
		goto fail;
	}
	err = kho_tree_set_scratch(&kho_out.tree, pairs, kho_nr_scratch);
	/* The state tree's own page is preserved like any other. */
	err = err ?: kho_tracker_set(&kho_out.tracker,
				     PHYS_PFN(virt_to_phys(kho_out.tree.fdt)),
				     0);
	if (err) {
		kho_tree_destroy(&kho_out.tree);
		kho_tracker_destroy(&kho_out.tracker);
		goto fail;
	}
	WRITE_ONCE(kho_out.ready, true);
	pr_info("ready: state tree at %pa\n", &(phys_addr_t){ kho_root_phys() });
	return 0;
fail:
	pr_err("cannot set up the outgoing state: %d; KHO is off\n", err);
	return 0;
}
core_initcall(kho_out_init);
