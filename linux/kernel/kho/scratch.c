// SPDX-License-Identifier: GPL-2.0
/*
 * scratch.c - KHO scratch: the memory a kernel booted by a handover may
 * use before it knows what was preserved, and where kexec segments go.
 */

/**
 * DOC: KHO scratch
 *
 * Scratch is a few physically contiguous areas that never hold preserved
 * memory. A cold boot with ``kho=on`` reserves them in kho_memory_init(),
 * just before memblock releases memory to the buddy allocator, when it is
 * known how much early boot really used (memblock_reserved_size()):
 *
 * - a *low* area below 4 GiB, for what the next kernel must allocate
 *   low while it allocates only from scratch. By default it holds the
 *   part of ``crashkernel=`` this boot reserved below 4 GiB (plus 16 MiB,
 *   x86's alignment of it) and a 16 MiB margin for other low
 *   allocations; where RAM extends above 4 GiB, and the global area
 *   therefore lands high, also swiotlb's buffer (x86 sets it up only
 *   then, in mem_init(), after scratch is chosen: its configured size is
 *   counted) and, with KASLR, the kernel image, which the decompressor
 *   may place in any scratch area;
 * - a *global* area, by default twice what early boot used (crashkernel=
 *   aside), at least 64 MiB, plus the part of crashkernel= above 4 GiB;
 *   it receives the kexec segments (they go to areas above 4 GiB first,
 *   so they leave the low area alone) and most early allocations of the
 *   next kernel (its memory map, page tables, per-cpu areas...);
 * - on NUMA machines, one area per node, for node-local early data.
 *
 * ``kho_scratch=`` overrides the sizes: ``kho_scratch=300%`` scales the
 * default global area, ``kho_scratch=32M,512M,64M`` gives low, global and
 * per-node sizes. Areas are aligned to whole MAX_PAGE_ORDER blocks (4 MiB
 * on x86), so no free buddy block mixes scratch and other memory; their
 * pageblocks become MIGRATE_CMA, so the buddy allocator hands scratch out
 * only for movable allocations. Unmovable allocations, the ones drivers
 * preserve, never land there.
 *
 * Because only movable allocations can use scratch, all scratch together
 * is capped at half of the memory still free when it is reserved: the
 * rest is left to unmovable allocations (slab, page tables, kernel
 * stacks, and preserved memory itself, which must lie outside scratch).
 * A MOVABLE:KERNEL ratio of 1:1 is well inside the 3:1 that memory
 * hotplug documents as usually safe for ZONE_MOVABLE (CMA behaves the
 * same way), which leaves room for what drivers preserve and for the
 * next kernel's allocations. When low and global areas exceed the cap,
 * the smaller keeps its size up to half of the cap and the larger gets
 * the rest; per-node areas share what the two leave, in node order. A low
 * area that does not fit below 4 GiB is halved until it does. Every size
 * granted differently from the one requested is logged, with both sizes.
 *
 * On x86 the first megabyte is scratch too: the kernel reserves all of it
 * anyway, so it is never preserved, and the earliest allocations (below
 * ISA_END_ADDRESS) need it.
 *
 * A kernel booted with a handover gets the same areas, allocates only
 * from them until kho_memory_init() (memblock scratch-only mode), makes
 * them CMA again, and passes them on unchanged to the kernel after it.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/crash_reserve.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/page-isolation.h>
#include <linux/pageblock-flags.h>
#include <linux/sizes.h>
#include <linux/swiotlb.h>
#include <asm/sections.h>

#include "../../mm/internal.h"
#include "internal.h"

struct kho_scratch kho_scratch[KHO_MAX_SCRATCH];
unsigned int kho_nr_scratch;
phys_addr_t kho_scratch_always_end;
bool kho_enable __ro_after_init;

static unsigned int scratch_pct __initdata = 200;
static phys_addr_t scratch_low __initdata, scratch_global __initdata;
static phys_addr_t scratch_node __initdata;

static int __init kho_param(char *s)
{
	return kstrtobool(s, &kho_enable);
}
early_param("kho", kho_param);

/**
 * kho_wanted() - whether this boot runs with KHO, as far as known yet
 *
 * From early parameters on (before kho_is_enabled() can say): true with
 * kho=on until KHO gives up (no room for scratch, a refused start).
 * For code that must choose before then, such as hugetlb's boot-time
 * gigantic pages, which with KHO are taken after early boot.
 *
 * Return: true if KHO is on or may still come up.
 */
