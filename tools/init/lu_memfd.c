// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd.c - the memfd handler of live update, from its corners:
 * rig.lu_memfd=1 on a chain of generations.
 *
 * Generation 1 fills most of RAM first with a ballast memfd, then with
 * the memfd under test, so that part of it lands in KHO scratch (CMA),
 * frees the ballast and preserves: the handler must copy the folios in
 * scratch out of it (large folios too, on a kernel with THP, where shmem
 * is switched to huge folios) and keep everything else in place. Then a
 * write past the end, ftruncate and fallocate of the preserved memfd must
 * fail with EBUSY, a write inside it must work; a memfd preserved and
 * unpreserved (session closed) must truncate cleanly. Every generation
 * after retrieves the memfds, checks size, position, seals, every byte,
 * the holes, that each data page is at the physical address it had after
 * the preserve (and, with THP, still in a huge folio), then preserves
 * them again. The last one truncates the retrieved memfd, freeing its
 * folios, and the kernel log must hold no "Bad page" or "BUG".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define PG		4096UL
#define HUGE		(2UL << 20)
#define KPF_THP		22

enum { T_BIG = 1, T_EMPTY, T_PAGE, T_SEALED, T_PFNS };

static int thp;

int lu_dev(const char *who)
{
	int dev = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);

	rig_tap(dev >= 0, "%s: open /dev/liveupdate", who);
	return dev;
}

int lu_run_gens(const char *who, void (*gen1)(int dev), void (*gen2)(int dev))
{
	char key[32];
	int dev;

	snprintf(key, sizeof(key), "rig.%s", who);
	if (!rig_param_long(key, 0))
		return -1;
	dev = lu_dev(who);
	if (dev < 0)
		return -1;
	if (rig.gen == 1)
		gen1(dev);
	else
		gen2(dev);
	return dev;
}

int lu_ioc_session(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	strncpy((char *)a.name, name, sizeof(a.name) - 1);
	return ioctl(dev, cmd, &a) ? -errno : a.fd;
}

int lu_ioc_preserve(int s, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a), .fd = fd, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

int lu_ioc_retrieve_fd(int s, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a), .fd = -1, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno : a.fd;
}

int lu_ioc_finish(int s)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

