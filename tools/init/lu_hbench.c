// SPDX-License-Identifier: GPL-2.0
/*
 * lu_hbench.c - the hugetlb benchmark's guest side (bench/vm/hugetlb.py):
 * preserve + retrieve of one memfd of rig.lu_hbench=SIZE bytes across a
 * kexec, against writing it to /dev/vda and reading it back into a new
 * memfd of the same kind. rig.lu_hb_kind= picks the memfd:
 *
 *   shmem  memfd_create() with no flags (4 KiB pages)
 *   2m     MFD_HUGETLB | MFD_HUGE_2MB
 *   1g     MFD_HUGETLB | MFD_HUGE_1GB (the guest needs pdpe1gb)
 *
 * Generation 1 makes a pool of the pages it needs (hugetlb kinds), fills
 * the memfd through a shared mapping, writes it to /dev/vda with O_DIRECT
 * when rig.lu_hb_disk=1, then times CREATE_SESSION + PRESERVE_FD; a child
 * holds the session through the kexec, and generation 2 boots with a
 * pool of the same size (hugepages=). Generation 2 times RETRIEVE_SESSION
 * + RETRIEVE_FD, a lseek(SEEK_DATA) (what first use pays for a lazily
 * restored shmem memfd; nothing for hugetlb, whose pages are in the file
 * when RETRIEVE_FD returns), checks every byte, times FINISH, closes it
 * (its pages go back to the pool) and then times the disk's way: a new
 * memfd of the same kind filled from /dev/vda with O_DIRECT reads straight
 * into its mapping. Figures go to the serial log as "gen=N kho KEY=VAL".
 *
 * TCG translates guest code the first time it runs, so the first ioctl
 * down each path in a boot costs the VM milliseconds that a real CPU pays
 * as microseconds of cache misses. A one-page memfd of the same kind, in
 * a session of its own ("hbwarm"), goes through the same calls first, in
 * both generations; its times are logged as hb_warm_*_us, the first
 * calls' cost, and the timed memfd's as the figures. The same holds for
 * the next kernel's boot: each session's restore_us= in
 * /sys/kernel/liveupdate/sessions is logged (hb_warm_boot_us, hb_boot_us).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define HB_TOKEN	77
#define HB_WARM		78
#define HB_CHUNK	(4UL << 20)
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT	26
#endif

struct hb_kind {
	const char *name;
	unsigned int flags;	/* memfd_create() */
	uint64_t page;		/* its page size */
	const char *pool;	/* under /sys/kernel/mm/hugepages/, or NULL */
	const char *pagesz;	/* hugepagesz= of the next kernel, or NULL */
};

static const struct hb_kind kinds[] = {
	{ "shmem", 0, 4096, NULL, NULL },
	{ "2m", MFD_HUGETLB | (21U << MFD_HUGE_SHIFT), 2UL << 20,
	  "hugepages-2048kB", NULL },
	{ "1g", MFD_HUGETLB | (30U << MFD_HUGE_SHIFT), 1UL << 30,
	  "hugepages-1048576kB", "1G" },
};

static unsigned long hb_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000UL + ts.tv_nsec / 1000;
}

static uint64_t hb_size(void)
{
	char v[32], *e;
	uint64_t n;

	if (!rig_param("rig.lu_hbench", v, sizeof(v)))
		return 0;
	n = strtoull(v, &e, 0);
	if (*e == 'M' || *e == 'm')
		n <<= 20;
	else if (*e == 'G' || *e == 'g')
		n <<= 30;
	return n;
}

/* set the pool of @k to @n pages; the pages it has then */
static long hb_pool(const struct hb_kind *k, long n)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages",
		 k->pool);
	if (n >= 0) {
		snprintf(v, sizeof(v), "%ld", n);
		rig_write_file(path, v);
	}
	if (rig_read_file(path, v, sizeof(v) - 1) < 0)
		return -1;
	return strtol(v, NULL, 10);
}

/* a memfd of @k, @size bytes, mapped shared at *@m: the fd or -errno */
static int hb_memfd(const struct hb_kind *k, uint64_t size, uint64_t **m)
{
	int fd = memfd_create("hbench", MFD_CLOEXEC | k->flags);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		close(fd);
		return -errno;
	}
	*m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*m == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* O_DIRECT between /dev/vda and the mapping @m, 4 MiB at a time */
