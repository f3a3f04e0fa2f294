// SPDX-License-Identifier: GPL-2.0
/*
 * liveupdate.c - the rig's live update scenarios: /dev/liveupdate's ioctl
 * contract, memfds carried across kexec in sessions, stress, corrupt
 * session records, khoctl keep/take and the memfd benchmark. Written only
 * against the uAPI header (include/uapi/linux/liveupdate.h).
 *
 * rig.lu=WHAT selects (with kho=on; the kho scenario calls this):
 *   contract   gen 1: every ioctl case by case, errors included
 *   chain      sessions (one empty) with memfds of 0 bytes, 1 page,
 *              rig.lu_big bytes (default 256M), one with holes, one
 *              sealed, each with a file position: gen 1 preserves them
 *              and a child holds the session fds through the kexec; every
 *              later generation retrieves and checks everything (size,
 *              position, seals, every byte, holes, the big one's pages
 *              at the same physical addresses), re-preserves for the
 *              next one and FINISHes
 *   stress     2000 sessions, one of them with 500 memfds, across one
 *              kexec (rig.lu_sessions=, rig.lu_files= change the counts)
 *   corrupt    gen 1 preserves two sessions and damages the records with
 *              debugfs liveupdate/corrupt (rig.lu_corrupt=version|session|
 *              pointer|record: a file page pointer to kernel image memory,
 *              or to lu-c2's memfd header); gen 2 must refuse what was
 *              damaged and keep the rest; gen 2 preserves again and gen 3 gets it (cold-boot
 *              semantics, then a clean handover)
 *   khoctl     gen 1: khoctl keep NAME FILE... (it daemonizes holding the
 *              session); gen 2, with debugfs unmounted: khoctl sessions,
 *              khoctl take NAME DIR, files compared
 *   bench      rig.lu_bench=SIZE: preserve + retrieve of a memfd of SIZE
 *              against writing it to /dev/vda (O_DIRECT) in gen 1 and
 *              reading it back into a new memfd in gen 2; prints
 *              "RIG: gen=N kho lu_...=" figures
 *   rig.lu_list=1   print "khoctl sessions" between RIG: LUS-BEGIN/END
 *   rig.lu_thp=1    shmem_enabled=always in every generation (chain checks
 *                   the big memfd is in 2 MiB folios; bench measures them)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define DEV		"/dev/liveupdate"
#define LISTING		"/sys/kernel/liveupdate/sessions"
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"
#define PAGE		4096UL
#define CHUNK		(1UL << 20)

/* ---- the uAPI, thin wrappers: a result >= 0, or -errno ---- */

static int lu_open(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int lu_session(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	strncpy((char *)a.name, name, sizeof(a.name) - 1);
	if (ioctl(dev, cmd, &a))
		return -errno;
	return a.fd;
}

static int lu_create(int dev, const char *name)
{
	return lu_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

static int lu_retrieve(int dev, const char *name)
{
	return lu_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

static int lu_preserve(int s, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a), .fd = fd, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

static int lu_retrieve_fd(int s, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a), .fd = -1, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno : a.fd;
}

static int lu_finish(int s)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

static int lu_get_name(int s, char *name)
{
	struct liveupdate_session_get_name a = { .size = sizeof(a) };

	if (ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &a))
		return -errno;
	memcpy(name, a.name, sizeof(a.name));
	name[sizeof(a.name) - 1] = '\0';
	return 0;
}

static const char *err_name(int e)
{
	static char buf[32];

	switch (e < 0 ? -e : e) {
	case 0: return "ok";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case E2BIG: return "E2BIG";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOTTY: return "ENOTTY";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", e < 0 ? -e : e);
	return buf;
}

/* a result: the fd/value (>= 0) as "ok", else its errno's name */
static const char *res(long r)
{
	return r >= 0 ? "ok" : err_name(r);
}

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000UL + ts.tv_nsec / 1000;
}

static void more_files(void)
{
	struct rlimit r = { 8192, 8192 };

	if (setrlimit(RLIMIT_NOFILE, &r)) {
		getrlimit(RLIMIT_NOFILE, &r);
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ---- test data: every byte derived from the token, the offset, a salt ---- */

static uint64_t pattern(uint64_t token, uint64_t word, uint64_t salt)
{
	uint64_t x = (word + 1) * 0x9e3779b97f4a7c15ULL ^
		     (token + 1) * 0xc2b2ae3d27d4eb4fULL ^ salt << 56;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ x >> 32;
}

/* @len bytes of the pattern at file offset @off (8-aligned) into @buf */
static void fill(uint8_t *buf, uint64_t off, size_t len, uint64_t token,
		 uint64_t salt)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = pattern(token, (off + i) / 8, salt);

		memcpy(buf + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = pattern(token, (off + i) / 8, salt);

		memcpy(buf + i, &v, len - i);
	}
}

static uint8_t *chunk_buf(int which)
{
	static uint8_t *b[2];

	if (!b[which])
		b[which] = malloc(CHUNK);
	return b[which];
}

/* Write the pattern over [off, off + len) with pwrite: 0 or -errno */
static int write_pattern(int fd, uint64_t off, uint64_t len, uint64_t token,
			 uint64_t salt)
{
	uint8_t *b = chunk_buf(0);

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		fill(b, off, n, token, salt);
		if (pwrite(fd, b, n, off) != (ssize_t)n)
			return -errno ?: -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Compare [off, off + len) with the pattern (or zeros with @zero): the
 * number of bad bytes, or -1 if the read failed.
 */
static long check_range(int fd, uint64_t off, uint64_t len, uint64_t token,
			uint64_t salt, int zero)
{
	uint8_t *want = chunk_buf(0), *got = chunk_buf(1);
	long bad = 0;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK, i;

		if (pread(fd, got, n, off) != (ssize_t)n)
			return -1;
		if (zero)
			memset(want, 0, n);
		else
			fill(want, off, n, token, salt);
		if (memcmp(want, got, n))
			for (i = 0; i < n; i++)
				bad += want[i] != got[i];
		off += n;
		len -= n;
	}
	return bad;
}

/* ---- the memfds of the chain ---- */

/*
 * A memfd kept across the chain. Data: the pattern over [0, size), but
 * only in the pages of @data_pages for one with holes (the rest read as
 * zero and stay holes).
 */
struct lu_memfd {
	const char *session;
	uint64_t token;
	const char *what;
	uint64_t size;
	int seals;		/* F_ADD_SEALS */
	int holes;		/* only pages 0, 17..19 and the tail have data */
	uint64_t pos;		/* file position, + generation */
	int rewrite;		/* rewritten after preserving, salt = gen */
	int fd;
};

#define HOLES_SIZE	(4UL << 20)
#define HUGE_SIZE	(2UL << 20)
#define HOLES_TAIL	100UL

static struct lu_memfd chain_files[] = {
	{ "lu-data", 1, "0 bytes", 0, 0, 0, 0, 0, -1 },
	{ "lu-data", 2, "1 page, rewritten after preserve", PAGE, 0, 0, 1000, 1,
	  -1 },
	{ "lu-data", 3, "big", 0 /* rig.lu_big */, 0, 0, 12345, 0, -1 },
	{ "lu-data", 4, "with holes", HOLES_SIZE + HOLES_TAIL, 0, 1, 17 * PAGE,
	  0, -1 },
	{ "lu-data", 5, "sealed", 65536 + 123,
	  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 0, 77, 0, -1 },
	{ "lu-more", 0x8000000000000005ULL, "3 pages, token 2^63+5", 3 * PAGE,
	  0, 0, 3 * PAGE, 0, -1 },
};

static const char *const chain_sessions[] = { "lu-empty", "lu-data",
					      "lu-more" };

#define NR_CHAIN_FILES	(sizeof(chain_files) / sizeof(chain_files[0]))
#define NR_CHAIN_SESS	(sizeof(chain_sessions) / sizeof(chain_sessions[0]))

/* the data pages of a memfd with holes */
static int holes_data(uint64_t page)
{
	return page == 0 || (page >= 17 && page <= 19) ||
	       page == HOLES_SIZE / PAGE;
}

static uint64_t salt_of(const struct lu_memfd *m, int gen)
{
	return m->rewrite ? gen : 0;
}

static int make_memfd(struct lu_memfd *m)
{
	int fd = memfd_create(m->what, MFD_CLOEXEC |
			      (m->seals ? MFD_ALLOW_SEALING : 0));
	uint64_t p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, m->size))
		return -errno;
	if (m->holes) {
		for (p = 0; p * PAGE < m->size; p++)
			if (holes_data(p) &&
			    write_pattern(fd, p * PAGE,
					  m->size - p * PAGE < PAGE ?
					  m->size - p * PAGE : PAGE,
					  m->token, 0))
				return -EIO;
	} else if (m->rewrite) {
		/* garbage now, the pattern after preserving */
		if (write_pattern(fd, 0, m->size, ~m->token, 9))
			return -EIO;
	} else if (write_pattern(fd, 0, m->size, m->token, 0)) {
		return -EIO;
	}
	if (m->seals && fcntl(fd, F_ADD_SEALS, m->seals))
		return -errno;
	return fd;
}

