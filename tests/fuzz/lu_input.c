// SPDX-License-Identifier: GPL-2.0
/*
 * lu_input.c - one fuzz input through the next kernel's parsers of live
 * update records: linux/kernel/liveupdate/session.c (lu_incoming_init(),
 * restore_session()) and memfd.c (memfd_restore(), check_csum(),
 * restore_entries()...), the very files the kernel builds, included here
 * so their static functions run as they are. Shared by the libFuzzer
 * target and the replay tool; the input format is in lu_fuzz.h.
 *
 * After the records are read, what the kernel holds is checked against
 * what KHO handed out, then everything is given back through the real
 * code (RETRIEVE_SESSION, RETRIEVE_FD for some files, FINISH, close),
 * and checked again. A violation aborts, so the fuzzer reports it:
 *
 * - a folio taken back is held by exactly one restored memfd, with one
 *   reference, or was put (released): nothing leaks, nothing is held
 *   twice; after the teardown every one was put;
 * - a memfd accepted holds every folio its header counts, each of an
 *   order at most MAX_PAGECACHE_ORDER, at an index aligned to it,
 *   increasing, without overlap and inside the file's size;
 * - KHO refuses anything not preserved, or taken already (lu_mem.c), and
 *   the kernel reads only what KHO gave it or said is preserved (ASan);
 * - every file restored is finished or retrieved once (fuzz-v1 counts),
 *   every file made is closed, no mutex is left held, no session left.
 */
/* linux/kernel/liveupdate/ is on the include path (Makefile: LU) */
#include "session.c"
#undef pr_fmt
#include "memfd.c"

#include "lu_fuzz.h"

static void broken(const char *why, unsigned long page)
{
	fprintf(stderr, "live update records break an invariant: %s (page %lu)\n",
		why, page);
	abort();
}

/* How many restored memfds hold each page index's folio. */
static unsigned short held[LU_RAM_PAGES];

static void check_memfd(struct memfd_state *st, struct lu_fuzz_result *res)
{
	pgoff_t end = DIV_ROUND_UP(le64_to_cpu(st->hdr->size), PAGE_SIZE);
	pgoff_t next = 0;
	unsigned long i;

	if (st->nr != le64_to_cpu(st->hdr->nr_entries))
		broken("an accepted memfd lacks folios its header counts", 0);
	for (i = 0; i < st->nr; i++) {
		struct folio *f = st->folios[i];
		unsigned long page = f - lu_map, nr;

		if (f < lu_map || f >= lu_map + LU_RAM_PAGES ||
		    f->head != (int)page || f->state != LU_CLAIMED)
			broken("a memfd holds a folio KHO did not give", page);
		nr = 1UL << f->order;
		if (f->order > MAX_PAGECACHE_ORDER || st->index[i] < next ||
		    st->index[i] >= end || st->index[i] & (nr - 1))
			broken("a memfd's folio at a bad index", page);
		next = st->index[i] + nr;
		held[page]++;
		res->folios++;
		res->pages += nr;
	}
}

/* What the restored sessions hold, against what KHO handed out. */
static void check_held(struct lu_fuzz_result *res)
{
	struct lu_session *s;
	struct lu_file *f;
	unsigned long i, nr_fuzz = 0;

	memset(held, 0, sizeof(held));
	list_for_each_entry(s, &lu_in, list) {
		unsigned long n = 0;

		if (!s->incoming || s->open || s->finished)
			broken("a restored session in a wrong state", 0);
		res->sessions++;
		list_for_each_entry(f, &s->files, list) {
			n++;
			if (f->retrieved || IS_ERR_OR_NULL(f->priv))
				broken("a restored file in a wrong state", 0);
			if (f->handler == &memfd_handler) {
				res->memfds++;
				check_memfd(f->priv, res);
			} else if (f->handler == &lu_fuzz_handler) {
				if (!lu_fuzz_priv_ok(f->priv))
					broken("a fuzz-v1 file without its state", 0);
				nr_fuzz++;
			} else {
				broken("a file of no handler", 0);
			}
		}
		if (n != s->nr_files)
			broken("a session's count of files is wrong", 0);
		res->files += n;
	}
	if (nr_fuzz != (unsigned long)lu_fuzz_live)
		broken("fuzz-v1 states restored but held by no session", 0);
	for (i = 0; i < LU_RAM_PAGES; i++) {
		struct folio *f = &lu_map[i];

		if (f->head != (int)i) {
			if (held[i])
				broken("a memfd holds a tail page", i);
			continue;
		}
		if (f->state == LU_PRESERVED)
			res->unclaimed++;
		if (held[i] > 1)
			broken("a folio held twice", i);
		if (f->state == LU_CLAIMED && f->refs != held[i])
			broken(f->refs > held[i] ?
			       "a folio taken back is neither held nor released" :
			       "a folio held without its reference", i);
		if (f->state != LU_CLAIMED && held[i])
			broken("a memfd holds a folio it does not own", i);
	}
}