uint64_t lu_word(uint64_t token, uint64_t i)
{
	uint64_t x = (token << 40) ^ i ^ 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/* the big memfd: data, a 4 MiB hole from 4 MiB, data, a partial tail */
static uint64_t big_size;
#define NP	((big_size + PG - 1) / PG)	/* its pages */

static int big_data(uint64_t page)
{
	return page < (4 << 20) / PG || page >= (8 << 20) / PG;
}

int lu_fill(int fd, uint64_t off, uint64_t len, uint64_t token)
{
	static uint64_t buf[(1 << 20) / 8];

	while (len) {
		uint64_t n = len < sizeof(buf) ? len : sizeof(buf), i;

		for (i = 0; i < (n + 7) / 8; i++)
			buf[i] = lu_word(token, off / 8 + i);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/* bytes of [off, off + len) that differ from the pattern (or zero) */
long lu_check(int fd, uint64_t off, uint64_t len, uint64_t token,
		  int zero)
{
	static uint64_t buf[(1 << 20) / 8];
	long bad = 0;

	while (len) {
		uint64_t n = len < sizeof(buf) ? len : sizeof(buf), i;

		if (pread(fd, buf, n, off) != (ssize_t)n)
			return -1;
		for (i = 0; i < n / 8; i++)
			bad += buf[i] != (zero ? 0 : lu_word(token, off / 8 + i));
		for (i = n / 8 * 8; i < n; i++)
			bad += ((uint8_t *)buf)[i] !=
			       (zero ? 0 : (uint8_t)(lu_word(token, off / 8 + i / 8) >>
						     (8 * (i % 8))));
		off += n;
		len -= n;
	}
	return bad;
}

/* PFN (and THP flag) of every data page of a memfd: 0 or -errno */
static int pfns_of(int fd, uint64_t size, int all, uint64_t *pfn,
		   uint8_t *huge)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kf = open("/proc/kpageflags", O_RDONLY), err = 0;
	uint64_t p, v, f;
	uint8_t *m;

	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (pm < 0 || m == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	for (p = 0; p * PG < size && !err; p++) {
		pfn[p] = 0;
		if (!all && !big_data(p))
			continue;
		(void)*(volatile uint8_t *)(m + p * PG);
		if (pread(pm, &v, 8, (uintptr_t)(m + p * PG) / PG * 8) != 8 ||
		    !(v >> 63))
			err = -EIO;
		pfn[p] = v & ((1ULL << 55) - 1);
		f = 0;
		if (kf >= 0 && pread(kf, &f, 8, pfn[p] * 8) != 8)
			f = 0;
		huge[p] = (f >> KPF_THP) & 1;
	}
	munmap(m, size);
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return err;
}

static int big_pfns(int fd, uint64_t *pfn, uint8_t *huge)
{
	return pfns_of(fd, big_size, 0, pfn, huge);
}

static int make(const char *name, uint64_t size, uint64_t token, int seals)
{
	int fd = memfd_create(name, MFD_CLOEXEC |
			      (seals ? MFD_ALLOW_SEALING : 0));

	if (fd < 0 || ftruncate(fd, size) || lu_fill(fd, 0, size, token) ||
	    lseek(fd, token * 11, SEEK_SET) < 0 ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals)))
		return -1;
	return fd;
}

/* the kernel log has no "Bad page" or "BUG" */
static void check_klog(const char *when)
{
	static char log[1 << 20];
	int n = klogctl(3 /* READ_ALL */, log, sizeof(log) - 1);

	log[n > 0 ? n : 0] = '\0';
	rig_tap(n > 0 && !strstr(log, "Bad page") && !strstr(log, "BUG:") &&
		!strstr(log, "WARNING: CPU"),
		"lu_memfd: %s: no Bad page, BUG or WARNING in the kernel log",
		when);
}

static void expect_err(int got, int want, const char *what)
{
	rig_tap(got == want, "lu_memfd: %s: %s (want %s)", what,
		got ? strerror(got) : "ok", want ? strerror(want) : "ok");
}

/* size changes of a preserved memfd fail, writes inside it work */
static void size_fixed(int fd, uint64_t size, uint64_t token)
{
	uint64_t w = lu_word(token, (size - 1) / 8);
	uint8_t last = w >> (8 * ((size - 1) % 8));

	expect_err(pwrite(fd, "x", 1, size) < 0 ? errno : 0, EBUSY,
		   "write() past the end of the preserved memfd");
	expect_err(pwrite(fd, "x", 1, size + HUGE) < 0 ? errno : 0, EBUSY,
		   "write() far past the end of the preserved memfd");
	expect_err(pwrite(fd, &last, 1, size - 1) == 1 ? 0 : errno, 0,
		   "write() of its last byte");
	expect_err(ftruncate(fd, size + 1) ? errno : 0, EBUSY,
		   "ftruncate() growing it");
	expect_err(ftruncate(fd, size - 1) ? errno : 0, EBUSY,
		   "ftruncate() shrinking it");
	expect_err(ftruncate(fd, size) ? errno : 0, 0,
		   "ftruncate() to its own size");
	expect_err(fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			     0, PG) ? errno : 0, EBUSY,
		   "fallocate() punching a hole");
	{
		struct stat st = { .st_size = -1 };

		fstat(fd, &st);
		rig_tap(st.st_size == (off_t)size,
			"lu_memfd: its size is still %llu",
			(unsigned long long)size);
	}
}

/* preserve a memfd and close the session: it must truncate cleanly */
/*
 * Preserve a memfd of 8 huge pages' worth and close the session: it must
 * truncate cleanly, and every page it had must be free again (pages
 * copied out of scratch included: their references must add up).
 */
static void unpreserve_then_truncate(int dev, int fd, const char *what)
{
	uint64_t before[8 * HUGE / PG], after[8 * HUGE / PG], moved = 0, i;
	uint8_t huge[8 * HUGE / PG];
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lu-mf-tmp");
	int r = pfns_of(fd, 8 * HUGE, 1, before, huge);
	long free0, free1;

	r = r ?: s < 0 ? s : lu_ioc_preserve(s, fd, 1);
	r = r ?: pfns_of(fd, 8 * HUGE, 1, after, huge);
	for (i = 0; i < 8 * HUGE / PG; i++)
		moved += before[i] != after[i];
	if (s >= 0)
		close(s);
	rig_tap(!r, "lu_memfd: preserve %s in a session then close it (%llu of its pages copied out of scratch): %s",
		what, (unsigned long long)moved, r ? strerror(-r) : "ok");
	rig_write_file("/proc/sys/vm/drop_caches", "3");
	free0 = rig_free_bytes();
	expect_err(ftruncate(fd, 0) ? errno : 0, 0, what);
	free1 = rig_free_bytes();
	rig_log("gen=%d lu_memfd truncated: free %ld -> %ld", rig.gen, free0,
		free1);
	rig_tap(free1 - free0 >= (long)(8 * HUGE) - (2 << 20),
		"lu_memfd: truncating it freed %ld KiB (want about %lu)",
		(free1 - free0) >> 10, 8 * HUGE >> 10);
}

