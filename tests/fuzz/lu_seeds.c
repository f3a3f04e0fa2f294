// SPDX-License-Identifier: GPL-2.0
/*
 * lu_seeds.c - build the live update fuzz target's seed corpus with the
 * outgoing kernel's own code: session.c and memfd.c are included here as
 * in lu_input.c, and each seed is made the way a kernel makes its
 * records: lu_outgoing_init(), CREATE_SESSION (lu_session_create()),
 * PRESERVE_FD of memfds (memfd_preserve(), which walks their page cache,
 * in parts for the large ones, and checksums them) and of "fuzz-v1"
 * files, then the freeze at the reboot (lu_freeze(), memfd_freeze()).
 * The fake RAM's record pages, the preserved blocks and the blob's place
 * are then written as an input (lu_fuzz.h), and damaged copies of it,
 * some with their checksum made right again so the damage gets past it.
 * Then the thaw, and every session closed, through the same code.
 *
 *   lu_seeds DIR	valid-* restore whole; the others lose something
 */
#include <sys/stat.h>

/* linux/kernel/liveupdate/ is on the include path (Makefile: LU) */
#include "session.c"
#undef pr_fmt
#include "memfd.c"

#include "lu_fuzz.h"

static const char *out_dir;
static unsigned int nr_seeds;

static void die(const char *what)
{
	fprintf(stderr, "lu_seeds: %s (%s)\n", what, lu_first_err);
	exit(1);
}

static struct lu_session *session(const char *name)
{
	struct lu_session *s = lu_session_create(name);

	if (IS_ERR(s))
		die("CREATE_SESSION failed");
	return s;
}

/* One folio of a memfd to make: at @index, of @order. */
struct fspec {
	pgoff_t index;
	unsigned int order;
	bool fallocated;	/* never written: not up to date */
};

/* Make a memfd of @nr folios and @size bytes and keep it in @s. */
static void memfd(struct lu_session *s, u64 token, const char *name,
		  long long size, const struct fspec *fs, unsigned int nr,
		  long long pos, unsigned int seals)
{
	char full[80];
	struct file *file;
	unsigned int i;

	snprintf(full, sizeof(full), "memfd:%s", name);
	file = lu_file_new(full, true);
	file->f_inode->i_size = size;
	file->f_inode->i_mode = 0100000 | 0640;
	for (i = 0; i < nr; i++) {
		struct folio *f = folio_alloc(GFP_HIGHUSER, fs[i].order);

		if (!f)
			die("fake RAM full");
		if (!fs[i].fallocated)
			f->flags |= LU_PG_UPTODATE;
		memset(folio_address(f), 0x40 + i % 64, 16);
		lu_cache_add(file, f, fs[i].index);
	}
	if (lu_session_preserve_fd(s, file, token))
		die("PRESERVE_FD of a memfd failed");
	/* what the freeze records */
	file->f_pos = pos;
	SHMEM_I(file->f_inode)->seals = seals;
	fput(file);		/* the session holds it */
}

/* @nr order-0 folios, every @step pages from @first. */
static void memfd_run(struct lu_session *s, u64 token, const char *name,
		      pgoff_t first, unsigned int nr, unsigned int step)
{
	struct fspec *fs = calloc(nr ? nr : 1, sizeof(*fs));
	unsigned int i;

	for (i = 0; i < nr; i++)
		fs[i].index = first + (pgoff_t)i * step;
	memfd(s, token, name, (first + (long long)nr * step) * PAGE_SIZE, fs,
	      nr, 123, F_SEAL_SHRINK | F_SEAL_GROW);
	free(fs);
}

static void fuzzfile(struct lu_session *s, u64 token, u64 data)
{
	struct file *file = lu_file_new("fuzz", false);

	file->data = data;
	if (lu_session_preserve_fd(s, file, token))
		die("PRESERVE_FD of a fuzz-v1 file failed");
	fput(file);
}

/* The outgoing records, for damaging them. */
static struct lu_file *nth_file(unsigned int si, unsigned int fi)
{
	struct lu_session *s;
	struct lu_file *f;

	list_for_each_entry(s, &lu_out, list) {
		if (si--)
			continue;
		list_for_each_entry(f, &s->files, list)
			if (!fi--)
				return f;
	}
	return NULL;
}

