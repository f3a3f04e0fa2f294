// SPDX-License-Identifier: GPL-2.0
/*
 * tracker_bench.c - user-space benchmark of KHO's preservation tracker.
 *
 * Measures linux/kernel/kho/tracker.c, built as is through the unit tests'
 * shim, on three workloads: a random half of the order-0 pages of 16 GiB
 * and of 48 GiB, preserved in random order, and a random tiling of 16 GiB
 * with blocks of order 0..10, about half of them preserved. For each it
 * reports the preserve cost (kho_tracker_set, amortised, best of 3 runs
 * on fresh trackers), the walk cost, the tracker's own memory against the
 * bitmap bound (one bit per 4 KiB page of the address space) and the work
 * left for kexec time (reading the root's address).
 *
 * Beside it, on the same blocks, two reference designs from the seeds,
 * implemented here only: the FDT "mem" property of sorted 16-byte
 * {addr, len} pairs (seed 000), and the chunk list of 512-byte bitmaps of
 * the v5 series (seed 002), whose bitmaps are collected at preserve time
 * and serialised into a linked list of pages at kexec time.
 */
#include <time.h>

#include "kho_shim.h"
#include "internal.h"

long shim_alloc_fail_after = -1;
long shim_pages_allocated;
uintptr_t shim_phys_offset;

#define RUNS		3
#define SEED		0x4b484f42454e4348ULL	/* "KHOBENCH" */
#define PUBLISH_LOOPS	1000000
#define TARGET_RATIO	1.02
#define TARGET_NS	10.0

/* A block is stored as pfn << 6 | order, which also sorts by pfn. */
#define BLK(pfn, order)	((u64)(pfn) << 6 | (order))
#define BLK_PFN(b)	((unsigned long)((b) >> 6))
#define BLK_ORDER(b)	((unsigned int)((b) & 63))

/* the shim's allocation hook (tests set it to fail allocations); unused here */
void *(*shim_page_hook)(void);

static u64 rng_state;

