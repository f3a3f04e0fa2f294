// SPDX-License-Identifier: GPL-2.0
/*
 * lu_race.c - no page of a kept memfd is lost to a page fault that races
 * with its keeping: rig.lu_race=walk|reboot, 2 generations.
 *
 * walk: child processes fault random holes of a sparse 1 GiB memfd while
 * PRESERVE_FD walks its page cache (liveupdate.memfd_split_pages=1 splits
 * the walk over every CPU, to widen the window). Faults do not take the
 * inode lock, so a page added behind the walk used to be missed, and
 * counted in the size the freeze compares with: lost without a word.
 *
 * reboot: a child waits for the freeze's line in the kernel log and
 * faults holes of a kept memfd while the kernel goes from the freeze to
 * the reboot (debugfs liveupdate/freeze_delay_ms makes that 1.5 s; user
 * space runs on the other CPUs until machine_shutdown()).
 *
 * Each child logs every page it wrote, in a memfd kept with the other;
 * a fault the kernel refuses gets SIGBUS, which the child counts. The
 * next generation checks every logged page and every data page: the
 * kernel may refuse a page, never drop one it let in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define PG		4096UL
#define R_TOKEN		61	/* the sparse memfd */
#define R_LOG		62	/* the log */
#define DATA_EVERY	64	/* data pages: every 64th */
#define MAX_CHILD	7
#define LOG_CAP		16384	/* pages a child writes at most */
#define SPLIT		"/sys/module/liveupdate/parameters/memfd_split_pages"
#define DELAY		"/sys/kernel/debug/liveupdate/freeze_delay_ms"

struct child_log {
	uint64_t attempts;	/* faults tried */
	uint64_t refused;	/* of them, SIGBUS */
	uint64_t n;		/* pages written, in page[] */
	uint64_t page[LOG_CAP];
};

struct race_log {
	uint64_t children;
	uint64_t pages;		/* of the sparse memfd */
	uint64_t pad[510];
	struct child_log c[MAX_CHILD];
};

static sigjmp_buf bus;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus, 1);
}

/* fault random holes of @m until *@stop, logging each page written */
static void fault_holes(uint64_t *m, uint64_t np, struct child_log *log,
			volatile int *stop, unsigned int seed)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile uint64_t x = 0x9e3779b97f4a7c15ULL * seed, idx;

	sigaction(SIGBUS, &sa, NULL);
	while (!*stop && log->n < LOG_CAP) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		idx = x % np;
		if (!(idx % DATA_EVERY))
			idx++;
		log->attempts++;
		if (sigsetjmp(bus, 1)) {
			log->refused++;
			continue;
		}
		m[idx * PG / 8] = lu_word(R_TOKEN, idx);
		m[(idx * PG + PG - 8) / 8] = ~lu_word(R_TOKEN, idx);
		log->page[log->n] = idx;
		__atomic_store_n(&log->n, log->n + 1, __ATOMIC_RELEASE);
	}
}

/* the sparse memfd (a data page every DATA_EVERY) and the log, written */
static int make_memfds(uint64_t size, int *sp, int *lg, struct race_log **log,
		       uint64_t **m)
{
	static const char zero[1 << 16];
	uint64_t p, w[2];
	off_t off;

	*sp = memfd_create("race-sparse", MFD_CLOEXEC);
	*lg = memfd_create("race-log", MFD_CLOEXEC);
	if (*sp < 0 || *lg < 0 || ftruncate(*sp, size))
		return -1;
	for (p = 0; p < size / PG; p += DATA_EVERY) {
		w[0] = lu_word(R_TOKEN, p);
		w[1] = ~w[0];
		if (pwrite(*sp, &w[0], 8, p * PG) != 8 ||
		    pwrite(*sp, &w[1], 8, p * PG + PG - 8) != 8)
			return -1;
	}
	/* every page of the log is written: writes into it add none */
	for (off = 0; off < (off_t)sizeof(**log); off += sizeof(zero))
		if (pwrite(*lg, zero, sizeof(zero), off) != sizeof(zero))
			return -1;
	*log = mmap(NULL, sizeof(**log), PROT_READ | PROT_WRITE, MAP_SHARED,
		    *lg, 0);
	*m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *sp, 0);
	if (*log == MAP_FAILED || *m == MAP_FAILED)
		return -1;
	(*log)->pages = size / PG;
	return 0;
}

