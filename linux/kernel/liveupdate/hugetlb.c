// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb.c - live update of hugetlb memfds: a memfd_create(MFD_HUGETLB)
 * file's huge pages stay where they are across a kexec reboot and come
 * back as a new hugetlb memfd of the same page size.
 */

/**
 * DOC: Live update of hugetlb memfds
 *
 * PRESERVE_FD of a hugetlbfs file (memfd_create() with MFD_HUGETLB, any
 * huge page size the kernel has: 2 MiB, 1 GiB on x86) keeps each of its
 * huge pages with no copy: the run of base pages is preserved with KHO
 * and the folio held by a reference, which makes migration, memory
 * offlining and alloc_contig_range() give up on it (hugetlb pages are
 * never reclaimed). From PRESERVE_FD on its pages can neither come nor
 * go: the mapping is marked kept, which waits for every page cache
 * insertion already under way; a page fault on a hole gets SIGBUS, and
 * fallocate(), hole punching and a size change fail with -EBUSY (patch
 * 0016). The freeze at the reboot checks the page count once more.
 * Holes stay holes.
 *
 * A huge page in KHO scratch cannot be kept (the next kernel allocates
 * from scratch before it knows what was kept): with KHO on, hugetlb
 * takes huge pages from the buddy allocator as unmovable allocations
 * (scratch is CMA, which only movable ones use), and gigantic pages
 * from alloc_contig_pages() never come from CMA. Should one be found in
 * scratch all the same, PRESERVE_FD fails with -EADDRNOTAVAIL and says
 * which file.
 *
 * The record (``hugetlb-v1``) is one preserved header page and a chain
 * of entry pages, one entry per huge page, see
 * Documentation/kho/format.rst. The next kernel checks the record
 * (magic, version, a huge page size it has, size and counts, seals,
 * position, mode, indexes increasing and inside the size, addresses
 * aligned to the page size, and the checksum over the entry pages and
 * the header, before any page of it is claimed); one bad record loses
 * that file with one line, its memory released as on a cold boot. At
 * late_initcall it takes every huge page back, as one compound page
 * when it is one KHO block (2 MiB; kho_restore_compound()), and makes it
 * a hugetlb page of its hstate on its node (hugetlb_adopt_kept()).
 *
 * The outgoing kernel also keeps the "hugetlb-kept" blob: its kept huge
 * pages counted by size and node, updated at each PRESERVE_FD and
 * unpreserve. The next kernel's boot-time pool reads it
 * (hugetlb_lu_kept()) and leaves room for that many pages, which the
 * kept pages then fill; only a kept page with no room (a node's share
 * of a per-node pool was smaller) takes the place of a free pool page,
 * which goes back to the buddy allocator. Either way HugePages_Total is
 * what the pool was asked for and HugePages_Free a page fewer, as after
 * a fault; with no free page to spare anywhere it is a surplus page.
 * RETRIEVE_FD makes a new hugetlb memfd of the same page size, size,
 * position, seals, mode and name, with the very same huge pages in its
 * page cache, recorded in its reservation map as faulted
 * pages are. Closing it, or FINISH of a session without RETRIEVE_FD,
 * frees the pages as any hugetlb page is freed: back to the pool, or
 * to the buddy allocator for surplus ones.
 */

#define pr_fmt(fmt) "liveupdate hugetlb: " fmt

#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_liveupdate.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <linux/xxhash.h>

#include "internal.h"

#define HUGEFD_MAGIC		0x3130444645475548ULL	/* "HUGEFD01" */
#define HUGEFD_VERSION		1
/* Names the record format below in each kept file's session record. */
#define HUGEFD_COMPATIBLE	"hugetlb-v1"

