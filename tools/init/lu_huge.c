// SPDX-License-Identifier: GPL-2.0
/*
 * lu_huge.c - hugetlb memfds (memfd_create(MFD_HUGETLB)) kept across a
 * chain of kexecs: rig.lu_huge=1 for 2 MiB pages, rig.lu_huge=2 for
 * 1 GiB pages (a guest with room for two, and pdpe1gb), 3 generations.
 *
 * 2 MiB: generation 1 makes a pool of 20 huge pages and a sealed memfd of
 * 16 huge pages, 14 written and pages 3 and 9 holes, at file position
 * 12345, and a second one of 2 pages ("drop"); both are preserved. While
 * kept, a fault on a hole gets SIGBUS and ftruncate(), fallocate() and a
 * hole punch fail with EBUSY. Generation 2 boots with hugepages=20: the
 * pool leaves room for the 16 kept pages, which fill it (Total 20, Free
 * 4, no surplus; the kernel's lines checked by tests/vm/scenarios.py)
 * before anything is retrieved. The first memfd comes back with
 * the same size, position, seals and bytes, its holes still holes, in
 * the very same physical pages (a hash of the PFNs from pagemap), mapped
 * by 2 MiB page table entries (smaps' KernelPageSize); FINISH without
 * retrieving "drop" gives its 2 pages back to the pool. Page 3 is then
 * written and the memfd kept again; generation 3 boots with no pool:
 * its 15 pages are surplus, and go back to the buddy allocator when the
 * file is closed (Total and Surp 0).
 *
 * 1 GiB (an 8 GiB guest): a pool of 2 pages and one memfd of 2 pages,
 * the first written, the second a hole, kept through both kexecs.
 * Generation 2 boots with hugepagesz=1G hugepages=4, half of its RAM:
 * with KHO the boot-time gigantic pool is taken after early boot,
 * outside scratch and around the kept page; it takes 3, leaving room
 * for the kept page, which is its fourth (Total 4, Free 3). Generation
 * 3 has no pool: the page is surplus, and is freed when the file is
 * closed.
 *
 * On a NUMA machine (the two-node scenario, 6 GiB) generation 1
 * runs on CPU 0 (10 kept pages on node 0, 6 on node 1) and generation 2
 * boots with hugepages=0:6,1:14: each node leaves room for its kept
 * pages up to its share (6 and 6), and the 4 kept pages of node 0
 * beyond it take the place of free pages of node 1. Each counter check
 * also adds up the nodes' counters, and after FINISH each node's pages
 * in use (or surplus) must be the kept pages on that node.
 *
 * rig.lu_huge=3: the same 1 GiB memfd with hugetlb_cma=1G in every
 * generation and no boot-time pool. With KHO the CMA area is reserved
 * after early boot, outside scratch and outside the kept page (which
 * generation 1 may have taken from its own CMA area); a run-time pool
 * page of 1 GiB comes from it (CmaFree drops by 1 GiB). Its 8 GiB leave
 * room for no more: the kept page, scratch and the small kept pages
 * (records, the tracker) take the other aligned GiBs out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define H_TOKEN		91
#define D_TOKEN		92
#define H_POS		12345
#define H_SEALS		(F_SEAL_SHRINK | F_SEAL_GROW)
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT	26
#endif

struct huge_conf {
	const char *what;	/* "2 MiB", "1 GiB" */
	const char *dir;	/* under /sys/kernel/mm/hugepages/ */
	uint64_t hp;		/* huge page size */
	unsigned int shift;
	int pages;		/* of the kept memfd */
	int pool;		/* pool made in gen 1 */
	int pool2;		/* gen 2's boot-time pool (hugepages=) */
	int drop;		/* pages of the memfd FINISH drops, or 0 */
	int hole;		/* a hole of the kept memfd */
	int cma;		/* booted with hugetlb_cma=2G, no boot pool */
};

static const struct huge_conf confs[] = {
	{ "2 MiB", "hugepages-2048kB", 2UL << 20, 21, 16, 20, 20, 2, 9, 0 },
	{ "1 GiB", "hugepages-1048576kB", 1UL << 30, 30, 2, 2, 4, 0, 1, 0 },
	{ "1 GiB", "hugepages-1048576kB", 1UL << 30, 30, 2, 2, 0, 0, 1, 1 },
};

static const struct huge_conf *c;