/* User space takes the sessions and lets go of them, as it may. */
static void teardown(u8 retrieve)
{
	struct lu_session *s, *ts;
	struct lu_file *f;
	struct file *file, *again;
	unsigned int i;

	list_for_each_entry_safe(s, ts, &lu_in, list) {
		if (lu_session_retrieve(s->name) != s ||
		    lu_session_retrieve(s->name) != ERR_PTR(-EBUSY))
			broken("RETRIEVE_SESSION of a restored session", 0);
		/* closed without FINISH: kept for a later RETRIEVE_SESSION */
		lu_session_release(s);
		if (lu_session_retrieve(s->name) != s)
			broken("a session lost when closed without FINISH", 0);
		i = 0;
		list_for_each_entry(f, &s->files, list) {
			if (!(retrieve & BIT(i++ % 8)))
				continue;
			file = lu_session_retrieve_fd(s, f->token);
			if (IS_ERR(file))
				continue;
			again = lu_session_retrieve_fd(s, f->token);
			if (again != file)
				broken("a second RETRIEVE_FD gave another file", 0);
			fput(again);
			fput(file);
		}
		lu_session_finish(s);
		if (!IS_ERR(lu_session_retrieve_fd(s, 0)) ||
		    !IS_ERR(lu_session_retrieve(s->name)))
			broken("a finished session still gives files", 0);
		lu_session_release(s);
	}
}

static void check_released(void)
{
	unsigned long i;

	if (!list_empty(&lu_in))
		broken("a session left after FINISH and close", 0);
	for (i = 0; i < LU_RAM_PAGES; i++)
		if (lu_map[i].head == (int)i && lu_map[i].state == LU_CLAIMED)
			broken("a folio taken back was never released", i);
	if (lu_fuzz_live)
		broken("a fuzz-v1 file neither finished nor retrieved", 0);
	if (lu_files_live)
		broken("a file made and never closed", 0);
	if (lu_mutex.locked)
		broken("lu_mutex left held", 0);
}

/**
 * lu_fuzz_one() - restore the records of one input, check, give back
 * @data: the input
 * @size: its size
 * @res: what was restored
 *
 * Return: NULL if every session, file and folio came back, else why not.
 */
const char *lu_fuzz_one(const uint8_t *data, size_t size,
			struct lu_fuzz_result *res)
{
	static bool ready;
	struct lu_fuzz_head h = { 0 };
	size_t off = sizeof(h), n, i;
	u32 blk;

	if (!ready) {
		lu_mem_init();
		if (memfd_lu_init() ||
		    liveupdate_register_file_handler(&lu_fuzz_handler))
			abort();
		ready = true;
	}
	memset(res, 0, sizeof(*res));
	memcpy(&h, data, min(size, sizeof(h)));
	lu_mem_reset();
	/* the RAM pages the input fills, a short last one padded with zeros */
	n = min_t(size_t, le16_to_cpu(h.nr_pages), LU_IN_PAGES);
	if (size > off)
		memcpy(lu_ram, data + off, min(size - off, n * PAGE_SIZE));
	off += n * PAGE_SIZE;
	for (i = off; i + sizeof(blk) <= size; i += sizeof(blk)) {
		memcpy(&blk, data + i, sizeof(blk));
		res->blocks += lu_kho_in(le32_to_cpu(blk) >> 4,
					 le32_to_cpu(blk) & 15);
	}
	lu_mem_seal();
	lu_subtree_phys = le64_to_cpu(h.subtree);
	lu_subtree_size = le64_to_cpu(h.subtree_size);
	lu_fail_alloc = le16_to_cpu(h.fail_alloc);
	lu_fail_setup = h.flags & LU_FUZZ_FAIL_SETUP;
	lu_fail_preload = h.flags & LU_FUZZ_FAIL_PRELOAD;
	memfd_populate = h.flags & LU_FUZZ_POPULATE;
	lu_memfd_noexec = h.flags & LU_FUZZ_NOEXEC ?
			  MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED : 0;
	lu_in_status = "none";

	lu_incoming_init();

	res->status = lu_in_status;
	res->errors = lu_nr_err;
	strscpy(res->first_err, lu_first_err, sizeof(res->first_err));
	check_held(res);
	teardown(h.retrieve);
	check_released();

	if (strcmp(res->status, "accepted"))
		return res->first_err[0] ? res->first_err : "no session records";
	if (res->errors)
		return res->first_err;
	if (res->unclaimed)
		return "preserved blocks left unclaimed";
	return NULL;
}
