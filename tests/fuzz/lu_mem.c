// SPDX-License-Identifier: GPL-2.0
/*
 * lu_mem.c - the fake world live update's code runs in, in user space:
 * RAM and its folios, KHO's two sides, files and their page cache, an
 * xarray, printk, allocation failures, and the "fuzz-v1" handler. See
 * lu_shim/lu_shim.h for the model.
 *
 * What the incoming kernel may read of the fake RAM is checked with ASan:
 * every page is poisoned, except the folios KHO handed out (until their
 * last reference goes) and the pages kho_is_incoming_preserved() said are
 * preserved. So following a pointer to a page nobody preserved, or
 * reading a record after putting its page, is reported as a bad read.
 */
#include <sys/mman.h>
#include <sanitizer/asan_interface.h>

#include "lu_fuzz.h"
#include <linux/kexec_handover.h>

unsigned char *lu_ram;
struct folio lu_map[LU_RAM_PAGES];
unsigned long lu_fail_alloc, lu_nr_alloc;
phys_addr_t lu_subtree_phys;
u64 lu_subtree_size;
phys_addr_t lu_out_subtree;
struct notifier_block *lu_out_nb;
bool lu_fail_setup, lu_fail_preload;
int lu_memfd_noexec;
long lu_files_live;
long lu_fuzz_live;
unsigned long lu_nr_err;
char lu_first_err[256];

void lu_bug(const char *what, const char *func)
{
	fprintf(stderr, "lu shim: %s, in %s()\n", what, func);
	abort();
}

bool lu_alloc_fails(void)
{
	return ++lu_nr_alloc == lu_fail_alloc;
}

