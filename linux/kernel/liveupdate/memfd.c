// SPDX-License-Identifier: GPL-2.0
/*
 * memfd.c - live update of memfds: a memfd's pages stay where they are
 * across a kexec reboot and come back as a new memfd.
 */

/**
 * DOC: Live update of memfds
 *
 * PRESERVE_FD of a memfd (any shmem file) keeps every page it has, with
 * no copy: each folio is preserved with KHO at its order and held by a
 * reference, so migration cannot move it, and its mapping is made
 * unevictable until it is no longer kept, so reclaim cannot swap it out
 * (shmem_writepage() would take it out of the page cache). A memfd of
 * 64 MiB or more is walked by several CPUs at once, each taking a share
 * of its indices and writing entries of its own, joined in index order
 * at the end. Folios that
 * sit in KHO scratch (scratch is CMA, and shmem memory is movable) are
 * first migrated to memory outside scratch, with migration's rules: a
 * folio pinned for DMA is not moved (PRESERVE_FD fails with -EBUSY), and
 * one being moved has its mappings replaced by migration entries and its
 * reference count frozen, so no new pin reaches the old copy; that is
 * the only copy. Holes stay holes: a page never written (or only
 * fallocated) is not kept. While kept, the memfd's pages can neither
 * come nor go: ftruncate() that changes its size, fallocate() and a
 * write() past its end fail with -EBUSY, and so does a write() into a
 * hole; a page fault on a hole gets SIGBUS. The set of pages is fixed
 * when PRESERVE_FD starts (shmem refuses new folios from then on, under
 * the lock the walk's page cache lookups order against), and what was
 * kept is counted against the page cache after the walk, so a page that
 * reclaim was already writing to swap is not missed. The freeze at the
 * reboot checks the count once more.
 *
 * The record (``memfd-v1``) is one preserved header page and a chain of
 * entry pages, see Documentation/kho/format.rst. The freeze at the
 * reboot writes the file position and the seals into the header.
 *
 * The next kernel takes back the header, the entries and every folio at
 * late_initcall, checking each record (magic, version, counts bounded by
 * the size and by RAM, seals, position, mode, indexes increasing and
 * inside the size, orders, and the checksum over the header and the
 * entry pages, before any page of it is claimed); one bad record loses
 * that memfd with one line, its memory released as on a cold boot.
 * RETRIEVE_FD makes a new memfd with the same size, position, seals,
 * mode and name, whose page cache is the very folios of the old one;
 * as memfd_create() would, it drops set-id bits, and under
 * vm.memfd_noexec 1 or 2 in the caller's pid namespace the execute bits
 * too, adding F_SEAL_EXEC. F_SEAL_WRITE denies shared writable mappings,
 * as when it is first set.
 * It returns at once however large the memfd: the folios are given to
 * the new file with shmem_preload_folios() and each enters its page
 * cache on first use (with the ones after it), so a program can resume
 * before a million pages have been put in place, and pays for that as
 * it touches them. liveupdate.memfd_populate=1 puts them all in before
 * RETRIEVE_FD returns instead (what memory runs short for waits).
 * Preserving a memfd that still has folios waiting takes them all in
 * first.
 * hugetlbfs memfds (MFD_HUGETLB) have a handler of their own, hugetlb.c.
 */

#define pr_fmt(fmt) "liveupdate memfd: " fmt

#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/pid_namespace.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/xxhash.h>

#include "internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "liveupdate."

#define MEMFD_MAGIC		0x3130444d464d454dULL	/* "MEMFMD01" */
#define MEMFD_VERSION		1
/* Names the record format below in each kept file's session record. */
#define MEMFD_COMPATIBLE	"memfd-v1"

/**
 * struct memfd_header - a kept memfd, one preserved page
 * @magic: %MEMFD_MAGIC
 * @version: %MEMFD_VERSION
 * @seals: the memfd's seals (F_SEAL_*), at the reboot
 * @size: its size in bytes
 * @pos: its file position, at the reboot
 * @nr_entries: number of folios
 * @entries: physical address of the first entry page, or 0
 * @mode: its permission bits
 * @csum: the low 32 bits of the xxh64 of the entry pages, in chain order,
 *	then of this header with @csum zero; never 0 (a 0 digest is written
 *	as 1). 0: the record has none (kernels before this one wrote 0 here)
 * @name: its name ("memfd:..."), NUL-terminated
 */
struct memfd_header {
	__le64 magic;
	__le32 version;
	__le32 seals;
	__le64 size;
	__le64 pos;
	__le64 nr_entries;
	__le64 entries;
	__le32 mode;
	__le32 csum;
	char name[MEMFD_NAME_LEN];
};

/**
 * struct memfd_entry - one folio
 * @index: its page index in the file, aligned to its size
 * @folio: its physical address ORed with its order
 */
struct memfd_entry {
	__le64 index;
	__le64 folio;
};

#define ENTRIES_PER_PAGE	((PAGE_SIZE - 16) / sizeof(struct memfd_entry))

/**
 * struct memfd_entry_page - a page of entries
 * @next: physical address of the next entry page, or 0
 * @count: entries used in this page
 * @entry: the entries
 */
