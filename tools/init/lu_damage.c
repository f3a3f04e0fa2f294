// SPDX-License-Identifier: GPL-2.0
/*
 * lu_damage.c - damaged memfd records are refused, one memfd at a time:
 * rig.lu_damage=count|entry|fields, 2 generations.
 *
 * Generation 1 keeps memfds named "dmg-target*" and a healthy one in
 * session "dmg", another tenant's memfd "dmg-other" in session
 * "dmg-other", and has the freeze damage the targets' records after
 * their checksums were written (debugfs liveupdate/corrupt):
 *   count   size and entry count huge (an allocation the size of the
 *           count would WARN, and panic with panic_on_warn=1)
 *   entry   the first entry names dmg-other's first folio: only the
 *           checksum shows it; taking the folio would rob dmg-other
 *   fields  unknown seal bits (dmg-targets), a position over LLONG_MAX
 *           (dmg-targetp), a mode bit over 07777 (dmg-targetm)
 *   hugetlb every memfd a hugetlb one of one 2 MiB page (a pool of 8 in
 *           generation 1); the target's entry names the next huge page,
 *           maybe another file's: only the checksum shows it.
 *           Generation 2 boots with hugepages=8: the pool left room for
 *           the 3 kept pages, the lost one's room is taken after
 *           late_initcall, so the pool has its 8 pages
 * Generation 2: every target is lost (RETRIEVE_FD: ENOENT), the healthy
 * memfd of the same session and dmg-other have every byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define D_SIZE		(64UL << 10)
#define D_OK		71
#define D_OTHER		72
#define D_TARGET	73	/* and on, one token per target */
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"

static const char *const count_targets[] = { "dmg-target", NULL };
static const char *const field_targets[] = {
	"dmg-targets", "dmg-targetp", "dmg-targetm", NULL
};

#define D_HUGE		(2UL << 20)
#define D_POOL		"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static int huge;	/* rig.lu_damage=hugetlb */

/* hugetlbfs has no write(): the pattern through a mapping */
static int fill_huge(int fd, uint64_t token)
{
	uint64_t *m, i;

	if (ftruncate(fd, D_HUGE))
		return -1;
	m = mmap(NULL, D_HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	for (i = 0; i < D_SIZE / 8; i++)
		m[i] = lu_word(token, i);
	munmap(m, D_HUGE);
	return 0;
}

static int make(const char *name, uint64_t token)
{
	int fd = memfd_create(name, MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));

	if (fd >= 0 && (huge ? fill_huge(fd, token) :
			lu_fill(fd, 0, D_SIZE, token))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* bytes of @fd's D_SIZE that differ from the pattern of @token, or -1 */
static long bad_bytes(int fd, uint64_t token)
{
	return fd < 0 ? -1 : lu_check(fd, 0, D_SIZE, token, 0);
}

static int keep(int s, const char *name, uint64_t token)
{
	int fd = make(name, token), r;

	r = fd < 0 ? -errno : lu_ioc_preserve(s, fd, token);
	if (fd >= 0)
		close(fd);
	rig_tap(!r, "lu_damage: %s preserved: %s", name, r ? strerror(-r) : "ok");
	return r;
}

static void damage_gen1(int dev, const char *what,
			const char *const *targets)
{
	char how[32];
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "dmg");
	int o = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION,
			       "dmg-other");
	int i, r;

	if (s < 0 || o < 0) {
		rig_tap(0, "lu_damage: two sessions: %s", strerror(-(s < 0 ? s : o)));
		return;
	}
	r = huge ? rig_write_file(D_POOL, "8") : 0;
	r = r ?: keep(s, "dmg-ok", D_OK);
	for (i = 0; targets[i]; i++)
		r = r ?: keep(s, targets[i], D_TARGET + i);
	r = r ?: keep(o, "dmg-other", D_OTHER);
	snprintf(how, sizeof(how), huge ? "hugetlb-entry" : "memfd-%s", what);
	r = r ?: rig_write_file(CORRUPT, how);
	rig_tap(!r, "lu_damage: the freeze will damage the targets' records (%s)",
		how);
	if (huge)
		rig_next_set("hugepages", "8");
	lu_hold(s);
	lu_hold(o);
}

static void damage_gen2(int dev, const char *const *targets)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "dmg");
	int o = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
			       "dmg-other");
	char pool[16] = "";
	int i, fd;

	if (huge) {
		rig_read_file(D_POOL, pool, sizeof(pool) - 1);
		rig_tap(atoi(pool) == 8,
			"lu_damage: a pool of %d huge pages, as hugepages=8 asked for, a lost kept page's room made up for",
			atoi(pool));
	}
	rig_tap(s >= 0 && o >= 0,
		"lu_damage: both sessions retrieved: a lost memfd does not take its session");
	if (s < 0 || o < 0)
		return;
	for (i = 0; targets[i]; i++) {
		fd = lu_ioc_retrieve_fd(s, D_TARGET + i);
		rig_tap(fd == -ENOENT, "lu_damage: %s, its record damaged, is lost: %s (want %s)",
			targets[i], fd < 0 ? strerror(-fd) : "retrieved",
			strerror(ENOENT));
		if (fd >= 0)
			close(fd);
	}
	fd = lu_ioc_retrieve_fd(s, D_OK);
	rig_tap(bad_bytes(fd, D_OK) == 0,
		"lu_damage: dmg-ok, in the same session, has every byte");
	if (fd >= 0)
		close(fd);
	fd = lu_ioc_retrieve_fd(o, D_OTHER);
	rig_tap(bad_bytes(fd, D_OTHER) == 0,
		"lu_damage: dmg-other, another session's memfd, has every byte");
	if (fd >= 0)
		close(fd);
	rig_tap(!lu_ioc_finish(s) && !lu_ioc_finish(o),
		"lu_damage: FINISH of both sessions");
	close(s);
	close(o);
}

void scenario_lu_damage(void)
{
	const char *const *targets;
	char what[16];
	int dev;

	if (!rig_param("rig.lu_damage", what, sizeof(what)))
		return;
	targets = strcmp(what, "fields") ? count_targets : field_targets;
	huge = !strcmp(what, "hugetlb");
	dev = lu_dev("lu_damage");
	if (dev < 0)
		return;
	if (rig.gen == 1)
		damage_gen1(dev, what, targets);
	else
		damage_gen2(dev, targets);
	close(dev);
}
