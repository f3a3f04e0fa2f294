// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - live update sessions: the files user space keeps across a
 * kexec reboot, their handover to the next kernel, and taking them back.
 */

/**
 * DOC: Live update sessions
 *
 * A session is a named set of files, each under a token chosen by user
 * space. An *outgoing* session is created by CREATE_SESSION and lives as
 * long as its file descriptor: closing it unpreserves every file in it.
 * Preserving a file (PRESERVE_FD) asks the file's handler (e.g. memfd)
 * to keep its memory with KHO at once, so everything that can fail
 * happens in the ioctl; each session's records are already in a
 * preserved page by then.
 *
 * At the kexec reboot, KHO's freeze step calls lu_freeze(): each handler
 * records what may have changed (file positions...) without allocating,
 * and the session pages are chained to the one page the ``liveupdate``
 * KHO client names. A handler that fails its freeze fails the reboot,
 * and nothing is lost.
 *
 * The next kernel reads the records at late_initcall, before unclaimed
 * preserved memory is released: every page is taken back with
 * kho_restore_folio(), which refuses anything that was not preserved,
 * so a corrupt pointer is refused, never followed. A header of another
 * version refuses all sessions with one line; a bad session record
 * refuses that session with one line. Either way the memory of what was
 * refused is released as if the kernel had booted cold. Accepted
 * sessions are *incoming*: their files' handlers hold the memory until
 * user space retrieves them (RETRIEVE_SESSION, RETRIEVE_FD) and says
 * FINISH, or until the next live update. Closing an incoming session's
 * file descriptor without FINISH keeps it for a later RETRIEVE_SESSION.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>
#include <linux/xxhash.h>

#include "internal.h"

/* Limits on what the next kernel accepts: bounds for any input. */
#define LU_MAX_SESSIONS		BIT(20)
#define LU_MAX_FILES		BIT(24)

/*
 * What one kernel hands over is what the next accepts: CREATE_SESSION
 * and PRESERVE_FD beyond it fail with -ENOSPC. The debug knobs
 * liveupdate/max_sessions and max_files lower the limits for tests.
 */
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
#define lu_out_max_sessions() min_t(u32, READ_ONCE(lu_debug_max_sessions), \
				    LU_MAX_SESSIONS)
#define lu_out_max_files() min_t(u32, READ_ONCE(lu_debug_max_files), \
				 LU_MAX_FILES)
#else
#define lu_out_max_sessions() LU_MAX_SESSIONS
#define lu_out_max_files() LU_MAX_FILES
#endif

/* serialises sessions, their files, the handlers and the freeze */
DEFINE_MUTEX(lu_mutex);
static LIST_HEAD(lu_handlers);
static LIST_HEAD(lu_out);
static unsigned long lu_nr_out;	/* sessions on lu_out */
static LIST_HEAD(lu_in);
/* inodes preserved in any outgoing session, to refuse a second time */
static DEFINE_XARRAY(lu_inodes);
static struct lu_header *lu_hdr;
static const char *lu_in_status = "none";

/**
 * liveupdate_register_file_handler() - add a type of file that can be kept
 * @h: the handler; lives for the rest of the boot
 *
 * Call before late_initcall, so the next kernel's files find it.
 *
 * Return: 0, -EINVAL for a bad compatible, -EEXIST if it is taken.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *h)
{
	struct liveupdate_file_handler *o;
	int err = 0;

	if (!h->compatible || !h->ops ||
	    strnlen(h->compatible, LIVEUPDATE_COMPAT_MAX) >= LIVEUPDATE_COMPAT_MAX)
		return -EINVAL;
	mutex_lock(&lu_mutex);
	list_for_each_entry(o, &lu_handlers, list)
		if (!strcmp(o->compatible, h->compatible))
			err = -EEXIST;
	if (!err)
		list_add_tail(&h->list, &lu_handlers);
	mutex_unlock(&lu_mutex);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_register_file_handler);

static struct liveupdate_file_handler *find_handler(const char *compatible)
{
	struct liveupdate_file_handler *h;

	list_for_each_entry(h, &lu_handlers, list)
		if (!strcmp(h->compatible, compatible))
			return h;
	return NULL;
}

/**
 * lu_alloc_preserved() - a zeroed page preserved for the next kernel
 *
 * For records the next kernel reads: GFP_KERNEL memory is never in
 * scratch, so only -ENOMEM can fail it.
 *
 * Return: its address, or NULL.
 */