/**
 * struct hugefd_header - a kept hugetlb memfd, one preserved page
 * @magic: %HUGEFD_MAGIC
 * @version: %HUGEFD_VERSION
 * @seals: the file's seals (F_SEAL_*), at the reboot
 * @size: its size in bytes, a multiple of the huge page size
 * @pos: its file position, at the reboot
 * @nr_entries: number of huge pages
 * @entries: physical address of the first entry page, or 0
 * @mode: its permission bits
 * @csum: the low 32 bits of the xxh64 of the entry pages, in chain
 *	order, then of this header with @csum zero; never 0
 * @shift: log2 of its huge page size (21: 2 MiB, 30: 1 GiB)
 * @reserved: zero
 * @name: its name ("memfd:..."), NUL-terminated
 */
struct hugefd_header {
	__le64 magic;
	__le32 version;
	__le32 seals;
	__le64 size;
	__le64 pos;
	__le64 nr_entries;
	__le64 entries;
	__le32 mode;
	__le32 csum;
	__le32 shift;
	__le32 reserved;
	char name[MEMFD_NAME_LEN];
};

/**
 * struct hugefd_entry - one huge page
 * @index: its index in the file, in huge pages
 * @phys: its physical address, aligned to its size
 */
struct hugefd_entry {
	__le64 index;
	__le64 phys;
};

#define HUGEFD_PER_PAGE	((PAGE_SIZE - 16) / sizeof(struct hugefd_entry))

/**
 * struct hugefd_entry_page - a page of entries
 * @next: physical address of the next entry page, or 0
 * @count: entries used in this page
 * @entry: the entries
 */
struct hugefd_entry_page {
	__le64 next;
	__le64 count;
	struct hugefd_entry entry[HUGEFD_PER_PAGE];
};

/*
 * What this kernel holds for a kept file. Outgoing: the preserved header
 * and entry pages, the kept folios (a reference each) and the page count
 * when kept. Incoming: the adopted folios and their indices, for the new
 * file; a NULL folio was given to it already.
 */
struct hugefd_state {
	struct hugefd_header *hdr;
	struct hugefd_entry_page **pages;
	unsigned long nr_pages;
	struct folio **folios;
	pgoff_t *index;
	unsigned long nr;
	unsigned long nrpages;
	struct hstate *h;
	struct xxh64_state ehash;
};

/* outgoing files by their header's physical address */
static DEFINE_XARRAY(hugefd_out);

#define HUGEFD_KEPT_NODE	"hugetlb-kept"
#define HUGEFD_KEPT_MAGIC	0x5450454b45475548ULL	/* "HUGEKEPT" */
#define HUGEFD_KEPT_VERSION	1

/**
 * struct hugefd_kept_entry - kept huge pages of one size on one node
 * @shift: log2 of the huge page size
 * @nid: the node
 * @count: how many
 */
struct hugefd_kept_entry {
	__le32 shift;
	__le32 nid;
	__le64 count;
};

#define HUGEFD_KEPT_MAX	((PAGE_SIZE - 16) / sizeof(struct hugefd_kept_entry))

/**
 * struct hugefd_kept - the "hugetlb-kept" blob: every kept huge page,
 *	counted by size and node, for the next kernel's boot-time pool
 * @magic: %HUGEFD_KEPT_MAGIC
 * @version: %HUGEFD_KEPT_VERSION
 * @nr: entries used
 * @entry: the counts; a size and node not listed has none (or did not
 *	fit: the count is a hint, see hugetlb_lu_kept())
 */
struct hugefd_kept {
	__le64 magic;
	__le32 version;
	__le32 nr;
	struct hugefd_kept_entry entry[HUGEFD_KEPT_MAX];
};

/*
 * outgoing: the counts, updated as files are kept and let go; NULL
 * without KHO (or if the blob could not be added: the next kernel's pool
 * then leaves no room, and kept pages replace free pool pages)
 */
static struct hugefd_kept *kept_out;
static DEFINE_MUTEX(kept_lock);