bool kho_wanted(void)
{
	return READ_ONCE(kho_enable);
}

static int __init kho_scratch_param(char *s)
{
	char *end;

	if (!s)
		return -EINVAL;
	end = strchr(s, '%');
	if (end) {
		char num[8];
		unsigned int pct;

		if (end[1] || end - s >= sizeof(num))
			return -EINVAL;
		strscpy(num, s, end - s + 1);
		if (kstrtouint(num, 10, &pct) || !pct || pct > 10000)
			return -EINVAL;
		scratch_pct = pct;
		return 0;
	}
	scratch_low = memparse(s, &end);
	if (*end != ',')
		return -EINVAL;
	scratch_global = memparse(end + 1, &end);
	if (*end == ',')
		scratch_node = memparse(end + 1, &end);
	return *end ? -EINVAL : 0;
}
early_param("kho_scratch", kho_scratch_param);

/* Whole buddy blocks, so no free block mixes scratch and other memory. */
static phys_addr_t __init scratch_align(void)
{
	return (phys_addr_t)max_t(unsigned long, pageblock_nr_pages,
				  MAX_ORDER_NR_PAGES) << PAGE_SHIFT;
}

static bool __init add_area(phys_addr_t addr, phys_addr_t size)
{
	if (!addr || kho_nr_scratch == KHO_MAX_SCRATCH)
		return false;
	kho_scratch[kho_nr_scratch].addr = addr;
	kho_scratch[kho_nr_scratch].size = size;
	kho_nr_scratch++;
	return true;
}

/* Sizes in log lines: scratch areas are whole MiB. */
static unsigned long long __init mib(phys_addr_t size)
{
	return (unsigned long long)size >> 20;
}

/* The bytes of a reserved resource (empty when end is 0) below 4 GiB. */
static phys_addr_t __init res_below_4g(const struct resource *r)
{
	if (!r->end || r->end < r->start || r->start >= SZ_4G)
		return 0;
	return min_t(phys_addr_t, r->end + 1, SZ_4G) - r->start;
}

static phys_addr_t __init res_size(const struct resource *r)
{
	return r->end > r->start ? resource_size(r) : 0;
}

/*
 * What setup_arch() reserved for crashkernel=, below 4 GiB (@low) and in
 * all. The next kernel reserves the same while it allocates only from
 * scratch, and tries below 4 GiB first.
 */
static phys_addr_t __init crash_reserved(phys_addr_t *low)
{
#ifdef CONFIG_CRASH_RESERVE
	*low = res_below_4g(&crashk_res) + res_below_4g(&crashk_low_res);
	return res_size(&crashk_res) + res_size(&crashk_low_res);
#else
	*low = 0;
	return 0;
#endif
}

/*
 * The low area's default: what the next kernel must find below 4 GiB while
 * it allocates only from scratch. That is the part of crashkernel= this
 * boot put below 4 GiB, plus 16 MiB as x86 aligns it to 16 MiB, and a
 * 16 MiB margin for the other early allocations that want low memory. On
 * a machine with RAM above 4 GiB the global area lands high, so the low
 * area must also hold swiotlb's buffer (x86 sets it up only there, in
 * mem_init(), after scratch is chosen: its configured size, swiotlb=
 * included, is counted) and, with KASLR, the kernel image, which the
 * decompressor may place in any scratch area.
 */
