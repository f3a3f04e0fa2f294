/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lu_shim.h - the kernel interfaces live update's session.c and memfd.c
 * use, for building those very files in user space (fuzz_lu, lu_seeds,
 * lu_replay). Every linux/ header in this directory includes only this
 * file; the series' own linux/liveupdate.h and linux/kexec_handover.h
 * are the real ones.
 *
 * Memory is a fake RAM of LU_RAM_PAGES pages at LU_BASE (lu_mem.c): its
 * "struct pages" are lu_map[], one struct folio per page, the head's
 * being the folio. KHO's incoming side (kho_restore_folio() and friends)
 * hands out only what the input preserved, once; its outgoing side
 * (kho_preserve_folio()) marks folios for the seed builder. kmalloc and
 * friends are malloc, so ASan sees every overflow; the Nth can be made
 * to fail. shmem, the page cache and files are small stand-ins, enough
 * for memfd_preserve() to keep a file and memfd_retrieve() to make one;
 * what neither reaches aborts if it ever is.
 */
#ifndef LU_SHIM_H
#define LU_SHIM_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the configuration the series' code is built for */
#define CONFIG_KEXEC_HANDOVER 1
#define CONFIG_LIVEUPDATE 1
#define CONFIG_TRANSPARENT_HUGEPAGE 1
#ifndef __LITTLE_ENDIAN
#define __LITTLE_ENDIAN 1234
#endif

/* Types: as the kernel's on x86_64 (u64 is unsigned long long). */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int32_t s32;
typedef long long s64;
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef unsigned long long __u64;
typedef int32_t __s32;
typedef unsigned long long __aligned_u64 __attribute__((aligned(8)));
typedef long long __s64;
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;
typedef u64 phys_addr_t;
typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;
typedef unsigned short umode_t;

/* Compiler and kconfig. */
#define __init
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define __is_defined(x) ___is_defined(x)
#define IS_ENABLED(option) __is_defined(option)
/* file-scope macros that must leave a declaration for their ';' */
#define LU_NOTHING _Static_assert(1, "")
#define EXPORT_SYMBOL(s) LU_NOTHING
#define EXPORT_SYMBOL_GPL(s) LU_NOTHING
#define MODULE_LICENSE(s) LU_NOTHING
#define MODULE_DESCRIPTION(s) LU_NOTHING
#define MODULE_PARM_DESC(n, d) LU_NOTHING
#define module_param_named(n, v, t, p) LU_NOTHING
#define late_initcall(fn) \
	static int (*const __initcall_##fn)(void) __attribute__((used)) = fn
#define fs_initcall(fn) late_initcall(fn)

/* Arithmetic. */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(a) (((unsigned long)(a) & (PAGE_SIZE - 1)) == 0)
#define PFN_PHYS(pfn) ((phys_addr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define BIT(n) (1UL << (n))
#define BITS_PER_LONG 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min3(a, b, c) min(min(a, b), c)
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))
#define cpu_to_le16(x) ((u16)(x))
#define cpu_to_le32(x) ((u32)(x))
#define cpu_to_le64(x) ((u64)(x))
#define le16_to_cpu(x) ((u16)(x))
#define le32_to_cpu(x) ((u32)(x))
#define le64_to_cpu(x) ((u64)(x))
#define NSEC_PER_USEC 1000ULL
#define MAX_LFS_FILESIZE ((long long)LLONG_MAX)
#define NR_PAGE_ORDERS 11
#define MAX_PAGE_ORDER 10
#define MAX_PAGECACHE_ORDER 9	/* x86_64: HPAGE_PMD_ORDER */

static inline u64 div_u64(u64 a, u32 b)
{
	return a / b;
}

static inline size_t array_size(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

static inline u32 get_unaligned_le32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Errors. */
#define MAX_ERRNO 4095
#define ERR_PTR(e) ((void *)(long)(e))
#define PTR_ERR(p) ((long)(p))
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-MAX_ERRNO)
#define IS_ERR_OR_NULL(p) (!(p) || IS_ERR(p))