/* Count @st's huge pages in (@add) or out of the "hugetlb-kept" blob. */
static void kept_count(struct hugefd_state *st, bool add)
{
	u32 shift = huge_page_shift(st->h), n, k;
	struct hugefd_kept_entry *e;
	unsigned long i;

	mutex_lock(&kept_lock);
	for (i = 0; kept_out && i < st->nr; i++) {
		u32 nid = folio_nid(st->folios[i]);

		n = le32_to_cpu(kept_out->nr);
		for (k = 0, e = kept_out->entry; k < n; k++, e++)
			if (le32_to_cpu(e->shift) == shift &&
			    le32_to_cpu(e->nid) == nid)
				break;
		if (k == n) {
			if (!add || n == HUGEFD_KEPT_MAX)
				continue;
			e->shift = cpu_to_le32(shift);
			e->nid = cpu_to_le32(nid);
			e->count = 0;
			kept_out->nr = cpu_to_le32(n + 1);
		}
		if (add)
			le64_add_cpu(&e->count, 1);
		else if (e->count)
			le64_add_cpu(&e->count, -1);
	}
	mutex_unlock(&kept_lock);
}

/* incoming: the previous kernel's counts, read at the first call */
static struct hugefd_kept_entry kept_in[HUGEFD_KEPT_MAX] __initdata;
static u32 kept_in_nr __initdata;
static bool kept_in_read __initdata;

static void __init kept_read(void)
{
	struct hugefd_kept *k;
	phys_addr_t phys;
	u64 size;

	kept_in_read = true;
	if (kho_retrieve_subtree(HUGEFD_KEPT_NODE, &phys, &size))
		return;
	k = size == PAGE_SIZE ? lu_restore_preserved(phys) : NULL;
	if (k && le64_to_cpu(k->magic) == HUGEFD_KEPT_MAGIC &&
	    le32_to_cpu(k->version) == HUGEFD_KEPT_VERSION &&
	    le32_to_cpu(k->nr) <= HUGEFD_KEPT_MAX) {
		kept_in_nr = le32_to_cpu(k->nr);
		memcpy(kept_in, k->entry, kept_in_nr * sizeof(*kept_in));
	} else {
		pr_err("kept page counts refused: bad record; the boot-time pool makes no room for kept pages\n");
	}
	if (k)
		folio_put(virt_to_folio(k));
}

/**
 * hugetlb_lu_kept() - huge pages the last kernel kept on a node
 * @h: their hstate
 * @nid: the node
 *
 * From the previous kernel's "hugetlb-kept" blob (checked and given back
 * at the first call): how many huge pages of @h's size it kept on @nid,
 * so that the boot-time pool can leave room for them instead of taking
 * pages they would then replace. A hint: the records of the files decide
 * what comes back, and hugetlb makes up for room left to pages that do
 * not. Call from hugetlb_init, before late_initcall.
 *
 * Return: the count; 0 without a handover or with a bad blob.
 */
unsigned long __init hugetlb_lu_kept(struct hstate *h, int nid)
{
	unsigned long sum = 0;
	u32 k;

	if (!kept_in_read)
		kept_read();
	for (k = 0; k < kept_in_nr; k++)
		if (le32_to_cpu(kept_in[k].shift) == huge_page_shift(h) &&
		    le32_to_cpu(kept_in[k].nid) == nid)
			sum += le64_to_cpu(kept_in[k].count);
	return sum;
}

static bool hugefd_can_preserve(struct file *file)
{
	return is_file_hugepages(file);
}

static void put_out_state(struct hugefd_state *st)
{
	unsigned long i;

	for (i = 0; i < st->nr; i++) {
		kho_unpreserve_pages(&st->folios[i]->page,
				     folio_nr_pages(st->folios[i]));
		folio_put(st->folios[i]);
	}
	for (i = 0; i < st->nr_pages; i++)
		lu_free_preserved(st->pages[i]);
	kvfree(st->pages);
	kvfree(st->folios);
	if (st->hdr)
		lu_free_preserved(st->hdr);
	kfree(st);
}

