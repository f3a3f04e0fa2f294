// SPDX-License-Identifier: GPL-2.0
/*
 * incoming.c - the kernel booted by a kexec handover: find, check and
 * apply what the previous kernel preserved.
 */

/**
 * DOC: KHO incoming side
 *
 * A kernel started by a KHO kexec goes through these steps:
 *
 * 1. kho_parse_setup_data() (x86: from parse_setup_data()) copies the
 *    handover: the state tree's address and the scratch areas. Without a
 *    setup_data entry, ``kho_root=`` on the command line names the state
 *    tree, whose ``scratch`` property then gives the scratch areas (the
 *    user-space kexec_load path).
 * 2. kho_scratch_early_init(), right after memblock learns the memory
 *    map, checks the scratch areas, marks them %MEMBLOCK_SCRATCH and puts
 *    memblock in scratch-only mode: no early allocation can touch
 *    preserved memory.
 * 3. kho_memory_init(), from mm_core_init() before memory is released to
 *    the buddy allocator, checks the state tree and every node and block
 *    of the tracker, then keeps each preserved block and each tracker
 *    page out of the buddy allocator with memblock_reserve(), leaves
 *    scratch-only mode and makes scratch CMA again.
 * 4. Drivers take their memory back with kho_retrieve_subtree(),
 *    kho_restore_folio() (kho_restore_folios() for many at once) and
 *    kho_restore_pages(), from core_initcall on
 *    (with deferred struct page init, earlier restores are refused). A
 *    restore clears the block's bit in the incoming tracker, so a block
 *    is restored once.
 * 5. At late_initcall_sync the handover is marked released (restores
 *    from then on fail), the state tree page is wiped and freed (so a
 *    stale ``kho_root=`` cannot name it again), and every block nobody
 *    restored is cleared and released to the buddy allocator, then the
 *    tracker's own pages; one log line says how much. Built-in drivers
 *    therefore restore at late_initcall or earlier.
 *
 * If any check fails, the kernel prints one line saying why, ignores the
 * handover and boots as from cold (reserving fresh scratch when
 * ``kho=on``). Without ``kho=on`` a handover is ignored the same way.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/timex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/early_ioremap.h>
#include <asm/sections.h>

#include "../../mm/internal.h"
#include "internal.h"

struct kho_incoming kho_in;

static struct kho_setup_data kho_in_sd __initdata;
static phys_addr_t kho_root_param __initdata;

/*
 * How preserved memory is kept out of the buddy allocator: "bitmap" (the
 * default) consults the tracker while memory is released, "memblock" (the
 * reference) reserves one memblock range per block.
 */
static bool kho_mode_memblock __initdata;
static bool kho_bitmap_active __ro_after_init;

static int __init kho_mode_setup(char *s)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "memblock"))
		kho_mode_memblock = true;
	else if (!strcmp(s, "bitmap"))
		kho_mode_memblock = false;
	else
		return -EINVAL;
	return 0;
}
early_param("kho_mode", kho_mode_setup);

static int __init kho_root_setup(char *s)
{
	return s ? kstrtoull(s, 0, &kho_root_param) : -EINVAL;
}
early_param("kho_root", kho_root_setup);

static void __init refuse(const char *why)
{
	strscpy(kho_in.reason, why, sizeof(kho_in.reason));
	kho_in.state = KHO_IN_REFUSED;
	pr_err("handover refused: %s; booting as from cold\n", why);
}

/* Say in one line what the decompressor did with the kernel's place. */
static void __init report_kaslr(void)
{
	const struct kho_kaslr_report *r = &kho_in.kaslr;

	if (r->result == KHO_KASLR_RANDOM)
		pr_info("decompressor placed the kernel at 0x%llx, one of %u places in scratch\n",
			r->addr, r->slots);
	else if (r->result == KHO_KASLR_KEPT)
		pr_info("decompressor kept the kernel where it was loaded, 0x%llx: no place for it in scratch\n",
			r->addr);
}