void lu_hold(int s)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != s)
				close(fd);
		for (;;)
			pause();
	}
	rig_tap(pid > 0, "lu_memfd: a child holds the session through the kexec");
	close(s);
}

static void preserve_all(int dev, int *fd, uint64_t *pfn, uint8_t *huge)
{
	char name[32];
	int s, r, i, p;

	snprintf(name, sizeof(name), "lu-mf-%d", rig.gen);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
	rig_tap(s >= 0, "lu_memfd: create session %s", name);
	if (s < 0)
		return;
	for (i = T_BIG; i < T_PFNS; i++) {
		r = lu_ioc_preserve(s, fd[i], i);
		rig_tap(!r, "lu_memfd: preserve memfd %d: %s", i,
			r ? strerror(-r) : "ok");
	}
	r = big_pfns(fd[T_BIG], pfn, huge);
	p = memfd_create("pfns", MFD_CLOEXEC);
	if (!r && (p < 0 ||
		   pwrite(p, pfn, NP * 8, 0) != (ssize_t)(NP * 8) ||
		   pwrite(p, huge, NP, NP * 8) != (ssize_t)(NP)))
		r = -EIO;
	r = r ?: lu_ioc_preserve(s, p, T_PFNS);
	rig_tap(!r, "lu_memfd: preserve the physical addresses of the big memfd's pages: %s",
		r ? strerror(-r) : "ok");
	if (p >= 0)
		close(p);
	lu_hold(s);
}