/* The digest of what was hashed, then of the header (@csum zero). */
static u32 header_csum(struct xxh64_state *x, const struct hugefd_header *hdr)
{
	return lu_csum_header(x, hdr, sizeof(*hdr),
			      offsetof(struct hugefd_header, csum));
}

/* The header's last state and its checksum. */
static void fill_header(struct hugefd_state *st, struct file *file)
{
	struct xxh64_state x = st->ehash;

	st->hdr->seals = cpu_to_le32(HUGETLBFS_I(file_inode(file))->seals);
	st->hdr->pos = cpu_to_le64(file->f_pos);
	st->hdr->csum = cpu_to_le32(header_csum(&x, st->hdr));
}

/*
 * Keep every huge page of @mapping: a reference and a KHO preservation
 * each, in index order into st->folios. @max: the most there can be.
 */
static int keep_folios(struct hugefd_state *st, struct address_space *mapping,
		       unsigned long max, const char *name)
{
	struct folio_batch fbatch;
	pgoff_t next = 0;
	unsigned int i;
	int err = 0;

	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &next, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && !err; i++) {
			struct folio *folio = fbatch.folios[i];

			if (st->nr == max) {
				err = -EBUSY;
				break;
			}
			err = kho_preserve_pages(&folio->page,
						 folio_nr_pages(folio));
			if (err == -EADDRNOTAVAIL)
				pr_err("%s: a huge page lies in KHO scratch, it cannot be kept\n",
				       name);
			if (err)
				break;
			folio_get(folio);
			st->folios[st->nr++] = folio;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return err;
}

/* Write the entries of the kept folios into preserved pages, chained. */
static int write_entries(struct hugefd_state *st)
{
	unsigned long n = DIV_ROUND_UP(st->nr, HUGEFD_PER_PAGE), i, k;
	unsigned int order = huge_page_order(st->h);
	__le64 *link = &st->hdr->entries;

	st->pages = kvcalloc(n, sizeof(*st->pages), GFP_KERNEL);
	if (n && !st->pages)
		return -ENOMEM;
	xxh64_reset(&st->ehash, 0);
	for (i = 0; i < n; i++) {
		struct hugefd_entry_page *ep = lu_alloc_preserved();
		unsigned long first = i * HUGEFD_PER_PAGE;
		unsigned long cnt = min(st->nr - first, HUGEFD_PER_PAGE);

		if (!ep)
			return -ENOMEM;
		st->pages[st->nr_pages++] = ep;
		*link = cpu_to_le64(virt_to_phys(ep));
		link = &ep->next;
		ep->count = cpu_to_le64(cnt);
		for (k = 0; k < cnt; k++) {
			struct folio *folio = st->folios[first + k];

			ep->entry[k].index = cpu_to_le64(folio->index >> order);
			ep->entry[k].phys = cpu_to_le64(PFN_PHYS(folio_pfn(folio)));
		}
	}
	for (i = 0; i < st->nr_pages; i++)
		xxh64_update(&st->ehash, st->pages[i], PAGE_SIZE);
	return 0;
}

