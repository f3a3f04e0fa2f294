/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - live update's sessions, shared by the device (ioctls) and
 * the session code (files, handover to the next kernel).
 */
#ifndef _KERNEL_LIVEUPDATE_INTERNAL_H
#define _KERNEL_LIVEUPDATE_INTERNAL_H

#include <linux/liveupdate.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* Handover format: see Documentation/kho/format.rst, "Live update". */
#define LU_KHO_NAME		"liveupdate"
#define LU_MAGIC		0x3130535345534c55ULL	/* "ULSESS01" */
#define LU_VERSION		1

/**
 * struct lu_header - the one page named by the "liveupdate" KHO client
 * @magic: %LU_MAGIC
 * @version: %LU_VERSION; another version is refused as a whole
 * @nr_sessions: number of session pages chained from @sessions
 * @sessions: physical address of the first session page, or 0
 *
 * Written at the kexec reboot (freeze), zero sessions until then. Every
 * page named here is preserved with KHO at order 0. Little-endian.
 */
struct lu_header {
	__le64 magic;
	__le32 version;
	__le32 nr_sessions;
	__le64 sessions;
};

/**
 * struct lu_file_rec - one preserved file
 * @token: the token user space gave it
 * @data: what the handler's preserve() returned
 * @compatible: the handler's compatible string, NUL-terminated
 */
struct lu_file_rec {
	__le64 token;
	__le64 data;
	char compatible[LIVEUPDATE_COMPAT_MAX];
};

#define LU_SESSION_FILES	((PAGE_SIZE - 96) / sizeof(struct lu_file_rec))
#define LU_PAGE_FILES		((PAGE_SIZE - 16) / sizeof(struct lu_file_rec))

/**
 * struct lu_session_page - one session, in one preserved page
 * @name: the session's name, NUL-terminated
 * @next: physical address of the next session page, or 0
 * @nr_files: number of files, in @files then in the file pages
 * @reserved: zero
 * @more: physical address of the first &struct lu_file_page, or 0
 * @pad: zero
 * @files: the first %LU_SESSION_FILES files
 */
struct lu_session_page {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	__le64 next;
	__le32 nr_files;
	__le32 reserved;
	__le64 more;
	__le64 pad;
	struct lu_file_rec files[LU_SESSION_FILES];
};

/**
 * struct lu_file_page - more files of a session
 * @next: physical address of the next file page, or 0
 * @pad: zero
 * @files: %LU_PAGE_FILES files
 */
struct lu_file_page {
	__le64 next;
	__le64 pad;
	struct lu_file_rec files[LU_PAGE_FILES];
};

/**
 * struct lu_file - a file in a session
 * @list: in the session's files
 * @token: its token
 * @handler: its handler
 * @file: outgoing: the file, referenced
 * @data: outgoing: what the handler's preserve() returned
 * @priv: incoming: what the handler's restore() returned
 * @retrieved: incoming: given to user space
 */
struct lu_file {
	struct list_head list;
	u64 token;
	struct liveupdate_file_handler *handler;
	struct file *file;
	u64 data;
	void *priv;
	bool retrieved;
};

/**
 * struct lu_session - a session, outgoing or incoming
 * @list: in the outgoing or the incoming sessions
 * @name: its name
 * @incoming: received from the previous kernel
 * @open: incoming: a file descriptor holds it
 * @finished: incoming: user space said FINISH
 * @files: its &struct lu_file
 * @nr_files: how many
 * @page: outgoing: its session page (preserved)
 * @more: outgoing: its file pages (&struct lu_more, preserved pages)
 * @restore_us: incoming: how long taking its records and files back took
 *	at boot (in the sessions listing, so a fleet sees what each costs)
 */
struct lu_session {
	struct list_head list;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	bool incoming;
	bool open;
	bool finished;
	struct list_head files;
	unsigned long nr_files;
	struct lu_session_page *page;
	struct list_head more;
	u64 restore_us;
};

/**
 * struct lu_more - an outgoing session's file page
 * @list: in the session's @more
 * @fp: the page
 */
struct lu_more {
	struct list_head list;
	struct lu_file_page *fp;
};

extern struct mutex lu_mutex;
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
/* debugfs liveupdate/corrupt: damage the records at the next freeze */
extern char lu_debug_corrupt[16];
/* debugfs liveupdate/freeze_delay_ms: sleep after the freeze */
extern unsigned int lu_debug_freeze_delay_ms;
extern u32 lu_debug_max_sessions;
extern u32 lu_debug_max_files;
#endif

bool lu_enabled(void);
void *lu_alloc_preserved(void);
void lu_free_preserved(void *p);
void *lu_restore_preserved(u64 phys);
struct xxh64_state;
bool lu_hash_chain(struct xxh64_state *x, u64 next, unsigned long pages);
u32 lu_csum_header(struct xxh64_state *x, const void *hdr, size_t size,
		   size_t csum_off);

/* memfd records, shmem (memfd.c) and hugetlb (hugetlb.c): format.rst */
#define MEMFD_NAME_LEN		64
#define MEMFD_SEALS		(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
struct file;
bool lu_memfd_fields_ok(u64 pos, u32 seals, u32 mode, const char *name);
void lu_memfd_apply(struct file *file, unsigned int *file_seals, u32 mode,
		    u32 seals, u64 pos);

struct lu_session *lu_session_create(const char *name);
void lu_session_release(struct lu_session *s);
struct lu_session *lu_session_retrieve(const char *name);
int lu_session_preserve_fd(struct lu_session *s, struct file *file, u64 token);
struct file *lu_session_retrieve_fd(struct lu_session *s, u64 token);
int lu_session_finish(struct lu_session *s);
ssize_t lu_sessions_show(char *buf, loff_t off, size_t count);

#endif /* _KERNEL_LIVEUPDATE_INTERNAL_H */
