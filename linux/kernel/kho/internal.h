/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - KHO's internal interfaces: the tracker and the state tree.
 *
 * Both are plain data structures over pages; they need only page
 * allocation, phys/virt conversion, bitops and libfdt, so the same source
 * builds in user space (tests/unit) with a small shim of these headers.
 */
#ifndef _KERNEL_KHO_INTERNAL_H
#define _KERNEL_KHO_INTERNAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/kexec_handover.h>
#include <linux/mutex.h>

/* On-page format of the tracker; see Documentation/kho/format.rst. */
#define KHO_MEM_MAGIC		0x4b484f4d454d3031ULL	/* "KHOMEM01" */
#define KHO_MEM_VERSION		1
#define KHO_NODE_SIZE		4096
#define KHO_NODE_SHIFT		12
#define KHO_LEAF_BITS_SHIFT	15	/* 32768 bits in a leaf page */
#define KHO_LEAF_BITS		BIT(KHO_LEAF_BITS_SHIFT)
#define KHO_SLOTS_SHIFT		9	/* 512 u64 slots in a table page */
#define KHO_SLOTS		BIT(KHO_SLOTS_SHIFT)
#define KHO_PHYS_BITS		52
#define KHO_PFN_BITS		(KHO_PHYS_BITS - KHO_NODE_SHIFT)
#define KHO_MAX_ORDERS		32
#define KHO_HEIGHT_MASK		0xfffULL
#define KHO_MAX_HEIGHT		3

/**
 * struct kho_mem_root - the tracker's root page, the handed-over format
 * @magic: %KHO_MEM_MAGIC
 * @version: %KHO_MEM_VERSION
 * @nr_orders: number of entries used in @top (orders 0 .. @nr_orders - 1)
 * @page_shift: PAGE_SHIFT of the kernel that built the tracker
 * @reserved: zero
 * @top: per order, physical address of the top table page ORed with the
 *	 tree's height (number of table levels, 1..%KHO_MAX_HEIGHT), or 0
 *	 when nothing of that order was ever preserved
 *
 * All fields are little-endian. The rest of the page is zero.
 */
struct kho_mem_root {
	u64 magic;
	u32 version;
	u32 nr_orders;
	u32 page_shift;
	u32 reserved;
	u64 top[KHO_MAX_ORDERS];
};

/**
 * struct kho_tracker - an in-memory tracker
 * @root: its root page
 * @nr_orders: orders it accepts (NR_PAGE_ORDERS of this kernel)
 * @max_pfn: first pfn it refuses (top of the 52-bit physical space by
 *	     default; callers check RAM themselves)
 * @used: bit per order that ever held a block (set before the block's bit)
 * @first: per order, a block index at or below the first set bit
 * @last: per order, a block index at or above the last set bit
 * @hints: @first and @last are set (kho_tracker_set_hints())
 */
struct kho_tracker {
	struct kho_mem_root *root;
	unsigned int nr_orders;
	unsigned long max_pfn;
	unsigned long used;
	unsigned long first[KHO_MAX_ORDERS];
	unsigned long last[KHO_MAX_ORDERS];
	bool hints;
};

/**
 * typedef kho_walk_fn - callback of kho_tracker_walk()
 * @pfn: first pfn of a preserved block
 * @order: its order
 * @arg: the walk's argument
 *
 * Return: 0 to go on, anything else stops the walk and is returned.
 */
typedef int (*kho_walk_fn)(unsigned long pfn, unsigned int order, void *arg);

/**
 * typedef kho_node_fn - callback of kho_tracker_walk_nodes()
 * @phys: physical address of one of the tracker's own pages
 * @arg: the walk's argument
 *
 * Return: 0 to go on, anything else stops the walk and is returned.
 */
typedef int (*kho_node_fn)(phys_addr_t phys, void *arg);

int kho_tracker_init(struct kho_tracker *t, unsigned int nr_orders);
int kho_tracker_attach(struct kho_tracker *t, phys_addr_t root_phys);
void kho_tracker_destroy(struct kho_tracker *t);
int kho_tracker_set(struct kho_tracker *t, unsigned long pfn,
		    unsigned int order);
int kho_tracker_clear(struct kho_tracker *t, unsigned long pfn,
		      unsigned int order);
int kho_tracker_lookup(const struct kho_tracker *t, unsigned long pfn,
		       unsigned long *start);