struct memfd_entry_page {
	__le64 next;
	__le64 count;
	struct memfd_entry entry[ENTRIES_PER_PAGE];
};

/*
 * What this kernel holds for a kept memfd. Outgoing: the preserved entry
 * pages, written as the folios are kept (each entry names its folio).
 * Incoming: the folios taken back and their indices, for the new memfd.
 */
struct memfd_state {
	struct memfd_header *hdr;
	struct memfd_entry_page **pages;
	unsigned long nr_pages, pages_cap;
	__le64 *link;		/* outgoing: where the next entry page goes */
	struct folio **folios;
	pgoff_t *index;
	unsigned long nr;
	unsigned long kept;	/* outgoing: pages of the folios kept */
	unsigned long nrpages;	/* outgoing: page cache size when kept */
	bool unevictable;	/* outgoing: we made its mapping unevictable */
	struct xxh64_state ehash;	/* outgoing: of the entry pages */
};

/* outgoing memfds by their header's physical address */
static DEFINE_XARRAY(memfd_out);

/*
 * liveupdate.memfd_populate=1: RETRIEVE_FD puts every folio in the new
 * memfd's page cache before it returns, rather than each on first use.
 */
static bool memfd_populate;
module_param_named(memfd_populate, memfd_populate, bool, 0644);
MODULE_PARM_DESC(memfd_populate, "put a retrieved memfd's pages in its page cache at once");

/* hugetlbfs memfds have a handler of their own, hugetlb.c */
static bool memfd_can_preserve(struct file *file)
{
	return shmem_file(file);
}

/* Incoming: room for the @nr folios the header announces. */
static int alloc_folios(struct memfd_state *st, unsigned long nr)
{
	if (!nr)
		return 0;
	st->folios = kvmalloc_array(nr, sizeof(*st->folios),
				    GFP_KERNEL | __GFP_NOWARN);
	st->index = kvmalloc_array(nr, sizeof(*st->index),
				   GFP_KERNEL | __GFP_NOWARN);
	return st->folios && st->index ? 0 : -ENOMEM;
}

/* Where a folio in scratch goes: not movable, so never CMA, never scratch. */
static struct folio *scratch_dst_folio(struct folio *src, unsigned long private)
{
	return folio_alloc(GFP_HIGHUSER | __GFP_NOWARN, folio_order(src));
}

/*
 * Move the isolated folios on @list out of scratch by migrating them:
 * each is unmapped to migration entries and its reference count frozen
 * at what the page cache and the mappings hold before it is copied, so
 * a reference taken for DMA (an O_DIRECT or io_uring read pinning the
 * page) either makes the move fail or waits for the new folio; nothing
 * is written to the old one once it is copied. A large folio that finds
 * no large one outside scratch may be split and its parts moved. What
 * could not be moved is put back and fails the keep with -EBUSY.
 */
static int move_out_of_scratch(struct list_head *list)
{
	int left;

	if (list_empty(list))
		return 0;
	left = migrate_pages(list, scratch_dst_folio, NULL, 0, MIGRATE_SYNC,
			     MR_CONTIG_RANGE, NULL);
	if (left || !list_empty(list)) {
		putback_movable_pages(list);
		return left < 0 ? left : -EBUSY;
	}
	return 0;
}

/*
 * Take a folio in scratch off the LRU for move_out_of_scratch(); the
 * isolation holds a reference of its own. A folio still in a CPU's LRU
 * batch (just written, or just read back from swap) is not on the LRU
 * yet: drain the batches and try again.
 */
static int isolate_from_scratch(struct folio *folio, struct list_head *list)
{
	if (isolate_folio_to_list(folio, list))
		return 0;
	lru_add_drain_all();
	return isolate_folio_to_list(folio, list) ? 0 : -EBUSY;
}

/*
 * Times a folio in scratch is looked up and tried again when it could
 * not be isolated or moved (reclaim had it off the LRU, a migration
 * found a reference it did not expect) before PRESERVE_FD gives EBUSY.
 */
#define MOVE_TRIES	16

/* The folio an outgoing entry names. */
static struct folio *entry_folio(const struct memfd_entry *e)
{
	return pfn_folio(PHYS_PFN(le64_to_cpu(e->folio) & PAGE_MASK));
}

/* Let go of every folio of an outgoing chain and free its entry pages. */
static void put_entries(struct memfd_state *st)
{
	unsigned long i, k;

	for (i = 0; i < st->nr_pages; i++) {
		struct memfd_entry_page *ep = st->pages[i];

		for (k = 0; k < le64_to_cpu(ep->count); k++) {
			struct folio *folio = entry_folio(&ep->entry[k]);

			kho_unpreserve_folio(folio);
			folio_put(folio);
		}
		lu_free_preserved(ep);
	}
	kvfree(st->pages);
	st->pages = NULL;
	st->nr_pages = 0;
	st->pages_cap = 0;
}

static void put_out_state(struct memfd_state *st)
{
	put_entries(st);
	if (st->hdr)
		lu_free_preserved(st->hdr);
	kfree(st);
}