static int hb_disk(uint64_t *m, uint64_t size, int write)
{
	int fd = open("/dev/vda", (write ? O_WRONLY | O_SYNC : O_RDONLY) |
		      O_DIRECT), r = 0;
	uint64_t off;

	if (fd < 0)
		return -errno;
	for (off = 0; off < size && !r; off += HB_CHUNK) {
		char *p = (char *)m + off;
		ssize_t n = write ? pwrite(fd, p, HB_CHUNK, off) :
				    pread(fd, p, HB_CHUNK, off);

		if (n != (ssize_t)HB_CHUNK)
			r = n < 0 ? -errno : -EIO;
	}
	if (!r && write && fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

static void hb_fill(uint64_t *m, uint64_t size)
{
	uint64_t i;

	for (i = 0; i < size / 8; i++)
		m[i] = lu_word(HB_TOKEN, i);
}

static uint64_t hb_bad(const uint64_t *m, uint64_t size)
{
	uint64_t i, bad = 0;

	for (i = 0; i < size / 8; i++)
		bad += m[i] != lu_word(HB_TOKEN, i);
	return bad;
}

static const struct hb_kind *hb_kind(void)
{
	char v[16] = "shmem";
	unsigned int i;

	rig_param("rig.lu_hb_kind", v, sizeof(v));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(v, kinds[i].name))
			return &kinds[i];
	rig_tap(0, "lu_hbench: unknown rig.lu_hb_kind=%s", v);
	return NULL;
}

/* CREATE_SESSION @name + PRESERVE_FD of @fd as @token: the session fd */
static int hb_preserve(int dev, const char *name, int fd, int token,
		       unsigned long *us, int *err)
{
	unsigned long t = hb_us();
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);

	*err = s < 0 ? s : lu_ioc_preserve(s, fd, token);
	*us = hb_us() - t;
	return s;
}

/* RETRIEVE_SESSION @name + RETRIEVE_FD @token: the memfd, *@s the session */
static int hb_retrieve(int dev, const char *name, int token, int *s,
		       unsigned long *us)
{
	unsigned long t = hb_us();
	int fd;

	*s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
	fd = *s < 0 ? *s : lu_ioc_retrieve_fd(*s, token);
	*us = hb_us() - t;
	return fd;
}

/* the one-page memfd that goes first: its CREATE_SESSION + PRESERVE_FD */
static void hb_warm1(int dev, const struct hb_kind *k)
{
	unsigned long t;
	uint64_t *m;
	int fd, s, r;

	fd = hb_memfd(k, k->page, &m);
	if (fd < 0) {
		rig_tap(0, "lu_hbench: the first calls' memfd: %s",
			strerror(-fd));
		return;
	}
	hb_fill(m, k->page);
	munmap(m, k->page);
	s = hb_preserve(dev, "hbwarm", fd, HB_WARM, &t, &r);
	rig_tap(!r, "lu_hbench: the first calls (one %s page, own session): %s (%lu us)",
		k->name, r ? strerror(-r) : "ok", t);
	rig_log("gen=%d kho hb_warm_preserve_us=%lu", rig.gen, t);
	close(fd);
	if (s >= 0)
		lu_hold(s);
}

/* its RETRIEVE_SESSION + RETRIEVE_FD, a check of its page and FINISH */
static void hb_warm2(int dev, const struct hb_kind *k)
{
	unsigned long t;
	uint64_t *m, bad;
	int s, fd;

	fd = hb_retrieve(dev, "hbwarm", HB_WARM, &s, &t);
	rig_tap(fd >= 0, "lu_hbench: the first calls retrieved: %s (%lu us)",
		fd < 0 ? strerror(-fd) : "ok", t);
	rig_log("gen=%d kho hb_warm_retrieve_us=%lu", rig.gen, t);
	if (fd < 0) {
		if (s >= 0)
			close(s);
		return;
	}
	m = mmap(NULL, k->page, PROT_READ, MAP_SHARED, fd, 0);
	bad = m == MAP_FAILED ? k->page : hb_bad(m, k->page);
	rig_tap(!bad, "lu_hbench: the first calls' page intact: %llu words differ",
		(unsigned long long)bad);
	if (m != MAP_FAILED)
		munmap(m, k->page);
	rig_tap(!lu_ioc_finish(s), "lu_hbench: the first calls' FINISH");
	close(fd);
	close(s);
}

static void hb_gen1(int dev, const struct hb_kind *k, uint64_t size)
{
	long pages = size / k->page, got;
	unsigned long t, w = 0;
	uint64_t *m;
	char v[32];
	int fd, s, r;

	if (k->pool) {
		/* and one for the first calls' memfd */
		got = hb_pool(k, pages + 1);
		rig_tap(got == pages + 1, "lu_hbench: a pool of %ld %s pages (%ld)",
			pages + 1, k->name, got);
		if (got != pages + 1)
			return;
		/* the next kernel's boot-time pool: the same pages */
		snprintf(v, sizeof(v), "%ld", pages + 1);
		if (k->pagesz)
			rig_next_set("hugepagesz", k->pagesz);
		rig_next_set("hugepages", v);
	}
	fd = hb_memfd(k, size, &m);
	rig_tap(fd >= 0, "lu_hbench: a %s memfd of %llu MiB: %s", k->name,
		(unsigned long long)size >> 20, fd < 0 ? strerror(-fd) : "ok");
	if (fd < 0)
		return;
	t = hb_us();
	hb_fill(m, size);
	t = hb_us() - t;
	rig_tap(1, "lu_hbench: filled through its mapping (%lu ms)", t / 1000);
	if (rig_param_long("rig.lu_hb_disk", 0)) {
		w = hb_us();
		r = hb_disk(m, size, 1);
		w = hb_us() - w;
		rig_tap(!r, "lu_hbench: wrote it to /dev/vda (O_DIRECT): %s (%lu ms)",
			r ? strerror(-r) : "ok", w / 1000);
	}
	munmap(m, size);
	hb_warm1(dev, k);
	s = hb_preserve(dev, "hbench", fd, HB_TOKEN, &t, &r);
	rig_tap(!r, "lu_hbench: session created and the memfd preserved: %s (%lu us)",
		r ? strerror(-r) : "ok", t);
	rig_log("gen=%d kho hb_kind=%s hb_bytes=%llu hb_disk_write_us=%lu hb_preserve_us=%lu",
		rig.gen, k->name, (unsigned long long)size, w, t);
	close(fd);
	if (s >= 0)
		lu_hold(s);
}