/**
 * kho_parse_handover() - record the handover found in mapped memory
 * @data: the payload (a &struct kho_setup_data, and a &struct
 *	  kho_kaslr_report when @len has room for it), e.g. the
 *	  ``linux,kho-handover`` property of the device tree's /chosen
 * @len: its length
 *
 * Called very early, before the command line is parsed; it only copies.
 */
void __init kho_parse_handover(const void *data, u32 len)
{
	kho_in.found = true;
	if (len < sizeof(kho_in_sd)) {
		kho_in_sd.magic = 0;
		return;
	}
	memcpy(&kho_in_sd, data, sizeof(kho_in_sd));
	if (len >= sizeof(kho_in_sd) + sizeof(kho_in.kaslr)) {
		memcpy(&kho_in.kaslr, data + sizeof(kho_in_sd),
		       sizeof(kho_in.kaslr));
		report_kaslr();
	}
}

/**
 * kho_parse_setup_data() - record the handover found by the boot protocol
 * @pa: physical address of the payload, see kho_parse_handover()
 * @len: its length
 *
 * Called very early, before the command line is parsed; it only copies.
 */
void __init kho_parse_setup_data(u64 pa, u32 len)
{
	size_t size = min_t(size_t, len,
			    sizeof(kho_in_sd) + sizeof(kho_in.kaslr));
	void *p;

	if (len < sizeof(kho_in_sd)) {
		kho_parse_handover(NULL, len);
		return;
	}
	p = early_memremap(pa, size);
	if (!p)
		return;
	kho_parse_handover(p, size);
	early_memunmap(p, size);
}

/* kexec_load path: read the scratch areas from the state tree itself. */
static int __init scratch_from_root(phys_addr_t root)
{
	const fdt64_t *p;
	int len, n, i, err;
	phys_addr_t mem;
	void *fdt;

	if (!root || !PAGE_ALIGNED(root) ||
	    !memblock_is_region_memory(root, PAGE_SIZE))
		return -EFAULT;
	fdt = early_memremap(root, PAGE_SIZE);
	if (!fdt)
		return -ENOMEM;
	err = kho_fdt_check_root(fdt, PAGE_SIZE, &mem);
	if (!err) {
		p = fdt_getprop(fdt, 0, KHO_SCRATCH_PROP, &len);
		n = len / (2 * sizeof(*p));
		if (!p || len <= 0 || len % (2 * sizeof(*p)) ||
		    n > KHO_MAX_SCRATCH) {
			err = -EINVAL;
		} else {
			kho_in_sd.magic = KHO_SETUP_MAGIC;
			kho_in_sd.version = KHO_SETUP_VERSION;
			kho_in_sd.nr_scratch = n;
			kho_in_sd.root = root;
			for (i = 0; i < n; i++) {
				kho_in_sd.scratch[i].addr = fdt64_ld(&p[2 * i]);
				kho_in_sd.scratch[i].size =
					fdt64_ld(&p[2 * i + 1]);
			}
		}
	}
	early_memunmap(fdt, PAGE_SIZE);
	return err;
}

/*
 * Whether [@start, @start + @size) is RAM. memblock keeps adjacent RAM in
 * separate regions when their nodes or flags differ, and a naturally
 * aligned block may cross such a seam (a node boundary that is not a
 * multiple of its size): the range is RAM if regions cover it without a
 * gap. The common case, one region, costs one binary search.
 */
static bool __init ram_ok(phys_addr_t start, phys_addr_t size, void *ctx)
{
	phys_addr_t end = start + size;
	struct memblock_region *r;

	if (end < start)
		return false;
	if (memblock_is_region_memory(start, size))
		return true;
	for_each_mem_region(r) {
		if (r->base > start)
			break;
		if (r->base + r->size > start)
			start = r->base + r->size;
		if (start >= end)
			return true;
	}
	return false;
}

static bool __init block_ok(phys_addr_t start, phys_addr_t size, void *ctx);

static struct kho_validate_ops kho_ops __initdata = {
	.is_ram = ram_ok,
	.region_ok = block_ok,
	.scratch_order = MAX_PAGE_ORDER,
};

