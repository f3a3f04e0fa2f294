// SPDX-License-Identifier: GPL-2.0
/*
 * test_kho.c - data that survives a chain of kexecs, checked byte by byte.
 */

/**
 * DOC: KHO chain test
 *
 * Built in with CONFIG_TEST_KEXEC_HANDOVER; runs at late_initcall, before
 * unclaimed preserved memory is released.
 *
 * On a cold boot (no ``test-kho`` client in the handover) it allocates
 * folios of random orders (0 to MAX_PAGE_ORDER) totalling
 * ``test_kho.size`` bytes (default 64M), fills each with words derived
 * from ``test_kho.seed`` and the word's physical address, preserves them,
 * and publishes a ``test-kho`` client: a one-page FDT giving the seed,
 * the generation, the totals and the address of a list of preserved
 * pages holding one ``phys | order`` entry per folio.
 *
 * After a KHO kexec it first allocates nearly all free memory and checks
 * that no page it got is still preserved, then restores the blob, the
 * list and every folio, checking address, order and every byte. Then it
 * frees ``test_kho.churn`` percent of the folios, allocates about as much
 * anew, and preserves everything again for the next generation.
 *
 * ``test_kho.max_order=0`` allocates order-0 pages only, and
 * ``test_kho.scatter=1`` allocates twice as many and frees a random half,
 * so the preserved pages are scattered as on a long-running host (the
 * worst case for range-based deserialisation); ``test_kho.check_alloc=0``
 * skips the allocator check and ``test_kho.verify=0`` the byte checks
 * (for benchmarks). ``test_kho.restore=0`` leaves the handover alone and
 * starts as after a cold boot: what the previous kernel preserved is then
 * unclaimed, and KHO must give it back to the allocator.
 *
 * Writing N to ``/sys/kernel/debug/kho_test/stress`` starts, on every
 * CPU, N seconds of preserving, unpreserving, adding and removing
 * sub-trees of small folios, while user space may load and unload kexec
 * images; the main data set stays preserved and is verified after the
 * next kexec.
 *
 * Results are in ``/sys/kernel/debug/kho_test/status``, one ``key: value``
 * a line, for the VM rig to check.
 */

#define pr_fmt(fmt) "test_kho: " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/vmalloc.h>

#define TEST_NAME		"test-kho"
#define TEST_COMPAT		"kho-test-v1"
#define LIST_ENTRIES		((PAGE_SIZE / sizeof(u64)) - 2)

static char *size_param = "64M";
module_param_named(size, size_param, charp, 0400);
static ulong seed = 0x6b686f;
module_param(seed, ulong, 0400);
static uint churn = 10;
module_param(churn, uint, 0400);
static uint max_order = MAX_PAGE_ORDER;
module_param(max_order, uint, 0400);
static bool scatter;
module_param(scatter, bool, 0400);
static bool check_alloc = true;
module_param(check_alloc, bool, 0400);
static bool verify = true;
module_param(verify, bool, 0400);
static bool restore = true;
module_param(restore, bool, 0400);

/* One page of the preserved folio list. */
struct test_list_page {
	u64 next;
	u64 count;
	u64 entry[LIST_ENTRIES];
};

static struct {
	u32 gen;
	bool handover;
	u64 expect_folios, expect_bytes;
	u64 restored, verified_bytes, bad_order, bad_data, missing;
	int run_ok;
	u64 alloc_checked, alloc_hits;
	u64 next_folios, next_bytes;
	u64 freed, added;
	u64 verify_ms;
	const char *error;
} st;

static atomic_t stress_running;
static atomic64_t stress_ops, stress_errors;

#define STRESS_SLOTS	16

static int stress_fn(void *arg)
{
	struct folio *f[STRESS_SLOTS] = { };
	unsigned long end = jiffies + (unsigned long)arg * HZ;
	unsigned int cpu = raw_smp_processor_id(), k;
	struct rnd_state r;
	char name[32];

	prandom_seed_state(&r, get_random_u64());
	while (time_before(jiffies, end)) {
		k = prandom_u32_state(&r) % STRESS_SLOTS;
		snprintf(name, sizeof(name), "stress-%u-%u", cpu, k);
		if (f[k]) {
			if (kho_remove_subtree(name) ||
			    kho_unpreserve_folio(f[k]))
				atomic64_inc(&stress_errors);
			folio_put(f[k]);
			f[k] = NULL;
		} else {
			f[k] = folio_alloc(GFP_KERNEL | __GFP_NOWARN,
					   prandom_u32_state(&r) % 4);
			if (!f[k])
				continue;
			if (kho_preserve_folio(f[k]) ||
			    kho_add_subtree(name, folio_address(f[k]), 64))
				atomic64_inc(&stress_errors);
		}
		atomic64_inc(&stress_ops);
		cond_resched();
	}
	for (k = 0; k < STRESS_SLOTS; k++) {
		if (!f[k])
			continue;
		snprintf(name, sizeof(name), "stress-%u-%u", cpu, k);
		if (kho_remove_subtree(name) || kho_unpreserve_folio(f[k]))
			atomic64_inc(&stress_errors);
		folio_put(f[k]);
	}
	atomic_dec(&stress_running);
	return 0;
}

