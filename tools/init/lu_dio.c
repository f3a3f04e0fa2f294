// SPDX-License-Identifier: GPL-2.0
/*
 * lu_dio.c - O_DIRECT reads into a memfd while PRESERVE_FD moves its
 * pages out of KHO scratch: every read that completed is in the memfd
 * the next kernel gets. rig.lu_dio=1, 2 generations, on the x86 test
 * kernel (brd RAM disk); rig.lu_dio=2 the same with shmem THP on.
 *
 * Generation 1 writes /dev/ram0 with blocks that name themselves, fills
 * memory with a ballast memfd down to where the page allocator takes
 * movable pages from CMA, so that part of the 32 MiB memfd under test
 * lands in scratch (counted from pagemap against kho/status), and frees
 * the ballast. Readers, one process each with its own pages of the
 * memfd, read random blocks with O_DIRECT straight into its shared
 * mapping (the block layer pins each page for the copy, as it would
 * for a device's DMA), and log in a second memfd the block that each
 * page's last completed read brought. PRESERVE_FD runs meanwhile, moving
 * the pages in scratch (a pinned page cannot move: EBUSY, retried). Then
 * the readers stop, the log is preserved too, and generation 2 checks
 * that every page holds the block its log names. A move that copies a
 * page while a read is still writing the old one loses that read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define PG		4096UL
#define D_SIZE		(32UL << 20)
#define D_PAGES		(D_SIZE / PG)
#define D_BLOCKS	4096UL		/* 16 MiB of the RAM disk */
#define D_READERS	3
#define T_DATA		81
#define T_LOG		82
#define DISK		"/dev/ram0"

/* word @i of block @b on the disk */
static uint64_t block_word(uint64_t b, uint64_t i)
{
	return (b << 32 | i) ^ 0x6469726563742e31ULL;
}

static int write_disk(void)
{
	uint64_t *buf = malloc(PG), b, i;
	int fd = open(DISK, O_WRONLY), ok = fd >= 0 && buf;

	for (b = 0; ok && b < D_BLOCKS; b++) {
		for (i = 0; i < PG / 8; i++)
			buf[i] = block_word(b, i);
		ok = pwrite(fd, buf, PG, b * PG) == (ssize_t)PG;
	}
	ok = ok && !fsync(fd);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok ? 0 : -1;
}