/*
 * Outgoing: record a kept folio in the entry pages, chained from the
 * header; a new page every ENTRIES_PER_PAGE folios. The entry holds our
 * reference to the folio from now on.
 */
static int add_entry(struct memfd_state *st, struct folio *folio,
		     pgoff_t index)
{
	struct memfd_entry_page *ep = st->nr_pages ?
				      st->pages[st->nr_pages - 1] : NULL;
	unsigned long k;

	if (!ep || le64_to_cpu(ep->count) == ENTRIES_PER_PAGE) {
		if (st->nr_pages == st->pages_cap) {
			unsigned long cap = st->pages_cap ? 2 * st->pages_cap : 8;
			struct memfd_entry_page **p;

			p = kvrealloc(st->pages, array_size(cap, sizeof(*p)),
				      GFP_KERNEL);
			if (!p)
				return -ENOMEM;
			st->pages = p;
			st->pages_cap = cap;
		}
		ep = lu_alloc_preserved();
		if (!ep)
			return -ENOMEM;
		st->pages[st->nr_pages++] = ep;
		*st->link = cpu_to_le64(virt_to_phys(ep));
		st->link = &ep->next;
	}
	k = le64_to_cpu(ep->count);
	ep->entry[k].index = cpu_to_le64(index);
	ep->entry[k].folio = cpu_to_le64(PFN_PHYS(folio_pfn(folio)) |
					 folio_order(folio));
	ep->count = cpu_to_le64(k + 1);
	st->nr++;
	st->kept += folio_nr_pages(folio);
	return 0;
}

/* The digest of what was hashed, then of the header (@csum zero). */
static u32 header_csum(struct xxh64_state *x, const struct memfd_header *hdr)
{
	return lu_csum_header(x, hdr, sizeof(*hdr),
			      offsetof(struct memfd_header, csum));
}

/* Outgoing: the entry pages are final; hash them once, in chain order. */
static void hash_entries(struct memfd_state *st)
{
	unsigned long i;

	xxh64_reset(&st->ehash, 0);
	for (i = 0; i < st->nr_pages; i++)
		xxh64_update(&st->ehash, st->pages[i], PAGE_SIZE);
}

/* The header's last state and its checksum: one page hashed, no more. */
static void fill_header(struct memfd_state *st, struct file *file)
{
	struct inode *inode = file_inode(file);
	struct xxh64_state x = st->ehash;

	st->hdr->seals = cpu_to_le32(SHMEM_I(inode)->seals);
	st->hdr->pos = cpu_to_le64(file->f_pos);
	st->hdr->csum = cpu_to_le32(header_csum(&x, st->hdr));
}

/* Undo what memfd_preserve() did to keep the pages from reclaim. */
static void memfd_evictable_again(struct inode *inode, struct memfd_state *st)
{
	if (!st->unevictable)
		return;
	mapping_clear_unevictable(inode->i_mapping);
	shmem_unlock_mapping(inode->i_mapping);
	st->unevictable = false;
}

/*
 * Keep a page cache folio we hold a reference to (not in scratch):
 * preserve it, record it. On error drops our reference.
 *
 * The folio is not locked for this (two atomic operations a page, a
 * quarter of the cost of keeping a memfd of 4 KiB pages): the inode lock
 * keeps truncation and hole punching out, and our reference makes
 * migration, splitting and khugepaged's collapse give up on it, so it
 * stays this file's folio, at this index and this order.
 */
static int keep_folio(struct memfd_state *st, struct folio *folio)
{
	pgoff_t index = folio->index;
	int err;

	err = kho_preserve_folio(folio);
	if (!err) {
		err = add_entry(st, folio, index);
		if (err)
			kho_unpreserve_folio(folio);
	}
	if (err)
		folio_put(folio);
	return err;
}

/*
 * Zero a folio fallocate() put in the page cache and mark it up to date,
 * as shmem does on its first use. False if it left the page cache.
 */
static bool prepare_fallocated(struct folio *folio,
			       struct address_space *mapping)
{
	bool ours;