int kho_tracker_walk(const struct kho_tracker *t, unsigned long from_pfn,
		     kho_walk_fn fn, void *arg);
int kho_tracker_walk_nodes(const struct kho_tracker *t, kho_node_fn fn,
			   void *arg);
int kho_tracker_check_nodes(const struct kho_tracker *t, kho_node_fn ok,
			    void *arg);
unsigned long kho_tracker_next_block(const struct kho_tracker *t,
				     unsigned long pfn, unsigned long *end);
void kho_tracker_set_hints(struct kho_tracker *t);
phys_addr_t kho_tracker_root_phys(const struct kho_tracker *t);

/* State tree */
#define KHO_FDT_COMPATIBLE	"linux-6.12,kho-v1"
#define KHO_MEM_NODE		"preserved-memory"
#define KHO_MEM_COMPATIBLE	"linux-6.12,kho-mem-v1"
#define KHO_MEM_PROP		"tracker"
#define KHO_BLOB_PROP		"blob"
#define KHO_SCRATCH_PROP	"scratch"
/* the writer's page size in bytes (u32); absent: 4096, as before it */
#define KHO_PAGE_SIZE_PROP	"page-size"
#define KHO_PAGE_SIZE_OLD	4096
#define KHO_NAME_MAX		63

/**
 * struct kho_tree - the outgoing state tree
 * @fdt: one page holding the root FDT, edited in place
 * @lock: serialises edits of @fdt
 */
struct kho_tree {
	void *fdt;
	struct mutex lock;	/* serialises edits of @fdt */
};

int kho_tree_init(struct kho_tree *tree, phys_addr_t mem_root);
void kho_tree_destroy(struct kho_tree *tree);
int kho_tree_add(struct kho_tree *tree, const char *name, phys_addr_t phys,
		 u64 size);
int kho_tree_remove(struct kho_tree *tree, const char *name);
int kho_tree_set_scratch(struct kho_tree *tree, const u64 *pairs,
			 unsigned int nr);
int kho_fdt_check_root(const void *fdt, size_t size, phys_addr_t *mem_root);
int kho_fdt_get_subtree(const void *fdt, const char *name, phys_addr_t *phys,
			u64 *size);

/* core.c */
int kho_preserve_range(unsigned long pfn, unsigned long nr);
int kho_unpreserve_range(unsigned long pfn, unsigned long nr);
phys_addr_t kho_root_phys(void);
unsigned int kho_block_order(unsigned long pfn, unsigned long nr);
const void *kho_out_fdt(void);
const struct kho_tracker *kho_out_tracker(void);

/**
 * struct kho_client - a client's node in the outgoing state tree
 * @name: the name it was added under
 * @phys: where its blob is (zero when it was removed)
 * @size: the blob's size (zero when it was removed)
 */
struct kho_client {
	const char *name;
	phys_addr_t phys;
	u64 size;
};

/* the events of kho_register_client_notifier(), with a &struct kho_client */
enum {
	KHO_CLIENT_ADDED,
	KHO_CLIENT_REMOVED,
};

typedef int (*kho_client_fn)(const struct kho_client *c, void *arg);
void kho_tree_walk_clients(struct kho_tree *tree, kho_client_fn fn, void *arg);
struct notifier_block;
void kho_register_client_notifier(struct notifier_block *nb);
void kho_walk_clients(kho_client_fn fn, void *arg);

/* debug_setup.c */
struct kimage;
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
void kho_debug_loading(struct kimage *image);
void kho_debug_fill(struct kho_setup_data *sd);
int kho_debug_setup_corrupt(const char *what);
#else
static inline void kho_debug_loading(struct kimage *image) { }
static inline void kho_debug_fill(struct kho_setup_data *sd) { }
#endif

/**
 * struct kho_validate_ops - what the validator may assume about memory
 * @is_ram: whether [start, start + size) is RAM
 * @region_ok: whether it is RAM and touches neither scratch nor the
 *	       running kernel: where preserved memory and tracker pages may be
 * @ctx: passed to both
 * @max_pfn: first pfn above RAM
 * @seen: zeroed bitmap of @max_pfn bits, for the tracker pages
 * @scratch_order: scratch areas are aligned to pages << this
 */
struct kho_validate_ops {
	bool (*is_ram)(phys_addr_t start, phys_addr_t size, void *ctx);
	bool (*region_ok)(phys_addr_t start, phys_addr_t size, void *ctx);
	void *ctx;
	unsigned long max_pfn;
	unsigned long *seen;
	unsigned int scratch_order;
};