/*
 * Until memory is released, this kernel allocates only from scratch, and
 * the memory map is most of that: too little scratch would end in a
 * failed early allocation, a panic. Demand the memory map of all RAM plus
 * 4 MiB besides the kernel image: a floor that catches a broken scratch
 * list, not a sizing rule (the previous kernel sized scratch at twice its
 * own early allocations, and swiotlb shrinks itself to fit).
 */
static bool __init scratch_enough(void)
{
	phys_addr_t total = 0, need;
	unsigned int i;

	for (i = 0; i < kho_in_sd.nr_scratch; i++)
		total += kho_in_sd.scratch[i].size;
	need = (memblock_phys_mem_size() >> PAGE_SHIFT) * sizeof(struct page);
	need += SZ_4M + __pa_symbol(_end) - __pa_symbol(_text);
	return total >= need;
}

/**
 * kho_scratch_early_init() - allocate only from scratch from now on
 * @always_scratch_end: memory below this is scratch on this architecture
 * @initrd: physical address of the initrd the boot loader passed, or 0
 * @initrd_size: its size, or 0
 *
 * Called by the architecture as soon as memblock knows the memory map,
 * before the first memblock allocation. Does nothing without a handover.
 */
void __init kho_scratch_early_init(phys_addr_t always_scratch_end,
				   phys_addr_t initrd, phys_addr_t initrd_size)
{
	const char *why;
	unsigned int i;

	kho_scratch_always_end = always_scratch_end;
	if (!kho_in.found && !kho_root_param)
		return;
	if (!kho_enable) {
		refuse("kho=on not given");
		return;
	}
	if (!kho_in.found && scratch_from_root(kho_root_param)) {
		refuse("kho_root= does not point to a valid state tree");
		return;
	}
	kho_ops.max_pfn = PHYS_PFN(memblock_end_of_DRAM());
	why = kho_validate_setup(&kho_in_sd, &kho_ops);
	if (why) {
		refuse(why);
		return;
	}
	for (i = 0; i < kho_in_sd.nr_scratch; i++)
		kho_scratch[i] = kho_in_sd.scratch[i];
	kho_nr_scratch = kho_in_sd.nr_scratch;
	/*
	 * The previous kernel placed this kernel and its initrd in scratch:
	 * one that is not wholly inside it means the scratch list does not
	 * describe this boot (or the decompressor moved the kernel), and it
	 * may sit on preserved memory.
	 */
	if (!scratch_enough())
		why = "scratch too small for this kernel's memory map";
	else if (!kho_in_scratch(__pa_symbol(_text),
				 __pa_symbol(_end) - __pa_symbol(_text)))
		why = "kernel image not inside scratch (moved by KASLR?)";
	else if (initrd_size && !kho_in_scratch(initrd, initrd_size))
		why = "initrd not inside scratch";
	if (why) {
		kho_nr_scratch = 0;
		refuse(why);
		return;
	}
	if (always_scratch_end)
		memblock_mark_scratch(0, always_scratch_end);
	for (i = 0; i < kho_nr_scratch; i++)
		memblock_mark_scratch(kho_scratch[i].addr, kho_scratch[i].size);
	kho_in.root = kho_in_sd.root;
	kho_in.state = KHO_IN_PENDING;
	memblock_set_scratch_only(true);
}

static bool __init block_ok(phys_addr_t start, phys_addr_t size, void *ctx)
{
	phys_addr_t ktext = __pa_symbol(_text), kend = __pa_symbol(_end);

	if (!ram_ok(start, size, ctx))
		return false;
	if (kho_overlaps_scratch(start, size))
		return false;
	return start >= kend || start + size <= ktext;
}

/*
 * memblock_reserve() of every tracker page and, in memblock mode, of every
 * preserved block; @left counts down what the undo walk gives back.
 */