/* Check a retrieved memfd of @gen's data: number of failed checks */
static int check_memfd(const struct lu_memfd *m, int fd, int datagen)
{
	struct stat st;
	off_t pos = lseek(fd, 0, SEEK_CUR);
	int seals = fcntl(fd, F_GET_SEALS), fails = 0;
	uint64_t want_pos = m->pos + datagen, p;
	long bad = 0, r;
	unsigned long t0 = now_us();

	if (fstat(fd, &st))
		st.st_size = -1;
	rig_tap(st.st_size == (off_t)m->size, "%s %llu (%s): size %lld (want %llu)",
		m->session, (unsigned long long)m->token, m->what,
		(long long)st.st_size, (unsigned long long)m->size);
	fails += st.st_size != (off_t)m->size;
	rig_tap(pos == (off_t)want_pos, "%s %llu: file position %lld (want %llu)",
		m->session, (unsigned long long)m->token, (long long)pos,
		(unsigned long long)want_pos);
	fails += pos != (off_t)want_pos;
	if (m->seals) {
		rig_tap(seals == m->seals, "%s %llu: seals 0x%x (want 0x%x)",
			m->session, (unsigned long long)m->token, seals,
			m->seals);
		fails += seals != m->seals;
		r = ftruncate(fd, m->size - 1) ? errno : 0;
		rig_tap(r == EPERM, "%s %llu: the restored seals are enforced: shrinking gives %s",
			m->session, (unsigned long long)m->token, err_name(r));
		fails += r != EPERM;
	}
	if (st.st_size != (off_t)m->size)
		return fails + 1;
	if (m->holes) {
		for (p = 0; p * PAGE < m->size && bad >= 0; p++) {
			uint64_t n = m->size - p * PAGE < PAGE ?
				     m->size - p * PAGE : PAGE;

			r = check_range(fd, p * PAGE, n, m->token, 0,
					!holes_data(p));
			bad = r < 0 ? -1 : bad + r;
		}
		{
			/*
			 * With rig.lu_thp, pages 0..511 were written into one
			 * 2 MiB folio: all data, the hole starts after it
			 */
			int thp = rig_param_long("rig.lu_thp", 0);
			off_t wd = thp ? PAGE : 17 * PAGE;
			off_t wh = thp ? HUGE_SIZE : 20 * PAGE;
			off_t d = lseek(fd, PAGE, SEEK_DATA);
			off_t h = lseek(fd, 17 * PAGE, SEEK_HOLE);

			rig_tap(d == wd && h == wh,
				"%s %llu: holes stay holes (SEEK_DATA from page 1: %lld, want %lld; SEEK_HOLE from page 17: %lld, want %lld)",
				m->session, (unsigned long long)m->token,
				(long long)d, (long long)wd, (long long)h,
				(long long)wh);
			fails += d != wd || h != wh;
		}
	} else {
		bad = check_range(fd, 0, m->size, m->token,
				  salt_of(m, datagen), 0);
	}
	rig_tap(bad == 0, "%s %llu: every byte of %llu checked%s: %ld bad (%lu ms)",
		m->session, (unsigned long long)m->token,
		(unsigned long long)m->size,
		m->holes ? ", holes read as zero" : "", bad,
		(now_us() - t0) / 1000);
	return fails + (bad != 0);
}

/*
 * Zero copy: the physical pages of the big memfd, sampled through
 * /proc/self/pagemap after preserving, are where the next kernel's
 * retrieved memfd has its pages. The samples travel in a memfd of their
 * own (session lu-more, token PFNS_TOKEN).
 */
#define NR_PFNS		64
#define PFNS_TOKEN	100

static int sample_pfns(int fd, uint64_t size, uint64_t *pfn)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), i, err = 0;
	uint64_t v, off;
	uint8_t *p;

	if (pm < 0)
		return -errno;
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(pm);
		return -errno;
	}
	for (i = 0; i < NR_PFNS && !err; i++) {
		off = (size / PAGE) * i / NR_PFNS * PAGE;
		(void)*(volatile uint8_t *)(p + off);
		if (pread(pm, &v, 8, (uintptr_t)(p + off) / PAGE * 8) != 8 ||
		    !(v >> 63))
			err = -EIO;
		pfn[i] = v & ((1ULL << 55) - 1);
	}
	munmap(p, size);
	close(pm);
	return err;
}