/* is huge page @p of the kept memfd written, in generation @gen */
static int filled(int p, int gen)
{
	if (c->hp > (2UL << 20))
		return p == 0;
	return (p != 3 && p != 9) || (p == 3 && gen >= 3);
}

static int nr_filled(int gen)
{
	int p, n = 0;

	for (p = 0; p < c->pages; p++)
		n += filled(p, gen);
	return n;
}

static long counter(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/%s", c->dir,
		 name);
	if (rig_read_file(path, buf, sizeof(buf) - 1) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* the pool's counters: total, free, reserved, surplus */
static void counters(long v[4])
{
	v[0] = counter("nr_hugepages");
	v[1] = counter("free_hugepages");
	v[2] = counter("resv_hugepages");
	v[3] = counter("surplus_hugepages");
}

#define MAX_NODES	8

/* node @nid's counter @name, or -1 (no such node) */
static long node_counter(int nid, const char *name)
{
	char path[160], buf[32];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/hugepages/%s/%s", nid, c->dir,
		 name);
	if (rig_read_file(path, buf, sizeof(buf) - 1) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* the per-node counters: total, free, surplus; the number of nodes */
static int node_counters(long v[MAX_NODES][3])
{
	int n;

	for (n = 0; n < MAX_NODES; n++) {
		v[n][0] = node_counter(n, "nr_hugepages");
		v[n][1] = node_counter(n, "free_hugepages");
		v[n][2] = node_counter(n, "surplus_hugepages");
		if (v[n][0] < 0)
			break;
	}
	return n;
}

static void tap_counters(const char *when, long t, long f, long r, long s)
{
	long v[4], nv[MAX_NODES][3], sum[3] = { 0, 0, 0 };
	int n, nodes = node_counters(nv), k;

	counters(v);
	rig_tap(v[0] == t && v[1] == f && v[2] == r && v[3] == s,
		"lu_huge: %s pool %s: total %ld free %ld reserved %ld surplus %ld (want %ld %ld %ld %ld)",
		c->what, when, v[0], v[1], v[2], v[3], t, f, r, s);
	if (nodes < 2)
		return;
	for (n = 0; n < nodes; n++)
		for (k = 0; k < 3; k++)
			sum[k] += nv[n][k];
	rig_tap(sum[0] == v[0] && sum[1] == v[1] && sum[2] == v[3],
		"lu_huge: %s pool %s: the %d nodes' counters add up (total %ld free %ld surplus %ld)",
		c->what, when, nodes, sum[0], sum[1], sum[2]);
}

/* node of @pfn from /proc/zoneinfo's zone spans, or -1 */
static int pfn_node(uint64_t pfn)
{
	static char zi[1 << 16];
	unsigned long start = 0, spanned = 0;
	char *l, *z;
	int nid = -1, node, fd = open("/proc/zoneinfo", O_RDONLY);
	size_t len = 0;
	ssize_t r = 1;

	if (fd < 0)
		return -1;
	while (r > 0 && len < sizeof(zi) - 1) {
		r = read(fd, zi + len, sizeof(zi) - 1 - len);
		len += r > 0 ? r : 0;
	}
	close(fd);
	zi[len] = 0;
	for (l = zi; (l = strstr(l, "Node ")); l++) {
		if (sscanf(l, "Node %d,", &node) != 1)
			continue;
		z = strstr(l, "spanned");
		if (!z || sscanf(z, "spanned %lu", &spanned) != 1)
			continue;
		z = strstr(l, "start_pfn:");
		if (!z || sscanf(z, "start_pfn: %lu", &start) != 1)
			continue;
		if (spanned && pfn >= start && pfn < start + spanned)
			nid = node;
	}
	return nid;
}

/*
 * On a NUMA machine, when the kept memfd's written pages are all the
 * pool has in use: each node counts in use exactly the kept pages that
 * are on it (the restored pages are hugetlb pages of their own node),
 * as surplus pages when @surplus.
 */
static void tap_nodes(int fd, int gen, int surplus)
{
	long nv[MAX_NODES][3], on[MAX_NODES] = { 0 };
	int nodes = node_counters(nv), pm, p, n, ok = 1, nid;
	char got[96] = "", *g = got;
	uint8_t *m;
	uint64_t v;

	if (nodes < 2)
		return;
	pm = open("/proc/self/pagemap", O_RDONLY);
	m = mmap(NULL, c->pages * c->hp, PROT_READ, MAP_SHARED | MAP_NORESERVE,
		 fd, 0);
	for (p = 0; pm >= 0 && m != MAP_FAILED && p < c->pages; p++) {
		if (!filled(p, gen))
			continue;
		(void)*(volatile uint8_t *)(m + p * c->hp);
		if (pread(pm, &v, 8, (uintptr_t)(m + p * c->hp) / 4096 * 8) != 8 ||
		    !(v >> 63))
			break;
		nid = pfn_node(v & ((1ULL << 55) - 1));
		if (nid < 0 || nid >= nodes)
			break;
		on[nid]++;
	}
	if (p < c->pages)
		ok = 0;
	if (m != MAP_FAILED)
		munmap(m, c->pages * c->hp);
	if (pm >= 0)
		close(pm);
	for (n = 0; n < nodes; n++) {
		long used = surplus ? nv[n][2] : nv[n][0] - nv[n][1];

		ok &= used == on[n] && (!surplus || nv[n][1] == 0);
		g += snprintf(g, got + sizeof(got) - g, "%snode %d: %ld of %ld",
			      n ? ", " : "", n, used, on[n]);
	}
	rig_tap(ok, "lu_huge: %s pages in use per node are the kept pages on it, %s (%s)",
		c->what, surplus ? "as surplus" : "in the pool", got);
}

/* write the pattern of @token into huge page @p, through a mapping */
static int fill_page(int fd, int p, uint64_t token)
{
	uint64_t *m, i, n = c->hp / 8;

	m = mmap(NULL, c->hp, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)p * c->hp);
	if (m == MAP_FAILED)
		return -1;
	for (i = 0; i < n; i++)
		m[i] = lu_word(token, (uint64_t)p * n + i);
	munmap(m, c->hp);
	return 0;
}

/*
 * A hash of (index, PFN) of every written huge page, from pagemap, and
 * whether a mapping of the whole file is made of huge page table entries
 * of the right size (smaps' KernelPageSize). 0 on error.
 */
static uint64_t pfn_hash(int fd, int gen, int *mapped_huge)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), p;
	uint64_t h = 0xcbf29ce484222325ULL, v;
	char line[128], want[64];
	uint8_t *m;
	FILE *sm;

	*mapped_huge = 0;
	/* no reservation for the holes, which no pool may have room for */
	m = mmap(NULL, c->pages * c->hp, PROT_READ, MAP_SHARED | MAP_NORESERVE,
		 fd, 0);
	if (pm < 0 || m == MAP_FAILED) {
		if (pm >= 0)
			close(pm);
		return 0;
	}
	for (p = 0; p < c->pages; p++) {
		if (!filled(p, gen))
			continue;	/* a read fault would fill the hole */
		(void)*(volatile uint8_t *)(m + p * c->hp);
		if (pread(pm, &v, 8, (uintptr_t)(m + p * c->hp) / 4096 * 8) != 8 ||
		    !(v >> 63)) {
			h = 0;
			break;
		}
		h = (h ^ (uint64_t)p ^ ((v & ((1ULL << 55) - 1)) << 8)) *
		    0x100000001b3ULL;
	}
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)m);
	sm = fopen("/proc/self/smaps", "r");
	while (sm && fgets(line, sizeof(line), sm)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		while (fgets(line, sizeof(line), sm))
			if (!strncmp(line, "KernelPageSize:", 15)) {
				*mapped_huge = strtoul(line + 15, NULL, 10) ==
					       c->hp >> 10;
				break;
			}
		break;
	}
	if (sm)
		fclose(sm);
	munmap(m, c->pages * c->hp);
	close(pm);
	return h ?: 1;
}

