// SPDX-License-Identifier: GPL-2.0
/*
 * ram.c - the guest RAM memfd: shmem (4 KiB pages, or 2 MiB folios with
 * shmem THP), or hugetlb ("khovm start --hugepages=2M|1G"), as hypervisor
 * hosts back guests for TLB reach and to keep guest memory out of reclaim.
 *
 * A hugetlb memfd gets its pages from the host's pool of that size. The
 * agent reserves all of them when it makes the memfd (a shared mapping's
 * reservation stays with the file), so a VM that does not fit is refused
 * at "khovm start" with the pool's figures, rather than QEMU failing to
 * map its RAM or the guest being killed by SIGBUS at a fault later on.
 * After the kexec the file comes back with the same huge pages; those
 * the guest never touched are reserved again when the RAM is mapped to
 * check it, from the next kernel's pool (its hugepages=): a VM whose
 * holes do not fit is reported lost with the figures, never started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/memfd.h>

#include "khovm.h"

/**
 * ram_huge_shift() - a huge page size as given on the command line
 * @arg: "2M", "1G", "2048k" or a number of bytes
 *
 * Return: log2 of the size in bytes, or -1 if @arg is not a power of two
 * of at least 64 KiB and at most 16 GiB.
 */
int ram_huge_shift(const char *arg)
{
	char *end;
	uint64_t v = strtoull(arg, &end, 10);
	int shift;

	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (end == arg || (*end && strcmp(end, "B") && strcmp(end, "iB")) ||
	    !v || (v & (v - 1)))
		return -1;
	shift = __builtin_ctzll(v);
	return shift < HUGE_SHIFT_MIN || shift > HUGE_SHIFT_MAX ? -1 : shift;
}

/**
 * ram_kind() - how a VM's RAM is backed, for messages
 * @huge_shift: vm_desc.ram_huge_shift
 *
 * Return: "" for a shmem memfd, " in 2 MiB huge pages" and the like.
 */
const char *ram_kind(uint32_t huge_shift)
{
	static char buf[40];

	if (!huge_shift)
		return "";
	if (huge_shift >= 30)
		snprintf(buf, sizeof(buf), " in %u GiB huge pages",
			 1U << (huge_shift - 30));
	else if (huge_shift >= 20)
		snprintf(buf, sizeof(buf), " in %u MiB huge pages",
			 1U << (huge_shift - 20));
	else
		snprintf(buf, sizeof(buf), " in %u KiB huge pages",
			 1U << (huge_shift - 10));
	return buf;
}

/* the pool's line of the huge pages of @shift: "N free, M reserved" */
static const char *pool_figures(uint32_t shift)
{
	static const char *const what[] = { "nr", "free", "resv" };
	static char buf[160];
	char path[96], val[32];
	long n[3] = { -1, -1, -1 };
	unsigned int i;
	ssize_t r;
	int fd;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB/%s_hugepages",
			 1UL << (shift - 10), what[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (r > 0) {
			val[r] = 0;
			n[i] = atol(val);
		}
	}
	if (n[0] < 0)
		return "this kernel has no pool of that size (hugepagesz=)";
	snprintf(buf, sizeof(buf),
		 "the pool has %ld, %ld free, %ld of them reserved (/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages, or hugepages= at boot)",
		 n[0], n[1], n[2], 1UL << (shift - 10));
	return buf;
}

/**
 * ram_map() - map a RAM memfd to read it, its huge pages all reserved
 * @fd: the memfd
 * @bytes: its size
 * @huge_shift: its page size, 0 for a shmem memfd
 * @map: set to the mapping (the caller unmaps it)
 *
 * A shared mapping of a hugetlbfs file reserves a pool page for each of
 * its pages not yet in the file, and the reservation stays with the file
 * once unmapped: what is reserved here no other user of the pool can
 * take before the guest touches it.
 *
 * Return: NULL, or why not (for hugetlb RAM, the pool's figures).
 */
const char *ram_map(int fd, uint64_t bytes, uint32_t huge_shift, void **map)
{
	static char why[320];

	*map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (*map != MAP_FAILED)
		return NULL;
	if (!huge_shift)
		snprintf(why, sizeof(why), "cannot map the RAM memfd (%s)",
			 strerror(errno));
	else
		snprintf(why, sizeof(why), "%" PRIu64 " MiB of RAM%s not reserved (%s): %s",
			 bytes >> 20, ram_kind(huge_shift), strerror(errno),
			 pool_figures(huge_shift));
	return why;
}

/**
 * ram_create() - make a VM's RAM memfd, or die saying why not
 * @name: the VM's name (the memfd's)
 * @bytes: its size
 * @huge_shift: 0 for shmem, else log2 of its huge page size
 *
 * Return: the memfd, @bytes long, its huge pages (if any) reserved.
 */
int ram_create(const char *name, uint64_t bytes, uint32_t huge_shift)
{
	unsigned int flags = MFD_CLOEXEC;
	const char *why;
	void *m;
	int fd;

	if (huge_shift) {
		if (bytes & ((1ULL << huge_shift) - 1))
			die("%s: %" PRIu64 " MiB of RAM is not a whole number of its huge pages (%s)",
			    name, bytes >> 20, ram_kind(huge_shift) + 4);
		flags |= MFD_HUGETLB | (huge_shift << MFD_HUGE_SHIFT);
	}
	fd = memfd_create(name, flags);
	if (fd < 0)
		die("%s: memfd%s: %s%s%s", name, ram_kind(huge_shift),
		    strerror(errno), huge_shift ? "; " : "",
		    huge_shift ? pool_figures(huge_shift) : "");
	if (ftruncate(fd, bytes))
		die("%s: memfd of %" PRIu64 " MiB: %s", name, bytes >> 20,
		    strerror(errno));
	if (huge_shift) {
		why = ram_map(fd, bytes, huge_shift, &m);
		if (why)
			die("%s: %s", name, why);
		munmap(m, bytes);
	}
	return fd;
}

/**
 * ram_huge_shift_of() - the huge page size a RAM memfd is in
 * @fd: the memfd
 *
 * Return: log2 of its huge page size, 0 if it is not a hugetlbfs file,
 * -1 if that cannot be told.
 */
int ram_huge_shift_of(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return -1;
	if (sf.f_type != HUGETLBFS_MAGIC)
		return 0;
	return sf.f_bsize > 0 ? __builtin_ctzll(sf.f_bsize) : -1;
}