/* The @n-th kept memfd (in session order), or NULL. */
static struct memfd_state *nth_memfd(unsigned int n)
{
	struct lu_session *s;
	struct lu_file *f;

	list_for_each_entry(s, &lu_out, list)
		list_for_each_entry(f, &s->files, list)
			if (f->handler == &memfd_handler && !n--)
				return xa_load(&memfd_out, f->data);
	return NULL;
}

/* Make a damaged record's checksum right again, as memfd.c checks it. */
static void recsum(struct memfd_state *st)
{
	unsigned long pages = DIV_ROUND_UP(le64_to_cpu(st->hdr->nr_entries),
					   ENTRIES_PER_PAGE), i;
	u64 next = le64_to_cpu(st->hdr->entries);
	struct xxh64_state x;

	xxh64_reset(&x, 0);
	for (i = 0; i < pages && pfn_valid(PHYS_PFN(next)); i++) {
		const struct memfd_entry_page *ep = phys_to_virt(next);

		xxh64_update(&x, ep, PAGE_SIZE);
		next = le64_to_cpu(ep->next);
	}
	st->hdr->csum = cpu_to_le32(header_csum(&x, st->hdr));
}

/* The world as an input: head, record pages, preserved blocks. */
struct seed {
	struct lu_fuzz_head h;
	u32 blocks[LU_RAM_PAGES];
	unsigned int nr_blocks;
};

static void snapshot(struct seed *sd)
{
	unsigned int i, top = 0;

	memset(sd, 0, sizeof(*sd));
	for (i = 0; i < LU_RAM_PAGES; i++) {
		struct folio *f = &lu_map[i];

		if (f->head != (int)i)
			continue;
		if (i < LU_IN_PAGES)
			top = i + 1;
		if (f->kept)
			sd->blocks[sd->nr_blocks++] = LU_BLOCK(i, f->order);
	}
	sd->h.subtree = cpu_to_le64(lu_out_subtree);
	sd->h.subtree_size = cpu_to_le64(PAGE_SIZE);
	sd->h.nr_pages = cpu_to_le16(top);
	sd->h.retrieve = 0x55;
}

static void write_seed(const struct seed *sd, const char *name,
		       const char *variant)
{
	char path[512];
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s%s", out_dir, name,
		 variant[0] ? "-" : "", variant);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&sd->h, sizeof(sd->h), 1, f);
	fwrite(lu_ram, PAGE_SIZE, le16_to_cpu(sd->h.nr_pages), f);
	for (i = 0; i < sd->nr_blocks; i++)
		fwrite(&sd->blocks[i], sizeof(u32), 1, f);
	fclose(f);
	nr_seeds++;
}

static void drop_block(struct seed *sd, phys_addr_t phys)
{
	unsigned int i;

	for (i = 0; i < sd->nr_blocks; i++)
		if (sd->blocks[i] >> 4 == PHYS_PFN(phys) - LU_BASE_PFN)
			sd->blocks[i] = sd->blocks[--sd->nr_blocks];
}

/* Every memfd record as kernels before checksums wrote it. */
static void no_csums(void)
{
	struct memfd_state *st;
	unsigned int i;

	for (i = 0; (st = nth_memfd(i)); i++)
		st->hdr->csum = 0;
}

/* Every other fuzz-v1 file refused by restore(), the rest by retrieve(). */
static void fuzz_files_fail(void)
{
	struct lu_session *s;
	struct lu_file *f;
	unsigned long i;

	list_for_each_entry(s, &lu_out, list) {
		i = 0;
		list_for_each_entry(f, &s->files, list) {
			if (f->handler == &lu_fuzz_handler)
				out_rec(s, i)->data |= cpu_to_le64(2 | (i & 1));
			i++;
		}
	}
}

static u64 entry_phys(struct memfd_state *st, unsigned long k)
{
	return le64_to_cpu(st->pages[k / ENTRIES_PER_PAGE]->
			   entry[k % ENTRIES_PER_PAGE].folio) & PAGE_MASK;
}

/*
 * Freeze, write @name as a valid seed ("valid-" @name) and its damaged
 * copies, each from the records as frozen; thaw and close every session.
 */