struct reserve_ctx {
	unsigned long done;
	unsigned long left;
	bool undo;
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/* fault injection: the Nth reservation of the handover fails */
static unsigned long kho_fail_reserve __initdata;
core_param(kho_debug_fail_reserve, kho_fail_reserve, ulong, 0);
#else
#define kho_fail_reserve 0UL
#endif

static int __init reserve_range(phys_addr_t base, phys_addr_t size,
				struct reserve_ctx *c)
{
	if (c->undo) {
		if (!c->left)
			return 1;
		c->left--;
		return memblock_phys_free(base, size);
	}
	if (kho_fail_reserve && c->done + 1 == kho_fail_reserve)
		return -ENOMEM;
	if (memblock_reserve(base, size))
		return -ENOMEM;
	c->done++;
	return 0;
}

static int __init reserve_node(phys_addr_t phys, void *arg)
{
	return reserve_range(phys, PAGE_SIZE, arg);
}

static int __init reserve_blk(unsigned long pfn, unsigned int order, void *a)
{
	return reserve_range(PFN_PHYS(pfn), PAGE_SIZE << order, a);
}

/*
 * Reserve the tracker's pages, the state tree's, and in memblock mode
 * every preserved block. If memblock runs out of room half-way, give
 * back what was reserved, in the same order, so a refused handover
 * leaks nothing.
 */
static int __init reserve_handover(phys_addr_t root, bool blocks)
{
	struct reserve_ctx c = { };
	int err;

	err = kho_tracker_walk_nodes(&kho_in.tracker, reserve_node, &c) ?:
	      reserve_range(root, PAGE_SIZE, &c);
	if (!err && blocks)
		err = kho_tracker_walk(&kho_in.tracker, 0, reserve_blk, &c);
	if (!err)
		return 0;
	c.undo = true;
	c.left = c.done;
	if (kho_tracker_walk_nodes(&kho_in.tracker, reserve_node, &c) != 1 &&
	    reserve_range(root, PAGE_SIZE, &c) != 1 && blocks)
		kho_tracker_walk(&kho_in.tracker, 0, reserve_blk, &c);
	return err;
}

static const char *__init accept(void)
{
	struct kho_validate_result res;
	phys_addr_t root = kho_in.root;
	size_t seen_size;
	const char *why;
	u64 t0;

	kho_ops.max_pfn = max_pfn;
	seen_size = BITS_TO_LONGS(max_pfn) * sizeof(long);
	kho_ops.seen = memblock_alloc(seen_size, SMP_CACHE_BYTES);
	if (!kho_ops.seen)
		return "no memory in scratch to check the tracker";
	why = kho_validate_handover(root, &kho_ops, &kho_in.tracker, &res);
	memblock_free(kho_ops.seen, seen_size);
	if (why)
		return why;
	kho_in.fdt = phys_to_virt(root);

	/* All checked: nothing below can fail on handover content. */
	t0 = get_cycles();
	if (reserve_handover(root, kho_mode_memblock))
		return "out of memblock space for the preserved map";
	if (!kho_mode_memblock) {
		/* memblock stays scratch-only until memory is released */
		kho_tracker_set_hints(&kho_in.tracker);
		kho_bitmap_active = true;
	}
	kho_in.keep_ns = get_cycles() - t0;
	/* The state tree page is KHO's own: never released. */
	kho_tracker_clear(&kho_in.tracker, PHYS_PFN(root), 0);
	kho_in.nodes = res.nodes;
	kho_in.pages = res.pages;
	return NULL;
}

/**
 * kho_memory_init() - keep preserved memory out of the buddy allocator
 *
 * Called by mm_core_init() right before mem_init() releases memory. With
 * a handover, checks it and reserves every preserved block and tracker
 * page; on any defect, refuses it with one line. Then, with ``kho=on``,
 * reserves scratch on a cold boot and makes scratch CMA.
 */
void __init kho_memory_init(void)
{
	const char *why;

	if (kho_in.state == KHO_IN_PENDING) {
		why = accept();
		if (why) {
			refuse(why);
			kho_nr_scratch = 0;
		} else {
			kho_in.state = KHO_IN_ACCEPTED;
			pr_info("handover accepted: %lu preserved pages, %lu tracker pages, state tree at %pa, %s mode\n",
				kho_in.pages, kho_in.nodes, &kho_in.root,
				kho_bitmap_active ? "bitmap" : "memblock");
		}
	}
	if (!kho_bitmap_active)
		memblock_set_scratch_only(false);
	kho_in.mem_init_ns = get_cycles();
	if (!kho_enable)
		return;
	if (!kho_nr_scratch && kho_reserve_scratch()) {
		kho_enable = false;
		return;
	}
	kho_scratch_to_cma();
}

/**
 * kho_memory_init_late() - memory is released: end scratch-only mode
 *
 * Called by mm_core_init() after mem_init(). In bitmap mode memblock had
 * to stay scratch-only until then, since preserved memory is not
 * reserved in memblock.
 */
void __init kho_memory_init_late(void)
{
	memblock_set_scratch_only(false);
	kho_in.mem_init_ns = get_cycles() - kho_in.mem_init_ns;
}

/**
 * kho_next_preserved() - find the next preserved block in a pfn range
 * @start: first pfn of the range
 * @end: pfn after it
 * @pend: set to the pfn after the preserved block found (clipped to @end),
 *	  or to @end if none
 *
 * The bitmap-mode hook of memblock_free_all() and of deferred struct page
 * init: they free [@start, returned pfn) and skip to *@pend. One tracker
 * descent per order finds the block; within a leaf the search goes a
 * bitmap word at a time. Safe from several CPUs (deferred init threads).
 *
 * Return: first pfn of the first preserved block overlapping the range,
 * or @end.
 */
unsigned long __init kho_next_preserved(unsigned long start,
					unsigned long end, unsigned long *pend)
{
	unsigned long pfn, next;
	u64 t0;

	*pend = end;
	if (!kho_bitmap_active || start >= end)
		return end;
	t0 = get_cycles();
	pfn = kho_tracker_next_block(&kho_in.tracker, start, &next);
	if (pfn < end) {
		unsigned long n2, e2;

		/* extend over adjacent runs, of any order */
		while (next < end) {
			n2 = kho_tracker_next_block(&kho_in.tracker, next, &e2);
			if (n2 != next)
				break;
			next = e2;
		}
		*pend = min(next, end);
		pfn = max(pfn, start);
	} else {
		pfn = end;
	}
	atomic64_add(get_cycles() - t0, &kho_in.free_ns);
	return pfn;
}

/*
 * Restores and lookups hold it for reading while they use the received
 * tracker; the release of unclaimed memory takes it for writing once, to
 * set @released, and owns the tracker from then on.
 */
static DECLARE_RWSEM(kho_in_sem);

/* Under kho_in_sem: the received tracker may be used. */
static bool incoming_usable(void)
{
	return kho_in.state == KHO_IN_ACCEPTED && !kho_in.released;
}

/*
 * With deferred struct page init, the struct pages of preserved memory
 * may not be initialised yet, and deferred init would later initialise a
 * restored block's pages again and free it if its bit is clear: restores
 * wait until page_alloc_init_late() is done, which is before any
 * initcall but early ones.
 */
static bool struct_pages_ready(void)
{
#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
	if (static_branch_unlikely(&deferred_pages)) {
		pr_warn_ratelimited("restore refused: struct pages are not initialised yet (restore at core_initcall or later)\n");
		return false;
	}
#endif
	return true;
}

/* Take the received tracker for a restore; false: no handover (any more). */
static bool restore_begin(void)
{
	if (kho_in.state != KHO_IN_ACCEPTED || !struct_pages_ready())
		return false;
	down_read(&kho_in_sem);
	if (incoming_usable())
		return true;
	up_read(&kho_in_sem);
	return false;
}

static void restore_end(void)
{
	up_read(&kho_in_sem);
}

/**
 * kho_retrieve_subtree() - find a client's blob in the incoming state tree
 * @name: the name the previous kernel's client used
 * @phys: set to the blob's physical address
 * @size: set to its size
 *
 * The blob's memory is restored like any other, with kho_restore_folio()
 * or kho_restore_pages().
 *
 * Return: 0, -ENOENT when there is no handover or no such client, or
 * -EINVAL when the client's node is malformed.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, u64 *size)
{
	int err;

	if (kho_in.state != KHO_IN_ACCEPTED)
		return -ENOENT;
	down_read(&kho_in_sem);
	err = incoming_usable() ?
	      kho_fdt_get_subtree(kho_in.fdt, name, phys, size) : -ENOENT;
	up_read(&kho_in_sem);
	if (!err && (!*size || *phys + *size < *phys ||
		     !pfn_valid(PHYS_PFN(*phys)) ||
		     !pfn_valid(PHYS_PFN(*phys + *size - 1))))
		err = -EINVAL;
	return err;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/* Restored pages counted in their zone's managed pages, a zone at a time. */
struct managed_count {
	struct page *page;	/* a page of the zone being counted */
	long nr;
};

static void managed_flush(struct managed_count *m)
{
	if (m->nr)
		adjust_managed_page_count(m->page, m->nr);
	m->nr = 0;
}

/* @nr pages from @page, all of one zone, to be counted in it. */
static void managed_add(struct managed_count *m, struct page *page,
			unsigned long nr)
{
	if (m->nr && page_zone(page) != page_zone(m->page))
		managed_flush(m);
	if (!m->nr)
		m->page = page;
	m->nr += nr;
}

/*
 * Turn a reserved, preserved block back into pages the kernel owns, a
 * folio of them when @folio. One pass over its struct pages, which makes
 * the tail pages of a folio too (prep_compound_page() would be a second);
 * no one else can see the pages yet, so the flags are changed without
 * atomics. A 2 MiB hugetlb page is 512 struct pages: this is most of what
 * taking one back costs, so the loop over the tail pages has no branch
 * in its body (one loop per kind of block; a branch per page costs far
 * more than the stores under emulation, and nothing on a real CPU).
 */
static void restore_block(struct page *page, unsigned int order, bool folio,
			  struct managed_count *m)
{
	unsigned long i, nr = 1UL << order;