static int hugefd_preserve(struct file *file, u64 *data)
{
	struct inode *inode = file_inode(file);
	struct address_space *mapping = inode->i_mapping;
	const char *name = file_dentry(file)->d_name.name;
	struct hugefd_state *st;
	unsigned long max;
	int err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->h = hstate_inode(inode);
	inode_lock(inode);
	/* from here on no page can come or go: a fault into a hole fails */
	err = hugetlb_set_kept(mapping, true);
	if (err) {
		inode_unlock(inode);
		kfree(st);
		return err;
	}
	st->nrpages = mapping->nrpages;
	max = st->nrpages >> huge_page_order(st->h);
	err = -ENOMEM;
	st->folios = kvmalloc_array(max ?: 1, sizeof(*st->folios),
				    GFP_KERNEL | __GFP_NOWARN);
	st->hdr = lu_alloc_preserved();
	if (!st->folios || !st->hdr)
		goto fail;
	err = keep_folios(st, mapping, max, name);
	if (err)
		goto fail;
	err = write_entries(st);
	if (err)
		goto fail;
	st->hdr->magic = cpu_to_le64(HUGEFD_MAGIC);
	st->hdr->version = cpu_to_le32(HUGEFD_VERSION);
	st->hdr->size = cpu_to_le64(i_size_read(inode));
	st->hdr->nr_entries = cpu_to_le64(st->nr);
	st->hdr->mode = cpu_to_le32(inode->i_mode & 07777);
	st->hdr->shift = cpu_to_le32(huge_page_shift(st->h));
	strscpy(st->hdr->name, name, sizeof(st->hdr->name));
	fill_header(st, file);
	*data = virt_to_phys(st->hdr);
	err = xa_insert(&hugefd_out, *data, st, GFP_KERNEL);
	if (err)
		goto fail;
	inode_unlock(inode);
	kept_count(st, true);
	return 0;
fail:
	hugetlb_set_kept(mapping, false);
	inode_unlock(inode);
	put_out_state(st);
	return err;
}

static void hugefd_unpreserve(struct file *file, u64 data)
{
	struct hugefd_state *st = xa_erase(&hugefd_out, data);
	struct inode *inode = file_inode(file);

	if (WARN_ON(!st))
		return;
	kept_count(st, false);
	inode_lock(inode);
	hugetlb_set_kept(inode->i_mapping, false);
	inode_unlock(inode);
	put_out_state(st);
}

/*
 * debugfs liveupdate/corrupt "hugetlb-entry": point the first entry of
 * the files named "dmg-target*" one huge page further, after their
 * checksum was written.
 */
static void debug_damage(struct hugefd_state *st)
{
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
	if (strncmp(st->hdr->name, "memfd:dmg-target", 16) ||
	    strcmp(lu_debug_corrupt, "hugetlb-entry") || !st->nr_pages)
		return;
	le64_add_cpu(&st->pages[0]->entry[0].phys, huge_page_size(st->h));
	pr_warn("debug: record of %s damaged: %s\n", st->hdr->name,
		lu_debug_corrupt);
#endif
}

static int hugefd_freeze(struct file *file, u64 data)
{
	struct hugefd_state *st = xa_load(&hugefd_out, data);

	if (!st)
		return -ENOENT;
	/* cannot happen while kept; a page lost here would be lost silently */
	if (READ_ONCE(file->f_mapping->nrpages) != st->nrpages) {
		pr_err("%s: its pages changed after it was kept (%lu, was %lu); preserve it again\n",
		       st->hdr->name, READ_ONCE(file->f_mapping->nrpages),
		       st->nrpages);
		return -EBUSY;
	}
	fill_header(st, file);
	debug_damage(st);
	return 0;
}

static void put_in_state(struct hugefd_state *st)
{
	unsigned long i;

	for (i = 0; st->folios && i < st->nr; i++)
		if (st->folios[i])
			folio_put(st->folios[i]);
	kvfree(st->folios);
	kvfree(st->index);
	kfree(st->hdr);
	kfree(st);
}

/* Check the entries of one entry page, then take their huge pages back. */
static const char *restore_entry_page(struct hugefd_state *st,
				      const struct hugefd_entry_page *ep,
				      unsigned long n, pgoff_t *min,
				      pgoff_t end)
{
	unsigned long nr = pages_per_huge_page(st->h), k;
	struct page *page;
	pgoff_t index;
	u64 phys;

	if (le64_to_cpu(ep->count) < n)
		return "entry count";
	for (k = 0; k < n; k++) {
		index = le64_to_cpu(ep->entry[k].index);
		phys = le64_to_cpu(ep->entry[k].phys);
		if (index < *min || index >= end ||
		    !IS_ALIGNED(phys, huge_page_size(st->h)))
			return "bad entry";
		/* a 2 MiB page is one block: back as a compound page at once */
		if (huge_page_order(st->h) <= MAX_PAGE_ORDER)
			page = kho_restore_compound(phys, huge_page_order(st->h));
		else
			page = kho_restore_pages(phys, nr);
		if (!page)
			return "huge page not preserved";
		st->folios[st->nr] = hugetlb_adopt_kept(st->h, page);
		st->index[st->nr++] = index;
		*min = index + 1;
	}
	return NULL;
}