/* A kernel check that fires is a bug the fuzzer reports. */
void lu_bug(const char *what, const char *func) __attribute__((noreturn));
#define WARN_ON(c) ({						\
	bool __c = !!(c);					\
	if (__c)						\
		lu_bug("WARN_ON(" #c ")", __func__);		\
	__c;							\
})
/* for what neither the parser nor the seed builder reaches */
#define LU_UNREACHED() lu_bug("not reached in user space", __func__)

/* printk: recorded (lu_mem.c); shown with LU_FUZZ_VERBOSE=1. */
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
void lu_printk(int level, const char *fmt, ...) __printf(2, 3);
#define pr_err(fmt, ...) lu_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) lu_printk(4, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) lu_printk(6, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_warn_once(fmt, ...) ({				\
	static bool __once;					\
	if (!__once) {						\
		__once = true;					\
		pr_warn(fmt, ##__VA_ARGS__);			\
	}							\
})

static inline int vscnprintf(char *buf, size_t size, const char *fmt,
			     va_list ap)
{
	int n;

	if (!size)
		return 0;
	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		return 0;
	return (size_t)n >= size ? (int)size - 1 : n;
}

static inline long strscpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (n == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = 0;
		return -E2BIG;
	}
	memcpy(dst, src, n + 1);
	return n;
}

/*
 * Tasks and pid namespaces: vm.memfd_noexec of the caller's namespace is
 * lu_memfd_noexec (lu_mem.c).
 */
struct task_struct;
struct pid_namespace;
#define current ((struct task_struct *)NULL)
#define task_active_pid_ns(t) ((struct pid_namespace *)NULL)
#define MEMFD_NOEXEC_SCOPE_EXEC 0
#define MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL 1
#define MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED 2
extern int lu_memfd_noexec;
#define pidns_memfd_noexec_scope(ns) ((void)(ns), lu_memfd_noexec)

/* Time, scheduling, locks: one thread. */
static inline u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define cond_resched() ((void)0)
#define msleep(ms) do { (void)(ms); } while (0)
#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)

/* A mutex taken twice is a deadlock: reported, as lockdep would. */
struct mutex {
	int locked;
};

#define DEFINE_MUTEX(name) struct mutex name = { 0 }

static inline void mutex_lock(struct mutex *m)
{
	if (m->locked)
		lu_bug("mutex taken twice (deadlock)", __func__);
	m->locked = 1;
}

static inline void mutex_unlock(struct mutex *m)
{
	if (!m->locked)
		lu_bug("mutex released while not held", __func__);
	m->locked = 0;
}

static inline unsigned int num_online_cpus(void)
{
	return 4;
}

/* Lists. */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = (void *)0x100;	/* LIST_POISON1 */
	e->prev = (void *)0x122;	/* LIST_POISON2 */
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_last(const struct list_head *e,
				const struct list_head *h)
{
	return e->next == h;
}

#define list_entry(p, type, member) container_of(p, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)
#define list_first_entry_or_null(h, type, member) \
	(list_empty(h) ? NULL : list_first_entry(h, type, member))
#define list_next_entry(p, member) \
	list_entry((p)->member.next, typeof(*(p)), member)
#define list_for_each_entry(p, h, member)				\
	for (p = list_first_entry(h, typeof(*p), member);		\
	     &p->member != (h); p = list_next_entry(p, member))
#define list_for_each_entry_safe(p, n, h, member)			\
	for (p = list_first_entry(h, typeof(*p), member),		\
	     n = list_next_entry(p, member); &p->member != (h);		\
	     p = n, n = list_next_entry(n, member))

/* Notifiers. */
struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action,
			     void *data);
};

#define NOTIFY_OK 0x0001
#define NOTIFY_STOP_MASK 0x8000