static int make(const char *name, int pages, uint64_t token, int seals)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_HUGETLB |
			      (c->shift << MFD_HUGE_SHIFT) |
			      (seals ? MFD_ALLOW_SEALING : 0)), p;

	if (fd < 0 || ftruncate(fd, pages * c->hp))
		return -1;
	for (p = 0; p < pages; p++)
		if ((token != H_TOKEN || filled(p, 1)) &&
		    fill_page(fd, p, token))
			return -1;
	if (lseek(fd, H_POS, SEEK_SET) < 0 ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals)))
		return -1;
	return fd;
}

/* a child maps @fd and touches huge page @p: its exit signal, or 0 */
static int touch_sig(int fd, int p)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		uint8_t *m = mmap(NULL, c->hp, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_NORESERVE, fd,
				  (off_t)p * c->hp);

		if (m == MAP_FAILED)
			_exit(2);
		m[0] = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* while kept, pages neither come nor go */
static void check_frozen(int fd, int drop)
{
	int r, e;

	r = touch_sig(fd, c->hole);
	rig_tap(r == SIGBUS, "lu_huge: while kept, a fault on a hole gets SIGBUS (signal %d)",
		r);
	if (drop < 0)
		return;
	r = ftruncate(drop, 3 * c->hp);
	e = errno;
	rig_tap(r && e == EBUSY, "lu_huge: while kept, ftruncate() fails with EBUSY (%s)",
		r ? strerror(e) : "it worked");
	r = fallocate(drop, 0, 0, 3 * c->hp);
	e = errno;
	rig_tap(r && e == EBUSY, "lu_huge: while kept, fallocate() fails with EBUSY (%s)",
		r ? strerror(e) : "it worked");
	r = fallocate(drop, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      c->hp);
	e = errno;
	rig_tap(r && e == EBUSY, "lu_huge: while kept, a hole punch fails with EBUSY (%s)",
		r ? strerror(e) : "it worked");
}