	folio_lock(folio);
	ours = folio->mapping == mapping;
	if (ours && !folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_unlock(folio);
	return ours;
}

/*
 * Keep every folio that starts in pages [@index, @end) of a file with
 * nothing in swap: one walk of the page cache in batches, holes skipped
 * at no cost. A large folio that starts before @index is left to the
 * range that holds its first page (when a memfd is kept in parts, a
 * share boundary need not be folio-aligned); one that runs past @end is
 * kept whole. Entries are written in index order, so from the first
 * folio of a batch that sits in scratch on, the batch's folios in
 * scratch are moved out together and the rest of the batch is looked
 * up again, finding them where they now are.
 */
static int keep_range(struct memfd_state *st, struct address_space *mapping,
		      pgoff_t index, pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t first = index, again = ULONG_MAX;
	unsigned int i, tries = 0;
	int err = 0, merr = 0;

	folio_batch_init(&fbatch);
	while (!err && index < end &&
	       filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		LIST_HEAD(moving);
		pgoff_t restart = ULONG_MAX;

		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			/*
			 * Not ours any more (reclaim got to it before the
			 * mapping was unevictable), or the range before's,
			 * or after one being moved (looked up again).
			 */
			if (err || folio->mapping != mapping ||
			    folio->index < first ||
			    (restart != ULONG_MAX &&
			     !kho_is_scratch_pfn(folio_pfn(folio)))) {
				folio_put(folio);
				continue;
			}
			/* scratch is aligned to MAX_PAGE_ORDER: a folio is in or out */
			if (kho_is_scratch_pfn(folio_pfn(folio))) {
				if (restart == ULONG_MAX) {
					restart = folio->index;
					/* still there: a pin, or reclaim has it */
					if (restart == again &&
					    ++tries > MOVE_TRIES)
						err = -EBUSY;
				}
				if (!err && !merr)
					merr = isolate_from_scratch(folio, &moving);
				folio_put(folio);
				continue;
			}
			/*
			 * Fallocated and never written: the file's page all
			 * the same, and a write after PRESERVE_FD may fill
			 * it. Zeroed now, as its first use would, and kept.
			 */
			if (!folio_test_uptodate(folio) &&
			    !prepare_fallocated(folio, mapping)) {
				folio_put(folio);
				continue;
			}
			/* the batch's reference is the one kept (or dropped) */
			err = keep_folio(st, folio);
		}
		folio_batch_reinit(&fbatch);
		if (restart != ULONG_MAX) {
			if (err || merr)
				putback_movable_pages(&moving);
			else
				merr = move_out_of_scratch(&moving);
			/* looked up again, and tried again */
			if (merr == -EBUSY && tries < MOVE_TRIES)
				merr = 0;
			err = err ?: merr;
			merr = 0;
			if (restart != again)
				tries = 0;
			index = restart;
			again = restart;
		}
		cond_resched();
	}
	return err;
}

/*
 * A memfd of at least twice memfd_split_pages pages is kept by up to
 * KEEP_MAX_PARTS CPUs at once, each walking its share of the page cache
 * into an entry chain of its own; the chains are then joined in index
 * order. Per page, keeping is a reference, a tracker bit and an entry,
 * so a large memfd of small folios takes time in proportion to its
 * pages: spread over the CPUs a host has idle while it prepares to
 * reboot, that time shrinks with their number.
 */
#define KEEP_MAX_PARTS		8

/* liveupdate.memfd_split_pages: pages per CPU at least; 0: one CPU */
static unsigned long memfd_split_pages = 16UL << 10;
module_param_named(memfd_split_pages, memfd_split_pages, ulong, 0644);
MODULE_PARM_DESC(memfd_split_pages, "keep a memfd with a CPU more for every this many pages it has (0: one CPU)");

struct keep_part {
	struct work_struct work;
	struct memfd_state st;
	__le64 head;		/* the first entry page of its chain */
	struct address_space *mapping;
	pgoff_t start, end;
	int err;
};

static void keep_part_fn(struct work_struct *work)
{
	struct keep_part *p = container_of(work, struct keep_part, work);

	p->err = keep_range(&p->st, p->mapping, p->start, p->end);
}

/*
 * Append @part's chain to @st's: @part's pages become @st's, their
 * entries moved down to fill @st's last page first, so every page but
 * the last stays full (the record format's rule). Entry k of @part moves
 * to position c + k of the joined list, c being the entries of @st's last
 * page, which is never after where it is: one pass forward suffices. The
 * caller made room for the page pointers.
 */
static void join_chain(struct memfd_state *st, struct keep_part *part)
{
	struct memfd_state *ps = &part->st;
	struct memfd_entry_page *dst, *src;
	unsigned long c, d, k, n, i, j;

	if (!ps->nr_pages)
		return;
	dst = st->nr_pages ? st->pages[st->nr_pages - 1] : NULL;
	c = dst ? le64_to_cpu(dst->count) : ENTRIES_PER_PAGE;
	if (c < ENTRIES_PER_PAGE) {
		/* d: the page written into, from st's last (0) on */
		d = 0;
		k = c;
		for (i = 0; i < ps->nr_pages; i++) {
			src = ps->pages[i];
			n = le64_to_cpu(src->count);
			for (j = 0; j < n; j++) {
				if (k == ENTRIES_PER_PAGE) {
					dst->count = cpu_to_le64(k);
					dst = ps->pages[d++];
					k = 0;
				}
				dst->entry[k++] = src->entry[j];
			}
		}
		dst->count = cpu_to_le64(k);
		/* the pages after the one written last are empty now */
		for (i = d; i < ps->nr_pages; i++)
			lu_free_preserved(ps->pages[i]);
		ps->nr_pages = d;
		if (d)
			ps->pages[d - 1]->next = 0;
	}
	if (ps->nr_pages) {
		*st->link = cpu_to_le64(virt_to_phys(ps->pages[0]));
		st->link = &ps->pages[ps->nr_pages - 1]->next;
		memcpy(st->pages + st->nr_pages, ps->pages,
		       ps->nr_pages * sizeof(*ps->pages));
		st->nr_pages += ps->nr_pages;
	}
	st->nr += ps->nr;
	st->kept += ps->kept;
	kvfree(ps->pages);
	ps->pages = NULL;
	ps->nr_pages = 0;
}