static inline int notifier_from_errno(int err)
{
	return err ? NOTIFY_STOP_MASK | (NOTIFY_OK - err) : NOTIFY_OK;
}

/*
 * Allocation: malloc, so ASan checks every access and LSan every leak.
 * lu_fail_alloc > 0 makes the lu_fail_alloc-th allocation from now on
 * fail (counted in lu_nr_alloc).
 */
#define GFP_KERNEL 0x1u
#define GFP_HIGHUSER 0x2u
#define __GFP_NOWARN 0x4u
extern unsigned long lu_fail_alloc, lu_nr_alloc;
bool lu_alloc_fails(void);

static inline void *kmalloc(size_t n, gfp_t gfp)
{
	return lu_alloc_fails() ? NULL : malloc(n ? n : 1);
}

static inline void *kzalloc(size_t n, gfp_t gfp)
{
	return lu_alloc_fails() ? NULL : calloc(1, n ? n : 1);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc(array_size(n, size), gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return lu_alloc_fails() || array_size(n, size) == SIZE_MAX ? NULL :
	       calloc(n ? n : 1, size ? size : 1);
}

static inline void *kmemdup(const void *p, size_t n, gfp_t gfp)
{
	void *d = kmalloc(n, gfp);

	if (d)
		memcpy(d, p, n);
	return d;
}

#define kvmalloc_array kmalloc_array

static inline void *kvrealloc(const void *p, size_t n, gfp_t gfp)
{
	return lu_alloc_fails() ? NULL : realloc((void *)p, n ? n : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

#define kvfree kfree

/*
 * The fake RAM and its "struct pages" (lu_mem.c). A page that belongs to
 * no folio has head -1. Incoming: a preserved block is LU_PRESERVED until
 * KHO hands it out (LU_CLAIMED, one reference), then LU_RELEASED once its
 * last reference is put; it never comes back. Outgoing (seed builder):
 * LU_OUT from allocation to free.
 */
#define LU_BASE		(16ULL << 20)	/* RAM at 16 MiB: phys 0 is none */
#define LU_RAM_PAGES	4096		/* 16 MiB */
#define LU_BASE_PFN	(LU_BASE >> PAGE_SHIFT)
#define LU_END_PFN	(LU_BASE_PFN + LU_RAM_PAGES)

enum lu_state { LU_FREE, LU_PRESERVED, LU_CLAIMED, LU_RELEASED, LU_OUT };

#define LU_PG_LOCKED	BIT(0)
#define LU_PG_UPTODATE	BIT(1)
#define LU_PG_SWAPBACKED BIT(2)

struct address_space;

struct folio {
	int head;			/* page index of its folio's head, or -1 */
	unsigned char order;
	unsigned char state;		/* enum lu_state */
	bool kept;			/* outgoing: kho_preserve_folio() */
	int refs;
	unsigned long flags;		/* LU_PG_* */
	struct address_space *mapping;	/* outgoing: its page cache */
	pgoff_t index;
};

extern unsigned char *lu_ram;
extern struct folio lu_map[LU_RAM_PAGES];

/* a folio the caller must hold: checked, else a bug report */
struct folio *lu_folio_check(const struct folio *f, const char *func);
#define LU_HELD(f) lu_folio_check(f, __func__)

static inline bool pfn_valid(unsigned long pfn)
{
	return pfn >= LU_BASE_PFN && pfn < LU_END_PFN;
}

void *phys_to_virt(phys_addr_t p);
phys_addr_t virt_to_phys(const volatile void *v);
struct folio *pfn_folio(unsigned long pfn);
struct folio *virt_to_folio(const void *va);
void folio_put(struct folio *f);
struct folio *folio_alloc(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_page(unsigned long addr);

static inline unsigned long folio_pfn(const struct folio *f)
{
	return LU_BASE_PFN + (LU_HELD(f) - lu_map);
}

static inline unsigned int folio_order(const struct folio *f)
{
	return LU_HELD(f)->order;
}

static inline long folio_nr_pages(const struct folio *f)
{
	return 1L << folio_order(f);
}

static inline size_t folio_size(const struct folio *f)
{
	return PAGE_SIZE << folio_order(f);
}

static inline void *folio_address(const struct folio *f)
{
	return phys_to_virt(PFN_PHYS(folio_pfn(f)));
}

static inline pgoff_t folio_next_index(const struct folio *f)
{
	return f->index + folio_nr_pages(f);
}

static inline unsigned long totalram_pages(void)
{
	return LU_RAM_PAGES;
}

static inline void folio_lock(struct folio *f)
{
	LU_HELD(f)->flags |= LU_PG_LOCKED;
}

static inline void folio_unlock(struct folio *f)
{
	LU_HELD(f)->flags &= ~LU_PG_LOCKED;
}

static inline bool folio_test_uptodate(const struct folio *f)
{
	return LU_HELD(f)->flags & LU_PG_UPTODATE;
}

static inline void folio_mark_uptodate(struct folio *f)
{
	LU_HELD(f)->flags |= LU_PG_UPTODATE;
}

static inline void folio_zero_range(struct folio *f, size_t off, size_t len)
{
	memset((char *)folio_address(f) + off, 0, len);
}

static inline void flush_dcache_folio(struct folio *f)
{
}

/* only the move out of scratch uses these: nothing is in scratch here */
#define LU_STUB(decl) static inline decl { LU_UNREACHED(); }
#define MIGRATE_SYNC 0
#define MR_CONTIG_RANGE 0
typedef struct folio *new_folio_t(struct folio *folio, unsigned long private);
typedef void free_folio_t(struct folio *folio, unsigned long private);
LU_STUB(int migrate_pages(struct list_head *l, new_folio_t new,
			  free_folio_t free, unsigned long private, int mode,
			  int reason, unsigned int *ret_succeeded))
LU_STUB(void putback_movable_pages(struct list_head *l))
LU_STUB(bool isolate_folio_to_list(struct folio *f, struct list_head *l))
LU_STUB(void lru_add_drain_all(void))

/* xarray: a sorted list, enough for a few thousand entries. */
struct xa_node {
	unsigned long index;
	void *entry;
	struct xa_node *next;
};

struct xarray {
	struct xa_node *head;
};

#define DEFINE_XARRAY(name) struct xarray name = { NULL }
#define xa_lock_irq(xa) do { (void)(xa); } while (0)
#define xa_unlock_irq(xa) do { (void)(xa); } while (0)

int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *xa_load(struct xarray *xa, unsigned long index);
void *xa_erase(struct xarray *xa, unsigned long index);
void xa_destroy(struct xarray *xa);

struct xa_state {
	struct xarray *xa;
	unsigned long xa_index;
};

#define XA_STATE(name, array, index) \
	struct xa_state name = { .xa = (array), .xa_index = (index) }
void *xas_find(struct xa_state *xas, unsigned long max);
void *xas_next_entry(struct xa_state *xas, unsigned long max);
#define xas_for_each(xas, entry, max)				\
	for (entry = xas_find(xas, max); entry;			\
	     entry = xas_next_entry(xas, max))
#define xas_retry(xas, entry) ((void)(xas), (void)(entry), false)
#define xa_is_value(entry) ((unsigned long)(entry) & 1)

/* Work: run at once, in the caller. */
struct work_struct {
	void (*func)(struct work_struct *work);
};

#define INIT_WORK(w, fn) ((w)->func = (fn))
#define system_unbound_wq NULL

static inline bool queue_work(void *wq, struct work_struct *w)
{
	w->func(w);
	return true;
}

static inline bool flush_work(struct work_struct *w)
{
	return true;
}

/* Files, inodes, the page cache (lu_mem.c). */
#define FMODE_LSEEK	0x4u
#define FMODE_PREAD	0x8u
#define FMODE_PWRITE	0x10u
#define O_LARGEFILE	0100000
#define VM_NORESERVE	0x00200000UL
#define F_SEAL_SEAL	0x0001
#define F_SEAL_SHRINK	0x0002
#define F_SEAL_GROW	0x0004
#define F_SEAL_WRITE	0x0008
#define F_SEAL_FUTURE_WRITE 0x0010
#define F_SEAL_EXEC	0x0020
#define AS_UNEVICTABLE	BIT(0)
#define AS_DENY_WRITE	BIT(1)	/* mapping_deny_writable() */

struct address_space {
	struct xarray i_pages;		/* outgoing: folios by index */
	unsigned long nrpages;
	unsigned long flags;
};

struct inode {
	umode_t i_mode;
	long long i_size;
	struct address_space *i_mapping;
	struct address_space i_data;
	/* incoming: what shmem_preload_folios() was given */
	struct folio **pre_folios;
	pgoff_t *pre_index;
	unsigned long pre_nr;
};

struct shmem_inode_info {
	unsigned int seals;
	unsigned int liveupdate;
	unsigned long swapped;
	struct inode vfs_inode;
};

struct dentry {
	struct {
		const char *name;
	} d_name;
};

struct file {
	int refs;
	unsigned int f_mode;
	unsigned int f_flags;
	long long f_pos;
	struct inode *f_inode;
	struct address_space *f_mapping;
	struct dentry f_dentry;
	bool shmem;			/* else a "fuzz-v1" file */
	u64 data;			/* "fuzz-v1": its record's data */
	char name[80];
};

#define SHMEM_I(inode) container_of(inode, struct shmem_inode_info, vfs_inode)
#define file_inode(f) ((f)->f_inode)
#define file_dentry(f) (&(f)->f_dentry)
#define inode_lock(i) do { (void)(i); } while (0)
#define inode_unlock(i) do { (void)(i); } while (0)
#define i_size_read(i) ((i)->i_size)
#define i_size_write(i, s) ((i)->i_size = (s))
#define shmem_file(f) ((f)->shmem)
#define is_file_hugepages(f) ((void)(f), false)
#define mapping_unevictable(m) ((m)->flags & AS_UNEVICTABLE)
#define mapping_set_unevictable(m) ((m)->flags |= AS_UNEVICTABLE)
#define mapping_clear_unevictable(m) ((m)->flags &= ~AS_UNEVICTABLE)
#define shmem_unlock_mapping(m) do { (void)(m); } while (0)

static inline int mapping_deny_writable(struct address_space *m)
{
	m->flags |= AS_DENY_WRITE;
	return 0;
}

struct file *lu_file_new(const char *name, bool shmem);
struct file *get_file(struct file *f);
void fput(struct file *f);
struct file *shmem_file_setup(const char *name, long long size,
			      unsigned long flags);
int shmem_preload_folios(struct inode *inode, struct folio **folios,
			 pgoff_t *index, unsigned long nr);
int shmem_preload_range(struct inode *inode, pgoff_t start, pgoff_t end);

#define PAGEVEC_SIZE 31
struct folio_batch {
	unsigned char nr;
	struct folio *folios[PAGEVEC_SIZE];
};

static inline void folio_batch_init(struct folio_batch *b)
{
	b->nr = 0;
}

#define folio_batch_reinit folio_batch_init

static inline unsigned int folio_batch_count(const struct folio_batch *b)
{
	return b->nr;
}

unsigned int filemap_get_folios(struct address_space *mapping,
				pgoff_t *start, pgoff_t end,
				struct folio_batch *fbatch);

/* only for files with pages in swap: none here */
enum sgp_type { SGP_READ };
LU_STUB(int shmem_get_folio(struct inode *inode, pgoff_t index,
			    long long write_end, struct folio **foliop,
			    enum sgp_type sgp))
LU_STUB(struct folio *filemap_get_folio(struct address_space *m,
					pgoff_t index))

#endif /* LU_SHIM_H */