void lu_printk(int level, const char *fmt, ...)
{
	static int verbose = -1;
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (verbose < 0)
		verbose = getenv("LU_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "<%d>%s", level, buf);
	if (level > 3)
		return;
	if (!lu_nr_err++) {
		strscpy(lu_first_err, buf, sizeof(lu_first_err));
		lu_first_err[strcspn(lu_first_err, "\n")] = 0;
	}
}

/* RAM: LU_RAM_PAGES pages between two inaccessible guard pages. */
void lu_mem_init(void)
{
	unsigned char *p;

	if (lu_ram)
		return;
	p = mmap(NULL, (LU_RAM_PAGES + 2) * PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		abort();
	mprotect(p, PAGE_SIZE, PROT_NONE);
	mprotect(p + (LU_RAM_PAGES + 1) * PAGE_SIZE, PAGE_SIZE, PROT_NONE);
	lu_ram = p + PAGE_SIZE;
	lu_mem_reset();
}

static void *page_va(unsigned long page)
{
	return lu_ram + page * PAGE_SIZE;
}

static void set_readable(unsigned long page, unsigned long nr, bool ok)
{
	if (ok)
		ASAN_UNPOISON_MEMORY_REGION(page_va(page), nr * PAGE_SIZE);
	else
		ASAN_POISON_MEMORY_REGION(page_va(page), nr * PAGE_SIZE);
}

/* Everything free, the input pages zeroed, all readable again. */
void lu_mem_reset(void)
{
	unsigned long i;

	set_readable(0, LU_RAM_PAGES, true);
	memset(lu_ram, 0, LU_IN_PAGES * PAGE_SIZE);
	for (i = 0; i < LU_RAM_PAGES; i++)
		lu_map[i] = (struct folio){ .head = -1 };
	lu_subtree_phys = 0;
	lu_subtree_size = 0;
	lu_nr_err = 0;
	lu_first_err[0] = 0;
	lu_fail_alloc = 0;
	lu_nr_alloc = 0;
}

/* Incoming: the previous kernel preserved this block. */
bool lu_kho_in(unsigned long page, unsigned int order)
{
	unsigned long i, nr = 1UL << order;

	if (order > MAX_PAGE_ORDER || page & (nr - 1) ||
	    page >= LU_RAM_PAGES || page + nr > LU_RAM_PAGES)
		return false;
	for (i = page; i < page + nr; i++)
		if (lu_map[i].head >= 0)
			return false;
	for (i = page; i < page + nr; i++)
		lu_map[i].head = page;
	lu_map[page].order = order;
	lu_map[page].state = LU_PRESERVED;
	return true;
}

/* Incoming: from now on the kernel reads only what KHO gives it. */
void lu_mem_seal(void)
{
	set_readable(0, LU_RAM_PAGES, false);
}

unsigned long lu_count_state(enum lu_state state)
{
	unsigned long i, n = 0;

	for (i = 0; i < LU_RAM_PAGES; i++)
		n += lu_map[i].head == (int)i && lu_map[i].state == state;
	return n;
}

/* Addresses. */
void *phys_to_virt(phys_addr_t p)
{
	if (p < LU_BASE || p - LU_BASE >= (u64)LU_RAM_PAGES * PAGE_SIZE)
		lu_bug("phys_to_virt() of an address outside RAM", __func__);
	return lu_ram + (p - LU_BASE);
}

phys_addr_t virt_to_phys(const volatile void *v)
{
	uintptr_t a = (uintptr_t)v, r = (uintptr_t)lu_ram;

	if (a < r || a - r >= LU_RAM_PAGES * PAGE_SIZE)
		lu_bug("virt_to_phys() of an address outside RAM", __func__);
	return LU_BASE + (a - r);
}

struct folio *lu_folio_check(const struct folio *f, const char *func)
{
	if (f < lu_map || f >= lu_map + LU_RAM_PAGES)
		lu_bug("not a folio", func);
	if (f->head != f - lu_map)
		lu_bug("a tail page used as a folio", func);
	if (f->refs <= 0)
		lu_bug("folio used while nobody holds it", func);
	return (struct folio *)f;
}

struct folio *pfn_folio(unsigned long pfn)
{
	struct folio *f;

	if (!pfn_valid(pfn))
		lu_bug("pfn_folio() of a pfn outside RAM", __func__);
	f = &lu_map[pfn - LU_BASE_PFN];
	if (f->head < 0)
		lu_bug("pfn_folio() of a page in no folio", __func__);
	return &lu_map[f->head];
}

struct folio *virt_to_folio(const void *va)
{
	return pfn_folio(PHYS_PFN(virt_to_phys(va)));
}

static void free_block(struct folio *f)
{
	unsigned long page = f - lu_map, i, nr = 1UL << f->order;

	if (f->kept)
		lu_bug("a preserved folio freed", __func__);
	if (f->mapping)
		lu_bug("a folio freed while in a page cache", __func__);
	for (i = page; i < page + nr; i++)
		lu_map[i] = (struct folio){ .head = -1 };
}

void folio_put(struct folio *f)
{
	LU_HELD(f);
	if (--f->refs)
		return;
	if (f->state == LU_CLAIMED) {
		/* to the buddy allocator: not the kernel's to read any more */
		f->state = LU_RELEASED;
		set_readable(f - lu_map, 1UL << f->order, false);
	} else {
		free_block(f);
	}
}

/* Outgoing: the records in the input pages, data folios after them. */
static struct folio *alloc_block(unsigned long from, unsigned long to,
				 unsigned int order)
{
	unsigned long page, i, nr = 1UL << order;

	/* aligned to its size, as the buddy allocator gives it */
	for (page = (from + nr - 1) & ~(nr - 1); page + nr <= to; page += nr) {
		for (i = page; i < page + nr && lu_map[i].head < 0; i++)
			;
		if (i < page + nr)
			continue;
		for (i = page; i < page + nr; i++)
			lu_map[i].head = page;
		lu_map[page].order = order;
		lu_map[page].state = LU_OUT;
		lu_map[page].refs = 1;
		memset(page_va(page), 0, nr * PAGE_SIZE);
		return &lu_map[page];
	}
	return NULL;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	struct folio *f = alloc_block(0, LU_IN_PAGES, 0);

	return f ? (unsigned long)page_va(f - lu_map) : 0;
}

void free_page(unsigned long addr)
{
	struct folio *f;

	if (!addr)
		return;
	f = virt_to_folio((void *)addr);
	if (f->order || f->refs != 1 || f->state != LU_OUT)
		lu_bug("free_page() of no page of ours", __func__);
	folio_put(f);
}

struct folio *folio_alloc(gfp_t gfp, unsigned int order)
{
	return alloc_block(LU_IN_PAGES, LU_RAM_PAGES, order);
}

/* KHO, incoming. */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, u64 *size)
{
	if (strcmp(name, "liveupdate"))
		return -ENOENT;
	*phys = lu_subtree_phys;
	*size = lu_subtree_size;
	/* as KHO checks a client's node */
	if (!*size || *phys + *size < *phys || !pfn_valid(PHYS_PFN(*phys)) ||
	    !pfn_valid(PHYS_PFN(*phys + *size - 1)))
		return -EINVAL;
	return 0;
}

unsigned long kho_restore_folios(const phys_addr_t *phys, unsigned long nr,
				 struct folio **folios)
{
	unsigned long i, page;
	struct folio *f;

	for (i = 0; i < nr; i++) {
		if (!PAGE_ALIGNED(phys[i]) || !pfn_valid(PHYS_PFN(phys[i])))
			break;
		page = PHYS_PFN(phys[i]) - LU_BASE_PFN;
		f = &lu_map[page];
		/* a block's first page, preserved and not yet taken back */
		if (f->head != (int)page || f->state != LU_PRESERVED)
			break;
		f->state = LU_CLAIMED;
		f->refs = 1;
		set_readable(page, 1UL << f->order, true);
		folios[i] = f;
	}
	return i;
}

struct folio *kho_restore_folio(phys_addr_t phys)
{
	struct folio *folio;

	return kho_restore_folios(&phys, 1, &folio) ? folio : NULL;
}

bool kho_is_incoming_preserved(unsigned long pfn)
{
	struct folio *f;

	if (!pfn_valid(pfn))
		return false;
	f = &lu_map[pfn - LU_BASE_PFN];
	if (f->head < 0 || lu_map[f->head].state != LU_PRESERVED)
		return false;
	/* the caller may read it where it is */
	set_readable(pfn - LU_BASE_PFN, 1, true);
	return true;
}

/* KHO, outgoing (the seed builder). */
bool kho_is_enabled(void)
{
	return true;
}

bool kho_is_scratch_pfn(unsigned long pfn)
{
	return false;
}

int kho_preserve_folio(struct folio *folio)
{
	if (LU_HELD(folio)->kept)
		return -EEXIST;
	folio->kept = true;
	return 0;
}

int kho_unpreserve_folio(struct folio *folio)
{
	if (!LU_HELD(folio)->kept)
		lu_bug("unpreserving a folio not preserved", __func__);
	folio->kept = false;
	return 0;
}

int kho_add_subtree(const char *name, void *blob, size_t size)
{
	if (strcmp(name, "liveupdate") || size != PAGE_SIZE)
		return -EINVAL;
	lu_out_subtree = virt_to_phys(blob);
	return 0;
}

int kho_register_freeze_notifier(struct notifier_block *nb)
{
	lu_out_nb = nb;
	return 0;
}

/* xarray */
int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	struct xa_node **pp, *n;

	for (pp = &xa->head; *pp && (*pp)->index < index; pp = &(*pp)->next)
		;
	if (*pp && (*pp)->index == index)
		return -EBUSY;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->index = index;
	n->entry = entry;
	n->next = *pp;
	*pp = n;
	return 0;
}

