// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_handover.c - libFuzzer target: arbitrary handovers through the
 * incoming kernel's validator (linux/kernel/kho/validate.c, the same
 * source the kernel runs), over a fake physical memory.
 *
 * Input: a struct kho_setup_data, then up to FAKE_PAGES pages of "RAM"
 * at physical address FAKE_BASE. The last page is "the kernel". When the
 * setup data is invalid, the state tree is taken at FAKE_BASE anyway, so
 * the fuzzer reaches the FDT and tracker checks without guessing magics.
 * A handover the validator accepts is then walked the way the kernel
 * applies it (every block, every tracker page, lookups): none of that
 * may read outside the fake RAM, which ASan would report.
 */
#include "kho_fuzz.h"

void *(*shim_page_hook)(void);
long shim_alloc_fail_after = -1;
long shim_pages_allocated;
uintptr_t shim_phys_offset;

static unsigned char *ram;
static struct kho_setup_data sd;
static bool sd_valid;

static bool is_ram(phys_addr_t start, phys_addr_t size, void *ctx)
{
	return start >= FAKE_BASE && start + size >= start &&
	       start + size <= FAKE_BASE + FAKE_PAGES * PAGE_SIZE;
}

static bool region_ok(phys_addr_t start, phys_addr_t size, void *ctx)
{
	phys_addr_t kernel = FAKE_BASE + (FAKE_PAGES - 1) * PAGE_SIZE;
	unsigned int i;

	if (!is_ram(start, size, ctx) || start + size > kernel)
		return false;
	for (i = 0; sd_valid && i < sd.nr_scratch; i++)
		if (start < sd.scratch[i].addr + sd.scratch[i].size &&
		    sd.scratch[i].addr < start + size)
			return false;
	return true;
}

static int count_blk(unsigned long pfn, unsigned int order, void *arg)
{
	unsigned char *p = phys_to_virt(PFN_PHYS(pfn));

	/* the kernel reserves or skips these pages: touch both ends */
	*(unsigned long *)arg += p[0] + p[(PAGE_SIZE << order) - 1];
	return 0;
}

static int count_node(phys_addr_t phys, void *arg)
{
	*(unsigned long *)arg += *(unsigned char *)phys_to_virt(phys);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long seen[BITS_TO_LONGS_FUZZ(FAKE_MAX_PFN)];
	struct kho_validate_ops ops = {
		.is_ram = is_ram, .region_ok = region_ok,
		.max_pfn = FAKE_MAX_PFN, .seen = seen, .scratch_order = 0,
	};
	struct kho_validate_result res;
	struct kho_tracker t;
	unsigned long sum = 0, end, pfn;
	phys_addr_t root = FAKE_BASE;
	size_t n;

	if (!ram) {
		ram = aligned_alloc(PAGE_SIZE, FAKE_PAGES * PAGE_SIZE);
		shim_phys_offset = FAKE_BASE - (uintptr_t)ram;
	}
	memset(ram, 0, FAKE_PAGES * PAGE_SIZE);
	memset(seen, 0, sizeof(seen));
	memset(&sd, 0, sizeof(sd));
	n = size < sizeof(sd) ? size : sizeof(sd);
	memcpy(&sd, data, n);
	data += n;
	size -= n;
	memcpy(ram, data, size < FAKE_PAGES * PAGE_SIZE ? size :
			  FAKE_PAGES * PAGE_SIZE);

	sd_valid = !kho_validate_setup(&sd, &ops);
	if (sd_valid)
		root = sd.root;
	if (kho_validate_handover(root, &ops, &t, &res))
		return 0;
	kho_tracker_walk(&t, 0, count_blk, &sum);
	kho_tracker_walk_nodes(&t, count_node, &sum);
	for (pfn = PHYS_PFN(FAKE_BASE); pfn < FAKE_MAX_PFN; pfn += 7) {
		kho_tracker_lookup(&t, pfn, NULL);
		kho_tracker_next_block(&t, pfn, &end);
	}
	return sum == 0x12345678 ? 1 : 0;	/* keep the reads */
}