/* splitmix64: a fixed seed gives the same workload on every machine. */
static u64 rng_next(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 rng_below(u64 n)
{
	return (u64)(((__uint128_t)rng_next() * n) >> 64);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, long err)
{
	fprintf(stderr, "tracker_bench: %s failed (%ld)\n", what, err);
	exit(1);
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		die("malloc", (long)size);
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("calloc", (long)(n * size));
	return p;
}

struct workload {
	const char *name;
	unsigned long space;		/* address space, in 4 KiB pages */
	bool mixed;
	u64 *blk;			/* blocks, in preserve order */
	unsigned long nr;
	unsigned long pages;		/* pages they cover */
	unsigned long per_order[NR_PAGE_ORDERS];
};

struct result {
	const char *design;
	u64 mem;			/* bytes describing the preserved set */
	double preserve_ns;		/* best run, all blocks */
	double publish_ns;		/* work at kexec time */
};

static void add_block(struct workload *w, unsigned long pfn,
		      unsigned int order)
{
	w->blk[w->nr++] = BLK(pfn, order);
	w->pages += 1UL << order;
	w->per_order[order]++;
}

static void make_workload(struct workload *w)
{
	unsigned long pfn, i;
	u64 bits = 0;

	rng_state = SEED;
	w->blk = xmalloc(w->space * sizeof(*w->blk));
	if (!w->mixed) {
		for (pfn = 0; pfn < w->space; pfn++) {
			if (!(pfn & 63))
				bits = rng_next();
			if ((bits >> (pfn & 63)) & 1)
				add_block(w, pfn, 0);
		}
	} else {
		/* Naturally aligned blocks of random order tile the space. */
		for (pfn = 0; pfn < w->space; ) {
			unsigned int order = rng_below(NR_PAGE_ORDERS);

			while (order && (pfn & ((1UL << order) - 1)))
				order--;
			if (rng_next() & 1)
				add_block(w, pfn, order);
			pfn += 1UL << order;
		}
	}
	/* Fisher-Yates: preserve in random order, not ascending. */
	for (i = w->nr - 1; i > 0; i--) {
		unsigned long j = rng_below(i + 1);
		u64 tmp = w->blk[i];

		w->blk[i] = w->blk[j];
		w->blk[j] = tmp;
	}
}

/* ---- The tracker (linux/kernel/kho/tracker.c) ---- */

static int count_node(phys_addr_t phys, void *arg)
{
	(void)phys;
	(*(unsigned long *)arg)++;
	return 0;
}

struct walk_state {
	unsigned long next_pfn;
	unsigned long blocks;
	unsigned long pages;
};

static int walk_block(unsigned long pfn, unsigned int order, void *arg)
{
	struct walk_state *ws = arg;

	if (pfn < ws->next_pfn)
		return -EINVAL;	/* overlapping or not ascending */
	ws->next_pfn = pfn + (1UL << order);
	ws->blocks++;
	ws->pages += 1UL << order;
	return 0;
}

static void bench_tracker(const struct workload *w, struct result *r,
			  double *walk_ns)
{
	struct kho_tracker t = { };
	unsigned long i, nodes = 0;
	phys_addr_t sum = 0;
	int run, err = 0;
	u64 t0, t1;

	r->design = "KHO tracker (tracker.c)";
	r->preserve_ns = 1e30;
	for (run = 0; run < RUNS; run++) {
		if (t.root)
			kho_tracker_destroy(&t);
		err = kho_tracker_init(&t, NR_PAGE_ORDERS);
		if (err)
			die("kho_tracker_init", err);
		t0 = now_ns();
		for (i = 0; i < w->nr; i++) {
			err = kho_tracker_set(&t, BLK_PFN(w->blk[i]),
					      BLK_ORDER(w->blk[i]));
			if (err)
				break;
		}
		t1 = now_ns();
		if (err)
			die("kho_tracker_set", err);
		if (t1 - t0 < r->preserve_ns)
			r->preserve_ns = t1 - t0;
	}

	err = kho_tracker_walk_nodes(&t, count_node, &nodes);
	if (err || (long)nodes != shim_pages_allocated)
		die("kho_tracker_walk_nodes", err ? err : (long)nodes);
	r->mem = (u64)nodes * KHO_NODE_SIZE;

	*walk_ns = 1e30;
	for (run = 0; run < RUNS; run++) {
		struct walk_state ws = { };

		t0 = now_ns();
		err = kho_tracker_walk(&t, 0, walk_block, &ws);
		t1 = now_ns();
		if (err || ws.blocks != w->nr || ws.pages != w->pages)
			die("kho_tracker_walk", err ? err : (long)ws.blocks);
		if (t1 - t0 < *walk_ns)
			*walk_ns = t1 - t0;
	}

	/* Publishing the map at kexec time is reading one address. */
	t0 = now_ns();
	for (i = 0; i < PUBLISH_LOOPS; i++)
		sum += kho_tracker_root_phys(&t);
	t1 = now_ns();
	if (sum != PUBLISH_LOOPS * virt_to_phys(t.root))
		die("kho_tracker_root_phys", 0);
	r->publish_ns = (double)(t1 - t0) / PUBLISH_LOOPS;

	kho_tracker_destroy(&t);
	if (shim_pages_allocated)
		die("tracker page leak", shim_pages_allocated);
}

/* ---- Reference 1: FDT "mem" property, sorted {addr, len} (seed 000) ---- */

struct fdt_range {
	u64 addr;
	u64 len;
};

struct blk_list {
	u64 *v;
	unsigned long nr;
	unsigned long cap;
};

static inline void blk_list_add(struct blk_list *l, u64 b)
{
	if (l->nr == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die("realloc", (long)l->cap);
	}
	l->v[l->nr++] = b;
}

#define RADIX_BITS	11
#define RADIX_SIZE	(1UL << RADIX_BITS)

/* LSD radix sort of @n keys below 2^@bits; returns @a or @tmp. */
static u64 *radix_sort(u64 *a, u64 *tmp, unsigned long n, unsigned int bits)
{
	static unsigned long cnt[RADIX_SIZE];
	unsigned int shift;
	unsigned long i;

	for (shift = 0; shift < bits; shift += RADIX_BITS) {
		unsigned long sum = 0;
		u64 *swap;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(a[i] >> shift) & (RADIX_SIZE - 1)]++;
		for (i = 0; i < RADIX_SIZE; i++) {
			unsigned long c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[cnt[(a[i] >> shift) & (RADIX_SIZE - 1)]++] = a[i];
		swap = a;
		a = tmp;
		tmp = swap;
	}
	return a;
}

static void bench_fdt_pairs(const struct workload *w, struct result *r)
{
	unsigned int key_bits = ilog2(w->space) + 1 + 6;
	unsigned long i, nr_ranges = 0;
	int run;

	r->design = "FDT addr/len pairs (seed 000)";
	r->preserve_ns = 1e30;
	r->publish_ns = 1e30;
	for (run = 0; run < RUNS; run++) {
		struct blk_list l = { };
		struct fdt_range *ranges;
		u64 *tmp, *sorted, bytes = 0;
		u64 t0, t1, t2;

		/* Preserve: the client remembers the block. */
		t0 = now_ns();
		for (i = 0; i < w->nr; i++)
			blk_list_add(&l, w->blk[i]);
		t1 = now_ns();

		/* Kexec time: sort, merge adjacent blocks, emit pairs. */
		tmp = xmalloc(l.nr * sizeof(*tmp));
		ranges = xmalloc(l.nr * sizeof(*ranges));
		sorted = radix_sort(l.v, tmp, l.nr, key_bits);
		nr_ranges = 0;
		for (i = 0; i < l.nr; ) {
			unsigned long start = BLK_PFN(sorted[i]);
			unsigned long end = start + (1UL << BLK_ORDER(sorted[i]));

			for (i++; i < l.nr && BLK_PFN(sorted[i]) == end; i++)
				end += 1UL << BLK_ORDER(sorted[i]);
			ranges[nr_ranges].addr = (u64)start << PAGE_SHIFT;
			ranges[nr_ranges].len = (u64)(end - start) << PAGE_SHIFT;
			nr_ranges++;
		}
		t2 = now_ns();

		for (i = 0; i < nr_ranges; i++)
			bytes += ranges[i].len;
		if (bytes != (u64)w->pages << PAGE_SHIFT)
			die("fdt pairs check", (long)nr_ranges);
		if (t1 - t0 < r->preserve_ns)
			r->preserve_ns = t1 - t0;
		if (t2 - t1 < r->publish_ns)
			r->publish_ns = t2 - t1;
		free(ranges);
		free(tmp);
		free(l.v);
	}
	r->mem = (u64)nr_ranges * sizeof(struct fdt_range);
}

/* ---- Reference 2: v5 bitmaps serialised as a chunk list (seed 002) ---- */

#define V5_BITMAP_BYTES	512
#define V5_BITMAP_BITS	(V5_BITMAP_BYTES * 8)

/* Stand-in for the v5 xarray of bitmaps: a flat array, indexed by block. */
struct v5_order {
	unsigned long **bits;
	unsigned long nr_slots;
};

struct v5_chunk_hdr {
	u64 next;			/* phys of the next chunk, or 0 */
	u32 order;
	u32 num_elms;
};

struct v5_elm {
	u64 phys_start;
	u64 bitmap;			/* phys of a 512-byte bitmap */
};

#define V5_ELMS	((KHO_NODE_SIZE - sizeof(struct v5_chunk_hdr)) / \
		 sizeof(struct v5_elm))