/**
 * struct kho_validate_result - what a valid handover holds
 * @nodes: pages of the tracker itself
 * @pages: preserved pages
 */
struct kho_validate_result {
	unsigned long nodes;
	unsigned long pages;
};

/**
 * struct kho_capture - header of a capture of the outgoing handover
 * @magic: %KHO_CAPTURE_MAGIC
 * @nr_ram: number of RAM ranges that follow the header
 * @nr_pages: number of page records that follow the RAM ranges
 * @kernel_start: physical start of the capturing kernel's image
 * @kernel_end: physical end (exclusive) of that image
 * @sd: the setup data a kexec_file_load() now would pass
 *
 * Written by debugfs ``kho/out/capture`` (CONFIG_KEXEC_HANDOVER_DEBUG)
 * and read by the user-space fuzz target: the header, then @nr_ram
 * ``{u64 start, u64 end}`` ranges of System RAM, then @nr_pages records
 * of ``{u64 phys, u8 page[4096]}``: the state tree page and every tracker
 * page, all the incoming kernel's validator reads. Host byte order; a
 * debugging format, not an ABI.
 */
struct kho_capture {
	u64 magic;
	u32 nr_ram;
	u32 nr_pages;
	u64 kernel_start;
	u64 kernel_end;
	struct kho_setup_data sd;
};

#define KHO_CAPTURE_MAGIC	0x3154504143484f4bULL	/* "KHOCAPT1" */
#define KHO_CAPTURE_MAX_RAM	64

const char *kho_validate_setup(const struct kho_setup_data *sd,
			       const struct kho_validate_ops *ops);
const char *kho_validate_handover(phys_addr_t root,
				  const struct kho_validate_ops *ops,
				  struct kho_tracker *t,
				  struct kho_validate_result *res);

#ifdef __KERNEL__

/* scratch.c */
extern struct kho_scratch kho_scratch[KHO_MAX_SCRATCH];
extern unsigned int kho_nr_scratch;
struct kho_scratch *kho_scratch_next(const struct kho_scratch *prev,
				     bool low, bool down);
extern phys_addr_t kho_scratch_always_end;
extern bool kho_enable;
int kho_reserve_scratch(void);
void kho_scratch_to_cma(void);
bool kho_in_scratch(phys_addr_t start, phys_addr_t size);
bool kho_overlaps_scratch(phys_addr_t start, phys_addr_t size);

/* incoming.c */
enum kho_in_state {
	KHO_IN_NONE,		/* cold boot: no handover */
	KHO_IN_PENDING,		/* scratch in use, map not checked yet */
	KHO_IN_ACCEPTED,	/* preserved memory kept out of the allocator */
	KHO_IN_REFUSED,		/* ignored; see @reason */
};

/**
 * struct kho_incoming - what this kernel received
 * @state: see &enum kho_in_state
 * @found: the boot protocol carried a handover
 * @released: unclaimed memory was given back to the allocator
 * @root: physical address of the received state tree
 * @fdt: the received state tree
 * @tracker: the received tracker; a restore clears its block's bit
 * @nodes: pages used by the received tracker
 * @pages: pages preserved in the received tracker
 * @unclaimed: pages nobody restored, released at late_initcall_sync
 * @keep_ns: cycles spent keeping preserved memory out of the allocator
 *	     (get_cycles(): sched_clock may not run yet this early)
 * @free_ns: cycles spent in kho_next_preserved() (bitmap mode)
 * @mem_init_ns: cycles of mem_init(), which releases memory to the buddy
 * @kaslr: what the decompressor did with the kernel's place (x86, with a
 *	   setup_data handover; zero otherwise)
 * @reason: why the handover was refused
 */
struct kho_incoming {
	enum kho_in_state state;
	bool found;
	bool released;
	phys_addr_t root;
	void *fdt;
	struct kho_tracker tracker;
	unsigned long nodes;
	unsigned long pages;
	unsigned long unclaimed;
	u64 keep_ns;
	atomic64_t free_ns;
	u64 mem_init_ns;
	struct kho_kaslr_report kaslr;
	char reason[64];
};

extern struct kho_incoming kho_in;

/* debug counters, shown in debugfs */
extern unsigned long kho_stat_alloc_outside_scratch;
extern unsigned long kho_stat_segments_refused;
#endif

#endif /* _KERNEL_KHO_INTERNAL_H */