/* restore_us= of incoming session @name in the sessions listing, or -1 */
static long hb_restore_us(const char *list, const char *name)
{
	char head[64];
	const char *l, *e, *v;

	snprintf(head, sizeof(head), "incoming %s files=", name);
	for (l = list; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		if (strncmp(l, head, strlen(head)))
			continue;
		v = strstr(l, " restore_us=");
		if (v && (!e || v < e))
			return strtol(v + 12, NULL, 10);
	}
	return -1;
}

static void hb_gen2(int dev, const struct hb_kind *k, uint64_t size)
{
	unsigned long t, fill, fin, rd = 0;
	static char list[4096];
	uint64_t *m, bad;
	int s, fd, r;

	/* what each session cost this kernel's boot, the first calls' apart */
	if (rig_read_file("/sys/kernel/liveupdate/sessions", list,
			  sizeof(list) - 1) > 0)
		rig_log("gen=%d kho hb_warm_boot_us=%ld hb_boot_us=%ld", rig.gen,
			hb_restore_us(list, "hbwarm"),
			hb_restore_us(list, "hbench"));
	hb_warm2(dev, k);
	fd = hb_retrieve(dev, "hbench", HB_TOKEN, &s, &t);
	rig_tap(fd >= 0, "lu_hbench: session and memfd retrieved: %s (%lu us)",
		fd < 0 ? strerror(-fd) : "ok", t);
	if (fd < 0) {
		if (s >= 0)
			close(s);
		return;
	}
	fill = hb_us();
	r = lseek(fd, 0, SEEK_DATA) == 0 ? 0 : -errno;
	fill = hb_us() - fill;
	rig_tap(!r, "lu_hbench: lseek(SEEK_DATA): %s (%lu us)",
		r ? strerror(-r) : "ok", fill);
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	bad = m == MAP_FAILED ? size : hb_bad(m, size);
	rig_tap(!bad, "lu_hbench: every byte checked through a mapping: %llu words differ",
		(unsigned long long)bad);
	if (m != MAP_FAILED)
		munmap(m, size);
	fin = hb_us();
	r = lu_ioc_finish(s);
	fin = hb_us() - fin;
	rig_tap(!r, "lu_hbench: FINISH: %s (%lu us)", r ? strerror(-r) : "ok",
		fin);
	close(fd);
	close(s);
	rig_log("gen=%d kho hb_retrieve_us=%lu hb_fill_us=%lu hb_finish_us=%lu",
		rig.gen, t, fill, fin);
	if (rig_param_long("rig.lu_hb_disk", 0)) {
		/* the disk's way back: a new memfd of the same kind */
		rd = hb_us();
		fd = hb_memfd(k, size, &m);
		r = fd < 0 ? fd : hb_disk(m, size, 0);
		rd = hb_us() - rd;
		bad = r ? size : hb_bad(m, size);
		rig_tap(!r && !bad, "lu_hbench: read back from /dev/vda into a new %s memfd: %s, %llu words differ (%lu ms)",
			k->name, r ? strerror(-r) : "ok",
			(unsigned long long)bad, rd / 1000);
		if (fd >= 0) {
			munmap(m, size);
			close(fd);
		}
		rig_log("gen=%d kho hb_disk_read_us=%lu", rig.gen, rd);
	}
	{
		static char st[4096];

		if (rig_read_file("/sys/kernel/debug/kho/status", st,
				  sizeof(st) - 1) > 0)
			rig_log("gen=%d kho hb_in_preserved_pages=%ld hb_in_tracker_pages=%ld",
				rig.gen,
				kv_long(st, "incoming_preserved_pages", -1),
				kv_long(st, "incoming_tracker_pages", -1));
	}
}

/**
 * scenario_lu_hbench() - the hugetlb benchmark, with rig.lu_hbench=SIZE
 */
void scenario_lu_hbench(void)
{
	uint64_t size = hb_size();
	const struct hb_kind *k;
	int dev;

	if (!size)
		return;
	k = hb_kind();
	if (!k)
		return;
	if (size % k->page || size % HB_CHUNK) {
		rig_tap(0, "lu_hbench: %llu bytes is not a multiple of a %s page and of 4 MiB",
			(unsigned long long)size, k->name);
		return;
	}
	dev = lu_dev("lu_hbench");
	if (dev < 0)
		return;
	if (rig.gen == 1)
		hb_gen1(dev, k, size);
	else
		hb_gen2(dev, k, size);
	close(dev);
}
