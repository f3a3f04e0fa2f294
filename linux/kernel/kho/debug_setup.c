// SPDX-License-Identifier: GPL-2.0
/*
 * debug_setup.c - damage to the setup data of a KHO kexec, on purpose.
 */

/**
 * DOC: KHO setup data damage
 *
 * With CONFIG_KEXEC_HANDOVER_DEBUG, debugfs ``kho/debug_corrupt`` can ask
 * for the setup data of the next kexec image to be damaged as it is
 * built (``scratch_kernel``, ``scratch_small``, ``scratch_initrd``,
 * ``setup_magic``; see the KHO debugfs overview), so the tests can prove
 * the next kernel and its decompressor refuse it. The image is noted
 * while its segments are placed (kho_debug_loading()) and the damage
 * done when the setup data is filled in (kho_debug_fill()). Nothing here
 * calls back into the rest of KHO: the core calls in, debugfs asks.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/align.h>
#include <linux/kexec.h>
#include <linux/printk.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "internal.h"

/* corruptions of the setup data, applied when it is built at load time */
enum {
	DBG_SCRATCH_KERNEL = 1,
	DBG_SCRATCH_SMALL,
	DBG_SCRATCH_INITRD,
	DBG_SETUP_MAGIC,
};

static int dbg_setup;
static struct kimage *dbg_image;

static const char * const dbg_names[] = {
	[DBG_SCRATCH_KERNEL] = "scratch_kernel",
	[DBG_SCRATCH_SMALL] = "scratch_small",
	[DBG_SCRATCH_INITRD] = "scratch_initrd",
	[DBG_SETUP_MAGIC] = "setup_magic",
};

/**
 * kho_debug_setup_corrupt() - ask for a corruption of the next setup data
 * @what: ``scratch_kernel``, ``scratch_small``, ``scratch_initrd`` or
 *	  ``setup_magic`` (debugfs ``kho/debug_corrupt``)
 *
 * Return: 0, or -EINVAL if @what is not one of them.
 */
int kho_debug_setup_corrupt(const char *what)
{
	int i;

	for (i = DBG_SCRATCH_KERNEL; i < ARRAY_SIZE(dbg_names); i++) {
		if (!strcmp(what, dbg_names[i])) {
			WRITE_ONCE(dbg_setup, i);
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * kho_debug_loading() - note the kexec image whose segments are placed
 * @image: the image, from the kexec_buf being placed in scratch
 */
void kho_debug_loading(struct kimage *image)
{
	WRITE_ONCE(dbg_image, image);
}

/* The area of @sd that holds physical address @mem, or NULL. */
static struct kho_scratch *area_of(struct kho_setup_data *sd, u64 mem)
{
	unsigned int k;

	for (k = 0; k < sd->nr_scratch; k++)
		if (mem >= sd->scratch[k].addr &&
		    mem < sd->scratch[k].addr + sd->scratch[k].size)
			return &sd->scratch[k];
	return NULL;
}

/* Cut area @s 2 MiB into segment @seg, keeping the scratch alignment. */
static void cut_area(struct kho_scratch *s, const struct kexec_segment *seg)
{
	u64 align = PAGE_SIZE << MAX_PAGE_ORDER, end = s->addr + s->size;
	u64 cut = seg->mem + SZ_2M;
	u64 below = ALIGN_DOWN(cut, align) > s->addr ?
		    ALIGN_DOWN(cut, align) - s->addr : 0;
	u64 above = ALIGN(cut, align) < end ? end - ALIGN(cut, align) : 0;

	/* keep the larger side: the rest must still hold a memory map */
	if (below && below >= above) {
		s->size = below;
	} else if (above) {
		s->addr = ALIGN(cut, align);
		s->size = above;
	}
}

static const struct kexec_segment *largest(struct kimage *image)
{
	const struct kexec_segment *seg = &image->segment[0];
	unsigned long i;

	for (i = 1; i < image->nr_segments; i++)
		if (image->segment[i].memsz > seg->memsz)
			seg = &image->segment[i];
	return seg;
}

/* Hand over only the area holding the largest segment, cut to it. */
static void small_scratch(struct kho_setup_data *sd, struct kimage *image)
{
	u64 align = PAGE_SIZE << MAX_PAGE_ORDER;
	const struct kexec_segment *seg = largest(image);

	sd->nr_scratch = 1;
	sd->scratch[0].addr = ALIGN_DOWN(seg->mem, align);
	sd->scratch[0].size = ALIGN(seg->mem + seg->memsz, align) -
			      sd->scratch[0].addr;
}

/*
 * Cut the initrd's area inside the initrd, keeping the scratch alignment
 * (needs an initrd over 4 MiB) and the kernel's side of the area, or its
 * larger side, so that scratch stays large enough.
 */
static void cut_initrd(struct kho_setup_data *sd, struct kimage *image)
{
	u64 align = PAGE_SIZE << MAX_PAGE_ORDER;
	const struct kexec_segment *rd = &image->segment[image->nr_segments - 1];
	const struct kexec_segment *kernel = largest(image);
	u64 up = ALIGN(rd->mem + PAGE_SIZE, align);
	u64 down = ALIGN_DOWN(rd->mem + rd->memsz - PAGE_SIZE, align);
	struct kho_scratch *s = area_of(sd, rd->mem);
	u64 end;
	bool above;

	if (!s)
		return;
	end = s->addr + s->size;
	/* keep the kernel's side, or else the larger side */
	if (area_of(sd, kernel->mem) == s)
		above = kernel->mem > rd->mem;
	else
		above = end - up > down - s->addr;
	if (above && up < end) {
		s->addr = up;
		s->size = end - up;
	} else if (!above && down > s->addr) {
		s->size = down - s->addr;
	}
}

/**
 * kho_debug_fill() - apply a ``scratch_*`` or ``setup_magic`` corruption
 * @sd: setup data being built for the image kho_debug_loading() noted
 */
void kho_debug_fill(struct kho_setup_data *sd)
{
	struct kimage *image = READ_ONCE(dbg_image);
	int what = READ_ONCE(dbg_setup);
	unsigned long i;
	unsigned int k;

	if (!what || !image || !image->nr_segments)
		return;
	if (what == DBG_SETUP_MAGIC) {
		sd->magic = ~sd->magic;
	} else if (what == DBG_SCRATCH_SMALL) {
		small_scratch(sd, image);
	} else if (what == DBG_SCRATCH_INITRD) {
		cut_initrd(sd, image);
	} else {
		for (i = 0; i < image->nr_segments; i++) {
			const struct kexec_segment *seg = &image->segment[i];
			struct kho_scratch *s = area_of(sd, seg->mem);

			if (seg->memsz >= SZ_4M && s)
				cut_area(s, seg);
		}
	}
	for (i = 0; i < image->nr_segments; i++)
		pr_info("debug: kexec segment %lu: 0x%lx + 0x%zx\n", i,
			image->segment[i].mem, image->segment[i].memsz);
	for (k = 0; k < sd->nr_scratch; k++)
		pr_info("debug: scratch handed over %u: 0x%llx + 0x%llx\n", k,
			sd->scratch[k].addr, sd->scratch[k].size);
}