static void totals(const struct race_log *log, uint64_t *att, uint64_t *ref,
		   uint64_t *n)
{
	uint64_t c;

	*att = *ref = *n = 0;
	for (c = 0; c < log->children && c < MAX_CHILD; c++) {
		*att += log->c[c].attempts;
		*ref += log->c[c].refused;
		*n += log->c[c].n;
	}
}

static void walk_gen1(int dev)
{
	char split[32] = "";
	int s, sp, lg, r = -1, children = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	volatile int *ctl = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t *m, att, ref, n;
	struct race_log *log;
	pid_t pid[MAX_CHILD];
	int c, t;

	children = children < 1 ? 1 : children > MAX_CHILD ? MAX_CHILD :
		   children;
	if (ctl == MAP_FAILED || make_memfds(1UL << 30, &sp, &lg, &log, &m)) {
		rig_tap(0, "lu_race: make the memfds: %s", strerror(errno));
		return;
	}
	log->children = children;
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "race");
	rig_read_file(SPLIT, split, sizeof(split) - 1);
	rig_write_file(SPLIT, "1");
	for (c = 0; c < children; c++) {
		pid[c] = fork();
		if (pid[c] == 0) {
			while (!ctl[0])
				;
			fault_holes(m, log->pages, &log->c[c], &ctl[1], c + 1);
			_exit(0);
		}
	}
	ctl[0] = 1;
	/* every child faulting before the walk starts */
	for (t = 0; t < 20000; t++) {
		for (c = 0; c < children && log->c[c].n >= 200; c++)
			;
		if (c == children)
			break;
		usleep(1000);
	}
	r = s < 0 ? s : lu_ioc_preserve(s, sp, R_TOKEN);
	ctl[1] = 1;
	for (c = 0; c < children; c++)
		waitpid(pid[c], NULL, 0);
	strtok(split, "\n");
	rig_write_file(SPLIT, split[0] ? split : "16384");
	totals(log, &att, &ref, &n);
	rig_log("gen=%d lu_race walk: children=%d faults=%llu written=%llu refused=%llu",
		rig.gen, children, (unsigned long long)att,
		(unsigned long long)n, (unsigned long long)ref);
	rig_tap(!r, "lu_race: PRESERVE_FD of a sparse 1 GiB memfd while %d processes fault its holes: %s",
		children, r ? strerror(-r) : "ok");
	rig_tap(ref > 0, "lu_race: faults into its holes once it is kept get SIGBUS (%llu of %llu)",
		(unsigned long long)ref, (unsigned long long)att);
	r = r ?: lu_ioc_preserve(s, lg, R_LOG);
	rig_tap(!r, "lu_race: the log of the %llu pages written preserved",
		(unsigned long long)n);
	if (!r)
		lu_hold(s);
}

