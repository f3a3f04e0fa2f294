// SPDX-License-Identifier: GPL-2.0
/*
 * lu_nomem.c - a retrieved memfd whose page cache fill runs out of
 * memory: rig.lu_nomem=1, 2 generations, on the x86 test kernel (memory
 * cgroups, DEBUG_VM, failslab).
 *
 * Generation 1 keeps a 64 MiB memfd of 4 KiB pages. Generation 2 sets
 * liveupdate.memfd_populate=1 and calls RETRIEVE_FD with slab
 * allocations of this task failing at random (failslab): the fill stops
 * at a page cache node it cannot allocate, and the folios it did not put
 * in wait for their first use. Then, with allocations working again,
 * every byte is read: each waiting folio goes in then. A folio charged
 * to its memory cgroup by the fill that failed must not be charged again
 * (DEBUG_VM's VM_BUG_ON_FOLIO; the rig fails the scenario on it), and
 * none may be lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "rig.h"

#define N_TOKEN		81
#define N_SIZE		(64UL << 20)
#define FS		"/sys/kernel/debug/failslab/"
#define POPULATE	"/sys/module/liveupdate/parameters/memfd_populate"
#define FILL_CUT	"out of memory filling its page cache"

static int arm(int on)
{
	static const char *const knobs[][2] = {
		{ "task-filter", "Y" }, { "ignore-gfp-wait", "N" },
		{ "interval", "1" }, { "times", "-1" }, { "verbose", "0" },
		{ "probability", "30" },
	};
	unsigned int i;
	int bad = 0;

	/*
	 * Disarming opens files, which itself may fail while armed: retry
	 * this task's make-it-fail first (with task-filter, nothing else
	 * fails once it is 0), then the probability.
	 */
	for (i = 0; !on && i < 1000; i++)
		if (!rig_write_file("/proc/self/make-it-fail", "0"))
			return rig_write_file(FS "probability", "0");
	if (!on)
		return -1;
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		char path[96];

		snprintf(path, sizeof(path), FS "%s", knobs[i][0]);
		bad |= rig_write_file(path, knobs[i][1]);
	}
	return bad | rig_write_file("/proc/self/make-it-fail", "1");
}

static int klog_has(const char *what)
{
	static char buf[1 << 20];
	int n = klogctl(3, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, what) != NULL;
}

static void gen1(int dev)
{
	int fd = memfd_create("lu-nomem", MFD_CLOEXEC), s, r;

	if (fd < 0 || ftruncate(fd, N_SIZE) || lu_fill(fd, 0, N_SIZE, N_TOKEN)) {
		rig_tap(0, "lu_nomem: fill a 64 MiB memfd: %s", strerror(errno));
		return;
	}
	s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, "nomem");
	r = s < 0 ? s : lu_ioc_preserve(s, fd, N_TOKEN);
	rig_tap(!r, "lu_nomem: a 64 MiB memfd of 4 KiB pages preserved: %s",
		r ? strerror(-r) : "ok");
	if (!r)
		lu_hold(s);
}

static void gen2(int dev)
{
	int s = lu_ioc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "nomem");
	int fd = -ENOENT, tries = 0, cut;
	long bad;

	rig_tap(s >= 0, "lu_nomem: session nomem retrieved");
	if (s < 0)
		return;
	if (rig_write_file(POPULATE, "1") || arm(1)) {
		rig_tap(0, "lu_nomem: memfd_populate=1 and failslab armed: %s",
			strerror(errno));
		return;
	}
	/* the file itself may fail to be made: RETRIEVE_FD again */
	while (fd < 0 && tries++ < 200)
		fd = lu_ioc_retrieve_fd(s, N_TOKEN);
	arm(0);
	rig_write_file(POPULATE, "0");
	cut = klog_has(FILL_CUT);
	rig_tap(fd >= 0, "lu_nomem: RETRIEVE_FD with slab allocations failing (%d tries)",
		tries);
	rig_tap(cut, "lu_nomem: the page cache fill was cut by a failed allocation (\"%s\")",
		FILL_CUT);
	if (fd < 0)
		return;
	bad = lu_check(fd, 0, N_SIZE, N_TOKEN, 0);
	rig_tap(bad == 0, "lu_nomem: every byte there once allocations work again: %ld bytes differ",
		bad);
	rig_tap(!lu_ioc_finish(s), "lu_nomem: FINISH of session nomem");
	close(fd);
	close(s);
	rig_tap(!klog_has("Bad page") && !klog_has("BUG"),
		"lu_nomem: no \"Bad page\" or \"BUG\" in the kernel log");
}

void scenario_lu_nomem(void)
{
	int dev = lu_run_gens("lu_nomem", gen1, gen2);

	if (dev >= 0)
		close(dev);
}
