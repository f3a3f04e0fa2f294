// SPDX-License-Identifier: GPL-2.0
/*
 * input.c - one fuzz input through the incoming kernel's validator
 * (linux/kernel/kho/validate.c, the same source the kernel runs), over a
 * fake physical memory. Shared by the libFuzzer target and the replay
 * tool.
 *
 * Two input formats:
 *
 * - Synthetic: a struct kho_setup_data, then up to FAKE_PAGES pages at
 *   physical address FAKE_BASE, the start of FAKE_RAM bytes of "RAM"
 *   that read as zeros beyond them; the last input page is "the kernel".
 *   When the setup data is invalid, the state tree is taken at FAKE_BASE
 *   anyway, so the fuzzer reaches the FDT and tracker checks without
 *   guessing magics. Built by seeds.c.
 * - Capture (struct kho_capture, from debugfs kho/out/capture in the VM):
 *   RAM ranges, the kernel image, the setup data and the pages the
 *   validator reads, at their real physical addresses below CAP_SPAN.
 *   The rest of that span reads as zeros (one lazily backed mapping).
 *   When the setup data is invalid, the first page record is the root.
 *
 * A handover the validator accepts is then walked the way the kernel
 * applies it (every block, every tracker page, lookups): none of that
 * may read outside the fake RAM, which ASan would report. The walk also
 * checks, independently of the validator, what the kernel relies on:
 * every block below max_pfn and in RAM, every tracker page used once and
 * not the state tree's page, no block over a tracker page. A violation
 * aborts with its reason, so the fuzzer reports it as a crash.
 */
#include <sys/mman.h>

#include "kho_fuzz.h"

void *(*shim_page_hook)(void);
long shim_alloc_fail_after = -1;
long shim_pages_allocated;
uintptr_t shim_phys_offset;

#define CAP_SPAN	(8ULL << 30)	/* captures: RAM below 8 GiB */
#define CAP_MAX_PFN	(CAP_SPAN >> PAGE_SHIFT)

struct fake {
	struct kho_setup_data sd;
	bool sd_valid;
	unsigned int nr_ram;
	u64 ram[KHO_CAPTURE_MAX_RAM][2];
	u64 kernel[2];
};

static unsigned char *small;	/* synthetic: FAKE_RAM at FAKE_BASE */
static unsigned char *span;	/* capture: [0, CAP_SPAN) */
static bool span_dirty;		/* capture pages to drop after the run */
static struct fake fk;

static bool is_ram(phys_addr_t start, phys_addr_t size, void *ctx)
{
	unsigned int i;

	if (start + size < start)
		return false;
	for (i = 0; i < fk.nr_ram; i++)
		if (start >= fk.ram[i][0] && start + size <= fk.ram[i][1])
			return true;
	return false;
}

static bool region_ok(phys_addr_t start, phys_addr_t size, void *ctx)
{
	unsigned int i;

	if (!is_ram(start, size, ctx))
		return false;
	if (start < fk.kernel[1] && fk.kernel[0] < start + size)
		return false;
	for (i = 0; fk.sd_valid && i < fk.sd.nr_scratch; i++)
		if (start < fk.sd.scratch[i].addr + fk.sd.scratch[i].size &&
		    fk.sd.scratch[i].addr < start + size)
			return false;
	return true;
}

/* What an accepted handover's walk checks; see the top of the file. */
struct walk {
	unsigned long sum;		/* keeps the reads */
	unsigned long max_pfn;
	unsigned long root_pfn;		/* the state tree's page */
	unsigned long *nodes;		/* tracker pages met so far */
};

static void broken(const char *why, unsigned long pfn)
{
	fprintf(stderr, "accepted handover breaks an invariant: %s (pfn %#lx)\n",
		why, pfn);
	abort();
}

static int count_blk(unsigned long pfn, unsigned int order, void *arg)
{
	struct walk *w = arg;
	unsigned long end = pfn + (1UL << order);
	unsigned char *p;

	if (pfn >= w->max_pfn || end > w->max_pfn ||
	    !is_ram(PFN_PHYS(pfn), PAGE_SIZE << order, NULL))
		broken("preserved block outside RAM", pfn);
	if (find_next_bit(w->nodes, end, pfn) < end)
		broken("preserved block over a tracker page", pfn);
	/* the kernel reserves or skips these pages: touch both ends */
	p = phys_to_virt(PFN_PHYS(pfn));
	w->sum += p[0] + p[(PAGE_SIZE << order) - 1];
	return 0;
}

static int count_node(phys_addr_t phys, void *arg)
{
	struct walk *w = arg;
	unsigned long pfn = PHYS_PFN(phys);

	if (pfn >= w->max_pfn || !is_ram(phys, PAGE_SIZE, NULL))
		broken("tracker page outside RAM", pfn);
	if (pfn == w->root_pfn)
		broken("tracker page is the state tree page", pfn);
	if (__test_and_set_bit(pfn, w->nodes))
		broken("tracker page used twice", pfn);
	w->sum += *(unsigned char *)phys_to_virt(phys);
	return 0;
}