static void keep(int dev, int fd, int drop, int gen)
{
	char name[24], val[32];
	int s, r;
	int huge;
	/* the pages the next generation will find written */
	uint64_t h = pfn_hash(fd, gen + 1, &huge);

	snprintf(name, sizeof(name), "huge-%d", gen);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
	r = s < 0 ? s : lu_ioc_preserve(s, fd, H_TOKEN);
	rig_tap(!r, "lu_huge: a %s hugetlb memfd of %d pages (%d written) preserved: %s",
		c->what, c->pages, nr_filled(gen), r ? strerror(-r) : "ok");
	if (r)
		return;
	if (drop >= 0) {
		r = lu_ioc_preserve(s, drop, D_TOKEN);
		rig_tap(!r, "lu_huge: the memfd FINISH is to drop preserved: %s",
			r ? strerror(-r) : "ok");
	}
	check_frozen(fd, drop);
	snprintf(val, sizeof(val), "%llx", (unsigned long long)h);
	rig_next_set("rig.lu_huge_pfn", val);
	lu_hold(s);
}

/* physical address of huge page 0 of @fd (mapped and touched), or 0 */
static uint64_t page0_phys(int fd)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	uint64_t v = 0;
	uint8_t *m;

	m = mmap(NULL, c->hp, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (pm >= 0 && m != MAP_FAILED) {
		(void)*(volatile uint8_t *)m;
		if (pread(pm, &v, 8, (uintptr_t)m / 4096 * 8) != 8 ||
		    !(v >> 63))
			v = 0;
	}
	if (m != MAP_FAILED)
		munmap(m, c->hp);
	if (pm >= 0)
		close(pm);
	return (v & ((1ULL << 55) - 1)) * 4096;
}

/*
 * hugetlb_cma=1G: this kernel reserved its area, outside the page the last
 * kernel kept (@fd's page 0, generations 2 and later), and a run-time
 * pool page of 1 GiB comes from it (CmaFree drops by about 1 GiB: scratch
 * is CMA too, and its use moves).
 */
