// SPDX-License-Identifier: GPL-2.0
/*
 * timeline.c - where the time of each kexec reboot goes, measured across
 * the reboot and kept from kernel to kernel.
 */

/**
 * DOC: Kexec timeline
 *
 * A kexec reboot is the blackout a live update costs. Each kernel keeps a
 * history page (&struct kexec_tl_history): the records of the reboots
 * that led to it, and a slot for the next one. The reboot fills the slot
 * as it goes, from one clock that keeps counting across it (the TSC on
 * x86, the generic timer's virtual counter on arm64, read through
 * arch_kexec_clock(); jiffies and sched_clock restart with each kernel):
 *
 * - kernel_kexec() stamps the reboot request and, after machine_shutdown(),
 *   the devices being down, and counts the pages the relocation list holds;
 * - relocate_kernel (x86) or arm64_relocate_new_kernel (arm64, where the
 *   copy runs with the MMU on) stamps the start and end of its copy and
 *   counts the pages it copied; with nothing to copy, arm64 stamps both
 *   in machine_kexec();
 * - purgatory (kexec_file_load() images) stamps its start and the end of
 *   its check of the segments, and the bytes it checked;
 * - the next kernel stamps start_kernel(), the end of mm_core_init() and
 *   the start of user space.
 *
 * The page reaches the next kernel two ways: as a KHO subtree,
 * ``kexec-timeline`` (any loader, KHO on), and named by the boot protocol
 * for kexec_file_load(), also with KHO off: a setup_data entry on x86, the
 * /chosen property ``linux,kexec-timeline`` on device tree systems. The
 * next kernel copies it before it allocates anything, checks it,
 * completes the last record, keeps the last %KEXEC_TL_RECORDS - 1 records
 * and prints the phases of its own boot in one line::
 *
 *   kexec-timeline: gen=2 via=file kho=on shutdown=1.2 handoff=0.3 ...
 *
 * /sys/kernel/kexec_timeline gives user space the page (``khoctl
 * timeline`` prints it). A history that does not check out is dropped with
 * one line; the timeline starts again from that kernel.
 */

#define pr_fmt(fmt) "kexec-timeline: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kexec_timeline.h>
#include <linux/kobject.h>
#include <linux/math64.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>

#include <asm/early_ioremap.h>

#define KEXEC_TL_NODE	"kexec-timeline"

#ifndef arch_kexec_clock
static inline u64 arch_kexec_clock(void)
{
	return 0;
}

static inline u32 arch_kexec_clock_khz(void)
{
	return 0;
}
#endif

static_assert(sizeof(struct kexec_tl_record) == 128);
static_assert(offsetof(struct kexec_tl_record, t) == KEXEC_TL_T_OFFSET);
static_assert(offsetof(struct kexec_tl_record, reloc_pages) ==
	      KEXEC_TL_RELOC_PAGES_OFFSET);
static_assert(sizeof(struct kexec_tl_history) <= PAGE_SIZE);

static struct kexec_tl_history *hist;
static u64 boot_t[KEXEC_TL_POINTS];

/* the history the setup_data entry named, copied before any allocation */
static struct kexec_tl_history early_hist __initdata;
static bool early_valid __initdata;
/* the address named when it was not RAM, for the line that refuses it */
static u64 early_not_ram __initdata;

/**
 * kexec_tl_boot_stamp() - stamp a point of this kernel's own boot
 * @point: %KEXEC_TL_START_KERNEL or %KEXEC_TL_MM
 */
void kexec_tl_boot_stamp(unsigned int point)
{
	if (point < KEXEC_TL_POINTS)
		boot_t[point] = arch_kexec_clock();
}

/**
 * kexec_tl_parse_setup_data() - copy the history a setup_data entry names
 * @pa: physical address of the entry's payload (a little-endian u64: the
 *	physical address of the previous kernel's history page)
 * @len: its length
 *
 * Called from the architecture's early setup, before memblock allocates
 * anything that could land on the page.
 */
void __init kexec_tl_parse_setup_data(u64 pa, u32 len)
{
	u64 *payload, page;

	if (len < sizeof(u64))
		return;
	payload = early_memremap(pa, sizeof(u64));
	if (!payload)
		return;
	page = *payload;
	early_memunmap(payload, sizeof(u64));
	kexec_tl_parse_page(page);
}

/**
 * arch_kexec_tl_page_is_ram() - whether a history page named at boot is RAM
 * @page: its physical address, page aligned
 *
 * The default asks memblock, which device tree systems have filled from
 * the memory nodes by the time they call kexec_tl_parse_page(); x86,
 * which parses setup_data before memblock knows any memory, asks e820.
 *
 * Return: true if the whole page is RAM.
 */
bool __init __weak arch_kexec_tl_page_is_ram(u64 page)
{
	return memblock_is_region_memory(page, PAGE_SIZE);
}