void *xa_load(struct xarray *xa, unsigned long index)
{
	struct xa_node *n;

	for (n = xa->head; n && n->index <= index; n = n->next)
		if (n->index == index)
			return n->entry;
	return NULL;
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	struct xa_node **pp, *n;
	void *entry;

	for (pp = &xa->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->index != index)
			continue;
		n = *pp;
		entry = n->entry;
		*pp = n->next;
		free(n);
		return entry;
	}
	return NULL;
}

void xa_destroy(struct xarray *xa)
{
	while (xa->head)
		xa_erase(xa, xa->head->index);
}

void *xas_find(struct xa_state *xas, unsigned long max)
{
	struct xa_node *n;

	for (n = xas->xa->head; n && n->index <= max; n = n->next)
		if (n->index >= xas->xa_index) {
			xas->xa_index = n->index;
			return n->entry;
		}
	return NULL;
}

void *xas_next_entry(struct xa_state *xas, unsigned long max)
{
	if (xas->xa_index >= max)
		return NULL;
	xas->xa_index++;
	return xas_find(xas, max);
}

/* Files: a shmem inode, or a "fuzz-v1" file. */
struct file *lu_file_new(const char *name, bool shmem)
{
	struct shmem_inode_info *info = calloc(1, sizeof(*info));
	struct file *f = calloc(1, sizeof(*f));

	if (!info || !f)
		abort();
	info->vfs_inode.i_mode = 0100600;
	info->vfs_inode.i_mapping = &info->vfs_inode.i_data;
	f->refs = 1;
	f->shmem = shmem;
	f->f_inode = &info->vfs_inode;
	f->f_mapping = info->vfs_inode.i_mapping;
	strscpy(f->name, name, sizeof(f->name));
	f->f_dentry.d_name.name = f->name;
	lu_files_live++;
	return f;
}

struct file *get_file(struct file *f)
{
	if (f->refs <= 0)
		lu_bug("get_file() of a file with no reference", __func__);
	f->refs++;
	return f;
}

/* The last reference: the page cache and waiting folios go with it. */
void fput(struct file *f)
{
	struct inode *inode;
	struct xa_node *n;
	unsigned long i;

	if (f->refs <= 0)
		lu_bug("fput() of a file with no reference", __func__);
	if (--f->refs)
		return;
	inode = f->f_inode;
	for (n = inode->i_data.i_pages.head; n; n = n->next) {
		struct folio *folio = n->entry;

		folio->mapping = NULL;
		folio_put(folio);
	}
	xa_destroy(&inode->i_data.i_pages);
	for (i = 0; i < inode->pre_nr; i++)
		folio_put(inode->pre_folios[i]);
	kvfree(inode->pre_folios);
	kvfree(inode->pre_index);
	free(SHMEM_I(inode));
	free(f);
	lu_files_live--;
}