static void cma_check(int fd)
{
	static char log[1 << 20];
	unsigned long long base = 0, mib = 0, kept;
	char path[128], *l;
	long before, after, got, persistent;
	int n = klogctl(3, log, sizeof(log) - 1);

	log[n > 0 ? n : 0] = 0;
	for (l = log; (l = strstr(l, "cma: Reserved ")); l++)
		if (sscanf(l, "cma: Reserved %llu MiB at 0x%llx", &mib,
			   &base) == 2 && mib == 1024)
			break;
	rig_tap(l && strstr(log, "hugetlb_cma: reserved 1024 MiB on node 0"),
		"lu_huge: hugetlb_cma: an area of 1024 MiB reserved at 0x%llx",
		l ? base : 0);
	if (fd >= 0) {
		kept = page0_phys(fd);
		rig_tap(kept && l && (kept + c->hp <= base ||
				      kept >= base + (1ULL << 30)),
			"lu_huge: the kept page at 0x%llx is outside the hugetlb_cma area",
			kept);
	}
	if (fd < 0) {
		/* reserved after scratch, so scratch is not sized by it */
		static char st[8192];
		unsigned long a, sz, all = 0;
		unsigned int i;

		if (rig_read_file("/sys/kernel/debug/kho/status", st,
				  sizeof(st) - 1) < 0)
			st[0] = 0;
		for (i = 0; !kv_scratch(st, i, &a, &sz); i++)
			all += sz;
		rig_tap(all && all < (1UL << 30),
			"lu_huge: scratch (%lu MiB in %u areas) did not grow with the 1 GiB hugetlb_cma area",
			all >> 20, i);
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages",
		 c->dir);
	before = rig_meminfo("CmaFree");
	persistent = counter("nr_hugepages") - counter("surplus_hugepages");
	got = counter("nr_hugepages") + 1;
	snprintf(log, 32, "%ld", got);
	rig_write_file(path, log);
	after = rig_meminfo("CmaFree");
	rig_tap(counter("nr_hugepages") == got && before - after >= (3L << 28),
		"lu_huge: one more 1 GiB page at run time, from hugetlb_cma (CmaFree %ld -> %ld MiB)",
		before >> 20, after >> 20);
	/* back to the persistent pool it had: the kept page surplus again */
	snprintf(log, 32, "%ld", persistent);
	rig_write_file(path, log);
}

static void gen1(int dev)
{
	long v[4], nv[MAX_NODES][3];
	int fd, drop = -1, numa = node_counters(nv) >= 2 && c->drop;
	char n[32], path[128];

	snprintf(n, sizeof(n), "%d", c->pool);
	if (counter("nr_hugepages") < 0) {
		rig_tap(0, "lu_huge: this kernel has %s huge pages (%s)",
			c->what, c->dir);
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages",
		 c->dir);
	rig_write_file(path, n);
	counters(v);
	rig_tap(v[0] == c->pool, "lu_huge: a pool of %d %s pages (%ld)",
		c->pool, c->what, v[0]);
	if (c->cma)
		cma_check(-1);
	if (numa) {
		/* on CPU 0: node 0 gives the first 10 pages, node 1 the rest */
		cpu_set_t cpu;

		CPU_ZERO(&cpu);
		CPU_SET(0, &cpu);
		if (sched_setaffinity(0, sizeof(cpu), &cpu))
			rig_tap(0, "lu_huge: run on CPU 0: %s", strerror(errno));
	}
	fd = make("lu-huge", c->pages, H_TOKEN, H_SEALS);
	if (c->drop)
		drop = make("lu-huge-drop", c->drop, D_TOKEN, 0);
	rig_tap(fd >= 0 && (!c->drop || drop >= 0),
		"lu_huge: hugetlb memfds made and written through mappings: %s",
		fd < 0 || (c->drop && drop < 0) ? strerror(errno) : "ok");
	if (fd < 0 || (c->drop && drop < 0))
		return;
	/* each page was mapped alone: no reservation for the holes */
	tap_counters("in generation 1", c->pool,
		     c->pool - nr_filled(1) - c->drop, 0, 0);
	keep(dev, fd, drop, 1);
	/* generation 2 has a boot-time pool */
	if (c->hp > (2UL << 20))
		rig_next_set("hugepagesz", "1G");
	snprintf(n, sizeof(n), "%d", c->pool2);
	/*
	 * Two nodes: node 0 gets fewer pool pages than it has kept pages,
	 * so some take the place of node 1's free pages.
	 */
	if (numa)
		snprintf(n, sizeof(n), "0:6,1:%d", c->pool2 - 6);
	rig_next_set("hugepages", n);
}

