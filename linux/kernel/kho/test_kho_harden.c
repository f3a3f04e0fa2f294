// SPDX-License-Identifier: GPL-2.0
/*
 * test_kho_harden.c - the handover's edge cases, tried in a real kernel:
 * preserves the next kernel would refuse, restores racing the release of
 * unclaimed memory, restores before struct pages exist, blocks across a
 * zone boundary, and state tree edits racing the kexec reboot.
 */

/**
 * DOC: KHO hardening tests
 *
 * Built in with CONFIG_TEST_KEXEC_HANDOVER, beside the chain test; each
 * part runs only when its parameter is given, and reports in
 * ``/sys/kernel/debug/kho_harden/status`` (``key: value`` lines) for the
 * VM rig:
 *
 * - ``test_kho_harden.refusals=1``: at late_initcall, preserve what the
 *   next kernel would refuse and record each errno: a page inside an
 *   order-2 folio that is preserved (``refuse_overlap_inner``), an
 *   order-2 block over a preserved page (``refuse_overlap_outer``), a
 *   scratch page (``refuse_scratch``) and a run across the first hole in
 *   System RAM (``refuse_hole``, ``skip`` without a hole). What is
 *   wrongly accepted stays preserved, so the next kernel shows what it
 *   costs.
 * - ``test_kho_harden.race=N``: preserve N order-0 pages with known
 *   contents under the ``test-kho-race`` client. The next kernel restores
 *   none of them at late_initcall; a thread waits until the release of
 *   unclaimed memory starts, then restores them from the top down while
 *   the release runs. Every restore must either fail or give a page that
 *   is not in the buddy allocator, has one reference and its contents.
 * - ``test_kho_harden.early=1``: from an early_initcall, before deferred
 *   struct page init is done, restore the chain test's blob; it must be
 *   refused (``early_restore: refused``) and work again later.
 * - ``test_kho_harden.zones=1``: at device_initcall, before other
 *   clients preserve anything, preserve the block of order k+1 that
 *   straddles the first zone boundary aligned to 2^k pages only (NUMA
 *   nodes of sizes that are not a multiple of 4 MiB give one). What is
 *   free of it is allocated first, so no other client can preserve it;
 *   the rest is the kernel's own (the memory map at the top of a node),
 *   which nobody preserves. Contents do not matter, only where the pages
 *   are. The next kernel restores the block and reports how much each
 *   zone's managed pages grew (``zones_delta``) against how many of its
 *   pages are in each zone (``zones_want``).
 * - ``test_kho_harden.atomic=1``: preserve a page with preemption off,
 *   in a leaf the tracker already has (so nothing is allocated). The
 *   preserve API may sleep; with CONFIG_DEBUG_ATOMIC_SLEEP the call must
 *   print its "sleeping function called from invalid context" line.
 * - writing N to ``kho_harden/edit`` starts N threads per CPU adding and
 *   removing sub-trees until the kexec reboot stops them; the next kernel
 *   must accept the handover.
 */

#define pr_fmt(fmt) "test_kho_harden: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/kexec_handover.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "internal.h"

#define RACE_NAME	"test-kho-race"
#define ZONES_NAME	"test-kho-zones"
#define RACE_MAX	((PAGE_SIZE / sizeof(u64)) - 1)
#define CHAIN_NAME	"test-kho"
#define NOT_RUN		INT_MIN

static bool refusals;
module_param(refusals, bool, 0400);
static uint race;
module_param(race, uint, 0400);
static bool early;
module_param(early, bool, 0400);
static bool zones;
module_param(zones, bool, 0400);
static bool atomic;
module_param(atomic, bool, 0400);

/* The race list: one preserved page, count then pfns. */
struct race_list {
	u64 count;
	u64 pfn[RACE_MAX];
};

static struct {
	int overlap_inner, overlap_outer, scratch, hole;
	const char *early;
	unsigned long race_total, race_restored, race_failed, race_bad;
	bool race_waited, race_done;
	int zones_prepared;
	unsigned long zones_pfn, zones_nr, zones_delta[2], zones_want[2];
	bool zones_checked;
	atomic_t editors;
	atomic64_t edits;
} r = {
	.overlap_inner = NOT_RUN, .overlap_outer = NOT_RUN,
	.scratch = NOT_RUN, .hole = NOT_RUN, .zones_prepared = NOT_RUN,
};

static u64 race_word(u64 phys)
{
	return phys ^ 0x7261636572616365ULL;
}

/* The first gap between two System RAM ranges, as [last RAM pfn, next). */
struct hole {
	unsigned long prev_end, pfn, nr;
};

