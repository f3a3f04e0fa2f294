// SPDX-License-Identifier: GPL-2.0
/*
 * seeds.c - build the fuzz target's seed corpus with the real tracker and
 * state tree code: valid handovers of several shapes laid out in the fake
 * physical memory, plus one damaged copy of each.
 *
 *   seeds DIR
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

static void write_seed(const char *dir, const char *name,
		       const struct kho_setup_data *sd)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(sd, sizeof(*sd), 1, f);
	fwrite(ram, PAGE_SIZE, FAKE_PAGES, f);
	fclose(f);
}

/* One handover: @nblocks blocks of orders up to @max_order. */
static void build(const char *dir, const char *name, unsigned int nblocks,
		  unsigned int max_order, unsigned int seed)
{
	struct kho_setup_data sd = { 0 };
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
	sd.magic = KHO_SETUP_MAGIC;
	sd.version = KHO_SETUP_VERSION;
	sd.nr_scratch = 1;
	sd.root = virt_to_phys(tree.fdt);
	sd.scratch[0].addr = FAKE_BASE + (FAKE_PAGES / 2 - 4) * PAGE_SIZE;
	sd.scratch[0].size = 2 * PAGE_SIZE;
	write_seed(dir, name, &sd);
	/* the same with a damaged tracker table */
	if (t.root->top[0]) {
		u64 *table = phys_to_virt(t.root->top[0] & ~KHO_HEIGHT_MASK);

		table[1] = t.root->top[0] & ~KHO_HEIGHT_MASK;
		snprintf(dname, sizeof(dname), "%s-cycle", name);
		write_seed(dir, dname, &sd);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	mkdir(argv[1], 0755);
	ram = aligned_alloc(PAGE_SIZE, FAKE_PAGES * PAGE_SIZE);
	shim_phys_offset = FAKE_BASE - (uintptr_t)ram;
	shim_page_hook = fake_page;
	build(argv[1], "empty", 0, 0, 1);
	build(argv[1], "order0", 12, 0, 2);
	build(argv[1], "mixed", 10, 3, 3);
	build(argv[1], "dense", 40, 1, 4);
	return 0;
}
