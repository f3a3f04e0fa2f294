// SPDX-License-Identifier: GPL-2.0
/*
 * inplace.c - load kexec segments straight into KHO scratch, so the
 * kexec reboot copies nothing.
 */

/**
 * DOC: Zero-copy kexec segments
 *
 * Stock kexec stages every segment of the next kernel in pages it
 * allocates anywhere, and relocate_kernel copies each page to its
 * destination in the reboot, with every CPU but one stopped and devices
 * shut down. With a 380 MiB initrd that copy is most of the blackout.
 *
 * With KHO the destinations are in scratch, whose pageblocks are
 * MIGRATE_CMA: only movable memory lives there, so the destination pages
 * themselves can be taken at load time with alloc_contig_range(), which
 * migrates whatever used them. The segment is then written straight into
 * its final place, and gets no entries in the image's relocation list:
 * relocate_kernel has nothing to copy for it.
 *
 * kexec_file_load() chooses the places: kho_place_segment() looks for a
 * range in scratch, outside the image's other segments, whose pageblocks
 * are all CMA and that holds no reserved page (in a kernel booted by a
 * handover, early allocations of the running kernel sit in scratch) and
 * takes it. kexec_load() gets the places from user space, and
 * kho_kimage_take_segments() tries to take exactly those before any
 * segment is loaded. A segment whose pages cannot be had (scratch too
 * fragmented or too busy) is loaded the stock way and copied in the
 * reboot; kho_kimage_report() says so in one line per load. The pages
 * taken belong to the image until it is unloaded, replaced or fails to
 * load: kho_kimage_release() gives them back.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/page-isolation.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "internal.h"

/* alloc_contig_range() attempts per segment: each may migrate first */
#define KHO_INPLACE_TRIES	8

/*
 * The first pfn in [@pfn, @end) that rules out taking a range holding it,
 * or @end: a hole, a pageblock (of the whole blocks alloc_contig_range()
 * isolates) that is not CMA, a reserved page, or a change of zone.
 */
static unsigned long first_unusable(unsigned long pfn, unsigned long end)
{
	unsigned long p = pageblock_start_pfn(pfn);
	unsigned long block_end = pageblock_align(end);
	struct zone *zone;

	if (!pfn_valid(pfn))
		return pfn;
	zone = page_zone(pfn_to_page(pfn));
	for (; p < block_end; p += pageblock_nr_pages) {
		if (!pfn_valid(p) || page_zone(pfn_to_page(p)) != zone ||
		    get_pageblock_migratetype(pfn_to_page(p)) != MIGRATE_CMA)
			return max(p, pfn);
	}
	for (p = pfn; p < end; p++) {
		if (!pfn_valid(p) || PageReserved(pfn_to_page(p)) ||
		    page_zone(pfn_to_page(p)) != zone)
			return p;
	}
	return end;
}

/* Take [@pfn, @pfn + @nr) for segment @idx of @image: 0 or an errno. */
static int take_range(struct kimage *image, unsigned int idx,
		      unsigned long pfn, unsigned long nr)
{
	int err;

	err = alloc_contig_range(pfn, pfn + nr, MIGRATE_CMA,
				 GFP_KERNEL | __GFP_NOWARN);
	if (err)
		return err;
	err = arch_kexec_post_alloc_pages(page_address(pfn_to_page(pfn)), nr,
					  0);
	if (err) {
		free_contig_range(pfn, nr);
		return err;
	}
	image->kho_inplace[idx].pfn = pfn;
	image->kho_inplace[idx].nr_pages = nr;
	return 0;
}

#ifdef CONFIG_KEXEC_FILE
/* The image segment overlapping [@start, @end), or NULL. */
static const struct kexec_segment *
overlapping_segment(const struct kimage *image, phys_addr_t start,
		    phys_addr_t end)
{
	unsigned long i;

	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *s = &image->segment[i];

		if (start < s->mem + s->memsz && s->mem < end)
			return s;
	}
	return NULL;
}

/*
 * Find and take room for @kbuf in [@lo, @hi] (inclusive), lowest first:
 * memblock allocated the running kernel's early data from the top.
 * Return: 0 when taken, -ENOSPC when no room, -EBUSY after too many
 * failed attempts, -EINTR on a fatal signal.
 */