struct v5_chunk {
	struct v5_chunk_hdr hdr;
	struct v5_elm elms[V5_ELMS];
};

static unsigned long *v5_bitmap(struct v5_order *o, unsigned long idx)
{
	if (idx >= o->nr_slots) {
		unsigned long n = o->nr_slots ? o->nr_slots : 64;

		while (n <= idx)
			n *= 2;
		o->bits = realloc(o->bits, n * sizeof(*o->bits));
		if (!o->bits)
			die("realloc", (long)n);
		memset(o->bits + o->nr_slots, 0,
		       (n - o->nr_slots) * sizeof(*o->bits));
		o->nr_slots = n;
	}
	if (!o->bits[idx])
		o->bits[idx] = xcalloc(1, V5_BITMAP_BYTES);
	return o->bits[idx];
}

static void bench_v5(const struct workload *w, struct result *r)
{
	unsigned long i, nr_bitmaps = 0, nr_chunks = 0, set = 0;
	unsigned int o;
	int run;

	r->design = "v5 bitmap chunk list (seed 002)";
	r->preserve_ns = 1e30;
	r->publish_ns = 1e30;
	for (run = 0; run < RUNS; run++) {
		struct v5_order ord[NR_PAGE_ORDERS] = { };
		struct v5_chunk *first = NULL, *cur = NULL, *next;
		u64 t0, t1, t2;

		/* Preserve: find or allocate the bitmap, set the bit. */
		t0 = now_ns();
		for (i = 0; i < w->nr; i++) {
			unsigned int order = BLK_ORDER(w->blk[i]);
			unsigned long b = BLK_PFN(w->blk[i]) >> order;
			unsigned long *bits;

			bits = v5_bitmap(&ord[order], b / V5_BITMAP_BITS);
			if (test_and_set_bit(b % V5_BITMAP_BITS, bits))
				die("v5 double preserve", (long)b);
		}
		t1 = now_ns();

		/* Kexec time: one element per bitmap, chunks per order. */
		nr_bitmaps = 0;
		nr_chunks = 0;
		for (o = 0; o < NR_PAGE_ORDERS; o++) {
			for (i = 0; i < ord[o].nr_slots; i++) {
				struct v5_elm *e;

				if (!ord[o].bits[i])
					continue;
				if (!cur || cur->hdr.order != o ||
				    cur->hdr.num_elms == V5_ELMS) {
					next = (void *)get_zeroed_page(GFP_KERNEL);
					if (!next)
						die("v5 chunk", 0);
					next->hdr.order = o;
					if (cur)
						cur->hdr.next = virt_to_phys(next);
					else
						first = next;
					cur = next;
					nr_chunks++;
				}
				e = &cur->elms[cur->hdr.num_elms++];
				e->phys_start = (u64)i * V5_BITMAP_BITS <<
						(o + PAGE_SHIFT);
				e->bitmap = virt_to_phys(ord[o].bits[i]);
				nr_bitmaps++;
			}
		}
		t2 = now_ns();

		/* Check the list, as the next kernel would read it. */
		set = 0;
		for (cur = first; cur; cur = next) {
			for (i = 0; i < cur->hdr.num_elms; i++) {
				unsigned long *bits =
					phys_to_virt(cur->elms[i].bitmap);
				unsigned long k;

				for (k = 0; k < V5_BITMAP_BITS / BITS_PER_LONG;
				     k++)
					set += __builtin_popcountl(bits[k]);
			}
			next = cur->hdr.next ? phys_to_virt(cur->hdr.next) :
					       NULL;
			free_page((unsigned long)cur);
		}
		if (set != w->nr)
			die("v5 check", (long)set);
		for (o = 0; o < NR_PAGE_ORDERS; o++) {
			for (i = 0; i < ord[o].nr_slots; i++)
				free(ord[o].bits[i]);
			free(ord[o].bits);
		}
		if (t1 - t0 < r->preserve_ns)
			r->preserve_ns = t1 - t0;
		if (t2 - t1 < r->publish_ns)
			r->publish_ns = t2 - t1;
	}
	r->mem = (u64)nr_chunks * KHO_NODE_SIZE +
		 (u64)nr_bitmaps * V5_BITMAP_BYTES;
}