/* Sample the big memfd's pages into a new memfd preserved in session @s */
static int preserve_pfns(int s, int big, uint64_t size)
{
	uint64_t pfn[NR_PFNS];
	int fd, r = sample_pfns(big, size, pfn);

	if (r)
		return r;
	fd = memfd_create("pfns", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, pfn, sizeof(pfn)) != sizeof(pfn))
		r = -EIO;
	else
		r = lu_preserve(s, fd, PFNS_TOKEN);
	close(fd);
	return r;
}

static void check_pfns(int s, int big, uint64_t size)
{
	uint64_t want[NR_PFNS], got[NR_PFNS];
	int fd = lu_retrieve_fd(s, PFNS_TOKEN), same = 0, i, r = -EIO;

	if (fd >= 0 && pread(fd, want, sizeof(want), 0) == sizeof(want))
		r = sample_pfns(big, size, got);
	for (i = 0; !r && i < NR_PFNS; i++)
		same += want[i] == got[i];
	rig_tap(!r && same == NR_PFNS,
		"zero copy: %d of %d sampled pages of the %llu-byte memfd are at the physical address they had before the kexec (%s)",
		same, NR_PFNS, (unsigned long long)size, res(r));
	if (fd >= 0)
		close(fd);
}

/* Fork a child that holds @fds open (until the kexec); close ours. */
static void hand_to_holder(int *fds, int n, const char *what)
{
	pid_t pid = fork();
	int i;

	if (pid == 0) {
		/*
		 * Only the sessions: /dev/liveupdate stays free for others,
		 * incoming sessions and memfds stay with the parent.
		 */
		for (int fd = 3; fd < 8192; fd++) {
			for (i = 0; i < n && fds[i] != fd; i++)
				;
			if (i == n)
				close(fd);
		}
		for (;;)
			pause();
	}
	rig_tap(pid > 0, "a child process (pid %d) holds the %d %s fds through the kexec",
		pid, n, what);
	if (pid < 0)
		return;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void print_listing(void)
{
	char *argv[] = { "/bin/khoctl", "sessions", NULL };
	int st;

	if (!rig_param_long("rig.lu_list", 0))
		return;
	st = rig_run_block(argv, "LUS");
	rig_tap(st == 0, "khoctl sessions: exit status %d", st);
}

/*
 * Create the chain's sessions and preserve @files in them (already open
 * memfds when @files[i].fd >= 0, else new ones). Returns the number of
 * failures; the session fds go to a holder child.
 */

/*
 * rig.lu_thp=1: shmem in huge folios in every generation, as hosts give
 * VM memory; the big memfd must really be in them, or the chain would
 * not test what it says.
 */
static void chain_check_huge(const struct lu_memfd *m)
{
	long huge = rig_meminfo("ShmemHugePages");
	long want = m->size & ~(HUGE_SIZE - 1);

	rig_tap(huge >= want, "%s: in 2 MiB folios (ShmemHugePages %ld kB, want %ld kB at least)",
		m->what, huge >> 10, want >> 10);
}

static int chain_preserve(int dev)
{
	int sfd[NR_CHAIN_SESS], fails = 0;
	size_t i, j;

	for (j = 0; j < NR_CHAIN_SESS; j++) {
		sfd[j] = lu_create(dev, chain_sessions[j]);
		rig_tap(sfd[j] >= 0, "CREATE_SESSION %s for gen%d: %s",
			chain_sessions[j], rig.gen + 1, res(sfd[j]));
		fails += sfd[j] < 0;
	}
	for (i = 0; i < NR_CHAIN_FILES; i++) {
		struct lu_memfd *m = &chain_files[i];
		unsigned long t;
		int s = -1, r;

		for (j = 0; j < NR_CHAIN_SESS; j++)
			if (!strcmp(chain_sessions[j], m->session))
				s = sfd[j];
		if (m->fd < 0) {
			m->fd = make_memfd(m);
			if (m->fd >= 0 && m == &chain_files[2] &&
			    rig_param_long("rig.lu_thp", 0))
				chain_check_huge(m);
		}
		if (m->fd < 0 || s < 0) {
			rig_tap(0, "memfd %s (%s): %s", m->what,
				m->session, res(m->fd));
			fails++;
			continue;
		}
		t = now_us();
		r = lu_preserve(s, m->fd, m->token);
		rig_tap(r == 0, "PRESERVE_FD %s %llu (%s, %llu bytes): %s (%lu ms)",
			m->session, (unsigned long long)m->token, m->what,
			(unsigned long long)m->size, res(r),
			(unsigned long)(now_us() - t) / 1000);
		fails += r != 0;
		if (r)
			continue;
		/* the size of a preserved memfd cannot change */
		/* sealed ones may say EPERM: the seals forbid it too */
		r = ftruncate(m->fd, m->size + PAGE) ? errno : 0;
		rig_tap(r == EBUSY || (m->seals && r == EPERM),
			"%s %llu: ftruncate of a preserved memfd: %s (want EBUSY)",
			m->session, (unsigned long long)m->token, err_name(r));
		if (m->size >= PAGE) {
			r = ftruncate(m->fd, m->size - PAGE) ? errno : 0;
			rig_tap(r == EBUSY || (m->seals && r == EPERM),
				"%s %llu: shrinking a preserved memfd: %s (want EBUSY)",
				m->session, (unsigned long long)m->token,
				err_name(r));
		}
		r = fallocate(m->fd, 0, m->size, 2 * PAGE) ? errno : 0;
		rig_tap(r == EBUSY || (m->seals && r == EPERM),
			"%s %llu: fallocate beyond the end of a preserved memfd: %s (want EBUSY)",
			m->session, (unsigned long long)m->token, err_name(r));
		/* written after preserving: the next kernel sees it (zero copy) */
		if (m->rewrite &&
		    write_pattern(m->fd, 0, m->size, m->token, rig.gen)) {
			rig_tap(0, "rewrite %s %llu", m->session,
				(unsigned long long)m->token);
			fails++;
		}
		if (m->size >= NR_PFNS * PAGE && !m->holes && !m->rewrite) {
			r = preserve_pfns(sfd[NR_CHAIN_SESS - 1], m->fd,
					  m->size);
			rig_tap(!r, "%s %llu: %d physical addresses sampled for the zero copy check: %s",
				m->session, (unsigned long long)m->token,
				NR_PFNS, res(r));
			fails += r != 0;
		}
		/* the position at the reboot counts, not at the preserve */
		lseek(m->fd, m->pos + rig.gen, SEEK_SET);
		close(m->fd);
		m->fd = -1;
	}
	print_listing();
	hand_to_holder(sfd, NR_CHAIN_SESS, "session");
	return fails;
}

/* Retrieve and check the chain's sessions; keep the memfds open. */
static int chain_check(int dev, int *sfd)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int fails = 0, r;
	size_t i, j;

	for (j = 0; j < NR_CHAIN_SESS; j++) {
		sfd[j] = lu_retrieve(dev, chain_sessions[j]);
		rig_tap(sfd[j] >= 0, "RETRIEVE_SESSION %s: %s",
			chain_sessions[j], res(sfd[j]));
		if (sfd[j] < 0) {
			fails++;
			continue;
		}
		r = lu_get_name(sfd[j], name);
		rig_tap(!r && !strcmp(name, chain_sessions[j]),
			"GET_NAME on the retrieved %s: %s \"%s\"",
			chain_sessions[j], res(r), r ? "" : name);
		r = lu_retrieve(dev, chain_sessions[j]);
		rig_tap(r == -EBUSY,
			"RETRIEVE_SESSION %s again while its fd is open: %s (want EBUSY)",
			chain_sessions[j], res(r));
		if (r >= 0)
			close(r);
	}
	for (i = 0; i < NR_CHAIN_FILES; i++) {
		struct lu_memfd *m = &chain_files[i];
		int s = -1;

		for (j = 0; j < NR_CHAIN_SESS; j++)
			if (!strcmp(chain_sessions[j], m->session))
				s = sfd[j];
		if (s < 0)
			continue;
		m->fd = lu_retrieve_fd(s, m->token);
		rig_tap(m->fd >= 0, "RETRIEVE_FD %s %llu (%s): %s", m->session,
			(unsigned long long)m->token, m->what, res(m->fd));
		if (m->fd < 0) {
			fails++;
			continue;
		}
		fails += check_memfd(m, m->fd, rig.gen - 1);
		if (m->size >= NR_PFNS * PAGE && !m->holes && !m->rewrite &&
		    sfd[NR_CHAIN_SESS - 1] >= 0)
			check_pfns(sfd[NR_CHAIN_SESS - 1], m->fd, m->size);
	}
	for (j = 0; j < NR_CHAIN_SESS; j++) {
		if (sfd[j] < 0)
			continue;
		r = lu_retrieve_fd(sfd[j], 99);
		rig_tap(r == -ENOENT, "RETRIEVE_FD of an unknown token in %s: %s (want ENOENT)",
			chain_sessions[j], res(r));
	}
	return fails;
}