/* the kept memfd, back: every property and byte, the same pages */
static void check_back(int fd)
{
	uint64_t size = (uint64_t)c->pages * c->hp;
	long bad = 0, b;
	int p, seals, huge;
	char want[32];
	struct stat st;
	uint64_t h;

	rig_tap(lseek(fd, 0, SEEK_END) == (off_t)size,
		"lu_huge: size %llu bytes", (unsigned long long)size);
	seals = fcntl(fd, F_GET_SEALS);
	rig_tap(seals == H_SEALS, "lu_huge: seals 0x%x (want 0x%x)", seals,
		H_SEALS);
	for (p = 0; p < c->pages; p++) {
		b = lu_check(fd, (uint64_t)p * c->hp, c->hp, H_TOKEN,
			     !filled(p, rig.gen));
		bad += b < 0 ? (long)c->hp : b;
	}
	rig_tap(bad == 0, "lu_huge: every byte of the %d written pages, and the holes zero: %ld bytes differ",
		nr_filled(rig.gen), bad);
	/* the inode counts the pages put back, as if each had been faulted */
	if (fstat(fd, &st))
		st.st_blocks = -1;
	rig_tap(st.st_blocks == (blkcnt_t)(nr_filled(rig.gen) * (c->hp / 512)),
		"lu_huge: st_blocks %lld (want %lld)", (long long)st.st_blocks,
		(long long)(nr_filled(rig.gen) * (c->hp / 512)));
	h = pfn_hash(fd, rig.gen, &huge);
	snprintf(want, sizeof(want), "%llx", (unsigned long long)h);
	{
		char was[32];

		if (!rig_param("rig.lu_huge_pfn", was, sizeof(was)))
			strcpy(was, "?");
		rig_tap(!strcmp(was, want), "lu_huge: the same physical huge pages (PFN hash %s, was %s)",
			want, was);
	}
	rig_tap(huge, "lu_huge: mapped by %s page table entries (smaps KernelPageSize)",
		c->what);
}

static void gen2(int dev)
{
	int last = rig.gen == rig.gens, s, fd, pool, want;
	char name[24];
	off_t pos;

	/* gen 2 booted with a pool (hugepages=), gen 3 with none */
	pool = rig.gen == 2 ? c->pool2 : 0;
	if (pool && c->hp > (2UL << 20)) {
		/*
		 * Taken after early boot, a 1 GiB page needs a whole free
		 * aligned GiB: each scratch area and each small page the
		 * last kernel kept (records, this kernel's own segments)
		 * takes one out, and so does the kept page itself. In this
		 * 8 GiB guest only 3 of the 4 asked for are free then
		 * (scratch sits in two of the others), and the pool leaves
		 * room for the kept page anyway: when adopted, it is the
		 * fourth page of the pool.
		 */
		long got = counter("nr_hugepages");

		rig_tap(got == c->pool2,
			"lu_huge: a boot-time pool of %ld of the %d 1 GiB pages asked for (half of RAM), the kept one counted in it",
			got, c->pool2);
		pool = got;
	}
	want = nr_filled(rig.gen) + (rig.gen == 2 ? c->drop : 0);
	if (pool)
		tap_counters("after the kexec, nothing retrieved", pool,
			     pool - want, 0, 0);
	else
		tap_counters("after the kexec, nothing retrieved", want, 0, 0,
			     want);
	snprintf(name, sizeof(name), "huge-%d", rig.gen - 1);
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	rig_tap(s >= 0, "lu_huge: session %s retrieved", name);
	if (s < 0)
		return;
	fd = lu_ioc_retrieve_fd(s, H_TOKEN);
	rig_tap(fd >= 0, "lu_huge: RETRIEVE_FD of the hugetlb memfd: %s",
		fd < 0 ? strerror(-fd) : "ok");
	if (fd < 0)
		return;
	pos = lseek(fd, 0, SEEK_CUR);
	rig_tap(pos == H_POS, "lu_huge: file position %lld (want %d)",
		(long long)pos, H_POS);
	check_back(fd);
	if (c->cma)
		cma_check(fd);
	rig_tap(!lu_ioc_finish(s), "lu_huge: FINISH of session %s", name);
	close(s);
	want = nr_filled(rig.gen);
	if (pool)
		tap_counters("after FINISH (the unretrieved memfd freed)", pool,
			     pool - want, 0, 0);
	else
		tap_counters("after FINISH", want, 0, 0, want);
	tap_nodes(fd, rig.gen, !pool);
	if (last) {
		close(fd);
		tap_counters("after the memfd is closed", pool, pool, 0, 0);
		return;
	}
	if (c->hp == (2UL << 20) && fill_page(fd, 3, H_TOKEN)) {
		rig_tap(0, "lu_huge: write hole 3: %s", strerror(errno));
		return;
	}
	lseek(fd, H_POS, SEEK_SET);
	keep(dev, fd, -1, rig.gen);
	rig_next_set("hugepages", "0");
}

void scenario_lu_huge(void)
{
	long mode = rig_param_long("rig.lu_huge", 0);
	int dev;

	if (mode < 1 || mode > 3)
		return;
	c = &confs[mode - 1];
	dev = lu_run_gens("lu_huge", gen1, gen2);
	if (dev >= 0)
		close(dev);
}
