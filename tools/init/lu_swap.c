// SPDX-License-Identifier: GPL-2.0
/*
 * lu_swap.c - a kept memfd whose pages are in swap, or on their way to
 * it, loses none of them: rig.lu_swap=1, 2 generations, on the x86 test
 * kernel (the only one with CONFIG_SWAP; swap on its brd RAM disk).
 *
 * Generation 1 makes /dev/ram0 a swap device; a child in a memory
 * cgroup fills a 32 MiB memfd; memory.high at 16 MiB pages half of it
 * out (checked in SwapFree); then PRESERVE_FD runs while the child
 * reads the memfd round and round, each page it brings in making
 * reclaim page another out. PRESERVE_FD must take the swapped pages
 * back into memory and keep them, and a page reclaim was writing out
 * when the walk passed must not be taken for a hole. Generation 2
 * checks every byte.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define PG		4096UL
#define S_TOKEN		71
#define S_SIZE		(32UL << 20)
#define SWAPDEV		"/dev/ram0"

/* a version 1 swap header (mkswap's) on @dev of @bytes */
static int make_swap(const char *dev, uint64_t bytes)
{
	static unsigned char page[PG];
	uint32_t *info = (uint32_t *)(page + 1024);
	int fd = open(dev, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	memset(page, 0, sizeof(page));
	info[0] = 1;			/* version */
	info[1] = bytes / PG - 1;	/* last_page */
	memcpy(page + PG - 10, "SWAPSPACE2", 10);
	ok = pwrite(fd, page, PG, 0) == (ssize_t)PG && !fsync(fd);
	close(fd);
	return ok ? 0 : -1;
}

/* in KiB (rig_meminfo() gives bytes) */
static long swap_used(void)
{
	return (rig_meminfo("SwapTotal") - rig_meminfo("SwapFree")) >> 10;
}

#define CG		"/sys/fs/cgroup"
#define CGL		CG "/lu-swap"

/*
 * The child: in the cgroup, fill the memfd (its pages are charged
 * there), then read it round and round until *@stop: each read of a
 * page in swap brings it in over memory.high, and the reclaim that
 * follows pages others out, during PRESERVE_FD too.
 */
static void child(int fd, volatile int *ctl)
{
	char pid[16];
	volatile uint64_t *m;
	uint64_t p, sum = 0;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (rig_write_file(CGL "/cgroup.procs", pid) ||
	    lu_fill(fd, 0, S_SIZE, S_TOKEN))
		_exit(1);
	m = mmap(NULL, S_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		_exit(1);
	ctl[0] = 1;
	while (!ctl[1])
		usleep(1000);
	while (!ctl[2])
		for (p = 0; p < S_SIZE / PG && !ctl[2]; p += 3)
			sum += m[p * PG / 8];
	_exit(sum == 1);
}

static void gen1(int dev)
{
	volatile int *ctl = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("lu-swap", MFD_CLOEXEC), s, r, t;
	long out;
	pid_t pid;

	if (make_swap(SWAPDEV, 64UL << 20) || swapon(SWAPDEV, 0)) {
		rig_tap(0, "lu_swap: swap on %s: %s", SWAPDEV, strerror(errno));
		return;
	}
	rig_tap(1, "lu_swap: swap on %s, %ld KiB", SWAPDEV,
		rig_meminfo("SwapTotal") >> 10);
	if (mount("none", CG, "cgroup2", 0, NULL) && errno != EBUSY) {
		rig_tap(0, "lu_swap: mount cgroup2: %s", strerror(errno));
		return;
	}
	if ((mkdir(CGL, 0755) && errno != EEXIST) ||
	    rig_write_file(CG "/cgroup.subtree_control", "+memory")) {
		rig_tap(0, "lu_swap: memory cgroup %s: %s", CGL, strerror(errno));
		return;
	}
	if (fd < 0 || ftruncate(fd, S_SIZE) || ctl == MAP_FAILED) {
		rig_tap(0, "lu_swap: a 32 MiB memfd: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0)
		child(fd, ctl);
	for (t = 0; t < 20000 && pid > 0 && !ctl[0]; t++)
		usleep(1000);
	/* memory.high under its size: reclaim pages half of it out */
	r = rig_write_file(CGL "/memory.high", "16M");
	out = swap_used();
	rig_tap(ctl[0] && !r && out >= (long)(S_SIZE / 1024 / 4),
		"lu_swap: the memfd filled in a memory cgroup, then paged out to swap under memory.high (%ld of %lu KiB)",
		out, S_SIZE / 1024);
	ctl[1] = 1;
	usleep(300000);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "swap");
	r = s < 0 ? s : lu_ioc_preserve(s, fd, S_TOKEN);
	/*
	 * EBUSY: pages still in flight, or in scratch and held off the LRU
	 * by reclaim, after its own retries; a caller retries (KASAN makes
	 * reclaim slow enough to need a few)
	 */
	for (t = 0; r == -EBUSY && t < 20; t++)
		r = lu_ioc_preserve(s, fd, S_TOKEN);
	ctl[2] = 1;
	if (pid > 0)
		waitpid(pid, NULL, 0);
	rig_write_file(CGL "/memory.high", "max");
	rig_tap(!r, "lu_swap: PRESERVE_FD of the memfd while a process pages it in and out: %s",
		r ? strerror(-r) : "ok");
	rig_log("gen=%d lu_swap: swap used after PRESERVE_FD %ld KiB",
		rig.gen, swap_used());
	if (!r)
		lu_hold(s);
}

static void gen2(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "swap");
	int fd = s < 0 ? -1 : lu_ioc_retrieve_fd(s, S_TOKEN);
	long bad;

	rig_tap(fd >= 0, "lu_swap: session swap and its memfd retrieved");
	if (fd < 0)
		return;
	bad = lu_check(fd, 0, S_SIZE, S_TOKEN, 0);
	rig_tap(bad == 0, "lu_swap: every byte of the 32 MiB memfd that was in swap: %ld bytes differ",
		bad);
	rig_tap(!lu_ioc_finish(s), "lu_swap: FINISH of session swap");
	close(fd);
	close(s);
}

void scenario_lu_swap(void)
{
	int dev = lu_run_gens("lu_swap", gen1, gen2);

	if (dev >= 0)
		close(dev);
}