static uint64_t lu_big(void)
{
	char v[32], *e;
	uint64_t n;

	if (!rig_param("rig.lu_big", v, sizeof(v)))
		return 256UL << 20;
	n = strtoull(v, &e, 0);
	if (*e == 'K' || *e == 'k')
		n <<= 10;
	else if (*e == 'M' || *e == 'm')
		n <<= 20;
	else if (*e == 'G' || *e == 'g')
		n <<= 30;
	return n;
}

static void chain(int dev)
{
	int sfd[NR_CHAIN_SESS], r;
	size_t j, i;

	chain_files[2].size = lu_big();
	if (rig_param_long("rig.lu_thp", 0) && rig_write_file(THP_KNOB, "always"))
		rig_tap(0, "shmem huge pages on: %s", strerror(errno));
	if (rig.gen > 1) {
		chain_check(dev, sfd);
		print_listing();
	}
	if (rig.gen < rig.gens) {
		/* gen 1 makes the memfds; later ones keep the retrieved ones */
		chain_preserve(dev);
	} else {
		for (i = 0; i < NR_CHAIN_FILES; i++)
			if (chain_files[i].fd >= 0)
				close(chain_files[i].fd);
	}
	if (rig.gen == 1)
		return;
	for (j = 0; j < NR_CHAIN_SESS; j++) {
		if (sfd[j] < 0)
			continue;
		r = lu_finish(sfd[j]);
		rig_tap(r == 0, "FINISH %s: %s", chain_sessions[j], res(r));
		close(sfd[j]);
		r = lu_retrieve(dev, chain_sessions[j]);
		rig_tap(r == -ENOENT, "RETRIEVE_SESSION %s after FINISH: %s (want ENOENT)",
			chain_sessions[j], res(r));
		if (r >= 0)
			close(r);
	}
}

/* ---- the ioctl contract, case by case ---- */

/* An ioctl with a struct of @size bytes, @extra of them beyond @base */
static int raw_ioctl(int fd, unsigned long cmd, const void *base,
		     size_t basesz, uint32_t size, uint8_t extra_byte)
{
	uint8_t buf[256];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, base, basesz);
	memcpy(buf, &size, 4);
	if (size > basesz)
		buf[size - 1] = extra_byte;
	return ioctl(fd, cmd, buf) ? -errno : 0;
}

static void expect(int got, int want, const char *what)
{
	rig_tap(got == want || (want == 0 && got >= 0), "%s: %s (want %s)",
		what, res(got), res(want));
}