static phys_addr_t __init low_need(phys_addr_t crash_low)
{
	phys_addr_t tlb = 0, kernel = 0, margin = SZ_16M;

	if (IS_ENABLED(CONFIG_SWIOTLB) && memblock_end_of_DRAM() > SZ_4G)
		tlb = swiotlb_size_or_default();
	if (crash_low)
		crash_low = ALIGN(crash_low, SZ_16M) + SZ_16M;
	if (IS_ENABLED(CONFIG_RANDOMIZE_BASE) &&
	    memblock_end_of_DRAM() > SZ_4G)
		kernel = __pa_symbol(_end) - __pa_symbol(_text);
	if (tlb || crash_low || kernel)
		pr_info("low scratch: %llu MiB for swiotlb, %llu MiB for crashkernel, %llu MiB for the kernel image, %llu MiB margin\n",
			mib(tlb), mib(crash_low), mib(kernel), mib(margin));
	return tlb + crash_low + kernel + margin;
}

/*
 * Keep low + global within @cap: the smaller of the two keeps its size up
 * to half of @cap, the larger gets the rest.
 */
static void __init cap_scratch(phys_addr_t *low, phys_addr_t *global,
			       phys_addr_t cap, phys_addr_t align)
{
	phys_addr_t half = ALIGN_DOWN(cap / 2, align);
	phys_addr_t l = *low, g = *global;

	if (l + g <= cap)
		return;
	if (l <= g) {
		l = min(l, half);
		g = max(cap - l, align);
	} else {
		g = min(g, half);
		l = cap - g;
	}
	pr_warn("scratch capped at %llu MiB, half of free memory (only movable allocations use scratch): requested low %llu MiB + global %llu MiB, granted %llu MiB + %llu MiB\n",
		mib(cap), mib(*low), mib(*global), mib(l), mib(g));
	*low = l;
	*global = g;
}

/*
 * The low area, below 4 GiB: when @size does not fit, halve it until it
 * does. Return: the size reserved, 0 for none.
 */
static phys_addr_t __init reserve_low(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t want = size, addr = 0;

	for (; size >= align; size = ALIGN_DOWN(size / 2, align)) {
		addr = memblock_phys_alloc_range(size, align, SZ_1M, SZ_4G);
		if (addr)
			break;
	}
	if (!addr) {
		pr_warn("no room below 4 GiB for %llu MiB of low scratch; none reserved\n",
			mib(want));
		return 0;
	}
	if (size != want)
		pr_warn("low scratch: requested %llu MiB, granted %llu MiB (no more room below 4 GiB)\n",
			mib(want), mib(size));
	add_area(addr, size);
	return size;
}

/* One area per node while @left allows, in node order. */
static void __init reserve_nodes(phys_addr_t left, phys_addr_t align)
{
	phys_addr_t size, want, addr;
	int nid;

	for_each_online_node(nid) {
		want = scratch_node ?:
		       (phys_addr_t)node_present_pages(nid) *
		       sizeof(struct page) * 2 + SZ_16M;
		want = ALIGN(want, align);
		size = min(want, ALIGN_DOWN(left, align));
		if (!size) {
			pr_warn("node %d: scratch cap reached, %llu MiB of node scratch dropped\n",
				nid, mib(want));
			continue;
		}
		if (size != want)
			pr_warn("node %d: node scratch capped: requested %llu MiB, granted %llu MiB\n",
				nid, mib(want), mib(size));
		addr = memblock_alloc_range_nid(size, align, 0,
						MEMBLOCK_ALLOC_ACCESSIBLE,
						nid, true);
		if (!addr) {
			pr_warn("node %d: no room for %llu MiB of node scratch; dropped\n",
				nid, mib(size));
			continue;
		}
		if (!add_area(addr, size)) {
			memblock_phys_free(addr, size);
			pr_warn("node %d: more than %d scratch areas; node scratch dropped\n",
				nid, KHO_MAX_SCRATCH);
			continue;
		}
		left -= size;
	}
}