/**
 * kexec_tl_parse_page() - copy the previous kernel's history page
 * @page: its physical address, as the boot protocol gave it (x86: a
 *	setup_data entry; device tree: /chosen/linux,kexec-timeline), or 0
 *
 * Called from early setup, once the firmware's memory map is known and
 * before memblock allocates anything that could land on the page. An
 * address that is not RAM is not mapped (an early fault, or a read of
 * device memory); the initcall then refuses the history with one line,
 * as it does when the copy does not check out.
 */
void __init kexec_tl_parse_page(u64 page)
{
	struct kexec_tl_history *h;

	if (!page)
		return;
	if (!PAGE_ALIGNED(page) || !arch_kexec_tl_page_is_ram(page)) {
		early_not_ram = page;
		return;
	}
	h = early_memremap(page, sizeof(*h));
	if (!h)
		return;
	memcpy(&early_hist, h, sizeof(*h));
	early_memunmap(h, sizeof(*h));
	early_valid = true;
}

/* Why @h cannot be this kernel's history, or NULL. */
static const char *check_history(const struct kexec_tl_history *h)
{
	const struct kexec_tl_record *r;

	if (h->magic != KEXEC_TL_HIST_MAGIC)
		return "bad magic";
	if (h->version != KEXEC_TL_VERSION)
		return "unknown version";
	if (h->nr >= KEXEC_TL_RECORDS)
		return "too many records";
	r = &h->rec[h->nr];
	if (r->magic != KEXEC_TL_MAGIC || r->gen != h->gen + 1)
		return "no record of this reboot";
	return NULL;
}

/* The history a KHO handover carries, copied into @h: 0 or an errno. */
static int take_kho_history(struct kexec_tl_history *h)
{
	phys_addr_t phys;
	struct page *page;
	u64 size;
	int err;

	err = kho_retrieve_subtree(KEXEC_TL_NODE, &phys, &size);
	if (err)
		return err;
	if (size != PAGE_SIZE || !PAGE_ALIGNED(phys))
		return -EINVAL;
	page = kho_restore_pages(phys, 1);
	if (!page)
		return -EINVAL;
	memcpy(h, page_address(page), sizeof(*h));
	__free_page(page);
	return 0;
}

static ssize_t kexec_timeline_read(struct file *file, struct kobject *kobj,
				   struct bin_attribute *attr, char *buf,
				   loff_t off, size_t count)
{
	return memory_read_from_buffer(buf, count, &off, hist, sizeof(*hist));
}

static struct bin_attribute kexec_timeline_attr = {
	.attr = { .name = "kexec_timeline", .mode = 0400 },
	.size = sizeof(struct kexec_tl_history),
	.read = kexec_timeline_read,
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * debugfs kexec_timeline_page: the history page's physical address, for
 * the test that loads a kexec_load segment over it.
 */
static u64 tl_debug_phys;

static void __init tl_debug_page(struct kexec_tl_history *h)
{
	tl_debug_phys = virt_to_phys(h);
	debugfs_create_x64("kexec_timeline_page", 0400, NULL, &tl_debug_phys);
}

/*
 * kexec_tl_debug_high=1: a history page at or above 256 MiB, where
 * kexec-tools puts an initrd (never under 16 MiB, where the page usually
 * is), for that test. Pages below are taken until one is not, at most
 * 256 MiB of them, then given back.
 */
static bool tl_high;
core_param(kexec_tl_debug_high, tl_high, bool, 0444);

static struct kexec_tl_history * __init tl_alloc(void)
{
	struct page *page, *p, *tmp;
	LIST_HEAD(low);
	unsigned long n;

	page = alloc_page(GFP_KERNEL);
	for (n = 0; tl_high && page && page_to_phys(page) < SZ_256M &&
	     n < SZ_256M / PAGE_SIZE; n++) {
		list_add(&page->lru, &low);
		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
	}
	list_for_each_entry_safe(p, tmp, &low, lru)
		__free_page(p);
	if (!page)
		return NULL;
	clear_page(page_address(page));
	return page_address(page);
}

#else
static inline void tl_debug_page(struct kexec_tl_history *h)
{
}

static inline struct kexec_tl_history *tl_alloc(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL);
}
#endif

/*
 * Take the history over (a KHO subtree first, the setup_data copy next),
 * complete the record of the reboot that started this kernel, and offer
 * the page to the next one.
 */