void *lu_alloc_preserved(void)
{
	void *p = (void *)get_zeroed_page(GFP_KERNEL);

	if (p && kho_preserve_folio(virt_to_folio(p))) {
		free_page((unsigned long)p);
		p = NULL;
	}
	return p;
}

/**
 * lu_free_preserved() - unpreserve and free a lu_alloc_preserved() page
 * @p: the page
 */
void lu_free_preserved(void *p)
{
	kho_unpreserve_folio(virt_to_folio(p));
	free_page((unsigned long)p);
}

/**
 * lu_restore_preserved() - take back a record page the last kernel kept
 * @phys: its physical address
 *
 * Return: its address, or NULL if no order-0 page was preserved there
 * (or it was taken back already).
 */
void *lu_restore_preserved(u64 phys)
{
	struct folio *folio = kho_restore_folio(phys);

	if (folio && folio_order(folio)) {
		folio_put(folio);
		folio = NULL;
	}
	return folio ? folio_address(folio) : NULL;
}

/*
 * The record page at @phys, where it lies, if it is a page the last kernel
 * preserved and no one has taken back yet; NULL for anything else (a
 * damaged pointer).
 */
static void *preserved_in_place(u64 phys)
{
	if (!phys || !PAGE_ALIGNED(phys) || !pfn_valid(PHYS_PFN(phys)) ||
	    !kho_is_incoming_preserved(PHYS_PFN(phys)))
		return NULL;
	return phys_to_virt(phys);
}

/**
 * lu_hash_chain() - hash a chain of record pages where they lie
 * @x: the hash state to update
 * @next: physical address of the first page; each page holds the next
 *	one's address (little-endian, 0 at the end) in its first 8 bytes
 * @pages: how many pages to hash
 *
 * For checking a record before anything of it is taken back: each page
 * must be preserved and not yet taken, so a damaged pointer never reads
 * outside the handover nor claims another file's memory.
 *
 * Return: false if a page of the chain is not a preserved page.
 */
bool lu_hash_chain(struct xxh64_state *x, u64 next, unsigned long pages)
{
	const __le64 *p;

	while (pages--) {
		p = preserved_in_place(next);
		if (!p)
			return false;
		xxh64_update(x, p, PAGE_SIZE);
		next = le64_to_cpu(p[0]);
		cond_resched();
	}
	return true;
}

/**
 * lu_csum_header() - a record's checksum: the digest of what @x hashed,
 *	then of its header with the checksum field zero
 * @x: the hash state, the record's entry pages hashed into it
 * @hdr: the header
 * @size: its size in bytes
 * @csum_off: offset of its 32-bit checksum field
 *
 * Return: the low 32 bits of the xxh64 digest, never 0 (0 is written
 * as 1).
 */
u32 lu_csum_header(struct xxh64_state *x, const void *hdr, size_t size,
		   size_t csum_off)
{
	static const __le32 zero;
	u32 c;

	xxh64_update(x, hdr, csum_off);
	xxh64_update(x, &zero, sizeof(zero));
	xxh64_update(x, hdr + csum_off + sizeof(zero),
		     size - csum_off - sizeof(zero));
	c = xxh64_digest(x);
	return c ?: 1;
}