/**
 * kho_reserve_scratch() - choose scratch areas on a cold boot
 *
 * Called by kho_memory_init() before memory is released to the buddy
 * allocator. The areas are found with memblock and left free: they are
 * released like any memory, into MIGRATE_CMA pageblocks. Their total is
 * capped at half of the memory still free, and every size that differs
 * from the one requested is logged.
 *
 * Return: 0, or -ENOMEM when the global area could not be found (KHO is
 * then off for this boot).
 */
int __init kho_reserve_scratch(void)
{
	phys_addr_t align = scratch_align(), used = memblock_reserved_size();
	phys_addr_t mem = memblock_phys_mem_size(), cap, crash, crash_low;
	phys_addr_t low, global, addr;
	unsigned int i;

	/*
	 * crashkernel= is no early allocation: the low area holds its part
	 * below 4 GiB, the global area the rest.
	 */
	crash = crash_reserved(&crash_low);
	global = scratch_global ?:
		 max_t(phys_addr_t,
		       div_u64((u64)(used - min(used, crash)) * scratch_pct,
			       100),
		       SZ_64M) + crash - crash_low;
	low = low_need(crash_low);
	if (scratch_low && scratch_low < low)
		pr_warn("kho_scratch= asks for %llu MiB of low scratch, less than the %llu MiB the next kernel needs below 4 GiB\n",
			mib(scratch_low), mib(low));
	low = scratch_low ?: low;
	global = ALIGN(global, align);
	low = ALIGN(low, align);
	cap = ALIGN_DOWN((mem - min(mem, used)) / 2, align);
	cap_scratch(&low, &global, cap, align);

	kho_nr_scratch = 0;
	low = low ? reserve_low(low, align) : 0;
	addr = memblock_phys_alloc_range(global, align, 0,
					 MEMBLOCK_ALLOC_ACCESSIBLE);
	if (!add_area(addr, global)) {
		for (i = 0; i < kho_nr_scratch; i++)
			memblock_phys_free(kho_scratch[i].addr,
					   kho_scratch[i].size);
		kho_nr_scratch = 0;
		pr_err("no room for %pa bytes of scratch; KHO is off\n",
		       &global);
		return -ENOMEM;
	}
	if (num_online_nodes() > 1)
		reserve_nodes(cap - min(cap, low + global), align);
	for (i = 0; i < kho_nr_scratch; i++) {
		memblock_phys_free(kho_scratch[i].addr, kho_scratch[i].size);
		pr_info("scratch %u: %pa + %pa\n", i, &kho_scratch[i].addr,
			&kho_scratch[i].size);
	}
	return 0;
}

#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
/*
 * Give the first struct page of a pageblock whose init is deferred its
 * zone and node, so its migratetype can be set now: free scratch pages
 * get CMA from deferred init anyway, but scratch pages reserved at boot
 * (the kernel image, the initrd) and freed later would otherwise land on
 * the unmovable free lists. Deferred init initialises the page again.
 */
static void __init init_deferred_head(unsigned long pfn)
{
	int nid = early_pfn_to_nid(pfn), z;
	pg_data_t *pgdat = NODE_DATA(nid);

	if (pfn < pgdat->first_deferred_pfn)
		return;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		if (zone_spans_pfn(&pgdat->node_zones[z], pfn)) {
			__init_single_page(pfn_to_page(pfn), pfn, z, nid);
			return;
		}
	}
}
#else
static inline void init_deferred_head(unsigned long pfn)
{
}
#endif

/**
 * kho_scratch_to_cma() - make every scratch pageblock MIGRATE_CMA
 *
 * Must run after the memory map is initialised and before memory is
 * released to the buddy allocator, so free scratch pages land on the CMA
 * free lists and only movable allocations get them.
 */
void __init kho_scratch_to_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = PHYS_PFN(kho_scratch[i].addr +
					     kho_scratch[i].size);

		for (; pfn < end; pfn += pageblock_nr_pages) {
			init_deferred_head(pfn);
			set_pageblock_migratetype(pfn_to_page(pfn),
						  MIGRATE_CMA);
		}
	}
}