static void emit(const char *name)
{
	static unsigned char saved[LU_IN_PAGES * PAGE_SIZE];
	struct memfd_state *m0 = nth_memfd(0), *m1 = nth_memfd(1);
	struct lu_session *s, *ts;
	struct seed sd;
	char valid[96];
	unsigned int i;

	if (lu_out_nb->notifier_call(lu_out_nb, KHO_FREEZE, NULL) != NOTIFY_OK)
		die("the freeze failed");
	snprintf(valid, sizeof(valid), "valid-%s", name);
	snapshot(&sd);
	write_seed(&sd, valid, "");
	memcpy(saved, lu_ram, sizeof(saved));
#define DAMAGED_AS(base, variant, damage) do {				\
		snapshot(&sd);						\
		damage;							\
		write_seed(&sd, base, variant);				\
		memcpy(lu_ram, saved, sizeof(saved));			\
	} while (0)
#define DAMAGED(variant, damage) DAMAGED_AS(name, variant, damage)

	/* still whole: records of v1 and v2 (no checksum); populate, noexec */
	DAMAGED_AS(valid, "nocsum", no_csums());
	DAMAGED_AS(valid, "populate", sd.h.flags = LU_FUZZ_POPULATE;
		   sd.h.retrieve = 0xff);
	DAMAGED_AS(valid, "noexec", sd.h.flags = LU_FUZZ_NOEXEC;
		   sd.h.retrieve = 0xff);

	/* the whole records refused, or a session, or a file */
	DAMAGED("version", lu_hdr->version = cpu_to_le32(LU_VERSION + 1));
	DAMAGED("nr-sessions", lu_hdr->nr_sessions =
		cpu_to_le32(le32_to_cpu(lu_hdr->nr_sessions) + 1));
	DAMAGED("hdr-not-preserved", drop_block(&sd, lu_out_subtree));
	DAMAGED("no-subtree", sd.h.subtree_size = 0);
	s = list_first_entry_or_null(&lu_out, struct lu_session, list);
	if (s) {
		DAMAGED("session-ptr", lu_hdr->sessions =
			cpu_to_le64(virt_to_phys(s->page) + 64));
		DAMAGED("session-nr-files",
			s->page->nr_files = cpu_to_le32(LU_MAX_FILES + 1));
		DAMAGED("session-name", memset(s->page->name, 'x',
					       sizeof(s->page->name)));
		DAMAGED("session-more-files", s->page->nr_files =
			cpu_to_le32(le32_to_cpu(s->page->nr_files) + 90));
		if (!list_is_last(&s->list, &lu_out))
			DAMAGED("session-name-twice",
				strscpy(list_next_entry(s, list)->page->name,
					s->page->name,
					LIVEUPDATE_SESSION_NAME_LENGTH));
		DAMAGED("session-next-self", s->page->next =
			cpu_to_le64(virt_to_phys(s->page));
			lu_hdr->nr_sessions = cpu_to_le32(3));
	}
	list_for_each_entry(s, &lu_out, list)
		if (!list_empty(&s->more)) {
			DAMAGED("file-page-dropped", drop_block(&sd,
				virt_to_phys(list_first_entry(&s->more,
					struct lu_more, list)->fp)));
			DAMAGED("file-page-compatible",
				memset(list_first_entry(&s->more,
					struct lu_more, list)->fp->files[3].compatible,
				       'y', LIVEUPDATE_COMPAT_MAX));
			break;
		}
	s = list_first_entry_or_null(&lu_out, struct lu_session, list);
	if (nth_file(0, 1)) {
		DAMAGED("token-twice",
			s->page->files[1].token = s->page->files[0].token);
		DAMAGED("no-handler", strscpy(s->page->files[1].compatible,
					      "memfd-v0", LIVEUPDATE_COMPAT_MAX));
	}

	/* a memfd lost: header, checksum, entries, folios */
	if (m0) {
		DAMAGED("csum", m0->hdr->csum ^= cpu_to_le32(1));
		DAMAGED("memfd-magic", m0->hdr->magic = 0; recsum(m0));
		DAMAGED("memfd-seals", m0->hdr->seals |= cpu_to_le32(0x8000);
			recsum(m0));
		DAMAGED("memfd-pos", m0->hdr->pos = cpu_to_le64(1ULL << 63);
			recsum(m0));
		DAMAGED("memfd-mode", m0->hdr->mode |= cpu_to_le32(010000);
			recsum(m0));
		DAMAGED("memfd-count", m0->hdr->size =
			cpu_to_le64(MAX_LFS_FILESIZE);
			m0->hdr->nr_entries = cpu_to_le64(1ULL << 40);
			recsum(m0));
		DAMAGED("memfd-name", memset(m0->hdr->name, 'z',
					     MEMFD_NAME_LEN); recsum(m0));
		DAMAGED("memfd-not-preserved",
			drop_block(&sd, virt_to_phys(m0->hdr)));
		DAMAGED("memfd-size-short", m0->hdr->size = cpu_to_le64(1);
			recsum(m0));
		DAMAGED("memfd-one-more", m0->hdr->nr_entries = cpu_to_le64(
			le64_to_cpu(m0->hdr->nr_entries) + 1);
			m0->hdr->size = cpu_to_le64(MAX_LFS_FILESIZE);
			recsum(m0));
		DAMAGED("memfd-one-more-nocsum", m0->hdr->nr_entries =
			cpu_to_le64(le64_to_cpu(m0->hdr->nr_entries) + 1);
			m0->hdr->size = cpu_to_le64(MAX_LFS_FILESIZE);
			m0->hdr->csum = 0);
	}
	if (m0 && m0->nr_pages) {
		struct memfd_entry_page *ep = m0->pages[0];

		DAMAGED("entry-page-dropped",
			drop_block(&sd, virt_to_phys(ep)));
		DAMAGED("entry-page-dropped-nocsum", m0->hdr->csum = 0;
			drop_block(&sd, virt_to_phys(ep)));
		DAMAGED("folio-dropped", drop_block(&sd, entry_phys(m0, 0)));
		DAMAGED("folio-last-dropped",
			drop_block(&sd, entry_phys(m0, m0->nr - 1)));
		DAMAGED("entry-order", ep->entry[0].folio =
			cpu_to_le64(le64_to_cpu(ep->entry[0].folio) + 1);
			recsum(m0));
		DAMAGED("entry-order-big", ep->entry[0].folio =
			cpu_to_le64(le64_to_cpu(ep->entry[0].folio) | 0xfff);
			recsum(m0));
		DAMAGED("entry-count", ep->count = cpu_to_le64(
			ENTRIES_PER_PAGE + 1); recsum(m0));
		DAMAGED("entry-count-short", ep->count = cpu_to_le64(
			le64_to_cpu(ep->count) - 1); recsum(m0));
		DAMAGED("entry-index-past", ep->entry[0].index =
			cpu_to_le64(1ULL << 40); recsum(m0));
		DAMAGED("entry-next-self", ep->next =
			cpu_to_le64(virt_to_phys(ep)); recsum(m0));
		DAMAGED("entry-next-header", ep->next =
			cpu_to_le64(virt_to_phys(m0->hdr)); recsum(m0));
		if (m0->nr > 1)
			DAMAGED("entry-index-order", ep->entry[1].index =
				ep->entry[0].index; recsum(m0));
		if (m0->nr > 1)
			DAMAGED("entry-folio-twice", ep->entry[1].folio =
				ep->entry[0].folio; recsum(m0));
		if (m1 && m1->nr)
			DAMAGED("entry-other-memfd", ep->entry[0].folio =
				m1->pages[0]->entry[0].folio; recsum(m0));
		DAMAGED("entry-is-session-page", ep->entry[0].folio =
			cpu_to_le64(le64_to_cpu(lu_hdr->sessions));
			recsum(m0));
	}
	if (m0 && m0->nr_pages > 1)
		DAMAGED("entry-chain-cut", m0->pages[0]->next = 0;
			recsum(m0));
	for (i = 1; i <= 6; i++) {
		char v[32];

		snprintf(v, sizeof(v), "fail-alloc-%u", i * i);
		DAMAGED(v, sd.h.fail_alloc = cpu_to_le16(i * i));
	}
	DAMAGED("fail-setup", sd.h.flags = LU_FUZZ_FAIL_SETUP;
		sd.h.retrieve = 0xff);
	DAMAGED("fail-preload", sd.h.flags = LU_FUZZ_FAIL_PRELOAD;
		sd.h.retrieve = 0xff);
	DAMAGED("retrieve-fails", sd.h.retrieve = 0xff; fuzz_files_fail());