/* ---- Report ---- */

static const char *fmt_bytes(char *buf, size_t len, u64 bytes)
{
	if (bytes >= 10ULL << 20)
		snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
	else
		snprintf(buf, len, "%.1f KiB", bytes / 1024.0);
	return buf;
}

static const char *fmt_ns(char *buf, size_t len, double ns)
{
	if (ns >= 1e6)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else
		snprintf(buf, len, "%.1f ns", ns);
	return buf;
}

static bool all_met = true;

static void report_target(const char *what, bool met, const char *fmt,
			  double v)
{
	printf("  target %-40s %s (", what, met ? "PASS" : "MISS");
	printf(fmt, v);
	printf(")\n");
	if (!met)
		all_met = false;
}

static double run_workload(struct workload *w)
{
	u64 bound = w->space / 8;
	struct result r[3];
	double walk_ns, ns_blk, ns_page;
	char b1[32], b2[32];
	unsigned int o;
	int i;

	make_workload(w);
	printf("\n== %s ==\n", w->name);
	printf("  %lu blocks preserved, %lu pages (%.1f GiB of %.0f GiB)",
	       w->nr, w->pages, (double)w->pages / (1UL << 18),
	       (double)w->space / (1UL << 18));
	if (w->mixed) {
		printf("; blocks per order:");
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			printf(" %lu", w->per_order[o]);
	}
	printf("\n  bitmap bound: %s (one bit per 4 KiB page)\n",
	       fmt_bytes(b1, sizeof(b1), bound));

	bench_tracker(w, &r[0], &walk_ns);
	bench_fdt_pairs(w, &r[1]);
	bench_v5(w, &r[2]);

	printf("  %-32s %11s %8s %10s %9s %16s\n", "design", "memory",
	       "x bound", "ns/block", "ns/page", "kexec publish");
	for (i = 0; i < 3; i++)
		printf("  %-32s %11s %8.3f %10.2f %9.3f %16s\n", r[i].design,
		       fmt_bytes(b1, sizeof(b1), r[i].mem),
		       (double)r[i].mem / bound, r[i].preserve_ns / w->nr,
		       r[i].preserve_ns / w->pages,
		       fmt_ns(b2, sizeof(b2), r[i].publish_ns));
	printf("  tracker / reference (below 1: tracker better):\n");
	for (i = 1; i < 3; i++)
		printf("    vs %-32s memory %8.4f  preserve %6.3f  publish %.2e\n",
		       r[i].design, (double)r[0].mem / r[i].mem,
		       r[0].preserve_ns / r[i].preserve_ns,
		       r[0].publish_ns / r[i].publish_ns);
	printf("  tracker walk: %.1f ns/block (%s for all blocks)\n",
	       walk_ns / w->nr, fmt_ns(b1, sizeof(b1), walk_ns));
	if (w->mixed) {
		u64 per_order = 0;

		for (o = 0; o < NR_PAGE_ORDERS; o++)
			per_order += DIV_ROUND_UP(w->space >> o, 8);
		printf("  (one bitmap per order would need %s: tracker is %.3f x that)\n",
		       fmt_bytes(b1, sizeof(b1), per_order),
		       (double)r[0].mem / per_order);
	}

	ns_page = r[0].preserve_ns / w->pages;
	ns_blk = r[0].preserve_ns / w->nr;
	if (w->mixed)
		printf("  (per block the tracker takes %.2f ns: %s the 10 ns budget)\n",
		       ns_blk, ns_blk <= TARGET_NS ? "within" : "over");
	/* DESIGN.md states the memory target for random order-0 pages. */
	if (w->mixed)
		printf("  memory vs one-bit-per-page bound: %.4f (informational: the 1.02 target is for order-0 pages)\n",
		       (double)r[0].mem / bound);
	else
		report_target("tracker memory <= 1.02 x bitmap bound",
			      (double)r[0].mem / bound <= TARGET_RATIO, "%.4f",
			      (double)r[0].mem / bound);
	report_target("preserve <= 10 ns/page (amortised)",
		      ns_page <= TARGET_NS, "%.2f ns", ns_page);
	free(w->blk);
	return r[0].publish_ns;
}