/**
 * kho_is_scratch_pfn() - whether a page belongs to a scratch area
 * @pfn: the page
 *
 * Used when deferred struct page init frees memory late, to keep scratch
 * pageblocks MIGRATE_CMA.
 *
 * Return: true for a scratch page.
 */
bool kho_is_scratch_pfn(unsigned long pfn)
{
	return kho_enable && PFN_PHYS(pfn) >= kho_scratch_always_end &&
	       kho_in_scratch(PFN_PHYS(pfn), PAGE_SIZE);
}

/*
 * The start of the highest scratch area or preserved block that overlaps
 * [@base, @base + @size), or @base + @size if none does.
 */
static phys_addr_t __init highest_obstacle(phys_addr_t base, phys_addr_t size)
{
	unsigned long pfn = PHYS_PFN(base), end = PHYS_PFN(base + size);
	phys_addr_t top = base + size, hit = 0;
	unsigned long p, pend;
	bool found = false;
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		phys_addr_t a = kho_scratch[i].addr;

		if (a < top && a + kho_scratch[i].size > base) {
			hit = max(hit, max(a, base));
			found = true;
		}
	}
	for (p = kho_next_preserved(pfn, end, &pend); p < end;
	     p = kho_next_preserved(pend, end, &pend)) {
		hit = max(hit, PFN_PHYS(p));
		found = true;
	}
	return found ? hit : top;
}

/**
 * kho_find_unkept() - find room for a CMA area outside scratch and kept memory
 * @size: its size
 * @align: its alignment
 * @nid: its node
 *
 * For a CMA area reserved after kho_memory_init() (hugetlb_cma=): scratch
 * is CMA of its own and the next kernel allocates from it before it knows
 * what was kept, and memory the last kernel kept is in use, but neither
 * is reserved in memblock in bitmap mode. Tries memblock, top-down below
 * a limit, with scratch-only mode off for the moment; a candidate that
 * overlaps a scratch area or a preserved block lowers the limit to the
 * highest such one and tries again. Nothing is left reserved: the caller
 * reserves the range (as a fixed CMA area). Only from mm_core_init(),
 * after kho_memory_init() and before memory is released.
 *
 * Return: the range's base, or 0 if there is no such room.
 */