static int hole_fn(struct resource *res, void *arg)
{
	struct hole *h = arg;

	if (h->prev_end && res->start > h->prev_end + 1 && !h->nr) {
		h->pfn = PHYS_PFN(h->prev_end);
		h->nr = PHYS_PFN(res->start) - h->pfn + 1;
	}
	h->prev_end = res->end;
	return 0;
}

static void try_refusals(void)
{
	struct folio *f = folio_alloc(GFP_KERNEL, 2);
	struct hole h = { };

	if (f) {
		if (!kho_preserve_folio(f)) {
			r.overlap_inner = kho_preserve_pages(folio_page(f, 1), 1);
			if (!r.overlap_inner)
				folio_get(f);	/* wrongly kept: keep the memory */
			else
				kho_unpreserve_folio(f);
		}
		if (!kho_preserve_pages(folio_page(f, 3), 1)) {
			r.overlap_outer = kho_preserve_pages(folio_page(f, 0), 4);
			if (!r.overlap_outer)
				folio_get(f);
			else
				kho_unpreserve_pages(folio_page(f, 3), 1);
		}
		folio_put(f);
	}
	if (kho_nr_scratch) {
		phys_addr_t s = kho_scratch[kho_nr_scratch - 1].addr;

		r.scratch = kho_preserve_pages(pfn_to_page(PHYS_PFN(s)), 1);
	}
	walk_system_ram_res(0, ULLONG_MAX, &h, hole_fn);
	if (h.nr && pfn_valid(h.pfn))
		r.hole = kho_preserve_pages(pfn_to_page(h.pfn), h.nr);
	pr_info("refusals: overlap %d %d, scratch %d, hole %d (pfn 0x%lx + %lu)\n",
		r.overlap_inner, r.overlap_outer, r.scratch, r.hole, h.pfn,
		h.nr);
}

/* Preserve @race pages with known contents for the next kernel. */
static void race_prepare(void)
{
	struct race_list *l = (void *)get_zeroed_page(GFP_KERNEL);
	unsigned long i, k;

	if (!l)
		return;
	for (i = 0; i < min_t(unsigned long, race, RACE_MAX); i++) {
		struct page *p = alloc_page(GFP_KERNEL);
		u64 *w;

		if (!p)
			break;
		w = page_address(p);
		for (k = 0; k < PAGE_SIZE / sizeof(u64); k++)
			w[k] = race_word(page_to_phys(p) + k * sizeof(u64));
		if (kho_preserve_folio(page_folio(p))) {
			__free_page(p);
			break;
		}
		l->pfn[l->count++] = page_to_pfn(p);
	}
	if (kho_preserve_folio(virt_to_folio(l)) ||
	    kho_add_subtree(RACE_NAME, l, PAGE_SIZE))
		pr_err("cannot hand over the race list\n");
}