static struct lu_session *find_session(struct list_head *head,
				       const char *name)
{
	struct lu_session *s;

	list_for_each_entry(s, head, list)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static struct lu_session *new_session(const char *name, bool incoming)
{
	struct lu_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	strscpy(s->name, name, sizeof(s->name));
	s->incoming = incoming;
	INIT_LIST_HEAD(&s->files);
	INIT_LIST_HEAD(&s->more);
	return s;
}

/**
 * lu_session_create() - create an outgoing session
 * @name: its name, NUL-terminated, not empty
 *
 * Return: the session, or ERR_PTR(-EEXIST / -ENOMEM / -EOPNOTSUPP), or
 * ERR_PTR(-ENOSPC) when the next kernel would take no more sessions.
 */
struct lu_session *lu_session_create(const char *name)
{
	struct lu_session *s;

	if (!lu_hdr)
		return ERR_PTR(-EOPNOTSUPP);
	s = new_session(name, false);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->page = lu_alloc_preserved();
	if (!s->page) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	strscpy(s->page->name, name, sizeof(s->page->name));
	mutex_lock(&lu_mutex);
	if (find_session(&lu_out, name) || lu_nr_out >= lu_out_max_sessions()) {
		int err = lu_nr_out >= lu_out_max_sessions() ? -ENOSPC : -EEXIST;

		mutex_unlock(&lu_mutex);
		lu_free_preserved(s->page);
		kfree(s);
		return ERR_PTR(err);
	}
	list_add_tail(&s->list, &lu_out);
	lu_nr_out++;
	mutex_unlock(&lu_mutex);
	return s;
}

/* The record of file @i of an outgoing session, or NULL: no page yet. */
static struct lu_file_rec *out_rec(struct lu_session *s, unsigned long i)
{
	struct lu_more *m;

	if (i < LU_SESSION_FILES)
		return &s->page->files[i];
	i -= LU_SESSION_FILES;
	list_for_each_entry(m, &s->more, list) {
		if (i < LU_PAGE_FILES)
			return &m->fp->files[i];
		i -= LU_PAGE_FILES;
	}
	return NULL;
}

/* Room for record @s->nr_files: a new preserved file page when needed. */
static int out_reserve(struct lu_session *s)
{
	struct lu_more *m, *last;

	if (out_rec(s, s->nr_files))
		return 0;
	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->fp = lu_alloc_preserved();
	if (!m->fp) {
		kfree(m);
		return -ENOMEM;
	}
	if (list_empty(&s->more)) {
		s->page->more = cpu_to_le64(virt_to_phys(m->fp));
	} else {
		last = list_last_entry(&s->more, struct lu_more, list);
		last->fp->next = cpu_to_le64(virt_to_phys(m->fp));
	}
	list_add_tail(&m->list, &s->more);
	return 0;
}

static struct lu_file *find_file(struct lu_session *s, u64 token)
{
	struct lu_file *f;

	list_for_each_entry(f, &s->files, list)
		if (f->token == token)
			return f;
	return NULL;
}

/**
 * lu_session_preserve_fd() - keep a file in an outgoing session
 * @s: the session
 * @file: the file; a reference is taken on success
 * @token: its name in the session
 *
 * Return: 0; -EINVAL for an incoming session; -ENOENT when no handler
 * takes the file; -EEXIST for a token already used in @s; -EBUSY when
 * the file is already preserved in a session; -ENOSPC when @s holds as
 * many files as the next kernel takes; or the handler's error.
 */
int lu_session_preserve_fd(struct lu_session *s, struct file *file, u64 token)
{
	struct liveupdate_file_handler *h;
	struct inode *inode = file_inode(file);
	struct lu_file_rec *rec;
	struct lu_file *f;
	int err;

	if (s->incoming)
		return -EINVAL;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&lu_mutex);
	err = -ENOENT;
	list_for_each_entry(h, &lu_handlers, list)
		if (h->ops->can_preserve(file)) {
			err = 0;
			break;
		}
	if (!err && find_file(s, token))
		err = -EEXIST;
	if (!err && s->nr_files >= lu_out_max_files())
		err = -ENOSPC;
	if (!err)
		err = xa_insert(&lu_inodes, (unsigned long)inode, s, GFP_KERNEL);
	if (err) {
		err = err == -EBUSY || err == -EEXIST || err == -ENOENT ||
		      err == -ENOSPC ? err : -ENOMEM;
		goto out;
	}
	err = out_reserve(s) ?: h->ops->preserve(file, &f->data);
	if (err) {
		xa_erase(&lu_inodes, (unsigned long)inode);
		goto out;
	}
	f->token = token;
	f->handler = h;
	f->file = get_file(file);
	rec = out_rec(s, s->nr_files);
	rec->token = cpu_to_le64(token);
	rec->data = cpu_to_le64(f->data);
	strscpy(rec->compatible, h->compatible, sizeof(rec->compatible));
	list_add_tail(&f->list, &s->files);
	s->nr_files++;
	s->page->nr_files = cpu_to_le32(s->nr_files);
	f = NULL;
out:
	mutex_unlock(&lu_mutex);
	kfree(f);
	return err;
}