static void gen1(int dev, int *fd, uint64_t *pfn, uint8_t *huge)
{
	uint64_t *before = calloc(NP, 8);
	long free0 = rig_meminfo("MemFree"), cma = rig_meminfo("CmaFree");
	/* big's last 32 MiB go half to CMA: see __rmqueue() */
	long room = free0 - 2 * cma + (32 << 20) - (16 << 20), ballast_size;
	int ballast = memfd_create("ballast", MFD_CLOEXEC), tmp;
	uint64_t p, moved = 0, stayed = 0, hp = 0;

	/*
	 * A kernel that leaves less free (KASAN's shadow, a larger
	 * scratch) gets a smaller big memfd, still partly in scratch:
	 * at least a 16 MiB ballast, at least 48 MiB of big. The next
	 * generations read its size from the page list's.
	 */
	if ((long)big_size > room && room >= (48L << 20))
		big_size = (room & ~((1L << 20) - 1)) + 123;
	ballast_size = free0 - 2 * cma - (long)big_size + (32 << 20);
	ballast_size = ballast_size > 0 ? ballast_size / HUGE * HUGE : 0;
	rig_log("gen=%d lu_memfd free=%ld cma=%ld ballast=%ld big=%llu thp=%d",
		rig.gen, free0, cma, ballast_size,
		(unsigned long long)big_size, thp);
	/*
	 * None needed when scratch is more than half of what is free (a
	 * kernel with large early allocations, KASAN's): the page allocator
	 * takes movable pages from CMA first until it is not.
	 */
	if (ballast < 0 || (ballast_size &&
			    (ftruncate(ballast, ballast_size) ||
			     fallocate(ballast, 0, 0, ballast_size))))
		rig_tap(0, "lu_memfd: ballast of %ld bytes: %s", ballast_size,
			strerror(errno));
	/* the big memfd, partly in scratch; one to unpreserve, ditto */
	fd[T_BIG] = memfd_create("lu-mf-big", MFD_CLOEXEC);
	tmp = memfd_create("lu-mf-unpreserved", MFD_CLOEXEC);
	if (fd[T_BIG] < 0 || ftruncate(fd[T_BIG], big_size) || tmp < 0 ||
	    ftruncate(tmp, 8 * HUGE))
		rig_tap(0, "lu_memfd: make the memfds: %s", strerror(errno));
	for (p = 0; p * PG < big_size; p += (1 << 20) / PG) {
		uint64_t n = big_size - p * PG < (1 << 20) ?
			     big_size - p * PG : (1 << 20);

		if (big_data(p) && lu_fill(fd[T_BIG], p * PG, n, T_BIG))
			rig_tap(0, "lu_memfd: fill: %s", strerror(errno));
		/* tmp's pages among big's last ones: some in scratch */
		if (p == (big_size - (16 << 20)) / PG &&
		    lu_fill(tmp, 0, 8 * HUGE, 99))
			rig_tap(0, "lu_memfd: fill: %s", strerror(errno));
	}
	lseek(fd[T_BIG], 12345, SEEK_SET);
	rig_log("gen=%d lu_memfd filled: free=%ld cma=%ld", rig.gen,
		rig_meminfo("MemFree"), rig_meminfo("CmaFree"));
	close(ballast);
	fd[T_EMPTY] = make("lu-mf-empty", 0, T_EMPTY, 0);
	fd[T_PAGE] = make("lu-mf-page", PG, T_PAGE, 0);
	fd[T_SEALED] = make("lu-mf-sealed", 3 * PG + 5, T_SEALED,
			    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	unpreserve_then_truncate(dev, tmp, "ftruncate() of a memfd no longer preserved");
	close(tmp);
	if (big_pfns(fd[T_BIG], before, huge))
		rig_tap(0, "lu_memfd: pagemap before the preserve");
	preserve_all(dev, fd, pfn, huge);
	for (p = 0; p * PG < big_size; p++) {
		if (!big_data(p))
			continue;
		moved += before[p] != pfn[p];
		stayed += before[p] == pfn[p];
		/* the shmem shrinker may split the folio past the end */
		hp += huge[p] || p == big_size / PG;
	}
	rig_log("gen=%d lu_memfd moved=%llu stayed=%llu huge=%llu", rig.gen,
		(unsigned long long)moved, (unsigned long long)stayed,
		(unsigned long long)hp);
	rig_tap(moved > 0 && stayed > 0,
		"lu_memfd: preserving copied %llu pages out of scratch, left %llu in place",
		(unsigned long long)moved, (unsigned long long)stayed);
	if (thp)
		rig_tap(hp == moved + stayed,
			"lu_memfd: %llu of %llu data pages in huge folios after the preserve",
			(unsigned long long)hp,
			(unsigned long long)(moved + stayed));
	size_fixed(fd[T_BIG], big_size, T_BIG);
	free(before);
}

static void check_big(int fd, int pf)
{
	uint64_t *want = calloc(NP, 8), *got = calloc(NP, 8);
	uint8_t *wh = calloc(NP, 1), *gh = calloc(NP, 1);
	uint64_t p, same = 0, data = 0, hp = 0;
	long bad = 0, r;

	for (p = 0; p * PG < big_size && bad >= 0; p++) {
		uint64_t n = big_size - p * PG < PG ? big_size - p * PG : PG;

		r = lu_check(fd, p * PG, n, T_BIG, !big_data(p));
		bad = r < 0 ? -1 : bad + r;
	}
	rig_tap(bad == 0, "lu_memfd: every byte of the %llu-byte memfd, holes as zero: %ld bad",
		(unsigned long long)big_size, bad);
	if (!thp)
		rig_tap(lseek(fd, 0, SEEK_HOLE) == (off_t)(4 << 20) &&
			lseek(fd, 4 << 20, SEEK_DATA) == (off_t)(8 << 20),
			"lu_memfd: the hole at 4-8 MiB is still a hole");
	lseek(fd, 12345, SEEK_SET);	/* the position travels too */
	if (pread(pf, want, NP * 8, 0) != (ssize_t)(NP * 8) ||
	    pread(pf, wh, NP, NP * 8) != (ssize_t)(NP) ||
	    big_pfns(fd, got, gh))
		rig_tap(0, "lu_memfd: read the physical addresses");
	for (p = 0; p * PG < big_size; p++) {
		if (!big_data(p))
			continue;
		data++;
		same += want[p] == got[p];
		hp += gh[p] == wh[p];
	}
	rig_tap(same == data,
		"lu_memfd: zero copy: %llu of %llu data pages at the physical address they had",
		(unsigned long long)same, (unsigned long long)data);
	if (thp)
		rig_tap(hp == data, "lu_memfd: %llu of %llu data pages in huge folios as before",
			(unsigned long long)hp, (unsigned long long)data);
	free(want);
	free(got);
	free(wh);
	free(gh);
}

static void check_small(int fd, uint64_t size, uint64_t token, int seals)
{
	struct stat st = { .st_size = -1 };
	long bad = lu_check(fd, 0, size, token, 0);

	fstat(fd, &st);

	rig_tap(st.st_size == (off_t)size && bad == 0 &&
		lseek(fd, 0, SEEK_CUR) == (off_t)(token * 11) &&
		fcntl(fd, F_GET_SEALS) == (seals ? seals : F_SEAL_SEAL),
		"lu_memfd: memfd %llu: size %lld (want %llu), position, seals 0x%x, %ld bad bytes",
		(unsigned long long)token, (long long)st.st_size,
		(unsigned long long)size, fcntl(fd, F_GET_SEALS), bad);
}

static void later_gen(int dev, int *fd, uint64_t *pfn, uint8_t *huge)
{
	char name[32];
	int s, i;

	snprintf(name, sizeof(name), "lu-mf-%d", rig.gen - 1);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	rig_tap(s >= 0, "lu_memfd: retrieve session %s", name);
	if (s < 0)
		return;
	for (i = T_BIG; i <= T_PFNS; i++) {
		fd[i] = lu_ioc_retrieve_fd(s, i);
		rig_tap(fd[i] >= 0, "lu_memfd: retrieve memfd %d", i);
	}
	if (fd[T_BIG] < 0 || fd[T_PFNS] < 0)
		return;
	{
		struct stat st;

		/* 8 bytes and 1 per page of big, whose size is k MiB + 123 */
		if (!fstat(fd[T_PFNS], &st) && st.st_size / 9 > 1 &&
		    (uint64_t)st.st_size / 9 <= NP)
			big_size = (st.st_size / 9 - 1) * PG + 123;
	}
	{
		off_t pos = lseek(fd[T_BIG], 0, SEEK_CUR);

		rig_tap(pos == 12345, "lu_memfd: big memfd's position %lld (want 12345)",
			(long long)pos);
	}
	check_big(fd[T_BIG], fd[T_PFNS]);
	check_small(fd[T_EMPTY], 0, T_EMPTY, 0);
	check_small(fd[T_PAGE], PG, T_PAGE, 0);
	check_small(fd[T_SEALED], 3 * PG + 5, T_SEALED,
		    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	/* a retrieved memfd is not preserved: its size may change */
	expect_err(ftruncate(fd[T_PAGE], 2 * PG) ? errno : 0, 0,
		   "ftruncate() of a retrieved memfd");
	expect_err(ftruncate(fd[T_PAGE], PG) ? errno : 0, 0,
		   "ftruncate() of it back");
	close(fd[T_PFNS]);
	expect_err(-lu_ioc_finish(s), 0, "FINISH");
	close(s);
	if (rig.gen < rig.gens) {
		preserve_all(dev, fd, pfn, huge);
		size_fixed(fd[T_BIG], big_size, T_BIG);
		return;
	}
	/* the last: the retrieved folios go back to the allocator */
	expect_err(ftruncate(fd[T_BIG], 0) ? errno : 0, 0,
		   "ftruncate() of the retrieved big memfd to 0");
	for (i = T_BIG; i < T_PFNS; i++)
		close(fd[i]);
}

void scenario_lu_memfd(void)
{
	int dev, fd[T_PFNS + 1];
	uint64_t *pfn;
	uint8_t *huge;

	if (!rig_param_long("rig.lu_memfd", 0))
		return;
	big_size = rig_param_long("rig.lu_memfd_mb", 96) << 20;
	big_size += 123;
	thp = !access(THP_KNOB, F_OK);
	if (thp && rig_write_file(THP_KNOB, "always"))
		rig_tap(0, "lu_memfd: shmem huge pages: %s", strerror(errno));
	pfn = calloc(NP, 8);
	huge = calloc(NP, 1);
	dev = lu_dev("lu_memfd");
	if (dev < 0)
		return;
	if (rig.gen == 1)
		gen1(dev, fd, pfn, huge);
	else
		later_gen(dev, fd, pfn, huge);
	check_klog(rig.gen == rig.gens ? "after truncating the retrieved memfd" :
		   "after preserving");
	close(dev);
	free(pfn);
	free(huge);
}

/*
 * rig.lu_lazy=1 (3 generations): a retrieved memfd's folios enter its
 * page cache when first used (liveupdate.memfd_populate=1: all at once).
 * Generation 2 checks, on memfds it has not touched yet: that none of
 * their pages is in the page cache; that FINISH leaves them usable; two
 * processes reading one at once (read() and page faults) both see every
 * byte; SEEK_DATA/SEEK_HOLE see the data; hole punches (whole pages and
 * part of one) and a truncation into a page then back up read as zeros
 * where they should; closing one gives its memory back; preserving one
 * again keeps all of it for generation 3.
 */
enum { L_READ = 21, L_HOLES, L_AGAIN, L_CUT, L_CLOSE };
#define L_READ_SIZE	(16UL << 20)
#define L_HOLES_SIZE	((4UL << 20) + 100)
#define L_AGAIN_SIZE	(1UL << 20)
#define L_CUT_SIZE	(2UL << 20)
#define L_CLOSE_SIZE	(32UL << 20)

/* the memfd with holes: data in pages 0, 17..19 and the tail page */
static int lazy_data(uint64_t page)
{
	return page == 0 || (page >= 17 && page <= 19) ||
	       page == L_HOLES_SIZE / PG;
}

static int make_holes(void)
{
	int fd = memfd_create("lazy-holes", MFD_CLOEXEC);
	uint64_t p, n;

	if (fd < 0 || ftruncate(fd, L_HOLES_SIZE))
		return -1;
	for (p = 0; p * PG < L_HOLES_SIZE; p++) {
		n = L_HOLES_SIZE - p * PG < PG ? L_HOLES_SIZE - p * PG : PG;
		if (lazy_data(p) && lu_fill(fd, p * PG, n, L_HOLES))
			return -1;
	}
	return fd;
}

/* pages of [0, size) of @fd in its page cache, or -1 */
static long resident(int fd, uint64_t size)
{
	uint64_t np = (size + PG - 1) / PG, i;
	unsigned char *vec = malloc(np);
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	long n = -1;

	if (vec && m != MAP_FAILED && !mincore(m, size, vec))
		for (n = 0, i = 0; i < np; i++)
			n += vec[i] & 1;
	if (m != MAP_FAILED)
		munmap(m, size);
	free(vec);
	return n;
}

/* bytes of @fd that differ from the pattern, read through a mapping */
static long check_mapped(int fd, uint64_t size, uint64_t token)
{
	const uint64_t *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	long bad = 0;
	uint64_t i;

	if (m == MAP_FAILED)
		return -1;
	for (i = 0; i < size / 8; i++)
		bad += m[i] != lu_word(token, i);
	munmap((void *)m, size);
	return bad;
}

static void lazy_gen1(int dev)
{
	static const struct { int token; uint64_t size; } f[] = {
		{ L_READ, L_READ_SIZE }, { L_AGAIN, L_AGAIN_SIZE },
		{ L_CUT, L_CUT_SIZE }, { L_CLOSE, L_CLOSE_SIZE },
	};
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lazy");
	int fd, ok = s >= 0;
	size_t i;

	for (i = 0; ok && i < sizeof(f) / sizeof(f[0]); i++) {
		fd = make("lazy", f[i].size, f[i].token, 0);
		ok = fd >= 0 && !lu_ioc_preserve(s, fd, f[i].token);
		close(fd);
	}
	fd = ok ? make_holes() : -1;
	ok = fd >= 0 && !lu_ioc_preserve(s, fd, L_HOLES);
	close(fd);
	rig_tap(ok, "lu_lazy: five memfds preserved in session lazy");
	if (ok)
		lu_hold(s);
}

/* two processes read the memfd at once, one with read(), one mapped */
static void lazy_two_readers(int fd)
{
	long bad, child_bad = -1;
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(check_mapped(fd, L_READ_SIZE, L_READ) ? 1 : 0);
	bad = lu_check(fd, 0, L_READ_SIZE, L_READ, 0);
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		child_bad = WEXITSTATUS(st);
	rig_tap(bad == 0 && child_bad == 0,
		"lu_lazy: two processes reading the untouched memfd at once (read() and page faults) see every byte: %ld bad, child %s",
		bad, child_bad == 0 ? "ok" : "saw bad bytes or failed");
	rig_tap(resident(fd, L_READ_SIZE) == (long)(L_READ_SIZE / PG),
		"lu_lazy: then all %lu of its pages are in its page cache",
		L_READ_SIZE / PG);
}

static void lazy_holes(int fd)
{
	off_t d = lseek(fd, PG, SEEK_DATA), h = lseek(fd, 17 * PG, SEEK_HOLE);
	long bad = 0, r;
	uint64_t p, n;

	rig_tap(d == (off_t)(17 * PG) && h == (off_t)(20 * PG),
		"lu_lazy: SEEK_DATA/SEEK_HOLE on the untouched memfd with holes: %lld, %lld (want %lu, %lu)",
		(long long)d, (long long)h, 17 * PG, 20 * PG);
	for (p = 0; p * PG < L_HOLES_SIZE && bad >= 0; p++) {
		n = L_HOLES_SIZE - p * PG < PG ? L_HOLES_SIZE - p * PG : PG;
		r = lu_check(fd, p * PG, n, L_HOLES, !lazy_data(p));
		bad = r < 0 ? -1 : bad + r;
	}
	rig_tap(bad == 0, "lu_lazy: its data and holes read back: %ld bad",
		bad);
}

/* punch and truncate pages that never entered the page cache */
static void lazy_cut(int fd)
{
	const uint64_t cut = (1UL << 20) + 104;	/* 8-aligned: lu_check() */
	long bad = 0;
	int r;

	r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      10 * PG, 10 * PG) ? errno : 0;
	r = r ?: fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   5 * PG + 104, 200) ? errno : 0;
	r = r ?: ftruncate(fd, cut) ? errno : 0;
	r = r ?: ftruncate(fd, L_CUT_SIZE) ? errno : 0;
	expect_err(r, 0, "lazy: hole punches and a truncation into a page, then back up");
	bad += lu_check(fd, 0, 5 * PG + 104, L_CUT, 0);
	bad += lu_check(fd, 5 * PG + 104, 200, L_CUT, 1);
	bad += lu_check(fd, 5 * PG + 304, 5 * PG - 304, L_CUT, 0);
	bad += lu_check(fd, 10 * PG, 10 * PG, L_CUT, 1);
	bad += lu_check(fd, 20 * PG, cut - 20 * PG, L_CUT, 0);
	bad += lu_check(fd, cut, L_CUT_SIZE - cut, L_CUT, 1);
	rig_tap(bad == 0, "lu_lazy: punched and cut-off bytes read as zeros, the rest as before: %ld bad",
		bad);
}