	/* __ClearPageReserved() and __SetPageHead() spelt out */
	__clear_bit(PG_reserved, &page->flags);
	set_page_count(page, 1);
	if (folio && order) {
		for (i = 1; i < nr; i++) {
			__clear_bit(PG_reserved, &page[i].flags);
			set_page_count(page + i, 0);
			prep_compound_tail(page, i);
		}
		__set_bit(PG_head, &page->flags);
		prep_compound_head(page, order);
	} else {
		for (i = 1; i < nr; i++) {
			__clear_bit(PG_reserved, &page[i].flags);
			set_page_count(page + i, folio ? 0 : 1);
		}
	}
	/*
	 * A block may straddle a zone boundary not aligned to its order
	 * (nodes can end on any page): then each page is counted in its own
	 * zone, else the block at once (a zone's pages are contiguous in its
	 * node, and no node is smaller than a block).
	 */
	if (page_zone(page) == page_zone(page + nr - 1)) {
		managed_add(m, page, nr);
	} else {
		for (i = 0; i < nr; i++)
			managed_add(m, page + i, 1);
	}
}

/*
 * Take the preserved block that starts at @pfn off the received tracker,
 * if it is of order @want (any order when @want is negative), between
 * restore_begin() and restore_end(). Once its bit is clear the block is
 * the caller's: the release will not see it.
 *
 * Return: its order, or -1 when no such block is preserved there.
 */
static int take_block(unsigned long pfn, int want)
{
	unsigned long start;
	int order = kho_tracker_lookup(&kho_in.tracker, pfn, &start);

	if (order < 0 || start != pfn || (want >= 0 && order != want) ||
	    kho_tracker_clear(&kho_in.tracker, pfn, order))
		return -1;
	return order;
}

/**
 * kho_restore_folios() - take back many folios the previous kernel preserved
 * @phys: their physical addresses
 * @nr: how many
 * @folios: set to each folio taken back, in the same order
 *
 * kho_restore_folio() on each in turn, stopping at the first that fails,
 * for less per folio: the received tracker is taken once, and the zones'
 * page counts are updated once per zone. A memfd of 4 KiB folios gives
 * back hundreds of thousands.
 *
 * Return: how many, from the first, were taken back.
 */
unsigned long kho_restore_folios(const phys_addr_t *phys, unsigned long nr,
				 struct folio **folios)
{
	struct managed_count m = { };
	unsigned long i, pfn;
	int order;