/* Drop an incoming file: its handler lets go of what it holds. */
static void drop_in_file(struct lu_file *f)
{
	if (f->retrieved)
		fput(f->file);
	else
		f->handler->ops->finish(f->priv);
	list_del(&f->list);
	kfree(f);
}

static void free_session(struct lu_session *s)
{
	struct lu_more *m, *tm;
	struct lu_file *f, *tf;

	list_for_each_entry_safe(f, tf, &s->files, list) {
		if (s->incoming) {
			drop_in_file(f);
			continue;
		}
		f->handler->ops->unpreserve(f->file, f->data);
		xa_erase(&lu_inodes, (unsigned long)file_inode(f->file));
		fput(f->file);
		list_del(&f->list);
		kfree(f);
	}
	list_for_each_entry_safe(m, tm, &s->more, list) {
		lu_free_preserved(m->fp);
		kfree(m);
	}
	if (s->page)
		lu_free_preserved(s->page);
	if (!s->incoming)
		lu_nr_out--;
	list_del(&s->list);
	kfree(s);
}

/**
 * lu_session_release() - a session's file descriptor was closed
 * @s: the session
 *
 * An outgoing session is dropped with everything preserved in it. An
 * incoming one is dropped once finished, else kept for a later
 * lu_session_retrieve().
 */
void lu_session_release(struct lu_session *s)
{
	mutex_lock(&lu_mutex);
	if (!s->incoming || s->finished)
		free_session(s);
	else
		s->open = false;
	mutex_unlock(&lu_mutex);
}

/**
 * lu_session_retrieve() - take an incoming session
 * @name: the name it had in the previous kernel
 *
 * Return: the session, ERR_PTR(-ENOENT) if there is none by that name
 * (or it was finished), ERR_PTR(-EBUSY) if a file descriptor holds it.
 */
struct lu_session *lu_session_retrieve(const char *name)
{
	struct lu_session *s;

	mutex_lock(&lu_mutex);
	s = find_session(&lu_in, name);
	if (!s || s->finished)
		s = ERR_PTR(-ENOENT);
	else if (s->open)
		s = ERR_PTR(-EBUSY);
	else
		s->open = true;
	mutex_unlock(&lu_mutex);
	return s;
}

/**
 * lu_session_retrieve_fd() - a file of an incoming session
 * @s: the session
 * @token: the file's token
 *
 * The first call makes the file (the handler's retrieve()); later calls
 * give the same file again.
 *
 * Return: the file, with a reference for the caller, or ERR_PTR(-EINVAL
 * for an outgoing session, -ENOENT for an unknown token or a finished
 * session, or the handler's error).
 */
struct file *lu_session_retrieve_fd(struct lu_session *s, u64 token)
{
	struct file *file = ERR_PTR(-EINVAL);
	struct lu_file *f;

	mutex_lock(&lu_mutex);
	if (!s->incoming)
		goto out;
	f = s->finished ? NULL : find_file(s, token);
	file = ERR_PTR(-ENOENT);
	if (!f)
		goto out;
	if (!f->retrieved) {
		file = f->handler->ops->retrieve(f->priv);
		if (IS_ERR(file))
			goto out;
		f->file = file;
		f->retrieved = true;
	}
	file = get_file(f->file);
out:
	mutex_unlock(&lu_mutex);
	return file;
}

/**
 * lu_session_finish() - user space is done with an incoming session
 * @s: the session
 *
 * Files not retrieved are released; retrieved ones belong to user space.
 *
 * Return: 0, or -EINVAL for an outgoing session.
 */