static void lazy_gen2(int dev, int populate)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "lazy");
	int fd[L_CLOSE + 1], i, ok = s >= 0;
	long before, after, n;

	for (i = L_READ; ok && i <= L_CLOSE; i++) {
		fd[i] = lu_ioc_retrieve_fd(s, i);
		ok = fd[i] >= 0;
	}
	rig_tap(ok, "lu_lazy: session lazy and its five memfds retrieved");
	if (!ok)
		return;
	n = resident(fd[L_READ], L_READ_SIZE);
	rig_tap(n == (populate ? (long)(L_READ_SIZE / PG) : 0),
		"lu_lazy: %ld of the %lu pages of a retrieved memfd in its page cache before it is used (want %s)",
		n, L_READ_SIZE / PG, populate ? "all: memfd_populate=1" : "none");
	expect_err(-lu_ioc_finish(s), 0, "lazy: FINISH before the memfds are used");
	close(s);
	before = rig_free_bytes();
	close(fd[L_CLOSE]);
	after = rig_free_bytes();
	n = before < 0 || after < 0 ? 0 : (after - before) / (long)PG;
	rig_tap(n >= (long)(L_CLOSE_SIZE / PG * 15 / 16),
		"lu_lazy: closing an untouched %lu MiB memfd frees its %lu pages: %ld more free pages",
		L_CLOSE_SIZE >> 20, L_CLOSE_SIZE / PG, n);
	lazy_two_readers(fd[L_READ]);
	lazy_holes(fd[L_HOLES]);
	lazy_cut(fd[L_CUT]);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "lazy2");
	ok = s >= 0 && !lu_ioc_preserve(s, fd[L_AGAIN], L_AGAIN);
	rig_tap(ok, "lu_lazy: the untouched 1 MiB memfd preserved again for gen 3");
	if (ok)
		lu_hold(s);
	for (i = L_READ; i < L_CLOSE; i++)
		close(fd[i]);
}