static int nobody_open(void)
{
	int pfd[2], e = 0;
	pid_t pid;

	if (pipe(pfd))
		return -EIO;
	pid = fork();
	if (pid == 0) {
		int r;

		close(pfd[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			r = 9999;
		else
			r = open(DEV, O_RDWR) < 0 ? errno : 0;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = 9998;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return -e;
}

static void contract(int dev)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf) };
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int a, b, r, m1, m2, nul;

	r = lu_open();
	expect(r, -EBUSY, "opening " DEV " a second time");
	if (r >= 0)
		close(r);

	memset(cs.name, 'x', sizeof(cs.name));
	r = ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs) ? -errno : cs.fd;
	expect(r, -EINVAL, "CREATE_SESSION with no NUL in the 64 name bytes");
	cs.name[63] = 0;
	r = ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs) ? -errno : cs.fd;
	expect(r, 0, "CREATE_SESSION with a 63-character name");
	if (r >= 0)
		close(r);
	expect(lu_create(dev, ""), -EINVAL, "CREATE_SESSION with an empty name");
	a = lu_create(dev, "lu-a");
	expect(a, 0, "CREATE_SESSION lu-a");
	expect(lu_create(dev, "lu-a"), -EEXIST, "CREATE_SESSION lu-a again");

	memset(&cs, 0, sizeof(cs));
	strcpy((char *)cs.name, "lu-size");
	expect(raw_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs, sizeof(cs),
			 sizeof(cs) - 1, 0), -EINVAL,
	       "CREATE_SESSION with size = sizeof - 1");
	expect(raw_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs, sizeof(cs),
			 0, 0), -EINVAL, "CREATE_SESSION with size = 0");
	expect(raw_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs, sizeof(cs),
			 sizeof(cs) + 16, 0x5a), -E2BIG,
	       "CREATE_SESSION with 16 more bytes, the last one not zero");
	{
		uint8_t buf[256] = { 0 };
		uint32_t size = sizeof(cs) + 16;
		int32_t fd;

		memcpy(buf, &cs, sizeof(cs));
		memcpy(buf, &size, 4);
		r = ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, buf) ? -errno : 0;
		memcpy(&fd, buf + 4, 4);
		expect(r, 0, "CREATE_SESSION with 16 more bytes, all zero");
		if (!r)
			close(fd);
	}

	expect(lu_retrieve(dev, "lu-no-such"), -ENOENT,
	       "RETRIEVE_SESSION of an unknown name");
	r = lu_retrieve(dev, "lu-a");
	expect(r, -ENOENT, "RETRIEVE_SESSION of an outgoing session's name");
	if (r >= 0)
		close(r);
	r = ioctl(dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f), &cs) ? -errno : 0;
	expect(r, -ENOTTY, "an unknown ioctl on " DEV);

	nul = open("/dev/null", O_RDWR);
	expect(lu_preserve(a, nul, 1), -ENOENT, "PRESERVE_FD of /dev/null");
	close(nul);
	expect(lu_preserve(a, 12345, 1), -EBADF, "PRESERVE_FD of a closed fd");

	m1 = memfd_create("contract", MFD_CLOEXEC);
	m2 = memfd_create("contract2", MFD_CLOEXEC);
	if (ftruncate(m1, 3 * PAGE) || write_pattern(m1, 0, 3 * PAGE, 7, 0))
		rig_tap(0, "make a memfd: %s", strerror(errno));
	pf.fd = m1;
	pf.token = 7;
	expect(raw_ioctl(a, LIVEUPDATE_SESSION_PRESERVE_FD, &pf, sizeof(pf),
			 sizeof(pf) - 1, 0), -EINVAL,
	       "PRESERVE_FD with size = sizeof - 1");
	expect(raw_ioctl(a, LIVEUPDATE_SESSION_PRESERVE_FD, &pf, sizeof(pf),
			 sizeof(pf) + 8, 1), -E2BIG,
	       "PRESERVE_FD with 8 more bytes, the last one not zero");
	expect(raw_ioctl(a, LIVEUPDATE_SESSION_PRESERVE_FD, &pf, sizeof(pf),
			 sizeof(pf) + 8, 0), 0,
	       "PRESERVE_FD of a memfd with 8 more bytes, all zero");
	expect(lu_preserve(a, m1, 8), -EBUSY,
	       "PRESERVE_FD of the same memfd under another token");
	expect(lu_preserve(a, m2, 7), -EEXIST,
	       "PRESERVE_FD of another memfd under a token in use");
	b = lu_create(dev, "lu-b");
	expect(b, 0, "CREATE_SESSION lu-b");
	expect(lu_preserve(b, m1, 7), -EBUSY,
	       "PRESERVE_FD of a memfd preserved in another session");
	expect(lu_retrieve_fd(a, 7), -EINVAL,
	       "RETRIEVE_FD on an outgoing session");
	expect(lu_finish(a), -EINVAL, "FINISH on an outgoing session");
	{
		struct liveupdate_session_finish f = { sizeof(f), 1 };

		r = ioctl(b, LIVEUPDATE_SESSION_FINISH, &f) ? -errno : 0;
		expect(r, -EINVAL, "FINISH with reserved not zero");
	}
	r = ioctl(a, _IO(LIVEUPDATE_IOCTL_TYPE, 0x4f), &pf) ? -errno : 0;
	expect(r, -ENOTTY, "an unknown ioctl on a session");

	r = lu_get_name(a, name);
	rig_tap(!r && !strcmp(name, "lu-a"), "GET_NAME: %s \"%s\"", res(r),
		r ? "" : name);
	{
		struct liveupdate_session_get_name g = { .size = 8 };

		r = ioctl(a, LIVEUPDATE_SESSION_GET_NAME, &g) ? -errno : 0;
		expect(r, -EINVAL, "GET_NAME with size = 8");
	}

	/* closing a session drops it and what it preserved */
	close(a);
	a = lu_create(dev, "lu-a");
	expect(a, 0, "CREATE_SESSION lu-a after closing the first lu-a");
	expect(lu_preserve(b, m1, 7), 0,
	       "PRESERVE_FD in lu-b of the memfd the closed session had");
	expect(ftruncate(m1, PAGE) ? -errno : 0, -EBUSY,
	       "ftruncate of the preserved memfd");
	expect(fallocate(m1, 0, 0, 8 * PAGE) ? -errno : 0, -EBUSY,
	       "fallocate growing the preserved memfd");
	{
		/*
		 * hugetlb memfds (if the kernel has them) are kept, and
		 * then cannot change size (tools/init/lu_huge.c keeps data)
		 */
		int h = memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB);

		if (h >= 0) {
			expect(lu_preserve(b, h, 99), 0,
			       "PRESERVE_FD of an empty hugetlb memfd");
			expect(ftruncate(h, 2UL << 20) ? -errno : 0, -EBUSY,
			       "ftruncate of the preserved hugetlb memfd");
			close(h);
		} else {
			rig_log("gen=%d no hugetlb memfds (%s): case skipped",
				rig.gen, strerror(errno));
		}
	}
	close(b);
	r = ftruncate(m1, PAGE) ? -errno : 0;
	expect(r, 0, "ftruncate once the session holding it is closed");
	close(a);
	close(m1);
	close(m2);

	/* not root: the device's mode refuses, then the kernel's own check */
	expect(nobody_open(), -EACCES, "opening " DEV " as nobody (mode 0600)");
	if (chmod(DEV, 0666) == 0) {
		r = nobody_open();
		rig_tap(r == -EPERM || r == -EACCES,
			"opening " DEV " as nobody with mode 0666: %s (want EPERM)",
			res(r));
		chmod(DEV, 0600);
	}
	close(dev);
	r = lu_open();
	expect(r, 0, "opening " DEV " again after closing it");
	if (r >= 0)
		close(r);
}

/* ---- stress: many sessions, many files ---- */