static void load_synthetic(const uint8_t *data, size_t size,
			   phys_addr_t *root, unsigned long *max_pfn)
{
	size_t n;

	if (!small) {
		/* never written beyond the input pages: stays unbacked */
		small = mmap(NULL, FAKE_RAM, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (small == MAP_FAILED)
			abort();
	}
	shim_phys_offset = FAKE_BASE - (uintptr_t)small;
	memset(small, 0, FAKE_PAGES * PAGE_SIZE);
	n = size < sizeof(fk.sd) ? size : sizeof(fk.sd);
	memcpy(&fk.sd, data, n);
	data += n;
	size -= n;
	memcpy(small, data, size < FAKE_PAGES * PAGE_SIZE ? size :
			    FAKE_PAGES * PAGE_SIZE);
	fk.nr_ram = 1;
	fk.ram[0][0] = FAKE_BASE;
	fk.ram[0][1] = FAKE_BASE + FAKE_RAM;
	fk.kernel[0] = FAKE_BASE + (FAKE_PAGES - 1) * PAGE_SIZE;
	fk.kernel[1] = FAKE_BASE + FAKE_PAGES * PAGE_SIZE;
	*root = FAKE_BASE;
	*max_pfn = FAKE_MAX_PFN;
}

static void load_capture(const uint8_t *data, size_t size,
			 phys_addr_t *root, unsigned long *max_pfn)
{
	struct kho_capture c;
	unsigned int i;
	u64 end = 0;

	if (!span) {
		span = mmap(NULL, CAP_SPAN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (span == MAP_FAILED)
			abort();
	}
	shim_phys_offset = -(uintptr_t)span;
	memcpy(&c, data, sizeof(c));
	data += sizeof(c);
	size -= sizeof(c);
	fk.sd = c.sd;
	/*
	 * The kernel that validates is the next one, loaded into scratch:
	 * model it at the start of the first area it fits in, as kexec
	 * places it (the first area if none is large enough). The capturing
	 * kernel's own image is no guide: its freed init memory may hold
	 * preserved pages (with KASLR it lies anywhere).
	 */
	fk.kernel[0] = c.sd.nr_scratch ? c.sd.scratch[0].addr : c.kernel_start;
	for (i = 0; i < c.sd.nr_scratch && i < KHO_MAX_SCRATCH; i++) {
		if (c.sd.scratch[i].size >= c.kernel_end - c.kernel_start) {
			fk.kernel[0] = c.sd.scratch[i].addr;
			break;
		}
	}
	fk.kernel[1] = fk.kernel[0] + (c.kernel_end - c.kernel_start);
	for (i = 0; i < c.nr_ram && i < KHO_CAPTURE_MAX_RAM &&
	     size >= 16; i++, data += 16, size -= 16) {
		memcpy(fk.ram[fk.nr_ram], data, 16);
		/* clip to the backed span */
		if (fk.ram[fk.nr_ram][1] > CAP_SPAN)
			fk.ram[fk.nr_ram][1] = CAP_SPAN;
		if (fk.ram[fk.nr_ram][0] >= fk.ram[fk.nr_ram][1])
			continue;
		if (fk.ram[fk.nr_ram][1] > end)
			end = fk.ram[fk.nr_ram][1];
		fk.nr_ram++;
	}
	*root = 0;
	for (i = 0; i < c.nr_pages && size >= 8 + PAGE_SIZE;
	     i++, data += 8 + PAGE_SIZE, size -= 8 + PAGE_SIZE) {
		u64 phys;

		memcpy(&phys, data, 8);
		if (phys & (PAGE_SIZE - 1) || phys >= CAP_SPAN)
			continue;
		if (!*root)
			*root = phys;
		memcpy(span + phys, data + 8, PAGE_SIZE);
		span_dirty = true;
	}
	*max_pfn = PHYS_PFN(end);
}

/**
 * kho_fuzz_one() - validate one input and, if accepted, walk it
 * @data: the input
 * @size: its size
 * @res: filled with what an accepted handover holds
 *
 * Return: NULL if the validator accepted the handover, else its reason.
 */
const char *kho_fuzz_one(const uint8_t *data, size_t size,
			 struct kho_validate_result *res)
{
	static unsigned long seen[BITS_TO_LONGS_FUZZ(CAP_MAX_PFN)];
	static unsigned long nodes[BITS_TO_LONGS_FUZZ(CAP_MAX_PFN)];
	struct walk w = { .nodes = nodes };
	struct kho_validate_ops ops = {
		.is_ram = is_ram, .region_ok = region_ok,
		.seen = seen, .scratch_order = 0,
	};
	struct kho_tracker t;
	unsigned long start, end, pfn, n;
	phys_addr_t root;
	const char *why;
	u64 magic = 0;

	memset(&fk, 0, sizeof(fk));
	memcpy(&magic, data, size < 8 ? size : 8);
	if (magic == KHO_CAPTURE_MAGIC && size >= sizeof(struct kho_capture))
		load_capture(data, size, &root, &ops.max_pfn);
	else
		load_synthetic(data, size, &root, &ops.max_pfn);
	memset(seen, 0, BITS_TO_LONGS_FUZZ(ops.max_pfn) * sizeof(long));

	fk.sd_valid = !kho_validate_setup(&fk.sd, &ops);
	if (fk.sd_valid)
		root = fk.sd.root;
	why = kho_validate_handover(root, &ops, &t, res);
	if (!why) {
		w.max_pfn = ops.max_pfn;
		w.root_pfn = PHYS_PFN(root);
		memset(nodes, 0, BITS_TO_LONGS_FUZZ(ops.max_pfn) * sizeof(long));
		kho_tracker_walk_nodes(&t, count_node, &w);
		kho_tracker_walk(&t, 0, count_blk, &w);
		/* as in bitmap mode: hints, then runs in order while freeing */
		kho_tracker_set_hints(&t);
		for (pfn = 0, n = 0; pfn < ops.max_pfn && n < 4096; n++) {
			start = kho_tracker_next_block(&t, pfn, &end);
			if (start == ULONG_MAX || end <= pfn)
				break;
			kho_tracker_lookup(&t, start, NULL);
			pfn = end;
		}
	}
	/* drop the capture's pages and whatever the walk mapped */
	if (span_dirty)
		madvise(span, CAP_SPAN, MADV_DONTNEED);
	span_dirty = false;
	if (w.sum == 0x12345678)	/* keep the reads */
		abort();
	return why;
}