static void lazy_gen3(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "lazy2");
	int fd = s < 0 ? -1 : lu_ioc_retrieve_fd(s, L_AGAIN);
	long bad = fd < 0 ? -1 : lu_check(fd, 0, L_AGAIN_SIZE, L_AGAIN, 0);

	rig_tap(bad == 0, "lu_lazy: the memfd preserved again before it was used has every byte in gen 3: %ld bad",
		bad);
	if (s >= 0)
		expect_err(-lu_ioc_finish(s), 0, "lazy: FINISH in gen 3");
	close(fd);
	close(s);
}

void scenario_lu_lazy(void)
{
	char v[8] = "N";
	int dev;

	if (!rig_param_long("rig.lu_lazy", 0))
		return;
	rig_read_file("/sys/module/liveupdate/parameters/memfd_populate", v,
		      sizeof(v) - 1);
	dev = lu_dev("lu_lazy");
	if (dev < 0)
		return;
	if (rig.gen == 1)
		lazy_gen1(dev);
	else if (rig.gen == 2)
		lazy_gen2(dev, v[0] == 'Y');
	else
		lazy_gen3(dev);
	check_klog("after the lazy memfd checks");
	close(dev);
}

/*
 * rig.lu_hole=1: a fault on a hole of a lazily restored memfd with shmem
 * THP on in the next kernel (on 6.12 a memfd gets PMD-sized folios only:
 * the per-size mTHP settings apply to anonymous shared memory). Gen 1, THP
 * off: a 4 MiB memfd, page 0 a hole, pages 1..1023 data, preserved. Gen
 * 2 turns THP on, retrieves it and writes one byte into the hole: the
 * large zero folio a fault may allocate there must not cover pages whose
 * kept folios still wait to enter the page cache. Then every data page
 * reads back, a mapped access deep inside works, and it can be kept
 * again. With it, a memfd fallocated before PRESERVE_FD and written only
 * after: gen 2 must read what was written.
 */