static void stress(int dev)
{
	long nsess = rig_param_long("rig.lu_sessions", 2000);
	long nfiles = rig_param_long("rig.lu_files", 500);
	int *sfd = calloc(nsess, sizeof(int));
	char name[32];
	long i, ok = 0, fok = 0, bad = 0;
	unsigned long t0 = now_us();
	int r, fd;

	more_files();
	if (rig.gen == 1) {
		for (i = 0; i < nsess; i++) {
			snprintf(name, sizeof(name), "lu-stress-%04ld", i);
			sfd[i] = lu_create(dev, name);
			if (sfd[i] < 0) {
				rig_tap(0, "CREATE_SESSION %s: %s", name,
					res(sfd[i]));
				break;
			}
			ok++;
		}
		rig_tap(ok == nsess, "created %ld of %ld sessions (%lu ms)", ok,
			nsess, (now_us() - t0) / 1000);
		t0 = now_us();
		for (i = 0; i < nfiles && ok; i++) {
			fd = memfd_create("stress", MFD_CLOEXEC);
			if (fd < 0 || ftruncate(fd, PAGE) ||
			    write_pattern(fd, 0, PAGE, i, 0)) {
				rig_tap(0, "memfd %ld: %s", i, strerror(errno));
				break;
			}
			lseek(fd, i, SEEK_SET);
			r = lu_preserve(sfd[0], fd, i);
			close(fd);
			if (r) {
				rig_tap(0, "PRESERVE_FD %ld: %s", i, res(r));
				break;
			}
			fok++;
		}
		rig_tap(fok == nfiles, "preserved %ld of %ld memfds in one session (%lu ms)",
			fok, nfiles, (now_us() - t0) / 1000);
		/* and one in each other session */
		for (i = 1, fok = 0; i < ok; i++) {
			fd = memfd_create("stress1", MFD_CLOEXEC);
			if (fd < 0 || ftruncate(fd, PAGE) ||
			    write_pattern(fd, 0, PAGE, 100000 + i, 0) ||
			    lu_preserve(sfd[i], fd, 1))
				break;
			close(fd);
			fok++;
		}
		rig_tap(fok == nsess - 1, "preserved one memfd in each of the %ld other sessions",
			fok);
		hand_to_holder(sfd, ok, "session");
		free(sfd);
		return;
	}
	for (i = 0; i < nsess; i++) {
		snprintf(name, sizeof(name), "lu-stress-%04ld", i);
		sfd[i] = lu_retrieve(dev, name);
		if (sfd[i] < 0) {
			rig_tap(0, "RETRIEVE_SESSION %s: %s", name, res(sfd[i]));
			break;
		}
		ok++;
	}
	rig_tap(ok == nsess, "retrieved %ld of %ld sessions (%lu ms)", ok,
		nsess, (now_us() - t0) / 1000);
	t0 = now_us();
	for (i = 0; i < nfiles && ok; i++) {
		fd = lu_retrieve_fd(sfd[0], i);
		if (fd < 0) {
			rig_tap(0, "RETRIEVE_FD %ld: %s", i, res(fd));
			break;
		}
		if (lseek(fd, 0, SEEK_CUR) != i ||
		    check_range(fd, 0, PAGE, i, 0, 0))
			bad++;
		close(fd);
		fok++;
	}
	rig_tap(fok == nfiles && !bad,
		"retrieved %ld of %ld memfds of one session, %ld with a wrong position or byte (%lu ms)",
		fok, nfiles, bad, (now_us() - t0) / 1000);
	for (i = 1, fok = 0, bad = 0; i < ok; i++) {
		fd = lu_retrieve_fd(sfd[i], 1);
		if (fd < 0)
			break;
		bad += check_range(fd, 0, PAGE, 100000 + i, 0, 0) != 0;
		close(fd);
		fok++;
	}
	rig_tap(fok == nsess - 1 && !bad,
		"retrieved the memfd of each of the %ld other sessions, %ld bad",
		fok, bad);
	for (i = 0, fok = 0; i < ok; i++) {
		fok += lu_finish(sfd[i]) == 0;
		close(sfd[i]);
	}
	rig_tap(fok == ok, "FINISH on %ld of %ld sessions", fok, ok);
	free(sfd);
}

/* ---- corrupt records ---- */

static void corrupt(int dev)
{
	char what[16];
	int s[2], i, r, fd, n = 0, bad = 0, err;
	long nfiles = 100;	/* more than a session page holds */
	const char *names[2] = { "lu-c1", "lu-c2" };

	if (!rig_param("rig.lu_corrupt", what, sizeof(what)))
		strcpy(what, "version");
	if (rig.gen == 2) {
		/* what the damaged record named is gone, the rest is kept */
		int keep2 = strcmp(what, "version");

		s[0] = lu_retrieve(dev, names[0]);
		expect(s[0], -ENOENT, "RETRIEVE_SESSION of the damaged session lu-c1");
		s[1] = lu_retrieve(dev, names[1]);
		expect(s[1], keep2 ? 0 : -ENOENT,
		       keep2 ? "RETRIEVE_SESSION lu-c2, whose record is intact" :
		       "RETRIEVE_SESSION lu-c2 with the header refused");
		if (s[1] >= 0) {
			fd = lu_retrieve_fd(s[1], 1);
			expect(fd, 0, "RETRIEVE_FD lu-c2 1");
			if (fd >= 0) {
				expect(check_range(fd, 0, 2 * PAGE, 1, 0, 0), 0,
				       "lu-c2 1: every byte");
				close(fd);
			}
			expect(lu_finish(s[1]), 0, "FINISH lu-c2");
			close(s[1]);
		}
		if (s[0] >= 0)
			close(s[0]);
		{
			char l[4096] = "";

			rig_read_file(LISTING, l, sizeof(l) - 1);
			rig_tap(strstr(l, keep2 ? "incoming_records: accepted" :
					      "incoming_records: refused") != NULL,
				"%s says the records were %s", LISTING,
				keep2 ? "accepted" : "refused");
		}
	}
	if (rig.gen >= rig.gens)
		goto last;
	/* gen 1 and 2: two sessions; gen 1 damages the records */
	for (i = 0; i < 2; i++) {
		s[i] = lu_create(dev, names[i]);
		if (s[i] < 0) {
			rig_tap(0, "CREATE_SESSION %s: %s", names[i], res(s[i]));
			return;
		}
	}
	for (i = 0, err = 0; i < nfiles; i++) {
		fd = memfd_create("c1", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, PAGE) ||
		    write_pattern(fd, 0, PAGE, 1000 + i, 0))
			break;
		r = lu_preserve(s[0], fd, 1000 + i);
		close(fd);
		n += !r;
		err = err ?: r;
	}
	fd = memfd_create("c2", MFD_CLOEXEC);
	if (fd >= 0 && !ftruncate(fd, 2 * PAGE) &&
	    !write_pattern(fd, 0, 2 * PAGE, 1, 0)) {
		r = lu_preserve(s[1], fd, 1);
		n += !r;
		err = err ?: r;
	}
	close(fd);
	rig_tap(n == nfiles + 1, "preserved %d of %ld memfds in lu-c1 and lu-c2 (first error: %s)",
		n, nfiles + 1, res(err));
	if (rig.gen == 1) {
		r = rig_write_file(CORRUPT, what);
		rig_tap(!r, "asked for the session records to be damaged: %s (%s)",
			what, r ? strerror(errno) : "ok");
	}
	hand_to_holder(s, 2, "session");
	return;
last:
	/* after a refusal, the next handover works again */
	s[0] = lu_retrieve(dev, names[0]);
	expect(s[0], 0, "RETRIEVE_SESSION lu-c1 handed over cleanly by gen2");
	if (s[0] >= 0) {
		for (i = 0; i < nfiles; i++) {
			fd = lu_retrieve_fd(s[0], 1000 + i);
			if (fd < 0 || check_range(fd, 0, PAGE, 1000 + i, 0, 0))
				bad++;
			if (fd >= 0)
				close(fd);
		}
		rig_tap(!bad, "lu-c1: %ld memfds retrieved and checked, %d bad",
			nfiles, bad);
		expect(lu_finish(s[0]), 0, "FINISH lu-c1");
		close(s[0]);
	}
}