static int __init kexec_tl_init(void)
{
	struct kexec_tl_history *h;
	const char *why = NULL;
	struct kexec_tl_record *r;
	bool from_kho;
	int err;

	h = tl_alloc();
	if (!h)
		return -ENOMEM;
	from_kho = !take_kho_history(h);
	if (!from_kho && early_valid)
		memcpy(h, &early_hist, sizeof(*h));
	if (from_kho || early_valid)
		why = check_history(h);
	if (why) {
		pr_warn("history refused (%s), starting again\n", why);
		memset(h, 0, sizeof(*h));
	} else if (!from_kho && early_not_ram) {
		pr_warn("history refused (page 0x%llx is not RAM), starting again\n",
			early_not_ram);
	}
	if (!h->magic) {
		h->magic = KEXEC_TL_HIST_MAGIC;
		h->version = KEXEC_TL_VERSION;
		h->gen = 1;
	} else {
		r = &h->rec[h->nr++];
		r->in_khz = arch_kexec_clock_khz();
		r->t[KEXEC_TL_START_KERNEL] = boot_t[KEXEC_TL_START_KERNEL];
		r->t[KEXEC_TL_MM] = boot_t[KEXEC_TL_MM];
		h->gen = r->gen;
	}
	/* the oldest record goes when the slot would not fit */
	if (h->nr == KEXEC_TL_RECORDS) {
		h->nr--;
		memmove(&h->rec[0], &h->rec[1], sizeof(h->rec[0]) * h->nr);
	}
	memset(&h->rec[h->nr], 0, sizeof(h->rec[0]));
	hist = h;

	if (kho_is_enabled()) {
		err = kho_preserve_pages(virt_to_page(h), 1) ?:
		      kho_add_subtree(KEXEC_TL_NODE, h, PAGE_SIZE);
		if (err)
			pr_warn("not handed over by KHO (%d): kexec_load() reboots are not recorded\n",
				err);
	}
	if (sysfs_create_bin_file(kernel_kobj, &kexec_timeline_attr))
		pr_warn("no /sys/kernel/kexec_timeline\n");
	tl_debug_page(h);
	return 0;
}
late_initcall(kexec_tl_init);

static u32 ms_frac(u64 us)
{
	return do_div(us, 1000);
}

/*
 * The time from @a to @b on a clock of @khz, in milliseconds, into @buf;
 * "-" when a point was not recorded. A point behind the one before it
 * (another CPU's clock, say) counts as no time and sets @clamped.
 */
static const char *span(char *buf, size_t len, u64 a, u64 b, u32 khz,
			bool *clamped)
{
	u64 us = 0;

	if (!a || !b || !khz)
		return "-";
	if (b < a)
		*clamped = true;
	else
		us = div_u64((b - a) * 1000, khz);
	snprintf(buf, len, "%llu.%03u", div_u64(us, 1000), ms_frac(us));
	return buf;
}

/**
 * kexec_tl_boot_done() - stamp the start of user space and print the line
 *
 * Called by kernel_init() just before it runs init.
 */
void kexec_tl_boot_done(void)
{
	u64 now = arch_kexec_clock(), *t;
	u32 khz = arch_kexec_clock_khz();
	struct kexec_tl_record *r;
	char b[8][24];
	bool clamped = false;

	if (!khz)
		return;
	if (!hist || !hist->nr || hist->rec[hist->nr - 1].gen != hist->gen) {
		pr_info("gen=%u cold mm=%s init=%s ms\n", hist ? hist->gen : 1,
			span(b[0], 24, boot_t[KEXEC_TL_START_KERNEL],
			     boot_t[KEXEC_TL_MM], khz, &clamped),
			span(b[1], 24, boot_t[KEXEC_TL_MM], now, khz, &clamped));
		return;
	}
	r = &hist->rec[hist->nr - 1];
	r->t[KEXEC_TL_INIT] = now;
	t = r->t;
	khz = r->in_khz;
	pr_info("gen=%u via=%s kho=%s shutdown=%s handoff=%s reloc=%s purgatory=%s boot=%s mm=%s init=%s total=%s ms reloc_bytes=%llu planned_bytes=%llu hash_bytes=%llu%s%s\n",
		r->gen, r->flags & KEXEC_TL_FILE ? "file" : "load",
		r->flags & KEXEC_TL_KHO ? "on" : "off",
		span(b[0], 24, t[KEXEC_TL_REBOOT], t[KEXEC_TL_DEVICES], khz,
		     &clamped),
		span(b[1], 24, t[KEXEC_TL_DEVICES], t[KEXEC_TL_RELOC_START], khz,
		     &clamped),
		span(b[2], 24, t[KEXEC_TL_RELOC_START], t[KEXEC_TL_RELOC_END],
		     khz, &clamped),
		span(b[3], 24, t[KEXEC_TL_RELOC_END], t[KEXEC_TL_PURGATORY_END],
		     khz, &clamped),
		span(b[4], 24, t[KEXEC_TL_PURGATORY_END] ?: t[KEXEC_TL_RELOC_END] ?:
		     t[KEXEC_TL_DEVICES], t[KEXEC_TL_START_KERNEL], khz,
		     &clamped),
		span(b[5], 24, t[KEXEC_TL_START_KERNEL], t[KEXEC_TL_MM], khz,
		     &clamped),
		span(b[6], 24, t[KEXEC_TL_MM], t[KEXEC_TL_INIT], khz, &clamped),
		span(b[7], 24, t[KEXEC_TL_REBOOT], t[KEXEC_TL_INIT], khz,
		     &clamped),
		r->reloc_pages << PAGE_SHIFT, r->planned_pages << PAGE_SHIFT,
		r->hash_bytes, r->flags & KEXEC_TL_XXH64 ? " hash=xxh64" : "",
		clamped ? " clamped" : "");
}