int lu_session_finish(struct lu_session *s)
{
	struct lu_file *f, *tf;

	if (!s->incoming)
		return -EINVAL;
	mutex_lock(&lu_mutex);
	list_for_each_entry_safe(f, tf, &s->files, list)
		drop_in_file(f);
	s->nr_files = 0;
	s->finished = true;
	mutex_unlock(&lu_mutex);
	return 0;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
char lu_debug_corrupt[16];
unsigned int lu_debug_freeze_delay_ms;
u32 lu_debug_max_sessions = LU_MAX_SESSIONS;
u32 lu_debug_max_files = LU_MAX_FILES;
#endif

/*
 * debugfs liveupdate/freeze_delay_ms: wait that long after the freeze,
 * as a host with devices to shut down does, while user space still runs
 * on the other CPUs (the tests fault into kept memfds meanwhile).
 */
static void debug_delay(void)
{
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
	unsigned int ms = READ_ONCE(lu_debug_freeze_delay_ms);

	if (ms) {
		pr_info("debug: the reboot goes on in %u ms\n", ms);
		msleep(ms);
	}
#endif
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/* kernel image memory, never preserved: where "pointer" points */
static u8 lu_debug_unkept[PAGE_SIZE] __aligned(PAGE_SIZE);
#endif

static void debug_corrupt(void)
{
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
	struct lu_session *s = list_first_entry_or_null(&lu_out,
							struct lu_session, list);

	if (!strcmp(lu_debug_corrupt, "version"))
		lu_hdr->version = cpu_to_le32(LU_VERSION + 1);
	if (!strcmp(lu_debug_corrupt, "session") && s)
		s->page->nr_files = cpu_to_le32(LU_MAX_FILES + 1);
	if (!strcmp(lu_debug_corrupt, "pointer") && s)
		s->page->more = cpu_to_le64(__pa_symbol(lu_debug_unkept));
	/* the first file page: the next session's first record, preserved */
	if (!strcmp(lu_debug_corrupt, "record") && s &&
	    !list_is_last(&s->list, &lu_out)) {
		struct lu_session *n = list_next_entry(s, list);
		struct lu_file *f = list_first_entry_or_null(&n->files,
							     struct lu_file,
							     list);

		if (f)
			s->page->more = cpu_to_le64(f->data);
	}
	if (lu_debug_corrupt[0])
		pr_warn("debug: session records corrupted: %s\n",
			lu_debug_corrupt);
#endif
}

/*
 * The kexec reboot: let handlers record their last state, then chain the
 * open outgoing sessions to the header. No allocation.
 */
static int lu_freeze(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	struct lu_session *s, *prev = NULL;
	struct lu_file *f;
	u32 n = 0;
	int err;

	if (action == KHO_THAW) {
		lu_hdr->nr_sessions = 0;
		lu_hdr->sessions = 0;
		mutex_unlock(&lu_mutex);
		return NOTIFY_OK;
	}
	mutex_lock(&lu_mutex);
	list_for_each_entry(s, &lu_out, list) {
		list_for_each_entry(f, &s->files, list) {
			if (!f->handler->ops->freeze)
				continue;
			err = f->handler->ops->freeze(f->file, f->data);
			if (err) {
				pr_err("cannot freeze file %llu of session %s: %d; reboot refused\n",
				       f->token, s->name, err);
				mutex_unlock(&lu_mutex);
				return notifier_from_errno(err);
			}
		}
		s->page->next = 0;
		if (prev)
			prev->page->next = cpu_to_le64(virt_to_phys(s->page));
		else
			lu_hdr->sessions = cpu_to_le64(virt_to_phys(s->page));
		prev = s;
		n++;
	}
	lu_hdr->nr_sessions = cpu_to_le32(n);
	debug_corrupt();
	if (n)
		pr_info("handing over %u sessions\n", n);
	debug_delay();
	/* held until the reboot, or until KHO_THAW */
	return NOTIFY_OK;
}

static struct notifier_block lu_freeze_nb = {
	.notifier_call = lu_freeze,
};

/* Take back one page of records; NULL if it was not preserved. */
static void *restore_page(u64 phys)
{
	struct folio *folio = kho_restore_folio(phys);

	if (!folio)
		return NULL;
	if (folio_order(folio)) {
		folio_put(folio);
		return NULL;
	}
	return folio_address(folio);
}

static void put_page_va(void *va)
{
	if (va)
		folio_put(virt_to_folio(va));
}

/*
 * A session's next file page: checked where it lies before it is taken,
 * so a damaged pointer to another record's page (its pad, zero in every
 * version of a file page, is not) claims nothing of that record.
 */
static struct lu_file_page *restore_file_page(u64 phys, const char **why)
{
	struct lu_file_page *fp;

	*why = "file page not preserved";
	fp = preserved_in_place(phys);
	if (!fp)
		return NULL;
	if (fp->pad) {
		*why = "bad file page";
		return NULL;
	}
	fp = restore_page(phys);
	if (fp)
		*why = NULL;
	return fp;
}

/*
 * One session record: restore its files. Returns NULL or why the
 * session is refused (its files restored so far are dropped).
 */
static const char *restore_session(struct lu_session_page *sp)
{
	struct lu_file_page *fp = NULL;
	struct lu_session *s;
	const char *why = NULL;
	u32 nr = le32_to_cpu(sp->nr_files), i;
	u64 more = le64_to_cpu(sp->more), t0 = ktime_get_ns();

	if (!memchr(sp->name, 0, sizeof(sp->name)) || !sp->name[0])
		return "bad name";
	if (nr > LU_MAX_FILES)
		return "bad number of files";
	if (find_session(&lu_in, sp->name))
		return "name handed over twice";
	s = new_session(sp->name, true);
	if (!s)
		return "out of memory";
	list_add_tail(&s->list, &lu_in);
	for (i = 0; i < nr && !why; i++) {
		struct lu_file_rec *rec;
		struct lu_file *f;
		u32 k = i;

		if (i < LU_SESSION_FILES) {
			rec = &sp->files[i];
		} else {
			k = (i - LU_SESSION_FILES) % LU_PAGE_FILES;
			if (!k) {
				put_page_va(fp);
				fp = restore_file_page(more, &why);
				if (!fp)
					break;
				more = le64_to_cpu(fp->next);
			}
			rec = &fp->files[k];
		}
		if (!memchr(rec->compatible, 0, sizeof(rec->compatible))) {
			why = "bad file record";
			break;
		}
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f) {
			why = "out of memory";
			break;
		}
		f->token = le64_to_cpu(rec->token);
		f->handler = find_handler(rec->compatible);
		if (!f->handler || find_file(s, f->token)) {
			pr_err("session %s: file %llu (%s) lost: %s\n", s->name,
			       f->token, rec->compatible,
			       f->handler ? "token used twice" : "no handler");
			kfree(f);
			continue;
		}
		f->priv = f->handler->ops->restore(le64_to_cpu(rec->data));
		if (IS_ERR(f->priv)) {
			pr_err("session %s: file %llu lost: %ld\n", s->name,
			       f->token, PTR_ERR(f->priv));
			kfree(f);
			continue;
		}
		list_add_tail(&f->list, &s->files);
		s->nr_files++;
	}
	put_page_va(fp);
	if (why)
		free_session(s);
	else
		s->restore_us = div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
	return why;
}

/*
 * At late_initcall, before KHO releases unclaimed preserved memory: take
 * back the records and let each handler hold its files' memory.
 */
static int __init lu_incoming_init(void)
{
	u64 next, size, t0 = ktime_get_ns();
	unsigned long files = 0;
	struct lu_header *hdr;
	struct lu_session *s;
	phys_addr_t phys;
	u32 n, i, ok = 0;

	mutex_lock(&lu_mutex);
	if (kho_retrieve_subtree(LU_KHO_NAME, &phys, &size))
		goto out;
	hdr = size >= sizeof(*hdr) ? restore_page(phys) : NULL;
	lu_in_status = "refused";
	if (!hdr) {
		pr_err("session records refused: header not preserved; no session kept\n");
		goto out;
	}
	n = le32_to_cpu(hdr->nr_sessions);
	if (le64_to_cpu(hdr->magic) != LU_MAGIC ||
	    le32_to_cpu(hdr->version) != LU_VERSION || n > LU_MAX_SESSIONS) {
		pr_err("session records refused: unknown format (version %u); no session kept\n",
		       le32_to_cpu(hdr->version));
		put_page_va(hdr);
		goto out;
	}
	lu_in_status = "accepted";
	next = le64_to_cpu(hdr->sessions);
	put_page_va(hdr);
	for (i = 0; i < n; i++) {
		struct lu_session_page *sp = restore_page(next);
		const char *why;

		if (!sp) {
			pr_err("session records: session %u of %u not preserved; it and the rest are lost\n",
			       i + 1, n);
			break;
		}
		why = restore_session(sp);
		if (why)
			pr_err("session %u refused: %s; its files are lost\n",
			       i + 1, why);
		else
			ok++;
		next = le64_to_cpu(sp->next);
		put_page_va(sp);
	}
	list_for_each_entry(s, &lu_in, list)
		files += s->nr_files;
	/* the handlers' part of the reboot: a boot-time cost of the update */
	pr_info("%u of %u sessions handed over, %lu files, taken back in %llu us\n",
		ok, n, files, div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
out:
	mutex_unlock(&lu_mutex);
	return 0;
}
late_initcall(lu_incoming_init);

/* Outgoing side: the header page, named in the KHO state tree. */
static int __init lu_outgoing_init(void)
{
	int err;

	if (!kho_is_enabled())
		return 0;
	lu_hdr = lu_alloc_preserved();
	if (!lu_hdr)
		return -ENOMEM;
	lu_hdr->magic = cpu_to_le64(LU_MAGIC);
	lu_hdr->version = cpu_to_le32(LU_VERSION);
	err = kho_add_subtree(LU_KHO_NAME, lu_hdr, PAGE_SIZE) ?:
	      kho_register_freeze_notifier(&lu_freeze_nb);
	if (err) {
		pr_err("cannot hand over sessions: %d\n", err);
		lu_free_preserved(lu_hdr);
		lu_hdr = NULL;
	}
	return err;
}
fs_initcall(lu_outgoing_init);

/**
 * lu_enabled() - whether sessions can be created in this boot
 *
 * Return: true with KHO on.
 */
bool lu_enabled(void)
{
	return lu_hdr;
}

/* A window [off, off + count) of the listing, built line by line. */
struct lu_show {
	char *buf;
	loff_t off;
	size_t count;
	loff_t pos;	/* of the next line in the whole listing */
	size_t done;	/* bytes of the window written */
};

static __printf(2, 3) void show_one(struct lu_show *sh, const char *fmt, ...)
{
	char line[192];
	size_t n, skip, take;
	va_list ap;

	if (sh->pos >= sh->off + (loff_t)sh->count)
		return;
	va_start(ap, fmt);
	n = vscnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sh->pos + (loff_t)n > sh->off) {
		skip = sh->off > sh->pos ? sh->off - sh->pos : 0;
		take = min(n - skip, sh->count - sh->done);
		memcpy(sh->buf + sh->done, line + skip, take);
		sh->done += take;
	}
	sh->pos += n;
}

/**
 * lu_sessions_show() - the sessions, as text for user space
 * @buf: where to write
 * @off: offset in the listing of the first byte wanted
 * @count: room in @buf
 *
 * One line per session, then one per file, indented; the first line
 * says what happened to the sessions the previous kernel handed over.
 * An incoming session's line says how long taking it back at boot took
 * (restore_us=: its records and each file's handler restore).
 * Only the window asked for is written, so a read of any size costs no
 * allocation and the listing has no length limit.
 *
 * Return: the bytes written (0 past the end).
 */
ssize_t lu_sessions_show(char *buf, loff_t off, size_t count)
{
	struct lu_show sh = { .buf = buf, .off = off, .count = count };
	struct lu_session *s;
	struct lu_file *f;

	mutex_lock(&lu_mutex);
	show_one(&sh, "incoming_records: %s\n", lu_in_status);
	list_for_each_entry(s, &lu_out, list) {
		show_one(&sh, "outgoing %s files=%lu\n", s->name, s->nr_files);
		list_for_each_entry(f, &s->files, list)
			show_one(&sh, "  token=%llu handler=%s size=%lld\n",
				 f->token, f->handler->compatible,
				 i_size_read(file_inode(f->file)));
	}
	list_for_each_entry(s, &lu_in, list) {
		show_one(&sh, "incoming %s files=%lu state=%s restore_us=%llu\n",
			 s->name, s->nr_files, s->finished ? "finished" :
			 s->open ? "open" : "held", s->restore_us);
		list_for_each_entry(f, &s->files, list)
			show_one(&sh, "  token=%llu handler=%s retrieved=%s\n",
				 f->token, f->handler->compatible,
				 f->retrieved ? "yes" : "no");
	}
	mutex_unlock(&lu_mutex);
	return sh.done;
}