/* Outgoing: @folio, with a reference for the page cache, at @index. */
void lu_cache_add(struct file *file, struct folio *folio, pgoff_t index)
{
	struct address_space *m = file->f_mapping;

	folio->mapping = m;
	folio->index = index;
	if (xa_insert(&m->i_pages, index, folio, GFP_KERNEL))
		abort();
	m->nrpages += folio_nr_pages(folio);
}

struct file *shmem_file_setup(const char *name, long long size,
			      unsigned long flags)
{
	struct file *f;

	if (lu_fail_setup)
		return ERR_PTR(-ENOMEM);
	f = lu_file_new(name, true);
	f->f_inode->i_size = size;
	return f;
}

/* Its contract (mm/shmem.c): checked, a breach is a bug report. */
int shmem_preload_folios(struct inode *inode, struct folio **folios,
			 pgoff_t *index, unsigned long nr)
{
	pgoff_t end = DIV_ROUND_UP(inode->i_size, PAGE_SIZE), next = 0;
	unsigned long i;

	if (lu_fail_preload)
		return -ENOMEM;
	if (inode->pre_nr || inode->pre_folios)
		lu_bug("folios preloaded twice", __func__);
	for (i = 0; i < nr; i++) {
		struct folio *f = LU_HELD(folios[i]);
		unsigned long pages = 1UL << f->order;

		if (f->refs != 1 || f->state != LU_CLAIMED || f->mapping)
			lu_bug("a preloaded folio is not the caller's alone",
			       __func__);
		if (index[i] < next || index[i] >= end ||
		    index[i] & (pages - 1))
			lu_bug("preloaded folios out of order, unaligned or past the size",
			       __func__);
		next = index[i] + pages;
	}
	inode->pre_folios = folios;
	inode->pre_index = index;
	inode->pre_nr = nr;
	return 0;
}

int shmem_preload_range(struct inode *inode, pgoff_t start, pgoff_t end)
{
	return 0;
}

unsigned int filemap_get_folios(struct address_space *mapping,
				pgoff_t *start, pgoff_t end,
				struct folio_batch *fbatch)
{
	struct xa_node *n;

	for (n = mapping->i_pages.head; n && n->index <= end; n = n->next) {
		struct folio *f = n->entry;

		if (f->index + folio_nr_pages(f) <= *start)
			continue;
		f->refs++;
		fbatch->folios[fbatch->nr++] = f;
		if (fbatch->nr == PAGEVEC_SIZE) {
			*start = folio_next_index(f);
			return fbatch->nr;
		}
	}
	*start = end == ULONG_MAX ? ULONG_MAX : end + 1;
	return fbatch->nr;
}

/* "fuzz-v1" */
#define FUZZ_MAGIC	0x76317a7a7566UL

struct fuzz_priv {
	unsigned long magic;
	u64 data;
};

bool lu_fuzz_priv_ok(const void *priv)
{
	const struct fuzz_priv *p = priv;

	return p && !IS_ERR(p) && p->magic == FUZZ_MAGIC;
}

static bool fuzz_can_preserve(struct file *file)
{
	return !file->shmem;
}

static int fuzz_preserve(struct file *file, u64 *data)
{
	*data = file->data;
	return 0;
}

static void fuzz_unpreserve(struct file *file, u64 data)
{
}

static void *fuzz_restore(u64 data)
{
	struct fuzz_priv *p;

	if (data & 1)
		return ERR_PTR(-EINVAL);
	p = kmalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->magic = FUZZ_MAGIC;
	p->data = data;
	lu_fuzz_live++;
	return p;
}

static void fuzz_finish(void *priv)
{
	struct fuzz_priv *p = priv;

	if (!lu_fuzz_priv_ok(p))
		lu_bug("finish() of nothing restore() gave", __func__);
	p->magic = 0;
	kfree(p);
	lu_fuzz_live--;
}

static struct file *fuzz_retrieve(void *priv)
{
	struct fuzz_priv *p = priv;
	struct file *f;

	if (!lu_fuzz_priv_ok(p))
		lu_bug("retrieve() of nothing restore() gave", __func__);
	if (p->data & 2)
		return ERR_PTR(-ENOMEM);
	f = lu_file_new("fuzz", false);
	f->data = p->data;
	fuzz_finish(p);
	return f;
}

static const struct liveupdate_file_ops fuzz_ops = {
	.can_preserve = fuzz_can_preserve,
	.preserve = fuzz_preserve,
	.unpreserve = fuzz_unpreserve,
	.restore = fuzz_restore,
	.retrieve = fuzz_retrieve,
	.finish = fuzz_finish,
};

struct liveupdate_file_handler lu_fuzz_handler = {
	.compatible = LU_FUZZ_COMPATIBLE,
	.ops = &fuzz_ops,
};