static const char *restore_entries(struct hugefd_state *st, u64 next,
				   u64 nr, pgoff_t end)
{
	const char *why = NULL;
	pgoff_t min = 0;

	while (st->nr < nr && !why) {
		struct hugefd_entry_page *ep = lu_restore_preserved(next);

		if (!ep || le64_to_cpu(ep->count) > HUGEFD_PER_PAGE) {
			why = "entry page not preserved";
		} else {
			next = le64_to_cpu(ep->next);
			why = restore_entry_page(st, ep,
						 min_t(u64, nr - st->nr,
						       HUGEFD_PER_PAGE),
						 &min, end);
		}
		if (ep)
			folio_put(virt_to_folio(ep));
		cond_resched();
	}
	return why;
}

/* The header's fields, before anything it names is read. */
static const char *check_header(struct hugefd_state *st)
{
	const struct hugefd_header *hdr = st->hdr;
	u32 shift = le32_to_cpu(hdr->shift);
	u64 size = le64_to_cpu(hdr->size), nr = le64_to_cpu(hdr->nr_entries);

	if (le64_to_cpu(hdr->magic) != HUGEFD_MAGIC ||
	    le32_to_cpu(hdr->version) != HUGEFD_VERSION)
		return "bad header";
	if (shift > PAGE_SHIFT && shift < BITS_PER_LONG)
		st->h = size_to_hstate(1UL << shift);
	if (!st->h)
		return "huge page size not in this kernel";
	/* no more pages than the size holds, nor than this machine has */
	if (size > MAX_LFS_FILESIZE || !IS_ALIGNED(size, 1UL << shift) ||
	    nr > size >> shift ||
	    nr > totalram_pages() >> huge_page_order(st->h) ||
	    hdr->reserved || !hdr->csum ||
	    !lu_memfd_fields_ok(le64_to_cpu(hdr->pos),
				le32_to_cpu(hdr->seals),
				le32_to_cpu(hdr->mode), hdr->name))
		return "bad header";
	return NULL;
}

static void *hugefd_restore(u64 data)
{
	struct hugefd_header *hdr = lu_restore_preserved(data);
	const char *why = "header not preserved";
	struct hugefd_state *st;
	struct xxh64_state x;
	u64 nr;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st || !hdr)
		goto fail;
	st->hdr = kmemdup(hdr, sizeof(*hdr), GFP_KERNEL);
	folio_put(virt_to_folio(hdr));
	hdr = NULL;
	why = "out of memory";
	if (!st->hdr)
		goto fail;
	why = check_header(st);
	if (why)
		goto fail;
	nr = le64_to_cpu(st->hdr->nr_entries);
	/* the checksum before any huge page of it is claimed */
	xxh64_reset(&x, 0);
	why = "entry page not preserved";
	if (!lu_hash_chain(&x, le64_to_cpu(st->hdr->entries),
			   DIV_ROUND_UP(nr, HUGEFD_PER_PAGE)))
		goto fail;
	why = "checksum";
	if (header_csum(&x, st->hdr) != le32_to_cpu(st->hdr->csum))
		goto fail;
	why = "out of memory";
	st->folios = kvcalloc(nr ?: 1, sizeof(*st->folios),
			      GFP_KERNEL | __GFP_NOWARN);
	st->index = kvmalloc_array(nr ?: 1, sizeof(*st->index),
				   GFP_KERNEL | __GFP_NOWARN);
	if (!st->folios || !st->index)
		goto fail;
	why = restore_entries(st, le64_to_cpu(st->hdr->entries), nr,
			      le64_to_cpu(st->hdr->size) >>
			      huge_page_shift(st->h));
	if (why)
		goto fail;
	return st;