/* ---- khoctl keep / take ---- */

#define KEEP_DIR	"/tmp/lu-keep"
#define TAKE_DIR	"/tmp/lu-take"

static const struct {
	const char *name;
	uint64_t size;
} keep_files[] = {
	{ "empty", 0 }, { "small.txt", 1000 }, { "two pages", 2 * PAGE + 1 },
	{ "big.bin", 3UL << 20 },
};

#define NR_KEEP	(sizeof(keep_files) / sizeof(keep_files[0]))

static void khoctl_keep_take(void)
{
	char *argv[16], path[NR_KEEP][128], out[4096];
	size_t i;
	int st, fd;

	argv[0] = "/bin/khoctl";
	if (rig.gen == 1) {
		mkdir(KEEP_DIR, 0755);
		argv[1] = "keep";
		argv[2] = "lu-files";
		for (i = 0; i < NR_KEEP; i++) {
			snprintf(path[i], sizeof(path[i]), KEEP_DIR "/%s",
				 keep_files[i].name);
			fd = open(path[i], O_WRONLY | O_CREAT | O_TRUNC, 0640);
			if (fd < 0 || write_pattern(fd, 0, keep_files[i].size,
						    i, 0))
				rig_tap(0, "write %s", path[i]);
			close(fd);
			argv[3 + i] = path[i];
		}
		argv[3 + NR_KEEP] = NULL;
		st = rig_run(argv, out, sizeof(out));
		rig_log("gen=%d khoctl keep: %s", rig.gen, strtok(out, "\n") ?: "");
		rig_tap(st == 0 && strstr(out, "pid"),
			"khoctl keep lu-files (%zu files): exit %d, holding the session",
			NR_KEEP, st);
		print_listing();
		/* khoctl's JSON, the holder found in the real /proc */
		rig_khoctl_json("status");
		rig_khoctl_json("sessions");
		rig_khoctl_json("timeline");
		rig_khoctl_json("check");
		return;
	}
	if (rig.gen != 2)
		return;
	/* a host in lockdown mode has no debugfs: khoctl must not need it */
	st = umount("/sys/kernel/debug");
	rig_tap(!st, "debugfs unmounted for khoctl sessions and take: %s",
		st ? strerror(errno) : "ok");
	print_listing();
	/* before take: the kept files are waiting, check must say so */
	rig_khoctl_json("check");
	rig_khoctl_json("sessions");
	argv[1] = "take";
	argv[2] = "lu-files";
	argv[3] = TAKE_DIR;
	argv[4] = NULL;
	/* a symlink in the way is not followed: take fails, keeps the session */
	mkdir(TAKE_DIR, 0755);
	out[0] = '\0';
	fd = open("/tmp/lu-victim", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	st = fd >= 0 && write(fd, "victim", 6) == 6 &&
	     !symlink("/tmp/lu-victim", TAKE_DIR "/small.txt") ?
	     rig_run(argv, out, sizeof(out)) : -1;
	if (fd >= 0)
		close(fd);
	{
		struct stat v = { 0 };
		int vst = stat("/tmp/lu-victim", &v);

		rig_tap(st == 1 && !vst && v.st_size == 6,
			"khoctl take does not write through a symlink in its directory: exit %d, the link's target %lld bytes: %s",
			st, (long long)v.st_size, strtok(out, "\n") ?: "");
	}
	unlink(TAKE_DIR "/small.txt");
	st = rig_run(argv, out, sizeof(out));
	rig_log("gen=%d khoctl take: %s", rig.gen, strtok(out, "\n") ?: "");
	rig_tap(st == 0, "khoctl take lu-files " TAKE_DIR ": exit %d", st);
	for (i = 0; i < NR_KEEP; i++) {
		struct stat s = { 0 };
		long bad = -1;

		snprintf(path[i], sizeof(path[i]), TAKE_DIR "/%s",
			 keep_files[i].name);
		fd = open(path[i], O_RDONLY);
		if (fd >= 0 && !fstat(fd, &s) &&
		    s.st_size == (off_t)keep_files[i].size)
			bad = check_range(fd, 0, s.st_size, i, 0, 0);
		rig_tap(bad == 0 && (s.st_mode & 0777) == 0640,
			"khoctl take wrote %s back: %llu bytes, mode %o, %ld bad",
			path[i], (unsigned long long)keep_files[i].size,
			fd >= 0 ? s.st_mode & 0777 : 0, bad);
		if (fd >= 0)
			close(fd);
	}
	argv[1] = "take";
	st = rig_run(argv, out, sizeof(out));
	rig_tap(st == 1, "khoctl take lu-files a second time fails: exit %d: %s",
		st, strtok(out, "\n") ?: "");
	/* after take, still without debugfs, then with it */
	rig_khoctl_json("check");
	rig_khoctl_json("sessions");
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	rig_khoctl_json("status");
	rig_khoctl_json("timeline");
}

/* ---- benchmark: preserve + retrieve vs a virtio-blk disk ---- */

static uint64_t parse_size(const char *key, uint64_t def)
{
	char v[32], *e;
	uint64_t n;

	if (!rig_param(key, v, sizeof(v)))
		return def;
	n = strtoull(v, &e, 0);
	if (*e == 'M' || *e == 'm')
		n <<= 20;
	else if (*e == 'G' || *e == 'g')
		n <<= 30;
	return n;
}

/* Write @size bytes of @src to /dev/vda with O_DIRECT, then fsync */
static int disk_write(int src, uint64_t size, unsigned long *us)
{
	size_t blk = 4UL << 20;
	uint8_t *buf;
	uint64_t off;
	unsigned long t;
	int fd = open("/dev/vda", O_WRONLY | O_DIRECT | O_SYNC), r = 0;

	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, 4096, blk)) {
		close(fd);
		return -ENOMEM;
	}
	t = now_us();
	for (off = 0; off < size && !r; off += blk)
		if (pread(src, buf, blk, off) != (ssize_t)blk ||
		    pwrite(fd, buf, blk, off) != (ssize_t)blk)
			r = -EIO;
	if (!r && fsync(fd))
		r = -errno;
	*us = now_us() - t;
	close(fd);
	free(buf);
	return r;
}

/*
 * What a program does after the reboot without live update: a new memfd
 * of @size bytes, filled from /dev/vda (O_DIRECT). Returns it, or -errno.
 */