/* Keep the pages below @end of a file with nothing in swap. */
static int keep_resident(struct memfd_state *st, struct inode *inode,
			 pgoff_t end)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned long split = READ_ONCE(memfd_split_pages);
	unsigned long i, need, n;
	struct keep_part *parts;
	pgoff_t share;
	int err;

	n = min3((unsigned long)num_online_cpus(), (unsigned long)KEEP_MAX_PARTS,
		 split ? mapping->nrpages / split : 0);
	if (n < 2)
		return keep_range(st, mapping, 0, end);
	parts = kcalloc(n, sizeof(*parts), GFP_KERNEL);
	if (!parts)
		return keep_range(st, mapping, 0, end);
	share = DIV_ROUND_UP(end, n);
	/* part 0 is ours, the others go to the unbound workqueue */
	for (i = 1; i < n; i++) {
		struct keep_part *p = &parts[i];

		p->st.link = &p->head;
		p->mapping = mapping;
		p->start = min(end, i * share);
		p->end = min(end, p->start + share);
		INIT_WORK(&p->work, keep_part_fn);
		queue_work(system_unbound_wq, &p->work);
	}
	err = keep_range(st, mapping, 0, min(end, share));
	need = st->nr_pages;
	for (i = 1; i < n; i++) {
		flush_work(&parts[i].work);
		err = err ?: parts[i].err;
		need += parts[i].st.nr_pages;
	}
	/* room for every page pointer first: joining cannot fail */
	if (!err && need > st->pages_cap) {
		struct memfd_entry_page **p;

		p = kvrealloc(st->pages, array_size(need, sizeof(*p)),
			      GFP_KERNEL);
		if (p) {
			st->pages = p;
			st->pages_cap = need;
		} else {
			err = -ENOMEM;
		}
	}
	for (i = 1; i < n; i++) {
		if (err)
			put_entries(&parts[i].st);
		else
			join_chain(st, &parts[i]);
	}
	kfree(parts);
	return err;
}

/*
 * The same, page by page, bringing in what is in swap (a folio read back
 * may land in scratch: it is moved out, then looked up again).
 */
static int keep_swapped(struct memfd_state *st, struct inode *inode,
			pgoff_t end)
{
	pgoff_t index, moved = ULONG_MAX;
	unsigned int tries = 0;
	int err;

	for (index = 0; index < end; cond_resched()) {
		struct folio *folio = NULL;

		err = shmem_get_folio(inode, index, 0, &folio, SGP_READ);
		if (err)
			return err;
		if (folio) {
			folio_unlock(folio);
		} else {
			/* SGP_READ passes over fallocated folios too */
			folio = filemap_get_folio(inode->i_mapping, index);
			if (IS_ERR(folio)) {
				index++;
				continue;
			}
			if (!prepare_fallocated(folio, inode->i_mapping)) {
				folio_put(folio);
				index++;
				continue;
			}
		}
		if (kho_is_scratch_pfn(folio_pfn(folio))) {
			LIST_HEAD(moving);

			/* still there after MOVE_TRIES: a pin, or reclaim */
			tries = folio->index == moved ? tries + 1 : 0;
			err = tries >= MOVE_TRIES ? -EBUSY :
			      isolate_from_scratch(folio, &moving);
			moved = folio->index;
			index = folio->index;
			folio_put(folio);
			err = err ?: move_out_of_scratch(&moving);
			if (err == -EBUSY && tries < MOVE_TRIES)
				err = 0;
			if (err)
				return err;
			continue;
		}
		index = folio_next_index(folio);
		err = keep_folio(st, folio);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Mark the file kept, or no longer: shmem then refuses every new folio
 * (shmem_add_to_page_cache() looks under the same lock), so a walk of
 * the page cache that starts after sees every page the file will have.
 */
static void set_kept(struct inode *inode, unsigned int kept)
{
	xa_lock_irq(&inode->i_mapping->i_pages);
	WRITE_ONCE(SHMEM_I(inode)->liveupdate, kept);
	xa_unlock_irq(&inode->i_mapping->i_pages);
}

/* Pages of the folios that start at @end or later (fallocated past EOF). */
static unsigned long pages_from(struct address_space *mapping, pgoff_t end)
{
	XA_STATE(xas, &mapping->i_pages, end);
	unsigned long n = 0;
	struct folio *folio;

	rcu_read_lock();
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio) || xa_is_value(folio) ||
		    folio->index < end)
			continue;
		n += folio_nr_pages(folio);
	}
	rcu_read_unlock();
	return n;
}

/*
 * Keep every page below the size: no page can be added meanwhile, but
 * one may still leave for swap if reclaim took it before the mapping was
 * unevictable (shmem_writepage() raises ->swapped, then takes the folio
 * out of the page cache, both before we look under the xarray lock). So
 * what was kept is counted against the page cache: a page missed, or
 * one kept and then swapped out, makes the walk that swaps in start
 * again. Returns 0, or -EBUSY when reclaim keeps taking pages.
 */