static int cmp_u64_desc(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static bool page_intact(struct page *p)
{
	const u64 *w = page_address(p);
	unsigned long k;

	if (PageBuddy(p) || page_ref_count(p) != 1)
		return false;
	for (k = 0; k < PAGE_SIZE / sizeof(u64); k++)
		if (w[k] != race_word(page_to_phys(p) + k * sizeof(u64)))
			return false;
	return true;
}

/*
 * Wait for the release of unclaimed memory to start (the lowest page is
 * no longer preserved, or already freed), then restore from the top down
 * while it goes from the bottom up.
 */
static int race_fn(void *arg)
{
	struct race_list *l = arg;
	unsigned long i, lowest = l->pfn[l->count - 1];
	unsigned long deadline = jiffies + 30 * HZ;
	struct folio **got;

	got = kcalloc(l->count, sizeof(*got), GFP_KERNEL);
	while (time_before(jiffies, deadline)) {
		if (!kho_is_incoming_preserved(lowest) ||
		    !page_ref_count(pfn_to_page(lowest))) {
			r.race_waited = true;
			break;
		}
		cond_resched();
	}
	for (i = 0; i < l->count; i++) {
		struct folio *f = kho_restore_folio(PFN_PHYS(l->pfn[i]));

		if (!f) {
			r.race_failed++;
			continue;
		}
		r.race_restored++;
		if (got)
			got[i] = f;
	}
	for (i = 0; got && i < l->count; i++) {
		if (!got[i])
			continue;
		if (page_intact(&got[i]->page))
			folio_put(got[i]);
		else
			r.race_bad++;	/* not ours to free: leak it */
	}
	kfree(got);
	kfree(l);
	WRITE_ONCE(r.race_done, true);
	return 0;
}

static void race_start(void)
{
	struct race_list *in, *l;
	struct task_struct *t;
	phys_addr_t phys;
	struct folio *f;
	u64 size;

	if (kho_retrieve_subtree(RACE_NAME, &phys, &size))
		return;
	f = kho_restore_folio(phys);
	if (!f)
		return;
	in = folio_address(f);
	l = kmalloc(sizeof(*l), GFP_KERNEL);
	if (l && in->count && in->count <= RACE_MAX) {
		memcpy(l, in, sizeof(*l));
		sort(l->pfn, l->count, sizeof(l->pfn[0]), cmp_u64_desc, NULL);
		r.race_total = l->count;
		t = kthread_run(race_fn, l, "kho_race");
		if (!IS_ERR(t))
			l = NULL;
	}
	kfree(l);
	folio_put(f);
}

/* What the block across a zone boundary is: handed over in one page. */
struct zones_rec {
	u64 pfn, nr;
};

/*
 * The first pfn where one zone ends and another begins that is not
 * aligned to the largest block order: a block across it exists.
 */
static unsigned long zone_boundary(void)
{
	struct zone *z;

	for_each_populated_zone(z) {
		unsigned long s = z->zone_start_pfn;

		if (!(s & (MAX_ORDER_NR_PAGES - 1)) || !pfn_valid(s - 1) ||
		    !pfn_valid(s) || page_zone(pfn_to_page(s - 1)) == z)
			continue;
		return s;
	}
	return 0;
}

static void zones_prepare(void)
{
	unsigned long s = zone_boundary(), half;
	struct zones_rec *rec;

	if (!s) {
		r.zones_prepared = -ENOENT;
		return;
	}
	half = 1UL << __ffs(s);
	rec = (void *)get_zeroed_page(GFP_KERNEL);
	if (!rec) {
		r.zones_prepared = -ENOMEM;
		return;
	}
	rec->pfn = s - half;
	rec->nr = 2 * half;
	r.zones_pfn = rec->pfn;
	r.zones_nr = rec->nr;
	/* each zone's half: ours if free, else the kernel's own */
	alloc_contig_range(rec->pfn, s, MIGRATE_MOVABLE,
			   GFP_KERNEL | __GFP_NOWARN);
	alloc_contig_range(s, s + half, MIGRATE_MOVABLE,
			   GFP_KERNEL | __GFP_NOWARN);
	r.zones_prepared = kho_preserve_pages(pfn_to_page(rec->pfn), rec->nr);
	if (!r.zones_prepared)
		r.zones_prepared = kho_preserve_folio(virt_to_folio(rec));
	if (!r.zones_prepared)
		r.zones_prepared = kho_add_subtree(ZONES_NAME, rec, PAGE_SIZE);
	pr_info("zones: block 0x%lx + %lu across the boundary at 0x%lx: %d\n",
		r.zones_pfn, r.zones_nr, s, r.zones_prepared);
}

static void zones_check(void)
{
	unsigned long pfn, nr, i, before[2];
	struct zones_rec *rec;
	struct zone *zone[2];
	struct page *pages;
	phys_addr_t phys;
	struct folio *f;
	u64 size;

	if (kho_retrieve_subtree(ZONES_NAME, &phys, &size))
		return;
	f = kho_restore_folio(phys);
	if (!f)
		return;
	rec = folio_address(f);
	pfn = rec->pfn;
	nr = rec->nr;
	folio_put(f);
	if (!nr || !pfn_valid(pfn) || !pfn_valid(pfn + nr - 1))
		return;
	r.zones_pfn = pfn;
	r.zones_nr = nr;
	zone[0] = page_zone(pfn_to_page(pfn));
	zone[1] = page_zone(pfn_to_page(pfn + nr - 1));
	for (i = 0; i < nr; i++)
		r.zones_want[page_zone(pfn_to_page(pfn + i)) != zone[0]]++;
	before[0] = zone_managed_pages(zone[0]);
	before[1] = zone_managed_pages(zone[1]);
	pages = kho_restore_pages(PFN_PHYS(pfn), nr);
	if (!pages)
		return;
	r.zones_delta[0] = zone_managed_pages(zone[0]) - before[0];
	r.zones_delta[1] = zone_managed_pages(zone[1]) - before[1];
	r.zones_checked = true;
	for (i = 0; i < nr; i++)
		__free_page(pages + i);
}

/* A preserve that allocates nothing, called where it may not sleep. */
static void preserve_atomic(void)
{
	struct page *p = alloc_pages(GFP_KERNEL, 1);

	if (!p)
		return;
	if (!kho_preserve_pages(p, 1)) {
		preempt_disable();
		if (!kho_preserve_pages(p + 1, 1))
			kho_unpreserve_pages(p + 1, 1);
		preempt_enable();
		kho_unpreserve_pages(p, 1);
	}
	__free_pages(p, 1);
}

static int edit_fn(void *arg)
{
	static char blob[64];
	char name[32];
	unsigned long n = 0;

	atomic_inc(&r.editors);
	/* until the kexec reboot stops this CPU */
	for (;;) {
		snprintf(name, sizeof(name), "edit-%lu-%lu", (unsigned long)arg,
			 n++ % 4);
		if (!kho_add_subtree(name, blob, sizeof(blob)))
			kho_remove_subtree(name);
		atomic64_inc(&r.edits);
		cond_resched();
	}
	return 0;
}

static ssize_t edit_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned long n, i, id = 0;
	unsigned int cpu;
	int err;

	err = kstrtoul_from_user(ubuf, len, 0, &n);
	if (err)
		return err;
	if (!n || n > 8)
		return -EINVAL;
	for_each_online_cpu(cpu) {
		for (i = 0; i < n; i++) {
			struct task_struct *t;

			t = kthread_create(edit_fn, (void *)id++, "kho_edit/%u",
					   cpu);
			if (IS_ERR(t))
				return PTR_ERR(t);
			kthread_bind(t, cpu);
			wake_up_process(t);
		}
	}
	return len;
}