/**
 * kexec_tl_slot_phys() - where the next reboot's record goes
 *
 * For machine_kexec() (relocate_kernel) and the purgatory of
 * kexec_file_load() images.
 *
 * Return: the slot's physical address, or 0 when there is no timeline.
 */
phys_addr_t kexec_tl_slot_phys(void)
{
	return hist && arch_kexec_clock_khz() ?
	       virt_to_phys(&hist->rec[hist->nr]) : 0;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/*
 * kexec_tl_debug_corrupt=1: damage the history's magic at the reboot, so
 * the next kernel must refuse the history and start again; =2: name the
 * page after the end of RAM to the next kernel instead of the history.
 */
static int tl_corrupt;
core_param(kexec_tl_debug_corrupt, tl_corrupt, int, 0644);
#else
#define tl_corrupt 0
#endif

/* the history page, or 0 when there is no timeline */
static phys_addr_t tl_page(void)
{
	return kexec_tl_slot_phys() ? virt_to_phys(hist) : 0;
}

/**
 * kexec_tl_page_phys() - the history page, for the boot protocol
 *
 * Return: its physical address, or 0 when there is no timeline.
 */
phys_addr_t kexec_tl_page_phys(void)
{
	phys_addr_t page = tl_page();

	if (page && tl_corrupt == 2)
		return PFN_PHYS(max_pfn);
	return page;
}

/**
 * kexec_tl_in_range() - whether a kexec segment would cover the history
 * @start: first byte of the segment's destination
 * @end: its last byte
 *
 * kexec_file_load() keeps segments off the history page: the boot
 * protocol names the page to the next kernel, and the reboot copies the
 * segments over their destinations first.
 *
 * Return: true when [@start, @end] holds the history page.
 */
bool kexec_tl_in_range(phys_addr_t start, phys_addr_t end)
{
	phys_addr_t page = tl_page();

	return page && page <= end && page + PAGE_SIZE - 1 >= start;
}

/**
 * kexec_tl_image_slot() - the slot the reboot into @image may stamp
 * @image: the image being booted
 *
 * relocate_kernel stamps the slot after it has copied the segments to
 * their destinations. kexec_load() lets user space put a segment
 * anywhere in RAM, the history page included (kexec_file_load() keeps
 * them off it): such a reboot is not stamped, as the stamps would land
 * in the segment (a purgatory checksum failing, or a corrupt initrd).
 *
 * Return: kexec_tl_slot_phys(), or 0 when a segment covers the page.
 */
phys_addr_t kexec_tl_image_slot(struct kimage *image)
{
	unsigned long i;

	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *seg = &image->segment[i];

		if (seg->memsz &&
		    kexec_tl_in_range(seg->mem, seg->mem + seg->memsz - 1)) {
			pr_info("segment %lu covers the history page: this reboot is not recorded\n",
				i);
			return 0;
		}
	}
	return kexec_tl_slot_phys();
}

/**
 * kexec_tl_reboot() - a kexec reboot starts
 * @image: the image it boots
 * @planned: the pages its relocation list holds
 *
 * Called by kernel_kexec() first thing: opens the record.
 */
void kexec_tl_reboot(struct kimage *image, unsigned long planned)
{
	struct kexec_tl_record *r;

	if (!kexec_tl_slot_phys())
		return;
	r = &hist->rec[hist->nr];
	memset(r, 0, sizeof(*r));
	r->t[KEXEC_TL_REBOOT] = arch_kexec_clock();
	r->magic = KEXEC_TL_MAGIC;
	r->gen = hist->gen + 1;
	r->out_khz = arch_kexec_clock_khz();
	r->planned_pages = planned;
	r->flags = (image->file_mode ? KEXEC_TL_FILE : 0) |
		   (kho_is_enabled() ? KEXEC_TL_KHO : 0);
	if (tl_corrupt == 1)
		hist->magic = ~hist->magic;
}

/**
 * kexec_tl_stamp() - stamp a point of the outgoing kernel's reboot
 * @point: %KEXEC_TL_DEVICES
 */
void kexec_tl_stamp(unsigned int point)
{
	if (kexec_tl_slot_phys() && point < KEXEC_TL_POINTS)
		hist->rec[hist->nr].t[point] = arch_kexec_clock();
}