	if (!nr || !restore_begin())
		return 0;
	for (i = 0; i < nr; i++) {
		pfn = PHYS_PFN(phys[i]);
		if (!PAGE_ALIGNED(phys[i]))
			break;
		order = take_block(pfn, -1);
		if (order < 0)
			break;
		restore_block(pfn_to_page(pfn), order, true, &m);
		folios[i] = pfn_folio(pfn);
	}
	restore_end();
	managed_flush(&m);
	return i;
}
EXPORT_SYMBOL_GPL(kho_restore_folios);

/**
 * kho_restore_folio() - take back a folio the previous kernel preserved
 * @phys: its physical address
 *
 * Safe against concurrent restores and against the release of unclaimed
 * memory: a restore that loses the race with the release gets NULL. With
 * deferred struct page init, restores before page_alloc_init_late() (from
 * an early_initcall) are refused with a warning.
 *
 * Return: the folio, with the order it was preserved with and a reference
 * count of one, or NULL if no folio was preserved at @phys (or it was
 * already restored, or there is no handover, or it was released).
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	struct folio *folio;

	if (!PAGE_ALIGNED(phys))
		return NULL;
	return kho_restore_folios(&phys, 1, &folio) ? folio : NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_pages() - take back a run given to kho_preserve_pages()
 * @phys: physical address of the run
 * @nr: its number of pages
 *
 * All or nothing: every block the run was split into must still be
 * preserved with the same order.
 *
 * Return: the first page of @nr order-0 pages with a reference count of
 * one each, or NULL.
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr)
{
	unsigned long pfn = PHYS_PFN(phys), end = pfn + nr, p, start;
	struct managed_count m = { };
	unsigned int order;

	if (!PAGE_ALIGNED(phys) || !nr || end < pfn || !restore_begin())
		return NULL;
	for (p = pfn; p < end; p += 1UL << order) {
		order = kho_block_order(p, end - p);
		if (kho_tracker_lookup(&kho_in.tracker, p, &start) != order ||
		    start != p) {
			restore_end();
			return NULL;
		}
	}
	for (p = pfn; p < end; p += 1UL << order) {
		order = kho_block_order(p, end - p);
		if (kho_tracker_clear(&kho_in.tracker, p, order)) {
			/* lost a race with another restore: give back ours */
			end = p;
			for (p = pfn; p < end; p += 1UL << order) {
				order = kho_block_order(p, end - p);
				kho_tracker_set(&kho_in.tracker, p, order);
			}
			restore_end();
			return NULL;
		}
	}
	restore_end();
	for (p = pfn; p < end; p += 1UL << order) {
		order = kho_block_order(p, end - p);
		restore_block(pfn_to_page(p), order, false, &m);
	}
	managed_flush(&m);
	return pfn_to_page(pfn);
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_compound() - take back one preserved block as a compound page
 * @phys: its physical address, aligned to @order
 * @order: the order it was preserved with, at most %MAX_PAGE_ORDER
 *
 * kho_restore_pages() of the 1 << @order pages of one block, but they come
 * back as one compound page, made in the same pass that takes them back:
 * for a caller that makes a large folio of them (a 2 MiB hugetlb page),
 * which would otherwise walk their struct pages twice more. Nothing is
 * taken unless a block of exactly @order is preserved at @phys.
 *
 * Return: the head page, with a reference count of one, or NULL.
 */