static int keep_pages(struct memfd_state *st, struct inode *inode,
		      const char *name)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t end = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned long nrpages, swapped, past;
	bool swapin;
	int tries, err;

	for (tries = 0; tries < 3; tries++) {
		if (tries) {
			put_entries(st);
			st->hdr->entries = 0;
			st->link = &st->hdr->entries;
			st->nr = 0;
			st->kept = 0;
		}
		swapin = READ_ONCE(SHMEM_I(inode)->swapped);
		if (swapin)
			err = keep_swapped(st, inode, end);
		else
			err = keep_resident(st, inode, end);
		if (err)
			return err;
		past = pages_from(mapping, end);
		xa_lock_irq(&mapping->i_pages);
		nrpages = mapping->nrpages;
		swapped = READ_ONCE(SHMEM_I(inode)->swapped);
		xa_unlock_irq(&mapping->i_pages);
		if (nrpages == st->kept + past && (swapin || !swapped))
			return 0;
	}
	pr_err("%s: pages went to swap while it was being kept (%lu kept, %lu in memory); try again\n",
	       name, st->kept, nrpages - past);
	return -EBUSY;
}

static int memfd_preserve(struct file *file, u64 *data)
{
	struct inode *inode = file_inode(file);
	struct memfd_state *st;
	int err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	inode_lock(inode);
	if (SHMEM_I(inode)->liveupdate) {
		inode_unlock(inode);
		kfree(st);
		return -EBUSY;
	}
	/* from here on no page can be added to it: a fault into a hole fails */
	set_kept(inode, 1);
	/*
	 * Reclaim must not swap out what we keep: shmem_writepage() would
	 * take the folio out of the page cache, reference or not.
	 */
	if (!mapping_unevictable(inode->i_mapping)) {
		mapping_set_unevictable(inode->i_mapping);
		st->unevictable = true;
	}
	err = -ENOMEM;
	st->hdr = lu_alloc_preserved();
	if (!st->hdr)
		goto fail;
	st->link = &st->hdr->entries;
	/* a memfd taken back from the last live update: all of it, in */
	err = shmem_preload_range(inode, 0, ULONG_MAX);
	if (err)
		goto fail;
	err = keep_pages(st, inode, file_dentry(file)->d_name.name);
	if (err)
		goto fail;
	st->hdr->nr_entries = cpu_to_le64(st->nr);
	st->hdr->magic = cpu_to_le64(MEMFD_MAGIC);
	st->hdr->version = cpu_to_le32(MEMFD_VERSION);
	st->hdr->size = cpu_to_le64(i_size_read(inode));
	st->hdr->mode = cpu_to_le32(inode->i_mode & 07777);
	strscpy(st->hdr->name, file_dentry(file)->d_name.name,
		sizeof(st->hdr->name));
	hash_entries(st);
	fill_header(st, file);
	st->nrpages = inode->i_mapping->nrpages;
	*data = virt_to_phys(st->hdr);
	err = xa_insert(&memfd_out, *data, st, GFP_KERNEL);
	if (err)
		goto fail;
	inode_unlock(inode);
	return 0;
fail:
	set_kept(inode, 0);
	memfd_evictable_again(inode, st);
	inode_unlock(inode);
	put_out_state(st);
	return err;
}

static void memfd_unpreserve(struct file *file, u64 data)
{
	struct memfd_state *st = xa_erase(&memfd_out, data);
	struct inode *inode = file_inode(file);

	if (WARN_ON(!st))
		return;
	inode_lock(inode);
	set_kept(inode, 0);
	memfd_evictable_again(inode, st);
	inode_unlock(inode);
	put_out_state(st);
}

/*
 * debugfs liveupdate/corrupt "memfd-count|memfd-entry|memfd-fields":
 * damage the records of the memfds named "dmg-target*" after their
 * checksum was written. memfd-entry points the first entry at the first
 * folio of the memfd named "dmg-other": another file's preserved page.
 */
static void debug_damage(struct memfd_state *st)
{
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
	const char *what = lu_debug_corrupt;
	struct memfd_state *o;
	unsigned long i;

	if (strncmp(st->hdr->name, "memfd:dmg-target", 16) ||
	    strncmp(what, "memfd-", 6))
		return;
	if (!strcmp(what, "memfd-count")) {
		st->hdr->size = cpu_to_le64(MAX_LFS_FILESIZE);
		st->hdr->nr_entries = cpu_to_le64(1ULL << 40);
	} else if (!strcmp(what, "memfd-entry") && st->nr_pages) {
		xa_for_each(&memfd_out, i, o)
			if (!strcmp(o->hdr->name, "memfd:dmg-other") &&
			    o->nr_pages)
				st->pages[0]->entry[0].folio =
					o->pages[0]->entry[0].folio;
	} else if (!strcmp(what, "memfd-fields")) {
		/* each target a field of its own, by the name's last letter */
		switch (st->hdr->name[strlen(st->hdr->name) - 1]) {
		case 's':
			st->hdr->seals |= cpu_to_le32(0x8000);
			break;
		case 'p':
			st->hdr->pos = cpu_to_le64(1ULL << 63);
			break;
		case 'm':
			st->hdr->mode |= cpu_to_le32(010000);
			break;
		}
	}
	pr_warn("debug: record of %s damaged: %s\n", st->hdr->name, what);
#endif
}