static ssize_t stress_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	unsigned long secs;
	unsigned int cpu;
	int err;

	err = kstrtoul_from_user(ubuf, len, 0, &secs);
	if (err)
		return err;
	if (!secs || secs > 600 || atomic_read(&stress_running))
		return -EINVAL;
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		t = kthread_create(stress_fn, (void *)secs, "kho_stress/%u", cpu);
		if (IS_ERR(t))
			return PTR_ERR(t);
		kthread_bind(t, cpu);
		atomic_inc(&stress_running);
		wake_up_process(t);
	}
	return len;
}

static const struct file_operations stress_fops = {
	.owner = THIS_MODULE,
	.write = stress_write,
};

static struct folio **folios;
static unsigned long nr_folios, cap_folios;
static struct rnd_state rnd;

static inline u64 word_at(u64 phys)
{
	u64 x = phys ^ (seed * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

/* A run of order-0 pages, preserved with kho_preserve_pages(). */
#define RUN_OFFSET	3
#define RUN_PAGES	37
static struct page *run;

/* Fill @nr pages from @page with the words of their physical addresses. */
static void fill_pages(struct page *page, unsigned long nr)
{
	unsigned long i;
	unsigned int w;

	for (i = 0; i < nr; i++) {
		u64 *p = kmap_local_page(page + i);
		u64 phys = page_to_phys(page + i);

		for (w = 0; w < PAGE_SIZE / sizeof(u64); w++)
			p[w] = word_at(phys + w * sizeof(u64));
		kunmap_local(p);
		cond_resched();
	}
}

static bool check_pages(struct page *page, unsigned long nr)
{
	unsigned long i;
	unsigned int w;
	bool ok = true;

	for (i = 0; i < nr && ok; i++) {
		u64 *p = kmap_local_page(page + i);
		u64 phys = page_to_phys(page + i);

		for (w = 0; w < PAGE_SIZE / sizeof(u64) && ok; w++)
			ok = p[w] == word_at(phys + w * sizeof(u64));
		kunmap_local(p);
		cond_resched();
	}
	return ok;
}

static bool add_folio(struct folio *folio)
{
	if (nr_folios == cap_folios) {
		unsigned long cap = max(1024UL, cap_folios * 2);
		struct folio **n = kvmalloc_array(cap, sizeof(*n), GFP_KERNEL);

		if (!n)
			return false;
		if (folios)
			memcpy(n, folios, nr_folios * sizeof(*n));
		kvfree(folios);
		folios = n;
		cap_folios = cap;
	}
	folios[nr_folios++] = folio;
	return true;
}

/* Allocate random-order folios totalling about @bytes. */
static void alloc_folios(u64 bytes)
{
	struct folio *f, *tmp;
	LIST_HEAD(spares);
	u64 done = 0;

	while (done < bytes) {
		unsigned int order = prandom_u32_state(&rnd) %
				     (min_t(uint, max_order, MAX_PAGE_ORDER) + 1);
		struct folio *folio = NULL, *spare = NULL;

		while (order > 0 && PAGE_SIZE << order > bytes - done)
			order--;
		for (; !folio; order--) {
			folio = folio_alloc(GFP_KERNEL | __GFP_NORETRY |
					    __GFP_NOWARN, order);
			if (!order)
				break;
		}
		if (!folio) {
			st.error = "out of memory allocating test folios";
			break;
		}
		/* keep one of two neighbours: a scattered preserved set */
		if (scatter) {
			spare = folio_alloc(GFP_KERNEL | __GFP_NORETRY |
					    __GFP_NOWARN, folio_order(folio));
			if (spare && (prandom_u32_state(&rnd) & 1))
				swap(folio, spare);
			/* held until the end, so they are not handed out again */
			if (spare)
				list_add(&spare->lru, &spares);
		}
		fill_pages(folio_page(folio, 0), folio_nr_pages(folio));
		if (!add_folio(folio)) {
			folio_put(folio);
			st.error = "out of memory for the folio array";
			break;
		}
		done += folio_size(folio);
		st.added++;
	}
	list_for_each_entry_safe(f, tmp, &spares, lru) {
		list_del(&f->lru);
		folio_put(f);
	}
}

/*
 * Free pages an allocation of @gfp may take: CMA pageblocks (the scratch
 * areas) only serve movable allocations.
 */
static unsigned long free_for(gfp_t gfp)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);
	unsigned long cma = global_zone_page_state(NR_FREE_CMA_PAGES);

	if (gfp_migratetype(gfp) == MIGRATE_MOVABLE)
		return free;
	return free > cma ? free - cma : 0;
}