struct page *kho_restore_compound(phys_addr_t phys, unsigned int order)
{
	unsigned long pfn = PHYS_PFN(phys);
	struct managed_count m = { };
	bool taken;

	if (!PAGE_ALIGNED(phys) || order > MAX_PAGE_ORDER ||
	    !IS_ALIGNED(pfn, 1UL << order) || !restore_begin())
		return NULL;
	taken = take_block(pfn, order) >= 0;
	restore_end();
	if (!taken)
		return NULL;
	restore_block(pfn_to_page(pfn), order, true, &m);
	managed_flush(&m);
	return pfn_to_page(pfn);
}
EXPORT_SYMBOL_GPL(kho_restore_compound);

/**
 * kho_is_incoming_preserved() - is a pfn preserved and not yet restored
 * @pfn: the pfn
 *
 * Return: true while the page belongs to the handover.
 */
bool kho_is_incoming_preserved(unsigned long pfn)
{
	bool ret;

	if (kho_in.state != KHO_IN_ACCEPTED)
		return false;
	down_read(&kho_in_sem);
	ret = incoming_usable() &&
	      kho_tracker_lookup(&kho_in.tracker, pfn, NULL) >= 0;
	up_read(&kho_in_sem);
	return ret;
}
EXPORT_SYMBOL_GPL(kho_is_incoming_preserved);

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * Fault injection for restores racing the release: with
 * kho_debug_release_delay_us=N the release pauses N microseconds per
 * block between taking it off the tracker and freeing it.
 */