static int disk_read_new(uint64_t size, unsigned long *us)
{
	size_t blk = 4UL << 20;
	uint8_t *buf;
	uint64_t off;
	unsigned long t;
	int fd = open("/dev/vda", O_RDONLY | O_DIRECT), mfd, r = 0;

	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, 4096, blk)) {
		close(fd);
		return -ENOMEM;
	}
	t = now_us();
	mfd = memfd_create("bench-disk", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, size))
		r = -errno;
	for (off = 0; off < size && !r; off += blk)
		if (pread(fd, buf, blk, off) != (ssize_t)blk ||
		    pwrite(mfd, buf, blk, off) != (ssize_t)blk)
			r = -EIO;
	*us = now_us() - t;
	close(fd);
	free(buf);
	if (r && mfd >= 0)
		close(mfd);
	return r ?: mfd;
}

/* Read [0, size) of @fd in 1 MiB chunks: 0 or -EIO */
static int read_all(int fd, uint64_t size)
{
	uint8_t *buf = chunk_buf(0);
	uint64_t off;

	for (off = 0; off < size; off += CHUNK)
		if (pread(fd, buf, CHUNK, off) != (ssize_t)CHUNK)
			return -EIO;
	return 0;
}

static void bench(int dev)
{
	uint64_t size = parse_size("rig.lu_bench", 1UL << 30);
	unsigned long t, w_us = 0, r_us = 0;
	int s, fd, r;

	if (rig.gen == 1) {
		/* rig.lu_thp=1: shmem in huge folios, as hosts give VM memory */
		if (rig_param_long("rig.lu_thp", 0) &&
		    rig_write_file(THP_KNOB, "always"))
			rig_tap(0, "bench: shmem huge pages: %s", strerror(errno));
		fd = memfd_create("bench", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size) ||
		    write_pattern(fd, 0, size, 42, 0)) {
			rig_tap(0, "bench: fill a memfd of %llu bytes",
				(unsigned long long)size);
			return;
		}
		r = disk_write(fd, size, &w_us);
		rig_tap(!r, "bench: wrote %llu MiB to /dev/vda (O_DIRECT): %lu ms",
			(unsigned long long)size >> 20, w_us / 1000);
		t = now_us();
		s = lu_create(dev, "lu-bench");
		r = s < 0 ? s : lu_preserve(s, fd, 1);
		t = now_us() - t;
		rig_tap(!r, "bench: preserved the memfd: %s (%lu us)", res(r), t);
		rig_log("gen=%d kho lu_bytes=%llu lu_disk_write_us=%lu lu_preserve_us=%lu",
			rig.gen, (unsigned long long)size, w_us, t);
		close(fd);
		if (s >= 0)
			hand_to_holder(&s, 1, "session");
		return;
	}
	t = now_us();
	s = lu_retrieve(dev, "lu-bench");
	fd = s < 0 ? s : lu_retrieve_fd(s, 1);
	t = now_us() - t;
	rig_tap(fd >= 0, "bench: retrieved the memfd: %s (%lu us)", res(fd), t);
	if (fd < 0)
		return;
	{
		unsigned long t1, t2, t3, f, fill;
		long bad;
		int i;

		/*
		 * What first use pays for, all at once: SEEK_DATA walks the
		 * page cache, so it puts every waiting folio in first (0 with
		 * memfd_populate=1, which did it in RETRIEVE_FD). Timed alone,
		 * not as the difference of two reads of the whole memfd,
		 * which varies by more than it is.
		 */
		fill = now_us();
		r = lseek(fd, 0, SEEK_DATA) == 0 ? 0 : -errno;
		fill = now_us() - fill;
		rig_tap(!r, "bench: page cache filled by lseek(SEEK_DATA): %s (%lu us)",
			res(r), fill);
		/* then read it all, again, and check every byte */
		t1 = now_us();
		r = read_all(fd, size);
		t1 = now_us() - t1;
		/* the fastest of three more: the noise of one is 10% */
		for (t3 = ~0UL, i = 0; i < 3; i++) {
			unsigned long t4 = now_us();

			r = r ?: read_all(fd, size);
			t4 = now_us() - t4;
			t3 = t4 < t3 ? t4 : t3;
		}
		rig_tap(!r, "bench: read it all: %lu ms the first time, then at best %lu ms",
			t1 / 1000, t3 / 1000);
		t2 = now_us();
		bad = check_range(fd, 0, size, 42, 0, 0);
		t2 = now_us() - t2;
		rig_tap(bad == 0, "bench: every byte checked: %ld bad (%lu ms)",
			bad, t2 / 1000);
		f = now_us();
		r = lu_finish(s);
		f = now_us() - f;
		rig_log("gen=%d kho lu_bytes=%llu lu_retrieve_us=%lu lu_finish_us=%lu lu_verify_us=%lu lu_fill_us=%lu lu_read1_us=%lu lu_read2_us=%lu",
			rig.gen, (unsigned long long)size, t, f, t2, fill, t1,
			t3);
	}
	{
		/* the disk's way back, after the same reboot: a new memfd */
		int dfd = disk_read_new(size, &r_us);
		long bad = dfd < 0 ? -1 : check_range(dfd, 0, size, 42, 0, 0);

		rig_tap(bad == 0, "bench: read %llu MiB back from /dev/vda into a new memfd: %lu ms, %ld bad",
			(unsigned long long)size >> 20, r_us / 1000, bad);
		rig_log("gen=%d kho lu_disk_read_us=%lu", rig.gen, r_us);
		if (dfd >= 0)
			close(dfd);
	}
	{
		/* what the handover cost: every preserved page, the tracker */
		static char st[4096];

		if (rig_read_file("/sys/kernel/debug/kho/status", st,
				  sizeof(st) - 1) > 0)
			rig_log("gen=%d kho lu_in_preserved_pages=%ld lu_in_tracker_pages=%ld",
				rig.gen,
				kv_long(st, "incoming_preserved_pages", -1),
				kv_long(st, "incoming_tracker_pages", -1));
	}
	close(fd);
	close(s);
}

void scenario_liveupdate(void)
{
	char what[16];
	int dev;

	if (!rig_param("rig.lu", what, sizeof(what)))
		return;
	dev = lu_open();
	rig_tap(dev >= 0, "open " DEV ": %s", res(dev));
	if (dev < 0)
		return;
	if (!strcmp(what, "contract")) {
		if (rig.gen == 1)
			contract(dev);
		return;	/* contract closed it */
	}
	if (!strcmp(what, "chain"))
		chain(dev);
	else if (!strcmp(what, "stress"))
		stress(dev);
	else if (!strcmp(what, "corrupt"))
		corrupt(dev);
	else if (!strcmp(what, "bench"))
		bench(dev);
	else if (!strcmp(what, "khoctl")) {
		/* khoctl opens the device itself: one opener at a time */
		close(dev);
		khoctl_keep_take();
		return;
	} else
		rig_tap(0, "unknown rig.lu=%s", what);
	close(dev);
}