#define H_TOKEN		51
#define H_SIZE		(4UL << 20)
#define F_TOKEN		52
#define F_SIZE		(1UL << 20)

static void hole_gen1(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "hole");
	int fd = memfd_create("hole", MFD_CLOEXEC);
	int ok = s >= 0 && fd >= 0 && !ftruncate(fd, H_SIZE) &&
		 !lu_fill(fd, PG, H_SIZE - PG, H_TOKEN) &&
		 !lu_ioc_preserve(s, fd, H_TOKEN);

	rig_tap(ok, "lu_hole: a 4 MiB memfd, page 0 a hole, preserved with THP off");
	close(fd);
	/*
	 * Pages fallocated before PRESERVE_FD and written only after it
	 * are the file's pages: the next kernel must get what was written.
	 */
	fd = memfd_create("falloc", MFD_CLOEXEC);
	ok = ok && fd >= 0 && !fallocate(fd, 0, 0, F_SIZE) &&
	     !lu_ioc_preserve(s, fd, F_TOKEN);
	rig_tap(ok, "lu_hole: a 1 MiB memfd fallocated, preserved, then written");
	ok = ok && !lu_fill(fd, 0, F_SIZE, F_TOKEN);
	rig_tap(ok, "lu_hole: the write into the preserved fallocated memfd works");
	close(fd);
	if (ok)
		lu_hold(s);
}