#undef DAMAGED
#undef DAMAGED_AS

	if (lu_out_nb->notifier_call(lu_out_nb, KHO_THAW, NULL) != NOTIFY_OK)
		die("the thaw failed");
	list_for_each_entry_safe(s, ts, &lu_out, list)
		lu_session_release(s);
	/* everything given back through the outgoing code: the header left */
	if (lu_count_state(LU_OUT) != 1 || lu_files_live || lu_mutex.locked)
		die("the outgoing code left something behind");
}

static void seed_empty(void)
{
	emit("empty");
}

static void seed_one(void)
{
	struct lu_session *s = session("one");

	memfd_run(s, 1, "one", 0, 8, 2);
	emit("one");
}

/* Folios of many orders, holes, fallocated pages, one past the size. */
static void seed_mixed(void)
{
	static const struct fspec a[] = {
		{ 0, 0, false }, { 1, 0, true }, { 4, 2, false },
		{ 8, 3, false }, { 16, 4, false }, { 33, 0, false },
		{ 64, 6, false },
	};
	/* an order-2 folio running past the size (5 pages), one after it */
	static const struct fspec b[] = {
		{ 0, 0, false }, { 4, 2, false }, { 8, 0, false },
	};
	static const struct fspec c[] = { { 0, 9, false }, { 512, 0, true } };
	struct lu_session *s = session("vm-1");

	memfd(s, 10, "a", 128 * PAGE_SIZE, a, ARRAY_SIZE(a), 4096,
	      F_SEAL_SEAL | F_SEAL_WRITE);
	memfd(s, 11, "b", 5 * PAGE_SIZE - 100, b, ARRAY_SIZE(b), 0, 0);
	memfd(s, 12, "c", 513 * PAGE_SIZE, c, ARRAY_SIZE(c), LLONG_MAX,
	      F_SEAL_EXEC | F_SEAL_FUTURE_WRITE);
	s = session("vm-2");
	fuzzfile(s, 1, 0x100);
	memfd(s, 2, "empty", 0, NULL, 0, 0, 0);
	fuzzfile(s, 3, 0x200);
	memfd(s, 4, "holes", 1 << 20, NULL, 0, 7, 0);
	memfd_run(s, 5, "small", 3, 5, 3);
	fuzzfile(s, 6, 0x300);
	emit("mixed");
}