/*
 * Take most free memory; none of it may be still-preserved memory. Stop
 * 16 MiB above the watermarks for each kind of allocation, so drivers
 * probing beside this (psmouse, say) never find the allocator dry: the
 * OOM killer has nobody to kill while init runs, and panics.
 */
static void check_allocator(void)
{
	LIST_HEAD(pages);
	struct page *page, *tmp;
	unsigned long keep = totalreserve_pages + 4096;
	gfp_t gfp[] = { GFP_KERNEL, GFP_HIGHUSER_MOVABLE };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gfp); i++) {
		while (free_for(gfp[i]) > keep) {
			page = alloc_page(gfp[i] | __GFP_NORETRY | __GFP_NOWARN);
			if (!page)
				break;
			st.alloc_checked++;
			if (kho_is_incoming_preserved(page_to_pfn(page)))
				st.alloc_hits++;
			list_add(&page->lru, &pages);
			if (!(st.alloc_checked % 4096))
				cond_resched();
		}
	}
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

static int get_u64(const void *fdt, const char *name, u64 *v)
{
	const fdt64_t *p;
	int len;

	p = fdt_getprop(fdt, 0, name, &len);
	if (!p || len != sizeof(*p))
		return -EINVAL;
	*v = fdt64_ld(p);
	return 0;
}

static void restore_all(void)
{
	const struct test_list_page *lp;
	phys_addr_t phys, next;
	struct folio *blob, *lf;
	const void *fdt;
	u64 size, t0, gen, seed_in, run_phys;

	if (kho_retrieve_subtree(TEST_NAME, &phys, &size))
		return;
	st.handover = true;
	if (check_alloc)
		check_allocator();
	blob = kho_restore_folio(phys);
	if (!blob) {
		st.error = "blob not preserved";
		return;
	}
	fdt = folio_address(blob);
	if (size > folio_size(blob) || fdt_check_full(fdt, size) ||
	    fdt_node_check_compatible(fdt, 0, TEST_COMPAT)) {
		st.error = "blob is not a test-kho FDT";
		goto out;
	}
	if (!get_u64(fdt, "run", &run_phys)) {
		run = kho_restore_pages(run_phys, RUN_PAGES);
		st.run_ok = run && check_pages(run, RUN_PAGES) ? 1 : -1;
	}
	if (get_u64(fdt, "seed", &seed_in) || get_u64(fdt, "gen", &gen) ||
	    get_u64(fdt, "folios", &st.expect_folios) ||
	    get_u64(fdt, "bytes", &st.expect_bytes) ||
	    get_u64(fdt, "list", &next)) {
		st.error = "blob lacks a property";
		goto out;
	}
	st.gen = gen;
	seed = seed_in;
	st.gen++;
	t0 = ktime_get_ns();
	while (next) {
		unsigned long i;

		lf = kho_restore_folio(next);
		if (!lf) {
			st.error = "folio list page not preserved";
			goto out;
		}
		lp = folio_address(lf);
		for (i = 0; i < lp->count && i < LIST_ENTRIES; i++) {
			u64 e = lp->entry[i];
			unsigned int order = e & (PAGE_SIZE - 1);
			struct folio *folio = kho_restore_folio(e & PAGE_MASK);

			if (!folio) {
				st.missing++;
				continue;
			}
			st.restored++;
			if (folio_order(folio) != order)
				st.bad_order++;
			else if (verify && !check_pages(folio_page(folio, 0),
							folio_nr_pages(folio)))
				st.bad_data++;
			else
				st.verified_bytes += folio_size(folio);
			if (!add_folio(folio))
				folio_put(folio);
		}
		next = lp->next;
		folio_put(lf);
	}
	st.verify_ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
out:
	folio_put(blob);
}

/* Free churn% of the folios, in random places. */
static void churn_folios(void)
{
	unsigned long i, n = nr_folios * churn / 100;

	for (i = 0; i < n && nr_folios; i++) {
		unsigned long k = prandom_u32_state(&rnd) % nr_folios;
		u64 bytes = folio_size(folios[k]);

		folio_put(folios[k]);
		folios[k] = folios[--nr_folios];
		st.freed++;
		alloc_folios(bytes);
	}
}

