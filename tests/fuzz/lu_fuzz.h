/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lu_fuzz.h - the live update fuzz target's input format and the fake
 * world (lu_mem.c) shared by fuzz_lu, lu_replay and lu_seeds.
 *
 * An input is a struct lu_fuzz_head, then nr_pages pages of RAM contents
 * (RAM page 0 on, at physical LU_BASE; pages past them read as zeros),
 * then, to the end of the input, one little-endian u32 per preserved
 * block: bits 0-3 its order, bits 4-31 its first RAM page. A block that
 * is misaligned, outside RAM, of an order above MAX_PAGE_ORDER or over an
 * earlier block is not preserved (KHO's tracker cannot hold it). The
 * "liveupdate" KHO client's blob is [subtree, subtree + subtree_size).
 */
#ifndef LU_FUZZ_H
#define LU_FUZZ_H

#include "lu_shim.h"
#include <linux/liveupdate.h>

#define LU_IN_PAGES	64	/* RAM pages an input can fill */

/* flags */
#define LU_FUZZ_FAIL_SETUP	BIT(0)	/* shmem_file_setup() fails */
#define LU_FUZZ_FAIL_PRELOAD	BIT(1)	/* shmem_preload_folios() fails */
#define LU_FUZZ_POPULATE	BIT(2)	/* liveupdate.memfd_populate=1 */
#define LU_FUZZ_NOEXEC		BIT(3)	/* vm.memfd_noexec=2 */

struct lu_fuzz_head {
	__le64 subtree;		/* the "liveupdate" blob's physical address */
	__le64 subtree_size;	/* its size (0: -EINVAL, as KHO says) */
	__le16 nr_pages;	/* RAM pages that follow, at most LU_IN_PAGES */
	__le16 fail_alloc;	/* the Nth kmalloc of the run fails; 0: none */
	u8 retrieve;		/* bit i%8: RETRIEVE_FD the i-th file of a session */
	u8 flags;		/* LU_FUZZ_* */
	u8 pad[10];
};

#define LU_BLOCK(page, order)	((u32)(page) << 4 | (order))

/* What one input gave. */
struct lu_fuzz_result {
	const char *status;		/* lu_in_status: none, refused, accepted */
	unsigned int sessions;		/* accepted sessions */
	unsigned int files;		/* files restored in them */
	unsigned int memfds;		/* memfds among them */
	unsigned long folios;		/* folios the memfds hold */
	unsigned long pages;		/* their pages */
	unsigned long blocks;		/* blocks the input preserved */
	unsigned long unclaimed;	/* of them, never taken back */
	unsigned long errors;		/* pr_err lines */
	char first_err[256];
};

const char *lu_fuzz_one(const uint8_t *data, size_t size,
			struct lu_fuzz_result *res);

/* The fake world, lu_mem.c. */
void lu_mem_init(void);
void lu_mem_reset(void);
bool lu_kho_in(unsigned long page, unsigned int order);
void lu_mem_seal(void);
unsigned long lu_count_state(enum lu_state state);
void lu_cache_add(struct file *file, struct folio *folio, pgoff_t index);

extern phys_addr_t lu_subtree_phys;	/* incoming: kho_retrieve_subtree() */
extern u64 lu_subtree_size;
extern phys_addr_t lu_out_subtree;	/* outgoing: kho_add_subtree() */
extern struct notifier_block *lu_out_nb; /* kho_register_freeze_notifier() */
extern bool lu_fail_setup, lu_fail_preload;
extern int lu_memfd_noexec;	/* vm.memfd_noexec */
extern long lu_files_live;
extern unsigned long lu_nr_err;
extern char lu_first_err[256];

/*
 * "fuzz-v1": a handler with no memory of its own, so sessions of many
 * files fit in a small input. Its data is the file's: bit 0 makes
 * restore() refuse, bit 1 makes retrieve() fail. lu_fuzz_live counts
 * what restore() handed out and neither retrieve() nor finish() took
 * back.
 */
#define LU_FUZZ_COMPATIBLE	"fuzz-v1"
extern struct liveupdate_file_handler lu_fuzz_handler;
extern long lu_fuzz_live;
bool lu_fuzz_priv_ok(const void *priv);

#endif