fail:
	pr_err("a kept hugetlb memfd is lost: %s\n", why);
	if (hdr)
		folio_put(virt_to_folio(hdr));
	if (st)
		put_in_state(st);
	return ERR_PTR(-EINVAL);
}

static struct file *hugefd_retrieve(void *priv)
{
	struct hugefd_state *st = priv;
	unsigned long i, k, n, added;
	struct inode *inode;
	struct file *file;
	int err = 0;

	/* the name keeps its "memfd:" prefix, as memfd_create() made it */
	file = hugetlb_file_setup(st->hdr->name, 0, VM_NORESERVE,
				  HUGETLB_ANONHUGE_INODE,
				  huge_page_shift(st->h));
	if (IS_ERR(file))
		return file;
	inode = file_inode(file);
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	i_size_write(inode, le64_to_cpu(st->hdr->size));
	/*
	 * The same huge pages, at the same indices: no copy. A run of
	 * consecutive indices (all of them, for a file without holes) is
	 * one reservation.
	 */
	for (i = 0; i < st->nr && !err; i += n) {
		for (n = 1; i + n < st->nr &&
		     st->index[i + n] == st->index[i] + n; n++)
			;
		err = hugetlb_add_kept(file->f_mapping, st->folios + i,
				       st->index[i], n, &added);
		/* their references are the page cache's now */
		for (k = i; k < i + added; k++)
			st->folios[k] = NULL;
	}
	if (err) {
		/* what is in the file goes with it; finish puts the rest */
		pr_err("%s: cannot put its pages back (%d)\n", st->hdr->name,
		       err);
		fput(file);
		return ERR_PTR(err);
	}
	lu_memfd_apply(file, &HUGETLBFS_I(inode)->seals,
		       le32_to_cpu(st->hdr->mode), le32_to_cpu(st->hdr->seals),
		       le64_to_cpu(st->hdr->pos));
	put_in_state(st);
	return file;
}

static void hugefd_finish(void *priv)
{
	put_in_state(priv);
}

static const struct liveupdate_file_ops hugefd_ops = {
	.can_preserve = hugefd_can_preserve,
	.preserve = hugefd_preserve,
	.unpreserve = hugefd_unpreserve,
	.freeze = hugefd_freeze,
	.restore = hugefd_restore,
	.retrieve = hugefd_retrieve,
	.finish = hugefd_finish,
};

static struct liveupdate_file_handler hugefd_handler = {
	.compatible = HUGEFD_COMPATIBLE,
	.ops = &hugefd_ops,
};

/*
 * The "hugetlb-kept" blob, added once at boot (not at PRESERVE_FD, which
 * runs under the session lock the reboot's freeze takes after the state
 * tree's), and the last kernel's one read and given back before KHO
 * releases what nobody restored, when no boot-time pool asked for it.
 */
static int __init hugefd_lu_init(void)
{
	if (kho_is_enabled()) {
		kept_out = lu_alloc_preserved();
		if (kept_out) {
			kept_out->magic = cpu_to_le64(HUGEFD_KEPT_MAGIC);
			kept_out->version = cpu_to_le32(HUGEFD_KEPT_VERSION);
			if (kho_add_subtree(HUGEFD_KEPT_NODE, kept_out,
					    PAGE_SIZE)) {
				lu_free_preserved(kept_out);
				kept_out = NULL;
			}
		}
		if (!kept_out)
			pr_warn("cannot hand over the kept page counts: the next kernel's pool leaves no room for kept pages\n");
	}
	return liveupdate_register_file_handler(&hugefd_handler);
}
fs_initcall(hugefd_lu_init);

static int __init hugefd_kept_in_done(void)
{
	if (!kept_in_read)
		kept_read();
	return 0;
}
late_initcall(hugefd_kept_in_done);