static int place_in(struct kexec_buf *kbuf, phys_addr_t lo, phys_addr_t hi,
		    unsigned int *tries)
{
	unsigned long align = max_t(unsigned long, kbuf->buf_align, PAGE_SIZE);
	unsigned long size = ALIGN(kbuf->memsz, PAGE_SIZE);
	struct kimage *image = kbuf->image;
	phys_addr_t start = ALIGN(lo, align);
	const struct kexec_segment *seg;
	unsigned long pfn, bad;
	int err;

	while (start >= lo && start + size > start && start + size - 1 <= hi) {
		seg = overlapping_segment(image, start, start + size);
		if (seg) {
			start = ALIGN(seg->mem + seg->memsz, align);
			continue;
		}
		pfn = PHYS_PFN(start);
		bad = first_unusable(pfn, pfn + PHYS_PFN(size));
		if (bad < pfn + PHYS_PFN(size)) {
			start = ALIGN(PFN_PHYS(bad + 1), align);
			continue;
		}
		if ((*tries)++ >= KHO_INPLACE_TRIES)
			return -EBUSY;
		err = take_range(image, image->nr_segments, pfn,
				 PHYS_PFN(size));
		if (!err) {
			kbuf->mem = start;
			return 0;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		start = ALIGN(start + size, align);
	}
	return -ENOSPC;
}

/**
 * kho_place_segment() - place a kexec_file_load() segment in scratch
 * @kbuf: the buffer being added; kbuf->mem is set on success
 * @fn: kexec's hole finder, used when no free range can be taken
 *
 * Looks for a range of scratch that can be taken now, areas above 4 GiB
 * first, each group by address (kho_scratch_next()), and takes it, so
 * the segment is loaded in place. When there is
 * none, places the segment the stock way with kho_walk_scratch(): it is
 * then copied in the reboot.
 *
 * Return: 0 when placed, -EADDRNOTAVAIL when it fits nowhere in scratch,
 * -EINTR on a fatal signal.
 */
int kho_place_segment(struct kexec_buf *kbuf, kho_hole_fn fn)
{
	struct kimage *image = kbuf->image;
	unsigned int tries = 0, pass;
	struct kho_scratch *s;
	int err = -ENOSPC;

	kho_debug_loading(image);
	if (image->nr_segments >= KEXEC_SEGMENT_MAX)
		return -EINVAL;
	image->kho_inplace[image->nr_segments].nr_pages = 0;
	/* pass 0: areas above 4 GiB, pass 1: the others; lowest first */
	for (pass = 0; pass < 2 && err; pass++) {
		for (s = kho_scratch_next(NULL, pass, false); s && err;
		     s = kho_scratch_next(s, pass, false)) {
			phys_addr_t a = s->addr, e = a + s->size - 1;

			err = place_in(kbuf, max_t(phys_addr_t, a, kbuf->buf_min),
				       min_t(phys_addr_t, e, kbuf->buf_max),
				       &tries);
			if (err == -EINTR)
				return err;
			if (err == -EBUSY)
				break;
		}
	}
	if (!err)
		return 0;
	return kho_walk_scratch(kbuf, fn) == 1 ? 0 : -EADDRNOTAVAIL;
}
#endif /* CONFIG_KEXEC_FILE: kexec_buf */

/**
 * kho_kimage_take_segments() - take the pages of kexec_load() segments
 * @image: a kexec_load() image whose segments are checked to lie in
 *	   scratch (kho_check_segments()) and not loaded yet
 *
 * Tries to take each segment's destination pages, so it is loaded in
 * place; a segment whose pages cannot be had is copied in the reboot.
 * Must run before any segment is loaded: the copy path may hold pages of
 * later segments' destinations.
 *
 * Return: 0, or -EINTR on a fatal signal (the image is then freed).
 */
int kho_kimage_take_segments(struct kimage *image)
{
	unsigned long i, pfn, nr;

	if (!kho_is_enabled() || image->type == KEXEC_TYPE_CRASH)
		return 0;
	kho_debug_loading(image);
	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *s = &image->segment[i];

		image->kho_inplace[i].nr_pages = 0;
		image->kho_inplace[i].cleaned = false;
		pfn = PHYS_PFN(s->mem);
		nr = PHYS_PFN(s->memsz);
		/* a segment whose pages cannot be had is copied at reboot */
		if ((!nr || first_unusable(pfn, pfn + nr) < pfn + nr ||
		     take_range(image, i, pfn, nr)) &&
		    fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * kho_segment_inplace() - whether a segment was taken to be loaded in place
 * @image: the image
 * @seg: one of its segments
 *
 * Return: true when kho_load_segment_inplace() loads @seg.
 */
bool kho_segment_inplace(const struct kimage *image,
			 const struct kexec_segment *seg)
{
	return image->kho_inplace[seg - image->segment].nr_pages;
}

/**
 * kho_load_segment_inplace() - write a segment at its destination
 * @image: the image
 * @seg: a segment for which kho_segment_inplace() is true
 *
 * Copies the segment's buffer (kernel memory for kexec_file_load(), user
 * memory for kexec_load()) into the pages taken for it and clears the
 * rest of them. Nothing is added to the relocation list.
 *
 * Return: 0 or -EFAULT.
 */
int kho_load_segment_inplace(struct kimage *image, struct kexec_segment *seg)
{
	unsigned long i, nr = image->kho_inplace[seg - image->segment].nr_pages;
	struct page *page = pfn_to_page(PHYS_PFN(seg->mem));
	const char __user *ubuf = seg->buf;
	const char *kbuf = seg->kbuf;
	size_t left = seg->bufsz;

	for (i = 0; i < nr; i++) {
		size_t chunk = min_t(size_t, left, PAGE_SIZE);
		char *ptr = kmap_local_page(page + i);
		int err = 0;

		if (image->file_mode)
			memcpy(ptr, kbuf, chunk);
		else if (copy_from_user(ptr, ubuf, chunk))
			err = -EFAULT;
		if (chunk < PAGE_SIZE)
			memset(ptr + chunk, 0, PAGE_SIZE - chunk);
		kunmap_local(ptr);
		if (err)
			return err;
		kbuf += chunk;
		ubuf += chunk;
		left -= chunk;
		if (!(i % 1024))
			cond_resched();
	}
	return 0;
}

/**
 * kho_kimage_clean_inplace() - clean the in-place segments to the PoC
 * @image: an image whose segments are all loaded
 * @clean: the architecture's clean and invalidate of [start, end) of the
 *	   linear map to the point of coherency
 *
 * The relocation cleans what it copies; a segment loaded in place is
 * not copied, and the next kernel (or purgatory) reads it with the MMU
 * and caches off. Nothing writes an in-place segment after its load, so
 * cleaning it once the image is loaded is enough, and keeps the cost
 * out of the reboot.
 */
void kho_kimage_clean_inplace(struct kimage *image,
			      void (*clean)(unsigned long start,
					    unsigned long end))
{
	unsigned long i, va;

	for (i = 0; i < image->nr_segments; i++) {
		if (!image->kho_inplace[i].nr_pages)
			continue;
		va = (unsigned long)phys_to_virt(image->segment[i].mem);
		clean(va, va + (image->kho_inplace[i].nr_pages << PAGE_SHIFT));
		image->kho_inplace[i].cleaned = true;
		cond_resched();
	}
}

/**
 * kho_kimage_check_clean() - at the reboot: was every in-place segment cleaned
 * @image: the image being booted
 * @clean: as for kho_kimage_clean_inplace(), for one that was not
 *
 * A debug counter for what no emulator shows: one line with how many
 * in-place segments were cleaned to the point of coherency at load; one
 * that was not is cleaned now, with a warning line naming it.
 */
void kho_kimage_check_clean(struct kimage *image,
			    void (*clean)(unsigned long start,
					  unsigned long end))
{
	unsigned long i, n = 0, done = 0, va;

	for (i = 0; i < image->nr_segments; i++) {
		if (!image->kho_inplace[i].nr_pages)
			continue;
		n++;
		if (image->kho_inplace[i].cleaned) {
			done++;
			continue;
		}
		pr_warn("kexec: in-place segment %lu was not cleaned to the point of coherency at load; cleaning it now\n",
			i);
		va = (unsigned long)phys_to_virt(image->segment[i].mem);
		clean(va, va + (image->kho_inplace[i].nr_pages << PAGE_SHIFT));
	}
	if (n)
		pr_info("kexec: %lu of %lu in-place segments cleaned to the point of coherency at load\n",
			done, n);
}

/**
 * kho_kimage_pages_inplace() - the pages of a range loaded in place
 * @image: the image
 * @addr: physical start of the range, in one segment
 * @size: its length
 *
 * For kimage_map_segment(), which otherwise looks for the range's staging
 * pages in the relocation list.
 *
 * Return: the first page of the range, or NULL when its segment is copied.
 */
struct page *kho_kimage_pages_inplace(const struct kimage *image,
				      unsigned long addr, unsigned long size)
{
	unsigned long i;

	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *s = &image->segment[i];

		if (image->kho_inplace[i].nr_pages && addr >= s->mem &&
		    addr + size <= s->mem + s->memsz)
			return pfn_to_page(PHYS_PFN(addr));
	}
	return NULL;
}

/**
 * kho_kimage_release() - give back the pages taken for an image's segments
 * @image: the image being freed (unloaded, replaced, or failed to load)
 */
void kho_kimage_release(struct kimage *image)
{
	unsigned long i, pfn, nr;

	for (i = 0; i < KEXEC_SEGMENT_MAX; i++) {
		nr = image->kho_inplace[i].nr_pages;
		if (!nr)
			continue;
		pfn = image->kho_inplace[i].pfn;
		arch_kexec_pre_free_pages(page_address(pfn_to_page(pfn)), nr);
		free_contig_range(pfn, nr);
		image->kho_inplace[i].nr_pages = 0;
	}
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * kho_debug_corrupt_segment=1: after each load, flip one byte in the
 * middle of the last segment loaded in place, as a stray write would:
 * purgatory's check must then stop the reboot.
 */
static bool corrupt_segment;
core_param(kho_debug_corrupt_segment, corrupt_segment, bool, 0644);

static void kho_debug_corrupt(const struct kimage *image)
{
	unsigned long i = image->nr_segments, nr;
	u8 *p;

	if (!corrupt_segment)
		return;
	while (i-- > 0) {
		nr = image->kho_inplace[i].nr_pages;
		if (!nr)
			continue;
		p = kmap_local_page(pfn_to_page(image->kho_inplace[i].pfn +
						nr / 2));
		p[PAGE_SIZE / 2] ^= 0x5a;
		kunmap_local(p);
		pr_info("debug: corrupted in-place kexec segment %lu\n", i);
		return;
	}
}
#else
static inline void kho_debug_corrupt(const struct kimage *image)
{
}
#endif

/**
 * kho_kimage_report() - one line on where a loaded image's segments are
 * @image: the image just loaded
 *
 * Says how much the reboot will copy, at warning level when a segment
 * could not be loaded in place.
 */
void kho_kimage_report(const struct kimage *image)
{
	unsigned long i, in = 0, copied = 0, nr_copied = 0;

	if (!kho_is_enabled() || image->type == KEXEC_TYPE_CRASH)
		return;
	for (i = 0; i < image->nr_segments; i++) {
		if (image->kho_inplace[i].nr_pages) {
			in += image->segment[i].memsz;
		} else {
			copied += image->segment[i].memsz;
			nr_copied++;
		}
	}
	kho_debug_corrupt(image);
	if (nr_copied)
		pr_warn("kexec: %lu of %lu segments (%lu KiB) not placed in free scratch (fragmented or busy), copied at reboot\n",
			nr_copied, image->nr_segments, copied >> 10);
	else
		pr_info("kexec: %lu segments (%lu KiB) loaded in place, nothing to copy at reboot\n",
			image->nr_segments, in >> 10);
}

/*
 * kho_purgatory_xxh64 (default 1): purgatory checks the segments of KHO
 * images with xxh64 instead of SHA-256; 0 keeps SHA-256 (see the admin
 * guide, "Purgatory's check").
 */
static bool purgatory_xxh64 = true;
core_param(kho_purgatory_xxh64, purgatory_xxh64, bool, 0644);

/**
 * kho_purgatory_xxh64() - whether purgatory checks an image with xxh64
 * @image: a kexec_file_load() image being loaded
 *
 * Purgatory's check of the segments guards against their corruption
 * between load and reboot (its reference digest lies in memory as
 * writable as the segments, so it is no defence against a deliberate
 * writer: signatures are checked at load). xxh64 detects random
 * corruption but for a chance of 2^-64, at many times SHA-256's speed in
 * purgatory, which cannot use SIMD or SHA instructions.
 *
 * Return: true for a KHO image unless kho_purgatory_xxh64=0.
 */
bool kho_purgatory_xxh64(const struct kimage *image)
{
	return READ_ONCE(purgatory_xxh64) && kho_is_enabled() &&
	       image->type != KEXEC_TYPE_CRASH;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * kho_debug_fragment_scratch=N: at boot, take one page of scratch every N
 * MiB and never give it back, so no free range of scratch is longer than
 * N MiB and larger kexec segments must take the copy path.
 */
static unsigned int fragment_mib;
core_param(kho_debug_fragment_scratch, fragment_mib, uint, 0444);

static int __init kho_debug_fragment(void)
{
	unsigned long pfn, end, step, held = 0;
	unsigned int i;

	if (!fragment_mib || !kho_is_enabled())
		return 0;
	step = (unsigned long)fragment_mib << (20 - PAGE_SHIFT);
	for (i = 0; i < kho_nr_scratch; i++) {
		pfn = PHYS_PFN(kho_scratch[i].addr) + step / 2;
		end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		for (; pfn < end; pfn += step) {
			unsigned long p = pfn;

			/* the nearest page that can be taken */
			while (p < end && p < pfn + step / 2 &&
			       (first_unusable(p, p + 1) == p ||
				alloc_contig_range(p, p + 1, MIGRATE_CMA,
						   GFP_KERNEL | __GFP_NOWARN)))
				p++;
			if (p < end && p < pfn + step / 2)
				held++;
		}
	}
	pr_info("debug: scratch fragmented, %lu pages held every %u MiB\n",
		held, fragment_mib);
	return 0;
}
late_initcall(kho_debug_fragment);
#endif