static int memfd_freeze(struct file *file, u64 data)
{
	struct memfd_state *st = xa_load(&memfd_out, data);

	if (!st)
		return -ENOENT;
	/* a page written into a hole since would be lost: say so, no reboot */
	if (READ_ONCE(file->f_mapping->nrpages) != st->nrpages) {
		pr_err("%s: pages were added after it was kept (%lu, was %lu); preserve it again\n",
		       st->hdr->name, READ_ONCE(file->f_mapping->nrpages),
		       st->nrpages);
		return -EBUSY;
	}
	fill_header(st, file);
	debug_damage(st);
	return 0;
}

static void put_in_state(struct memfd_state *st)
{
	unsigned long i;

	for (i = 0; i < st->nr; i++)
		if (st->folios[i])
			folio_put(st->folios[i]);
	kvfree(st->folios);
	kvfree(st->index);
	kfree(st->hdr);
	kfree(st);
}

/*
 * Check the entries of one entry page (@n of them are needed from it),
 * then take their folios back in one batch into @st. @phys: room for
 * ENTRIES_PER_PAGE addresses. Returns why the memfd is lost, or NULL.
 */
static const char *restore_entry_page(struct memfd_state *st,
				      const struct memfd_entry_page *ep,
				      unsigned long n, pgoff_t *min,
				      pgoff_t end, phys_addr_t *phys)
{
	unsigned long k, got;
	unsigned int order;
	u64 e, index;

	if (le64_to_cpu(ep->count) < n)
		return "entry count";
	for (k = 0; k < n; k++) {
		index = le64_to_cpu(ep->entry[k].index);
		e = le64_to_cpu(ep->entry[k].folio);
		order = e & ~PAGE_MASK;
		/*
		 * A large folio may run past the size (shmem_enabled=always
		 * puts huge folios past EOF), it must start inside it.
		 */
		if (order > MAX_PAGECACHE_ORDER ||
		    (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && order) ||
		    index < *min || index >= end ||
		    index & ((1UL << order) - 1))
			return "bad entry";
		phys[k] = e & PAGE_MASK;
		st->index[st->nr + k] = index;
		*min = index + (1UL << order);
	}
	got = kho_restore_folios(phys, n, st->folios + st->nr);
	/* what was taken back is ours to put, whatever happens next */
	st->nr += got;
	if (got < n)
		return "folio not preserved";
	for (k = 0; k < n; k++)
		if (folio_order(st->folios[st->nr - n + k]) !=
		    (le64_to_cpu(ep->entry[k].folio) & ~PAGE_MASK))
			return "folio not preserved";
	return NULL;
}

static const char *restore_entries(struct memfd_state *st, u64 next,
				   u64 nr, pgoff_t end)
{
	const char *why = NULL;
	phys_addr_t *phys;
	pgoff_t min = 0;

	phys = kmalloc_array(ENTRIES_PER_PAGE, sizeof(*phys), GFP_KERNEL);
	if (!phys)
		return "out of memory";
	while (st->nr < nr && !why) {
		struct memfd_entry_page *ep = lu_restore_preserved(next);

		if (!ep || le64_to_cpu(ep->count) > ENTRIES_PER_PAGE) {
			why = "entry page not preserved";
		} else {
			next = le64_to_cpu(ep->next);
			why = restore_entry_page(st, ep,
						 min_t(u64, nr - st->nr,
						       ENTRIES_PER_PAGE),
						 &min, end, phys);
		}
		if (ep)
			folio_put(virt_to_folio(ep));
	}
	kfree(phys);
	return why;
}

/*
 * Check a record's checksum before anything of it is taken back: the
 * entry pages are read where they are, each one preserved and not yet
 * taken, so a damaged pointer never claims another file's memory.
 */
static const char *check_csum(const struct memfd_header *hdr, u64 nr)
{
	struct xxh64_state x;

	xxh64_reset(&x, 0);
	if (!lu_hash_chain(&x, le64_to_cpu(hdr->entries),
			   DIV_ROUND_UP(nr, ENTRIES_PER_PAGE)))
		return "entry page not preserved";
	return header_csum(&x, hdr) == le32_to_cpu(hdr->csum) ? NULL :
	       "checksum";
}

/**
 * lu_memfd_fields_ok() - are a memfd record's position, seals, mode and
 *	name ones this kernel can give a file
 * @pos: file position
 * @seals: F_SEAL_* bits
 * @mode: permission bits
 * @name: the name field, %MEMFD_NAME_LEN bytes
 *
 * Return: true if every one is valid.
 */
bool lu_memfd_fields_ok(u64 pos, u32 seals, u32 mode, const char *name)
{
	return pos <= LLONG_MAX && !(seals & ~MEMFD_SEALS) &&
	       !(mode & ~07777) && memchr(name, 0, MEMFD_NAME_LEN);
}

