// SPDX-License-Identifier: GPL-2.0
/*
 * seeds.c - build the fuzz target's seed corpus with the real tracker and
 * state tree code: valid handovers of several shapes laid out in the fake
 * physical memory, plus one damaged copy of each.
 *
 *   seeds DIR
 *   seeds --regress DIR	(re)build the crafted inputs of regress/
 */
#include <sys/stat.h>

#include "kho_fuzz.h"

void *(*shim_page_hook)(void);
long shim_alloc_fail_after = -1;
long shim_pages_allocated;
uintptr_t shim_phys_offset;

static unsigned char *ram;
static unsigned int next_page;

static void *fake_page(void)
{
	void *p;

	if (next_page >= FAKE_PAGES / 2)
		return NULL;
	p = ram + next_page++ * PAGE_SIZE;
	memset(p, 0, PAGE_SIZE);
	return p;
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

/* The fake RAM as an input, its state tree at @root, one scratch area. */
static void write_seed(const char *dir, const char *name, phys_addr_t root)
{
	struct kho_setup_data sd = {
		.magic = KHO_SETUP_MAGIC,
		.version = KHO_SETUP_VERSION,
		.nr_scratch = 1,
		.root = root,
		.scratch[0] = {
			.addr = FAKE_BASE + (FAKE_PAGES / 2 - 4) * PAGE_SIZE,
			.size = 2 * PAGE_SIZE,
		},
	};
	FILE *f = open_in(dir, name);

	fwrite(&sd, sizeof(sd), 1, f);
	fwrite(ram, PAGE_SIZE, FAKE_PAGES, f);
	fclose(f);
}

/* One handover: @nblocks blocks of orders up to @max_order. */
static void build(const char *dir, const char *name, unsigned int nblocks,
		  unsigned int max_order, unsigned int seed)
{
	struct kho_tracker t;
	struct kho_tree tree;
	struct rnd_state rnd;
	unsigned long pfn, base = PHYS_PFN(FAKE_BASE) + FAKE_PAGES / 2;
	unsigned int i;
	char dname[128];

	memset(ram, 0, FAKE_PAGES * PAGE_SIZE);
	next_page = 0;
	prandom_seed_state(&rnd, seed);
	if (kho_tracker_init(&t, NR_PAGE_ORDERS) ||
	    kho_tree_init(&tree, virt_to_phys(t.root)))
		exit(1);
	/* blocks in the upper half, clear of the nodes and the "kernel" */
	for (i = 0; i < nblocks; i++) {
		unsigned int o = prandom_u32_state(&rnd) % (max_order + 1);

		pfn = base + prandom_u32_state(&rnd) % (FAKE_PAGES / 2 - 1);
		pfn &= ~((1UL << o) - 1);
		if (pfn < base || pfn + (1UL << o) > PHYS_PFN(FAKE_BASE) +
		    FAKE_PAGES - 1 || kho_tracker_lookup(&t, pfn, NULL) >= 0)
			continue;
		kho_tracker_set(&t, pfn, o);
	}
	kho_tree_add(&tree, "test-kho", FAKE_BASE + 5 * PAGE_SIZE, 100);
	write_seed(dir, name, virt_to_phys(tree.fdt));
	/* the same with a damaged tracker table */
	if (t.root->top[0]) {
		u64 *table = phys_to_virt(t.root->top[0] & ~KHO_HEIGHT_MASK);

		table[1] = t.root->top[0] & ~KHO_HEIGHT_MASK;
		snprintf(dname, sizeof(dname), "%s-cycle", name);
		write_seed(dir, dname, virt_to_phys(tree.fdt));
	}
}

/*
 * A block of order 11 (a 12th order: the kernel has 11) at a pfn whose
 * physical address wraps past 2^64 onto 8 MiB, in a height-3 tree: the
 * range check saw ordinary RAM and the scan of the validator's "seen"
 * bitmap then ran 2^52 bits past its end.
 */
static void regress_wrapped_pfn(const char *dir)
{
	struct kho_tracker t;
	struct kho_tree tree;

	memset(ram, 0, FAKE_PAGES * PAGE_SIZE);
	next_page = 0;
	if (kho_tracker_init(&t, NR_PAGE_ORDERS + 1) ||
	    kho_tree_init(&tree, virt_to_phys(t.root)))
		exit(1);
	t.max_pfn = ULONG_MAX;	/* a sane kernel would not set it */
	if (kho_tracker_set(&t, (1UL << 52) + (1UL << NR_PAGE_ORDERS),
			    NR_PAGE_ORDERS))
		exit(1);
	write_seed(dir, "wrapped-pfn", virt_to_phys(tree.fdt));
}

/*
 * A capture whose order-0 table names the state tree's page as its leaf:
 * the FDT's bytes become preserved blocks below 16 MiB, and the page
 * would be both the state tree and a tracker page (freed with the
 * tracker while clients still read their subtrees). Laid out at 64 MiB,
 * with RAM from 0 to 128 MiB, so that every block the FDT makes is in
 * RAM and clear of the tracker.
 */
static void regress_tree_is_leaf(const char *dir)
{
	const phys_addr_t base = 64ULL << 20, top = 128ULL << 20;
	struct kho_capture c = { .magic = KHO_CAPTURE_MAGIC, .nr_ram = 1 };
	struct kho_tracker t;
	struct kho_tree tree;
	u64 range[2] = { 0, top }, phys, *table;
	unsigned int i;
	FILE *f;

	memset(ram, 0, FAKE_PAGES * PAGE_SIZE);
	next_page = 0;
	shim_phys_offset = base - (uintptr_t)ram;
	if (kho_tracker_init(&t, NR_PAGE_ORDERS) ||
	    kho_tree_init(&tree, virt_to_phys(t.root)) ||
	    kho_tracker_set(&t, PHYS_PFN(base) + FAKE_PAGES, 0))
		exit(1);
	table = phys_to_virt(t.root->top[0] & ~KHO_HEIGHT_MASK);
	table[0] = virt_to_phys(tree.fdt);
	c.nr_pages = next_page;
	c.kernel_start = 96ULL << 20;
	c.kernel_end = c.kernel_start + PAGE_SIZE;
	c.sd.magic = KHO_SETUP_MAGIC;
	c.sd.version = KHO_SETUP_VERSION;
	c.sd.nr_scratch = 1;
	c.sd.root = virt_to_phys(tree.fdt);
	c.sd.scratch[0].addr = 96ULL << 20;
	c.sd.scratch[0].size = 2ULL << 20;
	f = open_in(dir, "tracker-leaf-is-state-tree");
	fwrite(&c, sizeof(c), 1, f);
	fwrite(range, sizeof(range), 1, f);
	for (i = 0; i < next_page; i++) {
		phys = base + i * PAGE_SIZE;
		fwrite(&phys, sizeof(phys), 1, f);
		fwrite(ram + i * PAGE_SIZE, PAGE_SIZE, 1, f);
	}
	fclose(f);
	shim_phys_offset = FAKE_BASE - (uintptr_t)ram;
}

int main(int argc, char **argv)
{
	bool regress = argc == 3 && !strcmp(argv[1], "--regress");

	if (argc != 2 && !regress) {
		fprintf(stderr, "usage: seeds [--regress] DIR\n");
		return 2;
	}
	mkdir(argv[argc - 1], 0755);
	ram = aligned_alloc(PAGE_SIZE, FAKE_PAGES * PAGE_SIZE);
	shim_phys_offset = FAKE_BASE - (uintptr_t)ram;
	shim_page_hook = fake_page;
	if (regress) {
		regress_wrapped_pfn(argv[2]);
		regress_tree_is_leaf(argv[2]);
		return 0;
	}
	build(argv[1], "empty", 0, 0, 1);
	build(argv[1], "order0", 12, 0, 2);
	build(argv[1], "mixed", 10, 3, 3);
	build(argv[1], "dense", 40, 1, 4);
	return 0;
}
