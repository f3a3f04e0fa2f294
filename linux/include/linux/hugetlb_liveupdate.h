/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugetlb_liveupdate.h - what live update of hugetlb memfds needs from
 * hugetlb (mm/hugetlb.c, patch 0016): a hugetlbfs file whose pages are
 * kept for the next kernel takes no page and loses none, and the next
 * kernel makes the kept pages hugetlb pages of their hstate again.
 *
 * With KHO, hugetlb_cma= areas are reserved late, outside scratch and
 * kept memory (mm/mm_init.c calls hugetlb_cma_reserve_kho()).
 *
 * Its own header, not hugetlb.h: only mm/hugetlb.c, mm/mm_init.c,
 * fs/hugetlbfs and kernel/liveupdate/hugetlb.c include it, so adding to
 * it rebuilds those four and nothing else.
 */
#ifndef _LINUX_HUGETLB_LIVEUPDATE_H
#define _LINUX_HUGETLB_LIVEUPDATE_H

#include <linux/types.h>

struct address_space;
struct folio;
struct hstate;
struct page;

#if defined(CONFIG_HUGETLBFS) && defined(CONFIG_LIVEUPDATE)
int hugetlb_set_kept(struct address_space *mapping, bool kept);
bool hugetlb_is_kept(struct address_space *mapping);
struct folio *hugetlb_adopt_kept(struct hstate *h, struct page *page);
int hugetlb_add_kept(struct address_space *mapping, struct folio **folios,
		     pgoff_t index, unsigned long nr, unsigned long *added);
unsigned long hugetlb_lu_kept(struct hstate *h, int nid);
#else
static inline bool hugetlb_is_kept(struct address_space *mapping)
{
	return false;
}

static inline unsigned long hugetlb_lu_kept(struct hstate *h, int nid)
{
	return 0;
}
#endif

#if defined(CONFIG_HUGETLBFS) && defined(CONFIG_CMA)
void hugetlb_cma_reserve_kho(void);
#else
static inline void hugetlb_cma_reserve_kho(void)
{
}
#endif

#endif /* _LINUX_HUGETLB_LIVEUPDATE_H */
