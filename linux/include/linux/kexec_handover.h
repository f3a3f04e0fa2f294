/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kexec_handover.h - Kexec HandOver (KHO): keep memory and state across
 * kexec. See Documentation/kho/.
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/errno.h>
#include <linux/types.h>

struct folio;
struct page;
struct kexec_buf;
struct kexec_segment;
struct kimage;
struct notifier_block;
struct resource;

#define KHO_MAX_SCRATCH		16

/* actions of the freeze notifiers, see kho_register_freeze_notifier() */
#define KHO_FREEZE		1
#define KHO_THAW		2
#define KHO_SETUP_MAGIC		0x5055544553484f4bULL	/* "KHOSETUP" */
#define KHO_SETUP_VERSION	1

/**
 * struct kho_scratch - one scratch area
 * @addr: physical start, pageblock aligned
 * @size: size in bytes, pageblock aligned
 */
struct kho_scratch {
	__u64 addr;
	__u64 size;
};

/**
 * struct kho_setup_data - what an architecture's boot protocol carries
 * @magic: %KHO_SETUP_MAGIC
 * @version: %KHO_SETUP_VERSION
 * @nr_scratch: valid entries in @scratch
 * @root: physical address of the state tree (one page of FDT)
 * @scratch: the scratch areas, where the incoming kernel may allocate
 *	     before it knows the preserved memory
 *
 * On x86 it is the payload of a setup_data entry of type SETUP_KHO_HANDOVER.
 * All fields are little-endian.
 */
struct kho_setup_data {
	__u64 magic;
	__u32 version;
	__u32 nr_scratch;
	__u64 root;
	struct kho_scratch scratch[KHO_MAX_SCRATCH];
};

/* what the x86 decompressor did with the kernel's place, see below */
#define KHO_KASLR_NONE		0	/* nothing: no KASLR, nokaslr */
#define KHO_KASLR_RANDOM	1	/* a random slot inside scratch */
#define KHO_KASLR_KEPT		2	/* no slot: kept where it was loaded */

/**
 * struct kho_kaslr_report - what the decompressor did after a handover
 * @result: %KHO_KASLR_NONE, %KHO_KASLR_RANDOM or %KHO_KASLR_KEPT
 * @slots: number of places it chose from (CONFIG_PHYSICAL_ALIGN apart)
 * @addr: physical address it decompressed the kernel to
 *
 * On x86 it follows &struct kho_setup_data in the setup_data payload when
 * the entry's length has room for it. The outgoing kernel zeroes it, the
 * incoming kernel's decompressor fills it in and the kernel reports it.
 */
struct kho_kaslr_report {
	__u32 result;
	__u32 slots;
	__u64 addr;
};

typedef int (*kho_hole_fn)(struct resource *res, void *arg);

#ifdef CONFIG_KEXEC_HANDOVER
bool kho_is_enabled(void);
bool kho_wanted(void);
void kho_parse_setup_data(u64 pa, u32 len);
void kho_parse_handover(const void *data, u32 len);
void kho_scratch_early_init(phys_addr_t always_scratch_end,
			    phys_addr_t initrd, phys_addr_t initrd_size);
void kho_memory_init(void);
void kho_memory_init_late(void);
unsigned long kho_next_preserved(unsigned long start, unsigned long end,
				 unsigned long *pend);
bool kho_is_scratch_pfn(unsigned long pfn);
phys_addr_t kho_find_unkept(phys_addr_t size, phys_addr_t align, int nid);
void kho_fill_setup_data(struct kho_setup_data *sd);
int kho_walk_scratch(struct kexec_buf *kbuf, kho_hole_fn fn);
int kho_check_segments(const struct kexec_segment *segs, unsigned long nr);
int kho_place_segment(struct kexec_buf *kbuf, kho_hole_fn fn);
int kho_kimage_take_segments(struct kimage *image);
bool kho_segment_inplace(const struct kimage *image,
			 const struct kexec_segment *seg);
int kho_load_segment_inplace(struct kimage *image, struct kexec_segment *seg);
void kho_kimage_clean_inplace(struct kimage *image,
			      void (*clean)(unsigned long start,
					    unsigned long end));
void kho_kimage_check_clean(struct kimage *image,
			    void (*clean)(unsigned long start,
					  unsigned long end));
struct page *kho_kimage_pages_inplace(const struct kimage *image,
				      unsigned long addr, unsigned long size);
void kho_kimage_release(struct kimage *image);
void kho_kimage_report(const struct kimage *image);
bool kho_purgatory_xxh64(const struct kimage *image);
void kexec_tl_boot_stamp(unsigned int point);
void kexec_tl_boot_done(void);
void kexec_tl_parse_setup_data(u64 pa, u32 len);
void kexec_tl_parse_page(u64 page);
bool arch_kexec_tl_page_is_ram(u64 page);
phys_addr_t kexec_tl_slot_phys(void);
phys_addr_t kexec_tl_page_phys(void);
bool kexec_tl_in_range(phys_addr_t start, phys_addr_t end);
phys_addr_t kexec_tl_image_slot(struct kimage *image);
void kexec_tl_reboot(struct kimage *image, unsigned long planned);
void kexec_tl_stamp(unsigned int point);
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, u64 *size);
struct folio *kho_restore_folio(phys_addr_t phys);
unsigned long kho_restore_folios(const phys_addr_t *phys, unsigned long nr,
				 struct folio **folios);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr);