static void falloc_gen2(int s)
{
	int fd = lu_ioc_retrieve_fd(s, F_TOKEN);
	long bad = fd < 0 ? -1 : lu_check(fd, 0, F_SIZE, F_TOKEN, 0);

	rig_tap(bad == 0, "lu_hole: what was written after PRESERVE_FD into fallocated pages is all there: %ld bad",
		bad);
	close(fd);
}

static void hole_gen2(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "hole");
	int fd = s < 0 ? -1 : lu_ioc_retrieve_fd(s, H_TOKEN), s2;
	long bad;
	char one = 'x';
	uint8_t *m;

	if (rig_write_file(THP_KNOB, "always")) {
		rig_tap(0, "lu_hole: shmem huge folios on: %s", strerror(errno));
		return;
	}
	rig_tap(fd >= 0, "lu_hole: retrieved with shmem huge folios on");
	if (fd < 0)
		return;
	falloc_gen2(s);
	rig_tap(pwrite(fd, &one, 1, 0) == 1,
		"lu_hole: a byte written into the hole at offset 0");
	bad = lu_check(fd, PG, PG, H_TOKEN, 0);
	rig_tap(bad == 0, "lu_hole: page 1 reads back after the write into page 0: %ld bad",
		bad);
	m = mmap(NULL, H_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		uint64_t w;

		/* a mapped read of page 600 (SIGBUS if its fault failed) */
		memcpy(&w, m + 600 * PG, sizeof(w));
		rig_tap(w == lu_word(H_TOKEN, 600 * PG / 8),
			"lu_hole: a mapped read of page 600 sees its data");
		munmap(m, H_SIZE);
	} else {
		rig_tap(0, "lu_hole: mmap: %s", strerror(errno));
	}
	bad = lu_check(fd, PG, H_SIZE - PG, H_TOKEN, 0);
	rig_tap(bad == 0, "lu_hole: every byte of pages 1..1023: %ld bad", bad);
	expect_err(-lu_ioc_finish(s), 0, "FINISH of session hole");
	close(s);
	s2 = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "hole2");
	expect_err(s2 < 0 ? -s2 : -lu_ioc_preserve(s2, fd, H_TOKEN), 0,
		   "PRESERVE_FD of the hole memfd again");
	close(s2);
	close(fd);
}

void scenario_lu_hole(void)
{
	int dev = lu_run_gens("lu_hole", hole_gen1, hole_gen2);

	if (dev < 0)
		return;
	check_klog("after the hole checks");
	close(dev);
}