static unsigned int kho_release_delay_us;
core_param(kho_debug_release_delay_us, kho_release_delay_us, uint, 0);
#else
#define kho_release_delay_us 0U
#endif

static int release_blk(unsigned long pfn, unsigned int order, void *arg)
{
	unsigned long *pages = arg, i;

	/* clear, then free: the tracker never names a page the buddy has */
	kho_tracker_clear(&kho_in.tracker, pfn, order);
	if (kho_release_delay_us)
		fsleep(kho_release_delay_us);
	for (i = 0; i < (1UL << order); i++)
		free_reserved_page(pfn_to_page(pfn + i));
	*pages += 1UL << order;
	return 0;
}

static int collect_node(phys_addr_t phys, void *arg)
{
	struct { phys_addr_t *a; unsigned long n, cap; } *c = arg;

	if (c->n < c->cap)
		c->a[c->n] = phys;
	c->n++;
	return 0;
}

/*
 * The received state tree, once consumed, must not be taken for a valid
 * handover again: a stale kho_root= naming it in a later generation
 * would describe memory since reused. Wipe its magic and free the page
 * (debugfs keeps its own copy).
 */
static void __init consume_state_tree(void)
{
	void *fdt = kho_in.fdt;

	kho_in.fdt = NULL;
	fdt_set_magic(fdt, 0);
	free_reserved_page(virt_to_page(fdt));
}

/*
 * The documented point where preserved memory nobody restored goes back
 * to the buddy allocator: after every built-in initcall had its chance.
 */
static int __init kho_release_unclaimed(void)
{
	struct { phys_addr_t *a; unsigned long n, cap; } c = { };
	unsigned long pages = 0, i;

	if (kho_in.state != KHO_IN_ACCEPTED)
		return 0;
	/* no restore runs after this, none can start: the tracker is ours */
	down_write(&kho_in_sem);
	kho_in.released = true;
	up_write(&kho_in_sem);
	consume_state_tree();
	kho_tracker_walk(&kho_in.tracker, 0, release_blk, &pages);
	c.cap = kho_in.nodes;
	c.a = kvmalloc_array(c.cap, sizeof(*c.a), GFP_KERNEL);
	if (c.a) {
		kho_tracker_walk_nodes(&kho_in.tracker, collect_node, &c);
		for (i = 0; i < min(c.n, c.cap); i++)
			free_reserved_page(pfn_to_page(PHYS_PFN(c.a[i])));
		kvfree(c.a);
	}
	kho_in.unclaimed = pages;
	pr_info("released %lu KiB of preserved memory nobody restored, and %lu tracker pages\n",
		pages << (PAGE_SHIFT - 10), c.a ? c.n : 0);
	return 0;
}
late_initcall_sync(kho_release_unclaimed);