struct page *kho_restore_compound(phys_addr_t phys, unsigned int order);
bool kho_is_incoming_preserved(unsigned long pfn);
int kho_preserve_folio(struct folio *folio);
int kho_unpreserve_folio(struct folio *folio);
int kho_preserve_pages(struct page *page, unsigned long nr);
int kho_unpreserve_pages(struct page *page, unsigned long nr);
int kho_preserved_order(unsigned long pfn, unsigned long *start);
int kho_add_subtree(const char *name, void *blob, size_t size);
int kho_remove_subtree(const char *name);
int kho_register_freeze_notifier(struct notifier_block *nb);
int kho_kexec_freeze(void);
void kho_kexec_thaw(void);
#else
static inline bool kho_is_enabled(void)
{
	return false;
}

static inline bool kho_wanted(void)
{
	return false;
}

static inline void kho_parse_setup_data(u64 pa, u32 len)
{
}

static inline void kho_parse_handover(const void *data, u32 len)
{
}

static inline void kho_scratch_early_init(phys_addr_t always_scratch_end,
					  phys_addr_t initrd,
					  phys_addr_t initrd_size)
{
}

static inline void kho_memory_init(void)
{
}

static inline void kho_memory_init_late(void)
{
}

static inline unsigned long kho_next_preserved(unsigned long start,
					       unsigned long end,
					       unsigned long *pend)
{
	*pend = end;
	return end;
}

static inline bool kho_is_scratch_pfn(unsigned long pfn)
{
	return false;
}

static inline phys_addr_t kho_find_unkept(phys_addr_t size,
					  phys_addr_t align, int nid)
{
	return 0;
}

static inline void kho_fill_setup_data(struct kho_setup_data *sd)
{
}

static inline int kho_walk_scratch(struct kexec_buf *kbuf, kho_hole_fn fn)
{
	return 0;
}

static inline int kho_check_segments(const struct kexec_segment *segs,
				     unsigned long nr)
{
	return 0;
}

static inline int kho_place_segment(struct kexec_buf *kbuf, kho_hole_fn fn)
{
	return -EADDRNOTAVAIL;
}

static inline int kho_kimage_take_segments(struct kimage *image)
{
	return 0;
}

static inline bool kho_segment_inplace(const struct kimage *image,
				       const struct kexec_segment *seg)
{
	return false;
}

static inline int kho_load_segment_inplace(struct kimage *image,
					   struct kexec_segment *seg)
{
	return -EINVAL;
}

static inline void kho_kimage_clean_inplace(struct kimage *image,
					    void (*clean)(unsigned long start,
							  unsigned long end))
{
}

static inline void kho_kimage_check_clean(struct kimage *image,
					  void (*clean)(unsigned long start,
							unsigned long end))
{
}

static inline struct page *
kho_kimage_pages_inplace(const struct kimage *image, unsigned long addr,
			 unsigned long size)
{
	return NULL;
}

static inline void kho_kimage_release(struct kimage *image)
{
}

static inline void kho_kimage_report(const struct kimage *image)
{
}

static inline bool kho_purgatory_xxh64(const struct kimage *image)
{
	return false;
}

static inline void kexec_tl_boot_stamp(unsigned int point)
{
}

static inline void kexec_tl_boot_done(void)
{
}

static inline void kexec_tl_parse_setup_data(u64 pa, u32 len)
{
}

static inline void kexec_tl_parse_page(u64 page)
{
}

static inline phys_addr_t kexec_tl_slot_phys(void)
{
	return 0;
}

static inline phys_addr_t kexec_tl_page_phys(void)
{
	return 0;
}

static inline bool kexec_tl_in_range(phys_addr_t start, phys_addr_t end)
{
	return false;
}

static inline phys_addr_t kexec_tl_image_slot(struct kimage *image)
{
	return 0;
}

static inline void kexec_tl_reboot(struct kimage *image,
				   unsigned long planned)
{
}

static inline void kexec_tl_stamp(unsigned int point)
{
}

static inline int kho_retrieve_subtree(const char *name, phys_addr_t *phys,
				       u64 *size)
{
	return -EOPNOTSUPP;
}

static inline struct folio *kho_restore_folio(phys_addr_t phys)
{
	return NULL;
}

static inline unsigned long kho_restore_folios(const phys_addr_t *phys,
					       unsigned long nr,
					       struct folio **folios)
{
	return 0;
}

static inline struct page *kho_restore_pages(phys_addr_t phys,
					     unsigned long nr)
{
	return NULL;
}

static inline struct page *kho_restore_compound(phys_addr_t phys,
						unsigned int order)
{
	return NULL;
}

static inline bool kho_is_incoming_preserved(unsigned long pfn)
{
	return false;
}

static inline int kho_preserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline int kho_preserve_pages(struct page *page, unsigned long nr)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_pages(struct page *page, unsigned long nr)
{
	return -EOPNOTSUPP;
}

static inline int kho_preserved_order(unsigned long pfn, unsigned long *start)
{
	return -EOPNOTSUPP;
}

static inline int kho_add_subtree(const char *name, void *blob, size_t size)
{
	return -EOPNOTSUPP;
}

static inline int kho_remove_subtree(const char *name)
{
	return -EOPNOTSUPP;
}

static inline int kho_register_freeze_notifier(struct notifier_block *nb)
{
	return -EOPNOTSUPP;
}

static inline int kho_kexec_freeze(void)
{
	return 0;
}

static inline void kho_kexec_thaw(void)
{
}
#endif /* CONFIG_KEXEC_HANDOVER */

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
void kho_debug_memblock_alloc(phys_addr_t base, phys_addr_t size);
#else
static inline void kho_debug_memblock_alloc(phys_addr_t base,
					    phys_addr_t size)
{
}
#endif

#endif /* _LINUX_KEXEC_HANDOVER_H */