static void reboot_gen1(int dev)
{
	static char rec[8192];
	volatile int *ctl = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int s, sp, lg, r, kmsg, t;
	struct race_log *log;
	uint64_t *m;
	pid_t pid;

	if (ctl == MAP_FAILED || make_memfds(256UL << 20, &sp, &lg, &log, &m)) {
		rig_tap(0, "lu_race: make the memfds: %s", strerror(errno));
		return;
	}
	log->children = 1;
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "race");
	r = s < 0 ? s : lu_ioc_preserve(s, sp, R_TOKEN);
	r = r ?: lu_ioc_preserve(s, lg, R_LOG);
	rig_tap(!r, "lu_race: a sparse 256 MiB memfd and the log preserved: %s",
		r ? strerror(-r) : "ok");
	r = r ?: rig_write_file(DELAY, "1500");
	if (r)
		return;
	pid = fork();
	if (pid == 0) {
		kmsg = open("/dev/kmsg", O_RDONLY);
		if (kmsg < 0 || lseek(kmsg, 0, SEEK_END) < 0)
			_exit(1);
		ctl[0] = 1;
		while (read(kmsg, rec, sizeof(rec) - 1) > 0 &&
		       !strstr(rec, "the reboot goes on in"))
			memset(rec, 0, sizeof(rec));
		fault_holes(m, log->pages, &log->c[0], &ctl[1], 1);
		for (;;)
			pause();
	}
	for (t = 0; t < 10000 && pid > 0 && !ctl[0]; t++)
		usleep(1000);
	rig_tap(ctl[0], "lu_race: a child waits for the freeze to fault the kept memfd's holes");
	lu_hold(s);
}

static void check_gen2(int dev, const char *phase)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "race");
	int sp = s < 0 ? -1 : lu_ioc_retrieve_fd(s, R_TOKEN);
	int lg = s < 0 ? -1 : lu_ioc_retrieve_fd(s, R_LOG);
	struct race_log *log = MAP_FAILED;
	uint64_t c, i, p, w[2], bad = 0, data = 0, att, ref, n;

	if (lg >= 0)
		log = mmap(NULL, sizeof(*log), PROT_READ, MAP_SHARED, lg, 0);
	rig_tap(sp >= 0 && log != MAP_FAILED,
		"lu_race: session race, the sparse memfd and the log retrieved");
	if (sp < 0 || log == MAP_FAILED)
		return;
	for (c = 0; c < log->children && c < MAX_CHILD; c++)
		for (i = 0; i < log->c[c].n && i < LOG_CAP; i++) {
			p = log->c[c].page[i];
			if (pread(sp, w, 8, p * PG) != 8 ||
			    pread(sp, &w[1], 8, p * PG + PG - 8) != 8 ||
			    w[0] != lu_word(R_TOKEN, p) ||
			    w[1] != ~lu_word(R_TOKEN, p))
				bad++;
		}
	for (p = 0; p < log->pages; p += DATA_EVERY) {
		data++;
		if (pread(sp, w, 8, p * PG) != 8 ||
		    pread(sp, &w[1], 8, p * PG + PG - 8) != 8 ||
		    w[0] != lu_word(R_TOKEN, p) || w[1] != ~lu_word(R_TOKEN, p))
			bad++;
	}
	totals(log, &att, &ref, &n);
	rig_log("gen=%d lu_race %s: faults=%llu written=%llu refused=%llu",
		rig.gen, phase, (unsigned long long)att,
		(unsigned long long)n, (unsigned long long)ref);
	rig_tap(bad == 0, "lu_race: %s: every page written before the kernel refused (%llu) and every data page (%llu) is there: %llu missing",
		phase, (unsigned long long)n, (unsigned long long)data,
		(unsigned long long)bad);
	if (!strcmp(phase, "reboot"))
		rig_tap(att > 0 && n == 0 && ref + 1 >= att,
			"lu_race: reboot: the child's %llu faults after the freeze all got SIGBUS (%llu; the last may be cut by the reboot)",
			(unsigned long long)att, (unsigned long long)ref);
	rig_tap(!lu_ioc_finish(s), "lu_race: FINISH of session race");
	munmap(log, sizeof(*log));
	close(sp);
	close(lg);
	close(s);
}

void scenario_lu_race(void)
{
	char phase[16];
	int dev;

	if (!rig_param("rig.lu_race", phase, sizeof(phase)))
		return;
	dev = lu_dev("lu_race");
	if (dev < 0)
		return;
	if (rig.gen > 1)
		check_gen2(dev, phase);
	else if (!strcmp(phase, "walk"))
		walk_gen1(dev);
	else
		reboot_gen1(dev);
	close(dev);
}