static int publish(void)
{
	struct test_list_page *lp = NULL;
	phys_addr_t first = 0;
	unsigned long i;
	void *fdt;
	int err;

	for (i = 0; i < nr_folios; i++) {
		err = kho_preserve_folio(folios[i]);
		if (err) {
			st.error = "kho_preserve_folio failed";
			return err;
		}
		st.next_folios++;
		st.next_bytes += folio_size(folios[i]);
	}
	/* The list is built back to front, so it reads in folio order. */
	for (i = nr_folios; i > 0;) {
		unsigned long n = min_t(unsigned long, i, LIST_ENTRIES), k;
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

		if (!page)
			return -ENOMEM;
		lp = page_address(page);
		lp->next = first;
		lp->count = n;
		for (k = 0; k < n; k++) {
			struct folio *f = folios[i - n + k];

			lp->entry[k] = PFN_PHYS(folio_pfn(f)) | folio_order(f);
		}
		i -= n;
		err = kho_preserve_folio(page_folio(page));
		if (err)
			return err;
		first = page_to_phys(page);
	}
	fdt = (void *)get_zeroed_page(GFP_KERNEL);
	if (!fdt)
		return -ENOMEM;
	err = fdt_create_empty_tree(fdt, PAGE_SIZE);
	err = err ?: fdt_setprop_string(fdt, 0, "compatible", TEST_COMPAT);
	err = err ?: fdt_setprop_u64(fdt, 0, "seed", seed);
	err = err ?: fdt_setprop_u64(fdt, 0, "gen", st.gen);
	err = err ?: fdt_setprop_u64(fdt, 0, "folios", st.next_folios);
	err = err ?: fdt_setprop_u64(fdt, 0, "bytes", st.next_bytes);
	err = err ?: fdt_setprop_u64(fdt, 0, "list", first);
	if (run && !err) {
		err = kho_preserve_pages(run, RUN_PAGES);
		err = err ?: fdt_setprop_u64(fdt, 0, "run", page_to_phys(run));
	}
	if (err)
		return -EINVAL;
	err = kho_preserve_folio(virt_to_folio(fdt));
	return err ?: kho_add_subtree(TEST_NAME, fdt, PAGE_SIZE);
}

static int status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "gen: %u\n", st.gen);
	seq_printf(m, "first_folio: 0x%llx\n",
		   nr_folios ? (u64)PFN_PHYS(folio_pfn(folios[0])) : 0ULL);
	seq_printf(m, "handover: %s\n", st.handover ? "yes" : "no");
	seq_printf(m, "expect_folios: %llu\nexpect_bytes: %llu\n",
		   st.expect_folios, st.expect_bytes);
	seq_printf(m, "restored: %llu\nverified_bytes: %llu\n", st.restored,
		   st.verified_bytes);
	seq_printf(m, "bad_order: %llu\nbad_data: %llu\nmissing: %llu\n",
		   st.bad_order, st.bad_data, st.missing);
	seq_printf(m, "verify_ms: %llu\n", st.verify_ms);
	seq_printf(m, "run_ok: %d\n", st.run_ok);
	seq_printf(m, "check_alloc: %d\n", check_alloc);
	seq_printf(m, "alloc_checked: %llu\nalloc_hits: %llu\n",
		   st.alloc_checked, st.alloc_hits);
	seq_printf(m, "freed: %llu\nadded: %llu\n", st.freed, st.added);
	seq_printf(m, "next_folios: %llu\nnext_bytes: %llu\n", st.next_folios,
		   st.next_bytes);
	seq_printf(m, "stress_running: %d\nstress_ops: %lld\nstress_errors: %lld\n",
		   atomic_read(&stress_running), atomic64_read(&stress_ops),
		   atomic64_read(&stress_errors));
	seq_printf(m, "error: %s\n", st.error ?: "none");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

static int __init test_kho_init(void)
{
	struct dentry *dir = debugfs_create_dir("kho_test", NULL);
	int err;

	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	debugfs_create_file("stress", 0200, dir, NULL, &stress_fops);
	st.gen = 1;
	if (restore)
		restore_all();
	prandom_seed_state(&rnd, seed ^ st.gen);
	if (st.error)
		goto out;
	if (!kho_is_enabled()) {
		st.error = "KHO is off";
		goto out;
	}
	if (!st.handover) {
		struct page *block = alloc_pages(GFP_KERNEL, 6);

		/* an unaligned run inside a block: tiled in several orders */
		if (block) {
			split_page(block, 6);
			run = block + RUN_OFFSET;
			fill_pages(run, RUN_PAGES);
		}
		alloc_folios(memparse(size_param, NULL));
	} else {
		churn_folios();
	}
	if (st.error)
		goto out;
	err = publish();
	if (err && !st.error)
		st.error = "publishing failed";
out:
	pr_info("gen %u: handover %s, restored %llu folios, verified %llu bytes, %llu bad, %llu missing; preserved %llu folios (%llu bytes) for the next kernel%s%s\n",
		st.gen, st.handover ? "yes" : "no", st.restored,
		st.verified_bytes, st.bad_order + st.bad_data, st.missing,
		st.next_folios, st.next_bytes, st.error ? "; error: " : "",
		st.error ?: "");
	return 0;
}
late_initcall(test_kho_init);
