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

#ifdef CONFIG_KEXEC_HANDOVER
bool kho_is_enabled(void);
int kho_preserve_folio(struct folio *folio);
int kho_unpreserve_folio(struct folio *folio);
int kho_preserve_pages(struct page *page, unsigned long nr);
int kho_unpreserve_pages(struct page *page, unsigned long nr);
int kho_preserved_order(unsigned long pfn, unsigned long *start);
int kho_add_subtree(const char *name, void *blob, size_t size);
int kho_remove_subtree(const char *name);
#else
static inline bool kho_is_enabled(void)
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
#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KEXEC_HANDOVER_H */