/* Long entry chains, made by several CPUs at once and joined. */
static void seed_chain(void)
{
	struct lu_session *s = session("chain");

	memfd_run(s, 1, "long", 0, 700, 1);
	memfd_run(s, 2, "sparse", 10, 300, 5);
	memfd_run(s, 3, "full-page", 0, ENTRIES_PER_PAGE, 1);
	emit("chain");
}

/* A session whose files go on in two file pages. */
static void seed_many_files(void)
{
	struct lu_session *s = session("many");
	unsigned int i;

	memfd_run(s, 1000, "first", 0, 4, 1);
	for (i = 0; i < 200; i++)
		fuzzfile(s, i, (u64)i << 2);
	memfd_run(s, 2000, "last", 0, 300, 1);
	emit("many-files");
}

static void seed_sessions(void)
{
	char name[32];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		struct lu_session *s;

		snprintf(name, sizeof(name), "session-%u", i);
		s = session(name);
		memfd_run(s, i, name, i, 1 + i * 3, 1 + i % 3);
		if (i & 1)
			fuzzfile(s, 100 + i, 0x40);
		if (i == 4)
			memfd_run(s, 200, "second", 0, 40, 2);
	}
	emit("sessions");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lu_seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	mkdir(out_dir, 0755);
	lu_mem_init();
	/* a memfd of 128 pages or more is kept by several CPUs */
	memfd_split_pages = 64;
	if (memfd_lu_init() ||
	    liveupdate_register_file_handler(&lu_fuzz_handler) ||
	    lu_outgoing_init())
		die("init");
	seed_empty();
	seed_one();
	seed_mixed();
	seed_chain();
	seed_many_files();
	seed_sessions();
	printf("%u seeds in %s\n", nr_seeds, out_dir);
	return 0;
}