phys_addr_t __init kho_find_unkept(phys_addr_t size, phys_addr_t align,
				   int nid)
{
	phys_addr_t limit = MEMBLOCK_ALLOC_ACCESSIBLE, base, hit;
	bool only = memblock_scratch_only();

	memblock_set_scratch_only(false);
	for (;;) {
		base = memblock_alloc_range_nid(size, align,
						kho_scratch_always_end, limit,
						nid, true);
		if (!base)
			break;
		memblock_phys_free(base, size);
		hit = highest_obstacle(base, size);
		if (hit == base + size)
			break;
		/* below it: the limit only goes down, so this ends */
		limit = hit;
	}
	memblock_set_scratch_only(only);
	return base;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/**
 * kho_debug_memblock_alloc() - check an early allocation against scratch
 * @base: physical address memblock just allocated
 * @size: its size
 *
 * Called by memblock for every allocation. In scratch-only mode an
 * allocation outside scratch would be able to overwrite preserved memory:
 * count it (debugfs kho/status) and log it.
 */
void __init kho_debug_memblock_alloc(phys_addr_t base, phys_addr_t size)
{
	if (!memblock_scratch_only())
		return;
	if (kho_in_scratch(base, size))
		return;
	kho_stat_alloc_outside_scratch++;
	pr_err("early allocation %pa + %pa outside scratch\n", &base, &size);
}
#endif

/**
 * kho_in_scratch() - whether a range lies entirely inside scratch
 * @start: physical start
 * @size: size in bytes
 *
 * The range may span adjacent scratch areas (memblock merges them). The
 * architecture's low memory below kho_scratch_always_end counts as
 * scratch: it is never preserved.
 *
 * Return: true if every byte of it is scratch.
 */
bool kho_in_scratch(phys_addr_t start, phys_addr_t size)
{
	phys_addr_t end = start + size;
	unsigned int i;

	if (end < start)
		return false;
	start = max(start, kho_scratch_always_end);
	while (start < end) {
		for (i = 0; i < kho_nr_scratch; i++)
			if (start >= kho_scratch[i].addr &&
			    start < kho_scratch[i].addr + kho_scratch[i].size)
				break;
		if (i == kho_nr_scratch)
			return false;
		start = kho_scratch[i].addr + kho_scratch[i].size;
	}
	return true;
}

/**
 * kho_overlaps_scratch() - whether a range touches any scratch area
 * @start: physical start
 * @size: size in bytes
 *
 * Return: true if any byte of the range is scratch.
 */
bool kho_overlaps_scratch(phys_addr_t start, phys_addr_t size)
{
	unsigned int i;

	if (start < kho_scratch_always_end)
		return true;
	for (i = 0; i < kho_nr_scratch; i++)
		if (start < kho_scratch[i].addr + kho_scratch[i].size &&
		    kho_scratch[i].addr < start + size)
			return true;
	return false;
}

/**
 * kho_scratch_next() - the next scratch area in address order
 * @prev: the area returned last, or NULL for the first
 * @low: walk the areas below 4 GiB (true) or the others (false)
 * @down: by descending (true) or ascending (false) address
 *
 * Loaders depend on the order areas are offered in: arm64 places the
 * kernel bottom-up, then its initrd and device tree above it, which fails
 * when the kernel took an area at a higher address than the one with room
 * for the rest. So segments are placed walking the areas as kexec walks
 * RAM, by address, whatever order they were set up in.
 *
 * Return: the area, or NULL after the last.
 */
struct kho_scratch *kho_scratch_next(const struct kho_scratch *prev,
				     bool low, bool down)
{
	struct kho_scratch *next = NULL, *a;
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		bool below;

		a = &kho_scratch[i];
		below = a->addr < SZ_4G;
		if (below != low)
			continue;
		if (prev && (down ? a->addr >= prev->addr :
				    a->addr <= prev->addr))
			continue;
		if (!next || (down ? a->addr > next->addr :
				     a->addr < next->addr))
			next = a;
	}
	return next;
}

#ifdef CONFIG_KEXEC_FILE
/*
 * Offer @fn the scratch areas below 4 GiB (@low) or the others, by
 * address in the direction of @kbuf's search.
 */
static int walk_areas(struct kexec_buf *kbuf, kho_hole_fn fn, bool low)
{
	struct kho_scratch *a = NULL;
	struct resource res;
	int ret;

	while ((a = kho_scratch_next(a, low, kbuf->top_down))) {
		res = DEFINE_RES_MEM(a->addr, a->size);
		ret = fn(&res, kbuf);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kho_walk_scratch() - offer each scratch area to a kexec hole finder
 * @kbuf: the buffer being placed
 * @fn: kexec's per-resource callback; returns 1 once it placed @kbuf
 *
 * kexec_locate_mem_hole() calls this instead of walking all of RAM when
 * KHO is on, so every segment of the next kernel lands in scratch. Areas
 * above 4 GiB are offered first, so segments leave the low area to the
 * next kernel's swiotlb buffer and crash kernel when they fit elsewhere.
 *
 * Return: 1 when placed, 0 when no area had room, or @fn's error.
 */
int kho_walk_scratch(struct kexec_buf *kbuf, kho_hole_fn fn)
{
	int ret;

	kho_debug_loading(kbuf->image);
	/* areas above 4 GiB first: keep the low area for what must be low */
	ret = walk_areas(kbuf, fn, false) ?: walk_areas(kbuf, fn, true);
	if (ret)
		return ret;
	pr_err("kexec segment of %lu bytes does not fit in scratch; load refused (raise kho_scratch= on the next cold boot)\n",
	       kbuf->memsz);
	return 0;
}
#endif /* CONFIG_KEXEC_FILE: kexec_buf */