/**
 * lu_memfd_apply() - give a retrieved memfd its mode, seals and position
 * @file: the new file
 * @file_seals: where its filesystem keeps its seals
 * @mode: the record's permission bits
 * @seals: the record's seals
 * @pos: the record's file position
 *
 * As memfd_create() in the caller's pid namespace would make it: never
 * set-id (the file is now the caller's), and under vm.memfd_noexec 1 or
 * 2 not executable and sealed so. F_SEAL_WRITE denies shared writable
 * mappings, as memfd_add_seals() does when it is set.
 */
void lu_memfd_apply(struct file *file, unsigned int *file_seals, u32 mode,
		    u32 seals, u64 pos)
{
	struct inode *inode = file_inode(file);

	mode &= 0777;
	if (pidns_memfd_noexec_scope(task_active_pid_ns(current)) >=
	    MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL) {
		mode &= ~0111;
		seals |= F_SEAL_EXEC;
	}
	inode->i_mode = (inode->i_mode & ~07777) | mode;
	if (seals & F_SEAL_WRITE)
		mapping_deny_writable(file->f_mapping);
	*file_seals = seals;
	file->f_pos = pos;
}

static void *memfd_restore(u64 data)
{
	struct memfd_header *hdr = lu_restore_preserved(data);
	struct memfd_state *st;
	const char *why = "header not preserved";
	u64 size, nr;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st || !hdr)
		goto fail;
	st->hdr = kmemdup(hdr, sizeof(*hdr), GFP_KERNEL);
	folio_put(virt_to_folio(hdr));
	hdr = NULL;
	why = "out of memory";
	if (!st->hdr)
		goto fail;
	size = le64_to_cpu(st->hdr->size);
	nr = le64_to_cpu(st->hdr->nr_entries);
	why = "bad header";
	/* no more folios than the size holds, nor than this machine has */
	if (le64_to_cpu(st->hdr->magic) != MEMFD_MAGIC ||
	    le32_to_cpu(st->hdr->version) != MEMFD_VERSION ||
	    size > MAX_LFS_FILESIZE || nr > DIV_ROUND_UP(size, PAGE_SIZE) ||
	    nr > totalram_pages() ||
	    !lu_memfd_fields_ok(le64_to_cpu(st->hdr->pos),
				le32_to_cpu(st->hdr->seals),
				le32_to_cpu(st->hdr->mode), st->hdr->name))
		goto fail;
	if (st->hdr->csum) {
		why = check_csum(st->hdr, nr);
		if (why)
			goto fail;
	}
	why = "out of memory";
	if (alloc_folios(st, nr))
		goto fail;
	why = restore_entries(st, le64_to_cpu(st->hdr->entries), nr,
			      DIV_ROUND_UP(size, PAGE_SIZE));
	if (why)
		goto fail;
	return st;
fail:
	pr_err("a kept memfd is lost: %s\n", why);
	if (hdr)
		folio_put(virt_to_folio(hdr));
	if (st)
		put_in_state(st);
	return ERR_PTR(-EINVAL);
}

static struct file *memfd_retrieve(void *priv)
{
	struct memfd_state *st = priv;
	struct inode *inode;
	struct file *file;
	int err;

	/* the name keeps its "memfd:" prefix, as memfd_create() made it */
	file = shmem_file_setup(st->hdr->name, 0, VM_NORESERVE);
	if (IS_ERR(file))
		return file;
	inode = file_inode(file);
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	i_size_write(inode, le64_to_cpu(st->hdr->size));
	/*
	 * The same folios, at the same indices: no copy. Each enters the
	 * page cache when first used, or all of them now.
	 */
	err = shmem_preload_folios(inode, st->folios, st->index, st->nr);
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	st->folios = NULL;
	st->index = NULL;
	st->nr = 0;
	/* best effort: what could not go in now goes in on first use */
	if (memfd_populate && shmem_preload_range(inode, 0, ULONG_MAX))
		pr_warn_ratelimited("%s: out of memory filling its page cache; the rest on first use\n",
				    st->hdr->name);
	lu_memfd_apply(file, &SHMEM_I(inode)->seals,
		       le32_to_cpu(st->hdr->mode), le32_to_cpu(st->hdr->seals),
		       le64_to_cpu(st->hdr->pos));
	put_in_state(st);
	return file;
}

static void memfd_finish(void *priv)
{
	put_in_state(priv);
}

static const struct liveupdate_file_ops memfd_ops = {
	.can_preserve = memfd_can_preserve,
	.preserve = memfd_preserve,
	.unpreserve = memfd_unpreserve,
	.freeze = memfd_freeze,
	.restore = memfd_restore,
	.retrieve = memfd_retrieve,
	.finish = memfd_finish,
};

static struct liveupdate_file_handler memfd_handler = {
	.compatible = MEMFD_COMPATIBLE,
	.ops = &memfd_ops,
};

static int __init memfd_lu_init(void)
{
	return liveupdate_register_file_handler(&memfd_handler);
}
fs_initcall(memfd_lu_init);