/* pages of the memfd whose frame is in a scratch area */
static long in_scratch(int fd)
{
	static char kho[8192];
	unsigned long a[16], sz[16], n = 0, i;
	int pm = open("/proc/self/pagemap", O_RDONLY);
	uint8_t *m = mmap(NULL, D_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	long hits = 0;
	uint64_t p, v;

	if (rig_read_file("/sys/kernel/debug/kho/status", kho,
			  sizeof(kho) - 1) < 0)
		return -1;
	while (n < 16 && !kv_scratch(kho, n, &a[n], &sz[n]))
		n++;
	for (p = 0; pm >= 0 && m != MAP_FAILED && p < D_PAGES; p++) {
		(void)*(volatile uint8_t *)(m + p * PG);
		if (pread(pm, &v, 8, (uintptr_t)(m + p * PG) / PG * 8) != 8 ||
		    !(v >> 63))
			continue;
		v = (v & ((1ULL << 55) - 1)) * PG;
		for (i = 0; i < n; i++)
			hits += v >= a[i] && v < a[i] + sz[i];
	}
	if (m != MAP_FAILED)
		munmap(m, D_SIZE);
	if (pm >= 0)
		close(pm);
	return hits;
}

/*
 * Reader @r: pages r, r + D_READERS, ... of @map, each a random block
 * read with O_DIRECT, logged in @log once the read returned, until
 * ctl[0]; ctl[1 + r] counts its reads.
 */
static void reader(int r, uint8_t *map, volatile uint32_t *log,
		   volatile uint64_t *ctl)
{
	int fd = open(DISK, O_RDONLY | O_DIRECT);
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (r + 1), p = r;

	if (fd < 0)
		_exit(1);
	while (!ctl[0]) {
		uint64_t b;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		b = seed % D_BLOCKS;
		if (pread(fd, map + p * PG, PG, b * PG) != (ssize_t)PG)
			_exit(2);
		log[p] = b + 1;
		ctl[1 + r]++;
		p += D_READERS;
		if (p >= D_PAGES)
			p = r;
	}
	_exit(0);
}

static uint64_t reads(volatile uint64_t *ctl)
{
	uint64_t n = 0;
	int r;

	for (r = 0; r < D_READERS; r++)
		n += ctl[1 + r];
	return n;
}

static void gen1(int dev)
{
	volatile uint64_t *ctl = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long free0 = rig_meminfo("MemFree"), cma = rig_meminfo("CmaFree");
	long ballast_size = free0 - 2 * cma - (16L << 20), scr;
	int ballast = memfd_create("ballast", MFD_CLOEXEC);
	int fd = memfd_create("lu-dio", MFD_CLOEXEC);
	int lg = memfd_create("lu-dio-log", MFD_CLOEXEC);
	pid_t pid[D_READERS];
	uint64_t n0, n1, done = 0;
	volatile uint32_t *log;
	int s, r = 0, tries, i, bad = 0;
	uint8_t *map;

	if (rig_param_long("rig.lu_dio", 0) == 2 &&
	    rig_write_file(THP_KNOB, "always"))
		rig_tap(0, "lu_dio: shmem THP always: %s", strerror(errno));
	if (write_disk()) {
		rig_tap(0, "lu_dio: write %s: %s", DISK, strerror(errno));
		return;
	}
	ballast_size = ballast_size > 0 ? ballast_size & ~((2L << 20) - 1) : 0;
	if (ballast < 0 || fd < 0 || lg < 0 || ctl == MAP_FAILED ||
	    ftruncate(ballast, ballast_size) ||
	    fallocate(ballast, 0, 0, ballast_size) ||
	    ftruncate(fd, D_SIZE) || lu_fill(fd, 0, D_SIZE, T_DATA) ||
	    ftruncate(lg, D_PAGES * 4)) {
		rig_tap(0, "lu_dio: ballast and memfds: %s", strerror(errno));
		return;
	}
	close(ballast);
	scr = in_scratch(fd);
	rig_tap(scr > 0, "lu_dio: %ld of the memfd's %lu pages in KHO scratch",
		scr, D_PAGES);
	map = mmap(NULL, D_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	log = mmap(NULL, D_PAGES * 4, PROT_READ | PROT_WRITE, MAP_SHARED, lg, 0);
	if (map == MAP_FAILED || log == MAP_FAILED) {
		rig_tap(0, "lu_dio: mmap: %s", strerror(errno));
		return;
	}
	for (i = 0; i < D_READERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			reader(i, map, log, ctl);
	}
	while (reads(ctl) < 4 * D_READERS)
		usleep(1000);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "dio");
	n0 = reads(ctl);
	/* EBUSY: a page pinned by a read in flight could not move */
	for (tries = 0; tries < 30; tries++) {
		r = s < 0 ? s : lu_ioc_preserve(s, fd, T_DATA);
		if (r != -EBUSY)
			break;
	}
	n1 = reads(ctl);
	usleep(100000);
	ctl[0] = 1;
	for (i = 0; i < D_READERS; i++) {
		int st = -1;

		if (pid[i] > 0)
			waitpid(pid[i], &st, 0);
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	done = reads(ctl);
	rig_tap(!r && !bad,
		"lu_dio: PRESERVE_FD of the memfd (%d EBUSY first) while %d readers read into it with O_DIRECT (%llu reads during it, %llu in all): %s",
		tries, D_READERS, (unsigned long long)(n1 - n0),
		(unsigned long long)done, r ? strerror(-r) : bad ? "reader failed" : "ok");
	rig_tap(n1 > n0, "lu_dio: reads completed while PRESERVE_FD ran");
	r = r ?: lu_ioc_preserve(s, lg, T_LOG);
	rig_tap(!r, "lu_dio: PRESERVE_FD of the read log: %s",
		r ? strerror(-r) : "ok");
	if (!r)
		lu_hold(s);
}

static void gen2(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "dio");
	int fd = s < 0 ? -1 : lu_ioc_retrieve_fd(s, T_DATA);
	int lg = s < 0 ? -1 : lu_ioc_retrieve_fd(s, T_LOG);
	uint64_t *page = malloc(PG), p, i, lost = 0, read = 0, first = 0;
	uint32_t *log = malloc(D_PAGES * 4);

	rig_tap(fd >= 0 && lg >= 0, "lu_dio: session dio, its memfd and read log retrieved");
	if (fd < 0 || lg < 0 ||
	    pread(lg, log, D_PAGES * 4, 0) != (ssize_t)(D_PAGES * 4)) {
		rig_tap(0, "lu_dio: read the log: %s", strerror(errno));
		return;
	}
	for (p = 0; p < D_PAGES; p++) {
		if (!log[p]) {
			lost += lu_check(fd, p * PG, PG, T_DATA, 0) != 0;
			continue;
		}
		read++;
		if (pread(fd, page, PG, p * PG) != (ssize_t)PG) {
			lost++;
			continue;
		}
		for (i = 0; i < PG / 8; i++)
			if (page[i] != block_word(log[p] - 1, i))
				break;
		if (i < PG / 8) {
			if (!lost)
				first = p;
			lost++;
		}
	}
	rig_tap(lost == 0,
		"lu_dio: every page holds what its last completed O_DIRECT read brought (%llu pages read into): %llu differ, first page %llu",
		(unsigned long long)read, (unsigned long long)lost,
		(unsigned long long)first);
	rig_tap(!lu_ioc_finish(s), "lu_dio: FINISH of session dio");
	free(page);
	free(log);
	close(fd);
	close(lg);
	close(s);
}

void scenario_lu_dio(void)
{
	int dev = lu_run_gens("lu_dio", gen1, gen2);

	if (dev >= 0)
		close(dev);
}