int main(void)
{
	struct workload w[] = {
		{ .name = "(a) 16 GiB, random 50% of order-0 pages",
		  .space = 16UL << 18 },
		{ .name = "(b) 48 GiB, random 50% of order-0 pages",
		  .space = 48UL << 18 },
		{ .name = "(c) 16 GiB, random orders 0..10 tiling memory, ~50% preserved",
		  .space = 16UL << 18, .mixed = true },
	};
	double pub[ARRAY_SIZE(w)], lo = 1e30, hi = 0;
	unsigned int i;

	printf("KHO tracker benchmark: preserve best of %d runs on fresh trackers, seed %#llx\n",
	       RUNS, (unsigned long long)SEED);
	printf("kexec publish: tracker = kho_tracker_root_phys() per call (avg of %d);\n"
	       "  FDT pairs = sort + merge of the preserved blocks; v5 = serialise bitmaps into chunk pages\n",
	       PUBLISH_LOOPS);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		pub[i] = run_workload(&w[i]);
		if (pub[i] < lo)
			lo = pub[i];
		if (pub[i] > hi)
			hi = pub[i];
	}
	printf("\n== kexec-time publish, all workloads ==\n");
	report_target("tracker publish O(1) (max/min <= 2)", hi / lo <= 2.0,
		      "%.2f", hi / lo);
	printf("\nnotes: the references are favourable to themselves: FDT pairs\n"
	       "  use a radix sort and count neither the pfn list kept until\n"
	       "  kexec nor the copy into the FDT; v5 uses a flat array where\n"
	       "  the series has two xarrays, whose nodes are not counted.\n");
	printf("\n%s\n", all_met ? "all targets met" : "some targets MISSED");
	return 0;
}