static const struct file_operations edit_fops = {
	.owner = THIS_MODULE,
	.write = edit_write,
};

static void show_err(struct seq_file *m, const char *key, int err)
{
	if (err == NOT_RUN)
		return;
	seq_printf(m, "%s: %d\n", key, err);
}

static int status_show(struct seq_file *m, void *v)
{
	show_err(m, "refuse_overlap_inner", r.overlap_inner);
	show_err(m, "refuse_overlap_outer", r.overlap_outer);
	show_err(m, "refuse_scratch", r.scratch);
	if (refusals && r.hole == NOT_RUN)
		seq_puts(m, "refuse_hole: skip\n");
	show_err(m, "refuse_hole", r.hole);
	if (r.early)
		seq_printf(m, "early_restore: %s\n", r.early);
	if (r.race_total) {
		seq_printf(m, "race_total: %lu\nrace_restored: %lu\n",
			   r.race_total, r.race_restored);
		seq_printf(m, "race_failed: %lu\nrace_bad: %lu\n",
			   r.race_failed, r.race_bad);
		seq_printf(m, "race_waited: %d\nrace_done: %d\n",
			   r.race_waited, READ_ONCE(r.race_done));
	}
	if (r.zones_prepared != NOT_RUN)
		seq_printf(m, "zones_prepared: %d\n", r.zones_prepared);
	if (r.zones_checked) {
		seq_printf(m, "zones_block: 0x%lx %lu\n", r.zones_pfn,
			   r.zones_nr);
		seq_printf(m, "zones_delta: %lu %lu\nzones_want: %lu %lu\n",
			   r.zones_delta[0], r.zones_delta[1],
			   r.zones_want[0], r.zones_want[1]);
	}
	seq_printf(m, "editors: %d\nedits: %lld\n", atomic_read(&r.editors),
		   atomic64_read(&r.edits));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

/* Before deferred struct page init: the restore must be refused. */
static int __init test_kho_harden_early(void)
{
	phys_addr_t phys;
	u64 size;

	if (!early || kho_retrieve_subtree(CHAIN_NAME, &phys, &size))
		return 0;
	r.early = kho_restore_folio(phys) ? "restored" : "refused";
	return 0;
}
early_initcall(test_kho_harden_early);

/* Before the chain test and others preserve at late_initcall. */
static int __init test_kho_harden_zones(void)
{
	if (zones && kho_is_enabled()) {
		zones_check();
		zones_prepare();
	}
	return 0;
}
device_initcall(test_kho_harden_zones);

static int __init test_kho_harden_init(void)
{
	struct dentry *dir = debugfs_create_dir("kho_harden", NULL);

	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	debugfs_create_file("edit", 0200, dir, NULL, &edit_fops);
	if (!kho_is_enabled())
		return 0;
	if (refusals)
		try_refusals();
	if (race) {
		race_start();
		race_prepare();
	}
	if (atomic)
		preserve_atomic();
	return 0;
}
late_initcall(test_kho_harden_init);
